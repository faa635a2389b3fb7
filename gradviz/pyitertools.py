"""Python's itertools module: product (a grid of hyperparameters), chain
(two models' parameters for one optimizer), combinations, permutations,
accumulate, islice, count, repeat, cycle, zip_longest, groupby.

Python's own itertools run over the program's values: each argument is
walked as a for loop walks it (rt._items: a list, a dict's keys, a tensor's
rows, a generator, ...), and a function the program passes (accumulate's,
groupby's key) is called as the program calls it. The result is an Iterator
of the kind Python names (`<itertools.product object at ...>`), lazy as
Python's, so that count() and cycle() may go on for ever under islice()."""
from __future__ import annotations

import itertools

from .errors import GradvizError

_HINTS = {
    "islice": "islice(items, stop) or islice(items, start, stop, step), with whole numbers "
              "of 0 or more (or None)",
    "combinations": "combinations(items, r) takes r items at a time, r of 0 or more",
    "permutations": "permutations(items, r=None) orders r items at a time, r of 0 or more",
    "product": "product(*lists, repeat=1), repeat of 0 or more",
    "repeat": "repeat(value, times)",
    "count": "count(start=0, step=1) counts with numbers",
}


class Iterator:
    """One of itertools' iterators (a subclass per kind names it)."""

    __slots__ = ("it",)

    def __init__(self, it):
        self.it = it

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)


def _kind(name: str) -> type:
    return type(name, (Iterator,), {"__slots__": ()})


NAMES = ("product", "chain", "combinations", "permutations", "accumulate", "islice", "count",
         "repeat", "cycle", "zip_longest", "groupby", "_grouper", "starmap", "compress",
         "takewhile", "dropwhile", "pairwise")
# the iterator classes, by name (a for loop, list(), zip() walk them)
KINDS = {name: _kind(name) for name in NAMES}
for _name, _cls in KINDS.items():
    _cls.__name__ = f"itertools.{_name}"
CLASSES = tuple(KINDS.values())


def _python(name: str, make, *args, **kwargs) -> Iterator:
    """itertools' make(*args) as an Iterator of that kind, Python's errors
    of its arguments as the program's."""
    try:
        it = make(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise GradvizError(str(exc), kind=type(exc).__name__, hint=_HINTS.get(name)) from None
    return KINDS[name](it)


def _walk(rt, x):
    """An iterator over x's items, as a for loop takes them."""
    return iter(x) if x.__class__ is str else rt._items(x, rt.span)


def _calling(rt, fn):
    """The program's function fn as a Python function (of any arguments)."""
    return lambda *args: rt.invoke(fn, list(args), None)


def _index(v):
    """A count argument as Python's itertools reads it, through __index__:
    a tensor's is PyTorch's (one integer element, else its TypeError)."""
    from .functions import index_of_tensor
    from .tensor import Tensor
    return index_of_tensor(v) if v.__class__ is Tensor else v


def _has_index(v) -> bool:
    from .tensor import Tensor
    return v.__class__ is not Tensor or (v.data.size == 1 and v.data.dtype.kind in "iub")


def product(rt, *iterables, repeat=1):
    return _python("product", itertools.product, *(list(_walk(rt, x)) for x in iterables),
                   repeat=_index(repeat))


def chain(rt, *iterables):
    return KINDS["chain"](itertools.chain.from_iterable(_walk(rt, x) for x in iterables))


def chain_from_iterable(rt, iterable):
    return KINDS["chain"](itertools.chain.from_iterable(_walk(rt, x)
                                                        for x in _walk(rt, iterable)))


def combinations(rt, iterable, r):
    return _python("combinations", itertools.combinations, _walk(rt, iterable), _index(r))


def permutations(rt, iterable, r=None):
    return _python("permutations", itertools.permutations, _walk(rt, iterable), r)


def accumulate(rt, iterable, func=None, *, initial=None):
    """Running totals (the program's + by default: tensors add as ops)."""
    step = (lambda a, b: rt.binary("+", a, b)) if func is None else _calling(rt, func)
    return _python("accumulate", itertools.accumulate, _walk(rt, iterable), step,
                   initial=initial)


def islice(rt, iterable, *args):
    # (a tensor that has no index is islice's own ValueError, as any value)
    return _python("islice", itertools.islice, _walk(rt, iterable),
                   *(_index(v) if _has_index(v) else v for v in args))


def count(rt, start=0, step=1):
    for v in (start, step):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise GradvizError("a number is required", kind="TypeError", hint=_HINTS["count"])
    return _python("count", itertools.count, start, step)


def repeat(rt, obj, times=None):
    return _python("repeat", itertools.repeat, obj, *(() if times is None else (times,)))


def cycle(rt, iterable):
    return _python("cycle", itertools.cycle, _walk(rt, iterable))


def zip_longest(rt, *iterables, fillvalue=None):
    return _python("zip_longest", itertools.zip_longest, *(_walk(rt, x) for x in iterables),
                   fillvalue=fillvalue)


def groupby(rt, iterable, key=None):
    """(key, group) pairs of runs of equal keys; each group an iterator too."""
    keyfunc = None if key is None else _calling(rt, key)
    pairs = itertools.groupby(_walk(rt, iterable), keyfunc)
    return KINDS["groupby"]((k, KINDS["_grouper"](g)) for k, g in pairs)


def starmap(rt, function, iterable):
    call = _calling(rt, function)
    return KINDS["starmap"](call(*args) for args in _walk(rt, iterable))


def compress(rt, data, selectors):
    keep = (rt.truth(s) for s in _walk(rt, selectors))
    return _python("compress", itertools.compress, _walk(rt, data), keep)


def _while(name: str, make):
    def call(rt, predicate, iterable):
        test = _calling(rt, predicate)
        return _python(name, make, lambda v: rt.truth(test(v)), _walk(rt, iterable))
    return call


def pairwise(rt, iterable):
    return _python("pairwise", itertools.pairwise, _walk(rt, iterable))


FUNCTIONS = {"product": product, "chain": chain, "combinations": combinations,
             "permutations": permutations, "accumulate": accumulate, "islice": islice,
             "count": count, "repeat": repeat, "cycle": cycle, "zip_longest": zip_longest,
             "groupby": groupby, "starmap": starmap, "compress": compress,
             "takewhile": _while("takewhile", itertools.takewhile),
             "dropwhile": _while("dropwhile", itertools.dropwhile), "pairwise": pairwise}


def members(function) -> dict:
    return {name: function(name, f) for name, f in FUNCTIONS.items()}
