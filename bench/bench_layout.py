"""Time the DOT -> SVG layout step (gradviz.render.layout).

    python bench/bench_layout.py [--reps 7] [--cold-reps 3] [--sizes 300,3000]

Measures, each as the median of several runs:

* ``import gradviz.render.layout`` in a fresh process;
* getting the embedded engine's compiled module in a fresh process, cold
  (empty cache directory: compile + write the cache) and cached (load from
  the cache), with ``import wasmtime`` shown separately;
* the SVG of chain graphs (one box per tensor, like a long autograd chain)
  with the embedded engine, and with the system ``dot`` when it is on PATH.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gradviz.render import layout  # noqa: E402

IMPORT_PROBE = """
import json, time
t, c = time.perf_counter(), time.process_time()
import gradviz.render.layout
print(json.dumps([time.perf_counter() - t, time.process_time() - c]))
"""

LOAD_PROBE = """
import json, time
t0 = time.perf_counter()
import wasmtime
t1 = time.perf_counter()
from gradviz.render import layout
t2, c2 = time.perf_counter(), time.process_time()
source = layout.prepare_embedded()
t3, c3 = time.perf_counter(), time.process_time()
print(json.dumps({"import_wasmtime": t1 - t0, "load": [t3 - t2, c3 - c2], "source": source}))
"""


def chain(n: int) -> str:
    body = " ".join(f'n{i} [label="v{i} = f(v{i - 1})"]; n{i} -> n{i + 1};' for i in range(n))
    return "digraph chain { node [shape=box]; " + body + " }"


def run_probe(code: str, cache_dir: str | None = None,
              pycache: str | None = None) -> str:
    env = dict(os.environ)
    if pycache is not None:      # bytecode on, kept outside the source tree
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = pycache
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"]
                                     if env.get("PYTHONPATH") else "")
    if cache_dir is not None:
        env["GRADVIZ_CACHE_DIR"] = cache_dir
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    return proc.stdout.strip().splitlines()[-1]


def fmt(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7, help="runs per warm measurement")
    ap.add_argument("--cold-reps", type=int, default=3, help="runs of the cold compile")
    ap.add_argument("--sizes", default="300,3000", help="chain lengths, comma-separated")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    # what, median, min, median CPU time (None if not measured), runs
    rows: list[tuple[str, float, float, float | None, int]] = []

    def add(what: str, samples: list) -> None:
        """samples: wall seconds, or (wall, cpu) pairs."""
        walls = [s[0] if isinstance(s, (list, tuple)) else s for s in samples]
        cpus = [s[1] for s in samples if isinstance(s, (list, tuple))]
        rows.append((what, statistics.median(walls), min(walls),
                     statistics.median(cpus) if cpus else None, len(samples)))

    with tempfile.TemporaryDirectory(prefix="gradviz-bench-") as tmp:
        add("import gradviz.render.layout (fresh process)",
            [json.loads(run_probe(IMPORT_PROBE)) for _ in range(args.reps)])
        if sys.flags.dont_write_bytecode:
            pycache = os.path.join(tmp, "pycache")
            run_probe(IMPORT_PROBE, pycache=pycache)             # writes the .pyc files
            add("import gradviz.render.layout (fresh process, .pyc)",
                [json.loads(run_probe(IMPORT_PROBE, pycache=pycache))
                 for _ in range(args.reps)])
        cold, cold_import = [], []
        for i in range(args.cold_reps):
            info = json.loads(run_probe(LOAD_PROBE, os.path.join(tmp, f"cold{i}")))
            assert info["source"] == "compiled", info
            cold.append(info["load"])
            cold_import.append(info["import_wasmtime"])
        warm_dir = os.path.join(tmp, "cold0")
        cached, cached_import = [], []
        for _ in range(args.reps):
            info = json.loads(run_probe(LOAD_PROBE, warm_dir))
            assert info["source"] == "cache", info
            cached.append(info["load"])
            cached_import.append(info["import_wasmtime"])
        add("import wasmtime (fresh process)", cold_import + cached_import)
        add("module: cold (compile + write cache)", cold)
        add("module: cached (read + verify + deserialize)", cached)

        os.environ["GRADVIZ_CACHE_DIR"] = warm_dir
        layout.prepare_embedded()
        engines = ["embedded"] + (["system"] if layout._find_dot() else [])
        for n in sizes:
            source = chain(n)
            for engine in engines:
                layout.dot_to_svg(source, engine=engine)          # warm-up
                samples = []
                for _ in range(args.reps):
                    t, c = time.perf_counter(), time.process_time()
                    svg = layout.dot_to_svg(source, engine=engine)
                    samples.append((time.perf_counter() - t, time.process_time() - c))
                add(f"render chain of {n:,} nodes, {engine} ({len(svg) / 1e6:.2f} MB SVG)",
                    samples)

    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  {'median':>12} {'min':>12} {'CPU (median)':>12}  runs")
    print("-" * (width + 47))
    for what, med, low, cpu, runs in rows:
        cpu_text = fmt(cpu) if cpu is not None else f"{'-':>12}"
        print(f"{what:<{width}}  {fmt(med)} {fmt(low)} {cpu_text}  {runs:4d}")
    print("\n(wall-clock times; CPU is this process's CPU time: all threads, not "
          "counting child processes. On a busy machine wall > CPU.)")
    engines = layout.available_engines()
    print(f"\nembedded: {engines['embedded']}; system dot: {engines['system'] or 'not on PATH'}")
    if sys.flags.dont_write_bytecode:
        print("note: bytecode caching is off (PYTHONDONTWRITEBYTECODE): the first import "
              "row includes compiling the source; the '.pyc' row does not")


if __name__ == "__main__":
    main()
