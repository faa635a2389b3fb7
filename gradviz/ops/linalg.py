"""Matrix products: matmul (and its forms dot, mv, mm), outer."""
from __future__ import annotations

import numpy as np

from ..errors import INDEX, RUNTIME, GradvizError
from ..tensor import CPP_TYPE_NAMES, SCALAR_TYPE_NAMES
from .registry import defop


def _shape_str(shape):
    return "x".join(str(s) for s in shape)


def check_matmul(a_shape, b_shape, form="matmul"):
    """PyTorch's wording for shapes that cannot be multiplied."""
    na, nb = len(a_shape), len(b_shape)
    if form == "mv" and na == 0:        # (mv reads the matrix's rows first)
        raise GradvizError("Dimension specified as 0 but tensor has no dimensions", kind=INDEX,
                           hint="mv takes a matrix and a vector")
    if form == "matmul" and (na == 0 or nb == 0):     # (mm, mv and dot say it their way)
        raise GradvizError("both arguments to matmul need to be at least 1D, but they are "
                           f"{na}D and {nb}D", hint="use * to multiply by a scalar")
    if form == "dot" and (na != 1 or nb != 1):
        raise GradvizError(f"1D tensors expected, but got {na}D and {nb}D tensors",
                           hint="dot takes two vectors; use @ or matmul for matrices")
    if form == "mv" and (na != 2 or nb != 1):
        # (the first is the result's, which mv makes 1-d)
        raise GradvizError(f"vector + matrix @ vector expected, got 1, {na}, {nb}",
                           hint="mv takes a matrix and a vector")
    if form == "mm" and (na != 2 or nb != 2):
        raise GradvizError("self must be a matrix" if na != 2 else "mat2 must be a matrix",
                           hint="mm takes two matrices; use @ for vectors")
    k_a = a_shape[-1]
    k_b = b_shape[0] if nb == 1 else b_shape[-2]
    if k_a == k_b:
        return
    if na == 1 and nb == 1:
        raise GradvizError(
            f"inconsistent tensor size, expected tensor [{a_shape[0]}] and src [{b_shape[0]}] "
            f"to have the same number of elements, but got {a_shape[0]} and {b_shape[0]} "
            "elements respectively", kind=RUNTIME,
            hint="the two vectors of a dot product must have the same length")
    if na == 2 and nb == 1:
        raise GradvizError(f"size mismatch, got input ({a_shape[0]}), mat ({_shape_str(a_shape)}), "
                           f"vec ({b_shape[0]})", kind=RUNTIME,
                           hint=f"the matrix has {a_shape[1]} columns but the vector has "
                                f"{b_shape[0]} elements")
    a2 = a_shape if na >= 2 else (1,) + tuple(a_shape)
    b2 = b_shape if nb >= 2 else tuple(b_shape) + (1,)
    hint = (f"the inner sizes must match: {_shape_str(a_shape)} @ {_shape_str(b_shape)} "
            f"needs {k_a} == {k_b}; did you mean to transpose one of them (.T)?")
    if na >= 3 and nb == 1:
        # PyTorch folds a's batch dims into its rows and calls mv
        rows = int(np.prod(a_shape[:-1]))
        raise GradvizError(f"size mismatch, got input ({rows}), mat ({rows}x{k_a}), vec ({k_b})",
                           kind=RUNTIME, hint=hint)
    if na >= 3 and nb == 2:
        a2 = (int(np.prod(a_shape[:-1])), k_a)      # folded into mm likewise
    if nb <= 2:
        raise GradvizError(
            f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(a2[-2:])} and "
            f"{_shape_str(b2[-2:])})", kind=RUNTIME, hint=hint)
    # batched: the batch dims broadcast first (their error wins), then bmm
    from .registry import broadcast_shape
    batch = int(np.prod(broadcast_shape(tuple(a_shape[:-2]), tuple(b_shape[:-2]))))
    raise GradvizError(
        f"Expected size for first two dimensions of batch2 tensor to be: [{batch}, {k_a}] "
        f"but got: [{batch}, {k_b}].", kind=RUNTIME, hint=hint)


def _matmul_grad_fn(t):
    a, b = t.args[0].data.ndim, t.args[1].data.ndim
    if a == 1 and b == 1:
        return "DotBackward0"
    if a == 2 and b == 1:
        return "MvBackward0"
    if a == 2 and b == 2:
        return "MmBackward0"
    if a == 1 and b == 2:
        return "SqueezeBackward4"
    return "UnsafeViewBackward0"


def _mm(a, b):
    """a @ b. NOTE: PyTorch's matrix product with inner size 1 and more than
    one row and column is computed as an outer product, so 0 * -1 stays -0.
    (print shows it); numpy sums from +0. Other shapes start from +0 in both."""
    if b.ndim == 2 and a.ndim >= 2 and b.shape[0] == 1 and b.shape[1] > 1 and a.size > 1:
        return a * b
    return np.matmul(a, b)


def _mm_da(g, ans, xs, p):
    a, b = xs
    if b.ndim == 1:
        if a.ndim == 1:
            return g * b
        return np.multiply.outer(g, b) if a.ndim == 2 else g[..., None] * b
    if a.ndim == 1:
        # g is (batch..., m): each batch entry gives b_i @ g_i, summed back by _unbatch
        return b @ g if b.ndim == 2 else (b @ g[..., None])[..., 0]
    return _mm(g, np.swapaxes(b, -1, -2))


def _mm_db(g, ans, xs, p):
    a, b = xs
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        return np.multiply.outer(a, g) if b.ndim == 2 else a[:, None] * g[..., None, :]
    if b.ndim == 1:
        gb = np.swapaxes(a, -1, -2) @ g[..., None]
        return gb.reshape(-1, b.shape[0]).sum(axis=0) if gb.ndim > 2 else gb[:, 0]
    return _mm(np.swapaxes(a, -1, -2), g)


def _unbatch(grad, shape):
    # a batched matmul broadcasts batch dimensions; sum them back
    from .registry import unbroadcast
    return unbroadcast(grad, shape)


# PyTorch's names of a dtype in its kernels' messages: (ScalarType, C++ type)
_TYPE_NAMES = {dt: (SCALAR_TYPE_NAMES[dt], CPP_TYPE_NAMES[dt]) for dt in SCALAR_TYPE_NAMES}


def check_matmul_dtypes(a_dtype, b_dtype, na: int, nb: int):
    """Matrix products do not promote: PyTorch's kernel refuses mixed dtypes,
    each in its own words (dot, addmv, mm, bmm)."""
    if a_dtype == b_dtype:
        return
    (a_big, a_c), (b_big, b_c) = _TYPE_NAMES[a_dtype], _TYPE_NAMES[b_dtype]
    if na == 1 and nb == 1:
        msg = f"dot : expected both vectors to have same dtype, but found {a_big} and {b_big}"
    elif nb == 1:
        msg = f"addmv input tensors must have the same dtype, but got {b_big}, {a_big}, and {b_big}"
    elif nb >= 3:
        msg = f"expected scalar type {a_big} but found {b_big}"
    else:
        msg = f"expected m1 and m2 to have the same dtype, but got: {a_c} != {b_c}"
    raise GradvizError(msg, kind=RUNTIME,
                       hint=f"both operands must have the same dtype ({a_c} and {b_c} here); "
                            "convert one with .float() or .double()")


def _matmul_check(form):
    def check(xs, p):
        a, b = xs
        check_matmul(a.shape, b.shape, form)
        check_matmul_dtypes(a.dtype, b.dtype, a.ndim, b.ndim)
        if a.ndim >= 2 and b.ndim >= 2:
            from .registry import broadcast_shape
            batch = broadcast_shape(a.shape[:-2], b.shape[:-2])
            return int(np.prod(batch)) * a.shape[-2] * b.shape[-1]
        return max(a.size // max(a.shape[-1], 1), b.size // max(b.shape[0], 1))
    return check


# dot(self, tensor) and mv(self, vec) unpack self first (versions.check_node)
_SAVED_ORDER = {"dot": "01", "mv": "01"}

for _name, _sym in (("matmul", "@"), ("dot", "dot"), ("mv", "mv"), ("mm", "mm")):
    defop(_name, _matmul_grad_fn if _name == "matmul" else _name.capitalize() + "Backward0",
          lambda xs, p: np.asarray(_mm(xs[0], xs[1])),
          vjp=(lambda g, ans, xs, p: _unbatch(_mm_da(g, ans, xs, p), xs[0].shape),
               lambda g, ans, xs, p: _unbatch(_mm_db(g, ans, xs, p), xs[1].shape)),
          jvp=(lambda t, ans, xs, p: np.asarray(np.matmul(t, xs[1])),
               lambda t, ans, xs, p: np.asarray(np.matmul(xs[0], t))),
          saved=("1", "0"), saved_order=_SAVED_ORDER.get(_name, ""),
          formula=("d(A@B)/dA = G @ B^T", "d(A@B)/dB = A^T @ G"), symbol=_sym,
          check=_matmul_check(_name))

def _outer_check(xs, p):
    for x, name in zip(xs, ("self", "vec2")):
        if x.ndim != 1:
            raise GradvizError(f"outer: Expected 1-D argument {name}, but got {x.ndim}-D",
                               kind=RUNTIME, hint="outer takes two vectors: x.flatten() makes one")
    return xs[0].size * xs[1].size


# torch.outer is computed as a broadcast multiply: MulBackward0
defop("outer", "MulBackward0", lambda xs, p: np.multiply.outer(xs[0], xs[1]),
      vjp=(lambda g, ans, xs, p: g @ xs[1], lambda g, ans, xs, p: xs[0] @ g),
      jvp=(lambda t, ans, xs, p: np.multiply.outer(t, xs[1]),
           lambda t, ans, xs, p: np.multiply.outer(xs[0], t)),
      saved=("1", "0"),
      formula=("d outer(a,b)/da = G @ b", "d outer(a,b)/db = a @ G"), symbol="outer",
      check=_outer_check)


def check_bias_expands(bias, out: tuple, name: str) -> None:
    """addmm's and addr's bias must expand to the product's 2-d shape
    (PyTorch's expand errors, naming the first dim from the end that does
    not fit)."""
    if bias.ndim > 2:
        raise GradvizError(f"expand(torch.{SCALAR_TYPE_NAMES.get(bias.dtype, 'Half')}Tensor"
                           f"{{{list(bias.shape)}}}, size={list(out)}): the number of sizes "
                           f"provided (2) must be greater or equal to the number of dimensions "
                           f"in the tensor ({bias.ndim})", kind=RUNTIME,
                           hint=f"the bias of {name} is at most a matrix")
    for dim in range(-1, -bias.ndim - 1, -1):
        if bias.shape[dim] not in (1, out[dim]):
            raise GradvizError(f"The expanded size of the tensor ({out[dim]}) must match the "
                               f"existing size ({bias.shape[dim]}) at non-singleton dimension "
                               f"{dim + 2}.  Target sizes: [{out[0]}, {out[1]}].  Tensor sizes: "
                               f"{list(bias.shape)}", kind=RUNTIME,
                               hint=f"the bias of {name} must broadcast to {tuple(out)}")


def _addmm_check(xs, p):
    """addmm(bias, m1, m2): m1 @ m2 as mm checks it, and the bias must
    broadcast to the product's shape (PyTorch's words for both)."""
    bias, a, b = xs
    for m, what in ((a, "mat1"), (b, "mat2")):     # (addmm's own words, not mm's)
        if m.ndim != 2:
            raise GradvizError(f"{what} must be a matrix, got {m.ndim}-D tensor",
                               hint="addmm multiplies two matrices (F.linear: its weight is one)")
    check_matmul(a.shape, b.shape, "mm")
    # (PyTorch's order: the bias against mat2, then mat1 against mat2)
    for first, what in ((bias, "self"), (a, "mat1")):
        if first.dtype != b.dtype:
            raise GradvizError(f"{what} and mat2 must have the same dtype, but got "
                               f"{_TYPE_NAMES[first.dtype][0]} and {_TYPE_NAMES[b.dtype][0]}",
                               kind=RUNTIME,
                               hint=("convert the bias" if what == "self" else
                                     "convert the input (F.linear's, nn.Linear's) or the matrix")
                                    + " with .float() or .double(): mat2 (nn.Linear's "
                                      f"weight) is {_TYPE_NAMES[b.dtype][1]}")
    out = (a.shape[0], b.shape[1])
    check_bias_expands(bias, out, "addmm")
    return a.shape[0] * b.shape[1]


# addmm(bias, m1, m2) = bias + m1 @ m2: F.linear's one node on a 2-d input
# (PyTorch's gemm starts from the bias; numpy adds it after the product: the
# same values for the sizes checked against PyTorch)
defop("addmm", "AddmmBackward0", lambda xs, p: np.asarray(_mm(xs[1], xs[2]) + xs[0]),
      vjp=(lambda g, ans, xs, p: _unbatch(g, xs[0].shape),
           lambda g, ans, xs, p: _mm(g, xs[2].T),
           lambda g, ans, xs, p: _mm(xs[1].T, g)),
      jvp=(lambda t, ans, xs, p: t,
           lambda t, ans, xs, p: np.asarray(np.matmul(t, xs[2])),
           lambda t, ans, xs, p: np.asarray(np.matmul(xs[1], t))),
      saved=("", "2", "1"),
      formula=("d(b + A@B)/db = G", "d(b + A@B)/dA = G @ B^T", "d(b + A@B)/dB = A^T @ G"),
      symbol="addmm", check=_addmm_check)


def _bmm_check(xs, p):
    """bmm: two 3-d tensors, one batch size, inner sizes that match, one
    dtype (PyTorch's words for each)."""
    a, b = xs
    for x, what in ((a, "batch1"), (b, "batch2")):
        if x.ndim != 3:
            raise GradvizError(f"{what} must be a 3D tensor", kind=RUNTIME,
                               hint="bmm multiplies batches of matrices, (b, n, m) @ (b, m, p); "
                                    "use @ (matmul) for other shapes")
    if b.shape[:2] != (a.shape[0], a.shape[2]):
        raise GradvizError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a.shape[0]}, {a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].",
                           kind=RUNTIME,
                           hint=f"{_shape_str(a.shape)} @ {_shape_str(b.shape)}: the batch sizes "
                                "must be equal, and the second's rows as many as the first's columns")
    check_matmul_dtypes(a.dtype, b.dtype, 3, 3)
    return a.shape[0] * a.shape[1] * b.shape[2]


# PyTorch's bmm multiplies small batches (inner size x rows x columns under
# this) with a plain loop, adding the products in turn in the dtype; larger
# ones with BLAS (numpy's here: the last bit may differ)
BMM_LOOP_MAX = 400


def _bmm(a, b):
    if a.shape[2] * a.shape[1] * b.shape[2] >= BMM_LOOP_MAX or a.dtype.kind != "f":
        return np.matmul(a, b)
    out = np.zeros((a.shape[0], a.shape[1], b.shape[2]), a.dtype)
    for k in range(a.shape[2]):
        out += a[:, :, k:k + 1] * b[:, k:k + 1, :]
    return out


defop("bmm", "BmmBackward0", lambda xs, p: _bmm(xs[0], xs[1]),
      vjp=(lambda g, ans, xs, p: _bmm(g, np.swapaxes(xs[1], 1, 2)),
           lambda g, ans, xs, p: _bmm(np.swapaxes(xs[0], 1, 2), g)),
      jvp=(lambda t, ans, xs, p: np.matmul(t, xs[1]),
           lambda t, ans, xs, p: np.matmul(xs[0], t)),
      saved=("1", "0"),
      formula=("d bmm(A,B)/dA_k = G_k @ B_k^T", "d bmm(A,B)/dB_k = A_k^T @ G_k"), symbol="bmm",
      check=_bmm_check)


def _baddbmm_check(xs, p):
    """baddbmm(input, b1, b2): b1 and b2 as bmm checks them, input
    broadcast to their product's shape."""
    n = _bmm_check(xs[1:], p)
    out = (xs[1].shape[0], xs[1].shape[1], xs[2].shape[2])
    if np.broadcast_shapes(xs[0].shape, out) != out:
        raise GradvizError(f"expand: the input's shape {list(xs[0].shape)} does not broadcast "
                           f"to {list(out)}", kind=RUNTIME,
                           hint="baddbmm's input broadcasts to (b, n, p), the product's shape")
    return n


# baddbmm(input, b1, b2) = input + bmm(b1, b2): nn.MultiheadAttention's scores
# plus its mask. PyTorch's small-batch loop sums the products first, then adds
# the input (beta = alpha = 1), in the dtype
defop("baddbmm", "BaddbmmBackward0",
      lambda xs, p: (_bmm(xs[1], xs[2]) + xs[0]).astype(xs[1].dtype),
      vjp=(lambda g, ans, xs, p: _unbatch(g, xs[0].shape),
           lambda g, ans, xs, p: _bmm(g, np.swapaxes(xs[2], 1, 2)),
           lambda g, ans, xs, p: _bmm(np.swapaxes(xs[1], 1, 2), g)),
      jvp=(lambda t, ans, xs, p: np.broadcast_to(t, ans.shape),
           lambda t, ans, xs, p: np.matmul(t, xs[2]),
           lambda t, ans, xs, p: np.matmul(xs[1], t)),
      saved=("", "2", "1"),
      formula=("d(M + bmm(A,B))/dM = G", "d/dA_k = G_k @ B_k^T", "d/dB_k = A_k^T @ G_k"),
      symbol="baddbmm", check=_baddbmm_check)
