"""torch.linalg's factorizations and solvers: inv, det, slogdet, solve,
cholesky, qr, eigh, svd, pinv, lstsq. Each works on the last two dims
(leading dims are a batch).

PyTorch shows one node for a decomposition with several outputs (eigh's
eigenvalues and eigenvectors share LinalgEighBackward0); here each output
is its own node under that name, with the VJP of its output alone, and the
op's joint rule (OpDef.joint), which the reverse pass calls once with all
the outputs' gradients, as PyTorch's node computes its one gradient.

numpy's LAPACK is not PyTorch's: float32 results may differ from PyTorch's
in the last bit. det and slogdet use an LU factorization of their own (as
PyTorch's do: numpy's det goes through a logarithm).
"""
from __future__ import annotations

import numpy as np

from ..capability import AVX512, cpu_kind
from ..errors import GradvizError
from .registry import SAME, defop, output_grads, unbroadcast
from .summation import torch_sum

LINALG_ERROR = "_LinAlgError"     # PyTorch's exception for a singular matrix


def _t(x):
    return np.swapaxes(x, -1, -2)


def column_major(x: np.ndarray) -> np.ndarray:
    """x laid out as LAPACK leaves PyTorch's results: each matrix column by
    column, the batch outermost (strides (n*m, 1, n)), so that their
    stride(), is_contiguous() and a reshape's grad_fn are PyTorch's."""
    return _t(np.ascontiguousarray(_t(x)))


def lapack_result(forward):
    """forward with its matrices laid out column-major (column_major), as
    the LAPACK kernels PyTorch runs leave its results (cholesky, qr, eigh's
    vectors, svd's U and Vh, the triangular solves): a 1-d result, an empty
    one or a vector's, stays as it is."""
    def run(xs, p):
        out = forward(xs, p)
        return column_major(out) if out.ndim >= 2 else out
    return run


def _eye_like(a):
    return np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)


# MKL's LU (PyTorch's) scales a column by the pivot's reciprocal, but for
# the next-to-last column of a matrix of up to this size, which it divides
LU_DIVIDES_UP_TO = 4


def _update(rest, column, row):
    """rest - column * row, LU's update of the rows below a pivot: MKL's is a
    fused multiply-add (one rounding, float32 through float64, where the
    product is exact) on AVX512 CPUs; on AVX2 ones it rounds the product
    first (each matched against PyTorch's LU and det on random float32
    matrices)."""
    if rest.dtype == np.float32 and cpu_kind() == AVX512:
        return (rest.astype(np.float64) - column.astype(np.float64) * row).astype(np.float32)
    return rest - column * row


def _first_largest(col: np.ndarray) -> np.ndarray:
    """The place of the first largest |value| down a column, as LAPACK's
    i?amax finds it: a NaN is never larger than what came before it (but a
    NaN at the top stays chosen)."""
    mags = np.abs(col)
    nan = np.isnan(mags)
    mags[..., 1:][nan[..., 1:]] = -1
    mags[..., 0][nan[..., 0]] = np.inf
    return np.argmax(mags, axis=-1)


def lu(a: np.ndarray):
    """LU with partial pivoting (LAPACK's getrf) over a batch of m x n
    matrices, in the order of PyTorch's (MKL's) operations, matched to the
    bit on random float32 matrices: (lu, the permutation's sign, the 1-based
    place of the first zero pivot of each matrix or 0, the row order: lu = L
    U of a[..., rows, :], LAPACK's pivots: 1-based, row k swapped with
    row pivots[k] - 1)."""
    lu = np.array(a, copy=True)
    m, n = a.shape[-2:]
    sign = np.ones(a.shape[:-2], a.dtype)
    zero_at = np.zeros(a.shape[:-2], np.int64)
    rows = np.broadcast_to(np.arange(m), lu.shape[:-1]).copy()
    pivots = np.zeros(a.shape[:-2] + (min(m, n),), np.int32)
    for k in range(min(m, n)):
        p = k + _first_largest(lu[..., k:, k])
        pivots[..., k] = p + 1
        swap = p != k
        if np.any(swap):
            perm = np.broadcast_to(np.arange(m), lu.shape[:-1]).copy()
            perm[..., k] = p
            np.put_along_axis(perm, p[..., None], k, axis=-1)
            lu = np.take_along_axis(lu, perm[..., None], axis=-2)
            rows = np.take_along_axis(rows, perm, axis=-1)
            sign = np.where(swap, -sign, sign)
        pivot = lu[..., k, k]
        zero = pivot == 0
        zero_at = np.where(zero & (zero_at == 0), k + 1, zero_at)
        # (a zero pivot leaves its column unscaled, as LAPACK does)
        pivot = np.where(zero, 1, pivot)[..., None]
        if k == n - 2 and m == n and n <= LU_DIVIDES_UP_TO:
            lu[..., k + 1:, k] /= pivot
        else:
            lu[..., k + 1:, k] *= 1 / pivot
        lu[..., k + 1:, k + 1:] = _update(lu[..., k + 1:, k + 1:], lu[..., k + 1:, k:k + 1],
                                          lu[..., k:k + 1, k + 1:])
    return lu, sign, zero_at, rows, pivots


def singular_error(fname: str, zero_at: np.ndarray, how: str) -> GradvizError:
    """PyTorch's error for the first singular matrix of a batch."""
    flat = zero_at.reshape(-1)
    first = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {first}): " if zero_at.ndim else ""
    if how == "solve":
        msg = f"torch.{fname}: {where}The solver failed because the input matrix is singular."
    else:
        msg = (f"{fname}: {where}The diagonal element {flat[first]} is zero, the inversion "
               "could not be completed because the input matrix is singular.")
    return GradvizError(msg, kind=LINALG_ERROR,
                        hint="the matrix has no inverse (its determinant is 0); "
                             "torch.linalg.pinv or torch.linalg.lstsq work without one")


# ---- inv ---------------------------------------------------------------------

def _inv(xs, p):
    a = xs[0]
    with np.errstate(all="ignore"):
        try:
            return column_major(np.linalg.inv(a))
        except np.linalg.LinAlgError:
            if p.get("ex"):
                return column_major(_singular_solve(a, _eye_like(a)))
            raise singular_error(p.get("fname", "linalg.inv"), lu(a)[2], "inv") from None


def _singular_solve(a, b):
    """A^-1 B for a batch with a singular matrix, as inv_ex and solve_ex
    give it (no error): the LU solve of each singular matrix, its zero
    pivot dividing into infinities, numpy's solve of the others."""
    from .lu import lu_solve         # (ops/lu.py imports this module)
    factors, _, zero_at, _, pivots = lu(a)
    singular = (zero_at > 0)[..., None, None]
    safe = np.where(singular, _eye_like(a), a)
    return np.where(singular, lu_solve(factors, pivots, b), np.linalg.solve(safe, b))


# NOTE: PyTorch computes inv as a solve against the identity (LU, as numpy)
defop("linalg_inv", "LinalgInvExBackward0", _inv,
      vjp=(lambda g, ans, xs, p: -_t(ans) @ g @ _t(ans),),
      jvp=(lambda t, ans, xs, p: -ans @ t @ ans,),
      saved=("r",), formula=("d inv(A)/dA = -inv(A)^T G inv(A)^T",), symbol="linalg.inv",
      dtype_rule=SAME)


# ---- det, slogdet ------------------------------------------------------------

def _det(a):
    # NOTE: PyTorch factors A^T (det(A^T) = det(A)): that is the LU whose
    # rounding it shows
    factors, sign = lu(_t(a))[:2]
    diag = np.diagonal(factors, axis1=-2, axis2=-1)
    out = sign
    for k in range(diag.shape[-1]):        # PyTorch's prod: one factor after another
        out = out * diag[..., k]
    return np.asarray(out, a.dtype)


class GradModePasses:
    """How many torch.func transforms are running: PyTorch runs their
    backward passes with grad mode on, where det's gradient takes its
    formula for higher derivatives (func_transforms counts them)."""
    depth = 0


def _det_vjp(g, ans, xs, p):
    """PyTorch's: A^T X = diag(g det) solved with the LU of A^T, which for a
    singular matrix (det 0: a right-hand side of zeros, which the triangular
    solves leave alone) is just its rows in the LU's order: zeros. With
    grad mode on (torch.func) the matrices with |det| < 100 eps take the
    cofactor matrix through the SVD instead."""
    a = xs[0]
    rhs = np.zeros(a.shape, a.dtype)
    n = a.shape[-1]
    rhs[..., np.arange(n), np.arange(n)] = (np.asarray(g) * ans)[..., None]
    singular = ans == 0
    if GradModePasses.depth:
        singular = np.abs(ans) < 100 * np.finfo(a.dtype).eps
        if np.any(singular):
            out = _cofactors_by_svd(np.asarray(g, a.dtype), a)
            return out if np.all(singular) else _solved_where_not(singular, out, a, rhs)
    if not np.any(singular):
        return np.linalg.solve(_t(a), rhs)
    rows = lu(_t(a))[3]
    out = np.take_along_axis(rhs, rows[..., None], axis=-2)
    return out if np.all(singular) else _solved_where_not(singular, out, a, rhs)


def _solved_where_not(singular, out, a, rhs):
    """out for the singular matrices of the batch, A^T X = rhs solved for the others."""
    mask = singular[..., None, None]
    return np.where(mask, out, np.linalg.solve(_t(np.where(mask, _eye_like(a), a)), rhs))


def _cofactors_by_svd(g, a):
    """g alpha U diag(products of the other singular values) Vh, with
    alpha = det U det Vh: linalg_det_backward's singular branch (no
    inverse, so exact at a singular matrix)."""
    u, s, vh = np.linalg.svd(a)
    alpha = np.linalg.det(u) * np.linalg.det(vh)
    ones = np.ones(s.shape[:-1] + (1,), s.dtype)
    front = np.cumprod(np.concatenate([ones, s[..., :-1]], -1), -1)
    back = np.flip(np.cumprod(np.concatenate([ones, np.flip(s[..., 1:], -1)], -1), -1), -1)
    d = (g * alpha)[..., None] * front * back
    return ((u * d[..., None, :]) @ vh).astype(a.dtype)


def _det_jvp(t, ans, xs, p):
    """det(A) tr(A^-1 dA), PyTorch's: for an exactly singular matrix its
    LU's zero pivot made eps, times the determinant 0 (a signed zero)."""
    return ans * _trace_solve(xs[0], t, zero_pivot_eps=True)


def _trace_solve(a, t, zero_pivot_eps=False):
    """tr(A^-1 dA) of det's and slogdet's JVPs: numpy's solve for a matrix
    with no zero pivot; for one with, as PyTorch computes it from the LU
    its forward made (of A^T, solved with adjoint=True), whose zero pivot
    divides into infinities and NaNs, or with zero_pivot_eps (det's) is
    made eps first."""
    from .lu import lu_solve         # (ops/lu.py imports this module)
    factors, _, zero_at, _, pivots = lu(_t(a))
    singular = (zero_at > 0)[..., None, None]
    if not np.any(singular):
        return np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    if zero_pivot_eps:
        diag = np.diagonal(factors, axis1=-2, axis2=-1)
        eps = np.finfo(a.dtype).eps
        factors = factors + np.where(diag == 0, eps, 0)[..., None] * _eye_like(a)
    with np.errstate(all="ignore"):
        x = np.where(singular, lu_solve(factors, pivots, t, adjoint=True),
                     np.linalg.solve(np.where(singular, _eye_like(a), a), t))
    return np.trace(x, axis1=-2, axis2=-1)


defop("linalg_det", "LinalgDetBackward0", lambda xs, p: _det(xs[0]),
      vjp=(_det_vjp,),
      jvp=(_det_jvp,),
      saved=("0r",), formula=("d det(A)/dA = det(A) inv(A)^T",), symbol="linalg.det",
      dtype_rule=SAME)


def _slogdet(a):
    factors, sign = lu(_t(a))[:2]
    diag = np.diagonal(factors, axis1=-2, axis2=-1)
    with np.errstate(divide="ignore"):
        logs = np.log(np.abs(diag))
    sign = sign * np.prod(np.sign(diag), axis=-1)
    total = torch_sum(np.ascontiguousarray(logs), (logs.ndim - 1,))
    total = logs.sum(-1) if total is None else total.reshape(logs.shape[:-1])
    return np.asarray(sign, a.dtype), np.asarray(total, a.dtype)


def _inv_t(a):
    return _t(np.linalg.inv(a))


def _slogdet_logabsdet_vjp(g, ans, xs, p):
    return np.asarray(g)[..., None, None] * _inv_t(xs[0])


def _slogdet_joint(outs, xs, p):
    """A's gradient from the logabsdet's alone: PyTorch's slogdet_backward
    ignores a real sign's gradient, and sends none (A.grad stays None)
    where only the sign has one."""
    g = output_grads(outs, 2)[1]
    return (None if g is None else _slogdet_logabsdet_vjp(g, None, xs, p),)


defop("slogdet_sign", "LinalgSlogdetBackward0", lambda xs, p: _slogdet(xs[0])[0],
      vjp=(lambda g, ans, xs, p: np.zeros_like(xs[0]),), joint=_slogdet_joint,
      jvp=(lambda t, ans, xs, p: np.zeros_like(ans),),
      saved=("0",), formula=("d sign(det A)/dA = 0",), symbol="linalg.slogdet",
      dtype_rule=SAME)
defop("slogdet_logabsdet", "LinalgSlogdetBackward0", lambda xs, p: _slogdet(xs[0])[1],
      vjp=(_slogdet_logabsdet_vjp,), joint=_slogdet_joint,
      jvp=(lambda t, ans, xs, p: _trace_solve(xs[0], t),),
      saved=("0",), formula=("d log|det A|/dA = inv(A)^T",), symbol="linalg.slogdet",
      dtype_rule=SAME)


# ---- solve -------------------------------------------------------------------

def _solve_left(a, b, vector, ex=False):
    bm = b[..., None] if vector else b
    batch = np.broadcast_shapes(a.shape[:-2], bm.shape[:-2])
    with np.errstate(all="ignore"):
        try:
            x = np.linalg.solve(np.broadcast_to(a, batch + a.shape[-2:]),
                                np.broadcast_to(bm, batch + bm.shape[-2:]))
        except np.linalg.LinAlgError:
            if not ex:
                raise singular_error("linalg.solve", lu(a)[2], "solve") from None
            x = _singular_solve(np.broadcast_to(a, batch + a.shape[-2:]),
                                np.broadcast_to(bm, batch + bm.shape[-2:]))
    # (a matrix X as LAPACK leaves it; a batch of vectors as the columns of
    # one matrix, as PyTorch's are: (2, 4) of strides (1, 2))
    x = x[..., 0] if vector else x
    return column_major(x) if x.ndim >= 2 else x


def _solve(xs, p):
    """A X = B, or with left=False X A = B (A^T X^T = B^T); with ex (solve_ex)
    a singular A gives infinities, not an error."""
    a, b = xs
    ex = p.get("ex", False)
    if p.get("left", True):
        return _solve_left(a, b, p.get("vector", False), ex)
    return _t(_solve_left(_t(a), _t(b), False, ex))


def _outer_product(a, b):
    """a @ b; with an inner size of 1 an outer product, as PyTorch computes
    it (0 * -1 stays -0.)."""
    return a * b if a.shape[-1] == 1 else a @ b


def _solve_grads(g, ans, xs, p):
    """(gA, gB) of the left problem A X = B: gB = solve(A^T, G), gA = -gB X^T."""
    a, vector = xs[0], p.get("vector", False)
    gm = g[..., None] if vector else g
    gb = np.linalg.solve(np.broadcast_to(_t(a), gm.shape[:-2] + a.shape[-2:]), gm)
    x = ans[..., None] if vector else ans
    ga = -_outer_product(gb, _t(x))
    return ga, gb[..., 0] if vector else gb


def _solve_vjp(i):
    def rule(g, ans, xs, p):
        a, b = xs
        if p.get("left", True):
            grads = _solve_grads(g, ans, xs, p)
        else:        # the left problem of A^T, B^T, X^T; its gradients transposed back
            grads = tuple(_t(x) for x in _solve_grads(_t(g), _t(ans), [_t(a), _t(b)], {}))
        return unbroadcast(grads[i], xs[i].shape)
    return rule


def _solve_jvp_a(t, ans, xs, p):
    # d(A X) = dA X + A dX = 0 (left), X dA + dX A = 0 (right); PyTorch
    # solves for -dA X (its zero dB minus it), not the negated solution: its
    # signed zeros
    if p.get("left", True):
        tx = t @ ans if not p.get("vector") else (t @ ans[..., None])[..., 0]
    else:
        tx = ans @ t
    return _solve([xs[0], -tx], p)


defop("linalg_solve", "LinalgSolveExBackward0", _solve,
      vjp=(_solve_vjp(0), _solve_vjp(1)),
      jvp=(_solve_jvp_a, lambda t, ans, xs, p: _solve([xs[0], t], p)),
      saved=("0r", "0r"),
      formula=("d solve(A,B)/dA = -solve(A^T, G) X^T", "d solve(A,B)/dB = solve(A^T, G)"),
      symbol="linalg.solve", dtype_rule=SAME)


# ---- cholesky ----------------------------------------------------------------

def not_positive_definite(fname: str, a: np.ndarray) -> GradvizError:
    """PyTorch's error: the first matrix of the batch, and its first leading
    minor, that is not positive-definite."""
    flat = a.reshape(-1, *a.shape[-2:])
    for i, m in enumerate(flat):
        for k in range(1, len(m) + 1):
            try:
                # (LAPACK's potrf stops at a pivot that is not > 0, NaN included)
                with np.errstate(all="ignore"):
                    failed = np.isnan(np.linalg.cholesky(m[:k, :k])[k - 1, k - 1])
            except np.linalg.LinAlgError:
                failed = True
            if failed:
                where = f"(Batch element {i}): " if a.ndim > 2 else ""
                return GradvizError(
                    f"{fname}: {where}The factorization could not be completed because the "
                    f"input is not positive-definite (the leading minor of order {k} is not "
                    "positive-definite).", kind=LINALG_ERROR,
                    hint="cholesky needs a symmetric positive-definite matrix, such as "
                         "A @ A.T + eps * I")
    raise AssertionError("a positive-definite matrix")


def _cholesky(xs, p):
    a = xs[0]
    if p.get("ex"):                 # (cholesky_ex: LAPACK's partial factor, no error)
        low = partial_cholesky(a)[0]
        return _t(low).copy() if p.get("upper") else low
    try:
        low = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise not_positive_definite(p.get("fname", "linalg.cholesky"), a) from None
    if np.isnan(np.diagonal(low, axis1=-2, axis2=-1)).any():      # (a NaN pivot: PyTorch's error)
        raise not_positive_definite(p.get("fname", "linalg.cholesky"), a)
    return _t(low).copy() if p.get("upper") else low


def _potf2(m: np.ndarray):
    """LAPACK's unblocked Cholesky (potf2) of one matrix's lower triangle:
    (the factor, 0), or where a pivot is not positive (NaN included) the
    factor so far with that pivot's value in its place, the columns after
    it as A had them, and the pivot's 1-based place."""
    m = np.tril(m)
    for j in range(len(m)):
        pivot = m[j, j] - m[j, :j] @ m[j, :j]
        if not pivot > 0:
            m[j, j] = pivot
            return m, j + 1
        m[j, j] = np.sqrt(pivot)
        m[j + 1:, j] = (m[j + 1:, j] - m[j + 1:, :j] @ m[j, :j]) / m[j, j]
    return m, 0


def partial_cholesky(a: np.ndarray):
    """(L, info) of cholesky_ex over a batch: numpy's factor of each
    positive-definite matrix, LAPACK's partial one of the others (as
    PyTorch's linalg.cholesky_ex gives them, matched in float64)."""
    flat = np.array(a.reshape(-1, *a.shape[-2:]), copy=True)
    info = np.zeros(len(flat), np.int32)
    with np.errstate(all="ignore"):
        for k, m in enumerate(flat):
            try:
                low = np.linalg.cholesky(m)
            except np.linalg.LinAlgError:
                low = None
            if low is None or np.isnan(np.diagonal(low)).any():
                flat[k], info[k] = _potf2(m)
            else:
                flat[k] = low
    return flat.reshape(a.shape), info.reshape(a.shape[:-2])


def _solve_lower(low, b, left=True):
    """low^-1 b (left) or b low^-1."""
    if left:
        return np.linalg.solve(low, b)
    return _t(np.linalg.solve(_t(low), _t(b)))


def _cholesky_vjp(g, ans, xs, p):
    # PyTorch's formula (cholesky_backward): on L, with gL; symmetric in A
    low, gl = (_t(ans), _t(g)) if p.get("upper") else (ans, g)
    ga = np.tril(_t(low) @ gl)
    ga = 0.5 * (ga + _t(np.tril(ga, -1)))
    ga = _solve_lower(_t(low), ga)
    return _solve_lower(low, ga, left=False)


def _cholesky_jvp(t, ans, xs, p):
    low = _t(ans) if p.get("upper") else ans
    inner = _solve_lower(low, _t(_solve_lower(low, _t(t))))     # L^-1 dA L^-T
    phi = np.tril(inner, -1) + 0.5 * np.tril(np.triu(inner))
    dl = low @ phi
    return _t(dl) if p.get("upper") else dl


defop("linalg_cholesky",
      lambda t: "CholeskyBackward0" if t.params.get("old") else "LinalgCholeskyExBackward0",
      lapack_result(_cholesky), vjp=(_cholesky_vjp,), jvp=(_cholesky_jvp,), saved=("r",),
      formula=("d chol(A)/dA = L^-T Phi(L^T G) L^-1",), symbol="linalg.cholesky",
      dtype_rule=SAME)
