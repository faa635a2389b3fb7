"""torch.cholesky_inverse (and its method): (L L^T)^-1 from a Cholesky
factor, with PyTorch's checks of its argument."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, TYPE
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


FUNCTIONS = {"cholesky_inverse": f_cholesky_inverse}
METHODS = {name: _as_method(name, f) for name, f in FUNCTIONS.items()}
