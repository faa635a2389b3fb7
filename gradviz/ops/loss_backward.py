"""The backward of the losses as ops of their own, as PyTorch records them
under create_graph=True: binary_cross_entropy's gradient is one node,
BinaryCrossEntropyBackwardBackward0, with inputs (g, input, target[,
weight]), likewise nll_loss's, smooth_l1_loss's and huber_loss's.

Each computes the loss's own VJP by its input (forward(g, a, b) =
vjp(g, a, b)). Its derivative by g is that VJP's per-element derivative
times the incoming gradient (summed for a reduced loss, whose g is one
number); by the input, g times the loss's second derivative (PyTorch's
*_double_backward formulas, derivatives.yaml); by the target of
smooth_l1/huber minus that (binary_cross_entropy's: -g / (x(1 - x)); nll_loss's
target is an index).
"""
from __future__ import annotations

import numpy as np

from .registry import FLOAT, OPS, defop


def _count(xs, p):
    """A mean's n (the loss's elements: a and b broadcast), 1 for a sum or
    no reduction."""
    if p.get("reduction", "mean") != "mean":
        return 1
    return int(np.prod(np.broadcast_shapes(np.shape(xs[1]), np.shape(xs[2]))))


def _backward_op(loss: str, grad_fn: str, second, formula: str, target=None,
                 target_formula: str = "", linear_in_g=None):
    """loss_backward(g, a, b[, weight]): loss's VJP by a as an op.
    second(xs, p): the per-element second derivative by a (with its weight,
    without the mean's 1 / n; None: zero); target: "minus" where the target's
    derivative is minus the input's, else its rule (None: not differentiable
    by the target); linear_in_g(gg,
    xs, p): its VJP by g where that is not the per-element one."""
    vjp = OPS[loss].vjp[0]

    def forward(xs, p):
        return vjp(xs[0], None, xs[1:], p)

    def by_g(gg, ans, xs, p):
        if linear_in_g is not None:
            return linear_in_g(gg, xs, p)
        d = forward([np.ones_like(xs[0])] + list(xs[1:]), p) * gg
        if p.get("reduction", "mean") == "none":
            return d
        return np.asarray(d.sum(), ans.dtype)

    def by_a(gg, ans, xs, p):
        if second is None:
            return np.zeros(np.shape(xs[1]), ans.dtype)
        # PyTorch's order: the second derivative times (gg * g), then / n
        d = second(xs, p) * (gg * xs[0]) / ans.dtype.type(_count(xs, p))
        return d.astype(ans.dtype, copy=False)

    def minus_by_a(gg, ans, xs, p):
        return -by_a(gg, ans, xs, p)

    by_b = minus_by_a if target == "minus" else target
    vjps = (by_g, by_a, by_b, None)
    jvps = (lambda t, ans, xs, p: forward([t] + list(xs[1:]), p), by_a, by_b, None)
    defop(f"{loss}_backward", grad_fn, forward, vjp=vjps, jvp=jvps,
          saved=("012", "012", "012", "012"),
          formula=(f"d {loss}_backward(g, a, b)/dg = d {loss}/da",
                   f"d {loss}_backward(g, a, b)/da = g {formula}",
                   "" if target is None else f"d {loss}_backward(g, a, b)/db = " + (
                       f"-g {formula}" if target == "minus" else target_formula), ""),
          symbol=f"{loss}_backward", dtype_rule=FLOAT)


def _bce_second(xs, p):
    # PyTorch's binary_cross_entropy_double_backward, its 1e-12 included:
    # (x^2 - 2 x t + t) / ((x + eps)^2 (1 - x + eps)^2)
    x, t = xs[1], xs[2]
    eps = x.dtype.type(1e-12)
    d = (x * x - 2 * x * t + t) / ((x + eps) ** 2 * (1 - x + eps) ** 2)
    return d * xs[3] if len(xs) > 3 else d


def _inside(width: str):
    """smooth_l1's and huber's second derivative: 1 (smooth_l1: 1 / beta)
    where |a - b| is below the width, else 0."""
    def second(xs, p):
        a, b = xs[1], xs[2]
        w = p[width]
        inside = (np.abs(a - b) < w).astype(np.result_type(a, b))
        if width == "delta":
            return inside
        return inside / inside.dtype.type(w) if w else inside * 0
    return second


def _bce_by_target(gg, ans, xs, p):
    # PyTorch's binary_cross_entropy_double_backward_target: -(gg * g)
    # (times the weight) / max((1 - x) x, 1e-12), / n for a mean
    x = xs[1]
    d = -(gg * xs[0])
    if len(xs) > 3:
        d = d * xs[3]
    d = d / np.maximum((1 - x) * x, x.dtype.type(1e-12))
    return (d / ans.dtype.type(_count(xs, p))).astype(ans.dtype, copy=False)


_backward_op("binary_cross_entropy", "BinaryCrossEntropyBackwardBackward0", _bce_second,
             "(x^2 - 2xt + t) / (x(1 - x))^2", target=_bce_by_target,
             target_formula="-g / (x(1 - x))")
# nll_loss's by g: nll_loss of the incoming gradient (its g is per row
# for reduction="none", of another shape than the input)
_backward_op("nll_loss", "NllLossBackwardBackward0", None, "0",
             linear_in_g=lambda gg, xs, p: OPS["nll_loss"].forward([gg] + list(xs[2:]), p))
_backward_op("smooth_l1_loss", "SmoothL1LossBackwardBackward0", _inside("beta"),
             "[|a - b| < beta] / beta", target="minus")
_backward_op("huber_loss", "HuberLossBackwardBackward0", _inside("delta"),
             "[|a - b| < delta]", target="minus")
