"""torch.linalg's functions (and torch's older names for them: inverse, det,
logdet, slogdet, cholesky, svd, pinverse, matrix_power) with PyTorch's
argument checks and messages; the ops are in ops/decomp.py and
ops/spectral.py, the composite ones (matrix_power, matrix_norm, multi_dot,
logdet) are made of other ops as PyTorch makes them. Imported by
functions.py, whose FUNCTIONS and METHODS tables LINALG's names join.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .functions import ReturnTypes, _dim, _need_tensor, numbered_outputs
from .ops import OPS
from .tensor import SCALAR_TYPE_NAMES, Tensor

MATRIX_NORM_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def _matrix(A, fname: str, square=True, arg="A") -> Tensor:
    """A, checked as PyTorch's linalg functions check it: a tensor of
    matrices (leading dims a batch), floating point, square where asked."""
    A = _need_tensor(A, fname.replace(".", "_"), 1, arg)
    x = A.data
    if x.ndim < 2:
        raise GradvizError(f"{fname}: The input tensor {arg} must have at least 2 dimensions.",
                           kind=RUNTIME, hint="a matrix has two dims: reshape a vector with "
                                              "x.view(1, -1) or x.view(-1, 1)")
    if x.dtype.kind != "f":
        raise GradvizError(f"{fname}: Expected a floating point or complex tensor as input. "
                           f"Got {F.type_word(x.dtype)}", kind=RUNTIME,
                           hint="make it float first: A.float()")
    if square and x.shape[-1] != x.shape[-2]:
        raise GradvizError(f"{fname}: {arg} must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices", kind=RUNTIME,
                           hint="this needs square matrices (as many rows as columns)")
    return A


def _outputs(rt, A, names, params, kind, fields):
    """One node per output of a decomposition, under its one grad_fn name."""
    outs = numbered_outputs([rt.apply(OPS[name], (A,), params) for name in names])
    return ReturnTypes(kind, *outs, fields=fields)


def _plain(rt, data, label) -> Tensor:
    return rt.tape.add(Tensor(np.asarray(data)), rt.span, label=label)


# ---- inv, det, slogdet, logdet ------------------------------------------------

def f_inv(rt, A):
    A = _matrix(A, "linalg.inv")
    return rt.apply(OPS["linalg_inv"], (A,))


def _zero_pivots(a, batch, fname: str, how: str, check_errors) -> np.ndarray:
    """An _ex function's info: the 1-based place of each matrix's first zero
    pivot (0: none), int32; with check_errors PyTorch's error for the first."""
    from .ops.decomp import lu, singular_error
    zero_at = np.broadcast_to(lu(a)[2] if a.size else np.zeros(a.shape[:-2], np.int64), batch)
    if check_errors and zero_at.any():
        raise singular_error(fname, zero_at, how)
    return zero_at.astype(np.int32)


def f_inv_ex(rt, A, *, check_errors=False):
    """inv without the error: a singular matrix's inverse is the LU solve's
    infinities, and info says which pivot was zero."""
    A = _matrix(A, "linalg.inv")
    info = _zero_pivots(A.data, A.data.shape[:-2], "linalg.inv_ex", "inv", check_errors)
    inverse = rt.apply(OPS["linalg_inv"], (A,), {"ex": True})
    return ReturnTypes("linalg_inv_ex", inverse, _plain(rt, info, "inv_ex.info"),
                       fields=("inverse", "info"))


def f_inverse(rt, input):
    return f_inv(rt, _need_tensor(input, "inverse"))


def f_det(rt, A):
    return rt.apply(OPS["linalg_det"], (_matrix(A, "linalg.det"),))


def f_torch_det(rt, input):
    return f_det(rt, _need_tensor(input, "det"))


def _slogdet(kind):
    def f(rt, A):
        A = _matrix(A, "linalg.slogdet")
        return _outputs(rt, A, ("slogdet_sign", "slogdet_logabsdet"), None, kind,
                        ("sign", "logabsdet"))
    return f


def f_logdet(rt, input):
    """log(det(A)): slogdet's logabsdet, NaN where the determinant is negative
    (PyTorch's where: WhereBackward0)."""
    A = _matrix(_need_tensor(input, "logdet"), "logdet")
    sign, logabs = _slogdet("slogdet")(rt, A)
    negative = _plain(rt, sign.data == -1, "logdet.negative")
    return F.f_where(rt, negative, math.nan, logabs)


# ---- solve -------------------------------------------------------------------

def f_solve(rt, A, B, *, left=True):
    A, B, params = _solve_arguments(A, B, left)
    return rt.apply(OPS["linalg_solve"], (A, B), params)


def f_solve_ex(rt, A, B, *, left=True, check_errors=False):
    """solve without the error: a singular A gives the LU solve's
    infinities, and info says which pivot was zero."""
    A, B, params = _solve_arguments(A, B, left)
    batch = np.broadcast_shapes(A.data.shape[:-2], B.data.shape[:-1] if params["vector"]
                                else B.data.shape[:-2])
    info = _zero_pivots(A.data, batch, "linalg.solve_ex", "solve", check_errors)
    result = rt.apply(OPS["linalg_solve"], (A, B), {**params, "ex": True})
    return ReturnTypes("linalg_solve_ex", result, _plain(rt, info, "solve_ex.info"),
                       fields=("result", "info"))


def _solve_arguments(A, B, left):
    """A, B and the op's params of linalg.solve, checked as PyTorch checks them."""
    A = _matrix(A, "linalg.solve")
    B = _need_tensor(B, "linalg_solve", 2, "B")
    a, b = A.data, B.data
    if b.dtype != a.dtype:
        raise GradvizError("linalg.solve: Expected A and B to have the same dtype, but found A "
                           f"of type {F.type_word(a.dtype)} and B of type "
                           f"{F.type_word(b.dtype)} instead", kind=RUNTIME,
                           hint="convert one: B.to(A.dtype)")
    if b.ndim == 0:
        raise GradvizError("linalg.solve: The input tensor B must have at least 2 dimensions.",
                           kind=RUNTIME, hint="B is a vector or a matrix")
    # B is a (batch of) vector(s) when it has one dim less than A, as PyTorch reads it
    vector = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1]))
    shown = (b.shape[-1], 1) if vector or b.ndim == 1 else b.shape[-2:]
    if shown[0 if left else 1] != a.shape[-1] or (b.ndim == 1 and not left):
        raise GradvizError("linalg.solve: Incompatible shapes of A and B for the equation "
                           f"{'AX' if left else 'XA'} = B ({a.shape[-2]}x{a.shape[-1]} and "
                           f"{shown[0]}x{shown[1]})", kind=RUNTIME,
                           hint=f"B needs {a.shape[-1]} {'rows' if left else 'columns'}, one "
                                "per row of A")
    F.broadcast_shape(a.shape[:-2], b.shape[:-1] if vector else b.shape[:-2])
    return A, B, {"vector": vector, "left": bool(left)}


def f_solve_triangular(rt, A, B, *, upper, left=True, unitriangular=False):
    """A X = B (X A = B) for a triangular A: only its upper (lower) triangle
    is read; a zero on its diagonal gives inf and nan, not an error."""
    A = _need_tensor(A, "linalg_solve_triangular", 1, "A")
    B = _need_tensor(B, "linalg_solve_triangular", 2, "B")
    for t, name in ((A, "A"), (B, "B")):
        if t.data.ndim < 2:
            raise GradvizError(f"linalg.solve_triangular: The input tensor {name} must have at "
                               "least 2 dimensions.", kind=RUNTIME,
                               hint="B is a matrix: a vector b as b.unsqueeze(-1)")
    a, b = A.data, B.data
    if a.dtype.kind != "f" and b.dtype.kind != "f":
        raise GradvizError(f"\"triangular_solve_cpu\" not implemented for "
                           f"'{F.type_word(a.dtype)}'", kind="NotImplementedError",
                           hint="make them float first: A.float()")
    if a.shape[-1] != a.shape[-2]:
        raise GradvizError("linalg.solve_triangular: A must be batches of square matrices, but "
                           f"they are {a.shape[-2]} by {a.shape[-1]} matrices", kind=RUNTIME,
                           hint="a triangular matrix is square")
    if b.shape[-2 if left else -1] != a.shape[-1]:
        raise GradvizError("linalg.solve_triangular: Incompatible shapes of A and B for the "
                           f"equation {'AX' if left else 'XA'} = B ({a.shape[-2]}x{a.shape[-1]} "
                           f"and {b.shape[-2]}x{b.shape[-1]})", kind=RUNTIME,
                           hint=f"B needs {a.shape[-1]} {'rows' if left else 'columns'}")
    F.broadcast_shape(a.shape[:-2], b.shape[:-2])
    # (an integer operand takes the other's float dtype, as PyTorch promotes)
    common = np.result_type(*(d for d in (a.dtype, b.dtype) if d.kind == "f"))
    A, B = (F.f_to(rt, t, common) if t.data.dtype != common else t for t in (A, B))
    return rt.apply(OPS["solve_triangular"], (A, B), {"upper": bool(upper), "left": bool(left),
                                                      "unitriangular": bool(unitriangular)})


def check_solver_shapes(b, a, fname: str, square_hint: str, rows_hint: str) -> None:
    """PyTorch's checks of an older solver's A (square) and b (as many rows
    as A), in FNAME's words."""
    if a.shape[-1] != a.shape[-2]:
        raise GradvizError(f"A must be batches of square matrices, but they are {a.shape[-2]} "
                           f"by {a.shape[-1]} matrices", kind=RUNTIME, hint=square_hint)
    if b.shape[-2] != a.shape[-1]:
        raise GradvizError(f"Incompatible matrix sizes for {fname}: each A matrix is "
                           f"{a.shape[-2]} by {a.shape[-1]} but each b matrix is {b.shape[-2]} "
                           f"by {b.shape[-1]}", kind=RUNTIME, hint=rows_hint)


def f_cholesky_solve(rt, input, input2, upper=False):
    """(L L^T)^-1 B from the Cholesky factor L (U^T U with upper=True): B
    is input and L input2, as PyTorch's argument parser names them."""
    B = _need_tensor(input, "cholesky_solve", 1, "input")
    L = _need_tensor(input2, "cholesky_solve", 2, "input2")
    for t, name in ((B, "b"), (L, "u")):
        if t.data.ndim < 2:
            raise GradvizError(f"{name} should have at least 2 dimensions, but has "
                               f"{t.data.ndim} dimensions instead", kind=RUNTIME,
                               hint="B is a matrix: a vector b as b.unsqueeze(-1)")
    b, f = B.data, L.data
    if b.dtype != f.dtype:
        raise GradvizError(f"Expected b and A to have the same dtype, but found b of type "
                           f"{F.type_word(b.dtype)} and A of type {F.type_word(f.dtype)} "
                           "instead.", kind=RUNTIME, hint="convert one: B.to(L.dtype)")
    if f.dtype.kind != "f":
        raise GradvizError(f"\"cholesky_solve_cpu\" not implemented for '{F.type_word(f.dtype)}'",
                           kind="NotImplementedError", hint="make them float first: B.float()")
    check_solver_shapes(b, f, "cholesky_solve", "the Cholesky factor is square",
                        f"B needs {f.shape[-1]} rows, one per row of L")
    F.broadcast_shape(b.shape[:-2], f.shape[:-2])
    return rt.apply(OPS["cholesky_solve"], (B, L), {"upper": bool(upper)})


# ---- cholesky ----------------------------------------------------------------

def f_cholesky(rt, input, *, upper=False):     # (PyTorch's parser names A input here)
    A = _matrix(_need_tensor(input, "linalg_cholesky", 1, "input"), "linalg.cholesky")
    return rt.apply(OPS["linalg_cholesky"], (A,), {"upper": bool(upper)})


def f_cholesky_ex(rt, input, *, upper=False, check_errors=False):
    """cholesky without the error: a matrix that is not positive-definite
    gets LAPACK's partial factor, and info the failing minor's order."""
    from .ops.decomp import not_positive_definite, partial_cholesky
    A = _matrix(_need_tensor(input, "linalg_cholesky_ex", 1, "input"), "linalg.cholesky")
    info = partial_cholesky(A.data)[1] if A.data.size else np.zeros(A.data.shape[:-2], np.int32)
    if check_errors and info.any():
        raise not_positive_definite("linalg.cholesky_ex", A.data)
    factor = rt.apply(OPS["linalg_cholesky"], (A,), {"upper": bool(upper), "ex": True})
    return ReturnTypes("linalg_cholesky_ex", factor, _plain(rt, info, "cholesky_ex.info"),
                       fields=("L", "info"))


def f_torch_cholesky(rt, input, upper=False):
    A = _matrix(_need_tensor(input, "cholesky"), "cholesky")
    # (torch.cholesky is an op of its own in PyTorch: CholeskyBackward0)
    return rt.apply(OPS["linalg_cholesky"], (A,), {"upper": bool(upper), "fname": "cholesky",
                                                   "old": True})


# ---- qr, eigh, svd -----------------------------------------------------------

def f_qr(rt, A, mode="reduced"):
    A = _matrix(A, "linalg.qr", square=False)
    if mode not in ("reduced", "complete", "r"):
        raise GradvizError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'", kind=RUNTIME,
                           hint="mode='reduced', 'complete' or 'r'")
    return _outputs(rt, A, ("qr_q", "qr_r"), {"mode": mode}, "linalg_qr", ("Q", "R"))


def f_torch_qr(rt, input, some=True):
    out = f_qr(rt, _need_tensor(input, "qr"), "reduced" if some else "complete")
    out.kind = "qr"
    return out


def _uplo(UPLO) -> str:
    if UPLO not in ("L", "U"):
        raise GradvizError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}",
                           kind=RUNTIME, hint="UPLO='L' reads the lower triangle, 'U' the upper")
    return UPLO


def _eigh_input(A, fname):
    A = _need_tensor(A, fname.replace(".", "_"), 1, "input")
    if A.data.ndim >= 2 and A.data.dtype.kind != "f":
        raise GradvizError(f"\"linalg_eigh_cpu\" not implemented for '{F.type_word(A.data.dtype)}'",
                           kind="NotImplementedError", hint="make it float first: A.float()")
    return _matrix(A, "linalg.eigh")


def f_eigh(rt, input, UPLO="L"):      # (PyTorch's parser names A input here)
    A = _eigh_input(input, "linalg.eigh")
    return _outputs(rt, A, ("eigh_values", "eigh_vectors"), {"UPLO": _uplo(UPLO)}, "linalg_eigh",
                    ("eigenvalues", "eigenvectors"))


def f_eigvalsh(rt, input, UPLO="L"):
    A = _eigh_input(input, "linalg.eigvalsh")
    return rt.apply(OPS["eigh_values"], (A,), {"UPLO": _uplo(UPLO)})


def f_svd(rt, A, full_matrices=True, *, driver=None):
    A = _matrix(A, "linalg.svd", square=False)
    return _outputs(rt, A, ("svd_u", "svd_s", "svd_vh"), {"full_matrices": bool(full_matrices)},
                    "linalg_svd", ("U", "S", "Vh"))


def f_svdvals(rt, A, *, driver=None):
    return rt.apply(OPS["svd_s"], (_matrix(A, "linalg.svd", square=False),))


def f_torch_svd(rt, input, some=True, compute_uv=True):
    """torch.svd: U, S and V (not Vh: its transpose, TransposeBackward0);
    compute_uv=False gives U and V of zeros."""
    A = _matrix(_need_tensor(input, "svd"), "linalg.svd", square=False)
    if not compute_uv:
        m, n = A.data.shape[-2:]
        batch, dt = A.data.shape[:-2], A.data.dtype
        k = min(m, n)
        u = _plain(rt, np.zeros(batch + (m, k if some else m), dt), "svd.U")
        v = _plain(rt, np.zeros(batch + (n, k if some else n), dt), "svd.V")
        return ReturnTypes("svd", u, f_svdvals(rt, A), v, fields=("U", "S", "V"))
    u, s, vh = f_svd(rt, A, not some)
    return ReturnTypes("svd", u, s, F.f_transpose(rt, vh, -2, -1), fields=("U", "S", "V"))


# ---- pinv, matrix_rank, lstsq ------------------------------------------------

def _pinv_input(A, fname):
    A = _need_tensor(A, fname, 1, "A" if fname.startswith("linalg") else "input")
    x = A.data
    if x.ndim < 2 or x.dtype.kind != "f":
        dims = ", ".join(map(str, x.shape))
        raise GradvizError(f"linalg.pinv({F.type_word(x.dtype)}{{[{dims}]}}): expected a tensor "
                           "with 2 or more dimensions of float, double, cfloat or cdouble types",
                           kind=RUNTIME, hint="a float matrix: A.float(), or x.view(1, -1)")
    return A


def _number(v):
    """A tolerance given as a number or a one-number tensor, as a number."""
    return v.data.item() if v.__class__ is Tensor and v.data.size == 1 else v


def _tolerances(atol, rtol):
    for name, v in (("atol", atol), ("rtol", rtol)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
            raise GradvizError(f"{name} must be a number here", kind=TYPE,
                               hint=f"give {name} as a float, e.g. {name}=1e-6")
    return atol, rtol


def f_pinv(rt, A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    A = _pinv_input(A, "linalg_pinv")
    if rcond is not None:           # (PyTorch's older form: rcond a relative tolerance)
        atol, rtol = 0.0, _number(rcond)
    atol, rtol = _tolerances(atol, rtol)
    return rt.apply(OPS["linalg_pinv"], (A,), {"atol": atol, "rtol": rtol})


def f_pinverse(rt, input, rcond=1e-15):
    A = _pinv_input(input, "pinverse")
    rcond = F.float_arg("pinverse", "rcond", rcond, "rcond is a small number: rcond=1e-15")
    return rt.apply(OPS["linalg_pinv"], (A,), {"atol": None, "rtol": rcond})


def _rank(a, atol, rtol):
    from .ops.spectral import np_svd
    s = np_svd(a, compute_uv=False)
    if rtol is None:
        rtol = np.finfo(a.dtype).eps * max(a.shape[-2:]) if not atol else 0.0
    top = s[..., :1] if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.sum(s > np.maximum(atol or 0.0, rtol * top), axis=-1).astype(np.int64)


def f_matrix_rank(rt, A, tol=None, hermitian=False, *, atol=None, rtol=None):
    A = _need_tensor(A, "linalg_matrix_rank", 1, "A")
    if tol is not None:             # (PyTorch's older form: tol an absolute tolerance)
        atol, rtol = _number(tol), 0.0
    if A.data.ndim < 2:
        raise GradvizError("torch.linalg.matrix_rank: The input tensor input must have at least "
                           "2 dimensions.", kind=RUNTIME, hint="a matrix has two dims")
    if A.data.dtype.kind != "f":
        raise GradvizError("This function doesn't handle types other than float and double",
                           kind=RUNTIME, hint="make it float first: A.float()")
    atol, rtol = _tolerances(atol, rtol)
    return _plain(rt, _rank(A.data, atol, rtol), "matrix_rank")


# what each of lstsq's LAPACK drivers gives besides the solution: (the rank,
# the singular values); the residuals come with all but gelsy's
_DRIVERS = {"gelsy": (True, False), "gels": (False, False), "gelsd": (True, True),
            "gelss": (True, True)}


def f_lstsq(rt, A, B, rcond=None, *, driver=None):
    """The least-squares solution of AX = B, and what PyTorch's driver
    computes besides (gelsy, its default: the rank; gels: the residuals;
    gelsd and gelss: the residuals, the rank and the singular values)."""
    A = _need_tensor(A, "linalg_lstsq", 1, "self")
    B = _need_tensor(B, "linalg_lstsq", 2, "b")
    a, b = A.data, B.data
    if a.dtype.kind != "f" or b.dtype != a.dtype:
        raise GradvizError("This function doesn't handle types other than float and double"
                           if a.dtype.kind != "f" else
                           f"torch.linalg.lstsq: Expected input and other to have the same dtype, "
                           f"but got input's dtype {SCALAR_TYPE_NAMES[a.dtype]} and other's dtype "
                           f"{SCALAR_TYPE_NAMES[b.dtype]}",
                           kind=RUNTIME, hint="float matrices of one dtype")
    if a.ndim < 2:
        raise GradvizError("torch.linalg.lstsq: input must have at least 2 dimensions.",
                           kind=RUNTIME, hint="A is a matrix")
    if b.ndim < 1:
        raise GradvizError("torch.linalg.lstsq: other must have at least 1 dimension.",
                           kind=RUNTIME, hint="B is a vector or a matrix of right-hand sides")
    if not 0 <= a.ndim - b.ndim <= 1:
        raise GradvizError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1", kind=RUNTIME,
                           hint="B is one vector per matrix of A (one dim fewer) or one "
                                "matrix per matrix of A (as many dims)")
    vector = b.ndim == a.ndim - 1
    if (b.shape[-1] if vector else b.shape[-2]) != a.shape[-2]:
        raise GradvizError("torch.linalg.lstsq: input.size(-2) should match other.size(-1)"
                           if vector else
                           "torch.linalg.lstsq: input.size(-2) should match other.size(-2)",
                           kind=RUNTIME, hint=f"B needs {a.shape[-2]} rows, one per row of A")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise GradvizError("torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           "gelsd, gelss)", kind=RUNTIME, hint="driver='gelsy' (the default), "
                           "'gels', 'gelsd' or 'gelss'")
    params = {"vector": vector, "rcond": None if rcond is None else
              F.float_arg("linalg_lstsq", "rcond", rcond, "rcond is a small number, or None")}
    solution = rt.apply(OPS["lstsq_solution"], (A, B), params)
    ranked, with_values = _DRIVERS[driver]
    rank = _rank(a, None, params["rcond"]) if ranked else np.zeros((0,), np.int64)
    m, n = a.shape[-2:]
    computed = m > n and driver != "gelsy" and (driver == "gels" or bool(np.all(rank == n)))
    residuals = rt.apply(OPS["lstsq_residuals"], (A, B), {**params, "computed": computed})
    values = _svdvals(a) if with_values else np.zeros((0,), a.dtype)
    return ReturnTypes("linalg_lstsq", solution, residuals,
                       _plain(rt, rank, "lstsq.rank"), _plain(rt, values, "lstsq.singular_values"),
                       fields=("solution", "residuals", "rank", "singular_values"))


def _svdvals(a):
    from .ops.spectral import np_svd
    return np_svd(a, compute_uv=False)


# ---- matrix_power, multi_dot -------------------------------------------------

def check_square(x, fname: str, hint: str) -> None:
    """PyTorch's checks of a (batch of) square matrix, in FNAME's words."""
    if x.ndim < 2:
        raise GradvizError(f"{fname}: The input tensor A must have at least 2 dimensions.",
                           kind=RUNTIME, hint="a matrix has two dims")
    if x.shape[-1] != x.shape[-2]:
        raise GradvizError(f"{fname}: A must be batches of square matrices, but they are "
                           f"{x.shape[-2]} by {x.shape[-1]} matrices", kind=RUNTIME, hint=hint)


def f_matrix_power(rt, input, n):
    """A^n (A: input, as PyTorch's argument parser names it) as PyTorch
    computes it: a copy of I for n = 0, a clone for 1, A @ A and (A @ A) @ A
    for 2 and 3, repeated squaring above; inv(A)'s powers for n < 0."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise GradvizError("linalg_matrix_power(): argument 'n' (position 2) must be int, not "
                           f"{F.arg_type_name(n)}", kind=TYPE, hint="n is a whole number")
    A = _need_tensor(input, "linalg_matrix_power", 1, "input")
    x = A.data
    check_square(x, "linalg.matrix_power", "a power needs a square matrix")
    if n == 0:
        out = F.f_clone(rt, A)
        eye = _plain(rt, np.broadcast_to(np.eye(x.shape[-1], dtype=x.dtype), x.shape), "eye")
        return F.m_copy_(rt, out, eye)
    if n == 1:
        return F.f_clone(rt, A)
    if n < 0:
        A, n = f_inv(rt, A), -n
        if n == 1:
            return A
    mm = OPS["matmul"]
    if n in (2, 3):
        square = rt.apply(mm, (A, A))
        return square if n == 2 else rt.apply(mm, (square, A))
    z = result = None
    while n > 0:
        bit, n = n % 2, n // 2
        z = A if z is None else rt.apply(mm, (z, z))
        if bit:
            result = z if result is None else rt.apply(mm, (result, z))
    return result


def _chain_order(sizes: list) -> list:
    """PyTorch's matrix-chain order: split[i][j], the k where the product of
    matrices i..j is split (the first cheapest)."""
    n = len(sizes) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for span in range(1, n):
        for i in range(n - span):
            j = i + span
            cost[i][j] = None
            for k in range(i, j):
                q = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if cost[i][j] is None or q < cost[i][j]:
                    cost[i][j], split[i][j] = q, k
    return split


def f_multi_dot(rt, tensors):
    """The product of a chain of matrices in the cheapest order (the first
    and last may be vectors), then a view to the result's shape."""
    if not isinstance(tensors, (list, tuple)):
        raise GradvizError(f"linalg_multi_dot(): argument 'tensors' (position 1) must be tuple "
                           f"of Tensors, not {F.arg_type_name(tensors)}", kind=TYPE,
                           hint="a list of matrices: multi_dot([A, B, C])")
    ts = [_need_tensor(t, "linalg_multi_dot") for t in tensors]
    if len(ts) < 2:
        raise GradvizError(f"multi_dot(): expected at least 2 tensors but got {len(ts)}",
                           kind=RUNTIME, hint="give two or more matrices")
    first_1d, last_1d = ts[0].data.ndim == 1, ts[-1].data.ndim == 1
    for i, t in enumerate(ts):
        want = 1 if (i == 0 and first_1d) or (i == len(ts) - 1 and last_1d) else 2
        if t.data.ndim not in (want, 2) or (0 < i < len(ts) - 1 and t.data.ndim != 2):
            where = ("first" if i == 0 else "last") if i in (0, len(ts) - 1) else None
            raise GradvizError(
                f"multi_dot(): the {where} tensor must be 1D or 2D but got {t.data.ndim}D"
                if where else f"multi_dot(): tensor {i} must be 2D but got {t.data.ndim}D",
                kind=RUNTIME, hint="a chain of matrices; only the ends may be vectors")
        if t.data.dtype != ts[0].data.dtype:
            raise GradvizError(f"multi_dot(): all tensors must have be the same dtype but tensor "
                               f"0 is {F.CPP_TYPE_NAMES[ts[0].data.dtype]} and tensor {i} "
                               f"{F.CPP_TYPE_NAMES[t.data.dtype]}", kind=RUNTIME,
                               hint="convert them to one dtype: t.float()")
    if first_1d:
        ts[0] = F.f_unsqueeze(rt, ts[0], 0)
    if last_1d:
        ts[-1] = F.f_unsqueeze(rt, ts[-1], -1)
    for i in range(len(ts) - 1):
        if ts[i].data.shape[1] != ts[i + 1].data.shape[0]:
            raise GradvizError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(tensors[i].data.shape)} and "
                               f"{list(tensors[i + 1].data.shape)} cannot be multiplied",
                               kind=RUNTIME, hint="each matrix's columns must match the next "
                                                  "one's rows")
    sizes = [t.data.shape[0] for t in ts] + [ts[-1].data.shape[1]]
    mm = OPS["mm"]
    if len(ts) == 2:
        out = rt.apply(mm, (ts[0], ts[1]))
    elif len(ts) == 3:      # PyTorch's two orders, (AB)C on a tie
        a, b, c, d = sizes
        if a * c * (b + d) <= b * d * (a + c):
            out = rt.apply(mm, (rt.apply(mm, (ts[0], ts[1])), ts[2]))
        else:
            out = rt.apply(mm, (ts[0], rt.apply(mm, (ts[1], ts[2]))))
    else:
        split = _chain_order(sizes)
        # the products, innermost first, with an explicit stack (no recursion)
        done: dict = {(i, i): t for i, t in enumerate(ts)}
        todo = [(0, len(ts) - 1)]
        while todo:
            i, j = todo[-1]
            k = split[i][j]
            parts = [(i, k), (k + 1, j)]
            missing = [p for p in parts if p not in done]
            if missing:
                todo.extend(missing)
                continue
            todo.pop()
            done[(i, j)] = rt.apply(mm, (done[parts[0]], done[parts[1]]))
        out = done[(0, len(ts) - 1)]
    shape = [s for s, drop in ((sizes[0], first_1d), (sizes[-1], last_1d)) if not drop]
    return F.m_view(rt, out, *shape)


# ---- matrix_norm, diagonal ---------------------------------------------------

def f_matrix_norm(rt, A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norms as PyTorch composes them: 'fro' a vector norm, 'nuc'
    and +-2 from the singular values (sum, amax, amin), +-1 and +-inf the
    largest (smallest) column or row sum of |A|."""
    A = _need_tensor(A, "linalg_matrix_norm", 1, "A")
    if isinstance(ord, str) and ord not in ("fro", "nuc") or not (
            isinstance(ord, str) or ord in MATRIX_NORM_ORDS):
        raise GradvizError(f"linalg.matrix_norm: Order {ord} not supported.", kind=RUNTIME,
                           hint="ord is 'fro', 'nuc', 1, -1, 2, -2, inf or -inf")
    x = A.data
    if x.ndim < 2:
        raise GradvizError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.", kind=RUNTIME,
                           hint="for a vector use torch.linalg.vector_norm(x)")
    if x.dtype.kind != "f":
        raise GradvizError("linalg.matrix_norm: Expected a floating point or complex tensor as "
                           f"input. Got {F.type_word(x.dtype)}", kind=RUNTIME,
                           hint="make it float first: A.float()")
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        shown = " ".join(map(str, dim)) if isinstance(dim, (tuple, list)) else dim
        raise GradvizError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {shown}",
                           kind=RUNTIME, hint="two dims: dim=(-2, -1)")
    d0, d1 = _dim(dim[0], x.ndim), _dim(dim[1], x.ndim)
    if d0 == d1:
        raise GradvizError(f"linalg.matrix_norm: dims must be different. Got ({d0}, {d1})",
                           kind=RUNTIME, hint="two different dims: dim=(-2, -1)")
    if ord == "fro":
        return F.f_norm(rt, A, 2, dim, keepdim)
    if ord in ("nuc", 2, -2):
        # the two dims moved last, then the singular values
        order = [d for d in range(x.ndim) if d not in (d0, d1)] + [d0, d1]
        s = f_svdvals(rt, F.m_permute(rt, A, *order))
        if ord == "nuc":
            out = F.FUNCTIONS["sum"](rt, s, -1, keepdim)
        else:
            out = F.FUNCTIONS["amax" if ord == 2 else "amin"](rt, s, -1, keepdim)
        if keepdim:
            out = F.f_unsqueeze(rt, out, -1)
            back = [order.index(d) for d in range(x.ndim)]
            out = F.m_permute(rt, out, *back)
        return out
    if math.isinf(ord):
        d0, d1 = d1, d0
    if not keepdim and d0 < d1:
        d1 -= 1
    sums = F.f_norm(rt, A, 1, d0, keepdim)
    return F.FUNCTIONS["amax" if ord > 0 else "amin"](rt, sums, d1, keepdim)


def f_vector_norm_ord(rt, x, ord, dim, keepdim, grad_fn=None):
    """A vector norm of an order other than 1 and 2 (those are the norm op's);
    grad_fn names its node where PyTorch's caller is not linalg.vector_norm."""
    if x.data.dtype.kind != "f":
        raise GradvizError("linalg.vector_norm: Expected a floating point or complex tensor as "
                           f"input. Got {F.type_word(x.data.dtype)}", kind=RUNTIME,
                           hint="make it float first: x.float()")
    params = {"dim": F._dims(dim, x.data.ndim), "keepdim": bool(keepdim), "ord": float(ord)}
    if grad_fn is not None:
        params["grad_fn"] = grad_fn
    return rt.apply(OPS["vector_norm_ord"], (x,), params)


def f_linalg_diagonal(rt, A, *, offset=0, dim1=-2, dim2=-1):
    return F.FUNCTIONS["diagonal"](rt, _need_tensor(A, "linalg_diagonal", 1, "A"),
                                   offset, dim1, dim2)


# torch.linalg's members
LINALG = {
    "inv": f_inv, "det": f_det, "slogdet": _slogdet("linalg_slogdet"), "solve": f_solve,
    "cholesky": f_cholesky, "qr": f_qr, "eigh": f_eigh, "eigvalsh": f_eigvalsh,
    "svd": f_svd, "svdvals": f_svdvals, "pinv": f_pinv, "matrix_rank": f_matrix_rank,
    "lstsq": f_lstsq, "matrix_power": f_matrix_power, "matrix_norm": f_matrix_norm,
    "multi_dot": f_multi_dot, "diagonal": f_linalg_diagonal,
    "solve_triangular": f_solve_triangular, "inv_ex": f_inv_ex, "solve_ex": f_solve_ex,
    "cholesky_ex": f_cholesky_ex,
}
# torch's own names (torch.X and, but for those marked, x.X())
FUNCTIONS = {
    "inverse": f_inverse, "det": f_torch_det, "logdet": f_logdet,
    "slogdet": _slogdet("slogdet"), "cholesky": f_torch_cholesky, "qr": f_torch_qr,
    "svd": f_torch_svd, "pinverse": f_pinverse, "matrix_power": f_matrix_power,
    "cholesky_solve": f_cholesky_solve,
}
METHODS = dict(FUNCTIONS)
