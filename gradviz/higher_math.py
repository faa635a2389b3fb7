"""create_graph=True rules of the math ops of two or three operands (atan2,
addcmul, addcdiv, lerp, hypot, logaddexp, xlogy, copysign, fmod), the
special functions (lgamma, digamma, polygamma, i0, sinc, logit, entr),
nan_to_num, nansum, logcumsumexp, the two-result reductions (std_mean,
var_mean, aminmax), the medians, cummax/cummin and vector_norm, each
written with PyTorch's formula (derivatives.yaml and its C++ helpers) so
that the gradient's graph shows the nodes PyTorch records. The writes at
indices are in higher_scatter.py, the matrix functions in higher_linalg.py.

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations

import math

import numpy as np

from .higher_order import (_const, _keepdim, _one_minus, _op, _r_mean, _r_std, _r_var,
                           _r_zero, _scaled, _shared, _x)
from .ops.decomp import GradModePasses
from .tensor import Tensor


def _data(v):
    return v.data if v.__class__ is Tensor else v


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
    from .ops.order_stats import _same_as
    x = _x(node).data
    return evenly_distributed(rt, g, x, _same_as(x, node.data))


def evenly_distributed(rt, g, x: np.ndarray, mask: np.ndarray):
    """PyTorch's evenly_distribute_backward recorded: zeros.masked_fill(mask,
    grad / mask.sum()); under a torch.func transform mask * (grad / mask.sum())
    (see ops.reduce.evenly_distributed)."""
    share = _op(rt, "div", g, _const(rt, np.asarray(mask.sum(), np.int64), "count"))
    if GradModePasses.depth:
        return _op(rt, "mul", _const(rt, mask, "mask"), share)
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


MATH_VJPS = {
    "atan2": _r_atan2, "addcmul": _r_addcmul, "addcdiv": _r_addcdiv, "lerp": _r_lerp,
    "hypot": _r_hypot, "logaddexp": _r_logaddexp, "logaddexp2": _r_logaddexp,
    "xlogy": _r_xlogy, "copysign": _r_copysign, "fmod": _r_fmod, "div_mode": _r_zero,
    "lgamma": _r_lgamma, "digamma": _r_polygamma, "polygamma": _r_polygamma,
    "sinc": _r_sinc, "i0": _r_i0, "special_i1": _r_i1, "logit": _r_logit, "entr": _r_entr,
    "nan_to_num": _r_nan_to_num, "nansum": _r_nansum, "logcumsumexp": _r_logcumsumexp,
    # the two-result reductions: one op per result, each the plain one's rule
    # (PyTorch adds the two parts in its one node, the pass adds them here)
    "std_mean.std": _r_std, "std_mean.mean": _r_mean, "var_mean.var": _r_var,
    "var_mean.mean": _r_mean, "aminmax.amin": _r_aminmax, "aminmax.amax": _r_aminmax,
    "median": _r_median_all, "nanmedian": _r_median_all, "pick_dim": _r_pick_dim,
    "cummax": _r_cumextreme, "cummin": _r_cumextreme, "vector_norm_ord": _r_vector_norm,
    # fill (and fill_): x's gradient zeros_like(grad), a tensor value's grad.sum()
    "fill": lambda rt, g, node, i: _r_zero(rt, g, node, i) if i == 0 else
    _op(rt, "sum", g, dim=None, keepdim=False),
}

MATH_REFUSALS = {"vector_norm_ord": _ord_zero}

# the writes at indices' and the matrix functions' rules (their modules
# read this one's helpers)
from .higher_scatter import SCATTER_REFUSALS, SCATTER_VJPS  # noqa: E402
from .higher_linalg import LINALG_REFUSALS, LINALG_VJPS  # noqa: E402
from .higher_lu import LU_VJPS  # noqa: E402
MATH_VJPS.update(SCATTER_VJPS)
MATH_VJPS.update(LINALG_VJPS)
MATH_VJPS.update(LU_VJPS)
MATH_REFUSALS.update(SCATTER_REFUSALS)
MATH_REFUSALS.update(LINALG_REFUSALS)
