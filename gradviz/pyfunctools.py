"""Python's functools module: reduce (reduce(operator.mul, x.shape, 1)),
partial (partial(nn.LayerNorm, eps=1e-6), a training step with its model
bound), and the decorators lru_cache / cache / wraps, which here call the
function itself (a program's results do not depend on a cache)."""
from __future__ import annotations

from .errors import TYPE, GradvizError
from .functions import f_callable

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
    """@lru_cache, @lru_cache() and @lru_cache(maxsize=None): the function itself."""
    if maxsize is not None and not isinstance(maxsize, int):
        if f_callable(rt, maxsize) and isinstance(typed, bool):
            return maxsize                 # @lru_cache without parentheses
        raise GradvizError("Expected first argument to be an integer, a callable, or None",
                           kind=TYPE, hint="@lru_cache(maxsize=128), @lru_cache(maxsize=None) "
                                           "or a bare @lru_cache")
    return _function("decorating_function", lambda rt, fn: fn)


def _cache(rt, fn):
    return fn


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
