"""Transposed convolutions, one node each as PyTorch records them:
conv_transpose1d and conv_transpose2d (ConvolutionBackward0, as a
convolution's; inputs: the input, the weight (in_channels,
out_channels / groups, *kernel) and the bias where given).

p: a convolution's "stride", "padding", "dilation" and "groups" (ops/conv.py)
and "output_padding" (absent for 0): the extra size at the end of each
spatial dim, which chooses among the output sizes a strided convolution
maps onto the same input size.

The forward is the input gradient of a convolution with the same weight: a
matmul then col2im, as PyTorch's slow_conv_transpose computes it (bit for
bit); oneDNN, which PyTorch takes for batches, groups, big kernels and big
inputs, adds the terms in another order (the last bit of some numbers).
The input gradient is that convolution itself, the weight gradient the
convolution's filter gradient with the roles of input and output swapped.
"""
from __future__ import annotations

import numpy as np

from .conv import col2im, convolve, filter_grad, geometry, spatial
from .registry import SAME, defop
from .summation import torch_sum


def transposed_size(size, kernel, stride, padding, dilation, output_padding) -> tuple:
    """A transposed convolution's output size per spatial dim."""
    return tuple((n - 1) * s - 2 * q + d * (k - 1) + 1 + op for n, k, s, q, d, op in
                 zip(size, kernel, stride, padding, dilation, output_padding))


def _size(x, w, p) -> tuple:
    stride, padding, dilation, _ = geometry(w, p)
    return transposed_size(x.shape[2:], w.shape[2:], stride, padding, dilation,
                           spatial(p, "output_padding", w.ndim - 2, 0))


def conv_transpose(x, w, b, p):
    """The transposed convolution of x (N, C_in, *S) with w (C_in,
    C_out / G, *K), plus b (C_out,) after the sum."""
    y = col2im(x, w, p, _size(x, w, p)).astype(x.dtype)
    if b is not None:
        y = y + b.astype(x.dtype).reshape((1, -1) + (1,) * (x.ndim - 2))
    return y


def _dx(g, ans, xs, p):
    # the convolution of g with the same weight; an output_padding past the
    # stride (with dilation) leaves one window more than x has: cut off
    x = xs[0]
    dx = convolve(g, xs[1], None, p)
    return dx[tuple(slice(0, n) for n in x.shape)].astype(x.dtype)


def _dw(g, ans, xs, p):
    # the filter gradient of the convolution of g that gives x's shape
    return filter_grad(g, xs[0], xs[1], p)


def _db(g, ans, xs, p):
    axes = (0,) + tuple(range(2, g.ndim))
    total = torch_sum(g, axes) if g.dtype.kind == "f" else None
    return (np.sum(g, axis=axes) if total is None else total.reshape(-1)).astype(xs[2].dtype)


_JVP = (lambda t, ans, xs, p: conv_transpose(t, xs[1], None, p),
        lambda t, ans, xs, p: conv_transpose(xs[0], t, None, p),
        lambda t, ans, xs, p: np.broadcast_to(
            t.astype(ans.dtype).reshape((1, -1) + (1,) * (ans.ndim - 2)), ans.shape))

for _name in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"):
    defop(_name, "ConvolutionBackward0",
          lambda xs, p: conv_transpose(xs[0], xs[1], xs[2] if len(xs) > 2 else None, p),
          vjp=(_dx, _dw, _db), jvp=_JVP, saved=("01", "01", "01"),
          formula=("d conv_transpose(x, w)/dx = the convolution of g with w",
                   "d conv_transpose(x, w)/dw = x convolved with g's receptive fields",
                   "d conv_transpose(x, w)/db = sum of g per output channel"),
          symbol=_name, dtype_rule=SAME)
