"""nn.PReLU(num_parameters=1, init=0.25): a learnable slope for x < 0, one
for all channels or one per channel; its call is F.prelu. nn.Bilinear(in1,
in2, out, bias=True): x1 W x2 + b; its call is F.bilinear."""
from __future__ import annotations

import math

from . import functions as F
from .errors import TYPE, GradvizError
from .modules import _filled, _float_dtype, _forward_args, _parameter
from .nn_norm_more import _PerChannelAffine
from .special_fns import f_bilinear, f_prelu


class PReLU(_PerChannelAffine):
    # (a per-channel module without a bias: its parameters are the weight)
    __slots__ = ("weight", "bias", "num_parameters", "init", "training", "label")
    name = "PReLU"
    type_name = "torch.nn.modules.activation.PReLU"
    ATTRIBUTES = ("weight", "num_parameters", "init")

    @property
    def text(self) -> str:
        return f"PReLU(num_parameters={self.num_parameters})"

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return f_prelu(rt, x, self.weight)


def make_prelu(rt, num_parameters=1, init=0.25, device=None, dtype=None):
    if isinstance(num_parameters, bool) or not isinstance(num_parameters, int):
        raise GradvizError("empty(): argument 'size' (position 1) must be tuple of ints, not "
                           f"{F.arg_type_name(num_parameters)}",
                           kind=TYPE, hint="num_parameters is a whole number: 1, or the "
                                           "input's channels")
    F._number_arg("PReLU", "init", None, init)
    if device is not None:
        F.check_device(device)
    weight = _filled(rt, (num_parameters,), _float_dtype(rt, dtype), float(init), True, "Parameter")
    return PReLU(weight, None, num_parameters=num_parameters, init=init)


class Bilinear(_PerChannelAffine):
    __slots__ = ("weight", "bias", "in1_features", "in2_features", "out_features", "training",
                 "label")
    name = "Bilinear"
    type_name = "torch.nn.modules.linear.Bilinear"
    ATTRIBUTES = ("weight", "bias", "in1_features", "in2_features", "out_features")

    @property
    def text(self) -> str:
        return (f"Bilinear(in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None})")

    def call(self, rt, args: list, kwargs: dict | None):
        given = [*args, *(kwargs or {}).values()]
        if len(given) != 2:
            raise GradvizError(f"Bilinear.forward() takes 3 positional arguments but "
                               f"{len(given) + 1} were given", kind=TYPE,
                               hint="call it on two tensors: layer(x1, x2)")
        return f_bilinear(rt, *given, self.weight, self.bias)


def make_bilinear(rt, in1_features, in2_features, out_features, bias=True, device=None,
                  dtype=None):
    sizes = (in1_features, in2_features, out_features)
    if any(isinstance(v, bool) or not isinstance(v, int) for v in sizes):
        raise GradvizError("Bilinear(): in1_features, in2_features and out_features must be "
                           "ints", kind=TYPE, hint="the sizes are whole numbers")
    if device is not None:
        F.check_device(device)
    dt = _float_dtype(rt, dtype)
    # (PyTorch's reset_parameters: both uniform in +-1/sqrt(in1_features))
    bound = 1 / math.sqrt(in1_features) if in1_features > 0 else 0.0
    weight = _parameter(rt, (out_features, in1_features, in2_features), dt, bound)
    b = _parameter(rt, (out_features,), dt, bound) if bias else None
    return Bilinear(weight, b, in1_features=in1_features, in2_features=in2_features,
                    out_features=out_features)


CLASSES = (PReLU, Bilinear)
MAKERS = {PReLU.type_name: make_prelu, Bilinear.type_name: make_bilinear}
