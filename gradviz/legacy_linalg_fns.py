"""torch's deprecated top-level norms, kept in PyTorch 2.13 for JIT
compatibility: frobenius_norm (at::norm's node, NormBackward1) and
nuclear_norm (linalg.matrix_norm(A, 'nuc')), each with its deprecation
warning, given once; and torch.matrix_rank, which is removed: PyTorch's
error."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE
from .ops import OPS

_DEPRECATED = ("at::{name} is deprecated and it is just left for JIT compatibility. It will be "
               "removed in a future PyTorch release. Please use `{instead}` instead")


def _warn_once(rt, x, name: str, instead: str) -> None:
    F.warn_once(rt, x, _DEPRECATED.format(name=name, instead=instead))


def _dim_list(fname: str, dim, ndim: int) -> list:
    if isinstance(dim, int) and not isinstance(dim, bool):
        dim = [dim]
    if not isinstance(dim, (list, tuple)):
        raise GradvizError(f"{fname}(): argument 'dim' (position 2) must be tuple of ints, not "
                           f"{F.arg_type_name(dim)}", kind=TYPE, hint="dim is a list of dims")
    dims = list(F.int_list(fname, "dim", (dim,), 2))
    F._no_repeated_dims(dims, ndim)
    return dims


def _keepdim(fname: str, keepdim) -> bool:
    if not isinstance(keepdim, bool):
        raise GradvizError(f"{fname}(): argument 'keepdim' (position 3) must be bool, not "
                           f"{F.arg_type_name(keepdim)}", kind=TYPE, hint="keepdim=True or False")
    return keepdim


def f_frobenius_norm(rt, input, dim=None, keepdim=False):
    """torch.frobenius_norm(x, dim, keepdim=False): at::norm(x, 2, dim,
    keepdim), at most two dims (none: all of them)."""
    if dim is None:         # (PyTorch's words, not Python's)
        raise GradvizError('frobenius_norm() missing 1 required positional arguments: "dim"',
                           kind=TYPE, hint="give the dims: torch.frobenius_norm(x, (0, 1))")
    x = F._need_tensor(input, "frobenius_norm", 1, "input")
    keepdim = _keepdim("frobenius_norm", keepdim)
    _warn_once(rt, x, "frobenius_norm", "linalg.vector_norm(A, 2., dim, keepdim)")
    if isinstance(dim, (list, tuple)) and len(dim) > 2:
        raise GradvizError(f"Expected at most 2 dimensions, but got {len(dim)} dimensions "
                           "instead.", kind=RUNTIME, hint="the norm of a matrix: two dims")
    dims = _dim_list("frobenius_norm", dim, x.data.ndim)
    if x.data.dtype.kind != "f":
        raise GradvizError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {F.type_word(x.data.dtype)} instead.", kind=RUNTIME,
                           hint="make it float first: x.float()")
    params = {**F.norm_params(x, 2, dims or None, keepdim), "grad_fn": "NormBackward1"}
    return rt.apply(OPS["norm"], (x,), params)


def f_nuclear_norm(rt, input, dim=None, keepdim=False):
    """torch.nuclear_norm(x, keepdim=False) / (x, dim, keepdim=False):
    linalg.matrix_norm(x, 'nuc', dim, keepdim), dim (-2, -1) by default."""
    x = F._need_tensor(input, "nuclear_norm", 1, "input")
    if isinstance(dim, bool):           # nuclear_norm(x, True): the keepdim form
        dim, keepdim = None, dim
    keepdim = _keepdim("nuclear_norm", keepdim)
    _warn_once(rt, x, "nuclear_norm", "linalg.matrix_norm(A, 'nuc', dim, keepdim)")
    if dim is None:
        dim = (-2, -1)
    elif isinstance(dim, int):          # (one int stands for a pair of it, as PyTorch reads it)
        dim = (dim, dim)
    return F.f_linalg_matrix_norm(rt, x, "nuc", tuple(dim), keepdim)


def f_matrix_rank(rt, *args, **kwargs):
    raise GradvizError("This function was deprecated since version 1.9 and is now removed.\n"
                       "Please use the `torch.linalg.matrix_rank` function instead. The parameter "
                       "'symmetric' was renamed in `torch.linalg.matrix_rank()` to 'hermitian'.",
                       kind=RUNTIME, hint="use torch.linalg.matrix_rank(A)")


FUNCTIONS = {"frobenius_norm": f_frobenius_norm, "nuclear_norm": f_nuclear_norm,
             "matrix_rank": f_matrix_rank}
