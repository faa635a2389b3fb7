"""torch.batch_norm_update_stats's two results (out 0: the mean per channel,
out 1: the biased variance), which PyTorch records with no derivative
(NotImplemented); the batch's statistics as batch norm's CPU kernel
collects them (norm.batch_stats), in the dtype p["dtype"] (the running
statistics' float32 for a half input with float32 ones, else the input's)."""
from __future__ import annotations

import numpy as np

from .norm import batch_stats
from .registry import SAME, defop, no_derivative


def _forward(xs, p):
    mean, var_sum = batch_stats(xs[0])
    if p["out"] == 0:
        return mean.astype(p["dtype"])
    n = xs[0].size // xs[0].shape[1]
    return (var_sum.astype(np.float64) / n).astype(p["dtype"])


_NO_DERIVATIVE = no_derivative("batch_norm_update_stats", inputs=1)
defop("batch_norm_update_stats", _NO_DERIVATIVE.pop("grad_fn"), _forward,
      symbol="batch_norm_update_stats", dtype_rule=SAME, **_NO_DERIVATIVE)
