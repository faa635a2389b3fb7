"""`gradviz run FILE --watch`: re-runs on change, keeps the last good output
while the file has an error, and stops cleanly on Ctrl-C.

Every wait has a deadline (DEADLINE seconds) and polls, so a slow machine
makes the tests slower, not flaky; a broken watcher fails them."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from gradviz.watch import watch_file

DEADLINE = 20.0
PROGRAM = "x = tensor([1.0, 2.0], requires_grad=True)\nprint(x * 2)\n"


def wait_for(predicate, what: str, timeout: float = DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def write(path: Path, text: str) -> None:
    # a new mtime even on file systems with coarse timestamps
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


def test_watch_file_reruns_on_change_and_stops(tmp_path):
    prog = tmp_path / "prog.txt"
    prog.write_text("first\n")
    seen: list[str] = []
    stop = threading.Event()

    def run_once():
        seen.append(prog.read_text())

    result = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "code", watch_file(prog, run_once, stop_event=stop)), daemon=True)
    thread.start()
    wait_for(lambda: len(seen) >= 1, "the first run")
    (tmp_path / "other.txt").write_text("not watched\n")   # other files do not count
    time.sleep(0.3)
    write(prog, "second\n")
    wait_for(lambda: "second\n" in seen, "a run after the change")
    write(prog, "third\n")
    wait_for(lambda: "third\n" in seen, "a run after the second change")
    stop.set()
    thread.join(DEADLINE)
    assert not thread.is_alive()
    assert result["code"] == 0
    assert seen[0] == "first\n" and seen[-1] == "third\n"
    assert all(s != "not watched\n" for s in seen)


def test_cli_watch_keeps_last_good_output_and_exits_0_on_ctrl_c(tmp_path):
    prog = tmp_path / "prog.txt"
    prog.write_text(PROGRAM)
    out = tmp_path / "out.json"
    env = dict(os.environ, NO_COLOR="1")
    # Ctrl-C's SIGINT as a terminal delivers it: a test run started in the
    # background of a non-interactive shell has SIGINT ignored, and a child
    # would inherit that (then nothing stops the watch)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gradviz", "run", str(prog), "--watch", "--no-tables",
         "--json", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err_lines: list[str] = []
    reader = threading.Thread(target=lambda: err_lines.extend(iter(proc.stderr.readline, "")),
                              daemon=True)
    reader.start()

    def status(n: int) -> bool:
        return any(f"run #{n} " in line for line in err_lines)

    try:
        wait_for(lambda: status(1), "the first run")
        assert json.loads(out.read_text())["output"] == \
            "tensor([2., 4.], grad_fn=<MulBackward0>)\n"
        time.sleep(0.2)
        write(prog, PROGRAM.replace("x * 2", "x * 3"))
        wait_for(lambda: status(2), "the run of the edited program")
        assert json.loads(out.read_text())["output"] == \
            "tensor([3., 6.], grad_fn=<MulBackward0>)\n"
        good = out.read_bytes()
        write(prog, PROGRAM + "y = x @ ones(3)\n")          # a run-time error
        wait_for(lambda: status(3), "the run with a run-time error")
        write(prog, PROGRAM + "print(x * 5)\ny = (\n")     # a syntax error
        wait_for(lambda: status(4), "the run with a syntax error")
        assert out.read_bytes() == good                      # the last good output stays
    finally:
        proc.send_signal(signal.SIGINT)
        # (its stdout is a few lines: the pipe cannot fill before it exits;
        # its stderr is the reader thread's)
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        stdout = proc.stdout.read()
        reader.join(DEADLINE)
    stderr = "".join(err_lines)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "Aborted" not in stderr
    # runs 1 and 3 print x * 2 (run 3 then fails); run 4 has a syntax error
    # and prints nothing
    assert stdout == ("tensor([2., 4.], grad_fn=<MulBackward0>)\n"
                      "tensor([3., 6.], grad_fn=<MulBackward0>)\n"
                      "tensor([2., 4.], grad_fn=<MulBackward0>)\n")
    assert "error: " in stderr and "^" in stderr             # shown as the CLI shows it
    assert "run #3 failed (exit 1); kept" in stderr and "from run #2" in stderr
    assert "run #4 failed (exit 2)" in stderr
    assert "stopped watching" in stderr
    assert "\x1b[2J" not in stdout      # no screen clearing into a pipe


@pytest.mark.parametrize("args, message", [
    (["-", "--watch"], "standard input"),
    (["prog.txt", "--watch", "--json", "-"], "--json to standard output"),
])
def test_watch_usage_errors(tmp_path, monkeypatch, args, message):
    from click.testing import CliRunner

    from gradviz.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "prog.txt").write_text(PROGRAM)
    res = CliRunner().invoke(main, ["run", *args], input="")
    assert res.exit_code == 2
    assert message in res.stderr and res.stdout == ""


def test_only_a_run_that_ends_may_leave_a_timed_out_layout_running(tmp_path, monkeypatch):
    """The layout of a one-shot run may take the faster build that a timeout
    leaves running (the process ends right after); a run under --watch lives
    on, so its layouts must stop at their timeout (layout.dot_to_svg)."""
    from click.testing import CliRunner

    from gradviz import cli, watch
    from gradviz.render import layout

    calls = []

    def fake_dot_to_svg(dot, engine="auto", timeout=None, leave_running=False):
        calls.append((timeout, leave_running))
        return "<svg></svg>\n"

    monkeypatch.setattr(layout, "dot_to_svg", fake_dot_to_svg)
    monkeypatch.setattr(watch, "watch_file", lambda path, run_once, **kw: run_once() or 0)
    prog = tmp_path / "prog.txt"
    prog.write_text(PROGRAM)
    svg = str(tmp_path / "out.svg")
    runner = CliRunner()
    for args in (["run", str(prog), "--no-tables", "--svg", svg],
                 ["render", str(prog), "-o", svg],
                 ["run", str(prog), "--no-tables", "--svg", svg, "--watch"]):
        result = runner.invoke(cli.main, args)
        assert result.exit_code == 0, result.output
    assert calls == [(cli.DEFAULT_TIMEOUT, True), (cli.DEFAULT_TIMEOUT, True),
                     (cli.DEFAULT_TIMEOUT, False)]
    # explain's pictures too (one layout per backward pass)
    prog.write_text(PROGRAM + "(x * x).sum().backward()\n")
    result = runner.invoke(cli.main, ["explain", str(prog), "--html",
                                      str(tmp_path / "x.html"), "--timeout", "7"])
    assert result.exit_code == 0, result.output
    assert calls[3:] == [(7.0, True)]
