"""unique and unique_consecutive as the nodes PyTorch records for a tensor
that requires grad (Unique2Backward0, UniqueDimBackward0,
UniqueConsecutiveBackward0), whose backward PyTorch has not implemented:
their rules raise its NotImplementedError. The other outputs (inverse,
counts) and the counting functions (bincount, histc, searchsorted) make
no node; see counting_fns.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import RUNTIME, GradvizError
from .registry import SAME, defop, no_derivative
from .summation import torch_sum


def unique_parts(x: np.ndarray, dim, consecutive: bool) -> tuple:
    """(values, inverse, counts) of x (flattened when dim is None) or of
    its slices along dim, sorted (PyTorch's CPU unique sorts, sorted=False
    too) or, consecutive, runs in order."""
    if dim is None:
        flat = x.reshape(-1)
        if consecutive:
            starts = np.ones(flat.size, bool)
            starts[1:] = flat[1:] != flat[:-1]
            inverse = np.cumsum(starts) - 1
            counts = np.diff(np.append(np.flatnonzero(starts), flat.size))
            return flat[starts], inverse.reshape(x.shape), counts
        # NOTE: NaNs stay apart, one value each (as PyTorch's sort-based unique)
        values, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True,
                                            equal_nan=False)
        return values, inverse.reshape(x.shape), counts
    if x.size == 0:
        if x.shape[dim]:
            raise GradvizError("There are 0 sized dimensions, and they aren't selected, so "
                               "unique cannot be applied", kind=RUNTIME,
                               hint="unique along a dim of a tensor with an empty other dim "
                                    "has no slices to compare")
        empty = np.zeros(0, np.int64)       # (no slices: none unique)
        return x, empty, empty
    rows = np.moveaxis(x, dim, 0).reshape(x.shape[dim], -1)
    if consecutive:
        starts = np.ones(len(rows), bool)
        starts[1:] = (rows[1:] != rows[:-1]).any(axis=1)
        inverse = np.cumsum(starts) - 1
        counts = np.diff(np.append(np.flatnonzero(starts), len(rows)))
        picked = np.flatnonzero(starts)
    else:
        _, picked, inverse, counts = np.unique(rows, axis=0, return_index=True,
                                               return_inverse=True, return_counts=True)
    values = np.take(x, picked, axis=dim)
    return values, inverse.reshape(-1), counts


def _unique_grad_fn(t):
    p = t.params
    if p["consecutive"]:
        return "UniqueConsecutiveBackward0"
    return "Unique2Backward0" if p["dim"] is None else "UniqueDimBackward0"


def _aten(p) -> str:
    return "unique_consecutive" if p["consecutive"] else \
        "_unique2" if p["dim"] is None else "unique_dim"


def _raise_for(*args):
    """PyTorch's error for a gradient through unique (args: a rule's
    (g, ans, xs, p); none where create_graph asks before running it)."""
    aten = _aten(args[3]) if len(args) > 3 else "_unique2"
    raise GradvizError(f"the derivative for '{aten}' is not implemented.",
                       kind="NotImplementedError",
                       hint="unique has no gradient in PyTorch; take the values with "
                            "x.detach(), or index x with the positions you need")


defop("unique", _unique_grad_fn,
      lambda xs, p: unique_parts(xs[0], p["dim"], p["consecutive"])[0].astype(xs[0].dtype),
      vjp=(_raise_for,), jvp=(_raise_for,),
      formula=("no derivative (PyTorch's NotImplementedError)",), symbol="unique",
      saves=False, dtype_rule=SAME, no_derivative="_unique2")


def _bincount_fwd(xs, p):
    weights = xs[0]
    out = np.zeros(p["length"], p["dtype"])
    np.add.at(out, p["index"], weights.astype(p["dtype"]))   # (in order, as PyTorch's loop)
    return out


# bincount(index, weights=w) with w requiring grad: PyTorch records it
# with no derivative (NotImplemented)
_NO_DERIVATIVE = no_derivative("bincount", inputs=1)
defop("bincount", _NO_DERIVATIVE.pop("grad_fn"), _bincount_fwd, symbol="bincount",
      dtype_rule=SAME, **_NO_DERIVATIVE)


# ---- torch.histogram: counts (or summed weights) in bins, and the edges -------

def _bins_of(values: np.ndarray, edges: np.ndarray, linear: bool) -> np.ndarray:
    """The bin of each value (all within the edges): PyTorch's histogramdd
    kernel. Equal bins (linear) guess (v - left) * n / (right - left) and
    correct the guess by one either way against the edges themselves; given
    edges are binary-searched. A value on the right edge is in the last bin."""
    n = edges.size - 1
    if linear:
        left, right = edges[0], edges[-1]
        dt = edges.dtype.type
        guess = ((values - left) * dt(n) / (right - left)).astype(np.int64)
        low = np.clip(guess - 1, 0, n)
        high = np.minimum(guess + 2, n + 1)
        # upper_bound over edges[low:high] (at most 3 of them)
        found = sum(((low + k < high) & (edges[np.minimum(low + k, n)] <= values))
                    for k in range(3))
        pos = low + found - 1
    else:
        pos = np.searchsorted(edges, values, side="right") - 1
    return np.where(pos == n, n - 1, pos)


def _histogram_fwd(xs, p):
    """The histogram of xs[0] (flattened) in the bins of p["edges"], each
    value counting 1 or its weight (xs[1]); with density, divided by the
    total and by each bin's width, as PyTorch divides."""
    edges = p["edges"]
    flat = xs[0].reshape(-1)
    weights = xs[1].reshape(-1) if len(xs) > 1 else np.ones(flat.shape, flat.dtype)
    inside = (flat >= edges[0]) & (flat <= edges[-1])
    hist = np.zeros(edges.size - 1, flat.dtype)
    np.add.at(hist, _bins_of(flat[inside], edges, p["linear"]), weights[inside])
    if p["density"]:
        total = torch_sum(hist, None)
        total = hist.sum() if total is None else total.reshape(())
        with np.errstate(invalid="ignore", divide="ignore"):
            hist = hist / total / np.diff(edges)
    return hist


def _histogramdd_fwd(xs, p):
    """The D-dimensional histogram of the points xs[0] (..., D) in the bins of
    p["edges"] (one array of edges per dim, p["linear"] whether each is of
    equal bins), each point inside every dim's edges counting 1 or its
    weight (xs[1]); with density, divided by the total and by each bin's
    volume."""
    points = xs[0].reshape(-1, xs[0].shape[-1])
    weights = xs[1].reshape(-1) if len(xs) > 1 else np.ones(len(points), points.dtype)
    edges, linear = p["edges"], p["linear"]
    inside = np.ones(len(points), bool)
    for k, e in enumerate(edges):
        inside &= (points[:, k] >= e[0]) & (points[:, k] <= e[-1])
    hist = np.zeros(tuple(e.size - 1 for e in edges), points.dtype)
    index = tuple(_bins_of(points[inside, k], e, lin) for k, (e, lin) in
                  enumerate(zip(edges, linear)))
    np.add.at(hist, index, weights[inside])
    if p["density"]:
        volume = np.ones((), points.dtype)
        for k, e in enumerate(edges):
            volume = np.expand_dims(volume, -1) * np.diff(e)
        with np.errstate(invalid="ignore", divide="ignore"):
            hist = hist / hist.sum() / volume
    return hist


# (PyTorch records both of histogram's results with no derivative, when
# the input or the weights require grad)
for _name, _forward in (("histogram", _histogram_fwd), ("histogramdd", _histogramdd_fwd),
                        ("histogram_edges", lambda xs, p: p["edges"].copy())):
    _NO_DERIVATIVE = no_derivative("histogram", inputs=2)
    defop(_name, _NO_DERIVATIVE.pop("grad_fn"), _forward, symbol="histogram", dtype_rule=SAME,
          **_NO_DERIVATIVE)
