"""Ops on a float's representation: nextafter (the next float towards
another), ldexp (x * 2**e) and frexp's mantissa, with derivatives.yaml's
rules. Argument checks are in float_fns.py.
"""
from __future__ import annotations

import numpy as np

from .elementwise import _power
from .registry import SAME, bcast_check, defop

LN2 = 0.6931471805599453          # (derivatives.yaml's M_LN2)


# ---- nextafter(x, other): x where it equals other, else one ulp towards it

def _moved(g, ans, xs, p):
    """where(self != other, grad, 0): the gradient passes where x moved."""
    return np.where(xs[0] != xs[1], g, 0).astype(g.dtype)


defop("nextafter", "NextafterBackward0", lambda xs, p: np.nextafter(xs[0], xs[1]),
      vjp=(_moved, lambda g, ans, xs, p: np.zeros_like(g)),
      jvp=(_moved, lambda t, ans, xs, p: np.zeros_like(ans)),
      saved=("01", ""), check=bcast_check, common_dtype=True,
      formula=("d nextafter(a,b)/da = [a != b]", "d nextafter(a,b)/db = 0"))


# ---- ldexp(x, e) = x * 2**e --------------------------------------------------

def _two_to(e):
    """pow(2.0, e) as PyTorch computes it for ldexp: in e's dtype if it is
    a float, else in float32 (the number 2.0 does not widen it)."""
    e = np.asarray(e)
    dt = e.dtype if e.dtype.kind == "f" else np.dtype(np.float32)
    return np.asarray(_power(dt.type(2), e.astype(dt)), dt)


def _ldexp_fwd(xs, p):
    """x * pow(2.0, e) in the float dtype of the two (an integer x takes
    the power's)."""
    x, power = np.asarray(xs[0]), _two_to(xs[1])
    dt = np.promote_types(x.dtype, power.dtype) if x.dtype.kind == "f" else power.dtype
    return np.asarray(x.astype(dt) * power.astype(dt))


defop("ldexp", "LdexpBackward0", _ldexp_fwd,
      vjp=(lambda g, ans, xs, p: g * _two_to(xs[1]),
           lambda g, ans, xs, p: g * ans * g.dtype.type(LN2)),
      jvp=(lambda t, ans, xs, p: (t * _two_to(xs[1])).astype(ans.dtype),
           lambda t, ans, xs, p: (t * ans * ans.dtype.type(LN2)).astype(ans.dtype)),
      # (PyTorch saves the result whichever input requires grad)
      saved=("1r", "r"), check=bcast_check, dtype_rule=SAME,
      formula=("d ldexp(x,e)/dx = 2^e", "d ldexp(x,e)/de = ldexp(x,e) ln 2"))


# ---- frexp(x): the mantissa in [0.5, 1), x = mantissa * 2**exponent ----------

def exponent(x):
    """frexp's exponent, as PyTorch's int32 tensor (0 for 0, inf and NaN)."""
    return np.frexp(x)[1].astype(np.int32)


def _by_exp2(g, ans, xs, p):
    """grad / exponent.exp2(): the int32 exponent's exp2 is float32 (inf past
    its range, as PyTorch's)."""
    with np.errstate(over="ignore", divide="ignore"):
        return (g / np.exp2(exponent(xs[0]).astype(np.float32))).astype(g.dtype)


defop("frexp", "FrexpBackward0", lambda xs, p: np.frexp(xs[0])[0],
      vjp=(_by_exp2,), jvp=(_by_exp2,), dtype_rule=SAME,
      # (PyTorch saves the exponent, not x: its rule reads x as it was made)
      saved=("",), reads_unsaved=True,
      formula=("d mantissa/dx = 2^-exponent",))
