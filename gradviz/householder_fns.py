"""torch.geqrf, torch.linalg.householder_product (torch.orgqr) and
torch.ormqr, and their methods, with PyTorch's checks of their arguments
in its order. The ops are in ops/householder.py."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, INDEX, RUNTIME
from .forward_ad import refuse_dual
from .functions import ReturnTypes, numbered_outputs
from .ops import OPS
from .selection import _as_method


def _float(x, kernel: str) -> None:
    if x.dtype.kind != "f" or x.dtype.itemsize < 4:
        raise GradvizError(f"\"{kernel}_cpu\" not implemented for '{F.type_word(x.dtype)}'",
                           kind="NotImplementedError", hint="make it float first: A.float()")


def _error(fname: str, message: str, hint: str) -> GradvizError:
    return GradvizError(f"torch.{fname}: {message}", kind=RUNTIME, hint=hint)


def _last_size(t) -> int:
    """t.size(-1), with PyTorch's error for a 0-d t."""
    if not t.data.ndim:
        raise GradvizError("Dimension specified as -1 but tensor has no dimensions", kind=INDEX,
                           hint="tau is a vector: one factor per reflector")
    return t.data.shape[-1]


def _tau_matches(fname: str, a, tau) -> None:
    """tau one dim less than input, its batch dims input's, its dtype input's."""
    if a.ndim - tau.ndim != 1:
        raise _error(fname, "Expected tau to have one dimension less than input, but got tau.ndim "
                            f"equal to {tau.ndim} and input.ndim is equal to {a.ndim}",
                     "tau has input's batch dims and one more: geqrf's tau")
    if a.ndim > 2 and tau.shape[:-1] != a.shape[:-2]:
        raise _error(fname, "Expected batch dimensions of tau to be equal to input.shape[:-2], "
                            f"but got {list(tau.shape[:-1])}", "tau and input come from one geqrf")


def f_geqrf(rt, input):
    """(a, tau): the QR factorization as LAPACK's reflectors."""
    A = F._need_tensor(input, "geqrf", 1, "input")
    if A.data.ndim < 2:
        raise _error("geqrf", "input must have at least 2 dimensions.",
                     "a matrix has two dims: reshape a vector with x.view(-1, 1)")
    _float(A.data, "geqrf")
    outs = numbered_outputs([rt.apply(OPS[name], (A,)) for name in ("geqrf_a", "geqrf_tau")])
    return ReturnTypes("geqrf", *outs, fields=("a", "tau"))


def f_householder_product(rt, input, tau):
    """The first n columns of H_1 ... H_k (H_i = I - tau_i v_i v_i^T)."""
    A = F._need_tensor(input, "linalg_householder_product", 1, "input")
    T = F._need_tensor(tau, "linalg_householder_product", 2, "tau")
    return _householder_product(rt, A, T)


def f_orgqr(rt, input, input2):
    """torch.orgqr(a, tau): linalg.householder_product under its LAPACK name."""
    A = F._need_tensor(input, "orgqr", 1, "input")
    return _householder_product(rt, A, F._need_tensor(input2, "orgqr", 2, "input2"))


def _householder_product(rt, A, T):
    fname = "linalg.householder_product"
    a, tau = A.data, T.data
    if a.ndim < 2:
        raise _error(fname, "input must have at least 2 dimensions.",
                     "input is geqrf's a: a matrix")
    if a.shape[-2] < a.shape[-1]:
        raise _error(fname, "input.shape[-2] must be greater than or equal to input.shape[-1]",
                     "Q has orthonormal columns: no more columns than rows")
    if a.shape[-1] < _last_size(T):
        raise _error(fname, "input.shape[-1] must be greater than or equal to tau.shape[-1]",
                     "one reflector per column at most")
    _tau_matches(fname, a, tau)
    if tau.dtype != a.dtype:
        raise _error(fname, f"tau dtype {F.type_word(tau.dtype)} does not match input dtype "
                            f"{F.type_word(a.dtype)}", "convert one: tau.to(input.dtype)")
    _float(a, "orgqr")
    return rt.apply(OPS["householder_product"], (A, T))


def f_ormqr(rt, input, input2, input3, left=True, transpose=False):
    """op(Q) C (left) or C op(Q), Q = H_1 ... H_k from geqrf's (a, tau),
    op(Q) Q^T with transpose=True."""
    A = F._need_tensor(input, "ormqr", 1, "input")
    T = F._need_tensor(input2, "ormqr", 2, "input2")
    C = F._need_tensor(input3, "ormqr", 3, "input3")
    a, tau, c = A.data, T.data, C.data
    for x, name in ((a, "input"), (c, "other")):
        if x.ndim < 2:
            raise _error("ormqr", f"{name} must have at least 2 dimensions.",
                         "input is geqrf's a and other a matrix")
    side = -2 if left else -1
    if c.shape[side] != a.shape[-2]:
        raise _error("ormqr", f"other.shape[{side}] must be equal to input.shape[-2]",
                     "Q is input.shape[-2] square: other must fit it on that side")
    if _last_size(T) != min(c.shape[side], a.shape[-1]):
        raise _error("ormqr", f"tau.shape[-1] must be equal to min(other.shape[{side}], "
                              "input.shape[-1])", "tau is geqrf's: one factor per reflector")
    _tau_matches("ormqr", a, tau)
    if a.ndim != c.ndim:
        raise _error("ormqr", "Expected other to have the same number of dimensions as input, but "
                              f"got other.ndim equal to {c.ndim} and input.ndim is equal to "
                              f"{a.ndim}", "other has input's batch dims")
    if a.ndim > 2 and c.shape[:-2] != a.shape[:-2]:
        raise _error("ormqr", "Expected batch dimensions of other to be equal to input.shape[:-2],"
                              f" but got {list(c.shape[:-2])}", "other has input's batch dims")
    for x, name in ((tau, "tau"), (c, "other")):
        if x.dtype != a.dtype:
            # (PyTorch's message has no space after the first "dtype")
            raise _error("ormqr", f"Expected input and {name} to have the same dtype, but input "
                                  f"has dtype{F.type_word(a.dtype)} and {name} has dtype "
                                  f"{F.type_word(x.dtype)}", f"convert one: {name}.to(input.dtype)")
    _float(a, "ormqr")
    # (PyTorch's ormqr has a backward but no forward-mode derivative)
    refuse_dual(rt, (A, T, C), "ormqr", "forward mode cannot pass through ormqr: multiply by "
                                        "torch.linalg.householder_product(input, tau) instead")
    return rt.apply(OPS["ormqr"], (A, T, C), {"left": bool(left), "transpose": bool(transpose)})


FUNCTIONS = {"geqrf": f_geqrf, "orgqr": f_orgqr, "ormqr": f_ormqr}
METHODS = {name: _as_method(name, f) for name, f in FUNCTIONS.items()}
LINALG = {"householder_product": f_householder_product}
