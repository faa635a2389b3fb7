"""torch.nn's modules that hold parameters, as objects a program makes and
calls: nn.Linear (initialised as PyTorch initialises it, from the same
random numbers, so that a seeded program's weights match to the bit),
nn.Sequential, nn.Flatten, and torch.nn.init's in-place initialisers.

    net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
    net[0].weight.data.normal_(0, 0.01)
    trainer = torch.optim.SGD(net.parameters(), lr=0.03)

A call is F.linear's ops (AddmmBackward0 on a 2-d input, as PyTorch records
it), so the graph shows what PyTorch's would; the parameters are leaves named
by how the program reaches them (net[0].weight). The parameter-free layers
(nn.ReLU, the losses) are layers.Layer."""
from __future__ import annotations

import inspect
import math
from collections import OrderedDict

import numpy as np

from . import half
from . import functions as F
from . import conv  # noqa: I001  (after functions, which imports it at its end)
from . import conv_transpose as ct
from . import layers, module_convert, module_hooks, strides, weight_hooks
from . import nn_functional as NF
from .errors import INDEX, KEY, RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .tensor import SCALAR_TYPE_NAMES, Tensor

_LINEAR = "torch.nn.modules.linear"
_CONTAINER = "torch.nn.modules.container"
_FLATTEN = "torch.nn.modules.flatten"


class Linear:
    """nn.Linear(in_features, out_features, bias=True): y = x @ W.T + b."""

    __slots__ = ("weight", "bias", "in_features", "out_features", "training", "label")
    name = "Linear"
    type_name = f"{_LINEAR}.Linear"

    def __init__(self, weight: Tensor, bias: Tensor | None, in_features: int, out_features: int):
        self.weight, self.bias = weight, bias
        self.in_features, self.out_features = in_features, out_features
        self.training = True
        self.label = None       # how the program reaches it: "net[0]" (name_parameters)

    @property
    def text(self) -> str:
        return (f"Linear(in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None})")

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        """(name, parameter) of its own, in PyTorch's order (weight, then bias)."""
        return [("weight", self.weight)] + ([("bias", self.bias)] if self.bias is not None else [])

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, "linear")
        shape = x.data.shape
        if shape and shape[-1] != self.in_features:
            rows = int(np.prod(shape[:-1]))
            raise GradvizError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{shape[-1]} "
                               f"and {self.in_features}x{self.out_features})",
                               kind=RUNTIME,
                               hint=f"this Linear takes inputs of {self.in_features} features "
                                    f"(in_features) in the last dimension, this one has "
                                    f"{shape[-1]}: change the input, or make the layer "
                                    f"nn.Linear({shape[-1]}, {self.out_features})")
        return f_linear(rt, x, self.weight, self.bias)


class UninitializedParameter:
    """A LazyLinear's weight or bias before its first call: PyTorch's
    UninitializedParameter, which has no shape or values yet."""

    __slots__ = ("name", "dtype")
    grad = None
    requires_grad = True

    def __init__(self, dtype: np.dtype):
        self.name, self.dtype = None, dtype

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class UninitializedBuffer(UninitializedParameter):
    """A LazyBatchNorm's running statistics before its first call."""

    __slots__ = ()
    requires_grad = False


def uninitialized(method: str) -> GradvizError:
    """PyTorch's error for an UninitializedParameter used in arithmetic."""
    return GradvizError(
        f"Attempted to use an uninitialized parameter in <method '{method}' of "
        "'torch._C.TensorBase' objects>. This error happens when you are using a `LazyModule` or "
        "explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. When using "
        "LazyModules Call `forward` with a dummy batch to initialize the parameters before "
        "calling torch functions", kind=VALUE,
        hint="a lazy module's parameters are made by its first call: call it on an "
             "input first (y = m(x)), then use m.weight")


class LazyLinear(Linear):
    """nn.LazyLinear(out_features): a Linear whose in_features is the last
    dimension of the input of its first call, which makes its parameters
    (drawn then, as nn.Linear(in_features, out_features) draws them) and
    makes it a Linear (PyTorch's cls_to_become)."""

    __slots__ = ()
    name = "LazyLinear"
    type_name = f"{_LINEAR}.LazyLinear"

    @property
    def text(self) -> str:
        return (f"LazyLinear(in_features=0, out_features={self.out_features}, "
                f"bias={self.bias is not None})")

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, "linear")
        if x.data.ndim == 0:
            raise GradvizError("LazyLinear needs an input with at least one dimension",
                               kind=INDEX, hint="call it on a batch of rows: net(x) with x "
                                                "of shape (batch, features)")
        self.in_features = x.data.shape[-1]
        self.weight, self.bias = _linear_parameters(rt, self.in_features, self.out_features,
                                                    self.bias is not None, self.weight.dtype)
        self.__class__ = Linear
        if self.label is not None:
            name_parameters(self, self.label)
        return Linear.call(self, rt, args, kwargs)


class Sequential:
    """nn.Sequential(*modules): each module's output is the next one's input."""

    __slots__ = ("items", "keys", "training", "label")
    name = "Sequential"
    type_name = f"{_CONTAINER}.Sequential"

    def __init__(self, items: list, keys: list | None = None):
        self.items = items
        # PyTorch's names of its modules: "0", "1", ...; a slice keeps them
        self.keys = keys if keys is not None else [str(i) for i in range(len(items))]
        self.training = True
        self.label = None

    def children(self) -> list:
        return list(zip(self.keys, self.items))

    def own_parameters(self) -> list:
        return []

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        for i, m in enumerate(self.items):
            start = len(rt.tape.nodes)
            x = call_module(rt, m, x)
            if self.label is not None:        # its nodes say which module made them
                mark_made(rt, start, f"{self.label}[{i}]")
        return x

    def item(self, index):
        """net[i] (a module) or net[a:b] (a Sequential of those)."""
        if isinstance(index, slice):
            return Sequential(self.items[index], self.keys[index])
        return self.items[self._position(index)]

    def _position(self, index) -> int:
        """The position of net[index] (an int), with PyTorch's IndexError."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise GradvizError(f"Sequential indices must be integers or slices, not "
                               f"{type(index).__name__}", kind=TYPE)
        n = len(self.items)
        if not -n <= index < n:
            raise GradvizError(f"index {index} is out of range", kind=INDEX,
                               hint=f"this {self.name} has {n} module{'s' if n != 1 else ''}"
                                    + (f": net[0] to net[{n - 1}]" if n else ""))
        return index % n

    def set_item(self, rt, index, m) -> None:
        """net[i] = m: the module under net[i]'s name replaced."""
        i = self._position(index)
        _need_module(rt, m, self.keys[i])
        self.items[i] = m

    def del_item(self, index) -> None:
        """del net[i] / del net[a:b]; the names left renumbered 0, 1, ...
        (as PyTorch's __delitem__ does, even names given by add_module)."""
        if isinstance(index, slice):
            del self.items[index]
        else:
            del self.items[self._position(index)]
        self.keys = [str(i) for i in range(len(self.items))]

    def add(self, rt, name, m) -> None:
        """add_module(name, m): a new name goes last, a known one is replaced
        where it is (PyTorch's checks of the name and the module)."""
        if m is not None and not is_module(m):
            raise GradvizError(f"{_typename(rt, m)} is not a Module subclass", kind=TYPE,
                               hint="add_module takes a name and a module: "
                                    "net.add_module('relu', nn.ReLU())")
        if not isinstance(name, str):
            raise GradvizError(f"module name should be a string. Got {_typename(rt, name)}",
                               kind=TYPE, hint="name it with a string: net.add_module('0', m)")
        if "." in name:
            # (a KeyError's message is the repr of what it was given)
            raise GradvizError(repr(f'module name can\'t contain ".", got: {name}'), kind=KEY,
                               hint="a name without dots, e.g. 'block 0'")
        if name == "":
            raise GradvizError(repr('module name can\'t be empty string ""'), kind=KEY)
        if name in METHODS or name == "training":
            raise GradvizError(repr(f"attribute '{name}' already exists"), kind=KEY,
                               hint="choose a name that is not one of a module's attributes")
        if m is None:
            raise GradvizError("add_module(name, None) is not supported here", kind=TYPE,
                               hint="add a module: nn.Linear(2, 1), nn.ReLU(), ...")
        if name in self.keys:
            self.items[self.keys.index(name)] = m
        else:
            self.keys.append(name)
            self.items.append(m)


class ModuleList(Sequential):
    """nn.ModuleList(modules=None): a list of modules, indexed, walked and
    added to (append, extend) as a Sequential is, its modules' parameters
    the parameters of a Module holding it; it is not callable (no forward)."""

    __slots__ = ()
    name = "ModuleList"
    type_name = f"{_CONTAINER}.ModuleList"

    def call(self, rt, args: list, kwargs: dict | None):
        raise GradvizError('Module [ModuleList] is missing the required "forward" function',
                           kind="NotImplementedError",
                           hint="a ModuleList is not called: walk it, "
                                "for layer in self.layers: x = layer(x)")

    def item(self, index):
        if isinstance(index, slice):
            return ModuleList(self.items[index], self.keys[index])
        return self.items[self._position(index)]


class ModuleDict(Sequential):
    """nn.ModuleDict(modules=None): modules by name, in the order added
    (a dict, an OrderedDict or (name, module) pairs); indexed by name and
    walked by name as a dict is; not callable (no forward)."""

    __slots__ = ()
    name = "ModuleDict"
    type_name = f"{_CONTAINER}.ModuleDict"
    call = ModuleList.call

    def item(self, key):
        """md[key], or PyTorch's KeyError (the key's repr)."""
        if key not in self.keys:
            raise GradvizError(repr(key), kind=KEY,
                               hint=f"this ModuleDict has {', '.join(map(repr, self.keys))}"
                               if self.keys else "this ModuleDict is empty")
        return self.items[self.keys.index(key)]

    def set_item(self, rt, key, m) -> None:
        """md[key] = m: add_module(key, m)."""
        self.add(rt, key, m)


# the containers indexed, walked and measured as lists of modules
SEQUENCES = (Sequential, ModuleList)
# the containers of named modules (their names reach them: net.fc1, md.fc1)
NAMED_CONTAINERS = (Sequential, ModuleList, ModuleDict)


def _typename(rt, v) -> str:
    """torch.typename(v): a tensor's legacy type, else the class's name."""
    if v.__class__ is Tensor:
        return F.legacy_type(v.data.dtype)
    return rt.type_name(v)


def _need_module(rt, m, key: str) -> None:
    if not is_module(m):
        raise GradvizError(f"cannot assign '{_typename(rt, m)}' as child module '{key}' "
                           "(torch.nn.Module or None expected)", kind=TYPE,
                           hint="a Sequential holds modules: net[1] = nn.Tanh()")


class _WithoutParameters:
    """A module that holds no parameters and no modules (Flatten, Dropout)."""

    __slots__ = ()

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return []


class Flatten(_WithoutParameters):
    """nn.Flatten(start_dim=1, end_dim=-1): d2l's first layer for images."""

    __slots__ = ("start_dim", "end_dim", "training", "label")
    name = "Flatten"
    type_name = f"{_FLATTEN}.Flatten"

    def __init__(self, start_dim: int, end_dim: int):
        self.start_dim, self.end_dim = start_dim, end_dim
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        return f"Flatten(start_dim={self.start_dim}, end_dim={self.end_dim})"

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return F.m_flatten(rt, F._need_tensor(x, "flatten", 1, "input"), self.start_dim,
                           self.end_dim)


class Unflatten(_WithoutParameters):
    """nn.Unflatten(dim, unflattened_size): x.unflatten(dim, size), the
    layer a decoder uses to turn a Linear's output back into channels."""

    __slots__ = ("dim", "unflattened_size", "training", "label")
    name = "Unflatten"
    type_name = f"{_FLATTEN}.Unflatten"

    def __init__(self, dim, unflattened_size):
        self.dim, self.unflattened_size = dim, unflattened_size
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        # (the size as Python shows it: a tuple, a list or a torch.Size)
        return f"Unflatten(dim={self.dim}, unflattened_size={self.unflattened_size!r})"

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return F.m_unflatten(rt, F._need_tensor(x, "unflatten", 1, "input"), self.dim,
                             self.unflattened_size)


class Dropout(_WithoutParameters):
    """nn.Dropout(p=0.5): in training, each number kept with probability
    1 - p and scaled by 1 / (1 - p) (f_dropout); in eval(), the input itself."""

    __slots__ = ("p", "training", "label")
    name = "Dropout"
    type_name = "torch.nn.modules.dropout.Dropout"

    def __init__(self, p: float):
        self.p = p
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        return f"Dropout(p={self.p}, inplace=False)"

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return f_dropout(rt, x, self.p, self.training)


def _dropout_p(p, zero: str = "int") -> float:
    """A dropout probability checked as PyTorch's Python checks it, p < 0 or
    p > 1: a value no number compares with is Python's TypeError, naming the
    0 it is compared with (the modules' int 0, the functions' 0.0: zero="float");
    a tensor of one element is its value."""
    if F.is_tensor(p) and p.data.size == 1:
        p = p.data.item()
    if not isinstance(p, (int, float)):
        raise GradvizError(f"'<' not supported between instances of '{F.arg_type_name(p)}' "
                           f"and '{zero}'", kind=TYPE,
                           hint="p is the chance that a number is zeroed: 0.5")
    if not 0 <= p <= 1:
        raise GradvizError(f"dropout probability has to be between 0 and 1, but got {p}",
                           kind=VALUE, hint="p is the chance that a number is zeroed: 0.5")
    return float(p)


def _mask_input(x, fn: str, target: str = "") -> None:
    """The input of a dropout mask draw. Only a drawn mask is float (p = 0,
    p = 1 and eval return the input or input * 0 in its own dtype), and
    PyTorch's writing it into an integer tensor fails. target: the dtype
    the message names, the input's unless given."""
    if x.data.dtype.kind != "f":
        target = target or SCALAR_TYPE_NAMES.get(x.data.dtype, "Long")
        raise GradvizError(f"result type Float can't be cast to the desired output type {target}",
                           kind=RUNTIME, hint=f"{fn} takes a float tensor: x.float()")
    half.refuse_random(x, fn)


def f_dropout(rt, input, p=0.5, training=True, inplace=False):
    """F.dropout as PyTorch's CPU kernel: the input itself when not training
    or p is 0; else input * noise, noise = bernoulli_(1 - p) / (1 - p) in
    the input's dtype, the mask drawn as torch.rand in float64 (the same
    words, PyTorch's bernoulli_distribution), so a seeded program's masks
    are PyTorch's; recorded as MulBackward0 with the noise as a constant."""
    x = F._need_tensor(input, "dropout", 1, "input")
    p = _dropout_p(p, "float")
    if inplace:
        raise GradvizError("dropout(inplace=True) is not supported", kind=VALUE,
                           hint="write x = F.dropout(x, p) (not in place)")
    if not training or p == 0:
        return x
    if p == 1:            # (PyTorch's input * zeros(()): no draw)
        noise = np.zeros((), x.data.dtype)
    else:
        _mask_input(x, "dropout")
        # (PyTorch's noise is empty_like(input), filled in memory order)
        keep = strides.in_memory_order(x, lambda shape: rt.rng.rand(shape, np.dtype(np.float64))
                                       < (1 - p))
        noise = keep.astype(x.data.dtype) / x.data.dtype.type(1 - p)
    mask = F._leaf(rt, noise, False, "dropout mask")
    return rt.binary("*", x, mask)


def make_dropout(rt, p=0.5, inplace=False):
    if inplace:
        raise GradvizError("nn.Dropout(inplace=True) is not supported", kind=VALUE,
                           hint="nn.Dropout(p) (not in place)")
    return Dropout(_dropout_p(p))


class Embedding:
    """nn.Embedding(num_embeddings, embedding_dim, padding_idx=None,
    max_norm=None, norm_type=2.0): a table of vectors, weight drawn as
    PyTorch's normal_(0, 1) draws it (the padding row zeros); a call is
    F.embedding(indices, weight, ...)."""

    __slots__ = ("weight", "num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                 "norm_type", "training", "label")
    name = "Embedding"
    type_name = "torch.nn.modules.sparse.Embedding"
    ATTRIBUTES = ("weight", "num_embeddings", "embedding_dim", "padding_idx", "max_norm",
                  "norm_type")

    def __init__(self, weight: Tensor, padding_idx: int | None, max_norm=None, norm_type=2.0):
        self.weight, self.padding_idx = weight, padding_idx
        self.max_norm, self.norm_type = max_norm, norm_type
        self.num_embeddings, self.embedding_dim = weight.data.shape
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        # (PyTorch's extra_repr: padding_idx, max_norm, norm_type when not 2)
        extra = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            extra += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            extra += f", norm_type={self.norm_type}"
        return f"Embedding({self.num_embeddings}, {self.embedding_dim}{extra})"

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [("weight", self.weight)]

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return NF.f_embedding(rt, x, self.weight, self.padding_idx, self.max_norm, self.norm_type)


def make_embedding(rt, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                   norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                   _freeze=False, device=None, dtype=None):
    n = _size_arg("Embedding", "num_embeddings", num_embeddings, 1)
    d = _size_arg("Embedding", "embedding_dim", embedding_dim, 2)
    if scale_grad_by_freq or sparse or _weight is not None or _freeze:
        raise GradvizError("nn.Embedding(): scale_grad_by_freq=, sparse=, _weight= and _freeze= "
                           "are not supported", kind=TYPE,
                           hint="nn.Embedding(num_embeddings, embedding_dim, padding_idx)")
    if device is not None:
        F.check_device(device)
    if F.is_tensor(padding_idx) and padding_idx.data.size == 1:
        padding_idx = padding_idx.data.item()
    NF.padding_idx_type(padding_idx)
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise GradvizError("Padding_idx must be within num_embeddings", kind="AssertionError",
                               hint=f"padding_idx runs from {-n} to {n - 1}")
        if isinstance(padding_idx, float):    # (PyTorch's weight[padding_idx].fill_(0))
            raise GradvizError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                               "byte Variables are valid indices (got float)", kind=INDEX,
                               hint="padding_idx is the index of a row: a whole number")
        padding_idx %= n
    _no_negative((n, d))
    rt.tape.check_shape((n, d), "parameter")
    values = rt.rng.normal((n, d), _float_dtype(rt, dtype))       # init.normal_(self.weight)
    if padding_idx is not None:
        values[padding_idx] = 0                                # (under no_grad, as PyTorch's)
    weight = F._leaf(rt, values, True, "Parameter")
    weight.meta = {**(weight.meta or {}), "parameter": True}
    return Embedding(weight, padding_idx, max_norm, norm_type)


class LayerNorm:
    """nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True,
    bias=True): weight ones and bias zeros of normalized_shape; a call is
    F.layer_norm(x, normalized_shape, weight, bias, eps)."""

    __slots__ = ("weight", "bias", "normalized_shape", "eps", "elementwise_affine", "training",
                 "label")
    name = "LayerNorm"
    type_name = "torch.nn.modules.normalization.LayerNorm"
    ATTRIBUTES = ("weight", "bias", "normalized_shape", "eps", "elementwise_affine")

    def __init__(self, weight, bias, normalized_shape: tuple, eps: float, affine: bool):
        self.weight, self.bias = weight, bias
        self.normalized_shape, self.eps, self.elementwise_affine = normalized_shape, eps, affine
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        return (f"LayerNorm({self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None})")

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [(k, p) for k, p in (("weight", self.weight), ("bias", self.bias))
                if p is not None]

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        return NF.f_layer_norm(rt, x, self.normalized_shape, self.weight, self.bias, self.eps)


class Conv2d:
    """nn.Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    dilation=1, groups=1, bias=True): a call is F.conv2d with its weight
    (out_channels, in_channels / groups, *kernel_size) and bias."""

    __slots__ = ("weight", "bias", "in_channels", "out_channels", "kernel_size", "stride",
                 "padding", "dilation", "groups", "padding_mode", "training", "label")
    name = "Conv2d"
    type_name = "torch.nn.modules.conv.Conv2d"
    ATTRIBUTES = ("weight", "bias", "in_channels", "out_channels", "kernel_size", "stride",
                  "padding", "dilation", "groups", "padding_mode")
    DIMS = 2

    def __init__(self, weight, bias, geometry: dict):
        self.weight, self.bias = weight, bias
        for k, v in geometry.items():
            setattr(self, k, v)
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        """PyTorch's extra_repr: the geometry that differs from the defaults."""
        k = self.DIMS
        # (a channel count given as a tensor prints as its number, as PyTorch's format does)
        parts = [f"{_number_of(self.in_channels)}, {_number_of(self.out_channels)}, "
                 f"kernel_size={self.kernel_size}, "
                 f"stride={self.stride}"]
        if self.padding != (0,) * k:
            parts.append(f"padding={self.padding}")
        if self.dilation != (1,) * k:
            parts.append(f"dilation={self.dilation}")
        if _number_of(self.groups) != 1:
            parts.append(f"groups={_number_of(self.groups)}")
        if self.bias is None:
            parts.append("bias=False")
        return f"{self.name}(" + ", ".join(parts) + ")"

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [("weight", self.weight)] + ([("bias", self.bias)] if self.bias is not None else [])

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        fn = (conv.f_conv1d, conv.f_conv2d, conv.f_conv3d)[self.DIMS - 1]
        return fn(rt, x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  _number_of(self.groups))


class Conv1d(Conv2d):
    """nn.Conv1d: Conv2d's over (N, C, L) inputs (F.conv1d)."""

    __slots__ = ()
    name = "Conv1d"
    type_name = "torch.nn.modules.conv.Conv1d"
    DIMS = 1


class Conv3d(Conv2d):
    """nn.Conv3d: Conv2d's over (N, C, D, H, W) inputs (F.conv3d)."""

    __slots__ = ()
    name = "Conv3d"
    type_name = "torch.nn.modules.conv.Conv3d"
    DIMS = 3


class ConvTranspose2d(Conv2d):
    """nn.ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1,
    padding=0, output_padding=0, groups=1, bias=True, dilation=1): a call is
    F.conv_transpose2d with its weight (in_channels, out_channels / groups,
    *kernel_size) and bias; forward(x, output_size=None) picks the
    output_padding that gives output_size."""

    __slots__ = ("output_padding",)
    name = "ConvTranspose2d"
    type_name = "torch.nn.modules.conv.ConvTranspose2d"
    ATTRIBUTES = Conv2d.ATTRIBUTES + ("output_padding",)

    @property
    def text(self) -> str:
        text = super().text
        if self.output_padding == (0,) * self.DIMS:
            return text
        # (PyTorch's extra_repr puts it after the dilation, before groups)
        at = next((text.index(f", {k}") for k in ("groups=", "bias=False") if f", {k}" in text),
                  len(text) - 1)
        return f"{text[:at]}, output_padding={self.output_padding}{text[at:]}"

    def call(self, rt, args: list, kwargs: dict | None):
        x, output_size = _transposed_args(self, args, kwargs)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = _output_padding(rt, self, F._need_tensor(x, "conv_transpose").data,
                                             output_size)
        fn = (ct.f_conv_transpose1d, ct.f_conv_transpose2d, ct.f_conv_transpose3d)[self.DIMS - 1]
        return fn(rt, x, self.weight, self.bias, self.stride, self.padding, output_padding,
                  _number_of(self.groups), self.dilation)


class ConvTranspose1d(ConvTranspose2d):
    """nn.ConvTranspose1d: ConvTranspose2d's over (N, C, L) inputs."""

    __slots__ = ()
    name = "ConvTranspose1d"
    type_name = "torch.nn.modules.conv.ConvTranspose1d"
    DIMS = 1


class ConvTranspose3d(ConvTranspose2d):
    """nn.ConvTranspose3d: ConvTranspose2d's over (N, C, D, H, W) inputs."""

    __slots__ = ()
    name = "ConvTranspose3d"
    type_name = "torch.nn.modules.conv.ConvTranspose3d"
    DIMS = 3


def _transposed_args(m, args: list, kwargs: dict | None) -> tuple:
    """forward(input, output_size=None)'s arguments."""
    kwargs = dict(kwargs or {})
    for k in kwargs:
        if k not in ("input", "output_size"):
            raise GradvizError(f"{m.name}.forward() got an unexpected keyword argument '{k}'",
                               kind=TYPE, hint="net(x) or net(x, output_size=(7, 7))")
    names = ("input", "output_size")
    values = dict(zip(names, args))
    if len(args) > 2:
        raise GradvizError(f"{m.name}.forward() takes from 2 to 3 positional arguments but "
                           f"{len(args) + 1} were given", kind=TYPE,
                           hint="net(x) or net(x, output_size=(7, 7))")
    for k, v in kwargs.items():
        if k in values:
            raise GradvizError(f"{m.name}.forward() got multiple values for argument '{k}'",
                               kind=TYPE, hint="give each argument once")
        values[k] = v
    if "input" not in values:
        raise GradvizError(f"{m.name}.forward() missing 1 required positional argument: 'input'",
                           kind=TYPE, hint="call it on a tensor: net(x)")
    return values["input"], values.get("output_size")


def _output_padding(rt, m, x, output_size) -> tuple:
    """_ConvTransposeNd._output_padding: the output_padding that makes the
    output output_size (its spatial sizes, or all of its sizes)."""
    k = m.DIMS
    lead = 2 if x.ndim == k + 2 else 1
    if F.is_tensor(output_size) and output_size.data.ndim:
        sizes = output_size.data.tolist()
    elif isinstance(output_size, (tuple, list, str)):
        sizes = list(output_size)
    else:
        # PyTorch's Python code takes len(output_size)
        what = ("len() of a 0-d tensor" if F.is_tensor(output_size) else
                f"object of type '{rt.type_name(output_size)}' has no len()")
        raise GradvizError(what, kind=TYPE, hint=f"output_size is a tuple of the output's {k} "
                                                 "spatial size(s)")
    if len(sizes) == lead + k:
        sizes = sizes[lead:]
        output_size = sizes if F.is_tensor(output_size) else output_size[lead:]
    if len(sizes) != k:
        raise GradvizError(f"ConvTranspose{k}D: for {x.ndim}D input, output_size must have {k} "
                           f"or {lead + k} elements (got {len(sizes)})", kind=VALUE,
                           hint=f"output_size is the output's {k} spatial size(s)")
    if x.ndim < lead + k:
        # input.size(d) of an input with too few dims (0-d or 1-d here)
        raise GradvizError(f"Dimension specified as {lead} but tensor has no dimensions"
                           if x.ndim == 0 else
                           f"Dimension out of range (expected to be in range of [{-x.ndim}, "
                           f"{x.ndim - 1}], but got {x.ndim})", kind=INDEX,
                           hint=f"the input is (N, C, *size) or (C, *size), with {k} spatial "
                                "dim(s)")
    low = [(x.shape[d + lead] - 1) * m.stride[d] - 2 * m.padding[d]
           + m.dilation[d] * (m.kernel_size[d] - 1) + 1 for d in range(k)]
    high = [lo + s - 1 for lo, s in zip(low, m.stride)]
    for n in sizes:
        if not isinstance(n, (int, float)):
            raise GradvizError(f"'<' not supported between instances of '{rt.type_name(n)}' "
                               "and 'int'", kind=TYPE, hint="output_size holds ints")
    if any(not lo <= n <= hi for n, lo, hi in zip(sizes, low, high)):
        raise GradvizError(f"requested an output size of {rt.repr_of(output_size)}, but valid "
                           f"sizes range from {low} to {high} (for an input of "
                           f"torch.Size({list(x.shape[lead:])}))", kind=VALUE,
                           hint="a stride s maps s output sizes onto one input size: pick one "
                                "of those")
    return tuple(n - lo for n, lo in zip(sizes, low))


def _conv_sizes(fn: str, k: int, in_channels, out_channels, kernel_size, stride, dilation,
                groups, lazy: bool = False, transposed: bool = False) -> tuple:
    """_ConvNd's checks of the sizes: (c_in, c_out, kernel, stride, dilation).
    lazy: a LazyConv's, without in_channels (0 until its first call).
    transposed: a ConvTranspose's, whose weight has in_channels first (a
    size that is no int is named by its place in the weight's shape)."""
    if groups.__class__ is Tensor and groups.data.dtype.kind in "iu" and groups.data.size == 1:
        groups = _number_of(groups)      # (PyTorch's checks and sizes compute with it)
    # (PyTorch's Python compares it first: groups <= 0)
    if F.at_most_zero(groups, "groups splits the channels: a whole number, 1 or more"):
        raise GradvizError("groups must be a positive integer", kind=VALUE,
                           hint="groups splits the channels: 1 or more")
    # PyTorch checks the channels' division before it makes the weight of
    # them: nn.Conv2d(1, 2.5, 3) fails there, nn.Conv2d(1, 2.0, 3) in torch.empty
    if not lazy:
        _channels_in_groups(_number_of(in_channels), groups)
    # (a lazy one's are checked as PyTorch's, made with 0 out_channels: at its first call)
    if _number_of(out_channels) % groups and not lazy:
        raise GradvizError("out_channels must be divisible by groups", kind=VALUE,
                           hint=f"{_number_of(out_channels)} out_channels do not split into {groups} groups")
    if transposed:
        c_in = _size_arg(fn, "in_channels", in_channels, 1)
        c_out = _size_arg(fn, "out_channels", out_channels, 2)
    else:
        c_out = _size_arg(fn, "out_channels", out_channels, 1)
        c_in = 0 if lazy else _size_arg(fn, "in_channels", in_channels, 2)
    return (c_in, c_out, conv._ints(fn, "kernel_size", kernel_size, k),
            conv._ints(fn, "stride", stride, k), conv._ints(fn, "dilation", dilation, k))


def _number_of(v):
    """A channel count as the modulo of PyTorch's checks sees it: a number,
    or the int of an integer tensor of one element; anything else as 0
    (its error is torch.empty's, after those checks)."""
    if v.__class__ is Tensor:
        return int(v.data.item()) if v.data.dtype.kind in "iu" and v.data.size == 1 else 0
    return v if isinstance(v, (int, float)) else 0


def _given_channels(given, c: int):
    """The channel count a layer keeps: a tensor as given (PyTorch stores
    nn.Conv1d(1, torch.tensor(2), 3).out_channels as that tensor, which
    prints as one), else the int."""
    return given if given.__class__ is Tensor else c


def _conv_parameters(rt, shape: tuple, bias_size: int | None, dt: np.dtype) -> tuple:
    """(weight, bias or None) of a convolution layer: the weight by
    kaiming_uniform_(a=sqrt(5)) and the bias uniform in +-1/sqrt(fan_in),
    fan_in = the weight's dim 1 times the kernel size, drawn in that order
    from the seed as PyTorch's reset_parameters draws them."""
    _no_negative(shape)
    fan_in = math.prod(shape[1:])
    # torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5)), its arithmetic as written there
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    w_bound = math.sqrt(3.0) * (gain / math.sqrt(fan_in)) if fan_in else 0.0
    weight = _parameter(rt, shape, dt, w_bound)
    if bias_size is None:
        return weight, None
    return weight, _parameter(rt, (bias_size,), dt, 1 / math.sqrt(fan_in) if fan_in else 0)


class LazyConv2d(Conv2d):
    """nn.LazyConv2d(out_channels, kernel_size, ...): a Conv2d whose
    in_channels is its first input's (dim 1, or 0 unbatched); that call
    draws its parameters (as nn.Conv2d would then) and makes it a Conv2d
    (PyTorch's cls_to_become). Printed with in_channels 0 until then."""

    __slots__ = ()
    name = "LazyConv2d"
    type_name = "torch.nn.modules.conv.LazyConv2d"
    BECOMES = Conv2d

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, f"conv{self.DIMS}d")
        unbatched, batched = self.DIMS + 1, self.DIMS + 2
        if x.data.ndim not in (unbatched, batched):
            raise GradvizError(f"Expected {unbatched}D (unbatched) or {batched}D (batched) input "
                               f"to {self.name}, but got input of size: "
                               f"torch.Size({list(x.data.shape)})", kind=RUNTIME,
                               hint=f"a batch of "
                                    f"{('sequences', 'images', 'volumes')[self.DIMS - 1]}: "
                                    f"(N, C, {conv._SPATIAL[self.DIMS][0]})")
        self.in_channels = x.data.shape[1 if x.data.ndim == batched else 0]
        groups = _number_of(self.groups)
        _channels_in_groups(self.in_channels, groups)
        self.weight, self.bias = _conv_parameters(
            rt, (self.out_channels, self.in_channels // groups) + self.kernel_size,
            self.out_channels if self.bias is not None else None, self.weight.dtype)
        return _materialized(self).call(self, rt, args, kwargs)


def _materialized(m):
    """m made the module it becomes (PyTorch's cls_to_become), its new
    parameters named as the program reaches m; that class."""
    becomes = m.__class__ = m.BECOMES
    if m.label is not None:
        name_parameters(m, m.label)
    return becomes


def _lazy_variant(becomes, lazy, name: str):
    """The lazy module of another rank: `lazy`'s first call, then `becomes`
    (nn.LazyConv1d is LazyConv2d's over (N, C, L) inputs)."""
    module = lazy.type_name.rsplit(".", 1)[0]
    return type(name, (becomes,), {"__slots__": (), "__doc__": f"nn.{name}: {lazy.name}'s, as "
                                   f"{becomes.name}", "name": name,
                                   "type_name": f"{module}.{name}", "BECOMES": becomes,
                                   "call": lazy.call})


LazyConv1d = _lazy_variant(Conv1d, LazyConv2d, "LazyConv1d")
LazyConv3d = _lazy_variant(Conv3d, LazyConv2d, "LazyConv3d")


def _channels_in_groups(c_in: int, groups: int) -> None:
    if c_in % groups:
        raise GradvizError("in_channels must be divisible by groups", kind=VALUE,
                           hint=f"{c_in} in_channels do not split into {groups} groups")


def _no_0d_sizes(*sizes) -> None:
    """A conv layer's sizes as its __init__ takes them first, through
    _single/_pair, which make a tuple of whatever is iterable: a 0-d tensor
    is its TypeError (one of more elements is left to gradviz's refusal)."""
    for v in sizes:
        if v.__class__ is Tensor and v.data.ndim == 0:
            raise GradvizError("iteration over a 0-d tensor", kind=TYPE,
                               hint="give the size as an int: int(t) or t.item()")


def _conv_maker(cls, lazy: bool = False):
    """nn.Conv1d / nn.Conv2d: PyTorch's checks of the arguments, then the
    parameters (_conv_parameters). lazy: nn.LazyConv1d / nn.LazyConv2d,
    without in_channels, whose parameters its first call makes."""
    def make(rt, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
             groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        k = cls.DIMS
        fn = cls.name
        _no_0d_sizes(kernel_size, stride, padding, dilation)
        c_in, c_out, kernel, stride_, dilation_ = _conv_sizes(
            fn, k, in_channels, out_channels, kernel_size, stride, dilation, groups, lazy)
        given_groups, groups = groups, _number_of(groups)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise GradvizError(f"Invalid padding string '{padding}', should be one of "
                                   "{'same', 'valid'}", kind=VALUE,
                                   hint="padding is a number, a tuple, 'valid' or 'same'")
            if padding == "same" and any(s != 1 for s in stride_):
                raise GradvizError("padding='same' is not supported for strided convolutions",
                                   kind=VALUE, hint="use stride=1 with padding='same'")
            padding_ = padding
        else:
            padding_ = conv._ints(fn, "padding", padding, k)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise GradvizError("padding_mode must be one of {'circular', 'zeros', 'reflect', "
                               f"'replicate'}}, but got padding_mode='{padding_mode}'",
                               kind=VALUE, hint="padding_mode='zeros', the default")
        if padding_mode != "zeros":
            raise GradvizError(f"{fn}(padding_mode='{padding_mode}') is not supported",
                               kind=VALUE, hint="gradviz pads with zeros: padding_mode='zeros'")
        if device is not None:
            F.check_device(device)
        dt = _float_dtype(rt, dtype)
        if lazy:
            weight, b = UninitializedParameter(dt), UninitializedParameter(dt) if bias else None
        else:
            weight, b = _conv_parameters(rt, (c_out, c_in // groups) + kernel,
                                         c_out if bias else None, dt)
        return cls(weight, b, {"in_channels": _given_channels(in_channels, c_in),
                               "out_channels": _given_channels(out_channels, c_out),
                               "kernel_size": kernel,
                               "stride": stride_, "padding": padding_, "dilation": dilation_,
                               "groups": given_groups, "padding_mode": padding_mode})
    if lazy:
        def make_lazy(rt, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                      bias=True, padding_mode="zeros", device=None, dtype=None):
            return make(rt, 0, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                        padding_mode, device, dtype)
        make_lazy.__name__ = cls.name
        return make_lazy
    make.__name__ = cls.name
    return make


def _conv_transpose_maker(cls):
    """nn.ConvTranspose1d / nn.ConvTranspose2d: PyTorch's checks, then the
    weight (in_channels, out_channels / groups, *kernel_size) and the bias as
    _conv_parameters draws them."""
    def make(rt, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
             groups=1, bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        k = cls.DIMS
        fn = cls.name
        _no_0d_sizes(kernel_size, stride, padding, dilation, output_padding)
        if padding_mode != "zeros":
            raise GradvizError(f'Only "zeros" padding mode is supported for {fn}', kind=VALUE,
                               hint="padding_mode='zeros', the default")
        c_in, c_out, kernel, stride_, dilation_ = _conv_sizes(
            fn, k, in_channels, out_channels, kernel_size, stride, dilation, groups,
            transposed=True)
        given_groups, groups = groups, _number_of(groups)
        padding_ = conv._ints(fn, "padding", padding, k)
        output_padding_ = conv._ints(fn, "output_padding", output_padding, k)
        if device is not None:
            F.check_device(device)
        weight, b = _conv_parameters(rt, (c_in, c_out // groups) + kernel,
                                     c_out if bias else None, _float_dtype(rt, dtype))
        m = cls(weight, b, {"in_channels": _given_channels(in_channels, c_in),
                            "out_channels": _given_channels(out_channels, c_out),
                            "kernel_size": kernel,
                            "stride": stride_, "padding": padding_, "dilation": dilation_,
                            "groups": given_groups, "padding_mode": padding_mode})
        m.output_padding = output_padding_
        return m
    make.__name__ = cls.name
    return make


def _filled(rt, shape: tuple, dt, value: float, requires_grad: bool, label: str,
            maker: str = "empty") -> Tensor:
    """A new parameter (or buffer) of one value; maker: the torch function
    PyTorch makes it with, which its size errors name (a parameter is made
    by torch.empty and then filled; BatchNorm's buffers by zeros and ones)."""
    _no_negative(shape, maker)
    rt.tape.check_shape(shape, "parameter")
    t = F._leaf(rt, np.full(shape, value, dt), requires_grad, label)
    if requires_grad:
        t.meta = {**(t.meta or {}), "parameter": True}
    return t


def make_layer_norm(rt, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                    device=None, dtype=None):
    if isinstance(normalized_shape, int) and not isinstance(normalized_shape, bool):
        normalized_shape = (normalized_shape,)
    shape = NF._shape_list("layer_norm", normalized_shape)
    for s in shape:
        _size_arg("LayerNorm", "normalized_shape", s)
    if device is not None:
        F.check_device(device)
    dt = _float_dtype(rt, dtype)
    weight = _filled(rt, shape, dt, 1.0, True, "Parameter") if elementwise_affine else None
    b = _filled(rt, shape, dt, 0.0, True, "Parameter") if elementwise_affine and bias else None
    return LayerNorm(weight, b, shape, eps, elementwise_affine)   # (as given: its repr shows it)


class BatchNorm1d:
    """nn.BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True): weight ones, bias zeros, and the buffers
    running_mean (zeros), running_var (ones) and num_batches_tracked; a call
    in training mode normalizes by the batch and updates the buffers, in
    eval() mode by the buffers (F.batch_norm)."""

    __slots__ = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked",
                 "num_features", "eps", "momentum", "affine", "track_running_stats",
                 "training", "label")
    name = "BatchNorm1d"
    type_name = "torch.nn.modules.batchnorm.BatchNorm1d"
    ATTRIBUTES = ("weight", "bias", "running_mean", "running_var", "num_batches_tracked",
                  "num_features", "eps", "momentum", "affine", "track_running_stats")
    DIMS = (2, 3)           # the input's dims it takes
    SHAPES = "(N, C) or (N, C, L)"

    def __init__(self, weight, bias, buffers: tuple, num_features: int, eps: float, momentum,
                 affine: bool, track: bool):
        self.weight, self.bias = weight, bias
        self.running_mean, self.running_var, self.num_batches_tracked = buffers
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        return (f"{self.name}({self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats})")

    def children(self) -> list:
        return []

    def own_parameters(self) -> list:
        return [(k, p) for k, p in (("weight", self.weight), ("bias", self.bias))
                if p is not None]

    def own_buffers(self) -> list:
        return [(k, b) for k, b in (("running_mean", self.running_mean),
                                    ("running_var", self.running_var),
                                    ("num_batches_tracked", self.num_batches_tracked))
                if b is not None]

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, "batch_norm")
        if x.data.ndim not in self.DIMS:
            want = " or ".join(f"{d}D" for d in self.DIMS)
            raise GradvizError(f"expected {want} input (got {x.data.ndim}D input)", kind=VALUE,
                               hint=f"nn.{self.name} takes {self.SHAPES} inputs, "
                                    "C = num_features")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            # (counted before the call, as PyTorch's forward counts it)
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:       # a cumulative average
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or self.running_mean is None
        return NF.f_batch_norm(rt, x, self.running_mean if not use_batch or self.training
                               else None, self.running_var if not use_batch or self.training
                               else None, self.weight, self.bias, use_batch, factor, self.eps)


def _batch_norm_rank(name: str, shape: str):
    """nn.BatchNorm2d / nn.BatchNorm3d: BatchNorm1d's over inputs of `shape`
    (N, C, ...), per channel."""
    return type(name, (BatchNorm1d,), {
        "__slots__": (), "__doc__": f"nn.{name}: BatchNorm1d's over {shape} inputs, per channel.",
        "name": name, "type_name": f"torch.nn.modules.batchnorm.{name}",
        "DIMS": (shape.count(",") + 1,), "SHAPES": shape})


BatchNorm2d = _batch_norm_rank("BatchNorm2d", "(N, C, H, W)")
BatchNorm3d = _batch_norm_rank("BatchNorm3d", "(N, C, D, H, W)")


class LazyBatchNorm1d(BatchNorm1d):
    """nn.LazyBatchNorm1d(eps=1e-5, momentum=0.1, ...): a BatchNorm1d whose
    num_features is its first input's dim 1; that call makes its weight,
    bias and running statistics and makes it a BatchNorm1d (no draws:
    ones and zeros). Printed with num_features 0 until then."""

    __slots__ = ()
    name = "LazyBatchNorm1d"
    type_name = "torch.nn.modules.batchnorm.LazyBatchNorm1d"
    BECOMES = BatchNorm1d

    def call(self, rt, args: list, kwargs: dict | None):
        (x,) = _forward_args(self, args, kwargs)
        x = F._need_tensor(x, "batch_norm")
        if x.data.ndim in self.DIMS:        # (else the call's own check says why)
            n = x.data.shape[1]
            dt = self.weight.dtype if self.weight is not None else x.data.dtype
            self.num_features = n
            self.weight, self.bias, buffers = _batch_norm_state(
                rt, n, dt, self.weight is not None, self.bias is not None,
                self.track_running_stats)
            self.running_mean, self.running_var, _ = buffers
            _materialized(self)
        return BatchNorm1d.call(self, rt, args, kwargs)      # (its DIMS are the class's)


LazyBatchNorm2d = _lazy_variant(BatchNorm2d, LazyBatchNorm1d, "LazyBatchNorm2d")
LazyBatchNorm3d = _lazy_variant(BatchNorm3d, LazyBatchNorm1d, "LazyBatchNorm3d")


def _batch_norm_state(rt, n: int, dt, affine: bool, bias: bool, track: bool) -> tuple:
    """weight (ones), bias (zeros) and the buffers of a BatchNorm of n features."""
    weight = _filled(rt, (n,), dt, 1.0, True, "Parameter") if affine else None
    b = _filled(rt, (n,), dt, 0.0, True, "Parameter") if affine and bias else None
    buffers = (None, None, None)
    if track:
        buffers = (_filled(rt, (n,), dt, 0.0, False, "running_mean", "zeros"),
                   _filled(rt, (n,), dt, 1.0, False, "running_var", "ones"),
                   F._leaf(rt, np.zeros((), np.int64), False, "num_batches_tracked"))
    return weight, b, buffers


def _batch_norm_maker(cls, lazy: bool = False):
    def make(rt, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
             device=None, dtype=None, *, bias=True):
        n = 0 if lazy else _size_arg(cls.name, "num_features", num_features)
        if device is not None:
            F.check_device(device)
        dt = _float_dtype(rt, dtype)
        if lazy:
            # (num_batches_tracked is a tensor from the start, the rest made by the first call)
            weight, b, buffers = _batch_norm_state(rt, 0, dt, bool(affine), bool(bias),
                                                   bool(track_running_stats))
            weight = UninitializedParameter(dt) if affine else None
            b = UninitializedParameter(dt) if affine and bias else None
            if track_running_stats:
                buffers = (UninitializedBuffer(dt), UninitializedBuffer(dt), buffers[2])
        else:
            weight, b, buffers = _batch_norm_state(rt, n, dt, bool(affine), bool(bias),
                                                   bool(track_running_stats))
        return cls(weight, b, buffers, n, eps, momentum, affine, track_running_stats)
    if lazy:
        def make_lazy(rt, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                      device=None, dtype=None):
            return make(rt, 0, eps, momentum, affine, track_running_stats, device, dtype)
        make_lazy.__name__ = cls.name
        return make_lazy
    make.__name__ = cls.name
    return make


CLASSES = (Linear, LazyLinear, Sequential, ModuleList, Flatten, Unflatten, Dropout, Embedding,
           LayerNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, Conv1d, Conv2d, Conv3d, ConvTranspose1d,
           ConvTranspose2d, ConvTranspose3d, LazyConv1d, LazyConv2d, LazyConv3d, LazyBatchNorm1d,
           LazyBatchNorm2d, LazyBatchNorm3d, ModuleDict)


def _forward_args(m, args: list, kwargs: dict | None) -> list:
    forward = layers.forward_name(m.name)
    if kwargs:
        raise GradvizError(f"{forward}() got an unexpected keyword argument "
                           f"'{next(iter(kwargs))}'", kind=TYPE, hint="call it on a tensor: net(x)")
    if len(args) != 1:
        raise GradvizError(f"{forward}() takes 2 positional arguments but "
                           f"{len(args) + 1} were given" if args else
                           f"{forward}() missing 1 required positional argument: 'input'",
                           kind=TYPE, hint="call it on one tensor: net(x)")
    return args


def text_of(rt, m) -> str:
    """print(m): Sequential(\n  (0): Linear(...)\n), a nested module's lines
    indented (a Sequential nests as deep as the program wrote it: shallow)."""
    if m.__class__ in NAMED_CONTAINERS:
        if not m.items:
            return f"{m.name}()"
        texts = [text_of(rt, sub) for sub in m.items]
        if m.__class__ is ModuleList:
            return _list_text(texts)
        lines = [f"  ({key}): " + text.replace("\n", "\n  ") for key, text in zip(m.keys, texts)]
        return f"{m.name}(\n" + "\n".join(lines) + "\n)"
    if m.__class__ in CLASSES or m.__class__ is layers.Layer:
        md = _parametrize.of(m)
        return m.text if md is None else _parametrize.text(rt, m, md)
    from . import classes
    return classes.text(rt, m)          # a torch.nn.Module subclass of the program's


def _list_text(texts: list) -> str:
    """A ModuleList's repr: a run of modules that print alike is one line,
    (0-1): 2 x Linear(...), as PyTorch's ModuleList.__repr__ writes it."""
    runs = []               # [first, last, text]
    for i, text in enumerate(texts):
        if runs and runs[-1][2] == text:
            runs[-1][1] = i
        else:
            runs.append([i, i, text])
    lines = [f"  ({a}): {t}" if a == b else f"  ({a}-{b}): {b - a + 1} x {t}"
             for a, b, t in runs]
    return "ModuleList(\n" + "\n".join(line.replace("\n", "\n  ") for line in lines) + "\n)"


def is_module(v) -> bool:
    """A torch.nn module: one of these, a layer, or an instance of the
    program's torch.nn.Module subclass."""
    if v.__class__ in CLASSES or v.__class__ is layers.Layer:
        return True
    from . import classes
    return v.__class__ is classes.Instance and v.cls.kind == "module"


def call_module(rt, m, x):
    """m(x) for a module in a Sequential."""
    if m.__class__ in CLASSES or m.__class__ is layers.Layer:
        return module_hooks.call(rt, m, [x], None, lambda a, k: m.call(rt, a, k))
    from . import classes
    return classes.call(rt, m, [x], {})

def _parameter_paths(m, buffers: bool | str = False) -> list:
    """(PyTorch's name, how the program reaches it, parameter) for every
    parameter in m, each once, in PyTorch's order (depth first, without
    recursion): ("0.weight", "[0].weight", p). The second counts by
    position: a slice of a Sequential keeps PyTorch's names, not positions."""
    out, seen = [], set()
    stack = [("", "", m)]
    while stack:
        name, path, mod = stack.pop()
        if mod.__class__ is layers.Layer:
            continue
        if mod.__class__ not in CLASSES:      # the program's Module subclass: its own order
            from . import classes
            for attr, p in classes.named_parameters(mod, buffers):
                if id(p) not in seen:
                    seen.add(id(p))
                    reach = "".join(f"[{k}]" if k.isdigit() else f".{k}" for k in attr.split("."))
                    out.append((name + attr, path + reach, p))
            continue
        # (state_dict's: then the buffers; a weight_norm's weight_g and weight_v
        # in place of its weight)
        own = weight_hooks.own_state(mod, bool(buffers))
        own, kids = _parametrize.own_and_children(mod, own, mod.children())
        for attr, p in own:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((name + attr, f"{path}.{attr}", p))
        children = list(enumerate(kids))
        stack.extend((f"{name}{key}.", path + _reach(mod, i, key), sub)
                      for i, (key, sub) in reversed(children))
    return out


def _reach(m, i: int, key: str) -> str:
    """How the program reaches m's child: by position in a Sequential
    (net[0]), as an attribute otherwise (mha.out_proj)."""
    return f"[{i}]" if m.__class__ in SEQUENCES else f".{key}"


def named_parameters(m, prefix: str = "", buffers: bool | str = False) -> list:
    """(name, parameter) of m and the modules in it, as PyTorch names and
    orders them ("0.weight", "0.bias", "2.weight", ...); buffers: with
    each module's buffers after its parameters, as state_dict() lists them."""
    return [(prefix + name, p) for name, _, p in _parameter_paths(m, buffers)]


def name_parameters(m, holder: str) -> None:
    """The parameters of module m, bound to the name `holder`, are named as
    the program reaches them (net[0].weight), unless named already: the
    tables and the picture show that name. So is m, for the nodes the
    modules in a Sequential make (mark_made)."""
    from . import classes
    if m.__class__ is classes.Instance and m.cls.kind != "module":
        return
    for _, path, p in _parameter_paths(m):
        # (named in a Module's __init__ as self.fc.weight: named again from
        # the program's name for the whole, net.body[2].fc.weight)
        if p.name is None or p.name.startswith("self."):
            p.name = holder + path
    # the Sequentials in it, by the same rule: their nodes say net.body[0]
    stack = [(holder, m)]
    while stack:
        path, mod = stack.pop()
        if mod.__class__ in CLASSES:
            if mod.label is None or mod.label.startswith("self."):
                mod.label = path
            stack.extend((path + _reach(mod, i, key), sub)
                         for i, (key, sub) in enumerate(_kids(mod)))
        elif mod.__class__ is classes.Instance:
            stack.extend((f"{path}.{name}", sub) for name, sub in mod.modules.items())


def mark_made(rt, start: int, label: str) -> None:
    """The nodes made since `start` (by one module of a Sequential) are
    that module's: "net[0] in net(x)" in the tables and the picture. The
    innermost module's mark stays (a Sequential in a Sequential)."""
    nodes = rt.tape.nodes
    for seq in range(start, len(nodes)):
        t = nodes[seq]
        if t.meta is None:
            t.meta = {"module": label}
        elif "module" not in t.meta:
            t.meta = {**t.meta, "module": label}


def _kids(mod) -> list:
    """(name, module) of a torch.nn module's children, a parametrized
    layer's `parametrizations` last (as PyTorch's _modules hold it)."""
    return _parametrize.own_and_children(mod, [], list(mod.children()))[1]


def modules_in(m) -> list:
    """m and every module in it, children before their parent (the order
    Module.apply(fn) calls fn in)."""
    order, stack = [], [(m, False)]
    while stack:
        mod, expanded = stack.pop()
        if expanded or mod.__class__ not in CLASSES or not _kids(mod):
            order.append(mod)
            continue
        stack.append((mod, True))
        stack.extend((sub, False) for _, sub in reversed(_kids(mod)))
    return order


# ---- making them -------------------------------------------------------------

def _size_arg(cls: str, name: str, v, pos: int | None = None) -> int:
    """A layer's size argument, which PyTorch hands to torch.empty: pos, its
    place in the first parameter's shape (from 1), or None where it is that
    shape alone (BatchNorm1d's num_features). An integer tensor of one
    element is its value there, as torch.empty's int list takes it
    (nn.Conv1d(1, torch.tensor(2), 3))."""
    if v.__class__ is Tensor and v.data.dtype.kind in "iu" and v.data.size == 1:
        return int(v.data.item())
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(_size_element_message(type(v).__name__, pos), kind=TYPE,
                           hint=f"nn.{cls}'s {name} is a whole number")
    return v          # (a negative size fails where the parameter is made: _no_negative)


def _size_element_message(kind: str, pos: int | None, maker: str = "empty") -> str:
    """torch.empty's (maker's) TypeError for a size of the given kind (type
    name) that is no int, by its place in the shape: PyTorch's argument parser
    says the first element otherwise than a later one (and counts it from 0)."""
    if pos is None:
        return f"{maker}(): argument 'size' (position 1) must be tuple of ints, not {kind}"
    if pos == 1:
        return (f"{maker}(): argument 'size' (position 1) must be tuple of ints, but found "
                f"element of type {kind} at pos 0")
    return (f"{maker}(): argument 'size' failed to unpack the object at pos {pos} with error "
            f"\"type must be tuple of ints,but got {kind}\"")


def _no_negative(shape: tuple, maker: str = "empty") -> None:
    """PyTorch's error for a parameter of a negative size, with its whole
    shape (nn.Linear(-1, 2): [2, -1]). torch.empty's (maker's) parser reads
    every size as an int64 first (a wrong type, a size past 64 bits), then
    the allocation refuses a negative one."""
    for pos, n in enumerate(shape, 1):
        if isinstance(n, bool) or not isinstance(n, int):     # (MultiheadAttention(kdim=(2, 2)))
            raise GradvizError(_size_element_message(type(n).__name__, pos, maker), kind=TYPE,
                               hint="a layer's sizes (features, channels, kdim, vdim) are "
                                    "whole numbers")
        if not -2**63 <= n < 2**63:
            raise GradvizError(f"{maker}(): argument 'size' failed to unpack the object at "
                               f"pos {pos} with error \"Overflow when unpacking long long",
                               kind=TYPE, hint="a size is an int64: at most 2**63 - 1")
    for n in shape:
        if n < 0:
            # (torch.zeros and torch.ones check their sizes before they allocate)
            said = f"Trying to create tensor with negative dimension {n}: {list(shape)}" if \
                maker == "empty" else f"{maker}: Dimension size must be non-negative."
            raise GradvizError(said, kind=RUNTIME,
                               hint="a layer's sizes (features, channels, kernel) are 0 or more")


def _parameter(rt, shape: tuple, dtype, bound: float) -> Tensor:
    """A new parameter, uniform in [-bound, bound) as torch.nn.init.uniform_
    draws it (a fan of 0 leaves it as torch.empty leaves it: zeros here)."""
    _no_negative(shape)
    rt.tape.check_shape(shape, "parameter")      # (nn.Linear(10**12, 10**12))
    values = rt.rng.rand(shape, dtype, -bound, bound) if bound and int(np.prod(shape)) else \
        np.zeros(shape, dtype)
    t = F._leaf(rt, values, True, "Parameter")
    t.meta = {**(t.meta or {}), "parameter": True}
    return t


def make_linear(rt, in_features, out_features, bias=True, device=None, dtype=None):
    """nn.Linear: weight by kaiming_uniform_(a=sqrt(5)), then bias uniform in
    +-1/sqrt(in_features), each bound computed as PyTorch computes it."""
    # (the weight's shape is (out_features, in_features))
    out_features = _size_arg("Linear", "out_features", out_features, 1)
    in_features = _size_arg("Linear", "in_features", in_features, 2)
    if device is not None:
        F.check_device(device)
    weight, b = _linear_parameters(rt, in_features, out_features, bias, _float_dtype(rt, dtype))
    return Linear(weight, b, in_features, out_features)


def _float_dtype(rt, dtype) -> np.dtype:
    """A layer's parameters' dtype: the one asked for, else the default."""
    dt = rt.tape.default_dtype if dtype is None else F._dtype_arg(dtype)
    if dt.kind != "f":
        raise GradvizError("Only Tensors of floating point and complex dtype can require "
                           "gradients", kind=RUNTIME, hint="use dtype=torch.float32 or float64")
    return dt


def _linear_parameters(rt, in_features: int, out_features: int, bias, dt: np.dtype) -> tuple:
    """A Linear's weight and bias (or None), drawn as nn.Linear draws them."""
    # torch.nn.init.kaiming_uniform_(weight, a=math.sqrt(5)), its arithmetic as written there
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    _no_negative((out_features, in_features))
    fan_in = in_features
    w_bound = math.sqrt(3.0) * (gain / math.sqrt(fan_in)) if fan_in else 0.0
    weight = _parameter(rt, (out_features, in_features), dt, w_bound)
    b = None
    if bias:
        b = _parameter(rt, (out_features,), dt, 1 / math.sqrt(fan_in) if fan_in > 0 else 0)
    return weight, b


def make_lazy_linear(rt, out_features, bias=True, device=None, dtype=None):
    """nn.LazyLinear: no parameters drawn until its first call."""
    out_features = _size_arg("LazyLinear", "out_features", out_features)
    if device is not None:
        F.check_device(device)
    dt = _float_dtype(rt, dtype)
    return LazyLinear(UninitializedParameter(dt), UninitializedParameter(dt) if bias else None,
                      0, out_features)


def make_sequential(rt, *items):
    if len(items) == 1 and items[0].__class__ is OrderedDict:
        # nn.Sequential(OrderedDict([('fc1', ...), ...])): the modules under those names
        named = items[0]
        for m in named.values():
            if not is_module(m):
                raise GradvizError(f"{rt.type_name(m)} is not a Module subclass", kind=TYPE,
                                   hint="the OrderedDict's values are modules: "
                                        "OrderedDict([('fc1', nn.Linear(2, 1)), ...])")
        seq = Sequential([], [])
        for name, m in named.items():
            seq.add(rt, name, m)       # (add_module's checks of each name)
        return seq
    for i, m in enumerate(items):
        if not is_module(m):
            raise GradvizError(f"{rt.type_name(m)} is not a Module subclass", kind=TYPE,
                               hint="nn.Sequential takes modules: nn.Linear(2, 1), nn.ReLU(), ...")
    return Sequential(list(items))


def make_module_list(rt, modules=None):
    """nn.ModuleList(modules=None): the modules of an iterable, in order."""
    ml = ModuleList([])
    if modules is not None:
        _extend(rt, ml, modules)
    return ml


def make_module_dict(rt, modules=None):
    """nn.ModuleDict(modules=None): from a dict (an OrderedDict) or (name,
    module) pairs, each added by add_module's rules."""
    md = ModuleDict([], [])
    if modules is not None:
        _dict_update(rt, md, modules)
    return md


def _dict_update(rt, md, modules):
    from .pymethods import dict_update
    for key, m in dict_update(rt, {}, (modules,), {}).items():
        if not is_module(m):
            raise GradvizError(f"{rt.type_name(m)} is not a Module subclass", kind=TYPE,
                               hint="a ModuleDict holds modules: nn.ModuleDict({'fc': "
                                    "nn.Linear(2, 1)})")
        md.add(rt, key, m)


def _dict_pop(rt, md, key):
    m = md.item(key)
    i = md.keys.index(key)
    del md.keys[i], md.items[i]
    return m


def make_flatten(rt, start_dim=1, end_dim=-1):
    """nn.Flatten(start_dim=1, end_dim=-1): its dims checked when it is called."""
    return Flatten(start_dim, end_dim)


def make_unflatten(rt, dim, unflattened_size):
    """nn.Unflatten(dim, unflattened_size): the size checked as PyTorch's
    _require_tuple_int does (the dim when it is called)."""
    if not isinstance(unflattened_size, (tuple, list)):
        raise GradvizError(f"unflattened_size must be a tuple of ints, but found type "
                           f"{F.arg_type_name(unflattened_size)}", kind=TYPE,
                           hint="the sizes the dim is split into: nn.Unflatten(1, (16, 2, 2))")
    for i, s in enumerate(unflattened_size):
        if not isinstance(s, int):          # (True passes, as isinstance(True, int) does)
            raise GradvizError(f"unflattened_size must be tuple of ints, but found element of "
                               f"type {F.arg_type_name(s)} at pos {i}", kind=TYPE,
                               hint="each size is a whole number")
    return Unflatten(dim, unflattened_size)


MAKERS = {Linear.type_name: make_linear, LazyLinear.type_name: make_lazy_linear,
          Sequential.type_name: make_sequential, ModuleList.type_name: make_module_list,
          ModuleDict.type_name: make_module_dict,
          Flatten.type_name: make_flatten, Unflatten.type_name: make_unflatten,
          Dropout.type_name: make_dropout,
          Embedding.type_name: make_embedding, LayerNorm.type_name: make_layer_norm,
          BatchNorm1d.type_name: _batch_norm_maker(BatchNorm1d),
          BatchNorm2d.type_name: _batch_norm_maker(BatchNorm2d),
          BatchNorm3d.type_name: _batch_norm_maker(BatchNorm3d),
          Conv1d.type_name: _conv_maker(Conv1d), Conv2d.type_name: _conv_maker(Conv2d),
          ConvTranspose1d.type_name: _conv_transpose_maker(ConvTranspose1d),
          ConvTranspose2d.type_name: _conv_transpose_maker(ConvTranspose2d),
          Conv3d.type_name: _conv_maker(Conv3d),
          ConvTranspose3d.type_name: _conv_transpose_maker(ConvTranspose3d),
          LazyConv1d.type_name: _conv_maker(LazyConv1d, lazy=True),
          LazyConv2d.type_name: _conv_maker(LazyConv2d, lazy=True),
          LazyConv3d.type_name: _conv_maker(LazyConv3d, lazy=True),
          LazyBatchNorm1d.type_name: _batch_norm_maker(LazyBatchNorm1d, lazy=True),
          LazyBatchNorm2d.type_name: _batch_norm_maker(LazyBatchNorm2d, lazy=True),
          LazyBatchNorm3d.type_name: _batch_norm_maker(LazyBatchNorm3d, lazy=True)}


def types() -> dict:
    """nn.Linear, nn.Sequential, nn.Flatten as the classes they are."""
    from .pytypes import PyType
    # (out_proj's NonDynamicallyQuantizableLinear is not in torch.nn)
    return {c.name: PyType(c.type_name) for c in CLASSES if c.type_name in MAKERS}


# ---- their attributes and methods -------------------------------------------

def attribute(rt, m, attr: str):
    """m.attr of a module: its parameters and sizes, and Module's methods."""
    from .interpreter import BoundMethod
    hooked = weight_hooks.attribute(m, attr)       # (m.weight_g after weight_norm)
    if hooked is None:          # (m.parametrizations, a parametrized m.weight)
        hooked = _parametrize.attribute(rt, m, attr)
    if hooked is None and m.__class__ is _parametrize.ParametrizationList:
        hooked = m.originals.get(attr)
    if hooked is not None:
        return hooked
    if isinstance(m, Linear) and attr in ("weight", "bias", "in_features",
                                                         "out_features"):
        return getattr(m, attr)
    if m.__class__ is Flatten and attr in ("start_dim", "end_dim"):
        return getattr(m, attr)
    if m.__class__ is Unflatten and attr in ("dim", "unflattened_size"):
        return getattr(m, attr)
    if attr in getattr(m, "ATTRIBUTES", ()):
        return getattr(m, attr)
    if attr == "training":
        return m.training
    if m.__class__ in NAMED_CONTAINERS and attr in m.keys:   # net.fc1 of a named Sequential
        return m.items[m.keys.index(attr)]
    method = METHODS.get(attr) or module_hooks.METHODS.get(attr) or (
        SEQUENTIAL_METHODS.get(attr) if m.__class__ is Sequential
        else LIST_METHODS.get(attr) if m.__class__ is ModuleList
        else DICT_METHODS.get(attr) if m.__class__ is ModuleDict else None)
    if method is None:
        raise GradvizError(f"'{m.name}' object has no attribute '{attr}'", kind="AttributeError",
                           hint="a module has " + ", ".join(
                               (["weight", "bias"] if m.__class__ is Linear else []) +
                               [f"{k}()" for k in METHODS]))
    return BoundMethod(attr, method, m)


def own_or_all(pairs: list, recurse) -> list:
    """(name, tensor) pairs of a module and its submodules; recurse=False:
    the module's own (a submodule's names have a dot: parameters(recurse=
    False) of a Sequential is empty)."""
    return pairs if recurse else [(n, p) for n, p in pairs if "." not in n]


def _parameters(rt, m, recurse=True):
    return F.Generator([p for _, p in own_or_all(named_parameters(m), recurse)])


def _named_parameters(rt, m, prefix="", recurse=True, remove_duplicate=True):
    prefix = prefix + "." if prefix else ""
    return F.Generator([(prefix + n, p) for n, p in own_or_all(named_parameters(m), recurse)])


def named_buffers(state: list, params: list) -> list:
    """(name, buffer) of a state_dict()'s list: what is not a parameter."""
    ids = {id(p) for _, p in params}
    return [(name, b) for name, b in state if id(b) not in ids]


def _all_buffers(m) -> list:
    """(name, buffer) of m, those a program registered persistent=False too."""
    return named_buffers(named_parameters(m, buffers="all"), named_parameters(m))


def _buffers(rt, m, recurse=True):
    return F.Generator([b for _, b in own_or_all(_all_buffers(m), recurse)])


def _named_buffers(rt, m, prefix="", recurse=True, remove_duplicate=True):
    prefix = prefix + "." if prefix else ""
    return F.Generator([(prefix + n, b) for n, b in own_or_all(_all_buffers(m), recurse)])


def _zero_grad(rt, m, set_to_none=True):
    from .optim import clear_grads
    clear_grads(rt, [p for _, p in named_parameters(m)], set_to_none)


def _train(rt, m, mode=True):
    for sub in modules_in(m):
        if sub.__class__ in CLASSES or sub.__class__ is layers.Layer:
            sub.training = bool(mode)
        else:                                       # the program's Module subclass
            from . import classes
            classes.MODULE_METHODS["train"](rt, sub, bool(mode))
    return m


def _eval(rt, m):
    return _train(rt, m, False)


def _requires_grad_(rt, m, requires_grad=True):
    """Module.requires_grad_(flag): every parameter's flag (freezing a
    layer for fine-tuning); returns m."""
    for _, p in named_parameters(m):
        F.m_requires_grad_(rt, p, requires_grad)
    return m


def _apply(rt, m, fn):
    """Module.apply(fn): fn on every module in m, children first (d2l's
    net.apply(init_weights)); returns m."""
    for sub in modules_in(m):
        rt.call_value(fn, [sub])
    return m


def state_dict(rt, params: list, prefix: str = ""):
    """Module.state_dict(): an OrderedDict of each parameter, detached (its
    memory shared: a change to a value is a change to the parameter)."""
    if not isinstance(prefix, str):
        raise GradvizError("state_dict(): prefix must be a string", kind=TYPE)
    # (a lazy module's parameters before its first call are listed as they are)
    return OrderedDict((prefix + name, p if isinstance(p, UninitializedParameter) else
                        F.f_detach(rt, p)) for name, p in params)


def load_state_dict(rt, params: list, kind: str, sd, strict=True):
    """Module.load_state_dict(sd, strict=True): each value copied into its
    parameter under no_grad; PyTorch's RuntimeError for missing, unexpected
    (strict) and wrongly shaped entries, and its result."""
    from .render.torchfmt import DICTS, Formatted
    if sd.__class__ not in DICTS:
        raise GradvizError(f"Expected state_dict to be dict-like, got {rt.type_name(sd)}.",
                           kind=TYPE, hint="give what state_dict() returned: "
                                           "net.load_state_dict(other.state_dict())")
    own = dict(params)
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    errors = []
    for name, p in params:
        value = sd.get(name)
        if name in sd and value.__class__ is not Tensor:
            errors.append(f'While copying the parameter named "{name}", expected torch.Tensor '
                          f'or Tensor-like object from checkpoint but received {rt.type_name(value)}')
        elif name in sd and value.data.shape != p.data.shape:
            errors.append(f"size mismatch for {name}: copying a param with shape "
                          f"torch.Size({list(value.data.shape)}) from checkpoint, the shape in "
                          f"current model is torch.Size({list(p.data.shape)}).")
    if strict:
        keys = (lambda ks: ", ".join(f'"{k}"' for k in ks))
        if unexpected:
            errors.insert(0, f"Unexpected key(s) in state_dict: {keys(unexpected)}. ")
        if missing:
            errors.insert(0, f"Missing key(s) in state_dict: {keys(missing)}. ")
    if errors:
        raise GradvizError(f"Error(s) in loading state_dict for {kind}:\n\t" + "\n\t".join(errors),
                           kind=RUNTIME, hint="the keys and shapes are the module's "
                                                   "state_dict()'s: load one from a module made "
                                                   "the same way")
    tape = rt.tape
    enabled, tape.grad_enabled = tape.grad_enabled, False     # (PyTorch's no_grad)
    try:
        for name, p in params:
            if name in sd:
                F.m_copy_(rt, p, sd[name])
    finally:
        tape.grad_enabled = enabled
    if not missing and not unexpected:
        return Formatted("<All keys matched successfully>")
    return Formatted(f"_IncompatibleKeys(missing_keys={missing!r}, "
                     f"unexpected_keys={unexpected!r})")


def named_state(m) -> list:
    """(name, tensor) of state_dict(): each module's parameters, then its
    buffers (a BatchNorm's running statistics), in PyTorch's order."""
    return [(name, p) for name, _, p in _parameter_paths(m, buffers=True)]


def _state_dict(rt, m, destination=None, prefix="", keep_vars=False):
    return state_dict(rt, named_state(m), prefix)


def _load_state_dict(rt, m, state_dict, strict=True, assign=False):
    return load_state_dict(rt, named_state(m), m.name, state_dict, strict)


def _forward(rt, m, *args, **kwargs):
    return m.call(rt, list(args), kwargs)


def child_pairs(m) -> list:
    """(name, module) of m's direct submodules, as added (a Sequential's,
    a program's Module subclass's); [] for a layer."""
    from . import classes
    if m.__class__ is classes.Instance:
        return list(m.modules.items())
    return _kids(m) if m.__class__ in CLASSES else []


def named_children(m) -> list:
    """child_pairs without repeats: a module added twice (a shared layer)
    comes once, at its first place, as PyTorch's named_children()."""
    seen, out = set(), []
    for name, sub in child_pairs(m):
        if id(sub) not in seen:
            seen.add(id(sub))
            out.append((name, sub))
    return out


def named_modules(m, prefix: str = "") -> list:
    """(dotted name, module) of m and every module in it, each once, in
    PyTorch's order: a module before its children, depth first (m's name is
    the prefix, "" by default). A stack, no recursion."""
    seen, out = set(), []
    stack = [(prefix, m)]
    while stack:
        name, mod = stack.pop()
        if id(mod) in seen:
            continue
        seen.add(id(mod))
        out.append((name, mod))
        stack.extend(reversed([(f"{name}.{n}" if name else n, sub)
                               for n, sub in child_pairs(mod)]))
    return out


def _children(rt, m):
    return F.Generator([sub for _, sub in named_children(m)])


def _named_children(rt, m):
    return F.Generator(named_children(m))


def _modules(rt, m):
    return F.Generator([sub for _, sub in named_modules(m)])


def _named_modules(rt, m, memo=None, prefix="", remove_duplicate=True):
    return F.Generator(named_modules(m, prefix))


def _add_module(rt, m, name, module):
    if m.__class__ not in SEQUENCES:
        raise GradvizError(f"add_module() on a {m.name} is not supported here", kind=TYPE,
                           hint="add modules to an nn.Sequential")
    m.add(rt, name, module)


def _append(rt, m, module):
    """net.append(m): add_module(str(len(net)), m); returns net."""
    _add_module(rt, m, str(len(m.items)), module)
    return m


METHODS = {"parameters": _parameters, "named_parameters": _named_parameters,
           "buffers": _buffers, "named_buffers": _named_buffers,
           "state_dict": _state_dict, "load_state_dict": _load_state_dict,
           "zero_grad": _zero_grad, "train": _train, "eval": _eval, "apply": _apply,
           "forward": _forward, "children": _children, "add_module": _add_module,
           "register_module": _add_module, "requires_grad_": _requires_grad_,
           "named_children": _named_children, "modules": _modules,
           "named_modules": _named_modules, **module_convert.METHODS}


# the methods nn.Module itself defines, which PyTorch's argument errors name
# Module.NAME() (forward is each class's own)
MODULE_METHODS = (frozenset(METHODS) - {"forward"}) | frozenset(module_hooks.METHODS) | \
    frozenset(("register_buffer", "register_parameter"))


def _extend(rt, m, modules):
    """ml.extend(modules): each appended; returns ml (PyTorch's TypeError
    for what is not iterable)."""
    for sub in list(F._walkable(rt, modules, "extend")):
        _append(rt, m, sub)
    return m


# (only a Sequential's, a ModuleList's)
SEQUENTIAL_METHODS = {"append": _append}
LIST_METHODS = {"append": _append, "extend": _extend}
# a ModuleDict's, as a dict's
DICT_METHODS = {"keys": lambda rt, md: list(md.keys), "values": lambda rt, md: list(md.items),
                "items": lambda rt, md: md.children(), "update": _dict_update,
                "pop": _dict_pop, "clear": lambda rt, md: md.del_item(slice(None))}


# ---- F.linear and torch.nn.init ---------------------------------------------

def f_linear(rt, x, weight, bias=None):
    """F.linear(x, W, b) = x @ W.T + b, recorded as PyTorch records it: one
    AddmmBackward0 on a 2-d input (a view to 2-d and back around it for
    others), x @ W.T (MmBackward0, ...) without a bias."""
    x = F._need_tensor(x, "linear")
    weight = F._need_tensor(weight, "linear", 2, "weight")
    if bias is not None:
        bias = F._need_tensor(bias, "linear", 3, "bias")
    if x.data.ndim == 0 or weight.data.ndim == 0:
        raise GradvizError("both arguments to linear need to be at least 1D, but they are "
                           f"{x.data.ndim}D and {weight.data.ndim}D", kind=RUNTIME,
                           hint="give linear a vector or a batch, and a weight matrix")
    wt = rt.apply(OPS["t"], (weight,))
    if weight.name is not None:
        # (titled as the transposed weight, not as the layer's output)
        wt.meta = {**(wt.meta or {}), "expr": f"{weight.name}.T"}
    if bias is None:
        return rt.apply(OPS["matmul"], (x, wt))
    if x.data.ndim == 2:
        return rt.apply(OPS["addmm"], (bias, x, wt))
    if not x.data.flags.c_contiguous:
        # (PyTorch folds only a contiguous input into one addmm; a transposed
        # one goes through matmul, then the bias is added: AddBackward0)
        return rt.binary("+", rt.apply(OPS["matmul"], (x, wt)), bias)
    flat = F.m_view(rt, x, -1, x.data.shape[-1])
    out = rt.apply(OPS["addmm"], (bias, flat, wt))
    return F.m_view(rt, out, *x.data.shape[:-1], out.data.shape[-1])


# the tensor method each initialiser calls first (the others ask tensor.dim())
_INIT_METHODS = {"normal_": "normal_", "uniform_": "uniform_", "zeros_": "zero_",
                 "ones_": "fill_", "constant_": "fill_", "kaiming_uniform_": "shape",
                 "kaiming_normal_": "shape"}


def _init(label: str, fill):
    """torch.nn.init.NAME_(tensor, ...): fills the tensor in place, outside
    the graph (PyTorch's run under no_grad), and returns it."""
    def init(rt, tensor, *args, **kwargs):
        if not F.is_tensor(tensor):           # (PyTorch's calls tensor.METHOD(...) on it)
            raise GradvizError(f"'{F.arg_type_name(tensor)}' object has no attribute "
                               f"'{_INIT_METHODS.get(label, 'dim')}'", kind="AttributeError",
                               hint=f"nn.init.{label} fills a tensor in place: "
                                    f"nn.init.{label}(net.weight)")
        try:
            inspect.signature(fill).bind(rt, tensor, *args, **kwargs)
        except TypeError:
            try:                              # (fails at the call: Python's own words)
                fill(rt, tensor, *args, **kwargs)
            except TypeError as exc:
                msg = F.user_arg_counts(str(exc).split("() ", 1)[-1])
                raise GradvizError(f"{label}() {msg}", kind=TYPE,
                                   hint="check the arguments (see `gradviz ops`)") from None
        return rt._with_grad_off(lambda: fill(rt, tensor, *args, **kwargs))
    init.__name__ = label
    return init


def _constant(rt, t, val):
    return F.METHODS["fill_"](rt, t, val)


_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(rt, nonlinearity, param=None):
    """torch.nn.init.calculate_gain: the gain PyTorch recommends for a
    nonlinearity, computed as PyTorch computes it."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise GradvizError(f"negative_slope {param} not a valid number", kind=VALUE,
                               hint="calculate_gain('leaky_relu', 0.2)")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise GradvizError(f"Unsupported nonlinearity {nonlinearity}", kind=VALUE,
                       hint="one of 'linear', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'")


def _fans(t) -> tuple:
    """_calculate_fan_in_and_fan_out: (fan_in, fan_out) of a weight."""
    shape = t.data.shape
    if len(shape) < 2:
        raise GradvizError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                           "dimensions", kind=VALUE,
                           hint="the fans are a weight's: (out_features, in_features), at least "
                                "2-d (a bias is initialised otherwise)")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _xavier_std(t, gain) -> float:
    fan_in, fan_out = _fans(t)
    if fan_in + fan_out == 0:
        raise GradvizError("float division by zero", kind="ZeroDivisionError",
                           hint="the tensor has no elements")
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def _kaiming_std(rt, t, a, mode, nonlinearity):
    """kaiming_*'s std (None for a tensor with no elements: PyTorch warns
    and leaves it)."""
    if 0 in t.data.shape:
        rt.log_event("user_warning", t, message="Initializing zero-element tensors is a no-op")
        return None
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise GradvizError(f"Mode {mode} not supported, please use one of ['fan_in', 'fan_out']",
                           kind=VALUE, hint="mode='fan_in' (the default) or 'fan_out'")
    fan_in, fan_out = _fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(rt, nonlinearity, a) / math.sqrt(fan)


def _xavier_uniform(rt, t, gain=1.0):
    a = math.sqrt(3.0) * _xavier_std(t, gain)
    return F.METHODS["uniform_"](rt, t, -a, a)


def _xavier_normal(rt, t, gain=1.0):
    return F.METHODS["normal_"](rt, t, 0.0, _xavier_std(t, gain))


def _kaiming_uniform(rt, t, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    std = _kaiming_std(rt, t, a, mode, nonlinearity)
    if std is None:
        return t
    bound = math.sqrt(3.0) * std
    return F.METHODS["uniform_"](rt, t, -bound, bound)


def _kaiming_normal(rt, t, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    std = _kaiming_std(rt, t, a, mode, nonlinearity)
    return t if std is None else F.METHODS["normal_"](rt, t, 0, std)


def _normal(rt, t, mean=0.0, std=1.0, generator=None):
    return F.METHODS["normal_"](rt, t, mean, std, generator=generator)


def _uniform(rt, t, a=0.0, b=1.0, generator=None):
    return F.METHODS["uniform_"](rt, t, a, b, generator=generator)


INIT = {"normal_": _init("normal_", _normal), "uniform_": _init("uniform_", _uniform),
        "zeros_": _init("zeros_", lambda rt, t: F.METHODS["zero_"](rt, t)),
        "ones_": _init("ones_", lambda rt, t: F.METHODS["fill_"](rt, t, 1.0)),
        "constant_": _init("constant_", _constant),
        "xavier_uniform_": _init("xavier_uniform_", _xavier_uniform),
        "xavier_normal_": _init("xavier_normal_", _xavier_normal),
        "kaiming_uniform_": _init("kaiming_uniform_", _kaiming_uniform),
        "kaiming_normal_": _init("kaiming_normal_", _kaiming_normal),
        "calculate_gain": calculate_gain}


# the recurrent layers (recurrent.py, which builds on this module's parts)
from . import recurrent as _recurrent  # noqa: E402
CLASSES = CLASSES + _recurrent.CLASSES
MAKERS.update(_recurrent.MAKERS)
# torch.lstm, gru, rnn_tanh, rnn_relu and their cells: the layers' functional forms
from . import rnn_functions as _rnn_functions  # noqa: E402
F.FUNCTIONS.update(_rnn_functions.FUNCTIONS)

# nn.MultiheadAttention (mha.py)
from . import mha as _mha  # noqa: E402
CLASSES = CLASSES + _mha.CLASSES
MAKERS.update(_mha.MAKERS)

# nn.TransformerEncoderLayer, nn.TransformerEncoder (transformer.py)
from . import transformer as _transformer  # noqa: E402
CLASSES = CLASSES + _transformer.CLASSES
MAKERS.update(_transformer.MAKERS)

# nn.TransformerDecoderLayer, nn.TransformerDecoder, nn.Transformer (transformer_decoder.py)
from . import transformer_decoder as _transformer_decoder  # noqa: E402
CLASSES = CLASSES + _transformer_decoder.CLASSES
MAKERS.update(_transformer_decoder.MAKERS)

# nn.Dropout1d, nn.Dropout2d, nn.AlphaDropout (dropout_more.py)
from . import dropout_more as _dropout_more  # noqa: E402
CLASSES = CLASSES + _dropout_more.CLASSES
MAKERS.update(_dropout_more.MAKERS)

# nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d (nn_norm_more.py)
from . import nn_norm_more as _nn_norm_more  # noqa: E402
CLASSES = CLASSES + _nn_norm_more.CLASSES
MAKERS.update(_nn_norm_more.MAKERS)

# nn.PReLU (nn_prelu.py)
from . import nn_prelu as _nn_prelu  # noqa: E402
CLASSES = CLASSES + _nn_prelu.CLASSES
MAKERS.update(_nn_prelu.MAKERS)

# nn.EmbeddingBag (nn_bag_module.py)
from . import nn_bag_module as _nn_bag_module  # noqa: E402
CLASSES = CLASSES + _nn_bag_module.CLASSES
MAKERS.update(_nn_bag_module.MAKERS)

# torch.nn.utils.parametrize's ParametrizationList and _WeightNorm (parametrize.py)
from . import parametrize as _parametrize  # noqa: E402
CLASSES = CLASSES + _parametrize.CLASSES
NAMED_CONTAINERS = NAMED_CONTAINERS + (_parametrize.ParametrizationList,)
