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
# __init__ or none); the others are supported at their defaults only
_MADE = ("init", "repr", "eq")


def _dataclass(rt, cls=None, **options):
    """@dataclass, @dataclass() and @dataclass(eq=False, ...): the class with
    its methods (init=, repr= and eq= choose them; the other options are
    supported at their defaults only)."""
    for name, value in options.items():
        if name not in _OPTIONS:
            raise GradvizError(f"dataclass() got an unexpected keyword argument '{name}'",
                               kind=TYPE, hint=_HINT)
        default = name in ("init", "repr", "eq", "match_args")
        if bool(value) != default and name not in _MADE:
            raise GradvizError(f"dataclass({name}={value!r}) is not supported here",
                               kind=TYPE, hint="gradviz's dataclasses have the default "
                                               "options, and init=, repr= and eq=")
    made = frozenset(name for name in _MADE if options.get(name, True))
    if cls is None:
        return _function("dataclass", lambda rt, c: make(rt, c, made))
    return make(rt, cls, made)


def make(rt, cls, made: frozenset = frozenset(_MADE)):
    """The class, given Python's generated __init__, __repr__ and __eq__
    (those of `made`: init, repr, eq), where its block defines none of its
    own, as Python's dataclass leaves a method the class defines."""
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
    for kind, method in _methods(cls.name, names, closure).items():
        if kind not in made or f"__{kind}__" in cls.attrs:
            continue
        fn = rt.method_of_source(method, cls, tuple(defaults) if kind == "init" else (),
                                 closure)
        cls.attrs[fn.defn.name] = fn
    return cls


def _methods(name: str, fields: list, closure: dict) -> dict:
    """The source of the class's __init__, __repr__ and __eq__, by option name."""
    init = [f"    self.{f} = {_FACTORY.format(f)}() if {f} is {_MISSING} else {f}"
            if _FACTORY.format(f) in closure else f"    self.{f} = {f}" for f in fields]
    shown = ", ".join(f"{f}={{self.{f}!r}}" for f in fields)
    mine = ", ".join(f"self.{f}" for f in fields) + ("," if len(fields) == 1 else "")
    theirs = mine.replace("self.", "other.")
    return {"init": f"def __init__({', '.join(['self', *fields])}):\n"
                    + "\n".join(init or ["    pass"]) + "\n",
            "repr": f"def __repr__(self):\n    return f\"{name}({shown})\"\n",
            "eq": f"def __eq__(self, other):\n    return type(other) is type(self) and "
                  f"({mine}) == ({theirs})\n"}


def _type(rt, v):
    from .functions import f_type
    return f_type(rt, v)


def _function(name: str, impl):
    from .interpreter import Function
    return Function(name, impl)


def members(function) -> dict:
    return {"dataclass": function("dataclass", _dataclass), "field": function("field", _field)}
