"""torch.nn.functional's resizing layers of the CNN tutorials (U-Nets,
super-resolution, GANs): F.interpolate (modes nearest, nearest-exact,
linear, bilinear, trilinear, area), its deprecated F.upsample, F.upsample_nearest and
F.upsample_bilinear, F.pixel_shuffle and F.pixel_unshuffle, and F.unfold
and F.fold (image patches as columns), with PyTorch's checks in the order
of its Python and ATen. The ops are in ops/nn_more.py and ops/im2col.py."""
from __future__ import annotations

import math

from . import conv
from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .tensor import Tensor
from .ops.im2col import adaptive_max_indices
from .ops.nn_more import _CHANNELS_LAST_MAX

_INTERPOLATING = "linear | bilinear | bicubic | trilinear"
_MODES = "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact"
# the modes gradviz runs, by the input's number of dims
_SUPPORTED = {(mode, n) for mode in ("nearest", "nearest-exact", "area") for n in (3, 4, 5)} | \
    {("linear", 3), ("bilinear", 4), ("trilinear", 5)}
_WRONG_DIMS = {"bilinear": 4, "trilinear": 5, "linear": 3}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sizes(input, size, scale_factor, dim: int):
    """interpolate's size= or scale_factor=, one per spatial dim: the output
    size (or None) and the scale factors (or None), as its Python reads them."""
    spatial = list(input.data.shape[2:])
    if size is not None and scale_factor is not None:
        raise GradvizError("only one of size or scale_factor should be defined", kind=VALUE,
                           hint="give the output size, or the factor to scale by, not both")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise GradvizError(
                    f"Input and output must have the same number of spatial dimensions, but got "
                    f"input with spatial dimensions of {spatial} and output size of {size!r}. "
                    "Please provide input tensor in (N, C, d1, d2, ...,dK) format and output "
                    "size in (o1, o2, ...,oK) format.", kind=VALUE,
                    hint=f"one size per spatial dim: {dim} here")
            if not all(_is_int(s) for s in size):
                raise GradvizError(
                    "expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                    "Tuple[int, int, int], but got size with types "
                    f"[{', '.join(repr(type(s)).replace('type', 'class') for s in size)}]",
                    kind=TYPE, hint="sizes are whole numbers")
            return list(size), None
        # (one size for every dim; one that is no int is the C++ op's error: _bad_sizes)
        return [size] * dim, None
    if scale_factor is None:
        raise GradvizError("either size or scale_factor should be defined", kind=VALUE,
                           hint="e.g. F.interpolate(x, scale_factor=2) or size=(8, 8)")
    if isinstance(scale_factor, (list, tuple)):
        if len(scale_factor) != dim:
            raise GradvizError(
                f"Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor!r}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.", kind=VALUE,
                hint=f"one factor per spatial dim: {dim} here")
        return None, [_scale(s, dim, pos) for pos, s in enumerate(scale_factor, 1)]
    if not _is_number(scale_factor):       # (the C++ op's error: _bad_sizes)
        return None, [scale_factor] * dim
    return None, [float(scale_factor)] * dim


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _scale(s, dim: int, pos: int) -> float:
    """A scale factor of a tuple, a number; else PyTorch's error from the
    C++ op (pos: its place in the tuple)."""
    if _is_number(s):
        return float(s)
    raise GradvizError(f"upsample_nearest{dim}d(): argument 'scale_factors' must be tuple of "
                       f"floats, but found element of type {F.arg_type_name(s)} at pos {pos}",
                       kind=TYPE, hint=_SCALE_HINT)


_SCALE_HINT = "scale_factor is a number, or one number per spatial dim: scale_factor=2.0"
# the C++ op each mode resizes with, by the input's spatial dims
_KERNELS = {("nearest", d): f"upsample_nearest{d}d" for d in (1, 2, 3)} | \
    {("nearest-exact", d): f"_upsample_nearest_exact{d}d" for d in (1, 2, 3)} | \
    {("linear", 1): "upsample_linear1d", ("bilinear", 2): "upsample_bilinear2d",
     ("bicubic", 2): "upsample_bicubic2d", ("trilinear", 3): "upsample_trilinear3d"}


def _bad_sizes(input, mode: str, dim: int, output_size, scales) -> GradvizError | None:
    """PyTorch's error for a size= or scale_factor= of the wrong type given
    as one value (interpolate's Python repeats it per dim and hands the list
    to the C++ op, whose argument parser refuses it); None if all are numbers."""
    by_size = output_size is not None
    given = output_size if by_size else scales
    if all((_is_int if by_size else _is_number)(v) for v in given):
        return None
    bad = given[0]
    if mode == "area" and by_size:
        return GradvizError(f"adaptive_avg_pool{dim}d(): argument 'output_size' (position 2) "
                            f"must be tuple of ints, but found element of type "
                            f"{F.arg_type_name(bad)} at pos 0", kind=TYPE,
                            hint="a size is a whole number; for a factor use scale_factor=")
    if mode == "area":
        # (its Python computes the output size: int(the input's size * the factor))
        if isinstance(bad, str):
            return GradvizError(f"invalid literal for int() with base 10: "
                                f"{bad * input.data.shape[2]!r}", kind=VALUE, hint=_SCALE_HINT)
        return GradvizError(f"unsupported operand type(s) for *: 'int' and "
                            f"'{F.arg_type_name(bad)}'", kind=TYPE, hint=_SCALE_HINT)
    kernel = _KERNELS.get((mode, dim))
    aligned = ", bool align_corners" if mode in _INTERPOLATING else ""
    bool_arg = ", bool" if aligned else ""
    listed = f"!list of [{', '.join([F.arg_type_name(bad)] * dim)}]!"
    got, marked = (("list", "NoneType"), (listed, "!NoneType!")) if by_size else \
        (("NoneType", "list"), ("!NoneType!", listed))
    scale_args = ", ".join(f"float scales{f'_{n}' if dim > 1 else ''} = None"
                           for n in "dhw"[3 - dim:])
    return GradvizError(
        f"{kernel}() received an invalid combination of arguments - got (Tensor, {got[0]}"
        f"{bool_arg}, {got[1]}), but expected one of:\n"
        f" * (Tensor input, tuple of ints output_size{aligned}, tuple of floats scale_factors)\n"
        f"      didn't match because some of the arguments have invalid types: (Tensor, "
        f"{marked[0]}{bool_arg}, {marked[1]})\n"
        f" * (Tensor input, tuple of ints output_size{aligned}, {scale_args}, *, Tensor out = "
        f"None)\n", kind=TYPE,
        hint="a size is a whole number; for a factor use scale_factor=" if by_size else
        _SCALE_HINT)


def f_interpolate(rt, input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                  recompute_scale_factor=None, antialias=False):
    """F.interpolate: resize the spatial dims of an (N, C, L), (N, C, H, W)
    or (N, C, D, H, W) input; one Upsample...Backward0 node (area: adaptive
    average pooling)."""
    input = F._need_tensor(input, "interpolate")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise GradvizError(f"align_corners option can only be set with the interpolating "
                               f"modes: {_INTERPOLATING}", kind=VALUE,
                               hint=f"mode='{mode}' copies values: leave align_corners out")
    elif align_corners is None:
        align_corners = False
    ndim = input.data.ndim
    dim = ndim - 2
    output_size, scales = _sizes(input, size, scale_factor, dim)
    bad = _bad_sizes(input, mode, dim, output_size, scales)
    if bad is not None:
        if mode != "area" and (mode, dim) not in _KERNELS:
            _mode_error(mode, ndim)
        raise bad
    if recompute_scale_factor and size is not None:
        raise GradvizError("recompute_scale_factor is not meaningful with an explicit size.",
                           kind=VALUE, hint="leave recompute_scale_factor out with size=")
    if scales is not None and not all(
            math.isfinite(f) and abs(input.data.shape[i + 2] * f) < 2.0 ** 63
            for i, f in enumerate(scales)):
        # (the C++ op's output size, the input's times the factor, as an int64)
        raise GradvizError("value cannot be converted to type int64_t without overflow",
                           kind=RUNTIME, hint="scale_factor is a finite number: 2.0")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        output_size = [math.floor(input.data.shape[i + 2] * scales[i]) for i in range(dim)]
        scales = None
    if antialias:
        raise GradvizError("interpolate(antialias=True) is not supported", kind=TYPE,
                           hint="gradviz resizes without antialiasing: leave antialias out")
    if (mode, ndim) not in _SUPPORTED:
        _mode_error(mode, ndim)
    if output_size is None:       # the C++ op's own size: the input's times the factor
        output_size = [int(input.data.shape[i + 2] * scales[i]) for i in range(dim)]
    if mode == "area":
        pool = F.NN_FUNCTIONAL[f"adaptive_avg_pool{dim}d"]
        return pool(rt, input, output_size[0] if dim == 1 else tuple(output_size))
    _check_sizes(input, output_size)
    # the result's size within the limits before the index arrays are made
    rt.tape.check_shape((*input.data.shape[:2], *output_size), "result")
    if input.data.dtype.kind != "f":
        # (named by the kernel that refuses it: the channels-last one for a
        # small 2-d output, else the one that computes the source indices)
        linear = mode in ("linear", "bilinear", "trilinear")
        kernel = (f"upsample_{'bilinear' if linear else 'nearest'}2d_channels_last"
                  if dim == 2 and sum(output_size) <= _CHANNELS_LAST_MAX else
                  f"compute_indices_weights_{'linear' if linear else 'nearest'}")
        raise GradvizError(f"\"{kernel}\" not implemented for '{F.type_word(input.data.dtype)}'",
                           kind="NotImplementedError", hint="resize a float tensor: x.float()")
    params = {"size": tuple(output_size), "scales": None if scales is None else tuple(scales)}
    if mode in ("nearest", "nearest-exact"):
        return rt.apply(OPS["upsample_nearest"], (input,),
                        {**params, "exact": mode == "nearest-exact"})
    return rt.apply(OPS["upsample_linear"], (input,),
                    {**params, "align_corners": bool(align_corners)})


def _mode_error(mode: str, ndim: int):
    """PyTorch's NotImplementedError for a mode this input's dims do not take."""
    if mode in _WRONG_DIMS and ndim in (3, 4, 5) and _WRONG_DIMS[mode] != ndim:
        raise GradvizError(f"Got {ndim}D input, but {mode} mode needs {_WRONG_DIMS[mode]}D input",
                           kind="NotImplementedError",
                           hint="linear takes (N, C, L), bilinear (N, C, H, W), trilinear "
                                "(N, C, D, H, W)")
    # (what PyTorch runs and gradviz does not; bicubic and lanczos of other
    # dims fall to PyTorch's "Input Error")
    if (mode, ndim) in (("bicubic", 4), ("lanczos", 4)):
        raise GradvizError(f"interpolate(mode='{mode}') of a {ndim}-d input is not supported",
                           kind=TYPE, hint="gradviz resizes with nearest, nearest-exact, "
                                           "linear, bilinear, trilinear or area")
    raise GradvizError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {ndim}D) "
                       f"for the modes: {_MODES} (got {mode})", kind="NotImplementedError",
                       hint="a batch of images is (N, C, H, W); add the batch dim with "
                            "x.unsqueeze(0)")


def _check_sizes(input, output_size) -> None:
    """upsample's check that no size is 0, worded with PyTorch's dims."""
    ins = input.data.shape[2:]
    if all(s > 0 for s in ins) and all(s > 0 for s in output_size):
        return
    names = ("D", "H", "W")[3 - len(ins):]
    text_in = ", ".join(f"{n}: {s}" for n, s in zip(names, ins))
    text_out = ", ".join(f"{n}: {s}" for n, s in zip(names, output_size))
    raise GradvizError(f"Input and output sizes should be greater than 0, but got input "
                       f"({text_in}) output ({text_out})", kind=RUNTIME,
                       hint="the scale factor makes a size of 0: use a larger one, or size=")


def _deprecated(name: str, mode: str | None, align_corners=None):
    """F.upsample, F.upsample_nearest, F.upsample_bilinear: interpolate,
    with PyTorch's deprecation warning."""
    def f(rt, input, size=None, scale_factor=None, mode=mode, align_corners=align_corners):
        if input.__class__ is Tensor:      # (a warning is tied to a tensor; else the error below)
            rt.log_event("user_warning", input, message=f"`nn.functional.{name}` is deprecated. "
                                                        "Use `nn.functional.interpolate` instead.")
        return f_interpolate(rt, input, size, scale_factor, mode, align_corners)
    if name != "upsample":       # (their signature is (input, size, scale_factor))
        def fixed(rt, input, size=None, scale_factor=None):
            return f(rt, input, size, scale_factor)
        fixed.__name__ = name
        return fixed
    f.__name__ = name
    return f


# ---- pixel_shuffle ------------------------------------------------------------

def _factor_arg(fn: str, name: str, v) -> int:
    if not _is_int(v):
        raise GradvizError(f"{fn}(): argument '{name}' (position 2) must be int, not "
                           f"{F.arg_type_name(v)}", kind=TYPE, hint=f"{name} is a whole number")
    if v <= 0:
        raise GradvizError(f"{fn} expects a positive {name}, but got {v}", kind=RUNTIME,
                           hint=f"{name} is at least 1")
    return v


def _pixel_input(fn: str, input, name: str, factor) -> tuple:
    """pixel_(un)shuffle's tensor (at least 3-d) and its factor."""
    input = F._need_tensor(input, fn)
    r = _factor_arg(fn, name, factor)
    if input.data.ndim < 3:
        raise GradvizError(f"{fn} expects input to have at least 3 dimensions, but got input "
                           f"with {input.data.ndim} dimension(s)", kind=RUNTIME,
                           hint="the input is (N, C, H, W) or (C, H, W)")
    return input, r


def f_pixel_shuffle(rt, input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each r x r block of outputs from
    r^2 channels (sub-pixel convolution); one PixelShuffleBackward0 node."""
    input, r = _pixel_input("pixel_shuffle", input, "upscale_factor", upscale_factor)
    channels = input.data.shape[-3]
    if channels % (r * r):
        raise GradvizError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)="
                           f"{channels} is not divisible by {r * r}", kind=RUNTIME,
                           hint=f"the channels are C * {r}^2")
    return rt.apply(OPS["pixel_shuffle"], (input,), {"factor": r})


def f_pixel_unshuffle(rt, input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): pixel_shuffle undone."""
    input, r = _pixel_input("pixel_unshuffle", input, "downscale_factor", downscale_factor)
    for dim, which in ((-2, "height"), (-1, "width")):
        n = input.data.shape[dim]
        if n % r:
            raise GradvizError(f"pixel_unshuffle expects {which} to be divisible by "
                               f"downscale_factor, but input.size({dim})={n} is not "
                               f"divisible by {r}", kind=RUNTIME,
                               hint=f"the {which} is a multiple of {r}")
    return rt.apply(OPS["pixel_unshuffle"], (input,), {"factor": r})


# ---- channel_shuffle ----------------------------------------------------------

def f_channel_shuffle(rt, input, groups):
    """(N, C, *) -> the channels in `groups` groups read one of each group in
    turn (ShuffleNet's); one ChannelShuffleBackward0 node."""
    input = F._need_tensor(input, "channel_shuffle")
    if not _is_int(groups):
        raise GradvizError("channel_shuffle(): argument 'groups' (position 2) must be int, not "
                           f"{F.arg_type_name(groups)}", kind=TYPE, hint="groups is a whole number")
    shape = input.data.shape
    if len(shape) <= 2:
        raise GradvizError(f"channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(shape)}", kind=RUNTIME,
                           hint="the input is (N, C, *): a batch of channels")
    if groups <= 0:
        raise GradvizError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}", kind=RUNTIME, hint="groups is at least 1")
    if shape[1] % groups:
        raise GradvizError(f"Number of channels must be divisible by groups. Got {shape[1]} "
                           f"channels and {groups} groups.", kind=RUNTIME,
                           hint=f"the channels are {groups} groups of the same size")
    return rt.apply(OPS["channel_shuffle"], (input,), {"groups": groups})


# ---- unfold / fold ---------------------------------------------------------------

def _pair(fn: str, name: str, v) -> tuple:
    """An int or a pair of ints (PyTorch's _pair), as lp_pool2d reads its
    kernel_size (F.fold and F.unfold: _kernel_pairs)."""
    pair = tuple(v) if isinstance(v, (tuple, list)) else (v, v)
    if len(pair) != 2 or not all(_is_int(k) for k in pair):
        raise GradvizError(f"{fn}(): argument '{name}' must be tuple of ints, not "
                           f"{F.arg_type_name(v)}", kind=TYPE,
                           hint=f"{name} is an int or a pair of ints")
    for pos, k in enumerate(pair):
        if not -2**63 <= k < 2**63:       # (PyTorch's ints are int64)
            raise GradvizError(f"{fn}(): argument '{name}' failed to unpack the object at "
                               f"pos {pos + 1} with error \"Overflow when unpacking long long\"",
                               kind=TYPE, hint=f"{name} is a small int or a pair of them")
    return pair


# F.unfold and F.fold hand their arguments on, each made a pair, to PyTorch's
# im2col and col2im, whose argument errors name them and count these places
# (the input is the first)
_BLOCK_KERNELS = {"unfold": "im2col", "fold": "col2im"}
_PLACES = {"unfold": ("kernel_size", "dilation", "padding", "stride"),
           "fold": ("output_size", "kernel_size", "dilation", "padding", "stride")}


def _kernel_pairs(fn: str, *values) -> list:
    """fn's arguments after its input as PyTorch's _pair makes them (an int
    twice, a tuple's or list's items), all read as its kernel's parser reads
    a tuple of ints before any is checked to be two long."""
    kernel = _BLOCK_KERNELS[fn]
    pairs = [_int_items(kernel, name, pos, tuple(v) if isinstance(v, (tuple, list)) else (v, v))
             for pos, (name, v) in enumerate(zip(_PLACES[fn], values), start=2)]
    for name, pair in zip(_PLACES[fn], pairs):
        if len(pair) != 2:
            raise GradvizError(f"It is expected {name} equals to 2, but got size {len(pair)}",
                               kind=RUNTIME, hint=f"{name} is an int or a pair of ints")
    return pairs


def _blocks_input(fn: str, input) -> Tensor:
    """input, a tensor; else the TypeError of fn's kernel."""
    if not F.is_tensor(input):
        raise GradvizError(f"{_BLOCK_KERNELS[fn]}(): argument 'input' (position 1) must be Tensor, "
                           f"not {F.arg_type_name(input)}", kind=TYPE,
                           hint=f"F.{fn}'s first argument is a tensor")
    return input


def _int_items(kernel: str, name: str, pos: int, items: tuple) -> tuple:
    """items, each an int in int64's range, or the parser's TypeError (which
    takes a bool past the first item)."""
    for at, k in enumerate(items):
        if not (_is_int(k) or at and isinstance(k, bool)):
            bad = F.arg_type_name(k)
            raise GradvizError(
                f"{kernel}(): argument '{name}' (position {pos}) must be tuple of ints, but "
                f"found element of type {bad} at pos 0" if at == 0 else
                f"{kernel}(): argument '{name}' failed to unpack the object at pos {at + 1} "
                f"with error \"type must be tuple of ints,but got {bad}\"", kind=TYPE,
                hint=f"{name} is an int or a pair of ints")
        if not -2**63 <= k < 2**63:       # (PyTorch's ints are int64)
            raise GradvizError(f"{kernel}(): argument '{name}' failed to unpack the object at "
                               f"pos {at + 1} with error \"Overflow when unpacking long long\"",
                               kind=TYPE, hint=f"{name} is a small int or a pair of them")
    return tuple(int(k) for k in items)


def _geometry(kernel, dilation, padding, stride) -> dict:
    """The blocks' geometry (pairs of ints), checked in PyTorch's order (its
    shape check)."""
    p = {"kernel": kernel, "dilation": dilation, "padding": padding, "stride": stride}
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = p["kernel"], p["dilation"], p["padding"], \
        p["stride"]
    for ok, text in ((kh > 0 and kw > 0, f"kernel size should be greater than zero, but got "
                                         f"kernel_height: {kh} kernel_width: {kw}"),
                     (dh > 0 and dw > 0, f"dilation should be greater than zero, but got "
                                         f"dilation_height: {dh} dilation_width: {dw}"),
                     (ph >= 0 and pw >= 0, f"padding should be non-negative, but got "
                                           f"pad_height: {ph} pad_width: {pw}"),
                     (sh > 0 and sw > 0, f"stride should be greater than zero, but got "
                                         f"stride_height: {sh} stride_width: {sw}")):
        if not ok:
            raise GradvizError(text, kind=RUNTIME, hint="the block's sizes are positive "
                                                        "(padding at least 0)")
    return p


def _geometry_text(p: dict) -> str:
    return (f"kernel_size=({p['kernel'][0]}, {p['kernel'][1]}), dilation=({p['dilation'][0]}, "
            f"{p['dilation'][1]}), padding=({p['padding'][0]}, {p['padding'][1]})")


def _blocks(size, p) -> tuple:
    return tuple((s + 2 * pad - d * (k - 1) - 1) // st + 1 for s, k, d, pad, st in
                 zip(size, p["kernel"], p["dilation"], p["padding"], p["stride"]))


def _float_blocks(x, kernel: str):
    if x.data.dtype.kind != "f":
        raise GradvizError(f"\"{kernel}\" not implemented for '{F.type_word(x.data.dtype)}'",
                           kind="NotImplementedError", hint="make it a float tensor: x.float()")


def f_unfold(rt, input, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C, H, W) -> (N, C * kh * kw, L): each sliding block a column
    (im2col), L the number of blocks; one Im2ColBackward0 node."""
    input = _blocks_input("unfold", input)
    p = _geometry(*_kernel_pairs("unfold", kernel_size, dilation, padding, stride))
    shape = input.data.shape
    if len(shape) < 3:
        # (PyTorch's first read of a dim the input lacks: dim 1 of a 0-d, dim n of an n-d)
        raise GradvizError("Dimension specified as 1 but tensor has no dimensions" if not shape
                           else f"Dimension out of range (expected to be in range of "
                                f"[{-len(shape)}, {len(shape) - 1}], but got {len(shape)})",
                           kind="IndexError", hint="unfold takes (N, C, H, W) or (C, H, W)")
    if len(shape) > 4 or 0 in shape[-3:]:
        raise GradvizError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: {list(shape)}",
                           kind=RUNTIME, hint="unfold takes (N, C, H, W) or (C, H, W)")
    size = shape[-2:]
    oh, ow = _blocks(size, p)
    if oh < 1 or ow < 1:
        raise GradvizError(f"Given input with spatial size ({size[0]}, {size[1]}), "
                           f"{_geometry_text(p)}, calculated shape of the array of sliding "
                           f"blocks as ({oh}, {ow}), but its components must be at least one.",
                           kind=RUNTIME, hint="the kernel (dilated) is larger than the padded "
                                              "input")
    _float_blocks(input, "im2col_out_cpu")
    (kh, kw) = p["kernel"]
    rt.tape.check_shape((*shape[:-3], shape[-3] * kh * kw, oh * ow))   # (before the copies)
    return rt.apply(OPS["im2col"], (input,), p)


def f_fold(rt, input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """(N, C * kh * kw, L) -> (N, C, H, W): the columns added back into the
    image where their blocks overlap (col2im); one Col2ImBackward0 node."""
    input = _blocks_input("fold", input)
    size, *geometry = _kernel_pairs("fold", output_size, kernel_size, dilation, padding, stride)
    p = _geometry(*geometry)
    shape = input.data.shape
    if len(shape) not in (2, 3) or 0 in shape[-2:]:
        raise GradvizError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(shape)}",
                           kind=RUNTIME, hint="fold takes (N, C * kh * kw, L) or (C * kh * kw, L)")
    kh, kw = p["kernel"]
    planes, length = shape[-2:]
    if planes % (kh * kw):
        raise GradvizError(f"Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={planes} and "
                           f"kernel_size=({kh}, {kw}).", kind=RUNTIME,
                           hint="dim 1 holds C * kh * kw numbers per block")
    bh, bw = _blocks(size, p)
    stride_text = f"stride=({p['stride'][0]}, {p['stride'][1]})"
    if length != bh * bw:
        raise GradvizError(f"Given output_size=({size[0]}, {size[1]}), {_geometry_text(p)}, "
                           f"{stride_text}, expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {bh} * {bw} = {bh * bw}, but got "
                           f"input.size(2)={length}.", kind=RUNTIME,
                           hint="one column per block of the output image")
    if bh < 1 or bw < 1:
        raise GradvizError(f"Given output_size=({size[0]}, {size[1]}), {_geometry_text(p)}, "
                           f"{stride_text}, calculated shape of the array of sliding blocks as "
                           f"({bh}, {bw}), which is invalid.", kind=RUNTIME,
                           hint="the kernel (dilated) is larger than the padded output")
    if size[0] <= 0 or size[1] <= 0:     # (after the blocks' checks, as col2im makes them)
        raise GradvizError(f"Expected output spatial size to be positive, but got: "
                           f"output_size=({size[0]}, {size[1]}).", kind=RUNTIME,
                           hint="the image's height and width are positive")
    _float_blocks(input, "col2im_out_cpu")
    (ph, pw) = p["padding"]           # (the image and its padded copy, before they are made)
    for h, w in ((size[0], size[1]), (size[0] + 2 * ph, size[1] + 2 * pw)):
        rt.tape.check_shape((*shape[:-2], planes // (kh * kw), h, w))
    return rt.apply(OPS["col2im"], (input,), {**p, "size": size})


# ---- adaptive max pooling -----------------------------------------------------------

def f_adaptive_max_pool2d(rt, input, output_size, return_indices=False):
    """Each of output_size windows per dim (the i-th over [floor(i n / o),
    ceil((i + 1) n / o))) to its max; one AdaptiveMaxPool2DBackward0 node
    (with return_indices, also each max's flat position h * W + w)."""
    input = F._need_tensor(input, "adaptive_max_pool2d")
    x = input.data
    size = conv._output_size("adaptive_max_pool2d",
                             conv.list_with_default("adaptive_max_pool2d", output_size, x), x, 2)
    conv.adaptive_input_check("adaptive_max_pool2d", x, "but got:")
    rt.tape.check_shape((*x.shape[:-2], *size))       # (before the windows are walked)
    params = {"output_size": size}
    out = rt.apply(OPS["adaptive_max_pool2d"], (input,), params)
    if not return_indices:
        return out
    return out, F._leaf(rt, adaptive_max_indices(x)(params), False, "indices")


def f_adaptive_max_pool1d(rt, input, output_size, return_indices=False):
    """adaptive_max_pool2d on a row: unsqueeze(-2), then squeeze(-2), as PyTorch's."""
    input = conv._pool1d_input(input, "adaptive_max_pool1d")
    (size,) = conv._output_size("adaptive_max_pool1d", output_size, input.data, 1)
    out = f_adaptive_max_pool2d(rt, F.f_unsqueeze(rt, input, -2), (1, size), return_indices)
    if return_indices:
        return F.f_squeeze(rt, out[0], -2), F.f_squeeze(rt, out[1], -2)
    return F.f_squeeze(rt, out, -2)


# ---- power-average pooling -----------------------------------------------------------

def _lp_pool(rt, dims: int, input, norm_type, kernel_size, stride, ceil_mode):
    """(sum of x^p over each window)^(1/p), as PyTorch's Python composes it:
    avg_pool of x.pow(p), sign(out) * relu(|out|), times the window's size,
    .pow(1 / p); p = inf is max_pool of |x| (-inf: minus max_pool of -|x|)."""
    fn = F.FUNCTIONS
    max_pool = conv.f_max_pool1d if dims == 1 else conv.f_max_pool2d
    avg_pool = conv.f_avg_pool1d if dims == 1 else conv.f_avg_pool2d
    input = F._need_tensor(input, f"lp_pool{dims}d")
    if norm_type in (math.inf, -math.inf):
        sign = 1 if norm_type > 0 else -1
        magnitude = fn["abs"](rt, input)
        out = max_pool(rt, magnitude if sign > 0 else fn["neg"](rt, magnitude), kernel_size,
                       stride, 0, 1, ceil_mode)
        return out if sign > 0 else fn["neg"](rt, out)
    out = avg_pool(rt, fn["pow"](rt, input, norm_type), kernel_size, stride, 0, ceil_mode)
    size = kernel_size if dims == 1 else math.prod(_pair("lp_pool2d", "kernel_size",
                                                         kernel_size))
    out = rt.binary("*", fn["sign"](rt, out), fn["relu"](rt, fn["abs"](rt, out)))
    return fn["pow"](rt, rt.binary("*", out, size), 1.0 / norm_type)


def f_lp_pool1d(rt, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(rt, 1, input, norm_type, kernel_size, stride, ceil_mode)


def f_lp_pool2d(rt, input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_pool(rt, 2, input, norm_type, kernel_size, stride, ceil_mode)


FUNCTIONS = {"interpolate": f_interpolate, "upsample": _deprecated("upsample", "nearest"),
             "upsample_nearest": _deprecated("upsample_nearest", "nearest"),
             "upsample_bilinear": _deprecated("upsample_bilinear", "bilinear", True),
             "pixel_shuffle": f_pixel_shuffle, "pixel_unshuffle": f_pixel_unshuffle,
             "channel_shuffle": f_channel_shuffle, "unfold": f_unfold, "fold": f_fold,
             "adaptive_max_pool1d": f_adaptive_max_pool1d,
             "adaptive_max_pool2d": f_adaptive_max_pool2d,
             "lp_pool1d": f_lp_pool1d, "lp_pool2d": f_lp_pool2d}
# torch.pixel_shuffle, torch.pixel_unshuffle and torch.channel_shuffle too
TORCH = ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle")


def torch_adaptive_max_pool1d(rt, input, output_size):
    """torch.adaptive_max_pool1d: the values and the indices, always."""
    return f_adaptive_max_pool1d(rt, input, output_size, True)
