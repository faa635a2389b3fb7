"""torch.svd_lowrank and torch.pca_lowrank: PyTorch's Python functions
(torch._lowrank, Halko et al.'s randomized range finder), composed of the
same ops in the same order, so that they draw torch's random numbers, make
its graph (the gradient flows through its matmuls, QRs and SVD) and give
its values."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError


def _call(rt, name: str, *args, **kw):
    return F.FUNCTIONS[name](rt, *args, **kw)


def _mh(rt, t):
    """t.mH of a real tensor: its last two dims swapped (TransposeBackward0)."""
    return _call(rt, "transpose", t, -2, -1)


def _qr_q(rt, x):
    return F.LINALG["qr"](rt, x).items[0]


def _minus(rt, x, m, r):
    """x - m @ r, or x without an M."""
    return x if m is None else _call(rt, "sub", x, _call(rt, "matmul", m, r))


def _approximate_basis(rt, A, q: int, niter: int, M):
    """get_approximate_basis: Q of q orthonormal columns with Q Q^T A near
    A, from a random start refined by niter subspace iterations."""
    dtype = F.DTYPE_OBJECTS.get(A.dtype_name if A.data.dtype.kind == "f" else "float32")
    R = _call(rt, "randn", A.data.shape[-1], q, dtype=dtype)
    Q = _qr_q(rt, _minus(rt, _call(rt, "matmul", A, R), M, R))
    for _ in range(niter):
        Ah, Mh = _mh(rt, A), None if M is None else _mh(rt, M)
        Q = _qr_q(rt, _minus(rt, _call(rt, "matmul", Ah, Q), Mh, Q))
        Q = _qr_q(rt, _minus(rt, _call(rt, "matmul", A, Q), M, Q))
    return Q


def _svd_lowrank(rt, A, q, niter, M):
    """torch._lowrank._svd_lowrank: (U, S, V) of A - M, A taken tall."""
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.data.shape[-2:]
    if M is not None:
        M = _call(rt, "broadcast_to", M, A.data.shape)
    if m < n:
        A = _mh(rt, A)
        M = None if M is None else _mh(rt, M)
    Q = _approximate_basis(rt, A, q, niter, M)
    Qh = _mh(rt, Q)
    B = _call(rt, "matmul", Qh, A)
    if M is not None:
        B = _call(rt, "sub", B, _call(rt, "matmul", Qh, M))
    U, S, Vh = F.LINALG["svd"](rt, B, full_matrices=False).items
    V = _mh(rt, Vh)
    U = _call(rt, "matmul", Q, U)
    return (V, S, U) if m < n else (U, S, V)


def f_svd_lowrank(rt, A, q=6, niter=2, M=None):
    """torch.svd_lowrank(A, q=6, niter=2, M=None): (U, S, V), A - M ~ U diag(S) V^T."""
    A = F._need_tensor(A, "svd_lowrank")
    return _svd_lowrank(rt, A, q, niter, M)


def f_pca_lowrank(rt, A, q=None, center=True, niter=2):
    """torch.pca_lowrank(A, q=None, center=True, niter=2): svd_lowrank of A
    less its column means (center), q = min(6, m, n) by default."""
    A = F._need_tensor(A, "pca_lowrank")
    m, n = A.data.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not 0 <= q <= min(m, n):
        raise GradvizError(f"q(={q}) must be non-negative integer and not greater than "
                           f"min(m, n)={min(m, n)}", kind="ValueError",
                           hint=f"q is at most the smaller side of the matrix, {min(m, n)}")
    if not niter >= 0:
        raise GradvizError(f"niter(={niter}) must be non-negative integer", kind="ValueError",
                           hint="niter counts the subspace iterations: 0 or more")
    if center:
        A = _call(rt, "sub", A, _call(rt, "mean", A, dim=(-2,), keepdim=True))
    return _svd_lowrank(rt, A, q, niter, None)


FUNCTIONS = {"svd_lowrank": f_svd_lowrank, "pca_lowrank": f_pca_lowrank}
