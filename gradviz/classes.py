"""The program's classes: custom autograd Functions, torch.nn.Module
subclasses with parameters made by hand, and plain classes.

A class statement makes a UserClass: its methods (the program's functions,
@staticmethod ones marked) and class attributes, and one base: another of
the program's classes or one of BASES (object, torch.autograd.Function,
torch.nn.Module). Calling it makes an Instance, whose attributes live in a
dict of its own (a Module's parameters and submodules in theirs, in the
order they were set, for parameters() and named_parameters()).

``F.apply(x)`` of a torch.autograd.Function subclass runs the program's
forward(ctx, ...) with gradients off, as PyTorch does, then records one
node for the result: its op is an OpDef made for the class (custom_op),
named ``FBackward`` as PyTorch names it, whose VJP calls the program's
backward(ctx, grad_output) during the reverse pass (run_backward meets it
as any other node, and calls it once for all the inputs: OpDef.custom).
The node's params hold the ctx (what save_for_backward() kept, the
attributes the program set on it), which knows the interpreter: the rules of
a custom op are the program's code, so they cannot be pure functions of
arrays as the registry's are. A gradient check replays the forward and asks
the backward outside the program's own run: those calls run aside (a
scratch tape, output dropped), so the record and the output stay the
program's.
"""
from __future__ import annotations

import io
import weakref
from contextlib import contextmanager

import numpy as np

from . import exceptions, layers, module_convert, module_hooks, modules
from .errors import ATTRIBUTE, RUNTIME, TYPE, GradvizError, did_you_mean
from .ops.registry import OpDef
from .tensor import Tensor

NUMBERS = (int, float, bool)


class BuiltinBase:
    """A base class a program's class can name: object,
    torch.autograd.Function, torch.nn.Module (kind says which)."""

    __slots__ = ("name", "kind")

    def __init__(self, name: str, kind: str):
        self.name, self.kind = name, kind

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does


OBJECT = BuiltinBase("object", "object")
AUTOGRAD_FUNCTION = BuiltinBase("torch.autograd.function.Function", "function")
MODULE = BuiltinBase("torch.nn.modules.module.Module", "module")
# torch.utils.data's: a program's dataset (data.py reads its __getitem__ and __len__,
# or its __iter__)
DATASET = BuiltinBase("torch.utils.data.dataset.Dataset", "dataset")
ITERABLE_DATASET = BuiltinBase("torch.utils.data.dataset.IterableDataset", "iterable")
BASES = (OBJECT, AUTOGRAD_FUNCTION, MODULE, DATASET, ITERABLE_DATASET)


class UserClass:
    """A class the program defined: its name, its one base (a UserClass or
    a BuiltinBase), its attributes (methods: UserFunction or StaticMethod;
    class attributes), and what it is a kind of ("object", "function",
    "module": its builtin base's). op: the OpDef of a Function's nodes,
    made at its first apply(). rt: the run that defined it (its instances'
    __hash__ and __eq__ run the program's methods there)."""

    __slots__ = ("name", "base", "attrs", "kind", "op", "fields", "run", "frozen",
                 "__weakref__")

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does

    def __init__(self, name: str, base, attrs: dict, rt=None):
        self.name, self.base, self.attrs = name, base, attrs
        # (weakly: the run holds its classes, and a cycle would outlive it)
        self.run = None if rt is None else weakref.ref(rt)
        self.fields = None        # the names its block annotates (for @dataclass)
        self.frozen = False       # @dataclass(frozen=True): its fields cannot be set
        root = base
        while root.__class__ is UserClass:
            root = root.base
        # (a torch.nn layer's class, nn.CrossEntropyLoss, is a Module's; one of
        # Python's exception classes, ValueError, makes an exception class)
        self.kind = root.kind if root.__class__ is BuiltinBase else \
            "exception" if exceptions.is_exception_type(root) else "module"
        self.op = None

    @property
    def rt(self):
        """The run that defined the class (None when it is over)."""
        return None if self.run is None else self.run()

    def chain(self) -> list:
        """The class and its bases, nearest first (its MRO: one base each;
        torch.nn.Module after a torch.nn layer's class)."""
        out, c = [], self
        while c.__class__ is UserClass:
            out.append(c)
            c = c.base
        out.append(c)
        if exceptions.is_exception_type(c):     # ValueError, Exception, BaseException
            out.extend(c.__class__(kind) for kind in exceptions.ancestors(c.name)[1:])
        elif c.__class__ is not BuiltinBase:
            out.append(MODULE)
        elif c is ITERABLE_DATASET:                  # (an IterableDataset is a Dataset)
            out.append(DATASET)
        return out

    def layer(self) -> str | None:
        """The name of the torch.nn layer the class derives from
        (CrossEntropyLoss), or None."""
        root = self.chain()[-2] if self.kind == "module" else None
        return None if root is None or root.__class__ is UserClass or \
            root.__class__ is BuiltinBase else root.name.rsplit(".", 1)[-1]

    def lookup(self, name: str, start: int = 0):
        """(the class that defines name, its value), from the start-th class
        of the chain on; (None, None) when none of the program's does."""
        for c in self.chain()[start:]:
            if c.__class__ is UserClass and name in c.attrs:
                return c, c.attrs[name]
        return None, None


class StaticMethod:
    """@staticmethod's result: the function, called without the instance."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class ClassMethod:
    """@classmethod's result: the function, called with the class first
    (read from the class or from an instance of it)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class Property:
    """@property's result: a method read as an attribute (obj.area calls
    it); fset, the method @area.setter gave it, is called by obj.area = v
    (None: a property without a setter, which refuses the assignment)."""

    __slots__ = ("fn", "fset")

    def __init__(self, fn, fset=None):
        self.fn, self.fset = fn, fset


def property_attribute(prop: Property, attr: str, function_cls):
    """@area.setter (and .getter, .fget, .fset) of a property, or None."""
    if attr == "setter":
        return function_cls("setter", lambda rt, fset: Property(prop.fn, fset))
    if attr == "getter":
        return function_cls("getter", lambda rt, fn: Property(fn, prop.fset))
    if attr in ("fget", "fset"):
        return prop.fn if attr == "fget" else prop.fset
    return None


class Instance:
    """An object of a program's class. A Module's (kind "module") keeps its
    parameters, buffers and submodules apart from its other attributes, in
    the order they were set (parameters(), state_dict(), its print)."""

    __slots__ = ("cls", "attrs", "params", "buffers", "transient", "modules", "training",
                 "initialized", "args")

    def __init__(self, cls: UserClass):
        self.cls, self.attrs = cls, {}
        self.params: dict = {}
        self.buffers: dict = {}       # register_buffer()'s: a tensor or None
        self.transient: set = set()   # the names of buffers registered persistent=False
        self.modules: dict = {}
        self.training = True
        self.initialized = cls.kind != "module"    # (Module.__init__ not run yet)
        self.args: tuple = ()         # an exception's e.args (BaseException's)

    # Python's sets, dicts, lru_cache and `in` hash and compare an object
    # with its class's __hash__ and __eq__: the host's do so through these.
    def __hash__(self):
        if method_of(self, "__hash__") is None or self.cls.rt is None:
            return object.__hash__(self)
        return user_hash(self.cls.rt, self)

    def __eq__(self, other):
        if self is other or method_of(self, "__eq__") is None or self.cls.rt is None:
            return self is other or NotImplemented
        out = call_method(self.cls.rt, self, "__eq__", [other])
        return out if out is NotImplemented else self.cls.rt.truth(out)

    # (sorted(), max() and tuples of objects order them by the class's own)
    def __lt__(self, other):
        return _host_order(self, "__lt__", other)

    def __le__(self, other):
        return _host_order(self, "__le__", other)

    def __gt__(self, other):
        return _host_order(self, "__gt__", other)

    def __ge__(self, other):
        return _host_order(self, "__ge__", other)


def _host_order(obj: Instance, name: str, other):
    """obj < other (name: __lt__ ...) where the host compares: the class's
    method, its truth; NotImplemented (the other's turn) without one."""
    rt = obj.cls.rt
    if rt is None or method_of(obj, name) is None:
        return NotImplemented
    out = call_method(rt, obj, name, [other])
    return out if out is NotImplemented else rt.truth(out)


class Method:
    """A program's function bound to an instance: obj.method."""

    __slots__ = ("fn", "obj")

    def __init__(self, fn, obj):
        self.fn, self.obj = fn, obj


class Super:
    """super(): the attributes of obj's class after ``after`` in its chain."""

    __slots__ = ("after", "obj")

    def __init__(self, after: UserClass, obj):
        self.after, self.obj = after, obj


class FunctionCtx:
    """The ctx of one apply() of a custom autograd.Function: what the
    program saved (save_for_backward), needs_input_grad, and any attribute
    the program sets (ctx.constant = c). rt, cls, args and node are its own,
    out of the program's reach (it reads attrs only)."""

    __slots__ = ("_rt", "cls", "args", "attrs", "saved", "needs", "_node", "nondiff")

    def __init__(self, rt, cls: UserClass, args: tuple):
        # (the interpreter and the node hold the ctx: weak references back,
        # so that a run leaves no reference cycle for the collector)
        self._rt, self.cls, self.args = weakref.ref(rt), cls, args
        self.attrs: dict = {}
        self.saved: tuple = ()
        self.needs = tuple(a.__class__ is Tensor and a.requires_grad for a in args)
        self._node = None
        self.nondiff: tuple = ()      # mark_non_differentiable()'s tensors

    @property
    def rt(self):
        return self._rt()

    @property
    def node(self) -> Tensor | None:
        """The node apply() recorded (None before it, or when it made none)."""
        return None if self._node is None else self._node()

    @node.setter
    def node(self, t: Tensor) -> None:
        self._node = weakref.ref(t)


class PlainObject:
    """object(): an object with nothing of its own (a sentinel, MISSING =
    object()), equal only to itself, printed with its address as Python
    prints it."""

    __slots__ = ()
    py_type_name = "object"


def new_object(args: list, kwargs: dict | None) -> PlainObject:
    """object() called: Python's TypeError for any argument."""
    if args or kwargs:
        raise GradvizError("object() takes no arguments", kind=TYPE,
                           hint="object() makes a plain object: o = object()")
    return PlainObject()


CALLABLE = (UserClass, Instance, Method)
HOLDERS = (Instance, UserClass, FunctionCtx)     # what holds tensors in attributes
PRINTED = (UserClass, Instance, Method, Super, FunctionCtx, BuiltinBase, StaticMethod, ClassMethod,
           PlainObject)


def _user_function():
    from .interpreter import UserFunction      # (which imports this module)
    return UserFunction


def _bound(name: str, impl, obj):
    from .interpreter import BoundMethod
    return BoundMethod(name, impl, obj)
WITH_ATTRIBUTES = (UserClass, Instance, Super, FunctionCtx, BuiltinBase)


# ---- the class statement ---------------------------------------------------------

def make_class(rt, stmt, bases: list, body: dict) -> UserClass:
    if len(bases) > 1:
        raise GradvizError(f"class {stmt.name} has {len(bases)} base classes; gradviz's "
                           "classes have one", kind=TYPE,
                           hint="derive from one class: torch.nn.Module, "
                                "torch.autograd.Function, object or one of the program's")
    base = bases[0] if bases else OBJECT
    is_type = base.__class__.__name__ == "PyType"
    if is_type and base.name in layers.MAKERS:       # class MaskedCE(nn.CrossEntropyLoss)
        return UserClass(stmt.name, base, body, rt)
    if exceptions.is_exception_type(base):           # class ShapeError(ValueError)
        return UserClass(stmt.name, base, body, rt)
    if base.__class__ not in (UserClass, BuiltinBase):
        what = base.name if is_type else rt._kind(base)
        raise GradvizError(f"a class can derive from torch.nn.Module, torch.autograd.Function, "
                           f"object, a torch.nn loss, activation or pooling, or one of the "
                           f"program's classes, not {what}", kind=TYPE,
                           hint=_LAYER_HINT if is_type else None)
    return UserClass(stmt.name, base, body, rt)


_LAYER_HINT = ("write the layer's parameters by hand: self.w = torch.nn.Parameter(torch.randn("
               "3, 1)), and its computation in forward()")


# ---- a torch.nn layer's class as a base ------------------------------------------------
# Its __init__ keeps the arguments as the instance's attributes (self.reduction),
# as PyTorch's does; its forward reads them at each call, so a subclass may change
# them (d2l's MaskedSoftmaxCELoss sets self.reduction = 'none' in its forward).

def _layer_params(name: str) -> list:
    return [p for p, _ in layers.KINDS[name][2]]


def _layer_init(rt, obj: Instance, *args, **kwargs):
    """nn.CrossEntropyLoss.__init__(self, ...) of a subclass's instance."""
    made = layers.MAKERS[f"{layers.KINDS[obj.cls.layer()][0]}.{obj.cls.layer()}"]
    layer = made(rt, *args, **kwargs)
    obj.initialized = True
    for key, value in layer.kwargs.items():
        if value.__class__ is Tensor:
            rt.aliased.add(id(value))
        # (a loss's weight is a buffer in PyTorch: in its state_dict())
        (obj.buffers if key == "weight" else obj.attrs)[key] = value
    return None


def _layer_now(rt, obj: Instance):
    """The layer obj is now: made from its attributes as they are."""
    name = obj.cls.layer()
    current = {}
    for key in _layer_params(name):
        for where in (obj.attrs, obj.buffers):
            if key in where:
                current[key] = where[key]
    return layers.MAKERS[f"{layers.KINDS[name][0]}.{name}"](rt, **current)


def _layer_forward(rt, obj: Instance, *args, **kwargs):
    """nn.CrossEntropyLoss.forward(self, input, target) of a subclass's instance."""
    return _layer_now(rt, obj).call(rt, list(args), kwargs)


# ---- calls -----------------------------------------------------------------------

def call(rt, fn, args: list, kwargs: dict):
    """A call of a class (a new instance), an instance (a Module's forward,
    or the class's __call__) or a bound method."""
    cls = fn.__class__
    if cls is Method:
        return rt.call_function(fn.fn, [fn.obj, *args], kwargs)
    if cls is UserClass:
        return _construct(rt, fn, args, kwargs)
    owner, method = fn.cls.lookup("__call__")
    if method is not None:
        return _call_attr(rt, method, fn, args, kwargs)
    if fn.cls.kind == "module":
        owner, method = fn.cls.lookup("forward")
        if method is None and fn.cls.layer() is not None:
            return module_hooks.call(rt, fn, args, kwargs,
                                     lambda a, k: _layer_forward(rt, fn, *a, **(k or {})))
        if method is None:
            raise GradvizError(f'Module [{fn.cls.name}] is missing the required "forward" '
                               'function', kind="NotImplementedError",
                               hint="define forward(self, x) in the class")
        return module_hooks.call(rt, fn, args, kwargs,
                                 lambda a, k: _call_attr(rt, method, fn, a, k or {}))
    raise GradvizError(f"'{fn.cls.name}' object is not callable", kind=TYPE,
                       hint="define __call__(self, ...) in the class, or call one of its "
                            "methods")


def _call_attr(rt, value, obj, args, kwargs):
    if value.__class__ is StaticMethod:
        return rt.call_function(value.fn, list(args), kwargs)
    if value.__class__ is _user_function():
        return rt.call_function(value, [obj, *args], kwargs)
    if kwargs:
        raise GradvizError(f"{rt._kind(value)} takes no keyword arguments here", kind=TYPE)
    return rt.call_value(value, list(args))


# Python's operators on the program's objects: sym -> (the method of the
# left operand, the reflected method of the right one)
_OPERATOR_METHODS = {
    "+": ("__add__", "__radd__"), "-": ("__sub__", "__rsub__"), "*": ("__mul__", "__rmul__"),
    "/": ("__truediv__", "__rtruediv__"), "//": ("__floordiv__", "__rfloordiv__"),
    "%": ("__mod__", "__rmod__"), "**": ("__pow__", "__rpow__"), "@": ("__matmul__", "__rmatmul__"),
    "==": ("__eq__", "__eq__"), "!=": ("__ne__", "__ne__"), "<": ("__lt__", "__gt__"),
    "<=": ("__le__", "__ge__"), ">": ("__gt__", "__lt__"), ">=": ("__ge__", "__le__")}


def method_of(obj, name: str):
    """The program's method `name` of an instance's class (or None)."""
    if obj.__class__ is not Instance:
        return None
    return obj.cls.lookup(name)[1]


def unhashable(obj) -> bool:
    """Whether Python makes the instance unhashable: a class that defines
    __eq__ and no __hash__ gets __hash__ = None (so does a @dataclass's
    generated __eq__), and its subclasses inherit that."""
    if obj.__class__ is not Instance:
        return False
    for c in obj.cls.chain():
        if c.__class__ is not UserClass:
            return False
        if "__hash__" in c.attrs:
            return c.attrs["__hash__"] is None
        if "__eq__" in c.attrs:
            return True
    return False


def user_hash(rt, obj) -> int:
    """hash(obj) by its class's __hash__, which must give an int."""
    value = call_method(rt, obj, "__hash__", [])
    if not isinstance(value, int):
        raise GradvizError("__hash__ method should return an integer", kind=TYPE,
                           hint="return an int from __hash__")
    # (as Python's type slot takes it: the int itself when a machine word
    # holds it, -1 made -2; a bigger one by its hash)
    if -2 ** 63 <= value < 2 ** 63:
        return -2 if value == -1 else int(value)
    return hash(value)


def call_method(rt, obj, name: str, args: list):
    """obj.name(*args) for a method the class defines (method_of)."""
    return _call_attr(rt, method_of(obj, name), obj, args, {})


def operator(rt, sym: str, a, b):
    """a sym b where an operand is the program's object: its class's
    __add__, __eq__, ... (or the other's reflected one), as Python tries
    them; == and != without __eq__ compare identity; NotImplemented when
    neither class has one (the caller raises Python's TypeError)."""
    names = _OPERATOR_METHODS.get(sym)
    if names is None:
        return NotImplemented
    for obj, other, name in ((a, b, names[0]), (b, a, names[1])):
        if method_of(obj, name) is not None:
            out = call_method(rt, obj, name, [other])
            if out is not NotImplemented:       # (declined: the other's turn)
                return out
    if sym == "!=" and (method_of(a, "__eq__") or method_of(b, "__eq__")):
        return not rt.truth(operator(rt, "==", a, b))
    if sym in ("==", "!="):
        return (a is b) is (sym == "==")
    return NotImplemented


def _construct(rt, cls: UserClass, args: list, kwargs: dict):
    obj = Instance(cls)
    if cls.kind == "function":     # (PyTorch warns that it should not be made)
        return obj
    _, init = cls.lookup("__init__")
    if cls.kind == "exception":
        # (BaseException.__new__ keeps the call's arguments as e.args, whatever
        # the class's __init__ then does)
        if kwargs:
            raise GradvizError(f"{cls.name}() takes no keyword arguments", kind=TYPE,
                               hint="give the exception its message as a positional argument")
        obj.args = tuple(args)
        if init is None:
            return obj
    if init is None and cls.layer() is not None:
        _layer_init(rt, obj, *args, **kwargs)
        return obj
    if init is None:
        if cls.kind == "module":
            obj.initialized = True
        if args or kwargs:
            raise GradvizError(f"{cls.name}() takes no arguments", kind=TYPE,
                               hint="define __init__(self, ...) to take arguments")
        return obj
    out = _call_attr(rt, init, obj, args, kwargs)
    if out is not None:
        raise GradvizError(f"__init__() should return None, not '{rt.type_name(out)}'",
                           kind=TYPE, hint="__init__ sets the attributes; it returns nothing")
    return obj


def f_super(rt, *args):
    """super() in a method (its class and first argument), or super(C, obj)."""
    if args:
        if len(args) != 2 or args[0].__class__ is not UserClass:
            raise GradvizError("super() takes no arguments here, or a class and an object",
                               kind=TYPE, hint="write super().__init__()")
        return Super(args[0], args[1])
    fn = rt.calls[-1] if rt.calls else None
    owner = getattr(fn, "owner", None) if fn is not None else None
    if owner is None or not fn.defn.params:
        raise GradvizError("super(): no arguments", kind=RUNTIME,
                           hint="super() is called in a method of a class, which takes self")
    return Super(owner, rt.env.get(fn.defn.params[0]))


def f_staticmethod(rt, fn):
    # (staticmethod(staticmethod(f)) is called as f: a staticmethod is callable)
    return fn if fn.__class__ is StaticMethod else StaticMethod(fn)


def f_classmethod(rt, fn):
    return ClassMethod(fn)


def f_property(rt, fn):
    return Property(fn)


def _property_of(obj: Instance, attr: str):
    """The Property obj's class (or a base) defines as attr, else None."""
    if attr not in _own_names(obj.cls):
        return None
    _, value = obj.cls.lookup(attr)
    return value if value.__class__ is Property else None


# ---- attributes ------------------------------------------------------------------

def get_attribute(rt, obj, attr: str):
    cls = obj.__class__
    if cls is Instance:
        return _instance_attribute(rt, obj, attr)
    if cls is UserClass:
        if attr in ("__name__", "__qualname__"):
            return obj.name
        if attr == "__bases__":
            return (obj.base,)
        if attr == "__mro__":
            return mro(obj)
        if attr == "apply" and obj.kind == "function":
            return _bound("apply", apply, obj)
        _, value = obj.lookup(attr)
        if value.__class__ is ClassMethod:      # Account.empty('bob'): cls is Account
            return Method(value.fn, obj)
        if value is not None or attr in _own_names(obj):
            return value.fn if value.__class__ is StaticMethod else value
        raise GradvizError(f"type object '{obj.name}' has no attribute '{attr}'",
                           kind=ATTRIBUTE)
    if cls is Super:
        return _super_attribute(rt, obj, attr)
    if cls is BuiltinBase:
        if attr == "__name__":
            return obj.name.rsplit(".", 1)[-1]
        raise GradvizError(f"type object '{obj.name.rsplit('.', 1)[-1]}' has no attribute "
                           f"'{attr}'", kind=ATTRIBUTE)
    return _ctx_attribute(rt, obj, attr)


def mro(cls: UserClass) -> tuple:
    """cls.__mro__: its chain of bases, ending in object (as Python's does;
    torch's classes in it stand for the bases PyTorch's have between them)."""
    chain = cls.chain()
    return (*chain, OBJECT) if chain[-1] is not OBJECT else tuple(chain)


def _own_names(cls: UserClass) -> set:
    return {name for c in cls.chain() if c.__class__ is UserClass for name in c.attrs}


def _instance_attribute(rt, obj: Instance, attr: str):
    prop = _property_of(obj, attr)
    if prop is not None:                      # (before the instance's own: Python's order)
        return rt.call_value(prop.fn, [obj])
    for where in (obj.params, obj.buffers, obj.modules, obj.attrs):
        if attr in where:
            return where[attr]
    if attr in _own_names(obj.cls):
        _, value = obj.cls.lookup(attr)
        if value.__class__ is StaticMethod:
            return value.fn
        if value.__class__ is ClassMethod:
            return Method(value.fn, obj.cls)
        if value.__class__ is _user_function():
            return Method(value, obj)
        return value
    if attr == "__class__":
        return obj.cls
    if attr == "args" and obj.cls.kind == "exception":
        return obj.args
    if attr == "__cause__" and obj.cls.kind == "exception":
        return None                 # (raise ... from c sets it among its attributes)
    if obj.cls.kind == "module":
        if attr == "training":
            return obj.training
        if attr in ("_modules", "_parameters"):   # d2l's MySequential: self._modules[str(i)] = m
            return obj.modules if attr == "_modules" else obj.params
        impl = MODULE_METHODS.get(attr)
        if impl is not None:
            return _bound(attr, impl, obj)
    raise GradvizError(f"'{obj.cls.name}' object has no attribute '{attr}'", kind=ATTRIBUTE,
                       hint=_missing_hint(obj, attr))


def _missing_hint(obj: Instance, attr: str) -> str | None:
    names = [*obj.params, *obj.buffers, *obj.modules, *obj.attrs, *_own_names(obj.cls)]
    if obj.cls.kind == "module":
        names += list(MODULE_METHODS)
    close = did_you_mean(attr, names)
    if close:
        return close
    if obj.cls.kind == "module" and attr in ("modules", "named_children", "cuda"):
        return "gradviz's Modules have " + ", ".join(f"{m}()" for m in MODULE_METHODS)
    return "set it in __init__ first: self.name = value"


def _super_attribute(rt, sup: Super, attr: str):
    obj = sup.obj
    _, value = sup.after.lookup(attr, 1)
    if value is not None:
        if value.__class__ is StaticMethod:
            return value.fn
        return Method(value, obj) if value.__class__ is _user_function() else value
    if sup.after.layer() is not None and attr in ("__init__", "forward"):
        return _bound(attr, _layer_init if attr == "__init__" else _layer_forward, obj)
    if sup.after.kind == "exception" and attr in _EXCEPTION_METHODS:
        return _bound(attr, _EXCEPTION_METHODS[attr], obj)
    if attr == "__init__":
        return _bound("__init__", _base_init, obj)
    if sup.after.kind == "module" and obj.__class__ is Instance and attr in MODULE_METHODS:
        return _bound(attr, MODULE_METHODS[attr], obj)
    raise GradvizError(f"'super' object has no attribute '{attr}'", kind=ATTRIBUTE)


def _exception_init(rt, obj, *args, **kwargs):
    """BaseException.__init__ (through super()): its arguments become e.args."""
    if kwargs:
        raise GradvizError(f"{obj.cls.name}() takes no keyword arguments",
                           kind=TYPE, hint="give the message as a positional argument")
    obj.args = args
    return None


# BaseException's methods a program's exception class reaches through super()
_EXCEPTION_METHODS = {"__init__": _exception_init,
                      "__str__": lambda rt, obj: _exception_text(rt, obj, ("__str__",), True),
                      "__repr__": lambda rt, obj: _exception_text(rt, obj, ("__repr__",), True)}


def _exception_text(rt, obj: Instance, methods: tuple, base: bool = False) -> str:
    """str(e) (methods ("__str__", ...)) or repr(e) of a program's exception:
    its class's own method, else BaseException's (base: BaseException's
    only): str is the one argument's str (the arguments' tuple, of more
    than one; "" of none), repr the class's name and the arguments."""
    _, method = obj.cls.lookup(methods[0])
    if method is not None and not base:
        return _text_from(rt, method, obj, methods[0])
    args = obj.args
    if methods[0] == "__str__" and len(args) == 1 and \
            any(c.__class__ is not UserClass and c.name == "KeyError" for c in obj.cls.chain()):
        return rt.repr_of(args[0])        # (KeyError's str is its key's repr)
    if methods[0] == "__str__":
        return "" if not args else rt.str_of(args[0] if len(args) == 1 else args)
    inner = rt.repr_of(args[0]) if len(args) == 1 else rt.repr_of(args)[1:-1]
    return f"{obj.cls.name}({inner})"


def raised(rt, v) -> GradvizError | None:
    """The error `raise v` raises for the program's exception class or an
    instance of it (the class is called without arguments, as Python
    does); None for any other v. Its kind is the class's name, its message
    str(e), and it carries e to the handler that catches it."""
    if not exceptions.program_exception(v):
        return None
    if v.__class__ is UserClass:
        v = _construct(rt, v, [], {})
    error = GradvizError(_exception_text(rt, v, ("__str__",)), kind=v.cls.name,
                         hint="raised by the program's raise statement")
    error.value = v
    return error


def _base_init(rt, obj, *args, **kwargs):
    """object.__init__ / Module.__init__ (through super())."""
    if obj.__class__ is Instance:
        if args or kwargs:
            what = "Module" if obj.cls.kind == "module" else "object"
            raise GradvizError(f"{what}.__init__() takes exactly one argument (the instance "
                               "to initialize)", kind=TYPE,
                               hint="write super().__init__() without arguments")
        obj.initialized = True
    return None


def set_attribute(rt, obj, attr: str, value, frozen_too: bool = False) -> None:
    """obj.attr = value on an instance, a class or a ctx (a tensor so held
    has a holder more than its name: see Interpreter.aliased); frozen_too:
    object.__setattr__'s, which a frozen dataclass's __init__ sets with."""
    if value.__class__ is Tensor:
        rt.aliased.add(id(value))
    cls = obj.__class__
    if cls is UserClass:
        obj.attrs[attr] = value
    elif cls is FunctionCtx:
        if attr in ("saved_tensors", "needs_input_grad"):
            raise GradvizError(f"attribute '{attr}' of 'torch._C._FunctionBase' objects is not "
                               "writable", kind=ATTRIBUTE,
                               hint="save tensors with ctx.save_for_backward(x)")
        obj.attrs[attr] = value
    elif cls is Instance and _property_of(obj, attr) is not None:
        fset = _property_of(obj, attr).fset
        if fset is not None:                  # its @attr.setter
            rt.call_value(fset, [obj, value])
            return
        raise GradvizError(f"property '{attr}' of '{obj.cls.name}' object has no setter",
                           kind=ATTRIBUTE, hint=f"{attr} is computed by its @property: set "
                                                "what it reads instead")
    elif cls is Instance and obj.cls.kind == "module":
        _set_module_attribute(rt, obj, attr, value)
    elif cls is Instance and obj.cls.kind == "exception" and attr == "args":
        obj.args = tuple(rt._items(value, rt.span))    # (BaseException's: str(e) reads it)
    elif cls is Instance:
        if not frozen_too:
            _check_not_frozen(obj, attr)
        obj.attrs[attr] = value
    else:
        raise GradvizError(f"cannot set {rt._kind(obj)}'s attribute '{attr}'", kind=ATTRIBUTE)


def _check_not_frozen(obj: Instance, attr: str) -> None:
    """A frozen dataclass's __setattr__: no field of it, and no attribute
    of an object of that very class, is set (its __init__ sets them past
    this, as Python's does with object.__setattr__)."""
    for c in obj.cls.chain():
        if c.__class__ is UserClass and c.frozen and (obj.cls is c or attr in c.fields):
            raise GradvizError(f"cannot assign to field '{attr}'", kind="FrozenInstanceError",
                               hint="a frozen dataclass's fields are set once, by __init__: "
                                    "make a new object with the new values")


def held_tensors(v):
    """(dict, key, tensor) for every tensor an instance, a class or a ctx
    holds in its attributes, those of the objects it holds included (a
    Module's submodules): what an in-place write that makes a new node
    rebinds (Interpreter._rebind). No recursion: a stack."""
    stack, seen = [v], set()
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        places = (o.attrs, o.params, o.buffers, o.modules) if o.__class__ is Instance else \
            (o.attrs,)
        for where in places:
            for key, item in where.items():
                if item.__class__ is Tensor:
                    yield where, key, item
                elif item.__class__ in HOLDERS:
                    stack.append(item)


def _is_parameter(v) -> bool:
    return v.__class__ is Tensor and v.meta is not None and bool(v.meta.get("parameter"))


def _set_module_attribute(rt, obj: Instance, attr: str, value) -> None:
    """As Module.__setattr__: a Parameter is registered as a parameter, a
    Module as a submodule (both only after Module.__init__()), in order."""
    kind = "parameters" if _is_parameter(value) else \
        "module" if modules.is_module(value) else None
    if kind is not None:
        if not obj.initialized:
            raise GradvizError(f"cannot assign {kind} before Module.__init__() call",
                               kind=ATTRIBUTE, hint="call super().__init__() first in __init__")
        place = obj.params if kind == "parameters" else obj.modules
        if kind == "parameters" and value.name is None:
            value.name = f"self.{attr}"          # (as the picture labels it)
        elif value.__class__ in modules.CLASSES:  # self.fc = nn.Linear(...): self.fc.weight
            modules.name_parameters(value, f"self.{attr}")
        for where in (obj.attrs, obj.params, obj.buffers, obj.modules):
            if where is not place:
                where.pop(attr, None)
        place[attr] = value
    elif attr in obj.params and value is not None:
        from .functions import legacy_type
        what = legacy_type(value.data.dtype) if value.__class__ is Tensor else rt.type_name(value)
        raise GradvizError(f"cannot assign '{what}' as parameter '{attr}' "
                           "(torch.nn.Parameter or None expected)", kind=TYPE,
                           hint="wrap it: torch.nn.Parameter(t), or update the parameter "
                                "in place under torch.no_grad()")
    elif attr in obj.buffers:                 # self.running = 0.9 * self.running + ...
        if value is not None and value.__class__ is not Tensor:
            raise GradvizError(f"cannot assign '{rt.type_name(value)}' as buffer '{attr}' "
                               "(torch.nn.Buffer, torch.Tensor or None expected)", kind=TYPE,
                               hint="a buffer holds a tensor: torch.tensor(value)")
        obj.buffers[attr] = value
    elif attr == "training" and value.__class__ is bool:
        obj.training = value
    else:
        obj.attrs[attr] = value


def _check_name(rt, obj: Instance, name, kind: str, own: dict) -> None:
    """PyTorch's checks of the name register_buffer() and
    register_parameter() are given: a string, no dot, not empty, not an
    attribute of another kind (own: those of this kind, which may be set
    again)."""
    if name.__class__ is not str:
        raise GradvizError(f"{kind} name should be a string. Got {rt.type_name(name)}",
                           kind=TYPE, hint=f"self.register_{kind}('name', t)")
    taken = any(name in where for where in (obj.params, obj.buffers, obj.modules, obj.attrs)
                if where is not own) or name in _own_names(obj.cls)
    problem = (f'{kind} name can\'t contain "."' if "." in name else
               f'{kind} name can\'t be empty string ""' if name == "" else
               f"attribute '{name}' already exists" if name not in own and taken else None)
    if problem is not None:
        raise GradvizError(repr(problem), kind="KeyError",
                           hint=f"name a {kind} as a new attribute of the module")


def _m_register_parameter(rt, obj, name, param):
    """Module.register_parameter(name, param): as self.<name> = param for a
    Parameter; None keeps the name's place among the parameters (listed by
    none of parameters(), state_dict()) until a Parameter is set there."""
    if not obj.initialized:
        raise GradvizError("cannot assign parameter before Module.__init__() call",
                           kind=ATTRIBUTE, hint="call super().__init__() first in __init__")
    from .functions import legacy_type
    _check_name(rt, obj, name, "parameter", obj.params)
    if param is not None and not _is_parameter(param):
        what = legacy_type(param.data.dtype) if param.__class__ is Tensor else \
            rt.type_name(param)
        raise GradvizError(f"cannot assign '{what}' object to parameter '{name}' "
                           "(torch.nn.Parameter or None required)", kind=TYPE,
                           hint="wrap it: torch.nn.Parameter(t)")
    if param is None:
        obj.attrs.pop(name, None)
        obj.params[name] = None
    else:
        _set_module_attribute(rt, obj, name, param)


def _m_register_buffer(rt, obj, name, tensor, persistent=True):
    """Module.register_buffer(name, tensor, persistent=True): a tensor of the
    module's state that is no parameter (running statistics): in
    state_dict() (unless persistent=False) and buffers(), not in
    parameters(); PyTorch's checks of the name and the value."""
    if not obj.initialized:
        raise GradvizError("cannot assign buffer before Module.__init__() call",
                           kind=ATTRIBUTE, hint="call super().__init__() first in __init__")
    _check_name(rt, obj, name, "buffer", obj.buffers)
    if tensor is not None and tensor.__class__ is not Tensor:
        raise GradvizError(f"cannot assign '{rt.type_name(tensor)}' object to buffer '{name}' "
                           "(torch Tensor or None required)", kind=TYPE,
                           hint="a buffer holds a tensor: torch.tensor(value)")
    if tensor is not None:
        rt.aliased.add(id(tensor))
        if tensor.name is None:
            tensor.name = f"self.{name}"          # (as the picture labels it)
    obj.buffers[name] = tensor
    if persistent:
        obj.transient.discard(name)
    else:
        obj.transient.add(name)


# ---- torch.nn.Module's methods -------------------------------------------------------

def named_parameters(obj: Instance, buffers: bool | str = False) -> list:
    """(name, parameter) in PyTorch's order: the module's own, in the order
    they were set, then each submodule's, prefixed (a parameter shared by two
    names once, as PyTorch's remove_duplicate). No recursion: a stack.
    buffers: state_dict()'s, with each module's buffers after its
    parameters (a BatchNorm's running statistics, register_buffer()'s);
    "all": those registered persistent=False too (buffers()')."""
    out, seen = [], set()
    stack = [("", obj)]
    while stack:
        prefix, m = stack.pop()
        if m.__class__ is not Instance:       # nn.Linear, nn.Sequential (modules.py)
            for name, p in modules.named_parameters(m, prefix, buffers):
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((name, p))
            continue
        own = [(name, p) for name, p in m.params.items() if p is not None]
        if buffers:
            own += [(name, b) for name, b in m.buffers.items()
                    if b is not None and (buffers == "all" or name not in m.transient)]
        for name, p in own:
            if id(p) not in seen:
                seen.add(id(p))
                out.append((prefix + name, p))
        stack.extend(reversed([(f"{prefix}{name}.", sub) for name, sub in m.modules.items()]))
    return out


def _m_parameters(rt, obj, recurse=True):
    from .functions import Generator
    return Generator([p for _, p in modules.own_or_all(named_parameters(obj), recurse)])


def _m_named_parameters(rt, obj, prefix="", recurse=True, remove_duplicate=True):
    from .functions import Generator
    prefix = prefix + "." if prefix else ""
    return Generator([(prefix + n, p)
                      for n, p in modules.own_or_all(named_parameters(obj), recurse)])


def _own_buffers(obj, recurse) -> list:
    return modules.own_or_all(modules.named_buffers(named_parameters(obj, "all"),
                                                    named_parameters(obj)), recurse)


def _m_buffers(rt, obj, recurse=True):
    from .functions import Generator
    return Generator([b for _, b in _own_buffers(obj, recurse)])


def _m_named_buffers(rt, obj, prefix="", recurse=True, remove_duplicate=True):
    from .functions import Generator
    prefix = prefix + "." if prefix else ""
    return Generator([(prefix + n, b) for n, b in _own_buffers(obj, recurse)])


def _m_zero_grad(rt, obj, set_to_none=True):
    from .functions import m_zero_
    for _, p in named_parameters(obj):
        if p.grad is None:
            continue
        if set_to_none:
            rt.set_grad(p, None)
        else:
            m_zero_(rt, p.grad)


def _m_train(rt, obj, mode=True):
    if mode.__class__ is not bool:
        raise GradvizError("training mode is expected to be boolean", kind=VALUE_ERROR)
    stack = [obj]
    while stack:
        m = stack.pop()
        if m.__class__ is Instance:
            m.training = mode
            stack.extend(m.modules.values())
        else:                               # nn.Linear, nn.Sequential, a layer
            modules.METHODS["train"](rt, m, mode)
    return obj


def _m_eval(rt, obj):
    return _m_train(rt, obj, False)


def _m_forward(rt, obj, *args, **kwargs):
    raise GradvizError(f'Module [{obj.cls.name}] is missing the required "forward" function',
                       kind="NotImplementedError", hint="define forward(self, x) in the class")


def _m_state_dict(rt, obj, destination=None, prefix="", keep_vars=False):
    return modules.state_dict(rt, named_parameters(obj, buffers=True), prefix)


def _m_load_state_dict(rt, obj, state_dict, strict=True, assign=False):
    return modules.load_state_dict(rt, named_parameters(obj, buffers=True), obj.cls.name,
                                   state_dict, strict)


VALUE_ERROR = "ValueError"
def _m_add_module(rt, obj, name, module):
    """Module.add_module(name, module): as self.<name> = module (d2l's
    net.add_module(f'block {i}', block()); any string is a name here)."""
    if name.__class__ is not str:
        raise GradvizError(f"module name should be a string. Got {rt.type_name(name)}",
                           kind=TYPE, hint="net.add_module('block 0', module)")
    if module is not None and not modules.is_module(module):
        raise GradvizError(f"{rt.type_name(module)} is not a Module subclass", kind=TYPE,
                           hint="add a module: nn.Linear(2, 1), or an instance of the "
                                "program's nn.Module subclass")
    _set_module_attribute(rt, obj, name, module)




def _m_requires_grad_(rt, obj, requires_grad=True):
    """Module.requires_grad_(flag): every parameter's requires_grad (freezing)."""
    from .functions import m_requires_grad_
    for _, p in named_parameters(obj):
        m_requires_grad_(rt, p, requires_grad)   # (so the picture can say it was frozen)
    return obj


def _m_apply(rt, obj, fn):
    """Module.apply(fn): fn on every module in it, children first, then obj."""
    order, stack = [], [(obj, False)]
    while stack:
        m, expanded = stack.pop()
        if m.__class__ is not Instance:       # nn.Linear, nn.Sequential, a layer
            order.extend(modules.modules_in(m))
            continue
        if expanded or not m.modules:
            order.append(m)
            continue
        stack.append((m, True))
        stack.extend((sub, False) for sub in reversed(list(m.modules.values())))
    for m in order:
        rt.call_value(fn, [m])
    return obj


MODULE_METHODS = {"state_dict": _m_state_dict, "load_state_dict": _m_load_state_dict,
                  "add_module": _m_add_module, "register_module": _m_add_module,
                  "register_buffer": _m_register_buffer,
                  "register_parameter": _m_register_parameter,
                  "children": modules.METHODS["children"],
                  "named_children": modules.METHODS["named_children"],
                  "modules": modules.METHODS["modules"],
                  "named_modules": modules.METHODS["named_modules"], "apply": _m_apply,
                  "requires_grad_": _m_requires_grad_,
                  "parameters": _m_parameters, "named_parameters": _m_named_parameters,
                  "buffers": _m_buffers, "named_buffers": _m_named_buffers,
                  "zero_grad": _m_zero_grad, "train": _m_train, "eval": _m_eval,
                  "forward": _m_forward, **module_hooks.METHODS,
                  **module_convert.METHODS}


# ---- context managers --------------------------------------------------------------

def enter_context(rt, obj: Instance):
    """`with obj:` of the program's object: its __enter__()'s value (Python's
    TypeError when its class lacks __enter__ or __exit__)."""
    _, enter = obj.cls.lookup("__enter__")
    _, leave = obj.cls.lookup("__exit__")
    if enter is None or leave is None:
        missed = "" if enter is None else " (missed __exit__ method)"
        raise GradvizError(f"'{obj.cls.name}' object does not support the context manager "
                           f"protocol{missed}", kind=TYPE,
                           hint="define __enter__(self) and __exit__(self, kind, value, tb)")
    return _call_attr(rt, enter, obj, [], {})


def exit_context(rt, obj: Instance, error) -> bool:
    """Leave `with obj:`: its __exit__(kind, value, traceback), of the error
    that leaves the block (None: none, all three None); whether it returned
    a true value (which ends the error, as in Python)."""
    _, leave = obj.cls.lookup("__exit__")
    if error is None:
        args = [None, None, None]
    else:
        value = error.value if error.value is not None else \
            exceptions.ExceptionValue(error.kind, error.message, error.cause, error.exc_args)
        kind = value.cls if error.value is not None else \
            exceptions.PyType(error.kind)
        args = [kind, value, None]
    return rt.truth(_call_attr(rt, leave, obj, args, {}))


# ---- how they print -----------------------------------------------------------------

def text(rt, v, methods: tuple = ("__str__", "__repr__")) -> str:
    """str(v) of a class, an instance (its __str__ or __repr__ when the
    class has one; a Module as PyTorch prints it), a method or a ctx;
    methods ("__repr__",): repr(v)."""
    cls = v.__class__
    if cls is UserClass:
        return f"<class '__main__.{v.name}'>"
    if cls is BuiltinBase:
        return f"<class '{v.name}'>"
    if cls is PlainObject:
        return f"<object object at {rt.address(v)}>"
    if cls is Method:
        return (f"<bound method {v.fn.owner.name if v.fn.owner else ''}.{v.fn.defn.name} of "
                f"{text(rt, v.obj)}>")
    if cls is StaticMethod:
        return f"<staticmethod({rt.value_str(v.fn)})>"
    if cls is ClassMethod:
        return f"<classmethod({rt.value_str(v.fn)})>"
    if cls is Super:
        return f"<super: <class '{v.after.name}'>, <{v.after.name} object>>"
    if cls is FunctionCtx:
        return f"<torch.autograd.function.{v.cls.name}Backward object at {rt.address(v)}>"
    if v.cls.kind == "exception":      # (BaseException's __str__ does not fall back to __repr__)
        return _exception_text(rt, v, methods)
    for name in methods:
        _, method = v.cls.lookup(name)
        if method is not None:
            return _text_from(rt, method, v, name)
    if v.cls.kind == "module":
        return _module_text(rt, v)
    return f"<__main__.{v.cls.name} object at {rt.address(v)}>"


def _text_from(rt, method, obj: Instance, name: str) -> str:
    """What the class's __str__ or __repr__ (name) returns for obj: a string."""
    out = _call_attr(rt, method, obj, [], {})
    if out.__class__ is not str:
        raise GradvizError(f"{name} returned non-string (type {rt.type_name(out)})",
                           kind=TYPE, hint=f"{name} returns a string")
    return out


def _module_text(rt, m: Instance) -> str:
    """Net(\\n  (p): Polynomial3()\\n), as Module.__repr__ (its children
    indented; no recursion: each child's text is made first, deepest last)."""
    if not m.modules and m.cls.layer() is not None:    # MaskedCE(), MyPool(kernel_size=2, ...)
        made = _layer_now(rt, m).text
        return m.cls.name + made[made.index("("):]
    if not m.modules:
        return f"{m.cls.name}()"
    lines = [f"{m.cls.name}("]
    for name, sub in m.modules.items():
        child = modules.text_of(rt, sub).replace("\n", "\n  ")
        lines.append(f"  ({name}): {child}")
    return "\n".join(lines) + "\n)"


# ---- custom autograd Functions ---------------------------------------------------------

def _static(cls: UserClass, name: str):
    """The program's forward or backward of a Function class (a
    staticmethod, or a plain def, which PyTorch calls the same way)."""
    _, value = cls.lookup(name)
    value = value.fn if value.__class__ is StaticMethod else value
    if value is not None and not hasattr(value, "defn"):
        # (PyTorch calls cls.forward(ctx, *args) whatever it is)
        raise GradvizError(f"'{type(value).__name__}' object is not callable", kind="TypeError",
                           hint=f"{name} is a function: @staticmethod def {name}(ctx, ...)")
    return value


def apply(rt, cls: UserClass, *args, **kwargs):
    """F.apply(*args): the program's forward(ctx, *args) with gradients off,
    and, when an input requires grad and gradients are on, one node for
    the result, whose VJP is the program's backward."""
    forward = _static(cls, "forward")
    if forward is None:
        raise GradvizError("You must implement the forward function for custom "
                           "autograd.Function.", kind="NotImplementedError",
                           hint="define @staticmethod def forward(ctx, x): ... in the class")
    ctx = FunctionCtx(rt, cls, args)
    enabled = rt.tape.grad_enabled
    out = rt.run_without_grad(f"{cls.name}.forward", lambda: rt.call_function(
        forward, [ctx, *args], kwargs), forward.defn, forward.shift)
    if out.__class__ is tuple and any(o.__class__ is Tensor for o in out):
        raise GradvizError(f"{cls.name}.forward returned {len(out)} values: gradviz records a "
                           "custom Function with one output tensor", kind=RUNTIME,
                           hint="return one tensor (stack the results), or write one Function "
                                "per output")
    if out.__class__ is not Tensor or not enabled or not any(ctx.needs) or \
            any(out is t for t in ctx.nondiff):
        return out
    if out.data.dtype.kind != "f":
        return out                 # (an integer result: PyTorch records no gradient for it)
    node = Tensor(out.data)
    node.op = custom_op(cls)
    node.args = tuple(a if a is None or a.__class__ in (Tensor, *NUMBERS, str) else
                      rt.repr_of(a) for a in args)
    node.params = {"ctx": ctx}
    node.requires_grad = node.recorded = True
    rt.tape.add(node, rt.span)
    ctx.node = node
    _link(out, node, "returned by forward")
    return node


def _link(src: Tensor, dst: Tensor, text: str) -> None:
    """A dotted edge in the picture from src to dst (what the program's
    forward returned to the node apply() made of it, what its backward
    returned to the input it is the gradient of)."""
    if src is dst or src.seq < 0 or dst.seq < 0:
        return
    meta = src.meta = dict(src.meta or ())
    meta["link_to"] = [*meta.get("link_to", ()), (dst.seq, text)]


def custom_op(cls: UserClass) -> OpDef:
    """The op of a Function class's nodes (one per class, made once; not in
    the registry, which holds the ops every program has)."""
    if cls.op is None:
        name = cls.name
        cls.op = OpDef(name=name, grad_fn=f"{name}Backward", forward=_replay_forward,
                       vjp=(_custom_vjp,), jvp=(None,), symbol=f"{name}.apply",
                       formula=(f"by {name}.backward (the program's own)",), saves=False,
                       variadic=True, custom=True,
                       doc=f"the program's torch.autograd.Function {name}")
    return cls.op


@contextmanager
def aside(rt):
    """Run the program's code outside its own run (a gradient check
    replaying a custom Function): on a scratch tape, its output dropped."""
    from .tape import Tape
    tape, out = rt.tape, rt.out
    rt.tape = Tape(tape.limits, str(tape.default_float))
    rt.tape.default_dtype = tape.default_dtype     # (the program's, as it replays)
    rt.tape.grad_enabled = False
    rt.out = io.StringIO()
    try:
        yield
    finally:
        rt.tape, rt.out = tape, out


def _replay_forward(xs, p):
    """The op's forward on arrays (a gradient check's replay): the
    program's forward again, aside, on new inputs."""
    ctx = p["ctx"]
    rt = ctx.rt
    args = [Tensor(x) if a.__class__ is Tensor else a for a, x in zip(ctx.args, xs)]
    with aside(rt):
        out = rt.call_function(_static(ctx.cls, "forward"),
                               [FunctionCtx(rt, ctx.cls, tuple(args)), *args], {})
    return out.data


def _custom_vjp(g, ans, xs, p, i=None):
    """The program's backward(ctx, grad_output) on g: one gradient (an
    array, or None) per input of the forward; the i-th alone when i is
    given (a gradient check of the op on its own, which runs aside)."""
    ctx = p["ctx"]
    if i is not None:
        with aside(ctx.rt):
            return run_backward(ctx, g)[i]
    return run_backward(ctx, g)


def run_backward(ctx: FunctionCtx, g) -> tuple:
    """Call the program's backward with gradients off, and check what it
    returns as PyTorch's engine does: one gradient per forward input (extra
    ones must be None), a tensor or None each, of a shape that sums down
    to the input's (it is summed, as PyTorch's sum_to), in its dtype."""
    rt, cls = ctx.rt, ctx.cls
    backward = _static(cls, "backward")
    if backward is None:
        raise GradvizError("You must implement either the backward or vjp method for your "
                           "custom autograd.Function to use it with backward mode AD.",
                           kind="NotImplementedError",
                           hint="define @staticmethod def backward(ctx, grad_output): ...")
    name = f"{cls.name}Backward"
    here = rt.span
    grad = rt.tape.add(Tensor(np.asarray(g)), here, label="grad_output",
                       of=ctx.node.seq if ctx.node is not None else -1)
    out = rt.run_without_grad(f"{ctx.cls.name}.backward", lambda: rt.call_function(
        backward, [ctx, grad], {}), backward.defn, backward.shift)
    outs = out if out.__class__ is tuple else (out,)
    n = len(ctx.args)
    if len(outs) > n and all(o is None for o in outs[n:]):
        outs = outs[:n]
    if len(outs) != n:
        raise GradvizError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {n}, got {len(outs)})", kind=RUNTIME,
                           hint=f"backward returns one gradient per input of forward ({n}), "
                                "None for an input that is not a tensor or needs none")
    sent = []
    for k, (a, o) in enumerate(zip(ctx.args, outs)):
        if o is None:
            sent.append(None)
            continue
        if o.__class__ is not Tensor:
            raise GradvizError(f"expected Variable or None (got {rt.type_name(o)})",
                               kind=RUNTIME, hint="return tensors (or None), one per input")
        if a.__class__ is not Tensor:
            raise GradvizError(f"function {name} returned a gradient different than None at "
                               f"position {k + 1}, but the corresponding forward input was "
                               "not a Variable", kind=RUNTIME,
                               hint="return None for an input that is not a tensor")
        sent.append(_fit(name, k, o.data, a.data))
        _link(o, a, "sent back")
    return tuple(sent)


def _fit(name: str, k: int, g: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A returned gradient made the input's shape and dtype, as PyTorch's
    validate_outputs: summed down when the input's shape broadcasts to it."""
    from .autodiff import fit_gradient
    g = fit_gradient(name, k, g, x.shape)
    if g.dtype != x.dtype:
        g = g.astype(x.dtype)
    return g


def _ctx_attribute(rt, ctx: FunctionCtx, attr: str):
    if attr in ctx.attrs:
        return ctx.attrs[attr]
    if attr == "save_for_backward":
        return _bound(attr, _save_for_backward, ctx)
    if attr == "saved_tensors":
        if ctx.node is not None and ctx.node.freed and ctx.saved:
            from .autodiff import FREED_MESSAGE
            raise GradvizError(FREED_MESSAGE, kind=RUNTIME,
                               hint="pass retain_graph=True to the first backward() to call it "
                                    "again on the same graph")
        return ctx.saved
    if attr == "needs_input_grad":
        return ctx.needs
    if attr == "mark_non_differentiable":
        return _bound(attr, _mark_non_differentiable, ctx)
    if attr == "set_materialize_grads":      # (one output: its gradient is always there)
        return _bound(attr, _ignored, ctx)
    raise GradvizError(f"'{ctx.cls.name}Backward' object has no attribute '{attr}'",
                       kind=ATTRIBUTE, hint="set it in forward first: ctx.name = value")


def _save_for_backward(rt, ctx, *tensors):
    for t in tensors:
        if t is not None and t.__class__ is not Tensor:
            raise GradvizError(f"save_for_backward can only save variables, but argument "
                               f"{tensors.index(t)} is of type {rt.type_name(t)}", kind=TYPE,
                               hint="save tensors; keep other values as attributes: "
                                    "ctx.k = k")
    ctx.saved = tensors


def _mark_non_differentiable(rt, ctx, *tensors):
    ctx.nondiff = tensors


def _ignored(rt, ctx, *args):
    return None
