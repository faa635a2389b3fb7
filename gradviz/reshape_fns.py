"""torch functions and tensor methods that re-view, broadcast or re-stack a
tensor under another name (view_as, reshape_as, torch.permute, x.where,
broadcast_to, broadcast_tensors, broadcast_shapes, ravel, movedim,
swapaxes, hstack, vstack, dstack, column_stack, atleast_1d, hsplit,
fliplr, ...). Each is built from the ops PyTorch's own composite records
(broadcast_to is an expand, movedim a permute, swapaxes a transpose,
hstack a cat), so the grad_fn names, gradients and rounding are those of
the ops it reuses. Imported by functions.py, whose tables they join.
"""
from __future__ import annotations


import numpy as np

from . import functions as F
from . import arg_parser, selection, shape_fns, strides
from .arg_parser import forms
from .errors import INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .functions import _dim, _need_tensor, arg_type_name, is_tensor
from .ops.registry import broadcast_shape
from .render.torchfmt import DType, Size
from .ops import OPS
from .ops.windows import _memory
from .selection import _as_method, _int, _ints


# ---- view_as, reshape_as, permute, where, ravel -------------------------------

def m_view_as(rt, x, other):
    """x.view_as(other): x.view(other.size())."""
    other = _need_tensor(other, "view_as", 1, "other")
    return F.m_view(rt, x, *other.data.shape)


def m_reshape_as(rt, x, other):
    """x.reshape_as(other): x.reshape(other.size())."""
    other = _need_tensor(other, "reshape_as", 1, "other")
    return F.f_reshape(rt, x, *other.data.shape)


def f_permute(rt, input, dims):
    """torch.permute(x, (1, 0)), the function form of x.permute."""
    return F.m_permute(rt, _need_tensor(input, "permute"), dims)


def m_where(rt, x, condition, other):
    """x.where(condition, other): torch.where(condition, x, other)."""
    return F.f_where(rt, condition, x, other)


def f_ravel(rt, input):
    """ravel: contiguous() then view(-1), as PyTorch computes it (so a
    transposed tensor's is a CloneBackward0 under a ViewBackward0)."""
    x = _need_tensor(input, "ravel")
    return F.m_view(rt, F.m_contiguous(rt, x), -1)


# ---- broadcasting ---------------------------------------------------------------

def f_broadcast_to(rt, input, size):
    """broadcast_to(x, shape): x.expand(shape)."""
    x = _need_tensor(input, "broadcast_to")
    if not isinstance(size, (tuple, list, Size)):
        raise GradvizError(f"broadcast_to(): argument 'size' (position 2) must be tuple of "
                           f"ints, not {arg_type_name(size)}", kind=TYPE,
                           hint="broadcast_to(x, (2, 3))")
    return F.m_expand(rt, x, size)


def m_broadcast_to(rt, x, *size):
    """x.broadcast_to((2, 3)) or x.broadcast_to(2, 3)."""
    return F.m_expand(rt, x, *size)


def _as_shape(v):
    """broadcast_shapes' argument: a size stands for a 1-d shape."""
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,)
    if not isinstance(v, (tuple, list, Size, str)):     # (a str is a Sequence too)
        raise GradvizError(f"Input shapes should be of type ints, a tuple of ints, or a list of "
                           f"ints, got {v!r}", kind=RUNTIME,
                           hint=_SHAPES_HINT)
    return v


def f_broadcast_shapes(rt, *shapes):
    """The shape the shapes broadcast to, as a torch.Size, computed as
    PyTorch's Python code does: the common shape starts as ones of the
    longest length, and a mismatch names the shape and that common shape."""
    shapes = [_as_shape(v) for v in shapes if v is not None]
    common = [1] * max((len(s) for s in shapes), default=0)
    for i, shape in enumerate(shapes):
        for k in range(-1, -1 - len(shape), -1):
            size = shape[k]
            if is_tensor(size):     # (PyTorch's guard on `size == common` takes no tensor)
                raise GradvizError("Expected bool, got <class 'torch.Tensor'>",
                                   kind="AssertionError", hint=_SHAPES_HINT)
            if size == common[k]:
                continue
            if common[k] == 1:
                _need_number(size)
                if size < 0:
                    raise GradvizError("Attempting to broadcast a dimension with negative "
                                       "length!", kind=VALUE, hint="sizes are 0 or more")
                common[k] = size
            if size != 1 and common[k] != size:
                raise GradvizError(f"Attempting to broadcast a dimension of length {size} at "
                                   f"{k}! Mismatching argument at index {i} had {shape!r}; but "
                                   f"expected shape should be broadcastable to {common}",
                                   kind=RUNTIME,
                                   hint="sizes must be equal or 1, compared from the right")
    for i, size in enumerate(common):
        if size.__class__ is float:
            raise GradvizError(f"torch.Size() takes an iterable of 'int' (item {i} is 'float')",
                               kind=TYPE, hint=_SHAPES_HINT)
    return Size(tuple(int(size) for size in common))


_SHAPES_HINT = "broadcast_shapes((2, 1), (3,)): each shape a tuple of ints"


def _need_number(size) -> None:
    """A size broadcast_shapes compares with 0 as PyTorch's Python code
    does: one that is not a number is Python's TypeError for `<`."""
    if size.__class__ not in (int, float, bool):
        from .fstrings import _type_name
        raise GradvizError(f"'<' not supported between instances of '{_type_name(size)}' and "
                           "'int'", kind=TYPE, hint=_SHAPES_HINT)


def f_broadcast_tensors(rt, *tensors):
    """Each tensor expanded to the shape they broadcast to; one already of
    that shape is returned itself, as PyTorch does."""
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise GradvizError(f"expected Tensor as element {i} in argument 0, but got "
                               f"{arg_type_name(t)}", kind=TYPE,
                               hint="broadcast_tensors(a, b): tensors only")
    shape: tuple = ()
    for t in tensors:
        shape = broadcast_shape(shape, t.data.shape)
    return tuple(t if t.data.shape == shape else F.m_expand(rt, t, *shape) for t in tensors)


# ---- movedim, swapaxes ----------------------------------------------------------

def _dims_list(v, fname: str, arg: str, pos: int) -> tuple:
    # (a 0-dim integer tensor is the int PyTorch reads of it)
    v = tuple(map(F.read_int, v)) if isinstance(v, (tuple, list)) else F.read_int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,)
    if isinstance(v, (tuple, list)) and all(isinstance(d, int) and not isinstance(d, bool)
                                            for d in v):
        return tuple(v)
    raise F.invalid_combination(fname, [v], hint=f"{fname}(x, source, destination): dims as "
                                                 "ints or tuples of ints")


def f_movedim(rt, input, source, destination, *, fname="movedim"):
    """movedim(x, src, dst): a permute that puts the dims src at dst, the
    other dims keeping their order in the places left."""
    x = _need_tensor(input, fname)
    src = _dims_list(source, fname, "source", 2)
    dst = _dims_list(destination, fname, "destination", 3)
    if len(src) != len(dst):
        raise GradvizError(f"movedim: Invalid source or destination dims: source ({list(src)} "
                           f"dims) should contain the same number of dims as destination "
                           f"({list(dst)} dims)", kind=RUNTIME,
                           hint="one destination per source dim")
    nd = x.data.ndim
    src_n = tuple(_dim(d, nd) for d in src)
    dst_n = tuple(_dim(d, nd) for d in dst)
    for name, given, dims in (("source", src, src_n), ("destination", dst, dst_n)):
        if len(set(dims)) != len(dims):
            raise GradvizError(f"movedim: repeated dim in `{name}` ({list(given)})",
                               kind=RUNTIME, hint="name each dim once")
    order = [None] * nd
    for s, d in zip(src_n, dst_n):
        order[d] = s
    rest = iter(d for d in range(nd) if d not in src_n)
    order = tuple(next(rest) if o is None else o for o in order)
    return F.m_permute(rt, x, order)


def f_moveaxis(rt, input, source, destination):
    return f_movedim(rt, input, source, destination, fname="moveaxis")


def f_swapaxes(rt, input, axis0, axis1):
    """swapaxes / swapdims: transpose under numpy's name."""
    return F.f_transpose(rt, _need_tensor(input, "swapaxes"), axis0, axis1)


def f_swapdims(rt, input, dim0, dim1):
    return F.f_transpose(rt, _need_tensor(input, "swapdims"), dim0, dim1)


# ---- atleast_nd, hstack, vstack, dstack, column_stack ---------------------------

# PyTorch's forms of atleast_1d/2d/3d (torch's wrapper gives it one
# argument: the tensor, or the tuple of several)
ATLEAST_FORMS = forms("(Tensor input)", "(tuple of Tensors tensors)")


def _atleast(name: str, shape_of):
    """atleast_1d/2d/3d: one tensor gives one, several (or a list of them)
    a tuple; a tensor of enough dims is returned itself."""
    def f(rt, *tensors):
        one = tensors[0] if len(tensors) == 1 else tensors
        arg_parser.check(name, ATLEAST_FORMS, (one,), {}, set())
        if is_tensor(one):
            return shape_of(rt, one)
        for i, t in enumerate(one):
            if not is_tensor(t):
                raise GradvizError(f"expected Tensor as element {i} in argument 0, but got "
                                   f"{arg_type_name(t)}", kind=TYPE,
                                   hint=f"{name}(x) or {name}(x, y): tensors only")
        return tuple(shape_of(rt, t) for t in one)
    f.__name__ = name
    return f


def _at_least_1d(rt, t):
    return F.f_reshape(rt, t, 1) if t.data.ndim == 0 else t


def _at_least_2d(rt, t):
    nd = t.data.ndim
    if nd == 0:
        return F.f_reshape(rt, t, 1, 1)
    return F.f_unsqueeze(rt, t, 0) if nd == 1 else t


def _at_least_3d(rt, t):
    """PyTorch's order: a vector gains its first dim, then its last."""
    nd = t.data.ndim
    if nd == 0:
        return F.f_reshape(rt, t, 1, 1, 1)
    if nd == 1:
        return F.f_unsqueeze(rt, F.f_unsqueeze(rt, t, 0), -1)
    return F.f_unsqueeze(rt, t, -1) if nd == 2 else t


def _tensor_list(tensors, fname: str) -> tuple:
    """The stacking functions' list, with PyTorch's checks."""
    if not isinstance(tensors, (list, tuple)):
        raise GradvizError(f"{fname}(): argument 'tensors' (position 1) must be tuple of "
                           f"Tensors, not {arg_type_name(tensors)}", kind=TYPE,
                           hint=f"give the tensors in one list: {fname}([a, b])")
    if not tensors:
        raise GradvizError(f"{fname} expects a non-empty TensorList", kind=RUNTIME,
                           hint=f"give the tensors in one list: {fname}([a, b])")
    for i, t in enumerate(tensors):
        if not is_tensor(t):
            raise GradvizError(f"expected Tensor as element {i} in argument 0, but got "
                               f"{arg_type_name(t)}", kind=TYPE, hint=f"{fname}([a, b]): "
                                                                      "tensors only")
    return tuple(tensors)


def f_hstack(rt, tensors):
    """hstack: cat of atleast_1d's along dim 0 for vectors, else dim 1."""
    ts = [_at_least_1d(rt, t) for t in _tensor_list(tensors, "hstack")]
    return F.FUNCTIONS["cat"](rt, ts, 0 if ts[0].data.ndim == 1 else 1)


def _stacker(name: str, at_least, dim: int):
    def f(rt, tensors):
        ts = [at_least(rt, t) for t in _tensor_list(tensors, name)]
        return F.FUNCTIONS["cat"](rt, ts, dim)
    f.__name__ = name
    return f


def f_column_stack(rt, tensors):
    """column_stack: each 0-d or 1-d tensor reshaped to a column, then cat on dim 1."""
    ts = [F.f_reshape(rt, t, t.data.size, 1) if t.data.ndim <= 1 else t
          for t in _tensor_list(tensors, "column_stack")]
    return F.FUNCTIONS["cat"](rt, ts, 1)


# ---- hsplit, vsplit, dsplit, fliplr, flipud ---------------------------------------

def _splitter(name: str, min_dims: int, dim_of):
    """hsplit/vsplit/dsplit: tensor_split along dim_of(ndim), a count of
    sections having to divide that dim evenly."""
    def f(rt, input, indices_or_sections):
        x = _need_tensor(input, name)
        nd = x.data.ndim
        if nd < min_dims:
            raise GradvizError(f"torch.{name} requires a tensor with at least {min_dims} "
                               f"dimension, but got a tensor with {nd} dimensions!",
                               kind=RUNTIME, hint=f"{name} splits dim {dim_of(max(nd, 1))}")
        d = dim_of(nd)
        split = indices_or_sections
        if isinstance(split, int) and not isinstance(split, bool):
            n = x.data.shape[d]
            if split == 0 or n % split:
                raise GradvizError(f"torch.{name} attempted to split along dimension {d}, but "
                                   f"the size of the dimension {n} is not divisible by the "
                                   f"split_size {split}!", kind=RUNTIME,
                                   hint="a number of sections that divides the dim, or a list "
                                        "of indices")
        elif not (isinstance(split, (list, tuple)) and all(
                isinstance(i, int) and not isinstance(i, bool) for i in split)):
            raise F.invalid_combination(name, [x, split],
                                        hint=f"{name}(x, sections) or {name}(x, [i, j])")
        return shape_fns.f_tensor_split(rt, x, split, d)
    f.__name__ = name
    return f


def _flipper(name: str, min_dims: int, dim: int):
    def f(rt, input):
        x = _need_tensor(input, name)
        if x.data.ndim < min_dims:
            raise GradvizError(f"Input must be >= {min_dims}-d.", kind=RUNTIME,
                               hint=f"{name} reverses dim {dim}")
        return selection.f_flip(rt, x, (dim,))
    f.__name__ = name
    return f


# ---- diagflat, select, narrow_copy, msort, sum_to_size ----------------------------

def f_diagflat(rt, input, offset=0):
    """diagflat: x flattened (contiguous().view(-1)) on a matrix's diagonal."""
    x = _need_tensor(input, "diagflat")
    offset = _int(offset, "diagflat", "offset", 2)
    return rt.apply(OPS["diag_embed"], (f_ravel(rt, x),), {"offset": offset})


def f_select(rt, input, dim, index):
    """select(x, dim, i): x[..., i] at dim, a view (SelectBackward0)."""
    x = _need_tensor(input, "select")
    dim = _int(dim, "select", "dim", 2)
    index = _int(index, "select", "index", 3)
    nd = x.data.ndim
    if nd == 0:
        raise GradvizError("select() cannot be applied to a 0-dim tensor.", kind=INDEX,
                           hint="a 0-d tensor has no dim to pick from")
    d = _dim(dim, nd)
    n = x.data.shape[d]
    if not -n <= index < n:
        raise GradvizError(f"select(): index {index} out of range for tensor of size "
                           f"{list(x.data.shape)} at dimension {d}", kind=INDEX,
                           hint=f"dim {d} has size {n}")
    return rt.apply(OPS["index"], (x,), {"index": (slice(None),) * d + (index % n,),
                                         "advanced": False, "grad_fn": "SelectBackward0"})


def f_narrow_copy(rt, input, dim, start, length):
    """narrow_copy: narrow's rows in memory of their own (NarrowCopyBackward0)."""
    x = _need_tensor(input, "narrow_copy")
    view = selection.f_narrow(rt, x, dim, start, length)
    view.params = {**view.params, "grad_fn": "NarrowCopyBackward0"}
    view.data = view.data.copy()          # (not a view: writes into it leave x alone)
    return view


def f_msort(rt, input):
    """msort: sort's values along dim 0."""
    x = _need_tensor(input, "msort")
    if x.data.ndim == 0:
        return x
    return selection.f_sort(rt, x, 0).values


def m_sum_to_size(rt, x, *size):
    """x.sum_to_size(shape): x summed down to shape, as PyTorch's sum_to:
    one sum over the leading dims and the dims shape has as 1 (kept), then
    a view dropping the leading ones; x itself when it has that shape."""
    shape = F._sizes_given("sum_to_size", "size", size)
    have = x.data.shape
    lead = len(have) - len(shape)
    if lead < 0 or any(s != h and s != 1 for s, h in zip(shape, have[lead:])):
        raise GradvizError(f"size {{{list(shape)}}} is not expandable to size {{{list(have)}}}.",
                           kind=RUNTIME, hint="each size equal to x's or 1, compared from "
                                              "the right")
    dims = tuple(range(lead)) + tuple(i for i in range(lead, len(have))
                                      if shape[i - lead] == 1 and have[i] != 1)
    out = F.FUNCTIONS["sum"](rt, x, dims, keepdim=True) if dims else x
    return F.m_view(rt, out, *shape) if lead > 0 else out


# ---- new_empty, unravel_index ------------------------------------------------------

def m_new_empty(rt, x, *sizes, size=None, dtype=None, requires_grad=False, device=None,
                layout=None, pin_memory=False):
    """x.new_empty(2, 3): PyTorch leaves the values unset; here they are zeros."""
    F.new_options("new_empty", device, layout, pin_memory)
    return F._filled("new_empty", 0)(rt, *sizes, size=size, dtype=F._dtype_of(x, dtype),
                                     requires_grad=requires_grad)


def f_unravel_index(rt, indices, shape):
    """unravel_index(flat, shape): a tuple of int64 tensors, one per dim;
    an index past the end (or negative) wraps, as PyTorch's arithmetic does."""
    idx = _need_tensor(indices, "unravel_index", 1, "indices")
    if idx.data.dtype.kind not in "iu":
        raise GradvizError(f"expected 'indices' to be integer dtype, but got "
                           f"{DType(idx.data.dtype.name)}", kind=TYPE,
                           hint="flat indices are whole numbers: torch.tensor([4, 1])")
    dims = _ints(shape, "unravel_index", "shape", 2)
    flat = idx.data.astype(np.int64)
    out = []
    for n in reversed(dims):
        out.append(np.mod(flat, n) if n else flat * 0)
        flat = np.floor_divide(flat, n) if n else flat
    return tuple(F._leaf(rt, np.asarray(a, np.int64), False, "unravel_index")
                 for a in reversed(out))


# ---- select_scatter, slice_scatter, combinations ------------------------------------

def _scatter_into(rt, x, src, key: tuple, grad_fn: str):
    """A copy of x with src written at x[key] (src of exactly that shape,
    as PyTorch checks), recorded as the one node PyTorch records."""
    src = _need_tensor(src, grad_fn.replace("ScatterBackward0", "").lower() + "_scatter", 2, "src")
    part = x.data[key].shape
    if src.data.shape != part:
        raise GradvizError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.data.shape)}, slice size = {list(part)}", kind=RUNTIME,
                           hint=f"src must have the shape {list(part)}")
    if src.data.dtype != x.data.dtype:        # (written in x's dtype, as PyTorch's copy_)
        src = F.METHODS["to"](rt, src, DType(x.data.dtype.name))
    return rt.apply(OPS["setitem"], (x, src), {"index": key, "advanced": False,
                                               "grad_fn": grad_fn})


def f_select_scatter(rt, input, src, dim, index):
    """select_scatter(x, src, dim, i): x with x.select(dim, i) replaced by src."""
    x = _need_tensor(input, "select_scatter")
    dim = _int(dim, "select_scatter", "dim", 3)
    index = _int(index, "select_scatter", "index", 4)
    d = _dim(dim, x.data.ndim)
    n = x.data.shape[d]
    if not -n <= index < n:
        raise GradvizError(f"select(): index {index} out of range for tensor of size "
                           f"{list(x.data.shape)} at dimension {d}", kind=INDEX,
                           hint=f"dim {d} has size {n}")
    return _scatter_into(rt, x, src, (slice(None),) * d + (index % n,), "SelectScatterBackward0")


def f_slice_scatter(rt, input, src, dim=0, start=None, end=None, step=1):
    """slice_scatter(x, src, dim, start, end, step): x with that slice replaced by src."""
    x = _need_tensor(input, "slice_scatter")
    dim = _int(dim, "slice_scatter", "dim", 3)
    step = _int(step, "slice_scatter", "step", 6)
    if step <= 0:
        raise GradvizError("slice step must be positive", kind=RUNTIME,
                           hint="step is 1 or more")
    d = _dim(dim, x.data.ndim)
    return _scatter_into(rt, x, src, (slice(None),) * d + (slice(start, end, step),),
                         "SliceScatterBackward0")


def _diagonal_key(shape: tuple, offset: int, d1: int, d2: int) -> tuple:
    """Index arrays for every dim that pick x.diagonal(offset, d1, d2) in
    PyTorch's layout (the other dims in order, the diagonal last)."""
    n1, n2 = shape[d1], shape[d2]
    k = max(0, min(n1, n2 - offset) if offset >= 0 else min(n1 + offset, n2))
    rest = [a for a in range(len(shape)) if a not in (d1, d2)]
    m = len(rest)
    key = [None] * len(shape)
    for j, a in enumerate(rest):
        key[a] = np.arange(shape[a]).reshape((1,) * j + (shape[a],) + (1,) * (m - j))
    along = np.arange(k).reshape((1,) * m + (k,))
    key[d1] = along + max(-offset, 0)
    key[d2] = along + max(offset, 0)
    return tuple(key)


def f_diagonal_scatter(rt, input, src, offset=0, dim1=0, dim2=1):
    """diagonal_scatter(x, src, offset, dim1, dim2): x with that diagonal
    replaced by src (DiagonalScatterBackward0)."""
    x = _need_tensor(input, "diagonal_scatter")
    src = _need_tensor(src, "diagonal_scatter", 2, "src")
    offset = _int(offset, "diagonal_scatter", "offset", 3)
    d1, d2 = selection.diagonal_dims(x, dim1, dim2, "two different dims: dim1=0, dim2=1")
    key = _diagonal_key(x.data.shape, offset, d1, d2)
    part = x.data[key].shape
    if src.data.shape != part:
        raise GradvizError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.data.shape)}, slice size = {list(part)}", kind=RUNTIME,
                           hint=f"src must have the shape {list(part)}")
    if src.data.dtype != x.data.dtype:
        src = F.METHODS["to"](rt, src, DType(x.data.dtype.name))
    return rt.apply(OPS["setitem"], (x, src), {"index": key, "advanced": True,
                                               "grad_fn": "DiagonalScatterBackward0"})


def f_combinations(rt, input, r=2, with_replacement=False):
    """combinations(v, r): PyTorch's composite, r meshgrid copies of v, each
    masked_select'ed by the mask of increasing index tuples, stacked on dim 1."""
    x = _need_tensor(input, "combinations")
    r = _int(r, "combinations", "r", 2)
    if x.data.ndim != 1:
        raise GradvizError(f"Expect a 1D vector, but got shape {list(x.data.shape)}",
                           kind=RUNTIME, hint="combinations takes a vector")
    if r < 0:
        raise GradvizError(f"Expect a non-negative number, but got {r}", kind=RUNTIME,
                           hint="r counts the elements of each combination")
    if r == 0:
        return F._leaf(rt, np.zeros(0, x.data.dtype), False, "combinations")
    n = x.data.shape[0]
    rt.tape.check_size(n ** r, "meshgrid")
    grids = shape_fns.f_meshgrid(rt, *[x] * r, indexing="ij")
    idx = np.indices((n,) * r)
    mask = np.ones((n,) * r, bool)
    for a, b in zip(idx[:-1], idx[1:]):
        mask &= (a <= b) if with_replacement else (a < b)
    mask_t = F._leaf(rt, mask, False, "combinations.mask")
    picked = [F.FUNCTIONS["masked_select"](rt, g, mask_t) for g in grids]
    return F.FUNCTIONS["stack"](rt, picked, 1)


# ---- x.unfold ------------------------------------------------------------------------

def m_unfold(rt, x, dimension=None, size=None, step=None):
    """x.unfold(dim, size, step): the windows of size elements every step
    along dim, each as a new last dim (UnfoldBackward0): a view of x."""
    missing = [name for name, v in (("dimension", dimension), ("size", size), ("step", step))
               if v is None]
    if missing:
        names = ", ".join(f'"{name}"' for name in missing)
        word = "arguments" if len(missing) == 1 else "argument"     # (PyTorch's words, so)
        raise GradvizError(f"unfold() missing {len(missing)} required positional {word}: "
                           f"{names}", kind=TYPE, hint="x.unfold(dim, size, step)")
    dimension, size, step = (_int(v, "unfold", arg, pos) for arg, v, pos in
                             (("dimension", dimension, 1), ("size", size, 2), ("step", step, 3)))
    nd = x.data.ndim
    d = _dim(dimension, nd)
    n = x.data.shape[d] if nd else 1
    if size > n:
        raise GradvizError(f"maximum size for tensor at dimension {d} is {n} but size is "
                           f"{size}", kind=RUNTIME, hint=f"dim {d} has {n} elements")
    if size < 0:
        raise GradvizError(f"size is {size} but must be >= 0", kind=RUNTIME,
                           hint="size is the window's length")
    if step <= 0:
        raise GradvizError(f"step is {step} but must be > 0", kind=RUNTIME,
                           hint="step is how far each window starts after the last")
    return rt.apply(OPS["unfold"], (x,), {"dim": d, "size": size, "step": step})


# ---- as_strided ---------------------------------------------------------------------

def f_as_strided(rt, input, size, stride, storage_offset=None):
    """torch.as_strided(x, size, stride, storage_offset) / x.as_strided(...):
    the elements of x's memory (its storage) at that layout, a view of it
    (AsStridedBackward0); the offset x's own when not given."""
    x = _need_tensor(input, "as_strided")
    size = _ints(size, "as_strided", "size", 2, single=False)
    stride = _ints(stride, "as_strided", "stride", 3, single=False)
    if storage_offset is not None:
        storage_offset = _int(storage_offset, "as_strided", "storage_offset", 4)
    x_strides, x_offset = strides.layout(x)
    offset = x_offset if storage_offset is None else storage_offset
    if len(size) == len(stride) and all(s >= 0 for s in stride) and \
            all(n >= 0 for n in size) and offset >= 0:
        storage = _storage_size(x, x_strides, x_offset)
    else:
        storage = 0               # (the layout's own error comes first)
    _check_layout(size, stride, offset, storage, x.data.itemsize)
    rt.tape.check_shape(size)
    out = rt.apply(OPS["as_strided"], (x,), {"size": size, "stride": stride,
                                            "storage_offset": offset,
                                            "input_layout": (x_strides, x_offset, storage)})
    if any(s == 0 and n > 1 for n, s in zip(size, stride)):
        out.meta = {**(out.meta or {}), "overlapping": True}     # (PyTorch's error on writes)
    return out


def f_slice_inverse(rt, input, src, dim=0, start=None, end=None, step=1):
    """torch.slice_inverse(x, base, dim, start, end, step) / x.slice_inverse(...):
    for x a slice of base (base's start:end:step along dim), base again: x's
    memory read at base's layout, a view of x (SliceInverseBackward0). Its
    gradient: the slice of it to x, the rest (the slice zeroed) to base."""
    x = _need_tensor(input, "slice_inverse")
    base = _need_tensor(src, "slice_inverse", 2, "src")
    dim = _int(dim, "slice_inverse", "dim", 3)
    step = _int(step, "slice_inverse", "step", 6)
    size = base.data.shape
    stride, offset = strides.layout(base)
    x_strides, x_offset = strides.layout(x)
    storage = _storage_size(x, x_strides, x_offset)
    _check_layout(size, stride, offset, storage, x.data.itemsize)
    return rt.apply(OPS["slice_inverse"], (x, base), {
        "size": size, "stride": stride, "storage_offset": offset,
        "input_layout": (x_strides, x_offset, storage),
        "dim": dim, "start": start, "end": end, "step": step})


def f_as_strided_scatter(rt, input, src, size, stride, storage_offset=None):
    """torch.as_strided_scatter(x, src, size, stride, storage_offset) /
    x.as_strided_scatter(...): a copy of x (laid out as PyTorch's clone lays
    it out) with src written where copy.as_strided(size, stride,
    storage_offset) sees its memory (AsStridedScatterBackward0)."""
    x = _need_tensor(input, "as_strided_scatter")
    src = _need_tensor(src, "as_strided_scatter", 2, "src")
    size = _ints(size, "as_strided_scatter", "size", 3, single=False)
    stride = _ints(stride, "as_strided_scatter", "stride", 4, single=False)
    offset = 0 if storage_offset is None else _int(storage_offset, "as_strided_scatter",
                                                   "storage_offset", 5)
    layout = strides.preserved_strides(x)
    if x.requires_grad and layout != strides.contiguous_strides(x.data.shape):
        raise GradvizError(
            "!self.requires_grad() || self.is_contiguous() INTERNAL ASSERT FAILED at "
            "\"/__w/pytorch/pytorch/aten/src/ATen/native/TensorShape.cpp\":4754, please report "
            "a bug to PyTorch. as_strided_scatter is currently only supported for contiguous "
            "inputs", kind=RUNTIME, hint="scatter into a contiguous tensor: x.contiguous()")
    _check_layout(size, stride, offset, x.data.size, x.data.itemsize)
    if tuple(src.data.shape) != tuple(size):
        raise GradvizError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.data.shape)}, slice size = {list(size)}", kind=RUNTIME,
                           hint=f"src is the slice's shape: {tuple(size)}")
    if any(s == 0 and n > 1 for n, s in zip(size, stride)):
        raise GradvizError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.", kind=RUNTIME,
                           hint="a stride of 0 writes one place twice: give each element its "
                                "own place")
    if src.data.dtype != x.data.dtype:          # (copy_ casts src to x's dtype)
        src = F.f_to(rt, src, x.data.dtype)
    return rt.apply(OPS["as_strided_scatter"], (x, src),
                    {"size": size, "stride": stride, "storage_offset": offset,
                     "layout": layout})


def _check_layout(size, stride, offset: int, storage: int, item: int, shown=None) -> None:
    """as_strided's checks of a layout over a storage of `storage` elements
    (shown: the strides the out-of-bounds error names, where those given
    were not these: set_'s none, its contiguous ones)."""
    if len(size) != len(stride):
        raise GradvizError("mismatch in length of strides and shape", kind=RUNTIME,
                           hint="give one stride per size")
    if any(s < 0 for s in stride):
        raise GradvizError(f"as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}", kind=RUNTIME, hint="strides are 0 or more")
    if any(n < 0 for n in size):
        raise GradvizError(f"Storage size calculation overflowed with sizes={list(size)} and "
                           f"strides={list(stride)}", kind=RUNTIME, hint="sizes are 0 or more")
    if offset < 0:
        raise GradvizError(f"Tensor: invalid storage offset {offset}", kind=RUNTIME,
                           hint="the offset counts elements from the storage's start")
    need = offset + sum((n - 1) * s for n, s in zip(size, stride)) + 1 if all(size) else 0
    if need > storage:
        raise GradvizError(f"setStorage: sizes {list(size)}, strides "
                           f"{list(stride if shown is None else shown)}, storage "
                           f"offset {offset}, and itemsize {item} requiring a storage size of "
                           f"{need * item} are out of bounds for storage of size {storage * item}",
                           kind=RUNTIME, hint=f"the storage holds {storage} elements")


def _storage_size(x, x_strides, x_offset) -> int:
    """How many elements x's storage holds: the memory numpy keeps x's
    elements in, where its layout there is PyTorch's (else an error: an
    expand() is a copy here)."""
    a = x.data
    flat = _memory(a)
    mine = [s // a.itemsize for s in a.strides]
    if flat is None or strides.element_offset(a) != x_offset or any(
            n > 1 and s != t for n, s, t in zip(a.shape, mine, x_strides)):
        raise GradvizError("gradviz does not model as_strided() of this tensor: its memory is "
                           "not laid out here as PyTorch lays it out (an expand(), or a view "
                           "of one)", kind=RUNTIME,
                           hint="call as_strided() on a clone(): x.clone().as_strided(...)")
    return flat.size


FUNCTIONS = {
    "as_strided": f_as_strided, "as_strided_scatter": f_as_strided_scatter,
    "slice_inverse": f_slice_inverse,
    "permute": f_permute, "ravel": f_ravel,
    "broadcast_to": f_broadcast_to, "broadcast_tensors": f_broadcast_tensors,
    "broadcast_shapes": f_broadcast_shapes,
    "movedim": f_movedim, "moveaxis": f_moveaxis, "swapaxes": f_swapaxes, "swapdims": f_swapdims,
    "atleast_1d": _atleast("atleast_1d", _at_least_1d),
    "atleast_2d": _atleast("atleast_2d", _at_least_2d),
    "atleast_3d": _atleast("atleast_3d", _at_least_3d),
    "hstack": f_hstack, "vstack": _stacker("vstack", _at_least_2d, 0),
    "row_stack": _stacker("row_stack", _at_least_2d, 0),
    "dstack": _stacker("dstack", _at_least_3d, 2), "column_stack": f_column_stack,
    "hsplit": _splitter("hsplit", 1, lambda nd: 1 if nd > 1 else 0),
    "vsplit": _splitter("vsplit", 2, lambda nd: 0),
    "dsplit": _splitter("dsplit", 3, lambda nd: 2),
    "fliplr": _flipper("fliplr", 2, 1), "flipud": _flipper("flipud", 1, 0),
    "diagflat": f_diagflat, "select": f_select, "narrow_copy": f_narrow_copy, "msort": f_msort,
    "unravel_index": f_unravel_index, "select_scatter": f_select_scatter,
    "slice_scatter": f_slice_scatter, "combinations": f_combinations,
    "diagonal_scatter": f_diagonal_scatter,
}
METHODS = {name: _as_method(name, FUNCTIONS[name])
           for name in ("as_strided", "as_strided_scatter", "slice_inverse", "ravel", "movedim", "moveaxis", "swapaxes", "swapdims",
                        "hsplit", "vsplit", "dsplit", "fliplr", "flipud", "diagflat", "select",
                        "narrow_copy", "msort", "select_scatter", "slice_scatter",
                        "diagonal_scatter")}
METHODS.update({"view_as": m_view_as, "reshape_as": m_reshape_as, "where": m_where,
                "broadcast_to": m_broadcast_to, "sum_to_size": m_sum_to_size,
                "new_empty": m_new_empty, "unfold": m_unfold})
