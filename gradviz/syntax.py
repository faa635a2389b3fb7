"""The AST of the gradviz language: small slotted dataclasses, each with a span.

Not named ast.py so it never shadows the standard library module. The nodes
are treated as immutable but not declared frozen: a frozen dataclass's
__init__ sets every field through object.__setattr__, which made building
nodes most of the parse time of a long program.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Span


# ---- expressions -------------------------------------------------------

@dataclass(slots=True)
class Num:
    value: int | float
    span: Span


@dataclass(slots=True)
class Const:
    """True, False or None."""
    value: bool | None
    span: Span


@dataclass(slots=True)
class Str:
    value: str
    span: Span


@dataclass(slots=True)
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
