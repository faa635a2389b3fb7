"""PyTorch's CPU order for the sums inside a vector norm, to the last bit
(ReduceOpsKernel.cpp's norm kernel; matched against PyTorch 2.13 on AVX2).

The 2-norm of rows along a contiguous last dim has a vectorised kernel:
32-byte vectors of lanes each add their squares in turn, the lanes are
added in turn, then the numbers past the last whole vector are added one by
one with a fused multiply-add (for float32 the compiler squares the first 4
of those in a vector, unfused). Every other norm, and the 2-norm along other
dims, adds |x|, x*x or |x|^p to a running sum in memory order, one by one.
"""
from __future__ import annotations

import math
import numpy as np

from .. import sleef
from .summation import _in_turn, reduced_shape

# binary_kernel_reduce splits one sum between threads past this many numbers
_SERIAL_MAX = 32768
_F32_UNFUSED_TAIL = 4       # float32 tail numbers squared in a vector first


def torch_norm_sum(terms: np.ndarray, x: np.ndarray, axis, squares: bool) -> np.ndarray | None:
    """The sum of terms (x*x, |x|, |x|^p) over axis with keepdim, in
    PyTorch's order; squares: the 2-norm's sum of squares, which has the
    fused vectorised kernel along the last dim. None for layouts not
    modelled (the caller falls back on numpy's sum)."""
    if x.dtype not in (np.float32, np.float64) or not x.size:
        return None
    axes = tuple(range(x.ndim)) if axis is None else tuple(axis)
    shape = reduced_shape(x.shape, axes, True)
    if not x.flags.c_contiguous:
        return _in_memory_order(terms, x, axes, squares)
    if len(axes) == x.ndim:                   # one contiguous row
        return _rows_sum(x.reshape(1, -1), terms.reshape(1, -1), squares).reshape(shape)
    # the reduced dims as the last axis of a (kept, reduced) view, in C order
    kept = [d for d in range(x.ndim) if d not in axes]
    moved_x = np.moveaxis(x, axes, range(len(kept), x.ndim))
    moved_t = np.moveaxis(terms, axes, range(len(kept), x.ndim))
    n = math.prod(x.shape[d] for d in axes)
    rows_x, rows_t = moved_x.reshape(-1, n), moved_t.reshape(-1, n)
    if _reduces_last_block(x.shape, axes):
        return _rows_sum(rows_x, rows_t, squares).reshape(shape)
    if x.size > _SERIAL_MAX:
        return None
    return _serial(rows_t).reshape(shape)


def _in_memory_order(terms, x, axes, squares):
    """torch_norm_sum of a permuted contiguous x (a transpose, say): the
    iterator reduces in memory order, so its dims are taken outermost first."""
    order = sorted(range(x.ndim), key=lambda d: -x.strides[d])
    xp = x.transpose(order)
    if not xp.flags.c_contiguous:
        # (a slice, say: its dims do not merge into one contiguous run, so
        # even the 2-norm adds its squares one by one, in memory order)
        if len(axes) < x.ndim or 0 in x.strides or x.size > _SERIAL_MAX:
            return None
        return _serial(terms.transpose(order).reshape(1, -1)).reshape((1,) * x.ndim)
    total = torch_norm_sum(terms.transpose(order), xp, [order.index(d) for d in axes], squares)
    return None if total is None else total.transpose(np.argsort(order))


def reduces_ones_only(x: np.ndarray, axis) -> bool:
    """Whether every reduced dim has size 1: linalg_vector_norm then gives
    |x| for any order but 0, with no power or root (so no underflow)."""
    axes = range(x.ndim) if axis is None else axis
    return all(x.shape[d] == 1 for d in axes)


def _reduces_last_block(shape, axes) -> bool:
    """Whether the reduced dims (those of size > 1) are the last ones: the
    iterator then reduces one contiguous dim (is_reduce_lastdim)."""
    big = [d for d, s in enumerate(shape) if s > 1]
    reduced = [d in axes for d in big]
    return True not in reduced or all(reduced[reduced.index(True):])


def _rows_sum(rows_x, rows_t, squares: bool) -> np.ndarray:
    """Each row's sum along a contiguous last dim."""
    if squares:
        return _fused_sum_of_squares(rows_x)
    if rows_x.size > _SERIAL_MAX and rows_x.shape[0] == 1:
        # one long sum: each thread adds its share from 0, then the shares
        # are added in turn
        shares = [_serial(rows_t[:, lo:hi]) for lo, hi in sleef._parts(rows_t.shape[1], _SERIAL_MAX)]
        return _in_turn(np.zeros(1, rows_t.dtype), np.stack(shares))
    return _serial(rows_t)


def _serial(rows_t) -> np.ndarray:
    """Each row's terms added in turn to a sum starting at 0."""
    return _in_turn(np.zeros(rows_t.shape[0], rows_t.dtype), np.ascontiguousarray(rows_t.T))


def _fused_sum_of_squares(rows) -> np.ndarray:
    """The vectorised 2-norm kernel's sum of squares of each row."""
    lanes = 32 // rows.dtype.itemsize
    n = rows.shape[1]
    whole = n - n % lanes
    vectors = rows[:, :whole].reshape(rows.shape[0], -1, lanes)
    squares = np.moveaxis(vectors * vectors, 1, 0)                  # (vectors, rows, lanes)
    acc = _in_turn(np.zeros(squares.shape[1:], rows.dtype), squares)   # (rows, lanes)
    total = _in_turn(acc[:, 0], np.ascontiguousarray(acc[:, 1:].T))
    tail = rows[:, whole:]
    unfused = _F32_UNFUSED_TAIL * (tail.shape[1] // _F32_UNFUSED_TAIL) if rows.dtype == np.float32 else 0
    total = _in_turn(total, np.ascontiguousarray((tail[:, :unfused] * tail[:, :unfused]).T))
    for column in tail[:, unfused:].T:
        total = _fma_square(total, column)
    return total


def _fma_square(acc, a):
    """acc + a*a rounded once, as a fused multiply-add."""
    if acc.dtype == np.float32:
        return _fma_square_f32(acc, a)
    return _fma_square_f64(acc, a)


def _two_sum(a, b):
    """(s, e): s = a + b rounded, e its error (s + e == a + b exactly)."""
    s = a + b
    back = s - a
    return s, (a - (s - back)) + (b - back)


def _round_to_odd(s, err):
    """s (a rounded sum whose error is err) rounded to odd instead: an
    inexact s keeps its last bit set, so that rounding it again to fewer
    bits rounds as the exact sum would."""
    nudge = (err != 0) & ((s.view(np.int64) & 1) == 0)
    s = s.copy()
    s[nudge] = np.nextafter(s[nudge], s[nudge] + err[nudge])
    return s


def _fma_square_f64(acc, a):
    """float64 acc + a*a rounded once (Boldo and Melquiond's emulated fma):
    a*a split exactly into p + e (Veltkamp's halves of a), acc + p into
    s + t, and s + (t + e rounded to odd) rounded to nearest."""
    p = a * a
    big = a * 134217729.0                       # 2**27 + 1
    high = big - (big - a)
    low = a - high
    e = ((high * high - p) + 2 * high * low) + low * low
    s, t = _two_sum(acc, p)
    u, w = _two_sum(t, e)
    return s + _round_to_odd(u, w)


def _fma_square_f32(acc, a):
    """float32 acc + a*a: the square is exact in float64, and the float64 sum
    rounded to odd (an inexact sum keeps its last bit set) rounds to float32
    as the exact sum would, with no double rounding."""
    s, p = acc.astype(np.float64), a.astype(np.float64) * a.astype(np.float64)
    return _round_to_odd(*_two_sum(s, p)).astype(np.float32)


def vec_sum_of_squares(rows) -> np.ndarray:
    """Each row's sum of squares as vec::map_reduce_all adds it (the fused
    weight_norm's kernel along dim 0): the first vector of squares, then each
    further vector added lane by lane, the leftovers into their lanes, then
    the lanes added as a tree (halves, then pairs; float64's in turn); a
    row shorter than a vector adds its squares in turn."""
    lanes = 32 // rows.dtype.itemsize
    m, n = rows.shape
    squares = rows * rows
    if n < lanes:
        return _in_turn(squares[:, 0], np.ascontiguousarray(squares[:, 1:].T))
    whole = n - n % lanes
    vectors = np.moveaxis(squares[:, :whole].reshape(m, -1, lanes), 1, 0)
    acc = _in_turn(vectors[0], vectors[1:])                  # (rows, lanes)
    tail = squares[:, whole:]
    acc[:, :tail.shape[1]] += tail
    if rows.dtype != np.float32:            # (the tree is float32's AVX2 shuffles)
        return _in_turn(acc[:, 0], np.ascontiguousarray(acc[:, 1:].T))
    while acc.shape[1] > 1:
        half = acc.shape[1] // 2
        acc = acc[:, :half] + acc[:, half:]
    return acc[:, 0]


def column_sum_of_squares(rows) -> np.ndarray:
    """Each column's sum of squares as the fused weight_norm's kernel along
    the last dim adds it: parallel_for gives each of sleef.THREADS threads a
    run of rows, which it adds into its own buffer with fused multiply-adds;
    the buffers are then added in turn."""
    m = rows.shape[0]
    part = -(-m // min(sleef.THREADS, m))
    total = np.zeros(rows.shape[1], rows.dtype)
    for lo in range(0, m, part):
        buffer = np.zeros_like(total)
        for row in rows[lo:lo + part]:
            buffer = _fma_square(buffer, row)
        total = total + buffer
    return total
