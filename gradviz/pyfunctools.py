"""Python's functools module: reduce (reduce(operator.mul, x.shape, 1)),
partial (partial(nn.LayerNorm, eps=1e-6), a training step with its model
bound), and the decorators lru_cache / cache (a function caching its results
by its arguments) and wraps."""
from __future__ import annotations

from collections import OrderedDict

from .errors import TYPE, GradvizError
from .functions import f_callable
from .pymethods import hashable

_UNSET = object()


def _function(name: str, impl):
    """A callable value of the program's (as the interpreter's builtins are)."""
    from .interpreter import Function
    return Function(name, impl)


def _reduce(rt, function, iterable, initial=_UNSET):
    items = iter(rt._items(iterable, rt.span)) if iterable.__class__ is not str else iter(iterable)
    value = initial
    if value is _UNSET:
        value = next(items, _UNSET)
        if value is _UNSET:
            raise GradvizError("reduce() of empty iterable with no initial value", kind=TYPE,
                               hint="give the start value: reduce(f, xs, 0)")
    for item in items:
        value = rt.invoke(function, [value, item], None)
    return value


def _partial(rt, *args, **kwargs):
    if not args:
        raise GradvizError("type 'partial' takes at least one argument", kind=TYPE,
                           hint="partial(f, a, k=1) is f with a and k=1 given first")
    fn, bound = args[0], args[1:]
    if not f_callable(rt, fn):
        raise GradvizError("the first argument must be callable", kind=TYPE,
                           hint="partial(f, a, k=1) is f with a and k=1 given first")

    def call(rt, *more, **more_kwargs):
        return rt.invoke(fn, [*bound, *more], {**kwargs, **more_kwargs} or None)
    return _function("partial", call)


def _lru_cache(rt, maxsize=128, typed=False):
    """@lru_cache, @lru_cache() and @lru_cache(maxsize=None): the function
    caching its results by its arguments, as Python's does (a second call
    with equal arguments runs nothing; an argument Python cannot hash is its
    TypeError)."""
    if maxsize is not None and not isinstance(maxsize, int):
        if f_callable(rt, maxsize) and isinstance(typed, bool):
            return _cached(maxsize, 128, False)       # @lru_cache without parentheses
        raise GradvizError("Expected first argument to be an integer, a callable, or None",
                           kind=TYPE, hint="@lru_cache(maxsize=128), @lru_cache(maxsize=None) "
                                           "or a bare @lru_cache")
    return _function("decorating_function", lambda rt, fn: _cached(fn, maxsize, typed))


def _cache(rt, fn):
    return _cached(fn, None, False)


# (between the positional and the keyword arguments in a cache key, as in Python's)
_KWD_MARK = object()
# (first in a key of several parts: Python's is a list, never equal to a lone argument)
_SEQUENCE = object()


def _cache_key(args: tuple, kwargs: dict, typed: bool):
    """Python's lru_cache key of a call: a lone int or str argument is its own
    key (so f(2.0) after f(2) is another call, as in Python), else the
    arguments, the keywords after a mark, and with typed their types."""
    if not kwargs and not typed and len(args) == 1 and type(args[0]) in (int, str):
        return args[0]
    key = (_SEQUENCE, *args, _KWD_MARK, *kwargs.items()) if kwargs else (_SEQUENCE, *args)
    if typed:
        key = (*key, *(type(v) for v in args), *(type(v) for v in kwargs.values()))
    return key


def _cached(fn, maxsize, typed: bool):
    """fn with Python's lru_cache in front: results by the key of the call's
    arguments, the least recently used dropped past maxsize (None: never;
    0 or less: nothing kept). An object's key is the object itself, found
    by its class's own __hash__ and __eq__ when it has them, as in Python."""
    from .interpreter import function_name
    results: OrderedDict = OrderedDict()

    def call(rt, *args, **kwargs):
        key = _cache_key(args, kwargs, typed)
        for part in (*args, *kwargs.values()):
            hashable(part, hint="an lru_cache'd function's arguments are its cache's keys: "
                                "give it numbers, strings, tensors or tuples of those")
        if key in results:
            results.move_to_end(key)
            return results[key]
        value = rt.invoke(fn, list(args), kwargs or None)
        if maxsize is None or maxsize > 0:
            results[key] = value
            if maxsize is not None and len(results) > maxsize:
                results.popitem(last=False)
        return value
    return _function(function_name(fn), call)


def _wraps(rt, wrapped, *args, **kwargs):
    """@wraps(f) on a wrapper: the wrapper itself, named as f (update_wrapper
    copies f's __name__; a program's def shows it in its repr too)."""
    from .interpreter import Function, UserFunction, classes, function_name

    def decorate(rt, fn):
        if fn.__class__ is UserFunction and \
                wrapped.__class__ in (UserFunction, Function, classes.Method):
            fn.wrapped_name = function_name(wrapped)
        return fn
    return _function("decorator", decorate)


def members(function) -> dict:
    return {"reduce": function("reduce", _reduce), "partial": function("partial", _partial),
            "lru_cache": function("lru_cache", _lru_cache), "cache": function("cache", _cache),
            "wraps": function("wraps", _wraps)}
