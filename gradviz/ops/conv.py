"""Convolutions, one node each as PyTorch records them: conv1d, conv2d and
conv3d (ConvolutionBackward0; inputs: the input, the weight and the bias where
given), and constant_pad_nd (F.pad, ConstantPadNdBackward0).

A convolution's p: "stride", "padding", "dilation" (one int for every
spatial dim alike, or a tuple per dim; absent at their defaults 1, 0, 1, so
that the picture's label stays short) and "groups" (absent for 1). The
input is batched, (N, C, *spatial): the functions add and remove the batch
dim of an unbatched one with unsqueeze and squeeze, as PyTorch does.

The forward is im2col: every receptive field a row of `columns`, a view
made by numpy's sliding_window_view, times the weight. PyTorch's CPU
kernels add each field's terms one fused multiply-add at a time, in the
order (channel, kernel row, kernel column) for its own im2col + gemm path
and (kernel row, kernel column, channel) for oneDNN's, which it takes for
batches, big kernels, groups and big inputs (its use_mkldnn rule): this
follows both, which fixes the last bit of a seeded program's values for
small layers; past _SEQUENTIAL_TERMS products, numpy's matmul (within a
bit or two). The gradients are matmuls in the input's dtype, then col2im
one kernel position at a time, as PyTorch's im2col path computes them
(oneDNN's, for the layers it takes, differ from them in the last bits).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .registry import SAME, defop
from .summation import torch_sum

_F64 = np.float64
_F32 = np.dtype(np.float32)
# the most multiply-adds done one term at a time (each term is a pass of
# numpy over every output number): past it, one matmul
_SEQUENTIAL_TERMS = 20_000_000
# PyTorch's use_mkldnn: an input past this many numbers goes to oneDNN
_MKLDNN_INPUT = 20480


def spatial(p, key: str, k: int, default) -> tuple:
    """A geometry parameter as one number per spatial dim."""
    v = p.get(key, default)
    return v if isinstance(v, tuple) else (v,) * k


def geometry(w, p) -> tuple:
    """(stride, padding, dilation, groups) of a convolution with weight w."""
    k = w.ndim - 2
    return (spatial(p, "stride", k, 1), spatial(p, "padding", k, 0),
            spatial(p, "dilation", k, 1), p.get("groups", 1))


def windows(x, kernel: tuple, stride: tuple, padding: tuple, dilation: tuple, out: tuple,
            fill=0):
    """x's receptive fields as a view (*lead, *out, *kernel) over its last
    len(kernel) dims, padded with `fill` (past the end too, where
    ceil_mode's last window reaches beyond the padding)."""
    k = len(kernel)
    spans = [(kk - 1) * d + 1 for kk, d in zip(kernel, dilation)]
    size = x.shape[x.ndim - k:]
    extra = [max(0, (o - 1) * s + sp - (n + 2 * q))
             for o, s, sp, n, q in zip(out, stride, spans, size, padding)]
    if any(padding) or any(extra):
        x = np.pad(x, [(0, 0)] * (x.ndim - k) + [(q, q + e) for q, e in zip(padding, extra)],
                   constant_values=fill)
    win = sliding_window_view(x, spans, axis=tuple(range(x.ndim - k, x.ndim)))
    return win[(Ellipsis,) + tuple(slice(0, (o - 1) * s + 1, s) for o, s in zip(out, stride))
               + tuple(slice(None, None, d) for d in dilation)]


def out_size(size, kernel, stride, padding, dilation) -> tuple:
    """A convolution's output size per spatial dim."""
    return tuple((n + 2 * q - d * (kk - 1) - 1) // s + 1
                 for n, kk, s, q, d in zip(size, kernel, stride, padding, dilation))


def _kernel_major(x, w, p) -> bool:
    """Whether PyTorch's CPU convolution of float32 takes oneDNN (which adds
    the terms kernel position first, channels inside), by its use_mkldnn
    rule (with more than one thread, as PyTorch's default): groups, a
    kernel bigger than 3x3, a batch, or a big input."""
    return uses_onednn(x.shape, w.shape, p.get("groups", 1))


def uses_onednn(x_shape: tuple, w_shape: tuple, groups: int) -> bool:
    """_kernel_major's rule on the shapes of the (batched) input and the weight
    (PyTorch's looks at the input's first four dims and the kernel's last
    two, a 1-d convolution's as a 2-d one's of height 1)."""
    four = x_shape[:4] if len(x_shape) >= 4 else x_shape[:2] + (1,) + x_shape[2:]
    kh = w_shape[-2] if len(w_shape) >= 4 else 1
    return (groups > 1 or (w_shape[-1] > 3 and kh > 3) or x_shape[0] > 1
            or math.prod(four) > _MKLDNN_INPUT)


def _columns(x, w, p, kernel_major: bool = False, out: tuple | None = None):
    """(columns (N, G, P, T), weight (G, O/G, T), output's spatial size):
    each output position's receptive field as a row of T terms, and each
    filter as a row of the same terms, in channel-major or kernel-major order
    (`out`: the output positions to take, where not all of them)."""
    stride, padding, dilation, groups = geometry(w, p)
    k = w.ndim - 2
    kernel = w.shape[2:]
    n, c = x.shape[:2]
    if out is None:
        out = out_size(x.shape[2:], kernel, stride, padding, dilation)
    win = windows(x, kernel, stride, padding, dilation, out)
    win = win.reshape((n, groups, c // groups) + out + kernel)
    at_out = tuple(range(3, 3 + k))
    at_kernel = tuple(range(3 + k, 3 + 2 * k))
    terms = at_kernel + (2,) if kernel_major else (2,) + at_kernel
    # (sizes written out: an empty batch or channel has no -1 to infer)
    cols = win.transpose((0, 1) + at_out + terms).reshape(n, groups, math.prod(out),
                                                          c // groups * math.prod(kernel))
    wg = w.reshape((groups, w.shape[0] // groups) + w.shape[1:])
    if kernel_major:
        wg = wg.transpose((0, 1) + tuple(range(3, 3 + k)) + (2,))
    return cols, wg.reshape(groups, w.shape[0] // groups, math.prod(w.shape[1:])), out


def _sequential(cols, wm):
    """sum over t of cols[..., t] * wm[..., t], one fused multiply-add at a
    time in float32 (a product of two float32s is exact in float64)."""
    acc = np.zeros(cols.shape[:3] + (wm.shape[1],), cols.dtype)
    c64 = cols.astype(_F64)
    w64 = wm.astype(_F64)[:, None]
    for t in range(cols.shape[-1]):
        acc = (c64[..., t, None] * w64[..., t] + acc).astype(cols.dtype)
    return acc


def convolve(x, w, b, p):
    """The convolution of x (N, C, *S) with w (O, C/G, *K), plus b (O,)."""
    n = x.shape[0]
    o = w.shape[0]
    if x.shape[1] == 0:
        # NOTE: no input channels: PyTorch returns an empty result with the
        # input's 0 channels, not the weight's out_channels (nor the bias)
        return np.zeros((n, 0) + out_size(x.shape[2:], w.shape[2:], *geometry(w, p)[:3]),
                        x.dtype)
    groups = p.get("groups", 1)
    kernel_major = x.dtype == _F32 and _kernel_major(x, w, p)
    cols, wm, out = _columns(x, w, p, kernel_major)
    if x.dtype == _F32 and cols.size * wm.shape[1] <= _SEQUENTIAL_TERMS:
        acc = _sequential(cols, wm)
    else:
        acc = np.matmul(cols, wm.transpose(0, 2, 1)[None])
    if b is not None:             # (after the sum, as both of PyTorch's kernels add it)
        acc = acc + b.reshape(groups, 1, o // groups)
    return np.ascontiguousarray(acc.transpose(0, 1, 3, 2)).reshape((n, o) + out)


def _conv_fwd(xs, p):
    return convolve(xs[0], xs[1], xs[2] if len(xs) > 2 else None, p)


def col2im(g, w, p, size: tuple):
    """The transposed convolution of g (N, O, *out) with w (O, C/G, *K) into
    (N, C, *size): each output's number spread back over its receptive
    field (a matmul, then col2im one pass per kernel position), as PyTorch's
    im2col path computes a convolution's input gradient and its
    slow_conv_transpose computes a transposed convolution."""
    stride, padding, dilation, groups = geometry(w, p)
    n, o = g.shape[:2]
    c = w.shape[1] * groups
    kernel, out = w.shape[2:], g.shape[2:]
    gm = g.reshape(n, groups, o // groups, math.prod(out))
    wm = w.reshape(groups, o // groups, math.prod(w.shape[1:]))
    cols = np.matmul(gm.transpose(0, 1, 3, 2), wm[None])        # (N, G, P, C/G * K)
    k = len(kernel)
    cols = cols.reshape((n, groups) + out + (c // groups,) + kernel)
    cols = np.moveaxis(cols, 2 + k, 2).reshape((n, c) + out + kernel)
    # (a padded size that the windows overrun, where output_padding is
    # bigger than the stride: the overrun is cut off with the padding)
    full_size = tuple(max(s + 2 * q, (m - 1) * st + (kk - 1) * d + 1)
                      for s, q, m, st, kk, d in zip(size, padding, out, stride, kernel, dilation))
    full = np.zeros((n, c) + full_size, cols.dtype)
    for at in np.ndindex(*kernel):
        place = tuple(slice(i * d, i * d + (m - 1) * s + 1, s)
                      for i, d, m, s in zip(at, dilation, out, stride))
        full[(Ellipsis,) + place] += cols[(Ellipsis,) + at]
    inner = tuple(slice(q, q + s) for q, s in zip(padding, size))
    return full[(Ellipsis,) + inner]


def _conv_dx(g, ans, xs, p):
    """The transposed convolution of g: each output's gradient spread back
    over its receptive field."""
    x, w = xs[0], xs[1]
    if x.shape[1] == 0:                   # (no channels: see convolve)
        return np.zeros(x.shape, x.dtype)
    return col2im(g, w, p, x.shape[2:]).astype(x.dtype)


def _conv_dw(g, ans, xs, p):
    """Each filter's gradient: its receptive fields weighted by g, summed
    over the batch and the positions."""
    x, w = xs[0], xs[1]
    if x.shape[1] == 0:                   # (no channels: see convolve)
        return np.zeros(w.shape, w.dtype)
    return filter_grad(x, g, w, p)


def filter_grad(x, g, w, p):
    """The gradient of w in conv(x, w) given g, the output's gradient (g's
    positions: the outputs taken)."""
    groups = p.get("groups", 1)
    cols, _, _ = _columns(x, w, p, out=g.shape[2:])             # (N, G, P, T)
    n, o = g.shape[:2]
    gm = g.reshape(n, groups, o // groups, math.prod(g.shape[2:]))   # (N, G, O/G, P)
    dw = np.matmul(gm, cols).sum(axis=0)
    return dw.reshape(w.shape).astype(w.dtype)


def _conv_db(g, ans, xs, p):
    """The sum of g per output channel: in torch.sum's order on PyTorch's
    im2col path, one number after another where oneDNN runs (closest)."""
    if xs[0].shape[1] == 0:               # (no channels: see convolve)
        return np.zeros(xs[2].shape, xs[2].dtype)
    axes = (0,) + tuple(range(2, g.ndim))
    if g.dtype == _F32 and _kernel_major(xs[0], xs[1], p):
        rows = np.moveaxis(g, 1, 0).reshape(g.shape[1], g.shape[0] * math.prod(g.shape[2:]))
        total = np.zeros(rows.shape[0], g.dtype)
        for i in range(rows.shape[1]):
            total = total + rows[:, i]
        return total.astype(xs[2].dtype)
    total = torch_sum(g, axes) if g.dtype.kind == "f" else None
    return (np.sum(g, axis=axes) if total is None else total.reshape(-1)).astype(xs[2].dtype)


# forward mode: a convolution is linear in each of its inputs
_CONV_JVP = (lambda t, ans, xs, p: convolve(t, xs[1], None, p),
             lambda t, ans, xs, p: convolve(xs[0], t, None, p),
             lambda t, ans, xs, p: np.broadcast_to(
                 t.reshape((1, -1) + (1,) * (ans.ndim - 2)), ans.shape).astype(ans.dtype)
             if ans.shape[1] == t.size else np.zeros(ans.shape, ans.dtype))
_CONV_FORMULA = ("d conv(x, w)/dx = the transposed convolution of g with w",
                 "d conv(x, w)/dw = g convolved with x's receptive fields",
                 "d conv(x, w)/db = sum of g per output channel")

for _name in ("conv1d", "conv2d", "conv3d"):
    defop(_name, "ConvolutionBackward0", _conv_fwd, vjp=(_conv_dx, _conv_dw, _conv_db),
          jvp=_CONV_JVP, saved=("01", "01", "01"), formula=_CONV_FORMULA, symbol=_name,
          dtype_rule=SAME)


# ---- constant_pad_nd: p["pad"], (left, right) pairs from the last dim; p["value"] ----

def pad_constant(x, pad: tuple, value=0):
    """x padded by `pad` (negative amounts crop), as at::constant_pad_nd."""
    k = len(pad) // 2
    lead = x.ndim - k
    crop, widths = [slice(None)] * x.ndim, [(0, 0)] * x.ndim
    for i in range(k):
        d = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        crop[d] = slice(max(0, -lo), x.shape[d] - max(0, -hi))
        widths[d] = (max(0, lo), max(0, hi))
    x = x[tuple(crop)]
    if any(w != (0, 0) for w in widths[lead:]):
        x = np.pad(x, widths, constant_values=value)
    return np.ascontiguousarray(x)


defop("constant_pad_nd", "ConstantPadNdBackward0",
      lambda xs, p: pad_constant(xs[0], p["pad"], p.get("value", 0)),
      vjp=(lambda g, ans, xs, p: pad_constant(g, tuple(-q for q in p["pad"])),),
      jvp=(lambda t, ans, xs, p: pad_constant(t, p["pad"]),),
      formula=("d pad(x)/dx = g with the padding cut off",), symbol="pad", saves=False,
      dtype_rule=SAME)


# ---- conv_tbc: (time, batch, channels) input, (kernel, in, out) weight; p["pad"] ----

def _tbc_spans(x_len: int, out_len: int, kernel: int, pad: int):
    """For each kernel position that overlaps the (padded) input: (k, the
    input steps it reads, the output steps it adds to), as slices."""
    for k in range(kernel):
        i, o = max(0, k - pad), max(0, pad - k)
        t = min(x_len + pad - k, out_len) - o
        if t > 0:
            yield k, slice(i, i + t), slice(o, o + t)


def conv_tbc(x, w, b, p):
    """The bias, then each kernel position's matmul added in turn (PyTorch's
    conv_tbc: one addmm per kernel position)."""
    out_len = x.shape[0] + 2 * p.get("pad", 0) - w.shape[0] + 1
    out = np.empty((out_len, x.shape[1], w.shape[2]), x.dtype)
    out[...] = b
    for k, ins, outs in _tbc_spans(x.shape[0], out_len, w.shape[0], p.get("pad", 0)):
        out[outs] = out[outs] + np.matmul(x[ins], w[k])
    return out


def _tbc_dx(g, ans, xs, p):
    x, w = xs[0], xs[1]
    dx = np.zeros(x.shape, x.dtype)
    for k, ins, outs in _tbc_spans(x.shape[0], g.shape[0], w.shape[0], p.get("pad", 0)):
        dx[ins] = dx[ins] + np.matmul(g[outs], w[k].T)
    return dx


def _tbc_dw(g, ans, xs, p):
    x, w = xs[0], xs[1]
    dw = np.zeros(w.shape, w.dtype)
    for k, ins, outs in _tbc_spans(x.shape[0], g.shape[0], w.shape[0], p.get("pad", 0)):
        dw[k] = dw[k] + x[ins].reshape(-1, x.shape[2]).T @ g[outs].reshape(-1, g.shape[2])
    return dw


def _sum_first(a):
    """a summed over its first dim, in torch.sum's order where it has one."""
    total = torch_sum(np.ascontiguousarray(a), (0,)) if a.dtype.kind == "f" else None
    return np.sum(a, axis=0) if total is None else total.reshape(a.shape[1:])


def _tbc_db(g, ans, xs, p):
    """The sum over time, then over the batch (PyTorch's two sums)."""
    return _sum_first(_sum_first(g)).astype(xs[2].dtype)


defop("conv_tbc", "ConvTbcBackward0", lambda xs, p: conv_tbc(xs[0], xs[1], xs[2], p),
      vjp=(_tbc_dx, _tbc_dw, _tbc_db),
      jvp=(lambda t, ans, xs, p: conv_tbc(t, xs[1], np.zeros((), t.dtype), p),
           lambda t, ans, xs, p: conv_tbc(xs[0], t, np.zeros((), t.dtype), p),
           lambda t, ans, xs, p: np.broadcast_to(t, ans.shape).astype(ans.dtype)),
      saved=("01", "01", "01"),
      formula=("d conv_tbc(x, w)/dx = g times each kernel position's weight, transposed",
               "d conv_tbc(x, w)/dw = each kernel position's inputs, transposed, times g",
               "d conv_tbc(x, w)/db = sum of g over time and batch"),
      symbol="conv_tbc", dtype_rule=SAME)
