"""Random draws beyond rand/randn/normal_/bernoulli_: x.random_(), the
in-place exponential_, geometric_, log_normal_ and cauchy_, torch.poisson,
randint_like, empty_like, x.bernoulli(), get_rng_state / set_rng_state /
seed, and x.fill_diagonal_. Each draw takes the generator's words as
PyTorch 2.13's CPU kernels do (one number after another, in float64 from
two words each, then cast), so a seeded program's numbers are PyTorch's to
the bit. Imported by functions.py, whose FUNCTIONS and METHODS tables they
join.
"""
from __future__ import annotations

import math
import os

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .functions import _need_tensor, is_tensor
from .ops import OPS
from .rng import F32, F64, CPUGenerator
from .strides import in_memory_order
from .tensor import CPP_TYPE_NAMES

I64 = np.dtype(np.int64)


# ---- the generator's words as PyTorch's integer draws take them -------------

def _wide(dt: np.dtype) -> bool:
    """Whether PyTorch draws a number of dt from 64 bits (random64) rather
    than 32: double and int64 do."""
    return dt == F64 or dt == I64


def _bits(g: CPUGenerator, n: int, wide: bool) -> np.ndarray:
    """n draws of 32 bits, or of 64 (first word high), as uint64."""
    if not wide:
        return g.words(n, F32).astype(np.uint64)
    w = g.words(n, F64).astype(np.uint64)
    return (w[0::2] << np.uint64(32)) | w[1::2]


def _digits(dt: np.dtype) -> int:
    """std::numeric_limits<T>::digits: a float's mantissa bits, an int's value bits."""
    return np.finfo(dt).nmant + 1 if dt.kind == "f" else np.iinfo(dt).bits - (dt.kind == "i")


def random_full(g: CPUGenerator, shape: tuple, dt: np.dtype) -> np.ndarray:
    """x.random_(): PyTorch's uniform_int, a draw modulo 2**digits + 1 for
    a float, modulo the type's max + 1 for an int, its low bit for a bool."""
    n = math.prod(shape)
    v = _bits(g, n, _wide(dt))
    if dt == np.bool_:
        return (v & np.uint64(1)).astype(dt).reshape(shape)
    span = (1 << _digits(dt)) + (dt.kind == "f")
    return (v % np.uint64(span)).astype(dt).reshape(shape)


def random_range(g: CPUGenerator, shape: tuple, dt: np.dtype, low: int, span: int) -> np.ndarray:
    """x.random_(from, to): a draw modulo to - from, plus from (64 bits for
    a span of 2**28 or more: PyTorch's released builds' threshold)."""
    v = _bits(g, math.prod(shape), span >= 1 << 28) % np.uint64(span)
    return (v.astype(np.int64) + low).astype(dt).reshape(shape)


# ---- PyTorch's serial float64 transforms of one uniform each ----------------

def _each_uniform(g: CPUGenerator, shape: tuple, dt: np.dtype, transform) -> np.ndarray:
    """transform of a float64 uniform per number (Python's math is the C
    library's, as PyTorch's kernels call it), cast to dt."""
    us = g.uniform(math.prod(shape), F64).tolist()
    return np.array([transform(u) for u in us], F64).astype(dt).reshape(shape)


def exponential(g, shape, dt, lambd):
    return _each_uniform(g, shape, dt, lambda u: -1.0 / lambd * math.log1p(-u))


def geometric(g, shape, dt, p):
    log_q = math.log1p(-p)
    return _each_uniform(g, shape, dt, lambda u: math.ceil(math.log(u) / log_q))


def cauchy(g, shape, dt, median, sigma):
    """median + sigma * tan(pi * (u - 0.5)), the multiply-add in one rounding
    as PyTorch's compiler fused it."""
    return _each_uniform(g, shape, dt, lambda u: _fma(sigma, math.tan(math.pi * (u - 0.5)), median))


def _fma(a: float, b: float, c: float) -> float:
    """a * b + c with one rounding (fractions are exact; math.fma is Python
    3.13's). Imported here: fractions loads decimal, a few ms of a start-up."""
    from fractions import Fraction
    return float(Fraction(a) * Fraction(b) + Fraction(c))


def log_normal(g, shape, dt, mean, std):
    """exp of PyTorch's normal_distribution<double> (the cached second
    number of each Box-Muller pair used, as by small randn draws)."""
    n = math.prod(shape)
    return np.array([math.exp(g._serial_normal(mean, std)) for _ in range(n)],
                    F64).astype(dt).reshape(shape)


def poisson_sample(g: CPUGenerator, lam: float) -> int:
    """PyTorch's sample_poisson: Hoermann's transformed rejection for a rate
    of 10 or more, else the product of uniforms against exp(-rate)."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u, v = g.uniform(2, F64).tolist()
            u -= 0.5
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= g.uniform(1, F64)[0]
        if prod <= enlam:
            return x
        x += 1


# ---- the methods and functions -----------------------------------------------

def _float_only(x, kernel: str):
    if x.data.dtype.kind != "f":
        raise GradvizError(f'"{kernel}" not implemented for \'{F.type_word(x.data.dtype)}\'',
                           kind="NotImplementedError", hint="draw into a float tensor: x.float()")


def _continuous_only(x, what: str, cpp_names: bool):
    """exponential_ and cauchy_'s error for an integer tensor (one names
    the dtype as torch does, the other as C++ does)."""
    dt = x.data.dtype
    if dt.kind != "f":
        name = CPP_TYPE_NAMES[dt] if cpp_names else F.type_word(dt)
        raise GradvizError(f"{what} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {name}",
                           kind=RUNTIME, hint="draw into a float tensor: x.float()")


def _positive(method: str, name: str, v):
    if not v > 0:
        raise GradvizError(f"{method} expects {name} > 0.0, but found {name}={F._torch_number(v)}",
                           kind=RUNTIME, hint=f"{name} must be positive")


def _int_arg(method: str, v, name: str):
    if isinstance(v, bool) or not isinstance(v, int):
        raise GradvizError(f"{method}() received an invalid combination of arguments - got "
                           f"({type(v).__name__}), but expected one of:\n"
                           " * (*, torch.Generator generator = None)\n"
                           " * (int from, int to, *, torch.Generator generator = None)\n"
                           " * (int to, *, torch.Generator generator = None)\n",
                           kind=TYPE, hint=f"{name} is a whole number: x.random_(0, 10)")


def _range_bounds(dt: np.dtype, low: int, high: int):
    """PyTorch's checks of random_(from, to) for dt."""
    if low >= high:
        raise GradvizError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}", kind=RUNTIME,
                           hint="the upper bound is excluded: random_(0, 2) draws 0 or 1")
    _in_dtype(dt, low, high - 1)


def _in_dtype(dt: np.dtype, low: int, top: int):
    """PyTorch's error for a bound (from, or to - 1) dt cannot hold."""
    if dt == np.bool_:
        return
    info = np.finfo(dt) if dt.kind == "f" else np.iinfo(dt)
    for bad, what in ((not info.min <= low <= info.max, "from"),
                      (not info.min <= top <= info.max, "to - 1")):
        if bad:
            raise GradvizError(f"{what} is out of bounds for {CPP_TYPE_NAMES[dt]}",
                               kind=RUNTIME, hint=f"{dt.name} holds {info.min} to {info.max}")


def _float_from(dt: np.dtype, low: int) -> int:
    """PyTorch's update_from: a float from whose from + 1 rounds below it
    moves up to the next number the float holds."""
    rounded = int(dt.type(low + 1))
    if rounded < low:
        low = rounded + (1 << (abs(low + 1).bit_length() - 1 - _digits(dt) + 1))
    return low


def _float_to(dt: np.dtype, high: int) -> int:
    """PyTorch's update_to: a float to whose to - 1 rounds to it or above
    moves down below the number the float holds."""
    rounded = int(dt.type(high - 1))
    if rounded >= high:
        high = rounded - (1 << (abs(high - 1).bit_length() - 1 - _digits(dt) + 1))
    return high


def _to_inclusive_max(dt: np.dtype) -> int:
    """random_(from, None)'s largest number: 2**digits for a float, the max of an int."""
    if dt.kind == "f":
        return 1 << _digits(dt)
    return 1 if dt == np.bool_ else int(np.iinfo(dt).max)


_UNSET = object()


def m_random_(rt, x, *args, to=_UNSET, generator=None, **named):
    """x.random_(), x.random_(to), x.random_(from, to), x.random_(from, None)
    (None: up to the dtype's largest number)."""
    if "from" in named:
        args = (named.pop("from"),) + args
    if named or len(args) > 2 or (len(args) == 2 and to is not _UNSET):
        raise GradvizError("random_() takes random_(), random_(to) or random_(from, to)",
                           kind=TYPE, hint="x.random_(0, 10)")
    dt = x.data.dtype
    g = F.draw_generator(rt, generator, "random_")
    if not args and to is _UNSET:
        return F.drawn_in_place(rt, x, "random_", lambda shape: random_full(g, shape, dt))
    if len(args) == 2:
        low, high = args
    elif to is _UNSET:
        low, high = 0, args[0]
    else:
        low, high = (args[0] if args else 0), to
    _int_arg("random_", low, "from")
    if high is None:
        return _random_from(rt, x, low, g)
    _int_arg("random_", high, "to")
    return F.drawn_in_place(rt, x, "random_",
                            lambda shape: random_range(g, shape, dt, *_checked_range(dt, low, high)))


def _checked_range(dt: np.dtype, low: int, high: int) -> tuple:
    """random_(from, to)'s from and span, checked, and moved inside what a
    float dtype holds exactly as PyTorch moves them."""
    _range_bounds(dt, low, high)
    if dt.kind == "f":
        low, high = _float_from(dt, low), _float_to(dt, high)
    return low, high - low


def _random_from(rt, x, low: int, g: CPUGenerator):
    """x.random_(from, None): from up to 2**digits for a float, the max of an int."""
    dt = x.data.dtype
    top = _to_inclusive_max(dt)
    if dt.kind == "f":
        low = _float_from(dt, low)
        if not low < top:
            raise GradvizError(f"random_ expects 'from' casted to dtype to be less than or equal "
                               f"to 'to_inc' casted to dtype, but got from={low} > to_inc={top}",
                               kind=RUNTIME, hint=f"from is below {top} in {dt.name}")
    else:
        _in_dtype(dt, low, top)
    return F.drawn_in_place(rt, x, "random_",
                            lambda shape: random_range(g, shape, dt, low, top - low + 1))


def m_exponential_(rt, x, lambd=1.0, *, generator=None):
    F._float_args("exponential_", lambd=lambd)
    g = F.draw_generator(rt, generator, "exponential_")
    _positive("exponential_", "lambda", lambd)
    _continuous_only(x, "Exponential", cpp_names=False)
    return F.drawn_in_place(rt, x, "exponential_",
                            lambda shape: exponential(g, shape, x.data.dtype, lambd))


def m_geometric_(rt, x, p, *, generator=None):
    F._float_args("geometric_", p=p)
    g = F.draw_generator(rt, generator, "geometric_")
    if not 0 < p < 1:
        raise GradvizError(f"geometric_ expects p to be in (0, 1), but got p={F._torch_number(p)}",
                           kind=RUNTIME, hint="p is the chance of success of each trial")
    return F.drawn_in_place(rt, x, "geometric_",
                            lambda shape: geometric(g, shape, x.data.dtype, p))


def m_log_normal_(rt, x, mean=1.0, std=2.0, *, generator=None):
    F._float_args("log_normal_", mean=mean, std=std)
    g = F.draw_generator(rt, generator, "log_normal_")
    _positive("log_normal_", "std", std)
    _float_only(x, "log_normal_cpu")
    return F.drawn_in_place(rt, x, "log_normal_",
                            lambda shape: log_normal(g, shape, x.data.dtype, mean, std))


def m_cauchy_(rt, x, median=0.0, sigma=1.0, *, generator=None):
    F._float_args("cauchy_", median=median, sigma=sigma)
    g = F.draw_generator(rt, generator, "cauchy_")
    _positive("cauchy_", "sigma", sigma)
    _continuous_only(x, "Cauchy", cpp_names=True)
    return F.drawn_in_place(rt, x, "cauchy_",
                            lambda shape: cauchy(g, shape, x.data.dtype, median, sigma))


def f_poisson(rt, input, generator=None):
    """torch.poisson(rates): a count per rate, in the rates' dtype; rates
    that require grad get PyTorch's PoissonBackward0 (a zero gradient)."""
    x = _need_tensor(input, "poisson", 1, "input")
    g = F.draw_generator(rt, generator, "poisson")
    _float_only(x, "poisson_cpu")
    rates = x.data.reshape(-1).astype(F64).tolist()
    if any(not r >= 0 for r in rates):
        raise GradvizError("invalid Poisson rate, expected rate to be non-negative",
                           kind=RUNTIME, hint="a rate is a mean count: zero or more")
    counts = [poisson_sample(g, r) for r in rates]
    drawn = np.array(counts, F64).astype(x.data.dtype).reshape(x.data.shape)
    if rt.tape.grad_enabled and x.requires_grad:
        return rt.apply(OPS["poisson"], (x,), {"counts": drawn})
    return F._leaf(rt, drawn, False, "poisson")


_LIKE_TAIL = ("torch.memory_format memory_format = None, torch.dtype dtype = None, torch.layout "
              "layout = None, torch.device device = None, bool pin_memory = False, bool "
              "requires_grad = False)")
_RANDINT_LIKE_FORMS = "".join(
    f" * (Tensor input, {bounds}, *, {gen}{_LIKE_TAIL}\n"
    for bounds in ("int low, int high", "Tensor high", "int high")
    for gen in ("torch.Generator generator, ", ""))


def _randint_like_error(args: tuple) -> GradvizError:
    """PyTorch's argument-parser TypeError, listing randint_like's forms."""
    got = ", ".join(["Tensor"] + [type(a).__name__ for a in args])
    return GradvizError(f"randint_like() received an invalid combination of arguments - got "
                        f"({got}), but expected one of:\n{_RANDINT_LIKE_FORMS}", kind=TYPE,
                        hint="e.g. torch.randint_like(x, 10) or torch.randint_like(x, 0, 10)")


def f_randint_like(rt, input, *bounds, dtype=None, requires_grad=False, generator=None,
                   memory_format=None, layout=None, device=None, pin_memory=False):
    """torch.randint_like(x, high) or (x, low, high): x's shape, x's dtype
    (or dtype=), drawn as random_(low, high)."""
    x = _need_tensor(input, "randint_like", 1, "input")
    if len(bounds) == 1 and is_tensor(bounds[0]) and bounds[0].data.ndim == 0:
        bounds = (int(bounds[0].data),)                  # (Tensor input, Tensor high)
    if not 1 <= len(bounds) <= 2 or any(isinstance(v, bool) or not isinstance(v, int)
                                        for v in bounds):
        raise _randint_like_error(bounds)
    low, high = (0,) * (2 - len(bounds)) + bounds
    dt = F._dtype_arg(dtype) or x.data.dtype
    low, span = _checked_range(dt, low, high)
    g = F.draw_generator(rt, generator, "randint_like")
    drawn = in_memory_order(x, lambda shape: random_range(g, shape, dt, low, span))
    return F._leaf(rt, drawn, requires_grad, "randint_like")


def f_empty_like(rt, input, *, dtype=None, requires_grad=False, memory_format=None,
                 layout=None, device=None, pin_memory=False):
    """torch.empty_like(x): x's shape and dtype, values unset (zeros here:
    PyTorch's are whatever the memory held)."""
    x = _need_tensor(input, "empty_like", 1, "input")
    dt = F._dtype_arg(dtype) or x.data.dtype
    return F._laid_out_like(F._leaf(rt, np.zeros(x.data.shape, dt), requires_grad, "empty_like"), x,
                            "empty_like", memory_format)


def m_bernoulli(rt, x, p=None, *, generator=None):
    """x.bernoulli() (x's values the probabilities) or x.bernoulli(p)."""
    return F.f_bernoulli(rt, x, p, generator=generator)


def m_fill_diagonal_(rt, x, fill_value, wrap=False):
    """x.fill_diagonal_(v, wrap=False): x[i, i, ...] = v (a tall matrix's
    diagonal starts again after a skipped row when wrap)."""
    shape = x.data.shape
    if len(shape) < 2:
        raise GradvizError("dimensions must larger than 1", kind=RUNTIME,
                           hint="fill_diagonal_ takes a matrix (or a cube, ... of equal sides)")
    if len(shape) > 2 and len(set(shape)) > 1:
        raise GradvizError("all dimensions of input must be of equal length", kind=RUNTIME,
                           hint="a tensor of more than 2 dims must have equal sides")
    if is_tensor(fill_value) and fill_value.data.size == 1:
        fill_value = fill_value.data.item()
    # the diagonal's elements are a flat step apart of one more than a row's length
    step = sum(math.prod(shape[k + 1:]) for k in range(len(shape)))
    stop = x.data.size if wrap or len(shape) > 2 else min(shape) * step
    if rt.tape.grad_enabled and x.requires_grad:
        return _fill_diagonal_recorded(rt, x, np.unravel_index(np.arange(0, stop, step), shape),
                                       fill_value)

    def filled():
        out = x.data.copy()
        out.reshape(-1)[:stop:step] = fill_value
        return out
    return F._write_in_place(rt, x, "fill_diagonal_", filled)


def _fill_diagonal_recorded(rt, x, key: tuple, fill_value):
    """fill_diagonal_ on a tensor of the graph: PyTorch fills a strided view
    of x, so a leaf's error is the one for a view of a leaf, and the write
    is CopySlices, whose gradient is zero on the diagonal."""
    rt.view_write_check(x, "diagonal")
    rt._check_writable(x)
    rt._setitem_recorded(x, key, fill_value, "diagonal", True)
    return rt._latest(x)            # (the write's node, which the program's names now hold)


# ---- the generator's state ---------------------------------------------------

STATE_SIZE = 5056       # sizeof(CPUGeneratorImplState)
_MT_N = 624
# offsets in PyTorch's CPUGeneratorImplState (its legacy POD, then the float cache)
_SEED, _LEFT, _SEEDED, _NEXT, _STATE = 0, 8, 12, 16, 24
_NORMAL_Y, _NORMAL_VALID = 5024, 5040


def get_state(g: CPUGenerator) -> np.ndarray:
    """The generator's state as the bytes of torch.get_rng_state()."""
    _, key, pos = g.twister.get_state()[:3]
    out = np.zeros(STATE_SIZE, np.uint8)
    out[_SEED:_SEED + 8] = np.frombuffer(np.uint64(g.seed % 2**64).tobytes(), np.uint8)
    # PyTorch counts the words left (its twister regenerates when none is)
    # and the next word's place, 0 right after seeding
    nxt = pos if pos < _MT_N or not _fresh(g.seed, key) else 0
    out[_LEFT:_NEXT] = np.frombuffer(np.array([_MT_N + 1 - pos, 1], np.int32).tobytes(), np.uint8)
    out[_NEXT:_STATE] = np.frombuffer(np.uint64(nxt).tobytes(), np.uint8)
    out[_STATE:_STATE + 8 * _MT_N] = np.frombuffer(key.astype(np.uint64).tobytes(), np.uint8)
    if g.next_normal is not None:
        out[_NORMAL_Y:_NORMAL_Y + 8] = np.frombuffer(np.float64(g.next_normal).tobytes(), np.uint8)
        out[_NORMAL_VALID] = 1
    return out


def _fresh(seed: int, key: np.ndarray) -> bool:
    """Whether key is the twister's state right after manual_seed(seed)."""
    return bool(np.array_equal(CPUGenerator(seed).twister.get_state()[1], key))


def set_state(g: CPUGenerator, state: np.ndarray) -> None:
    """The generator set to the bytes of a torch.get_rng_state()."""
    raw = state.tobytes()
    seed = int(np.frombuffer(raw, np.uint64, 1, _SEED)[0])
    left = int(np.frombuffer(raw, np.int32, 1, _LEFT)[0])
    key = np.frombuffer(raw, np.uint64, _MT_N, _STATE).astype(np.uint32)
    g.seed = seed
    g.twister.set_state(("MT19937", key, _MT_N + 1 - left))
    valid = np.frombuffer(raw, np.int32, 1, _NORMAL_VALID)[0]
    g.next_normal = float(np.frombuffer(raw, np.float64, 1, _NORMAL_Y)[0]) if valid else None


def f_get_rng_state(rt):
    return F._leaf(rt, get_state(rt.rng), False, "get_rng_state")


def f_set_rng_state(rt, new_state):
    rt.rng = _generator_from(new_state)


def _generator_from(new_state) -> CPUGenerator:
    """A generator in the state whose bytes get_rng_state() gave (PyTorch's
    errors for anything else)."""
    if not is_tensor(new_state):
        raise GradvizError(f"expected a torch.ByteTensor, but got {type(new_state).__name__}",
                           kind=TYPE, hint="give what torch.get_rng_state() returned")
    if new_state.data.dtype != np.uint8:
        raise GradvizError("RNG state must be a torch.ByteTensor", kind=TYPE,
                           hint="give what torch.get_rng_state() returned")
    if new_state.data.size != STATE_SIZE:
        raise GradvizError(f"Expected a CPUGeneratorImplState of size {STATE_SIZE} but found the "
                           f"input RNG state size to be {new_state.data.size}", kind=RUNTIME,
                           hint="give what torch.get_rng_state() returned")
    g = CPUGenerator(0)
    set_state(g, np.ascontiguousarray(new_state.data.reshape(-1)))
    return g


def _entropy_seed() -> int:
    """A 64-bit seed from the system's entropy (as secrets.randbits(64),
    without importing secrets: with its hashlib and hmac, ~2% of every
    start-up)."""
    return int.from_bytes(os.urandom(8), "little")


def f_seed(rt):
    """torch.seed(): the generator seeded from the system's entropy (a
    different 64-bit seed each run, as PyTorch's); returns the seed."""
    s = _entropy_seed()
    rt.rng = CPUGenerator(s)
    return s


# ---- a torch.Generator's methods (its state is its own: rng.TorchGenerator) --

def _g_manual_seed(rt, g, seed):
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise GradvizError(f"manual_seed expected a long, but got {rt.type_name(seed)}",
                           kind=RUNTIME, hint="a whole number: g.manual_seed(0)")
    g.put(rt, CPUGenerator(seed % 2**64))
    return g


def _g_initial_seed(rt, g):
    return g.cpu(rt).seed


def _g_seed(rt, g):
    """g.seed(): g seeded from the system's entropy, as torch.seed() seeds
    the default generator; returns the seed."""
    s = _entropy_seed()
    g.put(rt, CPUGenerator(s))
    return s


def _g_get_state(rt, g):
    return F._leaf(rt, get_state(g.cpu(rt)), False, "get_state")


def _g_set_state(rt, g, new_state):
    g.put(rt, _generator_from(new_state))
    return g


GENERATOR_METHODS = {"manual_seed": _g_manual_seed, "initial_seed": _g_initial_seed,
                     "seed": _g_seed, "get_state": _g_get_state, "set_state": _g_set_state}


FUNCTIONS = {
    "poisson": f_poisson, "randint_like": f_randint_like, "empty_like": f_empty_like,
    "get_rng_state": f_get_rng_state, "set_rng_state": f_set_rng_state, "seed": f_seed,
}
METHODS = {
    "random_": m_random_, "exponential_": m_exponential_, "geometric_": m_geometric_,
    "log_normal_": m_log_normal_, "cauchy_": m_cauchy_, "bernoulli": m_bernoulli,
    "fill_diagonal_": m_fill_diagonal_,
}
