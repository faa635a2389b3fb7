"""What a program prints, byte for byte against PyTorch: seeded random
programs that make tensors of every dtype gradviz has (float32, float64,
int64, bool), of every shape kind (0-d, empty, 1 to 4 dims, rows long enough
to wrap, more than 1000 elements that summarise) and of values at the edges
of the formatter (tiny, huge, -0., nan, inf, whole numbers stored as floats,
magnitudes far apart that switch to scientific notation), under random
torch.set_printoptions, and print them every way a learner does: print(t),
print(t, u), f-strings with and without a spec, repr/str, tolist(), item(),
shape/size()/dtype/device, torch.return_types, lists/tuples/dicts of
tensors, nn.Parameter, grad_fn reprs, % formatting, then the autograd
chapter's steps (requires_grad, backward of a scalar and of a non-scalar,
x.grad, grad.zero_(), detach).

Each program runs under PyTorch and under gradviz; stdout must be equal
(the addresses in "<MulBackward0 object at 0x...>" are masked: gradviz's
are made up) and both must fail, or not, on the same line.

Float32 values that differ from PyTorch's in the last bit (numpy's and
PyTorch's kernels round some products, sums and transcendental functions
apart: see ROUNDED_SIZE in gradviz/ops/elementwise.py) would show at high
precision; the programs avoid them
(at most 4 decimals after exp, tanh, log, softmax; matrix products of
small whole numbers). GRADVIZ_SWEEP_PROGRAMS=N runs N programs (default
400, a few seconds) from GRADVIZ_SWEEP_SEED (default 0).
"""
from __future__ import annotations

import contextlib
import io
import os
import random
import re
import traceback
import warnings

import pytest

import gradviz
from gradviz.errors import GradvizError

torch = pytest.importorskip("torch")

PROGRAMS = int(os.environ.get("GRADVIZ_SWEEP_PROGRAMS", "400"))
FIRST_SEED = int(os.environ.get("GRADVIZ_SWEEP_SEED", "0"))
FILENAME = "<program>"
ADDRESS = re.compile(r"0x[0-9a-f]+")

DTYPES = ["float32", "float64", "int64", "bool", None]
SPECIAL = ["0.0", "-0.0", "1.0", "-1.0", "2.5", "1e-05", "1e-08", "123456789.0", "1e10",
           "-3.75", "float('nan')", "float('inf')", "-float('inf')", "0.1", "1/3", "1000.0",
           "99999.0", "0.0001", "12345.678", "7.0", "-2.0", "3.14159", "1e-30", "1e30",
           "65504.0", "0.00099", "100000000.0", "1e8", "5e-05"]
INTS = ["0", "1", "-1", "7", "123", "-4567", "10**9", "2**40"]

# print statements; {t} and {u} are tensors of the program
PRINTS = [
    "print({t})", "print({t}, {u})", "print(f'{{{t}}}')", "print(repr({t}))", "print(str({t}))",
    "print({t}.tolist())", "print({t}.shape, {t}.size(), {t}.dtype, {t}.device)",
    "print([{t}, {u}])", "print(({t},))", "print({{'a': {t}, 'b': {u}}})",
    "print({t}.numel(), {t}.dim(), *{t}.shape)", "print({t}.sum())",
    "print({t}.flatten()[0].item() if {t}.numel() else 0)", "print('%s' % ({t},))",
    "print({t}.requires_grad, {t}.is_leaf)", "print({t}.float(), {t}.double())",
    "print({t}.long(), {t}.bool())", "print({t}.sum().item(), {t}.float().sum().item() / 3)",
    "print(f'{{{t}.sum().item():.3f}}', f'{{{t}.sum():.3f}}', format({t}.float().mean(), '.2e'))",
    "print('%.2f' % {t}.float().sum().item())", "print({t}.abs().max() if {t}.dtype != torch.bool "
    "and {t}.numel() else {t})", "print({t}[0] if {t}.dim() else {t})",
    "print({t} * 2, {t} / 3)", "print({t} // 2, {t} % 3)", "print(-{t} if {t}.dtype != torch.bool "
    "else {t})", "print({t}.float() ** 2)",
    "print(torch.max({t}.float().reshape(-1, 1), 0) if {t}.numel() else 0)",
    "print({t}.float().reshape(-1, 1).max(dim=1).values)", "print({t}.float().sort())",
    "print({t}.float().unsqueeze(0))", "print({t}.float().sum() / 7)",
    "print(float({t}.float().sum()), int({t}.long().sum()))",
    "print({t}.float().mean(), {t}.double().mean())",
    "print({t}.float().reshape(-1)[:30].clone().requires_grad_() * 2)",
    "print({t}.float().cumsum(0) if {t}.dim() else {t})",
    "print({t}.float().std() if {t}.numel() > 1 else {t})",
    "print(({t}.float() * 1000).round() / 1000)", "print({t}.float().clamp(-1, 1))",
    "print({t} == {u} if {t}.shape == {u}.shape else {t} > 0)",
    "print({t}.float().sum(0) if {t}.dim() else {t}, {t}.float().sum(-1, keepdim=True) "
    "if {t}.dim() else {t})",
    "print(torch.stack([{t}.float(), {t}.float()]))",
    "print({t}.float().unsqueeze(-1).expand(*{t}.shape, 3) if {t}.numel() < 30 else 1)",
    "print(torch.nn.Parameter({t}.float().reshape(-1)[:4].clone()))",
]
# prints whose float32 values may differ from PyTorch's in the last bit: kept
# to the default 4 decimals, where that bit does not show
ROUNDING_PRINTS = [
    # (PyTorch's float32 sqrt is not always the rounded true root: sqrt(532687.625)
    # is 729.85449, numpy's the nearer 729.85455)
    "print({t}.float().sqrt())", "print({t}.float().exp())", "print({t}.float().log())",
    "print({t}.float().tanh())",
    "print({t}.float().softmax(-1) if {t}.dim() else {t})",
]
# the autograd chapter's steps; {t} is a tensor of the program
AUTOGRAD = [
    """x = {t}.float().flatten()[:4].clone().requires_grad_(True)
print(x)
y = (x * x).sum()
print(y, y.grad_fn)
print(y.grad_fn.name(), y.requires_grad)
y.backward()
print(x.grad)
x.grad.zero_()
print(x.grad)""",
    """x = {t}.double().flatten()[:3].clone().requires_grad_()
y = x * 2 + 1
print(y)
print(y.detach())
y.sum().backward()
print(x.grad, x.grad.dtype)
print(x.detach().numpy())""",
    """x = torch.arange(4.0, requires_grad=True)
y = 2 * torch.dot(x, x)
print(y, y.grad_fn)
y.backward()
print(x.grad == 4 * x)
x.grad.zero_()
y = x * x
y.backward(torch.ones(len(x)))
print(x.grad)
u = y.detach()
z = u * x
z.sum().backward()
print(x.grad == u, u, z)""",
    """x = torch.arange(6.0).reshape(2, 3).requires_grad_()
m = x @ x.T
print(m, m.max(0), m.min(dim=1))
m.sum().backward()
print(x.grad)""",
]


def _literal(r: random.Random, n: int) -> list[str]:
    kind = r.random()
    if kind < 0.3:
        return [r.choice(SPECIAL) for _ in range(n)]
    if kind < 0.5:
        return [f"{r.randint(-20, 20)}.0" for _ in range(n)]
    if kind < 0.7:
        scale = r.choice([1e-6, 1e-3, 1.0, 1e3, 1e6, 1e9])
        return [repr(round(r.uniform(-1, 1) * scale, r.randint(0, 8))) for _ in range(n)]
    return [repr(round(r.gauss(0, 1), r.randint(1, 6))) for _ in range(n)]


def _nest(values: list[str], shape: list[int]) -> str:
    if not shape:
        return values[0]
    if len(shape) == 1:
        return "[" + ", ".join(values) + "]"
    step = len(values) // shape[0]
    return "[" + ", ".join(_nest(values[i * step:(i + 1) * step], shape[1:])
                           for i in range(shape[0])) + "]"


def _shape(r: random.Random) -> list[int]:
    dims = [r.choice([1, 2, 3, 4]) for _ in range(r.choice([0, 1, 1, 2, 2, 3, 4]))]
    if len(dims) == 1 and r.random() < 0.3:
        dims = [r.choice([7, 12, 20, 30])]        # rows that wrap
    return dims


def _tensor(r: random.Random, name: str) -> str:
    """The line(s) making tensor `name`."""
    dt = r.choice(DTYPES)
    dtype = f", dtype=torch.{dt}" if dt else ""
    how = r.random()
    if how < 0.4:
        shape = _shape(r)
        n = 1
        for d in shape:
            n *= d
        if dt == "bool":
            values = [r.choice(["True", "False"]) for _ in range(n)]
        elif dt == "int64":
            values = [r.choice(INTS) for _ in range(n)]
        else:
            values = _literal(r, n)
        return f"{name} = torch.tensor({_nest(values, shape)}{dtype})"
    if how < 0.55:
        n = r.choice([0, 1, 5, 12, 24, 40, 1001, 1200, 2000])
        dtype = "" if dt == "bool" else dtype
        return f"{name} = torch.arange({n}{dtype})" + (".reshape(2, -1)" if n % 2 == 0 and
                                                       r.random() < 0.5 else "")
    if how < 0.7:
        shape = _shape(r) or [2]
        if r.random() < 0.2:
            shape = r.choice([[1001], [40, 30], [2, 3, 200], [0], [0, 3], [2, 0, 4]])
        scale = r.choice(["", " * 1000", " * 1e-5", " * 1e9", " + 100"])
        return f"torch.manual_seed({r.randint(0, 99)})\n{name} = torch.randn({tuple(shape)}){scale}"
    if how < 0.8:
        return f"{name} = torch.{r.choice(['ones', 'zeros'])}({tuple(_shape(r) or [3])}{dtype})"
    if how < 0.9:
        dtype = dtype if dt in ("float32", "float64", None) else ""
        return f"{name} = torch.full({tuple(_shape(r) or [3])}, {r.choice(SPECIAL)}{dtype})"
    a, b = r.choice([(0, 1), (-1, 1), (0, 1e-3), (1, 1e6), (0, 100)])
    return f"{name} = torch.linspace({a}, {b}, {r.choice([1, 2, 5, 9])})"


def _options(r: random.Random, precise: bool) -> str:
    """A set_printoptions call; `precise`: may show more than 4 decimals."""
    kw = []
    if r.random() < 0.3:
        kw.append(f"profile={r.choice(['default', 'short', 'full'])!r}")
    if r.random() < 0.4:
        kw.append(f"precision={r.choice([0, 1, 2, 6, 8] if precise else [0, 1, 2, 3])}")
    if r.random() < 0.3:
        kw.append(f"threshold={r.choice([0, 3, 5, 10, 50])}")
    if r.random() < 0.3:
        kw.append(f"edgeitems={r.choice([0, 1, 2, 4])}")
    if r.random() < 0.3:
        kw.append(f"linewidth={r.choice([10, 30, 60, 120, 200])}")
    if r.random() < 0.3:
        kw.append(f"sci_mode={r.choice([True, False, None])}")
    return f"torch.set_printoptions({', '.join(kw)})"


def program(seed: int) -> str:
    r = random.Random(seed)
    # a program either keeps to 4 decimals and may take exp & co, or not
    precise = r.random() < 0.5
    prints = PRINTS if precise else PRINTS + ROUNDING_PRINTS
    lines = [_options(r, precise)] if r.random() < 0.5 else []
    names = [f"t{i}" for i in range(r.randint(1, 3))]
    lines += [_tensor(r, name) for name in names]
    for _ in range(r.randint(2, 6)):
        lines.append(r.choice(prints).format(t=r.choice(names), u=r.choice(names)))
        if r.random() < 0.15:
            lines.append(_options(r, precise))
    if r.random() < 0.4:
        lines.append(r.choice(AUTOGRAD).format(t=r.choice(names)))
    return "\n".join(lines) + "\n"


def run_torch(src: str) -> tuple[str, int | None]:
    """PyTorch's output (addresses masked) and the line it failed on."""
    torch.set_printoptions(profile="default")      # (and sci_mode None)
    out = io.StringIO()
    failed = None
    try:
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # (a generated program)
            exec(compile(src, FILENAME, "exec"), {"torch": torch})  # noqa: S102
    except Exception as exc:  # the program's own failure is part of what it does
        failed = 0
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == FILENAME:
                failed = frame.lineno
    finally:
        torch.set_printoptions(profile="default")
    return ADDRESS.sub("0x?", out.getvalue()), failed


def run_gradviz(src: str) -> tuple[str, int | None]:
    out = io.StringIO()
    failed = None
    try:
        gradviz.run_source(src, filename=FILENAME, stdout=out)
    except GradvizError as exc:
        failed = exc.span.line if exc.span else 0
    return ADDRESS.sub("0x?", out.getvalue()), failed


def test_programs_print_what_pytorch_prints():
    differ = []
    for seed in range(FIRST_SEED, FIRST_SEED + PROGRAMS):
        src = program(seed)
        want, got = run_torch(src), run_gradviz(src)
        if want != got:
            differ.append(f"seed {seed}:\n{src}--- PyTorch (failed on line {want[1]}):\n"
                          f"{want[0]}--- gradviz (failed on line {got[1]}):\n{got[0]}")
    assert not differ, f"{len(differ)} of {PROGRAMS} programs differ; the first:\n{differ[0]}"


def test_programs_cover_what_they_should():
    """The generator makes what the sweep is for (a change to it that stopped
    making, say, summarised tensors would pass unnoticed)."""
    text = "".join(program(s) for s in range(200))
    for piece in ("dtype=torch.float64", "dtype=torch.bool", "dtype=torch.int64",
                  "torch.arange(2000", "float('nan')", "-0.0", "set_printoptions(", "edgeitems=0",
                  "sci_mode=True",
                  "backward()", "grad.zero_()", ".item()", "torch.max(", "nn.Parameter", "f'{",
                  "% 3", "// 2", "tolist()", "(0, 3)"):
        assert piece in text, piece
