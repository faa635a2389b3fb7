"""Conformance: programs with what real PyTorch 2.13 printed and computed.

Each case is NAME.txt beside NAME.expected.out (PyTorch's print output) and
NAME.expected.json (the final values, grads and flags of every variable, and
the error where PyTorch failed). tests/conformance holds the shared corpus,
tests/conformance_extra the cases written for this project (recorded with
the same oracle), tests/conformance_script those that pin what a plain
script's bare sum/max/min/abs/pow do with Python values (recorded by
scripts/script_oracle.py: the same oracle, those names left to Python; see
gradviz/bare_builtins.py). Every case runs twice:

- through the CLI, as a user would run it (`python -m gradviz run CASE
  --no-tables --json OUT`): stdout byte for byte, the JSON variables, the
  exit code, and the diagnostic of a failing program. The shared corpus runs
  in a subprocess each; the extra cases through the same command in-process
  (click's runner), since each subprocess pays for the imports again;
- in-process through gradviz.run_source (faster, and it checks the API).
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradviz
from gradviz.cli import main as cli_main
from gradviz.errors import GradvizError
from gradviz.render.jsonout import variables as record_variables
from machine import outputs_match

HERE = Path(__file__).parent
CASE_DIRS = (HERE / "conformance", HERE / "conformance_extra", HERE / "conformance_script")
CASES = sorted((p for d in CASE_DIRS for p in d.glob("*.txt")), key=lambda p: (p.parent.name, p.name))
CASE_IDS = [f"{p.parent.name}/{p.stem}" for p in CASES]

# PyTorch's phrases for the classic autograd confusions: when PyTorch's
# message holds one, gradviz's must too
PHRASES = (
    "grad can be implicitly created only for scalar outputs",
    "backward through the graph a second time",
    "does not require grad",
    "only Tensors of floating point",
    "cannot be multiplied",
)
RTOL, ATOL = 1e-4, 1e-5
CLI_TIMEOUT = 120
# the subprocesses mostly wait on imports; run a few at once
CLI_WORKERS = 4


def close(a, b) -> bool:
    """Nested lists of numbers equal within RTOL/ATOL; NaN == NaN; bools and
    None exactly."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, list) or isinstance(y, list):
            if not (isinstance(x, list) and isinstance(y, list) and len(x) == len(y)):
                return False
            stack.extend(zip(x, y))
            continue
        if isinstance(x, bool) or isinstance(y, bool) or x is None or y is None:
            if x != y or type(x) is not type(y):
                return False
            continue
        x, y = float(x), float(y)
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif math.isinf(x) or math.isinf(y):
            if x != y:
                return False
        elif abs(x - y) > ATOL + RTOL * abs(y):
            return False
    return True


def variable_mismatches(got: dict, want: dict) -> list[str]:
    """What differs between gradviz's variables and PyTorch's."""
    problems = []
    for name, w in want.items():
        g = got.get(name)
        if g is None:
            problems.append(f"variable {name} missing")
            continue
        if list(g["shape"]) != w["shape"]:
            problems.append(f"{name}.shape: {g['shape']} != {w['shape']}")
        for key in ("dtype", "requires_grad", "is_leaf"):
            if g[key] != w[key]:
                problems.append(f"{name}.{key}: {g[key]} != {w[key]}")
        if not close(g["value"], w["value"]):
            problems.append(f"{name}.value: {g['value']} != {w['value']}")
        if not close(g["grad"], w["grad"]):
            problems.append(f"{name}.grad: {g['grad']} != {w['grad']}")
    return problems


def assert_output(got: str, want: str) -> None:
    """The program's printed output is PyTorch's (see machine.py for a CPU
    other than the one the outputs were recorded on)."""
    if not outputs_match(got, want):
        assert got == want


def expected(case: Path) -> tuple[str, dict]:
    out = case.with_suffix(".expected.out").read_text()
    return out, json.loads(case.with_suffix(".expected.json").read_text())


def test_corpus_is_complete():
    """Every case has both expected files, and the shared corpus is all here."""
    assert len([c for c in CASES if c.parent.name == "conformance"]) >= 15
    assert any(c.parent.name == "conformance_extra" for c in CASES)
    for case in CASES:
        assert case.with_suffix(".expected.out").exists(), case
        assert case.with_suffix(".expected.json").exists(), case


# ---- through the CLI ------------------------------------------------------

def _run_cli(case: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "out.json"
        env = dict(os.environ, COLUMNS="100")
        proc = subprocess.run(
            [sys.executable, "-m", "gradviz", "run", case.name, "--no-tables",
             "--json", str(out_json)],
            cwd=case.parent, capture_output=True, text=True, timeout=CLI_TIMEOUT, env=env)
        data = json.loads(out_json.read_text()) if out_json.exists() else None
    return {"code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr,
            "json": data, "name": case.name}


def _run_cli_in_process(case: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out_json = Path(tmp) / "out.json"
        res = CliRunner().invoke(cli_main, ["run", str(case), "--no-tables", "--json",
                                            str(out_json)])
        data = json.loads(out_json.read_text()) if out_json.exists() else None
    return {"code": res.exit_code, "stdout": res.stdout, "stderr": res.stderr, "json": data,
            "name": str(case)}


SUBPROCESS_CASES = [c for c in CASES if c.parent.name == "conformance"]


def _succeeds(case: Path) -> bool:
    """Whether PyTorch ran the case to its end (its record ends in "error": null)."""
    with case.with_suffix(".expected.json").open("rb") as f:
        f.seek(0, 2)
        f.seek(max(f.tell() - 64, 0))
        return re.search(rb'"error": null\s*}\s*$', f.read()) is not None


# the cases run through the command line: the shared ones (each as a
# process), every case that fails (its message, line and hint are the CLI's
# stderr) and every third of the others; test_in_process runs every case, and
# the lines a run prints are the same through both
CLI_CASES = [c for i, c in enumerate(CASES)
             if c.parent.name == "conformance" or i % 3 == 0 or not _succeeds(c)]


@pytest.fixture(scope="module")
def cli_results() -> dict:
    with ThreadPoolExecutor(CLI_WORKERS) as pool:
        return dict(zip(SUBPROCESS_CASES, pool.map(_run_cli, SUBPROCESS_CASES)))


@pytest.mark.parametrize("case", CLI_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_cli(case, cli_results):
    want_out, want = expected(case)
    res = cli_results[case] if case in cli_results else _run_cli_in_process(case)
    said = res["stdout"] + res["stderr"]
    assert "Traceback" not in said, said
    # --no-tables: stdout is exactly the program's own prints, also when it fails
    assert_output(res["stdout"], want_out)
    err = want["error"]
    if err is None:
        assert res["code"] == 0, res["stderr"]
        # nothing on stderr but the NaN/inf warning lines (issue 6)
        assert all(line.startswith("warning: ") for line in res["stderr"].splitlines())
    else:
        assert res["code"] == 1, said
        line = err["line"]
        assert f"{res['name']}:{line}:" in res["stderr"], res["stderr"]
        assert "error: " in res["stderr"]
        assert "\nhint: " in res["stderr"], "a failing program gets a one-line hint"
        for phrase in PHRASES:
            if phrase in err["message"]:
                assert phrase in res["stderr"]
    assert res["json"] is not None, "--json wrote no file"
    assert variable_mismatches(res["json"]["variables"], want["variables"]) == []
    if err is None:
        assert res["json"]["error"] is None
    else:
        assert res["json"]["error"]["type"] == err["type"]
        assert res["json"]["error"]["line"] == err["line"]


# ---- in-process -----------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_in_process(case):
    want_out, want = expected(case)
    out = io.StringIO()
    err = want["error"]
    try:
        record = gradviz.run_source(case.read_text(), filename=case.name, stdout=out)
        failure = None
    except GradvizError as exc:
        record, failure = exc.record, exc
    assert_output(out.getvalue(), want_out)
    assert record.output == out.getvalue()
    if err is None:
        assert failure is None, failure.format(case.read_text(), case.name)
    else:
        assert failure is not None, f"PyTorch failed with {err['type']}: {err['message']}"
        assert failure.kind == err["type"]
        assert failure.span is not None and failure.span.line == err["line"]
        assert failure.hint, "a failing program gets a hint"
        for phrase in PHRASES:
            if phrase in err["message"]:
                assert phrase in failure.message
    assert variable_mismatches(record_variables(record), want["variables"]) == []


def test_another_cpu_passes_last_digit_differences_only(monkeypatch):
    """machine.py's allowance, where the outputs were recorded on another CPU."""
    import machine
    monkeypatch.setattr(machine, "cpu_capability", lambda: "avx2")
    ok = machine.outputs_match
    assert ok("tensor([1.0716, 2.0000])\n", "tensor([1.0717, 2.0000])\n")
    assert ok("epoch 2, loss 18.178976\n", "epoch 2, loss 18.178978\n")
    assert ok("x 2.3842e-07", "x 2.3843e-07")
    assert not ok("tensor([1.0716, 2.0000])\n", "tensor([1.0726, 2.0000])\n")
    assert not ok("x 2.3842e-07", "x 2.3842e-06")
    assert not ok("tensor([1.0716])\n", "tensor([1.0716], grad_fn=<MulBackward0>)\n")
    assert not ok("True\n", "False\n")
    monkeypatch.setattr(machine, "cpu_capability", lambda: machine.REFERENCE)
    assert not ok("tensor([1.0716])\n", "tensor([1.0717])\n")
