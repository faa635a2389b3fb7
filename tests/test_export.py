"""`gradviz export --torch`: the program as a PyTorch script. The proof is
running the exported conformance programs under real PyTorch and comparing
what they print with what PyTorch printed for the recorded cases."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradviz.cli import main
from gradviz.export import BARE_PRELUDE, HEADER_IMPORTS, _globals, to_torch
from machine import REFERENCE, cpu_capability
from test_differential import same_print

HERE = Path(__file__).parent
CASES = sorted(p for d in ("conformance", "conformance_extra", "conformance_script") for p in (HERE / d).glob("*.txt")
               if p.with_suffix(".expected.out").exists())
TORCH_TIMEOUT = 600           # (every exported program in one process: under load, minutes)

# runs every exported script in one interpreter (importing torch takes
# seconds): each with its own globals, stdout captured, the exception's name
# kept; and looks up every spelling the exporter can write
DRIVER = textwrap.dedent("""
    import contextlib, io, json, runpy, sys, warnings
    import torch
    import torch.nn.functional as F
    threads = torch.get_num_threads()
    missing = []
    for name, text in json.loads(sys.argv[1]).items():
        root, *path = text.split(".")
        obj = {"torch": torch, "F": F}[root]
        for part in path:
            obj = getattr(obj, part, None)
        if obj is None:
            missing.append(f"{name} -> {text}")
    results = {"missing": missing}
    for path in sys.argv[2:]:
        out = io.StringIO()
        error = None
        # (each script from PyTorch's defaults: one may change them)
        torch.set_grad_enabled(True)
        torch.set_default_device(None)
        torch.set_default_dtype(torch.float32)
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(False)
        torch.backends.cudnn.deterministic = torch.backends.cudnn.benchmark = False
        torch.autograd.set_detect_anomaly(False)
        torch.set_printoptions(profile="default")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with contextlib.redirect_stdout(out):
                try:
                    runpy.run_path(path, run_name="__main__")
                except Exception as exc:
                    error = type(exc).__name__
        results[path] = {"stdout": out.getvalue(), "error": error}
    print(json.dumps(results))
""")


def body(script: str) -> str:
    """The exported script without its header lines."""
    return script.split("\n", 1 + len(HEADER_IMPORTS))[-1]


def test_bare_names_get_their_prefix_and_variables_do_not():
    src = ("# a comment stays\n"
           "x = arange(4.0, requires_grad=True)   # and so does this one\n"
           "sum = sum(x * x)\n"
           "y = sum * 2 + max(x)\n"
           "l = mse_loss(x, zeros(4, dtype=float64).float())\n"
           "g, = grad([l], [x], retain_graph=True)\n"
           "with no_grad():\n"
           "    z = relu(x) + F.relu(x) + torch.tanh(x)\n"
           "print(len(x), abs(-1), float(y), int(2.5), bool)\n"
           "w = torch.mse_loss(x, x) + torch.nn.functional.mse_loss(x, x)\n")
    want = ("# a comment stays\n"
            "x = torch.arange(4.0, requires_grad=True)   # and so does this one\n"
            "sum = sum(x * x)\n"
            "y = sum * 2 + max(x)\n"
            "l = F.mse_loss(x, torch.zeros(4, dtype=torch.float64).float())\n"
            "g, = torch.autograd.grad([l], [x], retain_graph=True)\n"
            "with torch.no_grad():\n"
            "    z = torch.relu(x) + F.relu(x) + torch.tanh(x)\n"
            "print(len(x), abs(-1), float(y), int(2.5), bool)\n"
            "w = F.mse_loss(x, x) + torch.nn.functional.mse_loss(x, x)\n")
    # the bare sum, max and abs stay bare: torch's for a tensor, Python's
    # builtin otherwise, as the prelude defines them (and as gradviz runs them)
    prelude = (BARE_PRELUDE + "sum = _torch_or_builtin(torch.sum, builtins.sum)\n"
               "max = _torch_or_builtin(torch.max, builtins.max)\n"
               "abs = _torch_or_builtin(torch.abs, builtins.abs)\n\n")
    script = to_torch(src, "prog.txt")
    assert script.splitlines()[1:3] == list(HEADER_IMPORTS)
    assert script.startswith("# prog.txt exported by gradviz")
    assert body(script) == "\n" + prelude + want
    assert to_torch(src, "prog.txt") == script            # deterministic


def test_every_kind_of_statement_exports():
    """Each statement of the language (a new one must be added to export's
    table, or export fails on it)."""
    src = ("import torch.nn.functional as G\nfrom torch import nn\nfrom math import sqrt\n"
           "y = sqrt(2.0)\nx = zeros(2, 3)\n"
           "x[0, arange(2)] = tanh(ones(2))\nx += 1\nw = ones(2, requires_grad=True)\n"
           "w.requires_grad = False\nw.grad = zeros(2)\nprint(f\"{exp(x).sum():.2f}\")\n"
           "with no_grad():\n    y = x * 2\n")
    want = ("import torch.nn.functional as G\nfrom torch import nn\nfrom math import sqrt\n"
            "y = sqrt(2.0)\nx = torch.zeros(2, 3)\n"
            "x[0, torch.arange(2)] = torch.tanh(torch.ones(2))\nx += 1\n"
            "w = torch.ones(2, requires_grad=True)\nw.requires_grad = False\n"
            "w.grad = torch.zeros(2)\nprint(f\"{torch.exp(x).sum():.2f}\")\n"
            "with torch.no_grad():\n    y = x * 2\n")
    assert body(to_torch(src)) == want


def test_shadowing_follows_statement_order():
    src = "y = exp(ones(2))\nexp = y * 2\nz = exp + 1\nw = x := 1\n"
    with pytest.raises(Exception):
        to_torch(src)                                      # not the language: a syntax error
    src = "y = exp(ones(2))\nexp = y * 2\nz = exp + 1\n"
    assert body(to_torch(src)) == "y = torch.exp(torch.ones(2))\nexp = y * 2\nz = exp + 1\n"


def test_nested_functions_and_chains_keep_their_names():
    # d2l's get_params defines normal() inside; it and the names of the function
    # around it are the program's, in the inner block too, and only there
    src = ("def get_params(n):\n    exp = n\n    def normal(shape):\n        return randn(shape) * exp\n"
           "    return normal((n, 2))\nw = normal(0.0, 1.0, (2,))\nsum = mean = ones(2)\n"
           "v = sum + mean\n")
    assert body(to_torch(src)) == (
        "def get_params(n):\n    exp = n\n    def normal(shape):\n"
        "        return torch.randn(shape) * exp\n    return normal((n, 2))\n"
        "w = torch.normal(0.0, 1.0, (2,))\nsum = mean = torch.ones(2)\nv = sum + mean\n")


def test_cli_export(tmp_path):
    prog = tmp_path / "p.txt"
    prog.write_text("x = ones(2, requires_grad=True)\nprint(x)\n")
    out = tmp_path / "p_torch.py"
    res = CliRunner().invoke(main, ["export", "--torch", str(prog), "-o", str(out)])
    assert res.exit_code == 0 and res.stdout == ""
    assert body(out.read_text()) == "x = torch.ones(2, requires_grad=True)\nprint(x)\n"
    res = CliRunner().invoke(main, ["export", "--torch", str(prog)])
    assert res.stdout == out.read_text()
    prog.write_text("x = (1 +\n")
    res = CliRunner().invoke(main, ["export", "--torch", str(prog), "-o", str(out)])
    assert res.exit_code == 2 and "error:" in res.stderr and res.stdout == ""
    assert body(out.read_text()).startswith("x = torch.ones")   # not clobbered


# the recording oracle's names (its namespace() bound as a script's prelude;
# conformance_script's cases leave Python's sum, max, min, abs and pow alone)
ORACLE_NAMES = """tensor arange ones zeros full eye linspace ones_like zeros_like
exp log sqrt abs sin cos tanh sigmoid relu sum mean max min prod dot matmul
mm mv transpose reshape softmax log_softmax where clamp maximum minimum pow
no_grad cat stack outer norm square neg""".split()
SCRIPT_BUILTINS = ("sum", "max", "min", "abs", "pow")


def oracle_script(case: Path) -> str:
    """The case as the oracle ran it: torch's names bound, then its text."""
    names = [n for n in ORACLE_NAMES
             if not (case.parent.name == "conformance_script" and n in SCRIPT_BUILTINS)]
    text = case.read_text()
    future = "".join(line + "\n" for line in text.splitlines() if line.startswith("from __future__"))
    return (future + "import torch\nimport torch.nn.functional as F\n"
            + "".join(f"{n} = torch.{n}\n" for n in names)
            + "mse_loss, cross_entropy = F.mse_loss, F.cross_entropy\n"
            + "grad, float32, float64 = torch.autograd.grad, torch.float32, torch.float64\n"
            + "".join(("# " if line.startswith("from __future__") else "") + line + "\n"
                      for line in text.splitlines()))


SHARDS = 4     # (the corpus in 4 parts: pytest -n spreads them over its workers)


def _run_under_torch(paths, spelled=()):
    """Run scripts in one PyTorch process: {path: {stdout, error}}, and
    "missing": the spellings of `spelled` torch lacks."""
    res = subprocess.run([sys.executable, "-c", DRIVER, json.dumps(spelled or {}), *map(str, paths)],
                         capture_output=True, text=True, timeout=TORCH_TIMEOUT, cwd=Path(paths[0]).parent)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


@pytest.fixture(scope="module", params=range(SHARDS))
def torch_run(request, tmp_path_factory):
    """Export a quarter of the conformance cases and run the scripts under
    real PyTorch. On a CPU other than the one the outputs were recorded on
    (machine.py), a script whose output is not the recorded one is checked
    against the case itself as the oracle ran it, run here (results'
    "oracle"): only those, as running every case twice took minutes."""
    if importlib.util.find_spec("torch") is None:   # not importorskip: no import here
        pytest.skip("PyTorch is not installed")
    tmp = tmp_path_factory.mktemp("exported")
    scripts = {}
    for case in CASES[request.param::SHARDS]:
        script = tmp / f"{case.parent.name}__{case.stem}.py"
        script.write_text(to_torch(case.read_text(), case.name))
        scripts[str(script)] = case
    spelled, _ = _globals()
    # (and a quarter of the spellings the exporter can write)
    results = _run_under_torch(list(scripts), dict(sorted(spelled.items())[request.param::SHARDS]))
    if cpu_capability() != REFERENCE:
        originals = {}
        for script, case in scripts.items():
            if results[script]["stdout"] != case.with_suffix(".expected.out").read_text():
                original = tmp / f"{case.parent.name}__{case.stem}__oracle.py"
                original.write_text(oracle_script(case))
                originals[script] = str(original)
        if originals:
            ran = _run_under_torch(list(originals.values()))
            for script, original in originals.items():
                results[script]["oracle"] = ran[original]
    return scripts, results


def test_every_spelling_exists_in_real_torch(torch_run):
    _, results = torch_run
    assert results["missing"] == []


# cases whose PyTorch output depends on where its buffers lie in memory: one
# process that has run hundreds of scripts prints float32 lstsq's last digits
# one way or another (torch.linalg.lstsq of the same 3x2 system gives
# 1.0699999 or 1.0700003 by the alignment of the arrays made before it), so
# there the numbers agree to float32 noise, not to the digit
ALIGNMENT_DEPENDENT = {"linalg_pinv_lstsq.txt"}


def test_exported_conformance_programs_print_what_pytorch_printed(torch_run):
    scripts, results = torch_run
    assert len(CASES) >= 15 and len(scripts) >= len(CASES) // SHARDS
    for path, case in scripts.items():
        got = results[path]
        want_out = case.with_suffix(".expected.out").read_text()
        want = json.loads(case.with_suffix(".expected.json").read_text())
        if "oracle" in got:
            # (machine.py: PyTorch on another CPU than the one that recorded the
            # case prints it its own way: the case as the oracle ran it, here)
            want_out = got["oracle"]["stdout"]
        if case.name in ALIGNMENT_DEPENDENT:
            assert same_print(got["stdout"], want_out), case.name
        else:
            assert got["stdout"] == want_out, case.name
        assert (got["error"] is None) == (want.get("error") is None), (case.name, got["error"])


def test_comprehension_names_stay_bare():
    src = ("xs = [tensor(1.0), tensor(2.0)]\n"
           "a = [t * 2 for t in xs if t > 1]\n"
           "b = [exp(v) for v in [t for t in xs]]\n"
           "d = t\n")
    want = ("xs = [torch.tensor(1.0), torch.tensor(2.0)]\n"
            "a = [t * 2 for t in xs if t > 1]\n"
            "b = [torch.exp(v) for v in [t for t in xs]]\n"
            "d = torch.t\n")
    assert body(to_torch(src)) == want


def test_dict_comprehension_names_stay_bare():
    src = ("params = {'w': ones(2), 'b': zeros(1)}\n"
           "g = {t: exp(mean) for t, mean in params.items() if t != 'b'}\n"
           "h = {'m': mean, 'k': {t: 1}}\n")
    want = ("params = {'w': torch.ones(2), 'b': torch.zeros(1)}\n"
            "g = {t: torch.exp(mean) for t, mean in params.items() if t != 'b'}\n"
            "h = {'m': torch.mean, 'k': {torch.t: 1}}\n")
    assert body(to_torch(src)) == want


def test_the_command_list_says_what_export_does_in_whole_words():
    # (it listed "Write FILE as a runnable PyTorch script (names get their torch.")
    listing = CliRunner().invoke(main, ["--help"]).output
    line = next(ln for ln in listing.splitlines() if ln.strip().startswith("export"))
    assert line.split(None, 1)[1] == "Write FILE as a runnable PyTorch script."
