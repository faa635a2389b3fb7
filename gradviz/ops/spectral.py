"""torch.linalg's orthogonal factorizations: qr, eigh, svd (and from it
pinv and lstsq). One node per output, under PyTorch's one name (see
ops/decomp.py); the leading dims of the input are a batch.

Eigenvectors and singular vectors are unique only up to their signs, and
the signs are what the LAPACK routine's algorithm leaves: numpy's LAPACK
makes PyTorch's (MKL's) choice except where ops/eigh_signs.py (eigh's
vectors from 3 x 3 to 25 x 25), ops/svd_paths.py (some SVD shapes) and
ops/svd_float32.py (small float32 ones, in float32) run MKL's path
instead. A float32 matrix can still differ where MKL's float32 rounding
tips a sign.
"""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError, RUNTIME
from .decomp import LINALG_ERROR, _t, column_major, lapack_result
from .registry import SAME, defop, output_grads, unbroadcast
from .eigh_signs import SMLSIZ, mkl_eigenvectors
from .svd_float32 import float32_vectors, runs_in_float32
from .svd_paths import mkl_path_svd, takes_other_path


def _matrix_output(matrices: bool, forward):
    """forward of one output of a decomposition: matrices (U, Vh, the
    eigenvectors) column-major as LAPACK leaves them, values (S, the
    eigenvalues) as they are."""
    return lapack_result(forward) if matrices else forward


def _refuse(message: str, hint: str):
    def rule(*_):
        raise GradvizError(message, kind=RUNTIME, hint=hint)
    return rule


def _off_diagonal_inverse(e: np.ndarray) -> np.ndarray:
    """1 / e off the diagonal, 0 on it (e is a difference of eigenvalues)."""
    n = e.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 1.0 / e
    out[..., np.arange(n), np.arange(n)] = 0
    return out


# ---- qr --------------------------------------------------------------------

def _qr(a, mode):
    """(Q, R); with mode='r' Q is an empty tensor, as PyTorch's."""
    if mode == "r":
        return np.zeros((0,), a.dtype), np.linalg.qr(a, mode="r")
    return np.linalg.qr(a, mode=mode)


def _copyltu(m):
    return np.tril(m) + _t(np.tril(m, -1))


def _qr_backward(gq, gr, q, r):
    """The gradient of A = QR (Q m x k, R k x n) for given gQ, gR."""
    m, n = q.shape[-2], r.shape[-1]
    if m >= n:
        big = r @ _t(gr) - _t(gq) @ q
        b = gq + q @ _copyltu(big)
        return _t(np.linalg.solve(r, _t(b)))           # b R^-T
    # A = [X | Y] with X square: R = [U | Q^T Y]
    y, gv = (q @ r)[..., m:], gr[..., m:]
    gx = _qr_backward(gq + y @ _t(gv), gr[..., :m], q, r[..., :m])
    return np.concatenate([gx, q @ gv], axis=-1)


def _qr_vjp(which):
    def rule(g, ans, xs, p):
        a = xs[0]
        if p["mode"] == "r":
            raise GradvizError(
                "The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                "Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                "through linalg.qr.", kind=RUNTIME, hint="use mode='reduced' to differentiate")
        if p["mode"] == "complete" and a.shape[-2] > a.shape[-1]:
            raise GradvizError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.", kind=RUNTIME,
                               hint="use mode='reduced' to differentiate")
        q, r = _qr(a, p["mode"])
        zeros = np.zeros_like
        return _qr_backward(g if which == 0 else zeros(q), g if which == 1 else zeros(r), q, r)
    return rule


def _qr_tangents(t, q, r):
    """(dQ, dR) of A = QR for the tangent dA = t."""
    m, n = q.shape[-2], r.shape[-1]
    if m < n:          # A = [X | Y], X square: R = [U | Q^T Y]
        y = (q @ r)[..., m:]
        dq, du = _qr_tangents(t[..., :m], q, r[..., :m])
        return dq, np.concatenate([du, _t(dq) @ y + _t(q) @ t[..., m:]], axis=-1)
    r_inv = np.linalg.inv(r)
    x = _t(q) @ t @ r_inv                                    # Q^T dA R^-1
    omega = np.tril(x, -1) - _t(np.tril(x, -1))
    return q @ omega + t @ r_inv - q @ x, (x - omega) @ r


def _qr_jvp(which):
    def rule(t, ans, xs, p):
        a = xs[0]
        if p["mode"] == "r" or (p["mode"] == "complete" and a.shape[-2] > a.shape[-1]):
            raise GradvizError("The QR decomposition is not differentiable when mode='complete' "
                               "and nrows > ncols.", kind=RUNTIME,
                               hint="use mode='reduced' to differentiate")
        return _qr_tangents(t, *_qr(a, p["mode"]))[which]
    return rule


def _qr_joint(outs, xs, p):
    gq, gr = output_grads(outs, 2)
    if gq is None:                    # (check the mode as for Q's gradient)
        return (_qr_vjp(1)(gr, None, xs, p),)
    if gr is None:
        return (_qr_vjp(0)(gq, None, xs, p),)
    return (_qr_backward(gq, gr, *_qr(xs[0], p["mode"])),)


for _i, _name in enumerate(("qr_q", "qr_r")):
    defop(_name, "LinalgQrBackward0", lapack_result(lambda xs, p, i=_i: _qr(xs[0], p["mode"])[i]),
          vjp=(_qr_vjp(_i),), jvp=(_qr_jvp(_i),), saved=("r",), joint=_qr_joint,
          formula=("d qr(A)/dA = (gQ + Q copyltu(R gR^T - gQ^T Q)) R^-T",),
          symbol="linalg.qr", dtype_rule=SAME)


# ---- eigh ------------------------------------------------------------------

def _eigh(xs, p, vectors_signed=True):
    """(eigenvalues, eigenvectors); vectors_signed: the eigenvectors with
    the signs PyTorch's LAPACK gives them (ops/eigh_signs.py), not needed
    where only the eigenvalues and their gradient are used."""
    a = xs[0]
    try:
        w, v = np.linalg.eigh(a, UPLO=p.get("UPLO", "L"))
    except np.linalg.LinAlgError:       # (NaN or inf in the matrix)
        raise GradvizError("linalg.eigh: The algorithm failed to converge because the input "
                           "matrix is ill-conditioned or has too many repeated eigenvalues.",
                           kind=LINALG_ERROR,
                           hint="eigh needs finite numbers: look for the NaN or inf in the "
                                "matrix (torch.isfinite(A).all())") from None
    if vectors_signed and a.size and 3 <= a.shape[-1] <= SMLSIZ:
        v = mkl_eigenvectors(a, p.get("UPLO", "L") == "U")
    return w, v


def _eigh_vjp(which):
    # PyTorch's formula (linalg_eig_backward, Hermitian): V (diag(gL) +
    # skew(V^T gV) / E) V^T, E_ij = L_j - L_i
    def rule(g, ans, xs, p):
        w, v = _eigh(xs, p, vectors_signed=which == 1)
        if which == 0:
            inner = np.zeros(v.shape, v.dtype)
            idx = np.arange(w.shape[-1])
            inner[..., idx, idx] = g
        else:
            vg = _t(v) @ g
            inner = 0.5 * (vg - _t(vg)) * _off_diagonal_inverse(w[..., None, :] - w[..., :, None])
        return v @ inner @ _t(v)
    return rule


def _eigh_jvp(which):
    def rule(t, ans, xs, p):
        w, v = _eigh(xs, p, vectors_signed=which == 1)
        inner = _t(v) @ t @ v
        if which == 0:
            return np.diagonal(inner, axis1=-2, axis2=-1).copy()
        return v @ (inner * _off_diagonal_inverse(w[..., None, :] - w[..., :, None]))
    return rule


def eigh_backward(gl, gv, w, v):
    """PyTorch's linalg_eig_backward for a symmetric matrix, in its order:
    V (gA V^T), gA = skew(V^T gV) / E with gL on its diagonal, E_ij = L_j -
    L_i; (V * gL) V^T when only the eigenvalues have a gradient."""
    if gv is None:
        return (v * gl[..., None, :]) @ _t(v)
    vhgv = _t(v) @ gv
    vhgv = 0.5 * (vhgv - _t(vhgv))
    e = w[..., None, :] - w[..., :, None]
    idx = np.arange(w.shape[-1])
    e[..., idx, idx] = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        ga = vhgv / e
    if gl is not None:
        ga[..., idx, idx] = gl
    return v @ (ga @ _t(v))


def _eigh_joint(outs, xs, p):
    gl, gv = output_grads(outs, 2)
    return (eigh_backward(gl, gv, *_eigh(xs, p, vectors_signed=gv is not None)),)


for _i, _name in enumerate(("eigh_values", "eigh_vectors")):
    defop(_name, "LinalgEighBackward0", _matrix_output(_i == 1, lambda xs, p, i=_i: _eigh(xs, p, i == 1)[i]),
          vjp=(_eigh_vjp(_i),), jvp=(_eigh_jvp(_i),), saved=("r",), joint=_eigh_joint,
          formula=("d eigh(A)/dA = V (diag(gL) + skew(V^T gV) / (L_j - L_i)) V^T",),
          symbol="linalg.eigh", dtype_rule=SAME)


# ---- svd -------------------------------------------------------------------

# how far above double precision's rounding a singular value of a float32
# matrix must be not to be the rounding left of a zero one (see _float32_zeros)
_ZERO_SLACK = 8


def _float32_zeros(s: np.ndarray, shape: tuple) -> np.ndarray:
    """s with a float32 matrix's zero singular values made 0: numpy's SVD
    runs in double precision, where a rank-deficient matrix (torch.ones(2,
    3)) keeps singular values like 1e-16, its rounding; PyTorch's float32
    SVD has none that small, and gives 0 (so that cond is inf) for these
    matrices. (Where float32's own rounding leaves PyTorch a value near
    1e-7 instead, that value cannot be foretold: gradviz's 0 differs.)"""
    if s.dtype != np.float32 or not s.size:
        return s
    zero = s.max(axis=-1, keepdims=True) * (_ZERO_SLACK * max(shape[-2:]) *
                                             np.finfo(np.float64).eps)
    return np.where(s <= zero, np.float32(0), s)


def np_svd(a, **options):
    """numpy's SVD, with PyTorch's error where LAPACK does not converge (a
    matrix with NaN or inf), and a float32 matrix's zero singular values 0
    (_float32_zeros)."""
    try:
        out = np.linalg.svd(a, **options)
    except np.linalg.LinAlgError:
        why = "contained non-finite values" if not np.isfinite(a).all() else \
            "is ill-conditioned or has too many repeated singular values"
        raise GradvizError(f"linalg.svd: The algorithm failed to converge because the input "
                           f"matrix {why}.", kind=LINALG_ERROR,
                           hint="the SVD needs finite numbers: look for the NaN or inf in "
                                "the matrix (torch.isfinite(A).all())") from None
    if options.get("compute_uv", True):
        u, s, vh = out
        if a.size and takes_other_path(*a.shape[-2:]):
            # (the signs of the vectors PyTorch's LAPACK gives: ops/svd_paths.py)
            u, s, vh = mkl_path_svd(a, options.get("full_matrices", True))
        elif a.size and runs_in_float32(a):
            # (a float32 matrix's vectors as MKL computes them: ops/svd_float32.py)
            u, vh = float32_vectors(a, u, s, vh, options.get("full_matrices", True))
        return u, _float32_zeros(s, a.shape), vh
    return _float32_zeros(out, a.shape)


def _svd(a, full):
    return np_svd(a, full_matrices=full)


def svd_backward(gu, gs, gvh, u, s, vh):
    """PyTorch's svd_backward, in its order: the gradient of A = U diag(S) Vh
    (reduced: k = min(m, n)) from gU, gS, gVh (None: none came)."""
    m, n = u.shape[-2], vh.shape[-1]
    if gu is None and gvh is None:
        return u @ (gs[..., :, None] * vh) if m >= n else (u * gs[..., None, :]) @ vh
    sq = s * s
    e = sq[..., None, :] - sq[..., :, None]          # s_j^2 - s_i^2
    idx = np.arange(s.shape[-1])
    e[..., idx, idx] = 1
    with np.errstate(divide="ignore", invalid="ignore"):
        if gu is not None and gvh is not None:
            ga = (_skew(_t(u) @ gu) * s[..., None, :] + s[..., :, None] * _skew(vh @ _t(gvh))) / e
        elif gu is not None:
            ga = _skew(_t(u) @ gu) * s[..., None, :] / e
        else:
            ga = s[..., :, None] * _skew(vh @ _t(gvh)) / e
        if gs is not None:
            ga[..., idx, idx] += gs
        if m > n and gu is not None:
            ga = u @ ga
            gu_sinv = gu / s[..., None, :]
            ga = (ga + gu_sinv - u @ (_t(u) @ gu_sinv)) @ vh
        elif m < n and gvh is not None:
            ga = ga @ vh
            sinv_gvh = gvh / s[..., :, None]
            ga = u @ (ga + sinv_gvh - (sinv_gvh @ _t(vh)) @ vh)
        else:
            ga = u @ (ga @ vh) if m >= n else (u @ ga) @ vh
    return ga


def _skew(a):
    return a - _t(a)


def _svd_grads(grads, a, p):
    """A's gradient from those of (U, S, Vh): PyTorch's LinalgSvdBackward0,
    which with full_matrices=True keeps the first k columns of U (rows of
    Vh) and their gradients, k = min(m, n)."""
    gu, gs, gvh = grads
    u, s, vh = _svd(a, False)
    if p.get("full_matrices"):
        k = s.shape[-1]
        gu = None if gu is None else gu[..., :k]
        gvh = None if gvh is None else gvh[..., :k, :]
    return svd_backward(gu, gs, gvh, u, s, vh)


def _svd_vjp(which):
    def rule(g, ans, xs, p):
        return _svd_grads([g if i == which else None for i in range(3)], xs[0], p)
    return rule


def _svd_joint(outs, xs, p):
    return (_svd_grads(output_grads(outs, 3), xs[0], p),)


def _svd_jvp(which):
    def rule(t, ans, xs, p):
        out = _reduced_svd_jvp(which, t, xs)
        if which == 1 or out.shape == ans.shape:
            return out
        # full_matrices=True of a non-square A: PyTorch's linalg_svd_jvp pads
        # U's tangent with zero columns, Vh's with zero rows
        pad = np.zeros(ans.shape, ans.dtype)
        pad[..., :out.shape[-2], :out.shape[-1]] = out
        return pad
    return rule


def _reduced_svd_jvp(which, t, xs):
    """The tangent of output `which` of the reduced SVD of xs[0] for dA = t."""
    u, s, vh = _svd(xs[0], False)
    v = _t(vh)
    dp = _t(u) @ t @ v
    if which == 1:
        return np.diagonal(dp, axis1=-2, axis2=-1).copy()
    sq = s * s
    f = _off_diagonal_inverse(sq[..., None, :] - sq[..., :, None])
    # the part outside U's (V's) span is there only when U (V) has more
    # rows than columns, as in PyTorch's (square: none, and no division
    # by a zero singular value)
    m, n = t.shape[-2:]
    if which == 0:
        du = u @ (f * (dp * s[..., None, :] + s[..., :, None] * _t(dp)))
        return du + (t @ v - u @ dp) / s[..., None, :] if m > n else du
    dv = v @ (f * (s[..., :, None] * dp + _t(dp) * s[..., None, :]))
    return _t(dv + (_t(t) @ u - v @ _t(dp)) / s[..., None, :] if n > m else dv)


for _i, _name in enumerate(("svd_u", "svd_s", "svd_vh")):
    defop(_name, "LinalgSvdBackward0",
          _matrix_output(_i != 1, lambda xs, p, i=_i: _svd(xs[0], p.get("full_matrices", False)
                                                           and i != 1)[i]),
          vjp=(_svd_vjp(_i),), jvp=(_svd_jvp(_i),), saved=("r",), joint=_svd_joint,
          formula=("d svd(A)/dA = U (diag(gS) + sym(F o U^T gU) S + S sym(F o V^T gV)) Vh + ...",),
          symbol="linalg.svd", dtype_rule=SAME)


# ---- pinv, lstsq -----------------------------------------------------------

def pinv(a, atol=None, rtol=None):
    """PyTorch's pinv: through the SVD, singular values at most
    max(atol, rtol * largest) counted as 0 (rtol eps * max(m, n) unless atol
    is given)."""
    u, s, vh = np_svd(a, full_matrices=False)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if not atol else 0.0
    top = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    tol = np.maximum(atol or 0.0, rtol * top)
    with np.errstate(divide="ignore"):
        s_inv = np.where(s > tol, 1 / s, 0).astype(a.dtype)
    return (_t(vh) * s_inv[..., None, :]) @ _t(u)


def pinv_vjp(g, p_, a):
    """The gradient of pinv(A) = P, PyTorch's formula (pinv_backward) in its
    order: -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), with
    the products of the smaller size."""
    pt, gt = _t(p_), _t(g)
    if a.shape[-2] <= a.shape[-1]:
        k = gt @ p_
        k_pt = k @ pt
        return -_t(p_ @ k) + k_pt - (a @ p_) @ k_pt + (pt @ p_) @ (gt - k @ a)
    k = p_ @ gt
    pt_k = pt @ k
    return -_t(k @ p_) + pt_k - (pt_k @ p_) @ a + (gt - a @ k) @ p_ @ pt


def pinv_jvp(t, p_, a):
    pt = _t(p_)
    out = -p_ @ t @ p_
    out = out + p_ @ pt @ _t(t) @ (np.eye(a.shape[-2], dtype=a.dtype) - a @ p_)
    return out + (np.eye(a.shape[-1], dtype=a.dtype) - p_ @ a) @ _t(t) @ pt @ p_


defop("linalg_pinv", "LinalgPinvBackward0", lambda xs, p: pinv(xs[0], p.get("atol"), p.get("rtol")),
      vjp=(lambda g, ans, xs, p: pinv_vjp(g, ans, xs[0]),),
      jvp=(lambda t, ans, xs, p: pinv_jvp(t, ans, xs[0]),),
      saved=("0r",), formula=("d pinv(A)/dA = -P^T G P^T + (I - AP) G^T P P^T + P^T P G^T (I - PA)",),
      symbol="linalg.pinv", dtype_rule=SAME)


def _as_matrix(b, p):
    return b[..., None] if p.get("vector") else b


def _lstsq(xs, p):
    a, b = xs
    x = pinv(a, rtol=p.get("rcond")) @ _as_matrix(b, p)
    return _in_gels_buffer(x[..., 0] if p.get("vector") else x, a.shape[-2], p.get("vector"))


def _in_gels_buffer(x, m: int, vector: bool):
    """x, the solution for an A of m rows, as PyTorch's lstsq returns it:
    the first n rows of the buffer of max(m, n) rows LAPACK solved in,
    column-major (a batch of vectors: one after the other)."""
    n = x.shape[-1] if vector else x.shape[-2]
    rows = max(m, n)
    if vector:
        buf = np.zeros(x.shape[:-1] + (rows,), x.dtype)
        buf[..., :n] = x
        return buf[..., :n]
    buf = column_major(np.zeros(x.shape[:-2] + (rows, x.shape[-1]), x.dtype))
    buf[..., :n, :] = x
    return buf[..., :n, :]


# The solution's derivatives (PyTorch's linalg_lstsq_backward and
# linalg_lstsq_solution_jvp) go through pinv(A) with pinv's own default
# tolerance: rcond cuts the singular values of the solution, not of its
# derivative.

def _lstsq_da(g, ans, xs, p):
    a, b = xs
    gm, bm = _as_matrix(g, p), _as_matrix(b, p)
    return unbroadcast(pinv_vjp(gm @ _t(bm), pinv(a), a), a.shape)


def _lstsq_db(g, ans, xs, p):
    a, b = xs
    gb = _t(pinv(a)) @ _as_matrix(g, p)
    return unbroadcast(gb[..., 0] if p.get("vector") else gb, b.shape)


def _lstsq_jvp_a(t, ans, xs, p):
    a, b = xs
    x = pinv_jvp(t, pinv(a), a) @ _as_matrix(b, p)
    return x[..., 0] if p.get("vector") else x


def _lstsq_jvp_b(t, ans, xs, p):
    x = pinv(xs[0]) @ _as_matrix(t, p)
    return x[..., 0] if p.get("vector") else x


defop("lstsq_solution", "LinalgLstsqBackward0", _lstsq, vjp=(_lstsq_da, _lstsq_db),
      jvp=(_lstsq_jvp_a, _lstsq_jvp_b), saved=("01", "01"),
      formula=("d lstsq(A,B)/dA = pinv's gradient for G B^T", "d lstsq(A,B)/dB = pinv(A)^T G"),
      symbol="linalg.lstsq", dtype_rule=SAME)


def _misfit(xs, p):
    """A X - B of the least-squares solution X (B as a matrix)."""
    a, b = xs
    x = pinv(a, rtol=p.get("rcond")) @ _as_matrix(b, p)
    return a @ x - _as_matrix(b, p), x


def _residuals(xs, p):
    """The squared residuals ||A x_j - b_j||^2 of each column, where PyTorch
    computes them (p["computed"]: a tall A, a driver other than gelsy, and
    for gelsd/gelss every matrix of full rank); else an empty tensor."""
    if not p.get("computed"):
        return np.zeros((0,), xs[0].dtype)
    r = _misfit(xs, p)[0]
    return (r * r).sum(-2)


def _residuals_vjp(i):
    # at the least-squares solution the residual is flat in X: dA = 2 R X^T,
    # dB = -2 R (R = A X - B), each column scaled by its gradient
    def rule(g, ans, xs, p):
        if not p.get("computed"):
            return None     # (PyTorch's empty residuals send no gradient: A.grad stays None)
        r, x = _misfit(xs, p)
        gr = 2 * r * g[..., None, :]
        if i == 0:
            return unbroadcast(gr @ _t(x), xs[0].shape)
        gb = -gr[..., 0] if p.get("vector") else -gr
        return unbroadcast(gb, xs[1].shape)
    return rule


def _residuals_jvp(i):
    def rule(t, ans, xs, p):
        if not p.get("computed"):
            return np.zeros_like(ans)
        r, x = _misfit(xs, p)
        dr = t @ x if i == 0 else -_as_matrix(t, p)
        return 2 * (r * dr).sum(-2)
    return rule


# recorded under the solution's node, as PyTorch does
defop("lstsq_residuals", "LinalgLstsqBackward0", _residuals,
      vjp=(_residuals_vjp(0), _residuals_vjp(1)), jvp=(_residuals_jvp(0), _residuals_jvp(1)),
      saved=("01", "01"),
      formula=("d residuals/dA = 2 (AX - B) X^T", "d residuals/dB = -2 (AX - B)"),
      symbol="linalg.lstsq", dtype_rule=SAME)
