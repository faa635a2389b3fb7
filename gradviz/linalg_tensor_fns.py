"""torch.linalg.tensorinv and torch.linalg.tensorsolve, composed as ATen
composes them, so that their graphs are PyTorch's: the tensor reshaped to
a square matrix (ViewBackward0; a copy, UnsafeViewBackward0, after
tensorsolve's movedim), linalg.inv_ex or linalg.solve of it, the result
reshaped back (inv's column-major matrix: ReshapeAliasBackward0)."""
from __future__ import annotations

import math

from . import functions as F
from .errors import GradvizError, RUNTIME
from .linalg_fns import _zero_pivots, f_solve
from .ops import OPS


def _invalid_slice(n: int, size: int) -> GradvizError:
    """c10's error for a slice of sizes past their end (PyTorch's, unchanged)."""
    return GradvizError(f"ArrayRef: invalid slice, N = {n}; size = {size}", kind=RUNTIME,
                        hint="the tensor has fewer dims than the split asks for")


def _not_square(what: str, rows: int, columns: int) -> GradvizError:
    return GradvizError(f"Expected self to satisfy the requirement {what}, but got {rows} != "
                        f"{columns}", kind=RUNTIME,
                        hint="the dims before and after the split must hold as many elements "
                             "(the tensor is a square matrix reshaped)")


def f_tensorinv(rt, input, ind=2):
    """The inverse of input read as a matrix: its first ind dims the rows,
    the others the columns; the result's shape is input's shape[ind:] +
    shape[:ind]."""
    A = F._need_tensor(input, "linalg_tensorinv", 1, "input")
    if ind <= 0:
        raise GradvizError(f"Expected a strictly positive integer for 'ind', but got {ind}",
                           kind=RUNTIME, hint="ind is how many leading dims make the rows")
    shape = A.data.shape
    if ind > len(shape):
        raise _invalid_slice(ind, len(shape))
    start, end = shape[:ind], shape[ind:]
    rows, columns = math.prod(end), math.prod(start)
    if rows != columns:
        raise _not_square("prod(self.shape[ind:]) == prod(self.shape[:ind])", rows, columns)
    matrix = F.f_reshape(rt, A, (rows, rows))
    x = matrix.data
    if x.dtype.kind != "f":
        raise GradvizError(f"linalg.inv: Expected a floating point or complex tensor as input. "
                           f"Got {F.type_word(x.dtype)}", kind=RUNTIME,
                           hint="make it float first: A.float()")
    # (inv_ex, then PyTorch's check of its info, in the words of "inv")
    _zero_pivots(x, x.shape[:-2], "inv", "inv", check_errors=True)
    inverse = rt.apply(OPS["linalg_inv"], (matrix,), {"ex": True})
    return F.f_reshape(rt, inverse, end + start)


def f_tensorsolve(rt, input, other, dims=None):
    """X with tensordot(input, X, X.ndim) = other: input's dims `dims`
    moved last, its first other.ndim dims (as many elements as other) the
    rows of the matrix solved."""
    A = F._need_tensor(input, "linalg_tensorsolve", 1, "input")
    B = F._need_tensor(other, "linalg_tensorsolve", 2, "other")
    ndim = A.data.ndim
    if dims is not None:
        # (a single int is refused before: PyTorch's unsized int[], bool_args)
        dims = tuple(dims)
        A = F.FUNCTIONS["movedim"](rt, A, dims, tuple(range(ndim - len(dims), ndim)))
    k = B.data.ndim
    if k > ndim:
        # (ATen's slice of the sizes past the last one: a negative length)
        raise GradvizError("cannot create std::vector larger than max_size()", kind=RUNTIME,
                           hint="other has more dims than input: input's first other.ndim "
                                "dims match other's shape")
    result_shape = A.data.shape[k:]
    rows = math.prod(result_shape)
    if rows != B.data.size:
        raise _not_square("prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim])",
                          rows, B.data.size)
    matrix = F.f_reshape(rt, A, (rows, rows))
    flat = B if k == 1 else F.f_reshape(rt, B, (B.data.size,))    # (flatten: 1-d as it is)
    return F.f_reshape(rt, f_solve(rt, matrix, flat), result_shape)


LINALG = {"tensorinv": f_tensorinv, "tensorsolve": f_tensorsolve}
