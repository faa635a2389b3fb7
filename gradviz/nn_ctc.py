"""F.ctc_loss and nn.CTCLoss (speech and handwriting recognition's loss
over unaligned label sequences), as PyTorch's C++ ctc_loss composes it: the
CtcLossBackward0 node (ops/ctc.py), then zero_infinity's where, then the
reduction (each loss over its target's length, then the mean; or the sum);
with PyTorch's checks in the order of its ATen."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS

_CHECKS = " (while checking arguments for ctc_loss_allocate_outputs)"


def _lengths(fname: str, input_lengths, target_lengths) -> tuple:
    """The two lengths as int tuples: both tensors of integers, or both
    sequences of ints (PyTorch's two overloads)."""
    tensors = F.is_tensor(input_lengths), F.is_tensor(target_lengths)
    if tensors == (True, True):
        out = []
        for name, t in (("input_lengths", input_lengths), ("target_lengths", target_lengths)):
            if t.data.dtype.kind not in "iu":
                raise GradvizError(f"{name} must be integral", kind=RUNTIME,
                                   hint=f"{name} holds whole numbers: a long tensor")
            out.append(tuple(int(v) for v in t.data.reshape(-1)))
        return tuple(out)
    ints = [isinstance(v, (list, tuple)) and all(isinstance(i, int) and not isinstance(i, bool)
                                                 for i in v)
            for v in (input_lengths, target_lengths)]
    if tensors == (False, False) and all(ints):
        return tuple(input_lengths), tuple(target_lengths)
    raise GradvizError(f"{fname}() received an invalid combination of arguments - got (Tensor, "
                       f"Tensor, {F.arg_type_name(input_lengths)}, "
                       f"{F.arg_type_name(target_lengths)}, int, int, bool), but expected one of:",
                       kind=TYPE, hint="give both lengths as tensors, or both as lists of ints")


def _check(lp, targets, il: tuple, tl: tuple, blank: int) -> None:
    """ctc_loss_allocate_outputs' checks."""
    steps, batch, classes = lp.shape
    if not 0 <= blank < classes:
        raise GradvizError("blank must be in label range", kind=RUNTIME,
                           hint=f"blank is a class: 0 to {classes - 1}")
    for name, lengths in (("input_lengths", il), ("target_lengths", tl)):
        if len(lengths) != batch:
            raise GradvizError(f"{name} must be of size batch_size", kind=RUNTIME,
                               hint=f"one length per batch item: {batch}")
    for v in tl:
        if v < 0:
            raise GradvizError(f"Expected target_lengths to have value at least 0, but got value "
                               f"{v}{_CHECKS}", kind=RUNTIME, hint="lengths are >= 0")
    if targets.ndim == 1:
        if targets.shape[0] != sum(tl):
            raise GradvizError(f"Expected tensor to have size {sum(tl)} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets'{_CHECKS}",
                               kind=RUNTIME, hint="1-d targets are the items' targets one "
                                                  "after another: sum(target_lengths) labels")
    else:
        if targets.shape[0] != batch:
            raise GradvizError(f"Expected tensor to have size {batch} at dimension 0, but got "
                               f"size {targets.shape[0]} for argument #2 'targets'{_CHECKS}",
                               kind=RUNTIME, hint="2-d targets have a row per batch item")
        longest = max(tl, default=0)
        if targets.shape[1] < longest:
            raise GradvizError(f"Expected tensor to have size at least {longest} at dimension 1, "
                               f"but got size {targets.shape[1]} for argument #2 'targets'"
                               f"{_CHECKS}", kind=RUNTIME,
                               hint="each row holds its target (then any padding)")
    for v in il:
        if v < 0 or v > steps:
            raise GradvizError(f"Expected input_lengths to have value at "
                               f"{'least 0' if v < 0 else f'most {steps}'}, but got value {v}"
                               f"{_CHECKS}", kind=RUNTIME,
                               hint=f"each input length is 0 to the {steps} steps")
    labels = targets.astype(np.int64)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise GradvizError(f"ctc_loss: a target label is outside 0 to {classes - 1}",
                           kind=RUNTIME, hint="targets are class indices below the number of "
                                              "classes (log_probs.shape[-1])")


def f_ctc_loss(rt, log_probs, targets, input_lengths, target_lengths, blank=0,
               reduction="mean", zero_infinity=False):
    """F.ctc_loss(log_probs (T, N, C) or (T, C), targets (N, S) or 1-d,
    input_lengths, target_lengths): -log p(target | input) summed over the
    alignments, per item, then reduced."""
    reduction = F._reduction_arg(None, None, reduction)
    log_probs = F._need_tensor(log_probs, "ctc_loss", 1, "log_probs")
    targets = F._need_tensor(targets, "ctc_loss", 2, "targets")
    il, tl = _lengths("ctc_loss", input_lengths, target_lengths)
    if isinstance(blank, bool) or not isinstance(blank, int):
        raise GradvizError(f"ctc_loss(): argument 'blank' (position 5) must be int, not "
                           f"{F.arg_type_name(blank)}", kind=TYPE, hint="blank is a class index")
    batched = log_probs.data.ndim == 3
    lp = log_probs if batched else F.f_unsqueeze(rt, log_probs, 1)
    if lp.data.size == 0:
        raise GradvizError("log_probs tensor must not be empty", kind=RUNTIME,
                           hint="log_probs has time steps, batch items and classes")
    if lp.data.ndim != 3:
        raise GradvizError(f"Expected 3-dimensional tensor, but got {lp.data.ndim}-dimensional "
                           f"tensor for argument #1 'log_probs'{_CHECKS}", kind=RUNTIME,
                           hint="log_probs is (T, N, C), or (T, C) for one item")
    if not 1 <= targets.data.ndim <= 2:
        raise GradvizError(f"Expected 1 to 2 dimensions, but got {targets.data.ndim}-dimensional "
                           f"tensor for argument #2 'targets'{_CHECKS}", kind=RUNTIME,
                           hint="targets are (N, S) padded, or 1-d one after another")
    if lp.data.dtype.kind != "f":
        raise GradvizError(f"\"ctc_loss_cpu\" not implemented for '{F.type_word(lp.data.dtype)}'",
                           kind="NotImplementedError", hint="log_probs are float: "
                                                            "x.log_softmax(2)")
    _check(lp.data, targets.data, il, tl, int(blank))
    from .forward_ad import refuse_dual
    refuse_dual(rt, (lp,), "_ctc_loss", "use backward() for ctc_loss's gradient")
    res = rt.apply(OPS["ctc_loss"], (lp, targets),
                   {"input_lengths": il, "target_lengths": tl, "blank": int(blank),
                    "zero_infinity": bool(zero_infinity)})
    if zero_infinity:
        # (at::where(res == inf, zeros({}), res): a WhereBackward0 node)
        infinite = F._leaf(rt, np.isposinf(res.data), False, "mask")
        res = F.f_where(rt, infinite, F._leaf(rt, np.zeros((), res.data.dtype), False, "zeros"),
                        res)
    if reduction == "mean":
        lengths = np.maximum(np.asarray(tl, res.data.dtype), 1).astype(res.data.dtype)
        return F.FUNCTIONS["mean"](rt, rt.binary("/", res, F._leaf(rt, lengths, False, "tensor")))
    if reduction == "sum":
        return F.FUNCTIONS["sum"](rt, res)
    return res if batched else F.f_squeeze(rt, res, 0)


def torch_ctc_loss(rt, log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0,
                   zero_infinity=False):
    """torch.ctc_loss: F.ctc_loss with the reduction as ATen's number (1
    mean, 2 sum; any other, and by default, the losses themselves, as
    PyTorch runs it)."""
    F._number_arg("ctc_loss", "reduction", 6, reduction, "int")
    named = {1: "mean", 2: "sum"}.get(reduction, "none")
    return f_ctc_loss(rt, log_probs, targets, input_lengths, target_lengths, blank, named,
                      zero_infinity)


FUNCTIONS = {"ctc_loss": f_ctc_loss}
TORCH = {"ctc_loss": torch_ctc_loss}
