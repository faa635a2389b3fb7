"""Parsing a program whose lines repeat: each distinct line once, and each
distinct shape of line once.

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

Lines that differ only in their names and numbers (``h7 = tanh(h6 * 1.01 +
0.1)``, ``h8 = tanh(h7 * 1.01 + 0.1)``, as generated code is) have the same
*shape*: the line with every letter but e and E made 'a' and every digit
'0' (see _SHAPE). The lexer cuts a line where it cuts the line's shape, as
its pieces depend only on which characters are letters, digits, '_', '.',
e or E and on the other characters, which stay; so lines of one shape have
the same tokens at the same columns, but for the text of their names and
numbers (the line's *leaves*) and which names are keywords. The parser then
makes the same tree of them, as only the kinds of tokens steer it (but for
a keyword argument given twice, checked here). So the first line of a shape
is parsed, and its tree becomes a template (see _template): every later line
of that shape whose keywords are the same is built from it, with its own
leaves and line number, without the lexer or the parser; twice as fast.
A built line that occurs again is then built once more, at line 1, and
shared by its repeats as a parsed line is (generated code repeats whole
groups of lines of one shape: a network's layer for each sample).

A line stands alone when it starts in column 0, closes every bracket it
opens (counted as characters), is not a block header (ends with ':', or
has a ':' outside brackets, as `if c: a = 1` and `else: a = 2`) and has no
comment, string or backslash (whose brackets would not count). The
other lines (a block's header and its indented block, the lines of an open
bracket or after a backslash, lines with comments or strings, and the new
lines of a shape that makes no template) are parsed in runs by the
whole-source parser, which starts each run on its own line number. A run
ends before a line that stands alone once its bracket characters balance
and its last line neither opens a block nor ends in a backslash.
Where a string or comment holds brackets, that count can be wrong: too
high only makes the run longer, too low ends it inside an open bracket,
which the run's parse reports as an error. And any error (as a bad number
on a built line) sends the caller back to the whole-source parse, so a
program's errors are exactly that parse's. (Sources with carriage returns
take the whole parse: here lines end at "\\n" alone. Shapes are looked at
only in a source whose lines do not repeat, and that is all ASCII.)
"""
from __future__ import annotations

import operator
import re

from . import lexer
from .errors import SYNTAX, GradvizError, Span
from .syntax import (Assign, Attribute, AugAssign, BinOp, Call, Const, ExprStmt, Keyword,
                     ListExpr, Name, Num, Repeat, SetAttr, SetItem, Slice, Subscript, TupleExpr,
                     UnaryOp, With, _Leaf, is_node)

_make = object.__new__
_new = tuple.__new__
_SPACES = " \t\f"
# a line's shape: every ASCII letter but e and E (which make 1e-3 one
# number) becomes 'a', every digit '0'
_SHAPE = bytes.maketrans(b"abcdfghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ0123456789",
                         b"a" * 50 + b"0" * 10)
_KEYWORDS = lexer.KEYWORDS
_KEYWORD = {kw: kw for kw in _KEYWORDS}


def statements(source: str, parse_run) -> list | None:
    """The statements of ``source`` when its lines (or their shapes) repeat,
    or None for any other source. ``parse_run(text, first_line)`` parses the
    lines of a run as the whole-source parser does (and raises its errors);
    a line built from a template raises a GradvizError where the parser would
    fail (a bad number, a keyword argument given twice), so that the caller
    takes the whole-source parse, which says what is wrong."""
    if "\r" in source:
        return None
    lines = source.split("\n")
    shapes = lines             # when lines repeat, their shapes are not needed
    # worth it when each line occurs twice on average, or else each shape
    # 16 times: the first line of a shape, parsed on its own and made a
    # template, costs as much as 5 lines of the whole-source parse, and a
    # line built from a template half a line (2,000 varied lines of 186
    # shapes took a fifth longer than the whole parse)
    if len(set(lines)) * 2 > len(lines):
        if not source.isascii():
            return None
        shapes = source.encode().translate(_SHAPE).decode().split("\n")
        if len(set(shapes)) * 16 > len(lines):
            return None
    kinds: dict[str, tuple] = {}       # shape -> _kind(shape) (of a new line), and None
    seen: dict[str, tuple] = {}        # line parsed -> its kind, its (statement, builder) pairs
    templates: dict = {}               # shape -> its _template, or None
    body: list = []
    start = None                       # index of the first line of the open run
    depth = 0                          # brackets the run leaves open
    header = False                     # the run's last line ends with ':' or '\\'
    for i, text in enumerate(lines):
        kind = seen.get(text)          # (a repeat needs only this one look-up)
        if kind is None:
            shape = shapes[i]
            kind = kinds.get(shape)
            if kind is None:
                kind = kinds[shape] = (*_kind(shape), None)
        alone, balance, ends_block, column0, pairs = kind
        if start is not None:
            if balance is None:
                continue               # a blank line belongs to the run
            if depth == 0 and not header and column0 and alone:
                body.extend(parse_run("\n".join(lines[start:i]) + "\n", start + 1))
                start = None           # the run ended before this line
        if start is None:
            if not alone:              # not a line that stands alone
                if balance is None:
                    continue           # a blank line between statements
                start, depth = i, 0
            else:
                if pairs is None:      # a new line (of ``shape``): built from its template
                    template = templates.get(shape)
                    built = template(text, i + 1) if template is not None else None
                    if built is not None:
                        body.extend(built)
                        # its repeats share a tree (at line 1, as a parsed line's)
                        seen[text] = (alone, balance, ends_block, column0, _Built(template, text))
                        continue
                    # or else parsed at line 1: (statement, builder) pairs
                    pairs = tuple((stmt, _Mover(stmt)) for stmt in parse_run(text + "\n", 1))
                    seen[text] = (alone, balance, ends_block, column0, pairs)
                    if shapes is not lines and shape not in templates:
                        templates[shape] = _template(pairs, text)
                        if templates[shape] is None:
                            # no template: the next new lines of this shape
                            # are parsed in runs (one by one they take longer)
                            kinds[shape] = (None, balance, ends_block, column0, None)
                elif pairs.__class__ is _Built:
                    # the second time a built line occurs: its shared tree
                    pairs = pairs.pairs()
                    seen[text] = (alone, balance, ends_block, column0, pairs)
                for stmt, moved in pairs:
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
    # a block, a joined line, or a decorator (its def follows): the run goes on
    ends_block = text.rstrip(_SPACES).endswith((":", "\\")) or text.lstrip(_SPACES)[:1] == "@"
    column0 = text[0] not in _SPACES
    plain = not any(ch in text for ch in "#'\"\\")
    alone = True if plain and column0 and balance == 0 and not ends_block else None
    if alone and ":" in text and _colon_outside_brackets(text):
        alone = None           # a block on its header's line (if c: a = 1), or an else
    return alone, balance, ends_block, column0


def _colon_outside_brackets(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == ":" and depth == 0:
            return True
    return False


class _Built:
    """A line built from a template, until it occurs again: then its tree
    at line 1, shared by its repeats. (Made only then: most built lines of
    generated code are new every time, as h7 = tanh(h6 ...).)"""

    __slots__ = ("template", "text")

    def __init__(self, template, text: str):
        self.template, self.text = template, text

    def pairs(self) -> tuple:
        return tuple((stmt, _Mover(stmt)) for stmt in self.template(self.text, 1))


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
    for field in cls.__match_args__:
        value = getattr(node, field)
        if isinstance(value, (Span, tuple)) or is_node(value):
            built.append((field, _value(value)))
        else:                          # an operator, a name as text, None
            shared.append((field, value))
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
    if is_node(value):
        return _node(value)
    return lambda line: value


# ---- templates: the lines of one shape -----------------------------------

class _Leaves:
    """What a template's builders know of its first line's leaves: the index
    of each by the column where its token starts and where it ends; and the
    values of the numbers met, by their text."""

    __slots__ = ("start", "end", "numbers")

    def __init__(self, spans: list):
        self.start = {s + 1: k for k, (s, _) in enumerate(spans)}
        self.end = {e + 1: k for k, (_, e) in enumerate(spans)}
        self.numbers: dict = {}


class _NoTemplate(Exception):
    """A node the builders do not know."""


def _template(pairs: tuple, text: str):
    """The builder of the lines shaped like ``text``, whose statements (parsed
    at line 1) are the ``pairs``' first items: a function of a line's text
    and number that gives its statements, or None when its keywords are not
    those of ``text``. None instead when a statement holds a node with no
    builder below (an import, a string: nodes that long programs seldom
    repeat), or when the line has no leaves."""
    spans = [m.span() for m in re.finditer(lexer.LEAF, text, re.ASCII)]
    if not spans:
        return None
    try:
        at = _Leaves(spans)
        builders = [_builder(stmt, at) for stmt, _ in pairs]
    except (_NoTemplate, KeyError, ValueError):   # (or a name found at no leaf)
        return None
    cut = operator.itemgetter(*[slice(s, e) for s, e in spans])   # its leaves, in C
    if len(spans) == 1:                # (then itemgetter gives the one, not a tuple)
        cut = lambda line_text, get=cut: (get(line_text),)  # noqa: E731
    keywords = tuple(map(_KEYWORD.get, cut(text)))
    if not any(keywords):              # (the usual case: one look-up in C)
        keywords = None

    def build(line_text: str, line: int) -> list | None:
        leaves = cut(line_text)
        if keywords is None:
            if not _KEYWORDS.isdisjoint(leaves):
                return None
        elif tuple(map(_KEYWORD.get, leaves)) != keywords:
            return None
        return [build_stmt(line, leaves) for build_stmt in builders]
    return build


def _builder(node, at: _Leaves):
    """The builder of one node of a template: a function of a line number and
    that line's leaves. (Called on a tree of height at most the parser's
    MAX_NESTING, so this recursion stays shallow.)"""
    make = _BUILDERS.get(type(node))
    if make is None:
        raise _NoTemplate
    return make(node, at)


# The commonest nodes have builders of their own, written out (a node built
# by a loop over its fields costs twice as much).

def _name(node, at: _Leaves):
    _, col, _, end = node.span
    k = at.start[col]

    def build(line, leaves):
        n = _make(Name)
        n.id = leaves[k]
        n._line = line
        n._col = col
        n._end_col = end
        return n
    return build


def _num(node, at: _Leaves):
    _, col, _, end = node.span
    k, numbers = at.start[col], at.numbers

    def build(line, leaves):
        text = leaves[k]
        value = numbers.get(text)
        if value is None:              # (a bad number raises the lexer's error)
            value = numbers[text] = lexer.number(text, line, col)
        n = _make(Num)
        n.value = value
        n._line = line
        n._col = col
        n._end_col = end
        return n
    return build


def _const(node, at: _Leaves):
    _, col, _, end = node.span
    value = node.value                 # the line's keyword: the same on every line

    def build(line, leaves):
        n = _make(Const)
        n.value = value
        n._line = line
        n._col = col
        n._end_col = end
        return n
    return build


def _binop(node, at: _Leaves):
    op, left, right = node.op, _builder(node.left, at), _builder(node.right, at)
    _, col, _, end = node.span

    def build(line, leaves):
        n = _make(BinOp)
        n.op = op
        n.left = left(line, leaves)
        n.right = right(line, leaves)
        n.span = _new(Span, (line, col, line, end))
        return n
    return build


def _call(node, at: _Leaves):
    func = _builder(node.func, at)
    args = [_builder(arg, at) for arg in node.args]
    keywords = [_builder(kw, at) for kw in node.keywords]
    _, col, _, end = node.span

    def build(line, leaves):
        n = _make(Call)
        n.func = func(line, leaves)
        n.args = tuple([arg(line, leaves) for arg in args])
        if keywords:
            n.keywords = kws = tuple([kw(line, leaves) for kw in keywords])
            if len(kws) > 1 and len({kw.name for kw in kws}) < len(kws):
                # the parser's error, which the whole-source parse will report
                raise GradvizError("keyword argument repeated", kind=SYNTAX)
        else:
            n.keywords = ()
        n.span = _new(Span, (line, col, line, end))
        return n
    return build


def _keyword(node, at: _Leaves):
    if node.name is None:              # f(**kwargs): rare, left to the parser
        raise _NoTemplate
    _, col, _, end = node.span
    k, value = at.start[col], _builder(node.value, at)   # the name starts the span

    def build(line, leaves):
        n = _make(Keyword)
        n.name = leaves[k]
        n.value = value(line, leaves)
        n.span = _new(Span, (line, col, line, end))
        return n
    return build


def _attribute(node, at: _Leaves):
    _, col, _, end = node.span
    k, value = at.end[end], _builder(node.value, at)     # the name ends the span

    def build(line, leaves):
        n = _make(Attribute)
        n.value = value(line, leaves)
        n.attr = leaves[k]
        n.span = _new(Span, (line, col, line, end))
        return n
    return build


def _assign(node, at: _Leaves):
    _, col, _, end = node.span
    k, value = at.start[col], _builder(node.value, at)   # the name starts the span
    if node.targets:                   # a, b = ...: the names are the line's first leaves
        if not all(t.__class__ is str for t in node.targets):
            raise _NoTemplate          # (a, b), c = ... or a, *rest = ...: seldom repeated
        names = slice(k, k + len(node.targets))
        join = ", ".join if len(node.targets) > 1 else lambda names: names[0] + ","

        def build(line, leaves):
            n = _make(Assign)
            n.targets = leaves[names]
            n.target = join(n.targets)
            n.value = value(line, leaves)
            n.span = _new(Span, (line, col, line, end))
            return n
        return build

    def build(line, leaves):
        n = _make(Assign)
        n.target = leaves[k]
        n.value = value(line, leaves)
        n.span = _new(Span, (line, col, line, end))
        n.targets = ()
        return n
    return build


def _setattr(node, at: _Leaves):
    _, col, _, end = node.span
    obj, value = _builder(node.obj, at), _builder(node.value, at)
    # the name is the first leaf after the object's (only a '.' is between)
    k = at.start[min(c for c in at.start if c >= node.obj.span.end_col)]

    def build(line, leaves):
        n = _make(SetAttr)
        n.obj = obj(line, leaves)
        n.attr = leaves[k]
        n.value = value(line, leaves)
        n.span = _new(Span, (line, col, line, end))
        return n
    return build


def _fields(node, at: _Leaves):
    """A node whose only text is an operator (or none), the same on every
    line of the shape: built by a loop over its fields."""
    cls = type(node)
    fixed, built = [], []
    for field in cls.__match_args__:
        value = getattr(node, field)
        if value is None or isinstance(value, str):
            fixed.append((field, value))
        elif isinstance(value, Span):
            built.append((field, _span(value)))
        elif isinstance(value, tuple):
            built.append((field, _items([_builder(item, at) for item in value])))
        else:
            built.append((field, _builder(value, at)))

    def build(line, leaves):
        n = _make(cls)
        for name, value in fixed:
            setattr(n, name, value)
        for name, build_field in built:
            setattr(n, name, build_field(line, leaves))
        return n
    return build


def _span(span: Span):
    _, col, _, end = span
    return lambda line, leaves: _new(Span, (line, col, line, end))


def _items(items: list):
    return lambda line, leaves: tuple([item(line, leaves) for item in items])


_BUILDERS = {Name: _name, Num: _num, Const: _const, BinOp: _binop, Call: _call,
             Keyword: _keyword, Attribute: _attribute, Assign: _assign, SetAttr: _setattr}
_BUILDERS |= dict.fromkeys((ExprStmt, UnaryOp, AugAssign, Subscript, Slice, ListExpr, TupleExpr,
                            SetItem, With), _fields)
