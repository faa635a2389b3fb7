"""Householder reflectors as LAPACK stores them: torch.geqrf (the QR
factorization as reflectors), torch.linalg.householder_product (orgqr: Q
from them) and torch.ormqr (Q or Q^T times a matrix).

geqrf's a holds R on and above its diagonal and below it the reflectors'
vectors: v_i is 1 at row i, a[i+1:, i] below it, 0 above; with tau_i,
H_i = I - tau_i v_i v_i^T and Q = H_1 H_2 ... H_k. Everything is computed
in double precision (numpy's geqrf is LAPACK's dgeqrf) and rounded to the
input's dtype: a float32 result can differ from PyTorch's float32 LAPACK in
its last bits, not in the digits it prints.
"""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .decomp import _t, column_major
from .registry import SAME, defop


# ---- geqrf -------------------------------------------------------------------

def geqrf(a: np.ndarray) -> tuple:
    """(a, tau) of LAPACK's geqrf (numpy's qr, mode='raw', is the
    transpose of its a)."""
    h, tau = np.linalg.qr(a.astype(np.float64), mode="raw")
    return column_major(_t(h).astype(a.dtype)), tau.astype(a.dtype)


def _no_derivative(*_):
    raise GradvizError("the derivative for 'geqrf' is not implemented.",
                       kind="NotImplementedError",
                       hint="PyTorch has no gradient of geqrf: differentiate through "
                            "torch.linalg.qr instead")


for _i, _name in enumerate(("geqrf_a", "geqrf_tau")):
    defop(_name, "GeqrfBackward0", lambda xs, p, i=_i: geqrf(xs[0])[i],
          vjp=(_no_derivative,), jvp=(_no_derivative,),
          formula=("no derivative (PyTorch's NotImplementedError)",), symbol="geqrf",
          saves=False, dtype_rule=SAME, no_derivative="geqrf")


# ---- the reflectors, applied one after the other ------------------------------

def _vector(a: np.ndarray, i: int) -> np.ndarray:
    """v_i (..., m): 1 at row i, a's column i below it."""
    v = np.zeros(a.shape[:-2] + a.shape[-2:-1], a.dtype)
    v[..., i] = 1
    v[..., i + 1:] = a[..., i + 1:, i]
    return v


def _reflect(v, t, x):
    """H x = x - t v (v^T x) for each matrix of the batch."""
    return x - t[..., None, None] * v[..., :, None] * (v[..., None, :] @ x)


def _chain(a, tau, order, x) -> list:
    """[H_order[0] ... H_order[-1] x, ..., H_order[-1] x, x]: the reflectors
    applied to x from the last of order to the first, each partial product."""
    out = [x]
    for i in reversed(order):
        out.append(_reflect(_vector(a, i), tau[..., i], out[-1]))
    return out[::-1]


def _chain_vjp(a, tau, order, x, g) -> tuple:
    """(gA, gTau, gX) of y = H_order[0] ... H_order[-1] x for the gradient g
    of y: each H = I - t v v^T in turn, gH = g x_after^T gives
    gt = -v^T gH v and gv = -t (gH + gH^T) v; gA takes gv below the diagonal."""
    partial = _chain(a, tau, order, x)
    ga, gtau = np.zeros_like(a), np.zeros_like(tau)
    for j, i in enumerate(order):
        v, t, y = _vector(a, i), tau[..., i], partial[j + 1]
        gv_ = (v[..., None, :] @ g)[..., 0, :]           # v^T g
        yv = (v[..., None, :] @ y)[..., 0, :]            # v^T y
        gtau[..., i] = -np.sum(gv_ * yv, axis=-1)
        gvec = -t[..., None] * ((g @ yv[..., :, None])[..., 0] + (y @ gv_[..., :, None])[..., 0])
        ga[..., i + 1:, i] = gvec[..., i + 1:]
        g = _reflect(v, t, g)                             # (H is symmetric)
    return ga, gtau, g


def _chain_jvp(a, tau, order, x, da, dtau, dx):
    """The tangent of H_order[0] ... H_order[-1] x for tangents of a, tau
    and x (None: zero): dH = -(dt v v^T + t dv v^T + t v dv^T), one
    reflector after the other."""
    y, dy = x, np.zeros_like(x) if dx is None else dx
    for i in reversed(order):
        v, t = _vector(a, i), tau[..., i]
        vy = v[..., None, :] @ y                          # v^T y
        dh_y = 0
        if dtau is not None:
            dh_y = dh_y - dtau[..., i, None, None] * v[..., :, None] * vy
        if da is not None:
            dv = np.zeros_like(v)
            dv[..., i + 1:] = da[..., i + 1:, i]
            dh_y = dh_y - t[..., None, None] * (dv[..., :, None] * vy +
                                                v[..., :, None] * (dv[..., None, :] @ y))
        dy = _reflect(v, t, dy) + dh_y
        y = _reflect(v, t, y)
    return dy


def _in_double(xs):
    return [x.astype(np.float64) for x in xs]


# ---- householder_product (orgqr) ----------------------------------------------

def _identity_columns(a):
    m, n = a.shape[-2:]
    return np.broadcast_to(np.eye(m, n), a.shape[:-2] + (m, n))


def householder_product(a, tau):
    """The first n columns of Q = H_1 ... H_k."""
    a64, tau64 = _in_double((a, tau))
    q = _chain(a64, tau64, range(tau.shape[-1]), _identity_columns(a64))[0]
    return column_major(q.astype(a.dtype))


def _householder_vjp(which):
    def rule(g, ans, xs, p):
        a, tau = _in_double(xs)
        grads = _chain_vjp(a, tau, list(range(tau.shape[-1])), _identity_columns(a),
                           g.astype(np.float64))
        return grads[which].astype(xs[which].dtype)
    return rule


def _householder_jvp(which):
    def rule(t, ans, xs, p):
        a, tau = _in_double(xs)
        tangents = [None, None]
        tangents[which] = t.astype(np.float64)
        out = _chain_jvp(a, tau, range(tau.shape[-1]), _identity_columns(a), *tangents, None)
        return out.astype(xs[0].dtype)
    return rule


defop("householder_product", "LinalgHouseholderProductBackward0",
      lambda xs, p: householder_product(*xs),
      vjp=(_householder_vjp(0), _householder_vjp(1)),
      jvp=(_householder_jvp(0), _householder_jvp(1)), saved=("0", "1"),
      formula=("d Q/dA through each reflector H_i = I - tau_i v_i v_i^T in turn",
               "d Q/dtau_i = -H_1 .. H_(i-1) v_i v_i^T H_(i+1) .. H_k"),
      symbol="linalg.householder_product", dtype_rule=SAME)


# ---- ormqr -------------------------------------------------------------------

def _ormqr_order(k: int, left: bool, transpose: bool) -> list:
    """The reflectors' order: Q C = H_1 .. H_k C, Q^T C = H_k .. H_1 C; on
    the right C Q = (Q^T C^T)^T, C Q^T = (Q C^T)^T."""
    forward = left != transpose
    return list(range(k)) if forward else list(range(k - 1, -1, -1))


def ormqr(a, tau, c, left, transpose):
    a64, tau64, c64 = _in_double((a, tau, c))
    order = _ormqr_order(tau.shape[-1], left, transpose)
    out = _chain(a64, tau64, order, c64 if left else _t(c64))[0]
    return column_major((out if left else _t(out)).astype(c.dtype))


def _ormqr_vjp(which):
    def rule(g, ans, xs, p):
        a, tau, c = _in_double(xs)
        left = p["left"]
        order = _ormqr_order(tau.shape[-1], left, p["transpose"])
        g = g.astype(np.float64)
        grads = _chain_vjp(a, tau, order, c if left else _t(c), g if left else _t(g))
        out = grads[which] if which < 2 or left else _t(grads[2])
        return out.astype(xs[which].dtype)
    return rule


def _ormqr_jvp(which):
    def rule(t, ans, xs, p):
        a, tau, c = _in_double(xs)
        left = p["left"]
        tangents = [None, None, None]
        t = t.astype(np.float64)
        tangents[which] = t if which < 2 or left else _t(t)
        order = _ormqr_order(tau.shape[-1], left, p["transpose"])
        out = _chain_jvp(a, tau, order, c if left else _t(c), *tangents)
        return (out if left else _t(out)).astype(xs[2].dtype)
    return rule


defop("ormqr", "OrmqrBackward0",
      lambda xs, p: ormqr(*xs, p["left"], p["transpose"]),
      vjp=(_ormqr_vjp(0), _ormqr_vjp(1), _ormqr_vjp(2)),
      jvp=(_ormqr_jvp(0), _ormqr_jvp(1), _ormqr_jvp(2)), saved=("0", "1", "2"),
      formula=("d op(Q) C/dA through each reflector in turn", "d op(Q) C/dtau likewise",
               "d op(Q) C/dC = op(Q)^T G (G op(Q)^T on the right)"),
      symbol="ormqr", dtype_rule=SAME)
