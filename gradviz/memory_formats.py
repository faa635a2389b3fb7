"""torch.contiguous_format, torch.channels_last, torch.channels_last_3d and
torch.preserve_format: how a tensor's elements are laid out in memory,
as the memory_format= of x.contiguous(), x.clone(), x.to() and the *_like
factories ask for it, and x.is_contiguous(memory_format=...) asks of it.

channels_last keeps an image batch (N, C, H, W) in memory as (N, H, W, C)
(channels_last_3d: (N, C, D, H, W) as (N, D, H, W, C)); the sizes stay
the tensor's, only the strides change (strides.py reads them from numpy's).
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import strides, tensor_queries
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS
from .render.torchfmt import MemoryFormat


FORMATS = {name: MemoryFormat(name) for name in
           ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format")}
CONTIGUOUS = FORMATS["contiguous_format"]
PRESERVE = FORMATS["preserve_format"]

# the dims of each channels-last format, outermost in memory first (C last)
_ORDERS = {"channels_last": (0, 2, 3, 1), "channels_last_3d": (0, 2, 3, 4, 1)}


def check_rank(fmt: MemoryFormat, ndim: int) -> None:
    """PyTorch's error for a channels-last format of a tensor of another
    number of dims."""
    order = _ORDERS.get(fmt)
    if order is not None and ndim != len(order):
        raise GradvizError(f"required rank {len(order)} tensor to use {str.__str__(fmt)} format",
                           kind=RUNTIME, hint=f"{str.__str__(fmt)} lays out tensors of "
                                              f"{len(order)} dims (a batch of images)")


def format_strides(fmt: MemoryFormat, shape: tuple) -> tuple:
    """The strides of a fresh tensor of shape in fmt (a rank checked
    before), as PyTorch's get_channels_last_strides work them out (sizes as
    they are, 0 too)."""
    order = _ORDERS.get(fmt)
    if order is None:
        return strides.contiguous_strides(shape)
    out = [0] * len(shape)
    step = 1
    for d in reversed(order):
        out[d] = step
        step *= shape[d]
    return tuple(out)


def is_contiguous_as(fmt: MemoryFormat, shape: tuple, steps: tuple) -> bool:
    """x.is_contiguous(memory_format=fmt): for a channels-last format
    PyTorch's rule (dims of size 1 not counted; another rank: False), else
    the plain one."""
    order = _ORDERS.get(fmt)
    if order is None:
        return strides.dense_in_order(shape, steps)
    if len(shape) != len(order):
        return False
    expected = 1
    for d in reversed(order):
        if shape[d] != 1:
            if steps[d] != expected:
                return False
            expected *= shape[d]
    return True


def need_format(fname: str, v) -> MemoryFormat:
    """memory_format=, with PyTorch's TypeError for anything else (None too)."""
    if v.__class__ is not MemoryFormat:
        raise GradvizError(f"{fname}(): argument 'memory_format' must be torch.memory_format, "
                           f"not {F.arg_type_name(v)}", kind=TYPE,
                           hint="e.g. memory_format=torch.channels_last")
    return v


def m_is_contiguous(rt, x, *, memory_format=CONTIGUOUS) -> bool:
    fmt = need_format("is_contiguous", memory_format)
    return is_contiguous_as(fmt, x.data.shape, strides.layout(x)[0])


def m_contiguous(rt, x, *, memory_format=CONTIGUOUS):
    """x itself when its memory is in fmt's order already (by PyTorch's
    strides: an expand or a diagonal, copies here, are not), else a copy
    laid out so (CloneBackward0)."""
    x = F._need_tensor(x, "contiguous")
    fmt = need_format("contiguous", memory_format)
    if is_contiguous_as(fmt, x.data.shape, strides.layout(x)[0]):
        return x
    if fmt is PRESERVE:
        raise GradvizError("preserve memory format is unsupported by the contiguous operator",
                           kind=RUNTIME, hint="x.clone() keeps x's layout")
    return laid_out(F.contiguous_copy(rt, x), fmt, x)


def f_clone(rt, input, *, memory_format=PRESERVE):
    x = F._need_tensor(input, "clone")
    fmt = need_format("clone", memory_format)
    return laid_out(rt.apply(OPS["clone"], (x,)), fmt, x)


def laid_out(t, fmt: MemoryFormat | None, x):
    """t, just made like x (clone, to, zeros_like, ...), laid out in fmt:
    preserve_format (or None, not given) x's strides where PyTorch keeps
    them."""
    if fmt is None or fmt is PRESERVE:
        strides.lay_out_like(t, x)
    else:
        check_rank(fmt, x.data.ndim)
        strides.lay_out(t, format_strides(fmt, t.data.shape))
    return t


def copy_to(rt, x, dt, fmt: MemoryFormat | None):
    """x.to(dtype, memory_format=fmt) (dt: the dtype wanted): x itself
    when it has both already, else a copy (ToCopyBackward0) laid out in
    fmt."""
    if fmt is None or fmt is PRESERVE or is_contiguous_as(fmt, x.data.shape,
                                                          strides.layout(x)[0]):
        return F.f_to(rt, x, dt)
    check_rank(fmt, x.data.ndim)
    return laid_out(rt.apply(OPS["to_dtype"], (x,), {"dtype": dt}), fmt, x)


def f_empty_strided(rt, size, stride, *, dtype=None, layout=None, device=None,
                    requires_grad=False, pin_memory=False):
    """torch.empty_strided(size, stride): a new tensor of those sizes and
    strides over memory of its own, just large enough (values unset: zeros
    here, PyTorch's are whatever the memory held)."""
    shape = _int_tuple("size", 1, size)
    steps = _int_tuple("stride", 2, stride)
    tensor_queries.check_layout("empty_strided", layout)
    return _strided(rt, shape, steps, F._dtype_arg(dtype) or rt.tape.default_dtype, device,
                    requires_grad, "empty_strided")


def m_new_empty_strided(rt, x, size, stride, *, dtype=None, layout=None, device=None,
                        requires_grad=False, pin_memory=False):
    """x.new_empty_strided(size, stride): torch.empty_strided's tensor, of
    x's dtype unless given."""
    shape = _int_tuple("size", 1, size, "new_empty_strided")
    steps = _int_tuple("stride", 2, stride, "new_empty_strided")
    if len(shape) == len(steps) and any(n < 0 for n in shape):
        raise GradvizError(f"Trying to create tensor with negative dimension "
                           f"{next(n for n in shape if n < 0)}: {list(shape)}", kind=RUNTIME,
                           hint="sizes are 0 or more")
    return _strided(rt, shape, steps, F._dtype_arg(F._dtype_of(x, dtype)), device, requires_grad,
                    "new_empty_strided")


def _strided(rt, shape: tuple, steps: tuple, dt, device, requires_grad, label: str):
    """A new leaf of those sizes and strides (in elements) over zeroed
    memory of its own, just large enough."""
    if len(shape) != len(steps):
        raise GradvizError(f"dimensionality of sizes ({len(shape)}) must match dimensionality "
                           f"of strides ({len(steps)})", kind=RUNTIME,
                           hint="one stride for each size")
    if any(s < 0 for s in steps) or any(n < 0 for n in shape):
        raise GradvizError(f"Storage size calculation overflowed with sizes={list(shape)} and "
                           f"strides={list(steps)}", kind=RUNTIME,
                           hint="sizes and strides are 0 or more")
    F.check_device(device)
    rt.tape.check_shape(shape)
    need = 0 if 0 in shape else 1 + sum((n - 1) * s for n, s in zip(shape, steps))
    rt.tape.check_size(need)
    memory = np.zeros(need, dt)
    data = np.lib.stride_tricks.as_strided(memory, shape, [s * memory.itemsize for s in steps])
    t = F._leaf(rt, data, requires_grad, label)
    if any(s == 0 and n > 1 for n, s in zip(shape, steps)):
        t.meta = {**(t.meta or {}), "overlapping": True}    # (an element held twice)
    if not data.size:               # (numpy keeps no strides of an empty array: kept here)
        t.meta = {**(t.meta or {}), "layout": (tuple(steps), 0)}
    return t


_EMPTY = F._filled("empty", 0)


def f_empty(rt, *sizes, size=None, dtype=None, requires_grad=False, memory_format=CONTIGUOUS):
    """torch.empty(*sizes, memory_format=fmt): a new tensor laid out in fmt
    (values unset: zeros here)."""
    fmt = need_format("empty", memory_format)
    t = _EMPTY(rt, *sizes, size=size, dtype=dtype, requires_grad=requires_grad)
    if fmt is PRESERVE:
        raise GradvizError("unsupported memory format Preserve", kind=RUNTIME,
                           hint="a new tensor has no layout to keep: torch.contiguous_format "
                                "or torch.channels_last")
    check_rank(fmt, t.data.ndim)
    strides.lay_out(t, format_strides(fmt, t.data.shape))
    return t


# the second argument of each function's example call in its hints
_EXAMPLES = {"empty_strided": "(1, 2)", "empty_permuted": "(1, 0)",
             "new_empty_strided": "(1, 2)"}


def _int_tuple(arg: str, position: int, v, fname: str = "empty_strided") -> tuple:
    """A size or stride argument: a tuple or list of ints, as PyTorch's
    argument parser takes it (not one int)."""
    if not isinstance(v, (tuple, list)):
        raise GradvizError(f"{fname}(): argument '{arg}' (position {position}) must be "
                           f"tuple of ints, not {F.arg_type_name(v)}", kind=TYPE,
                           hint=f"e.g. {'x.' if fname.startswith('new_') else 'torch.'}{fname}"
                                f"((2, 3), {_EXAMPLES[fname]})")
    return F.int_list(fname, arg, (v,), position)


def f_empty_permuted(rt, size, physical_layout, *, dtype=None, layout=None, device=None,
                     requires_grad=False, pin_memory=False):
    """torch.empty_permuted(size, physical_layout): a new tensor of those
    sizes laid out in memory in the order of physical_layout, outermost dim
    first ((0, 2, 3, 1) is channels-last for N, C, H, W): empty_strided with
    the strides that order gives."""
    shape = _int_tuple("size", 1, size, "empty_permuted")
    order = _int_tuple("physical_layout", 2, physical_layout, "empty_permuted")
    tensor_queries.check_layout("empty_permuted", layout)
    if len(shape) != len(order):
        raise GradvizError("Number of dimensions in size does not match the length of the "
                           f"physical_layout; i.e. len(size) = {len(shape)} is not equal to "
                           f"len(physical_layout) = {len(order)}", kind=RUNTIME,
                           hint="one entry of physical_layout for each size")
    seen = set()
    for i, d in enumerate(order):
        if not 0 <= d < len(shape):
            raise GradvizError(f"Dimension out of range (expected to be between 0 and "
                               f"{len(shape) - 1}, but got {d} at index {i}).  NB: negative dims "
                               "not currently supported; file an issue if you want it.",
                               kind=RUNTIME, hint="physical_layout is a permutation of the dims")
        if d in seen:
            raise GradvizError("Duplicate dim not allowed", kind=RUNTIME,
                               hint="physical_layout names each dim once")
        seen.add(d)
    steps = [0] * len(shape)
    step = 1
    for d in reversed(order):          # (the last of the layout is the innermost)
        steps[d] = step
        step *= max(shape[d], 1)
    return f_empty_strided(rt, shape, tuple(steps), dtype=dtype, device=device,
                           requires_grad=requires_grad)


FUNCTIONS = {"empty_strided": f_empty_strided, "empty_permuted": f_empty_permuted,
             "clone": f_clone, "empty": f_empty}
METHODS = {"contiguous": m_contiguous, "is_contiguous": m_is_contiguous, "clone": f_clone,
           "new_empty_strided": m_new_empty_strided}
