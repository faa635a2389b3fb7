"""x.unfold(dim, size, step) as one node (UnfoldBackward0): the windows of
`size` elements every `step` along dim, each a new last dim; and
x.as_strided(size, stride, storage_offset) (AsStridedBackward0): any
elements of x's memory; slice_inverse (SliceInverseBackward0), as_strided
at another tensor's layout. Views of x, linear in x. And
as_strided_scatter (AsStridedScatterBackward0): a copy of x with src written
at such a layout of the copy's memory."""
from __future__ import annotations

import math

import numpy as np

from .registry import SAME, defop


def _windows(xs, p):
    """The windows, a view of x's memory as PyTorch's (a write into one is
    seen by x): dim d steps from window to window, a new last dim along
    each window."""
    a = np.asarray(xs[0])
    if a.ndim == 0:                       # (a 0-d tensor's one window)
        return a.reshape(1)
    d, size, step = p["dim"], p["size"], p["step"]
    shape = list(a.shape)
    shape[d] = (shape[d] - size) // step + 1
    strides = list(a.strides)
    strides[d] *= step
    view = strided_view(a, (*shape, size), (*strides, a.strides[d]))
    if view is None:                      # (memory numpy cannot view so: new memory)
        sliding = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
        return sliding[(slice(None),) * d + (slice(None, None, step),)].copy()
    return view


def strided_view(a: np.ndarray, shape: tuple, strides: tuple,
             start: int | None = None) -> np.ndarray | None:
    """A view of a's memory of these shape and strides (in bytes), from
    where a starts (or `start` bytes into the memory), made on the array
    that owns the memory so that gradviz's views and in-place writes see it
    as one of a's views (numpy's as_strided hides the owner behind an
    object of its own); None where that memory is no one block."""
    flat = _memory(a)
    if flat is None:
        return None
    if start is None:
        start = a.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    return np.ndarray(shape, a.dtype, buffer=flat, offset=start, strides=strides)


def _memory(a: np.ndarray) -> np.ndarray | None:
    """The memory a views, as a 1-d array in the order it is laid out
    (PyTorch's storage), None where it is no one block."""
    own = a
    while own.base is not None and own.base.__class__ is np.ndarray:
        own = own.base
    flat = own.ravel(order="K")
    return None if flat is not own and flat.base is None else flat     # (ravel copied)


def positions(shape, strides, offset: int) -> np.ndarray:
    """Where each element of a tensor of this layout is in its storage."""
    pos = np.full(shape, offset, np.int64)
    for d, (n, s) in enumerate(zip(shape, strides)):
        pos += (np.arange(n, dtype=np.int64) * s).reshape((-1,) + (1,) * (len(shape) - d - 1))
    return pos


def _as_strided(xs, p):
    """The elements of x's memory at p's layout: a view of it."""
    a = xs[0]
    view = strided_view(a, p["size"], tuple(s * a.itemsize for s in p["stride"]),
                    p["storage_offset"] * a.itemsize)
    return _gathered(a, p) if view is None else view


def _gathered(a, p):
    """x's elements at p's layout, through a storage made of x's elements
    where x's layout (p["input_layout"]) puts them (new memory)."""
    strides, offset, size = p["input_layout"]
    storage = np.zeros(size, a.dtype)
    storage[positions(a.shape, strides, offset)] = a
    return storage[positions(p["size"], p["stride"], p["storage_offset"])]


def _as_strided_vjp(g, ans, xs, p):
    """Each element's gradient added at its place in the storage, read back
    at x's elements' places (an element seen twice gets both); where x holds
    a place of the storage more than once (x an expand), each of them gets
    its share, as PyTorch's as_strided_backward divides by the count."""
    strides, offset, size = p["input_layout"]
    storage = np.zeros(size, g.dtype)
    np.add.at(storage, positions(p["size"], p["stride"], p["storage_offset"]), g)
    at = positions(xs[0].shape, strides, offset)
    out = storage[at]
    if at.size:
        count = np.bincount(at.ravel(), minlength=size)
        if count.max() > 1:
            out = (out / count[at]).astype(g.dtype, copy=False)
    return out


defop("as_strided", "AsStridedBackward0", _as_strided, vjp=(_as_strided_vjp,),
      jvp=(lambda t, ans, xs, p: _gathered(np.asarray(t), p),),
      formula=("gradient added back at the elements of memory it was read from",),
      symbol="as_strided", saves=False, dtype_rule=SAME)


def _slice_key(g, p) -> tuple:
    """The key of slice_inverse's slice (dim, start, end, step) in an array
    of its result's shape."""
    d = p["dim"] % g.ndim if g.ndim else 0
    return (slice(None),) * d + (slice(p["start"], p["end"], p["step"]),)


def _slice_inverse(xs, p):
    """base's layout over x's memory: a view, where x's memory is laid out
    as when it was recorded. Else (a check's perturbed copies, memory of
    their own) what that view holds when x is base's slice, as PyTorch's
    gradients take it: base with x written at the slice."""
    a = np.asarray(xs[0])
    if _laid_out_as(a, p["input_layout"]):
        return _as_strided([a], p)
    out = np.array(xs[1], a.dtype, copy=True)
    out[_slice_key(out, p)] = a
    return out


def _laid_out_as(a: np.ndarray, layout) -> bool:
    """Whether a's memory is a storage of layout's size holding a at its
    strides and offset (in elements)."""
    strides, offset, size = layout
    flat = _memory(a)
    if flat is None or flat.size != size:
        return False
    start = a.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    return start == offset * a.itemsize and all(
        n < 2 or s == t * a.itemsize for n, s, t in zip(a.shape, a.strides, strides))


def _slice_inverse_src_vjp(g, ans, xs, p):
    """The gradient outside the slice (slice_scatter of zeros over it)."""
    out = np.array(g, copy=True)
    out[_slice_key(out, p)] = 0
    return out


def _slice_inverse_x_jvp(t, ans, xs, p):
    """x's tangent at the slice, zeros elsewhere."""
    out = np.zeros(ans.shape, ans.dtype)
    out[_slice_key(out, p)] = t
    return out


defop("slice_inverse", "SliceInverseBackward0", _slice_inverse,
      vjp=(lambda g, ans, xs, p: np.asarray(g)[_slice_key(np.asarray(g), p)],
           _slice_inverse_src_vjp),
      jvp=(_slice_inverse_x_jvp, lambda t, ans, xs, p: _slice_inverse_src_vjp(t, ans, xs, p)),
      formula=("the gradient's slice (dim, start:end:step)",
               "the gradient outside the slice"),
      symbol="slice_inverse", saves=False, dtype_rule=SAME)


def _add_back(g, ans, xs, p):
    """Each window's gradient added back where the window was read."""
    x = np.asarray(xs[0])
    g = np.asarray(g)
    if x.ndim == 0:
        return g.reshape(())
    d, size, step = p["dim"], p["size"], p["step"]
    out = np.zeros(x.shape, g.dtype)
    for k in range(g.shape[d]):
        part = np.moveaxis(np.take(g, k, axis=d), -1, d)
        out[(slice(None),) * d + (slice(k * step, k * step + size),)] += part
    return out


defop("unfold", "UnfoldBackward0", _windows, vjp=(_add_back,),
      jvp=(lambda t, ans, xs, p: _windows([t], p).copy(),),
      formula=("gradient of each window added back where it was read",),
      symbol="unfold", saves=False, dtype_rule=SAME)


# ---- as_strided_scatter(x, src, size, stride, storage_offset) ----------------------
# p: "size", "stride", "storage_offset" (src's place in the copy's memory) and
# "layout", the strides of x's copy (PyTorch's clone keeps a dense x's)

def _copy_positions(x_shape, p) -> np.ndarray:
    return positions(x_shape, p["layout"], 0)


def _scatter_fwd(xs, p):
    """A copy of x, its memory laid out as PyTorch's clone lays it out, with
    src written at p's layout of that memory."""
    x, src = xs[0], xs[1]
    storage = np.zeros(x.size, x.dtype)
    storage[_copy_positions(x.shape, p)] = x
    storage[positions(p["size"], p["stride"], p["storage_offset"])] = src
    return storage[_copy_positions(x.shape, p)]


def _written(x_shape, p) -> np.ndarray:
    """Which of x's elements src is written over."""
    storage = np.zeros(math.prod(x_shape), bool)
    storage[positions(p["size"], p["stride"], p["storage_offset"])] = True
    return storage[_copy_positions(x_shape, p)]


def _scatter_dx(g, ans, xs, p):
    # NOTE: PyTorch 2.13's as_strided_scatter_backward gives x the gradient
    # at the places src is written over (and zeros elsewhere), not at the
    # places x is kept: its gradient, not the derivative
    return np.where(_written(xs[0].shape, p), g, 0).astype(g.dtype)


def _scatter_dsrc(g, ans, xs, p):
    """g at the places src was written to, read as src's elements."""
    storage = np.zeros(g.size, g.dtype)
    storage[_copy_positions(g.shape, p)] = g
    return storage[positions(p["size"], p["stride"], p["storage_offset"])]


defop("as_strided_scatter", "AsStridedScatterBackward0", _scatter_fwd,
      vjp=(_scatter_dx, _scatter_dsrc),
      jvp=(lambda t, ans, xs, p: _scatter_fwd([t, np.zeros(xs[1].shape, t.dtype)], p),
           lambda t, ans, xs, p: _scatter_fwd([np.zeros(ans.shape, t.dtype), t], p)),
      formula=("PyTorch's: g where src is written (not the derivative, g elsewhere)",
               "g read back at the elements of memory src was written to"),
      symbol="as_strided_scatter", saves=False, dtype_rule=SAME)
