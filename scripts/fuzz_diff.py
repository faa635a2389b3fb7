"""Run fuzz-generated programs under real PyTorch and under gradviz, and compare.

    python scripts/fuzz_diff.py [--count 2000] [--seed 100] [--only typed calls]
                                [--out DIR] [--timeout 10] [--messages]

Each program comes from one of the generators in tests/test_fuzz.py (the
byte and token soups are left out unless named with --only: next to no soup
is valid Python; `--only numpy half hooks` runs those of tests/fuzz_interop.py:
numpy interop, float16 and Transformer layer hooks). PyTorch runs it as the conformance oracle does: exec'd in a
fresh namespace with torch's functions bound to bare names, its print output
captured, in a forked child (so that one program's set_printoptions,
set_default_dtype or a hang cannot reach the next; the child is killed after
--timeout seconds). gradviz runs it in-process, as scripts/fuzz_report.py
does. The two runs are then compared:

* the printed output, exactly (the first differing line is reported; a
  difference only in float32 noise, as tests/test_differential.py allows it,
  is counted apart as "noise"; a set of strings, "{'valid', 'same'}", is
  compared with its items sorted: its order is Python's hash order, which
  differs from one process to the next);
* whether both failed, and if so the exception's type and the line it was
  raised on (--messages: and the first line of its message as well).

A program PyTorch cannot run for a reason outside gradviz's scope is
"skipped", not a difference: a bare name the oracle does not bind
(NameError), Python's own limits (nesting, recursion, memory), a hang or a
crash of the child, gradviz stopping at one of its limits (LimitError), or
printed values of uninitialised memory (torch.empty). The child starts
PyTorch's generator from seed 0, as gradviz's unseeded one starts, so that
draws made before any manual_seed compare. A bare sum/max/min/abs/pow is tried as torch's,
as Python's, and as gradviz reads it (torch's for a tensor, Python's for
anything else, as a script that only imported torch calls it; a program may
use both kinds); any agreeing is agreement.

Prints a Markdown table (programs, same, skipped, noise and differences by
kind, per generator) and writes each differing program with both outputs to
--out (CATEGORY-I.txt, CATEGORY-I.diff). Exits 1 if anything differed.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import pickle
import random
import re
import signal
import sys
import time
import traceback
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import test_fuzz  # noqa: E402  (the generators live beside the fuzz test)
from test_differential import same_print  # noqa: E402  (float32 noise, as allowed there)

import gradviz  # noqa: E402
from gradviz.errors import LIMIT, GradvizError  # noqa: E402

FILENAME = "<program>"
# the soups are almost never Python: PyTorch and gradviz both reject them
SOUPS = ("bytes", "tokens")
# torch's functions the conformance oracle binds to bare names
BARE = """tensor arange ones zeros full eye linspace ones_like zeros_like
exp log sqrt abs sin cos tanh sigmoid relu sum mean max min prod dot matmul
mm mv transpose reshape softmax log_softmax where clamp maximum minimum pow
no_grad cat stack outer norm square neg""".split()
# the bare names a script that only imported torch leaves to Python
SHADOWING = ("sum", "max", "min", "abs", "pow")
SHADOW_CALL = re.compile(r"(?<![\w.])(?:sum|max|min|abs|pow)\(")
# what differs by nature, not by a bug: an object's address; Python's
# subclasses of SyntaxError (gradviz names every parse error SyntaxError)
ADDRESS = re.compile(r" at 0x[0-9a-f]+>")
# a set of strings in a message is in Python's hash order, which differs from
# process to process (PyTorch's own "should be one of {'valid', 'same'}" too):
# compared with its items sorted
STRING_SET = re.compile(r"\{'[^'{}]*'(?:, '[^'{}]*')+\}")
SYNTAX_KINDS = {"IndentationError": "SyntaxError", "TabError": "SyntaxError"}
# PyTorch's intra-op threads in a fresh process (the parent runs on one,
# which forked children inherit, so they set this back: get_num_threads())
FRESH_THREADS = 1
KINDS = ("output", "torch failed only", "gradviz failed only", "error type", "error line",
         "error message")


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


# ---- the PyTorch side ---------------------------------------------------------

def torch_namespace(shadow: str | None) -> dict:
    """The oracle's names; shadow: None (a bare sum/max/min/abs/pow is
    torch's), "python" (Python's builtin) or "mixed" (gradviz's rule: torch's
    for a tensor, Python's otherwise; see gradviz/bare_builtins.py)."""
    import builtins

    import torch
    import torch.nn.functional as F
    ns = {name: getattr(torch, name) for name in BARE if not (shadow and name in SHADOWING)}
    if shadow == "mixed":
        ns.update({name: _mixed(name, getattr(torch, name), getattr(builtins, name), torch.Tensor)
                   for name in SHADOWING})
    ns.update(torch=torch, mse_loss=F.mse_loss, cross_entropy=F.cross_entropy,
              grad=torch.autograd.grad, float32=torch.float32, float64=torch.float64)
    return ns


def _mixed(name: str, torch_fn, builtin_fn, tensor_type):
    """A bare name as gradviz reads it (bare_builtins._is_torch_call): torch's
    function when the first argument (both of pow's) is a tensor and no
    keyword of Python's own (key=, default=, start=) is given."""
    def call(*args, **kwargs):
        if name == "pow":
            given = (*args[:2], kwargs.get("input"), kwargs.get("exponent"))
        elif {"key", "default", "start"} & set(kwargs):
            given = ()
        else:
            given = (args[0] if args else kwargs.get("input"),)
        tensor = any(isinstance(v, tensor_type) for v in given)
        return (torch_fn if tensor else builtin_fn)(*args, **kwargs)
    return call


def _torch_child(src: str, shadow: str | None) -> dict:
    import torch
    # gradviz's generator starts from seed 0 where a program draws before
    # any manual_seed (PyTorch's from a seed drawn anew each process): the
    # same start makes such draws comparable
    torch.manual_seed(0)
    torch.set_num_threads(FRESH_THREADS)
    out = io.StringIO()
    error = None
    with contextlib.redirect_stdout(out), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            exec(compile(src, FILENAME, "exec"), torch_namespace(shadow))  # noqa: S102
        except BaseException as exc:  # noqa: BLE001 - the program's failure is its outcome
            line = exc.lineno if isinstance(exc, SyntaxError) else None
            for frame in traceback.extract_tb(exc.__traceback__):
                if frame.filename == FILENAME:
                    line = frame.lineno
            # a SyntaxError's str() ends in "(<program>, line N)": its line is compared apart
            text = exc.msg if isinstance(exc, SyntaxError) else str(exc)
            error = {"type": type(exc).__name__, "line": line,
                     "message": text.splitlines()[0] if text else ""}
    return {"output": out.getvalue(), "error": error}


def run_torch(src: str, timeout: float, shadow: str | None = None) -> dict | None:
    """The program's outcome under PyTorch, in a forked child; None when the
    child hung or died."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # the child: run, send, leave
        os.close(read)
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
            data = pickle.dumps(_torch_child(src, shadow))
            with os.fdopen(write, "wb") as f:
                f.write(data)
        finally:
            os._exit(0)
    os.close(write)
    chunks = []
    deadline = time.monotonic() + timeout
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with os.fdopen(read, "rb") as f:
            while chunk := f.read(65536):
                chunks.append(chunk)
    except Hang:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    if time.monotonic() >= deadline:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    try:
        return pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - a child that died mid-write
        return None


# ---- the gradviz side ---------------------------------------------------------

def run_gradviz(src: str, timeout: float) -> dict:
    out = io.StringIO()
    error = None
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        gradviz.run_source(src, filename=FILENAME, stdout=out, limits=test_fuzz.FUZZ_LIMITS,
                           options=test_fuzz.run_options(src))
    except GradvizError as exc:
        error = {"type": exc.kind, "line": exc.span.line if exc.span else None,
                 "message": exc.message.splitlines()[0] if exc.message else ""}
    except Hang:
        error = {"type": LIMIT, "line": None, "message": "hang"}
    except Exception as exc:  # noqa: BLE001 - an internal error is a difference too
        error = {"type": f"internal {type(exc).__name__}", "line": None, "message": str(exc)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return {"output": out.getvalue(), "error": error}


# ---- comparing ---------------------------------------------------------------

def first_difference(got: str, want: str) -> str:
    g, w = got.splitlines(), want.splitlines()
    for i in range(max(len(g), len(w))):
        a = g[i] if i < len(g) else "<no line>"
        b = w[i] if i < len(w) else "<no line>"
        if a != b:
            return f"output line {i + 1}: gradviz {a!r}, torch {b!r}"
    return "output: trailing newline"


def _sorted_sets(text: str) -> str:
    return STRING_SET.sub(lambda m: "{" + ", ".join(sorted(m[0][1:-1].split(", "))) + "}", text)


def compare(got: dict, want: dict, messages: bool) -> tuple[str, str]:
    """(category, what differs): "same", "noise" or one of KINDS."""
    ge, we = got["error"], want["error"]
    if we and we["type"] in SYNTAX_KINDS:
        we = dict(we, type=SYNTAX_KINDS[we["type"]])
    if we and not ge:
        return "torch failed only", f"torch {we}"
    if ge and not we:
        return "gradviz failed only", f"gradviz {ge}"
    if ge and we:
        if ge["type"] != we["type"]:
            return "error type", f"gradviz {ge}, torch {we}"
        if ge["line"] != we["line"]:
            return "error line", f"gradviz {ge}, torch {we}"
        if messages and _sorted_sets(ge["message"]) != _sorted_sets(we["message"]):
            return "error message", f"gradviz {ge['message']!r}, torch {we['message']!r}"
    g_out, w_out = (_sorted_sets(ADDRESS.sub(" at 0x...>", r["output"])) for r in (got, want))
    if g_out != w_out:
        if same_print(g_out, w_out):
            return "noise", first_difference(g_out, w_out)
        return "output", first_difference(g_out, w_out)
    return "same", ""


# Python's own limits (gradviz's parser nests deeper), and the values of
# uninitialised memory
PYTHON_LIMITS = re.compile(r"too many (levels of indentation|statically nested blocks)|"
                           r"too many nested parentheses|too complex|nested too deeply")
UNINITIALISED = re.compile(r"\bempty(_like|_strided)?\(|\.new_empty\(")


def skipped(src: str, got: dict, want: dict | None) -> bool:
    """Outside gradviz's scope (see the module's docstring)."""
    if want is None:
        return True
    we = want["error"]
    if we and (we["type"] in ("RecursionError", "MemoryError")
               or PYTHON_LIMITS.search(we["message"])):
        return True
    if got["output"] != want["output"] and UNINITIALISED.search(src):
        return True
    if want["error"] and want["error"]["type"] == "NameError" \
            and (not got["error"] or got["error"]["type"] != "NameError"):
        return True
    return bool(got["error"]) and got["error"]["type"] == LIMIT


def check(src: str, timeout: float, messages: bool) -> tuple[str, str, dict, dict | None]:
    got = run_gradviz(src, timeout)
    want = run_torch(src, timeout)
    if skipped(src, got, want):
        return "skipped", "", got, want
    category, why = compare(got, want, messages)
    if category not in ("same", "noise") and SHADOW_CALL.search(src):
        for shadow in ("python", "mixed"):
            script = run_torch(src, timeout, shadow=shadow)
            if script is not None and compare(got, script, messages)[0] in ("same", "noise"):
                return "same", "", got, script
    return category, why, got, want


def write_case(out: Path, name: str, src: str, why: str, got: dict, want: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.txt").write_text(src, encoding="utf-8", errors="surrogateescape")
    (out / f"{name}.diff").write_text(
        f"{why}\n\n--- gradviz error: {got['error']}\n{got['output']}"
        f"\n--- torch error: {want['error']}\n{want['output']}",
        encoding="utf-8", errors="surrogateescape")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=2000, help="programs in all")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per run")
    ap.add_argument("--out", type=Path, default=None, help="write differing programs here")
    ap.add_argument("--only", nargs="+", default=None, metavar="CATEGORY",
                    help="these generators only (all of --count among them)")
    ap.add_argument("--messages", action="store_true",
                    help="errors must agree on their message's first line too")
    args = ap.parse_args(argv)

    import torch
    global FRESH_THREADS
    FRESH_THREADS = torch.get_num_threads()
    torch.set_num_threads(1)     # forked children inherit no thread pool to deadlock on
    categories = sorted(args.only or set(test_fuzz.GENERATORS) - set(SOUPS))
    per = max(1, args.count // len(categories))
    counts: dict[str, Counter] = {c: Counter() for c in categories}
    signal.signal(signal.SIGALRM, _alarm)
    start = time.monotonic()
    for category in categories:
        gen = test_fuzz.GENERATORS[category]
        for i in range(per):
            src = gen(random.Random(f"{args.seed}-{category}-{i}"))
            outcome, why, got, want = check(src, args.timeout, args.messages)
            counts[category][outcome] += 1
            if outcome not in ("same", "skipped") and args.out:
                write_case(args.out / outcome.replace(" ", "-"), f"{category}-{i}", src, why,
                           got, want)
            if i % 200 == 199:
                gc.collect()
    elapsed = time.monotonic() - start

    total = Counter()
    for c in counts.values():
        total.update(c)
    kinds = [k for k in KINDS if total[k]]
    print(f"{per * len(categories):,} programs in {elapsed:.0f} s; seed {args.seed}\n")
    head = ["generator", "programs", "same", "skipped", "noise", *kinds]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for category in categories + ["all"]:
        c = total if category == "all" else counts[category]
        row = [f"**{category}**" if category == "all" else category, f"{sum(c.values()):,}",
               *(f"{c[k]:,}" for k in ("same", "skipped", "noise", *kinds))]
        print("| " + " | ".join(row) + " |")
    return 1 if any(total[k] for k in KINDS) else 0


if __name__ == "__main__":
    sys.exit(main())
