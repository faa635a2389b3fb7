"""create_graph=True rules of the losses PyTorch records as one node with a
backward node of its own (ops/loss_backward.py): binary_cross_entropy,
nll_loss, smooth_l1_loss, huber_loss. Their backward ops' own rules (a
third derivative) exist for nll_loss's only; the others are refused.

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


LOSS_VJPS = {"binary_cross_entropy": _r_loss, "nll_loss": _r_loss, "smooth_l1_loss": _r_loss,
             "huber_loss": _r_loss, "nll_loss_backward": _r_nll_loss_backward}

# binary_cross_entropy by its target: PyTorch's formula is not recorded here
LOSS_ONLY_INPUTS = {"binary_cross_entropy": (0,)}
