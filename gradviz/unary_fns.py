"""torch's further elementwise functions (torch.tan, x.log1p(), x.floor_(),
torch.round(x, decimals=2), torch.atan2, ...) and activations
(F.gelu, F.silu, F.hardtanh, F.relu6, ...), with PyTorch's argument checks.
Loaded at the end of functions.py, whose tables (FUNCTIONS, METHODS,
NN_FUNCTIONAL) it fills; the ops are in ops/unary.py and ops/activations.py."""
from __future__ import annotations

from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS

KERNEL_ERROR = "NotImplementedError"

# name -> (its op, the dtype kinds PyTorch refuses, the kernel its error names)
MATH = {
    **{name: (name, "", "") for name in (
        "tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "log1p",
        "expm1", "exp2", "reciprocal", "rsqrt", "erf", "erfc", "erfinv", "sign", "sgn",
        "lgamma")},
    # (numpy's names, which torch has too)
    **{"arc" + name[1:]: (name, "", "") for name in ("atan", "asin", "acos", "asinh", "acosh",
                                                     "atanh")},
    "floor": ("floor", "b", "floor_vml_cpu"), "ceil": ("ceil", "b", "ceil_vml_cpu"),
    "trunc": ("trunc", "b", "trunc_vml_cpu"), "fix": ("trunc", "b", "trunc_vml_cpu"),
    "frac": ("frac", "biu", "frac_cpu"),
}


def _refuse_dtype(x, kinds: str, kernel: str, call: str) -> None:
    """PyTorch's error for a dtype its kernel has no loop for."""
    if x.data.dtype.kind in kinds:
        raise GradvizError(f'"{kernel}" not implemented for \'{F.type_word(x.data.dtype)}\'',
                           kind=KERNEL_ERROR, hint=f"make it a float tensor first: {call}")


def _math(name: str):
    op_name, kinds, kernel = MATH[name]
    op = OPS[op_name]

    def f(rt, x):
        x = F._need_tensor(x, name)
        _refuse_dtype(x, kinds, kernel, f"torch.{name}(x.float())")
        return rt.apply(op, (x,))
    f.__name__ = name
    return f


def f_round(rt, x, *args, decimals=None):
    """torch.round(x) (half to even), torch.round(x, decimals=2); decimals
    only by keyword."""
    if args or not F.is_tensor(x) or not (decimals is None or (
            isinstance(decimals, int) and not isinstance(decimals, bool))):
        got = [F.arg_type_name(v) for v in (x, *args)]
        if decimals is not None:
            got.append(f"decimals={F.arg_type_name(decimals)}")
        raise GradvizError(f"round() received an invalid combination of arguments - got "
                           f"({', '.join(got)}), but expected one of:", kind=TYPE,
                           hint="torch.round(x) or torch.round(x, decimals=2): decimals is "
                                "a whole number, given by name")
    kernel = "round_cpu" if decimals else "round_vml_cpu"
    _refuse_dtype(x, "b" if decimals is None else "biu", kernel, "torch.round(x.float())")
    return rt.apply(OPS["round"], (x,), None if decimals is None else {"decimals": decimals})


def _clamp_side(name: str, key: str):
    """clamp_min(x, min) / clamp_max(x, max): a number as the bound, or a
    tensor (functions.clamp_tensors: the bound an input too)."""
    def f(rt, x, *args, **kwargs):
        given = [*args, *kwargs.values()]
        bound = given[0] if len(given) == 1 and set(kwargs) <= {key} else None
        # (a bool bound is a number, as PyTorch's Scalar takes it)
        if not F.is_tensor(x) or bound is None or not (
                isinstance(bound, (int, float)) or F.is_tensor(bound)):
            raise F.invalid_combination(name, [x, *given],
                                        hint=f"torch.{name}(x, 0.5): a tensor and a number")
        if F.is_tensor(bound):
            lo, hi = (bound, None) if key == "min" else (None, bound)
            grad_fn = "ClampMinBackward1" if key == "min" else "ClampMaxBackward1"
            return F.clamp_tensors(rt, x, lo, hi, grad_fn)
        return rt.apply(OPS[name], (x,), {key: bound})
    f.__name__ = name
    return f


def f_nan_to_num(rt, x, nan=0.0, posinf=None, neginf=None):
    x = F._need_tensor(x, "nan_to_num")
    for arg, v in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if v is not None or arg == "nan":
            F._number_arg("nan_to_num", arg, None, v, kind="float")
    p = {"nan": float(nan)}
    p.update({k: float(v) for k, v in (("posinf", posinf), ("neginf", neginf)) if v is not None})
    return rt.apply(OPS["nan_to_num"], (x,), p)


def _atan2(name: str):
    """torch.atan2 (and its alias arctan2, which its errors name)."""
    @F.tensors_only
    def f(rt, x, other):
        try:
            x, other = F._need_tensor(x, name), F._need_tensor(other, name, 2)
        except GradvizError as exc:
            exc.hint = exc.hint or f"both are tensors: torch.{name}(y, torch.full_like(y, 2.0))"
            raise
        return rt.apply(OPS["atan2"], (x, other))
    f.__name__ = name
    return f


# ---- activations (torch.nn.functional) -----------------------------------------

def _activation_input(x, name: str, kernel: str | None = None):
    x = F._need_tensor(x, name)
    _refuse_dtype(x, "biu", kernel or f"{name}_cpu", f"F.{name}(x.float())")
    return x


def _maybe_in_place(rt, x, inplace: bool, name: str, compute):
    """F.NAME(x, inplace=True): the result written into x (as x.relu_())."""
    if inplace:
        return rt.change_in_place(x, compute, name + "_")
    return compute()


def _simple(name: str, kernel: str | None = None, inplace_arg: bool = True):
    """F.silu, F.mish, F.hardsigmoid, F.hardswish (input, inplace=False);
    F.logsigmoid (input)."""
    op = OPS[name]

    def f(rt, input, inplace=False):
        x = _activation_input(input, name, kernel)
        return _maybe_in_place(rt, x, inplace, name, lambda: rt.apply(op, (x,)))

    def g(rt, input):
        return rt.apply(op, (_activation_input(input, name, kernel),))
    fn = f if inplace_arg else g
    fn.__name__ = name
    return fn


def f_gelu(rt, input, *args, approximate="none"):
    if args:
        raise GradvizError(f"gelu() takes 1 positional argument but {1 + len(args)} were given",
                           kind=TYPE, hint="give approximate by name: F.gelu(x, approximate='tanh')")
    if not isinstance(approximate, str):
        raise GradvizError(f"gelu(): argument 'approximate' must be str, not "
                           f"{F.arg_type_name(approximate)}", kind=TYPE)
    x = _activation_input(input, "gelu", "GeluKernelImpl")
    if approximate not in ("none", "tanh"):
        raise GradvizError("approximate argument must be either none or tanh.", kind=RUNTIME,
                           hint="approximate='none' (the exact erf form) or 'tanh'")
    return rt.apply(OPS["gelu"], (x,), None if approximate == "none" else {"approximate": "tanh"})


def f_hardtanh(rt, input, min_val=-1.0, max_val=1.0, inplace=False):
    # (PyTorch's Python hardtanh compares its bounds with Python's > first:
    # F.hardtanh(x, None) is that comparison's TypeError, before x is checked)
    if rt.truth(rt.binary(">", min_val, max_val)):
        raise GradvizError("min_val cannot be greater than max_val", kind=VALUE,
                           hint=f"swap them: F.hardtanh(x, {max_val}, {min_val})")
    x = F._need_tensor(input, "hardtanh")
    min_val, max_val = (F._tensor_number(v) for v in (min_val, max_val))
    F._number_arg("hardtanh", "min_val", 2, min_val)
    F._number_arg("hardtanh", "max_val", 3, max_val)
    return _maybe_in_place(rt, x, inplace, "hardtanh", lambda: rt.apply(
        OPS["hardtanh"], (x,), {"min": min_val, "max": max_val}))


def f_relu6(rt, input, inplace=False):
    """F.relu6: hardtanh(x, 0, 6), as PyTorch records it (HardtanhBackward0)."""
    x = F._need_tensor(input, "relu6")
    return _maybe_in_place(rt, x, inplace, "relu6", lambda: rt.apply(
        OPS["hardtanh"], (x,), {"min": 0.0, "max": 6.0}))


def f_softsign(rt, input):
    """x / (|x| + 1), composed as PyTorch composes it (DivBackward0 last)."""
    x = F._need_tensor(input, "softsign")
    return rt.binary("/", x, rt.binary("+", F.FUNCTIONS["abs"](rt, x), 1))


def f_tanhshrink(rt, input):
    """x - tanh(x), composed as PyTorch composes it (SubBackward0 last)."""
    x = F._need_tensor(input, "tanhshrink")
    return rt.binary("-", x, F.FUNCTIONS["tanh"](rt, x))


def _shrink(name: str):
    def f(rt, input, lambd=0.5):
        x = _activation_input(input, name, "softshrink_check" if name == "softshrink" else None)
        lambd = F.number_value(name, "lambd", 2, lambd)
        if name == "softshrink" and lambd < 0:
            top = "3.40282e+38" if x.data.dtype.itemsize == 4 else "1.79769e+308"
            raise GradvizError(f"lambda must be in range [0, {top}] for input dtype "
                               f"{F.type_word(x.data.dtype)}, but found {lambd:g}",
                               kind=RUNTIME, hint="lambd is a distance from 0: 0 or more")
        return rt.apply(OPS[name], (x,), {"lambd": float(lambd)})
    f.__name__ = name
    return f


ACTIVATIONS = {
    "gelu": f_gelu, "silu": _simple("silu"), "mish": _simple("mish"),
    "hardsigmoid": _simple("hardsigmoid"), "hardswish": _simple("hardswish"),
    "logsigmoid": _simple("logsigmoid", "log_sigmoid_cpu", inplace_arg=False),
    "hardtanh": f_hardtanh, "relu6": f_relu6, "softsign": f_softsign,
    "tanhshrink": f_tanhshrink, "softshrink": _shrink("softshrink"),
    "hardshrink": _shrink("hardshrink"),
}

TORCH_FUNCTIONS = {
    **{name: _math(name) for name in MATH}, "round": f_round,
    "clamp_min": _clamp_side("clamp_min", "min"), "clamp_max": _clamp_side("clamp_max", "max"),
    "nan_to_num": f_nan_to_num, "atan2": _atan2("atan2"), "arctan2": _atan2("arctan2"),
    "hardshrink": ACTIVATIONS["hardshrink"],
}
# x.NAME_(): those torch has in place (all of the above but hardshrink)
IN_PLACE = [name for name in TORCH_FUNCTIONS if name != "hardshrink"]


def install() -> None:
    """Add these to functions.py's tables: torch.NAME, x.NAME(), x.NAME_(), F.NAME."""
    F.FUNCTIONS.update(TORCH_FUNCTIONS)
    F.METHODS.update(TORCH_FUNCTIONS)
    F.METHODS.update(F.tensors_only_methods(("atan2", "arctan2")))
    F.METHODS.update({name + "_": F._in_place(name) for name in IN_PLACE})
    F.NN_FUNCTIONAL.update(ACTIVATIONS)
