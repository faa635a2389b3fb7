"""Order statistics and running extremes: median, nanmedian, kthvalue, mode
(all elements, or along a dim with indices), cummax, cummin, logcumsumexp,
nansum, quantile; and the two-result reductions std_mean, var_mean,
aminmax as the ops they are made of under PyTorch's grad_fn names.

p["dim"] is one non-negative axis (None: all elements; for a 0-d input the
function passes None), p["keepdim"] a bool.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .binary_more import lerp_values
from .registry import FLOAT, OPS, SAME, defop
from .reduce import _expand, evenly_distributed


# ---- median and nanmedian of all elements (the gradient shared by ties) -----------

def _lower_median(flat: np.ndarray, skip_nan: bool) -> np.ndarray:
    """PyTorch's median: the lower of the two middle values; NaN if there is
    one (median) or if all are NaN (nanmedian)."""
    nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
    if skip_nan:
        flat = flat[~nan]
    elif nan.any():
        return np.asarray(np.nan, flat.dtype)
    if flat.size == 0:
        return np.asarray(np.nan, flat.dtype)
    return np.asarray(np.sort(flat)[(flat.size - 1) // 2])


def _same_as(x, ans):
    """Where x holds ans (NaN counts as equal to a NaN result)."""
    mask = x == ans
    if x.dtype.kind == "f" and np.isnan(ans):
        mask = np.isnan(x)
    return mask


def _evenly_vjp(g, ans, xs, p):
    """PyTorch's evenly_distribute_backward: g shared by the elements equal to
    the result."""
    return evenly_distributed(g, _same_as(xs[0], ans))


def _evenly_jvp(t, ans, xs, p):
    mask = _same_as(xs[0], ans)
    return np.asarray(np.sum(np.where(mask, t, 0)) / max(int(mask.sum()), 1), t.dtype)


for _name, _skip in (("median", False), ("nanmedian", True)):
    defop(_name, _name.capitalize() + "Backward0",
          (lambda skip: lambda xs, p: _lower_median(xs[0].reshape(-1), skip))(_skip),
          vjp=(_evenly_vjp,), jvp=(_evenly_jvp,), saved=("0r",),
          formula=(f"d {_name}(x)/dx_i = [x_i is the median] / (number of ties)",),
          dtype_rule=SAME)


# ---- the forms with a dim, which give indices: the gradient goes to one element ----

def select_index(x: np.ndarray, p) -> np.ndarray:
    """The index along p["dim"] of the element each of median(dim),
    nanmedian(dim), kthvalue(k, dim) and mode(dim) picks, with keepdim's
    shape. NOTE: among equal values this takes the one a stable sort puts
    at the position (the last occurrence for mode, as PyTorch's); PyTorch's
    selection (nth_element) may pick another of the ties."""
    d, kind = p["dim"], p["kind"]
    if x.ndim == 0:
        return np.zeros((), np.int64)
    order = np.argsort(x, axis=d, kind="stable")        # NaN last, as the largest
    n = x.shape[d]
    if kind == "mode":
        return _mode_index(x, d)
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    count = np.sum(~nan, axis=d, keepdims=True)
    if kind == "kthvalue":
        pos = np.full(count.shape, p["k"] - 1)
    elif kind == "median":
        pos = np.where(count < n, n - 1, (n - 1) // 2)   # a NaN: the result is NaN
    else:                                                # nanmedian: of the numbers
        pos = np.where(count == 0, 0, (count - 1) // 2)
    idx = np.take_along_axis(order, pos.astype(np.int64), axis=d)
    if kind == "median":
        # the first NaN, where there is one
        first_nan = np.argmax(nan, axis=d).reshape(count.shape) if nan.any() else idx
        idx = np.where(count < n, first_nan, idx)
    return idx.astype(np.int64)


def _mode_index(x, d):
    """The most frequent value's last index (the smallest value of equal
    counts), per position along d."""
    moved = np.moveaxis(x, d, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    out = np.empty(rows.shape[0], np.int64)
    for r, row in enumerate(rows):
        values, counts = np.unique(row, return_counts=True)
        best = values[np.argmax(counts)]
        out[r] = np.flatnonzero((row == best) | (np.isnan(row) & np.isnan(best)))[-1]
    return np.moveaxis(out.reshape(moved.shape[:-1] + (1,)), -1, d)


def _pick_fwd(xs, p):
    x = xs[0]
    if x.ndim == 0:
        return x.copy()
    out = np.take_along_axis(x, select_index(x, p), axis=p["dim"])
    return out if p["keepdim"] else np.squeeze(out, p["dim"])


def _pick_vjp(g, ans, xs, p):
    x = xs[0]
    if x.ndim == 0:
        return g
    d = p["dim"]
    gk = g if p["keepdim"] else np.expand_dims(g, d)
    out = np.zeros(x.shape, g.dtype)
    np.put_along_axis(out, select_index(x, p), gk, axis=d)
    return out


def _pick_jvp(t, ans, xs, p):
    x = xs[0]
    if x.ndim == 0:
        return t
    out = np.take_along_axis(t, select_index(x, p), axis=p["dim"])
    return out if p["keepdim"] else np.squeeze(out, p["dim"])


PICK_GRAD_FNS = {"median": "MedianBackward1", "nanmedian": "NanmedianBackward1",
                 "kthvalue": "KthvalueBackward0", "mode": "ModeBackward0"}

defop("pick_dim", lambda t: PICK_GRAD_FNS[t.params["kind"]], _pick_fwd, vjp=(_pick_vjp,),
      jvp=(_pick_jvp,), formula=("d median(x, dim)/dx_i = [i is the index returned]",),
      symbol="median", dtype_rule=SAME, reads_unsaved=True)


# ---- cummax, cummin: running extremes and where they were -------------------------

def running_index(x: np.ndarray, d: int, largest: bool) -> np.ndarray:
    """cummax's (cummin's) indices: the last position of the running extreme
    (a tie moves it on, as PyTorch's >=); a NaN, once met, stays."""
    if x.ndim == 0 or x.size == 0:
        return np.zeros(x.shape, np.int64)
    moved = np.moveaxis(x, d, 0)
    idx = np.zeros(moved.shape, np.int64)
    best = moved[0].copy()
    at = np.zeros(moved.shape[1:], np.int64)
    for i in range(moved.shape[0]):
        v = moved[i]
        better = (v >= best) if largest else (v <= best)
        if x.dtype.kind == "f":
            better = (better & ~np.isnan(best)) | np.isnan(v)
        best = np.where(better, v, best)
        at = np.where(better, i, at)
        idx[i] = at
    return np.moveaxis(idx, 0, d)


def _cum_fwd(largest):
    def fwd(xs, p):
        x = xs[0]
        if x.ndim == 0:
            return x.copy()
        return np.take_along_axis(x, running_index(x, p["dim"], largest), axis=p["dim"])
    return fwd


def _cum_vjp(largest):
    def vjp(g, ans, xs, p):
        x = xs[0]
        if x.ndim == 0:
            return g
        out = np.zeros(x.shape, g.dtype)
        if x.size == 0:
            return out
        idx = running_index(x, p["dim"], largest)
        # (each g goes to the element its value came from: a scatter-add)
        moved_out, moved_idx, moved_g = (np.moveaxis(a, p["dim"], -1) for a in (out, idx, g))
        rows = moved_out.reshape(-1, moved_out.shape[-1])
        for r, (ii, gg) in enumerate(zip(moved_idx.reshape(rows.shape), moved_g.reshape(rows.shape))):
            np.add.at(rows[r], ii, gg)
        return np.moveaxis(rows.reshape(moved_out.shape), -1, p["dim"])
    return vjp


def _cum_jvp(largest):
    def jvp(t, ans, xs, p):
        if xs[0].ndim == 0:
            return t
        return np.take_along_axis(t, running_index(xs[0], p["dim"], largest), axis=p["dim"])
    return jvp


for _name, _largest in (("cummax", True), ("cummin", False)):
    defop(_name, _name.capitalize() + "Backward0", _cum_fwd(_largest), vjp=(_cum_vjp(_largest),),
          jvp=(_cum_jvp(_largest),), saved=("0",),
          formula=(f"d {_name}(x)_j/dx_i = [i is the index of the running {_name[3:]} at j]",),
          dtype_rule=SAME, reads_unsaved=True)


# ---- logcumsumexp -------------------------------------------------------------------

def _logcumsumexp_fwd(xs, p):
    x = xs[0]
    if x.ndim == 0:
        return x.copy()
    wide = np.logaddexp.accumulate(x.astype(np.float64), axis=p["dim"])
    return wide.astype(x.dtype)


def _weights(x, ans, d):
    """exp(x_i - ans_j) for i <= j (else 0), axes (..., i, j) with d moved last."""
    xm, am = np.moveaxis(x, d, -1), np.moveaxis(ans, d, -1)
    with np.errstate(invalid="ignore", over="ignore"):
        w = np.exp(xm[..., :, None].astype(np.float64) - am[..., None, :])
    n = xm.shape[-1]
    return np.where(np.triu(np.ones((n, n), bool)), w, 0)


def _logcumsumexp_rule(reverse: bool):
    """The VJP (reverse: the weights' transpose applied to g) or the JVP (the
    weights applied to t) of logcumsumexp."""
    def rule(v, ans, xs, p):
        x = xs[0]
        if x.ndim == 0:
            return v
        d = p["dim"]
        vm = np.moveaxis(v, d, -1)
        vm = vm[..., None, :] if reverse else vm[..., :, None]
        out = np.sum(_weights(x, ans, d) * vm, axis=-1 if reverse else -2)
        return np.moveaxis(out, -1, d).astype(v.dtype)
    return rule


defop("logcumsumexp", "LogcumsumexpBackward0", _logcumsumexp_fwd,
      vjp=(_logcumsumexp_rule(True),), jvp=(_logcumsumexp_rule(False),), saved=("0r",),
      formula=("d logcumsumexp(x)_j/dx_i = exp(x_i - out_j) for i <= j",), dtype_rule=SAME)


# ---- nansum ----------------------------------------------------------------------

def _nansum_fwd(xs, p):
    x = xs[0]
    if x.dtype.kind == "f":
        x = np.where(np.isnan(x), 0, x).astype(x.dtype)
    return OPS["sum"].forward([x], p)


defop("nansum", "NansumBackward0", _nansum_fwd,
      vjp=(lambda g, ans, xs, p: (_expand(g, xs, p) * ~np.isnan(xs[0])).astype(g.dtype),),
      jvp=(lambda t, ans, xs, p: _nansum_fwd([np.where(np.isnan(xs[0]), 0, t)], p),),
      saved=("0",), formula=("d nansum(x)/dx_i = [x_i is not NaN]",), dtype_rule=SAME)


# ---- quantile ------------------------------------------------------------------------

def _quantile_ranks(x, p):
    """Per quantile q (first axis) and row: the sorted positions below and
    above, and the weight of the one above, as PyTorch computes them (in
    x's dtype: q * (count - 1)); and the rows that give NaN (quantile's
    rows holding a NaN, nanquantile's holding only NaN)."""
    n = x.shape[-1]
    nan = np.isnan(x)
    count = (n - nan.sum(axis=-1)) if p["skip_nan"] else np.where(nan.any(axis=-1), 0, n)
    qs = np.asarray(p["q"], x.dtype).reshape(-1, 1)
    rank = qs * (np.maximum(count, 1) - 1).astype(x.dtype)          # (q, rows)
    mode = p["interpolation"]
    if mode in ("lower", "higher", "nearest"):
        rank = {"lower": np.floor, "higher": np.ceil, "nearest": np.round}[mode](rank)
    lo, hi = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
    frac = (rank - lo.astype(x.dtype) if mode == "linear" else
            np.full(rank.shape, 0.5 if mode == "midpoint" else 0, x.dtype))
    return lo, hi, frac.astype(x.dtype), count == 0


def _quantile_weights(x, p):
    """Per quantile q, the weights (a matrix over the sorted elements along the
    dim, last axis) of the interpolation; the rows that give NaN."""
    lo, hi, frac, empty = _quantile_ranks(x, p)
    frac = frac.astype(np.float64)
    w = np.zeros(lo.shape + (x.shape[-1],))
    rows = np.arange(lo.shape[1])
    for k in range(lo.shape[0]):
        np.add.at(w[k], (rows, lo[k]), 1 - frac[k])
        np.add.at(w[k], (rows, hi[k]), frac[k])
    return w, empty


def _quantile_parts(x, p):
    """x with the dim last, flattened to rows; the rows' sort order."""
    d = p["dim"]
    xm = x.reshape(1, -1) if d is None else np.moveaxis(x, d, -1).reshape(-1, x.shape[d])
    return xm, np.argsort(xm, axis=-1, kind="stable")


def _quantile_shape(x, p):
    d = p["dim"]
    if d is None:
        rest = (1,) * x.ndim if p["keepdim"] else ()
    else:
        shape = list(x.shape)
        if p["keepdim"]:
            shape[d] = 1
        else:
            del shape[d]
        rest = tuple(shape)
    return ((len(np.asarray(p["q"]).reshape(-1)),) if np.ndim(p["q"]) else ()) + rest


def _quantile_place(out, x, p):
    """(q, rows) results in quantile's shape: q first, then the dims left."""
    d = p["dim"]
    if d is not None and p["keepdim"]:
        inner = np.moveaxis(x, d, -1).shape[:-1] + (1,)
        out = np.moveaxis(out.reshape((out.shape[0],) + inner), -1, d + 1)
    return out.reshape(_quantile_shape(x, p))


def _quantile_fwd(xs, p):
    """The sorted values below and above each rank, lerp()ed as PyTorch's
    values_below.lerp_(values_above, weights)."""
    x = xs[0]
    xm, order = _quantile_parts(x, p)
    ordered = np.take_along_axis(xm, order, axis=-1)
    lo, hi, frac, empty = _quantile_ranks(xm, p)
    rows = np.arange(xm.shape[0])
    out = lerp_values(ordered[rows, lo], ordered[rows, hi], frac)
    out[:, empty] = np.nan
    return _quantile_place(out, x, p).astype(x.dtype)


def _quantile_vjp(g, ans, xs, p):
    x = xs[0]
    xm, order = _quantile_parts(x, p)
    w, empty = _quantile_weights(xm, p)
    gq = np.asarray(g, np.float64).reshape(w.shape[:2])
    gq = np.where(empty[None, :], 0, gq)
    sorted_grad = np.einsum("qrn,qr->rn", w, gq)
    out = np.zeros(xm.shape)
    np.put_along_axis(out, order, sorted_grad, axis=-1)
    d = p["dim"]
    if d is None:
        return out.reshape(x.shape).astype(g.dtype)
    moved = np.moveaxis(x, d, -1).shape
    return np.moveaxis(out.reshape(moved), -1, d).astype(g.dtype)


def _quantile_jvp(t, ans, xs, p):
    x = xs[0]
    xm, order = _quantile_parts(x, p)
    tm = _quantile_parts(t, p)[0]
    w, empty = _quantile_weights(xm, p)
    out = np.einsum("qrn,rn->qr", w, np.take_along_axis(tm, order, axis=-1).astype(np.float64))
    return _quantile_place(out, x, p).astype(t.dtype)


# NOTE: PyTorch composes quantile of sort, gather, lerp and views, whose last
# node is always SqueezeBackward4; gradviz shows one node under that name (the
# gradient is the same: the interpolation weights on the sorted elements)
# (PyTorch saves the sort's indices, not x: a later in-place write to x changes
# neither them nor the gradient; the VJP reads x as made)
defop("quantile", "SqueezeBackward4", _quantile_fwd, vjp=(_quantile_vjp,), jvp=(_quantile_jvp,),
      reads_unsaved=True,
      formula=("d quantile(x, q)/dx = the interpolation weights of the sorted elements",),
      dtype_rule=FLOAT)


# ---- std_mean, var_mean, aminmax: their ops under PyTorch's one grad_fn -------------

def _wide_mean(xs, p):
    """std_mean's mean: PyTorch's Welford pass accumulates in float64, so the
    mean is rounded once from float64 (the plain mean's float32 sum is not)."""
    x = xs[0]
    out = np.mean(x.astype(np.float64), axis=p.get("dim"), keepdims=p.get("keepdim", False))
    return np.asarray(out).astype(x.dtype)


for _pair, _parts in (("std_mean", ("std", "mean")), ("var_mean", ("var", "mean")),
                      ("aminmax", ("amin", "amax"))):
    for _part in _parts:
        _op = dataclasses.replace(OPS[_part], name=f"{_pair}.{_part}",
                                  grad_fn="".join(w.capitalize() for w in _pair.split("_"))
                                  + "Backward0")
        if _part == "mean":
            _op = dataclasses.replace(_op, forward=_wide_mean)
        OPS[_op.name] = _op
