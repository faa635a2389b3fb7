"""Tests for gradviz.render.tables: the terminal tables of `gradviz run`.

Programs run through gradviz.run_source; the tables are rendered to a rich
Console(record=True) and checked as text (and, for colours, as ANSI codes).
The big-graph tests build a record of plain NodeRecords, so that they time
the tables rather than the interpreter.
"""
from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import gradviz
from gradviz.errors import GradvizError
from programs import FAILED_BACKWARDS
from gradviz.numerics import nonfinite_report
from gradviz.record import CONST, OP, PARAM, NodeRecord
from gradviz.render.tables import (
    _fit, _rows_on_lines, _Words, _wrap_after_commas, print_tables,
)
from gradviz.render.torchfmt import format_compact
from rich.text import Text

HERE = Path(__file__).parent
CONFORMANCE = HERE / "conformance"
SAMPLES = HERE.parent / "samples"


def run(source: str, filename: str = "prog.txt"):
    try:
        return gradviz.run_source(source, filename=filename, stdout=io.StringIO())
    except GradvizError as exc:
        assert exc.record is not None
        return exc.record


def render(record, width: int = 100, color: bool = False, **options) -> str:
    console = Console(record=True, width=width, file=io.StringIO(),
                      force_terminal=color, color_system="standard" if color else None)
    print_tables(record, console=console, **options)
    return console.export_text(styles=color)


def render_file(path: Path, width: int = 100, **options) -> str:
    return render(run(path.read_text(), filename=path.name), width, **options)


def cells(text: str, first: str = "id") -> dict[str, dict[str, str]]:
    """A table's cells by row key (its first cell) and column header: each
    column is cut out of the row's lines at the header's positions and its
    wrapped lines joined with a space (spaces squashed). A right-aligned
    column ("line", "visited") is split off the end of its left neighbour."""
    lines = text.splitlines()
    h = next(i for i, line in enumerate(lines)
             if line.startswith(first + " ") and lines[i + 1].startswith("─"))
    found = list(re.finditer(r"\S+(?: \S+)*", lines[h]))
    right = {"line", "visited"}
    names = [m.group() for m in found]
    # cut points: the left-aligned headers' starts
    cuts = [(m.start(), [m.group()]) for m in found if m.group() not in right]
    for m in found:
        if m.group() in right:
            start = max(i for i, (pos, _) in enumerate(cuts) if pos < m.start())
            cuts[start][1].append(m.group())
    bounds = [pos for pos, _ in cuts] + [10_000]
    out: dict[str, dict[str, list[str]]] = {}
    parts: dict[str, list[str]] = {}
    for line in lines[h + 2:]:
        if not line.strip() or line.startswith(("¹", "not retained:", "never computed:", "‡",
                                                "root:", "freed:",
                                                "✗", "⚠", "detached:", "retains_grad:",
                                                "no_grad:")):
            break
        if not line.startswith(" "):
            parts = {name: [] for name in names}
            key = line[:bounds[1]].split("  ")[0].strip()
            while key in out:          # elision rows all start with ⋮
                key += "'"
            out[key] = parts
        for (pos, cols), end in zip(cuts, bounds[1:]):
            piece = line[pos:end].strip()
            if len(cols) == 2 and piece:
                # "backward #1    10": the right-aligned neighbour is the last word
                left, _, tail = piece.rpartition(" ")
                piece, extra = (left.strip(), tail) if left else ("", tail)
                parts[cols[1]].append(extra)
            if piece:
                parts[cols[0]].append(piece)
    return {key: {name: squash(" ".join(p)) for name, p in row.items()}
            for key, row in out.items()}


def squash(text: str) -> str:
    """Runs of spaces as one (a wrapped cell loses its padding at the break)."""
    return " ".join(text.split())


def rows(text: str) -> dict[str, str]:
    """Each graph row's cells as one line, by id: "name | op | ... | flags"."""
    return {key: " | ".join(row.values()) for key, row in cells(text).items()}


def section(text: str, title: str) -> str:
    start = text.index(title)
    end = text.find("\n\n", start)
    return text[start:end if end >= 0 else None]


# ---- the graph table -------------------------------------------------------
def test_seed_detach_rows_show_names_ops_values_grads_and_flags():
    text = render_file(CONFORMANCE / "seed_detach.txt")
    c = cells(text)
    assert list(c) == [f"n{i}" for i in range(10)]          # creation order
    assert c["n0"] == {"id": "n0", "line": "3", "name = expr": "x", "op": "arange",
                       "shape": "[4]", "value": "[0., 1., 2., 3.]",
                       "grad": "[0., 2., 4., 6.]", "flags": "leaf requires_grad"}
    assert c["n1"]["name = expr"] == "y = x * x" and c["n1"]["op"] == "* MulBackward0"
    assert c["n1"]["grad"] == "not retained"
    assert c["n1"]["flags"] == "freed"        # requires_grad is implied for a non-leaf
    assert c["n2"]["op"] == "detach of y" and c["n2"]["flags"] == "leaf detached pruned¹"
    assert c["n3"]["value"] == squash("[ 0.,  1.,  8., 27.]")
    assert (c["n4"]["name = expr"], c["n4"]["op"], c["n4"]["shape"], c["n4"]["value"],
            c["n4"]["flags"]) == ("z.sum()", "sum SumBackward0", "scalar", "36.", "root freed")
    assert c["n5"]["op"] == ".grad of x" and c["n5"]["value"] == "[0., 1., 4., 9.]‡"   # as x.grad == u read it
    assert c["n6"]["shape"] == "[4] bool" and c["n6"]["value"] == "[True, True, True, True]"
    # the notes explain the marks and flags shown, once each
    assert "¹ pruned: backward() skipped it — detached" in text
    assert text.count("not retained: PyTorch keeps .grad on leaves only") == 1
    assert "‡ changed in place later" in squash(text)
    assert "freed: backward() released its saved values" in text
    assert " ".join(text.splitlines()[:2]).replace("  ", " ") == (
        "seed_detach.txt: 10 tensors (5 recorded ops, 5 leaves), 2 backward passes, "
        "1 zero_(), 1 node pruned, 4 freed")


def test_seed_scalar_and_nonscalar():
    c = cells(render_file(CONFORMANCE / "seed_scalar.txt"))
    assert c["n1"]["op"] == "dot DotBackward0" and c["n2"]["value"] == "28."
    assert c["n0"]["grad"] == "[1., 1., 1., 1.]"      # after zero_() and x.sum().backward()
    text = render_file(CONFORMANCE / "seed_nonscalar.txt")
    c = cells(text)
    # y is bound twice: the first binding is marked as old
    assert c["n1"]["name = expr"] == "y (old) = x * x" and c["n4"]["name = expr"] == "y = x * x"
    assert c["n5"]["name = expr"] == "ones(len(x))"     # torch. dropped
    p = cells(section(text, "what flowed in each backward pass"), first="pass")
    assert p["backward #1"] == {"pass": "backward #1", "line": "6", "root": "y.sum() (n2)",
                                "gradient=": "1. (implicit)", "visited": "3", "pruned": "",
                                "graph after": "freed"}
    assert p["backward #2"]["root"] == "y (n4)"
    assert p["backward #2"]["gradient="] == "[1., 1., 1., 1.]"


STEPS = """torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1)
X, y = torch.randn(4, 2), torch.randn(4, 1)
for step in range(3):
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    opt.step()
"""


def test_a_loop_names_each_steps_tensor_by_its_step():
    # steps 0 and 1 were "loss (old) = ... (step=0)", the last "loss = ... (step=2)"
    record = run(STEPS)
    c = cells(render(record, 140))
    losses = [n.id for n in record.nodes if n.name == "loss"]
    assert [c[i]["name = expr"].split(" = ")[0] for i in losses] == [
        f"loss (step={k})" for k in range(3)]
    assert all(c[i]["name = expr"].count("step=") == 1 for i in losses)
    p = cells(section(render(record, 140), "what flowed in each backward pass"), first="pass")
    assert [p[f"backward #{k + 1}"]["root"] for k in range(3)] == [
        f"loss (step={k}) ({i})" for k, i in enumerate(losses)]


def test_a_functions_own_name_says_the_function_not_old():
    # f's parameter x took the name of the tensor f(x * 2) passed: "x (old) = x * 2"
    # read as if the program had bound its x again
    c = cells(render(run("def f(x):\n    return x.sin()\n"
                         "x = torch.tensor([1., 2.], requires_grad=True)\n"
                         "y = f(x * 2)\ny.sum().backward()\n")))
    assert c["n1"]["name = expr"] == "x (in f) = x * 2" and c["n0"]["name = expr"] == "x"


def test_retain_grad_no_grad_and_broadcast():
    c = cells(render_file(CONFORMANCE / "retain_grad.txt"))
    assert c["n1"]["grad"] == squash("[ 1.3333, -2.6667,  4.0000]")
    assert c["n1"]["flags"] == "retains_grad freed"
    assert c["n2"]["grad"] == "not retained" and "root" in c["n3"]["flags"]
    text = render_file(CONFORMANCE / "no_grad.txt")
    c = cells(text)
    assert c["n1"]["name = expr"] == "y = x * 2" and c["n1"]["op"] == "*"   # no grad_fn
    assert c["n1"]["flags"] == "leaf no_grad pruned¹"
    assert "¹ pruned: backward() skipped it — made under no_grad()" in text
    p = cells(section(text, "what flowed"), first="pass")
    assert p["backward #1"]["pruned"] == "y"
    # a reason with parentheses of its own is not put inside more of them
    assert "skipped it (" not in render_file(SAMPLES / "chain_rule.txt")
    c = cells(render_file(CONFORMANCE / "broadcast.txt"))
    assert (c["n2"]["shape"], c["n2"]["value"], c["n2"]["grad"]) == ("scalar", "2.", "21.")
    assert c["n0"]["grad"] == "[[2., 2., 2.], [2., 2., 2.]]"
    # a matrix: one row per line, the second under the first
    lines = render_file(CONFORMANCE / "broadcast.txt").splitlines()
    i = next(i for i, line in enumerate(lines) if line.startswith("n0 "))
    at = lines[i].index("[[1., 2., 3.],")
    assert lines[i + 1][at:at + 14] == " [4., 5., 6.]]"


def test_params_and_dtypes_are_shown():
    c = cells(render_file(CONFORMANCE / "reductions_shapes.txt"))
    assert c["n2"]["op"] == "sum dim=0 SumBackward1"
    assert c["n3"]["op"] == "mean dim=1 keepdim=True MeanBackward1"
    c = cells(render_file(CONFORMANCE / "softmax_ce.txt"))
    assert (c["n1"]["shape"], c["n1"]["value"]) == ("[2] int64", "[0, 1]")
    assert not any("float32" in row["shape"] for row in c.values())


def test_grad_column_none_and_empty():
    record = run("a = tensor([1.0, 2.0], requires_grad=True)\n"
                 "b = tensor([3.0, 4.0])\n"
                 "c = (a * b).sum()\n")
    text = render(record)
    c = cells(text)
    assert (c["n0"]["grad"], c["n0"]["flags"]) == ("None", "leaf requires_grad")
    assert (c["n1"]["grad"], c["n1"]["flags"]) == ("", "leaf")
    assert c["n2"]["grad"] == "never computed"      # (no backward ran: as the picture says)
    assert "0 backward passes" in text.splitlines()[0]
    assert "what flowed" not in text and ".grad of each leaf" not in text


def test_big_tensor_values_are_summarised_with_format_compact():
    record = run("m = arange(12.0, requires_grad=True)\nw = m.reshape(3, 4)\n")
    c = cells(render(record))
    # the shape has its own column, so the summary drops size=
    assert (c["n0"]["shape"], c["n0"]["value"]) == ("[12]", "0. … 11., mean 5.5000")
    assert (c["n1"]["shape"], c["n1"]["value"]) == ("[3, 4]", "0. … 11., mean 5.5000")
    c = cells(render(record, width=80))          # no shape column below 100 columns
    assert "shape" not in c["n1"]
    assert c["n1"]["value"] == "0. … 11., mean 5.5000, size=(3, 4)"


def test_output_is_deterministic():
    path = CONFORMANCE / "matmul_mlp.txt"
    assert render_file(path) == render_file(path)


# ---- the gradient timeline and the passes ----------------------------------
def test_accumulate_timeline_shows_2_4_6_then_4_8_12_then_0():
    text = render_file(CONFORMANCE / "accumulate.txt")
    timeline = section(text, ".grad of each leaf after each backward(), zero_() and .grad = ...")
    t = cells(timeline, first="leaf")
    assert list(t) == ["x"]
    assert t["x"] == {"leaf": "x", "backward #1 (line 4)": "[2., 4., 6.]",
                      "backward #2 (line 6)": squash("[ 4.,  8., 12.]"),
                      "zero_() (line 8)": "[0., 0., 0.]"}
    assert list(t["x"]) == ["leaf", "backward #1 (line 4)", "backward #2 (line 6)",
                            "zero_() (line 8)"]
    p = cells(section(text, "what flowed in each backward pass"), first="pass")
    assert p["backward #1"]["graph after"] == "kept: retain_graph=True"
    assert p["backward #2"]["graph after"] == "freed"
    assert p["backward #2"]["root"] == "y (n2)" and p["backward #2"]["visited"] == "3"


def test_timeline_unchanged_and_none_cells():
    record = run("a = tensor(1.0, requires_grad=True)\n"
                 "b = tensor(2.0, requires_grad=True)\n"
                 "(a * 3).backward()\n"
                 "(b * a).backward()\n"
                 "a.grad.zero_()\n")
    t = cells(section(render(record), ".grad of each leaf"), first="leaf")
    assert list(t["a"].values()) == ["a", "3.", "5.", "0."]
    assert list(t["b"].values()) == ["b", "None", "1.", "unchanged"]


def test_many_events_split_the_timeline_and_elide_the_middle():
    source = "a = tensor(1.0, requires_grad=True)\n" + "(a * 2).backward()\n" * 15
    text = render(run(source), width=80)
    assert "backward #1 (line 2)" in text and "backward #15 (line 16)" in text
    assert "backward #8 (line 9)" not in text
    assert "3 more" in text
    # three columns of events per table at 80 columns: several tables
    assert text.count("leaf ") >= 3


# ---- errors and NaN ---------------------------------------------------------
def test_failing_program_marks_rows_and_points_at_the_line():
    text = render_file(CONFORMANCE / "error_twice.txt")
    assert "failed at line 5" in squash(text.split("id  ")[0])
    c = cells(text)
    assert c["n2"]["flags"] == "error root failed freed"     # backward() on it failed
    assert "error" not in c["n0"]["flags"] + c["n1"]["flags"]
    last = squash(text[text.index("✗ the program"):])
    assert last == ("✗ the program stopped at line 5 (RuntimeError, message above); "
                    "the rows marked error are the tensors that line used")
    assert "Trying to backward" not in text     # the CLI prints the message, not the tables
    text = render_file(CONFORMANCE / "error_shape.txt")
    c = cells(text)
    assert c["n0"]["flags"] == "error leaf requires_grad" and c["n1"]["flags"] == "error leaf"
    assert "0 backward passes" in text and "what flowed" not in text


def test_a_failed_backward_is_flagged_and_listed_with_the_passes():
    text = render(run(FAILED_BACKWARDS), width=120)
    assert squash(text.splitlines()[0]).startswith(
        "prog.txt: 4 tensors (3 recorded ops, 1 leaf), 1 backward pass, "
        "2 failed backward() calls, 2 freed, failed at line 9")
    c = cells(text)
    assert c["n2"]["flags"] == "root failed freed"       # the second y.backward(), caught
    assert c["n3"]["flags"] == "error failed"            # z.backward(): ended the run
    assert "failed" not in c["n0"]["flags"] + c["n1"]["flags"]
    assert "failed: a backward() called on it failed" in squash(text)
    p = cells(section(text, "what flowed in each backward pass"), first="pass")
    assert list(p) == ["backward #1", "backward ✗", "backward ✗'"]    # in the order they ran
    assert p["backward ✗"]["line"] == "5" and p["backward ✗"]["root"] == "y (n2)"
    assert p["backward ✗"]["graph after"] == ("failed: its graph was freed by an earlier "
                                              "backward() (retain_graph=True keeps it) (caught)")
    assert p["backward ✗'"]["line"] == "9" and p["backward ✗'"]["root"] == "z (n3)"
    assert p["backward ✗'"]["graph after"] == ("failed: not a scalar: give gradient= or "
                                               "reduce it first (.sum())")
    # an in-place change: the call fails before any pass, and is still listed
    text = render(run("a = tensor([1.0, 2.0], requires_grad=True)\nb = a.sigmoid()\n"
                      "c = b * 2\nb.add_(1)\nc.sum().backward()\n"), width=120)
    p = cells(section(text, "what flowed in each backward pass"), first="pass")
    assert list(p) == ["backward ✗"] and p["backward ✗"]["root"] == "c.sum() (n4)"
    assert "changed in place" in p["backward ✗"]["graph after"]
    assert cells(text)["n4"]["flags"] == "failed"
    # with --pass, the tables show that pass: no call that failed
    one = render(run(FAILED_BACKWARDS), width=120, pass_no=1)
    assert "✗ " not in one.split("✗ the program")[0] and "failed backward()" not in one
    assert cells(one)["n2"]["flags"] == "root freed"


def test_nan_and_inf_are_red_and_counted():
    source = ("x = tensor([0.0, 1.0, 2.0], requires_grad=True)\n"
              "y = log(x)\n"
              "z = (y * x).sum()\n"
              "z.backward()\n")
    record = run(source)
    text = render(record)
    flat = squash(text)
    assert "⚠ 3 tensors hold NaN/inf; first: log(x) at line 2 (n1, -inf)" in flat
    assert ("⚠ 1 tensor got a NaN/inf gradient; first: the backward of y * x at line 3 "
            "(n2, -inf)") in flat
    c = cells(text)
    assert c["n1"]["value"] == "[ -inf, 0.0000, 0.6931]" and "nan/inf" in c["n1"]["flags"]
    assert c["n0"]["grad"] == "[ nan, 1.0000, 1.6931]" and "nan/inf" in c["n0"]["flags"]
    coloured = render(record, color=True)
    red = "\x1b[1;31m"
    assert red + "[  -inf," in coloured                   # y's value
    assert red + "[   nan," in coloured                   # x's grad
    assert red + "[0., 1., 2.]" not in coloured           # x's value is finite
    assert "[0., 1., 2.]" in coloured


def test_no_colour_codes_without_a_terminal():
    console = Console(record=True, width=100, file=io.StringIO())   # not a TTY
    print_tables(run((CONFORMANCE / "seed_detach.txt").read_text()), console=console)
    assert "\x1b[" not in console.file.getvalue()
    assert "requires_grad" in console.file.getvalue()


# ---- narrow terminals -------------------------------------------------------
@pytest.mark.parametrize("name", ["matmul_mlp", "softmax_ce", "unary_ops", "seed_detach"])
def test_80_columns_keep_words_whole(name):
    text = render_file(CONFORMANCE / f"{name}.txt", width=80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    record = run((CONFORMANCE / f"{name}.txt").read_text())
    words = {n.grad_fn for n in record.nodes if n.grad_fn} | \
        {n.name for n in record.nodes if n.name} | {"requires_grad"}
    for word in words:
        if word == "requires_grad" and "requires_grad" not in text:
            continue
        assert re.search(r"(?<![\w.])" + re.escape(word) + r"(?![\w])", text), word


def test_80_columns_keep_a_grad_tensors_name_whole():
    # "lin.weight.grad" was cut into "lin.weight.g" over "rad": it has no
    # name of its own, only its expression
    text = render(run(
        "lin = nn.Linear(3, 2)\n"
        "x = torch.ones(1, 3, requires_grad=True)\n"
        "h = lin(x)\n"
        "loss = h.pow(2).sum()\n"
        "loss.backward()\n"
        "print(lin.weight.grad)\n"), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    for word in ("lin.weight.grad", "h.pow(2).sum()"):
        assert word in text, word


def test_fit_never_cuts_a_word_under_its_cap_and_prefers_cheap_wraps():
    header = [Text("a"), Text("b"), Text("c")]
    body = [[Text("short"), Text("MulBackward0 x"), Text("[1., 2., 3., 4., 5., 6.]")]] * 5
    widths = _fit([header] + body, [10, 20, 13], width=30)
    assert widths[1] >= len("MulBackward0")
    assert sum(widths) + 2 * 2 <= 30


def test_value_wrapping_keeps_the_brackets_indentation():
    assert _rows_on_lines("[[1., 2.], [3., 4.]]") == "[[1., 2.],\n [3., 4.]]"
    assert _wrap_after_commas("[[ 0.1000, -0.2000],\n [ 0.3000,  0.4000]]", 12) == \
        "[[ 0.1000,\n  -0.2000],\n [ 0.3000,\n   0.4000]]"
    assert _wrap_after_commas("-2.2000 … 1.8000, mean 0.2167, size=(4, 3)", 13) == \
        "-2.2000 … 1.8000,\nmean 0.2167,\nsize=(4, 3)"


def test_value_wrapping_counts_the_comma_a_broken_line_ends_with():
    # a line one comma too long was folded again by rich, mid-row
    row = "[ 1.0725e-04,  1.1714e-06,  3.2706e-04, -2.2158e-04, -7.0660e-05,  3.4080e-04]"
    for width in range(14, len(row) + 1):
        lines = _wrap_after_commas(row, width).split("\n")
        assert max(map(len, lines)) <= width, (width, lines)
        assert " ".join(lines).split() == row.split()


def test_value_wrapping_drops_the_alignment_padding_before_breaking_a_number():
    # PyTorch pads each number to the widest one's width; in a column too
    # narrow for a padded number and its comma, rich cut "[" or "," off it
    row = "[ -15023.5596, -111554.0156,   29103.6797]"
    for width in range(13, len(row) + 1):
        lines = _wrap_after_commas(row, width).split("\n")
        assert max(map(len, lines)) <= width, (width, lines)
        assert "".join(lines).replace(" ", "") == row.replace(" ", "")
        assert all(line.strip() not in ("[", ",", "]") for line in lines)
    assert _wrap_after_commas(row, 13) == "[-15023.5596,\n-111554.0156,\n 29103.6797]"


def test_op_cells_break_long_grad_fn_names_before_a_capital():
    cell = _Words(Text("norm") + Text("  LinalgVectorNormBackward0", style="dim"))
    assert cell.render(40).plain == "norm  LinalgVectorNormBackward0"
    out = cell.render(18)
    assert out.plain == "norm  LinalgVectorNorm\nBackward0"
    assert out.spans[-1].style == "dim" and out.plain[out.spans[-1].start:].startswith("  Linalg")
    assert _Words(Text("x AAAAAAAAAAAA")).render(5).plain == "x AAAAA\nAAAAA\nAA"


# ---- big graphs -------------------------------------------------------------
class _ChainRecord:
    """A record of a long chain y = tanh(y * w + 0.1), built as plain data
    (the interpreter would take longer than the tables)."""

    def __init__(self, n_ops: int, nan_at: int | None = None):
        self.filename = "chain.txt"
        self.error = None
        leaf = np.array([0.5, 1.0], dtype=np.float32)
        nodes = [_node(0, PARAM, "tensor", None, "x", "tensor([0.5, 1.0])", 1, leaf,
                       grad=np.array([0.25, 0.5], dtype=np.float32)),
                 _node(1, CONST, "tensor", None, "w", "tensor(0.9)", 2,
                       np.array(0.9, dtype=np.float32))]
        cycle = (("mul", "*", "MulBackward0", "y * w"), ("add", "+", "AddBackward0", "y * w + 0.1"),
                 ("tanh", "tanh", "TanhBackward0", "tanh(y * w + 0.1)"))
        for k in range(n_ops):
            seq = len(nodes)
            op, symbol, grad_fn, expr = cycle[k % 3]
            value = np.array([0.5, 0.6], dtype=np.float32)
            if seq == nan_at:
                value = np.array([np.nan, 0.6], dtype=np.float32)
            nodes.append(_node(seq, OP, op, grad_fn, "y" if op == "tanh" else None, expr,
                               3 + k // 3, value, symbol=symbol, inputs=[f"n{seq - 1}"]))
        seq = len(nodes)
        nodes.append(_node(seq, OP, "sum", "SumBackward0", "loss", "y.sum()", 3 + n_ops // 3,
                           np.array(1.0, dtype=np.float32), symbol="sum",
                           inputs=[f"n{seq - 1}"]))
        nodes[-1].backward_root = True
        self.nodes = nodes
        self.events = [{"kind": "backward", "pass": 1, "line": 4 + n_ops // 3, "roots": [seq],
                        "seeds": [np.array(1.0, dtype=np.float32)], "implicit_seed": True,
                        "retain_graph": False, "pruned": [],
                        "steps": [{"node": s, "grad": np.ones(2, np.float32), "sent": []}
                                  for s in range(seq, -1, -1)],
                        "leaf_grads": {0: nodes[0].grad}}]
        self.variables = {"x": nodes[0], "w": nodes[1], "y": nodes[-2], "loss": nodes[-1]}
        self.transforms = []      # (no torch.func transform calls: Record.transforms)
        self.nonfinite = nonfinite_report(self)

    @property
    def passes(self):
        return self.events

    def node(self, seq):
        return self.nodes[int(seq[1:]) if isinstance(seq, str) else seq]


def _node(seq, kind, op, grad_fn, name, expr, line, value, symbol=None, inputs=(), grad=None):
    return NodeRecord(id=f"n{seq}", seq=seq, kind=kind, op=op, symbol=symbol or op,
                      grad_fn=grad_fn, inputs=list(inputs), consts=[], params={}, name=name,
                      expr=expr, line=line, col=1, shape=value.shape, dtype="float32",
                      value=value, requires_grad=kind != CONST, is_leaf=kind != OP,
                      retains_grad=False, grad=grad, visited=kind != CONST, freed=kind == OP)


def test_100000_node_chain_is_elided_fast_and_keeps_what_a_reader_looks_for():
    record = _ChainRecord(99_999, nan_at=50_000)     # 100,002 nodes
    start = time.perf_counter()
    text = render(record, width=100, max_rows=60)
    elapsed = time.perf_counter() - start
    assert elapsed < 20.0, elapsed    # guards against formatting every row (minutes), not speed
    c = cells(text)
    shown = [k for k in c if k.startswith("n")]
    gaps = [row for k, row in c.items() if k.startswith("⋮")]
    assert len(shown) == 60
    # the leaves, the named results, the root and the first NaN are all shown
    for seq in (0, 1, 50_000, 100_000, 100_001):
        assert f"n{seq}" in shown, seq
    assert c["n100001"]["flags"] == "root freed"
    assert c["n100000"]["name = expr"] == "y = tanh(y * w + 0.1)"
    assert c["n50000"]["flags"].startswith("nan/inf")
    # each gap says how many nodes it hides and which ops they are
    assert len(gaps) == 2                  # head … NaN … tail
    hidden = [int(re.search(r"… ([\d,]+) more nodes …", g["name = expr"]).group(1)
                  .replace(",", "")) for g in gaps]
    assert sum(hidden) + len(shown) == len(record.nodes)
    assert re.fullmatch(r"\((tanh|mul|add) ×[\d,]+, (tanh|mul|add) ×[\d,]+, "
                        r"(tanh|mul|add) ×[\d,]+\)", gaps[0]["op"]), gaps[0]["op"]
    # the shown ids are in creation order
    assert [int(k[1:]) for k in shown] == sorted(int(k[1:]) for k in shown)
    assert "⚠ 1 tensor holds NaN/inf; first:" in squash(text)
    assert "100,002 tensors" in text.splitlines()[0]


def test_small_graph_with_a_small_row_budget_is_elided_end_to_end():
    source = ("x = tensor([1.0, 2.0], requires_grad=True)\ny = x\n" +
              "y = y * 1.5 + 0.5\n" * 40 + "loss = y.sum()\nloss.backward()\n")
    text = render(run(source), max_rows=12)
    c = cells(text)
    shown = [k for k in c if k.startswith("n")]
    assert len(shown) == 12 and shown[0] == "n0"
    assert shown[-1] == "n81"
    assert c["n81"]["name = expr"] == "loss = y.sum()" and "root" in c["n81"]["flags"]
    assert c["n80"]["name = expr"] == "y = y * 1.5 + 0.5"      # the final binding of y
    gap = next(row for k, row in c.items() if k.startswith("⋮"))
    assert re.fullmatch(r"… [\d,]+ more nodes …", gap["name = expr"])
    assert re.fullmatch(r"\((add|mul) ×\d+, (add|mul) ×\d+\)", gap["op"])


def test_a_very_narrow_terminal_gets_one_block_per_node():
    text = render_file(CONFORMANCE / "accumulate.txt", width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    lines = [line.rstrip() for line in text.splitlines()]
    i = lines.index("n2       y = (x * x).sum()")
    assert lines[i + 1:i + 5] == ["  op     sum  SumBackward0", "  value  14.",
                                  "  grad   not retained", "  flags  root freed"]
    assert "MulBackward0" in text and "requires_grad" in text


def test_values_changed_in_place_later_are_marked():
    record = run("w = tensor([[1.0, 2.0]], requires_grad=True)\n"
                 "t = w.T\n"
                 "loss = (t * 3).sum()\n"
                 "loss.backward()\n"
                 "with no_grad():\n"
                 "    w -= 0.5 * w.grad\n"
                 "u = w.T\n")
    text = render(record)
    c = cells(text)
    by_name = {row["name = expr"].split(" =")[0]: row for row in c.values()}
    assert by_name["w"]["value"] == "[[1., 2.]]‡"      # the value loss was computed with
    assert by_name["t"]["value"].endswith("‡")                  # a view of w: changed too
    assert not by_name["u"]["value"].endswith("‡")              # made after the change
    assert "‡ changed in place later" in squash(text)
    assert record.variables["w"].final_value.tolist() == [[-0.5, 0.5]]


def test_an_augmented_assignment_is_labelled_as_written():
    record = run("x = tensor([0.5, 1.0], requires_grad=True)\ny = x * 3\ny += 1\n"
                 "y.sum().backward()\n")
    text = render(record)
    assert "y += 1" in text and "y = y +=" not in text


def test_an_item_assignment_is_labelled_as_written_and_its_base_by_the_view():
    record = run("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\ny[2] = x[0]\n"
                 "v = y[0:2]\nv[0] = x[2]\ny.sum().backward()\n")
    text = render(record, width=120)
    assert "v[0] = x[2]" in text and "v = v[0]" not in text
    assert "y via v[0] = x[2]" in text               # the base's node, written through v
    assert "y (old)[2] = x[0]" in text and "y = y[2]" not in text   # (y is written again)
    dot = record.to_dot().replace("\\ ", " ")      # (DOT escapes the spaces of a label)
    assert "y[2] = x[0]" in dot and "y via v[0] = x[2]" in dot


# ---- one pass of a training loop (--pass) -----------------------------------
SGD = """x = tensor([1.0, 2.0, 3.0])
y = tensor([3.0, 5.0, 7.0])
w = tensor(0.5, requires_grad=True)
b = tensor(0.0, requires_grad=True)
for step in range(3):
    loss = ((x * w + b - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        w -= 0.05 * w.grad
        b -= 0.05 * b.grad
    if step == 0:
        w.grad.zero_()
        b.grad.zero_()
"""


def test_pass_tables_show_the_pictures_nodes_and_that_passs_gradients():
    from gradviz.render.dot import pass_nodes, to_dot
    r = run(SGD)
    whole = render(r, width=120)
    assert list(cells(whole)) == [f"n{i}" for i in range(len(r.nodes))]
    assert "grad" in cells(whole)["n2"] and "what flowed in each backward pass" in whole
    text = render(r, width=120, pass_no=2)
    c = cells(text)
    # the rows are the nodes the picture of --pass 2 draws, in creation order
    drawn = set(re.findall(r"^\s*(n\d+) \[", to_dot(r, pass_no=2), re.M))
    assert set(c) == drawn == {f"n{s}" for s in pass_nodes(r, 2)}
    assert list(c) == sorted(c, key=lambda i: int(i[1:]))
    assert {r.nodes[int(i[1:])].in_loop for i in c} == {None, "step=1"}
    assert squash(text.splitlines()[0]).startswith(
        f"prog.txt: backward #2 of 3 (line 7, step=1) only: {len(c)} of {len(r.nodes)} tensors")
    # the gradient column is pass 2's: what reached each node, a leaf's .grad after it
    ev = r.passes[1]
    w, b = r.variables["w"], r.variables["b"]
    root = f"n{ev['roots'][0]}"
    assert c[root]["gradient #2"] == "1." and "root" in c[root]["flags"]
    for leaf in (w, b):
        after = float(ev["leaf_grads"][leaf.seq])
        assert after == float(leaf.grads_by_pass[2])       # zeroed after pass 1
        assert c[leaf.id]["gradient #2"] == f"{after:.4f}"
        # the value pass 2 computed with: after step 0's update (as made: 0.5 and 0.)
        assert c[leaf.id]["value"] == f"{float(ev['leaf_values'][leaf.seq]):.4f} at #2"
    assert c[w.id]["value"] != "0.5000 at #2"
    for i, row in c.items():
        g = r.nodes[int(i[1:])].grads_by_pass.get(2)
        if g is not None and i not in (w.id, b.id, root):
            assert row["gradient #2"] == squash(format_compact(g, "float32", 8)), i
    assert "(accumulated)" not in text and "at #2: a value the program changes in place" in text
    # only pass 2's row; the .grad timeline from pass 1 to pass 2
    p = cells(section(text, "what flowed in backward pass #2"), first="pass")
    assert list(p) == ["backward #2"]
    t = cells(section(text, ".grad of each leaf from pass #1 to pass #2"), first="leaf")
    assert list(t) == ["w", "b"]
    assert list(t["w"]) == ["leaf", "backward #1 (line 7)", "zero_() (line 12)",
                            "zero_() (line 13)", "backward #2 (line 7)"]
    assert t["w"]["zero_() (line 12)"] == "0." and t["w"]["zero_() (line 13)"] == "unchanged"


def test_pass_tables_say_when_a_grad_accumulated_and_check_the_pass():
    r = run(SGD)
    text = render(r, width=120, pass_no="last")
    assert text == render(r, width=120, pass_no=3)
    c = cells(text)
    ev = r.passes[2]
    w = r.variables["w"]
    # not zeroed after pass 2: w.grad is passes 2 and 3 summed
    after = float(ev["leaf_grads"][w.seq])
    assert after != float(w.grads_by_pass[3])
    assert c[w.id]["gradient #3"] == f"{after:.4f} (accumulated)"
    assert "(accumulated): the .grad holds earlier passes' gradients too" in squash(text)
    assert "backward #1" not in text and "#2 (line" in text    # (the timeline starts at pass 2)
    for bad, words in ((4, "the program made 3 backward passes"), (0, "pass number")):
        with pytest.raises(GradvizError) as info:
            render(r, pass_no=bad)
        assert info.value.kind == "UsageError" and words in str(info.value)


def test_run_pass_gives_the_tables_of_that_pass(tmp_path):
    from click.testing import CliRunner
    from gradviz import cli
    prog = tmp_path / "sgd.txt"
    prog.write_text(SGD)
    out = CliRunner().invoke(cli.main, ["run", str(prog), "--pass", "2"],
                             env={"COLUMNS": "120"}).output
    assert "backward #2 of 3" in out and "gradient #2" in out
    assert "what flowed in backward pass #2" in out
    assert "(step=0)" not in out and "(step=2)" not in out and "(step=1)" in out
    whole = CliRunner().invoke(cli.main, ["run", str(prog)], env={"COLUMNS": "120"}).output
    assert "(step=0)" in whole and "(step=2)" in whole and "gradient #" not in whole


def test_zero_grad_of_several_parameters_is_one_column_of_the_timeline():
    src = ("w = tensor([1.0, 2.0], requires_grad=True)\nb = tensor(0.5, requires_grad=True)\n"
           "opt = torch.optim.SGD([w, b], lr=0.1)\nfor i in range(2):\n"
           "    opt.zero_grad()\n    ((w * b).sum() ** 2).backward()\n    opt.step()\n"
           "w.grad = None\nb.grad = None\n")
    out = render(run(src), width=200)
    heads = [line for line in out.splitlines() if line.startswith("leaf ")][0]
    assert heads.count(".grad = None (line 5)") == 1
    assert heads.count(".grad = None (line 8)") == 1 and heads.count(".grad = None (line 9)") == 1


def test_a_gap_row_gives_the_lowest_and_highest_line_it_hides():
    src = ("x = tensor(1.0, requires_grad=True)\nh = x\nfor i in range(300):\n"
           "    a = h * 2\n    h = a - 1\nh.backward()\n")
    out = render(run(src), width=120)
    gaps = [line for line in out.splitlines() if line.startswith("⋮")]
    assert gaps and all(re.search(r"\b4–5\b|\b[45]\b", g) for g in gaps)
    assert not any("5–4" in g for g in gaps)


def test_an_optimizer_step_names_the_grads_it_read_and_the_parameters_it_wrote():
    # the rows of a step were all "opt.step()": which .grad, which update?
    rec = run("w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
              "opt = torch.optim.SGD([w], lr=0.5)\n(w * w).sum().backward()\nopt.step()\n")
    c = cells(render(rec, width=140))
    assert c["n3"]["name = expr"] == "w.grad" and c["n3"]["op"] == ".grad of w"
    assert c["n4"]["name = expr"] == "w updated by opt.step()"
    assert c["n4"]["op"] == "+ alpha=-0.5" and c["n4"]["value"] == "[0., 0.]"
    assert [n.inputs for n in rec.nodes][4] == ["n0", "n3"]


def test_the_newer_optimizers_name_the_grads_they_read():
    rec = run("w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
              "opt = torch.optim.NAdam([w], lr=0.5)\n(w * w).sum().backward()\nopt.step()\n")
    grads = [n.expr for n in rec.nodes if n.kind == "grad"]
    assert grads == ["w.grad"]


JACREV = ("x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
          "from torch.func import jacrev\n"
          "print(jacrev(torch.sin)(x))\n")


def test_a_torch_func_transform_call_is_one_row_as_it_is_one_box():
    # jacrev(torch.sin)(x) listed 23 rows: its three autograd.grad passes op
    # by op (the picture draws them as one box)
    text = render(run(JACREV))
    rows = [line.split()[0] for line in text.split("─\n", 1)[1].splitlines()
            if line[:1] in ("n", "ƒ") and line[1:2] in ("", " ") + tuple("0123456789")]
    assert rows == ["n0", "n1", "ƒ", "n22"]            # x, sin (the program's), the call, J
    row = cells(text)["ƒ"]
    assert row["name = expr"] == "jacrev(sin)(x)" and row["op"] == "jacrev (torch.func)"
    assert row["value"] == "row i of the Jacobian: the gradient of output i (reverse mode)"
    assert row["grad"].startswith("20 nodes inside (reshape ×4,")
    assert row["flags"] == "3 grad() passes (#1–#3)"
    assert "ƒ: what one torch.func transform call ran inside" in text
    # (a pass's root with no row of its own says where it is)
    assert cells(text.split("what flowed")[1], "pass")["grad() #2"]["root"] == \
        "jacrev(sin)(x) (n9, inside ƒ)"
    full = render(run(JACREV), expand_transforms=True)
    assert "CosBackward0" in full and "ƒ" not in full
    # a loop of grad steps: one row per step's call, with the step
    src = ("from torch.func import grad\n"
           "w = torch.tensor([1., 2., 3.], requires_grad=True)\n"
           "def loss(w):\n    return (w * w).sum()\n"
           "for step in range(3):\n    w = w - 0.1 * grad(loss)(w)\n")
    text = render(run(src))
    assert text.count("(torch.func)") == 3 and "ExpandBackward0" not in text
    assert cells(text)["ƒ"]["name = expr"] == "grad(loss)(w) (step=0)"     # (the first)


def test_run_expand_transforms_lists_every_op_of_a_transform(tmp_path):
    from click.testing import CliRunner
    from gradviz import cli
    prog = tmp_path / "jac.txt"
    prog.write_text(JACREV)
    run_ = CliRunner().invoke
    out = run_(cli.main, ["run", str(prog)], env={"COLUMNS": "100"}).output
    assert "(torch.func)" in out and "CosBackward0" not in out
    out = run_(cli.main, ["run", str(prog), "--expand-transforms"], env={"COLUMNS": "100"}).output
    assert "(torch.func)" not in out and out.count("CosBackward0") == 3


def test_a_long_name_breaks_before_a_capital_or_after_an_underscore():
    # (the op counts of a torch.func row at 80 columns read 'index_backwar' / 'd ×3')
    from gradviz.render.tables import camel_lines
    assert camel_lines("LinalgVectorNormBackward0", 18) == "LinalgVectorNorm\nBackward0"
    assert camel_lines("index_backward", 10) == "index_\nbackward"
    assert camel_lines("abcdefghijkl", 5) == "abcde\nfghij\nkl"
