"""Group and instance normalization (GANs, style transfer, diffusion
U-Nets): F.group_norm (one NativeGroupNormBackward0 node, ops/group_norm.py)
and F.instance_norm (composed as PyTorch's ATen composes it: a view to
(1, N*C, ...), batch_norm in training mode, weight and bias repeated N
times, a view back), and nn.GroupNorm and nn.InstanceNorm1d/2d/3d
(track_running_stats too)."""
from __future__ import annotations

import math

from . import functions as F
from . import nn_functional as NF
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .modules import _batch_norm_state, _filled, _float_dtype, _forward_args
from .ops import OPS


def f_group_norm(rt, input, num_groups, weight=None, bias=None, eps=1e-5):
    """Each sample's channels in num_groups groups, each normalized over its
    channels and positions, then * weight + bias per channel."""
    input = F._need_tensor(input, "group_norm")
    if isinstance(num_groups, bool) or not isinstance(num_groups, int):
        raise GradvizError(f"group_norm(): argument 'num_groups' (position 2) must be int, not "
                           f"{F.arg_type_name(num_groups)}", kind=TYPE,
                           hint="num_groups is a whole number")
    x = input.data
    if x.ndim < 2:
        raise GradvizError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{x.ndim}", kind=RUNTIME, hint="the input is (N, C, ...)")
    affine, which = NF._affine_args("group_norm", weight, bias, 3)
    channels = x.shape[1]
    if num_groups <= 0 or channels % num_groups:
        raise GradvizError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(x.shape)} and "
                           f"num_groups={num_groups}", kind=RUNTIME,
                           hint=f"the {channels} channels split into groups of equal size")
    for name, t in zip(("weight" if "w" in which else "bias", "bias"), affine):
        if t.data.ndim != 1 or t.data.size != channels:
            raise GradvizError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{list(t.data.shape)} and input of shape {list(x.shape)}",
                               kind=RUNTIME, hint=f"one {name} per channel: {channels}")
    NF.norm_params_dtype(input, affine)
    if x.dtype.kind != "f":
        raise GradvizError(f"\"GroupNormKernelImpl\" not implemented for "
                           f"'{F.type_word(x.dtype)}'", kind="NotImplementedError",
                           hint="group_norm takes a float tensor: x.float()")
    F._number_arg("group_norm", "eps", 5, eps, "float")
    # (PyTorch's kernel takes input.contiguous(): a copy of a strided view)
    input = F.m_contiguous(rt, input)
    return rt.apply(OPS["group_norm"], (input,) + affine,
                    {"groups": num_groups, "eps": float(eps), "affine": which})


def f_instance_norm(rt, input, running_mean=None, running_var=None, weight=None, bias=None,
                    use_input_stats=True, momentum=0.1, eps=1e-5):
    """Each channel of each sample normalized over its positions (with
    use_input_stats=False, by running_mean and running_var), as ATen
    composes it: batch_norm of a (1, N*C, ...) view, the weight, bias and
    running statistics repeated N times; the running statistics then take
    the mean over the samples of their updated copies."""
    input = F._need_tensor(input, "instance_norm")
    if (running_mean is None) != (running_var is None):
        raise GradvizError("running_mean and running_var must either both be None or neither "
                           "be None", kind=VALUE, hint="give both running statistics, or neither")
    shape = input.data.shape
    if use_input_stats and math.prod(shape[2:]) == 1:       # (a 0-d or 1-d input too)
        raise GradvizError(f"Expected more than 1 spatial element when training, got input "
                           f"size torch.Size({list(shape)})", kind=VALUE,
                           hint="instance norm averages over the positions: give more than one")
    if not use_input_stats and running_mean is None:
        raise GradvizError("Expected running_mean and running_var to be defined when "
                           "use_input_stats is false", kind=RUNTIME,
                           hint="pass the running statistics, or use_input_stats=True")
    n = shape[0]
    flat = F.m_view(rt, F.m_contiguous(rt, input), 1, n * shape[1], *shape[2:])
    weight, bias, mean, var = (
        None if t is None else F.m_repeat(rt, F._need_tensor(t, "instance_norm"), n)
        for t in (weight, bias, running_mean, running_var))
    out = NF.f_batch_norm(rt, flat, mean, var, weight, bias, bool(use_input_stats), momentum,
                          eps)
    for stat, copies in ((running_mean, mean), (running_var, var)):
        if stat is not None:
            stat.data[...] = _mean_over_samples(copies.data.reshape(n, -1))
    return F.m_view(rt, out, *shape)


def _mean_over_samples(rows):
    """rows.mean(0) as PyTorch's kernel takes it: the rows added in turn."""
    total = rows[0]
    for row in rows[1:]:
        total = total + row
    return total / rows.dtype.type(len(rows))


class _PerChannelAffine:
    """A normalization module with an optional weight and bias per channel
    (its settings, by name, in ATTRIBUTES after them)."""

    __slots__ = ()

    def __init__(self, weight, bias, **settings):
        self.weight, self.bias = weight, bias
        for k, v in settings.items():
            setattr(self, k, v)
        self.training = True
        self.label = None

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [(k, p) for k, p in (("weight", self.weight), ("bias", self.bias))
                if p is not None]


class GroupNorm(_PerChannelAffine):
    """nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True): weight
    ones and bias zeros per channel; a call is F.group_norm."""

    __slots__ = ("weight", "bias", "num_groups", "num_channels", "eps", "affine", "training",
                 "label")
    name = "GroupNorm"
    type_name = "torch.nn.modules.normalization.GroupNorm"
    ATTRIBUTES = ("weight", "bias", "num_groups", "num_channels", "eps", "affine")

    @property
    def text(self) -> str:
        return (f"GroupNorm({self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None})")

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return f_group_norm(rt, x, self.num_groups, self.weight, self.bias, self.eps)


def make_group_norm(rt, num_groups, num_channels, eps=1e-5, affine=True, bias=True,
                    device=None, dtype=None):
    for name, v in (("num_groups", num_groups), ("num_channels", num_channels)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise GradvizError(f"GroupNorm(): {name} must be an int, not {F.arg_type_name(v)}",
                               kind=TYPE, hint=f"{name} is a whole number")
    if num_groups <= 0 or num_channels % num_groups:
        raise GradvizError(f"num_channels ({num_channels}) must be divisible by num_groups "
                           f"({num_groups})", kind=VALUE,
                           hint="the channels split into groups of equal size")
    if device is not None:
        F.check_device(device)
    dt = _float_dtype(rt, dtype)
    weight = _filled(rt, (num_channels,), dt, 1.0, True, "Parameter") if affine else None
    b = _filled(rt, (num_channels,), dt, 0.0, True, "Parameter") if affine and bias else None
    return GroupNorm(weight, b, num_groups=num_groups, num_channels=num_channels, eps=eps,
                     affine=affine)


class InstanceNorm1d(_PerChannelAffine):
    """nn.InstanceNorm1d(num_features, eps=1e-5, momentum=0.1, affine=False,
    track_running_stats=False): F.instance_norm per sample and channel
    (weight and bias with affine=True; with track_running_stats, the
    buffers running_mean, running_var and num_batches_tracked, which
    training updates and eval() normalizes by); an unbatched input gets a
    batch dim for the call, as PyTorch's."""

    __slots__ = ("weight", "bias", "num_features", "eps", "momentum", "affine",
                 "track_running_stats", "running_mean", "running_var", "num_batches_tracked",
                 "training", "label")
    name = "InstanceNorm1d"
    type_name = "torch.nn.modules.instancenorm.InstanceNorm1d"
    ATTRIBUTES = ("weight", "bias", "num_features", "eps", "momentum", "affine",
                  "track_running_stats", "running_mean", "running_var", "num_batches_tracked")
    NO_BATCH_DIM = 2

    @property
    def text(self) -> str:
        return (f"{self.name}({self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats})")

    def own_buffers(self) -> list:
        return [(k, b) for k, b in (("running_mean", self.running_mean),
                                    ("running_var", self.running_var),
                                    ("num_batches_tracked", self.num_batches_tracked))
                if b is not None]

    def _norm(self, rt, x):
        """_InstanceNorm._apply_instance_norm: the batch's statistics unless
        it tracks running ones and is in eval() mode (num_batches_tracked is
        not counted, as PyTorch's does not)."""
        return f_instance_norm(rt, x, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               0.0 if self.momentum is None else self.momentum, self.eps)

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, "instance_norm")
        dims = self.NO_BATCH_DIM
        if x.data.ndim not in (dims, dims + 1):
            raise GradvizError(f"expected {dims}D or {dims + 1}D input (got {x.data.ndim}D "
                               f"input)", kind=VALUE,
                               hint=f"{self.name} takes (N, C, ...) or one sample (C, ...)")
        feature_dim = x.data.ndim - dims
        if x.data.shape[feature_dim] != self.num_features:
            if self.affine:
                raise GradvizError(f"expected input's size at dim={feature_dim} to match "
                                   f"num_features ({self.num_features}), but got: "
                                   f"{x.data.shape[feature_dim]}.", kind=VALUE,
                                   hint="num_features is the number of channels")
            rt.log_event("user_warning", x, message=(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False"))
        if x.data.ndim == dims:
            out = self._norm(rt, F.FUNCTIONS["unsqueeze"](rt, x, 0))
            return F.FUNCTIONS["squeeze"](rt, out, 0)
        return self._norm(rt, x)


class InstanceNorm2d(InstanceNorm1d):
    __slots__ = ()
    name = "InstanceNorm2d"
    type_name = "torch.nn.modules.instancenorm.InstanceNorm2d"
    NO_BATCH_DIM = 3


class InstanceNorm3d(InstanceNorm1d):
    __slots__ = ()
    name = "InstanceNorm3d"
    type_name = "torch.nn.modules.instancenorm.InstanceNorm3d"
    NO_BATCH_DIM = 4


def _instance_norm_maker(cls):
    def make(rt, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
             device=None, dtype=None):
        if device is not None:
            F.check_device(device)
        dt = _float_dtype(rt, dtype)
        weight, bias, buffers = _batch_norm_state(rt, num_features, dt, bool(affine),
                                                  bool(affine), bool(track_running_stats))
        return cls(weight, bias, num_features=num_features, eps=eps, momentum=momentum,
                   affine=affine, track_running_stats=track_running_stats,
                   running_mean=buffers[0], running_var=buffers[1],
                   num_batches_tracked=buffers[2])
    make.__name__ = cls.name
    return make


CLASSES = (GroupNorm, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d)
MAKERS = {cls.type_name: _instance_norm_maker(cls)
          for cls in (InstanceNorm1d, InstanceNorm2d, InstanceNorm3d)}
MAKERS[GroupNorm.type_name] = make_group_norm
FUNCTIONS = {"group_norm": f_group_norm, "instance_norm": f_instance_norm}
