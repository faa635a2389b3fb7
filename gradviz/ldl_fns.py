"""torch.linalg.ldl_factor, ldl_factor_ex and ldl_solve, with PyTorch's
checks of their arguments. The ops are in ops/ldl.py; the pivots and
ldl_factor_ex's info are plain int32 tensors, as PyTorch's have no gradient.
(hermitian= changes nothing for real matrices, as in PyTorch.)"""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import GradvizError, INDEX, RUNTIME
from .functions import ReturnTypes
from .linalg_fns import _matrix, _plain
from .ops import OPS
from .ops.ldl import ldl_factor

# PyTorch's own error for a singular matrix (its error check does not know
# sytrf's info), where it was raised in PyTorch's sources
_UNKNOWN_CODE = ("false INTERNAL ASSERT FAILED at \"/__w/pytorch/pytorch/aten/src/ATen/native/"
                 "BatchLinearAlgebra.cpp\":1642, please report a bug to PyTorch. "
                 "torch.linalg.{name}: Unknown error code: {info}.")


def _factor(rt, A, name: str, check_errors: bool) -> tuple:
    """(LD, pivots, info) of A, PyTorch's error where check_errors and a
    block of D is zero."""
    A = _matrix(F._need_tensor(A, f"linalg_{name}", 1, "input"), "torch.linalg.ldl_factor_ex")
    _, pivots, info = ldl_factor(A.data)
    if check_errors and info.any():
        raise GradvizError(_UNKNOWN_CODE.format(name=name, info=int(info.reshape(-1)[
            np.flatnonzero(info)[0]])), kind=RUNTIME,
            hint="the matrix is singular (a zero block of D): ldl_factor_ex without "
                 "check_errors gives its info instead")
    return rt.apply(OPS["ldl_factor"], (A,)), _plain(rt, pivots, "ldl_factor.pivots"), info


def f_ldl_factor(rt, A, *, hermitian=False):
    """(LD, pivots): A = P L D L^T P^T, Bunch-Kaufman's pivoting."""
    ld, pivots, _ = _factor(rt, A, "ldl_factor", True)
    return ReturnTypes("linalg_ldl_factor", ld, pivots, fields=("LD", "pivots"))


def f_ldl_factor_ex(rt, A, *, hermitian=False, check_errors=False):
    """ldl_factor's (LD, pivots) and info: the 1-based place of the first
    zero block of D (0: none), not an error unless check_errors."""
    ld, pivots, info = _factor(rt, A, "ldl_factor_ex", check_errors)
    return ReturnTypes("linalg_ldl_factor_ex", ld, pivots, _plain(rt, info, "ldl_factor.info"),
                       fields=("LD", "pivots", "info"))


def f_ldl_solve(rt, LD, pivots, B, *, hermitian=False):
    """X with A X = B, from ldl_factor's LD and pivots."""
    fname = "torch.linalg.ldl_solve"
    LD = _matrix(F._need_tensor(LD, "linalg_ldl_solve", 1, "LD"), fname)
    pivots = F._need_tensor(pivots, "linalg_ldl_solve", 2, "pivots")
    B = F._need_tensor(B, "linalg_ldl_solve", 3, "B")
    ld, piv, b = LD.data, pivots.data, B.data
    if piv.shape != ld.shape[:-1]:
        raise GradvizError(f"{fname}: Expected LD.shape[:-1] and pivots.shape to be the same, but "
                           f"got pivots with shape {list(piv.shape)} instead", kind=RUNTIME,
                           hint="LD and pivots come from one ldl_factor")
    if piv.dtype.kind not in "iu":
        raise GradvizError(f"{fname}: Expected pivots to be integers. Got "
                           f"{F.type_word(piv.dtype)}", kind=RUNTIME,
                           hint="pivots are ldl_factor's int32 tensor")
    if b.dtype != ld.dtype:
        raise GradvizError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{F.type_word(b.dtype)} and A of type {F.type_word(ld.dtype)} instead.",
                           kind=RUNTIME, hint="convert one: B.to(LD.dtype)")
    if b.ndim < 2:
        raise GradvizError(f"Dimension out of range (expected to be in range of [{-max(b.ndim, 1)}"
                           f", {max(b.ndim, 1) - 1}], but got -2)", kind=INDEX,
                           hint="B is a matrix: a vector b as b.unsqueeze(-1)")
    if b.shape[-2] != ld.shape[-1]:
        raise GradvizError(f"Incompatible matrix sizes for {fname}: each A matrix is "
                           f"{ld.shape[-2]} by {ld.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}", kind=RUNTIME,
                           hint=f"B needs {ld.shape[-1]} rows, one per row of A")
    F.broadcast_shape(ld.shape[:-2], b.shape[:-2])
    return rt.apply(OPS["ldl_solve"], (LD, pivots, B))


LINALG = {"ldl_factor": f_ldl_factor, "ldl_factor_ex": f_ldl_factor_ex,
          "ldl_solve": f_ldl_solve}
