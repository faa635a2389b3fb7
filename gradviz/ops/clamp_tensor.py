"""clamp with tensor bounds: torch.clamp(x, min=lo, max=hi) where lo and hi
are tensors (broadcast with x), torch.clamp_min(x, lo), torch.clamp_max(x, hi).

Each bound is an input of the node and gets a gradient, as in PyTorch's
clamp_backward_min_max: x where lo <= x <= hi; lo where x < lo and lo < hi;
hi where x > hi, or everywhere lo > hi (the output is hi there). A tie with
a bound goes to x; where lo == hi and x is outside, nothing gets it.
(Clamps between numbers are ops/elementwise.py's "clamp", one input.)
"""
from __future__ import annotations

import numpy as np

from .elementwise import keep_where
from .registry import bcast_check, defop


def _clamp(x, lo, hi):
    # PyTorch's order: below lo gives lo, then above hi gives hi (so lo > hi
    # gives hi); a NaN in x or in a bound gives NaN; a tie keeps x (its -0.)
    if lo is not None:
        x = np.where((x < lo) | (lo != lo), lo, x)
    if hi is not None:
        x = np.where((x > hi) | (hi != hi), hi, x)
    return x


# who gets the gradient, per op and input: masks of (x, lo[, hi]) arrays
# (higher_order.py records them under create_graph=True)
MASKS = {
    "clamp_tensor": (lambda x, lo, hi: (x >= lo) & (x <= hi),
                     lambda x, lo, hi: (x < lo) & (lo < hi),
                     lambda x, lo, hi: (x > hi) | (hi < lo)),
    "clamp_min_tensor": (lambda x, lo: x >= lo, lambda x, lo: x < lo),
    "clamp_max_tensor": (lambda x, hi: x <= hi, lambda x, hi: x > hi),
}


def _masked(mask):
    return lambda g, ans, xs, p: keep_where(mask(*xs), g)


def _def(name, fwd, saved, formula, symbol):
    rules = tuple(_masked(m) for m in MASKS[name])
    # (PyTorch's node unpacks max_, min_, self_: the inputs backwards)
    defop(name, lambda t: t.params.get("grad_fn", "ClampBackward0"), fwd, vjp=rules, jvp=rules,
          saved=saved, saved_order="210"[-len(MASKS[name]):], formula=formula, symbol=symbol,
          check=bcast_check)


_def("clamp_tensor", lambda xs, p: _clamp(xs[0], xs[1], xs[2]), ("012",) * 3,
     ("d clamp(x,lo,hi)/dx = [lo <= x <= hi]", "d clamp(x,lo,hi)/dlo = [x < lo < hi]",
      "d clamp(x,lo,hi)/dhi = [x > hi or hi < lo]"), "clamp")
# one bound only: clamp(x, min=lo) (ClampBackward0), x.clamp_min(lo) (ClampMinBackward1)
_def("clamp_min_tensor", lambda xs, p: _clamp(xs[0], xs[1], None), ("01",) * 2,
     ("d clamp(x,lo)/dx = [x >= lo]", "d clamp(x,lo)/dlo = [x < lo]"), "clamp_min")
_def("clamp_max_tensor", lambda xs, p: _clamp(xs[0], None, xs[1]), ("01",) * 2,
     ("d clamp(x,hi)/dx = [x <= hi]", "d clamp(x,hi)/dhi = [x > hi]"), "clamp_max")
