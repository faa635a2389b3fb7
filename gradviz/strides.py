"""Tensor.stride(), storage_offset() and is_contiguous(), as PyTorch reports them.

gradviz's tensors are numpy arrays and most of its views numpy views of the
same memory, so the layout is mostly numpy's: its strides (in bytes; here in
elements) and where a view starts in the array that owns the memory. Where
the two differ, PyTorch's layout is worked out from the op instead:
- numpy gives a new axis of size 1 (x[None]) stride 0, PyTorch's unsqueeze
  the next dim's size times its stride (1 at the end);
- an expand made inside gradviz (a gradient, a broadcast) is a copy, a
  view in PyTorch, and a view's numpy layout is its input's numpy one,
  which may be such a copy's: the strides and offset of expand,
  diagonal and unfold
  are worked out from their input's as PyTorch works them out, and so are
  those of the views made from them (transpose, permute, unsqueeze, view,
  reshape: DERIVED; indexing: _indexed), which view() also asks whether
  it can be made;
- an empty tensor's strides are a fresh tensor's of its shape;
- a tensor whose shape changed in place without gradients (x.t_(),
  inplace_views) keeps the layout that change gave it (its meta's "layout").
What gradviz makes as a new array keeps numpy's layout, but clone() and the
*_like functions, laid out as PyTorch's preserve_format lays them out
(lay_out_like), and the draws made like a tensor, filled in its memory's
order (in_memory_order); tests/test_strides.py pins each kind against PyTorch, and
lists where they differ.
"""

from __future__ import annotations

import numpy as np

from .errors import INDEX, RUNTIME, TYPE, GradvizError
from .tensor import Tensor


# how many ops back layout() follows a tensor's views (then numpy's layout)
DEPTH = 64


def layout(t, depth: int = 0) -> tuple:
    """(strides in elements, storage offset) of tensor t, as PyTorch's."""
    if t.meta is not None and "layout" in t.meta:
        return t.meta["layout"]       # (changed in place since its op made it: x.t_())
    op = t.op
    if op is not None and depth < DEPTH:
        derive = DERIVED.get(op.name)
        if derive is not None and not (op.name == "diagonal" and "grad_fn" in t.params):
            # (torch.diag's diagonal is a copy there too)
            x = t.args[0]
            strides, offset = layout(x, depth + 1)
            return derive(x.data.shape, list(strides), t.data.shape, t.params), offset_of(
                op.name, x.data.shape, strides, offset, t.params)
        if op.name == "index" and t.data.base is not None and not t.params.get("advanced"):
            got = _indexed(t.args[0], t.params["index"], depth)
            if got is not None:
                return got
        if op.name in ITERATED and t.data.base is None:
            return _iterated(op.name, t.data.shape, t.args, depth), 0
    a = t.data
    if t.meta is not None and t.meta.get("label") == "from_numpy":
        # (PyTorch takes the array's strides as they are, its storage from
        # where the array starts)
        return tuple(s // a.itemsize for s in a.strides), 0
    if a.size == 0:
        return contiguous_strides(a.shape), 0
    return _unsqueezed(a.shape, [s // a.itemsize for s in a.strides]), element_offset(a)


# the elementwise ops whose result PyTorch lays out by its TensorIterator
# (iterated_strides) where numpy's ufuncs may lay it out otherwise
ITERATED = frozenset("""abs acos acosh add addcdiv addcmul angle asin asinh atan atan2 atanh
bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor ceil
clamp clamp_max clamp_max_tensor clamp_min clamp_min_tensor clamp_tensor copysign cos cosh
deg2rad digamma div div_mode elu eq erf erfc erfinv exp exp2 expm1 floor floor_divide fmax
fmin fmod frac ge gelu gt hardshrink hardsigmoid hardswish hardtanh heaviside hypot i0 igamma
igammac le leaky_relu lerp lgamma log log10 log1p log2 logaddexp logaddexp2 logit lt maximum
minimum mish mul nan_to_num ne neg nextafter polygamma pow rad2deg rdiv reciprocal relu
remainder round rremainder rsqrt rsub rsub_alpha sgn sigmoid sign silu sin sinc sinh softplus
softshrink sqrt square sub tan tanh trunc where xlogy""".split())


def iterated_layout(name: str, a: np.ndarray, args: tuple) -> np.ndarray:
    """a, the new result of the elementwise op name (in ITERATED) on args,
    in the memory layout PyTorch gives it, where numpy's ufunc gave it
    another: its memory then holds the elements in PyTorch's order, as
    as_strided() and view() read them. (Inputs all in C order, as most are:
    C order in both.)"""
    for x in args:
        if x.__class__ is Tensor and not (x.data.flags.c_contiguous and
                                          (x.meta is None or "layout" not in x.meta)):
            break
    else:
        if name != "pow" or args[0].__class__ is Tensor:
            return a
    return in_strides(a, _iterated(name, a.shape, args, 0))


def _iterated(name: str, shape: tuple, args: tuple, depth: int) -> tuple:
    """The strides of the new result of shape of the elementwise op name on
    args (iterated_strides)."""
    if name == "pow" and args[0].__class__ is not Tensor:
        return contiguous_strides(shape)     # (PyTorch's pow(number, x) fills a fresh tensor)
    return iterated_strides(shape, [
        (x.data.shape, layout(x, depth + 1)[0], x.data.itemsize) if x.__class__ is Tensor
        else None for x in args if x.__class__ is Tensor or isinstance(x, (int, float))])


def iterated_strides(shape: tuple, operands: list) -> tuple:
    """The strides PyTorch's TensorIterator gives an elementwise op's new
    result of shape, from its operands: (shape, strides, itemsize) each, None
    for a number (a 0-d scalar to it). Operands all of that shape and all
    contiguous, all channels_last, or all dense with the same strides give
    the result theirs; else the dims are ordered by the operands' strides
    (in bytes), the first operand that tells two dims apart deciding
    (_iterator_order), and the result is dense in that order."""
    same = [o for o in operands if o is not None and o[0] == shape]
    if len(same) == len(operands):
        steps = [o[1] for o in same]
        if all(dense_in_order(shape, st) for st in steps):
            return contiguous_strides(shape)
        if len(shape) == 4 and all(_packed(shape, st, (1, 3, 2, 0)) for st in steps):
            return _dense_in(shape, [1, 3, 2, 0])
        if all(_dense(shape, st) for st in steps) and all(st == steps[0] for st in steps):
            return tuple(steps[0])
    broadcast = [_broadcast_bytes(shape, *o) for o in operands if o is not None]
    order = _iterator_order(shape, broadcast)
    if order == sorted(order, reverse=True):
        return contiguous_strides(shape)     # (a fresh tensor's: an empty one's differ)
    return _dense_in(shape, order)


def _broadcast_bytes(shape: tuple, sizes: tuple, steps: tuple, itemsize: int) -> list:
    """An operand's strides in bytes over the result's shape: 0 along the
    dims it is broadcast in (new ones, and its size-1 ones that grew)."""
    lead = len(shape) - len(sizes)
    return [0] * lead + [0 if n == 1 and shape[lead + d] != 1 else st * itemsize
                         for d, (n, st) in enumerate(zip(sizes, steps))]


def _iterator_order(shape: tuple, operands: list) -> list:
    """TensorIterator's reorder_dimensions: the dims, innermost first,
    sorted by insertion, a dim moving past another where the first operand
    with both strides non-zero and unequal has its stride larger, or equal
    strides and its size larger."""
    def should_swap(d0: int, d1: int) -> int:
        for st in operands:
            s0, s1 = st[d0], st[d1]
            if s0 == 0 or s1 == 0:
                continue
            if s0 != s1:
                return -1 if s0 < s1 else 1
            if shape[d0] > shape[d1]:
                return 1
        return 0
    return _insertion_sorted(len(shape), should_swap)


def _insertion_sorted(ndim: int, compare) -> list:
    """PyTorch's insertion sort of the dims, innermost first: a dim moves
    inward past another while compare(other, dim) > 0, and stops at the
    first where it is < 0 (0: undecided, it looks further)."""
    perm = list(reversed(range(ndim)))
    for i in range(1, ndim):
        moving = i
        for before in reversed(range(i)):
            c = compare(perm[before], perm[moving])
            if c > 0:
                perm[before], perm[moving] = perm[moving], perm[before]
                moving = before
            elif c < 0:
                break
    return perm


def _dense_in(shape: tuple, inner_first) -> tuple:
    """Dense strides with the dims laid out innermost first in that order."""
    out = [0] * len(shape)
    step = 1
    for d in inner_first:
        out[d] = step
        step *= shape[d]
    return tuple(out)


def _indexed(x, key, depth: int):
    """The layout of x[key] (basic indexing: ints, slices, None, ...) from
    x's, as PyTorch's indexing works it out, one item of the key after the
    other (a None is an unsqueeze where it stands then); None for a key of
    other items."""
    strides_in, offset = layout(x, depth + 1)
    sizes, strides = list(x.data.shape), list(strides_in)
    key = key if isinstance(key, tuple) else (key,)
    d = 0
    for k in key:
        if k is None:
            strides.insert(d, sizes[d] * strides[d] if d < len(sizes) else 1)
            sizes.insert(d, 1)
            d += 1
        elif k is Ellipsis:
            d += len(x.data.shape) - sum(1 for k in key if k is not None and k is not Ellipsis)
        elif isinstance(k, slice):
            r = range(sizes[d])[k]      # (its start clamped as PyTorch's, even when empty)
            offset += r.start * strides[d]
            sizes[d], strides[d] = len(r), strides[d] * r.step
            d += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, (bool, np.bool_)):
            offset += (k % sizes[d]) * strides[d]
            del sizes[d], strides[d]
        else:
            return None
    return tuple(strides), offset


def preserved_strides(x) -> tuple:
    """The strides PyTorch gives a new tensor made like x with
    memory_format=torch.preserve_format (clone, zeros_like, ...): x's own
    when x is dense and no two elements share memory, else dense strides in
    the order of x's."""
    sizes = x.data.shape
    strides = layout(x)[0]
    if _dense(sizes, strides):
        return tuple(strides)
    out = [0] * len(sizes)
    step = 1
    for d in reversed(memory_order(sizes, strides)):      # (innermost first)
        out[d] = step
        step *= max(sizes[d], 1)
    return tuple(out)


def grad_strides(t) -> tuple | None:
    """The strides of a leaf t's new .grad where they are not C order:
    PyTorch's AccumulateGrad lays it out as t when t is dense and no two
    elements share memory (x.t().requires_grad_()); else (a slice with a
    step, an expand) in C order, as for a contiguous t (None)."""
    sizes = t.data.shape
    if len(sizes) < 2:
        return None
    want = tuple(layout(t)[0])
    if want == contiguous_strides(sizes) or not _dense(sizes, want):
        return None
    return want


def _dense(sizes, strides) -> bool:
    """PyTorch's is_non_overlapping_and_dense: the elements fill a block of
    memory without gaps, each once (dims of size 1 not counted)."""
    expected = 1
    for size, stride in sorted((p for p in zip(sizes, strides) if p[0] != 1),
                               key=lambda p: p[1]):
        if stride != expected:
            return False
        expected *= size
    return True


def lay_out_like(t, x) -> None:
    """t, a tensor just made like x (its value computed): its memory laid
    out as PyTorch's preserve_format lays it out, where numpy's is not."""
    lay_out(t, preserved_strides(x))


def lay_out(t, want: tuple) -> None:
    """t, a tensor just made (its value computed, its memory its own): its
    memory laid out in the strides want, where numpy's are others."""
    if layout(t)[0] == want:
        return
    if t.data.size == 0:            # (no memory to lay out: the strides are kept)
        t.meta = {**(t.meta or {}), "layout": (want, 0)}
        return
    t.data = new = in_strides(t.data, want)
    if tuple(s // new.itemsize for s in new.strides) != want:
        # (numpy strides a dim of size 1 its own way)
        t.meta = {**(t.meta or {}), "layout": (want, 0)}


def in_strides(a: np.ndarray, want: tuple) -> np.ndarray:
    """a's values in new memory laid out in the strides want (in elements),
    or a itself where it is laid out so (dims of size 1 aside)."""
    if not a.size or all(n == 1 or s == w * a.itemsize
                         for n, s, w in zip(a.shape, a.strides, want)):
        return a
    proto = np.lib.stride_tricks.as_strided(np.empty(1, a.dtype), a.shape,
                                            [s * a.itemsize for s in want])
    new = np.empty_like(proto, order="K")     # (numpy's order for those strides)
    np.copyto(new, a)
    return new


def contiguous_strides(shape) -> tuple:
    """A fresh tensor's strides: each dim's the product of the later sizes
    (a size 0 counted as 1)."""
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def memory_order(shape, strides) -> list:
    """The dims from the outermost to the innermost, as PyTorch walks a
    tensor's memory (its TensorIterator; infer_dense_strides sorts the same
    way): a stable insertion sort by stride, where a stride of 0 keeps a dim
    in place and of two equal strides the larger size goes outer."""
    return _iterator_order(shape, [strides])[::-1]


def in_memory_order(t, make) -> np.ndarray:
    """make(shape) for t's shape, its numbers laid out as t's memory holds
    them: PyTorch fills a tensor (a draw, a *_like's new memory) in memory
    order, so a transposed tensor gets its numbers down the columns, and
    the result keeps that layout (a *_like's preserve_format)."""
    shape = t.data.shape
    order = memory_order(shape, layout(t)[0])
    if order == sorted(order):
        return make(shape)
    return make(tuple(shape[d] for d in order)).transpose(np.argsort(order))


def positions(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """Where view's elements are in base (a C-contiguous array that owns the
    memory view looks into), as flat indices of base: read off the view's
    address and strides, whatever view ops made it."""
    item = base.itemsize
    start = (view.__array_interface__["data"][0] - base.__array_interface__["data"][0]) // item
    pos = np.full(view.shape, start, np.int64)
    for d, (n, stride) in enumerate(zip(view.shape, view.strides)):
        pos += (np.arange(n, dtype=np.int64) * (stride // item)).reshape(
            (n,) + (1,) * (view.ndim - d - 1))
    return pos


def holds_twice(a: np.ndarray) -> bool:
    """a holds an element of its memory at two places or more (overlapping
    unfold() windows, an as_strided(), an expand(), and views of those)."""
    # quick: with its dims by stride, each steps past all the ones before
    reach = a.itemsize
    for step, n in sorted((abs(s), n) for s, n in zip(a.strides, a.shape) if n > 1):
        if step < reach:
            return len(np.unique(_addresses(a))) < a.size
        reach += step * (n - 1)
    return False


def _addresses(a: np.ndarray) -> np.ndarray:
    """Where each element of a is, in bytes from its first one."""
    where = np.zeros(a.shape, np.int64)
    for d, (n, s) in enumerate(zip(a.shape, a.strides)):
        where += (np.arange(n, dtype=np.int64) * s).reshape((n,) + (1,) * (a.ndim - d - 1))
    return where


def appearances(a: np.ndarray) -> list:
    """Boolean masks over a, a view whose elements may share memory, one for
    each time an element of the memory comes round again: mask r marks each
    element's r-th appearance in PyTorch's order of iteration (memory_order:
    unfold(0, 3, 1) row by row, its t() column by column)."""
    order = memory_order(a.shape, a.strides)
    listed = _addresses(a).transpose(order).ravel()   # (in that order)
    # each element's count of the same place before it in the list
    by_place = np.argsort(listed, kind="stable")
    sorted_places = listed[by_place]
    starts = np.flatnonzero(np.r_[True, sorted_places[1:] != sorted_places[:-1]])
    rank_sorted = np.arange(listed.size) - np.repeat(starts, np.diff(np.r_[starts, listed.size]))
    rank = np.empty(listed.size, np.int64)
    rank[by_place] = rank_sorted
    rank = rank.reshape([a.shape[d] for d in order]).transpose(np.argsort(order))
    return [rank == r for r in range(int(rank.max(initial=-1)) + 1)]


def filled(view: np.ndarray, result: np.ndarray) -> np.ndarray:
    """result, a fill of view (masked_fill_ with a number) made once for each
    position, as the memory view shares holds it after PyTorch's kernel
    wrote it position after position: each element the value written at the
    last of its positions the fill changed (a masked fill leaves the others
    alone), or its own, the same wherever view holds it."""
    places, inv = np.unique(_addresses(view).ravel(), return_inverse=True)
    vals = np.empty(places.size, view.dtype)
    vals[inv] = view.ravel()
    new = result.ravel()
    changed = (result != view).ravel()
    for mask in appearances(view):          # (each place once per round)
        m = mask.ravel() & changed
        vals[inv[m]] = new[m]
    return vals[inv].reshape(view.shape)


def _unsqueezed(shape, strides: list) -> tuple:
    """numpy's strides with its stride 0 of a new size-1 axis as PyTorch's
    unsqueeze gives it: the next dim's size times its stride, 1 at the end."""
    for i in reversed(range(len(shape))):
        if shape[i] == 1 and strides[i] == 0:
            strides[i] = shape[i + 1] * strides[i + 1] if i + 1 < len(shape) else 1
    return tuple(strides)


def element_offset(a: np.ndarray) -> int:
    """Where a starts, in elements, in the array that owns its memory
    (numpy's broadcast and as_strided views keep it one object further)."""
    owner = a
    while True:
        base = owner.base
        if not isinstance(base, np.ndarray):
            base = getattr(base, "base", None)
            if not isinstance(base, np.ndarray):
                break
        owner = base
    start = a.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    return start // a.itemsize


def _expanded(sizes_in, strides_in, shape, params) -> tuple:
    """PyTorch's expand: an expanded dim's stride 0, a new leading dim's of
    size 1 the next dim's size times its stride."""
    strides = [0] * len(shape)
    for i in reversed(range(len(shape))):
        dim = i - (len(shape) - len(sizes_in))
        if dim >= 0:
            size, stride = sizes_in[dim], strides_in[dim]
        else:
            size = 1
            stride = shape[i + 1] * strides[i + 1] if i + 1 < len(shape) else 1
        strides[i] = stride if size == shape[i] else 0
    return tuple(strides)


def _diagonal(sizes_in, strides_in, shape, params) -> tuple:
    """PyTorch's x.diagonal(offset, dim1, dim2): dim1 and dim2 dropped, and
    a last dim stepping along both."""
    d1, d2 = params["dim1"], params["dim2"]
    kept = [s for i, s in enumerate(strides_in) if i not in (d1, d2)]
    return (*kept, strides_in[d1] + strides_in[d2])


def _unsqueeze(sizes_in, strides_in, shape, params) -> tuple:
    """PyTorch's unsqueeze(dim): the new dim's stride the size times the
    stride of the dim it goes before, 1 at the end."""
    d = params["dim"]
    new = sizes_in[d] * strides_in[d] if d < len(sizes_in) else 1
    return (*strides_in[:d], new, *strides_in[d:])


def _transposed(sizes_in, strides_in, shape, params) -> tuple:
    dims = params["dims"]
    if len(strides_in) < 2:           # (a 0-d or 1-d tensor's t() is itself)
        return tuple(strides_in)
    strides_in[dims[0]], strides_in[dims[1]] = strides_in[dims[1]], strides_in[dims[0]]
    return tuple(strides_in)


def _unfolded(sizes_in, strides_in, shape, params) -> tuple:
    """PyTorch's x.unfold(dim, size, step): dim steps by step elements of
    it, and a last dim along the window (a 0-d tensor's: stride 1)."""
    if not strides_in:
        return (1,)
    d = params["dim"]
    return (*strides_in[:d], strides_in[d] * params["step"], *strides_in[d + 1:], strides_in[d])


def view_strides(sizes_in, strides_in, shape):
    """The strides of x.view(shape) (PyTorch's computeStride), None where
    the view cannot be made: a dim of the new shape would span two pieces
    of x's memory that are not one stride apart."""
    if not sizes_in:
        return [1] * len(shape)
    numel = int(np.prod(sizes_in))
    if numel == 0:
        return list(strides_in) if tuple(sizes_in) == tuple(shape) else \
            list(contiguous_strides(shape))
    strides = [0] * len(shape)
    view_d = len(shape) - 1
    base = strides_in[-1]           # (the stride of the piece being matched)
    tensor_numel = view_numel = 1
    for d in reversed(range(len(sizes_in))):
        tensor_numel *= sizes_in[d]
        # a piece ends where the next dim out does not continue it
        if d == 0 or (sizes_in[d - 1] != 1 and strides_in[d - 1] != tensor_numel * base):
            while view_d >= 0 and (view_numel < tensor_numel or shape[view_d] == 1):
                strides[view_d] = view_numel * base
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                base = strides_in[d - 1]
                tensor_numel = view_numel = 1
    return strides if view_d == -1 else None


def _reshaped(sizes_in, strides_in, shape, params) -> tuple:
    """A view's strides, or a reshape's: a view where one can be made, else
    a copy's (a fresh tensor's)."""
    strides = view_strides(sizes_in, strides_in, shape)
    return contiguous_strides(shape) if strides is None else tuple(strides)


# the views whose layout PyTorch works out from their input's (an expand
# made inside gradviz is a copy)
DERIVED = {
    "expand": _expanded, "diagonal": _diagonal, "unsqueeze": _unsqueeze,
    "transpose": _transposed,
    "permute": lambda sizes_in, strides_in, shape, p: tuple(strides_in[d] for d in p["dims"]),
    "t": lambda sizes_in, strides_in, shape, p: tuple(reversed(strides_in)),
    "T": lambda sizes_in, strides_in, shape, p: tuple(reversed(strides_in)),
    "view": _reshaped, "reshape": _reshaped, "flatten": _reshaped, "squeeze": _reshaped,
    "unfold": _unfolded,
    "as_strided": lambda sizes_in, strides_in, shape, p: tuple(p["stride"]),
}
RESHAPES = ("view", "reshape", "flatten", "squeeze")


def offset_of(name: str, sizes_in, strides_in, offset: int, params) -> int:
    """The storage offset of a DERIVED view: its input's, but for an
    as_strided (its own), a diagonal that starts off the main one (and is
    not empty), and a reshape that had to copy (0, in new memory)."""
    if name in RESHAPES:
        return offset if view_strides(sizes_in, strides_in, params["shape"]) is not None else 0
    if name == "as_strided":
        return params["storage_offset"]
    if name != "diagonal":
        return offset
    d1, d2, k = params["dim1"], params["dim2"], params["offset"]
    length = min(sizes_in[d1], sizes_in[d2] - k) if k >= 0 else min(sizes_in[d1] + k,
                                                                       sizes_in[d2])
    if length <= 0:
        return offset
    return offset + (k * strides_in[d2] if k >= 0 else -k * strides_in[d1])


def m_stride(rt, x, dim=None, *, keywords=frozenset()):
    """x.stride() / x.stride(dim): how many elements apart the neighbours
    along each dim are in memory."""
    strides = layout(x)[0]
    if dim is None:
        return strides
    if dim.__class__ is not int:
        where = "" if "dim" in keywords else " (position 1)"
        from .functions import parsed_type_name
        raise GradvizError(f"stride(): argument 'dim'{where} must be int, not "
                           f"{parsed_type_name(dim)}", kind=TYPE,
                           hint="stride(dim) takes the dim as an int: x.stride(0)")
    ndim = len(strides)
    if ndim == 0:
        raise GradvizError(f"Dimension specified as {dim} but tensor has no dimensions",
                           kind=INDEX, hint="a 0-dim tensor's stride() is ()")
    if not -ndim <= dim < ndim:
        raise GradvizError(f"Dimension out of range (expected to be in range of [{-ndim}, "
                           f"{ndim - 1}], but got {dim})", kind=INDEX,
                           hint=f"this tensor has {ndim} dimension(s)")
    return strides[dim]


def m_storage_offset(rt, x, *args, **kw) -> int:
    """x.storage_offset(): where x starts, in elements, in its storage."""
    if args or kw:           # (a method of Python's C API that takes no arguments)
        says = f"no arguments ({len(args)} given)" if args else "no keyword arguments"
        raise GradvizError(f"TensorBase.storage_offset() takes {says}", kind=TYPE,
                           hint="x.storage_offset() takes no arguments")
    return layout(x)[1]


def m_is_contiguous(rt, x) -> bool:
    """PyTorch's rule: the strides are those of a fresh tensor of that shape,
    dims of size 1 not counted; an empty tensor is contiguous."""
    return dense_in_order(x.data.shape, layout(x)[0])


def dense_in_order(shape: tuple, strides: tuple) -> bool:
    """m_is_contiguous's rule, of a shape and its strides."""
    return 0 in shape or _packed(shape, strides, range(len(shape) - 1, -1, -1))


def _packed(shape: tuple, steps: tuple, order) -> bool:
    """Whether the dims, innermost first in order, lie packed one after
    another in memory (dims of size 1 not counted)."""
    expected = 1
    for d in order:
        if shape[d] != 1:
            if steps[d] != expected:
                return False
            expected *= shape[d]
    return True


def m_dim_order(rt, x, *, ambiguity_check=False) -> tuple:
    """x.dim_order(): x's dims from outermost to innermost in memory
    (PyTorch's compute_elementwise_output_logical_to_physical_perm: by
    stride, ties and stride-0 dims left in place); ambiguity_check=True
    refuses a tensor whose order is not the only one."""
    if ambiguity_check.__class__ is not bool:
        raise GradvizError("The ambiguity_check argument must be a bool or a list of memory "
                           "formats.", kind=TYPE, hint="ambiguity_check=True or False")
    shape, steps = x.data.shape, layout(x)[0]
    if ambiguity_check and (1 in shape or any(a == b for a, b in zip(steps, steps[1:]))):
        raise GradvizError("The tensor does not have unique dim order, or cannot map to exact "
                           "one of the given memory formats.", kind=RUNTIME,
                           hint="size-1 dims and equal strides can stand in any order")
    ndim = len(shape)
    if ndim < 2:
        return tuple(range(ndim))
    contiguous = m_is_contiguous(rt, x)
    channels_last = ndim == 4 and _packed(shape, steps, (1, 3, 2, 0))
    if contiguous and not channels_last:
        return tuple(range(ndim))
    if channels_last and not contiguous:
        return (0, *range(2, ndim), 1)
    order = _by_stride(shape, steps)
    if ambiguity_check and any(_compared(shape, steps, a, b) != -1
                               for a, b in zip(order, order[1:])):
        raise GradvizError("The tensor does not have unique dim order.", kind=RUNTIME,
                           hint="dims of stride 0 (expanded) can stand in any order")
    return tuple(reversed(order))


def _compared(shape: tuple, steps: tuple, a: int, b: int) -> int:
    """PyTorch's should_swap: 1 where dim a lies outside dim b, -1 inside,
    0 undecided (a stride 0; equal strides where a is not the longer)."""
    def ge(m, n):
        return True if n == 0 else False if m == 0 else m >= n or m % n == 0
    if steps[a] == 0 or steps[b] == 0:
        return 0
    if steps[a] == steps[b]:
        return 0 if ge(shape[b], shape[a]) else 1
    return -1 if ge(steps[b], steps[a]) else 1 if ge(steps[a], steps[b]) else 0


def _by_stride(shape: tuple, steps: tuple) -> list:
    """PyTorch's insertion sort of the dims, innermost first, by _compared."""
    return _insertion_sorted(len(shape), lambda a, b: _compared(shape, steps, a, b))


def _overlaps(dst: np.ndarray, src: np.ndarray, full_ok: bool) -> bool:
    """PyTorch's check that a copy's source and destination do not share
    memory: only for two dense arrays (it cannot tell otherwise), by the
    ranges of memory they span; the same range exactly is fine for copy_
    (full_ok), not for index_put_."""
    if not (src.flags.c_contiguous or src.flags.f_contiguous) or \
            not (dst.flags.c_contiguous or dst.flags.f_contiguous) or not src.size or not dst.size:
        return False
    a = dst.__array_interface__["data"][0]
    b = src.__array_interface__["data"][0]
    if a == b and dst.nbytes == src.nbytes and dst.strides == src.strides:
        return not full_ok
    return a < b + src.nbytes and b < a + dst.nbytes


def check_input_overlap(dst: np.ndarray, src: np.ndarray, full_ok: bool, hint: str) -> None:
    """PyTorch's refusal of a write into dst that reads src, part of the
    same memory (y[1:3] = y[0:2], y[1:3] += y[0:2]): its kernel would read
    elements it has already written (see _overlaps)."""
    if np.may_share_memory(dst, src) and _overlaps(dst, src, full_ok):
        raise GradvizError("unsupported operation: some elements of the input tensor and the "
                           "written-to tensor refer to a single memory location. Please clone() "
                           "the tensor before performing the operation.", kind=RUNTIME, hint=hint)
