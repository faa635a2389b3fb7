"""nn.PReLU(num_parameters=1, init=0.25): a learnable slope for x < 0, one
for all channels or one per channel; its call is F.prelu."""
from __future__ import annotations

from . import functions as F
from .errors import TYPE, GradvizError
from .modules import _filled, _float_dtype, _forward_args
from .nn_norm_more import _PerChannelAffine
from .special_fns import f_prelu


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
    weight = _filled(rt, (num_parameters,), _float_dtype(dtype), float(init), True, "Parameter")
    return PReLU(weight, None, num_parameters=num_parameters, init=init)


CLASSES = (PReLU,)
MAKERS = {PReLU.type_name: make_prelu}
