"""torch.nn.functional's transposed convolutions (d2l's chapter 14.10, the
upsampling of a fully convolutional network): their arguments checked in
PyTorch's order with its messages, then one registry op each
(ops/conv_transpose.py), between the unsqueeze and squeeze PyTorch records
around an unbatched input.

Some of PyTorch's errors depend on the kernel that runs (oneDNN's for
batches, groups, big kernels and big inputs, its slow_conv_transpose for the
rest; ops/conv.uses_onednn): both are followed.
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from .conv import _SPATIAL, _conv, _ints, _shape_text, check_weight_groups, record_conv
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS
from .ops.conv import uses_onednn
from .ops.conv_transpose import transposed_size

ONEDNN_FAILED = ("could not create a primitive descriptor for the deconvolution forward "
                 "propagation primitive. Run workload with environment variable "
                 "ONEDNN_VERBOSE=all to get additional diagnostic information.")


def _pairs(nd: int, v: tuple) -> tuple:
    """v as PyTorch's 2-d kernel sees it (a 1-d one runs as 2-d of height 1)."""
    return (None,) * (2 - nd) + v if nd == 1 else v


def _check_geometry(nd, stride, padding, output_padding, dilation, groups) -> None:
    for name, v in (("stride", stride), ("padding", padding), ("dilation", dilation),
                    ("output_padding", output_padding)):
        if len(v) != nd:
            raise GradvizError(f"expected {name} to be a single integer value or a list of {nd} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}", kind=RUNTIME,
                               hint=f"the weight has {nd} spatial dim(s): one {name} per dim")
    if groups <= 0:
        raise GradvizError("non-positive groups is not supported", kind=RUNTIME,
                           hint="groups splits the channels: 1 or more")
    if any(q < 0 for q in padding):
        raise GradvizError("negative padding is not supported", kind=RUNTIME,
                           hint="padding takes rows and columns off the output: 0 or more")
    if any(q < 0 for q in output_padding):
        raise GradvizError("negative output_padding is not supported", kind=RUNTIME,
                           hint="output_padding adds rows and columns to the output: 0 or more")
    if any(s <= 0 for s in stride):
        raise GradvizError("non-positive stride is not supported", kind=RUNTIME,
                           hint="the stride is the step between the input's places in the "
                                "output: 1 or more")


def _check_shapes(x4, w, bias, groups) -> None:
    """check_shape_forward's checks of a transposed convolution."""
    c = w.shape[0]
    check_weight_groups(w, groups, "in_channels")
    if x4[1] != c:
        raise GradvizError(f"Given transposed=1, weight of size {list(w.shape)}, expected "
                           f"input{list(x4)} to have {c} channels, but got {x4[1]} channels "
                           "instead", kind=RUNTIME,
                           hint=f"a transposed convolution's weight is (in_channels, "
                                f"out_channels / groups, *kernel): this one takes {c} "
                                f"channels; {x4[1]} came")
    o = w.shape[1] * groups
    if bias is not None and (bias.ndim != 1 or bias.size != o):
        raise GradvizError(f"Given transposed=1, weight of size {list(w.shape)}, expected bias "
                           f"to be 1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead", kind=RUNTIME,
                           hint="one bias per output channel: the weight's dim 1 times groups")


def _check_kernel(nd, x4, dtype, w, bias, stride, padding, output_padding, dilation, groups):
    """The checks of the kernel that runs, oneDNN's or slow_conv_transpose's,
    each in its order (the dtypes' among them)."""
    onednn = (dtype == np.float32 and uses_onednn(x4, w.shape, groups)
              and all(op < s for op, s in zip(output_padding, stride)))
    size = transposed_size(x4[2:], w.shape[2:], stride, padding, dilation, output_padding)
    hint_kernel = "a kernel has at least one position per dim: the weight's last dims are its size"
    hint_dtype = "make the weight and bias the input's dtype: w.float()"
    if onednn:
        if w.dtype != dtype:
            raise GradvizError(f"Input type (torch.FloatTensor) and weight type "
                               f"(torch.{F.type_word(w.dtype)}Tensor) should be the same or "
                               "input should be a MKLDNN tensor and weight is a dense tensor",
                               kind=RUNTIME, hint=hint_dtype)
        if nd == 3 and any(d <= 0 for d in dilation):     # (oneDNN's 3-d check comes first)
            raise GradvizError("dimensions are invalid", kind=RUNTIME,
                               hint="dilation 1 is an ordinary kernel")
        if any(d <= 0 for d in dilation) or 0 in w.shape:
            raise GradvizError(ONEDNN_FAILED, kind=RUNTIME,
                               hint="dilation 1 or more, and a weight with no empty dim"
                               if 0 not in w.shape else hint_kernel)
        if any(n < 0 for n in size):
            raise GradvizError("could not construct a memory descriptor using a format tag",
                               kind=RUNTIME, hint=f"the output size {list(size)} is negative: "
                                                  "less padding, or a bigger input")
        if bias is not None and bias.dtype != w.dtype:
            raise GradvizError(f"Input type (torch.FloatTensor) and bias type "
                               f"(torch.{F.type_word(bias.dtype)}Tensor) should be the same or "
                               "input should be a MKLDNN tensor and bias is a dense tensor",
                               kind=RUNTIME, hint=hint_dtype)
        return
    if nd == 3:
        _check_slow_3d(x4, dtype, w, bias, stride, output_padding, dilation, size)
        return
    kernel = _pairs(nd, w.shape[2:])
    kh, kw = (1 if k is None else k for k in kernel)
    if kh <= 0 or kw <= 0:
        raise GradvizError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kh} kernel_width: {kw}", kind=RUNTIME, hint=hint_kernel)
    dh, dw = (1 if d is None else d for d in _pairs(nd, dilation))
    if dh <= 0 or dw <= 0:
        raise GradvizError(f"dilation should be greater than zero, but got dilation_height: "
                           f"{dh}, dilation_width: {dw}", kind=RUNTIME,
                           hint="dilation 1 is an ordinary kernel")
    if w.shape[1] == 0:
        shape = w.shape[:2] + (1,) + w.shape[2:] if nd == 1 else w.shape
        raise GradvizError(f"non-empty 2D or 4D weight tensor expected, but got: {list(shape)}",
                           kind=RUNTIME, hint="the weight's dim 1 is out_channels / groups: "
                                              "at least 1")
    oph, opw = (0 if v is None else v for v in _pairs(nd, output_padding))
    sh, sw = (1 if v is None else v for v in _pairs(nd, stride))
    if (oph >= sh and oph >= dh) or (opw >= sw and opw >= dw):
        raise GradvizError(f"output padding must be smaller than either stride or dilation, but "
                           f"got output_padding_height: {oph} output_padding_width: {opw} "
                           f"stride_height: {sh} stride_width: {sw} dilation_height: {dh} "
                           f"dilation_width: {dw}", kind=RUNTIME,
                           hint="output_padding picks one of the `stride` output sizes that "
                                "give this input size: less than the stride (or the dilation)")
    if x4[0] and any(n < 1 for n in size):
        given = _pairs(nd, x4[2:])
        raise GradvizError(f"Given input size per channel: "
                           f"({_shape_text(1 if n is None else n for n in given)}). Calculated "
                           f"output size per channel: "
                           f"({_shape_text(1 if n is None else n for n in _pairs(nd, size))}). "
                           "Output size is too small", kind=RUNTIME,
                           hint="the padding takes more than the output has: less padding")
    if w.dtype != dtype:
        raise GradvizError(f"expected scalar type {F.type_word(dtype)} but found "
                           f"{F.type_word(w.dtype)}", kind=RUNTIME, hint=hint_dtype)
    if dtype == np.bool_:
        raise GradvizError('"slow_conv_transpose2d_out_cpu" not implemented for \'Bool\'',
                           kind="NotImplementedError", hint="convert first: x.float()")
    if bias is not None and dtype.kind == "i" and bias.dtype.kind == "f":
        raise GradvizError(f"result type {F.type_word(bias.dtype)} can't be cast to the desired "
                           f"output type {F.type_word(dtype)}", kind=RUNTIME, hint=hint_dtype)


def _named(what: str, values: tuple, sep: str = " ") -> str:
    """slow_conv_transpose3d's words for a parameter per dim: what_depth: 1 ..."""
    return sep.join(f"{what}_{dim}: {v}" for dim, v in zip(("depth", "height", "width"), values))


def _check_slow_3d(x4, dtype, w, bias, stride, output_padding, dilation, size) -> None:
    """slow_conv_transpose3d's checks, in its order (it has no kernel size
    check of its own: an empty kernel is an empty weight)."""
    if any(d <= 0 for d in dilation):
        raise GradvizError(f"dilation should be greater than zero, but got "
                           f"{_named('dilation', dilation, ', ')}", kind=RUNTIME,
                           hint="dilation 1 is an ordinary kernel")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        raise GradvizError(f"output padding must be smaller than either stride or dilation, but "
                           f"got {_named('output_padding', output_padding)} "
                           f"{_named('stride', stride)} {_named('dilation', dilation)}",
                           kind=RUNTIME, hint="output_padding picks one of the `stride` output "
                                              "sizes that give this input size: less than the "
                                              "stride (or the dilation)")
    if 0 in w.shape:
        raise GradvizError(f"non-empty 5D (n_output_plane x n_input_plane x kernel_depth x "
                           f"kernel_height x kernel_width) tensor expected for weight, but got: "
                           f"{list(w.shape)}", kind=RUNTIME,
                           hint="a weight with no empty dim: (in_channels, out_channels / groups, "
                                "kD, kH, kW)")
    if x4[0] and any(n < 1 for n in size):
        raise GradvizError(f"Given input size per channel: ({_shape_text(x4[2:])}). Calculated "
                           f"output size per channel: ({_shape_text(size)}). Output size is too "
                           "small", kind=RUNTIME,
                           hint="the padding takes more than the output has: less padding")
    # (it adds the bias in the input's dtype: a bias of another dtype is refused too)
    for t in (w, bias):
        if t is not None and t.dtype != dtype:
            raise GradvizError(f"expected scalar type {F.type_word(dtype)} but found "
                               f"{F.type_word(t.dtype)}", kind=RUNTIME,
                               hint="make the weight and bias the input's dtype: w.float()")
    if dtype.kind != "f" and dtype != np.int64:
        raise GradvizError(f'"slow_conv_transpose3d_out_cpu" not implemented for '
                           f"'{F.type_word(dtype)}'", kind="NotImplementedError",
                           hint="convert first: x.float()")


def _conv_transpose(rt, nd, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    fn = f"conv_transpose{nd}d"
    input = F._need_tensor(input, fn)
    weight = F._need_tensor(weight, fn, 2, "weight")
    if bias is not None:
        bias = F._need_tensor(bias, fn, 3, "bias")
    stride = _ints(fn, "stride", stride, nd)
    padding = _ints(fn, "padding", padding, nd)
    output_padding = _ints(fn, "output_padding", output_padding, nd)
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise GradvizError(f"{fn}(): argument 'groups' must be int, not "
                           f"{F.arg_type_name(groups)}", kind=TYPE, hint="groups is a whole number")
    dilation = _ints(fn, "dilation", dilation, nd)
    x, w = input.data, weight.data
    if x.ndim not in (nd + 1, nd + 2):
        raise GradvizError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{fn}, but got input of size: {list(x.shape)}", kind=RUNTIME,
                           hint=f"{fn} takes (N, C, {_SPATIAL[nd][0]}) or the "
                                "same without the batch dim N")
    if w.ndim < 3:
        raise GradvizError("weight should have at least three dimensions", kind=RUNTIME,
                           hint=f"a {fn} weight is (in_channels, out_channels / groups, "
                                f"{_SPATIAL[nd][1]})")
    batched = x.ndim == nd + 2
    x4 = x.shape if batched else (1,) + x.shape
    if w.ndim != x.ndim + (0 if batched else 1):
        raise GradvizError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional "
                           f"weight {list(w.shape)}, but got {len(x4)}-dimensional input of "
                           f"size {list(x4)} instead", kind=RUNTIME,
                           hint=f"{fn}'s weight has {nd} kernel dim(s)")
    _check_geometry(nd, stride, padding, output_padding, dilation, groups)
    _check_shapes(x4, w, None if bias is None else bias.data, groups)
    if x4[0] and x4[1] and 0 in x4[2:]:
        shape = x4[:2] + (1,) + x4[2:] if nd == 1 else x4
        raise GradvizError("Only zero batch or zero channel inputs are supported, but got input "
                           f"shape: {list(shape)}", kind=RUNTIME,
                           hint="an input with an empty length, height or width has nothing "
                                "to spread over the output")
    size = transposed_size(x4[2:], w.shape[2:], stride, padding, dilation, output_padding)
    if not x4[0] and min(size, default=0) < 0:
        # an empty batch makes its empty output without a kernel: the shape itself fails
        shape = x4[:1] + (w.shape[1] * groups,) + ((1,) if nd == 1 else ()) + size
        at = next(i for i, n in enumerate(shape) if n < 0)
        raise GradvizError(f"invalid shape dimension {shape[at]} at index {at} of shape "
                           f"{list(shape)}", kind=RUNTIME,
                           hint="the padding takes more than the output has: less padding")
    _check_kernel(nd, x4, x.dtype, w, None if bias is None else bias.data, stride, padding,
                  output_padding, dilation, groups)
    if bias is not None and bias.data.dtype != x.dtype:
        # (PyTorch's slow kernel adds the bias in the input's dtype)
        bias = F.f_to(rt, bias, x.dtype)
    rt.tape.check_shape(x4[:1] + (w.shape[1] * groups,) + transposed_size(
        x4[2:], w.shape[2:], stride, padding, dilation, output_padding))
    if not batched:
        input = F.f_unsqueeze(rt, input, 0)
    return record_conv(rt, fn, input, weight, bias, groups, batched,
                       (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1),
                        ("output_padding", output_padding, 0)))


def f_conv_transpose1d(rt, input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
    """F.conv_transpose1d: (N, C_in, L) with weight (C_in, C_out / groups, K)
    -> (N, C_out, (L - 1) * stride - 2 * padding + dilation * (K - 1) + 1 + output_padding)."""
    return _conv_transpose(rt, 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def f_conv_transpose2d(rt, input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
    """F.conv_transpose2d: (N, C_in, H, W) with weight (C_in, C_out / groups,
    kH, kW) -> (N, C_out, H', W'), each output size as conv_transpose1d's."""
    return _conv_transpose(rt, 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


def f_conv_transpose3d(rt, input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
    """F.conv_transpose3d: (N, C_in, D, H, W) with weight (C_in, C_out / groups,
    kD, kH, kW) -> (N, C_out, D', H', W'), each output size as conv_transpose1d's."""
    return _conv_transpose(rt, 3, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


# torch.convolution's geometry arguments (lists only) and their positions
_GENERAL_LISTS = (("stride", 4), ("padding", 5), ("dilation", 6), ("output_padding", 8))


def f_convolution(rt, input, weight, bias, stride, padding, dilation, transposed,
                  output_padding, groups):
    """torch.convolution: the entry all of F's convolutions reach, each
    geometry argument a list, the input batched: F.conv1d/2d/3d's
    convolution, or with transposed=True F.conv_transpose1d/2d/3d's."""
    input = F._need_tensor(input, "convolution")
    weight = F._need_tensor(weight, "convolution", 2, "weight")
    if bias is not None:
        bias = F._need_tensor(bias, "convolution", 3, "bias")
    lists = dict(zip(("stride", "padding", "dilation", "output_padding"),
                     (stride, padding, dilation, output_padding)))
    for name, pos in _GENERAL_LISTS:
        v = lists[name]
        if not isinstance(v, (tuple, list)) or not all(
                isinstance(e, int) and not isinstance(e, bool) for e in v):
            raise GradvizError(f"convolution(): argument '{name}' (position {pos}) must be tuple "
                               f"of ints, not {F.arg_type_name(v)}", kind=TYPE,
                               hint=f"{name} is a list of ints here: {name}=[1, 1]")
    for name, pos, v, want in (("transposed", 7, transposed, bool), ("groups", 9, groups, int)):
        if not isinstance(v, want) or (want is int and isinstance(v, bool)):
            raise GradvizError(f"convolution(): argument '{name}' (position {pos}) must be "
                               f"{want.__name__}, not {F.arg_type_name(v)}", kind=TYPE,
                               hint=f"{name} is a{'n' if want is int else ''} {want.__name__}")
    return _general(rt, input, weight, bias, lists, transposed, groups)


def _general(rt, input, weight, bias, lists: dict, transposed: bool, groups: int):
    """torch.convolution's checks of the ranks and the lists' lengths, in
    ATen's order, then the convolution of the weight's rank."""
    x, w = input.data, weight.data
    if w.ndim < 3:
        raise GradvizError("weight should have at least three dimensions", kind=RUNTIME,
                           hint="a weight is (out_channels, in_channels / groups, *kernel)")
    nd = w.ndim - 2
    for name, v in lists.items():
        if len(v) not in (1, nd):
            raise GradvizError(f"expected {name} to be a single integer value or a list of {nd} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}", kind=RUNTIME,
                               hint=f"the weight has {nd} spatial dim(s): one {name} per dim")
    if x.ndim != w.ndim:
        raise GradvizError(f"Expected {w.ndim}-dimensional input for {w.ndim}-dimensional weight "
                           f"{list(w.shape)}, but got {x.ndim}-dimensional input of size "
                           f"{list(x.shape)} instead", kind=RUNTIME,
                           hint="torch.convolution takes a batched input: (N, C, *size)")
    if nd > 3:
        raise GradvizError("unsupported ConvNd parameters", kind=RUNTIME,
                           hint="convolutions have 1, 2 or 3 spatial dims")
    if transposed:
        return _conv_transpose(rt, nd, input, weight, bias, lists["stride"], lists["padding"],
                               lists["output_padding"], groups, lists["dilation"])
    return _conv(rt, nd, input, weight, bias, lists["stride"], lists["padding"],
                 lists["dilation"], groups)


# ---- conv_tbc ------------------------------------------------------------------------

def f_conv_tbc(rt, input, weight, bias, pad=0):
    """torch.conv_tbc / F.conv_tbc: a 1-d convolution of a (time, batch,
    channels) input with a (kernel, in_channels, out_channels) weight,
    padded by `pad` steps in time (ConvTbcBackward0)."""
    input = F._need_tensor(input, "conv_tbc")
    weight = F._need_tensor(weight, "conv_tbc", 2, "weight")
    bias = F._need_tensor(bias, "conv_tbc", 3, "bias")
    if isinstance(pad, bool) or not isinstance(pad, int):
        raise GradvizError(f"conv_tbc(): argument 'pad' (position 4) must be int, not "
                           f"{F.arg_type_name(pad)}", kind=TYPE, hint="pad is a whole number")
    x, w, b = input.data, weight.data, bias.data
    for ok, words in ((x.ndim == 3, "Input must have 3 dims: time, batch, in_channel"),
                      (w.ndim == 3, "Weight tensor must have 3 dims: kernel_width, "
                                    "in_channels, out_channels."),
                      (b.ndim == 1, "Bias must be 1-D"),
                      (x.shape[-1] == w.shape[1], "Input dim 2 (input channels) is not == dim 1 "
                                                  "in the weight tensor"),
                      (w.shape[-1] == b.shape[0], "Bias size must equal dim 2 in the weight "
                                                  "tensor (output channels).")):
        if not ok:
            raise GradvizError(words, kind=RUNTIME, hint="conv_tbc takes (time, batch, in), "
                                                          "(kernel, in, out) and (out,)")
    size = (x.shape[0] + 2 * pad - w.shape[0] + 1, x.shape[1], w.shape[2])
    if size[0] < 0:
        raise GradvizError(f"Trying to create tensor with negative dimension {size[0]}: "
                           f"{list(size)}", kind=RUNTIME,
                           hint="the kernel is longer than the padded input")
    if w.dtype != x.dtype and size[0] > 0:
        raise GradvizError(f"self and mat2 must have the same dtype, but got "
                           f"{F.type_word(x.dtype)} and {F.type_word(w.dtype)}", kind=RUNTIME,
                           hint="make the weight the input's dtype: w.float()")
    if b.dtype != x.dtype:
        # (PyTorch copies the bias into the input's dtype first)
        bias = F.f_to(rt, bias, x.dtype)
    rt.tape.check_shape(size)
    return rt.apply(OPS["conv_tbc"], (input, weight, bias), {"pad": pad} if pad else None)


FUNCTIONS = {"conv_transpose1d": f_conv_transpose1d, "conv_transpose2d": f_conv_transpose2d,
             "conv_transpose3d": f_conv_transpose3d, "conv_tbc": f_conv_tbc}
# torch.NAME only (torch.nn.functional has no convolution)
TORCH_ONLY = {"convolution": f_convolution}
