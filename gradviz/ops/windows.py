"""x.unfold(dim, size, step) as one node (UnfoldBackward0): the windows of
`size` elements every `step` along dim, each a new last dim. Linear in x."""
from __future__ import annotations

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
    view = _strided(a, (*shape, size), (*strides, a.strides[d]))
    if view is None:                      # (memory numpy cannot view so: new memory)
        sliding = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
        return sliding[(slice(None),) * d + (slice(None, None, step),)].copy()
    return view


def _strided(a: np.ndarray, shape: tuple, strides: tuple) -> np.ndarray | None:
    """A view of a's memory from where a starts, of these shape and strides
    (in bytes), made on the array that owns the memory so that gradviz's
    views and in-place writes see it as one of a's views (numpy's
    as_strided hides the owner behind an object of its own); None where
    that memory is no one block."""
    own = a
    while own.base is not None and own.base.__class__ is np.ndarray:
        own = own.base
    flat = own.ravel(order="K")
    if flat is not own and flat.base is None:
        return None                       # (ravel had to copy)
    start = a.__array_interface__["data"][0] - flat.__array_interface__["data"][0]
    return np.ndarray(shape, a.dtype, buffer=flat, offset=start, strides=strides)


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
