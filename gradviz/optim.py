"""torch.optim.SGD, Adam, Adagrad and RMSprop, as PyTorch's single-tensor
implementations run them (its default on CPU: foreach kernels are for CUDA).

    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9)
    opt = torch.optim.Adam([w, b], lr=1e-3)
    opt.zero_grad(); loss.backward(); opt.step()

step() is the program's own `with torch.no_grad(): p -= lr * p.grad`, run
through the interpreter (update_in_place): the same in-place writes, version
counts and record events as a hand-written update, so the tables and the
picture show each step as one. The arithmetic is PyTorch's CPU kernels' in
float32, to the last bit: lerp_ and addcmul_ round once (fused
multiply-adds), addcdiv_ and the division by Adam's bias correction do not.
(torch.sqrt is MKL's, 1 ulp off the exact root for about 0.6% of numbers
on an AVX512 CPU and for about a fifth of float32 numbers (1.5% of float64
ones) on an AVX2 CPU, measured on uniform numbers; gradviz's is the exact
root, so a run can drift from PyTorch by an ulp, sooner on AVX2: RMSprop's
and Adam's denominators, with the steps' other arithmetic bit for bit.)
"""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .pytypes import OPTIMIZER_NAMES
from .rng import _fma64
from .tensor import Tensor


class Optimizer:
    """An optimizer a program holds: its parameter groups (PyTorch's dicts,
    the program's own when it gave dicts: {'params': [...], 'lr': ..., ...},
    read at each step, so `g['lr'] = 0.01` takes effect) and its state per
    parameter (SGD's momentum buffer, Adam's step and averages)."""

    __slots__ = ("param_groups", "defaults", "state", "watched", "stepped")

    def __init__(self, param_groups: list, defaults: dict):
        self.param_groups, self.defaults = param_groups, defaults
        self.state = _new_state()          # parameter -> {'momentum_buffer': ...}
        # a learning-rate scheduler watches for step() (PyTorch wraps it):
        # stepped once step() ran after a scheduler was made
        self.watched = self.stepped = False

    def __str__(self) -> str:             # as PyTorch prints an optimizer
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {_shown(group[k])}\n" for k in sorted(group) if k != "params")
        return text + ")"


def _shown(value):
    """A setting as PyTorch's f-string shows it: a 0-d tensor (a tensor lr)
    by Tensor.__format__, which gives its item."""
    return value.data.item() if value.__class__ is Tensor and value.data.ndim == 0 else value


def _new_state():
    """PyTorch's Optimizer.state, a defaultdict(dict) keyed by the parameter
    tensors: opt.state[w] of a parameter with no state yet is a new {}."""
    from .functions import PY_BUILTINS
    from .interpreter import Function
    from .pycollections import DefaultDict
    state = DefaultDict()
    state.default_factory = Function("dict", PY_BUILTINS["dict"])
    return state


class SGD(Optimizer):
    __slots__ = ()


class Adam(Optimizer):
    __slots__ = ()


class Adagrad(Optimizer):
    __slots__ = ()


class RMSprop(Optimizer):
    __slots__ = ()


CLASSES = (SGD, Adam, Adagrad, RMSprop)


def _params(rt, params, name: str) -> list:
    """The optimizer's params argument as a list (of tensors or of groups)."""
    from .functions import _walkable
    if isinstance(params, Tensor):
        raise GradvizError("params argument given to the optimizer should be an iterable of "
                           "Tensors or dicts, but got torch.FloatTensor", kind=TYPE,
                           hint=f"give a list of tensors: torch.optim.{name}([w, b], lr=0.1)")
    params = list(_walkable(rt, params, name))
    if not params:
        raise GradvizError("optimizer got an empty parameter list", kind=VALUE,
                           hint=f"give the tensors to train: torch.optim.{name}([w, b], lr=0.1)")
    return params


def _check_numbers(rt, *pairs, below: bool = False) -> None:
    """PyTorch's checks of an optimizer's settings, made as its Python makes
    them: `not 0.0 <= value` (below: SGD's `value < 0.0`), so a value no
    number compares with is Python's TypeError ("'<=' not supported between
    instances of 'float' and 'str'"), and a tensor learning rate must have
    one element."""
    for value, what in pairs:
        if value.__class__ is Tensor and what == "learning rate" and value.data.size != 1:
            raise GradvizError("Tensor lr must be 1-element", kind=VALUE,
                               hint="give the learning rate as a number")
        bad = (rt.truth(rt.binary("<", value, 0.0, rt.span)) if below else
               not rt.truth(rt.binary("<=", 0.0, value, rt.span)))
        if bad:
            # (an f-string shows a 0-d tensor as its item, by Tensor.__format__)
            shown = value.data.item() if value.__class__ is Tensor and value.data.ndim == 0 \
                else value
            raise GradvizError(f"Invalid {what}: {rt.str_of(shown)}", kind=VALUE,
                               hint=f"the {what.removesuffix(' value')} is a number >= 0")


def _make(rt, cls, params: list, defaults: dict) -> Optimizer:
    opt = cls([], defaults)
    for group in (params if params[0].__class__ is dict else [{"params": params}]):
        add_param_group(rt, opt, group)
    return opt


def f_sgd(rt, params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
          maximize=False, foreach=None, differentiable=False, fused=None):
    _check_numbers(rt, (lr, "learning rate"), (momentum, "momentum value"),
                   (weight_decay, "weight_decay value"), below=True)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise GradvizError("Nesterov momentum requires a momentum and zero dampening",
                           kind=VALUE)
    defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                "foreach": foreach, "differentiable": differentiable, "fused": fused}
    return _make(rt, SGD, _params(rt, params, "SGD"), defaults)


def f_adam(rt, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
           foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
           decoupled_weight_decay=False):
    if lr.__class__ is Tensor and foreach and not capturable:
        raise GradvizError(FOREACH_TENSOR_LR, kind=VALUE, hint=_FOREACH_HINT)
    # (in PyTorch's order: lr, eps, the betas, weight_decay)
    _check_numbers(rt, (lr, "learning rate"), (eps, "epsilon value"))
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise GradvizError("betas must be a pair of numbers", kind=TYPE,
                           hint="torch.optim.Adam([w], lr=1e-3, betas=(0.9, 0.999))")
    for i, beta in enumerate(betas):
        _check_numbers(rt, (beta, f"beta parameter at index {i}"))
        if not beta < 1.0:
            raise GradvizError(f"Invalid beta parameter at index {i}: {beta}", kind=VALUE,
                               hint="each beta is in [0, 1): betas=(0.9, 0.999)")
    _check_numbers(rt, (weight_decay, "weight_decay value"))
    defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                "capturable": capturable, "differentiable": differentiable, "fused": fused,
                "decoupled_weight_decay": decoupled_weight_decay}
    return _make(rt, Adam, _params(rt, params, "Adam"), defaults)


# Adam's (and AdamW's) foreach implementation takes no tensor lr: refused
# when made with one (ValueError), and at a step when a group's lr was made
# a tensor after (RuntimeError)
FOREACH_TENSOR_LR = "lr as a Tensor is not supported for capturable=False and foreach=True"
_FOREACH_HINT = "leave foreach out (the single-tensor step takes a tensor lr), or give lr a number"


def f_adagrad(rt, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
              eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
    _check_numbers(rt, (lr, "learning rate"), (lr_decay, "lr_decay value"),
                   (weight_decay, "weight_decay value"),
                   (initial_accumulator_value, "initial_accumulator_value value"),
                   (eps, "epsilon value"))
    defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                "maximize": maximize, "differentiable": differentiable, "fused": fused}
    opt = _make(rt, Adagrad, _params(rt, params, "Adagrad"), defaults)
    for group in opt.param_groups:         # its state made here, as PyTorch's __init__ does
        for p in group["params"]:
            _adagrad_state(rt, opt, group, p)
    return opt


def f_rmsprop(rt, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
              centered=False, capturable=False, foreach=None, maximize=False,
              differentiable=False):
    _check_numbers(rt, (lr, "learning rate"), (eps, "epsilon value"), (momentum, "momentum value"),
                   (weight_decay, "weight_decay value"), (alpha, "alpha value"))
    defaults = {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay,
                "momentum": momentum, "centered": centered, "capturable": capturable,
                "foreach": foreach, "maximize": maximize, "differentiable": differentiable}
    return _make(rt, RMSprop, _params(rt, params, "RMSprop"), defaults)


def add_param_group(rt, opt: Optimizer, group):
    """Optimizer.add_param_group: the group's params made a list, checked,
    its missing settings the optimizer's defaults (in the group's own dict)."""
    from .functions import _walkable
    if group.__class__ is not dict:
        from .functions import f_type
        raise GradvizError(f"param_group must be a dict, but got {rt.str_of(f_type(rt, group))}",
                           kind=TYPE, hint="give all groups as dicts: [{'params': [w]}, "
                                           "{'params': [b], 'lr': 0.01}]")
    if "params" not in group:
        raise GradvizError("'params'", kind="KeyError",
                           hint="each group names its tensors: {'params': [w], 'lr': 0.01}")
    ps = group["params"]
    ps = group["params"] = [ps] if ps.__class__ is Tensor else list(
        _walkable(rt, ps, type(opt).__name__))
    for p in ps:
        if p.__class__.__name__ == "UninitializedParameter":
            raise GradvizError("optimizer can only optimize Tensors, but one of the params is "
                               "an UninitializedParameter", kind=TYPE,
                               hint="a lazy module's parameters are made by its first call: "
                                    "call it on an input (net(x)) before making the optimizer")
        if p.__class__ is not Tensor:
            raise GradvizError(f"optimizer can only optimize Tensors, but one of the params is "
                               f"{rt.type_name(p)}", kind=TYPE,
                               hint="a group's 'params' are tensors: {'params': [w, b]}")
        if p.recorded:
            raise GradvizError("can't optimize a non-leaf Tensor", kind=VALUE,
                               hint="optimize the leaves you made (w, b), not results")
    for name, default in opt.defaults.items():
        group.setdefault(name, default)
    held = {id(p) for g in opt.param_groups for p in g["params"]}
    if any(id(p) in held for p in ps):
        raise GradvizError("some parameters appear in more than one parameter group",
                           kind=VALUE, hint="give each parameter to one group")
    opt.param_groups.append(group)


def state_dict(rt, opt: Optimizer) -> dict:
    """Optimizer.state_dict(): each parameter named by its position (counted
    over the groups in order), the groups' settings with 'params' last, and
    the state of the parameters that have one (the same dicts and tensors,
    not copies, as PyTorch's)."""
    index, groups = {}, []
    for group in opt.param_groups:
        packed = {k: v for k, v in group.items() if k != "params"}
        for p in group["params"]:
            index.setdefault(id(p), len(index))
        packed["params"] = [index[id(p)] for p in group["params"]]
        groups.append(packed)
    return {"state": {index[id(p)]: state for p, state in opt.state.items()},
            "param_groups": groups}


def load_state_dict(rt, opt: Optimizer, state_dict):
    """Optimizer.load_state_dict(sd), as PyTorch's: the saved groups'
    settings (copies) with this optimizer's parameters, position for
    position, and the saved state keyed by the parameter at its position
    (new dicts of the same tensors, a float one cast to its parameter's
    dtype; 'step' as it is)."""
    import copy
    saved_groups = copy.deepcopy(state_dict["param_groups"])
    groups = opt.param_groups
    if len(groups) != len(saved_groups):
        raise GradvizError("loaded state dict has a different number of parameter groups",
                           kind=VALUE, hint="load the state_dict() of an optimizer made with "
                                            "the same parameter groups")
    if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
        raise GradvizError("loaded state dict contains a parameter group that doesn't match "
                           "the size of optimizer's group", kind=VALUE,
                           hint="each group must hold as many parameters as the saved one")
    by_position = {i: p for s, g in zip(saved_groups, groups)
                   for i, p in zip(s["params"], g["params"])}
    state = _new_state()
    for key, value in state_dict["state"].items():
        p = by_position.get(key)
        state[key if p is None else p] = value if p is None else \
            {k: v if k == "step" else _cast_like(rt, v, p) for k, v in value.items()}
    for g, s in zip(groups, saved_groups):
        s["params"] = g["params"]
    opt.state, opt.param_groups = state, saved_groups
    return None


def _cast_like(rt, v, p: Tensor):
    """A saved state value as load_state_dict keeps it: a float tensor in its
    parameter's dtype (the same tensor when it is already), the rest as it is."""
    if v.__class__ is not Tensor or v.data.dtype.kind != "f" or v.data.dtype == p.data.dtype:
        return v
    return _made(rt, v.data.astype(p.data.dtype), "to")


def step(rt, opt: Optimizer, closure=None):
    """One step on every parameter that has a .grad (_single_tensor_sgd,
    _single_tensor_adam); with a closure, the loss it returns (it is
    called first, gradients on, as PyTorch's step(closure) calls it)."""
    if opt.__class__ is optim_extra.LBFGS:
        return optim_extra.lbfgs_step(rt, opt, closure)
    loss = None if closure is None else call_closure(rt, closure)
    opt.stepped = opt.stepped or opt.watched
    # (PyTorch's no_grad: drawn as a block of its own, the step's writes in it)
    rt.run_in_block(f"{type(opt).__name__}.step()", lambda: _step_groups(rt, opt), rt.span)
    return loss


def _step_groups(rt, opt: Optimizer) -> None:
    """The step of every parameter of every group that has a .grad."""
    for group in opt.param_groups:
        lr = group.get("lr")
        if lr.__class__ is Tensor:
            _check_foreach_lr(rt, opt, group)
            group = _with_number_lr(group, lr)
            lr = group["lr"]
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)):
            # what PyTorch's step() meets first: -lr (a group added with lr=None)
            raise GradvizError(f"bad operand type for unary -: '{type(lr).__name__}'",
                               kind=TYPE, hint="give every parameter group a number as "
                                               "its lr (or leave lr out: the default's)")
        for p in group["params"]:
            if p.grad is not None:
                if p.data.dtype == np.float16:
                    # (PyTorch's float16 add(alpha=) rounds alpha or not, by
                    # where an element falls in its vector loop)
                    raise GradvizError(
                        "gradviz's optimizers do not update float16 parameters",
                        kind=TYPE, hint="update by hand under torch.no_grad(): "
                        "w -= lr * w.grad, or keep float32 parameters (the usual mixed "
                        "precision: a float32 master copy, float16 in the forward pass)")
                _check_step_flags(rt, opt, group, p)
                _STEPS[opt.__class__](rt, opt, group, p)


# PyTorch's CPU devices list for capturable=True, and the state each
# optimizer's assertion names beside params
_CAPTURABLE_DEVICES = "['cuda', 'xpu', 'hpu', 'privateuseone', 'xla']"
_CAPTURABLE_STATES = {"NAdam": "params, mu_products and state_steps",
                      "ASGD": "params, mus, etas, and state_steps"}
# the foreach implementations that word the assertion their own way: the
# devices without 'xla' (NAdam's list with one more comma)
_FOREACH_CAPTURABLE = ("Adam", "AdamW", "NAdam", "RAdam", "Adamax", "ASGD")


def _check_step_flags(rt, opt: Optimizer, group: dict, p: Tensor) -> None:
    """The errors PyTorch's step gives on CPU for two flags: capturable=True
    (CUDA-graph capture: its assertion that the tensors are on a capturable
    device) and differentiable=True (the step runs with gradients on, so its
    in-place write of a leaf parameter that requires grad is autograd's
    error). Raised before the parameter's state is touched, where PyTorch
    has made or advanced some of it (seen only by a program that catches
    the error)."""
    name = type(opt).__name__
    foreach = group.get("foreach") and name in _FOREACH_CAPTURABLE
    if group.get("capturable"):
        devices = _CAPTURABLE_DEVICES.replace(", 'xla'", "") if name == "Adadelta" or foreach \
            else _CAPTURABLE_DEVICES
        states = _CAPTURABLE_STATES.get(name, "params and state_steps")
        if foreach and name == "NAdam":
            states = "params, mu_products, and state_steps"
        raise GradvizError(f"If capturable=True, {states} must be on supported devices: "
                           f"{devices}.", kind="AssertionError",
                           hint="capturable is for CUDA graphs: leave it out (False) on the CPU")
    if group.get("differentiable") and p.requires_grad:
        raise GradvizError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.", hint="differentiable=True runs the step with gradients "
                           "on, for differentiating through it: leave it out (False) to train")


def _check_foreach_lr(rt, opt: Optimizer, group: dict) -> None:
    """Adam's foreach step refuses a group whose lr was made a tensor after
    the optimizer, at the first parameter with a gradient (its state made
    first, as PyTorch's _init_group makes it)."""
    first = next((p for p in group["params"] if p.grad is not None), None)
    if type(opt).__name__ in ("Adam", "AdamW") and group.get("foreach") and \
            not group.get("capturable") and first is not None:
        _adam_state(rt, opt, group, first)
        raise GradvizError(FOREACH_TENSOR_LR, kind=RUNTIME, hint=_FOREACH_HINT)


def _with_number_lr(group: dict, lr: Tensor) -> dict:
    """The group as the step computes with it when its lr is a tensor (PyTorch
    takes one); the tensor itself under TENSOR_LR, for the foreach steps that
    compute with it as a tensor."""
    return {**group, "lr": number_lr(lr), TENSOR_LR: lr}


TENSOR_LR = "tensor lr"      # (a key no program's group has: it holds no spaces)


def number_lr(lr):
    """A setting as the arithmetic on it goes: a tensor's (a tensor lr) a
    numpy scalar of the tensor's dtype, so that lr / bias_correction1 and
    the like round in that dtype, as the tensor's arithmetic does; a number
    itself."""
    if lr.__class__ is not Tensor:
        return lr
    return lr.data.reshape(()).item() if lr.data.dtype.kind in "iub" else lr.data.reshape(())[()]


def call_closure(rt, closure):
    """closure() under torch.enable_grad(): what step(closure) runs to
    re-evaluate the loss and its gradients."""
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, True
    try:
        return rt.call_value(closure, [])
    finally:
        tape.grad_enabled = enabled


def _sgd_step(rt, opt: SGD, group: dict, p: Tensor) -> None:
    """_single_tensor_sgd on one parameter, with its group's settings."""
    grad = _grad(rt, group, p)
    momentum = group["momentum"]
    if momentum != 0:
        state = opt.state.setdefault(p, {})
        buf = state.get("momentum_buffer")
        if buf is None:               # torch.clone(grad).detach()
            buf = state["momentum_buffer"] = rt.apply(OPS["clone"], (grad,))
        else:                         # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            rt.update_in_place(buf, "*", momentum, rt.span, "mul_")
            rt.update_in_place(buf, "+", None, rt.span, "add_",
                               lambda: _add(rt, buf, grad, 1 - group["dampening"]))
        grad = _add(rt, grad, buf, momentum) if group["nesterov"] else buf
    _update(rt, p, "add_", lambda: _add(rt, p, grad, -group["lr"]))


def _add(rt, a: Tensor, b: Tensor, alpha) -> Tensor:
    """a.add(b, alpha=alpha), the op a program's own add makes (PyTorch's CPU
    kernel: a + alpha * b with one rounding, alpha in a's dtype), so that the
    picture draws its edges from a and b. (A tensor lr's numpy scalar as the
    number it is: the same value, shown as alpha=-0.1.)"""
    if isinstance(alpha, np.floating):
        alpha = float(alpha)
    return rt.apply(OPS["add"], (a, b), {"alpha": alpha})


def _update(rt, p: Tensor, label: str, compute) -> None:
    """The step's in-place write of parameter p (p.add_(...) under no_grad),
    compute() making its new value: that node is titled as p's new value
    ("net[0].weight updated by opt.step()"), not as the step's call."""
    def made():
        new = compute()
        if p.name is not None:
            new.meta = {**(new.meta or {}), "expr": f"{p.name} updated by {{call}}"}
        return new
    rt.update_in_place(p, "+", None, rt.span, label, made)


def _read_grad(rt, p: Tensor) -> Tensor:
    """p.grad as the step reads it: when this is the first read, its node is
    titled net[0].weight.grad (the step's call says which step it is)."""
    first = len(rt.tape.nodes)
    grad = rt.tensor_attribute(p, "grad")
    if grad.seq >= first and p.name is not None:
        grad.meta = {**(grad.meta or {}), "expr": f"{p.name}.grad"}
    return grad


def _adam_state(rt, opt: Adam, group: dict, p: Tensor) -> dict:
    """p's state, made at its first step: the step count and the averages."""
    state = opt.state.get(p)
    if state is None:
        state = opt.state[p] = {"step": _made(rt, np.zeros((), rt.tape.default_dtype), "zeros"),
                                "exp_avg": _made(rt, np.zeros_like(p.data), "zeros_like"),
                                "exp_avg_sq": _made(rt, np.zeros_like(p.data), "zeros_like")}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = _made(rt, np.zeros_like(p.data), "zeros_like")
    return state


def _adam_step(rt, opt: Adam, group: dict, p: Tensor) -> None:
    """_single_tensor_adam on one parameter (capturable and differentiable
    off): its step count a 0-d tensor of the default float dtype (PyTorch's
    _get_scalar_dtype: float64 only when that is the default), read as a
    Python float for the bias corrections, which are Python floats."""
    grad = _read_grad(rt, p)
    if group["maximize"]:
        grad = rt.apply(OPS["neg"], (grad,))
    lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
    if group["weight_decay"] != 0:
        if group["decoupled_weight_decay"]:           # param.mul_(1 - lr * weight_decay)
            # (float: a tensor lr's numpy scalar rounded in its dtype, as a number)
            rt.update_in_place(p, "*", float(1 - lr * group["weight_decay"]), rt.span, "mul_")
        else:
            grad = _add(rt, grad, p, group["weight_decay"])
    state = _adam_state(rt, opt, group, p)
    rt.update_in_place(state["step"], "+", 1, rt.span, "add_")
    exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
    rt.update_in_place(exp_avg, "+", None, rt.span, "lerp_", lambda: _made(
        rt, _lerp(exp_avg.data, grad.data, 1 - beta1), "lerp", (exp_avg, grad, float(1 - beta1))))
    rt.update_in_place(exp_avg_sq, "*", beta2, rt.span, "mul_")
    rt.update_in_place(exp_avg_sq, "+", None, rt.span, "addcmul_", lambda: _made(
        rt, _addcmul(exp_avg_sq.data, grad.data, grad.data, 1 - beta2), "addcmul",
        (exp_avg_sq, grad, grad), value=1 - beta2))
    step = float(state["step"].data)
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5
    if group["amsgrad"]:                  # torch.maximum(max_exp_avg_sq, exp_avg_sq, out=...)
        biggest = state["max_exp_avg_sq"]
        rt.update_in_place(biggest, "+", None, rt.span, "maximum", lambda: _made(
            rt, np.maximum(biggest.data, exp_avg_sq.data), "maximum", (biggest, exp_avg_sq)))
        exp_avg_sq = biggest
    denom = rt.binary("/", rt.apply(OPS["sqrt"], (exp_avg_sq,)), bias_correction2_sqrt, rt.span)
    denom = rt.binary("+", denom, eps, rt.span)
    _update(rt, p, "addcdiv_", lambda: _made(
        rt, _addcdiv(p.data, exp_avg.data, denom.data, -step_size), "addcdiv",
        (p, exp_avg, denom), value=-step_size))


def _adagrad_state(rt, opt: Adagrad, group: dict, p: Tensor) -> dict:
    state = opt.state.get(p)
    if state is None:
        state = opt.state[p] = {
            "step": _made(rt, np.zeros((), rt.tape.default_dtype), "tensor"),
            "sum": _made(rt, np.full_like(p.data, group["initial_accumulator_value"]),
                         "full_like")}
    return state


def _adagrad_step(rt, opt: Adagrad, group: dict, p: Tensor) -> None:
    """_single_tensor_adagrad on one parameter (a dense gradient)."""
    state = _adagrad_state(rt, opt, group, p)
    rt.update_in_place(state["step"], "+", 1, rt.span, "add_")
    step = float(state["step"].data)
    grad = _grad(rt, group, p)
    clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
    total = state["sum"]
    rt.update_in_place(total, "+", None, rt.span, "addcmul_", lambda: _made(
        rt, _addcmul(total.data, grad.data, grad.data, 1), "addcmul", (total, grad, grad)))
    std = rt.binary("+", rt.apply(OPS["sqrt"], (total,)), group["eps"], rt.span)
    _update(rt, p, "addcdiv_", lambda: _made(
        rt, _addcdiv(p.data, grad.data, std.data, -clr), "addcdiv", (p, grad, std), value=-clr))


def _rmsprop_step(rt, opt: RMSprop, group: dict, p: Tensor) -> None:
    """_single_tensor_rmsprop on one parameter (capturable and
    differentiable off)."""
    state = opt.state.get(p)
    if state is None:
        state = opt.state[p] = {"step": _made(rt, np.zeros((), rt.tape.default_dtype), "zeros"),
                                    "square_avg": _made(rt, np.zeros_like(p.data), "zeros_like")}
        if group["momentum"] > 0:
            state["momentum_buffer"] = _made(rt, np.zeros_like(p.data), "zeros_like")
        if group["centered"]:
            state["grad_avg"] = _made(rt, np.zeros_like(p.data), "zeros_like")
    grad = _grad(rt, group, p)
    rt.update_in_place(state["step"], "+", 1, rt.span, "add_")
    alpha, square_avg = group["alpha"], state["square_avg"]
    rt.update_in_place(square_avg, "*", alpha, rt.span, "mul_")
    rt.update_in_place(square_avg, "+", None, rt.span, "addcmul_", lambda: _made(
        rt, _addcmul(square_avg.data, grad.data, grad.data, 1 - alpha), "addcmul",
        (square_avg, grad, grad), value=1 - alpha))
    if group["centered"]:
        grad_avg = state["grad_avg"]
        rt.update_in_place(grad_avg, "+", None, rt.span, "lerp_", lambda: _made(
            rt, _lerp(grad_avg.data, grad.data, 1 - alpha), "lerp",
            (grad_avg, grad, float(1 - alpha))))
        avg = _made(rt, _addcmul(square_avg.data, grad_avg.data, grad_avg.data, -1), "addcmul",
                    (square_avg, grad_avg, grad_avg), value=-1)
    else:
        avg = square_avg
    avg = rt.binary("+", rt.apply(OPS["sqrt"], (avg,)), group["eps"], rt.span)
    if group["momentum"] > 0:          # buf.mul_(momentum).addcdiv_(grad, avg)
        buf = state["momentum_buffer"]
        rt.update_in_place(buf, "*", group["momentum"], rt.span, "mul_")
        rt.update_in_place(buf, "+", None, rt.span, "addcdiv_", lambda: _made(
            rt, _addcdiv(buf.data, grad.data, avg.data, 1), "addcdiv", (buf, grad, avg)))
        _update(rt, p, "add_", lambda: _add(rt, p, buf, -group["lr"]))
    else:
        _update(rt, p, "addcdiv_", lambda: _made(
            rt, _addcdiv(p.data, grad.data, avg.data, -group["lr"]), "addcdiv",
            (p, grad, avg), value=-group["lr"]))


def _grad(rt, group: dict, p: Tensor) -> Tensor:
    """p's gradient as a step uses it: negated to maximize, plus
    weight_decay * p (grad.add(param, alpha=weight_decay))."""
    grad = _read_grad(rt, p)
    if group["maximize"]:
        grad = rt.apply(OPS["neg"], (grad,))
    if group["weight_decay"] != 0:
        grad = _add(rt, grad, p, group["weight_decay"])
    return grad


_STEPS = {SGD: _sgd_step, Adam: _adam_step, Adagrad: _adagrad_step, RMSprop: _rmsprop_step}


def _made(rt, data: np.ndarray, label: str, inputs: tuple = (), **params) -> Tensor:
    """A tensor the step makes: a new one (zeros_like), or, given the
    inputs, the result of op `label` on them (addcdiv(p, exp_avg, denom,
    value=-step_size)), made as the op would make it under no_grad so that
    the picture draws its edges, its value the one computed here (the
    kernel's roundings, to the last bit)."""
    t = Tensor(data)
    if not inputs:
        return rt.tape.add(t, rt.span, label=label)
    t.op, t.args, t.params = OPS[label], inputs, {k: float(v) for k, v in params.items()}
    return rt.tape.add(t, rt.span)


def _fma(a, b, c, dtype) -> np.ndarray:
    """a * b + c rounded once, as ATen's vectorized kernels' fused
    multiply-adds: in float32 through float64 (a float32 product is exact
    there; the sum's two roundings agree but in cases too rare to matter),
    in float64 by the error-free product and sum (measured bit for bit
    against PyTorch's float64 lerp_, addcmul_ and add(alpha=), where two
    roundings differ in a seventh to a quarter of the numbers)."""
    if dtype == np.float32:
        return np.asarray(np.asarray(a, np.float64) * b + c, dtype=dtype)
    return np.asarray(_fma64(np.asarray(a, np.float64), b, c), dtype=dtype)


def _lerp(start: np.ndarray, end: np.ndarray, weight: float) -> np.ndarray:
    """start.lerp_(end, weight) as ATen's CPU kernel: the weight in the
    dtype, start + w * (end - start) for |w| < 0.5, else
    end - (1 - w) * (end - start), each a fused multiply-add."""
    dtype = start.dtype
    w = dtype.type(weight)
    diff = end - start
    if abs(w) < 0.5:
        return _fma(w, diff, start, dtype)
    return _fma(w - dtype.type(1), diff, end, dtype)


def _addcmul(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float) -> np.ndarray:
    """x.addcmul_(t1, t2, value=value): x + (value * t1) * t2, the last
    multiply and the add fused."""
    return _fma(x.dtype.type(value) * t1, t2, x, x.dtype)


def _addcdiv(x: np.ndarray, t1: np.ndarray, t2: np.ndarray, value: float) -> np.ndarray:
    """x.addcdiv_(t1, t2, value=value): x + (value * t1) / t2, each rounded."""
    return np.asarray(x + x.dtype.type(value) * t1 / t2, dtype=x.dtype)


def zero_grad(rt, opt: Optimizer, set_to_none=True):
    clear_grads(rt, [p for g in opt.param_groups for p in g["params"]], set_to_none)


def clear_grads(rt, params: list, set_to_none=True):
    """zero_grad() of an optimizer or a module: each .grad None, or zeroed in place."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            rt.set_grad(p, None)
        else:                                 # p.grad.zero_(), in place
            from .functions import m_zero_
            m_zero_(rt, rt.tensor_attribute(p, "grad"))


# the maker of each optimizer's type (pytypes.OPTIMIZER_NAMES): torch.optim.SGD(params, lr=0.1)
MAKERS = {OPTIMIZER_NAMES[c.__name__]: f for c, f in ((SGD, f_sgd), (Adam, f_adam),
                                                     (Adagrad, f_adagrad), (RMSprop, f_rmsprop))}

# the newer optimizers (optim_extra.py, which uses this module's helpers, so imported last)
from . import optim_extra  # noqa: E402

CLASSES += tuple(optim_extra.MAKERS)
_STEPS.update(optim_extra.STEPS)
_STEPS[optim_extra.AdamW] = _adam_step
MAKERS.update({OPTIMIZER_NAMES[c.__name__]: f for c, f in optim_extra.MAKERS.items()})
