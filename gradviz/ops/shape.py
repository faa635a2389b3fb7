"""Shape ops: reshape/view, transpose, .T, unsqueeze, squeeze, cat, stack,
indexing, dtype conversion and clone. All linear, none saves tensors."""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop, unbroadcast


def _linear(name, grad_fn, fwd, vjp, formula, symbol=None, **kw):
    """A linear op: its JVP is the forward applied to the tangent."""
    defop(name, grad_fn, fwd, vjp=(vjp,),
          jvp=(lambda t, ans, xs, p: fwd([t] + list(xs[1:]), p),),
          formula=(formula,), symbol=symbol or name, saves=False, dtype_rule=SAME, **kw)


def _reshape_grad_fn(t):
    # NOTE: PyTorch's reshape views a contiguous input (ViewBackward0), aliases
    # a strided one when strides allow (ReshapeAliasBackward0), else copies
    # (UnsafeViewBackward0); numpy keeps the same strides, so ask it
    x = t.args[0].data
    if x.flags.c_contiguous:
        return "ViewBackward0"
    try:
        np.reshape(x, t.data.shape, copy=False)
        return "ReshapeAliasBackward0"
    except ValueError:
        return "UnsafeViewBackward0"


_linear("reshape", _reshape_grad_fn, lambda xs, p: xs[0].reshape(p["shape"]),
        lambda g, ans, xs, p: g.reshape(xs[0].shape), "gradient reshaped back")
_linear("view", "ViewBackward0", lambda xs, p: xs[0].reshape(p["shape"]),
        lambda g, ans, xs, p: g.reshape(xs[0].shape), "gradient reshaped back")
_linear("flatten", _reshape_grad_fn, lambda xs, p: xs[0].reshape(p["shape"]),
        lambda g, ans, xs, p: g.reshape(xs[0].shape), "gradient reshaped back")
def _swap(a, dims):
    # a 0-d tensor transposes to itself (x.transpose(0, 0)); numpy refuses it
    return np.swapaxes(a, *dims) if a.ndim else a


_linear("transpose", "TransposeBackward0", lambda xs, p: _swap(xs[0], p["dims"]),
        lambda g, ans, xs, p: _swap(g, p["dims"]), "gradient transposed back")
# x.permute(2, 0, 1): p["dims"] the new order; backward puts the axes back
_linear("permute", "PermuteBackward0", lambda xs, p: np.transpose(xs[0], p["dims"]),
        lambda g, ans, xs, p: np.transpose(g, np.argsort(p["dims"])),
        "gradient permuted back")
_linear("T", "PermuteBackward0", lambda xs, p: xs[0].T,
        lambda g, ans, xs, p: g.T, "gradient transposed back", symbol=".T")
_linear("t", "TBackward0", lambda xs, p: xs[0].T,
        lambda g, ans, xs, p: g.T, "gradient transposed back", symbol=".t()")
_linear("unsqueeze", "UnsqueezeBackward0", lambda xs, p: np.expand_dims(xs[0], p["dim"]),
        lambda g, ans, xs, p: g.reshape(xs[0].shape), "gradient squeezed back")
def _squeeze_grad_fn(t) -> str:
    dim = t.params.get("dim")
    return "SqueezeBackward0" if dim is None else \
        "SqueezeBackward2" if isinstance(dim, tuple) else "SqueezeBackward1"


_linear("squeeze", _squeeze_grad_fn,
        lambda xs, p: xs[0].reshape(p["shape"]),
        lambda g, ans, xs, p: g.reshape(xs[0].shape), "gradient unsqueezed back")
# (a clone that backward(create_graph=True) makes of a leaf's first .grad is
# PyTorch's copy_ into new memory: CopyBackwards)
_linear("clone", lambda t: t.params.get("grad_fn", "CloneBackward0"), lambda xs, p: xs[0].copy(),
        lambda g, ans, xs, p: g, "d clone(x)/dx = 1")
# a module's backward hooks (module_hooks.py): PyTorch's BackwardHookFunction
# returns its input as-is (a view: the same memory), its backward the gradient
_linear("backward_hook", "BackwardHookFunctionBackward", lambda xs, p: xs[0].view(),
        lambda g, ans, xs, p: g, "d x/dx = 1",
        symbol="backward hook")
def _to_dtype(xs, p):
    x, dt = xs[0], p["dtype"]
    if dt == np.float16 and x.dtype == np.float64:
        x = x.astype(np.float32)     # PyTorch's float64 to float16 goes through float32
    return x.astype(dt)


_linear("to_dtype", "ToCopyBackward0", _to_dtype,
        lambda g, ans, xs, p: g.astype(xs[0].dtype), "gradient cast back")


def _index_vjp(g, ans, xs, p):
    x = xs[0]
    out = np.zeros(x.shape, g.dtype)
    if p.get("advanced") or p.get("repeats"):
        np.add.at(out, p["index"], g)   # repeated indices add up (an expanded view's too)
    else:
        out[p["index"]] = g
    return out


def _index_grad_fn(t):
    return t.params["grad_fn"]


def _index_fwd(xs, p):
    """x[index]: basic indexing gives a view of x, as in PyTorch (an in-place
    write through y = x[0] changes x); numpy would give a copy for a single
    element unless the index ends in `...`."""
    idx = p["index"]
    if p.get("advanced"):
        # a new tensor, contiguous as PyTorch's (numpy's may be in another
        # order, which view() and reshape() would then see)
        out = np.asarray(xs[0][idx])
        return out if out.flags.c_contiguous else out.copy()
    if any(i is Ellipsis for i in idx):
        return np.asarray(xs[0][idx])
    return xs[0][idx + (Ellipsis,)]


def _pieces_vjp(outs, xs, p):
    """The gradient of a split's (unbind's) pieces in one array, as PyTorch's
    split_backward joins them: each piece's gradient in its place, zeros
    where a piece has none (a piece's -0.0 stays -0.0, where a sum of one
    array per piece would make it 0.0)."""
    out = None
    for node, g in outs.values():
        if g is not None:
            if out is None:
                out = np.zeros(xs[0].shape, g.dtype)
            out[node.params["index"]] = g
    return (out,)


defop("index", _index_grad_fn, _index_fwd,
      vjp=(_index_vjp,), jvp=(lambda t, ans, xs, p: np.asarray(t[p["index"]]),), joint=_pieces_vjp,
      formula=("gradient scattered back into the indexed positions",), symbol="[]",
      saves=False, dtype_rule=SAME)


def _split(g, xs, p, i, stacked):
    """Input i's part of the gradient: a view of g, as PyTorch's narrow() and
    select() are (so a gradient that repeats memory, sum's expanded one,
    still does: grad() marks it, and an in-place op on it is refused)."""
    d = p["dim"] % g.ndim
    lead = (slice(None),) * d
    if stacked:
        return g[lead + (i,)]
    start = sum(x.shape[d] for x in xs[:i])
    return g[lead + (slice(start, start + xs[i].shape[d]),)]


def _cat_fwd(xs, p):
    return np.concatenate(xs, axis=p["dim"])


def _stack_fwd(xs, p):
    return np.stack(xs, axis=p["dim"])


def _jvp_by_zeros(fwd):
    def rule(t, ans, xs, p, i):
        parts = [np.zeros_like(x) if j != i else t for j, x in enumerate(xs)]
        return fwd(parts, p)
    return rule


# variadic ops: one rule for all inputs, called with the input's index last
defop("cat", "CatBackward0", _cat_fwd, vjp=(lambda g, ans, xs, p, i: _split(g, xs, p, i, False),),
      jvp=(_jvp_by_zeros(_cat_fwd),),
      formula=("gradient split back into the pieces",), symbol="cat", saves=False,
      variadic=True)
defop("stack", "StackBackward0", _stack_fwd, vjp=(lambda g, ans, xs, p, i: _split(g, xs, p, i, True),),
      jvp=(_jvp_by_zeros(_stack_fwd),),
      formula=("gradient unstacked back into the pieces",), symbol="stack", saves=False,
      variadic=True)


# ---- ops a recorded backward pass (create_graph=True) is made of -------------
# the gradient of sum/mean is an expand, the gradient of an index a scatter;
# each is linear, and the other's adjoint (see higher_order.py)

def _expand_fwd(xs, p):
    # a copy, not numpy's read-only broadcast view: the program may write to it
    return np.broadcast_to(xs[0], p["shape"]).copy()


_linear("expand", "ExpandBackward0", _expand_fwd,
        lambda g, ans, xs, p: unbroadcast(g, np.shape(xs[0])),
        "gradient summed over the expanded axes")


def _repeat_fwd(xs, p):
    """x.repeat(*reps): x tiled reps times along each axis (new leading axes
    for reps longer than x's shape)."""
    reps = p["reps"]
    x = xs[0].reshape((1,) * (len(reps) - xs[0].ndim) + xs[0].shape)
    return np.tile(x, reps)


def _repeat_vjp(g, ans, xs, p):
    """The tiles' gradients summed: each axis of size r*s split into (r, s),
    the r axes summed, the new leading axes dropped."""
    reps = p["reps"]
    x_shape = xs[0].shape
    shape = (1,) * (len(reps) - len(x_shape)) + x_shape
    split = [n for r, s in zip(reps, shape) for n in (r, s)]
    return g.reshape(split).sum(axis=tuple(range(0, 2 * len(reps), 2))).reshape(x_shape)


_linear("repeat", "RepeatBackward0", _repeat_fwd, _repeat_vjp,
        "gradient of each copy summed back")


def _scatter_fwd(xs, p):
    """zeros of p["shape"] with xs[0] put at p["index"] (repeats add up)."""
    g = xs[0]
    out = np.zeros(p["shape"], g.dtype)
    if p.get("advanced"):
        np.add.at(out, p["index"], g)
    else:
        out[p["index"]] = g
    return out


defop("index_backward", _index_grad_fn, _scatter_fwd,
      vjp=(lambda g, ans, xs, p: np.asarray(g[p["index"]]),),
      jvp=(lambda t, ans, xs, p: _scatter_fwd([t], p),),
      formula=("gradient picked back out of the scattered positions",),
      symbol="index_backward", saves=False, dtype_rule=SAME)


# ---- item assignment with gradients on: y[index] = v ------------------------
# Recorded out of place (see Interpreter._setitem): the result is y with v
# written at index. PyTorch's grad_fn depends on how it wrote it, chosen by
# the interpreter: CopySlices (into a view of y: x[0], x[1:], x[None]),
# IndexPutBackward0 (index_put_ on y itself: an index tensor, list or mask),
# FillBackward3 (all of y, from a number or a 0-d tensor), CopyBackwards
# (all of y, from a tensor). The gradient is the same for all four. A write
# into a view also records the base's side of it: the base with the view's
# new values at the view's positions, CopySlices (Interpreter._write_through_view).

def strip_leading_ones(a, ndim: int):
    """a without its leading size-1 dimensions beyond ndim: PyTorch's item
    assignment drops them before broadcasting (v of shape [1, 3] fills y[0]
    of shape [3]), as numpy's does."""
    if a.__class__ is not np.ndarray or a.ndim <= ndim:     # (a number: as it is)
        return a
    shape = a.shape
    k = 0
    while len(shape) - k > ndim and shape[k] == 1:
        k += 1
    return a.reshape(shape[k:]) if k else a


def _setitem_fwd(xs, p):
    out = xs[0].copy()
    _put(out, p, xs[1])
    return out


def _put(out, p, v) -> None:
    """out[index] = v; with p["written"] (a write through a view that holds
    an element at several positions, which the op wrote at some of them: a
    masked fill of an expand), an element takes its value from a position
    written, as PyTorch's kernel leaves the memory, not from the last."""
    idx = p["index"]
    out[idx] = v
    w = p.get("written")
    if w is not None:
        out[tuple(k[w] for k in idx)] = np.broadcast_to(v, w.shape)[w]


def _setitem_vjp_self(g, ans, xs, p):
    # NOTE: the written part of y-before does not reach the result: its
    # gradient there is 0 (PyTorch's CopySlices, IndexPutBackward0); all of
    # it for a whole write (CopyBackwards, FillBackward3: zeros_like(g))
    out = np.array(g, copy=True)
    out[p["index"]] = 0
    return out


def _setitem_vjp_value(g, ans, xs, p):
    # NOTE: with repeated indices (y[[0, 0]] = v) only the last write stays
    # in y, but PyTorch's IndexPutBackward0 sends every element of v the
    # gradient of its position, g[index], as here
    part = np.asarray(g[p["index"]])
    v = xs[1]
    extra = np.ndim(v) - part.ndim
    if extra > 0:
        part = part.reshape((1,) * extra + part.shape)
    return unbroadcast(part, np.shape(v))


def _setitem_jvp_self(t, ans, xs, p):
    return _setitem_vjp_self(t, ans, xs, p)


def _setitem_jvp_value(t, ans, xs, p):
    # the adjoint of the VJP (repeated indices add up), so that forward and
    # reverse mode agree as they do for every op
    out = np.zeros(ans.shape, ans.dtype)
    idx = p["index"]
    part_ndim = np.ndim(out[idx])
    t = strip_leading_ones(np.asarray(t), part_ndim)
    if p.get("advanced"):
        np.add.at(out, idx, np.broadcast_to(t, np.shape(out[idx])))
    else:
        _put(out, p, t)
    return out


defop("setitem", lambda t: t.params["grad_fn"], _setitem_fwd,
      vjp=(_setitem_vjp_self, _setitem_vjp_value), jvp=(_setitem_jvp_self, _setitem_jvp_value),
      formula=("gradient passed on, 0 where the value was written",
               "gradient of the written part, summed to the value's shape"),
      symbol="[]=", saves=False, dtype_rule=SAME)
