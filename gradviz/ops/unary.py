"""More unary math functions: tan, the inverse and hyperbolic functions,
log1p, expm1, exp2, reciprocal, rsqrt, erf and its kin, the roundings
(floor, ceil, round, trunc, frac, sign), clamp_min/clamp_max, nan_to_num,
and atan2.

Float32 values as PyTorch's kernels give them, where that is known:
  - most (tan, atan, asin, acos, log1p, expm1, erf, erfc, erfinv) are MKL's
    VML or SLEEF in PyTorch, within an ulp of the true value: computed in
    float64 and rounded (measured against PyTorch 2.13 on 200,000 inputs
    each: 0.02% to 9% of the values differ in the last bit);
  - sinh, cosh, atanh and exp2 run SLEEF on vectors and the C library
    (std::sinh) on a loop's last numbers and on 0-d tensors: those numbers
    from the C library itself (to the bit), the others rounded as above;
  - asinh and acosh are the C library's on every number (no vector form).
Gradients follow PyTorch's formulas step by step in the tensor's dtype
(derivatives.yaml), so their roundings are PyTorch's too.
"""
from __future__ import annotations

import math

import numpy as np

from .. import sleef
from .elementwise import _clamp_fwd, _clamp_mask, exp, keep_where
from .registry import FLOAT, PROMOTE, SAME, bcast_check, defop

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
# float32 arrays up to this size take the C library's numbers where PyTorch
# does (a call per number: 0.3 us each); bigger ones are rounded from float64
LIBM_MAX = 1 << 16


def _rounded(f64):
    """f64 (a float64 function) on float32 as a correctly rounded kernel
    gives it; float64 as is; integers and bools (whose result is float32,
    the dtype rule's cast) in float64."""
    def f(x):
        x = np.asarray(x)
        if x.dtype == _F32:
            return np.asarray(f64(x.astype(_F64)), _F64).astype(_F32)
        return np.asarray(f64(x if x.dtype == _F64 else x.astype(_F64)), _F64)
    return f


def _sleef_and_libm(f64, cname: str):
    """PyTorch's cpu_kernel_vec loop: SLEEF (here: rounded from float64) on
    its vectors, the C library's cname on the rest and on a 0-d tensor."""
    wide = _rounded(f64)

    def tail(v):
        return sleef.libm_map(cname, v, wide)

    def f(x):
        x = np.asarray(x)
        if x.dtype == _F32 and x.size <= LIBM_MAX:
            return tail(x) if x.ndim == 0 else sleef.vectorized_loop(x, wide, tail)
        return wide(x)
    return f


def _libm(f64, cname: str):
    """The C library's cname on every float32 number (PyTorch's scalar loop)."""
    wide = _rounded(f64)

    def f(x):
        x = np.asarray(x)
        if x.dtype == _F32 and x.size <= LIBM_MAX:
            return sleef.libm_map(cname, x, wide)
        return wide(x)
    return f


_erf = np.frompyfunc(math.erf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _erf64(x):
    return np.asarray(_erf(x), _F64)


def _erfc64(x):
    return np.asarray(_erfc(x), _F64)


def _erfinv64(y):
    """erfinv in float64: Winitzki's approximation (0.2% off), then Newton's
    method on erf; +-inf at +-1, NaN beyond."""
    y = np.asarray(y, _F64)
    a = 0.147
    with np.errstate(all="ignore"):
        ln = np.log((1 - y) * (1 + y))
        b = 2 / (math.pi * a) + ln / 2
        x = np.sign(y) * np.sqrt(np.sqrt(b * b - ln / a) - b)
        for _ in range(4):
            step = (_erf64(x) - y) / (2 / math.sqrt(math.pi) * np.exp(-x * x))
            x = np.where(np.isfinite(step), x - step, x)
    x = np.where(np.abs(y) == 1, np.copysign(np.inf, y), x)
    return np.where(np.abs(y) > 1, np.nan, x)


tan = _rounded(np.tan)
atan = _rounded(np.arctan)
asin = _rounded(np.arcsin)
acos = _rounded(np.arccos)
sinh = _sleef_and_libm(np.sinh, "sinhf")
cosh = _sleef_and_libm(np.cosh, "coshf")
atanh = _sleef_and_libm(np.arctanh, "atanhf")
asinh = _libm(np.arcsinh, "asinhf")
acosh = _libm(np.arccosh, "acoshf")
log1p = _rounded(np.log1p)
expm1 = _rounded(np.expm1)
exp2 = _sleef_and_libm(np.exp2, "exp2f")
erf = _rounded(_erf64)
erfc = _rounded(_erfc64)
erfinv = _rounded(_erfinv64)


def _rsqrt(x):
    """1 / sqrt(x), two roundings, as PyTorch's kernel (Vectorized::rsqrt)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        x = x.astype(_F32)
    return 1 / np.sqrt(x)


def _reciprocal(x):
    x = np.asarray(x)
    return 1 / (x if x.dtype.kind == "f" else x.astype(_F32))


def _op(name, grad_fn, fwd, grad, formula, saved=("0",), dtype_rule=FLOAT, params=False,
        **kw):
    """A unary op whose VJP and JVP are grad(g, x, y, p): the input's
    gradient (or tangent) as PyTorch's formula computes it. fwd(x), or with
    params fwd(x, p)."""
    defop(name, grad_fn, (lambda xs, p: fwd(xs[0], p)) if params else (lambda xs, p: fwd(xs[0])),
          vjp=(lambda g, ans, xs, p: grad(g, xs[0], ans, p),),
          jvp=(lambda t, ans, xs, p: grad(t, xs[0], ans, p),),
          formula=(formula,), saved=saved, saves=bool(saved), dtype_rule=dtype_rule, **kw)


# (PyTorch's formulas, derivatives.yaml: `result` is y, `self` x)
_op("tan", "TanBackward0", tan, lambda g, x, y, p: g * (1 + y * y),
    "d tan(x)/dx = 1 + tan(x)^2", saved=("r",))
_op("atan", "AtanBackward0", atan, lambda g, x, y, p: g / (x * x + 1), "d atan(x)/dx = 1/(1 + x^2)")
_op("asin", "AsinBackward0", asin, lambda g, x, y, p: g * _rsqrt(1 - x * x),
    "d asin(x)/dx = 1/sqrt(1 - x^2)")
_op("acos", "AcosBackward0", acos, lambda g, x, y, p: g * -_rsqrt(1 - x * x),
    "d acos(x)/dx = -1/sqrt(1 - x^2)")
_op("sinh", "SinhBackward0", sinh, lambda g, x, y, p: g * cosh(x), "d sinh(x)/dx = cosh(x)")
_op("cosh", "CoshBackward0", cosh, lambda g, x, y, p: g * sinh(x), "d cosh(x)/dx = sinh(x)")
_op("asinh", "AsinhBackward0", asinh, lambda g, x, y, p: g * _rsqrt(x * x + 1),
    "d asinh(x)/dx = 1/sqrt(x^2 + 1)")
_op("acosh", "AcoshBackward0", acosh, lambda g, x, y, p: g * _rsqrt(x * x - 1),
    "d acosh(x)/dx = 1/sqrt(x^2 - 1)")
_op("atanh", "AtanhBackward0", atanh, lambda g, x, y, p: g / (1 - x * x),
    "d atanh(x)/dx = 1/(1 - x^2)")
_op("log1p", "Log1PBackward0", log1p, lambda g, x, y, p: g / (x + 1), "d log1p(x)/dx = 1/(1 + x)")
_op("expm1", "Expm1Backward0", expm1, lambda g, x, y, p: g * (y + 1),
    "d expm1(x)/dx = exp(x) = expm1(x) + 1", saved=("r",))
_op("exp2", "Exp2Backward0", exp2, lambda g, x, y, p: g * y * math.log(2),
    "d 2^x/dx = 2^x ln 2", saved=("r",))
_op("reciprocal", "ReciprocalBackward0", _reciprocal, lambda g, x, y, p: -g * (y * y),
    "d (1/x)/dx = -1/x^2", saved=("r",))
_op("rsqrt", "RsqrtBackward0", _rsqrt, lambda g, x, y, p: -0.5 * g * (y * y * y),
    "d x^(-1/2)/dx = -x^(-3/2)/2", saved=("r",))
_op("erf", "ErfBackward0", erf, lambda g, x, y, p: 2 / math.sqrt(math.pi) * exp(-(x * x)) * g,
    "d erf(x)/dx = 2/sqrt(pi) exp(-x^2)")
_op("erfc", "ErfcBackward0", erfc,
    lambda g, x, y, p: -2 / math.sqrt(math.pi) * exp(-(x * x)) * g,
    "d erfc(x)/dx = -2/sqrt(pi) exp(-x^2)")
_op("erfinv", "ErfinvBackward0", erfinv,
    lambda g, x, y, p: 0.5 * math.sqrt(math.pi) * exp(y * y) * g,
    "d erfinv(x)/dx = sqrt(pi)/2 exp(erfinv(x)^2)")



def _lgamma64(x):
    """log|Gamma(x)| per number (the C library's): inf at the poles (0 and
    the negative whole numbers), as PyTorch's."""
    def one(v):
        try:
            return math.lgamma(v)
        except ValueError:
            return math.inf
    x = np.asarray(x, _F64)
    return np.asarray(np.frompyfunc(one, 1, 1)(x), _F64).reshape(x.shape)


# PyTorch's calc_digamma (aten/src/ATen/native/Math.h): the recurrence up to
# 10, then the asymptotic series with these coefficients (Horner's order)
_PSI_10 = 2.25175258906672110764
_DIGAMMA_A = (8.33333333333333333333E-2, -2.10927960927960927961E-2,
              7.57575757575757575758E-3, -4.16666666666666666667E-3,
              3.96825396825396825397E-3, -8.33333333333333333333E-3,
              8.33333333333333333333E-2)


def digamma(x):
    """digamma as PyTorch's scalar kernel computes it, in the input's float
    dtype (float32 arithmetic for float32; lgamma's derivative)."""
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else _F32
    x = x.astype(dt)
    out = np.empty(x.shape, dt)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = x > 0
        out[pos] = _digamma_positive(x[pos], dt)
        neg = x < 0
        xn = x[neg]
        # the reflection, tan of pi times the fraction (more exact than of pi x)
        frac = np.modf(xn.astype(_F64))[0]
        reflected = _digamma_positive((1 - xn).astype(dt), dt) - \
            (np.pi / np.tan(np.pi * frac)).astype(dt)
        out[neg] = np.where(xn == np.trunc(xn), np.nan, reflected)
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])
        out[np.isnan(x)] = np.nan
    return out


def _digamma_positive(x, dt):
    x = x.copy()
    result = np.zeros(x.shape, dt)
    low = x < 10
    while low.any():
        result[low] -= dt.type(1) / x[low]
        x[low] += dt.type(1)
        low = x < 10
    z = dt.type(1) / (x * x)
    poly = np.zeros(x.shape, dt)
    for a in _DIGAMMA_A:
        poly = poly * z + dt.type(a)
    y = np.where(x < 1.0e17, z * poly, dt.type(0))
    series = result + np.log(x) - (dt.type(0.5) / x) - y
    return np.where(x == 10, result + dt.type(_PSI_10), series)


lgamma = _rounded(_lgamma64)
_op("lgamma", "LgammaBackward0", lgamma, lambda g, x, y, p: g * digamma(x),
    "d lgamma(x)/dx = digamma(x)")

# ---- steps: no gradient (zeros, even for a NaN or inf gradient: PyTorch's
# formula makes them, zeros_like(grad), it does not multiply) -----------------

def _zeros(g, x, y, p):
    return np.zeros_like(g)


def _sign(x):
    """(0 < x) - (x < 0): +0 for -0. and NaN, as PyTorch's (np.sign keeps
    NaN); a bool tensor is its own sign."""
    x = np.asarray(x)
    if x.dtype.kind == "b":
        return x.copy()
    return ((x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)).astype(x.dtype, copy=False)


def _round(x, p):
    """Half to even (nearbyint); with decimals, PyTorch's steps in the
    tensor's dtype: rint(x * 10^d) / 10^d (d < 0: rint(x / 10^-d) * 10^-d)."""
    decimals = p.get("decimals", 0)
    if not decimals:
        return np.rint(x)
    scale = np.asarray(10.0 ** abs(decimals), x.dtype)
    if decimals < 0:
        return np.rint(x / scale) * scale
    return np.rint(x * scale) / scale


_STEP = "d/dx = 0 (a step function: PyTorch's gradient is 0 everywhere)"
for _name, _grad_fn, _fwd in (("sign", "SignBackward0", _sign), ("sgn", "SgnBackward0", _sign),
                              ("floor", "FloorBackward0", np.floor),
                              ("ceil", "CeilBackward0", np.ceil),
                              ("trunc", "TruncBackward0", np.trunc)):
    _op(_name, _grad_fn, _fwd, _zeros, _STEP, saved=(), dtype_rule=PROMOTE)
# torch.poisson of rates that require grad: the counts drawn before (rng_fns),
# PoissonBackward0 sending the rates a zero gradient, as PyTorch's
_op("poisson", "PoissonBackward0", lambda x, p: p["counts"], _zeros,
    "d poisson(rate)/d rate = 0 (PyTorch's: a draw has no gradient)", saved=(),
    dtype_rule=SAME, params=True)
_op("round", lambda t: "RoundBackward1" if "decimals" in t.params else "RoundBackward0",
    _round, _zeros, _STEP, saved=(), dtype_rule=PROMOTE, params=True)
_op("frac", "FracBackward0", lambda x: x - np.trunc(x), lambda g, x, y, p: g,
    "d frac(x)/dx = 1", saved=())


# ---- clamp_min, clamp_max, nan_to_num ------------------------------------------

# NOTE: PyTorch passes the gradient at the bound (x >= min), not below it
_op("clamp_min", "ClampMinBackward0", lambda x, p: _clamp_fwd([x], p),
    lambda g, x, y, p: keep_where(_clamp_mask(x, p), g), "d clamp_min(x)/dx = [x >= min]",
    dtype_rule=PROMOTE, params=True)
_op("clamp_max", "ClampMaxBackward0", lambda x, p: _clamp_fwd([x], p),
    lambda g, x, y, p: keep_where(_clamp_mask(x, p), g), "d clamp_max(x)/dx = [x <= max]",
    dtype_rule=PROMOTE, params=True)


def _nan_to_num(x, p):
    if x.dtype.kind != "f":
        return x.copy()
    info = np.finfo(x.dtype)
    posinf, neginf = p.get("posinf"), p.get("neginf")
    return np.nan_to_num(x, nan=p.get("nan", 0.0),
                         posinf=info.max if posinf is None else posinf,
                         neginf=info.min if neginf is None else neginf)


# NOTE: PyTorch's grad * isfinite(x): a multiply (a NaN gradient stays NaN)
_op("nan_to_num", "NanToNumBackward0", _nan_to_num,
    lambda g, x, y, p: g * np.isfinite(x), "d nan_to_num(x)/dx = [x is finite]",
    dtype_rule=PROMOTE, params=True)


# ---- atan2 ----------------------------------------------------------------------

def _atan2_grads(g, a, b):
    """PyTorch's atan2_backward: recip = 1 / (a^2 + b^2), 0 where a = b = 0;
    g b recip, -g a recip."""
    total = a * a + b * b
    with np.errstate(divide="ignore"):
        recip = np.where(total == 0, 0, 1 / total).astype(np.result_type(total))
    return g * b * recip, g * -a * recip


def _atan2_fwd(xs, p):
    """atan2 in float64, rounded for float32 (SLEEF's, within an ulp)."""
    a, b = xs
    if a.dtype == _F32 and b.dtype == _F32:
        return np.arctan2(a.astype(_F64), b.astype(_F64)).astype(_F32)
    return np.arctan2(a, b)


defop("atan2", "Atan2Backward0", _atan2_fwd,
      vjp=(lambda g, ans, xs, p: _atan2_grads(g, *xs)[0],
           lambda g, ans, xs, p: _atan2_grads(g, *xs)[1]),
      jvp=(lambda t, ans, xs, p: _atan2_grads(t, *xs)[0],
           lambda t, ans, xs, p: _atan2_grads(t, *xs)[1]),
      saved=("01", "01"), saved_order="10", formula=("d atan2(a,b)/da = b/(a^2+b^2)",
                                   "d atan2(a,b)/db = -a/(a^2+b^2)"),
      dtype_rule=FLOAT, check=bcast_check, common_dtype=True)
