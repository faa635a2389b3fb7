"""torch.linalg.cond(A, p=None): the condition number, composed as ATen's
linalg_cond composes it, so that its graph and gradients are PyTorch's:
p None, 2 or -2 from the singular values (the largest over the smallest,
or its reciprocal); 'nuc' the sum of the singular values times that of
their reciprocals; 'fro', 1, -1, inf and -inf the norm of A times that of
its inverse (inv_ex's, infinite where A is singular), NaN made infinite."""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import GradvizError, RUNTIME
from .linalg_fns import _plain, f_inv_ex, f_matrix_norm, f_svdvals

_NORM_ORDS = ("fro", "nuc", 1, -1, math.inf, -math.inf)


def _from_singular_values(rt, A, p):
    s = f_svdvals(rt, A)
    k = s.data.shape[-1]
    narrow = F.FUNCTIONS["narrow"]
    largest, smallest = narrow(rt, s, -1, 0, 1), narrow(rt, s, -1, k - 1, 1)
    ratio = (rt.binary("/", smallest, largest) if p == -2 else
             rt.binary("/", largest, smallest))
    return F.FUNCTIONS["squeeze"](rt, ratio, -1)


def _nuclear(rt, A):
    s = f_svdvals(rt, A)
    total = F.FUNCTIONS["sum"]
    return rt.binary("*", total(rt, s, -1), total(rt, F.FUNCTIONS["reciprocal"](rt, s), -1))


def _with_inverse(rt, A, p):
    inverse, info = f_inv_ex(rt, A)
    singular = _plain(rt, info.data[..., None, None] > 0, "cond.singular")
    inverse = F.METHODS["masked_fill_"](rt, inverse, singular, math.inf)
    product = rt.binary("*", f_matrix_norm(rt, A, p), f_matrix_norm(rt, inverse, p))
    return F.FUNCTIONS["nan_to_num"](rt, product, math.inf, math.inf, -math.inf)


def f_cond(rt, A, p=None):
    A = F._need_tensor(A, "linalg_cond", 1, "input")
    x = A.data
    if x.ndim < 2:
        raise GradvizError("linalg.cond: The input tensor must have at least 2 dimensions.",
                           kind=RUNTIME, hint="a matrix has two dims")
    if p is not None and p not in (2, -2) + _NORM_ORDS or isinstance(p, bool):
        raise GradvizError(f"linalg.cond got an invalid norm type: {p}", kind=RUNTIME,
                           hint="p is None, 2, -2, 'fro', 'nuc', 1, -1, inf or -inf")
    if p not in (None, 2, -2) and x.shape[-1] != x.shape[-2]:
        raise GradvizError(f"linalg.cond(ord={p}): A must be batches of square matrices, but they "
                           f"are {x.shape[-2]} by {x.shape[-1]} matrices", kind=RUNTIME,
                           hint="a norm other than 2 needs the inverse: a square matrix")
    if x.size == 0 and x.shape[-1] == x.shape[-2]:
        # (NumPy defines no condition number of a 0 x 0 matrix: PyTorch gives 0)
        return _plain(rt, np.zeros(x.shape[:-2], x.dtype), "cond")
    if p in (None, 2, -2):
        return _from_singular_values(rt, A, p)
    if p == "nuc":
        return _nuclear(rt, A)
    return _with_inverse(rt, A, p)


LINALG = {"cond": f_cond}
