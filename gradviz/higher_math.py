"""create_graph=True rules of the math ops of two or three operands (atan2,
addcmul, addcdiv, lerp, hypot, logaddexp, xlogy, copysign, fmod), the
special functions (lgamma, digamma, polygamma, sinc, logit, entr),
nan_to_num, nansum, logcumsumexp, the two-result reductions (std_mean,
var_mean, aminmax), the medians, cummax/cummin, vector_norm, rot90 and
block_diag, the writes at indices (index_add, index_copy, index_fill,
index_put, scatter, scatter_add), the cross product, cdist and the matrix
functions (inv, det, slogdet, solve, solve_triangular, cholesky,
cholesky_solve), each written with PyTorch's formula
(derivatives.yaml and its C++ helpers) so that the gradient's graph shows
the nodes PyTorch records.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import math

import numpy as np

from .higher_order import (_const, _keepdim, _one_minus, _op, _r_mean, _r_std, _r_var,
                           _r_zero, _scaled, _x)
from .tensor import Tensor


# the last part of a gradient two inputs' rules share: (node, g, key, value)
_SHARED: list = [None]


def _data(v):
    return v.data if v.__class__ is Tensor else v


def _shared(node, g, key: str, make):
    """A part of the gradient that PyTorch computes once in the node's
    backward for all its inputs (solve's gB, atan2's reciprocal): made for
    the first input, reused for the next (the pass calls a node's rules one
    input after another with the same g), so the graph has it once."""
    last = _SHARED[0]
    if last is not None and last[0] is node and last[1] is g and last[2] == key:
        return last[3]
    value = make()
    _SHARED[0] = (node, g, key, value)
    return value


# ---- two and three operands ---------------------------------------------------

def _r_atan2(rt, g, node, i):
    # PyTorch's atan2_backward: recip = (a^2 + b^2).reciprocal(), 0 where
    # a = b = 0; grad * b * recip and grad * -a * recip
    a, b = node.args

    def reciprocal():
        total = _op(rt, "add", _op(rt, "mul", a, a), _op(rt, "mul", b, b))
        return _op(rt, "masked_fill", _op(rt, "reciprocal", total),
                   _const(rt, total.data == 0, "mask"), 0.0)
    recip = _shared(node, g, "recip", reciprocal)
    return _op(rt, "mul", _op(rt, "mul", g, b if i == 0 else _op(rt, "neg", a)), recip)


def _r_addcmul(rt, g, node, i):
    # grad; grad * (tensor2 * value) and grad * (tensor1 * value) (Scalar products)
    if i == 0:
        return g
    return _op(rt, "mul", g, _scaled(rt, "mul", node.args[3 - i], node.params.get("value", 1)))


def _r_addcdiv(rt, g, node, i):
    # grad; grad * (value / tensor2); -grad * (value * tensor1 / (tensor2 * tensor2))
    if i == 0:
        return g
    t1, t2 = node.args[1:]
    v = node.params.get("value", 1)
    if i == 1:
        return _op(rt, "mul", g, _op(rt, "div", v, t2))
    ratio = _op(rt, "div", _scaled(rt, "mul", t1, v), _op(rt, "mul", t2, t2))
    return _op(rt, "mul", _op(rt, "neg", g), ratio)


def _r_lerp(rt, g, node, i):
    a, b, w = node.args
    if w.__class__ is not Tensor:       # lerp.Scalar: grad * (1 - w), grad * w
        return _scaled(rt, "mul", g, 1 - w if i == 0 else w)
    if i == 0:
        return _op(rt, "mul", g, _one_minus(rt, w))
    return _op(rt, "mul", g, w if i == 1 else _op(rt, "sub", b, a))


def _r_hypot(rt, g, node, i):           # grad * self / result
    return _op(rt, "div", _op(rt, "mul", g, node.args[i]), node)


def _r_logaddexp(rt, g, node, i):
    # grad / (1 + exp(other - self)); logaddexp2: pow(2, other - self)
    diff = _op(rt, "sub", node.args[1 - i], node.args[i])
    grown = _op(rt, "pow", 2.0, diff) if node.op.name == "logaddexp2" else _op(rt, "exp", diff)
    return _op(rt, "div", g, _scaled(rt, "add", grown, 1))


def _r_xlogy(rt, g, node, i):
    x, y = node.args
    if i == 1:                           # grad * self / other
        if x.__class__ is not Tensor:
            return _op(rt, "div", _scaled(rt, "mul", g, x), y)
        return _op(rt, "div", _op(rt, "mul", g, x), y)
    # xlogy(grad, other), 0 where self = 0 and other <= 0 (a positive
    # number other: no mask)
    if y.__class__ is not Tensor and y > 0:
        return _op(rt, "xlogy", g, y)
    mask = (x.data == 0) & (np.asarray(_data(y)) <= 0)
    return _op(rt, "masked_fill", _op(rt, "xlogy", g, y), _const(rt, mask, "mask"), 0.0)


def _r_copysign(rt, g, node, i):
    # copysign_tensor_self_backward: grad * (result / self), 0 where self = 0
    # (the sign's input: zeros)
    if i == 1:
        return _r_zero(rt, g, node, i)
    x = _x(node)
    ratio = _op(rt, "masked_fill", _op(rt, "div", node, x), _const(rt, x.data == 0, "mask"), 0.0)
    return _op(rt, "mul", g, ratio)


def _r_fmod(rt, g, node, i):            # grad; -grad * self.div(other, rounding_mode='trunc')
    if i == 0:
        return g
    a, b = node.args
    return _op(rt, "mul", _op(rt, "neg", g), _op(rt, "div_mode", a, b, rounding_mode="trunc"))


# ---- the special functions ------------------------------------------------------

def _r_lgamma(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "digamma", _x(node)))


def _r_polygamma(rt, g, node, i):       # digamma is polygamma(0): grad * polygamma(n + 1, x)
    return _op(rt, "mul", g, _op(rt, "polygamma", _x(node), n=node.params.get("n", 0) + 1))


def _r_i0(rt, g, node, i):               # grad * special_i1(x)
    return _op(rt, "mul", g, _op(rt, "special_i1", _x(node)))


def _r_i1(rt, g, node, i):
    # i1_backward: x where |x| > eps, else eps; grad * where(|x| > eps,
    # i0(x) - result * x.reciprocal(), 0.5)
    x = _x(node)
    eps = float(np.finfo(x.data.dtype).eps)
    big = _const(rt, np.abs(x.data) > eps, "mask")
    safe = _op(rt, "where", big, x, eps)
    d = _op(rt, "sub", _op(rt, "i0", safe), _op(rt, "mul", node, _op(rt, "reciprocal", safe)))
    return _op(rt, "mul", g, _op(rt, "where", big, d, 0.5))


def _r_sinc(rt, g, node, i):
    # sinc_backward: grad * ((pi x cos(pi x) - sin(pi x)) / (x x pi)), 0 where x x pi = 0
    x = _x(node)
    px = _scaled(rt, "mul", x, math.pi)
    sq = _scaled(rt, "mul", _op(rt, "mul", x, x), math.pi)
    num = _op(rt, "sub", _op(rt, "mul", px, _op(rt, "cos", px)), _op(rt, "sin", px))
    out = _op(rt, "mul", g, _op(rt, "div", num, sq))
    return _op(rt, "where", _const(rt, sq.data == 0, "mask"), 0.0, out)


def _r_logit(rt, g, node, i):
    # infinitely_differentiable_logit_backward: where(lo <= x <= hi,
    # grad / (x (1 - x)), NaN (no eps) or 0 (eps))
    x = _x(node)
    eps = node.params.get("eps")
    lo = 0.0 if eps is None else eps
    inside = (x.data >= lo) & (x.data <= 1.0 - lo)
    d = _op(rt, "div", g, _op(rt, "mul", x, _one_minus(rt, x)))
    return _op(rt, "where", _const(rt, inside, "mask"), d, math.nan if eps is None else 0.0)


def _r_entr(rt, g, node, i):            # grad * -(1 + log(x))
    return _op(rt, "mul", g, _op(rt, "neg", _scaled(rt, "add", _op(rt, "log", _x(node)), 1)))


def _r_nan_to_num(rt, g, node, i):      # grad * isfinite(x)
    return _op(rt, "mul", g, _const(rt, np.isfinite(_x(node).data), "isfinite"))


def _r_nansum(rt, g, node, i):          # sum's backward * x.isnan().logical_not()
    x = _x(node)
    spread = _op(rt, "expand", _keepdim(rt, g, node), shape=x.data.shape)
    return _op(rt, "mul", spread, _const(rt, ~np.isnan(x.data), "not nan"))


def _r_logcumsumexp(rt, g, node, i):
    # logcumsumexp_backward: the positive and the negative parts of grad in
    # log space (log|grad|, the dtype's lowest elsewhere), each summed by a
    # reversed logcumsumexp: exp(rev(log_pos - result) + x) - exp(rev(log_neg - result) + x)
    if g.data.ndim == 0 or g.data.size == 0:
        return g
    x = _x(node)
    d = node.params["dim"]
    log_abs = _op(rt, "log", _op(rt, "abs", g))
    lowest = float(np.finfo(g.data.dtype).min)

    def part(mask):
        w = _op(rt, "sub", _op(rt, "where", _const(rt, mask, "mask"), log_abs, lowest), node)
        rev = _op(rt, "flip", _op(rt, "logcumsumexp", _op(rt, "flip", w, dims=(d,)), dim=d),
                  dims=(d,))
        return _op(rt, "exp", _op(rt, "add", rev, x))
    return _op(rt, "sub", part(g.data > 0), part(g.data < 0))


def _r_aminmax(rt, g, node, i):
    # aminmax_backward: amax's rule, with the reduced dims restored by a view
    # (PyTorch's restore_reduced_dims), not one unsqueeze a dim
    from .ops.reduce_more import _ties
    x = _x(node).data
    mask, count = _ties(x, node.data, node.params)
    if g.data.shape != count.shape:
        g = _op(rt, "view", g, shape=count.shape)
    spread = _op(rt, "div", g, _const(rt, count.astype(x.dtype), "count"))
    return _op(rt, "mul", spread, _const(rt, mask, "mask"))


def _r_median_all(rt, g, node, i):
    # evenly_distribute_backward: zeros.masked_fill(mask, grad / mask.sum())
    from .ops.order_stats import _same_as
    x = _x(node).data
    mask = _same_as(x, node.data)
    share = _op(rt, "div", g, _const(rt, np.asarray(mask.sum(), np.int64), "count"))
    return _op(rt, "masked_fill", _const(rt, np.zeros_like(x), "zeros"),
               _const(rt, mask, "mask"), share)


def _scattered(rt, g, node, index, grad_fn):
    """g (its dim put back) written at index along the node's dim, as
    PyTorch's value_selecting_reduction_backward (ScatterBackward0) and
    cummaxmin_backward (ScatterAddBackward0) do."""
    x = _x(node).data
    d = node.params["dim"]
    if not node.params.get("keepdim", True):
        g = _op(rt, "unsqueeze", g, dim=d)
    return _op(rt, "gather_backward", g, shape=x.shape, dim=d, index=index, grad_fn=grad_fn)


def _r_pick_dim(rt, g, node, i):        # median, kthvalue, mode along a dim
    from .ops.order_stats import select_index
    x = _x(node).data
    if x.ndim == 0:
        return g
    return _scattered(rt, g, node, select_index(x, node.params), "ScatterBackward0")


def _r_cumextreme(rt, g, node, i):      # cummax, cummin
    from .ops.order_stats import running_index
    x = _x(node).data
    if x.ndim == 0:
        return g
    index = running_index(x, node.params["dim"], node.op.name == "cummax")
    return _scattered(rt, g, node, index, "ScatterAddBackward0")


def _r_vector_norm(rt, g, node, i):
    # norm_backward, case by case (ord 0 is refused: PyTorch sends no gradient)
    x = _x(node)
    order = node.params["ord"]
    g, norm = _keepdim(rt, g, node), _keepdim(rt, node, node)
    if math.isinf(order):
        # the largest (smallest) |x|, ties sharing: sgn(x) * ((grad / count) * mask)
        mask = (np.abs(x.data) == norm.data) | np.isnan(x.data)
        count = mask.sum(axis=node.params.get("dim"), keepdims=True)
        share = _op(rt, "mul", _op(rt, "div", g, _const(rt, count, "count")),
                    _const(rt, mask, "mask"))
        return _op(rt, "mul", _op(rt, "sgn", x), share)
    if order < 1:
        powered = _op(rt, "masked_fill", _op(rt, "pow", _op(rt, "abs", x), order - 1),
                      _const(rt, x.data == 0, "mask"), 0.0)
        scaled = _op(rt, "mul", _op(rt, "sgn", x), powered)
        return _op(rt, "mul", _op(rt, "mul", scaled, g), _op(rt, "pow", norm, 1 - order))
    if order < 2:
        scaled = _op(rt, "mul", _op(rt, "sgn", x), _op(rt, "pow", _op(rt, "abs", x), order - 1))
    else:
        scaled = _op(rt, "mul", x, _op(rt, "pow", _op(rt, "abs", x), order - 2))
    scale = _op(rt, "masked_fill", _op(rt, "div", g, _op(rt, "pow", norm, order - 1)),
                _const(rt, norm.data == 0, "mask"), 0.0)
    return _op(rt, "mul", scaled, scale)


def _ord_zero(node):
    return " with ord=0" if node.params["ord"] == 0 else None


# ---- writes at indices (linear in each input) -----------------------------------

def _rows_of(rt, g, node, source):
    """grad.index_select(dim, index).expand_as(source)."""
    picked = _op(rt, "index_select", g, dim=node.params["dim"], index=node.params["index"])
    return _op(rt, "expand", picked, shape=source.data.shape)


def _r_index_add(rt, g, node, i):
    if i == 0:
        return g
    rows = _rows_of(rt, g, node, node.args[1])
    alpha = node.params["alpha"]
    return rows if alpha == 1 else _scaled(rt, "mul", rows, alpha)


def _rows_cleared(rt, g, node):         # grad.index_fill(dim, index, 0)
    p = node.params
    return _op(rt, "index_fill", g, dim=p["dim"], index=p["index"], given=p["index"], value=0.0)


def _r_index_copy(rt, g, node, i):
    return _rows_cleared(rt, g, node) if i == 0 else _rows_of(rt, g, node, node.args[1])


def _r_index_fill(rt, g, node, i):
    if i == 0:
        return _rows_cleared(rt, g, node)
    node.op.vjp[1](g.data, node.data, [a.data for a in node.args], node.params)  # its checks
    picked = _op(rt, "index_select", g, dim=node.params["dim"], index=node.params["index"])
    return _op(rt, "sum", picked, dim=None, keepdim=False)


def _r_index_put_add(rt, g, node, i):
    # accumulate=True: grad; the values: grad.index(indices), summed to their shape
    if i == 0:
        return g
    part = _op(rt, "index", g, index=node.params["index"], advanced=True,
               grad_fn="IndexBackward0")
    shape = node.args[1].data.shape
    if len(shape) > part.data.ndim:          # (values with extra leading 1s)
        part = _op(rt, "reshape", part, shape=(1,) * (len(shape) - part.data.ndim)
                   + part.data.shape)
    return part


def _r_scatter(rt, g, node, i):
    # grad.scatter(dim, index, 0) (scatter_add's: grad); src: grad.gather(dim, index)
    p = node.params
    if i == 0:
        if node.op.name == "scatter_add":
            return g
        return _op(rt, "scatter_value", g, dim=p["dim"], index=p["index"], value=0.0)
    return _op(rt, "gather", g, dim=p["dim"], index=p["index"], grad_fn="GatherBackward0")


def _r_scatter_reduce(rt, g, node, i):
    # scatter_reduce_backward for sum, mean, amax and amin (prod is refused);
    # without include_self, self's gradient is then scattered with 0
    from .ops.scatter import _counts, positions
    x, src = (a.data for a in node.args)
    p = node.params
    index, dim, reduce = p["index"], p["dim"], p["reduce"]
    if reduce not in ("sum", "mean", "amax", "amin"):       # PyTorch's error ('max' ...)
        node.op.vjp[i](g.data, node.data, [x, src], p)
    where = positions(index, dim)

    def gather(t):
        return _op(rt, "gather", t, dim=dim, index=index, grad_fn="GatherBackward0")
    if reduce == "sum":                 # grad; grad.gather(dim, index)
        part = g if i == 0 else gather(g)
    elif reduce == "mean":              # grad / N; grad.gather(dim, index) / N.gather(...)
        n = np.maximum(_counts(x, p), 1).astype(g.data.dtype)
        part = _op(rt, "div", g, _const(rt, n, "count")) if i == 0 else \
            _op(rt, "div", gather(g), _const(rt, n[where], "count"))
    else:
        # the gradient shared by the values equal to the result:
        # grad / N, times (self == result), or gathered times (src == value)
        self_is = x == node.data
        src_is = src == node.data[where]
        n = self_is.astype(x.dtype)
        np.add.at(n, where, src_is.astype(x.dtype))
        spread = _shared(node, g, "spread",
                         lambda: _op(rt, "div", g, _const(rt, n, "count")))
        part = _op(rt, "mul", _const(rt, self_is, "mask"), spread) if i == 0 else \
            _op(rt, "mul", _const(rt, src_is, "mask"), gather(spread))
    if i == 0 and not p["include_self"]:
        return _op(rt, "scatter_value", part, dim=dim, index=index, value=0.0)
    return part


def _scatter_reduce_refused(node):
    if node.params["reduce"] == "prod":
        return " with reduce='prod'"
    return _src_larger_than_index(node)


def _src_larger_than_index(node):
    src = node.args[1]
    return " with src larger than index" if src.data.shape != node.params["index"].shape \
        else None


def _r_rot90(rt, g, node, i):           # grad.rot90(-k, dims)
    return _op(rt, "rot90", g, k=-node.params["k"], dims=node.params["dims"])


def _r_block_diag(rt, g, node, i):
    # block_diag_backward: the input's block, two slices, and for a 1-d
    # input (one row) one squeeze(-1), for a 0-d one two; PyTorch's squeeze(-1)
    # of a row of more than one leaves it (1, n), summed to (n,) by the pass
    from .ops.block_diag import _as_block, _corners
    xs = [a.data for a in node.args]
    r, c = _corners(xs)[i]
    rows, cols = _as_block(xs[i]).shape
    part = _op(rt, "index", g, index=(slice(r, r + rows),), advanced=False,
               grad_fn="SliceBackward0")
    part = _op(rt, "index", part, index=(slice(None), slice(c, c + cols)), advanced=False,
               grad_fn="SliceBackward0")
    for _ in range(2 - xs[i].ndim):
        shape = part.data.shape
        part = _op(rt, "squeeze", part, dim=len(shape) - 1,
                   shape=shape[:-1] if shape[-1] == 1 else shape)
    return part


# ---- cross product, matrices ------------------------------------------------------

def _r_cross(rt, g, node, i):
    # linalg_cross(other, grad) and linalg_cross(grad, self)
    a, b = node.args
    dim = node.params["dim"]
    return _op(rt, "cross", b, g, dim=dim) if i == 0 else _op(rt, "cross", g, a, dim=dim)


def _mT(rt, t):
    """The last two dims swapped, as PyTorch's .mH/.mT (TransposeBackward0)."""
    nd = t.data.ndim
    return _op(rt, "transpose", t, dims=(nd - 2, nd - 1))


def _r_cdist(rt, g, node, i):
    x1, x2 = node.args
    nd = node.data.ndim
    if node.params.get("mm"):
        # _euclidean_dist_backward: ratio = (grad / res), 0 where res = 0;
        # x1 * ratio.sum(-1, keepdim) - ratio @ x2, x2 * ratio.sum(-2)[..., None] - ratio^T @ x1
        ratio = _shared(node, g, "ratio", lambda: _op(
            rt, "masked_fill", _op(rt, "div", g, node), _const(rt, node.data == 0, "mask"), 0.0))
        if i == 0:
            rows = _op(rt, "sum", ratio, dim=(nd - 1,), keepdim=True)
            return _op(rt, "sub", _op(rt, "mul", x1, rows), _op(rt, "matmul", ratio, x2))
        cols = _op(rt, "unsqueeze", _op(rt, "sum", ratio, dim=(nd - 2,), keepdim=False),
                   dim=nd - 1)
        return _op(rt, "sub", _op(rt, "mul", x2, cols), _op(rt, "matmul", _mT(rt, ratio), x1))
    # PyTorch's _cdist_backward, one node with no derivative of its own; for
    # x2 of the transposes (made contiguous: a clone) with x1 and x2 swapped
    p = {"p": node.params["p"]}
    if i == 0:
        return _op(rt, "cdist_backward", g, x1, x2, node, **p)
    return _op(rt, "cdist_backward", _op(rt, "clone", _mT(rt, g)), x2, x1,
               _op(rt, "clone", _mT(rt, node)), **p)


def _r_inv(rt, g, node, i):             # -(inv^H @ (grad @ inv^H))
    return _op(rt, "neg", _op(rt, "matmul", _mT(rt, node),
                              _op(rt, "matmul", g, _mT(rt, node))))


def _solve(rt, a, b):
    return _op(rt, "linalg_solve", a, b, left=True, vector=False)


def _r_solve(rt, g, node, i):
    # linalg_solve_backward: gB = solve(A^H, grad) (a vector as a column);
    # gA = -gB @ X^H (left), -X^H @ gB (left=False)
    a = _x(node)
    left = node.params.get("left", True)
    vector = node.params.get("vector", False)
    gm, x = g, node
    if vector:
        gm = _op(rt, "unsqueeze", g, dim=g.data.ndim)
        x = _op(rt, "unsqueeze", node, dim=node.data.ndim)
    gb = _shared(node, g, "gB", lambda: _op(rt, "linalg_solve", _mT(rt, a), gm, left=left,
                                            vector=False))
    if i == 1:
        if vector:
            return _op(rt, "squeeze", gb, shape=gb.data.shape[:-1], dim=gb.data.ndim - 1)
        return gb
    x_h = _mT(rt, x)
    return _op(rt, "neg", _op(rt, "matmul", gb, x_h) if left else _op(rt, "matmul", x_h, gb))


def _on_diagonal(rt, d, n):
    """(...) -> (..., n, n) with d on the diagonal, transposed (PyTorch's
    diag_embed(d.unsqueeze(-1).expand_as(pivots)).mT())."""
    nd = d.data.ndim
    wide = _op(rt, "expand", _op(rt, "unsqueeze", d, dim=nd), shape=d.data.shape + (n,))
    return _mT(rt, _op(rt, "diag_embed_dims", wide, offset=0, dim1=nd, dim2=nd + 1))


def _r_det(rt, g, node, i):
    # linalg_det_backward with grad mode on: solve(A^H, diag_embed(grad * det).mT)
    a = _x(node)
    return _solve(rt, _mT(rt, a), _on_diagonal(rt, _op(rt, "mul", g, node), a.data.shape[-1]))


def _r_logabsdet(rt, g, node, i):
    # slogdet_backward: solve(A^H, diag_embed(grad).mT)
    a = _x(node)
    return _solve(rt, _mT(rt, a), _on_diagonal(rt, g, a.data.shape[-1]))


def _singular(node):
    return " with a singular matrix" if (np.asarray(node.data) == 0).any() else None


def _r_solve_triangular(rt, g, node, i):
    # linalg_solve_triangular_backward: gB = solve_triangular(A^H, grad) (the
    # other triangle); gA = -gB @ X^H (X^H @ gB for left=False) on A's triangle
    a = _x(node)
    p = node.params
    upper, left, unit = p["upper"], p.get("left", True), p.get("unitriangular", False)
    gb = _shared(node, g, "gB", lambda: _op(rt, "solve_triangular", _mT(rt, a), g,
                                            upper=not upper, left=left, unitriangular=unit))
    if i == 1:
        return gb
    x_h = _mT(rt, node)
    ga = _op(rt, "neg", _op(rt, "matmul", gb, x_h) if left else _op(rt, "matmul", x_h, gb))
    if upper:
        return _op(rt, "triu", ga, diagonal=1 if unit else 0)
    return _op(rt, "tril", ga, diagonal=-1 if unit else 0)


def _r_cholesky(rt, g, node, i):
    # cholesky_backward: gA = tril(L^H gL); 0.5 (gA + tril(gA, -1)^H); then
    # solved with L^H from the left and L from the right
    low, gl = (_mT(rt, node), _mT(rt, g)) if node.params.get("upper") else (node, g)
    ga = _op(rt, "tril", _op(rt, "matmul", _mT(rt, low), gl), diagonal=0)
    ga = _scaled(rt, "mul", _op(rt, "add", ga, _mT(rt, _op(rt, "tril", ga, diagonal=-1))), 0.5)
    ga = _op(rt, "solve_triangular", _mT(rt, low), ga, upper=True, left=True,
             unitriangular=False)
    return _op(rt, "solve_triangular", low, ga, upper=False, left=False, unitriangular=False)


def _r_cholesky_solve(rt, g, node, i):
    # cholesky_solve_backward: gB = grad.cholesky_solve(F); common = gB X^H
    # + its transpose; gF = -common @ F (-F @ common for upper)
    f = node.args[1]
    upper = node.params.get("upper", False)
    gb = _shared(node, g, "gB", lambda: _op(rt, "cholesky_solve", g, f, upper=upper))
    if i == 0:
        return gb
    common = _op(rt, "matmul", gb, _mT(rt, node))
    common = _op(rt, "add", common, _mT(rt, common))
    return _op(rt, "neg", _op(rt, "matmul", f, common) if upper else
               _op(rt, "matmul", common, f))


def _r_pinv(rt, g, node, i):
    # pinv_backward, with the products of the smaller size, in its order:
    # m <= n: K = G^H P; -(P K)^H + K P^H - (A P)(K P^H) + (P^H P)(G^H - K A)
    # m > n:  K = P G^H; -(K P)^H + ((G^H - A K) P) P^H + P^H K - ((P^H K) P) A
    a = _x(node)
    p_h, g_h = _mT(rt, node), _mT(rt, g)

    def mm(x, y):
        return _op(rt, "matmul", x, y)
    if a.data.shape[-2] <= a.data.shape[-1]:
        k = mm(g_h, node)
        k_ph = mm(k, p_h)
        out = _op(rt, "add", _op(rt, "neg", _mT(rt, mm(node, k))), k_ph)
        out = _op(rt, "sub", out, mm(mm(a, node), k_ph))
        return _op(rt, "add", out, mm(mm(p_h, node), _op(rt, "sub", g_h, mm(k, a))))
    k = mm(node, g_h)
    ph_k = mm(p_h, k)
    out = _op(rt, "add", _op(rt, "neg", _mT(rt, mm(k, node))),
              mm(mm(_op(rt, "sub", g_h, mm(a, k)), node), p_h))
    return _op(rt, "sub", _op(rt, "add", out, ph_k), mm(mm(ph_k, node), a))


def _r_eigh_values(rt, g, node, i):
    # linalg_eig_backward (Hermitian), eigenvalues only: (V * gL[..., None, :]) @ V^H,
    # V the eigenvectors as a node of the graph (PyTorch's node's other output)
    v = _op(rt, "eigh_vectors", _x(node), **node.params)
    scaled = _op(rt, "mul", v, _op(rt, "unsqueeze", g, dim=g.data.ndim - 1))
    return _op(rt, "matmul", scaled, _mT(rt, v))


def _r_eigh_vectors(rt, g, node, i):
    # linalg_eig_backward (Hermitian), eigenvectors only: V @ ((0.5 (V^H gV -
    # (V^H gV)^H)) / E) @ V^H, E_ij = L_j - L_i with its diagonal filled with 1
    # (PyTorch's in-place fill: CopySlices)
    w = _op(rt, "eigh_values", _x(node), **node.params)
    nd = w.data.ndim
    e = _op(rt, "sub", _op(rt, "unsqueeze", w, dim=nd - 1), _op(rt, "unsqueeze", w, dim=nd))
    n = w.data.shape[-1]
    e = _op(rt, "setitem", e, 1.0, index=(Ellipsis, np.arange(n), np.arange(n)), advanced=True,
            grad_fn="CopySlices")
    vg = _op(rt, "matmul", _mT(rt, node), g)
    skew = _scaled(rt, "mul", _op(rt, "sub", vg, _mT(rt, vg)), 0.5)
    return _op(rt, "matmul", node, _op(rt, "matmul", _op(rt, "div", skew, e), _mT(rt, node)))


def _svd_parts(rt, a):
    """U, S and Vh of the reduced SVD of a, as nodes of the graph (PyTorch's
    one svd node is three here)."""
    return tuple(_op(rt, name, a, full_matrices=False) for name in ("svd_u", "svd_s", "svd_vh"))


def _r_svd_s(rt, g, node, i):
    # svd_backward with gS only: U @ (gS[..., None] * Vh) (m >= n), (U * gS[..., None, :]) @ Vh
    a = _x(node)
    u, _, vh = _svd_parts(rt, a)
    m, n = a.data.shape[-2:]
    nd = g.data.ndim
    if m >= n:
        return _op(rt, "matmul", u, _op(rt, "mul", _op(rt, "unsqueeze", g, dim=nd), vh))
    return _op(rt, "matmul", _op(rt, "mul", u, _op(rt, "unsqueeze", g, dim=nd - 1)), vh)


def _r_svd_vectors(rt, g, node, i):
    # svd_backward with gU (svd_u) or gVh (svd_vh): with F = 1 / (s_j^2 - s_i^2)
    # off the diagonal, U (sym(F o U^T gU) S) Vh + (gU - U U^T gU) S^-1 Vh, or
    # U (S sym(F o V^T gV)) Vh + U S^-1 (gV - V V^T gV)^T
    a = _x(node)
    if node.params.get("full_matrices") and a.data.shape[-1] != a.data.shape[-2]:
        node.op.vjp[0](g.data, node.data, [a.data], node.params)     # PyTorch's error
    u, s, vh = _svd_parts(rt, a)
    nd = s.data.ndim
    sq = _op(rt, "mul", s, s)
    eye = _const(rt, np.eye(s.data.shape[-1], dtype=bool), "diagonal")
    gaps = _op(rt, "sub", _op(rt, "unsqueeze", sq, dim=nd - 1), _op(rt, "unsqueeze", sq, dim=nd))
    f = _op(rt, "where", eye, 0.0, _op(rt, "reciprocal", _op(rt, "where", eye, 1.0, gaps)))
    inv_s = _op(rt, "where", _const(rt, s.data == 0, "zero"), 0.0, _op(rt, "reciprocal", s))

    def mm(x, y):
        return _op(rt, "matmul", x, y)

    def sym(x):
        return _op(rt, "add", x, _mT(rt, x))
    if node.op.name == "svd_u":
        ut_g = mm(_mT(rt, u), g)
        inner = _op(rt, "mul", sym(_op(rt, "mul", f, ut_g)), _op(rt, "unsqueeze", s, dim=nd - 1))
        ga = mm(mm(u, inner), vh)
        if u.data.shape[-2] > u.data.shape[-1]:
            rest = _op(rt, "sub", g, mm(u, ut_g))
            ga = _op(rt, "add", ga, mm(_op(rt, "mul", rest, _op(rt, "unsqueeze", inv_s, dim=nd - 1)),
                                       vh))
        return ga
    v, gv = _mT(rt, vh), _mT(rt, g)
    vt_g = mm(_mT(rt, v), gv)
    inner = _op(rt, "mul", _op(rt, "unsqueeze", s, dim=nd), sym(_op(rt, "mul", f, vt_g)))
    ga = mm(mm(u, inner), vh)
    if v.data.shape[-2] > v.data.shape[-1]:
        rest = _op(rt, "sub", gv, mm(v, vt_g))
        ga = _op(rt, "add", ga, mm(_op(rt, "mul", u, _op(rt, "unsqueeze", inv_s, dim=nd - 1)),
                                   _mT(rt, rest)))
    return ga


def _r_diag_embed_dims(rt, g, node, i):  # grad.diagonal(offset, dim1, dim2)
    p = node.params
    return _op(rt, "diagonal", g, offset=p["offset"], dim1=p["dim1"], dim2=p["dim2"])


MATH_VJPS = {
    "atan2": _r_atan2, "addcmul": _r_addcmul, "addcdiv": _r_addcdiv, "lerp": _r_lerp,
    "hypot": _r_hypot, "logaddexp": _r_logaddexp, "logaddexp2": _r_logaddexp,
    "xlogy": _r_xlogy, "copysign": _r_copysign, "fmod": _r_fmod, "div_mode": _r_zero,
    "lgamma": _r_lgamma, "digamma": _r_polygamma, "polygamma": _r_polygamma,
    "sinc": _r_sinc, "i0": _r_i0, "special_i1": _r_i1, "logit": _r_logit, "entr": _r_entr, "nan_to_num": _r_nan_to_num,
    "nansum": _r_nansum,
    "index_add": _r_index_add, "index_copy": _r_index_copy, "index_fill": _r_index_fill,
    "scatter": _r_scatter, "scatter_add": _r_scatter, "scatter_value": _r_scatter,
    "scatter_reduce": _r_scatter_reduce,
    "cross": _r_cross, "cdist": _r_cdist, "linalg_inv": _r_inv, "linalg_solve": _r_solve,
    "linalg_det": _r_det, "slogdet_logabsdet": _r_logabsdet,
    "diag_embed_dims": _r_diag_embed_dims, "solve_triangular": _r_solve_triangular,
    "linalg_cholesky": _r_cholesky, "linalg_pinv": _r_pinv, "eigh_values": _r_eigh_values,
    "eigh_vectors": _r_eigh_vectors, "svd_s": _r_svd_s, "svd_u": _r_svd_vectors,
    "svd_vh": _r_svd_vectors, "cholesky_solve": _r_cholesky_solve, "logcumsumexp": _r_logcumsumexp,
    # the two-result reductions: one op per result, each the plain one's rule
    # (PyTorch adds the two parts in its one node, the pass adds them here)
    "std_mean.std": _r_std, "std_mean.mean": _r_mean, "var_mean.var": _r_var,
    "var_mean.mean": _r_mean, "median": _r_median_all, "nanmedian": _r_median_all,
    "pick_dim": _r_pick_dim, "cummax": _r_cumextreme, "cummin": _r_cumextreme,
    "vector_norm_ord": _r_vector_norm, "index_put_add": _r_index_put_add,
    "rot90": _r_rot90, "block_diag": _r_block_diag, "aminmax.amin": _r_aminmax, "aminmax.amax": _r_aminmax,
}

MATH_REFUSALS = {"scatter": _src_larger_than_index, "scatter_add": _src_larger_than_index,
                 "scatter_reduce": _scatter_reduce_refused,
                 "linalg_det": _singular,
                 "vector_norm_ord": _ord_zero}
