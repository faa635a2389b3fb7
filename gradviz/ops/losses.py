"""More of torch.nn.functional's losses that PyTorch records as one node:
nll_loss, smooth_l1_loss, huber_loss, and embedding (mse_loss, cross_entropy and the binary
cross-entropies are in nn.py)."""
from __future__ import annotations

import numpy as np

from .nn import _loss_jvp, _reduce, nll_node_grad_fn
from .registry import FLOAT, SAME, defop

# nll_loss's partial sums: PyTorch's CPU kernel adds the picked losses (and
# their weights) in a cascade of 8 levels, 16 numbers a level (past 2**32
# rows a level holds more), which fixes a mean's last bit
_CASCADE_LEVELS = 8
_CASCADE_STEP_BITS = 4


# ---- nll_loss: inputs (input, target) or (input, target, weight) ------------
# p: reduction ("mean" when absent), ignore_index (-100 when absent)
# An input (N, C, d1, ...) with a target (N, d1, ...) is PyTorch's nll_loss2d:
# each position a row, in the target's order (its kernel's, whose sums are
# the cascade of the rows below, positions counted as rows)

def _rows(x: np.ndarray) -> np.ndarray:
    """x as rows of classes: a 1-d input one row; (N, C, d1, ...) the
    classes of each position, in (n, d1, ...) order."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    return x if x.ndim == 2 else np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """_rows undone: rows of classes back to the input's shape."""
    if len(shape) <= 2:
        return rows.reshape(shape)
    moved = rows.reshape((shape[0],) + shape[2:] + (shape[1],))
    return np.moveaxis(moved, -1, 1)


def _nll_picked(xs, p):
    """Per row: the picked input x[i, target[i]], its class weight (0 for an
    ignored row) and whether it counts; a 1-d input is one row."""
    x, target = xs[0], xs[1]
    rows = _rows(x)
    t = target.reshape(-1)
    keep = t != p.get("ignore_index", -100)
    safe = np.where(keep, t, 0)
    picked = rows[np.arange(rows.shape[0]), safe]
    if len(xs) > 2:
        # (nll_loss2d takes a weight of any shape with one element per class)
        w = np.where(keep, xs[2].reshape(-1)[safe], 0).astype(x.dtype)
    else:
        w = keep.astype(x.dtype)
    return picked, w, keep


def _cascade(values: np.ndarray, subtract: bool, rows: np.ndarray | None = None,
             batch: int | None = None):
    """PyTorch's nll_loss sum of values in its order (0 - v0 - v1 ... when
    subtracting), one level's partial sum carried up every 16 rows. The
    carries go by the row's number in the whole batch (rows, of batch
    rows): an ignored row adds nothing but still counts."""
    zero = values.dtype.type(0)
    if rows is None:
        rows, batch = range(values.size), values.size
    power = max(_CASCADE_STEP_BITS, (int(batch - 1).bit_length()) // _CASCADE_LEVELS)
    mask = (1 << power) - 1
    partial = [zero] * _CASCADE_LEVELS
    for b, v in zip(rows, values):
        partial[0] = partial[0] - v if subtract else partial[0] + v
        for j in range(_CASCADE_LEVELS - 1):
            if b & (mask << (j * power)):
                break
            partial[j + 1] += partial[j]
            partial[j] = zero
    total = zero
    for s in partial:
        total += s
    return total


def _nll_total_weight(xs, p, picked, w, keep):
    if len(xs) > 2:
        return _cascade(w[keep], False, np.nonzero(keep)[0], keep.size) if keep.any() \
            else w.dtype.type(0)
    return xs[0].dtype.type(int(keep.sum()))


def _nll_fwd(xs, p):
    x = xs[0]
    picked, w, keep = _nll_picked(xs, p)
    r = p.get("reduction", "mean")
    if r == "none":
        out = np.where(keep, -picked * w, 0).astype(x.dtype)
        return out.reshape(xs[1].shape) if x.ndim > 1 else out.reshape(())
    losses = picked[keep] * w[keep] if len(xs) > 2 else picked[keep]
    total = _cascade(losses, True, np.nonzero(keep)[0], keep.size) if losses.size \
        else x.dtype.type(0)
    if r == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            total = total / _nll_total_weight(xs, p, picked, w, keep)
    return np.asarray(total, dtype=x.dtype)


def _nll_vjp(g, ans, xs, p):
    """-g (/ total weight for a mean), times the class weight, at each row's
    target; +0 elsewhere and in ignored rows."""
    x = xs[0]
    picked, w, keep = _nll_picked(xs, p)
    rows = _rows(x)
    r = p.get("reduction", "mean")
    if r == "none":
        per_row = -w * np.asarray(g, x.dtype).reshape(-1)
    else:
        g = np.asarray(g, x.dtype)
        if r == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                g = g / _nll_total_weight(xs, p, picked, w, keep)
        per_row = w * -g if len(xs) > 2 else np.broadcast_to(-g, w.shape)
    out = np.zeros(rows.shape, x.dtype)
    idx = np.nonzero(keep)[0]
    out[idx, xs[1].reshape(-1)[idx]] = per_row[idx]
    return _unrows(out, x.shape)


def _nll_jvp(t, ans, xs, p):
    d = _nll_vjp(np.ones_like(ans), ans, xs, p) * t if p.get("reduction", "mean") != "none" \
        else None
    if d is not None:
        return np.asarray(np.sum(d), dtype=ans.dtype)
    picked, w, keep = _nll_picked([t] + list(xs[1:]), p)       # the tangent, picked
    return np.where(keep, -picked * w, 0).astype(ans.dtype).reshape(ans.shape)


defop("nll_loss", nll_node_grad_fn, _nll_fwd,
      vjp=(_nll_vjp, None, None), jvp=(_nll_jvp, None, None),
      saved=("012", "012", "012"),
      formula=("d nll(x,y)/dx = -w[y] at the target class / total weight",),
      symbol="nll_loss", dtype_rule=FLOAT)


# ---- smooth_l1_loss (p["beta"]) and huber_loss (p["delta"]) -----------------
# inputs (input, target), broadcast as mse_loss's; p["reduction"] always set

def _distance_loss(xs, p, width: str, f):
    """A loss of z = |a - b| (smooth_l1's and huber's): f(z, w, half) with
    the width w (beta, delta) and 0.5 in the operands' dtype, reduced."""
    a, b = xs
    dt = np.result_type(a, b)
    z = np.abs(a - b).astype(dt, copy=False)
    with np.errstate(invalid="ignore", divide="ignore"):
        return _reduce(f(z, dt.type(p[width]), dt.type(0.5)).astype(dt, copy=False), p)


def _smooth_l1_fwd(xs, p):
    return _distance_loss(xs, p, "beta", lambda z, beta, half:
                          np.where(z < beta, half * z * z / beta, z - half * beta))


def _huber_fwd(xs, p):
    return _distance_loss(xs, p, "delta", lambda z, delta, half:
                          np.where(z < delta, half * z * z, delta * (z - half * delta)))


def _distance_back(g, a, b, p, width: str, f):
    """PyTorch's backward of such a loss with x = a - b: f(x, w, norm, g),
    norm the mean's 1 / n as PyTorch computes it (in double, then the
    dtype), 1 for a sum or no reduction."""
    dt = np.result_type(a, b)
    x = np.asarray(a - b, dt)
    x = np.broadcast_to(x, np.broadcast_shapes(x.shape, np.shape(g)))
    norm = dt.type(1.0 / x.size) if p["reduction"] == "mean" else dt.type(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return f(x, dt.type(p[width]), norm, np.asarray(g, dt)).astype(dt, copy=False)


def _smooth_l1_back(g, a, b, p):
    """smooth_l1_loss_backward(g, a, b): d/da; d/db is it with a and b swapped
    (each product in PyTorch's order, to the last bit)."""
    return _distance_back(g, a, b, p, "beta", lambda x, beta, norm, g: np.where(
        x <= -beta, -norm * g, np.where(x >= beta, norm * g, x / beta * norm * g)))


def _huber_back(g, a, b, p):
    return _distance_back(g, a, b, p, "delta", lambda x, delta, norm, g: np.where(
        x <= -delta, -norm * g * delta, np.where(x >= delta, norm * g * delta, norm * x * g)))


def _defdistance(name, grad_fn, fwd, back, formula):
    """Register smooth_l1_loss or huber_loss: PyTorch's derivative for the
    target is the same backward with the operands swapped."""
    vjp = (lambda g, ans, xs, p: back(g, xs[0], xs[1], p),
           lambda g, ans, xs, p: back(g, xs[1], xs[0], p))
    defop(name, grad_fn, fwd, vjp=vjp, jvp=tuple(_loss_jvp(v) for v in vjp), saved=("01", "01"),
          formula=(formula, f"d {name}(a,b)/db = -d/da"), symbol=name, dtype_rule=FLOAT)


_defdistance("smooth_l1_loss", "SmoothL1LossBackward0", _smooth_l1_fwd, _smooth_l1_back,
             "d smooth_l1(a,b)/da = (a-b)/beta inside beta, sign(a-b) outside")
_defdistance("huber_loss", "HuberLossBackward0", _huber_fwd, _huber_back,
             "d huber(a,b)/da = a-b inside delta, delta*sign(a-b) outside")


# ---- embedding: inputs (weight, indices); p["padding_idx"] (absent: none) ----
# (here beside the losses as it also picks rows by integer indices)

def _embedding_vjp(g, ans, xs, p):
    """Each index's row of g added into its row of the weight, in the
    indices' order (PyTorch's embedding_dense_backward); the padding row
    gets none."""
    weight, idx = xs
    flat = idx.reshape(-1)
    rows = g.reshape(flat.size, weight.shape[1])
    pad = p.get("padding_idx")
    if pad is not None:
        keep = flat != pad
        flat, rows = flat[keep], rows[keep]
    out = np.zeros(weight.shape, g.dtype)
    np.add.at(out, flat, rows)
    return out


defop("embedding", "EmbeddingBackward0", lambda xs, p: xs[0][xs[1]],
      vjp=(_embedding_vjp, None), jvp=(lambda t, ans, xs, p: t[xs[1]], None),
      saved=("1", "1"), formula=("d weight[idx]/d weight = g added into the picked rows",),
      symbol="embedding", dtype_rule=SAME)
