"""F.pad's reflect and replicate modes, one node each as PyTorch records
them: reflection_pad (ReflectionPad{1,2,3}DBackward0) and replication_pad
(ReplicationPad{1,2,3}DBackward0), p["pad"] the (left, right) pairs from the
last dim. Each output position copies one input position (mirrored about
the edge, or the edge itself), so the gradient adds each output's gradient
into the input it copies: the *_backward ops, linear in g, whose own
gradient is the padding of gg (PyTorch's ...BackwardBackward0 nodes)."""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop


def _reflect(i: np.ndarray, n: int) -> np.ndarray:
    # mirrored about the edges, the edge itself not repeated
    i = np.abs(i)
    return np.where(i > n - 1, 2 * (n - 1) - i, i)


def _replicate(i: np.ndarray, n: int) -> np.ndarray:
    return np.clip(i, 0, n - 1)


_SOURCES = {"reflection_pad": _reflect, "replication_pad": _replicate}


def _sources(mode: str, pad: tuple, shape: tuple):
    """(dim, the input index each output position copies) per padded dim."""
    for k in range(len(pad) // 2):
        d = len(shape) - 1 - k
        lo, hi = pad[2 * k], pad[2 * k + 1]
        yield d, _SOURCES[mode](np.arange(-lo, shape[d] + hi), shape[d])


def pad_by_mode(mode: str, x: np.ndarray, pad: tuple) -> np.ndarray:
    for d, idx in _sources(mode, pad, x.shape):
        x = np.take(x, idx, axis=d)
    return np.ascontiguousarray(x)


def unpad_by_mode(mode: str, g: np.ndarray, pad: tuple, shape: tuple) -> np.ndarray:
    """The gradient of pad_by_mode(x) for x of `shape`: each output's g
    added into the position it copies, in the outputs' order (PyTorch's
    kernel's, which fixes a float32 sum's last bit)."""
    k = len(pad) // 2
    spatial = shape[len(shape) - k:]
    # each output position's source, as a flat index into x's padded dims
    flat = np.zeros((1,) * k, np.int64)
    for d, idx in _sources(mode, pad, shape):
        axis = d - (len(shape) - k)
        flat = flat + np.expand_dims(idx, tuple(a for a in range(k) if a != axis)) \
            * int(np.prod(spatial[axis + 1:]))
    lead = int(np.prod(shape[:len(shape) - k]))
    out = np.zeros((lead, int(np.prod(spatial))), g.dtype)
    np.add.at(out.T, flat.reshape(-1), g.reshape(lead, flat.size).T)
    return out.reshape(shape)


def _grad_fn(title: str, suffix: str):
    return lambda t: f"{title}{len(t.params['pad']) // 2}D{suffix}"


for _mode, _title in (("reflection_pad", "ReflectionPad"), ("replication_pad", "ReplicationPad")):
    defop(_mode, _grad_fn(_title, "Backward0"),
          (lambda m: lambda xs, p: pad_by_mode(m, xs[0], p["pad"]))(_mode),
          vjp=((lambda m: lambda g, ans, xs, p: unpad_by_mode(m, g, p["pad"], xs[0].shape))(_mode),),
          jvp=((lambda m: lambda t, ans, xs, p: pad_by_mode(m, t, p["pad"]))(_mode),),
          formula=("d pad(x)/dx = each output's gradient added into the input it copies",),
          symbol="pad", saves=False, dtype_rule=SAME)
    # (g, x): x gives the shape only
    defop(f"{_mode}_backward", _grad_fn(_title, "BackwardBackward0"),
          (lambda m: lambda xs, p: unpad_by_mode(m, xs[0], p["pad"], xs[1].shape))(_mode),
          vjp=((lambda m: lambda gg, ans, xs, p: pad_by_mode(m, gg, p["pad"]))(_mode),
               lambda gg, ans, xs, p: np.zeros(xs[1].shape, xs[1].dtype)),
          jvp=((lambda m: lambda t, ans, xs, p: unpad_by_mode(m, t, p["pad"], xs[1].shape))(_mode),
               lambda t, ans, xs, p: np.zeros(ans.shape, ans.dtype)),
          saved=("1", "1"),
          formula=(f"d {_mode}_backward(g, x)/dg = the padding of the incoming gradient",
                   f"d {_mode}_backward(g, x)/dx = 0"),
          symbol=f"{_mode}_backward", dtype_rule=SAME)
