"""torch's complex-number functions on real tensors (gradviz's tensors are
all real): torch.real(x) and x.real are x itself, torch.imag(x) and x.imag
PyTorch's error, torch.angle(x) 0 or pi, torch.isreal(x) all True; and
torch.positive(x), also x itself (+x). With their methods.
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


FUNCTIONS = {"positive": f_positive, "real": f_real, "imag": f_imag, "angle": f_angle,
             "isreal": f_isreal}
# x.real and x.imag are attributes; the others methods too
METHOD_NAMES = ("positive", "angle", "isreal")


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update({name: FUNCTIONS[name] for name in METHOD_NAMES})
    tensor_queries.ATTRIBUTES.update(real=lambda t: t, imag=_no_imaginary_part)
    F.ONE_TENSOR_FUNCTIONS = F.ONE_TENSOR_FUNCTIONS | frozenset(FUNCTIONS)
    F.NO_ARGUMENT_METHODS = F.NO_ARGUMENT_METHODS | frozenset(METHOD_NAMES)
