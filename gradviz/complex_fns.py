"""torch's complex-number functions on real tensors (gradviz's tensors are
all real): torch.real(x) and x.real are x itself, torch.imag(x) and x.imag
PyTorch's error, torch.angle(x) 0 or pi, torch.isreal(x) all True;
torch.positive(x), also x itself (+x); the conjugates conj, conj_physical,
resolve_conj and resolve_neg, x itself, and conj_physical_ (a copy of x
into itself, recorded); adjoint, the transpose of the last two dims. With
their methods.
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import tensor_queries
from .errors import RUNTIME, GradvizError
from .ops import OPS


def f_positive(rt, input):
    """+x: x itself (PyTorch returns the same tensor), refused for bool."""
    x = F._need_tensor(input, "positive")
    if x.data.dtype.kind == "b":
        raise GradvizError("The `+` operator, on a bool tensor is not supported.",
                           kind=RUNTIME, hint="convert it first: m.long() or m.float()")
    return x


def f_real(rt, input):
    """A real tensor's real part: the tensor itself."""
    return F._need_tensor(input, "real")


def _no_imaginary_part(x):
    raise GradvizError("imag is not implemented for tensors with non-complex dtypes.",
                       kind=RUNTIME, hint="a real tensor has no imaginary part: it is 0 "
                                          "(torch.zeros_like(x))")


def f_imag(rt, input):
    _no_imaginary_part(F._need_tensor(input, "imag"))


def f_angle(rt, input):
    """The argument of each element as a complex number: pi where it is
    negative, else 0 (a float tensor, with a zero gradient)."""
    return rt.apply(OPS["angle"], (F._need_tensor(input, "angle"),))


def f_isreal(rt, input):
    """Whether each element is real: all are, in a real tensor."""
    x = F._need_tensor(input, "isreal")
    return F._leaf(rt, np.ones(x.data.shape, bool), False, "isreal")


def _itself(name: str):
    """A conjugate of a real tensor: the tensor itself (PyTorch returns the
    same object: no new node, no view)."""
    def f(rt, input):
        return F._need_tensor(input, name)
    f.__name__ = f"f_{name}"
    return f


def f_conj_physical_(rt, input):
    """x.conj_physical_(): x written with its conjugate, itself: an in-place
    write PyTorch records (ConjPhysicalBackward1, a new version)."""
    x = F._need_tensor(input, "conj_physical_")
    return rt.change_in_place(x, lambda: rt.apply(OPS["conj_physical_"], (x,)),
                              "conj_physical_")


def f_adjoint(rt, input):
    """The conjugate transpose of a matrix (or of each in a batch): on real
    tensors the transpose of the last two dims, a view. A 0-d tensor is
    itself, with PyTorch's deprecation warning; a 1-d one is refused."""
    x = F._need_tensor(input, "adjoint")
    if x.data.ndim == 0:
        F.warn_once(rt, x, "adjoint() is deprecated on 0-D tensors. Consider using x.conj().")
        return x
    if x.data.ndim == 1:
        raise GradvizError("tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 1-D tensor.", kind=RUNTIME,
                           hint="a vector has no transpose: x.unsqueeze(0) makes it a row")
    return F.f_transpose(rt, x, -2, -1)


CONJUGATES = ("conj", "conj_physical", "resolve_conj", "resolve_neg")
FUNCTIONS = {"positive": f_positive, "real": f_real, "imag": f_imag, "angle": f_angle,
             "isreal": f_isreal, "conj_physical_": f_conj_physical_, "adjoint": f_adjoint,
             **{name: _itself(name) for name in CONJUGATES}}
# x.real and x.imag are attributes; the others methods too
METHOD_NAMES = ("positive", "angle", "isreal", "conj_physical_", "adjoint", *CONJUGATES)


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update({name: FUNCTIONS[name] for name in METHOD_NAMES})
    tensor_queries.ATTRIBUTES.update(real=lambda t: t, imag=_no_imaginary_part)
    F.ONE_TENSOR_FUNCTIONS = F.ONE_TENSOR_FUNCTIONS | frozenset(FUNCTIONS)
    F.NO_ARGUMENT_METHODS = F.NO_ARGUMENT_METHODS | frozenset(METHOD_NAMES)
