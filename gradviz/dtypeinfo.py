"""What a program asks about dtypes themselves: torch.iinfo and torch.finfo
(the range of an integer or float dtype, printed as PyTorch prints them),
torch.promote_types, torch.result_type and torch.can_cast (PyTorch's type
promotion, as the arithmetic does it), and x.is_signed()."""
from __future__ import annotations

import numpy as np

from .errors import TYPE, GradvizError
from .fstrings import _type_name
from .render.torchfmt import DType
from .tape import result_dtype
from .tensor import DTYPE_NAMES, Tensor

# the order of PyTorch's categories: bool < integers < floats
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _dtype(fname: str, v, arg: str, position: int) -> np.dtype:
    """A torch.dtype argument as numpy's dtype; else PyTorch's TypeError."""
    if isinstance(v, DType):
        from .functions import DTYPES
        return DTYPES[str.__str__(v)]
    raise GradvizError(f"{fname}(): argument '{arg}' (position {position}) must be torch.dtype, "
                       f"not {'Tensor' if v.__class__ is Tensor else _type_name(v)}", kind=TYPE,
                       hint=f"give a dtype, e.g. torch.{fname}(torch.int8)" if fname.endswith(
                           "info") else "give dtypes, e.g. x.dtype or torch.int8")


def _dtype_object(dt: np.dtype) -> DType:
    from .functions import DTYPE_OBJECTS
    return DTYPE_OBJECTS[DTYPE_NAMES[dt]]


class IInfo:
    """torch.iinfo(dtype): bits, min, max and dtype (its name, a string)."""

    FIELDS = ("bits", "min", "max", "dtype")

    def __init__(self, dt: np.dtype):
        info = np.iinfo(dt)
        self.bits, self.min, self.max, self.dtype = info.bits, int(info.min), int(info.max), dt.name

    def __repr__(self) -> str:
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


class FInfo:
    """torch.finfo(dtype): eps, max, min, tiny, ... as Python floats."""

    FIELDS = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, dt: np.dtype):
        info = np.finfo(dt)
        self.bits, self.dtype = info.bits, dt.name
        self.eps, self.max, self.min = float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.tiny)
        # (PyTorch's is 10 ** -digits in double: 1e-06, not float32's nearest)
        self.resolution = 10.0 ** -info.precision

    def __repr__(self) -> str:
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


def f_iinfo(rt, type):
    dt = _dtype("iinfo", type, "type", 1)
    if dt.kind not in "iu":
        raise GradvizError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                           "handle 'torch.iinfo'", kind=TYPE,
                           hint="torch.finfo(torch.float32) tells a float dtype's range")
    return IInfo(dt)


def f_finfo(rt, type=None):
    # (torch.finfo() describes the default dtype, set_default_dtype's)
    dt = rt.tape.default_dtype if type is None else _dtype("finfo", type, "type", 1)
    if dt.kind != "f":
        raise GradvizError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                           "to handle 'torch.finfo'", kind=TYPE,
                           hint="torch.iinfo(torch.int8) tells an integer dtype's range")
    return FInfo(dt)


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promotion of two dtypes: the higher category wins whole
    (int32 and float32 make float32, where numpy makes float64); within
    one, numpy's table (uint8 and int8 make int16)."""
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def f_promote_types(rt, type1, type2):
    return _dtype_object(promote(_dtype("promote_types", type1, "type1", 1),
                                 _dtype("promote_types", type2, "type2", 2)))


def f_result_type(rt, tensor, other):
    """The dtype `tensor op other` computes in: tensors with dimensions
    outrank 0-d ones, which outrank Python numbers, within a category."""
    args = []
    for v, name, position in ((tensor, "tensor", 1), (other, "other", 2)):
        if not (v.__class__ is Tensor or isinstance(v, (int, float))):
            raise GradvizError(f"result_type(): argument '{name}' (position {position}) must be "
                               f"Tensor, not {_type_name(v)}", kind=TYPE,
                               hint="give tensors or numbers, e.g. torch.result_type(x, 2.5)")
        args.append(v)
    if not any(v.__class__ is Tensor for v in args):
        # (two Python numbers: 0-d tensors of them, as PyTorch wraps them)
        return _dtype_object(promote(*(_number_dtype(rt, v) for v in args)))
    return _dtype_object(result_dtype(args, rt.tape.default_dtype))


def _number_dtype(rt, v) -> np.dtype:
    if v.__class__ is bool:
        return np.dtype(np.bool_)
    return np.dtype(np.int64) if isinstance(v, int) else rt.tape.default_dtype


def f_can_cast(rt, from_, to):
    """Casting may not lower the category: float to an int, or a number to
    bool (within one, anything goes: float64 to float32, int8 to uint8)."""
    a, b = _dtype("can_cast", from_, "from_", 1), _dtype("can_cast", to, "to", 2)
    return _CATEGORY[a.kind] <= _CATEGORY[b.kind]


def m_is_signed(rt, x):
    return x.data.dtype.kind in "if"


FUNCTIONS = {"iinfo": f_iinfo, "finfo": f_finfo, "promote_types": f_promote_types,
             "result_type": f_result_type, "can_cast": f_can_cast}
METHODS = {"is_signed": m_is_signed}
