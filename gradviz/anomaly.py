"""Anomaly detection: torch.autograd.detect_anomaly() and
set_detect_anomaly(mode), as PyTorch's engine checks under them: a backward
node whose gradient for an input holds a NaN stops the pass with
RuntimeError "Function 'SqrtBackward0' returned nan values in its 0th
output." (an inf is let through, as PyTorch lets it). check_nan=False turns
the check off. The mode is the run's (rt.anomaly: enabled, check_nan).

detect_anomaly() is a `with` block (the mode before it comes back after);
set_detect_anomaly(mode) sets the mode when called, and used in a `with`
restores the one before at its end, as PyTorch's.
"""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, TYPE, GradvizError


class AnomalyMode:
    """The context detect_anomaly()/set_detect_anomaly() return."""

    __slots__ = ("enabled", "check_nan", "before")

    def __init__(self, enabled: bool, check_nan: bool, before):
        self.enabled, self.check_nan, self.before = enabled, check_nan, before


def _flag(value, arg: str = "enabled", pos: int = 1) -> bool:
    """A mode flag as torch.set_anomaly_enabled (which every form calls)
    takes it: a bool, else its parser's TypeError."""
    if value.__class__ is not bool:
        raise GradvizError(f"set_anomaly_enabled(): argument '{arg}' (position {pos}) must be "
                           f"bool, not {type(value).__name__}", kind=TYPE,
                           hint="torch.autograd.set_detect_anomaly(True)")
    return value


def f_detect_anomaly(rt, check_nan=True):
    return AnomalyMode(True, _flag(check_nan, "check_nan", 2), None)


def f_set_detect_anomaly(rt, mode, check_nan=True):
    ctx = AnomalyMode(_flag(mode), _flag(check_nan, "check_nan", 2), rt.anomaly)
    rt.anomaly = (ctx.enabled, ctx.check_nan)
    return ctx


def enter(rt, ctx: AnomalyMode) -> AnomalyMode:
    """A `with` block entered: what leave() restores."""
    before = ctx.before if ctx.before is not None else rt.anomaly
    rt.anomaly = (ctx.enabled, ctx.check_nan)
    return AnomalyMode(ctx.enabled, ctx.check_nan, before)


def leave(rt, ctx: AnomalyMode) -> None:
    rt.anomaly = ctx.before


FUNCTIONS = {
    "detect_anomaly": f_detect_anomaly, "set_detect_anomaly": f_set_detect_anomaly,
}


def f_set_anomaly_enabled(rt, enabled, check_nan=True):
    """torch.set_anomaly_enabled(enabled, check_nan=True): the mode set,
    as set_detect_anomaly sets it."""
    rt.anomaly = (_flag(enabled), _flag(check_nan, "check_nan", 2))


def torch_functions() -> dict:
    """torch.is_anomaly_enabled, ...: the mode's functions in torch itself
    (set_anomaly_enabled's arguments checked as PyTorch's parser checks
    them; imported here, as bool_args imports functions.py and this module
    is a leaf of it)."""
    from .arg_parser import forms
    from .bool_args import checked
    return {
        "is_anomaly_enabled": lambda rt: rt.anomaly[0],
        "is_anomaly_check_nan_enabled": lambda rt: rt.anomaly[1],
        "set_anomaly_enabled": checked(f_set_anomaly_enabled, "set_anomaly_enabled",
                                       forms("(bool enabled, bool check_nan = True)"),
                                       method=False),
    }


class CheckEveryNode(dict):
    """A reverse pass's node hooks (PassHooks.post) under anomaly mode: each
    recorded node's own hooks (own), then what it sends checked for NaN."""

    def __init__(self, own: dict | None):
        super().__init__()
        self.own = own or {}

    def __contains__(self, node) -> bool:
        return True

    def __missing__(self, node):
        own = self.own.get(node)

        def check(sent: list, g):
            if own is not None:
                sent = own(sent, g)
            for i, s in enumerate(sent):
                if s is not None and np.isnan(np.asarray(s)).any():
                    raise GradvizError(
                        f"Function '{node.grad_fn_name}' returned nan values in its {i}th "
                        "output.", kind=RUNTIME,
                        hint=f"the backward of line {node.span.line if node.span else '?'} made "
                             "a NaN (e.g. sqrt or log at 0 or below, 0/0): the tables show the "
                             "values it computed with")
            return sent
        return check
