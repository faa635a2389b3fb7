"""PyTorch's bool arguments: keepdim, requires_grad, largest, descending, ...

Where PyTorch's C++ signature takes a bool, only a Python bool passes:
x.sum(1, keepdim=1) is its TypeError "sum(): argument 'keepdim' must be
bool, not int" ("(position 2)" when given positionally), and for a function
of several forms (torch.mean, x.sort, x.any, torch.randn) "received an
invalid combination of arguments". gradviz's functions take any truth
value, so install() wraps each of these once, from the table below, with a
check that runs before the function does.
"""

from __future__ import annotations

import functools
import inspect

from . import functions as F

# How PyTorch words a wrong bool argument:
ARG = "arg"               # argument 'keepdim' (position 3) must be bool, not int
OVERLOADS = "overloads"   # received an invalid combination of arguments - got (...)

KEEPDIM = ("keepdim",)
REQUIRES_GRAD = ("requires_grad",)

# name: (its bool arguments, the wording of torch.NAME, the wording of x.NAME;
# None: no such form)
TABLE = {
    **{name: (KEEPDIM, ARG, ARG) for name in (
        "sum", "prod", "nansum", "argmax", "argmin", "amax", "amin", "logsumexp", "median")},
    # (torch.mean/max/min say it as an overload's error, their methods as an argument's)
    **{name: (KEEPDIM, OVERLOADS, ARG) for name in ("mean", "max", "min")},
    "any": (KEEPDIM, OVERLOADS, OVERLOADS), "all": (KEEPDIM, OVERLOADS, OVERLOADS),
    "sort": (("descending", "stable"), OVERLOADS, OVERLOADS),
    "argsort": (("descending", "stable"), OVERLOADS, OVERLOADS),
    "topk": (("largest", "sorted"), ARG, ARG),
    "isclose": (("equal_nan",), ARG, ARG), "allclose": (("equal_nan",), ARG, ARG),
    "requires_grad_": (REQUIRES_GRAD, None, ARG),
    **{name: (REQUIRES_GRAD, ARG, None) for name in (
        "tensor", "ones", "zeros", "full", "empty", "ones_like", "zeros_like", "full_like")},
    **{name: (REQUIRES_GRAD, None, ARG) for name in (
        "new_ones", "new_zeros", "new_full", "new_tensor")},
    **{name: (REQUIRES_GRAD, OVERLOADS, None) for name in (
        "rand", "randn", "randint", "arange", "eye", "linspace", "rand_like", "randn_like")},
}

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)

# PyTorch's "bool?" arguments, which take None too (sort's stable)
OPTIONAL = frozenset({("sort", "stable")})

# reductions whose keepdim comes only with a dim: x.sum(keepdim=1) matches
# none of their forms; None: the function's own "missing ... 'dim'" error
NEED_DIM = {**{name: OVERLOADS for name in ("sum", "prod", "mean", "max", "min", "any", "all")},
            "median": None, "logsumexp": None}

# torch.linalg's norms (the interpreter's torch.linalg module takes these)
LINALG = {"norm": (F.f_linalg_norm, "linalg_norm", OVERLOADS),
          "vector_norm": (F.f_linalg_vector_norm, "linalg_vector_norm", ARG),
          "matrix_norm": (F.f_linalg_matrix_norm, "linalg_matrix_norm", OVERLOADS)}


def install() -> None:
    """Wrap torch.NAME and x.NAME of the table in functions.py's tables."""
    for name, (names, function_wording, method_wording) in TABLE.items():
        # (the function's own signature: a method form may only pass its arguments on)
        sig = inspect.signature(F.FUNCTIONS.get(name) or F.METHODS[name])
        if function_wording:
            F.FUNCTIONS[name] = checked(F.FUNCTIONS[name], name, sig, names,
                                        function_wording, method=False)
        if method_wording:
            F.METHODS[name] = checked(F.METHODS[name], name, sig, names, method_wording,
                                      method=True)


def linalg_function(name: str):
    """torch.linalg.NAME (norm, vector_norm, matrix_norm), its keepdim checked."""
    f, fname, wording = LINALG[name]
    return checked(f, fname, inspect.signature(f), KEEPDIM, wording, method=False)


def checked(call, fname: str, sig: inspect.Signature, names, wording: str, method: bool):
    """call, refusing what is not a Python bool for the arguments `names`
    with PyTorch's TypeError, before it runs."""
    order = list(sig.parameters)      # (rt first; a method's self then stands at 0)
    # where each of names stands among the arguments after rt (None: by keyword only)
    slots = {name: order.index(name) - 1 if sig.parameters[name].kind in POSITIONAL else None
             for name in names}

    def fits(name, v) -> bool:
        return v.__class__ is bool or (v is None and (fname, name) in OPTIONAL)

    def refuse(rt, args, kw) -> None:
        """PyTorch's error for the first argument of names that is no bool."""
        try:
            given = sig.bind(rt, *args, **kw).arguments
        except TypeError:                  # (the call's own error for arguments that do not fit)
            return
        for name in names:
            if name not in given or fits(name, given[name]):
                continue
            says = wording
            if fname in NEED_DIM and "dim" not in given:
                if NEED_DIM[fname] is None:
                    return
                says = OVERLOADS
            if says == OVERLOADS:
                raise F.invalid_combination(fname, args[1:] if method else args,
                                            hint=f"{name}= takes True or False",
                                            keywords=kw)
            pos = None if name in kw else order.index(name) - method
            F.bool_arg(fname, name, given[name], pos)

    @functools.wraps(call)
    def check(rt, *args, **kw):
        # (a quick look first: binding the signature costs about 7 us a call,
        # this look under 1 us; the binding is only for the error's words)
        for name, slot in slots.items():
            if name in kw:
                v = kw[name]
            elif slot is not None and slot < len(args):
                v = args[slot]
            else:
                continue
            if not fits(name, v):
                refuse(rt, args, kw)
                break
        return passed_on(call, rt, args, kw)
    # (the interpreter leaves a numpy bool there as it is, for this check)
    check.bool_slots = slots
    return check


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
