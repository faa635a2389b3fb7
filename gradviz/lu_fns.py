"""torch.linalg's LU functions (lu, lu_factor, lu_factor_ex, lu_solve),
torch.lu_unpack, the deprecated torch.lu and torch.lu_solve (each with
PyTorch's warning, given once) and the methods x.lu() and x.lu_solve(),
with PyTorch's checks of their arguments. The ops are in ops/lu.py; the
pivots (int32, LAPACK's 1-based), the permutation P and lu_factor_ex's info
are plain tensors, as PyTorch's have no gradient."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import GradvizError, RUNTIME
from .functions import ReturnTypes
from .linalg_fns import _plain
from .ops import OPS
from .ops.decomp import lu
from .ops.lu import permutation

_LU_DEPRECATED = (
    "torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and "
    "will be removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\n"
    "should be replaced with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
    "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
    "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")
_LU_SOLVE_DEPRECATED = (
    "torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a "
    "future PyTorch release.\nNote that torch.linalg.lu_solve has its arguments reversed.\n"
    "X = torch.lu_solve(B, LU, pivots)\nshould be replaced with\n"
    "X = torch.linalg.lu_solve(LU, pivots, B)")


def _numbered(t, i: int):
    """t as output i of its op."""
    t.meta = {**(t.meta or {}), "output_nr": i}
    return t


def _factorable(A, fname: str, words: str, pivot=True):
    """A, checked as PyTorch's LU checks it (WORDS: how its messages name
    the function)."""
    A = F._need_tensor(A, fname, 1, "A")
    x = A.data
    if x.ndim < 2:
        raise GradvizError(f"{words}: Expected tensor with 2 or more dimensions. Got size: "
                           f"{list(x.shape)} instead", kind=RUNTIME,
                           hint="a matrix has two dims: reshape a vector with x.view(1, -1)")
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        raise GradvizError(f"\"lu_cpu\" not implemented for '{F.type_word(x.dtype)}'",
                           kind="NotImplementedError", hint="make it float first: A.float()")
    if not pivot:
        raise GradvizError("linalg.lu_factor: LU without pivoting is not implemented on the CPU",
                           kind=RUNTIME, hint="leave pivot=True (LAPACK's partial pivoting)")
    return A


def _factor(rt, A):
    """The LU node, the pivots and the info (the first zero pivot, 1-based,
    of each matrix; 0 where there is none), an array: a tensor, and a node
    of the picture, only where the function returns it (_info)."""
    _, _, zero_at, _, pivots = lu(A.data)
    factors = _numbered(rt.apply(OPS["lu_factor"], (A,)), 0)
    return factors, _plain(rt, pivots, "lu_factor.pivots"), zero_at.astype(np.int32)


def _info(rt, info: np.ndarray):
    return _plain(rt, info, "lu_factor.info")


def _check_nonsingular(info, words: str) -> None:
    """PyTorch's error for the first matrix with a zero pivot."""
    flat = info.reshape(-1)
    if not flat.any():
        return
    first = int(np.flatnonzero(flat)[0])
    where = f"(Batch element {first}): " if info.ndim else ""
    k = flat[first]
    raise GradvizError(f"{words}: {where}U[{k},{k}] is zero and using it on lu_solve would result "
                       "in a division by zero. If you still want to perform the factorization, "
                       "consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)",
                       kind=RUNTIME, hint="the matrix is singular (its determinant is 0)")


def f_lu_factor(rt, A, *, pivot=True):
    A = _factorable(A, "linalg_lu_factor", "torch.lu_factor", pivot)
    factors, pivots, info = _factor(rt, A)
    _check_nonsingular(info, "torch.linalg.lu_factor")
    return ReturnTypes("linalg_lu_factor", factors, pivots, fields=("LU", "pivots"))


def f_lu_factor_ex(rt, A, *, pivot=True, check_errors=False):
    A = _factorable(A, "linalg_lu_factor_ex", "torch.lu_factor", pivot)
    factors, pivots, info = _factor(rt, A)
    if check_errors:
        _check_nonsingular(info, "torch.linalg.lu_factor_ex")
    return ReturnTypes("linalg_lu_factor_ex", factors, pivots, _info(rt, info),
                       fields=("LU", "pivots", "info"))


def f_lu(rt, A, *, pivot=True):
    """torch.linalg.lu: P, L, U with A = P L U."""
    A = _factorable(A, "linalg_lu", "linalg.lu", pivot)
    x = A.data
    p = _plain(rt, permutation(lu(x)[4], x.shape[-2], x.dtype), "lu.P")
    # (P has no gradient: L and U are PyTorch's outputs 0 and 1)
    low, up = F.numbered_outputs([rt.apply(OPS[name], (A,))
                                  for name in ("linalg_lu_l", "linalg_lu_u")])
    return ReturnTypes("linalg_lu", p, low, up, fields=("P", "L", "U"))


def f_torch_lu(rt, A, pivot=True, get_infos=False):
    """torch.lu (deprecated): lu_factor_ex's LU and pivots (a plain pair),
    with its info when get_infos; it raises no error for a singular A."""
    A = _factorable(A, "lu", "torch.lu_factor", pivot)
    F.warn_once(rt, A, _LU_DEPRECATED)
    factors, pivots, info = _factor(rt, A)
    if get_infos:
        return ReturnTypes("_lu_with_info", factors, pivots, _info(rt, info),
                           fields=("LU", "pivots", "info"))
    return (factors, pivots)


def m_lu(rt, x, pivot=True, get_infos=False):
    """x.lu(): torch.lu's, but a plain tuple with get_infos too."""
    out = f_torch_lu(rt, x, pivot, get_infos)
    return tuple(out)


# ---- lu_unpack ----------------------------------------------------------------

def f_lu_unpack(rt, LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """P, L, U of lu_factor's output (each of them empty where not asked for)."""
    factors = F._need_tensor(LU_data, "lu_unpack", 1, "LU_data")
    pivots = F._need_tensor(LU_pivots, "lu_unpack", 2, "LU_pivots")
    x, piv = factors.data, pivots.data
    if x.ndim < 2:
        raise GradvizError(f"torch.lu_unpack: Expected tensor with 2 or more dimensions. Got "
                           f"size: {list(x.shape)} instead", kind=RUNTIME,
                           hint="LU_data is lu_factor's LU, a matrix")
    if piv.dtype != np.int32:
        raise GradvizError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of "
                           "torch.int32 dtype.\nNote: this function is intended to be used with "
                           "the output produced by torch.linalg.lu_factor", kind=RUNTIME,
                           hint="pass lu_factor's pivots as they are")
    m, n = x.shape[-2:]
    k = min(m, n)
    empty = np.zeros((0,), x.dtype)
    if unpack_pivots:
        if piv.ndim == 0 or piv.shape[-1] < k or (piv[..., :k] < 1).any() or (
                piv[..., :k] > m).any():
            raise GradvizError("pivots passed to lu_unpack must be between 1 and LU.size(-2) "
                               "inclusive.Did you properly pass the result of lu_factor?",
                               kind=RUNTIME, hint="pass lu_factor's pivots as they are")
        piv = np.broadcast_to(piv[..., :k], x.shape[:-2] + (k,))
        p = _plain(rt, permutation(piv, m, x.dtype), "lu_unpack.P")
    else:
        p = _plain(rt, empty, "lu_unpack.P")
    params = None if unpack_data else {"data": False}
    low, up = F.numbered_outputs([rt.apply(OPS[name], (factors,), params)
                                  for name in ("lu_unpack_l", "lu_unpack_u")])
    return ReturnTypes("lu_unpack", p, low, up, fields=("P", "L", "U"))


# ---- lu_solve -----------------------------------------------------------------

def _check_solve(factors, pivots, B, left: bool) -> None:
    """PyTorch's checks of linalg.lu_solve's arguments, in its order."""
    x, piv, b = factors.data, pivots.data, B.data
    if x.dtype.kind != "f":
        raise GradvizError("torch.linalg.lu_solve: Expected a floating point or complex tensor "
                           f"as input. Got {F.type_word(x.dtype)}", kind=RUNTIME,
                           hint="make it float first: A.float() before lu_factor")
    if piv.dtype != np.int32:
        raise GradvizError("linalg.lu_solve: pivots should be a Tensor of scalar type "
                           "torch.int32", kind=RUNTIME, hint="pass lu_factor's pivots as they are")
    if x.ndim < 2:
        raise GradvizError("torch.linalg.lu_solve: The input tensor A must have at least 2 "
                           "dimensions.", kind=RUNTIME, hint="LU is lu_factor's LU, a matrix")
    if x.shape[-1] != x.shape[-2]:
        raise GradvizError("torch.linalg.lu_solve: A must be batches of square matrices, but "
                           f"they are {x.shape[-2]} by {x.shape[-1]} matrices", kind=RUNTIME,
                           hint="lu_solve solves with the LU of a square matrix")
    if b.dtype != x.dtype:
        raise GradvizError("linalg.lu_solve: Expected LU and B to have the same dtype, but found "
                           f"LU of type {F.type_word(x.dtype)} and B of type "
                           f"{F.type_word(b.dtype)} instead", kind=RUNTIME,
                           hint="convert one: B.to(LU.dtype)")
    if b.ndim < 2:
        raise GradvizError("linalg.lu_solve: The input tensor B must have at least 2 dimensions.",
                           kind=RUNTIME, hint="B is a matrix: a vector b as b.unsqueeze(-1)")
    n = x.shape[-1]
    if b.shape[-2 if left else -1] != n:
        raise GradvizError("linalg.lu_solve: Incompatible shapes of A and B for the equation "
                           f"{'AX' if left else 'XA'} = B ({n}x{n} and {b.shape[-2]}x"
                           f"{b.shape[-1]})", kind=RUNTIME,
                           hint=f"B needs {n} {'rows' if left else 'columns'}")
    if piv.ndim == 0:
        raise GradvizError("Dimension specified as -1 but tensor has no dimensions",
                           kind="IndexError", hint="pass lu_factor's pivots as they are")
    if piv.shape[-1] != n:
        raise GradvizError("linalg.lu_solve: Number of pivots per batch should be same as the "
                           "dimension of the matrix", kind=RUNTIME,
                           hint="pass lu_factor's pivots as they are")
    if piv.shape != x.shape[:-1]:
        raise GradvizError("linalg.lu_solve: Expected LU.shape[:-1] and pivots.shape to be the "
                           f"same, but got pivots with shape {list(piv.shape)} instead",
                           kind=RUNTIME, hint="pass lu_factor's pivots as they are")
    F.broadcast_shape(b.shape[:-2], x.shape[:-2])
    for bad, words in ((piv < 1, "greater or equal to 1"), (piv > n, "smaller or equal to "
                                                                     "LU.size(-2)")):
        if bad.any():
            raise GradvizError(f"Pivots given to lu_solve must all be {words}. Did you properly "
                               "pass the result of lu_factor?", kind=RUNTIME,
                               hint="pass lu_factor's pivots as they are")


def f_lu_solve(rt, LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B from A's lu_factor (A^T X = B with adjoint; X A = B
    with left=False)."""
    factors = F._need_tensor(LU, "linalg_lu_solve", 1, "LU")
    pivots = F._need_tensor(pivots, "linalg_lu_solve", 2, "pivots")
    B = F._need_tensor(B, "linalg_lu_solve", 3, "B")
    _check_solve(factors, pivots, B, bool(left))
    return rt.apply(OPS["linalg_lu_solve"], (factors, pivots, B),
                    {"left": bool(left), "adjoint": bool(adjoint)})


def f_torch_lu_solve(rt, input, LU_data, LU_pivots):
    """torch.lu_solve(b, LU, pivots) (deprecated): linalg.lu_solve(LU, pivots, b)."""
    b = F._need_tensor(input, "lu_solve", 1, "input")
    F.warn_once(rt, b, _LU_SOLVE_DEPRECATED)
    return f_lu_solve(rt, F._need_tensor(LU_data, "lu_solve", 2, "LU_data"),
                      F._need_tensor(LU_pivots, "lu_solve", 3, "LU_pivots"), b)


LINALG = {"lu": f_lu, "lu_factor": f_lu_factor, "lu_factor_ex": f_lu_factor_ex,
          "lu_solve": f_lu_solve}
FUNCTIONS = {"lu": f_torch_lu, "lu_unpack": f_lu_unpack, "lu_solve": f_torch_lu_solve}
METHODS = {"lu": m_lu, "lu_solve": f_torch_lu_solve}
