"""The match statement, as Python runs it: the subject is evaluated once,
then each case's pattern is tried in turn. A pattern that fits binds its
names (all at once, when the whole pattern fits), then the case's guard is
evaluated; the first case whose pattern fits and whose guard holds runs.

A literal compares with ``==`` and the program's truth, as Python's: a
one-element tensor subject fits `case 2:` by its value, a longer one is
PyTorch's "Boolean value of Tensor with more than one value is ambiguous". A
tensor is no sequence to a pattern (Python's collections.abc.Sequence does
not hold torch.Tensor), a string neither; a torch.Size and PyTorch's named
tuples are.
"""
from __future__ import annotations

from collections import deque

from . import syntax
from .errors import TYPE, VALUE, GradvizError
from .render.torchfmt import DICTS

# Python's builtin types whose one positional sub-pattern is the subject itself
# (case int(n):), by the name the program's builtins bind them to
_SELF_MATCHING = frozenset(("bool", "bytearray", "bytes", "dict", "float", "frozenset", "int",
                            "list", "set", "str", "tuple"))
_MISSING = object()


def case_block(rt, stmt) -> tuple:
    """The block a match statement runs (empty when no case fits)."""
    subject = rt.eval(stmt.subject)
    for case in stmt.cases:
        rt.line = rt.where(case).line
        bound: dict = {}
        try:
            found = fits(rt, case.pattern, subject, bound)
        except GradvizError as exc:     # (Python's traceback names the case's line)
            raise exc.at(rt.where(case.pattern))
        if not found:
            continue
        for name, value in bound.items():
            rt._bind(name, value)
        if case.guard is None or rt.truth(rt.eval(case.guard)):
            return case.body
    return ()


def fits(rt, pattern, subject, bound: dict) -> bool:
    """Whether the pattern fits the subject; the names it binds go into bound."""
    cls = pattern.__class__
    if cls is syntax.MatchAs:
        if pattern.pattern is not None and not fits(rt, pattern.pattern, subject, bound):
            return False
        if pattern.name is not None:
            bound[pattern.name] = subject
        return True
    if cls is syntax.MatchValue:
        return _equals(rt, pattern.value, subject)
    if cls is syntax.MatchOr:
        for alternative in pattern.patterns:
            trial = dict(bound)
            if fits(rt, alternative, subject, trial):
                bound.update(trial)
                return True
        return False
    if cls is syntax.MatchSequence:
        return _sequence_fits(rt, pattern, subject, bound)
    if cls is syntax.MatchMapping:
        return _mapping_fits(rt, pattern, subject, bound)
    return _class_fits(rt, pattern, subject, bound)


def _equals(rt, value, subject) -> bool:
    """A literal or a dotted name's value against the subject: None, True
    and False by identity, the others by `subject == value`'s truth."""
    if value.__class__ is syntax.Const:
        return subject is value.value
    return rt.truth(rt.binary("==", subject, rt.eval(value), rt.where(value)))


def _is_sequence(subject) -> bool:
    if subject.__class__.__name__ == "ReturnTypes":     # torch.return_types.max(...)
        return True
    return isinstance(subject, (list, tuple, range, deque))


def _sequence_fits(rt, pattern, subject, bound: dict) -> bool:
    if not _is_sequence(subject):
        return False
    items = list(subject)
    patterns = pattern.patterns
    star = next((k for k, p in enumerate(patterns) if p.__class__ is syntax.MatchStar), None)
    if star is None:
        if len(items) != len(patterns):
            return False
        pairs = list(zip(patterns, items))
    else:
        after = len(patterns) - star - 1
        if len(items) < len(patterns) - 1:
            return False
        rest = items[star:len(items) - after]
        if patterns[star].name is not None:
            bound[patterns[star].name] = rest
        pairs = list(zip(patterns[:star], items)) + \
            list(zip(patterns[star + 1:], items[len(items) - after:]))
    return all(fits(rt, p, item, bound) for p, item in pairs)


def _mapping_fits(rt, pattern, subject, bound: dict) -> bool:
    if not isinstance(subject, DICTS):
        return False
    keys = []
    for key in pattern.keys:
        value = rt.eval(key.value)
        if value in keys:
            raise GradvizError(f"mapping pattern checks duplicate key ({rt.repr_of(value)})",
                               kind=VALUE, span=rt.where(key),
                               hint="name each key once in a mapping pattern")
        keys.append(value)
    for key, p in zip(keys, pattern.patterns):
        value = dict.get(subject, key, _MISSING)     # (a defaultdict makes no item here)
        if value is _MISSING or not fits(rt, p, value, bound):
            return False
    if pattern.rest is not None:
        bound[pattern.rest] = {k: v for k, v in subject.items() if k not in keys}
    return True


def _class_fits(rt, pattern, subject, bound: dict) -> bool:
    from .functions import f_isinstance
    cls = rt.eval(pattern.cls)
    try:
        if not f_isinstance(rt, subject, cls):
            return False
    except GradvizError as exc:
        if exc.kind != TYPE:
            raise
        raise GradvizError("called match pattern must be a type", kind=TYPE,
                           span=rt.where(pattern.cls),
                           hint="a class pattern names a class: case Point(x, y):") from None
    names = _positional_names(rt, pattern, cls)
    if names is None:                        # int(n): the subject itself
        return fits(rt, pattern.patterns[0], subject, bound)
    for name, p in zip(names[:len(pattern.patterns)] + pattern.kwd_names, pattern.patterns + pattern.kwd_patterns):
        try:
            value = rt.attribute_of(subject, name)
        except GradvizError as exc:
            if exc.kind != "AttributeError":
                raise
            return False
        if not fits(rt, p, value, bound):
            return False
    return True


def _positional_names(rt, pattern, cls):
    """The attributes a class pattern's positional sub-patterns match (the
    class's __match_args__), or None for a builtin type's one sub-pattern,
    which matches the subject itself; Python's TypeError for too many."""
    count = len(pattern.patterns)
    if count == 0:
        return ()
    name = getattr(cls, "name", None)
    if name in _SELF_MATCHING and rt.value_str(cls) == f"<class '{name}'>":
        allowed, names = 1, None
    else:
        try:
            names = tuple(rt.attribute_of(cls, "__match_args__"))
        except GradvizError as exc:
            if exc.kind != "AttributeError":
                raise
            names = ()
        allowed = len(names)
        name = rt.attribute_of(cls, "__name__")
    if count > allowed:
        s = "" if allowed == 1 else "s"
        raise GradvizError(f"{name}() accepts {allowed} positional sub-pattern{s} ({count} "
                           "given)", kind=TYPE, span=rt.where(pattern),
                           hint="give the class __match_args__ = ('x', 'y'), or match "
                                "attributes by name: Point(x=0, y=y)")
    return names
