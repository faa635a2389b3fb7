"""torch functions and tensor methods that tile, split, turn or combine
tensors (tile, tensor_split, kron, meshgrid, cartesian_prod, rot90,
tril_indices, triu_indices) and the geometric ones (cross, linalg.cross,
cdist). Each composed of the nodes PyTorch records (tile is a repeat,
meshgrid views and expands, kron multiplies two reshapes), or one op of
ops/geometry.py. Imported by functions.py, whose tables they join.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .forward_ad import refuse_dual
from .functions import _dim, _need_tensor, invalid_combination, is_tensor
from .ops import OPS
from .ops.registry import broadcast_shape
from .selection import _as_method, _ints

CDIST_MODES = ("use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
               "donot_use_mm_for_euclid_dist")
CDIST_MM_ROWS = 25        # PyTorch's cdist uses the matrix product above this many rows


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _named(out, grad_fn: str):
    """out shown with the grad_fn PyTorch's composite records for it."""
    if out.recorded:
        out.meta = {**(out.meta or {}), "grad_fn_name": grad_fn}
    return out


# ---- tile, tensor_split ---------------------------------------------------------

def f_tile(rt, input, dims):
    """tile: repeat, with ones put before dims when it has fewer than x's dims."""
    x = _need_tensor(input, "tile")
    reps = _ints(dims, "tile", "dims", 2)
    reps = (1,) * (x.data.ndim - len(reps)) + reps
    return F.m_repeat(rt, x, *reps)


def m_tile(rt, x, *dims, **kw):
    """x.tile(2, 2), x.tile((2, 2)) or x.tile(dims=(2, 2))."""
    if "dims" in kw and not dims:
        return f_tile(rt, x, kw["dims"])
    if kw or not dims:
        raise GradvizError('tile() missing 1 required positional arguments: "dims"', kind=TYPE,
                           hint="x.tile(2) or x.tile((2, 3))")
    given = dims[0] if len(dims) == 1 and not _whole(dims[0]) else dims
    try:
        return f_tile(rt, x, given)
    except GradvizError as exc:
        raise GradvizError(exc.message.replace("(position 2)", "(position 1)"), kind=exc.kind,
                           hint=exc.hint) from None


def f_tensor_split(rt, input, indices_or_sections=None, dim=0, *, sections=None,
                   indices=None):
    """tensor_split(x, n): n pieces as even as can be (the first ones one
    longer); tensor_split(x, [i, j]): x[:i], x[i:j], x[j:]. Each a slice
    (SliceBackward0)."""
    x = _need_tensor(input, "tensor_split")
    given = [v for v in (indices_or_sections, sections, indices) if v is not None]
    if len(given) != 1 or not _whole(dim):
        raise invalid_combination("tensor_split", [x, *given],
                                  hint="tensor_split(x, sections) or tensor_split(x, [i, j])")
    split = given[0]
    if is_tensor(split):
        if split.data.dtype != np.int64 or split.data.ndim > 1:
            raise GradvizError("tensor_split expected tensor_indices_or_sections to have int64 "
                               "dtype and be a 0-D or 1-D tensor", kind=RUNTIME,
                               hint="an int64 tensor: torch.tensor([1, 2])")
        split = int(split.data) if split.data.ndim == 0 else split.data.tolist()
    if x.data.ndim == 0:
        raise GradvizError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims", kind=RUNTIME, hint="a 0-d tensor has nothing "
                                                                   "to split")
    d = _dim(dim, x.data.ndim)
    n = x.data.shape[d]
    if _whole(split):
        if split <= 0:
            raise GradvizError(f"number of sections must be larger than 0, got {split}",
                               kind=RUNTIME, hint="the number of pieces: tensor_split(x, 2)")
        rt.tape.room_for(split, "sections")     # (one tensor a section: the limit first)
        size, extra = divmod(n, split)
        sizes = [size + 1] * extra + [size] * (split - extra)
        edges = np.cumsum([0] + sizes).tolist()
        bounds = list(zip(edges[:-1], edges[1:]))
    elif isinstance(split, (list, tuple)) and all(_whole(i) for i in split):
        starts = [0] + [i + n if i < 0 else i for i in split]
        stops = starts[1:] + [n]
        bounds = [(min(a, n), max(min(b, n), min(a, n))) for a, b in zip(starts, stops)]
    else:
        raise invalid_combination("tensor_split", [x, split],
                                  hint="sections a whole number, or indices a list of them")
    return tuple(rt.apply(OPS["index"], (x,), {
        "index": (slice(None),) * d + (slice(a, b),), "advanced": False,
        "grad_fn": "SliceBackward0"}) for a, b in bounds)


# ---- meshgrid, cartesian_prod, kron ------------------------------------------

def _tensor_list(tensors, fname: str) -> list:
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return [_need_tensor(t, fname, k + 1, "tensors") for k, t in enumerate(tensors)]


def f_meshgrid(rt, *tensors, indexing=None):
    """meshgrid(a, b, indexing='ij'): each input viewed along its own dim,
    then expanded to the grid (ViewBackward0, ExpandBackward0); 'xy' puts
    the first two inputs' dims the other way round."""
    ts = _tensor_list(tensors, "meshgrid")
    if not ts:
        raise GradvizError("meshgrid expects a non-empty TensorList", kind=RUNTIME,
                           hint="give the tensors of the grid's axes: meshgrid(a, b)")
    if indexing is None:
        # (given from a line of torch/functional.py: once a run, as Python shows it)
        F.warn_once(rt, ts[0], "torch.meshgrid: in an upcoming release, it will be required to "
                               "pass the indexing argument.")
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise GradvizError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but '
                           f"received: {indexing}", kind=RUNTIME, hint="indexing='ij' or 'xy'")
    for t in ts:
        if t.data.ndim > 1:
            # (the first line of PyTorch's C++ print of the tensor; of an empty one, its type)
            shown = " ".join(f"{v:.4f}" for v in t.data.reshape(-1, t.data.shape[-1])[0]) \
                if t.data.size else f"[ {F.TYPE_NAMES[t.dtype_name]}" \
                f"{{{','.join(str(n) for n in t.data.shape)}}} ]"
            raise GradvizError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               "but got: " + shown, kind=RUNTIME,
                               hint="meshgrid takes one vector per axis")
        if t.data.dtype != ts[0].data.dtype:
            raise GradvizError("meshgrid expects all tensors to have the same dtype",
                               kind=RUNTIME, hint="convert them to one dtype first")
    axes = list(range(len(ts)))
    if indexing == "xy" and len(ts) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(ts)
    for t, a in zip(ts, axes):
        shape[a] = t.data.size
    out = []
    for t, a in zip(ts, axes):
        view = [1] * len(ts)
        view[a] = -1
        out.append(F.m_expand(rt, F.m_view(rt, t, *view), *shape))
    return tuple(out)


def f_cartesian_prod(rt, *tensors):
    """Every combination of the inputs' elements, a row each: meshgrid,
    flattened, stacked (a single input comes back as itself)."""
    ts = _tensor_list(tensors, "cartesian_prod")
    for t in ts:
        if t.data.ndim != 1:
            raise GradvizError(f"Expect a 1D vector, but got shape {list(t.data.shape)}",
                               kind=RUNTIME, hint="cartesian_prod takes vectors")
    if len(ts) == 1:
        return ts[0]
    grids = f_meshgrid(rt, *ts, indexing="ij")
    # reshape of an expanded grid copies: clone, then PyTorch's _unsafe_view
    flat = [_named(F.f_reshape(rt, F.f_clone(rt, g), -1), "UnsafeViewBackward0") for g in grids]
    return F.FUNCTIONS["stack"](rt, flat, 1)


def f_kron(rt, input, other):
    """The Kronecker product, as PyTorch computes it: a reshaped to put a
    size-1 dim after each of its dims, b before each of its, multiplied,
    and the pairs of dims merged."""
    a = _need_tensor(input, "kron")
    b = _need_tensor(other, "kron", 2, "other")
    nd = max(a.data.ndim, b.data.ndim)
    sa = (1,) * (nd - a.data.ndim) + a.data.shape
    sb = (1,) * (nd - b.data.ndim) + b.data.shape
    wide_a = [n for s in sa for n in (s, 1)]
    wide_b = [n for s in sb for n in (1, s)]
    ra = _named(F.f_reshape(rt, a, *wide_a), "UnsafeViewBackward0")
    rb = _named(F.f_reshape(rt, b, *wide_b), "UnsafeViewBackward0")
    prod = rt.binary("*", ra, rb)
    return _named(F.f_reshape(rt, prod, *[x * y for x, y in zip(sa, sb)]), "UnsafeViewBackward0")


# ---- rot90 ----------------------------------------------------------------------

def f_rot90(rt, input, k=1, dims=(0, 1)):
    x = _need_tensor(input, "rot90")
    if not _whole(k):
        raise invalid_combination("rot90", [x, k, dims], hint="k is a whole number of turns")
    dims = _ints(dims, "rot90", "dims", 3, single=False)
    if len(dims) != 2:
        raise GradvizError(f"expected total rotation dims == 2, but got dims = {len(dims)}",
                           kind=RUNTIME, hint="two dims make the plane: dims=[0, 1]")
    if x.data.ndim < 2:
        raise GradvizError(f"expected total dims >= 2, but got total dims = {x.data.ndim}",
                           kind=RUNTIME, hint="rot90 turns a matrix (or a stack of them)")
    d0, d1 = _dim(dims[0], x.data.ndim), _dim(dims[1], x.data.ndim)
    if d0 == d1:
        raise GradvizError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}", kind=RUNTIME, hint="two different dims: dims=[0, 1]")
    return rt.apply(OPS["rot90"], (x,), {"k": k % 4, "dims": (d0, d1)})


# ---- tril_indices, triu_indices --------------------------------------------------

def _triangle_indices(name, lower: bool):
    def f(rt, row, col, offset=0, *, dtype=None, device=None, layout=None):
        for arg, v, pos in (("row", row, 1), ("col", col, 2), ("offset", offset, 3)):
            if not _whole(v):
                raise GradvizError(f"{name}(): argument '{arg}' (position {pos}) must be int, "
                                   f"not {F.arg_type_name(v)}", kind=TYPE,
                                   hint=f"{name}(rows, cols, offset=0), whole numbers")
        for arg, v in (("row", row), ("col", col)):
            if v < 0:
                raise GradvizError(f"{arg} must be non-negative, got{v}", kind=RUNTIME,
                                   hint="a matrix has 0 or more rows and columns")
        dt = np.dtype(np.int64) if dtype is None else F._dtype_arg(dtype)
        if dt.kind not in "iu":
            raise GradvizError(f'"{name}" not implemented for \'{F.type_word(dt)}\'',
                               kind="NotImplementedError",
                               hint="indices are whole numbers: dtype=torch.long")
        return F._leaf(rt, _triangle(rt, lower, row, col, offset).astype(dt), False, name)
    f.__name__ = name
    return f


def _triangle(rt, lower: bool, row: int, col: int, offset: int) -> np.ndarray:
    """The (2, N) row-major indices of a (row, col) matrix's lower (upper)
    triangle, made row by row: no row x col matrix (triu_indices(3, 10**8)
    is a few rows of a huge one), and the size checked before it is made."""
    if lower:      # row i keeps columns 0 .. i + offset
        start, stop = max(0, -offset), row if col else 0
    else:          # row i keeps columns i + offset .. col - 1
        start, stop = 0, min(row, max(0, col - offset))
    stop = max(start, stop)
    rt.tape.check_shape((2, stop - start))      # (each of these rows keeps a column or more)
    i = np.arange(start, stop, dtype=np.int64)
    first = np.zeros_like(i) if lower else np.clip(i + offset, 0, col)
    count = (np.clip(i + offset + 1, 0, col) if lower else col - first)
    total = int(count.sum())
    rt.tape.check_shape((2, total))
    rows = np.repeat(i, count)
    cols = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count) + \
        np.repeat(first, count)
    return np.stack([rows, cols])


# ---- cross, cdist -----------------------------------------------------------------

def _same_dtype(a, b) -> None:
    if a.data.dtype != b.data.dtype:
        raise GradvizError(f"expected scalar type {F.type_word(a.data.dtype)} but found "
                           f"{F.type_word(b.data.dtype)}", kind=RUNTIME,
                           hint="give both tensors one dtype: b.to(a.dtype)")


def _cross(rt, input, other, dim, fname):
    a = _need_tensor(input, fname)
    b = _need_tensor(other, fname, 2, "other")
    shape = broadcast_shape(a.data.shape, b.data.shape)
    if dim is None:                 # torch.cross: the first dim of size 3 (deprecated)
        F.warn_once(rt, a, "Using torch.cross without specifying the dim arg is deprecated.\n"   # (TORCH_WARN_ONCE)
                           "Please either pass the dim explicitly or simply use torch.linalg."
                           "cross.\nThe default value of dim will change to agree with that of "
                           "linalg.cross in a future release.")
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise GradvizError("no dimension of size 3 in input", kind=RUNTIME,
                               hint="cross products are of 3-vectors: give dim=")
        dim = sizes[0]
    d = _dim(dim, len(shape))
    if a.data.ndim != b.data.ndim:
        raise GradvizError("linalg.cross: inputs must have the same number of dimensions.",
                           kind=RUNTIME, hint=f"they have {a.data.ndim} and {b.data.ndim}: "
                                              "unsqueeze the smaller one")
    na, nb = a.data.shape[d], b.data.shape[d]
    if na != 3 or nb != 3:
        raise GradvizError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {na} "
                           f"and {nb}", kind=RUNTIME, hint="cross products are of 3-vectors: "
                                                          "pick the dim of size 3 with dim=")
    _same_dtype(a, b)
    return rt.apply(OPS["cross"], (a, b), {"dim": d})


def f_cross(rt, input, other, dim=None):
    return _cross(rt, input, other, dim, "cross")


def f_linalg_cross(rt, input, other, *, dim=-1):
    return _cross(rt, input, other, dim, "linalg.cross")


def f_cdist(rt, x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance of each row of x1 to each row of x2; for p=2
    with more than 25 rows (or compute_mode='use_mm_for_euclid_dist'),
    PyTorch's matrix-product form (EuclideanDistBackward0, then a view)."""
    a = _need_tensor(x1, "cdist")
    b = _need_tensor(x2, "cdist", 2, "x2")
    if compute_mode not in CDIST_MODES:
        raise GradvizError(f"{compute_mode} is not a valid value for compute_mode", kind=VALUE,
                           hint="compute_mode is one of " + ", ".join(CDIST_MODES))
    for t, name in ((a, "X1"), (b, "X2")):
        if t.data.ndim < 2:
            raise GradvizError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t.data.ndim}D", kind=RUNTIME,
                               hint="rows of points: shape (n, features); x.unsqueeze(0) "
                                    "for one point")
    if a.data.shape[-1] != b.data.shape[-1]:
        raise GradvizError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{a.data.shape[-1]} X2: {b.data.shape[-1]}", kind=RUNTIME,
                           hint="the points of both need the same number of features")
    for t, name in ((a, "X1"), (b, "X2")):
        if t.data.dtype.kind != "f":
            raise GradvizError(f"cdist only supports floating-point dtypes, {name} got: "
                               f"{F.type_word(t.data.dtype)}", kind=RUNTIME,
                               hint="convert to float: x.float()")
    _same_dtype(a, b)
    if isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0:
        raise GradvizError("cdist only supports non-negative p values", kind=RUNTIME,
                           hint="p=2 (Euclidean), p=1 (Manhattan), float('inf') ...")
    batch = broadcast_shape(a.data.shape[:-2], b.data.shape[:-2])
    rows1, rows2 = a.data.shape[-2], b.data.shape[-2]
    rt.tape.check_size(math.prod(batch) * rows1 * rows2 * a.data.shape[-1])
    mm = p == 2 and (compute_mode == CDIST_MODES[1] or (
        compute_mode == CDIST_MODES[0] and (rows1 > CDIST_MM_ROWS or rows2 > CDIST_MM_ROWS)))
    # (PyTorch has no forward-mode derivative for either kernel)
    refuse_dual(rt, (a, b), "_euclidean_dist" if mm else "_cdist_forward",
                "forward mode cannot pass through cdist; compute the distances from "
                "differences: ((x1[:, None] - x2[None]) ** 2).sum(-1).sqrt()")
    if not mm:
        return rt.apply(OPS["cdist"], (a, b), {"p": float(p)})
    out = rt.apply(OPS["cdist"], (a, b), {"p": 2.0, "mm": True})
    return F.m_view(rt, out, *out.data.shape)


FUNCTIONS = {
    "tile": f_tile, "tensor_split": f_tensor_split, "meshgrid": f_meshgrid,
    "cartesian_prod": f_cartesian_prod, "kron": f_kron, "rot90": f_rot90,
    "tril_indices": _triangle_indices("tril_indices", True),
    "triu_indices": _triangle_indices("triu_indices", False),
    "cross": f_cross, "cdist": f_cdist,
}
METHODS = {name: _as_method(name, FUNCTIONS[name])
           for name in ("tensor_split", "kron", "rot90", "cross")}
METHODS["tile"] = m_tile
LINALG = {"cross": f_linalg_cross}
