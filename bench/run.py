"""Run every workload against PyTorch, numpy by hand and micrograd (when
installed), side by side in one process; print and write a markdown table.

    python -m bench.run                 # full run, writes docs/benchmarks.md
    python -m bench.run --quick         # small sizes, a smoke run
    python -m bench.run --only W1,W2    # some workloads

Times are medians of several repetitions; ratios are gradviz / contender,
measured in the same run (the machine is noisy: compare ratios, not times).
"""
from __future__ import annotations

import argparse
import gc
import io
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from . import contenders as C
from . import workloads as W

ROOT = Path(__file__).resolve().parent.parent


def median_time(fn, reps: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def fmt(t: float | None) -> str:
    if t is None:
        return "–"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def ratio(a, b) -> str:
    return "–" if a is None or b is None else f"{a / b:.2f}x"


def run_gradviz(text: str):
    import gradviz
    return gradviz.run_source(text, stdout=io.StringIO())


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def subprocess_time(cmd, reps: int) -> float:
    def once():
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       cwd=ROOT)
    return median_time(once, reps, warmup=1)


class Bench:
    def __init__(self, quick: bool, reps: int):
        self.quick = quick
        self.reps = reps
        self.rows: list[tuple] = []      # (workload, contender, time, ratio note)
        self.notes: list[str] = []
        self.torch = have_torch()
        self.ns = C.torch_namespace() if self.torch else None

    def row(self, workload, what, t, note=""):
        self.rows.append((workload, what, t, note))
        print(f"{workload:4} {what:44} {fmt(t):>10}  {note}", flush=True)

    # W1 ------------------------------------------------------------------
    def w1(self):
        n = 1_000 if self.quick else 10_000
        text = W.deep_chain(n)
        g = median_time(lambda: run_gradviz(text), self.reps)
        tt = median_time(lambda: C.run_torch(text, self.ns), self.reps) if self.torch else None
        f64 = median_time(lambda: C.numpy_deep_chain(n), self.reps)
        f32 = median_time(lambda: C.numpy_deep_chain(n, dtype=np.float32), self.reps)
        self.row("W1", f"gradviz run_source, N={n:,} ({3 * n:,} ops)", g,
                 f"{ratio(g, tt)} of PyTorch (goal <= 0.5x)")
        self.row("W1", "PyTorch eager, same program text", tt)
        self.row("W1", "numpy by hand f64 / f32", f64, f"f32 {fmt(f32)}")
        if C.micrograd_available():
            m_n = 300
            m = median_time(lambda: C.micrograd_deep_chain(m_n), max(1, self.reps // 2))
            scaled = m * n / m_n
            self.row("W1", f"micrograd N={m_n} (scaled to N={n:,})", scaled,
                     f"gradviz is {scaled / g:.0f}x faster")
            try:
                C.micrograd_deep_chain(400)
                self.notes.append("micrograd ran N=400 without RecursionError")
            except RecursionError:
                self.notes.append("micrograd: RecursionError at N=400 (recursive topological sort)")
        if not self.quick:
            self.deep()

    def deep(self):
        """N=100,000 (300k nodes): runs, and its tables print, in a subprocess
        so its peak memory can be read."""
        code = ("import io, resource, time, sys; sys.path.insert(0, %r)\n"
                "from bench import workloads as W\n"
                "import gradviz\n"
                "from gradviz.render.tables import print_tables\n"
                "from rich.console import Console\n"
                "t = time.perf_counter(); r = gradviz.run_source(W.deep_chain(100_000), stdout=io.StringIO())\n"
                "t1 = time.perf_counter(); print_tables(r, console=Console(file=io.StringIO(), width=120))\n"
                "t2 = time.perf_counter()\n"
                "print(t1 - t, t2 - t1, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n"
                % str(ROOT))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
        if out.returncode != 0:
            self.row("W1", "N=100,000 (300k nodes)", None, "FAILED: " + out.stderr.strip()[-200:])
            return
        run_t, tab_t, mb = (float(v) for v in out.stdout.split()[-3:])
        self.row("W1", "N=100,000 (300k nodes): run + backward", run_t, f"peak memory {mb:.0f} MB")
        self.row("W1", "N=100,000: terminal tables", tab_t)

    # W2 ------------------------------------------------------------------
    def w2(self):
        size, batch = (128, 64) if self.quick else (512, 256)
        text = W.wide(size, batch)
        g = median_time(lambda: run_gradviz(text), self.reps)
        note = ""
        if self.torch:
            import torch
            t32 = median_time(lambda: C.run_torch(text, self.ns), self.reps)
            note = f"{ratio(g, t32)} of PyTorch f32 (goal <= 1.2x)"
        else:
            t32 = None
        np32 = median_time(C.numpy_wide(size, batch), self.reps)
        self.row("W2", f"gradviz run_source, {size}x{size} @ {size}x{batch}", g, note)
        self.row("W2", "PyTorch eager f32, same program text", t32)
        self.row("W2", "numpy by hand f32", np32, f"gradviz {ratio(g, np32)} of numpy")

    # W3 ------------------------------------------------------------------
    def w3(self):
        text = W.scalar_mlp()
        n_ops = len(run_gradviz(text).tensors)
        g = median_time(lambda: run_gradviz(text), self.reps)
        self.row("W3", f"gradviz run_source, scalar MLP ({n_ops:,} tensors)", g)
        if self.torch:
            tt = median_time(lambda: C.run_torch(text, self.ns), self.reps)
            self.row("W3", "PyTorch eager (0-d tensors), same program", tt, f"gradviz {ratio(g, tt)}")
        self.row("W3", "numpy by hand, vectorised", median_time(C.numpy_scalar_mlp(), self.reps))
        if C.micrograd_available():
            m = median_time(C.micrograd_scalar_mlp, self.reps)
            self.row("W3", "micrograd", m, f"gradviz {ratio(g, m)} of micrograd (goal < 1x)")

    # W4 ------------------------------------------------------------------
    def w4(self):
        n = 100 if self.quick else 1_000
        rec = run_gradviz(W.deep_chain(n))
        nodes = len(rec.nodes)
        try:
            from gradviz.render.dot import to_dot
        except ImportError:
            self.notes.append("W4 skipped: no DOT renderer")
            return
        d = median_time(lambda: to_dot(rec, max_nodes=0), self.reps)
        self.row("W4", f"DOT of a {nodes:,}-node chain (unfolded)", d,
                 f"{d / nodes * 1e6:.2f} µs per node (goal <= 5)")
        from gradviz.render.layout import dot_to_svg
        dot0 = to_dot(rec, max_nodes=0)
        dot_to_svg("digraph { a -> b }", engine="embedded")        # module ready
        s = median_time(lambda: dot_to_svg(dot0, engine="embedded"), max(1, self.reps // 2), 0)
        self.row("W4", f"SVG layout of it, embedded Graphviz", s, "goal < 0.5 s")
        folded = to_dot(rec)
        s2 = median_time(lambda: dot_to_svg(folded, engine="embedded"), self.reps)
        self.row("W4", "SVG of it folded by --max-nodes (default)", s2)
        code = ("import time, sys; sys.path.insert(0, %r); t = time.perf_counter()\n"
                "from gradviz.render.layout import dot_to_svg\n"
                "dot_to_svg('digraph { a -> b }', engine='embedded')\n"
                "print(time.perf_counter() - t)" % str(ROOT))
        import shutil
        import tempfile
        cache = tempfile.mkdtemp(prefix="gradviz-bench-cache-")   # a cold cache
        env = {**os.environ, "GRADVIZ_CACHE_DIR": cache}
        first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
        again = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      env=env).stdout.split()[-1]) for _ in range(3)]
        shutil.rmtree(cache, ignore_errors=True)
        try:
            self.row("W4", "WebAssembly module + first render, new process, cold cache",
                     float(first.stdout.split()[-1]))
            self.row("W4", "the same, cached module", statistics.median(again), "goal: module < 0.1 s")
        except (ValueError, IndexError):
            self.notes.append("W4 module timing failed: " + first.stderr[-200:])

    # W5 ------------------------------------------------------------------
    def w5(self):
        reps = max(3, self.reps)
        exe = [sys.executable, "-m", "gradviz"]
        self.row("W5", "gradviz --help (whole process)", subprocess_time(exe + ["--help"], reps),
                 "goal < 0.15 s")
        self.row("W5", "gradviz run seed_scalar --no-tables",
                 subprocess_time(exe + ["run", "samples/seed_scalar.txt", "--no-tables"], reps),
                 "goal < 0.35 s")
        self.row("W5", "python -c 'import numpy'",
                 subprocess_time([sys.executable, "-c", "import numpy"], reps))
        if self.torch:
            self.row("W5", "python -c 'import torch'",
                     subprocess_time([sys.executable, "-c", "import torch"], reps))

    def parse(self):
        from gradviz.parser import parse
        n = 3_000 if self.quick else 30_000
        text = W.parse_only(n)
        self.row("P", f"parse a {n:,}-line program", median_time(lambda: parse(text), self.reps),
                 "goal < 0.3 s")

    def markdown(self) -> str:
        import numpy
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        lines = ["# Benchmarks", "",
                 f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
                 f"numpy {numpy.__version__}" + (f", torch {__import__('torch').__version__}"
                                                  if self.torch else ", torch absent"),
                 f"Medians of {self.reps} repetitions, contenders side by side in one run "
                 f"(`python -m bench.run`{' --quick' if self.quick else ''}).", "",
                 "| workload | contender | time | note |", "|---|---|---|---|"]
        for w, what, t, note in self.rows:
            lines.append(f"| {w} | {what} | {fmt(t)} | {note} |")
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="W1,W2,W3,W4,W5,P")
    ap.add_argument("--out", default=None, help="markdown file (default docs/benchmarks.md; - for none)")
    args = ap.parse_args(argv)
    b = Bench(args.quick, args.reps)
    for name in args.only.split(","):
        getattr(b, {"P": "parse"}.get(name, name.lower()))()
    md = b.markdown()
    out = args.out or ("-" if args.quick else str(ROOT / "docs" / "benchmarks.md"))
    if out != "-":
        Path(out).write_text(md)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
