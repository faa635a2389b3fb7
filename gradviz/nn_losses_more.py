"""torch.nn.functional's ranking, embedding and likelihood losses from the
metric-learning and probabilistic tutorials: margin_ranking_loss,
hinge_embedding_loss, cosine_embedding_loss, triplet_margin_loss,
poisson_nll_loss, gaussian_nll_loss, multilabel_soft_margin_loss and
soft_margin_loss.

All but soft_margin_loss are composites in PyTorch (ATen's C++ or the
Python of torch.nn.functional): they record the same tensor ops here, in
the same order, so the graph shows PyTorch's nodes (ClampMinBackward0,
WhereBackward0, NormBackward1, ...) and the gradients, double backward
and forward mode come from those ops. soft_margin_loss is one node
(SoftMarginLossBackward0), as PyTorch's."""
from __future__ import annotations

import math

import numpy as np

from . import arg_parser
from . import functions as F
from . import nn_functional as NF
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .tensor import Tensor


def named(t: Tensor, grad_fn: str) -> Tensor:
    """t's node under the name PyTorch's C++ composite gives it: at::add(x,
    0.5) is AddBackward1 where Python's x + 0.5 is AddBackward0."""
    if t.recorded:
        t.meta = {**(t.meta or {}), "rebased": grad_fn}
    return t


def _scalar_op(rt, sym: str, t: Tensor, v: float, grad_fn: str) -> Tensor:
    """t + v (or t - v, t * v) as ATen's C++ writes it: a Scalar operand."""
    return named(rt.binary(sym, t, v), grad_fn)


def _scalar_tensor(rt, v, like: Tensor) -> Tensor:
    """A number as the 0-d tensor ATen wraps it in (`margin - x` in C++ is
    sub(wrapped margin, x): SubBackward0, not Python's RsubBackward1)."""
    return F._leaf(rt, np.asarray(v, np.float64 if isinstance(v, float) else np.int64),
                   False, repr(v))


def _clamp_min0(rt, t: Tensor) -> Tensor:
    return rt.apply(OPS["clamp"], (t,), {"min": 0, "max": None, "grad_fn": "ClampMinBackward0"})


def _reduce(rt, out: Tensor, reduction: str) -> Tensor:
    """ATen's apply_loss_reduction: the mean, the sum, or the losses."""
    return out if reduction == "none" else F.FUNCTIONS[reduction](rt, out)


def _need(fn: str, names: tuple, values: tuple) -> tuple:
    return tuple(F._need_tensor(v, fn, i + 1, n) for i, (n, v) in enumerate(zip(names, values)))


def _margin(fn: str, margin, pos: int) -> float:
    """The margin as PyTorch's parser reads a float: a number, or a 0-d
    tensor that does not require grad (its value; no gradient reaches it)."""
    return NF._float_arg(fn, "margin", pos, margin)


def _size_text(t: Tensor) -> str:
    return f"torch.Size({list(t.data.shape)})"


def _mask(rt, cond: np.ndarray) -> Tensor:
    return F._leaf(rt, np.asarray(cond, np.bool_), False, "mask")


# ---- ranking and embedding losses ---------------------------------------------

def f_margin_ranking_loss(rt, input1, input2, target, margin=0, size_average=None,
                          reduce=None, reduction="mean"):
    """max(0, -y (x1 - x2) + margin): y = 1 where x1 should rank higher."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    # (its Python: input1.dim() != input2.dim() or input1.dim() != target.dim(),
    # the sizes of all three in its message)
    hint = "the two scores and the target (+1 or -1) are tensors of one shape"
    for v in (input1, input2):
        F.python_tensor(v, "dim", hint)
    F.python_tensor(target, "dim" if input1.data.ndim == input2.data.ndim else "size", hint)
    if not input1.data.ndim == input2.data.ndim == target.data.ndim:
        raise GradvizError(
            f"margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {_size_text(input1)}, input2: {_size_text(input2)}, target: "
            f"{_size_text(target)} ", kind=RUNTIME,
            hint="give the two scores and the target (+1 or -1) with one shape, e.g. (N,)")
    margin = _margin("margin_ranking_loss", margin, 4)
    diff = rt.binary("-", input1, input2)
    out = _scalar_op(rt, "+", rt.binary("*", F.FUNCTIONS["neg"](rt, target), diff), margin,
                     "AddBackward1")
    return _reduce(rt, _clamp_min0(rt, out), reduction)


def f_hinge_embedding_loss(rt, input, target, margin=1.0, size_average=None, reduce=None,
                           reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x a distance)."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    input, target = _need("hinge_embedding_loss", ("input", "target"), (input, target))
    margin = _margin("hinge_embedding_loss", margin, 3)
    zeros = F.FUNCTIONS["zeros_like"](rt, input)
    margin_clamp = _clamp_min0(rt, rt.binary("-", _scalar_tensor(rt, margin, input), input))
    y = target.data
    output_margin = F.f_where(rt, _mask(rt, y != 1), margin_clamp, zeros)
    output_self = F.f_where(rt, _mask(rt, y != -1), input, zeros)
    return _reduce(rt, rt.binary("+", output_margin, output_self), reduction)


_EPSILON = 1e-12        # ATen's cosine_embedding_loss: added to each squared magnitude


def f_cosine_embedding_loss(rt, input1, input2, target, margin=0, size_average=None,
                            reduce=None, reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    input1, input2, target = _need("cosine_embedding_loss", ("input1", "input2", "target"),
                                   (input1, input2, target))
    margin = _margin("cosine_embedding_loss", margin, 4)
    dim = target.data.ndim
    if dim > 1:
        raise GradvizError("0D or 1D target tensor expected, multi-target not supported",
                           kind=RUNTIME, hint="one target (+1 or -1) per pair of rows")
    if dim == 1 and not input1.data.ndim == input2.data.ndim == 2:
        raise GradvizError(f"1D target tensor expects 2D input tensors, but found inputs with "
                           f"sizes {list(input1.data.shape)} and {list(input2.data.shape)}.",
                           kind=RUNTIME, hint="a batch of pairs: inputs (N, D), target (N,)")
    if dim == 0 and not input1.data.ndim == input2.data.ndim == 1:
        raise GradvizError(f"0D target tensor expects 1D input tensors, but found inputs with "
                           f"sizes {list(input1.data.shape)} and {list(input2.data.shape)}.",
                           kind=RUNTIME, hint="one pair: inputs (D,), target a 0-d tensor")
    total = F.FUNCTIONS["sum"]
    prod_sum = total(rt, rt.binary("*", input1, input2), dim)
    mag1 = _scalar_op(rt, "+", total(rt, rt.binary("*", input1, input1), dim), _EPSILON,
                      "AddBackward1")
    mag2 = _scalar_op(rt, "+", total(rt, rt.binary("*", input2, input2), dim), _EPSILON,
                      "AddBackward1")
    denom = F.FUNCTIONS["sqrt"](rt, rt.binary("*", mag1, mag2))
    cos = rt.binary("/", prod_sum, denom)
    zeros = F.FUNCTIONS["zeros_like"](rt, cos)
    pos = rt.binary("-", _scalar_tensor(rt, 1, cos), cos)
    neg = _clamp_min0(rt, _scalar_op(rt, "-", cos, margin, "SubBackward1"))
    y = target.data
    output_pos = F.f_where(rt, _mask(rt, y == 1), pos, zeros)
    output_neg = F.f_where(rt, _mask(rt, y == -1), neg, zeros)
    return _reduce(rt, rt.binary("+", output_pos, output_neg), reduction)


def f_triplet_margin_loss(rt, anchor, positive, negative, margin=1.0, p=2, eps=1e-6,
                          swap=False, size_average=None, reduce=None, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin), d the pairwise distance (swap:
    d(a, n) replaced by d(p, n) where that is smaller)."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    F._number_arg("triplet_margin_loss", "margin", 4, margin, "float")
    if margin <= 0:
        raise GradvizError(f"margin must be greater than 0, got {margin}", kind=VALUE,
                           hint="the margin is how much farther the negative should be: > 0")
    anchor, positive, negative = _need("triplet_margin_loss",
                                       ("anchor", "positive", "negative"),
                                       (anchor, positive, negative))
    dims = [t.data.ndim for t in (anchor, positive, negative)]
    if not dims[0] == dims[1] == dims[2]:
        raise GradvizError(f"The anchor, positive, and negative tensors are expected to have "
                           f"the same number of dimensions, but got: anchor {dims[0]}D, "
                           f"positive {dims[1]}D, and negative {dims[2]}D inputs", kind=RUNTIME,
                           hint="give the three embeddings with one shape, e.g. (N, D)")
    dist = NF.f_pairwise_distance
    dist_pos = dist(rt, anchor, positive, p, eps)
    dist_neg = dist(rt, anchor, negative, p, eps)
    if swap:
        dist_neg = F.FUNCTIONS["minimum"](rt, dist_neg, dist(rt, positive, negative, p, eps))
    out = rt.binary("-", _scalar_op(rt, "+", dist_pos, float(margin), "AddBackward1"), dist_neg)
    return _reduce(rt, _clamp_min0(rt, out), reduction)


# ---- likelihood losses ----------------------------------------------------------

_POISSON_FORM = arg_parser.forms("(Tensor input, Tensor target, bool log_input, bool full, "
                                 "float eps, int reduction)")
_POISSON_SEEN: set = set()      # (arg_parser.check's: the calls it has taken)


def f_poisson_nll_loss(rt, input, target, log_input=True, full=False, size_average=None,
                       eps=1e-8, reduce=None, reduction="mean"):
    """exp(x) - y x (log_input, x the log-rate), else x - y log(x + eps);
    full= adds Stirling's approximation of log(y!) where y > 1."""
    if size_average is not None or reduce is not None:
        reduction = F._reduction_arg(size_average, reduce, reduction)
    if reduction not in ("none", "mean", "sum"):
        # (PyTorch's Python words it with reduction + "...": a non-str is that +'s TypeError)
        raise GradvizError(rt.binary("+", reduction, " is not a valid value for reduction"),
                           kind=VALUE, hint="reduction is 'mean' (the default), 'sum' or 'none'")
    # (then torch.poisson_nll_loss(input, target, log_input, full, eps, reduction),
    # whose parser checks them all)
    arg_parser.check("poisson_nll_loss", _POISSON_FORM, (input, target, log_input, full, eps, 1),
                     {}, _POISSON_SEEN)
    eps = F._tensor_number(eps)         # (a 0-d tensor is the float it holds)
    input, target = _need("poisson_nll_loss", ("input", "target"), (input, target))
    fn = F.FUNCTIONS
    if log_input:
        loss = rt.binary("-", fn["exp"](rt, input), rt.binary("*", target, input))
    else:
        logs = fn["log"](rt, _scalar_op(rt, "+", input, float(eps), "AddBackward1"))
        loss = rt.binary("-", input, rt.binary("*", target, logs))
    if full:
        stirling = rt.binary("+", rt.binary("-", rt.binary("*", target, fn["log"](rt, target)),
                                            target),
                             rt.binary("*", 0.5, fn["log"](rt, rt.binary(
                                 "*", 2 * math.pi, target))))
        stirling = fn["masked_fill"](rt, stirling, rt.binary("<=", target, 1), 0)
        loss = rt.binary("+", loss, stirling)
    return _reduce(rt, loss, reduction)


def f_gaussian_nll_loss(rt, input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(var) + (x - y)^2 / var), var clamped to eps (without a
    gradient); full= adds 0.5 log(2 pi). As PyTorch's Python composes it."""
    input, target = _need("gaussian_nll_loss", ("input", "target"), (input, target))
    if isinstance(var, float):
        if var < 0:
            raise GradvizError("var has negative entry/entries", kind=VALUE,
                               hint="var is a variance: >= 0")
        var = rt.binary("*", var, F.FUNCTIONS["ones_like"](rt, input))
    elif not F.is_tensor(var):
        raise GradvizError(f"'<' not supported between instances of '{F.arg_type_name(var)}' "
                           "and 'int'", kind=TYPE,
                           hint="var is a tensor of variances, or a float")
    elif (var.data < 0).any():
        raise GradvizError("var has negative entry/entries", kind=VALUE,
                           hint="var is a variance: >= 0")
    shape, vshape = input.data.shape, var.data.shape
    if vshape != shape:
        if shape[:-1] == vshape:            # one variance per row: homoscedastic
            var = F.FUNCTIONS["unsqueeze"](rt, var, -1)
        elif not (len(shape) == len(vshape) and
                  sum(v for s, v in zip(shape, vshape) if s != v) == 1):
            raise GradvizError("var is of incorrect size", kind=VALUE,
                               hint=f"var is the input's shape {tuple(shape)}, or that with "
                                    "one dim of size 1 (or the last dim left out)")
    if reduction not in ("none", "mean", "sum"):
        raise GradvizError(f"{reduction} is not valid", kind=VALUE,
                           hint="reduction is 'mean' (the default), 'sum' or 'none'")
    # var.clone() then clamp_(min=eps) under no_grad: the clone's values
    # change, its gradient passes through unchanged
    if eps is None:
        raise GradvizError("torch.clamp: At least one of 'min' or 'max' must not be None",
                           kind="RuntimeError", hint="eps is a small number: eps=1e-6")
    if not (F.is_tensor(eps) and eps.data.size == 1) and not isinstance(eps, (int, float)):
        # (PyTorch clamps var with clamp_(min=eps): a tensor of eps per element too)
        got = F.arg_type_name(eps)
        raise GradvizError(f"clamp_() received an invalid combination of arguments - got "
                           f"(min={got}, ), but expected one of:", kind=TYPE,
                           hint="eps is a small number: eps=1e-6" + (
                               " (gradviz takes one number, not a tensor of them)"
                               if got == "Tensor" else ""))
    eps = float(eps.data.reshape(())) if F.is_tensor(eps) else eps
    var = F.METHODS["clone"](rt, var)
    np.maximum(var.data, var.data.dtype.type(eps), out=var.data)
    sq = rt.binary("**", rt.binary("-", input, target), 2)
    loss = rt.binary("*", 0.5, rt.binary("+", F.FUNCTIONS["log"](rt, var),
                                         rt.binary("/", sq, var)))
    if full:
        loss = rt.binary("+", loss, 0.5 * math.log(2 * math.pi))
    return _reduce(rt, loss, reduction)


def f_multilabel_soft_margin_loss(rt, input, target, weight=None, size_average=None,
                                  reduce=None, reduction="mean"):
    """-(y log sigmoid(x) + (1 - y) log sigmoid(-x)), averaged over the
    classes (the last dim): binary cross-entropy per label."""
    if size_average is not None or reduce is not None:
        reduction = F._reduction_arg(size_average, reduce, reduction)
    input, target = _need("multilabel_soft_margin_loss", ("input", "target"), (input, target))
    logsigmoid = F.NN_FUNCTIONAL["logsigmoid"]
    loss = F.FUNCTIONS["neg"](rt, rt.binary(
        "+", rt.binary("*", target, logsigmoid(rt, input)),
        rt.binary("*", rt.binary("-", 1, target),
                  logsigmoid(rt, F.FUNCTIONS["neg"](rt, input)))))
    if weight is not None:
        loss = rt.binary("*", loss, weight)
    class_dim = input.data.ndim - 1
    loss = rt.binary("/", F.FUNCTIONS["sum"](rt, loss, class_dim), input.data.shape[class_dim])
    if reduction == "none":
        return loss
    if reduction not in ("mean", "sum"):
        raise GradvizError(f"{reduction} is not valid", kind=VALUE,
                           hint="reduction is 'mean' (the default), 'sum' or 'none'")
    return F.FUNCTIONS[reduction](rt, loss)


def f_soft_margin_loss(rt, input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)): a smooth hinge for labels +1 / -1; one node."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    input, target = _need("soft_margin_loss", ("input", "target"), (input, target))
    NF._not_differentiable("soft_margin_loss", "target", target)
    shape = NF.broadcast_shape(input.data.shape, target.data.shape)
    if shape != input.data.shape:
        raise GradvizError(f"output with shape {list(input.data.shape)} doesn't match the "
                           f"broadcast shape {list(shape)}", kind=RUNTIME,
                           hint="the target has the input's shape (or one that broadcasts to it)")
    if input.data.dtype.kind != "f" and target.data.dtype.kind != "f":
        raise GradvizError(f"result type Float can't be cast to the desired output type "
                           f"{F.type_word(input.data.dtype)}", kind=RUNTIME,
                           hint="make the input a float tensor: x.float()")
    return rt.apply(OPS["soft_margin_loss"], (input, target), {"reduction": reduction})


FUNCTIONS = {"margin_ranking_loss": f_margin_ranking_loss,
             "hinge_embedding_loss": f_hinge_embedding_loss,
             "cosine_embedding_loss": f_cosine_embedding_loss,
             "triplet_margin_loss": f_triplet_margin_loss,
             "poisson_nll_loss": f_poisson_nll_loss,
             "gaussian_nll_loss": f_gaussian_nll_loss,
             "multilabel_soft_margin_loss": f_multilabel_soft_margin_loss,
             "soft_margin_loss": f_soft_margin_loss}
