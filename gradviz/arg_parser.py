"""PyTorch's argument parser, for its arity and argument-kind checks.

A torch function's Python arguments are matched against its overloads (the
forms "but expected one of:" lists) in order; the first that takes them is
called. When none does, PyTorch counts the forms whose number of arguments
could fit (its "plausible" forms): with exactly one, that form's own error
("sum() missing 1 required positional arguments: "dim"", "sum() takes from
1 to 2 positional arguments but 3 were given", "argument 'keepdim' must be
bool, not int"), else "received an invalid combination of arguments".
Only the arity and the kinds of argument in KINDS (bool, int, ints: an int
or a tuple of ints, dtype, Tensor, Number, float, str, a tuple of Tensors,
a generator) are checked here: the rest (a tuple's items but the ints', a
layout) is left to gradviz's functions, which check it themselves.

A form is written as PyTorch prints it in that message: "(Tensor input,
tuple of ints dim, bool keepdim = False, *, torch.dtype dtype = None)" (a
parameter with " = " has a default), with one addition its messages leave
out: "?" after a type that takes None without a default of None ("bool?
stable"). A form with one positional parameter, a tuple of ints, takes its
ints one by one too (torch.ones(2, 3), x.view(2, 3)), as PyTorch's does.
"""

from __future__ import annotations

from .errors import FORMS_MESSAGE_CHARS, TYPE, GradvizError, argument_hint, did_you_mean
from .rng import TorchGenerator
from .tensor import Tensor

MISSING = object()

# numpy's names PyTorch also takes for some arguments (torch.sum(x, axis=1))
NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
               "other": ("x2",)}


def _is_tensor(v) -> bool:
    return v.__class__ is Tensor


# what an argument of each kind takes (and None where the kind ends in "?"):
# a tensor is left to gradviz's function, as PyTorch takes an integer one
# for an int
KINDS = {
    "": lambda v: True,
    "bool": lambda v: v.__class__ is bool,
    "int": lambda v: v.__class__ is int or _is_int_tensor(v),
    "ints": lambda v: v.__class__ is int or _is_int_list(v) or _is_tensor(v),
    "Tensor": _is_tensor,
    # (only plain values are refused: gradviz's dtypes are of several classes)
    "dtype": lambda v: v.__class__ not in PLAIN,
    # (a numpy value is left to gradviz's function)
    "Number": lambda v: v.__class__ in NUMBERS or _is_number_tensor(v) or _is_numpy(v),
    "str": lambda v: v.__class__ is str,
    "float": lambda v: v.__class__ in NUMBERS[:3] or _is_number_tensor(v) or _is_numpy(v),
    # (a Tensor of add, mul, where, ...: PyTorch takes a number there too)
    "Tensor+": lambda v: _is_tensor(v) or KINDS["Number"](v),
    # (the items are left to gradviz's function: cat's own error names one)
    "Tensors": lambda v: isinstance(v, (tuple, list)),
    "Scalars": lambda v: isinstance(v, (tuple, list)),
    "Generator": lambda v: v.__class__ is TorchGenerator,
}
PLAIN = (int, float, bool, str, tuple, list)
NUMBERS = (int, float, bool, complex)
# the kind each of PyTorch's type words is checked as (the others: any value)
TYPE_KINDS = {"bool": "bool", "int": "int", "tuple of ints": "ints", "torch.dtype": "dtype",
              "Tensor": "Tensor", "Number": "Number", "tuple of Tensors": "Tensors",
              "tuple of Scalars": "Scalars", "float": "float", "str": "str",
              "torch.Generator": "Generator"}
# how PyTorch's messages name each kind
KIND_WORDS = {"bool": "bool", "int": "int", "ints": "tuple of ints", "dtype": "torch.dtype",
              "Tensor": "Tensor", "Number": "Number", "Tensor+": "Tensor",
              "Tensors": "tuple of Tensors", "Scalars": "tuple of Scalars", "float": "float",
              "str": "str", "Generator": "torch.Generator"}


def _is_int_list(v) -> bool:
    """A tuple or list PyTorch's parser takes for a tuple of ints: it looks
    at the first item only (the others are checked as it reads them, by
    gradviz's function here)."""
    if not isinstance(v, (tuple, list)):
        return False
    return not v or _is_int(v[0]) or _is_numpy_int(v[0])


def _is_numpy_int(v) -> bool:
    # (an array of gradviz's numpy is left to gradviz's function)
    return _is_numpy(v) or v.__class__.__module__ == "numpy" and hasattr(v, "__index__")


def _is_int_tensor(v) -> bool:
    """A tensor PyTorch takes for an int: one integer (not bool) number."""
    return _is_number_tensor(v) and v.data.dtype.kind in "iu"


def _is_number_tensor(v) -> bool:
    """A tensor PyTorch takes for a number: 0-dim, not requiring grad."""
    return _is_tensor(v) and v.data.ndim == 0 and not v.requires_grad


def _is_numpy(v) -> bool:
    return v.__class__.__name__ == "NumpyArray"


# a form's word for PyTorch's unsized int[] (tensorsolve's dims): a tuple or
# list only, where a sized one (sum's int[1] dim) takes a single int too;
# printed as PyTorch prints both, "tuple of ints"
UNSIZED_INTS = "int[]"


class Param:
    __slots__ = ("name", "required", "kwonly", "kind", "takes", "none_ok", "aliases")

    def __init__(self, text: str, kwonly: bool, numbers_as_tensors: bool):
        declared, equals, default = text.partition(" = ")
        type_words, _, self.name = declared.rpartition(" ")
        self.required = not equals
        self.kwonly = kwonly
        unsized = type_words.rstrip("?") == UNSIZED_INTS
        self.kind = "ints" if unsized else TYPE_KINDS.get(type_words.rstrip("?"), "")
        if self.kind == "Tensor" and numbers_as_tensors:
            self.kind = "Tensor+"
        self.takes = _is_int_list if unsized else KINDS[self.kind]
        self.none_ok = type_words.endswith("?") or default == "None" or not self.kind
        self.aliases = (self.name, *NUMPY_NAMES.get(self.name, ()))


class Form:
    """One overload of a torch function, as its argument parser sees it.
    hidden: one of PyTorch's deprecated forms, which it takes but does not
    list (nor count among the forms a call could have meant).

    Its text is parsed into params (and the counts below) when one of them
    is first read: some 400 forms are made at every start-up, and parsing
    them all then was ~1% of a short program's run, for the few it calls."""

    PARSED = frozenset(("params", "min_args", "max_args", "max_pos", "varargs"))

    def __init__(self, text: str, numbers_as_tensors: bool = False, hidden: bool = False):
        self.text = text.replace("? ", " ").replace(UNSIZED_INTS, "tuple of ints")  # (as PyTorch prints it)
        self.hidden = hidden
        self._source = (text, numbers_as_tensors)

    def __getattr__(self, name: str):
        # (called only for an attribute not yet set: those of PARSED, once)
        if name not in Form.PARSED:
            raise AttributeError(name)
        self._parse(*self._source)
        return getattr(self, name)

    def _parse(self, text: str, numbers_as_tensors: bool) -> None:
        self.params = []
        kwonly = False
        for part in filter(None, text[1:-1].split(", ")):
            if part == "*":
                kwonly = True
            else:
                self.params.append(Param(part, kwonly, numbers_as_tensors))
        self.min_args = sum(p.required for p in self.params)
        self.max_args = len(self.params)
        self.max_pos = sum(not p.kwonly for p in self.params)
        self.varargs = self.max_pos == 1 and self.params[0].kind == "ints"


def forms(*texts: str, numbers_as_tensors: bool = False, deprecated: tuple = ()) -> tuple:
    """The forms of PyTorch's texts (numbers_as_tensors: a number passes for
    a Tensor, as in add, mul, where; deprecated: hidden forms, tried last)."""
    return (*(Form(t, numbers_as_tensors) for t in texts),
            *(Form(t, numbers_as_tensors, hidden=True) for t in deprecated))


# how many argument patterns (see check) a function remembers as taken
SEEN_MAX = 256


def check(fname: str, overloads: tuple, args: tuple, kw: dict, seen: set) -> None:
    """PyTorch's TypeError for a call of fname(*args, **kw) that none of its
    overloads takes (by number, names and bool arguments); None when one does.
    seen: the patterns of calls already taken (a parse costs 5-20 us; what it
    looks at is only the arguments' classes, the keywords' names and whether
    a tensor is one number, see _looked_at)."""
    pattern = (*map(_looked_at, args), *kw, *map(_looked_at, kw.values())) if kw else \
        (*map(_looked_at, args),)
    if pattern in seen:
        return
    taken = next((form for form in overloads if parse(fname, form, args, kw, raise_error=False)),
                 None)
    if taken is not None:
        _unpack_ints(fname, taken, args, kw)
        if len(seen) < SEEN_MAX:
            seen.add(pattern)
        return
    n = len(args) + len(kw)
    # (a function of one form always says that form's own error)
    plausible = [form for form in overloads if not form.hidden and
                 form.min_args <= n <= form.max_args or len(overloads) == 1]
    if len(plausible) == 1:
        parse(fname, plausible[0], args, kw, raise_error=True)
    from .functions import _number_hint
    listed = [form for form in overloads if not form.hidden]
    raise GradvizError(invalid_combination(fname, listed, args, kw), kind=TYPE,
                       hint=_misspelt_keyword(listed, kw) or _number_hint(fname, args)
                       or f"see the forms of {fname} (`gradviz ops`)",
                       max_chars=FORMS_MESSAGE_CHARS)


def _misspelt_keyword(forms: list, kw: dict) -> str | None:
    """'did you mean 'dim'?' for a keyword no form takes (x.sum(dmi=0))."""
    names = {a for form in forms for p in form.params for a in p.aliases}
    unknown = [k for k in kw if k not in names]
    return did_you_mean(unknown[0], names) if unknown else None


def _looked_at(v):
    """What a check reads of v: its class, and of a tensor whether it is
    one number (which PyTorch takes for a Number, an int if an integer), of
    a tuple or list whether its items all pass for ints."""
    if v.__class__ is Tensor:
        return v.data.ndim == 0 and not v.requires_grad, v.data.dtype.kind
    if v.__class__ in (tuple, list):
        return v.__class__, all(map(_int_item, v))
    return v.__class__


def _int_item(v) -> bool:
    """An item PyTorch reads into a tuple of ints (past the first, which
    its parser has looked at: a bool too; a tensor is left to gradviz)."""
    return v.__class__ in (int, bool) or _is_tensor(v) or _is_numpy_int(v)


def _unpack_ints(fname: str, form: Form, args: tuple, kw: dict) -> None:
    """PyTorch's TypeError for a tuple of ints of the form taken whose items
    after the first are not all ints (found as it reads them, after the
    parse: 'failed to unpack the object at pos 2', counted from 1)."""
    for i, p in enumerate(form.params):
        if p.kind != "ints":
            continue
        if form.varargs and i == 0 and args and _is_int(args[0]):
            v = args                            # (x.view(2, 1.5): the ints one by one)
        elif i < len(args) and not p.kwonly:
            v = args[i]
        else:
            v = next((kw[a] for a in p.aliases if a in kw), None)
        if v.__class__ not in (tuple, list):
            continue
        bad = next((at for at, item in enumerate(v) if not _int_item(item)), None)
        if bad is not None:
            from .functions import parsed_type_name
            raise _error(f"{fname}(): argument '{p.name}' failed to unpack the object at pos "
                         f'{bad + 1} with error "type must be tuple of ints,but got '
                         f'{parsed_type_name(v[bad])}"')


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
    # (a tuple or list whose first item is no int: PyTorch names that item's type)
    got = f"but found element of type {parsed_type_name(v[0])} at pos 0" if \
        p.kind == "ints" and v.__class__ in (tuple, list) else f"not {parsed_type_name(v)}"
    raise GradvizError(f"{fname}(): argument '{p.name}'{where} must be {KIND_WORDS[p.kind]}, "
                       f"{got}", kind=TYPE, hint=_type_hint(fname, p, v))


def _type_hint(fname: str, p: Param, v) -> str:
    """What to write instead: a tensor made of a number or list, the
    tensors of a stack in one list, else the kind the argument takes."""
    from .functions import _number_hint
    if p.kind in ("Tensor", "Tensor+"):
        made = _number_hint(fname, [v])
        if made is not None:
            return made
    if p.kind == "Tensors" and _is_tensor(v):
        return f"give the tensors in one list: {fname}([a, b])"
    return f"{p.name}= takes {KIND_WORDS[p.kind]}"


def _is_int(v) -> bool:
    """An int as a size list's first item (PyTorch's THPUtils_checkIndex): an
    int, or a one-element integer tensor, which has __index__."""
    return v.__class__ is int or (v.__class__ is Tensor and v.data.dtype.kind in "iu"
                                  and v.data.size == 1)


def _too_many(fname: str, form: Form, nargs: int):
    # (PyTorch's min_args counts a required keyword-only argument too:
    # x.sort(0, True, True) "takes from 1 to 0 positional arguments"; its
    # range is "were" whatever the count: x.sort(0, dim=-1, stable=True))
    if form.min_args != form.max_pos:
        takes, were = f"from {form.min_args} to {form.max_pos} positional arguments", "were"
    else:
        takes = f"{form.max_pos} positional argument{'' if form.max_pos == 1 else 's'}"
        were = "was" if nargs == 1 else "were"
    raise _error(f"{fname}() takes {takes} but {nargs} {were} given")


def _missing(fname: str, form: Form, start: int):
    # (every required one from the first missing on)
    raise _error(f"{fname}() " + missing_words([p.name for p in form.params[start:]
                                                 if p.required]))


def missing_words(names: list) -> str:
    """PyTorch's words for the arguments a call left out, its plural the
    other way round: 'missing 1 required positional arguments: "dim"',
    'missing 2 required positional argument: "input", "other"'."""
    plural = "s" if len(names) == 1 else ""
    return (f"missing {len(names)} required positional argument{plural}: "
            + ", ".join(f'"{n}"' for n in names))


def _extra_keyword(fname: str, form: Form, kw: dict, nargs: int):
    for key in kw:
        at = next((i for i, p in enumerate(form.params) if key in p.aliases), None)
        if at is None:
            message = f"{fname}() got an unexpected keyword argument '{key}'"
            raise GradvizError(message, kind=TYPE, hint=argument_hint(
                message, lambda: [a for p in form.params for a in p.aliases]))
        if at < nargs:
            raise _error(f"{fname}() got multiple values for argument '{key}'")
    raise AssertionError("no extra keyword")        # (parse counted one)


def _error(message: str):
    return GradvizError(message, kind=TYPE, hint="check the arguments (see `gradviz ops`)")


# ---- "received an invalid combination of arguments" ---------------------
# PyTorch words this message from its forms' printed texts alone, split at
# ", " (its format_invalid_args): a form's "*" and "()" count as a parameter
# there, and a parameter with a default is named by its default ("bool
# keepdim = False" is "False"), so a form "fits" a call of as many arguments
# as its text has parts, and a keyword fits only a required parameter among
# its last ones; a form that fits gets a line of why it did not match.

DIDNT_MATCH = "      didn't match because some of the "


def invalid_combination(fname: str, listed: list, args: tuple, kw: dict) -> str:
    """PyTorch's message for a call no form of fname takes (listed: its forms
    but the hidden ones)."""
    from .functions import arguments_got
    head = f"{fname}() received an invalid combination of arguments - "
    if len(listed) == 1:
        form = listed[0]
        unmatched = _unmatched_keywords(form, kw)
        if unmatched:
            return head + "got unrecognized keyword arguments: " + ", ".join(unmatched)
        got = _marked(form, args, kw) if _fits(form, args, kw) else f"({arguments_got(args, kw)})"
        return f"{head}got {got}, but expected {form.text}"
    lines = [f"{head}got ({arguments_got(args, kw)}), but expected one of:"]
    for form in listed:
        lines.append(f" * {form.text}")
        if _fits(form, args, kw):
            unmatched = _unmatched_keywords(form, kw)
            lines.append(DIDNT_MATCH + ("keywords were incorrect: " + ", ".join(unmatched)
                                        if unmatched else
                                        "arguments have invalid types: " + _marked(form, args, kw)))
    return "\n".join(lines) + "\n"


def _parts(form: Form) -> list:
    """(type, name) of each part of form's text, as PyTorch's message splits
    it: the words before the last space and the last word ("*": both)."""
    out = []
    for part in form.text[1:-1].split(", "):
        words, space, last = part.rpartition(" ")
        out.append((words if space else last, last))
    return out


def _fits(form: Form, args: tuple, kw: dict) -> bool:
    return len(_parts(form)) == len(args) + len(kw)


def _unmatched_keywords(form: Form, kw: dict) -> list:
    """The keywords that name none of form's last len(kw) parts."""
    names = [name for _, name in _parts(form)[max(len(_parts(form)) - len(kw), 0):]]
    return [key for key in reversed(kw) if key not in names]      # (the order it lists them)


def _marked(form: Form, args: tuple, kw: dict) -> str:
    """The call's arguments, each one the form's part in its place does not
    take between "!" marks (a keyword by the part's name)."""
    from .functions import parsed_type_name
    parts, items = _parts(form), []
    for i, (type_words, name) in enumerate(parts[:len(args) + len(kw)]):
        v = args[i] if i < len(args) else kw[name]
        text = ("" if i < len(args) else f"{name}=") + _described(v, parsed_type_name)
        items.append(text if _type_matches(type_words, parsed_type_name(v)) else f"!{text}!")
    if args:
        return "(" + ", ".join(items) + ")"
    return "(" + "".join(f"{item}, " for item in items) + ")"


def _type_matches(type_words: str, got: str) -> bool:
    # (PyTorch's message compares type names only: "Number" and "tuple of
    # ints" match nothing, a float takes an int)
    if type_words == "float":
        return got in ("float", "int")
    return got == type_words


def _described(v, type_name) -> str:
    """v's type, with the types of a tuple's or list's items."""
    if v.__class__ not in (tuple, list):
        return type_name(v)
    inner = ", ".join(map(type_name, v))
    if v.__class__ is list:
        return f"list of [{inner}]"
    return f"tuple of ({inner}{',' if len(v) == 1 else ''})"
