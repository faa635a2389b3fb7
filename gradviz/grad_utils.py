"""torch.nn.utils' gradient helpers: clip_grad_norm_, clip_grad_value_,
get_total_norm, clip_grads_with_norm_, parameters_to_vector,
vector_to_parameters.

Each runs PyTorch 2.13's own steps on CPU (its per-tensor path: the foreach
kernels are for accelerators), with gradients off, so the numbers are the
ones PyTorch computes: clip_grad_norm_ is the vector norm of each .grad,
the norm of those norms stacked, then every .grad multiplied in place by
min(max_norm / (total + 1e-6), 1).
"""
from __future__ import annotations

import math

from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .tensor import Tensor


def _tensors(rt, parameters, name: str) -> list:
    """A tensor, or an iterable of them, as PyTorch takes `parameters`."""
    from .functions import _walkable
    if parameters.__class__ is Tensor:
        return [parameters]
    items = list(_walkable(rt, parameters, name))
    for v in items:
        if v.__class__ is not Tensor:
            raise GradvizError(f"{name}() expects tensors, got {rt.type_name(v)}", kind=TYPE,
                               hint=f"{name}(model.parameters(), ...): the parameters")
    return items


def _norm_type(norm_type) -> float:
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)):
        raise GradvizError(f"norm_type must be a number, not {type(norm_type).__name__}",
                           kind=TYPE, hint="2.0 (the default), 1.0, or float('inf')")
    return float(norm_type)


def _no_grad(rt, compute):
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, False      # (PyTorch's @_no_grad)
    try:
        return compute()
    finally:
        tape.grad_enabled = enabled


def _vector_norm(rt, t: Tensor, p: float) -> Tensor:
    """linalg.vector_norm(t, p) of every element: the 0-, 1- and 2-norm as
    torch.norm computes them, inf the largest |x|, -inf the smallest,
    others (sum |x|^p)^(1/p)."""
    from .functions import FUNCTIONS, f_linalg_vector_norm
    if p in (0.0, 1.0, 2.0):       # (0: the count of non-zeros)
        return f_linalg_vector_norm(rt, t, p)
    a = FUNCTIONS["abs"](rt, t)
    if p == math.inf:
        return FUNCTIONS["amax"](rt, a)
    if p == -math.inf:
        return FUNCTIONS["amin"](rt, a)
    return rt.binary("**", FUNCTIONS["sum"](rt, rt.binary("**", a, p)), 1.0 / p)


def _total_norm(rt, grads: list, norm_type: float, error_if_nonfinite: bool):
    from .functions import FUNCTIONS
    if not grads:
        return FUNCTIONS["tensor"](rt, 0.0)
    # grouped by dtype (and device) as PyTorch groups them, first seen first
    groups: dict = {}
    for g in grads:
        groups.setdefault(g.data.dtype, []).append(g)
    norms = [_vector_norm(rt, g, norm_type) for group in groups.values() for g in group]
    total = _vector_norm(rt, FUNCTIONS["stack"](rt, norms), norm_type)
    value = float(total.data)
    if error_if_nonfinite and not math.isfinite(value):
        raise GradvizError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`",
            kind=RUNTIME, hint="a gradient holds NaN or inf: find where (the tables' warnings "
                               "name the first tensor that holds one)")
    return total


def python_float(v, hint: str) -> float:
    """float(v) with Python's and PyTorch's errors (a one-element tensor is
    its number)."""
    from .interpreter import Interpreter
    return _float(Interpreter, v, hint)


def _float(rt, v, hint: str) -> float:
    """float(v) with Python's and PyTorch's errors (a one-element tensor is
    its number)."""
    if v.__class__ is Tensor:
        if v.data.size != 1:
            raise GradvizError("only one element tensors can be converted to Python scalars",
                               kind=VALUE, hint=hint)
        return float(v.data.reshape(()))
    if v.__class__ is str:
        try:
            return float(v)
        except ValueError:
            raise GradvizError(f"could not convert string to float: {v!r}", kind=VALUE,
                               hint=hint) from None
    if not isinstance(v, (int, float)):
        raise GradvizError(f"float() argument must be a string or a real number, not "
                           f"'{rt.type_name(v)}'", kind=TYPE, hint=hint)
    return float(v)


def _scale(rt, grads: list, max_norm, total: Tensor) -> None:
    from .functions import f_clamp
    max_norm = _float(rt, max_norm, "clip_grad_norm_(model.parameters(), max_norm=1.0)")
    coef = rt.binary("/", max_norm, rt.binary("+", total, 1e-6))
    coef = f_clamp(rt, coef, None, 1.0)
    for g in grads:
        rt.update_in_place(g, "*", coef, rt.span, "mul_")


def f_clip_grad_norm_(rt, parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                      foreach=None):
    params = _tensors(rt, parameters, "clip_grad_norm_")
    norm_type = _norm_type(norm_type)
    grads = [p.grad for p in params if p.grad is not None]

    def run():
        total = _total_norm(rt, grads, norm_type, error_if_nonfinite)
        if grads:
            _scale(rt, grads, max_norm, total)
        return total
    return _no_grad(rt, run)


def f_get_total_norm(rt, tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    items = _tensors(rt, tensors, "get_total_norm")
    norm_type = _norm_type(norm_type)
    return _no_grad(rt, lambda: _total_norm(rt, items, norm_type, error_if_nonfinite))


def f_clip_grads_with_norm_(rt, parameters, max_norm, total_norm, foreach=None):
    grads = [p.grad for p in _tensors(rt, parameters, "clip_grads_with_norm_")
             if p.grad is not None]
    if grads:
        _no_grad(rt, lambda: _scale(rt, grads, max_norm, total_norm))


def f_clip_grad_value_(rt, parameters, clip_value, foreach=None):
    from .functions import f_clamp
    params = _tensors(rt, parameters, "clip_grad_value_")
    clip_value = _float(rt, clip_value, "clip_grad_value_(model.parameters(), 0.5)")

    def run():
        for p in params:
            g = p.grad
            if g is not None:          # grad.clamp_(min=-clip_value, max=clip_value)
                rt.change_in_place(g, lambda g=g: f_clamp(rt, g, -clip_value, clip_value),
                                   "clamp_")
    _no_grad(rt, run)


def f_parameters_to_vector(rt, parameters):
    """torch.cat([p.view(-1) for p in parameters]): a vector that keeps the graph."""
    from .functions import FUNCTIONS, METHODS
    params = _tensors(rt, parameters, "parameters_to_vector")
    return FUNCTIONS["cat"](rt, [METHODS["view"](rt, p, -1) for p in params])


def f_vector_to_parameters(rt, vec, parameters):
    """Each parameter's .data replaced by its slice of vec (PyTorch's
    param.data = vec[pointer:pointer + n].view_as(param))."""
    if vec.__class__ is not Tensor:
        raise GradvizError(f"expected torch.Tensor, but got: {rt.type_name(vec)}", kind=TYPE,
                           hint="vector_to_parameters(vec, model.parameters())")
    params = _tensors(rt, parameters, "vector_to_parameters")
    pointer = 0
    for p in params:
        n = p.data.size
        piece = vec.data.reshape(-1)[pointer:pointer + n]
        if piece.size != n:       # (vec too short: PyTorch's view_as fails)
            raise GradvizError(f"shape '{list(p.data.shape)}' is invalid for input of size "
                               f"{piece.size}", kind=RUNTIME,
                               hint="vec holds every parameter's numbers: make it with "
                                    "parameters_to_vector of the same parameters")
        piece = piece.reshape(p.data.shape)
        rt.set_attribute(p, "data", Tensor(piece.copy()))
        pointer += n


FUNCTIONS = {
    "clip_grad_norm_": f_clip_grad_norm_,
    "clip_grad_value_": f_clip_grad_value_, "get_total_norm": f_get_total_norm,
    "clip_grads_with_norm_": f_clip_grads_with_norm_,
    "parameters_to_vector": f_parameters_to_vector,
    "vector_to_parameters": f_vector_to_parameters,
}
