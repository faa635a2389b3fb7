"""One-node ops of torch.nn.functional's vision and metric-learning layers:
soft_margin_loss, pixel_shuffle / pixel_unshuffle, and the upsamplings of
F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear)."""
from __future__ import annotations

import itertools
from functools import reduce

import numpy as np

from .nn import _loss_total
from .pool import flat_position, grid
from .registry import FLOAT, OPS, SAME, defop


def _exp(x):
    return OPS["exp"].forward([x], {})


def _log1p(x):
    return OPS["log1p"].forward([x], {})


# ---- soft_margin_loss: inputs (input, target); p["reduction"] ---------------
# target broadcasts to the input's shape (not the other way, as PyTorch's out=)

def _soft_margin_fwd(xs, p):
    x, y = xs
    dt = np.result_type(x, y)
    loss = _log1p(_exp((-x * y).astype(dt, copy=False)))
    return loss if p["reduction"] == "none" else _loss_total(loss, p["reduction"])


def _soft_margin_vjp(g, ans, xs, p):
    """PyTorch's soft_margin_loss_backward: target * z * -norm / (1 + z) * g,
    z = exp(-target * x), in that order."""
    x, y = xs
    dt = np.result_type(x, y)
    y = np.broadcast_to(y, x.shape).astype(dt, copy=False)
    norm = dt.type(1.0 / x.size) if p["reduction"] == "mean" else dt.type(1)
    z = _exp((-y * x).astype(dt, copy=False))
    out = (y * z * -norm) / (z + dt.type(1)) * np.asarray(g, dt)
    return out.astype(dt, copy=False)


def _soft_margin_jvp(t, ans, xs, p):
    d = _soft_margin_vjp(np.ones((), ans.dtype), ans, xs, {"reduction": "none"}) * t
    return d if p["reduction"] == "none" else _loss_total(d, p["reduction"])


defop("soft_margin_loss", "SoftMarginLossBackward0", _soft_margin_fwd,
      vjp=(_soft_margin_vjp, None), jvp=(_soft_margin_jvp, None), saved=("01", "01"),
      formula=("d log(1 + exp(-y x))/dx = -y exp(-y x) / (1 + exp(-y x))",),
      symbol="soft_margin_loss", dtype_rule=FLOAT)


# ---- upsampling (F.interpolate): input (N, C, L) or (N, C, H, W) -------------
# p: "size" the output's spatial sizes, "scales" the scale factors given
# (None each where the size was given), "exact" (nearest-exact),
# "align_corners" (linear). PyTorch's CPU kernels compute the source
# positions in float32 (with a fused multiply-add where its compiler
# contracts one), which these follow to the last bit.

_F32 = np.float32


def _fma(a, b, c):
    """a * b + c rounded once for float32 operands (exact in float64);
    float64 ones are rounded twice (numpy has no fused multiply-add)."""
    a = np.asarray(a)
    if a.dtype == np.float64:
        return a * b + c
    return (a.astype(np.float64) * b + c).astype(_F32)


def _scale(in_size: int, out_size: int, scale, dt=_F32):
    """compute_scales_value: 1 / the given scale factor, else in / out (in
    the kernel's type: float32, or float64 for a float64 input)."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(in_size) / dt(out_size)


def _nearest_axis(in_size: int, out_size: int, scale, exact: bool) -> np.ndarray:
    """Each output position's source: floor(o * scale) (nearest-exact:
    floor((o + 0.5) * scale)), at most the last input position."""
    o = np.arange(out_size)
    if not exact and out_size == in_size:
        return o
    if not exact and out_size == 2 * in_size:
        return o >> 1
    s = _scale(in_size, out_size, scale)
    # (o + 0.5) is a double in PyTorch's source: the product is rounded
    # to float32 once, for floorf
    pos = (o + 0.5) * np.float64(s) if exact else o.astype(_F32) * s
    return np.minimum(np.floor(pos.astype(_F32)).astype(np.int64), in_size - 1)


def _linear_axis(in_size: int, out_size: int, align: bool, scale, dt=_F32) -> tuple:
    """compute_source_index_and_lambda for each output position: the two
    source positions and their weights (in the kernel's type, PyTorch's
    steps)."""
    o = np.arange(out_size)
    if out_size == in_size:
        return o, o, np.ones(out_size, dt), np.zeros(out_size, dt)
    if align:
        ratio = dt(in_size - 1) / dt(out_size - 1) if out_size > 1 else dt(0)
        real = (ratio * o.astype(dt)).astype(dt)
    else:
        ratio = _scale(in_size, out_size, scale, dt)
        real = np.maximum(_fma(ratio, o.astype(dt) + dt(0.5), dt(-0.5)), dt(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), in_size - 1)
    lam1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    i1 = i0 + (i0 < in_size - 1)
    return i0, i1, (dt(1) - lam1).astype(dt), lam1


def _spatial(x, p):
    return x.shape[2:], tuple(p["size"]), p.get("scales") or (None,) * (x.ndim - 2)


def _nearest_index(x, p) -> np.ndarray:
    """The flat source position (within one channel) of each output one."""
    ins, outs, scales = _spatial(x, p)
    axes = [_nearest_axis(i, o, s, p.get("exact", False)) for i, o, s in zip(ins, outs, scales)]
    return np.broadcast_to(flat_position(grid(axes), ins), tuple(outs)).reshape(-1)


def _nearest_fwd(xs, p):
    x = xs[0]
    planes = x.reshape(x.shape[:2] + (-1,))
    # (numpy's fancy indexing may lay the result out in another order: the
    # strides decide the order of a later sum's additions)
    out = np.ascontiguousarray(planes[..., _nearest_index(x, p)])
    return out.reshape(x.shape[:2] + tuple(p["size"]))


def _scatter_planes(x, index, g_planes, weights=None):
    """Each output's gradient added into its source (weights: as
    acc = fma(weight, g, acc)), in the output's order as PyTorch's backward
    kernel adds them, the same in every (n, c) plane."""
    out = np.zeros((x.shape[0] * x.shape[1], int(np.prod(x.shape[2:]))), g_planes.dtype)
    if weights is None:
        np.add.at(out, (np.arange(out.shape[0])[:, None], index[None, :]), g_planes)
        return out.reshape(x.shape)
    # in rounds: round r adds each source's r-th term, so that a round's
    # sources are distinct and one vector step adds them all
    order = np.argsort(index, kind="stable")
    starts = np.searchsorted(index[order], index[order])
    rank = np.empty_like(index)
    rank[order] = np.arange(index.size) - starts
    for r in range(int(rank.max()) + 1 if rank.size else 0):
        pick = rank == r
        src = index[pick]
        out[:, src] = _fma(weights[pick], g_planes[:, pick], out[:, src])
    return out.reshape(x.shape)


def _nearest_vjp(g, ans, xs, p):
    x = xs[0]
    g = np.asarray(g, x.dtype).reshape(x.shape[0] * x.shape[1], -1)
    return _scatter_planes(x, _nearest_index(x, p), g)


def _nearest_grad_fn(t) -> str:
    dims = t.args[0].data.ndim - 2
    return f"UpsampleNearest{'Exact' if t.params.get('exact') else ''}{dims}DBackward0"


defop("upsample_nearest", _nearest_grad_fn, _nearest_fwd, vjp=(_nearest_vjp,),
      jvp=(lambda t, ans, xs, p: _nearest_fwd([t], p),), saves=False,
      formula=("d out/d x = each output's gradient added into the input it copies",),
      symbol="F.interpolate", dtype_rule=SAME)


def _linear_axes(x, p):
    ins, outs, scales = _spatial(x, p)
    dt = x.dtype.type
    return [_linear_axis(i, o, p["align_corners"], s, dt) for i, o, s in zip(ins, outs, scales)]


# PyTorch's bilinear kernel for a small output (height + width at most this)
# is its channels-last one, with its own order of the four products
_CHANNELS_LAST_MAX = 128


def _linear_fwd(xs, p):
    return np.ascontiguousarray(_linear_values(xs[0], p))


def _linear_values(x, p):
    axes = _linear_axes(x, p)
    if len(axes) != 2 or sum(p["size"]) > _CHANNELS_LAST_MAX:
        return _separable(x, axes)
    # a small 2-d output: the channels-last kernel,
    # fma(x11, w11, fma(x10, w10, fma(x00, w00, x01 * w01))), w = h * w lambdas
    (h0, h1, a0, a1), (w0, w1, b0, b1) = axes
    a0, a1 = a0[:, None], a1[:, None]

    def term(h, w, a, b):
        return x[..., h, :][..., w], (a * b).astype(x.dtype)
    x00, w00 = term(h0, w0, a0, b0)
    x01, w01 = term(h0, w1, a0, b1)
    x10, w10 = term(h1, w0, a1, b0)
    x11, w11 = term(h1, w1, a1, b1)
    out = _fma(x11, w11, _fma(x10, w10, _fma(x00, w00, (x01 * w01).astype(x.dtype))))
    return out.astype(x.dtype)


def _separable(a, axes):
    """PyTorch's generic linear kernel over the last len(axes) dims: along
    the first of them, t0 * w0 + t1 * w1 (one fused multiply-add) of the
    interpolations t0, t1 of the source slices along the rest."""
    if not axes:
        return a
    i0, i1, l0, l1 = axes[0]
    at = a.ndim - len(axes)
    shape = (-1,) + (1,) * (len(axes) - 1)
    t0 = _separable(np.take(a, i0, axis=at), axes[1:])
    t1 = _separable(np.take(a, i1, axis=at), axes[1:])
    return _fma(t0, l0.reshape(shape), (t1 * l1.reshape(shape)).astype(a.dtype)).astype(a.dtype)


def _linear_vjp(g, ans, xs, p):
    """upsample_linear/bilinear backward: each output's gradient times each
    of its sources' weights, added into them in the output's order."""
    x = xs[0]
    g = np.asarray(g, x.dtype).reshape(x.shape[0] * x.shape[1], -1)
    axes = _linear_axes(x, p)
    # per output position, its 2**k sources in PyTorch's order (00, 01, 10,
    # 11 in 2-d), each weight the product of its lambdas, first dim's first
    index, weights = [], []
    for pick in itertools.product((0, 1), repeat=len(axes)):
        index.append(flat_position(grid([a[c] for a, c in zip(axes, pick)]), x.shape[2:]))
        weights.append(reduce(np.multiply, grid([a[2 + c] for a, c in zip(axes, pick)])))
    return _scatter_planes(x, np.stack(index, -1).reshape(-1),
                           np.repeat(g, 2 ** len(axes), axis=1),
                           np.stack(weights, -1).astype(x.dtype).reshape(-1))


# the linear modes' names, by the input's spatial dims
_LINEAR_NAMES = {1: "Linear1D", 2: "Bilinear2D", 3: "Trilinear3D"}


def _linear_grad_fn(t) -> str:
    return f"Upsample{_LINEAR_NAMES[t.args[0].data.ndim - 2]}Backward0"


defop("upsample_linear", _linear_grad_fn, _linear_fwd, vjp=(_linear_vjp,),
      jvp=(lambda t, ans, xs, p: _linear_fwd([t], p),), saves=False,
      formula=("d out/d x = each output's gradient shared among its sources by their weights",),
      symbol="F.interpolate", dtype_rule=SAME)


# ---- pixel_shuffle / pixel_unshuffle: p["factor"] ---------------------------

def _pixel_shuffle(x, r):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    *lead, c, h, w = x.shape
    c //= r * r
    n = len(lead)
    y = x.reshape(*lead, c, r, r, h, w)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return np.ascontiguousarray(y).reshape(*lead, c, h * r, w * r)


def _pixel_unshuffle(x, r):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    *lead, c, h, w = x.shape
    h //= r
    w //= r
    n = len(lead)
    y = x.reshape(*lead, c, h, r, w, r)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return np.ascontiguousarray(y).reshape(*lead, c * r * r, h, w)


# each op's VJP (and the other's) moves the gradient back
for _name, _grad_fn, _there, _back in (
        ("pixel_shuffle", "PixelShuffleBackward0", _pixel_shuffle, _pixel_unshuffle),
        ("pixel_unshuffle", "PixelUnshuffleBackward0", _pixel_unshuffle, _pixel_shuffle)):
    defop(_name, _grad_fn, lambda xs, p, f=_there: f(xs[0], p["factor"]),
          vjp=(lambda g, ans, xs, p, f=_back: f(g, p["factor"]),),
          jvp=(lambda t, ans, xs, p, f=_there: f(t, p["factor"]),), saves=False,
          formula=(f"d out/d x = {_back.__name__[1:]}(g): the gradient moved back",),
          symbol=f"F.{_name}", dtype_rule=SAME)


# ---- channel_shuffle: p["groups"] ---------------------------------------------

def _channel_shuffle(x, groups: int):
    """(N, C, *) with C = g k: channel i k + j moved to j g + i (the
    channels read group by group, one of each group in turn)."""
    n, c, *rest = x.shape
    y = x.reshape(n, groups, c // groups, *rest).swapaxes(1, 2)
    return np.ascontiguousarray(y).reshape(x.shape)


def _channel_unshuffle(g, groups: int):
    # (the shuffle by C / groups undoes the one by groups)
    c = g.shape[1]
    return _channel_shuffle(g, c // groups) if c else g


defop("channel_shuffle", "ChannelShuffleBackward0",
      lambda xs, p: _channel_shuffle(xs[0], p["groups"]),
      vjp=(lambda g, ans, xs, p: _channel_unshuffle(g, p["groups"]),),
      jvp=(lambda t, ans, xs, p: _channel_shuffle(t, p["groups"]),), saves=False,
      formula=("d out/d x = the gradient's channels moved back (a shuffle by C / groups)",),
      symbol="F.channel_shuffle", dtype_rule=SAME)


# ---- selu and celu: PyTorch's elu(x, alpha, scale, input_scale) -------------
# p: "neg" alpha * scale, "pos" scale, "in" input_scale (as float32 or the
# dtype), "celu" for CeluBackward0; x * pos where x > 0, else
# expm1(x * in) * neg

def _elu_coefs(x, p):
    dt = x.dtype.type
    return dt(p["neg"]), dt(p["pos"]), dt(p["in"])


def _elu_fwd(xs, p):
    x = xs[0]
    neg, pos, inp = _elu_coefs(x, p)
    with np.errstate(over="ignore"):
        low = (np.expm1(np.minimum(x, 0).astype(np.float64) * inp).astype(x.dtype) * neg)
    return np.where(x > 0, x * pos, low).astype(x.dtype, copy=False)


def _elu_vjp(g, ans, xs, p):
    """elu_backward (is_result false): g * in * neg * exp(x * in) where
    x <= 0, g * pos elsewhere."""
    x = xs[0]
    neg, pos, inp = _elu_coefs(x, p)
    g = np.asarray(g, x.dtype)
    with np.errstate(over="ignore"):
        low = g * inp * neg * np.exp(np.minimum(x, 0) * inp).astype(x.dtype)
    return np.where(x <= 0, low, g * pos).astype(x.dtype, copy=False)


def _elu_result_vjp(g, ans, xs, p):
    """elu_backward (is_result true, torch.celu_ and selu_'s): from the
    result, g * in * (result + neg) where it is <= 0, g * pos elsewhere."""
    if not p.get("in_place"):
        return _elu_vjp(g, ans, xs, p)
    if ans is None:            # (the backward as an op of (g, x): the result made again)
        ans = _elu_fwd(xs, p)
    neg, pos, inp = _elu_coefs(ans, p)
    g = np.asarray(g, ans.dtype)
    return np.where(ans <= 0, g * inp * (ans + neg), g * pos).astype(ans.dtype, copy=False)


def in_place_name(name: str):
    """A grad_fn name, NAMEBackward0, that the in-place form (p["in_place"]:
    torch.celu_, threshold_, ...) gives as NAMEBackward1."""
    return lambda t: name + ("Backward1" if t.params.get("in_place") else "Backward0")


_ELU_NAMES = {True: in_place_name("Celu"), False: in_place_name("Elu")}


defop("elu_scaled", lambda t: _ELU_NAMES[bool(t.params.get("celu"))](t),
      _elu_fwd, vjp=(_elu_result_vjp,), jvp=(_elu_result_vjp,),
      saved=lambda node: ("r",) if node.params.get("in_place") else ("0",),
      formula=("d elu(x)/dx = scale if x > 0 else in * alpha * scale * exp(in * x)",),
      symbol="F.selu", dtype_rule=FLOAT)


# ---- glu: p["dim"] (normalised); a * sigmoid(b), a and b the halves ---------

def _halves(x, dim):
    n = x.shape[dim] // 2
    return np.take(x, range(n), axis=dim), np.take(x, range(n, 2 * n), axis=dim)


def _sig(b):
    return OPS["sigmoid"].forward([b], {})


def _glu_fwd(xs, p):
    a, b = _halves(xs[0], p["dim"])
    return (a * _sig(b)).astype(xs[0].dtype, copy=False)


def _glu_vjp(g, ans, xs, p):
    """glu_backward: sigmoid(b) g for a, a sigmoid(b) (1 - sigmoid(b)) g for b."""
    a, b = _halves(xs[0], p["dim"])
    s = _sig(b)
    g = np.asarray(g, a.dtype)
    one = a.dtype.type(1)
    return np.concatenate([s * g, (one - s) * s * a * g], axis=p["dim"]).astype(a.dtype)


def _glu_jvp(t, ans, xs, p):
    a, b = _halves(xs[0], p["dim"])
    ta, tb = _halves(t, p["dim"])
    s = _sig(b)
    return (ta * s + a * s * (a.dtype.type(1) - s) * tb).astype(a.dtype)


defop("glu", "GluBackward0", _glu_fwd, vjp=(_glu_vjp,), jvp=(_glu_jvp,), saved=("0",),
      formula=("d (a sigmoid(b)) = sigmoid(b) da + a sigmoid(b)(1 - sigmoid(b)) db",),
      symbol="F.glu", dtype_rule=FLOAT)


# ---- threshold: p["threshold"], p["value"]: x where x > threshold, else value --

defop("threshold", in_place_name("Threshold"),
      lambda xs, p: np.where(xs[0] > p["threshold"], xs[0],
                             np.asarray(p["value"]).astype(xs[0].dtype)).astype(xs[0].dtype),
      vjp=(lambda g, ans, xs, p: np.where(xs[0] > p["threshold"], g, 0).astype(xs[0].dtype),),
      jvp=(lambda t, ans, xs, p: np.where(xs[0] > p["threshold"], t, 0).astype(xs[0].dtype),),
      saved=("0",), formula=("d threshold(x)/dx = [x > threshold]",), symbol="F.threshold",
      dtype_rule=SAME)


# ---- rrelu: in evaluation leaky_relu with slope (lower + upper) / 2 ----------
# (p["slope"]; PyTorch's node is RreluWithNoiseBackward0 even without noise);
# in training each number's own slope, drawn (p["noise"]: 1 where x > 0)

def _rrelu_slope(x, p):
    noise = p.get("noise")
    if noise is not None:
        return noise
    return np.where(x > 0, 1, p["slope"]).astype(x.dtype, copy=False)


def _rrelu(xs, p):
    x = xs[0]
    if p.get("noise") is not None:
        return (x * p["noise"]).astype(x.dtype, copy=False)
    return np.where(x > 0, x, x * x.dtype.type(p["slope"])).astype(x.dtype, copy=False)


defop("rrelu", in_place_name("RreluWithNoise"), _rrelu,
      vjp=(lambda g, ans, xs, p: g * _rrelu_slope(xs[0], p),),
      jvp=(lambda t, ans, xs, p: t * _rrelu_slope(xs[0], p),),
      saved=("0",), formula=("d rrelu(x)/dx = 1 if x > 0 else its slope ((lower + upper) / 2 "
                             "in evaluation, drawn in training)",),
      symbol="F.rrelu", dtype_rule=FLOAT)
