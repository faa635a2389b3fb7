"""Text of values exactly as PyTorch's ``print`` shows them.

``format_tensor`` reproduces ``str(tensor)`` of PyTorch 2.13 for dense CPU
tensors of dtype float32, float64, the integer dtypes and bool under the print options
given as ``PrintOptions`` (``torch.set_printoptions``'s; by default precision
4, threshold 1000, edgeitems 3, linewidth 80, automatic scientific mode).  Its structure follows ``torch/_tensor_str.py`` piece by
piece; each helper names the PyTorch function it mirrors:

* ``_Formatter``        -- ``_Formatter``: chooses int mode (``4.``), fixed
  mode (``2.5000``) or scientific mode (``1.0000e-08``) from the non-zero
  finite values, and the common column width.
* ``_summarized``       -- ``get_summarized_data``: for tensors with more than
  ``threshold`` elements only the first and last ``edgeitems`` entries of
  every dimension are looked at (and printed, with ``...`` between).
* ``_body``             -- ``_tensor_str_with_formatter`` / ``_vector_str``:
  nested brackets, one extra space of indent per level, ``dim - 1`` newlines
  between slices, rows wrapped to ``linewidth`` columns.
* ``format_tensor``     -- ``_str_intern`` + ``_add_suffixes``: the
  ``tensor(`` prefix and the ``size=``, ``dtype=``, ``grad_fn=`` /
  ``requires_grad=True`` suffixes in PyTorch's order and wrapping.

The other printable values of a program (Python scalars, None, strings,
``torch.Size``, dtypes, tuples and lists of these) are handled by
``format_value`` / ``print_args`` following Python's own ``print``: ``str`` at
the top level, ``repr`` inside tuples and lists.  A tensor's repr is the same
text as its str, so tensors nested in containers print identically.

Value protocol for ``format_value`` (the engine is not imported here):

* ``None``, ``bool``, ``int``, ``float``, ``str`` -- Python semantics
  (numpy scalars are first converted with ``.item()``).
* ``Size`` (a tuple) prints ``torch.Size([2, 3])``; ``DType`` (a str holding a
  dtype name such as ``"float32"``) prints ``torch.float32``.
* ``Formatted`` (a str) is text that is already final, e.g. a tensor the caller
  formatted with ``format_tensor``; it prints verbatim everywhere.
* ``tuple`` / ``list`` / ``dict`` / ``set`` (and a dict's ``keys()``, ``values()``,
  ``items()``) -- Python's container repr of the above.
* anything else is handed to the ``tensor_str`` callback, which must return
  the tensor's text (typically by calling ``format_tensor``); without a
  callback such values raise ``TypeError``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from collections import OrderedDict

import numpy as np

from ..pycollections import PRINTED, SPECIAL_DICTS

__all__ = [
    "DEFAULT_OPTIONS", "DICT_VIEWS", "DType", "Formatted", "Layout", "MemoryFormat", "PrintOptions", "Size",
    "format_compact", "format_number", "format_tensor", "format_value", "print_args",
]



@dataclass(frozen=True, slots=True)
class PrintOptions:
    """torch._tensor_str.PRINT_OPTS: what set_printoptions() sets. The
    defaults are PyTorch's; ``sci_mode`` None lets each tensor's numbers
    choose (see _Formatter)."""
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


DEFAULT_OPTIONS = PrintOptions()
# set_printoptions(profile=...): each sets the four numbers (not sci_mode)
PROFILES = {"default": DEFAULT_OPTIONS, "short": PrintOptions(precision=2, edgeitems=2),
            "full": PrintOptions(threshold=math.inf)}

_NP_DTYPES = {
    "float32": np.float32,
    "float64": np.float64,
    "int64": np.int64,
    "int32": np.int32,
    "int16": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
    "float16": np.float16,
}
_FLOATING = frozenset({"float32", "float64", "float16"})
# dtypes printed without a ``dtype=`` suffix when the tensor is non-empty,
# besides the default float dtype (``has_default_dtype`` in ``_str_intern``);
# empty tensors show every dtype except the default float one.
_DEFAULT_DTYPES = frozenset({"int64", "bool"})

_PREFIX = "tensor("
_INDENT = len(_PREFIX)

# a module's state_dict() is an OrderedDict, as PyTorch's: otherwise a dict
DICTS = (dict, OrderedDict, *SPECIAL_DICTS)
# the classes of a dict's keys(), values() and items(): live views of it
# (then an OrderedDict's: odict_keys([...]))
DICT_VIEWS = (type({}.keys()), type({}.values()), type({}.items()),
              type(OrderedDict().keys()), type(OrderedDict().values()),
              type(OrderedDict().items()))


class Size(tuple):
    """A shape that prints like ``torch.Size``: ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "torch.Size([" + ", ".join(str(int(d)) for d in self) + "])"

    __str__ = __repr__


class Device(str):
    """A device (``Device("cpu")``, ``Device("cpu:0")``): str() is its type
    and index, repr() PyTorch's ``device(type='cpu')`` or
    ``device(type='cpu', index=0)`` (as print shows it inside a list)."""

    __slots__ = ()

    @property
    def type(self) -> str:
        return str.__str__(self).partition(":")[0]

    @property
    def index(self) -> int | None:
        index = str.__str__(self).partition(":")[2]
        return int(index) if index else None

    def __repr__(self) -> str:
        index = self.index
        return f"device(type='{self.type}'" + (")" if index is None else f", index={index})")


class TorchName(str):
    """The name of one of torch's objects (``torch.float32``,
    ``torch.channels_last``) that prints as ``torch.NAME``, inside a list
    too, and still compares equal to the plain name."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "torch." + str.__str__(self)

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(repr(self), spec)


class DType(TorchName):
    """A dtype name (``DType("float32")``) that prints as ``torch.float32``.

    It still compares equal to the plain name: ``DType("int64") == "int64"``.
    """

    __slots__ = ()


class Layout(TorchName):
    """A tensor's layout (``Layout("strided")``), printed as PyTorch's
    object, ``torch.strided``."""

    __slots__ = ()


class MemoryFormat(TorchName):
    """A memory format's name (``MemoryFormat("channels_last")``), printed
    as PyTorch's object, ``torch.channels_last``."""

    __slots__ = ()


class Formatted(str):
    """Final text for a value (e.g. a formatted tensor); printed verbatim,
    also inside tuples and lists (where a plain ``str`` would be quoted)."""

    __slots__ = ()


class NumpyArray:
    """What x.numpy() gives a program: the tensor's memory as a numpy array
    (later in-place writes to x show in it, as in PyTorch), which prints as
    numpy prints it and offers no more than its shape and tolist(): numpy's
    own methods would be a way out of the language (a.tofile())."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


NumpyArray.__name__ = NumpyArray.__qualname__ = "numpy.ndarray"    # (in errors and type())


# ---------------------------------------------------------------------------
# tensors


class _Formatter:
    """Mirror of ``torch._tensor_str._Formatter``.

    ``values`` is the flat list of Python scalars the formatter inspects (the
    whole tensor, or the summarized edges of a large one).  Floats are
    examined as doubles, as PyTorch does through ``Tensor.item()``.
    """

    __slots__ = ("floating", "int_mode", "precision", "sci_mode", "width")

    def __init__(self, values: list, floating: bool,
                 options: PrintOptions = DEFAULT_OPTIONS) -> None:
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        self.precision = precision = options.precision
        if not floating:
            # ints and bools: width of their Python str
            self.width = max(1, max(len(str(v)) for v in values)) if values else 1
            return
        isfinite = math.isfinite
        nz = [v for v in values if v != 0 and isfinite(v)]
        if not nz:
            return  # only zeros / nan / inf: int mode, width 1
        for v in nz:
            if not v.is_integer():
                self.int_mode = False
                break
        if options.sci_mode is None:
            lo = min(abs(v) for v in nz)
            hi = max(abs(v) for v in nz)
            self.sci_mode = hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        else:
            self.sci_mode = options.sci_mode
        if self.sci_mode:
            self.width = max(len(f"{v:.{precision}e}") for v in nz)
        elif self.int_mode:
            # the "+ 1" is the trailing "." of "4."
            self.width = max(len(f"{v:.0f}") for v in nz) + 1
        else:
            self.width = max(len(f"{v:.{precision}f}") for v in nz)

    def format(self, value: Any) -> str:
        """``_Formatter.format``: one element, right-aligned to the width."""
        if self.floating:
            if self.sci_mode:
                ret = f"{value:{self.width}.{self.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if math.isfinite(value):
                    ret += "."
            else:
                ret = f"{value:.{self.precision}f}"
        else:
            ret = str(value)
        return ret.rjust(self.width)


def _summarized(arr: np.ndarray, edgeitems: int) -> tuple[np.ndarray, tuple[bool, ...]]:
    """``get_summarized_data``: keep the first and last ``edgeitems`` entries
    of every dimension longer than ``2 * edgeitems``.  Also returns, per
    dimension, whether it was cut (where ``...`` goes when printing)."""
    cut = tuple(n > 2 * edgeitems for n in arr.shape)
    idx = list(range(edgeitems)) + list(range(-edgeitems, 0))
    for axis, c in enumerate(cut):
        if c:
            arr = np.take(arr, idx, axis=axis)
    return arr, cut


def _body(nested: Any, depth: int, ndim: int, indent: int, cut: tuple[bool, ...] | None,
          fmt: Callable[[Any], str], width: int, oneline: bool = False,
          options: PrintOptions = DEFAULT_OPTIONS) -> str:
    """``_tensor_str_with_formatter`` / ``_vector_str`` on nested lists.

    ``cut`` marks the dimensions that were summarized (``None``: no
    summarization); ``oneline`` joins everything with ", " (compact labels).
    """
    dim = ndim - depth
    if dim == 0:
        return fmt(nested)
    summarize = cut is not None and cut[depth]
    edge = options.edgeitems
    if dim == 1:
        if summarize and not edge:          # PyTorch's: "..." alone, without its space
            data = ["..."]
        elif summarize:
            data = [fmt(v) for v in nested[:edge]] + [" ..."] + [fmt(v) for v in nested[-edge:]]
        else:
            data = [fmt(v) for v in nested]
        if oneline:
            return "[" + ", ".join(data) + "]"
        # element_length includes the ", " between elements
        per_line = max(1, (options.linewidth - indent) // (width + 2))
        lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"

    def sub(rows: Iterable[Any]) -> list[str]:
        return [_body(r, depth + 1, ndim, indent + 1, cut, fmt, width, oneline, options)
                for r in rows]

    if summarize:
        # (nested[-0:] would be all of it: no edges, no rows)
        slices = sub(nested[:edge]) + ["..."] + (sub(nested[-edge:]) if edge else [])
    else:
        slices = sub(nested)
    sep = ", " if oneline else "," + "\n" * (dim - 1) + " " * (indent + 1)
    return "[" + sep.join(slices) + "]"


def _as_array(data: Any, dtype: str) -> np.ndarray:
    try:
        np_dtype = _NP_DTYPES[dtype]
    except KeyError:
        raise ValueError(f"unsupported dtype {dtype!r}; expected one of "
                         f"{', '.join(_NP_DTYPES)}") from None
    return np.asarray(data, dtype=np_dtype)


def _contents(arr: np.ndarray, dtype: str, indent: int, oneline: bool = False,
              options: PrintOptions = DEFAULT_OPTIONS) -> str:
    """``_tensor_str`` for a non-empty tensor: the bracketed body."""
    cut = None
    shown = arr
    if arr.size > options.threshold:
        shown, cut = _summarized(arr, options.edgeitems)
    formatter = _Formatter(shown.ravel().tolist(), dtype in _FLOATING, options)
    return _body(shown.tolist(), 0, arr.ndim, indent, cut, formatter.format,
                 formatter.width, oneline, options)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int,
                  linewidth: int = DEFAULT_OPTIONS.linewidth) -> str:
    """``_add_suffixes``: ``, suffix`` on the last line while it fits in
    ``linewidth`` columns, else on a new line indented under the prefix.
    (The ``+ 1`` in the last-line length is PyTorch's, kept for identical
    wrapping.)"""
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# Python's float formatting refuses a precision past a C int with the first
# message and one past a Py_ssize_t with the second ...
_PRECISION_TOO_LARGE = ("precision too big", "Too many decimal digits")
# ... and a negative one, or one not an int (1.5, 'a'), with these
_PRECISION_NOT_INT = ("Format specifier missing precision", "Invalid format specifier")


def format_tensor(data: np.ndarray, dtype: str, *, requires_grad: bool = False,
                  grad_fn: str | None = None, tangent: str | None = None,
                  options: PrintOptions = DEFAULT_OPTIONS,
                  default_float: str = "float32") -> str:
    """``str(t)`` of a CPU tensor (see _format_tensor); a precision set that
    Python's float formatting refuses (too large, negative, not an int) is
    PyTorch's ValueError, as it meets it at the print (set_printoptions
    takes any value)."""
    try:
        return _format_tensor(data, dtype, requires_grad=requires_grad, grad_fn=grad_fn,
                              tangent=tangent, options=options, default_float=default_float)
    except ValueError as exc:
        if not str(exc).startswith(_PRECISION_TOO_LARGE + _PRECISION_NOT_INT):
            raise
        from ..errors import GradvizError
        what = "too large" if str(exc).startswith(_PRECISION_TOO_LARGE) else "not a digit count"
        raise GradvizError(str(exc), kind="ValueError",
                           hint=f"torch.set_printoptions(precision=...) is {what} to format: "
                                "use a precision such as 4 (the default) or 10") from None


def _format_tensor(data: np.ndarray, dtype: str, *, requires_grad: bool = False,
                   grad_fn: str | None = None, tangent: str | None = None,
                   options: PrintOptions = DEFAULT_OPTIONS,
                   default_float: str = "float32") -> str:
    """``str(t)`` of a CPU tensor holding ``data`` (``_str_intern``).

    ``dtype``: "float32", "float64", "int64" or "bool"; ``data`` is converted
    to it.  ``grad_fn`` is the node's class name, e.g. ``"MulBackward0"``
    (printed ``grad_fn=<MulBackward0>``); otherwise ``requires_grad=True`` is
    printed for a leaf that requires grad. ``tangent``: a dual tensor's
    tangent as PyTorch formats it (``tangent=...``, last). ``options``: the
    print options in force. ``default_float``: torch.get_default_dtype() at
    the print, the float dtype left unnamed.
    """
    arr = _as_array(data, dtype)
    suffixes = []
    if arr.size == 0:
        # as NumPy: the shape is shown unless it is (0,); and the dtype cannot
        # be inferred from elements, so any non-default dtype is shown
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(int(n) for n in arr.shape)))
        if dtype != default_float:
            suffixes.append("dtype=torch." + dtype)
        body = "[]"
    else:
        if not options.edgeitems:        # PyTorch's: the body may be just "[...]"
            suffixes.append("size=" + str(tuple(int(n) for n in arr.shape)))
        if dtype != default_float and dtype not in _DEFAULT_DTYPES:
            suffixes.append("dtype=torch." + dtype)
        body = _contents(arr, dtype, _INDENT, options=options)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    if tangent is not None:
        suffixes.append("tangent=" + tangent)
    return _add_suffixes(_PREFIX + body, suffixes, _INDENT, options.linewidth)


def set_options(options: PrintOptions, precision=None, threshold=None, edgeitems=None,
                linewidth=None, profile=None, sci_mode=None) -> PrintOptions:
    """The options after ``torch.set_printoptions(...)``: a known profile
    first resets the four numbers (an unknown one is ignored, as PyTorch
    does), then each number given replaces its own; sci_mode is always set
    (so leaving it out means automatic again)."""
    if profile in PROFILES:
        base = PROFILES[profile]
        options = replace(options, precision=base.precision, threshold=base.threshold,
                          edgeitems=base.edgeitems, linewidth=base.linewidth)
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    return replace(options, sci_mode=sci_mode,
                   **{k: v for k, v in given.items() if v is not None})


def format_number(x: float | int | bool) -> str:
    """A scalar as PyTorch prints a 0-d tensor's contents, for short labels.

    Floats: ``3.0 -> "3."``, ``2.5 -> "2.5000"``, ``-0.125 -> "-0.1250"``,
    ``1e-8 -> "1.0000e-08"``, ``123456789.0 -> "1.2346e+08"``, ``nan -> "nan"``,
    ``-0.0 -> "-0."`` (fixed 4 decimals, scientific below 1e-4 or above 1e8,
    integers with a trailing dot).  Ints and bools: Python's ``str``.
    """
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, (bool, int)):
        return str(x)
    x = float(x)
    return _Formatter([x], True).format(x)


def format_compact(data: np.ndarray, dtype: str, max_elems: int = 8) -> str:
    """A one-line summary of a tensor for labels.

    * 1 to ``max_elems`` elements: the values exactly as ``print`` shows them
      (same element text and padding), without ``tensor(`` and suffixes, all
      on one line with ", " between rows: ``28.``, ``[ 0.,  4.,  8., 12.]``,
      ``[[1., 2.], [3., 4.]]``, ``[ True, False]``.
    * no elements: ``[]``, plus ``, size=(0, 3)`` when the shape is not (0,).
    * more elements: ``MIN … MAX, mean MEAN, size=(D0, D1, ...)`` with
      ``format_number`` for floats (mean computed in float64; nan propagates),
      ints for int64 (mean as a float), and for bool min/max as
      ``False``/``True`` and the mean as the fraction of True values.
      Example: ``-1.2000 … 3.5000, mean 0.1234, size=(100, 3)``.
    """
    arr = _as_array(data, dtype)
    size = str(tuple(int(n) for n in arr.shape))
    if arr.size == 0:
        return "[]" if arr.ndim == 1 else "[], size=" + size
    if arr.size <= max_elems:
        return _contents(arr, dtype, 0, oneline=True)
    lo, hi = arr.min().item(), arr.max().item()
    with np.errstate(all="ignore"):          # inf and -inf make a nan mean: shown, not warned
        mean = float(np.mean(arr, dtype=np.float64))
    return (f"{format_number(lo)} … {format_number(hi)}, "
            f"mean {format_number(mean)}, size={size}")


# ---------------------------------------------------------------------------
# other values and print()


def format_value(v: Any, tensor_str: Callable[[Any], str] | None = None) -> str:
    """What ``print(v)`` shows (``str(v)``), per the module's value protocol.

    ``tensor_str(t)`` is called for any value that is not one of the known
    kinds (tensors), at any nesting depth.
    """
    return _value(v, tensor_str, True)


def repr_value(v: Any, tensor_str: Callable[[Any], str] | None = None) -> str:
    """``repr(v)``: as format_value, but a string in quotes."""
    return _value(v, tensor_str, False)


def _value(v: Any, tensor_str: Callable[[Any], str] | None, top: bool) -> str:
    if v is None:
        return "None"
    if isinstance(v, (Formatted, Size, TorchName)):
        return str(v)
    if v.__class__ is NumpyArray:
        return str(v.array) if top else repr(v.array)
    if isinstance(v, str):
        return str.__str__(v) if top else repr(v)
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (bool, int, float)):
        # Python's str and repr agree for these
        return repr(v)
    if isinstance(v, PRINTED):     # Counter({'a': 2}), deque([1]), Point(x=1, y=2)
        return v.text(lambda x: _value(x, tensor_str, False))
    if isinstance(v, tuple):
        items = [_value(x, tensor_str, False) for x in v]
        if len(items) == 1:
            return "(" + items[0] + ",)"
        return "(" + ", ".join(items) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(_value(x, tensor_str, False) for x in v) + "]"
    if v.__class__ is OrderedDict:       # OrderedDict([('0.weight', tensor(...)), ...])
        return f"OrderedDict({_value(list(v.items()), tensor_str, False)})" if v else \
            "OrderedDict()"
    if isinstance(v, dict):
        return "{" + ", ".join(_value(k, tensor_str, False) + ": " + _value(x, tensor_str, False)
                               for k, x in v.items()) + "}"
    if isinstance(v, (set, frozenset)):   # {1, 2}, set(), frozenset({1}): Python's order
        items = ", ".join(_value(x, tensor_str, False) for x in v)
        if v.__class__ is frozenset:
            return f"frozenset({{{items}}})" if v else "frozenset()"
        return "{" + items + "}" if v else "set()"
    if v.__class__ in DICT_VIEWS:         # dict_keys(['w', 'b'])
        return f"{v.__class__.__name__}({_value(list(v), tensor_str, False)})"
    if tensor_str is not None:
        # (repr's form of a value, and of one inside a container, is the
        # callback's `repr` where it has one: a program's object's __repr__)
        nested = None if top else getattr(tensor_str, "repr", None)
        return (nested or tensor_str)(v)
    raise TypeError(f"cannot format value of type {type(v).__name__}")


def print_args(args: Iterable[Any], sep: str = " ", end: str = "\n",
               tensor_str: Callable[[Any], str] | None = None) -> str:
    """The text ``print(*args, sep=sep, end=end)`` writes."""
    return sep.join(_value(a, tensor_str, True) for a in args) + end
