"""PyTorch's order of a float sum, to the last bit: the sum op, mean, std
and var's means, and the gradients summed back to a broadcast operand's
shape all add up in it (the last bit of a float32 sum of many numbers
depends on the order, and shows in a training loop's loss.item())."""
from __future__ import annotations

import math

import numpy as np


def reduced_shape(shape, axis, keepdim) -> tuple:
    axes = range(len(shape)) if axis is None else axis
    if keepdim:
        return tuple(1 if d in axes else s for d, s in enumerate(shape))
    return tuple(s for d, s in enumerate(shape) if d not in axes)


# PyTorch's CPU sum of float32 and float64 (its cascade_sum) adds up each
# row of contiguous numbers in a fixed order, one thread for up to 32768
# numbers (past that, the threads' share decides the order): 32-byte (AVX2) vectors
# of lanes, 4 of them side by side, in blocks of 2^k vectors that carry into
# 4 levels of partial sums; the numbers past the last whole vector, then the
# lanes, are added last, one by one. Matched to the bit against PyTorch 2.13.
SERIAL_SUM_MAX = 32768
_SUM_ILP = 4            # vectors summed side by side
_SUM_LEVELS = 4         # levels of the cascade


def torch_sum(x: np.ndarray, axis) -> np.ndarray | None:
    """x.sum(dim, keepdim=True) in PyTorch's order, for a float x of up to
    SERIAL_SUM_MAX numbers summed over all of it or over one block of
    adjacent dims of a C-ordered x; None for other layouts."""
    if not 0 < x.size <= SERIAL_SUM_MAX:
        return None
    shape = reduced_shape(x.shape, axis, True)
    if axis is None or len(axis) == x.ndim:
        return torch_row_sums(x.ravel(order="K")[None]).reshape(shape)   # memory order
    if not x.flags.c_contiguous:
        return None
    # PyTorch drops dims of size 1 and merges neighbours: what is left is
    # (kept A, reduced R, kept C) when the reduced dims make one block
    sizes = [(s, d in axis) for d, s in enumerate(x.shape) if s > 1]
    flags = [r for _, r in sizes]
    if True not in flags:                   # only dims of size 1: nothing to add
        return x.reshape(shape).copy()
    first, last = flags.index(True), len(flags) - flags[::-1].index(True)
    if not all(flags[first:last]):
        return None
    a, r, c = (math.prod(s for s, _ in part) for part in
               (sizes[:first], sizes[first:last], sizes[last:]))
    if c == 1:
        return torch_row_sums(x.reshape(a, r)).reshape(shape)
    return _torch_column_sums(x.reshape(a, r, c)).reshape(shape)


def _torch_column_sums(x3: np.ndarray) -> np.ndarray:
    """The sums over the middle axis of (a, r, c), c > 1 contiguous: PyTorch
    runs one cascade per column over groups of 4 vectors (or of 4 numbers,
    when c is less than a vector), and the ILP sum over the columns left."""
    lanes = 32 // x3.dtype.itemsize
    group = _SUM_ILP * (lanes if x3.shape[2] >= lanes else 1)
    split = x3.shape[2] // group * group
    items = np.ascontiguousarray(x3.transpose(1, 0, 2))       # (r, a, c)
    out = np.empty(x3.shape[::2], x3.dtype)
    out[:, :split] = _cascade(items[:, :, :split])
    out[:, split:] = _ilp_sum(items[:, :, split:])
    return out


def torch_row_sums(rows: np.ndarray) -> np.ndarray:
    """The sum of each row of a 2-d float array, in PyTorch's order."""
    lanes = 32 // rows.dtype.itemsize
    n = rows.shape[1]
    cols = np.ascontiguousarray(rows.T)            # (n, rows): each step adds one per row
    if n < lanes:
        return _ilp_sum(cols)
    whole = n // lanes
    vectors = cols[:whole * lanes].reshape(whole, lanes, -1)
    partial = _ilp_sum(vectors)                        # (lanes, rows)
    tail = np.concatenate((cols[whole * lanes:], partial))
    return _in_turn(np.zeros_like(cols[0]), tail)


def _ilp_sum(items):
    """PyTorch's row_sum: _SUM_ILP running cascades side by side, the
    leftovers into the first, then the first plus the others in turn."""
    size = items.shape[0]
    k = size // _SUM_ILP
    acc = _cascade(items[:k * _SUM_ILP].reshape((k, _SUM_ILP) + items.shape[1:]))
    first = _in_turn(acc[0], items[k * _SUM_ILP:])
    return _in_turn(first, acc[1:])


def _cascade(items):
    """PyTorch's multi_row_sum: blocks of 2^power items added in turn, each
    block's sum carried up the levels (a level passes its sum on and
    starts again whenever the count so far is not a multiple of its span)."""
    size = items.shape[0]
    power = max(4, (size - 1).bit_length() // _SUM_LEVELS if size > 1 else 0)
    step = 1 << power
    acc = [np.zeros(items.shape[1:], items.dtype) for _ in range(_SUM_LEVELS)]
    i = 0
    while i + step <= size:
        acc[0] = _in_turn(acc[0], items[i:i + step])
        i += step
        for j in range(1, _SUM_LEVELS):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = np.zeros_like(acc[j])
            if i & ((step - 1) << (j * power)):
                break
    acc[0] = _in_turn(acc[0], items[i:])
    return _in_turn(acc[0], np.stack(acc[1:]))


def _in_turn(start, items):
    """start + items[0] + items[1] + ..., one at a time (cumsum adds in order)."""
    if not len(items):
        return start
    return np.cumsum(np.concatenate((start[None], items)), axis=0)[-1]
