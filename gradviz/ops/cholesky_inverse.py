"""torch.cholesky_inverse's node (CholeskyInverseBackward0): (L L^T)^-1
from a Cholesky factor L (U^T U with upper=True), of which the forward reads
one triangle, as LAPACK's potri. PyTorch's backward (cholesky_inverse_backward)
uses the whole of L: -X (G + G^T) X L (-L X (G + G^T) X for upper); the JVP
here is the derivative of what the forward reads (the tangent's triangle),
as cholesky_solve's (forward.ONE_TRIANGLE_OPS)."""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .decomp import LINALG_ERROR, _t
from .registry import SAME, defop
from .triangular import _triangle, substitute


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
    """inv(F F^T) for F lower, inv(F^T F) for F upper, of F's triangle."""
    f = _triangle(f, upper)
    _check_diagonal(f)
    eye = np.broadcast_to(np.eye(f.shape[-1], dtype=f.dtype), f.shape)
    inv = substitute(f, eye, upper)             # F^-1
    return inv @ _t(inv) if upper else _t(inv) @ inv


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
      lambda xs, p: _inverse(xs[0], p.get("upper", False)),
      vjp=(_vjp,), jvp=(_jvp,), saved=("0r",),
      formula=("d (L L^T)^-1/dL = -X (G + G^T) X L",), symbol="cholesky_inverse",
      dtype_rule=SAME)
