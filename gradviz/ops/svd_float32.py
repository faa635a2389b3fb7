"""The singular vectors of a small float32 matrix as PyTorch's LAPACK (MKL's
sgesdd) gives them: computed in float32, as MKL computes them.

numpy's SVD of a float32 matrix runs in double precision. Its path is
MKL's (every float64 matrix agrees in sign), but the signs a path leaves
hang on its roundings: for 8 x 8 float32 matrices numpy's double
precision vectors had PyTorch's signs for 25 random seeds in 30. sgesdd's
path for an m x n matrix, m >= n, m below MKL's QR-first bound (ops/
svd_paths.py), n at most 25 (bdsdc's SMLSIZ): Householder reflections from
both sides leave A = Q B P^T with B upper bidiagonal (gebd2), then bdsqr's
implicit QR sweeps of Givens rotations (lartg as LAPACK 3.10 writes it:
MKL's bdsqr follows it, unlike its steqr, see ops/eigh_signs.py) give B =
U_B diag(S) V_B^T; U = Q U_B, V^T = V_B^T P^T. This runs that path in
float32: PyTorch's signs for 30 random seeds in 30 from 3 x 3 to 12 x 12
but one 8 x 8, 28 and 26 in 30 at 20 x 20 and 25 x 25 (numpy's: 15 and 14).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from .eigh_signs import SMLSIZ, _hypot, _rotate

# bdsqr's limit of sweeps, per row
_MAXITR = 6
# a smallest singular value at most this many times n float32 roundings of
# the largest counts as rank-deficient (see float32_vectors)
_RANK_SLACK = 100


def runs_in_float32(a: np.ndarray) -> bool:
    """Whether a (a batch) is a float32 matrix this module computes the
    vectors of: m >= n, m < int(1.5 n) (else MKL factors A = QR first),
    2 <= n <= SMLSIZ."""
    m, n = a.shape[-2:]
    return a.dtype == np.float32 and 2 <= n <= SMLSIZ and n <= m < int(1.5 * n)


def float32_vectors(a: np.ndarray, u: np.ndarray, s: np.ndarray, vh: np.ndarray,
                    full_matrices: bool):
    """u and vh (numpy's, of the batch a, runs_in_float32(a)) with the
    float32 path's vectors for each matrix whose singular values s are all
    clear of float32's rounding: a rank-deficient matrix's vectors of its
    zero singular values are that rounding's, where numpy's agree with
    PyTorch's more often (torch.ones(3, 3), the 3 x 3 of 1..9)."""
    m, n = a.shape[-2:]
    u, vh = u.copy(), vh.copy()
    flat_u, flat_vh = u.reshape(-1, *u.shape[-2:]), vh.reshape(-1, *vh.shape[-2:])
    floor = _RANK_SLACK * n * np.finfo(np.float32).eps
    for k, (x, sk) in enumerate(zip(a.reshape(-1, m, n), s.reshape(-1, n))):
        if sk[-1] > floor * sk[0]:
            flat_u[k], flat_vh[k] = _one_svd(x, full_matrices)
    return u, vh


def _one_svd(a: np.ndarray, full_matrices: bool):
    u, vt = _svd_of_bytes(a.tobytes(), a.shape, full_matrices)
    return u.copy(), vt.copy()


@lru_cache(maxsize=64)
def _svd_of_bytes(data: bytes, shape: tuple, full_matrices: bool):
    """(U, V^T) of the float32 matrix of these bytes, once per matrix: U's,
    S's and Vh's nodes and their gradients each ask for it, and the loops
    here take milliseconds."""
    a = np.frombuffer(data, np.float32).reshape(shape)
    q, d, e, p = _bidiagonalize(a)
    n = shape[1]
    ub, vbt = _bdsqr(d, e)
    # gesdd: U = Q [[U_B, 0], [0, I]] (full) or Q's first n columns times U_B
    if full_matrices:
        u = q.copy()
        u[:, :n] = q[:, :n] @ ub
    else:
        u = q[:, :n] @ ub
    return u, vbt @ p.T


# ---- gebd2: A = Q B P^T, B upper bidiagonal ---------------------------------------

def _sign(a, b):
    """Fortran's SIGN(a, b): |a| with b's sign."""
    return abs(a) if b >= 0 else -abs(a)


def _reflector(x: np.ndarray):
    """larfg in x's precision: (w, tau, beta), (I - tau w w^T) x = (beta, 0...)."""
    t = x.dtype.type
    alpha, rest = x[0], x[1:]
    w = np.zeros(len(x), x.dtype)
    w[0] = 1
    xnorm = np.linalg.norm(rest) if len(rest) else t(0)
    if xnorm == 0:
        return w, t(0), alpha
    beta = -_sign(_hypot(alpha, t(xnorm)), alpha)
    w[1:] = rest * (t(1) / (alpha - beta))
    return w, (beta - alpha) / beta, beta


def _bidiagonalize(a: np.ndarray):
    """(Q, d, e, P): A = Q B P^T, B the upper bidiagonal matrix of its
    diagonal d and superdiagonal e (gebd2 for m >= n)."""
    a = np.array(a)
    m, n = a.shape
    t = a.dtype.type
    d, e = np.zeros(n, t), np.zeros(n - 1, t)
    q, p = np.eye(m, dtype=t), np.eye(n, dtype=t)
    for i in range(n):
        w, tau, d[i] = _reflector(a[i:, i])            # column i below the diagonal
        rest = a[i:, i + 1:]
        rest -= tau * np.outer(w, w @ rest)
        q[:, i:] -= tau * np.outer(q[:, i:] @ w, w)
        if i + 1 < n:
            w, tau, e[i] = _reflector(a[i, i + 1:])    # row i right of the superdiagonal
            rest = a[i + 1:, i + 1:]
            rest -= tau * np.outer(rest @ w, w)
            p[:, i + 1:] -= tau * np.outer(p[:, i + 1:] @ w, w)
    return q, d, e, p


# ---- bdsqr: B = U_B diag(S) V_B^T -----------------------------------------------

def _rotation(f, g):
    """lartg (LAPACK 3.10 and later) in f's precision: (c, s, r) with
    [[c, s], [-s, c]] (f, g) = (r, 0), c >= 0, r with f's sign."""
    t = type(f)
    if g == 0:
        return t(1), t(0), f
    if f == 0:
        return t(0), _sign(t(1), g), abs(g)
    d = np.sqrt(f * f + g * g)
    r = _sign(d, f)
    return abs(f) / d, g / r, r


def _shift(f, g, h):
    """las2: the smaller singular value of [[f, g], [0, h]]."""
    t = type(f)
    fa, ga, ha = abs(f), abs(g), abs(h)
    lo, hi = min(fa, ha), max(fa, ha)
    if lo == 0:
        return t(0)
    if ga < hi:
        as_, at, au = t(1) + lo / hi, (hi - lo) / hi, (ga / hi) ** 2
        return lo * (t(2) / (np.sqrt(as_ * as_ + au) + np.sqrt(at * at + au)))
    au = hi / ga
    if au == 0:
        return (lo * hi) / ga
    as_, at = t(1) + lo / hi, (hi - lo) / hi
    c = t(1) / (np.sqrt(t(1) + (as_ * au) ** 2) + np.sqrt(t(1) + (at * au) ** 2))
    low = (lo * c) * au
    return low + low


def _svd2(f, g, h):
    """lasv2 of [[f, g], [0, h]]: (smin, smax, snr, csr, snl, csl), signed
    as LAPACK signs them."""
    t = type(f)
    one, two = t(1), t(2)
    ft, fa, ht, ha = f, abs(f), h, abs(h)
    pmax, swap = 1, ha > fa
    if swap:
        pmax, ft, ht, fa, ha = 3, ht, ft, ha, fa
    gt, ga = g, abs(g)
    if ga == 0:
        smin, smax, clt, crt, slt, srt = ha, fa, one, one, t(0), t(0)
    else:
        small_g = True
        if ga > fa:
            pmax = 2
            if fa / ga < np.finfo(t).eps / 2:
                small_g = False
                smax = ga
                smin = fa / (ga / ha) if ha > one else (fa / ga) * ha
                clt, slt, srt, crt = one, ht / gt, one, ft / gt
        if small_g:
            dd = fa - ha
            el = one if dd == fa else dd / fa
            mm_ = gt / ft
            tt = two - el
            s = np.sqrt(tt * tt + mm_ * mm_)
            r = abs(mm_) if el == 0 else np.sqrt(el * el + mm_ * mm_)
            av = t(0.5) * (s + r)
            smin, smax = ha / av, fa * av
            if mm_ * mm_ == 0:
                tv = _sign(two, ft) * _sign(one, gt) if el == 0 else gt / _sign(dd, ft) + mm_ / tt
            else:
                tv = (mm_ / (s + tt) + mm_ / (r + el)) * (one + av)
            el = np.sqrt(tv * tv + t(4))
            crt, srt = two / el, tv / el
            clt, slt = (crt + srt * mm_) / av, (ht / ft) * srt / av
    csl, snl, csr, snr = (srt, crt, slt, clt) if swap else (clt, slt, crt, srt)
    sign_by = {1: (csr, csl, f), 2: (snr, csl, g), 3: (snr, snl, h)}[pmax]
    tsign = _sign(one, sign_by[0]) * _sign(one, sign_by[1]) * _sign(one, sign_by[2])
    return (_sign(smin, tsign * _sign(one, f) * _sign(one, h)), _sign(smax, tsign),
            snr, csr, snl, csl)


class _Bidiagonal:
    """bdsqr's state: d, e (e[i] joins d[i] and d[i + 1]), the left
    rotations gathered in u (columns) and the right ones in vt (rows)."""

    def __init__(self, d: np.ndarray, e: np.ndarray):
        t = self.t = d.dtype.type
        n = len(d)
        self.d, self.e = list(d), list(e)
        self.u, self.vt = np.eye(n, dtype=t), np.eye(n, dtype=t)
        self.eps = t(np.finfo(t).eps / 2)
        self.tol = max(t(10), min(t(100), self.eps ** t(-0.125))) * self.eps
        self.thresh = max(self.tol * self._smallest_estimate(),
                          t(_MAXITR) * (t(n) * (t(n) * t(np.finfo(t).tiny))))

    def _smallest_estimate(self):
        """bdsqr's SMINOA: a lower estimate of the smallest singular value."""
        d, e = self.d, self.e
        est = abs(d[0])
        mu = est
        for i in range(1, len(d)):
            if est == 0:
                break
            mu = abs(d[i]) * (mu / (mu + abs(e[i - 1])))
            est = min(est, mu)
        return est / np.sqrt(self.t(len(d)))

    def rotate(self, left: tuple, right: tuple, first: int, backward: bool) -> None:
        """lasr: the (c, s) of left on u's columns, of right on vt's rows."""
        _rotate(self.u, *left, first, backward)
        _rotate(self.vt.T, *right, first, backward)

    def converged_from(self, ll: int, m: int, forward: bool):
        """bdsqr's relative convergence test of the block ll..m, run from its
        big end: (the e it zeroed or None, the estimate of its smallest
        singular value)."""
        d, e, tol = self.d, self.e, self.tol
        mu = abs(d[ll] if forward else d[m])
        smin = mu
        for k in (range(ll, m) if forward else range(m - 1, ll - 1, -1)):
            if abs(e[k]) <= tol * mu:
                return k, smin
            mu = abs(d[k + 1] if forward else d[k]) * (mu / (mu + abs(e[k])))
            smin = min(smin, mu)
        return None, smin

    def zero_shift_sweep(self, ll: int, m: int, down: bool) -> None:
        d, e, t = self.d, self.e, self.t
        cs, oldcs, oldsn = t(1), t(1), t(0)
        k = m - ll
        c1, s1, c2, s2 = [t(0)] * k, [t(0)] * k, [t(0)] * k, [t(0)] * k
        for step in range(k):
            i = ll + step if down else m - step
            nxt = i + 1 if down else i - 1
            cs, sn, r = _rotation(d[i] * cs, e[i] if down else e[i - 1])
            if step:
                e[i - 1 if down else i] = oldsn * r
            oldcs, oldsn, d[i] = _rotation(oldcs * r, d[nxt] * sn)
            j = step if down else k - 1 - step
            sgn = 1 if down else -1
            c1[j], s1[j], c2[j], s2[j] = cs, sgn * sn, oldcs, sgn * oldsn
        end = m if down else ll
        h = d[end] * cs
        d[end] = h * oldcs
        e[m - 1 if down else ll] = h * oldsn
        if down:
            self.rotate((c2, s2), (c1, s1), ll, backward=False)
        else:
            self.rotate((c1, s1), (c2, s2), ll, backward=True)

    def shifted_sweep(self, ll: int, m: int, down: bool, shift) -> None:
        d, e, t = self.d, self.e, self.t
        one = t(1)
        k = m - ll
        cr, sr, cl, sl = [t(0)] * k, [t(0)] * k, [t(0)] * k, [t(0)] * k
        start = ll if down else m
        f = (abs(d[start]) - shift) * (_sign(one, d[start]) + shift / d[start])
        g = e[ll] if down else e[m - 1]
        for step in range(k):
            i = ll + step if down else m - step
            nxt, ei = (i + 1, i) if down else (i - 1, i - 1)     # the other diagonal, their e
            cosr, sinr, r = _rotation(f, g)
            if step:
                e[i - 1 if down else i] = r
            f = cosr * d[i] + sinr * e[ei]
            e[ei] = cosr * e[ei] - sinr * d[i]
            g = sinr * d[nxt]
            d[nxt] = cosr * d[nxt]
            cosl, sinl, r = _rotation(f, g)
            d[i] = r
            f = cosl * e[ei] + sinl * d[nxt]
            d[nxt] = cosl * d[nxt] - sinl * e[ei]
            if step < k - 1:
                far = ei + 1 if down else ei - 1
                g = sinl * e[far]
                e[far] = cosl * e[far]
            j = step if down else k - 1 - step
            sgn = 1 if down else -1
            cr[j], sr[j], cl[j], sl[j] = cosr, sgn * sinr, cosl, sgn * sinl
        e[m - 1 if down else ll] = f
        if down:
            self.rotate((cl, sl), (cr, sr), ll, backward=False)
        else:
            self.rotate((cr, sr), (cl, sl), ll, backward=True)


def _bdsqr(d: np.ndarray, e: np.ndarray):
    """(U_B, V_B^T) of the upper bidiagonal matrix (d, e), columns and rows
    by descending singular value, each singular value made positive by
    V_B^T's row, as bdsqr leaves them."""
    b = _Bidiagonal(d, e)
    n = len(d)
    d, e, t = b.d, b.e, b.t
    sweeps, rounds, oldll, oldm, down = -1, 0, -1, -1, True
    m = n - 1
    while m > 0:
        if sweeps >= n:
            sweeps, rounds = sweeps - n, rounds + 1
            if rounds >= _MAXITR * n:
                break
        ll = next((k for k in range(m - 1, -1, -1) if abs(e[k]) <= b.thresh or e[k] == 0), None)
        if ll is not None:
            e[ll] = t(0)
            if ll == m - 1:
                m -= 1
                continue
        ll = 0 if ll is None else ll + 1
        if ll == m - 1:                       # a 2 x 2 block
            d[m], d[m - 1], sinr, cosr, sinl, cosl = _svd2(d[m - 1], e[m - 1], d[m])
            e[m - 1] = t(0)
            _rotate(b.vt.T, [cosr], [sinr], m - 1, backward=False)     # (rot)
            _rotate(b.u, [cosl], [sinl], m - 1, backward=False)
            m -= 2
            continue
        if ll > oldm or m < oldll:            # a new block: chase from its big end
            down = abs(d[ll]) >= abs(d[m])
        end_e, end_d = (m - 1, m) if down else (ll, ll)
        if abs(e[end_e]) <= abs(b.tol) * abs(d[end_d]):
            e[end_e] = t(0)
            continue
        zeroed, smin = b.converged_from(ll, m, down)
        if zeroed is not None:
            e[zeroed] = t(0)
            continue
        oldll, oldm = ll, m
        shift = t(0)
        smax = max([abs(d[k]) for k in range(ll, m + 1)] + [abs(e[k]) for k in range(ll, m)])
        if not t(n) * b.tol * (smin / smax) <= max(b.eps, t(0.01) * b.tol):
            sll = abs(d[ll] if down else d[m])
            shift = _shift(d[m - 1], e[m - 1], d[m]) if down else _shift(d[ll], e[ll], d[ll + 1])
            if sll > 0 and (shift / sll) ** 2 < b.eps:
                shift = t(0)
        sweeps += m - ll
        if shift == 0:
            b.zero_shift_sweep(ll, m, down)
        else:
            b.shifted_sweep(ll, m, down, shift)
        if abs(e[end_e]) <= b.thresh:
            e[end_e] = t(0)
    return _positive_sorted(d, b.u, b.vt)


def _positive_sorted(d: list, u: np.ndarray, vt: np.ndarray):
    for i, x in enumerate(d):
        if x < 0:
            d[i], vt[i] = -x, -vt[i]
    n = len(d)
    for i in range(n - 1):                     # the smallest to the end, one swap each
        last = n - 1 - i
        isub = _last_smallest(d, last)
        if isub != last:
            d[isub], d[last] = d[last], d[isub]
            vt[[isub, last]] = vt[[last, isub]]
            u[:, [isub, last]] = u[:, [last, isub]]
    return u, vt


def _last_smallest(d: list, last: int) -> int:
    """bdsqr's scan: the index of the smallest of d[:last + 1], the last of equals."""
    isub, smin = 0, d[0]
    for j in range(1, last + 1):
        if d[j] <= smin:
            isub, smin = j, d[j]
    return isub
