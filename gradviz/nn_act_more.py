"""torch.nn.functional's further activations: F.selu, F.celu, F.glu,
F.threshold, F.rrelu (its evaluation form) and F.gumbel_softmax, with
PyTorch's checks and nodes (selu is EluBackward0, celu CeluBackward0;
gumbel_softmax is composed, its Gumbel noise drawn as PyTorch's
exponential_() draws it, so a seeded program's samples match)."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS

# PyTorch's SELU constants (Activation.cpp)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _activation_input(x, fn: str, kernel: str):
    x = F._need_tensor(x, fn)
    if x.data.dtype.kind != "f":
        raise GradvizError(f"\"{kernel}\" not implemented for '{F.type_word(x.data.dtype)}'",
                           kind="NotImplementedError", hint=f"make it a float tensor: {fn}(x.float())")
    return x


def _no_inplace(fn: str, inplace) -> None:
    if inplace:
        raise GradvizError(f"{fn}(..., inplace=True) is not supported", kind=TYPE,
                           hint=f"write y = F.{fn}(x)")


def f_selu(rt, input, inplace=False):
    """scale * elu(x, alpha) with SELU's fixed alpha and scale."""
    _no_inplace("selu", inplace)
    x = _activation_input(input, "selu", "elu_cpu")
    return rt.apply(OPS["elu_scaled"], (x,), {"neg": _SELU_ALPHA * _SELU_SCALE,
                                              "pos": _SELU_SCALE, "in": 1.0})


def f_celu(rt, input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (exp(x / alpha) - 1))."""
    _no_inplace("celu", inplace)
    alpha = F.number_value("celu", "alpha", 2, alpha)
    if alpha == 0:
        raise GradvizError("ZeroDivisionError: alpha cannot be 0 for CELU", kind=RUNTIME,
                           hint="alpha sets the negative part's scale: not 0")
    x = _activation_input(input, "celu", "elu_cpu")
    return rt.apply(OPS["elu_scaled"], (x,), {"neg": float(alpha), "pos": 1.0,
                                              "in": 1.0 / alpha, "celu": True})


def f_glu(rt, input, dim=-1):
    """a * sigmoid(b), a and b the two halves of dim (gated linear unit)."""
    x = F._need_tensor(input, "glu")
    if x.data.ndim == 0:
        raise GradvizError("glu does not support scalars because halving size must be even",
                           kind=RUNTIME, hint="glu halves a dim: give a tensor of even size")
    d = F._dim(dim, x.data.ndim)
    if x.data.shape[d] % 2:
        raise GradvizError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{x.data.shape[d]}", kind=RUNTIME,
                           hint="glu splits the dim into the values and their gates: "
                                "its size must be even")
    x = _activation_input(x, "glu", "glu_cpu")
    return rt.apply(OPS["glu"], (x,), {"dim": d})


def f_threshold(rt, input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    _no_inplace("threshold", inplace)
    x = F._need_tensor(input, "threshold")
    threshold = F.number_value("threshold", "threshold", 2, threshold)
    value = F.number_value("threshold", "value", 3, value)
    return rt.apply(OPS["threshold"], (x,), {"threshold": threshold, "value": value})


def f_rrelu(rt, input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky relu; in evaluation a leaky relu of slope
    (lower + upper) / 2, in training each number at or below 0 times its
    own slope, drawn uniformly in [lower, upper]."""
    _no_inplace("rrelu", inplace)
    return rrelu(rt, input, lower, upper, training, rt.rng)


def rrelu(rt, input, lower, upper, training, rng):
    """F.rrelu and torch.rrelu_: training's slopes drawn from rng."""
    # (in evaluation rrelu_with_noise is a leaky_relu: its kernel refuses the dtype)
    x = _activation_input(input, "rrelu", "rrelu_with_noise_out_cpu" if training else
                          "leaky_relu_cpu")
    F._number_arg("rrelu", "lower", 2, lower)
    F._number_arg("rrelu", "upper", 3, upper)
    if lower > upper:
        raise GradvizError("Lower bound should be less than or equal to the upper bound",
                           kind=RUNTIME, hint="rrelu(x, lower, upper): lower comes first")
    if training:
        return rt.apply(OPS["rrelu"], (x,), {"slope": (lower + upper) / 2,
                                             "noise": _rrelu_noise(x.data, lower, upper, rng)})
    return rt.apply(OPS["rrelu"], (x,), {"slope": (lower + upper) / 2})


def _rrelu_noise(x, lower, upper, rng):
    """PyTorch's rrelu_with_noise slopes: for each number at or below 0, in
    order, a float64 uniform in [lower, upper) (u * (upper - lower) + lower,
    the bounds as its opmath type holds them: float32 for float32), rounded
    to x's dtype; 1 for the others."""
    opmath = np.float64 if x.dtype == np.float64 else np.float32
    lo, hi = float(opmath(lower)), float(opmath(upper))
    at_most_0 = x.reshape(-1) <= 0
    drawn = rng.uniform(int(at_most_0.sum()), np.dtype(np.float64))
    noise = np.ones(x.size, x.dtype)
    noise[at_most_0] = (drawn * (hi - lo) + lo).astype(x.dtype)
    return noise.reshape(x.shape)


def f_gumbel_softmax(rt, logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + g) / tau), g Gumbel noise (-log of exponential_()
    draws); hard=True: the one-hot of its argmax, with y_soft's gradient
    (y_hard - y_soft.detach() + y_soft), as PyTorch's Python composes it."""
    logits = F._need_tensor(logits, "gumbel_softmax")
    if eps != 1e-10:
        rt.log_event("user_warning", logits,
                     message="`eps` parameter is deprecated and has no effect.")
    x = logits.data
    if x.dtype.kind != "f":
        raise GradvizError(f"\"exponential_cpu\" not implemented for '{F.type_word(x.dtype)}'",
                           kind="NotImplementedError", hint="logits are floats: x.float()")
    draws = rt.rng.exponential(x.size, x.dtype).reshape(x.shape)
    with np.errstate(divide="ignore"):
        gumbels = -OPS["log"].forward([draws], {})
    noise = F._leaf(rt, np.asarray(gumbels, x.dtype), False, "gumbel noise")
    y_soft = F.FUNCTIONS["softmax"](rt, rt.binary("/", rt.binary("+", logits, noise), tau), dim)
    if not hard:
        return y_soft
    d = F._dim(dim, x.ndim)
    index = np.argmax(y_soft.data, axis=d) if x.ndim else np.zeros((), np.int64)
    y_hard = np.zeros(x.shape, x.dtype)
    if x.ndim:
        np.put_along_axis(y_hard, np.expand_dims(index, d), 1, axis=d)
    else:
        y_hard[...] = 1
    # (y_hard - y_soft.detach() is a constant: only "+ y_soft" is recorded)
    constant = F._leaf(rt, (y_hard - y_soft.data).astype(x.dtype), False,
                       "y_hard - y_soft.detach()")
    return rt.binary("+", constant, y_soft)


FUNCTIONS = {"selu": f_selu, "celu": f_celu, "glu": f_glu, "threshold": f_threshold,
             "rrelu": f_rrelu, "gumbel_softmax": f_gumbel_softmax}
# the ones torch itself has too (torch.selu, torch.celu, torch.threshold, torch.rrelu)
TORCH = ("selu", "celu", "threshold", "rrelu")
