"""create_graph=True rules of the losses PyTorch records as one node with a
backward node of its own (ops/loss_backward.py): binary_cross_entropy,
nll_loss, smooth_l1_loss, huber_loss. Their backward ops' own rules (a
third derivative) exist for nll_loss's, smooth_l1_loss's and huber_loss's;
binary_cross_entropy's is refused.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _const, _op


def _r_loss(rt, g, node, i):
    """The loss's gradient: its backward op, one node, of (g, input,
    target[, weight]); smooth_l1's and huber's target: the same op with
    input and target swapped (PyTorch's formula)."""
    args = list(node.args)
    if i == 1:
        args[0], args[1] = args[1], args[0]
    return _op(rt, f"{node.op.name}_backward", g, *args, **node.params)


def _r_nll_loss_backward(rt, gg, node, i):
    # linear in g: nll_loss of the incoming gradient; constant in x
    if i == 1:
        return _const(rt, np.zeros_like(node.args[1].data), "zeros")
    return _op(rt, "nll_loss", gg, *node.args[2:], **node.params)


def _r_piecewise_backward(rt, gg, node, i):
    """smooth_l1_loss_backward(g, a, b) and huber_loss_backward's gradients:
    by g its per-element derivative (the op of a one) times gg; by a g gg
    times the loss's second derivative, a constant where |a - b| is below the
    width (PyTorch's *_double_backward), divided by n for a mean; by b minus
    that."""
    from .ops.loss_backward import _count, _inside
    g = node.args[0]
    if i == 0:
        ones = _const(rt, np.ones_like(g.data), "ones")
        return _op(rt, "mul", _op(rt, node.op.name, ones, *node.args[1:], **node.params), gg)
    xs = [a.data for a in node.args]
    width = "delta" if node.op.name == "huber_loss_backward" else "beta"
    second = _inside(width)(xs, node.params) / _count(xs, node.params)
    d = _op(rt, "mul", _op(rt, "mul", gg, g), _const(rt, second.astype(g.data.dtype), "second"))
    return d if i == 1 else _op(rt, "neg", d)


LOSS_VJPS = {"binary_cross_entropy": _r_loss, "nll_loss": _r_loss, "smooth_l1_loss": _r_loss,
             "huber_loss": _r_loss, "nll_loss_backward": _r_nll_loss_backward,
             "smooth_l1_loss_backward": _r_piecewise_backward,
             "huber_loss_backward": _r_piecewise_backward}

# binary_cross_entropy by its target: PyTorch's formula is not recorded here
LOSS_ONLY_INPUTS = {"binary_cross_entropy": (0,)}
