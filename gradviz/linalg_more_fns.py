"""torch's bias-plus-product functions (addmm, addmv, addr, baddbmm,
addbmm, with beta= and alpha=), their methods and in-place forms, ger and
vdot, and the factories logspace and scalar_tensor."""
from __future__ import annotations

import numpy as np

from . import functions as F, inplace_views, strides
from .errors import GradvizError, RUNTIME, TYPE
from .ops import OPS
from .selection import _as_method
from .tensor import is_view
from .versions import owner


# torch.addmm and torch.baddbmm have a second form (out_dtype): a wrong beta
# or alpha is their "invalid combination"; their methods' and the other
# functions' is the argument's own (and their deprecated form's warning
# lists both forms)
_OVERLOADED = ("addmm", "baddbmm")


def _scale(name: str, arg: str, v, call: tuple, given: dict, overloaded: bool):
    """beta or alpha as a Python number (a one-element tensor's value), or
    PyTorch's TypeError for one that is not a Number."""
    if F.is_tensor(v) and v.data.ndim == 0:
        return v.data.item()
    if isinstance(v, (bool, int, float)) and not F.is_tensor(v):
        return v
    if overloaded:
        raise F.invalid_combination(name, call, keywords=given,
                                    hint=f"{arg} is a number: {name}(..., {arg}=0.5)")
    raise GradvizError(f"{name}(): argument '{arg}' must be Number, not {F.arg_type_name(v)}",
                       kind=TYPE, hint=f"{arg} is a number: {name}(..., {arg}=0.5)")


def scale_params(name: str, call: tuple, beta, alpha, overloaded=False) -> dict | None:
    """The op's params for beta= and alpha= (None for the plain sum, so that
    it keeps its own forward); NAME as the errors name the function."""
    given = {k: v for k, v in (("beta", beta), ("alpha", alpha))
             if F.is_tensor(v) or v is not True and v != 1}
    beta = _scale(name, "beta", beta, call, given, overloaded)
    alpha = _scale(name, "alpha", alpha, call, given, overloaded)
    return None if beta == 1 and alpha == 1 else {"beta": beta, "alpha": alpha}


def _bias_product(name: str, args: tuple[str, str], label=None):
    """torch.NAME(input, a, b, *, beta=1, alpha=1) = beta * input + alpha *
    (product of a and b): one node of the op NAME, PyTorch's argument names
    in its errors (which name it LABEL: a method's or in-place form's own)."""
    def f(rt, input, first, second, *, beta=1, alpha=1):
        fname = label or name
        xs = (F._need_tensor(input, fname, 1, "input"),
              F._need_tensor(first, fname, 2, args[0]),
              F._need_tensor(second, fname, 3, args[1]))
        p = scale_params(fname, xs, beta, alpha, overloaded=label is None and name in _OVERLOADED)
        return rt.apply(OPS[name], xs, p)
    f.__name__ = name
    return f


def _beta_first(name: str, f, label=None):
    """f, taking the deprecated forms of addmm, addmv, addr, addbmm and
    baddbmm too, beta (and alpha) first: torch.addmm(beta, input, [alpha,]
    mat1, mat2) and x.addmm(beta, [alpha,] mat1, mat2) (LABEL: the method's
    name), with PyTorch's warning."""
    def g(rt, input, first, second, *rest, beta=1, alpha=1):
        scale = first if label else input
        if rest and not F.is_tensor(scale) and len(rest) <= 2:
            inp, scales_and_factors = (input, (first, second, *rest)) if label else \
                (first, (input, second, *rest))
            beta, *alphas, first, second = scales_and_factors
            alpha = alphas[0] if alphas else alpha
            _warn_beta_first(rt, name, label or name, inp, bool(alphas),
                             method=label is not None)
            return f(rt, inp, first, second, beta=beta, alpha=alpha)
        return f(rt, input, first, second, *rest, beta=beta, alpha=alpha)
    g.__name__ = f.__name__
    return g


def _warn_beta_first(rt, name: str, fname: str, x, alpha: bool, method: bool) -> None:
    """PyTorch's UserWarning for a deprecated form of NAME (its words of
    the form the call took, and of the forms to use instead; fname: the
    name called, x.addmm_'s own)."""
    scales = "Number beta, " + ("Number alpha, " if alpha else "")
    factors = "Tensor {}, Tensor {}".format(*_FACTORS[name])
    if method:
        old = f"{fname}({scales}{factors})"
        new = [f"{fname}({factors}, *, Number beta = 1, Number alpha = 1)"]
    else:
        old = (f"{fname}(Number beta, Tensor input, {scales[13:]}{factors}, *, "
               "Tensor out = None)")
        new = [f"{fname}(Tensor input, {factors}, {dtype}*, Number beta = 1, "
               "Number alpha = 1, Tensor out = None)"
               for dtype in ("", "torch.dtype out_dtype, ") if not dtype or name in _OVERLOADED]
    F.warn_deprecated_form(rt, x, fname, old, new)


def _factor_names(factors: tuple, m):
    """The method m, taking its factors by PyTorch's names too
    (x.addmm(mat1=a, mat2=b)), which it calls first and second."""
    def named(rt, x, *args, **kw):
        if kw and not kw.keys().isdisjoint(factors):
            kw = {("first", "second")[factors.index(k)] if k in factors else k: v
                  for k, v in kw.items()}
        return m(rt, x, *args, **kw)
    named.__name__ = m.__name__
    return named


def _in_place(name: str, f):
    """x.NAME_(a, b): torch.NAME(x, a, b) written into x, which must have
    the product's shape already (PyTorch's "Bad in-place call" otherwise:
    an in-place product does not broadcast its bias)."""
    method = _as_method(name + "_", f)

    def compute(rt, x, args, kw):
        out = method(rt, x, *args, **kw)
        if name == "addbmm" and out.data.shape != x.data.shape:
            if out.recorded:
                return _resized_recorded(rt, x, out, lambda: method(rt, x, *args, **kw))
            _resize_for(rt, x, out)
            rt.tape.discard(out)
            out = method(rt, x, *args, **kw)      # (x, resized, the bias now)
        if out.data.shape != x.data.shape:
            raise GradvizError(f"Bad in-place call: input tensor size {list(x.data.shape)} and "
                               f"output tensor size {list(out.data.shape)} should match",
                               kind=RUNTIME, hint=f"x.{name}_ writes the product into x: give "
                                                  f"x its shape, or use torch.{name}")
        return out

    def m(rt, x, *args, **kw):
        if name == "addr":
            _addr_in_place_check(x, args)
        before = x.data, x.meta
        out = rt.change_in_place(x, lambda: compute(rt, x, args, kw), name + "_", args)
        if out is not x and x.data.shape != before[0].shape:
            # the node x was (an input of out's) keeps its value and shape
            # through the resize: its gradient is summed back to that shape
            x.data = before[0].copy()
            x.meta = {k: v for k, v in x.meta.items()
                      if k != "layout" or "layout" in (before[1] or {})}
        return out
    m.__name__ = name + "_"
    return m


def _resized_recorded(rt, x, out, again):
    """x.addbmm_(b1, b2) recorded, into an x of another shape: out, the
    product with x as the bias (its gradient x's, summed to x's shape), on
    x's memory resized as _resize_for resizes it, with its values (again():
    the product made, gradients off, with x resized as the bias)."""
    if is_view(x):
        raise GradvizError(f"gradviz does not record x.addbmm_() into a view x of another "
                           f"shape ({list(x.data.shape)}, the product "
                           f"{list(out.data.shape)}): PyTorch resizes x in place",
                           kind=RUNTIME, hint="write it out of place: x = torch.addbmm(x, b1, b2)")
    def resized():
        _resize_for(rt, x, out)
        return again()
    value = rt._with_grad_off(resized)
    rt.tape.discard(value)
    out.data = value.data
    return out


def _resize_for(rt, x, out) -> None:
    """x.addbmm_(b1, b2) into an x of another shape, which broadcast as the
    bias: PyTorch resizes x to the product's shape (its memory grown as
    resize_ grows it), then copies x's old elements, expanded, over it
    (_expanded_bias), before the products are added."""
    old_strides, start = strides.layout(x)
    old_shape = x.data.shape
    inplace_views.resize_memory(rt, x, out.data.shape)
    store = owner(x.data)
    if store.flags.c_contiguous and store.dtype == x.data.dtype:
        _expanded_bias(store.reshape(-1), old_shape, old_strides, start, out.data.shape)


def _expanded_bias(flat, old_shape, old_strides, start: int, shape) -> None:
    """PyTorch's copy of x as it was (old_shape over old_strides, from start:
    expanded to shape) into x resized (shape, contiguous, from start), on
    the same memory, element after element in order: an element read after
    its place was written gives the value written there (x of shape [2, 1]
    becomes its first element all over)."""
    lead = len(shape) - len(old_shape)
    steps = [0] * lead + [st if n != 1 else 0 for st, n in zip(old_strides, old_shape)]
    src = start + sum(np.arange(n).reshape((-1,) + (1,) * (len(shape) - 1 - d)) * st
                      for d, (n, st) in enumerate(zip(shape, steps)))
    src = np.broadcast_to(src, shape).reshape(-1) - start
    values = flat[src + start].copy()
    for k in np.flatnonzero(src < np.arange(src.size)):
        values[k] = values[src[k]]        # (written already: its new value)
    flat[start:start + values.size] = values


def _addr_in_place_check(x, args):
    """x.addr_(v1, v2): PyTorch's own words for an x that is not a matrix of
    len(v1) rows and len(v2) columns (unlike torch.addr's broadcast error)."""
    if F.is_tensor(x) and x.data.ndim != 2:
        raise GradvizError(f"2D tensor expected, got {x.data.ndim}D tensor for input",
                           kind=RUNTIME, hint="x.addr_(v1, v2) adds into a matrix")
    vecs = args[:2]
    if len(vecs) == 2 and all(F.is_tensor(v) and v.data.ndim == 1 for v in vecs) \
            and x.data.shape != (vecs[0].data.shape[0], vecs[1].data.shape[0]):
        raise GradvizError(f"size mismatch, input: {list(x.data.shape)}, v1: "
                           f"{list(vecs[0].data.shape)}, v2: {list(vecs[1].data.shape)}",
                           kind=RUNTIME, hint="x must be (len(v1), len(v2))")


def _vector_pair(name: str, op: str, second: str):
    """torch.NAME(input, SECOND): the op of two vectors (ger is outer's
    older name, its node MulBackward0; vdot is dot's kin, VdotBackward0)."""
    @F.tensors_only
    def f(rt, input, other):
        return rt.apply(OPS[op], (F._need_tensor(input, name, 1),
                                  F._need_tensor(other, name, 2, second)))
    f.__name__ = name
    return f


def _number(fname: str, arg: str, pos: int, v):
    if F.is_tensor(v) or not isinstance(v, (int, float)):
        raise GradvizError(f"{fname}(): argument '{arg}' (position {pos}) must be Number, not "
                           f"{F.arg_type_name(v)}", kind="TypeError",
                           hint=f"{fname} takes a Python number")
    return v


def f_logspace(rt, start, end, steps, base=10.0, *, dtype=None, requires_grad=False):
    """base ** linspace(start, end, steps), as PyTorch's CPU kernel computes
    it: in double, pow(base, start + step * i) for the first half and
    pow(base, end - step * (steps - 1 - i)) for the rest, then cast."""
    start, end = (F.range_end("logspace", v, which) for v, which in ((start, "start"),
                                                                     (end, "end")))
    if steps < 0:
        raise GradvizError("number of steps must be non-negative", kind=RUNTIME,
                           hint="steps counts the points: 0 or more")
    dt = np.dtype(F._dtype_arg(dtype) or F.F32)
    values = _logspace(dt, start, end, steps, base)
    return F._leaf(rt, values.astype(dt), requires_grad, "logspace")


def _logspace(dt, start, end, steps: int, base) -> np.ndarray:
    """PyTorch's CPU kernel: the step (end - start in dt) / (steps - 1) in
    double, pow(base, start + step * i) for the first half and pow(base,
    end - step * (steps - 1 - i)) for the rest in double (an integer
    dtype's base a C float), cast to dt."""
    lo, hi = dt.type(start), dt.type(end)
    if steps == 1:          # (the kernel's own case: base ** start)
        hi = lo
    step = np.float64(hi - lo) / (steps - 1) if steps > 1 else 0.0
    i = np.arange(steps)
    exponents = np.where(i < steps // 2, np.float64(lo) + step * i,
                         np.float64(hi) - step * (steps - 1 - i))
    b = np.float64(base) if dt.kind == "f" else np.float64(np.float32(base))
    return np.power(b, exponents).astype(dt)


def f_scalar_tensor(rt, s, *, dtype=None, requires_grad=False):
    """torch.scalar_tensor(s): a 0-d tensor of the number s (float32 unless
    dtype says otherwise, whatever the number's type)."""
    _number("scalar_tensor", "s", 1, s)
    dt = np.dtype(F._dtype_arg(dtype) or F.F32)
    F.checked_float(s, dt)
    return F._leaf(rt, np.asarray(s).astype(dt), requires_grad, "scalar_tensor")


_CHAIN_MATMUL_WARNING = (
    "torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
    "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
    "multiple parameters.")


def f_chain_matmul(rt, *matrices):
    """torch.chain_matmul(A, B, ...): linalg.multi_dot of the matrices (one
    alone is cloned), with PyTorch's deprecation warning, given once."""
    if not matrices:
        raise GradvizError("chain_matmul(): Expected one or more matrices", kind=RUNTIME,
                           hint="give the matrices to multiply: chain_matmul(A, B, C)")
    ts = [F._need_tensor(m, "chain_matmul", i + 1, "matrices") for i, m in enumerate(matrices)]
    F.warn_once(rt, ts[0], _CHAIN_MATMUL_WARNING)       # (from a line of torch/functional.py)
    for t in ts:
        if t.data.ndim != 2:
            raise GradvizError(f"Tensor dimension is {t.data.ndim}, expected 2 instead.",
                               kind=RUNTIME, hint="chain_matmul multiplies matrices only")
    if len(ts) == 1:
        return F.METHODS["clone"](rt, ts[0])
    return F.LINALG["multi_dot"](rt, ts)


# PyTorch's names of each product's two factors
_FACTORS = {"addmv": ("mat", "vec"), "addr": ("vec1", "vec2"), "addmm": ("mat1", "mat2"),
            "baddbmm": ("batch1", "batch2"), "addbmm": ("batch1", "batch2")}
# (addmm: F.linear's node on a 2-d input, AddmmBackward0)
# (each takes its deprecated forms, beta first)
FUNCTIONS = {name: _beta_first(name, _bias_product(name, factors))
             for name, factors in _FACTORS.items()}
FUNCTIONS.update({
    "ger": _vector_pair("ger", "outer", "vec2"), "vdot": _vector_pair("vdot", "vdot", "other"),
    "logspace": f_logspace, "chain_matmul": f_chain_matmul, "scalar_tensor": f_scalar_tensor,
})


def f_addmv_(rt, input, mat, vec, *, beta=1, alpha=1):
    """torch.addmv_(input, mat, vec): input.addmv_(mat, vec)."""
    return METHODS["addmv_"](rt, input, mat, vec, beta=beta, alpha=alpha)


def _methods() -> dict:
    """x.NAME(a, b) and x.NAME_(a, b) of each bias-plus-product, ger, vdot."""
    methods = {}
    for name, factors in _FACTORS.items():
        method, in_place = (_beta_first(name, _bias_product(name, factors, label=label), label)
                            for label in (name, name + "_"))
        methods[name] = _factor_names(factors, _as_method(name, method))
        methods[name + "_"] = _factor_names(factors, _in_place(name, in_place))
    methods.update({name: F.tensors_only(_as_method(name, FUNCTIONS[name]))
                    for name in ("ger", "vdot")})
    return methods


METHODS = _methods()
FUNCTIONS["addmv_"] = f_addmv_
