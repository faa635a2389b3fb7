"""More elementwise ops of two or three operands: div with a rounding mode,
fmod, lerp, addcmul, addcdiv, hypot, logit, xlogy, copysign, heaviside.
Argument checks are in elt_fns.py; these take what it has checked.
"""
from __future__ import annotations

import numpy as np

from ..sleef import _fma
from .elementwise import _int_divisor_check, passthrough
from .registry import FLOAT, bcast_check, defop, no_derivative


def _is_tensor(v) -> bool:
    from ..tensor import Tensor
    return isinstance(v, Tensor)


def _zeros(g, ans, xs, p):
    """A gradient of zeros (of the result's shape: unbroadcast sums it)."""
    return np.zeros(np.shape(ans), ans.dtype)


def _zero_tangent(t, ans, xs, p):
    return np.zeros(np.shape(ans), ans.dtype)


def _div_mode_fwd(xs, p):
    a, b = xs
    if p["rounding_mode"] == "floor":
        return np.floor_divide(a, b)      # Python's (and PyTorch's) floor division
    if np.result_type(a, b).kind in "iub":
        q = np.floor_divide(a, b)
        # towards zero: one more where the signs differ and the division is not exact
        return np.where((np.remainder(a, b) != 0) & ((np.asarray(a) < 0) != (np.asarray(b) < 0)),
                        q + 1, q).astype(q.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.trunc(a / b)


# NOTE: PyTorch's DivBackward2: a rounded quotient is a step function, its
# gradient zero for both operands
defop("div_mode", "DivBackward2", _div_mode_fwd, vjp=(_zeros, _zeros),
      jvp=(_zero_tangent, _zero_tangent), formula=("d div(a, b, rounding_mode)/da = 0",
                                                   "d div(a, b, rounding_mode)/db = 0"),
      symbol="div", saves=False, check=_int_divisor_check, common_dtype=True)


def _fmod_grad_fn(t):
    return "FmodBackward1" if _is_tensor(t.args[1]) else "FmodBackward0"


def _fmod_fwd(xs, p):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.fmod(xs[0], xs[1])


def _fmod_other(g, ans, xs, p):
    """PyTorch's -grad * self.div(other, rounding_mode='trunc')."""
    return -g * _div_mode_fwd(xs, {"rounding_mode": "trunc"})


defop("fmod", _fmod_grad_fn, _fmod_fwd, vjp=(passthrough, _fmod_other),
      jvp=(lambda t, ans, xs, p: t, _fmod_other), saved=("", "01"), saved_order="10",
      formula=("d fmod(a,b)/da = 1", "d fmod(a,b)/db = -trunc(a/b)"),
      check=_int_divisor_check, common_dtype=True)


# ---- lerp, addcmul, addcdiv -----------------------------------------------------

def lerp_values(a, b, w):
    """PyTorch's lerp kernel: fmadd(w, b - a, a) for |w| < 0.5, else
    fmadd(w - 1, b - a, b) (exact at both ends; fused in float32)."""
    diff = b - a
    small = np.abs(w) < 0.5
    coeff = np.where(small, w, w - 1).astype(diff.dtype)
    base = np.where(small, a, b)
    if diff.dtype == np.float32:
        return _fma(coeff, diff, base)
    return coeff * diff + base


def _lerp_fwd(xs, p):
    a, b, w = xs
    return np.asarray(lerp_values(a, b, w))


def _lerp_grad_fn(t):
    return "LerpBackward1" if _is_tensor(t.args[2]) else "LerpBackward0"


defop("lerp", _lerp_grad_fn, _lerp_fwd,
      vjp=(lambda g, ans, xs, p: g * (1 - xs[2]), lambda g, ans, xs, p: g * xs[2],
           lambda g, ans, xs, p: g * (xs[1] - xs[0])),
      jvp=(lambda t, ans, xs, p: t * (1 - xs[2]), lambda t, ans, xs, p: t * xs[2],
           lambda t, ans, xs, p: t * (xs[1] - xs[0])),
      saved=("2", "2", "01"), saved_order="102",
      formula=("d lerp(a,b,w)/da = 1 - w", "d lerp(a,b,w)/db = w", "d lerp(a,b,w)/dw = b - a"),
      check=bcast_check)


def _addc_fwd(div: bool):
    def fwd(xs, p):
        a, t1, t2 = xs
        v = p.get("value", 1)
        if div:                 # (left to right, as PyTorch's kernel: (v t1) / t2)
            return a + v * t1 / t2
        scaled = v * t1
        if np.result_type(a, scaled, t2) == np.float32:     # fmadd(v t1, t2, a)
            return _fma(scaled, t2, a)
        return a + scaled * t2
    return fwd


defop("addcmul", "AddcmulBackward0", _addc_fwd(False),
      vjp=(passthrough, lambda g, ans, xs, p: g * xs[2] * p.get("value", 1),
           lambda g, ans, xs, p: g * xs[1] * p.get("value", 1)),
      jvp=(lambda t, ans, xs, p: t, lambda t, ans, xs, p: t * xs[2] * p.get("value", 1),
           lambda t, ans, xs, p: t * xs[1] * p.get("value", 1)),
      saved=("", "2", "1"), saved_order="12", formula=("d addcmul(a,t1,t2,value=v)/da = 1", "d/dt1 = v t2",
                                     "d/dt2 = v t1"), check=bcast_check)

defop("addcdiv", "AddcdivBackward0", _addc_fwd(True),
      vjp=(passthrough, lambda g, ans, xs, p: g * (p.get("value", 1) / xs[2]),
           lambda g, ans, xs, p: -g * (p.get("value", 1) * xs[1] / xs[2]) / xs[2]),
      jvp=(lambda t, ans, xs, p: t, lambda t, ans, xs, p: t * (p.get("value", 1) / xs[2]),
           lambda t, ans, xs, p: -t * (p.get("value", 1) * xs[1] / xs[2]) / xs[2]),
      saved=("", "2", "12"), saved_order="12", formula=("d addcdiv(a,t1,t2,value=v)/da = 1", "d/dt1 = v/t2",
                                      "d/dt2 = -v t1/t2^2"), check=bcast_check)


# ---- hypot, logit, xlogy, copysign ----------------------------------------------

defop("hypot", "HypotBackward0", lambda xs, p: np.hypot(xs[0], xs[1]),
      vjp=(lambda g, ans, xs, p: g * xs[0] / ans, lambda g, ans, xs, p: g * xs[1] / ans),
      jvp=(lambda t, ans, xs, p: t * (xs[0] / ans), lambda t, ans, xs, p: t * (xs[1] / ans)),
      saved=("0r", "1r"), saved_order="10r", formula=("d hypot(a,b)/da = a/hypot", "d hypot(a,b)/db = b/hypot"),
      check=bcast_check, common_dtype=True)


def _logit_fwd(xs, p):
    x = xs[0]
    eps = p.get("eps")
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = x / (1 - x)
        # (log rounded once, as the C library's logf; numpy's float32 log is not)
        return np.log(ratio.astype(np.float64)).astype(ratio.dtype)


def _logit_vjp(g, ans, xs, p):
    """g / (x (1 - x)); with eps, 0 outside [eps, 1 - eps] (NaN for no eps
    outside [0, 1], as PyTorch's)."""
    x = xs[0]
    eps = p.get("eps")
    with np.errstate(divide="ignore", invalid="ignore"):
        d = g / (x * (1 - x))
    if eps is None:
        return np.where((x < 0) | (x > 1), np.nan, d).astype(d.dtype)
    return np.where((x < eps) | (x > 1 - eps), 0, d).astype(d.dtype)


defop("logit", "LogitBackward0", _logit_fwd, vjp=(_logit_vjp,), jvp=(_logit_vjp,), saved=("0",),
      formula=("d logit(x)/dx = 1/(x(1-x)) (0 outside [eps, 1-eps])",), dtype_rule=FLOAT)


def _log(y):
    """log rounded once to y's float dtype (as the C library's logf)."""
    y = np.asarray(y)
    if y.dtype == np.float32:
        return np.log(y.astype(np.float64)).astype(np.float32)
    return np.log(y)


def _xlogy_fwd(xs, p):
    x, y = xs
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * _log(y)
    # 0 where x is 0, unless y is NaN
    return np.where((np.asarray(x) == 0) & ~np.isnan(y), 0, out).astype(np.result_type(out))


def _xlogy_grad_fn(t):
    a, b = t.args
    if _is_tensor(a) and _is_tensor(b):
        return "XlogyBackward0"
    return "XlogyBackward1" if _is_tensor(b) else "XlogyBackward2"


def _xlogy_self(g, ans, xs, p):
    """PyTorch's at::xlogy(grad, other).masked_fill((self == 0) & (other <= 0), 0):
    a zero grad gives 0 even where log(other) is NaN, and x = 0 gets log(other)."""
    x, y = xs
    out = _xlogy_fwd([np.asarray(g, np.result_type(ans)), y], p)
    with np.errstate(invalid="ignore"):
        return np.where((np.asarray(x) == 0) & (np.asarray(y) <= 0), 0, out).astype(out.dtype)


def _xlogy_other(g, ans, xs, p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return g * xs[0] / xs[1]


defop("xlogy", _xlogy_grad_fn, _xlogy_fwd, vjp=(_xlogy_self, _xlogy_other),
      jvp=(_xlogy_self, _xlogy_other), saved=("01", "01"), saved_order="10",
      formula=("d xlogy(x,y)/dx = log(y) (0 where x = 0 and y <= 0)", "d xlogy(x,y)/dy = x/y"),
      dtype_rule=FLOAT, check=bcast_check, common_dtype=True)


def _copysign_grad_fn(t):
    return "CopysignBackward0" if _is_tensor(t.args[1]) else "CopysignBackward1"


def _copysign_self(g, ans, xs, p):
    """PyTorch's grad * (result / self), 0 where self is 0."""
    x = xs[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(x == 0, 0, ans / x)
    return (g * ratio).astype(g.dtype)


defop("copysign", _copysign_grad_fn, lambda xs, p: np.copysign(xs[0], xs[1]),
      vjp=(_copysign_self, _zeros), jvp=(_copysign_self, _zero_tangent), saved=("0r", ""),
      formula=("d copysign(a,b)/da = sign(a) sign(b)", "d copysign(a,b)/db = 0"),
      dtype_rule=FLOAT, check=bcast_check, common_dtype=True)


def _heaviside(xs, p):
    x, values = xs
    return np.where(x == 0, values, (x > 0).astype(x.dtype)).astype(np.result_type(x, values))


defop("heaviside", forward=_heaviside, check=bcast_check, **no_derivative("heaviside"))
