"""The op registry: each differentiable op defined once, forward beside its
VJP and JVP, with PyTorch's grad_fn name and the formula a learner reads.

Rules take the arrays they need as arguments, never from closures:
  forward(xs, p)          -> ans            xs: arrays (or Python numbers)
  vjp[i](g, ans, xs, p)   -> grad of input i (before unbroadcasting)
  jvp[i](t, ans, xs, p)   -> tangent contribution of input i
p is the dict of keyword parameters. The registry (OPS) is the only global
state in gradviz, with the JVP memo while forward mode runs (jvp_memo).
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import GradvizError, RUNTIME
from .summation import torch_sum

OPS: dict[str, "OpDef"] = {}

# how an op's output dtype follows its inputs (PyTorch's type promotion)
PROMOTE = "promote"      # elementwise arithmetic: bool < int64 < float
FLOAT = "float"          # like PROMOTE, but integer results become float32
BOOL = "bool"            # comparisons
SAME = "same"            # output dtype comes from forward itself


@dataclass(frozen=True, slots=True)
class OpDef:
    """One differentiable op: its forward, VJP and JVP rules side by side
    and what PyTorch calls it. (A docstring also spares dataclass()
    building one from the signature, a few ms of every start-up.)"""
    name: str                       # DSL name: "mul", "sum", "matmul"
    grad_fn: str | Callable         # "MulBackward0", or f(tensor) -> name
    forward: Callable
    vjp: tuple                      # one rule per input (None: not differentiable)
    jvp: tuple                      # one rule per input
    formula: tuple                  # per input, e.g. "d(a*b)/da = b"
    symbol: str                     # how the DSL writes it: "*", "tanh", ".sum"
    saves: bool = True              # saves tensors for backward (freed after it)
    # per input, what PyTorch saves for its VJP and checks against in-place
    # writes at backward (versions.py): "0", "1" inputs, "r" the result; a
    # callable(node) -> that tuple where it depends on the call; () nothing
    saved: tuple | Callable = ()
    # the order PyTorch's backward unpacks (and so checks) what it saved,
    # where that is not the order of `saved`: its node's fields, the inputs
    # by their argument names alphabetically (other_ before self_, tensor1_
    # before tensor2_), then the result; "" keeps `saved`'s order
    saved_order: str = ""
    # its VJPs read inputs (or the result) that PyTorch does not save, as it
    # saves an intermediate of its own instead (the reciprocal of `2 / x`,
    # cross_entropy's log-probabilities): after an in-place write they read
    # them as they were when the op ran (Versions.as_made), as PyTorch's
    # intermediate still is
    reads_unsaved: bool = False
    dtype_rule: str = PROMOTE
    # its tensor inputs are cast to the result's dtype before it runs, as
    # PyTorch's elementwise kernels compute in the common dtype (numpy would
    # compute a 0-d float64 next to a float32 tensor in float64)
    common_dtype: bool = False
    # (with common_dtype) a bool tensor operand reaches its VJP rules as it
    # is, not cast to the common dtype (as every operand reaches its JVP
    # rules): pow's, whose PyTorch backward computes `exponent - 1` and so
    # fails on a bool exponent
    uncast_bool: bool = False
    differentiable: bool = True
    variadic: bool = False          # inputs are a list (cat, stack)
    check: Callable | None = None   # check(xs, p) -> output size; raises PyTorch's shape errors
    doc: str = ""
    # an elementwise op's forward as f(*xs), for the common case where the
    # result needs no broadcasting and no type promotion (Tape.apply calls
    # it without the checks forward needs): on arrays, what forward computes;
    # on numpy scalars (0-d float tensors), the same IEEE result as numpy's
    # ufuncs on 0-d arrays at a tenth of the cost. Set only where the VJP
    # rules also work on numpy scalars (backward then runs them on scalars).
    scalar: Callable | None = None
    # the op PyTorch records with no derivative (grad_fn NotImplemented): its
    # rules raise PyTorch's error for backward through it (no_derivative())
    no_derivative: str | None = None
    # its rules are the program's own code (a custom torch.autograd.Function:
    # see classes.custom_op): vjp[0](g, ans, xs, p) gives every input's
    # gradient (or None) in one call, which the reverse pass makes once per
    # node, and it has no JVP
    custom: bool = False
    # formula_for(params) -> the formula of a call with params, where they
    # change it (add's alpha= scales other's derivative); None: formula
    formula_for: Callable | None = None
    # for an op that is one output of several of one PyTorch node (eigh's
    # values and vectors, a split's pieces: functions.numbered_outputs):
    # joint(outs, xs, p) -> each input's gradient (or None), from all the
    # outputs' gradients at once, as PyTorch's node computes them in one
    # call; outs maps output_nr -> (that output's node, its gradient) for the
    # outputs the pass reached (run_backward gathers them)
    joint: Callable | None = None

    def grad_fn_for(self, t) -> str:
        gf = self.grad_fn
        return gf if isinstance(gf, str) else gf(t)


def output_grads(outs: dict, n: int) -> list:
    """The gradients of a node's n outputs by output_nr (None: none came),
    from what run_backward gathered (OpDef.joint)."""
    grads = [None] * n
    for nr, (_, g) in outs.items():
        grads[nr] = g
    return grads


NOT_IMPLEMENTED = "NotImplemented"      # the grad_fn of an op with no derivative


def no_derivative(aten: str, inputs: int = 2, named: str | None = None) -> dict:
    """defop's arguments for an op PyTorch records without a derivative
    (`x // 2`): grad_fn NotImplemented, and rules that raise its error
    (which names it named, where that is not aten::NAME: set_'s node is
    made by hand)."""
    def rule(*_):
        raise GradvizError(f"derivative for {named or 'aten::' + aten} is not implemented",
                           kind=RUNTIME,
                           hint="this op has no gradient in PyTorch; compute it on "
                                ".detach()ed values")
    return {"grad_fn": NOT_IMPLEMENTED, "vjp": (rule,) * inputs, "jvp": (rule,) * inputs,
            "formula": ("no derivative (PyTorch's NotImplemented)",), "no_derivative": aten,
            "saves": False}


def defop(name, grad_fn, forward, vjp=(), jvp=(), formula=(), symbol=None, **kw) -> OpDef:
    op = OpDef(name=name, grad_fn=grad_fn, forward=forward, vjp=tuple(vjp),
               jvp=tuple(jvp), formula=tuple(formula), symbol=symbol or name, **kw)
    OPS[name] = op
    return op


# Forward mode runs each op's JVP rule once per input element, over the
# same inputs every time: what a rule derives from its inputs alone (the
# attention weights, a normalization's statistics) is kept here for the
# length of such a run (None outside one), keyed on the very arrays it came
# from (held in the entry, so an id is never reused while it is kept)
_JVP_MEMO: dict | None = None


@contextmanager
def jvp_memo():
    """A run of JVP passes over unchanging inputs (forward.forward_gradients)."""
    global _JVP_MEMO
    outer, _JVP_MEMO = _JVP_MEMO, {} if _JVP_MEMO is None else _JVP_MEMO
    try:
        yield
    finally:
        _JVP_MEMO = outer


def memo(tag: str, sources: tuple, compute: Callable):
    """compute(), computed once per (tag, sources) inside jvp_memo(); sources
    are the arrays (and the params dict) the value depends on."""
    if _JVP_MEMO is None:
        return compute()
    key = (tag, *map(id, sources))
    hit = _JVP_MEMO.get(key)
    if hit is None or any(a is not b for a, b in zip(hit[0], sources)):
        hit = _JVP_MEMO[key] = (sources, compute())
    return hit[1]


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back to an operand's shape, as PyTorch's
    sum_to: one sum over the leading axes broadcasting added and the axes
    where the operand had size 1, in PyTorch's order where it is known."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, s in enumerate(shape)
                                       if s == 1 and g.shape[i + extra] != 1)
    if not axes:
        return g.reshape(shape)
    total = torch_sum(g, axes) if g.dtype.kind == "f" else None
    if total is None:
        total = g.sum(axis=axes)
    return total.reshape(shape)


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast shape, or PyTorch's error for sizes that do not fit."""
    if a == b:
        return a
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    # PyTorch's infer_size compares from the last dim: the first misfit from the right is named
    for i in range(n - 1, -1, -1):
        x, y = pa[i], pb[i]
        if x != y and x != 1 and y != 1:
            raise GradvizError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) "
                f"at non-singleton dimension {i}", kind=RUNTIME,
                hint=f"shapes {list(a)} and {list(b)} do not broadcast: sizes must be "
                     "equal or 1, compared from the right")
    return tuple(max(x, y) if min(x, y) != 0 else 0 for x, y in zip(pa, pb))


def bcast_check(xs, p) -> int | None:
    """Shape check of an elementwise op: the broadcast shape's size, or None
    when there is only one array (its size is already allowed)."""
    if len(xs) == 2:      # the common case, fast: a number, or two arrays of one shape
        a, b = xs
        if a.__class__ is not np.ndarray or b.__class__ is not np.ndarray or a.shape == b.shape:
            return None
    shape = None
    arrays = 0
    for x in xs:
        if x.__class__ is np.ndarray:
            arrays += 1
            shape = x.shape if shape is None else broadcast_shape(shape, x.shape)
    return None if arrays < 2 else math.prod(shape)
