"""torch's order statistics and further reductions, with PyTorch's argument
checks: median, nanmedian, kthvalue, mode (torch.return_types with
indices), cummax, cummin, logcumsumexp, nansum, nanmean, std_mean,
var_mean, aminmax, quantile, nanquantile, count_nonzero, argwhere, isin, and
torch.cosine_similarity / pairwise_distance (F's). Loaded at the end of
functions.py, whose tables it fills; the ops are in ops/order_stats.py."""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import selection
from .errors import INDEX, RUNTIME, TYPE, GradvizError
from .ops import OPS
from .ops.order_stats import running_index, select_index
from .tensor import Tensor

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _int_arg(fn: str, name: str, v, position: int | None = None) -> int:
    v = F.read_int(v)           # (a 0-dim integer tensor is PyTorch's int too)
    if isinstance(v, bool) or not isinstance(v, int):
        where = f" (position {position})" if position else ""
        raise GradvizError(f"{fn}(): argument '{name}'{where} must be int, not "
                           f"{F.arg_type_name(v)}",
                           kind=TYPE, hint=f"{name} is a whole number, e.g. {fn}(x, {name}=0)")
    return v


def _indices(rt, idx, name: str) -> Tensor:
    return rt.tape.add(Tensor(np.asarray(idx, np.int64)), rt.span, label=f"{name}.indices")


def _picked(rt, x, name: str, dim, keepdim, **extra):
    """median(dim), nanmedian(dim), kthvalue, mode: values and indices."""
    d = F._dim(_int_arg(name, "dim", dim, 3 if name == "kthvalue" else 2), x.data.ndim)
    if x.data.ndim and x.data.shape[d] == 0:
        raise GradvizError(f"{name}(): Expected reduction dim {d} to have non-zero size.",
                           kind=INDEX, hint="an empty dim has no element to pick")
    p = {"dim": d, "keepdim": bool(keepdim), "kind": name, **extra}
    values = rt.apply(OPS["pick_dim"], (x,), p)
    idx = select_index(x.data, p)
    if x.data.ndim and not keepdim:
        idx = np.squeeze(idx, d)
    return F.ReturnTypes(name, values, _indices(rt, idx, name))


def _median(name: str):
    def f(rt, input, dim=None, keepdim=False):
        x = F._need_tensor(input, name)
        if dim is None:
            if keepdim:
                raise GradvizError(f'{name}() missing 1 required positional arguments: "dim"',
                                   kind=TYPE, hint=f"keepdim goes with a dim: "
                                                   f"x.{name}(dim=0, keepdim=True)")
            return rt.apply(OPS[name], (x,))
        return _picked(rt, x, name, dim, keepdim)
    f.__name__ = name
    return f


def f_kthvalue(rt, input, k, dim=-1, keepdim=False):
    x = F._need_tensor(input, "kthvalue")
    k = _int_arg("kthvalue", "k", k, 2)
    d = F._dim(_int_arg("kthvalue", "dim", dim, 3), x.data.ndim)
    size = x.data.shape[d] if x.data.ndim else 1
    if not 1 <= k <= size:
        raise GradvizError(f"kthvalue(): selected number k out of range for dimension {d}",
                           kind=RUNTIME, hint=f"k counts from 1 to the dim's size ({size})")
    return _picked(rt, x, "kthvalue", dim, keepdim, k=k)


def f_mode(rt, input, dim=-1, keepdim=False):
    return _picked(rt, F._need_tensor(input, "mode"), "mode", dim, keepdim)


def _running(name: str):
    """cummax / cummin(input, dim): values and indices."""
    def f(rt, input, dim):
        x = F._need_tensor(input, name)
        d = F._dim(_int_arg(name, "dim", dim, 2), x.data.ndim)
        values = rt.apply(OPS[name], (x,), {"dim": d})
        return F.ReturnTypes(name, values,
                             _indices(rt, running_index(x.data, d, name == "cummax"), name))
    f.__name__ = name
    return f


def f_logcumsumexp(rt, input, dim):
    x = F._need_tensor(input, "logcumsumexp")
    d = F._dim(_int_arg("logcumsumexp", "dim", dim, 2), x.data.ndim)
    if x.data.dtype.kind != "f":
        raise GradvizError(f"\"logcumsumexp_out_cpu\" not implemented for "
                           f"'{F.type_word(x.data.dtype)}'", kind="NotImplementedError",
                           hint="make it a float tensor first: x.float().logcumsumexp(0)")
    return rt.apply(OPS["logcumsumexp"], (x,), {"dim": d})


def f_nansum(rt, input, dim=None, keepdim=False, *, dtype=None):
    x = F._need_tensor(input, "nansum")
    if dtype is not None:
        x = F.cast_within(rt, x, F._dtype_arg(dtype))
    p = {"dim": F._dims(dim, x.data.ndim), "keepdim": bool(keepdim)}
    return rt.apply(OPS["nansum"], (x,), p)


def f_nanmean(rt, input, dim=None, keepdim=False, *, dtype=None):
    """nansum / the count of numbers, as PyTorch composes it (DivBackward0)."""
    x = F._need_tensor(input, "nanmean")
    if x.data.dtype.kind != "f" and dtype is None:
        raise GradvizError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {F.type_word(x.data.dtype)}",
                           kind=RUNTIME, hint="make it a float tensor first: x.float().nanmean()")
    total = f_nansum(rt, x, dim, keepdim, dtype=dtype)
    dims = F._dims(dim, x.data.ndim)
    count = np.sum(~np.isnan(x.data), axis=dims, keepdims=bool(keepdim)) if x.data.dtype.kind \
        == "f" else np.sum(np.ones(x.data.shape, bool), axis=dims, keepdims=bool(keepdim))
    return rt.binary("/", total, rt.tape.add(Tensor(np.asarray(count, np.int64)), rt.span))


def _stat_mean(name: str):
    """std_mean / var_mean: (std or var, mean), one grad_fn for both."""
    pair = f"{name}_mean"
    stat = F._std_var(name, op_name=f"{pair}.{name}")

    def f(rt, input, *args, **kw):
        s = stat(rt, input, *args, **kw)       # (its errors name std_mean / var_mean)
        p = {"dim": s.params.get("dim"), "keepdim": s.params.get("keepdim", False)}
        return (s, rt.apply(OPS[f"{pair}.mean"], (input,), p))
    f.__name__ = pair
    return f


def f_aminmax(rt, input, *, dim=None, keepdim=False):
    x = F._need_tensor(input, "aminmax")
    if dim is None and x.data.size == 0:
        raise GradvizError("aminmax(): cannot compute aminmax over an empty dimension as the "
                           "operation has no identity.", kind=RUNTIME, hint="give dim=")
    dims = None if dim is None else selection._reduce_dims(x, _int_arg("aminmax", "dim", dim),
                                                           "aminmax")
    p = {"dim": dims, "keepdim": bool(keepdim)}
    if dim is None and keepdim:
        p["dim"] = tuple(range(x.data.ndim))
    low = rt.apply(OPS["aminmax.amin"], (x,), p)
    high = rt.apply(OPS["aminmax.amax"], (x,), p)
    return F.ReturnTypes("aminmax", low, high, fields=("min", "max"))


def _quantile(name: str):
    def f(rt, input, q, dim=None, keepdim=False, *, interpolation="linear"):
        x = F._need_tensor(input, name)
        if x.data.dtype.kind != "f":
            raise GradvizError(f"{name}() input tensor must be either float or double dtype",
                               kind=RUNTIME, hint=f"make it a float tensor first: "
                                                  f"torch.{name}(x.float(), q)")
        if F.is_tensor(q):
            if q.data.ndim > 1:
                raise GradvizError(f"{name}() q must be a scalar or 1D tensor", kind=RUNTIME,
                                   hint="give the quantiles as a number or one row")
            if q.data.dtype != x.data.dtype:
                raise GradvizError(f"{name}() q tensor must be same dtype as the input tensor",
                                   kind=RUNTIME, hint="q = q.to(x.dtype)")
            qv = q.data.astype(np.float64)
            qv = float(qv) if q.data.ndim == 0 else tuple(qv.tolist())
        elif isinstance(q, (int, float)):     # (a bool too: PyTorch's double takes it)
            qv = float(q)
        else:
            raise F.invalid_combination(name, [x, q], hint="q is a number or a tensor")
        for v in np.asarray(qv).reshape(-1):
            if not 0 <= v <= 1:
                raise GradvizError(f"{name}() q must be in the range [0, 1] but got {v:g}"
                                   if F.is_tensor(q) is False else
                                   f"{name}() q values must be in the range [0, 1]",
                                   kind=RUNTIME, hint="quantiles are fractions: 0.5 is the median")
        if interpolation not in INTERPOLATIONS:
            raise GradvizError(f"{name}() interpolation must be one of linear, lower, higher, "
                               f"midpoint or nearest, but got {interpolation}", kind=RUNTIME,
                               hint="interpolation='linear' (the default), 'lower', 'higher', "
                                    "'midpoint' or 'nearest'")
        d = None if dim is None or not x.data.ndim else F._dim(
            _int_arg(name, "dim", dim), x.data.ndim)
        if x.data.size == 0:
            raise GradvizError(f"{name}() input tensor must be non-empty", kind=RUNTIME,
                               hint="there is nothing to take a quantile of")
        p = {"q": qv, "dim": d, "keepdim": bool(keepdim), "interpolation": interpolation,
             "skip_nan": name == "nanquantile"}
        return rt.apply(OPS["quantile"], (x,), p)
    f.__name__ = name
    return f


def f_count_nonzero(rt, input, dim=None):
    x = F._need_tensor(input, "count_nonzero")
    dims = F._dims(dim, x.data.ndim)
    if isinstance(dim, (list, tuple)):
        F._no_repeated_dims(dim, x.data.ndim)
    return rt.tape.add(Tensor(np.asarray(np.count_nonzero(x.data, axis=dims), np.int64)),
                       rt.span)


def f_argwhere(rt, input):
    x = F._need_tensor(input, "argwhere")
    return rt.tape.add(Tensor(np.argwhere(x.data).astype(np.int64)), rt.span)


def f_isin(rt, elements, test_elements, *, assume_unique=False, invert=False):
    if not (F.is_tensor(elements) or F.is_tensor(test_elements)):
        raise F.invalid_combination("isin", [elements, test_elements],
                                    hint="torch.isin(x, torch.tensor([1, 2])): a tensor of "
                                         "elements or of the values to look for")
    e = elements.data if F.is_tensor(elements) else np.asarray(elements)
    t = test_elements.data if F.is_tensor(test_elements) else np.asarray(test_elements)
    return rt.tape.add(Tensor(np.isin(e, t, invert=bool(invert))), rt.span)


TORCH_FUNCTIONS = {
    "median": _median("median"), "nanmedian": _median("nanmedian"), "kthvalue": f_kthvalue,
    "mode": f_mode, "cummax": _running("cummax"), "cummin": _running("cummin"),
    "logcumsumexp": f_logcumsumexp, "nansum": f_nansum, "nanmean": f_nanmean,
    "aminmax": f_aminmax, "quantile": _quantile("quantile"),
    "nanquantile": _quantile("nanquantile"), "count_nonzero": f_count_nonzero,
    "argwhere": f_argwhere, "isin": f_isin,
}


def install() -> None:
    """Add these to functions.py's tables: torch.NAME and x.NAME()."""
    F.FUNCTIONS.update(TORCH_FUNCTIONS)
    F.METHODS.update({k: v for k, v in TORCH_FUNCTIONS.items() if k != "isin"})
    F.FUNCTIONS.update(std_mean=_stat_mean("std"), var_mean=_stat_mean("var"))
    # torch.cosine_similarity and torch.pairwise_distance are F's
    F.FUNCTIONS.update({name: F.NN_FUNCTIONAL[name]
                        for name in ("cosine_similarity", "pairwise_distance")})
