"""im2col and col2im (F.unfold and F.fold): sliding blocks of an image as
columns, and columns added back into an image. p: "kernel", "dilation",
"padding", "stride" (pairs), and col2im's "size" (the image's height and
width). An unbatched input (one fewer dim) is one sample. Each is the
other's VJP (Im2ColBackward0, Col2ImBackward0); col2im adds overlapping
blocks in PyTorch's order: by kernel offset, then by block."""
from __future__ import annotations

import numpy as np

from .pool import adaptive_spans, adaptive_windows, flat_position, planes
from .registry import SAME, defop


def _blocks(size, p) -> tuple:
    """The number of sliding blocks along the height and the width."""
    return tuple((s + 2 * pad - d * (k - 1) - 1) // st + 1 for s, k, d, pad, st in
                 zip(size, p["kernel"], p["dilation"], p["padding"], p["stride"]))


def _positions(size, p) -> np.ndarray:
    """(kh * kw, L): each kernel offset's flat position in the padded image,
    for each block."""
    (kh, kw), (dh, dw), (sh, sw) = p["kernel"], p["dilation"], p["stride"]
    width = size[1] + 2 * p["padding"][1]
    oh, ow = _blocks(size, p)
    rows = np.arange(kh)[:, None, None, None] * dh + np.arange(oh)[None, None, :, None] * sh
    cols = np.arange(kw)[None, :, None, None] * dw + np.arange(ow)[None, None, None, :] * sw
    return (rows * width + cols).reshape(kh * kw, oh * ow)


def _batched(a, dims: int):
    return (a, False) if a.ndim == dims else (a[None], True)


def _im2col(x, p):
    x, single = _batched(x, 4)
    n, c, h, w = x.shape
    (ph, pw) = p["padding"]
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))).reshape(n, c, -1)
    pos = _positions((h, w), p)
    out = padded[:, :, pos].reshape(n, c * pos.shape[0], pos.shape[1])
    return out[0] if single else out


def _col2im(cols, p):
    cols, single = _batched(cols, 3)
    h, w = p["size"]
    (ph, pw) = p["padding"]
    pos = _positions((h, w), p)
    n = cols.shape[0]
    c = cols.shape[1] // pos.shape[0]
    out = np.zeros((n, c, (h + 2 * ph) * (w + 2 * pw)), cols.dtype)
    # per sample and channel, the kernel offsets then the blocks, in order
    values = cols.reshape(n, c, -1)
    np.add.at(out, (np.arange(n)[:, None, None], np.arange(c)[None, :, None],
                    pos.reshape(1, 1, -1)), values)
    out = out.reshape(n, c, h + 2 * ph, w + 2 * pw)[:, :, ph:ph + h, pw:pw + w]
    out = np.ascontiguousarray(out)
    return out[0] if single else out


def _size_of(x) -> tuple:
    return x.shape[-2:]


defop("im2col", "Im2ColBackward0", lambda xs, p: _im2col(xs[0], p),
      vjp=(lambda g, ans, xs, p: _col2im(np.asarray(g), {**p, "size": _size_of(xs[0])}),),
      jvp=(lambda t, ans, xs, p: _im2col(t, p),), saves=False,
      formula=("d unfold(x)/dx = fold(g): each column's gradient added back into the image",),
      symbol="F.unfold", dtype_rule=SAME)
defop("col2im", "Col2ImBackward0", lambda xs, p: _col2im(xs[0], p),
      vjp=(lambda g, ans, xs, p: _im2col(np.asarray(g), p),),
      jvp=(lambda t, ans, xs, p: _col2im(t, p),), saves=False,
      formula=("d fold(x)/dx = unfold(g): each block's gradient read back into its column",),
      symbol="F.fold", dtype_rule=SAME)


# ---- adaptive_max_pool2d / 3d: p["output_size"]; windows [floor(i n / o), ceil((i + 1) n / o)) ----
# (here beside im2col: both gather an image's windows)

def adaptive_max_indices(x) -> callable:
    """The flat position (over the pooled dims) of each window's max: the
    first in the window's order, or its last NaN (PyTorch's
    `val > max || isnan(val)`: each NaN replaces the one before); a window
    of -inf only, its first position."""
    def indices(p):
        spans = adaptive_spans(x, p)
        size = x.shape[x.ndim - len(spans):]
        best = where = None
        for values, inside, at in adaptive_windows(x, spans):
            flat = flat_position(at, size)
            if best is None:
                best, where = np.where(inside, values, -np.inf), np.broadcast_to(flat, values.shape)
                continue
            take = inside & ((values > best) | np.isnan(values))
            best, where = np.where(take, values, best), np.where(take, flat, where)
        if where is None:                 # (an empty output)
            return np.zeros(x.shape[:x.ndim - len(spans)] + tuple(p["output_size"]), np.int64)
        return np.ascontiguousarray(where, dtype=np.int64)
    return indices


def _amax_fwd(xs, p):
    x = xs[0]
    k = len(p["output_size"])
    idx = adaptive_max_indices(x)(p)
    return np.take_along_axis(planes(x, k), planes(idx, k), axis=1).reshape(idx.shape)


def _amax_vjp(g, ans, xs, p):
    """Each output's gradient added to its window's max, in the output's
    order (windows overlap when the size does not divide)."""
    x = xs[0]
    k = len(p["output_size"])
    flat = planes(adaptive_max_indices(x)(p), k)
    out = np.zeros(planes(x, k).shape, x.dtype)
    np.add.at(out, (np.arange(flat.shape[0])[:, None], flat),
              np.asarray(g, x.dtype).reshape(flat.shape))
    return out.reshape(x.shape)


def _amax_jvp(t, ans, xs, p):
    """The tangent at each window's max (of x)."""
    k = len(p["output_size"])
    flat = planes(adaptive_max_indices(xs[0])(p), k)
    return np.take_along_axis(planes(np.asarray(t), k), flat, axis=1).reshape(ans.shape)


for _k in (2, 3):
    defop(f"adaptive_max_pool{_k}d", f"AdaptiveMaxPool{_k}DBackward0", _amax_fwd,
          vjp=(_amax_vjp,), jvp=(_amax_jvp,), saved=("0r",),
          formula=(f"d adaptive_max_pool{_k}d(x)/dx = g at each window's max",),
          symbol=f"F.adaptive_max_pool{_k}d", dtype_rule=SAME)
