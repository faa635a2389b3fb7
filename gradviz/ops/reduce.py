"""Reductions: sum, mean, max, min, prod, norm, var, std.

p["dim"] is None (all axes) or a tuple of non-negative axes, normalised by
the caller; p["keepdim"] a bool.
"""
from __future__ import annotations

import math

import numpy as np

from .decomp import GradModePasses
from .registry import BOOL, FLOAT, SAME, defop
from .norm_sums import reduces_ones_only, torch_norm_sum
from .summation import reduced_shape, torch_sum


def _expand(g, xs, p):
    """Broadcast a reduction's gradient back over the reduced axes (a view)."""
    x = xs[0]
    dim = p.get("dim")
    if dim is not None and not p.get("keepdim"):
        g = np.expand_dims(g, dim)
    return np.broadcast_to(g, x.shape)


def plus_zero(a: np.ndarray) -> np.ndarray:
    """a + 0. (in place when a is an array of its own): -0. becomes 0. and
    nothing else changes. NOTE: PyTorch's sums and running sums start from
    0., so they never give -0. (a sum of -0. is 0.); numpy's start from the
    first number."""
    if a.__class__ is np.ndarray and a.ndim and a.flags.writeable and a.flags.owndata:
        return np.add(a, 0, out=a)
    return np.asarray(a + a.dtype.type(0))


def _sum_fwd(xs, p):
    x = xs[0]
    axis, keepdim = p.get("dim"), p.get("keepdim", False)
    if x.dtype.kind == "f":
        # in PyTorch's order where it is known (the last bit of a float32
        # sum of many numbers depends on it: a training loop's loss.item())
        total = torch_sum(x, axis)
        if total is not None:
            return plus_zero(total if keepdim else
                             total.reshape(reduced_shape(x.shape, axis, False)))
        return plus_zero(np.asarray(np.sum(x, axis=axis, keepdims=keepdim)))
    # NOTE: PyTorch sums bool and int tensors (uint8 too) to int64, unless
    # sum(dtype=) asks for a narrower int (which wraps around)
    out = np.sum(x, axis=axis, keepdims=keepdim, dtype=_int_result(x, p))
    return np.asarray(out)


def _int_result(x, p):
    """The dtype an integer sum or product is computed in: sum(dtype=)'s
    narrow int (p["dtype"], its name), else int64 (numpy's default for the
    signed ints, not for bool and uint8)."""
    if p.get("dtype"):
        return np.dtype(p["dtype"])
    return np.int64 if x.dtype.kind in "bu" else None


defop("sum", lambda t: "SumBackward0" if t.params.get("dim") is None else "SumBackward1",
      _sum_fwd,
      vjp=(lambda g, ans, xs, p: _expand(g, xs, p),),
      jvp=(lambda t, ans, xs, p: _sum_fwd([t], p),),
      formula=("d sum(x)/dx_i = 1",), symbol="sum", saves=False, dtype_rule=SAME)


def _count(xs, p):
    x = xs[0]
    dim = p.get("dim")
    if dim is None:
        return x.size
    return int(np.prod([x.shape[d] for d in dim]))


def _mean_fwd(xs, p):
    x = xs[0]
    axis, keepdim = p.get("dim"), p.get("keepdim", False)
    if x.dtype.kind == "f" and x.size:
        out = _mean(x, axis)                    # PyTorch's: its sum, then a division
        return out if keepdim else out.reshape(reduced_shape(x.shape, axis, False))
    return np.asarray(np.mean(x, axis=axis, keepdims=keepdim, dtype=x.dtype))


defop("mean", lambda t: "MeanBackward0" if t.params.get("dim") is None else "MeanBackward1",
      _mean_fwd,
      # PyTorch's grad.expand(shape) / n: a new tensor, not a view of g
      vjp=(lambda g, ans, xs, p: _expand(g, xs, p) / _count(xs, p),),
      jvp=(lambda t, ans, xs, p: _mean_fwd([t], p),),
      formula=("d mean(x)/dx_i = 1/n",), symbol="mean", saves=False, dtype_rule=SAME)


def _extreme_mask(xs, ans, p):
    x = xs[0]
    a = ans
    dim = p.get("dim")
    if dim is not None and not p.get("keepdim"):
        a = np.expand_dims(a, dim)
    return x == a


def evenly_distributed(g, mask):
    """PyTorch's evenly_distribute_backward: g shared by the elements of
    mask. It writes the share into zeros (the others get +0), but under a
    torch.func transform (its tensors are subclass-like) it multiplies,
    mask * (g / count): -0. for a negative g."""
    share = g / max(int(mask.sum()), 1)
    if GradModePasses.depth:
        return (mask * share).astype(g.dtype)
    return np.where(mask, share, 0).astype(g.dtype)


def _full_extreme_vjp(g, ans, xs, p):
    # NOTE: PyTorch's max()/min() over all elements split the gradient
    # evenly between tied maxima (a NaN maximum: between the NaNs)
    mask = np.isnan(xs[0]) if np.isnan(ans).any() else _extreme_mask(xs, ans, p)
    return evenly_distributed(g, mask)


for _name, _fn, _gf in (("max", np.max, "MaxBackward1"), ("min", np.min, "MinBackward1")):
    defop(_name, _gf, (lambda f: lambda xs, p: np.asarray(f(xs[0])))(_fn),
          vjp=(_full_extreme_vjp,),
          jvp=(lambda t, ans, xs, p: np.asarray((t * _extreme_mask(xs, ans, p)).sum()
                                                / _extreme_mask(xs, ans, p).sum()).astype(t.dtype),),
          saved=("0r",),
          formula=(f"d {_name}(x)/dx_i = [x_i is the {_name}] / (number of ties)",),
          symbol=_name, dtype_rule=SAME)


def _dim_extreme_fwd(argf):
    # the value at the index returned (the first of ties), as PyTorch's: of
    # 0. and -0. the first, where numpy's max may give either
    def fwd(xs, p):
        x, d = xs[0], _axis(p)
        if d is None:
            return np.asarray(x)
        out = np.take_along_axis(x, np.expand_dims(argf(x, axis=d), d), axis=d)
        return out if p.get("keepdim", False) else np.squeeze(out, d)
    return fwd


def _axis(p):
    # dim is () for a 0-d tensor (PyTorch takes dim=0 there): no axis, axis=None
    return p["dim"][0] if p["dim"] else None


def _dim_index_mask(xs, p, argf):
    """One-hot of the index max(dim)/min(dim) returned (the first of ties)."""
    x = xs[0]
    d = _axis(p)
    if d is None:
        return np.ones(x.shape, bool)
    idx = np.expand_dims(argf(x, axis=d), d)
    mask = np.zeros(x.shape, bool)
    np.put_along_axis(mask, idx, True, axis=d)
    return mask


for _name, _arg in (("max_dim", np.argmax), ("min_dim", np.argmin)):
    defop(_name, _name.replace("_dim", "").capitalize() + "Backward0", _dim_extreme_fwd(_arg),
          vjp=((lambda af: lambda g, ans, xs, p: np.where(
              _dim_index_mask(xs, p, af), _expand(g, xs, p), 0).astype(g.dtype))(_arg),),
          jvp=((lambda af: lambda t, ans, xs, p: np.asarray(np.sum(
              np.where(_dim_index_mask(xs, p, af), t, 0), axis=_axis(p),
              keepdims=p.get("keepdim", False))).astype(t.dtype))(_arg),),
          formula=(f"d {_name[:3]}(x, dim)/dx_i = [i is the index returned]",),
          # PyTorch saves the indices, not x: a later in-place write to x
          # changes neither them nor the gradient (the VJP reads x as made)
          symbol=_name[:3], dtype_rule=SAME, reads_unsaved=True)


def _prod_vjp(g, ans, xs, p):
    """Product of all the other elements: exclusive cumulative products from
    both sides, so zeros in x are handled exactly (no division by x)."""
    x = xs[0]
    dim = p.get("dim")
    # NOTE: PyTorch's cases (they differ in rounding and in the sign of a zero
    # gradient): no zero in x: g * prod / x; a full product with two or more
    # zeros: +0 everywhere; otherwise the exclusive products below
    zeros = int(np.count_nonzero(x == 0))
    if zeros == 0:
        a = ans if not dim or p.get("keepdim") else np.expand_dims(ans, dim)
        return (_expand(g, xs, p) * (a / x)).astype(g.dtype)
    if zeros > 1 and dim is None:
        return np.zeros(x.shape, g.dtype)
    if not dim:   # None, or () for a 0-d tensor
        flat = x.reshape(-1)
        left = np.concatenate(([1], np.cumprod(flat[:-1]))).astype(x.dtype)
        right = np.concatenate((np.cumprod(flat[::-1][:-1])[::-1], [1])).astype(x.dtype)
        return (g * (left * right).reshape(x.shape)).astype(g.dtype)
    d = dim[0]
    ones = np.ones_like(np.take(x, [0], axis=d))
    left = np.concatenate((ones, np.cumprod(np.take(x, range(x.shape[d] - 1), axis=d), axis=d)), axis=d)
    rev = np.flip(x, d)
    right = np.flip(np.concatenate((ones, np.cumprod(np.take(rev, range(x.shape[d] - 1), axis=d),
                                                     axis=d)), axis=d), d)
    return (_expand(g, xs, p) * left * right).astype(g.dtype)


def _prod_fwd(xs, p):
    x = xs[0]
    # (as sum: bool and int tensors, uint8 too, multiply to int64)
    return np.asarray(np.prod(x, axis=p.get("dim"), keepdims=p.get("keepdim", False),
                              dtype=_int_result(x, p)))


defop("prod", lambda t: "ProdBackward0" if t.params.get("dim") is None else "ProdBackward1",
      _prod_fwd, vjp=(_prod_vjp,),
      jvp=(lambda t, ans, xs, p: np.asarray(np.sum(t * _prod_vjp(np.ones_like(ans), ans, xs, p),
                                                   axis=p.get("dim"),
                                                   keepdims=p.get("keepdim", False))).astype(t.dtype),),
      saved=("0r",),
      formula=("d prod(x)/dx_i = product of the other x_j",), symbol="prod", dtype_rule=SAME)


# p["ord"]: 1 for the 1-norm (sum of |x|), else the 2-norm
def _norm_fwd(xs, p):
    x = xs[0]
    if reduces_ones_only(x, p.get("dim")):
        return kept_shape(np.abs(x), p)
    one = p.get("ord") == 1
    terms = np.abs(x) if one else x * x
    total = norm_sum(terms, x, p.get("dim"), p.get("keepdim", False), squares=not one)
    return np.asarray(total if one else np.sqrt(total), dtype=x.dtype)


def kept_shape(a, p):
    """a (x's shape) as the reduction's result: the reduced dims (all of
    size 1) dropped unless keepdim."""
    if p.get("keepdim"):
        return a
    return a.reshape(reduced_shape(a.shape, p.get("dim"), False))


def norm_sum(terms, x, dim, keepdim, squares):
    """The sum of a norm's terms over dim, in PyTorch's order where
    norm_sums.py models it (the last bit of a float32 norm depends on it)."""
    total = torch_norm_sum(terms, x, dim, squares)
    if total is None:
        return np.sum(terms, axis=dim, keepdims=keepdim)
    return total if keepdim else total.reshape(reduced_shape(x.shape, dim, False))


def _norm_vjp(g, ans, xs, p):
    x = xs[0]
    if p.get("ord") == 1:         # PyTorch's g * sgn(x): 0 where x is 0
        return (_expand(g, xs, p) * np.sign(x)).astype(x.dtype)
    a = ans
    if p.get("dim") is not None and not p.get("keepdim"):
        a = np.expand_dims(a, p["dim"])
    # NOTE: PyTorch's g * (x / norm) with +0 where the norm is 0 (so the
    # sign of a zero gradient is g's, whatever the sign of x's zeros)
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(a == 0, 0, x / a)
    return (_expand(g, xs, p) * scaled).astype(x.dtype)


# (p["grad_fn"]: NormBackward1 where PyTorch calls at::norm: pairwise_distance)
defop("norm", lambda t: t.params.get("grad_fn", "LinalgVectorNormBackward0"), _norm_fwd, vjp=(_norm_vjp,),
      jvp=(lambda t, ans, xs, p: np.asarray(np.sum(t * _norm_vjp(np.ones_like(ans), ans, xs, p),
                                                   axis=p.get("dim"),
                                                   keepdims=p.get("keepdim", False))).astype(t.dtype),),
      saved=("0r",),
      formula=("d ||x||/dx = x / ||x|| (1-norm: sign(x))",), symbol="norm", dtype_rule=FLOAT)


# ---- var / std: p["correction"] a number (1 is Bessel's, unbiased=True) -------

def _var_axis(p):
    # PyTorch's forward reduces every axis for an empty list of dims
    return p["dim"] or None


def _var_count(x, p) -> int:
    """How many elements each output element reduces (PyTorch's, per branch:
    an explicit empty list of dims counts 1 in the backward, see _var_vjp)."""
    dim = p["dim"]
    return x.size if dim is None or x.ndim == 0 else math.prod(x.shape[d] for d in dim)


# PyTorch's running (Welford) update is a Python loop here over each result's
# elements: past this many, two passes (the same value, to the last bit or so)
WELFORD_MAX = 2048


def _var_fwd(xs, p, root=False):
    x = xs[0]
    axis = _var_axis(p)
    n = x.size if axis is None else math.prod(x.shape[d] for d in axis)
    keepdim = p.get("keepdim", False)
    # NOTE: PyTorch's CPU kernels add up in double, also for float32 (so a
    # variance beyond float32's range can still have a finite std)
    x64 = x.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        if n == x.size and (n or axis is None or math.prod(
                s for d, s in enumerate(x.shape) if d not in axis) == 1):
            # one result: the squares about x.mean() (in x's dtype), added
            # in turn in memory order
            dx = (x64 - np.float64(_mean(x, None))).ravel(order="K")
            ss = np.cumsum(dx * dx)[-1] if n else np.float64(0)
            ss = np.reshape(ss, reduced_shape(x.shape, axis, keepdim))
        elif n <= WELFORD_MAX:
            ss = _welford_m2(x64, axis, keepdim)
        else:
            mean = np.sum(x64, axis=axis, keepdims=True) / n
            ss = np.sum(np.square(x64 - mean), axis=axis, keepdims=keepdim)
        # degrees of freedom below 0 count as 0 (inf, or nan for 0/0); no
        # elements at all is nan whatever the correction
        out = ss / max(n - p["correction"], 0) if n else np.full(ss.shape, np.nan)
        if root:
            out = np.sqrt(out)
    return np.asarray(out, dtype=x.dtype)


def _welford_m2(x64, axis, keepdim):
    """The sums of squared deviations over axis as PyTorch's kernel makes
    them: one running mean and sum per result, element by element."""
    k = len(axis)
    moved = np.moveaxis(x64, axis, range(x64.ndim - k, x64.ndim))
    # (the reduced size given, not -1: numpy cannot infer it when no results)
    rows = moved.reshape(moved.shape[:x64.ndim - k] + (math.prod(moved.shape[x64.ndim - k:]),))
    mean = np.zeros(rows.shape[:-1])
    m2 = np.zeros(rows.shape[:-1])
    for i in range(rows.shape[-1]):
        v = rows[..., i]
        delta = v - mean
        mean = mean + delta / (i + 1)
        m2 = m2 + delta * (v - mean)
    return np.expand_dims(m2, axis) if keepdim else m2


def _mean(x, axis):
    """x.mean(dim, keepdim=True) in x's dtype (nan for no elements, silently):
    PyTorch's sum, then a division (numpy's sum where PyTorch's order is not
    known, see torch_sum: the last bit may differ)."""
    n = x.size if axis is None else math.prod(x.shape[d] for d in axis)
    total = torch_sum(x, axis)
    if total is None:
        total = np.sum(x, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return total / x.dtype.type(n)


def _var_vjp(g, ans, xs, p, keepdim=None):
    """PyTorch's var_backward: 2 / (N - correction) * g * (x - mean)."""
    x = xs[0]
    dim = p["dim"]
    c = p["correction"]
    if x.ndim == 0 or dim is None:
        mean = _mean(x, None)
        dof = x.size - c
        if dof <= 0:
            # NOTE: PyTorch's: infinity, times 0 where x is its mean (nan)
            return (g * np.where(x == mean, np.nan, np.inf)).astype(x.dtype)
        return ((x.dtype.type(2.0 / dof) * g) * (x - mean)).astype(x.dtype)
    if not (p.get("keepdim") if keepdim is None else keepdim) and x.ndim > 1:
        g = np.expand_dims(g, dim)
    mean = _mean(x, _var_axis(p))
    # NOTE: here PyTorch divides by the count as it is (2/0 is inf, a
    # correction past the count gives a negative factor), and an explicit
    # empty list of dims counts 1 element, though the forward reduced all
    with np.errstate(divide="ignore"):
        factor = np.float64(2.0) / np.float64(_var_count(x, p) - c)
    with np.errstate(invalid="ignore"):
        return ((x.dtype.type(factor) * g) * (x - mean)).astype(x.dtype)


def _std_grad_var(g, ans):
    """std's gradient as var's: g / (2 std), +0 where std is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ans == 0, 0, g / (ans * 2)).astype(ans.dtype)


def _var_jvp(t, ans, xs, p):
    # PyTorch's: var's backward of the tangent (keepdim), summed over dim
    with np.errstate(invalid="ignore"):
        return np.asarray(np.sum(_var_vjp(t, ans, xs, p, keepdim=True), axis=_var_axis(p),
                                 keepdims=p.get("keepdim", False))).astype(t.dtype)


def _std_jvp(t, ans, xs, p):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ans == 0, 0, _var_jvp(t, ans, xs, p) / (ans * 2)).astype(t.dtype)


defop("var", "VarBackward0", _var_fwd, vjp=(_var_vjp,), jvp=(_var_jvp,), saved=("0",),
      formula=("d var(x)/dx_i = 2 (x_i - mean) / (n - correction)",), symbol="var",
      dtype_rule=SAME)
defop("std", "StdBackward0", lambda xs, p: _var_fwd(xs, p, root=True),
      vjp=(lambda g, ans, xs, p: _var_vjp(_std_grad_var(g, ans), ans, xs, p),),
      jvp=(_std_jvp,), saved=("0r",),
      formula=("d std(x)/dx_i = (x_i - mean) / ((n - correction) std)",), symbol="std",
      dtype_rule=SAME)


def running(accumulate):
    """cumsum's and cumprod's forward with numpy's ``accumulate`` (np.cumsum,
    np.cumprod): PyTorch's CPU kernels accumulate float32 in double and
    round each running value; integers and bools accumulate as int64, or
    in the narrower int that cumsum(dtype=) asked for (p["dtype"])."""
    def forward(xs, p):
        x = xs[0]
        ints = np.dtype(p.get("dtype") or np.int64)
        if x.ndim == 0:
            return x.astype(ints) if x.dtype.kind in "biu" else x.copy()
        if x.dtype == np.float32:
            out = accumulate(x, axis=p["dim"], dtype=np.float64).astype(np.float32)
        else:
            out = accumulate(x, axis=p["dim"], dtype=ints if x.dtype.kind in "biu" else x.dtype)
        # a running sum starts from 0. (see plus_zero); a product from 1.
        out = plus_zero(out) if accumulate is np.cumsum and out.dtype.kind == "f" else out
        # (contiguous, as PyTorch's result, whatever x's strides: numpy's keep them)
        return np.ascontiguousarray(out)
    return forward


_cumsum_fwd = running(np.cumsum)


def _rev_cumsum(g, p):
    """The sum of g from each position to the end along dim: cumsum's VJP."""
    if g.ndim == 0:
        return g
    d = p["dim"]
    return np.flip(_cumsum_fwd([np.flip(g, d)], p), d)


defop("cumsum", "CumsumBackward0", _cumsum_fwd,
      vjp=(lambda g, ans, xs, p: _rev_cumsum(g, p),),
      jvp=(lambda t, ans, xs, p: _cumsum_fwd([t], p),),
      formula=("d cumsum(x)_j/dx_i = [i <= j]",), symbol="cumsum", saves=False,
      dtype_rule=SAME)


# ---- all / any: bool results, no gradient ------------------------------------

for _name, _fn in (("all", np.all), ("any", np.any)):
    defop(_name, None, (lambda f: lambda xs, p: np.asarray(
              f(xs[0], axis=p.get("dim"), keepdims=p.get("keepdim", False))))(_fn),
          vjp=(None,), jvp=(None,), formula=("",), symbol=_name, saves=False,
          dtype_rule=BOOL, differentiable=False)
