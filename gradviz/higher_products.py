"""create_graph=True rules of addmv, addr and vdot, with PyTorch's formulas
(derivatives.yaml, beta = alpha = 1): the bias's part is g itself (summed
back to its shape by the pass), addmv's matrix part outer(g, vec) and
vector part mat.t().mv(g), addr's vector parts g.mv(vec2) and
g.t().mv(vec1), vdot's g * other and g * self.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

from .higher_order import _op, _r_matmul


def _r_addmv(rt, g, node, i):
    _, mat, vec = node.args
    if i == 0:
        return g
    return _op(rt, "outer", g, vec) if i == 1 else _op(rt, "mv", _op(rt, "t", mat), g)


def _r_addr(rt, g, node, i):
    _, vec1, vec2 = node.args
    if i == 0:
        return g
    return _op(rt, "mv", g, vec2) if i == 1 else _op(rt, "mv", _op(rt, "t", g), vec1)


PRODUCT_VJPS = {"addmv": _r_addmv, "addr": _r_addr, "vdot": _r_matmul}
