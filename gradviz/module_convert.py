"""nn.Module's conversions and look-ups: net.double(), net.float(),
net.half(), net.to(dtype / device / tensor), net.type(dtype), net.cpu(),
net.cuda(); net.get_submodule/get_parameter/get_buffer("a.b"),
net.extra_repr(), net.share_memory().

PyTorch converts a module with Module._apply under no_grad: each parameter
stays the same Parameter object, its data (and its .grad's) replaced by the
converted values, so an optimizer made before or after keeps working. No
node of the graph is made. Here too: each tensor's array is converted in
place of the old one (a state_dict() taken before keeps the old values,
as PyTorch's keeps the old storage)."""

from __future__ import annotations

import numpy as np

from .errors import GradvizError, RUNTIME, TYPE
from . import functions as F
from . import memory_formats, strides
from .tensor import Tensor

ATTRIBUTE = "AttributeError"


def _tensors(m) -> list:
    """(name, tensor) of every parameter and buffer in m and its submodules
    (persistent=False buffers too), each once."""
    from . import classes
    return [(n, t) for n, t in classes.named_parameters(m, "all") if t.__class__ is Tensor]


def _stored(rt, dt: np.dtype) -> np.dtype:
    """The array's dtype for dtype dt (float32 is held wider in the float64
    mode, as f_to does)."""
    if rt.tape.wide_floats and (dt == F.F32 or dt == F.F16):
        return rt.tape.default_float
    return dt


def _convert(rt, m, dt: np.dtype | None, floats_only: bool = True, fmt=None):
    """Each tensor of m in dtype dt (only the floating ones: an integer
    buffer, BatchNorm's num_batches_tracked, stays), and its 4-d and 5-d
    ones laid out in memory format fmt (net.to(memory_format=
    torch.channels_last)); returns m."""
    if fmt is memory_formats.PRESERVE:
        fmt = None
    for _, t in _tensors(m):
        cast = dt is not None and (not floats_only or t.data.dtype.kind == "f")
        if t.requires_grad and cast and dt.kind != "f":      # (.type(torch.int64))
            raise GradvizError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype", kind=RUNTIME,
                               hint="convert a module to a floating dtype: net.double()")
        relayout = fmt is not None and t.data.ndim in (4, 5)
        for held in (t, t.grad):
            if held is not None and (cast or relayout):
                _convert_tensor(rt, held, dt if cast else None, fmt if relayout else None)
    return m


def _convert_tensor(rt, t: Tensor, dt: np.dtype | None, fmt) -> None:
    """t's data in dtype dt and memory format fmt (None: as it is), on new
    memory where either changes (PyTorch's param.data = converted): its
    version counter kept, a later in-place write to it seen (the picture
    shows the value as made). The rounding through dt is half()'s float16
    values, kept in the float64 mode too."""
    old = t.data
    versions = rt.tape.versions
    version = versions.count(t)             # (of the memory t leaves)
    want = None
    if fmt is not None:
        memory_formats.check_rank(fmt, old.ndim)
        want = memory_formats.format_strides(fmt, old.shape)
        if strides.layout(t)[0] == want:
            want = None
    if dt is not None and old.dtype != _stored(rt, dt):
        t.data = old.astype(dt).astype(_stored(rt, dt))
    if want is not None:
        strides.lay_out(t, want)
    if t.data is not old:
        versions.start(t, version)
        rt.tape.moved(t)


def _double(rt, m):
    return _convert(rt, m, F.F64)


def _float(rt, m):
    return _convert(rt, m, F.F32)


def _half(rt, m):
    return _convert(rt, m, F.F16)


def _device(rt, m, device) -> None:
    """PyTorch's error for a device other than the CPU, which it raises on
    converting the module's first tensor (none for a module without one:
    nn.ReLU().cuda() is fine); an accelerator's index or a wrong name fails
    on any module."""
    if device is None:
        return
    if device.__class__ is int or not isinstance(device, str) or \
            str.__str__(device).split(":")[0] not in F.DEVICE_TYPES or _tensors(m):
        F.check_device(device)


def _to(rt, m, *args, device=None, dtype=None, non_blocking=False, copy=False,
        memory_format=None):
    """net.to(device), net.to(dtype), net.to(device, dtype), net.to(tensor):
    the floating parameters and buffers converted; returns net."""
    for a in args:
        if a.__class__ is Tensor:                   # net.to(x): x's dtype (and device)
            dtype = F.DTYPE_OBJECTS[a.data.dtype.name] if a.data.dtype.name in \
                F.DTYPE_OBJECTS else dtype
        elif isinstance(a, F.DType) or (a.__class__ is not str and a.__class__ is not int and
                                        not isinstance(a, F.Device) and
                                        a.__class__ is not bool):
            dtype = a
        elif a.__class__ is not bool:               # (non_blocking given by position)
            device = a
    dt = F._dtype_arg(dtype)
    fmt = None if memory_format is None else memory_formats.need_format("to", memory_format)
    if dt is not None and dt.kind != "f":
        raise GradvizError("nn.Module.to only accepts floating point or complex dtypes, but got "
                           f"desired dtype=torch.{dt.name}", kind=TYPE,
                           hint="a module's parameters are floating: net.to(torch.float64)")
    _device(rt, m, device)
    return _convert(rt, m, dt, fmt=fmt)


def _type(rt, m, dst_type):
    """net.type(dtype): every parameter and buffer cast to it, integer
    buffers too (unlike net.to(dtype)); returns net."""
    return _convert(rt, m, F.type_target(rt, dst_type), floats_only=False)


def _cpu(rt, m):
    return m


def _cuda(rt, m, device=None):
    _device(rt, m, "cuda")
    return m


def _share_memory(rt, m):
    """One process here: nothing to share; returns m."""
    return m


def _extra_repr(rt, m):
    """A layer's extra_repr(): what its printed form holds in parentheses
    ('in_features=2, out_features=2, bias=True'); '' for a container and
    the program's own Module."""
    from . import layers, modules
    if modules.child_pairs(m) or not (m.__class__ in modules.CLASSES or
                                      m.__class__ is layers.Layer):
        return ""
    text = modules.text_of(rt, m)
    inside = text[text.index("(") + 1:-1] if "(" in text and text.endswith(")") else ""
    return "" if "\n" in inside else inside


# ---- get_submodule, get_parameter, get_buffer -------------------------------

def _class_name(rt, m) -> str:
    return rt.type_name(m).rsplit(".", 1)[-1]


def _get_submodule(rt, m, target):
    """net.get_submodule("body.0"): the module at that dotted path
    (net itself for ""), with PyTorch's AttributeErrors."""
    from . import modules
    if target == "":
        return m
    for item in target.split("."):
        subs = dict(modules.child_pairs(m))
        if item not in subs:
            if _has_attribute(rt, m, item):
                raise GradvizError(f"`{item}` is not an nn.Module", kind=ATTRIBUTE)
            raise GradvizError(f"{_class_name(rt, m)} has no attribute `{item}`", kind=ATTRIBUTE,
                               hint="the names are named_modules()'s")
        m = subs[item]
    return m


def _has_attribute(rt, m, name: str) -> bool:
    try:
        rt.attribute_of(m, name)
    except GradvizError:
        return False
    return True


def _owner(rt, m, target) -> tuple:
    """(module, own name) of a dotted path to a parameter or buffer."""
    path, _, name = target.rpartition(".")
    return _get_submodule(rt, m, path), name


def _own(mod, buffers: bool) -> dict:
    """mod's own parameters (or buffers), by name: no submodule's."""
    from . import classes, modules
    params = classes.named_parameters(mod)
    if buffers:
        params = modules.named_buffers(classes.named_parameters(mod, "all"), params)
    return {n: p for n, p in params if "." not in n}


def _get_own(rt, m, target, buffers: bool):
    """The parameter (or buffer) at a dotted path, with PyTorch's
    AttributeErrors for a name that is no such tensor or none at all."""
    mod, name = _owner(rt, m, target)
    own = _own(mod, buffers)
    if name in own:
        return own[name]
    what = "a buffer" if buffers else "an nn.Parameter"
    if _has_attribute(rt, mod, name):
        raise GradvizError(f"`{name}` is not {what}", kind=ATTRIBUTE)
    raise GradvizError(f"{_class_name(rt, mod)} has no attribute `{name}`", kind=ATTRIBUTE,
                       hint="the names are those named_buffers() gives" if buffers
                       else "the names are those named_parameters() gives")


def _get_parameter(rt, m, target):
    """net.get_parameter("0.weight")."""
    return _get_own(rt, m, target, buffers=False)


def _get_buffer(rt, m, target):
    """net.get_buffer("1.running_mean")."""
    return _get_own(rt, m, target, buffers=True)


METHODS = {"to": _to, "double": _double, "float": _float, "half": _half, "type": _type,
           "cpu": _cpu, "cuda": _cuda, "share_memory": _share_memory,
           "extra_repr": _extra_repr, "get_submodule": _get_submodule,
           "get_parameter": _get_parameter, "get_buffer": _get_buffer}
