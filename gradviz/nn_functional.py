"""torch.nn.functional's losses and layers after the first chapters:
nll_loss, smooth_l1_loss, huber_loss, kl_div, normalize, cosine_similarity,
pairwise_distance, layer_norm, embedding, batch_norm and one_hot, each with PyTorch's
checks in PyTorch's order.

Where PyTorch records one node (nll_loss, smooth_l1_loss, layer_norm, ...)
this calls one registry op; where its function is composed of tensor ops
(kl_div, normalize, cosine_similarity, pairwise_distance) it records the
same ops, so the graph shows the nodes PyTorch's shows."""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .ops.registry import broadcast_shape
from .tensor import Tensor


def _not_differentiable(fn: str, arg: str, t) -> None:
    """PyTorch's forward-time refusal of a weight that requires grad."""
    if t is not None and t.requires_grad:
        raise GradvizError(f"The function '{fn}' is not differentiable with respect to argument "
                           f"'{arg}'. This input cannot have requires_grad True.", kind=RUNTIME,
                           hint=f"pass {arg}.detach(): PyTorch has no gradient for the {arg}")


def _same_dtype(weight, input) -> None:
    if weight is not None and weight.data.dtype != input.data.dtype:
        raise GradvizError(f"expected scalar type {F.type_word(input.data.dtype)} but found "
                           f"{F.type_word(weight.data.dtype)}", kind=RUNTIME,
                           hint="make the weight the input's dtype: weight.float()")


def norm_params_dtype(input, params) -> None:
    """PyTorch's CPU check of a norm's weight and bias against its input
    (layer_norm, group_norm): of the input's dtype, or float32 for a
    float16 or float32 input (its "mixed dtype": a float64 module given a
    float32 input); nn.LayerNorm(4) given a float64 input is refused."""
    given = [t for t in params if t is not None]
    if not given or given[0].data.dtype == input.data.dtype:
        for t in given:
            _same_dtype(t, input)
        return
    hint = "convert the module to the input's dtype: norm.double(), or the input: x.float()"
    if input.data.dtype not in (F.F16, F.F32):
        raise GradvizError("mixed dtype (CPU): all inputs must share same datatype.",
                           kind=RUNTIME, hint=hint)
    if any(t.data.dtype != F.F32 for t in given):
        raise GradvizError("mixed dtype (CPU): expect parameter to have scalar type of Float",
                           kind=RUNTIME, hint=hint)


# ---- losses --------------------------------------------------------------------

def f_nll_loss(rt, input, target, weight=None, size_average=None, ignore_index=-100,
               reduce=None, reduction="mean"):
    """F.nll_loss: minus the log-probability of each row's class (its weight
    times it), one NllLossBackward0 node; input (C,) or (N, C), or (N, C,
    d1, ...) with a class index per position (NllLoss2DBackward0)."""
    reduction = F._reduction_arg(size_average, reduce, reduction)
    input = F._need_tensor(input, "nll_loss_nd")
    target = F.byte_class_target(rt, F._need_tensor(target, "nll_loss_nd", 2, "target"), input)
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
        raise GradvizError(f"nll_loss_nd(): argument 'ignore_index' (position 5) must be int, "
                           f"not {F.arg_type_name(ignore_index)}", kind=TYPE,
                           hint="ignore_index is a class index (the default, -100, ignores none)")
    if input.data.ndim == 0:
        raise GradvizError("Expected 1 or more dimensions (got 0)", kind=VALUE,
                           hint="log-probabilities are (C,) or (N, C)")
    if weight is not None:
        weight = F._need_tensor(weight, "nll_loss_nd", 3, "weight")
    class_index_checks(input, target, weight, ignore_index)
    params = {"reduction": reduction} if reduction != "mean" else {}
    if ignore_index != -100:
        params["ignore_index"] = int(ignore_index)
    args = (input, target) if weight is None else (input, target, weight)
    return rt.apply(OPS["nll_loss"], args, params or None)


def class_index_checks(input: Tensor, target: Tensor, weight, ignore_index: int) -> None:
    """PyTorch's checks of a target of class indices and a weight for input
    (log-probabilities or logits of another shape), in its order: those of
    nll_loss_nd, then autograd's refusal of a weight that requires grad, then
    the kernel's (nll_loss's for an input (C,) or (N, C), nll_loss2d's for
    (N, C, d1, ...), which nll_loss_nd views as 4-d); the values come last."""
    spatial = input.data.ndim > 2
    _nll_loss_nd_checks(input.data.shape, target.data.shape)
    _not_differentiable("nll_loss2d_forward" if spatial else "nll_loss_forward", "weight", weight)
    if input.data.ndim == 4 and target.data.ndim != 3:
        raise GradvizError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {target.data.ndim}",
                           hint="one class index per position: a target (N, H, W)")
    if not spatial and target.data.ndim > 1:
        raise GradvizError("0D or 1D target tensor expected, multi-target not supported",
                           hint="class indices are one per row; class probabilities have "
                                f"the input's shape {list(input.data.shape)}")
    if target.data.dtype != np.int64:
        raise GradvizError(f"expected target dtype to be Long or Byte, but got "
                           f"{F.type_word(target.data.dtype)}",
                           hint="class indices are integers: target.long()")
    if input.data.ndim == 1 and target.data.ndim == 1 and target.data.size != 1:
        raise GradvizError(f"For 1D input, 1D target must have size 1, but got target size: "
                           f"{target.data.size}", kind=VALUE,
                           hint="one sample (a 1-d input) takes one class index")
    classes = input.data.shape[0 if input.data.ndim == 1 else 1]
    _class_weight_size(weight, classes, spatial)
    want = [input.data.shape[0], *input.data.shape[2:]]
    if input.data.ndim == 4 and list(target.data.shape) != want:
        raise GradvizError(f"size mismatch (got input: {list(input.data.shape)} , target: "
                           f"{list(target.data.shape)}", hint=f"a target of shape {want}")
    if input.data.dtype.kind != "f":
        frame = "nll_loss2d_forward_out_frame" if spatial else "nll_loss_out_frame"
        raise GradvizError(f"\"{frame}\" not implemented for "
                           f"'{F.type_word(input.data.dtype)}'", kind="NotImplementedError",
                           hint="nll_loss takes log-probabilities: F.log_softmax(z, dim=1)")
    _same_dtype(weight, input)
    counted = target.data[target.data != ignore_index]
    if counted.size and (counted.min() < 0 or counted.max() >= classes):
        bad = counted[(counted < 0) | (counted >= classes)][0]
        raise GradvizError(f"Target {int(bad)} is out of bounds.", kind=INDEX,
                           hint=f"class indices run from 0 to {classes - 1}")


def _nll_loss_nd_checks(x_shape: tuple, t_shape: tuple) -> None:
    """nll_loss_nd's own checks, before it calls a kernel: the batch sizes
    and the positions of an input (N, C, d1)
    or (N, C, d1, d2, d3, ...) (nll_loss2d checks a 4-d one's itself)."""
    if len(x_shape) != 1 and (not t_shape or x_shape[0] != t_shape[0]):
        raise GradvizError(f"Expected input batch_size ({x_shape[0]}) to match target "
                           f"batch_size ({t_shape[0] if t_shape else 1}).", kind=VALUE,
                           hint="the target holds one class index per row")
    want = [x_shape[0], *x_shape[2:]]
    if (len(x_shape) == 3 or len(x_shape) > 4) and list(t_shape) != want:
        raise GradvizError(f"Expected target size {want}, got {list(t_shape)}",
                               hint=f"one class index per position: a target of shape {want}")


def _class_weight_size(weight, classes: int, spatial: bool) -> None:
    """The kernel's check of a weight per class: nll_loss2d counts its
    elements, nll_loss wants them in one dim and names the count."""
    if weight is None:
        return
    if spatial and weight.data.size != classes:
        raise GradvizError("weight tensor should be defined either for all or no classes",
                           hint=f"one weight per class: {classes} of them")
    if not spatial and (weight.data.ndim != 1 or weight.data.size != classes):
        raise GradvizError(f"weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: "
                           f"{list(weight.data.shape)}", hint="one weight per class")


def _broadcast_operands(rt, input, target) -> tuple:
    """torch.broadcast_tensors(input, target) as PyTorch's Python losses
    call it: an operand of another shape is expanded (ExpandBackward0)."""
    shape = broadcast_shape(input.data.shape, target.data.shape)
    F.warn_target_size(rt, input, target)
    return tuple(t if t.data.shape == shape else
                 rt.apply(OPS["expand"], (t,), {"shape": shape}) for t in (input, target))


def _float_pair(input, target, kernel: str) -> None:
    if input.data.dtype.kind != "f" and target.data.dtype.kind != "f":
        raise GradvizError(f"\"{kernel}\" not implemented for "
                           f"'{F.type_word(input.data.dtype)}'", kind="NotImplementedError",
                           hint="make the input a float tensor: x.float()")


def f_smooth_l1_loss(rt, input, target, size_average=None, reduce=None, reduction="mean",
                     beta=1.0):
    """F.smooth_l1_loss: 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta
    elsewhere; beta=0 is l1_loss (PyTorch's own switch)."""
    input, target = F._loss_operands(input, target)
    reduction = F._reduction_arg(size_average, reduce, reduction)
    F._number_arg("smooth_l1_loss", "beta", 4, beta, "float")
    if beta == 0.0:
        return F.f_l1_loss(rt, input, target, reduction=reduction)
    input, target = _broadcast_operands(rt, input, target)
    if beta < 0:
        raise GradvizError("smooth_l1_loss does not support negative values for beta.",
                           kind=RUNTIME, hint="beta is the width of the quadratic part: > 0")
    _float_pair(input, target, "smooth_l1_cpu")
    return rt.apply(OPS["smooth_l1_loss"], (input, target),
                    {"reduction": reduction, "beta": float(beta)})


def f_huber_loss(rt, input, target, reduction="mean", delta=1.0, weight=None):
    """F.huber_loss: 0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta)
    elsewhere; with weight= PyTorch's Python composes it: the unreduced loss
    times the weight, then its sum or mean."""
    input, target = F._loss_operands(input, target)
    size = input.data.shape
    operands = _broadcast_operands(rt, input, target)
    if weight is None:
        return _huber(rt, operands, F._reduction_arg(None, None, reduction), delta)
    if not F.is_tensor(weight):
        raise GradvizError(f"'{F.arg_type_name(weight)}' object has no attribute 'size'",
                           kind="AttributeError", hint="the weight is a tensor of the input's shape")
    if weight.data.shape != size:
        raise GradvizError("Weights and input must have the same size.", kind=VALUE,
                           hint=f"one weight per input element: shape {list(size)}")
    weighted = F.FUNCTIONS["mul"](rt, _huber(rt, operands, "none", delta), weight)
    if reduction == "none":
        return weighted
    if reduction in ("sum", "mean"):
        return F.FUNCTIONS[reduction](rt, weighted)
    raise GradvizError(f"Invalid reduction mode: {reduction}. Expected one of 'none', 'mean', "
                       "'sum'.", kind=VALUE, hint="reduction is 'mean', 'sum' or 'none'")


def _huber(rt, operands: tuple, reduction: str, delta) -> Tensor:
    """torch._C._nn.huber_loss of the broadcast input and target."""
    F._number_arg("huber_loss", "delta", 4, delta, "float")
    if delta <= 0:
        raise GradvizError("huber_loss does not support non-positive values for delta.",
                           kind=RUNTIME, hint="delta is where the loss turns linear: > 0")
    _float_pair(*operands, "huber_cpu")
    return rt.apply(OPS["huber_loss"], operands, {"reduction": reduction, "delta": float(delta)})


def _xlogy_self(rt, t: Tensor) -> Tensor:
    """xlogy(t, t) = t * log(t), 0 where t is 0, as a constant (the target
    needs no gradient); its log is gradviz's log op's, PyTorch's bits."""
    if t.requires_grad:
        raise GradvizError("kl_div with a target that requires grad is not supported",
                           kind=RUNTIME, hint="pass target.detach(), or write the loss "
                                              "by hand: (p * (p.log() - logq)).sum()")
    data = t.data
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = OPS["log"].forward([data], {})
        out = np.where(data == 0, data.dtype.type(0), data * logs).astype(data.dtype)
    out = np.where(np.isnan(data), data, out)
    return F._leaf(rt, out, False, "xlogy(target, target)")


def f_kl_div(rt, input, target, size_average=None, reduce=None, reduction="mean",
             log_target=False):
    """F.kl_div(log q, p): sum p (log p - log q), as PyTorch composes it:
    xlogy(p, p) - p * input (or exp(t) * (t - input) for a log target),
    then the mean, the sum, or the sum / batch size ('batchmean')."""
    if reduction != "batchmean":
        reduction = F._reduction_arg(size_average, reduce, reduction)
    input = F._need_tensor(input, "kl_div")
    target = F._need_tensor(target, "kl_div", 2, "target")
    if reduction == "mean":
        rt.log_event("user_warning", input, message=(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release."))
    if log_target:
        out = rt.binary("*", F.FUNCTIONS["exp"](rt, target), rt.binary("-", target, input))
    else:
        out = rt.binary("-", _xlogy_self(rt, target), rt.binary("*", target, input))
    if reduction == "none":
        return out
    if reduction == "batchmean":
        total = F.FUNCTIONS["sum"](rt, out)
        return total if input.data.ndim == 0 else rt.binary("/", total, input.data.shape[0])
    return F.FUNCTIONS[reduction](rt, out)


def bce_weight(rt, input, weight):
    """binary_cross_entropy's weight=: expanded to the input's shape as
    PyTorch's function does (its error for a shape that does not fit)."""
    weight = F._need_tensor(weight, "binary_cross_entropy", 3, "weight")
    shape = input.data.shape
    w = weight.data
    if w.ndim > len(shape) or any(a != b and a != 1 for a, b in
                                  zip(w.shape[::-1], shape[::-1])):
        bad = next(-(i + 1) for i, (a, b) in enumerate(zip(w.shape[::-1], shape[::-1]))
                   if a != b and a != 1) if w.ndim <= len(shape) else 0
        raise GradvizError(f"Attempting to broadcast a dimension of length "
                           f"{w.shape[bad] if w.ndim else 1} at {bad}! Mismatching argument at "
                           f"index 1 had torch.Size({list(w.shape)}); but expected shape should "
                           f"be broadcastable to {list(shape)}", kind=RUNTIME,
                           hint="one weight per element, or a shape that broadcasts to it")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    _same_dtype(weight, input)
    return np.broadcast_to(w, shape)


def bce_logits_weights(rt, op, input, target, weight, pos_weight, reduction: str):
    """binary_cross_entropy_with_logits's weight= and pos_weight=, checked
    in PyTorch's order (its parser's types, autograd's refusal of either
    requiring grad, then its kernel's broadcasts: pos_weight with the
    target, the weight with the loss, each written into a loss of the
    input's shape), expanded to the input's shape as constants; the op is
    told which it was given."""
    fn = "binary_cross_entropy_with_logits"
    weight = None if weight is None else F._need_tensor(weight, fn, 3, "weight")
    pos_weight = None if pos_weight is None else F._need_tensor(pos_weight, fn, 4, "pos_weight")
    _not_differentiable(fn, "weight", weight)
    _not_differentiable(fn, "pos_weight", pos_weight)
    shape = input.data.shape
    args, given = [input, target], ""
    for t, other, code in ((pos_weight, target.data.shape, "p"), (weight, shape, "w")):
        if t is None:
            continue
        # (pos_weight - 1) * target; the loss * weight
        pair = (t.data.shape, other) if code == "p" else (other, t.data.shape)
        wide = broadcast_shape(*pair)
        if wide != shape:
            raise GradvizError(f"output with shape {list(shape)} doesn't match the broadcast "
                               f"shape {list(wide)}", kind=RUNTIME,
                               hint="a weight broadcasts to the input's shape")
        w = np.broadcast_to(t.data, shape).astype(input.data.dtype)
        args.append(F._expanded_weight(rt, t, w) if t.data.dtype == w.dtype else
                    F._leaf(rt, np.ascontiguousarray(w), False, "weight expanded"))
        given += code
    params = {"reduction": reduction}
    if given:
        params["weights"] = given
    return rt.apply(op, tuple(args), params)


# ---- distances -----------------------------------------------------------------

def f_normalize(rt, input, p=2.0, dim=1, eps=1e-12, out=None):
    """F.normalize: input / max(||input||_p over dim, eps), as PyTorch
    composes it: norm, clamp_min, expand_as, div."""
    input = F.python_tensor(input, "norm", "F.normalize(x) takes a tensor")
    if out is not None:
        raise GradvizError("normalize(out=...) is not supported", kind=TYPE,
                           hint="write y = F.normalize(x)")
    norm = F.f_norm(rt, input, p, dim, keepdim=True)
    denom = rt.apply(OPS["clamp"], (norm,), {"min": eps, "max": None,
                                             "grad_fn": "ClampMinBackward0"})
    denom = rt.apply(OPS["expand"], (denom,), {"shape": input.data.shape})
    return rt.binary("/", input, denom)


def _clamped_norm(rt, x, dim, eps):
    """||x|| over dim (kept), cloned and clamped to eps in place without a
    gradient, as cosine_similarity's norms are."""
    n = rt.apply(OPS["clone"], (F.f_norm(rt, x, 2, dim, keepdim=True),))
    np.maximum(n.data, n.data.dtype.type(eps), out=n.data)
    return n


def f_cosine_similarity(rt, x1, x2, dim=1, eps=1e-8):
    """F.cosine_similarity: sum(x1/||x1|| * x2/||x2||) over dim, each norm at
    least eps, as PyTorch computes it (the operands expanded to one shape
    first when they differ)."""
    x1 = F._need_tensor(x1, "cosine_similarity", 1, "x1")
    x2 = F._need_tensor(x2, "cosine_similarity", 2, "x2")
    if x1.data.shape != x2.data.shape:
        shape = broadcast_shape(x1.data.shape, x2.data.shape)
        x1, x2 = (rt.apply(OPS["expand"], (t,), {"shape": shape}) for t in (x1, x2))
    for t in (x1, x2):
        if t.data.dtype.kind != "f":
            raise GradvizError("cosine_similarity of integer tensors is not supported",
                               kind=TYPE, hint="make them float: x.float()")
    d = F._dim(dim, x1.data.ndim)
    eps = F.float_arg("cosine_similarity", "eps", eps, "eps is a small number: eps=1e-8")
    n1 = _clamped_norm(rt, x1, d, eps)
    n2 = _clamped_norm(rt, x2, d, eps)
    prod = rt.binary("*", rt.binary("/", x1, n1), rt.binary("/", x2, n2))
    return F.FUNCTIONS["sum"](rt, prod, d)


def f_pairwise_distance(rt, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """F.pairwise_distance: ||x1 - x2 + eps|| over the last dim (NormBackward1)."""
    x1 = F._need_tensor(x1, "pairwise_distance", 1, "x1")
    x2 = F._need_tensor(x2, "pairwise_distance", 2, "x2")
    last = max(x1.data.ndim, x2.data.ndim) - 1
    diff = rt.binary("+", rt.binary("-", x1, x2), eps)
    if diff.recorded:         # at::add(Tensor, Scalar) in C++: PyTorch's AddBackward1
        diff.meta = {**(diff.meta or {}), "rebased": "AddBackward1"}
    # at::norm, not linalg.vector_norm: PyTorch's name for its node
    if p in (1, 2):
        params = {**F.norm_params(diff, p, last, keepdim), "grad_fn": "NormBackward1"}
        return rt.apply(OPS["norm"], (diff,), params)
    # (any other order, inf and 0 among them: the other norms' op)
    return F.linalg_fns.f_vector_norm_ord(rt, diff, p, last, keepdim, grad_fn="NormBackward1")


# ---- embedding -----------------------------------------------------------------

def embedding_renorm(rt, weight, indices, max_norm, norm_type) -> Tensor:
    """torch.embedding_renorm_: each row of weight the indices name whose
    norm_type-norm is over max_norm scaled, in place, by max_norm / (norm +
    1e-7) (PyTorch's factor, in double; the rows multiplied in the dtype)."""
    F._number_arg("embedding_renorm_", "max_norm", 3, max_norm, "float")
    F._number_arg("embedding_renorm_", "norm_type", 4, norm_type, "float")
    max_norm = float(max_norm)
    w = weight.data
    rows = np.unique(indices.data.reshape(-1))
    if rows.size and (rows.min() < 0 or rows.max() >= w.shape[0]):
        raise GradvizError("index out of range in self", kind=INDEX,
                           hint=f"the weight has {w.shape[0]} rows: indices run from 0 to "
                                f"{w.shape[0] - 1}")
    wide = w[rows].astype(np.float64)
    norm_type = float(norm_type)
    # (each row's norm as PyTorch's row.norm(p) gives it: in the dtype)
    norms = np.linalg.norm(wide, ord=norm_type, axis=1).astype(w.dtype).astype(np.float64)
    scale = np.ones((w.shape[0], 1), w.dtype)
    over = norms > max_norm
    scale[rows[over], 0] = max_norm / (norms[over] + 1e-7)
    return F.METHODS["mul_"](rt, weight, F._leaf(rt, scale, False, "tensor"))


def renorm_rows(rt, weight, indices, max_norm, norm_type) -> None:
    """F.embedding's max_norm=: the rows renormed in place without recording
    (PyTorch's torch.no_grad() around embedding_renorm_)."""
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, False
    try:
        embedding_renorm(rt, weight, indices, max_norm, norm_type)
    finally:
        rt.tape.grad_enabled = enabled


def f_embedding_renorm_(rt, input, indices, max_norm, norm_type):
    """torch.embedding_renorm_(weight, indices, max_norm, norm_type)."""
    weight = F._need_tensor(input, "embedding_renorm_")
    indices = F._need_tensor(indices, "embedding_renorm_", 2, "indices")
    return embedding_renorm(rt, weight, indices, max_norm, norm_type)


def f_embedding(rt, input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
                scale_grad_by_freq=False, sparse=False):
    """F.embedding(indices, weight): weight's rows at the indices, shape
    indices.shape + (embedding_dim,); one EmbeddingBackward0 node. max_norm:
    the rows picked renormed in place first."""
    input = F._need_tensor(input, "embedding", 2, "indices")
    weight = F._need_tensor(weight, "embedding", 1, "weight")
    if scale_grad_by_freq or sparse:
        raise GradvizError("embedding(): scale_grad_by_freq= and sparse= are not supported",
                           kind=TYPE, hint="F.embedding(indices, weight) picks rows")
    if weight.data.ndim != 2:
        raise GradvizError("'weight' must be 2-D", kind=RUNTIME,
                           hint="the weight is (num_embeddings, embedding_dim)")
    if input.data.dtype != np.int64 and input.data.dtype != np.int32:
        raise GradvizError("Expected tensor for argument #1 'indices' to have one of the "
                           "following scalar types: Long, Int; but got "
                           f"{F.legacy_type(input.data.dtype)} instead (while checking "
                           "arguments for embedding)", kind=RUNTIME,
                           hint="indices are integers: torch.tensor([1, 2]) or idx.long()")
    n = weight.data.shape[0]
    if F.is_tensor(padding_idx) and padding_idx.data.size == 1:
        padding_idx = padding_idx.data.item()
    padding_idx_type(padding_idx)
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise GradvizError("Padding_idx must be within num_embeddings", kind="AssertionError",
                               hint=f"padding_idx runs from {-n} to {n - 1}")
        if not isinstance(padding_idx, int) or isinstance(padding_idx, bool):
            raise GradvizError(f"embedding(): argument 'padding_idx' (position 3) must be int, "
                               f"not {F.arg_type_name(padding_idx)}", kind=TYPE,
                               hint="padding_idx is the index of a row: a whole number")
        padding_idx %= n
    idx = input.data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise GradvizError("index out of range in self", kind=INDEX,
                           hint=f"the weight has {n} rows: indices run from 0 to {n - 1}")
    if max_norm is not None:
        renorm_rows(rt, weight, input, max_norm, norm_type)
    return rt.apply(OPS["embedding"], (weight, input),
                    None if padding_idx is None else {"padding_idx": int(padding_idx)})


# ---- normalization -------------------------------------------------------------

def _shape_list(fname: str, normalized_shape) -> tuple:
    """layer_norm's (rms_norm's) normalized_shape: a tuple or list of ints
    (torch.Size too)."""
    if isinstance(normalized_shape, (tuple, list)) and all(
            isinstance(s, int) and not isinstance(s, bool) for s in normalized_shape):
        return tuple(normalized_shape)
    raise GradvizError(f"{fname}(): argument 'normalized_shape' (position 2) must be tuple of "
                       f"ints, not {F.arg_type_name(normalized_shape)}", kind=TYPE,
                       hint="give the shape of the normalized dims as a tuple: "
                            f"F.{fname}(x, (4,)) or F.{fname}(x, x.shape[-1:])")


def _normalized_shape(fname: str, input, normalized_shape, affine: tuple, names: tuple,
                      star: str) -> tuple:
    """layer_norm's and rms_norm's checks of normalized_shape, of the weight
    (and bias) named in names, and of the input's last dims, in PyTorch's
    order (star: how its message writes the leading dims, "*, " or "*")."""
    shape = _shape_list(fname, normalized_shape)
    if not shape:
        raise GradvizError("Expected normalized_shape to be at least 1-dimensional, i.e., "
                           "containing at least one element, but got normalized_shape = []",
                           kind=RUNTIME, hint="give the sizes of the last dims: (4,)")
    for name, t in zip(names, affine):
        if t.data.shape != shape:
            raise GradvizError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.data.shape)} and normalized_shape "
                               f"= {list(shape)}", kind=RUNTIME,
                               hint=f"the {name} has one number per normalized element: "
                                    f"shape {tuple(shape)}")
    x = input.data
    if x.ndim < len(shape) or x.shape[x.ndim - len(shape):] != shape:
        raise GradvizError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[{star}{', '.join(map(str, shape))}], but got input of size"
                           f"{list(x.shape)}", kind=RUNTIME,
                           hint=f"normalized_shape names the input's last dims; this input's "
                                f"are {tuple(x.shape[-len(shape):]) if x.ndim else ()}")
    return shape


def _affine_args(fn: str, weight, bias, first: int) -> tuple:
    """The weight and bias that are given, and which ("wb", "w", "b", "")."""
    out, which = [], ""
    for pos, (name, t) in enumerate((("weight", weight), ("bias", bias))):
        if t is not None:
            out.append(F._need_tensor(t, fn, first + pos, name))
            which += name[0]
    return tuple(out), which


def f_layer_norm(rt, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """F.layer_norm: each sample normalized over its last dims (mean 0,
    variance 1, eps added to the variance), then * weight + bias; one
    NativeLayerNormBackward0 node (edges: input, weight, bias)."""
    input = F._need_tensor(input, "layer_norm")
    _shape_list("layer_norm", normalized_shape)          # (its type, before the others)
    affine, which = _affine_args("layer_norm", weight, bias, 3)
    F._number_arg("layer_norm", "eps", 5, eps)
    shape = _normalized_shape("layer_norm", input, normalized_shape, affine,
                              ("weight" if "w" in which else "bias", "bias"), "*, ")
    x = input.data
    norm_params_dtype(input, affine)
    if x.dtype.kind != "f":
        raise GradvizError(f"\"LayerNormKernelImpl\" not implemented for '{F.type_word(x.dtype)}'",
                           kind=RUNTIME, hint="layer_norm takes a float tensor: x.float()")
    return rt.apply(OPS["layer_norm"], (input,) + affine,
                    {"dims": len(shape), "eps": float(eps), "affine": which})


def _float_arg(fname: str, name: str, pos: int, v) -> float:
    """A float argument as PyTorch's parser reads it: a number (a 0-d
    tensor's too), else its TypeError."""
    if F.is_tensor(v) and v.data.ndim == 0 and not v.requires_grad:
        return float(v.data.item())
    if v.__class__ not in (int, float, bool):
        raise GradvizError(f"{fname}(): argument '{name}' (position {pos}) must be float, not "
                           f"{F.arg_type_name(v)}", kind=TYPE, hint=f"{name}= takes a number")
    return float(v)


def f_rms_norm(rt, input, normalized_shape, weight=None, eps=None):
    """F.rms_norm and torch.rms_norm: x / sqrt(mean(x ** 2 over the last
    dims) + eps), then * weight, as PyTorch composes it (PowBackward0,
    MeanBackward1, AddBackward1, RsqrtBackward0, MulBackward0 nodes); eps
    by default the dtype's machine epsilon."""
    x = F._need_tensor(input, "rms_norm")
    affine = () if weight is None else (F._need_tensor(weight, "rms_norm", 3, "weight"),)
    if eps is not None:
        eps = _float_arg("rms_norm", "eps", 4, eps)
    shape = _normalized_shape("rms_norm", x, normalized_shape, affine, ("weight",), "*")
    dt = x.data.dtype
    if dt.kind != "f":
        raise GradvizError(f"\"rms_norm\" not implemented for '{F.type_word(dt)}'",
                           kind="NotImplementedError", hint="rms_norm takes a float tensor: x.float()")
    fn = F.FUNCTIONS
    dims = tuple(range(x.data.ndim - len(shape), x.data.ndim))
    mean = fn["mean"](rt, fn["pow"](rt, x, 2), dims, keepdim=True)
    # (PyTorch adds eps as a C++ number: AddBackward1)
    from .higher_order import _scaled       # (it imports functions.py, which imports this)
    shift = _scaled(rt, "add", mean, float(np.finfo(dt).eps if eps is None else eps))
    out = fn["mul"](rt, x, fn["rsqrt"](rt, shift))
    if not affine:
        return out
    out = fn["mul"](rt, out, affine[0])
    if affine[0].data.dtype != dt:
        site = "Mismatch dtype between input and weight"
        F.warn_once(rt, x, f"{site}: input dtype = {F.cpp_type_word(dt)}, weight dtype = "
                           f"{F.cpp_type_word(affine[0].data.dtype)}, Cannot dispatch to fused "
                           "implementation.", site)
    return out if out.data.dtype == dt else F.f_to(rt, out, dt)      # (type_as(input))


def _channels_check(name: str, t, channels: int) -> None:
    if t is not None and t.data.size != channels:
        raise GradvizError(f"{name} should contain {channels} elements not {t.data.size}",
                           kind=RUNTIME, hint=f"one number per channel (dim 1 of the input: "
                                              f"{channels})")


def f_batch_norm(rt, input, running_mean, running_var, weight=None, bias=None, training=False,
                 momentum=0.1, eps=1e-5):
    """F.batch_norm: each channel (dim 1) normalized over the batch (and the
    length): with the batch's mean and biased variance in training, which
    also update running_mean and running_var in place (the unbiased
    variance, by momentum; not recorded), or with the running statistics
    otherwise; then * weight + bias. One NativeBatchNormBackward0 node."""
    input = F._need_tensor(input, "batch_norm")
    stats = [None if t is None else F._need_tensor(t, "batch_norm", pos, name)
             for pos, name, t in ((2, "running_mean", running_mean),
                                  (3, "running_var", running_var))]
    affine, which = _affine_args("batch_norm", weight, bias, 4)
    x = input.data
    if x.ndim < 2:
        raise GradvizError(f"batch_norm of a {x.ndim}-d input is not supported", kind=VALUE,
                           hint="batch_norm normalizes dim 1 of an (N, C) or (N, C, L) input")
    channels = x.shape[1]
    if training:
        # (PyTorch's _verify_batch_size: the values per channel, counted
        # without the channels, so an empty input passes)
        if x.shape[0] * math.prod(x.shape[2:]) == 1:
            raise GradvizError(f"Expected more than 1 value per channel when training, got "
                               f"input size torch.Size({list(x.shape)})", kind=VALUE,
                               hint="training mode normalizes by the batch's statistics: give "
                                    "a batch of more than one sample, or call .eval() first")
    eps = _batch_norm_eps(eps, training)
    if F.is_tensor(momentum) and momentum.data.size == 1:
        momentum = momentum.data.item()
    if not isinstance(momentum, (int, float)):
        raise GradvizError(f"batch_norm(): argument 'momentum' (position 7) must be float, not "
                           f"{F.arg_type_name(momentum)}", kind=TYPE,
                           hint="momentum is a number: how much of each batch the running "
                                "statistics take in (nn.BatchNorm's momentum=None: a "
                                "cumulative average)")
    if x.size == 0:
        # NOTE: PyTorch's batch norm of an empty input is a clone (times
        # weight[0], plus bias[0]), not an empty NativeBatchNormBackward0
        out = F.METHODS["clone"](rt, input)
        for name, t in zip(which, affine):
            if t.data.ndim == 0 or t.data.shape[0] == 0:
                raise GradvizError(f"select(): index 0 out of range for tensor of size "
                                   f"{list(t.data.shape)} at dimension 0", kind=INDEX,
                                   hint=f"an empty input is scaled by {_affine_name(name)}[0]: give "
                                        "one value per channel")
            out = F.FUNCTIONS["mul" if name == "w" else "add"](rt, out, rt.index_tensor(t, [0]))
        return out
    for name, t in zip(("running_mean", "running_var"), stats):
        _channels_check(name, t, channels)
    for name, t in zip(("weight" if "w" in which else "bias", "bias"), affine):
        _channels_check(name, t, channels)
    if not training and stats[0] is None:
        raise GradvizError("running_mean must be defined in evaluation mode", kind=RUNTIME,
                           hint="pass the running statistics, or training=True")
    if x.dtype.kind != "f":
        raise GradvizError(f"\"batch_norm\" not implemented for '{F.type_word(x.dtype)}'",
                           kind="NotImplementedError",
                           hint="batch_norm takes a float tensor: x.float()")
    _batch_norm_dtypes(x.dtype, [t.data.dtype for t in affine + tuple(stats) if t is not None])
    params = {"eps": float(eps), "training": bool(training), "affine": which}
    if not training:
        return rt.apply(OPS["batch_norm"], (input,) + affine + tuple(stats), params)
    out = rt.apply(OPS["batch_norm"], (input,) + affine, params)
    if stats[0] is not None or stats[1] is not None:
        _update_running(x, stats, momentum)
    return out


def _batch_norm_dtypes(dtype, given: list) -> None:
    """PyTorch's CPU batch norm: parameters (weight, bias, running_mean,
    running_var, the given ones) whose first is not of the input's dtype make
    a "mixed" call, which takes only float32 parameters and a half-precision
    input; else each must be of the input's dtype."""
    if given and given[0] != dtype:
        if any(d != np.float32 for d in given):
            raise GradvizError("mixed dtype (CPU): expect parameter to have scalar type of Float",
                               kind=RUNTIME, hint="make the weight, bias and running "
                                                  "statistics float32, or all the input's dtype")
        raise GradvizError("mixed dtype (CPU): all inputs must share same datatype.",
                           kind=RUNTIME, hint="make the parameters the input's dtype: "
                                              "bn.double() for a float64 input, or x.float()")
    for d in given:
        if d != dtype:
            raise GradvizError(f"expected scalar type {F.type_word(dtype)} but found "
                               f"{F.type_word(d)}", kind=RUNTIME,
                               hint="make the parameters the input's dtype")


def _affine_name(which: str) -> str:
    return "weight" if which == "w" else "bias"


def _batch_norm_eps(eps, training) -> float:
    """F.batch_norm's own checks of eps, in Python: its comparison with 0.0
    (Python's TypeError for what is no number), then its sign."""
    v = eps
    if F.is_tensor(eps):
        if eps.data.size != 1:
            raise GradvizError(f"Boolean value of Tensor with "
                               f"{'no values' if eps.data.size == 0 else 'more than one value'}"
                               f" is ambiguous", kind=RUNTIME, hint="eps is one number")
        v = eps.data.item()
    if not isinstance(v, (int, float)):
        raise GradvizError(f"'{'<=' if training else '<'}' not supported between instances of "
                           f"'{F.arg_type_name(eps)}' and 'float'", kind=TYPE,
                           hint="eps is a small positive number, added to the variance")
    if training and v <= 0.0:
        raise GradvizError(f"batch_norm eps must be positive during training, but got {v}",
                           kind=VALUE, hint="eps is added to the variance: e.g. 1e-5")
    if v < 0.0:
        raise GradvizError(f"batch_norm eps must be non-negative, but got {v}", kind=VALUE,
                           hint="eps is added to the variance: e.g. 1e-5")
    return float(v)


def _update_running(x, stats, momentum) -> None:
    """running = momentum * batch + (1 - momentum) * running, in place (the
    unbiased variance), each a fused multiply-add in float32 as PyTorch's."""
    from .ops.norm import _fma, batch_stats
    mean, var_sum = batch_stats(x)
    n = x.size // x.shape[1]
    for t, batch in zip(stats, (mean, var_sum / var_sum.dtype.type(n - 1))):
        if t is None:
            continue
        dt = t.data.dtype.type
        keep = (dt(1 - momentum) * t.data).astype(t.data.dtype)
        t.data[...] = _fma(dt(momentum), batch.astype(t.data.dtype), keep)


# ---- one_hot -------------------------------------------------------------------

def padding_idx_type(padding_idx) -> None:
    """PyTorch's Python compares padding_idx with 0 first: Python's TypeError
    for what is no number."""
    if padding_idx is not None and not isinstance(padding_idx, (int, float)):
        raise GradvizError(f"'>' not supported between instances of "
                           f"'{F.arg_type_name(padding_idx)}' and 'int'", kind=TYPE,
                           hint="padding_idx is the index of a row: a whole number")


def f_one_hot(rt, input, num_classes=-1):
    """F.one_hot(indices, num_classes=-1): int64 rows of zeros with a one at
    each index (num_classes -1: the largest index + 1); no gradient. (Its
    indices are `input` to PyTorch: F.one_hot(input=t), and its errors.)"""
    x = F._need_tensor(input, "one_hot")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int):
        raise GradvizError(f"one_hot(): argument 'num_classes' (position 2) must be int, not "
                           f"{F.arg_type_name(num_classes)}", kind=TYPE,
                           hint="the number of classes is a whole number")
    idx = x.data
    if idx.dtype != np.int64:
        raise GradvizError("one_hot is only applicable to index tensor of type LongTensor.",
                           kind=RUNTIME, hint="the indices are an int64 tensor: x.long()")
    if num_classes == -1 and idx.size == 0:
        raise GradvizError("Can not infer total number of classes from empty tensor.",
                           kind=RUNTIME, hint="give num_classes=")
    if idx.size and idx.min() < 0:
        raise GradvizError("Class values must be non-negative.", kind=RUNTIME,
                           hint="the indices count from 0")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and idx.max() >= n or n < 0:
        raise GradvizError("Class values must be smaller than num_classes.", kind=RUNTIME,
                           hint=f"indices go from 0 to num_classes - 1 ({n - 1})")
    rt.tape.check_size(idx.size * n)
    out = (idx[..., None] == np.arange(n, dtype=np.int64)).astype(np.int64)
    return F._leaf(rt, out, False, "one_hot")


# torch.nn.functional.NAME -> its function (functions.NN_FUNCTIONAL takes them in)
FUNCTIONS = {"nll_loss": f_nll_loss, "smooth_l1_loss": f_smooth_l1_loss,
             "huber_loss": f_huber_loss, "kl_div": f_kl_div, "normalize": f_normalize,
             "cosine_similarity": f_cosine_similarity,
             "pairwise_distance": f_pairwise_distance, "embedding": f_embedding,
             "layer_norm": f_layer_norm, "batch_norm": f_batch_norm, "one_hot": f_one_hot,
             "rms_norm": f_rms_norm}
