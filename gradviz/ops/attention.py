"""Attention's ops: PyTorch's fused CPU kernel of scaled_dot_product_attention
(one ScaledDotProductFlashAttentionForCpuBackward0 node) and _safe_softmax
(SafeSoftmaxBackward0), the softmax of its composite ("math") path.

The fused op's inputs are query (B, Hq, L, E), key and value (B, Hkv, S, E)
and, where given, the additive float mask (broadcast to (B, Hq, L, S); no
gradient reaches it). p: "scale" (a float), "causal", "mask" (a mask is the
fourth input). Its forward follows aten/src/ATen/native/cpu/FlashAttentionKernel.cpp
for sequences of up to 32 queries and 512 keys (one block each): q @ k.T,
times the scale (plus the mask, fused), exp(x - max) by PyTorch's exp_u20
on whole vectors of keys (16 on AVX512, 8 on AVX2: sleef.vector()) and the
C library's expf past them, summed as the kernel sums them, the
unnormalized P @ v, times 1 / sum; the log-sum-exp with the C library's logf.
A fully masked row gives zeros. Its backward takes the kernel's steps too
(attention rebuilt from the log-sum-exp). The kernel's small matrix
products are PyTorch's BLAS's: one fused multiply-add chain each, but
the row-times-row ones of an inner size up to 5 in four partial sums added
as (0 + 2) + (1 + 3) (found by comparing with PyTorch's log-sum-exp and
gradients).

Those BLAS orders are the ones PyTorch's BLAS (MKL) takes on an AVX512 CPU.
On an AVX2 CPU MKL runs other kernels (no simple order of q @ k.T's sums
fits; in one gradient its alpha scales a factor before the products):
gradviz's attention then differs from PyTorch's in the last bit of many
values (the BLAS kernels are MKL's to choose; gradviz does not emulate
them), though its exp, sums and log follow the CPU's vector width.
"""
from __future__ import annotations

import numpy as np

from .. import sleef
from .registry import SAME, defop, memo
from .softmax_cpu import row_sum, softmax, softmax_backward

_F32 = np.dtype(np.float32)
_F64 = np.float64
# inner sizes up to this are summed in four partial sums by PyTorch's BLAS
_SPLIT_SUMS = 4


def _fma(a, b, c):
    return (a.astype(_F64) * b.astype(_F64) + c.astype(_F64)).astype(_F32)


def matmul32(a: np.ndarray, b: np.ndarray, dots: bool = False) -> np.ndarray:
    """a @ b over the last two axes as the fused kernel's BLAS computes a
    float32 product (other dtypes: numpy's): one fused multiply-add chain
    per element, but for the products the kernel asks as rows times rows
    (dots: q @ k.T, g @ v.T) of an inner size up to 5, four partial sums."""
    if a.dtype != _F32:
        return np.matmul(a, b)
    n = a.shape[-1]
    cols = [a[..., :, k:k + 1] for k in range(n)]
    rows = [b[..., k:k + 1, :] for k in range(n)]
    if n == 0:
        return np.zeros(np.broadcast_shapes(a.shape[:-1] + (1,), b.shape[:-2] + (1, b.shape[-1])),
                        _F32)
    if dots and n <= _SPLIT_SUMS + 1:
        # lane k % 4 gets term k; the fifth term fuses onto lane 0
        lanes = [cols[k] * rows[k] for k in range(min(n, _SPLIT_SUMS))]
        if n > _SPLIT_SUMS:
            lanes[0] = _fma(cols[4], rows[4], lanes[0])
        while len(lanes) < _SPLIT_SUMS:
            lanes.append(None)
        low = lanes[0] if lanes[2] is None else lanes[0] + lanes[2]
        high = lanes[1] if lanes[3] is None else lanes[1] + lanes[3]
        return low if high is None else low + high
    acc = cols[0] * rows[0]
    for k in range(1, n):
        acc = _fma(cols[k], rows[k], acc)
    return acc


def _exp(z: np.ndarray, keys: int) -> np.ndarray:
    """exp of scores as the kernel's _exp_reduce_sum_fusion_kernel takes
    them: PyTorch's exp_u20 on the whole vectors of keys (the CPU's width:
    sleef.vector()), the C library's expf on the keys past them."""
    if z.dtype != _F32:
        return np.exp(z)
    full = keys - keys % sleef.vector()
    with np.errstate(invalid="ignore"):
        out = sleef.scalar_expf(z) if full < keys else np.empty_like(z)
        if full:
            out[..., :full] = sleef.exp_u20(z[..., :full])
    return out


def _exp_sum(e: np.ndarray) -> np.ndarray:
    """That kernel's sum of each row of float32 exps: the whole vectors added
    lane by lane, the lanes pairwise (vec_reduce_all), then the keys past
    them one by one."""
    lanes = sleef.vector()
    full = e.shape[-1] - e.shape[-1] % lanes
    total = row_sum(e[..., :full]) if full else np.zeros(e.shape[:-1], e.dtype)
    for k in range(full, e.shape[-1]):
        total = total + e[..., k]
    return total


def _parts(xs, p):
    q, k, v = xs[:3]
    mask = xs[3] if p.get("mask") else None
    groups = q.shape[1] // k.shape[1]
    if groups > 1:      # grouped-query attention: each key head serves `groups` query heads
        k, v = np.repeat(k, groups, axis=1), np.repeat(v, groups, axis=1)
    return q, k, v, mask


def _scores(q, k, mask, p, scale_in_product=False):
    """scale * q @ k.T (+ mask), with a causal mask's -inf above the diagonal."""
    dt = q.dtype.type
    scale = dt(p["scale"])
    qk = matmul32(q, np.swapaxes(k, -1, -2), dots=True)
    if scale_in_product:      # the backward's gemm takes the scale as its alpha
        qk = qk * scale
    if p.get("causal"):
        L, S = qk.shape[-2:]
        qk = np.where(np.tril(np.ones((L, S), bool)), qk, dt(-np.inf))
    if mask is not None:
        m = np.broadcast_to(mask, qk.shape).astype(q.dtype)
        one = dt(1) if scale_in_product else scale
        return _fma(qk, np.full_like(qk, one), m) if q.dtype == _F32 else qk * one + m
    return qk if scale_in_product else qk * scale


def _forward_parts(xs, p):
    """(output, log-sum-exp with a trailing axis)."""
    q, k, v, mask = _parts(xs, p)
    dt = q.dtype.type
    qk = _scores(q, k, mask, p)
    top = qk.max(axis=-1, keepdims=True) if qk.shape[-1] else np.full(qk.shape[:-1] + (1,), -np.inf, q.dtype)
    dead = top == -np.inf           # a fully masked row: zeros, not NaN
    e = np.where(dead, dt(0), _exp(qk - np.where(dead, dt(0), top), qk.shape[-1]))
    total = (_exp_sum(e) if q.dtype == _F32 else e.sum(axis=-1))[..., None]
    total = np.where(total == 0, dt(1), total)
    out = matmul32(e, v) * (dt(1) / total)
    # (std::log: the C library's logf for float32)
    log = sleef.libm_map("logf", total, np.log) if q.dtype == _F32 else np.log(total)
    lse = np.where(dead, dt(0), top) + log
    return out.astype(q.dtype), lse.astype(q.dtype)


def _forward(xs, p):
    """The output laid out as the query is (empty_like: a query viewed from
    (B, L, H, E) memory, as nn.MultiheadAttention's, gives an output whose
    permute(2, 0, 1, 3) is contiguous again)."""
    out = np.empty_like(xs[0])
    out[...] = _forward_parts(xs, p)[0]
    return out


def _fold_groups(grad, shape):
    """A repeated key/value head's gradient summed back over its query heads."""
    b, h = shape[:2]
    return grad.reshape(b, h, grad.shape[1] // h, *grad.shape[2:]).sum(axis=2)


def _backward(g, xs, p) -> list:
    """The kernel's backward: attention rebuilt as exp(scores - lse), then
    dv = P.T @ g, dP = g @ v.T, dS = P * (dP - rowsum(g * out)),
    dq = scale dS @ k, dk = scale dS.T @ q."""
    q, k, v, mask = _parts(xs, p)
    dt = q.dtype.type
    g = np.ascontiguousarray(g, q.dtype)
    out, lse = _forward_parts(xs, p)
    scores = _scores(q, k, mask, p, scale_in_product=True)
    with np.errstate(invalid="ignore"):
        attn = _exp(scores - lse, scores.shape[-1]) if q.dtype != _F32 else \
            np.where(scores == -np.inf, dt(0), sleef.expf(scores - lse))
    dsum = (row_sum(g * out) if q.dtype == _F32 else np.sum(g * out, axis=-1))[..., None]
    dv = matmul32(np.swapaxes(attn, -1, -2), g)
    ds = attn * (matmul32(g, np.swapaxes(v, -1, -2), dots=True) - dsum)
    scale = dt(p["scale"])
    dq = matmul32(ds, k) * scale
    dk = matmul32(np.swapaxes(ds, -1, -2), q) * scale
    if k.shape != xs[1].shape:
        dk, dv = _fold_groups(dk, xs[1].shape), _fold_groups(dv, xs[2].shape)
    return [dq.astype(q.dtype), dk.astype(q.dtype), dv.astype(q.dtype)]


def _vjp(g, ans, xs, p, i):
    return None if i > 2 else _backward(g, xs, p)[i]


def _weights64(xs, p):
    """(q, k, v, the attention weights P) in float64."""
    q, k, v, mask = (None if a is None else np.asarray(a, _F64) for a in _parts(xs, p))
    scores = _scores(q, k, mask, p, scale_in_product=True)
    top = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(top == -np.inf, 0, top))
    total = e.sum(axis=-1, keepdims=True)
    return q, k, v, e / np.where(total == 0, 1, total)


def _jvp(t, ans, xs, p, i):
    """The output's tangent for input i's (the others held still), in float64
    from the attention weights P: dv -> P dv; dS -> P (dS - rowsum(P dS)) v."""
    if i > 2:
        return np.zeros_like(ans)
    # (the same for every JVP pass of forward mode: computed once there)
    q, k, v, P = memo("attention", (*xs, p), lambda: _weights64(xs, p))
    scale = float(p["scale"])
    t = np.asarray(t, _F64)
    if i > 0 and t.shape[1] != q.shape[1]:
        t = np.repeat(t, q.shape[1] // t.shape[1], axis=1)
    if i == 2:
        return (P @ t).astype(ans.dtype)
    ds = scale * (t @ np.swapaxes(k, -1, -2) if i == 0 else q @ np.swapaxes(t, -1, -2))
    dp = P * (ds - np.sum(P * ds, axis=-1, keepdims=True))
    return (dp @ v).astype(ans.dtype)


def _saved(node) -> tuple:
    return ("012",) * 3 + (("",) if len(node.args) > 3 else ())


defop("sdpa_flash", "ScaledDotProductFlashAttentionForCpuBackward0", _forward,
      vjp=(_vjp,), jvp=(_jvp,), saved=_saved, variadic=True, dtype_rule=SAME,
      formula=("attention O = softmax(scale q k^T + mask) v: dv = P^T g; dS = P * (g v^T - "
               "rowsum(g * O)); dq = scale dS k; dk = scale dS^T q",),
      symbol="scaled_dot_product_attention")


# ---- _safe_softmax: softmax whose fully -inf rows give zeros ----------------

def _safe_softmax(xs, p):
    x = xs[0]
    s = softmax(x, p["dim"])
    dead = np.all(x == -np.inf, axis=p["dim"], keepdims=True)
    return np.where(dead, x.dtype.type(0), s).astype(x.dtype)


defop("safe_softmax", "SafeSoftmaxBackward0", _safe_softmax,
      vjp=(lambda g, ans, xs, p: softmax_backward(g, ans, p["dim"]),),
      jvp=(lambda t, ans, xs, p: ans * (t - np.sum(t * ans, axis=p["dim"], keepdims=True)),),
      saved=("r",), formula=("d softmax(x)/dx = s * (g - sum(g*s)); a row of -inf: 0",),
      symbol="_safe_softmax", dtype_rule=SAME)
