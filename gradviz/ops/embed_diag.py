"""torch.diag_embed as one node (DiagEmbedBackward0): the last dim of the
input laid on a diagonal (offset) of the plane of two new dims. (The op
"diag_embed" of ops/select.py is torch.diag's of a vector: offset only.)"""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop


def _diag_indices(n: int, offset: int):
    i = np.arange(n)
    return (i, i + offset) if offset >= 0 else (i - offset, i)


def diag_embed(x, p):
    """x (..., n) -> out with an (m, m) plane at dims (dim1, dim2), m = n + |offset|."""
    x = np.asarray(x)
    n = x.shape[-1]
    m = n + abs(p["offset"])
    plane = np.zeros(x.shape[:-1] + (m, m), x.dtype)
    rows, cols = _diag_indices(n, p["offset"])
    plane[..., rows, cols] = x
    return np.moveaxis(plane, (-2, -1), (p["dim1"], p["dim2"]))


def _take_diagonal(g, ans, xs, p):
    """The gradient: the same diagonal of g (diag_embed is linear)."""
    plane = np.moveaxis(np.asarray(g), (p["dim1"], p["dim2"]), (-2, -1))
    rows, cols = _diag_indices(np.shape(xs[0])[-1], p["offset"])
    return plane[..., rows, cols].copy()


defop("diag_embed_dims", "DiagEmbedBackward0", lambda xs, p: diag_embed(xs[0], p),
      vjp=(_take_diagonal,), jvp=(lambda t, ans, xs, p: diag_embed(t, p),),
      formula=("d diag_embed(x) / dx: the gradient's diagonal (dim1, dim2, offset)",),
      saves=False, dtype_rule=SAME)
