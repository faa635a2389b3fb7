"""torch.nextafter, ldexp and frexp (+ their methods, x.nextafter_(),
x.ldexp_(), torch.ldexp_): a float's neighbour, its scaling by a power of
two and its mantissa and exponent, with PyTorch's argument checks. Their
ops are in ops/float_bits.py.
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

from . import functions as F
from .alias_fns import in_place_function
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError
from .ops import OPS
from .ops.float_bits import exponent
from .tape import result_dtype


@F.tensors_only
def f_nextafter(rt, input, other):
    """The next float after input towards other (input where they are equal)."""
    x, y = F._need_tensor(input, "nextafter"), F._need_tensor(other, "nextafter", 2)
    dt = result_dtype((x, y))
    if dt.kind != "f":
        raise GradvizError(f'"nextafter_cpu" not implemented for \'{F.type_word(dt)}\'',
                           kind="NotImplementedError",
                           hint="nextafter is of floats: torch.nextafter(a.float(), b.float())")
    return rt.apply(OPS["nextafter"], (x, y))


@F.tensors_only
def f_ldexp(rt, input, other):
    """input * 2 ** other (a float result, also of integer tensors)."""
    x, e = F._need_tensor(input, "ldexp"), F._need_tensor(other, "ldexp", 2)
    return rt.apply(OPS["ldexp"], (x, e))


def m_ldexp_(rt, x, other):
    """x.ldexp_(e): x * 2 ** e written into x, a float tensor."""
    e = F._need_tensor(other, "ldexp_", 1)
    if x.data.dtype.kind != "f":
        raise GradvizError(f"ldexp can't be cast to the desired output type "
                           f"{F.type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="ldexp's result is a float: x.float().ldexp_(e)")
    return rt.change_in_place(x, lambda: f_ldexp(rt, x, e), "ldexp_", (e,))


def f_frexp(rt, input):
    """(mantissa, exponent): input = mantissa * 2 ** exponent, the mantissa
    in [0.5, 1) by size (0, inf and NaN kept, exponent 0 for them)."""
    x = F._need_tensor(input, "frexp")
    if x.data.dtype.kind != "f":
        raise GradvizError("torch.frexp() only supports floating-point dtypes", kind=RUNTIME,
                           hint="make it float first: torch.frexp(x.float())")
    mantissa = rt.apply(OPS["frexp"], (x,))
    exp = rt.tape.add(F.Tensor(exponent(x.data)), rt.span, label="frexp.exponent")
    return F.ReturnTypes("frexp", mantissa, exp, fields=("mantissa", "exponent"))


# (PyTorch's argument parser words a call with a missing or extra argument)
FUNCTIONS = {"nextafter": checked(f_nextafter, "nextafter", forms("(Tensor input, Tensor other, *, Tensor out = None)"), False),
             "ldexp": checked(f_ldexp, "ldexp", forms("(Tensor input, Tensor other, *, Tensor out = None)"), False),
             "frexp": f_frexp}
# torch.frexp's one tensor (PyTorch's argument parser words its errors)
ONE_TENSOR = ("frexp",)


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS["frexp"] = f_frexp
    F.METHODS.update({name: checked(method, name, forms("(Tensor other)"), True) for name, method
                      in F.tensors_only_methods(("nextafter", "ldexp")).items()})
    F.METHODS["nextafter_"] = F._in_place("nextafter")
    F.METHODS["ldexp_"] = m_ldexp_
    F.FUNCTIONS["ldexp_"] = in_place_function("ldexp_")
    F.ONE_TENSOR_FUNCTIONS = F.ONE_TENSOR_FUNCTIONS | frozenset(ONE_TENSOR)
    F.NO_ARGUMENT_METHODS = F.NO_ARGUMENT_METHODS | frozenset(ONE_TENSOR)
