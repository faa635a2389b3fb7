"""torch.mvlgamma (+ x.mvlgamma(p), x.mvlgamma_(p)), the multivariate
log-gamma function, and torch.igamma / igammac (+ x.igamma(x), x.igamma_(x),
...), the regularized incomplete gamma functions, with PyTorch's argument
checks. Their ops are in ops/gamma_more.py and ops/igamma.py.
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError
from .ops import OPS
from .tape import result_dtype


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


def _incomplete(name: str):
    """torch.igamma(input, other) / igammac: two float tensors (PyTorch's
    kernel error for integer ones, after promotion)."""
    @F.tensors_only
    def f(rt, input, other):
        a, x = F._need_tensor(input, name), F._need_tensor(other, name, 2)
        dt = result_dtype((a, x))
        if dt.kind != "f":
            raise GradvizError(f'"{name}_cpu" not implemented for \'{F.type_word(dt)}\'',
                               kind="NotImplementedError",
                               hint=f"{name} is of floats: torch.{name}(a.float(), x.float())")
        return rt.apply(OPS[name], (a, x))
    f.__name__ = name
    return f


INCOMPLETE = ("igamma", "igammac")
FUNCTIONS = {name: checked(_incomplete(name), name, forms("(Tensor input, Tensor other, *, Tensor out = None)"), False)
             for name in INCOMPLETE}
FUNCTIONS["mvlgamma"] = checked(f_mvlgamma, "mvlgamma", forms("(Tensor input, int p, *, Tensor out = None)"), False)
METHODS = {"mvlgamma": checked(f_mvlgamma, "mvlgamma", forms("(int p)"), True),
           "mvlgamma_": checked(m_mvlgamma_, "mvlgamma_", forms("(int p)"), True)}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update(METHODS)
    F.METHODS.update({name: checked(method, name, forms("(Tensor other)"), True) for name, method
                      in F.tensors_only_methods(INCOMPLETE).items()})
    F.METHODS.update({name + "_": F._in_place(name) for name in INCOMPLETE})
