"""torch's further elementwise functions of two or three operands, with
PyTorch's argument checks: torch.div(a, b, rounding_mode='floor'),
true_divide, divide, fmod, lerp, addcmul, addcdiv, hypot, logit, xlogy,
heaviside, copysign, float_power; their tensor methods and in-place forms.
Loaded at the end of functions.py, whose tables (FUNCTIONS, METHODS) it
fills; the ops are in ops/binary_more.py."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS

ROUNDING_MODES = (None, "trunc", "floor")
KERNEL_ERROR = "NotImplementedError"
F64 = np.dtype(np.float64)


def _div(name: str, plain, rounding=True, method=False):
    """torch.div / divide (rounding_mode by keyword), true_divide (none);
    with no rounding mode, plain (functions.py's div, or x.div's `x / y`)."""
    def f(rt, input, other, *args, rounding_mode=None):
        if not rounding and rounding_mode is not None:
            raise GradvizError(f"{name}() got an unexpected keyword argument 'rounding_mode'",
                               kind=TYPE, hint="true_divide has no rounding mode: "
                                               "torch.div(a, b, rounding_mode='floor')")
        if args:
            given = [other, *args] if method else [input, other, *args]
            raise F.invalid_combination(name, given, hint=(
                f"torch.{name}(a, b, rounding_mode='floor'): the mode is given by name"))
        if rounding_mode is None:
            return plain(rt, input, other)
        if rounding_mode not in ROUNDING_MODES:
            raise GradvizError(f"div expected rounding_mode to be one of None, 'trunc', or "
                               f"'floor' but found '{rounding_mode}'", kind=RUNTIME,
                               hint="rounding_mode='trunc' (towards 0) or 'floor' (down)")
        F._need_a_tensor(name, input, other)
        a = F._as_operand(rt, input, (name, "input", 1))
        b = F._as_operand(rt, other, (name, "other", 2))
        if name.endswith("_"):       # x.div_(y, rounding_mode=...)
            return rt.change_in_place(a, lambda: rt.apply(
                OPS["div_mode"], (a, b), {"rounding_mode": rounding_mode}), name, (b,))
        return rt.apply(OPS["div_mode"], (a, b), {"rounding_mode": rounding_mode})
    f.__name__ = name
    return f


def _tensor_first(name: str, hint: str):
    """torch.NAME(tensor, tensor or number): fmod, copysign (a bool is a
    number there, as PyTorch's Scalar takes it: torch.fmod(x, True))."""
    def f(rt, input, other):
        if not F.is_tensor(input) or not (F.is_tensor(other) or isinstance(other, (int, float))):
            raise F.invalid_combination(name, [input, other], hint=hint)
        return rt.apply(OPS[name], (input, other))
    f.__name__ = name
    return f


def _refuse_ints(x, kernel: str, call: str) -> None:
    if x.data.dtype.kind in "biu":
        raise GradvizError(f'"{kernel}" not implemented for \'{F.type_word(x.data.dtype)}\'',
                           kind=KERNEL_ERROR, hint=f"make it a float tensor first: {call}")


def _same_dtype(x, other, arg: str) -> None:
    """lerp's check: end and weight have input's dtype."""
    if F.is_tensor(other) and other.data.dtype != x.data.dtype:
        raise GradvizError(f"expected dtype {F.cpp_type_word(x.data.dtype)} for `{arg}` but got "
                           f"dtype {F.cpp_type_word(other.data.dtype)}", kind=RUNTIME,
                           hint=f"cast it first: {arg}.to(input.dtype)")


def f_lerp(rt, input, end, weight):
    # (a bool weight is PyTorch's Scalar too: lerp(a, b, True) is b)
    if not (F.is_tensor(input) and F.is_tensor(end)) or not (
            F.is_tensor(weight) or isinstance(weight, (int, float))):
        raise F.invalid_combination("lerp", [input, end, weight],
                                    hint="torch.lerp(start, end, 0.3): two tensors and a "
                                         "weight (a number or a tensor)")
    _same_dtype(input, end, "end")
    _same_dtype(input, weight, "weight")
    _refuse_ints(input, "lerp_kernel_tensor" if F.is_tensor(weight) else "lerp_kernel_scalar",
                 "torch.lerp(a.float(), b.float(), w)")
    return rt.apply(OPS["lerp"], (input, end, weight))


def _addc(name: str):
    """addcmul / addcdiv(input, tensor1, tensor2, *, value=1)."""
    def f(rt, input, tensor1, tensor2, *args, value=1):
        if args:
            raise GradvizError(f"{name}() takes 3 positional arguments but {3 + len(args)} "
                               "were given", kind=TYPE,
                               hint=f"give the scale by name: torch.{name}(x, a, b, value=0.5)")
        for pos, (arg, v) in enumerate((("input", input), ("tensor1", tensor1),
                                        ("tensor2", tensor2)), 1):
            F._need_tensor(v, name, pos, arg)
        F._number_arg(name, "value", None, value)
        if name == "addcdiv" and all(t.data.dtype.kind in "biu" for t in (tensor1, tensor2)):
            raise GradvizError(
                "Integer division with addcdiv is no longer supported, and in a future  release "
                "addcdiv will perform a true division of tensor1 and tensor2. The historic "
                "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
                "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
                "tensor2) for float inputs. The future addcdiv behavior is just the latter "
                "implementation: (input + value * tensor1 / tensor2), for all dtypes.",
                kind=RUNTIME, hint="make tensor1 or tensor2 a float tensor: tensor1.float()")
        p = None if value == 1 else {"value": value}
        return rt.apply(OPS[name], (input, tensor1, tensor2), p)
    f.__name__ = name
    return f


@F.tensors_only
def f_hypot(rt, input, other):
    x, y = F._need_tensor(input, "hypot"), F._need_tensor(other, "hypot", 2)
    for t in (x, y):
        _refuse_ints(t, "hypot_cpu", "torch.hypot(a.float(), b.float())")
    return rt.apply(OPS["hypot"], (x, y))


def f_logit(rt, input, eps=None):
    x = F._need_tensor(input, "logit")
    if eps is None:
        return rt.apply(OPS["logit"], (x,))
    return rt.apply(OPS["logit"], (x,), {"eps": F._float_arg(eps, "logit", "eps")})


def f_xlogy(rt, input, other):
    if not (F.is_tensor(input) or F.is_tensor(other)) or not all(
            F.is_tensor(v) or isinstance(v, (int, float)) for v in (input, other)):
        raise F.invalid_combination("xlogy", [input, other],
                                    hint="torch.xlogy(x, y): x * log(y), one of them a tensor")
    # (a number as a float: an int past float's range is the OverflowError of any number)
    input, other = (v if F.is_tensor(v) or isinstance(v, float) else float(v)
                    for v in (input, other))
    return rt.apply(OPS["xlogy"], (input, other))


@F.tensors_only
def f_heaviside(rt, input, values):
    x, v = F._need_tensor(input, "heaviside"), F._need_tensor(values, "heaviside", 2, "values")
    if x.data.dtype != v.data.dtype:
        raise GradvizError("heaviside is not yet implemented for tensors with different dtypes.",
                           kind=RUNTIME, hint="give values the input's dtype: "
                                              "torch.heaviside(x, torch.tensor(0.5))")
    return rt.apply(OPS["heaviside"], (x, v))


def f_float_power(rt, input, exponent):
    """input ** exponent in float64, as PyTorch: the tensors cast to float64
    first (ToCopyBackward0), then pow (PowBackward0/1/2)."""
    if not F.is_tensor(input) and not F.is_tensor(exponent):
        raise F.invalid_combination("float_power", [input, exponent])
    a, b = (F.f_to(rt, v, F64) if F.is_tensor(v) else float(v) for v in (input, exponent))
    return F.f_pow(rt, a, b)


def m_float_power_(rt, x, exponent):
    if x.data.dtype != F64:
        raise GradvizError(f"the base given to float_power_ has dtype "
                           f"{F.cpp_type_word(x.data.dtype).capitalize()} but the operation's "
                           "result requires dtype Double", kind=RUNTIME,
                           hint="float_power_ writes float64: x = x.double() first, or "
                                "x = torch.float_power(x, e)")
    return rt.change_in_place(x, lambda: f_float_power(rt, x, exponent), "float_power_",
                              (exponent,))


TORCH_FUNCTIONS = {
    "fmod": _tensor_first("fmod", "torch.fmod(x, 2.0): a tensor first, then a tensor or a "
                                  "number"),
    "copysign": _tensor_first("copysign", "torch.copysign(x, -1): a tensor first, then a "
                                          "tensor or a number"),
    "lerp": f_lerp, "addcmul": _addc("addcmul"), "addcdiv": _addc("addcdiv"),
    "hypot": f_hypot, "logit": f_logit, "xlogy": f_xlogy, "heaviside": f_heaviside,
    "float_power": f_float_power,
}
# x.NAME_() for these (float_power_ has a check of its own)
IN_PLACE = ["fmod", "copysign", "lerp", "addcmul", "addcdiv",
            "hypot", "logit", "xlogy", "heaviside"]


def install() -> None:
    """Add these to functions.py's tables: torch.NAME, x.NAME(), x.NAME_()."""
    F.FUNCTIONS.update(TORCH_FUNCTIONS)
    F.METHODS.update(TORCH_FUNCTIONS)
    F.METHODS.update(F.tensors_only_methods(("hypot", "heaviside")))
    F.METHODS.update({name + "_": F._in_place(name) for name in IN_PLACE})
    # div, divide, true_divide: as before without a rounding mode (x.div(y) is x / y)
    fn, method, method_ = F.FUNCTIONS["div"], F.METHODS["div"], F.METHODS["div_"]
    for name, rounding in (("div", True), ("divide", True), ("true_divide", False)):
        F.FUNCTIONS[name] = _div(name, fn, rounding)
        F.METHODS[name] = _div(name, method, rounding, method=True)
        F.METHODS[name + "_"] = _div(name + "_", method_, rounding, method=True)
    F.METHODS["float_power_"] = m_float_power_
    # x.remainder_(y), x.floor_divide_(y): x %= y, x //= y
    F.METHODS.update({name: F._operator_method(name, sym, in_place=True)
                      for name, sym in (("remainder_", "%"), ("floor_divide_", "//"))})
