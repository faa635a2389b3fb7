"""The parse of a program whose lines repeat (gradviz.repeats) gives the
whole-source parse's tree, node for node and span for span, and its errors."""
from __future__ import annotations

import io
import pathlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradviz
from gradviz import parser, repeats
from gradviz.errors import GradvizError
from gradviz.syntax import Repeat

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROGRAMS = sorted((ROOT / "tests" / "conformance").glob("*.txt")) + \
    sorted((ROOT / "tests" / "conformance_extra").glob("*.txt")) + \
    sorted((ROOT / "samples").glob("*.txt"))


def whole(source: str):
    """The whole-source parse, which parse() falls back to."""
    return parser._Parser(parser._tokens(source), source).program()


def plain(program):
    """The program with each Repeat replaced by its statement moved to its line."""
    return [s.moved() if isinstance(s, Repeat) else s for s in program.body]


def outcome(parse, source: str):
    try:
        program = parse(source)
        return plain(program), program.source
    except GradvizError as err:
        return ("error", err.message, err.kind, err.span, err.hint)


SHARDS = 4     # (the corpus sweeps in 4 parts: pytest -n spreads them over its workers)


@pytest.mark.parametrize("shard", range(SHARDS))
def test_corpus_programs_repeated_parse_as_whole(shard):
    taken = 0
    # (every second program: each is parsed six ways here, a minute for the
    # corpus, which passed whole; random programs of few shapes below)
    for path in PROGRAMS[::2][shard::SHARDS]:
        text = path.read_text()
        for body in (text, "\n".join(line.split("#")[0] for line in text.splitlines())):
            source = body.rstrip("\n") + "\n"
            source *= 3                       # every line occurs three times
            if outcome(whole, source)[0] != "error":   # it parses
                assert repeats.statements(source, parser._parse_run) is not None, path.name
                taken += 1
            assert outcome(parser.parse, source) == outcome(whole, source), path.name
    assert taken > 100 // SHARDS


def test_repeated_lines_share_one_tree():
    program = parser.parse("h = tanh(h * 1.01 + 0.1)\n" * 3)
    first, second, _ = program.body
    assert first.stmt is second.stmt                  # parsed once, at line 1
    assert first.stmt == whole("h = tanh(h * 1.01 + 0.1)\n").body[0]
    assert (first.shift, second.shift) == (0, 1) and second.span.line == 2
    moved = second.moved()                            # as parsed at line 2
    assert moved.span.line == 2 and moved.value.args[0].right.span.line == 2


def test_blocks_and_open_brackets_are_parsed_in_runs():
    source = ("x = ones(3, requires_grad=True)\n" * 2 + "with no_grad():\n    y = x * 2\n\n"
              "    z = y + 1\n" + "x = ones(3, requires_grad=True)\n" * 2
              + "w = f(1,\n2,\n  3)\n" + "x = ones(3, requires_grad=True)\n" * 5)
    body = repeats.statements(source, parser._parse_run)
    assert body is not None
    assert [s.moved() if isinstance(s, Repeat) else s for s in body] == list(whole(source).body)
    assert [s.span.line for s in body] == [1, 2, 3, 7, 8, 9, 12, 13, 14, 15, 16]


# fragments of lines: statements, block headers, indented lines, open and
# closing brackets, blanks (most programs), and mistakes (some)
VALID = ["x = ones(3, requires_grad=True)", "y = x * x", "h = tanh(h * 1.01 + 0.1)",
         "z = y.sum(); z.backward()", "a, b = grad(y, (x, w))", "print(x.grad)",
         "with no_grad():\n    y = x + 1", "with no_grad():\n    y = x + 1\n\n    z = 2",
         "with torch.no_grad(): x -= 0.1 * x.grad", "w = f(1,\n2)", "w = f(1,\n  3, 4)",
         "", "   ", "y = x[1:2, ::2]", "y = -x ** 2 @ w", "import torch", "x.grad.zero_()",
         "y = x !=  2", "q = [1, 2,\n  3]", "x += 1", "y = f(a=1, b=[x, 2])", "y = x\f",
         "y = x\t+ 1", "with no_grad():\n  with no_grad():\n    y = 1\n  z = 2",
         "x = 1  # a note (", "# a comment )", "y = f(1, \\\n2)", "y = f(1, \\\n  2) + \\\n3",
         "print('a(b')", "y = f(x, **d)", "y = f(**d, k=1)", "s = x  # ]:", "with no_grad():  # (\n    y = x", "y = [1,  # [\n2]"]
MISTAKES = ["print(')')", "y = f(')',", "x = 1 \\ ", "\\", "s = 'open",
            "        y = x + 1", "  y = 2", "\ty = 3", "]", "x = ", "y = (x", "v = 1e400",
            "y = x $ 2", "y = f(**d, x)", "with no_grad():  ", "\fy = 1", "y = 1)", "x = y = 2"]
LINES = st.sampled_from(VALID * 8 + MISTAKES)


@settings(max_examples=400, deadline=None)
@given(st.lists(LINES, min_size=2, max_size=14), st.lists(st.integers(0, 13), max_size=30),
       st.booleans())
def test_any_program_parses_as_whole(pool, picks, final_newline):
    lines = pool + [pool[i % len(pool)] for i in picks]    # repeats most lines
    source = "\n".join(lines) + ("\n" if final_newline else "")
    assert outcome(parser.parse, source) == outcome(whole, source), source


# ---- running a shared tree: every line number as with a tree per line --------

LOOPS = [
    # an unrolled training loop: single-line `with` blocks repeat too
    "w = tensor([0.5, -1.0], requires_grad=True)\n"
    + "loss = (w * w).sum()\nloss.backward()\n"
      "with torch.no_grad(): w -= 0.1 * w.grad\nw.grad.zero_()\n" * 4,
    # errors on a repeated line, at its third occurrence
    "x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny = x * 2\nz = y * q\n",
    "h = ones(2, requires_grad=True)\n" + "h = tanh(h * 1.01 + 0.1)\n" * 3
    + "h.backward()\n" + "h = tanh(h * 1.01 + 0.1)\n",
    "x = ones(2, requires_grad=True)\ny = x.exp()\ny = x.exp()\n"
    "with torch.no_grad(): x += 1\ny.sum().backward()\ny.sum().backward()\n",
    "x = ones(2)\ny = x + 1\ny = x + 1\ny = x * ones(-1)\n",
    "x = ones(2)\ny = x + 1\ny = x + 1\ny = ones(-1) * x\n",
    "x = ones(2)\ny = x + 1\ny = x + 1\nprint(x, ones(-1))\n",
    "x = ones(2)\ny = x + 1\ny = x + 1\ny = -ones(-1)\n",
    "x = ones(3, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2\n"
    "with torch.no_grad():\n    y = x * 2\nz = y.sum()\nz = y.sum()\nz.backward()\n",
]


def _run(source: str):
    out = io.StringIO()
    try:
        record = gradviz.run_source(source, stdout=out)
        error = None
    except GradvizError as exc:
        record, error = exc.record, (exc.message, exc.span, exc.hint)
    return out.getvalue(), error, record.to_json() if record is not None else None


@pytest.mark.parametrize("shard", range(SHARDS))
def test_runs_with_shared_trees_match_runs_with_a_tree_per_line(monkeypatch, shard):
    # (a prefix of repeated lines makes even a short program take the path)
    # (every sixth corpus program: each runs four times here, and the corpus
    # passed 1,000 programs; the parse tests take every second one)
    loops = ["import torch\n" * 12 + loop for loop in LOOPS] if shard == 0 else []
    sources = loops + [path.read_text() * 2 for path in PROGRAMS[::6][shard::SHARDS]]
    shared = [_run(source) for source in sources]
    assert all(isinstance(parser.parse(source).body[-1], Repeat) for source in loops)
    monkeypatch.setattr(repeats, "statements", lambda source, parse_run: None)
    for source, got in zip(sources, shared):
        assert got == _run(source), source


# ---- lines of one shape: built from the first one's tree ---------------------

def test_lines_of_one_shape_are_built_as_parsed():
    source = "h0 = ones(3, requires_grad=True)\n" + "".join(
        f"h{i} = tanh(h{i - 1} * 1.{i} + 0.1)\n" for i in range(100, 200)) + "loss = h199.sum()\n"
    program = parser.parse(source)
    built = [s for s in program.body if not isinstance(s, Repeat)]
    assert len(built) == 98               # (h100 = tanh(h99 ...) has a shape of its own)
    assert plain(program) == list(whole(source).body)
    assert [s.span.line for s in program.body] == list(range(1, 103))
    assert built[-1].value.args[0].left.left.span == (101, 13, 101, 17)   # h198


# templates of lines with holes for names (N) and numbers (V); a program
# fills each hole of a template from one group of words of one shape (so
# that its lines share shapes), some of which are keywords or bad numbers
# (and a keyword argument may come twice)
SHAPES = ["N = tanh(N * V + V)", "N = N(N, N=V, N=N)", "N = N.N(V) - N", "N = N ** -V @ N",
          "N(N, N=V)", "N = [V, N][V:N]", "N += V", "N.N = V", "N, N = N", "N = (N != V, N)",
          "import N", "N = V; N = N", "N = -N[V, :]", "with N(): N = N * V", "N, = N",
          "N(N).N = N", "N = N[V] = N", "N = N(N, **N)", "N = N(**N, N=V)"]
NAME_GROUPS = [["abcd", "grad", "tanh", "sqrt"]] * 12 + [
    ["abcd", "grad", "with", "from"], ["x_yz", "w_ab"], ["aa_1", "wb_2", "ab_0"],
    ["None", "True", "fake", "sure"], ["1234", "5678"]]
NUMBER_GROUPS = [["0.25", "1.50", "2.75", "0.01"]] * 12 + [
    ["1234", "0100", "9999"], ["1_00", "0_01", "5_55"], ["1e-3", "5e-1"], ["1.5x", "2.5y"],
    ["09.5", "12.5"], ["abcd", "grad"]]


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False))
def test_any_program_of_few_shapes_parses_as_whole(rnd):
    kinds = [(rnd.choice(SHAPES), [rnd.choice(NAME_GROUPS) for _ in range(6)],
              [rnd.choice(NUMBER_GROUPS) for _ in range(3)]) for _ in range(rnd.randint(1, 3))]
    source = ""
    for _ in range(rnd.randint(2, 70)):     # (the longer ones take the path)
        shape, names, numbers = rnd.choice(kinds)
        holes = {"N": iter([rnd.choice(group) for group in names]),
                 "V": iter([rnd.choice(group) for group in numbers])}
        source += re.sub("[NV]", lambda m: next(holes[m[0]]), shape) + "\n"
    assert outcome(parser.parse, source) == outcome(whole, source), source


def test_a_built_line_that_occurs_again_shares_one_tree():
    # generated code repeats whole groups of lines of one shape (a network's
    # layer for each sample): a line built from a template is built once
    units = range(10, 30)              # (names of one length: lines of one shape)
    layer = "".join(f"a{j} = tanh(w{j} * x + b{j})\n" for j in units)
    source = "x = ones(2)\n" + "".join(f"w{j} = ones(2)\nb{j} = ones(2)\n" for j in units)
    source += layer * 4
    program = parser.parse(source)
    body = program.body
    assert plain(program) == list(whole(source).body)
    first, second, third = body[41:61], body[61:81], body[81:101]
    assert not any(isinstance(s, Repeat) for s in first[1:])      # built from a10's template
    assert all(isinstance(s, Repeat) for s in second + third)
    assert [s.stmt for s in second] == [s.stmt for s in third]  # one tree each
    assert [s.span.line for s in third] == list(range(82, 102))
