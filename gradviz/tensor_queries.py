"""What a program can ask of a tensor without computing with it: x.nbytes,
x.itemsize, x.is_cpu, x.layout, x.ndimension(), x.is_complex(),
x.is_nonzero(), x.is_same_size(y), x.get_device(), x.is_pinned(), ... and torch's function
forms (torch.is_complex(x), torch.typename(x), ...). gradviz's tensors are
real, dense, strided and on the CPU, so several answers are constants."""
from __future__ import annotations

from . import functions as F
from . import strides
from .errors import RUNTIME, TYPE, GradvizError
from .pytypes import PyType
from .render.torchfmt import Layout
from .tensor import SCALAR_TYPE_NAMES


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


def check_pin_memory(fname: str, v) -> None:
    """pin_memory= of a maker: False (or None, but not for torch.tensor)
    changes nothing; True needs an accelerator, which the CPU has not."""
    if v is True:
        raise GradvizError("pin_memory=True requires a CUDA or other accelerator backend; no "
                           "pinned memory allocator is available on this system.", kind=RUNTIME,
                           hint="gradviz runs on the CPU: leave pin_memory out")
    if v is not False and (v is not None or fname == "tensor"):
        raise GradvizError(f"{fname}(): argument 'pin_memory' must be bool, not "
                           f"{F.arg_type_name(v)}", kind=TYPE, hint="pin_memory=False, or leave it out")


# the makers PyTorch has several forms of: what is no layout fits none of them
OVERLOADED_MAKERS = frozenset(("arange", "eye", "linspace", "logspace", "randint", "randperm",
                               "rand", "randn", "rand_like", "randn_like", "randint_like",
                               "normal"))


def check_layout(fname: str, v, args: tuple = (), kwargs: dict | None = None) -> None:
    """layout= of a maker: torch.strided (or None), the only layout here;
    PyTorch's TypeError for what is no layout (of a maker with several
    forms, its "invalid combination" for the call: args, kwargs)."""
    if v is not None and v.__class__ is not Layout:
        if fname in OVERLOADED_MAKERS:
            raise F.invalid_combination(fname, args, keywords=kwargs or {"layout": v},
                                        hint="layout=torch.strided, the only layout of "
                                             "tensors here")
        raise GradvizError(f"{fname}(): argument 'layout' must be torch.layout, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint="layout=torch.strided, the only layout of tensors here")


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


def m_is_set_to(rt, x, tensor):
    """x.is_set_to(t): whether x and t are the same view of one memory (its
    start, sizes and strides), as x.detach() or x.view(x.shape) is of x."""
    t = F._need_tensor(tensor, "is_set_to", 1, "tensor")
    return (_memory(x.data) is _memory(t.data) and x.data.shape == t.data.shape
            and strides.layout(x) == strides.layout(t))


def _memory(a):
    # (the array a numpy view was made of, up to the one that holds the values)
    while a.base is not None:
        a = a.base
    return a


def m_share_memory_(rt, x):
    """x.share_memory_(): x itself, now counted as in shared memory
    (x.is_shared() is True after it); the values stay where they are."""
    x.meta = {**(x.meta or {}), "shared": True}
    return x


def m_is_shared(rt, x):
    return bool(x.meta is not None and x.meta.get("shared"))


def m_storage_type(rt, x):
    """x.storage_type(): the legacy typed storage class (torch.FloatStorage),
    with PyTorch's warning that typed storages are deprecated."""
    F.warn_once(rt, x, "TypedStorage is deprecated. It will be removed in the future and "
                       "UntypedStorage will be the only storage class. This should only matter "
                       "to you if you are using storages directly.  To access UntypedStorage "
                       "directly, use tensor.untyped_storage() instead of tensor.storage()")
    return PyType(f"torch.{SCALAR_TYPE_NAMES[x.data.dtype]}Storage")


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
                     is_pinned=m_is_pinned, is_shared=m_is_shared, is_set_to=m_is_set_to,
                     share_memory_=m_share_memory_, storage_type=m_storage_type,
                     dim_order=strides.m_dim_order)
    F.FUNCTIONS.update(QUERIES, typename=f_typename, is_signed=F.METHODS["is_signed"],
                       is_inference=F.METHODS["is_inference"])
