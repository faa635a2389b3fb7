"""LU factorizations and solves: torch.linalg.lu_factor (its LU, packed:
L's strict lower triangle under U), torch.linalg.lu (L and U apart; P is no
node), torch.lu_unpack and torch.linalg.lu_solve, with PyTorch's backward
formulas (FunctionsManual's linalg_lu_backward, lu_factor_ex_backward,
lu_unpack_backward, linalg_lu_solve_LU) and their JVPs.

A = P L U for an m x n A: L is m x k (1s on its diagonal), U k x n, k =
min(m, n); the pivots are LAPACK's (1-based: row i was swapped with row
pivots[i] - 1). As for the other decompositions (ops/decomp.py), each of
L and U is its own node under PyTorch's one name, with the VJP of its
output alone: the sum over the nodes is PyTorch's gradient.
"""
from __future__ import annotations

import numpy as np

from .decomp import _t, column_major, lapack_result, lu
from .registry import SAME, defop, output_grads, unbroadcast
from .triangular import solve_triangular


def unpack(factors: np.ndarray):
    """(L, U) of a packed LU."""
    m, n = factors.shape[-2:]
    k = min(m, n)
    low = np.tril(factors[..., :, :k], -1)
    low[..., np.arange(k), np.arange(k)] = 1
    return low, np.triu(factors[..., :k, :])


def row_order(pivots: np.ndarray, m: int) -> np.ndarray:
    """The rows of A in the order of L U: the pivots' swaps, one after
    another, applied to 0..m-1."""
    rows = np.broadcast_to(np.arange(m), pivots.shape[:-1] + (m,)).copy()
    for i in range(pivots.shape[-1]):
        j = pivots[..., i, None].astype(np.int64) - 1
        here = rows[..., i].copy()
        rows[..., i] = np.take_along_axis(rows, j, axis=-1)[..., 0]
        np.put_along_axis(rows, j, here[..., None], axis=-1)
    return rows


def permutation(pivots: np.ndarray, m: int, dtype) -> np.ndarray:
    """P, with A = P L U (P[rows[j], j] = 1)."""
    rows = row_order(pivots, m)
    return (rows[..., None, :] == np.arange(m)[:, None]).astype(dtype)


def _factors(a):
    """P, L, U of a, as lu_factor and lu_unpack make them."""
    factors, *_, pivots = lu(a)
    return (permutation(pivots, a.shape[-2], a.dtype), *unpack(factors))


# ---- the gradient of A from those of L and U (linalg_lu_backward) -------------

def _lu_backward(gl, gu, p, low, up):
    """PyTorch's gradient of A = P L U from gL and gU (zeros for an output
    that has none): square, wide (m < n) and tall (m > n) in its steps."""
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m == n:
        ga = np.tril(_t(low) @ gl, -1) + np.triu(gu @ _t(up))
        ga = solve_triangular(_t(up), ga, upper=False, left=False)
        ga = solve_triangular(_t(low), ga, upper=True, unit=True)
    elif m < n:
        ga = _t(low) @ gl - np.triu(gu) @ _t(up)
        ga = solve_triangular(_t(up[..., :k]), np.tril(ga, -1), upper=False, left=False)
        ga = np.concatenate([ga + np.triu(gu[..., :k]), gu[..., k:]], axis=-1)
        ga = solve_triangular(_t(low), ga, upper=True, unit=True)
    else:
        ga = gu @ _t(up) - _t(low) @ np.tril(gl, -1)
        ga = solve_triangular(_t(low[..., :k, :]), np.triu(ga), upper=True, unit=True)
        ga = np.concatenate([ga + np.tril(gl[..., :k, :], -1), gl[..., k:, :]], axis=-2)
        ga = solve_triangular(_t(up), ga, upper=False, left=False)
    return p @ ga


def _lu_tangents(t, p, low, up):
    """(dL, dU) of A = P L U for dA = t: with Y = P^T dA and X = L1^-1 Y1
    U1^-1 on the leading k x k block, dL1 = L1 X.tril(-1), dU1 = X.triu() U1;
    a wide A's other columns dU2 = L^-1 Y2 - X.tril(-1) U2, a tall A's other
    rows dL2 = Y2 U^-1 - L2 X.triu()."""
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    y = _t(p) @ t
    l1, u1 = low[..., :k, :], up[..., :, :k]
    x = solve_triangular(u1, solve_triangular(l1, y[..., :k, :k], upper=False, unit=True),
                         upper=True, left=False)
    dl, du = l1 @ np.tril(x, -1), np.triu(x) @ u1
    if n > k:
        rest = solve_triangular(l1, y[..., :k, k:], upper=False, unit=True)
        du = np.concatenate([du, rest - np.tril(x, -1) @ up[..., :, k:]], axis=-1)
    if m > k:
        rest = solve_triangular(u1, y[..., k:, :k], upper=True, left=False)
        dl = np.concatenate([dl, rest - low[..., k:, :] @ np.triu(x)], axis=-2)
    return dl, du


def _packed(dl, du):
    """L's strict lower triangle under U, packed as LAPACK's LU."""
    m, n = dl.shape[-2], du.shape[-1]
    k = min(m, n)
    out = np.zeros(dl.shape[:-2] + (m, n), dl.dtype)
    out[..., :k, :] = np.triu(du)
    out[..., :, :k] += np.tril(dl, -1)
    return out


def _packed_tangent(dl, du):
    """The packed LU's tangent as PyTorch's lu_factor_ex_jvp makes it: dL and
    dU added over their common block (not each cut to its triangle: where U
    is singular, dU's NaNs below the diagonal reach the L part)."""
    m, n = dl.shape[-2], du.shape[-1]
    if m >= n:
        out = dl.copy()
        out[..., :n, :] += du
    else:
        out = du.copy()
        out[..., :, :m] += dl
    return out


# ---- linalg.lu_factor: the packed LU ------------------------------------------

def _lu_factor_vjp(g, ans, xs, p):
    # lu_factor_ex_backward: gL = G's first k columns, gU its first k rows
    perm, low, up = _factors(xs[0])
    k = min(ans.shape[-2:])
    return _lu_backward(g[..., :, :k], g[..., :k, :], perm, low, up)


defop("lu_factor", "LinalgLuFactorExBackward0", lapack_result(lambda xs, p: lu(xs[0])[0]),
      vjp=(_lu_factor_vjp,),
      jvp=(lambda t, ans, xs, p: _packed_tangent(*_lu_tangents(t, *_factors(xs[0]))),),
      saved=("r",), reads_unsaved=True,
      formula=("d LU/dA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T",),
      symbol="linalg.lu_factor", dtype_rule=SAME)


# ---- linalg.lu: L and U -------------------------------------------------------

def _lu_vjp(which):
    def rule(g, ans, xs, p):
        perm, low, up = _factors(xs[0])
        zero = np.zeros_like
        gl, gu = (g, zero(up)) if which == "L" else (zero(low), g)
        return _lu_backward(gl, gu, perm, low, up)
    return rule


def _lu_joint(outs, xs, p):
    perm, low, up = _factors(xs[0])
    gl, gu = output_grads(outs, 2)
    return (_lu_backward(np.zeros_like(low) if gl is None else gl,
                         np.zeros_like(up) if gu is None else gu, perm, low, up),)


for _which, _i in (("L", 1), ("U", 2)):
    defop(f"linalg_lu_{_which.lower()}", "LinalgLuBackward0",
          (lambda i: lambda xs, p: _factors(xs[0])[i])(_i),
          vjp=(_lu_vjp(_which),), joint=_lu_joint,
          jvp=((lambda i: lambda t, ans, xs, p: _lu_tangents(t, *_factors(xs[0]))[i - 1])(_i),),
          saved=("r",), reads_unsaved=True,
          formula=(f"d {_which}/dA = P L^-T (tril(L^T gL, -1) + triu(gU U^T)) U^-T",),
          symbol="linalg.lu", dtype_rule=SAME)


# ---- lu_unpack: L and U of a packed LU ----------------------------------------

def _unpack(i):
    # (unpack_data=False: an empty output, still the op's node)
    def forward(xs, p):
        return unpack(xs[0])[i] if p.get("data", True) else np.zeros((0,), xs[0].dtype)
    return forward


def _unpack_vjp(which):
    def rule(g, ans, xs, p):
        m, n = xs[0].shape[-2:]
        k, batch = min(m, n), xs[0].shape[:-2]
        if not p.get("data", True):
            return np.zeros_like(xs[0])
        if which == "L":
            return _packed(g, np.zeros(batch + (k, n), g.dtype))
        return _packed(np.zeros(batch + (m, k), g.dtype), g)
    return rule


def _unpack_jvp(which):
    def rule(t, ans, xs, p):
        k = min(t.shape[-2:])
        if not p.get("data", True):
            return np.zeros((0,), t.dtype)
        return np.tril(t[..., :, :k], -1) if which == "L" else np.triu(t[..., :k, :])
    return rule


def _unpack_joint(outs, xs, p):
    """LU's gradient from those of L and U: each on its triangle of the
    packed matrix, in one array."""
    gl, gu = output_grads(outs, 2)
    if gu is None or not p.get("data", True):
        return (_unpack_vjp("L")(gl, None, xs, p),)
    if gl is None:
        return (_unpack_vjp("U")(gu, None, xs, p),)
    return (_packed(gl, gu),)


for _which, _i in (("L", 0), ("U", 1)):
    defop(f"lu_unpack_{_which.lower()}", "LuUnpackBackward0", _unpack(_i),
          vjp=(_unpack_vjp(_which),), jvp=(_unpack_jvp(_which),), joint=_unpack_joint,
          formula=(f"d {_which}/dLU = G on {_which}'s triangle",),
          symbol="lu_unpack", dtype_rule=SAME)


# ---- linalg.lu_solve ----------------------------------------------------------

def lu_solve(factors, pivots, b, left=True, adjoint=False):
    """A X = B (A^T X = B with adjoint; X A = B, X A^T = B with left=False,
    which PyTorch solves as A^T X^T = B^T, A X^T = B^T) from A's LU, as
    LAPACK's getrs: B's rows swapped, then the two triangular solves."""
    if not left:
        return _t(lu_solve(factors, pivots, _t(b), True, not adjoint))
    low, up = unpack(factors)
    batch = np.broadcast_shapes(factors.shape[:-2], b.shape[:-2])
    b = np.broadcast_to(b, batch + b.shape[-2:])
    rows = np.broadcast_to(row_order(pivots, factors.shape[-2]), batch + factors.shape[-1:])
    if not adjoint:
        y = np.take_along_axis(b, rows[..., None], axis=-2)
        return solve_triangular(up, solve_triangular(low, y, upper=False, unit=True), upper=True)
    y = solve_triangular(_t(low), solve_triangular(_t(up), b, upper=False), upper=True,
                         unit=True)
    out = np.empty_like(y)
    np.put_along_axis(out, rows[..., None], y, axis=-2)
    return out


def _gradient_of_lu(g, ans, xs, p):
    """linalg_lu_solve_LU: the gradient of the packed LU."""
    factors, pivots = xs[0], xs[1]
    left, adjoint = p.get("left", True), p.get("adjoint", False)
    low, up = unpack(factors)
    if left != adjoint:
        gr = solve_triangular(_t(up), -(g if left else _t(g)) @ (_t(ans) if left else ans),
                              upper=False)
        gl = np.tril(solve_triangular(_t(low), gr @ _t(up), upper=True, unit=True), -1)
        out = gl + np.triu(gr)
    else:
        perm = permutation(pivots, factors.shape[-2], factors.dtype)
        gr = -_t(perm) @ (ans if left else _t(ans)) @ (_t(g) if left else g) @ perm
        gr = solve_triangular(_t(low), gr, upper=True, left=False, unit=True)
        gu = np.triu(solve_triangular(_t(up), _t(low) @ gr, upper=False, left=False))
        out = np.tril(gr, -1) + gu
    return unbroadcast(out, factors.shape)


def _lu_solve_jvp_lu(t, ans, xs, p):
    """dX for a change of the LU: dA = P (dL U + L dU), then the solve of
    -dA X (-X dA with left=False; dA^T with adjoint)."""
    factors, pivots = xs[0], xs[1]
    left, adjoint = p.get("left", True), p.get("adjoint", False)
    low, up = unpack(factors)
    perm = permutation(pivots, factors.shape[-2], factors.dtype)
    da = perm @ (np.tril(t, -1) @ up + low @ np.triu(t))
    da = _t(da) if adjoint else da
    return lu_solve(factors, pivots, -(da @ ans if left else ans @ da), left, adjoint)


def _lu_solve_result(xs, p):
    """lu_solve's X, column-major as LAPACK leaves it; with left=False, the
    transpose of the solve of the transposed system: in rows (C order), as
    PyTorch's is."""
    left = p.get("left", True)
    x = lu_solve(xs[0], xs[1], xs[2], left, p.get("adjoint", False))
    return column_major(x) if left else np.ascontiguousarray(x)


defop("linalg_lu_solve", "LinalgLuSolveBackward0",
      _lu_solve_result,
      vjp=(_gradient_of_lu, None,
           lambda g, ans, xs, p: unbroadcast(
               lu_solve(xs[0], xs[1], g, p.get("left", True), not p.get("adjoint", False)),
               xs[2].shape)),
      jvp=(_lu_solve_jvp_lu, None,
           lambda t, ans, xs, p: lu_solve(xs[0], xs[1], t, p.get("left", True),
                                          p.get("adjoint", False))),
      saved=("01r", "", "01"),
      formula=("d X/dLU = the LU's part of -A^-T G X^T", "", "d X/dB = A^-T G"),
      symbol="linalg.lu_solve", dtype_rule=SAME)
