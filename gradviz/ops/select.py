"""Ops that move or pick elements: flip, roll, tril/triu, diag, diagonal,
trace, the gathers (gather, and the values of sort and topk), index_select,
masked_fill, masked_select, take. All linear in the tensor they read.

Index arrays (of gather, sort, index_select, take) are params, as those of
indexing are: computed and checked by the caller (functions.py), int64.
"""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop, unbroadcast


def _linear(name, grad_fn, fwd, vjp, formula, **kw):
    """A linear op: its JVP is the forward applied to the tangent."""
    defop(name, grad_fn, fwd, vjp=(vjp,),
          jvp=(lambda t, ans, xs, p: fwd([t] + list(xs[1:]), p),),
          formula=(formula,), symbol=name, saves=kw.pop("saves", False), dtype_rule=SAME, **kw)


# new memory, not numpy's view with negative strides: PyTorch's flip copies
_linear("flip", "FlipBackward0", lambda xs, p: np.flip(xs[0], p["dims"]).copy(),
        lambda g, ans, xs, p: np.flip(g, p["dims"]).copy(), "gradient flipped back")


def _roll(a, shifts, dims):
    """torch.roll: no dims rolls the flattened tensor."""
    if not dims:
        return np.roll(a.reshape(-1), shifts[0]).reshape(a.shape)
    return np.roll(a, shifts, dims)


_linear("roll", "RollBackward0", lambda xs, p: _roll(xs[0], p["shifts"], p["dims"]),
        lambda g, ans, xs, p: _roll(g, tuple(-s for s in p["shifts"]), p["dims"]),
        "gradient rolled back")
_linear("tril", "TrilBackward0", lambda xs, p: np.tril(xs[0], p["diagonal"]),
        lambda g, ans, xs, p: np.tril(g, p["diagonal"]),
        "d tril(x)/dx = 1 on and below the diagonal, else 0")
_linear("triu", "TriuBackward0", lambda xs, p: np.triu(xs[0], p["diagonal"]),
        lambda g, ans, xs, p: np.triu(g, p["diagonal"]),
        "d triu(x)/dx = 1 on and above the diagonal, else 0")


def _diagonal(xs, p):
    """x.diagonal(): a view of x's memory, as PyTorch's (a write into it
    changes x); torch.diag's (its grad_fn given) a copy, as there."""
    x = xs[0]
    view = np.diagonal(x, p["offset"], p["dim1"], p["dim2"])
    if "grad_fn" in p or not x.flags.writeable:
        return view.copy()
    view.flags.writeable = True          # (numpy's diagonal view is read-only by default)
    return view


def _diagonal_vjp(g, ans, xs, p):
    """g written on the diagonal of zeros of the input's shape."""
    out = np.zeros(xs[0].shape, g.dtype)
    view = np.diagonal(out, p["offset"], p["dim1"], p["dim2"])
    view.flags.writeable = True          # (numpy's diagonal view is read-only by default)
    view[...] = g
    return out


# torch.diag of a matrix is PyTorch's diagonal_copy (its node's name says so);
# x.diagonal() a view there and here
_linear("diagonal", lambda t: t.params.get("grad_fn", "DiagonalBackward0"), _diagonal,
        _diagonal_vjp, "gradient put back on the diagonal")
_linear("diag_embed", "DiagEmbedBackward0", lambda xs, p: np.diag(xs[0], p["offset"]),
        lambda g, ans, xs, p: np.diagonal(g, p["offset"]).copy(),
        "gradient read off the diagonal")


def _trace_fwd(xs, p):
    x = xs[0]
    # NOTE: PyTorch sums an integer matrix's diagonal to int64
    return np.asarray(np.trace(x), np.int64 if x.dtype.kind in "biu" else x.dtype)


def _trace_vjp(g, ans, xs, p):
    # NOTE: g written on the diagonal of zeros (PyTorch's index_fill): +0
    # off the diagonal for a negative g, not eye * g's -0
    out = np.zeros(xs[0].shape, g.dtype)
    np.fill_diagonal(out, g)
    return out


_linear("trace", "TraceBackward0", _trace_fwd, _trace_vjp, "d trace(x)/dx = identity")


# ---- gathers along a dim: gather, and sort's and topk's values ----------------

def _scatter_add(g, shape, dim, index, add: bool = True):
    """zeros of shape with g added at index along dim (repeats add up);
    add=False: written there, as PyTorch's scatter_ writes (a -0 of g stays
    -0, where adding it to zero gives +0)."""
    out = np.zeros(shape, g.dtype)
    if not index.size:
        return out
    where = list(np.indices(index.shape, sparse=True))
    where[dim] = index
    if add:
        np.add.at(out, tuple(where), g)
    else:
        out[tuple(where)] = g
    return out


def _gather_fwd(xs, p):
    x, index, d = xs[0], p["index"], p["dim"]
    if x.ndim == 0:
        return x.copy() if index.ndim == 0 else np.full(index.shape, x)
    # an index smaller than x in the other dims reads x's leading corner
    # (numpy's take_along_axis would broadcast instead)
    corner = tuple(slice(0, n) if k != d else slice(None) for k, n in enumerate(index.shape))
    return np.take_along_axis(x[corner], index, d)


def _gather_vjp(g, ans, xs, p):
    x, index = xs[0], p["index"]
    if x.ndim == 0:
        return np.asarray(g.sum(), g.dtype)
    # sort's and topk's indices do not repeat: PyTorch's backward of theirs
    # scatters the gradient into zeros (value_selecting_reduction_backward);
    # gather's adds it (its op as gather_backward's too: ScatterAddBackward0)
    return _scatter_add(g, x.shape, p["dim"], index,
                        add=p["grad_fn"] in ("GatherBackward0", "ScatterAddBackward0"))


# the grad_fn is the caller's: GatherBackward0, SortBackward0/1, TopkBackward0
_linear("gather", lambda t: t.params["grad_fn"], _gather_fwd, _gather_vjp,
        "gradient added back at the gathered positions",
        saves=True, saved=lambda node: ("0",) if node.params["grad_fn"] == "GatherBackward0" else ())


def _index_select_vjp(g, ans, xs, p):
    x = xs[0]
    if x.ndim == 0:
        return np.asarray(g.sum(), g.dtype)
    out = np.zeros(x.shape, g.dtype)
    where = [slice(None)] * x.ndim
    where[p["dim"]] = p["index"]
    np.add.at(out, tuple(where), g)                # a repeated index adds up
    return out


_linear("index_select", "IndexSelectBackward0",
        lambda xs, p: (np.take(xs[0], p["index"], axis=p["dim"]) if xs[0].ndim
                       else np.full(p["index"].shape, xs[0])),
        _index_select_vjp, "gradient added back at the selected rows")


def _take_vjp(g, ans, xs, p):
    out = np.zeros(xs[0].size, g.dtype)
    np.add.at(out, p["index"].reshape(-1), g.reshape(-1))
    return out.reshape(xs[0].shape)


_linear("take", "TakeBackward0", lambda xs, p: np.take(xs[0].reshape(-1), p["index"]),
        _take_vjp, "gradient added back at the flat positions taken",
        saves=True, saved=("0",))


# ---- masks: masked_fill(x, mask, value), masked_select(x, mask) ---------------

def _masked_fill_fwd(xs, p):
    x, mask, value = xs
    return np.where(mask, np.asarray(value).astype(x.dtype), x)


def _masked_fill_grad_fn(t):
    # a 0-d tensor value is PyTorch's second overload
    return "MaskedFillBackward1" if t.args[2].__class__.__name__ == "Tensor" else \
        "MaskedFillBackward0"


defop("masked_fill", _masked_fill_grad_fn, _masked_fill_fwd,
      vjp=(lambda g, ans, xs, p: np.where(xs[1], 0, g).astype(g.dtype),
           None,
           lambda g, ans, xs, p: np.asarray(np.where(xs[1], g, 0).sum(), g.dtype)),
      jvp=(lambda t, ans, xs, p: np.where(xs[1], 0, t).astype(t.dtype),
           None,
           lambda t, ans, xs, p: np.where(xs[1], np.asarray(t).reshape(()), 0).astype(ans.dtype)),
      formula=("d masked_fill(x)/dx = [not mask]", "", "d masked_fill(x)/dvalue = sum over mask"),
      symbol="masked_fill", saves=False, dtype_rule=SAME)


def _masked_select_fwd(xs, p):
    x, mask = np.broadcast_arrays(xs[0], xs[1])
    return x[mask]


def _masked_select_vjp(g, ans, xs, p):
    x, mask = xs
    shape = np.broadcast_shapes(x.shape, mask.shape)
    out = np.zeros(shape, g.dtype)
    out[np.broadcast_to(mask, shape)] = g
    return unbroadcast(out, x.shape)


defop("masked_select", "MaskedSelectBackward0", _masked_select_fwd,
      vjp=(_masked_select_vjp, None),
      jvp=(lambda t, ans, xs, p: _masked_select_fwd([t, xs[1]], p), None),
      formula=("gradient put back where the mask holds", ""), symbol="masked_select",
      saved=("0",), dtype_rule=SAME)
