"""torch.cov and torch.corrcoef (and their methods), composed as ATen's
Correlation.cpp composes them, so that their grad_fn chains are PyTorch's:
cov's weighted mean (SumBackward1, DivBackward0), the centred observations
(UnsqueezeBackward0, SubBackward0), their product (MmBackward0, TBackward0)
divided by the degrees of freedom and squeezed; corrcoef's division by the
standard deviations (DiagonalBackward0, SqrtBackward0, ViewBackward0) and its
clip to [-1, 1] (ClampBackward1)."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE
from .selection import _as_method
from .tensor import SCALAR_TYPE_NAMES

_DOF_WARNING = ("cov(): degrees of freedom is <= 0. Correction should be strictly less than "
                "the number of observations.")


def _type_name(dt) -> str:
    return SCALAR_TYPE_NAMES.get(np.dtype(dt), str(dt))


def _check_dims(name: str, x) -> None:
    if x.data.ndim > 2:
        raise GradvizError(f"{name}(): expected input to have two or fewer dimensions but got an "
                           f"input with {x.data.ndim} dimensions", kind=RUNTIME,
                           hint="rows are the variables, columns the observations")


def _weights(name: str, w, n: int, integral: bool):
    """fweights (integral) or aweights (floating point): PyTorch's checks."""
    if w is None:
        return None
    if not F.is_tensor(w):
        raise GradvizError(f"cov(): argument '{name}' must be Tensor, not {F.arg_type_name(w)}",
                           kind=TYPE, hint=f"{name} is a tensor of one weight per observation")
    kind = "integral" if integral else "floating point"
    if w.data.ndim > 1:
        raise GradvizError(f"cov(): expected {name} to have one or fewer dimensions but got "
                           f"{name} with {w.data.ndim} dimensions", kind=RUNTIME,
                           hint=f"{name} holds one weight per observation")
    ok = w.data.dtype.kind in "iu" if integral else w.data.dtype.kind == "f"
    if not ok:
        raise GradvizError(f"cov(): expected {name} to have {kind} dtype but got {name} with "
                           f"{_type_name(w.data.dtype)} dtype", kind=RUNTIME,
                           hint="fweights are counts (int64), aweights floats")
    if w.data.size != n:
        raise GradvizError(f"cov(): expected {name} to have the same numel as there are "
                           f"observations in the input but got {w.data.size} != {n}",
                           kind=RUNTIME, hint=f"one weight per observation (column): {n}")
    if n and w.data.min() < 0:
        raise GradvizError(f"cov(): {name} cannot be negative", kind=RUNTIME,
                           hint="weights are 0 or more")
    return w


def f_cov(rt, input, *, correction=1, fweights=None, aweights=None):
    """torch.cov: the covariance of the rows' variables over the columns'
    observations, weighted by fweights * aweights, with correction."""
    x = F._need_tensor(input, "cov", 1, "input")
    if isinstance(correction, bool) or not isinstance(correction, int):
        raise GradvizError(f"cov(): argument 'correction' must be int, not "
                           f"{F.arg_type_name(correction)}", kind=TYPE,
                           hint="correction is a whole number: 1 (Bessel's) or 0")
    _check_dims("cov", x)
    if x.data.dtype == np.bool_:
        raise GradvizError("cov(): bool dtype is not supported for input", kind=RUNTIME,
                           hint="convert it: x.float()")
    obs = x if x.data.ndim == 2 else F.m_view(rt, x, 1, -1)
    n = obs.data.shape[1]
    fw = _weights("fweights", fweights, n, True)
    aw = _weights("aweights", aweights, n, False)
    w = fw if aw is None else aw if fw is None else rt.binary("*", fw, aw)
    return _covariance(rt, obs, w, aw, correction)


def _covariance(rt, obs, w, aw, correction: int):
    sum_ = F.FUNCTIONS["sum"]
    if w is None:
        w_sum = F._leaf(rt, np.asarray(obs.data.shape[1], np.int64), False, "scalar_tensor")
    else:
        w_sum = sum_(rt, w)
        if not w_sum.data.any():
            raise GradvizError("cov(): weights sum to zero, can't be normalized", kind=RUNTIME,
                               hint="give some observation a weight above 0")
    weighted = obs if w is None else rt.binary("*", obs, w)
    avg = rt.binary("/", sum_(rt, weighted, 1), w_sum)
    if aw is not None and correction != 0:
        spread = rt.binary("/", sum_(rt, rt.binary("*", w, aw)), w_sum)
        norm = rt.binary("-", w_sum, rt.binary("*", correction, spread))
    else:
        norm = rt.binary("-", w_sum, correction)
    if norm.data <= 0:
        rt.log_event("user_warning", obs, message=_DOF_WARNING)
        norm = F._leaf(rt, np.zeros((), norm.data.dtype), False, "zeros")
    centred = rt.binary("-", obs, F.f_unsqueeze(rt, avg, 1))
    right = centred if w is None else rt.binary("*", centred, w)
    c = F.FUNCTIONS["mm"](rt, centred, F.f_t(rt, right))
    return F.f_squeeze(rt, rt.binary("/", c, norm))


def f_corrcoef(rt, input):
    """torch.corrcoef: cov normalised by the standard deviations, clipped
    to [-1, 1] (one variable: c / c, 1 or nan)."""
    x = F._need_tensor(input, "corrcoef", 1, "input")
    _check_dims("corrcoef", x)
    c = f_cov(rt, x)
    if c.data.ndim == 0:
        return rt.binary("/", c, c)
    std = F.FUNCTIONS["sqrt"](rt, F.FUNCTIONS["diagonal"](rt, c))
    c = rt.binary("/", c, F.m_view(rt, std, -1, 1))
    c = rt.binary("/", c, F.m_view(rt, std, 1, -1))
    return F.FUNCTIONS["clamp"](rt, c, -1, 1)


FUNCTIONS = {"cov": f_cov, "corrcoef": f_corrcoef}
METHODS = {name: _as_method(name, f) for name, f in FUNCTIONS.items()}
