"""Python's dataclasses module, for a script's settings class:

    @dataclass
    class Config:
        lr: float = 0.1
        epochs: int = 3
        sizes: list = field(default_factory=list)

@dataclass gives the class the __init__, __repr__ and __eq__ Python's
would: its fields are the names annotated in its block, in order (the
parser lists them: ClassDef.fields), a default the value after `=`. The
methods are written as the program's own code (made from SOURCE and parsed
once per class), so they run as any method of the program runs; a
default_factory is called by __init__ for each object, as Python does."""
from __future__ import annotations

from .errors import TYPE, VALUE, GradvizError

_HINT = ("@dataclass on a class whose block annotates its fields: lr: float = 0.1; "
         "field(default_factory=list) for a list")
# the names the generated methods read (their closure; the program cannot name them)
_MISSING, _FACTORY = "__dataclass_missing__", "__dataclass_factory_{}__"
_SET = "__dataclass_setattr__"          # object.__setattr__, for a frozen one's __init__
_OPTIONS = ("init", "repr", "eq", "order", "unsafe_hash", "frozen", "match_args", "kw_only",
            "slots", "weakref_slot")


class Field:
    """field(default=..., default_factory=...): what a field's `= field(...)` holds."""

    __slots__ = ("default", "default_factory")

    def __init__(self, default, default_factory):
        self.default, self.default_factory = default, default_factory


_NOTHING = object()      # (no default: the field is required)


def _field(rt, *, default=_NOTHING, default_factory=_NOTHING, init=True, repr=True,
           hash=None, compare=True, metadata=None, kw_only=False):
    if default is not _NOTHING and default_factory is not _NOTHING:
        raise GradvizError("cannot specify both default and default_factory", kind=VALUE,
                           hint="field(default=0.1) or field(default_factory=list)")
    return Field(default, default_factory)


# the options that say which methods are made (init=False: the class's own
# __init__ or none; order=True: __lt__ and the others; frozen=True: no field
# set after __init__, and a __hash__ with eq); the others are supported at
# their defaults only
_MADE = ("init", "repr", "eq", "order", "unsafe_hash", "frozen")
_ON = ("init", "repr", "eq")              # (made unless the option says False)
_ORDER = ("__lt__", "__le__", "__gt__", "__ge__")


def _dataclass(rt, cls=None, **options):
    """@dataclass, @dataclass() and @dataclass(eq=False, order=True, ...):
    the class with its methods, chosen by init=, repr=, eq=, order=,
    unsafe_hash= and frozen= (the other options are supported at their
    defaults only)."""
    for name, value in options.items():
        if name not in _OPTIONS:
            raise GradvizError(f"dataclass() got an unexpected keyword argument '{name}'",
                               kind=TYPE, hint=_HINT)
        default = name in ("init", "repr", "eq", "match_args")
        if bool(value) != default and name not in _MADE:
            raise GradvizError(f"dataclass({name}={value!r}) is not supported here",
                               kind=TYPE, hint="gradviz's dataclasses take init=, repr=, eq=, "
                                               "order=, unsafe_hash= and frozen=")
    made = frozenset(name for name in _MADE if options.get(name, name in _ON))
    if "order" in made and "eq" not in made:
        raise GradvizError("eq must be true if order is true", kind=VALUE,
                           hint="order=True compares as eq does: leave eq=True")
    if cls is None:
        return _function("dataclass", lambda rt, c: make(rt, c, made))
    return make(rt, cls, made)


def make(rt, cls, made: frozenset = frozenset(_ON)):
    """The class, given Python's generated __init__, __repr__ and __eq__
    (those of `made`: init, repr, eq; order's __lt__ ...; the __hash__ of
    unsafe_hash, or of eq with frozen), where its block defines none of its
    own, as Python's dataclass leaves a method the class defines (an order
    method or an unsafe_hash's __hash__ the class defines is Python's
    TypeError)."""
    from . import classes
    if cls.__class__ is not classes.UserClass or cls.fields is None:
        raise GradvizError("@dataclass decorates a class here", kind=TYPE, hint=_HINT)
    names, defaults, closure = [], [], {_MISSING: _NOTHING}
    for name in cls.fields:
        value = cls.attrs.get(name, _NOTHING)
        if value.__class__ is Field:
            if value.default_factory is not _NOTHING:
                # (the parameter's default says "not given": __init__ calls the factory)
                closure[_FACTORY.format(name)] = value.default_factory
                del cls.attrs[name]
                defaults.append(_NOTHING)
                names.append(name)
                continue
            value = value.default
            if value is _NOTHING:
                del cls.attrs[name]
            else:
                cls.attrs[name] = value        # (Python's class attribute is the default)
        if value.__class__ in (list, dict, set):
            raise GradvizError(f"mutable default {rt.repr_of(_type(rt, value))} for field "
                               f"{name} is not allowed: use default_factory", kind=VALUE,
                               hint=f"{name}: {type(value).__name__} = "
                                    f"field(default_factory={type(value).__name__})")
        if value is _NOTHING and defaults:
            raise GradvizError(f"non-default argument '{name}' follows default argument",
                               kind=TYPE, hint="give the fields with defaults last")
        if value is not _NOTHING:
            defaults.append(value)
        names.append(name)
    cls.frozen = "frozen" in made
    if "__match_args__" not in cls.attrs:       # (case Point(x, y): matches its fields)
        cls.attrs["__match_args__"] = tuple(names)
    if cls.frozen:
        closure[_SET] = _function("__setattr__", _object_setattr)
    own = set(cls.attrs)
    for method, source in _methods(cls.name, names, closure, _wanted(cls, made)).items():
        if method in own:
            continue
        fn = rt.method_of_source(source, cls, tuple(defaults) if method == "__init__" else (),
                                 closure)
        cls.attrs[method] = fn
    return cls


def _wanted(cls, made: frozenset) -> list:
    """The methods to make, by name (Python's table for __hash__: made with
    unsafe_hash, or with eq and frozen where the class has none of its
    own; the class's own order methods or unsafe_hash's __hash__ refused)."""
    wanted = [f"__{kind}__" for kind in ("init", "repr", "eq") if kind in made]
    clashes = []
    if "order" in made:
        wanted += _ORDER
        clashes += _ORDER
    if "unsafe_hash" in made:
        wanted.append("__hash__")
        clashes.append("__hash__")
    elif "eq" in made and "frozen" in made:
        wanted.append("__hash__")
    for name in clashes:
        if name in cls.attrs:
            raise GradvizError(f"Cannot overwrite attribute {name} in class {cls.name}"
                               + (". Consider using functools.total_ordering"
                                  if name in _ORDER else ""), kind=TYPE,
                               hint="leave the option out, or the class's own method")
    return wanted


def _object_setattr(rt, obj, name, value):
    from .classes import set_attribute
    set_attribute(rt, obj, name, value, frozen_too=True)


def _methods(name: str, fields: list, closure: dict, wanted: list) -> dict:
    """The source of the methods named in wanted (__init__, __repr__,
    __eq__, __lt__ ..., __hash__), by name; a frozen class's __init__ sets
    its fields with object.__setattr__, as Python's does."""
    values = [f"{_FACTORY.format(f)}() if {f} is {_MISSING} else {f}"
              if _FACTORY.format(f) in closure else f for f in fields]
    init = [f"    {_SET}(self, '{f}', {v})" if _SET in closure else f"    self.{f} = {v}"
            for f, v in zip(fields, values)]
    shown = ", ".join(f"{f}={{self.{f}!r}}" for f in fields)
    mine = ", ".join(f"self.{f}" for f in fields) + ("," if len(fields) == 1 else "")
    theirs = mine.replace("self.", "other.")
    source = {"__init__": f"def __init__({', '.join(['self', *fields])}):\n"
                          + "\n".join(init or ["    pass"]) + "\n",
              "__repr__": f"def __repr__(self):\n    return f\"{name}({shown})\"\n",
              "__eq__": f"def __eq__(self, other):\n    return type(other) is type(self) and "
                        f"({mine}) == ({theirs})\n",
              "__hash__": f"def __hash__(self):\n    return hash(({mine}))\n"}
    for method, sym in zip(_ORDER, ("<", "<=", ">", ">=")):
        source[method] = (f"def {method}(self, other):\n    if type(other) is type(self):\n"
                          f"        return ({mine}) {sym} ({theirs})\n    return NotImplemented\n")
    return {method: source[method] for method in wanted}


def _type(rt, v):
    from .functions import f_type
    return f_type(rt, v)


def _function(name: str, impl):
    from .interpreter import Function
    return Function(name, impl)


def members(function) -> dict:
    from .exceptions import PyType
    return {"dataclass": function("dataclass", _dataclass), "field": function("field", _field),
            "FrozenInstanceError": PyType("FrozenInstanceError")}
