"""The vector norms other than the 1- and 2-norm (ops/reduce.py's `norm`):
ord inf and -inf (the largest and smallest |x|), 0 (how many x are not 0)
and any other p, sum(|x|^p)^(1/p); PyTorch's LinalgVectorNormBackward0,
with its gradient formulas (norm_backward) case by case.
"""
from __future__ import annotations

import math

import numpy as np

from .norm_sums import reduces_ones_only
from .reduce import kept_shape, norm_sum
from .registry import SAME, defop


def _reduce(f, x, p):
    return f(x, axis=p.get("dim"), keepdims=p.get("keepdim", False))


def _kept(a, p):
    """a reduced over p's dims, with those dims back (size 1)."""
    if p.get("dim") is None or p.get("keepdim"):
        return a                        # (a number, or the dims are kept)
    return np.expand_dims(a, p["dim"])


def _pow(a, exponent):
    """a ** exponent by the C library's pow, as PyTorch's kernel: numpy's
    ** with a number takes a square root for 0.5 and a product for 2, which
    can differ from pow in the last bit."""
    a = np.asarray(a)
    return np.power(a, np.full(a.shape, exponent, a.dtype))


def _forward(xs, p):
    x, order = xs[0], p["ord"]
    ax = np.abs(x)
    if order != 0 and reduces_ones_only(x, p.get("dim")):
        return kept_shape(ax, p)
    if order == math.inf:
        out = _reduce(np.max, ax, p)
    elif order == -math.inf:
        out = _reduce(np.min, ax, p)
    elif order == 0:
        out = _reduce(np.sum, (x != 0).astype(x.dtype), p)
    else:
        with np.errstate(divide="ignore"):
            terms = _pow(ax, order)
            total = norm_sum(terms, x, p.get("dim"), p.get("keepdim", False), squares=False)
            out = _pow(total, x.dtype.type(1) / x.dtype.type(order))   # (in the float type, as PyTorch)
    return np.asarray(out, x.dtype)


def _vjp(g, ans, xs, p):
    x, order = xs[0], p["ord"]
    if order == 0:
        return None                     # PyTorch sends no gradient (x.grad stays None)
    g, norm = _kept(np.asarray(g), p), _kept(ans, p)
    sgn = np.sign(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        if math.isinf(order):
            # the largest (smallest) |x|, ties sharing the gradient
            mask = (np.abs(x) == norm) | np.isnan(x)
            count = np.sum(mask, axis=p.get("dim"), keepdims=True)
            return sgn * ((g / count) * mask)
        if order < 1:
            scaled = np.where(x == 0, 0, sgn * np.abs(x) ** (order - 1))
            return (scaled * g * norm ** (1 - order)).astype(x.dtype)
        scaled = sgn * np.abs(x) ** (order - 1) if order < 2 else x * np.abs(x) ** (order - 2)
        scale = np.where(norm == 0, 0, g / norm ** (order - 1))
        return (scaled * scale).astype(x.dtype)


def _jvp(t, ans, xs, p):
    grad = _vjp(np.ones_like(ans), ans, xs, p)
    if grad is None:
        return np.zeros_like(ans)
    return np.asarray(_reduce(np.sum, t * grad, p), ans.dtype)


# (p["grad_fn"]: NormBackward1 where PyTorch calls at::norm: pairwise_distance)
defop("vector_norm_ord", lambda t: t.params.get("grad_fn", "LinalgVectorNormBackward0"), _forward, vjp=(_vjp,), jvp=(_jvp,),
      saved=("0r",), formula=("d ||x||_p/dx = sign(x) |x|^(p-1) / ||x||^(p-1) (inf: the largest "
                              "|x|, ties sharing; 0: none)",),
      symbol="linalg.vector_norm", dtype_rule=SAME)
