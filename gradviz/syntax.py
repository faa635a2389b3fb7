"""The AST of the gradviz language: small frozen dataclasses, each with a span.

Not named ast.py so it never shadows the standard library module.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import Span


# ---- expressions -------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Num:
    value: int | float
    span: Span


@dataclass(frozen=True, slots=True)
class Const:
    """True, False or None."""
    value: bool | None
    span: Span


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Name:
    id: str
    span: Span


@dataclass(frozen=True, slots=True)
class ListExpr:
    items: tuple
    span: Span


@dataclass(frozen=True, slots=True)
class TupleExpr:
    items: tuple
    span: Span


@dataclass(frozen=True, slots=True)
class BinOp:
    op: str          # one of + - * / ** @ == != < <= > >=
    left: object
    right: object
    span: Span


@dataclass(frozen=True, slots=True)
class UnaryOp:
    op: str          # '-' or '+' or 'not'
    operand: object
    span: Span


@dataclass(frozen=True, slots=True)
class Keyword:
    name: str
    value: object
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    func: object     # Name, or Attribute (a method call or torch.f)
    args: tuple
    keywords: tuple  # of Keyword
    span: Span


@dataclass(frozen=True, slots=True)
class Attribute:
    value: object
    attr: str
    span: Span


@dataclass(frozen=True, slots=True)
class Slice:
    start: object | None
    stop: object | None
    step: object | None
    span: Span


@dataclass(frozen=True, slots=True)
class Subscript:
    value: object
    index: tuple     # items: expressions or Slice
    span: Span


# ---- statements --------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Assign:
    target: str      # a plain name; `a, b = ...` assigns a TupleTarget
    value: object
    span: Span
    targets: tuple = ()   # several names for tuple unpacking (e.g. grad(...))


@dataclass(frozen=True, slots=True)
class AugAssign:
    """``name op= expr`` (``w -= lr * w.grad`` under no_grad)."""
    target: object   # Name or Subscript/Attribute chain
    op: str
    value: object
    span: Span


@dataclass(frozen=True, slots=True)
class ExprStmt:
    value: object
    span: Span


@dataclass(frozen=True, slots=True)
class Import:
    module: str
    span: Span


@dataclass(frozen=True, slots=True)
class With:
    """``with no_grad():`` / ``with torch.no_grad():`` and its block."""
    context: object  # the expression after `with`
    body: tuple
    span: Span


@dataclass(frozen=True, slots=True)
class Program:
    body: tuple
    source: str
