"""group_norm: inputs (x, [weight], [bias]); p: "groups", "eps", "affine"
("wb", "w", "b" or "": which of weight and bias are given). Each sample's
channels split into groups, each group normalized over its channels and
positions (mean 0, biased variance 1, eps added), then * weight + bias per
channel: PyTorch's one NativeGroupNormBackward0 node. Computed in float64
and rounded once (PyTorch's float32 moments differ in the last bit)."""
from __future__ import annotations

import numpy as np

from .norm import _all_saved
from .registry import SAME, defop


def _grouped(x, p):
    """x (N, C, *) as (N, G, C/G * positions), in float64."""
    return x.astype(np.float64).reshape(x.shape[0], p["groups"], -1)


def _normalized(x, p):
    """x-hat (N, G, k) and 1/sqrt(var + eps) (N, G, 1)."""
    xg = _grouped(x, p)
    mean = xg.mean(axis=2, keepdims=True)
    rstd = 1.0 / np.sqrt(((xg - mean) ** 2).mean(axis=2, keepdims=True) + p["eps"])
    return (xg - mean) * rstd, rstd


def _per_channel(v, x):
    """A (C,) weight or bias shaped to broadcast over x (N, C, *)."""
    return np.asarray(v, np.float64).reshape((1, -1) + (1,) * (x.ndim - 2))


def _affine(xs, p):
    """The weight and bias given (None where not)."""
    rest = list(xs[1:])
    weight = rest.pop(0) if "w" in p["affine"] else None
    bias = rest.pop(0) if "b" in p["affine"] else None
    return weight, bias


def _fwd(xs, p):
    x = xs[0]
    xhat, _ = _normalized(x, p)
    y = xhat.reshape(x.shape)
    weight, bias = _affine(xs, p)
    if weight is not None:
        y = y * _per_channel(weight, x)
    if bias is not None:
        y = y + _per_channel(bias, x)
    return y.astype(x.dtype)


def _dx(g, xs, p):
    """rstd (g' - mean(g') - x-hat mean(g' x-hat)) per group, g' = g * weight."""
    x = xs[0]
    weight, _ = _affine(xs, p)
    gw = np.asarray(g, np.float64)
    if weight is not None:
        gw = gw * _per_channel(weight, x)
    xhat, rstd = _normalized(x, p)
    gg = gw.reshape(xhat.shape)
    out = rstd * (gg - gg.mean(axis=2, keepdims=True)
                  - xhat * (gg * xhat).mean(axis=2, keepdims=True))
    return out.reshape(x.shape).astype(x.dtype)


def _channel_sum(v, x):
    """v (N, C, *) summed to one number per channel."""
    return v.reshape(x.shape[0], x.shape[1], -1).sum(axis=(0, 2))


def _dweight(g, ans, xs, p):
    x = xs[0]
    xhat, _ = _normalized(x, p)
    return _channel_sum(np.asarray(g, np.float64) * xhat.reshape(x.shape), x).astype(x.dtype)


def _dbias(g, ans, xs, p):
    x = xs[0]
    return _channel_sum(np.asarray(g, np.float64), x).astype(x.dtype)


def _vjps(affine: str) -> tuple:
    rules = [lambda g, ans, xs, p: _dx(g, xs, p)]
    if "w" in affine:
        rules.append(_dweight)
    if "b" in affine:
        rules.append(_dbias)
    return tuple(rules)


def _vjp(i):
    """Input i's rule: x, then weight, then bias (of those given)."""
    def rule(g, ans, xs, p):
        return _vjps(p["affine"])[i](g, ans, xs, p)
    return rule


def _jvp(i):
    """The tangent of input i: x's through x-hat's derivative (times the
    weight), the weight's times x-hat, the bias's itself."""
    def rule(t, ans, xs, p):
        x = xs[0]
        names = ["x"] + [n for n in ("w", "b") if n in p["affine"]]
        which = names[i]
        if which == "x":
            weight, _ = _affine(xs, p)
            xhat, rstd = _normalized(x, p)
            tg = np.asarray(t, np.float64).reshape(xhat.shape)
            dxhat = rstd * (tg - tg.mean(axis=2, keepdims=True)
                            - xhat * (tg * xhat).mean(axis=2, keepdims=True))
            out = dxhat.reshape(x.shape)
            if weight is not None:
                out = out * _per_channel(weight, x)
            return out.astype(x.dtype)
        if which == "w":
            xhat, _ = _normalized(x, p)
            return (xhat.reshape(x.shape) * _per_channel(t, x)).astype(x.dtype)
        return np.broadcast_to(_per_channel(t, x), x.shape).astype(x.dtype)
    return rule


defop("group_norm", "NativeGroupNormBackward0", _fwd, vjp=tuple(_vjp(i) for i in range(3)),
      jvp=tuple(_jvp(i) for i in range(3)), saved=_all_saved,
      formula=("d group_norm/dx = rstd (g' - mean(g') - x_hat mean(g' x_hat)) per group",
               "d/dweight = sum of g x_hat per channel", "d/dbias = sum of g per channel"),
      symbol="F.group_norm", dtype_rule=SAME)
