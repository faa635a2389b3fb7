"""torch.adjoint (and x.adjoint()), torch.linalg.matmul, torch.linalg.vecdot
and torch.linalg.vander as PyTorch composes them; the deprecated
torch.triangular_solve (and its method), with PyTorch's warning, once; and
torch's removed linear-algebra functions (lstsq, solve, eig, symeig and
their methods): PyTorch's error, which says what replaces each."""
from __future__ import annotations

from . import functions as F
from .errors import FORMS_MESSAGE_CHARS, GradvizError, RUNTIME
from .functions import ReturnTypes
from .linalg_fns import check_solver_shapes
from .ops import OPS

_REMOVED = "This function was deprecated since version 1.9 and is now removed. "
_INSTEAD = {
    "lstsq": (
        "`torch.lstsq` is deprecated in favor of `torch.linalg.lstsq`.\n`torch.linalg.lstsq` has "
        "reversed arguments and does not return the QR decomposition in the returned tuple "
        "(although it returns other information about the problem).\n\nTo get the QR "
        "decomposition consider using `torch.linalg.qr`.\n\nThe returned solution in "
        "`torch.lstsq` stored the residuals of the solution in the last m - n columns of the "
        "returned value whenever m > n. In torch.linalg.lstsq, the residuals are in the field "
        "'residuals' of the returned named tuple.\n\nThe unpacking of the solution, as in\n"
        "X, _ = torch.lstsq(B, A).solution[:A.size(1)]\nshould be replaced with:\n"
        "X = torch.linalg.lstsq(A, B).solution", "torch.linalg.lstsq(A, B)"),
    "solve": (
        "`torch.solve` is deprecated in favor of `torch.linalg.solve`. `torch.linalg.solve` has "
        "its arguments reversed and does not return the LU factorization.\n\nTo get the LU "
        "factorization see `torch.lu`, which can be used with `torch.lu_solve` or "
        "`torch.lu_unpack`.\nX = torch.solve(B, A).solution should be replaced with:\n"
        "X = torch.linalg.solve(A, B)", "torch.linalg.solve(A, B)"),
    "eig": (
        "`torch.linalg.eig` returns complex tensors of dtype `cfloat` or `cdouble` rather than "
        "real tensors mimicking complex tensors.\n\nL, _ = torch.eig(A) should be replaced "
        "with:\nL_complex = torch.linalg.eigvals(A)\n\nand\n\nL, V = torch.eig(A, "
        "eigenvectors=True) should be replaced with:\nL_complex, V_complex = "
        "torch.linalg.eig(A)", "torch.linalg.eigh(A) for a symmetric A"),
    "symeig": (
        "The default behavior has changed from using the upper triangular portion of the matrix "
        "by default to using the lower triangular portion.\n\nL, _ = torch.symeig(A, "
        "upper=upper) should be replaced with:\nL = torch.linalg.eigvalsh(A, UPLO='U' if upper "
        "else 'L')\n\nand\n\nL, V = torch.symeig(A, eigenvectors=True) should be replaced "
        "with:\nL, V = torch.linalg.eigh(A, UPLO='U' if upper else 'L')",
        "torch.linalg.eigh(A)"),
}


def _removed(name: str) -> GradvizError:
    message, instead = _INSTEAD[name]
    # (PyTorch's words whole, lstsq's 740 characters too: what replaces it)
    return GradvizError(_REMOVED + message, kind=RUNTIME, hint=f"use {instead}",
                        max_chars=FORMS_MESSAGE_CHARS)


# PyTorch keeps them as Python functions, whose signatures a call must fit
# before the error (x.solve(): "Tensor.solve() missing 1 required positional
# argument: 'other'"); the methods' differ from the functions'
def _eig(rt, self, eigenvectors=False, *, e=None, v=None):
    raise _removed("eig")


def _symeig(rt, input, eigenvectors=False, upper=True, *, out=None):
    raise _removed("symeig")


def _lstsq(rt, input, A, *, out=None):
    raise _removed("lstsq")


def _solve(rt, input, A, *, out=None):
    raise _removed("solve")


def _eig_method(rt, self, eigenvectors=False):
    raise _removed("eig")


def _symeig_method(rt, self, eigenvectors=False):
    raise _removed("symeig")


def _lstsq_method(rt, self, other):
    raise _removed("lstsq")


def _solve_method(rt, self, other):
    raise _removed("solve")


def f_adjoint(rt, input):
    """The conjugate transpose of the last two dims: for real tensors the
    transpose, a view (TransposeBackward0)."""
    x = F._need_tensor(input, "adjoint", 1, "input")
    if x.data.ndim < 2:
        raise GradvizError("tensor.adjoint() is only supported on matrices or batches of "
                           f"matrices. Got {x.data.ndim}-D tensor.", kind=RUNTIME,
                           hint="a vector has no transpose: x.view(1, -1) makes it a row")
    return F.f_transpose(rt, x, -2, -1)


def f_vecdot(rt, x, y, *, dim=-1):
    """The dot products of x and y along dim (broadcast): vdot for two
    vectors, else (x * y).sum(dim), as PyTorch computes it for real tensors."""
    x = F._need_tensor(x, "linalg_vecdot", 1, "x")
    y = F._need_tensor(y, "linalg_vecdot", 2, "y")
    if x.data.dtype.kind != "f":
        raise GradvizError("linalg.vecdot: Expected a floating point or complex tensor as input. "
                           f"Got {F.type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="make them float first: x.float()")
    if y.data.dtype != x.data.dtype:
        raise GradvizError("linalg.vecdot: Expected x and y to have the same dtype, but found x "
                           f"of type {F.type_word(x.data.dtype)} and y of type "
                           f"{F.type_word(y.data.dtype)} instead", kind=RUNTIME,
                           hint="convert one: y.to(x.dtype)")
    if x.data.ndim == 1 and y.data.ndim == 1:
        return F.FUNCTIONS["vdot"](rt, x, y)
    product = rt.binary("*", x, y)
    return F.FUNCTIONS["sum"](rt, product, dim)


def f_linalg_vander(rt, x, *, N=None):
    """The powers x^0 .. x^(N-1) of each element along a new last dim
    (increasing, unlike torch.vander): a column of ones, then the cumulative
    products of x repeated, as ATen's linalg_vander builds it."""
    x = F._need_tensor(x, "linalg_vander", 1, "x")
    if x.data.dtype.kind not in "fiu" or x.data.dtype == bool:
        raise GradvizError("linalg.vander supports floating point, complex, and integer tensors, "
                           f"but got {F.type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="make it a number tensor first: x.float()")
    if x.data.ndim == 0:
        x = F.f_unsqueeze(rt, x, -1)
    shape = list(x.data.shape)
    n = shape[-1] if N is None else N
    if n <= 1:
        raise GradvizError("N must be greater than 1.", kind=RUNTIME,
                           hint="N counts the powers: 2 or more")
    repeated = F.METHODS["expand"](rt, F.f_unsqueeze(rt, x, -1), *shape, n - 1)
    powers = F.FUNCTIONS["cumprod"](rt, repeated, -1)
    ones = F.METHODS["new_ones"](rt, powers, (*shape, 1))
    return F.FUNCTIONS["cat"](rt, [ones, powers], -1)


_TRIANGULAR_SOLVE_DEPRECATED = (
    "torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be "
    "removed in a future PyTorch release.\ntorch.linalg.solve_triangular has its arguments "
    "reversed and does not return a copy of one of the inputs.\nX = torch.triangular_solve(B, "
    "A).solution\nshould be replaced with\nX = torch.linalg.solve_triangular(A, B).")


def _check_triangular_solve(b, a) -> None:
    """PyTorch's checks of triangular_solve's b and A, in its order."""
    if b.ndim < 2:
        raise GradvizError("torch.triangular_solve: Expected b to have at least 2 dimensions, but "
                           f"it has {b.ndim} dimensions instead", kind=RUNTIME,
                           hint="b is a matrix: a vector as b.unsqueeze(-1)")
    if b.dtype != a.dtype:
        raise GradvizError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{F.type_word(b.dtype)} and A of type {F.type_word(a.dtype)} "
                           "instead.", kind=RUNTIME, hint="convert one: b.to(A.dtype)")
    check_solver_shapes(b, a, "triangular_solve", "a triangular matrix is square",
                        f"b needs {a.shape[-1]} rows, one per row of A")
    if a.dtype.kind != "f":
        raise GradvizError(f"\"triangular_solve_cpu\" not implemented for "
                           f"'{F.type_word(a.dtype)}'", kind="NotImplementedError",
                           hint="make them float first: A.float()")


def f_triangular_solve(rt, input, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve(b, A) (deprecated): X with op(A) X = b (op(A)
    = A^T with transpose), reading A's upper triangle by default, and a
    copy of A; both TriangularSolveBackward0."""
    b = F._need_tensor(input, "triangular_solve", 1, "input")
    A = F._need_tensor(A, "triangular_solve", 2, "A")
    F.warn_once(rt, b, _TRIANGULAR_SOLVE_DEPRECATED)
    _check_triangular_solve(b.data, A.data)
    batch = F.broadcast_shape(b.data.shape[:-2], A.data.shape[:-2])
    params = {"upper": bool(upper), "transpose": bool(transpose),
              "unitriangular": bool(unitriangular)}
    solution, copy = F.numbered_outputs([rt.apply(OPS["triangular_solve"], (b, A), params),
                                         rt.apply(OPS["triangular_solve_clone"], (A,),
                                                  {"batch": batch})])
    return ReturnTypes("triangular_solve", solution, copy,
                       fields=("solution", "cloned_coefficient"))


FUNCTIONS = {"adjoint": f_adjoint, "triangular_solve": f_triangular_solve, "eig": _eig,
             "symeig": _symeig, "lstsq": _lstsq, "solve": _solve}
METHODS = {"adjoint": f_adjoint, "triangular_solve": f_triangular_solve, "eig": _eig_method,
           "symeig": _symeig_method, "lstsq": _lstsq_method, "solve": _solve_method}
LINALG = {"vecdot": f_vecdot, "vander": f_linalg_vander}
