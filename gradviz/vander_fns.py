"""torch.vander(x, N=None, increasing=False): the powers of x, composed as
ATen composes it (a result filled with ones, x copied into its columns
past the first, their cumprod copied back, flipped unless increasing), so
its graph is PyTorch's: CopySlices and FlipBackward0, and the same failed
backward, since the cumprod saved a view of the result that the second copy
then overwrote."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE


def _latest(rt, t):
    """t as its last in-place write left it (the node that write made)."""
    while t.meta is not None and "replaced_by" in t.meta:
        t = rt.tape.nodes[t.meta["replaced_by"]]
    return t


def _columns(rt, x, n: int):
    dt = x.data.dtype if x.data.dtype.kind == "f" else np.dtype(np.int64)
    rt.tape.check_size(x.data.shape[0] * n, "result")
    result = F._leaf(rt, np.empty((x.data.shape[0], n), dt), False, "empty")
    if n == 0:
        return result
    F.m_fill_(rt, result, 1)
    if n > 1:
        rest = [slice(None), slice(1, None)]
        F.m_copy_(rt, rt.index_tensor(_latest(rt, result), rest), F.f_unsqueeze(rt, x, 1))
        powers = F.FUNCTIONS["cumprod"](rt, rt.index_tensor(_latest(rt, result), rest), 1)
        F.m_copy_(rt, rt.index_tensor(_latest(rt, result), rest), powers)
    return _latest(rt, result)


def f_vander(rt, x, N=None, increasing=False):
    x = F._need_tensor(x, "vander", 1, "x")
    if N is not None and (isinstance(N, bool) or not isinstance(N, int)):
        raise GradvizError(f"vander(): argument 'N' (position 2) must be int, not "
                           f"{F.arg_type_name(N)}", kind=TYPE, hint="N is the number of columns")
    if not isinstance(increasing, bool):
        raise GradvizError(f"vander(): argument 'increasing' must be bool, not "
                           f"{F.arg_type_name(increasing)}", kind=TYPE,
                           hint="increasing=True puts the powers in increasing order")
    if x.data.ndim != 1:
        raise GradvizError("x must be a one-dimensional tensor.", kind=RUNTIME,
                           hint="vander takes a vector of points")
    n = x.data.shape[0] if N is None else N
    if n < 0:
        raise GradvizError("N must be non-negative.", kind=RUNTIME, hint="N counts the columns")
    result = _columns(rt, x, n)
    return result if increasing else F.FUNCTIONS["flip"](rt, result, [1])


FUNCTIONS = {"vander": f_vander}
