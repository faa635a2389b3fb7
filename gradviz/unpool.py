"""torch.nn.functional's max unpoolings (SegNet-style decoders):
F.max_unpool1d/2d/3d and nn.MaxUnpool1d/2d/3d, the partial inverse of a max
pooling with return_indices=True: each number put back at its index in a
zeroed output (MaxUnpool2DBackward0, MaxUnpool3DBackward0; the 1-d one is
the 2-d one between an unsqueeze(-1) and a squeeze(-1), as PyTorch's
Python runs it). The output size is PyTorch's _unpool_output_size's."""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, VALUE, GradvizError
from .ops import OPS

_WORDS = {2: "two elements (height, width)", 3: "three elements (depth, height, width)"}


def _sized(v, k: int) -> tuple:
    """PyTorch's _single/_pair/_triple: a sequence as it is, else k copies."""
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * k


def _output_size(x, kernel, stride, padding, output_size) -> list:
    """_unpool_output_size: the pooling's input size the geometry gives, or
    output_size (its last len(kernel) numbers) within a stride of it."""
    k = len(kernel)
    default = [(x.shape[x.ndim - k + d] - 1) * stride[d] + kernel[d] - 2 * padding[d]
               for d in range(k)]
    if output_size is None:
        return default
    sizes = list(output_size)
    if len(sizes) == k + 2:
        sizes = sizes[2:]
    if len(sizes) != k:
        raise GradvizError(f"output_size should be a sequence containing {k} or {k + 2} "
                           f"elements, but it has a length of '{len(sizes)}'", kind=VALUE,
                           hint=f"the output's {k} spatial size(s)")
    for d in range(k):
        low, high = default[d] - stride[d], default[d] + stride[d]
        if not low < sizes[d] < high:
            raise GradvizError(f"invalid output_size \"{output_size!r}\" (dim {d} must be "
                               f"between {low} and {high})", kind=VALUE,
                               hint="a stride s maps s sizes onto one pooled size: pick one")
    return sizes


def _check(x, indices, size: list, k: int) -> None:
    """max_unpooling2d/3d's checks, in their order, then the indices' range."""
    if indices.dtype != np.int64:
        raise GradvizError("elements in indices should be type int64", kind=RUNTIME,
                           hint="the indices max_pool returned: return_indices=True")
    if k == 3 and x.ndim not in (4, 5):
        raise GradvizError(f"Input to max_unpooling3d should be a 4d or 5d Tensor, but got a "
                           f"tensor with {x.ndim} dimensions.", kind=RUNTIME,
                           hint="(N, C, D, H, W) or (C, D, H, W)")
    if len(size) != k:
        raise GradvizError(f"There should be exactly {_WORDS[k]} in output_size, but got "
                           f"{len(size)} elements.", kind=RUNTIME,
                           hint=f"kernel_size has {k} numbers here")
    if k == 2 and x.ndim not in (3, 4):
        raise GradvizError(f"Input to max_unpooling2d should be a 3d or 4d Tensor, but got a "
                           f"tensor with {x.ndim} dimensions.", kind=RUNTIME,
                           hint="(N, C, H, W) or (C, H, W)")
    if x.shape != indices.shape:
        raise GradvizError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: "
                           f"{list(indices.shape)}", kind=RUNTIME,
                           hint="the indices of the max pooling that made the input")
    bad = (indices < 0) | (indices >= math.prod(size))
    if bad.any():
        # (PyTorch's loop goes on past a bad index: the message names the last)
        raise GradvizError(f"Found an invalid max index: {indices[bad].flat[-1]} (output volumes "
                           f"are of size {'x'.join(map(str, size))})", kind=RUNTIME,
                           hint="an index counts positions in the output's last dims")


def _max_unpool(rt, k: int, input, indices, kernel_size, stride, padding, output_size):
    fn = f"max_unpool{k}d"
    input = F._need_tensor(input, fn)
    indices = F._need_tensor(indices, fn, 2, "indices")
    kernel = _sized(kernel_size, k)
    stride = kernel if stride is None else _sized(stride, k)
    size = _output_size(input.data, kernel, stride, _sized(padding, k), output_size)
    if k == 1:        # (the 2-d op on a column, as PyTorch's Python runs it)
        column = _max_unpool(rt, 2, F.f_unsqueeze(rt, input, -1),
                             F.f_unsqueeze(rt, indices, -1), (kernel[0], 1), (stride[0], 1),
                             (_sized(padding, 1)[0], 0), size + [1])
        return F.f_squeeze(rt, column, -1)
    _check(input.data, indices.data, size, k)
    rt.tape.check_shape(input.data.shape[:-k] + tuple(size), "result")
    return rt.apply(OPS[fn], (input,), {"output_size": tuple(size),
                                        "indices": indices.data})


def _unpool_maker(k: int):
    def f(rt, input, indices, kernel_size, stride=None, padding=0, output_size=None):
        return _max_unpool(rt, k, input, indices, kernel_size, stride, padding, output_size)
    f.__name__ = f"max_unpool{k}d"
    f.__doc__ = (f"F.max_unpool{k}d(input, indices, kernel_size, stride=None, padding=0, "
                 "output_size=None): each number put back at its index.")
    return f


FUNCTIONS = {f"max_unpool{k}d": _unpool_maker(k) for k in (1, 2, 3)}
