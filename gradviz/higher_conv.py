"""create_graph=True rules of the convolutions and poolings: their gradient
is one node of their backward op (ops/conv_backward.py), as PyTorch records
ConvolutionBackwardBackward0 and the poolings' ...BackwardBackward0. Those
ops' own rules (a third derivative) are not recorded: refused.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

from .higher_order import _op

_OUTPUTS = ("input", "weight", "bias")


def _r_conv(rt, g, node, i):
    """Gradient i of a convolution: convolution_backward of (g, x, w), the
    node PyTorch's gradients share (one node each here)."""
    x, w = node.args[:2]
    return _op(rt, "convolution_backward", g, x, w, op=node.op.name, output=_OUTPUTS[i],
               **node.params)


def _r_pool(rt, g, node, i):
    return _op(rt, f"{node.op.name}_backward", g, node.args[0], **node.params)


CONV_VJPS = {**dict.fromkeys(("conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"),
                             _r_conv),
             **dict.fromkeys(("max_pool2d", "avg_pool2d", "adaptive_avg_pool2d"), _r_pool)}
