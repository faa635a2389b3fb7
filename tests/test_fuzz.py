"""Fuzzing the whole pipeline in-process: whatever the text, only GradvizError
may escape (a syntax error, a runtime error, a limit), never another
exception, a hang, or a RecursionError.

The generators are plain functions of a ``random.Random``, so that
hypothesis drives them here (and shrinks what fails) and
scripts/fuzz_report.py runs thousands of them for the README's table.
Categories:

* ``bytes``: random bytes, decoded as UTF-8 with replacement;
* ``tokens``: random sequences of the language's tokens (and some of Python's);
* ``mutant``: a sample or conformance program with lines truncated, dropped,
  swapped or duplicated, characters flipped, tokens inserted;
* ``deep``: a program with an expression wrapped in brackets, operators or
  calls hundreds to tens of thousands of levels deep;
* ``huge``: a program whose numbers are replaced by huge, negative, fractional
  or non-finite ones;
* ``typed``: well-formed programs calling random functions and methods with
  arguments of random types and shapes;
* ``calls``: one call of a random function or method, on tensors of every
  dtype and odd shapes (0-d, empty), with arguments of every type;
* ``layers`` and ``newer`` (tests/fuzz_newer.py): convolutions, pooling,
  norms, embeddings; distributions, cross_entropy's options, einsum,
  sort/topk, chained assignment, ``**kwargs``, optimizers, forward mode...
  with arguments at the edges;
* ``ints``, ``seqs`` and ``autograd`` (tests/fuzz_merged.py): integer dtypes
  and print options; torch.nn.utils.rnn, packed recurrent layers and
  nn.Transformer; autograd.grad's options, autograd.functional, views and
  versions, saved tensors' hooks, distributions' moments, the machine's
  switches;
* ``tensorops``, ``linalg``, ``training`` and ``pyfeat``
  (tests/fuzz_features.py): the scatter/index family, quantiles, special
  functions, interpolation, folds and norms; torch.linalg and torch.func;
  optimizers, lr schedulers, nn.utils, module hooks, detect_anomaly and
  torch.utils.data; Python's walrus, nonlocal, standard modules and the bare
  builtins;
* ``losses`` (tests/fuzz_losses.py): every loss function and loss module
  with its options, the distances, and the activations that take options.

A program whose first line is ``# fuzz-mode: forward`` (or ``both``) runs
as ``gradviz run --mode forward`` runs it; typed programs get one sometimes.
"""
from __future__ import annotations

import io
import random
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradviz
from gradviz.errors import GradvizError
from gradviz.functions import FUNCTIONS, METHODS, NN_FUNCTIONAL, PY_BUILTINS
from gradviz.interpreter import TENSOR_ATTRIBUTES
from gradviz.parser import MAX_NESTING
from gradviz.tape import Limits, RunOptions

from fuzz_interop import gen_half, gen_hooks, gen_numpy
from fuzz_features import gen_linalg, gen_pyfeat, gen_tensorops, gen_training
from fuzz_losses import gen_losses
from fuzz_merged import gen_autograd, gen_gradmode, gen_ints, gen_seqs
from fuzz_newer import MODES, gen_layers, gen_newer, gen_recent

ROOT = Path(__file__).resolve().parent.parent
CORPUS = sorted([*ROOT.glob("samples/*.txt"), *ROOT.glob("tests/conformance/*.txt"),
                 *ROOT.glob("tests/conformance_extra/*.txt")])
SEEDS = [p.read_text(encoding="utf-8") for p in CORPUS]
# small limits keep every example fast; the limits themselves are what is tested
FUZZ_LIMITS = Limits(max_elements=100_000, max_nodes=20_000, timeout=5.0)

CALLABLES = sorted({*FUNCTIONS, *PY_BUILTINS, *(f"F.{k}" for k in NN_FUNCTIONAL),
                    "torch.autograd.grad", "torch.nn.functional.relu"})
MEMBERS = sorted({*METHODS, *TENSOR_ATTRIBUTES, "values", "indices", "name"})
KEYWORDS = ["dim", "keepdim", "requires_grad", "dtype", "retain_graph", "gradient", "min",
            "max", "reduction", "p", "allow_unused", "create_graph", "grad_outputs", "sep",
            "end", "steps", "start", "out", "rt", "__class__"]
LITERALS = ["0", "1", "2", "3", "-1", "-2", "0.5", "-0.0", "2.5", "1e30", "-1e30", "1e-45",
            "1e308", "1e400", "10**20", "2**63", "2**64", "-(2**63)", "10**4000", "0.0/1",
            "True", "False", "None", "'a'", "'mean'", "'fro'", "''", "[]", "[[]]", "[1, 2]",
            "[1.0, 2.0, 3.0]", "[[1.0, 2.0], [3.0, 4.0]]", "[[1.0], [2.0, 3.0]]", "[True, False]",
            "(2, 3)", "(3,)", "()", "[0, 1]", "[[0], [1]]", "torch.float64", "torch.float32",
            "torch.int64", "torch.bool", "torch.long", "torch", "F", "print", "no_grad()",
            "tensor(0.0)", "tensor(float(1))", "tensor([0.0, 1.0])", "arange(6.0).reshape(2, 3)",
            "ones(2, 3, requires_grad=True)",
            "tensor([[1.0, -2.0], [0.0, 3.0]], requires_grad=True)",
            "tensor([1, 2, 3])", "tensor([True, False, True])", "log(tensor([0.0, -1.0]))",
            "zeros(0)", "ones(0, 3)", "randn(2, 1)", "eye(3)", "arange(4)"]
TOKENS = [*CALLABLES[:40], *MEMBERS[:40], "x", "y", "z", "w", "torch", "F", "nn", "functional",
          "0", "1", "2.5", "1e30", "10", "999999999999999999999", "'s'", '"t"', "+", "-", "*",
          "/", "**", "@", "==", "!=", "<", "<=", ">", ">=", "=", "+=", "-=", "*=", "/=", ".",
          ",", ":", ";", "(", ")", "[", "]", "{", "}", "\n", "\n    ", "\n\t", "with", "not",
          "True", "False", "None", "import", "from", "if", "else", "for", "in", "lambda", "def",
          "return", "and", "or", "is", "%", "//", "&", "|", "^", "~", "<<", ">>", ":=", "->",
          "\\", "#", "!", "?", "$", "`", "'", '"', "é", "\u00a0", "\t", "\x00", "\r", "\f",
          "...", "**kw", "*args", "__class__", "__import__", "eval", "os"]
BYTES_SEEDS = [b"x = ones(2)\n", b"\xff\xfe", b"\xef\xbb\xbf", b"\x00", b"\r\n", b"\t"]
FLIPS = "()[]{},.:;=+-*/@<>!#'\"\\ \t\n0123456789eExyz_é\x00"


# ---- generators ---------------------------------------------------------------

def gen_bytes(r: random.Random) -> str:
    n = r.choice([0, 1, 2, 5, 20, 100, 1000])
    data = bytes(r.randrange(256) for _ in range(n))
    if r.random() < 0.5:
        data = r.choice(BYTES_SEEDS) + data
    return data.decode("utf-8", errors=r.choice(["replace", "ignore", "surrogateescape"]))


def gen_tokens(r: random.Random) -> str:
    n = r.choice([1, 3, 10, 30, 100])
    sep = r.choice(["", " ", " "])
    return sep.join(r.choice(TOKENS) for _ in range(n))


def mutate(r: random.Random, text: str) -> str:
    """One to four edits of a program: truncation, dropped, swapped or
    duplicated lines, flipped characters, inserted tokens."""
    for _ in range(r.randint(1, 4)):
        lines = text.split("\n")
        how = r.randrange(7)
        if how == 0 and text:
            text = text[:r.randrange(len(text) + 1)]
        elif how == 1 and len(lines) > 1:
            del lines[r.randrange(len(lines))]
            text = "\n".join(lines)
        elif how == 2 and len(lines) > 1:
            i, j = r.randrange(len(lines)), r.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
        elif how == 3:
            i = r.randrange(len(lines))
            lines.insert(i, lines[r.randrange(len(lines))])
            text = "\n".join(lines)
        elif how == 4 and text:
            i = r.randrange(len(text))
            text = text[:i] + r.choice(FLIPS) + text[i + 1:]
        elif how == 5:
            i = r.randrange(len(text) + 1)
            text = text[:i] + r.choice(TOKENS) + text[i:]
        else:
            i = r.randrange(len(lines))
            lines[i] = " " * r.choice([1, 2, 4, 8]) + lines[i]
            text = "\n".join(lines)
    return text


def gen_mutant(r: random.Random) -> str:
    return mutate(r, r.choice(SEEDS))


def _wrap(r: random.Random, core: str, depth: int) -> str:
    kind = r.randrange(8)
    if kind == 0:
        return "(" * depth + core + ")" * depth
    if kind == 1:
        return "[" * depth + core + "]" * depth
    if kind == 2:
        return "-" * depth + core
    if kind == 3:
        return f"{r.choice(['exp', 'abs', 'relu', 'sum', 'print', 'len'])}(" * depth + core + \
            ")" * depth
    if kind == 4:
        return core + " + 1" * depth
    if kind == 5:
        return core + ".T" * depth
    if kind == 6:
        return "2 ** " * depth + core
    return "(1, " * depth + core + ")" * depth


def gen_deep(r: random.Random) -> str:
    depth = r.choice([MAX_NESTING // 2, MAX_NESTING - 3, MAX_NESTING - 1, MAX_NESTING,
                      MAX_NESTING + 1, 1000, 30_000])
    core = r.choice(["x", "1", "1.0", "x.sum()", "[x]", "tensor(1.0)"])
    body = _wrap(r, core, depth)
    lines = ["x = ones(2, requires_grad=True)", f"y = {body}", "print(y)"]
    if r.random() < 0.3:
        # with-blocks nested as deep
        n = min(depth, 400)
        lines = lines[:1] + ["    " * i + "with no_grad():" for i in range(n)] + \
            ["    " * n + "y = x * 2", "print(y)"]
    if r.random() < 0.2:
        # a list nested line by line at run time
        lines = ["a = [1]"] + ["a = [a]"] * min(depth, 3000) + [r.choice(
            ["print(a)", "b = tensor(a)", "b = a == [a]", "b = a + a"])]
    return "\n".join(lines) + "\n"


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d*)?(?:e-?\d+)?")
HUGE = ["10**12", "10**6", "1e12", "-1", "-5", "0", "2.5", "1e400", "-1e400", "10**30",
        "2**63", "10**4000", "99999999", "1e-300", "(10**6, 10**6)", "None"]


def gen_huge(r: random.Random) -> str:
    text = r.choice(SEEDS)
    numbers = list(_NUMBER.finditer(text))
    if not numbers:
        return text
    for m in sorted(r.sample(numbers, min(len(numbers), r.randint(1, 3))),
                    key=lambda m: m.start(), reverse=True):
        text = text[:m.start()] + r.choice(HUGE) + text[m.end():]
    return text


SANE = ["0", "1", "-1", "2", "0.5", "True", "False", "(3,)", "[1.0, 2.0, 3.0]",
        "tensor([0.5, 1.5, -2.0], requires_grad=True)", "ones(3)", "ones(3, 3)"]


def _expr(r: random.Random, names: list[str], sane: bool = False) -> str:
    pool = (SANE + names * 6) if sane else (LITERALS + names * 4)
    kind = r.randrange(6)
    if kind == 0:
        fn = r.choice(CALLABLES)
        args = [r.choice(pool) for _ in range(r.choice([0, 1, 1, 2, 2, 3]))]
        kwargs = [f"{r.choice(KEYWORDS)}={r.choice(pool)}" for _ in range(r.choice([0, 0, 1, 2]))]
        return f"{fn}({', '.join(args + kwargs)})"
    if kind == 1 and names:
        m = r.choice(MEMBERS)
        if r.random() < 0.6:
            args = [r.choice(pool) for _ in range(r.choice([0, 1, 2]))]
            kwargs = [f"{r.choice(KEYWORDS)}={r.choice(pool)}" for _ in range(r.choice([0, 1]))]
            return f"{r.choice(names)}.{m}({', '.join(args + kwargs)})"
        return f"{r.choice(names)}.{m}"
    if kind == 2:
        op = r.choice(["+", "-", "*", "/", "**", "@", "==", "<", ">=", "!="])
        return f"{r.choice(pool)} {op} {r.choice(pool)}"
    if kind == 3 and names:
        idx = r.choice(["0", "-1", "5", ":", "1:", "::2", "None", "..., 0", "0, 0", "x > 0",
                        "tensor([0, 0])", "[0, 1]", "True", "'a'", "0.5", ":, 1", "-10**20"])
        return f"{r.choice(names)}[{idx}]"
    if kind == 4:
        return f"-{r.choice(pool)}"
    return r.choice(pool)


def gen_typed(r: random.Random) -> str:
    names = ["x"]
    lines = [f"# fuzz-mode: {r.choice(MODES)}"] if r.random() < 0.2 else []
    lines += [r.choice(["x = tensor([1.0, -2.0, 0.0], requires_grad=True)",
                       "x = randn(2, 3, requires_grad=True)", "x = arange(4.0)",
                       "x = tensor([[0.5, 1.0], [2.0, -1.0]], requires_grad=True)",
                       "x = ones(3, dtype=torch.float64, requires_grad=True)"])]
    sanity = r.random()         # how often arguments are plausible: programs run further
    for i in range(r.randint(1, 12)):
        what = r.randrange(10)
        if what < 5:
            name = r.choice(["y", "z", "w", "v", "x", "loss", "g"])
            lines.append(f"{name} = {_expr(r, names, r.random() < sanity)}")
            names.append(name)
        elif what == 5:
            arg = r.choice(["", "retain_graph=True", "gradient=ones(3)", "x"])
            lines.append(f"{r.choice(names)}.backward({arg})")
        elif what == 6:
            lines.append(f"print({_expr(r, names)})")
        elif what in (7, 8):
            op = r.choice(["-=", "+=", "*=", "/="])
            if what == 7:
                lines.append("with torch.no_grad():")
            lines.append(f"{'    ' * (what == 7)}{r.choice(names)} {op} {_expr(r, names)}")
        else:
            lines.append(f"a, b = {_expr(r, names)}")
            names += ["a", "b"]
    return "\n".join(lines) + "\n"


CALL_PRELUDE = ("x = tensor([[1.0, -2.0], [0.0, 3.0]], requires_grad=True)\n"
                "i = tensor([1, 0])\nb = tensor([True, False])\n"
                "s = tensor(2.0, requires_grad=True)\ne = zeros(0, 2)\nm = x * 2\n")
CALL_ARGS = ["x", "i", "b", "s", "e", "m", "0", "1", "-1", "2", "0.5", "1e30", "10**20", "True",
             "None", "'a'", "[]", "[1.0, 2.0]", "[[1.0, 2.0], [3.0, 4.0]]", "(2,)", "(0,)",
             "torch.float64", "torch.int64", "torch.bool", "print", "torch", "no_grad()",
             "x.shape", "x.grad_fn", "x.max(0)", "x.T", "float('nan')", "e.T", "s.detach()"]


def gen_call(r: random.Random) -> str:
    """One call of a function or method on tensors of every dtype and odd
    shape (0-d, empty) with arguments of every type: the interpreter's and
    the ops' argument checks, one at a time."""
    args = [r.choice(CALL_ARGS) for _ in range(r.choice([0, 1, 1, 2, 2, 3]))]
    if r.random() < 0.4:
        args.append(f"{r.choice(KEYWORDS[:12])}={r.choice(CALL_ARGS)}")
    if r.random() < 0.5:
        call = f"{r.choice(CALLABLES)}({', '.join(args)})"
    else:
        call = f"{r.choice(CALL_ARGS[:6] + ['x.T', 'm.sum()'])}.{r.choice(MEMBERS)}"
        if r.random() < 0.8:
            call += f"({', '.join(args)})"
    after = r.choice(["", "print(y)\n", "y.sum().backward()\nprint(x.grad)\n",
                      "z = y * y\nprint(z)\n"])
    return f"{CALL_PRELUDE}y = {call}\n{after}"


GENERATORS = {"bytes": gen_bytes, "tokens": gen_tokens, "mutant": gen_mutant,
              "deep": gen_deep, "huge": gen_huge, "typed": gen_typed, "calls": gen_call,
              "layers": gen_layers, "newer": gen_newer,
              "recent": gen_recent, "ints": gen_ints, "seqs": gen_seqs, "autograd": gen_autograd,
              "gradmode": gen_gradmode,
              "tensorops": gen_tensorops, "linalg": gen_linalg, "training": gen_training,
              "pyfeat": gen_pyfeat, "numpy": gen_numpy, "half": gen_half, "hooks": gen_hooks,
              "losses": gen_losses}
MODE_LINE = re.compile(r"# fuzz-mode: (\w+)\n")


def run_options(src: str) -> RunOptions | None:
    """The options a `# fuzz-mode: M` first line asks for (None: reverse)."""
    m = MODE_LINE.match(src)
    return RunOptions(forward_mode=m.group(1)) if m else None


def run_pipeline(src: str, limits: Limits = FUZZ_LIMITS) -> str:
    """Run a program and everything a run produces from its record (JSON,
    NaN/inf report, DOT, the terminal tables); returns "ok" or the error
    kind. Any exception other than GradvizError propagates."""
    out = io.StringIO()
    try:
        record = gradviz.run_source(src, filename="fuzz.txt", stdout=out, limits=limits,
                                    options=run_options(src))
        outcome = "ok"
    except GradvizError as exc:
        exc.format()                               # the message renders
        record, outcome = exc.record, exc.kind
    if record is not None:
        record.to_json()
        _ = record.nonfinite
        try:
            from rich.console import Console

            from gradviz.render.dot import to_dot
            from gradviz.render.modes import print_forward_mode
            from gradviz.render.tables import print_tables
        except ImportError:
            pass
        else:
            to_dot(record)
            console = Console(file=io.StringIO(), width=100)
            print_tables(record, console=console)
            print_forward_mode(record, console)
    return outcome


# ---- the tests -------------------------------------------------------------------

FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("category", sorted(GENERATORS))
# (25 programs of each of the categories in the suite, the same ones each
# run: the crash fuzzer, scripts/fuzz_report.py, runs thousands)
@settings(FUZZ, max_examples=25)
@given(r=st.randoms(use_true_random=False))
def test_only_gradviz_errors_escape(category, r):
    run_pipeline(GENERATORS[category](r))


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_through_the_parser(data):
    try:
        gradviz.run_source(data.decode("utf-8", errors="replace"), stdout=io.StringIO(),
                           limits=FUZZ_LIMITS)
    except GradvizError:
        pass


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup(src):
    try:
        run_pipeline(src)
    except GradvizError:
        pass


def test_generators_make_what_they_say():
    """The categories are not empty words: each makes its kind of program."""
    r = random.Random(1)
    assert any(c not in "\n" for c in gen_bytes(r) + gen_bytes(r) + gen_bytes(r))
    deep = [gen_deep(random.Random(i)) for i in range(30)]
    assert max(len(d) for d in deep) > 10_000
    typed = [gen_typed(random.Random(i)) for i in range(50)]
    outcomes = {run_pipeline(p) for p in typed}
    assert "ok" in outcomes and len(outcomes) >= 3     # some run, some fail in several ways
    mutants = [gen_mutant(random.Random(i)) for i in range(20)]
    assert all(isinstance(m, str) for m in mutants) and len(set(mutants)) > 15


def test_the_merged_parts_generators_reach_what_they_fuzz():
    """ints, seqs and autograd make programs of their features, some of
    which run to the end."""
    for gen, words in ((gen_ints, ("torch.int8", "set_printoptions", ".byte()")),
                       (gen_seqs, ("pack_padded_sequence", "nn.Transformer", "proj_size")),
                       (gen_autograd, ("vjp", "_version", "register_hooks", "is_grads_batched")),
                       (gen_gradmode, ("@torch.no_grad\n", "set_grad_enabled(False)", "orig_func"))):
        programs = [gen(random.Random(i)) for i in range(80)]
        text = "".join(programs)
        assert all(w in text for w in words), gen.__name__
        assert "ok" in {run_pipeline(p) for p in programs[:20]}, gen.__name__


def test_the_interop_generators_reach_what_they_fuzz():
    """numpy, half and hooks make programs of their features (shared memory,
    float16 overflow, hooks on a layer's parts), some of which run to the end."""
    for gen, words in ((gen_numpy, ("torch.from_numpy", ".numpy()", "a[0, 1] = 9.5", "np.float32")),
                       (gen_half, ("torch.float16", ".half()", "70000.0", "mse_loss")),
                       (gen_hooks, ("register_full_backward_hook", "self_attn", "enc.layers["))):
        programs = [gen(random.Random(i)) for i in range(80)]
        text = "".join(programs)
        assert all(w in text for w in words), (gen.__name__, [w for w in words if w not in text])
        assert "ok" in {run_pipeline(p) for p in programs[:20]}, gen.__name__


def test_the_losses_generator_reaches_what_it_fuzzes():
    """losses makes programs of the loss functions, their modules and the
    activations with options, some of which run to the end."""
    programs = [gen_losses(random.Random(i)) for i in range(80)]
    text = "".join(programs)
    words = ("F.huber_loss", "nn.BCEWithLogitsLoss", "label_smoothing", "F.softplus", "margin=")
    assert all(w in text for w in words), [w for w in words if w not in text]
    assert "ok" in {run_pipeline(p) for p in programs[:20]}
