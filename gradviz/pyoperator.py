"""Python's operator module: the operators as functions, for reduce() and
sorted()'s key (functools.reduce(operator.mul, x.shape), sorted(pairs,
key=operator.itemgetter(1))). Each runs the program's own operator (rt.binary,
rt.item_of), so a tensor's operator records its op as `a * b` does."""
from __future__ import annotations

from .errors import TYPE, GradvizError

# operator's function -> the operator it is
BINARY = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
          "pow": "**", "matmul": "@", "eq": "==", "ne": "!=", "lt": "<", "le": "<=",
          "gt": ">", "ge": ">=", "is_": "is", "is_not": "is not", "contains": "in"}


def _binary(name: str, sym: str):
    def call(rt, a, b):
        if sym == "in":              # contains(a, b) is b in a
            return rt.binary(sym, b, a)
        return rt.binary(sym, a, b)
    call.__name__ = name
    return call


def _getter(name: str, fetch, function):
    """itemgetter(*items) / attrgetter(*names): a function of one object, as
    operator's (a tuple when given several)."""
    def make(rt, *keys):
        if not keys:
            raise GradvizError(f"{name} expected 1 argument, got 0", kind=TYPE,
                               hint=f"operator.{name}(1) reads obj[1]"
                               if name == "itemgetter" else f"operator.{name}('weight')")

        def get(rt, obj):
            got = tuple(fetch(rt, obj, k) for k in keys)
            return got[0] if len(keys) == 1 else got
        return function(name, get)
    return make


def members(function) -> dict:
    out = {name: function(name, _binary(name, sym)) for name, sym in BINARY.items()}
    out["itemgetter"] = function("itemgetter", _getter(
        "itemgetter", lambda rt, obj, k: rt.item_of(obj, [k]), function))
    out["attrgetter"] = function("attrgetter", _getter(
        "attrgetter", lambda rt, obj, k: rt.attribute_of(obj, k), function))
    return out
