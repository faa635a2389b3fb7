"""create_graph=True through an LSTM layer (ops/recurrent.py's
mkldnn_rnn_layer): the layer's steps rebuilt from registry ops, then
backpropagation through time written with them, as PyTorch decomposes the
layer's backward under create_graph (the input's gradient a cat of one mm a
step). The gradient is then a graph like any other: a gradient penalty or a
Hessian-vector product through an LSTM differentiates it again.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import numpy as np

from .higher_order import _const, _one_minus, _op

# the last pass: (node, g, every input's gradient), so that the seven
# inputs of one node share one backpropagation through time (the pass asks
# for each input's gradient in turn, with the same g)
_LAST: list = [None, None, None]


def _pick(rt, t, index: tuple, grad_fn: str):
    return _op(rt, "index", t, index=index, advanced=False, grad_fn=grad_fn)


def _steps_forward(rt, node):
    """The layer's steps as ops: per step (h before, c before, i, f, g, o, c
    after, x_t), in the order the layer reads the sequence."""
    x, w_ih, w_hh, b_ih, b_hh, h, c = node.args
    hidden = w_hh.data.shape[1]
    n = x.data.shape[0]
    steps = range(n - 1, -1, -1) if node.params.get("reverse") else range(n)
    w_ih_t, w_hh_t = _op(rt, "t", w_ih), _op(rt, "t", w_hh)
    saved = {}
    for t in steps:
        xt = _pick(rt, x, (t,), "SelectBackward0")
        gates = _op(rt, "add", _op(rt, "add", _op(rt, "matmul", xt, w_ih_t), b_ih),
                    _op(rt, "add", _op(rt, "matmul", h, w_hh_t), b_hh))
        part = [_pick(rt, gates, (slice(None), slice(k * hidden, (k + 1) * hidden)),
                      "SliceBackward0") for k in range(4)]
        i, f, o = (_op(rt, "sigmoid", part[k]) for k in (0, 1, 3))
        g = _op(rt, "tanh", part[2])
        c_new = _op(rt, "add", _op(rt, "mul", f, c), _op(rt, "mul", i, g))
        saved[t] = (h, c, i, f, g, o, c_new, xt)
        h, c = _op(rt, "mul", o, _op(rt, "tanh", c_new)), c_new
    return steps, saved


def _slope(rt, s):
    """s (1 - s): a sigmoid's derivative from its value."""
    return _op(rt, "mul", s, _one_minus(rt, s))


def _bptt(rt, g, node) -> list:
    """Every input's gradient for the cotangent g of output p["out"] (the
    layer's output, its last h or its last c), as graph ops."""
    x, w_ih, w_hh = node.args[:3]
    steps, saved = _steps_forward(rt, node)
    which = node.params["out"]
    shape = node.args[5].data.shape
    dh = g if which == 1 else _const(rt, np.zeros(shape, x.data.dtype), "zeros")
    dc = g if which == 2 else _const(rt, np.zeros(shape, x.data.dtype), "zeros")
    dxs, dw_ih, dw_hh, db = {}, [], [], []
    for t in reversed(steps):
        h0, c0, i, f, gg, o, c1, xt = saved[t]
        if which == 0:
            dh = _op(rt, "add", dh, _pick(rt, g, (t,), "SelectBackward0"))
        tc = _op(rt, "tanh", c1)
        dc = _op(rt, "add", dc, _op(rt, "mul", _op(rt, "mul", dh, o),
                                    _one_minus(rt, _op(rt, "mul", tc, tc))))
        da = _op(rt, "cat",
                 _op(rt, "mul", _op(rt, "mul", dc, gg), _slope(rt, i)),
                 _op(rt, "mul", _op(rt, "mul", dc, c0), _slope(rt, f)),
                 _op(rt, "mul", _op(rt, "mul", dc, i), _one_minus(rt, _op(rt, "mul", gg, gg))),
                 _op(rt, "mul", _op(rt, "mul", dh, tc), _slope(rt, o)), dim=1)
        dxs[t] = _op(rt, "unsqueeze", _op(rt, "matmul", da, w_ih), dim=0)
        da_t = _op(rt, "t", da)
        dw_ih.append(_op(rt, "matmul", da_t, xt))
        dw_hh.append(_op(rt, "matmul", da_t, h0))
        db.append(_op(rt, "sum", da, dim=(0,), keepdim=False))
        dh, dc = _op(rt, "matmul", da, w_hh), _op(rt, "mul", dc, f)
    dx = _op(rt, "cat", *(dxs[t] for t in range(x.data.shape[0])), dim=0)
    db = _total(rt, db)
    return [dx, _total(rt, dw_ih), _total(rt, dw_hh), db, db, dh, dc]


def _total(rt, parts: list):
    out = parts[0]
    for p in parts[1:]:
        out = _op(rt, "add", out, p)
    return out


def _r_lstm_layer(rt, g, node, i):
    last = _LAST
    if not (last[0] is node and last[1] is g):
        last[:] = [node, g, _bptt(rt, g, node)]
    return last[2][i]


def _r_pack(rt, g, node, i):
    # the packed rows' gradients back at their places in the padded batch
    # (PyTorch's slices written into zeros: CopySlices)
    return _op(rt, "pack_padded_backward", g, shape=node.args[0].data.shape, **node.params)


def _r_pack_backward(rt, gg, node, i):
    return _op(rt, "pack_padded", gg, **{k: v for k, v in node.params.items() if k != "shape"})


RNN_VJPS = {"mkldnn_rnn_layer": _r_lstm_layer, "pack_padded": _r_pack,
            "pack_padded_backward": _r_pack_backward}
