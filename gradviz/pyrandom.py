"""Python's random module, for programs that import it (d2l's data_iter
shuffles its example indices with random.shuffle).

Every function runs on the run's own random.Random (Interpreter.py_random),
never on the random module's shared one: a run's numbers are Python's for
the same seed, bit for bit, and one run (a notebook cell, a watch-mode
rerun) never moves another's. Unseeded, Python seeds from the OS; a program
here draws those of DEFAULT_SEED instead, the same on every run, as its
torch draws are those of torch.manual_seed(0).

Sequences are the program's own Python values (a list shuffles in place);
tensors are taken as PyTorch's take them in Python: their rows as items,
a one-element tensor as its number, and the arithmetic of uniform() and
gauss() done by the tensor's operators (in the graph)."""
from __future__ import annotations

from .errors import TYPE, VALUE, GradvizError
from .functions import f_len
from .pycollections import Deque
from .render.torchfmt import Size
from .tensor import Tensor

DEFAULT_SEED = 0

# the words added to Python's error, by function
_HINTS = {
    "choice": "random.choice picks one item of a non-empty list, tuple, string, range or "
              "tensor",
    "choices": "random.choices(population, weights=None, k=1): as many weights as items, "
               "not all zero",
    "sample": "random.sample(population, k) takes k distinct items of a list, tuple, string "
              "or range, k at most its length: list(t) makes a list of a tensor's rows",
    "shuffle": "random.shuffle reorders a list in place: list(t) makes a list of a tuple, "
               "torch.randperm(n) a shuffled order for a tensor",
    "randrange": "random.randrange(start, stop, step) picks from a non-empty range of whole "
                 "numbers",
    "randint": "random.randint(a, b) picks a whole number from a to b (both included): a <= b",
    "seed": "random.seed takes an int, a float or a string",
}
# the program's values that are Python's own sequences (a shape is a tuple)
_SEQUENCES = (list, tuple, str, range, Size, Deque)


def _python(name: str, method, *args, **kwargs):
    """method (of the run's generator) on args, with Python's errors as the
    program's."""
    try:
        return method(*args, **kwargs)
    except (TypeError, ValueError, IndexError) as exc:
        raise GradvizError(str(exc), kind=type(exc).__name__, hint=_HINTS.get(name)) from None


def _number(v):
    """A one-element tensor as the Python number PyTorch's __index__,
    __int__ and __float__ give; anything else as it is (Python checks it)."""
    if v.__class__ is not Tensor:
        return v
    if v.data.size != 1:
        raise GradvizError("only one element tensors can be converted to Python scalars",
                           kind=VALUE, hint="pass a number: x.item() is a one-element "
                                            "tensor's")
    return v.data.item()


def _length(rt, seq, name: str) -> int:
    """len(seq) as Python takes it for random's functions; its error else."""
    try:
        return f_len(rt, seq)
    except GradvizError as exc:
        exc.hint = exc.hint or _HINTS[name]
        raise


def _population(rt, seq, name: str):
    """seq as Python's function is given it: a Python sequence as it is, a
    tensor as the range of its row numbers (the same draws pick the same
    rows); Python's error for what has no len()."""
    if seq.__class__ in _SEQUENCES:
        return seq
    n = _length(rt, seq, name)
    if seq.__class__ is not Tensor:
        raise GradvizError(f"random.{name} takes a list, tuple, string, range or tensor, "
                           f"not a {rt.type_name(seq)}", kind=TYPE, hint=_HINTS[name])
    return range(n)


def _picked(rt, seq, items):
    """The items Python's function picked, of the program's sequence."""
    if seq.__class__ is not Tensor:
        return items
    return [rt.index_tensor(seq, [i]) for i in items]


def _plain(*values) -> bool:
    return all(v.__class__ in (int, float, bool) for v in values)


def seed(rt, a=None, version=2):
    # seed() and seed(None), the OS's randomness in Python, are the default seed
    _python("seed", rt.py_random.seed, DEFAULT_SEED if a is None else a, version)


def random(rt):
    return rt.py_random.random()


def uniform(rt, a, b):
    if _plain(a, b):
        return _python("uniform", rt.py_random.uniform, a, b)
    # Python's formula, with the tensor's operators: a + (b - a) * random()
    u = rt.py_random.random()
    return rt.binary("+", a, rt.binary("*", rt.binary("-", b, a), u))


def _normal(method: str):
    """gauss / normalvariate: Python's draw z for mean 0 and deviation 1
    (mu + z * sigma, which is z), then mu + z * sigma with the arguments'
    own operators when they are not plain numbers."""
    def call(rt, mu=0.0, sigma=1.0):
        if _plain(mu, sigma):
            return _python(method, getattr(rt.py_random, method), mu, sigma)
        z = getattr(rt.py_random, method)(0.0, 1.0)
        return rt.binary("+", mu, rt.binary("*", z, sigma))
    call.__name__ = method
    return call


def randrange(rt, start, stop=None, step=1):
    return _python("randrange", rt.py_random.randrange, _number(start), _number(stop),
                   _number(step))


def randint(rt, a, b):
    return _python("randint", rt.py_random.randint, _number(a), _number(b))


def choice(rt, seq):
    i = _python("choice", rt.py_random.choice, _population(rt, seq, "choice"))
    return _picked(rt, seq, [i])[0]


def _list_of(rt, k):
    """k, the length of the list a function makes, counted against the
    run's budget of list items before Python makes it."""
    k = _number(k)
    if k.__class__ is int and k > 0:
        rt.tape.check_size(k, "list")
        rt.tape.count_items(k)
    return k


def choices(rt, population, weights=None, *, cum_weights=None, k=1):
    weights, cum_weights = _weights(weights), _weights(cum_weights)
    k = _list_of(rt, k)
    items = _python("choices", rt.py_random.choices, _population(rt, population, "choices"),
                    weights, cum_weights=cum_weights, k=k)
    return _picked(rt, population, items)


def _weights(w):
    """Weights as numbers: a tensor's values, a list's one-element tensors
    their numbers. (PyTorch's would add float32 tensors in float32; these
    add in float64, which can move a draw that lands on a boundary's last
    bit.)"""
    if w.__class__ is Tensor:
        if not w.data.ndim:
            raise GradvizError("iteration over a 0-d tensor", kind=TYPE,
                               hint="weights are one number per item: a list or a 1-d tensor")
        return w.data.tolist()
    if w.__class__ in (list, tuple):
        return [_number(v) for v in w]
    return w


def sample(rt, population, k, *, counts=None):
    # a tensor is no sequence to Python's sample: its own TypeError
    return _python("sample", rt.py_random.sample, population, _list_of(rt, k), counts=counts)


def shuffle(rt, x):
    if x.__class__ is Tensor:
        _shuffle_tensor(rt, x)
    else:
        _python("shuffle", rt.py_random.shuffle, _population(rt, x, "shuffle"))


def _shuffle_tensor(rt, x: Tensor) -> None:
    """random.shuffle(t) as Python runs it on a tensor: for i from the end,
    x[i], x[j] = x[j], x[i], whose right side is two views of x: the first
    write copies row j over row i, and the second copies that back over
    row j. Rows repeat and others are lost, as in PyTorch."""
    r = rt.py_random
    for i in reversed(range(1, _length(rt, x, "shuffle"))):
        rt.swap_items(x, i, r.randrange(i + 1))     # shuffle's own draw, _randbelow(i + 1)


def getstate(rt):
    return rt.py_random.getstate()


def setstate(rt, state):
    _python("setstate", rt.py_random.setstate, state)


FUNCTIONS = {f.__name__: f for f in (
    seed, random, uniform, randrange, randint, choice, choices, sample, shuffle,
    getstate, setstate, _normal("gauss"), _normal("normalvariate"))}
