"""torch functions and tensor methods that write at indices: scatter (src
or value, reduce=), scatter_add, scatter_reduce, index_add, index_copy,
index_fill (each with its in-place form x.NAME_()) and take_along_dim.
PyTorch's argument checks in its words, then the ops of ops/scatter.py.
Imported by functions.py, whose FUNCTIONS and METHODS tables they join.
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, GradvizError
from .forward_ad import refuse_dual
from .functions import _dim, _need_tensor, invalid_combination, is_tensor
from .ops import OPS
from .ops.registry import broadcast_shape
from .selection import _as_method

SCATTER_REDUCES = ("sum", "prod", "mean", "amax", "amin")
INDEX_HINT = "indices are an int64 tensor: torch.tensor([0, 2]) or i.long()"


def _whole(v) -> bool:
    v = F.read_int(v)           # (a 0-dim integer tensor is PyTorch's int too)
    return isinstance(v, int) and not isinstance(v, bool)


def _number(v) -> bool:
    return isinstance(v, (int, float))       # (bool too: a bool tensor's value)


def _flat0(a: np.ndarray) -> np.ndarray:
    """A 0-d array as one element (PyTorch treats a 0-d tensor as size [1] here)."""
    return a.reshape(1) if a.ndim == 0 else a


def _as_1d(rt, t):
    """t itself, or a 0-d t as a 1-element tensor (reshaped back by the caller)."""
    return F.f_reshape(rt, t, 1) if t.data.ndim == 0 else t


def _back(rt, out, shape):
    return F.f_reshape(rt, out, *shape) if out.data.shape != shape else out


# ---- scatter, scatter_add, scatter_reduce ---------------------------------------

def _scatter_index(x, dim, index, src=None) -> tuple:
    """dim (non-negative) and the index as int64, after PyTorch's checks of
    scatter's arguments, in its order (index dtype, src dtype, dims, sizes,
    bounds)."""
    x = _need_tensor(x, "scatter")
    index = _need_tensor(index, "scatter", 3, "index")
    if not _whole(dim):
        raise invalid_combination("scatter", [x, dim, index] + ([src] if src is not None else []),
                                  hint="x.scatter(dim, index, src), dim a whole number")
    idx = index.data
    if idx.dtype not in (np.int64, np.int32):
        raise GradvizError("scatter(): Expected dtype int32/int64 for index", kind=RUNTIME,
                           hint=INDEX_HINT)
    if src is not None and src.data.dtype != x.data.dtype:
        raise GradvizError("scatter(): Expected self.dtype to be equal to src.dtype",
                           kind=RUNTIME, hint=f"src is {F.type_word(src.data.dtype)}, x "
                           f"{F.type_word(x.data.dtype)}: convert one, e.g. src.to(x.dtype)")
    d = _dim(dim, x.data.ndim)
    nd = max(x.data.ndim, 1)
    if idx.size and max(idx.ndim, 1) != nd:
        raise GradvizError("Index tensor must have the same number of dimensions as self tensor",
                           kind=RUNTIME, hint=f"index needs {nd} dims like x (unsqueeze it)")
    if src is not None and idx.size and max(src.data.ndim, 1) != max(idx.ndim, 1):
        raise GradvizError("Index tensor must have the same number of dimensions as src tensor",
                           kind=RUNTIME, hint="src needs as many dims as index")
    if not idx.size and max(idx.ndim, 1) != nd:
        idx = idx.reshape((0,) * nd)      # (an empty index writes nothing, whatever its dims)
    idx = _flat0(idx).astype(np.int64)
    shape = _flat0(x.data).shape
    if idx.size:
        src_shape = _flat0(src.data).shape if src is not None else None
        too_big = any(i > s for k, (i, s) in enumerate(zip(idx.shape, shape)) if k != d)
        if src_shape is not None:
            too_big = too_big or any(i > s for i, s in zip(idx.shape, src_shape))
        if too_big:
            said = f" and to be no larger size than src {list(src_shape)}" if src_shape else ""
            raise GradvizError(f"Expected index {list(idx.shape)} to be no larger than self "
                               f"{list(x.data.shape)} apart from dimension {d}{said}",
                               kind=RUNTIME, hint="index may be smaller than x and src, not larger")
        bad = idx[(idx < 0) | (idx >= shape[d])]
        if bad.size:
            raise GradvizError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension {d} "
                               f"with size {shape[d]}", kind=RUNTIME,
                               hint=f"indices along dim {d} go from 0 to {shape[d] - 1}, no "
                                    "negative ones")
    return d, idx


def _src_tensor(src, fname, pos=4):
    return _need_tensor(src, fname, pos, "src")


def f_scatter(rt, input, dim, index, *args, value=None, reduce=None, **kw):
    """scatter(input, dim, index, src) or (..., value): input with src's
    values (or the value) written where index points along dim. A number
    given positionally is the value; src= takes only a tensor."""
    if len(args) > 1 or kw.keys() - {"src"} or (args and kw):
        raise invalid_combination("scatter", [input, dim, index, *args, *kw.values()],
                                  hint="x.scatter(dim, index, src) or x.scatter(dim, index, "
                                       "value)")
    src = args[0] if args else kw.get("src")
    x = _need_tensor(input, "scatter")
    if value is None and is_tensor(src):
        d, idx = _scatter_index(x, dim, index, src)
        tensors, params = (x, src), {}
    elif (value is None and args and _number(src)) or (src is None and _number(value)):
        d, idx = _scatter_index(x, dim, index)
        tensors, params = (x,), {"value": src if value is None else value}
    else:
        got = [F.arg_type_name(v) for v in (input, dim, index, *args)] + \
            [f"{k}={F.arg_type_name(v)}" for k, v in (("src", kw.get("src")), ("value", value))
             if v is not None]
        raise GradvizError(f"scatter() received an invalid combination of arguments - got "
                           f"({', '.join(got)}), but expected one of:", kind=TYPE,
                           hint="say what to write: x.scatter(dim, index, src) with src a "
                                "tensor, or x.scatter(dim, index, value) with a number")
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise GradvizError("reduce argument must be either add or multiply.", kind=RUNTIME,
                               hint="reduce='add' or 'multiply'; for sum, prod, mean, amax or "
                                    "amin use x.scatter_reduce(dim, index, src, reduce)")
        params["reduce"] = reduce
        name = "scatter_reduce_old"
    else:
        name = "scatter" if len(tensors) == 2 else "scatter_value"
    shape = x.data.shape
    tensors = tuple(_as_1d(rt, t) for t in tensors)
    out = rt.apply(OPS[name], tensors, {"dim": d, "index": idx, **params})
    return _back(rt, out, shape)


def f_scatter_add(rt, input, dim, index, src):
    x = _need_tensor(input, "scatter_add")
    src = _src_tensor(src, "scatter_add")
    d, idx = _scatter_index(x, dim, index, src)
    shape = x.data.shape
    out = rt.apply(OPS["scatter_add"], (_as_1d(rt, x), _as_1d(rt, src)), {"dim": d, "index": idx})
    return _back(rt, out, shape)


def f_scatter_reduce(rt, input, dim, index, src, reduce, *, include_self=True):
    x = _need_tensor(input, "scatter_reduce")
    src = _src_tensor(src, "scatter_reduce")
    d, idx = _scatter_index(x, dim, index, src)
    if reduce not in SCATTER_REDUCES + ("max", "min"):
        raise GradvizError("reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}", kind=RUNTIME,
                           hint="reduce is one of 'sum', 'prod', 'mean', 'amax', 'amin'")
    shape = x.data.shape
    out = rt.apply(OPS["scatter_reduce"], (_as_1d(rt, x), _as_1d(rt, src)),
                   {"dim": d, "index": idx, "reduce": reduce,
                    "include_self": bool(include_self)})
    return _back(rt, out, shape)


# ---- index_add, index_copy, index_fill -------------------------------------------

def _vector_index(index, fname: str, pos=3) -> np.ndarray:
    return _flat0(_need_tensor(index, fname, pos, "index").data)


def _in_range(idx, n, d, prefix="") -> None:
    bad = idx[(idx < 0) | (idx >= n)]
    if bad.size:
        raise GradvizError(f"{prefix}index {bad[0]} is out of bounds for dimension {d} with "
                           f"size {n}", kind=INDEX if prefix else RUNTIME,
                           hint=f"indices along dim {d} go from 0 to {n - 1}, no negative ones")


def _slices_match(fname, x, source, d, idx) -> None:
    """index_add's check of source: its size along d is the number of
    indices; its other sizes are x's."""
    xs, ss = _flat0(x.data).shape, _flat0(source.data).shape
    if fname == "index_copy_" and x.data.ndim and source.data.ndim and \
            source.data.ndim != x.data.ndim:
        raise GradvizError(f"index_copy_(): When source and destination are not scalars, their "
                           f"dimensionality must match. Source dimensionality "
                           f"({source.data.ndim}), destination dimensionality ({x.data.ndim})",
                           kind=INDEX, hint="source has x's dims, with index's length along dim")
    n_src = ss[d] if d < len(ss) else 1
    # index_add_'s and index_reduce_'s shared check (not index_copy_'s own)
    shared = fname != "index_copy_"
    if n_src != idx.size:
        sep = ": " if shared else " "
        tail = f", for dim: {d}" if shared else ""
        raise GradvizError(f"{fname}(): Number of indices ({idx.size}) should be equal to "
                           f"source.size(dim){sep}({n_src}){tail}",
                           kind=RUNTIME if shared else INDEX,
                           hint=f"one slice of source per index along dim {d}")
    # (sizes compared dim by dim; a dim only one of them has is a mismatch too)
    mismatched = [k for k in range(max(len(xs), len(ss))) if k != d and
                  (xs[k] if k < len(xs) else None) != (ss[k] if k < len(ss) else None)]
    if shared and (not x.data.ndim or not source.data.ndim):
        # (index_add and index_reduce leave dim out only where both have
        # dims: a 0-d one matches only another 0-d one)
        mismatched = x.data.shape != source.data.shape
    if not mismatched:
        return
    if fname == "index_copy_":
        # (PyTorch prints the two slices' sizes: the shapes without dim)
        a, b = (" ".join(str(n) for k, n in enumerate(sh) if k != d) for sh in (xs, ss))
        raise GradvizError(f"index_copy_(): Source/destination tensor must have same "
                           f"slice shapes. Destination slice shape: {a} at dimension "
                           f"{d} and source slice shape: {b} at dimension 0.",
                           kind=RUNTIME, hint="source has x's sizes except along dim")
    raise GradvizError(f"source tensor shape must match self tensor shape, excluding "
                       f"the specified dimension. Got self.shape = {list(x.data.shape)} "
                       f"source.shape = {list(source.data.shape)}", kind=RUNTIME,
                       hint="source has x's sizes except along dim")


def _index_func_checks(fname, x, d, index, source) -> np.ndarray:
    """index_add's and index_reduce's checks of index and source (PyTorch's
    index_func_meta_impl): the index as a vector."""
    idx = _vector_index(index, fname)
    if idx.dtype not in (np.int64, np.int32):
        raise GradvizError(f"{fname}_(): Expected dtype int32/int64 for index but got: "
                           f"{F.type_word(idx.dtype)}", kind=RUNTIME, hint=INDEX_HINT)
    if index.data.ndim > 1:
        raise GradvizError(f"{fname}_(): Index is supposed to be a vector, but got dim: "
                           f"{index.data.ndim} with type: {F.type_word(idx.dtype)} and size: "
                           f"{list(index.data.shape)}", kind=INDEX, hint="index.flatten()")
    if source.data.dtype != x.data.dtype:
        raise GradvizError(f"{fname}_(): self ({F.type_word(x.data.dtype)}) and source "
                           f"({F.type_word(source.data.dtype)}) must have the same scalar type",
                           kind=RUNTIME, hint="convert one: source.to(x.dtype)")
    _slices_match(fname + "_", x, source, d, idx)
    return idx


def f_index_add(rt, input, dim, index, source, *, alpha=1):
    x = _need_tensor(input, "index_add")
    source = _need_tensor(source, "index_add", 4, "source")
    d = _dim(dim, x.data.ndim)
    idx = _index_func_checks("index_add", x, d, index, source)
    _in_range(idx, _flat0(x.data).shape[d], d)
    shape = x.data.shape
    out = rt.apply(OPS["index_add"], (_as_1d(rt, x), _as_1d(rt, source)),
                   {"dim": d, "index": idx.astype(np.int64), "alpha": alpha})
    return _back(rt, out, shape)


def _long_index(fname: str, idx: np.ndarray) -> None:
    if idx.dtype != np.int64:
        raise GradvizError(f"{fname}(): Expected a long tensor for index, but got "
                           f"{F.type_word(idx.dtype)}", kind=RUNTIME, hint=INDEX_HINT)


def _same_dtype(fname: str, x, source, dtypes: str) -> None:
    """index_copy_'s and put_'s refusal of a source of another dtype than
    x's (dtypes: how the message names the two)."""
    if source.data.dtype != x.data.dtype:
        said = dtypes.format(F.type_word(x.data.dtype), F.type_word(source.data.dtype))
        raise GradvizError(f"{fname}(): self and source expected to have the same dtype, but "
                           f"got {said}", kind=RUNTIME, hint="convert one: source.to(x.dtype)")


def f_index_copy(rt, input, dim, index, source):
    x = _need_tensor(input, "index_copy")
    source = _need_tensor(source, "index_copy", 4, "source")
    d = _dim(dim, x.data.ndim)
    idx = _vector_index(index, "index_copy")
    if index.data.ndim > 1:
        raise GradvizError("index_copy_(): Index should have dimension 1 or 0 (got "
                           f"{index.data.ndim})", kind=INDEX, hint="index.flatten()")
    _long_index("index_copy_", idx)
    _same_dtype("index_copy_", x, source, "(self) {} and (source) {}")
    _slices_match("index_copy_", x, source, d, idx)
    _in_range(idx, _flat0(x.data).shape[d], d, prefix="index_copy_(): ")
    shape = x.data.shape
    out = rt.apply(OPS["index_copy"], (_as_1d(rt, x), _as_1d(rt, source)),
                   {"dim": d, "index": idx})
    return _back(rt, out, shape)


def f_index_fill(rt, input, dim, index, value):
    x = _need_tensor(input, "index_fill")
    d = _dim(dim, x.data.ndim)
    idx = _vector_index(index, "index_fill")
    if idx.dtype != np.int64:
        raise GradvizError("index_fill_(): Expected dtype int64 for index.", kind=INDEX,
                           hint=INDEX_HINT)
    if index.data.ndim > 1:
        raise GradvizError("Index has to be a vector/scalar", kind=RUNTIME, hint="index.flatten()")
    if is_tensor(value):
        if value.data.ndim:
            raise GradvizError("index_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.data.ndim} dimension(s).", kind=RUNTIME,
                               hint="fill with a number, or a 0-d tensor: v.item() or v[0]")
    elif not _number(value):
        raise invalid_combination("index_fill", [x, dim, index, value],
                                  hint="x.index_fill(dim, index, value), value a number")
    if x.data.dtype.kind == "f" and not is_tensor(value):
        F.checked_float(value, x.data.dtype)
    n = _flat0(x.data).shape[d]
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise GradvizError(f"index {bad[0]} is out of bounds for dimension {d} with size {n}",
                           kind=INDEX, hint=f"indices along dim {d} go from {-n} to {n - 1}")
    shape = x.data.shape
    params = {"dim": d, "index": idx % max(n, 1), "given": idx}
    if is_tensor(value):
        v = value if value.data.dtype == x.data.dtype else F.f_to(rt, value, x.data.dtype)
        out = rt.apply(OPS["index_fill"], (_as_1d(rt, x), v), params)
    else:
        out = rt.apply(OPS["index_fill"], (_as_1d(rt, x),), {**params, "value": value})
    return _back(rt, out, shape)


# ---- take_along_dim ------------------------------------------------------------

def f_take_along_dim(rt, input, indices, dim=None):
    """x's values at indices along dim (x and indices broadcast in the
    other dims), or of x flattened: a gather, as PyTorch composes it."""
    x = _need_tensor(input, "take_along_dim")
    indices = _need_tensor(indices, "take_along_dim", 2, "indices")
    idx = indices.data
    if idx.dtype != np.int64:
        raise GradvizError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{F.type_word(idx.dtype)}", kind=RUNTIME, hint=INDEX_HINT)
    gather = F.FUNCTIONS["gather"]
    if dim is None:
        flat = F.m_view(rt, x, -1)
        return gather(rt, flat, 0, F.m_view(rt, indices, -1))
    d = _dim(dim, x.data.ndim)
    if x.data.ndim != idx.ndim:
        raise GradvizError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {x.data.ndim} dimensions for input, "
                           f"and {idx.ndim} dimensions for indices", kind=RUNTIME,
                           hint="give indices as many dims as x (unsqueeze it)")
    shape_x, shape_i = list(x.data.shape), list(idx.shape)
    shape_x[d] = shape_i[d] = 1
    common = broadcast_shape(tuple(shape_x), tuple(shape_i))
    wide_x = list(common)
    wide_x[d] = x.data.shape[d]
    wide_i = list(common)
    wide_i[d] = idx.shape[d]
    return gather(rt, F.m_expand(rt, x, *wide_x), d, F.m_expand(rt, indices, *wide_i))


# ---- index_put ------------------------------------------------------------------

def f_index_put(rt, input, indices, values, accumulate=False):
    """x with values written at x[indices] (a tuple of index tensors), or
    added there (accumulate=True): IndexPutBackward0 either way."""
    x = _need_tensor(input, "index_put")
    if not isinstance(indices, (tuple, list)) or not all(is_tensor(i) for i in indices):
        raise GradvizError(f"index_put(): argument 'indices' (position 2) must be tuple of "
                           f"Tensors, not {F.arg_type_name(indices)}", kind=TYPE,
                           hint="give the indices as a tuple: x.index_put((rows,), values)")
    v = _need_tensor(values, "index_put", 3, "values")
    for i in indices:
        if i.data.dtype.kind not in "iub":
            raise GradvizError("tensors used as indices must be long, int, byte or bool "
                               "tensors", kind=INDEX, hint=INDEX_HINT)
    if len(indices) > max(x.data.ndim, 1):
        raise GradvizError(f"too many indices for tensor of dimension {x.data.ndim} (got "
                           f"{len(indices)})", kind=INDEX, hint="one index tensor per dim")
    if v.data.dtype != x.data.dtype:
        raise GradvizError(f"Index put requires the source and destination dtypes match, got "
                           f"{F.type_word(x.data.dtype)} for the destination and "
                           f"{F.type_word(v.data.dtype)} for the source.", kind=RUNTIME,
                           hint="convert the values: values.to(x.dtype)")
    key = []
    for d, i in enumerate(indices):
        idx = i.data
        if idx.dtype.kind in "iu":
            n = x.data.shape[d]
            bad = idx[(idx < -n) | (idx >= n)]
            if bad.size:
                raise GradvizError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension "
                                   f"{d} with size {n}", kind=INDEX,
                                   hint=f"indices along dim {d} go from {-n} to {n - 1}")
            idx = idx.astype(np.int64)
        key.append(idx)
    key = tuple(key)
    picked = x.data[key].shape
    try:
        np.broadcast_shapes(v.data.shape, picked)
    except ValueError:
        raise GradvizError(f"shape mismatch: value tensor of shape {list(v.data.shape)} cannot "
                           f"be broadcast to indexing result of shape {list(picked)}",
                           kind=RUNTIME, hint=f"the values must broadcast to {list(picked)}, "
                                              "the shape of x[indices]") from None
    if accumulate:
        return rt.apply(OPS["index_put_add"], (x, v), {"index": key})
    return rt.apply(OPS["setitem"], (x, v), {"index": key, "advanced": True,
                                             "grad_fn": "IndexPutBackward0"})


# ---- index_reduce, masked_scatter, put ---------------------------------------------

INDEX_REDUCES = ("prod", "mean", "amax", "amin")


def f_index_reduce(rt, input, dim, index, source, reduce, *, include_self=True):
    """input with source's slices along dim reduced (prod, mean, amax,
    amin) into the slices index names: scatter_reduce of whole slices."""
    x = _need_tensor(input, "index_reduce")
    source = _need_tensor(source, "index_reduce", 4, "source")
    if reduce not in INDEX_REDUCES:
        raise GradvizError("index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.", kind=RUNTIME,
                           hint="reduce is one of 'prod', 'mean', 'amax', 'amin' (for a sum: "
                                "index_add)")
    d = _dim(dim, x.data.ndim)
    idx = _index_func_checks("index_reduce", x, d, index, source)
    # (PyTorch's kernel warns, once, before its check of the indices)
    F.warn_once(rt, x, "index_reduce() is in beta and the API may change at any time.")
    n = _flat0(x.data).shape[d]
    if ((idx < 0) | (idx >= n)).any():
        raise GradvizError("index out of range in self", kind=INDEX,
                           hint=f"index_reduce takes indices from 0 to {n - 1} along dim {d}")
    refuse_dual(rt, (x, source), "index_reduce",
                hint="index_reduce has no forward-mode derivative in PyTorch; use backward()")
    shape = x.data.shape
    x1, source1 = _as_1d(rt, x), _as_1d(rt, source)
    # the index of each of source's elements: its slice's entry of idx
    along = [1] * source1.data.ndim
    along[d] = idx.size
    spread = np.broadcast_to(idx.astype(np.int64).reshape(along), source1.data.shape)
    out = rt.apply(OPS["index_reduce"], (x1, source1),
                   {"dim": d, "index": spread, "reduce": reduce,
                    "include_self": bool(include_self)})
    return _back(rt, out, shape)


def _masked_scatter_mask(shape, dtype, mask, source) -> np.ndarray:
    """masked_scatter_'s checks of a tensor of shape and dtype, in
    PyTorch's order: the mask as a bool array of that shape."""
    if source.data.dtype != dtype:
        # (PyTorch's message has no space after "got")
        raise GradvizError(f"masked_scatter: expected self and source to have same dtypes but "
                           f"got{F.type_word(dtype)} and "
                           f"{F.type_word(source.data.dtype)}", kind=RUNTIME,
                           hint="convert one: source.to(x.dtype)")
    if mask.data.dtype != np.bool_:
        raise GradvizError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {F.type_word(mask.data.dtype)}", kind=RUNTIME,
                           hint="a mask is a bool tensor: a comparison such as x > 0, or "
                                "m.bool()")
    error = F.expand_error(mask.data.shape, shape, mask.data.dtype, cpu_type=True)
    if error is not None:
        raise error
    m = np.broadcast_to(mask.data, shape)
    if source.data.size < np.count_nonzero(m):
        raise GradvizError("Number of elements of source < number of ones in mask",
                           kind=RUNTIME, hint="source needs one value for each True of the mask "
                                              "(at least mask.sum() elements)")
    return m


def f_masked_scatter(rt, input, mask, source):
    """input (broadcast with mask) with source's values, in order, where
    mask holds."""
    x = _need_tensor(input, "masked_scatter")
    mask = _need_tensor(mask, "masked_scatter", 2, "mask")
    source = _need_tensor(source, "masked_scatter", 3, "source")
    # (PyTorch broadcasts x and the mask first: expand_outplace)
    shape = broadcast_shape(mask.data.shape, x.data.shape)
    m = _masked_scatter_mask(shape, x.data.dtype, mask, source)
    return rt.apply(OPS["masked_scatter"], (x, source), {"mask": m})


def m_masked_scatter_(rt, x, mask, source):
    """x.masked_scatter_(mask, source): the mask must expand to x's shape."""
    if is_tensor(mask) and is_tensor(source):
        _masked_scatter_mask(x.data.shape, x.data.dtype, mask, source)
    return rt.change_in_place(x, lambda: f_masked_scatter(rt, x, mask, source),
                              "masked_scatter_", (source,))


def f_put(rt, input, index, source, accumulate=False):
    """input with source's values written (or added, accumulate=True) at
    index's positions in input flattened (negative ones from the end)."""
    x = _need_tensor(input, "put")
    index = _need_tensor(index, "put", 2, "index")
    source = _need_tensor(source, "put", 3, "source")
    idx = index.data.reshape(-1)
    _long_index("put_", idx)
    _same_dtype("put_", x, source, "self.dtype = {} and source.dtype = {}")
    if source.data.size != idx.size:
        raise GradvizError(f"put_(): Expected source and index to have the same number of "
                           f"elements, but got source.numel() = {source.data.size}, "
                           f"index.numel() = {idx.size}", kind=INDEX,
                           hint="one source value for each index")
    n = x.data.size
    if not n and idx.size:
        raise GradvizError("put_(): Tried to put elements into an empty tensor", kind=INDEX,
                           hint="x has no elements to put into")
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise GradvizError(f"out of range: tried to access index {bad[0]} on a tensor of {n} "
                           "elements.", kind=INDEX,
                           hint=f"put takes flat indices from {-n} to {n - 1}")
    return rt.apply(OPS["put"], (x, source), {"index": idx % max(n, 1),
                                              "accumulate": bool(accumulate)})


FUNCTIONS = {
    "scatter": f_scatter, "scatter_add": f_scatter_add, "scatter_reduce": f_scatter_reduce,
    "index_add": f_index_add, "index_copy": f_index_copy, "index_fill": f_index_fill,
    "take_along_dim": f_take_along_dim, "index_put": f_index_put,
    "index_reduce": f_index_reduce, "masked_scatter": f_masked_scatter, "put": f_put,
}


def _in_place(name, f):
    """x.NAME_(...): the function's result written into x."""
    method = _as_method(name, f)

    def m(rt, x, *args, **kw):
        tensors = tuple(a for a in (*args, *kw.values()) if is_tensor(a))
        return rt.change_in_place(x, lambda: method(rt, x, *args, **kw), name + "_", tensors)
    m.__name__ = name + "_"
    return m


def _method_combination(name, method):
    """PyTorch's invalid-combination message of a method lists the
    arguments after the tensor itself."""
    def m(rt, x, *args, **kw):
        try:
            return method(rt, x, *args, **kw)
        except GradvizError as exc:
            said = f"{name}() received an invalid combination of arguments - got (Tensor, "
            if not exc.message.startswith(said):
                raise
            raise GradvizError(exc.message.replace("(Tensor, ", "(", 1), kind=exc.kind,
                               hint=exc.hint) from None
    m.__name__ = name
    return m


METHODS = {name: _method_combination(name, _as_method(name, f)) for name, f in FUNCTIONS.items()}
METHODS.update({name + "_": _in_place(name, f) for name, f in FUNCTIONS.items()
                if name != "take_along_dim"})
METHODS["masked_scatter_"] = m_masked_scatter_
