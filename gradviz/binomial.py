"""torch.binomial(count, prob): a count of successes per element, drawn as
PyTorch's CPU kernel draws it (ATen's sample_binomial, from TensorFlow's):
the elements in order, each taking uniform doubles from the generator one
at a time, by inversion (count * p < 10) or by BTRS's transformed
rejection, in PyTorch's mix of the tensor's dtype and double (its C++
types, no fused multiply-adds in that file's build). A seeded program's
draws are PyTorch's. Its node has no derivative (PyTorch's NotImplemented).
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError
from .ops import OPS
from .ops.igamma import c_math

D = np.float64
# stirling_approx_tail's table for k < 10
_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287)


def _stirling_tail(k: float) -> float:
    if k < len(_TAIL):
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _inversion(c, count, prob, uniform):
    """The number of geometric gaps that fit in count."""
    logprob = D(c.log1p(-prob))
    geom_sum, num_geom = 0.0, c.T(0)
    while True:
        geom_sum += math.ceil(math.log(uniform()) / logprob)
        if geom_sum > count:
            return num_geom
        num_geom = num_geom + c.T(1)


def _btrs(c, count, prob, uniform):
    """Hormann's transformed rejection (BTRS), as ATen writes it."""
    t = c.T
    one = t(1)
    stddev = D(c.sqrt(count * prob * (one - prob)))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * D(prob)
    cc = D(count * prob) + 0.5
    v_r = 0.92 - 4.2 / b
    r = D(prob / (one - prob))
    alpha = (2.83 + 5.1 / b) * stddev
    m = D(np.floor((count + one) * prob))
    while True:
        u = uniform() - 0.5
        v = uniform()
        us = 0.5 - abs(u)
        k = t(math.floor((2 * a / us + b) * u + cc))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        n_k1 = D(count - k + one)
        bound = ((m + 0.5) * math.log((m + 1) / (r * (D(count) - m + 1)))
                 + D(count + one) * math.log((D(count) - m + 1) / n_k1)
                 + (D(k) + 0.5) * math.log(r * n_k1 / D(k + one))
                 + _stirling_tail(m) + _stirling_tail(D(count) - m)
                 - _stirling_tail(D(k)) - _stirling_tail(D(count - k)))
        if v <= bound:
            return k


def sample(c, count, prob, uniform):
    """One draw (sample_binomial): count and prob numbers of c's dtype."""
    t = c.T
    if count <= 0.0 or prob <= 0.0:
        return t(0)
    if prob >= 1.0:
        return count
    if prob <= 0.5:
        draw = _btrs if count * prob >= 10.0 else _inversion
        return draw(c, count, prob, uniform)
    q = t(1.0 - D(prob))
    draw = _btrs if count * q >= 10.0 else _inversion
    return count - draw(c, count, q, uniform)


def f_binomial(rt, count, prob, generator=None):
    """Draws of Binomial(count, prob), elementwise over the broadcast shape."""
    for t in (count, prob):
        if t.data.dtype.kind != "f":
            raise GradvizError(f"binomial only supports floating-point dtypes for "
                               f"{'count' if t is count else 'prob'}, got: "
                               f"{F.type_word(t.data.dtype)}", kind="ValueError",
                               hint="counts are given as floats: torch.binomial(n.float(), p)")
    if prob.data.dtype != count.data.dtype:
        raise GradvizError(f"Found dtype {F.type_word(prob.data.dtype)} but expected "
                           f"{F.type_word(count.data.dtype)}", kind=RUNTIME,
                           hint="give count and prob one dtype")
    OPS["eq"].check([count.data, prob.data], {})          # (the broadcast's error)
    n, p = np.broadcast_arrays(count.data, prob.data)
    c = c_math(n.dtype)
    draws = [sample(c, c.T(u), c.T(v), lambda: float(rt.rng.uniform(1, F.F64)[0]))
             for u, v in zip(n.reshape(-1).tolist(), p.reshape(-1).tolist())]
    out = np.array(draws, n.dtype).reshape(n.shape)
    if rt.tape.grad_enabled and (count.requires_grad or prob.requires_grad):
        # (the node records the draws: ops/draws.py)
        return rt.apply(OPS["binomial"], (count, prob), {"draws": out})
    return F._leaf(rt, out, False, "binomial")


FUNCTIONS = {"binomial": checked(f_binomial, "binomial",
                                 forms("(Tensor count, Tensor prob, Generator? generator = None)"), False)}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
