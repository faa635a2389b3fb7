"""torch.tensordot, torch.inner and torch.diag_embed (x.NAME() too).

tensordot is composed as PyTorch composes it: each operand permuted (its
free dims first for the left one, last for the right one), reshaped to a
matrix (flattened when neither has free dims, for a dot), multiplied, and
the product reshaped to the free dims: so its grad_fn chain is PyTorch's
(ViewBackward0 after MmBackward0 or DotBackward0, PermuteBackward0 below).
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, GradvizError
from .ops import OPS

DIMS_HINT = "dims=1 (the last dim of a with the first of b) or dims=([1], [0])"


def _dims_lists(a, b, dims) -> tuple[list[int], list[int]]:
    """tensordot's dims: an int n (a's last n with b's first n) or two lists."""
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise GradvizError(f"tensordot expects dims >= 0, but got dims={dims}",
                               kind=RUNTIME, hint=DIMS_HINT)
        if dims > min(a.data.ndim, b.data.ndim):
            raise GradvizError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}",
                               kind=RUNTIME, hint=f"a has {a.data.ndim} dims, b "
                                                  f"{b.data.ndim}: contract at most that many")
        return list(range(a.data.ndim - dims, a.data.ndim)), list(range(dims))
    if isinstance(dims, (list, tuple)) and len(dims) == 2 and all(
            isinstance(d, (list, tuple, int)) and not isinstance(d, bool) for d in dims):
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
        if len(da) != len(db):
            raise GradvizError("both dimension lists should have same length", kind=RUNTIME,
                               hint="pair each dim of a with one dim of b: dims=([1], [0])")
        return da, db
    raise GradvizError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                       f"list[list[int]] containing two lists, but got dims={dims!r}",
                       kind=RUNTIME, hint=DIMS_HINT)


def f_tensordot(rt, a, b, dims=2, out=None):
    a, b = F._need_tensor(a, "tensordot", 1, "a"), F._need_tensor(b, "tensordot", 2, "b")
    da, db = _dims_lists(a, b, dims)
    sa, sb = a.data.shape, b.data.shape
    na = [F._dim(d, a.data.ndim) for d in da]
    nb = [F._dim(d, b.data.ndim) for d in db]
    for d1, d2, i1, i2 in zip(da, db, na, nb):
        if sa[i1] != sb[i2]:
            raise GradvizError(f"contracted dimensions need to match, but first has size "
                               f"{sa[i1]} in dim {d1} and second has size {sb[i2]} in dim {d2}",
                               kind=RUNTIME, hint=f"a is {list(sa)}, b is {list(sb)}: the "
                                                  "paired dims must have one size")
    free_a = [i for i in range(a.data.ndim) if i not in na]
    free_b = [i for i in range(b.data.ndim) if i not in nb]
    csize = math.prod(sa[i] for i in na)
    pa = F.METHODS["permute"](rt, a, [*free_a, *da])
    pb = F.METHODS["permute"](rt, b, [*db, *free_b])
    shape = [sa[i] for i in free_a] + [sb[i] for i in free_b]
    if not free_a and not free_b:
        prod = rt.apply(OPS["dot"], (F.FUNCTIONS["flatten"](rt, pa),
                                     F.FUNCTIONS["flatten"](rt, pb)))
    else:
        s1, s2 = math.prod(sa[i] for i in free_a), math.prod(sb[i] for i in free_b)
        prod = rt.apply(OPS["mm"], (F.f_reshape(rt, pa, s1, csize), F.f_reshape(rt, pb, csize, s2)))
    return F.f_reshape(rt, prod, *shape)


def f_inner(rt, input, other):
    x, y = F._need_tensor(input, "inner"), F._need_tensor(other, "inner", 2)
    if x.data.ndim == 0 or y.data.ndim == 0:
        return rt.binary("*", x, y)
    if x.data.shape[-1] != y.data.shape[-1]:
        raise GradvizError("inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(x.data.shape)} and {list(y.data.shape)}",
                           kind=RUNTIME, hint="inner contracts the last dims: make them one "
                                              "size (or transpose one of them)")
    return f_tensordot(rt, x, y, ([-1], [-1]))


def f_diag_embed(rt, input, offset=0, dim1=-2, dim2=-1):
    x = F._need_tensor(input, "diag_embed")
    for name, v in (("offset", offset), ("dim1", dim1), ("dim2", dim2)):
        F._number_arg("diag_embed", name, None, v, kind="int")
    nd = x.data.ndim + 1
    d1, d2 = F._dim(dim1, nd), F._dim(dim2, nd)
    if d1 == d2:
        raise GradvizError(f"diagonal dimensions cannot be identical {dim1}, {dim2}",
                           kind=RUNTIME, hint="dim1 and dim2 name the two new dims of the "
                                              "plane: two different dims")
    return rt.apply(OPS["diag_embed_dims"], (x,), {"offset": offset, "dim1": d1, "dim2": d2})


def f_block_diag(rt, *tensors):
    for i, t in enumerate(tensors):
        if not F.is_tensor(t):
            raise GradvizError(f"expected Tensor as element {i} in argument 0, but got "
                               f"{F.arg_type_name(t)}", kind="TypeError",
                               hint="give the blocks as tensors: torch.block_diag(a, b)")
        if t.data.ndim > 2:
            raise GradvizError("torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.data.ndim} dimensions",
                               kind=RUNTIME, hint="each block is a matrix (a vector is one "
                                                  "row, a number 1x1)")
    if not tensors:     # (PyTorch's: a 1x0 float tensor)
        return F._leaf(rt, np.zeros((1, 0), np.float32), False, "block_diag()")
    return rt.apply(OPS["block_diag"], tuple(tensors))


FUNCTIONS = {"block_diag": f_block_diag, "tensordot": f_tensordot, "inner": f_inner, "diag_embed": f_diag_embed}
METHODS = {"inner": f_inner, "diag_embed": f_diag_embed}
