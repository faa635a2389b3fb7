"""The AST of the gradviz language: small slotted dataclasses, each with a span.

Not named ast.py so it never shadows the standard library module. The nodes
are treated as immutable but not declared frozen: a frozen dataclass's
__init__ sets every field through object.__setattr__, which made building
nodes most of the parse time of a long program.

The span of a node made of one token (a name, number, string or constant) is
built when it is first read: making a Span costs as much as making the node,
and these spans, half of a program's, are read only to show an error. The
parser stores the token itself, through the alias ``_token``, and the ``span``
property turns it into a Span on first read and keeps it. ``Name("x",
Span(...))`` still takes a Span, as usual. The other nodes' spans are read as
the program runs, and are plain fields.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Span

_new = tuple.__new__


def _leaf_span(node) -> Span:
    tok = node._token
    if tok.__class__ is not Span:   # a lexer token: (kind, text, value, line, col, end_col)
        tok = node._token = _new(Span, (tok[3], tok[4], tok[3], tok[5]))
    return tok


def leaf(cls):
    """A syntax node made of one token: a slotted dataclass whose span is
    built when first read (see the module's docstring)."""
    cls = dataclass(slots=True)(cls)
    slot = cls.__dict__["span"]      # the slot's own descriptor
    cls._token = slot                # stores and reads the slot without the property
    cls.span = property(_leaf_span, slot.__set__, doc="where the node is in the source")
    return cls


# ---- expressions -------------------------------------------------------

@leaf
class Num:
    value: int | float
    span: Span


@leaf
class Const:
    """True, False or None."""
    value: bool | None
    span: Span


@leaf
class Str:
    value: str
    span: Span


@leaf
class Name:
    id: str
    span: Span


@dataclass(slots=True)
class ListExpr:
    items: tuple
    span: Span


@dataclass(slots=True)
class TupleExpr:
    items: tuple
    span: Span


@dataclass(slots=True)
class BinOp:
    op: str          # one of + - * / ** @ == != < <= > >=
    left: object
    right: object
    span: Span


@dataclass(slots=True)
class UnaryOp:
    op: str          # '-' or '+' or 'not'
    operand: object
    span: Span


@dataclass(slots=True)
class Keyword:
    name: str
    value: object
    span: Span


@dataclass(slots=True)
class Call:
    func: object     # Name, or Attribute (a method call or torch.f)
    args: tuple
    keywords: tuple  # of Keyword
    span: Span


@dataclass(slots=True)
class Attribute:
    value: object
    attr: str
    span: Span


@dataclass(slots=True)
class Slice:
    start: object | None
    stop: object | None
    step: object | None
    span: Span


@dataclass(slots=True)
class Subscript:
    value: object
    index: tuple     # items: expressions or Slice
    span: Span


# ---- statements --------------------------------------------------------

@dataclass(slots=True)
class Assign:
    target: str      # a plain name; `a, b = ...` assigns a TupleTarget
    value: object
    span: Span
    targets: tuple = ()   # several names for tuple unpacking (e.g. grad(...))


@dataclass(slots=True)
class AugAssign:
    """``name op= expr`` (``w -= lr * w.grad`` under no_grad)."""
    target: object   # Name or Subscript/Attribute chain
    op: str
    value: object
    span: Span


@dataclass(slots=True)
class ExprStmt:
    value: object
    span: Span


@dataclass(slots=True)
class Import:
    module: str
    span: Span


@dataclass(slots=True)
class With:
    """``with no_grad():`` / ``with torch.no_grad():`` and its block."""
    context: object  # the expression after `with`
    body: tuple
    span: Span


@dataclass(slots=True)
class Program:
    body: tuple
    source: str
