"""torch.optim.AdamW, NAdam, RAdam, Adamax, Adadelta, Rprop and ASGD, as
PyTorch's single-tensor implementations run them on CPU (optim.py has SGD,
Adam, Adagrad and RMSprop and the machinery they share).

Each step follows PyTorch's _single_tensor_<name> line by line: an
operation of a tensor with a Python number computes in the tensor's dtype
(the number rounded to it first), lerp_ and addcmul_ round once (fused
multiply-adds), and the scalar arithmetic (bias corrections, NAdam's mu,
RAdam's rectification) is Python's, in float64. The state tensors and the
parameter are written in place (each write an in-place event in the
record); the temporaries (denominators, deltas) are not program values and
stay out of the record.
"""
from __future__ import annotations

import numpy as np

from .errors import VALUE, GradvizError
from .ops.summation import torch_sum
from .ops import OPS
from .optim import (TENSOR_LR, Adam, Optimizer, _add, _addcdiv, _addcmul, _check_numbers, _fma,
                    _grad, _lerp, _made, _make, _params, _read_grad, _update, f_adam)
from .tensor import Tensor


class AdamW(Adam):          # (a subclass of Adam in PyTorch too: decoupled weight decay)
    __slots__ = ()


class NAdam(Optimizer):
    __slots__ = ()


class RAdam(Optimizer):
    __slots__ = ()


class Adamax(Optimizer):
    __slots__ = ()


class Adadelta(Optimizer):
    __slots__ = ()


class Rprop(Optimizer):
    __slots__ = ()


class ASGD(Optimizer):
    __slots__ = ()


def _check_betas(rt, betas, name: str) -> None:
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise GradvizError("betas must be a pair of numbers", kind="TypeError",
                           hint=f"torch.optim.{name}([w], betas=(0.9, 0.999))")
    for i, beta in enumerate(betas):
        _check_numbers(rt, (beta, f"beta parameter at index {i}"))
        if not beta < 1.0:
            raise GradvizError(f"Invalid beta parameter at index {i}: {beta}", kind=VALUE,
                               hint="each beta is in [0, 1): betas=(0.9, 0.999)")


def f_adamw(rt, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
            amsgrad=False, *, maximize=False, foreach=None, capturable=False,
            differentiable=False, fused=None):
    params = _params(rt, params, "AdamW")
    opt = f_adam(rt, params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                 maximize=maximize, capturable=capturable, differentiable=differentiable,
                 fused=fused, decoupled_weight_decay=True)
    adamw = AdamW(opt.param_groups, opt.defaults)     # Adam's step, the same settings
    adamw.state = opt.state
    return adamw


def f_nadam(rt, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
            momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
            maximize=False, capturable=False, differentiable=False):
    params = _params(rt, params, "NAdam")
    _check_numbers(rt, (lr, "learning rate"), (eps, "epsilon value"))
    _check_betas(rt, betas, "NAdam")
    _check_numbers(rt, (weight_decay, "weight_decay value"), (momentum_decay, "momentum_decay value"))
    return _make(rt, NAdam, params, {
        "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
        "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
        "maximize": maximize, "foreach": foreach, "capturable": capturable,
        "differentiable": differentiable})


def f_radam(rt, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
            decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
            differentiable=False):
    params = _params(rt, params, "RAdam")
    _check_numbers(rt, (lr, "learning rate"), (eps, "epsilon value"))
    _check_betas(rt, betas, "RAdam")
    _check_numbers(rt, (weight_decay, "weight_decay value"))
    return _make(rt, RAdam, params, {
        "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
        "maximize": maximize, "foreach": foreach, "capturable": capturable,
        "decoupled_weight_decay": decoupled_weight_decay, "differentiable": differentiable})


def f_adamax(rt, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None,
             *, maximize=False, differentiable=False, capturable=False):
    params = _params(rt, params, "Adamax")
    _check_numbers(rt, (lr, "learning rate"), (eps, "epsilon value"))
    _check_betas(rt, betas, "Adamax")
    _check_numbers(rt, (weight_decay, "weight_decay value"))
    return _make(rt, Adamax, params, {
        "lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
        "maximize": maximize, "differentiable": differentiable, "capturable": capturable})


def f_adadelta(rt, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
               capturable=False, maximize=False, differentiable=False):
    params = _params(rt, params, "Adadelta")
    _check_numbers(rt, (lr, "learning rate"), (rho, "rho value"))
    if rho > 1.0:
        raise GradvizError(f"Invalid rho value: {rho}", kind=VALUE,
                           hint="rho, the decay of the running averages, is in [0, 1]")
    _check_numbers(rt, (eps, "epsilon value"), (weight_decay, "weight_decay value"))
    return _make(rt, Adadelta, params, {
        "lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
        "capturable": capturable, "foreach": foreach, "differentiable": differentiable})


def f_rprop(rt, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False,
            foreach=None, maximize=False, differentiable=False):
    params = _params(rt, params, "Rprop")
    _check_numbers(rt, (lr, "learning rate"))
    if not 0.0 < etas[0] < 1.0 < etas[1]:
        raise GradvizError(f"Invalid eta values: {etas[0]}, {etas[1]}", kind=VALUE,
                           hint="etas=(etaminus, etaplus) with 0 < etaminus < 1 < etaplus: "
                                "etas=(0.5, 1.2)")
    return _make(rt, Rprop, params, {
        "lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach,
        "maximize": maximize, "differentiable": differentiable, "capturable": capturable})


def f_asgd(rt, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
           maximize=False, differentiable=False, capturable=False):
    params = _params(rt, params, "ASGD")
    _check_numbers(rt, (lr, "learning rate"), (weight_decay, "weight_decay value"))
    return _make(rt, ASGD, params, {
        "lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
        "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
        "capturable": capturable})


def _write(rt, t: Tensor, label: str, value) -> None:
    """t.<label>(...) in place: value (LBFGS's, computed from flat copies
    the record does not hold) written into t."""
    value = np.asarray(value, dtype=t.data.dtype)
    rt.update_in_place(t, "+", None, rt.span, label, lambda: _made(rt, value, label.rstrip("_")))


def _write_op(rt, t: Tensor, label: str, result, inputs: tuple, **params) -> None:
    """t.<label>(...) in place, result its value (the kernel's roundings,
    computed here): drawn as op label's node of inputs (t itself among them
    where the op reads it), so that the picture has the edges from what the
    write reads; a parameter's write (it requires grad) titled as its new
    value (optim._update)."""
    result = np.asarray(result, dtype=t.data.dtype)
    made = (lambda: _made(rt, result, label.rstrip("_"), inputs, **params))
    if t.requires_grad:
        _update(rt, t, label, made)
    else:
        rt.update_in_place(t, "+", None, rt.span, label, made)


def _scale(rt, t: Tensor, factor) -> None:
    """t.mul_(factor): a number or a 0-d tensor, the program's own mul."""
    rt.update_in_place(t, "*", factor, rt.span, "mul_")


def _state(rt, opt: Optimizer, p: Tensor, **made) -> dict:
    """p's state, made at its first step: step a 0-d tensor of the default
    float dtype (PyTorch's _get_scalar_dtype), then the named tensors (each
    a value made from p's)."""
    state = opt.state.get(p)
    if state is None:
        state = opt.state[p] = {"step": _made(rt, np.zeros((), rt.tape.default_dtype), "zeros")}
        for name, (value, label) in made.items():
            state[name] = _made(rt, value, label)
    return state


def _zeros(p: Tensor):
    return np.zeros_like(p.data), "zeros_like"


def _count(rt, state: dict) -> float:
    """step_t += 1; the step count as a Python number (_get_value)."""
    rt.update_in_place(state["step"], "+", 1, rt.span, "add_")
    return float(state["step"].data)


def _num(x: np.ndarray, value: float):
    """A Python number as an op of x with it sees it: in x's dtype."""
    return x.dtype.type(value)


def _adam_family_grad(rt, group: dict, p: Tensor) -> Tensor:
    """The gradient NAdam and RAdam use: negated to maximize; weight decay
    either decoupled (p.mul_(1 - lr * weight_decay)) or added to it."""
    if group["weight_decay"] == 0 or not group["decoupled_weight_decay"]:
        return _grad(rt, group, p)
    grad = _read_grad(rt, p)
    if group["maximize"]:
        grad = rt.apply(OPS["neg"], (grad,))
    factor = float(1 - group["lr"] * group["weight_decay"])
    _update(rt, p, "mul_", lambda: rt.binary("*", p, factor, rt.span))
    return grad


def _fused_add(a: np.ndarray, b: np.ndarray, alpha: float) -> np.ndarray:
    """a.add(b, alpha=alpha): one rounding (a fused multiply-add), alpha in
    a's dtype."""
    return _fma(_num(a, alpha), b, a, a.dtype)


def _moments(rt, state: dict, grad: Tensor, beta1: float, beta2: float) -> None:
    """exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2)."""
    avg, avg_sq = state["exp_avg"], state["exp_avg_sq"]
    _write_op(rt, avg, "lerp_", _lerp(avg.data, grad.data, 1 - beta1),
              (avg, grad, float(1 - beta1)))
    _scale(rt, avg_sq, beta2)
    _addcmul_into(rt, avg_sq, grad, grad, 1 - beta2)


def _addcmul_into(rt, t: Tensor, t1: Tensor, t2: Tensor, value: float) -> None:
    _write_op(rt, t, "addcmul_", _addcmul(t.data, t1.data, t2.data, value), (t, t1, t2),
              value=value)


def _addcdiv_into(rt, t: Tensor, t1: Tensor, t2: Tensor, value: float) -> None:
    _write_op(rt, t, "addcdiv_", _addcdiv(t.data, t1.data, t2.data, value), (t, t1, t2),
              value=value)


def _plus(rt, t: Tensor, number) -> Tensor:
    return rt.binary("+", t, number, rt.span)


def _sqrt(rt, t: Tensor) -> Tensor:
    return rt.apply(OPS["sqrt"], (t,))


def _nadam_step(rt, opt: NAdam, group: dict, p: Tensor) -> None:
    """_single_tensor_nadam (capturable and differentiable off)."""
    state = _state(rt, opt, p, mu_product=(np.ones((), rt.tape.default_dtype), "ones"),
                   exp_avg=_zeros(p), exp_avg_sq=_zeros(p))
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    step = _count(rt, state)
    bias_correction2 = 1 - beta2 ** step
    grad = _adam_family_grad(rt, group, p)
    mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * group["momentum_decay"])))
    mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1) * group["momentum_decay"])))
    _scale(rt, state["mu_product"], mu)
    _moments(rt, state, grad, beta1, beta2)
    denom = rt.binary("/", state["exp_avg_sq"], bias_correction2, rt.span)
    denom = _plus(rt, _sqrt(rt, denom), eps)
    product = float(state["mu_product"].data)
    product_next = product * mu_next
    _addcdiv_into(rt, p, grad, denom, -lr * (1.0 - mu) / (1.0 - product))
    _addcdiv_into(rt, p, state["exp_avg"], denom, (-lr * mu_next) / (1.0 - product_next))


def _radam_step(rt, opt: RAdam, group: dict, p: Tensor) -> None:
    """_single_tensor_radam (capturable and differentiable off): the
    adaptive step once the variance's rectification term rho_t passes 5,
    plain momentum before."""
    state = _state(rt, opt, p, exp_avg=_zeros(p), exp_avg_sq=_zeros(p))
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    step = _count(rt, state)
    grad = _adam_family_grad(rt, group, p)
    _moments(rt, state, grad, beta1, beta2)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * step * (beta2 ** step) / bias_correction2
    # (bias_corrected_exp_avg * lr [* adaptive_lr * rect], left to right; a
    # tensor lr's numpy scalar as the number it is: the product rounds in the
    # parameter's dtype either way)
    if isinstance(lr, np.floating):
        lr = float(lr)
    update = rt.binary("*", rt.binary("/", state["exp_avg"], bias_correction1, rt.span), lr,
                       rt.span)
    if rho_t > 5.0:
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        adaptive = rt.binary("/", bias_correction2 ** 0.5,
                             _plus(rt, _sqrt(rt, state["exp_avg_sq"]), eps), rt.span)
        update = rt.binary("*", rt.binary("*", update, adaptive, rt.span), rect, rt.span)
    _update(rt, p, "add_", lambda: _add(rt, p, update, -1.0))


def _adamax_step(rt, opt: Adamax, group: dict, p: Tensor) -> None:
    """_single_tensor_adamax: the infinity norm's running maximum."""
    state = _state(rt, opt, p, exp_avg=_zeros(p), exp_inf=_zeros(p))
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    step = _count(rt, state)
    grad = _grad(rt, group, p)
    avg, inf = state["exp_avg"], state["exp_inf"]
    _write_op(rt, avg, "lerp_", _lerp(avg.data, grad.data, 1 - beta1),
              (avg, grad, float(1 - beta1)))
    _scale(rt, inf, beta2)
    # torch.maximum(exp_inf, grad.abs().add_(eps), out=exp_inf)
    bound = _plus(rt, rt.apply(OPS["abs"], (grad,)), eps)
    _write_op(rt, inf, "maximum", np.maximum(inf.data, bound.data), (inf, bound))
    # (the foreach step reads a tensor lr as a Python float, _get_value(lr):
    # the division in float64, where the single-tensor one is the tensor's)
    clr = (float(lr) if group.get("foreach") else lr) / (1 - beta1 ** step)
    _addcdiv_into(rt, p, avg, inf, -clr)


def _adadelta_step(rt, opt: Adadelta, group: dict, p: Tensor) -> None:
    """_single_tensor_adadelta: the step's size from the running averages of
    squared gradients and squared updates."""
    state = _state(rt, opt, p, square_avg=_zeros(p), acc_delta=_zeros(p))
    _count(rt, state)
    grad = _grad(rt, group, p)
    rho, eps = group["rho"], group["eps"]
    square_avg, acc_delta = state["square_avg"], state["acc_delta"]
    _scale(rt, square_avg, rho)
    _addcmul_into(rt, square_avg, grad, grad, 1 - rho)
    std = _sqrt(rt, _plus(rt, square_avg, eps))
    delta = _sqrt(rt, _plus(rt, acc_delta, eps))
    delta = rt.binary("*", rt.binary("/", delta, std, rt.span), grad, rt.span)
    _scale(rt, acc_delta, rho)
    _addcmul_into(rt, acc_delta, delta, delta, 1 - rho)
    _update(rt, p, "add_", lambda: _add(rt, p, delta, -group["lr"]))


def _rprop_step(rt, opt: Rprop, group: dict, p: Tensor) -> None:
    """_single_tensor_rprop: each entry's own step size, grown by etaplus
    while its gradient keeps its sign, shrunk by etaminus when it flips
    (and that entry then skips its update)."""
    x = p.data
    state = _state(rt, opt, p, prev=_zeros(p),
                   step_size=(np.full_like(x, group["lr"]), "full_like"))
    _count(rt, state)
    grad = _read_grad(rt, p)
    if group["maximize"]:
        grad = rt.apply(OPS["neg"], (grad,))
    etaminus, etaplus = (_num(x, e) for e in group["etas"])
    low, high = (_num(x, s) for s in group["step_sizes"])
    sign = rt.apply(OPS["sign"], (rt.binary("*", grad, state["prev"], rt.span),))
    # sign[sign.gt(0)] = etaplus; ...lt(0)... = etaminus; ...eq(0)... = 1
    factor = np.where(sign.data > 0, etaplus, np.where(sign.data < 0, etaminus, _num(x, 1)))
    _write_op(rt, sign, "masked_fill_", factor, (sign,))
    size = state["step_size"]
    rt.update_in_place(size, "*", sign, rt.span, "mul_")
    _write_op(rt, size, "clamp_", np.minimum(np.maximum(size.data, low), high), (size,),
              min=low, max=high)
    # grad = grad.clone(); grad[sign.eq(etaminus)] = 0
    grad = rt.apply(OPS["clone"], (grad,))
    _write_op(rt, grad, "masked_fill_", np.where(sign.data == etaminus, 0, grad.data),
              (grad, sign))
    _addcmul_into(rt, p, rt.apply(OPS["sign"], (grad,)), size, -1)
    _write_op(rt, state["prev"], "clone", grad.data, (grad,))


def _asgd_step(rt, opt: ASGD, group: dict, p: Tensor) -> None:
    """_single_tensor_asgd: an SGD step with a decaying eta, and ax, the
    average of the parameter's values once t0 steps are past."""
    lr, lambd = group["lr"], group["lambd"]
    state = _state(rt, opt, p, eta=(np.asarray(lr, rt.tape.default_dtype), "as_tensor"),
                   mu=(np.ones((), rt.tape.default_dtype), "ones"), ax=_zeros(p))
    step = _count(rt, state)
    grad = _grad(rt, group, p)
    if group.get("foreach"):
        _asgd_foreach(rt, group, p, state, grad)
        return
    eta = float(state["eta"].data)
    _update(rt, p, "mul_", lambda: rt.binary("*", p, 1 - lambd * eta, rt.span))
    _update(rt, p, "add_", lambda: _add(rt, p, grad, -eta))
    ax, mu = state["ax"], state["mu"]
    if float(mu.data) != 1:                 # ax.add_(param.sub(ax).mul_(mu))
        rt.update_in_place(ax, "+", rt.binary("*", rt.binary("-", p, ax, rt.span), mu, rt.span),
                           rt.span, "add_")
    else:
        _copy_into(rt, ax, p.data, p)
    _copy_into(rt, state["eta"], lr / ((1 + lambd * lr * step) ** group["alpha"]))
    _copy_into(rt, mu, 1 / max(1, step - group["t0"]))


def _asgd_foreach(rt, group: dict, p: Tensor, state: dict, grad: Tensor) -> None:
    """_multi_tensor_asgd's arithmetic, another than the single-tensor
    step's: p.addcmul_(grad + lambd * p, eta, value=-1), ax.addcmul_(p - ax,
    mu) at every step, and eta computed on the step count as a tensor
    (lr / ((1 + lambd * lr * step) ** alpha), in its dtype)."""
    lr, lambd = group.get(TENSOR_LR, group["lr"]), group["lambd"]
    eta, mu, ax = state["eta"], state["mu"], state["ax"]
    scaled = _add(rt, grad, p, lambd)
    _write_op(rt, p, "addcmul_", _addcmul(p.data, scaled.data, eta.data, -1), (p, scaled, eta),
              value=-1)
    _addcmul_into(rt, ax, rt.binary("-", p, ax, rt.span), mu, 1)
    decay = rt.binary("*", rt.binary("*", lambd, lr, rt.span), state["step"], rt.span)
    new_eta = rt.binary("/", lr, rt.binary("**", rt.binary("+", 1, decay, rt.span),
                                           group["alpha"], rt.span), rt.span)
    _copy_into(rt, eta, new_eta.data, new_eta)
    _copy_into(rt, mu, 1 / max(1, float(state["step"].data) - group["t0"]))


def _copy_into(rt, t: Tensor, value, source: Tensor | None = None) -> None:
    """t.copy_(source) (ASGD's ax.copy_(param)), or t.copy_(as_tensor(value))
    of a number the step computed from its count (eta and mu, which it reads
    back as numbers): drawn as a fill of t's value before (with source), so
    that the state's values are a chain of edges, as the other optimizers'
    state writes are."""
    result = np.asarray(value, dtype=t.data.dtype)
    inputs, params = ((t,), {"value": float(result)}) if source is None else ((t, source), {})
    rt.update_in_place(t, "+", None, rt.span, "copy_",
                       lambda: _made(rt, result, "fill", inputs, **params))


class LBFGS(Optimizer):
    __slots__ = ()


def f_lbfgs(rt, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
            tolerance_change=1e-9, history_size=100, line_search_fn=None):
    params = _params(rt, params, "LBFGS")
    _check_numbers(rt, (lr, "learning rate"))
    if line_search_fn is not None:      # (PyTorch's _strong_wolfe is not here)
        raise GradvizError("LBFGS with line_search_fn='strong_wolfe' is not supported here",
                           kind=VALUE, hint="leave line_search_fn out (None): the fixed step lr")
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    opt = _make(rt, LBFGS, params, {
        "lr": lr, "max_iter": max_iter, "max_eval": max_eval, "tolerance_grad": tolerance_grad,
        "tolerance_change": tolerance_change, "history_size": history_size,
        "line_search_fn": line_search_fn})
    if len(opt.param_groups) != 1:
        raise GradvizError("LBFGS doesn't support per-parameter options (parameter groups)",
                           kind=VALUE, hint="give LBFGS one list of tensors")
    return opt


def _flat_grad(params: list) -> np.ndarray:
    """The parameters' gradients as one vector (zeros for a missing one)."""
    return np.concatenate([np.zeros(p.data.size, p.data.dtype) if p.grad is None
                           else p.grad.data.reshape(-1) for p in params])


def _dot(a: np.ndarray, b: np.ndarray):
    """a.dot(b): a 0-d value in a's dtype (summed in float64, rounded once;
    PyTorch's is MKL's sdot, whose order of additions is not reproduced here,
    so LBFGS's directions can differ from PyTorch's in the last bits)."""
    return a.dtype.type(np.dot(a.astype(np.float64), b.astype(np.float64)))


def _add_flat(rt, params: list, step_size, update: np.ndarray) -> None:
    """p.add_(update's slice, alpha=step_size) for each parameter."""
    offset = 0
    for p in params:
        n = p.data.size
        _write(rt, p, "add_", _fused_add(p.data, update[offset:offset + n].reshape(p.data.shape),
                                         float(step_size)))
        offset += n


def lbfgs_step(rt, opt: LBFGS, closure) -> object:
    """LBFGS.step(closure), under no_grad as PyTorch's (the closure under
    enable_grad)."""
    if closure is None:
        raise GradvizError("LBFGS.step() missing 1 required positional argument: 'closure'",
                           kind="TypeError", hint="LBFGS evaluates the loss several times a "
                                                  "step: give step() a function that zeroes the "
                                                  "grads, computes the loss, calls backward() "
                                                  "and returns it")
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, False
    try:
        return _lbfgs(rt, opt, closure)
    finally:
        tape.grad_enabled = enabled


def _loss_value(rt, loss) -> float:
    """float(loss), the closure's loss (PyTorch's LBFGS gives no warning for
    one that requires grad)."""
    from .functions import PY_BUILTINS
    return float(loss.data) if loss.__class__ is Tensor else PY_BUILTINS["float"](rt, loss)


def _lbfgs(rt, opt: LBFGS, closure) -> object:
    """LBFGS.step(closure), line_search_fn None: up to max_iter updates along
    the quasi-Newton direction (two-loop recursion over the last
    history_size steps), the closure re-evaluating loss and gradients after
    each. Its scalars are 0-d tensors where PyTorch's are (dot products,
    ro, H_diag, the first step's t), here numpy numbers of the dtype."""
    from .optim import call_closure
    group = opt.param_groups[0]
    params = group["params"]
    lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
    tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
    state = opt.state.setdefault(params[0], {})
    state.setdefault("func_evals", 0)
    state.setdefault("n_iter", 0)
    orig_loss = call_closure(rt, closure)
    loss = _loss_value(rt, orig_loss)
    current_evals = 1
    state["func_evals"] += 1
    flat_grad = _flat_grad(params)
    if np.abs(flat_grad).max() <= tolerance_grad:
        return orig_loss
    d, t = state.get("d"), state.get("t")
    old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
    h_diag, prev_flat_grad, prev_loss = (state.get("H_diag"), state.get("prev_flat_grad"),
                                         state.get("prev_loss"))
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        state["n_iter"] += 1
        if state["n_iter"] == 1:
            d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
        else:
            y = flat_grad - prev_flat_grad
            s = d * _num(d, float(t))
            ys = _dot(y, s)
            if ys > 1e-10:
                if len(old_dirs) == group["history_size"]:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(ys.dtype.type(1.0) / ys)
                h_diag = ys / _dot(y, y)
            al = state.setdefault("al", [None] * group["history_size"])
            q = -flat_grad
            for i in range(len(old_dirs) - 1, -1, -1):
                al[i] = _dot(old_stps[i], q) * ro[i]
                q = _fused_add(q, old_dirs[i], -float(al[i]))
            d = r = q * _num(q, float(h_diag))
            for i in range(len(old_dirs)):
                be_i = _dot(old_dirs[i], r) * ro[i]
                r = _fused_add(r, old_stps[i], float(al[i] - be_i))
            d = r
        prev_flat_grad = flat_grad.copy()
        prev_loss = loss
        if state["n_iter"] == 1:
            total = torch_sum(np.abs(flat_grad), None)
            inverse = flat_grad.dtype.type(1.0) / (np.abs(flat_grad).sum() if total is None
                                                   else total.reshape(()))
            # min(1.0, 1.0 / |g|.sum()) * lr: a 0-d tensor's product when it is the smaller
            t = inverse * _num(inverse, lr) if inverse < 1.0 else 1.0 * lr
        else:
            t = lr
        gtd = _dot(flat_grad, d)
        if gtd > -tolerance_change:
            break
        ls_func_evals = 0
        _add_flat(rt, params, t, d)
        if n_iter != max_iter:
            loss = _loss_value(rt, call_closure(rt, closure))
            flat_grad = _flat_grad(params)
            opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            ls_func_evals = 1
        current_evals += ls_func_evals
        state["func_evals"] += ls_func_evals
        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if np.abs(d * _num(d, float(t))).max() <= tolerance_change:
            break
        if abs(loss - prev_loss) < tolerance_change:
            break
    state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
                 prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
    return orig_loss


# (AdamW steps as Adam does: its groups hold decoupled_weight_decay=True)
STEPS = {NAdam: _nadam_step, RAdam: _radam_step, Adamax: _adamax_step,
         Adadelta: _adadelta_step, Rprop: _rprop_step, ASGD: _asgd_step}
MAKERS = {AdamW: f_adamw, NAdam: f_nadam, RAdam: f_radam, Adamax: f_adamax,
          Adadelta: f_adadelta, Rprop: f_rprop, ASGD: f_asgd, LBFGS: f_lbfgs}
