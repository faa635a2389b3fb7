"""Terminal tables of a run: the graph, the ``.grad`` timeline, the passes.

``print_tables(record)`` prints, after the program's own output:

* a header line: file, tensors (recorded ops, leaves), backward passes and
  what happened (zero_(), pruned, freed, failed);
* the graph table, one row per tensor in creation order (a topological
  order): id, source line, name and expression, op (DSL symbol and
  PyTorch's grad_fn; the creation function for leaves), shape (dtype when
  not float32), value, final ``.grad``, flags; then notes for what occurs;
* the gradient timeline: every leaf's ``.grad`` after each backward() and
  zero_(); then one row per backward pass: root, seed gradient, nodes
  visited, inputs pruned, whether the graph was kept;
* warnings (NaN/inf) and, when the program failed, a pointer at the failing
  line (the CLI prints the message itself, on stderr).

With ``pass_no`` (``--pass N|last``) they show one backward pass, as its
picture does (render.dot.pass_view): the rows of its subgraph, a
``gradient #N`` column (the gradient that reached each node in that pass; a
leaf's ``.grad`` after it, ``(accumulated)`` when earlier passes added to
it), a parameter the loop updates with the value that pass computed with
(``at #N``), the timeline from the pass before, and that pass's row.

Visual legend:

* names bold, ``= expression`` dim (``torch.`` dropped, long ones cut with
  ``…``; none for a named leaf: the op and value columns say it all); a
  name says the loop pass that made its tensor (``loss (step=0)``), and
  outside a loop ``(old)`` when it was rebound later;
* values and grads: the whole tensor up to 8 elements (a matrix one row per
  line), else ``min … max, mean`` (``format_compact``); bold red when they
  hold NaN/inf; ``‡`` on a value changed in place later (shown as it was
  when made);
* grad: dim ``None`` for a leaf that requires grad and has none, dim
  ``not retained`` where PyTorch keeps no ``.grad`` (a non-leaf), empty
  where no gradient is involved;
* flags: ``leaf`` green, ``requires_grad`` cyan (on leaves only: every
  non-leaf requires grad), ``root`` (backward() was called on it) magenta,
  ``retains_grad`` blue, ``detached`` / ``no_grad`` / ``pruned¹`` yellow
  (numbered notes give the reason), ``freed`` dim, ``error`` and
  ``nan/inf`` (its value, .grad or a gradient through it) bold red;
* timeline: dim ``None`` before a leaf's first gradient, dim ``unchanged``
  when the event did not touch that leaf.

Below 100 columns the graph table drops the line and shape columns (the
value's brackets, or ``size=`` of a summary, give the shape; a dtype
follows the value). Column widths are fitted to the terminal so that names,
grad_fn names and flags are never cut and as few lines as possible wrap;
values wrap after a comma with their brackets' indentation.

A torch.func transform call (jacrev(torch.sin)(x): three autograd.grad
passes, 20 tensors) is one row, as its picture is one box
(render/transforms.py): what it computed, how many ops it ran and its
passes; the rows of the program's own function and of its results stay.
``expand_transforms`` (``--expand-transforms``) lists every op.

Big graphs: at most ``max_rows`` node rows (the first ones, the last ones,
and within a quarter of the budget the ones a reader looks for: failing
rows, backward roots, the first NaN, named tensors, parameters); each gap is
one ``… N more nodes …`` row counting the ops it hides. Values are formatted,
and node records made, only for the rows shown: counts over every node
read plain columns (record.node_column). Colours follow rich's Console (off
when NO_COLOR is set or stdout is not a terminal).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import compress
from operator import and_
from typing import TYPE_CHECKING

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..gcpause import gc_paused
from ..record import (CONST, DETACHED, GRAD, OP, PARAM, NodeRecord, Record, node_column,
                      updates_itself, after_name)
from .torchfmt import format_compact

if TYPE_CHECKING:
    from .dot import PassView

MAX_ROWS = 60              # node rows shown before the middle is elided
MAX_ELEMS = 8              # tensors up to this size are shown whole
EXPR_CHARS = 32            # an expression longer than this is shortened
EXPR_CHARS_NARROW = 24     # the same below WIDE columns
GAP_TOP_OPS = 3            # ops named in an elision row
MAX_EVENT_COLS = 12        # timeline events shown (first and last halves)
EVENT_COL_CHARS = 22       # room a timeline column wants, to split into chunks
MAX_PASS_ROWS = 20         # backward-pass rows shown (first and last halves)
WIDE = 100                 # from this terminal width on: line and shape columns
GAP = 2                    # between columns: the box's blank divider and a left pad
# how narrow a column may get, at most, before words are cut; names are
# never cut (their column is at least as wide as the longest name shown)
MIN_WIDTHS = {"name": 12, "op": 16, "shape": 12, "value": 13, "grad": 13,
              "flags": 13, "root": 14, "seed": 10, "pruned": 12, "graph": 17}
DEFAULT_MIN_WIDTH = 12
NAME_WIDTH = 12            # the name column gets no narrower while its text is wider
LABEL_WORD_WIDTH = 16      # a word of a row's expression this long is not cut
# a wrapped line of a value or grad (a matrix row in two) costs more than
# one of a name or a flag list, when columns give up room
WRAP_WEIGHTS = {"value": 3, "grad": 3, "name": 2}

FLAG_STYLES = {
    "leaf": "green", "requires_grad": "cyan", "root": "bold magenta",
    "retains_grad": "blue", "detached": "yellow", "no_grad": "yellow",
    "pruned": "yellow", "freed": "dim", "error": "bold red", "nan/inf": "bold red",
    "failed": "bold red",
}
# one short explanation per flag that is not self-explanatory, printed under
# the table only for the flags that occur
FLAG_NOTES = {
    "root": "backward() was called on it",
    "failed": "a backward() called on it failed (see the passes below)",
    "retains_grad": "retain_grad() was called: it keeps its .grad",
    "detached": "made by detach(): same value, no gradient flows back",
    "no_grad": "made inside `with no_grad():`, not recorded",
    "freed": "backward() released its saved values (backward through it again "
             "needs retain_graph=True the first time)",
}
CELL_NOTES = {
    "never computed": "never computed: no backward() reached this tensor",
    "not retained": "not retained: PyTorch keeps .grad on leaves only (a non-leaf's .grad "
                    "is None) unless retain_grad() was called",
    "inplace": "‡ changed in place later (W -= lr * W.grad, zero_(), or backward() adding "
               "into a .grad): shown as it was when made, the value the computation used; "
               "--json has the final value",
    # (--pass N only: #N is the pass)
    "at pass": "at #N: a value the program changes in place (a parameter a loop updates), "
               "as pass #N computed with it",
    "accumulated": "(accumulated): the .grad holds earlier passes' gradients too (no "
                   "zero_() since): more than pass #N's gradient",
    "not reached": "not reached: pass #N sent no gradient here",
    "transform": "ƒ: what one torch.func transform call ran inside, as one row "
                 "(--expand-transforms lists every op)",
}
SUPERSCRIPTS = "¹²³⁴⁵⁶⁷⁸⁹"
NAN_STYLE = "bold red"


# the node columns the header and the choice of rows read over every node
COUNTED_COLUMNS = ("seq", "is_leaf", "requires_grad", "pruned", "freed", "error",
                   "backward_root", "op")


def prepare_tables(record: Record) -> None:
    """Make, once, what print_tables reads over every node: the columns it
    counts, and what the passes say of each node (made with the first node
    record). The rest of print_tables grows with the rows shown, not with
    the graph; the CLI runs this under a progress line."""
    nodes = record.nodes
    for name in COUNTED_COLUMNS:
        node_column(nodes, name)
    if len(nodes):
        nodes[-1]          # (the last row is always shown)


def print_tables(record: Record, console: Console | None = None,
                 max_rows: int = MAX_ROWS, pass_no: int | str | None = None,
                 expand_transforms: bool = False) -> None:
    """Print the header, graph table, gradient timeline, passes and warnings
    of ``record`` to ``console`` (a new stdout Console by default); at most
    ``max_rows`` node rows. ``pass_no`` (1, 2, ... or "last", as ``--pass``)
    shows one backward pass as its picture does: the nodes of its subgraph
    (dot.pass_view), the gradient of that pass, each leaf's .grad after it,
    the timeline around it and its row of the passes. ``expand_transforms``:
    a row per op a torch.func transform ran, not one per call."""
    console = console or Console()
    width = console.width
    one = None
    if pass_no == "all":                  # (--pass all: every pass, as by default here)
        pass_no = None
    if pass_no is not None:
        from .dot import check_options, pass_view
        check_options(pass_no=pass_no)
        one = pass_view(record, pass_no)
    with gc_paused():
        view = _View(record, max(4, max_rows), width, one, expand_transforms)
        console.print(view.header(), highlight=False)
        if view.nodes:
            console.print(view.graph_table())
            for line in view.notes():
                console.print(line, highlight=False)
        timeline = view.timeline_tables()
        if timeline:
            console.print()
            console.print(Text(view.timeline_title(), style="bold"))
            for table in timeline:
                console.print(table)
        passes = view.pass_table()
        if passes is not None:
            console.print()
            console.print(Text("what flowed in each backward pass" if one is None else
                               f"what flowed in backward pass #{one.pass_no}", style="bold"))
            console.print(passes)
        warnings = view.warnings()
        if warnings:
            console.print()
            for line in warnings:
                console.print(line, highlight=False)


@dataclass(slots=True)
class _Tensor:
    """A value or grad cell: laid out once its column width is known."""

    text: str
    style: str = ""
    suffix: Text | None = None     # dim extras: a dtype, a ‡ mark

    @property
    def plain(self) -> str:
        return self.text + (self.suffix.plain if self.suffix else "")

    def render(self, width: int) -> Text:
        out = Text(_wrap_after_commas(self.text, width), style=self.style)
        if self.suffix:
            out.append_text(self.suffix)
        return out


class _Words:
    """A cell of names (the op column: "norm  LinalgVectorNormBackward0"):
    a word longer than the column is broken where its next capital starts
    ("LinalgVectorNorm" / "Backward0"), not wherever the column ends."""

    def __init__(self, text: Text):
        self.text = text

    @property
    def plain(self) -> str:
        return self.text.plain

    def render(self, width: int) -> Text:
        plain = self.text.plain
        if all(cell_len(w) <= width for w in plain.split()):
            return self.text
        out = Text()
        for span_text, style in _pieces(self.text):
            out.append(" ".join(camel_lines(w, width) for w in span_text.split(" ")), style=style)
        return out


def _pieces(text: Text) -> list[tuple[str, str]]:
    """A Text's runs of one style, as (text, style)."""
    plain = text.plain
    out = []
    at = 0
    for sp in sorted(text.spans, key=lambda sp: sp.start):
        if sp.start > at:
            out.append((plain[at:sp.start], ""))
        out.append((plain[sp.start:sp.end], sp.style))
        at = sp.end
    if at < len(plain):
        out.append((plain[at:], ""))
    return out


def camel_lines(word: str, width: int) -> str:
    """word on lines of at most width, broken before capitals or after an
    underscore where it can ("index_" / "backward")."""
    lines = []
    while cell_len(word) > width:
        cut = max((i for i in range(1, width + 1) if word[i].isupper() or word[i - 1] == "_"),
                  default=width)
        lines.append(word[:cut])
        word = word[cut:]
    lines.append(word)
    return "\n".join(lines)


_LAZY = (_Tensor, _Words)        # cells laid out once their column's width is known


class _View:
    """What the tables show, computed once per record."""

    def __init__(self, record: Record, max_rows: int, width: int, one: PassView | None = None,
                 expand_transforms: bool = False):
        self.record = record
        # records of the rows shown only: counts over every node read columns
        self.nodes: list[NodeRecord] = record.nodes
        self.events: list[dict] = record.events
        # --pass: one pass's subgraph (seqs ascending), its gradients and values
        self.one = one
        self.seqs = range(len(self.nodes)) if one is None else sorted(one.only)
        # seq of the row standing for a transform call -> its TransformFold
        self.transforms: dict = {}
        self.in_transform: set = set()      # the seqs of those rows (no row of their own)
        if record.transforms and not expand_transforms:
            self.seqs = self._fold_transforms()
        # the backward() calls that failed (not with --pass: they are no pass)
        self.failed = ([e for e in self.events if e["kind"] == "failed"] if one is None
                       else [])
        self.failed_roots = {s for ev in self.failed for s in ev["roots"]}
        self.max_rows = max_rows
        self.width = width
        self.wide = width >= WIDE
        self.expr_chars = EXPR_CHARS if self.wide else EXPR_CHARS_NARROW
        self.report = record.nonfinite      # NaN/inf, found once for every renderer
        self.final = final_bindings(record)
        self.final_names = set(self.final.values())
        self.pruned_notes: dict[str, int] = {}   # reason -> note number
        self.flags_seen: dict[str, None] = {}
        self.notes_seen: dict[str, None] = {}

    def _fold_transforms(self) -> list:
        """self.seqs with each transform call's inside as one row, at its
        first member's place (see render/transforms.py)."""
        from .dot import node_columns
        from .transforms import transform_folds
        only = None if self.one is None else self.one.only
        folds = transform_folds(self.record.transforms, self.record.passes,
                                node_columns(self.record),
                                None if only is None else only.__contains__)
        if not folds:
            return self.seqs
        hidden = self.in_transform
        for f in folds:
            self.transforms[f.members[0]] = f
            hidden.update(f.members)
        hidden.difference_update(self.transforms)
        return [s for s in self.seqs if s not in hidden]

    # ---- header -----------------------------------------------------------
    def column(self, name: str) -> list:
        """One field of every node, without making node records."""
        return node_column(self.nodes, name)

    def header(self) -> Text:
        if self.one is not None:
            return self._pass_header()
        nodes = self.nodes
        # (list.count, not sum: sum takes the slow path on bools)
        n_ops = len(nodes) - self.column("is_leaf").count(True)
        kinds = Counter(e["kind"] for e in self.events)
        pruned = self.column("pruned").count(True)
        freed = self.column("freed").count(True)
        parts = [_tensors_text(len(nodes), len(nodes), n_ops),
                 _count(kinds["backward"], "backward pass", "backward passes")]
        if kinds["grad"]:
            parts.append(_count(kinds["grad"], "grad() call"))
        if kinds["failed"]:
            parts.append(_count(kinds["failed"], "failed backward() call"))
        if kinds["zero_"]:
            parts.append(f"{kinds['zero_']:,} zero_()")
        if pruned:
            parts.append(_count(pruned, "node") + " pruned")
        if freed:
            parts.append(f"{freed:,} freed")
        return self._header_text(parts)

    def _pass_header(self) -> Text:
        """--pass: which pass, and how much of the graph its subgraph is."""
        k = self.one.pass_no
        passes = self.record.passes
        ev = next(e for e in passes if e["pass"] == k)
        what = "backward" if ev["kind"] == "backward" else "grad()"
        leaves = self.column("is_leaf")
        n_ops = sum(1 for s in self.seqs if not leaves[s])
        from .dot import pass_loop
        where = pass_loop(self.record, ev)
        head = (f"{what} #{k} of {len(passes)} (line {ev['line']}"
                + (f", {where}) only: " if where else ") only: "))
        return self._header_text([head + f"{len(self.seqs):,} of "
                                  + _tensors_text(len(self.nodes), len(self.seqs), n_ops)])

    def _header_text(self, parts: list[str]) -> Text:
        text = Text()
        text.append(self.record.filename, style="bold")
        text.append(": " + ", ".join(parts))
        if self.record.error is not None:
            line = self.record.error.get("line")
            text.append(", ")
            text.append(f"failed at line {line}" if line else "failed", style="bold red")
        return text

    # ---- the graph table --------------------------------------------------
    def shown_rows(self) -> list[int | tuple[int, int]]:
        """Seqs to show, in order, with (start, stop) for each elided gap:
        positions in self.seqs (the seqs themselves, without --pass)."""
        rows = self.seqs
        n = len(rows)
        if n <= self.max_rows:
            return list(rows)
        seqs = self.column("seq")
        wanted: dict[int, None] = {}
        wanted.update(dict.fromkeys(compress(seqs, self.column("error"))))
        wanted.update(dict.fromkeys(compress(seqs, self.column("backward_root"))))
        wanted.update(dict.fromkeys(sorted(self.failed_roots)))
        if self.report.first_value is not None:
            wanted[self.report.first_value] = None
        if self.report.first_grad is not None:
            wanted[self.report.first_grad.op_seq] = None
        wanted.update((seq, None) for seq in sorted(self.final))
        params = map(and_, self.column("is_leaf"), self.column("requires_grad"))
        wanted.update(dict.fromkeys(compress(seqs, params)))
        if not isinstance(rows, range):     # (as positions among the rows shown)
            where = {s: i for i, s in enumerate(rows)}
            wanted = {where[s]: None for s in wanted if s in where}
        pinned = list(wanted)[:self.max_rows // 4]
        head = (self.max_rows - len(pinned)) * 2 // 3
        tail = self.max_rows - len(pinned) - head
        keep = dict.fromkeys(pinned)
        keep.update(dict.fromkeys(range(n - tail, n)))
        keep.update(dict.fromkeys(range(head)))
        while len(keep) < self.max_rows:     # pinned rows that were in the head or tail
            keep[head] = None
            head += 1
        out: list[int | tuple[int, int]] = []
        prev = -1
        for i in sorted(keep):
            if i > prev + 1:
                out.append((prev + 1, i))
            out.append(rows[i])
            prev = i
        return out

    def graph_table(self) -> Table:
        keys = ["id", "line", "name", "op", "shape", "value", "grad", "flags"]
        heads = ["id", "line", "name = expr", "op", "shape", "value",
                 "grad" if self.one is None else f"gradient #{self.one.pass_no}", "flags"]
        keep = [self.wide or k not in ("line", "shape") for k in keys]
        keys = [k for k, on in zip(keys, keep) if on]
        heads = [h for h, on in zip(heads, keep) if on]
        rows = []
        names_width = 0
        for item in self.shown_rows():
            if isinstance(item, tuple):
                row = self._gap_row(*item)
            elif item in self.transforms:
                row = self._transform_row(self.transforms[item])
            else:
                n = self.nodes[item]
                row = self._node_row(n)
                if n.name:
                    names_width = max(names_width, cell_len(n.name))
                # nor, up to a point, a word of an expression: "lin.weight.g"
                # over "rad" reads as two names
                words = [cell_len(w) for w in row[2].plain.split()]
                names_width = max([names_width] + [w for w in words if w <= LABEL_WORD_WIDTH])
            rows.append([cell for cell, on in zip(row, keep) if on])
        mins = {**MIN_WIDTHS, "name": max(MIN_WIDTHS["name"], names_width)}
        return _build_table(heads, rows, [mins.get(k, DEFAULT_MIN_WIDTH) for k in keys],
                            self.width, fixed=[k in ("id", "line", "shape") for k in keys],
                            right=[k == "line" for k in keys], title_cols=2,
                            weights=[WRAP_WEIGHTS.get(k, 1) for k in keys],
                            at_least=[NAME_WIDTH if k == "name" else 0 for k in keys])

    def _node_row(self, n: NodeRecord) -> list:
        ident = Text(n.id, style="bold red" if n.error else "dim")
        line = Text(str(n.line) if n.line else "", style="dim")
        return [ident, line, self._label(n), _Words(self._op_cell(n)), _shape_cell(n),
                self._value_cell(n), self._grad_cell(n), self._flags(n)]

    def _transform_row(self, f) -> list:
        """The row of a transform call's inside (a TransformFold): the call,
        what it computed, how many ops it ran, its passes. (The op cell says
        "jacrev (torch.func)": "torch.func.jacrev" is one word longer than
        the op column of an 80-column table, which broke it mid-name.)"""
        from .fold import Group, counts_text, describe
        from .dot import node_columns
        (group,) = describe([Group("", f.members, None)], node_columns(self.record))
        result = self.nodes[f.result]
        span = self.record.transforms[f.number - 1]
        what = "ops" if group.all_ops else "nodes"
        self.notes_seen["transform"] = None
        passes = len(f.passes)
        passes = (f"{passes} grad() pass{'es' if passes != 1 else ''} (#{f.passes[0]}"
                  + (f"–#{f.passes[-1]})" if passes > 1 else ")") if passes else "")
        return [Text("ƒ", style="dim"), Text(str(result.line or ""), style="dim"),
                self._call_label(result, f.kind), _Words(Text(f"{f.kind} (torch.func)")), Text(""),
                Text(f.words(span.get("slices")), style="italic"),
                _Words(Text(f"{len(f.members):,} {what} inside ({counts_text(group.counts)})",
                            style="italic")),
                Text(passes, style="italic")]

    def _call_label(self, result: NodeRecord, kind: str) -> Text:
        """A transform row's name cell: the call, and the loop pass that made it."""
        text = Text(_shorten(result.expr or kind, self.expr_chars), style="italic")
        if result.in_loop:
            text.append(f" ({result.in_loop})", style="dim italic")
        return text

    def _gap_row(self, start: int, stop: int) -> list:
        """The row of the rows from position start to stop (see shown_rows)."""
        ops = self.column("op")
        hidden = self.seqs[start:stop]
        whole = isinstance(self.seqs, range)       # (the rows hidden are every seq between)
        counts = Counter(ops[hidden[0]:hidden[-1] + 1] if whole
                         else map(ops.__getitem__, hidden))
        ops = ", ".join(f"{op} ×{k:,}" for op, k in counts.most_common(GAP_TOP_OPS))
        if len(counts) > GAP_TOP_OPS:
            ops += ", …"
        # the lines they were made on, lowest to highest (a loop's pass runs
        # back up to its first line: first and last node would read "34–31")
        made_on = self.column("line")
        made_on = [made_on[s] for s in (range(hidden[0], hidden[-1] + 1) if whole
                                        else hidden)]
        made_on = [n for n in made_on if n]
        first, last = (min(made_on), max(made_on)) if made_on else (0, 0)
        lines = f"{first}–{last}" if first != last else str(first or "")
        return [Text("⋮", style="dim"), Text(lines, style="dim"),
                Text(f"… {stop - start:,} more node{'s' if stop - start != 1 else ''} …",
                     style="italic"),
                Text(f"({ops})", style="italic"), Text(""), Text(""), Text(""), Text("")]

    def _name(self, n: NodeRecord) -> Text:
        """The name, and which of the tensors it named this is: the loop
        pass that made it (``loss (step=0)``, each step's loss alike), or
        outside a loop ``(old)`` when the name was bound again later."""
        text = Text(n.name or "", style="bold")
        if n.name:
            text.append(binding_note(self.record, n, self.final, self.final_names),
                        style="dim italic" if n.in_loop else "dim")
        return text

    def _label(self, n: NodeRecord) -> Text:
        text = self._label_text(n)
        if n.in_loop and not n.name:   # which pass of a loop made it (a name says it)
            text.append(f" ({n.in_loop})", style="dim italic")
        return text

    def _label_text(self, n: NodeRecord) -> Text:
        expr = _shorten(n.expr, self.expr_chars)
        if not n.name:
            return Text(expr or n.op)
        text = self._name(n)
        if n.kind in (PARAM, CONST):
            return text   # the op column names the creation function, value the data
        if expr and updates_itself(n.name, expr):
            text.append(after_name(n.name, expr), style="dim")
        elif expr and expr != n.name:
            text.append(" = " + expr, style="dim")
        return text

    def _ref(self, id_: str) -> str:
        """Another node, by name when it has one."""
        n = self.nodes[int(id_[1:])]
        return n.name or n.id

    def _op_cell(self, n: NodeRecord) -> Text:
        text = Text()
        if n.kind == OP:
            text.append(n.symbol, style="bold")
            for k, v in n.params.items():
                text.append(f" {k}={v}")
            if n.grad_fn:
                text.append("  " + n.grad_fn, style="dim")
        elif n.kind == DETACHED:
            text.append("detach", style="bold")
            if n.detached_from:
                text.append(" of " + self._ref(n.detached_from), style="dim")
        elif n.kind == GRAD:
            text.append(".grad", style="bold")
            if n.grad_of:
                text.append(" of " + self._ref(n.grad_of), style="dim")
        elif n.of:
            text.append(n.op, style="bold")
            text.append(" of " + self._ref(n.of), style="dim")
        else:
            text.append(n.op)
        return text

    def _value_cell(self, n: NodeRecord) -> _Tensor:
        one = self.one
        at_pass = one is not None and one.values and n.seq in one.values
        cell = _tensor_cell(one.values[n.seq] if at_pass else n.value, n.dtype,
                            n.seq in self.report.values, size=not self.wide)
        suffix = Text(style="dim")
        if n.dtype != "float32" and not self.wide:
            suffix.append(" " + n.dtype)
        if at_pass:
            # a parameter the loop updates, as this pass computed with it
            self.notes_seen["at pass"] = None
            suffix.append(f" at #{one.pass_no}")
        elif n.changed_in_place:
            self.notes_seen["inplace"] = None
            suffix.append("‡")
        cell.suffix = suffix if suffix else None
        return cell

    def _grad_cell(self, n: NodeRecord):
        if self.one is not None:
            return self._pass_grad_cell(n)
        if n.grad is not None:
            return _tensor_cell(n.grad, n.dtype, _has_nonfinite(n.grad), size=not self.wide)
        if n.is_leaf:
            return Text("None", style="dim") if n.requires_grad else Text("")
        if n.retains_grad:
            return Text("None", style="dim")
        if not n.visited and not n.grads_by_pass and n.requires_grad:
            # (as the picture says: "not retained" would say one was computed)
            self.notes_seen["never computed"] = None
            return Text("never computed", style="dim")
        if not n.requires_grad:
            return Text("")
        self.notes_seen["not retained"] = None
        return Text("not retained", style="dim")

    def _pass_grad_cell(self, n: NodeRecord):
        """--pass: the gradient that reached n in that pass; for a leaf, its
        .grad after the pass (marked when earlier passes added into it)."""
        got = self.one.grads.get(n.seq)
        if got is None:
            if not n.requires_grad or n.kind in (GRAD, DETACHED):
                return Text("")
            self.notes_seen["not reached"] = None
            return Text("not reached", style="dim")
        from .dot import accumulated
        here, after = got
        cell = _tensor_cell(here if after is None else after, n.dtype,
                            _has_nonfinite(here if after is None else after),
                            size=not self.wide)
        if after is not None and accumulated(here, after):
            self.notes_seen["accumulated"] = None
            cell.suffix = Text(" (accumulated)", style="dim")
        return cell

    def _flags(self, n: NodeRecord) -> Text:
        words: list[tuple[str, str]] = []   # (flag, text shown)
        if n.error:
            words.append(("error", "error"))
        if self.report.fault_of(n.seq) is not None:
            # its value, its .grad, or a gradient that went through it
            words.append(("nan/inf", "nan/inf"))
        if n.is_leaf:
            words.append(("leaf", "leaf"))
        if n.requires_grad and n.is_leaf:
            # (a non-leaf always requires grad: saying so on every op row is noise)
            words.append(("requires_grad", "requires_grad"))
        if n.backward_root:
            words.append(("root", "root"))
        if n.seq in self.failed_roots:
            words.append(("failed", "failed"))
        if n.retains_grad:
            words.append(("retains_grad", "retains_grad"))
        if n.kind == DETACHED:
            words.append(("detached", "detached"))
        if n.no_grad is not None:
            words.append(("no_grad", "no_grad"))
        if n.pruned:
            reason = n.pruned_reason or "backward() did not need it"
            mark = self.pruned_notes.setdefault(reason, len(self.pruned_notes) + 1)
            words.append(("pruned", "pruned" + superscript(mark)))
        if n.freed:
            words.append(("freed", "freed"))
        text = Text()
        for flag, shown in words:
            self.flags_seen[flag] = None
            if text:
                text.append(" ")
            text.append(shown, style=FLAG_STYLES[flag])
        return text

    def notes(self) -> list[Text]:
        """Notes on what the graph table shows (call after graph_table)."""
        out = []
        for reason, mark in self.pruned_notes.items():
            line = Text(superscript(mark) + " ", style="yellow")
            line.append("pruned", style=FLAG_STYLES["pruned"])
            # (a dash, not parentheses: reasons have their own,
            # "needs no gradient (requires_grad=False)")
            line.append(f": backward() skipped it — {reason}", style="dim")
            out.append(line)
        if self.one is not None:
            k = self.one.pass_no
            out.append(Text(f"gradient #{k}: the gradient that reached each tensor in pass "
                            f"#{k}; a leaf's is its .grad after the pass", style="dim"))
        for key, note in CELL_NOTES.items():
            if key in self.notes_seen:
                out.append(Text(note.replace("#N", f"#{self.one.pass_no}") if self.one
                                else note, style="dim"))
        legend = Text()
        for flag, note in FLAG_NOTES.items():
            if flag in self.flags_seen:
                if legend:
                    legend.append(" · ", style="dim")
                legend.append(flag, style=FLAG_STYLES[flag])
                legend.append(": " + note, style="dim")
        if legend:
            out.append(legend)
        return out

    # ---- the gradient timeline --------------------------------------------
    def _grad_histories(self) -> tuple[list[str], dict[int, dict[int, np.ndarray]], list[int]]:
        """Event column titles, per leaf {column: .grad after it} (what
        Record.grad_history gives, for all leaves in one pass over events),
        and the index in self.events of each column's event."""
        columns: list[str] = []
        history: dict[int, dict[int, np.ndarray]] = {}
        at: list[int] = []
        shared = None       # (kind, line, column) of the last zero_() or .grad = column

        def column_for(i: int, ev: dict, leaf: int, title: str, shareable=True) -> int:
            """A new column, or the one before when the event is the same
            statement's on another leaf (zero_grad() sets every parameter's
            .grad on one line, one event each: one column)."""
            nonlocal shared
            col = shared[2] if shared is not None else None
            if (shareable and shared is not None and shared[:2] == (ev["kind"], ev["line"])
                    and at[col] == i - 1 and col not in history.get(leaf, {})):
                at[col] = i
                return col
            columns.append(title)
            at.append(i)
            shared = (ev["kind"], ev["line"], len(columns) - 1)
            return len(columns) - 1

        for i, ev in enumerate(self.events):
            if ev["kind"] == "backward" and ev.get("leaf_grads"):
                col = len(columns)
                columns.append(f"backward #{ev['pass']} (line {ev['line']})")
                at.append(i)
                for seq, g in ev["leaf_grads"].items():
                    history.setdefault(seq, {})[col] = g
            elif ev["kind"] == "zero_" and ev.get("grad_of") is not None:
                before = history.get(ev["grad_of"])
                if not before or before[max(before)] is None:
                    continue   # zeroing a .grad no backward filled: nothing to show
                col = column_for(i, ev, ev["grad_of"], f"zero_() (line {ev['line']})")
                before[col] = np.zeros_like(before[max(before)])
            elif ev["kind"] == "grad_set":       # x.grad = None, or = a tensor
                new = ev["value"]
                title = (f".grad = {'None' if new is None else self._ref(f'n{new}')} "
                         f"(line {ev['line']})")
                col = column_for(i, ev, ev["node"], title, shareable=new is None)
                history.setdefault(ev["node"], {})[col] = \
                    None if new is None else self.nodes[new].value
        return columns, history, at

    def _pass_span(self) -> tuple[int, int, int | None]:
        """--pass: the events the timeline shows, from the pass before (its
        .grad, then the zero_() calls between) to this pass: (first index,
        last index in self.events, the number of the pass before or None)."""
        k = self.one.pass_no
        idx = [(i, ev["pass"]) for i, ev in enumerate(self.events)
               if ev["kind"] in ("backward", "grad")]
        pos = next(j for j, (_, p) in enumerate(idx) if p == k)
        return (idx[pos - 1][0] if pos else 0), idx[pos][0], (idx[pos - 1][1] if pos else None)

    def timeline_title(self) -> str:
        if self.one is None:
            return ".grad of each leaf after each backward(), zero_() and .grad = ..."
        _, _, before = self._pass_span()
        k = self.one.pass_no
        return (f".grad of each leaf from pass #{before} to pass #{k}" if before is not None
                else f".grad of each leaf up to pass #{k}")

    def timeline_tables(self) -> list[Table]:
        columns, history, at = self._grad_histories()
        shown_cols: list[int | None] = list(range(len(columns)))
        if self.one is not None:
            first, last, _ = self._pass_span()
            shown_cols = [c for c in shown_cols if first <= at[c] <= last]
            history = {s: h for s, h in history.items() if s in self.one.only}
        if not history or not shown_cols:
            return []
        more = len(shown_cols) - MAX_EVENT_COLS
        if more > 0:
            half = MAX_EVENT_COLS // 2
            shown_cols = shown_cols[:half] + [None] + shown_cols[-half:]
        leaves = sorted(history)
        hidden = len(leaves) - self.max_rows if len(leaves) > self.max_rows else 0
        leaves = leaves[:len(leaves) - hidden]
        per_table = max(1, min(6, (self.width - 12) // EVENT_COL_CHARS))
        tables = []
        for start in range(0, len(shown_cols), per_table):
            chunk = shown_cols[start:start + per_table]
            heads = ["leaf"] + ["…" if c is None else columns[c] for c in chunk]
            rows = []
            for seq in leaves:
                cells = history[seq]
                first = min(cells)
                row: list = [self._short_label(self.nodes[seq])]
                for col in chunk:
                    if col is None:
                        row.append(Text(f"{more:,} more",
                                        style="dim"))
                    elif col in cells:
                        g = cells[col]
                        row.append(Text("None", style="dim") if g is None else
                                   _tensor_cell(g, self.nodes[seq].dtype, _has_nonfinite(g)))
                    else:
                        row.append(Text("None" if col < first else "unchanged", style="dim"))
                rows.append(row)
            if hidden and start + per_table >= len(shown_cols):
                rows.append([Text(f"… {hidden:,} more leaves", style="italic")] +
                            [Text("")] * len(chunk))
            names = max(cell_len(r[0].plain) for r in rows)
            mins = [max(MIN_WIDTHS["name"], names)] + [MIN_WIDTHS["value"]] * len(chunk)
            tables.append(_build_table(heads, rows, mins, self.width))
        return tables

    def _short_label(self, n: NodeRecord) -> Text:
        if n.name:
            return self._name(n)
        return Text(_shorten(n.expr, self.expr_chars) or n.id)

    # ---- backward passes ----------------------------------------------------
    def pass_table(self) -> Table | None:
        """A row per backward()/grad() pass (with --pass, that pass's), and
        per call that failed, in the order they ran."""
        passes = [e for e in self.events if e["kind"] in ("backward", "grad")
                  and (self.one is None or e["pass"] == self.one.pass_no)
                  or e["kind"] == "failed" and self.one is None]
        if not passes:
            return None
        shown: list[dict | None] = list(passes)
        if len(passes) > MAX_PASS_ROWS:
            half = MAX_PASS_ROWS // 2
            shown = passes[:half] + [None] + passes[-half:]
        keys = ["pass", "line", "root", "seed", "visited", "pruned", "graph"]
        heads = ["pass", "line", "root", "gradient=", "visited", "pruned", "graph after"]
        rows = []
        for ev in shown:
            if ev is None:
                rows.append([Text("⋮", style="dim"), Text(""),
                             Text(f"… {len(passes) - MAX_PASS_ROWS:,} more passes …",
                                  style="italic")] + [Text("")] * 4)
            else:
                rows.append(self._pass_row(ev))
        return _build_table(heads, rows, [MIN_WIDTHS.get(k, DEFAULT_MIN_WIDTH) for k in keys],
                            self.width, fixed=[k in ("pass", "line", "visited") for k in keys],
                            right=[k in ("line", "visited") for k in keys])

    def _pass_row(self, ev: dict) -> list:
        roots = self._roots_cell(ev["roots"])
        if ev["kind"] == "failed":
            return self._failed_row(ev, roots)
        what = "backward" if ev["kind"] == "backward" else "grad()"
        seeds = ev.get("seeds") or []
        if ev.get("implicit_seed"):
            seed = Text("1. (implicit)")
        elif seeds:
            dtype = self.nodes[ev["roots"][0]].dtype if ev["roots"] else "float32"
            seed = _tensor_cell(seeds[0], dtype, _has_nonfinite(seeds[0]))
        else:
            seed = Text("")
        pruned_seqs = list(dict.fromkeys(b for _, b in ev.get("pruned") or []))
        pruned = Text(", ".join(_plain_label(self.nodes[s]) for s in pruned_seqs[:3]),
                      style="yellow")
        if len(pruned_seqs) > 3:
            pruned.append(f" and {len(pruned_seqs) - 3:,} more", style="yellow")
        if ev["kind"] != "backward":
            graph = Text("")
        elif ev.get("retain_graph"):
            graph = Text("kept: retain_graph=True", style="green")
        else:
            graph = Text("freed", style="dim")
        return [Text(f"{what} #{ev['pass']}", style="bold"), Text(str(ev["line"])), roots,
                seed, Text(f"{len(ev.get('steps') or []):,}"), pruned, graph]

    def _roots_cell(self, seqs: list[int]) -> Text:
        roots = Text()
        for i, seq in enumerate(seqs):
            r = self.nodes[seq]
            if i:
                roots.append(", ")
            roots.append_text(self._short_label(r))
            # (a root inside a transform call has no row of its own: its ƒ row says it)
            inside = ", inside ƒ" if seq in self.in_transform or seq in self.transforms else ""
            roots.append(f" ({r.id}{inside})", style="dim")
        return roots

    def _failed_row(self, ev: dict, roots: Text) -> list:
        """A backward() or grad() call that raised an error: no pass ran;
        why, in a few words (the picture's note), where its graph goes."""
        from .dot import failure_reason
        what = "backward" if ev["call"] == "backward" else "grad()"
        why = Text("failed: " + failure_reason(ev["message"]), style="red")
        if not ev["stopped"]:
            why.append(" (caught)", style="dim")
        return [Text(f"{what} ✗", style="bold red"), Text(str(ev["line"])), roots,
                Text(""), Text(""), Text(""), why]

    # ---- warnings and the error pointer ------------------------------------
    def warnings(self) -> list[Text]:
        out = []
        report = self.report
        if report.values:
            first = self.nodes[report.first_value]
            k = len(report.values)
            out.append(Text(f"⚠ {_count(k, 'tensor')} {'holds' if k == 1 else 'hold'} "
                            f"NaN/inf; first: {_where(first, report.values[first.seq].text)}",
                            style=NAN_STYLE))
        if report.grads:
            origin = report.first_grad
            op = self.nodes[origin.op_seq]
            k = len(report.grads)
            what = ("the seed gradient of " if origin.from_seed else
                    "the backward of " if origin.op_seq != origin.to_seq else "the .grad of ")
            out.append(Text(f"⚠ {_count(k, 'tensor')} got a NaN/inf gradient; first: "
                            f"{what}{_where(op, origin.fault.text)}", style=NAN_STYLE))
        for ev in self.events:
            if ev["kind"] == "caught":
                message = ev["message"]
                if len(message) > 160:
                    message = message[:157] + "..."
                out.append(Text(f"⚑ line {ev['line']}: {ev['type']} caught by the program's "
                                f"except: {message}", style="yellow"))
        err = self.record.error
        if err is not None:
            line = err.get("line")
            text = Text(f"✗ the program stopped at line {line}" if line
                        else "✗ the program stopped", style="bold red")
            text.append(f" ({err.get('type') or 'error'}, message above)")
            if any(self.column("error")):
                text.append("; the rows marked ")
                text.append("error", style=FLAG_STYLES["error"])
                text.append(f" are {err.get('marked') or 'the tensors that line used'}")
            out.append(text)
        return out


# ---- layout -----------------------------------------------------------------
def _build_table(heads: list[str], rows: list[list], mins: list[int], width: int,
                 fixed: list[bool] | None = None, right: list[bool] | None = None,
                 weights: list[int] | None = None, at_least: list[int] | None = None,
                 title_cols: int = 1) -> Table:
    """A borderless table with a rule under the header, its column widths
    fitted by ``_fit``; tensor cells are wrapped to their column. When even
    the narrowest columns do not fit, one block per row instead (``_blocks``)."""
    widths = _fit([[Text(h) for h in heads]] + rows, mins, width, fixed, weights, at_least)
    if sum(widths) + GAP * (len(widths) - 1) > width:
        return _blocks(heads, rows, width, title_cols)
    right = right or [False] * len(heads)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False,
                  header_style="bold", padding=(0, 0, 0, GAP - 1))
    for head, w, r in zip(heads, widths, right):
        table.add_column(head, width=w, overflow="fold", justify="right" if r else "left")
    for row in rows:
        table.add_row(*(c.render(w) if isinstance(c, _LAZY) else c
                        for c, w in zip(row, widths)))
    return table


def _blocks(heads: list[str], rows: list[list], width: int, title_cols: int) -> Table:
    """Rows as blocks, for a terminal too narrow for the columns: the first
    cell (and the second when ``title_cols`` is 2) on the block's first
    line, then one labelled line per other non-empty cell::

        n0     x
          op     arange
          value  [0., 1., 2., 3.]
    """
    first = max([cell_len(h) + 2 for h in heads[title_cols:]] +
                [cell_len(row[0].plain) for row in rows])
    rest = max(8, width - first - GAP)
    grid = Table.grid(padding=(0, 0, 0, GAP))
    grid.add_column(width=first, no_wrap=True)
    grid.add_column(width=rest, overflow="fold")
    for row in rows:
        title = row[1] if title_cols == 2 else Text("")
        grid.add_row(row[0], title.render(rest) if isinstance(title, _LAZY) else title)
        for head, cell in zip(heads[title_cols:], row[title_cols:]):
            if cell.plain:
                grid.add_row(Text("  " + head, style="dim"),
                             cell.render(rest) if isinstance(cell, _LAZY) else cell)
    return grid


def _fit(rows: list[list], mins: list[int], width: int, fixed: list[bool] | None = None,
         weights: list[int] | None = None, at_least: list[int] | None = None) -> list[int]:
    """Column widths for ``rows`` (the header first) within ``width``.

    Each column starts at its widest line. While the table is too wide, one
    column gives up cells where that adds the fewest wrapped lines per cell,
    times the column's weight (then the most cells), so that one long value
    does not cost every row a second line. No column goes below its
    longest word, at most ``mins``, so "MulBackward0" and "requires_grad"
    stay whole (rich's own fitting cuts them at 80 columns), nor below
    ``at_least`` while its text is wider; ``fixed`` columns keep their width.
    """
    ncols = len(mins)
    fixed = fixed or [False] * ncols
    weights = weights or [1] * ncols
    at_least = at_least or [0] * ncols
    natural = [1] * ncols
    longest_word = [1] * ncols
    columns: list[list] = [[] for _ in range(ncols)]
    for row in rows:
        for i, cell in enumerate(row[:ncols]):
            columns[i].append(cell)
            for line in cell.plain.split("\n"):
                natural[i] = max(natural[i], cell_len(line))
                for word in line.split():
                    longest_word[i] = max(longest_word[i], cell_len(word))
    floor = [natural[i] if fixed[i] else
             min(natural[i], max(at_least[i], min(longest_word[i], max(mins[i], 1))))
             for i in range(ncols)]
    memo: dict[tuple[int, int], int] = {}

    def lines_at(i: int, w: int) -> int:
        # how many lines column i takes at width w (times its weight)
        key = (i, w)
        if key not in memo:
            memo[key] = weights[i] * sum(_line_count(c, w) for c in columns[i])
        return memo[key]

    widths = list(natural)
    excess = sum(widths) + GAP * (ncols - 1) - width
    while excess > 0:
        # the cheapest move, in added lines per cell saved: shrinking a
        # column by several cells may cost no more than by one (a row
        # that wraps anyway), so every target width is weighed
        best = None
        for i in range(ncols):
            for w in range(widths[i] - 1, floor[i] - 1, -1):
                saved = min(widths[i] - w, excess)
                cost = (lines_at(i, w) - lines_at(i, widths[i])) / saved
                key = (cost, -saved, -widths[i], i)
                if best is None or key < best[0]:
                    best = (key, i, widths[i] - saved)
        if best is None:
            break
        _, i, w = best
        excess -= widths[i] - w
        widths[i] = w
    return widths


def _line_count(cell, width: int) -> int:
    """Lines a cell takes at ``width``: a tensor wrapped after commas, then
    any text wrapped at spaces as rich does (a word longer than the width
    is cut)."""
    text = cell.render(width).plain if isinstance(cell, _LAZY) else cell.plain
    count = 0
    for line in text.split("\n"):
        count += 1
        used = 0                       # cells taken on the current line
        for word in line.split(" "):
            n = cell_len(word)
            need = n if used == 0 else used + 1 + n
            if need <= width:
                used = need
                continue
            if used:
                count += 1             # the word starts a new line
            pieces, rest = divmod(n, width)
            if rest == 0:
                pieces, rest = pieces - 1, width
            count += pieces
            used = rest
    return count


def _wrap_after_commas(text: str, width: int) -> str:
    """Break each line longer than ``width`` after a ", " (not inside
    parentheses), continuing under the first element, past the line's
    leading spaces and brackets, as PyTorch wraps a long row. A piece still
    too long is left to rich."""
    out = []
    for line in text.split("\n"):
        if cell_len(line) <= width:
            out.append(line)
            continue
        spaces = len(line) - len(line.lstrip(" "))
        lead = spaces + len(line[spaces:]) - len(line[spaces:].lstrip("["))
        indent = " " * lead if lead <= width // 2 else ""
        pieces = _split_top_level(line)
        last = len(pieces) - 1
        current = _unpadded(pieces[0], width - (last > 0))
        for i, piece in enumerate(pieces[1:], 1):
            # (a line broken after this piece ends with its comma)
            if cell_len(current) + 2 + cell_len(piece) + (i < last) > width:
                out.append(current + ",")
                room = width - (i < last)
                current = _unpadded(indent + piece, room, cell_len(indent))
                if cell_len(current) > room:           # (then not under the first either)
                    current = piece.lstrip(" ")
            else:
                current += ", " + piece
        out.append(current)
    return "\n".join(out)


def _unpadded(piece: str, room: int, start: int | None = None) -> str:
    """piece, or without the spaces that align its number with the column's
    others (PyTorch's padding) when it does not fit in room: a number is not
    broken from its comma or its bracket. The padding is what follows the
    piece's leading spaces and brackets, or follows ``start`` characters."""
    if cell_len(piece) <= room:
        return piece
    if start is None:
        start = len(piece) - len(piece.lstrip(" "))
        start += len(piece[start:]) - len(piece[start:].lstrip("["))
    return piece[:start] + piece[start:].lstrip(" ")


def _split_top_level(line: str) -> list[str]:
    """``line.split(", ")``, except inside parentheses: ``size=(4, 3)`` stays."""
    pieces = []
    depth = start = 0
    for i, c in enumerate(line):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0 and line.startswith(", ", i):
            pieces.append(line[start:i])
            start = i + 2
    pieces.append(line[start:])
    return pieces


# ---- cells ------------------------------------------------------------------
def _shape_cell(n: NodeRecord) -> Text:
    text = Text("scalar" if not n.shape else "[" + ", ".join(map(str, n.shape)) + "]")
    if n.dtype != "float32":
        text.append(" " + n.dtype, style="dim")
    return text


def _tensor_cell(data, dtype: str, nonfinite: bool, size: bool = True) -> _Tensor:
    """``format_compact`` text, a matrix's rows on lines of their own;
    ``size=False`` drops a summary's ``size=`` (a shape column shows it)."""
    arr = np.asarray(data)
    try:
        s = format_compact(arr, dtype, MAX_ELEMS)
    except (ValueError, TypeError):
        s = np.array2string(arr, threshold=MAX_ELEMS)
    if arr.size > MAX_ELEMS:
        if not size:
            s = s.rsplit(", size=", 1)[0]
    elif arr.ndim >= 2:
        s = _rows_on_lines(s)
    return _Tensor(s, NAN_STYLE if nonfinite else "")


def _rows_on_lines(s: str) -> str:
    """``[[1., 2.], [3., 4.]]`` -> ``[[1., 2.],\\n [3., 4.]]``: a new line
    after each closing bracket, indented by the brackets still open, as
    PyTorch prints."""
    out = []
    depth = 0
    i = 0
    while i < len(s):
        c = s[i]
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif c == "," and s[i - 1] == "]" and s.startswith(", ", i):
            out.append(",\n" + " " * depth)
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _has_nonfinite(a) -> bool:
    a = np.asarray(a)
    return a.dtype.kind in "fc" and not bool(np.isfinite(a).all())


def binding_note(record: Record, n: NodeRecord, final: dict, final_names: set) -> str:
    """Which of the tensors n's name bound n is, as the tables and the
    picture say it after the name: the loop pass that made it
    (" (step=0)": each step's loss alike); a function's own name for it
    when the program names another tensor so (" (in f)": f's parameter x
    is not the program's x); else " (old)" when the name was bound again
    later (final, final_names: see final_bindings)."""
    other = final.get(n.seq) != n.name and n.name in final_names
    where = getattr(record, "local_names", {}).get(n.seq) if other else None
    parts = [f"in {where}"] if where else []
    if n.in_loop:
        parts.append(n.in_loop)
    elif other and not where:
        parts.append("old")
    return f" ({', '.join(parts)})" if parts else ""


def final_bindings(record: Record) -> dict[int, str]:
    """seq -> the name bound to it at the end of the run."""
    ids = getattr(record, "variable_ids", None)
    if ids is not None:     # (record.variables would make a node record per name)
        return {int(nid[1:]): name for name, nid in ids.items()}
    out = {}
    for name, v in record.variables.items():
        seq = v.seq if isinstance(v, NodeRecord) else int(str(v)[1:])
        out[seq] = name
    return out


def _shorten(expr: str, limit: int = EXPR_CHARS) -> str:
    """One line, without the optional ``torch.`` prefixes, at most ``limit``
    characters."""
    expr = " ".join(expr.split()).replace("torch.", "")
    return expr if len(expr) <= limit else expr[:limit - 1] + "…"


def _where(n: NodeRecord, fault: str) -> str:
    """``log(x) at line 3 (n2, -inf)``: what a warning names."""
    what = _shorten(n.expr) or n.name or n.id
    return f"{what} at line {n.line} ({n.id}, {fault})" if n.line else f"{what} ({n.id}, {fault})"


def _plain_label(n: NodeRecord) -> str:
    return n.name or _shorten(n.expr) or n.id


def superscript(k: int) -> str:
    return SUPERSCRIPTS[k - 1] if k <= len(SUPERSCRIPTS) else f"^{k}"


def _tensors_text(total: int, shown: int, ops: int) -> str:
    """``12 tensors (7 recorded ops, 5 leaves)``: ``shown`` of them, ``ops``
    of those recorded ops."""
    if not total:
        return "no tensors"
    return (f"{_count(total, 'tensor')} ({_count(ops, 'recorded op')}, "
            f"{_count(shown - ops, 'leaf', 'leaves')})")


def _count(k: int, word: str, plural: str | None = None) -> str:
    return f"{k:,} {word if k == 1 else plural or word + 's'}"
