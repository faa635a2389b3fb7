"""The bare names sum, max, min, abs and pow: torch's for a tensor, Python's
builtins for everything else.

A bare name here is torch's, as after `from torch import *` (the namespace
PyTorch's recorded outputs come from): `max(x)` is torch.max, `sum(x, 1)`
torch.sum. But a script that only did `import torch` calls Python's builtins
by these names, and tutorials do: d2l's `min(i + batch_size, num_examples)`,
`sum(p.numel() for p in net.parameters())`, `sum([random.random() > 0.5 for
...])`. torch's function refuses every such call with a TypeError (its input
must be a tensor), so running Python's builtin there changes no program that
torch's form runs: the first argument decides, a tensor (or input=) goes to
torch, anything else to Python. (pow takes a tensor in either place:
torch.pow(2, x) is 2 ** x.)

Python's forms are Python's to the letter: sum starts from `start` and adds
with the program's `+` (a list of tensors sums to a tensor through
AddBackward0 nodes, as Python's sum does), max/min keep the first of equal
items and compare with the program's `>`/`<` (a 0-d tensor's truth decides),
key= and default= as Python's. Lists of plain numbers go to the host's
builtin itself, so float rounding and NaN handling are Python's own.
"""
from __future__ import annotations

from .errors import GradvizError
from .render.torchfmt import NumpyArray
from .tensor import Tensor

TYPE = "TypeError"
VALUE = "ValueError"
_NUMBERS = (int, float, bool)
_MISSING = object()


def _items(rt, x, name: str) -> list:
    from .functions import _py_sequence
    try:
        return _py_sequence(list)(rt, x)
    except GradvizError as exc:
        if exc.kind == TYPE and "not iterable" in exc.message:
            raise GradvizError(f"'{rt.type_name(x)}' object is not iterable", kind=TYPE,
                               hint=f"{name}() of numbers: {name}(a, b) or {name}([a, b, c])"
                               ) from None
        raise


def _python_sum(rt, *args, **kwargs):
    if len(args) > 2:
        raise GradvizError(f"sum() takes at most 2 arguments ({len(args)} given)", kind=TYPE)
    unknown = set(kwargs) - {"start"}
    if unknown:
        raise GradvizError(f"sum() got an unexpected keyword argument '{sorted(unknown)[0]}'",
                           kind=TYPE, hint="Python's sum(items, start=0)")
    if not args:
        raise GradvizError("sum() takes at least 1 positional argument (0 given)", kind=TYPE)
    if len(args) == 2 and "start" in kwargs:
        raise GradvizError("sum() got multiple values for argument 'start'", kind=TYPE)
    start = args[1] if len(args) == 2 else kwargs.get("start", 0)
    if start.__class__ is str:
        raise GradvizError("sum() can't sum strings [use ''.join(seq) instead]", kind=TYPE,
                           hint="join strings: ''.join(items)")
    items = _items(rt, args[0], "sum")
    if start.__class__ in _NUMBERS and all(v.__class__ in _NUMBERS for v in items):
        return sum(items, start)          # Python's own float rounding
    total = start
    for v in items:
        total = rt.binary("+", total, v)
    return total


def _python_extreme(name: str):
    sym = ">" if name == "max" else "<"
    host = max if name == "max" else min

    def f(rt, *args, key=None, default=_MISSING):
        if not args:
            raise GradvizError(f"{name} expected at least 1 argument, got 0", kind=TYPE,
                               hint=f"{name}(a, b) or {name}(items)")
        if len(args) == 1:
            items = _items(rt, args[0], name)
        elif default is not _MISSING:
            raise GradvizError(f"Cannot specify a default for {name}() with multiple "
                               "positional arguments", kind=TYPE,
                               hint=f"default= goes with one iterable: {name}(items, default=0)")
        else:
            items = list(args)
        if not items:
            if default is not _MISSING:
                return default
            raise GradvizError(f"{name}() arg is an empty sequence", kind=VALUE,
                               hint=f"pass a default: {name}(items, default=0)")
        if key is None and all(v.__class__ in _NUMBERS for v in items):
            return host(items)
        best = items[0]
        best_key = best if key is None else rt.call_value(key, [best])
        for v in items[1:]:
            k = v if key is None else rt.call_value(key, [v])
            # Python's test: the new item on the left (item > best), so ties keep the first
            if rt.truth(rt.binary(sym, k, best_key)):
                best, best_key = v, k
        return best
    f.__name__ = name
    return f


def _python_abs(rt, *args, **kwargs):
    if kwargs:
        raise GradvizError("abs() takes no keyword arguments", kind=TYPE)
    if len(args) != 1:
        raise GradvizError(f"abs() takes exactly one argument ({len(args)} given)", kind=TYPE)
    x = args[0]
    if x.__class__ in _NUMBERS:
        return abs(x)
    if x.__class__ is NumpyArray:
        from .numpy_arrays import unary
        return unary(rt, "abs", x)
    from .classes import call_method, method_of
    if method_of(x, "__abs__") is not None:          # a program's class's own
        return call_method(rt, x, "__abs__", [])
    raise GradvizError(f"bad operand type for abs(): '{rt.type_name(x)}'", kind=TYPE,
                       hint="abs() takes a number or a tensor")


def _python_pow(rt, *args, **kwargs):
    names = ("base", "exp", "mod")
    if len(args) > 3:
        raise GradvizError(f"pow expected at most 3 arguments, got {len(args)}", kind=TYPE)
    values = dict(zip(names, args))
    for k, v in kwargs.items():
        if k not in names:
            raise GradvizError(f"pow() got an unexpected keyword argument '{k}'", kind=TYPE)
        if k in values:
            raise GradvizError(f"argument for pow() given by name ('{k}') and position "
                               f"({names.index(k) + 1})", kind=TYPE)
        values[k] = v
    for k in names[:2]:
        if k not in values:
            raise GradvizError(f"pow() missing required argument '{k}' "
                               f"(pos {names.index(k) + 1})", kind=TYPE)
    base, exp, mod = values["base"], values["exp"], values.get("mod")
    if mod is None:
        return rt.binary("**", base, exp)
    if not all(v.__class__ in (int, bool) for v in (base, exp, mod)):
        raise _ternary_pow_error(rt, base, exp, mod)
    try:
        return pow(base, exp, mod)
    except ValueError as exc:                  # a zero modulus, a non-invertible base
        raise GradvizError(str(exc), kind=VALUE,
                           hint="pow(a, b, m) needs m != 0, and a invertible modulo m when "
                                "b < 0") from None


def _ternary_pow_error(rt, base, exp, mod) -> GradvizError:
    """Python's error for pow(a, b, m) of other than three ints: float's pow,
    tried where any of the three is a float, refuses any modulus first; else
    no type's pow takes them."""
    if float in (base.__class__, exp.__class__, mod.__class__):
        return GradvizError("pow() 3rd argument not allowed unless all arguments are integers",
                            kind=TYPE, hint="pow(a, b, m) is modular: integers only")
    names = ", ".join(f"'{rt.type_name(v)}'" for v in (base, exp, mod))
    return GradvizError(f"unsupported operand type(s) for ** or pow(): {names}", kind=TYPE,
                        hint="pow(a, b, m) is modular: integers only")


_PYTHON = {"sum": _python_sum, "max": _python_extreme("max"), "min": _python_extreme("min"),
           "abs": _python_abs, "pow": _python_pow}


def _is_torch_call(name: str, args: tuple, kwargs: dict) -> bool:
    if name == "pow":
        return any(v.__class__ is Tensor for v in (*args[:2], kwargs.get("input"),
                                                    kwargs.get("exponent")))
    if ("key" in kwargs or "default" in kwargs) and name in ("max", "min") or \
            "start" in kwargs and name == "sum":
        return False                 # (Python's keywords: torch's form takes none of them)
    first = args[0] if args else kwargs.get("input")
    return first.__class__ is Tensor


def bare(name: str, torch_fn):
    """The bare name NAME: torch_fn (torch's) for a tensor, Python's otherwise."""
    python_fn = _PYTHON[name]

    def f(rt, *args, **kwargs):
        chosen = torch_fn if _is_torch_call(name, args, kwargs) else python_fn
        try:
            return chosen(rt, *args, **kwargs)
        except TypeError as exc:
            # an argument mismatch at this call is the program's (as the
            # interpreter takes one at its own call of a function)
            if exc.__traceback__ is not None and exc.__traceback__.tb_next is None:
                from .interpreter import _argument_error
                raise _argument_error(name, exc) from None
            raise
    f.__name__ = name
    return f


NAMES = tuple(_PYTHON)
