"""torch.split_with_sizes and the unsafe splits (unsafe_split, unsafe_chunk,
unsafe_split_with_sizes) and their methods: split and chunk under their
other names, each piece's grad_fn PyTorch's own for the call
(SplitWithSizesBackward0, UnsafeSplitBackward0,
UnsafeSplitWithSizesBackward0)."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, TYPE
from .selection import _as_method

_UNSAFE_GRAD_FNS = ("UnsafeSplitBackward0", "UnsafeSplitWithSizesBackward0")


def _int(fname: str, arg: str, v) -> int:
    v = F.read_int(v)           # (a 0-dim integer tensor is PyTorch's int too)
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(f"{fname}(): argument '{arg}' (position 2) must be int, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint=f"{arg} is a whole number: {fname}(x, 2)")
    return v


def _sizes(fname: str, v) -> list:
    """A list of sizes, with PyTorch's TypeErrors for anything else."""
    if not isinstance(v, (list, tuple)):
        raise GradvizError(f"{fname}(): argument 'split_sizes' (position 2) must be tuple of "
                           f"ints, not {F.arg_type_name(v)}", kind=TYPE,
                           hint=f"the pieces' sizes as a list: {fname}(x, [2, 3])")
    return list(F.int_list(fname, "split_sizes", (v,), 2))


def _dim(fname: str, dim) -> int:
    dim = F.read_int(dim)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise GradvizError(f"{fname}(): argument 'dim' (position 3) must be int, not "
                           f"{F.arg_type_name(dim)}", kind=TYPE, hint="dim is a whole number")
    return dim


def _split_by_sizes(name: str, grad_fns: tuple):
    def f(rt, input, split_sizes, dim=0):
        x = F._need_tensor(input, name, 1, "input")
        sizes = _sizes(name, split_sizes)
        pieces = F.split_pieces(rt, x, sizes, _dim(name, dim), grad_fns)
        return _untracked(pieces) if grad_fns is _UNSAFE_GRAD_FNS else pieces
    f.__name__ = name
    return f


def _untracked(pieces: tuple) -> tuple:
    """The pieces of an unsafe split, as PyTorch makes them: on the input's
    memory, but no views of it (no _base; each its own version counter, so
    a write into one is no write into the input for autograd: the input's
    grad_fn stays)."""
    for t in pieces:
        t.meta = {**(t.meta or {}), "unsafe_piece": True,
                  "version_key": -1 - t.seq}
    return pieces


def f_unsafe_split(rt, input, split_size, dim=0):
    """torch.unsafe_split(x, n): torch.split(x, n), UnsafeSplitBackward0."""
    x = F._need_tensor(input, "unsafe_split", 1, "input")
    size = _int("unsafe_split", "split_size", split_size)
    return _untracked(F.split_pieces(rt, x, size, _dim("unsafe_split", dim),
                                         _UNSAFE_GRAD_FNS))


def f_unsafe_chunk(rt, input, chunks, dim=0):
    """torch.unsafe_chunk(x, n): torch.chunk(x, n), UnsafeSplitBackward0."""
    x = F._need_tensor(input, "unsafe_chunk", 1, "input")
    d = _dim("unsafe_chunk", dim)
    size = F.chunk_size(x, _int("unsafe_chunk", "chunks", chunks), d)
    return _untracked(F.split_pieces(rt, x, size, d, _UNSAFE_GRAD_FNS))


FUNCTIONS = {
    "split_with_sizes": _split_by_sizes("split_with_sizes", F.SPLIT_GRAD_FNS),
    "unsafe_split_with_sizes": _split_by_sizes("unsafe_split_with_sizes", _UNSAFE_GRAD_FNS),
    "unsafe_split": f_unsafe_split, "unsafe_chunk": f_unsafe_chunk,
}
METHODS = {name: _as_method(name, f) for name, f in FUNCTIONS.items()}
