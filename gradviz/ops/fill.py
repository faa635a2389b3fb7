"""torch.fill(x, value): a tensor of x's shape and dtype holding one value,
a number (FillBackward0) or a 0-d tensor (FillBackward1, whose gradient is
the sum of the output's); x.fill_(value) in the graph the same, as
FillBackward2 and FillBackward3. Argument checks are in fill_fns.py.
x.set_(source) with gradients: x takes source's memory, recorded with no
derivative (inplace_views.m_set_ hands the node its new array).
"""
from __future__ import annotations

import numpy as np

from .reduce import _sum_fwd
from .registry import SAME, defop, no_derivative


def _fill(xs, p):
    x = xs[0]
    value = xs[1] if len(xs) == 2 else p["value"]
    return np.full(np.shape(x), value, np.asarray(x).dtype)


def _grad_fn(t) -> str:
    value_tensor = len(t.args) == 2
    if t.params.get("inplace"):         # x.fill_(v), recorded
        return "FillBackward3" if value_tensor else "FillBackward2"
    return "FillBackward1" if value_tensor else "FillBackward0"


defop("fill", _grad_fn, _fill,
      vjp=(lambda g, ans, xs, p: np.zeros_like(g), lambda g, ans, xs, p: _sum_fwd([g], {})),
      jvp=(lambda t, ans, xs, p: np.zeros_like(ans),
           lambda t, ans, xs, p: np.full(ans.shape, t, ans.dtype)),
      saves=False, dtype_rule=SAME,
      formula=("d fill(x, v)/dx = 0", "d fill(x, v)/dv = 1 per element"))


# (its edges: x before, and source for set_(source); the values are p["memory"])
defop("set_", forward=lambda xs, p: p["memory"], dtype_rule=SAME,
      **no_derivative("set_", named="set_"))
