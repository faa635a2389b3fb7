"""The progress line of slow CLI steps: nothing for a quick step or a
non-terminal, a line after the delay on a terminal, gone at the program's
first print and at the end of the step."""
from __future__ import annotations

import io
import time

from gradviz.progress import SlowStep, run_poll


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_step_quicker_than_the_delay_draws_nothing():
    term = FakeTerminal()
    with SlowStep("running", file=term, delay=0.5):
        pass
    time.sleep(0.6)
    assert term.getvalue() == ""


def test_no_line_when_stderr_is_not_a_terminal():
    out = io.StringIO()
    with SlowStep("running", file=out, delay=0.01) as step:
        time.sleep(0.2)
        assert not step.shown
    assert out.getvalue() == ""


def test_a_slow_step_shows_its_line_and_takes_it_away():
    term = FakeTerminal()
    with SlowStep("running", lambda: (3, 10, "line 3 of 10"), file=term, delay=0.01) as step:
        deadline = time.monotonic() + 5
        while "line 3 of 10" not in term.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert step.shown
    assert "running" in term.getvalue() and "line 3 of 10" in term.getvalue()
    assert not step.shown


def test_the_programs_first_print_ends_the_line():
    term, out = FakeTerminal(), io.StringIO()
    with SlowStep("running", file=term, delay=0.01) as step:
        deadline = time.monotonic() + 5
        while not step.shown and time.monotonic() < deadline:
            time.sleep(0.02)
        stream = step.output(out)
        stream.write("tensor(1.)\n")
        assert not step.shown
        drawn = term.getvalue()
        time.sleep(0.3)
        assert term.getvalue() == drawn          # not drawn again
    assert out.getvalue() == "tensor(1.)\n"


def test_run_poll_follows_the_interpreter_line():
    poll, observe = run_poll("x = 1\ny = 2\nloss.backward()\n")
    assert poll() == (None, None, "parsing")

    class Rt:
        line = 3
        aside_step = None
    observe(Rt())
    assert poll() == (3, 3, "line 3 of 3: loss.backward()")


def test_run_poll_counts_forward_modes_and_checks_passes(monkeypatch):
    """At a backward() of `run --mode both` or `check`, the line counts the
    JVP passes (one per input element) and the finite differences."""
    from gradviz import forward, gradcheck
    from gradviz.runner import run_source
    from gradviz.tape import RunOptions

    src = "x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n(x * x).sum().backward()\n"
    seen = []
    for module in (forward, gradcheck):
        real = module.push_tangents if module is forward else module.replay
        name = "push_tangents" if module is forward else "replay"
        monkeypatch.setattr(module, name, lambda *a, real=real, **k: seen.append(poll()[2])
                            or real(*a, **k))
    poll, observe = run_poll(src)
    run_source(src, stdout=io.StringIO(), observer=observe,
                       options=RunOptions(forward_mode="both"))
    assert seen == [f"line 2: forward mode, JVP pass {k} of 3" for k in range(3)]
    assert poll()[2].startswith("line 2 of 2")             # the step is over
    seen.clear()
    poll, observe = run_poll(src)
    gradcheck.check_source(src, observer=observe)
    assert seen[:3] == [f"line 2: forward mode, JVP pass {k} of 3" for k in range(3)]
    assert seen[3:] == [f"line 2: finite differences, element {k} of 3"
                        for k in range(3) for _ in (0, 1)]          # (two replays each)


def test_every_slow_cli_step_after_the_run_has_its_line(monkeypatch, tmp_path):
    """Writing the JSON, drawing and laying out the graph, and building the
    tables' records each take seconds on a graph of 300,000 nodes: each is a
    step with its own line (running has its own, tested above)."""
    from click.testing import CliRunner

    from gradviz import cli
    seen = []
    real = cli._slow_step
    monkeypatch.setattr(cli, "_slow_step", lambda what: seen.append(what) or real(what))
    prog = tmp_path / "p.txt"
    prog.write_text("x = tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n")
    res = CliRunner().invoke(cli.main, ["run", str(prog), "--json", str(tmp_path / "r.json"),
                                        "--svg", str(tmp_path / "g.svg")])
    assert res.exit_code == 0, res.output
    assert seen == ["writing the JSON", "drawing the graph", "laying out the graph",
                    "preparing the tables"]
    assert "backward #1" in res.output          # the tables, printed after their step
