"""torch.nn.functional's convolutions, poolings and pad (d2l's chapter on
convolutional networks, PyTorch's LeNet): their arguments checked in
PyTorch's order with its messages, then one registry op each (ops/conv.py,
ops/pool.py), between the unsqueeze and squeeze PyTorch records around an
unbatched input (a 1-d pooling: around the 2-d one it runs)."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .ops.conv import out_size, uses_onednn
from .ops.pool import pool_out


def _ints(fn: str, name: str, v, k: int) -> tuple:
    """An int or a list of ints, as one int per spatial dim (a single one
    stands for all, as PyTorch's expand_param_if_needed)."""
    F.int64_ints(fn, name, v)
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * k
    if isinstance(v, (tuple, list)) and v and all(
            isinstance(e, int) and not isinstance(e, bool) for e in v):
        return tuple(v) * k if len(v) == 1 else tuple(v)
    raise GradvizError(f"{fn}(): argument '{name}' must be tuple of ints, not "
                       f"{F.arg_type_name(v)}", kind=TYPE,
                       hint=f"{name} is a whole number, or one per spatial dim: {name}=(1, 2)")


def _compact(v: tuple):
    """A geometry parameter as the op stores it: one int when every dim
    has it (the picture's label stays short)."""
    return v[0] if all(e == v[0] for e in v) else v


def _shape_text(shape) -> str:
    return " x ".join(str(s) for s in shape)


# ---- convolution -----------------------------------------------------------------

def _same_padding(rt, x, kernel: tuple, stride: tuple, dilation: tuple):
    """padding='same': (the symmetric padding, F.pad's amounts for the rest
    or None), as PyTorch's _convolution_mode splits an odd total."""
    if any(s != 1 for s in stride):
        raise GradvizError("padding='same' is not supported for strided convolutions",
                           kind=RUNTIME, hint="use stride=1 with padding='same', or give the "
                                              "padding as a number")
    left = tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
    extra = tuple(d * (k - 1) - 2 * q for k, d, q in zip(kernel, dilation, left))
    if not any(extra):
        return left, None
    if any(d % 2 == 1 and k % 2 == 0 for k, d in zip(kernel, dilation)):
        rt.log_event("user_warning", x, message=(
            "Using padding='same' with even kernel lengths and odd dilation may require a "
            "zero-padded copy of the input be created"))
    pad = ()
    for e in reversed(extra):            # F.pad's order: the last dim first
        pad += (0, e)
    return left, pad


def _padding(rt, fn, x, padding, kernel, stride, dilation, k):
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * k, None
        if padding == "same":
            return _same_padding(rt, x, kernel, stride, dilation)
        raise GradvizError(f"Invalid padding string: '{padding}'", kind=RUNTIME,
                           hint="padding is a number, a tuple, 'valid' or 'same'")
    return _ints(fn, "padding", padding, k), None


def _check_geometry(k, stride, padding, dilation, groups) -> None:
    for name, v in (("stride", stride), ("padding", padding), ("dilation", dilation)):
        if len(v) != k:
            raise GradvizError(f"expected {name} to be a single integer value or a list of {k} "
                               f"values to match the convolution dimensions, but got "
                               f"{name}={list(v)}", kind=RUNTIME,
                               hint=f"the weight has {k} spatial dim(s): one {name} per dim")
    if any(q < 0 for q in padding):
        raise GradvizError("negative padding is not supported", kind=RUNTIME,
                           hint="padding adds zeros around the input: 0 or more")
    if any(s <= 0 for s in stride):
        raise GradvizError("non-positive stride is not supported", kind=RUNTIME,
                           hint="the stride is the step between windows: 1 or more")
    if any(d <= 0 for d in dilation):
        raise GradvizError(f"dilation should be greater than zero, but got {list(dilation)}",
                           kind=RUNTIME, hint="dilation 1 is an ordinary kernel")
    if groups <= 0:
        raise GradvizError("non-positive groups is not supported", kind=RUNTIME,
                           hint="groups splits the channels: 1 or more")


def _conv_dtypes(input, weight, bias, x4, groups) -> None:
    """PyTorch's dtype checks in its order: the bias's, then the weight's,
    in the words of the kernel that runs (oneDNN's for a float batch)."""
    x, w = input.data, weight.data
    if bias is not None and bias.data.dtype != x.dtype:
        raise GradvizError(f"Input type ({F.cpp_type_word(x.dtype)}) and bias type "
                           f"({F.cpp_type_word(bias.data.dtype)}) should be the same",
                           kind=RUNTIME, hint="make the bias the input's dtype")
    if w.dtype != x.dtype:
        if x.dtype == np.float32 and uses_onednn(x4, w.shape, groups):
            raise GradvizError(f"Input type (torch.FloatTensor) and weight type "
                               f"(torch.{F.type_word(w.dtype)}Tensor) should be the same or "
                               "input should be a MKLDNN tensor and weight is a dense tensor",
                               kind=RUNTIME, hint="make the weight the input's dtype: "
                                                  "weight.float()")
        raise GradvizError(f"expected scalar type {F.type_word(x.dtype)} but found "
                           f"{F.type_word(w.dtype)}", kind=RUNTIME,
                           hint="make the weight the input's dtype: weight.float()")


def check_weight_groups(w, groups: int, dim0: str) -> None:
    """check_shape_forward's checks of the weight's dim 0 against groups
    (dim0: what that dim holds, out_channels, or in_channels transposed)."""
    if w.shape[0] < groups:
        raise GradvizError(f"Given groups={groups}, expected weight to be at least {groups} at "
                           f"dimension 0, but got weight of size {list(w.shape)} instead",
                           kind=RUNTIME, hint=f"the weight's dim 0 is its {dim0}: at least "
                                              "one per group")
    if w.shape[0] % groups:
        raise GradvizError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(w.shape)}] instead",
                           kind=RUNTIME, hint=f"the weight's dim 0 holds its {dim0}, which "
                                              "split into groups: a multiple of groups")


def _check_shapes(fn, x4, w, bias, groups, padding, dilation) -> None:
    """check_shape_forward's checks, on the batched input's shape x4."""
    o = w.shape[0]
    check_weight_groups(w, groups, "out_channels")
    if x4[1] != w.shape[1] * groups:
        raise GradvizError(f"Given groups={groups}, weight of size {list(w.shape)}, expected "
                           f"input{list(x4)} to have {w.shape[1] * groups} channels, but got "
                           f"{x4[1]} channels instead", kind=RUNTIME,
                           hint=f"the input's dim 1 holds its channels: this weight takes "
                                f"{w.shape[1] * groups} (in_channels); {x4[1]} came")
    if bias is not None and (bias.ndim != 1 or bias.size != o):
        raise GradvizError(f"Given weight of size {list(w.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead", kind=RUNTIME,
                           hint="one bias per output channel")
    padded = tuple(n + 2 * q for n, q in zip(x4[2:], padding))
    span = tuple((k - 1) * d + 1 for k, d in zip(w.shape[2:], dilation))
    if any(n < s for n, s in zip(padded, span)):
        raise GradvizError(f"Calculated padded input size per channel: ({_shape_text(padded)}). "
                           f"Kernel size: ({_shape_text(span)}). Kernel size can't be greater "
                           "than actual input size", kind=RUNTIME,
                           hint="the kernel must fit in the (padded) input: pad it, or take a "
                                "smaller kernel")
    if 0 in w.shape[2:] and x4[1]:
        # the kernel that runs says so: oneDNN's without a reason, im2col's with one
        hint = "a kernel has at least one position per dim: the weight's last dims are its size"
        if w.dtype == np.float32 and uses_onednn(x4, w.shape, groups):
            raise GradvizError("could not create a primitive descriptor for the convolution "
                               "forward propagation primitive. Run workload with environment "
                               "variable ONEDNN_VERBOSE=all to get additional diagnostic "
                               "information.", kind=RUNTIME, hint=hint)
        if len(w.shape) == 5:             # (slow_conv3d's words)
            raise GradvizError(f"kernel size should be greater than zero, but got: "
                               f"{_shape_text(w.shape[2:])} (TxHxW)", kind=RUNTIME, hint=hint)
        kh, kw = (1,) + w.shape[2:] if len(w.shape) == 3 else w.shape[2:]
        raise GradvizError(f"kernel size should be greater than zero, but got kernel_height: "
                           f"{kh} kernel_width: {kw}", kind=RUNTIME, hint=hint)


# the spatial dims of a convolution's input and its kernel, by their number
_SPATIAL = {1: ("L", "kernel"), 2: ("H, W", "kH, kW"), 3: ("D, H, W", "kD, kH, kW")}


def _conv(rt, nd: int, input, weight, bias, stride, padding, dilation, groups):
    fn = f"conv{nd}d"
    input = F._need_tensor(input, fn)
    weight = F._need_tensor(weight, fn, 2, "weight")
    if bias is not None:
        bias = F._need_tensor(bias, fn, 3, "bias")
    if isinstance(groups, bool) or not isinstance(groups, int):
        raise GradvizError(f"{fn}(): argument 'groups' must be int, not "
                           f"{F.arg_type_name(groups)}", kind=TYPE, hint="groups is a whole number")
    x, w = input.data, weight.data
    if w.ndim < 3:
        raise GradvizError("weight should have at least three dimensions", kind=RUNTIME,
                           hint=f"a {fn} weight is (out_channels, in_channels / groups, "
                                f"{_SPATIAL[nd][1]})")
    k = w.ndim - 2
    stride = _ints(fn, "stride", stride, nd)
    dilation = _ints(fn, "dilation", dilation, nd)
    if x.ndim not in (nd + 1, nd + 2):
        raise GradvizError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{fn}, but got input of size: {list(x.shape)}", kind=RUNTIME,
                           hint=f"{fn} takes (N, C, {_SPATIAL[nd][0]}) or the "
                                "same without the batch dim N")
    batched = x.ndim == nd + 2
    x4 = x.shape if batched else (1,) + x.shape
    padding, pad = _padding(rt, fn, input, padding, w.shape[2:], stride, dilation, nd)
    _check_geometry(k, stride, padding, dilation, groups)
    _conv_dtypes(input, weight, bias, x4, groups)
    if pad is not None:
        x4 = x4[:2] + tuple(n + e for n, e in zip(x4[2:], reversed(pad[1::2])))
    _check_shapes(fn, x4, w, None if bias is None else bias.data, groups, padding, dilation)
    if x.dtype == np.bool_ and w.dtype == np.bool_:
        raise GradvizError(f"\"{'compute_columns3d' if nd == 3 else 'slow_conv2d_cpu'}\" not "
                           "implemented for 'Bool'", kind="NotImplementedError",
                           hint="convolve numbers: x.float() and w.float()")
    if not batched:
        input = F.f_unsqueeze(rt, input, 0)
    if pad is not None:
        input = rt.apply(OPS["constant_pad_nd"], (input,), {"pad": pad})
    rt.tape.check_shape(x4[:1] + w.shape[:1] + out_size(x4[2:], w.shape[2:], stride, padding,
                                                          dilation))
    return record_conv(rt, fn, input, weight, bias, groups, batched,
                       (("stride", stride, 1), ("padding", padding, 0), ("dilation", dilation, 1)))


def record_conv(rt, fn: str, input, weight, bias, groups: int, batched: bool, sizes):
    """The convolution op `fn` on the batched input, its parameters those of
    `sizes` ((name, value, default) each) that differ from their default (as
    the node shows them), then the batch dim taken off again if the program
    gave none."""
    params = {name: _compact(v) for name, v, default in sizes if any(e != default for e in v)}
    if groups != 1:
        params["groups"] = groups
    args = (input, weight) if bias is None else (input, weight, bias)
    out = rt.apply(OPS[fn], args, params or None)
    return out if batched else F.f_squeeze(rt, out, 0)


def f_conv1d(rt, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """F.conv1d: (N, C, L) with weight (O, C / groups, K) -> (N, O, L')."""
    return _conv(rt, 1, input, weight, bias, stride, padding, dilation, groups)


def f_conv2d(rt, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """F.conv2d: (N, C, H, W) with weight (O, C / groups, kH, kW) -> (N, O, H', W')."""
    return _conv(rt, 2, input, weight, bias, stride, padding, dilation, groups)


def f_conv3d(rt, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """F.conv3d: (N, C, D, H, W) with weight (O, C / groups, kD, kH, kW) -> (N, O, D', H', W')."""
    return _conv(rt, 3, input, weight, bias, stride, padding, dilation, groups)


# ---- F.pad -------------------------------------------------------------------------

_PAD_MODES = ("constant", "reflect", "replicate", "circular")
_PAD_MODES_HINT = "mode is one of 'constant', 'reflect', 'replicate' or 'circular'"


def f_pad(rt, input, pad, mode="constant", value=None):
    """F.pad: pad[0], pad[1] added before and after the last dim, pad[2],
    pad[3] the one before it, ...; negative amounts cut. In constant mode
    (value), by reflection or by replication."""
    input = F._need_tensor(input, "pad")
    if not isinstance(pad, (tuple, list)) or not all(
            isinstance(e, int) and not isinstance(e, bool) for e in pad):
        bad = next((e for e in pad if not isinstance(e, int) or isinstance(e, bool)), pad) \
            if isinstance(pad, (tuple, list)) else pad
        raise GradvizError(f"pad(): argument 'pad' (position 2) must be tuple of ints, but found "
                           f"element of type {F.arg_type_name(bad)} at pos "
                           f"{list(pad).index(bad) if isinstance(pad, (tuple, list)) else 0}",
                           kind=TYPE, hint="pad is a tuple of whole numbers: (left, right, ...)")
    if not isinstance(mode, str):
        raise GradvizError(f"pad(): argument 'mode' (position 3) must be str, not "
                           f"{F.arg_type_name(mode)}", kind=TYPE, hint=_PAD_MODES_HINT)
    if mode not in _PAD_MODES:
        raise GradvizError(f"Unrecognised padding mode {mode}", kind="NotImplementedError",
                           hint=_PAD_MODES_HINT)
    x = input.data
    if len(pad) % 2:
        raise GradvizError("Padding length must be divisible by 2", kind=RUNTIME,
                           hint="two amounts per dim: (before, after)")
    if len(pad) > 2 * x.ndim:
        raise GradvizError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{x.ndim}", kind=RUNTIME, hint="two amounts per dim, from the last")
    if mode != "constant":
        dims = len(pad) // 2
        if dims > 3 or x.ndim not in (dims + 1, dims + 2):
            raise GradvizError(
                f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
                "Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)",
                kind="NotImplementedError", hint="the input is (N, C, ...) or (C, ...) with "
                                                 "one pair of amounts per padded dim")
        if mode == "circular":
            return _pad_circular(rt, input, tuple(pad))
        return _pad_by_mode(rt, input, tuple(pad), mode)
    if value is not None and value != 0:
        F._number_arg("pad", "value", 4, value)
    return constant_pad(rt, input, pad, value)


def _slice(rt, x, d: int, start: int, stop: int):
    """x.slice(d, start, stop): SliceBackward0, even over all of x."""
    key = (slice(None),) * d + (slice(start, stop),)
    return rt.apply(OPS["index"], (x,), {"index": key, "advanced": False,
                                         "grad_fn": "SliceBackward0"})


def _write(rt, out, key: tuple, src):
    """out[key].copy_(src) (CopySlices), and out as the write left it."""
    rt._store_item(out, list(key), src)
    while out.meta is not None and "replaced_by" in out.meta:
        out = rt.tape.nodes[out.meta["replaced_by"]]
    return out


def _pad_circular(rt, input, pad: tuple):
    """F.pad(mode='circular') as PyTorch's _pad_circular records it: the
    input copied into the middle of an empty tensor, then each side's
    padding copied from the other end, one CopySlices per write."""
    from .reshape_fns import m_new_empty
    x = input.data
    k = len(pad) // 2
    shape = list(x.shape)
    for i in range(k):
        d = x.ndim - 1 - i
        if pad[2 * i] > x.shape[d] or pad[2 * i + 1] > x.shape[d]:
            raise GradvizError("Padding value causes wrapping around more than once.",
                               kind=RUNTIME, hint="pad each side by at most the dim's size")
        shape[d] += pad[2 * i] + pad[2 * i + 1]
        if shape[d] < 0:
            raise GradvizError("Negative padding value is resulting in an empty dimension",
                               kind=RUNTIME, hint="negative padding cuts: at most the dim's size")
    rt.tape.check_shape(tuple(shape))
    out = m_new_empty(rt, input, tuple(shape))
    key, src = [slice(None)] * x.ndim, input
    for i in range(k):
        d, lo, hi = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        key[d] = slice(max(lo, 0), shape[d] - max(hi, 0))
        src = _slice(rt, src, d, max(-lo, 0), x.shape[d] - max(-hi, 0))
    out = _write(rt, out, tuple(key), src)
    for i in range(k):
        d, lo, hi = x.ndim - 1 - i, pad[2 * i], pad[2 * i + 1]
        lead = (slice(None),) * d
        if lo > 0:
            end = shape[d] - max(hi, 0)
            out = _write(rt, out, lead + (slice(0, lo),), _slice(rt, out, d, end - lo, end))
        if hi > 0:
            start = max(lo, 0)
            out = _write(rt, out, lead + (slice(shape[d] - hi, shape[d]),),
                         _slice(rt, out, d, start, start + hi))
    return out


_MODE_OPS = {"reflect": "reflection_pad", "replicate": "replication_pad"}


def _pad_by_mode(rt, input, pad: tuple, mode: str):
    """F.pad(mode='reflect' or 'replicate') of an input (checked: one or two
    dims more than the padded ones), with PyTorch's errors for the sizes."""
    x = input.data
    k = len(pad) // 2
    if any(n == 0 for n in x.shape[1:]):
        raise GradvizError(f"Expected {k + 1}D or {k + 2}D (batch mode) tensor with possibly 0 "
                           f"batch size and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}", kind=RUNTIME,
                           hint="only the batch dim may be empty")
    if mode == "reflect":
        for i in range(k):
            d = x.ndim - 1 - i
            if max(pad[2 * i], pad[2 * i + 1]) >= x.shape[d]:
                raise GradvizError(
                    f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding "
                    f"input dimension, but got: padding ({pad[2 * i]}, {pad[2 * i + 1]}) at "
                    f"dimension {d} of input {list(x.shape)}", kind=RUNTIME,
                    hint="a reflection mirrors the input: at most its size less one per side")
    shape = x.shape[:x.ndim - k] + tuple(
        x.shape[x.ndim - 1 - i] + pad[2 * i] + pad[2 * i + 1] for i in reversed(range(k)))
    _check_cut(x.shape[-1], shape, k, mode)
    rt.tape.check_shape(shape)
    return rt.apply(OPS[_MODE_OPS[mode]], (input,), {"pad": pad})


def _check_cut(width: int, shape: tuple, k: int, mode: str) -> None:
    """PyTorch's errors for negative padding that cuts more than a padded
    dim holds: each kernel's own words (1-d: no output at all)."""
    hint = "negative padding cuts: at most the dim's size"
    if k == 1 and shape[-1] < 1:
        raise GradvizError(f"input (W: {width}) is too small. Calculated output W: "
                           f"{shape[-1]}", kind=RUNTIME, hint=hint)
    negative = next((n for n in shape if n < 0), None)
    if negative is None:
        return
    if mode == "reflect" and k == 2:
        raise GradvizError("numel: integer multiplication overflow", kind=RUNTIME, hint=hint)
    raise GradvizError(f"Trying to create tensor with negative dimension {negative}: "
                       f"{list(shape)}", kind=RUNTIME, hint=hint)


def constant_pad(rt, input, pad, value):
    """input padded with value (None: 0) by the amounts pad (checked: an
    even number of them, two per dim at most), ConstantPadNdBackward0."""
    x = input.data
    shape = list(x.shape)
    for i in range(len(pad) // 2):
        d = x.ndim - 1 - i
        before, after = pad[2 * i], pad[2 * i + 1]
        # PyTorch cuts first (a narrow() for each negative amount, the one
        # before, then the one after), then pads
        cut = shape[d] + min(before, 0)
        if cut < 0 or cut + min(after, 0) < 0:
            raise GradvizError("narrow(): length must be non-negative.", kind=RUNTIME,
                               hint=f"negative padding cuts: dim {d} has {x.shape[d]} to cut "
                                    f"from, not {-min(before, 0) - min(after, 0)}")
        shape[d] += before + after
    rt.tape.check_shape(tuple(shape))
    params = {"pad": tuple(pad)}
    if value is not None and value != 0:
        params["value"] = x.dtype.type(value)
    return rt.apply(OPS["constant_pad_nd"], (input,), params)


# ---- pooling -----------------------------------------------------------------------

def _pool_pair(fn: str, name: str, v, what: str) -> tuple:
    """A pooling's kernel_size, stride, padding or dilation as a pair."""
    F.int64_ints(fn, name, v)
    if isinstance(v, int) and not isinstance(v, bool):
        return (v, v)
    if isinstance(v, (tuple, list)) and all(isinstance(e, int) and not isinstance(e, bool)
                                            for e in v):
        if len(v) in (1, 2):
            return (v[0], v[-1])
        raise GradvizError(f"{fn}: {name} must {what}", kind=RUNTIME,
                           hint=f"{name}=2 or {name}=(2, 3)")
    raise GradvizError(f"{fn}(): argument '{name}' must be tuple of ints, not "
                       f"{F.arg_type_name(v)}", kind=TYPE, hint=f"{name} is a whole number")


def _pool_args(fn, kernel_size, stride, padding, dilation=1) -> tuple:
    kernel = _pool_pair(fn, "kernel_size", kernel_size,
                        "either be a single int, or a tuple of two ints")
    stride = kernel if stride is None or stride == [] or stride == () else _pool_pair(
        fn, "stride", stride, "either be omitted, a single int, or a tuple of two ints")
    padding = _pool_pair(fn, "padding", padding, "either be a single int, or a tuple of two ints")
    dilation = _pool_pair(fn, "dilation", dilation,
                          "be either a single int, or a tuple of two ints")
    if any(k <= 0 for k in kernel):
        raise GradvizError(f"kernel size should be greater than zero, but got kH: {kernel[0]} "
                           f"kW: {kernel[1]}", kind=RUNTIME, hint="a window of 1 or more")
    if any(s == 0 for s in stride):
        raise GradvizError("stride should not be zero", kind=RUNTIME,
                           hint="the stride is the step between windows: 1 or more")
    if any(d <= 0 for d in dilation):
        raise GradvizError(f"dilation should be greater than zero, but got dilationH: "
                           f"{dilation[0]} dilationW: {dilation[1]}", kind=RUNTIME,
                           hint="dilation 1 is an ordinary window")
    return kernel, stride, padding, dilation


def _pool_out(x, kernel, stride, padding, dilation, ceil) -> tuple:
    """The output's size, or PyTorch's errors for padding past half a
    window and for no window at all."""
    for k, q, d in zip(kernel, padding, dilation):
        if q < 0 or q > ((k - 1) * d + 1) // 2:
            raise GradvizError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={q}, kernel_size={k} and dilation={d}", kind=RUNTIME,
                               hint="padding adds at most half a window on each side")
    out = tuple(pool_out(n, k, s, q, d, ceil)
                for n, k, s, q, d in zip(x.shape[-2:], kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        c = x.shape[-3]
        raise GradvizError(f"Given input size: ({c}x{x.shape[-2]}x{x.shape[-1]}). Calculated "
                           f"output size: ({c}x{out[0]}x{out[1]}). Output size is too small",
                           kind=RUNTIME, hint="the window must fit in the (padded) input")
    return out


def _pool_params(kernel, stride, padding, dilation, ceil) -> dict:
    params = {"kernel_size": _compact(kernel)}
    if stride != kernel:
        params["stride"] = _compact(stride)
    if any(padding):
        params["padding"] = _compact(padding)
    if any(d != 1 for d in dilation):
        params["dilation"] = _compact(dilation)
    if ceil:
        params["ceil_mode"] = True
    return params


def _need_3d_or_4d(x, fn: str) -> None:
    hint = f"{fn} takes (N, C, H, W) or (C, H, W), only the batch N may be empty"
    if x.ndim < 3 and fn == "avg_pool2d":
        raise GradvizError(f"Dimension out of range (expected to be in range of "
                           f"[{-max(x.ndim, 1)}, {max(x.ndim, 1) - 1}], but got -3)", kind=INDEX,
                           hint="avg_pool2d takes (N, C, H, W) or (C, H, W): x.unsqueeze(0)")
    if x.ndim not in (3, 4) and fn != "avg_pool2d":
        raise GradvizError("non-empty 3D or 4D (batch mode) tensor expected for input",
                           kind=RUNTIME, hint=hint)
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise GradvizError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch "
                           f"size for input, but got:{list(x.shape)}", kind=RUNTIME, hint=hint)


def _float_or_int(x, fn) -> None:
    if x.dtype == np.bool_:
        raise GradvizError(f"\"{fn}\" not implemented for 'Bool'", kind="NotImplementedError",
                           hint="pool a float tensor: x.float()")


def f_max_pool2d(rt, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
    """F.max_pool2d: each window's largest number (its first, in window
    order, where there are ties: where the gradient goes)."""
    input = F._need_tensor(input, "max_pool2d")
    geo = _pool_args("max_pool2d", kernel_size, stride, padding, dilation)
    x = input.data
    _need_3d_or_4d(x, "max_pool2d")
    _float_or_int(x, "max_pool2d")
    _pool_out(x, *geo, bool(ceil_mode))
    params = _pool_params(*geo, bool(ceil_mode))
    out = rt.apply(OPS["max_pool2d"], (input,), params)
    if return_indices:
        from .ops.pool import _argmax
        return (out, F._leaf(rt, _argmax(x, params)[1].astype(np.int64), False, "indices"))
    return out


def f_avg_pool2d(rt, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
    """F.avg_pool2d: each window's mean (divided by the whole window with
    the padding, unless count_include_pad=False, or by divisor_override)."""
    input = F._need_tensor(input, "avg_pool2d")
    geo = _pool_args("avg_pool2d", kernel_size, stride, padding)
    x = input.data
    _need_3d_or_4d(x, "avg_pool2d")
    _float_or_int(x, "avg_pool2d")
    if F.is_tensor(divisor_override) and divisor_override.data.size == 1 and \
            divisor_override.data.dtype.kind in "iu":
        divisor_override = int(divisor_override.data.item())
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, int)):
        raise GradvizError(f"avg_pool2d(): argument 'divisor_override' (position 7) must be int, "
                           f"not {F.arg_type_name(divisor_override)}", kind=TYPE,
                           hint="divisor_override is a whole number to divide each sum by")
    if divisor_override is not None and divisor_override == 0:
        raise GradvizError("divisor must be not zero", kind=RUNTIME,
                           hint="divisor_override=None divides by the window's size")
    _pool_out(x, *geo, bool(ceil_mode))
    params = _pool_params(*geo, bool(ceil_mode))
    if not count_include_pad:
        params["count_include_pad"] = False
    if divisor_override is not None:
        params["divisor_override"] = int(divisor_override)
    return rt.apply(OPS["avg_pool2d"], (input,), params)


def _with_defaults(size, x) -> list | int:
    """torch.nn.functional's _list_with_default, which the 2-d adaptive
    poolings (Python functions) run before PyTorch's parser reads the size:
    a None takes the input's size along its dim; a value without a len()
    is Python's TypeError ("object of type 'float' has no len()")."""
    if isinstance(size, int):
        return size
    if F.is_tensor(size):
        if size.data.ndim == 0:
            raise GradvizError("len() of a 0-d tensor", kind=TYPE,
                               hint="output_size is a whole number, or one per dim")
        size = size.data.tolist()       # (its items: an int tensor's are ints)
    if not isinstance(size, (tuple, list, str, dict, range)):
        raise GradvizError(f"object of type '{F.arg_type_name(size)}' has no len()", kind=TYPE,
                           hint="output_size is a whole number, or one per dim")
    if x.ndim <= len(size):
        raise GradvizError(f"Input dimension should be at least {len(size) + 1}", kind=VALUE,
                           hint="one output size per pooled dim: the last two")
    return [d if v is None else v for v, d in zip(size, x.shape[x.ndim - len(size):])]


def _output_size(fn: str, output_size, x, k: int) -> tuple:
    size = _with_defaults(output_size, x) if k == 2 else output_size
    if isinstance(size, int) and not isinstance(size, bool):
        size = (size,) * k
    if not isinstance(size, (tuple, list)):         # (PyTorch's parser: a tuple of ints)
        raise GradvizError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, "
                           f"not {F.arg_type_name(size)}", kind=TYPE,
                           hint="output_size is a whole number, or one per dim")
    for i, e in enumerate(size):
        if isinstance(e, bool) or not isinstance(e, int):
            raise F.int_list_item_error(fn, "'output_size' (position 2)", list(size), i)
    F.int64_ints(fn, "output_size", output_size if output_size.__class__ is int else size)
    if len(size) != k:
        raise GradvizError(f"{fn}(): internal error: output_size.size() must be {k}"
                           if fn.startswith("adaptive_max") else
                           f"{fn}: output_size must be {k}" if k == 2 else
                           f"{fn}() argument 'output_size' should contain one int (got "
                           f"{len(size)})", kind=RUNTIME, hint=f"{k} number(s): the output's size")
    size = tuple(size)
    if any(e < 0 for e in size):
        raise GradvizError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{', '.join(map(str, size))}}}", kind=RUNTIME,
                           hint="the output's size: 0 or more")
    return size


def list_with_default(fn: str, output_size, x):
    """An adaptive 2-d or 3-d pooling's output_size as torch.nn.functional's
    _list_with_default reads it before the C++ op: an int as it is, a
    sequence with None for the input's size there (shorter than the input's
    dims, else its ValueError)."""
    if isinstance(output_size, int) or F.is_tensor(output_size):
        return output_size
    if not isinstance(output_size, (tuple, list, str)):
        raise GradvizError(f"object of type '{F.arg_type_name(output_size)}' has no len()",
                           kind=TYPE, hint="output_size is a whole number, or one per dim")
    if x.ndim <= len(output_size):
        raise GradvizError(f"Input dimension should be at least {len(output_size) + 1}",
                           kind=VALUE, hint=f"{fn} pools (N, C, ...) or (C, ...) inputs")
    lead = x.ndim - len(output_size)
    return [x.shape[lead + i] if v is None else v for i, v in enumerate(output_size)]


def adaptive_input_check(fn: str, x, got: str) -> None:
    """An adaptive 2-d pooling's input: 3-d or 4-d (PyTorch's message says
    `got` before the shape), float, its last two dims not empty."""
    adaptive_rank_check(fn, x, got, 2)
    adaptive_dtype_check(fn, x)
    adaptive_empty_check(fn, x, 2)


def adaptive_rank_check(fn: str, x, got: str, k: int) -> None:
    """An adaptive k-d pooling's input has k + 1 or k + 2 dims."""
    if x.ndim not in (k + 1, k + 2):
        raise GradvizError(f"{fn}(): Expected {k + 1}D or {k + 2}D tensor, {got} "
                           f"{list(x.shape)}", kind=RUNTIME,
                           hint=f"it takes (N, C, {_SPATIAL[k][0]}) or (C, {_SPATIAL[k][0]})")


def adaptive_dtype_check(kernel: str, x) -> None:
    """An adaptive pooling's input is float (kernel: the C++ kernel PyTorch names)."""
    if x.dtype.kind != "f":
        raise GradvizError(f"\"{kernel}\" not implemented for '{F.type_word(x.dtype)}'",
                           kind="NotImplementedError", hint="pool a float tensor: x.float()")


def adaptive_empty_check(fn: str, x, k: int) -> None:
    """An adaptive k-d pooling's input has no empty pooled dim."""
    for d in range(x.ndim - k, x.ndim):
        if x.shape[d] == 0:
            raise GradvizError(f"{fn}(): Expected input to have non-zero size for non-batch "
                               f"dimensions, but input has sizes {list(x.shape)} with "
                               f"dimension {d} being empty", kind=RUNTIME,
                               hint="each window pools at least one number: the pooled "
                                    "dims cannot be empty")


def f_adaptive_avg_pool2d(rt, input, output_size):
    """F.adaptive_avg_pool2d: output_size windows per dim, the i-th over
    [floor(i*n/o), ceil((i+1)*n/o)); an output of 1x1 is PyTorch's mean
    over the last two dims (MeanBackward1)."""
    input = F._need_tensor(input, "adaptive_avg_pool2d")
    x = input.data
    size = _output_size("adaptive_avg_pool2d",
                        list_with_default("adaptive_avg_pool2d", output_size, x), x, 2)
    adaptive_input_check("adaptive_avg_pool2d", x, "but got")
    # (before the windows' index arrays, which are as long as the output)
    rt.tape.check_shape(x.shape[:-2] + size, "result")
    if size == (1, 1):
        return F.FUNCTIONS["mean"](rt, input, (-1, -2), True)
    return rt.apply(OPS["adaptive_avg_pool2d"], (input,), {"output_size": size})


# ---- the 1-d poolings: the 2-d ones on a row (x.unsqueeze(-2), then squeeze(-2)) ----

def _pool1d_input(input, fn: str):
    input = F._need_tensor(input, fn)
    x = input.data
    if x.ndim not in (2, 3) or (fn == "max_pool1d" and 0 in x.shape[-2:]):
        raise GradvizError(f"{fn}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.data.shape)}"
                           if fn == "max_pool1d" else
                           f"Expected 2 to 3 dimensions, but got {input.data.ndim}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {fn})",
                           kind=RUNTIME, hint=f"{fn} takes (N, C, L) or (C, L)")
    return input


# the argument positions PyTorch's parser names in a 1-d pooling's type errors
_POSITIONS_1D = {"max_pool1d": {"kernel_size": 2, "stride": 3, "padding": 4, "dilation": 5},
                 "avg_pool1d": {"kernel_size": 2, "stride": 3, "padding": 4}}


def _check_types(fn: str, given: dict, keywords=frozenset()) -> None:
    """PyTorch's argument parser's TypeErrors for a 1-d pooling's geometry
    arguments (given: name -> value), which come before the op's checks of
    the input; a position is named where PyTorch's call gives one (max_pool1d's
    Python passes its arguments on by position; avg_pool1d is called
    directly, so only an argument given by position has one)."""
    for name, v in given.items():
        if v is None:
            continue
        pos = _POSITIONS_1D[fn].get(name) if name not in keywords else None
        where = f"{fn}(): argument '{name}'" + (f" (position {pos})" if pos else "")
        hint = f"{name} is a whole number (one for a 1-d pooling)"
        if isinstance(v, (tuple, list)):
            for i, e in enumerate(v):
                if not isinstance(e, int):
                    raise GradvizError(f"{where} must be tuple of ints, but found element of "
                                       f"type {F.arg_type_name(e)} at pos {i}", kind=TYPE,
                                       hint=hint)
        elif not isinstance(v, int):
            raise GradvizError(f"{where} must be tuple of ints, not {F.arg_type_name(v)}",
                               kind=TYPE, hint=hint)
        F.int64_ints(fn, name, v)


def _one(fn: str, name: str, v, default=None):
    """A 1-d pooling's geometry argument (its type checked): its one int."""
    if v is None:
        return default
    if isinstance(v, (tuple, list)):
        if len(v) != 1 or not isinstance(v[0], int):
            raise GradvizError(f"{fn}() {name} must be an int, list of ints or tuple of ints of "
                               f"size 1 but got size {len(v)}", kind=RUNTIME,
                               hint=f"{name} is one number for a 1-d pooling")
        return v[0]
    return v


def f_max_pool1d(rt, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
    F._need_tensor(input, "max_pool1d")
    _check_types("max_pool1d", {"kernel_size": kernel_size, "stride": stride,
                                "padding": padding, "dilation": dilation})
    input = _pool1d_input(input, "max_pool1d")
    k = _one("max_pool1d", "kernel_size", kernel_size)
    s = _one("max_pool1d", "stride", stride, k)
    q = _one("max_pool1d", "padding", padding)
    d = _one("max_pool1d", "dilation", dilation)
    if isinstance(k, int) and k <= 0:
        raise GradvizError(f"max_pool1d() kernel_size must be greater than zero, but got {k}",
                           kind=RUNTIME, hint="a window of 1 or more")
    if isinstance(k, int) and isinstance(q, int) and q > k // 2:
        raise GradvizError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={q} and kernel_size={k}", kind=RUNTIME,
                           hint="padding adds at most half a window on each side")
    if isinstance(k, int) and isinstance(s, int) and s > 0:
        n = input.data.shape[-1]
        if pool_out(n, k, s, q, d, bool(ceil_mode)) < 1:
            raise GradvizError(f"max_pool1d() Invalid computed output size: "
                               f"{pool_out(n, k, s, q, d, bool(ceil_mode))}", kind=RUNTIME,
                               hint="the window must fit in the (padded) input")
    row = F.f_unsqueeze(rt, input, -2)
    out = f_max_pool2d(rt, row, (1, k), (1, s), (0, q), (1, d), ceil_mode, return_indices)
    if return_indices:
        return (F.f_squeeze(rt, out[0], -2), F.f_squeeze(rt, out[1], -2))
    return F.f_squeeze(rt, out, -2)


@F.keywords_seen
def f_avg_pool1d(rt, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, *, keywords=frozenset()):
    F._need_tensor(input, "avg_pool1d")
    _check_types("avg_pool1d", {"kernel_size": kernel_size, "stride": stride,
                                "padding": padding}, keywords)
    input = _pool1d_input(input, "avg_pool1d")
    k = _one("avg_pool1d", "kernel_size", kernel_size)
    s = _one("avg_pool1d", "stride", stride, k)
    q = _one("avg_pool1d", "padding", padding)
    row = F.f_unsqueeze(rt, input, -2)
    out = f_avg_pool2d(rt, row, (1, k), (1, s), (0, q), ceil_mode, count_include_pad)
    return F.f_squeeze(rt, out, -2)


def f_adaptive_avg_pool1d(rt, input, output_size):
    input = _pool1d_input(input, "adaptive_avg_pool1d")
    (size,) = _output_size("adaptive_avg_pool1d", output_size, input.data, 1)
    row = F.f_unsqueeze(rt, input, -2)
    return F.f_squeeze(rt, f_adaptive_avg_pool2d(rt, row, (1, size)), -2)


# torch.nn.functional.NAME -> its function; TORCH: those torch.NAME has too
FUNCTIONS = {"conv1d": f_conv1d, "conv2d": f_conv2d, "conv3d": f_conv3d, "pad": f_pad,
             "max_pool1d": f_max_pool1d, "max_pool2d": f_max_pool2d,
             "avg_pool1d": f_avg_pool1d, "avg_pool2d": f_avg_pool2d,
             "adaptive_avg_pool1d": f_adaptive_avg_pool1d,
             "adaptive_avg_pool2d": f_adaptive_avg_pool2d}
TORCH = ("conv1d", "conv2d", "conv3d", "max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d")
