"""create_graph=True rules of the convolutions and poolings: their gradient
is one node of their backward op (ops/conv_backward.py), as PyTorch records
ConvolutionBackwardBackward0 and the poolings' ...BackwardBackward0; and
those backward ops' own rules (a third derivative): the convolution and its
gradients again, the average poolings of the incoming gradient, and for the
max poolings its values gathered at the windows' maxima, as PyTorch's
max_pool_double_backward.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor, or
None where PyTorch's gradient is undefined (not zeros).
"""
from __future__ import annotations

import math

import numpy as np

from .higher_order import _const, _op

_OUTPUTS = ("input", "weight", "bias")


def _r_conv(rt, g, node, i):
    """Gradient i of a convolution: convolution_backward of (g, x, w), the
    node PyTorch's gradients share (one node each here)."""
    x, w = node.args[:2]
    return _op(rt, "convolution_backward", g, x, w, op=node.op.name, output=_OUTPUTS[i],
               **node.params)


def _r_conv_backward(rt, gg, node, i):
    """convolution_backward(g, x, w)'s gradients (ops/conv_backward.py's
    VJPs as ops): by g the convolution of gg (gg as the input, the weight or
    the bias's gradient); by x only for the weight's gradient, by w only for
    the input's: the other gradient of the convolution with gg in its place."""
    g, x, w = node.args
    p = node.params
    conv = {k: v for k, v in p.items() if k not in ("op", "output")}
    which = p["output"]
    if i == 0:
        if which == "bias":
            per_channel = _op(rt, "view", gg, shape=(1, -1) + (1,) * (g.data.ndim - 2))
            return _op(rt, "expand", per_channel, shape=g.data.shape)
        operands = (gg, w) if which == "input" else (x, gg)
        return _op(rt, p["op"], *operands, **conv)
    if i == 1:
        return None if which != "weight" else _op(
            rt, "convolution_backward", g, x, gg, op=p["op"], output="input", **conv)
    return None if which != "input" else _op(
        rt, "convolution_backward", g, gg, w, op=p["op"], output="weight", **conv)


def _r_pool(rt, g, node, i):
    return _op(rt, f"{node.op.name}_backward", g, node.args[0], **node.params)


def _r_linear_backward(rt, gg, node, i):
    """An average pooling's or an upsampling's backward: linear in g (the
    pooling of the incoming gradient), constant in x."""
    if i == 1:
        return _const(rt, np.zeros_like(node.args[1].data), "zeros")
    return _op(rt, node.op.name[:-len("_backward")], gg, **node.params)


def _r_max_backward(rt, gg, node, i):
    """A max pooling's backward: linear in g, its gradient gg's values at each
    window's max (PyTorch's max_pool_double_backward: a view, a gather, a
    view); constant in x."""
    x = node.args[1].data
    if i == 1:
        return _const(rt, np.zeros_like(x), "zeros")
    k = int(node.op.name[-len("d_backward") - 1])        # (max_pool3d_backward: 3)
    if node.op.name.startswith("max_pool"):
        from .ops.pool import max_pool_branch
        where = max_pool_branch(x, node.params, k)
    else:
        from .ops.im2col import adaptive_max_indices
        where = adaptive_max_indices(x)(node.params)
    lead = x.shape[:-k]
    flat = _op(rt, "view", gg, shape=lead + (math.prod(x.shape[-k:]),))
    index = np.ascontiguousarray(where.reshape(lead + (-1,)))
    picked = _op(rt, "gather", flat, dim=len(lead), index=index, grad_fn="GatherBackward0")
    return _op(rt, "view", picked, shape=where.shape)


def _r_grid_sample(rt, g, node, i):
    """Gradient i of F.grid_sample: grid_sampler_backward of (g, input,
    grid), PyTorch's GridSampler2DBackwardBackward0 (one node each here)."""
    x, grid = node.args
    if node.params["mode"] == "bicubic":
        from .higher_order import _unsupported
        raise _unsupported("grid_sampler", " with mode='bicubic'")
    return _op(rt, "grid_sampler_backward", g, x, grid, output=("input", "grid")[i],
               **node.params)


def _r_grid_sample_backward(rt, gg, node, i):
    """grid_sampler_backward's gradients as graph ops (a third derivative):
    the input gradient's by g, the sampling of gg; by the input undefined
    (None). The others have no op of their own here."""
    which = node.params["output"]
    if which == "input" and i == 1:
        return None
    if which == "input" and i == 0:
        params = {k: v for k, v in node.params.items() if k != "output"}
        return _op(rt, "grid_sampler", gg, node.args[2], **params)
    from .higher_order import _unsupported
    raise _unsupported("grid_sampler_backward",
                       " (a third derivative through F.grid_sample)")


CONV_VJPS = {**dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                              "conv_transpose2d", "conv_transpose3d"), _r_conv),
             **dict.fromkeys((f"{pool}{k}d" for pool in ("max_pool", "avg_pool",
                                                         "adaptive_avg_pool") for k in (2, 3)),
                             _r_pool),
             "convolution_backward": _r_conv_backward,
             "grid_sampler": _r_grid_sample, "grid_sampler_backward": _r_grid_sample_backward,
             **dict.fromkeys((f"{pool}{k}d_backward" for pool in ("avg_pool", "adaptive_avg_pool")
                              for k in (2, 3)), _r_linear_backward),
             **dict.fromkeys((f"{pool}{k}d_backward" for pool in ("max_pool", "adaptive_max_pool")
                              for k in (2, 3)), _r_max_backward)}
