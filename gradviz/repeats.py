"""Parsing a program whose lines repeat: each distinct line once.

Long programs are mostly generated, and an unrolled loop is one line again
and again (``h = tanh(h * 1.01 + 0.1)`` ten thousand times). Here each
distinct line that stands alone is parsed once, as line 1, and every time it
occurs the program holds a syntax.Repeat: that one tree, and how many lines
below line 1 this occurrence is. The tree is shared, so a repeat costs one
small object instead of a parse (a 30,000-line program of one repeated line
parses 30x faster), and the interpreter adds the shift to the spans it reads
(Interpreter.where). Any other reader takes ``Repeat.moved()``: the
statement as parsed at its own line, made by a builder prepared from the
tree once (a closure per node that knows its class, fields and columns and
only adds the line; no `exec`: the package never generates code). Tests
check that the moved statements are the whole-source parse's, node for node,
and that runs with shared trees record what runs with a tree per line do.

A line stands alone when it starts in column 0, closes every bracket it
opens (counted as characters), is not a block header (ends with ':') and
has no comment, string or backslash (whose brackets would not count). The
other lines (a ``with`` header and its indented block, the lines of an open
bracket or after a backslash, lines with comments or strings) are parsed in
runs by the whole-source parser, which starts each run on its own line
number. A run ends before a line in column 0 once its bracket characters
balance and its last line neither opens a block nor ends in a backslash.
Where a string or comment holds brackets, that count can be wrong: too
high only makes the run longer, too low ends it inside an open bracket,
which the run's parse reports as an error. And any error sends the caller
back to the whole-source parse, so a program's errors are exactly that
parse's. (Sources with carriage returns take the whole parse: here lines
end at "\\n" alone.)
"""
from __future__ import annotations

from dataclasses import fields

from .errors import Span
from .syntax import Name, Repeat, _Leaf

_make = object.__new__
_new = tuple.__new__
_SPACES = " \t\f"


def statements(source: str, parse_run) -> list | None:
    """The statements of ``source`` when its lines repeat, or None for any
    other source. ``parse_run(text, first_line)`` parses the lines of a
    run as the whole-source parser does (and raises its errors)."""
    if "\r" in source:
        return None
    lines = source.split("\n")
    if len(set(lines)) * 2 > len(lines):
        return None            # worth it when each line occurs twice on average
    kinds: dict[str, tuple] = {}       # line text -> _kind(text)
    body: list = []
    start = None                       # index of the first line of the open run
    depth = 0                          # brackets the run leaves open
    header = False                     # the run's last line ends with ':' or '\\'
    for i, text in enumerate(lines):
        kind = kinds.get(text)
        if kind is None:
            kind = kinds[text] = _kind(text)
        build, balance, ends_block, column0 = kind
        if start is not None:
            if balance is None:
                continue               # a blank line belongs to the run
            if depth == 0 and not header and column0:
                body.extend(parse_run("\n".join(lines[start:i]) + "\n", start + 1))
                start = None           # the run ended before this line
        if start is None:
            if build is None:          # not a line that stands alone
                if balance is None:
                    continue           # a blank line between statements
                start, depth = i, 0
            else:
                if build is True:      # its first occurrence: (statement, builder) pairs
                    build = tuple((stmt, _Mover(stmt)) for stmt in parse_run(text + "\n", 1))
                    kinds[text] = (build, balance, ends_block, column0)
                for stmt, moved in build:
                    body.append(Repeat(stmt, i, moved))
                continue
        depth += balance
        header = ends_block
    if start is not None:              # the rest of the source, as it ends
        body.extend(parse_run("\n".join(lines[start:]), start + 1))
    return body


def _kind(text: str) -> tuple:
    """What a line is: (stands alone, bracket balance, ends with ':' or '\\',
    starts in column 0); stands alone is True (a line to parse), else None,
    and the balance of a blank line is None."""
    if not text.strip(_SPACES):
        return None, None, False, False
    balance = (text.count("(") + text.count("[") + text.count("{")
               - text.count(")") - text.count("]") - text.count("}"))
    ends_block = text.rstrip(_SPACES).endswith((":", "\\"))  # a block, or a joined line
    column0 = text[0] not in _SPACES
    plain = not any(ch in text for ch in "#'\"\\")
    alone = True if plain and column0 and balance == 0 and not ends_block else None
    return alone, balance, ends_block, column0


class _Mover:
    """Repeat.moved() for the repeats of one statement: its builder is made
    on the first call, as only export and an error's highlight need one."""

    __slots__ = ("stmt", "build")

    def __init__(self, stmt):
        self.stmt = stmt
        self.build = None

    def __call__(self, line: int):
        if self.build is None:
            self.build = _node(self.stmt)
        return self.build(line)


def _node(node):
    """The builder of one node (called on a tree of height at most the
    parser's MAX_NESTING, so this recursion stays shallow)."""
    cls = type(node)
    if issubclass(cls, _Leaf):
        return _leaf(node)
    shared, built = [], []             # fields kept as they are; fields made per copy
    for field in fields(cls):
        value = getattr(node, field.name)
        if isinstance(value, (Span, tuple)) or hasattr(type(value), "__dataclass_fields__"):
            built.append((field.name, _value(value)))
        else:                          # an operator, a name as text, None
            shared.append((field.name, value))
    shared, built = tuple(shared), tuple(built)

    def composite(line):
        n = _make(cls)
        for name, value in shared:
            setattr(n, name, value)
        for name, build in built:
            setattr(n, name, build(line))
        return n
    return composite


def _leaf(node):
    """A name, number, string or constant: its value and columns are the
    template's, its line the copy's."""
    cls = type(node)
    span = node.span
    dl, col, end = span.line - 1, span.col, span.end_col
    field = "id" if cls is Name else "value"
    put = getattr(cls, field).__set__  # the slot's own setter, a C call
    value = getattr(node, field)

    def leaf(line):
        n = _make(cls)
        put(n, value)
        n._line = line + dl
        n._col = col
        n._end_col = end
        return n
    return leaf


def _value(value):
    """The builder of one field's value: a node, a span, a tuple of them, or
    a plain value (an operator, a name as text, None), which is shared."""
    if isinstance(value, Span):
        first, col, last, end = value.line - 1, value.col, value.end_line - 1, value.end_col
        return lambda line: _new(Span, (line + first, col, line + last, end))
    if isinstance(value, tuple):
        if all(isinstance(item, str) for item in value):
            return lambda line: value  # () or the names of a tuple assignment
        items = [_value(item) for item in value]
        if len(items) == 1:
            only = items[0]
            return lambda line: (only(line),)
        return lambda line: tuple([item(line) for item in items])
    if hasattr(type(value), "__dataclass_fields__"):
        return _node(value)
    return lambda line: value
