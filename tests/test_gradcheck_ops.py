"""Registry-driven gradient checks: every differentiable op in OPS, its VJP
(through the engine: tape, backward, unbroadcast) and its JVP (the rule
itself) against a central finite difference in float64, over scalar,
vector, matrix and broadcasting shapes.

INPUTS below holds, per op, the inputs to check it on, chosen where the op
is smooth (positive for log/sqrt, away from kinks for relu/abs/clamp/max,
no ties for max/min/maximum). An op in the registry without an entry fails
test_every_op_has_inputs: adding an op means adding its check.

The kinks themselves are not smooth, so the finite difference says nothing
there; PyTorch's conventions (relu'(0)=0, abs'(0)=0, clamp passes its
boundary, max/maximum split ties, ...) are pinned as literal values and
checked against real torch when it is installed.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz import autodiff
from gradviz.ops import OPS
from gradviz.tape import Tape
from gradviz.tensor import Tensor

STEP = 1e-6
RTOL, ATOL = 1e-5, 1e-6
F64 = np.float64


# ---- input generators: each maps a numpy Generator to one argument ---------

def anyv(*shape, lo=-2.0, hi=2.0):
    return lambda rng: np.asarray(rng.uniform(lo, hi, shape), F64)


def pos(*shape):
    return anyv(*shape, lo=0.5, hi=2.0)


def away(*shape, at=0.0, gap=0.2):
    """Values at least `gap` from the kink at `at`, on both sides of it."""
    return lambda rng: np.asarray(
        at + rng.choice([-1.0, 1.0], shape) * rng.uniform(gap, 2.0, shape), F64)


def grid(*shape, offset=0.0):
    """Whole numbers plus offset: two grids with different offsets never tie."""
    return lambda rng: np.asarray(rng.integers(-3, 4, shape) + offset, F64)


def distinct(*shape):
    """All elements different (no ties for max/min), spaced 0.5 apart."""
    n = int(np.prod(shape))
    return lambda rng: np.asarray((rng.permutation(n) * 0.5 - n * 0.25 + 0.1).reshape(shape), F64)


def mask(*shape):
    return lambda rng: np.asarray(rng.random(shape) > 0.5)


def labels(*shape, classes):
    return lambda rng: np.asarray(rng.integers(0, classes, shape), np.int64)


def class_weight(n):
    return lambda rng: pos(n)(rng).astype(np.float32)


def probs(*shape):
    def make(rng):
        e = np.exp(rng.uniform(-1, 1, shape))
        return e / e.sum(axis=-1, keepdims=True)
    return make


def fixed(values):
    return lambda rng: np.array(values, F64)


def invertible(*shape):
    """Square matrices well away from singular: random plus 3 on the diagonal."""
    n = shape[-1]
    return lambda rng: np.asarray(rng.uniform(-1.0, 1.0, shape) + 3.0 * np.eye(n), F64)


def factor(*shape, upper=False):
    """A triangular factor (a Cholesky factor's shape): invertible, zeros
    off its triangle."""
    make = invertible(*shape)
    return lambda rng: (np.triu if upper else np.tril)(make(rng))


def spd(*shape):
    """Symmetric positive-definite matrices, A A^T + n I, with distinct eigenvalues."""
    def make(rng):
        a = rng.uniform(-1.0, 1.0, shape)
        return np.asarray(a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1]), F64)
    return make


def num(v):
    return lambda rng: v


def case(*args, **params):
    return (args, params)


# shapes every elementwise binary op is checked over: same shape, scalar
# with tensor, and broadcasting both ways
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)),
                 ((2, 1), (1, 3)), ((2, 3), ()), ((), (2, 3)), ((2, 1, 3), (4, 1))]
UNARY_SHAPES = [(), (3,), (2, 3), (2, 1, 3)]


def binary(gen_a, gen_b=None):
    gen_b = gen_b or gen_a
    return [case(gen_a(*sa), gen_b(*sb)) for sa, sb in BINARY_SHAPES]


def unary(gen, **params):
    return [case(gen(*s), **params) for s in UNARY_SHAPES]


def reductions(gen, multi=True):
    """A reduction over all axes and over dims (several at once when the op
    takes a tuple of dims), with and without keepdim."""
    out = [case(gen(), dim=None, keepdim=False), case(gen(4), dim=None, keepdim=False),
           case(gen(2, 3), dim=None, keepdim=False)]
    for dim in ((0,), (1,), (0, 2), (2,)) if multi else ((0,), (1,), (2,)):
        for keepdim in (False, True):
            out.append(case(gen(2, 3, 2), dim=dim, keepdim=keepdim))
    out.append(case(gen(4), dim=(0,), keepdim=False))
    return out


def with_correction(gen):
    """var/std: reductions() with Bessel's correction, and the other
    corrections PyTorch takes (a 0-d input has one element: correction 0)."""
    out = [case(*args, **params, correction=1) for args, params in reductions(gen)[1:]]
    return out + [case(gen(), dim=None, keepdim=False, correction=0),
                  case(gen(2, 3), dim=None, keepdim=True, correction=0),
                  case(gen(2, 3, 2), dim=(0, 2), keepdim=True, correction=2.5),
                  case(gen(4), dim=(0,), keepdim=False, correction=-1)]


def single_dim(gen):
    """max(dim)/min(dim): one dim at a time."""
    return [case(gen(*s), dim=(d,), keepdim=k) for s in ((4,), (2, 3), (2, 3, 2))
            for d in range(len(s)) for k in (False, True)]


def index(gen, idx, advanced=False):
    return case(gen, index=idx, advanced=advanced, grad_fn="IndexBackward0")


def setitem(y, v, idx, advanced=False, grad_fn="CopySlices"):
    return case(y, v, index=idx, advanced=advanced, grad_fn=grad_fn)


INPUTS: dict[str, list] = {
    "add": binary(anyv) + [case(anyv(2, 3), num(2.5)), case(num(-1), anyv(3))],
    "sub": binary(anyv) + [case(anyv(2, 3), num(2.5)), case(num(3), anyv(3))],
    "rsub": [case(num(1.0), anyv()), case(num(2), anyv(2, 3)), case(anyv(3), anyv(2, 3))],
    "mul": binary(anyv) + [case(anyv(2, 3), num(-1.5)), case(num(2), anyv(3))],
    "div": binary(anyv, away) + [case(anyv(2, 3), num(4.0))],
    "rdiv": [case(num(2.0), away()), case(num(-1), away(2, 3)), case(anyv(3), away(2, 3))],
    "pow": binary(pos, anyv) + [
        case(anyv(2, 3), num(2)), case(anyv(3), num(3)), case(pos(3), num(0.5)),
        case(away(2, 3), num(-1)), case(anyv(3), num(0)),
        case(num(2.0), anyv(2, 3)), case(num(0.5), anyv(3))],
    "maximum": [case(grid(*sa, offset=0.25), grid(*sb, offset=-0.25)) for sa, sb in BINARY_SHAPES],
    "minimum": [case(grid(*sa, offset=0.25), grid(*sb, offset=-0.25)) for sa, sb in BINARY_SHAPES],
    "where": [case(mask(*sc), anyv(*sa), anyv(*sb)) for sc, sa, sb in (
        ((), (), ()), ((3,), (3,), (3,)), ((2, 3), (2, 3), (2, 3)), ((2, 3), (3,), ()),
        ((3,), (2, 1), (2, 3)), ((2, 1), (1, 3), (3,)))] + [case(mask(2, 3), anyv(2, 3), num(0.0))],
    "exp": unary(anyv),
    "log": unary(pos),
    "sqrt": unary(pos),
    "sin": unary(anyv),
    "cos": unary(anyv),
    "tanh": unary(anyv),
    "sigmoid": unary(anyv) + [case(anyv(5, lo=-30, hi=30))],
    "abs": unary(away),
    "neg": unary(anyv),
    "square": unary(anyv),
    "relu": unary(away),
    "softplus": unary(anyv) + [case(anyv(3, lo=-3.0, hi=3.0), beta=2.0, threshold=5.0)],
    "leaky_relu": unary(away) + [case(away(3), negative_slope=0.2)],
    "elu": unary(away) + [case(away(3), alpha=0.5)],
    "zero": unary(anyv),
    # more math (ops/unary.py), each inside its domain
    "tan": unary(lambda *s: anyv(*s, lo=-1.2, hi=1.2)),
    "atan": unary(anyv), "sinh": unary(anyv), "cosh": unary(anyv), "asinh": unary(anyv),
    "asin": unary(lambda *s: anyv(*s, lo=-0.9, hi=0.9)),
    "acos": unary(lambda *s: anyv(*s, lo=-0.9, hi=0.9)),
    "atanh": unary(lambda *s: anyv(*s, lo=-0.9, hi=0.9)),
    "acosh": unary(lambda *s: anyv(*s, lo=1.2, hi=3.0)),
    "log1p": unary(pos), "expm1": unary(anyv), "exp2": unary(anyv), "reciprocal": unary(away),
    "rsqrt": unary(pos), "erf": unary(anyv), "erfc": unary(anyv),
    "erfinv": unary(lambda *s: anyv(*s, lo=-0.9, hi=0.9)),
    "lgamma": unary(lambda *s: anyv(*s, lo=0.3, hi=4.0)),
    # steps: zero gradients, away from the jumps
    "sign": unary(away), "sgn": unary(away),
    # poisson's counts are drawn before the op (its params): constant, a zero gradient
    "poisson": [case(pos(3), counts=np.array([0.0, 2.0, 1.0])),
                case(pos(2, 2), counts=np.array([[3.0, 0.0], [1.0, 4.0]]))],
    "floor": unary(lambda *s: grid(*s, offset=0.3)), "ceil": unary(lambda *s: grid(*s, offset=0.3)),
    "trunc": unary(lambda *s: grid(*s, offset=0.3)), "frac": unary(lambda *s: grid(*s, offset=0.3)),
    "round": unary(lambda *s: grid(*s, offset=0.3)) + [case(fixed([0.123, -1.234, 2.71]), decimals=1),
                                                      case(fixed([123.0, -46.0]), decimals=-1)],
    "clamp_min": unary(away, min=0.0), "clamp_max": unary(away, max=0.0),
    "nan_to_num": unary(anyv),
    "atan2": binary(anyv, pos),
    # activations (ops/activations.py), away from their kinks
    "gelu": unary(anyv) + [case(anyv(3), approximate="tanh")],
    "silu": unary(anyv), "mish": unary(anyv), "logsigmoid": unary(anyv) + [case(anyv(4, lo=-30, hi=30))],
    "hardtanh": unary(lambda *s: anyv(*s, lo=-0.9, hi=0.9), min=-1.0, max=1.0)
    + [case(fixed([-1.5, -0.4, 0.3, 0.8, 1.7]), min=-1.0, max=1.0), case(fixed([-1.0, 2.5, 7.0]), min=0.0, max=6.0)],
    "hardsigmoid": unary(anyv) + [case(fixed([-4.0, -2.5, 2.9, 3.5]))],
    "hardswish": unary(anyv) + [case(fixed([-4.0, -2.5, 2.9, 3.5]))],
    "softshrink": [case(fixed([-1.5, -0.2, 0.3, 1.2]), lambd=0.5), case(fixed([-2.0, 0.5, 1.5]), lambd=1.0)],
    "hardshrink": [case(fixed([-1.5, -0.2, 0.3, 1.2]), lambd=0.5), case(fixed([-2.0, 0.5, 1.5]), lambd=1.0)],
    "clamp": (unary(away, min=0.0, max=None) + unary(away, min=None, max=0.0)
              + [case(anyv(2, 3), min=-3.0, max=3.0),
                 case(fixed([-1.2, -0.3, 0.2, 0.9, 1.4]), min=-0.5, max=1.0)]),
    # tensor bounds: on grids offset from each other, so no element sits on a tie
    "clamp_tensor": [case(grid(*sx, offset=0.25), grid(*sl, offset=-0.25), grid(*sh, offset=0.5))
                     for sx, sl, sh in (((), (), ()), ((3,), (3,), (3,)), ((2, 3), (2, 3), (2, 3)),
                                        ((2, 3), (3,), ()), ((3,), (2, 1), (2, 3)))],
    "clamp_min_tensor": [case(grid(*sa, offset=0.25), grid(*sb, offset=-0.25))
                         for sa, sb in BINARY_SHAPES],
    "clamp_max_tensor": [case(grid(*sa, offset=0.25), grid(*sb, offset=-0.25))
                         for sa, sb in BINARY_SHAPES],
    "matmul": [case(anyv(*sa), anyv(*sb)) for sa, sb in (
        ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)), ((2, 2, 3), (3, 2)),
        ((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 2)), ((1, 2, 3), (2, 3, 2)), ((3,), (2, 3, 2)),
        ((2, 2, 3), (3,)))],
    "dot": [case(anyv(3), anyv(3)), case(anyv(1), anyv(1))],
    "mv": [case(anyv(2, 3), anyv(3)), case(anyv(1, 4), anyv(4))],
    "mm": [case(anyv(2, 3), anyv(3, 4)), case(anyv(1, 1), anyv(1, 3))],
    "outer": [case(anyv(3), anyv(2)), case(anyv(1), anyv(4))],
    "addmm": [case(anyv(4), anyv(2, 3), anyv(3, 4)), case(anyv(2, 4), anyv(2, 3), anyv(3, 4)),
              case(anyv(1), anyv(1, 1), anyv(1, 3))],
    "addmv": [case(anyv(2), anyv(2, 3), anyv(3)), case(anyv(1), anyv(2, 3), anyv(3)),
              case(anyv(), anyv(2, 3), anyv(3))],
    "addr": [case(anyv(2, 3), anyv(2), anyv(3)), case(anyv(3), anyv(2), anyv(3)),
             case(anyv(), anyv(1), anyv(4))],
    "vdot": [case(anyv(3), anyv(3)), case(anyv(1), anyv(1))],
    "softmax": [case(anyv(4), dim=0), case(anyv(2, 3), dim=0), case(anyv(2, 3), dim=1),
                case(anyv(2, 3, 2), dim=1), case(anyv(), dim=0)],
    "log_softmax": [case(anyv(4), dim=0), case(anyv(2, 3), dim=0), case(anyv(2, 3), dim=1),
                    case(anyv(2, 3, 2), dim=2), case(anyv(), dim=0)],
    "mse_loss": [case(anyv(*s), anyv(*s)) for s in ((), (3,), (2, 3))]
    + [case(anyv(2, 3), anyv(3))]
    + [case(anyv(2, 3), anyv(3), reduction=r) for r in ("sum", "none")],
    "cross_entropy": [case(anyv(3, 4), labels(3, classes=4)), case(anyv(4), labels(classes=4)),
                      case(anyv(2, 3), probs(2, 3)), case(anyv(1, 2), labels(1, classes=2))]
    + [case(anyv(3, 4), labels(3, classes=4), reduction=r) for r in ("sum", "none")]
    + [case(anyv(2, 3), probs(2, 3), reduction=r) for r in ("sum", "none")]
    + [case(anyv(4), labels(classes=4), reduction="none")]
    # weight=, ignore_index=, label_smoothing= (class indices take a float32
    # weight: PyTorch has no gradient for it, and refuses one at the call)
    + [case(anyv(5, 4), labels(5, classes=4), class_weight(4), reduction=r)
       for r in ("mean", "sum", "none")]
    + [case(anyv(5, 3), labels(5, classes=3), ignore_index=1, label_smoothing=0.1, reduction=r)
       for r in ("mean", "sum", "none")]
    + [case(anyv(5, 3), labels(5, classes=3), class_weight(3), ignore_index=2,
            label_smoothing=0.2), case(anyv(4), labels(classes=4), label_smoothing=0.3)]
    + [case(anyv(2, 3), probs(2, 3), pos(3), label_smoothing=0.1, reduction=r)
       for r in ("mean", "sum", "none")]
    # a class index per position of (N, C, d1, ...) logits (nll_loss2d)
    + [case(anyv(2, 3, 4), labels(2, 4, classes=3), reduction=r) for r in ("mean", "sum", "none")]
    + [case(anyv(2, 3, 2, 2), labels(2, 2, 2, classes=3), class_weight(3), ignore_index=1,
            label_smoothing=0.2, reduction=r) for r in ("mean", "none")],
    "binary_cross_entropy_with_logits": [
        case(anyv(*s), anyv(*s, lo=0.0, hi=1.0), reduction=r)
        for s in ((), (3,), (2, 3)) for r in ("mean", "sum", "none")],
    # probabilities away from 0 and 1 (where the loss is clamped)
    "binary_cross_entropy": [
        case(anyv(*s, lo=0.1, hi=0.9), anyv(*s, lo=0.0, hi=1.0), reduction=r)
        for s in ((), (3,), (2, 3)) for r in ("mean", "sum", "none")]
    + [case(anyv(2, 3, lo=0.1, hi=0.9), anyv(2, 3, lo=0.0, hi=1.0), pos(2, 3), reduction=r)
       for r in ("mean", "sum", "none")],     # weight=
    "nll_loss": [case(anyv(3, 4), labels(3, classes=4), reduction=r)
                 for r in ("mean", "sum", "none")]
    + [case(anyv(4), labels(classes=4)), case(anyv(4), labels(classes=4), reduction="none"),
       case(anyv(3, 4), labels(3, classes=4), pos(4)),
       case(anyv(3, 4), labels(3, classes=4), pos(4), reduction="none"),
       case(anyv(4, 3), lambda rng: np.array([0, 1, 2, 1]), ignore_index=1)]
    + [case(anyv(2, 3, 4), labels(2, 4, classes=3), reduction=r) for r in ("mean", "none")]
    + [case(anyv(2, 3, 2, 2), labels(2, 2, 2, classes=3), pos(3), reduction="sum")],
    # an LSTM layer (T=3, batch 2, 3 features, hidden 2): each of its three
    # outputs, forwards and in reverse
    "mkldnn_rnn_layer": [case(anyv(3, 2, 3), anyv(8, 3), anyv(8, 2), anyv(8), anyv(8),
                              anyv(2, 2), anyv(2, 2), reverse=r, out=k)
                         for r in (False, True) for k in (0, 1, 2)],
    # scaled_dot_product_attention's fused node: plain, causal, a float mask
    # (no gradient of its own: float32 here, so it is not checked), a scale,
    # and grouped-query heads (4 over 2)
    "sdpa_flash": [case(anyv(1, 2, 3, 4), anyv(1, 2, 5, 4), anyv(1, 2, 5, 4), scale=0.5),
                   case(anyv(2, 1, 4, 3), anyv(2, 1, 4, 3), anyv(2, 1, 4, 3), scale=0.7,
                        causal=True),
                   case(anyv(1, 2, 3, 2), anyv(1, 2, 4, 2), anyv(1, 2, 4, 2),
                        lambda rng: rng.uniform(-1, 1, (3, 4)).astype(np.float32), scale=-0.4, mask=True),
                   case(anyv(1, 4, 2, 2), anyv(1, 2, 3, 2), anyv(1, 2, 3, 2), scale=0.6)],
    # pack_padded_sequence's rows: (T=3, B=3, 2) with lengths 3, 2, 1, and
    # batch_first (B=2, T=3) with lengths 3, 3
    "pack_padded": [case(anyv(3, 3, 2), batch_sizes=(3, 2, 1), batch_first=False),
                    case(anyv(2, 3), batch_sizes=(2, 2, 2), batch_first=True)],
    "pack_padded_backward": [case(anyv(6, 2), shape=(3, 3, 2), batch_sizes=(3, 2, 1),
                                  batch_first=False),
                             case(anyv(6), shape=(2, 3), batch_sizes=(2, 2, 2), batch_first=True)],
    "safe_softmax": [case(anyv(2, 3), dim=1), case(anyv(2, 3, 4), dim=2)],
    "layer_norm": [case(anyv(3, 4), anyv(4), anyv(4), dims=1, eps=1e-5, affine="wb"),
                   case(anyv(2, 3, 4), dims=2, eps=1e-5, affine=""),
                   case(anyv(2, 5), anyv(5), dims=1, eps=1e-3, affine="w"),
                   case(anyv(4, 20), anyv(20), dims=1, eps=1e-5, affine="b")],
    # training mode (the batch's statistics) and eval mode (running mean, var)
    "batch_norm": [case(anyv(5, 3), anyv(3), anyv(3), eps=1e-5, training=True, affine="wb"),
                   case(anyv(4, 3, 2), eps=1e-5, training=True, affine=""),
                   case(anyv(3, 2, 2), anyv(2), eps=1e-5, training=True, affine="b"),
                   case(anyv(4, 3), anyv(3), anyv(3), anyv(3), pos(3), eps=1e-5,
                        training=False, affine="wb")],
    # convolutions: with and without a bias, stride, padding, dilation, groups
    "conv2d": [case(anyv(1, 2, 4, 4), anyv(3, 2, 2, 2), anyv(3)),
               case(anyv(2, 2, 5, 4), anyv(2, 1, 3, 2), stride=2, padding=(1, 0), groups=2),
               case(anyv(1, 1, 5, 5), anyv(2, 1, 2, 2), anyv(2), dilation=2, padding=1)],
    "conv3d": [case(anyv(1, 2, 3, 4, 3), anyv(3, 2, 2, 2, 2), anyv(3)),
               case(anyv(2, 2, 4, 3, 3), anyv(2, 1, 2, 3, 2), stride=(1, 2, 1), padding=(1, 0, 1),
                    dilation=(2, 1, 1), groups=2)],
    "conv1d": [case(anyv(2, 2, 5), anyv(3, 2, 2), anyv(3), stride=2, padding=1),
               case(anyv(1, 4, 6), anyv(2, 2, 3), dilation=2, groups=2)],
    # transposed: output_padding (past the stride where the dilation allows it), groups
    "conv_transpose2d": [case(anyv(1, 2, 3, 3), anyv(2, 3, 2, 2), anyv(3), stride=2,
                              output_padding=1),
                         case(anyv(2, 4, 3, 2), anyv(4, 1, 2, 3), stride=(1, 2), padding=(1, 0),
                              groups=2),
                         case(anyv(1, 1, 3, 3), anyv(1, 2, 2, 2), dilation=2, output_padding=1)],
    # (time, batch, channels) with a (kernel, in, out) weight; padding, a negative one
    "conv_tbc": [case(anyv(5, 2, 3), anyv(3, 3, 4), anyv(4), pad=1),
                 case(anyv(6, 1, 2), anyv(2, 2, 3), anyv(3), pad=-1)],
    "conv_transpose3d": [case(anyv(1, 2, 2, 3, 2), anyv(2, 3, 2, 2, 2), anyv(3), stride=2,
                              output_padding=(1, 0, 1)),
                         case(anyv(1, 4, 2, 2, 3), anyv(4, 1, 2, 1, 2), padding=(1, 0, 0),
                              dilation=(1, 2, 1), groups=2)],
    "conv_transpose1d": [case(anyv(2, 2, 4), anyv(2, 3, 3), anyv(3), stride=2, padding=1,
                              output_padding=1),
                         case(anyv(1, 4, 5), anyv(4, 1, 2), groups=2, dilation=2)],
    # a convolution's gradients as ops (create_graph=True): (g, x, w)
    "convolution_backward": [case(anyv(1, 3, 3, 3), anyv(1, 2, 4, 4), anyv(3, 2, 2, 2),
                                  op="conv2d", output=k) for k in ("input", "weight", "bias")]
    + [case(anyv(2, 2, 3), anyv(2, 4, 5), anyv(2, 2, 3), op="conv1d", output="input", groups=2,
            stride=2, padding=1),
       case(anyv(1, 3, 7, 7), anyv(1, 2, 3, 3), anyv(2, 3, 2, 2), op="conv_transpose2d",
            output="input", stride=2, output_padding=1),
       case(anyv(1, 3, 7, 7), anyv(1, 2, 3, 3), anyv(2, 3, 2, 2), op="conv_transpose2d",
            output="weight", stride=2, output_padding=1)],
    "max_pool2d_backward": [case(anyv(1, 2, 2, 2), distinct(1, 2, 4, 4), kernel_size=2),
                            case(anyv(2, 3, 3), distinct(2, 5, 5), kernel_size=3, stride=2,
                                 padding=1, ceil_mode=True)],
    "avg_pool2d_backward": [case(anyv(1, 2, 2, 2), anyv(1, 2, 4, 4), kernel_size=2),
                            case(anyv(2, 3, 3), anyv(2, 5, 5), kernel_size=3, stride=2,
                                 padding=1, ceil_mode=True, count_include_pad=False)],
    "adaptive_avg_pool2d_backward": [case(anyv(1, 2, 2, 3), anyv(1, 2, 5, 7),
                                          output_size=(2, 3))],
    "max_pool3d_backward": [case(anyv(1, 2, 2, 3), distinct(1, 3, 4, 5), kernel_size=2,
                                 stride=(2, 2, 2), padding=(1, 0, 0), ceil_mode=True)],
    "avg_pool3d_backward": [case(anyv(1, 2, 2, 2), anyv(1, 3, 4, 5), kernel_size=2,
                                 padding=1, stride=(2, 3, 3), count_include_pad=False)],
    "adaptive_avg_pool3d_backward": [case(anyv(1, 2, 2, 3), anyv(1, 3, 5, 7),
                                          output_size=(2, 2, 3))],
    # (input 0's gradient is PyTorch's, not the derivative: NOT_THE_DERIVATIVE)
    "as_strided_scatter": [case(anyv(2, 3), anyv(2, 2), size=(2, 2), stride=(1, 2),
                                storage_offset=1, layout=(3, 1)),
                           case(anyv(3, 2), anyv(3), size=(3,), stride=(2,), storage_offset=0,
                                layout=(1, 3))],
    "constant_pad_nd": [case(anyv(2, 3), pad=(1, 2)), case(anyv(2, 3, 4), pad=(-1, 1, 2, 0),
                                                           value=1.5)],
    # F.pad's reflect and replicate modes, and their backward (g, x) with x for its shape
    **{mode: [case(anyv(2, 4), pad=(2, 1)), case(anyv(1, 3, 4), pad=(1, -1, 2, 1)),
              case(anyv(1, 2, 3, 3), pad=(1, 0, 0, 2, 1, 1))]
       for mode in ("reflection_pad", "replication_pad")},
    **{f"{mode}_backward": [case(anyv(2, 7), anyv(2, 4), pad=(2, 1)),
                            case(anyv(1, 6, 4), anyv(1, 3, 4), pad=(1, -1, 2, 1))]
       for mode in ("reflection_pad", "replication_pad")},
    # (distinct values: no ties inside a window)
    "max_pool2d": [case(distinct(1, 2, 4, 4), kernel_size=2),
                   case(distinct(2, 5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True),
                   case(distinct(1, 1, 5, 6), kernel_size=(2, 3), stride=1, dilation=(2, 1))],
    "max_pool3d": [case(distinct(1, 2, 4, 4, 3), kernel_size=2),
                   case(distinct(2, 3, 5, 4), kernel_size=(2, 3, 2), stride=(1, 2, 2),
                        padding=(1, 1, 0), dilation=(2, 1, 1), ceil_mode=True)],
    # each number put back at its index (distinct indices, as a max pooling's)
    "max_unpool2d": [case(anyv(1, 2, 2, 2), output_size=(4, 4),
                          indices=np.array([[[[0, 3], [9, 14]], [[5, 2], [12, 15]]]]))],
    "max_unpool3d": [case(anyv(2, 1, 2, 1), output_size=(2, 3, 2),
                          indices=np.array([[[[0], [7]]], [[[11], [4]]]]))],
    "avg_pool3d": [case(anyv(1, 2, 4, 4, 3), kernel_size=2),
                   case(anyv(2, 3, 5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False),
                   case(anyv(1, 3, 4, 5), kernel_size=(2, 2, 3), divisor_override=5)],
    "adaptive_avg_pool3d": [case(anyv(1, 2, 3, 5, 7), output_size=(2, 2, 3)),
                            case(anyv(2, 3, 4, 4), output_size=(3, 1, 3))],
    "avg_pool2d": [case(anyv(1, 2, 4, 4), kernel_size=2),
                   case(anyv(2, 5, 5), kernel_size=3, stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False),
                   case(anyv(1, 1, 4, 5), kernel_size=(2, 3), stride=1, divisor_override=4)],
    "adaptive_avg_pool2d": [case(anyv(1, 2, 5, 7), output_size=(2, 3)),
                            case(anyv(3, 4, 4), output_size=(3, 2))],
    "embedding": [case(anyv(5, 3), labels(4, classes=5)), case(anyv(4, 2), labels(2, 3, classes=4)),
                  # repeats add up (padding_idx's zero gradient is PyTorch's convention,
                  # not the derivative: pinned against PyTorch in conformance_extra)
                  case(anyv(3, 2), lambda rng: np.array([0, 2, 0, 2]))],
    "smooth_l1_loss": [case(anyv(*s), anyv(*s), reduction=r, beta=b)
                       for s in ((), (3,), (2, 3)) for r in ("mean", "sum", "none")
                       for b in (1.0, 0.5)],
    "huber_loss": [case(anyv(*s), anyv(*s), reduction=r, delta=d)
                   for s in ((), (3,), (2, 3)) for r in ("mean", "sum", "none")
                   for d in (1.0, 0.7)],
    "cumsum": [case(anyv(*s), dim=d) for s, d in (((4,), 0), ((2, 3), 1), ((2, 3), 0),
                                                   ((2, 3, 2), 2))] + [case(anyv(), dim=0)],
    "sum": reductions(anyv),
    "mean": reductions(anyv),
    "max": [case(distinct(*s)) for s in ((), (4,), (2, 3), (2, 3, 2))],
    "min": [case(distinct(*s)) for s in ((), (4,), (2, 3), (2, 3, 2))],
    "max_dim": single_dim(distinct),
    "min_dim": single_dim(distinct),
    # prod is a polynomial: smooth at zeros too, where division-based rules fail
    "prod": reductions(anyv, multi=False) + [case(fixed([[2.0, 0.0, 3.0], [0.0, 0.0, 1.5]]), dim=d, keepdim=False)
                                for d in (None, (0,), (1,))],
    "norm": reductions(away) + [case(away(2, 3), dim=None, keepdim=False, ord=1),
                                case(away(2, 3), dim=(1,), keepdim=True, ord=1)],
    "var": with_correction(anyv),
    "std": with_correction(anyv),
    "reshape": [case(anyv(2, 3), shape=(3, 2)), case(anyv(6), shape=(2, 1, 3)),
                case(anyv(), shape=(1,)), case(anyv(1, 1), shape=())],
    "view": [case(anyv(2, 3), shape=(6,)), case(anyv(4), shape=(2, 2))],
    "flatten": [case(anyv(2, 3), shape=(6,)), case(anyv(), shape=(1,))],
    "transpose": [case(anyv(2, 3), dims=(0, 1)), case(anyv(2, 3, 4), dims=(0, 2)),
                  case(anyv(2, 3, 4), dims=(2, 1)), case(anyv(3), dims=(0, 0))],
    "permute": [case(anyv(2, 3, 4), dims=(2, 0, 1)), case(anyv(2, 3), dims=(1, 0)),
                case(anyv(3), dims=(0,))],
    "T": [case(anyv(2, 3)), case(anyv(3)), case(anyv())],
    "t": [case(anyv(2, 3)), case(anyv(3)), case(anyv())],
    "unsqueeze": [case(anyv(), dim=0), case(anyv(3), dim=0), case(anyv(3), dim=1),
                  case(anyv(2, 3), dim=1)],
    "squeeze": [case(anyv(1, 3, 1), shape=(3,), dim=None), case(anyv(1, 3), shape=(3,), dim=0),
                case(anyv(2, 1), shape=(2,), dim=1), case(anyv(1), shape=(), dim=None)],
    "clone": unary(anyv),
    "backward_hook": unary(anyv),
    "to_dtype": [case(anyv(*s), dtype=np.dtype(F64)) for s in ((), (2, 3))],
    "index": [
        case(anyv(4), index=(1,), advanced=False, grad_fn="SelectBackward0"),
        case(anyv(4), index=(-1,), advanced=False, grad_fn="SelectBackward0"),
        case(anyv(3, 4), index=(slice(0, 2), slice(1, 3)), advanced=False,
             grad_fn="SliceBackward0"),
        case(anyv(3, 4), index=(slice(None), 1), advanced=False, grad_fn="SelectBackward0"),
        case(anyv(5), index=(slice(None, None, 2),), advanced=False, grad_fn="SliceBackward0"),
        case(anyv(2, 3), index=(1, 2), advanced=False, grad_fn="SelectBackward0"),
        case(anyv(3), index=(None,), advanced=False, grad_fn="UnsqueezeBackward0"),
        index(anyv(4), (np.array([0, 2, 0, 3]),), advanced=True),        # repeats add up
        index(anyv(3, 2), (np.array([True, False, True]),), advanced=True),
        index(anyv(3, 4), (slice(None), np.array([3, 1, 1])), advanced=True),
    ],
    "cat": [case(anyv(2), anyv(3), dim=0), case(anyv(2, 3), anyv(1, 3), dim=0),
            case(anyv(2, 3), anyv(2, 1), anyv(2, 2), dim=1), case(anyv(2, 2, 1), anyv(2, 2, 2), dim=2)],
    "stack": [case(anyv(), anyv(), dim=0), case(anyv(3), anyv(3), dim=0),
              case(anyv(3), anyv(3), anyv(3), dim=1), case(anyv(2, 3), anyv(2, 3), dim=2)],
    # y[index] = v with gradients on, under PyTorch's four names (no repeated
    # index: only the last write of a repeat stays, so the finite difference
    # sees only it, where PyTorch sends every repeat its gradient; that is
    # pinned against PyTorch in tests/test_setitem_grad.py)
    "setitem": [
        setitem(anyv(4), anyv(), (1,)),
        setitem(anyv(3, 4), anyv(4), (slice(0, 2),)),                     # broadcast
        setitem(anyv(3, 4), anyv(2, 1), (slice(0, 2), slice(1, 3))),
        setitem(anyv(2, 3), anyv(1, 3), (0,)),                           # leading 1s dropped
        setitem(anyv(3), anyv(3), (None,)),
        setitem(anyv(4), num(2.5), (slice(1, None, 2),)),                # a number: y only
        setitem(anyv(4), anyv(2), (np.array([0, 2]),), True, "IndexPutBackward0"),
        setitem(anyv(3, 2), anyv(2, 2), (np.array([True, False, True]),), True,
                "IndexPutBackward0"),
        setitem(anyv(2, 3), anyv(2), (1, np.array([2, 0])), True),
        setitem(anyv(3), anyv(), (slice(None),), False, "FillBackward3"),
        setitem(anyv(2, 3), anyv(3), (slice(None),), False, "CopyBackwards")],
    # the ops a create_graph=True backward records (sum's gradient, index's gradient,
    # tanh's and sigmoid's backward)
    "tanh_backward": binary(anyv, lambda *s: anyv(*s, lo=-0.99, hi=0.99)),
    "threshold_backward": binary(anyv),
    "softmax_backward_data": [case(anyv(2, 3), anyv(2, 3, lo=0.05, hi=0.9), dim=d) for d in (0, 1)]
                             + [case(anyv(4), anyv(4, lo=0.05, hi=0.9), dim=0)],
    "log_softmax_backward_data": [case(anyv(2, 3), anyv(2, 3, lo=-3.0, hi=-0.1), dim=d)
                                  for d in (0, 1)] + [case(anyv(4), anyv(4, lo=-3.0, hi=-0.1), dim=0)],
    "sigmoid_backward": binary(anyv, lambda *s: anyv(*s, lo=0.01, hi=0.99)),
    # the activations' backward ops (ops/act_backward.py): (g, x), x away from the kinks
    "leaky_relu_backward": binary(anyv, away) + [case(anyv(3), away(3), negative_slope=0.2)],
    "hardtanh_backward": [case(anyv(5), fixed([-1.5, -0.4, 0.3, 0.8, 1.7]), min=-1.0, max=1.0),
                          case(anyv(2, 3), anyv(3, lo=-0.9, hi=0.9), min=-1.0, max=1.0)],
    "hardshrink_backward": [case(anyv(4), fixed([-1.5, -0.2, 0.3, 1.2]), lambd=0.5)],
    "softshrink_backward": [case(anyv(3), fixed([-2.0, 0.5, 1.5]), lambd=1.0)],
    "elu_backward": binary(anyv, away) + [case(anyv(3), away(3), alpha=0.5)],
    "softplus_backward": binary(anyv) + [case(anyv(3), anyv(3, lo=-3.0, hi=3.0), beta=2.0,
                                              threshold=5.0)],
    "gelu_backward": binary(anyv) + [case(anyv(2, 3), anyv(2, 3), approximate="tanh")],
    "logsigmoid_backward": binary(anyv),
    "hardswish_backward": [case(anyv(4), fixed([-4.0, -2.5, 2.9, 3.5])), case(anyv(2, 3), anyv(3))],
    # d/db is 0 almost everywhere: b away from the jumps of floor(a / b)
    "remainder": [case(anyv(3, lo=0.1, hi=0.9), num(2.0)),
                  case(anyv(2, 3, lo=2.1, hi=2.9), anyv(3, lo=3.1, hi=3.9))],
    "repeat": [case(anyv(3), reps=(2,)), case(anyv(2, 3), reps=(2, 1)),
               case(anyv(2), reps=(3, 1, 2)), case(anyv(), reps=(4,))],
    "expand": [case(anyv(3), shape=(2, 3)), case(anyv(2, 1), shape=(2, 3)),
               case(anyv(), shape=(2, 2)), case(anyv(1, 3), shape=(2, 2, 3))],
    # flips, rolls, triangles, diagonals, gathers (ops/select.py)
    "flip": [case(anyv(4), dims=(0,)), case(anyv(2, 3), dims=(0, 1)), case(anyv(2, 3, 2), dims=(2,)),
             case(anyv(), dims=())],
    # x.as_strided (input_layout: the input's strides, offset and storage
    # size, as reshape_fns.f_as_strided gives them; elements read twice in the second)
    "as_strided": [case(anyv(2, 3), size=(2, 2), stride=(1, 3), storage_offset=1,
                        input_layout=((3, 1), 0, 6)),
                   case(anyv(6), size=(2, 3), stride=(1, 1), storage_offset=0,
                        input_layout=((1,), 0, 6))],
    # slice_inverse(x, base): x the whole of base (a view of x's memory), and x
    # base's slice 1:4 or [:, ::2] (memory of its own: base with x written there)
    "slice_inverse": [case(anyv(6), anyv(6), size=(6,), stride=(1,), storage_offset=0,
                           input_layout=((1,), 0, 6), dim=0, start=None, end=None, step=1),
                      case(anyv(3), anyv(5), size=(5,), stride=(1,), storage_offset=0,
                           input_layout=((1,), 1, 5), dim=0, start=1, end=4, step=1),
                      case(anyv(2, 2), anyv(2, 3), size=(2, 3), stride=(3, 1), storage_offset=0,
                           input_layout=((3, 2), 0, 6), dim=1, start=None, end=None, step=2)],
    # x.unfold's windows: overlapping, strided past the end, of a middle dim, of a 0-d tensor
    "unfold": [case(anyv(5), dim=0, size=3, step=1), case(anyv(2, 5), dim=1, size=2, step=2),
               case(anyv(3, 4, 2), dim=1, size=2, step=1), case(anyv(), dim=0, size=1, step=1)],
    "roll": [case(anyv(4), shifts=(1,), dims=()), case(anyv(2, 3), shifts=(-1,), dims=()),
             case(anyv(2, 3), shifts=(1, 2), dims=(0, 1)), case(anyv(2, 3, 2), shifts=(5,), dims=(1,))],
    "tril": [case(anyv(3, 3), diagonal=0), case(anyv(2, 3), diagonal=1),
             case(anyv(2, 3, 3), diagonal=-1)],
    "triu": [case(anyv(3, 3), diagonal=0), case(anyv(3, 2), diagonal=-1),
             case(anyv(2, 3, 3), diagonal=1)],
    "diagonal": [case(anyv(3, 3), offset=0, dim1=0, dim2=1), case(anyv(2, 3), offset=1, dim1=0, dim2=1),
                 case(anyv(2, 3, 4), offset=-1, dim1=2, dim2=0)],
    "diag_embed": [case(anyv(3), offset=0), case(anyv(2), offset=1), case(anyv(2), offset=-2)],
    "trace": [case(anyv(3, 3)), case(anyv(2, 4))],
    "gather": [case(anyv(2, 3), dim=1, index=np.array([[0, 0, 2], [1, 2, 1]]), grad_fn="GatherBackward0"),
               case(anyv(3, 2), dim=0, index=np.array([[2, 0]]), grad_fn="GatherBackward0"),
               case(anyv(4), dim=0, index=np.array([3, 1, 0, 2]), grad_fn="SortBackward0"),
               case(anyv(), dim=0, index=np.array([0, 0]), grad_fn="GatherBackward0")],
    "index_select": [case(anyv(2, 3), dim=1, index=np.array([2, 0, 2])),
                     case(anyv(3, 2), dim=0, index=np.array([1])),
                     case(anyv(), dim=0, index=np.array([0]))],
    "take": [case(anyv(2, 3), index=np.array([0, 5, 5])), case(anyv(4), index=np.array([[1, 2], [3, 0]]))],
    "masked_fill": [case(anyv(2, 3), mask(2, 3), num(0.5)), case(anyv(2, 3), mask(3), num(-1)),
                    case(anyv(3), mask(2, 3), anyv()), case(anyv(2, 3), mask(2, 3), anyv())],
    "masked_select": [case(anyv(2, 3), mask(2, 3)), case(anyv(3), mask(2, 3)),
                      case(anyv(2, 3), mask(3))],
    # the gathers' backward ops (ops/select_backward.py): g of the gathered shape
    "gather_backward": [case(anyv(2, 3), shape=(2, 3), dim=1, index=np.array([[0, 0, 2], [1, 2, 1]]),
                             grad_fn="ScatterAddBackward0"),
                        case(anyv(1, 2), shape=(3, 2), dim=0, index=np.array([[2, 0]]),
                             grad_fn="ScatterBackward0"),
                        case(anyv(2), shape=(), dim=0, index=np.array([0, 0]),
                             grad_fn="ScatterAddBackward0")],
    "index_select_backward": [case(anyv(2, 3), shape=(2, 3), dim=1, index=np.array([2, 0, 2])),
                              case(anyv(1), shape=(), dim=0, index=np.array([0]))],
    "take_backward": [case(anyv(3), shape=(2, 3), index=np.array([0, 5, 5])),
                      case(anyv(2, 2), shape=(4,), index=np.array([[1, 2], [3, 0]]))],
    "masked_select_backward": [case(anyv(4), lambda rng: np.array([[True, False, True], [False, True, True]]),
                                    shape=(2, 3))],
    "diagonal_backward": [case(anyv(3), shape=(3, 3), offset=0, dim1=0, dim2=1),
                          case(anyv(2), shape=(2, 3), offset=1, dim1=0, dim2=1),
                          case(anyv(3, 2), shape=(2, 3, 4), offset=-1, dim1=2, dim2=0)],
    "trace_backward": [case(anyv(), size=9, index=np.array([0, 4, 8])),
                       case(anyv(), size=8, index=np.array([0, 5]))],
    # the losses' backward ops (ops/loss_backward.py): (g, input, target[, weight]),
    # g one number for a reduced loss
    "binary_cross_entropy_backward": [
        case(anyv(*(s if r == "none" else ())), anyv(*s, lo=0.1, hi=0.9), anyv(*s, lo=0.0, hi=1.0),
             reduction=r) for s in ((), (2, 3)) for r in ("mean", "sum", "none")]
    + [case(anyv(), anyv(2, 3, lo=0.1, hi=0.9), anyv(2, 3, lo=0.0, hi=1.0), pos(2, 3),
            reduction="mean")],
    "nll_loss_backward": [case(anyv(*((3,) if r == "none" else ())), anyv(3, 4),
                               labels(3, classes=4), reduction=r) for r in ("mean", "sum", "none")]
    + [case(anyv(), anyv(3, 4), labels(3, classes=4), pos(4))],
    "smooth_l1_loss_backward": [case(anyv(*(s if r == "none" else ())), anyv(*s), anyv(*s),
                                     reduction=r, beta=b)
                                for s in ((), (2, 3)) for r in ("mean", "none") for b in (1.0, 0.5)],
    "huber_loss_backward": [case(anyv(*(s if r == "none" else ())), anyv(*s), anyv(*s),
                                 reduction=r, delta=d)
                            for s in ((), (2, 3)) for r in ("sum", "none") for d in (1.0, 0.7)],
    # amax/amin: no ties (where they split the gradient)
    "amax": reductions(distinct)[3:],
    "amin": reductions(distinct)[3:],
    "logsumexp": [case(anyv(4), dim=(0,), keepdim=False), case(anyv(2, 3), dim=(1,), keepdim=True),
                  case(anyv(2, 3, 2), dim=(0, 2), keepdim=False), case(anyv(), dim=(), keepdim=False)],
    # a zero in x takes cumprod's other formula
    "cumprod": [case(anyv(*s), dim=d) for s, d in (((4,), 0), ((2, 3), 1), ((2, 3), 0),
                                                    ((2, 3, 2), 2))]
    + [case(anyv(), dim=0), case(fixed([[2.0, 0.0, 3.0, 1.5], [0.0, 0.0, 1.5, -1.0]]), dim=1)],
    "bmm": [case(anyv(2, 2, 3), anyv(2, 3, 4)), case(anyv(1, 1, 3), anyv(1, 3, 1))],
    "baddbmm": [case(anyv(2, 2, 4), anyv(2, 2, 3), anyv(2, 3, 4)),
                case(anyv(1, 2, 4), anyv(3, 2, 3), anyv(3, 3, 4))],
    "einsum": [case(anyv(2, 3), anyv(3, 4), equation="ij,jk->ik"),
               case(anyv(2, 2, 3), anyv(2, 4, 3), equation="bqd,bkd->bqk"),
               case(anyv(3, 3), equation="ii"), case(anyv(3, 3), equation="ii->i"),
               case(anyv(2, 3), equation="ij->j"), case(anyv(2), anyv(3), equation="i,j->ij"),
               case(anyv(1, 2, 3), anyv(4, 3, 2), equation="...ij,...jk->...ik"),
               case(anyv(2, 3), anyv(3), anyv(4), equation="ij,j,k->ik"),
               case(anyv(1, 3), anyv(2, 3), equation="ij,ij->j")],
    # torch.linalg (ops/decomp.py, ops/spectral.py): eigh and cholesky read one
    # triangle of a symmetric input (SYMMETRIC below)
    "linalg_inv": [case(invertible(3, 3)), case(invertible(2, 2, 2))],
    "linalg_det": [case(invertible(3, 3)), case(anyv(2, 2, 2))],
    "slogdet_sign": [case(invertible(3, 3))],
    "slogdet_logabsdet": [case(invertible(3, 3)), case(anyv(2, 3, 3))],
    "linalg_solve": [case(invertible(3, 3), anyv(3, 2)), case(invertible(3, 3), anyv(3), vector=True),
                     case(invertible(3, 3), anyv(2, 3), left=False), case(invertible(2, 2), anyv(2, 1)),
                     case(invertible(2, 2, 2), anyv(2, 1)), case(invertible(2, 2), anyv(3, 2, 2))],
    "linalg_cholesky": [case(spd(3, 3)), case(spd(2, 3, 3), upper=True)],
    "qr_q": [case(anyv(3, 3), mode="reduced"), case(anyv(4, 2), mode="reduced"),
             case(anyv(2, 4), mode="reduced"), case(anyv(2, 3, 3), mode="complete")],
    "qr_r": [case(anyv(3, 3), mode="reduced"), case(anyv(4, 2), mode="reduced"),
             case(anyv(2, 2), mode="complete"),
             case(anyv(2, 4), mode="reduced")],
    "eigh_values": [case(spd(3, 3)), case(anyv(2, 3, 3), UPLO="U")],
    "eigh_vectors": [case(spd(3, 3)), case(anyv(2, 3, 3), UPLO="U")],
    "svd_u": [case(anyv(3, 3)), case(anyv(4, 2)), case(anyv(2, 2, 4))],
    "svd_s": [case(anyv(3, 3)), case(anyv(4, 2)), case(anyv(2, 2, 4), full_matrices=True)],
    "svd_vh": [case(anyv(3, 3)), case(anyv(4, 2)), case(anyv(2, 2, 4))],
    "linalg_pinv": [case(anyv(3, 3)), case(anyv(4, 2)), case(anyv(2, 2, 3))],
    "lstsq_solution": [case(anyv(4, 2), anyv(4, 3)), case(anyv(3, 3), anyv(3), vector=True),
                       case(anyv(2, 4, 2), anyv(4, 1))],
    "lstsq_residuals": [case(anyv(4, 2), anyv(4, 3))],
    "solve_triangular": [case(invertible(3, 3), anyv(3, 2), upper=False),
                         case(invertible(3, 3), anyv(2, 3), upper=True, left=False),
                         case(invertible(2, 3, 3), anyv(3, 1), upper=True, unitriangular=True)],
    "cholesky_solve": [case(anyv(3, 2), factor(3, 3)),
                       case(anyv(3, 1), factor(2, 3, 3, upper=True), upper=True)],
    "vector_norm_ord": [case(distinct(2, 3), ord=o, dim=d, keepdim=k)
                        for o, d, k in ((np.inf, None, False), (-np.inf, (1,), False),
                                        (3.0, (0,), True), (0.5, None, False), (1.5, (1,), False),
                                        (-1.0, (0,), False))],
    "index_backward": [
        case(anyv(), index=(1,), advanced=False, grad_fn="SelectBackwardBackward0", shape=(4,)),
        case(anyv(2, 2), index=(slice(0, 2), slice(1, 3)), advanced=False,
             grad_fn="SliceBackwardBackward0", shape=(3, 4)),
        case(anyv(4), index=(np.array([0, 2, 0, 3]),), advanced=True,
             grad_fn="IndexPutBackward0", shape=(4,)),                       # repeats add up
        case(anyv(2, 2), index=(np.array([True, False, True]),), advanced=True,
             grad_fn="IndexPutBackward0", shape=(3, 2))],
    # ops/binary_more.py: a rounded quotient's gradient is zero (away from its jumps)
    "div_mode": [case(anyv(*sa), away(*sb), rounding_mode=m) for sa, sb in BINARY_SHAPES[:5]
                 for m in ("trunc", "floor")],
    "fmod": binary(anyv, away) + [case(anyv(2, 3), num(0.7))],
    # ops/compare_inplace.py: x.gt_(y) and the like, whose gradient is zero
    **{name + "_": [case(anyv(*sa), anyv(*sb)) for sa, sb in BINARY_SHAPES[:4] if sa >= sb]
       for name in ("eq", "ne", "lt", "le", "gt", "ge")},
    "lerp": [case(anyv(*s), anyv(*s), num(w)) for s in ((), (3,), (2, 3)) for w in (0.3, 0.8, -1.5)]
    + [case(anyv(2, 3), anyv(3), anyv(2, 1)), case(anyv(3), anyv(3), anyv(3))],
    "addcmul": [case(anyv(2, 3), anyv(3), anyv(2, 1), value=0.5), case(anyv(3), anyv(3), anyv(3)),
                case(anyv(), anyv(2), anyv(2), value=-2)],
    "addcdiv": [case(anyv(2, 3), anyv(3), away(2, 1), value=0.5), case(anyv(3), anyv(3), away(3)),
                case(anyv(), anyv(2), away(2), value=-2)],
    "hypot": binary(away),
    "logit": unary(lambda *s: anyv(*s, lo=0.1, hi=0.9))
    + [case(fixed([0.02, 0.3, 0.5, 0.97]), eps=0.05)],
    "xlogy": binary(anyv, pos) + [case(num(2.0), pos(3)), case(anyv(2, 3), num(3.0))],
    "copysign": binary(away) + [case(away(2, 3), num(-1.0))],
    # ops/order_stats.py: distinct values (no ties, where the picked element jumps)
    "median": [case(distinct(*s)) for s in ((), (4,), (5,), (2, 3))],
    "nanmedian": [case(distinct(*s)) for s in ((4,), (2, 3))]
    + [case(fixed([1.0, np.nan, 3.0, -2.0]))],
    "pick_dim": [case(distinct(*s), dim=d, keepdim=k, kind=kind)
                 for s in ((4,), (2, 3), (2, 3, 2)) for d in range(len(s)) for k in (False, True)
                 for kind in ("median", "nanmedian", "mode")]
    + [case(distinct(2, 3), dim=1, keepdim=False, kind="kthvalue", k=2),
       case(distinct(3, 2), dim=0, keepdim=True, kind="kthvalue", k=3),
       case(anyv(), dim=0, keepdim=False, kind="median")],
    "cummax": [case(distinct(*s), dim=d) for s in ((5,), (2, 3), (2, 3, 2)) for d in range(len(s))]
    + [case(anyv(), dim=0)],
    "cummin": [case(distinct(*s), dim=d) for s in ((5,), (2, 3), (2, 3, 2)) for d in range(len(s))]
    + [case(anyv(), dim=0)],
    "logcumsumexp": [case(anyv(*s), dim=d) for s in ((5,), (2, 3), (2, 3, 2)) for d in range(len(s))]
    + [case(anyv(), dim=0)],
    "nansum": reductions(anyv) + [case(fixed([1.0, np.nan, -2.0]), dim=None, keepdim=False)],
    "quantile": [case(distinct(*s), q=q, dim=d, keepdim=k, interpolation=m, skip_nan=False)
                 for s, d in (((5,), None), ((2, 3), None), ((2, 4), 1), ((3, 2, 2), 0))
                 for q in (0.3, (0.25, 0.5, 0.9)) for k in (False, True)
                 for m in ("linear", "lower", "higher", "midpoint", "nearest")]
    + [case(fixed([[1.0, np.nan, 3.0, -2.0], [0.5, 2.0, -1.0, 4.0]]), q=0.4, dim=1, keepdim=False,
            interpolation="linear", skip_nan=True)],
    "std_mean.std": with_correction(anyv), "std_mean.mean": reductions(anyv),
    "var_mean.var": with_correction(anyv), "var_mean.mean": reductions(anyv),
    "aminmax.amin": reductions(distinct)[3:], "aminmax.amax": reductions(distinct)[3:],
}
# torch.nn.functional's vision and metric-learning ops (ops/nn_more.py)
INPUTS.update({
    "soft_margin_loss": [case(anyv(*s), fixed(np.resize([1.0, -1.0, -1.0], s)), reduction=r)
                         for s in ((), (3,), (2, 3)) for r in ("mean", "sum", "none")],
    "upsample_nearest": [case(anyv(1, 2, 3), size=(7,), scales=None, exact=False),
                         case(anyv(2, 1, 2, 3), size=(4, 6), scales=(2.0, 2.0), exact=False),
                         case(anyv(1, 2, 3, 2), size=(5, 3), scales=None, exact=True),
                         case(anyv(1, 1, 2, 3, 2), size=(3, 5, 4), scales=None, exact=False)],
    "upsample_linear": [case(anyv(1, 2, 4), size=(9,), scales=None, align_corners=a)
                        for a in (False, True)]
    + [case(anyv(2, 1, 3, 2), size=(5, 6), scales=None, align_corners=a) for a in (False, True)]
    + [case(anyv(1, 1, 2, 3), size=(5, 7), scales=(2.5, 2.5), align_corners=False),
       case(anyv(1, 1, 4, 4), size=(90, 50), scales=None, align_corners=False)]
    + [case(anyv(1, 2, 2, 3, 2), size=(3, 5, 4), scales=None, align_corners=a)
       for a in (False, True)],
    "pixel_shuffle": [case(anyv(1, 4, 2, 3), factor=2), case(anyv(9, 1, 2), factor=3)],
    "pixel_unshuffle": [case(anyv(1, 1, 4, 6), factor=2), case(anyv(2, 3, 3), factor=3)],
    "channel_shuffle": [case(anyv(1, 4, 2), groups=2), case(anyv(2, 6, 2, 1), groups=3)],
    "elu_scaled": unary(away, neg=1.7581, pos=1.0507, **{"in": 1.0})
    + [case(away(2, 3), neg=0.5, pos=1.0, celu=True, **{"in": 2.0})],
    "glu": [case(anyv(4), dim=0), case(anyv(2, 6), dim=1), case(anyv(4, 3), dim=0)],
    "threshold": unary(away, threshold=0.0, value=0.5),
    "rrelu": unary(away, slope=0.2),
    "group_norm": [case(anyv(2, 4, 3), groups=2, eps=1e-5, affine=""),
                   case(anyv(2, 4, 3), anyv(4), anyv(4), groups=2, eps=1e-5, affine="wb"),
                   case(anyv(1, 6, 2, 2), anyv(6), groups=3, eps=1e-3, affine="w"),
                   case(anyv(2, 2, 3), anyv(2), groups=1, eps=1e-5, affine="b")],
    "im2col": [case(anyv(1, 2, 3, 4), kernel=(2, 2), dilation=(1, 1), padding=(0, 0),
                    stride=(1, 1)),
               case(anyv(2, 3, 4), kernel=(2, 3), dilation=(1, 2), padding=(1, 1),
                    stride=(2, 1))],
    "col2im": [case(anyv(1, 8, 6), size=(3, 4), kernel=(2, 2), dilation=(1, 1),
                    padding=(0, 0), stride=(1, 1)),
               case(anyv(4, 6), size=(4, 3), kernel=(2, 2), dilation=(1, 1),
                    padding=(1, 0), stride=(2, 1))],
    "adaptive_max_pool2d": [case(anyv(1, 2, 4, 5), output_size=(2, 2)),
                            case(anyv(3, 5, 3), output_size=(3, 2))],
    "adaptive_max_pool3d": [case(anyv(1, 3, 4, 5), output_size=(2, 3, 2)),
                            case(anyv(2, 2, 5, 3, 3), output_size=(3, 2, 1))],
    # their backward ops, which create_graph=True records (ops/nn_backward.py):
    # (g, x[, target]), g of the forward's output shape
    "glu_backward": [case(anyv(2), anyv(4), dim=0), case(anyv(2, 3), anyv(2, 6), dim=1)],
    "elu_scaled_backward": [case(anyv(2, 3), away(2, 3), neg=1.7581, pos=1.0507, **{"in": 1.0}),
                            case(anyv(3), away(3), neg=0.5, pos=1.0, celu=True, **{"in": 2.0})],
    "rrelu_backward": [case(anyv(2, 3), away(2, 3), slope=0.2)],
    "embedding_backward": [case(anyv(4, 3), labels(4, classes=5), rows=5),
                           case(anyv(2, 3, 2), labels(2, 3, classes=4), rows=4),
                           case(anyv(4, 2), lambda rng: np.array([0, 1, 1, 2]), rows=3,
                                padding_idx=1)],
    "soft_margin_loss_backward": [
        case(anyv(*(s if r == "none" else ())), anyv(*s), fixed(np.resize([1.0, -1.0, -1.0], s)),
             reduction=r) for s in ((3,), (2, 3)) for r in ("mean", "sum", "none")],
    "upsample_nearest_backward": [case(anyv(1, 2, 7), anyv(1, 2, 3), size=(7,), scales=None,
                                       exact=False),
                                  case(anyv(1, 2, 5, 3), anyv(1, 2, 3, 2), size=(5, 3),
                                       scales=None, exact=True)],
    "upsample_linear_backward": [case(anyv(1, 2, 9), anyv(1, 2, 4), size=(9,), scales=None,
                                      align_corners=a) for a in (False, True)]
    + [case(anyv(2, 1, 5, 6), anyv(2, 1, 3, 2), size=(5, 6), scales=None, align_corners=False)],
    "adaptive_max_pool2d_backward": [case(anyv(1, 2, 2, 2), distinct(1, 2, 4, 5),
                                          output_size=(2, 2)),
                                     case(anyv(3, 3, 2), distinct(3, 5, 3), output_size=(3, 2))],
    "adaptive_max_pool3d_backward": [case(anyv(1, 2, 3, 2), distinct(1, 3, 5, 4),
                                          output_size=(2, 3, 2))],
})
INPUTS["threshold_backward"] = INPUTS["threshold_backward"] + [
    case(anyv(2, 3), away(2, 3, at=0.5), threshold=0.5)]

# ops whose input (by position) is a triangular factor they read one triangle
# of, where PyTorch's gradient fills the whole matrix: checked on that triangle
ONE_TRIANGLE = {"cholesky_solve": 1, "cholesky_inverse": 0}
# ops that read one triangle of a symmetric matrix: PyTorch's gradient is
# the symmetric one, checked along symmetric directions
SYMMETRIC = {"linalg_cholesky", "eigh_values", "eigh_vectors"}

# writes at indices (ops/scatter.py): scatter, scatter_add, scatter_reduce,
# index_add, index_copy, index_fill; index arrays are params, as the gathers'
_SCATTER_I = np.array([[0, 1, 0], [1, 1, 0]])


def shifted(gen, by):
    return lambda rng: gen(rng) + by


INPUTS.update({
    "scatter": [case(anyv(2, 3), anyv(2, 3), dim=0, index=np.array([[0, 1, 0]])),
                case(anyv(3, 4), anyv(2, 5), dim=1, index=np.array([[3, 0], [1, 2]]))],
    "scatter_value": [case(anyv(2, 3), dim=1, index=np.array([[2], [0]]), value=1.5)],
    "scatter_add": [case(anyv(2, 3), anyv(2, 3), dim=0, index=_SCATTER_I),
                    case(anyv(4), anyv(5), dim=0, index=np.array([3, 3, 0, 1]))],
    "scatter_reduce": [case(anyv(2, 3), anyv(2, 3), dim=0, index=_SCATTER_I, reduce=r,
                            include_self=inc)
                       for r in ("sum", "mean") for inc in (True, False)]
                      + [case(pos(2, 3), pos(2, 3), dim=0, index=_SCATTER_I, reduce="prod",
                              include_self=inc) for inc in (True, False)]
                      + [case(distinct(2, 3), shifted(distinct(2, 3), 0.25), dim=0,
                              index=_SCATTER_I, reduce=r,
                              include_self=inc)
                         for r in ("amax", "amin") for inc in (True, False)],
    "index_add": [case(anyv(3, 2), anyv(4, 2), dim=0, index=np.array([2, 0, 2, 1]), alpha=1),
                  case(anyv(2, 3), anyv(2, 2), dim=1, index=np.array([1, 1]), alpha=-0.5)],
    "index_copy": [case(anyv(3, 2), anyv(2, 2), dim=0, index=np.array([2, 0])),
                   case(anyv(2, 3), anyv(2, 1), dim=1, index=np.array([1]))],
    "index_fill": [case(anyv(3, 2), dim=0, index=np.array([2, 0]), given=np.array([2, 0]),
                        value=0.5),
                   case(anyv(2, 3), anyv(), dim=1, index=np.array([0, 2]),
                        given=np.array([0, 2]))],
    "index_put_add": [case(anyv(4), anyv(3), index=(np.array([1, 1, 3]),)),
                      case(anyv(3, 2), anyv(), index=(np.array([0, 0]), np.array([1, 1]))),
                      case(anyv(3, 2), anyv(1, 2), index=(np.array([2, 0]),))],
})

# index_reduce (index spread over source's shape by its caller), masked_scatter
# (the mask, of the result's shape, a param; x broadcast with it), put
_INDEX_REDUCE_I = np.array([[0], [2], [0], [1]]).repeat(2, axis=1)
_MASK = np.array([[True, False, True], [False, True, True]])
INPUTS.update({
    "index_reduce": [case(anyv(3, 2), anyv(4, 2), dim=0, index=_INDEX_REDUCE_I, reduce="mean",
                          include_self=inc) for inc in (True, False)]
    + [case(pos(3, 2), pos(4, 2), dim=0, index=_INDEX_REDUCE_I, reduce="prod",
            include_self=True)]
    + [case(distinct(3, 2), shifted(distinct(4, 2), 0.25), dim=0, index=_INDEX_REDUCE_I,
            reduce=r, include_self=inc) for r in ("amax", "amin") for inc in (True, False)],
    "masked_scatter": [case(anyv(2, 3), anyv(6), mask=_MASK),
                       case(anyv(3), anyv(2, 3), mask=_MASK)],
    "masked_scatter_backward": [case(anyv(2, 3), mask=_MASK, shape=(6,)),
                                case(anyv(2, 3), mask=_MASK, shape=(2, 2))],
    "put": [case(anyv(2, 3), anyv(3), index=np.array([5, 0, 2]), accumulate=False),
            case(anyv(4), anyv(2, 2), index=np.array([1, 1, 3, 0]), accumulate=True)],
})

# x.conj_physical_() of a real tensor (ops/complex_parts.py): a copy
INPUTS["conj_physical_"] = [case(anyv(2, 3)), case(anyv())]

# rot90, the cross product, cdist (ops/geometry.py); cdist's rows kept apart
# (its distances are not smooth at 0), its p-norms away from p's kinks
INPUTS.update({
    "rot90": [case(anyv(2, 3), k=1, dims=(0, 1)), case(anyv(2, 3, 2), k=3, dims=(2, 0)),
              case(anyv(3, 2), k=2, dims=(1, 0))],
    "cross": [case(anyv(3), anyv(3), dim=0), case(anyv(2, 3), anyv(2, 3), dim=1),
              case(anyv(3, 2), anyv(1, 2), dim=0)],
    "cdist": [case(distinct(3, 2), shifted(distinct(4, 2), 0.3), p=p)
              for p in (2.0, 1.0, 3.0, 0.5)]
             + [case(anyv(3, 2), anyv(4, 2), p=float("inf"))]
             + [case(distinct(2, 3, 2), shifted(distinct(2, 2, 2), 0.3), p=2.0),
                case(distinct(3, 2), shifted(distinct(2, 2), 0.3), p=2.0, mm=True)],
})

# logaddexp, sinc, digamma, polygamma, i0, entr (ops/special.py): away from
# digamma's poles and entr's kink at 0
INPUTS.update({
    "logaddexp": binary(anyv),
    "logaddexp2": binary(anyv),
    "sinc": unary(anyv) + [case(num(np.array([0.0, 1.0, -1.5])))],
    "digamma": unary(lambda *s: anyv(*s, lo=0.3, hi=4.0)) + [case(anyv(3, lo=-0.9, hi=-0.1))],
    "polygamma": [case(anyv(*s, lo=0.3, hi=4.0), n=n) for s in ((), (3,), (2, 3))
                  for n in (0, 1, 2, 3)],
    "i0": unary(anyv),
    "special_i1": unary(anyv) + [case(num(np.array([0.0, 1.0, -1.5])))],
    "entr": unary(pos),
    # (ops/prelu.py: away from the kink at 0)
    "prelu": [case(away(3), anyv(1)), case(away(2, 3), anyv(3)), case(away(2, 3, 2), anyv(3)),
              case(away(2, 3, 2), anyv(1))],
    "block_diag": [case(anyv(2, 3), anyv(3), anyv()), case(anyv(1, 1), anyv(2, 2))],
    # (ops/grid_sample.py: random positions, off the pixel borders where the
    # interpolation has kinks; some outside the input, for the paddings)
    "grid_sampler": [case(anyv(2, 2, 3, 4), anyv(2, 3, 2, 2, lo=-1.2, hi=1.2), mode=m, padding=pad,
                          align_corners=a)
                     for m in ("bilinear", "nearest", "bicubic")
                     for pad in ("zeros", "border", "reflection") for a in (False, True)]
    + [case(anyv(1, 2, 2, 3, 3), anyv(1, 2, 2, 1, 3, lo=-1.2, hi=1.2), mode="bilinear",
            padding=pad, align_corners=a) for pad in ("zeros", "reflection") for a in (False, True)],
    # grid_sampler's gradients as ops (create_graph=True): (g, input, grid)
    "grid_sampler_backward": [case(anyv(2, 2, 3, 2), anyv(2, 2, 3, 4),
                                   anyv(2, 3, 2, 2, lo=-1.2, hi=1.2), mode=m, padding=pad,
                                   align_corners=a, output=out)
                              for m, pad, a in (("bilinear", "zeros", False),
                                                ("bilinear", "border", True),
                                                ("bilinear", "reflection", False),
                                                ("nearest", "zeros", True))
                              for out in ("input", "grid")]
    + [case(anyv(1, 2, 2, 1, 3), anyv(1, 2, 2, 3, 3), anyv(1, 2, 1, 3, 3, lo=-1.2, hi=1.2),
            mode="bilinear", padding="zeros", align_corners=a, output=out)
       for a in (False, True) for out in ("input", "grid")],
    # (ops/embedding_bag.py: indices and offsets fixed, an empty bag among them; distinct
    # values for max, so that no column ties)
    "embedding_bag": [case(anyv(5, 3), num(np.array([0, 2, 4, 2, 1])), num(np.array([0, 2, 2])),
                           mode=m, include_last=False, padding_idx=pad)
                      for m in ("sum", "mean") for pad in (None, 2)]
    + [case(distinct(5, 3), num(np.array([0, 2, 4, 2, 1])), num(np.array([0, 2, 2, 5])),
            mode="max", include_last=True, padding_idx=None),
       case(anyv(5, 3), num(np.array([0, 2, 4, 2, 1])), num(np.array([0, 3])), anyv(5),
            mode="sum", include_last=False, padding_idx=4)],
    # (ops/ctc.py: PyTorch's gradient is the derivative plus exp(log_probs); log-probabilities
    # near -30 make that term vanish here, and conformance_extra pins it against PyTorch)
    "ctc_loss": [case(anyv(5, 2, 3, lo=-31.0, hi=-30.0), num(np.array([[1, 2], [2, 2]])),
                      input_lengths=(5, 4), target_lengths=(2, 2), blank=0, zero_infinity=z)
                 for z in (False, True)]
    + [case(anyv(4, 2, 4, lo=-31.0, hi=-30.0), num(np.array([3, 1, 3])), input_lengths=(4, 2),
            target_lengths=(1, 2), blank=2, zero_infinity=False)],
    # (ops/weight_norm.py: g one number per slice along dim 0 or the last dim)
    "weight_norm": [case(anyv(3, 4), anyv(3, 1), dim=0), case(anyv(2, 3, 2), anyv(1, 1, 2), dim=2),
                    case(anyv(4,), anyv(4), dim=0)],
    "affine_grid_generator": [case(anyv(2, 2, 3), size=(2, 1, 3, 4), align_corners=False),
                              case(anyv(1, 3, 4), size=(1, 2, 2, 3, 2), align_corners=True)],
    # (ops/trilinear.py: rows of x1, the weight, rows of x2)
    "bilinear": [case(anyv(3, 2), anyv(4, 2, 3), anyv(3, 3)), case(anyv(1, 1), anyv(2, 1, 2), anyv(1, 2))],
    # (ops/embed_diag.py; dims normalised, as the function passes them)
    "diag_embed_dims": [case(anyv(3), offset=0, dim1=0, dim2=1), case(anyv(2, 3), offset=1, dim1=1, dim2=2),
                   case(anyv(2, 3), offset=-2, dim1=2, dim2=0)],
})

# log2, log10, deg2rad, rad2deg, fmax, fmin, rsub (ops/math_more.py): fmax and fmin
# away from ties, as maximum's
INPUTS.update({
    "log2": unary(pos), "log10": unary(pos), "deg2rad": unary(anyv), "rad2deg": unary(anyv),
    **{name: [case(grid(*sa, offset=0.25), grid(*sb, offset=-0.25)) for sa, sb in BINARY_SHAPES]
       for name in ("fmax", "fmin")},
    "rsub_alpha": binary(anyv) + [case(anyv(2, 3), anyv(3), alpha=0.3),
                                  case(anyv(3), num(1.5), alpha=-2.0)],
})

# dist and renorm (ops/distances.py): orders 1, 2 and others, inf without ties;
# renorm's maxnorm below some slices' norms and above others'
INPUTS.update({
    "dist": [case(anyv(2, 3), anyv(3), p=p) for p in (2, 1, 3.0, 0.5, float("inf"))]
    + [case(anyv(), anyv(2), p=2)],
    "renorm": [case(anyv(2, 3), p=2.0, dim=0, maxnorm=1.5), case(anyv(2, 3, 2), p=1.0, dim=1, maxnorm=2.0),
               case(anyv(3, 2), p=3.0, dim=-1 % 2, maxnorm=0.5), case(anyv(2, 2), p=2.0, dim=0, maxnorm=9.0)],
})

# nextafter, ldexp, frexp (ops/float_bits.py): frexp's mantissa away from the
# powers of two, where it jumps
INPUTS.update({
    "nextafter": binary(anyv), "ldexp": binary(anyv),
    "frexp": unary(lambda *shape: away(*shape, at=0.0, gap=0.55)),
    # (angle of a real x: 0 or pi, flat away from 0)
    "angle": unary(away),
    # (torch.fill: of a number, and of a 0-d tensor)
    "fill": [case(anyv(2, 3), value=1.5), case(anyv(3), anyv())],
    # (mvlgamma: x above (p - 1) / 2, where every lgamma term is smooth)
    "mvlgamma": unary(lambda *shape: anyv(*shape, lo=1.6, hi=4.0), p=3) + [case(pos(2, 3), p=1)],
})
# igamma and igammac (ops/igamma.py): a gradient for x only, so a is given
# as float32, which the checks leave alone; a series, a continued fraction
# and an asymptotic regime
INPUTS.update({name: [case(lambda rng: pos(3)(rng).astype(np.float32), pos(3)),
                      case(lambda rng: np.array([0.7, 3.0, 25.0], np.float32), fixed([2.5, 1.5, 24.0])),
                      case(lambda rng: np.array(2.0, np.float32), pos(2, 3))]
               for name in ("igamma", "igammac")})
# torch.celu_ and selu_: elu's gradient from its result (is_result)
INPUTS["elu_scaled"] = INPUTS["elu_scaled"] + unary(away, neg=2.0, pos=1.0, in_place=True,
                                                    celu=True, **{"in": 0.5})

# addbmm, and beta=/alpha= of the bias-plus-products (ops/scaled_products.py):
# beta = 0 among them (the input's part is then g * 0)
INPUTS["addbmm"] = [case(anyv(2, 4), anyv(3, 2, 3), anyv(3, 3, 4)),
                    case(anyv(4), anyv(2, 2, 3), anyv(2, 3, 4), beta=0.5, alpha=-2.0),
                    case(anyv(1, 4), anyv(1, 2, 3), anyv(1, 3, 4), beta=0, alpha=1.5)]
INPUTS["cholesky_inverse"] = [case(factor(3, 3)), case(factor(2, 3, 3)),
                              case(factor(3, 3, upper=True), upper=True)]
# pdist: rows apart (no zero distance, no tie at the maximum for p = inf)
# (random rows for p = inf: a grid's differences tie)
INPUTS["pdist"] = [case(distinct(4, 3), p=q) for q in (2.0, 1.0, 0.5, 3.5)] + [
    case(anyv(4, 3), p=float("inf")), case(distinct(2, 2), p=2.0)]
INPUTS["matrix_exp"] = [case(anyv(3, 3)), case(anyv(2, 2, 2)), case(anyv(1, 1)),
                        case(fixed([[2.0, 1.5], [-3.0, 0.5]]))]
# the LU ops: random matrices (their pivot order holds under a small step);
# lu_solve on any LU with valid pivots (A = P L U), its U well away from singular
_LU_SHAPES = (anyv(3, 3), anyv(2, 4), anyv(4, 2), anyv(2, 3, 3))
for _name in ("lu_factor", "linalg_lu_l", "linalg_lu_u", "lu_unpack_l", "lu_unpack_u"):
    INPUTS[_name] = [case(make) for make in _LU_SHAPES]


def _pivots(*values):
    return lambda rng: np.array(values, np.int32)


INPUTS["linalg_lu_solve"] = [
    case(invertible(3, 3), _pivots(2, 3, 3), anyv(3, 2)),
    case(invertible(3, 3), _pivots(3, 2, 3), anyv(3, 2), adjoint=True),
    case(invertible(3, 3), _pivots(1, 3, 3), anyv(2, 3), left=False),
    case(invertible(3, 3), _pivots(2, 2, 3), anyv(2, 3), left=False, adjoint=True),
    case(invertible(2, 3, 3), _pivots([2, 3, 3], [1, 2, 3]), anyv(3, 1))]
# torch.triangular_solve(b, A): upper by default, transpose=, unitriangular=; its copy of A
INPUTS["triangular_solve"] = [case(anyv(3, 2), invertible(3, 3)),
                              case(anyv(3, 2), invertible(3, 3), upper=False, transpose=True),
                              case(anyv(2, 3, 1), invertible(3, 3), unitriangular=True),
                              case(anyv(3, 2), invertible(2, 3, 3), upper=False)]
INPUTS["triangular_solve_clone"] = [case(anyv(3, 3), batch=()), case(anyv(3, 3), batch=(2,))]
# householder_product(A, tau) and ormqr(A, tau, C): polynomials in A's columns below the
# diagonal and in tau, so any values do (k reflectors up to n, batches, each side of C)
INPUTS["householder_product"] = [case(anyv(4, 3), anyv(3)), case(anyv(3, 3), anyv(2)),
                                 case(anyv(2, 3, 2), anyv(2, 2))]
INPUTS["ormqr"] = [case(anyv(4, 3), anyv(3), anyv(4, 2), left=True, transpose=False),
                   case(anyv(4, 3), anyv(3), anyv(4, 2), left=True, transpose=True),
                   case(anyv(3, 4), anyv(3), anyv(2, 3), left=False, transpose=False),
                   case(anyv(2, 3, 2), anyv(2, 2), anyv(2, 2, 3), left=False, transpose=True)]
for _name, _shapes in (("addmm", ((2, 4), (2, 3), (3, 4))), ("addmv", ((2,), (2, 3), (3,))),
                       ("addr", ((2, 3), (2,), (3,))), ("baddbmm", ((2, 2, 4), (2, 2, 3), (2, 3, 4)))):
    INPUTS[_name] = INPUTS[_name] + [case(*(anyv(*s) for s in _shapes), beta=0.5, alpha=-2.0),
                                     case(*(anyv(*s) for s in _shapes), beta=0, alpha=3.0)]

# an input whose gradient is PyTorch's and not the derivative (PyTorch 2.13's
# as_strided_scatter_backward gives self the gradient where src is written):
# pinned against PyTorch in conformance_extra/as_strided_scatter, not here
NOT_THE_DERIVATIVE = {"as_strided_scatter": 0}

# ops the registry marks not differentiable (comparisons); they need no check
NOT_DIFFERENTIABLE = {name for name, op in OPS.items() if not op.differentiable}
CHECKED = [(name, i) for name in sorted(INPUTS) for i in range(len(INPUTS[name]))]


def test_every_op_has_inputs():
    """Adding a differentiable op to the registry means adding its check here."""
    missing = [n for n, op in OPS.items()
               if op.differentiable and op.no_derivative is None and n not in INPUTS]
    assert missing == [], f"add inputs for these ops to INPUTS: {missing}"
    stale = [n for n in INPUTS if n not in OPS]
    assert stale == [], f"INPUTS names ops the registry does not have: {stale}"


def test_non_differentiable_ops_have_no_rules():
    assert {"eq", "ne", "lt", "le", "gt", "ge"} <= NOT_DIFFERENTIABLE
    for name in NOT_DIFFERENTIABLE:
        op = OPS[name]
        assert all(r is None for r in op.vjp), name


def test_every_op_has_a_shape_and_broadcast_case():
    """The table covers a 0-d input somewhere, and every elementwise binary op
    is checked with broadcasting shapes."""
    for name in ("add", "sub", "mul", "div", "pow", "maximum", "minimum"):
        shapes = [[a(np.random.default_rng(0)) for a in args] for args, _ in INPUTS[name]]
        assert any(np.ndim(x) == 0 for s in shapes for x in s), name
        assert any(np.shape(s[0]) != np.shape(s[1]) for s in shapes), name


# ---- the machinery --------------------------------------------------------

def _materialise(name, i):
    rng = np.random.default_rng(1000 + 7 * i + sum(map(ord, name)))
    args, params = INPUTS[name][i]
    return [make(rng) for make in args], dict(params), rng


def _differentiable(op, xs):
    """Positions of inputs to check: float arrays whose rule exists."""
    out = []
    for i, x in enumerate(xs):
        if not isinstance(x, np.ndarray) or x.dtype != F64:
            continue
        rule = op.vjp[0] if op.variadic else op.vjp[i]
        if rule is not None:
            out.append(i)
    return out


def _forward(op, xs, params) -> np.ndarray:
    return np.asarray(op.forward(list(xs), params), F64)


def _numeric_jvp(op, xs, params, i, t) -> np.ndarray:
    """(f(x_i + h t) - f(x_i - h t)) / 2h."""
    plus, minus = list(xs), list(xs)
    plus[i] = xs[i] + STEP * t
    minus[i] = xs[i] - STEP * t
    return (_forward(op, plus, params) - _forward(op, minus, params)) / (2 * STEP)


def _numeric_vjp(op, xs, params, i, g) -> np.ndarray:
    """The gradient of <g, f(x)> with respect to x_i, element by element
    (for an op in SYMMETRIC, along symmetric directions E_jk + E_kj)."""
    x = xs[i]
    out = np.zeros(x.shape, F64)
    for j in np.ndindex(x.shape):
        e = np.zeros(x.shape, F64)
        e[j] = 1.0
        if op.name in SYMMETRIC:
            e = (e + np.swapaxes(e, -1, -2)) / 2.0
        out[j] = np.sum(g * _numeric_jvp(op, xs, params, i, e))
    return out


def _engine_vjp(op, xs, params, g, wrt) -> dict:
    """Run the op on the tape and backward through the engine."""
    tape = Tape()
    args = []
    for i, x in enumerate(xs):
        if isinstance(x, np.ndarray):
            t = tape.add(Tensor(x.copy(), requires_grad=i in wrt))
            args.append(t)
        else:
            args.append(x)
    out = tape.apply(op, tuple(args), params)
    assert out.data.dtype == F64, "float64 in, float64 out"
    leaves = [args[i] for i in wrt]
    grads, *_ = autodiff.run_backward([out], [g], False, accumulate=False, inputs=leaves)
    # (an input the op sends no gradient, PyTorch's undefined one, gets zeros)
    return {i: grads[args[i]] if args[i] in grads else np.zeros(xs[i].shape, F64) for i in wrt}


def _jvp_rule(op, xs, params, i, t) -> np.ndarray:
    ans = _forward(op, xs, params)
    rule = op.jvp[0] if op.variadic else op.jvp[i]
    got = rule(t, ans, list(xs), params, i) if op.variadic else rule(t, ans, list(xs), params)
    # a broadcasting op's tangent may have the input's shape: it broadcasts
    # to the output like the input itself did
    return np.broadcast_to(np.asarray(got, F64), ans.shape)


def _ids():
    return [f"{name}-{i}" for name, i in CHECKED]


@pytest.mark.parametrize(("name", "i"), CHECKED, ids=_ids())
def test_vjp_matches_finite_difference(name, i):
    op = OPS[name]
    xs, params, rng = _materialise(name, i)
    wrt = _differentiable(op, xs)
    assert wrt, "every case differentiates something"
    ans = _forward(op, xs, params)
    g = np.asarray(rng.normal(size=ans.shape), F64)
    got = _engine_vjp(op, xs, params, g, wrt)
    for k in wrt:
        assert got[k].shape == xs[k].shape, f"input {k}: gradient shape"
        want = _numeric_vjp(op, xs, params, k, g)
        if NOT_THE_DERIVATIVE.get(name) == k:
            continue
        if ONE_TRIANGLE.get(name) == k:
            read = np.triu if params.get("upper") else np.tril
            got[k], want = read(got[k]), read(want)
        np.testing.assert_allclose(got[k], want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} input {k}: VJP vs finite difference")


@pytest.mark.parametrize(("name", "i"), CHECKED, ids=_ids())
def test_jvp_matches_finite_difference(name, i):
    op = OPS[name]
    xs, params, rng = _materialise(name, i)
    for k in _differentiable(op, xs):
        t = np.asarray(rng.normal(size=xs[k].shape), F64)
        if name in SYMMETRIC:
            t = t + np.swapaxes(t, -1, -2)
        got = _jvp_rule(op, xs, params, k, t)
        want = _numeric_jvp(op, xs, params, k, t)
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} input {k}: JVP vs finite difference")


def test_a_wrong_rule_is_caught():
    """The check can fail: a VJP off by a factor is found."""
    op = OPS["sin"]
    xs, params, rng = _materialise("sin", 1)
    g = np.ones(xs[0].shape)
    wrong = op.vjp[0](g, np.sin(xs[0]), xs, params) * 1.01
    want = _numeric_vjp(op, xs, params, 0, g)
    assert not np.allclose(wrong, want, rtol=RTOL, atol=ATOL)


# ---- kinks and ties: PyTorch's conventions ----------------------------------

# (program, {leaf: its .grad as PyTorch 2.13 computes it}): the literal values
# were read off real torch and are re-checked against it below
KINKS = {
    "relu_at_0": ("x = tensor([-1.0, 0.0, 2.0], requires_grad=True)\nrelu(x).sum().backward()",
                  {"x": [0.0, 0.0, 1.0]}),
    "abs_at_0": ("x = tensor([-1.5, 0.0, 2.0], requires_grad=True)\nx.abs().sum().backward()",
                 {"x": [-1.0, 0.0, 1.0]}),
    "clamp_boundary": ("x = tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)\n"
                       "clamp(x, min=0.0, max=1.0).sum().backward()",
                       {"x": [0.0, 1.0, 1.0, 1.0, 0.0]}),
    "clamp_min_only": ("x = tensor([-1.0, 0.0, 1.0], requires_grad=True)\n"
                       "x.clamp(min=0).sum().backward()", {"x": [0.0, 1.0, 1.0]}),
    # steps: 0 everywhere, at the jumps too; hardtanh and relu6 cut at their bounds
    "sign_at_0": ("x = tensor([-1.0, 0.0, 2.0], requires_grad=True)\n"
                  "x.sign().sum().backward()", {"x": [0.0, 0.0, 0.0]}),
    "floor_at_integers": ("x = tensor([-1.0, 0.5, 2.0], requires_grad=True)\n"
                          "(x.floor() * 3).sum().backward()", {"x": [0.0, 0.0, 0.0]}),
    "hardtanh_bounds": ("x = tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)\n"
                        "F.hardtanh(x).sum().backward()", {"x": [0.0, 0.0, 1.0, 0.0, 0.0]}),
    "relu6_at_0_and_6": ("x = tensor([-1.0, 0.0, 3.0, 6.0, 7.0], requires_grad=True)\n"
                         "F.relu6(x).sum().backward()", {"x": [0.0, 0.0, 1.0, 0.0, 0.0]}),
    "clamp_min_boundary": ("x = tensor([-1.0, 0.0, 1.0], requires_grad=True)\n"
                           "x.clamp_min(0.0).sum().backward()", {"x": [0.0, 1.0, 1.0]}),
    "hardswish_at_3": ("x = tensor([-3.0, 0.0, 3.0], requires_grad=True)\n"
                       "F.hardswish(x).sum().backward()", {"x": [0.0, 0.5, 1.0]}),
    "maximum_tie": ("a = tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                    "b = tensor([1.0, 3.0, 0.0], requires_grad=True)\n"
                    "maximum(a, b).sum().backward()",
                    {"a": [0.5, 0.0, 1.0], "b": [0.5, 1.0, 0.0]}),
    "minimum_tie": ("a = tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                    "b = tensor([1.0, 3.0, 0.0], requires_grad=True)\n"
                    "minimum(a, b).sum().backward()",
                    {"a": [0.5, 1.0, 0.0], "b": [0.5, 0.0, 1.0]}),
    "max_all_ties": ("x = tensor([1.0, 3.0, 3.0, 2.0], requires_grad=True)\n"
                     "x.max().backward()", {"x": [0.0, 0.5, 0.5, 0.0]}),
    "min_all_ties": ("x = tensor([[1.0, 3.0], [1.0, 1.0]], requires_grad=True)\n"
                     "x.min().backward()", {"x": [[1 / 3, 0.0], [1 / 3, 1 / 3]]}),
    "max_dim_ties": ("x = tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)\n"
                     "x.max(dim=1).values.sum().backward()",
                     {"x": [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]}),
    "min_dim_ties": ("x = tensor([[1.0, 1.0], [0.0, 0.0]], requires_grad=True)\n"
                     "v, i = x.min(0)\nv.sum().backward()",
                     {"x": [[0.0, 0.0], [1.0, 1.0]]}),
    "pow_zero_exponent_at_0": ("x = tensor([0.0, 2.0], requires_grad=True)\n"
                               "(x ** 0).sum().backward()", {"x": [0.0, 0.0]}),
    "pow_zero_base": ("y = tensor([0.0, 1.0, 2.0], requires_grad=True)\n"
                      "(0.0 ** y).sum().backward()", {"y": [0.0, 0.0, 0.0]}),
    "pow_tensor_zero_base": ("x = tensor([0.0, 0.0], requires_grad=True)\n"
                             "y = tensor([2.0, 0.5], requires_grad=True)\n"
                             "(x ** y).sum().backward()",
                             {"x": [0.0, float("inf")], "y": [0.0, 0.0]}),
    "sqrt_at_0": ("x = tensor([0.0, 4.0], requires_grad=True)\nx.sqrt().sum().backward()",
                  {"x": [float("inf"), 0.25]}),
    "norm_at_0": ("x = tensor([0.0, 0.0], requires_grad=True)\nx.norm().backward()",
                  {"x": [0.0, 0.0]}),
    # std's gradient g / (2 std) is +0 where std is 0; one element (or a
    # correction as large as the count) has no variance: nan and inf, as in
    # PyTorch's var_backward; an explicit empty list of dims reduces all
    # elements but counts one in the backward
    "std_at_constant": ("x = tensor([2.0, 2.0, 2.0], requires_grad=True)\nx.std().backward()",
                        {"x": [0.0, 0.0, 0.0]}),
    "std_dim_constant_row": ("x = tensor([[1.0, 1.0], [0.0, 2.0]], requires_grad=True)\n"
                             "x.std(dim=1).sum().backward()",
                             {"x": [[0.0, 0.0], [-0.5 ** 0.5, 0.5 ** 0.5]]}),
    "std_one_element": ("x = tensor([3.0], requires_grad=True)\nx.std().backward()",
                        {"x": [float("nan")]}),
    "std_correction_is_count": ("x = tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)\n"
                                "x.std(correction=4).backward()", {"x": [float("nan")] * 4}),
    "var_correction_past_count": ("x = tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)\n"
                                  "x.var(correction=5).backward()", {"x": [float("inf")] * 4}),
    "var_dim_correction_past_count": ("x = tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)\n"
                                      "x.var(dim=0, correction=5).backward()",
                                      {"x": [3.0, 1.0, -1.0, -3.0]}),
    "var_empty_dims": ("x = tensor([[1.0, 1.0], [0.0, 2.0]], requires_grad=True)\n"
                       "x.var(dim=[]).backward()",
                       {"x": [[float("nan"), float("nan")], [-float("inf"), float("inf")]]}),
    "prod_with_zeros": ("x = tensor([2.0, 0.0, 3.0], requires_grad=True)\n"
                        "x.prod().backward()", {"x": [0.0, 6.0, 0.0]}),
    "prod_two_zeros": ("x = tensor([[0.0, 0.0, 3.0], [1.0, 2.0, 0.0]], requires_grad=True)\n"
                       "x.prod(dim=1).sum().backward()",
                       {"x": [[0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]}),
    "where_picks": ("x = tensor([-1.0, 0.0, 1.0], requires_grad=True)\n"
                    "where(x > 0, x * 2, x * 3).sum().backward()", {"x": [3.0, 3.0, 2.0]}),
    "sigmoid_saturated": ("x = tensor([-100.0, 0.0, 100.0], requires_grad=True)\n"
                          "sigmoid(x).sum().backward()", {"x": [0.0, 0.25, 0.0]}),
}


def _gradviz_grads(program: str, names) -> dict:
    record = gradviz.run_source(program, stdout=io.StringIO())
    out = {}
    for name in names:
        node = record.node(record.variables[name])
        out[name] = node.grad.tolist()
    return out


@pytest.mark.parametrize("kink", sorted(KINKS))
def test_kink_follows_pytorch(kink):
    program, want = KINKS[kink]
    got = _gradviz_grads(program, want)
    for name, w in want.items():
        np.testing.assert_allclose(got[name], w, rtol=1e-6, atol=1e-7, err_msg=f"{kink}: {name}")


@pytest.mark.parametrize("kink", sorted(KINKS))
# (PyTorch warns of the corrections as large as the count: the values are the point)
@pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")
def test_kink_literals_are_pytorchs(kink):
    """The pinned literals are what real torch computes."""
    torch = pytest.importorskip("torch")
    program, want = KINKS[kink]
    ns = {"tensor": torch.tensor, "relu": torch.relu, "clamp": torch.clamp,
          "maximum": torch.maximum, "minimum": torch.minimum, "where": torch.where,
          "sigmoid": torch.sigmoid, "F": torch.nn.functional}
    exec(compile(program, kink, "exec"), ns)  # noqa: S102  (a fixed test program)
    for name, w in want.items():
        np.testing.assert_allclose(ns[name].grad.tolist(), w, rtol=1e-6, atol=1e-7,
                                   err_msg=f"{kink}: {name}")
