"""torch.block_diag as one node (BlockDiagBackward0): the inputs (0-d as
1x1, 1-d as one row) laid along the diagonal of a zero matrix."""
from __future__ import annotations

import numpy as np

from .registry import defop


def _as_block(x) -> np.ndarray:
    x = np.asarray(x)
    return x.reshape(1, 1) if x.ndim == 0 else x.reshape(1, -1) if x.ndim == 1 else x


def _corners(xs) -> list:
    """The (row, col) where each block starts."""
    out, r, c = [], 0, 0
    for x in xs:
        out.append((r, c))
        rows, cols = _as_block(x).shape
        r, c = r + rows, c + cols
    return out


def _block_diag(xs, p):
    blocks = [_as_block(x) for x in xs]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)),
                   np.result_type(*blocks))
    for (r, c), b in zip(_corners(xs), blocks):
        out[r:r + b.shape[0], c:c + b.shape[1]] = b
    return out


def _block_grad(g, ans, xs, p, i):
    r, c = _corners(xs)[i]
    rows, cols = _as_block(xs[i]).shape
    return np.asarray(g)[r:r + rows, c:c + cols].reshape(np.shape(xs[i])).copy()


def _block_tangent(t, ans, xs, p, i):
    parts = [np.zeros_like(np.asarray(x)) if j != i else t for j, x in enumerate(xs)]
    return _block_diag(parts, p)


# (variadic: one rule for all inputs, called with the input's index last)
defop("block_diag", "BlockDiagBackward0", _block_diag, vjp=(_block_grad,),
      jvp=(_block_tangent,), formula=("the gradient's block at the input's place",),
      saves=False, variadic=True)
