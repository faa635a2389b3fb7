"""Run every workload against PyTorch, numpy by hand and micrograd (when
installed), side by side in one process; print and write a markdown table.

    python -m bench.run                 # full run, writes docs/benchmarks.md
    python -m bench.run --quick         # small sizes, a smoke run (writes nothing)
    python -m bench.run --only W1,W2    # some workloads (W1 W2 W3 W4 W5 P)
    python -m bench.run --reps 9 --out -

How it measures, so that a loaded machine still gives fair ratios:

* the contenders of a workload take turns, one run each per round, in a
  rotating order, so that a burst of load hits them alike;
* every run is timed twice, by the wall clock and by this process's CPU time
  (time.process_time): on a busy machine the wall clock also counts the time
  other processes held the CPU, the CPU time does not (it does count every
  thread: BLAS in W2 runs on several, so there the wall clock is the measure);
* times are medians of the rounds, and a ratio is gradviz's median over the
  contender's, from the same rounds;
* gradviz and PyTorch run the same program text: gradviz parses it, PyTorch
  has Python compile it (the DSL is Python once the bare names are torch's).
"""
from __future__ import annotations

import argparse
import datetime
import gc
import io
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from . import contenders as C
from . import workloads as W

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "P")


# ---- timing ----------------------------------------------------------------

class Timing:
    """Medians of one contender's rounds: wall clock and CPU seconds."""

    def __init__(self, walls: list[float], cpus: list[float]):
        self.wall = statistics.median(walls)
        self.cpu = statistics.median(cpus)


def measure(contenders: dict, reps: int, warmup: int = 1,
            collected: bool = False) -> dict[str, Timing]:
    """Time each callable of ``contenders`` ``reps`` times, taking turns.

    collected=True also gives, as NAME+gc, each run with the reclaiming of
    the memory it left: a gc.collect() right after it, which walks only the
    objects made since the run began (gc.freeze()). Memory freed by reference counting is
    freed inside the run already; objects in reference cycles (micrograd's
    Values and their closures) wait for the cyclic collector, whose walk a
    process that runs the program pays sooner or later. (Without it, the
    gc.collect() before every run frees them outside the timing.)"""
    names = list(contenders)
    for _ in range(warmup):
        for name in names:
            contenders[name]()
    walls = {name: [] for name in names}
    cpus = {name: [] for name in names}
    extra = {name: ([], []) for name in names}
    for r in range(reps):
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = contenders[name]
            gc.collect()
            if collected:
                # the objects there are now (torch's modules too) out of the
                # collector's sight: the collection after the run walks what
                # the run left, not the whole process
                gc.freeze()
            w, c = time.perf_counter(), time.process_time()
            fn()
            cpus[name].append(time.process_time() - c)
            walls[name].append(time.perf_counter() - w)
            if collected:
                w, c = time.perf_counter(), time.process_time()
                gc.collect()
                extra[name][0].append(walls[name][-1] + time.perf_counter() - w)
                extra[name][1].append(cpus[name][-1] + time.process_time() - c)
                gc.unfreeze()
    timings = {name: Timing(walls[name], cpus[name]) for name in names}
    if collected:
        timings |= {name + "+gc": Timing(*extra[name]) for name in names}
    return timings


def subprocess_timings(runs: dict[str, tuple], reps: int) -> dict[str, Timing | None]:
    """Wall and CPU (user + system of the child) medians of whole processes.

    ``runs`` maps a name to (cmd, env, cwd). The processes take turns, one of
    each per round in a rotating order (as in measure()), so that a slow
    spell of the machine hits them alike; one whose first run fails is None.
    """
    def once(cmd, env, cwd) -> int:
        return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              check=False, cwd=cwd, env=env).returncode
    names = [name for name, run in runs.items() if once(*run) == 0]   # warms the disk cache
    walls = {name: [] for name in names}
    cpus = {name: [] for name in names}
    for r in range(reps if names else 0):
        for name in names[r % len(names):] + names[:r % len(names)]:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            w = time.perf_counter()
            once(*runs[name])
            walls[name].append(time.perf_counter() - w)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {name: Timing(walls[name], cpus[name]) if name in walls else None for name in runs}


def subprocess_timing(cmd: list[str], reps: int, env: dict | None = None,
                      cwd: Path = ROOT) -> Timing | None:
    """Wall and CPU medians of a whole process (None when it fails)."""
    return subprocess_timings({"": (cmd, env, cwd)}, reps)[""]


def fmt(t: float | None) -> str:
    if t is None:
        return "–"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 1e-3:
        return f"{t * 1e3:.1f} ms"
    return f"{t * 1e6:.0f} µs"


def ratio(a: Timing | None, b: Timing | None) -> str:
    """gradviz / contender, by wall clock and by CPU time."""
    if a is None or b is None:
        return "–"
    return f"{a.wall / b.wall:.2f}x wall, {a.cpu / b.cpu:.2f}x CPU"


# ---- the contenders' runs ------------------------------------------------------

def run_gradviz(text: str):
    import gradviz
    return gradviz.run_source(text, stdout=io.StringIO())


def run_parsed(program, text: str) -> None:
    """gradviz without its parser: the interpreter and backward on a parsed
    program (a diagnostic row: how fast the engine itself is)."""
    from gradviz.gcpause import gc_paused
    from gradviz.interpreter import Interpreter
    rt = Interpreter(text, io.StringIO())
    with np.errstate(all="ignore"), gc_paused():
        rt.run(program)


def have_torch() -> bool:
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


class Bench:
    def __init__(self, quick: bool, reps: int):
        self.quick = quick
        self.reps = reps
        self.rows: list[tuple] = []      # (workload, what, Timing | None, note)
        self.notes: list[str] = []
        self.torch = have_torch()
        self.ns = C.torch_namespace() if self.torch else None
        self.load = [os.getloadavg()[0]]

    def row(self, workload: str, what: str, t: Timing | None, note: str = "") -> None:
        self.rows.append((workload, what, t, note))
        wall, cpu = (None, None) if t is None else (t.wall, t.cpu)
        print(f"{workload:3} {what:58} {fmt(wall):>9} {fmt(cpu):>9}  {note}", flush=True)

    # W1 ------------------------------------------------------------------
    def w1(self):
        from gradviz.parser import parse
        n = 1_000 if self.quick else 10_000
        text = W.deep_chain(n)
        program = parse(text)
        runs = {"gradviz": lambda: run_gradviz(text),
                "parsed": lambda: run_parsed(program, text),
                "f64": lambda: C.numpy_deep_chain(n),
                "f32": lambda: C.numpy_deep_chain(n, dtype=np.float32)}
        if self.torch:
            runs["torch"] = lambda: C.run_torch(text, self.ns)
        t = measure(runs, self.reps)
        self.row("W1", f"gradviz run_source, N={n:,} ({3 * n:,} ops)", t["gradviz"],
                 f"{ratio(t['gradviz'], t.get('torch'))} of PyTorch (goal <= 0.5x)")
        self.row("W1", "PyTorch eager, same program text", t.get("torch"))
        self.row("W1", "gradviz without its parser (diagnostic)", t["parsed"],
                 f"{ratio(t['parsed'], t.get('torch'))} of PyTorch")
        self.row("W1", "numpy by hand, float64 (no graph)", t["f64"])
        self.row("W1", "numpy by hand, float32 (no graph)", t["f32"])
        if C.micrograd_available():
            m_n = 300       # its recursive topological sort fails a little above this
            m = measure({"micrograd": lambda: C.micrograd_deep_chain(m_n)},
                        max(1, self.reps // 2))["micrograd"]
            scaled = Timing([m.wall * n / m_n], [m.cpu * n / m_n])
            self.row("W1", f"micrograd, N={m_n} scaled to N={n:,}", scaled,
                     f"gradviz {t['gradviz'].cpu / scaled.cpu:.3f}x CPU")
            try:
                C.micrograd_deep_chain(400)
                self.notes.append("micrograd ran N=400 without a RecursionError")
            except RecursionError:
                self.notes.append("micrograd: RecursionError at N=400 (a recursive "
                                  "topological sort), so W1 times its N=300 and scales")
        if not self.quick:
            self.deep()

    def deep(self):
        """N=100,000 (300k nodes): run, terminal tables and the folded
        picture's DOT as the CLI makes them, in a subprocess so that its
        peak memory is its own."""
        code = (
            "import io, resource, sys, time; sys.path.insert(0, %r)\n"
            "from bench import workloads as W\n"
            "import gradviz\n"
            "from gradviz.render.tables import prepare_tables, print_tables\n"
            "from rich.console import Console\n"
            "text = W.deep_chain(100_000)\n"
            "c0 = time.process_time(); r = gradviz.run_source(text, stdout=io.StringIO())\n"
            "c1 = time.process_time(); prepare_tables(r)\n"
            "print_tables(r, console=Console(file=io.StringIO(), width=120))\n"
            "c2 = time.process_time(); r.to_dot()\n"
            "c3 = time.process_time()\n"
            "print(c1 - c0, c2 - c1, c3 - c2, "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)\n" % str(ROOT))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             cwd=ROOT)
        if out.returncode != 0:
            self.row("W1", "N=100,000 (300k nodes)", None,
                     "FAILED: " + out.stderr.strip()[-300:].replace("\n", " "))
            return
        run_t, tab_t, dot_t, mb = (float(v) for v in out.stdout.split()[-4:])
        self.row("W1", "N=100,000 (300k nodes): run_source (CPU)", Timing([run_t], [run_t]),
                 f"peak memory of the process {mb:.0f} MB (goal < 1 GB)")
        self.row("W1", "N=100,000: terminal tables, a few hundred rows (CPU)",
                 Timing([tab_t], [tab_t]))
        self.row("W1", "N=100,000: DOT of the folded picture (CPU)", Timing([dot_t], [dot_t]))

    # W2 ------------------------------------------------------------------
    def w2(self):
        size, batch = (128, 64) if self.quick else (512, 256)
        text = W.wide(size, batch)
        runs = {"gradviz": lambda: run_gradviz(text),
                "np_all": C.numpy_wide(size, batch, with_init=True),
                "np_step": C.numpy_wide(size, batch)}
        if self.torch:
            runs["torch"] = lambda: C.run_torch(text, self.ns)
        t = measure(runs, self.reps)
        self.row("W2", f"gradviz run_source, {size}x{size} @ {size}x{batch}", t["gradviz"],
                 f"{ratio(t['gradviz'], t.get('torch'))} of PyTorch f32 (goal <= 1.2x, wall)")
        self.row("W2", "PyTorch eager f32, same program text", t.get("torch"))
        self.row("W2", "numpy by hand f32, with the random init", t["np_all"],
                 f"gradviz {ratio(t['gradviz'], t['np_all'])}")
        self.row("W2", "numpy by hand f32, matmuls and gradients only", t["np_step"])

    # W3 ------------------------------------------------------------------
    def w3(self):
        from gradviz.parser import parse
        text = W.scalar_mlp()
        program = parse(text)
        n_tensors = len(run_gradviz(text).tensors)
        runs = {"gradviz": lambda: run_gradviz(text),
                "parsed": lambda: run_parsed(program, text),
                "numpy": C.numpy_scalar_mlp(),
                # a reference: what reading the text costs Python itself
                "compile": lambda: compile(text, "<bench>", "exec")}
        if self.torch:
            runs["torch"] = lambda: C.run_torch(text, self.ns)
        if C.micrograd_available():
            runs["micrograd"] = C.micrograd_scalar_mlp
            runs["micrograd_text"] = C.micrograd_program_text(text)
        t = measure(runs, self.reps, collected=True)
        self.row("W3", f"gradviz run_source, scalar MLP ({n_tensors:,} tensors)", t["gradviz"],
                 f"{ratio(t['gradviz'], t.get('micrograd'))} of micrograd (goal < 1x)")
        self.row("W3", "gradviz without its parser (diagnostic)", t["parsed"],
                 f"{ratio(t['parsed'], t.get('micrograd'))} of micrograd")
        self.row("W3", "PyTorch eager (0-d tensors), same program text", t.get("torch"),
                 "" if "torch" not in t else
                 f"gradviz {ratio(t['gradviz'], t['torch'])} of PyTorch")
        self.row("W3", "micrograd (same network, Python floats)", t.get("micrograd"))
        self.row("W3", "micrograd, the same program text (compiled in the run)",
                 t.get("micrograd_text"),
                 "" if "micrograd_text" not in t else
                 f"gradviz {ratio(t['gradviz'], t['micrograd_text'])} of it "
                 "(timed as PyTorch's row)")
        # what each left for the cyclic collector: micrograd's graph is made of
        # reference cycles (a Value's _backward closure holds the Value), so
        # freeing it takes a walk of the collector, which the rows above leave
        # out; gradviz's graph is freed by reference counting inside its run
        self.row("W3", "gradviz run_source, with its memory reclaimed", t["gradviz+gc"],
                 f"{ratio(t['gradviz+gc'], t.get('micrograd+gc'))} of micrograd's row below "
                 "(goal < 1x)")
        self.row("W3", "micrograd (Python floats), with its cyclic garbage collected",
                 t.get("micrograd+gc"))
        self.row("W3", "micrograd, the same program text, its garbage collected",
                 t.get("micrograd_text+gc"),
                 "" if "micrograd_text+gc" not in t else
                 f"gradviz {ratio(t['gradviz+gc'], t['micrograd_text+gc'])} of it")
        self.row("W3", "Python's compile() of the same text (a reference)", t["compile"],
                 f"{ratio(t['compile'], t.get('micrograd'))} of micrograd's whole run; "
                 "micrograd's program is compiled before it is timed")
        self.row("W3", "numpy by hand, vectorised", t["numpy"])

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
        t = measure({"dot": lambda: to_dot(rec, max_nodes=0)}, self.reps)["dot"]
        self.row("W4", f"DOT of a {nodes:,}-node chain (unfolded)", t,
                 f"{t.cpu / nodes * 1e6:.2f} µs per node, CPU (goal <= 5)")
        try:
            from gradviz.render.layout import dot_to_svg
            dot_to_svg("digraph { a -> b }", engine="embedded")      # module ready
        except Exception as exc:       # the embedded engine is optional
            self.notes.append(f"W4 layout skipped: {exc}")
            return
        dot0 = to_dot(rec, max_nodes=0)
        # three runs (about half a second each), not self.reps
        runs = min(3, self.reps)
        # without a timeout (the build the one-shot commands use), and with
        # one (the build with wasmtime's epoch checks, which a timeout needs:
        # library calls with a timeout, run --watch); taking turns
        dot_to_svg("digraph { a -> b }", engine="embedded", timeout=60)    # that build ready
        both = measure({"svg": lambda: dot_to_svg(dot0, engine="embedded"),
                        "timeout": lambda: dot_to_svg(dot0, engine="embedded", timeout=60)},
                       runs, warmup=0)
        s = both["svg"]
        self.row("W4", f"SVG layout of it, embedded Graphviz ({len(dot0) / 1e6:.1f} MB of DOT)",
                 s, f"median of {runs}; goal < 0.5 s")
        self.row("W4", "the same with a timeout (the interruptible build)", both["timeout"],
                 f"{both['timeout'].cpu / s.cpu:.2f}x CPU of the row above")
        folded = to_dot(rec)
        s2 = measure({"svg": lambda: dot_to_svg(folded, engine="embedded")}, self.reps)["svg"]
        self.row("W4", "SVG of it folded by --max-nodes (default)", s2)
        code = ("import time, sys; sys.path.insert(0, %r); t = time.perf_counter()\n"
                "from gradviz.render.layout import dot_to_svg\n"
                "dot_to_svg('digraph { a -> b }', engine='embedded')\n"
                "print(time.perf_counter() - t)" % str(ROOT))
        cache = tempfile.mkdtemp(prefix="gradviz-bench-cache-")   # a cold cache
        env = {**os.environ, "GRADVIZ_CACHE_DIR": cache}
        try:
            first = subprocess.run([sys.executable, "-c", code], capture_output=True,
                                   text=True, env=env)
            again = [float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                          text=True, env=env).stdout.split()[-1])
                     for _ in range(3)]
            cold = float(first.stdout.split()[-1])
        except (ValueError, IndexError):
            self.notes.append("W4 module timing failed: " + first.stderr[-200:])
            return
        finally:
            shutil.rmtree(cache, ignore_errors=True)
        self.row("W4", "WebAssembly module + first render, new process, cold cache",
                 Timing([cold], [cold]), "wall")
        again_t = statistics.median(again)
        self.row("W4", "the same, cached module", Timing([again_t], [again_t]),
                 "wall; goal: module < 0.1 s")

    # W5 ------------------------------------------------------------------
    def w5(self):
        """Whole processes. Two set-ups: bytecode cached (as a pip-installed
        package: .pyc files; here in a private PYTHONPYCACHEPREFIX, so that
        nothing is written into the source tree), and gradviz compiled from
        source in every process (this environment's PYTHONDONTWRITEBYTECODE
        with a copy of the package that has no .pyc)."""
        reps = max(5, self.reps)
        sample = str(ROOT / "samples" / "seed_scalar.txt")
        scratch = Path(tempfile.mkdtemp(prefix="gradviz-bench-w5-"))
        try:
            cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
            cached["PYTHONPYCACHEPREFIX"] = str(scratch / "pyc")
            # this tree's gradviz, not an installed copy of some other version
            cached["PYTHONPATH"] = str(ROOT)
            copy = scratch / "src"
            shutil.copytree(ROOT / "gradviz", copy / "gradviz",
                            ignore=shutil.ignore_patterns("__pycache__"))
            source = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1",
                      "PYTHONPYCACHEPREFIX": str(scratch / "pyc"),
                      "PYTHONPATH": str(copy)}
            py = [sys.executable]
            gz = py + ["-m", "gradviz"]
            cases = [("python -c pass (the interpreter alone)", py + ["-c", "pass"], ""),
                     ("python -c 'import click'", py + ["-c", "import click"], ""),
                     ("python -c 'import numpy'", py + ["-c", "import numpy"], ""),
                     ("gradviz --help", gz + ["--help"], "goal < 0.15 s"),
                     ("gradviz run seed_scalar.txt --no-tables",
                      gz + ["run", sample, "--no-tables"], "goal < 0.35 s")]
            runs, goals = {}, {}
            for what, cmd, goal in cases:
                setups = [(", .pyc cached", cached, scratch)]
                if cmd[1] == "-m":
                    setups.append((", gradviz compiled from source", source, copy))
                for setup, env, cwd in setups:
                    runs[what + setup] = (cmd, env, cwd)
                    goals[what + setup] = goal
            times = subprocess_timings(runs, reps)
            # the interpreter's own start-up is in every row: say what each adds to it
            bare = times[cases[0][0] + ", .pyc cached"]

            def plus(d: float) -> str:
                return ("+" if d >= 0 else "-") + fmt(abs(d))
            for name, t in times.items():
                notes = [goals[name]] if goals[name] else []
                if t is None:
                    notes.append("FAILED")
                elif bare is not None and t is not bare:
                    notes.append(f"{plus(t.wall - bare.wall)} wall, {plus(t.cpu - bare.cpu)} CPU "
                                 "over the interpreter alone")
                self.row("W5", name, t, "; ".join(notes))
            if self.torch:
                self.row("W5", "python -c 'import torch'",
                         subprocess_timing(py + ["-c", "import torch"], 3, env=cached,
                                           cwd=scratch))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # P -------------------------------------------------------------------
    def p(self):
        import ast

        from gradviz.gcpause import gc_paused
        from gradviz.parser import parse

        def python_parse():
            with gc_paused():      # as gradviz's parse() does: no collections meanwhile
                ast.parse(text)
        n = 3_000 if self.quick else 30_000
        text = W.parse_only(n)
        distinct = W.parse_distinct(n)
        t = measure({"gradviz": lambda: parse(text), "ast": python_parse,
                     "distinct": lambda: parse(distinct)}, self.reps)
        self.row("P", f"gradviz parse of a {n:,}-line program (one line repeated)",
                 t["gradviz"], f"goal < 0.3 s; {ratio(t['gradviz'], t['ast'])} of ast.parse")
        self.row("P", "Python's own parser (ast.parse, in C, to Python objects), same text",
                 t["ast"], "a reference")
        self.row("P", f"gradviz parse of {n:,} distinct lines (a new name on each)",
                 t["distinct"], f"{ratio(t['distinct'], t['ast'])} of ast.parse of the other")

    # ---- the report ------------------------------------------------------
    def markdown(self, argv: list[str]) -> str:
        import numpy
        cpu = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
        torch = f"torch {__import__('torch').__version__}" if self.torch else "torch absent"
        try:
            import micrograd  # noqa: F401
            mg = "micrograd installed"
        except ImportError:
            mg = "micrograd absent"
        load = ", ".join(f"{v:.1f}" for v in self.load)
        command = " ".join(["python -m bench.run", *argv]).strip()
        lines = [
            "# Benchmarks", "",
            f"Machine: {cpu}, {os.cpu_count()} cores, {platform.system()}; "
            f"Python {platform.python_version()}, numpy {numpy.__version__}, {torch}, {mg}.",
            f"Run: `{command}` on {datetime.date.today().isoformat()}; medians of "
            f"{self.reps} rounds, the contenders of a workload taking turns in each round.",
            f"Load average (1 min) at the start and the end: {load}. Other work shared the "
            "cores, and on a shared virtual machine the speed can also change from minute "
            "to minute by up to 2x (unseen by the load average): absolute times are "
            "inflated and noisy, so compare the ratios, and prefer the CPU-time ones (this "
            "process's CPU time, which load inflates less; in W2 BLAS uses several threads, "
            "so there the wall clock counts).", "",
            "| workload | contender | wall | CPU | note |", "|---|---|---|---|---|"]
        for w, what, t, note in self.rows:
            wall, cpu_t = (None, None) if t is None else (t.wall, t.cpu)
            lines.append(f"| {w} | {what} | {fmt(wall)} | {fmt(cpu_t)} | {note} |")
        if self.notes:
            lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--reps", type=int, default=7, help="rounds per workload (default 7)")
    ap.add_argument("--only", default=",".join(WORKLOADS),
                    help="comma-separated workloads: " + " ".join(WORKLOADS))
    ap.add_argument("--out", default=None,
                    help="markdown file (default docs/benchmarks.md, none with --quick; - for none)")
    args = ap.parse_args(argv)
    names = [w.strip().upper() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in names if w not in WORKLOADS]
    if unknown:
        ap.error(f"unknown workload {', '.join(unknown)} (choose from {' '.join(WORKLOADS)})")
    b = Bench(args.quick, args.reps)
    print(f"{'':3} {'':58} {'wall':>9} {'CPU':>9}")
    for name in names:
        getattr(b, name.lower())()
    b.load.append(os.getloadavg()[0])
    md = b.markdown(argv)
    out = args.out or ("-" if args.quick else str(ROOT / "docs" / "benchmarks.md"))
    if out != "-":
        Path(out).write_text(md)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
