"""One-node ops of torch.nn.functional's vision and metric-learning layers:
soft_margin_loss, pixel_shuffle / pixel_unshuffle, and the upsamplings of
F.interpolate (nearest, nearest-exact, linear, bilinear)."""
from __future__ import annotations

import numpy as np

from .nn import _loss_total
from .registry import FLOAT, OPS, defop


def _exp(x):
    return OPS["exp"].forward([x], {})


def _log1p(x):
    return OPS["log1p"].forward([x], {})


# ---- soft_margin_loss: inputs (input, target); p["reduction"] ---------------
# target broadcasts to the input's shape (not the other way, as PyTorch's out=)

def _soft_margin_fwd(xs, p):
    x, y = xs
    dt = np.result_type(x, y)
    loss = _log1p(_exp((-x * y).astype(dt, copy=False)))
    return loss if p["reduction"] == "none" else _loss_total(loss, p["reduction"])


def _soft_margin_vjp(g, ans, xs, p):
    """PyTorch's soft_margin_loss_backward: target * z * -norm / (1 + z) * g,
    z = exp(-target * x), in that order."""
    x, y = xs
    dt = np.result_type(x, y)
    y = np.broadcast_to(y, x.shape).astype(dt, copy=False)
    norm = dt.type(1.0 / x.size) if p["reduction"] == "mean" else dt.type(1)
    z = _exp((-y * x).astype(dt, copy=False))
    out = (y * z * -norm) / (z + dt.type(1)) * np.asarray(g, dt)
    return out.astype(dt, copy=False)


def _soft_margin_jvp(t, ans, xs, p):
    d = _soft_margin_vjp(np.ones((), ans.dtype), ans, xs, {"reduction": "none"}) * t
    return d if p["reduction"] == "none" else _loss_total(d, p["reduction"])


defop("soft_margin_loss", "SoftMarginLossBackward0", _soft_margin_fwd,
      vjp=(_soft_margin_vjp, None), jvp=(_soft_margin_jvp, None), saved=("01", "01"),
      formula=("d log(1 + exp(-y x))/dx = -y exp(-y x) / (1 + exp(-y x))",),
      symbol="soft_margin_loss", dtype_rule=FLOAT)
