"""create_graph=True rules of addmv, addr, addbmm and vdot, with PyTorch's
formulas (derivatives.yaml): the bias's part is g itself (summed back to its
shape by the pass), addmv's matrix part outer(g, vec) and vector part
mat.t().mv(g), addr's vector parts g.mv(vec2) and g.t().mv(vec1), addbmm's
bmm's of g spread over the batch, vdot's g * other and g * self; each
bias-plus-product's parts then scaled by its beta= and alpha=.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

from .higher_order import _bmm_part, _op, _r_matmul, _scaled


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


def _r_addbmm(rt, g, node, i):
    # addbmm(input, b1, b2): every batch's product got g,
    # g.unsqueeze(0).expand(b, n, p), then bmm's parts
    if i == 0:
        return g
    _, b1, b2 = node.args
    shape = (b1.data.shape[0],) + g.data.shape
    spread = _op(rt, "expand", _op(rt, "unsqueeze", g, dim=0), shape=shape)
    return _bmm_part(rt, spread, b1, b2, i - 1)


def with_scales(rule):
    """rule with beta= and alpha= (maybe_multiply, the Scalar overload's
    MulBackward1): the input's part from g * beta, the factors' times alpha."""
    def scaled(rt, g, node, i):
        s = node.params.get("beta" if i == 0 else "alpha", 1)
        if s == 1:
            return rule(rt, g, node, i)
        if i == 0:
            return rule(rt, _scaled(rt, "mul", g, s), node, i)
        return _scaled(rt, "mul", rule(rt, g, node, i), s)
    return scaled


PRODUCT_VJPS = {"addmv": _r_addmv, "addr": _r_addr, "vdot": _r_matmul, "addbmm": _r_addbmm}


def scaled_product_vjps(rules: dict) -> dict:
    """The bias-plus-products' rules (addmm's and baddbmm's among RULES) with
    their scales."""
    return {name: with_scales(rules[name])
            for name in ("addmm", "addmv", "addr", "baddbmm", "addbmm")}
