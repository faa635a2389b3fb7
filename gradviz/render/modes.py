"""Terminal tables of the two modes of autodiff and of the gradient check.

``print_forward_mode(record)`` (``gradviz run --mode forward|both``), after
the graph tables: per reverse pass, one row per input (leaf) with its
forward-mode gradient (the tangent column: what the JVP passes produced),
beside it in ``both`` mode the reverse-mode gradient and a mark, then the
summary line that counts the passes each mode needed. With ``--direction``
the one directional pass is shown node by node (value and tangent).

``print_check(report)`` (``gradviz check``): per pass, one row per input
with the reverse-mode gradient and its max absolute and relative error
against finite differences and against forward mode, and the verdict.

Visual legend: input names bold; ``✓`` green where the modes agree (within
float32 rounding, or the check's tolerance), ``✗`` bold red where they do
not; verdicts ``ok`` green, ``kink`` and ``singular`` yellow (a finite
difference cannot judge there: not a failure), ``FAIL`` bold red,
``skipped`` dim; the summary line of each pass in italics.
"""
from __future__ import annotations

import numpy as np
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..record import after_name, updates_itself
from ..tensor import DTYPE_NAMES
from .tables import superscript
from .torchfmt import format_compact

MAX_ELEMS = 8                 # gradients up to this size are shown whole
MAX_TANGENT_ROWS = 40         # nodes shown in a directional pass's table
EXPR_CHARS = 32               # a longer source expression is shortened
# the ops of a pass where PyTorch's two modes differ by design (the entry's
# key, forward.ForwardRecorder's), and what the report says of them
BY_DESIGN = (
    ("padded", "an embedding's padding_idx row gets no gradient in reverse mode (PyTorch's "
               "convention); forward mode passes its tangent, as PyTorch's does"),
    ("triangle", "eigh and cholesky read one triangle of a symmetric matrix: reverse mode gives "
                 "PyTorch's symmetric gradient, forward mode each entry's own tangent, as "
                 "PyTorch's do"),
    ("singular", "det of a singular matrix: with create_graph reverse mode gives PyTorch's "
                 "cofactor matrix (through the SVD), forward mode 0, as PyTorch's do"),
    ("ctc", "ctc_loss: reverse mode gives PyTorch's gradient, the derivative plus "
            "exp(log_probs) (a log_softmax before it cancels that term); forward mode the "
            "derivative (PyTorch has none)"),
    ("scatter", "as_strided_scatter: reverse mode gives PyTorch's gradient, which reaches the "
                "input where src is written too (not the derivative); forward mode the "
                "derivative, as PyTorch's does"),
    ("windows", "an in-place write into overlapping windows (unfold, as_strided): reverse mode "
                "gives PyTorch's gradient, a value's summed over every position of an element; "
                "forward mode takes the tangent of one position, as PyTorch's does"),
)
STATUS_STYLES = {"ok": "green", "kink": "yellow", "singular": "yellow", "FAIL": "bold red",
                 "skipped": "dim", "changed": "yellow"}
WHY = "why deep learning uses reverse mode"


def _table(*heads: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, header_style="bold")
    for h in heads:
        table.add_column(h, overflow="fold")
    return table


NAME_SHARE = 2               # an input column takes at most 1/NAME_SHARE of the width


def _keep_whole(column, names: list[str], width: int) -> None:
    """Give a column room for its longest name: rich shares the width out
    by content, and at 80 columns it cut nn.LSTM's parameters ("lstm.weight"
    over "_ih_l0"), which read as two names, and then the verdict ("o" over
    "k"). A name longer than half the terminal still folds."""
    longest = max((cell_len(n) for n in names), default=0)
    column.min_width = min(longest, width // NAME_SHARE)
    # (rich narrows the widest wrapping column first, below its min_width)
    column.no_wrap = longest <= column.min_width


def _values(a) -> Text:
    if a is None:
        return Text("—", style="dim")
    arr = np.asarray(a)
    s = format_compact(arr, DTYPE_NAMES.get(arr.dtype, "float64"), MAX_ELEMS)
    # the shape has its own column
    return Text(s.rsplit(", size=", 1)[0] if arr.size > MAX_ELEMS else s)


def _mark(ok) -> Text:
    if ok is None:
        return Text("")
    return Text("✓", style="green") if ok else Text("✗ differs", style="bold red")


def _plural(k: int, word: str) -> str:
    return f"{k:,} {word}" + ("" if k == 1 else "es" if word.endswith("s") else "s")


def passes_summary(entry: dict) -> str:
    """The tutorial's point, with this pass's numbers."""
    if entry.get("directional"):
        return ("forward mode: 1 pass along the direction (one Jacobian-vector product), "
                "reverse mode: 1 pass (one per output)")
    n = entry["jvp_passes"]
    each = "one per input element checked" if entry.get("sampled") else "one per input element"
    return (f"forward mode: {_plural(n, 'pass')} ({each}), reverse mode: "
            f"{_plural(entry['reverse_passes'], 'pass')} (one per output) — {WHY}")


def _root_label(record, entry) -> str:
    parts = []
    for seq in entry["roots"]:
        n = record.nodes[seq]
        parts.append(f"{n.name} (n{seq})" if n.name else f"{n.expr or n.op} (n{seq})")
    return ", ".join(parts)


def print_forward_mode(record, console: Console | None = None) -> None:
    """The forward-mode section of ``gradviz run --mode forward|both``."""
    fm = record.forward_mode
    if fm is None:
        return
    console = console or Console()
    both = fm["mode"] == "both"
    console.print()
    if not fm["passes"]:
        console.print(Text("forward mode: the program made no backward pass", style="bold"))
        return
    for entry in fm["passes"]:
        title = Text(f"forward mode, {entry['kind']} #{entry['pass']} (line {entry['line']}) "
                     f"of {_root_label(record, entry)}", style="bold")
        console.print(title)
        if entry["skipped"]:
            console.print(Text(f"  skipped: {entry['skipped']}", style="yellow"))
        elif entry["direction"] is not None:
            _print_directional(record, entry, both, console)
        else:
            heads = ["input", "shape", "forward-mode gradient (JVP)", "JVP passes"]
            if both:
                heads[3:3] = ["reverse-mode gradient (VJP)"]
                heads.append("agree")
            table = _table(*heads)
            for item in entry["inputs"]:
                row = [Text(item["name"], style="bold"), Text(_shape(item["shape"])),
                       _values(item["grad"]), Text(f"{item['passes']:,}")]
                if both:
                    row[3:3] = [_values(item.get("reverse"))]
                    row.append(_mark(item.get("agree")))
                table.add_row(*row)
            console.print(table)
            if both and entry.get("hooked") and not all(
                    i.get("agree") is not False for i in entry["inputs"]):
                names = ", ".join(record.nodes[s].name or f"n{s}" for s in entry["hooked"])
                console.print(Text(f"  a register_hook() ({names}) changed the gradient on its "
                                   "way back: reverse mode is PyTorch's .grad, forward mode the "
                                   "derivative (it runs no hooks)", style="yellow"))
            disagree = not all(i.get("agree") is not False for i in entry["inputs"])
            for key, note in BY_DESIGN:
                if both and entry.get(key) and disagree:
                    console.print(Text("  " + note, style="yellow"))
        console.print(Text(passes_summary(entry), style="italic"))
        console.print()


def _print_directional(record, entry, both, console) -> None:
    d = entry["direction"]
    table = _table("input", "shape", "direction (tangent in)")
    for item in entry["inputs"]:
        table.add_row(Text(item["name"], style="bold"), Text(_shape(item["shape"])),
                      _values(item.get("tangent")))
    console.print(table)
    nodes = _table("id", "name = expression", "value", "tangent")
    seqs = sorted(d["tangents"])
    half = MAX_TANGENT_ROWS // 2
    hidden = len(seqs) - 2 * half
    for k, seq in enumerate(seqs):
        if hidden > 0 and half <= k < len(seqs) - half:
            if k == half:
                nodes.add_row(Text("⋮", style="dim"), Text(f"… {hidden:,} more nodes …",
                                                           style="italic"), Text(""), Text(""))
            continue
        n = record.nodes[seq]
        label = Text(n.name or "", style="bold")
        expr = _shorten(n.expr)
        if expr and n.name and updates_itself(n.name, expr):
            label.append(after_name(n.name, expr), style="dim")
        elif expr and expr != n.name:
            label.append((" = " if n.name else "") + expr, style="dim" if n.name else "")
        nodes.add_row(Text(n.id, style="dim"), label, _values(n.value),
                      _values(d["tangents"][seq]))
    console.print(nodes)
    line = Text(f"directional derivative <seed, J·direction> = {d['value']:.6g}")
    if both:
        line.append(f"; reverse mode <gradient, direction> = {d['reverse_value']:.6g} ")
        line.append_text(_mark(d.get("agree")))
    console.print(line)


def forward_values_by_node(record) -> dict[int, np.ndarray]:
    """For a column of the graph table: node seq -> what forward mode gave it
    at the last pass that reached it (an input's forward-mode gradient; with
    --direction, every node's tangent). Empty when forward mode was off."""
    out: dict[int, np.ndarray] = {}
    fm = record.forward_mode
    if fm is None:
        return out
    for entry in fm["passes"]:
        if entry["direction"] is not None:
            out.update(entry["direction"]["tangents"])
        for item in entry["inputs"]:
            if item.get("grad") is not None:
                out[item["node"]] = item["grad"]
    return out


def _shorten(expr: str) -> str:
    expr = " ".join(expr.split()).replace("torch.", "")
    return expr if len(expr) <= EXPR_CHARS else expr[:EXPR_CHARS - 1] + "…"


def _shape(shape) -> str:
    return "scalar" if not shape else "[" + ", ".join(map(str, shape)) + "]"


def forward_mode_dict(fm: dict) -> dict:
    """Record.forward_mode as JSON-ready data (node ids as "n12")."""
    def plain(a):
        return None if a is None else np.asarray(a).tolist()

    passes = []
    for e in fm["passes"]:
        d = e["direction"]
        passes.append({
            "pass": e["pass"], "kind": e["kind"], "line": e["line"],
            "roots": [f"n{r}" for r in e["roots"]], "outputs": e["outputs"],
            "jvp_passes": e["jvp_passes"], "reverse_passes": e["reverse_passes"],
            "skipped": e["skipped"],
            "inputs": [{"node": f"n{i['node']}", "name": i["name"], "shape": list(i["shape"]),
                        "passes": i["passes"], "forward_grad": plain(i["grad"]),
                        "reverse_grad": plain(i.get("reverse")), "agree": i.get("agree"),
                        "tangent": plain(i.get("tangent"))}
                       for i in e["inputs"]],
            "direction": None if d is None else {
                "value": d["value"], "reverse_value": d.get("reverse_value"),
                "agree": d.get("agree"),
                "tangents": {f"n{k}": plain(v) for k, v in d["tangents"].items()}},
        })
    return {"mode": fm["mode"], "direction": fm["direction"], "passes": passes}


# ---- gradviz check -------------------------------------------------------------

_NONE = Text("—", style="dim")


def _err(abs_err: float, rel_err: float) -> Text:
    return Text(f"{abs_err:.1e} ({rel_err:.0e})")


def print_check(report, console: Console | None = None) -> None:
    """The tables of ``gradviz check``: one per reverse pass, then the verdict."""
    console = console or Console()
    record = report.record
    if not report.passes:
        console.print(Text(f"{report.filename}: no backward() or grad() call: nothing to check",
                           style="bold"))
        return
    console.print(Text(f"{report.filename}: every reverse pass, recomputed in float64, against "
                       f"central finite differences and forward mode (tolerance "
                       f"{report.tol:g})", style="bold"))
    console.print(Text("|Δ fd|, |Δ fwd|: the largest absolute difference from the finite "
                       "difference, from forward mode (rel: over the largest element)",
                       style="dim"))
    for p in report.passes:
        console.print()
        roots = ", ".join(f"{record.nodes[r].name or record.nodes[r].expr} (n{r})"
                          for r in p.roots)
        console.print(Text(f"{p.kind} #{p.pass_no} (line {p.line}) of {roots}", style="bold"))
        table = _table("input", "shape", "gradient (reverse mode)")
        _keep_whole(table.columns[0], [i.name for i in p.inputs], console.width)
        for head in ("|Δ fd| (rel)", "|Δ fwd| (rel)"):
            table.add_column(head, justify="right")
        table.add_column("verdict", overflow="fold")
        _keep_whole(table.columns[-1], [i.status + "¹" for i in p.inputs], console.width)
        # a reason is a sentence: under the table, once, where the verdict
        # column (the last, the narrowest) had it one word a line
        reasons: dict[str, list[str]] = {}
        for i in p.inputs:
            verdict = Text(i.status, style=STATUS_STYLES.get(i.status, ""))
            if i.status != "FAIL" and i.reason:
                reasons.setdefault(i.reason, []).append(i.name)
                verdict.append(superscript(list(reasons).index(i.reason) + 1), style="dim")
            table.add_row(Text(i.name, style="bold"), Text(_shape(i.shape)),
                          _values(i.reverse),
                          _err(i.fd_abs, i.fd_rel) if i.numeric is not None else _NONE,
                          _err(i.fwd_abs, i.fwd_rel) if i.forward is not None else _NONE,
                          verdict)
        console.print(table)
        for k, (reason, names) in enumerate(reasons.items(), 1):
            console.print(Text(f"{superscript(k)} {', '.join(names)}: {reason}", style="dim"))
        sampled = any(i.sampled is not None for i in p.inputs)
        console.print(Text(p.forward_skipped or passes_summary(
            {"jvp_passes": p.jvp_passes, "reverse_passes": 1, "sampled": sampled}),
            style="italic"))
    console.print()
    failures = report.failures
    if failures:
        console.print(Text(f"✗ {len(failures)} of {sum(len(p.inputs) for p in report.passes)} "
                           "gradients failed the check", style="bold red"))
        for msg in report.failure_messages():
            console.print(Text("  " + msg, style="red"))
    else:
        kinks = sum(1 for p in report.passes for i in p.inputs if i.status == "kink")
        changed = sum(1 for p in report.passes for i in p.inputs if i.status == "changed")
        if changed:
            console.print(Text(f"! {changed} gradient(s) read values changed in place after "
                               "they were computed (e.g. through .data), or went through a "
                               "register_hook() that changed them: no rule is wrong, but the "
                               "result is not the derivative (nor is an embedding's padding_idx "
                               "row's: no gradient, by PyTorch's convention; nor ctc_loss's: "
                               "PyTorch's adds exp(log_probs)); through a write into "
                               "overlapping windows PyTorch's two modes differ: the table "
                               "says why",
                               style="bold yellow"))
            return
        text = Text("✓ every gradient agrees", style="bold green")
        if kinks:
            text.append(f" ({kinks} at a kink, where finite differences cannot judge)",
                        style="yellow")
        console.print(text)
