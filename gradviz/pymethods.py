"""Python's own methods of strings and lists that programs call (' '.join(names),
name.upper(), losses.extend(...), xs.pop()): Python runs them on the program's
plain values, within the size limits, and says what Python says when they
fail. (list.append and str.format live with the interpreter and functions.)"""
from __future__ import annotations

from .errors import INDEX, TYPE, VALUE, GradvizError
from .fstrings import _type_name

# str methods whose arguments are strings and ints only, and whose result is
# plain (a string, a number, a bool or a list of strings)
STR_METHODS = frozenset((
    "upper", "lower", "title", "capitalize", "swapcase", "casefold", "strip", "lstrip",
    "rstrip", "split", "rsplit", "splitlines", "startswith", "endswith", "find", "rfind",
    "index", "rindex", "count", "replace", "center", "ljust", "rjust", "zfill", "join",
    "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower", "isnumeric",
    "removeprefix", "removesuffix", "partition", "rpartition"))
# those that can make a long string from short arguments (the size check)
_GROWING = frozenset(("replace", "center", "ljust", "rjust", "zfill", "join"))

LIST_METHODS = frozenset(("extend", "insert", "pop", "index", "count", "remove", "reverse",
                          "clear", "copy", "sort"))


def str_method(name: str):
    method = getattr(str, name)

    def call(rt, text: str, *args):
        if name == "join":
            if len(args) != 1:
                raise GradvizError(f"str.join() takes exactly one argument ({len(args)} given)",
                                   kind=TYPE)
            items = list(args[0]) if isinstance(args[0], (list, tuple)) else None
            if items is None:
                raise GradvizError("can only join an iterable", kind=TYPE,
                                   hint="join a list of strings: ' '.join(['a', 'b'])")
            for k, item in enumerate(items):
                if item.__class__ is not str:
                    raise GradvizError(f"sequence item {k}: expected str instance, "
                                       f"{_type_name(item)} found", kind=TYPE,
                                       hint="make each item a string first: "
                                            "' '.join(str(v) for v in values)")
            if name in _GROWING:
                rt._check_string_size(sum(map(len, items)) + len(text) * len(items))
            return text.join(items)
        for a in args:
            if not (a is None or a.__class__ in (str, int, bool)):
                raise GradvizError(f"{name}() argument must be str or int, not "
                                   f"{_type_name(a)}", kind=TYPE)
        if name in _GROWING:
            width = max([a for a in args if a.__class__ is int] + [0])
            longest = len(text) * (1 + max((len(a) for a in args if a.__class__ is str),
                                           default=0))
            rt._check_string_size(max(width, longest))
        try:
            return method(text, *args)
        except (TypeError, ValueError) as exc:
            raise GradvizError(str(exc), kind=type(exc).__name__) from None
    call.__name__ = name
    return call


def list_method(name: str):
    def call(rt, items: list, *args, **kwargs):
        if kwargs and name != "sort":
            raise GradvizError(f"list.{name}() takes no keyword arguments", kind=TYPE)
        match name:
            case "extend":
                (more,) = _args(name, args, 1)
                if not isinstance(more, (list, tuple, range, str)):
                    raise GradvizError(f"'{_type_name(more)}' object is not iterable",
                                       kind=TYPE, hint="extend with a list: xs.extend([a, b])")
                rt.tape.check_size(len(items) + len(more), "list")
                rt.tape.count_items(len(more))
                for v in more:
                    items.append(v)
                    rt._mark_value_held(v)
                return None
            case "insert":
                at, value = _args(name, args, 2)
                rt.tape.check_size(len(items) + 1, "list")
                items.insert(_int(at), value)
                rt._mark_value_held(value)
                return None
            case "pop":
                if not items:
                    raise GradvizError("pop from empty list", kind=INDEX)
                at = _int(args[0]) if args else -1
                if not -len(items) <= at < len(items):
                    raise GradvizError("pop index out of range", kind=INDEX)
                return items.pop(at)
            case "index" | "count" | "remove":
                (value,) = _args(name, args, 1)
                if name == "count":
                    return sum(1 for v in items if _same(rt, v, value))
                # (the first match ends the search, as in Python)
                at = next((k for k, v in enumerate(items) if _same(rt, v, value)), None)
                if at is None:
                    raise GradvizError(f"list.{name}(x): x not in list", kind=VALUE)
                if name == "index":
                    return at
                del items[at]
                return None
            case "reverse":
                items.reverse()
                return None
            case "clear":
                items.clear()
                return None
            case "copy":
                return list(items)
            case "sort":
                if args or set(kwargs) - {"reverse"}:
                    raise GradvizError("sort() takes only reverse= here", kind=TYPE,
                                       hint="sort numbers or strings; a key= function is "
                                            "not supported")
                if any(v.__class__ not in (int, float, bool, str) for v in items):
                    raise GradvizError("sort() sorts numbers and strings only", kind=TYPE,
                                       hint="sort the numbers: sorted(x.item() for x in xs)")
                try:
                    items.sort(reverse=bool(kwargs.get("reverse", False)))
                except TypeError as exc:
                    raise GradvizError(str(exc), kind=TYPE) from None
                return None
    call.__name__ = name
    return call


def _args(name: str, args: tuple, n: int) -> tuple:
    if len(args) != n:
        raise GradvizError(f"list.{name}() takes exactly {n} argument{'s' if n > 1 else ''} "
                           f"({len(args)} given)", kind=TYPE)
    return args


def _int(v) -> int:
    if v.__class__ is not int:
        raise GradvizError(f"'{_type_name(v)}' object cannot be interpreted as an integer",
                           kind=TYPE)
    return v


def _same(rt, v, value) -> bool:
    """list.index/count/remove's test: identity, or Python's == (a tensor's
    truth is that of its one value, as in Python)."""
    if v is value:
        return True
    if v.__class__.__name__ == "Tensor" or value.__class__.__name__ == "Tensor":
        return rt.truth(rt.binary("==", v, value))
    return v == value
