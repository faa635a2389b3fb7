"""torch.addmv's, torch.addr's and torch.vdot's nodes (AddmvBackward0,
AddrBackward0, VdotBackward0): a bias plus a matrix-vector product, a bias
plus an outer product, and the dot product of two vectors under its own name."""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import GradvizError, RUNTIME
from .linalg import _TYPE_NAMES, _mm, _unbatch, check_bias_expands
from .registry import OPS, defop


def _shape_str(shape):
    return "x".join(str(s) for s in shape)


def _addmv_check(xs, p):
    """addmv(bias, mat, vec): PyTorch's words for the wrong ranks, the sizes
    that do not fit (the bias's among them), and mixed dtypes (no promotion)."""
    bias, mat, vec = xs
    if bias.ndim > 1 or mat.ndim != 2 or vec.ndim != 1:
        raise GradvizError(f"vector + matrix @ vector expected, got {bias.ndim}, {mat.ndim}, "
                           f"{vec.ndim}", kind=RUNTIME,
                           hint="addmv takes a vector bias, a matrix and a vector")
    rows = bias.shape[0] if bias.ndim else 1
    if mat.shape[1] != vec.shape[0] or rows not in (1, mat.shape[0]):
        raise GradvizError(f"size mismatch, got input ({rows}), mat ({_shape_str(mat.shape)}), "
                           f"vec ({vec.shape[0]})", kind=RUNTIME,
                           hint=f"the matrix's columns ({mat.shape[1]}) must match the vector, "
                                f"its rows ({mat.shape[0]}) the bias")
    if not bias.dtype == mat.dtype == vec.dtype:
        names = [_TYPE_NAMES[x.dtype][0] for x in xs]
        raise GradvizError(f"addmv input tensors must have the same dtype, but got "
                           f"{names[0]}, {names[1]}, and {names[2]}", kind=RUNTIME,
                           hint="convert them to one dtype with .float() or .double()")
    return mat.shape[0]


def _bias_plus(name: str, product, vjps, jvps, formulas, check) -> None:
    """NAME(bias, a, b) = bias + product(a, b) (beta = alpha = 1): the
    bias's gradient is g summed back to its shape, its tangent broadcast."""
    defop(name, name.capitalize() + "Backward0",
          lambda xs, p: np.asarray(product(xs[1], xs[2]) + xs[0]),
          vjp=(lambda g, ans, xs, p: _unbatch(g, xs[0].shape), *vjps),
          jvp=(lambda t, ans, xs, p: np.broadcast_to(t, ans.shape), *jvps),
          saved=("", "2", "1"), formula=formulas, symbol=name, check=check)


_bias_plus("addmv", np.matmul,
           (lambda g, ans, xs, p: np.multiply.outer(g, xs[2]),
            lambda g, ans, xs, p: np.asarray(np.matmul(xs[1].T, g))),
           (lambda t, ans, xs, p: np.asarray(np.matmul(t, xs[2])),
            lambda t, ans, xs, p: np.asarray(np.matmul(xs[1], t))),
           ("d(b + M@v)/db = G", "d(b + M@v)/dM = outer(G, v)", "d(b + M@v)/dv = M^T @ G"),
           _addmv_check)


def _addr_check(xs, p):
    """addr(bias, v1, v2): two vectors, and a bias that broadcasts to their
    outer product's shape (PyTorch's words for both)."""
    bias, a, b = xs
    for x, name in ((a, "vec1"), (b, "vec2")):
        if x.ndim != 1:
            raise GradvizError(f"addr: Expected 1-D argument {name}, but got {x.ndim}-D",
                               kind=RUNTIME, hint="addr takes two vectors: x.flatten() makes one")
    out = (a.shape[0], b.shape[0])
    check_bias_expands(bias, out, "addr")
    return a.size * b.size


_bias_plus("addr", np.multiply.outer,
           (lambda g, ans, xs, p: _mm(g, xs[2]), lambda g, ans, xs, p: _mm(xs[1], g)),
           (lambda t, ans, xs, p: np.multiply.outer(t, xs[2]),
            lambda t, ans, xs, p: np.multiply.outer(xs[1], t)),
           ("d(C + outer(a,b))/dC = G", "d(C + outer(a,b))/da = G @ b",
            "d(C + outer(a,b))/db = a @ G"),
           _addr_check)

# vdot(a, b): dot for real vectors (its checks and rules), named as PyTorch names it
# (its node unpacks other_ before self_, unlike dot's self_ and tensor_)
OPS["vdot"] = dataclasses.replace(OPS["dot"], name="vdot", grad_fn="VdotBackward0",
                                  symbol="vdot", saved_order="10")
