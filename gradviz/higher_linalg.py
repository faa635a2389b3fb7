"""create_graph=True rules of the cross product, cdist and the matrix
functions (inv, det, slogdet, solve, solve_triangular, cholesky,
cholesky_solve, pinv, lstsq, eigh, svd, diag_embed), each PyTorch's backward
formula (FunctionsManual's linalg_solve_backward, cholesky_backward,
pinv_backward, linalg_eig_backward, svd_backward ...) written with graph
ops, so the gradient's graph shows the nodes PyTorch records (where
PyTorch's one node of several outputs, eigh's and svd's, is several here,
the gradient recomputes the others).

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _const, _op, _scaled, _shared, _x


def _r_cross(rt, g, node, i):
    # linalg_cross(other, grad) and linalg_cross(grad, self)
    a, b = node.args
    dim = node.params["dim"]
    return _op(rt, "cross", b, g, dim=dim) if i == 0 else _op(rt, "cross", g, a, dim=dim)


def _mT(rt, t):
    """The last two dims swapped, as PyTorch's .mH/.mT (TransposeBackward0)."""
    nd = t.data.ndim
    return _op(rt, "transpose", t, dims=(nd - 2, nd - 1))


def _r_cdist(rt, g, node, i):
    x1, x2 = node.args
    nd = node.data.ndim
    if node.params.get("mm"):
        # _euclidean_dist_backward: ratio = (grad / res), 0 where res = 0;
        # x1 * ratio.sum(-1, keepdim) - ratio @ x2, x2 * ratio.sum(-2)[..., None] - ratio^T @ x1
        ratio = _shared(node, g, "ratio", lambda: _op(
            rt, "masked_fill", _op(rt, "div", g, node), _const(rt, node.data == 0, "mask"), 0.0))
        if i == 0:
            rows = _op(rt, "sum", ratio, dim=(nd - 1,), keepdim=True)
            return _op(rt, "sub", _op(rt, "mul", x1, rows), _op(rt, "matmul", ratio, x2))
        cols = _op(rt, "unsqueeze", _op(rt, "sum", ratio, dim=(nd - 2,), keepdim=False),
                   dim=nd - 1)
        return _op(rt, "sub", _op(rt, "mul", x2, cols), _op(rt, "matmul", _mT(rt, ratio), x1))
    # PyTorch's _cdist_backward, one node with no derivative of its own; for
    # x2 of the transposes (made contiguous: a clone) with x1 and x2 swapped
    p = {"p": node.params["p"]}
    if i == 0:
        return _op(rt, "cdist_backward", g, x1, x2, node, **p)
    return _op(rt, "cdist_backward", _op(rt, "clone", _mT(rt, g)), x2, x1,
               _op(rt, "clone", _mT(rt, node)), **p)


def _r_inv(rt, g, node, i):             # -(inv^H @ (grad @ inv^H))
    return _op(rt, "neg", _op(rt, "matmul", _mT(rt, node),
                              _op(rt, "matmul", g, _mT(rt, node))))


def _solve(rt, a, b):
    return _op(rt, "linalg_solve", a, b, left=True, vector=False)


def _r_solve(rt, g, node, i):
    # linalg_solve_backward: gB = solve(A^H, grad) (a vector as a column);
    # gA = -gB @ X^H (left), -X^H @ gB (left=False)
    a = _x(node)
    left = node.params.get("left", True)
    vector = node.params.get("vector", False)
    gm, x = g, node
    if vector:
        gm = _op(rt, "unsqueeze", g, dim=g.data.ndim)
        x = _op(rt, "unsqueeze", node, dim=node.data.ndim)
    gb = _shared(node, g, "gB", lambda: _op(rt, "linalg_solve", _mT(rt, a), gm, left=left,
                                            vector=False))
    if i == 1:
        if vector:
            return _op(rt, "squeeze", gb, shape=gb.data.shape[:-1], dim=gb.data.ndim - 1)
        return gb
    x_h = _mT(rt, x)
    return _op(rt, "neg", _op(rt, "matmul", gb, x_h) if left else _op(rt, "matmul", x_h, gb))


def _on_diagonal(rt, d, n):
    """(...) -> (..., n, n) with d on the diagonal, transposed (PyTorch's
    diag_embed(d.unsqueeze(-1).expand_as(pivots)).mT())."""
    nd = d.data.ndim
    wide = _op(rt, "expand", _op(rt, "unsqueeze", d, dim=nd), shape=d.data.shape + (n,))
    return _mT(rt, _op(rt, "diag_embed_dims", wide, offset=0, dim1=nd, dim2=nd + 1))


def _r_det(rt, g, node, i):
    # linalg_det_backward with grad mode on: solve(A^H, diag_embed(grad * det).mT),
    # through the SVD where A is singular (the batch all is: LINALG_REFUSALS)
    a = _x(node)
    if _near_singular(node).any():
        return _det_singular(rt, g, a)
    return _solve(rt, _mT(rt, a), _on_diagonal(rt, _op(rt, "mul", g, node), a.data.shape[-1]))


def _near_singular(node) -> np.ndarray:
    """PyTorch's mask of the matrices whose det gradient goes through the
    SVD: |det| < 100 eps."""
    return np.abs(node.data) < 100 * np.finfo(node.data.dtype).eps


def _det_singular(rt, g, a):
    """linalg_det_backward's singular branch, the cofactor matrix with no
    inverse: det A = det U det Vh prod(S), so the gradient is
    U diag(grad alpha prod_safe_zeros_backward(S)) Vh, alpha = det U det Vh."""
    nd = a.data.ndim
    u, s, vh = (_op(rt, name, a, full_matrices=True) for name in ("svd_u", "svd_s", "svd_vh"))
    alpha = _op(rt, "mul", _op(rt, "linalg_det", u), _op(rt, "linalg_det", vh))
    scaled = _op(rt, "unsqueeze", _op(rt, "mul", g, alpha), dim=nd - 2)
    d = _op(rt, "mul", scaled, _products_of_others(rt, s))
    return _op(rt, "matmul", _op(rt, "mul", u, _op(rt, "unsqueeze", d, dim=nd - 2)), vh)


def _products_of_others(rt, s):
    """prod_safe_zeros_backward's factor: element i is the product of the
    others along the last dim (no division, so a zero is fine), the
    exclusive cumprod from the front times the one from the back."""
    from .higher_lu import _narrow      # (higher_lu imports this module)
    n = s.data.shape[-1]
    d = s.data.ndim - 1
    ones = _const(rt, np.ones(s.data.shape[:-1] + (1,), s.data.dtype), "ones")
    front = _op(rt, "cumprod", _op(rt, "cat", ones, _narrow(rt, s, -1, 0, n - 1), dim=d), dim=d)
    back = _op(rt, "flip", _narrow(rt, s, -1, 1, n - 1), dims=(d,))
    back = _op(rt, "flip", _op(rt, "cumprod", _op(rt, "cat", ones, back, dim=d), dim=d), dims=(d,))
    return _op(rt, "mul", front, back)


def _r_logabsdet(rt, g, node, i):
    # slogdet_backward: solve(A^H, diag_embed(grad).mT)
    a = _x(node)
    return _solve(rt, _mT(rt, a), _on_diagonal(rt, g, a.data.shape[-1]))


def _singular(node):
    # PyTorch computes the matrices of a batch that mixes singular and not
    # by two formulas and index_put_s the pieces together
    near = _near_singular(node)
    return " with singular and non-singular matrices in one batch" \
        if near.any() and not near.all() else None


def _r_solve_triangular(rt, g, node, i):
    # linalg_solve_triangular_backward: gB = solve_triangular(A^H, grad) (the
    # other triangle); gA = -gB @ X^H (X^H @ gB for left=False) on A's triangle
    a = _x(node)
    p = node.params
    upper, left, unit = p["upper"], p.get("left", True), p.get("unitriangular", False)
    gb = _shared(node, g, "gB", lambda: _op(rt, "solve_triangular", _mT(rt, a), g,
                                            upper=not upper, left=left, unitriangular=unit))
    if i == 1:
        return gb
    x_h = _mT(rt, node)
    ga = _op(rt, "neg", _op(rt, "matmul", gb, x_h) if left else _op(rt, "matmul", x_h, gb))
    if upper:
        return _op(rt, "triu", ga, diagonal=1 if unit else 0)
    return _op(rt, "tril", ga, diagonal=-1 if unit else 0)


def _r_triangular_solve(rt, g, node, i):
    # triangular_solve_backward: gB = grad.triangular_solve(A, transpose=not
    # transpose); gA = -gB X^H (-X gB^T with transpose) on A's triangle
    a = node.args[1]
    p = node.params
    upper, unit, transpose = p.get("upper", True), p.get("unitriangular", False), \
        p.get("transpose", False)
    gb = _shared(node, g, "gB", lambda: _op(rt, "triangular_solve", g, a, upper=upper,
                                            transpose=not transpose, unitriangular=unit))
    if i == 0:
        return gb
    ga = _op(rt, "neg", _op(rt, "matmul", node, _mT(rt, gb)) if transpose else
             _op(rt, "matmul", gb, _mT(rt, node)))
    if upper:
        return _op(rt, "triu", ga, diagonal=int(unit))
    return _op(rt, "tril", ga, diagonal=-int(unit))


def _r_cholesky(rt, g, node, i):
    # cholesky_backward: gA = tril(L^H gL); 0.5 (gA + tril(gA, -1)^H); then
    # solved with L^H from the left and L from the right
    low, gl = (_mT(rt, node), _mT(rt, g)) if node.params.get("upper") else (node, g)
    ga = _op(rt, "tril", _op(rt, "matmul", _mT(rt, low), gl), diagonal=0)
    ga = _scaled(rt, "mul", _op(rt, "add", ga, _mT(rt, _op(rt, "tril", ga, diagonal=-1))), 0.5)
    ga = _op(rt, "solve_triangular", _mT(rt, low), ga, upper=True, left=True,
             unitriangular=False)
    return _op(rt, "solve_triangular", low, ga, upper=False, left=False, unitriangular=False)


def _r_cholesky_solve(rt, g, node, i):
    # cholesky_solve_backward: gB = grad.cholesky_solve(F); common = gB X^H
    # + its transpose; gF = -common @ F (-F @ common for upper)
    f = node.args[1]
    upper = node.params.get("upper", False)
    gb = _shared(node, g, "gB", lambda: _op(rt, "cholesky_solve", g, f, upper=upper))
    if i == 0:
        return gb
    common = _op(rt, "matmul", gb, _mT(rt, node))
    common = _op(rt, "add", common, _mT(rt, common))
    return _op(rt, "neg", _op(rt, "matmul", f, common) if upper else
               _op(rt, "matmul", common, f))


def _r_cholesky_inverse(rt, g, node, i):
    # cholesky_inverse_backward: common = X (G + G^H) X; gL = -common @ L
    # (-L @ common for upper)
    f = node.args[0]
    common = _op(rt, "add", g, _mT(rt, g))
    common = _op(rt, "matmul", node, _op(rt, "matmul", common, node))
    return _op(rt, "neg", _op(rt, "matmul", f, common) if node.params.get("upper", False) else
               _op(rt, "matmul", common, f))


def _r_pinv(rt, g, node, i):
    # pinv_backward, with the products of the smaller size, in its order:
    # m <= n: K = G^H P; -(P K)^H + K P^H - (A P)(K P^H) + (P^H P)(G^H - K A)
    # m > n:  K = P G^H; -(K P)^H + ((G^H - A K) P) P^H + P^H K - ((P^H K) P) A
    a = _x(node)
    p_h, g_h = _mT(rt, node), _mT(rt, g)

    def mm(x, y):
        return _op(rt, "matmul", x, y)
    if a.data.shape[-2] <= a.data.shape[-1]:
        k = mm(g_h, node)
        k_ph = mm(k, p_h)
        out = _op(rt, "add", _op(rt, "neg", _mT(rt, mm(node, k))), k_ph)
        out = _op(rt, "sub", out, mm(mm(a, node), k_ph))
        return _op(rt, "add", out, mm(mm(p_h, node), _op(rt, "sub", g_h, mm(k, a))))
    k = mm(node, g_h)
    ph_k = mm(p_h, k)
    out = _op(rt, "add", _op(rt, "neg", _mT(rt, mm(k, node))),
              mm(mm(_op(rt, "sub", g_h, mm(a, k)), node), p_h))
    return _op(rt, "sub", _op(rt, "add", out, ph_k), mm(mm(ph_k, node), a))


def _column(rt, t, node):
    """t as a matrix: a vector right-hand side of lstsq as a column."""
    return _op(rt, "unsqueeze", t, dim=t.data.ndim) if node.params.get("vector") else t


def _r_lstsq_solution(rt, g, node, i):
    # linalg_lstsq_backward with gX: P = pinv(A) (pinv's default tolerance,
    # not rcond); gA = pinv_backward(gX B^H, P, A), gB = P^H gX
    a, b = node.args
    pinv_a = _shared(node, g, "pinv", lambda: _op(rt, "linalg_pinv", a))
    gx = _column(rt, g, node)
    if i == 0:
        return _r_pinv(rt, _op(rt, "matmul", gx, _mT(rt, _column(rt, b, node))), pinv_a, 0)
    gb = _op(rt, "matmul", _mT(rt, pinv_a), gx)
    if node.params.get("vector"):
        return _op(rt, "squeeze", gb, shape=gb.data.shape[:-1], dim=gb.data.ndim - 1)
    return gb


def _r_lstsq_residuals(rt, g, node, i):
    # linalg_lstsq_backward with the residuals' gL: with R = A X - B (X the
    # solution, PyTorch's node's other output), gA = ((R * gL) X^H) * 2 and
    # gB = R * (gL * -2), gL along R's columns; none where lstsq gave no
    # residuals
    if not node.params.get("computed"):
        return None
    a, b = node.args
    params = {k: node.params[k] for k in ("vector", "rcond")}
    x = _column(rt, _op(rt, "lstsq_solution", a, b, **params), node)
    misfit = _shared(node, g, "R", lambda: _op(rt, "sub", _op(rt, "matmul", a, x),
                                                _column(rt, b, node)))
    g_cols = _op(rt, "unsqueeze", g, dim=g.data.ndim - 1)
    if i == 0:
        return _scaled(rt, "mul", _op(rt, "matmul", _op(rt, "mul", misfit, g_cols), _mT(rt, x)), 2)
    gb = _op(rt, "mul", misfit, _scaled(rt, "mul", g_cols, -2))
    if node.params.get("vector"):
        return _op(rt, "squeeze", gb, shape=gb.data.shape[:-1], dim=gb.data.ndim - 1)
    return gb


def _r_eigh_values(rt, g, node, i):
    # linalg_eig_backward (Hermitian), eigenvalues only: (V * gL[..., None, :]) @ V^H,
    # V the eigenvectors as a node of the graph (PyTorch's node's other output)
    v = _op(rt, "eigh_vectors", _x(node), **node.params)
    scaled = _op(rt, "mul", v, _op(rt, "unsqueeze", g, dim=g.data.ndim - 1))
    return _op(rt, "matmul", scaled, _mT(rt, v))


def _r_eigh_vectors(rt, g, node, i):
    # linalg_eig_backward (Hermitian), eigenvectors only: V @ ((0.5 (V^H gV -
    # (V^H gV)^H)) / E) @ V^H, E_ij = L_j - L_i with its diagonal filled with 1
    # (PyTorch's in-place fill: CopySlices)
    w = _op(rt, "eigh_values", _x(node), **node.params)
    nd = w.data.ndim
    e = _op(rt, "sub", _op(rt, "unsqueeze", w, dim=nd - 1), _op(rt, "unsqueeze", w, dim=nd))
    n = w.data.shape[-1]
    e = _op(rt, "setitem", e, 1.0, index=(Ellipsis, np.arange(n), np.arange(n)), advanced=True,
            grad_fn="CopySlices")
    vg = _op(rt, "matmul", _mT(rt, node), g)
    skew = _scaled(rt, "mul", _op(rt, "sub", vg, _mT(rt, vg)), 0.5)
    return _op(rt, "matmul", node, _op(rt, "matmul", _op(rt, "div", skew, e), _mT(rt, node)))


def _svd_parts(rt, a):
    """U, S and Vh of the reduced SVD of a, as nodes of the graph (PyTorch's
    one svd node is three here)."""
    return tuple(_op(rt, name, a, full_matrices=False) for name in ("svd_u", "svd_s", "svd_vh"))


def _r_svd_s(rt, g, node, i):
    # svd_backward with gS only: U @ (gS[..., None] * Vh) (m >= n), (U * gS[..., None, :]) @ Vh
    a = _x(node)
    u, _, vh = _svd_parts(rt, a)
    m, n = a.data.shape[-2:]
    nd = g.data.ndim
    if m >= n:
        return _op(rt, "matmul", u, _op(rt, "mul", _op(rt, "unsqueeze", g, dim=nd), vh))
    return _op(rt, "matmul", _op(rt, "mul", u, _op(rt, "unsqueeze", g, dim=nd - 1)), vh)


def _r_svd_vectors(rt, g, node, i):
    # svd_backward with gU (svd_u) or gVh (svd_vh): with F = 1 / (s_j^2 - s_i^2)
    # off the diagonal, U (sym(F o U^T gU) S) Vh + (gU - U U^T gU) S^-1 Vh, or
    # U (S sym(F o V^T gV)) Vh + U S^-1 (gV - V V^T gV)^T
    a = _x(node)
    if node.params.get("full_matrices") and a.data.shape[-1] != a.data.shape[-2]:
        node.op.vjp[0](g.data, node.data, [a.data], node.params)     # PyTorch's error
    u, s, vh = _svd_parts(rt, a)
    nd = s.data.ndim
    sq = _op(rt, "mul", s, s)
    eye = _const(rt, np.eye(s.data.shape[-1], dtype=bool), "diagonal")
    gaps = _op(rt, "sub", _op(rt, "unsqueeze", sq, dim=nd - 1), _op(rt, "unsqueeze", sq, dim=nd))
    f = _op(rt, "where", eye, 0.0, _op(rt, "reciprocal", _op(rt, "where", eye, 1.0, gaps)))
    inv_s = _op(rt, "where", _const(rt, s.data == 0, "zero"), 0.0, _op(rt, "reciprocal", s))

    def mm(x, y):
        return _op(rt, "matmul", x, y)

    def sym(x):
        return _op(rt, "add", x, _mT(rt, x))
    if node.op.name == "svd_u":
        ut_g = mm(_mT(rt, u), g)
        inner = _op(rt, "mul", sym(_op(rt, "mul", f, ut_g)), _op(rt, "unsqueeze", s, dim=nd - 1))
        ga = mm(mm(u, inner), vh)
        if u.data.shape[-2] > u.data.shape[-1]:
            rest = _op(rt, "sub", g, mm(u, ut_g))
            ga = _op(rt, "add", ga, mm(_op(rt, "mul", rest, _op(rt, "unsqueeze", inv_s, dim=nd - 1)),
                                       vh))
        return ga
    v, gv = _mT(rt, vh), _mT(rt, g)
    vt_g = mm(_mT(rt, v), gv)
    inner = _op(rt, "mul", _op(rt, "unsqueeze", s, dim=nd), sym(_op(rt, "mul", f, vt_g)))
    ga = mm(mm(u, inner), vh)
    if v.data.shape[-2] > v.data.shape[-1]:
        rest = _op(rt, "sub", gv, mm(v, vt_g))
        ga = _op(rt, "add", ga, mm(_op(rt, "mul", u, _op(rt, "unsqueeze", inv_s, dim=nd - 1)),
                                   _mT(rt, rest)))
    return ga


def _r_diag_embed_dims(rt, g, node, i):  # grad.diagonal(offset, dim1, dim2)
    p = node.params
    return _op(rt, "diagonal", g, offset=p["offset"], dim1=p["dim1"], dim2=p["dim2"])


LINALG_VJPS = {
    "cross": _r_cross, "cdist": _r_cdist,
    # PyTorch's _pdist_backward: one node, with no derivative of its own
    "pdist": lambda rt, g, node, i: _op(rt, "pdist_backward", g, node.args[0], node,
                                        **node.params), "linalg_inv": _r_inv, "linalg_solve": _r_solve,
    "linalg_det": _r_det, "slogdet_logabsdet": _r_logabsdet,
    "diag_embed_dims": _r_diag_embed_dims, "solve_triangular": _r_solve_triangular,
    "triangular_solve": _r_triangular_solve,
    # the copy of A: its gradient is A's, PyTorch adds it to the solve's
    "triangular_solve_clone": lambda rt, g, node, i: g,
    "linalg_cholesky": _r_cholesky, "cholesky_solve": _r_cholesky_solve,
    "cholesky_inverse": _r_cholesky_inverse,
    "linalg_pinv": _r_pinv, "lstsq_solution": _r_lstsq_solution,
    "lstsq_residuals": _r_lstsq_residuals, "eigh_values": _r_eigh_values, "eigh_vectors": _r_eigh_vectors,
    "svd_s": _r_svd_s, "svd_u": _r_svd_vectors, "svd_vh": _r_svd_vectors,
}

LINALG_REFUSALS = {"linalg_det": _singular}
