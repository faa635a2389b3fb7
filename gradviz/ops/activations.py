"""More activations: gelu, silu, mish, hardtanh (relu6), logsigmoid,
hardsigmoid, hardswish, softshrink, hardshrink. (softsign and tanhshrink
are composed of other ops, as PyTorch composes them: functions.py.)

Each is one node with PyTorch's grad_fn, its forward and backward written
as PyTorch's CPU kernels (Activation.cpp, GeluKernel.cpp) compute them in
float32, step by step: exp is SLEEF's on the vectors of the loop and the C
library's on its last numbers (gradviz.sleef), so silu, hardsigmoid,
hardswish and gelu(approximate='tanh') give PyTorch's bits; tanh, log1p and
erf are rounded from float64 (within an ulp of PyTorch's). gelu's exact
form on arrays is oneDNN's in PyTorch, whose erf gradviz does not copy:
about a third of its float32 values differ from PyTorch's in the last bit.
"""
from __future__ import annotations

import math

import numpy as np

from .. import sleef
from ..capability import capability
from .elementwise import _clamp_fwd, zero_where
from .registry import FLOAT, PROMOTE, defop

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_erf = np.frompyfunc(math.erf, 1, 1)


def _wide(f64):
    """f64 in float64, rounded to the array's dtype."""
    return lambda x: np.asarray(f64(np.asarray(x, _F64)), _F64).astype(x.dtype)


_tanh_r, _log1p_r = _wide(np.tanh), _wide(np.log1p)
_erf_r = _wide(_erf)


def _libm(name, wide):
    return lambda x: sleef.libm_map(name, x, wide) if x.dtype == _F32 else wide(x)


_tanh_c, _log1p_c, _erf_c = (_libm("tanhf", _tanh_r), _libm("log1pf", _log1p_r),
                             _libm("erff", _erf_r))


def _exp_v(x):
    return sleef.expf(x) if x.dtype == _F32 else np.exp(x)


def _exp_c(x):
    return sleef.scalar_expf(x) if x.dtype == _F32 else np.exp(x)


def _loop(x, vec, scalar):
    """PyTorch's cpu_kernel_vec: vec on the loop's vectors, scalar on its
    last numbers (and a 0-d tensor's one); x alone, or a tuple of arrays of
    one shape (they are split alike)."""
    if isinstance(x, tuple):
        shape = x[0].shape
        cols = np.stack([np.asarray(a).reshape(-1) for a in x])
        if x[0].dtype != _F32:
            return vec(*cols).reshape(shape)
        out = np.empty(cols.shape[1], _F32)
        for lo, hi in sleef._parts(cols.shape[1], sleef.LOOP_GRAIN):
            tail = hi - (hi - lo) % (2 * sleef.vector())
            if tail > lo:
                out[lo:tail] = vec(*cols[:, lo:tail])
            if hi > tail:
                out[tail:hi] = scalar(*cols[:, tail:hi])
        return out.reshape(shape)
    x = np.asarray(x)
    if x.dtype != _F32:
        return vec(x)
    if x.ndim == 0:
        return scalar(x.reshape(1)).reshape(())
    return sleef.vectorized_loop(x, vec, scalar)


def _one(x):
    return np.asarray(1, x.dtype)


def _c(v, x):
    """The constant v in x's dtype (PyTorch's scalar_t(v))."""
    return np.asarray(v, x.dtype)


def _unary(name, grad_fn, fwd, grad, formula):
    """An activation with no parameters: fwd(x), and grad(g, x) its VJP and
    JVP (PyTorch's backward kernel); it saves its input, as PyTorch's."""
    defop(name, grad_fn, lambda xs, p: fwd(xs[0]),
          vjp=(lambda g, ans, xs, p: grad(g, xs[0]),),
          jvp=(lambda t, ans, xs, p: grad(t, xs[0]),),
          saved=("0",), formula=(formula,), symbol=name, dtype_rule=FLOAT)


# ---- silu, mish: x sigmoid(x), x tanh(softplus(x)) ----------------------------

def _silu_fwd(exp):
    return lambda x: x / (_one(x) + exp(-x))


def _sigmoid(exp):
    return lambda x: _one(x) / (_one(x) + exp(-x))


def _fma(a, b, c):
    """a * b + c rounded once, as the compiler contracts PyTorch's
    backward kernels (float64 stays a multiply and an add)."""
    return sleef._fma(a, b, c) if np.result_type(a, b, c) == _F32 else a * b + c


def _silu_grad(exp):
    def grad(g, x):
        s = _sigmoid(exp)(x)
        return g * s * _fma(x, _one(x) - s, _one(x))
    return grad


_unary("silu", "SiluBackward0", lambda x: _loop(x, _silu_fwd(_exp_v), _silu_fwd(_exp_c)),
       lambda g, x: _pair(g, x, _silu_grad), "d silu(x)/dx = s (1 + x (1 - s)), s = sigmoid(x)")


def _pair(g, x, make):
    """A backward kernel make(exp)(g, x) run in PyTorch's loop over (g, x)."""
    g, x = np.broadcast_arrays(np.asarray(g, x.dtype), x)
    return _loop((g, x), make(_exp_v), make(_exp_c))


def _mish_fwd(exp, log1p, tanh):
    return lambda x: x * tanh(log1p(exp(x)))


def _mish_grad(exp):
    log1p, tanh = (_log1p_r, _tanh_r) if exp is _exp_v else (_log1p_c, _tanh_c)

    def grad(g, x):
        s = _sigmoid(exp)(x)
        ts = tanh(log1p(exp(x)))
        return g * _fma(x * s, _fma(-ts, ts, _one(x)), ts)
    return grad


_unary("mish", "MishBackward0",
       lambda x: _loop(x, _mish_fwd(_exp_v, _log1p_r, _tanh_r), _mish_fwd(_exp_c, _log1p_c, _tanh_c)),
       lambda g, x: _pair(g, x, _mish_grad),
       "d mish(x)/dx = t + x sigmoid(x) (1 - t^2), t = tanh(softplus(x))")


# ---- gelu: x Phi(x), or its tanh approximation ----------------------------------

def _gelu_fwd(x, p):
    if p.get("approximate", "none") == "tanh":
        return _loop(x, _gelu_tanh(_tanh_r), _gelu_tanh(_tanh_c))
    return _loop(x, _gelu_erf(_erf_r), _gelu_erf(_erf_c))


def _gelu_erf(erf):
    return lambda x: x * _c(0.5, x) * (_one(x) + erf(x * _c(math.sqrt(0.5), x)))


_BETA = math.sqrt(2) * (2 / math.sqrt(math.pi)) * 0.5
_KAPPA = 0.044715


def _gelu_tanh(tanh):
    def f(x):
        cube = x * x * x
        if x.dtype == _F32 and capability() == "avx2":
            # PyTorch's AVX2 build fuses x + kappa * x^3 (its AVX512 one
            # does not): matched on AVX2's scalar loop to the bit
            inner = _c(_BETA, x) * sleef._fma(_c(_KAPPA, x), cube, x)
        else:
            inner = _c(_BETA, x) * (x + _c(_KAPPA, x) * cube)
        return _c(0.5, x) * x * (_one(x) + tanh(inner))
    return f


def _gelu_grad(g, x, p):
    if p.get("approximate", "none") == "tanh":
        return _pair(g, x, lambda exp: _gelu_tanh_grad(_tanh_r if exp is _exp_v else _tanh_c))
    return _pair(g, x, lambda exp: _gelu_erf_grad(exp, _erf_r if exp is _exp_v else _erf_c))


def _gelu_erf_grad(exp, erf):
    def grad(g, x):
        cdf = _c(0.5, x) * (_one(x) + erf(x * _c(math.sqrt(0.5), x)))
        pdf = _c(2 / math.sqrt(math.pi) * math.sqrt(0.5) * 0.5, x) * exp(x * x * _c(-0.5, x))
        return g * (cdf + x * pdf)
    return grad


def _gelu_tanh_grad(tanh):
    def grad(g, x):
        beta, kappa = _c(_BETA, x), _c(_KAPPA, x)
        x_sq = x * x
        t = tanh(beta * _fma(kappa, x_sq * x, x))
        left, right = _c(0.5, x) * x, _one(x) + t
        inner_d = beta * _fma(_c(3, x) * kappa, x_sq, _one(x))
        return g * (_c(0.5, x) * right + left * _fma(-t, t, _one(x)) * inner_d)
    return grad


defop("gelu", "GeluBackward0", lambda xs, p: _gelu_fwd(xs[0], p),
      vjp=(lambda g, ans, xs, p: _gelu_grad(g, xs[0], p),),
      jvp=(lambda t, ans, xs, p: _gelu_grad(t, xs[0], p),),
      saved=("0",), formula=("d gelu(x)/dx = Phi(x) + x phi(x)",), symbol="gelu",
      dtype_rule=FLOAT)


# ---- logsigmoid: min(x, 0) - log1p(exp(-|x|)), on vectors only in PyTorch ------

def _logsigmoid_fwd(x):
    return np.minimum(x, _c(0, x)) - _log1p_r(_exp_v(-np.abs(x)))


def _logsigmoid_grad(g, x):
    """PyTorch's: (max_deriv - sign * z / (1 + z)) * g, z = exp(-|x|)."""
    z = _exp_v(-np.abs(x))
    neg = x < 0
    max_deriv = neg.astype(x.dtype)
    sign = np.where(neg, _one(x), -_one(x))
    return (max_deriv - sign * (z / (_one(x) + z))) * g


_unary("logsigmoid", "LogSigmoidBackward0", _logsigmoid_fwd, _logsigmoid_grad,
       "d logsigmoid(x)/dx = 1 - sigmoid(x)")


# ---- the piecewise linear ones: their gradient is selected, not multiplied
# (+0 where it is cut, even for a negative or NaN gradient) ------------------------

def _hardtanh_cut(x, p):
    # NOTE: PyTorch cuts the gradient at the bounds themselves (relu6 at 0 and 6)
    return (x <= p.get("min", -1.0)) | (x >= p.get("max", 1.0))


defop("hardtanh", "HardtanhBackward0", lambda xs, p: _clamp_fwd(xs, p),
      vjp=(lambda g, ans, xs, p: zero_where(_hardtanh_cut(xs[0], p), g),),
      jvp=(lambda t, ans, xs, p: zero_where(_hardtanh_cut(xs[0], p), t),),
      saved=("0",), formula=("d hardtanh(x)/dx = [min < x < max]",), symbol="hardtanh",
      dtype_rule=PROMOTE)


def _hardsigmoid_fwd(x):
    return np.minimum(np.maximum(x + _c(3, x), _c(0, x)), _c(6, x)) / _c(6, x)


def _hardsigmoid_grad(g, x):
    # NOTE: PyTorch: g / 6 strictly inside (-3, 3), as g * (1/6); 0 at -3 and 3
    inside = (x > -3) & (x < 3)
    return np.where(inside, g * _c(1 / 6, x), _c(0, x))


_unary("hardsigmoid", "HardsigmoidBackward0", _hardsigmoid_fwd, _hardsigmoid_grad,
       "d hardsigmoid(x)/dx = [-3 < x < 3] / 6")


def _hardswish_grad(g, x):
    # NOTE: PyTorch: 0 up to -3 (included), g (x/3 + 1/2) below 3, g from 3 on
    middle = g * (x / _c(3, x) + _c(0.5, x))
    return np.where(x <= -3, _c(0, x), np.where(x < 3, middle, g))


_unary("hardswish", "HardswishBackward0",
       lambda x: x * np.minimum(np.maximum(x + _c(3, x), _c(0, x)), _c(6, x)) / _c(6, x),
       _hardswish_grad, "d hardswish(x)/dx = 0, x/3 + 1/2, 1 (x <= -3, < 3, >= 3)")


def _shrink_cut(x, p):
    lambd = p.get("lambd", 0.5)
    return (x >= -lambd) & (x <= lambd)


def _softshrink_fwd(x, p):
    lambd = _c(p.get("lambd", 0.5), x)
    # x * 0 inside: -0. for a negative x, as PyTorch's kernel gives
    return np.where(x > lambd, x - lambd, np.where(x < -lambd, x + lambd, x * _c(0, x)))


for _name, _grad_fn, _fwd, _formula in (
        ("softshrink", "SoftshrinkBackward0", _softshrink_fwd,
         "d softshrink(x)/dx = [|x| > lambd]"),
        ("hardshrink", "HardshrinkBackward0",
         lambda x, p: zero_where(_shrink_cut(x, p), x), "d hardshrink(x)/dx = [|x| > lambd]")):
    defop(_name, _grad_fn, (lambda f: lambda xs, p: f(xs[0], p))(_fwd),
          vjp=(lambda g, ans, xs, p: zero_where(_shrink_cut(xs[0], p), g),),
          jvp=(lambda t, ans, xs, p: zero_where(_shrink_cut(xs[0], p), t),),
          saved=("0",), formula=(_formula,), symbol=_name, dtype_rule=FLOAT)
