"""Python's warnings module: warnings.warn(message, category) shows the
warning as PyTorch's own are shown (on stderr after the run, once per line
and message: Python's default filter), and warnings.filterwarnings('ignore')
/ simplefilter('ignore'), which tutorials run first, silence the program's
own warnings from there on."""
from __future__ import annotations

from .errors import TYPE, GradvizError

# the warning classes a program names (bare, as in Python; exceptions.py)
CATEGORIES = ("Warning", "UserWarning", "DeprecationWarning", "FutureWarning",
              "RuntimeWarning")
_ACTIONS = ("default", "error", "ignore", "always", "all", "module", "once")


def _warn(rt, message, category=None, stacklevel=1, source=None):
    name = "UserWarning" if category is None else getattr(category, "name", None)
    if name not in CATEGORIES:
        raise GradvizError(f"category must be a Warning subclass, not "
                           f"'{rt.type_name(category)}'", kind=TYPE,
                           hint="warnings.warn(message) or warnings.warn(message, UserWarning)")
    if rt.warnings_ignored:
        return None
    rt.tape.events.append({"kind": "user_warning", "line": rt.line, "category": name,
                           "message": rt.str_of(message)})
    return None


def _filter(name: str):
    def call(rt, action, *args, **kwargs):
        if action not in _ACTIONS:
            raise GradvizError(f"invalid action: {action!r}", kind="AssertionError",
                               hint=f"warnings.{name}('ignore') silences the warnings")
        rt.warnings_ignored = action == "ignore"
    return call


def members(function) -> dict:
    return {"warn": function("warn", _warn),
            "filterwarnings": function("filterwarnings", _filter("filterwarnings")),
            "simplefilter": function("simplefilter", _filter("simplefilter"))}
