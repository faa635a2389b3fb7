"""x.unfold(dim, size, step) as one node (UnfoldBackward0): the windows of
`size` elements every `step` along dim, each a new last dim. Linear in x."""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop


def _windows(xs, p):
    """The windows as new memory (numpy's sliding view, every step-th)."""
    a = np.asarray(xs[0])
    if a.ndim == 0:                       # (a 0-d tensor's one window)
        return a.reshape(1).copy()
    d, size, step = p["dim"], p["size"], p["step"]
    view = np.lib.stride_tricks.sliding_window_view(a, size, axis=d)
    return view[(slice(None),) * d + (slice(None, None, step),)].copy()


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
      jvp=(lambda t, ans, xs, p: _windows([t], p),),
      formula=("gradient of each window added back where it was read",),
      symbol="unfold", saves=False, dtype_rule=SAME)
