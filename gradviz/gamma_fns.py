"""torch.mvlgamma (+ x.mvlgamma(p), x.mvlgamma_(p)), the multivariate
log-gamma function, with PyTorch's argument checks. Its op is in
ops/gamma_more.py.
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError
from .ops import OPS


def f_mvlgamma(rt, input, p):
    """sum_j lgamma(x - j/2) over j < p, plus p(p-1)/4 log(pi)."""
    x = F._need_tensor(input, "mvlgamma")
    if x.data.dtype.kind == "b":
        raise GradvizError("The input tensor may not be a boolean tensor.", kind=RUNTIME,
                           hint="make it float first: torch.mvlgamma(m.float(), p)")
    if p < 1:
        raise GradvizError("p has to be greater than or equal to 1", kind=RUNTIME,
                           hint="p is the dimension: mvlgamma(x, 1) is lgamma(x)")
    return rt.apply(OPS["mvlgamma"], (x,), {"p": p})


def m_mvlgamma_(rt, x, p):
    """x.mvlgamma_(p): written into x, a float tensor."""
    if x.data.dtype.kind != "f":
        # (PyTorch's words, the two types the other way round)
        raise GradvizError(f"mvlgamma: result type {F.type_word(x.data.dtype)} can't be cast "
                           f"to the desired output type {F.type_word(rt.tape.default_dtype)}",
                           kind=RUNTIME, hint="make it float first: x = x.float()")
    return rt.change_in_place(x, lambda: f_mvlgamma(rt, x, p), "mvlgamma_", (p,))


FUNCTIONS = {"mvlgamma": checked(f_mvlgamma, "mvlgamma", forms("input, p: int, *, out="), False)}
METHODS = {"mvlgamma": checked(f_mvlgamma, "mvlgamma", forms("p: int"), True),
           "mvlgamma_": checked(m_mvlgamma_, "mvlgamma_", forms("p: int"), True)}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update(METHODS)
