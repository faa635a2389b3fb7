"""Pooling over the last two or three dims, one node each as PyTorch
records it: max_pool2d / max_pool3d (MaxPool2DWithIndicesBackward0,
MaxPool3DWithIndicesBackward0), avg_pool2d / avg_pool3d (AvgPool2DBackward0,
AvgPool3DBackward0) and adaptive_avg_pool2d / adaptive_avg_pool3d
(AdaptiveAvgPool2DBackward0, AdaptiveAvgPool3DBackward0), and max_unpool2d / max_unpool3d
(MaxUnpool2DBackward0, MaxUnpool3DBackward0). The 1-d poolings
are the 2-d ones between an unsqueeze and a squeeze, as PyTorch's are.

p: "kernel_size"; "stride" (absent: the kernel size), "padding" (absent:
0), "dilation" (absent: 1), "ceil_mode" (absent: False), each one int for
every dim alike or one per dim; avg_pool's "count_include_pad" (absent:
True) and "divisor_override"; adaptive_avg_pool's "output_size", one per
dim. The functions take the number of pooled dims, k, as the op's name
tells it (a parameter of one int does not).

The forwards follow PyTorch's CPU kernels: a window's max is its first
largest number in window order (depth, rows, then columns), which is where
the gradient goes; an average adds the window's numbers in that order in the
input's dtype, then divides; the backwards add each output's share into
the input in PyTorch's order (outputs in order, each window's numbers in
order), so overlapping windows round as PyTorch's do.
"""
from __future__ import annotations

import numpy as np

import math
from functools import partial, reduce

from ..errors import RUNTIME, GradvizError
from .conv import spatial, windows
from .registry import SAME, defop


def pool_out(size: int, k: int, s: int, pad: int, d: int, ceil: bool) -> int:
    """pooling_output_shape: the number of windows along one dim (with
    ceil_mode, the last one must start inside the input or its left padding)."""
    span = d * (k - 1) + 1
    n = (size + 2 * pad - span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (n - 1) * s >= size + pad:
        n -= 1
    return n


def pool_geometry(p, dilated=True, k: int = 2) -> tuple:
    """(kernel, stride, padding, dilation, ceil_mode), one number per pooled dim."""
    kernel = spatial(p, "kernel_size", k, None)
    stride = spatial(p, "stride", k, None) if "stride" in p else kernel
    return (kernel, stride, spatial(p, "padding", k, 0),
            spatial(p, "dilation", k, 1) if dilated else (1,) * k, p.get("ceil_mode", False))


def _out(x, geo) -> tuple:
    kernel, stride, padding, dilation, ceil = geo
    return tuple(pool_out(n, k, s, q, d, ceil) for n, k, s, q, d in
                 zip(x.shape[x.ndim - len(kernel):], kernel, stride, padding, dilation))


def grid(vectors) -> list:
    """One vector per pooled dim, each shaped to broadcast along its own dim
    of a (v1, v2, ...) grid (np.ix_'s shapes, for any dtype)."""
    k = len(vectors)
    # (sizes written out: an empty vector has no -1 to infer)
    return [np.asarray(v).reshape((1,) * d + (len(v),) + (1,) * (k - 1 - d))
            for d, v in enumerate(vectors)]


def flat_position(coords, size) -> np.ndarray:
    """The flat position in the pooled dims of `size` (row-major) of
    per-dim coordinates that broadcast together."""
    return reduce(lambda flat, dim: flat * dim[1] + dim[0], zip(coords, size), 0)


def _scatter(shape, index, values, dtype, k: int = 2):
    """An array of `shape` (*lead, *pooled) with values added at the flat
    positions index of the last k dims, one after another in index's order."""
    lead = math.prod(shape[:-k])
    out = np.zeros((lead, math.prod(shape[-k:])), dtype)
    plane = np.arange(lead).reshape((lead,) + (1,) * (index.ndim - 1))
    np.add.at(out, (np.broadcast_to(plane, (lead,) + index.shape[1:]),
                    np.broadcast_to(index, (lead,) + index.shape[1:])), values)
    return out.reshape(shape)


# ---- max_pool2d ------------------------------------------------------------------

def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _max_windows(x, p, k: int):
    """x's windows, each flattened in window order (*lead, *out, window), and
    the geometry."""
    geo = pool_geometry(p, k=k)
    kernel, stride, padding, dilation, _ = geo
    win = windows(x, kernel, stride, padding, dilation, _out(x, geo), fill=_lowest(x.dtype))
    # (sizes written out: an empty batch has no -1 to infer)
    return win.reshape(win.shape[:-k] + (math.prod(kernel),)), geo


def _first_max_last_nan(win):
    """Each window's (last axis) pick by PyTorch's `val > max || isnan(val)`:
    its first largest number, or its last NaN (each NaN replaces the one
    before)."""
    at = np.argmax(win, axis=-1)
    if win.dtype.kind != "f":
        return at
    nan = np.isnan(win)
    last_nan = win.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)
    return np.where(nan.any(axis=-1), last_nan, at)


def _argmax(x, p, k: int = 2):
    """(max, the flat position in x's last k dims of each window's first max)."""
    win, (kernel, stride, padding, dilation, _) = _max_windows(x, p, k)
    at = _first_max_last_nan(win)
    best = np.take_along_axis(win, at[..., None], axis=-1)[..., 0]
    starts = grid([np.arange(o) * s - q for o, s, q in zip(best.shape[-k:], stride, padding)])
    coords = [start + offset * d
              for start, offset, d in zip(starts, np.unravel_index(at, kernel), dilation)]
    return best, flat_position(coords, x.shape[-k:])


def max_pool_ties(x, p, k: int = 2) -> bool:
    """Some window holds its max more than once (where max pooling has no
    derivative: the gradient check's kink)."""
    win, _ = _max_windows(x, p, k)
    return bool(np.any(np.sum(win == win.max(axis=-1, keepdims=True), axis=-1) > 1))


def max_pool_branch(x, p, k: int = 2):
    """Where each window's max is (the smooth piece max pooling is on)."""
    return _argmax(x, p, k)[1]


def _max_dx(g, ans, xs, p, k: int = 2):
    x = xs[0]
    _, where = _argmax(x, p, k)
    lead = math.prod(x.shape[:-k])
    outs = math.prod(where.shape[-k:])
    return _scatter(x.shape, where.reshape(lead, outs), g.reshape(lead, outs), g.dtype, k)


def _max_jvp(t, ans, xs, p, k: int = 2):
    x = xs[0]
    _, where = _argmax(x, p, k)
    flat = t.reshape(x.shape[:-k] + (math.prod(x.shape[-k:]),))
    return np.take_along_axis(flat, where.reshape(where.shape[:-k] +
                                                  (math.prod(where.shape[-k:]),)),
                              axis=-1).reshape(ans.shape)


for _k in (2, 3):
    defop(f"max_pool{_k}d", f"MaxPool{_k}DWithIndicesBackward0",
          (lambda k: lambda xs, p: _argmax(xs[0], p, k)[0])(_k),
          vjp=(partial(_max_dx, k=_k),), jvp=(partial(_max_jvp, k=_k),), saved=("0r",),
          formula=("d max_pool(x)/dx = g at each window's first max",), symbol=f"max_pool{_k}d",
          dtype_rule=SAME)


# ---- avg_pool2d ------------------------------------------------------------------

def _avg_parts(x, p, k: int = 2):
    """Per dim: each window's first input index, its valid (clipped) indices'
    start and end, and the size PyTorch counts with the padding; and the
    output size."""
    kernel, stride, padding, _, ceil = geo = pool_geometry(p, dilated=False, k=k)
    out = _out(x, geo)
    parts = []
    for n, kk, s, q, o in zip(x.shape[-k:], kernel, stride, padding, out):
        start = np.arange(o) * s - q
        end = np.minimum(start + kk, n + q)
        parts.append((start, np.maximum(start, 0), np.minimum(end, n), end - start))
    return parts, out


def _avg_divisor(x, p, parts):
    """Each window's divisor (1 for an empty one) and whether it is empty."""
    valid = grid([hi - lo for _, lo, hi, _ in parts])
    if p.get("divisor_override") is not None:
        div = np.full(tuple(len(lo) for _, lo, _, _ in parts), p["divisor_override"])
    elif p.get("count_include_pad", True):
        div = reduce(np.multiply, grid([size for _, _, _, size in parts]))
    else:
        div = reduce(np.multiply, valid)
    empty = reduce(np.logical_or, [v <= 0 for v in valid])
    return np.where(empty, 1, div), empty


def _divide(total, div):
    if total.dtype.kind == "f":
        return total / div.astype(total.dtype)
    # (an integer average truncates, as C++'s integer division)
    return (np.abs(total) // div * np.sign(total)).astype(total.dtype)


def _avg_fwd(xs, p, k: int = 2):
    x = xs[0]
    kernel, stride, padding, dilation, _ = pool_geometry(p, dilated=False, k=k)
    parts, out = _avg_parts(x, p, k)
    win = windows(x, kernel, stride, padding, dilation, out)
    total = np.zeros(win.shape[:-k], x.dtype)
    for at in np.ndindex(*kernel):        # in window order, as PyTorch adds them
        total = total + win[(Ellipsis,) + at]
    div, empty = _avg_divisor(x, p, parts)
    return np.where(empty, x.dtype.type(0), _divide(total, div))


def _window_index(x, spans):
    """Each output's valid input positions (flat over the pooled dims) in
    window order, as (index, mask), shaped (outputs, window size); spans per
    dim: (each window's input indices (o, k), their valid part's mask)."""
    k = len(spans)

    def placed(a, d):            # (o, k) of dim d at its places in (o1.., k1..)
        shape = [1] * (2 * k)
        shape[d], shape[k + d] = a.shape
        return a.reshape(shape)
    index = flat_position([placed(at, d) for d, (at, _) in enumerate(spans)], x.shape[-k:])
    mask = reduce(np.logical_and, [placed(m, d) for d, (_, m) in enumerate(spans)])
    outs = math.prod(at.shape[0] for at, _ in spans)
    size = math.prod(at.shape[1] for at, _ in spans)
    index, mask = np.broadcast_arrays(index, mask)
    return index.reshape(outs, size), mask.reshape(outs, size)


def _spread(x, g_share, spans):
    """The backward of an average: each output's share added to its
    window's valid inputs, outputs in order, each window's in order."""
    k = len(spans)
    index, mask = _window_index(x, spans)
    lead = math.prod(x.shape[:-k])
    share = np.broadcast_to(g_share.reshape(lead, index.shape[0], 1), (lead,) + index.shape)
    return _scatter(x.shape, index[mask][None], share[:, mask], g_share.dtype, k)


def _avg_dx(g, ans, xs, p, k: int = 2):
    x = xs[0]
    kernel = pool_geometry(p, k=k)[0]
    parts, _ = _avg_parts(x, p, k)
    div, empty = _avg_divisor(x, p, parts)
    spans = []
    for (start, lo, hi, _), size in zip(parts, kernel):
        at = start[:, None] + np.arange(size)[None, :]
        spans.append((np.clip(at, 0, None), (at >= lo[:, None]) & (at < hi[:, None])))
    share = np.where(empty, 0, g / div.astype(g.dtype)).astype(g.dtype)
    return _spread(x, share, spans)


for _k in (2, 3):
    defop(f"avg_pool{_k}d", f"AvgPool{_k}DBackward0", partial(_avg_fwd, k=_k),
          vjp=(partial(_avg_dx, k=_k),),
          jvp=((lambda k: lambda t, ans, xs, p: _avg_fwd([t], p, k))(_k),), saved=("0",),
          formula=("d avg_pool(x)/dx = g / window size, spread over each window",),
          symbol=f"avg_pool{_k}d", dtype_rule=SAME)


# ---- adaptive_avg_pool2d: windows [floor(i*n/o), ceil((i+1)*n/o)) ------------------

def adaptive_spans(x, p):
    """Per dim: (each window's indices (o, longest) clipped into the input,
    which of them are in the window, each window's length)."""
    spans = []
    for n, o in zip(x.shape[x.ndim - len(p["output_size"]):], p["output_size"]):
        i = np.arange(o)
        start = (i * n) // o
        end = -((-(i + 1) * n) // o)
        longest = int((end - start).max()) if o else 0
        at = start[:, None] + np.arange(longest)[None, :]
        spans.append((np.minimum(at, max(n - 1, 0)), at < end[:, None], end - start))
    return spans


def adaptive_windows(x, spans):
    """For each offset into the windows, in window order: x's numbers at
    that offset of every window (*lead, *out), which of them are in their
    window, and their indices per pooled dim (each shaped for the grid)."""
    for at in np.ndindex(*(index.shape[1] for index, _, _ in spans)):
        where = grid([index[:, i] for (index, _, _), i in zip(spans, at)])
        mask = reduce(np.logical_and, grid([inside[:, i] for (_, inside, _), i in zip(spans, at)]))
        yield x[(Ellipsis,) + tuple(where)], mask, where


def _adaptive_fwd(xs, p):
    x = xs[0]
    spans = adaptive_spans(x, p)
    total = np.zeros(x.shape[:x.ndim - len(spans)] + tuple(len(n) for _, _, n in spans), x.dtype)
    zero = x.dtype.type(0)
    for values, mask, _ in adaptive_windows(x, spans):     # (PyTorch's order of the terms)
        total = total + np.where(mask, values, zero)
    # (divided by each dim's window length in turn, as PyTorch's kernel divides)
    return reduce(_divide, grid([n for _, _, n in spans]), total)


def _adaptive_dx(g, ans, xs, p):
    x = xs[0]
    k = len(p["output_size"])
    for d in range(g.ndim - k, g.ndim):
        if g.shape[d] == 0:       # (an output size of 0 runs forward, not backward)
            raise GradvizError(f"adaptive_avg_pool{k}d_backward(): Expected grad_output to have "
                               f"non-zero size for non-batch dimensions, but grad_output has "
                               f"sizes {list(g.shape)} with dimension {d} being empty",
                               kind=RUNTIME, hint="PyTorch's backward of adaptive pooling needs "
                                                  "an output size of 1 or more")
    spans = adaptive_spans(x, p)
    share = reduce(lambda a, n: a / n.astype(g.dtype), grid([n for _, _, n in spans]), g)
    return _spread(x, share, [(index, mask) for index, mask, _ in spans])


for _k in (2, 3):
    defop(f"adaptive_avg_pool{_k}d", f"AdaptiveAvgPool{_k}DBackward0", _adaptive_fwd,
          vjp=(_adaptive_dx,), jvp=(lambda t, ans, xs, p: _adaptive_fwd([t], p),), saved=("0",),
          formula=("d adaptive_avg_pool(x)/dx = g / window size, spread over each window",),
          symbol=f"adaptive_avg_pool{_k}d", dtype_rule=SAME)


# ---- max_unpool2d / 3d: p["indices"] (the input's shape), p["output_size"] (its last k dims) ----

def planes(a, k: int):
    """a as (planes, positions) over its last k dims."""
    # (sizes written out: an empty array has no -1 to infer)
    return a.reshape(math.prod(a.shape[:a.ndim - k]), math.prod(a.shape[a.ndim - k:]))


def _unpool_fwd(xs, p):
    x = xs[0]
    size = p["output_size"]
    k = len(size)
    out = np.zeros((math.prod(x.shape[:-k]), math.prod(size)), x.dtype)
    # (an index given twice keeps the later number, as PyTorch's loop writes them)
    np.put_along_axis(out, planes(p["indices"], k), planes(x, k), axis=1)
    return out.reshape(x.shape[:-k] + tuple(size))


def _unpool_vjp(g, ans, xs, p):
    """Each input number's gradient: g at the place it was put."""
    k = len(p["output_size"])
    return np.take_along_axis(planes(np.asarray(g), k), planes(p["indices"], k),
                              axis=1).reshape(xs[0].shape)


for _k in (2, 3):
    defop(f"max_unpool{_k}d", f"MaxUnpool{_k}DBackward0", _unpool_fwd, vjp=(_unpool_vjp,),
          jvp=(lambda t, ans, xs, p: _unpool_fwd([t], p),), saves=False,
          formula=("d max_unpool(x)/dx = g at each number's index",),
          symbol=f"F.max_unpool{_k}d", dtype_rule=SAME)
