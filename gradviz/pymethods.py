"""Python's own methods of strings, lists and dicts that programs call
(' '.join(names), name.upper(), losses.extend(...), xs.pop(), params.items(),
d.get('x', 0)): Python runs them on the program's plain values, within the
size limits, and says what Python says when they fail. (list.append and
str.format live with the interpreter and functions.)

A dict is Python's own dict, and its keys(), values() and items() Python's
views of it. What the program puts in one goes through dict_put: a key Python
could not hash is its TypeError, and each new key counts against the run's
budget of list items (a loop filling a dict stops there)."""
from __future__ import annotations

import numpy as np

from .errors import INDEX, KEY, RUNTIME, TYPE, VALUE, GradvizError, did_you_mean
from .fstrings import _type_name
from .render.torchfmt import DICTS, DICT_VIEWS, NumpyArray
from .pycollections import SPECIAL_DICTS
from .tensor import Tensor

# str methods whose arguments are strings and ints only, and whose result is
# plain (a string, a number, a bool or a list of strings)
STR_METHODS = frozenset((
    "upper", "lower", "title", "capitalize", "swapcase", "casefold", "strip", "lstrip",
    "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "find", "rfind",
    "index", "rindex", "count", "replace", "center", "ljust", "rjust", "zfill", "join",
    "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric",
    "removeprefix", "removesuffix", "partition", "rpartition"))
# those that can make a long string from short arguments (the size check)
_GROWING = frozenset(("replace", "center", "ljust", "rjust", "zfill", "join"))

LIST_METHODS = frozenset(("extend", "insert", "pop", "index", "count", "remove", "reverse",
                          "clear", "copy", "sort"))
# a tuple's (and so a torch.Size's) methods: those of a list that do not change it
TUPLE_METHODS = frozenset(("index", "count"))


def size_numel(rt, shape) -> int:
    """torch.Size.numel(): the number of elements of a tensor of that shape
    (1 for torch.Size([]), a 0-d tensor's)."""
    n = 1
    for d in shape:
        n *= d
    return n


def str_method(name: str):
    method = getattr(str, name)

    def call(rt, text: str, *args, **kwargs):
        if name == "join":
            if len(args) != 1:
                raise GradvizError(f"str.join() takes exactly one argument ({len(args)} given)",
                                   kind=TYPE)
            # (an iterator of the program's, as a generator, is one with a __next__)
            items = list(args[0]) if isinstance(args[0], (list, tuple, dict, str)) or \
                args[0].__class__ in DICT_VIEWS or hasattr(args[0], "__next__") else None
            if items is None:
                raise GradvizError("can only join an iterable", kind=TYPE,
                                   hint="join a list of strings: ' '.join(['a', 'b'])")
            for k, item in enumerate(items):
                if item.__class__ is not str:
                    raise GradvizError(f"sequence item {k}: expected str instance, "
                                       f"{_type_name(item)} found", kind=TYPE,
                                       hint="make each item a string first: "
                                            "' '.join(str(v) for v in values)")
            if name in _GROWING:
                rt._check_string_size(sum(map(len, items)) + len(text) * len(items))
            return text.join(items)
        for a in (*args, *kwargs.values()):
            if not (a is None or a.__class__ in (str, int, bool) or _prefixes(name, a)):
                raise GradvizError(f"{name}() argument must be str or int, not "
                                   f"{_type_name(a)}", kind=TYPE)
        if name in _GROWING:
            width = max([a for a in args if a.__class__ is int] + [0])
            longest = len(text) * (1 + max((len(a) for a in args if a.__class__ is str),
                                           default=0))
            rt._check_string_size(max(width, longest))
        try:
            return method(text, *args, **kwargs)      # (s.split(maxsplit=1))
        except (TypeError, ValueError) as exc:
            raise GradvizError(str(exc), kind=type(exc).__name__) from None
    call.__name__ = name
    return call


def unbound_method(owner: type, name: str, method):
    """owner.NAME (str.lower, list.append, dict.get): the method ``method``
    (its bound form, called with the receiver first) called with the
    receiver as its first argument: str.lower(s) is s.lower(). It prints as
    Python's method descriptor does (<method 'lower' of 'str' objects>):
    ``method_of`` names its class."""
    kind = owner.__name__

    def call(rt, *args, **kwargs):
        if not args:
            raise GradvizError(f"unbound method {kind}.{name}() needs an argument", kind=TYPE,
                               hint=f"{kind}.{name}(v) is v.{name}(): give the {kind} first")
        if not isinstance(args[0], owner):
            raise GradvizError(f"descriptor '{name}' for '{kind}' objects doesn't apply to a "
                               f"'{_type_name(args[0])}' object", kind=TYPE,
                               hint=f"{kind}.{name}(v) takes a {kind}")
        return method(rt, *args, **kwargs)
    call.__name__ = name
    call.method_of = kind
    return call


def _prefixes(name: str, v) -> bool:
    """Whether v is the tuple of strings s.startswith(v) or s.endswith(v) tries
    one by one (one of another type: Python's own TypeError)."""
    return name in ("startswith", "endswith") and v.__class__ is tuple


def list_method(name: str):
    def call(rt, items: list, *args, **kwargs):
        if kwargs and name != "sort":
            raise GradvizError(f"list.{name}() takes no keyword arguments", kind=TYPE)
        match name:
            case "extend":
                (more,) = _args(name, args, 1)
                if not (isinstance(more, (list, tuple, range, str, dict))
                        or more.__class__ in DICT_VIEWS):
                    raise GradvizError(f"'{_type_name(more)}' object is not iterable",
                                       kind=TYPE, hint="extend with a list: xs.extend([a, b])")
                rt.tape.check_size(len(items) + len(more), "list")
                rt.tape.count_items(len(more))
                for v in more:
                    items.append(v)
                    rt._mark_value_held(v)
                return None
            case "insert":
                at, value = _args(name, args, 2)
                rt.tape.check_size(len(items) + 1, "list")
                items.insert(_int(at), value)
                rt._mark_value_held(value)
                return None
            case "pop":
                if not items:
                    raise GradvizError("pop from empty list", kind=INDEX)
                at = _int(args[0]) if args else -1
                if not -len(items) <= at < len(items):
                    raise GradvizError("pop index out of range", kind=INDEX)
                return items.pop(at)
            case "index" | "count" | "remove":
                (value,) = _args(name, args, 1)
                if name == "count":
                    return sum(1 for v in items if _same(rt, v, value))
                # (the first match ends the search, as in Python)
                at = next((k for k, v in enumerate(items) if _same(rt, v, value)), None)
                if at is None:
                    what = "tuple" if isinstance(items, tuple) else "list"
                    # (Python 3.11's list.index names the value; the others do not)
                    message = f"{rt.repr_of(value)} is not in list" \
                        if (what, name) == ("list", "index") else f"{what}.{name}(x): x not in {what}"
                    raise GradvizError(message, kind=VALUE,
                                       hint="ask `x in xs` first, which is False here")
                if name == "index":
                    return at
                del items[at]
                return None
            case "reverse":
                items.reverse()
                return None
            case "clear":
                items.clear()
                return None
            case "copy":
                return list(items)
            case "sort":
                if args:
                    raise GradvizError("sort() takes no positional arguments", kind=TYPE,
                                       hint="name them: xs.sort(key=len, reverse=True)")
                for k in set(kwargs) - {"key", "reverse"}:
                    raise GradvizError(f"'{k}' is an invalid keyword argument for sort()",
                                       kind=TYPE, hint="sort() takes key= and reverse=")
                from .functions import f_sorted    # (it imports this module)
                items[:] = f_sorted(rt, items, key=kwargs.get("key"),
                                    reverse=kwargs.get("reverse", False))
                return None
    call.__name__ = name
    return call


def _args(name: str, args: tuple, n: int) -> tuple:
    if len(args) != n:
        raise GradvizError(f"list.{name}() takes exactly {n} argument{'s' if n > 1 else ''} "
                           f"({len(args)} given)", kind=TYPE)
    return args


def _int(v) -> int:
    """An index as Python takes it: an int, a bool, or what has __index__
    (a one-element integer tensor)."""
    if v.__class__ is bool:
        return int(v)
    if v.__class__.__name__ == "Tensor":
        from .functions import index_of_tensor
        return index_of_tensor(v)
    if v.__class__ is not int:
        raise GradvizError(f"'{_type_name(v)}' object cannot be interpreted as an integer",
                           kind=TYPE)
    return v


def _same(rt, v, value) -> bool:
    """list.index/count/remove's test: identity, or Python's == (a tensor's
    truth is that of its one value, as in Python)."""
    if v is value:
        return True
    if v.__class__.__name__ == "Tensor" or value.__class__.__name__ == "Tensor":
        return rt.truth(rt.binary("==", v, value))
    return v == value


# ---- dicts ---------------------------------------------------------------

# each method's positional arguments: (at least, at most); only update (and
# dict() itself) take keyword arguments
_DICT_ARGS = {"keys": (0, 0), "values": (0, 0), "items": (0, 0), "get": (1, 2),
              "pop": (1, 2), "popitem": (0, 0), "setdefault": (1, 2), "update": (0, 1),
              "clear": (0, 0), "copy": (0, 0), "dict": (0, 1)}
DICT_METHODS = frozenset(_DICT_ARGS) - {"dict"}
# how each is called, for the hint of a wrong call
_DICT_CALLS = {"get": "d.get(key) or d.get(key, default)", "pop": "d.pop(key) or "
               "d.pop(key, default)", "setdefault": "d.setdefault(key, default)",
               "update": "d.update(other) or d.update(lr=0.1)", "dict": "dict(), dict(other), "
               "dict(pairs) or dict(lr=0.1)"}
_PAIRS_HINT = ("give a dict, or (key, value) pairs: dict([('w', w), ('b', b)]), "
               "dict(zip(names, values))")
_MISSING = object()


def dict_method(name: str):
    def call(rt, d: dict, *args, **kwargs):
        check_dict_args(name, args, kwargs)
        match name:
            case "keys":
                return d.keys()
            case "values":
                return d.values()
            case "items":
                return d.items()
            case "get":
                return d.get(hashable(args[0]), args[1] if len(args) > 1 else None)
            case "pop":
                value = d.pop(hashable(args[0]), _MISSING)
                if value is not _MISSING:
                    return value
                if len(args) > 1:
                    return args[1]
                raise key_error(rt, d, args[0])
            case "popitem":
                if not d:
                    raise GradvizError("'popitem(): dictionary is empty'", kind=KEY,
                                       hint="check first: if d: k, v = d.popitem()")
                return d.popitem()
            case "setdefault":
                key = hashable(args[0])
                if key not in d:
                    dict_put(rt, d, key, args[1] if len(args) > 1 else None)
                return d[key]
            case "update":
                dict_update(rt, d, args, kwargs)
                return None
            case "clear":
                d.clear()
                return None
            case "copy":
                return dict_update(rt, {}, (d,), {})
    call.__name__ = name
    return call


def dict_fromkeys(rt, iterable, value=None) -> dict:
    """dict.fromkeys(keys, value=None): each key once, in order, all given
    the same value (the same object: a list value is shared)."""
    from .functions import _walkable
    d = {}
    for key in _walkable(rt, iterable, "fromkeys"):
        dict_put(rt, d, key, value)
    return d


def check_dict_args(name: str, args: tuple, kwargs: dict) -> None:
    """Python's TypeError for a dict method (or dict()) given arguments it
    does not take."""
    hint = "write " + _DICT_CALLS.get(name, f"d.{name}()")
    if kwargs and name not in ("update", "dict"):
        raise GradvizError(f"dict.{name}() takes no keyword arguments", kind=TYPE, hint=hint)
    low, high = _DICT_ARGS[name]
    if not high and args:
        raise GradvizError(f"dict.{name}() takes no arguments ({len(args)} given)", kind=TYPE,
                           hint=hint)
    if not low <= len(args) <= high:
        bound, n = ("least", low) if len(args) < low else ("most", high)
        raise GradvizError(f"{name} expected at {bound} {n} argument{'s' if n > 1 else ''}, "
                           f"got {len(args)}", kind=TYPE, hint=hint)


def hashable(key, hint: str | None = None):
    """key, when Python can make it a dict's key or a set's element (a
    tensor is one, by identity, as in PyTorch); else Python's TypeError."""
    hint = hint or _KEY_HINT
    if key.__class__ is NumpyArray:
        if isinstance(key.array, np.generic):
            # a numpy scalar is the key of its Python number (equal, same hash)
            return key.array.item()
        raise GradvizError("unhashable type: 'numpy.ndarray'", kind=TYPE, hint=hint)
    _check_object_hashable(key, hint)
    try:
        hash(key)
    except TypeError as exc:
        raise GradvizError(str(exc), kind=TYPE, hint=hint) from None
    return key


def _check_object_hashable(v, hint: str) -> None:
    """Python's TypeError for the program's object whose class makes it
    unhashable (its __eq__ without a __hash__), also inside a tuple."""
    if v.__class__ is tuple:
        for part in v:
            _check_object_hashable(part, hint)
    elif v.__class__.__name__ == "Instance":
        from .classes import unhashable     # (which imports this module)
        if unhashable(v):
            raise GradvizError(f"unhashable type: '{v.cls.name}'", kind=TYPE,
                               hint="give the class a __hash__ (its __eq__ alone makes it "
                                    "unhashable), or key by one of its fields")


_KEY_HINT = ("a dict's key is a string, a number, a tensor or a tuple of those; a list "
             "cannot be one (a tuple can: tuple(xs))")


def dict_put(rt, d: dict, key, value) -> None:
    """d[key] = value: a new key within the limits."""
    if hashable(key) not in d:
        rt.tape.check_size(len(d) + 1, "dict")
        rt.tape.count_items(1)
    d[key] = value
    rt._mark_value_held(value)
    if key.__class__ is Tensor:          # (a key is a holder too: see Interpreter._rebind)
        rt._mark_value_held(key)


def dict_update(rt, d: dict, args: tuple, kwargs: dict) -> dict:
    """d.update(*args, **kwargs), and dict(*args, **kwargs) into a new d:
    from a dict, or from (key, value) pairs, then the keyword arguments."""
    if args:
        source = args[0]
        pairs = source.items() if source.__class__ in DICTS else _pairs(rt, source)
        for key, value in pairs:
            dict_put(rt, d, key, value)
    for key, value in kwargs.items():
        dict_put(rt, d, key, value)
    return d


def _pairs(rt, source):
    """The (key, value) pairs of an iterable, as dict() and update() take them."""
    try:
        items = rt._items(source, rt.span)
    except GradvizError as exc:
        exc.hint = _PAIRS_HINT
        raise
    for n, item in enumerate(items):
        if not isinstance(item, (list, tuple, str)):
            raise GradvizError(f"cannot convert dictionary update sequence element #{n} to a "
                               "sequence", kind=TYPE, hint=_PAIRS_HINT)
        if len(item) != 2:
            raise GradvizError(f"dictionary update sequence element #{n} has length "
                               f"{len(item)}; 2 is required", kind=VALUE, hint=_PAIRS_HINT)
        yield item[0], item[1]


def dict_item(rt, d: dict, key):
    """d[key], or Python's KeyError."""
    value = d.get(hashable(key), _MISSING)
    if value is _MISSING and d.__class__ in SPECIAL_DICTS:   # a defaultdict's factory()
        value = d.missing(rt, key)
        value = _MISSING if value is None else value
    if value is _MISSING:
        raise key_error(rt, d, key)
    return value


def key_error(rt, d: dict, key) -> GradvizError:
    """Python's KeyError for a key d does not have (its message the key's
    repr), with the keys it has as the hint."""
    shown = [rt.repr_of(k) for k, _ in zip(d, range(8))]
    more = ", ..." if len(d) > len(shown) else ""
    hints = [f"the dict's keys are {', '.join(shown)}{more}" if shown else "the dict is empty",
             "d.get(key, default) reads a key that may be missing"]
    first = ""
    if key.__class__ is str:
        close = did_you_mean(key, [k for k in d if k.__class__ is str])
        first = f"{close} " if close else ""
    elif key.__class__.__name__ == "Tensor":
        hints.insert(0, "a tensor is a key as that very tensor (by identity), not by its "
                        "values, as in PyTorch")
    error = GradvizError(rt.repr_of(key), kind=KEY, hint=first + "; ".join(hints))
    error.exc_args = (key,)        # (e.args is the key itself)
    return error


def dict_equal(rt, a: dict, b: dict) -> bool:
    """a == b for two dicts: the same keys, and equal values (a tensor's ==
    by its truth, as Python takes it)."""
    if len(a) != len(b):
        return False
    for key, value in a.items():
        other = b.get(key, _MISSING)
        if other is _MISSING or not _same(rt, value, other):
            return False
    return True


class DictWalk:
    """A walk over a dict or one of its views (a for loop's, list()'s):
    Python's own iterator, whose RuntimeError when the dict changes size
    under it ("dictionary changed size during iteration") is the program's."""

    __slots__ = ("_items",)

    def __init__(self, items):
        self._items = iter(items)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._items)
        except RuntimeError as exc:
            raise GradvizError(str(exc), kind=RUNTIME,
                               hint="walk a copy when the loop adds or deletes keys: "
                                    "for k in list(d):") from None


# ---- sets ----------------------------------------------------------------

# a set is Python's own set (a frozenset Python's frozenset): its order is
# Python's hash order, and a tensor is an element by identity, as in PyTorch
SETS = (set, frozenset)
# each method's number of positional arguments: (at least, at most; None: any)
_SET_ARGS = {"add": (1, 1), "remove": (1, 1), "discard": (1, 1), "pop": (0, 0),
             "clear": (0, 0), "copy": (0, 0), "update": (0, None), "union": (0, None),
             "intersection": (0, None), "difference": (0, None),
             "symmetric_difference": (1, 1), "issubset": (1, 1), "issuperset": (1, 1),
             "isdisjoint": (1, 1)}
SET_METHODS = frozenset(_SET_ARGS)
# those a frozenset has too (the others change the set)
FROZENSET_METHODS = frozenset(("copy", "union", "intersection", "difference",
                               "symmetric_difference", "issubset", "issuperset", "isdisjoint"))
_SET_HINT = ("a set's element is a number, a string, a tensor, a grad_fn or a tuple of "
             "those; a list cannot be one (a tuple can: tuple(xs))")


def set_method(name: str):
    def call(rt, s, *args, **kwargs):
        kind = s.__class__.__name__
        if kwargs:
            raise GradvizError(f"{kind}.{name}() takes no keyword arguments", kind=TYPE)
        low, high = _SET_ARGS[name]
        if high == 0 and args:
            raise GradvizError(f"{kind}.{name}() takes no arguments ({len(args)} given)",
                               kind=TYPE, hint=f"write s.{name}()")
        if low == high == 1 and len(args) != 1:
            raise GradvizError(f"{kind}.{name}() takes exactly one argument "
                               f"({len(args)} given)", kind=TYPE, hint=f"write s.{name}(x)")
        match name:
            case "add":
                set_add(rt, s, args[0])
                return None
            case "remove":
                key = set_key(args[0])
                if key not in s:
                    raise GradvizError(rt.repr_of(args[0]), kind=KEY,
                                       hint="s.discard(x) removes x only if it is there")
                s.remove(key)
                return None
            case "discard":
                s.discard(set_key(args[0]))
                return None
            case "pop":
                if not s:
                    raise GradvizError("'pop from an empty set'", kind=KEY,
                                       hint="check first: if s: x = s.pop()")
                return s.pop()
            case "clear":
                s.clear()
                return None
            case "copy":
                return s.copy()
            case "update":
                for other in args:
                    _merge(rt, s, _set_items(rt, other))
                return None
            case "isdisjoint":
                other = _set_items(rt, args[0])
                return s.isdisjoint(other)
        others = [_set_items(rt, other) for other in args]
        out = getattr(s, name)(*others)
        if out.__class__ is bool:                    # issubset, issuperset
            return out
        rt.tape.check_size(len(out), "set")
        rt.tape.count_items(len(out))
        return out
    call.__name__ = name
    return call


def set_key(v):
    """v as a set looks it up: hashable, and a set as the frozenset of its
    elements (Python's `{1} in {frozenset({1})}` holds)."""
    return frozenset(v) if v.__class__ is set else _hashed(v)


def _hashed(v):
    """v, when Python can make it a set's element; else Python's TypeError."""
    return hashable(v, _SET_HINT)


def set_add(rt, s: set, v) -> None:
    """s.add(v): a new element within the limits."""
    if _hashed(v) not in s:
        rt.tape.check_size(len(s) + 1, "set")
        rt.tape.count_items(1)
        s.add(v)
        rt._mark_value_held(v)


def make_set(rt, kind, items) -> set | frozenset:
    """set(items) or frozenset(items): each element once."""
    out: set = set()
    if items.__class__ in _PLAIN_ITERABLES:
        _merge(rt, out, items)
    else:
        for v in items:                 # (an iterator: as long as the limits allow)
            set_add(rt, out, v)
    return out if kind is set else frozenset(out)


# Python's own iterables, which a set takes in one go: Python sizes the set
# for a dict or a set at once, and the order of its elements shows that
_PLAIN_ITERABLES = (list, tuple, range, str, dict, set, frozenset)


def _merge(rt, s: set, items) -> None:
    """s.update(items), items one of _PLAIN_ITERABLES, as Python merges them."""
    rt.tape.check_size(len(s) + len(items), "set")
    for v in items:
        _hashed(v)
    before = len(s)
    s.update(items)
    rt.tape.count_items(len(s) - before)
    for v in items:
        rt._mark_value_held(v)


def _set_items(rt, other):
    """The elements of a set method's argument: any iterable, as Python's
    (Python's own containers as they are)."""
    if other.__class__ in _PLAIN_ITERABLES:
        if other.__class__ not in SETS:
            for v in other:
                _hashed(v)
        return other
    from .functions import _walkable
    items = list(_walkable(rt, other, "set"))
    rt.tape.check_size(len(items), "set")
    for v in items:
        _hashed(v)
    return items


class SetWalk(DictWalk):
    """A walk over a set: Python's own iterator, whose RuntimeError when the
    set changes size under it is the program's."""

    __slots__ = ()

    def __next__(self):
        try:
            return next(self._items)
        except RuntimeError as exc:
            raise GradvizError(str(exc), kind=RUNTIME,
                               hint="walk a copy when the loop adds or removes elements: "
                                    "for x in list(s):") from None


SetWalk.__name__ = "set_iterator"     # Python's name for its type, which type() shows



# a Python number's attributes, and its methods that take no argument, as
# Python's (1e5.real, (2.5).is_integer(), (255).bit_length()): read from the
# number itself; a name its type lacks stays Python's AttributeError
NUMBER_ATTRIBUTES = frozenset(("real", "imag", "numerator", "denominator"))
NUMBER_METHODS = frozenset(("conjugate", "is_integer", "hex", "as_integer_ratio",
                            "bit_length", "bit_count"))


def number_attribute(obj, attr: str, bound, not_found):
    """obj.attr of an int, float or bool (not_found where Python has none);
    bound makes a method of obj."""
    if attr in NUMBER_ATTRIBUTES and hasattr(obj, attr):
        return getattr(obj, attr)
    if attr in NUMBER_METHODS and hasattr(obj, attr):
        return bound(attr, _NUMBER_METHODS[attr], obj)
    return not_found


def _number_method(name: str):
    """A number's method of NUMBER_METHODS, run by Python, with its errors
    ((1.5).hex(1): "float.hex() takes no arguments (1 given)";
    float('inf').as_integer_ratio(): its OverflowError)."""
    def call(rt, obj, *args, **kwargs):
        try:
            return getattr(obj, name)(*args, **kwargs)
        except (TypeError, ValueError, OverflowError) as exc:
            raise GradvizError(str(exc), kind=type(exc).__name__,
                               hint=f"{type(obj).__name__}.{name}() takes no arguments") from None
    return call


_NUMBER_METHODS = {name: _number_method(name) for name in NUMBER_METHODS}
