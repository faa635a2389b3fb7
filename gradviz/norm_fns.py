"""torch.dist (+ x.dist) and torch.renorm (+ x.renorm, x.renorm_): norms of
a difference and of slices, with PyTorch's argument checks. Their ops are
in ops/distances.py.
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS


def number_arg(fname: str, arg: str, v, pos: int | None):
    """A Number argument of torch's argument parser: a Python number or a
    0-d tensor's; else its TypeError (pos None: given by keyword)."""
    if F.is_tensor(v) and v.data.ndim == 0:
        return v.data.item()
    if v.__class__ not in (int, float, bool):
        where = f" (position {pos})" if pos else ""
        raise GradvizError(f"{fname}(): argument '{arg}'{where} must be Number, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint=f"{arg}= takes a number")
    return v


def _float_input(fname: str, x) -> None:
    """The norm kernels' refusal of an integer or bool tensor."""
    if x.data.dtype.kind != "f":
        raise GradvizError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {F.type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="make it float first: x.float()")


# ---- dist ------------------------------------------------------------------

def _dist(rt, x, other, p, p_at):
    p = number_arg("dist", "p", p, p_at)
    F.check_bool_sub(x, other)
    OPS["dist"].check([x.data, other.data], {})        # (the broadcast's error first)
    if x.data.dtype.kind != "f" and other.data.dtype.kind != "f":
        raise GradvizError("norm(): input dtype should be either floating point or complex. "
                           f"Got {F.type_word(np.result_type(x.data, other.data))} instead.",
                           kind=RUNTIME, hint="make it float first: torch.dist(a.float(), b)")
    return rt.apply(OPS["dist"], (x, other), {"p": float(p) if p.__class__ is bool else p})


@F.keywords_seen
def f_dist(rt, input, other, p=2, *, keywords=frozenset()):
    """||input - other||_p: the p-norm of the broadcast difference."""
    return _dist(rt, input, other, p, F.position(keywords, "p", 3))


@F.keywords_seen
def m_dist(rt, x, other, p=2, *, keywords=frozenset()):
    return _dist(rt, x, other, p, F.position(keywords, "p", 2))


# ---- renorm ----------------------------------------------------------------

def _renorm(rt, x, p, dim, maxnorm, at: int, keywords: frozenset):
    """x with each slice along dim scaled down to a p-norm of maxnorm where
    its norm is larger. at: the place of p among the call's arguments."""
    p = number_arg("renorm", "p", p, F.position(keywords, "p", at))
    maxnorm = number_arg("renorm", "maxnorm", maxnorm, F.position(keywords, "maxnorm", at + 2))
    if not p > 0:                   # (NaN too)
        raise GradvizError("renorm: non-positive-norm not supported", kind=RUNTIME,
                           hint="p is the order of the norm: p=2, p=1, ...")
    if maxnorm < 0:
        raise GradvizError(f"renorm: expected maxnorm to be >= 0 but got {float(maxnorm):g}",
                           kind=RUNTIME, hint="maxnorm is the largest norm a slice keeps")
    if x.data.ndim < 2:
        raise GradvizError(f"renorm: input needs at least 2 dimensions, got {x.data.ndim} "
                           "dimensions", kind=RUNTIME,
                           hint="renorm scales the slices of a matrix (or more) along dim")
    dim = F._dim(dim, x.data.ndim)
    _float_input("linalg.vector_norm", x)
    return rt.apply(OPS["renorm"], (x,), {"p": float(p), "dim": dim, "maxnorm": float(maxnorm)})


@F.keywords_seen
def f_renorm(rt, input, p, dim, maxnorm, *, keywords=frozenset()):
    return _renorm(rt, input, p, dim, maxnorm, 2, keywords)


@F.keywords_seen
def m_renorm(rt, x, p, dim, maxnorm, *, keywords=frozenset()):
    return _renorm(rt, x, p, dim, maxnorm, 1, keywords)


def m_renorm_(rt, x, *args, **kw):
    """x.renorm_(p, dim, maxnorm): renorm's result written into x."""
    out = METHODS["renorm"]
    return rt.change_in_place(x, lambda: out(rt, x, *args, **kw), "renorm_", args)


FUNCTIONS = {
    "dist": checked(f_dist, "dist", forms("(Tensor input, Tensor other, Number p = 2)"), method=False),
    "renorm": checked(f_renorm, "renorm", forms("(Tensor input, Number p, int dim, Number maxnorm, *, Tensor out = None)"),
                      method=False),
}
METHODS = {
    "dist": checked(m_dist, "dist", forms("(Tensor other, Number p = 2)"), method=True),
    "renorm": checked(m_renorm, "renorm", forms("(Number p, int dim, Number maxnorm)"), method=True),
}
METHODS["renorm_"] = checked(m_renorm_, "renorm_", forms("(Number p, int dim, Number maxnorm)"), method=True)


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update(METHODS)
