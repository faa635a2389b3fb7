"""Triangular solves: torch.linalg.solve_triangular and torch.cholesky_solve
(a Gaussian process's K^-1 y from K's Cholesky factor), with PyTorch's
gradient formulas. The leading dims are a batch.
"""
from __future__ import annotations

import numpy as np

from .decomp import _t, lapack_result
from .registry import SAME, defop, unbroadcast


def _triangle(a, upper, unit=False):
    """The triangle of a a triangular solve reads (with 1s on the diagonal
    when unit)."""
    out = np.triu(a) if upper else np.tril(a)
    if unit:
        n = a.shape[-1]
        out = out.copy()
        out[..., np.arange(n), np.arange(n)] = 1
    return out


def substitute(a, b, upper):
    """a^-1 b for a triangular a, row by row (forward or back substitution,
    as LAPACK's trsm): a zero on the diagonal gives inf and nan, as in
    PyTorch, not an error."""
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = np.broadcast_to(a, batch + a.shape[-2:])
    x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), copy=True)
    n = a.shape[-1]
    order = range(n - 1, -1, -1) if upper else range(n)
    done = []
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in order:
            for j in done:
                x[..., i, :] -= a[..., i, j, None] * x[..., j, :]
            x[..., i, :] /= a[..., i, i, None]
            done.append(i)
    return x


def solve_triangular(a, b, upper, left=True, unit=False):
    a = _triangle(a, upper, unit)
    if left:
        return substitute(a, b, upper)
    return _t(substitute(_t(a), _t(b), not upper))     # X A = B: A^T X^T = B^T


def _st_grads(g, ans, xs, p):
    """PyTorch's (linalg_solve_triangular_backward): gB = A^-T G (the other
    triangle), gA = -gB X^T (X^T gB for left=False) on A's triangle."""
    a, b = xs
    upper, left, unit = p["upper"], p.get("left", True), p.get("unitriangular", False)
    gb = solve_triangular(_t(a), g, not upper, left, unit)
    ga = -(gb @ _t(ans) if left else _t(ans) @ gb)
    ga = np.triu(ga, 1 if unit else 0) if upper else np.tril(ga, -1 if unit else 0)
    return ga, gb


def _st_vjp(i):
    return lambda g, ans, xs, p: unbroadcast(_st_grads(g, ans, xs, p)[i], xs[i].shape)


def _st_jvp_a(t, ans, xs, p):
    upper, left, unit = p["upper"], p.get("left", True), p.get("unitriangular", False)
    dt = _triangle(t, upper) if not unit else np.triu(t, 1) if upper else np.tril(t, -1)
    return -solve_triangular(xs[0], dt @ ans if left else ans @ dt, upper, left, unit)


defop("solve_triangular", "LinalgSolveTriangularBackward0",
      lapack_result(lambda xs, p: solve_triangular(xs[0], xs[1], p["upper"], p.get("left", True),
                                                   p.get("unitriangular", False))),
      vjp=(_st_vjp(0), _st_vjp(1)),
      jvp=(_st_jvp_a, lambda t, ans, xs, p: solve_triangular(
          xs[0], t, p["upper"], p.get("left", True), p.get("unitriangular", False))),
      saved=("0r", "0r"),
      formula=("d X/dA = -tri(A^-T G X^T)", "d X/dB = A^-T G"),
      symbol="linalg.solve_triangular", dtype_rule=SAME)


def cholesky_solve(b, f, upper):
    """(F F^T)^-1 b for F lower (F^T F for upper): two triangular solves."""
    if upper:
        return solve_triangular(f, solve_triangular(_t(f), b, False), True)
    return solve_triangular(_t(f), solve_triangular(f, b, False), True)


def _cs_grads(g, ans, xs, p):
    """PyTorch's (cholesky_solve_backward): gB = cholesky_solve(G),
    S = gB X^T + X gB^T, gF = -S F (-F S for upper): on the whole of F,
    though the solve reads only its triangle."""
    b, f = xs
    upper = p.get("upper", False)
    gb = cholesky_solve(g, f, upper)
    common = gb @ _t(ans)
    common = common + _t(common)
    return gb, -(f @ common) if upper else -(common @ f)


defop("cholesky_solve", "CholeskySolveBackward0",
      lapack_result(lambda xs, p: cholesky_solve(xs[0], xs[1], p.get("upper", False))),
      vjp=(lambda g, ans, xs, p: unbroadcast(_cs_grads(g, ans, xs, p)[0], xs[0].shape),
           lambda g, ans, xs, p: unbroadcast(_cs_grads(g, ans, xs, p)[1], xs[1].shape)),
      jvp=(lambda t, ans, xs, p: cholesky_solve(t, xs[1], p.get("upper", False)),
           lambda t, ans, xs, p: _cs_jvp_f(t, ans, xs, p)),
      saved=("1r", "1r"),
      formula=("d X/dB = (F F^T)^-1 G", "d X/dF = -(gB X^T + X gB^T) F"),
      symbol="cholesky_solve", dtype_rule=SAME)


def _cs_jvp_f(t, ans, xs, p):
    # X = K^-1 B with K = F F^T (F^T F): dX = -K^-1 dK X
    f, upper = xs[1], p.get("upper", False)
    f, t = _triangle(f, upper), _triangle(t, upper)
    dk = t @ _t(f) + f @ _t(t) if not upper else _t(t) @ f + _t(f) @ t
    return -cholesky_solve(dk @ ans, xs[1], upper)


# ---- torch.triangular_solve (deprecated): the solution and A's copy -----------

def _ts_solve(b, a, p, transpose=None):
    """op(A)^-1 b, op(A) = A^T with transpose, reading A's triangle."""
    upper, unit = p.get("upper", True), p.get("unitriangular", False)
    if p.get("transpose", False) if transpose is None else transpose:
        return solve_triangular(_t(a), b, not upper, True, unit)
    return solve_triangular(a, b, upper, True, unit)


def _ts_grads(g, ans, xs, p):
    """PyTorch's (triangular_solve_backward): gB = op(A)^-T G; gA = -gB X^T
    (-X gB^T with transpose) on A's triangle."""
    b, a = xs
    upper, unit, transpose = p.get("upper", True), p.get("unitriangular", False), \
        p.get("transpose", False)
    gb = _ts_solve(g, a, p, not transpose)
    ga = -(ans @ _t(gb)) if transpose else -(gb @ _t(ans))
    ga = np.triu(ga, int(unit)) if upper else np.tril(ga, -int(unit))
    return unbroadcast(gb, b.shape), unbroadcast(ga, a.shape)


def _ts_jvp_a(t, ans, xs, p):
    # op(A) X = B: op(dA) X + op(A) dX = 0, dA on A's triangle
    upper, unit = p.get("upper", True), p.get("unitriangular", False)
    dt = np.triu(t, int(unit)) if upper else np.tril(t, -int(unit))
    return -_ts_solve((_t(dt) if p.get("transpose", False) else dt) @ ans, xs[1], p)


defop("triangular_solve", "TriangularSolveBackward0",
      lapack_result(lambda xs, p: _ts_solve(xs[0], xs[1], p)),
      vjp=(lambda g, ans, xs, p: _ts_grads(g, ans, xs, p)[0],
           lambda g, ans, xs, p: _ts_grads(g, ans, xs, p)[1]),
      jvp=(lambda t, ans, xs, p: _ts_solve(t, xs[1], p), _ts_jvp_a),
      saved=("1r", "1r"),
      formula=("d X/dB = op(A)^-T G", "d X/dA = -tri(op(A)^-T G X^T)"),
      symbol="triangular_solve", dtype_rule=SAME)
# (its second output, cloned_coefficient: A's copy over the batch, whose
# gradient goes to the whole of A)
defop("triangular_solve_clone", "TriangularSolveBackward0",
      lapack_result(lambda xs, p: np.broadcast_to(xs[0], tuple(p["batch"]) + xs[0].shape[-2:])),
      vjp=(lambda g, ans, xs, p: unbroadcast(g, xs[0].shape),),
      jvp=(lambda t, ans, xs, p: np.broadcast_to(t, ans.shape),),
      formula=("d copy(A)/dA = G",), symbol="triangular_solve", dtype_rule=SAME)
