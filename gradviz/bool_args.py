"""PyTorch's argument checks for its functions with bool arguments: keepdim,
requires_grad, largest, descending, ...

Where PyTorch's C++ signature takes a bool, only a Python bool passes:
x.sum(1, keepdim=1) is its TypeError "sum(): argument 'keepdim' must be
bool, not int" ("(position 2)" when given positionally), and where several
forms could have taken the call (torch.mean, x.sort, x.any, torch.randn)
"received an invalid combination of arguments". Its argument parser also
words the calls that fit no form its own way ('logsumexp() missing 1
required positional arguments: "dim"', "sum() takes from 1 to 2 positional
arguments but 3 were given", x.sum(keepdim=True) without a dim). gradviz's
functions take any truth value and word such calls as Python does, so
install() wraps each function of the table below once with arg_parser's
check of PyTorch's forms, which runs before the function does.
"""

from __future__ import annotations

import functools
import inspect

from . import arg_parser
from . import functions as F
from .arg_parser import forms

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# the options every factory takes after a * (requires_grad: bool? there:
# torch.ones(2, requires_grad=None) is torch.ones(2))
OPTIONS = "*, out=, dtype=, layout=, device=, pin_memory=, requires_grad: bool?="
LIKE_OPTIONS = "*, dtype=, layout=, device=, pin_memory=, requires_grad: bool?=, memory_format="
NEW_OPTIONS = "*, dtype=, device=, requires_grad: bool?=, layout=, pin_memory="


def _reduction(dim: str) -> tuple:
    """(torch.NAME's form, x.NAME's) of a reduction over dim."""
    return (forms(f"input, {dim}, keepdim: bool=, *, out="), forms(f"{dim}, keepdim: bool="))


def _sum_like(dim: str, out: str = "") -> tuple:
    # (torch.sum/prod/mean: a form without dim, where keepdim has no place)
    return (forms(f"input, *, dtype: dtype?=, {out}",
                  f"input, {dim}, keepdim: bool=, *, dtype: dtype?=, out="),
            forms("*, dtype: dtype?=", f"{dim}, keepdim: bool=, *, dtype: dtype?="))


def _max_like() -> tuple:
    return (forms("input, *, out=", "input, other: Tensor, *, out=",
                  "input, dim: int, keepdim: bool=, *, out="),
            forms("", "other: Tensor", "dim: int, keepdim: bool="))


def _any_like() -> tuple:
    return (forms("input, *, out=", "input, dim: ints?=, keepdim: bool=, *, out=",
                  "input, dim: int, keepdim: bool=, *, out="),
            forms("", "dim: ints?=, keepdim: bool=", "dim: int, keepdim: bool="))


def _sort_like(stable: str, out: str) -> tuple:
    # (argsort's second form takes no out=)
    return (forms(f"input, *, stable: {stable}, dim: int=, descending: bool=, out=",
                  f"input, dim: int=, descending: bool=, *, {out}"),
            forms(f"*, stable: {stable}, dim: int=, descending: bool=",
                  "dim: int=, descending: bool="))


def _close() -> tuple:
    return (forms("input, other, rtol=, atol=, equal_nan: bool="),
            forms("other, rtol=, atol=, equal_nan: bool="))


# name: (PyTorch's forms of torch.NAME, of x.NAME; None: no such form), as
# its "expected one of:" lists them (the named-dimension forms left out:
# gradviz has no named tensors); see arg_parser for how they are written
TABLE = {
    # (sum's and mean's dim is "int[1]?": None too; prod's an int)
    "sum": _sum_like("dim: ints?"), "prod": _sum_like("dim: int"),
    "mean": _sum_like("dim: ints?", "out="),
    "nansum": (forms("input, dim: ints?=, keepdim: bool=, *, dtype: dtype?=, out="),
               forms("dim: ints?=, keepdim: bool=, *, dtype: dtype?=")),
    **{name: _reduction("dim: int?=") for name in ("argmax", "argmin")},
    **{name: _reduction("dim: ints?=") for name in ("amax", "amin")},
    "logsumexp": _reduction("dim: ints"),
    "median": (forms("input", "input, dim: int, keepdim: bool=, *, out="),
               forms("", "dim: int, keepdim: bool=")),
    "max": _max_like(), "min": _max_like(), "any": _any_like(), "all": _any_like(),
    # (sort's stable is "bool?", taking None; argsort's a bool)
    "sort": _sort_like("bool?", "out="), "argsort": _sort_like("bool", ""),
    "topk": (forms("input, k: int, dim: int=, largest: bool=, sorted: bool=, *, out="),
             forms("k: int, dim: int=, largest: bool=, sorted: bool=")),
    "isclose": _close(), "allclose": _close(),
    "requires_grad_": (None, forms("requires_grad: bool=")),
    # (no bools, but their arity: x.stride(0, 1), x.is_contiguous(0))
    "stride": (None, forms("dim: int?=")), "is_contiguous": (None, forms("*, memory_format=")),
    # (torch.tensor's requires_grad is a bool, the other factories' a bool?)
    "tensor": (forms("data, *, dtype=, device=, requires_grad: bool=, pin_memory="), None),
    "as_tensor": (forms("data, *, dtype=, device="), None),
    **{name: (forms(f"*size, {OPTIONS}, memory_format="), None) for name in ("ones", "zeros",
                                                                             "empty")},
    "full": (forms(f"size, fill_value, {OPTIONS}"), None),
    **{name: (forms(f"input, {LIKE_OPTIONS}"), None) for name in ("ones_like", "zeros_like")},
    "full_like": (forms(f"input, fill_value, {LIKE_OPTIONS}"), None),
    **{name: (None, forms(f"*size, {NEW_OPTIONS}")) for name in ("new_ones", "new_zeros")},
    "new_full": (None, forms(f"size, fill_value, {NEW_OPTIONS}")),
    "new_tensor": (None, forms("data, *, dtype=, device=, requires_grad: bool=")),
    **{name: (forms(f"*size, *, generator, {OPTIONS[3:]}", f"*size, {OPTIONS}"), None)
       for name in ("rand", "randn")},
    "randint": (forms(f"high, size, *, generator, {OPTIONS[3:]}", f"high, size, {OPTIONS}",
                      f"low, high, size, *, generator, {OPTIONS[3:]}",
                      f"low, high, size, {OPTIONS}"), None),
    "arange": (forms(f"end, {OPTIONS}", f"start, end, {OPTIONS}",
                     f"start, end, step=, {OPTIONS}"), None),
    "eye": (forms(f"n, {OPTIONS}", f"n, m, {OPTIONS}"), None),
    # (four forms by the types of start and end: the same to the count)
    "linspace": (forms(*[f"start, end, steps, {OPTIONS}"] * 4), None),
    **{name: (forms(f"input, *, generator, {LIKE_OPTIONS[3:]}", f"input, {LIKE_OPTIONS}"), None)
       for name in ("rand_like", "randn_like")},
}

# torch.linalg's norms (the interpreter's torch.linalg module takes these):
# the function, the name PyTorch's messages give it, its forms
_NORM = "dim=, keepdim: bool=, *, dtype=, out="
LINALG = {"norm": (F.f_linalg_norm, "linalg_norm",
                   forms(f"input, ord=, {_NORM}", f"input, ord, {_NORM}")),
          "vector_norm": (F.f_linalg_vector_norm, "linalg_vector_norm",
                          forms(f"input, ord=, {_NORM}")),
          "matrix_norm": (F.f_linalg_matrix_norm, "linalg_matrix_norm",
                          forms(f"input, ord, {_NORM}", f"input, ord=, {_NORM}"))}


def install() -> None:
    """Wrap torch.NAME and x.NAME of the table in functions.py's tables."""
    for name, (function_forms, method_forms) in TABLE.items():
        if function_forms:
            F.FUNCTIONS[name] = checked(F.FUNCTIONS[name], name, function_forms, method=False)
        if method_forms:
            F.METHODS[name] = checked(F.METHODS[name], name, method_forms, method=True)


def linalg_function(name: str):
    """torch.linalg.NAME (norm, vector_norm, matrix_norm), its arguments checked."""
    f, fname, overloads = LINALG[name]
    return checked(f, fname, overloads, method=False)


def checked(call, fname: str, overloads: tuple, method: bool):
    """call, refusing with PyTorch's TypeError, before it runs, what none of
    PyTorch's forms of fname takes (by number, name and bool arguments)."""
    sig = inspect.signature(call)
    renames = _renames(sig, overloads, method)
    seen = set()

    @functools.wraps(call)
    def check(rt, *args, **kw):
        arg_parser.check(fname, overloads, args[1:] if method else args, kw, seen)
        if kw and not renames.keys().isdisjoint(kw):
            kw = {renames.get(k, k): v for k, v in kw.items()}
        return passed_on(call, rt, args, kw)
    # (the interpreter leaves a numpy bool there as it is, for the check)
    check.bool_slots = _bool_slots(sig, overloads)
    return check


def _renames(sig: inspect.Signature, overloads: tuple, method: bool) -> dict:
    """PyTorch's names of arguments (and numpy's it takes) that gradviz's
    function calls otherwise: {name: gradviz's name}. Its input (the
    tensor) and other are its first arguments after rt, whatever their name."""
    order = list(sig.parameters)[1:]        # (after rt)
    own = {"input": order[0] if order else None,
           "other": order[1] if len(order) > 1 and order[1] == "b" else None}
    renames = {}
    for form in overloads:
        for p in form.params:
            target = p.name if p.name in sig.parameters else own.get(p.name)
            for name in p.aliases:
                if target and name != target and name not in sig.parameters:
                    renames[name] = target
    return renames


def _bool_slots(sig: inspect.Signature, overloads: tuple) -> dict:
    """{bool argument: where it stands among the call's arguments after rt
    (None: by keyword only)} for the names in overloads that are bools."""
    order = list(sig.parameters)
    names = {p.name for form in overloads for p in form.params if p.kind == "bool"}
    return {name: order.index(name) - 1 if name in sig.parameters and
            sig.parameters[name].kind in POSITIONAL else None for name in names}


def passed_on(call, rt, args, kw):
    """call(rt, *args, **kw), where the arguments do not fit it: its
    TypeError marked as the program's, as functions.keywords_seen marks it
    (the interpreter tells such an error by where it was raised)."""
    try:
        return call(rt, *args, **kw)
    except TypeError as exc:
        if exc.__traceback__.tb_next is None:
            exc.at_the_call = True
        raise
