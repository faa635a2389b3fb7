"""Packaging: a wheel built from the source installs into a fresh virtual
environment and its `gradviz` runs a sample; the version lives in one place;
CI runs exactly the test command the README shows.

The wheel is built from a copy of the source (a build writes build/ and
*.egg-info/ next to the sources), and installed without touching the
network: the venv sees this interpreter's site-packages for the
dependencies (`--system-site-packages`)."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import gradviz

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "samples/seed_detach.txt"
BUILD_TIMEOUT = 600
SETUP_INTRO = "Install the test dependencies and run the tests:"


def _readme_setup_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Set up\n(.*?)(?=^## )", text, re.S | re.M)
    assert match, "README.md has no '## Set up' section"
    return match.group(1)


def _code_blocks(section: str) -> list[list[str]]:
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", section, re.S | re.M)
    return [[line for line in b.splitlines() if line.strip()] for b in blocks]


def test_readme_has_exactly_two_setup_commands():
    blocks = _code_blocks(_readme_setup_section())
    assert len(blocks) == 2, blocks
    assert all(len(lines) == 1 for lines in blocks), blocks
    assert blocks[0][0].startswith("pip install .")


def test_ci_runs_the_readme_test_command_verbatim():
    section = _readme_setup_section()
    after = section.split(SETUP_INTRO, 1)
    assert len(after) == 2, f"the Set up section lost the line {SETUP_INTRO!r}"
    command = _code_blocks(after[1])[0][0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci.splitlines(), f"{command!r} is not a line of .ci/run"


def test_version_lives_in_one_place():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "gradviz.__version__"}' in pyproject
    assert not re.search(r"^version\s*=\s*[\"']", pyproject, re.M)    # no second copy
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", gradviz.__version__)


def _copy_source(dest: Path) -> Path:
    src = dest / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "gradviz", src / "gradviz",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return src


def _run(cmd, **kw) -> subprocess.CompletedProcess:
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT, **kw)
    assert res.returncode == 0, f"{cmd}\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


def _venv_bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(source copy, wheel) built with `pip wheel . --no-deps`."""
    tmp = tmp_path_factory.mktemp("pkg")
    src = _copy_source(tmp)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(dist)])
    (wheel,) = dist.glob("gradviz-*.whl")
    return tmp, wheel


def _install_and_run(tmp: Path, wheel: Path, name: str) -> None:
    venv = tmp / name
    _run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)])
    python = _venv_bin(venv, "python")
    # this interpreter's pip installs into the venv; --ignore-installed so the
    # editable gradviz of the outer environment does not count as installed
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-index", "--ignore-installed", str(wheel)])
    work = tmp / f"{name}-work"
    (work / "samples").mkdir(parents=True)
    shutil.copy2(ROOT / SAMPLE, work / SAMPLE)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    where = _run([str(python), "-c", "import gradviz; print(gradviz.__file__)"], cwd=work,
                 env=env)
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve()), where.stdout
    gradviz_exe = _venv_bin(venv, "gradviz")
    assert gradviz_exe.exists()
    res = _run([str(gradviz_exe), "run", SAMPLE, "--no-tables"], cwd=work, env=env)
    import io
    expected = io.StringIO()
    gradviz.run_source((ROOT / SAMPLE).read_text(), stdout=expected)
    assert res.stdout == expected.getvalue() and res.stdout.count("tensor(") >= 4
    version = _run([str(gradviz_exe), "--version"], cwd=work, env=env)
    assert version.stdout.strip() == f"gradviz, version {gradviz.__version__}"


@pytest.mark.slow
def test_wheel_contents(built):
    _, wheel = built
    assert wheel.name.startswith(f"gradviz-{gradviz.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        assert "gradviz = gradviz.cli:main" in zf.read(entry_points).decode()
        metadata = zf.read(next(n for n in names if n.endswith("METADATA"))).decode()
    for module in ("gradviz/__init__.py", "gradviz/cli.py", "gradviz/ops/registry.py",
                   "gradviz/render/jsonout.py", "gradviz/notebook.py", "gradviz/watch.py"):
        assert module in names, module
    assert not any(n.startswith("tests/") for n in names)
    assert "Requires-Dist: watchfiles" in metadata


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv_and_runs_a_sample(built):
    tmp, wheel = built
    _install_and_run(tmp, wheel, "venv-pip")


@pytest.mark.slow
def test_python_m_build_wheel_installs_and_runs(tmp_path):
    spec = importlib.util.find_spec("build")
    if spec is None or spec.origin is None:    # absent, or just a folder named build/
        pytest.skip("the 'build' package is not installed")
    src = _copy_source(tmp_path)
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"),
          str(src)], cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("gradviz-*.whl")
    _install_and_run(tmp_path, wheel, "venv-build")


@pytest.mark.slow
def test_pipx_install_gives_a_working_gradviz(tmp_path):
    pipx = shutil.which("pipx")
    if pipx is None:
        pytest.skip("pipx is not installed")
    src = _copy_source(tmp_path)
    env = dict(os.environ, PIPX_HOME=str(tmp_path / "pipx"), PIPX_BIN_DIR=str(tmp_path / "bin"))
    _run([pipx, "install", "--system-site-packages", str(src)], env=env)
    work = tmp_path / "work"
    (work / "samples").mkdir(parents=True)
    shutil.copy2(ROOT / SAMPLE, work / SAMPLE)
    res = _run([str(tmp_path / "bin" / "gradviz"), "run", SAMPLE, "--no-tables"], cwd=work,
               env=env)
    assert res.stdout.count("tensor(") >= 4
