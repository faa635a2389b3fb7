"""The op reference, read from the op registry: what `gradviz ops` prints and
what scripts/make_dsl_docs.py writes into docs/dsl.md.

One row per registered op: its DSL name, how a program writes it (function,
method, operator), PyTorch's grad_fn name(s), the VJP formula a learner reads
and whether a forward-mode (JVP) rule exists. Nothing here is typed by hand
except how the few ops whose registry name is not a DSL name are spelt
(OPERATOR_FORMS, NAME_FORMS), so the reference cannot drift from the code.
"""
from __future__ import annotations

import types
from dataclasses import dataclass

# how an operator op is written (the registry's `symbol` says which operator;
# these say on what, so `2 - x` and `x - 2` are told apart)
OPERATOR_FORMS = {
    "rsub": "2 - x", "rdiv": "2 / x", "neg": "-x", "index": "x[i], x[a:b], x[:, j]",
    "T": "x.T", "setitem": "y[i] = v", "rremainder": "2 % x",
}
# registry names that a program spells differently (or not at all)
NAME_FORMS = {
    "max_dim": ("max",), "min_dim": ("min",), "rsub": (), "rdiv": (), "rremainder": (),
    "rsub_alpha": ("rsub",),
    "to_dtype": ("float", "double", "long", "int", "short", "char", "byte", "bool", "to"), "index": (), "T": (),
    "setitem": (), "zero": ("zero_",),
    # torch.linalg's (written linalg.NAME) and torch's older names for them
    "linalg_inv": ("linalg.inv", "inverse"), "linalg_det": ("linalg.det", "det"),
    "slogdet_sign": ("linalg.slogdet", "slogdet"), "slogdet_logabsdet": ("linalg.slogdet", "slogdet", "logdet"),
    "linalg_solve": ("linalg.solve",), "linalg_cholesky": ("linalg.cholesky", "cholesky"),
    "qr_q": ("linalg.qr", "qr"), "qr_r": ("linalg.qr", "qr"),
    "eigh_values": ("linalg.eigh", "linalg.eigvalsh"), "eigh_vectors": ("linalg.eigh",),
    "svd_u": ("linalg.svd", "svd"), "svd_s": ("linalg.svd", "linalg.svdvals", "svd"),
    "svd_vh": ("linalg.svd", "svd"), "linalg_pinv": ("linalg.pinv", "pinverse"),
    "lstsq_solution": ("linalg.lstsq",), "lstsq_residuals": ("linalg.lstsq",),
    "solve_triangular": ("linalg.solve_triangular",), "vector_norm_ord": ("norm",),
    "lu_factor": ("linalg.lu_factor", "linalg.lu_factor_ex", "lu"),
    "linalg_lu_l": ("linalg.lu",), "linalg_lu_u": ("linalg.lu",),
    "lu_unpack_l": ("lu_unpack",), "lu_unpack_u": ("lu_unpack",),
    "linalg_lu_solve": ("linalg.lu_solve", "lu_solve"),
    "geqrf_a": ("geqrf",), "geqrf_tau": ("geqrf",),
    "householder_product": ("linalg.householder_product", "orgqr"),
    "ldl_factor": ("linalg.ldl_factor", "linalg.ldl_factor_ex"), "ldl_solve": ("linalg.ldl_solve",),
    "grid_sampler": ("grid_sample", "grid_sampler", "grid_sampler_2d", "grid_sampler_3d"),
    "affine_grid_generator": ("affine_grid", "affine_grid_generator"),
    "embedding_bag": ("embedding_bag",),
    "weight_norm": ("_weight_norm",),
}
# ops whose grad_fn name is chosen outside the op, by the indexing code:
# their names are read from there
INDEXING_OPS = {"index": "_index_key", "setitem": "_setitem_recorded"}
# calls that take a dim: the `_dim` ops are these functions with dim=
DIM_SUFFIX = "_dim"
# shown for an op whose grad_fn name is passed in when it is recorded
RUNTIME_GRAD_FN = "(as recorded)"
COLUMNS = ("op", "written as", "grad_fn", "VJP formula", "JVP")


@dataclass(frozen=True, slots=True)
class OpRow:
    op: str                 # the registry (DSL) name
    functions: tuple        # `exp(x)`, `torch.exp(x)`, `F.relu(x)`
    methods: tuple          # `x.exp()`
    operator: str           # `a * b`, or ""
    grad_fns: tuple         # PyTorch's grad_fn names this op can record
    formula: tuple          # per differentiable input, the VJP formula
    jvp: bool               # has a forward-mode rule
    differentiable: bool

    def parts(self) -> tuple[tuple[str, ...], ...]:
        """The row as lists of items, one list per COLUMNS entry (empty: none)."""
        written = self.functions + self.methods + ((self.operator,) if self.operator else ())
        formula = self.formula or (("not differentiable",) if not self.differentiable else ())
        grad_fns = self.grad_fns or ((RUNTIME_GRAD_FN,) if self.differentiable else ())
        return ((self.op,), written, grad_fns, formula, ("yes" if self.jvp else "no",))


def _backward_names(fn) -> list[str]:
    """The grad_fn names a function can return: the "...BackwardN" string
    constants of its code, of the code nested in it and of the functions of
    its module it calls (nll_grad_fn; no recursion), and PyTorch's nodes
    named otherwise (CopySlices, CopyBackwards)."""
    from ..versions import QUALIFIED_NAMES

    found: list[str] = []
    stack, seen = [fn.__code__], {fn.__code__}
    names = fn.__globals__
    while stack:
        code = stack.pop(0)
        for name in code.co_names:
            called = names.get(name)
            if isinstance(called, types.FunctionType) and called.__module__ == fn.__module__ \
                    and called.__code__ not in seen:
                seen.add(called.__code__)
                stack.append(called.__code__)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
            elif (isinstance(const, str) and const not in found and (
                    const in QUALIFIED_NAMES or ("Backward" in const and const[-1:].isdigit()
                                                 and const.isidentifier()))):
                found.append(const)
    return found


def _grad_fns(op) -> tuple[str, ...]:
    if op.name in INDEXING_OPS:
        from ..interpreter import Interpreter

        return tuple(_backward_names(getattr(Interpreter, INDEXING_OPS[op.name])))
    gf = op.grad_fn
    if gf is None:
        return ()
    if isinstance(gf, str):
        return (gf,)
    return tuple(_backward_names(gf))


def _call_forms(op) -> tuple[tuple, tuple]:
    from ..functions import FUNCTIONS, LINALG, METHODS, NN_FUNCTIONAL

    names = NAME_FORMS.get(op.name, (op.name,))
    dim = ", dim" if op.name.endswith(DIM_SUFFIX) else ""
    functions, methods = [], []
    for n in names:
        if n.startswith("linalg.") and n[len("linalg."):] in LINALG:
            functions.append(f"torch.{n}")
            continue
        if n in FUNCTIONS:
            functions.append(f"{n}(x{dim})" if op.name.endswith(DIM_SUFFIX) else f"{n}")
        if n in NN_FUNCTIONAL:
            functions.append(f"F.{n}")
        if n in METHODS:
            methods.append(f"x.{n}({dim.lstrip(', ')})")
    return tuple(functions), tuple(methods)


def _operator(op) -> str:
    if op.name in OPERATOR_FORMS:
        return OPERATOR_FORMS[op.name]
    sym = op.symbol
    if sym and not sym[0].isalpha() and not sym.startswith((".", "[")):
        return f"a {sym} b"
    return ""


def op_rows() -> list[OpRow]:
    """Every registered op, in registration order."""
    from ..ops import OPS

    rows = []
    for op in OPS.values():
        functions, methods = _call_forms(op)
        rows.append(OpRow(
            op=op.name, functions=functions, methods=methods, operator=_operator(op),
            grad_fns=_grad_fns(op), formula=tuple(f for f in op.formula if f),
            jvp=op.no_derivative is None and any(j is not None for j in op.jvp),
            differentiable=op.differentiable))
    return rows


# below this many columns the five-column table folds grad_fn names and
# formulas mid-word, so each op is listed as a block of labelled lines
STACKED_BELOW = 110


def ops_table(rows: list[OpRow] | None = None, width: int = STACKED_BELOW):
    """A rich Table of the ops, one item per line in a cell; '—' means none.
    For a terminal narrower than STACKED_BELOW, one block per op instead."""
    if width < STACKED_BELOW:
        return _ops_stacked(rows if rows is not None else op_rows())
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(title="gradviz ops: every op in the registry", title_justify="left",
                  box=box.SIMPLE_HEAD, header_style="bold", pad_edge=False)
    table.add_column(COLUMNS[0], no_wrap=True, style="bold")
    table.add_column(COLUMNS[1], overflow="fold")
    table.add_column(COLUMNS[2], overflow="fold", style="cyan")
    table.add_column(COLUMNS[3], overflow="fold", ratio=1)
    table.add_column(COLUMNS[4], no_wrap=True)
    for row in rows if rows is not None else op_rows():
        # Text, not markup: formulas like `[x > 0]` must print as written
        table.add_row(*(Text("\n".join(items) or "—") for items in row.parts()))
    return table


def _ops_stacked(rows: list[OpRow]):
    """Each op as its name and, indented under it, one labelled line per
    field: nothing is folded mid-word at 80 columns."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    parts = [Text("gradviz ops: every op in the registry", style="italic")]
    for row in rows:
        (op,), written, grad_fns, formula, (jvp,) = row.parts()
        fields = Table.grid(padding=(0, 1))
        fields.add_column(width=12, no_wrap=True, style="dim")   # "  written as"
        fields.add_column(overflow="fold", ratio=1)
        for label, text, style in (("  written as", ", ".join(written), ""),
                                   ("  grad_fn", ", ".join(grad_fns), "cyan"),
                                   ("  VJP", "\n".join(formula), ""), ("  JVP", jvp, "")):
            fields.add_row(label, Text(text or "—", style=style))
        parts += [Text(op, style="bold"), fields]
    return Group(*parts)


def ops_markdown(rows: list[OpRow] | None = None) -> str:
    """The ops as a Markdown table (for docs/dsl.md)."""
    def esc(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows if rows is not None else op_rows():
        op, written, grad_fns, formula, jvp = row.parts()
        cells = [f"`{op[0]}`", ", ".join(f"`{esc(w)}`" for w in written) or "—",
                 ", ".join(grad_fns) or "—", esc("; ".join(formula)) or "—", jvp[0]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
