"""Every limit ends a run quickly, in an error that names the limit and the
flag that raises it: elements per tensor, tensors per program, nesting,
integer size, time. None of them may be reached by allocating first."""
from __future__ import annotations

import io
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

import gradviz
from gradviz import cli
from gradviz.errors import LIMIT, VALUE, GradvizError
from gradviz.parser import MAX_NESTING
from gradviz.tape import MAX_DIMS, Limits

# the element limit, as small as the tests need: a failure to check before
# allocating would then still be quick, but is caught by the size checks below
SMALL = Limits(max_elements=10_000, max_nodes=1_000)


def run(src: str, limits: Limits | None = None):
    return gradviz.run_source(src, stdout=io.StringIO(), limits=limits)


def limit_error(src: str, limits: Limits | None = None, seconds: float = 3.0) -> GradvizError:
    # (this process's CPU time: a limit that fails to stop a run spends it,
    # while a machine busy with other work stretches only the wall clock)
    start = time.process_time()
    with pytest.raises(GradvizError) as info:
        run(src, limits)
    elapsed = time.process_time() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s"
    return info.value


# ---- elements per tensor ---------------------------------------------------

HUGE = [
    "x = ones(10**6, 10**6)",
    "x = zeros(10**12)",
    "x = arange(1e12)",
    "x = arange(0.0, 1.0, 1e-30)",
    "x = eye(10**6)",
    "x = eye(10**6, 30)",
    "x = linspace(0, 1, 10**12)",
    "x = rand(10**5, 10**5)",
    "x = randn(10**4, 10**4)",
    "x = full((10**5, 10**5), 1.5)",
    "a = ones(10**4)\nb = a.reshape(10**4, 1) + a",
    "a = ones(10**4, 1)\nb = ones(1, 10**4)\nc = a * b",
    "a = ones(10**4, 1)\nb = a > a.T",
    "a = ones(10**4, 1)\nb = where(a > 0, a, a.T)",
    "a = ones(10**4, 1)\nb = maximum(a, a.T)",
    "a = ones(10**4)\nc = outer(a, a)",
    "a = ones(10**4, 1)\nb = ones(1, 10**4)\nc = a @ b",
    "a = ones(10**4, 1)\nc = mm(a, a.T)",
    "a = ones(10**4, 1)\nb = ones(1, 10**4)\nc = mse_loss(a, b)",
    "a = ones(10**6)\nc = cat([a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a], dim=0)",
    "a = ones(10**6)\nc = stack([a, a, a, a, a, a, a, a, a, a, a, a, a, a, a, a])",
    "a = ones(10, 10**4)\ni = zeros(10**4).long()\nc = a[i]",
    # with the limit lowered to 10,000 elements (SMALL)
    "# small\na = ones(10**4)\nl = a.tolist()\nl = l + l",
    "# small\nx = tensor([" + "1.0, " * 20_000 + "])",
]


@pytest.mark.parametrize("src", HUGE, ids=range(len(HUGE)))
def test_huge_tensors_end_in_the_limit(src):
    err = limit_error(src, SMALL if src.startswith("# small") else None)
    assert err.kind == LIMIT, (err.kind, err.message)
    assert "more than the limit of" in err.message and "elements" in err.message
    assert "--max-elements" in err.hint
    assert err.span is not None


@pytest.mark.parametrize("src", ["x = [0] * 10**9", "x = [[0]] * 10**9",
                                 "x = (0,) * 10**9", "x = 10**9 * [0]"])
def test_sequence_repetition_stays_within_the_element_limit(src):
    err = limit_error(src)
    assert err.kind == LIMIT and "elements" in err.message and "--max-elements" in err.hint


@pytest.mark.parametrize("src", ["x = 'a' * 10**9", "x = 10**9 * 'ab'",
                                 "x = 'a' * 10**7\ny = x + x"])
def test_strings_stay_within_the_element_limit(src):
    err = limit_error(src)
    assert err.kind == LIMIT and "characters" in err.message and "--max-elements" in err.hint


def test_the_default_element_limit_is_ten_million():
    assert Limits().max_elements == 10**7
    run("x = ones(10**7)")
    assert limit_error("x = ones(10**7 + 1)").kind == LIMIT


def test_raising_the_element_limit_lets_a_program_run():
    src = "x = ones(100, 200)\ny = x.sum()\nprint(y)"
    assert limit_error(src, Limits(max_elements=19_999)).kind == LIMIT
    run(src, Limits(max_elements=20_000))


def test_dimensions_beyond_numpy_are_a_limit():
    err = limit_error("x = ones(" + ", ".join(["1"] * (MAX_DIMS + 1)) + ")")
    assert err.kind == LIMIT and str(MAX_DIMS) in err.message
    src = "x = ones(" + ", ".join(["1"] * MAX_DIMS) + ")\ny = x.unsqueeze(0)"
    assert limit_error(src).kind == LIMIT
    src = "x = ones(" + ", ".join(["1"] * MAX_DIMS) + ")\ny = x[None]"
    assert limit_error(src).kind == LIMIT
    src = "x = ones(" + ", ".join(["1"] * MAX_DIMS) + ")\ny = stack([x, x])"
    assert limit_error(src).kind == LIMIT


def test_sizes_beyond_int64():
    for src in ("x = ones(0, 10**30)", "x = ones(10**30, 0)"):
        err = limit_error(src)
        # (PyTorch's argument parser: "ones(): argument 'size' failed to unpack ...")
        assert err.kind == "TypeError" and "Overflow when unpacking long long" in err.message


# ---- tensors per program ---------------------------------------------------

def test_node_limit():
    src = "x = ones(2, requires_grad=True)\n" + "x = x * 1.5\n" * 50
    err = limit_error(src, Limits(max_nodes=20))
    assert err.kind == LIMIT and "more than 20 tensors" in err.message
    assert "--max-graph-nodes" in err.hint
    assert err.span.line == 21          # line 1 made tensor 1, line 21 the 21st
    run(src, Limits(max_nodes=51))


def test_node_limit_counts_leaves_and_grads():
    src = "x = ones(2)\n" * 30
    assert limit_error(src, Limits(max_nodes=10)).kind == LIMIT


@pytest.mark.parametrize("src", [
    "import torch.nn as nn\nm = nn.GRU(2, 3, num_layers=2**31)",
    "import torch.nn as nn\nm = nn.LSTM(2, 3, num_layers=10**6, bidirectional=True)",
    "import torch.nn as nn\nm = nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2, 8), 10**9)",
    "import torch.nn as nn\nm = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 10**9)",
])
def test_modules_of_countless_layers_end_in_the_node_limit_at_once(src):
    """(found by fuzzing: the list of 2**31 layers' parameters was being built)"""
    err = limit_error(src)
    assert err.kind == LIMIT and "tensors" in err.message and "--max-graph-nodes" in err.hint


def test_vander_of_a_huge_n_is_a_limit_error():
    """torch.vander's result is counted before it is made (found by fuzzing:
    numpy's 'Maximum allowed dimension exceeded' escaped)."""
    err = limit_error("x = torch.tensor([1.0, 2.0])\ny = torch.vander(x, N=10**15)\n")
    assert err.kind == LIMIT and "2,000,000,000,000,000 elements" in err.message
    err = limit_error("y = torch.nonzero_static(torch.ones(3), size=10**12)\n")
    assert err.kind == LIMIT and "1,000,000,000,000 elements" in err.message


def test_an_attention_width_of_2_to_the_63_is_refused_at_once():
    """The hint's nearest number of heads is searched in bounded steps (found
    by fuzzing: every number up to 2**63 was tried)."""
    start = time.process_time()
    with pytest.raises(GradvizError) as info:
        run("import torch.nn as nn\nm = nn.TransformerDecoderLayer(2**63, 3, 16)")
    assert time.process_time() - start < 3
    assert info.value.message == "embed_dim must be divisible by num_heads"
    assert "try num_heads=2" in info.value.hint


def test_whole_program_memory_is_bounded():
    """Many tensors each within the limit: 10 x the element limit in all."""
    src = "x = ones(10000)\n" + "x = x + 1\n" * 12
    err = limit_error(src, Limits(max_elements=10_000))
    assert err.kind == LIMIT and "in all" in err.message and "--max-elements" in err.hint
    # views share their memory and do not count
    run("x = ones(10000)\n" + "y = x.reshape(100, 100)\n" * 30, Limits(max_elements=10_000))


# ---- Python numbers --------------------------------------------------------

INT_BOMBS = [
    "x = 10**10**10",
    "x = 2 ** 100000",
    "x = int(10) ** 10**10",          # (a bare pow is torch.pow, as abs, min, max and sum)
    "x = 99999 ** 999\n" + "x = x * x\n" * 30,
    "x = 3 ** 8000\ny = x * x",
    "x = -(7 ** 5000) * 7 ** 5000",
]


@pytest.mark.parametrize("src", INT_BOMBS, ids=range(len(INT_BOMBS)))
def test_huge_python_ints_are_refused_before_they_are_computed(src):
    err = limit_error(src, seconds=1.0)
    assert err.kind == LIMIT and "integer too large" in err.message


def test_big_but_allowed_numbers():
    out = io.StringIO()
    gradviz.run_source("print(len([1]))\nx = 10 ** 3999\nprint(x > 0)\nprint(2.0 ** 1000 > 0)\n"
                       "print(1.0000001 ** 10**9 > 1)\nprint((-1) ** 10**9)", stdout=out)
    assert out.getvalue() == "1\nTrue\nTrue\nTrue\n1\n"


@pytest.mark.parametrize("src", [
    "x = 2.0 ** 10**9", "x = int(1e400 - 1)", "x = float(10 ** 3000)", "x = tensor(10**30)",
    "x = tensor([10**30])", "x = full((2,), 10**30)",
    "x = ones(2) * 10**400", "x = arange(0, 10**30, 10**29)",
])
def test_numbers_out_of_range_are_a_clear_error(src):
    err = limit_error(src)
    assert err.kind in (VALUE, LIMIT, "OverflowError"), err.kind
    assert err.span is not None and err.span.line == src.count("\n") + 1


@pytest.mark.parametrize("src", ["x = arange(3) ** 10**20", "x = arange(3).short() ** 2**15"])
def test_an_integer_tensors_exponent_out_of_its_range_is_pytorchs_error(src):
    """(a wrapped-around exponent was an internal error, found by fuzzing)"""
    err = limit_error(src)
    assert err.kind == "RuntimeError" and "without overflow" in err.message and err.hint


# ---- nesting ---------------------------------------------------------------

DEPTH = MAX_NESTING - 2
DEEP_OK = [
    "x = " + "[" * DEPTH + "1" + "]" * DEPTH + "\nprint(x)",
    "x = " + "(" * DEPTH + "1" + ")" * DEPTH + "\nprint(x)",
    "x = " + "-" * DEPTH + "1\nprint(x)",
    "x = " + "(1, " * (DEPTH // 2) + "1" + ")" * (DEPTH // 2) + "\nprint(x)",
    "x = " + "float(" * (DEPTH // 2) + "1" + ")" * (DEPTH // 2) + "\nprint(x)",
    "y = ones(2)\nx = " + "exp(" * (DEPTH // 2) + "y" + ")" * (DEPTH // 2),
    "x = " + "1 + (" * (DEPTH // 3) + "1" + ")" * (DEPTH // 3) + "\nprint(x)",
    "x = " + "1 ** " * (DEPTH // 2) + "1\nprint(x)",
    "y = ones(2)\nx = y" + ".T" * (DEPTH // 2),
    "y = ones(2)\nx = y" + "[0:2]" * (DEPTH // 2),
    "y = [0]\nx = " + "y[" * (DEPTH // 2) + "0" + "]" * (DEPTH // 2) + "\nprint(x)",
    "".join("    " * i + "with no_grad():\n" for i in range(DEPTH // 2)) + "    " * (DEPTH // 2)
    + "x = 1\n",
]


@pytest.mark.parametrize("src", DEEP_OK, ids=range(len(DEEP_OK)))
def test_the_deepest_programs_the_parser_allows_run(src):
    # with the stack already as deep as a caller's (pytest, click) may be
    run(src)


@pytest.mark.parametrize("make", [
    lambda d: "x = " + "[" * d + "1" + "]" * d,
    lambda d: "x = " + "(" * d + "1" + ")" * d,
    lambda d: "x = " + "-" * d + "1",
    lambda d: "x = " + "f(" * d + ")" * d,
    lambda d: "x = y" + ".T" * d,
    lambda d: "x = " + "1 ** " * d + "1",
    lambda d: "x = " + " + ".join(["(1"] * d) + ")" * d,
])
def test_too_deep_is_a_limit_error_at_any_depth(make):
    for depth in (MAX_NESTING + 1, 10 * MAX_NESTING, 20_000):
        err = limit_error(make(depth))
        assert err.kind == LIMIT and "nested too deeply" in err.message


def test_values_nested_at_run_time_are_bounded():
    """A list put inside a list line after line: printing or comparing it is
    an error naming the nesting, never a RecursionError."""
    deep = "a = [1]\n" + "a = [a]\n" * 3000
    for use in ("print(a)", "b = a == [a]", "print(a[0][0])"):
        err = limit_error(deep + use)
        assert err.kind == LIMIT and "nested too deeply" in err.message, use
        assert err.span.line == 3002
    err = limit_error(deep + "t = tensor(a)")
    assert err.kind == LIMIT and "3001 dimensions" in err.message
    run(deep + "print(len(a))")


# ---- time ------------------------------------------------------------------

def test_timeout_between_statements():
    src = "x = ones(200, 200)\n" + "y = (x @ x).sum()\n" * 5_000
    err = limit_error(src, Limits(timeout=0.3), seconds=10)
    assert err.kind == LIMIT and "time limit of 0.3 s" in err.message
    assert "--timeout" in err.hint
    assert err.span is not None and err.span.line > 1


@pytest.mark.parametrize("expr", ["{n % 2: n for n in range(10**30)}",
                                  "all(n >= 0 for n in range(10**30))"])
def test_timeout_stops_a_comprehension_without_the_clis_watchdog(expr):
    # one statement that never grows a list: the API's time limit stops it
    start = time.monotonic()
    err = limit_error(f"x = 1\nd = {expr}\n", Limits(timeout=0.3), seconds=10)
    assert err.kind == LIMIT and "time limit of 0.3 s" in err.message
    assert err.span.line == 2 and time.monotonic() - start < 3


def test_timeout_stops_one_long_statement():
    """The CLI's watchdog interrupts a statement that runs on and on (here a
    chain of big matrix products in one expression)."""
    from gradviz.tape import timeout_error
    start = time.monotonic()
    with pytest.raises(GradvizError) as info:
        with cli._watchdog(0.2):
            while True:
                pass
    assert time.monotonic() - start < 2
    assert info.value.message == timeout_error(0.2).message


def test_timeout_through_the_cli(tmp_path):
    prog = tmp_path / "slow.txt"
    # one statement of about 1 TFLOP: seconds even where BLAS has AVX-512 (a
    # statement of 70 GFLOP once ended within the limit there), unless stopped;
    # its first line is quick (ones, not randn: on a loaded machine drawing
    # nine million normal numbers took longer than the limit). It is 150
    # products of 7 GFLOP, not 20 of 54: the run stops between two products,
    # so the time past the limit is one product's, under a second even on a
    # machine busy with other work (54 GFLOP products once took 8.5 s there)
    prog.write_text("x = ones(1500, 1500)\ny = " + " @ ".join(["x"] * 150) + "\n")
    start = time.monotonic()
    result = CliRunner().invoke(cli.main, ["run", "--no-tables", "--timeout", "1", str(prog)])
    assert time.monotonic() - start < 6
    assert result.exit_code == 1, result.output
    assert "time limit of 1 s" in result.stderr and "--timeout" in result.stderr
    assert "slow.txt:2:" in result.stderr


def test_a_loop_that_never_ends_is_stopped_on_its_line(tmp_path):
    # (the watchdog may stop it between statements: the line running is named)
    prog = tmp_path / "spin.txt"
    prog.write_text("n = 0\nwhile True:\n    pass\n")
    result = CliRunner().invoke(cli.main, ["run", "--no-tables", "--timeout", "0.3", str(prog)])
    assert result.exit_code == 1, result.output
    assert "time limit of 0.3 s" in result.stderr
    assert "spin.txt:2:" in result.stderr or "spin.txt:3:" in result.stderr


def test_limit_flags_reach_the_run(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text("x = ones(300)\ny = x * 2\nz = y + 1\n")
    runner = CliRunner()
    ok = runner.invoke(cli.main, ["run", "--no-tables", str(prog)])
    assert ok.exit_code == 0
    small = runner.invoke(cli.main, ["run", "--no-tables", "--max-elements", "299", str(prog)])
    assert small.exit_code == 1 and "--max-elements" in small.stderr
    few = runner.invoke(cli.main, ["run", "--no-tables", "--max-graph-nodes", "2", str(prog)])
    assert few.exit_code == 1 and "--max-graph-nodes" in few.stderr
    assert "p.txt:3:" in few.stderr
    bad = runner.invoke(cli.main, ["run", "--max-elements", "-5", str(prog)])
    assert bad.exit_code == 2


def test_repeated_lists_count_against_one_budget_for_the_run():
    # each list is within the element limit; together they would fill the memory
    err = limit_error("keep = []\nfor i in range(100):\n    keep.append([0.0] * 10**6)\n")
    assert err.kind == LIMIT and "lists and dicts would make more than" in err.message


def test_the_time_limit_starts_after_gradviz_has_imported_its_interpreter(tmp_path):
    # (a new process: the alarm was once set before the interpreter's modules
    # were imported, which on a busy machine took over a second, and
    # `--timeout 1` then stopped a program that had not started, naming no line)
    probe = (
        "import signal, sys\n"
        "from click.testing import CliRunner\n"
        "from gradviz import cli\n"
        "armed = []\n"
        "real = signal.setitimer\n"
        "def setitimer(which, seconds, *rest):\n"
        "    if seconds:\n"
        "        armed.append('gradviz.interpreter' in sys.modules)\n"
        "    return real(which, seconds, *rest)\n"
        "signal.setitimer = setitimer\n"
        "result = CliRunner().invoke(cli.main, ['run', '--no-tables', '--timeout', '30', sys.argv[1]])\n"
        "print(result.exit_code, armed)\n"
    )
    prog = tmp_path / "one.txt"
    prog.write_text("x = 1\n")
    out = subprocess.run([sys.executable, "-c", probe, str(prog)], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["0", "[True]"], out
