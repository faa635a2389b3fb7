"""torch.dist and torch.renorm: the vector norms of ops/reduce.py's `norm`
and ops/pnorm.py's `vector_norm_ord`, of a difference (dist) or of each
slice along a dim (renorm), with PyTorch's DistBackward0 and
RenormBackward0 (derivatives.yaml's norm_backward, renorm_backward).
Argument checks are in norm_fns.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import RUNTIME, GradvizError
from .registry import SAME, bcast_check, defop


def _norm_op(order):
    """The op PyTorch's norm kernel of this order matches: the 1- and 2-norm
    are the norm op's, any other order vector_norm_ord's."""
    from . import OPS
    return OPS["norm"] if order in (1, 2) else OPS["vector_norm_ord"]


def _norm_params(order, dims, keepdim) -> dict:
    p = {"dim": dims, "keepdim": keepdim}
    if order != 2:
        p["ord"] = float(order) if order != 1 else 1
    return p


def vector_norm(x, order, dims=None, keepdim=False):
    """||x||_order over dims (all of x: None), as linalg.vector_norm."""
    return _norm_op(order).forward([x], _norm_params(order, dims, keepdim))


def norm_backward(g, x, order, norm, dims=None, keepdim=False):
    """PyTorch's norm_backward(g, x, p, norm): None for order 0 (its
    undefined gradient)."""
    return _norm_op(order).vjp[0](g, norm, [x], _norm_params(order, dims, keepdim))


# ---- dist(x, y, p) = ||x - y||_p --------------------------------------------

def _dist_fwd(xs, p):
    return vector_norm(xs[0] - xs[1], p["p"])


def _dist_input(g, ans, xs, p):
    return norm_backward(g, xs[0] - xs[1], p["p"], ans)


def _dist_other(g, ans, xs, p):
    grad = norm_backward(g, xs[0] - xs[1], p["p"], ans)
    if grad is None:
        # (PyTorch negates norm_backward's undefined gradient of order 0)
        raise GradvizError("Expected a proper Tensor but got None (or an undefined Tensor in "
                           "C++) for argument #0 'self'", kind=RUNTIME,
                           hint="dist of order 0 counts the differing elements: it has no "
                                "gradient for its second tensor")
    return -grad


def _dist_tangent(sign):
    def jvp(t, ans, xs, p):
        diff = xs[0] - xs[1]
        unit = norm_backward(np.ones_like(ans), diff, p["p"], ans)
        if unit is None:
            return np.zeros_like(ans)
        return np.asarray(np.sum(sign * t * unit), ans.dtype)
    return jvp


defop("dist", "DistBackward0", _dist_fwd, vjp=(_dist_input, _dist_other),
      jvp=(_dist_tangent(1), _dist_tangent(-1)), saved=("01r", "01r"), saved_order="10r", check=bcast_check,
      common_dtype=True,
      formula=("d ||a-b||_p/da = sign(a-b) |a-b|^(p-1) / ||a-b||^(p-1)",
               "d ||a-b||_p/db = -sign(a-b) |a-b|^(p-1) / ||a-b||^(p-1)"))


# ---- renorm(x, p, dim, maxnorm): each slice along dim scaled to norm <= maxnorm

def _others(x, dim) -> tuple:
    return tuple(d for d in range(x.ndim) if d != dim)


def _renorm_norm(x, p):
    return np.asarray(vector_norm(x, p["p"], _others(x, p["dim"]), True), x.dtype)


def _eps(x):
    return x.dtype.type(1e-7)


def _renorm_fwd(xs, p):
    """x * factor, factor maxnorm / (norm + 1e-7) where the norm passes
    maxnorm, else 1 (PyTorch's renorm_scale_factor kernel, in x's dtype)."""
    x = xs[0]
    norm = _renorm_norm(x, p)
    maxnorm = x.dtype.type(p["maxnorm"])
    factor = np.where(norm > maxnorm, maxnorm / (norm + _eps(x)), x.dtype.type(1))
    return x * factor


def _renorm_parts(x, p):
    """(norm, 1 / (norm + 1e-7), maxnorm times that) as renorm_backward
    computes them."""
    norm = _renorm_norm(x, p)
    invnorm = np.reciprocal(norm + _eps(x))
    return norm, invnorm, invnorm * x.dtype.type(p["maxnorm"])


def _renorm_vjp(g, ans, xs, p):
    x = xs[0]
    dims = _others(x, p["dim"])
    norm, invnorm, factor = _renorm_parts(x, p)
    along = np.sum(x * g, axis=dims, keepdims=True)
    nb = norm_backward(along, x, p["p"], norm, dims, True)
    return np.where(norm > x.dtype.type(p["maxnorm"]), factor * g - (factor * invnorm) * nb, g)


def _renorm_jvp(t, ans, xs, p):
    x = xs[0]
    dims = _others(x, p["dim"])
    norm, invnorm, factor = _renorm_parts(x, p)
    unit = norm_backward(np.ones_like(norm), x, p["p"], norm, dims, True)
    dnorm = np.sum(t * unit, axis=dims, keepdims=True)
    return np.where(norm > x.dtype.type(p["maxnorm"]),
                    factor * t - (factor * invnorm) * x * dnorm, t).astype(x.dtype)


defop("renorm", "RenormBackward0", _renorm_fwd, vjp=(_renorm_vjp,), jvp=(_renorm_jvp,),
      saved=("0",), dtype_rule=SAME,
      formula=("d renorm(x)/dx = maxnorm/||x_i|| (1 - x_i x_i^T/||x_i||^2) where ||x_i|| > "
               "maxnorm, else 1",))
