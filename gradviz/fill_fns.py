"""torch.fill(x, value), the out-of-place form of x.fill_(value),
torch.range(start, end, step), arange's deprecated kin that includes end,
and x.apply_(f), x.map_(y, f), x.map2_(y, z, f): x filled with a Python
function of its elements (and y's, z's), one element at a time.
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


def _python_number(v, dtype: np.dtype):
    """What the program's function returned, as an element of dtype:
    PyTorch converts it as its float(), int() or bool() conversion."""
    if v.__class__ not in (int, float, bool):
        raise GradvizError(f"must be real number, not {F.arg_type_name(v)}", kind="TypeError",
                           hint="the function returns a number for each element")
    if dtype.kind == "b":
        return bool(v)
    if dtype.kind in "iu":
        return int(v)
    with np.errstate(over="ignore"):
        return dtype.type(v)


def _map_elements(rt, name: str, x, others: tuple, fn):
    """x's elements (with others', broadcast to x's shape), in x's order,
    replaced by fn(x's, others'...): an in-place write of x no gradient
    goes through (PyTorch refuses a tensor that requires grad)."""
    if any(t.requires_grad for t in (x, *others)):
        raise GradvizError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.", kind=RUNTIME,
                           hint=f"x.detach().{name}(...) writes into x's values without the graph")
    for k, t in enumerate(others):
        if t.data.dtype != x.data.dtype:
            arg = ("'other'", "argument 'x'", "argument 'y'")[k + (name == "map2_")]
            raise GradvizError(f"{name}: expected {F.legacy_type(x.data.dtype)} for {arg} (got "
                               f"{F.legacy_type(t.data.dtype)})", kind="TypeError",
                               hint="convert it first: .to(x.dtype)")
        error = F.expand_error(t.data.shape, x.data.shape, t.data.dtype)
        if error is not None:
            raise error
    columns = [np.broadcast_to(t.data, x.data.shape).reshape(-1).tolist() for t in (x, *others)]
    values = [_python_number(rt.call_value(fn, list(row)), x.data.dtype) for row in zip(*columns)]
    out = np.array(values, x.data.dtype).reshape(x.data.shape)
    # (PyTorch's loop writes the elements without bumping x's version)
    return rt.change_in_place(x, lambda: F._leaf(rt, out, False, name), name, bump=False)


def m_apply_(rt, x, callable):
    return _map_elements(rt, "apply_", x, (), callable)


def m_map_(rt, x, tensor, callable):
    F._need_tensor(tensor, "map_", 1, "other")
    return _map_elements(rt, "map_", x, (tensor,), callable)


def m_map2_(rt, x, x1, x2, callable):
    F._need_tensor(x1, "map2_", 1, "x")
    F._need_tensor(x2, "map2_", 2, "y")
    return _map_elements(rt, "map2_", x, (x1, x2), callable)


METHODS = {"apply_": m_apply_, "map_": m_map_, "map2_": m_map2_}
FUNCTIONS = {
    "fill": checked(f_fill, "fill", FILL_FORMS, method=False),
    "range": checked(f_range, "range", forms(f"(Number start, Number end, Number step = 1, {OPTIONS})"), method=False),
}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)
    F.METHODS.update(METHODS)
    # (torch.fill_, alias_fns's wrapper of x.fill_, with its forms' errors)
    F.FUNCTIONS["fill_"] = checked(F.FUNCTIONS["fill_"], "fill_", FILL_FORMS, method=False)
