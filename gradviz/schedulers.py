"""torch.optim.lr_scheduler: the learning-rate schedules a training loop
steps once an epoch (or once a batch), as PyTorch 2.13's lr_scheduler.py
computes them: in Python floats, with its formulas in its order, so the
learning rates are PyTorch's to the last bit.

    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
    for epoch in range(n):
        train(...); opt.step()
        sched.step()

A scheduler writes each group's 'lr' in the optimizer's param_groups (the
program's own dicts: reading and writing opt.param_groups[0]['lr'] sees the
same numbers) and adds 'initial_lr' to each group, as PyTorch's does.
Calling sched.step() before the optimizer's first step() gives PyTorch's
UserWarning (a warning line on stderr).
"""
from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter

from . import errors
from .errors import TYPE, VALUE, GradvizError
from .optim import Optimizer, number_lr
from .pytypes import SCHEDULER_NAMES
from .tensor import Tensor

ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and "
    "later, you should call them in the opposite order: `optimizer.step()` before "
    "`lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first "
    "value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate")
EPOCH_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where "
    "possible. Please use `scheduler.step()` to step the scheduler. During the deprecation, if "
    "epoch is different from None, the closed form is used instead of the new chainable form, "
    "where available. Please open an issue if you are unable to replicate your use case: "
    "https://github.com/pytorch/pytorch/issues/new/choose.")
_USAGE = ("a scheduler takes the optimizer it schedules: "
          "torch.optim.lr_scheduler.StepLR(opt, step_size=10)")


def _warn(rt, opt: Optimizer, message: str) -> None:
    """A UserWarning, noted on the optimizer's first parameter (the record's
    events each name a tensor)."""
    rt.log_event("user_warning", opt.param_groups[0]["params"][0], message=message)


def _lrs(opt: Optimizer, key: str = "lr") -> list:
    """The groups' rates as the schedules compute with them (a tensor lr's
    a numpy scalar of its dtype, see number_lr)."""
    return [number_lr(group[key]) for group in opt.param_groups]


def _last_lrs(rt, opt: Optimizer) -> list:
    """What get_last_lr() gives: the groups' rates, a tensor lr's a copy of it
    (PyTorch's clone, which never aliases the group's)."""
    return [_copy(rt, group["lr"]) for group in opt.param_groups]


def _copy(rt, lr):
    if lr.__class__ is not Tensor:
        return lr
    return rt.tape.add(Tensor(lr.data.copy()), rt.span, label="clone")


def _set_lr(group: dict, lr) -> None:
    """A group's new rate: a tensor lr is filled with it in place (PyTorch's
    fill_), so that the tensor the program holds sees it."""
    if group["lr"].__class__ is Tensor:
        group["lr"].data[...] = lr
    else:
        group["lr"] = lr


def _per_group(name: str, opt: Optimizer, value) -> list:
    """A setting given once or once per parameter group (_format_param)."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(opt.param_groups):
            raise GradvizError(
                f"{name} must have the same length as optimizer.param_groups. {name} has "
                f"{len(value)} values, param_groups has {len(opt.param_groups)}.", kind=VALUE,
                hint=f"give one {name} for all groups, or one per group")
        return list(value)
    return [value] * len(opt.param_groups)


def _check_optimizer(optimizer) -> None:
    if not isinstance(optimizer, Optimizer):
        from .interpreter import Interpreter
        raise GradvizError(f"{Interpreter.type_name(optimizer)} is not an Optimizer", kind=TYPE,
                           hint=_USAGE)


class LRScheduler:
    """PyTorch's LRScheduler: last_epoch counts the steps (0 after the
    scheduler is made, which runs its first step), get_lr() the schedule's
    next rates from the current ones (chainable) and the closed form, when
    a schedule has one, the rate at a given epoch. A tensor lr is computed
    with as a number of its dtype (number_lr) and filled in place."""

    def __init__(self, rt, optimizer, last_epoch: int = -1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                if "initial_lr" not in group:
                    group["initial_lr"] = _copy(rt, group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise GradvizError(
                        f"\"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0.\\nThis typically happens "
                        "when:\\n1. You're trying to resume training from a checkpoint but "
                        "haven't properly loaded the optimizer state\\n2. You're using "
                        "last_epoch >= 0 for a fresh training run (not recommended)\"",
                        kind="KeyError", hint="leave last_epoch out (-1) for a new run")
        self.base_lrs = _lrs(optimizer, "initial_lr")
        self.last_epoch = last_epoch
        optimizer.watched = True          # (PyTorch wraps opt.step to see it called)
        self._initial_step(rt)

    def _initial_step(self, rt) -> None:
        self._step_count = 0
        self._is_initial = True
        try:
            self.step(rt)
        finally:
            self._is_initial = False

    def step(self, rt, epoch=None) -> None:
        if self._step_count == 1 and not self.optimizer.stepped:
            _warn(rt, self.optimizer, ORDER_WARNING)
        self._step_count += 1
        if epoch is not None:
            _warn(rt, self.optimizer, EPOCH_WARNING)
        self._update_lr(rt, epoch)

    def _update_lr(self, rt, epoch=None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr(rt)
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_closed_form", None)
            if closed is not None and epoch.__class__ is Tensor:
                # (PyTorch's closed forms then compute a tensor lr, which
                # these schedules do not hold)
                raise GradvizError(f"gradviz's {type(self).__name__} takes a number epoch in "
                                   "step(epoch), not a tensor", kind=TYPE,
                                   hint="step(int(epoch)), or step() with no epoch")
            values = closed() if closed is not None else self.get_lr(rt)
        for group, lr in zip(self.optimizer.param_groups, values):
            _set_lr(group, lr)
        self._last_lr = _last_lrs(rt, self.optimizer)

    def get_last_lr(self, rt) -> list:
        return list(self._last_lr)

    def get_lr(self, rt) -> list:
        # (PyTorch's base class's, reached when SequentialLR switches to a
        # ChainedScheduler: it has no schedule of its own)
        raise GradvizError("", kind="NotImplementedError",
                           hint="a ChainedScheduler has no schedule of its own: put the "
                                "schedulers it chains in SequentialLR's list instead")


class _LambdaBase(LRScheduler):
    def __init__(self, rt, optimizer, lr_lambda, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):      # (PyTorch reads its param_groups first)
            from .interpreter import Interpreter
            raise GradvizError(f"'{Interpreter.type_name(optimizer)}' object has no attribute "
                               "'param_groups'", kind="AttributeError", hint=_USAGE)
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n:
                raise GradvizError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}",
                                   kind=VALUE, hint="give one function, or one per group")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n
        super().__init__(rt, optimizer, last_epoch)


class LambdaLR(_LambdaBase):
    def get_lr(self, rt) -> list:
        return [base_lr * rt.call_value(fn, [self.last_epoch])
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class MultiplicativeLR(_LambdaBase):
    def __init__(self, rt, optimizer, lr_lambda, last_epoch: int = -1):
        from .functions import f_callable
        from .interpreter import Interpreter
        fns = lr_lambda if isinstance(lr_lambda, (list, tuple)) else [lr_lambda]
        for fn in fns:
            if not f_callable(rt, fn):
                raise GradvizError(f"lr_lambda should be a function, but got "
                                   f"{Interpreter.type_name(fn)}", kind=TYPE,
                                   hint="lr_lambda=lambda epoch: 0.95")
        super().__init__(rt, optimizer, lr_lambda, last_epoch)

    def get_lr(self, rt) -> list:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [lr * rt.call_value(fn, [self.last_epoch])
                for fn, lr in zip(self.lr_lambdas, _lrs(self.optimizer))]


class StepLR(LRScheduler):
    def __init__(self, rt, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _lrs(self.optimizer)
        return [lr * self.gamma for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    def __init__(self, rt, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self.last_epoch not in self.milestones:
            return _lrs(self.optimizer)
        return [lr * self.gamma ** self.milestones[self.last_epoch]
                for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        milestones = sorted(self.milestones.elements())
        return [base_lr * self.gamma ** bisect_right(milestones, self.last_epoch)
                for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    def __init__(self, rt, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise GradvizError("Constant multiplicative factor expected to be between 0 and 1.",
                               kind=VALUE, hint="factor, the rate's multiplier, is in [0, 1]")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _lrs(self.optimizer)]
        if self.last_epoch != self.total_iters:
            return _lrs(self.optimizer)
        return [lr * (1.0 / self.factor) for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    def __init__(self, rt, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise GradvizError("Starting multiplicative factor expected to be greater than 0 "
                               "and less or equal to 1.", kind=VALUE,
                               hint="start_factor is in (0, 1]")
        if end_factor > 1.0 or end_factor < 0:
            raise GradvizError("Ending multiplicative factor expected to be between 0 and 1.",
                               kind=VALUE, hint="end_factor is in [0, 1]")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in _lrs(self.optimizer)]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        change = self.end_factor - self.start_factor
        return [lr * (1.0 + change / (self.total_iters * self.start_factor
                                      + (self.last_epoch - 1) * change))
                for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        return [base_lr * (self.start_factor + (self.end_factor - self.start_factor)
                           * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    def __init__(self, rt, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self._is_initial:
            return _lrs(self.optimizer)
        return [lr * self.gamma for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    def __init__(self, rt, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        if self._is_initial or self.last_epoch > self.total_iters:
            return _lrs(self.optimizer)
        decay = ((1.0 - self.last_epoch / self.total_iters)
                 / (1.0 - (self.last_epoch - 1) / self.total_iters)) ** self.power
        return [lr * decay for lr in _lrs(self.optimizer)]

    def _closed_form(self) -> list:
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    def __init__(self, rt, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        lrs, eta_min, t_max = _lrs(self.optimizer), self.eta_min, self.T_max
        if self._is_initial:
            return lrs
        if self._step_count == 1 and self.last_epoch > 0:
            return [eta_min + (base_lr - eta_min)
                    * (1 + math.cos((self.last_epoch) * math.pi / t_max)) / 2
                    for base_lr in self.base_lrs]
        if (self.last_epoch - 1 - t_max) % (2 * t_max) == 0:
            return [lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                    for base_lr, lr in zip(self.base_lrs, lrs)]
        return [(1 + math.cos(math.pi * self.last_epoch / t_max))
                / (1 + math.cos(math.pi * (self.last_epoch - 1) / t_max))
                * (lr - eta_min) + eta_min for lr in lrs]

    def _closed_form(self) -> list:
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    def __init__(self, rt, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0.__class__ is not int or T_0 <= 0:
            raise GradvizError(f"Expected positive integer T_0, but got {T_0}", kind=VALUE,
                               hint="T_0, the first period's length in steps, is an int >= 1")
        if T_mult.__class__ is not int or T_mult < 1:
            raise GradvizError(f"Expected integer T_mult >= 1, but got {T_mult}", kind=VALUE,
                               hint="T_mult, each period's growth, is an int >= 1")
        self.T_0 = self.T_i = T_0
        self.T_mult, self.eta_min, self.T_cur = T_mult, eta_min, last_epoch
        super().__init__(rt, optimizer, last_epoch)

    def get_lr(self, rt) -> list:
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, rt, epoch=None) -> None:
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise GradvizError(f"Expected non-negative epoch, but got {epoch}", kind=VALUE,
                                   hint="step(epoch) takes an epoch >= 0")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(rt)):
            _set_lr(group, lr)
        self._last_lr = _last_lrs(rt, self.optimizer)


def _uses_beta1(optimizer) -> bool:
    """Whether a momentum-cycling schedule writes the optimizer's beta1
    (Adam's kind) or its momentum (SGD's); PyTorch's error for neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise GradvizError("optimizer must support momentum or beta1 with "
                           "`cycle_momentum` option enabled", kind=VALUE,
                           hint="give cycle_momentum=False, or an optimizer with "
                                "momentum (SGD) or betas (Adam)")
    return "betas" in optimizer.defaults


def _set_momentum(group: dict, momentum, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


class OneCycleLR(LRScheduler):
    """The rate from max_lr / div_factor up to max_lr and down (the group's
    own lr, a tensor too, only filled with it), the momentum the other way."""

    def __init__(self, rt, optimizer, max_lr, total_steps=None, epochs=None,
                 steps_per_epoch=None, pct_start=0.3, anneal_strategy="cos",
                 cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if total_steps.__class__ is not int or total_steps <= 0:
                raise GradvizError(f"Expected positive integer total_steps, but got "
                                   f"{total_steps}", kind=VALUE, hint="total_steps=100")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for value, name in ((epochs, "epochs"), (steps_per_epoch, "steps_per_epoch")):
                if value.__class__ is not int or value <= 0:
                    raise GradvizError(f"Expected positive integer {name}, but got {value}",
                                       kind=VALUE, hint=f"{name} is an int >= 1")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise GradvizError("You must define either total_steps OR (epochs AND "
                               "steps_per_epoch)", kind=VALUE,
                               hint="OneCycleLR(opt, max_lr=0.1, total_steps=100)")
        up = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (float(2 * pct_start * self.total_steps) - 2, "max_lr",
                             "initial_lr", "base_momentum", "max_momentum"),
                            (self.total_steps - 1, "initial_lr", "min_lr", "max_momentum",
                             "max_momentum")]
        else:
            self._phases = [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                            (self.total_steps - 1, "max_lr", "min_lr", "base_momentum",
                             "max_momentum")]
        if pct_start.__class__ is not float or pct_start < 0 or pct_start > 1:
            raise GradvizError(f"Expected float between 0 and 1 pct_start, but got {pct_start}",
                               kind=VALUE, hint="pct_start=0.3")
        if anneal_strategy not in ("cos", "linear"):
            raise GradvizError(f"anneal_strategy must be one of 'cos' or 'linear', instead got "
                               f"{anneal_strategy}", kind=VALUE, hint="anneal_strategy='cos'")
        self.anneal_strategy = anneal_strategy
        max_lrs = _per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            tops = _per_group("max_momentum", optimizer, max_momentum)
            bases = _per_group("base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for top, base, group in zip(tops, bases, optimizer.param_groups):
                    self._set_momentum(group, top)
                    group["max_momentum"], group["base_momentum"] = top, base
        super().__init__(rt, optimizer, last_epoch)

    def _set_momentum(self, group: dict, momentum) -> None:
        _set_momentum(group, momentum, self.use_beta1)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self, rt) -> list:
        step_num = self.last_epoch
        if step_num > self.total_steps:
            raise GradvizError(f"Tried to step {step_num} times. The specified number of total "
                               f"steps is {self.total_steps}", kind=VALUE,
                               hint="OneCycleLR is stepped once a batch, total_steps times: "
                                    "give total_steps (or epochs and steps_per_epoch) to match")
        lrs = []
        for group in self.optimizer.param_groups:
            start_step = 0.0
            for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._phases):
                if step_num <= end_step or i == len(self._phases) - 1:
                    pct = (step_num - start_step) / (end_step - start_step)
                    lrs.append(self._anneal(group[lr0], group[lr1], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m0], group[m1], pct))
                    break
                start_step = end_step
        return lrs


class CyclicLR(LRScheduler):
    """PyTorch's CyclicLR: the rate goes from base_lr up to max_lr in
    step_size_up steps and back in step_size_down, its height scaled by
    the mode's function of the cycle (triangular, triangular2) or of the
    step (exp_range), or by the program's scale_fn; the momentum the other
    way round."""

    def __init__(self, rt, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = float(step_size_down) if step_size_down is not None else step_size_up
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise GradvizError("mode is invalid and scale_fn is None", kind=VALUE,
                               hint="mode='triangular', 'triangular2' or 'exp_range'")
        self.mode, self.gamma, self.scale_fn, self.scale_mode = mode, gamma, scale_fn, scale_mode
        if scale_fn is None:         # (the modes' own functions set their scale_mode)
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer)
            self.base_momentums = _per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                for top, base, group in zip(self.max_momentums, self.base_momentums,
                                            optimizer.param_groups):
                    _set_momentum(group, top, self.use_beta1)
                    group["max_momentum"], group["base_momentum"] = top, base
        super().__init__(rt, optimizer, last_epoch)
        self.base_lrs = base_lrs     # (after the first step, as PyTorch sets them)

    def _scale(self, rt, x):
        if self.scale_fn is not None:
            return rt.call_value(self.scale_fn, [x])
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self, rt) -> list:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scaled = self._scale(rt, cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * scale_factor * scaled
               for base, top in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for base, top, group in zip(self.base_momentums, self.max_momentums,
                                        self.optimizer.param_groups):
                _set_momentum(group, top - (top - base) * scale_factor * scaled, self.use_beta1)
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Lowers the rates when a metric stops improving: step(metric) each epoch."""

    def __init__(self, rt, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        if factor >= 1.0:
            raise GradvizError("Factor should be < 1.0.", kind=VALUE,
                               hint="factor multiplies the rate when it is lowered: factor=0.1")
        self.factor = factor
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise GradvizError(f"expected {len(optimizer.param_groups)} min_lrs, got "
                                   f"{len(min_lr)}", kind=VALUE,
                                   hint="give one min_lr, or one per parameter group")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * len(optimizer.param_groups)
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.last_epoch = 0
        self._last_lr = _last_lrs(rt, optimizer)
        if mode not in ("min", "max"):
            raise GradvizError(f"mode {mode} is unknown!", kind=VALUE,
                               hint="mode='min' (a loss) or mode='max' (an accuracy)")
        if threshold_mode not in ("rel", "abs"):
            raise GradvizError(f"threshold mode {threshold_mode} is unknown!", kind=VALUE,
                               hint="threshold_mode='rel' or 'abs'")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def step(self, rt, metrics, epoch=None) -> None:
        from .functions import PY_BUILTINS
        current = PY_BUILTINS["float"](rt, metrics)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            _warn(rt, self.optimizer, EPOCH_WARNING)
        self.last_epoch = epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0           # (bad epochs in cooldown do not count)
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _last_lrs(rt, self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise GradvizError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from "
                    f"when `ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due "
                    "to a new param group being added to the optimizer. Please modify the "
                    "`min_lrs` field to match the length of the `optimizer` param groups.",
                    kind="RuntimeError", hint="give one min_lr for all groups")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for i, group in enumerate(groups):
            old_lr = float(number_lr(group["lr"]))
            new_lr = max(old_lr * self.factor, self.min_lrs[i])
            if old_lr - new_lr > self.eps:
                _set_lr(group, new_lr)

    def _is_better(self, a, best) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold


def _check_schedulers(name: str, optimizer, schedulers) -> None:
    for i, s in enumerate(schedulers):
        if not isinstance(s, LRScheduler):
            raise GradvizError(f"{name} at index {i} should have `optimizer` as its attribute.",
                               kind=TYPE, hint="give the schedulers made for the optimizer")
        if isinstance(s, ReduceLROnPlateau):
            raise GradvizError(
                f"{name} does not support `ReduceLROnPlateau` scheduler as it requires "
                "additional kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence.", kind=VALUE,
                hint="step ReduceLROnPlateau on its own: sched.step(val_loss)")
        if s.optimizer is not optimizer:
            raise GradvizError(
                f"{name} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {type(s).__name__} at index {i} has {s.optimizer}, which is "
                f"different from {type(optimizer).__name__}.", kind=VALUE,
                hint="make every scheduler with the same optimizer")


class SequentialLR(LRScheduler):
    """One scheduler after another, switching at the milestones."""

    def __init__(self, rt, optimizer, schedulers, milestones, last_epoch=-1):
        if len(schedulers) < 1:
            raise GradvizError("SequentialLR expects at least one scheduler, but got no "
                               "scheduler.", kind=VALUE, hint="schedulers=[warmup, decay]")
        _check_schedulers("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise GradvizError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                "than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to "
                f"{len(milestones)}", kind=VALUE,
                hint="one milestone (the step to switch at) between two schedulers")
        self._schedulers, self._milestones = list(schedulers), list(milestones)
        self.last_epoch, self.optimizer = last_epoch + 1, optimizer
        for group in optimizer.param_groups:
            _set_lr(group, number_lr(group["initial_lr"]))   # (a tensor lr filled)
        _undo_first_steps(self._schedulers)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step(rt)
        self._last_lr = first.get_last_lr(rt)

    def step(self, rt) -> None:
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(rt, 0)
        else:
            scheduler.step(rt)
        self._last_lr = scheduler.get_last_lr(rt)


def _undo_first_steps(schedulers: list) -> None:
    """PyTorch's recursive_undo: each scheduler's own first step undone, a
    chained one's for each it chains."""
    for s in schedulers:
        if isinstance(s, ChainedScheduler):
            _undo_first_steps(s._schedulers)
        else:
            s.last_epoch -= 1


class ChainedScheduler(LRScheduler):
    """Several schedulers stepped together, each on the rates the one before left."""

    def __init__(self, rt, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise GradvizError("ChainedScheduler expects at least one scheduler to be chained, "
                               "but got no scheduler.", kind=VALUE, hint="schedulers=[a, b]")
        if optimizer is None and not isinstance(schedulers[0], LRScheduler):
            raise GradvizError(f"'{rt.type_name(schedulers[0])}' object has no attribute "
                               "'optimizer'", kind="AttributeError",
                               hint="ChainedScheduler takes a list of schedulers: "
                                    "ChainedScheduler([StepLR(opt, 2), ExponentialLR(opt, 0.9)])")
        optimizer = optimizer or schedulers[0].optimizer
        _check_schedulers("ChainedScheduler", optimizer, schedulers)
        self._schedulers, self.optimizer = list(schedulers), optimizer
        self._last_lr = _last_lrs(rt, self._schedulers[-1].optimizer)

    def step(self, rt) -> None:
        for scheduler in self._schedulers:
            scheduler.step(rt)
        self._last_lr = _last_lrs(rt, self._schedulers[-1].optimizer)


CLASSES = (LambdaLR, MultiplicativeLR, StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR,
           PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR,
           ReduceLROnPlateau, SequentialLR, ChainedScheduler, CyclicLR)
NAMES = SCHEDULER_NAMES               # (pytypes names them for type() and isinstance)
MAKERS = {NAMES[c.__name__]: c for c in CLASSES}
_METHODS = ("step", "get_last_lr")
GET_LR_WARNING = ("To get the last learning rate computed by the scheduler, please use "
                  "`get_last_lr()`.")


def _get_lr(rt, sched: LRScheduler) -> list:
    """sched.get_lr() called by the program: the schedule's formula at the
    current epoch (its chainable form, from the groups' current rates), with
    PyTorch's warning."""
    if type(sched).get_lr is LRScheduler.get_lr:
        raise GradvizError("", kind="NotImplementedError",
                           hint="read the rates with get_last_lr()")
    _warn(rt, sched.optimizer, GET_LR_WARNING)
    return sched.get_lr(rt)


def check_no_tensors(name: str, args: list, kwargs) -> None:
    """A schedule's settings are Python numbers here: PyTorch computes with a
    tensor given instead (a tensor learning rate), gradviz refuses it."""
    from .tensor import Tensor
    for i, v in enumerate([*args, *(kwargs or {}).values()]):
        first = i == 0 if i < len(args) else list(kwargs)[i - len(args)] == "optimizer"
        if v.__class__ is Tensor and not first:        # (the optimizer's own error)
            what = f"argument {i + 1}" if i < len(args) else \
                f"{list(kwargs)[i - len(args)]}="
            raise GradvizError(f"{name}(): gradviz takes the schedule's settings as Python "
                               f"numbers, but {what} is a tensor", kind=TYPE,
                               hint="pass a number: gamma=0.5, or t.item() for a tensor t "
                                    "(PyTorch would make the learning rates tensors)")


_HINT = ("check the scheduler's settings (numbers of the kinds PyTorch's documentation gives: "
         "step_size=10, gamma=0.1)")


def python_errors(call):
    """call(), its Python errors said as PyTorch's lr_scheduler.py raises them."""
    return errors.python_errors(call, _HINT)


def attribute(rt, sched: LRScheduler, attr: str):
    """sched.step, sched.get_last_lr, and the settings and counters a program
    reads (last_epoch, base_lrs, optimizer, gamma, best, ...)."""
    from .interpreter import BoundMethod
    if attr == "get_lr":
        return BoundMethod(attr, _get_lr, sched)
    if attr in _METHODS:
        return BoundMethod(attr, lambda rt, s, *args, **kwargs: python_errors(
            lambda: getattr(s, attr)(rt, *args, **kwargs)), sched)
    if not attr.startswith("_") and attr in vars(sched):
        value = vars(sched)[attr]
        return dict(value) if value.__class__ is Counter else value
    raise GradvizError(f"'{type(sched).__name__}' object has no attribute '{attr}'",
                       kind="AttributeError", hint="a scheduler has step(), get_last_lr(), "
                                                   "last_epoch, base_lrs and its settings")
