"""torch.pdist's node (PdistBackward0): the p-norm distances between the
rows of a matrix, each pair i < j once, in row-major order. Its backward is
ATen's _pdist_backward: per pair, g times the derivative of the distance by
the difference of the rows (0 for p = 0, sign(d) for 1, d / dist for 2, the
entries at the maximum for inf, d |d|^(p-2) / dist^(p-1) otherwise; 0 where
the distance is 0), added to row i and taken from row j."""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .registry import SAME, defop


def _pairs(x):
    i, j = np.triu_indices(x.shape[0], 1)
    return i, j, x[i] - x[j]


def _distances(diff, p):
    a = np.abs(diff)
    if p == 0:
        return (a != 0).sum(axis=-1).astype(diff.dtype)
    if p == 1:
        return a.sum(axis=-1)
    if p == 2:
        return np.sqrt((a * a).sum(axis=-1))
    if p == np.inf:
        return a.max(axis=-1, initial=0)
    return (a ** p).sum(axis=-1) ** (1 / p)


def _forward(xs, p):
    x = xs[0]
    if x.shape[0] < 2:
        return np.zeros(0, x.dtype)
    return _distances(_pairs(x)[2], p["p"]).astype(x.dtype)


def _slopes(diff, dist, p):
    """d dist / d diff for each pair and entry (ATen's per-p formulas)."""
    dist = dist[:, None]
    a = np.abs(diff)
    with np.errstate(all="ignore"):
        if p == 0:
            out = np.zeros_like(diff)
        elif p == 1:
            out = np.sign(diff)
        elif p < 2:
            out = np.sign(diff) * a ** (p - 1) / dist ** (p - 1)
            out = np.where((diff == 0) & (p < 1), 0, out)
        elif p == 2:
            out = diff / dist
        elif p == np.inf:
            out = np.sign(diff) * (a == dist)
        else:
            out = diff * a ** (p - 2) / dist ** (p - 1)
    return np.where(dist == 0, 0, out).astype(diff.dtype)


def _vjp(g, ans, xs, p):
    x = xs[0]
    if x.shape[0] < 2:
        return np.zeros_like(x)
    i, j, diff = _pairs(x)
    if p["p"] == 2:
        # ATen's order, grad * diff / dist: (2 d) * diff / d is diff * 2 exactly
        with np.errstate(all="ignore"):
            part = np.where(ans[:, None] == 0, 0, g[:, None] * diff / ans[:, None])
        part = part.astype(x.dtype)
    else:
        part = g[:, None] * _slopes(diff, ans, p["p"])
    # pair after pair, as ATen's kernel adds them (the part to row i, its
    # opposite to row j): each row sums its pairs with the other rows in
    # their order, one after another (cumsum adds in order), so the float
    # sums round as PyTorch's
    signed = np.zeros((x.shape[0],) + x.shape, part.dtype)
    signed[i, j] = part
    signed[j, i] = -part
    return np.cumsum(signed, axis=1)[:, -1].astype(x.dtype)


def _jvp(t, ans, xs, p):
    x = xs[0]
    if x.shape[0] < 2:
        return np.zeros(0, x.dtype)
    i, j, diff = _pairs(x)
    return (_slopes(diff, ans, p["p"]) * (t[i] - t[j])).sum(axis=-1).astype(x.dtype)


defop("pdist", "PdistBackward0", _forward, vjp=(_vjp,), jvp=(_jvp,), saved=("0r",),
      formula=("d ||x_i - x_j||_p/dx_i = g * d|d|_p/dd, the opposite for x_j",),
      symbol="pdist", dtype_rule=SAME)


# ---- under create_graph=True: PyTorch's _pdist_backward, one node with no
# derivative of its own

def _pdist_backward_refused(*_):
    raise GradvizError("the derivative for '_pdist_backward' is not implemented.",
                       kind="NotImplementedError",
                       hint="PyTorch has no second derivative of pdist; write the distances "
                            "out, e.g. ((x[:, None] - x[None]) ** 2).sum(-1) over the pairs")


defop("pdist_backward", "PdistBackwardBackward0",
      lambda xs, p: _vjp(xs[0], xs[2], [xs[1]], p),
      vjp=(_pdist_backward_refused,) * 3, jvp=(_pdist_backward_refused,) * 3,
      formula=("not differentiable (PyTorch's _pdist_backward has no derivative)", "", ""),
      symbol="pdist_backward", saves=False, dtype_rule=SAME, no_derivative="_pdist_backward")
