"""What a program can ask of a tensor without computing with it: x.nbytes,
x.itemsize, x.is_cpu, x.layout, x.ndimension(), x.is_complex(),
x.is_nonzero(), x.is_same_size(y), x.get_device(), x.is_pinned(), ... and torch's function
forms (torch.is_complex(x), torch.typename(x), ...). gradviz's tensors are
real, dense, strided and on the CPU, so several answers are constants."""
from __future__ import annotations

from . import functions as F
from . import strides
from .errors import RUNTIME, GradvizError
from .render.torchfmt import Layout


# a tensor's layout (torch.strided, the only one here), printed as PyTorch
# prints it, inside a list too
STRIDED = Layout("strided")

# x.NAME, read as an attribute
ATTRIBUTES = {
    "nbytes": lambda t: int(t.data.nbytes), "itemsize": lambda t: int(t.data.itemsize),
    "is_cpu": lambda t: True, "is_sparse": lambda t: False, "is_quantized": lambda t: False,
    "is_meta": lambda t: False, "layout": lambda t: STRIDED,
    # named tensors' name: PyTorch keeps the attribute, always None here
    "name": lambda t: None,
}


def m_is_nonzero(rt, x):
    """Python's bool() of a one-element tensor, with PyTorch's errors for
    any other size."""
    F._need_tensor(x, "is_nonzero")
    if x.data.size != 1:
        raise GradvizError("Boolean value of Tensor with "
                           + ("no values" if x.data.size == 0 else "more than one value")
                           + " is ambiguous", kind=RUNTIME,
                           hint="is_nonzero() asks of one element: x.any() or x.all() "
                                "ask of many")
    return bool(x.data.reshape(()).item())


def _is_same_size(other_at: int):
    """torch.is_same_size(x, y), or x.is_same_size(y) (other_at 1: its
    errors count the position after x)."""
    def f(rt, input, other):
        F._need_tensor(input, "is_same_size")
        F._need_tensor(other, "is_same_size", other_at, "other")
        return input.data.shape == other.data.shape
    f.__name__ = "is_same_size"
    return f


def _constant(name: str, value):
    """A query whose answer is the same for every tensor here (no complex,
    negated or conjugated views, no devices but the CPU)."""
    def f(rt, input):
        F._need_tensor(input, name)
        return value
    f.__name__ = name
    return f


def f_typename(rt, obj):
    """torch.typename: a tensor's legacy type name, else its Python type's."""
    if F.is_tensor(obj):
        return F.TYPE_NAMES[obj.dtype_name]
    return F.arg_type_name(obj)


QUERIES = {
    "is_complex": _constant("is_complex", False), "is_neg": _constant("is_neg", False),
    "is_conj": _constant("is_conj", False), "get_device": _constant("get_device", -1),
    "is_nonzero": m_is_nonzero, "is_same_size": _is_same_size(2),
}



def m_is_pinned(rt, x, device=None):
    """Whether x is in pinned memory for a GPU: never here (the CPU only);
    an accelerator's index is PyTorch's error, any device given its
    DeprecationWarning."""
    F.check_device(device)
    if device is not None:
        rt.log_event("user_warning", x, category="DeprecationWarning",
                     message="The argument 'device' of Tensor.is_pinned() is deprecated. Please "
                             "do not pass this argument.")
    return False


def install() -> None:
    """Add the queries to functions.py's tables (is_signed and is_inference
    were there as methods: torch's function forms join them)."""
    F.METHODS.update(QUERIES, ndimension=F.METHODS["dim"], is_same_size=_is_same_size(1),
                     is_pinned=m_is_pinned, is_shared=_constant("is_shared", False),
                     dim_order=strides.m_dim_order)
    F.FUNCTIONS.update(QUERIES, typename=f_typename, is_signed=F.METHODS["is_signed"],
                       is_inference=F.METHODS["is_inference"])
