"""The functions and tensor methods a program can call.

FUNCTIONS maps a DSL name (``torch.`` prefix optional) to f(rt, *args, **kw);
METHODS maps a tensor method name to f(rt, self, *args, **kw). rt is the
running Interpreter: rt.apply(op, args, params) runs and records an op at
the span of the call being evaluated. Nothing here is reachable from a
program except through these two tables (and ATTRIBUTES in interpreter.py).
"""
from __future__ import annotations

import functools
import inspect
import math
import re
import reprlib

from collections import OrderedDict

import numpy as np

from . import (arg_parser, autodiff, forward_ad, hooks, pycollections, pyitertools, pymethods,
               pytypes, strides)
from . import multi_views  # (retain_grad() of a piece of a split)
from .errors import (INDEX, KEY, LIMIT, RUNTIME, TYPE, VALUE, GradvizError, argument_hint,
                     signature_names)
from .data import (INDEXED, SAMPLERS, DataLoader, IndexWalk, LoaderIter, SampleWalk,
                   size as data_size)
from .forward_ad import UnpackedDual
from .gradfns import GradFn
from .ops import OPS, windows
from .ops.elementwise import BOOL_SUB_MESSAGE
from .ops.registry import broadcast_shape
from .render.torchfmt import DICTS, DICT_VIEWS, Device, DType, NumpyArray, Size
from .rng import DEFAULT_GENERATOR, CPUGenerator, TorchGenerator
from .tape import scalar_int
from .tensor import CPP_TYPE_NAMES, DTYPE_NAMES, SCALAR_TYPE_NAMES, Tensor

DTYPES = {
    "float32": np.dtype(np.float32), "float": np.dtype(np.float32),
    "float64": np.dtype(np.float64), "double": np.dtype(np.float64),
    "int64": np.dtype(np.int64), "long": np.dtype(np.int64),
    "int32": np.dtype(np.int32), "int": np.dtype(np.int32),
    "int16": np.dtype(np.int16), "short": np.dtype(np.int16),
    "int8": np.dtype(np.int8), "uint8": np.dtype(np.uint8),
    "bool": np.dtype(np.bool_),
    "float16": np.dtype(np.float16), "half": np.dtype(np.float16),
}
CANONICAL_DTYPE = {"float": "float32", "double": "float64", "long": "int64", "int": "int32",
                   "short": "int16", "half": "float16"}
# one object per dtype, as torch has: x.dtype is torch.float32, and
# torch.float is torch.float32
DTYPE_OBJECTS = {name: DType(name) for name in ("float32", "float64", "int64", "int32", "int16",
                                                "int8", "uint8", "bool", "float16")}
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
F16 = np.dtype(np.float16)


# ---- small helpers ------------------------------------------------------

def is_tensor(v) -> bool:
    return v.__class__ is Tensor


def as_tensor(rt, v, like: Tensor | None = None) -> Tensor:
    """A Python number or nested list as a constant tensor (for cat, where...)."""
    if is_tensor(v):
        return v
    return _make_tensor(rt, v, None, False, "tensor")


def _dtype_arg(dtype) -> np.dtype | None:
    if dtype is None:
        return None
    if isinstance(dtype, DType):
        return DTYPES[str.__str__(dtype)]   # str() of a DType is "torch.float32"
    # Python's own types, as PyTorch takes them (dtype=float is float64)
    dt = PY_TYPE_DTYPES.get(getattr(dtype, "impl", None))
    if dt is not None:
        return dt
    raise GradvizError("dtype must be a torch dtype such as torch.float32, not "
                       f"{_describe(dtype)}", kind=TYPE)


def _check_requires_grad(dt: np.dtype, requires_grad, method=False):
    if requires_grad and dt.kind != "f":
        msg = ("only Tensors of floating point dtype can require gradients" if method else
               "Only Tensors of floating point and complex dtype can require gradients")
        raise GradvizError(msg, hint="use float data (e.g. 1.0 instead of 1, arange(4.0) "
                                     "instead of arange(4)) or pass dtype=torch.float32")


def _leaf(rt, data: np.ndarray, requires_grad, label: str) -> Tensor:
    if requires_grad:
        _check_requires_grad(data.dtype, requires_grad)
    if rt.tape.wide_floats and (data.dtype == F32 or data.dtype == F16):
        # float64 mode: the same float32- (or float16-) rounded values, exact
        # arithmetic after
        data = data.astype(rt.tape.default_float)
    t = Tensor(data, bool(requires_grad))
    return rt.tape.add(t, rt.span, label=label)


# the functions with another form whose first argument is no size list
# (rand(n, generator=g), view(dtype)): a first size that is no int fits none
_OVERLOADED_SIZES = frozenset({"rand", "randn", "view"})


def int_list(fname: str, arg: str, args: tuple, position: int = 1) -> tuple:
    """f(2, 3) / f((2, 3)) / f([2, 3]) -> (2, 3) as PyTorch's argument parser
    reads an int list (arg: its name, position: its place), with its
    TypeErrors: it checks the first item's type with the argument's and
    unpacks the others one by one (a bool after the first is an int there)."""
    packed = not (len(args) == 1 and isinstance(args[0], (tuple, list)))
    items = tuple(args) if packed else tuple(args[0])
    out = []
    for i, a in enumerate(items):
        if a.__class__ is bool and i:
            a = int(a)
        elif a.__class__ is Tensor and a.data.dtype.kind in "iu" and a.data.size == 1:
            a = int(a.data.item())      # (its __index__: ones(n, 3) with n = torch.tensor(2))
        if isinstance(a, bool) or not isinstance(a, int):
            raise _int_list_error(fname, f"'{arg}' (position {position})", args, items, i,
                                  packed)
        out.append(a)
    return tuple(out)


def int_list_item_error(fname: str, arg: str, items: list, i: int) -> GradvizError:
    """PyTorch's parser's TypeError for items[i] of a tuple of ints that is
    no int (arg: the argument's name and place, "'output_size' (position 2)")."""
    return _int_list_error(fname, arg, [items], items, i, False)


def _int_list_error(fname, arg, args, items, i, packed) -> GradvizError:
    """int_list's TypeError for items[i], which is no int (arg: the
    argument's name and place, as the messages give them)."""
    bad, hint = arg_type_name(items[i]), f"sizes are whole numbers: {fname}(2, 3)"
    if i:
        msg = (f"{fname}(): argument {arg.split()[0]} failed to unpack the object at pos "
               f"{i + 1} with error \"type must be tuple of ints,but got {bad}\"")
    elif fname == "view" or (packed and len(items) > 1 and fname in _OVERLOADED_SIZES):
        return invalid_combination(fname, list(args), hint=hint)
    elif packed and len(items) > 1:
        msg = f"{fname}() takes 1 positional argument but {len(items)} were given"
    elif packed:
        msg = f"{fname}(): argument {arg} must be tuple of ints, not {bad}"
    else:
        msg = (f"{fname}(): argument {arg} must be tuple of ints, but found element of type "
               f"{bad} at pos 0")
    return GradvizError(msg, kind=TYPE, hint=hint)


def _shape_args(rt, args, what, arg: str | None = "size", position: int = 1) -> tuple:
    """ones(2, 3) / ones((2, 3)) / ones([2, 3]) / ones(x.shape) -> (2, 3)
    (arg: the argument's name in PyTorch's errors, position its place;
    None: a lone int argument, such as eye's n)."""
    if arg is not None:
        args = int_list(what, arg, args, position)
    elif len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    shape = []
    for pos, a in enumerate(args, 1):
        a = read_int(a)                 # (torch.eye(torch.tensor(2)): PyTorch reads its int)
        if isinstance(a, bool) or not isinstance(a, int):
            raise GradvizError(f"{what}(): sizes must be whole numbers, got {_describe(a)}",
                               kind=TYPE, hint=f"write e.g. {what}(2, 3)")
        int64_size(what, arg, pos, a)
        if a < 0:
            raise GradvizError(_NEGATIVE_SIZE.get(what, "Trying to create tensor with negative "
                                                        "dimension {a}: {args}").format(
                                   a=a, args=list(args), name="nm"[pos - 1:pos]),
                               hint="sizes must be 0 or more")
        shape.append(a)
    rt.tape.check_shape(tuple(shape))
    return tuple(shape)


# PyTorch's words for a negative size, where a function has its own
_NEGATIVE_SIZE = {"zeros": "zeros: Dimension size must be non-negative.",
                  "eye": "{name} must be greater or equal to 0, got {a}"}


def int64_size(fname: str, arg: str | None, pos: int, s) -> None:
    """PyTorch's error for a size that is no int64: its argument parser's
    TypeError naming the argument and the size's place (pos) in it, or for
    a lone int argument (arg None) the ValueError of its unpacking."""
    if s.__class__ is int and not -2**63 <= s < 2**63:
        hint = "a size is an int64: at most 2**63 - 1"
        if arg is None:
            raise GradvizError("Overflow when unpacking long long", kind=VALUE, hint=hint)
        raise GradvizError(f"{fname}(): argument '{arg}' failed to unpack the object at pos "
                           f"{pos} with error \"Overflow when unpacking long long",
                           kind=TYPE, hint=hint)


def int64_sizes(fname: str, arg: str | None, sizes) -> None:
    for pos, s in enumerate(sizes, 1):
        int64_size(fname, arg, pos, s)


def int64_ints(fname: str, arg: str, v) -> None:
    """PyTorch's error for an int-list argument (a kernel_size, a stride)
    holding an int past int64: a lone int is the ValueError of its
    unpacking, a list's item its parser's TypeError naming arg."""
    if v.__class__ is int:
        int64_size(fname, None, 1, v)
    elif isinstance(v, (tuple, list)):
        int64_sizes(fname, arg, v)


_VALUE_KINDS = {"Module": "module", "Function": "function", "BoundMethod": "method",
                "GradFn": "grad_fn"}


def _describe(v) -> str:
    if is_tensor(v):
        return f"a tensor of shape {list(v.data.shape)}"
    kind = _VALUE_KINDS.get(type(v).__name__)
    if kind is not None:           # the interpreter's own objects: no Python repr
        return f"{kind} '{v.name}'"
    if isinstance(v, (str, int, float, list, tuple)) or v is None:
        # reprlib: a list of a million numbers (or nested a thousand deep) stays short
        return f"{type(v).__name__} {reprlib.repr(v)}"
    return type(v).__name__


def _infer_dtype(rt, flat) -> np.dtype:
    """The dtype PyTorch infers for a list of numbers: a Python float makes
    the default dtype (torch.get_default_dtype()), as does no number at all."""
    if _has_numpy_scalar(flat):         # (np.float64(1.5): its dtype)
        return _numpy_scalars_dtype(rt, flat)
    kind = 0
    for v in flat:
        if isinstance(v, bool):
            continue
        if isinstance(v, int):
            kind = max(kind, 1)
        elif isinstance(v, float):
            return rt.tape.default_dtype
    return (np.dtype(np.bool_), np.dtype(np.int64))[kind] if flat else rt.tape.default_dtype


def _has_numpy_scalar(flat) -> bool:
    return any(issubclass(t, np.generic) for t in set(map(type, flat)))


def _numpy_scalars_dtype(rt, flat) -> np.dtype:
    """The dtype PyTorch infers for numbers some of which are numpy scalars
    (torch.tensor([np.float64(1.5), 2.0]) is float64): each number's own
    (a Python float's the default float), promoted as PyTorch promotes."""
    from .dtypeinfo import promote
    out = None
    for v in flat:
        dt = v.dtype if isinstance(v, np.generic) else _number_dtype(rt, v)
        out = dt if out is None else promote(out, dt)
    return out


def _numpy_plain(level: list) -> list:
    """A level of nested lists with numpy's values as PyTorch reads them: an
    array as the list of its rows or numbers, a numpy scalar as itself (its
    dtype counts: torch.tensor([np.float64(1.5)]) is float64); in place."""
    types = set(map(type, level))       # (the common case, none, at C speed)
    if NumpyArray not in types and np.ndarray not in types:
        return level
    for i, v in enumerate(level):
        if v.__class__ is NumpyArray:
            v = v.array
        if isinstance(v, (np.ndarray, np.generic)):
            level[i] = list(v) if isinstance(v, np.ndarray) and v.ndim else v[()]
    return level


def _check_inferable(data) -> None:
    """PyTorch infers tensor()'s dtype from every value before it looks at
    the shape, in order, depth first: a None (or another object with no
    dtype) anywhere is its RuntimeError; a str it leaves to the shape's
    checks."""
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(reversed(v))
        elif v is None or v.__class__ in (dict, set, range):
            raise GradvizError(f"Could not infer dtype of {type(v).__name__}", kind=RUNTIME,
                               hint="tensor() takes numbers (or lists of them)")
        elif isinstance(v, str):
            return


def _floats(data, dtype) -> bool:
    """Whether tensor(data, dtype=dtype) is of a float dtype: dtype's, or
    the inferred one (a float anywhere in data, however deep)."""
    if dtype is not None:
        return dtype.kind == "f"
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif v.__class__ is float or (is_tensor(v) and v.data.dtype.kind == "f"):
            return True
    return False


def _flatten_nested(data, dtype=None):
    """Flatten nested lists (without recursion) checking they are rectangular;
    returns (flat values, shape) or raises PyTorch's ValueError wording."""
    shape = []
    level = [data]
    while level and isinstance(_numpy_plain(level)[0], (list, tuple)):
        n = len(level[0])
        for item in level:
            if not isinstance(item, (list, tuple)):
                raise GradvizError(f"expected sequence of length {n} at dim {len(shape)} "
                                   f"(got {_describe(item)})", kind=VALUE)
            if len(item) != n:
                raise GradvizError(f"expected sequence of length {n} at dim {len(shape)} "
                                   f"(got {len(item)})", kind=VALUE,
                                   hint="every row of a nested list must have the same length")
        shape.append(n)
        level = [x for item in level for x in item]
        if len(level) > 10_000_000:
            raise GradvizError("this list is too big", kind=LIMIT)
    level = _numpy_plain(level)
    for v in level:
        if isinstance(v, (list, tuple)):
            # (PyTorch stores it as a number of the dtype: its conversion's error)
            message = f"must be real number, not {type(v).__name__}" if _floats(data, dtype) \
                else f"'{type(v).__name__}' object cannot be interpreted as an integer"
            raise GradvizError(message, kind=TYPE, hint="every row must be nested equally deep")
        if is_tensor(v):
            if v.data.size != 1:
                raise GradvizError("only one element tensors can be converted to Python "
                                   "scalars", kind=VALUE)
        elif not isinstance(v, (int, float)) and not (isinstance(v, np.generic) and
                                                      v.dtype in DTYPE_NAMES):
            raise GradvizError(f"tensor() takes numbers, got {_describe(v)}", kind=TYPE)
        elif dtype is not None and dtype.kind in "iub" and isinstance(v, np.generic):
            numpy_scalar_as_int(v, dtype)
    flat = [v.data.item() if is_tensor(v) else v for v in level]
    return flat, tuple(shape)


def numpy_scalar_as_int(v: np.generic, dtype: np.dtype) -> None:
    """A numpy scalar written into an integer or bool tensor by tensor():
    PyTorch reads it through __index__, which numpy's float32 and float16
    scalars lack (np.float64 is a Python float) and, for an integer dtype,
    numpy's bool too: Python's TypeError."""
    if (isinstance(v, np.floating) and not isinstance(v, float)) or \
            (isinstance(v, np.bool_) and dtype.kind != "b"):
        raise GradvizError(f"'numpy.{type(v).__name__}' object cannot be interpreted as an "
                           "integer", kind=TYPE, hint="convert it first: int(v), or make the "
                                                      "tensor a float one")


# the integer dtypes narrower than int64, and the C names full() and fill_()
# give them in their overflow errors (tensor() gives the dtype's name)
NARROW_INTS = {np.dtype(np.int32): "int", np.dtype(np.int16): "int16_t",
               np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t"}


def narrow_ints(values: list, dt: np.dtype, name: str) -> np.ndarray:
    """Python numbers as a 1-d array of the narrow integer dtype dt, as
    PyTorch converts them: a float must lie in dt's range (then it is cut
    to a whole number), an int too, except that a negative int wraps around
    into uint8 (-1 is 255); else PyTorch's error, naming the type name."""
    info = np.iinfo(dt)
    if any(v.__class__ is float for v in values):
        a = np.array(values, np.float64)
        bad = ~((a >= info.min) & (a <= info.max))       # (nan is bad too)
        a = np.trunc(np.where(bad, 0, a))
    else:
        a = np.array(values, np.int64)
        # (a negative int wraps into uint8 as far as -255, as PyTorch's check lets it)
        bad = (a > info.max) | (a < (info.min if info.min else -info.max))
    if bad.any():
        raise GradvizError(f"value cannot be converted to type {name} without overflow",
                           kind=RUNTIME, hint=f"{dt.name} holds whole numbers from {info.min} "
                                              f"to {info.max}: use a wider dtype such as "
                                              "torch.int64, or x.to(torch.%s) of a tensor, "
                                              "which wraps around" % dt.name)
    return a.astype(np.int64).astype(dt)


# the C names full() and fill_() give float16 and float32 in their overflow errors
FLOAT_NAMES = {np.dtype(np.float16): "c10::Half", F32: "float"}


def checked_float(value, dt: np.dtype, filled: int | None = None):
    """A Python number written into a float16/float32 tensor (full, fill_,
    masked_fill, clamp's bounds) as PyTorch's checked conversion takes it:
    an int past int64 is Python's OverflowError, a finite number past the
    dtype's largest its overflow error (inf and nan pass; numbers within
    the range round as usual). Arithmetic's numbers are not checked, nor a
    fill of exactly one float16 element (filled=1: PyTorch's one-element
    fill rounds it to inf unchecked)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -2**63 <= value < 2**64:
        # (past int64, PyTorch reads an int as unsigned)
        raise GradvizError("can't convert negative int to unsigned" if value < 0
                           else "int too big to convert", kind="OverflowError",
                           hint="a number written into a tensor fits in 64 bits")
    name = FLOAT_NAMES.get(dt)
    if dt == F16 and filled == 1:
        return value
    if name is not None and isinstance(value, (int, float)) and math.isfinite(value) \
            and abs(value) > float(np.finfo(dt).max):
        raise GradvizError(f"value cannot be converted to type {name} without overflow",
                           kind=RUNTIME, hint=f"{dt.name}'s largest number is "
                                              f"{float(np.finfo(dt).max):g}: use a wider dtype "
                                              "(torch.float64), or float('inf') for infinity")
    return value


# the dtype of tensor(number): an int makes int64 (a float the default dtype)
_NUMBER_DTYPES = {float: None, int: np.dtype(np.int64), bool: np.dtype(np.bool_)}


def _number_dtype(rt, v) -> np.dtype:
    """The dtype of tensor(v) for a Python number v (a float: the default)."""
    return _NUMBER_DTYPES.get(v.__class__) or rt.tape.default_dtype


def numbers_array(values, dt: np.dtype) -> np.ndarray:
    """Python numbers as an array of dt; to float16 through float32, as
    PyTorch converts a number to float16 (the nearest float16 to a double
    may differ from it)."""
    if dt == F16:
        return np.array(values, F32).astype(F16)
    try:
        return np.array(values, dt)
    except OverflowError:
        if dt.kind not in "iu":
            raise                   # (10**400 as a float: Python's own error)
        # an int past 64 bits, as PyTorch's tensor() unpacks it
        raise GradvizError("Overflow when unpacking long long", kind=VALUE,
                           hint="a tensor's integers fit in 64 bits: write a float "
                                "(1e30) for a bigger number") from None


def _make_tensor(rt, data, dtype, requires_grad, label):
    if data.__class__ in _NUMBER_DTYPES and rt.tape.max_elements:
        # tensor(0.5): a 0-d tensor straight from the number, in the dtype
        # asked for (1.7 as float64 must not pass through float32)
        if dtype in NARROW_INTS:
            return _leaf(rt, narrow_ints([data], dtype, dtype.name).reshape(()), requires_grad,
                         label)
        arr = numbers_array(data, dtype if dtype is not None else _number_dtype(rt, data))
        return _leaf(rt, arr, requires_grad, label)
    if data.__class__ is range:              # torch.tensor(range(4)): its ints
        rt.tape.check_size(len(data), "tensor")
        if len(data):                        # (an empty one is [], a float tensor)
            arr = np.arange(data.start, data.stop, data.step, dtype=np.int64)
            return _leaf(rt, arr if dtype is None else arr.astype(dtype), requires_grad, label)
        data = []
    if is_tensor(data):
        arr = data.data.copy()
    elif data.__class__ is NumpyArray:       # torch.tensor(x.numpy()): its dtype
        from .numpy_arrays import to_tensor_array
        if dtype is not None and dtype.kind in "iub" and isinstance(data.array, np.generic):
            numpy_scalar_as_int(data.array, dtype)
        arr = to_tensor_array(data).copy()
    else:
        if dtype is None:
            _check_inferable(data)
        flat, shape = _flatten_nested(data, dtype)
        # the requested dtype directly: 1.7 as float64 must not pass through float32
        dt = dtype if dtype is not None else _infer_dtype(rt, flat)
        if dt == np.int64 and any(v.__class__ is int and not -2**63 <= v < 2**63 for v in flat):
            raise GradvizError("Overflow when unpacking long long", kind=VALUE,
                               hint="an int64 holds whole numbers below 2**63: write the "
                                    "number as a float (1e20) for a float tensor")
        rt.tape.check_shape(shape)
        if dt in NARROW_INTS:
            arr = narrow_ints(flat, dt, dt.name).reshape(shape)
        else:
            arr = numbers_array(flat, dt).reshape(shape)
    if dtype is not None:
        arr = arr.astype(dtype)
    return _leaf(rt, arr, requires_grad, label)


def _dim(d, ndim, allow_end=False) -> int:
    """Normalise a dim argument like PyTorch (negative counts from the end)."""
    d = read_int(d)
    if isinstance(d, bool) or not isinstance(d, int):
        raise GradvizError(f"dim must be an integer, not {_describe(d)}", kind=TYPE)
    if not -2**63 <= d < 2**63:          # (PyTorch's parser reads an int64 first)
        raise GradvizError("Overflow when unpacking long long", kind=VALUE,
                           hint="a dim is a small int: 0, 1, -1, ...")
    hi = ndim + (1 if allow_end else 0)
    lo_ok = -max(hi, 1)
    top = max(hi, 1) - 1
    if d < lo_ok or d > top:
        raise GradvizError(
            f"Dimension out of range (expected to be in range of [{lo_ok}, {top}], but got {d})",
            kind=INDEX, hint=f"this tensor has {ndim} dimension(s)")
    return d % max(hi, 1)


def read_int(v):
    """v, or the int of a 0-dim integer (not bool) tensor, which PyTorch's
    argument parser reads for an int argument (x.sum(torch.tensor(0)))."""
    if v.__class__ is Tensor and v.data.ndim == 0 and v.data.dtype.kind in "iu":
        return int(v.data)
    return v


def read_dims(v):
    """v, or the int of a one-element integer or bool tensor of any shape,
    which PyTorch's argument parser reads for a tuple-of-ints dim
    (x.sum(torch.tensor([0])) is dim 0, x.sum(torch.tensor(True)) dim 1),
    also as an item of a list of dims; an int-only dim (softmax's, prod's)
    takes a 0-dim integer tensor only (read_int)."""
    if isinstance(v, (tuple, list)):
        return v.__class__(map(_read_dim_item, v))
    if v.__class__ is Tensor and v.data.size == 1 and v.data.dtype.kind in "iub":
        return int(v.data.reshape(-1)[0])
    return v


def _read_dim_item(v):
    # (an item is read by its __index__: an integer tensor of one element)
    if v.__class__ is Tensor and v.data.size == 1 and v.data.dtype.kind in "iu":
        return int(v.data.reshape(-1)[0])
    return v


def _keep_given(t: Tensor, key: str, given, used) -> Tensor:
    """t's op normalised its dim argument (-1 -> the last dim, a tuple sorted):
    PyTorch's node keeps it as the program gave it (grad_fn._saved_dim shows
    -1 as 2**64 - 1, a tuple in the order given), so the given one is kept
    beside it for those attributes; the op computes with the normalised one."""
    # (a 0-dim integer tensor given as a dim is kept as the int PyTorch read)
    given = tuple(map(read_int, given)) if isinstance(given, (tuple, list)) else read_int(given)
    if given != used and t.recorded:
        m = t.meta
        t.meta = m = {} if m is None else m
        m.setdefault("given", {})[key] = given
    return t


def _dims(dim, ndim):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        dims = tuple(sorted({_dim(d, ndim) for d in dim}))
    else:
        dims = (_dim(dim, ndim),)
    # a 0-d tensor takes dim 0 or -1 as PyTorch does, but has no axis to reduce
    return dims if ndim else ()


def _need_tensor(v, fname, pos=1, arg=None) -> Tensor:
    """v, a tensor; else PyTorch's TypeError for the argument (`arg`, by
    default 'input' first and 'other' second, as most of torch's functions
    name theirs; pos None: given by keyword, which PyTorch's error gives
    no position)."""
    if not is_tensor(v):
        arg = arg or ("input" if pos == 1 else "other")
        where = f" (position {pos})" if pos else ""
        raise GradvizError(f"{fname}(): argument '{arg}'{where} must be Tensor, not "
                           f"{arg_type_name(v)}", kind=TYPE, hint=_number_hint(fname, [v]))
    return v


def tensors_only(f):
    """Mark f, a torch function or tensor method that takes tensors only
    (torch.maximum, torch.atan2), so that a numpy scalar argument reaches it
    as it is, not as the Python number it holds (interpreter's
    _numpy_scalars_as_numbers): its TypeError then names numpy's type
    ("must be Tensor, not numpy.float32"), as PyTorch's does."""
    f.tensors_only = True
    return f


def tensors_only_methods(names) -> dict:
    """x.NAME(other) for the functions of tensors only (tensors_only) among
    FUNCTIONS: their errors count positions from after x, as PyTorch's for
    the method do ("argument 'other' (position 1)")."""
    from .selection import _as_method
    return {name: tensors_only(_as_method(name, FUNCTIONS[name])) for name in names}


def keywords_seen(f):
    """f called with keywords=, the names of the arguments its call gave by
    keyword: PyTorch's argument errors say where a positional argument
    stands ("argument 'bias' (position 4)") but not a keyword's."""
    @functools.wraps(f)
    def call(rt, *args, **kwargs):
        try:
            return f(rt, *args, keywords=frozenset(kwargs), **kwargs)
        except TypeError as exc:
            if exc.__traceback__.tb_next is None:   # (f's arguments do not fit: the program's)
                exc.at_the_call = True
            raise
    sig = inspect.signature(f)
    call.__signature__ = sig.replace(parameters=[p for p in sig.parameters.values()
                                                 if p.name != "keywords"])
    return call


def position(keywords: frozenset, name: str, pos: int) -> int | None:
    """pos, or None when the argument came by keyword (see keywords_seen)."""
    return None if name in keywords else pos


def float_arg(fname: str, name: str, v, hint: str) -> float:
    """A float argument of one of torch's C++ functions: a number or a
    one-element tensor; else PyTorch's "argument 'eps' must be float"."""
    if is_tensor(v) and v.data.size == 1:
        return float(v.data.reshape(()))
    if not isinstance(v, (int, float)):
        raise GradvizError(f"{fname}(): argument '{name}' must be float, not {arg_type_name(v)}",
                           kind=TYPE, hint=hint)
    return float(v)


def bool_arg(fname: str, name: str, v, pos: int | None = None) -> bool:
    """A bool argument of one of torch's C++ functions: a Python bool only
    (PyTorch refuses 1, None, a numpy bool or a tensor there, where Python
    would take any truth value); pos None: given by keyword, which
    PyTorch's message gives no position."""
    if v.__class__ is bool:
        return v
    where = f" (position {pos})" if pos else ""
    raise GradvizError(f"{fname}(): argument '{name}'{where} must be bool, not "
                       f"{parsed_type_name(v)}", kind=TYPE,
                       hint=f"{name}= takes True or False: {name}=True")


def parsed_type_name(v) -> str:
    """The name PyTorch's argument parser gives v's type: a numpy value's
    is numpy's full name (numpy.bool, numpy.float64, numpy.ndarray)."""
    if v.__class__ is NumpyArray:          # (a program's numpy value, scalar or array)
        return pytypes.numpy_type_name(v.array)
    return arg_type_name(v)


def arguments_got(args, keywords: dict) -> str:
    """What PyTorch's "received an invalid combination of arguments - got
    (...)" lists: the positional arguments' types, then the keywords' last
    to first; each keyword followed by ", " when no positional one came."""
    got = [parsed_type_name(v) for v in args]
    named = [f"{k}={parsed_type_name(v)}" for k, v in reversed(keywords.items())]
    return ", ".join(got + named) if got else "".join(f"{w}, " for w in named)


def at_most_zero(value, hint: str) -> bool:
    """value <= 0 as a layer's Python checks a size (groups, num_layers): a
    value no number compares with is Python's TypeError."""
    if not isinstance(value, (int, float)):
        raise GradvizError(f"'<=' not supported between instances of "
                           f"'{arg_type_name(value)}' and 'int'", kind=TYPE, hint=hint)
    return value <= 0


def arg_type_name(v) -> str:
    """The name PyTorch's argument errors give v's type: Tensor, int, list,
    the class of a module (ReLU) or of the program's object."""
    if is_tensor(v):
        return "Tensor"
    if v.__class__ is NumpyArray and isinstance(v.array, np.generic):
        return f"numpy.{type(v.array).__name__}"      # numpy.float32, numpy.bool
    if v.__class__.__name__ == "Instance":
        return v.cls.name
    if v.__class__.__name__ in pytypes.NN_CLASS_NAMES:
        return v.name
    if v.__class__ is ReturnTypes:          # (its C type's full name: x.max(0)'s)
        return f"torch.return_types.{v.kind}"
    from .fstrings import _type_name
    return _type_name(v)


# torch's functions whose names are also Python's builtins: a bare name is
# Python's builtin for Python values (bare_builtins.py), so only torch.NAME
# reaches these with a number; what to write instead
_SHADOWED_BUILTINS = {"min": "min(a, b)", "max": "max(a, b)", "sum": "sum(items)",
                      "abs": "abs(a)", "pow": "a ** b"}


def _number_hint(fname, values) -> str | None:
    """The hint of an error about Python values given where a tensor is
    needed: make one; for numbers, Python's builtin of the same name. (None
    without values: x.sum(dmi=0) was given none.)"""
    if not values:
        return None
    instead = _SHADOWED_BUILTINS.get(fname)
    first = values[0] if values else None
    if not any(isinstance(v, (int, float, list)) for v in values):
        if instead is None or is_tensor(first) or fname in ("abs", "pow"):
            return None
        make = f"stack the items first, e.g. torch.stack([...]).{fname}()"
    elif isinstance(first, list) and any(is_tensor(v) for v in first):
        # (a list of tensors: stacked, not written out)
        make = "make it one tensor first, e.g. torch.stack(the_list)"
    else:       # (the number itself where a tensor came first: max(x, 2.0))
        number = first if not is_tensor(first) else \
            next(v for v in values if isinstance(v, (int, float, list)))
        make = f"make it a tensor first, e.g. torch.tensor({reprlib.repr(number)})"
    if instead is None:
        return make
    return (f"torch.{fname} takes tensors; for Python numbers write {instead} (the bare "
            f"name is Python's builtin for them), or {make}")


# a pattern, compiled (and cached by re) at its first use: only a wrong call needs it
_ARG_COUNTS = (r"takes (from )?(\d+) (?:to (\d+) )?positional arguments? but "
               r"(\d+) (?:was|were) given")


def user_arg_counts(msg: str, hidden: int = 1) -> str:
    """Python's argument-count message without the ``hidden`` arguments the
    program does not count: the interpreter's, which every function and
    method takes first (and a tensor method's self, which PyTorch does not
    count either: x.mul(1, 2) "takes 1 positional argument but 2 were given")."""
    if "argument 'rt'" in msg:
        return "got an unexpected keyword argument 'rt'"
    m = re.search(_ARG_COUNTS, msg)
    if m is None:
        return msg
    lo, hi, given = int(m[2]) - hidden, m[3] and int(m[3]) - hidden, int(m[4]) - hidden
    takes = f"from {lo} to {hi}" if m[1] else str(lo)
    plural = "arguments" if m[1] or lo != 1 else "argument"    # (Python's: a range is plural)
    were = "was" if given == 1 else "were"
    return msg[:m.start()] + f"takes {takes} positional {plural} but {given} {were} given" + \
        msg[m.end():]


# torch's functions and tensor methods written in Python: a call they do not
# take is Python's TypeError there (the others' are PyTorch's argument parser's;
# mse_loss, cross_entropy, ...: torch.nn.functional's, also bare names here)
PYTHON_LEVEL = frozenset("""
    atleast_1d atleast_2d atleast_3d block_diag broadcast_shapes broadcast_tensors cartesian_prod
    cdist chain_matmul einsum get_rng_state grad initial_seed mse_loss cross_entropy
    binary_cross_entropy is_tensor manual_seed meshgrid norm seed
    set_default_device set_default_dtype get_default_device set_printoptions set_rng_state split
    tensordot typename
    unique unique_consecutive unravel_index backward register_hook
    register_post_accumulate_grad_hook unflatten matrix_rank use_deterministic_algorithms
    are_deterministic_algorithms_enabled is_deterministic_algorithms_warn_only_enabled
    lu lstsq solve eig symeig svd_lowrank pca_lowrank set_default_tensor_type""".split())
# torch.nn.functional's functions that are PyTorch's own C functions
# (F.conv2d is torch.conv2d): their argument errors are its argument parser's
PARSED_NN_FUNCTIONAL = frozenset("""
    adaptive_avg_pool1d avg_pool1d avg_pool2d avg_pool3d bilinear celu_ channel_shuffle conv1d
    conv2d conv3d conv_tbc conv_transpose1d conv_transpose2d conv_transpose3d cosine_similarity
    elu_ gelu hardshrink hardtanh_ leaky_relu_ linear logsigmoid one_hot pairwise_distance pdist
    pixel_shuffle pixel_unshuffle prelu relu_ rrelu_ scaled_dot_product_attention selu_ softplus
    softshrink threshold_""".split())
_PY_MISSING = r"^missing \d+ required (?:positional|keyword-only) arguments?: "


def parser_words(name: str, msg: str, call: tuple | None = None) -> str:
    """Python's message for a call of torch's NAME that left out arguments
    (after "NAME() "), in PyTorch's argument parser's words where its
    parser reads NAME's arguments. call: (impl, args, kwargs) of a call
    with a keyword impl does not take, where the parser, reading the
    arguments in order, finds a required one left out first."""
    if name in PYTHON_LEVEL:
        return msg
    if call is not None and msg.startswith(("got an unexpected keyword", "got multiple values")):
        impl, args, _ = call
        if _too_many_positional(impl, len(args), hidden=1):
            return _takes_words(impl, len(args), hidden=1)
        missing = _left_out(*call)
        return arg_parser.missing_words(missing) if missing else msg
    if not re.match(_PY_MISSING, msg):
        return msg
    # (gradviz's x is the parser's input)
    return arg_parser.missing_words(["input" if n == "x" else n
                                     for n in re.findall(r"'([^']*)'", msg.split(": ", 1)[1])])


def _left_out(impl, args: list, kwargs: dict) -> list:
    """The required arguments of impl (after rt) from the first the call
    left out on, as PyTorch's parser lists them; [] when none was left out."""
    try:
        params = list(inspect.signature(impl).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    required = [(i, p.name) for i, p in enumerate(params) if p.default is p.empty and
                p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    first = next((i for i, name in required if i >= len(args) and name not in kwargs), None)
    if first is None:
        return []
    return ["input" if name == "x" else name for i, name in required if i >= first]


# torch's functions of one tensor and nothing else (exp(Tensor input, *,
# Tensor out=None)): PyTorch's argument parser words their argument errors,
# and their tensor methods are CPython's methods without arguments
ONE_TENSOR_FUNCTIONS = frozenset("""
    abs absolute acos acosh arccos arccosh arcsin arcsinh arctan arctanh argwhere asin asinh atan atanh
    bitwise_not ceil clone cos cosh det detach digamma erf erfc erfinv exp exp2 expm1 fix floor
    frac i0 inverse is_floating_point isfinite isinf isnan isneginf isposinf lgamma log log1p
    logdet neg negative numel reciprocal relu rsqrt sgn sigmoid sign sin sinc sinh slogdet sqrt square t
    tan tanh trace trunc""".split())
# the tensor methods that take no argument at all: x.exp(1) is CPython's
# "TensorBase.exp() takes no arguments (1 given)" (x.clone takes keywords)
NO_ARGUMENT_METHODS = (ONE_TENSOR_FUNCTIONS - {"clone"}) | \
    frozenset(f"{name}_" for name in ONE_TENSOR_FUNCTIONS) | frozenset("""
    _is_view detach_ dim element_size is_inference is_signed item nelement retain_grad tolist
    zero_ ndimension get_device is_complex is_neg is_conj is_nonzero fliplr flipud ravel""".split())
# the names PyTorch's argument parser takes for a function's tensor (numpy's x too)
_INPUT_NAMES = ("input", "x")


def one_tensor_argument_error(name: str, args: list, kwargs: dict | None) -> GradvizError | None:
    """PyTorch's TypeError for a function of ONE_TENSOR_FUNCTIONS called with
    arguments it does not take, None where PyTorch takes them. (Its methods'
    errors: method_argument_error.)"""
    kwargs = kwargs or {}
    named = [k for k in kwargs if k in _INPUT_NAMES]
    unexpected = [k for k in kwargs if k not in _INPUT_NAMES and k != "out"]
    if len(args) > 1:
        msg = f"{name}() takes 1 positional argument but {len(args)} were given"
    elif args and named:
        msg = f"{name}() got multiple values for argument 'input'"
    elif not args and not named:
        # (PyTorch's plural, whatever the count)
        msg = f'{name}() missing 1 required positional arguments: "input"'
    elif unexpected:
        msg = f"{name}() got an unexpected keyword argument '{unexpected[0]}'"
    else:
        return None
    return GradvizError(msg, kind=TYPE, hint=f"call it as torch.{name}(x)")


def one_tensor_input(args: list, kwargs: dict | None):
    """The tensor a call of a function of ONE_TENSOR_FUNCTIONS names as
    input= (or x=, as PyTorch's parser takes it), or None when the call is
    not just that."""
    if not args and kwargs and len(kwargs) == 1:
        (key, value), = kwargs.items()
        if key in _INPUT_NAMES:
            return value
    return None


# inspect's Signature.bind words a mismatch otherwise than a call does
_BIND_WORDING = (("missing a required argument: ", "missing 1 required positional argument: "),
                 ("multiple values for argument ", "got multiple values for argument "))


def call_wording(exc: TypeError) -> str:
    """Python's message for a call whose arguments do not fit, after the
    function's name ("got an unexpected keyword argument 'k'"), also where
    inspect's Signature.bind found the mismatch first."""
    msg = str(exc)
    msg = msg.split("() ", 1)[-1] if "() " in msg else msg
    for bound, called in _BIND_WORDING:
        if msg.startswith(bound):
            return called + msg[len(bound):]
    return msg


# the Tensor methods PyTorch writes in Python (torch/_tensor.py): bound
# methods, where its others are built-in methods of the C class
PYTHON_TENSOR_METHODS = frozenset("""backward dim_order eig is_shared istft lstsq lu module_load norm
register_hook register_post_accumulate_grad_hook resize resize_as share_memory_ split stft
solve storage storage_type symeig to_sparse_coo unflatten unique unique_consecutive""".split())
# the same, with the operators it writes in Python (x.__rsub__, x.__rrshift__):
# each a bound method, of type 'method', where a C method's is
# 'builtin_function_or_method'
PYTHON_BOUND_METHODS = PYTHON_TENSOR_METHODS | frozenset("""__floordiv__ __rfloordiv__ __pow__
__ipow__ __rpow__ __rdiv__ __rtruediv__ __rsub__ __rmod__ __rmatmul__ __rlshift__ __rrshift__
__format__ __repr__ __len__ __iter__ __reversed__ __contains__ __hash__ __array__ __deepcopy__
__reduce_ex__ __dir__""".split())


# methods that take keywords only in PyTorch (memory_format=, force=, ...),
# where gradviz's take none: theirs count positions as Python's messages do
KEYWORDS_ONLY_METHODS = frozenset("""bool byte char clone contiguous cpu double float half int
is_contiguous long numpy short""".split())


def takes_nothing(name: str, impl) -> bool:
    """Whether x.NAME(), whose impl(rt, x) takes no arguments after the
    tensor, is a C method of TensorBase without arguments in PyTorch."""
    if name in KEYWORDS_ONLY_METHODS:
        return False
    try:
        return len(inspect.signature(impl).parameters) == 2
    except (TypeError, ValueError):
        return False


def method_argument_error(name: str, impl, args, kwargs, exc: TypeError,
                          looked_up: bool = True) -> GradvizError:
    """x.NAME(...) given arguments it does not take, in PyTorch's words: a
    method without arguments is Python's C-method error ("TensorBase.exp()
    takes no arguments (1 given)", keywords first; "Tensor.exp()" where not
    looked_up: called as a value, f = x.exp; f(1)), any other counts its
    arguments from after x; one PyTorch writes in Python is Python's
    error of Tensor.NAME, which counts x ("Tensor.is_shared() takes 1
    positional argument but 2 were given")."""
    if name in PYTHON_TENSOR_METHODS:
        return _python_method_error(name, impl, args, kwargs, exc)
    if takes_nothing(name.removesuffix("_"), impl):
        qual = f"{'TensorBase' if looked_up else 'Tensor'}.{name}()"
        msg = (f"{qual} takes no keyword arguments" if kwargs else
               f"{qual} takes no arguments ({len(args)} given)")
    elif str(exc) == "too many positional arguments":      # (inspect's Signature.bind)
        msg = f"{name}() " + _takes_words(impl, len(args), hidden=2)
    elif str(exc).startswith("missing a required argument"):   # (bind's: the first only)
        msg = f"{name}() " + _missing_words(name, impl, args, kwargs or {})
    elif call_wording(exc).startswith("got an unexpected keyword") and \
            _too_many_positional(impl, len(args), hidden=2):
        # (PyTorch's parser counts the positional arguments before it reads a keyword)
        msg = f"{name}() " + _takes_words(impl, len(args), hidden=2)
    else:
        msg = f"{name}() " + parser_words(name, user_arg_counts(call_wording(exc), hidden=2))
    return GradvizError(msg, kind=TYPE, hint="check the arguments (see `gradviz ops`)")


def _too_many_positional(impl, given: int, hidden: int) -> bool:
    """Whether impl takes fewer positional arguments than given (after the
    hidden ones); never for one that takes any number (*args)."""
    try:
        params = list(inspect.signature(impl).parameters.values())[hidden:]
    except (TypeError, ValueError):
        return False
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return False
    return given > sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _python_method_error(name: str, impl, args, kwargs, exc: TypeError) -> GradvizError:
    """x.NAME(...) given arguments it does not take, for a method PyTorch
    writes in Python: Python's words for the function Tensor.NAME, whose
    counts include x (impl(rt, x, ...) is its signature, after rt)."""
    if str(exc) == "too many positional arguments":      # (inspect's Signature.bind)
        words = _takes_words(impl, len(args) + 1, hidden=1)
    elif str(exc).startswith("missing a required argument"):
        words = _missing_words(name, impl, args, kwargs or {})
    else:
        words = user_arg_counts(call_wording(exc), hidden=1)
    return GradvizError(f"Tensor.{name}() {words}", kind=TYPE,
                        hint="check the arguments (see `gradviz ops`)")


def _missing_words(name: str, impl, args, kwargs: dict) -> str:
    """The words for x.NAME(*args, **kwargs) leaving out required arguments
    of impl(rt, x, ...): PyTorch's parser's, which names every required
    one from the first missing on (x.select(index=0): "dim", "index"), or
    Python's for a method written in Python."""
    params = [p for p in inspect.signature(impl).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][2 + len(args):]
    required = [p.name for p in params if p.default is p.empty]
    missing = [n for n in required if n not in kwargs]
    if name not in PYTHON_LEVEL:
        return arg_parser.missing_words(required[required.index(missing[0]):])
    quoted = [f"'{n}'" for n in missing]
    listed = quoted[0] if len(quoted) == 1 else \
        ", ".join(quoted[:-1]) + ("," if len(quoted) > 2 else "") + " and " + quoted[-1]
    return (f"missing {len(quoted)} required positional argument"
            f"{'s' if len(quoted) > 1 else ''}: {listed}")


def _takes_words(impl, given: int, hidden: int) -> str:
    """Python's words for a call of impl with too many positional arguments
    (given, after the hidden ones: the interpreter's and a method's x)."""
    params = [p for p in inspect.signature(impl).parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][hidden:]
    least = sum(p.default is p.empty for p in params)
    takes = f"from {least} to {len(params)}" if least != len(params) else str(least)
    plural = "s" if least != len(params) or least != 1 else ""
    return (f"takes {takes} positional argument{plural} but {given} "
            f"{'was' if given == 1 else 'were'} given")


def init_argument_error(name: str, exc: TypeError, rt_is_self: bool, fn=None) -> GradvizError:
    """Python's TypeError for a class called with arguments its __init__
    does not take (`Normal.__init__() missing 1 required positional
    argument: 'scale'`), as the program sees the class: the interpreter
    argument is hidden (where it stands for self, as in a maker function,
    the counts are already the program's; fn: what was called, whose
    keywords a misspelt one is matched with)."""
    msg = str(exc).split("() ", 1)[-1]
    if not rt_is_self:
        msg = user_arg_counts(msg)
    elif "argument 'rt'" in msg:
        msg = "got an unexpected keyword argument 'rt'"
    return GradvizError(f"{name}.__init__() {msg}", kind=TYPE,
                        hint=argument_hint(msg, signature_names(fn)))


def invalid_combination(fname, args, hint=None, keywords=None) -> GradvizError:
    """PyTorch's TypeError for arguments no form of an overloaded function
    (min, max, sum, clamp, pow, ...) takes: "min() received an invalid
    combination of arguments - got (int, int), but expected one of:"
    (keywords: those given by name, listed after the positional ones)."""
    got = arguments_got(args, keywords) if keywords is not None else \
        ", ".join(map(arg_type_name, args))
    return GradvizError(f"{fname}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:", kind=TYPE,
                        hint=hint or _number_hint(fname, args))


# ---- creation -----------------------------------------------------------

def f_tensor(rt, data, dtype=None, requires_grad=False):
    return _make_tensor(rt, data, None if dtype is None else _dtype_arg(dtype), requires_grad,
                        "tensor")


# PyTorch's Fisher-Yates swaps one pair at a time (a Python loop here: about
# 0.6 s for a million), so that a program cannot hang on randperm(10**8)
RANDPERM_MAX = 1 << 20


def f_randint(rt, low, high=None, size=None, *, generator=None, dtype=None,
              requires_grad=False):
    """randint(high, size) / randint(low, high, size): PyTorch's draws."""
    position = 3                                  # (the size's place, in its errors)
    if size is None and high is not None and not isinstance(high, int):
        low, high, size, position = 0, low, high, 2      # randint(high, size)
    elif high is None and size is not None:
        low, high = 0, low                        # randint(high, size=...)
    if size is None:
        raise GradvizError("randint() received an invalid combination of arguments - got "
                           f"({type(low).__name__}), but expected (int high, tuple of ints size)",
                           kind=TYPE, hint="give the size too: randint(10, (3,))")
    for v in (low, high):
        if isinstance(v, bool) or not isinstance(v, int):
            raise GradvizError(f"randint(): the bounds must be integers, got {_describe(v)}",
                               kind=TYPE)
    if low >= high:
        raise GradvizError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}", hint="the upper bound is excluded: randint(0, 2, ...)"
                                                " draws 0 or 1")
    shape = _shape_args(rt, (size,), "randint", position=position)
    dt = _dtype_arg(dtype) or np.dtype(np.int64)
    _check_requires_grad(dt, requires_grad)
    if dt in NARROW_INTS:
        info = np.iinfo(dt)
        for bad, what in ((not info.min <= low <= info.max, "from"),
                          (not info.min <= high - 1 <= info.max, "to - 1")):
            if bad:
                raise GradvizError(f"{what} is out of bounds for {CPP_TYPE_NAMES[dt]}",
                                   hint=f"{dt.name} holds {info.min} to {info.max}: draw within "
                                        "that, or in int64 (the default dtype)")
    gen = draw_generator(rt, generator, "randint")
    return _leaf(rt, gen.integers(shape, low, high).astype(dt), requires_grad, "randint")


def f_randperm(rt, n, *, generator=None, dtype=None, requires_grad=False):
    if isinstance(n, bool) or not isinstance(n, int):
        raise GradvizError(f"randperm(): n must be an integer, got {_describe(n)}", kind=TYPE)
    shape = _shape_args(rt, (n,), "randperm", None)
    if n > RANDPERM_MAX:
        raise GradvizError(f"randperm({n:,}): gradviz shuffles one swap at a time, up to "
                           f"{RANDPERM_MAX:,} numbers", kind=LIMIT,
                           hint="a smaller n (a permutation of a training set's indices)")
    dt = _dtype_arg(dtype) or np.dtype(np.int64)
    _check_requires_grad(dt, requires_grad)
    gen = draw_generator(rt, generator, "randperm")
    return _leaf(rt, gen.permutation(shape[0]).astype(dt), requires_grad, "randperm")


def f_from_numpy(rt, a):
    """torch.from_numpy(a): a tensor on a's memory (x.numpy()'s: so x's
    memory), with a version count of its own, as PyTorch's."""
    if a.__class__ is not NumpyArray or not isinstance(a.array, np.ndarray):
        name = f"numpy.{type(a.array).__name__}" if a.__class__ is NumpyArray else \
            type(a).__name__
        raise GradvizError(f"expected np.ndarray (got {name})", kind=TYPE,
                           hint="from_numpy takes an array (np.array(data), x.numpy()); "
                                "torch.tensor(data) makes a tensor of anything else")
    from .numpy_arrays import to_tensor_array
    return rt.tape.add(Tensor(to_tensor_array(a)), rt.span, label="from_numpy",
                       version_key=-1 - len(rt.tape.nodes))


def f_as_tensor(rt, data, dtype=None):
    """torch.as_tensor: without a copy where it can (a tensor of that dtype is
    itself, a numpy array's memory is shared), else torch.tensor(data)."""
    dt = None if dtype is None else _dtype_arg(dtype)
    if is_tensor(data):
        return data if dt is None or dt == data.data.dtype else f_to(rt, data, dt)
    if data.__class__ is NumpyArray and isinstance(data.array, np.ndarray) and \
            (dt is None or dt == data.array.dtype):
        return f_from_numpy(rt, data)
    return f_tensor(rt, data, dtype=dtype)


# asarray's requires_grad not given: PyTorch then keeps the tensor's own flag
_UNSET = object()


def f_asarray(rt, obj, *, dtype=None, device=None, copy=None, requires_grad=_UNSET):
    """torch.asarray: obj itself where it can (a tensor of that dtype, a
    numpy array's memory), a copy where copy=True or the dtype differs;
    copy=False where only a copy would do is PyTorch's ValueError."""
    check_device(device)
    dt = _dtype_arg(dtype)
    if not is_tensor(obj) and obj.__class__ is not NumpyArray:
        if copy is False:
            raise GradvizError("can't alias arbitrary sequence into a tensor.", kind=VALUE,
                               hint="only a tensor or a numpy array can be shared: leave "
                                    "copy= out to make a new tensor of this data")
        return f_tensor(rt, obj, dtype=dtype, requires_grad=requires_grad is True)
    t = obj if is_tensor(obj) else f_from_numpy(rt, obj)
    if dt is not None and dt != t.data.dtype:
        if copy is False:
            raise GradvizError(f"can't alias tensor with dtype '{SCALAR_TYPE_NAMES[t.data.dtype]}'"
                               f" into dtype '{SCALAR_TYPE_NAMES[dt]}'.", kind=VALUE,
                               hint="a tensor shares its memory in its own dtype only: leave "
                                    "copy= out for a converted copy")
        t = f_to(rt, t, dt)
    elif copy:
        t = f_clone(rt, t)
    return _asarray_requires_grad(rt, t, requires_grad)


def _asarray_requires_grad(rt, t: Tensor, requires_grad) -> Tensor:
    """asarray's result with requires_grad= applied: False detaches it, True
    sets the flag of a leaf in place (of obj itself where no copy was made),
    and without it a tensor that requires grad stays in its graph, with
    PyTorch's warning that this default changed."""
    if requires_grad is _UNSET:
        if t.requires_grad:
            warn_once(rt, t, "torch.asarray: unspecified requires_grad now defaults to "
                             "obj.requires_grad instead of False. Pass requires_grad=False "
                             "explicitly to get the old behavior and silence this warning.")
        return t
    if not requires_grad:
        return f_detach(rt, t) if t.requires_grad else t
    if not t.requires_grad:
        _check_requires_grad(t.data.dtype, True)
        m_requires_grad_(rt, t, True)
    return t


def _tensor_number(v):
    """The number a 0-dim tensor that does not require grad holds, which
    PyTorch's parser reads for a Number (torch.arange(torch.tensor(3)); a
    bool one is an int there); anything else as it is."""
    if v.__class__ is Tensor and v.data.ndim == 0 and not v.requires_grad:
        return int(v.data) if v.data.dtype == np.bool_ else v.data.item()
    return v


# arange's end not given (arange(5)): an explicit None is a wrong end (arange(1, None))
_NO_END = object()


def f_arange(rt, start, end=_NO_END, step=1, dtype=None, requires_grad=False):
    if end is _NO_END:
        start, end = 0, start
    start, end, step = map(_tensor_number, (start, end, step))
    for v in (start, end, step):
        if is_tensor(v) or isinstance(v, bool) or not isinstance(v, (int, float)):
            raise GradvizError(f"arange(): expected numbers, got {_describe(v)}", kind=TYPE)
        if v.__class__ is int:
            scalar_int(v)       # (a Scalar: arange(10**400) is not float's overflow)
    if step == 0:
        raise GradvizError("step must be nonzero")
    if not all(math.isfinite(v) for v in (start, end, step)):
        raise GradvizError(f"unsupported range: {start} -> {end}",
                           hint="the ends and the step of a range must be finite numbers")
    if (end - start) / step < 0:
        raise GradvizError("upper bound and lower bound inconsistent with step sign",
                           hint="e.g. arange(0, 4) or arange(4, 0, -1)")
    n = math.ceil((end - start) / step)
    rt.tape.check_size(n)
    is_float = any(isinstance(v, float) for v in (start, end, step))
    dt = _dtype_arg(dtype) or (rt.tape.default_dtype if is_float else np.dtype(np.int64))
    if dt == np.bool_:
        raise GradvizError("\"arange_cpu\" not implemented for 'Bool'", kind="NotImplementedError",
                           hint="a range of bools has no meaning: make it int64, then compare "
                                "(arange(n) > 2) or convert with .bool()")
    if dt.kind == "f":
        data = _float_arange(float(start), float(step), n, dt)
    else:
        data = np.arange(start, end, step, dtype=np.int64).astype(dt)
    return _leaf(rt, data, requires_grad, "arange")


def _float_arange(start: float, step: float, n: int, dt: np.dtype) -> np.ndarray:
    """PyTorch's CPU arange of a float dtype, to the bit (tested against it):
    its kernel fills blocks of 8 float32 (4 float64) numbers, two blocks at
    a time, each from a base start + step * i computed in float64 with a
    fused multiply-add and rounded to the dtype, the block's numbers base +
    j * step (float32: in float64, then rounded; float64: fused); the numbers
    after the last pair of blocks one at a time, start + step * i fused. So
    arange(-8.0, 8.0, 0.1)[80] is 4.44e-16, not 0. Over ARANGE_GRAIN
    numbers, PyTorch splits the range between its threads, each chunk filled
    so from its own first index: split here as between ARANGE_THREADS."""
    width = 8 if dt == F32 else 4
    threads = min(ARANGE_THREADS, -(-n // ARANGE_GRAIN)) if n else 1
    chunk = max(1, -(-n // threads))       # (1 for an empty range: no chunk at all)
    out = np.empty(n, dt)
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        k = np.arange(m, dtype=np.float64)
        j = k % width
        block = k - j + first
        tail = m - m % (2 * width)       # where the one-at-a-time numbers start
        if dt == F32:
            base = _fma_int(step, block, start).astype(F32).astype(np.float64)
            values = base + j * step
        else:
            values = _fma_int(step, j, _fma_int(step, block, start))
        values[tail:] = _fma_int(step, k[tail:] + first, start)
        out[first:first + m] = values
    return out


# PyTorch's parallel_for grain, and the threads an arange is split between:
# those of the machine PyTorch's output was recorded on (2 cores). Fixed, so
# that a program gives the same numbers on every machine (a PyTorch on more
# cores splits a long arange into more chunks, and its last bits differ).
ARANGE_GRAIN = 32768
ARANGE_THREADS = 2


def _fma_int(step: float, k: np.ndarray, start):
    """step * k + start rounded once (a fused multiply-add), for whole numbers
    k below 2**26: step split into halves whose products with k are exact
    (Veltkamp), summed with their rounding errors (TwoSum). Exact but in
    the rarest cases (none in 15,000 random ones)."""
    c = 134217729.0 * step
    hi = c - (c - step)
    lo = step - hi
    p1, p2 = hi * k, lo * k
    s1, e1 = _two_sum(p1, p2)
    s2, e2 = _two_sum(start, s1)
    return s2 + (e1 + e2)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _sizes(label: str, sizes: tuple, size) -> tuple:
    """The sizes of ones(2, 3), or of ones(size=(2, 3)) (d2l writes
    randn(size=(), ...)): one or the other, as PyTorch takes them."""
    if size is None:
        return sizes
    if sizes:
        raise GradvizError(f"{label}() got multiple values for argument 'size'", kind=TYPE,
                           hint=f"give the sizes once: {label}(2, 3) or {label}(size=(2, 3))")
    if not isinstance(size, (tuple, list)):
        raise GradvizError(f"{label}(): argument 'size' must be tuple of ints, not "
                           f"{type(size).__name__}", kind=TYPE,
                           hint=f"write size=({size},) for one dimension" if
                           isinstance(size, int) else f"e.g. {label}(size=(2, 3))")
    return (size,)


def _no_size(label: str, keywords: bool) -> GradvizError:
    """A factory called without a size: PyTorch's argument parser's TypeError
    (rand and randn, given nothing at all, fit none of their forms)."""
    if label in ("rand", "randn") and not keywords:
        return invalid_combination(label, [], hint=f"give the sizes: {label}(2, 3)")
    return GradvizError(f'{label}() missing 1 required positional arguments: "size"', kind=TYPE,
                        hint=f"give the sizes: {label}(2, 3), or {label}(()) for a 0-d tensor")


def _filled(label, fill):
    def make(rt, *sizes, size=None, dtype=None, requires_grad=False):
        if not sizes and size is None:
            raise _no_size(label, True)
        shape = _shape_args(rt, _sizes(label, sizes, size), label)
        dt = _dtype_arg(dtype) or rt.tape.default_dtype
        return _leaf(rt, np.full(shape, fill, dt), requires_grad, label)
    make.__name__ = label
    return make


def f_full(rt, size, fill_value, dtype=None, requires_grad=False):
    return _leaf(rt, full_array(rt, size, fill_value, dtype, "full"), requires_grad, "full")


def full_array(rt, shape, fill_value, dtype, fname: str) -> np.ndarray:
    """torch.full's array: the size and fill value checked as PyTorch
    checks them (a value an integer dtype cannot hold is its overflow error)."""
    shape = _shape_args(rt, (shape,), fname)          # (the size: one argument)
    if is_tensor(fill_value) and fill_value.data.size == 1:
        fill_value = fill_value.data.item()
    if not isinstance(fill_value, (int, float)):
        raise GradvizError(f"full(): fill_value must be a number, not {_describe(fill_value)}",
                           kind=TYPE, hint="e.g. full((2, 3), 0.5)")
    dt = _dtype_arg(dtype) or _infer_dtype(rt, [fill_value])
    return np.full(shape, checked_fill(fill_value, dt, math.prod(shape)), dt)


def checked_fill(fill_value, dt: np.dtype, count: int):
    """A number to fill count elements of dtype dt with, converted as
    PyTorch converts it (a value dt cannot hold is its overflow error)."""
    if fill_value.__class__ is int:
        scalar_int(fill_value)      # (a Scalar first: past 64 bits, whatever dt)
    if dt.kind == "f":
        checked_float(fill_value, dt, count)
    if dt in NARROW_INTS:
        return narrow_ints([fill_value], dt, NARROW_INTS[dt])[0]
    if dt == np.int64 and isinstance(fill_value, float):
        return narrow_ints([fill_value], dt, "int64_t")[0]
    if dt == F16:
        return numbers_array(fill_value, dt)
    return fill_value


def f_eye(rt, n, m=None, dtype=None, requires_grad=False):
    shape = _shape_args(rt, (n, n if m is None else m), "eye", None)
    return _leaf(rt, np.eye(*shape, dtype=_dtype_arg(dtype) or rt.tape.default_dtype), requires_grad, "eye")


def range_end(fname: str, v, which: str):
    """linspace's or logspace's start or end as a number: a tensor's one
    value (PyTorch's forms take a 0-dim tensor there; the argument check
    has already refused what is neither a number nor a tensor)."""
    if not is_tensor(v):
        return v
    if v.data.ndim:
        raise GradvizError(f"{fname} only supports 0-dimensional start and end tensors, but got "
                           f"{which} with {v.data.ndim} dimension(s).", kind=RUNTIME,
                           hint=f"give {which} as a number, or a 0-d tensor: t.reshape(())")
    return v.data.item()


def f_linspace(rt, start, end, steps, dtype=None, requires_grad=False):
    start, end = (range_end("linspace", v, which) for v, which in ((start, "start"), (end, "end")))
    _shape_args(rt, (steps,), "linspace", None)
    dt = np.dtype(_dtype_arg(dtype) or rt.tape.default_dtype)
    if dt.kind != "f" or steps < 2:
        values = np.linspace(start, end, steps).astype(dt)
    else:
        values = _linspace(dt.type(start), dt.type(end), steps)
    return _leaf(rt, values, requires_grad, "linspace")


def _linspace(start, end, steps: int) -> np.ndarray:
    """PyTorch's float linspace, to the last bit: step = (end - start) /
    (steps - 1) in the dtype, then start + step * i for the first half and
    end - step * (steps - 1 - i) for the rest, each with one rounding (its
    kernel fuses the multiply and add). numpy's linspace rounds otherwise:
    linspace(-1, 1, 4).mean() is 0. there and 1.49e-08 in PyTorch, and
    comparisons see it. The fused rounding is had by computing wider
    (float64 for float32, long double for float64; where long double is
    no wider, float64 results may differ from PyTorch's in the last bit)."""
    dt = start.dtype
    step = (end - start) / dt.type(steps - 1)
    wide = np.float64 if dt == np.float32 else np.longdouble
    i = np.arange(steps).astype(wide)
    half = steps // 2
    out = np.empty(steps, wide)
    out[:half] = wide(start) + wide(step) * i[:half]
    out[half:] = wide(end) - wide(step) * (wide(steps - 1) - i[half:])
    return out.astype(dt)


def _like(label, fill):
    def make(rt, t, dtype=None, requires_grad=False, memory_format=None):
        t = _need_tensor(t, label)
        dt = _dtype_arg(dtype) or t.data.dtype
        return _laid_out_like(_leaf(rt, np.full(t.data.shape, fill, dt), requires_grad, label), t,
                              label, memory_format)
    make.__name__ = label
    return make


def f_full_like(rt, t, fill_value, dtype=None, requires_grad=False, memory_format=None):
    t = _need_tensor(t, "full_like")
    if is_tensor(fill_value) and fill_value.data.size == 1:
        fill_value = fill_value.data.item()
    if not isinstance(fill_value, (int, float)):
        raise GradvizError(f"full_like(): fill_value must be a number, not "
                           f"{_describe(fill_value)}", kind=TYPE, hint="e.g. full_like(x, 0.5)")
    dt = _dtype_arg(dtype) or t.data.dtype
    if dt in NARROW_INTS:
        fill_value = narrow_ints([fill_value], dt, NARROW_INTS[dt])[0]
    elif dt.kind == "f":
        checked_float(fill_value, dt, t.data.size)
    return _laid_out_like(_leaf(rt, np.full(t.data.shape, fill_value, dt), requires_grad,
                                "full_like"), t, "full_like", memory_format)


def _laid_out_like(new: Tensor, t: Tensor, fname: str, memory_format=None) -> Tensor:
    """new, made like t (zeros_like, full_like, ...), in t's strides where
    PyTorch's preserve_format keeps them, or as memory_format= lays it out."""
    fmt = None if memory_format is None else memory_formats.need_format(fname, memory_format)
    return memory_formats.laid_out(new, fmt, t)


def _dtype_of(x, dtype):
    """dtype=, or else x's (the new_* methods' default)."""
    return dtype if dtype is not None else DTYPE_OBJECTS[x.dtype_name]


def new_options(fname: str, device, layout=None, pin_memory=False) -> None:
    """device=, layout= and pin_memory= of x.new_zeros(...) and its kin: the
    CPU, strided and unpinned memory, which change nothing; PyTorch's errors
    for others."""
    check_device(device)
    tensor_queries.check_layout(fname, layout)
    tensor_queries.check_pin_memory(fname, pin_memory)


def m_new_ones(rt, x, *sizes, size=None, dtype=None, requires_grad=False, device=None,
               layout=None, pin_memory=False):
    new_options("new_ones", device, layout, pin_memory)
    return _filled("new_ones", 1)(rt, *sizes, size=size, dtype=_dtype_of(x, dtype),
                                  requires_grad=requires_grad)


def m_new_zeros(rt, x, *sizes, size=None, dtype=None, requires_grad=False, device=None,
                layout=None, pin_memory=False):
    new_options("new_zeros", device, layout, pin_memory)
    return _filled("new_zeros", 0)(rt, *sizes, size=size, dtype=_dtype_of(x, dtype),
                                   requires_grad=requires_grad)


def m_new_full(rt, x, size, fill_value, *, dtype=None, requires_grad=False, device=None,
               layout=None, pin_memory=False):
    new_options("new_full", device, layout, pin_memory)
    return f_full(rt, size, fill_value, dtype=_dtype_of(x, dtype), requires_grad=requires_grad)


def m_new_tensor(rt, x, data, *, dtype=None, requires_grad=False, device=None):
    new_options("new_tensor", device)
    return f_tensor(rt, data, dtype=_dtype_of(x, dtype), requires_grad=requires_grad)


def m_new(rt, x, *args, device=None, **kwargs):
    """x.new(...), the legacy constructor, as PyTorch takes it: sizes (ints
    or a torch.Size: a tensor of x's dtype whose values PyTorch leaves unset,
    zeros here), data (a list or tuple: torch.tensor(data) in x's dtype), or
    a tensor of x's dtype (a view of it, AliasBackward0 where it has a
    graph); no dtype= nor requires_grad=."""
    if kwargs:
        raise invalid_combination("new", list(args), keywords={**kwargs, "device": device}
                                  if device is not None else kwargs,
                                  hint="x.new(sizes) or x.new(data); x.new_tensor(data, "
                                       "dtype=...) takes options")
    check_device(device)
    dt = x.data.dtype
    first = args[0] if args else None
    if len(args) == 1 and first.__class__ is not Size and not _is_size(first):
        return _new_of(rt, first, dt, _dtype_of(x, None))
    if args and (isinstance(first, (list, tuple)) and first.__class__ is not Size):
        raise invalid_combination("new", list(args), hint="x.new(sizes) or x.new(data)")
    sizes = tuple(first) if first.__class__ is Size else args
    for pos, n in enumerate(sizes, 1):
        if not _is_size(n):
            raise GradvizError(f"new(): argument 'size' failed to unpack the object at pos {pos} "
                               f"with error \"type must be tuple of ints,but got "
                               f"{arg_type_name(n)}\"", kind=TYPE, hint="x.new(2, 3): sizes are ints")
    return _filled("new", 0)(rt, *sizes, dtype=_dtype_of(x, None)) if sizes else \
        _leaf(rt, np.zeros((0,), dt), False, "new")


def _is_size(v) -> bool:
    return v.__class__ is int       # (a tensor, even of one int, is data: x.new(t))


def _new_of(rt, data, dt: np.dtype, dtype):
    """x.new(data) of one argument that is no size: a tensor of x's dtype
    (aliased), or a list or tuple of data."""
    if is_tensor(data):
        if data.data.dtype != dt:
            options = ("TensorOptions(dtype={}, device=cpu, layout=Strided, requires_grad=false "
                       "(default), pinned_memory=false (default), memory_format=(nullopt))")
            raise GradvizError(f"expected {options.format(CPP_TYPE_NAMES[dt])} (got "
                               f"{options.format(CPP_TYPE_NAMES[data.data.dtype])})", kind=TYPE,
                               hint="x.new(t) takes a tensor of x's dtype: x.new(t.to(x.dtype))")
        return rt.index_tensor(data, [Ellipsis])
    if isinstance(data, (list, tuple)):
        return f_tensor(rt, data, dtype=dtype)
    if isinstance(data, str):
        raise GradvizError(f"new(): invalid data type '{arg_type_name(data)}'", kind=TYPE,
                           hint="x.new(sizes) or x.new(data): a list of numbers")
    raise GradvizError(f"new(): data must be a sequence (got {arg_type_name(data)})", kind=TYPE,
                       hint="x.new(sizes) or x.new(data): a list of numbers")


def _random_like(label: str, draw):
    """randn_like(x) / rand_like(x): random numbers of x's shape and dtype."""

    def f(rt, t, dtype=None, requires_grad=False, *, generator=None):
        t = _need_tensor(t, label)
        dt = _dtype_arg(dtype) or t.data.dtype
        if dt.kind != "f":
            what = "normal_kernel_cpu" if label == "randn_like" else "check_uniform_bounds"
            raise GradvizError(f'"{what}" not implemented for \'{type_word(dt)}\'',
                               kind="NotImplementedError", hint="random numbers are floats: "
                               f"{label}(x.float())")
        gen = draw_generator(rt, generator, label)
        return _leaf(rt, strides.in_memory_order(t, lambda shape: draw(gen, shape, dt)), requires_grad,
                     label)
    f.__name__ = label
    return f


def f_normal(rt, mean, std=None, size=None, *, generator=None, dtype=None,
             requires_grad=False):
    """normal(mean, std, size) as d2l calls it (numbers and a size: mean +
    std * randn(size)), or normal(mean, std) with a tensor among them (the
    shape they broadcast to). A tensor that requires grad makes PyTorch's
    NormalBackward node, which gradviz does not have: an error says how to
    write the same draw with gradients."""
    if is_tensor(mean) or is_tensor(std):
        if size is not None:
            raise GradvizError("normal(): with a tensor mean or std the size is theirs; "
                               "leave it out", kind=TYPE)
        if std is None:
            std = 1.0
        ts = [v for v in (mean, std) if is_tensor(v)]
        for t in ts:
            if t.data.dtype.kind != "f":
                raise GradvizError(f'"normal_kernel_cpu" not implemented for '
                                   f"'{type_word(t.data.dtype)}'",
                                   kind="NotImplementedError", hint="use float tensors: x.float()")
            if t.requires_grad and rt.tape.grad_enabled:
                raise GradvizError("normal() of a tensor that requires grad is not supported "
                                   "(PyTorch's NormalBackward)", kind=RUNTIME,
                                   hint="write the same draw as mean + std * randn(mean.shape): "
                                        "its gradient flows to mean and std")
        m = mean.data if is_tensor(mean) else mean
        sd = std.data if is_tensor(std) else std
        shape = broadcast_shape(np.shape(m), np.shape(sd))
        dt = np.result_type(*(t.data for t in ts))
        if not is_tensor(std):
            _check_std(std)
        elif not np.all(std.data >= 0):                       # (NaN too)
            raise GradvizError("normal expects all elements of std >= 0.0",
                               hint="a standard deviation is 0 or more")
        gen = draw_generator(rt, generator, "normal")
        if is_tensor(std):    # PyTorch: normal_(0, 1), then * std + mean
            z = gen.normal(shape, dt) * np.asarray(sd, dt)
        else:                 # normal_(0, std), then + mean
            z = gen.normal(shape, dt, 0.0, std)
        return _leaf(rt, (z + np.asarray(m, dt)).astype(dt), False, "normal")
    if size is None or std is None or isinstance(size, (int, float)):
        got = ", ".join(type(v).__name__ for v in (mean, std, size) if v is not None)
        raise GradvizError(f"normal() received an invalid combination of arguments - got ({got})",
                           kind=TYPE, hint="give a mean, a std and a size: "
                                           "normal(0, 1, (2, 3)), or a tensor mean")
    for v, what in ((mean, "mean"), (std, "std")):
        if not isinstance(v, (int, float)):
            raise GradvizError(f"normal(): {what} must be a number or a tensor, not "
                               f"{_describe(v)}", kind=TYPE)
    _check_std(std)
    shape = _shape_args(rt, (size,), "normal")
    dt = _dtype_arg(dtype) or rt.tape.default_dtype
    if dt.kind != "f":
        raise GradvizError(f'"normal_kernel_cpu" not implemented for \'{type_word(dt)}\'',
                           kind="NotImplementedError", hint="random numbers are floats")
    gen = draw_generator(rt, generator, "normal")
    return _leaf(rt, gen.normal(shape, dt, mean, std), requires_grad, "normal")


def _check_std(std) -> None:
    if not std >= 0:                                    # (NaN too)
        raise GradvizError(f"normal expects std >= 0.0, but found std {_torch_number(std)}",
                           hint="a standard deviation is 0 or more")


def _torch_number(v) -> str:
    """A number as PyTorch's messages write it (-1, -0.5)."""
    v = float(v)
    return str(int(v)) if v.is_integer() else "nan" if v != v else repr(v)


def draw_generator(rt, generator, fname: str) -> CPUGenerator:
    """The generator a draw takes its numbers from: a torch.Generator's own
    state (generator=g), else the default one, torch.manual_seed's."""
    if generator is None:
        return rt.rng
    if generator.__class__ is not TorchGenerator:
        raise GradvizError(f"{fname}(): argument 'generator' must be torch.Generator, not "
                           f"{arg_type_name(generator)}", kind=TYPE,
                           hint="generator=torch.Generator().manual_seed(0)")
    return generator.cpu(rt)


def f_manual_seed(rt, seed):
    # PyTorch's manual_seed takes int(seed) (2.5, '3', True, a one-element
    # tensor), then the generator a uint64 (a negative int64 wraps around)
    seed = _py_number(int)(rt, seed)
    if not -2**63 <= seed < 2**64:
        raise GradvizError("Overflow when unpacking long long", kind=VALUE,
                           hint="a seed is a 64-bit int: torch.manual_seed(0)")
    rt.rng = CPUGenerator(seed % 2**64)   # negative seeds wrap, as in PyTorch
    return DEFAULT_GENERATOR              # (PyTorch returns torch.default_generator)


def f_set_printoptions(rt, precision=None, threshold=None, edgeitems=None, linewidth=None,
                       profile=None, sci_mode=None):
    """torch.set_printoptions: how the program's later prints show tensors
    (for the rest of the run, as PyTorch's are global). PyTorch takes any
    value and fails at the next print. A precision of a plain type is kept
    so (its float format fails as PyTorch's, at the print); other values a
    print could not use are refused where they are set."""
    from .render.torchfmt import set_options
    for name, v in (("precision", precision), ("edgeitems", edgeitems),
                    ("linewidth", linewidth), ("threshold", threshold)):
        number = (int, float) if name == "threshold" else int
        if name == "precision" and v.__class__ in (int, float, str, bool):
            continue            # (Python formats these as PyTorch's print does)
        if v is not None and (isinstance(v, bool) or not isinstance(v, number) or v < 0):
            raise GradvizError(f"set_printoptions(): {name} must be a non-negative "
                               f"{'number' if name == 'threshold' else 'integer'}, not "
                               f"{_describe(v)}", kind=TYPE,
                               hint="e.g. torch.set_printoptions(precision=2, threshold=5)")
    if sci_mode.__class__ in (int, float):
        sci_mode = bool(sci_mode)       # (PyTorch's print tests its truth: sci_mode=1 is True)
    if sci_mode is not None and not isinstance(sci_mode, bool):
        raise GradvizError(f"set_printoptions(): sci_mode must be True, False or None, not "
                           f"{_describe(sci_mode)}", kind=TYPE,
                           hint="sci_mode=None lets each tensor choose, as by default")
    if profile is not None and not isinstance(profile, str):
        raise GradvizError(f"set_printoptions(): profile must be a string, not "
                           f"{_describe(profile)}", kind=TYPE,
                           hint="'default', 'short' or 'full'")
    rt.print_options = set_options(rt.print_options, precision, threshold, edgeitems,
                                   linewidth, profile, sci_mode)


def f_initial_seed(rt):
    """torch.initial_seed(): the seed of the last manual_seed(s) (s modulo
    2**64); unseeded, gradviz's default seed 0 (PyTorch's is drawn anew
    each run)."""
    return rt.rng.seed


_DEFAULT_DTYPE_ERROR = "only floating-point types are supported as the default type"


def f_set_default_dtype(rt, d, /):
    """torch.set_default_dtype(d), from the line it runs on: the dtype of the
    float tensors made without one (tensor(1.5), ones, rand, arange(0.5, 3),
    a layer's parameters), of a promotion that picks a float (an int tensor
    times 1.5, true division of ints), and the one print leaves unnamed."""
    if d.__class__ is not DType:
        raise GradvizError("invalid dtype object: " + _DEFAULT_DTYPE_ERROR, kind=TYPE,
                           hint="e.g. torch.set_default_dtype(torch.float64)")
    dt = DTYPES[str.__str__(d)]
    if dt.kind != "f":
        raise GradvizError(_DEFAULT_DTYPE_ERROR, kind=TYPE,
                           hint="e.g. torch.set_default_dtype(torch.float64)")
    rt.tape.default_dtype = dt


def f_set_default_device(rt, device):
    """torch.set_default_device(device): the CPU changes nothing; another
    device is refused by the next tensor a maker makes (PyTorch's CPU
    build fails there), a name that is no device at once."""
    if device is not None and not isinstance(device, str):
        if isinstance(device, int) and not isinstance(device, bool):
            raise GradvizError("Cannot access accelerator device when none is available.",
                               kind=RUNTIME, hint="this is a CPU build: set_default_device('cpu')")
        raise GradvizError(f"device() received an invalid combination of arguments - got "
                           f"({arg_type_name(device)}), but expected one of:\n"
                           " * (torch.device device)\n * (str type, int index = -1)",
                           kind=TYPE, hint="name the device as a string: 'cpu'")
    if device is not None and str.__str__(device).split(":")[0] not in DEVICE_TYPES:
        f_device(None, str.__str__(device))          # PyTorch's error for the string
    # (the CPU changes nothing, but one with an index is kept: get_default_device shows it)
    rt.default_device = None if device is None or str.__str__(device) == "cpu" else device
    return None


def f_get_default_device(rt):
    """torch.get_default_device(): the CPU, or the device
    set_default_device set (the CPU build fails for CUDA)."""
    device = rt.default_device
    if device is not None and str.__str__(device).split(":")[0] == "cuda":
        raise GradvizError("Torch not compiled with CUDA enabled", kind="AssertionError",
                           hint="this is a CPU build: set_default_device('cpu')")
    return Device("cpu" if device is None else str.__str__(device))


def _random(label, draw):
    def make(rt, *sizes, size=None, generator=None, dtype=None, requires_grad=False):
        if not sizes and size is None:
            raise _no_size(label, dtype is not None or requires_grad)
        shape = _shape_args(rt, _sizes(label, sizes, size), label)
        dt = _dtype_arg(dtype) or rt.tape.default_dtype
        if dt.kind != "f":
            kernel = "normal_kernel_cpu" if label == "randn" else "check_uniform_bounds"
            raise GradvizError(f'"{kernel}" not implemented for \'{type_word(dt)}\'',
                               kind="NotImplementedError",
                               hint=f"random numbers are floats: {label}(...).to(dtype), or "
                                    "randint for whole numbers")
        # drawn in the float dtype asked for (no float64 detour: half the time
        # and memory for the default float32); other dtypes are cast from float64
        gen = draw_generator(rt, generator, label)
        drawn = draw(gen, shape, dt if dt.kind == "f" else np.dtype(np.float64))
        return _leaf(rt, drawn.astype(dt, copy=False), requires_grad, label)
    make.__name__ = label
    return make


# ---- ops ----------------------------------------------------------------

# PyTorch's refusal of -x for a bool x (torch.neg, x.neg(), softmin's -input)
NEG_BOOL = ("Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            "to invert a mask, use the `~` or `logical_not()` operator instead.")


def _unary(name):
    op = OPS[name]

    def f(rt, x):
        # (once per op of most programs: the checks inline, the tape direct)
        if x.__class__ is not Tensor:
            _need_tensor(x, name)
        if name == "neg" and x.data.dtype.kind == "b":
            raise GradvizError(NEG_BOOL, hint="use ~x or logical_not")
        return rt.tape.apply_pair(op, x, None, rt.span)
    f.__name__ = name
    return f


def _need_a_tensor(name: str, a, b) -> None:
    """torch.NAME(a, b) takes at least one tensor."""
    if not is_tensor(a) and not is_tensor(b):
        raise GradvizError(f"{name}(): expected a Tensor argument, got "
                           f"{_describe(a)} and {_describe(b)}", kind=TYPE)


def _binary_op(rt, sym, a, b, name):
    """torch.NAME(a, b) as `a SYM b` (a number first makes PyTorch's reflected op)."""
    _need_a_tensor(name, a, b)
    return rt.binary(sym, a, b)


def _binary(name):
    op = OPS[name]

    def f(rt, input, other):        # (PyTorch's names: torch.mul(input=x, other=y))
        _need_a_tensor(name, input, other)
        a, b = _as_operand(rt, input, (name, "input", 1)), _as_operand(rt, other, (name, "other", 2))
        if name == "sub":
            check_bool_sub(a, b)
        return rt.apply(op, (a, b))
    f.__name__ = name
    return f


def _with_alpha(name):
    """torch.add / torch.sub: input + alpha * other (- for sub), with
    PyTorch's deprecated form torch.add(input, alpha, other) too (its
    warning on stderr, once)."""
    def f(rt, input, other, *rest, alpha=1):
        other, alpha = _alpha_first(rt, name, input, other, rest, alpha, method=False)
        return alpha_op(rt, name, input, other, alpha)
    f.__name__ = name
    return f


def alpha_op(rt, name: str, input, other, alpha, in_place: bool = False):
    """input + alpha * other (add) or input - alpha * other (sub): one node,
    PyTorch's AddBackward0 / SubBackward0 with _saved_alpha. An int alpha
    of 1 is the plain op (the operator's path, its checks)."""
    if alpha.__class__ is Tensor and alpha.data.ndim == 0:
        alpha = alpha.data.item()             # (a 0-d tensor is a Number to PyTorch's parser)
    if alpha.__class__ is int and alpha == 1:
        sym = "+" if name == "add" else "-"
        if in_place:
            return rt.update_in_place(input, sym, other, rt.span, name + "_")
        return _binary(name)(rt, input, other)
    _need_a_tensor(name, input, other)
    a, b = _as_operand(rt, input, (name, "input", 1)), _as_operand(rt, other, (name, "other", 2))
    if name == "sub":
        check_bool_sub(a, b)
    apply = (lambda: rt.apply(OPS[name], (a, b), {"alpha": alpha}))
    return rt.change_in_place(a, apply, name + "_", (b,)) if in_place else apply()


def _alpha_first(rt, name: str, x, other, rest: tuple, alpha, method: bool):
    """(other, alpha) of add(x, other, alpha=...) or of PyTorch's deprecated
    add(x, alpha, other), which warns."""
    if not rest:
        return other, alpha
    if len(rest) > 1:
        given = len(rest) + (1 if method else 2)
        raise TypeError(f"{name}() takes from {given - len(rest)} to {given - len(rest) + 1} "
                        f"positional arguments but {given} were given")
    _warn_alpha_first(rt, name, x, method)
    return rest[0], other


def _warn_alpha_first(rt, name: str, x, method: bool) -> None:
    """PyTorch's UserWarning for add(input, alpha, other) and x.add(alpha,
    other), once a program."""
    old, new = (("Number alpha, Tensor other", "Tensor other, *, Number alpha = 1") if method else
                ("Tensor input, Number alpha, Tensor other, *, Tensor out = None",
                 "Tensor input, Tensor other, *, Number alpha = 1, Tensor out = None"))
    warn_deprecated_form(rt, x, name, f"{name}({old})", [f"{name}({new})"])


# the start of PyTorch's warnings for its deprecated forms (add(x, 2, y),
# addmm(2, x, a, b)), given once a run for them all
DEPRECATED_FORM_WARNING = "This overload of "


def warn_deprecated_form(rt, x: Tensor, fname: str, old: str, new: list) -> None:
    """PyTorch's UserWarning for a deprecated form of fname: the form the
    call took (old) and the forms to use instead (new), once a run."""
    warn_once(rt, x, f"{DEPRECATED_FORM_WARNING}{fname} is deprecated:\n\t{old}\nConsider using "
              "one of the following signatures instead:" + "".join(f"\n\t{n}" for n in new),
              site=DEPRECATED_FORM_WARNING)


def warn_once(rt, t: Tensor, message: str, site: str | None = None) -> None:
    """A UserWarning PyTorch gives once a run (TORCH_WARN_ONCE); site: the
    start its messages share where one place in PyTorch words several."""
    site = message if site is None else site
    if not any(ev.get("message", "").startswith(site) for ev in rt.tape.events
               if ev.get("kind") == "user_warning"):
        rt.log_event("user_warning", t, message=message)


def _tensors_binary(name, other_at: int = 2):
    """torch.maximum / minimum: both arguments tensors (a number is
    PyTorch's TypeError there, where add or mul take one); other_at: the
    position its error gives `other` (1 for the method)."""
    plain = _binary(name)

    @tensors_only
    def f(rt, input, other):
        _need_tensor(input, name)
        _need_tensor(other, name, other_at, "other")
        return plain(rt, input, other)
    f.__name__ = name
    return f


def check_bool_sub(a, b) -> None:
    """PyTorch refuses `-` with a bool operand, a tensor or a Python bool
    (numpy would refuse two, less clearly, and compute with one)."""
    bools = [(v.data.dtype.kind == "b") if is_tensor(v) else isinstance(v, bool) for v in (a, b)]
    if all(bools):
        raise GradvizError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.",
                           hint="to count, convert first: a.long() - b.long()")
    if any(bools):
        raise GradvizError(BOOL_SUB_MESSAGE, hint="to compute with it, convert it first: "
                                                  "m.float() or m.long()")


def _as_operand(rt, v, where: tuple = ("", "other", 2)):
    """Tensors and Python numbers are operands; anything else (a list too:
    PyTorch makes no tensor of it here) is PyTorch's TypeError, naming the
    argument (``where``: the function, the argument's name, its position)."""
    if is_tensor(v) or isinstance(v, (int, float)):
        return v
    fn, arg, position = where
    raise GradvizError(f"{fn or 'operator'}(): argument '{arg}' (position {position}) must be "
                       f"Tensor, not {type(v).__name__}", kind=TYPE,
                       hint="make it a tensor first: torch.tensor(values)"
                       if isinstance(v, (list, tuple)) else None)


def f_pow(rt, a, b):
    if not is_tensor(a) and not is_tensor(b):     # (the ** operator is not this)
        raise invalid_combination("pow", [a, b])
    if is_tensor(b) and b.data.dtype.kind == "b" and \
            (a.data.dtype.kind == "b" if is_tensor(a) else isinstance(a, bool)):
        # (a bool tensor to a number's power is computed: b ** True, b ** 2)
        raise GradvizError("\"pow\" not implemented for 'Bool'", kind="NotImplementedError",
                           hint="convert first: b.long() ** e")
    if is_tensor(a) and is_tensor(b) is False and a.data.dtype.kind in "iub" and \
            isinstance(b, int) and b < 0:
        raise GradvizError("Integers to negative integer powers are not allowed.",
                           hint="use a float tensor, e.g. x.float() ** -1")
    if is_tensor(a) and a.data.dtype.kind in "iu" and isinstance(b, int) and \
            not isinstance(b, bool):
        # PyTorch converts the exponent to the tensor's integer type (numpy
        # would wrap it around, into a negative power)
        if not -2**63 <= b < 2**63:
            raise GradvizError("value cannot be converted to type int64_t without overflow",
                               hint="an integer tensor's exponent is at most 2**63 - 1")
        if a.data.dtype in NARROW_INTS:
            narrow_ints([b], a.data.dtype, NARROW_INTS[a.data.dtype])
    a, b = _as_operand(rt, a, ("pow", "input", 1)), _as_operand(rt, b, ("pow", "exponent", 2))
    return rt.apply(OPS["pow"], (a, b))


def f_clamp(rt, x, min=None, max=None):
    """torch.clamp / torch.clip: between numbers (one input, ClampBackward1),
    or between tensors (each bound an input too, ClampBackward0)."""
    bounds = [v for v in (min, max) if v is not None]
    if not is_tensor(x):
        raise invalid_combination("clamp", [x] + [v for v in (min, max) if v is not None],
                                  hint="torch.clamp(x, min=0.0, max=1.0): x is a tensor")
    if not bounds:
        raise GradvizError("torch.clamp: At least one of 'min' or 'max' must not be None",
                           hint="e.g. clamp(x, min=0)")
    tensors = [is_tensor(v) for v in bounds]
    if any(tensors) and not all(tensors):
        # a tensor bound and a number: PyTorch takes a 0-d tensor as a number there
        if any(is_tensor(v) and v.data.ndim for v in bounds):
            raise invalid_combination("clamp", [x, *bounds], hint=(
                "the bounds are both numbers or both tensors: write the number as a tensor, "
                "e.g. torch.full_like(x, 1.0)"))
        min, max = (v.data.item() if is_tensor(v) else v for v in (min, max))
    elif all(tensors):
        return clamp_tensors(rt, x, min, max)
    for v in (min, max):
        if v is not None and not isinstance(v, (int, float)):
            raise invalid_combination("clamp", [x, *bounds])
    # PyTorch clamps in the dtype the bounds promote x to (an int tensor with
    # a float bound is clamped as float32, a mask with int bounds as int64);
    # an int bound must fit a narrow int x
    want = rt.tape._common_dtype(OPS["clamp"], [x, min, max])
    if want != x.data.dtype:
        x = f_to(rt, x, want)
    elif want in NARROW_INTS:
        min, max = (None if v is None else narrow_ints([v], want, NARROW_INTS[want]).item()
                    for v in (min, max))
    if want.kind == "f":
        for v in (min, max):
            checked_float(v, want)
    return rt.apply(OPS["clamp"], (x,), {"min": min, "max": max})


def clamp_tensors(rt, x, lo, hi, grad_fn=None):
    """clamp with tensor bounds (ops/clamp_tensor.py): each bound an input
    of the node, broadcast with x; grad_fn: clamp_min's and clamp_max's
    names (ClampMinBackward1, ClampMaxBackward1) for theirs."""
    p = None if grad_fn is None else {"grad_fn": grad_fn}
    if lo is not None and hi is not None:
        return rt.apply(OPS["clamp_tensor"], (x, lo, hi), p)
    if lo is not None:
        return rt.apply(OPS["clamp_min_tensor"], (x, lo), p)
    return rt.apply(OPS["clamp_max_tensor"], (x, hi), p)


_NOT_GIVEN = object()      # an argument left out, where None is a value


def f_where(rt, condition, input=_NOT_GIVEN, other=_NOT_GIVEN):
    """where(condition, input, other): input where condition holds, other
    elsewhere; where(condition) alone is nonzero(condition, as_tuple=True)."""
    given = [v for v in (condition, input, other) if v is not _NOT_GIVEN]
    if not is_tensor(condition) and len(given) > 1:
        raise invalid_combination("where", given)
    cond = _need_tensor(condition, "where", arg="condition")
    if input is _NOT_GIVEN and other is _NOT_GIVEN:
        return _nonzero(rt, cond, True, "where")
    if input is _NOT_GIVEN or other is _NOT_GIVEN:
        raise invalid_combination("where", given,
                                  hint="where(condition) gives the indices where it holds, "
                                       "where(condition, input, other) picks from input or other")
    a, b = input, other
    if cond.data.dtype == np.uint8:        # (deprecated in PyTorch, still taken: nonzero holds)
        warn_once(rt, cond, "where received a uint8 condition tensor. This behavior is "   # (TORCH_WARN_ONCE)
                            "deprecated and will be removed in a future version of PyTorch. "
                            "Use a boolean condition instead.")
        cond = rt.apply(OPS["ne"], (cond, 0))
    if cond.data.dtype != np.bool_:
        raise GradvizError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {SCALAR_TYPE_NAMES[cond.data.dtype]}", kind=RUNTIME,
                           hint="use a comparison such as x > 0")
    return rt.apply(OPS["where"], (cond, _as_operand(rt, a, ("where", "input", 2)),
                                   _as_operand(rt, b, ("where", "other", 3))))


def _nonzero(rt, x: Tensor, as_tuple: bool, name: str):
    """The indices of x's nonzero elements: a row of indices per element
    (an int64 tensor of shape (n, x.dim())), or with as_tuple one tensor per
    dimension, a 0-d x counting as 1-d; new tensors, no gradient."""
    data = x.data
    if as_tuple:
        found = np.nonzero(data.reshape(-1) if data.ndim == 0 else data)
        return tuple(rt.tape.add(Tensor(i.astype(np.int64)), rt.span, label=f"{name}[{k}]")
                     for k, i in enumerate(found))
    if data.ndim == 0:          # one row of no indices, or none
        rows = np.zeros((int(data != 0), 0), np.int64)
    else:
        rows = np.stack(np.nonzero(data), axis=1).astype(np.int64)
    return rt.tape.add(Tensor(rows), rt.span, label=name)


def _nonzero_function(name: str):
    def f(rt, input, *, as_tuple=False):
        return _nonzero(rt, _need_tensor(input, name), bool_arg(name, "as_tuple", as_tuple), name)
    f.__name__ = name
    return f


def _reduction(name):
    op = OPS[name]

    def f(rt, x, dim=None, keepdim=False, dtype=None):
        if not is_tensor(x) and dim is not None:     # sum(3, 4): no form takes it
            raise invalid_combination(name, [x, dim])
        if name != "prod":                 # (prod's dim is one int, the others' a tuple)
            dim = read_dims(dim)
        x = _need_tensor(x, name)
        if dtype is not None:      # computed in that dtype (PyTorch: one node, named for the op)
            x = cast_within(rt, x, _dtype_arg(dtype))
        if name == "mean":
            if x.data.dtype.kind != "f":
                raise GradvizError("mean(): could not infer output dtype. Input dtype must be "
                                   "either a floating point or complex dtype. Got: "
                                   f"{type_word(x.data.dtype)}", kind=RUNTIME,
                                   hint="make it float first: x.float().mean(), or "
                                        "x.mean(dtype=torch.float32)")
        if name == "prod" and isinstance(dim, (tuple, list)):
            # torch.prod takes one dim only (its backward assumes one)
            raise GradvizError("prod(): argument 'dim' must be int, not tuple", kind=TYPE,
                               hint="take the product over one dim at a time, e.g. "
                                    "x.prod(dim=0).prod(dim=0)")
        p = {"dim": _dims(dim, x.data.ndim), "keepdim": bool(keepdim)}
        if dtype is not None and x.data.dtype in NARROW_INTS and name != "mean":
            p["dtype"] = x.data.dtype.name     # (else the int result is int64)
        return _keep_given(rt.apply(op, (x,), p), "dim",
                           (dim,) if isinstance(dim, int) else dim, p["dim"])
    f.__name__ = name
    return f


class ReturnTypes:
    """torch.return_types.max(values=..., indices=...), unpackable; other
    kinds name their fields (linalg_eigh: eigenvalues, eigenvectors)."""

    def __init__(self, kind, values, indices, *more, fields=("values", "indices")):
        self.kind, self.fields, self.items = kind, fields, [values, indices, *more]

    # (max, sort, topk: their two fields by name)
    values = property(lambda self: self.items[0],
                      lambda self, v: self.items.__setitem__(0, v))
    indices = property(lambda self: self.items[1],
                       lambda self, v: self.items.__setitem__(1, v))

    def __iter__(self):
        return iter(self.items)

    def __len__(self):               # (a named tuple: len(torch.linalg.slogdet(A)) == 2)
        return len(self.items)

    def field(self, name):
        return self.items[self.fields.index(name)]


def _extreme(name):
    full, by_dim, pair = OPS[name], OPS[name + "_dim"], OPS["maximum" if name == "max" else "minimum"]

    def f(rt, x, dim=None, keepdim=False):
        if not is_tensor(x) and dim is not None:     # min(6, 20): min(input, dim) or (input, other)
            raise invalid_combination(name, [x, dim])
        x = _need_tensor(x, name)
        if is_tensor(dim):
            return rt.apply(pair, (x, dim))
        if dim is None:
            if x.data.size == 0:
                raise GradvizError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the "
                                   "'dim' argument.", hint="give dim=")
            return rt.apply(full, (x,))
        if isinstance(dim, (list, tuple)):
            raise GradvizError(f"{name}(): argument 'dim' must be int, not "
                               f"{type(dim).__name__}", kind=TYPE,
                               hint=f"{name} reduces one dim at a time, e.g. x.{name}(dim=0)")
        d = _dims(dim, x.data.ndim)
        if x.data.ndim and x.data.shape[d[0]] == 0:
            raise GradvizError(f"{name}(): Expected reduction dim {d[0]} to have non-zero "
                               "size.", kind=INDEX)
        p = {"dim": d, "keepdim": bool(keepdim)}
        values = rt.apply(by_dim, (x,), p)
        argf = np.argmax if name == "max" else np.argmin
        idx = np.asarray(argf(x.data, axis=d[0] if d else None, keepdims=bool(keepdim)),
                         dtype=np.int64)
        indices = rt.tape.add(Tensor(idx), rt.span, label=f"{name}.indices")
        return ReturnTypes(name, values, indices)
    f.__name__ = name
    return f


def f_cumsum(rt, x, dim, *, dtype=None):
    """torch.cumsum(x, dim, dtype=None): with a dtype, x converted to it first
    (a bool one has no kernel; a gradient needs a float one)."""
    x = _need_tensor(x, "cumsum")
    d = _dim(dim, x.data.ndim)
    if dtype is not None:
        dt = _dtype_arg(dtype)
        if dt.kind == "b":
            raise GradvizError('"cumsum_out_cpu" not implemented for \'Bool\'',
                               kind="NotImplementedError",
                               hint="sum in an integer dtype: dtype=torch.int64")
        if x.requires_grad and dt.kind != "f":
            raise GradvizError(f"Autograd not support dtype: {type_word(dt)}", kind=RUNTIME,
                               hint="a gradient needs a float result: dtype=torch.float64")
        x = cast_within(rt, x, dt)
    p = {"dim": d, "dtype": dt.name} if dtype is not None and dt in NARROW_INTS else {"dim": d}
    return _keep_given(rt.apply(OPS["cumsum"], (x,), p), "dim", dim, d)


def _arg_extreme(name: str):
    """argmax/argmin: the index of the first largest (smallest) element, NaN
    counting as the largest, as in PyTorch; a new int64 tensor, no gradient."""
    find = np.argmax if name == "argmax" else np.argmin

    def f(rt, x, dim=None, keepdim=False):
        x = _need_tensor(x, name)
        data = x.data
        if dim is None:
            if data.size == 0:
                raise GradvizError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0.", kind=INDEX, hint="give dim=")
            idx = np.asarray(find(data), np.int64)
            if keepdim:
                idx = idx.reshape((1,) * data.ndim)
        else:
            d = _dim(dim, data.ndim)
            if data.ndim and data.shape[d] == 0:
                raise GradvizError(f"{name}(): Expected reduction dim {d} to have non-zero "
                                   "size.", kind=INDEX)
            idx = np.asarray(find(data, axis=d if data.ndim else None, keepdims=bool(keepdim)),
                             np.int64)
        return rt.tape.add(Tensor(idx), rt.span, label=name)
    f.__name__ = name
    return f


def f_norm(rt, input, p="fro", dim=None, keepdim=False, dtype=None):
    x = _need_tensor(input, "norm")
    _vector_norm_call(x, p, dim, keepdim, dtype)
    if dtype is not None:
        x = _norm_in_dtype(rt, x, _dtype_arg(dtype))
    if p == "fro" and is_tensor(dim) and dim.data.ndim == 0:
        # (PyTorch's Python norm takes len(dim) there: x.norm(dim=torch.tensor(0)))
        raise GradvizError("len() of a 0-d tensor", kind=TYPE,
                           hint="give the dim as an int: x.norm(dim=0)")
    # (torch.norm hands its keepdim on to linalg.vector_norm as the 4th argument)
    keepdim = bool_arg("linalg_vector_norm", "keepdim", keepdim, 4)
    if p is None:                   # (torch.norm's p=None is its 2-norm)
        p = 2
    if isinstance(dim, (tuple, list)) and not dim:
        dim = None                  # (vector_norm's empty dim list: all the dims)
    if isinstance(p, str) and (p != "fro" or isinstance(dim, (tuple, list)) and len(dim) > 2):
        # (PyTorch's Python norm: linalg.matrix_norm over dim, or all the dims;
        # its errors where they are not two)
        dims = list(range(x.data.ndim)) if dim is None else [dim] if isinstance(dim, int) else dim
        return LINALG["matrix_norm"](rt, x, p, dims, keepdim)
    if p not in (1, 2, "fro") and isinstance(p, (int, float)) and not isinstance(p, bool):
        return linalg_fns.f_vector_norm_ord(rt, x, p, dim, keepdim)     # inf, 0, 3, ...
    return rt.apply(OPS["norm"], (x,), norm_params(x, p, dim, keepdim))


_NORM_SEEN: set = set()     # (arg_parser.check's: the calls it has taken)


def _vector_norm_call(x, p, dim, keepdim, dtype) -> None:
    """The checks of PyTorch's Python torch.norm on its way to
    linalg.vector_norm(x, p, dim, keepdim, dtype=dtype): an int dim made
    [dim], len(dim) taken for p='fro' (a float dim has none), and that call
    checked by PyTorch's parser (m.norm(1, dim=2.5): its dim must be ints).
    A str p other than 'fro' (or 'fro' over more than two dims) goes to
    linalg.matrix_norm(x, p, dim or all the dims, keepdim, dtype=dtype)."""
    from .bool_args import LINALG     # (it imports this module)
    dims = [dim] if dim.__class__ is int else dim
    name = "vector_norm"
    if isinstance(p, str):
        if p == "fro" and dim.__class__ is float:
            raise GradvizError("object of type 'float' has no len()", kind=TYPE,
                               hint="give the dim as an int: x.norm(dim=0)")
        if p != "fro" or isinstance(dim, (tuple, list)) and len(dim) > 2:
            name = "matrix_norm"
            dims = list(range(x.data.ndim)) if dim is None else dims
    args = [x, p if name == "matrix_norm" else 2 if p is None or p == "fro" else p, dims,
            keepdim]
    arg_parser.check(f"linalg_{name}", LINALG[name][2], args, {"dtype": dtype}, _NORM_SEEN)
    if isinstance(dims, (tuple, list)):
        int64_sizes(f"linalg_{name}", "dim", dims)


def f_torch_norm(rt, input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """torch.norm: x.norm's arguments, but its 5th is out= where x.norm's 4th
    is dtype= (torch.norm(x, 2, 1, True, torch.float64) is PyTorch's
    TypeError). PyTorch's Python torch.norm hands out= on to
    linalg.vector_norm (to linalg.matrix_norm for a str p other than "fro"),
    whose name its out= errors carry."""
    if out is None:
        return f_norm(rt, input, p, dim, keepdim, dtype)
    from .interpreter import Function       # (it imports this module)
    name = "linalg_matrix_norm" if isinstance(p, str) and p != "fro" else "linalg_vector_norm"
    return rt._call_with_out(Function(name, f_norm), [input, p, dim, keepdim],
                             {"out": out, "dtype": dtype})


def _norm_in_dtype(rt, x: Tensor, dt: np.dtype) -> Tensor:
    """x in the dtype= of its norm (x.norm(dtype=torch.float64)), after
    PyTorch's checks: a float dtype that x converts to without narrowing."""
    if dt.kind != "f":
        raise GradvizError("linalg.vector_norm: dtype should be floating point or complex, but "
                           f"got {SCALAR_TYPE_NAMES[dt]}", kind=RUNTIME,
                           hint="a norm is a float: dtype=torch.float64")
    if x.data.dtype.kind == "f" and not np.can_cast(x.data.dtype, dt, "safe"):
        raise GradvizError(f"linalg.vector_norm: the dtype of the input "
                           f"({SCALAR_TYPE_NAMES[x.data.dtype]}) should be convertible without "
                           f"narrowing to the specified dtype ({SCALAR_TYPE_NAMES[dt]})",
                           kind=RUNTIME, hint="dtype= widens only: torch.float64 for a float32 x")
    return cast_within(rt, x, dt)


def norm_params(x: Tensor, p, dim, keepdim) -> dict:
    """The norm op's params for torch.norm(x, p, dim, keepdim), after
    PyTorch's checks of them."""
    if p != 2 and p != "fro" and p != 1:
        raise GradvizError("only the 1-norm and the 2-norm are supported (p=1, p=2)",
                           hint="norm(x) is sqrt(sum(x**2)); norm(x, p=1) is sum(abs(x))")
    if x.data.dtype.kind != "f":
        raise GradvizError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="make it float first: x.float().norm()")
    params = {"dim": _dims(read_dims(dim), x.data.ndim), "keepdim": bool(keepdim)}
    if p == 1:
        params["ord"] = 1
    return params


# torch.linalg's norms: the 2-norm and the 1-norm of vectors, and the
# Frobenius norm of matrices (the 2-norm of their elements) are torch.norm's
# one op, LinalgVectorNormBackward0, as PyTorch records them

def f_linalg_vector_norm(rt, x, ord=2, dim=None, keepdim=False):
    return f_norm(rt, x, ord, dim, keepdim)


def f_linalg_matrix_norm(rt, A, ord="fro", dim=(-2, -1), keepdim=False):
    return linalg_fns.f_matrix_norm(rt, A, ord, dim, keepdim)     # (imported at the end)


def f_linalg_norm(rt, A, ord=None, dim=None, keepdim=False):
    """torch.linalg.norm: a vector norm, or with ord= on a matrix (dim of two
    dims, or a 2-D input) a matrix norm."""
    A = _need_tensor(A, "linalg.norm")
    if isinstance(dim, (tuple, list)) and len(dim) not in (1, 2):
        raise GradvizError("linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"{list(dim)}", kind=RUNTIME,
                           hint="a vector norm over one dim, or a matrix norm over two")
    if ord is None:
        return f_norm(rt, A, 2, dim, keepdim)
    matrix = (dim is None and A.data.ndim == 2) or (isinstance(dim, (tuple, list))
                                                     and len(dim) == 2)
    if matrix:
        return f_linalg_matrix_norm(rt, A, ord, (-2, -1) if dim is None else dim, keepdim)
    return f_norm(rt, A, ord, dim, keepdim)



def _std_var(name, method=False, op_name=None):
    """std / var (method=True: x.std(...)) with PyTorch's three forms: (dim,
    unbiased=True, keepdim=False); (dim=None, *, correction=1, keepdim=False);
    (unbiased=True) alone (x.std(False) is unbiased=False, not dim 0).
    op_name: the op to record (std_mean's std is OPS["std_mean.std"]), whose
    function the argument errors name (std_mean())."""
    op = OPS[op_name or name]
    called = op_name.split(".")[0] if op_name else name

    def f(rt, x, *args, **kw):
        if not method and not is_tensor(x):
            # (none of PyTorch's forms takes it: its parser's "invalid combination")
            raise _std_var_mismatch(called, (x, *args), kw)
        a = _std_var_form(called, *_tensor_dim_read(args, kw), () if method else (x,))
        if x.data.dtype.kind != "f":    # (after the arguments, as PyTorch checks them)
            said = called if called != name else "std and var"
            raise GradvizError(f"{said} only support floating point and complex dtypes",
                               kind=RUNTIME, hint=f"make it a float tensor first: "
                                                  f"x.float().{name}()")
        dim = a.get("dim")
        if isinstance(dim, (tuple, list)):
            _no_repeated_dims(dim, x.data.ndim)
        correction = int(a["unbiased"]) if "unbiased" in a else a.get("correction")
        if is_tensor(correction):
            correction = correction.data.item()
        p = {"dim": _dims(dim, x.data.ndim), "keepdim": a.get("keepdim", False),
             "correction": 1 if correction is None else correction}
        return rt.apply(op, (x,), p)
    f.__name__ = name
    return f


def _tensor_dim_read(args: tuple, kw: dict) -> tuple:
    """std's and var's dim given as a tensor, read as PyTorch's parser reads
    it (read_dims): x.var(torch.tensor(0)) is x.var(0), where a Python bool
    in that place is unbiased= (x.var(True))."""
    if args and is_tensor(args[0]):
        args = (read_dims(args[0]), *args[1:])
    if is_tensor(kw.get("dim")):
        kw = {**kw, "dim": read_dims(kw["dim"])}
    return args, kw


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_dims(v) -> bool:
    return v is None or _is_int(v) or (isinstance(v, (tuple, list)) and all(map(_is_int, v)))


# PyTorch's forms of std and var, in the order it tries them: (positional
# names, keyword-only names, required names)
_STD_VAR_FORMS = ((("dim", "unbiased", "keepdim"), (), {"dim"}),
                  (("dim",), ("correction", "keepdim"), set()),
                  (("unbiased",), (), set()))
_STD_VAR_CHECKS = {
    "dim": _is_dims, "unbiased": lambda v: isinstance(v, bool),
    "keepdim": lambda v: isinstance(v, bool),
    "correction": lambda v: v is None or (isinstance(v, (int, float)) or
                                          (is_tensor(v) and v.data.ndim == 0)),
}


def _std_var_form(name, args, kw, leading) -> dict:
    """The arguments by name, as the first form that takes them binds them."""
    for positional, keyword_only, required in _STD_VAR_FORMS:
        if len(args) > len(positional):
            continue
        bound = dict(zip(positional, args))
        if any(k in bound or k not in positional + keyword_only for k in kw):
            continue
        bound.update(kw)
        if required <= bound.keys() and all(_STD_VAR_CHECKS[k](v) for k, v in bound.items()):
            return bound
    raise _std_var_mismatch(name, (*leading, *args), kw)    # (leading: the function's input)


def _std_var_mismatch(name, args, kw) -> GradvizError:
    """PyTorch's words where no form of std or var takes the arguments: the
    types given, the keywords last to first."""
    stat = name.removesuffix("_mean")
    return GradvizError(f"{name}() received an invalid combination of arguments - got "
                        f"({arguments_got(args, kw)}), but expected one of:", kind=TYPE,
                        hint=f"x.{stat}(dim, unbiased, keepdim), x.{stat}(unbiased) or "
                             f"x.{stat}(dim, correction=N, keepdim=False)")


def _no_repeated_dims(dim, ndim):
    seen = set()
    for d in dim:
        d = _dim(d, ndim)
        if d in seen:
            raise GradvizError(f"dim {d} appears multiple times in the list of dims",
                               kind=RUNTIME, hint="name each dim once")
        seen.add(d)


def _matmul_form(name):
    op = OPS[name]

    second = {"dot": "tensor", "mv": "vec", "mm": "mat2", "outer": "vec2"}.get(name, "other")

    @tensors_only
    def f(rt, a, b):
        return rt.apply(op, (_need_tensor(a, name, 1), _need_tensor(b, name, 2, second)))
    f.__name__ = name
    return f


def _shape_from(rt, x, shape, fname: str) -> tuple:
    arg = "shape" if fname == "reshape" else "size"
    shape = int_list(fname, arg, shape)
    int64_sizes(fname, arg, shape)
    return _infer_size(shape, x.data.size)


def _infer_size(shape: tuple, n: int) -> tuple:
    """shape for n elements, its -1 filled in (PyTorch's infer_size)."""
    known = 1
    free = None
    for i, s in enumerate(shape):
        if isinstance(s, bool) or not isinstance(s, int):
            raise GradvizError(f"reshape(): sizes must be integers, got {_describe(s)}", kind=TYPE)
        if s == -1:
            if free is not None:
                raise GradvizError("only one dimension can be inferred")
            free = i
        elif s < 0:
            raise GradvizError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}", hint="a size is 0 or more, or -1 for the "
                                                      "one that is inferred")
        else:
            known *= s
    out = list(shape)
    if free is not None:
        if known == 0 or n % known:
            raise GradvizError(f"shape '{list(shape)}' is invalid for input of size {n}")
        out[free] = n // known
    elif known != n:
        raise GradvizError(f"shape '{list(shape)}' is invalid for input of size {n}",
                           hint=f"the new shape must hold exactly {n} elements")
    return tuple(out)


def f_reshape(rt, x, *shape):
    x = _need_tensor(x, "reshape")
    return rt.apply(OPS["reshape"], (x,), {"shape": _shape_from(rt, x, shape, "reshape")})


def m_view(rt, x, *shape):
    new = _shape_from(rt, x, shape, "view")
    # view() never copies: a transposed or expanded tensor cannot be viewed
    # flat. Its strides as PyTorch's (strides.layout) tell.
    if strides.view_strides(x.data.shape, strides.layout(x)[0], new) is None:
        raise GradvizError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead.",
            hint="this tensor's elements are not laid out in order (it was transposed, "
                 "expanded or sliced); use .reshape(), which copies when it must")
    return rt.apply(OPS["view"], (x,), {"shape": new})


def m_resize(rt, x, *sizes):
    """x.resize(*sizes), deprecated (its warning): autograd's Resize, which
    only reshapes (the same number of elements), a view of x whose node is
    PyTorch's Python-defined ResizeBackward."""
    rt.log_event("user_warning", x, message="non-inplace resize is deprecated")
    return _autograd_resize(rt, x, sizes)


def m_resize_as(rt, x, tensor):
    """x.resize_as(t), deprecated (its warning): x.resize(*t.shape)."""
    if tensor.__class__ is not Tensor:
        raise GradvizError(f"'{arg_type_name(tensor)}' object has no attribute 'size'",
                           kind="AttributeError", hint="x.resize_as(t) takes t's shape: a tensor")
    rt.log_event("user_warning", x, message="non-inplace resize_as is deprecated")
    return _autograd_resize(rt, x, tensor.data.shape)


def _autograd_resize(rt, x, sizes):
    """autograd's Resize of x to sizes: a view with ResizeBackward."""
    # (PyTorch multiplies the sizes as given: a tuple of them is no count)
    count = functools.reduce(lambda a, b: a * b, sizes) if sizes else 1
    if count.__class__ is not int or count != x.data.size:
        said = "x".join(map(rt.repr_of, sizes))
        raise GradvizError(f"requested resize to {said} ({rt.repr_of(count)} elements in total), "
                           f"but the given tensor has a size of "
                           f"{'x'.join(map(str, x.data.shape))} ({x.data.size} elements). "
                           "autograd's resize can only change the shape of a given tensor, while "
                           "preserving the number of elements. ", kind=RUNTIME,
                           hint="x.resize(a, b) keeps the elements: x.resize_(...) changes them")
    out = m_view(rt, x, *sizes)
    out.meta = {**(out.meta or {}), "grad_fn_name": "ResizeBackward"}
    return out


def m_expand(rt, x, *sizes):
    """x.expand(*sizes): x's size-1 axes (and new leading ones) repeated,
    -1 keeping an axis: a view of x, marked as repeating memory (in-place
    writes into it are refused, as into PyTorch's view with stride 0)."""
    sizes = _sizes_given("expand", "size", sizes)
    for a in sizes:
        if a < -1:
            raise GradvizError(f"expand(): invalid size {a}",
                               hint="a size is 0 or more, or -1 to keep the axis")
    shape = x.data.shape
    lead = len(sizes) - len(shape)
    new = list(sizes)
    for i in range(max(lead, 0)):
        if sizes[i] == -1:
            raise GradvizError(f"The expanded size of the tensor (-1) isn't allowed in a "
                               f"leading, non-existing dimension {i}",
                               hint="-1 keeps an existing axis; a new one needs its size")
    for i in range(max(lead, 0), len(sizes)):
        if sizes[i] == -1:
            new[i] = shape[i - lead]
    error = expand_error(shape, tuple(new), x.data.dtype, shown=list(sizes))
    if error is not None:
        raise error
    new = tuple(new)
    rt.tape.check_shape(new)
    out = rt.apply(OPS["expand"], (x,), {"shape": new})
    if out.data.size > x.data.size:
        out.meta = {**(out.meta or {}), "overlapping": True}
    _view_expanded(out, x)
    return out


def _view_expanded(out: Tensor, x: Tensor) -> None:
    """out, x.expand(...) just made (a copy), as PyTorch's: a view of x's
    memory (x's later writes show through it, and a write into a part of it
    that holds each element once, e[0] = v, reaches x). Recorded too: a
    write into x then makes out's grad_fn again from x's new node
    (Interpreter._remake_view). Internal expands (gradients, broadcasting)
    stay copies: nothing writes into them."""
    a = x.data
    if not a.flags.writeable or not out.data.size:
        return
    lead = out.data.ndim - a.ndim
    steps = [0] * lead + [s if n == m else 0
                          for s, n, m in zip(a.strides, a.shape, out.data.shape[lead:])]
    view = windows.strided_view(a, out.data.shape, tuple(steps))
    if view is not None:
        out.data = view


def _sizes_given(method: str, arg: str, sizes: tuple) -> tuple:
    """x.expand(2, 3) / x.expand((2, 3)) -> (2, 3), with PyTorch's TypeErrors."""
    if not sizes:
        raise GradvizError(f'{method}() missing 1 required positional arguments: "{arg}"',
                           kind=TYPE, hint=f"write e.g. x.{method}(2, 3)")
    sizes = int_list(method, arg, sizes)
    int64_sizes(method, arg, sizes)
    return sizes


def expand_error(shape: tuple, target: tuple, dt, shown=None,
                 cpu_type=False) -> GradvizError | None:
    """PyTorch's error when shape cannot expand to target (None if it can);
    shown: the sizes as the program gave them (-1 kept); cpu_type: the
    tensor named as its C++ type (CPUBoolType), as an in-place op's
    expand of its mask names it."""
    shown = list(target) if shown is None else shown
    hint = "only axes of size 1 expand (and new leading ones)"
    if len(target) < len(shape):
        name = f"CPU{type_word(dt)}Type" if cpu_type else legacy_type(dt)
        return GradvizError(f"expand({name}{{{list(shape)}}}, size={shown}): the "
                            f"number of sizes provided ({len(target)}) must be greater or equal "
                            f"to the number of dimensions in the tensor ({len(shape)})",
                            hint=hint)
    lead = len(target) - len(shape)
    for d in range(len(target) - 1, lead - 1, -1):
        have = shape[d - lead]
        if have != 1 and have != target[d]:
            return GradvizError(f"The expanded size of the tensor ({shown[d]}) must match the "
                                f"existing size ({have}) at non-singleton dimension {d}.  "
                                f"Target sizes: {shown}.  Tensor sizes: {list(shape)}",
                                hint=hint)
    return None


def legacy_type(dt) -> str:
    """A dtype as PyTorch's legacy tensor type name (torch.FloatTensor)."""
    return f"torch.{SCALAR_TYPE_NAMES.get(dt, 'Half' if dt.name == 'float16' else dt.name)}Tensor"


def m_expand_as(rt, x, other):
    return m_expand(rt, x, *_need_tensor(other, "expand_as").data.shape)


def m_repeat(rt, x, *sizes):
    reps = _shape_args(rt, _sizes_given("repeat", "repeats", sizes), "repeat", "repeats")
    if len(reps) < x.data.ndim:
        raise GradvizError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor",
                           hint=f"give a count for each of the tensor's {x.data.ndim} axes")
    shape = (1,) * (len(reps) - x.data.ndim) + x.data.shape
    rt.tape.check_shape(tuple(r * s for r, s in zip(reps, shape)))
    return rt.apply(OPS["repeat"], (x,), {"reps": reps})


def f_flatten(rt, x, start_dim=0, end_dim=-1):
    """torch.flatten(x, start_dim=0, end_dim=-1)."""
    return _flatten(rt, _need_tensor(x, "flatten"), start_dim, end_dim, 2)


def m_flatten(rt, x, start_dim=0, end_dim=-1):
    """x.flatten(1), also nn.Flatten's call (its dims count from position 1)."""
    return _flatten(rt, x, start_dim, end_dim, 1)


def _flatten(rt, x, start_dim, end_dim, position: int):
    """PyTorch's checks, then x itself when there is nothing to merge (one
    dim), else a reshape (ViewBackward0 on a contiguous tensor)."""
    start_dim, end_dim = read_int(start_dim), read_int(end_dim)
    for i, (arg, v) in enumerate((("start_dim", start_dim), ("end_dim", end_dim))):
        if isinstance(v, bool) or not isinstance(v, int):
            raise GradvizError(f"flatten(): argument '{arg}' (position {position + i}) must be "
                               f"int, not {arg_type_name(v)}", kind=TYPE,
                               hint="dims are whole numbers: x.flatten(1) keeps the first dim")
    shape = x.data.shape
    start, end = _dim(start_dim, len(shape)), _dim(end_dim, len(shape))
    if start > end:
        raise GradvizError("flatten() has invalid args: start_dim cannot come after end_dim",
                           hint=f"start_dim {start_dim} is after end_dim {end_dim} in a "
                                f"{len(shape)}-d tensor")
    if shape and start == end:
        return x
    new = shape[:start] + (int(np.prod(shape[start:end + 1])),) + shape[end + 1:]
    return rt.apply(OPS["flatten"], (x,), {"shape": new})


def f_unflatten(rt, input, dim, sizes):
    """torch.unflatten(x, dim, sizes)."""
    return _unflatten(rt, _need_tensor(input, "unflatten"), dim, sizes, 2)


def m_unflatten(rt, x, dim, sizes):
    """x.unflatten(dim, sizes), also nn.Unflatten's call: x's dim split into
    sizes (one of them may be -1), always a view (ViewBackward0)."""
    if isinstance(sizes, (tuple, list)) and not sizes:     # (Tensor.unflatten's own check)
        raise GradvizError("unflatten: sizes must be non-empty",
                           hint="the sizes the dim is split into: x.unflatten(1, (2, 3))")
    return _unflatten(rt, x, dim, sizes, 1)


def _unflatten(rt, x, dim, sizes, position: int):
    """PyTorch's argument checks (the first size's type is checked as the
    argument's, a later one's when it is unpacked), then infer_size's."""
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise GradvizError(f"unflatten(): argument 'dim' (position {position}) must be int, not "
                           f"{arg_type_name(dim)}", kind=TYPE, hint="dim is a whole number")
    hint = "sizes is a tuple of whole numbers: x.unflatten(1, (2, 3))"
    if not isinstance(sizes, (tuple, list)):
        raise GradvizError(f"unflatten(): argument 'sizes' (position {position + 1}) must be "
                           f"tuple of ints, not {arg_type_name(sizes)}", kind=TYPE, hint=hint)
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, int):
            raise GradvizError(
                f"unflatten(): argument 'sizes' (position {position + 1}) must be tuple of ints, "
                f"but found element of type {arg_type_name(s)} at pos 0" if i == 0 else
                f"unflatten(): argument 'sizes' failed to unpack the object at pos "
                f"{i + 1} with error \"type must be tuple of ints,but got "
                f"{arg_type_name(s)}\"", kind=TYPE, hint=hint)
    shape = x.data.shape
    if not shape:
        # (PyTorch wraps the dim inside its try, so this error is "unexpected")
        if dim in (0, -1):
            raise GradvizError("unflatten got an unexpected error:\nDimension specified as 0 "
                               "but tensor has no dimensions",
                               hint="a 0-d tensor has no dim to split")
        _dim(dim, 0)
    d = _dim(dim, len(shape))
    if not sizes:
        raise GradvizError("unflatten: sizes must be non-empty",
                           hint="the sizes the dim is split into: x.unflatten(1, (2, 3))")
    n = shape[d]
    if n == 0 and sizes.count(-1) == 1:
        raise GradvizError(f"unflatten got an unexpected error:\ncannot reshape tensor of 0 "
                           f"elements into shape {list(sizes)} because the unspecified dimension "
                           f"size -1 can be any value and is ambiguous",
                           hint="give every size when the dim is empty")
    try:
        split = _infer_size(tuple(sizes), n)
    except GradvizError as exc:
        if "is invalid for input of size" not in exc.message:
            raise GradvizError(f"unflatten got an unexpected error:\n{exc.message}",
                               hint="at most one size is -1, the others 0 or more") from None
        raise GradvizError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {d} ({n}) in the input tensor",
                           hint=f"the sizes' product must be {n}") from None
    new = shape[:d] + split + shape[d + 1:]
    rt.tape.check_shape(new)
    return rt.apply(OPS["view"], (x,), {"shape": new})


def f_transpose(rt, x, dim0, dim1):
    x = _need_tensor(x, "transpose")
    nd = x.data.ndim
    dims = (_dim(dim0, nd), _dim(dim1, nd))
    return _keep_given(rt.apply(OPS["transpose"], (x,), {"dims": dims}), "dims", (dim0, dim1), dims)


def m_permute(rt, x, *dims):
    """x.permute(2, 0, 1) or x.permute((2, 0, 1)): a view with the axes in that order."""
    x = _need_tensor(x, "permute")
    if len(dims) == 1 and isinstance(dims[0], (list, tuple)):
        dims = tuple(dims[0])
    # (past the first, PyTorch's parser reads a bool as its int: x.permute(0, True))
    dims = tuple(int(d) if d.__class__ is bool else d for d in dims)
    nd = x.data.ndim
    if len(dims) != nd:
        raise GradvizError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {nd} is not equal to len(dims) = {len(dims)}",
                           hint=f"name each of the {nd} axes once: x.permute(1, 0)")
    order = tuple(_dim(d, nd) for d in dims)
    if len(set(order)) != len(order):
        raise GradvizError("permute(): duplicate dims are not allowed.",
                           hint="name each axis once")
    return _keep_given(rt.apply(OPS["permute"], (x,), {"dims": order}), "dims", dims, order)


def m_contiguous(rt, x):
    """x itself when its memory is in order (by PyTorch's strides: an
    expand or a diagonal, copies here, are not), else a copy (CloneBackward0)."""
    x = _need_tensor(x, "contiguous")
    return x if strides.m_is_contiguous(rt, x) else contiguous_copy(rt, x)


def contiguous_copy(rt, x):
    """A contiguous copy of x (CloneBackward0), whatever x's strides (clone()
    would keep them)."""
    return rt.apply(OPS["clone"], (x,))


def _value_test(name: str, test):
    """torch.isnan, isinf, isfinite, isposinf, isneginf (and the methods): a
    bool tensor, recorded as a leaf (PyTorch gives it no grad_fn); an
    integer or bool tensor is all finite."""
    def f(rt, input):
        x = _need_tensor(input, name)
        return _leaf(rt, np.asarray(test(x.data)), False, name)
    f.__name__ = f"f_{name}"
    return f


VALUE_TESTS = {"isnan": _value_test("isnan", np.isnan), "isinf": _value_test("isinf", np.isinf),
               "isfinite": _value_test("isfinite", np.isfinite),
               "isposinf": _value_test("isposinf", np.isposinf),
               "isneginf": _value_test("isneginf", np.isneginf)}


def f_isclose(rt, a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b|, elementwise, as PyTorch's isclose."""
    a, b = _need_tensor(a, "isclose"), _need_tensor(b, "isclose", 2)
    for name, v in (("rtol", rtol), ("atol", atol)):
        _number_arg("isclose", name, None, v, "float")
        float(v)               # (an int past float's range: the OverflowError of any number)
        if v < 0:
            raise GradvizError(f"{name} must be greater than or equal to zero, but got {v}",
                               kind=RUNTIME)
    if a.data.dtype != b.data.dtype:
        raise GradvizError(f"{type_word(a.data.dtype)} did not match {type_word(b.data.dtype)}",
                           kind=RUNTIME, hint="compare tensors of one dtype: isclose(a, b.float())")
    rt.tape.check_size(math.prod(broadcast_shape(a.data.shape, b.data.shape)), "result")
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=bool(equal_nan))
    return _leaf(rt, np.asarray(close), False, "isclose")


def f_unsqueeze(rt, x, dim):
    x = _need_tensor(x, "unsqueeze")
    rt.tape.check_shape(x.data.shape + (1,))
    d = _dim(dim, x.data.ndim, allow_end=True)
    return _keep_given(rt.apply(OPS["unsqueeze"], (x,), {"dim": d}), "dim", dim, d)


def f_squeeze(rt, x, dim=None):
    x = _need_tensor(x, "squeeze")
    shape = x.data.shape
    if dim is None:
        new = tuple(s for s in shape if s != 1)
    elif isinstance(dim, (tuple, list)):       # x.squeeze((1, 3)): those of size 1
        dim = tuple(dim)
        _no_repeated_dims(dim, x.data.ndim)
        dropped = {_dim(d, x.data.ndim) for d in dim}
        new = tuple(n for i, n in enumerate(shape) if not (i in dropped and n == 1))
    else:
        d = _dim(dim, x.data.ndim)
        new = shape[:d] + shape[d + 1:] if shape and shape[d] == 1 else shape
    return rt.apply(OPS["squeeze"], (x,), {"shape": new, "dim": dim})


def _seq_op(name):
    op = OPS[name]

    def f(rt, tensors, dim=0):
        example = f"{name}([a, b], dim=0)"
        if not isinstance(tensors, (list, tuple)):
            raise GradvizError(f"{name}(): argument 'tensors' (position 1) must be tuple of "
                               f"Tensors, not {arg_type_name(tensors)}", kind=TYPE,
                               hint=f"give the tensors in one list: {example}")
        if not tensors:
            raise (GradvizError("stack expects a non-empty TensorList", hint=example)
                   if name == "stack" else GradvizError(
                       "torch.cat(): expected a non-empty list of Tensors", kind=VALUE,
                       hint=example))
        for i, t in enumerate(tensors):
            if not is_tensor(t):
                raise GradvizError(f"expected Tensor as element {i} in argument 0, but got "
                                   f"{arg_type_name(t)}", kind=TYPE, hint=_number_hint(name, [t]))
        dim = read_int(dim)
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise GradvizError(f"{name}(): argument 'dim' (position 2) must be int, not "
                               f"{arg_type_name(dim)}", kind=TYPE)
        ts = tuple(tensors)
        nd = ts[0].data.ndim
        # the result's size, before numpy allocates it
        rt.tape.check_size(sum(t.data.size for t in ts), "result")
        if name == "cat":
            if nd == 0:
                raise GradvizError("zero-dimensional tensor (at position 0) cannot be "
                                   "concatenated", hint="use stack() for 0-d tensors")
            for t in ts:
                if t.data.ndim != nd:
                    raise GradvizError(f"Tensors must have same number of dimensions: got "
                                       f"{nd} and {t.data.ndim}")
            d = _dim(dim, nd)
            for t in ts:
                for i, (s0, s1) in enumerate(zip(ts[0].data.shape, t.data.shape)):
                    if i != d and s0 != s1:
                        raise GradvizError(
                            f"Sizes of tensors must match except in dimension {d}. Expected "
                            f"size {s0} but got size {s1} for tensor number {ts.index(t)} in "
                            "the list.")
        else:
            rt.tape.check_shape((len(ts),) + ts[0].data.shape, "result")
            d = _dim(dim, nd, allow_end=True)
            for i, t in enumerate(ts):
                if t.data.shape != ts[0].data.shape:
                    raise GradvizError(
                        f"stack expects each tensor to be equal size, but got "
                        f"{list(ts[0].data.shape)} at entry 0 and {list(t.data.shape)} at "
                        f"entry {i}")
        return _keep_given(rt.apply(op, ts, {"dim": d}), "dim", dim, d)
    f.__name__ = name
    return f


def _softmax_like(name):
    op = OPS[name]

    def f(rt, x, dim=None, dtype=None):
        x = _need_tensor(x, name)
        if dtype is not None:        # (PyTorch's ToCopyBackward0 node, then the op's)
            x = f_to(rt, x, _dtype_arg(dtype))
        if x.data.dtype.kind != "f":
            raise GradvizError(f'"{name}_lastdim_kernel_impl" not implemented for '
                               f"'{type_word(x.data.dtype)}'", kind="NotImplementedError",
                               hint=f"make it a float tensor first: {name}(x.float(), dim=...)")
        if dim is None:
            raise GradvizError(f'{name}() missing 1 required positional arguments: "dim"',
                               kind=TYPE, hint=f"e.g. {name}(x, dim=1) for the rows of a matrix")
        d = _dim(dim, x.data.ndim)
        # a 0-d tensor has no axis: numpy's axis=None reduces it to itself
        used = d if x.data.ndim else None
        return _keep_given(rt.apply(op, (x,), {"dim": used}), "dim", dim, used)
    f.__name__ = name
    return f


def _nn_softmax_like(name):
    """F.softmax / F.log_softmax (and nn.Softmax(), nn.LogSoftmax()): without
    dim, PyTorch's legacy choice (_get_softmax_dim: 0 for a 0-, 1- or 3-d
    input, else 1) with its UserWarning."""
    plain = FUNCTIONS[name]

    def f(rt, input, dim=None, _stacklevel=3, dtype=None):
        if dim is None and is_tensor(input):
            rt.log_event("user_warning", input, message=f"Implicit dimension choice for {name} "
                         "has been deprecated. Change the call to include dim=X as an argument.")
            dim = 0 if input.data.ndim in (0, 1, 3) else 1
        return plain(rt, input, dim, dtype)
    f.__name__ = name
    return f


def _reduction_arg(size_average, reduce, reduction) -> str:
    """A loss's reduction: 'mean', 'sum' or 'none'; the old size_average= and
    reduce= (Liu Er's size_average=False) as PyTorch reads them."""
    if size_average is not None or reduce is not None:
        if reduce is not None and not reduce:
            reduction = "none"
        else:
            reduction = "sum" if size_average is not None and not size_average else "mean"
    if reduction not in ("mean", "sum", "none"):
        raise GradvizError(f"{reduction} is not a valid value for reduction", kind=VALUE,
                           hint="reduction is 'mean' (the default), 'sum' or 'none'")
    return reduction


def _reduction_params(reduction: str) -> dict | None:
    # (the default leaves the op's params empty, as before reductions)
    return None if reduction == "mean" else {"reduction": reduction}


def python_tensor(v, attribute: str, hint: str) -> Tensor:
    """v, which PyTorch's Python function first uses as a tensor through
    attribute (input.dim(), input.norm(...)): a value that is no tensor is
    Python's AttributeError there."""
    if not is_tensor(v):
        raise GradvizError(f"'{arg_type_name(v)}' object has no attribute '{attribute}'",
                           kind="AttributeError", hint=hint)
    return v


def _loss_operands(input, target) -> tuple:
    """The tensors of F.mse_loss, l1_loss, binary_cross_entropy(_with_logits):
    Python functions in PyTorch, whose first act (target.size() ==
    input.size()) fails on a number with Python's AttributeError."""
    for v in (target, input):
        if not is_tensor(v):
            raise GradvizError(f"'{arg_type_name(v)}' object has no attribute 'size'",
                               kind="AttributeError", hint=_number_hint("loss", [v]))
    return input, target


def warn_target_size(rt, input: Tensor, target: Tensor) -> None:
    """The UserWarning of PyTorch's Python losses (mse_loss, l1_loss, ...)
    when the target's shape is not the input's."""
    if input.data.shape != target.data.shape:
        rt.log_event("user_warning", input, message=(
            f"Using a target size (torch.Size({list(target.data.shape)})) that is different to "
            f"the input size (torch.Size({list(input.data.shape)})). This will likely lead to "
            "incorrect results due to broadcasting. Please ensure they have the same size."))


def _broadcast_mixed(rt, input, target) -> tuple:
    """PyTorch's Python losses broadcast_tensors() their operands first: so
    a 0-d tensor of another dtype is no longer 0-d, and its dtype counts
    (mse_loss(half_x, torch.tensor(0.5)) is float32). Operands of one dtype
    are left as they are (their result is the same). Targets of another
    shape are warned about first."""
    warn_target_size(rt, input, target)
    if input.data.dtype == target.data.dtype or input.data.shape == target.data.shape:
        return input, target
    shape = broadcast_shape(input.data.shape, target.data.shape)
    return tuple(t if t.data.shape == shape else rt.apply(OPS["expand"], (t,), {"shape": shape})
                 for t in (input, target))


def f_mse_loss(rt, input, target, size_average=None, reduce=None, reduction="mean"):
    input, target = _loss_operands(input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    if input.data.dtype.kind != "f" and target.data.dtype.kind != "f":
        kind = "Bool" if input.data.dtype.kind == "b" else "Long"
        raise GradvizError(f'"mse_cpu" not implemented for \'{kind}\'',
                           hint="make the input a float tensor: mse_loss(x.float(), y)")
    rt.tape.check_size(math.prod(broadcast_shape(input.data.shape, target.data.shape)), "result")
    input, target = _broadcast_mixed(rt, input, target)
    return rt.apply(OPS["mse_loss"], (input, target), _reduction_params(reduction))


def _expanded_weight(rt, weight: Tensor, w: np.ndarray) -> Tensor:
    """A loss's weight expanded to the input's shape (w): the weight itself
    where it has that shape, else a new constant."""
    return weight if w.shape == weight.data.shape else \
        _leaf(rt, np.ascontiguousarray(w), False, "weight expanded")


def _bce(name: str):
    """F.binary_cross_entropy(_with_logits)(input, target, weight=, reduction=,
    and with logits pos_weight=), with PyTorch's checks."""
    op = OPS[name]

    def f(rt, input, target, weight=None, size_average=None, reduce=None, reduction="mean",
          pos_weight=None):
        input, target = _loss_operands(input, target)
        if pos_weight is not None and name == "binary_cross_entropy":
            raise GradvizError("binary_cross_entropy() got an unexpected keyword argument "
                               "'pos_weight'", kind=TYPE,
                               hint="pos_weight= is binary_cross_entropy_with_logits's")
        reduction = _reduction_arg(size_average, reduce, reduction)
        if target.data.shape != input.data.shape:
            t_size, x_size = list(target.data.shape), list(input.data.shape)
            said = (f"Using a target size (torch.Size({t_size})) that is different to the input "
                    f"size (torch.Size({x_size})) is deprecated. Please ensure they have the "
                    f"same size.") if name == "binary_cross_entropy" else (
                f"Target size (torch.Size({t_size})) must be the same as input size "
                f"(torch.Size({x_size}))")
            raise GradvizError(said, kind=VALUE, hint="one target per input element")
        if name == "binary_cross_entropy":
            for t in (input, target):
                if t.data.dtype.kind != "f":
                    raise GradvizError(f"Found dtype {type_word(t.data.dtype)} but "
                                       "expected Float", hint="targets are floats: 1.0, not 1")
            for t, what in ((input, "input"), (target, "target")):
                if t.data.size and not ((t.data >= 0) & (t.data <= 1)).all():
                    raise GradvizError(f"all elements of {what} should be between 0 and 1",
                                       hint="binary_cross_entropy takes probabilities; for "
                                            "raw scores use binary_cross_entropy_with_logits")
        elif target.data.dtype.kind != "f" or input.data.dtype.kind != "f":
            other = target if target.data.dtype.kind != "f" else input
            raise GradvizError(f"result type Float can't be cast to the desired output type "
                               f"{type_word(other.data.dtype)}",
                               hint="targets are floats: 1.0, not 1")
        if name != "binary_cross_entropy":
            from .nn_functional import bce_logits_weights
            return bce_logits_weights(rt, op, input, target, weight, pos_weight, reduction)
        args = (input, target)
        if weight is not None:
            from .nn_functional import bce_weight
            args += (_expanded_weight(rt, weight, bce_weight(rt, input, weight)),)
        return rt.apply(op, args, {"reduction": reduction})
    f.__name__ = name
    return f


# dtypes as PyTorch's messages name them (by kind; float64 is "Double")
def type_word(dtype: np.dtype) -> str:
    """PyTorch's ScalarType name of a dtype in its messages (Float, Long, Byte)."""
    return SCALAR_TYPE_NAMES[dtype]


def cpp_type_word(dtype) -> str:
    """PyTorch's C++ name of a dtype in some kernels' messages (float, long int)."""
    dtype = np.dtype(dtype)
    return CPP_TYPE_NAMES.get(dtype) or ("c10::Half" if dtype.name == "float16" else dtype.name)


def f_t(rt, x):
    x = _need_tensor(x, "t")
    if x.data.ndim > 2:
        raise GradvizError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{x.data.ndim}D", hint="use transpose(dim0, dim1) or permute")
    return rt.apply(OPS["t"], (x,))


def f_cross_entropy(rt, input, target, weight=None, size_average=None, ignore_index=-100,
                    reduce=None, reduction="mean", label_smoothing=0.0):
    """F.cross_entropy: log_softmax then nll_loss for class indices, or
    -sum(log_softmax * probabilities) for class probabilities; weight=,
    ignore_index= and label_smoothing= as PyTorch's cross_entropy_loss,
    with its checks in its order."""
    reduction = _reduction_arg(size_average, reduce, reduction)
    input = _need_tensor(input, "cross_entropy_loss")
    target = byte_class_target(rt, _need_tensor(target, "cross_entropy_loss", 2, "target"),
                               input)
    if weight is not None:
        weight = _need_tensor(weight, "cross_entropy_loss", 3, "weight")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise GradvizError(f"cross_entropy_loss(): argument 'ignore_index' (position 5) must be "
                           f"int, not {arg_type_name(ignore_index)}", kind=TYPE,
                           hint="ignore_index is a class index (the default, -100, ignores none)")
    if not isinstance(label_smoothing, (int, float)):
        raise GradvizError(f"cross_entropy_loss(): argument 'label_smoothing' (position 6) must "
                           f"be float, not {arg_type_name(label_smoothing)}", kind=TYPE,
                           hint="label_smoothing is a number in [0, 1]")
    if input.data.dtype.kind != "f":
        raise GradvizError("cross_entropy expects float logits", kind=RUNTIME)
    if input.data.ndim == 0:
        raise GradvizError("Dimension out of range (expected to be in range of [-1, 0], but "
                           "got 1)", kind=INDEX, hint="logits are (C,) or (N, C)")
    classes = input.data.shape[0 if input.data.ndim == 1 else 1]
    smoothing = float(label_smoothing) if label_smoothing > 0 else 0.0
    if target.data.shape == input.data.shape:        # class probabilities, one per logit
        if target.data.dtype.kind != "f":
            raise GradvizError("Expected floating point type for target with class "
                               f"probabilities, got {type_word(target.data.dtype)}",
                               hint="class indices are one per row, shape "
                                    f"{list(input.data.shape[:-1])}; probabilities are floats "
                                    "of the logits' shape")
        if ignore_index >= 0:
            raise GradvizError("ignore_index is not supported for floating point target",
                               hint="class probabilities weigh every class: give a class a "
                                    "probability of 0 instead")
        if weight is not None and (weight.data.ndim != 1 or weight.data.size != classes):
            raise _weight_size_error(classes, weight, "cross_entropy: ")
        _smoothing_range(smoothing)
        if weight is not None and weight.data.dtype != input.data.dtype:
            raise GradvizError("cross_entropy(): a weight of another dtype than the logits is "
                               "not supported", kind=TYPE,
                               hint="make the weight the logits' dtype: weight.float()")
        params = {}
    else:                                             # class indices (nll_loss_nd's checks)
        from .nn_functional import class_index_checks
        _smoothing_range(smoothing)
        class_index_checks(input, target, weight, ignore_index)
        # (the default -100 in the target takes the options' path, which ignores it)
        ignored = ignore_index != -100 or bool((target.data == -100).any())
        params = {"ignore_index": ignore_index} if ignored else {}
    if reduction != "mean":
        params["reduction"] = reduction
    if smoothing:
        params["label_smoothing"] = smoothing
    args = (input, target) if weight is None else (input, target, weight)
    return rt.apply(OPS["cross_entropy"], args, params or None)


def _smoothing_range(smoothing: float) -> None:
    if smoothing > 1.0:
        raise GradvizError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{smoothing:g}", hint="label_smoothing=0.1 moves a tenth of each "
                                                  "target's weight to the other classes evenly")


def _weight_size_error(classes: int, weight: Tensor, prefix: str) -> GradvizError:
    return GradvizError(f"{prefix}weight tensor should be defined either for all {classes} "
                        f"classes or no classes but got weight tensor of shape: "
                        f"{list(weight.data.shape)}", hint="one weight per class")


def byte_class_target(rt, target: Tensor, input) -> Tensor:
    """A uint8 target of class indices as the int64 one PyTorch's losses
    make of it (they take Long or Byte); any other target as it is."""
    if (target.data.dtype == np.uint8 and is_tensor(input)
            and target.data.shape != input.data.shape):
        return f_to(rt, target, np.dtype(np.int64))
    return target


def f_to(rt, x, dt):
    if rt.tape.wide_floats and (dt == F32 or dt == F16):
        dt = rt.tape.default_float
    if x.data.dtype == dt:
        return x
    return rt.apply(OPS["to_dtype"], (x,), {"dtype": dt})


def cast_within(rt, x: Tensor, dt: np.dtype) -> Tensor:
    """x in the dtype= a reduction computes in (sum(dtype=), cumsum, norm):
    PyTorch converts inside the op's one node, so the conversion is marked
    to be left out of the graph's edges (next_functions: SumBackward1 ->
    AccumulateGrad, no ToCopyBackward0); softmax's dtype= is a node of its
    own there, f_to."""
    out = f_to(rt, x, dt)
    if out is not x and out.recorded:
        out.meta = {**(out.meta or {}), "cast_within": True}
    return out


def f_clone(rt, x):
    x = _need_tensor(x, "clone")
    out = rt.apply(OPS["clone"], (x,))
    strides.lay_out_like(out, x)       # (PyTorch's preserve_format: x's strides)
    return out


def f_detach(rt, x):
    x = _need_tensor(x, "detach")
    t = Tensor(x.data)                 # shares the value, as PyTorch does
    # and the version counter: x's, which is not its memory's when x came
    # from .data (y.data.detach() += 1 does not count as a write to y)
    return rt.tape.add(t, rt.span, label="detach", detached_from=x.seq,
                       version_key=rt.tape.versions.key(x), **overlap_meta(x))


def m_is_view(rt, x) -> bool:
    """x._is_view(): whether x is a view of another tensor's memory (x._base)."""
    return rt._view_root(x)[1]


def numbered_outputs(outs):
    """The outputs of one multi-output op (unbind, split, a decomposition's
    L and U): each its output_nr, its place among them, and the tape index
    of the first as their group: PyTorch makes one node for them all, so
    L.grad_fn is U.grad_fn (gradfns.GradFn)."""
    group = outs[0].seq if outs else -1
    for i, t in enumerate(outs):
        t.meta = {**(t.meta or {}), "output_nr": i, "output_group": group}
    return outs


def _pieces(rt, x, bounds: list, d: int, grad_fn: str) -> tuple:
    """x cut along dim d at bounds [(start, stop), ...]: views of x, each
    recorded with PyTorch's grad_fn for the call (SplitBackward0, ...)."""
    out = []
    for start, stop in bounds:
        key = (slice(None),) * d + (slice(start, stop),)
        out.append(rt.apply(OPS["index"], (x,), {"index": key, "advanced": False,
                                                 "grad_fn": grad_fn}))
    return tuple(numbered_outputs(out))


# the grad_fns of a split's pieces: by a size, and by a list of sizes
SPLIT_GRAD_FNS = ("SplitBackward0", "SplitWithSizesBackward0")


def f_split(rt, x, split_size_or_sections, dim=0):
    """torch.split / x.split: pieces of split_size (the last smaller), or of
    the sizes listed (SplitWithSizesBackward0)."""
    x = _need_tensor(x, "split", 1, "self")
    return m_split(rt, x, split_size_or_sections, dim)


def m_split(rt, x, split_size, dim=0):
    """x.split: torch.split, whose size PyTorch's Tensor.split (written in
    Python) names split_size (x.split(split_size=2))."""
    split_size = _vf_split_check(x, split_size, dim)
    return split_pieces(rt, x, split_size, dim, SPLIT_GRAD_FNS)


_SPLIT_FORMS = {"split": arg_parser.forms("(Tensor input, int split_size, int dim = 0)",
                                          "(Tensor input, tuple of ints split_size, int dim = 0)"),
                "split_with_sizes": arg_parser.forms(
                    "(Tensor input, tuple of ints split_sizes, int dim = 0)")}
_SPLIT_SEEN: set = set()        # (arg_parser.check's: the calls it has taken)


def _vf_split_check(x, size, dim):
    """The call PyTorch's Tensor.split (written in Python) makes, checked by
    its parser: _VF.split for an int (a one-element tensor as its int),
    _VF.split_with_sizes for anything else (x.split(2.5) is the latter's
    'must be tuple of ints, not float'). The size, as that call takes it."""
    if size.__class__ is Tensor:
        if size.data.size != 1:
            raise GradvizError("split_with_sizes(): argument 'split_sizes' (position 2) must be "
                               "tuple of ints, not Tensor", kind=TYPE,
                               hint="give the sizes as a list: x.split(t.tolist())")
        size = int(size.data.item())
    elif isinstance(size, (tuple, list)):
        size = size.__class__(map(_read_dim_item, size))       # (items by their __index__)
    name = "split" if isinstance(size, int) else "split_with_sizes"
    arg_parser.check(name, _SPLIT_FORMS[name], (x, size, dim), {}, _SPLIT_SEEN)
    if size.__class__ is int:
        int64_size(name, None, 1, size)
    elif isinstance(size, (tuple, list)):
        int64_sizes(name, "split_sizes", size)
    return size


def split_pieces(rt, x, sizes, dim, grad_fns: tuple) -> tuple:
    """x split along dim by one size or by a list of sizes (PyTorch's checks
    of each), its pieces named by grad_fns (by a size, by sizes)."""
    if x.data.ndim == 0:
        raise GradvizError("split expects at least a 1-dimensional tensor", kind=RUNTIME,
                           hint="a 0-d tensor has nothing to split")
    d = _dim(dim, x.data.ndim)
    n = x.data.shape[d]
    if isinstance(sizes, (list, tuple)):
        if any(isinstance(k, int) and k < 0 for k in sizes):      # (checked first)
            raise GradvizError(f"split_with_sizes expects split_sizes have only non-negative "
                               f"entries, but got split_sizes={list(sizes)}", kind=RUNTIME,
                               hint="each piece's size is 0 or more")
        if sum(sizes) != n or any(isinstance(k, bool) or not isinstance(k, int)
                                  for k in sizes):
            raise GradvizError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got split_sizes="
                               f"{list(sizes)}", kind=RUNTIME,
                               hint=f"sizes that add up to {n}")
        edges = np.cumsum([0, *sizes]).tolist()
        return _pieces(rt, x, list(zip(edges[:-1], edges[1:])), d, grad_fns[1])
    if isinstance(sizes, bool) or not isinstance(sizes, int) or sizes < 0 or (sizes == 0 and n):
        raise GradvizError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {n}" if sizes == 0 else
                           f"split expects split_size be non-negative, but got split_size={sizes}",
                           kind=RUNTIME, hint="a positive number of rows per piece")
    bounds = [(i, min(i + sizes, n)) for i in range(0, n, sizes)] if n else [(0, 0)]
    return _pieces(rt, x, bounds, d, grad_fns[0])


def f_chunk(rt, x, chunks, dim=0):
    """torch.chunk / x.chunk: at most `chunks` pieces of ceil(n / chunks), as
    PyTorch's (a split: SplitBackward0)."""
    x = _need_tensor(x, "chunk", 1, "self")
    return split_pieces(rt, x, chunk_size(x, chunks, dim), dim, SPLIT_GRAD_FNS)


def chunk_size(x, chunks, dim) -> int:
    """The size of chunk's pieces, ceil(n / chunks) (PyTorch's checks)."""
    if isinstance(chunks, bool) or not isinstance(chunks, int) or chunks <= 0:
        raise GradvizError(f"chunk expects `chunks` to be greater than 0, got: {chunks}",
                           kind=RUNTIME, hint="the number of pieces: x.chunk(2)")
    if x.data.ndim == 0:
        raise GradvizError("chunk expects at least a 1-dimensional tensor", kind=RUNTIME,
                           hint="a 0-d tensor has nothing to split")
    n = x.data.shape[_dim(dim, x.data.ndim)]
    return -(-n // chunks)


def f_unbind(rt, x, dim=0):
    """torch.unbind / x.unbind: the slices along dim, UnbindBackward0 each."""
    x = _need_tensor(x, "unbind", 1, "self")
    if x.data.ndim == 0:
        raise GradvizError("Dimension specified as 0 but tensor has no dimensions",
                           kind=INDEX, hint="a 0-d tensor has no rows")
    d = _dim(dim, x.data.ndim)
    return tuple(numbered_outputs([
        rt.apply(OPS["index"], (x,), {"index": (slice(None),) * d + (i,), "advanced": False,
                                      "grad_fn": "UnbindBackward0"})
        for i in range(x.data.shape[d])]))


def m_detach_(rt, x):
    """x.detach_(): x becomes what x.detach() is, for every holder of x (old
    tutorials' h.detach_() between an RNN's batches). A view cannot be:
    PyTorch's error."""
    from .tensor import is_view
    if x.recorded and is_view(x):
        raise GradvizError("Can't detach views in-place. Use detach() instead. If you are using "
                           "DistributedDataParallel (DDP) for training, and gradient_as_bucket_"
                           "view is set as True, gradients are views of DDP buckets, and hence "
                           "detach_() cannot be called on these gradients. To fix this error, "
                           "please refer to the Optimizer.zero_grad() function in torch/optim/"
                           "optimizer.py as the solution.", kind=RUNTIME,
                           hint="write x = x.detach() (a new tensor) instead")
    if not x.recorded and not x.requires_grad:
        return x                         # nothing to cut
    new = f_detach(rt, x)
    rt._rebind(x, new)
    return new


def overlap_meta(t) -> dict:
    """The meta that says t repeats memory (an expanded gradient from
    grad(), see f_grad), for a tensor that shares t's memory."""
    return {"overlapping": True} if t.meta is not None and t.meta.get("overlapping") else {}


def f_is_floating_point(rt, x):
    return _need_tensor(x, "is_floating_point").data.dtype.kind == "f"


def f_numel(rt, x):
    return int(_need_tensor(x, "numel").data.size)


def reverse_call(call: str):
    """For the functions that run a backward() or autograd.grad() call: an
    error the call raises is logged (Tape.log_failed_call) with the tensors
    it was called on, the function's first argument, and raised on."""
    def decorate(fn):
        # the roots by position or by keyword (autograd.grad(outputs=y, inputs=x))
        first = list(inspect.signature(fn).parameters)[1]

        @functools.wraps(fn)
        def logged(rt, *args, **kwargs):
            try:
                return fn(rt, *args, **kwargs)
            except GradvizError as exc:
                roots = args[0] if args else kwargs.get(first)
                rt.tape.log_failed_call(exc, call, roots, rt.line)
                raise
            except TypeError as exc:
                if exc.__traceback__.tb_next is not None:
                    raise                 # (from deeper: a bug, not the program's)
                # the arguments do not fit fn: the caller's error, in its words
                # (as the interpreter says it for a function called directly;
                # x.backward is Tensor.backward, a method PyTorch writes in Python)
                from .interpreter import _argument_error
                name = fn.__name__.removeprefix("f_")
                if name.startswith("m_"):
                    name = "Tensor." + name.removeprefix("m_")
                raise _argument_error(name, exc, fn=fn) from None
        return logged
    return decorate


def unused_input_error(k: int) -> GradvizError:
    """autograd.grad's error for input k, which no gradient reached."""
    return GradvizError(
        f"The differentiated Tensor at index {k} appears to not have been used in the graph. "
        "Set allow_unused=True if this is the desired behavior.",
        hint="no gradient reaches this input from the outputs (it is not used, or only where "
             "its gradient is undefined); allow_unused=True gives None for it")


def _grad_outputs(rt, grad_outputs, n: int) -> list:
    """grad_outputs as autograd.grad takes it: None, a tensor, or any
    iterable of tensors and Nones (one per output; PyTorch's tuple() of it,
    so a string is its characters, which _make_grads then refuses)."""
    if grad_outputs is None:
        return [None] * n
    if is_tensor(grad_outputs):
        return [grad_outputs]
    return list(rt._items(grad_outputs, rt.span))


def _as_sequence(rt, v) -> list:
    """autograd.grad's outputs or inputs: a tensor alone, else tuple(v)."""
    return [v] if is_tensor(v) else list(rt._items(v, rt.span))


def _make_grads(rt, outs, gos, is_grads_batched) -> bool:
    """PyTorch's _make_grads: each output's cotangent checked in turn (a
    tensor of the output's shape, or None for an output of one element),
    before the engine reads its flags or asks that the outputs require grad.
    Returns is_grads_batched as a bool, tested where PyTorch tests it."""
    batched = None
    for k, (out, g) in enumerate(zip(outs, gos)):
        if not is_tensor(out):
            raise GradvizError("Expected output to be a torch.Tensor", kind="AssertionError",
                               hint="autograd.grad's outputs must be tensors")
        if is_tensor(g):
            if batched is None:
                batched = rt.truth(is_grads_batched)
            if not batched:            # (a batch's shapes: checked by batched_grad)
                autodiff.check_cotangent(out, g, k)
        elif g is not None:
            raise GradvizError(
                f"gradients can be either Tensors or None, but got {rt.type_name(g)}",
                kind=TYPE, hint="a number as a cotangent must be a tensor: torch.tensor(2.0)")
        else:
            autodiff.check_cotangent(out, None, k)
    return rt.truth(is_grads_batched) if batched is None else batched


@reverse_call("grad")
def engine_flags(rt, retain_graph, create_graph, *more) -> tuple:
    """backward's and autograd.grad's retain_graph, create_graph (and
    allow_unused) as bools, as PyTorch's autograd engine takes them: each
    an unsigned char, through __index__ (a float or a tensor of floats is
    Python's TypeError, 256 its OverflowError). retain_graph None stays None
    (it defaults to create_graph, which is checked in its place)."""
    def flag(v):
        if v.__class__ is bool:
            return v
        if v.__class__ is Tensor:
            if v.data.size != 1 or v.data.dtype.kind not in "iub":
                raise GradvizError("only integer tensors of a single element can be converted "
                                   "to an index", kind=TYPE, hint=_FLAG_HINT)
            v = int(v.data.reshape(()))
        if v.__class__ is not int:
            raise GradvizError(f"'{rt.type_name(v)}' object cannot be interpreted as an integer",
                               kind=TYPE, hint=_FLAG_HINT)
        if not 0 <= v <= 255:
            raise GradvizError("unsigned byte integer is "
                               + ("less than minimum" if v < 0 else "greater than maximum"),
                               kind="OverflowError", hint=_FLAG_HINT)
        return bool(v)
    return (None if retain_graph is None else flag(retain_graph), flag(create_graph),
            *map(flag, more))


_FLAG_HINT = "retain_graph=, create_graph= and allow_unused= take True or False"


def f_grad(rt, outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
           only_inputs=True, allow_unused=None, is_grads_batched=False,
           materialize_grads=False):
    """torch.autograd.grad: gradients of outputs w.r.t. inputs, as a tuple
    (only_inputs: deprecated and ignored, as in PyTorch)."""
    # (PyTorch's Python tests these as conditions: a tensor of several values is ambiguous)
    materialize_grads = rt.truth(materialize_grads)
    if materialize_grads and allow_unused is False:
        raise GradvizError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, "
            "but got: allow_unused=False.", kind=VALUE,
            hint="materialize_grads=True already gives zeros for the unused inputs; "
                 "drop allow_unused=False")
    if allow_unused is None:
        allow_unused = bool(materialize_grads)
    outs = _as_sequence(rt, outputs)
    ins = list(inputs.values()) if inputs.__class__ is dict else _as_sequence(rt, inputs)
    if not ins:
        raise GradvizError("`inputs` argument to `grad()` cannot be empty.",
                           hint="name the tensors to differentiate with respect to")
    gos = _grad_outputs(rt, grad_outputs, len(outs))
    # (PyTorch checks the cotangents before its engine reads the flags)
    batched = _make_grads(rt, outs, gos, is_grads_batched)
    if retain_graph is None:
        retain_graph = create_graph
    retain_graph, create_graph, allow_unused = engine_flags(rt, retain_graph, create_graph,
                                                            allow_unused)
    if batched:
        from .batched_grad import batched_grad
        result = batched_grad(rt, outs, ins, gos, retain_graph, create_graph, allow_unused)
    elif create_graph:
        result = rt.higher_order_grad(outs, ins, gos, retain_graph, allow_unused)
    else:
        result = tuple(g if g is None else _grad_tensor(rt, g)
                       for g in grad_arrays(rt, outs, ins, gos, retain_graph, allow_unused))
    if materialize_grads:
        # PyTorch: zeros_like(input, requires_grad=create_graph), a new leaf
        result = tuple(_like("zeros_like", 0)(rt, t, requires_grad=bool(create_graph))
                       if g is None else g for g, t in zip(result, ins))
    if inputs.__class__ is dict:        # (PyTorch gives a dict of inputs its gradients by key)
        return dict(zip(inputs, result))
    return result


def grad_arrays(rt, outs, ins, gos, retain_graph, allow_unused) -> list:
    """One autograd.grad backward pass without create_graph: each input's
    gradient as an array, or None where none reached it."""
    for t in outs:
        _need_tensor(t, "grad")
    seeds = [autodiff.seed_gradient(o, g, i)[0] for i, (o, g) in enumerate(zip(outs, gos))]
    check_differentiated(ins)
    keep = bool(retain_graph) if retain_graph is not None else False
    if rt.on_backward is not None:
        rt.on_backward(rt, "grad", outs, seeds, ins)
    grads, steps, pruned, order = autodiff.run_backward(outs, seeds, keep, accumulate=False,
                                                        inputs=ins, versions=rt.tape.versions,
                                                        hooks=rt.hook_runners(False))
    result = []
    for k, t in enumerate(ins):
        g = grads.get(t)
        if g is None and not allow_unused:
            raise unused_input_error(k)
        result.append(g)
    rt.log_pass("grad", outs, seeds, keep, steps, pruned, order)
    return result


def check_differentiated(ins) -> None:
    """autograd.grad's check of its inputs, which PyTorch makes after its
    outputs' (an output that does not require grad is that error first)."""
    for t in ins:
        if t.__class__ is not Tensor:
            raise GradvizError("all inputs have to be Tensors or GradientEdges, but got "
                               f"{arg_type_name(t)}",
                               hint="differentiate with respect to tensors only")
    for t in ins:
        if not t.requires_grad:
            raise GradvizError("One of the differentiated Tensors does not require grad")


def _grad_tensor(rt, g) -> Tensor:
    """A gradient autograd.grad returns, as a tensor of the program."""
    # a gradient that is a broadcast view (sum's backward, passed on
    # unchanged) repeats memory, as PyTorch's expanded one does: an
    # in-place op on it is refused (_augassign)
    g = np.asarray(g)
    repeats = any(s == 0 and n > 1 for s, n in zip(g.strides, g.shape))
    t = rt.tape.add(Tensor(np.array(g, copy=True)), rt.span, label="grad")
    if repeats:
        t.meta["overlapping"] = True
    return t


def f_print(rt, *args, sep=" ", end="\n"):
    rt.print(args, sep, end)
    return None


def f_len(rt, x):
    if is_tensor(x):
        if x.data.ndim == 0:
            raise GradvizError("len() of a 0-d tensor", kind=TYPE)
        return x.data.shape[0]
    if isinstance(x, (list, tuple, str, range, dict, set, frozenset)) or x.__class__ in _SIZED:
        return len(x)
    if x.__class__ is NumpyArray:
        if getattr(x.array, "ndim", 0) == 0:     # (a numpy scalar, a dtype)
            raise GradvizError("len() of unsized object", kind=TYPE,
                               hint="a numpy number has no length: a.size counts an array's "
                                    "elements")
        return len(x.array)
    if x.__class__.__name__ in ("Sequential", "ModuleList", "ModuleDict"):   # (modules imports this)
        return len(x.items)
    if x.__class__ in DATA_SIZED:
        return data_size(rt, x)
    if x.__class__.__name__ == "Instance":        # the program's class's __len__
        from .classes import call_method, method_of
        if method_of(x, "__len__") is not None:
            n = call_method(rt, x, "__len__", [])
            # Python's len() checks what __len__ gives (a dataset's length feeds samplers)
            if not isinstance(n, int):
                raise GradvizError(f"'{rt.type_name(n)}' object cannot be interpreted as an "
                                   "integer", kind=TYPE, hint="__len__ must return an int")
            if n < 0:
                raise GradvizError("__len__() should return >= 0", kind=VALUE,
                                   hint="__len__ must return a count: 0 or more")
            return int(n)
        raise GradvizError(f"object of type '{x.cls.name}' has no len()", kind=TYPE,
                           hint="define __len__(self) in its class")
    raise GradvizError(f"object of type '{rt.type_name(x)}' has no len()", kind=TYPE,
                       hint="len() counts the items of a list, tuple, dict, string, range, "
                            "tensor (its first dimension) or dataset")


def f_str(rt, v=""):
    return rt.str_of(v)


def f_repr(rt, v):
    return rt.repr_of(v)


def f_ascii(rt, v):
    """Python's ascii(v): repr(v), its other than ASCII characters escaped."""
    return rt.repr_of(v).encode("ascii", "backslashreplace").decode("ascii")


def f_format(rt, v, spec=""):
    """Python's format(v, spec): what the field {v:spec} of an f-string gives
    (a 0-d tensor formats its number, another tensor takes no spec)."""
    from .fstrings import format_field
    if not isinstance(spec, str):
        raise GradvizError(f"format() argument 2 must be str, not {arg_type_name(spec)}",
                           kind=TYPE, hint='the spec is a string, as in format(x, ".3f")')
    return format_field(v, None, spec, rt.str_of, rt.repr_of, is_tensor)


def f_round(rt, number, ndigits=None):
    """Python's round() of a number (half to even); not of a tensor."""
    if is_tensor(number):
        raise GradvizError("type Tensor doesn't define __round__ method", kind=TYPE,
                           hint="round its number: round(x.item(), 4), or x.round() "
                                "for a tensor")
    if number.__class__ is NumpyArray:       # numpy's __round__ (a numpy scalar's, an array's)
        from .numpy_arrays import python_round
        return python_round(rt, number, ndigits)
    if not isinstance(number, (int, float)):
        raise GradvizError(f"type {rt.type_name(number)} doesn't define __round__ method",
                           kind=TYPE,
                           hint="round() takes a number")
    if not (ndigits is None or isinstance(ndigits, int)):
        raise GradvizError(f"'{rt.type_name(ndigits)}' object cannot be interpreted as an "
                           "integer", kind=TYPE, hint="round(x, 2): the digits are an int")
    try:
        return round(number) if ndigits is None else round(number, ndigits)
    except (ValueError, OverflowError) as exc:      # round(nan), round(inf)
        raise GradvizError(str(exc), kind=VALUE if isinstance(exc, ValueError) else RUNTIME,
                           hint="NaN and inf have no nearest integer; round(x, 2) keeps a "
                                "float") from None


NUMBERING_HINT = "number every field ({0} {1}) or none ({} {})"


def str_format(rt, fmt: str, *args, **kwargs) -> str:
    """fmt.format(*args, **kwargs), as Python's str.format, for the fields
    {}, {0} and {name} (with !conversion and :spec, which may hold fields);
    {0.attr} and {0[i]} are not supported. Values are formatted as in an
    f-string (fstrings.format_field)."""
    from .fstrings import format_field
    auto = [0, False]        # the next automatic index; whether a field was numbered

    def field(name: str):
        if name == "":
            if auto[1]:
                raise GradvizError("cannot switch from manual field specification to automatic "
                                   "field numbering", kind=VALUE, hint=NUMBERING_HINT)
            index = auto[0]
            auto[0] += 1
        elif name.isdigit():
            if auto[0]:
                raise GradvizError("cannot switch from automatic field numbering to manual "
                                   "field specification", kind=VALUE, hint=NUMBERING_HINT)
            auto[1] = True
            index = int(name)
        elif name.isidentifier():
            if name not in kwargs:
                raise GradvizError(repr(name), kind=KEY,
                                   hint=f"pass it by name: .format({name}=...)")
            return kwargs[name]
        else:
            raise GradvizError(f"the format field {{{name}}} is not supported", kind=VALUE,
                               hint="name an argument by position {0} or by name {x}; "
                                    "attributes and items are not supported")
        if index >= len(args):
            raise GradvizError(f"Replacement index {index} out of range for positional args "
                               "tuple", kind=INDEX, hint=f"the string has a field {{{index}}}, "
                               f"but .format() got {len(args)} positional argument(s)")
        return args[index]

    def render(text: str, depth: int) -> str:
        import string                     # (here: a plain run formats no string)
        out = []
        try:
            parts = list(string.Formatter().parse(text))
        except ValueError as exc:         # "Single '}' encountered in format string", ...
            raise GradvizError(str(exc), kind=VALUE, hint="write {{ and }} for literal "
                               "braces") from None
        for literal, name, spec, conversion in parts:
            out.append(literal)
            if name is None:
                continue
            if conversion not in (None, "r", "s", "a"):
                raise GradvizError(f"Unknown conversion specifier {conversion}", kind=VALUE,
                                   hint="!r shows repr(), !s str() and !a ascii()")
            value = field(name)
            if spec and "{" in spec:
                if depth:
                    raise GradvizError("Max string recursion exceeded", kind=VALUE)
                spec = render(spec, depth + 1)
            out.append(format_field(value, conversion, spec, rt.str_of, rt.repr_of, is_tensor))
        return "".join(out)

    return render(fmt, 0)


# PyTorch's warning for float(x) of an x that requires grad (once a process)
TO_SCALAR_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to "
                     "unexpected behavior.\nConsider using tensor.detach() first.")


def _py_number(kind):
    def f(rt, x=0):          # (int() is 0 and float() 0.0: a defaultdict(int)'s value)
        if is_tensor(x):
            if x.data.size != 1:
                raise GradvizError("only one element tensors can be converted to Python "
                                   "scalars", kind=VALUE)
            if kind is float and x.requires_grad and not rt.tape.warned_to_scalar:
                rt.tape.warned_to_scalar = True
                rt.log_event("user_warning", x, message=TO_SCALAR_WARNING)
            x = x.data.item()
        if x.__class__ is NumpyArray:           # float(a.sum())
            from .numpy_arrays import number
            return number(kind, x)
        if isinstance(x, (int, float)):
            try:
                return kind(x)
            except ValueError as exc:      # int(float('nan')) (int(inf): the range error)
                raise GradvizError(str(exc), kind=VALUE,
                                   hint="NaN has no int: test math.isnan(v) first") from None
        if isinstance(x, str):          # float('nan'), float('inf'), int('3'): as Python
            try:
                return kind(x)
            except ValueError as exc:
                raise GradvizError(str(exc), kind=VALUE, hint=f"{kind.__name__}() reads "
                                   "a number written as text, like '2.5', 'nan' or 'inf'"
                                   if kind is float else "int() reads digits, like '7'") from None
        from .fstrings import _type_name
        accepts = "a string or a real number" if kind is float else \
            "a string, a bytes-like object or a real number"
        raise GradvizError(f"{kind.__name__}() argument must be {accepts}, not "
                           f"'{_type_name(x)}'", kind=TYPE,
                           hint="it is None: " + NONE_WHY if x is None else None)
    return f


_to_float = _py_number(float)


def _math(name: str, f):
    """math.NAME(x, ...) on numbers (a one-element tensor is its item, as
    Python's math takes it): Python's own result and errors."""
    def call(rt, *args):
        xs = [a if isinstance(a, (int, float)) and not isinstance(a, bool) else
              _to_float(rt, a) for a in args]
        try:
            return f(*xs)
        except ValueError as exc:           # math domain error
            raise GradvizError(str(exc), kind=VALUE, hint=f"math.{name} is defined for "
                               "other numbers (sqrt and log of positive ones, ...)") from None
        except OverflowError as exc:        # math range error
            raise GradvizError(str(exc), kind="OverflowError",
                               hint="the result is beyond float's range (about 1.8e308)") \
                from None
    call.__name__ = name
    return call


def _python_builtin(name: str, f, takes: str):
    """A builtin of Python's on plain values (hex, ord, divmod, math.gcd),
    with Python's errors. takes: "int" (a one-element integer tensor counts
    as its __index__, as Python's hex(t) takes it), "str" (ord) or
    "number" (divmod: a tensor is Python's TypeError)."""
    from .fstrings import _type_name

    def call(rt, *args):
        xs = []
        for a in args:
            if takes == "int" and is_tensor(a):
                a = index_of_tensor(a)
            ok = (isinstance(a, int) if takes == "int" else isinstance(a, str) if takes == "str"
                  else isinstance(a, (int, float)))
            if not ok:
                if takes == "int":
                    message = f"'{_type_name(a)}' object cannot be interpreted as an integer"
                elif takes == "str":
                    message = f"{name}() expected string of length 1, but {_type_name(a)} found"
                else:
                    message = (f"unsupported operand type(s) for {name}(): " + " and ".join(
                        f"'{_type_name(v)}'" for v in args))
                raise GradvizError(message, kind=TYPE,
                                   hint=f"{name}() takes " + {"int": "whole numbers",
                                                              "str": "one character",
                                                              "number": "numbers"}[takes])
            xs.append(a)
        try:
            return f(*xs)
        except (TypeError, ValueError, ZeroDivisionError, OverflowError) as exc:
            raise GradvizError(str(exc), kind=type(exc).__name__,
                               hint=f"check {name}()'s arguments") from None
    call.__name__ = name
    return call


def f_fsum(rt, *args):
    """math.fsum(items): the exactly rounded sum of numbers (one-element
    tensors by their items, as Python's float() takes them); the tutorials'
    weighted mean of batch losses."""
    if len(args) != 1:
        raise GradvizError(f"math.fsum() takes exactly one argument ({len(args)} given)",
                           kind=TYPE)
    numbers = []
    for x in _walkable(rt, args[0], "math.fsum"):
        if not (isinstance(x, (int, float)) or is_tensor(x)):
            from .fstrings import _type_name
            raise GradvizError(f"must be real number, not {_type_name(x)}", kind=TYPE,
                               hint="math.fsum adds numbers (or one-element tensors)")
        numbers.append(_to_float(rt, x) if is_tensor(x) else x)
    return math.fsum(numbers)


# Python's math module, for programs that import it (math.pi, math.sqrt(2))
MATH_FUNCTIONS = {name: _math(name, getattr(math, name)) for name in (
    "sqrt", "exp", "log", "log2", "log10", "sin", "cos", "tan", "tanh", "floor", "ceil",
    "fabs", "isnan", "isinf", "isfinite", "pow", "atan", "atan2", "asin", "acos",
    "log1p", "expm1", "sinh", "cosh", "asinh", "acosh", "atanh", "hypot", "degrees",
    "radians", "trunc", "copysign", "erf", "erfc", "gamma", "lgamma")}
# math's functions of whole numbers: as Python's (factorial(2.0) is its TypeError)
MATH_FUNCTIONS.update({name: _python_builtin(f"math.{name}", getattr(math, name), "int")
                       for name in ("factorial", "gcd", "comb", "perm", "isqrt")})


def f_math_isclose(rt, a, b, rel_tol=1e-09, abs_tol=0.0):
    """math.isclose(a, b, *, rel_tol=1e-09, abs_tol=0.0)."""
    xs = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else _to_float(rt, v)
          for v in (a, b, rel_tol, abs_tol)]
    try:
        return math.isclose(xs[0], xs[1], rel_tol=xs[2], abs_tol=xs[3])
    except ValueError as exc:
        raise GradvizError(str(exc), kind=VALUE, hint="tolerances are 0 or more") from None


MATH_FUNCTIONS["isclose"] = f_math_isclose
MATH_FUNCTIONS["fsum"] = f_fsum
MATH_CONSTANTS = {"pi": math.pi, "e": math.e, "tau": math.tau, "inf": math.inf,
                  "nan": math.nan}


class NoGrad:
    """A grad-mode context manager: no_grad() (gradients off in its block),
    enable_grad() (on), set_grad_enabled(mode) (which also sets the mode
    when it is made, as PyTorch's does: called alone, it sets it for the
    rest of the program)."""

    __slots__ = ("enabled", "name", "prev")

    def __init__(self, enabled: bool = False, name: str = "no_grad", prev=None):
        self.enabled, self.name = enabled, name
        self.prev = prev        # set_grad_enabled's: the mode before it set its own


def _context_or_decorated(rt, ctx: NoGrad, args: tuple, orig_func, owner: str):
    """torch.no_grad() and enable_grad() are the grad-mode context; given a
    function (torch.no_grad(f), which `@torch.no_grad` without parentheses
    writes) they are that function decorated with it, as PyTorch's
    __new__(cls, orig_func=None) makes them. owner: the class whose
    __new__ PyTorch's TypeError names."""
    if args and orig_func is not _NO_FUNC or len(args) > 1:
        raise GradvizError(f"{owner}.__new__() takes from 1 to 2 positional arguments but "
                           f"{len(args) + 1 + (orig_func is not _NO_FUNC)} were given", kind=TYPE)
    if args:
        orig_func = args[0]
    if orig_func is None and ctx.name == "no_grad":   # (no_grad's own __init__ takes nothing)
        raise GradvizError(f"{ctx.name}.__init__() " + (
            "takes 1 positional argument but 2 were given" if args else
            "got an unexpected keyword argument 'orig_func'"), kind=TYPE)
    if orig_func is _NO_FUNC or orig_func is None:
        return ctx
    return rt.grad_mode_decorated(ctx, orig_func)


_NO_FUNC = object()     # (no argument: None is one, which PyTorch refuses)


def f_no_grad(rt, *args, orig_func=_NO_FUNC):
    return _context_or_decorated(rt, NoGrad(), args, orig_func, "_NoParamDecoratorContextManager")


def f_inference_mode(rt, mode=True):
    """inference_mode(): no_grad, and the tensors made in it are inference
    tensors (Tensor.is_inference()), which PyTorch refuses to save for
    backward or to write in place outside it (Tape.check_inference_saved,
    Interpreter.inference_write_check). Given other than a bool, it is that
    value decorated with inference_mode() (PyTorch's __new__ reads its
    argument so: @torch.inference_mode without parentheses)."""
    if not isinstance(mode, bool):
        return rt.grad_mode_decorated(NoGrad(False, "inference_mode"), mode)
    return NoGrad(not mode, "inference_mode")


def f_is_inference_mode_enabled(rt):
    return rt.tape.inference_mode


def f_enable_grad(rt, *args, orig_func=_NO_FUNC):
    return _context_or_decorated(rt, NoGrad(True, "enable_grad"), args, orig_func,
                                 "_NoParamDecoratorContextManager")


def f_set_grad_enabled(rt, mode):
    if not isinstance(mode, bool):
        raise GradvizError(f"set_grad_enabled(): argument 'mode' must be bool, not "
                           f"{type(mode).__name__}", kind=TYPE,
                           hint="write torch.set_grad_enabled(False)")
    prev, rt.tape.grad_enabled = rt.tape.grad_enabled, mode
    return NoGrad(mode, "set_grad_enabled", prev)


def f_is_grad_enabled(rt):
    return rt.tape.grad_enabled


def f_equal(rt, a, b):
    """torch.equal: the same shape and the same elements (a Python bool)."""
    a, b = _need_tensor(a, "equal"), _need_tensor(b, "equal", 2)
    return a.data.shape == b.data.shape and bool(np.array_equal(a.data, b.data))


def _float_arg(v, fname: str, name: str) -> float:
    """A float argument as PyTorch takes it: a number, or a one-element tensor."""
    if is_tensor(v) and v.data.size == 1:
        v = v.data.item()
    if not isinstance(v, (int, float)):
        raise GradvizError(f"{fname}(): argument '{name}' must be float, not "
                           f"{type(v).__name__}", kind=TYPE)
    return float(v)


def f_allclose(rt, a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """torch.allclose: |a - b| <= atol + rtol * |b| everywhere (a Python bool),
    for two tensors of one dtype whose shapes broadcast."""
    a, b = _need_tensor(a, "allclose"), _need_tensor(b, "allclose", 2)
    if a.data.dtype != b.data.dtype:
        raise GradvizError(f"{type_word(a.data.dtype)} did not match "
                           f"{type_word(b.data.dtype)}", kind=RUNTIME,
                           hint="convert one of them first, e.g. b.float()")
    broadcast_shape(a.data.shape, b.data.shape)      # PyTorch's error for sizes that differ
    rtol, atol = _float_arg(rtol, "allclose", "rtol"), _float_arg(atol, "allclose", "atol")
    if not isinstance(equal_nan, bool):
        raise GradvizError(f"allclose(): argument 'equal_nan' must be bool, not "
                           f"{type(equal_nan).__name__}", kind=TYPE)
    return bool(np.allclose(a.data, b.data, rtol=rtol, atol=atol, equal_nan=equal_nan))


FUNCTIONS = {
    "tensor": f_tensor, "from_numpy": f_from_numpy, "as_tensor": f_as_tensor,
    "asarray": f_asarray,
    "randint": f_randint, "randperm": f_randperm,
    "arange": f_arange, "ones": _filled("ones", 1), "zeros": _filled("zeros", 0),
    # (PyTorch's empty() holds whatever the memory held: zeros here, the same every run)
    "empty": _filled("empty", 0),
    "full": f_full, "eye": f_eye, "linspace": f_linspace, "ones_like": _like("ones_like", 1),
    "zeros_like": _like("zeros_like", 0), "full_like": f_full_like, "manual_seed": f_manual_seed,
    "initial_seed": f_initial_seed, "set_default_device": f_set_default_device,
    "get_default_device": f_get_default_device,
    "set_printoptions": f_set_printoptions,
    "rand": _random("rand", CPUGenerator.rand), "randn": _random("randn", CPUGenerator.normal),
    "normal": f_normal,
    "rand_like": _random_like("rand_like", CPUGenerator.rand),
    "randn_like": _random_like("randn_like", CPUGenerator.normal),
    "cumsum": f_cumsum, "argmax": _arg_extreme("argmax"), "argmin": _arg_extreme("argmin"),
    "add": _with_alpha("add"), "sub": _with_alpha("sub"), "mul": _binary("mul"), "div": _binary("div"),
    # (by the operator: `2 % x` is PyTorch's other remainder, with no gradient)
    "remainder": lambda rt, a, b: _binary_op(rt, "%", a, b, "remainder"),
    "floor_divide": lambda rt, a, b: _binary_op(rt, "//", a, b, "floor_divide"),
    "pow": f_pow, "maximum": _tensors_binary("maximum"), "minimum": _tensors_binary("minimum"),
    **{name: _binary(name) for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    "all": _reduction("all"), "any": _reduction("any"), "equal": f_equal,
    "allclose": f_allclose,
    "where": f_where, "clamp": f_clamp, "clip": f_clamp, "nonzero": _nonzero_function("nonzero"),
    "sum": _reduction("sum"), "mean": _reduction("mean"), "prod": _reduction("prod"),
    "max": _extreme("max"), "min": _extreme("min"), "norm": f_torch_norm,
    "std": _std_var("std"), "var": _std_var("var"),
    "dot": _matmul_form("dot"), "mv": _matmul_form("mv"), "mm": _matmul_form("mm"),
    "matmul": _matmul_form("matmul"), "outer": _matmul_form("outer"),
    "reshape": f_reshape, "transpose": f_transpose, "unsqueeze": f_unsqueeze,
    "squeeze": f_squeeze, "flatten": f_flatten, "unflatten": f_unflatten,
    "cat": _seq_op("cat"), "stack": _seq_op("stack"),
    "softmax": _softmax_like("softmax"), "log_softmax": _softmax_like("log_softmax"),
    "mse_loss": f_mse_loss, "cross_entropy": f_cross_entropy,
    "binary_cross_entropy": _bce("binary_cross_entropy"),
    "binary_cross_entropy_with_logits": _bce("binary_cross_entropy_with_logits"), "t": f_t,
    "clone": f_clone, "detach": f_detach, "numel": f_numel, "grad": f_grad,
    "split": f_split, "chunk": f_chunk, "unbind": f_unbind,
    "no_grad": f_no_grad, "enable_grad": f_enable_grad, "set_grad_enabled": f_set_grad_enabled,
    "inference_mode": f_inference_mode,
    "is_grad_enabled": f_is_grad_enabled, "is_inference_mode_enabled": f_is_inference_mode_enabled, "isclose": f_isclose,
    "is_tensor": lambda rt, v: is_tensor(v),
    "get_default_dtype": lambda rt: DTYPE_OBJECTS[rt.tape.default_dtype.name],
    "set_default_dtype": f_set_default_dtype,
    "is_floating_point": f_is_floating_point, **VALUE_TESTS,
}
for _name in ("exp", "log", "sqrt", "abs", "neg", "square", "sin", "cos", "tanh", "sigmoid",
              "relu"):
    FUNCTIONS[_name] = _unary(_name)

# bare names that are Python's, not torch's
def index_of_tensor(t) -> int:
    """PyTorch's Tensor.__index__, which Python calls where it wants a whole
    number (classes[labels[j]], range(n), a list's slice bounds): a
    one-element integer or bool tensor's value; its TypeError else."""
    if t.data.size != 1 or t.data.dtype.kind not in "iub":
        raise GradvizError("only integer tensors of a single element can be converted to an "
                           "index", kind=TYPE,
                           hint="an index must be a whole number: of a float tensor, "
                                "int(t.item()) or t.long()")
    return int(t.data.item())


def f_range(rt, *args):
    """Python's range(), for for loops; a one-element integer tensor counts as
    its int (PyTorch's tensors have __index__)."""
    if not 1 <= len(args) <= 3:
        raise GradvizError(f"range expected 1 to 3 arguments, got {len(args)}", kind=TYPE)
    ints = []
    for a in args:
        if is_tensor(a):
            a = index_of_tensor(a)
        elif a.__class__ is NumpyArray:      # range(np.int64(3)): numpy's __index__
            from .numpy_arrays import index_value
            a = index_value(a)
        if not isinstance(a, int):
            raise GradvizError(f"'{type(a).__name__}' object "
                               "cannot be interpreted as an integer", kind=TYPE,
                               hint="range() takes whole numbers: range(3), range(1, 10, 2)")
        ints.append(a)
    if len(ints) == 3 and ints[2] == 0:
        raise GradvizError("range() arg 3 must not be zero", kind=VALUE)
    return range(*ints)


# torch's iterables a for loop walks (modules.py, data.py: they import this module)
_WALKED_BY_LOOPS = frozenset(("Sequential", "ModuleList", "DataLoader", "TensorDataset",
                              "ModuleDict", "numpy.ndarray"))


def _walkable(rt, x, what: str):
    """What enumerate() and zip() walk: a range, list, tuple or string, or a
    tensor's rows (as a for loop walks them), or a dict's keys (or one of its
    views), or what a program's class's __iter__ gives."""
    from .classes import method_of
    if (is_tensor(x) or x.__class__ in DICTS or x.__class__ in DICT_VIEWS
            or x.__class__ in pymethods.SETS or x.__class__.__name__ in _WALKED_BY_LOOPS or method_of(x, "__iter__") is not None
            or method_of(x, "__getitem__") is not None
            or x.__class__ in DATA_SIZED):
        return rt._items(x, rt.span)
    if isinstance(x, (range, list, tuple, str, ReturnTypes, pycollections.Deque)) \
            or x.__class__ in ITERATORS:
        return x
    raise GradvizError(f"'{type(x).__name__}' object is not iterable", kind=TYPE,
                       hint=f"{what}() walks a range(...), a list, a tuple, a dict, a set, a "
                            "string or a tensor")


def f_enumerate(rt, x, start=0):
    if isinstance(start, bool) or not isinstance(start, int):
        raise GradvizError(f"'{type(start).__name__}' object cannot be interpreted as an integer",
                           kind=TYPE)
    return enumerate(_walkable(rt, x, "enumerate"), start)


def f_zip(rt, *xs, strict=False):
    walked = [_walkable(rt, x, "zip") for x in xs]
    if strict and len(walked) > 1:
        walked = _strict(walked)
    return zip(*walked)


def _strict(walked: list) -> list:
    """zip(..., strict=True)'s iterables: each as it was, but one that ends
    before the first is Python's ValueError there, and so is one that goes
    on when the first has ended (the zip stays Python's own, printed and
    typed as one)."""
    iters = [iter(w) for w in walked]
    first_done = []

    def others_end():
        first_done.append(True)
        for k, it in enumerate(iters[1:], start=2):
            if next(it, _ENDED) is not _ENDED:
                raise _zip_length_error(k, "longer")

    def first():
        yield from iters[0]
        others_end()

    def other(k: int, it):
        yield from it
        if not first_done:
            raise _zip_length_error(k, "shorter")

    return [first(), *(other(k, it) for k, it in enumerate(iters[1:], start=2))]


_ENDED = object()


def _zip_length_error(k: int, how: str) -> GradvizError:
    before = "argument 1" if k == 2 else f"arguments 1-{k - 1}"
    return GradvizError(f"zip() argument {k} is {how} than {before}", kind=VALUE,
                        hint="zip(..., strict=True) walks iterables of one length")


def f_id(rt, x):
    """id(x): one number per object, as in Python (PyTorch shows memory
    addresses; these are made up the same way on every run, so a program's
    output does not change from run to run). A tensor written in place keeps
    its id, as PyTorch's tensor object does, though gradviz records the
    write as a new node: `before = id(X); X += Y; id(X) == before` is True."""
    if x.__class__ is Tensor and x.meta is not None:
        x = x.meta.get("object", x)
    key = id(x)
    if x.__class__ is GradFn and x.node is not None:
        # each read of y.grad_fn makes a GradFn; PyTorch's is one object
        # per tensor (and per leaf for its AccumulateGrad), one for all the
        # outputs of a multi-output op (GradFn.same)
        key, x = x._key(), x.node
    ids = rt.object_ids
    held = ids.get(key)
    if held is None:
        # (the object is kept with its number: Python could reuse its id)
        held = ids[key] = (x, 0x7F3C_2A40_0000 + 0x50 * len(ids))
    return held[1]


def f_hash(rt, *args, **kwargs):
    """Python's hash(): a tensor's is its id, as PyTorch's Tensor.__hash__
    says; an object's is its class's __hash__, or one from its id (an
    object whose class defines __eq__ alone is unhashable, as in Python)."""
    if kwargs:
        raise GradvizError("hash() takes no keyword arguments", kind=TYPE, hint="hash(x)")
    if len(args) != 1:
        raise GradvizError(f"hash() takes exactly one argument ({len(args)} given)",
                           kind=TYPE, hint="hash(x)")
    x = args[0]
    if is_tensor(x):
        return f_id(rt, x)
    pymethods.hashable(x, hint="hash() takes a number, a string, a tensor, an object or a "
                               "tuple of those")
    if x.__class__.__name__ != "Instance":
        return hash(x)
    from .classes import method_of, user_hash     # (which imports this module)
    if method_of(x, "__hash__") is not None:
        return user_hash(rt, x)
    return f_id(rt, x) >> 4        # (object.__hash__ is the id over 16)


def f_slice(rt, *args, **kwargs):
    """Python's slice(stop) / slice(start, stop[, step]): the value x[a:b]
    indexes with (x[slice(1, 3)] is x[1:3])."""
    if kwargs:
        raise GradvizError("slice() takes no keyword arguments", kind=TYPE,
                           hint="slice(start, stop, step)")
    if not 1 <= len(args) <= 3:
        bound, n = ("least", 1) if not args else ("most", 3)
        raise GradvizError(f"slice expected at {bound} {n} argument{'s' if n > 1 else ''}, "
                           f"got {len(args)}", kind=TYPE, hint="slice(start, stop, step)")
    return slice(*args)


def _py_any_all(name: str):
    """Python's any / all (bare: PyTorch code means the builtins by them;
    torch.any, torch.all and x.any() are torch's): each item's truth, as an
    if takes it, a Python bool, stopping at the first that decides. A
    tensor is walked by its rows, as Python iterates one (all of a 2-d
    tensor's rows at once: PyTorch's unbind)."""
    decides = name == "any"

    def f(rt, items):
        for v in _walkable(rt, items, name):
            if rt.truth(v) is decides:
                return decides
        return not decides
    f.__name__ = name
    return f


def f_bool(rt, *args):
    """Python's bool(): a tensor's truth as an if takes it (one element)."""
    if len(args) > 1:
        raise GradvizError(f"bool expected at most 1 argument, got {len(args)}", kind=TYPE)
    if not args:
        return False
    x = args[0]
    return rt.truth(x)       # (a tensor by its one value, an object by its __bool__)


def _py_sequence(kind):
    """Python's list() / tuple(): of a range, list, tuple (a shape too), string,
    zip or enumerate, or a tensor's rows (as a for loop walks them)."""
    def f(rt, *args):
        if len(args) > 1:
            raise GradvizError(f"{kind.__name__} expected at most 1 argument, got {len(args)}",
                               kind=TYPE)
        if not args:
            return kind()
        x = args[0]
        items = x if x.__class__ in ITERATORS or x.__class__ is str else _walkable(rt, x, kind.__name__)
        if items.__class__ in (range, list, tuple, str):
            rt.tape.check_size(len(items), "list")
        out = []
        for v in items:          # within the size limit: list(range(10**10)) is long
            out.append(v)
            if not len(out) & 4095:
                rt.tape.check_size(len(out), "list")
        rt.tape.check_size(len(out), "list")
        return out if kind is list else tuple(out)
    f.__name__ = kind.__name__
    return f


class Generator:
    """A generator of items computed already: what a module's parameters(),
    named_parameters() and children() return, walked once."""

    __slots__ = ("_items",)

    def __init__(self, items: list):
        self._items = iter(items)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._items)


Generator.__name__ = "generator"     # Python's name for its type, which errors and type() show


class _Stepped:
    """What the generators whose items the interpreter computes one by one
    share: the interpreter, the function whose call made it (or None),
    the labels of its own loops' passes, and whether it is running or done."""

    __slots__ = ("rt", "fn", "passes", "running", "done")

    def __init__(self, rt, fn):
        self.rt, self.fn = rt, fn
        self.passes: list = []
        self.running = self.done = False

    def __iter__(self):
        return self


class FunctionGenerator(_Stepped):
    """What a call of a generator function (a def with `yield`) returns: its
    block runs only as items are asked for, up to the next yield, as in
    Python, so prints and errors come in Python's order and a consumer
    that stops early (d2l's `for X, y in data_iter(...): ... break`) runs no
    more of it. The interpreter runs it (Interpreter.resume): `frames` is
    the statement stack where it stopped (None before the first item),
    `local` its names, `passes` the labels of its own loops running,
    `inner` the iterator a `yield from` is walking, `target` what takes the
    value of the yield it stopped at (got = yield v), if anything."""

    __slots__ = ("local", "frames", "inner", "target")

    def __init__(self, rt, fn, local):
        super().__init__(rt, fn)
        self.local = local
        self.frames = self.inner = self.target = None

    def __next__(self):
        return self.rt.resume(self)


class GeneratorExpression(_Stepped):
    """A generator expression's value, `(f(x) for x in xs)`: each item is
    computed when it is asked for (Interpreter.genexp_step), as in Python,
    so a consumer that stops early (any(), next(), a loop's break) computes
    no more of them. `walk` is the Python generator that walks its clauses
    (Interpreter._clauses), `env` the names where it was made (`fn` the
    function whose call made it, or None), `own` its loop names' values
    between items, `passes` its clauses' pass labels; `names` what a lambda
    made in it reads (Interpreter._names_for_functions), None until one is."""

    __slots__ = ("node", "env", "shift", "walk", "own", "names")

    def __init__(self, rt, node, env: dict, fn, shift: int):
        super().__init__(rt, fn)
        self.node, self.env, self.shift = node, env, shift
        self.walk = None
        self.own: dict = {}
        self.names = None

    def __next__(self):
        return self.rt.genexp_step(self)


FunctionGenerator.__name__ = GeneratorExpression.__name__ = "generator"

class MapIterator:
    """map(f, *iterables) and filter(f, iterable): Python's lazy iterators,
    calling the program's f as each item is asked for."""

    __slots__ = ("rt", "fn", "sources", "keep")

    def __init__(self, rt, fn, sources: list, keep: bool):
        self.rt, self.fn, self.sources, self.keep = rt, fn, sources, keep

    def __iter__(self):
        return self

    def __next__(self):
        if not self.keep:                 # map: f of one item of each iterable
            return self.rt.call_value(self.fn, [next(s) for s in self.sources])
        for v in self.sources[0]:         # filter: the next item f (or truth) keeps
            if self.rt.truth(v if self.fn is None else self.rt.call_value(self.fn, [v])):
                return v
        raise StopIteration


def _iterables(rt, xs, what: str) -> list:
    return [iter(x) if x.__class__ is str else iter(_walkable(rt, x, what)) for x in xs]


def f_map(rt, fn, *iterables):
    if not iterables:
        raise GradvizError("map() must have at least two arguments.", kind=TYPE,
                           hint="map(f, xs) applies f to each item of xs")
    it = MapIterator(rt, fn, _iterables(rt, iterables, "map"), False)
    it.__class__ = _MAP
    return it


def f_filter(rt, fn, iterable):
    it = MapIterator(rt, fn, _iterables(rt, [iterable], "filter"), True)
    it.__class__ = _FILTER
    return it


# (two classes, as Python's: type() and print() name them map and filter)
_MAP = type("map", (MapIterator,), {"__slots__": ()})
_FILTER = type("filter", (MapIterator,), {"__slots__": ()})


# the one-pass iterators a program can hold; for loops, list(), tuple(),
# any(), all(), sorted(), zip() and enumerate() walk them as they are
ITERATORS = (zip, enumerate, Generator, FunctionGenerator, GeneratorExpression, LoaderIter,
             _MAP, _FILTER, type(reversed([])), reversed, type(iter(range(0))), type(iter([])),
             type(iter(())), type(iter("")), type(iter("\u00e9")),
             type(reversed({})), type(reversed({}.values())), type(reversed({}.items())),
             type(reversed(OrderedDict())), pymethods.DictWalk, pymethods.SetWalk,
             *pyitertools.CLASSES, SampleWalk, IndexWalk)
# those that compute each item when it is asked for (a for loop labels what
# they make with the pass the item is for)
LAZY_ITERATORS = (FunctionGenerator, GeneratorExpression, LoaderIter, _MAP, _FILTER, SampleWalk,
                  IndexWalk)
# the other values len() measures (a dict's views, a dual tensor's parts)
_SIZED = (*DICT_VIEWS, UnpackedDual, pycollections.Deque, ReturnTypes)
DATA_SIZED = (DataLoader, *INDEXED, *SAMPLERS)


def f_iter(rt, x):
    """Python's iter(): an iterator over a range, list, tuple, string or a
    tensor's rows (a for loop's); an iterator is its own."""
    if x.__class__ in ITERATORS:
        return x
    if x.__class__ is str:
        return iter(x)
    return iter(_walkable(rt, x, "iter"))


def f_next(rt, it, *default):
    """Python's next(it[, default]): the next item of an iterator, e.g. the
    first batch of a generator: X, y = next(iter(data_iter(...)))."""
    if len(default) > 1:
        raise GradvizError(f"next expected at most 2 arguments, got {1 + len(default)}",
                           kind=TYPE)
    if it.__class__ not in ITERATORS:
        raise GradvizError(f"'{rt.type_name(it)}' object is not an iterator", kind=TYPE,
                           hint="next() takes an iterator: next(iter(xs)) is the first "
                                "item of a list, a tuple or a tensor")
    try:
        return next(it)
    except StopIteration as stop:
        if default:
            return default[0]
        raise _stop_error(rt, stop) from None


def _stop_error(rt, stop: StopIteration) -> GradvizError:
    """The StopIteration of an iterator at its end: a generator's `return v`
    is its message, as Python's StopIteration(v) shows it."""
    value = stop.value
    return GradvizError("" if value is None else rt.str_of(value), kind="StopIteration",
                        hint="the iterator has no more items: pass a default, "
                             "next(it, None), or make a new iterator")


def _generator_send(rt, gen, value):
    """gen.send(value): the generator goes on, its yield's value is value
    (got = yield v), and gives its next item."""
    if gen.frames is None and value is not None:
        raise GradvizError("can't send non-None value to a just-started generator",
                           kind=TYPE, hint="start it with next(gen) (or gen.send(None)) "
                                           "first: it runs up to its first yield")
    try:
        return rt.resume(gen, value)
    except StopIteration as stop:
        raise _stop_error(rt, stop) from None


def _generator_close(rt, gen) -> None:
    """gen.close(): the generator stops where it is; it gives no more items."""
    if gen.frames is not None and not gen.done:
        rt.close_generator(gen)
    gen.done = True


# a generator function's generator's methods (gen.send(v), gen.close())
GENERATOR_METHODS = {"send": _generator_send, "close": _generator_close,
                     "__next__": lambda rt, gen: f_next(rt, gen)}


def _attr_name(fname: str, name) -> str:
    if name.__class__ is not str:
        raise GradvizError(f"attribute name must be string, not '{type(name).__name__}'",
                           kind=TYPE, hint=f"{fname}(obj, 'name'): the name as a string")
    return name


_NO_DEFAULT = object()


def f_getattr(rt, obj, name, default=_NO_DEFAULT):
    """Python's getattr(obj, 'name'[, default]): obj.name, or default
    where obj has no such attribute."""
    name = _attr_name("getattr", name)
    try:
        return rt.attribute_of(obj, name)
    except GradvizError as exc:
        if default is _NO_DEFAULT or exc.kind != "AttributeError":
            raise
        return default


def f_hasattr(rt, obj, name):
    missing = object()
    return f_getattr(rt, obj, _attr_name("hasattr", name), missing) is not missing


def f_setattr(rt, obj, name, value):
    rt.set_attribute(obj, _attr_name("setattr", name), value)


def f_callable(rt, v):
    """Python's callable(v): functions, classes, modules' layers, objects
    whose class has __call__."""
    if v.__class__.__name__ == "Instance":
        from .classes import method_of
        return method_of(v, "__call__") is not None or v.cls.kind == "module"
    return v.__class__.__name__ in ("UserFunction", "Function", "BoundMethod", "UnboundMethod",
                                    "PyType", "UserClass", *pytypes.NN_CLASS_NAMES,
                                    "Method", "StaticMethod")


def f_type(rt, *args):
    """Python's type(v): Python's types as the names int, list, ... are bound
    (type(3) is int), PyTorch's as torch.Tensor, torch.Size, torch.dtype."""
    if len(args) != 1:
        raise GradvizError(f"type() takes 1 argument here, got {len(args)}", kind=TYPE,
                           hint="type(v) gives v's type; classes cannot be made")
    from .interpreter import GLOBALS    # (where the builtins are bound: it imports this module)
    return pytypes.type_of(args[0], GLOBALS)


def f_isinstance(rt, v, spec):
    from .interpreter import GLOBALS
    return pytypes.is_instance(v, spec, GLOBALS)


def f_issubclass(rt, cls, spec):
    from .interpreter import GLOBALS
    return pytypes.is_subclass(cls, spec, GLOBALS)


class _ProgramOrder:
    """A sort key compared by the program's own `<` and truth, as Python's
    sort compares tensors: t < u is a bool tensor, true if its one value is
    (of more than one value, PyTorch's 'Boolean value of Tensor ... is
    ambiguous'); and objects, by their class's __lt__ (or Python's
    TypeError, naming their classes)."""

    __slots__ = ("rt", "v")

    def __init__(self, rt, v):
        self.rt, self.v = rt, v

    def __lt__(self, other):
        return self.rt.truth(self.rt.binary("<", self.v, other.v))


def f_sorted(rt, items, *, key=None, reverse=False):
    """Python's sorted(): a new list, in increasing order (a stable sort, by
    key(item) when key is given), of numbers or of strings."""
    values = _py_sequence(list)(rt, items)
    keys = values if key is None else [rt.call_value(key, [v]) for v in values]
    if any(is_tensor(k) or k.__class__.__name__ == "Instance" for k in keys):
        # sorted(x) of a tensor's 0-d rows, a list of tensors: compared with
        # the program's `<` and its truth, so a tensor of several values
        # fails as PyTorch's does ("Boolean value of Tensor ...")
        keys = [_ProgramOrder(rt, k) for k in keys]
    # numpy's values compare as numpy compares them (sorted(a) of an array's numbers)
    keys = [k.array if k.__class__ is NumpyArray else k for k in keys]
    try:
        order = sorted(range(len(values)), key=keys.__getitem__, reverse=bool(reverse))
    except (TypeError, ValueError) as exc:    # '<' between a str and an int, as Python says it
        raise GradvizError(str(exc), kind=type(exc).__name__,
                           hint="sorted() compares the items: all numbers, or all strings") from None
    return [values[i] for i in order]


def f_reversed(rt, seq):
    """Python's reversed() of a list, tuple, range or string, and of a dict
    and its views (Python 3.8's: the keys, values or items last first); of
    a tensor, PyTorch's flip."""
    if seq.__class__ in (list, tuple, range, str) or seq.__class__ in DICTS \
            or seq.__class__ in DICT_VIEWS:
        return reversed(seq)
    if is_tensor(seq):
        # Tensor.__reversed__: the tensor itself when 0-d, else x.flip(0)
        # (a tensor, with its FlipBackward0, not an iterator)
        return seq if seq.data.ndim == 0 else rt.apply(OPS["flip"], (seq,), {"dims": (0,)})
    raise GradvizError(f"'{type(seq).__name__}' object is not reversible", kind=TYPE,
                       hint="reversed() takes a list, a tuple, a range, a string or a dict")


def f_dict(rt, *args, **kwargs):
    """Python's dict(): empty, a copy of a dict, from (key, value) pairs
    (dict(zip(names, values))), and keyword arguments (dict(lr=0.1))."""
    pymethods.check_dict_args("dict", args, kwargs)
    return pymethods.dict_update(rt, {}, args, kwargs)


def _py_set(kind):
    """Python's set() / frozenset(): empty, or the elements of an iterable
    (each once)."""
    def f(rt, *args, **kwargs):
        name = kind.__name__
        if kwargs:
            raise GradvizError(f"{name}() takes no keyword arguments", kind=TYPE,
                               hint=f"write {name}() or {name}(items)")
        if len(args) > 1:
            raise GradvizError(f"{name} expected at most 1 argument, got {len(args)}",
                               kind=TYPE, hint=f"write {name}() or {name}(items)")
        if not args:
            return kind()
        x = args[0]
        items = x if x.__class__ in ITERATORS or x.__class__ is str else _walkable(rt, x, name)
        return pymethods.make_set(rt, kind, items)
    f.__name__ = kind.__name__
    return f


PY_BUILTINS = {"print": f_print, "format": f_format, "len": f_len, "float": _py_number(float),
               "int": _py_number(int), "str": f_str, "repr": f_repr, "ascii": f_ascii, "round": f_round,
               "range": f_range, "enumerate": f_enumerate, "zip": f_zip, "id": f_id, "hash": f_hash, "slice": f_slice,
               "any": _py_any_all("any"), "all": _py_any_all("all"), "bool": f_bool,
               "list": _py_sequence(list), "tuple": _py_sequence(tuple), "type": f_type,
               "isinstance": f_isinstance, "issubclass": f_issubclass, "sorted": f_sorted, "reversed": f_reversed,
               "iter": f_iter, "next": f_next, "dict": f_dict, "set": _py_set(set),
               "frozenset": _py_set(frozenset), "map": f_map,
               "filter": f_filter, "getattr": f_getattr, "hasattr": f_hasattr,
               "setattr": f_setattr, "callable": f_callable,
               **{f.__name__: _python_builtin(f.__name__, f, "int") for f in (hex, oct, bin, chr)},
               "ord": _python_builtin("ord", ord, "str"),
               "divmod": _python_builtin("divmod", divmod, "number")}
# Python's builtins that take no keyword at all (CPython checks that before
# it counts the arguments: oct(1, 2, x=1) is "oct() takes no keyword arguments")
NO_KEYWORD_BUILTINS = frozenset("""format len float repr ascii range id hash slice any all
bool list tuple isinstance issubclass reversed iter next set frozenset map filter getattr
hasattr setattr callable hex oct bin chr ord divmod""".split())
# the keywords of Python's builtins that take some, and the name their
# errors say (sorted's is list.sort's): any other is "'k' is an invalid
# keyword argument for print()"
BUILTIN_KEYWORDS = {"print": ("print", {"sep", "end", "file", "flush"}),
                    "int": ("int", {"base"}), "str": ("str", {"object", "encoding", "errors"}),
                    "enumerate": ("enumerate", {"iterable", "start"}),
                    "zip": ("zip", {"strict"}), "round": ("round", {"number", "ndigits"}),
                    "sorted": ("sort", {"key", "reverse"})}


# how many arguments Python's builtins take (least, most) and how CPython
# words a call with too few or too many: "one", its METH_O functions' "len()
# takes exactly one argument (2 given)"; "expected", _PyArg_CheckPositional's
# "getattr expected at least 2 arguments, got 1"; else the words for none
# given of those that count keywords too ("int() takes at most 2 arguments (3 given)")
_ONE, _EXPECTED = "one", "expected"
BUILTIN_COUNTS = {
    **{n: (1, 1, _ONE) for n in "len repr ascii id hash any all callable hex oct bin chr ord".split()},
    **{n: (0, 1, _EXPECTED) for n in "float bool list tuple set frozenset dict".split()},
    **{n: (2, 2, _EXPECTED) for n in "isinstance issubclass hasattr filter divmod".split()},
    **{n: (1, 2, _EXPECTED) for n in "format iter next".split()},
    "range": (1, 3, _EXPECTED), "slice": (1, 3, _EXPECTED), "getattr": (2, 3, _EXPECTED),
    "setattr": (3, 3, _EXPECTED), "sorted": (1, 1, _EXPECTED), "reversed": (1, 1, _EXPECTED),
    "int": (0, 2, ""), "str": (0, 3, ""),
    "round": (1, 2, "round() missing required argument 'number' (pos 1)"),
    "enumerate": (1, 2, "enumerate() missing required argument 'iterable'"),
    "map": (2, None, "map() must have at least two arguments."),
    "print": (0, None, ""), "zip": (0, None, ""),       # (for their keywords)
}


def builtin_count_error(name: str, nargs: int, kwargs: dict | None) -> GradvizError | None:
    """Python's TypeError for its builtin NAME given nargs positional
    arguments it does not take that many of (BUILTIN_COUNTS), None where it
    takes them."""
    least, most, words = BUILTIN_COUNTS[name]
    given = nargs if words in (_ONE, _EXPECTED) else nargs + len(kwargs or ())
    if least <= given and (most is None or given <= most):
        return None
    if words == _ONE:
        msg = f"{name}() takes exactly one argument ({given} given)"
    elif words == _EXPECTED:
        bound = "" if least == most else "at least " if given < least else "at most "
        n = least if given < least else most
        msg = f"{name} expected {bound}{n} argument{'' if n == 1 else 's'}, got {given}"
    else:
        msg = words if given < least else f"{name}() takes at most {most} arguments ({given} given)"
    return GradvizError(msg, kind=TYPE, hint=f"check {name}()'s arguments")


def builtin_call_error(name: str, nargs: int, kwargs: dict | None) -> GradvizError | None:
    """Python's TypeError for its builtin NAME (of BUILTIN_COUNTS) called
    with nargs positional arguments and kwargs, None where it takes them:
    one that counts its keywords with its arguments (int, round) counts
    first, the others check their keywords first."""
    counts_keywords = BUILTIN_COUNTS[name][2] not in (_ONE, _EXPECTED)
    count = builtin_count_error(name, nargs, kwargs)
    if count is not None and counts_keywords:
        return count
    return (kwargs and builtin_keyword_error(name, kwargs)) or count


def builtin_keyword_error(name: str, kwargs: dict) -> GradvizError | None:
    """Python's TypeError for its builtin NAME given keywords it does not
    take, None where it takes them all."""
    if name in NO_KEYWORD_BUILTINS:
        return GradvizError(f"{name}() takes no keyword arguments", kind=TYPE,
                            hint=f"pass {name}()'s arguments by position")
    said, known = BUILTIN_KEYWORDS.get(name, (name, None))
    unknown = [k for k in kwargs if known is not None and k not in known]
    if unknown:
        return GradvizError(f"'{unknown[0]}' is an invalid keyword argument for {said}()",
                            kind=TYPE, hint=f"{name}() takes " + ", ".join(
                                f"{k}=" for k in sorted(known)))
    return None


# Python's types as dtype= arguments, as PyTorch maps them
PY_TYPE_DTYPES = {PY_BUILTINS["float"]: np.dtype(np.float64),
                  PY_BUILTINS["int"]: np.dtype(np.int64), f_bool: np.dtype(np.bool_)}

# torch.nn.functional.X (also reachable as F.X)
def _float_input(x, name: str) -> Tensor:
    x = _need_tensor(x, name)
    if x.data.dtype.kind != "f":
        raise GradvizError(f'"{name}_cpu" not implemented for \'{type_word(x.data.dtype)}\'',
                           kind="NotImplementedError", hint=f"make it a float tensor first: {name}(x.float())")
    return x


def _number_arg(fn: str, name: str, position: int | None, v, kind: str = "Number") -> None:
    """PyTorch's error for an argument that must be a number (its position
    said for one usually given by position). A bool is a number there, as
    PyTorch's Scalar and double take it (F.leaky_relu(x, True)); not an int."""
    if (kind == "int" and isinstance(v, bool)) or not isinstance(v, (int, float)):
        where = f" (position {position})" if position else ""
        raise GradvizError(f"{fn}(): argument '{name}'{where} must be {kind}, "
                           f"not {type(v).__name__}", kind=TYPE)


def number_value(fn: str, name: str, position: int | None, v):
    """The number of an argument PyTorch's parser reads as a Number (a
    Scalar): a number, or the one a 0-d tensor without a gradient holds
    (F.celu(x, alpha=torch.tensor(0.5))); else _number_arg's error."""
    v = _tensor_number(v)
    _number_arg(fn, name, position, v)
    return v


def f_softplus(rt, x, beta=1.0, threshold=20.0):
    x = _float_input(x, "softplus")
    beta = number_value("softplus", "beta", None, beta)
    threshold = number_value("softplus", "threshold", None, threshold)
    p = {} if (beta, threshold) == (1.0, 20.0) else {"beta": float(beta),
                                                      "threshold": float(threshold)}
    return rt.apply(OPS["softplus"], (x,), p or None)


def _no_inplace(name: str, inplace) -> None:
    if inplace:
        raise GradvizError(f"{name}(..., inplace=True) is not supported", kind=TYPE,
                           hint=f"write y = F.{name}(x) (relu alone has inplace=True here)")


def f_leaky_relu(rt, input, negative_slope=0.01, inplace=False):
    _no_inplace("leaky_relu", inplace)
    x = _float_input(input, "leaky_relu")
    negative_slope = number_value("leaky_relu", "negative_slope", 2, negative_slope)
    p = None if negative_slope == 0.01 else {"negative_slope": float(negative_slope)}
    return rt.apply(OPS["leaky_relu"], (x,), p)


def f_elu(rt, input, alpha=1.0, inplace=False):
    _no_inplace("elu", inplace)
    x = _float_input(input, "elu")
    alpha = number_value("elu", "alpha", 2, alpha)
    return rt.apply(OPS["elu"], (x,), None if alpha == 1.0 else {"alpha": float(alpha)})


def f_l1_loss(rt, input, target, size_average=None, reduce=None, reduction="mean"):
    """F.l1_loss: PyTorch composes it, |input - target| then the mean (or sum)."""
    input, target = _loss_operands(input, target)
    reduction = _reduction_arg(size_average, reduce, reduction)
    input, target = _broadcast_mixed(rt, input, target)
    d = FUNCTIONS["abs"](rt, rt.binary("-", input, target))
    return d if reduction == "none" else FUNCTIONS[reduction](rt, d)


NN_FUNCTIONAL = {name: FUNCTIONS[name] for name in
                 ("relu", "sigmoid", "tanh", "softmax", "log_softmax", "mse_loss",
                  "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits")}
def f_nn_relu(rt, input, inplace=False):
    """F.relu(input, inplace=False): with inplace=True, input.relu_()."""
    if inplace:
        return METHODS["relu_"](rt, _need_tensor(input, "relu_"))
    return FUNCTIONS["relu"](rt, input)


def _python_level(name: str):
    """F.sigmoid, F.tanh: torch's function, as the Python functions of
    `input` PyTorch's are (their argument errors Python's: "sigmoid()
    missing 1 required positional argument: 'input'", where torch.sigmoid's
    are its parser's, ONE_TENSOR_FUNCTIONS)."""
    impl = FUNCTIONS[name]

    def f(rt, input):
        return impl(rt, input)
    f.__name__ = name
    return f


# (only as F.name: torch has no torch.softplus; F.softmax's dim may be left out)
NN_FUNCTIONAL.update(sigmoid=_python_level("sigmoid"), tanh=_python_level("tanh"))
NN_FUNCTIONAL.update(softmax=_nn_softmax_like("softmax"),
                     log_softmax=_nn_softmax_like("log_softmax"), softplus=f_softplus, leaky_relu=f_leaky_relu, elu=f_elu, l1_loss=f_l1_loss,
                     relu=f_nn_relu)


# ---- methods ------------------------------------------------------------

def _operator_method(name: str, sym: str, in_place: bool = False):
    """x.add(y), x.mul_(y), x.eq(y), ...: the operator (in place: x += y), once
    y is a tensor or a number (else PyTorch's error, before any other check)."""
    def m(rt, x, other):
        _as_operand(rt, other, (name, "other", 1))
        if in_place:
            return rt.update_in_place(x, sym, other, rt.span, name)
        return rt.binary(sym, x, other)
    m.__name__ = name
    return m


def _alpha_method(name: str, in_place: bool):
    """x.add(y, alpha=2), x.sub_(y, alpha=2), and the deprecated x.add(2, y)."""
    label = name + "_" if in_place else name

    def m(rt, x, other, *rest, alpha=1):
        other, alpha = _alpha_first(rt, label, x, other, rest, alpha, method=True)
        _as_operand(rt, other, (label, "other", 1))
        return alpha_op(rt, name, x, other, alpha, in_place)
    m.__name__ = label
    return m


@reverse_call("backward")
def m_backward(rt, x, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    from .func_transforms import check_backward_outside
    check_backward_outside()
    rt.backward(x, gradient, retain_graph, create_graph, inputs)
    return None


@reverse_call("backward")
def f_autograd_backward(rt, tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                        inputs=None):
    """torch.autograd.backward(tensors, grad_tensors): one pass from them all."""
    from .func_transforms import check_backward_outside
    check_backward_outside()
    roots = list(tensors) if isinstance(tensors, (list, tuple)) else [tensors]
    grads = (list(grad_tensors) if isinstance(grad_tensors, (list, tuple)) else [grad_tensors]) \
        if grad_tensors is not None else [None] * len(roots)
    if len(grads) != len(roots):
        raise GradvizError(f"grad_tensors has {len(grads)} tensors, tensors {len(roots)}",
                           kind=RUNTIME, hint="give one gradient per tensor")
    for t in roots:
        _need_tensor(t, "backward")
    rt.backward(roots, grads, retain_graph, create_graph, inputs)
    return None


def m_item(rt, x):
    if x.data.size != 1:
        raise GradvizError(f"a Tensor with {x.data.size} elements cannot be converted to Scalar",
                           hint="item() needs a single-element tensor; reduce it first "
                                "(e.g. x.sum().item())")
    return x.data.item()


def m_numpy(rt, x):
    """x.numpy(): x's memory, as a value that prints as numpy's array."""
    if x.requires_grad:
        raise GradvizError("Can't call numpy() on Tensor that requires grad. Use "
                           "tensor.detach().numpy() instead.",
                           hint="x.detach().numpy(): the values without the graph")
    return NumpyArray(x.data)


def m_tolist(rt, x):
    return x.data.tolist()


# the creations a write in place can give a tensor its first value (torch.empty(...).normal_())
_MADE_HERE = frozenset(("empty", "zeros", "ones", "full", "zeros_like", "ones_like",
                        "full_like", "rand", "randn", "normal", "new_zeros", "new_ones",
                        "new_full"))


def _before_write(rt, x) -> None:
    """Keep what a write in place changes as it was (Tape.before_inplace),
    except for a leaf this very statement made, with memory of its own and
    nothing made since: `w = torch.empty(3, 2).normal_(0, 0.01)` is w's
    value as it was made, not empty()'s zeros."""
    nodes = rt.tape.nodes
    made = (x.meta or {}).get("label") in _MADE_HERE      # (not a .grad, .data, detach())
    if not (made and x.seq == len(nodes) - 1 and x.data.base is None
            and x.span is not None and x.span.line == rt.line):
        rt.tape.before_inplace(x.data, x)


def _write_in_place(rt, x, label: str, make, source=None):
    """x's values replaced in place by make() (values for x's shape, cast to
    its dtype): fill_, copy_, normal_, uniform_. Outside the graph only:
    PyTorch's error for a leaf that requires grad; on a tensor of the graph
    PyTorch records the write (FillBackward0, ...), gradviz refuses it.
    Memory held more than once (an expand) is refused but by fill_, whose
    one value is the same wherever it lands (PyTorch does not check it)."""
    rt.inplace_check(x)                      # a leaf that requires grad: PyTorch's error
    if rt.tape.grad_enabled and x.requires_grad:
        raise GradvizError(f"{label}() on a tensor of the graph is not supported",
                           kind=RUNTIME, hint=f"call it under torch.no_grad(), or write "
                                              f"a new tensor instead of {label}()")
    if ((x.meta or {}).get("overlapping") and label != "fill_") or not x.data.flags.writeable:
        raise GradvizError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.",
                           hint="write into a clone(): y = x.clone()")
    values = make()
    if rt.dual_tangents:
        # (in a dual level x's tangent becomes source's, copy_'s, or zeros)
        after = (lambda old: None) if source is None else forward_ad.source_tangent(rt, source)
        forward_ad.before_plain_write(rt, x, after)
    _before_write(rt, x)
    np.copyto(x.data, values, casting="unsafe")
    rt.tape.versions.bump(x, rt.line)
    rt.log_event("inplace", x, op=label)
    rt.inference_write_check(x)
    return x


def drawn_in_place(rt, x, label: str, draw):
    """x's values replaced by draw(shape)'s numbers (_write_in_place), laid
    out in x's memory order, as PyTorch's kernels fill it: a transposed x
    gets its numbers down the columns."""
    return _write_in_place(rt, x, label, lambda: strides.in_memory_order(x, draw))


def m_fill_(rt, x, value):
    tensor_value = is_tensor(value)
    if tensor_value:
        if value.data.ndim:
            raise GradvizError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.data.ndim} dimensions.", hint="fill with a number")
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GradvizError(f"fill_(): argument 'value' must be a number, not {_describe(value)}",
                           kind=TYPE)
    elif x.data.dtype in NARROW_INTS:
        value = narrow_ints([value], x.data.dtype, NARROW_INTS[x.data.dtype])[0]
    elif x.data.dtype.kind == "f":
        checked_float(value, x.data.dtype, x.data.size)
    if rt.tape.grad_enabled and (x.requires_grad or tensor_value and value.requires_grad):
        # a write autograd records (a leaf that requires grad is refused
        # there): PyTorch's FillBackward2 for a number, FillBackward3 for a
        # 0-d tensor, which gets the sum of the gradient
        args = (x, value) if tensor_value else (x,)
        params = {"inplace": True} if tensor_value else {"value": value, "inplace": True}
        return rt.record_inplace(x, lambda: rt.apply(OPS["fill"], args, params),
                                 fills=not tensor_value)
    if tensor_value:     # (a dual's tangent fills x's, in a dual level)
        return _write_in_place(rt, x, "fill_", lambda: value.data[()], value)
    return _write_in_place(rt, x, "fill_", lambda: value)


def m_copy_(rt, x, src):
    src = _need_tensor(src, "copy_")
    _copy_shape_check(x.data.shape, src.data.shape)
    if rt.tape.grad_enabled and (src.requires_grad or x.requires_grad):
        # recorded as PyTorch records it (CopyBackwards): the write of all of
        # x, as x[...] = src is
        rt._store_item(x, [Ellipsis], src)
        while x.meta is not None and "replaced_by" in x.meta:     # (the node the write made)
            x = rt.tape.nodes[x.meta["replaced_by"]]
        return x
    strides.check_input_overlap(x.data, src.data, True, "copy from a clone(): "
                                                        "y[1:3].copy_(y[0:2].clone())")
    return _write_in_place(rt, x, "copy_", lambda: np.broadcast_to(src.data, x.data.shape), src)


def _copy_shape_check(shape: tuple, src_shape: tuple) -> None:
    """x.copy_(src): PyTorch broadcasts x with src, as an elementwise op
    (its error for sizes that do not fit), and the result must be x's
    shape (src of more dims, or of a larger size where x has 1: its
    in-place error)."""
    both = broadcast_shape(shape, src_shape)
    if both != shape:
        raise GradvizError(f"output with shape {list(shape)} doesn't match the broadcast shape "
                           f"{list(both)}", kind=RUNTIME,
                           hint="src must expand to x's shape: only its axes of size 1 "
                                "(and leading ones) are repeated")


def _random_kind_check(x, kernel: str):
    if x.data.dtype.kind != "f":
        raise GradvizError(f'"{kernel}" not implemented for \'{type_word(x.data.dtype)}\'',
                           kind="NotImplementedError", hint="random numbers are floats: "
                                                            "x.float() first")


def _float_args(method: str, **named) -> None:
    """PyTorch's TypeError for an argument that must be a number (a bool is one)."""
    for pos, (name, v) in enumerate(named.items(), 1):
        if not isinstance(v, (int, float)):
            raise GradvizError(f"{method}(): argument '{name}' (position {pos}) must be float, "
                               f"not {'Tensor' if is_tensor(v) else type(v).__name__}",
                               kind=TYPE, hint=f"give numbers: x.{method}(0.0, 1.0)")


def m_normal_(rt, x, mean=0.0, std=1.0, *, generator=None):
    _float_args("normal_", mean=mean, std=std)
    gen = draw_generator(rt, generator, "normal_")
    _random_kind_check(x, "normal_kernel_cpu")
    _check_std(std)
    return drawn_in_place(rt, x, "normal_",
                          lambda shape: gen.normal(shape, x.data.dtype, mean, std))


def m_uniform_(rt, x, a=0.0, b=1.0, *, generator=None):
    _float_args("uniform_", **{"from": a, "to": b})
    gen = draw_generator(rt, generator, "uniform_")
    _random_kind_check(x, "check_uniform_bounds")
    if not a <= b:
        raise GradvizError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_torch_number(a)} > to={_torch_number(b)}",
                           hint="the lower bound comes first")
    return drawn_in_place(rt, x, "uniform_", lambda shape: gen.rand(shape, x.data.dtype, a, b))


def _bernoulli_draw(gen: CPUGenerator, shape: tuple, p, arrange=None) -> np.ndarray:
    """PyTorch's CPU bernoulli: a uniform per number, u < p; drawn in the
    probabilities' dtype for a tensor p (broadcast to the shape), in
    float64 for a number p (torch.rand(dtype=torch.float64)'s words).
    arrange(draw) lays draw(shape)'s uniforms out in the written tensor's
    memory order (drawn_in_place); by default in order."""
    arrange = arrange or (lambda draw: draw(shape))
    if is_tensor(p):
        probs = np.broadcast_to(p.data, shape)
        dt = p.data.dtype if p.data.dtype.kind == "f" else F64
        bad = ~((probs >= 0) & (probs <= 1))            # (NaN too)
        if bad.any():
            # PyTorch checks each probability as it draws: those before the
            # first bad one took their numbers
            gen.rand((int(np.argmax(bad.reshape(-1))),), dt)
            raise GradvizError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                               "(Could this error message be improved?  If so, please report "
                               "an enhancement request to PyTorch.)", kind=RUNTIME,
                               hint="probabilities are in [0, 1]: torch.sigmoid(logits) "
                                    "makes them")
        return arrange(lambda s: gen.rand(s, dt)) < probs
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise GradvizError(f"bernoulli_ expects p to be in [0, 1], "
                           f"but got p={_torch_number(p) if isinstance(p, (int, float)) else p}",
                           kind=RUNTIME, hint="p is the chance of a 1: a number in [0, 1]")
    return arrange(lambda s: gen.rand(s, F64)) < p


def f_bernoulli(rt, input, p=None, *, generator=None):
    """torch.bernoulli(probs) (or (input, p) with a number p over input's
    shape): 1 with each probability, else 0, in the input's dtype; outside
    the graph (an input that requires grad is refused: PyTorch's
    BernoulliBackward0, whose gradient is zero, is not recorded here)."""
    x = _need_tensor(input, "bernoulli", 1, "input")
    if rt.tape.grad_enabled and x.requires_grad:
        raise GradvizError("bernoulli() of a tensor that requires grad is not supported",
                           kind=RUNTIME, hint="draw from its values: torch.bernoulli(p.detach()) "
                                              "(its gradient is zero anyway)")
    drawn = _bernoulli_draw(draw_generator(rt, generator, "bernoulli"), x.data.shape,
                            x if p is None else p)
    return _leaf(rt, drawn.astype(x.data.dtype), False, "bernoulli")


def m_bernoulli_(rt, x, p=0.5, *, generator=None):
    """x.bernoulli_(p): x's values replaced by draws of probability p (a
    number, or a tensor broadcast to x's shape)."""
    if is_tensor(p):
        broadcast_shape(p.data.shape, x.data.shape)
    gen = draw_generator(rt, generator, "bernoulli_")
    return _write_in_place(rt, x, "bernoulli_", lambda: _bernoulli_draw(
        gen, x.data.shape, p, lambda draw: strides.in_memory_order(x, draw)))


def m_zero_(rt, x):
    if rt.tape.grad_enabled and x.requires_grad:
        # a tensor of the graph (a leaf is refused): PyTorch's ZeroBackward0
        # sends zeros back
        return rt.record_inplace(x, lambda: rt.apply(OPS["zero"], (x,)), fills=True)
    rt.inplace_check(x)
    if rt.dual_tangents:       # (a dual level: x's tangent becomes zeros too)
        forward_ad.before_plain_write(rt, x, lambda old: None)
    rt.tape.before_inplace(x.data, x)
    x.data[...] = 0
    rt.tape.versions.bump(x, rt.line)
    rt.log_event("zero_", x)
    rt.inference_write_check(x)
    return x


class RemovableHandle:
    """What register_hook() returns: remove() takes the hook off again."""

    __slots__ = ("hooks", "hook")

    def __init__(self, hooks: list, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self, rt=None):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def m_register_hook(rt, x, hook):
    """x.register_hook(fn): fn(grad) runs when x's gradient is complete in a
    backward pass (or autograd.grad), before it reaches x.grad (a leaf's),
    x's retained grad or the ops before x; what it returns, unless None,
    is the gradient from there on (see Interpreter.run_hooks)."""
    # (PyTorch reads x's grad_fn first: a piece of a split, or a view made
    # under no_grad(), written since it was made is refused, see m_retain_grad)
    multi_views.check_valid(x, rt.tape)
    if not x.requires_grad:
        raise GradvizError("cannot register a hook on a tensor that doesn't require gradient",
                           hint="call x.requires_grad_() first, or hook a tensor made from one "
                                "that requires grad")
    held = _hooks_holder(rt, x)
    hooks = rt.hooks.setdefault(held, [])
    entry = [hook]             # (a list: one hook registered twice is two entries)
    hooks.append(entry)
    rt.log_event("register_hook", held)
    return RemovableHandle(hooks, entry)


def _hooks_holder(rt, x):
    """The node whose hooks x's register_hook() adds to: x, but for a view
    whose grad_fn was made again after a write through its family, the
    node its hooks were first registered on, if any (PyTorch's view keeps
    its list of hooks, on the grad_fn it had then: a hook registered after
    the write does not fire where one registered before does not)."""
    held = x
    t = x
    while t.meta is not None and "remade_from" in t.meta:
        t = t.meta["remade_from"]
        if t in rt.hooks:
            held = t
    return held


def m_retain_grad(rt, x):
    if x.recorded:
        # (PyTorch reads x's grad_fn first; a tensor without one is a leaf for
        # it, and no view's grad_fn is made again: an untracked piece, or a
        # view made under no_grad(), is left as it is)
        multi_views.check_valid(x, rt.tape)
    if not x.requires_grad:
        raise GradvizError("can't retain_grad on Tensor that has requires_grad=False",
                           hint="only tensors that need a gradient can keep one")
    if x.recorded:
        x.retains_grad = True
        rt.log_event("retain_grad", x)
    return None


def m_requires_grad_(rt, x, requires_grad=True):
    if requires_grad and not rt.tape.inference_mode and rt.tape.is_inference(x):
        raise GradvizError("Setting requires_grad=True on inference tensor outside "
                           "InferenceMode is not allowed.", kind=RUNTIME,
                           hint="this tensor was made under torch.inference_mode(): use a "
                                "clone() of it, or make it under torch.no_grad()")
    if x.recorded:
        if requires_grad:
            return x        # it requires grad already: PyTorch lets it be
        raise GradvizError(
            "you can only change requires_grad flags of leaf variables. If you want to use a "
            "computed variable in a subgraph that doesn't require differentiation use "
            "var_no_grad = var.detach().", hint="call requires_grad_() on the input you "
                                                "created, before computing with it")
    _check_requires_grad(x.data.dtype, requires_grad, method=True)
    if requires_grad and not x.requires_grad:
        # ops recorded before now did not connect to x (PyTorch's graph has no
        # edge to it): backward must not reach back to it through them
        x.meta = {**(x.meta or {}), "grad_since": len(rt.tape.nodes)}
    if x.requires_grad != bool(requires_grad):
        # frozen (a parameter a fine-tuning loop leaves alone), or thawed:
        # the picture says where, not just "constant"
        x.meta = {**(x.meta or {}), "frozen_at": None if requires_grad else rt.line}
    x.requires_grad = bool(requires_grad)
    rt.log_event("requires_grad_", x, value=bool(requires_grad))
    return x


def m_size(rt, x, dim=None):
    if dim is None:
        return Size(x.data.shape)
    if x.data.ndim == 0:
        raise GradvizError(f"Dimension specified as {dim} but tensor has no dimensions",
                           kind=INDEX)
    return x.data.shape[_dim(dim, x.data.ndim)]


def m_dim(rt, x):
    return x.data.ndim


def _cast(dt):
    return lambda rt, x: f_to(rt, x, dt)


# device types torch.device() knows (gradviz runs on the CPU only)
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


def f_device(rt, type, index=None):
    """torch.device("cpu"): a value; a device other than the CPU fails where
    it is used (as on PyTorch's CPU build), not here."""
    if not isinstance(type, str):
        raise GradvizError(f"device() received an invalid argument: {_describe(type)}",
                           kind=TYPE, hint='write torch.device("cpu")')
    kind = type.split(":")[0]
    if kind not in DEVICE_TYPES:
        raise GradvizError("Expected one of " + ", ".join(DEVICE_TYPES) + " device type at "
                           f"start of device string: {type}", hint='write torch.device("cpu")')
    return Device(type if index is None else f"{type}:{index}")


def check_device(device) -> None:
    """A device= argument: the CPU (or None) is fine and changes nothing."""
    if device is None:
        return
    if device.__class__ is int:      # an accelerator's index, as PyTorch reads an int
        raise GradvizError("Device index must not be negative" if device < 0 else
                           "Cannot access accelerator device when none is available.",
                           kind=RUNTIME, hint="gradviz runs on the CPU: write device=\"cpu\", "
                                              "or leave it out")
    if not isinstance(device, str):
        raise GradvizError(f"expected a device, not {_describe(device)}", kind=TYPE,
                           hint='write device="cpu"')
    kind = str.__str__(device).split(":")[0]
    if kind != "cpu":
        if kind not in DEVICE_TYPES:
            f_device(None, str.__str__(device))          # PyTorch's error for the string
        raise GradvizError("Torch not compiled with CUDA enabled" if kind == "cuda" else
                           f"the {kind} device is not available", kind="AssertionError",
                           hint="gradviz runs on the CPU: write device=\"cpu\", or leave it out")


def m_to(rt, x, *args, dtype=None, device=None, memory_format=None):
    """x.to(dtype), x.to(device), x.to(device, dtype): the CPU changes
    nothing; memory_format=: laid out so (a copy where x is not)."""
    for a in args:
        if isinstance(a, DType) or (dtype is None and a.__class__ is not str and
                                    a.__class__ is not int and not isinstance(a, Device)):
            dtype = a
        else:
            check_device(a)
    check_device(device)
    if memory_format is not None:
        fmt = memory_formats.need_format("to", memory_format)
        return memory_formats.copy_to(rt, x, _dtype_arg(dtype) or x.data.dtype, fmt)
    return x if dtype is None else f_to(rt, x, _dtype_arg(dtype))


def legacy_tensor(rt, dtype_name: str, args: tuple, kwargs) -> Tensor:
    """torch.Tensor(...) and torch.FloatTensor/DoubleTensor/LongTensor/
    BoolTensor(...), as old tutorials write them: from data (a list, numpy
    values: cast to the type's dtype, torch.Tensor([1, 2]) is float), of a
    shape (torch.Tensor(2, 3): PyTorch leaves its memory as it was, here
    zeros, as torch.empty), empty, or the same memory as a tensor of the
    type's dtype (torch.Tensor(x))."""
    dt = DTYPES[dtype_name]
    if kwargs:
        got = ", ".join([type(a).__name__ for a in args]
                        + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
        raise GradvizError(f"new() received an invalid combination of arguments - got ({got})",
                           kind=TYPE, hint="torch.tensor(data, requires_grad=True) takes keyword "
                                           "arguments; torch.Tensor(data) takes none")
    if not args:
        return _leaf(rt, np.zeros(0, dt), False, "tensor")
    if all(a.__class__ is int for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
        shape = tuple(args[0]) if isinstance(args[0], Size) else tuple(args)
        if any(n < 0 for n in shape):
            raise GradvizError(f"Trying to create tensor with negative dimension "
                               f"{min(shape)}: {list(shape)}", kind=RUNTIME)
        rt.tape.check_shape(shape)
        rt.tape.check_size(int(np.prod(shape)))
        return _leaf(rt, np.zeros(shape, dt), False, "empty")
    if len(args) == 1:
        data = args[0]
        if is_tensor(data):
            if data.data.dtype != dt:
                raise GradvizError(f"expected {TYPE_NAMES[dtype_name][6:]}-typed data, got a "
                                   f"{data.dtype_name} tensor", kind=TYPE,
                                   hint="convert it with x.to(dtype) or x.float()")
            return f_detach(rt, data)          # the same memory, a new tensor
        if isinstance(data, (list, tuple, range)) or data.__class__ is NumpyArray:
            return _make_tensor(rt, data, dt, False, "tensor")
    raise GradvizError(f"new(): data must be a sequence (got {type(args[0]).__name__})",
                       kind=TYPE, hint="torch.Tensor([1.0]) makes a tensor of that list, "
                                       "torch.Tensor(2, 3) one of that shape")


def f_variable(rt, data, requires_grad=False, volatile=False):
    """torch.autograd.Variable(t, requires_grad=...): since PyTorch 0.4 a
    tensor; a new one on t's memory, a leaf that requires grad if asked (t
    itself does not change)."""
    if not is_tensor(data):
        raise GradvizError(f"Variable data has to be a tensor, but got {arg_type_name(data)}",
                           kind=TYPE, hint=_number_hint("Variable", [data]))
    return _shared_leaf(rt, data, requires_grad, "Variable")


def f_parameter(rt, data=None, requires_grad=True):
    """nn.Parameter(t): a leaf on t's memory that requires grad (d2l's
    W1 = nn.Parameter(torch.randn(...) * 0.01)); it prints as PyTorch's,
    "Parameter containing:", and its type is nn.Parameter."""
    if data is not None and not is_tensor(data):      # (Parameter's data.detach())
        raise GradvizError(f"'{arg_type_name(data)}' object has no attribute 'detach'",
                           kind="AttributeError", hint=_number_hint("Parameter", [data]))
    x = data if data is not None else \
        _leaf(rt, np.zeros(0, rt.tape.default_dtype), False, "empty")
    t = _shared_leaf(rt, x, requires_grad, "Parameter")
    t.meta = {**(t.meta or {}), "parameter": True}
    return t


def _shared_leaf(rt, x: Tensor, requires_grad, label: str) -> Tensor:
    """A new leaf on x's memory and version counter (detach()'s), that
    requires grad if asked: drawn as a leaf of its own, not as a detached
    copy of x."""
    if requires_grad:
        _check_requires_grad(x.data.dtype, True)
    # (`of`: the picture draws a dotted edge from x, named for the label)
    t = rt.tape.add(Tensor(x.data), rt.span, label=label, of=x.seq,
                    version_key=rt.tape.versions.key(x), **overlap_meta(x))
    t.requires_grad = bool(requires_grad)
    return t


# why a value a tutorial uses is None (the interpreter's hints say it too)
NONE_WHY = ("a .grad that no backward() has filled yet (only leaves get one; `w = w - lr * "
            "w.grad` makes w a new tensor, not a leaf: update in place under "
            "torch.no_grad()), or a function that returns nothing")


# x.type()'s names (the CPU's legacy tensor types), by dtype name
TYPE_NAMES = {"float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
              "int64": "torch.LongTensor", "int32": "torch.IntTensor",
              "int16": "torch.ShortTensor", "int8": "torch.CharTensor",
              "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
              "float16": "torch.HalfTensor"}


def m_type(rt, x, dtype=None):
    """x.type(): the name of x's type, 'torch.FloatTensor'; x.type(dtype) or
    x.type('torch.LongTensor'): x cast to it (x itself when it has it), as
    d2l's accuracy() writes y_hat.type(y.dtype)."""
    if dtype is None:
        return TYPE_NAMES[x.dtype_name]
    return f_to(rt, x, type_target(rt, dtype))


def type_target(rt, dtype) -> np.dtype:
    """The dtype x.type(dtype) and net.type(dtype) cast to: a dtype,
    torch.LongTensor, 'torch.LongTensor', or torch.Tensor (the default)."""
    from .pytypes import LEGACY, PyType
    if dtype.__class__ is PyType and dtype in LEGACY:     # x.type(torch.LongTensor)
        dtype = DTYPE_OBJECTS[LEGACY[dtype]]
    elif dtype.__class__ is PyType and dtype.name == "torch.Tensor":
        return rt.tape.default_dtype                       # x.type(torch.Tensor): the default
    elif not isinstance(dtype, (str, DType)):             # x.type(float): not a dtype here
        name = getattr(dtype, "name", type(dtype).__name__)
        raise GradvizError(f"invalid type: '{name}'", kind=VALUE,
                           hint="write a dtype, x.type(torch.float64), or one of "
                                + ", ".join(repr(n) for n in TYPE_NAMES.values()))
    elif isinstance(dtype, str) and not isinstance(dtype, DType):
        names = {v: k for k, v in TYPE_NAMES.items()}
        if dtype not in names:
            raise GradvizError(f"invalid type: '{dtype}'", kind=VALUE,
                               hint="write a dtype, x.type(torch.float64), or one of "
                                    + ", ".join(repr(n) for n in TYPE_NAMES.values()))
        dtype = DTYPE_OBJECTS[names[dtype]]
    return _dtype_arg(dtype)


def m_type_as(rt, x, other):
    """x.type_as(other): x cast to other's dtype (x itself when it has it),
    as the translation tutorial writes torch.ones(1, 1).type_as(src.data)."""
    _need_tensor(other, "type_as", 1, "other")
    return f_to(rt, x, other.data.dtype)


def m_cpu(rt, x):
    return x


def m_cuda(rt, x):
    check_device("cuda")


def m_add(rt, x, other):
    return rt.binary("+", x, other)


METHODS = {
    "detach_": m_detach_, "split": m_split, "chunk": f_chunk, "unbind": f_unbind,
    "backward": m_backward, "item": m_item, "tolist": m_tolist, "numpy": m_numpy,
    "zero_": m_zero_, "fill_": m_fill_, "copy_": m_copy_, "normal_": m_normal_,
    "uniform_": m_uniform_, "bernoulli_": m_bernoulli_,
    "new_ones": m_new_ones, "new_zeros": m_new_zeros, "new_full": m_new_full,
    "new_tensor": m_new_tensor,
    "retain_grad": m_retain_grad, "register_hook": m_register_hook,
    "register_post_accumulate_grad_hook": hooks.m_register_post_accumulate_grad_hook,
    "requires_grad_": m_requires_grad_, "size": m_size, "new": m_new,
    "dim": m_dim, "numel": f_numel, "float": _cast(F32), "double": _cast(np.dtype(np.float64)),
    "long": _cast(np.dtype(np.int64)), "int": _cast(np.dtype(np.int32)),
    "short": _cast(np.dtype(np.int16)), "char": _cast(np.dtype(np.int8)),
    "byte": _cast(np.dtype(np.uint8)), "bool": _cast(np.dtype(np.bool_)), "to": m_to,
    "half": _cast(np.dtype(np.float16)),
    "cpu": m_cpu, "cuda": m_cuda, "type": m_type, "type_as": m_type_as, "permute": m_permute,
    "element_size": lambda rt, x: x.data.itemsize, "is_floating_point": f_is_floating_point,
    "contiguous": m_contiguous, "nelement": f_numel, "isclose": f_isclose, **VALUE_TESTS,
    "is_contiguous": strides.m_is_contiguous, "stride": keywords_seen(strides.m_stride),
    "storage_offset": strides.m_storage_offset,
    "is_inference": lambda rt, x: rt.tape.is_inference(x),
    "view": m_view, "resize": m_resize, "resize_as": m_resize_as, "_is_view": m_is_view, "reshape": f_reshape, "flatten": m_flatten, "unflatten": m_unflatten,
    "detach": f_detach, "clone": f_clone,
    "expand": m_expand, "expand_as": m_expand_as, "repeat": m_repeat,
    **{name: _operator_method(name, sym) for name, sym in (
        ("mul", "*"), ("div", "/"), ("remainder", "%"),
        ("floor_divide", "//"), ("pow", "**"), ("eq", "=="), ("ne", "!="), ("lt", "<"),
        ("le", "<="), ("gt", ">"), ("ge", ">="))},
    "equal": f_equal, "allclose": f_allclose,
    # in place: x.add_(y) is x += y
    **{name: _operator_method(name, sym, in_place=True) for name, sym in (
        ("mul_", "*"), ("div_", "/"))},
    **{name + suffix: _alpha_method(name, bool(suffix)) for name in ("add", "sub")
       for suffix in ("", "_")},
}
FUNCTIONS["bernoulli"] = f_bernoulli          # (defined with the in-place draws above)
for _name in ("exp", "log", "sqrt", "abs", "neg", "square", "sin", "cos", "tanh", "sigmoid",
              "relu", "clamp", "sum", "mean", "prod", "max", "min", "dot", "mv", "mm",
              "matmul", "outer", "transpose", "unsqueeze", "squeeze", "softmax", "t",
              "cumsum", "argmax", "argmin", "nonzero",
              "log_softmax", "maximum", "minimum", "all", "any"):
    METHODS[_name] = FUNCTIONS[_name]
METHODS.update(maximum=_tensors_binary("maximum", 1), minimum=_tensors_binary("minimum", 1))
METHODS["norm"] = f_norm        # (torch.norm's 5th argument is out=, x.norm's 4th dtype=)
# x.relu_(), x.exp_(), x.clamp_(0, 1), ...: the function's result written into x
def _in_place(name):
    # a function of tensors only (tensors_only): the names of its tensors
    # after the first, which x.atan2_(1.5)'s error names, counted after x
    plain = FUNCTIONS.get(name)
    others = list(inspect.signature(plain).parameters)[2:] \
        if getattr(plain, "tensors_only", False) else ()

    def m(rt, x, *args, **kw):
        fn = FUNCTIONS[name]
        try:                        # (the arguments' error here, not from deep in the write)
            inspect.signature(fn).bind(rt, x, *args, **kw)
        except TypeError as exc:
            raise method_argument_error(name + "_", fn, args, kw, exc) from None
        for i, (arg, v) in enumerate(zip(others, args)):
            _need_tensor(v, name + "_", i + 1, arg)
        return rt.change_in_place(x, lambda: fn(rt, x, *args, **kw), name + "_", args)
    m.__name__ = name + "_"
    return tensors_only(m) if others else m


METHODS["clip"] = FUNCTIONS["clip"]
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "neg", "sin", "cos",
              "clamp", "square", "clip"):
    METHODS[_name + "_"] = _in_place(_name)
METHODS["pow_"] = lambda rt, x, o: rt.change_in_place(x, lambda: f_pow(rt, x, o), "pow_", (o,))
# (PyTorch's errors for these name the tensor argument only in the function)
METHODS.update(std=_std_var("std", method=True), var=_std_var("var", method=True))


def _install(module) -> None:
    """A family module's torch functions and tensor methods, added to the
    tables (a later module's name overrides an earlier one's: the order of
    the calls below is the override order)."""
    FUNCTIONS.update(module.FUNCTIONS)
    METHODS.update(getattr(module, "METHODS", {}))


# flip, sort, gather, amax, bmm, ... (their own module: it reads this one's helpers)
from . import selection  # noqa: E402
_install(selection)
METHODS.update(tensors_only_methods(("dot", "mv", "mm", "matmul", "outer")))
# torch.tan, x.floor_(), F.gelu, ... (that module reads the tables above)
from . import unary_fns  # noqa: E402
unary_fns.install()

# torch.nn.functional's later losses and distances, in a module of their own
# (it imports this one, so it comes last)
from . import nn_functional  # noqa: E402
NN_FUNCTIONAL.update(nn_functional.FUNCTIONS)
FUNCTIONS["rms_norm"] = nn_functional.f_rms_norm       # (torch.rms_norm is F.rms_norm)
FUNCTIONS["embedding_renorm_"] = nn_functional.f_embedding_renorm_

# torch.multinomial and x.multinomial (beside torch.distributions, which draw with it)
from . import distributions  # noqa: E402
FUNCTIONS["multinomial"] = distributions.f_multinomial
METHODS["multinomial"] = distributions.m_multinomial

# the convolutions, poolings and F.pad (d2l's convolutional chapters)
from . import conv, conv_transpose  # noqa: E402
NN_FUNCTIONAL.update(conv.FUNCTIONS)
NN_FUNCTIONAL.update(conv_transpose.FUNCTIONS)
FUNCTIONS.update({name: conv.FUNCTIONS[name] for name in conv.TORCH})
FUNCTIONS.update(conv_transpose.FUNCTIONS)
FUNCTIONS.update(conv_transpose.TORCH_ONLY)
from . import pool3d, unpool  # noqa: E402
NN_FUNCTIONAL.update(pool3d.FUNCTIONS)
NN_FUNCTIONAL.update(unpool.FUNCTIONS)
FUNCTIONS.update({name: pool3d.FUNCTIONS[name] for name in pool3d.TORCH})

# F.scaled_dot_product_attention (its fused CPU kernel or its composite path)
from . import attention  # noqa: E402
NN_FUNCTIONAL.update(attention.FUNCTIONS)

# torch.iinfo, finfo, promote_types, result_type, can_cast and x.is_signed()
from . import dtypeinfo  # noqa: E402
_install(dtypeinfo)

# torch.bitwise_and ... bitwise_right_shift, x.bitwise_not_(), x.__lshift__(k)
from . import bitwise  # noqa: E402
_install(bitwise)

# the ranking, embedding and likelihood losses of metric learning (their own module)
from . import nn_losses_more  # noqa: E402
NN_FUNCTIONAL.update(nn_losses_more.FUNCTIONS)

# F.interpolate, F.pixel_shuffle and their kin (the CNN tutorials' resizing layers)
from . import nn_vision  # noqa: E402
NN_FUNCTIONAL.update(nn_vision.FUNCTIONS)
FUNCTIONS.update({name: nn_vision.FUNCTIONS[name] for name in nn_vision.TORCH})
FUNCTIONS["adaptive_max_pool1d"] = nn_vision.torch_adaptive_max_pool1d

# F.affine_grid and F.grid_sample (spatial transformers), torch.grid_sampler and its kin
from . import nn_sampling  # noqa: E402
NN_FUNCTIONAL.update(nn_sampling.FUNCTIONS)
FUNCTIONS.update(nn_sampling.TORCH)

# F.embedding_bag (bags of embedding rows summed, averaged or maxed)
from . import nn_bags  # noqa: E402
NN_FUNCTIONAL.update(nn_bags.FUNCTIONS)
FUNCTIONS.update(nn_bags.TORCH_FUNCTIONS)      # (torch.embedding_bag: ATen's form, 4 outputs)

# torch.norm_except_dim and torch._weight_norm (weight normalization's pieces)
from . import weight_norm_fns  # noqa: E402
FUNCTIONS.update(weight_norm_fns.FUNCTIONS)

# F.ctc_loss (the loss of unaligned label sequences)
from . import nn_ctc  # noqa: E402
NN_FUNCTIONAL.update(nn_ctc.FUNCTIONS)
FUNCTIONS.update(nn_ctc.TORCH)

# F.selu, F.celu, F.glu, F.threshold, F.rrelu and F.gumbel_softmax
from . import nn_act_more  # noqa: E402
NN_FUNCTIONAL.update(nn_act_more.FUNCTIONS)
FUNCTIONS.update({name: nn_act_more.FUNCTIONS[name] for name in nn_act_more.TORCH})

# torch.div(rounding_mode=), fmod, lerp, addcmul, hypot, xlogy, ... (elt_fns.py)
from . import elt_fns  # noqa: E402
elt_fns.install()

# torch.median, kthvalue, mode, cummax, quantile, nansum, std_mean, aminmax, isin, ... (stat_fns.py)
from . import stat_fns  # noqa: E402
stat_fns.install()

# torch.linalg (inv, det, solve, cholesky, qr, eigh, svd, ...) and torch's
# older names for them (inverse, det, logdet, cholesky, svd, matrix_power)
from . import linalg_fns  # noqa: E402
_install(linalg_fns)
LINALG = linalg_fns.LINALG

# scatter, scatter_add, index_add, take_along_dim, ... (writes at indices)
from . import scatter_fns  # noqa: E402
_install(scatter_fns)

# tile, tensor_split, meshgrid, kron, rot90, cross, cdist, ...
from . import shape_fns  # noqa: E402
_install(shape_fns)

# view_as, broadcast_to, movedim, swapaxes, hstack, atleast_2d, fliplr, ...
from . import reshape_fns  # noqa: E402
_install(reshape_fns)
# x.t_(), x.squeeze_(), ...: shape changes in place
from . import inplace_views  # noqa: E402
METHODS.update(inplace_views.METHODS)
FUNCTIONS["as_strided_"] = inplace_views.METHODS["as_strided_"]     # (torch.as_strided_(x, ...))

# unique, bincount, histc, searchsorted, bucketize (counting and look-ups)
from . import counting_fns  # noqa: E402
_install(counting_fns)

# logaddexp, sinc, digamma, polygamma, i0, torch.special's aliases, F.softmin
from . import special_fns  # noqa: E402
special_fns.install()

# tensordot, inner, diag_embed
from . import tensor_products  # noqa: E402
_install(tensor_products)

# addmm, addmv, addr, baddbmm, addbmm (beta=, alpha=), ger, vdot, logspace, scalar_tensor;
# their methods and in-place forms
from . import linalg_more_fns  # noqa: E402
_install(linalg_more_fns)

# torch.kl_div, torch.margin_ranking_loss, ...: F's losses in torch's own form
from . import nn_torch_forms  # noqa: E402
_install(nn_torch_forms)

# trapezoid, cumulative_trapezoid
from . import integrate_fns  # noqa: E402
_install(integrate_fns)

# random_, exponential_, geometric_, log_normal_, cauchy_, poisson, randint_like,
# empty_like, get_rng_state / set_rng_state / seed, fill_diagonal_ (rng_fns.py)
from . import rng_fns  # noqa: E402
_install(rng_fns)

# log2, log10, deg2rad, fmax, signbit, logical_and, ... (math_fns.py)
from . import math_fns  # noqa: E402
math_fns.install()

# split_with_sizes, unsafe_split, unsafe_chunk, unsafe_split_with_sizes (split_fns.py)
from . import split_fns  # noqa: E402
_install(split_fns)

# torch.constant_pad_nd (pad_fns.py)
from . import pad_fns  # noqa: E402
_install(pad_fns)

# torch.cov, torch.corrcoef and their methods (covariance_fns.py)
from . import covariance_fns  # noqa: E402
_install(covariance_fns)

# torch.vander (vander_fns.py)
from . import vander_fns  # noqa: E402
_install(vander_fns)

# torch.frobenius_norm, nuclear_norm (deprecated), matrix_rank (removed): legacy_linalg_fns.py
from . import legacy_linalg_fns  # noqa: E402
_install(legacy_linalg_fns)

# torch.cholesky_inverse, matrix_exp (and linalg.matrix_exp) and their methods,
# torch.pdist (linalg_extra_fns.py)
from . import linalg_extra_fns  # noqa: E402
_install(linalg_extra_fns)
LINALG["matrix_exp"] = linalg_extra_fns.f_linalg_matrix_exp

# torch.linalg.lu, lu_factor, lu_factor_ex, lu_solve; torch.lu, lu_unpack, lu_solve and
# x.lu(), x.lu_solve() (lu_fns.py)
from . import lu_fns  # noqa: E402
_install(lu_fns)
LINALG.update(lu_fns.LINALG)

# torch.adjoint, torch.linalg.vecdot and matmul; torch.lstsq, solve, eig, symeig
# (removed: PyTorch's errors) (linalg_compat_fns.py)
from . import linalg_compat_fns  # noqa: E402
_install(linalg_compat_fns)
LINALG.update(linalg_compat_fns.LINALG, matmul=FUNCTIONS["matmul"])

# torch.linalg.cond (linalg_cond.py)
from . import linalg_cond  # noqa: E402
LINALG.update(linalg_cond.LINALG)

# torch.linalg.tensorinv, tensorsolve (linalg_tensor_fns.py)
from . import linalg_tensor_fns  # noqa: E402
LINALG.update(linalg_tensor_fns.LINALG)

# torch.svd_lowrank, pca_lowrank (lowrank_fns.py)
from . import lowrank_fns  # noqa: E402
_install(lowrank_fns)

# torch.geqrf, orgqr, ormqr and their methods, torch.linalg.householder_product
# (householder_fns.py)
from . import householder_fns  # noqa: E402
_install(householder_fns)
LINALG.update(householder_fns.LINALG)

# torch.linalg.ldl_factor, ldl_factor_ex, ldl_solve (ldl_fns.py)
from . import ldl_fns  # noqa: E402
LINALG.update(ldl_fns.LINALG)

# torch.gradient (gradient_fns.py)
from . import gradient_fns  # noqa: E402
_install(gradient_fns)

# memory formats: x.contiguous/clone/is_contiguous(memory_format=...),
# torch.empty_strided (memory_formats.py)
from . import memory_formats  # noqa: E402
_install(memory_formats)

# keepdim=1, requires_grad=0, largest=None, ...: PyTorch's TypeError (the
# tables' functions wrapped once, so this comes after every module above)
from . import bool_args  # noqa: E402
bool_args.install()

# torch.negative, subtract, concat, ... and torch.exp_(x), clamp_(x, ...):
# other names for the entries above (so this comes after bool_args)
from . import alias_fns  # noqa: E402
alias_fns.install()

# x.nbytes, x.ndimension(), x.is_nonzero(), torch.typename(x), ...
from . import tensor_queries  # noqa: E402
tensor_queries.install()

# torch.dist, torch.renorm (norm_fns.py)
from . import norm_fns  # noqa: E402
norm_fns.install()

# torch.nextafter, ldexp, frexp (float_fns.py)
from . import float_fns  # noqa: E402
float_fns.install()

# torch.positive, real, imag, angle, isreal (complex_fns.py)
from . import complex_fns  # noqa: E402
complex_fns.install()

# torch.fill, torch.range (fill_fns.py)
from . import fill_fns  # noqa: E402
fill_fns.install()

# torch.mvlgamma (gamma_fns.py)
from . import gamma_fns  # noqa: E402
gamma_fns.install()

# torch.threshold_, celu_, selu_, rrelu_, dropout_, feature_dropout, ... (act_inplace_fns.py)
from . import act_inplace_fns  # noqa: E402
act_inplace_fns.install()

# torch.binomial (binomial.py)
from . import binomial  # noqa: E402
binomial.install()

# x.volatile, x.reinforce, x.dense_dim(), x.to_dense(), x.values(), x.as_subclass,
# torch.set_default_tensor_type: older and other-layout API on dense tensors (tensor_compat.py)
from . import tensor_compat  # noqa: E402
tensor_compat.install()

# torch.batch_norm_update_stats and SyncBatchNorm's CUDA-only pieces (batch_norm_fns.py)
from . import batch_norm_fns  # noqa: E402
FUNCTIONS.update(batch_norm_fns.FUNCTIONS)
