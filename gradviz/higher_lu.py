"""create_graph=True rules of the LU ops (linalg.lu_factor, linalg.lu,
lu_unpack, linalg.lu_solve): PyTorch's linalg_lu_backward,
lu_factor_ex_backward and linalg_lu_solve_LU written with graph ops, so the
gradient's graph has PyTorch's nodes (its one linalg.lu node of L and U is
one node per output here: the rule of each recomputes the other).

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_linalg import _mT
from .higher_order import _const, _op, _x
from .ops.lu import _factors, permutation


def _mm(rt, a, b):
    return _op(rt, "matmul", a, b)


def _tri(rt, name, t, diagonal):
    return _op(rt, name, t, diagonal=diagonal)


def _solve_tri(rt, a, b, upper, left=True, unit=False):
    return _op(rt, "solve_triangular", a, b, upper=upper, left=left, unitriangular=unit)


def _narrow(rt, t, dim: int, start: int, length: int):
    """t.narrow(dim, start, length) for dim -1 or -2: PyTorch's SliceBackward0."""
    part = (slice(start, start + length),) + (slice(None),) * (-1 - dim)
    return _op(rt, "index", t, index=(Ellipsis,) + part, advanced=False,
               grad_fn="SliceBackward0")


def _add_or(rt, name, a, b):
    """a + b (a - b for "sub") where a is a gradient PyTorch may not have
    (None: b, or -b)."""
    if a is None:
        return b if name == "add" else _op(rt, "neg", b)
    return _op(rt, name, a, b)


def _lu_backward(rt, gl, gu, perm, low, up):
    """linalg_lu_backward: A's gradient from gL and gU (None where the
    output got none), in PyTorch's steps for square, wide and tall A."""
    m, n = low.data.shape[-2], up.data.shape[-1]
    k = min(m, n)
    if m == n:
        ga = None if gl is None else _tri(rt, "tril", _mm(rt, _mT(rt, low), gl), -1)
        if gu is not None:
            ga = _add_or(rt, "add", ga, _tri(rt, "triu", _mm(rt, gu, _mT(rt, up)), 0))
        ga = _solve_tri(rt, _mT(rt, up), ga, upper=False, left=False)
        ga = _solve_tri(rt, _mT(rt, low), ga, upper=True, unit=True)
    elif m < n:
        ga = _wide(rt, gl, gu, low, up, k)
    else:
        ga = _tall(rt, gl, gu, low, up, k)
    return _mm(rt, perm, ga)


def _wide(rt, gl, gu, low, up, k):
    n = up.data.shape[-1]
    ga = None if gl is None else _mm(rt, _mT(rt, low), gl)
    if gu is not None:
        ga = _add_or(rt, "sub", ga, _mm(rt, _tri(rt, "triu", gu, 0), _mT(rt, up)))
    ga = _solve_tri(rt, _mT(rt, _narrow(rt, up, -1, 0, k)), _tri(rt, "tril", ga, -1),
                    upper=False, left=False)
    if gu is not None:
        first = _op(rt, "add", ga, _tri(rt, "triu", _narrow(rt, gu, -1, 0, k), 0))
        ga = _op(rt, "cat", first, _narrow(rt, gu, -1, k, n - k), dim=-1)
    ga = _solve_tri(rt, _mT(rt, low), ga, upper=True, unit=True)
    if gu is None:
        rest = _const(rt, (0 * up.data[..., k:]), "zeros")
        ga = _op(rt, "cat", ga, rest, dim=-1)
    return ga


def _tall(rt, gl, gu, low, up, k):
    m = low.data.shape[-2]
    ga = None if gu is None else _mm(rt, gu, _mT(rt, up))
    if gl is not None:
        ga = _add_or(rt, "sub", ga, _mm(rt, _mT(rt, low), _tri(rt, "tril", gl, -1)))
    ga = _solve_tri(rt, _mT(rt, _narrow(rt, low, -2, 0, k)), _tri(rt, "triu", ga, 0),
                    upper=True, unit=True)
    if gl is not None:
        first = _op(rt, "add", ga, _tri(rt, "tril", _narrow(rt, gl, -2, 0, k), -1))
        ga = _op(rt, "cat", first, _narrow(rt, gl, -2, k, m - k), dim=-2)
    ga = _solve_tri(rt, _mT(rt, up), ga, upper=False, left=False)
    if gl is None:
        rest = _const(rt, (0 * low.data[..., k:, :]), "zeros")
        ga = _op(rt, "cat", ga, rest, dim=-2)
    return ga


def _perm(rt, a):
    """P of A = P L U: a constant (the pivots have no gradient)."""
    return _const(rt, _factors(a.data)[0], "P")


def _r_lu_factor(rt, g, node, i):
    # lu_factor_ex_backward: L and U unpacked from the LU (LuUnpackBackward0),
    # gL = grad.narrow(-1, 0, k), gU = grad.narrow(-2, 0, k)
    a = _x(node)
    k = min(a.data.shape[-2:])
    low, up = _op(rt, "lu_unpack_l", node), _op(rt, "lu_unpack_u", node)
    return _lu_backward(rt, _narrow(rt, g, -1, 0, k), _narrow(rt, g, -2, 0, k),
                        _perm(rt, a), low, up)


def _r_lu_l(rt, g, node, i):
    a = _x(node)
    return _lu_backward(rt, g, None, _perm(rt, a), node, _op(rt, "linalg_lu_u", a))


def _r_lu_u(rt, g, node, i):
    a = _x(node)
    return _lu_backward(rt, None, g, _perm(rt, a), _op(rt, "linalg_lu_l", a), node)


def _r_lu_solve(rt, g, node, i):
    factors, pivots = node.args[0], node.args[1]
    p = node.params
    left, adjoint = p.get("left", True), p.get("adjoint", False)
    if i == 2:      # B: lu_solve(LU, pivots, grad, left, not adjoint)
        return _op(rt, "linalg_lu_solve", factors, pivots, g, left=left, adjoint=not adjoint)
    return _lu_solve_lu(rt, g, node, left, adjoint)


def _lu_solve_lu(rt, g, node, left, adjoint):
    """linalg_lu_solve_LU: the packed LU's gradient, gL + gU, through an
    auxiliary gR (U^-H op(-G) op(X)^H, or -P^T op(X) op(G)^H P L^-H)."""
    factors, pivots = node.args[0], node.args[1]
    low, up = _op(rt, "lu_unpack_l", factors), _op(rt, "lu_unpack_u", factors)
    if left != adjoint:
        prod = _mm(rt, g, _mT(rt, node)) if left else _mm(rt, _mT(rt, g), node)
        gr = _solve_tri(rt, _mT(rt, up), _op(rt, "neg", prod), upper=False)
        gl = _solve_tri(rt, _mT(rt, low), _mm(rt, gr, _mT(rt, up)), upper=True, unit=True)
        return _op(rt, "add", _tri(rt, "tril", gl, -1), _tri(rt, "triu", gr, 0))
    perm = _const(rt, permutation(pivots.data, factors.data.shape[-2], factors.data.dtype), "P")
    chain = _mm(rt, _mT(rt, perm), node if left else _mT(rt, node))
    chain = _mm(rt, _mm(rt, chain, _mT(rt, g) if left else g), perm)
    gr = _solve_tri(rt, _mT(rt, low), _op(rt, "neg", chain), upper=True, left=False, unit=True)
    gu = _solve_tri(rt, _mT(rt, up), _mm(rt, _mT(rt, low), gr), upper=False, left=False)
    return _op(rt, "add", _tri(rt, "tril", gr, -1), _tri(rt, "triu", gu, 0))


def _r_lu_unpack(rt, g, node, i):
    # lu_unpack_backward with one output's gradient: gL.tril(-1) or
    # gU.triu(), for a wide L or a tall U with zeros for the LU's other
    # columns or rows (CatBackward0)
    factors = _x(node)
    if not node.params.get("data", True):        # (unpack_data=False: no L, U)
        return _const(rt, 0 * factors.data, "zeros")
    m, n = factors.data.shape[-2:]
    k = min(m, n)
    if node.op.name == "lu_unpack_l":
        part, dim, rest = _tri(rt, "tril", g, -1), -1, n - k
    else:
        part, dim, rest = _tri(rt, "triu", g, 0), -2, m - k
    if rest == 0:
        return part
    shape = list(factors.data.shape)
    shape[dim] = rest
    zeros = _const(rt, np.zeros(shape, factors.data.dtype), "zeros")
    return _op(rt, "cat", part, zeros, dim=dim)


LU_VJPS = {"lu_factor": _r_lu_factor, "lu_unpack_l": _r_lu_unpack, "lu_unpack_u": _r_lu_unpack, "linalg_lu_l": _r_lu_l, "linalg_lu_u": _r_lu_u,
           "linalg_lu_solve": _r_lu_solve}
