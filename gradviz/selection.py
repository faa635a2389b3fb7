"""torch functions and tensor methods that reorder, pick or reduce elements
(flip, roll, tril/triu, diag, diagonal, trace, sort, argsort, topk, amax/amin,
logsumexp, cumprod, diff, masked_fill, gather, index_select, narrow,
masked_select, take, repeat_interleave, bmm): argument checks in PyTorch's words, then the ops
of ops/select.py, ops/reduce_more.py and ops/linalg.py. Imported by
functions.py, whose FUNCTIONS and METHODS tables they join.
"""
from __future__ import annotations

import inspect
import re

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .functions import ReturnTypes, _dim, _need_tensor, invalid_combination, is_tensor
from .ops import OPS
from .ops.einsum import MAX_OPERANDS
from .tensor import CPP_TYPE_NAMES
from .ops.registry import broadcast_shape
from .ops.stdsort import sort_indices, topk_indices


def _int(v, fname: str, arg: str, pos: int) -> int:
    """v, a whole number; else PyTorch's TypeError for the argument."""
    v = F.read_int(v)
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(f"{fname}(): argument '{arg}' (position {pos}) must be int, not "
                           f"{F.arg_type_name(v)}", kind=TYPE, hint=f"{arg} is a whole number")
    return v


def _ints(v, fname: str, arg: str, pos: int, single=True) -> tuple:
    """An int (where `single`) or a tuple/list of ints, as a tuple (a
    one-element integer tensor is the int PyTorch reads of it:
    x.roll(1, torch.tensor(0)), x.flip(torch.tensor([0])))."""
    v = F.read_dims(v)
    if single and isinstance(v, int) and not isinstance(v, bool):
        return (v,)
    if isinstance(v, (tuple, list)):
        items = tuple(v)
        bad = next((i for i, d in enumerate(items) if isinstance(d, bool) or
                    not isinstance(d, int)), None)
        if bad is None:
            return items
        # (PyTorch's parser's words for the item: its place in the list)
        raise F.int_list_item_error(fname, f"'{arg}' (position {pos})", list(items), bad)
    raise GradvizError(f"{fname}(): argument '{arg}' (position {pos}) must be tuple of ints, "
                       f"not {F.arg_type_name(v)}", kind=TYPE,
                       hint=f"give {arg} as a tuple, e.g. ({v if isinstance(v, int) else 0},)")


def _distinct_dims(dims: tuple, ndim: int) -> tuple:
    F._no_repeated_dims(dims, ndim)
    return tuple(_dim(d, ndim) for d in dims)


def _index_tensor(index, fname: str, arg="index", pos=3) -> np.ndarray:
    index = _need_tensor(index, fname, pos, arg)
    return index.data


# ---- flip, roll, tril, triu, diag, diagonal, trace ----------------------------

def f_flip(rt, input, dims):
    x = _need_tensor(input, "flip")
    dims = _distinct_dims(_ints(dims, "flip", "dims", 2, single=False), x.data.ndim)
    if x.data.ndim == 0:
        dims = ()
    return rt.apply(OPS["flip"], (x,), {"dims": dims})


def m_flip(rt, x, *dims, **kw):
    """x.flip(0, 1), x.flip((0, 1)) or x.flip(dims=(0, 1))."""
    if kw.keys() - {"dims"} or (kw and dims):
        raise GradvizError("flip() got an unexpected keyword argument", kind=TYPE,
                           hint="x.flip(0), x.flip(0, 1) or x.flip(dims=(0, 1))")
    if "dims" in kw:
        given = kw["dims"]
        if not isinstance(given, (tuple, list)):
            raise GradvizError(f"flip(): argument 'dims' must be tuple of ints, not "
                               f"{F.arg_type_name(given)}", kind=TYPE, hint="dims=(0,)")
    elif not dims:
        raise GradvizError('flip() missing 1 required positional arguments: "dims"', kind=TYPE,
                           hint="say which dims to reverse: x.flip(0)")
    else:
        given = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
    return f_flip(rt, x, tuple(given) if isinstance(given, list) else given)


def f_roll(rt, input, shifts, dims=None):
    x = _need_tensor(input, "roll")
    shifts = _ints(shifts, "roll", "shifts", 2)
    dims = () if dims is None else _ints(dims, "roll", "dims", 3)
    if len(shifts) != len(dims) and not (len(shifts) == 1 and not dims):
        raise GradvizError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                           f"dims:{len(dims)}", kind=RUNTIME,
                           hint="one shift per dim: x.roll((1, 2), (0, 1))")
    dims = tuple(_dim(d, x.data.ndim) for d in dims)
    return rt.apply(OPS["roll"], (x,), {"shifts": shifts, "dims": dims})


def _triangle(name):
    def f(rt, input, diagonal=0):
        x = _need_tensor(input, name)
        diagonal = _int(diagonal, name, "diagonal", 2)
        if x.data.ndim < 2:
            raise GradvizError(f"{name}: input tensor must have at least 2 dimensions",
                               kind=RUNTIME, hint=f"{name} keeps a triangle of a matrix (of "
                                                  "the last two dims)")
        return rt.apply(OPS[name], (x,), {"diagonal": diagonal})
    f.__name__ = name
    return f


def f_diag(rt, input, diagonal=0):
    """diag(vector) makes a matrix with it on the diagonal; diag(matrix)
    reads the diagonal (PyTorch's diagonal_copy)."""
    x = _need_tensor(input, "diag")
    diagonal = _int(diagonal, "diag", "diagonal", 2)
    nd = x.data.ndim
    if nd == 1:
        return rt.apply(OPS["diag_embed"], (x,), {"offset": diagonal})
    if nd != 2:
        raise GradvizError(f"diag(): Supports 1D or 2D tensors. Got {nd}D", kind=RUNTIME,
                           hint="diag(v) of a vector makes a matrix; diag(m) of a matrix "
                                "reads its diagonal; x.diagonal() reads other dims")
    return rt.apply(OPS["diagonal"], (x,), {"offset": diagonal, "dim1": 0, "dim2": 1,
                                            "grad_fn": "DiagonalBackward0_copy"})


def diagonal_dims(x, dim1, dim2, hint: str) -> tuple[int, int]:
    """dim1 and dim2 of a diagonal of x, wrapped; PyTorch's error when they
    are one dim (diagonal, diagonal_scatter)."""
    nd = x.data.ndim
    d1, d2 = _dim(dim1, nd), _dim(dim2, nd)
    if d1 == d2:
        raise GradvizError(f"diagonal dimensions cannot be identical {dim1}, {dim2}",
                           kind=RUNTIME, hint=hint)
    return d1, d2


def f_diagonal(rt, input, offset=0, dim1=0, dim2=1):
    x = _need_tensor(input, "diagonal")
    offset = _int(offset, "diagonal", "offset", 2)
    d1, d2 = diagonal_dims(x, dim1, dim2, "two different dims: x.diagonal(0, 0, 1)")
    return rt.apply(OPS["diagonal"], (x,), {"offset": offset, "dim1": d1, "dim2": d2})


def f_trace(rt, input):
    x = _need_tensor(input, "trace")
    if x.data.ndim != 2:
        raise GradvizError(f"trace: expected a matrix, but got tensor with dim {x.data.ndim}",
                           kind=RUNTIME, hint="trace sums a matrix's diagonal; for a batch, "
                                              "x.diagonal(dim1=-2, dim2=-1).sum(-1)")
    return rt.apply(OPS["trace"], (x,))


# ---- sort, argsort, topk ------------------------------------------------------

def _gathered(rt, x, index, d, grad_fn, **shown):
    """x's values at index along d, with PyTorch's grad_fn for the call;
    drawn as the call that made it (sort, topk k=2), not as a gather."""
    symbol = {"SortBackward0": "sort", "SortBackward1": "sort", "TopkBackward0": "topk"}.get(grad_fn)
    params = {"dim": d, "index": index, "grad_fn": grad_fn, **shown}
    if symbol is not None:
        params["symbol"] = symbol
    return rt.apply(OPS["gather"], (x,), params)


def _sort_dim(x, dim, fname):
    dim = F.read_int(dim)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise invalid_combination(fname, [dim],
                                  hint=f"x.{fname}(dim=-1, descending=False, stable=False)")
    return _dim(dim, x.data.ndim)


def f_sort(rt, input, dim=-1, descending=False, *, stable=None):
    """sort: (values, indices) along dim; ties as PyTorch's CPU sort leaves
    them (stable=True keeps them in order; SortBackward1 for that form)."""
    x = _need_tensor(input, "sort")
    d = _sort_dim(x, dim, "sort")
    idx = sort_indices(x.data, d, bool(descending), bool(stable))
    values = _gathered(rt, x, idx, d, "SortBackward0" if stable is None else "SortBackward1")
    return ReturnTypes("sort", values, rt.tape.add(F.Tensor(idx), rt.span, label="sort.indices"))


def f_argsort(rt, input, dim=-1, descending=False, *, stable=False):
    x = _need_tensor(input, "argsort")
    d = _sort_dim(x, dim, "argsort")
    idx = sort_indices(x.data, d, bool(descending), bool(stable))
    return rt.tape.add(F.Tensor(idx), rt.span, label="argsort")


def f_topk(rt, input, k, dim=-1, largest=True, sorted=True):
    x = _need_tensor(input, "topk")
    k = _int(k, "topk", "k", 2)
    d = _dim(dim, x.data.ndim)
    n = x.data.shape[d] if x.data.ndim else 1
    if not 0 <= k <= n:
        raise GradvizError("selected index k out of range", kind=RUNTIME,
                           hint=f"k is at most the size of dim {d}, {n} here")
    idx = topk_indices(x.data, k, d, bool(largest), bool(sorted))
    values = _gathered(rt, x, idx, d, "TopkBackward0", k=k)
    return ReturnTypes("topk", values, rt.tape.add(F.Tensor(idx), rt.span, label="topk.indices"))


# ---- amax, amin, logsumexp, cumprod, diff -------------------------------------

def _reduce_dims(x, dim, fname: str) -> tuple:
    """dim as a tuple of distinct non-negative axes; () for a 0-d tensor."""
    dims = _ints(dim, fname, "dim", 2)
    dims = _distinct_dims(dims, x.data.ndim)
    return dims if x.data.ndim else ()


def _amax_like(name):
    def f(rt, input, dim=(), keepdim=False):
        x = _need_tensor(input, name)
        # (None is every dim, as the default () is)
        dims = _reduce_dims(x, () if dim is None else dim, name)
        if x.data.size == 0:
            if not dims:
                raise GradvizError(f"{name}(): Expected reduction dim to be specified for "
                                   "input.numel() == 0. Specify the reduction dim with the "
                                   "'dim' argument.", kind=RUNTIME, hint="give dim=")
            for d in dims:
                if x.data.shape[d] == 0:
                    raise GradvizError(f"{name}(): Expected reduction dim {d} to have non-zero "
                                       "size.", kind=INDEX, hint="an empty dim has no extreme")
        return rt.apply(OPS[name], (x,), {"dim": dims, "keepdim": bool(keepdim)})
    f.__name__ = name
    return f


def f_logsumexp(rt, input, dim, keepdim=False):
    x = _need_tensor(input, "logsumexp")
    dims = _reduce_dims(x, dim, "logsumexp")
    if not dims and x.data.ndim:
        raise GradvizError(f"output with shape [] doesn't match the broadcast shape "
                           f"[{', '.join('1' * x.data.ndim)}]", kind=RUNTIME,
                           hint="name the dims to reduce: x.logsumexp(dim=0)")
    return rt.apply(OPS["logsumexp"], (x,), {"dim": dims, "keepdim": bool(keepdim)})


def f_cumprod(rt, input, dim, *, dtype=None):
    x = _need_tensor(input, "cumprod")
    d = _dim(dim, x.data.ndim)
    if dtype is not None:
        dt = F._dtype_arg(dtype)
        if x.requires_grad and dt.kind != "f":
            raise GradvizError(f"Autograd not support dtype: {F.type_word(dt)}", kind=RUNTIME,
                               hint="a gradient needs a float result: dtype=torch.float64")
        x = F.cast_within(rt, x, dt)
    p = {"dim": d, "dtype": dt.name} if dtype is not None and dt in F.NARROW_INTS else {"dim": d}
    return rt.apply(OPS["cumprod"], (x,), p)


def f_diff(rt, input, n=1, dim=-1, prepend=None, append=None):
    """x[1:] - x[:-1] along dim, n times (PyTorch's ops: slices and a sub)."""
    x = _need_tensor(input, "diff")
    if x.data.ndim == 0:
        raise GradvizError("diff expects input to be at least one-dimensional", kind=RUNTIME,
                           hint="diff subtracts neighbours along a dim")
    n = _int(n, "diff", "n", 2)
    if n < 0:
        raise GradvizError(f"order must be non-negative but got {n}", kind=RUNTIME,
                           hint="n is how many times to take the difference")
    d = _dim(dim, x.data.ndim)
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        x = F.FUNCTIONS["cat"](rt, [_need_tensor(p, "diff") for p in parts], d)
    if n == 0:
        return F.f_clone(rt, x)
    for _ in range(n):
        size = x.data.shape[d]
        lead = (slice(None),) * d
        hi = _slice(rt, x, lead + (slice(1, max(size, 1)),))
        lo = _slice(rt, x, lead + (slice(0, max(size - 1, 0)),))
        x = rt.binary("^" if x.data.dtype == np.bool_ else "-", hi, lo)
    return x


def _slice(rt, x, key):
    return rt.apply(OPS["index"], (x,), {"index": key, "advanced": False,
                                         "grad_fn": "SliceBackward0"})


# ---- masked_fill, gather, index_select, narrow, masked_select, take -----------

def _bool_mask(mask, fname: str, message: str):
    mask = _need_tensor(mask, fname, 2, "mask")
    if mask.data.dtype != np.bool_:
        # (the dtype as PyTorch's message names it: the C++ type of its elements)
        raise GradvizError(message.format(CPP_TYPE_NAMES[mask.data.dtype]),
                           kind=RUNTIME, hint="a mask is a bool tensor: a comparison such as "
                                              "x > 0, or m.bool()")
    return mask


def _fill_value(mask, value) -> None:
    """masked_fill's value is a number (a bool too) or a tensor (its argument
    parser's check, first)."""
    if not is_tensor(value) and not isinstance(value, (int, float)):
        raise invalid_combination("masked_fill", [mask, value],
                                  hint="masked_fill(mask, value) fills with a number")


def _masked_fill_checks(value, mask) -> F.Tensor:
    """masked_fill_'s own checks, in its order: the value, then the mask's dtype."""
    if is_tensor(value) and value.data.ndim:
        raise GradvizError("masked_fill_ only supports a 0-dimensional value tensor, but "
                           f"got tensor with {value.data.ndim} dimension(s).", kind=RUNTIME,
                           hint="fill with a number, or a 0-d tensor: v.item() or v[0]")
    return _bool_mask(mask, "masked_fill", "masked_fill_ only supports boolean masks, but got "
                                           "mask with dtype {}")


def f_masked_fill(rt, input, mask, value):
    x = _need_tensor(input, "masked_fill")
    _fill_value(mask, value)
    if is_tensor(mask):        # (PyTorch expands the mask to x before masked_fill_ checks it)
        broadcast_shape(mask.data.shape, x.data.shape)
    mask = _masked_fill_checks(value, mask)
    if x.data.dtype.kind == "f":           # a value past float16's or float32's range
        F.checked_float(value.data.item() if is_tensor(value) else value, x.data.dtype)
    return rt.apply(OPS["masked_fill"], (x, mask, value))


EXPANDED_FILL_WARNING = (
    "Use of masked_fill_ on expanded tensors is deprecated. Please clone() the tensor before "
    "performing this operation. This also applies to advanced indexing e.g. tensor[mask] = "
    "scalar")


def _repeats(a) -> bool:
    """a holds an element of its memory more than once by a stride 0 (an
    expand: PyTorch's internal overlap; overlapping windows are too hard
    for it to tell)."""
    return any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape))


def m_masked_fill_(rt, x, mask, value):
    """x.masked_fill_(mask, value): written into x (the mask must fit x)."""
    if is_tensor(mask):
        _fill_value(mask, value)
        _masked_fill_checks(value, mask)
        shape = broadcast_shape(x.data.shape, mask.data.shape)
        if shape != x.data.shape:
            raise GradvizError(f"output with shape {list(x.data.shape)} doesn't match the "
                               f"broadcast shape {list(shape)}", kind=RUNTIME,
                               hint="in place, the mask must broadcast to x's own shape; "
                                    "x.masked_fill(mask, v) makes a new, bigger tensor")
    # (a value given as a 0-d tensor fills with one number too)
    fills = not is_tensor(value) or not value.data.ndim
    if _repeats(x.data):
        # PyTorch fills memory x holds at several places (an expand), with
        # this warning; with gradients its backward refuses the write
        rt.log_event("user_warning", x, message=EXPANDED_FILL_WARNING)
    return rt.change_in_place(x, lambda: f_masked_fill(rt, x, mask, value), "masked_fill_",
                              (value,), fills=fills)


def _long_index(index: np.ndarray, message: str):
    if index.dtype != np.int64 and index.dtype != np.int32:
        raise GradvizError(message, kind=RUNTIME,
                           hint="indices are an int64 tensor: torch.tensor([0, 2]) or i.long()")


def f_gather(rt, input, dim, index, *, sparse_grad=False):
    x = _need_tensor(input, "gather")
    data = x.data
    d = _dim(dim, data.ndim)
    idx = _index_tensor(index, "gather")
    _long_index(idx, "gather(): Expected dtype int32/int64 for index")
    if max(idx.ndim, 1) != max(data.ndim, 1):
        raise GradvizError("Index tensor must have the same number of dimensions as input "
                           "tensor", kind=RUNTIME,
                           hint=f"index needs {data.ndim} dims like the input (unsqueeze it)")
    shape = data.shape or (1,)
    for k, (i, s) in enumerate(zip(idx.shape or (1,), shape)):
        if k != d and i > s:
            raise GradvizError(f"Size does not match at dimension {k} expected index "
                               f"{list(idx.shape)} to be no larger than self {list(data.shape)} "
                               f"apart from dimension {d}", kind=RUNTIME,
                               hint="index may be smaller than the input, not larger")
    bad = idx[(idx < 0) | (idx >= shape[d])]
    if bad.size:
        raise GradvizError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension {d} with "
                           f"size {shape[d]}", kind=RUNTIME,
                           hint=f"indices along dim {d} go from 0 to {shape[d] - 1}")
    return _gathered(rt, x, idx, d, "GatherBackward0")


def f_index_select(rt, input, dim, index):
    x = _need_tensor(input, "index_select")
    d = _dim(dim, x.data.ndim)
    idx = _index_tensor(index, "index_select")
    if idx.ndim > 1:                  # (checked before the dtype, as PyTorch)
        raise GradvizError("index_select(): Index is supposed to be a vector", kind=INDEX,
                           hint="a 1-d tensor of indices: index.flatten()")
    _long_index(idx, "index_select(): Expected dtype int32 or int64 for index")
    idx = idx.reshape(-1)
    if x.data.ndim == 0 and idx.size != 1:
        raise GradvizError(f"index_select(): Index to scalar can have only 1 value, got "
                           f"{idx.size} value(s)", kind=RUNTIME, hint="a 0-d tensor has one")
    n = x.data.shape[d] if x.data.ndim else 1
    if (idx < 0).any():
        raise GradvizError(f"INDICES element is out of DATA bounds, id={idx[idx < 0][0]} "
                           f"axis_dim={n}", kind=RUNTIME,
                           hint=f"index_select takes indices from 0 to {n - 1}, no negative ones")
    if (idx >= n).any():
        raise GradvizError("index out of range in self", kind=INDEX,
                           hint=f"index_select takes indices from 0 to {n - 1} along dim {d}")
    return rt.apply(OPS["index_select"], (x,), {"dim": d, "index": idx})


def f_repeat_interleave(rt, input, repeats=None, dim=None, *, output_size=None):
    """torch.repeat_interleave(x, repeats, dim=None), and (counts) alone."""
    return _repeat_interleave(rt, input, repeats, dim, output_size, method=False)


def m_repeat_interleave(rt, x, repeats=None, dim=None, *, output_size=None):
    """x.repeat_interleave(repeats, dim=None)."""
    if repeats is None:                # (x.repeat_interleave() has no counts-alone form)
        raise _repeat_interleave_error((), dim, output_size)
    return _repeat_interleave(rt, x, repeats, dim, output_size, method=True)


def _repeat_interleave_error(args, dim, output_size) -> GradvizError:
    """PyTorch's TypeError for arguments none of repeat_interleave's forms takes."""
    named = [f"{k}={F.arg_type_name(v)}" for k, v in (("dim", dim), ("output_size", output_size))
             if v is not None]
    got = ", ".join([F.arg_type_name(v) for v in args] + named)
    return GradvizError(f"repeat_interleave() received an invalid combination of arguments - "
                        f"got ({got}), but expected one of:", kind=TYPE,
                        hint="repeats is an int or an int64 tensor of counts, dim an int or None: "
                             "x.repeat_interleave(2, dim=0)")


def _repeat_interleave(rt, input, repeats, dim, output_size, method: bool):
    """As PyTorch composes it, so the graph has its nodes: an int count is
    flatten (no dim), unsqueeze, expand, clone and flatten back; a tensor of
    counts, an index_select of the indices the counts alone give."""
    args = (repeats,) if method else (input, repeats) if repeats is not None else (input,)
    dim = F.read_int(dim)              # (dim=torch.tensor(0) is PyTorch's dim 0)
    whole = lambda v: isinstance(v, int) and not isinstance(v, bool)   # noqa: E731
    if (not is_tensor(input) or not (whole(repeats) or is_tensor(repeats) or repeats is None)
            or not (dim is None or whole(dim)) or not (output_size is None or whole(output_size))
            or (repeats is None and dim is not None)):
        raise _repeat_interleave_error(args, dim, output_size)
    counts_only = repeats is None      # torch.repeat_interleave(counts): the indices
    counts = input.data if counts_only else repeats.data if is_tensor(repeats) else None
    if counts is not None:
        if counts.dtype.kind not in "iu":
            raise GradvizError('"repeat_interleave_cpu" not implemented for '
                               f"'{F.type_word(counts.dtype)}'", kind="NotImplementedError",
                               hint="the counts are whole numbers: an int64 tensor, "
                                    "torch.tensor([1, 2])")
        if counts_only and counts.ndim != 1:
            raise GradvizError("repeat_interleave only accept 1D vector as repeat", kind=RUNTIME,
                               hint="give one count per element: a 1-d tensor")
    x = input
    if not counts_only and dim is None:
        x, dim = F._flatten(rt, x, 0, -1, 1), 0
    d = 0 if counts_only else _dim(dim, x.data.ndim)
    size = len(counts) if counts_only else x.data.shape[d] if x.data.ndim else 1
    if counts is not None and not counts_only:
        if counts.ndim > 1:
            raise GradvizError("repeats must be 0-dim or 1-dim tensor", kind=RUNTIME,
                               hint="one count for all, or one per slice along dim")
        if counts.size == 1:
            counts = np.broadcast_to(counts.reshape(-1), (size,))
        elif counts.size != size:
            raise GradvizError(f"repeats must have the same size as input along dim, but got "
                               f"repeats.size(0) = {counts.size} and input.size({d}) = {size}",
                               kind=RUNTIME, hint=f"one count for each of the {size} slices "
                                                  f"along dim {d}")
    if counts is not None and (counts < 0).any():
        raise GradvizError("repeats can not be negative", kind=RUNTIME,
                           hint="a count is 0 or more")
    if counts is None and repeats < 0:
        raise GradvizError("Repeats must be non-negative", kind=RUNTIME,
                           hint="a count is 0 or more")
    total = int(counts.sum()) if counts is not None else size * repeats
    if output_size is not None and output_size != total:
        raise GradvizError(f"repeat_interleave: Invalid output_size, expected {total} but got "
                           f"{output_size}", kind=RUNTIME,
                           hint="output_size is the length of the result along dim")
    rt.tape.check_size(total * (x.data.size // size if size else 0))
    if counts is not None:
        index = np.repeat(np.arange(size, dtype=np.int64), counts)
        if counts_only:
            return F._leaf(rt, index, False, "repeat_interleave")
        return rt.apply(OPS["index_select"], (x,), {"dim": d, "index": index})
    shape = x.data.shape
    wide = F.f_unsqueeze(rt, x, d + 1)
    wide = F.m_expand(rt, wide, *shape[:d + 1], repeats, *shape[d + 1:])
    return F._flatten(rt, F.f_clone(rt, wide), d, d + 1, 1)


def f_narrow(rt, input, dim, start, length):
    x = _need_tensor(input, "narrow")
    if x.data.ndim == 0:
        raise GradvizError("narrow() cannot be applied to a 0-dim tensor.", kind=RUNTIME,
                           hint="narrow keeps a range of rows")
    dim, start, length = map(F.read_int, (dim, start, length))     # (PyTorch reads 0-d ones)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (dim, start, length)):
        raise invalid_combination("narrow", [dim, start, length],
                                  hint="x.narrow(dim, start, length), all whole numbers")
    d = _dim(dim, x.data.ndim)
    n = x.data.shape[d]
    if not -n <= start <= n:
        raise GradvizError(f"start out of range (expected to be in range of [{-n}, {n}], but "
                           f"got {start})", kind=INDEX, hint=f"dim {d} has size {n}")
    if length < 0:
        raise GradvizError("narrow(): length must be non-negative.", kind=RUNTIME,
                           hint="length counts the rows kept")
    start %= max(n, 1)
    if start + length > n:
        raise GradvizError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).",
                           kind=RUNTIME, hint=f"dim {d} has size {n}")
    return _slice(rt, x, (slice(None),) * d + (slice(start, start + length),))


def f_masked_select(rt, input, mask):
    x = _need_tensor(input, "masked_select")
    mask = _bool_mask(mask, "masked_select", "masked_select: expected BoolTensor for mask")
    broadcast_shape(x.data.shape, mask.data.shape)
    return rt.apply(OPS["masked_select"], (x, mask))


def f_take(rt, input, index):
    x = _need_tensor(input, "take")
    idx = _index_tensor(index, "take", pos=2)
    if idx.dtype != np.int64:
        raise GradvizError(f"take(): Expected a long tensor for index, but got "
                           f"{F.type_word(idx.dtype)}", kind=RUNTIME,
                           hint="indices are an int64 tensor: torch.tensor([0, 2]) or i.long()")
    n = x.data.size
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise GradvizError(f"out of range: tried to access index {bad.reshape(-1)[0]} on a "
                           f"tensor of {n} elements.", kind=INDEX,
                           hint="take reads x flattened: indices from -n to n - 1")
    return rt.apply(OPS["take"], (x,), {"index": idx % max(n, 1)})


def f_bmm(rt, input, mat2):
    a = _need_tensor(input, "bmm")
    b = _need_tensor(mat2, "bmm", 2, "mat2")
    return rt.apply(OPS["bmm"], (a, b))


def f_einsum(rt, equation=None, *operands):
    """torch.einsum(equation, a, b, ...) or einsum(equation, [a, b, ...])."""
    example = "torch.einsum('ij,jk->ik', a, b)"
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if equation is None or not operands:
        raise GradvizError("einsum(): must specify the equation string and at least one "
                           "operand, or at least one operand and its subscripts list",
                           kind=VALUE, hint=f"give the equation, then the tensors: {example}")
    if not isinstance(equation, str):
        raise GradvizError("einsum(): argument 'equation' (position 1) must be str, not "
                           f"{F.arg_type_name(equation)}", kind=TYPE,
                           hint=f"the equation comes first, as a string: {example}")
    for i, t in enumerate(operands):
        if not is_tensor(t):
            raise GradvizError(f"expected Tensor as element {i} in argument 1, but got "
                               f"{F.arg_type_name(t)}", kind=TYPE,
                               hint=f"give the tensors after the equation: {example}")
    if len(operands) > MAX_OPERANDS:
        raise GradvizError(f"einsum() of more than {MAX_OPERANDS} operands is not supported",
                           kind=RUNTIME, hint="split it into several einsums")
    return rt.apply(OPS["einsum"], tuple(operands), {"equation": equation})


FUNCTIONS = {
    "flip": f_flip, "roll": f_roll, "tril": _triangle("tril"), "triu": _triangle("triu"),
    "diag": f_diag, "diagonal": f_diagonal, "trace": f_trace,
    "sort": f_sort, "argsort": f_argsort, "topk": f_topk,
    "amax": _amax_like("amax"), "amin": _amax_like("amin"), "logsumexp": f_logsumexp,
    "cumprod": f_cumprod, "diff": f_diff,
    "masked_fill": f_masked_fill, "gather": f_gather, "index_select": f_index_select,
    "narrow": f_narrow, "masked_select": f_masked_select, "take": f_take, "bmm": f_bmm,
    "repeat_interleave": f_repeat_interleave,
}


def _as_method(name, f):
    """x.NAME(...): f(x, ...), its argument errors counting positions from
    after x, as PyTorch's messages for the method do."""
    def m(rt, x, *args, **kw):
        try:
            inspect.signature(f).bind(rt, x, *args, **kw)
        except TypeError as exc:          # (said as a call of the method itself)
            raise F.method_argument_error(name, f, args, kw, exc) from None
        try:
            return f(rt, x, *args, **kw)
        except GradvizError as exc:
            fixed = re.sub(r"\(position (\d+)\)",
                           lambda n: f"(position {int(n.group(1)) - 1})", exc.message)
            if fixed == exc.message:
                raise
            raise GradvizError(fixed, kind=exc.kind, hint=exc.hint) from None
    m.__name__ = name
    return m


METHODS = {**{name: _as_method(name, f) for name, f in FUNCTIONS.items()},
           "flip": m_flip, "masked_fill_": m_masked_fill_,
           "repeat_interleave": m_repeat_interleave}
FUNCTIONS["einsum"] = f_einsum          # (a function only: tensors have no einsum method)
