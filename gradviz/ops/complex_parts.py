"""torch.angle of a real tensor: the argument of x as a complex number, pi
for a negative x, 0 otherwise (NaN kept), with AngleBackward0, whose
gradient on real tensors is 0 (derivatives.yaml's angle_backward); and
x.conj_physical_(), on a real tensor a copy of x (ConjPhysicalBackward1,
the gradient passed on as it is).
Argument checks are in complex_fns.py.
"""
from __future__ import annotations

import numpy as np

from .registry import FLOAT, SAME, defop


def _angle(xs, p):
    """PyTorch's real kernel: NaN stays NaN, x < 0 gives pi (so -0. gives 0);
    an integer or bool tensor's angle is float32."""
    x = np.asarray(xs[0])
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    x = x.astype(dt, copy=False)
    return np.where(np.isnan(x), x, np.where(x < 0, dt.type(np.pi), dt.type(0)))


def _zero(g, ans, xs, p):
    return np.zeros(np.shape(xs[0]), np.asarray(g).dtype)


defop("angle", "AngleBackward0", _angle, vjp=(_zero,), jvp=(_zero,), saves=False,
      dtype_rule=FLOAT, formula=("d angle(x)/dx = 0 (x real)",))


defop("conj_physical_", "ConjPhysicalBackward1", lambda xs, p: np.array(xs[0]),
      vjp=(lambda g, ans, xs, p: g,), jvp=(lambda t, ans, xs, p: t,), saves=False,
      dtype_rule=SAME, formula=("d conj(x)/dx = 1 (x real)",))
