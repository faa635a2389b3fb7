"""torch.linalg.ldl_factor(_ex) and ldl_solve: LAPACK's sytrf and sytrs
(Bunch-Kaufman pivoting, the lower triangle), written out in LAPACK's
order (sytf2, the unblocked code LAPACK runs on matrices of fewer than 64
rows), as numpy has no such routine. PyTorch records both with no
derivative (grad_fn NotImplemented).

LD holds L below its diagonal and D on it, a 2x2 block of D also on the
subdiagonal; pivots are LAPACK's, 1-based: k for a 1x1 block after rows k
and pivots[k] were swapped, -p on both rows of a 2x2 block after rows k+1
and p were. Computed in double precision and rounded to the input's dtype.
"""
from __future__ import annotations

import math

import numpy as np

from .decomp import column_major
from .registry import SAME, defop, no_derivative

_ALPHA = (1 + math.sqrt(17)) / 8      # Bunch-Kaufman's threshold


def _swap_symmetric(a, k: int, kk: int, kp: int, kstep: int) -> None:
    """Rows and columns kk and kp of the trailing lower triangle swapped
    (and with a 2x2 block, a[k+1, k] with a[kp, k])."""
    a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
    between = a[kk + 1:kp, kk].copy()
    a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
    a[kp, kk + 1:kp] = between
    a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
    if kstep == 2:
        a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]


def _pivot(a, k: int) -> tuple:
    """(kp, kstep) of step k: Bunch-Kaufman's choice of a 1x1 or 2x2 block
    (kp -1: the column is zero)."""
    n = a.shape[0]
    absakk = abs(a[k, k])
    imax, colmax = k, 0.0
    if k < n - 1:
        imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
        colmax = abs(a[imax, k])
    if max(absakk, colmax) == 0 or math.isnan(absakk):
        return -1, 1
    if absakk >= _ALPHA * colmax:
        return k, 1
    rowmax = float(np.max(np.abs(a[imax, k:imax])))
    if imax < n - 1:
        rowmax = max(rowmax, float(np.max(np.abs(a[imax + 1:, imax]))))
    if absakk >= _ALPHA * colmax * (colmax / rowmax):
        return k, 1
    if abs(a[imax, imax]) >= _ALPHA * rowmax:
        return imax, 1
    return imax, 2


def _update(a, k: int, kstep: int) -> None:
    """The trailing lower triangle after a block at k (sytf2's update)."""
    n = a.shape[0]
    if kstep == 1:
        if k < n - 1:
            x = a[k + 1:, k].copy()
            a[k + 1:, k + 1:] -= np.tril(np.outer(x, x)) / a[k, k]
            a[k + 1:, k] = x / a[k, k]
        return
    if k >= n - 2:
        return
    d21 = a[k + 1, k]
    d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
    d21 = 1 / (d11 * d22 - 1) / d21
    for j in range(k + 2, n):
        wk = d21 * (d11 * a[j, k] - a[j, k + 1])
        wkp1 = d21 * (d22 * a[j, k + 1] - a[j, k])
        a[j:, j] -= a[j:, k] * wk + a[j:, k + 1] * wkp1
        a[j, k], a[j, k + 1] = wk, wkp1


def _sytf2(m: np.ndarray) -> tuple:
    """(LD, pivots, info) of one symmetric matrix (its lower triangle read)."""
    a = np.tril(m).astype(np.float64)
    n = a.shape[0]
    pivots = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        kp, kstep = _pivot(a, k)
        if kp < 0:                    # a zero column: D's block is 0 (info, no error)
            info = info or k + 1
            kp = k
        else:
            kk = k + kstep - 1
            if kp != kk:
                _swap_symmetric(a, k, kk, kp, kstep)
            _update(a, k, kstep)
        pivots[k:k + kstep] = kp + 1 if kstep == 1 else -(kp + 1)
        k += kstep
    return np.tril(a), pivots, info


def ldl_factor(a: np.ndarray) -> tuple:
    """(LD, pivots, info) of each matrix of a batch."""
    batch = a.shape[:-2]
    ld = np.empty(a.shape, np.float64)
    pivots = np.empty(a.shape[:-1], np.int32)
    info = np.zeros(batch, np.int32)
    for i in np.ndindex(batch):
        ld[i], pivots[i], info[i] = _sytf2(a[i])
    return column_major(ld.astype(a.dtype)), pivots, info


def _solve_l_d(a, piv, b) -> None:
    """b := D^-1 L^-1 P^T b, in place (sytrs's first half)."""
    n, k = a.shape[0], 0
    while k < n:
        if piv[k] > 0:
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(a[k + 1:, k], b[k])
            b[k] /= a[k, k]
            k += 1
            continue
        kp = -piv[k] - 1
        b[[k + 1, kp]] = b[[kp, k + 1]]
        b[k + 2:] -= np.outer(a[k + 2:, k], b[k]) + np.outer(a[k + 2:, k + 1], b[k + 1])
        akm1k = a[k + 1, k]
        akm1, ak = a[k, k] / akm1k, a[k + 1, k + 1] / akm1k
        denom = akm1 * ak - 1
        bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
        b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
        k += 2


def _solve_lt(a, piv, b) -> None:
    """b := P L^-T b, in place (sytrs's second half)."""
    k = a.shape[0] - 1
    while k >= 0:
        step = 1 if piv[k] > 0 else 2
        b[k] -= a[k + 1:, k] @ b[k + 1:]
        if step == 2:
            b[k - 1] -= a[k + 1:, k - 1] @ b[k + 1:]
        kp = abs(int(piv[k])) - 1
        b[[k, kp]] = b[[kp, k]]
        k -= step


def ldl_solve(ld, pivots, b) -> np.ndarray:
    """A X = B from A's LD and pivots, each matrix of the (broadcast) batch."""
    batch = np.broadcast_shapes(ld.shape[:-2], pivots.shape[:-1], b.shape[:-2])
    ld = np.broadcast_to(ld, batch + ld.shape[-2:]).astype(np.float64)
    pivots = np.broadcast_to(pivots, batch + pivots.shape[-1:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), np.float64)
    for i in np.ndindex(batch):
        _solve_l_d(ld[i], pivots[i], x[i])
        _solve_lt(ld[i], pivots[i], x[i])
    return column_major(x.astype(b.dtype))


defop("ldl_factor", forward=lambda xs, p: ldl_factor(xs[0])[0], symbol="linalg.ldl_factor",
      dtype_rule=SAME, **no_derivative("linalg_ldl_factor_ex", 1))
defop("ldl_solve", forward=lambda xs, p: ldl_solve(*xs), symbol="linalg.ldl_solve",
      dtype_rule=SAME, **no_derivative("linalg_ldl_solve", 3))
