"""torch.cholesky_inverse (and its method): (L L^T)^-1 from a Cholesky
factor; torch.pdist: the distances between a matrix's rows;
torch.matrix_exp (and its method, and torch.linalg.matrix_exp): e^A; each
with PyTorch's checks of its arguments."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE
from .linalg_fns import check_square
from .ops import OPS
from .selection import _as_method


def f_cholesky_inverse(rt, input, upper=False):
    L = F._need_tensor(input, "cholesky_inverse", 1, "input")
    if not isinstance(upper, bool):
        raise GradvizError(f"cholesky_inverse(): argument 'upper' (position 2) must be bool, not "
                           f"{F.arg_type_name(upper)}", kind=TYPE, hint="upper=True or False")
    x = L.data
    check_square(x, "cholesky_inverse", "the Cholesky factor is square")
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        raise GradvizError(f"\"cholesky_inverse_out_cpu\" not implemented for "
                           f"'{F.type_word(x.dtype)}'", kind="NotImplementedError",
                           hint="make it float first: L.float()")
    return rt.apply(OPS["cholesky_inverse"], (L,), {"upper": True} if upper else None)


def f_pdist(rt, input, p=2):
    """torch.pdist(x, p=2): ||x_i - x_j||_p for each pair of rows i < j."""
    x = F._need_tensor(input, "pdist", 1, "input")
    if not isinstance(p, (int, float)):          # (True is a float there: 1.0)
        raise GradvizError(f"pdist(): argument 'p' (position 2) must be float, not "
                           f"{F.arg_type_name(p)}", kind=TYPE, hint="p is a number: 2 by default")
    if x.data.ndim != 2:
        raise GradvizError(f"pdist only supports 2D tensors, got: {x.data.ndim}D", kind=RUNTIME,
                           hint="pdist takes a matrix whose rows are the points")
    if x.data.dtype.kind != "f":
        raise GradvizError("pdist only supports floating-point dtypes", kind=RUNTIME,
                           hint="make it float first: x.float()")
    if p < 0:
        raise GradvizError("pdist only supports non-negative p values", kind=RUNTIME,
                           hint="p is 0 or more (inf for the largest difference)")
    return rt.apply(OPS["pdist"], (x,), {"p": float(p)})


def f_matrix_exp(rt, A):
    """torch.matrix_exp(A): e^A."""
    return matrix_exp(rt, A, "matrix_exp")


def f_linalg_matrix_exp(rt, A):
    """torch.linalg.matrix_exp(A): e^A."""
    return matrix_exp(rt, A, "linalg_matrix_exp")


def matrix_exp(rt, A, fname: str):
    A = F._need_tensor(A, fname, 1, "input")
    x = A.data
    check_square(x, "linalg.matrix_exp", "e^A needs a square matrix")
    if x.dtype.kind != "f":
        raise GradvizError("linalg.matrix_exp: Expected a floating point or complex tensor as "
                           f"input. Got {F.type_word(x.dtype)}", kind=RUNTIME,
                           hint="make it float first: A.float()")
    return rt.apply(OPS["matrix_exp"], (A,))


FUNCTIONS = {"cholesky_inverse": f_cholesky_inverse, "pdist": f_pdist,
             "matrix_exp": f_matrix_exp}
METHODS = {name: _as_method(name, FUNCTIONS[name]) for name in ("cholesky_inverse", "matrix_exp")}
