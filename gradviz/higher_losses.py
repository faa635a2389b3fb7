"""create_graph=True rules of the losses PyTorch records as one node with a
backward node of its own (ops/loss_backward.py): binary_cross_entropy,
nll_loss, smooth_l1_loss, huber_loss. Their backward ops' own rules (a
third derivative) exist for all of them (binary_cross_entropy's and
soft_margin_loss's by g, the input and binary_cross_entropy's target, not
by a weight or soft_margin_loss's target).

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _const, _one_minus, _op, _scaled


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


def _per_element(rt, gg, node):
    """By g: the op of a one (each element's derivative, / n for a mean) times gg."""
    ones = _const(rt, np.ones_like(node.args[0].data), "ones")
    return _op(rt, "mul", _op(rt, node.op.name, ones, *node.args[1:], **node.params), gg)


def _over_n(rt, d, node):
    from .ops.loss_backward import _count
    n = _count([a.data for a in node.args], node.params)
    return d if n == 1 else _scaled(rt, "div", d, n)


def _r_soft_margin_backward(rt, gg, node, i):
    """soft_margin_loss_backward(g, x, y)'s gradients: by x g gg times
    y^2 z / (1 + z)^2, z = exp(-y x)."""
    if i == 0:
        return _per_element(rt, gg, node)
    g, x, y = node.args
    z = _op(rt, "exp", _op(rt, "mul", _op(rt, "neg", y), x))
    one_z = _scaled(rt, "add", z, 1)
    second = _op(rt, "div", _op(rt, "mul", _op(rt, "mul", y, y), z), _op(rt, "mul", one_z, one_z))
    return _over_n(rt, _op(rt, "mul", _op(rt, "mul", gg, g), second), node)


def _r_bce_backward(rt, gg, node, i):
    """binary_cross_entropy_backward(g, x, t[, w])'s gradients, PyTorch's
    binary_cross_entropy_double_backward with its 1e-12: by x g gg w (x^2 -
    2 x t + t) / ((x + eps)^2 (1 - x + eps)^2); by t -g gg w / max((1 - x) x, eps)."""
    if i == 0:
        return _per_element(rt, gg, node)
    g, x, t = node.args[:3]
    eps = 1e-12
    d = _op(rt, "mul", gg, g)
    if len(node.args) > 3:
        d = _op(rt, "mul", d, node.args[3])
    if i == 1:
        num = _op(rt, "add", _op(rt, "sub", _op(rt, "mul", x, x),
                                 _scaled(rt, "mul", _op(rt, "mul", x, t), 2)), t)
        den = _op(rt, "mul", _op(rt, "pow", _scaled(rt, "add", x, eps), 2),
                  _op(rt, "pow", _scaled(rt, "add", _one_minus(rt, x), eps), 2))
        return _over_n(rt, _op(rt, "mul", d, _op(rt, "div", num, den)), node)
    spread = _op(rt, "clamp_min", _op(rt, "mul", _one_minus(rt, x), x), min=eps)
    return _over_n(rt, _op(rt, "neg", _op(rt, "div", d, spread)), node)


LOSS_VJPS = {"binary_cross_entropy": _r_loss, "nll_loss": _r_loss, "smooth_l1_loss": _r_loss,
             "huber_loss": _r_loss, "nll_loss_backward": _r_nll_loss_backward,
             "smooth_l1_loss_backward": _r_piecewise_backward,
             "huber_loss_backward": _r_piecewise_backward,
             "soft_margin_loss_backward": _r_soft_margin_backward,
             "binary_cross_entropy_backward": _r_bce_backward}

# binary_cross_entropy by its target: PyTorch's formula is not recorded here
LOSS_ONLY_INPUTS = {"binary_cross_entropy": (0,), "soft_margin_loss_backward": (0, 1),
                    "binary_cross_entropy_backward": (0, 1, 2)}
