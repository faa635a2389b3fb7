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
    return _op(rt, "grid_sampler_backward", g, x, grid, output=("input", "grid")[i],
               **node.params)


def _r_grid_sample_backward(rt, gg, node, i):
    """The input gradient's own gradients (a third derivative): by g the
    sampling of gg, by the input none (undefined), by the grid the grid
    gradient of sampling gg given g. (The grid gradient's: GRID_REFUSALS.)"""
    g, _, grid = node.args
    params = {k: v for k, v in node.params.items() if k != "output"}
    if i == 0:
        return _op(rt, "grid_sampler", gg, grid, **params)
    if i == 1:
        return None
    return _op(rt, "grid_sampler_backward", g, gg, grid, output="grid", **params)


# cases the rules above do not record, refused before anything is
GRID_REFUSALS = {
    "grid_sampler": lambda node: " with mode='bicubic'" if node.params["mode"] == "bicubic"
    else None,
    "grid_sampler_backward": lambda node: " of the grid's gradient (a third derivative "
    "through F.grid_sample's grid)" if node.params["output"] == "grid" else None}


def _tbc_steps(x, g, w, pad: int):
    """conv_tbc_backward's loop: per kernel position k that overlaps, (k,
    the input steps it reads, the output steps it writes, their count)."""
    from .ops.conv import _tbc_spans
    for k, ins, outs in _tbc_spans(x.data.shape[0], g.data.shape[0], w.data.shape[0], pad):
        yield k, ins.start, outs.start, ins.stop - ins.start


def _r_conv_tbc(rt, g, node, i):
    """conv_tbc's gradients as PyTorch's conv_tbc_backward composes them
    (its ATen ops recorded: CopySlices of in-place addmm_ into views of
    zeros for the input's and the weight's, CopyBackwards of a copy_ of
    two sums for the bias's)."""
    from . import functions as F
    x, w, b = node.args
    pad = (node.params or {}).get("pad", 0)
    m = F.METHODS
    batch, c_in, c_out = x.data.shape[1], x.data.shape[2], w.data.shape[2]
    if i == 2:
        out = F.FUNCTIONS["zeros_like"](rt, b)
        return m["copy_"](rt, out, m["sum"](rt, m["sum"](rt, g, 0, False), 0))
    out = F.FUNCTIONS["zeros_like"](rt, x if i == 0 else w)
    for k, start, at, n in _tbc_steps(x, g, w, pad):
        out = rt._latest(out)       # (the zeros as the last write left them)
        d_out = m["view"](rt, m["narrow"](rt, g, 0, at, n), n * batch, c_out)
        if i == 0:
            part = m["view"](rt, m["narrow"](rt, out, 0, start, n), n * batch, c_in)
            m["addmm_"](rt, part, d_out, m["t"](rt, m["select"](rt, w, 0, k)))
        else:
            seen = m["t"](rt, m["view"](rt, m["narrow"](rt, x, 0, start, n), n * batch, c_in))
            m["addmm_"](rt, m["select"](rt, out, 0, k), seen, d_out)
    return rt._latest(out)


CONV_VJPS = {**dict.fromkeys(("conv1d", "conv2d", "conv3d", "conv_transpose1d",
                              "conv_transpose2d", "conv_transpose3d"), _r_conv),
             **dict.fromkeys((f"{pool}{k}d" for pool in ("max_pool", "avg_pool",
                                                         "adaptive_avg_pool") for k in (2, 3)),
                             _r_pool),
             "convolution_backward": _r_conv_backward,
             "conv_tbc": _r_conv_tbc, "grid_sampler": _r_grid_sample,
             "grid_sampler_backward": _r_grid_sample_backward,
             **dict.fromkeys((f"{pool}{k}d_backward" for pool in ("avg_pool", "adaptive_avg_pool")
                              for k in (2, 3)), _r_linear_backward),
             **dict.fromkeys((f"{pool}{k}d_backward" for pool in ("max_pool", "adaptive_max_pool")
                              for k in (2, 3)), _r_max_backward)}
