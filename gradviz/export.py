"""``gradviz export --torch FILE``: the program as a runnable PyTorch script.

The language is already PyTorch-flavoured Python; what a real interpreter
lacks is the bare names (``arange``, ``relu``, ``grad``) that gradviz accepts
without the ``torch.`` prefix. The exporter parses the program and rewrites
only those: a Name node that refers to a torch function, dtype or module
gets its prefix (``torch.``, ``F.`` for the losses PyTorch keeps only in
torch.nn.functional, ``torch.autograd.grad`` for ``grad``). A name the
program has assigned before it is used is the program's own variable and is
left alone, as are Python's builtins (``print``, ``len``, ``float``, ``int``).
A bare ``sum``, ``max``, ``min``, ``abs`` or ``pow`` is torch's for a tensor
and Python's builtin otherwise (bare_builtins.py): the script keeps the bare
name and defines it so at its top (BARE_PRELUDE). Everything else
(comments, spacing, line breaks) is copied as written, because the edits are
made at the parser's spans.
"""
from __future__ import annotations

from pathlib import Path

from . import syntax
from .bare_builtins import NAMES as BARE_NAMES
from .parser import parse

HEADER_IMPORTS = ("import torch", "import torch.nn.functional as F")
# DSL names that PyTorch spells differently (or keeps elsewhere)
RENAMED = {
    "grad": "torch.autograd.grad",
    "mse_loss": "F.mse_loss",            # not in the torch namespace
    "cross_entropy": "F.cross_entropy",
    "binary_cross_entropy": "F.binary_cross_entropy",
    "nn": "torch.nn",
    "autograd": "torch.autograd",
}
# names that mean the same thing in the DSL and in Python
KEEP = frozenset(("torch", "F"))
# what a bare sum/max/min/abs/pow means here, for a script that uses one
BARE_PRELUDE = (
    "import builtins\n\n\n"
    "def _torch_or_builtin(torch_fn, builtin_fn, places=1):\n"
    "    # as in gradviz: torch's function for a tensor, Python's builtin otherwise\n"
    "    def call(*args, **kwargs):\n"
    "        given = [*args[:places], kwargs.get(\"input\")]\n"
    "        tensor = any(isinstance(v, torch.Tensor) for v in given)\n"
    "        return (torch_fn if tensor else builtin_fn)(*args, **kwargs)\n"
    "    return call\n\n\n")


def _globals() -> tuple[dict, frozenset]:
    """What a bare name means when the program has not assigned it:
    name -> exported spelling, and the Python builtins to leave alone."""
    from .functions import DTYPES, FUNCTIONS, PY_BUILTINS

    spelled = {name: f"torch.{name}" for name in FUNCTIONS}
    spelled.update({name: f"torch.{name}" for name in DTYPES})
    spelled.update(RENAMED)
    builtins = frozenset(PY_BUILTINS)
    for name in builtins | KEEP | set(BARE_NAMES):
        spelled.pop(name, None)
    return spelled, builtins


def _children(node) -> list:
    out = []
    for field in getattr(node, "__slots__", ()):
        child = getattr(node, field, None)
        if isinstance(child, tuple):
            out.extend(c for c in child if hasattr(c, "span"))
        elif hasattr(child, "span"):
            out.append(child)
    return out


def _uses(expr) -> list:
    """The Name and `torch.X` Attribute nodes of an expression, source order
    not guaranteed (the caller sorts the edits). An explicit stack: the
    parser bounds nesting, but no tree walk here needs Python's stack."""
    found = []
    stack = [(expr, frozenset())]     # a node, and the comprehension names bound there
    while stack:
        node, bound = stack.pop()
        cls = node.__class__
        if cls is syntax.Name:
            if node.id not in bound:
                found.append(node)
            continue
        if cls in (syntax.ListComp, syntax.GeneratorExp, syntax.DictComp, syntax.SetComp):
            # its loop names are its own (`[t * 2 for t in xs]` is no torch.t);
            # a clause's iterable sees the names of the clauses before it
            inner = set(bound)
            for target, iterable, conds in node.clauses:
                stack.append((iterable, frozenset(inner)))
                inner.update(syntax.target_names(target))
                stack.extend((c, frozenset(inner)) for c in conds)
            items = (node.key, node.value) if cls is syntax.DictComp else (node.elt,)
            stack.extend((item, frozenset(inner)) for item in items)
            continue
        if cls is syntax.Lambda:
            # its parameters are its own (`lambda grad: grad * 2` is no torch.autograd.grad)
            d = node.defn
            stack.extend((e, bound) for e in d.defaults)
            stack.append((d.body[0].value, bound | frozenset(d.params)))
            continue
        if (cls is syntax.Attribute and node.value.__class__ is syntax.Name
                and node.value.id == "torch" and f"torch.{node.attr}" in ATTRIBUTE_RENAMED):
            found.append(node)
            continue
        stack.extend((c, bound) for c in _children(node))
    return found


# `torch.X` spellings the DSL accepts that PyTorch does not
ATTRIBUTE_RENAMED = {"torch.grad": "torch.autograd.grad", "torch.mse_loss": "F.mse_loss",
                     "torch.cross_entropy": "F.cross_entropy",
                     "torch.binary_cross_entropy": "F.binary_cross_entropy"}


def _statements(program: syntax.Program):
    """Every statement in source order, `with` bodies included (no recursion)."""
    stack = [iter(program.body)]
    while stack:
        stmt = next(stack[-1], None)
        if stmt is None:
            stack.pop()
            continue
        if stmt.__class__ is syntax.Repeat:
            stmt = stmt.moved()
        yield stmt
        # the blocks inside, in source order (the last pushed is walked first)
        for block in reversed(syntax.blocks(stmt)):
            stack.append(iter(block))


def _edits(program: syntax.Program, bare: set | None = None) -> list[tuple]:
    """(span, replacement) for every name to rewrite, in source order; the
    bare sum/max/min/abs/pow the program uses are added to `bare`."""
    spelled, _ = _globals()
    assigned: set[str] = set()
    # the functions whose blocks are being walked, innermost last: the ids of
    # their statements, and the names the enclosing scope had before each
    scopes: list[tuple[set, set]] = []
    edits = []
    walrus = ":=" in program.source
    for stmt in _statements(program):
        cls = stmt.__class__
        while scopes and id(stmt) not in scopes[-1][0]:
            assigned = scopes.pop()[1]      # out of the function's block
        if cls is syntax.Import:
            # the names it binds are the program's from here on (from math import sqrt)
            assigned.update(alias for _, alias in stmt.names)
            assigned.add(stmt.alias or stmt.module.split(".")[0])
            continue
        exprs = {syntax.Assign: lambda s: [s.value],
                 syntax.ChainedAssign: lambda s: [t for t in s.targets if t.__class__ not in
                                                  (str, tuple)] + [s.value],
                 syntax.AugAssign: lambda s: [s.target, s.value],
                 syntax.ExprStmt: lambda s: [s.value], syntax.With: lambda s: [s.context],
                 syntax.SetAttr: lambda s: [s.obj, s.value],
                 syntax.SetItem: lambda s: [s.target, s.value],
                 syntax.If: lambda s: [s.test], syntax.While: lambda s: [s.test],
                 syntax.For: lambda s: [s.iter], syntax.Jump: lambda s: [],
                 syntax.FunctionDef: lambda s: list(s.decorators) + list(s.defaults),
                 syntax.ClassDef: lambda s: list(s.bases),
                 syntax.Return: lambda s: [] if s.value is None else [s.value],
                 syntax.Yield: lambda s: ([] if s.value is None else [s.value]) + (
                     [s.target] if s.target.__class__ in (syntax.Attribute, syntax.Subscript)
                     else []),
                 syntax.Assert: lambda s: [s.test] + ([] if s.msg is None else [s.msg]),
                 syntax.Try: lambda s: [h.type for h in s.handlers if h.type is not None],
                 syntax.Raise: lambda s: [e for e in (s.exc, s.cause) if e is not None],
                 syntax.Global: lambda s: [], syntax.Nonlocal: lambda s: [],
                 syntax.Match: lambda s: [s.subject, *syntax.pattern_values(s)],
                 syntax.Delete: lambda s: list(s.targets)}[cls](stmt)
        if walrus:      # (n := v): n is the program's from this statement on
            assigned.update(syntax.named_targets(tuple(exprs)))
        for expr in exprs:
            for node in _uses(expr):
                if node.__class__ is syntax.Attribute:
                    edits.append((node.span, ATTRIBUTE_RENAMED[f"torch.{node.attr}"]))
                elif node.id not in assigned and node.id in spelled:
                    edits.append((node.span, spelled[node.id]))
                elif node.id not in assigned and node.id in BARE_NAMES and bare is not None:
                    bare.add(node.id)
        # the value is evaluated before the names are bound: `sum = sum(x)`
        # calls torch.sum, and later uses of `sum` mean the variable
        if cls is syntax.Assign:
            assigned.update(syntax.target_names(stmt.targets or stmt.target))
        elif cls is syntax.ChainedAssign:
            assigned.update(syntax.target_names(stmt.targets))
        elif cls is syntax.AugAssign and stmt.target.__class__ is syntax.Name:
            assigned.add(stmt.target.id)
        elif cls is syntax.Yield and stmt.target is not None:
            assigned.update(syntax.target_names(stmt.target))
        elif cls is syntax.For or (cls is syntax.With and stmt.target is not None):
            assigned.update(syntax.target_names(stmt.target))
        elif cls is syntax.Match:
            assigned.update(name for case in stmt.cases
                            for name in syntax.pattern_names(case.pattern))
        elif cls is syntax.ClassDef:
            assigned.add(stmt.name)
        elif cls is syntax.FunctionDef:
            # the function's name is its scope's; in its block, as in Python,
            # its parameters and every name it assigns are its own from its
            # first line, and it sees the names of the scopes around it
            assigned.add(stmt.name)
            inside = {id(s) for s in _statements(syntax.Program(stmt.body, ""))}
            scopes.append((inside, assigned))
            assigned = assigned | set(stmt.params) | syntax.bound_names(stmt.body)
    edits.sort(key=lambda e: (e[0].line, e[0].col))
    return edits


def to_torch(source: str, filename: str = "<string>") -> str:
    """The program as a PyTorch script (raises GradvizError on a syntax error)."""
    if source.startswith("\ufeff"):
        source = source[1:]
    program = parse(source, filename)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(line: int, col: int) -> int:
        return starts[line - 1] + col - 1

    pieces = []
    pos = 0
    bare: set[str] = set()
    for span, text in _edits(program, bare):
        begin, end = offset(span.line, span.col), offset(span.end_line, span.end_col)
        pieces.append(source[pos:begin])
        pieces.append(text)
        pos = end
    pieces.append(source[pos:])
    body = "".join(pieces)
    if not body.endswith("\n"):
        body += "\n"
    # the program's own `import torch` stays (a second import is harmless):
    # the script keeps the program's lines as they were written
    name = "" if filename.startswith("<") or filename == "-" else f"{Path(filename).name} "
    title = f"# {name}exported by gradviz: the same steps in PyTorch\n"
    imports = "\n".join(HEADER_IMPORTS) + "\n"
    if bare:
        places = {"pow": ", places=2"}
        imports += "\n" + BARE_PRELUDE + "".join(
            f"{n} = _torch_or_builtin(torch.{n}, builtins.{n}{places.get(n, '')})\n"
            for n in BARE_NAMES if n in bare) + "\n"
    # `from __future__ import ...` must open a script: the imports go after it
    futures = [stmt.span.end_line for stmt in program.body
               if stmt.__class__ is syntax.Import and stmt.module == "__future__"]
    if futures:
        rows = body.splitlines(keepends=True)
        return title + "".join(rows[:futures[-1]]) + imports + "".join(rows[futures[-1]:])
    return title + imports + body
