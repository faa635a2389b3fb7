"""Pooling over the last two dims, one node each as PyTorch records it:
max_pool2d (MaxPool2DWithIndicesBackward0), avg_pool2d (AvgPool2DBackward0)
and adaptive_avg_pool2d (AdaptiveAvgPool2DBackward0). The 1-d poolings are
these between an unsqueeze and a squeeze, as PyTorch's are.

p: "kernel_size"; "stride" (absent: the kernel size), "padding" (absent:
0), "dilation" (absent: 1), "ceil_mode" (absent: False), each one int for
both dims alike or a pair; avg_pool2d's "count_include_pad" (absent: True)
and "divisor_override"; adaptive_avg_pool2d's "output_size", a pair.

The forwards follow PyTorch's CPU kernels: a window's max is its first
largest number in window order (rows, then columns), which is where the
gradient goes; an average adds the window's numbers in that order in the
input's dtype, then divides; the backwards add each output's share into
the input in PyTorch's order (outputs in order, each window's numbers in
order), so overlapping windows round as PyTorch's do.
"""
from __future__ import annotations

import numpy as np

from ..errors import RUNTIME, GradvizError
from .conv import spatial, windows
from .registry import SAME, defop


def pool_out(size: int, k: int, s: int, pad: int, d: int, ceil: bool) -> int:
    """pooling_output_shape: the number of windows along one dim (with
    ceil_mode, the last one must start inside the input or its left padding)."""
    span = d * (k - 1) + 1
    n = (size + 2 * pad - span + (s - 1 if ceil else 0)) // s + 1
    if ceil and (n - 1) * s >= size + pad:
        n -= 1
    return n


def pool_geometry(p, dilated=True) -> tuple:
    """(kernel, stride, padding, dilation, ceil_mode), pairs for the two dims."""
    kernel = spatial(p, "kernel_size", 2, None)
    stride = spatial(p, "stride", 2, None) if "stride" in p else kernel
    return (kernel, stride, spatial(p, "padding", 2, 0),
            spatial(p, "dilation", 2, 1) if dilated else (1, 1), p.get("ceil_mode", False))


def _out(x, geo) -> tuple:
    kernel, stride, padding, dilation, ceil = geo
    return tuple(pool_out(n, k, s, q, d, ceil)
                 for n, k, s, q, d in zip(x.shape[-2:], kernel, stride, padding, dilation))


def _scatter(shape, index, values, dtype):
    """An array of `shape` (*lead, H, W) with values added at the flat
    (H*W) positions index, one after another in index's order."""
    lead = int(np.prod(shape[:-2]))
    out = np.zeros((lead, shape[-2] * shape[-1]), dtype)
    plane = np.arange(lead).reshape((lead,) + (1,) * (index.ndim - 1))
    np.add.at(out, (np.broadcast_to(plane, (lead,) + index.shape[1:]),
                    np.broadcast_to(index, (lead,) + index.shape[1:])), values)
    return out.reshape(shape)


# ---- max_pool2d ------------------------------------------------------------------

def _lowest(dtype):
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


def _argmax(x, p):
    """(max, the flat H*W position in x of each window's first max)."""
    geo = pool_geometry(p)
    kernel, stride, padding, dilation, _ = geo
    out = _out(x, geo)
    win = windows(x, kernel, stride, padding, dilation, out, fill=_lowest(x.dtype))
    # (sizes written out: an empty batch has no -1 to infer)
    win = win.reshape(win.shape[:-2] + (kernel[0] * kernel[1],))
    at = np.argmax(win, axis=-1)
    best = np.take_along_axis(win, at[..., None], axis=-1)[..., 0]
    rows = np.arange(out[0])[:, None] * stride[0] - padding[0] + (at // kernel[1]) * dilation[0]
    cols = np.arange(out[1]) * stride[1] - padding[1] + (at % kernel[1]) * dilation[1]
    return best, rows * x.shape[-1] + cols


def max_pool_ties(x, p) -> bool:
    """Some window holds its max more than once (where max pooling has no
    derivative: the gradient check's kink)."""
    kernel, stride, padding, dilation, _ = geo = pool_geometry(p)
    win = windows(x, kernel, stride, padding, dilation, _out(x, geo), fill=_lowest(x.dtype))
    win = win.reshape(win.shape[:-2] + (kernel[0] * kernel[1],))
    return bool(np.any(np.sum(win == win.max(axis=-1, keepdims=True), axis=-1) > 1))


def max_pool_branch(x, p):
    """Where each window's max is (the smooth piece max pooling is on)."""
    return _argmax(x, p)[1]


def _max_dx(g, ans, xs, p):
    x = xs[0]
    _, where = _argmax(x, p)
    lead = int(np.prod(x.shape[:-2]))
    plane = where.shape[-2] * where.shape[-1]
    return _scatter(x.shape, where.reshape(lead, plane), g.reshape(lead, plane), g.dtype)


def _max_jvp(t, ans, xs, p):
    x = xs[0]
    _, where = _argmax(x, p)
    flat = t.reshape(x.shape[:-2] + (x.shape[-2] * x.shape[-1],))
    return np.take_along_axis(flat, where.reshape(where.shape[:-2] +
                                                  (where.shape[-2] * where.shape[-1],)),
                              axis=-1).reshape(ans.shape)


defop("max_pool2d", "MaxPool2DWithIndicesBackward0", lambda xs, p: _argmax(xs[0], p)[0],
      vjp=(_max_dx,), jvp=(_max_jvp,), saved=("0r",),
      formula=("d max_pool(x)/dx = g at each window's first max",), symbol="max_pool2d",
      dtype_rule=SAME)


# ---- avg_pool2d ------------------------------------------------------------------

def _avg_parts(x, p):
    """Per dim: each window's first input index, its valid (clipped) indices'
    start and end, and the size PyTorch counts with the padding; and the
    output size."""
    kernel, stride, padding, _, ceil = geo = pool_geometry(p, dilated=False)
    out = _out(x, geo)
    parts = []
    for n, k, s, q, o in zip(x.shape[-2:], kernel, stride, padding, out):
        start = np.arange(o) * s - q
        end = np.minimum(start + k, n + q)
        parts.append((start, np.maximum(start, 0), np.minimum(end, n), end - start))
    return parts, out


def _avg_divisor(x, p, parts):
    (_, h0, h1, hsize), (_, w0, w1, wsize) = parts
    if p.get("divisor_override") is not None:
        div = np.full((len(h0), len(w0)), p["divisor_override"])
    elif p.get("count_include_pad", True):
        div = hsize[:, None] * wsize[None, :]
    else:
        div = (h1 - h0)[:, None] * (w1 - w0)[None, :]
    empty = ((h1 - h0) <= 0)[:, None] | ((w1 - w0) <= 0)[None, :]
    return np.where(empty, 1, div), empty


def _divide(total, div):
    if total.dtype.kind == "f":
        return total / div.astype(total.dtype)
    # (an integer average truncates, as C++'s integer division)
    return (np.abs(total) // div * np.sign(total)).astype(total.dtype)


def _avg_fwd(xs, p):
    x = xs[0]
    kernel, stride, padding, dilation, _ = pool_geometry(p, dilated=False)
    parts, out = _avg_parts(x, p)
    win = windows(x, kernel, stride, padding, dilation, out)
    total = np.zeros(win.shape[:-2], x.dtype)
    for i in range(kernel[0]):            # in window order, as PyTorch adds them
        for j in range(kernel[1]):
            total = total + win[..., i, j]
    div, empty = _avg_divisor(x, p, parts)
    return np.where(empty, x.dtype.type(0), _divide(total, div))


def _window_index(x, spans):
    """Each output's valid input positions (flat H*W) in window order, as
    (index, mask), shaped (out_h * out_w, kh * kw); spans per dim: (first
    index of each window (o, k) grid, its valid part's mask)."""
    (rows, rmask), (cols, cmask) = spans
    index = rows[:, None, :, None] * x.shape[-1] + cols[None, :, None, :]
    mask = rmask[:, None, :, None] & cmask[None, :, None, :]
    o = index.shape[0] * index.shape[1]
    k = index.shape[2] * index.shape[3]
    return index.reshape(o, k), mask.reshape(o, k)


def _spread(x, g_share, spans):
    """The backward of an average: each output's share added to its
    window's valid inputs, outputs in order, each window's in order."""
    index, mask = _window_index(x, spans)
    lead = int(np.prod(x.shape[:-2]))
    share = np.broadcast_to(g_share.reshape(lead, index.shape[0], 1), (lead,) + index.shape)
    return _scatter(x.shape, index[mask][None], share[:, mask], g_share.dtype)


def _avg_dx(g, ans, xs, p):
    x = xs[0]
    kernel = pool_geometry(p)[0]
    parts, _ = _avg_parts(x, p)
    div, empty = _avg_divisor(x, p, parts)
    spans = []
    for (start, lo, hi, _), k in zip(parts, kernel):
        at = start[:, None] + np.arange(k)[None, :]
        spans.append((np.clip(at, 0, None), (at >= lo[:, None]) & (at < hi[:, None])))
    share = np.where(empty, 0, g / div.astype(g.dtype)).astype(g.dtype)
    return _spread(x, share, spans)


defop("avg_pool2d", "AvgPool2DBackward0", _avg_fwd, vjp=(_avg_dx,),
      jvp=(lambda t, ans, xs, p: _avg_fwd([t], p),), saved=("0",),
      formula=("d avg_pool(x)/dx = g / window size, spread over each window",),
      symbol="avg_pool2d", dtype_rule=SAME)


# ---- adaptive_avg_pool2d: windows [floor(i*n/o), ceil((i+1)*n/o)) ------------------

def _adaptive_spans(x, p):
    """Per dim: (each window's indices (o, longest) clipped into the input,
    which of them are in the window, each window's length)."""
    spans = []
    for n, o in zip(x.shape[-2:], p["output_size"]):
        i = np.arange(o)
        start = (i * n) // o
        end = -((-(i + 1) * n) // o)
        longest = int((end - start).max()) if o else 0
        at = start[:, None] + np.arange(longest)[None, :]
        spans.append((np.minimum(at, max(n - 1, 0)), at < end[:, None], end - start))
    return spans


def _adaptive_fwd(xs, p):
    x = xs[0]
    (rows, rmask, kh), (cols, cmask, kw) = _adaptive_spans(x, p)
    total = np.zeros(x.shape[:-2] + (len(kh), len(kw)), x.dtype)
    zero = x.dtype.type(0)
    for i in range(rows.shape[1]):        # in window order, as PyTorch adds them
        part = np.where(rmask[:, i, None], x[..., rows[:, i], :], zero)
        for j in range(cols.shape[1]):
            total = total + np.where(cmask[:, j], part[..., cols[:, j]], zero)
    return _divide(_divide(total, kh[:, None]), kw[None, :])


def _adaptive_dx(g, ans, xs, p):
    x = xs[0]
    for d in (g.ndim - 2, g.ndim - 1):
        if g.shape[d] == 0:       # (an output size of 0 runs forward, not backward)
            raise GradvizError(f"adaptive_avg_pool2d_backward(): Expected grad_output to have "
                               f"non-zero size for non-batch dimensions, but grad_output has "
                               f"sizes {list(g.shape)} with dimension {d} being empty",
                               kind=RUNTIME, hint="PyTorch's backward of adaptive pooling needs "
                                                  "an output size of 1 or more")
    (rows, rmask, kh), (cols, cmask, kw) = _adaptive_spans(x, p)
    share = g / kh[:, None].astype(g.dtype) / kw[None, :].astype(g.dtype)
    return _spread(x, share, ((rows, rmask), (cols, cmask)))


defop("adaptive_avg_pool2d", "AdaptiveAvgPool2DBackward0", _adaptive_fwd, vjp=(_adaptive_dx,),
      jvp=(lambda t, ans, xs, p: _adaptive_fwd([t], p),), saved=("0",),
      formula=("d adaptive_avg_pool(x)/dx = g / window size, spread over each window",),
      symbol="adaptive_avg_pool2d", dtype_rule=SAME)
