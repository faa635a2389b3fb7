"""What PyTorch keeps of its older API, and of its other layouts, on a
dense tensor, and a leaf's grad_dtype: x.volatile (removed: always False,
with its warnings),
x.reinforce(reward) (removed: its error), x.dense_dim(), x.to_dense(),
x.values() (sparse tensors only: its error), x.as_subclass(torch.Tensor)
and torch.set_default_tensor_type (deprecated: set_default_dtype by a
legacy tensor type). Loaded at the end of functions.py (install())."""
from __future__ import annotations

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import ATTRIBUTE, RUNTIME, TYPE, GradvizError
from .pytypes import LEGACY, LEGACY_TENSOR_TYPES, PYTHON_TYPES, TENSOR
from .render.torchfmt import DType
from .tensor import DTYPE_NAMES, grad_dtype

VOLATILE_READ = "volatile was removed (Variable.volatile is always False)"
VOLATILE_SET = ("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                "instead.")


def read_volatile(rt, t) -> bool:
    """x.volatile: always False since PyTorch 0.4, said by a warning."""
    rt.log_event("user_warning", t, message=VOLATILE_READ)
    return False


def set_volatile(rt, t) -> None:
    """x.volatile = v: no effect (no_grad replaced it), said by a warning."""
    rt.log_event("user_warning", t, message=VOLATILE_SET)


def read_grad_dtype(rt, t):
    """x.grad_dtype: the dtype a leaf's .grad takes (its own unless set;
    None: whatever the gradient's)."""
    if not t.is_leaf:
        raise GradvizError("grad_dtype can only be accessed on leaf tensors.", kind=RUNTIME,
                           hint="a leaf's gradient dtype: ask the tensor you made")
    dt = grad_dtype(t)
    return None if dt is None else F.DTYPE_OBJECTS[DTYPE_NAMES[dt]]


def set_grad_dtype(rt, t, value) -> None:
    """x.grad_dtype = dtype (the engine casts the gradients it adds into
    x.grad to it) or None (any dtype), on a leaf."""
    if not t.is_leaf:
        raise GradvizError("grad_dtype can only be set on leaf tensors.", kind=RUNTIME,
                           hint="set it on the tensor you made")
    if value is not None and value.__class__ is not DType:
        raise GradvizError(f"grad_dtype must be a torch.dtype or None, but got "
                           f"{F.arg_type_name(value)}", kind=RUNTIME,
                           hint="x.grad_dtype = torch.float64, or None")
    t.meta = {**(t.meta or {}), "grad_dtype": None if value is None else F._dtype_arg(value)}


# Tensor.reinforce's error, word for word (PyTorch keeps the method to say it)
REINFORCE = """reinforce() was removed.
Use torch.distributions instead.
See https://pytorch.org/docs/main/distributions.html

Instead of:

probs = policy_network(state)
action = probs.multinomial()
next_state, reward = env.step(action)
action.reinforce(reward)
action.backward()

Use:

probs = policy_network(state)
# NOTE: categorical is equivalent to what used to be called multinomial
m = torch.distributions.Categorical(probs)
action = m.sample()
next_state, reward = env.step(action)
loss = -m.log_prob(action) * reward
loss.backward()
"""


def m_reinforce(rt, x, *args, **kwargs):
    """Removed: PyTorch's error (its Python method's own, for no reward)."""
    if not args and "reward" not in kwargs:
        raise GradvizError("Tensor.reinforce() missing 1 required positional argument: "
                           "'reward'", kind=TYPE, hint="x.reinforce(reward) was removed")
    raise GradvizError(REINFORCE, kind=RUNTIME, max_chars=len(REINFORCE),
                       hint="torch.distributions.Categorical(probs): sample(), then "
                            "log_prob(action) * reward as the loss")


def m_dense_dim(rt, x, *args):
    """A dense tensor's dims are all dense ones."""
    if args:
        raise GradvizError(f"TensorBase.dense_dim() takes no arguments ({len(args)} given)",
                           kind=TYPE, hint="x.dense_dim()")
    return x.data.ndim


def m_to_dense(rt, x, dtype=None, *, masked_grad=None):
    """A dense tensor is its own dense form: x itself, or x.to(dtype)."""
    return x if dtype is None else F.f_to(rt, x, F._dtype_arg(dtype))


def m_values(rt, x):
    raise GradvizError("values expected sparse tensor layout but got Strided", kind=RUNTIME,
                       hint="values() reads a sparse tensor's stored values; a dense tensor "
                            "is its own values")


def m_as_subclass(rt, x, cls):
    """x.as_subclass(torch.Tensor): an alias of x in the graph (a view,
    AliasBackward0), as x[...] is. gradviz has no other Tensor subclass to
    make."""
    if cls is TENSOR:
        return rt.index_tensor(x, [Ellipsis])
    if not _is_type(cls):
        raise GradvizError(f"cls must be a type (got {F.arg_type_name(cls)})", kind=TYPE,
                           hint="x.as_subclass(torch.Tensor)")
    if cls in LEGACY or cls.__class__.__name__ == "PyType" and cls.name.startswith("torch."):
        raise GradvizError(f"gradviz makes no instances of {cls.name} by as_subclass",
                           kind=TYPE, hint="x.as_subclass(torch.Tensor)")
    raise GradvizError("Creating a Tensor subclass from a class that does not inherit from "
                       "Tensor is not possible. Make sure your class inherits from Tensor.",
                       kind=TYPE, hint="x.as_subclass(torch.Tensor)")


def _is_type(v) -> bool:
    from .interpreter import GLOBALS     # (where the builtins are bound: it imports this module)
    return v.__class__.__name__ in ("PyType", "UserClass", "BuiltinBase") or \
        any(v is GLOBALS[name] for name in PYTHON_TYPES.values())


SET_DEFAULT_WARNING = ("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, "
                       "please use torch.set_default_dtype() and torch.set_default_device() as "
                       "alternatives.")
_NOT_A_TYPE = "invalid type object: only floating-point types are supported as the default type"


def f_set_default_tensor_type(rt, t, /):
    """torch.set_default_tensor_type(torch.DoubleTensor) (or its name as a
    string): the default dtype that legacy type holds, a floating one; its
    deprecation warning once a run, given before the type is checked."""
    if t.__class__ is str:
        t = _named_type(rt, str.__str__(t))
    if not any(ev.get("message") == SET_DEFAULT_WARNING for ev in rt.tape.events):
        # (TORCH_WARN_ONCE, of no tensor)
        rt.tape.events.append({"kind": "user_warning", "line": rt.line,
                               "message": SET_DEFAULT_WARNING})
    name = LEGACY.get(t) if t.__class__.__name__ == "PyType" else None
    if name is None:
        raise GradvizError(_NOT_A_TYPE, kind=TYPE, hint="torch.set_default_dtype(torch.float64)")
    F.f_set_default_dtype(rt, F.DTYPE_OBJECTS[name])


def _named_type(rt, name: str):
    """The value a dotted name names, as PyTorch imports it ('torch.DoubleTensor')."""
    module, _, attr = name.rpartition(".")
    if not name or name.startswith(".") or module.split(".")[0] == "" and module:
        raise GradvizError("Empty module name", kind="ValueError",
                           hint="name a type: 'torch.DoubleTensor'")
    if module.split(".")[0] != "torch":
        raise GradvizError(f"No module named '{(module or name).split('.')[0]}'",
                           kind="ModuleNotFoundError", hint="name a type: 'torch.DoubleTensor'")
    if module == "torch.cuda" and attr in LEGACY_TENSOR_TYPES:
        raise GradvizError(f"type {name} not available. Torch not compiled with CUDA enabled.",
                           kind=TYPE, hint="gradviz runs on the CPU: 'torch.DoubleTensor'")
    from .interpreter import GLOBALS     # (the interpreter imports this module's tables)
    members = GLOBALS["torch"].members
    if module != "torch" or attr not in members:
        raise GradvizError(f"module '{module}' has no attribute '{attr}'", kind=ATTRIBUTE,
                           hint="name a type: 'torch.DoubleTensor'")
    return members[attr]


METHODS = {
    "reinforce": m_reinforce,
    "dense_dim": m_dense_dim,
    "to_dense": checked(m_to_dense, "to_dense",
                        forms("(torch.dtype dtype = None, *, bool? masked_grad = None)"),
                        method=True),
    "values": m_values,
    "as_subclass": m_as_subclass,
}
FUNCTIONS = {"set_default_tensor_type": f_set_default_tensor_type}


def install() -> None:
    F.METHODS.update(METHODS)
    F.FUNCTIONS.update(FUNCTIONS)
