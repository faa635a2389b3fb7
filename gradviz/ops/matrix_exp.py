"""torch.matrix_exp's node (LinalgMatrixExpBackward0): e^A of a (batch of)
square matrix, and its derivatives as PyTorch computes them
(linalg_matrix_exp_differential): the top-right block of the exponential of
[[A^T, G], [0, A^T]] for the gradient, of [[A, dA], [0, A]] for the tangent.

NOTE: PyTorch picks a Taylor polynomial of degree 1 to 18 by A's 1-norm,
with scaling and squaring above the last; here degree 18 after scaling in
float64, cast to A's dtype: the same values to float32's rounding, not to
the bit. A 1x1 matrix is exp of its entry, as in PyTorch."""
from __future__ import annotations

import math

import numpy as np

from .decomp import _t
from .registry import SAME, defop

_DEGREE = 18


def expm(a: np.ndarray) -> np.ndarray:
    n = a.shape[-1]
    if n == 0:
        return a.copy()
    if n == 1:
        return np.exp(a)
    x = a.astype(np.float64)
    norm = float(np.abs(x).sum(axis=-2).max()) if x.size else 0.0
    squarings = max(0, math.ceil(math.log2(norm)) + 1) if norm > 0.5 else 0
    x = x / 2.0 ** squarings
    term = np.broadcast_to(np.eye(n), x.shape).copy()
    out = term.copy()
    for k in range(1, _DEGREE + 1):
        term = term @ x / k
        out = out + term
    for _ in range(squarings):
        out = out @ out
    with np.errstate(over="ignore", invalid="ignore"):
        return out.astype(a.dtype)


def _block_exp(top_left, corner):
    """The top-right block of exp([[M, C], [0, M]])."""
    n = top_left.shape[-1]
    batch = np.broadcast_shapes(top_left.shape[:-2], corner.shape[:-2])
    meta = np.zeros(batch + (2 * n, 2 * n), top_left.dtype)
    meta[..., :n, :n] = top_left
    meta[..., n:, n:] = top_left
    meta[..., :n, n:] = corner
    return expm(meta)[..., :n, n:]


defop("matrix_exp", "LinalgMatrixExpBackward0", lambda xs, p: expm(xs[0]),
      vjp=(lambda g, ans, xs, p: _block_exp(_t(xs[0]), g),),
      jvp=(lambda t, ans, xs, p: _block_exp(xs[0], t),),
      saved=("0",), formula=("d e^A/dA: the top-right block of exp([[A^T, G], [0, A^T]])",),
      symbol="matrix_exp", dtype_rule=SAME)
