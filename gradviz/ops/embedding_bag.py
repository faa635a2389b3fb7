"""F.embedding_bag's one node (EmbeddingBagBackward0): the weight's rows at
the indices, reduced bag by bag.

Inputs (weight, indices, offsets[, per_sample_weights]): indices 1-d, bag b
holding indices[offsets[b]:offsets[b + 1]] (the last bag up to the end, or
with p["include_last"] the last offset its end). p: "mode" (sum, mean,
max), "padding_idx" (None, or the row whose entries count for nothing).
Sums add the rows one after another in the dtype, as PyTorch's CPU kernel
(a weighted row with one fused multiply-add); a mean is that sum over the
bag's count.
"""
from __future__ import annotations

import numpy as np

from .nn_more import _fma
from .registry import SAME, defop

# the weight dtypes of ATen's fast sum (index_select_add's fast path)
FAST_SUM = ("float32", "float16", "bfloat16")


def bags(idx, offsets, p):
    """The bag of each index (-1: in none, or a padding entry), the number of
    bags, and each bag's count of entries. As PyTorch's offset2bag, the
    indices past the last offset (include_last) are the last bag's: its
    count, gradient and slow kernels take them (see _summed_bags)."""
    n_bags = offsets.size - 1 if p.get("include_last") else offsets.size
    pos = np.arange(idx.size)
    bag = np.searchsorted(offsets[:n_bags], pos, side="right") - 1
    pad = p.get("padding_idx")
    if pad is not None:
        bag[idx == pad] = -1
    counts = np.bincount(bag[bag >= 0], minlength=n_bags)[:n_bags]
    return bag, n_bags, counts


def _ranks(bag):
    """Each entry's place within its bag (entries of a bag in their order)."""
    order = np.argsort(bag, kind="stable")
    sorted_bags = bag[order]
    starts = np.searchsorted(sorted_bags, sorted_bags)
    rank = np.empty_like(bag)
    rank[order] = np.arange(bag.size) - starts
    return rank


def _bag_sums(rows, bag, n_bags, scale=None, fused=True):
    """Per bag, its rows added one after another (each times its scale,
    where given: with one rounding where fused, as PyTorch's fast kernel
    does without a padding_idx; multiplied, then added, as its other one):
    in rounds, round r adding each bag's r-th row, so that one vector step
    adds a round."""
    out = np.zeros((n_bags, rows.shape[1]), rows.dtype)
    live = bag >= 0
    rank = _ranks(np.where(live, bag, n_bags))
    for r in range(int(rank[live].max()) + 1 if live.any() else 0):
        pick = live & (rank == r)
        b = bag[pick]
        if scale is None:
            out[b] = out[b] + rows[pick]
        elif fused:
            out[b] = _fma(rows[pick], scale[pick][:, None], out[b])
        else:
            out[b] = out[b] + (rows[pick] * scale[pick][:, None]).astype(rows.dtype)
    return out


def _max_rows(weight, idx, bag, n_bags):
    """Per bag and column, the largest value and the index (into the
    weight) it came from; -1 and zero for an empty bag. The first of equal
    values wins."""
    live = bag >= 0
    values = np.full((n_bags, weight.shape[1]), -np.inf, weight.dtype)
    np.maximum.at(values, bag[live], weight[idx[live]])
    # the first entry of its bag holding the maximum, column by column
    hit = live[:, None] & (weight[idx] == values[np.where(live, bag, 0)])
    first = np.full((n_bags, weight.shape[1]), idx.size, np.int64)
    entries = np.broadcast_to(np.arange(idx.size)[:, None], hit.shape)
    rows, cols = np.nonzero(hit)
    np.minimum.at(first, (bag[rows], cols), entries[rows, cols])
    arg = np.where(first < idx.size, np.append(idx, -1)[np.minimum(first, idx.size)], -1)
    return np.where(arg >= 0, values, 0).astype(weight.dtype), arg


def _summed_bags(bag, weight, offsets, p):
    """The bags a sum adds the rows of: PyTorch's fast kernel (a float32,
    half or bfloat16 weight, no padding_idx) stops at the last offset
    (include_last), its other one adds the indices past it to the last bag
    (which a mean still divides by its count to the end of the indices)."""
    fast = weight.dtype.name in FAST_SUM and p.get("padding_idx") is None
    if not (fast and p.get("include_last") and offsets.size):
        return bag
    return np.where(np.arange(bag.size) >= offsets[-1], -1, bag)


def _forward(xs, p):
    weight, idx, offsets = xs[:3]
    psw = xs[3] if len(xs) > 3 else None
    bag, n_bags, counts = bags(idx, offsets, p)
    if p["mode"] == "max":
        return _max_rows(weight, idx, bag, n_bags)[0]
    total = _bag_sums(weight[idx], _summed_bags(bag, weight, offsets, p), n_bags, psw,
                      fused=p.get("padding_idx") is None)
    if p["mode"] == "mean":
        total = np.where(counts[:, None] > 0, total / np.maximum(counts, 1)[:, None].astype(
            weight.dtype), 0).astype(weight.dtype)
    return total


def _entry_scale(xs, p, bag, counts):
    """What each entry's row is multiplied by in its bag's result: its
    per-sample weight, 1 / the bag's count (mean), or 1; 0 out of a bag."""
    weight = xs[0]
    psw = xs[3] if len(xs) > 3 else None
    scale = np.ones(bag.size, weight.dtype) if psw is None else psw.astype(weight.dtype)
    if p["mode"] == "mean":
        scale = scale / np.maximum(counts[np.maximum(bag, 0)], 1).astype(weight.dtype)
    return np.where(bag >= 0, scale, 0).astype(weight.dtype)


def _weight_vjp(g, ans, xs, p):
    """Each entry's bag's gradient (times its scale) added into its row;
    max: each column's gradient into the row that gave the maximum."""
    weight, idx, offsets = xs[:3]
    bag, n_bags, counts = bags(idx, offsets, p)
    g = np.asarray(g, weight.dtype)
    out = np.zeros(weight.shape, weight.dtype)
    if p["mode"] == "max":
        arg = _max_rows(weight, idx, bag, n_bags)[1]
        b, c = np.nonzero(arg >= 0)
        np.add.at(out, (arg[b, c], c), g[b, c])
        return out
    live = bag >= 0
    rows = g[bag[live]] * _entry_scale(xs, p, bag, counts)[live][:, None]
    np.add.at(out, idx[live], rows.astype(weight.dtype))
    return out


def _psw_vjp(g, ans, xs, p):
    """d out / d per_sample_weight: the entry's row dotted with its bag's
    gradient (0 for a padding entry)."""
    weight, idx, offsets = xs[:3]
    bag = bags(idx, offsets, p)[0]
    g = np.asarray(g, weight.dtype)
    dots = np.einsum("ij,ij->i", g[np.maximum(bag, 0)], weight[idx]).astype(weight.dtype)
    return np.where(bag >= 0, dots, 0).astype(weight.dtype)


def _weight_jvp(t, ans, xs, p):
    """The weight's tangent: the op on it (max: at the rows that won)."""
    if p["mode"] != "max":
        return _forward([t] + list(xs[1:]), p)
    weight, idx, offsets = xs[:3]
    bag, n_bags, _ = bags(idx, offsets, p)
    arg = _max_rows(weight, idx, bag, n_bags)[1]
    cols = np.broadcast_to(np.arange(weight.shape[1]), arg.shape)
    return np.where(arg >= 0, t[np.maximum(arg, 0), cols], 0).astype(weight.dtype)


def _psw_jvp(t, ans, xs, p):
    weight, idx, offsets = xs[:3]
    return _forward([weight, idx, offsets, np.asarray(t, weight.dtype)], p)


defop("embedding_bag", "EmbeddingBagBackward0", _forward,
      vjp=(_weight_vjp, None, None, _psw_vjp), jvp=(_weight_jvp, None, None, _psw_jvp),
      saved=("0123", "0123", "0123", "0123"),
      formula=("d bag/d weight = each entry's bag gradient (times its sample weight, over "
               "the count for mean; max: the winning row's) added into its row",
               "", "", "d bag/d per_sample_weight = the entry's row . its bag's gradient"),
      symbol="F.embedding_bag", dtype_rule=SAME)
