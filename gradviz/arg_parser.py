"""PyTorch's argument parser, for its arity and argument-kind checks.

A torch function's Python arguments are matched against its overloads (the
forms "but expected one of:" lists) in order; the first that takes them is
called. When none does, PyTorch counts the forms whose number of arguments
could fit (its "plausible" forms): with exactly one, that form's own error
("sum() missing 1 required positional arguments: "dim"", "sum() takes from
1 to 2 positional arguments but 3 were given", "argument 'keepdim' must be
bool, not int"), else "received an invalid combination of arguments".
Only the arity and the kinds of argument in KINDS (bool, int, ints: an int
or a tuple of ints, dtype, Tensor) are checked here: the rest is left to
gradviz's functions, which check it themselves.

A form is written as PyTorch lists it, with only those kinds: "input,
dim: int, keepdim: bool=, *, dtype: dtype?=, out=" (a name with "=" has a
default; a kind with "?" takes None as well; "*size" a size that may also
be given as separate ints, as torch.ones(2, 3)).
"""

from __future__ import annotations

import re

from .errors import TYPE, GradvizError

MISSING = object()

# numpy's names PyTorch also takes for some arguments (torch.sum(x, axis=1))
NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
               "other": ("x2",)}


def _is_tensor(v) -> bool:
    from .tensor import Tensor
    return v.__class__ is Tensor


# what an argument of each kind takes (and None where the kind ends in "?"):
# a tensor is left to gradviz's function, as PyTorch takes an integer one
# for an int
KINDS = {
    "": lambda v: True,
    "bool": lambda v: v.__class__ is bool,
    "int": lambda v: v.__class__ is int or _is_tensor(v),
    "ints": lambda v: v.__class__ is int or isinstance(v, (tuple, list)) or _is_tensor(v),
    "Tensor": _is_tensor,
    # (only plain values are refused: gradviz's dtypes are of several classes)
    "dtype": lambda v: v.__class__ not in PLAIN,
}
PLAIN = (int, float, bool, str, tuple, list)
# how PyTorch's messages name each kind
KIND_WORDS = {"bool": "bool", "int": "int", "ints": "tuple of ints", "dtype": "torch.dtype",
              "Tensor": "Tensor"}


class Param:
    __slots__ = ("name", "required", "kwonly", "kind", "takes", "none_ok", "varargs",
                 "aliases")

    def __init__(self, text: str, kwonly: bool):
        name, _, kind = text.partition("=")[0].partition(":")
        self.name = name.strip().lstrip("*")
        self.varargs = name.strip().startswith("*")
        self.required = "=" not in text
        self.kwonly = kwonly
        kind = kind.strip()
        self.kind = kind.rstrip("?")
        self.takes = KINDS[self.kind]
        self.none_ok = kind.endswith("?") or not kind
        self.aliases = (self.name, *NUMPY_NAMES.get(self.name, ()))


class Form:
    """One overload of a torch function, as its argument parser sees it."""

    def __init__(self, text: str):
        self.params = []
        kwonly = False
        for part in filter(None, (p.strip() for p in text.split(","))):
            if part == "*":
                kwonly = True
            else:
                self.params.append(Param(part, kwonly))
        self.min_args = sum(p.required for p in self.params)
        self.max_args = len(self.params)
        self.max_pos = sum(not p.kwonly for p in self.params)
        self.varargs = bool(self.params) and self.params[0].varargs


def forms(*texts: str) -> tuple:
    return tuple(Form(t) for t in texts)


# how many argument patterns (see check) a function remembers as taken
SEEN_MAX = 256


def check(fname: str, overloads: tuple, args: tuple, kw: dict, seen: set) -> None:
    """PyTorch's TypeError for a call of fname(*args, **kw) that none of its
    overloads takes (by number, names and bool arguments); None when one does.
    seen: the patterns of calls already taken (a parse costs 5-20 us; what it
    looks at is only the arguments' classes and the keywords' names)."""
    pattern = (*map(type, args), *kw, *map(type, kw.values())) if kw else (*map(type, args),)
    if pattern in seen:
        return
    if any(parse(fname, form, args, kw, raise_error=False) for form in overloads):
        if len(seen) < SEEN_MAX:
            seen.add(pattern)
        return
    n = len(args) + len(kw)
    # (a function of one form always says that form's own error)
    plausible = [form for form in overloads if form.min_args <= n <= form.max_args
                 or len(overloads) == 1]
    if len(plausible) == 1:
        parse(fname, plausible[0], args, kw, raise_error=True)
    from .functions import invalid_combination     # (functions.py installs bool_args)
    raise invalid_combination(fname, args, keywords=kw,
                                hint=f"see the forms of {fname} (`gradviz ops`)")


def parse(fname: str, form: Form, args: tuple, kw: dict, raise_error: bool) -> bool:
    """Whether form takes the arguments (PyTorch's FunctionSignature::parse):
    raise_error: its error where it does not."""
    nargs = len(args)
    whole_size = form.varargs and nargs and _is_int(args[0])
    if nargs > form.max_pos and not whole_size:
        return raise_error and _too_many(fname, form, nargs)
    pos = used = 0
    for i, p in enumerate(form.params):
        keyword = False
        if pos < nargs:
            if p.kwonly:
                return raise_error and _too_many(fname, form, nargs)
            v = args[pos]
        else:
            v = next((kw[a] for a in p.aliases if a in kw), MISSING)
            keyword = True
        if v is MISSING:
            if p.required:
                return raise_error and _missing(fname, form, i)
            continue
        if not (p.takes(v) or v is None and p.none_ok):
            if raise_error:
                _wrong_type(fname, p, v, None if keyword else pos + 1)
            return False
        if keyword:
            used += 1
        else:
            pos = nargs if whole_size and i == 0 else pos + 1
    if used < len(kw):
        return raise_error and _extra_keyword(fname, form, kw, nargs)
    return True


def _wrong_type(fname: str, p: Param, v, pos):
    from .functions import bool_arg, parsed_type_name
    if p.kind == "bool":
        bool_arg(fname, p.name, v, pos)
    where = f" (position {pos})" if pos else ""
    raise GradvizError(f"{fname}(): argument '{p.name}'{where} must be {KIND_WORDS[p.kind]}, "
                       f"not {parsed_type_name(v)}", kind=TYPE,
                       hint=f"{p.name}= takes {KIND_WORDS[p.kind]}")


def _is_int(v) -> bool:
    return v.__class__ is int


def _too_many(fname: str, form: Form, nargs: int):
    # (PyTorch's min_args counts a required keyword-only argument too:
    # x.sort(0, True, True) "takes from 1 to 0 positional arguments")
    if form.min_args != form.max_pos:
        takes = f"from {form.min_args} to {form.max_pos} positional arguments"
    else:
        takes = f"{form.max_pos} positional argument{'' if form.max_pos == 1 else 's'}"
    raise _error(f"{fname}() takes {takes} but {nargs} {'was' if nargs == 1 else 'were'} given")


def _missing(fname: str, form: Form, start: int):
    # (PyTorch's wording, its plural the other way round: "missing 1
    # required positional arguments", "missing 2 required positional
    # argument"; every required one from the first missing on)
    names = [p.name for p in form.params[start:] if p.required]
    plural = "s" if len(names) == 1 else ""
    raise _error(f"{fname}() missing {len(names)} required positional argument{plural}: "
                 + ", ".join(f'"{n}"' for n in names))


def _extra_keyword(fname: str, form: Form, kw: dict, nargs: int):
    for key in kw:
        at = next((i for i, p in enumerate(form.params) if key in p.aliases), None)
        if at is None:
            raise _error(f"{fname}() got an unexpected keyword argument '{key}'")
        if at < nargs:
            raise _error(f"{fname}() got multiple values for argument '{key}'")
    raise AssertionError("no extra keyword")        # (parse counted one)


def _error(message: str):
    return GradvizError(message, kind=TYPE, hint="check the arguments (see `gradviz ops`)")


# ---- which torch functions are C functions, and their C names -----------------

# torch's functions written in Python (torch/functional.py and the like):
# their argument errors are Python's own; every other torch.NAME gradviz has
# is a C function, whose argument parser words them
PYTHON_TORCH = frozenset("""
    are_deterministic_algorithms_enabled atleast_1d atleast_2d atleast_3d block_diag
    broadcast_shapes broadcast_tensors cartesian_prod cdist chain_matmul einsum get_rng_state
    initial_seed is_deterministic_algorithms_warn_only_enabled is_tensor manual_seed meshgrid
    norm seed set_default_device set_default_dtype set_printoptions set_rng_state split
    tensordot typename unique unique_consecutive unravel_index use_deterministic_algorithms
    device enable_grad finfo iinfo inference_mode no_grad set_grad_enabled
    """.split())     # (the last line: classes)
# torch.nn.functional's C functions (the others are Python's), by the name
# PyTorch gives them (F.logsigmoid is torch._C._nn.log_sigmoid)
C_FUNCTIONAL = {**{name: name for name in """
    adaptive_avg_pool1d avg_pool1d avg_pool2d bilinear conv1d conv2d conv_transpose1d
    conv_transpose2d cosine_similarity gelu hardshrink linear one_hot pairwise_distance
    pixel_shuffle pixel_unshuffle prelu scaled_dot_product_attention softplus softshrink
    """.split()}, "logsigmoid": "log_sigmoid"}


def c_name(module: str, name: str) -> str | None:
    """The name PyTorch's argument parser gives MODULE.NAME (torch.linalg.qr
    is linalg_qr, torch.special.erf special_erf), None where it is a Python
    function (torch.norm, F.relu)."""
    if module == "torch":
        return None if name in PYTHON_TORCH else name
    if module in ("torch.linalg", "torch.special"):
        return f"{module[6:]}_{name}"
    if module == "torch.nn.functional":
        return C_FUNCTIONAL.get(name)
    return None


# Python's "missing 2 required positional arguments: 'x' and 'other'"
_PY_MISSING = r"missing (\d+) required positional arguments?: (.*)"


def c_argument_error(name: str, python_message: str) -> GradvizError:
    """A C function's argument error, from Python's message for the same
    call of gradviz's function (after its name): the missing arguments in
    the parser's words (see _missing; gradviz's x is PyTorch's input), the
    rest as Python says it."""
    m = re.fullmatch(_PY_MISSING, python_message)
    if m is None:
        return _error(f"{name}() {python_message}")
    names = ["input" if n == "x" else n for n in re.findall(r"'(\w+)'", m[2])]
    plural = "s" if len(names) == 1 else ""
    return _error(f"{name}() missing {len(names)} required positional argument{plural}: "
                  + ", ".join(f'"{n}"' for n in names))
