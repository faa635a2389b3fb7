"""numpy's values in a program (pynumpy makes them): an array's attributes
and methods, Python's operators, indexing, item assignment, iteration,
truth and numbers of them, and how they meet tensors, as Python with numpy
and PyTorch runs them: a numpy scalar is a number to a tensor; a tensor's
operator with an array on its right gives way to numpy's (a tensor back);
torch.from_numpy and x.numpy() share memory."""
from __future__ import annotations

import math
import operator

import numpy as np

from .errors import VALUE, did_you_mean
from .numpy_sizes import broadcast, check_size, matmul
from .pynumpy import (ATTRIBUTES, GENERATOR_METHODS, METHODS, REFUSED, SIZES, _arg, _check_out,
                      _error, _function, _keyword, _result, _type_word, run)
from .render.torchfmt import NumpyArray
from .tensor import DTYPE_NAMES, Tensor


def attribute(rt, obj: NumpyArray, attr: str, bound_method):
    v = obj.array
    if isinstance(v, (np.ndarray, np.generic)):
        if attr in ATTRIBUTES:
            return _result(rt, getattr(v, attr))
        if attr in METHODS and hasattr(v, attr):       # (a numpy scalar has no .dot)
            return bound_method(f"numpy.ndarray.{attr}", _method(attr), obj)
    elif isinstance(v, np.dtype) and attr in ("name", "kind", "itemsize", "char", "str"):
        return getattr(v, attr)
    elif isinstance(v, type) and attr == "__name__":
        return v.__name__
    elif isinstance(v, np.random.Generator) and attr in GENERATOR_METHODS:
        return bound_method(f"numpy.random.Generator.{attr}", _generator_method(attr), obj)
    what = _type_word(obj)
    if attr in REFUSED and not attr.startswith("_"):
        return _refused_attribute(what, attr, REFUSED[attr])
    if hasattr(v, attr) and not attr.startswith("_"):
        return _refused_attribute(what, attr, "an array has its shape, dtype, ndim, size, T "
                                  "and the methods " + ", ".join(METHODS))
    raise _error(f"'{what}' object has no attribute '{attr}'", "AttributeError",
                 hint=did_you_mean(attr, sorted(ATTRIBUTES) + METHODS) or
                 "an array has its shape, dtype, ndim, size, T and the methods " +
                 ", ".join(METHODS))


def _refused_attribute(what: str, attr: str, hint: str):
    raise _error(f"{what}.{attr} is outside gradviz's numpy subset", "AttributeError",
                 hint=hint)


def _method(name: str):
    estimate = SIZES.get(name)

    def call(rt, obj, *args, **kwargs):
        args = [_arg(a) for a in args]
        kwargs = {k: _keyword(k, v) for k, v in kwargs.items()}
        _check_out(kwargs)
        check_size(rt, estimate, [obj.array, *args], kwargs)
        return _result(rt, run(name, getattr(obj.array, name), args, kwargs))
    return call


def _generator_method(name: str):
    estimate = GENERATOR_METHODS[name]

    def call(rt, obj, *args, **kwargs):
        return _function(name, getattr(obj.array, name), estimate)(rt, *args, **kwargs)
    return call


_OPERATORS = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
              "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
              "@": operator.matmul, "&": operator.and_, "|": operator.or_, "^": operator.xor,
              "<<": operator.lshift, ">>": operator.rshift, "<": operator.lt,
              "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq,
              "!=": operator.ne}
_IN_PLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul,
             "/": operator.itruediv, "//": operator.ifloordiv, "%": operator.imod,
             "**": operator.ipow, "@": operator.imatmul, "&": operator.iand, "|": operator.ior,
             "^": operator.ixor, "<<": operator.ilshift, ">>": operator.irshift}


def is_scalar(v) -> bool:
    return v.__class__ is NumpyArray and isinstance(v.array, np.generic)


def binary(rt, sym: str, a, b, in_place: bool = False):
    """a sym b where a numpy value is involved."""
    if a.__class__ is Tensor or b.__class__ is Tensor:
        return _with_tensor(rt, sym, a, b)
    op = (_IN_PLACE if in_place else _OPERATORS).get(sym)
    if op is None:
        raise _error(f"unsupported operand type(s) for {sym}: '{_type_word(a)}' and "
                     f"'{_type_word(b)}'")
    x, y = _arg(a), _arg(b)
    check_size(rt, matmul if sym == "@" else None, [x, y], {})
    return _result(rt, run(sym, op, [x, y], {}))


_ORDER = ("<", "<=", ">", ">=")


def _with_tensor(rt, sym: str, a, b):
    """A tensor's operator with a numpy value, as Python runs them: a numpy
    scalar is a number to the tensor. With an array, the tensor's == makes
    it a tensor; its other operators give way to numpy's, which computes
    on the tensor's values (so not of one that requires grad) and gives a
    tensor back (numpy's dtype: a float32 tensor plus an int64 array is
    float64); != falls back to identity (True) and the order comparisons to
    Python's TypeError; with the array on the left, numpy gives way to the
    tensor, which refuses it."""
    from .functions import f_tensor
    a = a.array.item() if is_scalar(a) else a
    b = b.array.item() if is_scalar(b) else b
    if a.__class__ is not NumpyArray and b.__class__ is not NumpyArray:
        return rt.binary(sym, a, b)
    t, arr = (a, b) if a.__class__ is Tensor else (b, a)
    if sym == "==":
        return rt.binary(sym, t, f_tensor(rt, arr))
    if sym == "!=":
        return True
    left, right = _type_word(a) if a is arr else "Tensor", _type_word(b) if b is arr else "Tensor"
    hint = "make both tensors (torch.from_numpy(a)) or both arrays (t.numpy())"
    if sym in _ORDER:
        raise _error(f"'{sym}' not supported between instances of '{left}' and '{right}'",
                     hint=hint)
    if a is arr and sym == "/":
        return _array_over_tensor(rt, t, arr)
    if a is arr or sym not in _OPERATORS:
        if sym == "+":
            raise _error("Concatenation operation is not implemented for NumPy arrays, use "
                         "np.concatenate() instead. Please do not rely on this error; it may "
                         "not be given on all Python implementations.", hint=hint)
        words = "** or pow()" if sym == "**" else sym      # (Python's words for **)
        raise _error(f"unsupported operand type(s) for {words}: '{left}' and '{right}'",
                     hint=hint)
    _no_grad(t)
    x, y = t.data, _arg(arr)
    check_size(rt, matmul if sym == "@" else None, [x, y], {})
    out = NumpyArray(np.asarray(run(sym, _OPERATORS[sym], [x, y], {})))
    return f_tensor(rt, out)


def _no_grad(t: Tensor) -> None:
    """numpy computes on a tensor's values only when it needs no gradient."""
    if t.requires_grad:
        raise _error("Can't call numpy() on Tensor that requires grad. Use "
                     "tensor.detach().numpy() instead.", "RuntimeError",
                     hint="numpy computes this: x.detach() for the values, or "
                          "torch.from_numpy(a) to keep it in the graph")


def _array_over_tensor(rt, t: Tensor, arr):
    """array / tensor as PyTorch runs it: numpy gives way to the tensor's
    __rtruediv__, t.reciprocal() * array, whose * gives way back to numpy:
    the tensor's reciprocal (float32 for an integer or bool tensor) times
    the array, in numpy's dtype, as a tensor."""
    from .functions import f_tensor
    _no_grad(t)
    x = t.data if t.data.dtype.kind == "f" else t.data.astype(rt.tape.default_dtype)
    with np.errstate(divide="ignore"):
        recip = np.reciprocal(x)
    y = _arg(arr)
    out = NumpyArray(np.asarray(run("*", operator.mul, [recip, y], {})))
    return f_tensor(rt, out)


_UNARY = {"-": operator.neg, "+": operator.pos, "~": operator.invert, "abs": operator.abs}


def unary(rt, sym: str, v: NumpyArray):
    return _result(rt, run(sym, _UNARY[sym], [v.array], {}))


def python_round(rt, v: NumpyArray, ndigits):
    """Python's round() of a numpy value: numpy's __round__."""
    args = [v.array] if ndigits is None else [v.array, _arg(ndigits)]
    return _result(rt, run("round", round, args, {}))


def contains(v: NumpyArray, item) -> bool:
    if not isinstance(v.array, np.ndarray):
        raise _error(f"argument of type '{_type_word(v)}' is not iterable",
                     hint="`in` looks into an array's values")
    return bool(run("__contains__", operator.contains, [v.array, _arg(item)], {}))


def truth(v: NumpyArray) -> bool:
    return run("__bool__", bool, [v.array], {})


def number(kind, v: NumpyArray):
    """float(a), int(a): of a numpy scalar or a one-element array."""
    return run(kind.__name__, kind, [v.array], {})


def _index(index: list):
    items = tuple(_index_item(i) for i in index)
    return items[0] if len(items) == 1 else items


def _index_item(i):
    if i.__class__ is Tensor:
        return i.data
    return _arg(i)


def index_value(v: NumpyArray):
    """numpy's __index__: a numpy integer (or bool) scalar as Python's int;
    anything else as it is (the caller's error names it)."""
    if isinstance(v.array, (np.integer, np.bool_)):
        return int(v.array)
    return v


def as_index(v: NumpyArray):
    """A numpy value in a tensor's index, as PyTorch takes it: an array as a
    tensor of its values, a numpy scalar as its number."""
    a = v.array
    if isinstance(a, np.generic):
        return a.item()
    if isinstance(a, np.ndarray) and a.dtype in DTYPE_NAMES:
        return Tensor(a)
    raise _error(f"tensors cannot be indexed by a {_type_word(v)} of dtype "
                 f"{getattr(a, 'dtype', None)}", "IndexError",
                 hint="index with whole numbers or bools (a.astype(np.int64))")


def item(rt, obj: NumpyArray, index: list):
    """a[index]: numpy's, a view for basic indexing (writes show in a)."""
    a = obj.array
    if not isinstance(a, (np.ndarray, np.generic)):
        raise _error(f"'{_type_word(obj)}' object is not subscriptable")
    key = _index(index)
    parts = key if isinstance(key, tuple) else (key,)
    picked = [p for p in parts if isinstance(p, (np.ndarray, list))]
    if picked:              # advanced indexing: the picks times what each one picks
        per_pick = a.size // max(math.prod(a.shape[:len(picked)]), 1)
        check_size(rt, lambda args, kwargs: broadcast(picked, {}) * max(per_pick, 1),
                   [], {})
    return _result(rt, run("__getitem__", operator.getitem, [a, key], {}))


def store(rt, obj: NumpyArray, index: list, value) -> None:
    """a[index] = value, in a's memory (a tensor on it sees it)."""
    a = obj.array
    if not isinstance(a, np.ndarray):
        raise _error(f"'{_type_word(obj)}' object does not support item assignment")
    v = value.data if value.__class__ is Tensor else _arg(value)
    run("__setitem__", operator.setitem, [a, _index(index), v], {})


def rows(obj: NumpyArray) -> list:
    """for row in a: its rows (views, as numpy's iteration gives)."""
    a = obj.array
    hint = "a number has no items: a loop walks an array's rows"
    if not isinstance(a, np.ndarray):
        raise _error(f"'{_type_word(obj)}' object is not iterable", hint=hint)
    if a.ndim == 0:
        raise _error("iteration over a 0-d array", hint=hint)
    return [NumpyArray(r) for r in a]


def to_tensor_array(v: NumpyArray) -> np.ndarray:
    """The array torch.tensor(v) copies: a numpy scalar as a 0-d array, of a
    dtype a tensor can have."""
    a = np.array(v.array) if isinstance(v.array, np.generic) else v.array
    if not isinstance(a, np.ndarray):
        raise _error(f"Could not infer dtype of {_type_word(v)}")
    if any(s < 0 for s in a.strides):
        raise _error("At least one stride in the given numpy array is negative, and tensors "
                     "with negative strides are not currently supported. (You can probably "
                     "work around this by making a copy of your array  with array.copy().) ",
                     VALUE, hint="a[::-1].copy() is the reversed values in memory of their own")
    if a.dtype not in DTYPE_NAMES:
        raise _error(f"can't convert np.ndarray of type numpy.{a.dtype}. The only supported "
                     "types are: float64, float32, int64, int32, int16, int8, uint8, and bool.",
                     hint="a.astype(np.float32) first")
    return a

