"""The AST of the gradviz language: small slotted classes, each with a span.

Not named ast.py so it never shadows the standard library module. The nodes
are treated as immutable but not declared frozen: a frozen dataclass's
__init__ sets every field through object.__setattr__, which made building
nodes most of the parse time of a long program.

The span of a node made of one token (a name, number, string or constant) is
built when it is first read: making a Span costs as much as making the node,
and these spans, half of a program's, are read only to show an error. The
parser stores where the token is in three more slots (see _Leaf), and the
``span`` property makes the Span on first read and keeps it. ``Name("x",
Span(...))`` still takes a Span, as usual. The other nodes' spans are read as
the program runs, and are plain fields.
"""
from __future__ import annotations

from types import EllipsisType

from .errors import Span

_new = tuple.__new__


class _Leaf:
    """Where the token of a leaf made by the parser is: its line and columns
    (ints the token has already), until the span is first read.

    Not the token itself: a tuple the garbage collector would track, and
    which would keep its neighbours in the lexer's memory (300,000 tokens for
    a 30,000-line program) from being given back when parsing ends. The walk
    over the new tree that ends parse() (see gcpause) then visited tokens
    scattered over all that memory: it was 40% of parse()'s time, and more
    than half of that went."""

    __slots__ = ("_line", "_col", "_end_col")


def _leaf_span(node) -> Span:
    try:
        return node._span
    except AttributeError:           # made by the parser, not read yet
        span = node._span = _new(Span, (node._line, node._col, node._line, node._end_col))
        return span


def node(cls):
    """A syntax node class: the fields are its annotations, in order (a
    default after ``=``), made into slots; it gets a dataclass's __init__
    (positional or keyword arguments), __repr__, __eq__ (and so no hash)
    and __match_args__.

    Not dataclasses.dataclass: that compiles three methods per class and
    builds each class twice (for slots), which for these 50 classes was a
    tenth of a plain run's start-up. __init__, __repr__ and __eq__ are
    shared functions over the fields (see _init)."""
    names = tuple(cls.__dict__.get("__annotations__", ()))
    ns = {k: v for k, v in cls.__dict__.items()
          if k not in names and k not in ("__dict__", "__weakref__")}
    defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}
    ns.update(__slots__=names, __match_args__=names, __init__=_init(names, defaults),
              __repr__=_node_repr, __eq__=_node_eq, __hash__=None)
    return type(cls)(cls.__name__, cls.__bases__, ns)


def _init(names: tuple, defaults: dict):
    """The __init__ of a node with these fields (defaults: a dict of the last
    fields' default values, all immutable): positional or keyword arguments,
    as a dataclass's. (A dataclass compiles its __init__ from source with
    exec, which this package runs nowhere: tests/test_safety.py. This
    loop parses as fast: building nodes is a small part of parsing.)"""
    count = len(names)

    def __init__(self, *args, **kwargs):
        if kwargs or len(args) != count:
            args = _bound(names, defaults, args, kwargs)
        for name, value in zip(names, args):
            setattr(self, name, value)
    return __init__


def _bound(names: tuple, defaults: dict, args: tuple, kwargs: dict) -> list:
    """The value of each field, in order, from an __init__ call's arguments."""
    if len(args) > len(names):
        raise TypeError(f"takes {len(names)} arguments but {len(args)} were given")
    values = list(args)
    rest = dict(kwargs)
    for name in names[len(args):]:
        if name in rest:
            values.append(rest.pop(name))
        elif name in defaults:
            values.append(defaults[name])
        else:
            raise TypeError(f"missing argument {name!r}")
    if rest:
        raise TypeError(f"unexpected argument {next(iter(rest))!r}")
    return values


def _node_repr(self) -> str:
    fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__match_args__)
    return f"{type(self).__qualname__}({fields})"


def _node_eq(self, other):
    if other.__class__ is not self.__class__:
        return NotImplemented
    # as a dataclass compares: field tuples (so a field that is the same
    # object, a NaN too, is equal)
    return (tuple([getattr(self, n) for n in self.__match_args__])
            == tuple([getattr(other, n) for n in self.__match_args__]))


def is_node(value) -> bool:
    """Whether value is a syntax node (of a class made by @node or @leaf)."""
    return type(value).__repr__ is _node_repr


def leaf(cls):
    """A syntax node made of one token (a subclass of _Leaf): a node whose
    span is built when first read (see the module's docstring)."""
    cls = node(cls)
    slot = cls.__dict__["span"]      # the slot's own descriptor
    cls._span = slot                 # reads and stores the slot without the property
    cls.span = property(_leaf_span, slot.__set__, doc="where the node is in the source")
    return cls


# ---- expressions -------------------------------------------------------

@leaf
class Num(_Leaf):
    value: int | float
    span: Span


@leaf
class Const(_Leaf):
    """True, False, None or ... (Ellipsis)."""
    value: bool | None | EllipsisType
    span: Span


@leaf
class Str(_Leaf):
    value: str
    span: Span


@leaf
class Name(_Leaf):
    id: str
    span: Span


@node
class Imaginary:
    """An imaginary literal (1j, 2.5j): valid Python, which gradviz has no
    value for (its numbers and tensors are real); evaluating it fails there.
    text: as written."""
    text: str
    span: Span


@node
class Compare:
    """A chain of comparisons, ``a < b <= c``: ``a < b and b <= c`` with b
    evaluated once, as Python does (a lone ``a < b`` is a BinOp)."""
    first: object
    ops: tuple       # the operators, one per item of rest
    rest: tuple
    span: Span


@node
class BoolOp:
    """``left and right``, ``left or right``: the value of one of them, as
    Python picks it (op "and" or "or")."""
    op: str
    left: object
    right: object
    span: Span


@node
class IfExp:
    """``body if test else orelse``."""
    test: object
    body: object
    orelse: object
    span: Span


@node
class ListExpr:
    items: tuple
    span: Span


@node
class ListComp:
    """``[elt for target in iter if cond ...]``: clauses, in order, are
    (target, iter, conds); a target is a name or a tuple of targets (see
    target_names)."""
    elt: object
    clauses: tuple
    span: Span


@node
class SetExpr:
    """``{a, b, *xs}``: a set display, its items (Starred ones too) in order."""
    items: tuple
    span: Span


@node
class SetComp:
    """``{elt for target in iter if cond ...}``: a ListComp's clauses, whose
    items make a set."""
    elt: object
    clauses: tuple
    span: Span


@node
class DictExpr:
    """``{key: value, ...}``: keys and values in order, one of each per item."""
    keys: tuple
    values: tuple
    span: Span


@node
class DictComp:
    """``{key: value for target in iter if cond ...}``: a ListComp's
    clauses, whose items make a dict."""
    key: object
    value: object
    clauses: tuple
    span: Span


@node
class GeneratorExp:
    """``(elt for target in iter ...)``, or a call's only argument written
    so (``any(x > 0 for x in xs)``): a ListComp's clauses, whose value is a
    generator of the items."""
    elt: object
    clauses: tuple
    span: Span


@node
class TupleExpr:
    items: tuple
    span: Span


@node
class BinOp:
    op: str          # one of + - * / ** @ == != < <= > >=
    left: object
    right: object
    span: Span


@node
class NamedExpr:
    """``(name := value)``: value, bound to name (in the enclosing function
    even inside a comprehension, as Python's), and the expression's value."""
    target: str
    value: object
    span: Span


@node
class UnaryOp:
    op: str          # '-' or '+' or 'not'
    operand: object
    span: Span


@node
class Starred:
    """``*xs`` among a call's arguments: xs's items, each an argument; or
    ``*rest`` in a tuple of targets (``a, *rest = xs``), value its name."""
    value: object
    span: Span


@node
class Keyword:
    name: str | None     # None for **value (a dict's items as keywords)
    value: object
    span: Span


@node
class Call:
    func: object     # Name, or Attribute (a method call or torch.f)
    args: tuple
    keywords: tuple  # of Keyword
    span: Span


@node
class Attribute:
    value: object
    attr: str
    span: Span


@node
class Slice:
    start: object | None
    stop: object | None
    step: object | None
    span: Span


@node
class Subscript:
    value: object
    index: tuple     # items: expressions or Slice
    span: Span


@node
class FormattedValue:
    """One {field} of an f-string (see fstrings)."""
    value: object               # the expression
    conversion: str | None      # 'r', 's', 'a' (after '!'), or None
    spec: tuple                 # after ':': str and FormattedValue parts
    debug: str | None           # {x=}: the text shown before the value ("x="), else None
    span: Span


@node
class FString:
    parts: tuple                # str and FormattedValue, in order
    span: Span


# ---- statements --------------------------------------------------------

@node
class Assign:
    target: str      # a plain name; for `a, b = ...` the targets as written
    value: object
    span: Span
    targets: tuple = ()   # a tuple of targets to unpack into (see target_names)


@node
class ChainedAssign:
    """``a = b = expr``: the value evaluated once, then bound to each target
    from left to right, as Python binds them."""
    targets: tuple   # a name, a tuple of targets (as Assign.targets), an Attribute or a Subscript
    value: object
    span: Span


@node
class AugAssign:
    """``name op= expr`` (``w -= lr * w.grad`` under no_grad)."""
    target: object   # Name or Subscript/Attribute chain
    op: str
    value: object
    span: Span


@node
class ExprStmt:
    value: object
    span: Span


@node
class SetItem:
    """x[index] = value: a write into part of a tensor."""
    target: object      # the Subscript
    value: object
    span: Span


@node
class SetAttr:
    """obj.attr = value: the attributes PyTorch lets a program set (.grad,
    .requires_grad)."""
    obj: object
    attr: str
    value: object
    span: Span


@node
class Import:
    module: str           # dotted: "torch", "torch.nn.functional"
    span: Span
    alias: str = ""       # import torch.nn.functional as F: "F"
    names: tuple = ()     # from torch import nn as n, autograd: (("nn", "n"), ("autograd", "autograd"))


@node
class With:
    """``with no_grad():`` / ``with torch.no_grad():`` and its block;
    ``with Timer() as t:`` binds what the context's __enter__ gives to target
    (a name or a tuple of targets, as a for loop's)."""
    context: object  # the expression after `with`
    body: tuple
    span: Span
    target: object = None


@node
class If:
    """``if test:`` and its block; ``elif`` and ``else`` make ``orelse`` (an
    elif is the one If there). The span is the header's."""
    test: object
    body: tuple
    orelse: tuple
    span: Span


@node
class While:
    """``while test:`` and its block (the span is the header's); orelse: the
    ``else:`` block, run when the test ends the loop (not a break)."""
    test: object
    body: tuple
    span: Span
    orelse: tuple = ()


@node
class For:
    """``for name in iterable:`` and its block (the span is the header's);
    ``for i, (X, y) in ...:`` has a tuple of targets; orelse: the ``else:`` block,
    run when the items run out (not after a break)."""
    target: object
    iter: object
    body: tuple
    span: Span
    orelse: tuple = ()


@node
class ExceptHandler:
    """``except [type [as name]]:`` and its block (type None: a bare except)."""
    type: object
    name: str | None
    body: tuple
    span: Span


@node
class Try:
    """``try:`` body, its handlers, ``else:`` and ``finally:`` blocks (the span
    is the try line's)."""
    body: tuple
    handlers: tuple
    orelse: tuple
    finalbody: tuple
    span: Span


@node
class Raise:
    """``raise`` (exc None: again, in an except block), ``raise exc`` or
    ``raise exc from cause``."""
    exc: object
    span: Span
    cause: object = None


@node
class Delete:
    """``del a, b[i], x.grad``: its targets (names, items, attributes)."""
    targets: tuple
    span: Span


@node
class Global:
    """``global a, b``: in a function, these names are the program's."""
    names: tuple
    span: Span


@node
class Nonlocal:
    """``nonlocal a, b``: in a nested function, these names are the
    enclosing function's (writes go there)."""
    names: tuple
    span: Span


@node
class Assert:
    """``assert test`` or ``assert test, msg``."""
    test: object
    msg: object
    span: Span


@node
class Jump:
    """``break``, ``continue`` or ``pass`` (its ``kind``)."""
    kind: str
    span: Span


class _Required:
    """The default of a keyword-only parameter that has none (def f(*, k)):
    a call must give it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED = _Required()


@node
class FunctionDef:
    """``def name(params):`` and its block; ``defaults`` are the expressions
    after ``=`` of the last parameters (a keyword-only one without a default:
    Const(REQUIRED)); params holds "/", "*", "*args", "**kwargs" as written
    (the span is the header's)."""
    name: str
    params: tuple
    defaults: tuple
    body: tuple
    span: Span
    decorators: tuple = ()    # the expressions of its @ lines, top first


@node
class ClassDef:
    """``class name(bases):`` and its block: methods (defs, @staticmethod
    ones), class attributes (``name = value``), docstrings and ``pass``
    (the span is the header's)."""
    name: str
    bases: tuple
    body: tuple
    span: Span
    decorators: tuple = ()    # the expressions of its @ lines, top first (@dataclass)
    fields: tuple = ()        # the names its block annotates (x: int, y: float = 0.5), in order


@node
class Lambda:
    """``lambda params: body``: a function whose block is ``return body``
    (``defn``, a FunctionDef named <lambda>, made by the parser)."""
    defn: FunctionDef
    span: Span


@node
class Return:
    """``return`` (value None) or ``return expr``."""
    value: object
    span: Span


@node
class Yield:
    """``yield`` (value None), ``yield expr``, or ``yield from expr``
    (delegate): a statement of its own, or the value of an assignment
    (``got = yield v``: target is what an Assign's targets are, a name or
    a tuple of them, or an attribute or item); its function is a generator."""
    value: object
    span: Span
    delegate: bool = False
    target: object = None


# ---- the match statement -------------------------------------------------
# A pattern is one of the Match* nodes below; `case` runs the first of a
# match's cases whose pattern fits the subject (and whose guard holds).

@node
class MatchValue:
    """A literal (``1``, ``-2.5``, ``"go"``) or a dotted name's value
    (``Color.RED``): the subject equals it (``==``); None, True and False:
    the subject is it (``is``)."""
    value: object
    span: Span


@node
class MatchAs:
    """``name`` (a capture: any subject, bound to name), ``_`` (name None:
    any subject, nothing bound), or ``pattern as name``."""
    pattern: object      # None: a bare capture or the wildcard
    name: str | None
    span: Span


@node
class MatchStar:
    """``*rest`` in a sequence pattern (``*_``: name None)."""
    name: str | None
    span: Span


@node
class MatchSequence:
    """``[p, q]``, ``(p, q)`` or ``p, q``: a sequence (not a string) of as
    many items, each fitting its pattern (one MatchStar takes the rest)."""
    patterns: tuple
    span: Span


@node
class MatchMapping:
    """``{"k": p, **rest}``: a mapping with those keys, each value fitting
    its pattern (rest: a dict of the other items)."""
    keys: tuple          # MatchValue nodes
    patterns: tuple
    rest: str | None
    span: Span


@node
class MatchClass:
    """``Point(p, y=q)``: an instance of the class (an expression: a name or
    a dotted name) whose attributes fit the patterns: the positional ones by
    the class's __match_args__ (a builtin type's one: the subject itself)."""
    cls: object
    patterns: tuple
    kwd_names: tuple
    kwd_patterns: tuple
    span: Span


@node
class MatchOr:
    """``p | q``: the first alternative that fits."""
    patterns: tuple
    span: Span


@node
class MatchCase:
    """``case pattern [if guard]:`` and its block (the span is the header's)."""
    pattern: object
    guard: object
    body: tuple
    span: Span


@node
class Match:
    """``match subject:`` and its cases (the span is the header's)."""
    subject: object
    cases: tuple
    span: Span


def pattern_names(pattern) -> list:
    """The names a pattern binds, in order (an explicit stack)."""
    names = []
    stack = [pattern]
    while stack:
        p = stack.pop()
        cls = p.__class__
        if cls is MatchAs or cls is MatchStar:
            if p.name is not None:
                names.append(p.name)
            if cls is MatchAs and p.pattern is not None:
                stack.append(p.pattern)
        elif cls is MatchMapping:
            if p.rest is not None:
                names.append(p.rest)
            stack.extend(reversed(p.patterns))
        elif cls is MatchClass:
            stack.extend(reversed(p.patterns + p.kwd_patterns))
        elif cls is MatchSequence or cls is MatchOr:
            stack.extend(reversed(p.patterns))
    return names


def pattern_values(stmt: Match) -> list:
    """The expressions of a match statement's cases: the values and classes
    its patterns name (Color.RED, Point) and its guards."""
    found = []
    stack = [case.pattern for case in stmt.cases]
    found.extend(case.guard for case in stmt.cases if case.guard is not None)
    while stack:
        p = stack.pop()
        cls = p.__class__
        if cls is MatchValue:
            found.append(p.value)
        elif cls is MatchAs and p.pattern is not None:
            stack.append(p.pattern)
        elif cls is MatchMapping:
            stack.extend(p.keys + p.patterns)
        elif cls is MatchClass:
            found.append(p.cls)
            stack.extend(p.patterns + p.kwd_patterns)
        elif cls is MatchSequence or cls is MatchOr:
            stack.extend(p.patterns)
    return found


def blocks(stmt) -> tuple:
    """The blocks of statements nested in stmt: none for a simple statement."""
    cls = stmt.__class__
    if cls is While or cls is For:
        return (stmt.body, stmt.orelse)
    if cls is With or cls is FunctionDef or cls is ClassDef:
        return (stmt.body,)
    if cls is If:
        return (stmt.body, stmt.orelse)
    if cls is Try:
        return (stmt.body, *(h.body for h in stmt.handlers), stmt.orelse, stmt.finalbody)
    if cls is Match:
        return tuple(case.body for case in stmt.cases)
    return ()


def own_statements(body: tuple):
    """The statements of a block, blocks inside included, but not the block
    of a function or class defined in it (whose names are its own)."""
    stack = list(body)
    while stack:
        s = stack.pop()
        if s.__class__ is Repeat:
            s = s.stmt
        yield s
        if s.__class__ is not FunctionDef and s.__class__ is not ClassDef:
            for block in blocks(s):
                stack.extend(block)


def target_names(target) -> list:
    """The names a target binds, in order: a target is a name, a tuple of
    targets (``i, (X, y)``, nested as written; its items may be attributes or
    items, ``self.a``, which bind no name), or a Starred of a name
    (``*rest``). (An explicit stack: no tree walk needs Python's.)"""
    names = []
    stack = [target]
    while stack:
        t = stack.pop()
        if t.__class__ is str:
            names.append(t)
        elif t.__class__ is Starred:
            names.append(t.value)
        elif t.__class__ is tuple:     # (an attribute or item binds no name)
            stack.extend(reversed(t))
    return names


def bound_names(body: tuple) -> set:
    """The names the statements of a block bind, blocks inside included (a
    function's local names, as Python decides them: from its whole block)."""
    names: set = set()
    for s in own_statements(body):
        cls = s.__class__
        if cls is Assign:
            names.update(target_names(s.targets or s.target))
        elif cls is ChainedAssign:
            names.update(target_names(s.targets))
        elif cls is AugAssign and s.target.__class__ is Name:
            names.add(s.target.id)
        elif cls is Yield and s.target is not None:      # got = yield v
            names.update(target_names(s.target))
        elif cls is For or (cls is With and s.target is not None):
            names.update(target_names(s.target))
        elif cls is FunctionDef or cls is ClassDef:
            names.add(s.name)
        elif cls is Try:
            names.update(h.name for h in s.handlers if h.name is not None)
        elif cls is Match:
            names.update(name for case in s.cases for name in pattern_names(case.pattern))
    names.update(named_targets(body))
    return names


def named_targets(body: tuple) -> set:
    """The names the ``:=`` in a block's expressions bind (comprehensions
    included: Python binds them in the enclosing function), not those in a
    nested def, class or lambda (their own scopes). An explicit stack."""
    names: set = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        cls = node.__class__
        if cls is tuple:            # (a comprehension's clauses, nested targets)
            stack.extend(node)
            continue
        if cls is NamedExpr:
            names.add(node.target)
        elif cls is Repeat:
            stack.append(node.stmt)
            continue
        elif cls is FunctionDef or cls is ClassDef or cls is Lambda or isinstance(node, _Leaf):
            continue
        for field in getattr(cls, "__slots__", ()):
            child = getattr(node, field, None)
            if child.__class__ is tuple or (hasattr(child, "__slots__")
                                            and child.__class__ is not Span):
                stack.append(child)
    return names


def global_names(body: tuple) -> frozenset:
    """The names a function's block declares global."""
    return frozenset(name for s in own_statements(body) if s.__class__ is Global
                     for name in s.names)


def nonlocal_names(body: tuple) -> frozenset:
    """The names a function's block declares nonlocal."""
    return frozenset(name for s in own_statements(body) if s.__class__ is Nonlocal
                     for name in s.names)


def header(stmt) -> tuple:
    """The expressions of a block statement's own line."""
    cls = stmt.__class__
    if cls is If or cls is While:
        return (stmt.test,)
    if cls is For:
        return (stmt.iter,)
    if cls is With:
        return (stmt.context,)
    if cls is FunctionDef:
        return stmt.defaults
    if cls is ClassDef:
        return stmt.bases
    if cls is Match:
        return (stmt.subject,)
    return ()


class Repeat:
    """A line that repeats an earlier one (see repeats.py), without a tree of
    its own: ``stmt`` is the statement that line parses to at line 1,
    shared by every repeat, and this one stands ``shift`` lines below.
    So the spans in ``stmt`` are one line plus shift off: the interpreter
    adds it (Interpreter.where); ``moved()`` makes the statement as parsed
    here, for any other reader."""

    __slots__ = ("stmt", "shift", "_build")

    def __init__(self, stmt, shift: int, build):
        self.stmt = stmt
        self.shift = shift
        self._build = build            # line -> the statement moved there

    @property
    def span(self) -> Span:
        sp = self.stmt.span
        return _new(Span, (sp[0] + self.shift, sp[1], sp[2] + self.shift, sp[3]))

    def moved(self):
        return self._build(1 + self.shift)

    def __repr__(self) -> str:
        return f"Repeat({self.stmt!r}, shift={self.shift})"


@node
class Program:
    body: tuple
    source: str
