"""torch.cholesky_inverse's node (CholeskyInverseBackward0): (L L^T)^-1
from a Cholesky factor L (U^T U with upper=True), of which the forward reads
one triangle, as LAPACK's potri. PyTorch's backward (cholesky_inverse_backward)
uses the whole of L: -X (G + G^T) X L (-L X (G + G^T) X for upper); the JVP
here is the derivative of what the forward reads (the tangent's triangle),
as cholesky_solve's (forward.ONE_TRIANGLE_OPS)."""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .decomp import LINALG_ERROR, _t, lapack_result
from .registry import SAME, defop
from .triangular import _triangle


def _check_diagonal(f) -> None:
    """LAPACK's error for a zero on the diagonal: the first matrix that has
    one (named by its place in a batch), its first such element."""
    if f.size == 0:
        return
    diag = np.diagonal(f, axis1=-2, axis2=-1).reshape(-1, f.shape[-1])
    for k, row in enumerate(diag):
        zero = np.flatnonzero(row == 0)
        if zero.size:
            where = f"(Batch element {k}): " if f.ndim > 2 else ""
            raise GradvizError(f"cholesky_inverse: {where}The diagonal element {zero[0] + 1} is "
                               "zero, the inversion could not be completed because the input "
                               "matrix is singular.", kind=LINALG_ERROR,
                               hint="a Cholesky factor has no zero on its diagonal")


def _inverse(f, upper: bool):
    """inv(F F^T) for F lower, inv(F^T F) for F upper, of F's triangle, as
    LAPACK's potri computes it (its unblocked steps, in their order, so the
    signs of zeros are PyTorch's: a diagonal triangle's last column is -0.),
    the triangle then mirrored to the other, as PyTorch fills it."""
    f = _triangle(f, upper).copy()
    _check_diagonal(f)
    w = _lauu2(_trti2(f, upper), upper)
    n = f.shape[-1]
    side = np.triu(np.ones((n, n), bool)) if upper else np.tril(np.ones((n, n), bool))
    return np.where(side, w, _t(w))


def _trti2(a, upper: bool):
    """LAPACK's dtrti2, in place: the inverse of the triangle a, column by
    column (upper: first to last; lower: last to first), each column's
    part off the diagonal the inverted block times it (a triangular
    product that skips zeros, as BLAS's trmv), scaled by -1 / its diagonal."""
    n = a.shape[-1]
    for j in (range(n) if upper else range(n - 1, -1, -1)):
        a[..., j, j] = 1 / a[..., j, j]
        rows = list(range(j) if upper else range(j + 1, n))
        if not rows:
            continue
        x = a[..., rows, j]
        for q in (range(len(rows)) if upper else range(len(rows) - 1, -1, -1)):
            col, temp = rows[q], x[..., q].copy()
            others = slice(0, q) if upper else slice(q + 1, len(rows))
            nonzero = temp != 0
            x[..., others] = np.where(nonzero[..., None], x[..., others] + temp[..., None] *
                                      a[..., rows[others], col], x[..., others])
            x[..., q] = np.where(nonzero, x[..., q] * a[..., col, col], x[..., q])
        a[..., rows, j] = x * -a[..., j, j][..., None]
    return a


def _lauu2(a, upper: bool):
    """LAPACK's dlauu2, in place: U U^T (upper) or L^T L (lower) of the
    triangle a, row (column) i at a time: its diagonal a dot product, the
    rest of its column (row) scaled by the old diagonal plus the products
    of the later columns (rows), one after another; the last one scaled."""
    n = a.shape[-1]
    m = a if upper else _t(a)        # (the lower case is the upper one's transpose)
    for i in range(n):
        aii = m[..., i, i].copy()
        if i == n - 1:
            m[..., :i + 1, i] *= aii[..., None]
            break
        m[..., i, i] = _dot(m[..., i, i:], m[..., i, i:])
        y = m[..., :i, i] * aii[..., None]
        for k in range(i + 1, n):
            y = y + m[..., :i, k] * m[..., i, k][..., None]
        m[..., :i, i] = y
    return a


def _dot(u, v):
    """sum of u * v along the last axis, one term after another."""
    total = np.zeros(u.shape[:-1], u.dtype)
    for k in range(u.shape[-1]):
        total = total + u[..., k] * v[..., k]
    return total


def _vjp(g, ans, xs, p):
    common = ans @ (g + _t(g)) @ ans
    return -(xs[0] @ common) if p.get("upper", False) else -(common @ xs[0])


def _jvp(t, ans, xs, p):
    # X = (F F^T)^-1: dX = -X (dF F^T + F dF^T) X (F^T F for upper), on F's triangle
    upper = p.get("upper", False)
    f, t = _triangle(xs[0], upper), _triangle(t, upper)
    part = -ans @ (_t(t) @ f if upper else t @ _t(f)) @ ans
    return part + _t(part)


defop("cholesky_inverse", "CholeskyInverseBackward0",
      lapack_result(lambda xs, p: _inverse(xs[0], p.get("upper", False))),
      vjp=(_vjp,), jvp=(_jvp,), saved=("0r",),
      formula=("d (L L^T)^-1/dL = -X (G + G^T) X L",), symbol="cholesky_inverse",
      dtype_rule=SAME)
