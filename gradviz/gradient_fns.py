"""torch.gradient(input, *, spacing=1, dim=None, edge_order=1): the
derivative estimated by central differences inside and one-sided ones at
the edges, composed as ATen's gradient_helper_float composes it, so that
its graph is PyTorch's (SliceBackward0, SubBackward0, the Scalar overloads
DivBackward1 and MulBackward1, CatBackward0). Spacing is a number or one
per dim; PyTorch's coordinate tensors are not supported here."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE, VALUE
from .special_fns import _scalar_overload


def _dims(x, dim) -> list:
    ndim = x.data.ndim
    dims = list(range(ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    F._no_repeated_dims(dims, ndim)
    return [F._dim(d, ndim) for d in dims]


def _spacings(spacing, n: int, dim_given: bool) -> list:
    if spacing is None:
        return [1.0] * n
    if isinstance(spacing, (list, tuple)):
        if any(F.is_tensor(s) for s in spacing):
            raise GradvizError("torch.gradient with coordinate tensors as spacing is not "
                               "supported", kind=VALUE,
                               hint="give the spacing as numbers, one per dim")
        if len(spacing) != n and not dim_given:
            raise GradvizError(f"torch.gradient expected spacing to be unspecified, a scalar, or "
                               f"a list of length equal to 'self.dim() = {n}', since dim argument "
                               f"was not given, but got a list of length {len(spacing)}",
                               kind=RUNTIME, hint="one spacing, or one per dim")
        if len(spacing) != n:
            raise GradvizError(f"torch.gradient expected spacing to be unspecified, a scalar or "
                               f"it's spacing and dim arguments to have the same length, but got "
                               f"a spacing argument of length {len(spacing)} and a dim argument "
                               f"of length {n}.", kind=RUNTIME,
                               hint="one spacing, or one per dim")
        return list(spacing)
    return [spacing] * n


def _check_spacing(spacing) -> None:
    """A list of spacings that are not all numbers: PyTorch reads it as its
    form of a tuple of Tensors, and names the first item that is not one
    (the argument check has refused a spacing that is no list or number)."""
    if not isinstance(spacing, (list, tuple)) or all(
            isinstance(s, (int, float)) for s in spacing):
        return
    at = next((i for i, s in enumerate(spacing) if not F.is_tensor(s)), None)
    if at is not None:
        raise GradvizError(f"expected Tensor as element {at} in argument 1, but got "
                           f"{F.parsed_type_name(spacing[at])}", kind=TYPE,
                           hint="spacing is a number, or one per dim")


def _slice(rt, x, d: int, start, stop=None):
    return rt.index_tensor(x, [slice(None)] * d + [slice(start, stop)])


def _scaled(rt, t, factor):
    return _scalar_overload(rt, "*", t, factor, "MulBackward1")


def _edges(rt, x, d: int, dx, edge_order: int):
    """The one-sided differences at the two ends of dim d."""
    def s(start, stop=None):
        return _slice(rt, x, d, start, stop)
    if edge_order == 1:
        before = rt.binary("-", s(1, 2), s(0, 1))
        after = rt.binary("-", s(-1), s(-2, -1))
    else:
        before = rt.binary("-", rt.binary("+", _scaled(rt, s(0, 1), -1.5),
                                          _scaled(rt, s(1, 2), 2)), _scaled(rt, s(2, 3), 0.5))
        after = rt.binary("+", rt.binary("-", _scaled(rt, s(-3, -2), 0.5),
                                         _scaled(rt, s(-2, -1), 2)), _scaled(rt, s(-1), 1.5))
    return (_scalar_overload(rt, "/", before, dx, "DivBackward1"),
            _scalar_overload(rt, "/", after, dx, "DivBackward1"))


def _along(rt, x, d: int, dx, edge_order: int):
    centre = rt.binary("-", _slice(rt, x, d, 2), _slice(rt, x, d, 0, -2))
    centre = _scalar_overload(rt, "/", centre, dx, "DivBackward1")
    centre = _scalar_overload(rt, "/", centre, 2, "DivBackward1")
    before, after = _edges(rt, x, d, dx, edge_order)
    return F.FUNCTIONS["cat"](rt, [before, centre, after], d)


def f_gradient(rt, input, *, spacing=None, dim=None, edge_order=1):
    x = F._need_tensor(input, "gradient", 1, "input")
    _check_spacing(spacing)
    dims = _dims(x, dim)
    steps = _spacings(spacing, len(dims), dim is not None)
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise GradvizError("torch.gradient only supports edge_order=1 and edge_order=2.",
                           kind=RUNTIME, hint="edge_order is 1 or 2")
    if any(x.data.shape[d] < edge_order + 1 for d in dims):
        raise GradvizError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1", kind=RUNTIME,
                           hint=f"each dim needs {edge_order + 1} points or more")
    return tuple(_along(rt, x, d, dx, edge_order) for d, dx in zip(dims, steps))


FUNCTIONS = {"gradient": f_gradient}
