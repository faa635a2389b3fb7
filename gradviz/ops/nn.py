"""Neural-network ops that PyTorch records as one node each."""
from __future__ import annotations

import numpy as np

from . import ce_options, softmax_cpu
from .elementwise import _sigmoid
from .registry import FLOAT, OPS, defop
from .summation import torch_sum


# (Both results are C-contiguous, as PyTorch's kernels make them whatever the
# input's layout: numpy would keep a transposed input's, and view() of the
# result would then fail where PyTorch's succeeds.)
def _softmax(x, d):
    return _contiguous(softmax_cpu.softmax(x, d))


def _log_softmax(x, d):
    return _contiguous(softmax_cpu.log_softmax(x, d))


def _contiguous(a):
    # (not np.ascontiguousarray, which makes a 0-d array 1-d)
    return a if a.flags.c_contiguous else a.copy(order="C")


defop("softmax", "SoftmaxBackward0", lambda xs, p: _softmax(xs[0], p["dim"]),
      vjp=(lambda g, ans, xs, p: softmax_cpu.softmax_backward(g, ans, p["dim"]),),
      jvp=(lambda t, ans, xs, p: ans * (t - np.sum(t * ans, axis=p["dim"], keepdims=True)),),
      saved=("r",),
      formula=("d softmax(x)/dx = s * (g - sum(g*s))",), symbol="softmax", dtype_rule=FLOAT)

def _log_softmax_jvp(t, ans, xs, p):
    """PyTorch's: t - logsumexp_jvp(x, t), sum(e * t) / sum(e) with
    e = exp(x - max(x)) (so that a tangent of ones gives exactly 0, as
    cross_entropy's does in PyTorch; sum(softmax * t) is off by rounding)."""
    x, dim = xs[0], p["dim"]
    e = np.exp(x - np.max(x, axis=dim, keepdims=True)) if x.size else np.exp(x)
    return t - np.sum(e * t, axis=dim, keepdims=True) / np.sum(e, axis=dim, keepdims=True)


defop("log_softmax", "LogSoftmaxBackward0", lambda xs, p: _log_softmax(xs[0], p["dim"]),
      vjp=(lambda g, ans, xs, p: softmax_cpu.log_softmax_backward(g, ans, p["dim"]),),
      jvp=(_log_softmax_jvp,),
      saved=("r",),
      formula=("d log_softmax(x)/dx = g - softmax(x) * sum(g)",), symbol="log_softmax",
      dtype_rule=FLOAT)

# softmax's and log_softmax's backward as ops of their own, as PyTorch records
# them under create_graph=True (_softmax_backward_data: inputs (g, y), y the
# forward's output): SoftmaxBackwardDataBackward0, LogSoftmaxBackwardDataBackward0

def _dim_sum(v, p):
    return np.sum(v, axis=p["dim"], keepdims=True)


def _softmax_back(g, y, p):
    return softmax_cpu.softmax_backward(g, y, p["dim"])


def _log_softmax_back(g, y, p):
    return softmax_cpu.log_softmax_backward(g, y, p["dim"])


defop("softmax_backward_data", "SoftmaxBackwardDataBackward0",
      lambda xs, p: _softmax_back(xs[0], xs[1], p),
      vjp=(lambda gg, ans, xs, p: _softmax_back(gg, xs[1], p),
           lambda gg, ans, xs, p: (gg * (xs[0] - _dim_sum(xs[0] * xs[1], p))
                                   - xs[0] * _dim_sum(gg * xs[1], p))),
      jvp=(lambda t, ans, xs, p: _softmax_back(t, xs[1], p),
           lambda t, ans, xs, p: (t * (xs[0] - _dim_sum(xs[0] * xs[1], p))
                                  - xs[1] * _dim_sum(xs[0] * t, p))),
      saved=("1", "01"), formula=("d s(g - sum(gs))/dg = s(1 - s)",
                                  "d s(g - sum(gs))/ds = g - sum(gs) - g s"),
      symbol="softmax_backward_data", dtype_rule=FLOAT)

defop("log_softmax_backward_data", "LogSoftmaxBackwardDataBackward0",
      lambda xs, p: _log_softmax_back(xs[0], xs[1], p),
      vjp=(lambda gg, ans, xs, p: gg - _dim_sum(gg * np.exp(xs[1]), p),
           lambda gg, ans, xs, p: -gg * np.exp(xs[1]) * _dim_sum(xs[0], p)),
      jvp=(lambda t, ans, xs, p: t - np.exp(xs[1]) * _dim_sum(t, p),
           lambda t, ans, xs, p: -np.exp(xs[1]) * t * _dim_sum(xs[0], p)),
      saved=("1", "01"), formula=("d (g - e^y sum(g))/dg = 1 - e^y",
                                  "d (g - e^y sum(g))/dy = -e^y sum(g)"),
      symbol="log_softmax_backward_data", dtype_rule=FLOAT)


# reduction: p["reduction"], "mean" when absent (the default), "sum" or "none"

def _loss_total(loss, reduction: str):
    """apply_loss_reduction's: the loss's sum in PyTorch's order (numpy's
    pairwise sum differs in the last bit, which a training loop's
    loss.item() shows, and its steps carry on), divided by the count for
    a mean."""
    total = torch_sum(loss, None)
    total = np.sum(loss) if total is None else total.reshape(())
    if reduction == "mean":
        total = total / loss.dtype.type(loss.size) if loss.size else loss.dtype.type(np.nan)
    return np.asarray(total, dtype=loss.dtype)


def _mse_fwd(xs, p):
    d = xs[0] - xs[1]
    r = p.get("reduction", "mean")
    loss = (d * d).astype(np.result_type(xs[0], xs[1]), copy=False)
    return loss if r == "none" else _loss_total(loss, r)


def _mse_da(g, ans, xs, p):
    d = xs[0] - xs[1]
    return g * ((2.0 / d.size) if p.get("reduction", "mean") == "mean" else 2.0) * d


def _mse_db(g, ans, xs, p):
    # NOTE: PyTorch computes it as 2(b-a)/n * g, not -(2(a-b)/n * g): they
    # differ in the sign of a zero gradient, which print() shows (-0.)
    d = xs[1] - xs[0]
    return g * ((2.0 / d.size) if p.get("reduction", "mean") == "mean" else 2.0) * d


def _mse_jvp(sign):
    def jvp(t, ans, xs, p):
        d = _mse_da(np.ones_like(ans), ans, xs, p) * t
        if p.get("reduction", "mean") == "none":
            return sign * d
        return sign * np.sum(d)
    return jvp


defop("mse_loss", "MseLossBackward0", _mse_fwd,
      vjp=(_mse_da, _mse_db),
      jvp=(_mse_jvp(1), _mse_jvp(-1)),
      saved=("01", "01"),
      formula=("d mse(a,b)/da = 2(a-b)/n", "d mse(a,b)/db = -2(a-b)/n"), symbol="mse_loss",
      dtype_rule=FLOAT)


def _ce_parts(xs):
    """log-probabilities over classes (axis 1, or 0 for one sample), and a
    one-hot (or probability) target of the same shape."""
    logits, target = xs
    axis = 0 if logits.ndim == 1 else 1
    logp = _log_softmax(logits, axis)
    if target.dtype == np.int64:
        onehot = np.zeros(logits.shape, logits.dtype)
        if logits.ndim == 1:
            onehot[target] = 1
        else:
            idx = np.expand_dims(target, 1)
            np.put_along_axis(onehot, idx, 1, axis=1)
        return logp, onehot, axis
    return logp, target.astype(logits.dtype), axis


def _ce_count(logits):
    return 1 if logits.ndim == 1 else int(np.prod(logits.shape) // logits.shape[1])


def _ce_options(xs, p) -> bool:
    # weight=, ignore_index= or label_smoothing= given: ce_options.py's rules
    return len(xs) > 2 or len(p) > ("reduction" in p)


def _ce_fwd(xs, p):
    if _ce_options(xs, p):
        return ce_options.forward(xs, p)
    logp, onehot, axis = _ce_parts(xs)
    r = p.get("reduction", "mean")
    if r == "none":           # each sample's loss: -logp[target] (or -sum(p * logp))
        if xs[1].dtype == np.int64:
            picked = np.take_along_axis(logp, np.expand_dims(xs[1], axis), axis)
            return (-np.squeeze(picked, axis)).astype(xs[0].dtype)
        return (-ce_options.sum_in_order(onehot * logp, axis)).astype(xs[0].dtype)
    if xs[1].dtype == np.int64:
        # nll_loss of the log-probabilities, which adds them up in its own order
        # (registered in losses.py, which imports this module: looked up here)
        return OPS["nll_loss"].forward([logp, xs[1]], p)
    # -(logp * target).sum() / N, the sum in torch.sum's order
    prod = onehot * logp
    total = torch_sum(prod, None)
    total = -(np.sum(prod) if total is None else total.reshape(()))
    count = total.dtype.type(_ce_count(xs[0]))
    return np.asarray(total / count if r == "mean" else total, dtype=xs[0].dtype)


def _ce_scale(g, xs, p, axis):
    """g spread over each sample's classes: / N for a mean, each sample's
    own for reduction='none'."""
    r = p.get("reduction", "mean")
    if r == "none":
        return np.expand_dims(g, axis) if np.ndim(g) else g
    return g / _ce_count(xs[0]) if r == "mean" else g


def _ce_vjp(g, ans, xs, p):
    """(softmax(z) * sum(target) - target) * g / N, in PyTorch's order, which
    decides the sign of a zero gradient: nll_loss's backward puts -g / N at
    each class index (+0 elsewhere), or mul's -(g / N) * p for class
    probabilities; then log_softmax's backward, d - softmax(z) * sum(d)."""
    if _ce_options(xs, p):
        return ce_options.vjp_logits(g, ans, xs, p)
    logp, onehot, axis = _ce_parts(xs)
    s = -_ce_scale(g, xs, p, axis)
    d = np.where(onehot != 0, s, 0) if xs[1].dtype == np.int64 else s * onehot
    if d.dtype == np.float32:      # PyTorch's kernel, which sums as it does
        return softmax_cpu.log_softmax_backward(d, logp, axis)
    # (summed from -0., the identity of IEEE addition: a sum of -0.s is -0.)
    total = np.sum(d, axis=axis, keepdims=True, initial=-0.0)
    return (d - np.exp(logp) * total).astype(xs[0].dtype)


def _ce_target_vjp(g, xs, p):
    """Class-probability targets: d CE / d target = -log_softmax(z) / N, in
    PyTorch's order, -(g / N) * logp (integer class targets can never
    require grad)."""
    return ce_options.vjp_target(g, None, xs, p)


def _ce_jvp(vjp):
    def jvp(t, ans, xs, p):
        d = vjp(np.ones_like(ans), ans, xs, p) * t
        if p.get("reduction", "mean") == "none" and xs[0].ndim > 1:
            return np.sum(d, axis=1).astype(ans.dtype)
        return np.asarray(np.sum(d), dtype=ans.dtype)
    return jvp


def nll_grad_fn(x_ndim: int, reduction: str) -> str:
    """PyTorch's last node of nll_loss: NllLossBackward0; of an input of
    more dims NllLoss2DBackward0 (on a 4-d view of it unless it is 4-d),
    under a ViewBackward0 back to the target's shape for reduction='none'."""
    if x_ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if x_ndim != 4 and reduction == "none" else "NllLoss2DBackward0"


def nll_node_grad_fn(t) -> str:
    """The grad_fn of an nll_loss node (ops/losses.py)."""
    return nll_grad_fn(t.args[0].data.ndim, t.params.get("reduction", "mean"))


def _ce_grad_fn(t) -> str:
    p = t.params
    if t.args[1].data.dtype == np.int64:
        return "AddBackward0" if p.get("label_smoothing") else \
            nll_grad_fn(t.args[0].data.ndim, p.get("reduction", "mean"))
    return "DivBackward1" if p.get("reduction", "mean") == "mean" else "NegBackward0"


def _ce_logits_jvp(t, ans, xs, p):
    """The logits' tangent as PyTorch pushes it: log_softmax's JVP, then
    nll_loss of that (minus the picked entries, summed, / N for 'mean'),
    so a tangent of ones gives exactly 0; class probabilities and the
    options: through the VJP."""
    if _ce_options(xs, p) or xs[1].dtype != np.int64:
        return _ce_jvp(_ce_vjp)(t, ans, xs, p)
    axis = 0 if xs[0].ndim == 1 else 1
    lt = _log_softmax_jvp(t, None, xs, {"dim": axis})
    picked = -np.take_along_axis(lt, np.expand_dims(xs[1], axis), axis).squeeze(axis)
    r = p.get("reduction", "mean")
    if r == "none":
        return picked.astype(ans.dtype)
    total = np.sum(picked)
    return np.asarray(total / picked.size if r == "mean" else total, dtype=ans.dtype)


def _ce_weight_jvp(t, ans, xs, p):
    # (class probabilities) the loss is linear in the weight: itself of the tangent
    return ce_options.forward([xs[0], xs[1], t], p)


# cross_entropy = log_softmax then nll_loss; PyTorch prints the last node,
# NllLossBackward0, and so do we (one node here); inputs (logits, target)
# or (logits, target, weight)
defop("cross_entropy", _ce_grad_fn, _ce_fwd,
      vjp=(_ce_vjp, lambda g, ans, xs, p: _ce_target_vjp(g, xs, p), ce_options.vjp_weight),
      jvp=(_ce_logits_jvp, _ce_jvp(lambda g, ans, xs, p: _ce_target_vjp(g, xs, p)),
           _ce_weight_jvp),
      formula=("d CE(z,y)/dz = (softmax(z) - onehot(y)) / N", "d CE(z,p)/dp = -log_softmax(z) / N"), symbol="cross_entropy",
      dtype_rule=FLOAT, reads_unsaved=True)   # PyTorch saves log_softmax's result, not z


# ---- binary cross-entropy: with logits (sigmoid inside), and of probabilities ----
# reduction: "mean" (the default), "sum" or "none", as p["reduction"]

def _log_sigmoid(x):
    """PyTorch's CPU log_sigmoid: min(x, 0) - log1p(exp(-|x|)), finite for any x."""
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _reduce(loss, p):
    r = p["reduction"]
    if r == "none":
        return loss
    return _loss_total(loss, r)


def _per_element(d, p, n):
    """A loss's gradient, per element: divided by the count for a mean (after
    the product with g, in PyTorch's order, which fixes the last bit)."""
    return d / n if p["reduction"] == "mean" else d


def _loss_jvp(vjp):
    """The JVP of a loss from its VJP: the per-element derivative (the VJP of
    a gradient of ones) times the tangent, summed unless reduction='none'."""
    def jvp(t, ans, xs, p):
        d = vjp(np.ones_like(ans), ans, xs, p) * t
        return d if p["reduction"] == "none" else np.asarray(np.sum(d), dtype=ans.dtype)
    return jvp


def _bce_logits_inputs(xs, p):
    """The input, the target, pos_weight and the weight (None where not
    given; p["weights"] says which follow: "p", "w" or "pw")."""
    given = dict(zip(p.get("weights", ""), xs[2:]))
    return xs[0], xs[1], given.get("p"), given.get("w")


def _bce_logits_fwd(xs, p):
    x, t, pw, w = _bce_logits_inputs(xs, p)
    if pw is None:
        loss = (1 - t) * x - _log_sigmoid(x)
    else:
        loss = (1 - t) * x - ((pw - 1) * t + 1) * _log_sigmoid(x)
    return _reduce(loss if w is None else loss * w, p)


def _bce_logits_dx(g, ans, xs, p):
    x, t, pw, w = _bce_logits_inputs(xs, p)
    if pw is None:
        d = (_sigmoid(x) - t) * g
    else:                          # PyTorch's order: (pw t + 1 - t) sigmoid(x) - pw t
        pt = pw * t
        d = ((pt + 1 - t) * _sigmoid(x) - pt) * g
    return _per_element(d if w is None else d * w, p, x.size)


def _bce_logits_dt(g, ans, xs, p):
    x, t, pw, w = _bce_logits_inputs(xs, p)
    d = -(x * g) if pw is None else (_log_sigmoid(-x) - _log_sigmoid(x) * pw) * g
    return _per_element(d if w is None else d * w, p, t.size)


defop("binary_cross_entropy_with_logits", "BinaryCrossEntropyWithLogitsBackward0",
      _bce_logits_fwd, vjp=(_bce_logits_dx, _bce_logits_dt),
      jvp=(_loss_jvp(_bce_logits_dx), _loss_jvp(_bce_logits_dt)), saved=("01", "01"),
      formula=("d BCE(z,y)/dz = (sigmoid(z) - y) / n", "d BCE(z,y)/dy = -z / n"),
      symbol="binary_cross_entropy_with_logits", dtype_rule=FLOAT)

_BCE_EPSILON = 1e-12     # PyTorch's floor of p(1 - p) in the gradient


def _log_rounded(f, x):
    """f(x) (np.log, np.log1p) correctly rounded to x's dtype, as the C
    library's logf and log1pf that PyTorch's (scalar) kernel calls: computed
    in float64 for float32 (numpy's own float32 logs can be a bit off)."""
    if x.dtype == np.float32:
        return f(x.astype(np.float64)).astype(np.float32)
    return f(x)


def _bce_fwd(xs, p):
    x, t = xs[:2]
    # PyTorch's kernel: logs clamped at -100, so p = 0 or 1 gives a finite loss
    log1m = np.maximum(_log_rounded(np.log1p, -x), -100)
    loss = (t - 1) * log1m - t * np.maximum(_log_rounded(np.log, x), -100)
    return _reduce(_weighted(loss, xs), p)


# binary_cross_entropy's weight= (xs[2], already of the input's shape): each
# term times its weight, before the reduction; no gradient of its own
def _weighted(d, xs):
    return d * xs[2] if len(xs) > 2 else d


def _bce_dx(g, ans, xs, p):
    x, t = xs[:2]
    d = g * (x - t) / np.maximum((1 - x) * x, x.dtype.type(_BCE_EPSILON))
    return _per_element(_weighted(d, xs), p, x.size)


def _bce_dt(g, ans, xs, p):
    x, t = xs[:2]
    return _per_element(_weighted(-np.log(x / (1 - x)) * g, xs), p, t.size)   # -logit(p) * g


defop("binary_cross_entropy", "BinaryCrossEntropyBackward0", _bce_fwd,
      vjp=(_bce_dx, _bce_dt, None), jvp=(_loss_jvp(_bce_dx), _loss_jvp(_bce_dt), None),
      saved=("012", "012", "012"),
      formula=("d BCE(p,y)/dp = (p - y) / (p(1 - p)) / n", "d BCE(p,y)/dy = -logit(p) / n"),
      symbol="binary_cross_entropy", dtype_rule=FLOAT)
