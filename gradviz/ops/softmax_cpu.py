"""softmax and log_softmax, forward and backward, as PyTorch's CPU kernels
compute them in float32 (aten/src/ATen/native/cpu/SoftMaxKernel.cpp), so
that a loss printed with all its digits, and the training that follows it,
are PyTorch's to the bit.

Over the last dim (a row at a time) the kernels run SLEEF's exp and log
(gradviz.sleef) on vectors, and sum a row the way vec::reduce_all does:
lane by lane into one vector, then its lanes pairwise (row_sum). The
vector is the CPU's (16 float32 lanes on AVX512, 8 on AVX2: sleef.vector()),
as the kernel PyTorch runs there.
softmax multiplies by 1 / sum; log_softmax is (x - max) - log(sum).
Over another dim each column is summed in order along the dim; which
columns run SLEEF's exp and which the C library's (the scalar loop) depends
on the kernel (vector_columns). Every variant here was checked against
PyTorch's results on random tensors of many shapes (all equal).
Other dtypes take the plain formulas.
"""
from __future__ import annotations

import numpy as np

from .. import sleef

_F32 = np.dtype(np.float32)


def _pairs(v: int) -> list:
    """The lane each lane is added to at each step of reduce_all's
    shuffles of a vector of v lanes (halves, then quarters, ... then
    neighbours)."""
    return [np.arange(v) ^ (v >> k) for k in range(1, v.bit_length())]


def row_sum(a: np.ndarray) -> np.ndarray:
    """vec::reduce_all's sum of each row (the last axis) of a float32 array."""
    n = a.shape[-1]
    lanes = sleef.vector()
    if n == 0:
        return np.zeros(a.shape[:-1], a.dtype)
    if n < lanes:                       # one partial vector: its lanes in order
        s = a[..., 0].copy()
        for k in range(1, n):
            s += a[..., k]
        return s
    acc = a[..., :lanes].copy()
    full = n - n % lanes
    for k in range(lanes, full, lanes):
        acc += a[..., k:k + lanes]
    if n > full:                     # the last partial vector into the first lanes
        acc[..., :n - full] += a[..., full:]
    for pair in _pairs(lanes):
        acc = acc + acc[..., pair]
    return acc[..., 0]


def _chunk_columns(dim_size: int, inner: int) -> np.ndarray:
    """Which columns the chunked kernels (log_softmax's forward, both
    backwards) run as vectors: each chunk's columns but its last
    (size % the vector's lanes), which the scalar loop takes."""
    lanes = sleef.vector()
    chunk = max(128 * 1024 // max(dim_size, 1) // 4, lanes) // lanes * lanes
    vec = np.zeros(inner, bool)
    for lo in range(0, inner, chunk):
        size = min(chunk, inner - lo)
        vec[lo:lo + size - size % lanes] = True
    return vec


def _split_columns(outer: int, inner: int) -> np.ndarray:
    """Which (outer, column)s softmax's forward runs as vectors: it splits
    outer * inner numbers between the threads, and each thread's part runs
    a vector at a time while one fits in its part and in the row, the rest
    as scalars."""
    lanes = sleef.vector()
    n = outer * inner
    vec = np.zeros(n, bool)
    if n == 0:
        return vec.reshape(outer, inner)
    part = -(-n // min(sleef.THREADS, n))
    for lo in range(0, n, part):
        hi = min(n, lo + part)
        i = lo
        while i < hi:
            col = i % inner
            if col + lanes <= inner and i + lanes <= hi:
                vec[i:i + lanes] = True
                i += lanes
            else:
                i += min(hi - i, inner - col)
    return vec.reshape(outer, inner)


def _exp_where(z, vec):
    """exp of z, SLEEF's where vec (broadcast) holds, the C library's elsewhere."""
    return np.where(vec, sleef.expf(z), sleef.scalar_expf(z))


def _columns(x, d):
    """x as (outer, dim, inner), the layout the kernels walk."""
    d = d % x.ndim
    outer = int(np.prod(x.shape[:d], dtype=np.int64))
    return np.ascontiguousarray(x).reshape(outer, x.shape[d], -1)


def _column_sum(a):
    s = np.zeros((a.shape[0], 1, a.shape[2]), a.dtype)
    for k in range(a.shape[1]):
        s[:, 0] += a[:, k]
    return s


def _exact(x, d) -> bool:
    return x.dtype == _F32 and x.ndim > 0 and x.size > 0


def softmax(x, d):
    if not _exact(x, d):
        z = x - np.max(x, axis=d, keepdims=True, initial=-np.inf)
        e = np.exp(z)
        return e / np.sum(e, axis=d, keepdims=True)
    if d % x.ndim == x.ndim - 1:
        e = sleef.expf(x - np.max(x, axis=-1, keepdims=True))
        return e * (np.float32(1) / row_sum(e))[..., None]
    c = _columns(x, d)
    z = c - np.max(c, axis=1, keepdims=True)
    e = _exp_where(z, _split_columns(c.shape[0], c.shape[2])[:, None, :])
    return (e / _column_sum(e)).reshape(x.shape)


def log_softmax(x, d):
    if not _exact(x, d):
        z = x - np.max(x, axis=d, keepdims=True, initial=-np.inf)
        return z - np.log(np.sum(np.exp(z), axis=d, keepdims=True))
    if d % x.ndim == x.ndim - 1:
        z = x - np.max(x, axis=-1, keepdims=True)
        return z - sleef.logf(row_sum(sleef.expf(z)))[..., None]
    c = _columns(x, d)
    z = c - np.max(c, axis=1, keepdims=True)
    e = _exp_where(z, _chunk_columns(c.shape[1], c.shape[2]))
    return (z - sleef.logf(_column_sum(e))).reshape(x.shape)


def softmax_backward(g, y, d):
    """(g - sum(g * y)) * y over dim d."""
    if not _exact(y, d) or g.dtype != _F32:
        return y * (g - np.sum(g * y, axis=d, keepdims=True))
    if d % y.ndim == y.ndim - 1:
        return (g - row_sum(g * y)[..., None]) * y
    gc, yc = _columns(g, d), _columns(y, d)
    dot = np.zeros((gc.shape[0], 1, gc.shape[2]), _F32)
    for k in range(gc.shape[1]):            # the scalar loop's fused multiply-adds
        dot[:, 0] = sleef._fma(gc[:, k], yc[:, k], dot[:, 0])
    return ((gc - dot) * yc).reshape(y.shape)


def log_softmax_backward(g, y, d, total=None):
    """g - exp(y) * sum(g) over dim d, one fused multiply-add; total: the
    sum when the caller has it."""
    if not _exact(y, d) or g.dtype != _F32:
        if total is None:
            total = np.sum(g, axis=d, keepdims=True)
        return g - np.exp(y) * total
    if d % y.ndim == y.ndim - 1:
        if total is None:
            total = row_sum(g)[..., None]
        return sleef._fma(-sleef.expf(y), total, g)
    gc, yc = _columns(g, d), _columns(y, d)
    total = _column_sum(gc) if total is None else total.reshape(gc.shape[0], 1, -1)
    e = _exp_where(yc, _chunk_columns(yc.shape[1], yc.shape[2]))
    return sleef._fma(-e, total, gc).reshape(y.shape)
