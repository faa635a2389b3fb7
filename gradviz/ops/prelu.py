"""F.prelu as one node (PreluKernelBackward0): x where x > 0, else the
weight of x's channel (dim 1; one weight for every channel) times x."""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop, unbroadcast


def _channel_weight(x, w):
    """w shaped to broadcast over x: along dim 1 when there is one per channel."""
    x, w = np.asarray(x), np.asarray(w)
    if w.size == 1:
        return w.reshape(())
    return w.reshape((1, w.size) + (1,) * (x.ndim - 2))


def _prelu(xs, p):
    x, w = np.asarray(xs[0]), np.asarray(xs[1])
    return np.where(x > 0, x, _channel_weight(x, w) * x).astype(x.dtype)


def _grad_input(g, ans, xs, p):
    x = np.asarray(xs[0])
    return np.where(x > 0, g, _channel_weight(x, xs[1]) * g).astype(np.result_type(g))


def _grad_weight(g, ans, xs, p):
    """x * g where x <= 0, summed over everything but the channel."""
    x, w = np.asarray(xs[0]), np.asarray(xs[1])
    part = np.where(x > 0, 0, x * g).astype(np.result_type(g))
    return unbroadcast(part, _channel_weight(x, w).shape).reshape(w.shape)


def _tangent_weight(t, ans, xs, p):
    x = np.asarray(xs[0])
    return np.where(x > 0, 0, _channel_weight(x, t) * x).astype(x.dtype)


defop("prelu", "PreluKernelBackward0", _prelu, vjp=(_grad_input, _grad_weight),
      jvp=(_grad_input, _tangent_weight), saved=("0", "1"), dtype_rule=SAME,
      formula=("d prelu(x, w)/dx = 1 where x > 0, else w (its channel's)",
               "d prelu(x, w)/dw = x where x <= 0, else 0 (summed over all but the channel)"))
