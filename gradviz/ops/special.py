"""torch.special's functions that are one node in PyTorch: logaddexp,
logaddexp2, sinc, digamma, polygamma, i0 (and i1, its derivative) and entr.

Values are computed in float64 and rounded to the input's float dtype (a
correctly rounded kernel's result; PyTorch's float32 kernels can differ in
the last bit). Gradients follow PyTorch's formulas (derivatives.yaml).
"""
from __future__ import annotations

import math

import numpy as np

from ..errors import RUNTIME, GradvizError
from .elementwise import BOOL_SUB_MESSAGE
from .registry import FLOAT, bcast_check, defop
from .unary import digamma as _digamma

_F64 = np.dtype(np.float64)
_LN2 = math.log(2.0)
# the Euler-Maclaurin coefficients of Cephes' Hurwitz zeta (PyTorch's zeta)
_ZETA_A = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9,
           7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14,
           -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18)
_MACHEP = 1.11022302462515654042e-16
I0_TERMS = 500          # power series terms of i0/i1 at most (enough below overflow)


def _float_dtype(*xs):
    kinds = [np.asarray(x).dtype for x in xs if np.asarray(x).dtype.kind == "f"]
    return np.result_type(*kinds) if kinds else np.dtype(np.float32)


def _per_number(f64, x):
    """f64(v) of each number of x (float64 math), rounded to x's float dtype."""
    x = np.asarray(x)
    dt = _float_dtype(x)
    wide = x.astype(_F64)
    out = np.frompyfunc(f64, 1, 1)(wide) if wide.ndim else f64(float(wide))
    return np.asarray(out, _F64).astype(dt)


# ---- logaddexp, logaddexp2 ---------------------------------------------------

def _logaddexp(xs, p, base2=False):
    a, b = np.asarray(xs[0]), np.asarray(xs[1])
    dt = _float_dtype(a, b)
    a64, b64 = np.broadcast_arrays(a.astype(_F64), b.astype(_F64))
    with np.errstate(over="ignore", invalid="ignore"):
        m = np.maximum(a64, b64)
        d = -np.abs(a64 - b64)
        out = m + (np.log1p(np.exp2(d)) / _LN2 if base2 else np.log1p(np.exp(d)))
        # (both -inf or both +inf: that infinity, not NaN, as PyTorch's)
        out = np.where(np.isinf(a64) & (a64 == b64), a64, out)
    return out.astype(dt)


def _lae_grad(i, base2):
    """PyTorch's grad / (1 + exp(other - self)) (pow(2, ...) for logaddexp2).
    A bool tensor operand reaches it uncast (OpDef.uncast_bool): PyTorch's
    subtraction refuses it, so such a gradient fails as there."""
    def rule(g, ans, xs, p):
        if any(v.__class__ is np.ndarray and v.dtype.kind == "b" for v in xs):
            raise GradvizError(BOOL_SUB_MESSAGE, kind=RUNTIME,
                               hint="make the bool tensor a float one first: m.float()")
        a, b = np.asarray(xs[i]), np.asarray(xs[1 - i])
        dt = np.result_type(g)
        with np.errstate(over="ignore"):
            diff = (b - a).astype(dt)
            e = np.exp2(diff) if base2 else np.exp(diff)
        return g / (1 + e)
    return rule


for _name, _base2 in (("logaddexp", False), ("logaddexp2", True)):
    _gf = "Logaddexp2Backward0" if _base2 else "LogaddexpBackward0"
    _form = "2^a/(2^a + 2^b)" if _base2 else "e^a/(e^a + e^b)"
    defop(_name, _gf, (lambda b2: lambda xs, p: _logaddexp(xs, p, b2))(_base2),
          vjp=(_lae_grad(0, _base2), _lae_grad(1, _base2)),
          jvp=(_lae_grad(0, _base2), _lae_grad(1, _base2)),
          saved=("0", "1"), formula=(f"d {_name}(a,b)/da = {_form}", f"d {_name}(a,b)/db = "
                                     + _form.replace("^a/", "^b/")),
          check=bcast_check, common_dtype=True, dtype_rule=FLOAT, uncast_bool=True)


# ---- sinc --------------------------------------------------------------------

def _sinc(xs, p):
    x = np.asarray(xs[0])
    dt = _float_dtype(x)
    x = x.astype(dt)
    with np.errstate(invalid="ignore", divide="ignore"):
        # (pi x in the input's dtype, as PyTorch's kernel: so sinc(2.) is
        # not 0 in float32 but the sine of float32 pi's error)
        px = dt.type(np.pi) * x
        out = np.sin(px.astype(_F64)).astype(dt) / px
    return np.where(x == 0, dt.type(1), out).astype(dt)


def _sinc_grad(g, ans, xs, p):
    """((pi x cos(pi x) - sin(pi x)) / (pi x^2)), 0 at x == 0."""
    x = np.asarray(xs[0]).astype(np.result_type(g))
    with np.errstate(invalid="ignore", divide="ignore"):
        px = np.pi * x.astype(_F64)
        d = ((px * np.cos(px) - np.sin(px)) / (np.pi * x.astype(_F64) ** 2)).astype(x.dtype)
    return g * np.where(x == 0, 0, d).astype(x.dtype)


defop("sinc", "SincBackward0", _sinc, vjp=(_sinc_grad,), jvp=(_sinc_grad,), saved=("0",),
      formula=("d sinc(x)/dx = (cos(pi x) - sinc(x)) / x (0 at 0)",), dtype_rule=FLOAT)


# ---- digamma, polygamma --------------------------------------------------------

def _trigamma64(x: float) -> float:
    """PyTorch's calc_trigamma (reflection below 1/2, six steps up, series)."""
    sign, result = 1.0, 0.0
    if x < 0.5:
        sign = -1.0
        s = math.sin(math.pi * x) if math.isfinite(x) else math.nan    # (C's sin(-inf): NaN)
        if s == 0:
            return math.inf
        result -= math.pi * math.pi / (s * s)
        x = 1 - x
    for _ in range(6):
        result += 1 / (x * x)
        x += 1
    ixx = 1 / (x * x)
    result += (1 + 1 / (2 * x) + ixx * (1 / 6 - ixx * (1 / 30 - ixx * (1 / 42)))) / x
    return sign * result


def _cpow(a: float, b: float) -> float:
    """a ** b as C's pow: inf where it overflows (Python raises)."""
    try:
        return a ** b
    except OverflowError:
        return math.inf


def _zeta64(s: float, q: float) -> float:
    """Hurwitz zeta(s, q) as Cephes (and PyTorch's zeta) computes it."""
    if s == 1:
        return math.inf
    if math.isinf(q):            # (C's arithmetic: floor(-inf) is -inf; inf ** -s sums to NaN)
        return math.inf if q < 0 else math.nan
    if q <= 0:
        if q == math.floor(q):
            return math.inf
        if s != math.floor(s):
            return math.nan     # (q not whole and s not whole: Cephes' domain error)
        # (q < 0 and s whole: Cephes sums on from q, as PyTorch's polygamma does)
    total = _cpow(q, -s)
    a, i, b = q, 0, 0.0
    while i < 9 or a <= 9:
        i += 1
        a += 1
        b = _cpow(a, -s)
        total += b
        if -_MACHEP * total < b < _MACHEP * total:      # (Cephes' test, by the sign of total)
            return total
    w = a
    total += b * w / (s - 1) - 0.5 * b
    a, k = 1.0, 0.0
    for coef in _ZETA_A:
        a *= s + k
        b /= w
        t = a * b / coef
        total += t
        if total != 0 and abs(t / total) < _MACHEP:     # (C: t / 0 is inf or NaN)
            break
        k += 1
        a *= s + k
        b /= w
        k += 1
    return total


def polygamma(n: int, x):
    """polygamma(n, x) in x's float dtype: digamma, trigamma, else
    (-1)^(n+1) n! zeta(n+1, x), as PyTorch's kernel."""
    if n == 0:
        return _digamma(x)
    if n == 1:
        return _per_number(_trigamma64, x)
    sign = -1.0 if n % 2 == 0 else 1.0
    # n! overflows a double past 170 (PyTorch's exp(lgamma(n + 1)) is inf
    # there too); math.factorial of a huge n would take minutes to compute
    fact = math.factorial(n) if n <= 170 else math.inf
    dtype = np.asarray(x).dtype
    if dtype == np.float32 and fact > 3.4028234663852886e38:
        fact = math.inf          # (PyTorch computes n! in the tensor's dtype: inf past 34!)
    return _per_number(lambda v: sign * fact * _zeta64(n + 1.0, v), x)


defop("digamma", "DigammaBackward0", lambda xs, p: _digamma(xs[0]),
      vjp=(lambda g, ans, xs, p: g * polygamma(1, xs[0]).astype(np.result_type(g)),),
      jvp=(lambda t, ans, xs, p: t * polygamma(1, xs[0]).astype(np.result_type(t)),),
      saved=("0",), formula=("d digamma(x)/dx = polygamma(1, x)",), dtype_rule=FLOAT)


def _polygamma_grad(g, ans, xs, p):
    return g * polygamma(p["n"] + 1, xs[0]).astype(np.result_type(g))


defop("polygamma", "PolygammaBackward0", lambda xs, p: polygamma(p["n"], xs[0]),
      vjp=(_polygamma_grad,), jvp=(_polygamma_grad,), saved=("0",),
      formula=("d polygamma(n, x)/dx = polygamma(n+1, x)",), dtype_rule=FLOAT)


# ---- i0, entr ------------------------------------------------------------------

def _bessel_i64(order: int):
    """I0 or I1 of one number by its power series (sum (x/2)^(2k+order) /
    (k! (k+order)!)), which converges for every x."""
    def f(x: float) -> float:
        if math.isnan(x):
            return math.nan
        if math.isinf(x):
            return math.inf if order == 0 or x > 0 else -math.inf
        half = x / 2
        term = half ** order / math.factorial(order)
        total = term
        q = half * half
        for k in range(1, I0_TERMS):
            term *= q / (k * (k + order))
            total += term
            if abs(term) < abs(total) * _MACHEP or math.isinf(total):
                break
        return total
    return f


_I0, _I1 = _bessel_i64(0), _bessel_i64(1)


def _i0_grad(g, ans, xs, p):
    return g * _per_number(_I1, xs[0]).astype(np.result_type(g))


defop("i0", "I0Backward0", lambda xs, p: _per_number(_I0, xs[0]),
      vjp=(_i0_grad,), jvp=(_i0_grad,), saved=("0",),
      formula=("d i0(x)/dx = i1(x)",), dtype_rule=FLOAT)


def _i1_grad(g, ans, xs, p):
    """PyTorch's i1_backward: i0(x) - i1(x) / x, 0.5 where |x| <= eps (its
    limit at 0)."""
    x = np.asarray(xs[0]).astype(np.result_type(g))
    eps = np.finfo(x.dtype).eps
    tiny = np.abs(x) <= eps
    safe = np.where(tiny, eps, x).astype(x.dtype)
    d = _per_number(_I0, safe) - ans * (1 / safe)
    return g * np.where(tiny, 0.5, d).astype(x.dtype)


# i0's derivative, recorded as a node of its own under create_graph=True
# (PyTorch's SpecialI1Backward0)
defop("special_i1", "SpecialI1Backward0", lambda xs, p: _per_number(_I1, xs[0]),
      vjp=(_i1_grad,), jvp=(_i1_grad,), saved=("0r",),
      formula=("d i1(x)/dx = i0(x) - i1(x)/x (1/2 at 0)",), symbol="special.i1",
      dtype_rule=FLOAT)


def _entr(xs, p):
    x = np.asarray(xs[0])
    dt = _float_dtype(x)
    x64 = x.astype(_F64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(x64 > 0, -x64 * np.log(np.where(x64 > 0, x64, 1)),
                       np.where(x64 == 0, 0.0, -np.inf))
    return np.where(np.isnan(x64), np.nan, out).astype(dt)


def _entr_grad(g, ans, xs, p):
    """grad * -(1 + log(x)) (PyTorch's formula: -inf at 0, NaN below)."""
    x = np.asarray(xs[0]).astype(np.result_type(g))
    with np.errstate(invalid="ignore", divide="ignore"):
        return g * -(1 + np.log(x.astype(_F64))).astype(x.dtype)


defop("entr", "SpecialEntrBackward0", _entr, vjp=(_entr_grad,), jvp=(_entr_grad,),
      saved=("0",), formula=("d entr(x)/dx = -(1 + log(x))",), dtype_rule=FLOAT)
