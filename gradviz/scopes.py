"""Python's compile-time checks of ``nonlocal``: the SyntaxErrors a program
gets before any of it runs.

A ``nonlocal x`` names a variable of an enclosing function: one that
function binds (assigns, takes as a parameter, or declares nonlocal in turn),
not a global. Python refuses the declaration at module level, for a
parameter of the function itself, for a name also declared global, for a
name no enclosing function binds, and after the function already assigned
the name. The walk keeps its own stack (no recursion over the tree).
"""
from __future__ import annotations

from . import syntax
from .errors import SYNTAX, GradvizError

def _error(stmt, message: str) -> GradvizError:
    return GradvizError(message, kind=SYNTAX, span=stmt.span,
                        hint="nonlocal names a variable that an enclosing function assigns, "
                             "as in: def outer(): n = 0; def inc(): nonlocal n; n += 1")


def _statements(body: tuple):
    """The statements of a block in source order, blocks inside included but
    not the block of a def or class, each as placed in the source (a
    repeated line moved to its own line)."""
    stack = list(reversed(body))
    while stack:
        s = stack.pop()
        if s.__class__ is syntax.Repeat:
            s = s.moved()
        yield s
        if s.__class__ is not syntax.FunctionDef and s.__class__ is not syntax.ClassDef:
            for block in reversed(syntax.blocks(s)):
                stack.extend(reversed(block))


def _bound_by(stmt) -> set:
    """The names one statement binds (not those of the blocks inside it)."""
    cls = stmt.__class__
    if cls is syntax.Assign:
        return set(syntax.target_names(stmt.targets or stmt.target))
    if cls is syntax.ChainedAssign:
        return set(syntax.target_names(stmt.targets))
    if cls is syntax.AugAssign and stmt.target.__class__ is syntax.Name:
        return {stmt.target.id}
    if cls is syntax.For:
        return set(syntax.target_names(stmt.target))
    if cls is syntax.FunctionDef or cls is syntax.ClassDef:
        return {stmt.name}
    return set()


def check(program: syntax.Program) -> None:
    """Raise Python's SyntaxError for the first misplaced ``nonlocal``."""
    # (a block, the names each enclosing function binds: innermost last; None
    # at module level, where a class's block is too)
    stack = [(program.body, None)]
    while stack:
        body, enclosing = stack.pop()
        for s in _statements(body):
            cls = s.__class__
            if cls is syntax.Nonlocal and enclosing is None:
                raise _error(s, "nonlocal declaration not allowed at module level")
            if cls is syntax.ClassDef:
                stack.append((s.body, enclosing))
            elif cls is syntax.FunctionDef:
                _check_function(s, enclosing or ())
                params = frozenset(p.lstrip("*") for p in s.params if p.lstrip("*"))
                own = (params | syntax.bound_names(s.body) | syntax.nonlocal_names(s.body)) \
                    - syntax.global_names(s.body)
                stack.append((s.body, (*(enclosing or ()), own)))


def _check_function(defn, enclosing: tuple) -> None:
    """The nonlocal declarations of one function's block."""
    params = frozenset(p.lstrip("*") for p in defn.params)
    globals_ = syntax.global_names(defn.body)
    assigned: dict = {}      # name -> the first line that binds it
    for s in _statements(defn.body):
        if s.__class__ is not syntax.Nonlocal:
            for name in _bound_by(s):
                assigned.setdefault(name, s.span.line)
            continue
        for name in s.names:
            if name in params:
                raise _error(s, f"name '{name}' is parameter and nonlocal")
            if name in globals_:
                raise _error(s, f"name '{name}' is nonlocal and global")
            if assigned.get(name, s.span.line) < s.span.line:
                raise _error(s, f"name '{name}' is assigned to before nonlocal declaration")
            if not any(name in scope for scope in enclosing):
                raise _error(s, f"no binding for nonlocal '{name}' found")
