"""Record -> DOT: the picture's content, escaping, folding, determinism, speed."""
from __future__ import annotations

import io
import re
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradviz
from gradviz.errors import GradvizError
from programs import FAILED_BACKWARDS
from gradviz.render import dot as dotmod
from gradviz.render.dot import build_dot, esc, scalar_text, to_dot
from gradviz.render.torchfmt import format_number

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CONFORMANCE = ROOT / "tests" / "conformance"


def record_of(source: str):
    try:
        return gradviz.run_source(source, stdout=io.StringIO())
    except GradvizError as exc:
        assert exc.record is not None, exc
        return exc.record


def sample(name: str):
    path = SAMPLES / f"{name}.txt"
    if not path.exists():
        path = CONFORMANCE / f"{name}.txt"
    return record_of(path.read_text())


def chain_source(steps: int) -> str:
    return ("h = tensor(0.5, requires_grad=True)\n"
            + "h = tanh(h * 1.01 + 0.1)\n" * steps + "h.backward()\n")


def unescape(fragment: str) -> str:
    """What Graphviz draws for an escaped label fragment (record or plain):
    a backslash keeps the next character, except the line breaks."""
    out, i = [], 0
    while i < len(fragment):
        c = fragment[i]
        if c == "\\":
            nxt = fragment[i + 1]
            out.append("\n" if nxt in "nlr" else nxt)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out).replace("&amp;", "&")


def labels(dot: str) -> list[str]:
    return re.findall(r'(?<![a-z])label="((?:[^"\\]|\\.)*)"', dot)


# ---- the one escape function ------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_esc_cannot_break_out_and_round_trips(text):
    out = esc(text)
    # no quote, brace, bar, angle bracket or backslash without its escape
    unescaped = re.sub(r"\\.", "", out)
    assert not re.search(r'["{}|<>\\]', unescaped)
    assert "&" not in unescaped.replace("&amp;", "")
    assert not re.search("[\x00-\x1f\x7f-\x9f]", out)
    expected = re.sub("[\x00-\x09\x0b-\x1f\x7f-\x9f]", " ", text) + "\n"
    assert unescape(out) == expected


def test_esc_examples():
    assert esc('a "b" <c> & {d} | \\e', dotmod.LEFT) == \
        'a\\ \\"b\\"\\ \\<c\\>\\ &amp;\\ \\{d\\}\\ \\|\\ \\\\e\\l'
    assert esc("x\ny") == "x\\ny\\n"
    assert esc("[ 0.,  4.]") == "[\\ 0.,\\ \\ 4.]\\n"   # padding survives in records


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                 st.floats(width=32), st.integers(-10**9, 10**9).map(float)))
def test_scalar_text_is_format_number(x):
    assert scalar_text(x) == format_number(x)


def test_hostile_text_stays_text():
    """Names, expressions, titles and error messages with DOT and SVG
    metacharacters come out as literal label text, never as syntax."""
    r = record_of("x = tensor([1.0, 2.0], requires_grad=True)\n"
                  "m = x > 1\nk = x < 2\n(x * x).sum().backward()\n")
    nasty = 'a"b<c>&d{e}|f\\g\\n]]><script>alert(1)</script>'
    r.nodes[0].name = nasty
    r.nodes[0].expr = "tensor(" + nasty + ")"
    dot = to_dot(r, title=nasty, legend=True)
    texts = "\n".join(unescape(lab) for lab in labels(dot))
    assert nasty in texts
    assert "x > 1" in texts and "x < 2" in texts
    # every quoted string is closed: strip the quoted strings and no quote is left
    assert '"' not in re.sub(r'"(?:[^"\\]|\\.)*"', "", dot)
    assert "<script>" not in dot


# ---- what the picture says ----------------------------------------------------


def test_seed_detach_content():
    dot = to_dot(sample("seed_detach"))
    texts = "\n".join(unescape(lab) for lab in labels(dot))
    for expected in ["x = torch.arange(4.0, requires_grad=True)", "y = x * x", "u = y.detach()",
                     "z = u * x", "value  [0., 1., 2., 3.]", "grad  [0., 2., 4., 6.]",
                     "MulBackward0", "SumBackward0", "✂ detach()", "gradient stops",
                     "grad #1: [0., 1., 4., 9.]", "grad #2: [0., 1., 2., 3.]",
                     "backward() #1, line 10", "(zero_(), line 12)",
                     "grad  None (non-leaf: not retained)", ".grad of x"]:
        assert expected in texts, expected
    assert 'class="tensor detached"' in dot and 'class="tensor param"' in dot
    assert 'class="tensor root"' in dot and 'class="tensor grad"' in dot
    assert "arrowtail=tee" in dot        # the cut: a bar where the gradient stops
    # y -> cut -> u, and no gradient edge into u
    assert re.search(r"n1 -> cut2 \[", dot) and re.search(r"cut2 -> n2 \[", dot)
    assert not re.search(r'n2 -> n3op \[[^\]]*class="gradient"', dot)


def test_grad_states_are_told_apart():
    acc = "\n".join(labels(to_dot(sample("accumulate"))))
    assert "zeroed\\ by\\ zero_()" in acc
    assert "backward\\ #1" in acc and "backward\\ #2" in acc
    r = record_of("x = tensor([1.0, 2.0], requires_grad=True)\n"
                  "y = (x * x).sum()\ny.backward(retain_graph=True)\ny.backward()\n"
                  "w = tensor([3.0], requires_grad=True)\n")
    texts = "\n".join(unescape(lab) for lab in labels(to_dot(r)))
    assert "accumulated: #1 + #2" in texts
    assert "never computed" in texts                    # w
    assert "retain_graph=True" in texts
    kept = "\n".join(unescape(lab) for lab in labels(to_dot(sample("retain_grad"))))
    assert "(kept: retain_grad())" in kept


def test_no_grad_pruned_freed_error():
    ng = to_dot(sample("no_grad"))
    assert "subgraph cluster_nograd0 {" in ng and "with\\ torch.no_grad():" in ng
    chain = "\n".join(unescape(lab) for lab in labels(to_dot(sample("chain_rule"))))
    assert "pruned: needs no gradient (requires_grad=False)" in chain
    err = to_dot(sample("error_twice"))
    texts = "\n".join(unescape(lab) for lab in labels(err))
    assert "RuntimeError on line 5:" in texts and "saved tensors freed" in texts
    assert 'class="error-note"' in err and 'class="tensor error root"' in err
    assert re.search(r"n2 -> error \[", err)


def test_op_labels_show_constants_and_grad_fn():
    r = record_of("x = tensor([1.0, 2.0], requires_grad=True)\ny = 2 * x\nz = y * 1.5\n"
                  "w = (z ** 2).sum(dim=0)\nw.backward()\n")
    texts = "\n".join(unescape(lab) for lab in labels(to_dot(r)))
    assert "2 *\nMulBackward0" in texts and "* 1.5\nMulBackward0" in texts
    assert "** 2\nPowBackward0" in texts


def test_options_change_the_picture():
    r = sample("seed_nonscalar")
    both = to_dot(r)
    assert 'class="gradient"' in both and "{" in labels(both)[1]
    fwd = to_dot(r, show="forward")
    assert 'class="gradient"' not in fwd and "grad  " not in fwd
    bwd = to_dot(r, show="backward")
    assert 'class="gradient"' in bwd and "style=invis" in bwd
    lr = to_dot(r, rankdir="LR")
    assert "rankdir=LR" in lr and not any(lab.startswith("{") for lab in labels(lr)[1:4])
    dark = to_dot(r, theme="dark")
    assert 'bgcolor="#111827"' in dark
    printed = to_dot(r, theme="print")
    assert "arrowtail=empty" in printed and "#c2410c" not in printed
    assert "subgraph cluster_legend" in to_dot(r, legend=True)
    for bad in ({"show": "sideways"}, {"rankdir": "XY"}, {"theme": "neon"}, {"max_nodes": -1}):
        with pytest.raises(GradvizError) as info:
            to_dot(r, **bad)
        assert info.value.kind == "UsageError"


def test_dot_is_deterministic_across_runs():
    for name in ("seed_scalar", "seed_nonscalar", "seed_detach", "mlp"):
        a, b = to_dot(sample(name), legend=True), to_dot(sample(name), legend=True)
        assert a == b


# ---- one pass of a training loop (--pass) -----------------------------------

LOOP = """w = tensor([1.0, -2.0], requires_grad=True)
for step in range(3):
    x = tensor([0.5, 2.0]) * (step + 1)
    loss = ((w * x).sum() - 1.0) ** 2
    loss.backward()
    if step == 0:
        with torch.no_grad():
            w -= 0.1 * w.grad
        w.grad.zero_()
"""


def node_ids(dot: str) -> set:
    return set(re.findall(r"^\s*(n\d+) \[", dot, re.M))


def test_pass_draws_only_that_passs_subgraph_with_its_gradients():
    r = record_of(LOOP)
    whole, two = to_dot(r), to_dot(r, pass_no=2)
    ids = node_ids(two)
    assert ids < node_ids(whole)
    made_in = {n.id: n.in_loop for n in r.nodes}
    # w, and what step 1 made (x, w * x, ..., loss); nothing of steps 0 and 2
    assert "n0" in ids and all(made_in[i] in (None, "step=1") for i in ids)
    assert {i for i in node_ids(whole) if made_in[i] == "step=1"} <= ids
    texts = "\n".join(unescape(lab) for lab in labels(two))
    assert texts.count("backward(), line 5") == 1 and "#1" not in texts and "#3" not in texts
    # its seed says which step of the loop it was; so do the whole picture's
    assert "backward(), line 5 (step=1)" in texts
    assert "backward() #3, line 5 (step=2)" in "\n".join(unescape(lab) for lab in labels(whole))
    g2 = r.nodes[0].grads_by_pass[2]
    assert f"gradient here (#2)  {dotmod.fmt(g2)}" in texts
    # w.grad was zeroed after pass 1 only: after pass 2 it is pass 2's gradient;
    # after pass 3, passes 2 and 3 summed
    assert f"grad after #2  {dotmod.fmt(g2)}" in texts and "accumulated" not in texts
    three = "\n".join(unescape(lab) for lab in labels(to_dot(r, pass_no="last")))
    assert "grad after #3" in three and "(accumulated)" in three
    # w as passes 2 and 3 saw it: after step 0's update (the whole picture: as made)
    updated = dotmod.fmt(np.array([1.45, -0.2], np.float32))
    assert f"value at #2  {updated}" in texts and f"value at #3  {updated}" in three
    assert "(as made: changed in place later)" in "\n".join(unescape(lab)
                                                              for lab in labels(whole))
    # no edge leads to a node left out
    for end in re.findall(r"^\s*(\w+) -> (\w+)", two, re.M):
        for node in end:
            assert re.fullmatch(r"n\d+(op)?", node) and re.sub("op$", "", node) in ids \
                or node == "seed2", end


def test_pass_keeps_the_detach_cut_and_checks_its_number():
    r = sample("seed_detach")
    one = to_dot(r, pass_no=1)
    assert "✂" in unescape("\n".join(labels(one))) and "arrowtail=tee" in one
    for bad, words in ((9, "the program made 2 backward passes"), (0, "pass number"),
                       ("first", "pass number")):
        with pytest.raises(GradvizError) as info:
            to_dot(r, pass_no=bad)
        assert info.value.kind == "UsageError" and words in str(info.value)
    with pytest.raises(GradvizError) as info:
        to_dot(record_of("x = tensor(1.0, requires_grad=True)\ny = x * 2\n"), pass_no=1)
    assert "calls no backward()" in str(info.value)


TRAINING = """torch.manual_seed(0)
net = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
x = torch.randn(16, 3)
y = torch.randn(16, 1)
for step in range(STEPS):
    loss = ((net(x) - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
"""


def test_a_training_loop_is_drawn_as_its_last_step_by_default():
    r = record_of(TRAINING.replace("STEPS", "30"))
    assert len(r.passes) == 30 and len(r.nodes) > dotmod.AUTO_NODES
    result = build_dot(r)
    last = build_dot(r, pass_no="last")
    assert node_ids(result.source) == node_ids(last.source)
    assert result.note.startswith("drew the last of the 30 backward passes only")
    assert "(backward pass #30 of 30: the loop's last step; --pass all draws every pass)" \
        in unescape(result.source)
    # --pass all: every pass, folded under --max-nodes as before
    every = build_dot(r, pass_no="all")
    assert "drew the last" not in (every.note or "") and every.folded
    assert len(re.findall("backward\\(\\) starts here", unescape(every.source))) == 30
    # so is --max-nodes 0 (everything), and a small loop, and a few passes
    everything = build_dot(r, max_nodes=0)
    assert everything.note is None and not everything.folded
    assert len(node_ids(everything.source)) > len(node_ids(result.source))
    # a few passes are all drawn, and so are many passes of a small graph (an
    # accumulation demo's backward() calls)
    few = record_of(TRAINING.replace("STEPS", str(dotmod.AUTO_PASSES)))
    assert len(few.nodes) > 50
    assert "drew the last" not in (build_dot(few, max_nodes=50).note or "")
    small = record_of("x = tensor([1.0, 2.0], requires_grad=True)\nfor i in range(10):\n"
                      "    (x * x).sum().backward()\nprint(x.grad)\n")
    assert len(small.passes) == 10 and len(small.nodes) <= dotmod.AUTO_NODES
    assert build_dot(small).note is None
    assert build_dot(record_of(LOOP)).note is None


def test_a_loop_step_draws_the_data_made_before_it_without_its_history():
    # the dataset and its targets are computed before the loop; each step
    # indexes a batch from them: the step's picture shows X and Y as boxes
    # (no op ellipse, no inputs), the batch's indexing, not how Y was made
    src = ("torch.manual_seed(0)\nw_true = torch.tensor([2.0, -3.0])\n"
           "X = torch.randn(40, 2)\nY = (X @ w_true + 1.0).reshape(-1, 1)\n"
           "net = torch.nn.Linear(2, 1)\nopt = torch.optim.SGD(net.parameters(), lr=0.1)\n"
           "for i in range(0, 40, 2):\n    xb, yb = X[i:i + 2], Y[i:i + 2]\n"
           "    loss = ((net(xb) - yb) ** 2).mean()\n"
           "    opt.zero_grad()\n    loss.backward()\n    opt.step()\n")
    r = record_of(src)
    assert len(r.nodes) > dotmod.AUTO_NODES and len(r.passes) > dotmod.AUTO_PASSES
    seq = {n.name: n.seq for n in r.nodes if n.name}
    text = build_dot(r).source
    ids = node_ids(text)
    last_xb = max(n.seq for n in r.nodes if n.name == "xb")
    assert f"n{seq['X']}" in ids and f"n{seq['Y']}" in ids and f"n{last_xb}" in ids
    assert f"n{seq['w_true']}" not in ids           # what Y was computed from
    def op_drawn(dot, s):
        return re.search(rf"^\s*n{s}op \[", dot, re.M) is not None

    assert not op_drawn(text, seq["Y"]) and op_drawn(text, last_xb)
    assert not re.search(rf"\bn{seq['Y']}op\b", text)
    # the first step's picture has no earlier step: all of its history
    first = build_dot(r, pass_no=1).source
    assert f"n{seq['w_true']}" in node_ids(first) and op_drawn(first, seq["Y"])


# ---- a backward() that failed ------------------------------------------------

def node_line(dot: str, nid: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(nid + " ["))


def test_a_failed_backward_is_marked_at_the_tensor_it_was_called_on():
    r = record_of(FAILED_BACKWARDS)
    dot = to_dot(r)
    red = dotmod.get_theme("light").error
    # y: the second y.backward() failed (caught): y keeps its root look, outlined in red
    y = node_line(dot, "n2")
    assert 'class="tensor failed root"' in y and f'color="{red}"' in y and "penwidth=3" in y
    assert 'fillcolor="#dcfce7"' in y              # (the root's fill)
    note = unescape(labels(node_line(dot, "failed1"))[0])
    assert note == ("backward() failed here (line 5): its graph was freed by\n"
                    "an earlier backward() (retain_graph=True keeps it)\n"
                    "(the program caught the error and went on)\n")
    assert re.search(r"^\s*n2 -> failed1 \[style=dashed", dot, re.M)
    # z.backward() ended the run: the error note says it, first, and points at z
    error = unescape(labels(node_line(dot, "error"))[0])
    assert error.startswith("backward() failed here (line 9): not a scalar: give\n"
                            "gradient= or reduce it first (.sum())\n\nRuntimeError on line 9:")
    assert re.search(r"^\s*n3 -> error \[style=dashed", dot, re.M)
    assert "failed2" not in dot and to_dot(r) == dot
    # no mark without a failure, nor on one pass's picture
    assert "failed" not in to_dot(sample("seed_detach"))
    assert "failed" not in to_dot(r, pass_no=1)
    # the JSON keeps the calls, with the tensors they were called on
    import json
    failed = [e for e in json.loads(r.to_json())["graph"]["timeline"] if e["kind"] == "failed"]
    assert [(e["line"], e["roots"], e["stopped"]) for e in failed] == [
        (5, ["n2"], False), (9, ["n3"], True)]


def test_a_failed_backward_after_an_inplace_change_and_in_a_loop():
    r = record_of("a = tensor([1.0, 2.0], requires_grad=True)\nb = a.sigmoid()\n"
                  "c = b * 2\nb.add_(1)\nc.sum().backward()\n")
    dot = to_dot(r)
    assert 'class="tensor failed intermediate"' in node_line(dot, "n4")
    assert "class=\"tensor error" in node_line(dot, "n1")     # the value changed in place
    assert unescape(labels(node_line(dot, "error"))[0]).startswith(
        "backward() failed here (line 5): a value its graph saved\nwas changed in place since")
    assert set(re.findall(r"^\s*(n\d+) -> error", dot, re.M)) == {"n1", "n4"}
    # a loop whose second backward() fails at every step: one note, at the
    # first; every step's loss outlined
    r = record_of("w = tensor(1.0, requires_grad=True)\nfor step in range(4):\n"
                  "    loss = (w * 3 - 2) ** 2\n    loss.backward()\n    try:\n"
                  "        loss.backward()\n    except RuntimeError:\n        pass\n")
    dot = to_dot(r)
    roots = [ev["roots"][0] for ev in r.failed_calls]
    assert len(roots) == 4 and all('class="tensor failed root"' in node_line(dot, f"n{s}")
                                   for s in roots)
    assert dot.count("class=\"failed-note\"") == 1
    assert "and\\ so\\ 3\\ more\\ times\\ (outlined\\ in\\ red)" in dot
    assert re.findall(r"^\s*(n\d+) -> failed1", dot, re.M) == [f"n{roots[0]}"]


def test_failure_reasons_are_short():
    reason = dotmod.failure_reason
    assert reason("element 0 of tensors does not require grad and does not have a "
                  "grad_fn") == "nothing in it requires grad: there is no graph to go back through"
    assert reason("Mismatch in shape: grad_output[0] has a shape of torch.Size([3]). "
                  "And more.") == "Mismatch in shape: grad_output[0] has a shape of torch.Size([3])"
    long = reason("x" * 200)
    assert len(long) == dotmod.REASON_CHARS and long.endswith("…")


# ---- folding ------------------------------------------------------------------


def test_long_chain_folds_into_one_summary():
    r = record_of(chain_source(120))
    res = build_dot(r, max_nodes=50)
    assert res.folded == len(r.nodes) - 8
    assert res.note.startswith(f"folded {res.folded:,} of {len(r.nodes):,} nodes into 1 summary")
    assert "mul ×" in res.note and "tanh ×" in res.note
    texts = "\n".join(unescape(lab) for lab in labels(res.source))
    assert f"… {res.folded:,} ops folded …" in texts
    assert res.source.count('class="folded"') == 1
    assert res.source.count('class="tensor ') == 8      # 3 kept at each end, h0, root
    plain = build_dot(r, max_nodes=0)
    assert plain.note is None and plain.folded == 0
    assert build_dot(r, max_nodes=len(r.nodes)).folded == 0


def test_wide_graphs_fold_within_budget():
    lines = [f"w{i} = tensor([{i}.0], requires_grad=True)\nv{i} = w{i} * 2" for i in range(60)]
    r = record_of("\n".join(lines) + "\n")
    res = build_dot(r, max_nodes=21)
    shown = res.source.count('class="tensor ') + res.source.count('class="folded"')
    assert 0 < res.folded and shown <= 21


# ---- scale ----------------------------------------------------------------------


def test_3000_node_chain_is_fast_and_not_recursive():
    r = record_of(chain_source(1000))
    assert len(r.nodes) == 3001
    r.nodes                                              # built once, not timed
    best = min(_timed(lambda: build_dot(r, max_nodes=0)) for _ in range(3))
    # about 10 us per record on an idle machine; the bound only catches
    # something quadratic, not a slow shared test machine
    assert best < 3001 * 200e-6
    res = build_dot(r, max_nodes=0)
    assert res.source.count('class="tensor ') == 3001
    assert "each op is drawn inside its result's box" in res.note
    # too deep for gradient labels, and never an xlabel (either makes the layout crawl)
    assert res.source.count('class="gradient"') == 3001 and "label=\"grad" not in res.source
    assert "xlabel" not in res.source
    folded = build_dot(r)
    assert folded.folded > 2900 and folded.source.count("\n") < 60


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def test_fmt_summarises_big_tensors():
    assert dotmod.fmt(np.arange(4.0, dtype=np.float32)) == "[0., 1., 2., 3.]"
    big = dotmod.fmt(np.arange(12.0, dtype=np.float32))
    assert big == "0. … 11., mean 5.5000, size=(12,)"
    assert dotmod.fmt(None) == "None"


_ELEMENTS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 1e-5, 1e9, 0.5]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_ELEMENTS, min_size=1, max_size=150),
       st.sampled_from([np.float32, np.float64]),
       st.sampled_from(["flat", "2d", "transposed", "strided"]),
       st.integers(min_value=-6, max_value=6))
def test_fmt_is_format_compact(values, dtype, layout, exponent):
    """fmt's short cut for summaries gives format_compact's text: the same
    min, max and mean (numpy's summation order), NaN and signed zeros too."""
    from gradviz.render.torchfmt import format_compact

    with np.errstate(all="ignore"):     # (big values overflow float32: inf)
        arr = (np.array(values, dtype=np.float64) * 10.0 ** exponent).astype(dtype)
    if layout == "2d" and arr.size % 3 == 0:
        arr = arr.reshape(3, -1)
    elif layout == "transposed" and arr.size % 3 == 0:
        arr = arr.reshape(3, -1).T
    elif layout == "strided":
        arr = arr[::2]
    with np.errstate(all="ignore"):
        expected = format_compact(arr, "float32" if dtype is np.float32 else "float64")
        assert dotmod.fmt(arr) == expected


def test_wide_graphs_fold_runs_of_two_or_more():
    """A run of one record is drawn as itself, not as a summary of one."""
    lines = [f"w{i} = tensor([{i}.0], requires_grad=True)\nv{i} = tanh(w{i} * 2)"
             for i in range(60)]
    r = record_of("\n".join(lines) + "\nloss = " + " + ".join(f"v{i}" for i in range(60))
                  + "\nloss.sum().backward()\n")
    res = build_dot(r, max_nodes=40)
    texts = "\n".join(unescape(lab) for lab in labels(res.source))
    assert "… 1 ops folded …" not in texts and "… 1 nodes folded …" not in texts
    assert res.folded > 0


def test_a_record_drawn_again_gives_the_same_text():
    """The second drawing reuses what the first computed (kept with the
    record), whatever options the first had: the text is what a fresh
    record of the same program gives."""
    for source in (chain_source(400), (SAMPLES / "seed_detach.txt").read_text()):
        used = record_of(source)        # (400 steps: compact, over 1,000 tensors)
        for options in ({}, {"show": "forward"}, {"show": "backward", "rankdir": "LR"},
                        {"theme": "dark"}, {"max_nodes": 50}, {}):
            assert to_dot(used, **options) == to_dot(record_of(source), **options), options


def test_big_pictures_have_no_edge_labels_at_all():
    """One edge label makes Graphviz give every edge a middle node, and one
    xlabel sets it placing labels around everything: a picture too big for
    gradient labels has neither, and the detach caption moves into the
    scissors node."""
    r = record_of("x = tensor([1.0, 2.0], requires_grad=True)\nu = x.detach()\n"
                  "h = u * x\n" + "h = tanh(h * 1.01 + 0.1)\n" * 400 + "h.sum().backward()\n")
    res = build_dot(r, max_nodes=0, legend=True)
    assert "gradient edges are not labelled" in res.note
    edges = [line for line in res.source.splitlines() if " -> " in line]
    assert edges and not any("label=" in line for line in edges)
    assert re.search(r'cut\d+ \[[^\]]*label="✂\\ detach\(\)\\nvalue\\ shared,', res.source)
    small = to_dot(sample("seed_detach"))         # small: labels as ever
    assert re.search(r'cut\d+ -> n\d+ \[[^\]]*label="value', small)


def test_a_long_label_keeps_its_start_and_its_end():
    from gradviz.render.dot import MAX_TEXT, _short
    text = "w = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)"
    short = _short(text)
    assert len(short) <= MAX_TEXT and short.startswith("w = torch.normal(")
    assert short.endswith("requires_grad=True)") and " … " in short
    assert _short("x" * 100, 30) == "x" * 17 + " … " + "x" * 10
    assert _short("short") == "short"


def test_a_long_label_is_cut_between_words_and_once():
    # "equires_grad=True)" read as a typo, and "x = " before an expression
    # already cut made a title with two cuts ("[1.0, … … requires_grad")
    from gradviz.render.dot import MAX_TEXT, _short
    short = _short("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)")
    assert len(short) <= MAX_TEXT and short.endswith(" requires_grad=True)")
    source = unescape(build_dot(record_of(
        "x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)\n"
        "(x * 2).sum().backward()\n")).source)
    assert "x = torch.tensor([1.0, … requires_grad=True)" in source
    assert "… …" not in source


def test_a_long_title_keeps_the_whole_name():
    # the two biases of an nn.LSTM were both titled "lstm.bias … nn.LSTM(...)"
    from gradviz.render.dot import MAX_TEXT, _short
    for name in ("lstm.bias_ih_l0", "lstm.bias_hh_l0"):
        short = _short(f"{name} = nn.LSTM(input_size=2, hidden_size=3)")
        assert len(short) <= MAX_TEXT and short.startswith(name + " = ")


def test_a_name_bound_again_later_is_titled_old():
    # the tables say "y (old)"; the picture had two boxes "y = x * x"
    source = unescape(build_dot(record_of(
        "x = torch.arange(4.0, requires_grad=True)\n"
        "y = x * x\n"
        "y.sum().backward()\n"
        "y = x * x\n"
        "y.sum().backward()\n")).source)
    assert source.count("y (old) = x * x") == 1 and "y = x * x" in source


def test_a_loops_boxes_name_their_step_as_the_tables_do():
    # the title said "loss = ..." for every step and the step in small print
    record = record_of("w = torch.tensor(1.0, requires_grad=True)\n"
                       "for step in range(3):\n"
                       "    loss = (w * 2).sum()\n"
                       "    loss.backward()\n")
    source = unescape(build_dot(record).source)
    for k in range(3):
        assert f"loss (step={k}) = (w * 2).sum()\nbackward() starts here · scalar · line 3\n" \
            in source
    assert "(old)" not in source


def test_a_functions_own_name_is_titled_with_the_function():
    # grad(f)(x) titled the copy of x it differentiates "x (old) = grad(f)(x)"
    source = unescape(to_dot(record_of("def f(x):\n    return (x ** 3).sum()\n"
                                       "x = torch.tensor([1., 2.])\n"
                                       "print(torch.func.grad(f)(x))\n")))
    assert "x (in f) = torch.func.grad(f)(x)" in source and "(old)" not in source


FROZEN = """torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
for p in net[0].parameters():
    p.requires_grad_(False)
net[2].requires_grad_(False)
net[2].bias.requires_grad = True
loss = net(torch.randn(5, 3)).pow(2).mean()
loss.backward()
"""


def test_a_frozen_parameter_says_where_it_was_frozen():
    # a fine-tuning picture: a parameter frozen with requires_grad_(False) is
    # no "constant", and a thawed one is a parameter again
    rec = record_of(FROZEN)
    by_name = {n.name: n for n in rec.nodes if n.name}
    assert by_name["net[0].weight"].frozen_at == 4 and by_name["net[0].bias"].frozen_at == 4
    assert by_name["net[2].weight"].frozen_at == 5            # Module.requires_grad_(False)
    assert by_name["net[2].bias"].frozen_at is None and by_name["net[2].bias"].requires_grad
    assert by_name["net[0].weight"].pruned_reason == "frozen by requires_grad_(False) on line 4"
    dot = to_dot(rec).replace("\\ ", " ")
    assert dot.count("frozen: requires_grad_(False) on line 4") == 2
    assert dot.count("frozen: requires_grad_(False) on line 5") == 1


def test_a_view_made_under_no_grad_is_a_leaf_that_gets_nothing():
    rec = record_of("x = torch.ones(2, 3, requires_grad=True)\nwith torch.no_grad():\n"
                    "    v = x[0]\ny = (v * 2).sum() + (x * 1).sum()\ny.backward()\n")
    v = next(n for n in rec.nodes if n.name == "v")
    assert v.requires_grad and v.is_leaf and v.grad is None
    assert v.pruned_reason.startswith("a view made under no_grad()")
    x = next(n for n in rec.nodes if n.name == "x")
    assert not x.pruned and x.grad is not None      # reached through x * 1, not cut behind v
    assert "view made under no_grad: a leaf, gets no grad" in to_dot(rec).replace("\\ ", " ")


def _widths(text: str, src: str, dst: str) -> float | None:
    """The penwidth of the gradient edge src -> dst (None: the theme's)."""
    for line in text.splitlines():
        if line.strip().startswith(f"{src} -> {dst} ") and 'class="gradient"' in line:
            m = re.search(r"penwidth=([0-9.]+)", line)
            return float(m.group(1)) if m else None
    raise AssertionError(f"no gradient edge {src} -> {dst}")


def test_gradient_edge_width_follows_the_gradient_size():
    # a chain of sigmoids: each multiplies the gradient by at most 1/4, so
    # the gradient shrinks by a factor of 4 or more per step back
    lines = ["x = torch.tensor([0.5, -1.0], requires_grad=True)", "h0 = x"]
    lines += [f"h{i} = torch.sigmoid(h{i - 1} * 3)" for i in range(1, 6)]
    lines += ["h5.sum().backward()"]
    record = record_of("\n".join(lines) + "\n")
    text = to_dot(record)
    seq = {n.name: n.seq for n in record.nodes if n.name}
    # the edge into the first op (to x) is the thinnest, the last the thickest
    widths = [_widths(text, f"n{seq['x' if i == 1 else f'h{i - 1}']}", f"n{seq[f'h{i}'] - 1}op")
              for i in range(1, 6)]
    assert None not in widths, text
    assert widths == sorted(widths) and widths[0] < widths[-1], widths
    every = [float(w) for line in text.splitlines() if 'class="gradient"' in line
             for w in re.findall(r"penwidth=([0-9.]+)", line)]
    assert min(every) == dotmod.WIDTH_RANGE[0] and max(every) == dotmod.WIDTH_RANGE[1]
    assert "thicker: larger" in to_dot(record, legend=True)


def test_gradient_edges_keep_one_width_when_sizes_are_alike():
    record = record_of("x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
                       "y = (x * x).sum()\ny.backward()\n")
    text = to_dot(record, legend=True)
    assert "penwidth=" not in "".join(l for l in text.splitlines() if 'class="gradient"' in l)
    assert "thicker" not in text


SGD_STEPS = """torch.manual_seed(0)
net = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1))
opt = torch.optim.SGD(net.parameters(), lr=0.1)
X = torch.randn(8, 2)
y = torch.randn(8, 1)
for _ in range(2):
    opt.zero_grad()
    loss = ((net(X) - y) ** 2).mean()
    loss.backward()
    opt.step()
"""


def unconnected(dot: str) -> set:
    """The boxes no edge touches."""
    edges = re.findall(r"^\s*(\w+) -> (\w+)", dot, re.M)
    return node_ids(dot) - {end for edge in edges for end in edge}


def test_an_optimizer_step_is_drawn_as_writes_of_its_parameters():
    # each parameter's update was a box "opt.step() constant (no grad)" with
    # no edge at all, and the .grad it read was titled opt.step()
    dot = to_dot(record_of(SGD_STEPS), max_nodes=0)
    assert unconnected(dot) == set()
    text = unescape(dot)
    assert "{opt.step()\n" not in text
    assert text.count("SGD.step()  (line 10)") == 2           # one block per step
    for name in ("net[0].weight", "net[0].bias", "net[2].weight", "net[2].bias"):
        assert text.count("{" + name + ".grad\n") == 2
        assert text.count("{" + name + " updated by opt.step()\n") == 2
    # the transposed weight is told from the layer's output
    assert text.count("{net[0].weight.T\n") == 2 and text.count("{net[0] in net(X)\n") == 2


def test_a_box_says_where_a_hook_changed_the_gradient_its_edges_brought():
    # the edge into x said grad [1., 8., 27.], the box [10., 80., 270.], no word why
    text = unescape(to_dot(record_of(
        "x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
        "x.register_hook(lambda g: g * 10)\n(x ** 4 / 4).sum().backward()\n")))
    assert "grad [ 1.,  8., 27.]" in text
    assert "a hook changed it: [ 1.,  8., 27.] arrived → [ 10.,  80., 270.]" in text
    # a hook that returns None (or the same gradient) changes nothing: no such line
    for hook in ("lambda g: None", "lambda g: g"):
        plain = to_dot(record_of("x = torch.tensor([1., 2.], requires_grad=True)\n"
                                 f"x.register_hook({hook})\n(x * x).sum().backward()\n"))
        assert "a hook changed it" not in unescape(plain)


@pytest.mark.parametrize("made", ["Adam(net.parameters(), lr=0.1, amsgrad=True)",
                                  "Adagrad(net.parameters(), lr=0.1)",
                                  "RMSprop(net.parameters(), lr=0.1, momentum=0.5, centered=True)",
                                  "NAdam(net.parameters(), weight_decay=0.1, "
                                  "decoupled_weight_decay=True)",
                                  "RAdam(net.parameters(), betas=(0.5, 0.9))",
                                  "Rprop(net.parameters(), maximize=True)",
                                  "Adadelta(net.parameters(), weight_decay=0.1)",
                                  "Adamax(net.parameters())",
                                  "ASGD(net.parameters(), t0=1)", "ASGD(net.parameters())",
                                  "ASGD(net.parameters(), lr=torch.tensor(0.1), foreach=True)"])
def test_the_state_updates_of_an_optimizer_have_edges(made):
    # Adam's lerp_, addcmul_ and addcdiv_ results were boxes without edges;
    # NAdam's, RAdam's, Rprop's, Adadelta's and Adamax's writes too, and
    # ASGD's eta and mu (numbers its step computes from the count, written by
    # copy_: drawn as fills of the values before) and ax's first zeros
    source = SGD_STEPS.replace("SGD(net.parameters(), lr=0.1)", made)
    assert unconnected(to_dot(record_of(source), max_nodes=0)) == set()


JACREV = ("x = torch.tensor([1., 2., 3.], requires_grad=True)\n"
          "from torch.func import jacrev\n"
          "print(jacrev(torch.sin)(x))\n")


def test_a_torch_func_transform_is_one_box_around_the_programs_function():
    # jacrev drew its three autograd.grad passes op by op: cos and * three
    # times, a seed box each, 2,200 points wide for a 3-element sin
    record = record_of(JACREV)
    result = build_dot(record)
    text = unescape(result.source)
    assert text.count("SinBackward0") == 1             # the program's function, once
    assert "CosBackward0" not in text and 'class="seed"' not in text
    assert text.count('class="folded"') == 1
    assert "torch.func.jacrev: jacrev(torch.sin)(x) · line 3" in text
    assert "3 autograd.grad() passes inside (#1–#3)" in text
    assert "--expand-transforms" in result.note
    assert "nodes folded into summaries" not in text   # (not a --max-nodes fold)
    # and every op, on asking
    full = unescape(to_dot(record, expand_transforms=True))
    assert full.count("CosBackward0") == 3 and full.count('class="seed"') == 3
    assert 'class="folded"' not in full


GRAD_STEPS = ("from torch.func import grad\n"
              "w = torch.tensor([1., 2., 3.], requires_grad=True)\n"
              "x = torch.tensor([0.5, -1., 2.])\n"
              "def loss(w):\n"
              "    return ((w * x).sum() - 1.) ** 2\n"
              "for step in range(10):\n"
              "    gw = grad(loss)(w)\n"
              "    w = w - 0.1 * gw\n")


def test_a_transform_is_one_box_in_a_loops_last_step_and_under_max_nodes():
    # the last-pass picture of a loop of grad steps, and the --max-nodes
    # fold, drew what grad ran inside op by op (its ExpandBackward0, ...)
    record = record_of(GRAD_STEPS)
    result = build_dot(record)
    assert "drew the last of the 10 backward passes" in result.note
    text = unescape(result.source)
    assert "torch.func.grad: grad(loss)(w) · line 7" in text
    assert "ExpandBackward0" not in text and text.count('class="folded"') == 1
    assert "ExpandBackward0" in unescape(to_dot(record, expand_transforms=True))
    result = build_dot(record, pass_no="all", max_nodes=40)
    text = unescape(result.source)
    assert text.count("torch.func.grad: grad(loss)(w)") == 10
    assert "ExpandBackward0" not in text
    assert "nodes folded into summaries" in text and "--expand-transforms" in result.note
    # (the --max-nodes fold counts its own summaries only)
    folded = re.findall(r"… (\d+) ops folded …", text)
    assert f"folded {sum(map(int, folded))} of 132 nodes" in result.note


def test_what_leaves_a_transform_stays_outside_its_box():
    # grad's result g is used by the program (g.sum().backward()): its box
    # and the program's backward through it are drawn
    record = record_of("from torch.func import grad\n"
                       "def f(x):\n"
                       "    return (x ** 3).sum()\n"
                       "w = torch.tensor([1., 2.], requires_grad=True)\n"
                       "g = grad(f)(w)\n"
                       "g.sum().backward()\n")
    text = unescape(to_dot(record))
    assert "g = grad(f)(w)" in text and "PowBackward0" in text
    assert "torch.func.grad: grad(f)(w)" in text
    assert text.count('class="seed"') == 1 and "backward() #2, line 6" in text


def test_vmap_draws_its_function_for_the_first_slice():
    # gradviz runs f once per slice: 4 slices drew f 4 times side by side
    record = record_of("x = torch.arange(8.).reshape(4, 2).requires_grad_()\n"
                       "y = torch.func.vmap(lambda r: (r * 2).sum())(x)\n"
                       "y.sum().backward()\n")
    text = unescape(to_dot(record))
    assert text.count("MulBackward0") == 1 and text.count("SumBackward0") == 2
    assert "f drawn for its first slice: gradviz runs it once per slice (4)" in text
    assert "StackBackward0" in text and "y = torch.func.vmap(lambda r: (r * 2).sum())(x)" in text
    full = unescape(to_dot(record, expand_transforms=True))
    assert full.count("MulBackward0") == 4
