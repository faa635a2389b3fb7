"""torch.gradient(input, *, spacing=1, dim=None, edge_order=1): the
derivative estimated by central differences inside and one-sided ones at
the edges, composed as ATen's gradient_helper_float composes it, so that
its graph is PyTorch's (SliceBackward0, SubBackward0, the Scalar overloads
DivBackward1 and MulBackward1, CatBackward0). Spacing is a number, one
per dim, or one tensor of coordinates per dim (ATen's gradient_helper: the
differences' weights made of the coordinates' steps, as tensors: so a
coordinate tensor that requires grad gets its gradient too)."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE
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


def _coordinates(spacing) -> bool:
    """Whether spacing is coordinate tensors: PyTorch's parser reads a list
    with a tensor in it as tensors only."""
    if not isinstance(spacing, (list, tuple)) or not any(F.is_tensor(s) for s in spacing):
        return False
    for i, s in enumerate(spacing):
        if not F.is_tensor(s):
            raise GradvizError(f"expected Tensor as element {i} in argument 1, but got "
                               f"{F.parsed_type_name(s)}", kind=TYPE,
                               hint="spacing is all numbers or all coordinate tensors")
    return True


def _check_spacing(x, spacing) -> None:
    """A spacing list that is not all numbers: PyTorch reads it as its form
    of a tuple of Tensors, and names the first item that is not one; what
    is no list is a number or a 0-d tensor."""
    if isinstance(spacing, (list, tuple)):
        if not all(isinstance(s, (int, float)) for s in spacing):
            at = next((i for i, s in enumerate(spacing) if not F.is_tensor(s)), None)
            if at is not None:
                raise GradvizError(f"expected Tensor as element {at} in argument 1, but got "
                                   f"{F.parsed_type_name(spacing[at])}", kind=TYPE,
                                   hint="spacing is all numbers or all coordinate tensors")
        return
    lone = F.is_tensor(spacing) and spacing.data.ndim > 0     # (a 0-d tensor is a number)
    if spacing is not None and (lone or not (F.is_tensor(spacing)
                                             or isinstance(spacing, (int, float)))):
        raise F.invalid_combination("gradient", [x], keywords={"spacing": spacing},
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


def _weights(rt, x, d: int, coords):
    """The central difference's three weights along dim d, from the
    coordinates' steps h1 (before) and h2 (after), shaped to broadcast
    along d: -h2 / (h1 (h1 + h2)), (h2 - h1) / (h1 h2), h1 / (h2 (h1 + h2))."""
    if coords.data.ndim != 1:
        raise GradvizError("torch.gradient expected each element of spacing to have one "
                           f"dimension, but got an element with {coords.data.ndim} dimensions!",
                           kind=RUNTIME, hint="one 1-D tensor of coordinates per dim")
    shape = [1] * x.data.ndim
    shape[d] = -1
    steps = F.FUNCTIONS["diff"](rt, coords, 1, 0)
    h1, h2 = _slice(rt, steps, 0, 0, -1), _slice(rt, steps, 0, 1)
    b = rt.binary

    def shaped(t):
        return F.f_reshape(rt, t, shape)
    return steps, (shaped(b("/", F.FUNCTIONS["neg"](rt, h2), b("*", h1, b("+", h1, h2)))),
                   shaped(b("/", b("-", h2, h1), b("*", h1, h2))),
                   shaped(b("/", h1, b("*", h2, b("+", h1, h2)))))


def _weighted(rt, weights, parts):
    """w0 p0 + w1 p1 + w2 p2, added left to right."""
    terms = [rt.binary("*", w, p) for w, p in zip(weights, parts)]
    return rt.binary("+", rt.binary("+", terms[0], terms[1]), terms[2])


def _coordinate_edges(rt, x, d: int, steps, edge_order: int):
    """The one-sided differences at the two ends of dim d, from the first
    and last steps (each read anew, as ATen's steps[0] and steps[-1])."""
    def s(start, stop=None):
        return _slice(rt, x, d, start, stop)

    def step(i):
        return rt.index_tensor(steps, [i])
    b = rt.binary
    if edge_order == 1:
        return (b("/", b("-", s(1, 2), s(0, 1)), step(0)),
                b("/", b("-", s(-1), s(-2, -1)), step(-1)))
    neg = F.FUNCTIONS["neg"]
    first = (b("/", neg(rt, b("+", _scaled(rt, step(0), 2.0), step(1))),
               b("*", step(0), b("+", step(0), step(1)))),
             b("/", b("+", step(0), step(1)), b("*", step(0), step(1))),
             b("/", neg(rt, step(0)), b("*", step(1), b("+", step(0), step(1)))))
    last = (b("/", step(-1), b("*", step(-2), b("+", step(-1), step(-2)))),
            b("/", neg(rt, b("+", step(-1), step(-2))), b("*", step(-1), step(-2))),
            b("/", b("+", _scaled(rt, step(-1), 2), step(-2)),
              b("*", step(-1), b("+", step(-1), step(-2)))))
    return (_weighted(rt, first, (s(0, 1), s(1, 2), s(2, 3))),
            _weighted(rt, last, (s(-3, -2), s(-2, -1), s(-1))))


def _along_coordinates(rt, x, d: int, coords, edge_order: int):
    steps, weights = _weights(rt, x, d, coords)
    centre = _weighted(rt, weights, (_slice(rt, x, d, 0, -2), _slice(rt, x, d, 1, -1),
                                     _slice(rt, x, d, 2)))
    before, after = _coordinate_edges(rt, x, d, steps, edge_order)
    return F.FUNCTIONS["cat"](rt, [before, centre, after], d)


def f_gradient(rt, input, *args, spacing=None, dim=None, edge_order=1):
    x = F._need_tensor(input, "gradient", 1, "input")
    if args:                # (every argument after the input is a keyword)
        raise F.invalid_combination("gradient", [x, *args],
                                    hint="name them: torch.gradient(x, spacing=2.0, dim=0)")
    coordinates = _coordinates(spacing)
    _check_spacing(x, spacing)
    dims = _dims(x, dim)
    steps = _spacings(spacing, len(dims), dim is not None)
    if edge_order not in (1, 2) or isinstance(edge_order, bool):
        raise GradvizError("torch.gradient only supports edge_order=1 and edge_order=2.",
                           kind=RUNTIME, hint="edge_order is 1 or 2")
    if any(x.data.shape[d] < edge_order + 1 for d in dims):
        raise GradvizError("torch.gradient expected each dimension size to be at least "
                           "edge_order+1", kind=RUNTIME,
                           hint=f"each dim needs {edge_order + 1} points or more")
    along = _along_coordinates if coordinates else _along
    return tuple(along(rt, x, d, dx, edge_order) for d, dx in zip(dims, steps))


FUNCTIONS = {"gradient": f_gradient}
