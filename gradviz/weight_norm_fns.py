"""torch.norm_except_dim and torch._weight_norm (the weight normalization
of Salimans and Kingma 2016, w = g v / ||v||), as ATen composes them:
norm_except_dim from a view and at::norm (NormBackward0/1, where Python's
x.norm() is linalg's); _weight_norm one fused node for dim
0 or the last (ops/weight_norm.py), else v * (g / norm_except_dim(v))."""
from __future__ import annotations

from . import functions as F
from .errors import TYPE, GradvizError
from .nn_losses_more import named
from .ops import OPS


def _int_arg(fname: str, name: str, pos: int, v) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(f"{fname}(): argument '{name}' (position {pos}) must be int, not "
                           f"{F.arg_type_name(v)}", kind=TYPE, hint=f"{name} is a whole number")
    return v


def f_norm_except_dim(rt, v, pow=2, dim=0):
    """The pow-norm of v over every dim but dim, shaped to broadcast against
    v (dim -1: of all of v, 0-d)."""
    v = F._need_tensor(v, "norm_except_dim", arg="v")
    F._number_arg("norm_except_dim", "pow", 2, pow)
    dim = _int_arg("norm_except_dim", "dim", 3, dim)
    if dim == -1:
        return named(F.METHODS["norm"](rt, v, pow), "NormBackward0")
    last = v.data.ndim - 1
    if dim not in (0, last):
        # (ATen: the norm along dim 0 of v with dims 0 and dim swapped, swapped back)
        swapped = F.f_transpose(rt, v, 0, dim)
        return F.f_transpose(rt, f_norm_except_dim(rt, swapped, pow, 0), 0, dim)
    keep = v.data.shape[dim]
    v = F.METHODS["contiguous"](rt, v)
    flat = F.m_view(rt, v, keep, -1) if dim == 0 else F.m_view(rt, v, -1, keep)
    norms = named(F.METHODS["norm"](rt, flat, pow, 1 if dim == 0 else 0), "NormBackward1")
    shape = [1] * v.data.ndim
    shape[dim] = keep
    return F.m_view(rt, norms, *shape)


def f_weight_norm(rt, v, g, dim=0):
    """torch._weight_norm(v, g, dim): v * (g / ||v||), the norm over every dim
    but dim."""
    v = F._need_tensor(v, "_weight_norm", arg="v")
    g = F._need_tensor(g, "_weight_norm", 2, "g")
    dim = _int_arg("_weight_norm", "dim", 3, dim)
    if v.data.ndim and dim in (0, v.data.ndim - 1) and g.data.size == v.data.shape[dim]:
        return rt.apply(OPS["weight_norm"], (v, g), {"dim": dim})
    return rt.binary("*", v, rt.binary("/", g, f_norm_except_dim(rt, v, 2, dim)))


FUNCTIONS = {"norm_except_dim": f_norm_except_dim, "_weight_norm": f_weight_norm}
