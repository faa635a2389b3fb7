"""create_graph=True rules of the ops that pick elements (max/min along a
dim, gather, sort, topk, index_select, take, masked_select, diagonal, diag,
trace) and of cumprod, with the nodes PyTorch records: each gather's
gradient is one scatter node (ops/select_backward.py), whose own gradient
is the gather again.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _keepdim, _op, _x
from .ops.reduce import _axis


def _r_gathered(rt, g, node, i):
    # gather's gradient is a scatter_add; sort's and topk's (indices that
    # do not repeat) PyTorch's value_selecting_reduction_backward, a scatter
    p = node.params
    back = "ScatterAddBackward0" if p["grad_fn"] == "GatherBackward0" else "ScatterBackward0"
    return _op(rt, "gather_backward", g, shape=_x(node).data.shape, dim=p["dim"],
               index=p["index"], grad_fn=back)


def _r_gather_backward(rt, g, node, i):
    p = node.params
    return _op(rt, "gather", g, dim=p["dim"], index=p["index"], grad_fn="GatherBackward0")


def _r_extreme_dim(rt, g, node, i):
    # PyTorch's value_selecting_reduction_backward: the gradient (unsqueezed
    # back) scattered to the index max/min returned (the first of ties)
    x = _x(node).data
    d = _axis(node.params)
    if d is None:                         # a 0-d tensor: its one element
        d, index = 0, np.zeros((), np.int64)
    else:
        argf = np.argmax if node.op.name == "max_dim" else np.argmin
        index = np.expand_dims(argf(x, axis=d), d)
    return _op(rt, "gather_backward", _keepdim(rt, g, node), shape=x.shape, dim=d,
               index=index, grad_fn="ScatterBackward0")


def _r_index_select(rt, g, node, i):
    p = node.params
    return _op(rt, "index_select_backward", g, shape=_x(node).data.shape, dim=p["dim"],
               index=p["index"])


def _r_index_select_backward(rt, g, node, i):
    # PyTorch's grad.index_select(dim, index).expand_as(source): an
    # ExpandBackward0 node even where the shape is already the source's
    picked = _op(rt, "index_select", g, dim=node.params["dim"], index=node.params["index"])
    return _op(rt, "expand", picked, shape=picked.data.shape)


def _r_take(rt, g, node, i):
    return _op(rt, "take_backward", g, shape=_x(node).data.shape, index=node.params["index"])


def _r_take_backward(rt, g, node, i):
    # PyTorch's grad.take(index).reshape_as(source): a view
    taken = _op(rt, "take", g, index=node.params["index"])
    return _op(rt, "view", taken, shape=taken.data.shape)


def _r_masked_select(rt, g, node, i):
    # zeros of the broadcast shape, masked_scatter'ed; summed back to x's
    # shape by the pass (PyTorch's sum and view)
    x, mask = node.args
    shape = np.broadcast_shapes(x.data.shape, mask.data.shape)
    return _op(rt, "masked_select_backward", g, mask, shape=shape)


def _r_masked_select_backward(rt, g, node, i):
    out = _op(rt, "masked_select", g, node.args[1])
    if out.recorded:           # PyTorch's masked_scatter_backward: its own name
        out.meta = {**(out.meta or {}), "grad_fn_name": "MaskedScatterBackwardBackward0"}
    return out


def _diagonal_params(node):
    return {k: node.params[k] for k in ("offset", "dim1", "dim2")}


def _r_diagonal(rt, g, node, i):
    return _op(rt, "diagonal_backward", g, shape=_x(node).data.shape, **_diagonal_params(node))


def _r_diagonal_backward(rt, g, node, i):
    return _op(rt, "diagonal", g, **_diagonal_params(node))


def _r_diag_embed(rt, g, node, i):
    return _op(rt, "diagonal", g, offset=node.params["offset"], dim1=0, dim2=1)


def _trace_positions(shape):
    rows, cols = shape
    return np.arange(0, min(rows, cols) * (cols + 1), cols + 1, dtype=np.int64)


def _r_trace(rt, g, node, i):
    # PyTorch's trace_backward: zeros(n * m).index_fill_(0, diagonal, g).view(n, m)
    shape = _x(node).data.shape
    flat = _op(rt, "trace_backward", g, size=shape[0] * shape[1], index=_trace_positions(shape))
    return _op(rt, "view", flat, shape=shape)


def _r_trace_backward(rt, g, node, i):
    # index_fill's value: the filled positions' gradient, summed
    picked = _op(rt, "index_select", g, dim=0, index=node.params["index"])
    return _op(rt, "sum", picked, dim=None, keepdim=False)


def _r_cumprod(rt, g, node, i):
    # PyTorch's formula without zeros in x (REFUSALS has the others):
    # (result * grad).flip(dim).cumsum(dim).flip(dim) / x
    x = _x(node)
    if x.data.ndim == 0:
        return g
    d = node.params["dim"]
    w = _op(rt, "flip", _op(rt, "mul", node, g), dims=(d,))
    summed = _op(rt, "flip", _op(rt, "cumsum", w, dim=d), dims=(d,))
    return _op(rt, "div", summed, x)


def _zero_in_input(node):
    return " with a zero in its input" if (_x(node).data == 0).any() else None


SELECT_VJPS = {
    "gather": _r_gathered, "gather_backward": _r_gather_backward,
    "max_dim": _r_extreme_dim, "min_dim": _r_extreme_dim,
    "index_select": _r_index_select, "index_select_backward": _r_index_select_backward,
    "take": _r_take, "take_backward": _r_take_backward,
    "masked_select": _r_masked_select, "masked_select_backward": _r_masked_select_backward,
    "diagonal": _r_diagonal, "diagonal_backward": _r_diagonal_backward,
    "diag_embed": _r_diag_embed, "trace": _r_trace, "trace_backward": _r_trace_backward,
    "cumprod": _r_cumprod,
}

SELECT_REFUSALS = {"cumprod": _zero_in_input}
