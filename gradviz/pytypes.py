"""Python's type() and isinstance() over the values a program holds, with
PyTorch's own types (torch.Tensor, torch.Size, torch.dtype) beside Python's.

Python's types that the program names as builtins (int, float, list, ...)
are the very Function objects those names are bound to, so that
`type(3) == int` and `type(3) is int` hold; every other type is a PyType,
known by the name Python prints for it (`<class 'torch.Tensor'>`).
"""
from __future__ import annotations

from .errors import TYPE, GradvizError

# the builtins that are Python's types (bound to Function objects in the
# interpreter's globals), and the Python classes of their values
PYTHON_TYPES = {bool: "bool", int: "int", float: "float", str: "str", list: "list",
                tuple: "tuple", range: "range", enumerate: "enumerate", zip: "zip", dict: "dict",
                set: "set", frozenset: "frozenset", slice: "slice"}


# the builtins that are types too (type(type) and type(reversed) are `type`)
_TYPE_BUILTINS = frozenset((*PYTHON_TYPES.values(), "type", "reversed"))


class PyType:
    """A type that is not one of Python's builtins above: one object per name
    (PyType("x") is PyType("x")), so that `type(m) is nn.Linear` holds as in
    Python, however often type() asks."""

    __slots__ = ("name",)
    _made: dict = {}

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does

    def __new__(cls, name: str):
        t = cls._made.get(name)
        if t is None:
            t = cls._made[name] = object.__new__(cls)
            t.name = name
        return t

    def __eq__(self, other) -> bool:
        return other.__class__ is PyType and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __repr__(self) -> str:
        return f"<class '{SHOWN_AS.get(self.name, self.name)}'>"


# types named by their short name (an error's kind) that print with their module
SHOWN_AS = {"_LinAlgError": "torch._C._LinAlgError"}


TENSOR = PyType("torch.Tensor")
PARAMETER = PyType("torch.nn.parameter.Parameter")     # nn.Parameter(t): a tensor
SIZE = PyType("torch.Size")
DTYPE = PyType("torch.dtype")
# the legacy tensor types of old tutorials (torch.FloatTensor([1, 2]),
# x.type(torch.LongTensor)), by the dtype their tensors have
LEGACY_TENSOR_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64",
                       "LongTensor": "int64", "IntTensor": "int32", "ShortTensor": "int16",
                       "CharTensor": "int8", "ByteTensor": "uint8", "BoolTensor": "bool",
                       "HalfTensor": "float16"}
LEGACY = {PyType(f"torch.{name}"): dt for name, dt in LEGACY_TENSOR_TYPES.items()}
# reachable as torch.NAME
TORCH_TYPES = {"Tensor": TENSOR, "Size": SIZE, "dtype": DTYPE,
               # the types of torch.strided and of torch.contiguous_format
               "layout": PyType("torch.layout"), "memory_format": PyType("torch.memory_format"),
               **{t.name[6:]: t for t in LEGACY}}

_TORCH_BY_NAME = {t.name: t for t in TORCH_TYPES.values()}   # (type(x) is torch.Tensor)
# gradviz's classes of values -> the name of the type PyTorch's value has
_NAMES = {"PackedSequence": "torch.nn.utils.rnn.PackedSequence", "Tensor": "torch.Tensor", "Size": "torch.Size", "DType": "torch.dtype",
          "MemoryFormat": "torch.memory_format", "Layout": "torch.layout",
          "TensorDataset": "torch.utils.data.dataset.TensorDataset",
          "DataLoader": "torch.utils.data.dataloader.DataLoader",
          "_SingleProcessDataLoaderIter": "torch.utils.data.dataloader._SingleProcessDataLoaderIter",
          "Device": "torch.device", "NoneType": "NoneType", "UserFunction": "function",
          "Function": "builtin_function_or_method", "BoundMethod": "builtin_function_or_method",
          "Module": "module", "PyType": "type", "NoGrad": "torch.autograd.grad_mode.no_grad",
          "UnpackedDual": "torch.autograd.forward_ad.UnpackedDualTensor",
          "DualLevel": "torch.autograd.forward_ad.dual_level",
          "OrderedDict": "collections.OrderedDict", "defaultdict": "collections.defaultdict",
          "Counter": "collections.Counter", "deque": "collections.deque",
          "RemovableHandle": "torch.utils.hooks.RemovableHandle",
          "SavedTensor": "torch._C._autograd.SavedTensor",
          "SavedTensorsHooks": "torch.autograd.graph.saved_tensors_hooks",
          "DisableSavedHooks": "contextlib._GeneratorContextManager",
          **{k: f"torch.distributions.{k.lower()}.{k}"
             for k in ("Categorical", "Multinomial", "Normal", "Bernoulli", "Uniform",
                       "Independent")},
          # torch.utils.data's (data.py's classes)
          "Subset": "torch.utils.data.dataset.Subset",
          "ConcatDataset": "torch.utils.data.dataset.ConcatDataset",
          **{k: f"torch.utils.data.sampler.{k}"
             for k in ("SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                       "BatchSampler")},
          "Generator": "torch._C.Generator"}
# the optimizers (optim.py's classes, by name): each a torch.optim.Optimizer too
OPTIMIZER_NAMES = {"SGD": "torch.optim.sgd.SGD", "Adam": "torch.optim.adam.Adam",
                   "Adagrad": "torch.optim.adagrad.Adagrad",
                   "RMSprop": "torch.optim.rmsprop.RMSprop",
                   **{k: f"torch.optim.{k.lower()}.{k}"
                      for k in ("AdamW", "NAdam", "RAdam", "Adamax", "Adadelta", "Rprop", "ASGD",
                                "LBFGS")}}
OPTIMIZER = PyType("torch.optim.optimizer.Optimizer")
_NAMES.update(OPTIMIZER_NAMES)
# torch.optim.lr_scheduler's classes (schedulers.py), each an LRScheduler
SCHEDULER_NAMES = {name: f"torch.optim.lr_scheduler.{name}" for name in (
    "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
    "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
    "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "ChainedScheduler", "CyclicLR")}
LR_SCHEDULER = PyType("torch.optim.lr_scheduler.LRScheduler")
_NAMES.update(SCHEDULER_NAMES)
# torch.distributions' classes (distributions.py), each a Distribution
DISTRIBUTION_NAMES = {name: f"torch.distributions.{name.lower()}.{name}"
                      for name in ("Categorical", "Multinomial", "Normal", "Bernoulli",
                                   "Uniform", "Independent")}
DISTRIBUTION = PyType("torch.distributions.distribution.Distribution")
_NAMES.update(DISTRIBUTION_NAMES)


# the classes of torch.nn's modules (layers.Layer, modules.py's): by name, as
# this module cannot import theirs (they import it)
NN_CLASS_NAMES = frozenset(("WeightNorm", "SpectralNorm", "Orthogonal", "ParametrizationList", "Layer", "Linear", "LazyLinear", "Sequential", "ModuleList",
                            "Flatten", "Unflatten", "Dropout", "Embedding", "LayerNorm",
                            "BatchNorm1d", "BatchNorm2d", "Conv1d", "Conv2d", "ConvTranspose1d",
                            "ConvTranspose2d", "RNN", "GRU", "LSTM", "RNNCell",
                            "GRUCell", "LSTMCell", "LazyConv1d", "LazyConv2d", "LazyBatchNorm1d",
                            "Conv3d", "ConvTranspose3d", "LazyConv3d", "BatchNorm3d",
                            "LazyBatchNorm3d", "InstanceNorm3d",
                            "LazyBatchNorm2d", "MultiheadAttention",
                            "NonDynamicallyQuantizableLinear", "TransformerEncoderLayer",
                            "TransformerEncoder", "TransformerDecoderLayer",
                            "TransformerDecoder", "Transformer",
                            "Dropout1d", "Dropout2d", "AlphaDropout", "GroupNorm",
                            "InstanceNorm1d", "InstanceNorm2d", "ModuleDict", "PReLU",
                            "Bilinear", "EmbeddingBag"))

def type_of(v, bound: dict):
    """type(v): a builtin type's Function from `bound` (the interpreter's
    globals), or a PyType."""
    cls = v.__class__
    name = PYTHON_TYPES.get(cls)
    if name is not None:
        return bound[name]
    cls_name = cls.__name__
    if cls_name == "Instance":
        return v.cls                           # the program's class
    if cls_name == "PlainObject":
        return bound["object"]                 # type(object()) is object
    if v is TENSOR:
        return PyType("torch._C._TensorMeta")
    if cls_name in ("UserClass", "BuiltinBase", "PyType"):
        return bound["type"]                   # type(type(m)) is type
    if cls_name == "UnboundMethod":
        return PyType(v.py_type_name)          # torch.Tensor.sum: a method_descriptor
    if cls_name == "GradFn":
        return PyType(v.class_name)            # <class 'MulBackward0'>
    if cls_name == "ExceptionValue":
        return PyType(v.kind)                  # <class 'RuntimeError'>
    if cls_name == "ReturnTypes":
        return PyType(f"torch.return_types.{v.kind}")
    if cls_name == "Function" and bound.get(v.name) is v and v.name in _TYPE_BUILTINS:
        return bound["type"]                   # type(int)
    if cls_name == "Function" and hasattr(v.impl, "method_of"):
        return PyType("method_descriptor")     # str.lower
    if cls_name == "Function" and v.name in GRAD_MODES and _torch_function(v):
        return bound["type"]                   # type(torch.no_grad): a class
    if cls_name == "Function" and _function_kind(v) is not None:
        kind = _function_kind(v)          # torch.einsum: a function; torch.device: a class
        if kind == "function":
            return PyType("function")
        if kind == "class":
            return bound["type"]
    if cls_name == "BoundMethod" and v.obj.__class__.__name__ == "Tensor" and \
            v.name in _python_bound_methods():
        return PyType("method")                # x.lu, x.__rsub__: written in Python
    if cls_name == "Tensor" and v.meta is not None and v.meta.get("parameter"):
        return PARAMETER
    if cls_name in NN_CLASS_NAMES:
        from .parametrize import parametrized_type
        # <class 'torch.nn.modules.loss.MSELoss'>; a parametrized layer's
        # class is torch.nn.utils.parametrize.ParametrizedLinear
        return PyType(parametrized_type(v) or v.type_name)
    if cls_name == "numpy.ndarray":        # (a NumpyArray: an array, a numpy scalar, ...)
        return PyType(numpy_type_name(v.array))
    name = _NAMES.get(cls_name, cls_name)
    return _TORCH_BY_NAME.get(name) or PyType(name)


# torch's grad modes: classes in PyTorch (torch.no_grad prints as one, its type is type)
GRAD_MODES = frozenset(("no_grad", "enable_grad", "inference_mode", "set_grad_enabled"))


def _torch_function(v) -> bool:
    from .functions import FUNCTIONS     # (functions imports this module)
    return FUNCTIONS.get(v.name) is v.impl


def _function_kind(v) -> str | None:
    from .function_kinds import kind_of     # (the interpreter fills its table)
    kind = kind_of(v)
    return None if kind is None else kind[0]


def _python_bound_methods() -> frozenset:
    from .functions import PYTHON_BOUND_METHODS     # (functions imports this module)
    return PYTHON_BOUND_METHODS


def numpy_type_name(v) -> str:
    """numpy's name of v's type: numpy.ndarray, numpy.float32, numpy.dtypes.Float32DType."""
    if isinstance(v, type):             # np.float32 is a class
        return "type"
    return f"{type(v).__module__}.{type(v).__name__}"


def is_instance(v, spec, bound: dict) -> bool:
    """isinstance(v, spec): spec a type or a tuple of them (nested tuples
    too, as Python allows). bool is a kind of int, torch.Size of tuple."""
    t = type_of(v, bound)
    kinds = [t]
    if v.__class__.__name__ == "ExceptionValue":      # and its bases: Exception, ...
        from .exceptions import ancestors
        kinds = [PyType(k) for k in ancestors(v.kind)]
    if v.__class__.__name__ == "Instance":            # its class, and the classes above
        kinds = v.cls.chain()
    if v.__class__.__name__ in NN_CLASS_NAMES:
        from .classes import MODULE                   # nn.Linear(...) is an nn.Module too
        kinds = [t, MODULE]
        if t.name != v.type_name:                     # (ParametrizedLinear is a Linear)
            kinds.insert(1, PyType(v.type_name))
    if v.__class__.__name__ in OPTIMIZER_NAMES:
        kinds = [t, OPTIMIZER]
        if v.__class__.__name__ == "AdamW":           # a subclass of Adam in PyTorch
            kinds.append(PyType(OPTIMIZER_NAMES["Adam"]))
    if v.__class__.__name__ in ("TensorDataset", "Subset", "ConcatDataset"):
        from .classes import DATASET                  # torch.utils.data's datasets
        kinds = [t, DATASET]
    if v.__class__.__name__ in DISTRIBUTION_NAMES:
        kinds = [t, DISTRIBUTION]
    if v.__class__.__name__ in SCHEDULER_NAMES:
        kinds = [t, LR_SCHEDULER]
    if v.__class__ is bool:
        kinds.append(bound["int"])
    elif t == PARAMETER:
        kinds.append(TENSOR)
    elif t == SIZE:
        kinds.append(bound["tuple"])
    elif isinstance(v, (dict, tuple)) and v.__class__ not in (dict, tuple):
        # an OrderedDict, defaultdict or Counter is a dict, a namedtuple's value a tuple
        kinds.append(bound["dict" if isinstance(v, dict) else "tuple"])
    builtins_types = {id(bound[n]) for n in PYTHON_TYPES.values()}
    found = False
    for s in flat_types(spec):
        if s.__class__ is PyType and s in LEGACY:   # isinstance(x, torch.FloatTensor)
            found = found or (t == TENSOR and v.dtype_name == LEGACY[s])
            continue
        if s.__class__ is not PyType and id(s) not in builtins_types and \
                s.__class__.__name__ not in ("UserClass", "BuiltinBase"):
            raise GradvizError("isinstance() arg 2 must be a type, a tuple of types, or a union",
                               kind=TYPE, hint="write a type such as torch.Tensor, int or float, "
                                               "or a tuple of them: (int, float)")
        found = found or any(s is k or s == k for k in kinds)
    return found


def is_subclass(cls, spec, bound: dict) -> bool:
    """issubclass(cls, spec): the program's classes by their chain of bases
    (torch.nn.Module, object at its root); torch.nn's module types are
    torch.nn.Module's, the optimizers torch.optim.Optimizer's, the
    distributions torch.distributions.Distribution's."""
    from .classes import MODULE, OBJECT
    builtins_types = {id(bound[n]) for n in PYTHON_TYPES.values()}
    kind = cls.__class__.__name__
    if kind == "UserClass":
        kinds = cls.chain() + ([OBJECT] if cls.kind != "object" else [])
    elif kind == "BuiltinBase" or id(cls) in builtins_types:
        kinds = [cls, OBJECT]
    elif kind == "PyType":
        kinds = [cls, OBJECT]
        from .exceptions import ancestors, is_exception_type   # (which imports this module)
        if is_exception_type(cls):                    # issubclass(KeyError, LookupError)
            kinds = [PyType(k) for k in ancestors(cls.name)] + [OBJECT]
        if cls.name.startswith("torch.nn.modules."):        # nn.Linear, nn.ReLU, ...
            kinds.append(MODULE)
        elif cls.name in OPTIMIZER_NAMES.values():
            kinds.append(OPTIMIZER)
        elif cls.name in DISTRIBUTION_NAMES.values():
            kinds.append(DISTRIBUTION)
    else:
        raise GradvizError("issubclass() arg 1 must be a class", kind=TYPE,
                           hint="issubclass takes a class (type(x) of a value x); "
                                "isinstance(x, cls) asks of a value")
    found = False
    for s in flat_types(spec):
        if s.__class__ is not PyType and id(s) not in builtins_types and \
                s.__class__.__name__ not in ("UserClass", "BuiltinBase"):
            raise GradvizError("issubclass() arg 2 must be a class, a tuple of classes, or a "
                               "union", kind=TYPE, hint="write a class such as torch.nn.Module, "
                                                        "or a tuple of them")
        found = found or any(s is k or s == k for k in kinds)
    return found


def flat_types(spec) -> list:
    """The types of isinstance()'s or except's spec: one, or a tuple of
    them, tuples nested as Python allows (no recursion)."""
    out, stack = [], [spec]
    while stack:
        s = stack.pop()
        if s.__class__ is tuple:
            stack.extend(reversed(s))
        else:
            out.append(s)
    return out
