"""numpy, for programs that import it (import numpy as np): PyTorch's
tutorials make data with numpy and move it between numpy and torch.

A whitelist of numpy's pure numerical functions, run by numpy itself, so
values, dtypes and printing are numpy's own. Every value a program hands
numpy is first made plain (_arg): numbers, lists and tuples of them, arrays,
and strings only where they name a dtype of numbers or a keyword's word
(order='F'), so no string, record or object array is ever made; no value of the program (a function, an instance of its
class, a tensor) reaches numpy, which so cannot call back into the program
or reach out of the language. What numpy gives back must be numbers, bools
or arrays of them (no object or string dtype: _result).

A function that can make more elements than its inputs hold has an estimate
of its result's size (numpy_sizes), checked against the tensors' limit
before numpy allocates anything; the arrays a program holds at once count
against the limit of all of a run's tensors (_hold). Nothing that reads or
writes files (np.load, a.tofile, ...) or changes numpy's global state
(np.set_printoptions) is on the list: those names say so (REFUSED).

Every numpy value a program holds is a NumpyArray (an array, a numpy scalar
such as a.sum()'s np.float32, a dtype, or a scalar type such as np.float32):
it prints as numpy prints it (its attributes, methods and operators:
numpy_arrays). np.random is numpy's legacy generator (what
np.random.seed seeds), the run's own, seeded DEFAULT_SEED until
np.random.seed(): numpy's numbers for the same seed."""
from __future__ import annotations

import warnings
import weakref

import numpy as np

from .errors import LIMIT, TYPE, VALUE, GradvizError, did_you_mean
from .numpy_sizes import RANDOM_SIZES, SIZES, check_size, sized
from .pytypes import PyType, numpy_type_name
from .render.torchfmt import DType, NumpyArray, Size
from .tensor import Tensor

DEFAULT_SEED = 0
# the dtype kinds a program's arrays may have: bool, signed and unsigned
# ints, floats (object arrays would hold the program's values; strings and
# dates are not numbers)
KINDS = "biuf"
# Python's types, as the dtypes numpy takes them for (dtype=float is float64)
_PYTHON_TYPES = {"float": float, "int": int, "bool": bool}
# how the refusal names what the program gave (its classes' words for them)
_VALUE_WORDS = {"Function": "a function", "UserFunction": "a function",
                "BoundMethod": "a method", "Instance": "an object", "Module": "a module",
                "UserClass": "a class", "PyType": "a type", "BuiltinBase": "a type"}
# the keywords that take a word (order='F', kind='stable', side='right');
# any other string must name a dtype of numbers (np.zeros(3, 'float32'))
WORD_KEYWORDS = {"order", "kind", "side", "method", "indexing", "casting", "interpolation"}
_MAX_DEPTH = 32        # nested lists: numpy's own limit of dimensions

_ERRORS = (ValueError, TypeError, LookupError, ArithmeticError, RuntimeError, AttributeError,
           np.linalg.LinAlgError)


# ---- values going in and out (numpy_arrays uses these too) ------------------

def _error(message: str, kind: str = TYPE, hint: str | None = None) -> GradvizError:
    return GradvizError(message, kind=kind, hint=hint)


def _type_word(v) -> str:
    """v's type as Python's messages name it (numpy.ndarray, numpy.float32)."""
    if v.__class__ is NumpyArray:
        return numpy_type_name(v.array)
    return getattr(v.__class__, "__name__", "object")


def _arg(v, depth: int = 0):
    """v as numpy is given it: plain numbers, strings, slices, lists and
    tuples of them, and the arrays (dtypes, scalar types) the program holds."""
    cls = v.__class__
    if cls is NumpyArray:
        return v.array
    if v is None or v is Ellipsis or cls in (bool, int, float):
        return v
    if cls is str:
        if depth:
            raise _error("strings are outside gradviz's numpy subset", hint=_NUMBERS_HINT)
        return _dtype_name(v)
    if cls is slice:
        return slice(_arg(v.start), _arg(v.stop), _arg(v.step))
    if cls in (list, tuple, Size):
        if depth >= _MAX_DEPTH:
            raise _error(f"a list nested more than {_MAX_DEPTH} deep", VALUE,
                         hint="numpy's arrays have at most 32 dimensions")
        items = [_arg(x, depth + 1) for x in v]
        return items if cls is list else tuple(items)
    if cls is Tensor:
        raise _error("numpy's functions take arrays here, not tensors", hint=(
            "t.numpy() (or np.array(t)) is the tensor's values as an array; torch has its own "
            "of most of numpy's functions (torch.exp(t), t.sum())"))
    if cls.__name__ == "Function" and v.name in _PYTHON_TYPES:     # dtype=float
        return _PYTHON_TYPES[v.name]
    if cls.__name__ == "Function" and v.name == "str" or cls.__name__ == "BuiltinBase":
        raise _refused_dtype("str" if cls.__name__ == "Function" else "object")
    if cls is DType:
        raise _error(f"Cannot interpret '{v}' as a data type",
                     hint="numpy's dtypes are np.float32, np.int64, ...; torch's are for tensors")
    raise _error(f"gradviz's numpy takes numbers, lists, tuples and arrays, not "
                 f"{_VALUE_WORDS.get(cls.__name__, repr(_type_word(v)))}",
                 hint="numpy's functions are given numbers and arrays; a program's own values "
                      "(functions, objects, modules) stay in the program")


_NUMBERS_HINT = ("arrays hold numbers or bools here (np.float32, np.float64, np.int64, "
                 "np.bool_, ...): no objects, strings or dates")


def _dtype_name(s: str) -> str:
    """A string numpy is given: the name of a dtype of numbers ('float32',
    'i8'), never a string array's data, a subarray ('(10,)f8') or a record."""
    try:
        dt = np.dtype(s) if len(s) <= 32 else None
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.kind not in KINDS or dt.shape or dt.fields:
        raise _error(f"{s[:40]!r} is not a dtype of numbers: strings are outside gradviz's "
                     "numpy subset", hint=_NUMBERS_HINT)
    return s


def _keyword(name: str, v):
    """A keyword argument as numpy is given it: a word where numpy takes one."""
    if name in WORD_KEYWORDS and v.__class__ is str and len(v) <= 32:
        return v
    return _arg(v)


def _refused_dtype(dtype) -> GradvizError:
    return _error(f"arrays of dtype {dtype} are outside gradviz's numpy subset",
                  hint=_NUMBERS_HINT)


def _result(rt, v):
    """What numpy gave, as the program's value."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in KINDS:
            raise _refused_dtype(v.dtype)
        if v.base is None:          # new memory (a view's is counted already)
            _hold(rt, v)
        return NumpyArray(v)
    if isinstance(v, np.generic):
        if v.dtype.kind not in KINDS:
            raise _refused_dtype(v.dtype)
        return NumpyArray(v)
    if isinstance(v, np.dtype):
        if v.kind not in KINDS:
            raise _refused_dtype(v)
        return NumpyArray(v)
    if v is None or v.__class__ in (bool, int, float, str):
        return v
    if v.__class__ in (tuple, list):         # np.where(c), np.split, a.shape
        items = [_result(rt, x) for x in v]
        return items if v.__class__ is list else tuple(items)
    raise _error(f"a {type(v).__name__} is outside gradviz's numpy subset")


def _hold(rt, a: np.ndarray) -> None:
    """Count a new array's elements among those the program's arrays hold
    at once, until numpy frees it: at most the tensors' limit for all of a
    run's tensors (a loop making arrays and dropping them runs on; one
    keeping them all stops)."""
    held = rt.np_elements
    limit = rt.tape.max_total_elements
    if held[0] + a.size > limit:
        raise _error(f"the program's numpy arrays would hold more than {limit:,} elements at "
                     "once", LIMIT, hint="raise the limit with --max-elements N, or keep fewer "
                                         "or smaller arrays")
    held[0] += a.size
    weakref.finalize(a, _release, held, a.size)


def _release(held: list, n: int) -> None:
    held[0] -= n


def _hint(exc: Exception) -> str | None:
    text = str(exc)
    if "broadcast" in text:
        return "sizes must match, or be 1, where the shapes meet (from the right)"
    if "axis" in text:
        return "an axis counts the dimensions from 0 (or from -1 at the end)"
    if "reshape" in text:
        return "the new shape has as many elements as the array (-1 stands for the rest)"
    if "index" in text:
        return "an index counts from 0 to the size - 1 (negative ones from the end)"
    return "gradviz runs numpy itself: its documentation tells the arguments"


def run(name: str, fn, args, kwargs):
    """numpy's fn(*args, **kwargs), its errors as the program's (quiet,
    as numpy's warnings go to stderr in Python, not to the output)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)
    except MemoryError:
        raise _error(f"numpy.{name}: not enough memory", LIMIT,
                     hint="make smaller arrays") from None
    except _ERRORS as exc:
        kind = type(exc).__name__.lstrip("_")
        raise GradvizError(str(exc).split("\n")[0], kind=kind, hint=_hint(exc)) from None


# ---- the functions -------------------------------------------------------

# numpy's functions a program may call (np.NAME)
NAMES = """
array asarray ascontiguousarray copy zeros ones full arange linspace logspace geomspace eye
identity zeros_like ones_like full_like diag diagonal tri triu tril
add subtract multiply divide true_divide floor_divide power float_power mod remainder fmod
divmod negative positive absolute abs fabs sign exp exp2 expm1 log log2 log10 log1p sqrt cbrt
square reciprocal sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh
arctanh deg2rad rad2deg degrees radians hypot maximum minimum fmax fmin floor ceil trunc rint
round around fix clip where isnan isinf isfinite signbit copysign logical_and logical_or
logical_not logical_xor greater greater_equal less less_equal equal not_equal bitwise_and
bitwise_or bitwise_xor invert heaviside nan_to_num sinc logaddexp logaddexp2
sum mean std var max min amax amin argmax argmin prod cumsum cumprod any all median average
nansum nanmean nanmax nanmin nanstd nanvar nanargmax nanargmin count_nonzero percentile
quantile ptp diff
dot matmul outer inner vdot kron trace
reshape transpose swapaxes moveaxis squeeze expand_dims ravel flip fliplr flipud roll
concatenate stack vstack hstack column_stack split array_split append tile repeat
broadcast_to atleast_1d atleast_2d atleast_3d sort argsort unique nonzero argwhere
flatnonzero searchsorted meshgrid interp
isclose allclose array_equal array_equiv shape ndim size result_type can_cast
""".split()

SCALAR_TYPES = """bool_ bool int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16
float32 float64 half single double intp uint byte ubyte short ushort intc uintc longlong
ulonglong""".split()
CONSTANTS = {"pi": np.pi, "e": np.e, "inf": np.inf, "nan": np.nan, "newaxis": None,
             "euler_gamma": np.euler_gamma}
LINALG = "norm inv det solve pinv matrix_rank".split()
# np.random's functions, on the run's generator (their numbers are numpy's)
RANDOM = """rand randn random random_sample normal uniform randint choice
permutation standard_normal exponential binomial poisson beta gamma laplace logistic
lognormal geometric""".split()
# ndarray's attributes and methods (a numpy scalar has the same)
ATTRIBUTES = {"shape", "ndim", "size", "dtype", "T", "itemsize", "nbytes", "real", "imag"}
METHODS = """sum mean std var max min argmax argmin prod cumsum cumprod any all reshape
transpose flatten ravel squeeze swapaxes astype copy tolist item fill clip round dot sort
argsort nonzero trace diagonal repeat searchsorted""".split()

# numpy's names that are refused, with why (anything else not on the lists:
# "not in gradviz's numpy subset")
_IO = ("there is no file or network access here: keep the data in the program (np.array([...]) "
       "or torch.tensor([...]))")
_GLOBAL = ("numpy's global settings are not changed here: printing is numpy's default")
_CALLBACK = ("numpy does not call the program's functions here: write a loop, or use the array "
             "operators (a * 2 + 1)")
REFUSED = {
    **dict.fromkeys("""load save savez savez_compressed loadtxt savetxt genfromtxt fromfile
                       tofile memmap DataSource fromregex fromstring frombuffer lib ctypeslib
                       dump dumps tobytes""".split(), _IO),
    **dict.fromkeys("""set_printoptions printoptions get_printoptions seterr geterr seterrcall
                       setbufsize errstate set_state get_state""".split(), _GLOBAL),
    **dict.fromkeys("""vectorize frompyfunc apply_along_axis apply_over_axes fromfunction
                       piecewise""".split(), _CALLBACK),
    **dict.fromkeys("object_ str_ bytes_ void datetime64 timedelta64".split(),
                    "arrays hold numbers or bools here: np.float32, np.int64, np.bool_, ..."),
    "empty": "np.empty's values are whatever the memory held: np.zeros(shape) is the same "
             "array, zeroed",
    "empty_like": "np.empty_like's values are whatever the memory held: np.zeros_like(a)",
}


def _function(name: str, fn, estimate=None):
    def call(rt, *args, **kwargs):
        args = [_arg(a) for a in args]
        kwargs = {k: _keyword(k, v) for k, v in kwargs.items()}
        _check_out(kwargs)
        check_size(rt, estimate, args, kwargs)
        return _result(rt, run(name, fn, args, kwargs))
    return call


def _check_out(kwargs: dict) -> None:
    """out= writes into an array the program holds (np.multiply(n, 2, out=n))."""
    out = kwargs.get("out")
    if out is not None and not isinstance(out, np.ndarray):
        raise _error("out= takes an array (the one to write the result into)",
                     hint="np.add(n, 1, out=n) writes into the array n; a tensor's values are "
                          "t.numpy()")


def _array(name: str, fn):
    """np.array / np.asarray: also of a tensor (its values; asarray shares its
    memory, as numpy's does through the tensor's __array__)."""
    plain = _function(name, fn)

    def call(rt, data=None, *args, **kwargs):
        if data.__class__ is Tensor:
            if data.requires_grad:
                raise _error("Can't call numpy() on Tensor that requires grad. Use "
                             "tensor.detach().numpy() instead.", "RuntimeError",
                             hint="np.array(t.detach()): the values without the graph")
            data = NumpyArray(data.data)
        return plain(rt, data, *args, **kwargs)
    return call


def call_type(rt, t, args: list, kwargs: dict | None):
    """np.float32(2.5), np.int64([1, 2]): numpy's scalar types are callable."""
    if not isinstance(t, type):
        raise _error(f"'{numpy_type_name(t)}' object is not callable",
                     hint="an array is a value: a.sum() calls its method, a[0] reads an item")
    if len(args) == 1 and args[0].__class__ is str and len(args[0]) <= 64 and not kwargs:
        return _result(rt, run(t.__name__, t, args, {}))     # np.float32('nan'): a number
    return _function(t.__name__, t)(rt, *args, **(kwargs or {}))


def _dtype(rt, *args, **kwargs):
    return _function("dtype", np.dtype)(rt, *args, **kwargs)


def _global_rng(rt) -> np.random.RandomState:
    if rt.np_random is None:
        rt.np_random = np.random.RandomState(DEFAULT_SEED)
    return rt.np_random


def _random_function(name: str):
    estimate = RANDOM_SIZES.get(name, sized(2, "size"))

    def call(rt, *args, **kwargs):
        return _function(name, getattr(_global_rng(rt), name), estimate)(rt, *args, **kwargs)
    return call


def _seed(rt, seed=None):
    """np.random.seed(s); seed() (the OS's randomness in numpy) is the default seed."""
    args = [DEFAULT_SEED if seed is None else _arg(seed)]
    run("seed", _global_rng(rt).seed, args, {})


def _shuffle(rt, x):
    """np.random.shuffle(x): an array's rows in place, or a list's items
    (only moved: numpy never looks into them)."""
    if x.__class__ is list:
        run("shuffle", _global_rng(rt).shuffle, [x], {})
        return None
    if x.__class__ is not NumpyArray or not isinstance(x.array, np.ndarray):
        raise _error(f"np.random.shuffle takes an array or a list, not '{_type_word(x)}'",
                     hint="np.random.permutation(n) gives the numbers 0 to n - 1 shuffled")
    run("shuffle", _global_rng(rt).shuffle, [x.array], {})
    return None


def _default_rng(rt, seed=None):
    """np.random.default_rng(seed): a Generator of its own (numpy's numbers)."""
    return NumpyArray(run("default_rng", np.random.default_rng, [_arg(seed)], {}))


# a Generator's methods (rng = np.random.default_rng(0); rng.normal(...))
GENERATOR_METHODS = {"random": sized(0, "size"), "standard_normal": sized(0, "size"),
                     "normal": sized(2, "size"), "uniform": sized(2, "size"),
                     "integers": sized(2, "size"), "choice": sized(1, "size"),
                     "permutation": RANDOM_SIZES["permutation"],
                     "exponential": sized(1, "size"), "poisson": sized(1, "size"),
                     "binomial": sized(2, "size")}


def members(module, function) -> dict:
    """The numpy module's members (module, function: the interpreter's
    Module and Function)."""
    out = {name: function(f"numpy.{name}", _function(name, getattr(np, name), SIZES.get(name)))
           for name in NAMES}
    for name in ("array", "asarray"):
        out[name] = function(f"numpy.{name}", _array(name, getattr(np, name)))
    out["dtype"] = function("numpy.dtype", _dtype)
    out["ndarray"] = PyType("numpy.ndarray")          # isinstance(a, np.ndarray)
    out.update({name: NumpyArray(getattr(np, name)) for name in SCALAR_TYPES})
    out.update(CONSTANTS)
    out["__version__"] = np.__version__          # the numpy that runs the calls
    out["linalg"] = module("numpy.linalg", {
        name: function(f"numpy.linalg.{name}", _function(name, getattr(np.linalg, name)))
        for name in LINALG})
    random = {name: function(f"numpy.random.{name}", _random_function(name)) for name in RANDOM}
    random.update(seed=function("numpy.random.seed", _seed),
                  shuffle=function("numpy.random.shuffle", _shuffle),
                  default_rng=function("numpy.random.default_rng", _default_rng))
    out["random"] = module("numpy.random", random)
    return out


def missing(module: str, name: str) -> GradvizError:
    """The error for np.NAME that is not in the subset."""
    if name in REFUSED:
        return _error(f"{module}.{name} is outside gradviz's numpy subset", "AttributeError",
                      hint=REFUSED[name])
    where = np
    for part in module.split(".")[1:]:
        where = getattr(where, part, None)
    if where is None or not hasattr(where, name):
        return _error(f"module '{module}' has no attribute '{name}'", "AttributeError",
                      hint=did_you_mean(name, NAMES + SCALAR_TYPES + list(CONSTANTS)) or
                      "numpy has no such name: check its spelling")
    return _error(f"{module}.{name} is outside gradviz's numpy subset", "AttributeError",
                  hint="gradviz has numpy's array making, math, reductions, shape functions "
                       "and np.random (the list is in the README); torch has the rest")
