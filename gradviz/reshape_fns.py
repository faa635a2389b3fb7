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

from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .functions import _dim, _need_tensor, arg_type_name, is_tensor
from .ops.registry import broadcast_shape
from .render.torchfmt import Size
from .selection import _as_method


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


def m_where(rt, x, condition, y):
    """x.where(condition, y): torch.where(condition, x, y)."""
    return F.f_where(rt, condition, x, y)


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
    if not isinstance(v, (tuple, list, Size)):
        raise GradvizError(f"Input shapes should be of type ints, a tuple of ints, or a list of "
                           f"ints, got {v!r}", kind=RUNTIME,
                           hint="broadcast_shapes((2, 1), (3,)): each shape a tuple of sizes")
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
            if size == common[k]:
                continue
            if common[k] == 1:
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
    return Size(tuple(common))


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


FUNCTIONS = {
    "permute": f_permute, "ravel": f_ravel,
    "broadcast_to": f_broadcast_to, "broadcast_tensors": f_broadcast_tensors,
    "broadcast_shapes": f_broadcast_shapes,
    "movedim": f_movedim, "moveaxis": f_moveaxis, "swapaxes": f_swapaxes, "swapdims": f_swapdims,
}
METHODS = {name: _as_method(name, FUNCTIONS[name])
           for name in ("ravel", "movedim", "moveaxis", "swapaxes", "swapdims")}
METHODS.update({"view_as": m_view_as, "reshape_as": m_reshape_as, "where": m_where,
                "broadcast_to": m_broadcast_to})
