"""rot90, the cross product and cdist (pairwise distances), each one node
as in PyTorch: Rot90Backward0, LinalgCrossBackward0, CdistBackward0 (or
EuclideanDistBackward0, cdist's matrix-product form for p=2 and more than
25 rows)."""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError
from .registry import FLOAT, SAME, defop
from .scatter import per_input


# ---- rot90: k quarter turns in the plane of two dims --------------------------

def _rot90(a, k, dims):
    return np.rot90(a, k, dims).copy()      # (new memory, as PyTorch's flip/transpose copy)


defop("rot90", "Rot90Backward0", lambda xs, p: _rot90(xs[0], p["k"], p["dims"]),
      vjp=(lambda g, ans, xs, p: _rot90(g, -p["k"], p["dims"]),),
      jvp=(lambda t, ans, xs, p: _rot90(t, p["k"], p["dims"]),),
      formula=("gradient turned back",), symbol="rot90", saves=False, dtype_rule=SAME)


# ---- cross product along a dim of size 3 --------------------------------------

def _cross(a, b, dim):
    a, b = np.broadcast_arrays(a, b)
    a0, a1, a2 = (np.take(a, k, axis=dim) for k in range(3))
    b0, b1, b2 = (np.take(b, k, axis=dim) for k in range(3))
    return np.stack([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], axis=dim)


defop("cross", "LinalgCrossBackward0", lambda xs, p: _cross(xs[0], xs[1], p["dim"]),
      # PyTorch's formulas: d/da = cross(b, g), d/db = cross(g, a)
      vjp=(lambda g, ans, xs, p: _cross(xs[1], g, p["dim"]),
           lambda g, ans, xs, p: _cross(g, xs[0], p["dim"])),
      jvp=(lambda t, ans, xs, p: _cross(t, xs[1], p["dim"]),
           lambda t, ans, xs, p: _cross(xs[0], t, p["dim"])),
      formula=("d cross(a, b)/da: g -> cross(b, g)", "d cross(a, b)/db: g -> cross(g, a)"),
      symbol="cross", saved=("0", "1"), common_dtype=True)


# ---- cdist: the p-norm distance between each row of x1 and each row of x2 -----

def _diff(x1, x2):
    return x1[..., :, None, :] - x2[..., None, :, :]


def _cdist_fwd(xs, p):
    x1, x2 = xs
    norm = p["p"]
    if p.get("mm"):
        # PyTorch's _euclidean_dist: |a|^2 - 2 a.b + |b|^2 by one matrix
        # product, clamped at 0 (its last bits differ from the direct form)
        n1 = (x1 * x1).sum(-1, keepdims=True)
        n2 = (x2 * x2).sum(-1, keepdims=True)
        a = np.concatenate([x1 * np.asarray(-2, x1.dtype), n1, np.ones_like(n1)], -1)
        b = np.concatenate([x2, np.ones_like(n2), n2], -1)
        return np.sqrt(np.maximum(a @ np.swapaxes(b, -1, -2), 0)).astype(x1.dtype)
    d = np.abs(_diff(x1, x2))
    if norm == 0:
        out = (d != 0).sum(-1)
    elif norm == 1:
        out = d.sum(-1)
    elif norm == 2:
        out = np.sqrt((d * d).sum(-1))
    elif np.isinf(norm):
        out = d.max(-1) if d.shape[-1] else np.zeros(d.shape[:-1])
    else:
        out = (d ** norm).sum(-1) ** (1 / norm)
    return np.asarray(out, x1.dtype)


def _slope(x1, x2, dist, norm):
    """d dist[i, j] / d x1[i, :], for each pair (PyTorch's _cdist_backward)."""
    diff = _diff(x1, x2)
    dist = dist[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        if norm == 0:
            return np.zeros_like(diff)
        if norm == 1:
            return np.sign(diff)
        if np.isinf(norm):
            return np.sign(diff) * (np.abs(diff) == dist)
        if norm == 2:
            out = diff / dist
        else:
            out = np.sign(diff) * np.abs(diff) ** (norm - 1) / dist ** (norm - 1)
            if norm < 1:
                out = np.where(diff == 0, 0, out)
    return np.where(dist == 0, 0, out).astype(x1.dtype)


def _cdist_vjp(g, ans, xs, p, i):
    x1, x2 = xs
    s = _slope(x1, x2, ans, p["p"]) * g[..., None]
    return s.sum(-2) if i == 0 else -s.sum(-3)


def _cdist_jvp(t, ans, xs, p, i):
    x1, x2 = xs
    s = _slope(x1, x2, ans, p["p"])
    step = t[..., :, None, :] if i == 0 else -t[..., None, :, :]
    return (s * step).sum(-1)


defop("cdist", lambda t: "EuclideanDistBackward0" if t.params.get("mm") else "CdistBackward0",
      _cdist_fwd,
      vjp=per_input(_cdist_vjp), jvp=per_input(_cdist_jvp),
      formula=("d cdist/dx1[i] = sum over j of g[i, j] * d|x1[i] - x2[j]|_p",
               "d cdist/dx2[j] = -sum over i of g[i, j] * d|x1[i] - x2[j]|_p"),
      symbol="cdist", saved=("0", "1", "r"), dtype_rule=FLOAT)


# ---- cdist's backward as an op: the gradient create_graph=True records --------

def _cdist_backward_fwd(xs, p):
    """PyTorch's _cdist_backward(grad, x1, x2, cdist): x1's gradient (x2's
    is the same op of the transposes, x2 and x1 swapped)."""
    g, x1, x2, dist = xs
    return _cdist_vjp(g, dist, [x1, x2], p, 0)


def _cdist_backward_refused(*_):
    raise GradvizError("the derivative for '_cdist_backward' is not implemented.",
                       kind="NotImplementedError",
                       hint="PyTorch has no second derivative of cdist (for p=2 and more than "
                            "25 rows it computes by matrix products, which have one); write "
                            "the distances out, ((x1[:, None] - x2[None]) ** 2).sum(-1).sqrt()")


defop("cdist_backward", "CdistBackwardBackward0", _cdist_backward_fwd,
      vjp=(_cdist_backward_refused,) * 4, jvp=(_cdist_backward_refused,) * 4,
      formula=("not differentiable (PyTorch's _cdist_backward has no derivative)", "", "", ""),
      symbol="cdist_backward", saves=False, dtype_rule=SAME, no_derivative="_cdist_backward")
