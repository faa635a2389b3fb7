"""Normalization layers' ops, one node each as PyTorch records them:
layer_norm (NativeLayerNormBackward0) and batch_norm (NativeBatchNormBackward0).

Inputs are the input, then the weight and the bias where given (p["affine"]
says which: "wb", "w", "b" or ""), then for batch_norm in eval mode the
running mean and variance (no inputs of PyTorch's gradient). The forwards
follow PyTorch's CPU kernels' float32 steps (their order and fused
multiply-adds), which fixes the last bit of a seeded program's values.
"""
from __future__ import annotations

import math

import numpy as np

from . import layer_norm_cpu
from .registry import SAME, defop, memo

_F32 = np.dtype(np.float32)
_F64 = np.float64
# PyTorch's RowwiseMoments (layer_norm's mean and variance): Welford's
# updates on vectors of 8 floats, in chunks of 16 vectors, the lanes merged
# at the end; the elements past the last whole vector one at a time. (8 on
# AVX2, matched live, and on AVX512 too: the outputs recorded there need 8,
# though PyTorch's source reads Vectorized<float>::size(), which is 16.)
_VEC = 8
_CHUNK = 16


def _fma(a, b, c):
    """a * b + c rounded once, as the compiled kernel's fused multiply-add
    (the product of two float32s is exact in float64)."""
    dt = np.result_type(a, b, c)
    return (np.asarray(a, _F64) * np.asarray(b, _F64) + np.asarray(c, _F64)).astype(dt)


def _merge(n_add, m1_add, m2_add, n, m1, m2, fused=True):
    """AddMoments: the moments of n_add more numbers merged into (n, m1, m2)
    (its mean's update fused in the scalar merge of the lanes, not in the
    vectors' merges, as the compiled kernel is)."""
    total = n + n_add
    dt = m1.dtype.type
    c = dt(0) if total == 0 else dt(n_add) / dt(total)
    delta = m1_add - m1
    m1 = _fma(c, delta, m1) if fused else m1 + c * delta
    m2 = m2 + _fma(delta * delta * c, dt(n), m2_add)
    return total, m1, m2


def _row_moments(x: np.ndarray):
    """Mean and biased variance of each row of x (rows, N), as PyTorch's CPU
    layer_norm computes them (bit for bit up to 256 numbers a row; past
    two chunks of vectors, within a bit or two)."""
    rows, size = x.shape
    dt = x.dtype.type
    whole = size // _VEC
    zero = np.zeros((rows, _VEC), x.dtype)
    # the vector part: one running (count, mean, m2) per chunk, merged into
    # a stack as a binary counter carries (PyTorch's partial moments)
    chunks = -(-whole // _CHUNK)
    depth = max(1, (chunks - 1).bit_length())
    stack = [(0, zero, zero)] * depth
    for i in range(chunks):
        count = min(_CHUNK, whole - i * _CHUNK)
        m1v, m2v = zero, zero
        for j in range(count):
            at = (i * _CHUNK + j) * _VEC
            xv = x[:, at:at + _VEC]
            d = xv - m1v
            m1v = _fma(d, dt(1) / dt(j + 1), m1v)
            m2v = _fma(d, xv - m1v, m2v)
        stack[0] = _merge(count, m1v, m2v, *stack[0], fused=False)
        mask, level = i + 1, 1
        while level < depth and (mask & 1) == 0:
            stack[level] = _merge(*stack[level - 1], *stack[level], fused=False)
            stack[level - 1] = (0, zero, zero)
            mask >>= 1
            level += 1
    for level in range(1, depth):
        stack[0] = _merge(*stack[level], *stack[0], fused=False)
    n, m1, m2 = 0, np.zeros(rows, x.dtype), np.zeros(rows, x.dtype)
    for i in range(whole * _VEC, size):
        v = x[:, i]
        d = v - m1
        n += 1
        m1 = m1 + d / dt(n)
        m2 = m2 + d * (v - m1)
    if whole:
        for lane in range(_VEC):
            n, m1, m2 = _merge(stack[0][0], stack[0][1][:, lane], stack[0][2][:, lane],
                               n, m1, m2)
    return m1, m2 / dt(size)


def _parts(xs, p):
    """(input, weight, bias, running_mean, running_var): a missing weight
    or bias as None, the running statistics as given (None in training)."""
    affine = p.get("affine", "")
    rest = list(xs[1:])
    w = rest.pop(0) if "w" in affine else None
    b = rest.pop(0) if "b" in affine else None
    rm, rv = rest if rest else (None, None)
    return xs[0], w, b, rm, rv


def _affine(xhat, w, b):
    """xhat * w + b, fused as PyTorch's kernels fuse it."""
    if w is None:
        return xhat if b is None else xhat + b
    return _fma(xhat, w, b if b is not None else w.dtype.type(0))


# ---- layer_norm: p["dims"], how many trailing dims are normalized; p["eps"] ----

def _ln_stats(x, p):
    """Mean and 1/std over the normalized dims, kept for broadcasting."""
    k = p["dims"]
    lead = x.shape[:x.ndim - k]
    rows = x.reshape(math.prod(lead), math.prod(x.shape[x.ndim - k:]))  # (an empty batch too)
    dt = x.dtype.type
    if rows.shape[1] == 0:
        mean = var = np.full(rows.shape[0], np.nan, x.dtype)
    else:
        mean, var = _row_moments(rows)
    rstd = dt(1) / np.sqrt(var + dt(p["eps"]))
    keep = lead + (1,) * k
    return mean.reshape(keep), rstd.reshape(keep)


def _ln_fwd(xs, p):
    x, w, b, _, _ = _parts(xs, p)
    mean, rstd = _ln_stats(x, p)
    if w is None and b is not None:       # (PyTorch's kernel then fuses rstd's product)
        return _fma(x - mean, rstd, b)
    return _affine((x - mean) * rstd, w, b)


def _normalized_back(g, xhat, rstd, axes):
    """d xhat -> d x for xhat = (x - mean) / std over axes:
    rstd * (g - mean(g) - xhat * mean(g * xhat))."""
    gm = np.mean(g, axis=axes, keepdims=True, dtype=_F64)
    gx = np.mean(g * xhat, axis=axes, keepdims=True, dtype=_F64)
    return (rstd * (g - gm - xhat * gx)).astype(g.dtype)


def _ln_xhat(x, p):
    mean, rstd = _ln_stats(x, p)
    return (x - mean) * rstd, rstd


def _ln_axes(x, p):
    return tuple(range(x.ndim - p["dims"], x.ndim))


def _lead_axes(x, p):
    return tuple(range(x.ndim - p["dims"]))


def _norm_rules(xhat_of, axes_of, param_axes_of, param_shape_of):
    """The VJP and JVP rules of a normalization by position: the input's,
    then the weight's and the bias's (where given); xhat_of(xs, p) gives
    (xhat, rstd) and its gradient reaches x through axes_of."""
    def role(i, p):
        return ("x", *[{"w": "w", "b": "b"}[c] for c in p.get("affine", "")])[i] \
            if i <= len(p.get("affine", "")) else None

    def parts(i, xs, p):
        x, w, _, _, _ = _parts(xs, p)
        # (the same for every JVP pass of forward mode: computed once there)
        return (x, w, *memo("xhat", (*xs, p), lambda: xhat_of(xs, p)), role(i, p))

    def vjp(i):
        def rule(g, ans, xs, p):
            x, w, xhat, rstd, r = parts(i, xs, p)
            if r == "x":
                gh = g if w is None else g * w.reshape(param_shape_of(x, p))
                if p.get("training", True):
                    return _normalized_back(gh, xhat, rstd, axes_of(x, p))
                return (gh * rstd).astype(g.dtype)
            part = g * xhat if r == "w" else g
            return np.sum(part, axis=param_axes_of(x, p), dtype=_F64).astype(g.dtype)
        return rule

    def jvp(i):
        def rule(t, ans, xs, p):
            x, w, xhat, rstd, r = parts(i, xs, p)
            if r == "x":
                if p.get("training", True):
                    d = _normalized_back(t, xhat, rstd, axes_of(x, p))
                else:
                    d = (t * rstd).astype(t.dtype)
                return d if w is None else d * w.reshape(param_shape_of(x, p))
            t = t.reshape(param_shape_of(x, p))
            return (t * xhat if r == "w" else np.broadcast_to(t, x.shape)).astype(ans.dtype)
        return rule
    return tuple(vjp(i) for i in range(3)), tuple(jvp(i) for i in range(3))


def _all_saved(node) -> tuple:
    every = "".join(str(i) for i in range(len(node.args)))
    return (every,) * len(node.args)


_LN_VJP, _LN_JVP = _norm_rules(lambda xs, p: _ln_xhat(xs[0], p), _ln_axes, _lead_axes,
                               lambda x, p: x.shape[x.ndim - p["dims"]:])


def _ln_kernel_vjp(i, general):
    """input i's VJP: PyTorch's CPU kernel's float32 steps (layer_norm_cpu)
    for float32 tensors, the general rule otherwise."""
    def rule(g, ans, xs, p):
        x, w, _, _, _ = _parts(xs, p)
        if g.dtype != _F32 or x.dtype != _F32 or (w is not None and w.dtype != _F32) \
                or x.size == 0:
            return general(g, ans, xs, p)
        n = math.prod(x.shape[x.ndim - p["dims"]:])
        rows, dy = x.reshape(-1, n), np.ascontiguousarray(g, _F32).reshape(-1, n)
        mean, rstd = (v.reshape(-1) for v in _ln_stats(x, p))
        if i == 0:
            wv = None if w is None else w.reshape(-1)
            return layer_norm_cpu.input_grad(dy, rows, wv, mean, rstd).reshape(x.shape)
        dw, db = layer_norm_cpu.param_grads(dy, rows, mean, rstd)
        # input 1 is the weight if there is one, else the bias
        is_weight = i == 1 and "w" in p.get("affine", "")
        return (dw if is_weight else db).reshape(xs[i].shape)
    return rule


_LN_VJP = tuple(_ln_kernel_vjp(i, rule) for i, rule in enumerate(_LN_VJP))
defop("layer_norm", "NativeLayerNormBackward0", _ln_fwd, vjp=_LN_VJP, jvp=_LN_JVP,
      saved=_all_saved,
      formula=("d LN(x)/dx = w/std * (g - mean(g) - xhat * mean(g * xhat))",
               "d LN(x)/dw = sum of g * xhat over the batch", "d LN(x)/db = sum of g"),
      symbol="layer_norm", dtype_rule=SAME)


# ---- batch_norm: per channel (dim 1) over the batch and the length ----------
# p: "eps"; "training" (the batch's statistics) or not (the running ones)

def _bn_shape(x) -> tuple:
    """A channel vector's shape against x: (C,) for (N, C), (C, 1) for (N, C, L)."""
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def _bn_axes(x, p=None) -> tuple:
    return (0,) + tuple(range(2, x.ndim))


def batch_stats(x: np.ndarray):
    """The batch's mean and sum of squared deviations per channel, as
    PyTorch's CPU kernel: sums in float64, the mean rounded to float32
    first, the squares in float32 (within a bit of it)."""
    rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    n = rows.shape[0]
    mean = (np.cumsum(rows.astype(_F64), axis=0)[-1] / n).astype(x.dtype)
    d = rows - mean
    var_sum = np.cumsum((d * d).astype(_F64), axis=0)[-1].astype(x.dtype)
    return mean, var_sum


def _bn_mean_rstd(xs, p):
    """(mean, 1/std) per channel: the batch's (1/std in float64, then
    float32) or the running ones' (in float32)."""
    x, _, _, rm, rv = _parts(xs, p)
    eps = p["eps"]
    if p["training"]:
        mean, var_sum = batch_stats(x)
        rstd = (1 / np.sqrt(var_sum.astype(_F64) / (x.size // x.shape[1]) + eps)).astype(x.dtype)
        return mean, rstd
    dt = x.dtype.type
    return rm.astype(x.dtype), dt(1) / np.sqrt(rv.astype(x.dtype) + dt(eps))


def _bn_fwd(xs, p):
    """x * alpha + beta per channel, alpha = rstd * w, beta = b - mean * alpha
    (PyTorch's linear and constant terms, each a fused multiply-add)."""
    x, w, b, _, _ = _parts(xs, p)
    mean, rstd = _bn_mean_rstd(xs, p)
    dt = x.dtype.type
    alpha = rstd * (w if w is not None else dt(1))
    beta = _fma(-mean, alpha, b if b is not None else dt(0))
    shape = _bn_shape(x)
    return _fma(x, alpha.reshape(shape), beta.reshape(shape))


def _bn_xhat(xs, p):
    x = xs[0]
    mean, rstd = _bn_mean_rstd(xs, p)
    shape = _bn_shape(x)
    return (x - mean.reshape(shape)) * rstd.reshape(shape), rstd.reshape(shape)


_BN_VJP, _BN_JVP = _norm_rules(_bn_xhat, _bn_axes, _bn_axes, lambda x, p: _bn_shape(x))
defop("batch_norm", "NativeBatchNormBackward0", _bn_fwd,
      vjp=_BN_VJP + (None, None), jvp=_BN_JVP + (None, None), saved=_all_saved,
      formula=("d BN(x)/dx = w/std * (g - mean(g) - xhat * mean(g * xhat)) per channel "
               "(w/std * g in eval mode)",
               "d BN(x)/dw = sum of g * xhat per channel", "d BN(x)/db = sum of g per channel"),
      symbol="batch_norm", dtype_rule=SAME)
