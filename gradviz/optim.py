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
    """An optimizer a program holds: its parameters, settings and, with
    momentum, a buffer per parameter."""

    __slots__ = ("params", "lr", "momentum", "dampening", "weight_decay", "nesterov",
                 "maximize", "buffers", "foreach", "fused")

    def __init__(self, params, lr, momentum, dampening, weight_decay, nesterov, maximize):
        self.params, self.lr, self.momentum = params, lr, momentum
        self.dampening, self.weight_decay = dampening, weight_decay
        self.nesterov, self.maximize = nesterov, maximize
        self.buffers = [None] * len(params)
        self.foreach = self.fused = None

    def __str__(self) -> str:             # as PyTorch prints an optimizer
        settings = {"dampening": self.dampening, "differentiable": False,
                    "foreach": self.foreach, "fused": self.fused, "lr": self.lr,
                    "maximize": self.maximize, "momentum": self.momentum,
                    "nesterov": self.nesterov, "weight_decay": self.weight_decay}
        lines = [f"    {k}: {v}" for k, v in settings.items()]
        return "SGD (\nParameter Group 0\n" + "\n".join(lines) + "\n)"


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
    for p in params:
        if p.__class__ is not Tensor:
            raise GradvizError(f"optimizer can only optimize Tensors, but one of the params is "
                               f"{type(p).__name__}", kind=TYPE)
        if p.recorded:
            raise GradvizError("can't optimize a non-leaf Tensor", kind=VALUE,
                               hint="optimize the leaves you made (w, b), not results")
    for value, what in ((lr, "learning rate"), (momentum, "momentum value"),
                        (weight_decay, "weight_decay value")):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise GradvizError(f"{what} must be a number", kind=TYPE)
        if value < 0:
            raise GradvizError(f"Invalid {what}: {value}", kind=VALUE)
    if nesterov and (momentum <= 0 or dampening != 0):
        raise GradvizError("Nesterov momentum requires a momentum and zero dampening",
                           kind=VALUE)
    return SGD(params, lr, momentum, dampening, weight_decay, bool(nesterov), bool(maximize))


def step(rt, opt: SGD, closure=None):
    """One SGD step on every parameter that has a .grad (_single_tensor_sgd)."""
    if closure is not None:
        raise GradvizError("step(closure) is not supported here", kind=TYPE,
                           hint="compute the loss and call backward() before step()")
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, False     # (PyTorch's no_grad)
    try:
        for i, p in enumerate(opt.params):
            if p.grad is None:
                continue
            grad = rt.tensor_attribute(p, "grad")
            if opt.maximize:
                grad = rt.apply(OPS["neg"], (grad,))
            if opt.weight_decay != 0:
                grad = _add(rt, grad, p, opt.weight_decay)
            if opt.momentum != 0:
                buf = opt.buffers[i]
                if buf is None:               # torch.clone(grad).detach()
                    buf = opt.buffers[i] = rt.apply(OPS["clone"], (grad,))
                else:                         # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    rt.update_in_place(buf, "*", opt.momentum, rt.span, "mul_")
                    rt.update_in_place(buf, "+", None, rt.span, "add_",
                                       lambda: _add(rt, buf, grad, 1 - opt.dampening))
                grad = _add(rt, grad, buf, opt.momentum) if opt.nesterov else buf
            rt.update_in_place(p, "+", None, rt.span, "add_",
                               lambda: _add(rt, p, grad, -opt.lr))
    finally:
        tape.grad_enabled = enabled


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
    clear_grads(rt, opt.params, set_to_none)


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
