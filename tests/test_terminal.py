"""Terminal manners: colour only where it belongs, the terminal's width,
results on stdout and diagnostics on stderr, --version, shell completion."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradviz
from gradviz.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = str(ROOT / "samples" / "seed_detach.txt")
ESC = "\x1b["
GOOD = "x = tensor([1.0, 2.0], requires_grad=True)\nprint(x * 2)\n(x * x).sum().backward()\n"
BAD = "x = tensor([1.0, 2.0], requires_grad=True)\nprint(x * 2)\ny = x @ ones(3)\n"


def invoke(args, env=None, **kw):
    base = {"NO_COLOR": None, "FORCE_COLOR": None, "COLUMNS": "120", "TERM": "xterm-256color"}
    base.update(env or {})
    return CliRunner().invoke(main, args, env=base, **kw)


@pytest.fixture
def prog(tmp_path):
    path = tmp_path / "prog.txt"
    path.write_text(GOOD)
    return str(path)


def test_no_colour_into_a_pipe_by_default(prog):
    res = invoke(["run", prog])
    assert res.exit_code == 0
    assert "x * 2" in res.stdout and ESC not in res.stdout


@pytest.mark.parametrize("args", [["--color", "always", "run", "{p}"],
                                  ["run", "{p}", "--color", "always"]])
def test_color_always_colours_even_a_pipe(prog, args):
    res = invoke([a.format(p=prog) for a in args])
    assert res.exit_code == 0
    assert ESC in res.stdout


def test_no_color_env_turns_colour_off_and_always_overrides_it(prog):
    assert ESC not in invoke(["run", prog], env={"NO_COLOR": "1", "FORCE_COLOR": "1"}).stdout
    assert ESC in invoke(["run", prog, "--color", "always"], env={"NO_COLOR": "1"}).stdout


def test_command_option_beats_group_option(prog):
    res = invoke(["--color", "always", "run", prog, "--color", "never"])
    assert res.exit_code == 0 and ESC not in res.stdout
    res = invoke(["ops", "--color", "always"])
    assert ESC in res.stdout


def test_bad_color_choice_is_a_usage_error(prog):
    res = invoke(["run", prog, "--color", "sometimes"])
    assert res.exit_code == 2
    assert "sometimes" in res.stderr and res.stdout == ""


def test_width_follows_the_terminal(prog):
    narrow = invoke(["run", prog], env={"COLUMNS": "60"}).stdout.splitlines()
    wide = invoke(["run", prog], env={"COLUMNS": "150"}).stdout.splitlines()
    assert max(len(line) for line in narrow) <= 60
    assert max(len(line) for line in wide) > 60
    assert len(narrow) > len(wide)          # the narrow terminal wraps the table


def test_results_on_stdout_errors_on_stderr(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text(BAD)
    res = invoke(["run", str(path), "--no-tables"])
    assert res.exit_code == 1
    assert res.stdout == "tensor([2., 4.], grad_fn=<MulBackward0>)\n"
    assert res.stderr.startswith(f"{path}:3:5: error: ")
    res = invoke(["run", str(tmp_path / "missing.txt")])
    assert res.exit_code == 2 and res.stdout == "" and "no such file" in res.stderr


def test_version():
    res = invoke(["--version"])
    assert res.exit_code == 0
    assert res.stdout == f"gradviz, version {gradviz.__version__}\n"


def test_bash_completion_script_as_the_readme_says():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'eval "$(_GRADVIZ_COMPLETE=bash_source gradviz)"' in readme
    env = dict(os.environ, _GRADVIZ_COMPLETE="bash_source")
    res = subprocess.run([sys.executable, "-c", "from gradviz.cli import main; main(prog_name='gradviz')"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0
    assert "complete -o nosort -F _gradviz_completion gradviz" in res.stdout
    # and the completions it would offer for `gradviz r<TAB>`
    env.update(_GRADVIZ_COMPLETE="bash_complete", COMP_WORDS="gradviz r", COMP_CWORD="1")
    res = subprocess.run([sys.executable, "-c", "from gradviz.cli import main; main(prog_name='gradviz')"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert "plain,run" in res.stdout
