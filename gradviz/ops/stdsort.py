"""The order of ties in torch.sort and torch.topk, as PyTorch's CPU kernels
leave it: they call the C++ standard library's std::sort (an introsort,
not stable past 16 elements), std::nth_element and std::partial_sort
(GNU libstdc++'s, which PyTorch's Linux wheels are built with). Equal
values come out in the order those algorithms happen to leave them, which
shows in the indices (and so in where the gradient goes). The algorithms
are followed here step by step, on a list of integer keys (the values'
ranks: ties equal, NaN above every number), comparing with `<` only, as
they compare with the kernel's comparator. Rows without ties are ordered
by numpy instead (the same result, without the Python loop).
"""
from __future__ import annotations

import numpy as np

THRESHOLD = 16          # libstdc++'s _S_threshold: shorter ranges are insertion-sorted


def _lg(n: int) -> int:
    return n.bit_length() - 1


def _insertion_sort(a: list, first: int, last: int) -> None:
    for i in range(first + 1, last):
        v = a[i]
        j = i
        while j > first and v[0] < a[j - 1][0]:
            a[j] = a[j - 1]
            j -= 1
        a[j] = v


def _move_median_to_first(a, result, x, y, z) -> None:
    ka, kb, kc = a[x][0], a[y][0], a[z][0]
    if ka < kb:
        m = y if kb < kc else z if ka < kc else x
    else:
        m = x if ka < kc else z if kb < kc else y
    a[result], a[m] = a[m], a[result]


def _partition_pivot(a: list, first: int, last: int) -> int:
    """libstdc++'s __unguarded_partition_pivot: the median of three moved to
    first, then Hoare's partition of the rest around it."""
    mid = first + (last - first) // 2
    _move_median_to_first(a, first, first + 1, mid, last - 1)
    pivot = a[first][0]
    lo, hi = first + 1, last
    while True:
        while a[lo][0] < pivot:
            lo += 1
        hi -= 1
        while pivot < a[hi][0]:
            hi -= 1
        if not lo < hi:
            return lo
        a[lo], a[hi] = a[hi], a[lo]
        lo += 1


def _adjust_heap(a, first, hole, length, value) -> None:
    top = hole
    child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if a[first + child][0] < a[first + child - 1][0]:
            child -= 1
        a[first + hole] = a[first + child]
        hole = child
    if length & 1 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        a[first + hole] = a[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and a[first + parent][0] < value[0]:
        a[first + hole] = a[first + parent]
        hole = parent
        parent = (hole - 1) // 2
    a[first + hole] = value


def _make_heap(a, first, last) -> None:
    n = last - first
    if n < 2:
        return
    for parent in range((n - 2) // 2, -1, -1):
        _adjust_heap(a, first, parent, n, a[first + parent])


def _pop_heap(a, first, last, result) -> None:
    value = a[result]
    a[result] = a[first]
    _adjust_heap(a, first, 0, last - first, value)


def _heap_select(a, first, middle, last) -> None:
    _make_heap(a, first, middle)
    for i in range(middle, last):
        if a[i][0] < a[first][0]:
            _pop_heap(a, first, middle, i)


def _sort_heap(a, first, last) -> None:
    while last - first > 1:
        last -= 1
        _pop_heap(a, first, last, last)


def partial_sort(a: list, first: int, middle: int, last: int) -> None:
    """std::partial_sort: the smallest middle - first in order at the front."""
    _heap_select(a, first, middle, last)
    _sort_heap(a, first, middle)


def introsort(a: list, first: int, last: int) -> None:
    """std::sort (an explicit stack of ranges for libstdc++'s recursion: the
    ranges are disjoint, so the order they are done in changes nothing)."""
    if last - first < 2:
        return
    stack = [(first, last, 2 * _lg(last - first))]
    while stack:
        lo, hi, depth = stack.pop()
        while hi - lo > THRESHOLD:
            if depth == 0:
                partial_sort(a, lo, hi, hi)
                break
            depth -= 1
            cut = _partition_pivot(a, lo, hi)
            stack.append((cut, hi, depth))
            hi = cut
    _insertion_sort(a, first, last)      # (libstdc++'s final pass, guarded or not)


def nth_element(a: list, nth: int) -> None:
    """std::nth_element over all of a (libstdc++'s introselect)."""
    first, last = 0, len(a)
    if nth >= last:
        return
    depth = 2 * _lg(last - first)
    while last - first > 3:
        if depth == 0:
            _heap_select(a, first, nth + 1, last)
            a[first], a[nth] = a[nth], a[first]
            return
        depth -= 1
        cut = _partition_pivot(a, first, last)
        if cut <= nth:
            first = cut
        else:
            last = cut
    _insertion_sort(a, first, last)


# ---- on a tensor's rows -------------------------------------------------------

def _rows(x: np.ndarray, dim: int) -> np.ndarray:
    """x with dim moved last, as a 2-d array of rows."""
    if x.ndim == 0:
        return x.reshape(1, 1)
    moved = np.moveaxis(x, dim, -1)
    # the row count spelled out: -1 cannot be inferred when rows are empty
    return moved.reshape(moved.size // max(1, x.shape[dim]), x.shape[dim])


def _keys(row: np.ndarray, first_large: bool) -> list:
    """Integer keys whose `<` is the kernel's comparator: equal values tie,
    NaN is above every number (first when the large ones come first)."""
    _, rank = np.unique(row, return_inverse=True)   # (NaNs share the top rank)
    rank = rank.reshape(-1)
    return (-rank if first_large else rank).tolist()


def _has_ties(row: np.ndarray) -> bool:
    s = np.sort(row)
    return bool(row.size > 1 and (np.any(s[1:] == s[:-1])
                                  or (row.dtype.kind == "f" and np.isnan(s[-2]))))


def _stable_order(row: np.ndarray, first_large: bool) -> np.ndarray:
    if not first_large:
        return np.argsort(row, kind="stable")
    # the descending order that keeps ties in place: a stable ascending sort
    # of the row reversed, read backwards (NaN, numpy's largest, comes first)
    n = row.size
    return (n - 1 - np.argsort(row[::-1], kind="stable"))[::-1]


def sort_indices(x: np.ndarray, dim: int, descending: bool, stable: bool) -> np.ndarray:
    """The int64 indices torch.sort returns along dim."""
    rows = _rows(x, dim)
    out = np.empty(rows.shape, np.int64)
    for r, row in enumerate(rows):
        if stable or row.size <= THRESHOLD or not _has_ties(row):
            # (insertion sort, the whole of std::sort for short rows, is stable)
            out[r] = _stable_order(row, descending)
            continue
        pairs = list(zip(_keys(row, descending), range(row.size)))
        introsort(pairs, 0, len(pairs))
        out[r] = [i for _, i in pairs]
    return _unrows(out, x, dim)


def topk_indices(x: np.ndarray, k: int, dim: int, largest: bool, ordered: bool) -> np.ndarray:
    """The int64 indices torch.topk returns along dim: PyTorch's kernel
    takes a partial sort when k is small beside the row (k * 64 <= n), else
    nth_element and (sorted=True) a sort of the k - 1 before the k-th."""
    rows = _rows(x, dim)
    n = rows.shape[1]
    out = np.empty((rows.shape[0], k), np.int64)
    for r, row in enumerate(rows):
        if k == 0:
            continue
        if ordered and not _has_ties(row):
            out[r] = _stable_order(row, largest)[:k]
            continue
        pairs = list(zip(_keys(row, largest), range(n)))
        if k * 64 <= n:
            partial_sort(pairs, 0, k, n)
        else:
            nth_element(pairs, k - 1)
            if ordered:
                introsort(pairs, 0, k - 1)
        out[r] = [i for _, i in pairs[:k]]
    return _unrows(out, x, dim)


def _unrows(out: np.ndarray, x: np.ndarray, dim: int) -> np.ndarray:
    if x.ndim == 0:
        return out.reshape(()) if out.size else np.zeros((), np.int64)
    moved = np.moveaxis(np.empty(x.shape, bool), dim, -1).shape[:-1] + (out.shape[1],)
    return np.moveaxis(out.reshape(moved), -1, dim)
