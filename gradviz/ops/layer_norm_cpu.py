"""layer_norm's gradients in float32 as PyTorch's CPU kernel computes them
(aten/src/ATen/native/cpu/layer_norm_kernel.cpp), so that they are
PyTorch's to the bit: a LayerNorm whose output is summed gets an input
gradient of exact zeros where PyTorch's is, not the noise of another order.

Per row, with a = rstd: ds = sum(dy * x * w) and db = sum(dy * w), each a
vec::map_reduce_all over the row (its vectors added lane by lane, the last
partial vector's products fused into the lanes, then the lanes pairwise);
b = (db * mean - ds) * a^3 / N and c = -b * mean - db * a / N, their
multiply-subtracts fused as the compiler fuses them; then
dx = fma(b, x, a * dy * w) + c. The weight's and bias's gradients add each
row's dy * (a * x - a * mean) and dy into one buffer per thread, the
buffers added at the end.

The vector's width is the CPU's (sleef.vector()). Matched to the bit
against PyTorch on AVX2; the AVX512 kernel is the same source on vectors of
16.
"""
from __future__ import annotations

import numpy as np

from .. import sleef
from .softmax_cpu import _pairs

_F32 = np.dtype(np.float32)
_fma = sleef._fma


def _dot_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """vec::map2_reduce_all(x * y, x + y) of each row: the first vector's
    products, then each whole vector's added lane by lane, the last partial
    vector's products fused into its lanes (p * q + acc, one rounding), the
    lanes pairwise; a row shorter than a vector in order."""
    lanes = sleef.vector()
    n = p.shape[-1]
    prod = p * q
    if n < lanes:
        s = prod[..., 0].copy()
        for k in range(1, n):
            s += prod[..., k]
        return s
    acc = prod[..., :lanes].copy()
    full = n - n % lanes
    for k in range(lanes, full, lanes):
        acc += prod[..., k:k + lanes]
    if n > full:
        acc[..., :n - full] = _fma(p[..., full:], q[..., full:], acc[..., :n - full])
    for pair in _pairs(lanes):
        acc = acc + acc[..., pair]
    return acc[..., 0]


def input_grad(dy, x, w, mean, rstd) -> np.ndarray:
    """dx for rows dy, x (M, N) of float32, w (N,) or None, mean and rstd (M,)."""
    n = x.shape[1]
    scale = np.float32(1) / np.float32(n)
    if w is None:
        ds, db = _dot_rows(dy, x), _dot_rows(dy, np.ones_like(dy))
        ady = rstd[:, None] * dy
    else:
        ds, db = _dot_rows(dy * x, w), _dot_rows(dy, w)
        ady = rstd[:, None] * dy * w
    a = rstd
    b = _fma(db, mean, -ds) * a * a * a * scale
    c = _fma(-b, mean, -(db * a * scale))
    return _fma(b[:, None], x, ady) + c[:, None]


def param_grads(dy, x, mean, rstd) -> tuple[np.ndarray, np.ndarray]:
    """(dw, db) for rows dy, x (M, N): each thread's rows (parallel_for
    splits them in sleef.THREADS parts) add dy * (a * x + b), both products
    fused, and dy into the thread's buffer; the buffers are added in turn."""
    rows, n = x.shape
    a = rstd
    b = -rstd * mean
    part = -(-rows // min(sleef.THREADS, rows)) if rows else 1
    dw, db = np.zeros(n, _F32), np.zeros(n, _F32)
    for lo in range(0, rows, part):
        gw, gb = np.zeros(n, _F32), np.zeros(n, _F32)
        for i in range(lo, min(rows, lo + part)):
            gw = _fma(dy[i], _fma(a[i], x[i], b[i]), gw)
            gb = gb + dy[i]
        dw, db = dw + gw, db + gb
    return dw, db
