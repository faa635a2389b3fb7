"""The interpreter: walks the statements of a parsed program, evaluates
expressions, calls functions and ops, and keeps the events of the run.

Only FUNCTIONS/METHODS (functions.py) and the attributes below are reachable
from a program: there is no eval, no import, no access to Python objects.
"""
from __future__ import annotations

from collections import ChainMap
import functools
from contextlib import contextmanager
import inspect
import math
import operator
import re
import time
import weakref

import numpy as np

from . import (autodiff, classes, data, distributions, dtypeinfo, exceptions, forward_ad, fstrings, function_kinds,
               functions, jacobians,
               kl, layers, modules, optim, products, pymethods, pyrandom, schedulers,
               syntax)
from .errors import (ATTRIBUTE, IMPORT, INDEX, LIMIT, NAME, RUNTIME, TYPE, VALUE, GradvizError,
                     Span, argument_hint, did_you_mean, python_errors, signature_names)
from .functions import (FUNCTIONS, ITERATORS, METHODS, NN_FUNCTIONAL, PY_BUILTINS, NoGrad,
                        ReturnTypes)
from .pytypes import (LEGACY, LR_SCHEDULER, OPTIMIZER, OPTIMIZER_NAMES, PARAMETER, SIZE, TENSOR, TORCH_TYPES,
                      PyType)
from . import hooks, saved_hooks
from . import machine, pycollections, pyitertools, pymatch, transformer_decoder, typehints
from .gradfns import GradFn, SavedTensor, grad_fn_of, saved_attribute
from .ops import OPS
from . import anomaly, bare_builtins, bool_args, grad_utils, module_hooks, multi_views, rnn_utils
from . import parametrize, weight_hooks
from . import shape_fns  # (torch.linalg.cross)
from . import func_transforms  # (torch.func)
from . import special_fns  # (torch.special)
from . import tensor_queries  # (x.nbytes, x.layout, torch.strided)
from . import memory_formats  # (torch.channels_last, ...)
from . import tensor_compat  # (x.volatile)
from . import inplace_views  # (out= resized as resize_ resizes)
from . import strides  # (writes into views whose elements share memory)
from .unbound_methods import UnboundMethod  # (torch.Tensor.mul)
from .render.torchfmt import (DEFAULT_OPTIONS, DICTS, DICT_VIEWS, Device, DType, NumpyArray, Size,
                              format_tensor, format_value, print_args, repr_value)
from .rng import DEFAULT_GENERATOR
from .tape import Limits, RunOptions, Tape, result_dtype, timeout_error
from .ops.shape import strip_leading_ones
from .tensor import DTYPE_NAMES, REBASED_GRAD_FN, VIEW_OPS, Tensor, grad_dtype, is_view, unsafe_piece
from .versions import owner, short_name

SAVED_HOOKS_CONTEXTS = (saved_hooks.SavedTensorsHooks, saved_hooks.DisableSavedHooks)

# values that hold tensors a program can reach again (see Interpreter.aliased)
_HOLDERS = (list, tuple, ReturnTypes, dict, set, frozenset)
BINARY_OPS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul",
              "==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge",
              "//": "floor_divide", "%": "remainder",
              "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor",
              "<<": "bitwise_left_shift", ">>": "bitwise_right_shift"}
_IDENTITY = frozenset(("is", "is not"))
MAX_CALL_DEPTH = 100    # calls of the program's functions inside one another
# the dtype of the 0-dim tensor PyTorch wraps a number in, given for a Tensor
WRAPPED_NUMBERS = {bool: np.bool_, int: np.int64, float: np.float64, complex: np.complex128}


class UserFunction:
    """A function the program defined (def, lambda), with its default values
    and its local names (the names its block binds: Python's rule). A lambda
    made inside a function call reads that call's names too (its closure:
    the call's own dict, so it sees them as they are when it runs). shift:
    the lines to add to its tree's spans (a lambda on a repeated line: see
    syntax.Repeat)."""

    __slots__ = ("defn", "defaults", "local_names", "closure", "shift", "grad_mode",
                 "global_names", "nonlocal_names", "generator", "_owner", "wrapped_name")

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does

    def __init__(self, defn, defaults: tuple, closure: dict | None = None, shift: int = 0,
                 grad_mode=None):
        self.defn, self.defaults, self.closure, self.shift = defn, defaults, closure, shift
        self.grad_mode = grad_mode      # a NoGrad its calls run in (@torch.no_grad())
        self.global_names = syntax.global_names(defn.body)
        self.nonlocal_names = syntax.nonlocal_names(defn.body)
        self.local_names = (frozenset(p.lstrip("*") for p in defn.params)
                            | syntax.bound_names(defn.body)) \
            - self.global_names - self.nonlocal_names
        # a yield in its block (not a nested def's) makes it a generator function
        self.generator = any(s.__class__ is syntax.Yield for s in syntax.own_statements(defn.body))
        self._owner = None      # the class whose block defined it (a method: super())
        self.wrapped_name = None    # the name @functools.wraps(f) gave it: f's

    @property
    def name(self) -> str:
        """Its __name__: its def's, or the function's it wraps."""
        return self.wrapped_name or self.defn.name

    @property
    def owner(self):
        # (a weak reference: the class holds its methods)
        return None if self._owner is None else self._owner()

    @owner.setter
    def owner(self, cls) -> None:
        self._owner = None if cls is None else weakref.ref(cls)

    @property
    def qualname(self) -> str:
        """Its name as Python's messages give it: Polynomial3.forward."""
        return self.defn.name if self.owner is None else f"{self.owner.name}.{self.defn.name}"


class _Return(Exception):
    """A `return`, on its way out of the function's block."""

    def __init__(self, value):
        self.value = value


class _Yield(Exception):
    """A `yield`, on its way out of the generator's block to the consumer
    (Interpreter.resume): the block's frames stay where they stopped;
    ``target`` takes what the generator is sent when it goes on."""

    def __init__(self, value, delegate: bool, target):
        self.value, self.delegate, self.target = value, delegate, target


class _Scope(dict):
    """A call's names when its function declares some global or nonlocal:
    a global one is written to the program's names (and read from there, as
    a call reads every name it does not have); a nonlocal one is read from
    and written to the enclosing call's names (closure), so that the
    enclosing function and its other inner functions see the change."""

    __slots__ = ("program", "globals", "closure", "nonlocals")

    def __init__(self, local: dict, program: dict, names: frozenset,
                 closure: dict | None = None, nonlocals: frozenset = frozenset()):
        super().__init__(local)
        self.program, self.globals = program, names
        self.closure, self.nonlocals = closure, nonlocals

    def __setitem__(self, name, value):
        if name in self.globals:
            self.program[name] = value
        elif name in self.nonlocals:
            self.closure[name] = value
        else:
            super().__setitem__(name, value)

    def get(self, name, default=None):
        if name in self.nonlocals:
            return self.closure.get(name, default)
        return super().get(name, default)

    def __contains__(self, name) -> bool:
        if name in self.nonlocals:
            return name in self.closure
        return super().__contains__(name)

    def __getitem__(self, name):
        if name in self.nonlocals:
            return self.closure[name]
        return super().__getitem__(name)

    def __delitem__(self, name) -> None:
        if name in self.nonlocals:
            del self.closure[name]
        else:
            super().__delitem__(name)


class _LoopElse:
    """The else block of a loop that ran out, as its loop hands it over."""

    __slots__ = ("body",)

    def __init__(self, body: tuple):
        self.body = body


class _LoopJump(Exception):
    """A break (leave) or continue whose loop is outside the block being run
    (a try's: see Interpreter._try), on its way out to the loop."""

    def __init__(self, leave: bool):
        self.leave = leave


def _python_shift(sym: str, a, b) -> int:
    """a << b, a >> b on Python ints (and bools), with Python's errors; a
    left shift past MAX_INT_BITS is the limit error of any other huge int."""
    if a.__class__ is float or b.__class__ is float:
        raise GradvizError(f"unsupported operand type(s) for {sym}: '{type(a).__name__}' and "
                           f"'{type(b).__name__}'", kind=TYPE,
                           hint="<< and >> shift integers; for a float, multiply by a power "
                                "of two: x * 2 ** k")
    if b < 0:
        raise GradvizError("negative shift count", kind=VALUE,
                           hint="shift by 0 or more; a >> k is a << -k the other way")
    if sym == ">>":
        return a >> b
    if a and a.bit_length() + b > MAX_INT_BITS:
        raise _int_too_large()
    return a << b


def _bind_arguments(d, defaults: tuple, args: list, kwargs: dict, name: str = "") -> dict:
    """The names of a call of d, or Python's TypeError for the mismatch
    (name: the function's qualified name, as the message gives it)."""
    params = d.params
    d = _Named(name or d.name)
    if "/" in params:                         # def f(a, /, b)
        return _bind_positional_only(d, params, defaults, args, kwargs)
    if any(p[0] == "*" for p in params):      # def f(a, *args, b=1, **kwargs), def f(a, *, b=1)
        return _bind_keyword_only(d, params, _bind_starred(d, params, defaults, args, kwargs))
    if len(args) > len(params):
        given = "was" if len(args) == 1 else "were"
        least = len(params) - len(defaults)
        takes = f"{len(params)} positional argument{'s' if len(params) != 1 else ''}"
        if least < len(params):          # (Python says the range)
            takes = f"from {least} to {takes}"
        raise GradvizError(f"{d.name}() takes {takes} but {len(args)} {given} given", kind=TYPE,
                           hint=_params_hint(params))
    local = dict(zip(params, args))
    for name, value in kwargs.items():
        if name not in params:
            raise GradvizError(f"{d.name}() got an unexpected keyword argument '{name}'",
                               kind=TYPE, hint=_params_hint(params))
        if name in local:
            raise GradvizError(f"{d.name}() got multiple values for argument '{name}'",
                               kind=TYPE, hint=f"'{name}' is given by position already: pass "
                                               "it once")
        local[name] = value
    first_default = len(params) - len(defaults)
    missing = []
    for i, name in enumerate(params):
        if name not in local:
            if i >= first_default:
                local[name] = defaults[i - first_default]
            else:
                missing.append(name)
    if missing:
        names = " and ".join(", ".join(f"'{m}'" for m in missing).rsplit(", ", 1))
        raise GradvizError(f"{d.name}() missing {len(missing)} required positional "
                           f"argument{'s' if len(missing) > 1 else ''}: {names}", kind=TYPE,
                           hint=_params_hint(params))
    return {name: local[name] for name in params}
def _bind_positional_only(d, params: tuple, defaults: tuple, args: list, kwargs: dict) -> dict:
    """_bind_arguments of a function with '/': the parameters before it
    take no keyword (one of their names given as a keyword goes to **kwargs,
    or is Python's TypeError)."""
    cut = params.index("/")
    only = params[:cut]
    rest = _Params(params[:cut] + params[cut + 1:])
    given = [k for k in kwargs if k in only]
    dstar = next((p[2:] for p in params if p.startswith("**")), None)
    if given and dstar is None:
        raise GradvizError(f"{d.name}() got some positional-only arguments passed as keyword "
                           f"arguments: '{', '.join(given)}'", kind=TYPE,
                           hint=f"the parameters before / take their values by position: "
                                f"{d.name.rsplit('.', 1)[-1]}({', '.join(only)}, ...)")
    local = _bind_arguments(rest, defaults, args,
                            {k: v for k, v in kwargs.items() if k not in only}, d.name)
    if given:       # (in the call's order, as Python's dict of them)
        extra = local[dstar]
        local[dstar] = {k: v for k, v in kwargs.items() if k in given or k in extra}
    return local


def _bind_keyword_only(d, params: tuple, local: dict) -> dict:
    """local, once every keyword-only parameter without a default has a
    value; else Python's TypeError naming the missing ones."""
    missing = [name for name, value in local.items() if value is syntax.REQUIRED]
    if missing:
        names = " and ".join(", ".join(f"'{m}'" for m in missing).rsplit(", ", 1))
        raise GradvizError(f"{d.name}() missing {len(missing)} required keyword-only "
                           f"argument{'s' if len(missing) > 1 else ''}: {names}", kind=TYPE,
                           hint="give " + ("it" if len(missing) == 1 else "them") + " by name: "
                                + ", ".join(f"{m}=..." for m in missing))
    return local


def _params_hint(params) -> str:
    """What a call's arguments must fit (the hint of its TypeError)."""
    if not params:
        return "it takes no arguments"
    return ("its parameters are " + ", ".join(params) + "; more positional arguments need "
            "*args among them, more keywords **kwargs")


def _bind_starred(d, params: tuple, defaults: tuple, args: list, kwargs: dict) -> dict:
    """_bind_arguments of a function with *args and/or **kwargs: the
    positional arguments past the named ones are the tuple args, the
    keyword arguments no parameter takes the dict kwargs, as Python's."""
    # star: the name of *args, "" for a bare * (no more positional arguments)
    star = next((p[1:] for p in params if p[0] == "*" and p[1:2] != "*"), None)
    dstar = next((p[2:] for p in params if p.startswith("**")), None)
    named = tuple(p for p in params if p[0] != "*")
    # the positional parameters come before *args (or *); those after it
    # (with defaults) take keywords only
    positional = len(named) if star is None else params.index("*" + star)
    extra = tuple(args[positional:])
    if extra and not star:
        # (Python's TypeError, which counts the positional parameters only)
        keyword_only = len(named) - positional
        _bind_arguments(_Params(named[:positional]),
                        defaults[:max(0, len(defaults) - keyword_only)], args, {}, d.name)
    unknown = {k: v for k, v in kwargs.items() if k not in named}
    if unknown and dstar is None:
        _bind_arguments(_Params(named), defaults, [], unknown, d.name)
    local = _bind_arguments(_Params(named), defaults, list(args[:positional]),
                            {k: v for k, v in kwargs.items() if k in named}, d.name)
    if star:
        local[star] = extra
    if dstar is not None:
        local[dstar] = unknown
    return local


class _Params:
    """A def's named parameters only (for _bind_arguments)."""

    __slots__ = ("params", "name")

    def __init__(self, params: tuple):
        self.params, self.name = params, ""


class _Named:
    """The name _bind_arguments' messages give."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        self.name = name


_DONE = object()        # the end of a for loop's items
_NUMBERS = (int, float, bool)
# the keys a dict names its tensors by (params['w'], see Interpreter._name_item)
_NAMING_KEYS = frozenset((str, int, float, bool))
# errors a program's own values raise (see Interpreter._program_error)
_PROGRAM_ERRORS = (OverflowError, RecursionError, MemoryError)


def _list_append(rt, lst: list, value) -> None:
    """list.append, within the size limit (a loop may append forever)."""
    rt.tape.check_size(len(lst) + 1, "list")
    lst.append(value)
    rt._mark_value_held(value)


# Python's types whose methods a program reads from the type (str.lower,
# list.append): each type's methods, and the bound method of a name
_DESCRIPTOR_OWNERS = {
    "str": (str, lambda name: name in pymethods.STR_METHODS, pymethods.str_method),
    "list": (list, lambda name: name in pymethods.LIST_METHODS or name == "append",
             lambda name: _list_append if name == "append" else pymethods.list_method(name)),
    "tuple": (tuple, pymethods.TUPLE_METHODS.__contains__, pymethods.list_method),
    "dict": (dict, pymethods.DICT_METHODS.__contains__, pymethods.dict_method),
    "set": (set, pymethods.SET_METHODS.__contains__, pymethods.set_method),
    "frozenset": (frozenset, pymethods.FROZENSET_METHODS.__contains__, pymethods.set_method)}
# one value per type and name, so that `str.lower is str.lower` holds as in Python
_DESCRIPTORS: dict = {}


def _method_descriptor(owner: str, name: str):
    """owner.name (str.lower, list.append) as a function taking the receiver
    first, or None when gradviz has no such method."""
    made = _DESCRIPTORS.get((owner, name))
    if made is None:
        cls, has, bound = _DESCRIPTOR_OWNERS[owner]
        if not has(name):
            return None
        made = _DESCRIPTORS[owner, name] = Function(name, pymethods.unbound_method(
            cls, name, bound(name)))
    return made


def _pass_label(target, item, n: int, walks: str | None = None) -> str:
    """How a node says which pass of a loop made it: "i=1" for a for loop
    (or a comprehension's clause) over numbers, target its name ("i=1,
    x=0.5" unpacked); else the item as an index into what the loop walks
    (``walks``, its text: "batches[2]", "X[0]" for a tensor's rows), or
    "iteration 3" (a while loop: target None). (Not "pass": that is a
    backward() call's word, and a loop's pass label sits beside it.)"""
    if target is not None:
        if target.__class__ is str:
            if item.__class__ in _NUMBERS:
                return f"{target}={item!r}"
        else:
            values = _numbers_bound(target, item)
            if values:
                return ", ".join(f"{name}={v!r}" for name, v in values)
        if walks is not None:
            return f"{walks}[{n - 1}]"
    return f"iteration {n}"


def _saved_names(env: dict, clauses: tuple) -> dict:
    """The values env has for a comprehension's loop names (_DONE: none)."""
    names = set()
    for target, _, _ in clauses:
        names.update(syntax.target_names(target))
    return {name: env.get(name, _DONE) for name in names}


class _ComprehensionNames(dict):
    """What a lambda made in a comprehension reads besides its own names:
    the comprehension's loop names (their value at each pass, then their
    last, as Python's closure cells over the comprehension's scope), then
    those of the scope around it (``around``: an enclosing comprehension's,
    a call's names, or None at the program's level, read live). depth: the
    call it runs in (len(Interpreter.scopes))."""

    __slots__ = ("around", "depth")

    def __init__(self, around, depth: int):
        super().__init__()
        self.around, self.depth = around, depth

    def items(self):
        """Its own names first (a call takes the first of each name), then
        those around it."""
        yield from dict.items(self)
        if self.around is not None:
            yield from self.around.items()


def _makes_functions(node) -> bool:
    """Whether a comprehension's expressions hold a lambda (an explicit stack)."""
    stack = [node]
    while stack:
        n = stack.pop()
        if n.__class__ is tuple:
            stack.extend(n)
        elif n.__class__ is syntax.Lambda:
            return True
        elif syntax.is_node(n) and not isinstance(n, syntax._Leaf):
            stack.extend(getattr(n, field) for field in n.__class__.__slots__)
    return False


def _restore_names(env: dict, saved: dict) -> None:
    for name, value in saved.items():
        if value is _DONE:
            env.pop(name, None)
        else:
            env[name] = value


def _escaped_stop() -> GradvizError:
    """PEP 479: a StopIteration that leaves a generator's block (a bare
    next() in it) is a RuntimeError where the generator was asked for an
    item (no span yet: the consumer's statement gives it)."""
    return GradvizError("generator raised StopIteration", kind=RUNTIME,
                        hint="a next() inside a generator ran out of items: write "
                             "next(it, None) and return when it gives None, or catch "
                             "StopIteration")


UNPACK_HINT = ("a tuple of targets takes one item per name (nested ones as written: "
               "i, (X, y)); a starred name takes the rest: a, *rest = xs")


def _unpacked(target: tuple, items: tuple) -> list:
    """(target, item) pairs of a tuple of targets and the items it takes,
    a starred target's the list of the rest; Python's ValueError when the
    counts differ."""
    star = next((k for k, t in enumerate(target) if t.__class__ is syntax.Starred), None)
    if star is None:
        if len(items) > len(target):
            raise GradvizError(f"too many values to unpack (expected {len(target)})", kind=VALUE,
                               hint=UNPACK_HINT)
        if len(items) < len(target):
            raise GradvizError(f"not enough values to unpack (expected {len(target)}, got "
                               f"{len(items)})", kind=VALUE, hint=UNPACK_HINT)
        return list(zip(target, items))
    after = len(target) - star - 1
    if len(items) < star + after:
        raise GradvizError(f"not enough values to unpack (expected at least {star + after}, "
                           f"got {len(items)})", kind=VALUE, hint=UNPACK_HINT)
    rest = len(items) - after
    return [*zip(target[:star], items), (target[star], list(items[star:rest])),
            *zip(target[star + 1:], items[rest:])]


def _numbers_bound(target: tuple, item) -> list:
    """(name, number) for the names of a tuple of targets that take a
    number from item (nested targets walked where item is a list or tuple;
    a starred target and what follows it are not)."""
    out = []
    stack = [(target, item)]
    while stack:
        target, item = stack.pop()
        if target.__class__ is str:
            if item.__class__ in _NUMBERS:
                out.append((target, item))
        elif target.__class__ is tuple and item.__class__ in (tuple, list):
            pairs = []
            for t, v in zip(target, item):
                if t.__class__ is syntax.Starred:
                    break
                pairs.append((t, v))
            stack.extend(reversed(pairs))
    return out


LOOP_TEXT = 20      # characters of what a loop walks, in its passes' labels
# a Python number on the left of a non-commutative op: PyTorch's own node
REFLECTED = {"-": "rsub", "/": "rdiv", "%": "rremainder"}
# Python ints are unbounded; a program's are not, so that `10**10**10` or
# squaring a number twenty times ends in an error instead of a hang. About
# 4,000 digits: below Python's own 4,300-digit limit for printing an int.
MAX_INT_BITS = 13_288
NUMBER_RANGE_HINT = ("tensors hold 64-bit integers (up to about 9.2e18) and floats up to "
                     "about 3.4e38 (float32) or 1.8e308 (float64); Python integers here "
                     "have at most 4,000 digits")
TENSOR_ATTRIBUTES = ("grad", "shape", "dtype", "requires_grad", "is_leaf", "grad_fn", "data",
                     "T", "mT", "mH", "ndim", "device", "retains_grad", "is_cuda", "_base",
                     "_version", "output_nr")


def power(a, b):
    """a ** b on Python numbers, refused before it is computed when the
    result would be an int of more than MAX_INT_BITS bits or a complex."""
    if a.__class__ is not float and b.__class__ is not float:   # ints (and bools)
        if b >= 0 and abs(a) > 1 and (abs(a).bit_length() - 1) * b > MAX_INT_BITS:
            raise _int_too_large()
        return _bounded_int(a ** b)
    if a < 0 and math.isfinite(b) and not float(b).is_integer():
        raise GradvizError(f"({a!r}) ** {b!r} is a complex number, which gradviz does not "
                           "have", kind=VALUE, hint="raise a positive number to a "
                           "fractional power, or use an integer power")
    return a ** b


def function_name(fn) -> str:
    """fn.__name__ of a function value (a def's, a method's, torch's)."""
    if fn.__class__ is classes.Method:
        fn = fn.fn
    if fn.__class__ is Function and function_kinds.own_name(fn) is not None:
        return function_kinds.own_name(fn)
    return fn.name if fn.__class__ is UserFunction else fn.name.rsplit(".", 1)[-1]


def _said(sym: str) -> str:
    """A binary operator as Python's TypeError names it (** is '** or pow()')."""
    return "** or pow()" if sym == "**" else sym


def _unsupported_operands(interp, sym: str, a, b) -> GradvizError:
    """Python's TypeError for operands no method of either takes (2.0 @ x)."""
    return GradvizError(f"unsupported operand type(s) for {_said(sym)}: '{interp.type_name(a)}' "
                        f"and '{interp.type_name(b)}'", kind=TYPE,
                        hint="@ multiplies two tensors" if sym == "@" else None)


def _at_the_call(exc: TypeError) -> bool:
    """Whether exc was raised by the call of a function itself (its
    arguments do not fit), not deeper; a wrapper that passes a call on
    (functions.keywords_seen) marks such an error of the call it makes."""
    tb = exc.__traceback__
    return tb is not None and (tb.tb_next is None or getattr(exc, "at_the_call", False))


def _argument_error(name: str, exc: TypeError, hidden: int = 1,
                    parsed: bool = False, call: tuple | None = None,
                    fn=None) -> GradvizError:
    """A function called with arguments it does not take, in Python's words
    for the user's call ("one_hot() got multiple values for argument
    'num_classes'", "f() takes 1 positional argument but 2 were given";
    hidden: the arguments the program does not count, functions.user_arg_counts;
    parsed: a torch function, whose missing arguments PyTorch words its way;
    call: its (impl, args, kwargs), for the argument it left out, which
    PyTorch names before a keyword it does not take; fn: the function
    called, when not call's, whose keywords a misspelt one is matched with)."""
    msg = functions.user_arg_counts(functions.call_wording(exc), hidden)
    if parsed:
        msg = functions.parser_words(name, msg, call)
    return GradvizError(f"{name}() {msg}", kind=TYPE, hint=argument_hint(
        msg, signature_names(fn if call is None else call[0])))



def _decorator_call(self, orig_func):
    """The signature of PyTorch's grad-mode __call__: its argument errors."""
    return orig_func


_decorator_call.__qualname__ = "_DecoratorContextManager.__call__"


def _key_error(name: str, args: list, kwargs: dict) -> GradvizError:
    """torch.max(xs, key=f): torch.max's error, and how to write Python's
    max with a key (the bare max is Python's when given key=)."""
    def type_name(v) -> str:       # (Python's names of the function types)
        return "builtin_function_or_method" if v.__class__ is Function else \
            "function" if v.__class__ is UserFunction else functions.arg_type_name(v)
    got = ", ".join([*(type_name(v) for v in args),
                     *(f"{k}={type_name(v)}" for k, v in kwargs.items())])
    pick = "[-1]" if name == "max" else "[0]"
    return GradvizError(f"{name}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:", kind=TYPE,
                        hint=f"torch.{name} takes no key=; Python's {name} with a key is the "
                             f"bare {name}(xs, key=f) (or sorted(xs, key=f){pick})")


# the method of a program's class a unary operator calls
_UNARY_METHODS = {"-": "__neg__", "+": "__pos__", "~": "__invert__"}


class _Shown:
    """Interpreter.shown: called, str(v) of a value the renderer does not
    know (value_str); .repr(v), its repr."""

    __slots__ = ("rt",)

    def __init__(self, rt):
        self.rt = rt

    def __call__(self, v) -> str:
        return self.rt.value_str(v)

    def repr(self, v) -> str:
        if v.__class__ is classes.Instance and v.cls.kind != "module":
            return classes.text(self.rt, v, ("__repr__",))
        return self.rt.value_str(v)


def _docstring(fn) -> str | None:
    """A program's function's __doc__: the string its block starts with
    (a lambda's, or a block's that starts otherwise: None)."""
    body = getattr(fn.defn, "body", None)
    if body and body[0].__class__ is syntax.ExprStmt and body[0].value.__class__ is syntax.Str:
        return body[0].value.value
    return None


def _bounded_int(v):
    if v.__class__ is int and v.bit_length() > MAX_INT_BITS:
        raise _int_too_large()
    return v


def _int_too_large() -> GradvizError:
    return GradvizError("integer too large (more than 4,000 digits)", kind=LIMIT,
                        hint="use floats (e.g. 2.0 ** 100) for big numbers; tensors cannot "
                             "hold such integers anyway")


class Module:
    """A namespace a program can name: torch, torch.nn, torch.nn.functional."""

    def __init__(self, name: str, members: dict):
        self.name, self.members = name, members

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does


class Function:
    """A callable the program named (a torch function or a builtin)."""

    __slots__ = ("name", "impl")

    def __init__(self, name, impl):
        self.name, self.impl = name, impl

    def __deepcopy__(self, memo):
        return self       # copy.deepcopy of a value naming it shares it, as Python does


# torch's functions that read a numpy scalar as numpy's (its dtype counts:
# torch.tensor(np.float64(1.5)) is float64); the others take it as PyTorch's
# argument parser does, as the Python number it holds
_NUMPY_AWARE = frozenset(("tensor", "as_tensor", "from_numpy", "asarray", "is_tensor"))
# the keywords of a call that _call looks at before the call itself
_SPECIAL_KEYWORDS = frozenset({"axis", "keepdims", "layout", "device", "pin_memory", "out"})

_TORCH_IMPLS = frozenset(v for k, v in {**FUNCTIONS, **NN_FUNCTIONAL}.items()
                         if k not in _NUMPY_AWARE and callable(v))


def _numpy_scalars_as_numbers(args: list, kwargs: dict | None, impl) -> None:
    """A torch function's or a tensor method's (impl's) numpy scalar
    arguments (np.float32(0.5), np.int64(2)) as Python numbers, in place:
    PyTorch takes them wherever it takes a number (a size, a dim, a fill
    value); numpy's bool is a float to it (x.add(np.bool_(True)) is a float
    tensor). But not where the function takes a bool (bool_args's
    bool_slots(): {name: its place among args}), which refuses numpy's bool by
    its name, nor for a function of tensors only (functions.tensors_only),
    whose error names numpy's type."""
    bools = None
    for i, a in enumerate(args):
        if a.__class__ is NumpyArray and isinstance(a.array, np.generic):
            if bools is None:
                if getattr(impl, "tensors_only", False):
                    return
                bools = _bool_slots(impl)
            if bools and isinstance(a.array, np.bool_) and i in bools.values():
                continue
            args[i] = _numpy_number(a.array)
    if kwargs:
        for k, a in kwargs.items():
            if a.__class__ is NumpyArray and isinstance(a.array, np.generic):
                if bools is None:
                    if getattr(impl, "tensors_only", False):
                        return
                    bools = _bool_slots(impl)
                if bools and isinstance(a.array, np.bool_) and k in bools:
                    continue
                kwargs[k] = _numpy_number(a.array)


def _bool_slots(impl) -> dict:
    """impl's bool arguments, {name: its place among args} (bool_args
    works them out when first asked)."""
    slots = getattr(impl, "bool_slots", None)
    return slots() if slots else {}


def _numpy_number(v: np.generic):
    return float(v) if isinstance(v, np.bool_) else v.item()


class BoundMethod:
    __slots__ = ("name", "impl", "obj")

    def __init__(self, name, impl, obj):
        self.name, self.impl, self.obj = name, impl, obj


# torch's float constants, only as torch.NAME: a bare `e` or `pi` is the
# program's own name (or a NameError), as in Python
TORCH_CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
                   "__version__": "2.13.0+cpu",     # the PyTorch whose behaviour gradviz has
                   "strided": tensor_queries.STRIDED, "default_generator": DEFAULT_GENERATOR,
                   **memory_formats.FORMATS}


def _module_tree() -> dict:
    functional = Module("torch.nn.functional", {k: Function(k, v) for k, v in NN_FUNCTIONAL.items()})
    functional.members["linear"] = Function("linear", modules.f_linear)
    functional.members["dropout"] = Function("dropout", modules.f_dropout)
    functional.members.update({k: Function(k, v) for k, v in
                               modules._dropout_more.FUNCTIONS.items()})
    functional.members.update({k: Function(k, v) for k, v in
                               modules._nn_norm_more.FUNCTIONS.items()})
    init = Module("torch.nn.init", {k: Function(k, v) for k, v in modules.INIT.items()})
    # (nn.Parameter and the layers are classes: print(nn.ReLU), type(w) == nn.Parameter)
    rnn = Module("torch.nn.utils.rnn", {
        **{k: Function(k, v) for k, v in rnn_utils.FUNCTIONS.items()},
        "PackedSequence": PyType("torch.nn.utils.rnn.PackedSequence")})
    nn = Module("torch.nn", {"functional": functional, "Parameter": PARAMETER, "init": init,
                             "utils": Module("torch.nn.utils", {
                                 "rnn": rnn,
                                 **{k: Function(k, v) for k, v in grad_utils.FUNCTIONS.items()},
                                 **{k: Function(k, v) for k, v in weight_hooks.FUNCTIONS.items()},
                                 "parametrize": Module("torch.nn.utils.parametrize", {
                                     k: Function(k, v) for k, v in parametrize.FUNCTIONS.items()}),
                                 "parametrizations": Module(
                                     "torch.nn.utils.parametrizations",
                                     {k: Function(k, v)
                                      for k, v in parametrize.PARAMETRIZATIONS.items()})}),
                             "Module": classes.MODULE,
                             # (the global module hooks: torch.nn.modules.module.register_module_*)
                             "modules": Module("torch.nn.modules", {"module": Module(
                                 "torch.nn.modules.module",
                                 {k: Function(k, v) for k, v in module_hooks.FUNCTIONS.items()})}),
                             **{k: layers.layer_type(k) for k in layers.KINDS},
                             **modules.types()})
    autograd_functional = Module("torch.autograd.functional", {
        "jacobian": Function("jacobian", jacobians.jacobian),
        "hessian": Function("hessian", jacobians.hessian),
        **{k: Function(k, getattr(products, k)) for k in ("vjp", "jvp", "vhp", "hvp")}})
    fw_ad = Module("torch.autograd.forward_ad", {
        "dual_level": Function("dual_level", forward_ad.f_dual_level),
        "make_dual": Function("make_dual", forward_ad.f_make_dual),
        "unpack_dual": Function("unpack_dual", forward_ad.f_unpack_dual),
        "enter_dual_level": Function("enter_dual_level", forward_ad.f_enter_dual_level),
        "exit_dual_level": Function("exit_dual_level", forward_ad.f_exit_dual_level)})
    graph = Module("torch.autograd.graph", {
        "saved_tensors_hooks": Function("saved_tensors_hooks", saved_hooks.f_saved_tensors_hooks),
        "save_on_cpu": Function("save_on_cpu", saved_hooks.f_save_on_cpu),
        "disable_saved_tensors_hooks": Function("disable_saved_tensors_hooks",
                                                saved_hooks.f_disable_saved_tensors_hooks)})
    autograd = Module("torch.autograd", {"grad": Function("grad", FUNCTIONS["grad"]),
                                         "Variable": Function("Variable", functions.f_variable),
                                         "backward": Function("backward",
                                                              functions.f_autograd_backward),
                                         "functional": autograd_functional,
                                         "Function": classes.AUTOGRAD_FUNCTION,
                                         "forward_ad": fw_ad, "graph": graph,
                                         **{k: Function(k, v)
                                            for k, v in anomaly.FUNCTIONS.items()}})
    # the optimizers are types (isinstance(opt, torch.optim.SGD)), called to make one
    lr_scheduler = Module("torch.optim.lr_scheduler",
                          {**{k: PyType(v) for k, v in schedulers.NAMES.items()},
                           "LRScheduler": LR_SCHEDULER})
    torch_optim = Module("torch.optim", {**{k: PyType(v) for k, v in OPTIMIZER_NAMES.items()},
                                         "Optimizer": OPTIMIZER, "lr_scheduler": lr_scheduler})
    utils = Module("torch.utils", {"data": Module("torch.utils.data", {
        **{k: Function(k, v) for k, v in data.FUNCTIONS.items()},
        **{k.rsplit(".", 1)[1]: PyType(k) for k in data.MAKERS if "._C." not in k},
        "Dataset": classes.DATASET,
        "IterableDataset": classes.ITERABLE_DATASET})})
    members = {k: Function(k, v) for k, v in FUNCTIONS.items()}
    members.update({k: Function(k, v) for k, v in anomaly.torch_functions().items()})
    members["Generator"] = PyType("torch._C.Generator")
    members.update({k: functions.DTYPE_OBJECTS[functions.CANONICAL_DTYPE.get(k, k)]
                    for k in functions.DTYPES})
    # (named as PyTorch names them, in their errors and their __name__: linalg_inv)
    linalg = Module("torch.linalg", {
        **{k: Function(f"linalg_{k}", bool_args.linalg_function(k)) for k in bool_args.LINALG},
        **{k: Function(f"linalg_{k}", v) for k, v in functions.LINALG.items()
           if k not in bool_args.LINALG},
        # (except torch.linalg.LinAlgError: a singular matrix's error)
        "LinAlgError": PyType("_LinAlgError")})
    linalg.members.update({name: Function(f"linalg_{name}", f)       # (torch.linalg.cross)
                           for name, f in shape_fns.LINALG.items()})
    kinds = distributions.TYPES
    kl_functions = {k: Function(k, v) for k, v in kl.FUNCTIONS.items()}
    dists = Module("torch.distributions", {
        **kinds, **{sub: Module(f"torch.distributions.{sub}", {name: kinds[name]})
                    for sub, name in distributions.SUBMODULES.items()},
        **kl_functions, "kl": Module("torch.distributions.kl", kl_functions)})
    members.update(nn=nn, autograd=autograd, optim=torch_optim, utils=utils, linalg=linalg,
                   distributions=dists)
    members["func"] = Module("torch.func", func_transforms.members(Function))
    members["special"] = Module("torch.special", {k: Function(k, v) for k, v in
                                                  special_fns.special_module().items()})
    torch = Module("torch", members)
    glob = dict(members)
    members.update(TORCH_TYPES)        # only as torch.Tensor, torch.Size, torch.dtype
    # only as torch.NAME (a bare `device` is the program's own name)
    members.update(TORCH_CONSTANTS, device=Function("device", functions.f_device),
                   **machine.modules(Module, Function))
    glob.update({k: Function(k, v) for k, v in PY_BUILTINS.items()})
    # bare sum/max/min/abs/pow: torch's for a tensor, Python's otherwise (bare_builtins.py)
    glob.update({k: Function(k, bare_builtins.bare(k, FUNCTIONS[k])) for k in bare_builtins.NAMES})
    glob.update(torch=torch, F=functional, object=classes.OBJECT,
                super=Function("super", classes.f_super),
                staticmethod=Function("staticmethod", classes.f_staticmethod),
                classmethod=Function("classmethod", classes.f_classmethod),
                property=Function("property", classes.f_property))
    glob["Ellipsis"] = Ellipsis         # (x[Ellipsis] is x[...])
    glob["NotImplemented"] = NotImplemented     # (a class's __eq__ or __add__ declining)
    glob["__name__"] = "__main__"       # a program runs as a script: if __name__ == '__main__':
    glob.update(exceptions.EXCEPTION_TYPES)       # RuntimeError, ... (for except and raise)
    return glob


GLOBALS = _module_tree()
# Python's builtins a program does not have, and why (the hint of their NameError)
_NO_CODE = "gradviz runs the program's own code only, not code in strings or other modules"
_NO_SYSTEM = "gradviz programs do not read input or files, nor look into their own names"
LEFT_OUT_BUILTINS = {
    "complex": "gradviz's numbers and tensors are real: it has no complex numbers (nor 1j)",
    **dict.fromkeys(("eval", "exec", "compile", "__import__"), _NO_CODE),
    **dict.fromkeys(("open", "input", "globals", "locals", "vars"), _NO_SYSTEM),
    **dict.fromkeys(("bytes", "bytearray", "memoryview"),
                    "gradviz's strings are str: it has no bytes"),
}
function_kinds.register(GLOBALS["torch"], Module, Function)



def _c_names() -> dict:
    """torch's C functions, whose arguments PyTorch's argument parser reads
    (functions.PYTHON_LEVEL: torch's written in Python; torch.nn.functional's
    C ones: functions.PARSED_NN_FUNCTIONAL), each by the name the parser gives
    it (torch.linalg.qr is linalg_qr, torch.special.erf special_erf,
    F.logsigmoid log_sigmoid)."""
    torch = GLOBALS["torch"]
    names = {fn: key for key, fn in GLOBALS["F"].members.items()
             if fn.__class__ is Function and key in functions.PARSED_NN_FUNCTIONAL}
    names[GLOBALS["F"].members["logsigmoid"]] = "log_sigmoid"
    names.update({fn: key for key, fn in torch.members.items()
                  if fn.__class__ is Function and key not in functions.PYTHON_LEVEL})
    for module in ("linalg", "special"):
        names.update({fn: f"{module}_{key}" for key, fn in torch.members[module].members.items()
                      if fn.__class__ is Function})
    return names


C_NAMES = _c_names()
# torch.nn.functional's pools that PyTorch's boolean_dispatch sends to one of
# two functions by return_indices: a call's argument error names the one
# it went to (F.max_pool1d(x, bogus=1): '_max_pool1d() got an unexpected ...')
DISPATCHED = {GLOBALS["F"].members[name]: (f"_{name}", f"{name}_with_indices")
              for name in ("max_pool1d", "max_pool2d", "max_pool3d", "adaptive_max_pool1d",
                           "adaptive_max_pool2d", "adaptive_max_pool3d",
                           "fractional_max_pool2d", "fractional_max_pool3d")
              if name in GLOBALS["F"].members}


def _dispatched_name(fn, kwargs: dict) -> str:
    """fn's name in Python's words for a bad call (see DISPATCHED; F.threshold
    is _threshold)."""
    if fn not in DISPATCHED:
        return function_kinds.own_name(fn) or fn.name
    return DISPATCHED[fn][(kwargs or {}).get("return_indices") is True]
# those whose C name is not the name the program called them by
# (torch.special.erf is special_erf): {function: (its name, its C name)}
C_RENAMED = {fn: (fn.name, name) for fn, name in C_NAMES.items() if name != fn.name}
# torch.special's and torch.linalg's names of torch's functions of one tensor,
# which take input= as those do, by the name those give in their messages
# (special.erf: erf, special.expit: sigmoid)
ONE_TENSOR_RENAMED = {fn: name for fn in C_RENAMED for name in sorted(functions.ONE_TENSOR_FUNCTIONS)
                      if fn.impl is functions.FUNCTIONS.get(name)}
# (special.expit(1.0)'s message is sigmoid's: renamed from that name)
C_RENAMED.update({fn: (name, C_RENAMED[fn][1]) for fn, name in ONE_TENSOR_RENAMED.items()})


def _c_named(exc: GradvizError, name: str, c_name: str) -> None:
    """An error of a C function's own checks (its argument parser's, which
    start with the function's name: "erf(): argument 'input' ...") under its
    C name ("special_erf(): ...")."""
    if exc.message.startswith((name + "(): argument ", name + "() ")):
        # (not the op's own checks: "multi_dot(): expected at least 2 tensors")
        exc.message = c_name + exc.message[len(name):]
        exc.args = (exc.message,)

# a parser's message about one argument, which names its position
_POSITIONED = r"\w+\(\): argument '(\w+)'( \(position \d+\)) "


def _by_keyword(exc: GradvizError, kwargs: dict) -> None:
    """An argument's error of a C function (C_NAMES) whose message gives its
    position, where the call named it (erf(input=1.0), linalg.inv(A=1.0);
    x= is numpy's input=): PyTorch's message gives a keyword argument no
    position."""
    m = re.match(_POSITIONED, exc.message)
    if m and (m[1] in kwargs or m[1] == "input" and "x" in kwargs):
        exc.message = exc.message[:m.start(2)] + exc.message[m.end(2):]
        exc.args = (exc.message,)


# the modules a program can import, by their first name: torch's tree, and
# Python's math and random once imported (import math, from random import shuffle)
# (read through importable(): the modules of ON_FIRST_IMPORT join it there)
MODULES = {
    "torch": GLOBALS["torch"],
    "math": Module("math", {**{k: Function(k, v) for k, v in functions.MATH_FUNCTIONS.items()},
                            **functions.MATH_CONSTANTS}),
    "random": Module("random", {k: Function(k, v) for k, v in pyrandom.FUNCTIONS.items()}),
    # type hints' names (gradviz parses hints without evaluating them)
    "typing": Module("typing", typehints.typing_members()),
    "collections": Module("collections", pycollections.members(Function)),
    "itertools": Module("itertools", pyitertools.members(Function)),
    "__future__": Module("__future__", typehints.future_members()),
}
function_kinds.register(MODULES["math"], Module, Function)
# Python's modules whose emulation (gradviz/py<name>.py, numpy's with
# numpy_arrays.py and numpy_sizes.py) is loaded the first time a program
# imports one: together a few ms of every start-up, for programs that
# mostly import none of them
ON_FIRST_IMPORT = ("numpy", "copy", "operator", "functools", "dataclasses", "string", "time",
                   "warnings")
MODULE_NAMES = (*MODULES, *ON_FIRST_IMPORT)


def importable(name: str) -> Module | None:
    """The module a program's `import name` binds, None if there is none.
    One of ON_FIRST_IMPORT is made here once and kept in MODULES, so every
    run (and import) after shares it, as if it had been made at start-up."""
    module = MODULES.get(name)
    if module is None and name in ON_FIRST_IMPORT:
        emulation = _emulation(name)
        members = (emulation.members(Module, Function) if name == "numpy"
                   else emulation.members(Function))
        module = MODULES[name] = Module(name, members)
    return module


def _emulation(name: str):
    """The module that emulates Python's module `name` (one of
    ON_FIRST_IMPORT), imported here when a program first imports it."""
    if name == "numpy":
        from . import pynumpy as emulation
    elif name == "copy":
        from . import pycopy as emulation
    elif name == "operator":
        from . import pyoperator as emulation
    elif name == "functools":
        from . import pyfunctools as emulation
    elif name == "dataclasses":
        from . import pydataclasses as emulation
    elif name == "string":
        from . import pystring as emulation
    elif name == "time":
        from . import pytime as emulation
    elif name == "warnings":
        from . import pywarnings as emulation
    else:
        raise KeyError(name)
    return emulation


def _numpy_arrays():
    """The numpy_arrays module, loaded the first time a program has a numpy
    array (import numpy, x.numpy()): a program without one does not pay for
    loading it and the numpy emulation it reads."""
    from . import numpy_arrays
    return numpy_arrays


# binary() without the checks, for a tensor on the left and a tensor (or a
# number) on the right: every operator but ** (and @, which needs two tensors)
# (names, looked up in OPS at each use: the registry may be changed at run time)
_TENSOR_OPS = {sym: name for sym, name in BINARY_OPS.items() if sym != "**"}
_NUMBER_OPS = {sym: name for sym, name in _TENSOR_OPS.items() if sym != "@"}
_UNSET = object()       # "no such key", where None is a value
# the node classes the hot paths test for, as module globals
_Name, _Num, _Const = syntax.Name, syntax.Num, syntax.Const
_Assign, _AugAssign, _ExprStmt, _With = syntax.Assign, syntax.AugAssign, syntax.ExprStmt, syntax.With
_Repeat = syntax.Repeat
_new = tuple.__new__


# dtypes as PyTorch's messages spell their C types
# Python's order comparisons (of strings)
_ORDER = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
# the hint when a set meets another kind of value
_SET_HINT = ("a set's operators take two sets: s | set(xs); the methods take any iterable: "
             "s.union(xs)")
_SET_IN_PLACE = {"|": operator.ior, "&": operator.iand, "-": operator.isub, "^": operator.ixor}
# what two sets make with an operator: Python's own
_SET_OPERATORS = {**_ORDER, "==": operator.eq, "!=": operator.ne, "|": operator.or_,
                  "&": operator.and_, "-": operator.sub, "^": operator.xor}


def _setitem_shape_error(value: tuple, part: tuple, advanced: bool) -> GradvizError:
    """PyTorch's error for x[index] = v where v does not broadcast to x[index]."""
    hint = "the value has the shape of the indexed part, or broadcasts to it"
    if advanced:
        return GradvizError(f"shape mismatch: value tensor of shape {list(value)} cannot be "
                            f"broadcast to indexing result of shape {list(part)}", hint=hint)
    error = functions.expand_error(value, part, np.dtype(np.float32))
    if error is not None:
        error.hint = hint
        return error
    return GradvizError("shape mismatch", hint=hint)


def _tensor_index(ndim: int, index: list) -> list:
    """The items of a tensor's index as PyTorch reads them: a tuple value as
    its items (x[torch.where(c)] is x[rows, cols]), each ... as the full
    slices it stands for."""
    if len(index) == 1 and index[0].__class__ is tuple:
        index = list(index[0])
    if any(i.__class__ is NumpyArray for i in index):      # t[np.array([0, 2])], t[a > 1]
        index = [_numpy_arrays().as_index(i) if i.__class__ is NumpyArray else i for i in index]
    if Ellipsis in index:
        index = _expand_ellipsis(ndim, index)
    return index


def _expand_ellipsis(ndim: int, index: list) -> list:
    """index with each ... as the full slices it stands for: one for each
    dimension the other items do not take (None takes none, a mask as many
    as it has). As in PyTorch, a second ... stands for as many again, and
    those past the last dimension take nothing (x[..., 0, ...] is x[..., 0])."""
    taken = 0
    for i in index:
        if i.__class__ is Tensor:
            taken += i.data.ndim if i.data.dtype == np.bool_ else 1
        elif i is not None and i is not Ellipsis and not isinstance(i, bool):
            taken += 1
    every = slice(None)         # (the slices made here are this object)
    out = []
    for i in index:
        out.extend([every] * max(ndim - taken, 0) if i is Ellipsis else [i])
    while len(out) > ndim and out[-1] is every:
        out.pop()
    return out


def _too_many_indices(ndim: int) -> GradvizError:
    return GradvizError(f"too many indices for tensor of dimension {ndim}", kind=INDEX,
                        hint=f"a tensor of {ndim} dimension{'s' if ndim != 1 else ''} takes "
                             f"{ndim} indices at most (None and ... take none)")


def _mask_error(mask: tuple, shape: tuple, dim: int) -> GradvizError:
    """PyTorch's error for a mask at dimension dim whose shape is not that of
    the dimensions it picks from."""
    if dim + len(mask) > len(shape):
        return _too_many_indices(len(shape))
    k = next(k for k, (m, n) in enumerate(zip(mask, shape[dim:])) if m != n)
    return GradvizError(f"The shape of the mask {list(mask)} at index {k} does not match the "
                        f"shape of the indexed tensor {list(shape)} at index {dim + k}",
                        kind=INDEX, hint="a mask has the shape of the dimensions it picks from: "
                                         "x[x > 0], or x[:, m] with len(m) == x.shape[1]")


def _checked_int(value, dt: np.dtype) -> int:
    """A number written into an integer tensor as PyTorch's checked
    conversion makes it: cut to a whole number, or its overflow error when
    out of dt's range (NaN and inf too)."""
    info = np.iinfo(dt)
    # a negative int wraps around into uint8 as far as -255 (a float does not)
    low = -info.max if dt.kind == "u" and value.__class__ is int else info.min
    if not low <= value <= info.max:        # (exact for floats and ints; NaN fails)
        name = functions.NARROW_INTS.get(dt, "int64_t")
        raise GradvizError(f"value cannot be converted to type {name} without overflow",
                           hint=f"{dt.name} holds whole numbers from {info.min} to {info.max}: "
                                "convert the tensor first, e.g. t = t.double()")
    return int(value) % (info.max + 1) if value < 0 and dt.kind == "u" else int(value)


def _setitem_kind(shape: tuple, index: list) -> tuple[str | None, bool]:
    """How PyTorch's __setitem__ writes x[index]: (cut, advanced). cut: the
    view of x it takes first, named by its last step ("Select" for an int
    or a 0-d index tensor, "Slice", "Unsqueeze" for None or a 0-d mask), or
    None: x's grad_fn becomes CopySlices when there is one. advanced: it
    writes with index_put_ (index tensors, lists, masks). A slice from 0 (or
    none) with step 1 up to the end or beyond is skipped, as PyTorch skips
    it: x[:] and x[0:10] of 3 elements are x itself, x[-3:] is not."""
    cut = None
    advanced = False
    dim = 0
    for i in index:
        if i is None:
            cut = "Unsqueeze"
        elif isinstance(i, int):
            cut = "Select"
            dim += 1
        elif isinstance(i, slice):
            if not (i.start in (None, 0) and i.step in (None, 1)
                    and (i.stop is None or i.stop >= shape[dim])):
                cut = "Slice"
            dim += 1
        else:
            arr = i.data if i.__class__ is Tensor else np.asarray(i)
            mask = arr.dtype == np.bool_
            if arr.ndim == 0:        # a 0-d index selects (an int) or unsqueezes (a bool)
                cut = "Unsqueeze" if mask else "Select"
            else:
                advanced = True
            dim += arr.ndim if mask else 1
    return cut, advanced


NO_GRAD_VIEW = "is being modified inplace with grad mode enabled." + multi_views.NO_GRAD_TAIL


def _viewed_leaf(t: Tensor) -> bool:
    """t, a leaf, was made by a view op of another tensor's memory (then
    requires_grad_() made it a leaf that requires grad)."""
    return (t.op is not None and t.op.name in VIEW_OPS and t.data.base is not None
            and not (t.params and t.params.get("advanced")) and not unsafe_piece(t))


def _untracked_view(t: Tensor) -> bool:
    """t, a view made with gradients on of a tensor that needed none: once a
    recorded write into its family makes its base require grad, PyTorch
    makes t's grad_fn (AsStridedBackward0 of the base), as for a view that
    had one. Not a view made under no_grad(), nor a piece of a split
    (PyTorch refuses those then)."""
    return (not t.requires_grad and _viewed_leaf(t)
            and (t.meta is None or "made_without_grad" not in t.meta)
            and multi_views.piece_of(t) is None)


def _untracked_piece(t: Tensor) -> bool:
    """t, a piece of a split (or a view of one) made with gradients on of a
    tensor that needed none (see _untracked_view)."""
    return not t.requires_grad and multi_views.piece_of(t) is not None


def _repeats(a: np.ndarray) -> bool:
    """a holds an element of its memory more than once (a stride 0)."""
    return any(s == 0 and n > 1 for s, n in zip(a.strides, a.shape))


def _seen_as_view(t: Tensor) -> bool:
    """t is a view of its input for PyTorch's in-place checks: a view, or an
    expand (PyTorch's is a view; gradviz's internal ones are copies, see
    functions.m_expand)."""
    return is_view(t) or (t.recorded and t.op.name == "expand")


def _check_inplace_result(current: Tensor, result: Tensor, recorded: bool = True,
                          fills: bool = False) -> None:
    """PyTorch's errors for `current op= v`: the result must keep current's
    shape, and a dtype current can hold (no float into int, no int into bool),
    and current must not repeat memory (an expanded gradient from grad()),
    but for a fill with one number (fills: zero_(), fill_(v)); and
    gradviz's refusal of a recorded write into a view whose elements share
    memory (recorded False: the write is not recorded)."""
    _check_not_overlapping(current, fills)
    if recorded and not fills and strides.holds_twice(current.data):
        # (PyTorch runs the op once per element of the view, so a value seen
        # k times is changed k times over; gradviz changes it once)
        raise GradvizError("gradviz does not change in place a view whose elements share "
                           "memory (overlapping windows of x.unfold(), an x.as_strided()): "
                           "PyTorch changes such an element once for each time the view "
                           "holds it", kind=RUNTIME,
                           hint="write into a clone(): w = w.clone(), or change x itself")
    _check_input_overlap(current, result)
    _check_inplace_fit(current, result.data.shape, result.data.dtype)


def _check_not_overlapping(current: Tensor, fills: bool) -> None:
    """PyTorch's refusal of a write (but a fill with one number) into a
    tensor that repeats memory over its elements: an expand(), or a view of
    one that still repeats it (e.unsqueeze(0); not e[0])."""
    if not fills and _repeats_memory(current):
        raise GradvizError("unsupported operation: more than one element of the written-to "
                           "tensor refers to a single memory location. Please clone() the "
                           "tensor before performing the operation.",
                           hint="this tensor repeats values over its elements (an expand(), "
                                "or a gradient of a sum()); write y = y.clone() first")


def _repeats_memory(t: Tensor) -> bool:
    """t is marked as repeating memory (functions.m_expand), or is a view
    with a stride 0 of such a tensor."""
    if t.meta is not None and t.meta.get("overlapping"):
        return True
    if not _repeats(t.data):
        return False
    while t.op is not None and t.op.name in VIEW_OPS and t.args and t.args[0].__class__ is Tensor:
        t = t.args[0]
        if t.meta is not None and t.meta.get("overlapping"):
            return True
    return False


# in-place ops whose tensor arguments PyTorch reads as numbers (masked_fill_,
# fill_ and index_fill_ with a 0-d value), checks on their own (item
# assignment), or lets read what they write (masked_scatter_)
_NO_INPUT_OVERLAP_CHECK = frozenset({"setitem", "masked_fill", "fill", "index_fill",
                                     "masked_scatter"})


def _check_input_overlap(current: Tensor, result: Tensor) -> None:
    """PyTorch's refusal of an in-place op that reads a tensor sharing part
    of current's memory (y[1:3] += y[0:2], y.mul_(y[0])): its kernel would
    read elements it has already written. The same memory exactly (y.add_(y))
    is fine."""
    if result.op is None or result.op.name in _NO_INPUT_OVERLAP_CHECK:
        return
    for a in result.args:
        if a.__class__ is Tensor and a is not current:
            strides.check_input_overlap(current.data, a.data, True,
                                        "read from a copy: y[1:3] += y[0:2].clone()")


def _check_inplace_fit(current: Tensor, shape: tuple, dt: np.dtype) -> None:
    """PyTorch's errors for an in-place result of shape and dtype dt that
    current cannot hold."""
    if shape != current.data.shape:
        raise GradvizError(f"output with shape {list(current.data.shape)} doesn't match "
                           f"the broadcast shape {list(shape)}",
                           hint="an in-place operation keeps the tensor's shape; write "
                                "`a = a + v` for a new tensor of the broadcast shape")
    rk, ck = dt.kind, current.data.dtype.kind
    if (rk == "f" and ck != "f") or (rk in "iu" and ck == "b"):
        raise GradvizError(f"result type {functions.type_word(dt)} can't be cast to the "
                           f"desired output type {functions.type_word(current.data.dtype)}",
                           hint="an in-place operation keeps the tensor's dtype; write "
                                "`a = a + v` for a new tensor of the wider type")


# the operators whose in-place forms PyTorch checks as _check_inplace_operands does
_ITERATED_OPERATORS = frozenset(("+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>"))


def _check_inplace_operands(current: Tensor, value: Tensor, default_float) -> None:
    """PyTorch's checks of `current op= value` (an elementwise operator)
    before its kernel runs, whose own errors (a dtype it lacks: a float &)
    come after: the sizes broadcast (the op's own error, left to it), to
    current's shape, and the result type casts to current's."""
    try:
        shape = np.broadcast_shapes(current.data.shape, value.data.shape)
    except ValueError:
        return
    _check_inplace_fit(current, shape, result_dtype([current, value], default_float))


_IMPORT_HINT = ("the language has torch, torch.nn, torch.nn.functional, torch.autograd, typing, "
                "a subset of numpy, and Python's math, random, collections, itertools, functools, copy, operator, "
                "string, time, warnings and dataclasses; torch's functions are also there "
                "without any import")
_PLOTS = ("plots are not drawn here: gradviz's tables and its --svg picture show the values; "
          "delete the plotting lines")
# what a learner copying a tutorial's notebook most often imports besides torch
_IMPORT_HINTS = {
    "numpy": "gradviz's numpy subset has numpy.random and numpy.linalg; no file access "
             "(numpy.lib) or other submodules",
    "matplotlib": _PLOTS, "d2l": "d2l's helpers are not available (d2l.plot, d2l.Timer, its "
                                 "datasets): the tutorial's torch code runs without them; " + _PLOTS,
    "IPython": _PLOTS,
    "torchvision": "datasets are not available: make data with torch.randn or torch.rand "
                   "after torch.manual_seed(0)",
    **dict.fromkeys(("os", "sys", "pathlib", "pickle", "subprocess", "shutil"),
                    "a program has no access to the machine (files, the environment, other "
                    "programs): keep its data in the program"),
    "tqdm": "progress bars are not available: loop over the items themselves "
            "(for X, y in loader:)",
    "argparse": "a program takes no command-line arguments: set the values in it "
                "(lr = 0.1, epochs = 3)",
}


class Interpreter:
    """Runs one program. `print` output goes to `out` (a text stream)."""

    def __init__(self, source: str, out, limits: Limits | None = None,
                 options: RunOptions | None = None):
        self.source = source
        self.module_hooks: dict = {}     # id(module) -> its forward hooks (module_hooks.py)
        self.parametrized: set = set()   # id(module) of the parametrized layers (parametrize.py)
        self.anomaly = (False, True)     # detect_anomaly's (enabled, check_nan) (anomaly.py)
        self.hook_ids = 0
        self.out = out
        options = options or RunOptions()
        self.tape = Tape(limits, options.default_float)
        # called before every reverse pass (forward mode, gradient check)
        self.on_backward = options.on_backward
        # what that hook is doing, for the progress line: [what, done, total],
        # a list it counts up in place (progress.run_poll reads it)
        self.aside_step: list | None = None
        self.env: dict = {}
        self.clock = 0.0                # the seconds of its time module (pytime)
        self.warnings_ignored = False   # warnings.filterwarnings('ignore') ran (pywarnings)
        # the names of the program (scopes[0]) and of each function call
        # running (the last is self.env)
        self.scopes: list = [self.env]
        self.calls: list = []          # the UserFunction of each call running
        # the names of the list, set and dict comprehensions running that make
        # functions (a lambda in one reads its loop names: _ComprehensionNames)
        self.comprehension_names: list = []
        self.makes_functions: dict = {}   # id of a comprehension -> whether it holds a lambda
        self.loop_passes: list = []    # the pass of each loop running, outermost first
        # in a generator's block: the passes of the loops running around the
        # next() that resumed it, which label its nodes first (resume)
        self.pass_prefix: tuple = ()
        self.loop_texts: dict = {}     # span -> what a loop walks, for its labels (_walks)
        self.deadline = None           # the time limit's, set by run()
        # ids of the tensors that may be held by more than their own name (a
        # second name, a list, a tuple): an in-place write with gradients
        # makes a new node that every holder must see (_rebind), and only
        # these need a look at every name
        self.aliased: set = set()
        self.span = None               # span of the call being evaluated
        # lines to add to the spans of the statement being run: a repeated
        # line shares its tree, parsed at line 1 (syntax.Repeat)
        self.shift = 0
        self._rng = None               # made on first use (see rng)
        self._py_random = None         # Python's random module's generator (py_random)
        self.np_random = None          # numpy's np.random generator, made on first use (pynumpy)
        self.np_elements = [0]         # the elements the program's numpy arrays hold (pynumpy)
        self.object_ids = {}           # id(): Python id -> (object, the number shown)
        self.hooks: dict = {}          # register_hook(): tensor -> [[hook], ...]
        # the hooks of a tensor's backward node (grad_fn, a leaf's
        # AccumulateGrad): tensor -> {"pre", "post", "accumulated": [[hook], ...]}
        self.node_hooks: dict = {}
        # a module's backward hooks: its BackwardHookFunction nodes -> what
        # a pass runs there (module_hooks._Runner); the running pass's
        # autodiff.Waiting, which they read
        self.module_bw: dict = {}
        self.module_waiting = None
        self.dual_tangents = None      # in a fwAD.dual_level(): tensor -> tangent (forward_ad)
        # torch.autograd.graph's hooks (saved_hooks): the active
        # saved_tensors_hooks() (innermost last), the messages of the
        # disable_saved_tensors_hooks() blocks being run, and per node
        # packed while hooks were active (or given their own by
        # register_hooks): [(slot, saved, packed, unpack)]
        self.saved_hooks: list = []
        self.saved_hooks_disabled: list = []
        self.packed: dict = {}
        self.handling: list = []       # the errors the except blocks running handle
        self.line = 0                  # the statement being run (for internal errors)
        self.default_device = None     # torch.set_default_device's, when not the CPU
        self.switches: dict = {}       # torch.backends.cudnn.benchmark = ..., threads (machine)
        self.print_options = DEFAULT_OPTIONS   # torch.set_printoptions's

    @property
    def rng(self) -> "functions.CPUGenerator":
        """The random generator of randn()/rand(), seeded 0 until manual_seed():
        made on first use, as importing numpy.random costs a program that draws
        nothing a tenth of its start-up."""
        if self._rng is None:
            self._rng = functions.CPUGenerator(0)
        return self._rng

    @rng.setter
    def rng(self, value: "functions.CPUGenerator") -> None:
        self._rng = value

    @property
    def py_random(self):
        """The generator of the program's `import random` (pyrandom), the
        run's own, seeded pyrandom.DEFAULT_SEED until random.seed(): made on
        first use, as Python's random module is not loaded at start-up."""
        if self._py_random is None:
            import random
            self._py_random = random.Random(pyrandom.DEFAULT_SEED)
        return self._py_random

    # ---- statements ---------------------------------------------------
    def where(self, node) -> Span:
        """Where node is in the program: its span, plus the shift of a
        repeated line's shared tree. Every span the run reads from the
        syntax tree comes through here (or the same lines, inline)."""
        span = node.span
        k = self.shift
        return _new(Span, (span[0] + k, span[1], span[2] + k, span[3])) if k else span

    def run(self, program: syntax.Program):
        """Run every statement; explicit stack of blocks, so no recursion.
        A frame: the statements to run (an iterator), the grad mode to
        restore when they are done (a `with` block's) or None, the line
        shift, and whether it is a loop's: its iterator (_loop) gives the
        block once per pass, as a tuple, which goes on the stack."""
        timeout = self.tape.limits.timeout
        self.deadline = time.monotonic() + timeout if timeout else None
        try:
            self._execute(program.body, 0)
        except GradvizError as exc:
            if exc.span is None and self.line:
                # stopped between statements (the time limit's watchdog in a
                # loop's own steps): the line that was running
                raise exc.at(self._line_span(self.line))
            raise

    def _walks(self, node) -> str:
        """What a for loop (or a comprehension's clause) walks, as the
        program writes it, short (a long call as "data_iter(…)"): its
        passes' labels index it ("batches[2]")."""
        span = self.where(node)
        text = self.loop_texts.get(span)
        if text is None:
            lines = self.source.split("\n")[span.line - 1:span.end_line]
            if lines:
                lines[-1] = lines[-1][:span.end_col - 1] if span.end_line > span.line \
                    else lines[-1][span.col - 1:span.end_col - 1]
                if span.end_line > span.line:
                    lines[0] = lines[0][span.col - 1:]
            text = " ".join(" ".join(lines).split())
            if len(text) > LOOP_TEXT:
                call = text.find("(")
                text = (text[:call] + "(…)" if 0 < call < LOOP_TEXT - 3 and text.endswith(")")
                        else text[:LOOP_TEXT - 1] + "…")
            self.loop_texts[span] = text
        return text

    def _line_span(self, line: int) -> Span:
        lines = self.source.split("\n")
        text = lines[line - 1] if 0 < line <= len(lines) else ""
        start = len(text) - len(text.lstrip())
        return Span(line, start + 1, line, max(len(text.rstrip()), start) + 1)

    def _execute(self, body: tuple, shift: int) -> None:
        """Run a block of statements on a frame stack of its own: the
        program's, a function's, or a try's blocks. Whatever leaves it (a
        `return` as a _Return, a break as a _LoopJump, an error a try may
        catch) undoes the `with` blocks it was in."""
        frames = [(iter(body), None, shift, False)]
        while True:
            try:
                self._frames(frames)
                return
            except GradvizError as exc:
                # (the program's context managers see the error, and may end it)
                if not (exceptions.catchable(exc) and self._exit_suppresses(frames, exc)):
                    self._unwind(frames)
                    raise
            except BaseException:
                self._unwind(frames)
                raise

    def _exit_suppresses(self, frames: list, exc: GradvizError) -> bool:
        """Leave the blocks of a frame stack up to the innermost `with` block
        of the program's context manager, whose __exit__ is told of exc: True
        when it returns a true value (the error ends there, and the frames
        left go on after that block); False when no such block is left."""
        while frames:
            it, ctx, _, loop = frames.pop()
            if loop:
                it.close()
            if ctx is None:
                continue
            if ctx[2].__class__ is not classes.Instance:
                self._leave_with(ctx)
                continue
            self.tape.grad_enabled, self.tape.no_grad_block = ctx[0], ctx[1]
            if classes.exit_context(self, ctx[2], exc):
                # (the record keeps it, as an except block's: see _try)
                self.tape.events.append({"kind": "caught", "line": exc.span.line if exc.span
                                         else self.line, "type": exc.kind,
                                         "message": exc.message})
                return True
        return False

    def _unwind(self, frames: list) -> None:
        """Leave the blocks of a frame stack that an error (or a generator's
        end) leaves: their `with` blocks undone, their loops closed."""
        for it, ctx, _, loop in reversed(frames):
            if ctx is not None:
                self._leave_with(ctx)
            if loop:
                it.close()            # (its loop's passes end here)
        frames.clear()

    def close_generator(self, gen) -> None:
        """gen.close(): the blocks where the generator stopped are left."""
        self._unwind(gen.frames)

    def _frames(self, frames: list) -> None:
        deadline = self.deadline
        while frames:
            body, ctx, shift, _ = frames[-1]
            for stmt in body:     # (left at a block: it goes on the stack)
                cls = stmt.__class__
                if cls is _Repeat:
                    self.shift = stmt.shift
                    stmt = stmt.stmt
                elif cls is tuple:            # a loop's block, for one more pass
                    frames.append((iter(stmt), None, shift, False))
                    break
                elif cls is _LoopElse:        # the loop is done: its else block instead
                    frames.pop()
                    body.close()
                    frames.append((iter(stmt.body), None, shift, False))
                    break
                else:
                    self.shift = shift
                span = self.where(stmt)
                self.line = span.line
                if deadline is not None and time.monotonic() > deadline:
                    raise timeout_error(self.tape.limits.timeout).at(span)
                try:
                    cls = stmt.__class__
                    if cls is _Assign:
                        self._assign(stmt)
                    elif cls is _ExprStmt:
                        self.eval(stmt.value)
                    elif cls is _With:
                        saved = (self.tape.grad_enabled, self.tape.no_grad_block,
                                 self._enter_with(stmt))
                        frames.append((iter(stmt.body), saved, self.shift, False))
                        break
                    elif cls is syntax.If:
                        block = self._branch(stmt)
                        if block:
                            frames.append((iter(block), None, self.shift, False))
                            break
                    elif cls is syntax.Match:
                        block = pymatch.case_block(self, stmt)
                        if block:
                            frames.append((iter(block), None, self.shift, False))
                            break
                    elif cls is syntax.While or cls is syntax.For:
                        frames.append((self._loop(stmt, span, self.shift), None, self.shift,
                                       True))
                        break
                    elif cls is syntax.Jump:
                        if stmt.kind != "pass":
                            self._jump(frames, stmt.kind == "break")
                            break
                    elif cls is syntax.Return:
                        raise _Return(None if stmt.value is None else self.eval(stmt.value))
                    elif cls is syntax.Yield:
                        raise _Yield(None if stmt.value is None else self.eval(stmt.value),
                                     stmt.delegate, stmt.target)
                    elif cls is syntax.FunctionDef:
                        self._define(stmt)
                    elif cls is syntax.ClassDef:
                        self._define_class(stmt)
                    elif cls is _AugAssign:
                        self._augassign(stmt)
                    elif cls is syntax.ChainedAssign:
                        self._chained_assign(stmt)
                    elif cls is syntax.Import:
                        self._import(stmt)
                    elif cls is syntax.Assert:
                        self._assert(stmt)
                    elif cls is syntax.Global or cls is syntax.Nonlocal:
                        pass             # (declarations: see UserFunction.global_names)
                    elif cls is syntax.Delete:
                        self._delete(stmt)
                    elif cls is syntax.Try:
                        try:
                            self._try(stmt)
                        except _LoopJump as jump:
                            self._jump(frames, jump.leave)
                            break
                    elif cls is syntax.Raise:
                        exc = None if stmt.exc is None else self.eval(stmt.exc)
                        cause = None if stmt.cause is None else \
                            exceptions.check_cause(self.eval(stmt.cause))
                        error = classes.raised(self, exc) or exceptions.to_error(
                            exc, self.handling[-1] if self.handling else None)
                        if stmt.cause is not None:       # (e.__cause__ in the handler)
                            self._set_cause(error, cause)
                        raise error
                    elif cls is syntax.SetAttr:
                        self._setattr(stmt)
                    elif cls is syntax.SetItem:
                        self._setitem(stmt)
                    else:
                        raise GradvizError(f"unsupported statement {cls.__name__}",
                                           kind=RUNTIME)
                except GradvizError as exc:
                    raise exc.at(span)
                except _PROGRAM_ERRORS as exc:
                    raise self._program_error(exc, span) from None
            else:                 # the block is done
                frames.pop()
                if ctx is not None:
                    self._leave_with(ctx)

    def _program_error(self, exc: Exception, span) -> GradvizError:
        """The error of a statement (or a loop's test) that raised one of
        _PROGRAM_ERRORS. These come only from the program's own values, never
        from a bug: numbers too large for a tensor or a float, lists built
        inside lists thousands of times (the AST itself is bounded by the
        parser), calls inside calls, sizes within the limits that still do
        not fit in memory."""
        if isinstance(exc, OverflowError):
            # (Python's own error, as PyTorch's Python raises it: tensor([10**400]))
            return GradvizError(str(exc), kind="OverflowError", span=span,
                                hint=NUMBER_RANGE_HINT)
        if isinstance(exc, RecursionError):
            if len(self.scopes) > 1:    # in calls of the program's functions
                return GradvizError("maximum recursion depth exceeded", kind="RecursionError",
                                    span=span, hint="fewer calls inside one another")
            return GradvizError("the values in this statement are nested too deeply "
                                "(lists inside lists)", kind=LIMIT, span=span,
                                hint="build flatter lists, or a tensor")
        return GradvizError("out of memory", kind=LIMIT, span=span,
                            hint="make the tensors smaller, or lower --max-elements so that "
                                 "the limit catches them first")

    # ---- control flow -------------------------------------------------------

    def call_value(self, fn, args: list):
        """fn(*args) for a function value a builtin was given (sorted's key)."""
        if fn.__class__ is UserFunction:
            return self.call_function(fn, args, {})
        if fn.__class__ is Function:
            return fn.impl(self, *args)
        if fn.__class__ is BoundMethod:
            return fn.impl(self, fn.obj, *args)
        if fn.__class__ is UnboundMethod:     # map(torch.Tensor.exp, xs)
            return self.invoke(fn, list(args), None)
        if fn.__class__ in classes.CALLABLE:
            return classes.call(self, fn, args, {})
        raise self._not_callable(fn)

    def call_function(self, fn: "UserFunction", args: list, kwargs: dict):
        """A call of a function the program defined: its block run with its
        own names (the program's are read where it has none), as Python
        does; the value of its `return`, or None."""
        d = fn.defn
        if len(self.scopes) > MAX_CALL_DEPTH:
            raise GradvizError("maximum recursion depth exceeded", kind="RecursionError",
                               hint=f"gradviz runs calls {MAX_CALL_DEPTH} deep at most; "
                                    "a function that calls itself needs a case that stops")
        local = _bind_arguments(d, fn.defaults, args, kwargs, fn.qualname)
        if fn.global_names or fn.nonlocal_names:
            local = _Scope(local, self.scopes[0], fn.global_names, fn.closure,
                           fn.nonlocal_names)
        if fn.closure is not None:
            for name, value in fn.closure.items():
                if name not in fn.nonlocal_names:     # (read from the closure itself)
                    local.setdefault(name, value)
        if fn.generator:              # its block runs as its items are asked for
            return functions.FunctionGenerator(self, fn, local)
        line = self.line
        with self._in_block_of(fn, local):
            try:
                self._bind_arguments(local)
                self._execute(d.body, fn.shift)
                return None
            except _Return as r:
                return r.value
            except GradvizError as exc:
                exc.calls.append(f"  in {d.name}(), called on line {line}")
                raise

    @contextmanager
    def _in_block_of(self, fn: "UserFunction", local: dict):
        """While a function's block runs (a call's, a generator's step): its
        names (local) are the innermost, fn on the call stack, its grad mode
        (@torch.no_grad()) on; after it, all as they were, and the statement
        being run (span, line, shift) the caller's again."""
        if len(self.scopes) > MAX_CALL_DEPTH:
            raise GradvizError("maximum recursion depth exceeded", kind="RecursionError",
                               hint=f"gradviz runs calls {MAX_CALL_DEPTH} deep at most; "
                                    "a function that calls itself needs a case that stops")
        span, line, shift = self.span, self.line, self.shift
        mode = None
        if fn.grad_mode is not None:
            mode = (self.tape.grad_enabled, self.tape.no_grad_block)
            self._set_grad_mode(fn.grad_mode, fn.defn.span)
        self.scopes.append(local)
        self.calls.append(fn)
        outer, self.env = self.env, local
        try:
            yield
        finally:
            self.scopes.pop()
            self.calls.pop()
            self.env = outer
            self.span, self.line, self.shift = span, line, shift
            if mode is not None:
                self.tape.grad_enabled, self.tape.no_grad_block = mode

    def _bind_arguments(self, local: dict) -> None:
        """A block's parameters, bound: an unnamed tensor passed in takes the
        parameter's name, and is held by the caller too (see aliased)."""
        for name, value in local.items():
            self._bind(name, value)
            if value.__class__ is Tensor:
                self.aliased.add(id(value))

    def resume(self, gen: "functions.FunctionGenerator", sent=None):
        """The next item of a generator function's call: its block runs from
        where it stopped to the next `yield`, with its own names, as
        call_function runs a call's block; StopIteration when the block ends
        (or returns). A `yield from` walks its iterable first. Its nodes are
        labelled with the passes of the loops around the next() that asked
        for the item, then its own loops' (pass_prefix). ``sent`` is the
        value of the yield it stopped at (None for next(), v for send(v))."""
        fn = gen.fn
        while True:
            if gen.inner is not None:         # yield from: its items first
                inner = gen.inner
                try:                          # (what it is sent goes on to a generator)
                    if sent is not None and inner.__class__ is functions.FunctionGenerator:
                        return self.resume(inner, sent)
                    return next(inner)
                except StopIteration as stop:   # its value: the inner generator's return
                    gen.inner = None
                    sent = stop.value
            if gen.done:
                raise StopIteration
            if gen.running:
                raise GradvizError("generator already executing", kind=VALUE,
                                   hint="a generator cannot ask itself for its next item")
            first = gen.frames is None
            line = self.line
            passes, prefix = self.loop_passes, self.pass_prefix
            try:
                # (@torch.no_grad() on a generator: each step runs in it)
                with self._in_block_of(fn, gen.local):
                    if first:
                        gen.frames = [(iter(fn.defn.body), None, fn.shift, False)]
                    self.pass_prefix, self.loop_passes = prefix + tuple(passes), gen.passes
                    gen.running = True
                    try:
                        if first:
                            self._bind_arguments(gen.local)
                        self._mark_pass()
                        if gen.target is not None:    # got = yield v: got is what was sent
                            target, gen.target = gen.target, None
                            self._unpack(target, sent)
                        self._frames(gen.frames)
                        gen.done = True               # the end of its block
                    except _Yield as y:
                        gen.target = y.target
                        if not y.delegate:
                            return y.value
                        gen.inner = iter(self._items(y.value, self.span))
                    except _Return as r:
                        gen.done = True
                        self._unwind(gen.frames)
                        raise StopIteration(r.value)     # (next() shows its value)
                    except BaseException as exc:
                        gen.done = True
                        self._unwind(gen.frames)
                        if isinstance(exc, GradvizError):
                            if exc.kind == "StopIteration":
                                raise _escaped_stop() from None
                            exc.calls.append(f"  in {fn.defn.name}(), called on line {line}")
                        raise
                    finally:
                        gen.running = False
                        self.pass_prefix, self.loop_passes = prefix, passes
            finally:            # (the labels of the loops around the next(), again)
                self._mark_pass()

    def truth(self, v) -> bool:
        """bool(v) as Python and PyTorch take it (if, while)."""
        if v.__class__ is Tensor:
            n = v.data.size
            if n == 1:
                return bool(v.data.reshape(()))
            what = "no values" if n == 0 else "more than one value"
            raise GradvizError(f"Boolean value of Tensor with {what} is ambiguous",
                               kind=RUNTIME, hint="reduce it to one value first, e.g. "
                                                  "(x > 0).all() or x.sum() > 0")
        if v is None or v.__class__ in (bool, int, float, str, list, tuple, range, dict, set,
                                        frozenset) or v.__class__ in DICT_VIEWS:
            return bool(v)
        if v.__class__ is classes.Instance:       # its __bool__, else its __len__
            for name in ("__bool__", "__len__"):
                if classes.method_of(v, name) is not None:
                    return bool(classes.call_method(self, v, name, []))
        if v.__class__ is pycollections.Deque:
            return bool(v)
        if v.__class__ is NumpyArray:
            return _numpy_arrays().truth(v)
        return True                   # functions, modules, grad_fn objects...

    def _branch(self, stmt) -> tuple:
        """The block an if/elif/else chain runs (its tests evaluated in turn)."""
        while True:
            span = self.where(stmt)
            self.line = span.line
            if self.truth(self.eval(stmt.test)):
                return stmt.body
            orelse = stmt.orelse
            if len(orelse) == 1 and orelse[0].__class__ is syntax.If:
                stmt = orelse[0]         # an elif
                continue
            return orelse

    def _loop(self, stmt, span, shift: int):
        """A while or for loop's frame: its block once per pass. Its test (or
        next item) is taken here, between passes, on its own line."""
        test = stmt.test if stmt.__class__ is syntax.While else None
        items = item = None
        passes = self.loop_passes
        depth = len(passes)
        passes.append(None)
        n = 0
        try:
            while True:
                self.shift = shift
                self.line = span.line
                try:
                    if test is not None:
                        if not self.truth(self.eval(test)):
                            break
                    else:
                        if items is None:
                            items = self._items(self.eval(stmt.iter), span)
                        if items.__class__ in functions.LAZY_ITERATORS:
                            # it computes the next pass's item now (a generator's
                            # block, a DataLoader's batch): its nodes are that pass's,
                            # made on this line unless a block of its own runs
                            del passes[depth + 1:]
                            passes[depth] = _pass_label(stmt.target, (), n + 1,
                                                        self._walks(stmt.iter))
                            self._mark_pass()
                            self.span = self.where(stmt.iter)
                        item = next(items, _DONE)
                        if item is _DONE:
                            break
                        if stmt.target.__class__ is str:
                            self._bind(stmt.target, item)
                        else:
                            self._unpack(stmt.target, item)
                except GradvizError as exc:
                    raise exc.at(span)
                except _PROGRAM_ERRORS as exc:
                    raise self._program_error(exc, span) from None
                n += 1
                del passes[depth + 1:]
                passes[depth] = (f"iteration {n}" if test is not None else
                                 _pass_label(stmt.target, item, n, self._walks(stmt.iter)))
                self._mark_pass()
                yield stmt.body
            if stmt.orelse:   # the loop ran out (no break): its else block, outside it
                yield _LoopElse(stmt.orelse)
        finally:              # the loop ended, broke off, or a return left it
            del passes[depth:]
            self._mark_pass()

    def _mark_pass(self) -> None:
        """The tape from here on is made in the loop passes now running
        (nested loops: "i=1, j=0"), or in none."""
        marks = self.tape.loop_marks
        here = len(self.tape.nodes)
        # (None: a loop whose first item is being taken, as a comprehension
        # in its iterable runs)
        passes = self.loop_passes
        if self.pass_prefix:
            passes = self.pass_prefix + tuple(passes)
        label = ", ".join([p for p in passes if p is not None]) or None
        if marks and marks[-1][0] == here:
            marks.pop()                   # nothing was made in the last one
        if (marks[-1][1] if marks else None) != label:
            marks.append((here, label))

    def _items(self, v, span):
        """An iterator over what a for loop walks: a range, list, tuple or
        string (its characters), or a tensor's rows (PyTorch unbinds it when
        the loop starts: views of it, each with UnbindBackward0 when recorded)."""
        if v.__class__ in (range, list, tuple, str, Size, ReturnTypes) or v.__class__ in ITERATORS:
            return iter(v)      # (a named tuple of max(dim), sort, topk: values, indices)
        if v.__class__ in modules.SEQUENCES:
            return iter(v.items)
        if v.__class__ is modules.ModuleDict:
            return iter(list(v.keys))          # its names, as a dict's keys
        if classes.method_of(v, "__iter__") is not None:
            it = classes.call_method(self, v, "__iter__", [])
            if it.__class__ not in ITERATORS:     # Python's check: a list is not an iterator
                raise GradvizError(f"iter() returned non-iterator of type "
                                   f"'{self.type_name(it)}'", kind=TYPE,
                                   hint="__iter__ returns an iterator: iter(self.items), or "
                                        "yields the items (a generator)")
            return it
        if classes.method_of(v, "__getitem__") is not None:     # Python's walk by __getitem__
            return data.getitem_walk(self, v)
        if v.__class__ is data.DataLoader:
            return v.iterate(self)
        if v.__class__ is NumpyArray:
            return iter(_numpy_arrays().rows(v))
        if v.__class__ is data.TensorDataset:
            return iter([data.item(self, v, i) for i in range(len(v))])
        if v.__class__ in data.INDEXED or v.__class__ in data.SAMPLERS:
            return data.walk_items(self, v)
        if v.__class__ in DICTS or v.__class__ in DICT_VIEWS:
            return pymethods.DictWalk(v)      # (Python's error if the loop resizes it)
        if v.__class__ in pymethods.SETS:
            return pymethods.SetWalk(v)       # (in Python's hash order)
        if isinstance(v, tuple) or v.__class__ is pycollections.Deque:
            return iter(v)                    # a namedtuple's fields, a deque's items
        if v.__class__ is Tensor:
            if v.data.ndim == 0:
                raise GradvizError("iteration over a 0-d tensor", kind=TYPE,
                                   hint="a 0-d tensor has no rows; use it as it is")
            self.span = span
            return iter(functions.numbered_outputs(
                [self.apply(OPS["index"], (v,), {"index": (i,), "advanced": False,
                                                 "grad_fn": "UnbindBackward0"})
                 for i in range(v.data.shape[0])]))
        raise GradvizError(f"'{self.type_name(v)}' object is not iterable", kind=TYPE,
                           hint="a for loop walks a range(...), a list, a tuple, a dict, a "
                                "set, a string or a tensor")

    def _jump(self, frames: list, leave: bool) -> None:
        """break (leave) or continue: the blocks inside the innermost loop are
        left (a `with` block's grad mode restored); break leaves the loop too."""
        while True:
            if not frames:               # the loop is outside this block (a try's)
                raise _LoopJump(leave)
            it, ctx, _, loop = frames[-1]
            if loop:
                if leave:
                    frames.pop()
                    it.close()
                return
            frames.pop()
            if ctx is not None:
                self._leave_with(ctx)

    def _unpack(self, target, value) -> None:
        """a, b = value (an assignment's, a for loop's), nested targets (i,
        (X, y)), a starred one (a, *rest), attributes and items (self.a, x[0])
        included, bound left to right
        as Python binds them, in Python's words when the counts differ; a
        tensor unpacks into its rows, as PyTorch's."""
        stack = [(target, value)]
        while stack:
            target, value = stack.pop()
            if target.__class__ is str:
                self._bind(target, value)
            elif target.__class__ is syntax.Starred:
                self._bind(target.value, value)
            elif target.__class__ is syntax.Attribute:   # self.a, self.b = a, b
                obj = self.eval(target.value)
                self.span = self.where(target)
                self.set_attribute(obj, target.attr, value)
            elif target.__class__ is syntax.Subscript:   # x[0], x[1] = x[1], x[0]
                obj = self.eval(target.value)
                index = self._index_items(target)
                self.span = self.where(target)
                self._store_item(obj, index, value)
            else:
                stack.extend(reversed(_unpacked(target, self._unpack_items(value))))

    def _unpack_items(self, value) -> tuple:
        """The items a tuple of targets takes from value."""
        if value.__class__ is Tensor or value.__class__ in DICTS or value.__class__ in DICT_VIEWS \
                or value.__class__ in pymethods.SETS \
                or isinstance(value, modules.Sequential):   # *hidden, last = net.layers
            return tuple(self._items(value, self.span))
        if (value.__class__ in (list, tuple, range, str, ReturnTypes, forward_ad.UnpackedDual, Size,
                                rnn_utils.PackedSequence)
                or value.__class__ in ITERATORS):     # (h, w = K.shape: d2l's corr2d)
            return tuple(value)
        if isinstance(value, tuple) or value.__class__ is pycollections.Deque:
            return tuple(value)                 # x, y = point (a namedtuple)
        raise GradvizError(f"cannot unpack non-iterable {self.type_name(value)} object",
                           kind=TYPE, hint="a list, tuple, dict, string or tensor unpacks "
                                           "into names")

    def _assign(self, stmt):
        node = stmt.value
        try:                      # self.eval(node), without its call
            value = _EVAL[node.__class__](self, node)
        except GradvizError as exc:
            raise exc.at(self.where(node))
        if stmt.targets:
            self._unpack(stmt.targets, value)
        else:                     # self._bind(stmt.target, value)
            name = stmt.target
            self.env[name] = value
            if value.__class__ is Tensor:
                self._name_tensor(value, name)
            elif value.__class__ in _HOLDERS:
                self._mark_held(value, name)
            elif value.__class__ in modules.CLASSES or value.__class__ is classes.Instance:
                modules.name_parameters(value, name)

    def _name_tensor(self, value: Tensor, name: str) -> None:
        """A tensor bound to name takes it as its name if it has none; a
        function's own name for it is noted with the function (its x is
        not the program's x: Tape.local_names); a second name makes it
        aliased."""
        if value.name is None:
            value.name = name
            if len(self.scopes) > 1 and self.calls and value.seq >= 0:
                self.tape.local_names[value.seq] = self.calls[-1].qualname
        elif value.name != name:
            self.aliased.add(id(value))

    def _chained_assign(self, stmt):
        """a = b = v: v once, bound to a, then to b (Python's order)."""
        value = self.eval(stmt.value)
        for target in stmt.targets:
            self._unpack(target, value)

    def _bind(self, name, value):
        # shadowing a function name is allowed, as in Python
        self.env[name] = value
        if value.__class__ is Tensor:
            self._name_tensor(value, name)
        elif value.__class__ in _HOLDERS:
            self._mark_held(value, name)
        elif value.__class__ in modules.CLASSES or value.__class__ is classes.Instance:
            modules.name_parameters(value, name)     # net: its net[0].weight, ...

    def _mark_value_held(self, value) -> None:
        """value was put into a list: a tensor there has a holder more."""
        if value.__class__ is Tensor:
            self.aliased.add(id(value))
        elif value.__class__ in _HOLDERS:
            self._mark_held(value)

    def _mark_held(self, value, name: str | None = None) -> None:
        """The tensors of a list, tuple, dict or return value bound to a name
        are held by it too (see aliased). A dict bound to a name names the
        tensors it holds that have none: params['w'] in the tables and the
        graph, where a tensor in a list keeps its expression."""
        if value.__class__ in DICTS:
            if name is not None:
                for key, t in value.items():
                    self._name_item(name, key, t)
            value = value.values()
        elif value.__class__ is ReturnTypes:
            value = tuple(value.items)
        self.aliased.update(id(t) for t in value if t.__class__ is Tensor)

    @staticmethod
    def _name_item(name: str, key, t) -> None:
        """t, held by the dict named name under key, is named name[key]
        when it has no name of its own (and the key is a string or a number)."""
        if t.__class__ is Tensor and t.name is None and key.__class__ in _NAMING_KEYS:
            t.name = f"{name}[{key!r}]"

    def _augassign(self, stmt):
        target = stmt.target
        if target.__class__ is syntax.Subscript:
            return self._augassign_item(stmt)
        current = self.eval(target)
        result = self._updated(current, stmt)
        if result is not current or current.__class__ is not Tensor:
            return self._store(target, result)
        return None

    def _updated(self, current, stmt):
        """current after `current op= value` (stmt's op and value), as
        Python's __iadd__ and the others: a tensor or a list changed in
        place (its aliases see it), any other value a new one."""
        value = self.eval(stmt.value)
        sym = stmt.op.rstrip("=")
        span = self.where(stmt)
        if current.__class__ is Tensor and value.__class__ is NumpyArray and \
                not _numpy_arrays().is_scalar(value):
            # (PyTorch's in-place operator gives way to numpy's: a new tensor)
            self.span = span
            return _numpy_arrays().binary(self, sym, current, value)
        if current.__class__ is Tensor:
            if not (value.__class__ is Tensor or value.__class__ is NumpyArray or
                    isinstance(value, (int, float))):
                # (x * [2] repeats the list, as int * list does; in place it is
                # no tensor: PyTorch's __imul__ refuses it, as any value no
                # operand, before its in-place checks)
                raise GradvizError(f"unsupported operand type(s) for {stmt.op}=: 'Tensor' and "
                                   f"'{self.type_name(value)}'", kind=TYPE,
                                   hint="make it a tensor first: torch.tensor(the_list)"
                                   if value.__class__ in _SEQUENCES else
                                   f"x {stmt.op}= takes a tensor or a number")
            return self.update_in_place(current, sym, value, span, stmt.op)
        if current.__class__ is NumpyArray:     # a += 1: in a's memory, as numpy's __iadd__
            self.span = span
            return _numpy_arrays().binary(self, sym, current, value, in_place=True)
        if current.__class__ is list and sym in ("+", "*"):
            # as its __iadd__/__imul__: += takes any iterable (l += (4,))
            self.span = span
            if sym == "+":
                pymethods.list_method("extend")(self, current, value)
            elif isinstance(value, int):
                self._check_sequence_size(current, len(current) * max(value, 0))
                current *= value
            else:
                raise GradvizError(f"can't multiply sequence by non-int of type "
                                   f"'{self.type_name(value)}'", kind=TYPE)
            return current
        if current.__class__ in DICTS and sym == "|":
            # as dict's __ior__: d.update(value), a mapping or (key, value) pairs
            self.span = span
            pymethods.dict_update(self, current, (value,), {})
            return current
        if current.__class__ is set and sym in _SET_IN_PLACE:
            if value.__class__ not in pymethods.SETS:
                raise GradvizError(f"unsupported operand type(s) for {stmt.op}=: 'set' and "
                                   f"'{self.type_name(value)}'", kind=TYPE, span=span,
                                   hint=_SET_HINT)
            # as set's __ior__ and the others: the set changes in place (its
            # aliases see it); a frozenset's makes a new one, below
            self.span = span
            _SET_IN_PLACE[sym](current, value)     # (Python's order of the elements)
            self.tape.check_size(len(current), "set")
            return current
        try:
            return self.binary(sym, current, value, span)
        except GradvizError as exc:
            # Python names the augmented operator when neither operand takes it
            said = f"unsupported operand type(s) for {_said(sym)}:"
            if exc.message.startswith(said):
                exc.message = f"unsupported operand type(s) for {stmt.op}=:" + \
                    exc.message[len(said):]
            raise

    def update_in_place(self, current: Tensor, sym: str, value, span, label: str,
                        compute=None) -> Tensor:
        """`current <sym>= value` in place (`y += v`, `y.add_(v)`): the
        tensor the program holds after it (a new node when recorded).
        compute, with gradients off only: makes the new value instead (an
        optimizer's fused p.add_(g, alpha=-lr))."""
        tape = self.tape
        if value.__class__ is Tensor and value is not current and compute is None:
            # (PyTorch's kernel checks its operands' memory before their shapes:
            # y.mul_(y[1:]) is this error, not the broadcast one)
            strides.check_input_overlap(current.data, value.data, True,
                                        "read from a copy: y[1:3] += y[0:2].clone()")
        if tape.grad_enabled and (current.requires_grad
                                  or (value.__class__ is Tensor and value.requires_grad)):
            return self.record_inplace(current, lambda: self.binary(sym, current, value, span))
        if compute is None and value.__class__ is Tensor and sym in _ITERATED_OPERATORS:
            _check_inplace_operands(current, value, tape.default_dtype)
        return self._write_unrecorded(
            current, compute or (lambda: self.binary(sym, current, value, span)), label)

    def change_in_place(self, current: Tensor, compute, label: str, args=(),
                        bump: bool = True, fills: bool = False) -> Tensor:
        """x.relu_(), x.exp_(), x.pow_(w), ...: compute() makes the new value,
        which is written into current as update_in_place writes (a new node
        when current or a tensor among args requires grad, PyTorch's checks
        and errors; bump: whether an unrecorded write bumps the version;
        fills: a fill with one number, see record_inplace)."""
        if self.tape.grad_enabled and (current.requires_grad or any(
                a.__class__ is Tensor and a.requires_grad for a in args)):
            return self.record_inplace(current, compute, fills)
        return self._write_unrecorded(current, compute, label, bump, fills)

    def _write_unrecorded(self, current: Tensor, compute, label: str,
                          bump: bool = True, fills: bool = False) -> Tensor:
        """An in-place write that autograd does not record: compute() with
        gradients off, written into current's memory, so that its aliases
        (detach(), .data) see the change, as in PyTorch; its version bumped
        (but where bump is False: x.apply_(f) writes behind the counter)."""
        tape = self.tape
        self._check_no_grad_view(current)
        result = self._with_grad_off(compute)
        self._check_result(current, result, recorded=False, fills=fills)
        if self.dual_tangents and result.__class__ is Tensor:
            forward_ad.before_plain_write(self, current, forward_ad.result_tangent(self, result))
        tape.before_inplace(current.data, current)
        if strides.holds_twice(current.data):
            self._write_per_appearance(current, result, compute)
        else:
            np.copyto(current.data, result.data, casting="unsafe")
        if bump:
            tape.versions.bump(current, self.line)
        self.log_event("inplace", current, op=label)
        self.inference_write_check(current)
        return current

    def _write_per_appearance(self, current: Tensor, result: Tensor, compute) -> None:
        """result (compute()'s first value) into current, a view whose
        elements share memory (overlapping unfold() windows, an
        as_strided()), as PyTorch's elementwise kernel writes it: one element
        after the other in its iteration order, so that an element held k
        times is changed k times, each change starting from the last one's
        value. Here in passes, pass r writing the r-th appearance of each
        element, compute() run again before each pass on what the last left."""
        for r, mask in enumerate(strides.appearances(current.data)):
            if r:
                self.tape.discard(result)
                result = self._with_grad_off(compute)
            with np.errstate(invalid="ignore"):
                current.data[mask] = result.data[mask].astype(current.data.dtype, copy=False)

    def _call_with_out(self, fn: Function, args: list, kwargs: dict) -> Tensor:
        """torch.mul(a, b, out=c) and the like: the result written into c
        (PyTorch's tutorial writes torch.matmul(t, t.T, out=y3)), as an
        in-place write autograd does not record, with PyTorch's refusal when
        an argument requires grad, its dtype rule, and its resize."""
        check_arguments = getattr(fn.impl, "check_arguments", None)
        if check_arguments is not None:
            check_arguments(args, kwargs)       # (with out=, which fn.impl does not take)
        out = kwargs.pop("out")
        if check_arguments is not None and out.__class__ in WRAPPED_NUMBERS:
            out = self._wrapped_number(out)
        if out.__class__ is not Tensor:
            raise GradvizError(f"{fn.name}(): argument 'out' must be Tensor, not "
                               f"{self.type_name(out)}", kind=TYPE,
                               hint="out= takes a tensor to write the result into")
        inputs = [out] + [a for v in [*args, *kwargs.values()]
                          for a in (v if isinstance(v, (list, tuple)) else (v,))]
        if self.tape.grad_enabled and any(a.__class__ is Tensor and a.requires_grad
                                          for a in inputs):
            raise GradvizError(
                f"{fn.name}(): functions with out=... arguments don't support automatic "
                "differentiation, but one of the arguments requires grad.", kind=RUNTIME,
                hint="leave out= out (y = torch.mul(a, b)), or compute it inside "
                     "`with torch.no_grad():`")
        saved = self.tape.grad_enabled
        self.tape.grad_enabled = False
        try:
            result = fn.impl(self, *args, **kwargs)
        except TypeError as exc:
            if _at_the_call(exc):
                raise _argument_error(fn.name, exc) from None      # (as _call's)
            raise
        finally:
            self.tape.grad_enabled = saved
        if result.__class__ is not Tensor:
            raise GradvizError(f"{fn.name}() with out= is not supported here", kind=TYPE,
                               hint=f"assign the result instead: y = torch.{fn.name}(...)")
        have, want = result.data.dtype, out.data.dtype
        if have != want and not np.can_cast(have, want, "same_kind") or (
                have.kind == "f" and want.kind in "iub") or (have.kind != "b" and want.kind == "b"):
            self.tape.discard(result)
            raise GradvizError(f"result type {functions.type_word(have)} can't be cast to the "
                               f"desired output type {functions.type_word(want)}", kind=RUNTIME,
                               hint=f"make out a {functions.type_word(have).lower()} tensor")
        if result.data.shape != out.data.shape:
            if out.data.size:
                self.log_event("user_warning", out, message=(
                    f"An output with one or more elements was resized since it had shape "
                    f"{list(out.data.shape)}, which does not match the required output shape "
                    f"{list(result.data.shape)}. This behavior is deprecated, and in a future "
                    "PyTorch release outputs will not be resized unless they have zero elements. "
                    "You can explicitly reuse an out tensor t by resizing it, inplace, to zero "
                    "elements with t.resize_(0)."))
            # resized as resize_ resizes it: its memory (grown past its end)
            # stays the one its aliases see
            inplace_views.resize_memory(self, out, result.data.shape)
            self.tape.before_inplace(out.data, out)
            np.copyto(out.data, result.data, casting="unsafe")
            self.tape.versions.bump(out, self.line)
            self.log_event("inplace", out, op=f"{fn.name}(out=)")
            return out
        return self._write_unrecorded(out, lambda: result, f"{fn.name}(out=)")

    def _wrapped_number(self, v) -> Tensor:
        """A number given as out= of a function whose forms take a number for
        a Tensor (torch.mul(x, 2, out=5), which its check let pass): the
        0-dim tensor PyTorch wraps it in, int64, float64, bool or complex128,
        so that its dtype rule and its resize apply."""
        return functions._leaf(self, np.asarray(v, WRAPPED_NUMBERS[v.__class__]), False, "out")

    def _check_result(self, current: Tensor, result, recorded: bool = True,
                      fills: bool = False, windows: bool = False) -> None:
        """_check_inplace_result, and a refused result taken back off the tape."""
        try:
            _check_inplace_result(current, result, recorded and not windows, fills)
        except GradvizError:
            if result.__class__ is Tensor and result is not current:
                self.tape.discard(result)
            raise

    def record_inplace(self, current: Tensor, compute, fills: bool = False) -> Tensor:
        """An in-place write with gradients to current (`y += v`,
        y.zero_()): compute() makes its result. Recorded out of place, as if
        `y = y + v` (the graph stays readable: y before and after are two
        nodes), but on y's memory like PyTorch's in-place op: aliases
        (detach(), views) see the new value, and the version check sees the
        write. The node before keeps a copy of its value. A write into a
        view of a base also makes the base's new node (CopySlices). fills: a
        fill with one number (zero_(), fill_(v)), which PyTorch lets into
        memory held twice (an expand), and refuses at backward."""
        multi_views.check_write(current)    # (current may need no grad, the write does)
        self.inplace_check(current)
        self.inference_write_check(current)     # (a write autograd records: refused before it)
        self._check_no_grad_view(current, grad=True)
        return self._write_recorded(current, compute, fills)

    def _write_recorded(self, current: Tensor, compute, fills: bool = False) -> Tensor:
        """record_inplace's write, and item assignment's (_setitem_recorded),
        once PyTorch's checks passed."""
        # (its kernel's refusal, before the write marks the views of the memory)
        _check_not_overlapping(current, fills)
        base = self._view_base(current)
        rebased = current.meta is not None and "rebased" in current.meta
        copy = values = None
        if base is not None and (fills or not strides.holds_twice(current.data)):
            # (made before the write marks the views of the memory: the
            # write's op keeps its edges to them as they were made)
            copy = self._part_of_base(base, current)
        try:
            family = self._before_recorded_write(current, base)
            if not fills and base is not None and copy is None:
                # (made before the write's op, which reads them)
                copy, values = self._windows_copy(base, current, compute)
            result = compute()
            windows = values is not None and any(a is current for a in result.args) and not (
                # w[0] = v: PyTorch writes the part w[0], which may hold each element once
                result.op.name == "setitem" and result.params["grad_fn"] == "CopySlices")
            self._check_result(current, result, fills=fills, windows=windows)
        except GradvizError:
            if copy is not None and values is None:
                self.tape.discard(copy)        # (a refused write leaves no node)
            raise
        if windows or (values is None and copy is not None):
            result.args = tuple(copy if a is current else a for a in result.args)
        if windows:
            result.data = values
            # (where PyTorch's forward mode differs from its reverse mode:
            # forward.ForwardRecorder, gradcheck)
            result.meta = {**(result.meta or {}), "windows": True}
        repeats = _repeats(current.data)       # (asked before _take_over copies it)
        if fills and repeats:
            # (a masked fill: an element is changed where any of its
            # positions is, as PyTorch's kernel leaves it)
            result.data = strides.filled(current.data, result.data)
        base_result = None if base is None else \
            self._write_through_view(base, current, result)
        if fills and repeats and base_result is not None and result.op.name == "masked_fill":
            # each element from a position the fill wrote (see ops.shape._put)
            base_result.params["written"] = np.broadcast_to(result.args[1].data,
                                                            current.data.shape)
        if fills and repeats and (current if base is None else base).requires_grad:
            # PyTorch's backward of such a write copies the gradient into
            # memory held twice: its error, there (only where the tensor
            # written through needs that gradient: not for a value that
            # requires grad filled into an expand of one that needs none)
            self.tape.versions.overlapped.update(
                t.seq for t in (result, base_result) if t is not None)
        self._take_over(current, result, base, base_result)
        if not rebased and current.meta is not None:
            # the view written into keeps, as the node it was, the grad_fn it
            # had (SliceBackward0); its new node has the rebuilt one
            current.meta.pop("rebased", None)
        # the family's root as the write left it: the base written through
        # current, or current itself when it is no view
        root = base_result if base is not None else None if is_view(current) else result
        if root is not None:
            for t in family:
                self._remake_view(t, root)
        if base is not None:
            # the view after the write is PyTorch's AsStridedBackward0 of the
            # base's CopySlices (for windows or an expand, its gradient adds
            # up over the positions that share an element): its hooks and
            # retain_grad() see only what reaches it from its uses from now on
            self._remake_view(result, base_result, written=True)
            return self._latest(result)
        return result

    def _view_root(self, t: Tensor) -> tuple[Tensor, bool]:
        """The tensor t is a view of (through x[0], x.T, x.view(...) and the
        writes into those views since), as the program holds it now, and
        whether t is a view at all (else t itself). Tensors with one root
        are one family: PyTorch's views of one base (a detach() or .data
        starts a family of its own)."""
        b = t
        viewed = False
        while b.op is not None and b.args and b.args[0].__class__ is Tensor:
            if self._written_view(b):
                b = b.args[0]            # an earlier write into this view: the view before
            elif (b.op.name in VIEW_OPS and not (b.params and b.params.get("advanced"))
                  and not unsafe_piece(b) and self._views_its_input(b)):
                b = self._latest(b.args[0])
                viewed = True
            else:
                break
        return b, viewed

    def _latest(self, t: Tensor) -> Tensor:
        """t, or the node an in-place write with gradients made of it since."""
        nodes = self.tape.nodes
        while t.meta is not None and "replaced_by" in t.meta:
            t = nodes[t.meta["replaced_by"]]
        return t

    def _views_its_input(self, t: Tensor) -> bool:
        """t, made by a view op, shares its input's memory (a reshape of a
        transposed tensor copies: it starts a family of its own); for a node
        written since (which holds a copy now), whether it did."""
        m = t.meta
        if m is not None and "replaced_by" in m:
            return m.get("was_view", False)
        return t.data.base is not None and \
            owner(t.data) is owner(self._latest(t.args[0]).data)

    def _view_base(self, t: Tensor) -> Tensor | None:
        """t's root (_view_root) when t is a view of its memory; None when t
        is no view, or its root is no plain C-ordered array (then the write
        is recorded on t alone, see _before_recorded_write)."""
        b, viewed = self._view_root(t)
        if not viewed or owner(b.data) is not owner(t.data) or b.data.ndim == 0 \
                or not b.data.flags.c_contiguous:
            return None
        return b

    def _check_no_grad_view(self, t: Tensor, cut: str | None = None,
                            grad: bool | None = None) -> None:
        """PyTorch refuses an in-place write that autograd records (grad:
        the write needs gradients, by default t does) into a view made under
        no_grad(), or a view of one, whichever tensor it views. cut: the
        write goes into the part t[i] (a view of t, named so: Select)."""
        if grad is None:
            grad = t.requires_grad
        if not (self.tape.grad_enabled and grad and multi_views.made_without_grad(t)):
            return
        # (PyTorch names the written view's grad_fn when it has one)
        if cut is None and t.recorded:
            cut = short_name(t.grad_fn_name)
        elif not t.requires_grad:
            cut = None
        what = (f"Output 0 of {cut} is a view of a view which was created in no_grad mode "
                "and " if cut else "A view was created in no_grad mode and ")
        raise GradvizError(what + NO_GRAD_VIEW, hint=multi_views.NO_GRAD_HINT)

    def _before_recorded_write(self, current: Tensor, base: Tensor | None) -> list:
        """An in-place write to current, about to be recorded out of place
        (_augassign, _setitem), base the tensor current views (_view_base):
        PyTorch's refusals this model adds, and the other tensors that share
        the memory snapshotted and marked. Returns the views of current's
        family that the program holds (see _remake_view)."""
        tape = self.tape
        if current.meta is not None and "grad_of" in current.meta or \
                id(current) in tape.grad_tensors:
            raise GradvizError("gradviz does not record a write with gradients into a .grad "
                               "tensor (PyTorch would make the .grad part of the graph)",
                               kind=RUNTIME, hint="change .grad tensors under "
                                                  "`with torch.no_grad():`")
        held = root = None
        family = []
        for t in tape.before_inplace(current.data, current):
            piece = not t.recorded and (_untracked_piece(t) or multi_views.made_without_grad(t))
            if t is not current and t is not base and (t.recorded or piece or _untracked_view(t)):
                # another view of the memory the program still holds, or
                # what current views when that is not known (base None):
                # PyTorch reroutes its gradient through this in-place op:
                # _remake_view does so after the write, where it can, and
                # backward refuses the others. Not a view the program no longer
                # holds (the x[0] of x[0][1] = v: only the ops made before
                # the write read it, and their gradients are right), nor a
                # tensor of another family (y when current is y.data or a
                # view of y.detach(): PyTorch leaves its gradient alone).
                if held is None:
                    held = self._held_tensors()
                    root = self._view_root(current)[0]
                if id(t) not in held or self._view_root(t)[0] is not root:
                    continue
                if piece:
                    # the base requires grad from now on, and so does t
                    # for PyTorch, which refuses to read its grad_fn (a
                    # view made under no_grad(): see multi_views.invalid)
                    t.requires_grad = True
                    if not multi_views.made_without_grad(t):
                        multi_views.invalidate(tape, t)
                    continue
                tape.versions.rewired[t.seq] = self.line
                family.append(t)
                if base is None and t.data is current.data.base:   # PyTorch's node for it
                    t.meta = t.meta or {}
                    t.meta["rebased"] = "CopySlices"
        return family

    def _remake_view(self, t: Tensor, root: Tensor, written: bool = False) -> None:
        """t, a view the program holds, after its family was written in place
        through another tensor (root: the tensor all of them view, as the
        write left it). PyTorch then makes t's grad_fn again, as
        AsStridedBackward0 of root: t's gradient goes through the write. So
        t is recorded again, as the elements of root at t's positions, on
        t's memory; its holders take the new node, and the node before stays
        with the value it had. An expanded view holds an element at several
        positions: their gradients add up there ("repeats"), as overlapping
        windows do. written: t is the node of a write into such windows,
        remade as well (_write_windows)."""
        if (t.meta or {}).get("rebased") == multi_views.INVALID_GRAD_FN:
            # a piece of a split: PyTorch makes no new grad_fn, it refuses
            # the piece from now on; what was made from it before reads
            # it as it was made, rightly
            del self.tape.versions.rewired[t.seq]
            return
        d, r = t.data, root.data
        if not ((written or is_view(t) or self._written_view(t) or _untracked_view(t))
                and r.base is None
                and r.flags.c_contiguous and owner(d) is r and r.ndim):
            return
        key = np.unravel_index(strides.positions(r, d), r.shape)
        params = {"index": key, "advanced": False, "grad_fn": REBASED_GRAD_FN}
        if _repeats(d) or strides.holds_twice(d):
            params["repeats"] = True
        new = self.apply(OPS["index"], (root,), params)
        new.data = d
        if t.meta is not None and "version_key" in t.meta:
            new.meta = new.meta or {}
            new.meta["version_key"] = t.meta["version_key"]
        if _repeats(d):        # (PyTorch's error for writes into all of an expand stays)
            new.meta = {**(new.meta or {}), "overlapping": True}
        self.tape.versions.rewired.pop(t.seq, None)
        if t.retains_grad:   # (retain_grad() follows the view to its new grad_fn)
            new.retains_grad, new.grad = True, t.grad
            t.retains_grad, t.grad = False, None
        t.meta = t.meta or {}
        # the grad_fn the view holds for PyTorch until it is next read
        # (multi_views.regrow): the one of the write before, if t was not
        # read since it was made again
        new.meta = new.meta or {}
        new.meta["regrows"] = t.meta.pop("regrows", t)
        if not written:
            # (PyTorch's view keeps its list of hooks through a grad_fn made
            # again: functions.m_register_hook; a write into the view itself
            # starts a new one)
            new.meta["remade_from"] = t
        self.tape.lazy_views.add(new.seq)
        t.meta.pop("rebased", None)       # the node before keeps its name
        t.meta["was_view"] = True
        t.meta["remade"] = True
        t.meta["replaced_by"] = new.seq
        self._rebind(t, new)

    def _written_view(self, t: Tensor) -> bool:
        """t is the node of an earlier write into a view (h after h.mul_(2)):
        for PyTorch still a view of its base, whose grad_fn a later write
        through the family makes again."""
        return t.seq in self.tape.versions.inplace_nodes and t.data.base is not None

    def _windows_copy(self, base: Tensor, current: Tensor, compute) -> tuple:
        """For an in-place write with gradients into current, a view of base
        whose elements share memory (overlapping unfold() windows): current's
        values read from base by a node whose gradient goes to each element
        from one of its positions only, the last, as PyTorch's CopySlices
        copies the op's gradient into its base's (current's own gradient,
        from its other uses, still adds up), for the op to take in current's
        place; and the op's values as PyTorch's write leaves them, made one
        appearance after the other (_write_per_appearance, on the memory,
        which is then given back its values: _take_over makes the write)."""
        key = np.unravel_index(strides.positions(base.data, current.data), base.data.shape)
        copy = self.apply(OPS["index"], (base,), {"index": key, "advanced": False,
                                                  "grad_fn": current.grad_fn_name})
        memory = base.data.copy()
        self._write_per_appearance(current, self._with_grad_off(compute), compute)
        values = np.array(current.data)
        np.copyto(base.data, memory)
        return copy, values

    def _part_of_base(self, base: Tensor, current: Tensor) -> Tensor:
        """For an in-place write with gradients into current, a view of base:
        current's elements read from base, which the write's op takes in
        current's place, as PyTorch's CopySlices runs the op on its base's
        gradient at the view's positions: current's own node (its
        SliceBackward0) sees none of that gradient, nor do its hooks."""
        key = np.unravel_index(strides.positions(base.data, current.data), base.data.shape)
        # (named by the view op that made current: SliceBackward0)
        return self.apply(OPS["index"], (base,), {"index": key, "advanced": False,
                                                  "grad_fn": current.op.grad_fn_for(current)})

    def _write_through_view(self, base: Tensor, current: Tensor, result: Tensor) -> Tensor:
        """The base's side of a write into its view current (result: current
        after it): the base with result written at current's positions, as
        PyTorch's CopySlices (base before -> CopySlices <- the view after)."""
        key = np.unravel_index(strides.positions(base.data, current.data), base.data.shape)
        node = self.apply(OPS["setitem"], (base, result),
                          {"index": key, "advanced": False, "grad_fn": "CopySlices"})
        # (its edges are the op's, gradfns: not those of a value written in
        # by x[i] = v, which may be a view of the same memory)
        node.meta = {**(node.meta or {}), "wraps_write": True}
        return node

    def _take_over(self, current: Tensor, result: Tensor, base: Tensor | None = None,
                   base_result: Tensor | None = None) -> None:
        """result, the out-of-place record of an in-place write to current,
        becomes current as the program sees it (and base_result the base
        current views, when the write went through a view): on its memory
        (the node before keeps a copy of its old value), with its
        retain_grad(), its version counter (one write for both), and every
        name and list that held it (PyTorch's in-place op keeps the tensor
        object: `z = y` then `y[0] = v` changes z too)."""
        if base_result is not None or is_view(current):
            # PyTorch's name for a view written in place: its grad_fn is
            # made again from its base's
            result.meta = result.meta or {}
            result.meta["rebased"] = REBASED_GRAD_FN
        versions = self.tape.versions
        pairs = ((current, result),) if base_result is None else \
            ((current, result), (base, base_result))
        for old, new in pairs:
            if old.retains_grad:   # retain_grad() follows the tensor, now new
                new.retains_grad, new.grad = True, old.grad
                old.retains_grad, old.grad = False, None
            if old.meta is not None and "version_key" in old.meta:
                # a counter that is not its memory's (.data): the write counts there
                new.meta = new.meta or {}
                new.meta["version_key"] = old.meta["version_key"]
        # the new values into the memory; the nodes before keep copies
        if current.op is not None and current.op.name in VIEW_OPS and current.args:
            current.meta = current.meta or {}
            current.meta["was_view"] = self._views_its_input(current)
        memory = current.data
        current.data = memory.copy()
        if base_result is None:
            np.copyto(memory, result.data, casting="unsafe")
        else:
            base_memory = base.data
            base.data = base_memory.copy()
            np.copyto(base_memory, base_result.data, casting="unsafe")
            base_result.data = base_memory
        result.data = memory
        versions.replaced(current, result, self.line)
        if base_result is not None:
            versions.replaced(base, base_result, None, bump=False)
        for old, new in pairs:
            old.meta = old.meta or {}
            old.meta["replaced_by"] = new.seq
            # the tensor object PyTorch keeps through the write (id())
            new.meta = new.meta or {}
            new.meta["object"] = old.meta.get("object", old)
            self._rebind(old, new)

    def _held_tensors(self) -> set:
        """ids of the tensors the program can still name: bound to a name,
        or in a list, tuple, dict or return value bound to one."""
        held = set()
        for v in (v for scope in self.scopes for v in scope.values()):
            if v.__class__ is Tensor:
                held.add(id(v))
            elif v.__class__ in (list, tuple, set, frozenset):
                held.update(id(item) for item in v if item.__class__ is Tensor)
            elif v.__class__ in DICTS:
                held.update(id(item) for item in v.values() if item.__class__ is Tensor)
            elif v.__class__ is ReturnTypes:
                held.update(id(t) for t in v.items)
            elif v.__class__ in classes.HOLDERS:
                held.update(id(t) for _, _, t in classes.held_tensors(v))
        return held

    def _rebind(self, old: Tensor, new: Tensor) -> None:
        """Every name, list, tuple, dict and return value of the program that held
        old holds new. A tensor no other holder took (see aliased) is held by
        its own name at most: no look at every name (a long program of
        in-place writes would take time quadratic in its length), but at
        that name in each scope (a function writing through a view of a
        tensor its caller names: the base's new node is the caller's)."""
        if id(old) not in self.aliased:
            if old.name is not None:
                for env in self.scopes:
                    if env.get(old.name) is old:
                        env[old.name] = new
            if new.name is None:
                new.name = old.name
            return
        self.aliased.add(id(new))
        for env in self.scopes:           # the program's names, and each call's
            for name, v in env.items():
                if v is old:
                    env[name] = new
                elif v.__class__ is list:
                    for i, item in enumerate(v):
                        if item is old:
                            v[i] = new
                elif v.__class__ is tuple and any(item is old for item in v):
                    env[name] = tuple(new if item is old else item for item in v)
                elif v.__class__ is set and old in v:      # (PyTorch's one tensor object)
                    v.discard(old)
                    v.add(new)
                elif v.__class__ is frozenset and old in v:
                    env[name] = frozenset(new if item is old else item for item in v)
                elif v.__class__ in DICTS:
                    for key, item in v.items():
                        if item is old:
                            v[key] = new
                    if old in v:        # a key: PyTorch's one tensor object, in its place
                        items = list(v.items())
                        v.clear()
                        v.update((new if key is old else key, item) for key, item in items)
                elif v.__class__ is ReturnTypes:
                    v.items = [new if t is old else t for t in v.items]
                elif v.__class__ in classes.HOLDERS:    # self.h, ctx.k
                    for where, key, t in classes.held_tensors(v):
                        if t is old:
                            where[key] = new
        if new.name is None:
            new.name = old.name

    def _store(self, target, value):
        if target.__class__ is syntax.Name:
            self._bind(target.id, value)
            return None
        if target.__class__ is syntax.Attribute:      # self.n += 1, Counter.count += 1
            obj = self.eval(target.value)
            if obj.__class__ in classes.WITH_ATTRIBUTES:
                classes.set_attribute(self, obj, target.attr, value)
                return None
        raise GradvizError("only a name can be assigned to here", kind=TYPE)

    def _with_grad_off(self, fn):
        saved = self.tape.grad_enabled
        self.tape.grad_enabled = False
        try:
            return fn()
        finally:
            self.tape.grad_enabled = saved

    def _enter_with(self, stmt):
        """Enter a `with` block's context, its `as` target bound to what it
        gives; True if it opened a dual level, the context of saved tensor
        hooks (saved_hooks), the program's object whose __exit__ leaves it,
        else False."""
        ctx = self.eval(stmt.context)
        if ctx.__class__ is classes.Instance:       # the program's context manager
            entered = classes.enter_context(self, ctx)
            if stmt.target is not None:
                self._unpack(stmt.target, entered)
            return ctx
        if stmt.target is not None:     # (torch's context managers give None; dual_level its level, 0)
            self._unpack(stmt.target, 0 if ctx.__class__ is forward_ad.DualLevel else None)
        if ctx.__class__ is forward_ad.DualLevel:
            forward_ad.enter_level(self)
            return True
        if ctx.__class__ in SAVED_HOOKS_CONTEXTS:
            saved_hooks.enter(self, ctx)
            return ctx
        if ctx.__class__ is anomaly.AnomalyMode:
            return anomaly.enter(self, ctx)
        if not isinstance(ctx, NoGrad):
            raise GradvizError("only `with torch.no_grad():` (or enable_grad(), "
                               "set_grad_enabled(mode), fwAD.dual_level(), "
                               "torch.autograd.graph.saved_tensors_hooks(), "
                               "torch.autograd.detect_anomaly()) is supported",
                               kind=TYPE, hint="write `with torch.no_grad():` or `with no_grad():`")
        span = self.where(stmt)
        last = _last_line(stmt) + self.shift       # (the With's span ends at its last header)
        if last > span.end_line:
            span = _new(Span, (span.line, span.col, last, span.end_col))
        self._set_grad_mode(ctx, span)
        return False

    def _set_grad_mode(self, ctx: NoGrad, span) -> None:
        """A grad-mode context entered (a with block, a decorated call)."""
        if ctx.enabled:               # enable_grad(), set_grad_enabled(True)
            self.tape.grad_enabled = True
            self.tape.no_grad_block = None
            return
        tape = self.tape
        inference = ctx.name == "inference_mode" or tape.inference_mode   # (no_grad() inside it too)
        tape.grad_enabled = False
        tape.no_grad_blocks.append(span)
        tape.no_grad_block = len(tape.no_grad_blocks) - 1
        if inference:
            tape.inference_blocks.add(tape.no_grad_block)

    def run_without_grad(self, title: str, fn, defn, shift: int):
        """fn() with gradients off, in a block of its own that the picture
        draws as a cluster titled `title` over the lines of defn (a custom
        Function's forward or backward: PyTorch runs them without grad)."""
        span = defn.span
        return self.run_in_block(title, fn, _new(Span, (span[0] + shift, span[1],
                                                        _last_line(defn) + shift, span[3])))

    def run_in_block(self, title: str, fn, span):
        """fn() with gradients off, in a block of its own over span that the
        picture draws as a cluster titled `title` (run_without_grad; an
        optimizer's step(), which PyTorch runs under no_grad)."""
        tape = self.tape
        saved = (tape.grad_enabled, tape.no_grad_block)
        tape.no_grad_blocks.append(span)
        tape.no_grad_block = len(tape.no_grad_blocks) - 1
        tape.block_titles[tape.no_grad_block] = title
        tape.grad_enabled = False
        try:
            return fn()
        finally:
            tape.grad_enabled, tape.no_grad_block = saved

    def _leave_with(self, ctx: tuple) -> None:
        """Leave a `with` block: the grad mode before it; a dual level closed."""
        self.tape.grad_enabled, self.tape.no_grad_block, dual = ctx
        if dual.__class__ is classes.Instance:
            classes.exit_context(self, dual, None)
        elif dual is True:
            forward_ad.exit_level(self)
        elif dual.__class__ is anomaly.AnomalyMode:
            anomaly.leave(self, dual)
        elif dual is not False:
            saved_hooks.leave(self, dual)

    def _setattr(self, stmt):
        """t.grad = None | tensor, t.requires_grad = bool, t.data = tensor: as
        PyTorch's setters, with their errors; no other attribute (PyTorch
        would take any)."""
        t = self.eval(stmt.obj)
        value = self.eval(stmt.value)
        self.span = self.where(stmt)
        self.set_attribute(t, stmt.attr, value)

    def set_attribute(self, t, attr: str, value) -> None:
        """t.attr = value (setattr(t, attr, value) too)."""
        if t.__class__ in classes.WITH_ATTRIBUTES:      # self.a = ..., ctx.k = ...
            classes.set_attribute(self, t, attr, value)
            return
        if t.__class__ is Module and (t.name, attr) in machine.SWITCHES:
            machine.set_switch(self, t.name, attr, value)
            return
        if t.__class__ is Tensor and attr == "volatile":      # (removed: no effect)
            tensor_compat.set_volatile(self, t)
            return
        if t.__class__ is Tensor and attr == "grad_dtype":
            tensor_compat.set_grad_dtype(self, t, value)
            return
        if t.__class__ is Tensor and (attr in TENSOR_ATTRIBUTES or
                                      attr in tensor_queries.ATTRIBUTES) and \
                attr not in ("grad", "requires_grad", "data"):
            # PyTorch's read-only properties of the C class (x.shape, x.name, x.is_leaf)
            raise GradvizError(f"attribute '{attr}' of 'torch._C.TensorBase' objects is not "
                               "writable", kind=ATTRIBUTE,
                               hint="a program can set x.grad, x.requires_grad and x.data")
        if t.__class__ is not Tensor or attr not in ("grad", "requires_grad", "data"):
            what = "a tensor's" if t.__class__ is Tensor else f"{self._kind(t)}'s"
            raise GradvizError(f"cannot set {what} attribute '{attr}'", kind=ATTRIBUTE,
                               hint="a program can set x.grad (None or a tensor of x's shape "
                                    "and dtype), x.requires_grad (on a leaf) and x.data (a "
                                    "tensor of x's shape and dtype)")
        if attr == "data":
            self._set_data(t, value)
            return
        if attr == "requires_grad":
            if value.__class__ is not bool:
                raise GradvizError("requires_grad must be a bool",
                                   hint="write x.requires_grad = True")
            if t.recorded:
                raise GradvizError(
                    "you can only change requires_grad flags of leaf variables." + (
                        "" if value else " If you want to use a computed variable in a "
                        "subgraph that doesn't require differentiation use var_no_grad = "
                        "var.detach()."), hint="set it on the input you created, before "
                                               "computing with it")
            if value and t.data.dtype.kind != "f":     # (the setter's words, not requires_grad_()'s)
                raise GradvizError("only Tensors of floating point and complex dtype can "
                                   "require gradients", kind=RUNTIME,
                                   hint="make it a float tensor first: x = x.float(), then "
                                        "x.requires_grad = True")
            functions.m_requires_grad_(self, t, value)
            return
        self.set_grad(t, value)

    def _set_data(self, t: Tensor, value) -> None:
        """t.data = value (the old tutorials' `w.data = w.data - lr * w.grad`):
        t's values become value's, unseen by autograd as PyTorch's set_data
        (no version bump: a backward that saved t reads the new values), as
        `t.data.copy_(value)` would. PyTorch makes t share value's memory
        from then on, and lets its shape and dtype change; gradviz copies
        the values, and asks for t's shape and dtype (and no view, whose
        new memory would no longer be its base's)."""
        if value.__class__ is not Tensor:
            raise GradvizError(f"Variable data has to be a tensor, but got {type(value).__name__}",
                               kind=TYPE, hint="assign a tensor: x.data = x.data - 0.1 * x.grad")
        if t.requires_grad and value.data.dtype.kind not in "fc":
            raise GradvizError("data set to a tensor that requires gradients must be floating "
                               "point or complex dtype", hint="assign a float tensor: "
                               "value.float()")
        # (a view whether it records or not: x[0] of a tensor that needs no grad too)
        viewed = t.op is not None and t.op.name in VIEW_OPS and t.data.base is not None
        if value.data.shape != t.data.shape or value.data.dtype != t.data.dtype or viewed:
            have = f"{list(t.data.shape)} {t.dtype_name}"
            raise GradvizError(
                f"gradviz sets x.data only to a tensor of x's shape and dtype ({have}), on a "
                f"tensor that is no view; got {list(value.data.shape)} {value.dtype_name}",
                kind=RUNTIME, hint="make a new tensor instead: x = value.detach()"
                                       ".requires_grad_() (for a leaf)")
        alias = self.tensor_attribute(t, "data")
        self.tape.before_inplace(alias.data, alias)
        np.copyto(alias.data, value.data)
        self.log_event("inplace", alias, op=".data =")

    def set_grad(self, t: Tensor, value) -> None:
        """t.grad = value (None, or a tensor of t's shape and dtype)."""
        if value is not None:
            if value.__class__ is not Tensor:
                raise GradvizError("assigned grad expected to be a Tensor or None but got grad "
                                   f"of type {type(value).__name__}", kind=TYPE,
                                   hint="assign None, or a tensor of the same shape")
            if value.data.shape != t.data.shape:
                raise GradvizError(f"attempting to assign a gradient of size "
                                   f"'{list(value.data.shape)}' to a tensor of size "
                                   f"'{list(t.data.shape)}'. Please ensure that the gradient "
                                   "and the tensor are the same size",
                                   hint="the gradient has the tensor's shape")
            want = grad_dtype(t)
            if want is not None and value.data.dtype != want:
                raise GradvizError(
                    f"attempting to assign a gradient with dtype "
                    f"'{functions.cpp_type_word(value.data.dtype)}' to a tensor with grad_dtype "
                    f"'{functions.type_word(want)}'"
                    ". The gradient must match the tensor's grad_dtype",
                    hint=f"make it {DTYPE_NAMES[want]}: .to(torch.{DTYPE_NAMES[want]})")
            if value.seq < 0:
                self.tape.add(value, self.span)
            self.tape.grad_tensors[id(value)] = (t, value)   # backward adds into it in place
        t.grad = value
        self.log_event("grad_set", t, value=None if value is None else value.seq)

    def _import(self, stmt):
        """import torch(.x.y) [as z], from torch(.x) import a [as b], ...: binds
        the module (or its members) torch's module tree has; `import torch`
        and `import torch.nn` bind nothing new (torch is always there)."""
        names = stmt.module.split(".")
        module = top = importable(names[0])
        for name in names[1:]:
            if module is None:
                break
            module = module.members.get(name)
            if module.__class__ is not Module:
                module = None
        if module is None:
            raise GradvizError(f"No module named {stmt.module!r}", kind="ModuleNotFoundError",
                               hint=_IMPORT_HINTS.get(names[0], _IMPORT_HINT))
        if stmt.alias:
            self.env[stmt.alias] = module
        elif not stmt.names and names[0] != "torch":
            self.env[names[0]] = top       # import math binds math (torch is always there)
        for name, alias in stmt.names:
            v = module.members.get(name)
            if v is None and name not in module.members:      # (numpy's newaxis is None)
                refused = names[0] == "numpy" and _numpy_arrays().REFUSED.get(name)
                raise GradvizError(f"cannot import name {name!r} from {stmt.module!r}",
                                   kind=IMPORT, hint=refused or
                                   did_you_mean(name, module.members) or
                                   f"{stmt.module} has " + ", ".join(sorted(module.members)))
            self.env[alias] = v

    # ---- expressions --------------------------------------------------
    def eval(self, node):
        try:
            return _EVAL[node.__class__](self, node)
        except GradvizError as exc:
            raise exc.at(self.where(node))

    def _num(self, node):
        return node.value

    def _imaginary(self, node):
        raise GradvizError(f"complex literals ({node.text}) are not supported", kind=LIMIT,
                           hint="gradviz's numbers and tensors are real: keep the real and "
                                "imaginary parts apart, as two numbers or tensors")

    def _fstring(self, node):
        out = []
        for part in node.parts:
            out.append(part if part.__class__ is str else self._field(part))
        return "".join(out)

    def _field(self, field):
        """One {field} of an f-string, formatted as Python would (fstrings)."""
        v = self.eval(field.value)
        spec = "".join(p if p.__class__ is str else self._field(p) for p in field.spec)
        conversion = field.conversion
        if conversion is None and field.debug is not None and not spec:
            conversion = "r"          # {x=} shows repr(x), as in Python
        try:
            text = fstrings.format_field(v, conversion, spec, self.str_of, self.repr_of,
                                         _is_tensor)
        except GradvizError as exc:
            raise exc.at(self.where(field))
        return text if field.debug is None else field.debug + text

    def str_of(self, v) -> str:
        """str(v), as Python and PyTorch make it."""
        return format_value(v, self.shown)

    def repr_of(self, v) -> str:
        """repr(v): str(v), but a string in quotes (and an exception as
        Python writes one: ValueError('message'))."""
        if v.__class__ is exceptions.ExceptionValue:
            return repr(v)
        return repr_value(v, self.shown)

    # loops, not comprehensions: a comprehension is one more Python frame per
    # level, and the deepest program the parser allows must stay far from
    # the recursion limit (about 400 frames at MAX_NESTING, not 600)
    def _list(self, node):
        out = []
        for item in node.items:
            if item.__class__ is syntax.Starred:      # [*xs, 1]: xs's items
                out.extend(self._unpacked(item))
            else:
                out.append(self.eval(item))
        return out

    def _unpacked(self, node) -> list:
        """The items of `*xs` in a list or tuple display, as Python unpacks them."""
        v = self.eval(node.value)
        if v.__class__ is str:
            return list(v)
        try:
            return list(self._items(v, self.where(node)))
        except GradvizError as exc:
            if exc.kind != TYPE:
                raise
            raise GradvizError(f"Value after * must be an iterable, not {self.type_name(v)}",
                               kind=TYPE, span=self.where(node),
                               hint="* unpacks a list, a tuple, a range or a tensor's "
                                    "rows") from None

    def _tuple(self, node):
        return tuple(self._list(node))

    def _dict(self, node):
        """{key: value, ...}: every key and value evaluated in order, then
        put in (as Python builds it)."""
        items = []
        for key, value in zip(node.keys, node.values):
            if key is None:                           # {**d}: d's items
                d = self.eval(value)
                if d.__class__ not in DICTS:
                    raise GradvizError(f"'{self.type_name(d)}' object is not a mapping",
                                       kind=TYPE, span=self.where(value),
                                       hint="** unpacks a dict: {**a, 'k': 1}")
                for k, v in d.items():
                    items.append(k)
                    items.append(v)
                continue
            items.append(self.eval(key))
            items.append(self.eval(value))
        out = {}
        for k in range(0, len(items), 2):
            pymethods.dict_put(self, out, items[k], items[k + 1])
        return out

    def _set(self, node):
        """{a, b, *xs}: its items evaluated in order, then put in."""
        return pymethods.make_set(self, set, self._list(node))

    def _listcomp(self, node):
        """[elt for target in iter if cond ...]: its items."""
        out = []

        def add():
            self.tape.check_size(len(out) + 1, "list")   # (range(10**9) is long)
            self.tape.count_items(1)     # (and comprehensions in comprehensions)
            out.append(self.eval(node.elt))
        self._comprehension(node, add)
        return out

    def _dictcomp(self, node):
        """{key: value for target in iter if cond ...}: its items."""
        out = {}

        def add():
            key = self.eval(node.key)
            pymethods.dict_put(self, out, key, self.eval(node.value))
        self._comprehension(node, add)
        return out

    def _setcomp(self, node):
        """{elt for target in iter if cond ...}: its elements."""
        out: set = set()
        self._comprehension(node, lambda: pymethods.set_add(self, out, self.eval(node.elt)))
        return out

    def _comprehension(self, node, add) -> None:
        """A comprehension's clauses, as Python runs them, add() called for
        each item (see _clauses); the loop names are the comprehension's
        own: a name of the program they shadow has its value again after it.
        A lambda made in it reads them from a _ComprehensionNames."""
        clauses = node.clauses
        env = self.env
        saved = _saved_names(env, clauses)
        passes = self.loop_passes
        depth = len(passes)
        names = self._names_for_functions(node)
        try:
            for _ in self._clauses(clauses, self._clause_items(clauses[0][1]), passes):
                if names is not None:
                    names.update((name, env[name]) for name in saved if name in env)
                add()
        finally:
            if names is not None:
                self.comprehension_names.pop()
            del passes[depth:]
            self._mark_pass()
            _restore_names(env, saved)

    def _names_for_functions(self, node, names=None):
        """The _ComprehensionNames a comprehension's lambdas read (a
        generator expression's own, ``names``, once made), pushed on
        comprehension_names; None when it makes none."""
        makes = self.makes_functions.get(id(node))
        if makes is None:
            makes = self.makes_functions[id(node)] = _makes_functions(node)
        if not makes:
            return None
        if names is None:
            names = _ComprehensionNames(self._closure(), len(self.scopes))
        names.depth = len(self.scopes)
        self.comprehension_names.append(names)
        return names

    def _closure(self):
        """The names a function made here reads besides its own: the
        innermost comprehension's running in this call (a lambda in it), or
        the call's (None at the program's level, whose names are read live)."""
        names = self.comprehension_names
        if names and names[-1].depth == len(self.scopes):
            return names[-1]
        return self.env if len(self.scopes) > 1 else None

    def _clause_items(self, source):
        """The iterator of a comprehension's clause over source."""
        try:
            return self._items(self.eval(source), self.where(source))
        except GradvizError as exc:
            raise exc.at(self.where(source))

    def _clauses(self, clauses: tuple, first, passes: list):
        """A comprehension's clauses, as Python runs them: a generator that
        stops once per item, its loop names bound and its conditions true
        (the caller evaluates the item). The clauses nest left to right (an
        iterator per clause on a stack, no recursion); ``first`` is the first
        clause's iterator (a generator expression takes it when it is made),
        and each item's nodes are labelled with its pass, as a for loop's
        are, in ``passes`` from its length on. (No try/finally here: a
        generator expression's consumer may drop it half-walked.)"""
        depth = len(passes)
        counts = [0]
        walking = [first]
        while walking:
            item = next(walking[-1], _DONE)
            if item is _DONE:
                walking.pop()
                counts.pop()
                continue
            k = len(walking) - 1
            target, _, conds = clauses[k]
            if target.__class__ is str:
                self._bind(target, item)
            else:
                self._unpack(target, item)
            counts[k] += 1
            if not counts[k] & 1023 and self.deadline is not None \
                    and time.monotonic() > self.deadline:
                # (a comprehension is one statement: the time limit is
                # checked here too, {n % 2: n for n in range(10**30)})
                raise timeout_error(self.tape.limits.timeout)
            del passes[depth + k:]
            passes.append(_pass_label(target, item, counts[k], self._walks(clauses[k][1])))
            self._mark_pass()
            if not all(self.truth(self.eval(c)) for c in conds):
                continue
            if len(walking) < len(clauses):
                walking.append(self._clause_items(clauses[len(walking)][1]))
                counts.append(0)
            else:
                yield

    def _try(self, stmt) -> None:
        """try/except/else/finally, as Python runs it. Each block runs on a
        frame stack of its own (so a try nests as deep as the parser lets
        blocks nest); a break or continue inside leaves it as a _LoopJump,
        a return as a _Return, and the `with` blocks left by an error are
        undone."""
        shift = self.shift
        try:
            try:
                self._execute(stmt.body, shift)
            except GradvizError as exc:
                if not exceptions.catchable(exc):
                    raise
                for handler in stmt.handlers:
                    self.shift = shift
                    if handler.type is None:
                        break
                    try:
                        if exceptions.catches(self.eval(handler.type), exc):
                            break
                    except GradvizError as bad:
                        raise bad.at(self.where(handler))
                else:
                    raise
                # the record keeps it: a learner's try around backward() shows
                # what failed there, as the program's except block saw it
                self.tape.events.append({"kind": "caught", "line": exc.span.line if exc.span
                                         else self.line, "type": exc.kind,
                                         "message": exc.message})
                env = self.env
                if handler.name is not None:
                    self._bind(handler.name, exc.value if exc.value is not None else
                               exceptions.ExceptionValue(exc.kind, exc.message, exc.cause,
                                                         exc.exc_args))
                self.handling.append(exc)
                try:
                    self._execute(handler.body, shift)
                finally:
                    self.handling.pop()
                    if handler.name is not None:
                        env.pop(handler.name, None)     # (Python deletes it too)
            else:
                if stmt.orelse:
                    self._execute(stmt.orelse, shift)
        finally:
            if stmt.finalbody:
                self._execute(stmt.finalbody, shift)

    def _set_cause(self, error: GradvizError, cause) -> None:
        """`raise ... from cause`: the exception's __cause__ (a program's
        exception class is called, as Python does)."""
        if cause.__class__ is classes.UserClass:
            cause = classes.raised(self, cause).value
        if error.value is not None:          # the program's exception object holds it
            error.value.attrs["__cause__"] = cause
        error.cause = cause

    def _define(self, stmt) -> None:
        self._bind(stmt.name, self._function(stmt))

    def _function(self, stmt, owner=None, block_names=None):
        """def f(...): ..., its decorators applied from the nearest up: a
        grad mode (@torch.no_grad()) makes every call run in it; any other
        is called with the function, as Python does. owner: the class whose
        block it is in (a method), block_names the names that block has
        bound so far, which its decorators read (@balance.setter)."""
        # (one defined in a call reads that call's names: its closure)
        fn = UserFunction(stmt, tuple(self.eval(e) for e in stmt.defaults),
                          self.env if len(self.scopes) > 1 else None, self.shift)
        fn.owner = owner
        for node in reversed(stmt.decorators):
            deco = self.eval(node) if block_names is None else self._eval_in(block_names, node)
            if deco.__class__ is NoGrad:
                fn = self.grad_mode_decorated(deco, fn)
            else:
                try:
                    fn = self.call_value(deco, [fn])
                except GradvizError as exc:
                    raise exc.at(self.where(node))
        return fn

    def _eval_in(self, names: dict, node):
        """node's value where ``names`` come before the current ones (a
        class's block)."""
        outer, self.env = self.env, ChainMap(names, self.env)
        try:
            return self.eval(node)
        finally:
            self.env = outer

    def grad_mode_decorated(self, ctx: NoGrad, fn):
        """fn decorated with a grad mode (torch.no_grad()(fn), @torch.no_grad):
        each call runs in it. A function the program defined keeps its name
        and its class; any other value is wrapped as PyTorch wraps it (a
        value that cannot be called fails when the wrapper is called).
        set_grad_enabled(mode), which set the mode when it was made, puts
        the mode before it back (its __call__ does: only the calls run in it)."""
        if ctx.prev is not None:
            self.tape.grad_enabled = ctx.prev
        if fn.__class__ is UserFunction:
            decorated = UserFunction(fn.defn, fn.defaults, fn.closure, fn.shift, grad_mode=ctx)
            decorated.owner, decorated.wrapped_name = fn.owner, fn.wrapped_name
            return decorated
        return Function("decorate_context",
                        lambda rt, *args, **kwargs: rt._call_in_grad_mode(ctx, fn, args, kwargs))

    def _call_in_grad_mode(self, ctx: NoGrad, fn, args, kwargs: dict):
        mode = (self.tape.grad_enabled, self.tape.no_grad_block)
        self._set_grad_mode(ctx, self.span)
        try:
            return self.invoke(fn, list(args), kwargs or None)
        finally:
            self.tape.grad_enabled, self.tape.no_grad_block = mode

    def _grad_mode_call(self, ctx: NoGrad, args: list, kwargs: dict | None):
        """A grad-mode context called: PyTorch's __call__(self, orig_func)."""
        try:
            orig_func = _decorator_call(ctx, *args, **(kwargs or {}))
        except TypeError as exc:      # (Python's words for a call of that signature)
            message = str(exc)
            if ctx.name == "set_grad_enabled":      # (its own __call__, of that signature)
                message = message.replace("_DecoratorContextManager.", "set_grad_enabled.")
            raise GradvizError(message, kind=TYPE) from None
        return self.grad_mode_decorated(ctx, orig_func)

    def _define_class(self, stmt) -> None:
        """class C(base): its block, which may hold defs (its methods),
        `name = value` (class attributes, evaluated where the class
        statement is), docstrings and pass; the class is made, then bound."""
        bases = [self.eval(b) for b in stmt.bases]
        attrs: dict = {}
        cls = classes.make_class(self, stmt, bases, attrs)
        for s in stmt.body:           # (what the parser lets a class's block hold)
            if s.__class__ is syntax.FunctionDef:
                attrs[s.name] = self._function(s, cls, attrs)
            elif s.__class__ is _Assign:
                # (the block's own names first, as Python's class block reads
                # them: __rmul__ = __mul__; a, b = 1, 2 unpacked into them)
                outer, self.env = self.env, ChainMap(attrs, self.env)
                try:
                    value = self.eval(s.value)
                    if s.targets:
                        self._unpack(s.targets, value)
                    else:
                        attrs[s.target] = value
                finally:
                    self.env = outer
        cls.fields = stmt.fields
        for node in reversed(stmt.decorators):      # @dataclass: called with the class
            try:
                cls = self.call_value(self.eval(node), [cls])
            except GradvizError as exc:
                raise exc.at(self.where(node))
        self._bind(stmt.name, cls)

    def method_of_source(self, source: str, owner, defaults: tuple, closure: dict):
        """A method of owner written by gradviz as the program's code (a
        dataclass's __init__), its names read from closure first; its spans
        are the line running (the class statement's)."""
        from .parser import parse
        (stmt,) = parse(source).body
        fn = UserFunction(stmt, defaults, closure, self.line - 1)
        fn.owner = owner
        return fn

    def _delete(self, stmt) -> None:
        """del name (unbound again), del xs[i] (a list's item), del d[key] (a
        dict's), del x.grad (None again, as PyTorch's deleter)."""
        for target in stmt.targets:
            cls = target.__class__
            if cls is syntax.Name:
                if target.id not in self.env:
                    raise GradvizError(f"name '{target.id}' is not defined", kind=NAME,
                                       span=self.where(target))
                del self.env[target.id]
            elif cls is syntax.Attribute:
                obj = self.eval(target.value)
                if obj.__class__ is not Tensor or target.attr != "grad":
                    raise GradvizError(f"cannot delete {self._kind(obj)}'s attribute "
                                       f"'{target.attr}'", kind=ATTRIBUTE, span=self.where(target),
                                       hint="del removes names, list and dict items and x.grad")
                self.span = self.where(target)
                self.set_grad(obj, None)
            else:
                obj = self.eval(target.value)
                index = self._index_items(target, True)
                if obj.__class__ in DICTS:
                    try:
                        pymethods.dict_item(self, obj, _dict_key(index))
                    except GradvizError as exc:
                        raise exc.at(self.where(target))
                    del obj[_dict_key(index)]
                    continue
                if obj.__class__ in modules.SEQUENCES and len(index) == 1:   # del net[0]
                    try:
                        obj.del_item(index[0])
                    except GradvizError as exc:
                        raise exc.at(self.where(target))
                    continue
                if obj.__class__ is not list or len(index) != 1 or \
                        not isinstance(index[0], (int, slice)) or isinstance(index[0], bool):
                    raise GradvizError(f"{self._kind(obj)} doesn't support item deletion",
                                       kind=TYPE, span=self.where(target),
                                       hint="del removes a list's or a dict's items: del xs[0], "
                                            "del d['w']")
                try:
                    del obj[index[0]]
                except IndexError:
                    raise GradvizError("list assignment index out of range", kind=INDEX,
                                       span=self.where(target)) from None

    def _assert(self, stmt) -> None:
        """assert test[, msg]: Python's AssertionError, its message str(msg)."""
        if self.truth(self.eval(stmt.test)):
            return
        msg = "" if stmt.msg is None else self.str_of(self.eval(stmt.msg))
        raise GradvizError(msg, kind="AssertionError",     # (str(e) of a bare assert is '')
                           hint="the condition after 'assert' was false")

    def _boolop(self, node):
        """a and b, a or b: a when it decides (and: false, or: true), else b,
        as Python's (a tensor's truth is that of its one value)."""
        left = self.eval(node.left)
        if self.truth(left) is (node.op == "or"):
            return left
        return self.eval(node.right)

    def _compare(self, node):
        """a < b <= c: a < b, and when true b <= c, each operand evaluated
        once, as Python does (a tensor's truth is that of its one value)."""
        span = self.where(node)
        left = self.eval(node.first)
        last = len(node.ops) - 1
        for k, (op, expr) in enumerate(zip(node.ops, node.rest)):
            right = self.eval(expr)
            result = self.binary(op, left, right, span)
            if k == last or not self.truth(result):
                return result
            left = right

    def _ifexp(self, node):
        return self.eval(node.body if self.truth(self.eval(node.test)) else node.orelse)

    def _lambda(self, node):
        defn = node.defn
        defaults = tuple(self.eval(e) for e in defn.defaults)
        return UserFunction(defn, defaults, self._closure(), self.shift)

    def _genexp(self, node):
        """(elt for x in xs ...): a generator that computes each item when it
        is asked for, as Python's (see genexp_step); the first clause's
        iterable is walked now, as Python takes its iterator when the
        expression runs."""
        first = self._clause_items(node.clauses[0][1])
        fn = self.calls[-1] if len(self.scopes) > 1 else None
        gen = functions.GeneratorExpression(self, node, self.env, fn, self.shift)
        gen.walk = self._clauses(node.clauses, first, gen.passes)
        return gen

    def genexp_step(self, gen: "functions.GeneratorExpression"):
        """The next item of a generator expression: its clauses walked on
        to the next item and the item computed, now, under the grad mode of
        now, reading the names as they are now (Python's late binding), in
        the names where it was made; its loop names are its own, kept
        between items and put back out of the way after each one. Its nodes
        are labelled with the passes of the loops around the consumer (as
        a generator function's, see resume), then its own clauses'.
        StopIteration when its items run out."""
        if gen.done:
            raise StopIteration
        if gen.running:
            raise GradvizError("generator already executing", kind=VALUE,
                               hint="a generator cannot ask itself for its next item")
        env = gen.env
        saved = _saved_names(env, gen.node.clauses)
        env.update(gen.own)
        span, line, shift = self.span, self.line, self.shift
        passes, prefix = self.loop_passes, self.pass_prefix
        self.pass_prefix, self.loop_passes = prefix + tuple(passes), gen.passes
        outer, self.env = self.env, env
        moved = env is not outer          # asked for where its names are not the ones read
        if moved:
            self.scopes.append(env)
            if gen.fn is not None:
                self.calls.append(gen.fn)
        self.shift = gen.shift
        gen.running = True
        try:
            self._mark_pass()
            if next(gen.walk, _DONE) is _DONE:
                gen.done = True
                raise StopIteration
            names = self._names_for_functions(gen.node, gen.names)
            if names is None:
                return self.eval(gen.node.elt)
            gen.names = names           # (one for all its items: they share the loop names)
            names.update((name, env[name]) for name in saved if name in env)
            try:
                return self.eval(gen.node.elt)
            finally:
                self.comprehension_names.pop()
        except GradvizError as exc:
            gen.done = True
            if exc.kind == "StopIteration":
                raise _escaped_stop() from None
            raise
        finally:
            gen.running = False
            gen.own = {name: env[name] for name in saved if name in env}
            _restore_names(env, saved)
            if moved:
                self.scopes.pop()
                if gen.fn is not None:
                    self.calls.pop()
            self.env = outer
            self.span, self.line, self.shift = span, line, shift
            self.pass_prefix, self.loop_passes = prefix, passes
            self._mark_pass()

    def _name(self, node):
        name = node.id
        v = self.env.get(name)
        if v is not None or name in self.env:
            return v
        if len(self.scopes) > 1:          # in a function: then the program's names
            if name in self.calls[-1].nonlocal_names:
                raise GradvizError(f"cannot access free variable '{name}' where it is not "
                                   "associated with a value in enclosing scope", kind=NAME,
                                   span=self.where(node),
                                   hint=f"the enclosing function assigns {name} after this "
                                        "call: assign it before calling this function")
            if name in self.calls[-1].local_names:
                raise GradvizError(f"cannot access local variable '{name}' where it is not "
                                   "associated with a value", kind="UnboundLocalError",
                                   span=self.where(node),
                                   hint=f"the function assigns {name} somewhere, so {name} is "
                                        "its own name all through it: assign it before this "
                                        "line, or pass the program's as a parameter")
            top = self.scopes[0]
            v = top.get(name)
            if v is not None or name in top:
                return v
        v = GLOBALS.get(name)
        if v is not None:
            return v
        raise GradvizError(f"name '{name}' is not defined", kind=NAME, span=self.where(node),
                           hint=LEFT_OUT_BUILTINS.get(name)
                           or did_you_mean(name, list(self.env) + list(GLOBALS))
                           or "assign it first (name = ...) or check the spelling")

    def _named_expr(self, node):
        """(name := value): value, bound to name where an assignment in this
        block would bind it (a comprehension's loop names are its own, not
        this one's), and the value of the expression."""
        value = self.eval(node.value)
        self._bind(node.target, value)
        return value

    def _operand(self, node):
        """self.eval(node), with a name or a number read in place (the leaves
        of most expressions: no call for them)."""
        cls = node.__class__
        if cls is _Name:
            v = self.env.get(node.id)
            return v if v is not None else self._name(node)
        if cls is _Num:
            return node.value
        return self.eval(node)

    def _binop(self, node):
        # self._operand(node.left) and (node.right), in place: this runs once
        # per operator of the program
        a = node.left
        cls = a.__class__
        if cls is _Name:
            v = self.env.get(a.id)
            a = v if v is not None else self._name(a)
        elif cls is _Num:
            a = a.value
        else:
            try:
                a = _EVAL[cls](self, a)
            except GradvizError as exc:
                raise exc.at(self.where(a))
        b = node.right
        cls = b.__class__
        if cls is _Name:
            v = self.env.get(b.id)
            b = v if v is not None else self._name(b)
        elif cls is _Num:
            b = b.value
        else:
            try:
                b = _EVAL[cls](self, b)
            except GradvizError as exc:
                raise exc.at(self.where(b))
        sym = node.op
        span = node.span                  # self.where(node), inline
        k = self.shift
        if k:
            span = _new(Span, (span[0] + k, span[1], span[2] + k, span[3]))
        if a.__class__ is Tensor:
            # the common cases, fast: tensor op tensor, tensor op number (binary()
            # gives the same op for them)
            cls = b.__class__
            if cls is Tensor:
                name = _TENSOR_OPS.get(sym)
                if name is not None and (sym != "-" or (a.data.dtype.kind != "b"
                                                        and b.data.dtype.kind != "b")):
                    self.span = span
                    return self.tape.apply_pair(OPS[name], a, b, span)
            elif cls is float or cls is int:
                name = _NUMBER_OPS.get(sym)
                if name is not None and (sym != "-" or a.data.dtype.kind != "b"):
                    self.span = span
                    return self.tape.apply(OPS[name], (a, b), None, span)
        return self.binary(sym, a, b, span)

    def binary(self, sym, a, b, span=None):
        """An operator on two values: an op when a tensor is involved."""
        if sym in _IDENTITY:
            # identity, as in Python: the same tensor object for PyTorch is
            # the same node here (an in-place write moves every holder on),
            # the same backward node the same grad_fn (see GradFn.same)
            same = a is b or (a.__class__ is GradFn and a.same(b))
            return same if sym == "is" else not same
        if sym == "in" or sym == "not in":
            return self.contains(b, a) is (sym == "in")
        if sym == "%" and a.__class__ is str:       # '%.4f' % x: formatting, even of a tensor
            return self._percent_format(a, b)
        if sym in ("+", "*") and (a.__class__ is ReturnTypes or b.__class__ is ReturnTypes):
            # PyTorch's named tuples (x.max(0)) join and repeat as tuples do
            a, b = (tuple(v) if v.__class__ is ReturnTypes else v for v in (a, b))
        if a.__class__ is classes.Instance or b.__class__ is classes.Instance:
            result = classes.operator(self, sym, a, b)    # the class's __add__, __eq__, ...
            if result is not NotImplemented:
                return result
        if a.__class__ is NumpyArray or b.__class__ is NumpyArray:
            if span is not None:
                self.span = span
            return _numpy_arrays().binary(self, sym, a, b)
        if sym == "+" and data.is_dataset(a) and data.is_dataset(b):    # Dataset.__add__
            return data.f_concat_dataset(self, [a, b])
        if a.__class__ is Tensor:
            # the common cases, fast: tensor op tensor, tensor op number (the
            # general path below gives the same op for them)
            bc = b.__class__
            if bc is Tensor:
                name = _TENSOR_OPS.get(sym)
                # (`-` with a bool operand: PyTorch's error, on the general path)
                if name is not None and (sym != "-" or (a.data.dtype.kind != "b"
                                                        and b.data.dtype.kind != "b")):
                    if span is not None:
                        self.span = span
                    return self.tape.apply_pair(OPS[name], a, b, self.span)
            elif bc is float or bc is int:
                name = _NUMBER_OPS.get(sym)
                if name is not None and (sym != "-" or a.data.dtype.kind != "b"):
                    if span is not None:
                        self.span = span
                    return self.tape.apply(OPS[name], (a, b), None, self.span)
        if a.__class__ is Tensor or b.__class__ is Tensor:
            if span is not None:
                self.span = span
            other = b if a.__class__ is Tensor else a
            if other.__class__ is not Tensor and not isinstance(other, (int, float)):
                # what PyTorch's operators give back to Python: == is False, and
                # the rest Python's TypeError; a list is no tensor here (a list
                # times a one-element integer tensor repeats, as Python's list * n)
                t = a if a.__class__ is Tensor else b
                if sym == "==" or sym == "!=":
                    return sym == "!="
                if sym == "*" and isinstance(other, _SEQUENCES):
                    if t.data.size != 1 or t.data.dtype.kind not in "iu":
                        raise GradvizError("only integer tensors of a single element can be "
                                           "converted to an index", kind=TYPE,
                                           hint="a list is not a tensor here: make it one with "
                                                "torch.tensor(the_list)")
                    self._check_sequence_size(other, len(other) * max(int(t.data.item()), 0))
                    return other * int(t.data.item())
                if sym == "+" and other is a and isinstance(other, _SEQUENCES):
                    kind = "str" if other.__class__ is str else type(other).__name__
                    raise GradvizError(f'can only concatenate {kind} (not "Tensor") to {kind}',
                                       kind=TYPE, hint="a list is not a tensor here: make it "
                                                       "one with torch.tensor(the_list)")
                if sym in _ORDER:
                    raise GradvizError(f"'{sym}' not supported between instances of "
                                       f"'{self.type_name(a)}' and '{self.type_name(b)}'",
                                       kind=TYPE, hint=NONE_HINT if other is None else None)
                raise GradvizError(f"unsupported operand type(s) for {_said(sym)}: "
                                   f"'{self.type_name(a)}' and '{self.type_name(b)}'",
                                   kind=TYPE, hint=NONE_HINT if other is None else
                                   "a list is not a tensor here: make it one with "
                                   "torch.tensor(the_list)" if other.__class__ is list else None)
            if a.__class__ is not Tensor and sym in REFLECTED:
                op = OPS[REFLECTED[sym]]
            elif sym == "**":
                return functions.f_pow(self, a, b)
            else:
                op = OPS[BINARY_OPS[sym]]
            if sym == "@":
                if a.__class__ is not Tensor or b.__class__ is not Tensor:
                    raise _unsupported_operands(self, sym, a, b)
            a = functions._as_operand(self, a)
            b = functions._as_operand(self, b)
            if sym == "-":
                functions.check_bool_sub(a, b)
            return self.apply(op, (a, b))
        return self._python_binary(sym, a, b)

    def contains(self, container, item) -> bool:
        """item in container, as Python and PyTorch answer it: a tensor holds
        a value when some element equals it ((item == t).any()); a list or
        tuple holds the item itself or one equal to it (a tensor's == by
        its truth, one value); a string, a substring; a dict, the key."""
        if classes.method_of(container, "__contains__") is not None:
            return self.truth(classes.call_method(self, container, "__contains__", [item]))
        if container.__class__ is Tensor:
            if item.__class__ is not Tensor and (isinstance(item, bool) or
                                                 not isinstance(item, (int, float))):
                raise GradvizError(f"Tensor.__contains__ only supports Tensor or scalar, but "
                                   f"you passed in a {type(item)}.", kind=RUNTIME)
            other = item.data if item.__class__ is Tensor else item
            return bool(np.any(container.data == other))
        if container.__class__ is NumpyArray:        # numpy's __contains__: (a == item).any()
            return _numpy_arrays().contains(container, item)
        if container.__class__ in DICTS or container.__class__ in DICT_VIEWS[::3]:
            return pymethods.hashable(item) in container     # a key: by its hash
        if container.__class__ in pymethods.SETS:
            return pymethods.set_key(item) in container      # an element: by its hash
        if container.__class__ is modules.ModuleDict:
            return item in container.keys
        if isinstance(container, str):
            if not isinstance(item, str):
                raise GradvizError(f"'in <string>' requires string as left operand, not "
                                   f"{type(item).__name__}", kind=TYPE)
            return item in container
        if isinstance(container, (list, tuple, range, pycollections.Deque)) \
                or container.__class__ in ITERATORS \
                or container.__class__ in DICT_VIEWS:        # (values(), items())
            for v in container:
                if v is item:
                    return True
                if v.__class__ is Tensor or item.__class__ is Tensor:
                    if self.truth(self.binary("==", v, item)):
                        return True
                elif v.__class__ in _PLAIN and item.__class__ in _PLAIN and v == item:
                    return True
                elif classes.Instance in (v.__class__, item.__class__):     # its __eq__
                    if self.truth(self.binary("==", v, item)):
                        return True
                elif v.__class__ is GradFn and v.same(item):   # PyTorch's one object
                    return True
            return False
        raise GradvizError(f"argument of type '{type(container).__name__}' is not iterable",
                           kind=TYPE, hint="`in` looks into a list, tuple, range, string, "
                                           "dict, set or tensor")

    def _python_binary(self, sym, a, b):
        ok = (int, float, bool)
        if not (isinstance(a, ok) and isinstance(b, ok)):
            if a.__class__ is pycollections.Counter and b.__class__ is a.__class__ and \
                    sym in ("+", "-", "|", "&"):       # Counter(words) + Counter(more)
                return pycollections.counter_binary(self, sym, a, b)
            if a.__class__ in DICTS and b.__class__ in DICTS and sym in ("==", "!=", "|"):
                return self._dict_binary(sym, a, b)
            if a.__class__ in pymethods.SETS and b.__class__ in pymethods.SETS and \
                    sym in _SET_OPERATORS:
                return self._set_binary(sym, a, b)
            if sym in ("==", "!="):
                return (a == b) if sym == "==" else (a != b)
            if sym in ("+", "*") and (isinstance(a, _SEQUENCES) or isinstance(b, _SEQUENCES)):
                return self._sequence_binary(sym, a, b)
            if (sym in _ORDER and a.__class__ in (list, tuple) and a.__class__ is b.__class__
                    and all(v.__class__ in _ORDERED for v in (*a, *b))):
                try:                          # [1, 2] < [1, 3]: item by item, as Python
                    return _ORDER[sym](a, b)
                except TypeError as exc:          # ([1, 'a'] < [1, 2.5]: Python's own error)
                    raise GradvizError(str(exc), kind=TYPE,
                                       hint="lists and tuples compare item by item: the "
                                            "items at the first difference must be "
                                            "comparable (numbers with numbers, strings "
                                            "with strings)") from None
            if a.__class__ is str or b.__class__ is str:
                return self._string_binary(sym, a, b)
            if isinstance(a, modules.UninitializedParameter) or \
                    isinstance(b, modules.UninitializedParameter):     # (a buffer's too)
                raise modules.uninitialized(_TENSOR_METHODS.get(sym, "__" + sym + "__"))
            if sym in _ORDER:
                raise GradvizError(f"'{sym}' not supported between instances of "
                                   f"'{self.type_name(a)}' and '{self.type_name(b)}'", kind=TYPE,
                                   hint=NONE_HINT if a is None or b is None else _SET_HINT
                                   if {a.__class__, b.__class__} & {set, frozenset} else
                                   "compare numbers with numbers, strings with strings")
            raise GradvizError(f"unsupported operand type(s) for {_said(sym)}: '{self.type_name(a)}'"
                               f" and '{self.type_name(b)}'", kind=TYPE,
                               hint=NONE_HINT if a is None or b is None else
                               "merge two dicts with a | b" if dict in (a.__class__, b.__class__)
                               else _SET_HINT if {a.__class__, b.__class__} & {set, frozenset}
                               else None)
        try:
            match sym:
                case "+": return _bounded_int(a + b)
                case "-": return _bounded_int(a - b)
                case "*":
                    if a.__class__ is int and b.__class__ is int and \
                            a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
                        raise _int_too_large()
                    return _bounded_int(a * b)
                case "/": return a / b
                case "%" | "//":
                    try:
                        return a % b if sym == "%" else a // b
                    except ZeroDivisionError as exc:      # Python's words for them
                        raise GradvizError(str(exc), kind="ZeroDivisionError") from None
                case "**":
                    return power(a, b)
                case "==": return a == b
                case "!=": return a != b
                case "<": return a < b
                case "<=": return a <= b
                case ">": return a > b
                case ">=": return a >= b
                case "&" | "|" | "^":
                    if a.__class__ is float or b.__class__ is float:
                        raise GradvizError(f"unsupported operand type(s) for {sym}: "
                                           f"'{type(a).__name__}' and '{type(b).__name__}'",
                                           kind=TYPE, hint="& | ^ take integers and bools"
                                           + ("; a power is x ** 2" if sym == "^" else ""))
                    return a & b if sym == "&" else a | b if sym == "|" else a ^ b
                case "<<" | ">>":
                    return _python_shift(sym, a, b)
                case "@":
                    raise _unsupported_operands(self, sym, a, b)
        except ZeroDivisionError:
            raise GradvizError("division by zero", kind="ZeroDivisionError") from None
        except OverflowError as exc:
            raise GradvizError(f"number too large: {exc}", kind=VALUE,
                               hint=NUMBER_RANGE_HINT) from None
        raise GradvizError(f"unknown operator {sym}", kind=RUNTIME)

    def _dict_binary(self, sym, a: dict, b: dict):
        """a == b, a != b (the same keys, equal values), a | b (a new dict:
        a's items, then b's)."""
        if sym == "|":
            return pymethods.dict_update(self, pymethods.dict_update(self, {}, (a,), {}), (b,), {})
        return pymethods.dict_equal(self, a, b) is (sym == "==")

    def _set_binary(self, sym, a, b):
        """Two sets (or frozensets): | & - ^ make a new one of a's kind, as
        Python's; == != and the subset comparisons < <= > >= answer."""
        out = _SET_OPERATORS[sym](a, b)
        if out.__class__ is not bool:
            self.tape.check_size(len(out), "set")
            self.tape.count_items(len(out))
        return out

    def _string_binary(self, sym, a, b):
        """What Python does with strings: +, * by an int, and comparisons."""
        if a.__class__ is str and b.__class__ is str:
            if sym == "+":
                self._check_string_size(len(a) + len(b))
                return a + b
            if sym in _ORDER:
                return _ORDER[sym](a, b)
        if sym == "*" and {a.__class__, b.__class__} in ({str, int}, {str, bool}):
            text, times = (a, b) if a.__class__ is str else (b, a)
            self._check_string_size(len(text) * max(times, 0))
            return text * times
        if sym == "%" and a.__class__ is str:
            return self._percent_format(a, b)
        if sym not in _ORDER:        # (+ - * / // ** & | ^ << >>: no comparison)
            raise GradvizError(f"unsupported operand type(s) for {_said(sym)}: '{self.type_name(a)}' and "
                               f"'{self.type_name(b)}'", kind=TYPE,
                               hint="join strings with +, repeat one with * and an int, or "
                                    "write numbers into a string with an f-string")
        raise GradvizError(f"'{sym}' not supported between instances of '{self.type_name(a)}' "
                           f"and '{self.type_name(b)}'", kind=TYPE,
                           hint="compare strings with strings, and numbers with numbers")

    def _sequence_binary(self, sym, a, b):
        """+ and * of strings, lists and tuples, with Python's errors: seq + seq
        of one kind (a torch.Size and a tuple make a Size), seq * int."""
        if sym == "+":
            if isinstance(a, _SEQUENCES) and (type(a) is type(b) or (
                    isinstance(a, tuple) and isinstance(b, tuple))):
                self._check_sequence_size(a, len(a) + len(b))
                out = a + b
                return Size(out) if isinstance(a, Size) or isinstance(b, Size) else out
            if isinstance(a, _SEQUENCES):
                kind = "str" if a.__class__ is str else type(a).__name__
                raise GradvizError(f'can only concatenate {kind} (not "{self.type_name(b)}") '
                                   f'to {kind}', kind=TYPE,
                                   hint="write numbers into a string with an f-string: "
                                        "f'loss: {loss}'" if kind == "str" else None)
        else:
            seq, n = (a, b) if isinstance(a, _SEQUENCES) else (b, a)
            if isinstance(n, int):
                self._check_sequence_size(seq, len(seq) * max(n, 0))
                out = seq * n
                return Size(out) if isinstance(seq, Size) else out
            # (two sequences too: [1] * 'a' names the second's type)
            raise GradvizError(f"can't multiply sequence by non-int of type "
                               f"'{self.type_name(n)}'", kind=TYPE,
                               hint="repeat a list or string by an int: [0.0] * 3")
        raise GradvizError(f"unsupported operand type(s) for {_said(sym)}: '{self.type_name(a)}' "
                           f"and '{self.type_name(b)}'", kind=TYPE,
                           hint=NONE_HINT if a is None or b is None else None)

    def _check_sequence_size(self, seq, n: int) -> None:
        if seq.__class__ is str:
            self._check_string_size(n)
        else:
            self.tape.check_size(n, "list")
            self.tape.count_items(n)          # (and all the lists made so, together)

    def _percent_format(self, text: str, args):
        """text % args, Python's printf-style formatting ('%.4f' % loss.item(),
        '%d: %s' % (i, x)): Python formats the plain values; a tensor takes
        part as PyTorch's does, by its str() for %s and %r, its item() for a
        number (the error for more than one element)."""
        items = args if args.__class__ is tuple else \
            args.values() if args.__class__ in DICTS else (args,)
        plain = []
        for v in items:
            if v.__class__ is Tensor:
                v = _PercentTensor(self.str_of(v), v.data)
            elif not isinstance(v, (bool, int, float, str)) and v is not None:
                v = _percent_class(self.type_name(v))(self.str_of(v), None, self.repr_of(v))
            plain.append(v)
        if args.__class__ in DICTS:        # '%(loss).4f' % stats: the fields by key
            plain = [dict(zip(args, plain))]
        try:
            out = text % (tuple(plain) if args.__class__ is tuple else plain[0])
        except (TypeError, ValueError, KeyError) as exc:
            raise GradvizError(str(exc), kind=type(exc).__name__,
                               hint="printf-style: one value per %-field, as in "
                                    "'%.4f' % x or '%d: %s' % (i, x)") from None
        self._check_string_size(len(out))
        return out

    def _check_string_size(self, n: int) -> None:
        limit = self.tape.limits.max_elements
        if n > limit:
            raise GradvizError(f"this string would have {n:,} characters, more than the limit "
                               f"of {limit:,}", kind=LIMIT,
                               hint="raise the limit with --max-elements N if you really mean it")

    def _unary(self, node):
        v = node.operand
        v = v.value if v.__class__ is _Num else self.eval(v)     # -0.5: a number, read in place
        if v.__class__ is NumpyArray and node.op != "not":
            return _numpy_arrays().unary(self, node.op, v)
        if node.op == "-":
            if v.__class__ is Tensor:
                self.span = self.where(node)
                if v.data.dtype == np.bool_:
                    raise GradvizError(functions.NEG_BOOL, hint="use ~x or logical_not")
                return self.apply(OPS["neg"], (v,))
            if isinstance(v, (int, float)):
                return -v
        elif node.op == "+":
            if v.__class__ is Tensor or isinstance(v, (int, float)):
                return v
        elif node.op == "not":          # Python's truth of any value (a tensor's one value)
            return not self.truth(v)
        elif node.op == "~":
            if v.__class__ is Tensor:
                self.span = self.where(node)
                return self.apply(OPS["bitwise_not"], (v,))
            if v.__class__ is int or v.__class__ is bool:
                return ~v
        if node.op in ("+", "-") and v.__class__ is pycollections.Counter:
            return pycollections.counter_unary(self, node.op, v)    # +c: its positive counts
        method = _UNARY_METHODS.get(node.op)
        if method is not None and classes.method_of(v, method) is not None:
            return classes.call_method(self, v, method, [])         # the class's __neg__, ...
        raise GradvizError(f"bad operand type for unary {node.op}: '{self.type_name(v)}'",
                           kind=TYPE, hint=f"unary {node.op} takes a number or a tensor (or an "
                                           f"object whose class defines {method})"
                           if method else None)

    def _call(self, node):
        func = node.func
        if func.__class__ is _Name:       # most often one of torch's (GLOBALS)
            fn = self.env.get(func.id, _UNSET)
            if fn is _UNSET:
                # in a function, the program's names come before torch's
                # (a def softmax() called from another def); _name has that order
                fn = GLOBALS.get(func.id, _UNSET) if len(self.scopes) == 1 else _UNSET
                if fn is _UNSET:
                    fn = self._name(func)    # (or raises the NameError)
        else:
            fn = self.eval(func)
        args = []
        for a in node.args:               # self._operand(a), in place
            cls = a.__class__
            if cls is _Name:
                v = self.env.get(a.id)
                args.append(v if v is not None else self._name(a))
            elif cls is _Num:
                args.append(a.value)
            elif cls is syntax.Starred:   # f(*xs)
                args.extend(self._starred(a, fn))
            else:
                try:
                    args.append(_EVAL[cls](self, a))
                except GradvizError as exc:
                    raise exc.at(self.where(a))
        kwargs = None
        if node.keywords:
            kwargs = {}
            for kw in node.keywords:
                v = kw.value
                if kw.name is None:       # f(**kwargs)
                    self._unpack_keywords(kw, fn, kwargs)
                    continue
                if kw.name in kwargs:     # (given twice only through **)
                    raise GradvizError(f"{self._callee_name(fn)}() got multiple values for "
                                       f"keyword argument '{kw.name}'", kind=TYPE,
                                       span=self.where(kw),
                                       hint="give each keyword argument once")
                kwargs[kw.name] = v.value if v.__class__ is _Const else self._operand(v)
            if not _SPECIAL_KEYWORDS.isdisjoint(kwargs):     # (one look for all of them)
                if "axis" in kwargs or "keepdims" in kwargs:
                    kwargs = _numpy_names(fn, kwargs)
                if "layout" in kwargs and fn.__class__ is Function and \
                        fn.name in _LAYOUT_MAKERS:
                    # (checked first, with the other arguments still there: PyTorch's
                    # signatures take layout before device)
                    tensor_queries.check_layout(fn.name, kwargs["layout"], args, kwargs)
                    del kwargs["layout"]        # strided: nothing to do
                if "device" in kwargs and fn.__class__ is Function and fn.name in _MAKERS:
                    functions.check_device(kwargs.pop("device"))    # the CPU: nothing to do
                if "pin_memory" in kwargs and fn.__class__ is Function and fn.name in _MAKERS:
                    tensor_queries.check_pin_memory(fn.name, kwargs.pop("pin_memory"))
                if "out" in kwargs and fn.__class__ is Function and fn.name in OUT_FUNCTIONS:
                    span = node.span
                    self.span = _new(Span, (span[0] + self.shift, span[1],
                                            span[2] + self.shift, span[3]))
                    return self._call_with_out(fn, args, kwargs)
        if self.default_device is not None and fn.__class__ is Function and fn.name in _MAKERS:
            functions.check_device(self.default_device)     # (torch.set_default_device('cuda'))
        span = node.span                  # self.where(node), inline
        k = self.shift
        self.span = _new(Span, (span[0] + k, span[1], span[2] + k, span[3])) if k else span
        return self.invoke(fn, args, kwargs, func.__class__ is syntax.Attribute)

    def invoke(self, fn, args: list, kwargs: dict | None, looked_up: bool = False):
        """fn(*args, **kwargs) for any callable value (a call's last step;
        functools.partial's call). looked_up: called as x.NAME(...), where
        a bound method kept in a variable is called as a value (Python's
        errors name their class otherwise: TensorBase.exp(), Tensor.exp())."""
        cls = fn.__class__
        if cls is not Function:           # (a torch function, the commonest, goes straight on)
            if cls is UnboundMethod:      # torch.Tensor.mul(x, 2) is x.mul(2)
                fn.receiver(args, lambda v: v.__class__ is Tensor, self.type_name)
                fn = BoundMethod(fn.name, fn.impl, args.pop(0))
                cls, looked_up = BoundMethod, True
            if cls is BoundMethod:
                args.insert(0, fn.obj)
            elif cls is UserFunction:
                return self.call_function(fn, args, kwargs or {})
            elif cls in classes.CALLABLE:      # model(x), Polynomial3(), self.forward(x)
                return classes.call(self, fn, args, kwargs or {})
            elif cls is PyType:
                return _make_type(self, fn, args, kwargs)
            elif cls is NoGrad:               # torch.no_grad()(f): f decorated with it
                return self._grad_mode_call(fn, args, kwargs)
            elif fn is classes.OBJECT:         # o = object(), a sentinel
                return classes.new_object(args, kwargs)
            elif cls is NumpyArray:          # np.float32(2.5)
                from .pynumpy import call_type
                return call_type(self, fn.array, args, kwargs)
            elif cls is layers.Layer or cls in modules.CLASSES:   # criterion(y, t), net(x)
                return module_hooks.call(self, fn, args, kwargs,
                                         lambda a, k: fn.call(self, a, k))
            elif cls is Tensor:
                raise GradvizError("'Tensor' object is not callable", kind=TYPE,
                                   hint="a tensor is a value, not a function: d.mean, "
                                        "d.variance and x.shape are read without ()")
            else:
                raise self._not_callable(fn, _MISSING_HINTS.get(fn.name) if cls is Module
                                         else None)
        if fn.impl in _TORCH_IMPLS or (cls is BoundMethod and fn.obj.__class__ is Tensor):
            _numpy_scalars_as_numbers(args, kwargs, fn.impl)
        if kwargs and "key" in kwargs and fn.name in ("max", "min") and \
                fn.impl is functions.FUNCTIONS.get(fn.name):
            # torch.max(xs, key=f): Python's max was meant (before torch's
            # argument checks, which know no key=)
            raise _key_error(fn.name, args, kwargs)
        if fn.name in functions.BUILTIN_COUNTS and PY_BUILTINS[fn.name] is fn.impl:
            self._check_builtin_call(fn.name, args, kwargs)
        try:
            return fn.impl(self, *args, **kwargs) if kwargs else fn.impl(self, *args)
        except GradvizError as exc:
            if kwargs and fn in C_NAMES:   # (not F.nll_loss's, which passes them on by place)
                _by_keyword(exc, kwargs)
            if fn in C_RENAMED:
                _c_named(exc, *C_RENAMED[fn])
            raise
        except TypeError as exc:
            # an argument mismatch is raised at the call itself (no deeper
            # frame): that is the user's; anything deeper is a bug
            if _at_the_call(exc):
                if cls is BoundMethod and fn.obj.__class__ is Tensor:    # (x.exp(1))
                    raise functions.method_argument_error(fn.name, fn.impl, args[1:], kwargs,
                                                          exc, looked_up) from None
                if cls is BoundMethod and fn.name in modules.MODULE_METHODS and \
                        modules.is_module(fn.obj):          # (Python's words name the class)
                    raise _argument_error(f"Module.{fn.name}", exc) from None
                if fn.name in functions.ONE_TENSOR_FUNCTIONS and \
                        fn.impl is functions.FUNCTIONS.get(fn.name) or fn in ONE_TENSOR_RENAMED:
                    return self._one_tensor_call(fn, args, kwargs, exc)
                raise _argument_error(C_NAMES.get(fn) or _dispatched_name(fn, kwargs), exc,
                                      parsed=fn in C_NAMES, call=(fn.impl, args, kwargs)) from None
            raise

    @staticmethod
    def _check_builtin_call(name: str, args: list, kwargs: dict | None) -> None:
        """Python's errors for its builtin NAME called with keywords or a
        count of arguments it does not take, in CPython's words (which
        differ from a Python function's), before the builtin reads them."""
        error = functions.builtin_call_error(name, len(args), kwargs)
        if error is not None:
            raise error

    def _bad_index(self, i) -> GradvizError:
        """PyTorch's error for x[i] with an i no index takes: a string is
        tried as a tensor's data (its TypeError), anything else (x[0.5],
        x[{}]) its IndexError."""
        if i.__class__ is str:
            return GradvizError("new(): invalid data type 'str'", kind=TYPE,
                                hint="index with ints, slices, None, ... or tensors of them")
        return GradvizError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                            f"byte Variables are valid indices (got {self.type_name(i)})",
                            kind=INDEX, hint="index with ints: x[int(i)] (or x[i.long()])")

    def _one_tensor_call(self, fn: Function, args: list, kwargs: dict | None, exc: TypeError):
        """A call of torch's function of one tensor (functions.ONE_TENSOR_FUNCTIONS)
        whose arguments its implementation did not take: with the tensor
        named input= (or x=), as PyTorch's parser takes it, the call; else
        PyTorch's error."""
        t = functions.one_tensor_input(args, kwargs)
        if t is not None:
            try:
                return fn.impl(self, t)
            except GradvizError as exc:
                _by_keyword(exc, kwargs)
                if fn in C_RENAMED:
                    _c_named(exc, *C_RENAMED[fn])
                raise
        error = functions.one_tensor_argument_error(C_NAMES.get(fn, fn.name), args, kwargs)
        raise (error or _argument_error(fn.name, exc)) from None

    def _unpack_keywords(self, node, fn, kwargs: dict) -> None:
        """Add the items of `**d` in a call to kwargs, with Python's errors."""
        d = self.eval(node.value)
        span = self.where(node)
        name = self._callee_name(fn)
        if d.__class__ is not dict:
            raise GradvizError(f"{name}() argument after ** must be a mapping, not "
                               f"{self.type_name(d)}", kind=TYPE, span=span,
                               hint="** unpacks a dict: f(**{'lr': 0.1}) is f(lr=0.1)")
        for key, v in d.items():
            if key.__class__ is not str:
                raise GradvizError("keywords must be strings", kind=TYPE, span=span,
                                   hint="the keys of a dict after ** are the parameters' names")
            if key in kwargs:
                raise GradvizError(f"{name}() got multiple values for keyword argument "
                                   f"'{key}'", kind=TYPE, span=span,
                                   hint="give each keyword argument once")
            kwargs[key] = v

    @staticmethod
    def _callee_name(fn) -> str:
        """The name Python's call errors give the function called."""
        return fn.defn.name if fn.__class__ is UserFunction else getattr(fn, "name", "")

    def _starred(self, node, fn) -> tuple:
        """The items of `*xs` in a call: of a list, tuple, range, string,
        iterator, or a tensor's rows, as Python unpacks them."""
        v = self.eval(node.value)
        span = self.where(node)
        if v.__class__ is str:
            return tuple(v)
        try:
            return tuple(self._items(v, span))
        except GradvizError as exc:
            if exc.kind != TYPE:
                raise
            name = self._callee_name(fn)
            raise GradvizError(f"{name}() argument after * must be an iterable, not "
                               f"{self.type_name(v)}",
                               kind=TYPE, span=span,
                               hint="* unpacks a list or a tuple: f(*[a, b]) is f(a, b)") from None

    def _attribute(self, node):
        obj = self.eval(node.value)
        if obj.__class__ is Tensor or obj.__class__ in classes.WITH_ATTRIBUTES:
            self.span = self.where(node)
        return self.attribute_of(obj, node.attr)

    def attribute_of(self, obj, attr: str):
        """obj.attr (getattr(obj, attr) too)."""
        if attr == "__class__":    # type(obj): the language's type, no way out to Python's
            return functions.f_type(self, obj)
        if obj.__class__ is Tensor:
            return self.tensor_attribute(obj, attr)
        if obj.__class__ in classes.WITH_ATTRIBUTES:
            return classes.get_attribute(self, obj, attr)
        if obj.__class__ is Module:
            v = obj.members.get(attr)
            if (obj.name, attr) in machine.SWITCHES:       # as the program set it
                v = self.switches.get((obj.name, attr), v)
            if v is None and obj.name.startswith("numpy"):
                if attr in obj.members:           # np.newaxis is None
                    return None
                from .pynumpy import missing
                raise missing(obj.name, attr)
            if v is None:
                raise GradvizError(f"module '{obj.name}' has no attribute '{attr}'",
                                   kind=ATTRIBUTE, hint=_MISSING_HINTS.get(f"{obj.name}.{attr}")
                                   or did_you_mean(attr, obj.members)
                                   or _MISSING_HINTS.get(obj.name))
            return v
        if obj.__class__ in modules.CLASSES:    # net[0].weight, net.parameters()
            return modules.attribute(self, obj, attr)
        if obj.__class__ is layers.Layer:       # nn.ReLU().eval(), .register_forward_hook
            return layers.attribute(self, obj, attr)
        if obj.__class__ is module_hooks.RemovableHandle and attr in ("remove", "id"):
            return BoundMethod(attr, lambda rt, h: h.remove(), obj) if attr == "remove" \
                else obj.id
        if obj.__class__ in data.CLASSES:
            return data.attribute(self, obj, attr)
        if obj.__class__ in distributions.CLASSES:    # d.sample, d.probs
            return distributions.attribute(self, obj, attr)
        if obj.__class__ is ReturnTypes and attr in obj.fields:
            return obj.field(attr)
        if obj.__class__ is rnn_utils.PackedSequence and attr in rnn_utils.PackedSequence.FIELDS:
            return getattr(obj, attr)
        if obj.__class__ is forward_ad.UnpackedDual and attr in ("primal", "tangent"):
            return getattr(obj, attr)
        if obj.__class__ in (slice, range) and attr in ("start", "stop", "step"):
            return getattr(obj, attr)         # (Python's read-only fields: s.start, r.step)
        if obj.__class__ in optim.CLASSES and attr in ("step", "zero_grad", "add_param_group",
                                                       "state_dict", "load_state_dict"):
            method = getattr(optim, attr)
            if attr != "step":
                return BoundMethod(attr, method, obj)
            return BoundMethod(attr, lambda rt, o, *a, **k: python_errors(
                lambda: method(rt, o, *a, **k), _OPTIM_HINT), obj)
        if obj.__class__ in optim.CLASSES and attr in ("param_groups", "defaults", "state"):
            return getattr(obj, attr)
        if obj.__class__ in schedulers.CLASSES:      # sched.step(), sched.last_epoch
            return schedulers.attribute(self, obj, attr)
        if obj.__class__ is NumpyArray:         # a.shape, a.sum(axis=0), a.T
            return _numpy_arrays().attribute(self, obj, attr, BoundMethod)
        if obj.__class__ is exceptions.ExceptionValue and attr == "args":
            return obj.args
        if obj.__class__ is exceptions.ExceptionValue and attr == "__cause__":
            return obj.cause
        if obj.__class__ is PyType and attr == "__name__":     # type(e).__name__
            return obj.name.rsplit(".", 1)[-1]
        if obj.__class__ is PyType and obj in (TENSOR, PARAMETER):
            if attr in METHODS:
                return UnboundMethod(attr, METHODS[attr])         # f = torch.Tensor.sum
            raise GradvizError(f"type object '{obj.name.rsplit('.', 1)[-1]}' has no attribute "
                               f"'{attr}'", kind=ATTRIBUTE, hint=did_you_mean(attr, METHODS) or
                               "`gradviz ops` lists the tensor methods gradviz has")
        if obj.__class__ is PyType and (obj.name, attr) in transformer_decoder.STATIC_METHODS:
            return transformer_decoder.static_method(attr)   # a class's static method
        if attr == "__name__" and obj.__class__ in (UserFunction, Function, classes.Method,
                                                    UnboundMethod):
            # d2l's f'{trainer_fn.__name__}: ...' ('<lambda>' for a lambda)
            return function_name(obj)
        if attr == "__doc__" and obj.__class__ in (UserFunction, classes.Method):
            return _docstring(obj if obj.__class__ is UserFunction else obj.fn)
        if obj.__class__ is str and attr == "format":
            return BoundMethod("format", functions.str_format, obj)
        if obj.__class__ is list and attr == "append":   # losses.append(loss.item())
            return BoundMethod("append", _list_append, obj)
        if obj.__class__ is str and attr in pymethods.STR_METHODS:    # ' '.join(names)
            return BoundMethod(attr, pymethods.str_method(attr), obj)
        if obj.__class__ is list and attr in pymethods.LIST_METHODS:  # xs.extend(ys)
            return BoundMethod(attr, pymethods.list_method(attr), obj)
        if isinstance(obj, tuple) and attr in pymethods.TUPLE_METHODS:   # x.shape.count(1)
            return BoundMethod(attr, pymethods.list_method(attr), obj)
        if obj.__class__ is Size and attr == "numel":                  # x.shape.numel()
            return BoundMethod(attr, pymethods.size_numel, obj)
        if obj.__class__ in DICTS and obj.__class__ is not dict:     # counts.most_common(2)
            v = pycollections.attribute(obj, attr, BoundMethod)
            if v is not pycollections.NOT_FOUND:
                return v
        if obj.__class__ in DICTS and attr in pymethods.DICT_METHODS:  # params.items()
            return BoundMethod(attr, pymethods.dict_method(attr), obj)
        if obj.__class__ is set and attr in pymethods.SET_METHODS or \
                obj.__class__ is frozenset and attr in pymethods.FROZENSET_METHODS:
            return BoundMethod(attr, pymethods.set_method(attr), obj)   # seen.add(fn)
        if obj.__class__ is functions.FunctionGenerator and attr in functions.GENERATOR_METHODS:
            return BoundMethod(attr, functions.GENERATOR_METHODS[attr], obj)   # gen.send(v)
        if obj.__class__ is functions.RemovableHandle and attr == "remove":
            return BoundMethod("remove", lambda rt, h: h.remove(), obj)
        if obj.__class__ is classes.Property:          # @balance.setter
            v = classes.property_attribute(obj, attr, Function)
            if v is not None or attr == "fset":
                return v
        if obj.__class__ is Function and obj.name in _DESCRIPTOR_OWNERS and \
                PY_BUILTINS.get(obj.name) is obj.impl:     # sorted(words, key=str.lower)
            method = _method_descriptor(obj.name, attr)
            if method is not None:
                return method
        if obj.__class__ is Function and obj.impl is functions.f_dict and attr == "fromkeys":
            return Function("fromkeys", pymethods.dict_fromkeys)
        if obj.__class__ is Function and obj.impl is pyitertools.chain and \
                attr == "from_iterable":
            return Function("from_iterable", pyitertools.chain_from_iterable)
        if obj.__class__ in (dtypeinfo.IInfo, dtypeinfo.FInfo) and attr in obj.FIELDS:
            return getattr(obj, attr)                               # torch.finfo().eps
        if obj.__class__ is DType and attr in _DTYPE_ATTRIBUTES:    # torch.int8.itemsize
            return _DTYPE_ATTRIBUTES[attr](functions.DTYPES[str.__str__(obj)])
        if obj.__class__ is Device and attr in ("type", "index"):   # x.device.type
            return obj.type if attr == "type" else obj.index
        if obj.__class__ is SavedTensor and attr == "register_hooks":
            return BoundMethod(attr, saved_hooks.register_hooks, obj)
        if obj.__class__ is GradFn:
            if attr == "name":
                return Function("name", lambda rt: obj.qualified_name())
            if attr == "next_functions":
                return obj.next_functions
            if attr in ("register_hook", "register_prehook"):
                kind = "pre" if attr == "register_prehook" else "post"
                return BoundMethod(attr, lambda rt, f, hook: hooks.register(rt, f, hook, kind), obj)
            if attr == "variable" and obj.name == "AccumulateGrad":
                return obj.node
            if attr.startswith(("_saved_", "_raw_saved_")):
                value = saved_attribute(obj, attr)
                if value.__class__ is Tensor and obj.node in self.packed:
                    value = saved_hooks.unpack_saved(self, obj.node, attr, value)
                return value
            raise GradvizError(f"'{obj.name}' object has no attribute '{attr}'", kind=ATTRIBUTE,
                               hint="gradviz models grad_fn's name(), next_functions, "
                                    "register_hook(), register_prehook(), "
                                    "the _saved_* values of common nodes "
                                    "(and an AccumulateGrad's variable)")
        v = pycollections.attribute(obj, attr, BoundMethod)    # d.popleft(), point.x
        if v is not pycollections.NOT_FOUND:
            return v
        if obj.__class__ in (int, float, bool):                # 1e5.real, (2.5).is_integer()
            v = pymethods.number_attribute(obj, attr, BoundMethod, pycollections.NOT_FOUND)
            if v is not pycollections.NOT_FOUND:
                return v
        raise GradvizError(f"'{self.type_name(obj)}' object has no attribute '{attr}'",
                           kind=ATTRIBUTE, hint=NONE_HINT if obj is None else
                           f"read a dict's item as d[{attr!r}]" if obj.__class__ in DICTS
                           else "a frozenset cannot change: make a set of it, set(f)"
                           if obj.__class__ is frozenset and attr in pymethods.SET_METHODS
                           else f"a named tuple of {', '.join(obj.fields)}: read a field, or "
                                "unpack it" if obj.__class__ is ReturnTypes
                           else None)

    def tensor_attribute(self, t: Tensor, attr: str):
        impl = METHODS.get(attr)
        if impl is not None:
            return BoundMethod(attr, impl, t)
        match attr:
            case "grad":
                if t.meta is not None and "grad_held_by" in t.meta:
                    t = self.tape.nodes[t.meta["grad_held_by"]]    # (y.t_() after retain_grad())
                if t.recorded and not t.retains_grad:
                    self.warn_nonleaf_grad(t)
                g = t.grad
                if g is not None and g.seq < 0:
                    self.tape.add(g, self.span, label="grad")
                    self.tape.grad_tensors[id(g)] = (t, g)
                return g
            case "shape":
                return Size(t.data.shape)
            case "dtype":
                name = t.dtype_name
                return functions.DTYPE_OBJECTS.get(name) or DType(name)
            case "device":
                return Device("cpu")
            case "requires_grad":
                return t.requires_grad and not func_transforms.hidden_grad(self, t)
            case "is_leaf":
                multi_views.check_valid(t, self.tape)    # (PyTorch reads its grad_fn)
                return t.is_leaf or func_transforms.hidden_grad(self, t)
            case "_base":
                # the tensor a view was taken of (a view of a view: the first
                # one's base), None for a tensor that is no view
                base, viewed = self._view_root(t)
                return base if viewed else None
            case "_version":
                return self.tape.versions.count(t)
            case "output_nr":
                # which output of its grad_fn t is (unbind's, split's pieces)
                return t.meta.get("output_nr", 0) if t.meta is not None else 0
            case "retains_grad":
                return bool(t.retains_grad) or (t.meta is not None and "grad_held_by" in t.meta)
            case "is_cuda":
                return False
            case "grad_fn":
                multi_views.check_valid(t, self.tape)
                if func_transforms.hidden_grad(self, t):
                    return None
                return grad_fn_of(t, self.tape.nodes)
            case "data":
                # shares t's memory but not its version count (PyTorch's .data:
                # writes through it escape the in-place check), and repeats
                # memory where t does (an expanded gradient)
                return self.tape.add(Tensor(t.data), self.span, label=".data",
                                     detached_from=t.seq, version_key=-1 - len(self.tape.nodes),
                                     **functions.overlap_meta(t))
            case "T":
                return self.apply(OPS["T"], (t,))
            case "mT" | "mH":             # (a real tensor's adjoint is its transpose)
                if t.data.ndim < 2:
                    raise GradvizError(f"tensor.{attr} is only supported on matrices or batches "
                                       f"of matrices. Got {t.data.ndim}-D tensor.",
                                       kind=RUNTIME, hint=f"{attr} swaps the last two dims: "
                                                          "give it a matrix (2-d or more)")
                return functions.f_transpose(self, t, -2, -1)
            case "ndim":
                return t.data.ndim
            case "volatile":
                return tensor_compat.read_volatile(self, t)
            case "grad_dtype":
                return tensor_compat.read_grad_dtype(self, t)
        if attr in tensor_queries.ATTRIBUTES:         # x.nbytes, x.layout, x.is_cpu, ...
            return tensor_queries.ATTRIBUTES[attr](t)
        raise GradvizError(f"'Tensor' object has no attribute '{attr}'", kind=ATTRIBUTE,
                           hint=_OTHER_DTYPES.get(attr) or did_you_mean(
                               attr, list(METHODS) + list(TENSOR_ATTRIBUTES)) or
                           "`gradviz ops` lists the tensor methods gradviz has")

    def warn_nonleaf_grad(self, t):
        """PyTorch warns when .grad of a non-leaf is read; we note it."""
        self.log_event("nonleaf_grad_read", t)

    def _index_items(self, node, sequence: bool = False) -> list:
        """The items of node's [...]: numbers, slices, tensors, lists, None.
        sequence: of a list, tuple or string, whose slices may step back."""
        index = []
        for item in node.index:
            if item.__class__ is syntax.Slice:
                parts = [None if e is None else self.eval(e) for e in (item.start, item.stop, item.step)]
                # Python asks a tensor bound for its __index__ (x[:n] with n = t.sum())
                parts = [functions.index_of_tensor(v) if v.__class__ is Tensor else
                         _numpy_arrays().index_value(v) if v.__class__ is NumpyArray else v
                         for v in parts]
                for v in parts:
                    if v is not None and not isinstance(v, int):    # (a bool is an int here)
                        raise GradvizError("slice indices must be integers or None or have an "
                                           "__index__ method", kind=TYPE)
                if parts[2] == 0 and sequence:
                    raise GradvizError("slice step cannot be zero", kind=VALUE)
                if parts[2] is not None and parts[2] <= 0 and not sequence:
                    raise GradvizError("step must be greater than zero", kind=VALUE)
                index.append(slice(*parts))
            else:
                index.append(self.eval(item))
        return index

    def _subscript(self, node):
        obj = self.eval(node.value)
        index = self._index_items(node, obj.__class__ is not Tensor)
        self.span = self.where(node)
        return self.item_of(obj, index)

    def item_of(self, obj, index: list):
        """obj[index] (the items of the brackets' index), for any value."""
        if obj.__class__ is Tensor:
            return self.index_tensor(obj, index)
        if obj.__class__ is NumpyArray:
            return _numpy_arrays().item(self, obj, index)
        if obj.__class__ in modules.NAMED_CONTAINERS:      # net[0], heads['cls']
            if len(index) != 1:
                raise GradvizError(f"a {obj.name} takes one index", kind=TYPE)
            return obj.item(index[0])
        if obj.__class__ in data.INDEXED:       # dataset[0]: (features[0], labels[0])
            return data.item(self, obj, index[0] if len(index) == 1 else tuple(index))
        if obj.__class__ is classes.Instance and obj.cls.kind in ("dataset", "iterable") and \
                classes.method_of(obj, "__getitem__") is None:
            return data.get(self, obj, _dict_key(index))      # (PyTorch's NotImplementedError)
        if obj.__class__ in DICTS:
            return pymethods.dict_item(self, obj, _dict_key(index))
        if classes.method_of(obj, "__getitem__") is not None:     # d2l's metric[0]
            return classes.call_method(self, obj, "__getitem__", [_dict_key(index)])
        if obj.__class__ is typehints.TypeHint:       # Tuple[Tensor, Tensor] (a type alias)
            return obj.subscript(index)
        if obj.__class__ is pycollections.Deque:
            return pycollections.deque_item(self, obj, index)
        if obj.__class__ in (ReturnTypes, forward_ad.UnpackedDual, rnn_utils.PackedSequence):
            obj = tuple(obj)                 # x.max(0)[0]: a named tuple in PyTorch
        if isinstance(obj, (list, tuple, str)):
            what = "list" if obj.__class__ is list else "string" if isinstance(obj, str) else \
                "tuple"
            i = index[0] if len(index) == 1 else tuple(index)     # (xs[0, 1]: a tuple)
            if i.__class__ is Tensor:       # classes[labels[j]]: Tensor.__index__
                i = functions.index_of_tensor(i)
            elif i.__class__ is NumpyArray:  # names[np.argmax(p)]: numpy's __index__
                i = _numpy_arrays().index_value(i)
            self._check_sequence_index(what, i)
            try:
                v = obj[i]
                if isinstance(obj, str):
                    return str(v)        # (a DType's name is a str too: its text)
            except IndexError:          # Python's words (a shape is a tuple)
                raise GradvizError(f"{what} index out of range", kind=INDEX,
                                   hint=f"index {i} is past the end of {len(obj)} items") from None
            return Size(v) if isinstance(obj, Size) and isinstance(i, slice) else v
        raise GradvizError(f"'{self.type_name(obj)}' object is not subscriptable", kind=TYPE,
                           hint=NONE_HINT if obj is None else None)

    def _check_sequence_index(self, what: str, i) -> None:
        """Python's errors for a list's, tuple's or string's index that is not
        an int or a slice (a bool is an int), or an int past 64 bits."""
        if not isinstance(i, (int, slice)):
            raise GradvizError(f"string indices must be integers, not '{self.type_name(i)}'"
                               if what == "string" else
                               f"{what} indices must be integers or slices, not "
                               f"{self.type_name(i)}", kind=TYPE)
        if isinstance(i, int) and not -2**63 <= i < 2**63:
            raise GradvizError("cannot fit 'int' into an index-sized integer", kind=INDEX)

    def _setitem(self, stmt):
        """x[index] = value: PyTorch's __setitem__, a copy of value into that part
        of x's memory (broadcast, cast to x's dtype), seen by x's aliases and
        counted as an in-place write. With gradients on, recorded as `x += v`
        is (_augassign): out of place, as the op setitem, whose result takes
        over x's memory and names."""
        target = stmt.target
        t = self.eval(target.value)
        index = self._index_items(target)
        value = self.eval(stmt.value)
        self.span = self.where(stmt)
        self._store_item(t, index, value)
        if t.__class__ in DICTS and target.value.__class__ is _Name:
            self._name_item(target.value.id, _dict_key(index), value)   # params['w'] = ...

    def _store_list_slice(self, t: list, where: slice, value) -> None:
        """xs[a:b] = items (or xs[a:b:k], as many items as it selects): Python's
        list slice assignment, its words when the counts differ."""
        if value.__class__ is Tensor:
            items = list(self._items(value, self.span))
        elif isinstance(value, (list, tuple, range, str)) or value.__class__ in ITERATORS:
            items = list(value)
        else:
            raise GradvizError("must assign iterable to extended slice" if where.step not in
                               (None, 1) else "can only assign an iterable", kind=TYPE,
                               hint="xs[a:b] = [...] takes a list of the new items")
        try:
            t[where] = items
        except ValueError as exc:          # (an extended slice of another length)
            raise GradvizError(str(exc), kind=VALUE) from None
        for v in items:
            self._mark_value_held(v)

    def _augassign_item(self, stmt):
        """y[i] += v as Python runs it: y[i] read, changed in place
        (y.__getitem__(i).__iadd__(v)), then written back (y.__setitem__):
        a write of the same values, which PyTorch records (and counts) too."""
        target = stmt.target
        t = self.eval(target.value)
        index = self._index_items(target)
        span = self.span = self.where(stmt)
        if t.__class__ in DICTS or (t.__class__ is list and len(index) == 1
                                   and index[0].__class__ is int) or t.__class__ is NumpyArray:
            # metric[0] += 1.5 (d2l's Accumulator), counts['n'] += 1: read,
            # change (a tensor or a list in place, as its __iadd__ does),
            # write back
            if t.__class__ in DICTS:
                current = pymethods.dict_item(self, t, _dict_key(index))
            elif t.__class__ is NumpyArray:     # a[1, 1:] += 5: the view, in place
                current = _numpy_arrays().item(self, t, index)
            elif -len(t) <= index[0] < len(t):
                current = t[index[0]]
            else:
                raise GradvizError("list index out of range", kind=INDEX)
            result = self._updated(current, stmt)
            self.span = span
            self._store_item(t, index, result)
            return
        if t.__class__ is not Tensor:
            raise GradvizError(f"{self._kind(t)} does not take item assignment here",
                               kind=TYPE, hint="item assignment writes into a tensor")
        self.span = self.where(target)          # the read is labelled y[i]
        current = self.index_tensor(t, index)
        value = self.eval(stmt.value)
        result = self.update_in_place(current, stmt.op.rstrip("="), value, span, stmt.op)
        self.span = span
        # t as the program holds it now (a write through its view made its new node)
        self._store_item(self._latest(t), index, result)

    def swap_items(self, t: Tensor, i: int, j: int) -> None:
        """t[i], t[j] = t[j], t[i] as Python runs it on a tensor (random.shuffle
        of one): both rows read first, as views of t, then written in turn,
        so the second write copies back what the first wrote. The views are
        held meanwhile, as Python's frame holds them: a first write with
        gradients remakes the second view (_remake_view), which then reads
        through it, as in PyTorch."""
        t = self._latest(t)         # (t as the program holds it now)
        if not (self.tape.grad_enabled and t.requires_grad):
            # nothing recorded: the same writes without the views as nodes
            # (n rows would make 2n views of one memory, each write looking
            # at all of them)
            self._check_no_grad_view(t, "Select")
            self._check_writable(t)
            self._store_unrecorded(t, (i,), t.data[j])
            self._store_unrecorded(t, (j,), t.data[i])
            return
        frame = {"t[j]": self.index_tensor(t, [j]), "t[i]": self.index_tensor(t, [i])}
        self.aliased.update(id(v) for v in frame.values())
        self.scopes.append(frame)
        try:
            self._store_item(self._latest(t), [i], frame["t[j]"])
            self._store_item(self._latest(t), [j], frame["t[i]"])
        finally:
            self.scopes.pop()

    def _store_item(self, t, index: list, value) -> None:
        """t[index] = value, the values evaluated."""
        if classes.method_of(t, "__setitem__") is not None:
            classes.call_method(self, t, "__setitem__", [_dict_key(index), value])
            return
        if t.__class__ in DICTS:
            pymethods.dict_put(self, t, _dict_key(index), value)
            return
        if t.__class__ is list and len(index) == 1 and index[0].__class__ is int:
            if not -len(t) <= index[0] < len(t):
                raise GradvizError("list assignment index out of range", kind=INDEX)
            t[index[0]] = value
            self._mark_value_held(value)
            return
        if t.__class__ is list and len(index) == 1 and index[0].__class__ is slice:
            self._store_list_slice(t, index[0], value)     # xs[2:4] = [...]
            return
        if t.__class__ is NumpyArray:
            _numpy_arrays().store(self, t, index, value)
            return
        if t.__class__ in modules.NAMED_CONTAINERS and len(index) == 1:   # net[1] = nn.Tanh()
            t.set_item(self, index[0], value)
            return
        if t.__class__ is not Tensor:
            raise GradvizError(f"{self._kind(t)} does not take item assignment here",
                               kind=TYPE, hint="item assignment writes into a tensor")
        if value.__class__ is Tensor:
            v = value.data
        elif isinstance(value, (bool, int, float)):
            v = _checked_int(value, t.data.dtype) if t.data.dtype.kind in "iu" else value
        else:
            raise GradvizError(f"can't assign a {type(value).__name__} to a "
                               f"torch.{functions.type_word(t.data.dtype)}Tensor",
                               kind=TYPE, hint="assign a number or a tensor")
        index = _tensor_index(t.data.ndim, index)
        key, _, _ = self._index_key(t, index)
        cut, advanced = _setitem_kind(t.data.shape, index)
        if advanced and value.__class__ is Tensor and v.dtype != t.data.dtype:
            raise GradvizError(
                "Index put requires the source and destination dtypes match, got "
                f"{functions.type_word(t.data.dtype)} for the destination and "
                f"{functions.type_word(v.dtype)} for the source.",
                hint=f"convert the value first: .to(torch.{t.dtype_name}) (a number needs "
                     "no conversion)")
        record = self.tape.grad_enabled and t.data.dtype.kind == "f" and (
            t.requires_grad or (value.__class__ is Tensor and value.requires_grad))
        self._check_no_grad_view(t, cut, record)
        if record:
            self.view_write_check(t, cut)
        self._check_writable(t, None if advanced else key)
        part = t.data[key]
        shape = np.shape(part)
        if value.__class__ is Tensor:
            if advanced:
                strides.check_input_overlap(t.data, v, False, "write from a copy: "
                                                             "y[idx] = y[:2].clone()")
            elif part.__class__ is np.ndarray:
                strides.check_input_overlap(part, v, True, "write from a copy: "
                                                           "y[1:] = y[:2].clone()")
        fitted = strip_leading_ones(v, len(shape))
        try:
            np.broadcast_to(fitted, shape)
        except ValueError:
            raise _setitem_shape_error(np.shape(fitted), shape, advanced) from None
        if record and _repeats(t.data):
            self._setitem_expanded(t, key, value)
        elif record:
            self._setitem_recorded(t, key, value, cut, advanced)
        else:
            self._store_unrecorded(t, key, v, value)

    def _setitem_expanded(self, t: Tensor, key: tuple, value) -> None:
        """t[key] = value with gradients on, t a view that holds an element
        at several positions (an expand) and t[key] a part of it that holds
        each once (_check_writable): PyTorch writes that part's memory, its
        base's, which becomes CopySlices, and t is made again from it
        (AsStridedBackward0). Recorded as that write into the base, at the
        part's positions there; the base's family remakes t."""
        base = self._view_base(t)
        if base is None:            # (no plain memory to write at: PyTorch's error stands)
            self._check_writable(t)
        part = t.data[key + (Ellipsis,)]        # (a view, even of one element)
        where = np.unravel_index(strides.positions(base.data, part), base.data.shape)
        self._setitem_recorded(base, where, value, "Select", False)

    def view_write_check(self, t: Tensor, cut: str | None) -> None:
        """PyTorch's errors for a recorded write into t, through a view of it
        when cut (x[0] = v, x.fill_diagonal_(v)): for a leaf that requires
        grad, the view's error, as PyTorch writes into the view, not the leaf."""
        multi_views.check_write(t, cut)
        if cut and t.requires_grad and not t.recorded:
            raise GradvizError("a view of a leaf Variable that requires grad is being used "
                               "in an in-place operation.",
                               hint="update parameters inside `with torch.no_grad():`")
        self.inplace_check(t)
        self.inference_write_check(t)

    @staticmethod
    def _check_writable(t: Tensor, key=None) -> None:
        """PyTorch's error for a write into memory the tensor holds more than
        once (an expand()). key: the part a write without gradients goes to,
        which may be written where it holds each element once (e[0] = v of
        e = v.expand(2, 3) writes v), when t is such a view here too."""
        if key is not None and t.data.flags.writeable and _repeats(t.data) \
                and not _repeats(np.asarray(t.data[key])):
            return
        if t.meta is not None and t.meta.get("overlapping") or not t.data.flags.writeable:
            raise GradvizError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.",
                               hint="write into a clone(): y = x.clone(), then y[...] = v")

    def _store_unrecorded(self, t: Tensor, key: tuple, v, value=None) -> None:
        """t[key] = v with no node: into t's memory, seen by its views,
        counted in its version. value: what v is the values of (a tensor
        or a number), whose tangent a dual level writes into t's."""
        if self.dual_tangents and value is not None:
            forward_ad.before_plain_write(self, t, forward_ad.item_tangent(self, t, key, value))
        self.tape.before_inplace(t.data, t)
        with np.errstate(invalid="ignore"):
            t.data[key] = v
        self.tape.versions.bump(t, self.line)
        self.log_event("inplace", t, op="[]=")
        self.inference_write_check(t)

    def _setitem_recorded(self, t: Tensor, key: tuple, value, cut: str | None, advanced: bool):
        """t[key] = value with gradients on: the op setitem on t before the
        write and the value, named as PyTorch names the node (and, when t is
        a view, its base's new node, as _augassign)."""
        if cut and not advanced and strides.holds_twice(t.data):
            # a part of overlapping windows (w[0] = v of w = x.unfold()):
            # PyTorch writes that part alone, a view of what t views (as
            # w[0].copy_(v) does), and t is made again after it (_remake_view)
            t, key, cut = self._part_view(t, key, cut), (Ellipsis,), None
        if cut:
            grad_fn = "CopySlices"          # a write into a view of t
        elif advanced:
            grad_fn = "IndexPutBackward0"   # index_put_ on t itself
        elif value.__class__ is not Tensor or value.data.ndim == 0:
            grad_fn = "FillBackward3"       # all of t, from one number: fill_
        else:
            grad_fn = "CopyBackwards"       # all of t: copy_
        self._write_recorded(t, lambda: self.apply(
            OPS["setitem"], (t, value), {"index": key, "advanced": advanced, "grad_fn": grad_fn}))

    def _part_view(self, t: Tensor, key: tuple, cut: str) -> Tensor:
        """t[key], basic indexing, as the view PyTorch writes an item
        assignment through (cut names its node: Select, Slice)."""
        return self.apply(OPS["index"], (t,), {"index": key, "advanced": False,
                                                "grad_fn": cut + "Backward0"})

    def index_tensor(self, t: Tensor, index: list):
        idx, advanced, grad_fn = self._index_key(t, index)
        return self.apply(OPS["index"], (t,), {"index": idx, "advanced": advanced,
                                                "grad_fn": grad_fn})

    def _index_key(self, t: Tensor, index: list) -> tuple:
        """numpy's key for t[index], whether it is advanced indexing, and the
        grad_fn PyTorch names the result with; PyTorch's errors for bad ones."""
        shape = t.data.shape
        np_index = []
        dim = 0
        advanced = False
        # x[i] and x[i, j]: PyTorch skips a slice over a whole dim when it
        # indexes with a tuple (x[...] and x[..., :] count as one), so the
        # last slice that cuts names the node (AliasBackward0 if none)
        single = len(index) == 1 and index[0] is not Ellipsis and index[0].__class__ is not tuple
        index = _tensor_index(len(shape), index)
        grad_fn = "SliceBackward0" if single else "AliasBackward0"
        for i in index:
            if i.__class__ is Tensor and i.data.ndim == 0 and i.data.dtype.kind == "i":
                i = int(i.data)     # PyTorch selects with a 0-d integer tensor, as with an int
            if i is None:
                np_index.append(None)
                grad_fn = "UnsqueezeBackward0"
                continue
            if not shape and single and (isinstance(i, int) and not isinstance(i, bool)):
                # the old loss.data[0], PyTorch 0.3's way to read a loss
                raise GradvizError("invalid index of a 0-dim tensor. Use `tensor.item()` in "
                                   "Python or `tensor.item<T>()` in C++ to convert a 0-dim "
                                   "tensor to a number", kind=INDEX,
                                   hint="write loss.item() for its number")
            if not shape and single and isinstance(i, slice):
                raise GradvizError("slice() cannot be applied to a 0-dim tensor.", kind=INDEX,
                                   hint="a 0-dim tensor has no items: x.item() is its number")
            if isinstance(i, bool):     # x[True]: a 0-d bool mask, as PyTorch takes it
                mask = Tensor(np.array(i))
                return self._index_key(t, [mask if k is i else k for k in index])
            if dim >= len(shape) and not (i.__class__ is Tensor and i.data.dtype == np.bool_):
                raise _too_many_indices(len(shape))
            if isinstance(i, int):
                if not -2**63 <= i < 2**63:      # (PyTorch reads an index as an int64 first)
                    raise GradvizError("Overflow when unpacking long long", kind=VALUE,
                                       hint="an index is an int64")
                if not -shape[dim] <= i < shape[dim]:
                    raise GradvizError(f"index {i} is out of bounds for dimension {dim} with "
                                       f"size {shape[dim]}", kind=INDEX,
                                       hint=f"indices of dimension {dim} run from "
                                            f"{-shape[dim]} to {shape[dim] - 1}"
                                       if shape[dim] else f"dimension {dim} is empty")
                np_index.append(i)
                grad_fn = "SelectBackward0"
                dim += 1
            elif isinstance(i, slice):
                np_index.append(i)
                if single or i.indices(shape[dim]) != (0, shape[dim], 1):
                    grad_fn = "SliceBackward0"
                dim += 1
            elif i.__class__ is Tensor:
                advanced = True
                if i.data.dtype == np.bool_:
                    if i.data.shape != shape[dim:dim + i.data.ndim]:
                        raise _mask_error(i.data.shape, shape, dim)
                    dim += i.data.ndim
                elif i.data.dtype == np.uint8:
                    # PyTorch's old byte masks (deprecated there, still working):
                    # the same as the bool mask
                    mask = Tensor(i.data.astype(np.bool_))
                    return self._index_key(t, [mask if k is i else k for k in index])
                elif i.data.dtype == np.int64 or i.data.dtype == np.int32:
                    if i.data.size and (i.data.max() >= shape[dim] or i.data.min() < -shape[dim]):
                        raise GradvizError(f"index {int(i.data.max())} is out of bounds for "
                                           f"dimension {dim} with size {shape[dim]}", kind=INDEX)
                    dim += 1
                else:
                    raise GradvizError("tensors used as indices must be long, int, byte or "
                                       "bool tensors", kind=INDEX,
                                       hint="make the index integers: idx.long() (a float "
                                            "tensor of labels, y.float(), cannot index)")
                np_index.append(i.data)
            elif isinstance(i, (list, range)):
                # a list or range of ints (d2l's y_hat[range(len(y_hat)), y]):
                # an index tensor, as PyTorch makes of it
                # (an empty one too: PyTorch's is int64, not a float tensor)
                if i.__class__ is range:      # (its ints made at once, after the size check)
                    it = functions._make_tensor(self, i, np.dtype(np.int64), False, "tensor")
                else:
                    it = (functions.as_tensor(self, list(i)) if len(i) else
                          functions._make_tensor(self, [], np.dtype(np.int64), False, "tensor"))
                return self._index_key(t, [it if k is i else k for k in index])
            else:
                raise self._bad_index(i)
        if advanced:
            grad_fn = "IndexBackward0"
            self._check_index_size(shape, index)
        elif len(np_index) - dim + len(shape) > len(shape):    # x[None, ...]
            self.tape.check_shape(shape + (1,) * (len(np_index) - dim), "result")
        return tuple(np_index), advanced, grad_fn

    def _check_index_size(self, shape: tuple, index: list):
        """x[idx] with a million zeros in idx is far larger than x: the
        result's shape, checked before numpy allocates it."""
        picked = []      # shapes of the index tensors (a mask picks its True count)
        rest = []        # sizes of the dimensions kept, and the None ones
        dim = 0
        for i in index:
            if i is None:
                rest.append(1)
            elif isinstance(i, int):
                dim += 1
            elif isinstance(i, slice):
                rest.append(len(range(*i.indices(shape[dim]))))
                dim += 1
            elif i.data.dtype == np.bool_:
                picked.append((int(np.count_nonzero(i.data)),))
                dim += i.data.ndim
            else:
                picked.append(i.data.shape)
                dim += 1
        try:
            together = np.broadcast_shapes(*picked)
        except ValueError:
            raise GradvizError("shape mismatch: indexing tensors could not be broadcast "
                               "together with shapes " + ", ".join(str(list(p)) for p in picked),
                               kind=INDEX, hint="index tensors pick elements in pairs (x[rows, "
                                                "cols]): give them the same length") from None
        self.tape.check_shape(together + tuple(rest) + tuple(shape[dim:]), "result")

    # ---- what functions call back -------------------------------------
    def apply(self, op, args, params=None):
        return self.tape.apply(op, args, params, self.span)

    def print(self, args, sep, end):
        if not isinstance(sep, str) or not isinstance(end, str):
            raise GradvizError("print(): sep and end must be strings", kind=TYPE)
        self.out.write(print_args(args, sep, end, tensor_str=self.shown))

    @property
    def shown(self) -> "_Shown":
        """value_str for the renderer, with the repr form of a program's
        objects (repr(obj), an object in a list: its __repr__, not __str__)."""
        return _Shown(self)

    def value_str(self, v) -> str:
        """str() of the values print() meets that are not plain Python ones.
        Objects Python shows with their address show the number id() gives
        them (made up, the same on every run: no address of this process)."""
        if v.__class__ is Tensor:
            tangent = None
            if self.dual_tangents:
                tangent = forward_ad.tangent_of(self, v)
                if tangent is not None:      # PyTorch formats it: a 0-d one as its number
                    tangent = (repr(tangent.data.item()) if tangent.data.ndim == 0 else
                               self.value_str(tangent))
            multi_views.regrow(v)          # (PyTorch's repr reads its grad_fn)
            grad_fn = v.grad_fn_name
            if grad_fn is None and v.seq in self.tape.lazy_views and \
                    multi_views.invalid(self.tape, v):
                # (an untracked piece, or a view made under no_grad(), see above)
                grad_fn = multi_views.INVALID_GRAD_FN
            text = format_tensor(v.data, v.dtype_name, requires_grad=v.requires_grad,
                                 grad_fn=grad_fn, tangent=tangent,
                                 options=self.print_options,
                                 default_float=self.tape.default_dtype.name)
            if v.meta is not None and v.meta.get("parameter"):
                return "Parameter containing:\n" + text
            return text
        if v.__class__ is exceptions.ExceptionValue:
            return v.message
        if v.__class__ in optim.CLASSES:
            return str(v)
        if v.__class__ in schedulers.CLASSES:
            return f"<{schedulers.NAMES[type(v).__name__]} object at {self.address(v)}>"
        if v.__class__ is forward_ad.UnpackedDual:
            return (f"UnpackedDualTensor(primal={self.value_str(v.primal)}, "
                    f"tangent={'None' if v.tangent is None else self.value_str(v.tangent)})")
        if v.__class__ is GradFn:
            # (a Python-defined Function's node: the program's, or a module's backward hooks')
            where = "torch.autograd.function." if v.node is not None and v.node.recorded \
                and (v.node.op.custom or v.node.op.name == "backward_hook") \
                and v.name == v.node.op.grad_fn or v.name == "ResizeBackward" else ""
            return f"<{where}{v.class_name} object at {self.address(v)}>"
        if v.__class__ in classes.PRINTED:
            return classes.text(self, v)
        if v.__class__ is layers.Layer or v.__class__ in modules.CLASSES:
            return modules.text_of(self, v)
        if v.__class__ is range:
            return repr(v)
        if v.__class__ is functions.GeneratorExpression or v.__class__ is functions.Generator:
            return f"<generator object <genexpr> at {self.address(v)}>"
        if v.__class__ is functions.FunctionGenerator:
            return f"<generator object {v.fn.defn.name} at {self.address(v)}>"
        if v.__class__ in distributions.CLASSES:
            return distributions.text(self, v)
        if v.__class__ in data.PRINTED:
            return data.text(self, v)
        if v.__class__ in ITERATORS:
            return f"<{v.__class__.__name__} object at {self.address(v)}>"
        if v.__class__ is PyType:
            return repr(v)
        if v.__class__ is UserFunction:
            return f"<function {v.name} at {self.address(v)}>"
        if v.__class__ is rnn_utils.PackedSequence:
            return rnn_utils.text(self, v)
        if v.__class__ is ReturnTypes:
            return (f"torch.return_types.{v.kind}(\n" + ",\n".join(
                f"{name}={self.repr_of(t)}" for name, t in zip(v.fields, v.items)) + ")")
        if v.__class__ is Module:
            return f"<module '{v.name}'>"
        if v.__class__ is Function:
            if hasattr(v.impl, "method_of"):        # str.lower, list.append
                return f"<method '{v.name}' of '{v.impl.method_of}' objects>"
            if PY_BUILTINS.get(v.name) is v.impl:
                # Python's own, as Python shows them
                return (f"<class '{v.name}'>" if v.name in _PY_TYPES else
                        f"<built-in function {v.name}>")
            kind = function_kinds.kind_of(v)      # torch.einsum, F.relu: Python functions
            if kind is not None:
                kind, name = kind
                return (f"<function {name} at {self.address(v)}>" if kind == function_kinds.FUNCTION
                        else f"<built-in function {name}>" if kind == function_kinds.BUILTIN
                        else f"<class '{name}'>")
            if v.name.startswith("linalg_"):        # (torch._C._linalg's functions)
                return f"<built-in function {v.name}>"
            # torch's are methods of one class (torch._C._VariableFunctions)
            return f"<built-in method {v.name} of type object at {self.address(GLOBALS['torch'])}>"
        if v.__class__ is UnboundMethod:
            return v.text(self.address(v))
        if v.__class__ is BoundMethod:
            if v.obj.__class__ is Tensor and v.name in functions.PYTHON_BOUND_METHODS:
                return f"<bound method Tensor.{v.name} of {self.value_str(v.obj)}>"
            owner = "Tensor" if v.obj.__class__ is Tensor else type(v.obj).__name__
            return f"<built-in method {v.name} of {owner} object at {self.address(v.obj)}>"
        if v.__class__ is NoGrad:
            return f"<torch.autograd.grad_mode.{v.name} object at {self.address(v)}>"
        if v.__class__ in (functions.RemovableHandle, module_hooks.RemovableHandle):
            return f"<torch.utils.hooks.RemovableHandle object at {self.address(v)}>"
        if v.__class__ is SavedTensor:
            return f"<torch._C._autograd.SavedTensor object at {self.address(v)}>"
        if v.__class__ is saved_hooks.SavedTensorsHooks:
            return f"<torch.autograd.graph.{v.kind} object at {self.address(v)}>"
        if v.__class__ is saved_hooks.DisableSavedHooks:
            return f"<contextlib._GeneratorContextManager object at {self.address(v)}>"
        return repr(v)

    def address(self, v) -> str:
        return f"0x{functions.f_id(self, v):x}"

    def inference_write_check(self, t: Tensor) -> None:
        """PyTorch's refusal of an in-place write into an inference tensor
        outside inference_mode(). A write autograd does not record is made
        before it is refused, as PyTorch's is (its check comes after the
        kernel ran): the callers check after writing."""
        if self.tape.inference_blocks and not self.tape.inference_mode \
                and self.tape.is_inference(t):
            raise GradvizError(
                "Inplace update to inference tensor outside InferenceMode is not allowed.You "
                "can make a clone to get a normal tensor before doing inplace update.See "
                "https://github.com/pytorch/rfcs/pull/17 for more details.", kind=RUNTIME,
                hint="this tensor was made under torch.inference_mode(): write into a "
                     "clone() of it, or make it under torch.no_grad()")

    def inplace_check(self, t: Tensor):
        if t.requires_grad and self.tape.grad_enabled:
            multi_views.check_write(t)      # (before the leaf's errors, as PyTorch)
            self._check_no_grad_view(t)
        if (t.requires_grad and self.tape.grad_enabled and not t.recorded
                and (t.meta is None or "no_grad_view" not in t.meta)):   # (its own error)
            if _viewed_leaf(t):
                # a view made a leaf (x = torch.arange(6.0)[1:].requires_grad_()):
                # PyTorch asks about the view first
                if t.meta is not None and "made_without_grad" in t.meta:
                    raise GradvizError("A view was created in no_grad mode and " + NO_GRAD_VIEW,
                                       hint="take the view outside the no_grad() block")
                raise GradvizError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.",
                                   hint="update parameters inside `with torch.no_grad():`, or "
                                        "make the leaf from a copy: x = v.clone().requires_grad_()")
            raise GradvizError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.",
                               hint="update parameters inside `with torch.no_grad():`")
        if t.requires_grad and self.tape.grad_enabled and t.recorded and \
                t.op.name == "backward_hook":
            raise module_hooks.view_write_error(t)
        if t.requires_grad and self.tape.grad_enabled and _seen_as_view(t):
            base = t
            while _seen_as_view(base):
                base = base.args[0]
            if not base.recorded:
                raise GradvizError("a view of a leaf Variable that requires grad is being used "
                                   "in an in-place operation.",
                                   hint="update parameters inside `with torch.no_grad():`, "
                                        "or change a clone() of the view")

    def log_event(self, kind, t, **extra):
        ev = {"kind": kind, "node": t.seq, "line": self.line}
        grad_of = (t.meta or {}).get("grad_of")
        if grad_of is not None:
            ev["grad_of"] = grad_of
        ev.update(extra)
        self.tape.events.append(ev)

    def backward(self, root, gradient, retain_graph, create_graph, inputs=None):
        """root.backward(gradient, ...); root and gradient lists for
        torch.autograd.backward(tensors, grad_tensors). inputs: the tensors
        whose .grad it fills (the others it leaves alone, as PyTorch)."""
        self.tape.settle_grads()     # the pass adds into .grad buffers the record shares
        retain_graph, create_graph = functions.engine_flags(self, retain_graph, create_graph)
        roots, gradients = (root, gradient) if root.__class__ is list else ([root], [gradient])
        gradients = [g if g is None or g.__class__ is Tensor else functions.as_tensor(self, g)
                     for g in gradients]
        if inputs is not None:
            inputs = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
            if not inputs:
                raise GradvizError("`inputs` argument to `backward()` cannot be empty.",
                                   hint="leave inputs= out to fill every leaf's .grad")
        if create_graph:
            if len(roots) > 1 or inputs is not None:
                functions.check_differentiated(inputs or ())
                raise GradvizError("backward(create_graph=True) of several tensors or with "
                                   "inputs= is not supported here", kind=RUNTIME,
                                   hint="call each tensor's backward(create_graph=True)")
            from .higher_order import backward_with_graph
            return backward_with_graph(self, roots[0], gradients[0], retain_graph)
        seeds, implicit = [], False
        for i, (r, g) in enumerate(zip(roots, gradients)):
            seed, implicit_one = autodiff.seed_gradient(r, g, i)
            seeds.append(seed)
            implicit = implicit or implicit_one
        functions.check_differentiated(inputs or ())     # (after the roots', as PyTorch)
        keep = bool(retain_graph) if retain_graph is not None else False
        if self.on_backward is not None:
            self.on_backward(self, "backward", roots, seeds, inputs)
        # backward adds into the .grads in place: those still some tensor's
        # .grad (the others are dropped, so that a loop that sets .grad to
        # None each step does not make every pass longer)
        live = {}
        for key, (holder, g) in self.tape.grad_tensors.items():
            if holder.grad is g:
                live[key] = (holder, g)
                self.tape.before_inplace(g.data, g)
        self.tape.grad_tensors = live
        adopted = []
        _, steps, pruned, order = autodiff.run_backward(roots, seeds, keep, inputs=inputs,
                                                        versions=self.tape.versions,
                                                        adopted=adopted, hooks=self.hook_runners())
        if adopted:
            # gradients that became a .grad without a copy: the record's
            # entries for them are copied only if that .grad changes later
            ids = {id(g) for g in adopted}
            share = self.tape.share_grad
            for i, s in enumerate(steps):
                if s.__class__ is np.ndarray and id(s) in ids:
                    share(steps, i, s)
        self.log_pass("backward", roots, seeds, keep, steps, pruned, order, implicit)

    def hook_runners(self, accumulate: bool = True):
        """For a reverse pass: the hooks it runs (autodiff.PassHooks; None:
        the program has none, the pass checks nothing)."""
        return hooks.pass_hooks(self, accumulate)

    def run_hooks(self, t: Tensor, g):
        """t's register_hook() functions on its gradient g (an array, or a
        numpy scalar on a graph of scalars), in the order they were
        registered, each on what the one before returned; the gradient
        from here on. They run as PyTorch runs them: with gradients off (the
        gradient they get needs none), each on a tensor of its own, and
        what one returns must have the gradient's shape and dtype.

        In a pass that builds a graph (create_graph=True), g is the
        gradient's Tensor, a node of that graph: the hooks get it itself,
        run with gradients on (as PyTorch's do then), and what they return
        is the gradient's Tensor from there on."""
        graph = g.__class__ is Tensor
        enabled, self.tape.grad_enabled = self.tape.grad_enabled, graph
        # the gradient's node: on the line of the pass, with no source text
        # of its own (the pass's call is not what made it)
        here = None if self.span is None else Span(self.span.line, self.span.col,
                                                   self.span.line, self.span.col)
        try:
            if g is None:
                # no gradient came (every edge sent PyTorch's undefined one):
                # its hooks see None, and there stays none
                for fn, in list(self.hooks.get(t, ())):
                    self.call_value(fn, [None])
                return None
            for fn, in list(self.hooks.get(t, ())):
                if graph:
                    grad, arr = g, g.data
                else:
                    arr = g if g.__class__ is np.ndarray else np.asarray(g)
                    grad = self.tape.add(Tensor(arr), here, label="hook's grad", of=t.seq)
                out = self.call_value(fn, [grad])
                if out is None:
                    continue
                name = fn.defn.name if fn.__class__ is UserFunction else getattr(fn, "name", "hook")
                if out.__class__ is not Tensor:
                    raise GradvizError(f"expected Variable, but hook returned "
                                       f"'{type(out).__name__}'", kind=TYPE,
                                       hint="a hook returns a tensor of the gradient's shape, "
                                            "or None to leave the gradient as it is")
                if out.data.shape != arr.shape:
                    raise GradvizError(f"hook '{name}' has changed the size of value",
                                       hint="return a tensor of the gradient's shape")
                if out.data.dtype != arr.dtype:
                    raise GradvizError(
                        f"hook '{name}' has changed the type of value (was "
                        f"{functions.legacy_type(arr.dtype)} got {functions.legacy_type(out.data.dtype)})",
                        hint="return a tensor of the gradient's dtype")
                g = out if graph else out.data
        finally:
            self.tape.grad_enabled = enabled
        return g

    def no_hooks_with_graph(self, order) -> None:
        """A pass that builds a graph runs tensor hooks (higher_order), not
        the hooks of nodes: refused where a node of the pass has some."""
        if self.module_bw and any(t in self.module_bw for t in order):
            raise GradvizError("module backward hooks with create_graph=True are not supported "
                               "here", kind=RUNTIME,
                               hint="remove them (handle.remove()) and call the module again "
                                    "before a backward pass that builds a graph; tensor hooks "
                                    "(x.register_hook) run there")
        held = self.node_hooks
        if any((h := held.get(t)) is not None and (h["pre"] or h["post"] or h["accumulated"])
               for t in order):
            raise GradvizError("grad_fn hooks and post-accumulate-grad hooks with "
                               "create_graph=True are not supported here", kind=RUNTIME,
                               hint="remove them (handle.remove()) before a backward pass that "
                                    "builds a graph; tensor hooks (x.register_hook) run there")
        if self.packed and any(t in self.packed for t in order):
            raise GradvizError("saved tensors hooks with create_graph=True are not supported "
                               "here", kind=RUNTIME,
                               hint="record the graph outside the saved_tensors_hooks() block "
                                    "for a backward pass that builds a graph")

    def log_pass(self, kind, roots, seeds, retain_graph, steps, pruned, order, implicit=False):
        self.tape.backward_passes += 1
        leaves = {}                    # seq -> the leaf's .grad after this pass
        values = {}                    # seq -> a leaf's value, if changed since made
        tape = self.tape
        share = tape.share_grad
        for t in order:
            if t.recorded:
                continue
            if kind == "backward" and t.grad is not None:
                leaves[t.seq] = g = t.grad.data
                share(leaves, t.seq, g)     # copied only if it changes later
            if t.seq in tape.snapshots and tape.pass_values < PASS_VALUES_MAX:
                # a parameter a loop updates: its value as this pass saw it
                # (for a picture of one pass, --pass N)
                values[t.seq] = t.data
                tape.pass_values += t.data.size
                share(values, t.seq, t.data)
        self.tape.events.append({
            "kind": kind, "pass": self.tape.backward_passes, "line": self.line,
            "roots": [r.seq for r in roots], "seeds": seeds, "implicit_seed": implicit,
            "retain_graph": retain_graph, "steps": steps, "pruned": pruned,
            "leaf_grads": leaves, "leaf_values": values,
        })

    def higher_order_grad(self, outs, ins, gos, retain_graph, allow_unused=False):
        """grad(..., create_graph=True): the backward pass itself recorded as ops."""
        from .higher_order import grad_with_graph
        return grad_with_graph(self, outs, ins, gos, retain_graph, allow_unused)

    @staticmethod
    def type_name(v) -> str:
        """type(v).__name__ as Python and PyTorch say it in their errors."""
        if v.__class__ is Tensor:
            return "Tensor"
        if isinstance(v, Module):
            return "module"
        if v.__class__ is BoundMethod and v.obj.__class__ is Tensor and \
                v.name in functions.PYTHON_BOUND_METHODS:
            return "method"                # (x.lu, x.__rrshift__: written in Python)
        if v.__class__ is Function and hasattr(v.impl, "method_of"):
            return "method_descriptor"         # (str.lower)
        if v.__class__ is Function and function_kinds.kind_of(v) is not None:
            kind = function_kinds.kind_of(v)[0]      # F.relu: a function, torch.device a class
            return "function" if kind == function_kinds.FUNCTION else \
                "type" if kind == function_kinds.CLASS else "builtin_function_or_method"
        if isinstance(v, (Function, BoundMethod)):
            return "builtin_function_or_method"
        if v.__class__ is UserFunction:
            return "function"
        if v.__class__ is classes.Instance:
            return v.cls.name
        if v.__class__ is classes.UserClass:
            return "type"
        if v.__class__ is ReturnTypes:          # (its C type's name: torch.return_types.max)
            return f"torch.return_types.{v.kind}"
        return fstrings._type_name(v)

    def _not_callable(self, fn, hint=None) -> GradvizError:
        """The TypeError of a call of what is no function: Python's words,
        with the value's type as type() names it ('int' object is not
        callable; 'module', 'torch.dtype')."""
        return GradvizError(f"'{self.type_name(fn)}' object is not callable", kind=TYPE, hint=hint)

    @staticmethod
    def _kind(v) -> str:
        if v.__class__ is Tensor:
            return "a tensor"
        if v is None:
            return "None"
        if isinstance(v, Module):
            return f"module '{v.name}'"
        if isinstance(v, (Function, BoundMethod)):
            return f"function '{v.name}'"
        if v.__class__ is UserFunction:
            return f"function '{v.defn.name}'"
        if v.__class__ is classes.Instance:
            return f"'{v.cls.name}' object"
        if v.__class__ is classes.UserClass:
            return f"class '{v.name}'"
        return f"'{type(v).__name__}'"


def _last_line(stmt) -> int:
    """The last line of a statement and the blocks in it (a block's span is
    its header's): down the last statement of its last block, in a loop."""
    end = stmt.span.end_line
    node = stmt
    while True:
        last = None
        for field in ("finalbody", "orelse", "handlers", "body"):
            items = getattr(node, field, None)
            if items:
                last = items[-1]
                break
        if last is None:
            return end
        node = last
        end = max(end, node.span.end_line)


_SEQUENCES = (str, list, tuple)
_ORDERED = frozenset((int, float, bool, str))   # the items of lists that compare by order
# what to write instead of the torch modules' parts the language leaves out
_LINEAR = ("gradviz's layers with parameters are nn.Linear, nn.Conv1d/2d/3d, "
           "nn.ConvTranspose1d/2d/3d, nn.Embedding, "
           "nn.LayerNorm, nn.BatchNorm1d/2d/3d, nn.RNN, nn.GRU, nn.LSTM and their cells "
           "(and nn.Sequential "
           "of layers): "
           "write others by hand, W = torch.randn(3, 1, requires_grad=True) and x @ W + b, "
           "or in a torch.nn.Module subclass: self.W = torch.nn.Parameter(torch.randn(3, 1)) "
           "in __init__, x @ self.W + self.b in forward")
# the Tensor method an operator calls (in PyTorch's errors)
_TENSOR_METHODS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "@": "matmul", "**": "pow",
                   "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
# what a dtype tells (torch.float32.is_floating_point), from its numpy dtype
_DTYPE_ATTRIBUTES = {"is_floating_point": lambda dt: dt.kind == "f",
                     "is_complex": lambda dt: False,
                     "is_signed": lambda dt: dt.kind in "if",
                     "itemsize": lambda dt: dt.itemsize}
# x.int() and the other casts to dtypes gradviz's tensors do not have
_OTHER_DTYPES = dict.fromkeys(
    ("bfloat16", "cfloat"),
    "gradviz's tensors are float32 (x.float()), float64 (x.double()), float16 (x.half()), "
    "int64 (x.long()), int32 (x.int()), int16 (x.short()), int8 (x.char()), uint8 (x.byte()) "
    "and bool (x.bool()), not bfloat16 or complex: use one of those")
_MISSING_HINTS = {
    # (a namespace here, a class in PyTorch)
    **dict.fromkeys((f"torch.nn.{name}" for name in ("LSTM", "GRU", "RNN")), _LINEAR),
    "torch.optim": "torch.optim has SGD (with momentum, weight_decay, nesterov), Adam "
                   "(with betas, eps, weight_decay, amsgrad), AdamW, NAdam, RAdam, Adamax, "
                   "Adagrad, Adadelta, RMSprop, Rprop, ASGD and LBFGS here, and "
                   "torch.optim.lr_scheduler's schedules; "
                   "or update by hand: with torch.no_grad(): w -= lr * w.grad",
    "torch.nn": "write a layer gradviz lacks as a torch.nn.Module subclass whose weights "
                "are torch.nn.Parameter(...); gradviz has nn.Parameter, nn.Module, nn.functional, nn.init, nn.Linear, "
                "nn.LazyLinear, nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.LazyConv1d, nn.LazyConv2d, "
                "nn.LazyConv3d, nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d, "
                "nn.Embedding, nn.LayerNorm, nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, "
                "nn.LazyBatchNorm1d, nn.LazyBatchNorm2d, nn.LazyBatchNorm3d, "
                "nn.RNN, nn.GRU, nn.LSTM, nn.RNNCell, nn.GRUCell, nn.LSTMCell, "
                "nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerEncoder, "
                "nn.TransformerDecoderLayer, nn.TransformerDecoder, nn.Transformer, "
                "nn.Sequential, nn.ModuleList, nn.ModuleDict, nn.Flatten, nn.Unflatten, and "
                "torch.nn's layers "
                "without parameters and its "
                "losses (nn.ReLU(), nn.MSELoss(), ...)",
    "random": "gradviz has Python random's " + ", ".join(sorted(pyrandom.FUNCTIONS)),
    **dict.fromkeys(("torch.save", "torch.load"),
                    "a program cannot write or read files here: keep the weights in memory "
                    "(sd = model.state_dict(), then model.load_state_dict(sd))"),
    **dict.fromkeys(("torch.compile", "torch.jit"),
                    "gradviz runs eagerly, as PyTorch does without them: call the model or "
                    "function itself"),
    "torch": "`gradviz ops` lists the torch functions gradviz has, with their gradients",
    **dict.fromkeys((f"torch.{t}" for t in ("bfloat16", "complex64", "cfloat")),
                    "gradviz's tensors are float32 (torch.float), float64 (torch.double), "
                    "float16 (torch.half), int64 (torch.long), int32 (torch.int), int16 "
                    "(torch.short), torch.int8, torch.uint8 and bool, not bfloat16 or "
                    "complex: use one of those"),
}
# numbers of leaf values kept for the passes (log_pass): a training loop's
# parameters as each step saw them; past this, pictures of later passes show
# a parameter's value as made
PASS_VALUES_MAX = 1 << 22
NONE_HINT = "the value is None: " + functions.NONE_WHY


class _PercentTensor:
    """A tensor (or another value of the program) as Python's %-formatting
    sees it: str() and repr() as the program prints it, float() and int()
    of a one-element tensor as PyTorch gives them."""

    def __init__(self, text: str, data, rep: str | None = None):
        self.text, self.data, self.rep = text, data, rep

    def __str__(self):
        return self.text

    def __repr__(self):
        return self.rep if self.rep is not None else self.text

    def _item(self):
        if self.data is None:
            raise TypeError("must be real number, not " + type(self).__name__)
        if self.data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.data.item()

    def __float__(self):
        return float(self._item())

    def __int__(self):
        return int(self._item())

    def __index__(self):
        v = self._item()
        if not isinstance(v, int):
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return v


_PercentTensor.__name__ = "Tensor"       # (Python's messages name the type: "not Tensor")


@functools.cache
def _percent_class(name: str) -> type:
    """The _PercentTensor for another of the program's values, named as its type."""
    return type(name, (_PercentTensor,), {})


# how eval() evaluates each kind of expression node (plain functions, not
# bound methods: an Interpreter holding its own bound methods would be a
# reference cycle, and its whole tape would wait for the cyclic collector)
_EVAL = {
    syntax.Num: Interpreter._num, syntax.Const: Interpreter._num, syntax.Str: Interpreter._num,
    syntax.Name: Interpreter._name, syntax.BinOp: Interpreter._binop,
    syntax.UnaryOp: Interpreter._unary, syntax.Call: Interpreter._call,
    syntax.Attribute: Interpreter._attribute, syntax.Subscript: Interpreter._subscript,
    syntax.ListExpr: Interpreter._list, syntax.TupleExpr: Interpreter._tuple,
    syntax.ListComp: Interpreter._listcomp, syntax.GeneratorExp: Interpreter._genexp,
    syntax.Lambda: Interpreter._lambda, syntax.BoolOp: Interpreter._boolop,
    syntax.IfExp: Interpreter._ifexp, syntax.Compare: Interpreter._compare,
    syntax.FString: Interpreter._fstring, syntax.DictExpr: Interpreter._dict,
    syntax.DictComp: Interpreter._dictcomp, syntax.SetExpr: Interpreter._set,
    syntax.SetComp: Interpreter._setcomp, syntax.NamedExpr: Interpreter._named_expr,
    syntax.Imaginary: Interpreter._imaginary,
}


def _bound_call(name: str, fn, rt, args, kwargs):
    """fn(rt, *args, **kwargs), its argument errors said as the user's."""
    try:
        inspect.signature(fn).bind(rt, *args, **(kwargs or {}))
    except TypeError as exc:
        raise _argument_error(name, exc, fn=fn) from None
    return fn(rt, *args, **(kwargs or {}))


def _init_call(name: str, fn, rt, args, kwargs, rt_is_self: bool = True):
    """A class's fn(rt, *args, **kwargs), its argument errors said as its
    __init__'s (whose self counts as rt does; rt_is_self=False: fn is a
    class, whose __init__ takes self and rt)."""
    try:
        return fn(rt, *args, **(kwargs or {}))
    except TypeError as exc:
        if exc.__traceback__ is None or exc.__traceback__.tb_next is not None:
            raise                         # (deeper than the call itself: not the arguments)
        raise functions.init_argument_error(name, exc, rt_is_self=rt_is_self, fn=fn) from None


# (an optimizer's odd settings fail in PyTorch's Python code: the same errors here)
_OPTIM_HINT = ("check the optimizer's settings (of the kinds PyTorch's documentation gives: "
               "lr=0.01, betas=(0.9, 0.999), etas=(0.5, 1.2))")
# the class whose __init__ PyTorch's argument errors name, where it is a base
_INIT_OWNERS = {**dict.fromkeys(("BatchNorm1d", "BatchNorm2d", "BatchNorm3d"), "_BatchNorm"),
                **dict.fromkeys(("Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"), "_DropoutNd"),
                **dict.fromkeys(("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"),
                                "_InstanceNorm"),
                **dict.fromkeys(("LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"),
                                "_LazyNormBase"),
                # (their __init__ passes its arguments on to RNNBase's)
                "RNN": "RNNBase", "GRU": "RNNBase", "LSTM": "RNNBase"}


def _make_type(rt, t: PyType, args: list, kwargs) -> Size:
    """A call of one of torch's types: torch.Size(shape) makes a shape,
    torch.Tensor(...) and the legacy torch.FloatTensor(...) a tensor; the
    others make nothing here."""
    if t.name in exceptions.EXCEPTION_TYPES and not kwargs:
        return exceptions.make(t, args)
    if t == SIZE and len(args) <= 1 and not kwargs:
        dims = tuple(args[0]) if args else ()
        if all(d.__class__ is int for d in dims):
            return Size(dims)
        raise GradvizError("torch.Size() takes an iterable of 'int'", kind=TYPE)
    if t == TENSOR or t in LEGACY:
        return functions.legacy_tensor(rt, LEGACY.get(t, rt.tape.default_dtype.name), args, kwargs)
    if t == PARAMETER:
        return _bound_call("Parameter", functions.f_parameter, rt, args, kwargs)
    if t.name in optim.MAKERS:            # torch.optim.SGD(params, lr=0.1)
        return python_errors(lambda: _init_call(t.name.rsplit(".", 1)[1],
                                                           optim.MAKERS[t.name], rt, args, kwargs),
                                        _OPTIM_HINT)
    if t.name in schedulers.MAKERS:       # torch.optim.lr_scheduler.StepLR(opt, step_size=10)
        name = t.name.rsplit(".", 1)[1]
        schedulers.check_no_tensors(name, args, kwargs)
        return schedulers.python_errors(lambda: _init_call(name, schedulers.MAKERS[t.name], rt, args,
                                                           kwargs, rt_is_self=False))
    if t.name in distributions.BY_TYPE:   # Categorical(logits=net(x))
        return _init_call(t.name.rsplit(".", 1)[1], distributions.BY_TYPE[t.name], rt, args, kwargs,
                          rt_is_self=False)
    if t.name in data.MAKERS:             # DataLoader(ds, batch_size=4), Subset(ds, [0, 2])
        return _init_call(t.name.rsplit(".", 1)[1], data.MAKERS[t.name], rt, args, kwargs)
    if t.name in layers.MAKERS:           # nn.ReLU(), nn.MSELoss(reduction='sum')
        return layers.MAKERS[t.name](rt, *args, **(kwargs or {}))
    if t.name in modules.MAKERS:          # nn.Linear(2, 1), nn.Conv2d(1, 6, 5)
        name = t.name.rsplit(".", 1)[1]
        return _init_call(_INIT_OWNERS.get(name, name), modules.MAKERS[t.name], rt, args, kwargs)
    raise GradvizError(f"cannot create '{t.name}' instances here", kind=TYPE)


# the values `in` compares with Python's == (others by identity, or a tensor's ==)
_PLAIN = (bool, int, float, str, tuple, type(None))

# Python's builtins that are types (print shows them as classes)
_PY_TYPES = frozenset(("float", "int", "bool", "str", "list", "tuple", "range", "enumerate",
                       "zip", "type", "reversed", "dict", "set", "frozenset", "slice"))

# the functions that make a tensor, which take device= (the CPU only)
# the torch functions that take out= (of those gradviz has; torch.norm, whose
# out= may come positionally, hands it on itself: functions.f_torch_norm)
OUT_FUNCTIONS = frozenset(
    "add sub mul div matmul mm mv dot bmm exp log log2 log10 sin cos tan tanh sigmoid sqrt abs "
    "neg pow clamp mean cumsum cat stack arange linspace zeros ones rand randn full eye where "
    "maximum minimum remainder floor_divide square rsqrt exp2 log1p expm1 floor ceil round sign "
    "outer addmm lerp addcmul std var randint randperm empty normal logsumexp amax amin "
    "cross".split())
_MAKERS = frozenset(("tensor", "arange", "ones", "zeros", "empty", "full", "eye", "linspace",
                     "randint", "randperm",
                     "ones_like", "zeros_like", "rand", "randn", "rand_like", "randn_like",
                     "normal"))
# the makers that take layout= (torch.tensor does not)
_LAYOUT_MAKERS = _MAKERS - {"tensor"}

# numpy's names that PyTorch's functions also take (x.sum(axis=0,
# keepdims=True), as d2l writes them); not norm, which is Python in PyTorch
_NUMPY_NAMES = {"axis": "dim", "keepdims": "keepdim"}
_NO_NUMPY_NAMES = frozenset(PY_BUILTINS) | {"norm"}


def _numpy_names(fn, kwargs: dict) -> dict:
    if fn.__class__ not in (Function, BoundMethod) or fn.name in _NO_NUMPY_NAMES or \
            fn.name.startswith("numpy."):      # (numpy's own functions take them as they are)
        return kwargs
    out = {}
    for k, v in kwargs.items():
        name = _NUMPY_NAMES.get(k, k)
        if name in out or (name != k and name in kwargs):
            raise GradvizError(f"{fn.name}() got multiple values for argument '{name}'",
                               kind=TYPE, hint=f"give either {name}= or {k}=, not both")
        out[name] = v
    return out


def _is_tensor(v) -> bool:
    return v.__class__ is Tensor


def _dict_key(index: list):
    """The key of d[index]: d[k] is k, d[a, b] the tuple (a, b), as Python."""
    return index[0] if len(index) == 1 else tuple(index)
