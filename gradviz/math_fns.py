"""torch.log2, log10, deg2rad, rad2deg, fmax, fmin, signbit, rsub, gcd,
lcm and the logical_not/and/or/xor family: torch.NAME, x.NAME(), and x.NAME_() (and
torch.NAME_) where PyTorch has them, with PyTorch's argument checks.
Loaded at the end of functions.py, whose tables it fills (install()); the
differentiable ops are in ops/math_more.py."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import GradvizError
from .ops import OPS
from .special_fns import _unary      # (torch.NAME(input): its op on the tensor)

# one tensor in, a float result with a gradient (ops/math_more.py)
UNARY = ("log2", "log10", "deg2rad", "rad2deg")
# (torch.log2_(x) and the like: torch's own in-place functions)
TORCH_IN_PLACE = (*UNARY, "reciprocal", "gcd", "lcm")


def _tensors(name: str):
    """torch.NAME(input, other) of two tensors (fmax, fmin)."""
    @F.tensors_only
    def f(rt, input, other):
        x, y = F._need_tensor(input, name), F._need_tensor(other, name, 2)
        return rt.apply(OPS[name], (x, y))
    f.__name__ = name
    return f


def f_rsub(rt, input, other, *args, alpha=1):
    """other - alpha * input (torch.rsub: the reflected sub, no method)."""
    given = [input, other, *args]
    if len(args) == 1 and not F.is_tensor(other):
        alpha, args = args[0], ()          # (the number form takes alpha by position too)
    # (a bool other is a number too, which check_bool_sub refuses as PyTorch's sub does)
    numbers_ok = (isinstance(other, (int, float)) or F.is_tensor(other)) and \
        isinstance(alpha, (int, float))
    if args or not F.is_tensor(input) or not numbers_ok:
        raise F.invalid_combination("rsub", given, hint="torch.rsub(x, 2.0, alpha=3): "
                                                        "other - alpha * x")
    F.check_bool_sub(input, other)
    if F.is_tensor(other):         # (PyTorch's kernel is sub(other, input): its shapes in that order)
        OPS["eq"].check([other.data, input.data], {})
    # (alpha=True is kept: PyTorch's alpha check refuses a bool one for a non-bool result)
    plain = alpha == 1 and alpha is not True
    return rt.apply(OPS["rsub_alpha"], (input, other), None if plain else {"alpha": alpha})


# ---- bool results, recorded as leaves (PyTorch gives them no grad_fn) ------------

def f_signbit(rt, input):
    """Whether the sign bit is set (-0.0 and NaN's with it too); an integer's
    is its sign, a bool's never."""
    x = F._need_tensor(input, "signbit")
    return F._leaf(rt, np.asarray(np.signbit(x.data) if x.data.dtype.kind != "b"
                                  else np.zeros(x.data.shape, bool)), False, "signbit")


def f_logical_not(rt, input):
    x = F._need_tensor(input, "logical_not")
    return F._leaf(rt, np.asarray(np.logical_not(x.data)), False, "logical_not")


def _logical(name: str, ufunc):
    """torch.logical_and / or / xor of two tensors: a bool tensor (NaN counts as true)."""
    @F.tensors_only
    def f(rt, input, other):
        x, y = F._need_tensor(input, name), F._need_tensor(other, name, 2)
        OPS["eq"].check([x.data, y.data], {})          # (the broadcast's error)
        return F._leaf(rt, np.asarray(ufunc(x.data, y.data)), False, name)
    f.__name__ = name
    return f


def _integer_only(name: str, ufunc):
    """torch.gcd / lcm of two integer tensors (no gradient: integer tensors
    take none); other dtypes are the kernel's error, after promotion."""
    @F.tensors_only
    def f(rt, input, other):
        x, y = F._need_tensor(input, name), F._need_tensor(other, name, 2)
        # (PyTorch's promotion: a float tensor's dtype over an integer's)
        floats = [t.data.dtype for t in (x, y) if t.data.dtype.kind == "f"]
        dt = max(floats, key=lambda d: d.itemsize) if floats else np.result_type(x.data, y.data)
        if dt.kind not in "iu":
            raise GradvizError(f'"{name}_cpu" not implemented for \'{F.type_word(dt)}\'',
                               kind="NotImplementedError",
                               hint=f"{name} is of whole numbers: torch.{name}(a.long(), b.long())")
        OPS["eq"].check([x.data, y.data], {})          # (the broadcast's error)
        return F._leaf(rt, np.asarray(ufunc(x.data, y.data), dt), False, name)
    f.__name__ = name
    return f


def f_xlogy_(rt, input, other):
    """torch.xlogy_(x, y): x.xlogy_(y) (a tensor first)."""
    if not F.is_tensor(input):
        raise F.invalid_combination("xlogy_", [input, other],
                                    hint="torch.xlogy_(x, y) writes x * log(y) into x")
    return F.METHODS["xlogy_"](rt, input, other)


LOGICAL = {"logical_and": np.logical_and, "logical_or": np.logical_or,
           "logical_xor": np.logical_xor}

TORCH_FUNCTIONS = {
    **{name: _unary(name) for name in UNARY},
    "fmax": _tensors("fmax"), "fmin": _tensors("fmin"),
    "rsub": f_rsub, "signbit": f_signbit, "logical_not": f_logical_not,
    **{name: _logical(name, ufunc) for name, ufunc in LOGICAL.items()},
    "gcd": _integer_only("gcd", np.gcd), "lcm": _integer_only("lcm", np.lcm),
}
# x.NAME_() for these
IN_PLACE = (*UNARY, "logical_not", *LOGICAL, "gcd", "lcm")
# functions of one tensor only (PyTorch's argument parser words their errors)
ONE_TENSOR = ("log2", "log10", "deg2rad", "rad2deg", "signbit", "logical_not")


def _torch_in_place(name: str):
    """torch.log2_(x): x.log2_(); torch.gcd_(x, y): x.gcd_(y)."""
    method = F.METHODS[name + "_"]

    def f(rt, input, *args):
        x = F._need_tensor(input, name + "_")
        if getattr(method, "tensors_only", False):       # (counted from input, as the function's)
            for pos, v in enumerate(args, 2):
                F._need_tensor(v, name + "_", pos)
        return method(rt, x, *args)
    f.__name__ = name + "_"
    return f


def install() -> None:
    """Add these to functions.py's tables: torch.NAME, x.NAME(), x.NAME_()."""
    F.FUNCTIONS.update(TORCH_FUNCTIONS)
    F.METHODS.update({k: v for k, v in TORCH_FUNCTIONS.items() if k != "rsub"})
    F.METHODS.update(F.tensors_only_methods(("fmax", "fmin", *LOGICAL, "gcd", "lcm")))
    F.METHODS.update({name + "_": F._in_place(name) for name in IN_PLACE})
    F.FUNCTIONS.update({name + "_": _torch_in_place(name) for name in TORCH_IN_PLACE})
    F.FUNCTIONS["xlogy_"] = f_xlogy_
    F.ONE_TENSOR_FUNCTIONS = F.ONE_TENSOR_FUNCTIONS | frozenset(ONE_TENSOR)
    F.NO_ARGUMENT_METHODS = F.NO_ARGUMENT_METHODS | frozenset(
        (*ONE_TENSOR, *(name + "_" for name in ONE_TENSOR if name != "signbit")))
