"""torch.nn.functional's 3-d poolings (video and volume networks):
F.max_pool3d, F.avg_pool3d, F.adaptive_avg_pool3d and F.adaptive_max_pool3d,
their arguments checked in the order of PyTorch's CPU kernels (each 3-d
kernel has its own words: pool3d_shape_check's "kT: .. kH: .. kW: .."), then
the rank-generic ops of ops/pool.py and ops/im2col.py. An unbatched
(C, D, H, W) input is pooled as it is, as PyTorch's kernels take it."""
from __future__ import annotations

import numpy as np

from . import conv
from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS
from .ops.pool import _argmax, pool_out

# the argument positions PyTorch's parser names in a type error
_POSITIONS = {"kernel_size": 2, "stride": 3, "padding": 4, "dilation": 5}
# the words of each 3-d pooling's checks of a parameter's length
_LENGTHS = {
    "max_pool3d": {"kernel_size": "either be a single int, or a tuple of three ints",
                   "stride": "either be omitted, a single int, or a tuple of three ints",
                   "padding": "either be a single int, or a tuple of three ints",
                   "dilation": "be either a single int, or a tuple of three ints"},
    "avg_pool3d": {"kernel_size": "be a single int, or a tuple of three ints",
                   "stride": "be omitted, a single int, or a tuple of three ints",
                   "padding": "be a single int, or a tuple of three ints"}}
_NO_BATCH = "non-empty 4D or 5D (batch mode) tensor expected for input"


def _is_ints(v) -> bool:
    """An int, or a tuple or list of ints: what PyTorch's parser takes."""
    if isinstance(v, (tuple, list)):
        return all(isinstance(e, int) and not isinstance(e, bool) for e in v)
    return isinstance(v, int) and not isinstance(v, bool)


def _triple(fn: str, name: str, v) -> tuple:
    """A geometry parameter (its type checked) as three ints: one int stands
    for all three."""
    if isinstance(v, int):
        return (v,) * 3
    if len(v) not in (1, 3):
        raise GradvizError(f"{fn}: {name} must {_LENGTHS[fn][name]}", kind=RUNTIME,
                           hint=f"{name}=2 or {name}=(1, 2, 2)")
    return tuple(v) * 3 if len(v) == 1 else tuple(v)


def _thw(prefix: str, values) -> str:
    """pool3d_shape_check's words for a parameter per dim: kT: 2 kH: 2 kW: 2."""
    return " ".join(f"{prefix}{dim}: {v}" for dim, v in zip("THW", values))


def _geometry(fn: str, kernel_size, stride, padding, dilation=1, keywords=frozenset()) -> tuple:
    """(kernel, stride, padding, dilation), three ints each: their types
    checked before their lengths, as PyTorch's parser reads them first."""
    given = {"kernel_size": kernel_size, "stride": stride, "padding": padding,
             "dilation": dilation}
    if stride is None or stride == [] or stride == ():
        given["stride"] = kernel_size
    for name, v in given.items():
        if not _is_ints(v) and (name != "stride" or stride is not None):
            where = f"{fn}(): argument '{name}'" + (
                "" if name in keywords else f" (position {_POSITIONS[name]})")
            raise GradvizError(f"{where} must be tuple of ints, not {F.arg_type_name(v)}",
                               kind=TYPE, hint=f"{name} is a whole number, or three: "
                                               "(depth, height, width)")
        F.int64_ints(fn, name, v)
    return tuple(_triple(fn, name, v) for name, v in given.items())


def _output(fn: str, x, kernel, stride, padding, dilation, ceil: bool, check_size: bool) -> tuple:
    """The output's (D, H, W), after pooling_output_shape's checks (per dim,
    depth first) and pool3d_shape_check's, in their order."""
    if x.ndim not in (4, 5):
        raise GradvizError(_NO_BATCH, kind=RUNTIME, hint=f"{fn} takes (N, C, D, H, W) or "
                                                         "(C, D, H, W)")
    for k, s, q, d in zip(kernel, stride, padding, dilation):
        if s == 0:
            raise GradvizError("stride should not be zero", kind=RUNTIME,
                               hint="the stride is the step between windows: 1 or more")
        if q < 0:
            raise GradvizError(f"pad must be non-negative, but got pad: {q}", kind=RUNTIME,
                               hint="padding adds -inf (or zeros) around the input: 0 or more")
        if q > ((k - 1) * d + 1) // 2:
            raise GradvizError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={q}, kernel_size={k} and dilation={d}", kind=RUNTIME,
                               hint="padding adds at most half a window on each side")
    for what, prefix, values, hint in (
            ("kernel size", "k", kernel, "a window of 1 or more"),
            ("stride", "d", stride, "the stride is the step between windows: 1 or more"),
            ("dilation", "dilation", dilation, "dilation 1 is an ordinary window")):
        if any(v <= 0 for v in values):
            raise GradvizError(f"{what} should be greater than zero, but got "
                               f"{_thw(prefix, values)}", kind=RUNTIME, hint=hint)
    name = "max_pool3d_with_indices_out_cpu_template()" if fn == "max_pool3d" else f"{fn}()"
    if 0 in x.shape[x.ndim - 4:]:
        # (PyTorch's message names the empty dim's length, always 0)
        raise GradvizError(f"{name}: Expected input's non-batch dimensions to have positive "
                           f"length, but input has a shape of {list(x.shape)} and non-batch "
                           "dimension 0 has length zero!", kind=RUNTIME,
                           hint="only the batch dim N may be empty")
    size = x.shape[-3:]
    if check_size and any(n < k for n, k in zip(size, kernel)):
        raise GradvizError(f"input image ({_thw('', size)}) smaller "
                           f"than kernel size ({_thw('k', kernel)})", kind=RUNTIME,
                           hint="the window must fit in the input (without its padding)")
    if any(2 * q > k for k, q in zip(kernel, padding)):
        raise GradvizError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"kT: {kernel[0]} kW: {kernel[2]} kH: {kernel[1]} padT: {padding[0]} "
                           f"padW: {padding[2]} padH: {padding[1]}", kind=RUNTIME,
                           hint="padding adds at most half a window on each side")
    out = tuple(pool_out(n, k, s, q, d, ceil)
                for n, k, s, q, d in zip(size, kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        c = x.shape[-4]
        raise GradvizError(f"Given input size: ({'x'.join(map(str, (c,) + size))}). Calculated "
                           f"output size: ({'x'.join(map(str, (c,) + out))}). Output size is too "
                           "small", kind=RUNTIME, hint="the window must fit in the (padded) input")
    return out


def _not_bool(x, kernel: str) -> None:
    if x.dtype == np.bool_:
        raise GradvizError(f"\"{kernel}\" not implemented for 'Bool'", kind="NotImplementedError",
                           hint="pool a number tensor: x.float()")


def f_max_pool3d(rt, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
    """F.max_pool3d: each (depth, height, width) window's largest number
    (its first, in window order, where there are ties: where the gradient
    goes); with return_indices, its flat D*H*W position too."""
    input = F._need_tensor(input, "max_pool3d")
    geo = _geometry("max_pool3d", kernel_size, stride, padding, dilation)
    x = input.data
    _output("max_pool3d", x, *geo, bool(ceil_mode), check_size=False)
    _not_bool(x, "max_pool3d")
    params = conv._pool_params(*geo, bool(ceil_mode))
    out = rt.apply(OPS["max_pool3d"], (input,), params)
    if return_indices:
        where = _argmax(x, params, 3)[1].astype(np.int64)
        return out, F._leaf(rt, where, False, "indices")
    return out


@F.keywords_seen
def f_avg_pool3d(rt, input, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None, *, keywords=frozenset()):
    """F.avg_pool3d: each window's mean (divided by the whole window with
    the padding, unless count_include_pad=False, or by divisor_override)."""
    input = F._need_tensor(input, "avg_pool3d")
    geo = _geometry("avg_pool3d", kernel_size, stride, padding, keywords=keywords)
    if divisor_override is not None and (isinstance(divisor_override, bool) or
                                         not isinstance(divisor_override, int)):
        where = "" if "divisor_override" in keywords else " (position 7)"
        raise GradvizError(f"avg_pool3d(): argument 'divisor_override'{where} must be int, not "
                           f"{F.arg_type_name(divisor_override)}", kind=TYPE,
                           hint="divisor_override is a whole number to divide each sum by")
    if divisor_override == 0:
        raise GradvizError("divisor must be not zero", kind=RUNTIME,
                           hint="divisor_override=None divides by the window's size")
    x = input.data
    _output("avg_pool3d", x, *geo, bool(ceil_mode), check_size=True)
    _not_bool(x, "avg_pool3d_out_frame")
    params = conv._pool_params(*geo, bool(ceil_mode))
    params.pop("dilation", None)
    if not count_include_pad:
        params["count_include_pad"] = False
    if divisor_override is not None:
        params["divisor_override"] = divisor_override
    return rt.apply(OPS["avg_pool3d"], (input,), params)


# ---- adaptive poolings ---------------------------------------------------------------

def _adaptive_size(fn: str, output_size, x) -> tuple:
    """output_size as F's _list_with_default reads it (None: the input's
    size), then the C++ op's checks of its items and its length."""
    size = conv.list_with_default(fn, output_size, x)
    if not _is_ints(size):
        raise GradvizError(f"{fn}(): argument 'output_size' (position 2) must be tuple of ints, "
                           f"not {F.arg_type_name(output_size)}", kind=TYPE,
                           hint="output_size is a whole number, or three")
    F.int64_ints(fn, "output_size", size)
    size = _triple_size(size)
    if len(size) != 3:
        raise GradvizError(f"{fn}: output_size must be 3" if fn == "adaptive_avg_pool3d" else
                           f"{fn}(): internal error: output_size.size() must be 3", kind=RUNTIME,
                           hint="three numbers: the output's depth, height and width")
    if fn == "adaptive_avg_pool3d" and any(v < 0 for v in size):
        raise GradvizError(f"{fn}: elements of output_size must be greater than or equal to 0 "
                           f"but received {{{size[0]}, {size[1]},{size[2]}}}", kind=RUNTIME,
                           hint="the output's size: 0 or more")
    return size


def _triple_size(size) -> tuple:
    return (size,) * 3 if isinstance(size, int) else tuple(size)


def _adaptive_input(fn: str, x, got: str, size: tuple) -> None:
    """The 3-d kernels' checks of the input, in their order: its dims, no
    empty pooled dim, the output's shape, a float dtype."""
    conv.adaptive_rank_check(fn, x, got, 3)
    conv.adaptive_empty_check(fn, x, 3)
    if any(v < 0 for v in size):          # (only the max's: the average checked them first)
        shape = list(x.shape[:-3] + size)
        raise GradvizError(f"Trying to create tensor with negative dimension "
                           f"{next(v for v in size if v < 0)}: {shape}", kind=RUNTIME,
                           hint="the output's size: 0 or more")
    conv.adaptive_dtype_check(f"{fn}_cpu", x)


def f_adaptive_avg_pool3d(rt, input, output_size):
    """F.adaptive_avg_pool3d: output_size windows per dim, the i-th over
    [floor(i*n/o), ceil((i+1)*n/o)); an output of 1x1x1 is PyTorch's mean
    over the last three dims (MeanBackward1)."""
    input = F._need_tensor(input, "adaptive_avg_pool3d")
    x = input.data
    size = _adaptive_size("adaptive_avg_pool3d", output_size, x)
    _adaptive_input("adaptive_avg_pool3d", x, "but got", size)
    rt.tape.check_shape(x.shape[:-3] + size, "result")
    if size == (1, 1, 1):
        return F.FUNCTIONS["mean"](rt, input, (-1, -2, -3), True)
    return rt.apply(OPS["adaptive_avg_pool3d"], (input,), {"output_size": size})


def f_adaptive_max_pool3d(rt, input, output_size, return_indices=False):
    """F.adaptive_max_pool3d: each adaptive window's max (the first, NaN
    winning); with return_indices, its flat D*H*W position too."""
    from .ops.im2col import adaptive_max_indices
    input = F._need_tensor(input, "adaptive_max_pool3d")
    x = input.data
    size = _adaptive_size("adaptive_max_pool3d", output_size, x)
    _adaptive_input("adaptive_max_pool3d", x, "but got:", size)
    rt.tape.check_shape(x.shape[:-3] + size, "result")
    params = {"output_size": size}
    out = rt.apply(OPS["adaptive_max_pool3d"], (input,), params)
    if return_indices:
        return out, F._leaf(rt, adaptive_max_indices(x)(params), False, "indices")
    return out


FUNCTIONS = {"max_pool3d": f_max_pool3d, "avg_pool3d": f_avg_pool3d,
             "adaptive_avg_pool3d": f_adaptive_avg_pool3d,
             "adaptive_max_pool3d": f_adaptive_max_pool3d}
# torch.NAME too (torch.max_pool3d returns the values only)
TORCH = ("max_pool3d",)
