"""The eigenvectors of a small symmetric matrix as PyTorch's LAPACK (MKL's
syevd) gives them: their signs are what its algorithm leaves, and numpy's
LAPACK leaves other ones from 3 x 3 up.

syevd reduces A to a tridiagonal T = Q^T A Q with Householder reflections
(sytd2), finds T's eigenvectors Z, and returns Q Z. Up to 25 x 25 (stedc's
SMLSIZ) Z comes from steqr: implicit QL or QR sweeps of Givens rotations.
MKL and numpy's reference LAPACK agree on the reflections (measured: the
same d, e and tau) but not on the rotations: LAPACK 3.10 rewrote lartg
(c >= 0, r with f's sign), and MKL's steqr keeps the older convention (c >
0 where |f| > |g|, else r > 0). Each sweep's rotations then differ in
sign, and so do the eigenvectors. Larger matrices take stedc's divide and
conquer, whose signs agree with numpy's (measured up to 64 x 64).

So for 3 to 25 rows this runs sytd2 and steqr as LAPACK writes them, with
the older rotations, in the matrix's own precision as MKL does (a float32
matrix in float32: numpy's LAPACK runs it in double). Checked against
PyTorch on random matrices: every float64 one agrees; a float32 one as
far as MKL's vectorised kernels round as the loops here do (about 29 in 30
at 12 x 12, 26 in 30 at 25 x 25, where numpy's double precision matched 1
in 30 at 8 x 8).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# stedc solves a tridiagonal matrix of at most this many rows with steqr
SMLSIZ = 25
# steqr's limit of sweeps, per row
_MAXIT = 30


def mkl_eigenvectors(a: np.ndarray, upper: bool) -> np.ndarray:
    """The eigenvectors of each symmetric matrix of the batch a (3 to SMLSIZ
    rows), reading its lower triangle (upper: its upper one), in columns
    ordered by ascending eigenvalue."""
    n = a.shape[-1]
    flat = a.reshape(-1, n, n)
    out = np.stack([_syevd_vectors(m, upper) for m in flat])
    return out.reshape(a.shape)


def _syevd_vectors(a: np.ndarray, upper: bool) -> np.ndarray:
    return _vectors_of_bytes(a.tobytes(), a.dtype.str, a.shape[-1], upper).copy()


@lru_cache(maxsize=64)
def _vectors_of_bytes(data: bytes, dtype: str, n: int, upper: bool) -> np.ndarray:
    """The eigenvectors of the matrix of these bytes, once per matrix: the
    forward, the backward and forward mode each ask for them, and the loops
    here take milliseconds."""
    a = np.frombuffer(data, dtype).reshape(n, n)
    if upper:
        # sytd2 with UPLO='U' reduces from the last column back: the lower
        # reduction of A with its rows and columns reversed
        d, e, q = _tridiagonalize(a[::-1, ::-1])
        d, e, q = d[::-1], e[::-1], q[::-1, ::-1]
    else:
        d, e, q = _tridiagonalize(a)
    return q @ _steqr(d.copy(), e.copy())


# ---- sytd2: A = Q T Q^T, from A's lower triangle ---------------------------------

def _seq_sum(x: np.ndarray):
    """x's sum left to right, as LAPACK's loops add (numpy adds pairwise)."""
    return np.cumsum(x)[-1] if len(x) else x.dtype.type(0)


def _reflector(alpha, x: np.ndarray):
    """larfg: (beta, v, tau) with (I - tau (1, v) (1, v)^T) (alpha, x) = (beta, 0...)."""
    t = x.dtype.type
    xnorm = np.linalg.norm(x) if len(x) else 0
    if xnorm == 0:
        return alpha, x, t(0)
    beta = t(-math.copysign(1.0, alpha)) * _hypot(alpha, t(xnorm))
    return beta, x * (t(1) / (alpha - beta)), (beta - alpha) / beta


def _symv_lower(alpha, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """alpha A x from A's lower triangle, column by column (symv)."""
    y = np.zeros_like(x)
    for j in range(len(x)):
        t1 = alpha * x[j]
        y[j] += t1 * a[j, j]
        y[j + 1:] += t1 * a[j + 1:, j]
        y[j] += alpha * _seq_sum(a[j + 1:, j] * x[j + 1:])
    return y


def _syr2_lower(v: np.ndarray, w: np.ndarray, a: np.ndarray) -> None:
    """A -= v w^T + w v^T on A's lower triangle (syr2 with alpha -1)."""
    for j in range(len(v)):
        a[j:, j] = a[j:, j] + v[j:] * -w[j]
        a[j:, j] = a[j:, j] + w[j:] * -v[j]


def _tridiagonalize(a: np.ndarray):
    """sytd2 (UPLO='L'): (d, e, Q) with Q^T A Q tridiagonal, d its
    diagonal, e its subdiagonal."""
    a = np.array(a)
    t = a.dtype.type
    n = a.shape[0]
    d, e, q = np.zeros(n, t), np.zeros(n - 1, t), np.eye(n, dtype=t)
    reflectors = []
    for i in range(n - 1):
        e[i], v_tail, tau = _reflector(a[i + 1, i], a[i + 2:, i])
        v = np.concatenate([np.ones(1, t), v_tail])
        if tau != 0:
            rest = a[i + 1:, i + 1:]
            x = _symv_lower(tau, rest, v)
            w = x + (t(-0.5) * tau * _seq_sum(x * v)) * v
            _syr2_lower(v, w, rest)
        d[i] = a[i, i]
        reflectors.append((v, tau))
    d[n - 1] = a[n - 1, n - 1]
    for i in range(n - 2, -1, -1):         # Q = H_1 H_2 ... H_{n-1}
        v, tau = reflectors[i]
        q[i + 1:] -= tau * np.outer(v, v @ q[i + 1:])
    return d, e, q


# ---- steqr: T = Z diag(w) Z^T by implicit QL / QR -------------------------------

def _rotation(f, g):
    """lartg before LAPACK 3.10 (MKL's): (c, s, r) with [[c, s], [-s, c]]
    (f, g) = (r, 0); c > 0 where |f| > |g|, else r > 0."""
    t = type(f)
    if g == 0:
        return t(1), t(0), f
    if f == 0:
        return t(0), t(1), g
    r = np.sqrt(f * f + g * g)
    c, s = f / r, g / r
    if abs(f) > abs(g) and c < 0:
        return -c, -s, -r
    return c, s, r


def _hypot(x, y):
    """lapy2: sqrt(x^2 + y^2) without overflow, in x's precision."""
    big, small = max(abs(x), abs(y)), min(abs(x), abs(y))
    if small == 0:
        return big
    return big * np.sqrt(type(x)(1) + (small / big) ** 2)


def _eig2(a, b, c):
    """laev2 of [[a, b], [b, c]]: (rt1, rt2, cs, sn), rt1 the eigenvalue of
    larger magnitude, (cs, sn) its eigenvector."""
    t = type(a)
    sm, df, tb = a + c, a - c, b + b
    adf, ab = abs(df), abs(tb)
    acmx, acmn = (a, c) if abs(a) > abs(c) else (c, a)
    rt = _hypot(adf, ab) if adf != ab else ab * np.sqrt(t(2))
    if sm < 0:
        rt1, sgn1 = t(0.5) * (sm - rt), -1
    else:
        rt1, sgn1 = t(0.5) * (sm + rt), 1
    if sm != 0:
        rt2 = (acmx / rt1) * acmn - (b / rt1) * b
    else:
        rt1, rt2 = t(0.5) * rt, t(-0.5) * rt
    cs, sgn2 = (df + rt, 1) if df >= 0 else (df - rt, -1)
    if abs(cs) > ab:
        ct = -tb / cs
        sn1 = t(1) / np.sqrt(t(1) + ct * ct)
        cs1 = ct * sn1
    elif ab == 0:
        cs1, sn1 = t(1), t(0)
    else:
        tn = -cs / tb
        cs1 = t(1) / np.sqrt(t(1) + tn * tn)
        sn1 = tn * cs1
    if sgn1 == sgn2:
        cs1, sn1 = -sn1, cs1
    return rt1, rt2, cs1, sn1


def _rotate(z: np.ndarray, c: list, s: list, first: int, backward: bool) -> None:
    """lasr('R', 'V', 'B' or 'F'): rotation k turns z's columns first+k and
    first+k+1, the last one first (backward) or the first one first."""
    order = range(len(c) - 1, -1, -1) if backward else range(len(c))
    for k in order:
        j = first + k
        right, left = z[:, j + 1].copy(), z[:, j].copy()
        z[:, j + 1] = c[k] * right - s[k] * left
        z[:, j] = s[k] * right + c[k] * left


class _Tridiagonal:
    """steqr's state: the diagonal d, the off-diagonal e (e[i] joins rows i
    and i + 1) and the rotations gathered in z."""

    def __init__(self, d: np.ndarray, e: np.ndarray):
        self.t = d.dtype.type
        self.d, self.e = list(d), list(e) + [self.t(0)]
        self.z = np.eye(len(d), dtype=d.dtype)
        self.eps = self.t(np.finfo(d.dtype).eps / 2)         # lamch('E')
        self.safmin = self.t(np.finfo(d.dtype).tiny)
        self.sweeps_left = _MAXIT * len(d)

    def negligible(self, i: int, j: int) -> bool:
        """The inner test of steqr for e between rows i and j."""
        eps2 = self.eps * self.eps
        k = min(i, j)
        return abs(self.e[k]) ** 2 <= (eps2 * abs(self.d[i])) * abs(self.d[j]) + self.safmin

    def ql(self, l: int, lend: int) -> None:
        """QL iterations on rows l..lend (l < lend) until all converge."""
        d, e, t = self.d, self.e, self.t
        while l <= lend:
            m = next((k for k in range(l, lend) if self.negligible(k, k + 1)), lend)
            if m < lend:
                e[m] = t(0)
            if m == l:
                l += 1
                continue
            if m == l + 1:
                d[l], d[l + 1], c, s = _eig2(d[l], e[l], d[l + 1])
                _rotate(self.z, [c], [s], l, backward=True)
                e[l] = t(0)
                l += 2
                continue
            if not self.sweeps_left:
                return
            self.sweeps_left -= 1
            p = d[l]
            g = (d[l + 1] - p) / (t(2) * e[l])
            r = _hypot(g, t(1))
            g = d[m] - p + (e[l] / (g + (r if g >= 0 else -r)))
            s, c, p = t(1), t(1), t(0)
            cs, ss = [t(0)] * (m - l), [t(0)] * (m - l)
            for i in range(m - 1, l - 1, -1):
                f, b = s * e[i], c * e[i]
                c, s, r = _rotation(g, f)
                if i != m - 1:
                    e[i + 1] = r
                g = d[i + 1] - p
                r = (d[i] - g) * s + t(2) * c * b
                p = s * r
                d[i + 1] = g + p
                g = c * r - b
                cs[i - l], ss[i - l] = c, -s
            _rotate(self.z, cs, ss, l, backward=True)
            d[l] = d[l] - p
            e[l] = g

    def qr(self, l: int, lend: int) -> None:
        """QR iterations on rows lend..l (l > lend) until all converge."""
        d, e, t = self.d, self.e, self.t
        while l >= lend:
            m = next((k for k in range(l, lend, -1) if self.negligible(k, k - 1)), lend)
            if m > lend:
                e[m - 1] = t(0)
            if m == l:
                l -= 1
                continue
            if m == l - 1:
                d[l - 1], d[l], c, s = _eig2(d[l - 1], e[l - 1], d[l])
                _rotate(self.z, [c], [s], m, backward=False)
                e[l - 1] = t(0)
                l -= 2
                continue
            if not self.sweeps_left:
                return
            self.sweeps_left -= 1
            p = d[l]
            g = (d[l - 1] - p) / (t(2) * e[l - 1])
            r = _hypot(g, t(1))
            g = d[m] - p + (e[l - 1] / (g + (r if g >= 0 else -r)))
            s, c, p = t(1), t(1), t(0)
            cs, ss = [t(0)] * (l - m), [t(0)] * (l - m)
            for i in range(m, l):
                f, b = s * e[i], c * e[i]
                c, s, r = _rotation(g, f)
                if i != m:
                    e[i - 1] = r
                g = d[i] - p
                r = (d[i + 1] - g) * s + t(2) * c * b
                p = s * r
                d[i] = g + p
                g = c * r - b
                cs[i - m], ss[i - m] = c, s
            _rotate(self.z, cs, ss, m, backward=False)
            d[l] = d[l] - p
            e[l - 1] = g

    def split(self, start: int) -> int:
        """The last row of the unreduced block from start: its e is 0 or
        below steqr's outer test (and made 0)."""
        d, e = self.d, self.e
        for m in range(start, len(d) - 1):
            if e[m] == 0:
                return m
            if abs(e[m]) <= np.sqrt(abs(d[m])) * np.sqrt(abs(d[m + 1])) * self.eps:
                e[m] = self.t(0)
                return m
        return len(d) - 1


def _steqr(d: np.ndarray, e: np.ndarray) -> np.ndarray:
    """The eigenvectors of the tridiagonal matrix (d, e), ordered as steqr
    orders them (selection sort by ascending eigenvalue)."""
    tri = _Tridiagonal(d, e)
    start = 0
    while start < len(d) and tri.sweeps_left:
        if start > 0:
            tri.e[start - 1] = tri.t(0)
        end = tri.split(start)
        l, lend = start, end
        start = end + 1
        if lend == l or max(map(abs, tri.d[l:lend + 1] + tri.e[l:lend])) == 0:
            continue
        # QL when the block's bottom diagonal entry is the larger, else QR
        if abs(tri.d[lend]) < abs(tri.d[l]):
            tri.qr(lend, l)
        else:
            tri.ql(l, lend)
    return _sorted_columns(tri.d, tri.z)


def _sorted_columns(w: list, z: np.ndarray) -> np.ndarray:
    w = list(w)
    for i in range(len(w) - 1):
        k = min(range(i, len(w)), key=lambda j: (w[j], j))
        if w[k] < w[i]:
            w[i], w[k] = w[k], w[i]
            z[:, [i, k]] = z[:, [k, i]]
    return z
