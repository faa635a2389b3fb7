"""torch.trapezoid and torch.cumulative_trapezoid (the trapezoid rule along
a dim, spacing dx or sample points x), composed as PyTorch composes them,
so their grad_fn chains are PyTorch's (the Scalar overloads MulBackward1 and
DivBackward1 where ATen's C++ multiplies by a number)."""
from __future__ import annotations

from . import functions as F
from .errors import RUNTIME, GradvizError
from .special_fns import _scalar_overload


def _along(rt, y, d: int, key):
    return rt.index_tensor(y, [slice(None)] * d + [key])


def _pair_sums(rt, y, d: int):
    """y[:-1] + y[1:] along d."""
    return rt.binary("+", _along(rt, y, d, slice(None, -1)), _along(rt, y, d, slice(1, None)))


def _spacing(rt, name: str, y, x, d: int):
    """x's differences along d (x a 1-d tensor is viewed along d first)."""
    if x.data.ndim == 1:
        if x.data.shape[0] != y.data.shape[d]:
            raise GradvizError(f"{name}: There must be one `x` value for each sample point",
                               kind=RUNTIME, hint=f"y has {y.data.shape[d]} points along dim "
                                                  f"{d}; give x as many")
        x = F.m_view(rt, x, *[x.data.shape[0] if i == d else 1 for i in range(y.data.ndim)])
    return rt.binary("-", _along(rt, x, d, slice(1, None)), _along(rt, x, d, slice(None, -1)))


def _args(name, y, x, dx, dim):
    y = F._need_tensor(y, name, 1, "y")
    if y.data.ndim == 0:
        raise GradvizError(f"{name}: y must have at least one dim", kind=RUNTIME,
                           hint="y holds the samples along dim")
    d = F._dim(dim, y.data.ndim)
    if x is not None and dx is not None:
        raise GradvizError(f"{name}() received an invalid combination of arguments: x and dx",
                           kind="TypeError", hint="give the points x, or their spacing dx")
    return y, d


def f_trapezoid(rt, y, x=None, *, dx=None, dim=-1):
    y, d = _args("trapezoid", y, x, dx, dim)
    if F.is_tensor(x):
        prod = rt.binary("*", _pair_sums(rt, y, d), _spacing(rt, "trapezoid", y, x, d))
        return _scalar_overload(rt, "/", F.FUNCTIONS["sum"](rt, prod, d), 2.0, "DivBackward1")
    if x is not None:               # torch.trapezoid(y, 0.5): the spacing by position
        dx = x
    dx = 1.0 if dx is None else dx
    ends = rt.binary("+", _along(rt, y, d, 0), _along(rt, y, d, -1))
    inner = rt.binary("-", F.FUNCTIONS["sum"](rt, y, d),
                      _scalar_overload(rt, "*", ends, 0.5, "MulBackward1"))
    return _scalar_overload(rt, "*", inner, dx, "MulBackward1")


def f_cumulative_trapezoid(rt, y, x=None, *, dx=None, dim=-1):
    y, d = _args("cumulative_trapezoid", y, x, dx, dim)
    cumsum = F.FUNCTIONS["cumsum"]
    if F.is_tensor(x):
        prod = rt.binary("*", _pair_sums(rt, y, d), _spacing(rt, "cumulative_trapezoid", y, x, d))
        return _scalar_overload(rt, "/", cumsum(rt, prod, d), 2.0, "DivBackward1")
    if x is not None:
        dx = x
    dx = 1.0 if dx is None else dx
    return cumsum(rt, _scalar_overload(rt, "*", _pair_sums(rt, y, d), dx / 2.0, "MulBackward1"), d)


FUNCTIONS = {"trapezoid": f_trapezoid, "trapz": f_trapezoid,
             "cumulative_trapezoid": f_cumulative_trapezoid}
