"""Forward mode: JVP passes over the tape, `run --mode forward|both`, and the
proof that forward and reverse mode agree (within float32 rounding) on every
conformance program and on random programs.

(The JVP rule of every op is checked against finite differences in
test_gradcheck_ops.py; here it is the engine that pushes tangents.)
"""
from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

import gradviz
from gradviz import forward
from gradviz.cli import main
from gradviz.errors import GradvizError
from gradviz.ops import OPS
from gradviz.render.modes import BY_DESIGN, print_forward_mode
from gradviz.tape import RunOptions, Tape
from gradviz.tensor import Tensor
from sweeps import KNOWN_CHECK_GAPS, Repeats

HERE = Path(__file__).parent
ROOT = HERE.parent
CONFORMANCE = sorted(list((HERE / "conformance").glob("*.txt"))
                     + list((HERE / "conformance_extra").glob("*.txt")))
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))

MLP = (ROOT / "samples" / "mlp.txt").read_text()


def run(src: str, mode="both", direction=None):
    """Run with forward mode; a failing program gives the record so far."""
    opts = RunOptions(forward_mode=mode, direction=direction)
    try:
        return gradviz.run_source(src, stdout=io.StringIO(), options=opts)
    except GradvizError as exc:
        assert exc.record is not None, exc.message
        return exc.record


def _by_design(entry) -> bool:
    """The pass went through hooks or an op where PyTorch's own two modes
    differ (the report's list of them)."""
    return bool(entry["hooked"]) or any(entry[key] for key, _ in BY_DESIGN)


def disagreements(record) -> list:
    """(pass, input, forward, reverse) where the modes differ, but for
    passes with hooks, which change reverse mode's gradient by design, and
    through an embedding's padding_idx (PyTorch's own modes differ there)."""
    out = []
    for entry in record.forward_mode["passes"]:
        if entry["skipped"] is not None:
            # (the reasons a whole pass is skipped on a small program)
            assert "a custom torch.autograd.Function" in entry["skipped"] or \
                "changed in place under torch.no_grad()" in entry["skipped"], entry["skipped"]
            continue
        if _by_design(entry):
            continue
        for item in entry["inputs"]:
            assert item["agree"] is not None
            if not item["agree"]:
                out.append((entry["pass"], item["name"], item["grad"], item["reverse"]))
    return out


# ---- the engine ------------------------------------------------------------

def test_jacobian_is_built_column_by_column():
    r = gradviz.run_source("W = tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\n"
                           "x = tensor([1.0, -1.0, 0.5], requires_grad=True)\n"
                           "y = tanh(W @ x)\n", stdout=io.StringIO())
    x, y = r.tensors[1], r.tensors[-1]
    jac = forward.jacobian(y, [x])
    want = (1 - np.tanh(r.nodes[0].value @ x.data) ** 2)[:, None] * r.nodes[0].value
    assert jac.shape == (2, 3)
    np.testing.assert_allclose(jac, want, rtol=1e-6)


def test_push_tangents_seeds_a_direction_and_broadcasts():
    r = gradviz.run_source("a = tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                           "s = tensor(2.0, requires_grad=True)\n"
                           "y = a * s + s\n", stdout=io.StringIO())
    a, s, y = r.tensors[0], r.tensors[1], r.tensors[-1]
    order = forward.backward_graph([y])
    t = forward.push_tangents(order, {s: np.array(1.0, np.float32)})
    # dy/ds = a + 1, broadcast to y's shape although s is a scalar
    np.testing.assert_allclose(t[y], [2.0, 3.0, 4.0])
    t = forward.push_tangents(order, {a: np.array([0.0, 1.0, 0.0], np.float32)})
    np.testing.assert_allclose(t[y], [0.0, 2.0, 0.0])


def test_a_100000_node_chain_needs_no_recursion():
    # built on a tape directly: the interpreter's own speed is not the point
    tape = Tape()
    x = tape.add(Tensor(np.array(0.5, np.float32), requires_grad=True))
    y = x
    for _ in range(100_000):
        y = tape.apply(OPS["mul"], (y, 1.0))
    order = forward.backward_graph([y])
    assert len(order) == 100_001
    (g,) = forward.forward_gradients([y], [np.array(2.0, np.float32)], [x], order)
    assert float(g) == 2.0


def test_pass_counts_one_per_input_element():
    r = run(MLP)
    (entry,) = r.forward_mode["passes"]
    assert [(i["name"], i["passes"]) for i in entry["inputs"]] == [("W1", 6), ("b1", 3),
                                                                    ("W2", 3)]
    assert entry["jvp_passes"] == 12 and entry["reverse_passes"] == 1
    assert entry["outputs"] == 1


def test_forward_mode_sees_the_values_of_its_backward_call():
    """w changes after the first backward (an SGD step, then zero_()): the
    first pass's forward-mode gradient is that of the old w."""
    src = ("w = tensor([1.0, 2.0], requires_grad=True)\n"
           "loss = (w * w).sum()\nloss.backward()\n"
           "with torch.no_grad():\n    w -= 0.5 * w.grad\n"
           "w.grad.zero_()\nloss = (w * w * w + w).sum()\nloss.backward()\n")
    r = run(src)
    first, second = r.forward_mode["passes"]
    np.testing.assert_array_equal(first["inputs"][0]["grad"], [2.0, 4.0])
    np.testing.assert_array_equal(second["inputs"][0]["grad"], [1.0, 1.0])  # w is 0 now
    assert disagreements(r) == []


def test_grad_calls_and_nonleaf_inputs():
    src = ("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * x\nz = (y * x).sum()\n"
           "gy, gx = grad(z, [y, x])\n")
    r = run(src)
    (entry,) = r.forward_mode["passes"]
    assert entry["kind"] == "grad"
    grads = {i["name"]: i["grad"] for i in entry["inputs"]}
    np.testing.assert_allclose(grads["y"], [1.0, 2.0])      # dz/dy holding x fixed
    np.testing.assert_allclose(grads["x"], [3.0, 12.0])     # the total derivative
    assert disagreements(r) == []


def test_a_failed_backward_has_no_forward_entry():
    src = ("x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\n"
           "y.backward()\ny.backward()\n")
    r = run(src)
    assert [e["pass"] for e in r.forward_mode["passes"]] == [1]


def test_too_much_work_is_skipped_with_a_note(monkeypatch):
    monkeypatch.setattr(forward, "MAX_NODE_VISITS", 10)
    r = run(MLP)
    (entry,) = r.forward_mode["passes"]
    assert "use --direction" in entry["skipped"]


# ---- directions ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("1,0,0", [1.0, 0.0, 0.0]), ("1 0 0", [1.0, 0.0, 0.0]), ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
    ("2.5", 2.5), ('{"x": [1, 0]}', {"x": [1, 0]}),
])
def test_parse_direction(text, want):
    assert forward.parse_direction(text) == want


@pytest.mark.parametrize("text", ["abc", '["a"]', '{"x": "y"}', "true"])
def test_parse_direction_rejects(text):
    with pytest.raises(GradvizError, match="--direction"):
        forward.parse_direction(text)


@pytest.mark.parametrize("direction", [[1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1],
                                       {"W1": [0, 0, 1, 0, 0, 0], "W2": 1.0}, 0.5])
def test_one_directional_pass_agrees_with_reverse(direction):
    r = run(MLP, direction=direction)
    (entry,) = r.forward_mode["passes"]
    d = entry["direction"]
    assert entry["jvp_passes"] == 1 and d["agree"] is True
    np.testing.assert_allclose(d["value"], d["reverse_value"], rtol=1e-5)
    # the tangent column: one per node of the graph, the root's is the answer
    root = entry["roots"][0]
    assert float(d["tangents"][root]) == pytest.approx(d["value"])
    assert sorted(d["tangents"]) == list(d["tangents"])


def test_a_direction_that_does_not_fit_is_explained():
    r = run(MLP, direction=[1.0, 2.0])
    assert "has 2 numbers; this pass's inputs (W1 [3, 2], b1 [3], W2 [1, 3]) have 12" in \
        r.forward_mode["passes"][0]["skipped"]
    r = run(MLP, direction={"nope": 1})
    assert "names 'nope'" in r.forward_mode["passes"][0]["skipped"]


# ---- forward and reverse agree ---------------------------------------------------------

# the sweep's node visits of column-by-column forward mode per program:
# forward mode takes one JVP pass per input element, and LeNet's 61,706
# weights, or a training loop's 169 passes, take a minute of it. The passes
# past the budget are checked along one random direction instead (one JVP
# pass against <reverse gradient, direction>), which a wrong rule fails as
# surely; the program's first passes keep their Jacobian's every column.
SWEEP_NODE_VISITS = 30_000
REPEATS = "the sweep checked this graph at pass"


class SweepRecorder(forward.ForwardRecorder):
    """The recorder of ``--mode both`` with one budget for the whole program."""

    def __init__(self, *args, monkeypatch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.left = SWEEP_NODE_VISITS
        self.monkeypatch = monkeypatch
        self.repeats = Repeats()

    def __call__(self, rt, kind, roots, seeds, inputs) -> None:
        # (a pass whose graph repeats a checked one, a training loop's next
        # step: recorded without its JVP passes, see sweeps.py)
        first = self.repeats.seen(roots, inputs, rt.tape.backward_passes + 1)
        self.monkeypatch.setattr(forward, "MAX_NODE_VISITS", self.left if first is None else 0)
        super().__call__(rt, kind, roots, seeds, inputs)
        entry = self.entries[-1]
        if first is not None and entry["skipped"] is not None and entry["jvp_passes"]:
            entry["skipped"] = f"{REPEATS} {first}"
            return
        if entry["skipped"] is None and entry["direction"] is None:
            self.left -= entry["jvp_passes"] * max(entry["graph_nodes"], 1)


@pytest.mark.parametrize("case", CONFORMANCE + SAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_forward_and_reverse_agree_on_every_program(case, monkeypatch):
    if case.stem in KNOWN_CHECK_GAPS:
        pytest.skip(KNOWN_CHECK_GAPS[case.stem])
    original = forward.ForwardRecorder
    monkeypatch.setattr(forward, "ForwardRecorder",
                        lambda *a: SweepRecorder(*a, monkeypatch=monkeypatch))
    r = run(case.read_text())
    monkeypatch.setattr(forward, "ForwardRecorder", original)
    over = {e["pass"]: e for e in r.forward_mode["passes"]
            if e["skipped"] is not None and "forward mode's budget" in e["skipped"]}
    for e in r.forward_mode["passes"]:
        if e["skipped"] is not None and e["skipped"].startswith(REPEATS):
            e["skipped"] = None         # (its graph was checked at an earlier pass)
            for item in e["inputs"]:
                item["agree"] = True
    for e in over.values():
        e["skipped"] = None             # (checked along a direction below)
        for item in e["inputs"]:
            item["agree"] = True
    assert disagreements(r) == []
    ran = [e["kind"] for e in r.events if e["kind"] in ("backward", "grad")]
    assert len(r.forward_mode["passes"]) == len(ran)
    # the passes over the budget, by their inputs' size: a direction of that
    # size, which the passes of another size skip (as --direction does)
    for size in sorted({e["jvp_passes"] for e in over.values()}):
        direction = np.random.default_rng(size).uniform(-1, 1, size).round(3).tolist()
        d = run(case.read_text(), direction=direction)
        checked = [e for e in d.forward_mode["passes"] if e["pass"] in over
                   and over[e["pass"]]["jvp_passes"] == size]
        assert checked
        for e in checked:
            if not _by_design(e):
                assert along_agrees(e), (case.stem, e["pass"], e["direction"])


def along_agrees(entry) -> bool:
    """A directional pass's answer against <reverse gradient, direction>,
    within float32 rounding of the sum's terms (a sum that cancels is noise
    at the scale of its largest terms, not of its value)."""
    d = entry["direction"]
    terms = [np.asarray(i["reverse"], np.float64) * np.asarray(i["tangent"], np.float64)
             for i in entry["inputs"] if i["reverse"] is not None]
    scale = sum(float(np.abs(t).sum()) for t in terms)
    return abs(d["value"] - d["reverse_value"]) <= 1e-4 * scale + 1e-6


def test_a_hooked_pass_says_why_the_modes_differ():
    src = ("x = tensor([1.0, 2.0], requires_grad=True)\nx.register_hook(lambda g: g * 2)\n"
           "(x * x).sum().backward()\n")
    r = run(src)
    (entry,) = r.forward_mode["passes"]
    assert entry["hooked"] == [0] and entry["inputs"][0]["agree"] is False
    out = io.StringIO()
    print_forward_mode(r, Console(file=out, width=200))
    assert "a register_hook() (x) changed the gradient on its way back" in out.getvalue()


# programs whose two modes differ by PyTorch's design: the entry's flag, and
# what the report says about it
DIFFERING_BY_DESIGN = {
    "padded": ("import torch.nn as nn\nemb = nn.Embedding(3, 2, padding_idx=0)\n"
               "emb(torch.tensor([0, 1])).sum().backward()\n",
               "padding_idx row gets no gradient in reverse mode"),
    "triangle": ("A = tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)\n"
                 "w, V = torch.linalg.eigh(A)\n"
                 "(V * tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()\n",
                 "read one triangle of a symmetric matrix"),
    "singular": ("A = tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)\n"
                 "torch.linalg.det(A).backward(create_graph=True)\n",
                 "det of a singular matrix: with create_graph reverse mode"),
    "ctc": ("lp = tensor([[[-0.5, -1.0, -2.0]], [[-1.5, -0.3, -2.5]]], requires_grad=True)\n"
            "torch.nn.functional.ctc_loss(lp, tensor([[1]]), [2], [1]).backward()\n",
            "ctc_loss: reverse mode gives PyTorch's gradient"),
    "windows": ("v = torch.tensor(0.5, requires_grad=True)\nz = torch.arange(6.0)\n"
                "z.unfold(0, 2, 1).add_(v)\n(z * z).sum().backward()\n",
                "an in-place write into overlapping windows"),
    "scatter": ("x = torch.zeros(6, requires_grad=True)\n"
                "torch.as_strided_scatter(x, torch.ones(2), (2,), (2,), 1).sum().backward()\n",
                "as_strided_scatter: reverse mode gives PyTorch's gradient"),
}


@pytest.mark.parametrize("flag", sorted(DIFFERING_BY_DESIGN))
def test_a_pass_says_why_the_modes_differ_by_design(flag):
    src, said = DIFFERING_BY_DESIGN[flag]
    r = run(src)
    (entry,) = r.forward_mode["passes"]
    assert entry[flag] and entry["inputs"][0]["agree"] is False
    out = io.StringIO()
    print_forward_mode(r, Console(file=out, width=200))
    assert said in out.getvalue()


def test_a_wrong_jvp_is_marked(monkeypatch):
    """The comparison can fail: a JVP of mul off by a factor 2."""
    good = OPS["mul"]
    wrong = (lambda t, ans, xs, p: 2 * t * xs[1], good.jvp[1])
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(good, jvp=wrong))
    r = run((ROOT / "samples" / "chain_rule.txt").read_text())
    assert [d[1] for d in disagreements(r)] == ["x"]


# small random programs: leaves of shapes (), (3,) and (2, 3), which all
# broadcast together, elementwise ops, reductions back to (3,), detach, and
# sometimes an SGD step and a second backward
UNARY = ("exp", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "square", "neg")
SHAPES = {"()": "{a}", "(3,)": "[{a}, {b}, {c}]",
          "(2, 3)": "[[{a}, {b}, {c}], [{c}, {a}, {b}]]"}
NUMBERS = st.sampled_from([-1.5, -1.0, -0.5, -0.25, 0.0, 0.3, 0.5, 1.0, 1.25, 2.0])


@st.composite
def small_programs(draw) -> str:
    lines = []
    names = []
    for k in range(draw(st.integers(1, 3))):
        shape = draw(st.sampled_from(sorted(SHAPES)))
        a, b, c = (draw(NUMBERS) for _ in range(3))
        lines.append(f"p{k} = tensor({SHAPES[shape].format(a=a, b=b, c=c)}, "
                     "requires_grad=True)")
        names.append(f"p{k}")
    params = list(names)
    for k in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "detach"]))
        x = draw(st.sampled_from(names))
        if kind == "unary":
            expr = f"{draw(st.sampled_from(UNARY))}({x})"
        elif kind == "binary":
            y = draw(st.sampled_from(names))
            op = draw(st.sampled_from(["+", "-", "*", "/"]))
            expr = f"{x} / ({y} * {y} + 1.0)" if op == "/" else f"{x} {op} {y}"
        elif kind == "reduce":
            expr = draw(st.sampled_from([f"{x}.sum()", f"{x}.mean()", f"softmax({x}, dim=-1)",
                                         f"{x}.unsqueeze(0).squeeze(0)", f"{x} * 2.0"]))
        else:
            expr = f"{x}.detach() * {x}"
        lines.append(f"v{k} = {expr}")
        names.append(f"v{k}")
    loss = names[-1]
    # every parameter in the loss, so that each has a .grad for the SGD step
    lines.append(f"loss = ({loss} * {loss}).sum() + 0.1 * ("
                 + " + ".join(f"{p}.sum()" for p in params) + ")")
    lines.append("loss.backward()")
    if draw(st.booleans()):
        p = draw(st.sampled_from(params))
        lines += ["with torch.no_grad():", f"    {p} -= 0.1 * {p}.grad",
                  f"loss2 = (sigmoid({p}) * {p}).sum()", "loss2.backward()"]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(small_programs())
def test_forward_and_reverse_agree_on_random_programs(src):
    r = run(src)
    assert r.forward_mode["passes"], src
    assert disagreements(r) == [], src


def _differential_programs():
    """The differential test's generator, when it can be imported (it needs
    torch); None otherwise."""
    try:
        import test_differential
    except BaseException:        # pytest's Skipped when torch is missing
        return None
    return getattr(test_differential, "programs", None)


DIFFERENTIAL = _differential_programs()


@pytest.mark.skipif(DIFFERENTIAL is None, reason="the differential test's generator needs torch")
@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(st.data())
def test_forward_and_reverse_agree_on_the_differential_programs(data):
    src = data.draw(DIFFERENTIAL())
    r = run(src)
    assert disagreements(r) == [], src


# ---- the command line -----------------------------------------------------------------

def cli(*args):
    return CliRunner().invoke(main, [*args, "--color", "never"], catch_exceptions=False)


def test_run_both_shows_both_modes_and_the_pass_counts(tmp_path):
    result = cli("run", str(ROOT / "samples" / "mlp.txt"), "--mode", "both")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "forward-mode" in out and "reverse-mode" in out and "✓" in out
    assert ("forward mode: 12 passes (one per input element), reverse mode: 1 pass (one per "
            "output) — why deep learning uses reverse mode") in " ".join(out.split())


def test_run_both_marks_a_disagreement(monkeypatch):
    good = OPS["mul"]
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(
        good, jvp=(lambda t, ans, xs, p: 2 * t * xs[1], good.jvp[1])))
    result = cli("run", str(ROOT / "samples" / "chain_rule.txt"), "--mode", "both")
    assert "✗ differs" in result.output


def test_run_forward_with_a_direction_shows_tangents():
    result = cli("run", str(ROOT / "samples" / "chain_rule.txt"), "--mode", "forward",
                 "--direction", "1,0,0")
    assert result.exit_code == 0
    assert "tangent" in result.output and "directional derivative" in result.output
    assert "1 pass along the direction" in result.output


def test_reverse_is_the_default_and_unchanged():
    plain = cli("run", str(ROOT / "samples" / "mlp.txt"))
    reverse = cli("run", str(ROOT / "samples" / "mlp.txt"), "--mode", "reverse")
    assert plain.output == reverse.output
    assert "forward mode" not in plain.output


@pytest.mark.parametrize("args", [["--direction", "1"], ["--mode", "forward", "--direction", "x"],
                                  ["--mode", "sideways"]])
def test_bad_mode_options_are_usage_errors(args):
    result = CliRunner().invoke(main, ["run", str(ROOT / "samples" / "mlp.txt"), *args])
    assert result.exit_code == 2


def test_json_carries_forward_mode_only_when_asked(tmp_path):
    out = tmp_path / "r.json"
    cli("run", str(ROOT / "samples" / "accumulate.txt"), "--no-tables", "--json", str(out))
    assert "forward_mode" not in json.loads(out.read_text())
    cli("run", str(ROOT / "samples" / "accumulate.txt"), "--no-tables", "--json", str(out),
        "--mode", "both")
    fm = json.loads(out.read_text())["forward_mode"]
    assert fm["mode"] == "both" and len(fm["passes"]) == 2
    item = fm["passes"][0]["inputs"][0]
    assert item == {"node": "n0", "name": "x", "shape": [3], "passes": 3,
                    "forward_grad": [2.0, 4.0, 6.0], "reverse_grad": [2.0, 4.0, 6.0],
                    "agree": True, "tangent": None}


def test_values_for_a_graph_table_column():
    from gradviz.render.modes import forward_values_by_node
    assert forward_values_by_node(gradviz.run_source(MLP, stdout=io.StringIO())) == {}
    r = run(MLP)
    by_node = forward_values_by_node(r)
    assert [r.nodes[seq].name for seq in sorted(by_node)] == ["W1", "b1", "W2"]
    w2 = r.forward_mode["passes"][0]["inputs"][2]
    np.testing.assert_array_equal(by_node[w2["node"]], w2["grad"])
    tangents = forward_values_by_node(run(MLP, direction=1.0))
    assert len(tangents) > 3
