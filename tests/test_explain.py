"""gradviz explain: the backward pass step by step (terminal, SVG frames, HTML)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import gradviz
from gradviz.cli import main
from gradviz.errors import GradvizError
from gradviz.explain import LEAF, NODE, PRUNED, SEED, explain_record, step_lines
from gradviz.render.frames import frame_states, pass_pictures
from gradviz.render.html import explanation_html

HERE = Path(__file__).parent
ROOT = HERE.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
CONFORMANCE = sorted((HERE / "conformance").glob("*.txt"))

DOT = """x = tensor([1.0, 2.0, 3.0], requires_grad=True)
y = 2 * dot(x, x)
y.backward()
"""
# x reaches y along two different branches, joined at the leaf
BRANCHES = """x = tensor([1.0, 2.0], requires_grad=True)
a = x * 2
b = x * 3
y = (a + b).sum()
y.backward()
"""
NONSCALAR = """x = arange(3.0, requires_grad=True)
y = x * x
y.backward(tensor([1.0, 0.5, 2.0]))
"""


def run(src: str):
    return gradviz.run_source(src, stdout=open(os.devnull, "w"))


def cli(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def lines_of(ex, step, kind=None) -> list[str]:
    return [t for k, t in step_lines(ex, step) if kind is None or k == kind]


# ---- the steps ---------------------------------------------------------------


def test_steps_of_two_times_dot_in_engine_order_with_their_numbers():
    ex = explain_record(run(DOT))
    nodes = ex.record.nodes
    assert [(s.number, s.kind) for s in ex.steps] == [(1, SEED), (2, NODE), (3, NODE),
                                                      (4, LEAF)]
    seed, mul, dot, leaf = ex.steps
    assert seed.node == mul.node and nodes[mul.node].op == "mul"
    assert nodes[dot.node].op == "dot" and nodes[leaf.node].name == "x"
    assert float(seed.g) == 1.0 and float(mul.g) == 1.0 and float(dot.g) == 2.0
    # 2 * dot(x, x): the contribution to dot(x, x) is g * 2
    (sent,) = mul.sent
    assert sent.to == dot.node and sent.formula == "d(a*b)/db = a"
    assert sent.bindings == ("a = 2",) and float(sent.value) == 2.0
    assert "g · a = 1. · 2 = 2." in lines_of(ex, mul, "product")
    # dot(x, x) sends 2x to x twice; the second completes the sum
    assert [s.to for s in dot.sent] == [leaf.node, leaf.node]
    for s in dot.sent:
        np.testing.assert_allclose(s.value, [2.0, 4.0, 6.0])
    assert dot.sent[0].join is None and dot.sent[1].join is not None
    np.testing.assert_allclose(dot.sent[1].total, [4.0, 8.0, 12.0])
    np.testing.assert_allclose(leaf.g, [4.0, 8.0, 12.0])
    assert leaf.before is None
    np.testing.assert_allclose(leaf.after, [4.0, 8.0, 12.0])
    assert lines_of(ex, leaf, "grad") == ["x.grad = None → [ 4.,  8., 12.] (AccumulateGrad)"]


def test_a_branch_join_shows_the_sum_where_the_last_contribution_arrives():
    ex = explain_record(run(BRANCHES))
    nodes = ex.record.nodes
    by_name = {nodes[s.node].name: s for s in ex.steps if s.kind == NODE}
    a, b = by_name["a"], by_name["b"]
    # the engine runs b (made later) before a: a's contribution is the last
    assert b.number < a.number
    assert b.sent[0].join is None and "added into x (1st of 2)" in lines_of(ex, b)
    (sum_line,) = lines_of(ex, a, "sum")
    assert sum_line == "x has all 2 contributions: [3., 3.] + [2., 2.] = [5., 5.]"
    leaf = ex.steps[-1]
    assert leaf.kind == LEAF and [src for src, _ in leaf.parts] == ["b", "a"]
    assert lines_of(ex, leaf, "g") == ["g = [3., 3.] + [2., 2.] = [5., 5.]"]


def test_the_same_input_twice_says_which_slot_each_contribution_came_from():
    ex = explain_record(run((ROOT / "samples" / "chain_rule.txt").read_text()))
    leaf = ex.steps[-1]
    assert [src for src, _ in leaf.parts] == ["a, as u", "a, as v"]


def test_a_formulas_letters_never_read_as_the_programs_names():
    # chain_rule binds x, a, b, c, z: its a = x * x read "→ x (as a):
    # d(a*b)/da = b, with b = x", and sum's "d sum(x)/dx_i" was about z
    ex = explain_record(run((ROOT / "samples" / "chain_rule.txt").read_text()))
    rules = [text for step in ex.steps for kind, text in step_lines(ex, step) if kind == "rule"]
    assert rules == ["→ z: d sum(z)/dz_i = 1",
                     "→ sin(a) (as u): d(u+b)/du = 1",      # b: the program's b
                     "→ a: d sin(a)/da = cos(a)",
                     "→ x (as u): d(u*v)/du = v, with v = x",
                     "→ x (as v): d(u*v)/dv = u, with u = x"]
    assert "g · cos(a) = " in " ".join(text for step in ex.steps
                                       for _, text in step_lines(ex, step))
    # a letter the program does not use stays, tied to its argument
    ex = explain_record(run("x = torch.tensor([1., 2.], requires_grad=True)\n"
                            "(x * x).sum().backward()\n"))
    rules = [text for step in ex.steps for kind, text in step_lines(ex, step) if kind == "rule"]
    assert rules[0] == "→ x * x (as u): d sum(u)/du_i = 1"
    assert rules[1] == "→ x (as a): d(a*b)/da = b, with b = x"
    # nor is the explanation's g (the incoming gradient) written for a program's g
    ex = explain_record(run("x = torch.tensor([1., 2.], requires_grad=True)\n"
                            "g = x * x\ng.sum().backward()\n"))
    rules = [text for step in ex.steps for kind, text in step_lines(ex, step) if kind == "rule"]
    assert rules[0] == "→ g (as u): d sum(u)/du_i = 1"


def test_the_incoming_gradient_is_never_written_as_a_programs_name(tmp_path):
    # a program's g (and G) read as the incoming gradient: the seed step said
    # "g = 1." of `g = x * x`, and mm's "A^T @ G, with G = g, A = G" of the
    # program's G
    src = ("x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)\n"
           "G = x.softmax(0)\ng = G @ x\ng.sum().backward()\n")
    ex = explain_record(run(src))
    text = [t for step in ex.steps for _, t in step_lines(ex, step)]
    assert ex.g == "γ" and text[0] == "γ = 1."
    assert "→ x: d(A@x)/dx = A^T @ Γ, with Γ = γ, A = G" in text
    assert "→ x: d softmax(x)/dx = s * (γ - sum(γ*s))" in text
    assert not any(t.startswith("g = ") or "G = g" in t for t in text)
    states = frame_states(ex, ex.steps)
    assert states[0].texts[ex.steps[-1].node] == "γ = ?  (not reached yet)"
    (tmp_path / "g.txt").write_text(src)
    out = cli("explain", tmp_path / "g.txt", "--color", "never").output
    assert "upstream γ · local derivative" in out and "γ is the gradient that reached" in out
    # nor as a program's γ (a name too)
    ex = explain_record(run("x = torch.tensor([1., 2.], requires_grad=True)\n"
                            "g = x * x\nγ = g.sum()\nγ.backward()\n"))
    assert ex.g == "δ" and lines_of(ex, ex.steps[0], "g") == ["δ = 1."]
    # a program without g keeps g
    ex = explain_record(run(DOT))
    assert ex.g == "g" and lines_of(ex, ex.steps[0], "g") == ["g = 1."]


def test_the_pieces_one_module_call_makes_are_told_apart_by_their_op():
    """nn.Linear's .t() of its weight is titled as itself (net[0].weight.T)
    and its addmm as the layer's output ("net[0] in net(x)", named by its
    op too), so "B = ..." is not the step's own node."""
    ex = explain_record(run("torch.manual_seed(0)\nnet = nn.Sequential(nn.Linear(2, 2))\n"
                            "x = torch.ones(1, 2, requires_grad=True)\nnet(x).sum().backward()\n"))
    addmm = next(s for s in ex.steps if s.kind == NODE and ex.record.node(s.node).op == "addmm")
    text = " ".join(lines_of(ex, addmm))
    assert "B = net[0].weight.T" in text and "→ net[0].weight.T" in text
    assert ex.label(addmm.node) == "net[0] in net(x)"    # (no other node has its title)
    # a program's own expressions keep their text: x * i in a loop is one op
    loop = explain_record(run("w = tensor([1.0, 2.0], requires_grad=True)\ns = tensor(0.0)\n"
                              "for i in range(2):\n    s = s + (w * i).sum()\ns.backward()\n"))
    assert "w * i" in [loop.label(s.node) for s in loop.steps if s.kind == NODE]


def test_pruned_branches_and_the_implicit_seed_are_steps_of_their_own():
    ex = explain_record(run((ROOT / "samples" / "chain_rule.txt").read_text()))
    nodes = ex.record.nodes
    kinds = [s.kind for s in ex.steps]
    assert kinds == [SEED, NODE, NODE, PRUNED, NODE, NODE, LEAF]
    pruned = ex.steps[3]
    assert nodes[pruned.pruned].name == "b" and nodes[pruned.node].name == "z"
    assert [nodes[s].name for s in pruned.branch] == ["c", "b"]
    text = " ".join(lines_of(ex, pruned))
    assert "needs no gradient" in text and "(c)" in text
    # z.sum().backward(): the implicit 1, and the implicit ones sum hands z
    seed = ex.steps[0]
    assert seed.sum_root is not None and nodes[seed.sum_root].name == "z"
    assert "implicit ones [1., 1., 1.]" in " ".join(lines_of(ex, seed))


def test_the_implicit_ones_name_a_method_call_without_extra_parentheses():
    ex = explain_record(run("h = tensor([1.0, 2.0], requires_grad=True)\n"
                            "(h.pow(2)).sum().backward()\n"
                            "(h * 2).sum().backward()\n"))
    notes = [" ".join(lines_of(ex, s)) for s in ex.steps if s.kind == SEED]
    assert "the same as h.pow(2).backward(torch.ones_like(h.pow(2)))" in notes[0]
    assert "the same as (h * 2).backward(" in notes[1]


def test_a_detach_is_a_pruned_step_with_its_reason():
    ex = explain_record(run((ROOT / "samples" / "seed_detach.txt").read_text()), 1)
    (pruned,) = [s for s in ex.steps if s.kind == PRUNED]
    assert ex.record.nodes[pruned.pruned].name == "u"
    assert "detached" in lines_of(ex, pruned, "pruned")[0]


def test_the_gradient_seed_of_a_nonscalar_is_a_step():
    ex = explain_record(run(NONSCALAR))
    seed = ex.steps[0]
    assert seed.kind == SEED and seed.sum_root is None
    np.testing.assert_allclose(seed.g, [1.0, 0.5, 2.0])
    assert "gradient=" in " ".join(lines_of(ex, seed))


def test_pass_selects_one_pass_and_leaves_show_accumulation():
    src = (HERE / "conformance" / "accumulate.txt").read_text()
    every = explain_record(run(src))
    assert [p.number for p in every.passes] == [1, 2]
    second = explain_record(run(src), 2)
    assert [p.number for p in second.passes] == [2]
    assert {s.pass_no for s in second.steps} == {2}
    assert [s.number for s in second.steps] == list(range(1, len(second.steps) + 1))
    leaf = second.steps[-1]
    np.testing.assert_allclose(leaf.before, [2.0, 4.0, 6.0])
    np.testing.assert_allclose(leaf.after, [4.0, 8.0, 12.0])
    assert "[2., 4., 6.] → [ 4.,  8., 12.]" in lines_of(second, leaf, "grad")[0]
    with pytest.raises(GradvizError) as info:
        explain_record(run(src), 3)
    assert info.value.exit_code == 2 and "no pass 3" in info.value.message


def test_zero_grad_between_passes_starts_again_from_zeros():
    ex = explain_record(run((ROOT / "samples" / "seed_detach.txt").read_text()), 2)
    leaf = ex.steps[-1]
    np.testing.assert_allclose(leaf.before, [0.0, 0.0, 0.0, 0.0])
    assert "zeroed" in lines_of(ex, leaf, "grad")[0]


@pytest.mark.parametrize("path", SAMPLES + CONFORMANCE, ids=lambda p: p.name)
def test_every_pass_of_every_program_is_explained_consistently(path):
    try:
        record = run(path.read_text())
    except GradvizError as exc:
        record = exc.record
        if record is None or not record.passes:
            return
    ex = explain_record(record)
    for ev in record.passes:
        steps = ex.steps_of(ev["pass"])
        assert len(steps) == (len(ev["roots"]) + len(ev["steps"])
                              + len(dict.fromkeys(ev["pruned"])))
        engine = [st["node"] for st in ev["steps"]]
        assert [s.node for s in steps if s.kind in (NODE, LEAF)] == engine
        for s in steps:
            if s.kind == LEAF and ev["kind"] == "backward":
                np.testing.assert_array_equal(s.after, ev["leaf_grads"][s.node])
            for sent in s.sent:     # every contribution lands on its input
                assert record.nodes[s.node].inputs[sent.position] == f"n{sent.to}"


def test_a_program_without_backward_has_nothing_to_explain(tmp_path):
    p = tmp_path / "f.txt"
    p.write_text("x = tensor([1.0])\nprint(x)\n")
    result = cli("explain", p)
    assert result.exit_code == 1 and "nothing to explain" in result.output


# ---- the terminal ----------------------------------------------------------------


def test_the_table_reads_at_80_columns():
    result = cli("explain", ROOT / "samples" / "chain_rule.txt", "--color", "never",
                 env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    table = result.output.split("backward() #1", 1)[1]
    assert max(len(line) for line in table.splitlines()) <= 80
    for text in ("d(u*v)/du = v", "✂ b", "x.grad = None →", "x has all 2 contributions"):
        assert text in table
    # program text in the pass heading is not taken for markup
    assert "z.sum().backward()" in table


def test_a_long_grad_fn_breaks_where_a_word_starts(tmp_path):
    # at 80 columns a module hook's node read "BackwardHookFunct" / "ionBackward"
    p = tmp_path / "hooks.txt"
    p.write_text("lin = nn.Linear(3, 2)\n"
                 "lin.register_full_backward_hook(lambda m, gi, go: None)\n"
                 "lin(torch.ones(1, 3, requires_grad=True)).sum().backward()\n")
    result = cli("explain", p, "--color", "never", env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert "BackwardHook\n" in squash_right(result.output)
    assert "FunctionBackward" in result.output and "ionBackward" not in \
        result.output.replace("FunctionBackward", "")


def squash_right(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines())


def test_max_steps_keeps_the_first_and_last_rows(tmp_path):
    p = tmp_path / "chain.txt"
    p.write_text("x = tensor([1.0], requires_grad=True)\ny = x\n" + "y = y * 1.5\n" * 30
                 + "y.backward()\n")
    result = cli("explain", p, "--max-steps", "10", "--color", "never", env={"COLUMNS": "100"})
    assert result.exit_code == 0
    numbers = [int(m) for m in re.findall(r"^\s*(\d+)\s{2}", result.output, re.MULTILINE)]
    assert numbers == [1, 2, 3, 4, 5, 28, 29, 30, 31, 32]
    assert "22 steps left out" in result.output and "32 steps:" in result.output


def test_a_training_loop_is_explained_by_its_last_step_unless_asked(tmp_path):
    p = tmp_path / "loop.txt"
    p.write_text("w = tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
                 "x = tensor([1.0, 2.0, 3.0])\n"
                 "for step in range(25):\n"
                 "    loss = ((w * x).tanh() * x).sum() ** 2\n"
                 "    loss.backward()\n"
                 "    with torch.no_grad():\n"
                 "        w -= 0.01 * w.grad\n"
                 "    w.grad.zero_()\n")
    last = cli("explain", p, "--color", "never")
    assert last.exit_code == 0
    assert "explained the last of the 25 backward passes only" in last.output
    assert "backward() #25" in last.output and "backward() #24" not in last.output
    every = cli("explain", p, "--pass", "all", "--color", "never")
    assert every.exit_code == 0 and "explained the last" not in every.output
    assert all(f"backward() #{k} " in every.output for k in range(1, 26))


def test_cli_pass_out_of_range_is_a_usage_error():
    result = cli("explain", HERE / "conformance" / "accumulate.txt", "--pass", "3")
    assert result.exit_code == 2 and "choose --pass from 1 to 2" in result.output


def test_a_failing_program_is_explained_up_to_the_failure():
    result = cli("explain", HERE / "conformance" / "error_twice.txt", "--color", "never")
    assert result.exit_code == 1
    assert "backward() #1" in result.output and "Trying to backward" in result.output



def test_explain_shows_the_runs_warnings_as_run_does(tmp_path):
    # (PyTorch's UserWarning for a non-leaf's .grad, then gradviz's NaN line:
    # `gradviz run` printed them and explain did not)
    prog = tmp_path / "warn.txt"
    prog.write_text("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny.sum().backward()\n"
                    "print(y.grad)\nw = torch.log(x - 3)\nw.sum().backward()\n")
    for command in ("explain", "run"):
        result = cli(command, prog, "--color", "never")
        assert result.exit_code == 0, result.output
        assert "warning: line 4: UserWarning: The .grad attribute of a Tensor that is not a leaf" \
            in result.stderr, command
        assert "the first is torch.log(x - 3) at line 5 (nan)" in result.stderr, command

# ---- the frames ----------------------------------------------------------------------


def test_frame_states_follow_what_is_known():
    ex = explain_record(run(DOT))
    states = frame_states(ex, ex.steps)
    x = ex.steps[-1].node
    assert states[0].texts[x].startswith("g = ?")            # seed: x not reached
    assert states[2].texts[x] == "g = [ 4.,  8., 12.]"         # dot sent both
    assert states[3].texts[x] == ".grad  None → [ 4.,  8., 12.]"
    assert states[0].shown == set() and len(states[2].shown) > len(states[1].shown)
    assert states[2].lit == (f"g{ex.steps[2].node}", f"g{ex.steps[2].node}_0",
                             f"g{ex.steps[2].node}_1")


def test_svg_frames_one_per_step_on_one_layout(tmp_path):
    out = tmp_path / "frames"
    result = cli("explain", ROOT / "samples" / "chain_rule.txt", "--svg-frames", out)
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    ex = explain_record(run((ROOT / "samples" / "chain_rule.txt").read_text()))
    assert [f.name for f in files] == [f"step-{k:03d}.svg" for k in range(1, 8)]
    assert len(files) == len(ex.steps)
    ns = {"s": "http://www.w3.org/2000/svg"}
    actives, boxes = [], set()
    for f in files:
        root = ET.parse(f).getroot()
        boxes.add(root.get("viewBox"))
        active = [g.find("s:title", ns).text for g in root.iter(f"{{{ns['s']}}}g")
                  if "active" in (g.get("class") or "").split()]
        actives.append(active)
    assert len(boxes) == 1                       # nothing moves from frame to frame
    assert actives[0] == ["n6", "seed1"] or set(actives[0]) == {"n6", "seed1"}
    assert len({tuple(a) for a in actives}) == len(actives)   # each step its own node
    first, last = files[0].read_text(), files[-1].read_text()
    assert "Step 1 of 7" in first and 'visibility="hidden"' in first
    assert "visibility=" not in last             # every gradient edge sent by the end


# ---- the page ----------------------------------------------------------------------------


class _Checker(HTMLParser):
    """Fails on tags closed out of order; collects what loads from outside."""

    VOID = {"meta", "input", "br", "img", "link", "hr", "source", "area", "base", "col",
            "embed", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.outside, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "data") and v and not v.startswith("#"):
                self.outside.append((tag, k, v))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("page") / "chain.html"
    result = cli("explain", ROOT / "samples" / "chain_rule.txt", "--html", path)
    assert result.exit_code == 0, result.output
    return path


def test_the_page_is_self_contained_and_parses(page):
    text = page.read_text()
    assert not re.search(r"https?://", text)
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == [] and checker.outside == []
    assert "link" not in checker.tags and checker.tags.count("script") == 3
    # one picture for the one pass, a section of text per step
    assert checker.tags.count("section") == 7 and checker.tags.count("svg") == 1
    assert 'id="slider"' in text and "ArrowRight" in text
    # frame ids are unique in the page
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


def test_the_page_swaps_in_what_each_step_changes():
    """The page holds each pass's picture once and, per group, the markup it
    takes at the steps where it changes: applied as the script does, they
    give exactly the SVG frame of every step."""
    src = (HERE / "conformance" / "accumulate.txt").read_text()
    ex = explain_record(run(src))
    pictures = pass_pictures(ex, engine="auto")
    for pic in pictures:
        versions = pic.versions()
        assert versions                                  # something changes
        base = pic.frame(0)
        for i in range(len(pic.steps)):
            svg = base
            for entries in versions.values():
                first = entries[0][1]
                now = [markup for k, markup in entries if k <= i][-1]
                assert svg.count(first) == 1
                svg = svg.replace(first, now)
            assert svg == pic.frame(i)
    page = explanation_html(ex, pictures)
    data = re.search(r'<script type="application/json" id="versions">(.*?)</script>', page,
                     re.DOTALL).group(1)
    assert set(json.loads(data)) == {"1", "2"}


def test_a_long_chain_makes_a_small_page(tmp_path):
    src = "x = tensor([1.0, 2.0], requires_grad=True)\ny = x\n" + \
        "y = y * 1.5\n" * 60 + "y.sum().backward()\n"
    ex = explain_record(run(src))
    pictures = pass_pictures(ex)
    one_frame = len(pictures[0].frame(0))
    page = explanation_html(ex, pictures)
    assert len(ex.steps) == 63
    assert len(page) < 10 * one_frame             # not 63 pictures


def test_html_to_stdout_is_the_page_alone():
    result = CliRunner().invoke(main, ["explain", str(HERE / "conformance" / "accumulate.txt"),
                                       "--html", "-"])
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>") and result.stdout.endswith("</html>\n")


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _dump_dom(url: str) -> str:
    profile = tempfile.mkdtemp()
    try:
        proc = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--dump-dom", url],
            capture_output=True, text=True, timeout=60)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr[-500:]
    return proc.stdout


def _current(dom: str) -> tuple[str, list[str]]:
    """(the current step's number, the titles of the highlighted nodes of the
    picture shown)."""
    m = re.search(r'<section class="step current"[^>]*data-step="(\d+)"', dom)
    assert m, "no current step"
    figures = re.findall(r'<figure class="pass current".*?</figure>', dom, re.DOTALL)
    assert len(figures) == 1
    titles = re.findall(r'<g id="[^"]*" class="node[^"]* active">\s*<title>([^<]*)</title>',
                        figures[0])
    return m.group(1), titles


@pytest.mark.skipif(_chromium() is None, reason="needs chromium")
def test_stepping_the_page_in_chromium_moves_the_highlight(page):
    dom1 = _dump_dom(page.as_uri())
    dom3 = _dump_dom(page.as_uri() + "#step=3")
    step1, active1 = _current(dom1)
    step3, active3 = _current(dom3)
    assert (step1, step3) == ("1", "3")
    assert sorted(active1) == ["n6", "seed1"]       # z.sum() and its seed
    assert sorted(active3) == ["n5", "n5op"]        # z = sin(a) + b
    assert re.search(r'id="where"[^>]*>Step 3 of 7<', dom3)
    # one step shown at a time
    assert dom3.count('class="step current"') == 1


def test_pass_last_explains_the_last_backward_call():
    import io
    record = gradviz.run_source("w = tensor(1.0, requires_grad=True)\nfor i in range(3):\n"
                                "    (w * i).backward()\n", stdout=io.StringIO())
    ex = explain_record(record, "last")
    assert [p.number for p in ex.passes] == [3]


def test_an_attention_layer_s_nodes_say_which_step_made_them():
    """nn.MultiheadAttention makes thirty nodes in one call: each says its
    step ("in-projection in mha(x, x, x)"), in the record and the picture."""
    record = run("torch.manual_seed(0)\nmha = nn.MultiheadAttention(4, 2)\n"
                 "x = torch.randn(3, 1, 4, requires_grad=True)\n"
                 "out, w = mha(x, x, x)\nout.sum().backward()\n")
    exprs = [n.expr for n in record.nodes if n.line == 4 and n.kind != "grad"]
    steps = {e.split(" in ")[0] for e in exprs}
    # (the transposed weights are titled as themselves)
    assert steps == {"in-projection", "split into heads", "attention weights",
                     "weights @ value", "out-projection", "mha.in_proj_weight.T",
                     "mha.out_proj.weight.T"}, steps
    made = [e for e in exprs if not e.endswith(".T")]
    assert made[0].startswith("in-projection") and made[-1] == "attention weights in mha(x, x, x)"


def test_an_encoder_s_nodes_say_which_layer_and_step_made_them():
    record = run("torch.manual_seed(0)\n"
                 "layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)\n"
                 "enc = nn.TransformerEncoder(layer, 2)\n"
                 "x = torch.randn(3, 1, 4, requires_grad=True)\n"
                 "y = enc(x)\ny.sum().backward()\n")
    exprs = {n.expr for n in record.nodes if n.line == 5}
    for i in (0, 1):
        for step in ("in-projection", "attention", "norm1", "residual", "feed-forward", "norm2"):
            assert f"{step} of layers.{i} in enc(x)" in exprs, (step, i)
    assert "enc(x)" not in exprs          # every node says its step


def test_add_and_sub_with_alpha_show_alpha_in_the_local_derivative():
    # torch.add(x, y, alpha=2.5): y's local derivative is alpha, not add's 1
    ex = explain_record(run("x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                            "y = torch.tensor([3.0, 4.0], requires_grad=True)\n"
                            "z = torch.sub(torch.add(x, y, alpha=2.5), x, alpha=2)\n"
                            "z.sum().backward()\n"))
    formulas = [s.formula for step in ex.steps for s in step.sent]
    assert "d(x+alpha*y)/dy = alpha = 2.5" in formulas
    assert "d(a-alpha*x)/dx = -alpha = -2" in formulas
    # plain operators keep the formulas without alpha
    plain = explain_record(run("x = torch.tensor([1.0], requires_grad=True)\n"
                               "(x + x - x).sum().backward()\n"))
    assert "d(a+b)/db = 1" in [s.formula for step in plain.steps for s in step.sent]


def test_a_hook_that_changes_a_gradient_is_said_where_the_numbers_jump():
    # x was sent [1., 2.] twice and its step showed g = [20., 40.] with no word why
    ex = explain_record(run("x = tensor([1.0, 2.0], requires_grad=True)\n"
                            "x.register_hook(lambda g: g * 10)\n(x * x).sum().backward()\n"))
    leaf = ex.steps[-1]
    assert leaf.kind == LEAF
    (g_line,) = lines_of(ex, leaf, "g")
    # (the hook's own g is a name of the program: the text's is γ)
    assert g_line.startswith("γ = [1., 2.] + [1., 2.] = [2., 4.] → [20., 40.]: a hook changed it")
    plain = explain_record(run(DOT))
    assert all(step.hooked is None for step in plain.steps)
