"""Channel-wise and self-normalizing dropout: F.dropout1d, F.dropout2d and
F.alpha_dropout, and nn.Dropout1d, nn.Dropout2d and nn.AlphaDropout
(off after .eval(), as nn.Dropout). Their masks are drawn as PyTorch's
bernoulli_(1 - p) draws them (float64 uniforms), so a seeded program's
masks are PyTorch's; the graph is PyTorch's: input * noise (MulBackward0),
alpha_dropout then + b (AddBackward0)."""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, VALUE, GradvizError
from .modules import Dropout, _dropout_p, _forward_args, _mask_input

# PyTorch's alpha_dropout: SELU's alpha * scale (Dropout.cpp)
_ALPHA = 1.7580993408473766


def _keep(rt, shape: tuple, p: float) -> np.ndarray:
    return rt.rng.rand(shape, np.dtype(np.float64)) < (1 - p)


def _channels(x) -> tuple:
    """The noise shape of channel-wise dropout, (N, C, 1, ...): PyTorch's
    make_feature_noise, with its error for fewer than 2 dims."""
    if x.data.ndim < 2:
        raise GradvizError("Feature dropout requires at least 2 dimensions in the input",
                           kind=RUNTIME, hint="channel-wise dropout takes (N, C, ...)")
    return x.data.shape[:2] + (1,) * (x.data.ndim - 2)


def _feature_dropout(rt, x, p: float, training: bool, fn: str):
    """feature_dropout: whole channels (dim 1) zeroed, the rest scaled."""
    if p == 0 or not training or x.data.size == 0:
        return x
    shape = _channels(x)
    dt = x.data.dtype
    if p == 1:
        noise = np.zeros((), dt)
    else:
        _mask_input(x, fn)
        noise = _keep(rt, shape, p).astype(dt) / dt.type(1 - p)
    return rt.binary("*", x, F._leaf(rt, noise, False, "dropout mask"))


def feature_dropout(rt, input, p: float, training: bool):
    """torch.feature_dropout: _feature_dropout of a tensor."""
    x = F._need_tensor(input, "feature_dropout", 1, "input")
    return _feature_dropout(rt, x, p, training, "feature_dropout")


def _arguments(fn: str, input, p, inplace) -> tuple:
    """The float input and the probability, checked in PyTorch's order."""
    p = _dropout_p(p, "float")
    if inplace:
        raise GradvizError(f"{fn}(inplace=True) is not supported", kind=VALUE,
                           hint=f"write x = F.{fn}(x, p) (not in place)")
    return F._need_tensor(input, fn, 1, "input"), p


def f_dropout2d(rt, input, p=0.5, training=True, inplace=False):
    """Each channel of an (N, C, H, W) input zeroed with probability p."""
    x, p = _arguments("dropout2d", input, p, inplace)
    ndim = x.data.ndim
    if ndim not in (3, 4):
        rt.log_event("user_warning", x, message=(
            f"dropout2d: Received a {ndim}-D input to dropout2d, which is deprecated and will "
            "result in an error in a future release. To retain the behavior and silence this "
            "warning, please use dropout instead. Note that dropout2d exists to provide "
            "channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and "
            "an optional batch dimension (i.e. 3D or 4D inputs)."))
    if ndim == 3:
        rt.log_event("user_warning", x, message=(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead."))
    return _feature_dropout(rt, x, p, training, "dropout2d")


def f_dropout1d(rt, input, p=0.5, training=True, inplace=False):
    """Each channel of an (N, C, L) or (C, L) input zeroed with probability p."""
    x, p = _arguments("dropout1d", input, p, inplace)
    ndim = x.data.ndim
    if ndim not in (2, 3):
        raise GradvizError(f"dropout1d: Expected 2D or 3D input, but received a {ndim}D input. "
                           "Note that dropout1d exists to provide channel-wise dropout on inputs "
                           "with 1 spatial dimension, a channel dimension, and an optional batch "
                           "dimension (i.e. 2D or 3D inputs).", kind=RUNTIME,
                           hint="the input is (N, C, L) or (C, L)")
    if ndim == 3:
        return _feature_dropout(rt, x, p, training, "dropout1d")
    # unbatched: one sample, as PyTorch adds its batch dim and takes it off
    out = _feature_dropout(rt, F.FUNCTIONS["unsqueeze"](rt, x, 0), p, training, "dropout1d")
    return F.FUNCTIONS["squeeze"](rt, out, 0)


def f_alpha_dropout(rt, input, p=0.5, training=False, inplace=False, *, channels=False):
    """Dropout that keeps a SELU network's mean and variance: dropped numbers
    set to SELU's negative limit, then the whole an affine map of it.
    channels: torch.feature_alpha_dropout's, one draw per channel (dim 1)."""
    if channels and F.is_tensor(input) and p != 0 and training and input.data.size:
        shape = _channels(input)
    x, p = _arguments("alpha_dropout", input, p, inplace)
    if p == 0 or not training or x.data.size == 0:
        return x
    dt = x.data.dtype.type
    if p == 1:
        return rt.binary("*", x, F._leaf(rt, np.zeros((), x.data.dtype), False, "dropout mask"))
    # (PyTorch scales noise - 1, and a bool noise - 1 is a Long tensor)
    _mask_input(x, "alpha_dropout", "Long" if x.data.dtype.kind == "b" else "")
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    keep = _keep(rt, shape if channels else x.data.shape, p).astype(x.data.dtype)
    # b = (noise - 1) * alpha a + alpha a p, noise * a: each step in the dtype
    b = ((keep + dt(-1)) * dt(_ALPHA * a) + dt(_ALPHA * a * p)).astype(x.data.dtype)
    noise = (keep * dt(a)).astype(x.data.dtype)
    out = rt.binary("*", x, F._leaf(rt, noise, False, "dropout mask"))
    return rt.binary("+", out, F._leaf(rt, b, False, "alpha dropout shift"))


def _dropout_class(name: str, fn):
    """nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout: nn.Dropout with another
    function (and name)."""
    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return fn(rt, x, self.p, self.training)

    return type(name, (Dropout,), {
        "__slots__": (), "name": name, "type_name": f"torch.nn.modules.dropout.{name}",
        "__doc__": f"nn.{name}(p=0.5): F.{fn.__name__[2:]} in training, the input in eval().",
        "text": property(lambda self: f"{name}(p={self.p}, inplace=False)"), "call": call})


Dropout1d = _dropout_class("Dropout1d", f_dropout1d)
Dropout2d = _dropout_class("Dropout2d", f_dropout2d)
AlphaDropout = _dropout_class("AlphaDropout", f_alpha_dropout)
CLASSES = (Dropout1d, Dropout2d, AlphaDropout)


def _maker(cls):
    def make(rt, p=0.5, inplace=False):
        if inplace:
            raise GradvizError(f"nn.{cls.name}(inplace=True) is not supported", kind=VALUE,
                               hint=f"nn.{cls.name}(p) (not in place)")
        return cls(_dropout_p(p))
    make.__name__ = cls.name
    return make


MAKERS = {cls.type_name: _maker(cls) for cls in CLASSES}
def f_feature_alpha_dropout(rt, input, p=0.5, training=False, inplace=False):
    """F.feature_alpha_dropout: alpha dropout of whole channels (dim 1)."""
    return f_alpha_dropout(rt, input, p, training, inplace, channels=True)


FUNCTIONS = {"dropout1d": f_dropout1d, "dropout2d": f_dropout2d,
             "alpha_dropout": f_alpha_dropout, "feature_alpha_dropout": f_feature_alpha_dropout}
