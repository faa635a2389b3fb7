"""The singular vectors of an SVD as PyTorch's LAPACK (MKL's gesdd, on the
matrix as stored, column-major) gives them, for the shapes where numpy's
reference LAPACK takes another path.

Singular vectors are unique only up to their signs, and the signs are what
the algorithm's path leaves. gesdd either reduces A to bidiagonal form
directly, or first factors it (A = Q R for a tall A, A = L Q for a wide
one) and takes the SVD of the square factor. The reference factors first
when the long side is at least 11/6 of the short one (MNTHR); MKL's does
for a tall A from 3/2 of it (m >= int(1.5 n)), and never for a wide one.
Found by matching PyTorch's U and Vh on random matrices of many shapes:
the paths below give its signs for every float64 matrix tried (float32
ones as far as float32's rounding lets numpy's own agree with it).

The direct path of a wide A ("path 5t"): Householder reflections from
both sides leave A = Q B P^T with B lower bidiagonal; Givens rotations from
the left make B upper bidiagonal (dbdsdc); the SVD of that bidiagonal
matrix gives U and Vh. numpy's SVD of an upper bidiagonal square matrix is
that last step exactly: its own bidiagonal reduction finds nothing to
reflect. Both paths run in double precision, as numpy's SVD does.
"""
from __future__ import annotations

import math

import numpy as np


def takes_other_path(m: int, n: int) -> bool:
    """Whether numpy's gesdd and MKL's take different paths for an m x n
    matrix: a wide one the reference factors as L Q first, a tall one MKL
    factors as Q R first where the reference does not."""
    if m < n:
        return m > 0 and n >= int(_mnthr(m))
    return n > 0 and int(1.5 * n) <= m < int(_mnthr(n))


def _mnthr(k: int) -> float:
    """The reference gesdd's MNTHR: a side at least this long (11/6 of the
    short side k) makes it factor first."""
    return k * 11.0 / 6.0


def _reflector(x: np.ndarray):
    """LAPACK's larfg on x = (alpha, rest...): (w, tau, beta) with
    (I - tau w w^T) x = (beta, 0, ...), w[0] = 1."""
    t = x.dtype.type
    alpha = x[0]
    xnorm = np.linalg.norm(x[1:]) if len(x) > 1 else 0.0
    w = np.zeros(len(x), x.dtype)
    w[0] = 1
    if xnorm == 0:
        return w, t(0), alpha
    beta = t(-math.copysign(math.hypot(alpha, xnorm), alpha))
    w[1:] = x[1:] * (t(1) / (alpha - beta))
    return w, (beta - alpha) / beta, beta


def _rotation(f: float, g: float):
    """LAPACK's lartg (3.10 and later, r with f's sign): (c, s, r) with
    [[c, s], [-s, c]] (f, g) = (r, 0)."""
    if g == 0:
        return 1.0, 0.0, f
    if f == 0:
        return 0.0, math.copysign(1.0, g), abs(g)
    r = math.copysign(math.hypot(f, g), f)
    return abs(f) / abs(r), g / r, r


def _bidiagonalize(a: np.ndarray):
    """A = Q B P^T, B lower bidiagonal (its diagonal d, subdiagonal e): the
    reference gebd2 for m < n, its reflectors accumulated in Q and P."""
    a = a.copy()
    m, n = a.shape
    dt = a.dtype
    d, e = np.zeros(m, dt), np.zeros(m - 1, dt)
    q, p = np.eye(m, dtype=dt), np.eye(n, dtype=dt)
    for i in range(m):
        w, tau, d[i] = _reflector(a[i, i:])       # row i's tail to zeros
        rest = a[i + 1:, i:]
        rest -= tau * np.outer(rest @ w, w)
        p[:, i:] -= tau * np.outer(p[:, i:] @ w, w)
        if i + 1 < m:
            w, tau, e[i] = _reflector(a[i + 1:, i])   # column i below the subdiagonal
            rest = a[i + 1:, i + 1:]
            rest -= tau * np.outer(w, w @ rest)
            q[:, i + 1:] -= tau * np.outer(q[:, i + 1:] @ w, w)
    return q, d, e, p


def _to_upper(d: np.ndarray, e: np.ndarray):
    """dbdsdc's rotations of a lower bidiagonal B to an upper one: (G, d, e)
    with G B = the upper bidiagonal matrix of (d, e)."""
    m = len(d)
    d, e = d.copy(), e.copy()
    rotations = np.eye(m, dtype=d.dtype)
    for i in range(m - 1):
        c, s, d[i] = _rotation(float(d[i]), float(e[i]))
        e[i] = s * d[i + 1]
        d[i + 1] = c * d[i + 1]
        g = np.eye(m, dtype=d.dtype)
        g[i, i] = g[i + 1, i + 1] = c
        g[i, i + 1], g[i + 1, i] = s, -s
        rotations = g @ rotations
    return rotations, d, e


def _tall_svd(a: np.ndarray, full_matrices: bool):
    """(U, S, Vh) of one tall matrix (m > n) by its QR path: A = Q R, U = Q
    times the U of R's SVD (the columns past n: Q's own)."""
    n = a.shape[1]
    q, r = np.linalg.qr(a.astype(np.float64), mode="complete" if full_matrices else "reduced")
    ur, s, vh = np.linalg.svd(r[:n])
    u = q.copy()
    u[:, :n] = q[:, :n] @ ur
    return u.astype(a.dtype), s.astype(a.dtype), vh.astype(a.dtype)


def _wide_svd(a: np.ndarray, full_matrices: bool):
    """(U, S, Vh) of one wide matrix a (m < n) by its direct path (a float32
    matrix's zero singular values stay far below its rounding, as numpy's
    do: see spectral._float32_zeros)."""
    m, n = a.shape
    q, d, e, p = _bidiagonalize(a.astype(np.float64))
    rotations, d, e = _to_upper(d, e)
    ub, s, vbh = np.linalg.svd(np.diag(d) + np.diag(e, 1))
    u = q @ (rotations.T @ ub)
    if full_matrices:
        v = np.eye(n)
        v[:m, :m] = vbh
        vh = v @ p.T
    else:
        vh = vbh @ p.T[:m]
    return u.astype(a.dtype), s.astype(a.dtype), vh.astype(a.dtype)


def mkl_path_svd(a: np.ndarray, full_matrices: bool):
    """(U, S, Vh) of a (a batch of at least one matrix, of a shape for which
    takes_other_path) by MKL's path."""
    m, n = a.shape[-2:]
    flat = a.reshape(-1, m, n)
    one = _wide_svd if m < n else _tall_svd
    outs = [one(x, full_matrices) for x in flat]
    lead = a.shape[:-2]
    return tuple(np.stack([o[k] for o in outs]).reshape(lead + outs[0][k].shape)
                 for k in range(3))
