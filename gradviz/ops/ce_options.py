"""cross_entropy's weight=, ignore_index= and label_smoothing= (the op is
in nn.py; its forward and VJP come here when one of them is given).

PyTorch (cross_entropy_loss in LossNLL.cpp) computes them with tensor ops
after log_softmax; each step below is one of its ops, in its dtype and
order, so that values and gradients are its own to the last bit:

- class indices, no smoothing: nll_loss(logp, target, weight, ignore_index);
- class indices, smoothing s: (1 - s) * nll_loss(...) + ret * (s / C), ret
  the per-row -sum(logp * weight) with ignored rows set to 0, summed and
  divided by the weight of the rows counted (their number, unweighted) for
  a mean;
- class probabilities q (smoothed to q * (1 - s) + s / C): -sum(logp * q *
  weight) over the classes, summed and divided by the rows for a mean.

Inputs (logits, target) or (logits, target, weight); p: reduction,
ignore_index (class indices, absent: -100), label_smoothing (absent: 0).
"""
from __future__ import annotations

import numpy as np

from . import softmax_cpu
from .registry import OPS, unbroadcast
from .summation import torch_sum


def sum_in_order(x: np.ndarray, axis) -> np.ndarray:
    """x.sum(dim) (all of x for None) in PyTorch's order."""
    total = torch_sum(x, None if axis is None else (axis,)) if x.size else None
    if total is None:
        return np.sum(x, axis=axis).astype(x.dtype)
    return total.reshape(()) if axis is None else np.squeeze(total, axis)


def _parts(xs, p):
    """logp, the class axis, the class count, the weight shaped to
    broadcast over logp (or None), reduction and smoothing."""
    logits = xs[0]
    axis = 0 if logits.ndim == 1 else 1
    logp = softmax_cpu.log_softmax(logits, axis)
    w = xs[2] if len(xs) > 2 else None
    if w is not None and logits.ndim > 1:
        w = w.reshape((1, -1) + (1,) * (logits.ndim - 2))
    return logp, axis, logits.shape[axis], w, p.get("reduction", "mean"), \
        p.get("label_smoothing", 0.0)


def _smoothed(target, s, c, dt):
    return target * dt(1 - s) + dt(s / c) if s else target


def _rows(logits) -> int:
    return logits.size // logits.shape[0 if logits.ndim == 1 else 1] if logits.size else 0


def forward(xs, p):
    logp, axis, c, w, r, s = _parts(xs, p)
    target, dt = xs[1], xs[0].dtype.type
    if target.dtype != np.int64:                   # class probabilities
        prod = logp * _smoothed(target, s, c, dt)
        if w is not None:
            prod = prod * w
        if r == "none":
            return -sum_in_order(prod, axis)
        total = -sum_in_order(prod, None)
        if r == "sum":
            return total
        return total / dt(_rows(xs[0])) if logp.size else dt(np.nan)
    nll = OPS["nll_loss"].forward([logp] + list(xs[1:]), p)
    if not s:
        return nll
    return (dt(1 - s) * nll + _smooth_total(logp, xs, p, axis, w, r) * dt(s / c)).astype(dt)


def _ignored(xs, p) -> np.ndarray:
    return xs[1] == p.get("ignore_index", -100)


def _denominator(xs, p):
    """A smoothed mean's divisor: the weights of the rows counted (their
    number without weights), in the logits' dtype."""
    keep = ~_ignored(xs, p)
    dt = xs[0].dtype.type
    if len(xs) > 2:
        return sum_in_order(xs[2][xs[1][keep]], None)
    return dt(int(keep.sum()))


def _smooth_total(logp, xs, p, axis, w, r):
    per_row = -sum_in_order(logp * w if w is not None else logp, axis)
    per_row = np.where(_ignored(xs, p), per_row.dtype.type(0), per_row)
    if r == "none":
        return per_row
    total = sum_in_order(per_row, None)
    if r == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / _denominator(xs, p)
    return total


def _log_softmax_back(d, logp, axis, dtype):
    if d.dtype == np.float32:                      # PyTorch's kernel, which sums as it does
        return softmax_cpu.log_softmax_backward(d, logp, axis)
    total = np.sum(d, axis=axis, keepdims=True, initial=-0.0)
    return (d - np.exp(logp) * total).astype(dtype)


def _prob_grad(g, xs, p):
    """d loss / d (logp * q * w) per element, as PyTorch's Div, Neg and
    Sum backward spread g: -(g / rows), or -g of each row."""
    logp, axis, c, w, r, s = _parts(xs, p)
    dt = xs[0].dtype.type
    g = np.asarray(g, xs[0].dtype)
    if r == "none":
        g = np.expand_dims(g, axis) if g.ndim else g
    elif r == "mean":
        g = g / dt(_rows(xs[0]))
    return np.broadcast_to(-g, logp.shape), logp, axis, c, w, s


def vjp_logits(g, ans, xs, p):
    target, dt = xs[1], xs[0].dtype.type
    if target.dtype != np.int64:
        gp, logp, axis, c, w, s = _prob_grad(g, xs, p)
        if w is not None:
            gp = gp * w
        d = gp * _smoothed(target, s, c, dt)
        return _log_softmax_back(d, logp, axis, xs[0].dtype)
    logp, axis, c, w, r, s = _parts(xs, p)
    g = np.asarray(g, xs[0].dtype)
    d = OPS["nll_loss"].vjp[0](g * dt(1 - s) if s else g, ans, [logp] + list(xs[1:]), p)
    if s:
        d = d + smoothing_grad(g, xs, p)
    return _log_softmax_back(d, logp, axis, xs[0].dtype)


def smoothing_grad(g, xs, p) -> np.ndarray:
    """Class indices with label_smoothing: the gradient of its smoothing term
    by logp, given g: PyTorch's backward of Mul, Div (a mean), Sum,
    MaskedFill, Neg, Sum(dim), Mul, in that order."""
    _, axis, c, w, r, s = _parts(xs, p)
    gs = np.asarray(g, xs[0].dtype) * xs[0].dtype.type(s / c)
    if r == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            gs = gs / _denominator(xs, p)
    gs = np.broadcast_to(gs, xs[1].shape)
    gs = -np.where(_ignored(xs, p), gs.dtype.type(0), gs)
    gs = np.broadcast_to(np.expand_dims(gs, axis) if gs.ndim else gs, xs[0].shape)
    return gs * w if w is not None else gs


def vjp_target(g, ans, xs, p):
    """Class probabilities that require grad: (g * w) * logp, times 1 - s."""
    gp, logp, axis, c, w, s = _prob_grad(g, xs, p)
    if w is not None:
        gp = gp * w
    gq = gp * logp
    return gq * xs[0].dtype.type(1 - s) if s else gq


def vjp_weight(g, ans, xs, p):
    """A weight that requires grad (class probabilities only): the
    gradient of logp * q * w summed over all but the class axis."""
    gp, logp, axis, c, w, s = _prob_grad(g, xs, p)
    d = gp * (logp * _smoothed(xs[1], s, c, xs[0].dtype.type))
    return unbroadcast(np.ascontiguousarray(d), w.shape if w is not None else d.shape) \
        .reshape(xs[2].shape)


def jvp(vjp):
    """Forward mode from the VJP: each row's loss depends on its own row,
    so the tangent of a loss is its VJP of ones times the tangent, summed
    (per row for reduction='none')."""
    def rule(t, ans, xs, p):
        d = vjp(np.ones_like(ans), ans, xs, p) * t
        if p.get("reduction", "mean") == "none" and xs[0].ndim > 1 and d.ndim > 1:
            return np.sum(d, axis=1).astype(ans.dtype)
        return np.asarray(np.sum(d), dtype=ans.dtype)
    return rule
