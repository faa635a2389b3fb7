"""torch.optim.SGD, as PyTorch's single-tensor implementation runs it.

    opt = torch.optim.SGD([w, b], lr=0.1, momentum=0.9)
    opt.zero_grad(); loss.backward(); opt.step()

step() is the program's own `with torch.no_grad(): p -= lr * p.grad`, run
through the interpreter (update_in_place): the same in-place writes, version
counts and record events as a hand-written update, so the tables and the
picture show each step as one.
"""
from __future__ import annotations

import numpy as np

from .errors import TYPE, VALUE, GradvizError
from .ops import OPS
from .tensor import Tensor


class SGD:
    """An optimizer a program holds: its parameter groups (PyTorch's dicts,
    the program's own when it gave dicts: {'params': [...], 'lr': ..., ...},
    read at each step, so `g['lr'] = 0.01` takes effect) and, with momentum,
    a buffer per parameter."""

    __slots__ = ("param_groups", "defaults", "buffers")

    def __init__(self, param_groups: list, defaults: dict):
        self.param_groups, self.defaults = param_groups, defaults
        self.buffers = {}                  # id(parameter) -> its momentum buffer

    def __str__(self) -> str:             # as PyTorch prints an optimizer
        text = "SGD ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            text += "".join(f"    {k}: {group[k]}\n" for k in sorted(group) if k != "params")
        return text + ")"


def f_sgd(rt, params, lr=0.001, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
          maximize=False, foreach=None, differentiable=False, fused=None):
    from .functions import _walkable
    if isinstance(params, Tensor):
        raise GradvizError("params argument given to the optimizer should be an iterable of "
                           "Tensors or dicts, but got torch.FloatTensor", kind=TYPE,
                           hint="give a list of tensors: torch.optim.SGD([w, b], lr=0.1)")
    params = list(_walkable(rt, params, "SGD"))
    if not params:
        raise GradvizError("optimizer got an empty parameter list", kind=VALUE,
                           hint="give the tensors to train: torch.optim.SGD([w, b], lr=0.1)")
    for value, what in ((lr, "learning rate"), (momentum, "momentum value"),
                        (weight_decay, "weight_decay value")):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise GradvizError(f"{what} must be a number", kind=TYPE)
        if value < 0:
            raise GradvizError(f"Invalid {what}: {value}", kind=VALUE)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise GradvizError("Nesterov momentum requires a momentum and zero dampening",
                           kind=VALUE)
    defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                "foreach": foreach, "differentiable": differentiable, "fused": fused}
    opt = SGD([], defaults)
    for group in (params if params[0].__class__ is dict else [{"params": params}]):
        add_param_group(rt, opt, group)
    return opt


def add_param_group(rt, opt: SGD, group):
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
    ps = group["params"] = [ps] if ps.__class__ is Tensor else list(_walkable(rt, ps, "SGD"))
    for p in ps:
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


def step(rt, opt: SGD, closure=None):
    """One SGD step on every parameter that has a .grad (_single_tensor_sgd)."""
    if closure is not None:
        raise GradvizError("step(closure) is not supported here", kind=TYPE,
                           hint="compute the loss and call backward() before step()")
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, False     # (PyTorch's no_grad)
    try:
        for group in opt.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    _step_one(rt, opt, group, p)
    finally:
        tape.grad_enabled = enabled


def _step_one(rt, opt: SGD, group: dict, p: Tensor) -> None:
    """_single_tensor_sgd on one parameter, with its group's settings."""
    grad = rt.tensor_attribute(p, "grad")
    if group["maximize"]:
        grad = rt.apply(OPS["neg"], (grad,))
    if group["weight_decay"] != 0:
        grad = _add(rt, grad, p, group["weight_decay"])
    momentum = group["momentum"]
    if momentum != 0:
        buf = opt.buffers.get(id(p))
        if buf is None:               # torch.clone(grad).detach()
            buf = opt.buffers[id(p)] = rt.apply(OPS["clone"], (grad,))
        else:                         # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
            rt.update_in_place(buf, "*", momentum, rt.span, "mul_")
            rt.update_in_place(buf, "+", None, rt.span, "add_",
                               lambda: _add(rt, buf, grad, 1 - group["dampening"]))
        grad = _add(rt, grad, buf, momentum) if group["nesterov"] else buf
    rt.update_in_place(p, "+", None, rt.span, "add_", lambda: _add(rt, p, grad, -group["lr"]))


def _add(rt, a: Tensor, b: Tensor, alpha) -> Tensor:
    """a.add(b, alpha=alpha) as PyTorch's CPU kernel computes it: a + alpha * b
    with one rounding (a fused multiply-add), alpha in a's dtype."""
    x = a.data
    if x.dtype == np.float32:
        value = (x.astype(np.float64) + float(np.float32(alpha)) * b.data.astype(np.float64))
    else:
        value = x + alpha * b.data
    return rt.tape.add(Tensor(np.asarray(value, dtype=x.dtype)), rt.span, label="add")


def zero_grad(rt, opt: SGD, set_to_none=True):
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
