"""Elementwise ops: arithmetic, unary functions, comparisons.

Binary ops broadcast like NumPy; the engine sums a broadcast operand's
gradient back to its shape (registry.unbroadcast), so rules here ignore it.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import sleef
from ..errors import RUNTIME, TYPE, GradvizError
from ..rng import _fma64
from .registry import BOOL, FLOAT, bcast_check, defop, no_derivative


def _sigmoid(x):
    """PyTorch's kernel, 1 / (1 + exp(-x)): 0 where exp(-x) overflows (x below
    about -88 in float32), not the tiny number a "stable" formula gives. In
    float32 to the bit: PyTorch's loop (sleef.vectorized_loop) runs SLEEF's
    exp on the numbers in steps of two vectors and the C library's expf on
    the rest (a 0-d value's one number included); both are reproduced in
    gradviz.sleef."""
    if isinstance(x, np.ndarray) and x.dtype.kind != "f":
        x = x.astype(np.float32)      # sigmoid(int or bool tensor) is float, as in PyTorch
    if x.dtype == np.float32:
        if isinstance(x, np.ndarray) and x.ndim:
            if x.size <= EXACT_SIGMOID_MAX:
                return sleef.vectorized_loop(x, _sigmoid_vec, _sigmoid_scalar)
            with np.errstate(over="ignore"):   # (last bits as exp in float64, rounded)
                return 1 / (1 + np.exp(-np.asarray(x, np.float64)).astype(np.float32))
        y = _sigmoid_scalar(np.asarray(x))
        return y if isinstance(x, np.ndarray) else y[()]   # a numpy scalar in, one out
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


# float32 sigmoid arrays up to this size are PyTorch's to the bit (the port
# of SLEEF's exp costs about 8x numpy's exp: 32 ms for a million numbers);
# bigger ones as before, exp in float64, rounded (a few in a hundred of the
# values then differ from PyTorch's in the last bit)
EXACT_SIGMOID_MAX = 1 << 18


def _sigmoid_vec(x):
    """Vectorized<float>'s sigmoid: (exp(0 - x) + 1).reciprocal()."""
    return _ONE_F32 / (sleef.expf(-x) + _ONE_F32)


def _sigmoid_scalar(x):
    """The scalar op: 1 / (1 + std::exp(-x))."""
    return _ONE_F32 / (_ONE_F32 + sleef.scalar_expf(-x))


_ONE_F32 = np.float32(1)


# ---- binary arithmetic --------------------------------------------------

def passthrough(g, ans, xs, p):
    """The VJP of an input the op passes through unchanged: g itself (the
    reverse pass sends g without calling it, see autodiff.run_backward)."""
    return g


def _alpha(p):
    """add's and sub's alpha (other is scaled by it): 1 when not given."""
    return 1 if p is None else p.get("alpha", 1)


def _add_alpha(a, b, alpha):
    """a + alpha * b as PyTorch's CPU add kernel computes it: alpha in the
    result's dtype; in float32 and float64 a fused multiply-add (one
    rounding: measured bit for bit against PyTorch on random numbers, where
    two roundings differ in up to a fifth of them)."""
    if alpha == 1:
        return a + b
    dt = np.result_type(a, b)
    if dt == np.float32:
        return sleef._fma(np.float32(alpha), np.float32(b) if np.ndim(b) == 0 else b, a)
    if dt == np.float64:
        return _fma64(np.asarray(b, np.float64), float(alpha), a)
    if dt.kind == "b":          # (a bool alpha: logical, True is other itself)
        return a + b if alpha else a + np.zeros_like(b)
    # (alpha cast to the dtype as PyTorch's kernel does: -2 for uint8 wraps to 254)
    return a + np.asarray(alpha).astype(dt)[()] * b


def _alpha_check(xs, p):
    """PyTorch's alpha_check, after the shapes: alpha's kind against the
    result's dtype (a float alpha with an integer result, a bool one with
    a non-bool result)."""
    size = bcast_check(xs, p)
    if not p:                   # (the operators: no alpha, nothing more to check)
        return size
    alpha = _alpha(p)
    kind = np.result_type(*xs).kind
    if isinstance(alpha, bool) and kind != "b":
        raise GradvizError("Boolean alpha only supported for Boolean results.", kind=RUNTIME,
                           hint="give alpha as a number: alpha=1")
    if isinstance(alpha, float) and kind in "iub":
        raise GradvizError("For integral input tensors, argument alpha must not be a floating "
                           "point number.", kind=RUNTIME,
                           hint="an integer alpha (alpha=2), or a float tensor: x.float()")
    return size


def _scaled_by_alpha(g, ans, xs, p):
    """other's gradient: g * alpha (PyTorch's maybe_multiply: g itself for 1)."""
    if not p:                   # (the operators' a + b: no alpha, once per op of such a graph)
        return g
    alpha = _alpha(p)
    return g if alpha == 1 else g * g.dtype.type(alpha)


def _minus_scaled_by_alpha(g, ans, xs, p):
    return -_scaled_by_alpha(g, ans, xs, p)


defop("add", "AddBackward0", lambda xs, p: _add_alpha(xs[0], xs[1], _alpha(p)),
      vjp=(passthrough, _scaled_by_alpha),
      jvp=(lambda t, ans, xs, p: t, _scaled_by_alpha),
      formula=("d(a+b)/da = 1", "d(a+b)/db = 1"), symbol="+", saves=False, check=_alpha_check,
      formula_for=lambda p: ("d(a+alpha*b)/da = 1", f"d(a+alpha*b)/db = alpha = {_alpha(p)}"),
      scalar=operator.add, common_dtype=True)


def _sub_alpha(xs, p):
    """a - alpha * b: PyTorch's sub is its add kernel with -alpha."""
    alpha = _alpha(p)
    return xs[0] - xs[1] if alpha == 1 else _add_alpha(xs[0], xs[1], -alpha)


defop("sub", "SubBackward0", _sub_alpha,
      vjp=(passthrough, _minus_scaled_by_alpha),
      jvp=(lambda t, ans, xs, p: t, _minus_scaled_by_alpha),
      formula=("d(a-b)/da = 1", "d(a-b)/db = -1"), symbol="-", saves=False,
      formula_for=lambda p: ("d(a-alpha*b)/da = 1", f"d(a-alpha*b)/db = -alpha = {-_alpha(p)}"),
      check=_alpha_check, scalar=operator.sub, common_dtype=True)

# `1 - x`: PyTorch records it as RsubBackward1 (x is its first argument)
defop("rsub", "RsubBackward1", lambda xs, p: xs[0] - xs[1],
      vjp=(passthrough, lambda g, ans, xs, p: -g),
      jvp=(lambda t, ans, xs, p: t, lambda t, ans, xs, p: -t),
      formula=("d(a-b)/da = 1", "d(a-b)/db = -1"), symbol="-", saves=False, check=bcast_check,
      scalar=operator.sub, common_dtype=True)

defop("mul", "MulBackward0", lambda xs, p: xs[0] * xs[1],
      vjp=(lambda g, ans, xs, p: g * xs[1], lambda g, ans, xs, p: g * xs[0]),
      jvp=(lambda t, ans, xs, p: t * xs[1], lambda t, ans, xs, p: xs[0] * t),
      saved=("1", "0"), formula=("d(a*b)/da = b", "d(a*b)/db = a"), symbol="*", check=bcast_check,
      scalar=operator.mul, common_dtype=True)

# d/db: PyTorch's -g * ((a / b) / b) reads a and b, which it saves, and not
# the result, which an in-place write may have changed since (rdiv too)
defop("div", "DivBackward0", lambda xs, p: xs[0] / xs[1],
      vjp=(lambda g, ans, xs, p: g / xs[1],
           lambda g, ans, xs, p: -g * ((xs[0] / xs[1]) / xs[1])),
      jvp=(lambda t, ans, xs, p: t / xs[1],
           lambda t, ans, xs, p: -t * ((xs[0] / xs[1]) / xs[1])),
      saved=("1", "01"), formula=("d(a/b)/da = 1/b", "d(a/b)/db = -a/b^2"), symbol="/",
      dtype_rule=FLOAT, check=bcast_check, scalar=operator.truediv, common_dtype=True)

# `2 / x`: PyTorch computes reciprocal then mul; the last node is MulBackward0.
# Its backward reads the reciprocal it saved, not x: reads_unsaved
defop("rdiv", "MulBackward0", lambda xs, p: xs[0] / xs[1],
      vjp=(lambda g, ans, xs, p: g / xs[1],
           lambda g, ans, xs, p: -g * ((xs[0] / xs[1]) / xs[1])),
      jvp=(lambda t, ans, xs, p: t / xs[1],
           lambda t, ans, xs, p: -t * ((xs[0] / xs[1]) / xs[1])),
      formula=("d(a/b)/da = 1/b", "d(a/b)/db = -a/b^2"), symbol="/", reads_unsaved=True,
      dtype_rule=FLOAT, check=bcast_check, scalar=operator.truediv, common_dtype=True)


# ---- // and % (Python's rounding: towards -inf; the sign of the divisor) ----

def _int_divisor_check(xs, p):
    """PyTorch's error for an integer // or % by 0 (floats give inf or nan)."""
    a, b = xs
    size = bcast_check(xs, p)          # (shapes that do not broadcast: PyTorch's error first)
    # (no element of an empty result is divided: PyTorch does not look)
    if np.result_type(a, b).kind in "iub" and np.broadcast(a, b).size and not np.all(b):
        raise GradvizError("ZeroDivisionError", kind=RUNTIME,
                           hint="an integer divisor must not be 0")
    return size


defop("floor_divide", forward=lambda xs, p: np.floor_divide(xs[0], xs[1]), symbol="//",
      check=_int_divisor_check, common_dtype=True, **no_derivative("floor_divide"))


def _remainder(a, b):
    """PyTorch's a % b: for floats C's fmod, then b added where the signs of
    the rest and of b differ; so an exact multiple keeps a's sign (-3. % 3 is
    -0., where numpy's remainder gives 0.)."""
    if np.result_type(a, b).kind != "f":
        return np.remainder(a, b)
    with np.errstate(invalid="ignore"):
        rest = np.fmod(a, b)
        return np.where((rest != 0) & ((b < 0) != (rest < 0)), rest + b, rest)


def _remainder_grad_fn(t):
    from ..tensor import Tensor
    return "RemainderBackward1" if isinstance(t.args[1], Tensor) else "RemainderBackward0"


# d(a % b)/db = -floor(a / b), PyTorch's (a step function: 0 almost everywhere)
defop("remainder", _remainder_grad_fn, lambda xs, p: _remainder(xs[0], xs[1]),
      vjp=(passthrough, lambda g, ans, xs, p: -g * np.floor_divide(xs[0], xs[1])),
      jvp=(lambda t, ans, xs, p: t, lambda t, ans, xs, p: -t * np.floor_divide(xs[0], xs[1])),
      saved=("", "01"), formula=("d(a%b)/da = 1", "d(a%b)/db = -floor(a/b)"), symbol="%",
      saves=True, check=_int_divisor_check, common_dtype=True)
# `2 % x`: no derivative in PyTorch
defop("rremainder", forward=lambda xs, p: _remainder(xs[0], xs[1]), symbol="2 % x",
      check=_int_divisor_check, common_dtype=True, **no_derivative("remainder"))


def _pow_grad_fn(t):
    a, b = t.args
    from ..tensor import Tensor
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return "PowBackward1"
    return "PowBackward0" if isinstance(a, Tensor) else "PowBackward2"


def _pow_saved(t):
    """x ** 2 saves x; x ** y and 2 ** x also y and the result (PyTorch)."""
    name = _pow_grad_fn(t)
    if name == "PowBackward0":
        return ("0",)
    return ("01r", "01r")


def _power(a, b):
    """a ** b as PyTorch's kernel computes a float tensor to a number: a*a
    for 2, a*a*a for 3, 1/(a*a) for -2, sqrt(a) for 0.5, 1/sqrt(a) for -0.5
    and 1/a for -1 (pow can differ from these in the last bit, and numpy
    does not always take them itself), pow otherwise (a tensor exponent
    too)."""
    if b.__class__ in (int, float) and a.__class__ is np.ndarray and a.dtype.kind == "f":
        if b == 2:
            return a * a
        if b == 3:
            return a * a * a
        if b == -2:
            return 1 / (a * a)
        if b == 0.5:
            return np.sqrt(a)
        if b == -0.5:
            return 1 / np.sqrt(a)
        if b == -1:
            return 1 / a
    if np.result_type(a, b) is _F32:
        # numpy's float32 pow is its own approximation on some CPUs (with
        # AVX-512: a few ulp off), PyTorch's (the C library's powf) is
        # correctly rounded: so in float64, rounded once
        return (np.asarray(a, _F64) ** np.asarray(b, _F64)).astype(_F32)
    if np.result_type(a, b).kind in "iu" and (np.asarray(b) < 0).any():
        return _int_power_negative(a, b)
    return a ** b


def _int_power_negative(a, b):
    """An integer tensor to an integer tensor's negative powers: PyTorch
    rounds 1 / a**-b towards zero (1 stays 1, -1 alternates between -1 and
    1, every other base gives 0, 0 too); numpy refuses them."""
    negative = np.asarray(b) < 0
    out = a ** np.where(negative, 0, b)
    rounded = np.where(a == 1, 1, np.where(a == -1, np.where(b % 2 == 0, 1, -1), 0))
    return np.where(negative, rounded, out).astype(out.dtype, copy=False)


# PyTorch's message for `-` with one bool operand
BOOL_SUB_MESSAGE = ("Subtraction, the `-` operator, with a bool tensor is not supported. "
                    "If you are trying to invert a mask, use the `~` or `logical_not()` "
                    "operator instead.")


def refuse_bool_exponent(b) -> None:
    """PyTorch's error for the base's gradient of a power with a bool tensor
    exponent (the op keeps it uncast: OpDef.uncast_bool): its formula,
    exponent * self.pow(exponent - 1), subtracts from the bool tensor. (A
    Python bool exponent is a number there: x ** True has a gradient.)"""
    if b.__class__ is np.ndarray and b.dtype.kind == "b":
        raise GradvizError(BOOL_SUB_MESSAGE, kind=RUNTIME,
                           hint="make the exponent a float tensor first: x ** m.float()")


def _pow_da(g, ans, xs, p):
    a, b = xs
    refuse_bool_exponent(b)
    # NOTE: PyTorch: d(a^0)/da is 0 everywhere (also at a = 0)
    if np.ndim(b) == 0 and b == 0:
        return np.zeros_like(g * a)
    # in PyTorch's order, g * (b * a^(b-1)), and +0 wherever b == 0 (also -0.)
    da = g * (b * _power(a, b - 1))
    return np.where(b == 0, 0, da) if np.ndim(b) else da


# PyTorch's error for the exponent's gradient of a Python bool to a tensor
# power (True ** x): the backward reads the saved bool as a Scalar, which its
# C++ does not support (it is PyTorch's own failed assertion, word for word)
BOOL_BASE_MESSAGE = ('false INTERNAL ASSERT FAILED at "/__w/pytorch/pytorch/c10/core/'
                     'Scalar.cpp":42, please report a bug to PyTorch. unknown ivalue tag 4')


def _pow_db(g, ans, xs, p):
    a = xs[0]
    if a.__class__ is bool:
        raise GradvizError(BOOL_BASE_MESSAGE, kind=RUNTIME,
                           hint="make the base a float: 1.0 ** x, not True ** x")
    # NOTE: PyTorch masks the 0 * log(0) case: where a == 0 and b >= 0, grad is 0
    with np.errstate(divide="ignore", invalid="ignore"):
        la = np.log(a)
    # in PyTorch's order: g * (a^b * log(a)), the product +0 where it masks
    d = np.where((np.asarray(a) == 0) & (np.asarray(xs[1]) >= 0), 0, ans * la)
    return (g * d).astype(np.result_type(ans), copy=False)


defop("pow", _pow_grad_fn, lambda xs, p: _power(xs[0], xs[1]),
      vjp=(_pow_da, _pow_db),
      jvp=(lambda t, ans, xs, p: _pow_da(t, ans, xs, p), lambda t, ans, xs, p: _pow_db(t, ans, xs, p)),
      saved=_pow_saved, saved_order="10r", formula=("d(a^b)/da = b*a^(b-1)", "d(a^b)/db = a^b*log(a)"), symbol="**", check=bcast_check, common_dtype=True,
      uncast_bool=True)


def _tie_split(a, b, g, loses):
    """maximum/minimum's gradient for one side, as PyTorch's formula makes
    it: g, half of it on a tie, +0 where this side loses. So a zero g keeps
    its sign, and where a NaN is compared neither side loses: both get g."""
    return np.where(loses, 0, np.where(a == b, g * 0.5, g))


def _pick(a, b, b_wins):
    """b where it wins, else a, propagating a NaN from either side. On a tie
    (0. against -0.) PyTorch's loop keeps a in its scalar part and b in its
    vector part (AVX2's max and min give their second operand on a tie):
    maximum(-0., 0.) is -0. in a short tensor, 0. in the first 16 numbers of
    one of 20 (numpy's SIMD max may return either). The same on AVX512 CPUs
    (the recorded outputs) as on AVX2 ones (matched live): 16 float32 or 8
    float64, whatever the capability."""
    if np.asarray(b).dtype.kind == "f":
        b_wins = b_wins | np.isnan(b)
        step = 16 if np.result_type(a, b).itemsize == 4 else 8
        b_wins = b_wins | (_vector_part(a, b, step) & (a == b))
    return np.where(b_wins, b, a)


def _vector_part(a, b, step: int) -> np.ndarray:
    """Where PyTorch's loop of a binary op on float operands runs on vectors,
    in steps of two AVX2 vectors (step: 16 float32 or 8 float64) but for the
    last few numbers, which run one by one:
    operands of one shape (or one of one number) are one run, each thread's
    part of it; else each row of the last dim is one."""
    shape = np.broadcast(a, b).shape
    if np.shape(a) == np.shape(b) or min(np.size(a), np.size(b)) == 1:
        size = math.prod(shape)
        mask = np.zeros(size, bool)
        for lo, hi in sleef._parts(size, sleef.LOOP_GRAIN):
            mask[lo:hi - (hi - lo) % step] = True
        return mask.reshape(shape)
    row = shape[-1]
    return np.broadcast_to(np.arange(row) < row - row % step, shape)


defop("maximum", "MaximumBackward0", lambda xs, p: _pick(xs[0], xs[1], xs[1] > xs[0]),
      vjp=(lambda g, ans, xs, p: _tie_split(xs[0], xs[1], g, xs[0] < xs[1]).astype(g.dtype),
           lambda g, ans, xs, p: _tie_split(xs[0], xs[1], g, xs[1] < xs[0]).astype(g.dtype)),
      jvp=(lambda t, ans, xs, p: _tie_split(xs[0], xs[1], t, xs[0] < xs[1]).astype(t.dtype),
           lambda t, ans, xs, p: _tie_split(xs[0], xs[1], t, xs[1] < xs[0]).astype(t.dtype)),
      saved=("01", "01"), saved_order="10", formula=("d max(a,b)/da = [a>b] (+1/2 on ties)", "d max(a,b)/db = [b>a] (+1/2 on ties)"),
      symbol="maximum", check=bcast_check, common_dtype=True)

defop("minimum", "MinimumBackward0", lambda xs, p: _pick(xs[0], xs[1], xs[1] < xs[0]),
      vjp=(lambda g, ans, xs, p: _tie_split(xs[0], xs[1], g, xs[0] > xs[1]).astype(g.dtype),
           lambda g, ans, xs, p: _tie_split(xs[0], xs[1], g, xs[1] > xs[0]).astype(g.dtype)),
      jvp=(lambda t, ans, xs, p: _tie_split(xs[0], xs[1], t, xs[0] > xs[1]).astype(t.dtype),
           lambda t, ans, xs, p: _tie_split(xs[0], xs[1], t, xs[1] > xs[0]).astype(t.dtype)),
      saved=("01", "01"), saved_order="10", formula=("d min(a,b)/da = [a<b] (+1/2 on ties)", "d min(a,b)/db = [b<a] (+1/2 on ties)"),
      symbol="minimum", check=bcast_check, common_dtype=True)

# where(cond, a, b): cond is argument 0 and never differentiable
defop("where", "WhereBackward0", lambda xs, p: np.where(xs[0], xs[1], xs[2]),
      vjp=(None,
           lambda g, ans, xs, p: keep_where(xs[0], g),
           lambda g, ans, xs, p: zero_where(xs[0], g)),
      jvp=(None,
           lambda t, ans, xs, p: keep_where(xs[0], t),
           lambda t, ans, xs, p: zero_where(xs[0], t)),
      formula=("", "d where(c,a,b)/da = [c]", "d where(c,a,b)/db = [not c]"),
      symbol="where", check=bcast_check)


# ---- unary functions ----------------------------------------------------

# PyTorch's float32 exp, log, tanh, sin and cos give, in nearly every case,
# the true value rounded to float32; numpy's float32 loops are up to an ulp
# off far more often (measured against PyTorch 2.13 on a million inputs
# each: 39% of exp's values differed in the last bit, 32% of tanh's, 13-19%
# of sin's and cos's, 19% of log's; computed in float64 and rounded: 1.1%,
# 0.8%, 5%, 0.04%). That bit shows in a 0-d tensor's .item() (printed with
# all its digits), in exp's big values (exp(12.) prints as 162754.7969 in
# PyTorch, 162754.7812 from numpy's float32 exp), and in the sum of many
# values (a training loop's loss.item()). So 0-d values of all five, and
# float32 arrays of exp, log, sin and cos up to ROUNDED_SIZE numbers, are
# computed in float64 and rounded (the float64 loop costs 2.6x numpy's
# float32 one on a small array, up to 8x on a big one). Arrays of tanh keep
# numpy's float32 loop: a chain of tanh on 16 numbers is the W1 benchmark,
# where the float64 loop would cost 4% of its time, which its goal does not
# have to spare. (PyTorch's values come from MKL's VML, vmsExp, vmsLn,
# vmsSin, vmsCos in high-accuracy mode, on every tensor, 0-d ones included:
# up to 0.6 ulp off, and for exp and log not even the same on every CPU, so
# neither SLEEF's algorithms, gradviz.sleef, nor the C library's give them.)
ROUNDED_SIZE = 1 << 16
_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_F32_SCALAR = np.float32


def _rounded(ufunc, scalar_fn, arrays: bool):
    """ufunc on float32 as PyTorch's values (see ROUNDED_SIZE): a 0-d value,
    and (arrays) an array of up to ROUNDED_SIZE numbers; other dtypes and
    arrays as numpy computes them. A numpy float32 scalar (a 0-d tensor's
    value on the scalar path) goes through scalar_fn, the math module's
    function on a Python float: a third of numpy's time on a scalar; where
    it raises (overflow, a pole, outside its domain) numpy's float64 loop
    gives inf or NaN as PyTorch does."""
    limit = ROUNDED_SIZE if arrays else 1

    def f(x):
        if x.dtype is _F32:
            if x.__class__ is np.ndarray:
                if x.size <= limit and (arrays or not x.ndim):
                    return ufunc(x, dtype=_F64).astype(_F32)
            else:
                try:
                    return _F32_SCALAR(scalar_fn(x))
                except (OverflowError, ValueError):
                    return _F32_SCALAR(ufunc(float(x)))
        return ufunc(x)
    f.__name__ = ufunc.__name__
    return f


exp = _rounded(np.exp, math.exp, arrays=True)
log = _rounded(np.log, math.log, arrays=True)
tanh = _rounded(np.tanh, math.tanh, arrays=False)
sin = _rounded(np.sin, math.sin, arrays=True)
cos = _rounded(np.cos, math.cos, arrays=True)

def _no_bool_check(kernel):
    """PyTorch's refusal of a bool tensor by a kernel that has no bool case."""
    def check(xs, p):
        if xs[0].dtype == np.bool_:
            raise GradvizError(f"\"{kernel}\" not implemented for 'Bool'",
                               kind="NotImplementedError",
                               hint="convert the mask first: x.long() or x.float()")
    return check


def _unary(name, grad_fn, fwd, dfdx, formula, saves=True, dtype_rule=FLOAT, symbol=None,
           vjp=None, scalar=None, saved=("0",), check=None):
    """A unary op whose VJP and JVP are both 'multiply by f'(x)' (``vjp``: the
    same product, computed faster). ``scalar``: fwd works on numpy scalars
    (a ufunc: the same loop as on a 0-d array)."""
    defop(name, grad_fn, lambda xs, p: fwd(xs[0]),
          vjp=(vjp or (lambda g, ans, xs, p: g * dfdx(xs[0], ans)),),
          jvp=(lambda t, ans, xs, p: t * dfdx(xs[0], ans),),
          formula=(formula,), symbol=symbol or name, saves=saves, dtype_rule=dtype_rule,
          scalar=fwd if scalar else None, saved=saved if saves else (), check=check)


_unary("exp", "ExpBackward0", exp, lambda x, y: y, "d exp(x)/dx = exp(x)", scalar=True,
       saved=("r",))
# NOTE: PyTorch's backward is grad / self (not grad * (1 / self): one rounding less)
_unary("log", "LogBackward0", log, lambda x, y: 1 / x, "d log(x)/dx = 1/x",
       vjp=lambda g, ans, xs, p: g / xs[0], scalar=True)
# NOTE: PyTorch's backward is grad / (2 * result) (one rounding less than
# grad * (0.5 / result): float32 gradients agree to the last bit)
_unary("sqrt", "SqrtBackward0", np.sqrt, lambda x, y: 0.5 / y, "d sqrt(x)/dx = 1/(2 sqrt(x))",
       vjp=lambda g, ans, xs, p: g / (2 * ans), scalar=True, saved=("r",))
_unary("sin", "SinBackward0", sin, lambda x, y: cos(x), "d sin(x)/dx = cos(x)", scalar=True)
_unary("cos", "CosBackward0", cos, lambda x, y: -sin(x), "d cos(x)/dx = -sin(x)", scalar=True)
# arrays from this size on get their VJP products written into one buffer
# (smaller ones: numpy's temporaries are cheaper than the out= calls)
BUFFERED_VJP_SIZE = 4096


# 1 as a 0-d array, by float dtype: `ONE - y` computes what `1 - y` does
# without numpy converting the Python 1 at each call (as costly as the
# subtraction itself on a small array)
_ONE = {np.dtype(np.float32): np.array(1, np.float32), np.dtype(np.float64): np.array(1.0)}


# np.where(mask, x, 0) takes a branch per element: on a mask with no pattern
# (relu's) it runs ~8x slower than a pass over memory. For a big float array
# the same result (x's bits where picked, +0 elsewhere: NaN kept, no -0)
# comes from an AND of x's bits with the mask widened to all-ones words.
_WORD = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def keep_where(mask, x):
    """np.where(mask, x, 0) in x's dtype."""
    if (x.__class__ is not np.ndarray or x.size < BUFFERED_VJP_SIZE or x.dtype.kind != "f"
            or mask.shape != x.shape):
        return np.where(mask, x, 0).astype(x.dtype, copy=False)
    word = _WORD[x.dtype.itemsize]
    bits = np.negative(mask, dtype=word)          # True -> all ones
    np.bitwise_and(x.view(word), bits, out=bits)
    return bits.view(x.dtype)


def zero_where(mask, x):
    """np.where(mask, 0, x) in x's dtype."""
    if (x.__class__ is not np.ndarray or x.size < BUFFERED_VJP_SIZE or x.dtype.kind != "f"
            or mask.shape != x.shape):
        return np.where(mask, 0, x).astype(x.dtype, copy=False)
    word = _WORD[x.dtype.itemsize]
    bits = np.subtract(mask, 1, dtype=word)       # False -> all ones
    np.bitwise_and(x.view(word), bits, out=bits)
    return bits.view(x.dtype)


def _tanh_vjp(g, ans, xs, p):
    """g * (1 - y*y), PyTorch's formula, whose compiler fuses 1 - y*y into
    one multiply-add: for a float32 0-d y that is 1 - y*y in float64 (where
    y*y is exact) rounded once, which a saturated tanh's gradient shows
    (tanh'(-4.8) is 0.000270825..., not the 0.000270843... of a rounded
    y*y). Arrays keep numpy's float32 steps, as their forward values keep
    numpy's float32 tanh (see ROUNDED_SIZE; casting to float64 cost W1 a
    tenth of its time); a big one in one buffer: three passes over memory."""
    if ans.__class__ is not np.ndarray or not ans.ndim:   # a numpy scalar (OpDef.scalar), 0-d
        if ans.dtype is _F32:
            y = float(ans)
            return g * _F32_SCALAR(1.0 - y * y)
        return g * (1 - ans * ans)
    if ans.size < BUFFERED_VJP_SIZE:
        one = _ONE.get(ans.dtype, 1)
        return g * (one - ans * ans)
    d = np.multiply(ans, ans)
    np.subtract(1, d, out=d)
    np.multiply(g, d, out=d)
    return d


def _tanh_grad(g, y):
    """PyTorch's tanh_backward kernel, g * (1 - y*y) fused (see _tanh_vjp), on
    arrays of one shape, else as broadcasting numpy computes it."""
    if np.shape(g) == np.shape(y):
        return _tanh_vjp(g, y, None, None)
    return g * (1 - y * y)


_unary("tanh", "TanhBackward0", tanh, lambda x, y: 1 - y * y, "d tanh(x)/dx = 1 - tanh(x)^2",
       vjp=_tanh_vjp, scalar=True, saved=("r",))
# NOTE: PyTorch's sigmoid_backward kernel rounds as grad * (1 - y) * y
_unary("sigmoid", "SigmoidBackward0", _sigmoid, lambda x, y: y * (1 - y),
       "d sigmoid(x)/dx = sigmoid(x)(1 - sigmoid(x))",
       vjp=lambda g, ans, xs, p: g * (1 - ans) * ans, saved=("r",))
# NOTE: PyTorch: abs'(0) = 0 (sign(0) = 0)
_unary("abs", "AbsBackward0", np.abs, lambda x, y: np.sign(x), "d |x|/dx = sign(x)",
       dtype_rule="promote", check=_no_bool_check("abs_cpu"))
_unary("neg", "NegBackward0", np.negative, lambda x, y: -1, "d(-x)/dx = -1",
       saves=False, dtype_rule="promote", symbol="-", scalar=True)
_unary("square", "PowBackward0", np.square, lambda x, y: 2 * x, "d x^2/dx = 2x",
       dtype_rule="promote", scalar=True)
# NOTE: PyTorch: relu'(0) = 0, and where x <= 0 the gradient is +0 even for a
# negative g (threshold_backward selects, it does not multiply: no -0.)
# relu(-0.) is -0. and relu(nan) is nan in PyTorch: x unless x < 0
defop("relu", "ReluBackward0", lambda xs, p: zero_where(xs[0] < 0, xs[0]),
      vjp=(lambda g, ans, xs, p: keep_where(ans > 0, g),),
      jvp=(lambda t, ans, xs, p: keep_where(ans > 0, t),),
      saved=("r",), formula=("d relu(x)/dx = [x > 0]",), symbol="relu", dtype_rule="promote")


# ---- more activations: softplus, leaky_relu, elu (p: their parameters) ----

def _softplus_fwd(xs, p):
    """log(1 + exp(beta x)) / beta, x itself where beta x > threshold."""
    x = xs[0]
    beta, threshold = p.get("beta", 1.0), p.get("threshold", 20.0)
    bx = x * beta
    # (float32 in float64, rounded once, as near PyTorch's values as exp's)
    wide = np.minimum(bx, threshold).astype(np.float64)
    with np.errstate(over="ignore"):
        soft = np.log1p(np.exp(wide)) / beta
    return np.where(bx > threshold, x, soft).astype(x.dtype, copy=False)


def _softplus_d(x, p):
    """PyTorch's softplus_backward: z / (z + 1) with z = exp(beta x), 1
    where beta x > threshold."""
    beta, threshold = p.get("beta", 1.0), p.get("threshold", 20.0)
    bx = x * beta
    with np.errstate(over="ignore"):
        z = np.exp(np.minimum(bx, threshold))
    return np.where(bx > threshold, 1, z / (z + 1)).astype(x.dtype, copy=False)


defop("softplus", "SoftplusBackward0", _softplus_fwd,
      vjp=(lambda g, ans, xs, p: g * _softplus_d(xs[0], p),),
      jvp=(lambda t, ans, xs, p: t * _softplus_d(xs[0], p),),
      saved=("0",), formula=("d softplus(x)/dx = sigmoid(beta x)",), symbol="softplus",
      dtype_rule=FLOAT)


def _leaky_slope(x, p):
    return np.where(x > 0, 1, p.get("negative_slope", 0.01)).astype(x.dtype, copy=False)


defop("leaky_relu", "LeakyReluBackward0",
      lambda xs, p: np.where(xs[0] > 0, xs[0], xs[0] * p.get("negative_slope", 0.01)).astype(
          xs[0].dtype, copy=False),
      vjp=(lambda g, ans, xs, p: g * _leaky_slope(xs[0], p),),
      jvp=(lambda t, ans, xs, p: t * _leaky_slope(xs[0], p),),
      saved=("0",), formula=("d leaky_relu(x)/dx = 1 if x > 0 else slope",),
      symbol="leaky_relu", dtype_rule=FLOAT)


def _elu_d(x, p):
    alpha = p.get("alpha", 1.0)
    with np.errstate(over="ignore"):
        return np.where(x > 0, 1, alpha * np.exp(np.minimum(x, 0))).astype(x.dtype, copy=False)


defop("elu", "EluBackward0",
      lambda xs, p: np.where(xs[0] > 0, xs[0],
                             p.get("alpha", 1.0) * np.expm1(np.minimum(xs[0], 0))).astype(
          xs[0].dtype, copy=False),
      vjp=(lambda g, ans, xs, p: g * _elu_d(xs[0], p),),
      jvp=(lambda t, ans, xs, p: t * _elu_d(xs[0], p),),
      saved=("0",), formula=("d elu(x)/dx = 1 if x > 0 else alpha exp(x)",), symbol="elu",
      dtype_rule=FLOAT)


# x.zero_() on a tensor of the graph: no gradient passes (zeros, even for a
# NaN or inf gradient: ZeroBackward0 makes them, it does not multiply)
defop("zero", "ZeroBackward0", lambda xs, p: np.zeros_like(xs[0]),
      vjp=(lambda g, ans, xs, p: np.zeros_like(g),),
      jvp=(lambda t, ans, xs, p: np.zeros_like(t),),
      saves=False, formula=("d 0/dx = 0",), symbol="zero_")


def _clamp_fwd(xs, p):
    x = xs[0]
    lo, hi = p.get("min"), p.get("max")
    # NOTE: PyTorch: x < min gives min, then x > max gives max (so min > max
    # gives max everywhere); x itself otherwise, also -0. at a 0 bound and nan;
    # a nan bound makes every element nan
    if lo is not None:
        x = np.where((x < lo) | (lo != lo), lo, x)
    if hi is not None:
        x = np.where((x > hi) | (hi != hi), hi, x)
    return x


def _clamp_mask(x, p):
    # NOTE: PyTorch passes the gradient at the boundary (min <= x <= max)
    lo, hi = p.get("min"), p.get("max")
    m = np.ones(x.shape, bool)
    if lo is not None:
        m &= x >= lo
    if hi is not None:
        m &= x <= hi
    return m


# (p["grad_fn"]: ClampMinBackward0 for clamp_min, as F.normalize calls it)
defop("clamp", lambda t: t.params.get("grad_fn", "ClampBackward1"), _clamp_fwd,
      vjp=(lambda g, ans, xs, p: keep_where(_clamp_mask(xs[0], p), g),),
      jvp=(lambda t, ans, xs, p: keep_where(_clamp_mask(xs[0], p), t),),
      saved=("0",), formula=("d clamp(x)/dx = [min <= x <= max]",), symbol="clamp", dtype_rule="promote")


# ---- the backward of tanh and sigmoid as ops of their own ------------------
# A create_graph=True backward records these (PyTorch's TanhBackwardBackward0
# and SigmoidBackwardBackward0): inputs (g, y) with y the forward's output.

defop("tanh_backward", "TanhBackwardBackward0", lambda xs, p: _tanh_grad(xs[0], xs[1]),
      vjp=(lambda g, ans, xs, p: g * (1 - xs[1] * xs[1]),
           lambda g, ans, xs, p: -2 * g * xs[0] * xs[1]),
      jvp=(lambda t, ans, xs, p: t * (1 - xs[1] * xs[1]),
           lambda t, ans, xs, p: -2 * xs[0] * xs[1] * t),
      saved=("01", "01"), formula=("d g(1-y^2)/dg = 1 - y^2", "d g(1-y^2)/dy = -2gy"), symbol="tanh_backward",
      check=bcast_check)

defop("sigmoid_backward", "SigmoidBackwardBackward0", lambda xs, p: xs[0] * xs[1] * (1 - xs[1]),
      vjp=(lambda g, ans, xs, p: g * xs[1] * (1 - xs[1]),
           lambda g, ans, xs, p: g * xs[0] * (1 - 2 * xs[1])),
      jvp=(lambda t, ans, xs, p: t * xs[1] * (1 - xs[1]),
           lambda t, ans, xs, p: xs[0] * (1 - 2 * xs[1]) * t),
      saved=("01", "01"), formula=("d gy(1-y)/dg = y(1-y)", "d gy(1-y)/dy = g(1-2y)"), symbol="sigmoid_backward",
      check=bcast_check)

# relu's backward as PyTorch records it under create_graph=True: threshold_backward
# (g where y > 0, with y relu's output), ThresholdBackwardBackward0, whose
# derivative by y is zero (relu'' = 0) though y is among its inputs; F.threshold's
# the same with p["threshold"] (g where x > threshold)
def _positive_part(g, y, p):
    above = y > p.get("threshold", 0)
    return np.where(above, g, np.zeros((), np.result_type(g, y))).astype(np.result_type(g, y))


defop("threshold_backward", "ThresholdBackwardBackward0", lambda xs, p: _positive_part(xs[0], xs[1], p),
      vjp=(lambda g, ans, xs, p: _positive_part(g, xs[1], p),
           lambda g, ans, xs, p: np.zeros(np.shape(xs[1]), ans.dtype)),
      jvp=(lambda t, ans, xs, p: _positive_part(t, xs[1], p),
           lambda t, ans, xs, p: np.zeros(np.shape(ans), ans.dtype)),
      saved=("1", "1"), formula=("d threshold_backward(g, y)/dg = [y > threshold]",
                                 "d threshold_backward(g, y)/dy = 0"),
      symbol="threshold_backward", check=bcast_check)


# ---- & | ^ ~ on bool and integer tensors: no gradient ----------------------

_FLOAT_WORDS = {"float32": "Float", "float64": "Double"}


def _bitwise_check(name):
    def check(xs, p):
        """PyTorch's error for a float operand (after promotion: a float number
        makes the result float too), after its error for sizes that do not
        broadcast."""
        size = bcast_check(xs, p)
        for x in xs:
            if isinstance(x, float) or (isinstance(x, np.ndarray) and x.dtype.kind == "f"):
                word = _FLOAT_WORDS.get(getattr(x, "dtype", np.dtype(np.float32)).name, "Float")
                hint = "& | ^ work on bool (masks) and integer tensors: (x > 0) & (x < 1)"
                if name == "bitwise_xor":
                    hint += "; a power is x ** 2"
                raise GradvizError(f'"{name}_cpu" not implemented for \'{word}\'',
                                   kind="NotImplementedError", hint=hint)
        return size
    return check


for _name, _sym, _fn in (("bitwise_and", "&", np.bitwise_and), ("bitwise_or", "|", np.bitwise_or),
                         ("bitwise_xor", "^", np.bitwise_xor)):
    defop(_name, None, (lambda f: lambda xs, p: f(xs[0], xs[1]))(_fn), vjp=(None, None),
          jvp=(None, None), formula=("", ""), symbol=_sym, saves=False,
          differentiable=False, check=_bitwise_check(_name), common_dtype=True)


def _invert_check(xs, p):
    if xs[0].dtype.kind == "f":
        raise GradvizError("~ (operator.invert) is only implemented on integer and Boolean-type "
                           "tensors", kind=TYPE, hint="for a mask's opposite: ~(x > 0), or x <= 0")
    return None


defop("bitwise_not", None, lambda xs, p: np.invert(xs[0]), vjp=(None,), jvp=(None,),
      formula=("",), symbol="~", saves=False, differentiable=False, check=_invert_check)


# ---- comparisons: bool results, no gradient --------------------------------

for _name, _sym, _fn in (("eq", "==", np.equal), ("ne", "!=", np.not_equal),
                         ("lt", "<", np.less), ("le", "<=", np.less_equal),
                         ("gt", ">", np.greater), ("ge", ">=", np.greater_equal)):
    defop(_name, None, (lambda f: lambda xs, p: f(xs[0], xs[1]))(_fn), vjp=(None, None),
          jvp=(None, None), formula=("", ""), symbol=_sym, saves=False,
          dtype_rule=BOOL, differentiable=False, check=bcast_check, common_dtype=True)
