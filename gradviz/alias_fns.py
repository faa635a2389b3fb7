"""torch's other names for ops gradviz has: torch.negative, subtract,
multiply, absolute, greater, less, not_equal, concat, ... (and their methods
and in-place methods), and the torch.NAME_ function forms of in-place methods
(torch.exp_(x), torch.clamp_(x, 0, 1), ...).

An alias runs the original op, so its grad_fn is the original's (PyTorch's
torch.subtract gives SubBackward0, torch.concat CatBackward0)."""
from __future__ import annotations

import functools
import inspect

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import TYPE, GradvizError
from .ops import OPS

# torch's alias -> the name gradviz defines it under; each as torch.NAME,
# x.NAME() and x.NAME_()
ALIASES = {
    "negative": "neg", "subtract": "sub", "multiply": "mul", "absolute": "abs",
    "greater": "gt", "greater_equal": "ge", "less": "lt", "less_equal": "le",
    "not_equal": "ne",
}
# the aliases PyTorch's parser reads by forms of their own, not the
# original's (mul has one form, multiply two: x.multiply(0.5, min=1) is
# "received an invalid combination of arguments"): (torch.NAME's, x.NAME's)
ALIAS_FORMS = {
    "multiply": (forms("(Tensor input, Tensor other, *, Tensor out = None)",
                       "(Tensor input, Number other)", numbers_as_tensors=True),
                 forms("(Tensor other)", "(Number other)", numbers_as_tensors=True)),
    "subtract": (forms("(Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None)",
                       "(Tensor input, Number other, Number alpha = 1)", numbers_as_tensors=True),
                 forms("(Tensor other, *, Number alpha = 1)", "(Number other, Number alpha = 1)",
                       numbers_as_tensors=True)),
}
# the comparisons, whose in-place methods (x.gt_(0)) are here
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")
# functions whose result has their input's shape, written in place by
# x.NAME_() (as x.exp_() is)
SAME_SHAPE_IN_PLACE = ("tril", "triu", "cumsum", "cumprod")
# torch.concat and torch.concatenate: torch.cat (functions only, no methods)
CAT_ALIASES = ("concat", "concatenate")


def renamed(fn, old: str, new: str):
    """fn under PyTorch's other name: its errors that name the function
    ("cat(): argument 'tensors' ...") name the one the program called."""
    @functools.wraps(fn)
    def f(rt, *args, **kw):
        try:
            return fn(rt, *args, **kw)
        except TypeError as exc:
            if exc.__traceback__.tb_next is None:   # (fn's arguments do not fit: the program's)
                exc.at_the_call = True
            raise
        except GradvizError as exc:
            for prefix in ("", "TensorBase."):       # (a method's: x.negative_(1))
                if exc.message.startswith(prefix + old + "("):
                    exc.message = prefix + new + exc.message[len(prefix + old):]
                    exc.args = (exc.message,)
                    if exc.hint:                    # ("call it as x.neg_()")
                        exc.hint = exc.hint.replace(f".{old}(", f".{new}(")
            raise
    f.__name__ = new
    return f


def _positional_alpha(subtract):
    """torch.subtract(x, 2, 3) and x.subtract(2, 3): subtract's second form,
    (Number other, Number alpha), which is sub's Scalar overload
    (SubBackward1); sub's own third positional argument is its deprecated
    alpha-first form, which subtract does not have."""
    @functools.wraps(subtract)
    def f(rt, *args, **kw):
        if len(args) != 3:
            return subtract(rt, *args, **kw)
        x, other, alpha = args
        out = subtract(rt, x, other, alpha=alpha, **kw)
        if out.recorded:
            out.meta = {**(out.meta or {}), "grad_fn_name": "SubBackward1"}
        return out
    return f


def _cat_alias(name: str):
    """torch.concat / concatenate: cat's, with numpy's axis= beside dim=
    (PyTorch takes both)."""
    cat = renamed(F.FUNCTIONS["cat"], "cat", name)

    def f(rt, tensors, dim=0, **kw):
        if set(kw) - {"axis"}:
            # (a GradvizError: raised here, not at the call, a TypeError
            # would be taken for a bug)
            raise GradvizError(f"{name}() got an unexpected keyword argument "
                               f"'{next(iter(set(kw) - {'axis'}))}'", kind=TYPE,
                               hint="check the arguments (see `gradviz ops`)")
        return cat(rt, tensors, kw.get("axis", dim))
    f.__name__ = name
    return f


def compare_in_place(name: str):
    """x.gt_(y), x.eq_(y), ...: the comparison written into x, as 1 and 0 of
    x's dtype (ops/compare_inplace.py: GtBackward0 where it is recorded)."""
    op = OPS[name + "_"]

    def m(rt, x, other):
        other = F._as_operand(rt, other, (name + "_", "other", 1))
        return rt.change_in_place(x, lambda: rt.apply(op, (x, other)), name + "_", (other,))
    m.__name__ = name + "_"
    return m


def in_place_function(name: str):
    """torch.NAME_(x, ...): the method x.NAME_(...)'s write, with PyTorch's
    errors for the function (its tensor counted as an argument)."""
    method = F.METHODS[name]

    def f(rt, *args, **kw):
        if args and not F.is_tensor(args[0]):
            raise GradvizError(f"{name}(): argument 'input' (position 1) must be Tensor, "
                               f"not {F.arg_type_name(args[0])}", kind=TYPE,
                               hint=f"torch.{name} writes into a tensor: torch.{name}(x)")
        if name in F.NO_ARGUMENT_METHODS and (len(args) != 1 or kw):
            error = F.one_tensor_argument_error(name, list(args), kw)
            if error is not None:
                raise error
            args = (kw.pop("input", None) or kw.pop("x"),)       # torch.exp_(input=x)
        elif not args:
            args = (_named_input(name, kw),)                    # torch.clamp_(input=x, min=0)
        _check_arguments(name, method, rt, args, kw)
        return method(rt, *args, **kw)
    f.__name__ = name
    return f


def _check_arguments(name: str, method, rt, args: tuple, kw: dict) -> None:
    """torch.NAME_(...) given arguments its method does not take
    (torch.fill_(x) without a value): Python's words for the program's
    call, the tensor counted as an argument. (Checked before the call: a
    TypeError raised inside this wrapper would be taken for a bug.)"""
    try:
        inspect.signature(method).bind(rt, *args, **kw)
    except TypeError as exc:
        raise GradvizError(f"{name}() " + F.user_arg_counts(F.call_wording(exc)), kind=TYPE,
                           hint="check the arguments (see `gradviz ops`)") from None


def _named_input(name: str, kw: dict):
    """The tensor torch.NAME_(input=x, ...) writes into (popped from kw);
    without one, PyTorch's TypeError (the method has nothing to write into)."""
    if "input" not in kw:
        raise GradvizError(f'{name}() missing 1 required positional arguments: "input"',
                           kind=TYPE, hint=f"torch.{name} writes into a tensor: torch.{name}(x)")
    return kw.pop("input")


def in_place_functions() -> dict:
    """torch.NAME_ for each in-place method gradviz has that torch also has
    as a function, where no module made its own (math_fns's gcd_ and
    xlogy_ have their forms' errors)."""
    return {name: in_place_function(name) for name in IN_PLACE_FUNCTIONS
            if name in F.METHODS and name not in F.FUNCTIONS}


# torch's in-place functions whose method gradviz has (PyTorch 2.13's dir(torch))
IN_PLACE_FUNCTIONS = (
    "abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_",
    "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "celu_",
    "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_", "detach_",
    "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_", "fix_", "floor_", "frac_", "gcd_",
    "i0_", "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_", "logit_",
    "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_",
    "resize_as_", "rrelu_", "rsqrt_", "selu_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_",
    "square_",
    "tan_", "tanh_", "threshold_", "trunc_", "xlogy_", "zero_",
)


def install() -> None:
    """Add the aliases to functions.py's tables (after every op's module)."""
    # (x.ge_() fits neither of PyTorch's two forms: its invalid combination)
    F.METHODS.update({name + "_": checked(compare_in_place(name), name + "_",
                                          forms("(Tensor other)", "(Number other)"), method=True)
                      for name in COMPARISONS})
    F.METHODS.update({name + "_": F._in_place(name) for name in SAME_SHAPE_IN_PLACE})
    for alias, name in ALIASES.items():
        F.FUNCTIONS[alias] = renamed(F.FUNCTIONS[name], name, alias)
        F.METHODS[alias] = renamed(F.METHODS[name], name, alias)
        if alias == "subtract":
            F.FUNCTIONS[alias], F.METHODS[alias] = (_positional_alpha(F.FUNCTIONS[alias]),
                                                    _positional_alpha(F.METHODS[alias]))
        if alias in ALIAS_FORMS:
            function_forms, method_forms = ALIAS_FORMS[alias]
            F.FUNCTIONS[alias] = checked(F.FUNCTIONS[alias], alias, function_forms, method=False)
            F.METHODS[alias] = checked(F.METHODS[alias], alias, method_forms, method=True)
        if name + "_" in F.METHODS:
            F.METHODS[alias + "_"] = renamed(F.METHODS[name + "_"], name + "_", alias + "_")
    for alias in CAT_ALIASES:
        F.FUNCTIONS[alias] = _cat_alias(alias)
    F.FUNCTIONS.update(in_place_functions())
    # (its template is checked by PyTorch's parser, as the function's second argument)
    F.FUNCTIONS["resize_as_"] = checked(
        F.FUNCTIONS["resize_as_"], "resize_as_",
        forms("(Tensor input, Tensor the_template, *, torch.memory_format memory_format = None)"),
        method=False)
