"""torch functions and tensor methods that count and look up values:
unique, unique_consecutive, bincount, histc, searchsorted, bucketize,
nonzero_static.
Their integer results make no node; unique's values do (ops/counting.py),
as does bincount's with weights that require grad. Imported by
functions.py, whose FUNCTIONS and METHODS tables they join.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, TYPE, GradvizError
from .forward_ad import refuse_dual
from .functions import _dim, _need_tensor, is_tensor
from .ops import OPS
from .ops.counting import unique_parts
from .selection import _as_method

INT_HINT = "whole numbers: an int64 tensor, e.g. labels or torch.tensor([0, 2, 2])"


def _index_of(rt, t, label):
    return F._leaf(rt, np.asarray(t, np.int64), False, label)


def _unique(rt, x, dim, return_inverse, return_counts, consecutive, name, sorted=True):
    d = None if dim is None else _dim(dim, x.data.ndim)
    if d is not None and x.data.ndim == 0:
        raise GradvizError(f"Dimension out of range (expected to be in range of [-1, 0], but "
                           f"got {dim})", kind="IndexError", hint="a 0-d tensor has no dims")
    kernel = "unique_consecutive" if consecutive else "_unique2" if d is None else "unique_dim"
    # (the kernel's bools, which torch.unique's Python passes on by name: no position)
    for arg, v in (("sorted", sorted), ("return_inverse", return_inverse),
                   ("return_counts", return_counts))[consecutive:]:
        F.bool_arg(kernel, arg, v)
    refuse_dual(rt, (x,), kernel, "forward mode cannot pass through unique; take the values "
                                  "with x.detach()")
    _, inverse, counts = unique_parts(x.data, d, consecutive)
    values = rt.apply(OPS["unique"], (x,), {"dim": d, "consecutive": consecutive})
    if not (return_inverse or return_counts):
        return values
    out = [values]
    if return_inverse:
        out.append(_index_of(rt, inverse, f"{name}.inverse"))
    if return_counts:
        out.append(_index_of(rt, counts, f"{name}.counts"))
    return tuple(out)


def f_unique(rt, input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of x (or distinct slices along dim), sorted (as
    PyTorch's CPU unique, also with sorted=False), with the inverse (where
    each element went) and counts when asked."""
    x = _need_tensor(input, "unique")
    return _unique(rt, x, dim, return_inverse, return_counts, False, "unique", sorted)


def f_unique_consecutive(rt, input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal values (or slices along dim) once, in order."""
    x = _need_tensor(input, "unique_consecutive")
    return _unique(rt, x, dim, return_inverse, return_counts, True, "unique_consecutive")


def f_bincount(rt, input, weights=None, minlength=0):
    """How often each whole number 0, 1, ... occurs in x (or the sum of
    its weights), at least minlength of them."""
    x = _need_tensor(input, "bincount")
    idx = x.data
    if idx.dtype.kind not in "iu":
        raise GradvizError(f"\"bincount_cpu\" not implemented for '{F.type_word(idx.dtype)}'",
                           kind="NotImplementedError", hint=f"bincount counts {INT_HINT}")
    if idx.ndim != 1 or (idx < 0).any():
        raise GradvizError("bincount only supports 1-d non-negative integral inputs.",
                           kind=RUNTIME, hint=f"bincount counts {INT_HINT}, 0 or more, "
                                              "in a 1-d tensor (x.flatten())")
    minlength = F.read_int(minlength)       # (a 0-d integer tensor is its int)
    if isinstance(minlength, bool) or not isinstance(minlength, int):
        raise GradvizError(f"bincount(): argument 'minlength' (position 3) must be int, not "
                           f"{F.arg_type_name(minlength)}", kind=TYPE, hint="minlength=10")
    if minlength < 0:
        raise GradvizError("minlength should be >= 0", kind=RUNTIME,
                           hint="minlength is the least length of the result")
    length = max(int(idx.max()) + 1 if idx.size else 0, minlength)
    rt.tape.check_size(length)
    if weights is None:
        return F._leaf(rt, np.bincount(idx, minlength=length).astype(np.int64), False,
                       "bincount")
    w = _need_tensor(weights, "bincount", 2, "weights")
    if w.data.ndim != 1 or w.data.shape[0] != idx.shape[0]:
        raise GradvizError("weights should be 1-d and have the same length as input",
                           kind=RUNTIME, hint="one weight per element of x")
    # float weights keep their dtype; others are summed as float64, as PyTorch's
    dt = w.data.dtype if w.data.dtype.kind == "f" else np.dtype(np.float64)
    return rt.apply(OPS["bincount"], (w,), {"index": idx.astype(np.int64), "length": length,
                                            "dtype": dt})


def _number(v, name: str, pos: int | None) -> float:
    """histc's min= or max=: a number (a one-element tensor is its number)."""
    if F.is_tensor(v) and v.data.size == 1:
        return float(v.data.item())
    if not isinstance(v, (int, float)):
        where = f" (position {pos})" if pos else ""
        raise GradvizError(f"histc(): argument '{name}'{where} must be Number, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint=f"{name}= is a number: histc(x, bins=10, min=0.0, max=1.0)")
    return float(v)


@F.keywords_seen
def f_histc(rt, input, bins=100, min=0, max=0, *, keywords=frozenset()):
    """A histogram of x's values in `bins` equal bins from min to max (x's
    own range when both are 0); values outside are not counted."""
    x = _need_tensor(input, "histc", F.position(keywords, "input", 1), "input")
    data = x.data
    if data.dtype.kind != "f":
        raise GradvizError(f"\"histogram_cpu\" not implemented for '{F.type_word(data.dtype)}'",
                           kind="NotImplementedError", hint="histc takes floats: x.float()")
    if F.is_tensor(bins) and bins.data.size == 1 and bins.data.dtype.kind in "iu":
        bins = int(bins.data.item())      # (a one-element int tensor is its number, as in PyTorch)
    if isinstance(bins, bool) or not isinstance(bins, int):
        where = "" if "bins" in keywords else " (position 2)"
        raise GradvizError(f"histc(): argument 'bins'{where} must be int, not "
                           f"{F.arg_type_name(bins)}", kind=TYPE, hint="bins=10")
    if bins <= 0:
        raise GradvizError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0",
                           kind=RUNTIME, hint="bins is how many bins: bins=10")
    lo, hi = (_number(v, name, F.position(keywords, name, pos))
              for v, name, pos in ((min, "min", 3), (max, "max", 4)))
    if lo > hi:
        raise GradvizError("torch.histc: max must be larger than min", kind=RUNTIME,
                           hint="min=, max= give the range counted")
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GradvizError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite", kind=RUNTIME,
                           hint="min= and max= (and x's values, when they are left out) must "
                                "be finite")
    rt.tape.check_size(bins)
    flat = data.reshape(-1)
    left, right = data.dtype.type(lo), data.dtype.type(hi)
    inside = flat[(flat >= left) & (flat <= right)]
    with np.errstate(over="ignore"):
        width = right - left
    if left == right:
        # (a range too narrow for x's dtype, 1e30 +- 1: PyTorch counts it in the middle bin)
        pos = np.full(inside.shape, bins // 2, np.int64)
    elif not np.isfinite(width):
        pos = np.zeros(0, np.int64)      # (too wide for x's dtype: PyTorch counts nothing)
    else:
        # PyTorch's linear bins: (v - min) * bins / (max - min), in x's dtype,
        # the right edge counted in the last bin
        with np.errstate(over="ignore", invalid="ignore"):
            pos = ((inside - left) * data.dtype.type(bins) / (right - left)).astype(np.int64)
        pos = np.clip(pos, 0, bins - 1)
    return F._leaf(rt, np.bincount(pos, minlength=bins).astype(data.dtype), False, "histc")


def _lookup(rt, boundaries: np.ndarray, values, right: bool, out_int32: bool, label: str):
    """searchsorted's positions, row by row where the boundaries are a batch."""
    side = "right" if right else "left"
    if boundaries.ndim == 1:
        pos = np.searchsorted(boundaries, values, side=side)
    else:
        rows = boundaries.reshape(-1, boundaries.shape[-1])
        vals = values.reshape(len(rows), -1)
        pos = np.stack([np.searchsorted(b, v, side=side) for b, v in zip(rows, vals)])
        pos = pos.reshape(values.shape)
    return F._leaf(rt, np.asarray(pos, np.int32 if out_int32 else np.int64), False, label)


def _values(v, fname):
    if is_tensor(v):
        return v.data
    if isinstance(v, (int, float)):          # (a bool is a Number to PyTorch's parser: 0 or 1)
        return np.asarray(int(v) if v.__class__ is bool else v)
    raise GradvizError(f"{fname}(): argument 'input' must be Tensor or a number, not "
                       f"{F.arg_type_name(v)}", kind=TYPE, hint="the values to look up")


def f_searchsorted(rt, sorted_sequence, input, *, out_int32=False, right=False, side=None,
                   sorter=None):
    """Where each value would go in the sorted boundaries (the last dim),
    to keep them sorted: the first such place, or the last (right=True,
    side='right')."""
    seq = _need_tensor(sorted_sequence, "searchsorted", 1, "sorted_sequence")
    values = _values(input, "searchsorted")
    if side is not None:
        if side not in ("left", "right"):
            raise GradvizError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}", kind=RUNTIME, hint="side='left' or 'right'")
        if right and side == "left":
            raise GradvizError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True",
                               kind=RUNTIME, hint="give one of side= and right=")
        right = side == "right"
    bounds = seq.data
    if bounds.ndim == 0:
        raise GradvizError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension", kind=RUNTIME,
                           hint="the boundaries are a sorted 1-d tensor")
    if bounds.ndim > 1 and bounds.shape[:-1] != values.shape[:-1]:
        raise GradvizError("torch.searchsorted(): boundaries tensor should be 1 dimension or "
                           "the first N-1 dimensions of boundaries tensor and input value "
                           f"tensor must match, but we got boundaries tensor "
                           f"{list(bounds.shape)} and input value tensor {list(values.shape)}",
                           kind=RUNTIME, hint="one row of boundaries per row of values, or "
                                              "one 1-d tensor of boundaries for all")
    if sorter is not None:
        order = _need_tensor(sorter, "searchsorted", 5, "sorter").data
        bounds = np.take_along_axis(bounds, order, -1)
    return _lookup(rt, bounds, values, bool(right), bool(out_int32), "searchsorted")


def f_bucketize(rt, input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value among sorted 1-d boundaries: i where
    boundaries[i-1] < v <= boundaries[i] (right=True: <= v <)."""
    values = _values(input, "bucketize")
    bounds = _need_tensor(boundaries, "bucketize", 2, "boundaries").data
    if bounds.ndim != 1:
        raise GradvizError(f"boundaries tensor must be 1 dimension, but got dim({bounds.ndim})",
                           kind=RUNTIME, hint="the boundaries are a sorted 1-d tensor")
    return _lookup(rt, bounds, values, bool(right), bool(out_int32), "bucketize")


def f_nonzero_static(rt, input, *, size, fill_value=-1):
    """x.nonzero() of a fixed number of rows: the first size of them,
    padded with rows of fill_value (a 0-d x's rows have no columns)."""
    x = _need_tensor(input, "nonzero_static")
    # (the argument parser takes a 0-d integer tensor for an int)
    size, fill_value = (int(v.data.item()) if is_tensor(v) else v for v in (size, fill_value))
    if size < 0:
        raise GradvizError("nonzero_static: 'size' must be an non-negative integer",
                           kind=RUNTIME, hint="size is the number of rows the result has")
    rows = F.FUNCTIONS["nonzero"](rt, x).data
    rt.tape.check_size(size * rows.shape[1], "result")
    out = np.full((size, rows.shape[1]), fill_value, np.int64)
    found = min(size, len(rows))
    out[:found] = rows[:found]
    return F._leaf(rt, out, False, "nonzero_static")


def _histogram_range(data: np.ndarray, range) -> tuple:
    """The outer edges of histogram's equal bins: range, or the data's
    least and greatest values ([0, 1] for no data), widened by 0.5 either
    way where they are one value; PyTorch's checks of them."""
    if range is not None:
        if len(range) != 2:
            raise GradvizError("torch.histogramdd: for a 1-dimensional histogram range should "
                               f"have 2 elements, but got {len(range)}", kind=RUNTIME,
                               hint="range=(low, high)")
        lo, hi = (float(v) for v in range)
    elif data.size:
        lo, hi = float(data.min()), float(data.max())
    else:
        lo, hi = 0.0, 1.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GradvizError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not "
                           "finite", kind=RUNTIME,
                           hint="range= (and x's values, when it is left out) must be finite")
    if lo > hi:
        raise GradvizError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} "
                           f"max {hi:g} for dimension 0", kind=RUNTIME, hint="range=(low, high)")
    return (lo - 0.5, hi + 0.5) if lo == hi else (lo, hi)


def _histogram_edges(rt, data: np.ndarray, bins, range) -> np.ndarray:
    """The bin edges: a tensor of them as given, or bins equal bins over
    the range (PyTorch's linspace in the input's dtype)."""
    if is_tensor(bins):
        edges = bins.data
        if edges.dtype != data.dtype:
            raise GradvizError(f"torch.histogramdd: input tensor and bins tensors should have the "
                               f"same dtype, but got input with dtype {F.cpp_type_word(data.dtype)}"
                               f" and bins for dimension 0 with dtype "
                               f"{F.cpp_type_word(edges.dtype)}", kind=RUNTIME,
                               hint="convert the edges: bins.to(x.dtype)")
        if edges.ndim != 1:
            raise GradvizError(f"torch.histogramdd: bins tensor should have one dimension, but "
                               f"got {edges.ndim} dimensions in the bins tensor for dimension 0",
                               kind=RUNTIME, hint="the edges are a 1-d tensor")
        count = edges.size - 1
    else:
        count = int(bins.data.item()) if is_tensor(bins) else bins
    if count <= 0:
        raise GradvizError(f"torch.histogram(): bins must be > 0, but got {count} for "
                           "dimension 0", kind=RUNTIME, hint="bins is how many bins: bins=10")
    if is_tensor(bins):
        return edges
    rt.tape.check_size(count)
    lo, hi = _histogram_range(data, range)
    return F._linspace(data.dtype.type(lo), data.dtype.type(hi), count + 1)


def _histogram_weights(weight, data: np.ndarray):
    """weight=, one for each of the input's values, of its dtype."""
    w = _need_tensor(weight, "histogram", None, "weight")
    if w.data.size != data.size:
        said = (f" it should have the same shape as the input tensor excluding its innermost "
                f"dimension, but got input with shape {[data.size, 1]} and weight with shape "
                f"{list(w.data.shape)}", "one weight for each of x's values")
    elif w.data.dtype != data.dtype:
        said = (f", input tensor and weight tensor should have the same dtype, but got "
                f"input({F.cpp_type_word(data.dtype)}), and "
                f"weight({F.cpp_type_word(w.data.dtype)})",
                "convert the weights: weight.to(x.dtype)")
    else:
        return w
    raise GradvizError(f"torch.histogramdd: if weight tensor is provided{said[0]}", kind=RUNTIME,
                       hint=said[1])


def f_histogram(rt, input, bins=100, *, range=None, weight=None, density=False):
    """torch.return_types.histogram(hist, bin_edges): how many of x's values
    (or how much of their weights) fall in each bin, a value on an inner
    edge counted in the bin to its right, on the last edge in the last."""
    x = _need_tensor(input, "histogram")
    data = x.data
    if data.dtype.kind != "f":
        raise GradvizError(f"\"histogramdd\" not implemented for '{F.type_word(data.dtype)}'",
                           kind="NotImplementedError", hint="histogram takes floats: x.float()")
    edges = _histogram_edges(rt, data, bins, range)
    inputs = (x,) if weight is None else (x, _histogram_weights(weight, data))
    params = {"edges": edges, "linear": not is_tensor(bins), "density": bool(density)}
    hist = rt.apply(OPS["histogram"], inputs, params)
    return F.ReturnTypes("histogram", hist, rt.apply(OPS["histogram_edges"], inputs, params),
                         fields=("hist", "bin_edges"))


def f_histogramdd(rt, input, bins, *, range=None, weight=None, density=False):
    """torch.return_types.histogramdd(hist, bin_edges): the histogram of the
    points x (..., D) in D dims, bins an int, one int per dim or one tensor
    of edges per dim, range= a low and a high per dim; the edges a tuple of
    tensors, one per dim."""
    x = _need_tensor(input, "histogramdd")
    data = x.data
    if data.ndim < 2:
        raise GradvizError("torch.histogramdd: input tensor should have at least 2 dimensions",
                           kind=RUNTIME, hint="the points are (N, D): one row per point")
    if data.dtype.kind != "f":
        raise GradvizError(f"\"histogramdd\" not implemented for '{F.type_word(data.dtype)}'",
                           kind="NotImplementedError", hint="histogramdd takes floats: x.float()")
    points = data.reshape(-1, data.shape[-1])
    dims = points.shape[1]
    per_dim = [bins] * dims if isinstance(bins, int) or is_tensor(bins) else list(bins)
    if len(per_dim) != dims:
        raise GradvizError("histogramdd: The size of bins must be equal to the innermost "
                           "dimension of the input.", kind=RUNTIME,
                           hint=f"one bins entry for each of the {dims} dims")
    ranges = [None] * dims if range is None else list(zip(range[0::2], range[1::2]))
    edges = [_histogram_edges(rt, points[:, k], b, r) for k, (b, r) in
             enumerate(zip(per_dim, ranges))]
    inputs = (x,) if weight is None else (x, _histogram_weights(weight, points[:, 0]))
    linear = tuple(not is_tensor(b) for b in per_dim)
    hist = rt.apply(OPS["histogramdd"], inputs, {"edges": tuple(edges), "linear": linear,
                                                 "density": bool(density)})
    bin_edges = tuple(rt.apply(OPS["histogram_edges"], inputs, {"edges": e}) for e in edges)
    return F.ReturnTypes("histogramdd", hist, bin_edges, fields=("hist", "bin_edges"))


_HISTOGRAM = ("Tensor bins, *, Tensor weight = None, bool density = False",
              "int bins = 100, *, tuple of floats range = None, Tensor weight = None, "
              "bool density = False")
FUNCTIONS = {
    "unique": f_unique, "unique_consecutive": f_unique_consecutive, "bincount": f_bincount,
    "histc": f_histc, "searchsorted": f_searchsorted, "bucketize": f_bucketize,
    "nonzero_static": checked(f_nonzero_static, "nonzero_static",
                              forms("(Tensor input, *, int size, int fill_value = -1, "
                                    "Tensor out = None)"), method=False),
    "histogramdd": f_histogramdd,
    "histogram": checked(f_histogram, "histogram",
                         forms(*(f"(Tensor input, {form}, tuple out = None)"
                                 for form in _HISTOGRAM)), method=False),
}
METHODS = {name: _as_method(name, FUNCTIONS[name])
           for name in ("unique", "unique_consecutive", "bincount", "histc")}
METHODS["nonzero_static"] = checked(f_nonzero_static, "nonzero_static",
                                    forms("(*, int size, int fill_value = -1)"), method=True)
METHODS["histogram"] = checked(f_histogram, "histogram",
                               forms(*(f"({form})" for form in _HISTOGRAM)), method=True)
