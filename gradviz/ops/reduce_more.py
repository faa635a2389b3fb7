"""More reductions and scans: amax/amin, logsumexp, cumprod.

p["dim"] is a tuple of non-negative axes (() for a 0-d tensor, or for
amax(x, []): every axis, as PyTorch), p["keepdim"] a bool; cumprod's
p["dim"] one axis.
"""
from __future__ import annotations

import numpy as np

from .reduce import running
from .registry import FLOAT, SAME, defop
from .summation import reduced_shape, torch_sum


def _axes(x, p):
    return p["dim"] or None if x.ndim else None


def _restore(a, x, p):
    """A reduction's result (or gradient) with the reduced axes back as size
    1, ready to broadcast against x."""
    if p.get("keepdim") or x.ndim == 0:
        return a
    return a.reshape(reduced_shape(x.shape, _axes(x, p), True))


def _extreme_fwd(f):
    return lambda xs, p: np.asarray(f(xs[0], axis=_axes(xs[0], p), keepdims=p["keepdim"]))


def _ties(x, ans, p):
    """Where x equals the extreme of its slice, and how many do, per slice."""
    mask = x == _restore(ans, x, p)
    return mask, mask.sum(axis=_axes(x, p), keepdims=True)


def _amax_vjp(g, ans, xs, p):
    # NOTE: unlike max(dim), amax/amin split the gradient evenly between
    # tied extremes (PyTorch's scale_grad_by_count: (g / count) * mask)
    x = xs[0]
    mask, count = _ties(x, ans, p)
    return ((_restore(g, x, p) / count.astype(g.dtype)) * mask).astype(g.dtype)


def _amax_jvp(t, ans, xs, p):
    x = xs[0]
    mask, count = _ties(x, ans, p)
    total = np.sum(np.where(mask, t, 0), axis=_axes(x, p), keepdims=True) / count
    return total.reshape(ans.shape).astype(t.dtype)


for _name, _fn in (("amax", np.max), ("amin", np.min)):
    defop(_name, _name.capitalize() + "Backward0", _extreme_fwd(_fn),
          vjp=(_amax_vjp,), jvp=(_amax_jvp,), saved=("0r",),
          formula=(f"d {_name}(x)/dx_i = [x_i is the {_name[1:]}] / (number of ties)",),
          symbol=_name, dtype_rule=SAME)


def _exp(a):
    """exp rounded once to a's float dtype (as PyTorch's float32 exp nearly
    always is; numpy's float32 exp is often an ulp off)."""
    return np.exp(a.astype(np.float64)).astype(a.dtype)


def _logsumexp_fwd(xs, p):
    x = xs[0]
    if x.dtype.kind != "f":
        x = x.astype(np.float32)           # PyTorch: the default float dtype
    axes = _axes(x, p)
    # PyTorch's: the max taken out (infinite maxima as 0), exp, sum, log, max back
    m = np.max(x, axis=axes, keepdims=True) if x.size else np.zeros(
        reduced_shape(x.shape, axes, True), x.dtype)
    m = np.where(np.isinf(m), 0, m).astype(x.dtype)
    e = _exp(x - m)
    total = torch_sum(e, axes) if e.size else None
    if total is None:
        total = np.sum(e, axis=axes, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(total.astype(np.float64)).astype(x.dtype) + m
    return out if p["keepdim"] else out.reshape(reduced_shape(x.shape, axes, False))


defop("logsumexp", "LogsumexpBackward0", _logsumexp_fwd,
      vjp=(lambda g, ans, xs, p: (_restore(g, xs[0], p)
                                  * _exp(xs[0] - _restore(ans, xs[0], p))).astype(g.dtype),),
      jvp=(lambda t, ans, xs, p: np.sum(t * _exp(xs[0] - _restore(ans, xs[0], p)),
                                        axis=_axes(xs[0], p),
                                        keepdims=p["keepdim"]).astype(t.dtype),),
      saved=("0r",), formula=("d logsumexp(x)/dx_i = exp(x_i - logsumexp(x)) (softmax)",),
      symbol="logsumexp", dtype_rule=FLOAT)


_cumprod_fwd = running(np.cumprod)     # (PyTorch's kernel multiplies in double too)


def _rev_cumsum(a, d):
    acc = np.float64 if a.dtype == np.float32 else a.dtype
    return np.flip(np.cumsum(np.flip(a, d), axis=d, dtype=acc), d).astype(a.dtype)


def _cumprod_jacobian(x, d):
    """d cumprod(x)_j / d x_i along axis d, as (..., j, i) with d moved last:
    the product of x_0..x_j without x_i (exact where x has zeros)."""
    xs = np.moveaxis(x, d, -1).astype(np.float64)
    n = xs.shape[-1]
    jac = np.zeros(xs.shape + (n,))
    for i in range(n):
        others = xs.copy()
        others[..., i] = 1.0
        jac[..., i:, i] = np.cumprod(others, axis=-1)[..., i:]
    return jac


def _cumprod_vjp(g, ans, xs, p):
    x = xs[0]
    if x.ndim == 0:
        return g
    d = p["dim"]
    if not (x == 0).any():
        # PyTorch's formula without zeros: reversed cumsum of g * ans, over x
        return (_rev_cumsum(g * ans, d) / x).astype(g.dtype)
    gm = np.moveaxis(g, d, -1).astype(np.float64)
    out = np.einsum("...j,...ji->...i", gm, _cumprod_jacobian(x, d))
    return np.moveaxis(out, -1, d).astype(g.dtype)


def _cumprod_jvp(t, ans, xs, p):
    x = xs[0]
    if x.ndim == 0:
        return t
    d = p["dim"]
    if not (x == 0).any():
        # PyTorch's formula without zeros: cumsum(t / x) * result (its signed
        # zeros: -0 where the sum cancels and the result is negative)
        q = t / x
        acc = np.float64 if q.dtype == np.float32 else q.dtype
        return (np.cumsum(q, axis=d, dtype=acc).astype(q.dtype) * ans).astype(t.dtype)
    tm = np.moveaxis(t, d, -1).astype(np.float64)
    out = np.einsum("...ji,...i->...j", _cumprod_jacobian(x, d), tm)
    return np.moveaxis(out, -1, d).astype(t.dtype)


defop("cumprod", "CumprodBackward0", _cumprod_fwd, vjp=(_cumprod_vjp,), jvp=(_cumprod_jvp,),
      saved=("0r",), formula=("d cumprod(x)_j/dx_i = product of x_0..x_j but x_i (i <= j)",),
      symbol="cumprod", dtype_rule=SAME)
