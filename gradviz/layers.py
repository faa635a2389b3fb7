"""torch.nn's layers that hold no parameters, and its losses, as objects a
program makes and calls (``criterion = nn.MSELoss(); loss = criterion(y, t)``,
``act = nn.ReLU(); h = act(x)``): each call is the torch.nn.functional
function it stands for, so the graph records the same op. (The modules
with parameters, nn.Linear, and the containers are in modules.py.)"""
from __future__ import annotations

import inspect

from . import functions as F
from . import conv  # noqa: I001  (after functions, which imports it at its end)
from . import nn_functional as NF
from . import nn_act_more as NA
from . import nn_losses_more as NL
from . import nn_vision as NV
from . import nn_ctc as NCTC
from . import pool3d, unpool
from .errors import TYPE, VALUE, GradvizError

# name -> (module, the function it calls, its parameters with their
# defaults, whether its repr shows them: ReLU(), Softplus(beta=1.0, ...), or
# a function of them that writes it: Softshrink(0.5))
_ACTIVATION = "torch.nn.modules.activation"
_LOSS = "torch.nn.modules.loss"
_DISTANCE = "torch.nn.modules.distance"       # forward(x1, x2)
_POOLING = "torch.nn.modules.pooling"
_REQUIRED = inspect.Parameter.empty
_MAX_POOL = (("kernel_size", _REQUIRED), ("stride", None), ("padding", 0), ("dilation", 1),
             ("return_indices", False), ("ceil_mode", False))
_AVG_POOL = (("kernel_size", _REQUIRED), ("stride", None), ("padding", 0), ("ceil_mode", False),
             ("count_include_pad", True))


def _pool_text(keys: tuple, singles: bool = False):
    """A pooling's repr: its arguments (stride, when left out, the kernel
    size), each as given, or as a 1-tuple (AvgPool1d's _single)."""
    def text(given: dict) -> str:
        values = {**given, "stride": given["stride"] if given["stride"] is not None
                  else given["kernel_size"]}
        out = []
        for k in keys:
            v = values[k]
            if singles and isinstance(v, int) and not isinstance(v, bool):
                v = (v,)
            out.append(f"{k}={v}")
        return ", ".join(out)
    return text


_MAX_POOL_TEXT = _pool_text(("kernel_size", "stride", "padding", "dilation", "ceil_mode"))
_LOSS_PARAMS = (("size_average", None), ("reduce", None), ("reduction", "mean"))


def _unpool_text(k: int):
    """nn.MaxUnpool{k}d's repr: its sizes as k-tuples (stride, when left
    out, the kernel size), as its __init__ keeps them."""
    def sized(v):
        return tuple(v) if isinstance(v, (tuple, list)) else (v,) * k

    def text(given: dict) -> str:
        stride = given["stride"] if given["stride"] is not None else given["kernel_size"]
        return (f"kernel_size={sized(given['kernel_size'])}, stride={sized(stride)}, "
                f"padding={sized(given['padding'])}")
    return text
_UPSAMPLING = "torch.nn.modules.upsampling"
_LP_POOL = (("norm_type", _REQUIRED), ("kernel_size", _REQUIRED), ("stride", None),
            ("ceil_mode", False))


def _upsample_factor(factor):
    """nn.Upsample's scale_factor as its __init__ keeps it: float(f) (each
    of a tuple's) if given, else None; with Python's and PyTorch's errors."""
    from .grad_utils import python_float
    if F.is_tensor(factor) and factor.data.size != 1:     # (PyTorch's `if scale_factor`)
        raise GradvizError("Boolean value of Tensor with more than one value is ambiguous",
                           kind="RuntimeError", hint="scale_factor is a number: 2.0")
    if not (factor.data.item() if F.is_tensor(factor) else factor):
        return None
    hint = "scale_factor is a number, or one per spatial dim: scale_factor=2.0"
    if isinstance(factor, (tuple, list)):
        return tuple(python_float(f, hint) for f in factor)
    return python_float(factor, hint)


def _upsample_text(given: dict, mode: str) -> str:
    """nn.Upsample's repr: its scale factor (when given), else its size,
    then the mode."""
    if given["scale_factor"]:
        return f"scale_factor={given['scale_factor']!r}, mode={mode!r}"
    return f"size={given['size']!r}, mode={mode!r}"


def _bilinear_corners(rt, input, size=None, scale_factor=None):
    """nn.UpsamplingBilinear2d's call: bilinear with align_corners=True."""
    return NV.f_interpolate(rt, input, size, scale_factor, "bilinear", True)
_PADDING = "torch.nn.modules.padding"


def _padder(mode: str, k: int):
    """A padding layer's call: F.pad in `mode` by its padding (and value);
    nn.CircularPad{k}d checks the input's dims first, with its own error."""
    def call(rt, input, padding, value=None):
        if mode == "circular" and F.is_tensor(input) and input.data.ndim not in (k + 1, k + 2):
            raise GradvizError(f"expected {k + 1}D or {k + 2}D input (got {input.data.ndim}D "
                               f"input)", kind=VALUE,
                               hint=f"CircularPad{k}d pads (N, C, ...) or (C, ...) with {k} "
                                    f"padded dim{'s' if k > 1 else ''}")
        return conv.f_pad(rt, input, padding, mode, value)
    return call


def _pad_amounts(k: int, kept: dict):
    """A padding layer's __init__ for its padding: a whole number made two
    per padded dim (left, right, top, ...), anything else a tuple of it, as
    PyTorch's _ntuple (a bad amount is F.pad's error at the first call);
    `kept`: what else it keeps (ZeroPad's value, 0.0)."""
    def prepare(rt, given: dict) -> None:
        padding = given["padding"]
        given["padding"] = tuple(padding) if isinstance(padding, (tuple, list)) \
            else (padding,) * (2 * k)
        given.update(kept)
    return prepare


# the padding layers' families: their F.pad mode and what each keeps besides
_PAD_FAMILIES = {"ConstantPad": ("constant", {}), "ZeroPad": ("constant", {"value": 0.0}),
                 "ReflectionPad": ("reflect", {}), "ReplicationPad": ("replicate", {}),
                 "CircularPad": ("circular", {})}


KINDS = {
    "ReLU": (_ACTIVATION, F.f_nn_relu, (("inplace", False),), "inplace"),
    "Sigmoid": (_ACTIVATION, F.FUNCTIONS["sigmoid"], (), False),
    "Tanh": (_ACTIVATION, F.FUNCTIONS["tanh"], (), False),
    "Softplus": (_ACTIVATION, F.f_softplus, (("beta", 1.0), ("threshold", 20.0)), True),
    "LeakyReLU": (_ACTIVATION, F.f_leaky_relu, (("negative_slope", 0.01),), True),
    "ELU": (_ACTIVATION, F.f_elu, (("alpha", 1.0),), True),
    "ReLU6": (_ACTIVATION, F.NN_FUNCTIONAL["relu6"], (("inplace", False),), "inplace"),
    "Hardtanh": (_ACTIVATION, F.NN_FUNCTIONAL["hardtanh"],
                 (("min_val", -1.0), ("max_val", 1.0), ("inplace", False)),
                 lambda given: f"min_val={given['min_val']!r}, max_val={given['max_val']!r}"
                               + (", inplace=True" if given["inplace"] else "")),
    "GELU": (_ACTIVATION, F.NN_FUNCTIONAL["gelu"], (("approximate", "none"),), True),
    "SiLU": (_ACTIVATION, F.NN_FUNCTIONAL["silu"], (("inplace", False),), "inplace"),
    "Mish": (_ACTIVATION, F.NN_FUNCTIONAL["mish"], (("inplace", False),), "inplace"),
    # (their repr leaves inplace out, as PyTorch's)
    "Hardsigmoid": (_ACTIVATION, F.NN_FUNCTIONAL["hardsigmoid"], (("inplace", False),), False),
    "Hardswish": (_ACTIVATION, F.NN_FUNCTIONAL["hardswish"], (("inplace", False),), False),
    "LogSigmoid": (_ACTIVATION, F.NN_FUNCTIONAL["logsigmoid"], (), False),
    "Softsign": (_ACTIVATION, F.NN_FUNCTIONAL["softsign"], (), False),
    "Tanhshrink": (_ACTIVATION, F.NN_FUNCTIONAL["tanhshrink"], (), False),
    "Softshrink": (_ACTIVATION, F.NN_FUNCTIONAL["softshrink"], (("lambd", 0.5),),
                   lambda given: str(given["lambd"])),
    "Hardshrink": (_ACTIVATION, F.NN_FUNCTIONAL["hardshrink"], (("lambd", 0.5),),
                   lambda given: str(given["lambd"])),
    "Softmax": (_ACTIVATION, F.NN_FUNCTIONAL["softmax"], (("dim", None),), True),
    "LogSoftmax": (_ACTIVATION, F.NN_FUNCTIONAL["log_softmax"], (("dim", None),), True),
    "Softmin": (_ACTIVATION, F.NN_FUNCTIONAL["softmin"], (("dim", None),), True),
    "Softmax2d": (_ACTIVATION, F.special_fns.f_softmax2d, (), False),
    "MSELoss": (_LOSS, F.f_mse_loss, _LOSS_PARAMS, False),
    "L1Loss": (_LOSS, F.f_l1_loss, _LOSS_PARAMS, False),
    "CrossEntropyLoss": (_LOSS, F.FUNCTIONS["cross_entropy"],
                         (("weight", None), ("size_average", None), ("ignore_index", -100),
                          ("reduce", None), ("reduction", "mean"), ("label_smoothing", 0.0)),
                         False),
    "BCELoss": (_LOSS, F.FUNCTIONS["binary_cross_entropy"], (("weight", None),) + _LOSS_PARAMS,
                False),
    "BCEWithLogitsLoss": (_LOSS, F.FUNCTIONS["binary_cross_entropy_with_logits"],
                          (("weight", None),) + _LOSS_PARAMS + (("pos_weight", None),), False),
    "NLLLoss": (_LOSS, NF.f_nll_loss, (("weight", None), ("size_average", None),
                                       ("ignore_index", -100), ("reduce", None),
                                       ("reduction", "mean")), False),
    "SmoothL1Loss": (_LOSS, NF.f_smooth_l1_loss, _LOSS_PARAMS + (("beta", 1.0),), False),
    "HuberLoss": (_LOSS, NF.f_huber_loss, (("reduction", "mean"), ("delta", 1.0)), False),
    "KLDivLoss": (_LOSS, NF.f_kl_div, _LOSS_PARAMS + (("log_target", False),), False),
    "MaxPool1d": (_POOLING, conv.f_max_pool1d, _MAX_POOL, _MAX_POOL_TEXT),
    "MaxPool2d": (_POOLING, conv.f_max_pool2d, _MAX_POOL, _MAX_POOL_TEXT),
    "AvgPool1d": (_POOLING, conv.f_avg_pool1d, _AVG_POOL,
                  _pool_text(("kernel_size", "stride", "padding"), singles=True)),
    "AvgPool2d": (_POOLING, conv.f_avg_pool2d, _AVG_POOL + (("divisor_override", None),),
                  _pool_text(("kernel_size", "stride", "padding"))),
    "MaxPool3d": (_POOLING, pool3d.f_max_pool3d, _MAX_POOL, _MAX_POOL_TEXT),
    **{f"MaxUnpool{k}d": (_POOLING, unpool.FUNCTIONS[f"max_unpool{k}d"],
                          (("kernel_size", _REQUIRED), ("stride", None), ("padding", 0)),
                          _unpool_text(k)) for k in (1, 2, 3)},
    "AvgPool3d": (_POOLING, pool3d.f_avg_pool3d, _AVG_POOL + (("divisor_override", None),),
                  _pool_text(("kernel_size", "stride", "padding"))),
    "AdaptiveAvgPool3d": (_POOLING, pool3d.f_adaptive_avg_pool3d,
                          (("output_size", _REQUIRED),), True),
    "AdaptiveMaxPool3d": (_POOLING, pool3d.f_adaptive_max_pool3d,
                          (("output_size", _REQUIRED), ("return_indices", False)),
                          lambda given: f"output_size={given['output_size']!r}"),
    "AdaptiveAvgPool1d": (_POOLING, conv.f_adaptive_avg_pool1d, (("output_size", _REQUIRED),),
                          True),
    "AdaptiveAvgPool2d": (_POOLING, conv.f_adaptive_avg_pool2d, (("output_size", _REQUIRED),),
                          True),
    "CosineSimilarity": (_DISTANCE, NF.f_cosine_similarity, (("dim", 1), ("eps", 1e-08)),
                         False),
    "PairwiseDistance": (_DISTANCE, NF.f_pairwise_distance,
                         (("p", 2.0), ("eps", 1e-06), ("keepdim", False)), False),
    "MarginRankingLoss": (_LOSS, NL.f_margin_ranking_loss, (("margin", 0.0),) + _LOSS_PARAMS,
                          False),
    "HingeEmbeddingLoss": (_LOSS, NL.f_hinge_embedding_loss, (("margin", 1.0),) + _LOSS_PARAMS,
                           False),
    "CosineEmbeddingLoss": (_LOSS, NL.f_cosine_embedding_loss, (("margin", 0.0),) + _LOSS_PARAMS,
                            False),
    "TripletMarginLoss": (_LOSS, NL.f_triplet_margin_loss,
                          (("margin", 1.0), ("p", 2.0), ("eps", 1e-06), ("swap", False))
                          + _LOSS_PARAMS, False),
    "PoissonNLLLoss": (_LOSS, NL.f_poisson_nll_loss,
                       (("log_input", True), ("full", False), ("size_average", None),
                        ("eps", 1e-08), ("reduce", None), ("reduction", "mean")), False),
    "GaussianNLLLoss": (_LOSS, NL.f_gaussian_nll_loss,
                        (("full", False), ("eps", 1e-06), ("reduction", "mean")), False),
    "MultiLabelSoftMarginLoss": (_LOSS, NL.f_multilabel_soft_margin_loss,
                                 (("weight", None),) + _LOSS_PARAMS, False),
    "SoftMarginLoss": (_LOSS, NL.f_soft_margin_loss, _LOSS_PARAMS, False),
    "CTCLoss": (_LOSS, NCTC.f_ctc_loss,
                (("blank", 0), ("reduction", "mean"), ("zero_infinity", False)), False),
    "Upsample": (_UPSAMPLING, NV.f_interpolate,
                 (("size", None), ("scale_factor", None), ("mode", "nearest"),
                  ("align_corners", None), ("recompute_scale_factor", None)),
                 lambda given: _upsample_text(given, given["mode"])),
    "UpsamplingNearest2d": (_UPSAMPLING, NV.f_interpolate, (("size", None), ("scale_factor", None)),
                            lambda given: _upsample_text(given, "nearest")),
    "UpsamplingBilinear2d": (_UPSAMPLING, _bilinear_corners,
                             (("size", None), ("scale_factor", None)),
                             lambda given: _upsample_text(given, "bilinear")),
    "SELU": (_ACTIVATION, NA.f_selu, (("inplace", False),), "inplace"),
    "CELU": (_ACTIVATION, NA.f_celu, (("alpha", 1.0), ("inplace", False)),
             lambda given: f"alpha={given['alpha']!r}" + (", inplace=True" if given["inplace"]
                                                          else "")),
    "GLU": (_ACTIVATION, NA.f_glu, (("dim", -1),), True),
    "Threshold": (_ACTIVATION, NA.f_threshold,
                  (("threshold", _REQUIRED), ("value", _REQUIRED), ("inplace", False)),
                  lambda given: f"threshold={given['threshold']!r}, value={given['value']!r}"
                                + (", inplace=True" if given["inplace"] else "")),
    "Unfold": ("torch.nn.modules.fold", NV.f_unfold,
               (("kernel_size", _REQUIRED), ("dilation", 1), ("padding", 0), ("stride", 1)),
               True),
    "Fold": ("torch.nn.modules.fold", NV.f_fold,
             (("output_size", _REQUIRED), ("kernel_size", _REQUIRED), ("dilation", 1),
              ("padding", 0), ("stride", 1)), True),
    "AdaptiveMaxPool1d": (_POOLING, NV.f_adaptive_max_pool1d,
                          (("output_size", _REQUIRED), ("return_indices", False)),
                          lambda given: f"output_size={given['output_size']!r}"),
    "AdaptiveMaxPool2d": (_POOLING, NV.f_adaptive_max_pool2d,
                          (("output_size", _REQUIRED), ("return_indices", False)),
                          lambda given: f"output_size={given['output_size']!r}"),
    "LPPool1d": (_POOLING, NV.f_lp_pool1d, _LP_POOL, True),
    "LPPool2d": (_POOLING, NV.f_lp_pool2d, _LP_POOL, True),
    "PixelShuffle": ("torch.nn.modules.pixelshuffle", NV.f_pixel_shuffle,
                     (("upscale_factor", _REQUIRED),), True),
    "PixelUnshuffle": ("torch.nn.modules.pixelshuffle", NV.f_pixel_unshuffle,
                       (("downscale_factor", _REQUIRED),), True),
    "ChannelShuffle": ("torch.nn.modules.channelshuffle", NV.f_channel_shuffle,
                       (("groups", _REQUIRED),), True),
    # ConstantPad1d(padding=(1, 2), value=3.5), ZeroPad2d((1, 1, 1, 1)), ReflectionPad1d((1, 1))
    **{f"ConstantPad{k}d": (_PADDING, _padder("constant", k),
                            (("padding", _REQUIRED), ("value", _REQUIRED)),
                            lambda given: f"padding={given['padding']!r}, value={given['value']!r}")
       for k in (1, 2, 3)},
    **{f"{family}{k}d": (_PADDING, _padder(_PAD_FAMILIES[family][0], k),
                         (("padding", _REQUIRED),), lambda given: repr(given["padding"]))
       for family in ("ZeroPad", "ReflectionPad", "ReplicationPad", "CircularPad")
       for k in (1, 2, 3)},
}
def _hardtanh_bounds(rt, given: dict) -> None:
    """nn.Hardtanh's __init__: its bounds compared with Python's <= (None's
    TypeError), a max_val not above min_val its AssertionError."""
    low, high = given["min_val"], given["max_val"]
    if rt.truth(rt.binary("<=", high, low)):
        raise GradvizError(f"max_val ({rt.str_of(high)}) must be greater than min_val "
                           f"({rt.str_of(low)})", kind="AssertionError",
                           hint="nn.Hardtanh(min_val, max_val) with min_val < max_val")


# how a layer's __init__ changes (or checks) its arguments before it keeps them
_PREPARE = {**{f"{family}{k}d": _pad_amounts(k, kept)
               for family, (_, kept) in _PAD_FAMILIES.items() for k in (1, 2, 3)},
            "Hardtanh": _hardtanh_bounds}
# the arguments of forward() where they are not (input) or a loss's (input, target)
FORWARD_ARGS = {"MarginRankingLoss": ("input1", "input2", "target"),
                "CosineEmbeddingLoss": ("input1", "input2", "target"),
                "TripletMarginLoss": ("anchor", "positive", "negative"),
                "GaussianNLLLoss": ("input", "target", "var"),
                "PoissonNLLLoss": ("log_input", "target"),
                "CTCLoss": ("log_probs", "targets", "input_lengths", "target_lengths"),
                **dict.fromkeys((f"MaxUnpool{k}d" for k in (1, 2, 3)), ("input", "indices"))}
# forward()'s arguments after those, which may be left out (passed on by name)
FORWARD_OPTIONAL = dict.fromkeys((f"MaxUnpool{k}d" for k in (1, 2, 3)), ("output_size",))


class Layer:
    """One nn.ReLU(), nn.MSELoss(reduction='sum'), ...: its class's name,
    the keyword arguments its calls pass on, and its repr."""

    __slots__ = ("name", "type_name", "fn", "kwargs", "text", "training")

    @property
    def py_type_name(self) -> str:
        """type(layer).__name__ (see fstrings._type_name)."""
        return self.name

    def __init__(self, name: str, type_name: str, fn, kwargs: dict, text: str):
        self.name, self.type_name, self.fn, self.kwargs, self.text = \
            name, type_name, fn, kwargs, text
        self.training = True

    def call(self, rt, args: list, kwargs: dict | None):
        forward = forward_name(self.name)
        optional = FORWARD_OPTIONAL.get(self.name, ())
        if any(k not in optional for k in kwargs or ()):
            raise GradvizError(f"{forward}() got an unexpected keyword argument "
                               f"'{next(k for k in kwargs if k not in optional)}'", kind=TYPE,
                               hint=f"call it on tensors only: {self.name.lower()}(x)")
        # forward(input) of an activation, forward(input, target) of a loss,
        # forward(x1, x2) of a distance
        wanted = FORWARD_ARGS.get(self.name) or (
            ("input", "target") if self.type_name.startswith(_LOSS) else
            ("x1", "x2") if self.type_name.startswith(_DISTANCE) else ("input",))
        if len(args) < len(wanted):
            missing = wanted[len(args):]
            raise GradvizError(f"{forward}() missing {len(missing)} required "
                               f"positional argument{'s' if len(missing) > 1 else ''}: "
                               + " and ".join(f"'{m}'" for m in missing), kind=TYPE,
                               hint="a loss takes the prediction and the target: "
                                    "criterion(y_hat, y)" if wanted[0] == "input" and
                               len(wanted) == 2 else "it compares two tensors: sim(a, b)"
                               if len(wanted) == 2 else None)
        if len(args) > len(wanted) + len(optional):
            most = len(wanted) + len(optional) + 1
            takes = f"from {len(wanted) + 1} to {most}" if optional else str(most)
            raise GradvizError(f"{forward}() takes {takes} positional "
                               f"arguments but {len(args) + 1} were given", kind=TYPE)
        extra = {**dict(zip(optional, args[len(wanted):])), **(kwargs or {})}
        return self.fn(rt, *args[:len(wanted)], **extra, **self.kwargs)


# the class whose forward a layer runs in PyTorch, where it is not the
# layer's own: its argument errors name it ("_BatchNorm.forward() missing
# 1 required positional argument: 'input'")
FORWARD_OWNERS = {
    **dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"), "_BatchNorm"),
    **dict.fromkeys(("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"), "_InstanceNorm"),
    **dict.fromkeys(("UpsamplingNearest2d", "UpsamplingBilinear2d"), "Upsample"),
    "ReLU6": "Hardtanh",
}


def forward_name(layer: str) -> str:
    """How PyTorch's errors name a layer's forward: Linear.forward, _BatchNorm.forward."""
    return f"{FORWARD_OWNERS.get(layer, layer)}.forward"


def layer_type(name: str):
    """nn.NAME as the class it is in PyTorch (print(nn.ReLU), type(a) == nn.ReLU)."""
    from .pytypes import PyType
    return PyType(f"{KINDS[name][0]}.{name}")


# the class whose __init__ PyTorch's argument errors name, where it is a base
_INIT_OWNERS = {
    **dict.fromkeys(("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"),
                    "_AdaptiveAvgPoolNd"),
    **dict.fromkeys(("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d"),
                    "_AdaptiveMaxPoolNd"),
    **dict.fromkeys(("BCELoss", "MultiLabelSoftMarginLoss"), "_WeightedLoss"),
    **dict.fromkeys(("L1Loss", "MSELoss", "SoftMarginLoss"), "_Loss"),
    **dict.fromkeys(("LPPool1d", "LPPool2d"), "_LPPoolNd"),
    **dict.fromkeys(("MaxPool1d", "MaxPool2d", "MaxPool3d"), "_MaxPoolNd"),
}


def maker(name: str):
    """The function nn.NAME(...) is: it makes a Layer."""
    module, fn, params, shown = KINDS[name]
    signature = None

    def make(rt, *args, **kwargs):
        nonlocal signature
        if signature is None:       # (at the first call: every start-up makes all 60 makers)
            signature = inspect.Signature([inspect.Parameter(
                p, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d) for p, d in params])
        try:
            unknown = next((k for k in kwargs if k not in signature.parameters), None)
            if unknown is not None:       # (Python's call says so before a missing argument)
                raise TypeError(f"got an unexpected keyword argument '{unknown}'")
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            owner = _INIT_OWNERS.get(name, name)
            raise GradvizError(f"{owner}.__init__() {F.call_wording(exc)}", kind=TYPE,
                               hint=f"nn.{name} takes " + (", ".join(p for p, _ in params)
                                                          or "no arguments")) from None
        bound.apply_defaults()
        given = dict(bound.arguments)
        if module == _UPSAMPLING:
            given["scale_factor"] = _upsample_factor(given["scale_factor"])
        if name in _PREPARE:
            _PREPARE[name](rt, given)
        if shown == "inplace":        # ReLU(), ReLU(inplace=True)
            text = "inplace=True" if given["inplace"] else ""
        elif callable(shown):
            text = shown(given)
        else:
            text = ", ".join(f"{k}={v!r}" for k, v in given.items()) if shown else ""
        # (the legacy size_average=/reduce= as the function reads them)
        passed = {k: v for k, v in given.items() if v is not None or k not in
                  ("size_average", "reduce")}
        return Layer(name, f"{module}.{name}", fn, passed, f"{name}({text})")
    make.__name__ = name
    return make


# the makers by their class's full name (the interpreter calls them for nn.NAME(...))
MAKERS = {f"{module}.{name}": maker(name) for name, (module, _, _, _) in KINDS.items()}


# ---- a layer's attributes: Module's, for a module without parameters -------------

def _no_items(rt, m, *args, **kwargs):
    from .functions import Generator
    return Generator([])


def _itself(rt, m, *args, **kwargs):
    from .functions import Generator
    return Generator([m])


def _named_itself(rt, m, memo=None, prefix="", remove_duplicate=True):
    from .functions import Generator
    return Generator([(prefix, m)])


def _train(rt, m, mode=True):
    m.training = bool(mode)
    return m


def _apply(rt, m, fn):
    rt.call_value(fn, [m])
    return m


def _state_dict(rt, m, *args, **kwargs):
    from collections import OrderedDict
    return OrderedDict()


def _forward(rt, m, *args, **kwargs):
    return m.call(rt, list(args), kwargs)


METHODS = {"parameters": _no_items, "named_parameters": _no_items, "buffers": _no_items,
           "named_buffers": _no_items, "children": _no_items, "named_children": _no_items,
           "modules": _itself, "named_modules": _named_itself, "train": _train,
           "eval": lambda rt, m: _train(rt, m, False), "apply": _apply,
           "zero_grad": lambda rt, m, set_to_none=True: None,
           "requires_grad_": lambda rt, m, requires_grad=True: m,
           "state_dict": _state_dict, "forward": _forward}


def attribute(rt, m: Layer, attr: str):
    """m.attr of nn.ReLU(), nn.MSELoss(), ...: training, its keyword
    arguments (reduction, dim, negative_slope, ...), Module's methods (it has
    no parameters) and the forward hooks."""
    from . import module_convert, module_hooks
    from .interpreter import BoundMethod
    if attr == "training":
        return m.training
    if attr in m.kwargs:
        return m.kwargs[attr]
    # (net.cuda(), net.double(), ... leave a module without tensors as it is)
    method = METHODS.get(attr) or module_hooks.METHODS.get(attr) or \
        module_convert.METHODS.get(attr)
    if method is None:
        raise GradvizError(f"'{m.name}' object has no attribute '{attr}'", kind="AttributeError",
                           hint=f"an {m.name} has training, "
                                + ", ".join([*m.kwargs, *(f"{k}()" for k in METHODS),
                                             "register_forward_hook()"]))
    return BoundMethod(attr, method, m)
