"""Ops that write into a copy of a tensor at indices: scatter (a tensor src
or one value), scatter_add, scatter_reduce, index_add, index_copy,
index_fill, and scatter with the older reduce= (no derivative).

Index arrays are params (checked and made int64 by the caller,
scatter_fns.py); a 0-d tensor comes in reshaped to one element. Each VJP
is PyTorch's derivative formula (derivatives.yaml), also where it is not
the true derivative: with a repeated index, scatter's src gradient gathers
g at every src position, though only the last write survives.
"""
from __future__ import annotations

import numpy as np

from ..errors import GradvizError, RUNTIME
from .registry import SAME, defop, no_derivative, unbroadcast

# scatter_reduce's start value where include_self=False (the identity)
REDUCE_IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}


def positions(index: np.ndarray, dim: int) -> tuple:
    """Where index points: the index's own position in every dim but dim,
    index's value along dim (numpy's advanced index)."""
    where = list(np.indices(index.shape, sparse=True))
    where[dim] = index
    return tuple(where)


def corner(a: np.ndarray, shape: tuple) -> np.ndarray:
    """a's leading block of the given shape (src may be larger than index)."""
    return a[tuple(slice(0, n) for n in shape)]


def _into(shape, dtype, index, dim, values) -> np.ndarray:
    """zeros of shape with values (of index's shape) placed at src's corner."""
    out = np.zeros(shape, dtype)
    out[tuple(slice(0, n) for n in index.shape)] = values
    return out


def _gathered(g, src_shape, p):
    """g read at where index points, as src's gradient (PyTorch's
    grad.gather(dim, index), zeros where src is larger than index)."""
    index = p["index"]
    return _into(src_shape, g.dtype, index, p["dim"], g[positions(index, p["dim"])])


def _zeroed(g, p):
    """g with zeros where index points (grad.scatter(dim, index, 0))."""
    out = g.copy()
    out[positions(p["index"], p["dim"])] = 0
    return out


# ---- scatter: src tensor (ScatterBackward0) and value (ScatterBackward1) ------

def _scatter_fwd(xs, p):
    x, src = xs
    out = x.copy()
    index = p["index"]
    out[positions(index, p["dim"])] = corner(src, index.shape)
    return out


def per_input(rule) -> tuple:
    """rule(a, ans, xs, p, i) as one rule for each of two inputs."""
    return (lambda a, ans, xs, p: rule(a, ans, xs, p, 0),
            lambda a, ans, xs, p: rule(a, ans, xs, p, 1))


def _write_op(name, grad_fn, forward, cleared, picked, formula):
    """An op that writes src into a copy of x: x's gradient is g with the
    written places cleared, src's g picked at them; linear in each."""
    defop(name, grad_fn, forward,
          vjp=(lambda g, ans, xs, p: cleared(g, p),
               lambda g, ans, xs, p: picked(g, xs[1].shape, p)),
          jvp=(lambda t, ans, xs, p: cleared(t, p),
               lambda t, ans, xs, p: forward([np.zeros_like(ans), t], p)),
          formula=formula, symbol=name, saves=False, dtype_rule=SAME)


_write_op("scatter", "ScatterBackward0", _scatter_fwd, _zeroed, _gathered,
          ("d scatter/dx = 1 where nothing is written, else 0",
           "d scatter/dsrc = the gradient gathered at index"))


def _scatter_value_fwd(xs, p):
    out = xs[0].copy()
    out[positions(p["index"], p["dim"])] = p["value"]
    return out


defop("scatter_value", "ScatterBackward1", _scatter_value_fwd,
      vjp=(lambda g, ans, xs, p: _zeroed(g, p),),
      jvp=(lambda t, ans, xs, p: _zeroed(t, p),),
      formula=("d scatter/dx = 1 where the value is not written, else 0",),
      symbol="scatter", saves=False, dtype_rule=SAME)


def _scatter_reduce_old_fwd(xs, p):
    """scatter(..., reduce='add' | 'multiply'), of src or of one value."""
    out = xs[0].copy()
    index = p["index"]
    values = corner(xs[1], index.shape) if len(xs) > 1 else np.full(index.shape, p["value"])
    ufunc = np.add if p["reduce"] == "add" else np.multiply
    ufunc.at(out, positions(index, p["dim"]), values.astype(out.dtype))
    return out


_NO_DERIVATIVE = no_derivative("scatter")
defop("scatter_reduce_old", _NO_DERIVATIVE.pop("grad_fn"), _scatter_reduce_old_fwd,
      symbol="scatter", dtype_rule=SAME, **_NO_DERIVATIVE)


# ---- scatter_add and scatter_reduce ---------------------------------------------

def _scatter_add_fwd(xs, p):
    x, src = xs
    out = x.copy()
    index = p["index"]
    # np.add.at adds in index order, one at a time, as PyTorch's CPU loop
    np.add.at(out, positions(index, p["dim"]), corner(src, index.shape))
    return out


defop("scatter_add", "ScatterAddBackward0", _scatter_add_fwd,
      vjp=(lambda g, ans, xs, p: g,
           lambda g, ans, xs, p: _gathered(g, xs[1].shape, p)),
      jvp=(lambda t, ans, xs, p: t,
           lambda t, ans, xs, p: _scatter_add_fwd([np.zeros_like(ans), t], p)),
      formula=("d scatter_add/dx = 1", "d scatter_add/dsrc = the gradient gathered at index"),
      symbol="scatter_add", saves=False, dtype_rule=SAME)


_UFUNCS = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.fmax,
           "amin": np.fmin}


def _counts(x, p) -> np.ndarray:
    """How many values each position of the result reduces (mean's divisor)."""
    index = p["index"]
    n = np.full(x.shape, 1 if p["include_self"] else 0, np.int64)
    np.add.at(n, positions(index, p["dim"]), 1)
    return n


def _scatter_reduce_fwd(xs, p):
    x, src = xs
    index, dim, reduce = p["index"], p["dim"], p["reduce"]
    # NOTE: PyTorch's forward takes 'max' and 'min' as amax and amin; its
    # backward refuses them (_scatter_reduce_vjp)
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)
    where = positions(index, dim)
    out = x.copy()
    if not p["include_self"]:
        identity = REDUCE_IDENTITY[reduce]
        if out.dtype.kind != "f" and reduce in ("amax", "amin"):
            info = np.iinfo(out.dtype) if out.dtype.kind in "iu" else None
            identity = (info.min if reduce == "amax" else info.max) if info else identity
        out[where] = identity
    values = corner(src, index.shape)
    if reduce in ("amax", "amin"):
        # NaN wins, as in PyTorch's max/min (fmax would drop it)
        ufunc = np.maximum if reduce == "amax" else np.minimum
    else:
        ufunc = _UFUNCS[reduce]
    ufunc.at(out, where, values)
    if reduce == "mean":
        n = np.maximum(_counts(x, p), 1)
        out = (out // n if out.dtype.kind in "iub" else out / n).astype(x.dtype)
    return out


def _scatter_reduce_vjp(g, ans, xs, p, i):
    """PyTorch's scatter_reduce_backward (derivatives.yaml), one input."""
    x, src = xs
    index, dim, reduce = p["index"], p["dim"], p["reduce"]
    if reduce not in REDUCE_IDENTITY:
        raise GradvizError("Expected 'reduce' to be one of 'sum', 'prod', 'mean', 'amax', "
                           f"'amin' but got {reduce}.", kind=RUNTIME,
                           hint=f"the forward takes '{reduce}', the backward only "
                                f"reduce='a{reduce}'")
    where = positions(index, dim)
    gather = lambda a: _into(src.shape, g.dtype, index, dim, a[where])    # noqa: E731
    if reduce == "sum":
        grad_self, grad_src = g, (gather(g) if i else None)
    elif reduce == "mean":
        n = np.maximum(_counts(x, p), 1).astype(g.dtype)
        grad_self = g / n
        grad_src = gather(grad_self) if i else None
    elif reduce == "prod":
        grad_self, grad_src = _prod_grads(g, ans, x, src, p, where, gather)
    else:
        value = ans[where]
        self_is = (x == ans).astype(g.dtype)
        src_is = (corner(src, index.shape) == value).astype(g.dtype)
        n = self_is.copy()
        np.add.at(n, where, src_is)
        spread = g / n
        grad_self = self_is * spread
        grad_src = _into(src.shape, g.dtype, index, dim, src_is * spread[where])
    if i == 1:
        return grad_src
    if not p["include_self"]:
        grad_self = _zeroed(grad_self, p)
    return grad_self


def _prod_grads(g, ans, x, src, p, where, gather):
    """prod's gradients, with PyTorch's care for zeros: the product of the
    others, computed again with a lone zero replaced by 1."""
    index, dim = p["index"], p["dim"]
    masked_self = np.where(x == 0, 1, x).astype(x.dtype)
    masked_result = _scatter_reduce_fwd([masked_self, src], p)
    grad_self = g * masked_result / masked_self
    src_c = corner(src, index.shape)
    src_zero = src_c == 0
    zeros = np.zeros(x.shape, g.dtype)
    np.add.at(zeros, where, src_zero.astype(g.dtype))
    single_zero = src_zero & (zeros[where] == 1)
    masked_src = np.where(single_zero, 1, src_c).astype(src.dtype)
    masked_src_result = _scatter_reduce_fwd([x, _into(src.shape, src.dtype, index, dim,
                                                      masked_src)], p)
    grad_src = np.where(single_zero, (g * masked_src_result)[where],
                        (g * ans)[where] / np.where(src_zero, 1, src_c))
    return grad_self, _into(src.shape, g.dtype, index, dim, grad_src)


def _scatter_reduce_jvp(t, ans, xs, p, i):
    """Each input element reaches one element of the result, so the VJP of
    a gradient of ones is each element's own derivative: the tangent
    scaled by it, and src's added in where index points."""
    if p["reduce"] in ("amax", "amin", "max", "min"):
        return _extreme_jvp(t, ans, xs, p, i)
    slope = _scatter_reduce_vjp(np.ones_like(ans), ans, xs, p, i)
    if i == 0:
        return slope * t
    index = p["index"]
    out = np.zeros_like(ans)
    np.add.at(out, positions(index, p["dim"]), corner(slope * t, index.shape))
    return out


def _extreme_jvp(t, ans, xs, p, i):
    """amax/amin: the tangents of the values equal to the result, averaged
    (PyTorch's JVP counts x's own value only where include_self keeps it,
    unlike its VJP)."""
    x, src = xs
    index = p["index"]
    where = positions(index, p["dim"])
    self_is = (x == ans).astype(ans.dtype)
    if not p["include_self"]:
        self_is = _zeroed(self_is, p)
    src_is = (corner(src, index.shape) == ans[where]).astype(ans.dtype)
    n = self_is.copy()
    np.add.at(n, where, src_is)
    if i == 0:
        return self_is * t / n
    out = np.zeros_like(ans)
    np.add.at(out, where, src_is * corner(t, index.shape))
    return out / n


defop("scatter_reduce", "ScatterReduceBackward0", _scatter_reduce_fwd,
      vjp=per_input(_scatter_reduce_vjp), jvp=per_input(_scatter_reduce_jvp),
      formula=("d scatter_reduce/dx: PyTorch's scatter_reduce_backward",
               "d scatter_reduce/dsrc: PyTorch's scatter_reduce_backward"),
      symbol="scatter_reduce", saved=("0", "1", "r"), dtype_rule=SAME)


# ---- index_add, index_copy, index_fill (whole slices along dim) ---------------

def _rows(ndim: int, dim: int, index) -> tuple:
    return (slice(None),) * dim + (index,)


def _index_add_fwd(xs, p):
    x, src = xs
    out = x.copy()
    alpha = p["alpha"]
    np.add.at(out, _rows(x.ndim, p["dim"], p["index"]),
              src if alpha == 1 else (src * np.asarray(alpha, src.dtype)).astype(src.dtype))
    return out


def _selected(g, p, scale=1):
    out = np.take(g, p["index"], axis=p["dim"])
    return out if scale == 1 else out * np.asarray(scale, g.dtype)


defop("index_add", "IndexAddBackward0", _index_add_fwd,
      vjp=(lambda g, ans, xs, p: g,
           lambda g, ans, xs, p: _selected(g, p, p["alpha"])),
      jvp=(lambda t, ans, xs, p: t,
           lambda t, ans, xs, p: _index_add_fwd([np.zeros_like(ans), t], p)),
      formula=("d index_add/dx = 1", "d index_add/dsource = alpha * the gradient's rows at index"),
      symbol="index_add", saves=False, dtype_rule=SAME)


def _rows_zeroed(g, p):
    out = g.copy()
    out[_rows(g.ndim, p["dim"], p["index"])] = 0
    return out


def _index_copy_fwd(xs, p):
    x, src = xs
    out = x.copy()
    out[_rows(x.ndim, p["dim"], p["index"])] = src
    return out


_write_op("index_copy", "IndexCopyBackward0", _index_copy_fwd, _rows_zeroed,
          lambda g, shape, p: _selected(g, p),
          ("d index_copy/dx = 1 outside the copied rows",
           "d index_copy/dsource = the gradient's rows at index"))


def _index_fill_fwd(xs, p):
    out = xs[0].copy()
    out[_rows(out.ndim, p["dim"], p["index"])] = xs[1] if len(xs) > 1 else p["value"]
    return out


def _index_fill_value_vjp(g, ans, xs, p):
    negative = p["given"][p["given"] < 0]
    if negative.size:
        # NOTE: PyTorch's index_select of the gradient takes the index as
        # given, and refuses a negative one (the forward took it)
        raise GradvizError(f"INDICES element is out of DATA bounds, id={negative[0]} "
                           f"axis_dim={g.shape[p['dim']]}", kind=RUNTIME,
                           hint="index_fill with a tensor value has a gradient only for "
                                "indices from 0 up: write i % n for the negative ones")
    return np.asarray(_selected(g, p).sum(), g.dtype)


def _index_fill_grad_fn(t):
    # a 0-d tensor value is PyTorch's second overload (the value gets a gradient)
    return "IndexFillBackward1" if len(t.args) > 1 else "IndexFillBackward0"


defop("index_fill", _index_fill_grad_fn, _index_fill_fwd,
      # NOTE: the value's gradient is PyTorch's grad.index_select(dim, index).sum():
      # a repeated index counts its rows twice
      vjp=(lambda g, ans, xs, p: _rows_zeroed(g, p), _index_fill_value_vjp),
      jvp=(lambda t, ans, xs, p: _rows_zeroed(t, p),
           lambda t, ans, xs, p: _index_fill_fwd([np.zeros_like(ans), np.asarray(t)], p)),
      formula=("d index_fill/dx = 1 outside the filled rows",
               "d index_fill/dvalue = the gradient's filled rows, summed"),
      symbol="index_fill", saves=False, dtype_rule=SAME)


# ---- index_put(indices, values, accumulate=True): values added at the indices --

def _index_put_add_fwd(xs, p):
    out = xs[0].copy()
    index = p["index"]
    np.add.at(out, index, np.broadcast_to(xs[1], out[index].shape).astype(out.dtype))
    return out


def _index_put_add_vjp_values(g, ans, xs, p):
    part = g[p["index"]]
    v = xs[1]
    if v.ndim > part.ndim:          # (a value with extra leading 1s)
        part = part.reshape((1,) * (v.ndim - part.ndim) + part.shape)
    return unbroadcast(part, v.shape)


defop("index_put_add", "IndexPutBackward0", _index_put_add_fwd,
      vjp=(lambda g, ans, xs, p: g, _index_put_add_vjp_values),
      jvp=(lambda t, ans, xs, p: t,
           lambda t, ans, xs, p: _index_put_add_fwd([np.zeros_like(ans), t], p)),
      formula=("d index_put(accumulate=True)/dx = 1",
               "d index_put(accumulate=True)/dvalues = the gradient at the indices, summed"),
      symbol="index_put", saves=False, dtype_rule=SAME)


# ---- index_reduce: scatter_reduce of whole slices along dim -------------------

# The caller (scatter_fns.f_index_reduce) spreads the vector of indices over
# source's shape, so index_reduce is scatter_reduce with that index: PyTorch's
# index_reduce_backward is scatter_reduce_backward's formula with
# index_select and index_fill in place of gather and scatter.
defop("index_reduce", "IndexReduceBackward0", _scatter_reduce_fwd,
      vjp=per_input(_scatter_reduce_vjp), jvp=per_input(_scatter_reduce_jvp),
      formula=("d index_reduce/dx: PyTorch's index_reduce_backward",
               "d index_reduce/dsource: PyTorch's index_reduce_backward"),
      symbol="index_reduce", saved=("0", "1", "r"), dtype_rule=SAME)


def _two_zeros_refused(*_):
    raise GradvizError("index_reduce(): Double backward is unsupported for source when >1 zeros "
                       "in source are scattered to the same position in self", kind=RUNTIME,
                       hint="PyTorch has no second derivative there; differentiate once, or "
                            "keep the zeros of source apart")


# index_reduce's gradient of source under create_graph=True where two of its
# zeros go to one position: PyTorch passes it through a DelayedError node
# (grad_fn Error), whose own backward raises
defop("index_reduce_delayed_error", "Error", lambda xs, p: xs[0].copy(),
      vjp=(_two_zeros_refused,), jvp=(_two_zeros_refused,),
      formula=("not differentiable (PyTorch's DelayedError)",), symbol="index_reduce",
      saves=False, dtype_rule=SAME, no_derivative="index_reduce")


# ---- masked_scatter(x, mask, source): source's values, in order, where mask holds

def _masked_scatter_fwd(xs, p):
    """x (broadcast with the mask: params["mask"], of the result's shape)
    with source's leading values written where the mask holds."""
    x, source = xs
    mask = p["mask"]
    out = np.broadcast_to(x, mask.shape).copy()
    out[mask] = source.reshape(-1)[:int(mask.sum())]
    return out


def _masked_source_vjp(g, ans, xs, p):
    """PyTorch's masked_scatter_backward: g where the mask holds, in order,
    then zeros up to source's size, in source's shape."""
    source = xs[1]
    picked = g[p["mask"]]
    out = np.zeros(source.size, g.dtype)
    out[:picked.size] = picked
    return out.reshape(source.shape)


def _masked_cleared(g, p):
    return np.where(p["mask"], 0, g).astype(g.dtype)


defop("masked_scatter", "MaskedScatterBackward0", _masked_scatter_fwd,
      vjp=(lambda g, ans, xs, p: _masked_cleared(g, p), _masked_source_vjp),
      jvp=(lambda t, ans, xs, p: _masked_cleared(np.broadcast_to(t, ans.shape), p),
           lambda t, ans, xs, p: _masked_scatter_fwd([np.zeros_like(ans), t], p)),
      formula=("d masked_scatter/dx = [not mask]",
               "d masked_scatter/dsource = the gradient where the mask holds, in order"),
      symbol="masked_scatter", saves=False, dtype_rule=SAME)


def _masked_scatter_backward_fwd(xs, p):
    """masked_scatter's gradient of source as an op of g (PyTorch records
    it so under create_graph=True): params mask and the source's shape."""
    g = xs[0]
    return _masked_source_vjp(g, None, (None, np.broadcast_to(np.zeros((), g.dtype), p["shape"])),
                              p)


defop("masked_scatter_backward", "MaskedScatterBackwardBackward0", _masked_scatter_backward_fwd,
      vjp=(lambda g, ans, xs, p: _masked_scatter_fwd([np.zeros(p["mask"].shape, g.dtype), g], p),),
      jvp=(lambda t, ans, xs, p: _masked_scatter_backward_fwd([t], p),),
      formula=("d masked_scatter_backward(g)/dg: the gradient put back where the mask holds",),
      symbol="masked_scatter_backward", saves=False, dtype_rule=SAME)


# ---- put(x, index, source, accumulate): source written (or added) at flat positions

def _put_fwd(xs, p):
    x, source = xs
    out = x.copy().reshape(-1)
    if p["accumulate"]:
        np.add.at(out, p["index"], source.reshape(-1))
    else:
        out[p["index"]] = source.reshape(-1)
    return out.reshape(x.shape)


def _put_cleared(g, p):
    """x's gradient: g itself when accumulating, else zeros where put wrote
    (PyTorch's grad.put(index, zeros_like(source)))."""
    if p["accumulate"]:
        return g
    out = g.copy().reshape(-1)
    out[p["index"]] = 0
    return out.reshape(g.shape)


defop("put", "PutBackward0", _put_fwd,
      vjp=(lambda g, ans, xs, p: _put_cleared(g, p),
           lambda g, ans, xs, p: g.reshape(-1)[p["index"]].reshape(xs[1].shape)),
      jvp=(lambda t, ans, xs, p: _put_cleared(t, p),
           lambda t, ans, xs, p: _put_fwd([np.zeros_like(ans), t], p)),
      formula=("d put/dx = 1 (accumulate), else 1 where nothing is put",
               "d put/dsource = the gradient taken at the flat positions"),
      symbol="put", saves=False, dtype_rule=SAME)
