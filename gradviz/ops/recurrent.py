"""An LSTM layer as one op: PyTorch's CPU nn.LSTM on float32 runs each
layer (and direction) as one oneDNN kernel, recorded as one
MkldnnRnnLayerBackward0 node with edges (input, w_ih, w_hh, b_ih, b_hh,
hx, cx). That node has three outputs (the layer's output, its last h and
its last c); a gradviz node has one, so the op is applied three times,
p["out"] saying which (0, 1, 2): three nodes of that name, each
differentiating the whole layer for its own output.

Inputs: x (T, B, I), w_ih (4H, I), w_hh (4H, H), b_ih (4H,), b_hh (4H,),
hx (B, H), cx (B, H); p["reverse"]: the sequence read backwards (the
second direction of a bidirectional LSTM). The gates are PyTorch's: input,
forget, cell, output, in that order along 4H.
"""
from __future__ import annotations

import numpy as np

from .elementwise import _sigmoid, tanh
from .registry import SAME, defop

_F64 = np.float64
# the last reverse pass: (g, ans, xs, gradients of every input), so that the
# seven inputs of one node share one backpropagation through time (the
# engine asks for each input's gradient in turn, with the same g and ans)
_LAST: list = [None, None, None, None]


def _steps(xs, p) -> range:
    n = xs[0].shape[0]
    return range(n - 1, -1, -1) if p.get("reverse") else range(n)


def _run(xs, p):
    """The layer forward, step by step in the input's dtype: the output
    (T, B, H), and per step (h before, c before, i, f, g, o, c after)."""
    x, w_ih, w_hh, b_ih, b_hh, h, c = xs
    hidden = w_hh.shape[1]
    out = np.empty(x.shape[:2] + (hidden,), x.dtype)
    saved = {}
    for t in _steps(xs, p):
        gates = (x[t] @ w_ih.T + b_ih) + (h @ w_hh.T + b_hh)
        i, f, o = (_sigmoid(gates[:, k * hidden:(k + 1) * hidden]) for k in (0, 1, 3))
        g = tanh(gates[:, 2 * hidden:3 * hidden])
        c_new = f * c + i * g
        saved[t] = (h, c, i, f, g, o, c_new)
        h, c = o * tanh(c_new), c_new
        out[t] = h
    return out, h, c, saved


def _forward(xs, p):
    return _run(xs, p)[p["out"]]


def _backward(g, xs, p) -> list:
    """Every input's gradient for the cotangent g of output p["out"]
    (backpropagation through time, in float64)."""
    x, w_ih, w_hh = (np.asarray(v, _F64) for v in xs[:3])
    _, _, _, saved = _run(xs, p)
    which = p["out"]
    g = np.asarray(g, _F64)
    batch, hidden = xs[5].shape
    dh = g if which == 1 else np.zeros((batch, hidden))
    dc = g if which == 2 else np.zeros((batch, hidden))
    dx, dw_ih, dw_hh = np.zeros(x.shape), np.zeros(w_ih.shape), np.zeros(w_hh.shape)
    db = np.zeros(w_ih.shape[0])
    for t in reversed(_steps(xs, p)):
        h0, c0, i, f, gg, o, c1 = (np.asarray(v, _F64) for v in saved[t])
        if which == 0:
            dh = dh + g[t]
        tc = np.tanh(c1)
        dc = dc + dh * o * (1 - tc * tc)
        da = np.concatenate([dc * gg * i * (1 - i), dc * c0 * f * (1 - f),
                             dc * i * (1 - gg * gg), dh * tc * o * (1 - o)], axis=1)
        dx[t] = da @ w_ih
        dw_ih += da.T @ x[t]
        dw_hh += da.T @ h0
        db += da.sum(axis=0)
        dh, dc = da @ w_hh, dc * f
    grads = [dx, dw_ih, dw_hh, db, db, dh, dc]
    return [gi.astype(v.dtype) for gi, v in zip(grads, xs)]


def _vjp(g, ans, xs, p, i):
    last = _LAST
    if not (last[0] is g and last[1] is ans and len(last[2]) == len(xs)
            and all(a is b for a, b in zip(last[2], xs))):
        last[:] = [g, ans, list(xs), _backward(g, xs, p)]
    return last[3][i]


def _jvp(tangent, ans, xs, p, i):
    """The output's tangent for input i's tangent (the others held still)."""
    x, w_ih, w_hh, _, _, h_in, c_in = (np.asarray(v, _F64) for v in xs)
    _, _, _, saved = _run(xs, p)
    ts = [np.zeros(np.shape(v)) for v in xs]
    ts[i] = np.asarray(tangent, _F64)
    tx, tw_ih, tw_hh, tb_ih, tb_hh, dh, dc = ts
    out = np.zeros(x.shape[:2] + (w_hh.shape[1],))
    for t in _steps(xs, p):
        h0, c0, ig, f, gg, o, c1 = (np.asarray(v, _F64) for v in saved[t])
        da = tx[t] @ w_ih.T + x[t] @ tw_ih.T + tb_ih + dh @ w_hh.T + h0 @ tw_hh.T + tb_hh
        di, df, dg, do = np.split(da, 4, axis=1)
        dc = (df * f * (1 - f)) * c0 + f * dc + (di * ig * (1 - ig)) * gg + ig * dg * (1 - gg * gg)
        tc = np.tanh(c1)
        dh = do * o * (1 - o) * tc + o * (1 - tc * tc) * dc
        out[t] = dh
    return (out, dh, dc)[p["out"]].astype(ans.dtype)


def _saved(node) -> tuple:
    every = "".join(str(i) for i in range(len(node.args)))
    return (every,) * len(node.args)


defop("mkldnn_rnn_layer", "MkldnnRnnLayerBackward0", _forward, vjp=(_vjp,), jvp=(_jvp,),
      formula=("backpropagation through time of an LSTM layer: i, f, o = sigmoid, "
               "g = tanh of x W_ih^T + b_ih + h W_hh^T + b_hh; c' = f c + i g; h' = o tanh(c')",),
      symbol="lstm", saved=_saved, dtype_rule=SAME, variadic=True)


# ---- torch.nn.utils.rnn.pack_padded_sequence: _pack_padded_sequence ----------
# A padded batch (T, B, *) (or (B, T, *) with p["batch_first"]) to the rows of a
# PackedSequence: step after step, the first batch_sizes[t] sequences of step t.
# p["batch_sizes"]: a tuple, non-increasing (the lengths were sorted before).

def _packed_rows(p) -> tuple:
    """(steps, columns): where each packed row is in the (T, B) padded grid."""
    steps = np.array([t for t, n in enumerate(p["batch_sizes"]) for _ in range(n)], np.intp)
    cols = np.array([b for n in p["batch_sizes"] for b in range(n)], np.intp)
    return (cols, steps) if p["batch_first"] else (steps, cols)


def _pack_forward(xs, p):
    return np.ascontiguousarray(np.asarray(xs[0])[_packed_rows(p)])


def _pack_vjp(g, ans, xs, p):
    # each packed row's gradient back at its place; the padding gets 0
    out = np.zeros(np.shape(xs[0]), np.asarray(g).dtype)
    out[_packed_rows(p)] = g
    return out


def _pack_jvp(t, ans, xs, p):
    return _pack_forward([t], p)


defop("pack_padded", "PackPaddedSequenceBackward0", _pack_forward, vjp=(_pack_vjp,),
      jvp=(_pack_jvp,), formula=("the packed rows' gradients back at their places in the "
                                 "padded batch, 0 in the padding",),
      symbol="pack", saves=False, dtype_rule=SAME)
