"""torch.fill(x, value), the out-of-place form of x.fill_(value), and
torch.range(start, end, step), arange's deprecated kin that includes end.
Loaded at the end of functions.py, whose tables it fills (install()); the
fill op is in ops/fill.py."""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .arg_parser import forms
from .bool_args import OPTIONS, checked
from .errors import RUNTIME, GradvizError
from .ops import OPS


def f_fill(rt, input, value):
    """A tensor of input's shape and dtype holding value (a number, or a 0-d
    tensor whose gradient is the sum of the result's)."""
    if F.is_tensor(value):
        if value.data.ndim:
            raise GradvizError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.data.ndim} dimensions.", kind=RUNTIME,
                               hint="fill with a number, or a 0-d tensor: v.reshape(())")
        return rt.apply(OPS["fill"], (input, value))
    value = F.checked_fill(value, input.data.dtype, input.data.size)
    return rt.apply(OPS["fill"], (input,), {"value": value})


RANGE_WARNING = ("torch.range is deprecated and will be removed in a future release because "
                 "its behavior is inconsistent with Python's range builtin. Instead, use "
                 "torch.arange, which produces values in [start, end).")


def _range_number(v, name: str, pos: int):
    from .norm_fns import number_arg
    return number_arg("range", name, v, pos)


def f_range(rt, start, end, step=1, *, out=None, dtype=None, layout=None, device=None,
            pin_memory=False, requires_grad=False):
    """start, start + step, ... up to end, end included: PyTorch's kernel,
    start + i * step in double (in int64 for an integer dtype), then cast;
    with its deprecation warning, once."""
    numbers = [_range_number(v, name, i + 1)
               for i, (v, name) in enumerate(((start, "start"), (end, "end"), (step, "step")))]
    dt = F._dtype_arg(dtype) or rt.tape.default_dtype
    acc = float if dt.kind in "fc" else int          # (PyTorch's accumulate type)
    lo, hi, step = map(acc, numbers)
    if step == 0:
        raise GradvizError("step must be nonzero", kind=RUNTIME, hint="step=1, step=0.5, ...")
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GradvizError(f"unsupported range: {lo:g} -> {hi:g}", kind=RUNTIME,
                           hint="a range's ends are finite numbers")
    if not (step > 0 and hi >= lo or step < 0 and hi <= lo):
        raise GradvizError("upper bound and lower bound inconsistent with step sign",
                           kind=RUNTIME, hint="going down takes a negative step: "
                                              "torch.range(4, 1, -1)")
    # (C++'s division: an int64 one rounds towards zero, as int() does)
    size = int((hi - lo) / step + 1) if acc is float else int(abs(hi - lo) // abs(step)) + 1
    values = lo + np.arange(size, dtype=np.float64 if acc is float else np.int64) * step
    t = F._leaf(rt, values.astype(dt), requires_grad, "range")
    if not any(ev.get("message") == RANGE_WARNING for ev in rt.tape.events):
        rt.log_event("user_warning", t, message=RANGE_WARNING)
    return t


# PyTorch's forms of torch.fill and torch.fill_ (a Tensor value or a Number)
FILL_FORMS = forms("(Tensor input, Tensor value)", "(Tensor input, Number value)")

FUNCTIONS = {
    "fill": checked(f_fill, "fill", FILL_FORMS, method=False),
    "range": checked(f_range, "range", forms(f"(Number start, Number end, Number step = 1, {OPTIONS})"), method=False),
}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    # (torch.fill_, alias_fns's wrapper of x.fill_, with its forms' errors)
    F.FUNCTIONS["fill_"] = checked(F.FUNCTIONS["fill_"], "fill_", FILL_FORMS, method=False)
