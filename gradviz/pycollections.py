"""Python's collections module, for programs that import it: OrderedDict
(nn.Sequential(OrderedDict([('fc1', nn.Linear(2, 4)), ...])) names its
modules), defaultdict and Counter (a script tallying labels or grouping
losses by epoch), namedtuple (a batch's fields), deque (a replay buffer,
the last losses: deque(maxlen=10)).

OrderedDict, defaultdict and Counter are dicts of the program's, as Python's
are dicts: the interpreter treats them as it treats a dict (DICTS), and asks
here only for what differs: a missing key (missing), the print (text) and
their own methods. A namedtuple's values are tuples (Python's own
namedtuple classes); a deque is Python's deque. This module imports nothing
of gradviz at its top, so that the printer can name its classes."""
from __future__ import annotations

import collections
from collections import OrderedDict

# the words added to Python's error, by function
HINTS = {
    "defaultdict": "defaultdict(factory) calls factory() for a missing key: "
                   "defaultdict(list), defaultdict(int), defaultdict(lambda: 0.0)",
    "Counter": "Counter(items) counts each item: Counter(['a', 'b', 'a']); "
               "Counter(a=2) or Counter({'a': 2}) gives the counts",
    "OrderedDict": "OrderedDict(pairs) keeps its keys in order: "
                   "OrderedDict([('fc1', nn.Linear(2, 4)), ('act', nn.ReLU())])",
    "move_to_end": "od.move_to_end(key, last=True) moves a key the OrderedDict has",
    "deque": "deque(items, maxlen=None): d.append(x), d.appendleft(x), d.pop(), d.popleft(), "
             "d[0], d[-1]; check `if d:` before popping",
    "namedtuple": "namedtuple('Point', ['x', 'y']) makes a class: Point(1, 2) or "
                  "Point(x=1, y=2), as many values as fields (or defaults=)",
}


class DefaultDict(dict):
    """collections.defaultdict: a dict whose missing keys get factory()."""

    __slots__ = ("default_factory",)

    def missing(self, rt, key):
        from .pymethods import dict_put
        if self.default_factory is None:
            return None           # (the caller raises the KeyError)
        value = rt.call_value(self.default_factory, [])
        dict_put(rt, self, key, value)
        return value

    def text(self, shown) -> str:
        """defaultdict(<class 'list'>, {'a': [1]}), as Python prints it."""
        items = ", ".join(f"{shown(k)}: {shown(v)}" for k, v in self.items())
        return f"defaultdict({shown(self.default_factory)}, {{{items}}})"


class Counter(dict):
    """collections.Counter: a dict of counts; a missing key counts 0 (and is
    not added)."""

    __slots__ = ()

    def missing(self, rt, key):
        return 0

    def text(self, shown) -> str:
        """Counter({'a': 2, 'b': 1}): the most common first, as Python prints it."""
        if not self:
            return "Counter()"
        try:
            pairs = most_common(self)
        except TypeError:       # counts that do not compare: in insertion order, as Python
            pairs = self.items()
        items = ", ".join(f"{shown(k)}: {shown(v)}" for k, v in pairs)
        return f"Counter({{{items}}})"


class Deque(collections.deque):
    """collections.deque: Python's, printed with the program's values."""

    __slots__ = ()

    def text(self, shown) -> str:
        items = ", ".join(shown(v) for v in self)
        return f"deque([{items}])" if self.maxlen is None else \
            f"deque([{items}], maxlen={self.maxlen})"


class NamedTuple:
    """The mark of a namedtuple's class (made by Python's namedtuple)."""

    __slots__ = ()

    def text(self, shown) -> str:
        """Point(x=1, y=2), as Python prints it."""
        fields = ", ".join(f"{f}={shown(v)}" for f, v in zip(self._fields, self))
        return f"{self.__class__.__name__}({fields})"


DefaultDict.__name__ = "defaultdict"
Deque.__name__ = "deque"
# the dicts whose missing keys are not a KeyError
SPECIAL_DICTS = (DefaultDict, Counter)
# the values printed by their own text() (before a tuple is printed as one)
PRINTED = (DefaultDict, Counter, Deque, NamedTuple)


def most_common(c: dict, n=None) -> list:
    """The (item, count) pairs, the largest counts first; equal counts in the
    order first seen (Python's sort is stable)."""
    pairs = sorted(c.items(), key=lambda kv: kv[1], reverse=True)
    return pairs if n is None else pairs[:max(n, 0)]


# ---- the functions a program calls ---------------------------------------------

def _error(message: str, kind: str, name: str):
    from .errors import GradvizError
    return GradvizError(message, kind=kind, hint=HINTS.get(name))


def f_ordered_dict(rt, *args, **kwargs):
    """OrderedDict(), OrderedDict(pairs), OrderedDict(mapping), OrderedDict(a=1)."""
    from .pymethods import dict_update
    if len(args) > 1:
        raise _error(f"expected at most 1 arguments, got {len(args)}", "TypeError",
                     "OrderedDict")
    return dict_update(rt, OrderedDict(), args, kwargs)


def f_defaultdict(rt, *args, **kwargs):
    """defaultdict(factory=None, [mapping or pairs], **kwargs)."""
    from .pymethods import dict_update
    factory = args[0] if args else None
    if factory is not None and not _callable(rt, factory):
        raise _error("first argument must be callable or None", "TypeError", "defaultdict")
    if len(args) > 2:
        raise _error(f"dict expected at most 1 argument, got {len(args) - 1}", "TypeError",
                     "defaultdict")
    d = DefaultDict()
    d.default_factory = factory
    return dict_update(rt, d, args[1:], kwargs)


def f_deque(rt, iterable=(), maxlen=None):
    """deque(iterable=(), maxlen=None)."""
    if maxlen is not None and (isinstance(maxlen, bool) or not isinstance(maxlen, int)):
        raise _error("an integer is required", "TypeError", "deque")
    if maxlen is not None and maxlen < 0:
        raise _error("maxlen must be non-negative", "ValueError", "deque")
    d = Deque(maxlen=maxlen)
    _deque_extend(rt, d, iterable)
    return d


def _walk(rt, iterable, name: str):
    from .fstrings import _type_name
    if iterable.__class__ is str:
        return iter(iterable)
    try:
        return rt._items(iterable, rt.span)
    except Exception as exc:
        if getattr(exc, "kind", None) != "TypeError":
            raise
        raise _error(f"'{_type_name(iterable)}' object is not iterable", "TypeError",
                     name) from None


def _deque_add(rt, d, value, left: bool = False) -> None:
    rt.tape.check_size(len(d) + 1, "list")        # (a loop may append for ever)
    d.appendleft(value) if left else d.append(value)
    rt._mark_value_held(value)


def _deque_extend(rt, d, iterable, left: bool = False) -> None:
    for v in _walk(rt, iterable, "deque"):
        _deque_add(rt, d, v, left)


def _deque_pop(left: bool):
    def call(rt, d):
        if not d:
            raise _error("pop from an empty deque", "IndexError", "deque")
        return d.popleft() if left else d.pop()
    return call


def _deque_rotate(rt, d, n=1):
    if isinstance(n, bool) or not isinstance(n, int):
        raise _error(f"'{type(n).__name__}' object cannot be interpreted as an integer",
                     "TypeError", "deque")
    d.rotate(n)


def deque_item(rt, d, index: list):
    """d[i]: Python's deque indexing (no slices)."""
    i = index[0] if len(index) == 1 else tuple(index)
    if i.__class__.__name__ == "Tensor" and i.data.size == 1 and i.data.dtype.kind in "iu":
        i = int(i.data.item())
    if isinstance(i, bool) or not isinstance(i, int):
        raise _error(f"sequence index must be integer, not '{type(i).__name__}'", "TypeError",
                     "deque")
    if not -len(d) <= i < len(d):
        raise _error("deque index out of range", "IndexError", "deque")
    return d[i]


def f_namedtuple(rt, typename, field_names, *, rename=False, defaults=None, module=None):
    """namedtuple('Point', ['x', 'y']) / ('Point', 'x y'): a class (called
    to make one, Point(1, y=2)) whose values are tuples with named fields."""
    from .errors import GradvizError
    if field_names.__class__ not in (str, list, tuple):
        field_names = list(_walk(rt, field_names, "namedtuple"))
    try:
        base = collections.namedtuple(typename, field_names, rename=bool(rename),
                                      defaults=None if defaults is None else
                                      list(_walk(rt, defaults, "namedtuple")))
    except (TypeError, ValueError) as exc:
        raise GradvizError(str(exc), kind=type(exc).__name__,
                           hint=HINTS["namedtuple"]) from None
    cls = type(typename, (base, NamedTuple), {"__slots__": ()})

    def make(rt, *args, **kwargs):
        try:
            return cls(*args, **kwargs)
        except TypeError as exc:
            raise GradvizError(str(exc), kind="TypeError", hint=HINTS["namedtuple"]) from None
    return _function(typename, make)


def _function(name: str, impl):
    from .interpreter import Function
    return Function(name, impl)


def _callable(rt, v) -> bool:
    from .functions import f_callable
    return f_callable(rt, v)


def f_counter(rt, *args, **kwargs):
    """Counter(), Counter(iterable) (each item counted), Counter(mapping)
    (its counts), Counter(a=2)."""
    if len(args) > 1:
        raise _error(f"expected at most 1 argument, got {len(args)}", "TypeError", "Counter")
    c = Counter()
    counter_update(rt, c, *args, **kwargs)
    return c


def counter_update(rt, c: Counter, /, *args, **kwargs) -> None:
    """c.update(iterable or mapping, **kwargs): counts added, as Python's."""
    _change_counts(rt, c, "update", args, kwargs)


def _counter_subtract(rt, c: Counter, /, *args, **kwargs) -> None:
    """c.subtract(iterable or mapping, **kwargs): counts taken away, as
    Python's (they may go to zero and below, and stay)."""
    _change_counts(rt, c, "subtract", args, kwargs)


def _change_counts(rt, c: Counter, how: str, args: tuple, kwargs: dict) -> None:
    """Counter.update or Counter.subtract (how) of one iterable or mapping
    and keyword counts: each item seen counts one, a mapping's values count
    as they are."""
    from .fstrings import _type_name
    from .render.torchfmt import DICTS
    if len(args) > 1:       # (the count with self, as Python's message has it)
        raise _error(f"Counter.{how}() takes from 1 to 2 positional arguments but "
                     f"{len(args) + 1} were given", "TypeError", "Counter")
    sym = "+" if how == "update" else "-"
    source = args[0] if args else None
    if source is not None and (source.__class__ in DICTS or isinstance(source, dict)):
        if how == "update":
            _add_counts(rt, c, source)
        else:
            _subtract_counts(rt, c, source)
    elif source is not None:
        try:
            items = rt._items(source, rt.span)
        except Exception as exc:
            if getattr(exc, "kind", None) != "TypeError":
                raise
            raise _error(f"'{_type_name(source)}' object is not iterable", "TypeError",
                         "Counter") from None
        for item in items:
            _count(rt, c, item, lambda old: rt.binary(sym, old, 1))
    if kwargs:
        _change_counts(rt, c, how, (kwargs,), {})


def _add_counts(rt, c: Counter, counts: dict) -> None:
    """Python's Counter.update from a mapping: an empty Counter takes the
    values as they are (whatever they are); otherwise each is added before
    the count held (``count + c.get(key, 0)``), so a tuple or a string
    meets ``+`` with an int, as in Python."""
    if not c:
        for key, n in list(counts.items()):
            _count(rt, c, key, lambda old, n=n: n)
        return
    for key, n in list(counts.items()):
        _count(rt, c, key, lambda old, n=n: rt.binary("+", n, old))


def _subtract_counts(rt, c: Counter, counts: dict) -> None:
    """Python's Counter.subtract from a mapping: each count held (0 for a
    missing key) less the mapping's."""
    for key, n in list(counts.items()):
        _count(rt, c, key, lambda old, n=n: rt.binary("-", old, n))


def _count(rt, c: Counter, key, new) -> None:
    """c[key] = new(c.get(key, 0))."""
    from .pymethods import dict_put, hashable
    key = hashable(key)
    dict_put(rt, c, key, new(c.get(key, 0)))


# the values most_common(n) hands to Python's own (gradviz's others are not
# numbers Python's comparisons know)
_PLAIN_VALUES = (int, float, str, list, tuple, range, dict, set, frozenset)


def _most_common(rt, c, n=None):
    """c.most_common(n). An n that is not an int goes where Python's takes
    it (heapq.nlargest: n == 1, then n >= len(c), then a slice), so its
    error is Python's ('>=' not supported between instances of 'list' and
    'int'), or its result (1.0 is 1); a tensor as well (_tensor_n)."""
    if n.__class__.__name__ == "Tensor":
        n = _tensor_n(n)
    if n is not None and not isinstance(n, _PLAIN_VALUES):
        raise _error(f"'{type(n).__name__}' object cannot be interpreted as an integer",
                     "TypeError", "Counter")
    try:
        if n is None or n.__class__ is int:
            return most_common(c, n)
        return collections.Counter(c).most_common(n)
    except TypeError as exc:    # counts that do not compare ('<' of a tuple and an int)
        raise _error(str(exc), "TypeError", "Counter") from None


def _tensor_n(n) -> int:
    """A tensor n of most_common(n) where Python's heapq.nlargest takes it:
    its truth in `n == 1` (a tensor of more elements has none), then as an
    index (an integer tensor of one element is its value)."""
    if n.data.size != 1:
        raise _error("Boolean value of Tensor with more than one value is ambiguous",
                     "RuntimeError", "Counter")
    value = n.data.item()
    if value == 1:
        return 1
    if n.data.dtype.kind not in "iub":
        raise _error("only integer tensors of a single element can be converted to an index",
                     "TypeError", "Counter")
    return int(value)


def _elements(rt, c):
    return iter([k for k, n in c.items() for _ in range(n if isinstance(n, int) else 0)])


def _total(rt, c):
    return sum(c.values())


# Counter's operators (c + d keeps the positive counts, as Python's)
_COUNTER_OPERATORS = {"+": "__add__", "-": "__sub__", "|": "__or__", "&": "__and__"}


def counter_binary(rt, sym: str, a: Counter, b: Counter) -> Counter:
    """a sym b of two Counters, by Python's Counter (the counts are numbers)."""
    try:
        out = getattr(collections.Counter(a), _COUNTER_OPERATORS[sym])(collections.Counter(b))
    except TypeError as exc:
        raise _error(str(exc), "TypeError", "Counter") from None
    return _copied(out, Counter())


def counter_unary(rt, sym: str, c: Counter) -> Counter:
    """+c (the positive counts) or -c (the negative ones, negated), by
    Python's Counter."""
    try:
        out = +collections.Counter(c) if sym == "+" else -collections.Counter(c)
    except TypeError as exc:
        raise _error(str(exc), "TypeError", "Counter") from None
    return _copied(out, Counter())


def _copied(d: dict, into: dict) -> dict:
    """into, holding d's items (d.copy() of one of these dicts is of its kind)."""
    into.update(d)
    return into


def _copy_defaultdict(rt, d):
    new = DefaultDict()
    new.default_factory = d.default_factory
    return _copied(d, new)


def _move_to_end(rt, od, key, last=True):
    from .pymethods import hashable
    if hashable(key) not in od:
        raise _error(rt.repr_of(key), "KeyError", "move_to_end")
    od.move_to_end(key, last=bool(last))


def _popitem(rt, od, last=True):
    if not od:
        raise _error("'dictionary is empty'", "KeyError", "OrderedDict")
    return od.popitem(last=bool(last))


# the methods each adds to a dict's (a program's d.most_common(2))
METHODS = {
    Counter: {"most_common": _most_common, "update": counter_update,
              "subtract": _counter_subtract, "elements": _elements,
              "total": _total, "copy": lambda rt, c: _copied(c, Counter())},
    OrderedDict: {"move_to_end": _move_to_end, "popitem": _popitem,
                  "copy": lambda rt, od: _copied(od, OrderedDict())},
    DefaultDict: {"copy": _copy_defaultdict},
    Deque: {"append": lambda rt, d, v: _deque_add(rt, d, v),
            "appendleft": lambda rt, d, v: _deque_add(rt, d, v, True),
            "extend": lambda rt, d, xs: _deque_extend(rt, d, xs),
            "extendleft": lambda rt, d, xs: _deque_extend(rt, d, xs, True),
            "pop": _deque_pop(False), "popleft": _deque_pop(True),
            "clear": lambda rt, d: d.clear(), "rotate": _deque_rotate,
            "reverse": lambda rt, d: d.reverse(),
            "copy": lambda rt, d: Deque(d, maxlen=d.maxlen)},
}


NOT_FOUND = object()


def attribute(obj, attr: str, bound):
    """obj.attr of one of these dicts beyond a dict's (NOT_FOUND else); bound
    makes a method of obj."""
    if obj.__class__ is DefaultDict and attr == "default_factory":
        return obj.default_factory
    if obj.__class__ is Deque and attr == "maxlen":
        return obj.maxlen
    if isinstance(obj, NamedTuple):
        return _named_attribute(obj, attr, bound)
    method = METHODS.get(obj.__class__, {}).get(attr)
    return NOT_FOUND if method is None else bound(attr, method, obj)


def _named_attribute(obj, attr: str, bound):
    """p.x, p._fields, p._asdict(), p._replace(x=3) of a namedtuple's value."""
    if attr in obj._fields or attr == "_fields":
        return getattr(obj, attr)
    if attr == "_asdict":
        return bound(attr, lambda rt, p: dict(zip(p._fields, p)), obj)
    if attr == "_replace":
        return bound(attr, _replace, obj)
    return NOT_FOUND


def _replace(rt, p, **kwargs):
    try:
        return p._replace(**kwargs)
    except ValueError as exc:
        raise _error(str(exc), "ValueError", "namedtuple") from None


def members(function) -> dict:
    """The module's names, as the interpreter's values (function wraps an
    implementation as a callable the program holds)."""
    return {"OrderedDict": function("OrderedDict", f_ordered_dict),
            "defaultdict": function("defaultdict", f_defaultdict),
            "Counter": function("Counter", f_counter),
            "deque": function("deque", f_deque),
            "namedtuple": function("namedtuple", f_namedtuple)}
