"""The size of what a numpy call makes, estimated before numpy allocates it
(pynumpy checks it against the tensors' limit): np.zeros(10**12),
np.outer of two long vectors or a matmul with a huge result stop at once.

Each estimator takes the call's arguments as numpy gets them (plain numbers,
lists, tuples, arrays) and gives the number of elements of the biggest
array the call makes, or 0 where numpy will refuse the arguments anyway.
Elementwise functions, reductions and shape changes make no more than
their arguments broadcast together (broadcast); SIZES holds the functions
that can make more."""
from __future__ import annotations

import math

import numpy as np

from .errors import TYPE, GradvizError

MAX_SIZE = 2 ** 63


def _shape_of(v) -> tuple:
    """The shape numpy would give v (a converted argument), without making it."""
    if isinstance(v, (np.ndarray, np.generic)):
        return v.shape
    if isinstance(v, (list, tuple)):
        if not v:
            return (0,)
        inner = _shape_of(v[0])
        return (len(v), *inner)
    return ()


def _size_of(v) -> int:
    return math.prod(_shape_of(v))


def _count(v, what: str) -> int:
    """A size argument (an int or a tuple of ints) as numpy reads it, checked."""
    if isinstance(v, np.ndarray):       # (numpy takes an array of sizes too)
        v = v.tolist() if v.size <= 64 else [MAX_SIZE]
    dims = v if isinstance(v, (list, tuple)) else (v,)
    n = 1
    for d in dims:
        if isinstance(d, np.generic):
            d = d.item()
        if isinstance(d, bool) or not isinstance(d, int):
            return 0                   # (numpy's TypeError says it)
        n *= max(d, 0)
    return n


def broadcast(args, kwargs) -> int:
    """Elementwise functions, reductions, shape changes: no more elements
    than the arguments broadcast together."""
    shapes = [_shape_of(a) for a in (*args, *kwargs.values())
              if isinstance(a, (np.ndarray, np.generic, list, tuple))]
    shaped = {s for s in shapes if s}
    if len(shaped) <= 1:                # (the common case: one shape, or with numbers)
        return math.prod(shaped.pop()) if shaped else 1
    try:
        return math.prod(np.broadcast_shapes(*shapes)) if shapes else 1
    except ValueError:
        return max((math.prod(s) for s in shapes), default=1)


def _at(pos: int, name: str, default=None):
    def get(args, kwargs):
        return args[pos] if len(args) > pos else kwargs.get(name, default)
    return get


def _shape_argument(pos: int, name: str):
    arg = _at(pos, name)
    return lambda args, kwargs: _count(arg(args, kwargs), name)


def sized(pos: int, name: str):
    """random draws: `size` elements, or as many as the arguments broadcast to."""
    arg = _at(pos, name)

    def estimate(args, kwargs):
        size = arg(args, kwargs)
        return broadcast(args, kwargs) if size is None else _count(size, name)
    return estimate


def _arange(args, kwargs) -> int:
    values = [a.item() if isinstance(a, np.generic) else a for a in args[:3]]
    start, stop, step = 0, None, kwargs.get("step", 1)
    if len(values) == 1:
        stop = values[0]
    elif len(values) >= 2:
        start, stop = values[:2]
        if len(values) == 3:
            step = values[2]
    start = kwargs.get("start", start)
    stop = kwargs.get("stop", stop)
    try:
        return max(math.ceil((stop - start) / step), 0)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return 0                       # (numpy's error says it)


def _eye(args, kwargs) -> int:
    n = _at(0, "N")(args, kwargs)
    m = _at(1, "M")(args, kwargs)
    return _count(n, "N") * _count(n if m is None else m, "M")


def _product_of_sizes(args, kwargs) -> int:       # outer, kron, meshgrid
    return math.prod(_size_of(a) for a in args) * max(len(args), 1)


def _joined(args, kwargs) -> int:                 # concatenate, stack, append
    parts = args[0] if args and isinstance(args[0], (list, tuple)) else args
    return sum(_size_of(p) for p in parts)


def matmul(args, kwargs) -> int:
    """matmul's result (batch dimensions broadcast), or dot's (every
    dimension of a but its last, every one of b but its second last)."""
    if len(args) < 2:
        return 0
    a, b = _shape_of(args[0]), _shape_of(args[1])
    if not a or not b:
        return max(math.prod(a), math.prod(b))
    try:
        batch = math.prod(np.broadcast_shapes(a[:-2], b[:-2]))
    except ValueError:
        batch = 1
    rows = a[-2] if len(a) >= 2 else 1
    cols = b[-1] if len(b) >= 2 else 1
    dot = math.prod(a[:-1]) * math.prod(b[:-2]) * cols
    return max(batch * rows * cols, dot)


def _tile(args, kwargs) -> int:
    reps = _at(1, "reps")(args, kwargs)
    return _size_of(args[0]) * _count(reps, "reps") if args else 0


def _repeat(args, kwargs) -> int:
    r = _at(1, "repeats")(args, kwargs)
    if isinstance(r, (list, tuple, np.ndarray)):       # a count per element: the largest
        flat = np.ravel(np.asarray(r, dtype=object)) if _size_of(r) else [0]
        r = max((x for x in flat if isinstance(x, (int, np.integer))), default=0)
    return (_size_of(args[0]) if args else 0) * _count(r, "repeats")


def _diag(args, kwargs) -> int:
    """diag of a vector: a square matrix of its size plus |k|."""
    if not args:
        return 0
    shape = _shape_of(args[0])
    k = _at(1, "k", 0)(args, kwargs)
    k = abs(k) if isinstance(k, int) else 0
    return (math.prod(shape) + k) ** 2 if len(shape) == 1 else math.prod(shape)


def _quantile(args, kwargs) -> int:
    q = _at(1, "q")(args, kwargs)
    return max(_size_of(args[0]) if args else 0, 1) * max(_size_of(q), 1)


def _inner(args, kwargs) -> int:
    if len(args) < 2:
        return 0
    a, b = _shape_of(args[0]), _shape_of(args[1])
    return max(math.prod(a[:-1]) * math.prod(b[:-1]), math.prod(a), math.prod(b))


def _per_dimension(args, kwargs) -> int:
    """nonzero, argwhere, where(c): an index per dimension of each element."""
    return broadcast(args, kwargs) * max(len(_shape_of(args[0])) if args else 1, 1)


def _like(args, kwargs) -> int:
    shape = kwargs.get("shape")
    return _count(shape, "shape") if shape is not None else broadcast(args, kwargs)


def check_size(rt, estimate, args, kwargs, what: str = "array") -> None:
    try:
        n = (estimate or broadcast)(args, kwargs)
    except (TypeError, ValueError, LookupError, OverflowError):
        # arguments numpy would read in a way no estimate foresaw: not run
        raise GradvizError("these arguments are outside gradviz's numpy subset", kind=TYPE,
                           hint="numpy's documented forms: sizes as ints or tuples of ints, "
                                "arrays as arrays or lists of numbers") from None
    rt.tape.check_size(n, what)


# what each function makes at most, where it may be more than its inputs
# (every other function: broadcast)
SIZES = {
    "zeros": _shape_argument(0, "shape"), "ones": _shape_argument(0, "shape"),
    "full": _shape_argument(0, "shape"), "arange": _arange,
    "linspace": _shape_argument(2, "num"), "logspace": _shape_argument(2, "num"),
    "geomspace": _shape_argument(2, "num"), "eye": _eye,
    "identity": lambda args, kwargs: _count(_at(0, "n")(args, kwargs), "n") ** 2,
    "zeros_like": _like, "ones_like": _like, "full_like": _like,
    "outer": _product_of_sizes, "kron": _product_of_sizes, "meshgrid": _product_of_sizes,
    "concatenate": _joined, "stack": _joined, "vstack": _joined, "hstack": _joined,
    "column_stack": _joined, "append": _joined, "dot": matmul, "matmul": matmul,
    "tile": _tile, "repeat": _repeat, "diag": _diag, "broadcast_to": _shape_argument(1, "shape"),
    "tri": _eye, "inner": _inner, "nonzero": _per_dimension, "argwhere": _per_dimension,
    "where": lambda args, kwargs: (_per_dimension if len(args) == 1 else broadcast)(args, kwargs),
    "percentile": _quantile, "quantile": _quantile, "resize": _shape_argument(1, "new_shape"),
}

# np.random's functions (the others take size= third: normal(loc, scale, size))
RANDOM_SIZES = {
    "rand": lambda args, kwargs: _count(args, "d"),
    "randn": lambda args, kwargs: _count(args, "d"),
    "random": sized(0, "size"), "random_sample": sized(0, "size"),
    "standard_normal": sized(0, "size"),
    "choice": sized(1, "size"), "exponential": sized(1, "size"), "poisson": sized(1, "size"),
    "geometric": sized(1, "size"),
    "permutation": lambda args, kwargs: (_count(args[0], "x") if args and
                                         isinstance(args[0], int) else broadcast(args, kwargs)),
}
