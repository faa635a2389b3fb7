"""What a program prints, byte for byte against PyTorch: seeded random
programs that make tensors of every dtype gradviz has (float32, float64,
int64, int32, int16, int8, uint8, bool), of every shape kind (0-d, empty, 1 to 4 dims, rows long enough
to wrap, more than 1000 elements that summarise) and of values at the edges
of the formatter (tiny, huge, -0., nan, inf, whole numbers stored as floats,
magnitudes far apart that switch to scientific notation), under random
torch.set_printoptions, and print them every way a learner does: print(t),
print(t, u), f-strings with and without a spec, repr/str, tolist(), item(),
shape/size()/dtype/device, torch.return_types, lists/tuples/dicts of
tensors, nn.Parameter, grad_fn reprs, % formatting, then the autograd
chapter's steps (requires_grad, backward of a scalar and of a non-scalar,
x.grad, grad.zero_(), detach). Half the programs are about the integer
dtypes (casts, wraparound, promotion with every dtype and with Python
numbers, // and % by 0 too, ** and bitwise operators, comparisons,
reductions with and without dtype=, clamp, indexing with them, tolist(),
item(), f-strings, torch.iinfo) and what else a learner prints (x.grad
accumulating over backward() calls, grad_fn.name() and next_functions,
is_leaf, the named tuples of max(dim)/sort/topk unpacked, torch.Size
arithmetic, dtype objects and torch.promote_types).

Each program runs under PyTorch and under gradviz; stdout must be equal
(the addresses in "<MulBackward0 object at 0x...>" are masked: gradviz's
are made up) and both must fail, or not, on the same line.

Float32 values that differ from PyTorch's in the last bit (numpy's and
PyTorch's kernels round some products, sums and transcendental functions
apart: see ROUNDED_SIZE in gradviz/ops/elementwise.py) would show at high
precision; the programs avoid them
(at most 4 decimals after exp, tanh, log, softmax; matrix products of
small whole numbers). GRADVIZ_SWEEP_PROGRAMS=N runs N programs (default
800, about 10 seconds) from GRADVIZ_SWEEP_SEED (default 0).
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

PROGRAMS = int(os.environ.get("GRADVIZ_SWEEP_PROGRAMS", "800"))
FIRST_SEED = int(os.environ.get("GRADVIZ_SWEEP_SEED", "0"))
FILENAME = "<program>"
PROGRAMS_COVERED = 400       # (the first programs, which make all of what the sweep is for)
ADDRESS = re.compile(r"0x[0-9a-f]+")

DTYPES = ["float32", "float64", "int64", "bool", None, "int32", "int16", "int8", "uint8"]
NARROW = ["int32", "int16", "int8", "uint8"]
SPECIAL = ["0.0", "-0.0", "1.0", "-1.0", "2.5", "1e-05", "1e-08", "123456789.0", "1e10",
           "-3.75", "float('nan')", "float('inf')", "-float('inf')", "0.1", "1/3", "1000.0",
           "99999.0", "0.0001", "12345.678", "7.0", "-2.0", "3.14159", "1e-30", "1e30",
           "65504.0", "0.00099", "100000000.0", "1e8", "5e-05"]
INTS = ["0", "1", "-1", "7", "123", "-4567", "10**9", "2**40"]
# values of the narrow integer dtypes: in range, at the ends, and (rarely)
# beyond them, which torch.tensor refuses
NARROW_INTS = {"int32": ["0", "1", "-1", "77", "-123", "2**31 - 1", "-2**31", "100000"],
               "int16": ["0", "1", "-1", "77", "-123", "32767", "-32768", "300"],
               "int8": ["0", "1", "-1", "7", "-13", "127", "-128", "100"],
               "uint8": ["0", "1", "2", "7", "13", "255", "128", "200"]}
OUT_OF_RANGE = {"int32": "2**31", "int16": "-40000", "int8": "128", "uint8": "-1"}

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
# prints of integer tensors: casts, wraparound, promotion with every dtype
# and with Python numbers, // and %, comparisons, reductions, indexing
INT_PRINTS = [
    "print({t}.int(), {t}.short())", "print({t}.char(), {t}.byte())",
    "print({t}.int().dtype, {t}.short().dtype, {t}.char().dtype, {t}.byte().dtype)",
    "print({t}.char() + {u}.byte() if {t}.shape == {u}.shape else {t}.char() + 1)",
    "print({t}.short() * {u}.int() if {t}.shape == {u}.shape else {t}.short() * 3)",
    "print({t}.byte() - {u}.char() if {t}.shape == {u}.shape else {t}.byte() - 2)",
    "print({t}.int() + {u} if {t}.shape == {u}.shape else {t}.int() + 2.5)",
    "print({t}.byte() * 200, {t}.char() * 100, {t}.short() * 1000)",
    "print({t}.int() * 2**20, ({t}.int() * 2**20).dtype)",
    "print({t}.byte() + 1.5, {t}.char() / 2, ({t}.short() / 2).dtype)",
    "print({t}.byte() + True, {t}.char() * False, {t}.int() + torch.tensor(2.5))",
    "print({t}.char() + torch.tensor(3, dtype=torch.int64), {t}.byte() + torch.tensor(1.5))",
    "print({t}.char() + {t}.bool(), {t}.byte() * {t}.float(), {t}.short() - {t}.double())",
    "print({t}.byte() // 3, {t}.char() // -3, {t}.short() % 7, {t}.int() % -4)",
    "print({t}.char() // 2.5, {t}.byte() % 2.5)",
    "print({t}.byte() // {u}.char().clamp(1, 5) if {t}.shape == {u}.shape else {t}.byte() // 5)",
    "print({t}.char() > 0, {t}.byte() <= 100, {t}.short() == {t}.int(), {t}.char() != 5)",
    "print({t}.byte() < -1, {t}.char() > 1000, {t}.int() == 2.0)",
    "print({t}.char().sum(), {t}.byte().sum(), {t}.short().sum().dtype, {t}.int().prod())",
    "print({t}.byte().prod(), {t}.char().prod().dtype, {t}.int().sum(0) if {t}.dim() else 0)",
    "print({t}.char().cumsum(0) if {t}.dim() else {t}.char(), {t}.byte().cumsum(-1).dtype "
    "if {t}.dim() else 0)",
    "print({t}.char().max(), {t}.byte().min(), {t}.short().argmax(), {t}.int().argmin()) "
    "if {t}.numel() else 0",
    "print({t}.char().max(0) if {t}.dim() and {t}.numel() else 0)",
    "print({t}.byte().reshape(-1).sort(), {t}.char().reshape(-1).topk(1)) if {t}.numel() else 0",
    "print({t}.int().abs(), -{t}.char(), -{t}.byte(), {t}.short().abs().dtype)",
    "print({t}.char().float().mean(), {t}.byte().double())",
    "print({t}.reshape(-1)[{u}.reshape(-1).byte().long() % {t}.numel()] if {t}.numel() else 0)",
    "print({t}.reshape(-1)[{u}.reshape(-1).int() % {t}.numel()] if {t}.numel() else 0)",
    "print({t}.reshape(-1)[{t}.reshape(-1).short() % 2 == 0])",
    "print({t}.char().tolist(), {t}.byte().tolist())",
    "print({t}.int().reshape(-1)[0].item() if {t}.numel() else 0, "
    "{t}.byte().sum().item(), {t}.char().max().item() if {t}.numel() else 0)",
    "print(repr({t}.short()), str({t}.byte()))",
    "print(f'{{{t}.char()}}', f'{{{t}.byte().sum()}}', f'{{{t}.int().sum():5d}}')",
    "print(f'{{{t}.byte().sum().item():>6}}', '%d' % {t}.char().sum().item(), "
    "format({t}.short().sum(), 'd'))",
    "print(torch.tensor({t}.char().tolist(), dtype=torch.int8) if {t}.numel() else 0)",
    "print(torch.zeros(3, dtype=torch.uint8) - 1, torch.ones(2, dtype=torch.int8) * 127 + 1)",
    "print(torch.arange(5, dtype=torch.int16) * 10000, torch.arange(300).byte()[250:])",
    "print(torch.full((2,), 7, dtype=torch.int8), torch.full((2,), 3).dtype)",
    "print(torch.stack([{t}.byte(), {t}.byte()]), torch.cat([{t}.char().reshape(-1), "
    "{t}.int().reshape(-1)]))",
    "print({t}.char().reshape(-1).unsqueeze(1).expand(-1, 2) if {t}.numel() < 40 else 0)",
    "print({t}.to(torch.int16), {t}.to(torch.uint8).to(torch.float64))",
    "print(torch.where({t}.char() > 0, {t}.char(), {t}.byte()))",
    "print({t}.byte().float() / 255, ({t}.char() + 0.5).dtype)",
    "print({t}.char().bool(), {t}.byte().long() * 2**40)",
    "print({t}.char() // 0)", "print({t}.byte() % 0)", "print({t}.int() / 0, {t}.char().float() // 0)",
    "print({t}.char() ** 2, {t}.byte() ** 3, 2 ** {t}.byte().clamp(0, 9), {t}.char() ** 0.5)",
    "print({t}.char() ** -1)", "print({t}.short() ** {t}.char().abs())",
    "print({t}.char() & 5, {t}.byte() | 8, {t}.int() ^ 3, ~{t}.char(), ~{t}.byte())",
    "print({t}.short() & {t}.char(), {t}.byte() | {t}.char(), {t}.char() ^ -1)",
    "print({t}.int().mean())", "print({t}.char().sum(dtype=torch.int8), {t}.byte().sum(0, "
    "dtype=torch.float32) if {t}.dim() else 0)",
    "print(torch.div({t}.char(), 3), torch.div({t}.byte(), {t}.char()))",
    "print(torch.remainder({t}.char(), -3), torch.remainder({t}.byte(), 3), {t}.int().remainder(5))",
    "print({t}.char().cumprod(0) if {t}.dim() else 0, {t}.byte().prod(0) if {t}.dim() else 0)",
    "print({t}.char().abs(), {t}.char().sign(), {t}.byte().neg())",
    "print({t}.int().requires_grad_())", "print({t}.char().float().requires_grad_() * {t}.char())",
    "v = {t}.char()\nv += 1000\nprint(v)\nv *= 3\nprint(v, v.dtype)",
    "v = {t}.byte()\nv -= 7\nprint(v)\nv += 1.5\nprint(v)",
    "v = {t}.int()\nv //= 2\nprint(v)\nv[...] = -9\nprint(v, v.dtype)",
    "print({t}.char().clamp(0.5, 2), {t}.byte().clamp(max=10), {t}.char().clamp(-3, 3).dtype)",
    "print(torch.maximum({t}.char(), {t}.byte()), torch.minimum({t}.int(), {t}.float()))",
    "print({t}.int() * torch.tensor(2.0, dtype=torch.float64), {t}.long() + torch.tensor(1, "
    "dtype=torch.int8), {t}.char() + torch.tensor(300))",
    "print(torch.tensor([1, 2.5, -3.7], dtype=torch.int8), torch.tensor([True, 2], "
    "dtype=torch.uint8))",
    "print(torch.tensor([], dtype=torch.int8), torch.zeros(0, 3, dtype=torch.uint8), "
    "torch.tensor(5, dtype=torch.int16))",
    "print(torch.arange(-3, 4, dtype=torch.int8), torch.arange(0, 250, 50, dtype=torch.uint8))",
    "print(int({t}.char().sum()), float({t}.byte().sum()), bool({t}.int().sum()))",
    "print({t}.char().type(), {t}.byte().element_size(), {t}.int().is_floating_point(), "
    "{t}.short().is_signed())",
    "print({t}.type(torch.int8), {t}.char().type(torch.float64))",
    "print(torch.iinfo(torch.int8).max, torch.iinfo(torch.uint8).min, torch.iinfo(torch.int16))",
    "print(torch.promote_types(torch.int8, torch.uint8), torch.result_type({t}, 2.5), "
    "torch.can_cast(torch.int8, torch.uint8))",
    "print({t}.char().argmax(0) if {t}.dim() and {t}.numel() else 0, {t}.byte().argsort() "
    "if {t}.dim() else 0)",
    "print({t}.char().float().softmax(0) if {t}.dim() else 0)",
    "print(f'{{{t}.char().sum():d}}', f'{{{t}.byte().sum().item():08b}}')",
    "print({t}.char().view(-1)[:3], {t}.byte().reshape(-1)[-2:], {t}.char().flip(0) if {t}.dim() "
    "else 0)",
]
# what else a learner prints: dtype objects, torch.Size arithmetic, flags,
# return types
MISC_PRINTS = [
    "print({t}.dtype, {t}.dtype == torch.float32, torch.int8, torch.uint8, torch.short, torch.int)",
    "print(repr({t}.dtype), str({t}.dtype), [{t}.dtype, torch.int16], {{{t}.dtype: 1}})",
    "print({t}.dtype.is_floating_point, {t}.dtype.is_signed, {t}.dtype.itemsize)",
    "print({t}.shape + (2,), {t}.shape * 2, {t}.shape[1:], {t}.shape[-1] if {t}.dim() else 0)",
    "print({t}.shape == ({t}.numel(),), len({t}.shape), {t}.size(0) if {t}.dim() else 0)",
    "print(torch.Size([2, 3]), torch.Size([2, 3]).numel(), torch.Size([]), list({t}.shape))",
    "print(tuple({t}.shape), {t}.shape + {u}.shape, repr({t}.shape))",
    "print({t}.is_leaf, {t}.requires_grad, {t}.grad_fn, {t}.grad)",
    "print({t}.float().requires_grad_().is_leaf, ({t}.float().requires_grad_() * 2).is_leaf)",
    "print({t}.float().sort(descending=True) if {t}.dim() else {t})",
    "print({t}.float().reshape(-1).topk(2 if {t}.numel() > 1 else 1) if {t}.numel() else 0)",
    "print({t}.float().reshape(-1, 1).max(dim=0) if {t}.numel() else 0)",
    "print(torch.min({t}.double().reshape(-1, 1), dim=1, keepdim=True) if {t}.numel() else 0)",
    "print({t}.float().reshape(-1).sort()[1], {t}.float().reshape(-1).sort().indices.dtype)",
    "print({t}.float().reshape(-1).max(0).values if {t}.numel() else 0, "
    "{t}.float().reshape(-1).max(0)[1] if {t}.numel() else 0)",
    "print(*{t}.float().reshape(-1).sort())",
    "print({t}.dtype is torch.float32, torch.float == torch.float32, torch.long, torch.double, "
    "torch.get_default_dtype())",
    "print({t}.shape == torch.Size([2, 3]), {t}.shape == ({t}.numel(),), {t}.shape[::-1], "
    "torch.Size([2]) + torch.Size([3]), {t}.shape.numel())",
    "print([{t}.float().reshape(-1).max(0)] if {t}.numel() else 0, "
    "{t}.float().reshape(-1).sort()._fields if {t}.numel() else 0)",
    "print({t}.float().reshape(-1).max(0).values.dtype if {t}.numel() else 0, "
    "type({t}.float().reshape(-1).sort()))",
    "print(type({t}), type({t}.shape), type({t}.dtype), type({t}.float().sum().item()), "
    "type({t}.long().sum().item()), type({t}.tolist()))",
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
    # gradients accumulate over backward() calls
    """x = {t}.float().flatten()[:3].clone().requires_grad_()
print(x.grad, x.is_leaf, x.grad_fn)
for i in range(3):
    y = (x * (i + 1)).sum()
    y.backward()
    print(x.grad)
z = x * x
z.sum().backward(retain_graph=True)
print(x.grad)
z.sum().backward()
print(x.grad, z.is_leaf, z.requires_grad)
x.grad = None
print(x.grad)""",
    # grad_fn names and next_functions
    """x = {t}.double().flatten()[:3].clone().requires_grad_()
w = torch.ones(3, requires_grad=True)
y = (x * 2 + w.double()).exp().sum()
print(y.grad_fn.name(), y.grad_fn)
print(y.grad_fn.next_functions)
print(y.grad_fn.next_functions[0][0].next_functions)
print([f.name() for f, _ in y.grad_fn.next_functions[0][0].next_functions[0][0].next_functions])
print(x.is_leaf, w.is_leaf, y.is_leaf, y.requires_grad, x.detach().requires_grad)
y.backward()
print(x.grad, w.grad)""",
    """x = {t}.float().flatten()[:3].clone().requires_grad_()
y = x * 3
y.retain_grad()
z = (y * y).sum()
z.backward(retain_graph=True)
print(x.grad, y.grad, y.grad_fn.next_functions[0][0].variable is x)
z.backward()
print(x.grad, y.grad, x.grad is None, y.is_leaf, z.grad_fn.next_functions)
print(x.grad.requires_grad, x.grad.grad_fn, x.grad.is_leaf, x.grad.dtype)""",
    """x = {t}.float().flatten()[:4].clone().requires_grad_()
v, i = x.max(0) if x.numel() else (x.sum(), 0)
s = x.sort()
k = x.topk(2 if x.numel() > 1 else x.numel())
print(v.grad_fn, s.values.grad_fn, s.indices.grad_fn, k)
(v + s.values.sum() + k.values.sum()).backward()
print(x.grad, i, s.indices)""",
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
    if dt in NARROW and how < 0.5:
        shape = _shape(r)
        n = 1
        for d in shape:
            n *= d
        values = [r.choice(NARROW_INTS[dt]) for _ in range(n)]
        if values and r.random() < 0.05:
            values[-1] = OUT_OF_RANGE[dt]
        return f"{name} = torch.tensor({_nest(values, shape)}{dtype})"
    if dt in NARROW and how < 0.6:
        low = 0 if dt == "uint8" else r.choice([-100, -5, 0])
        return f"torch.manual_seed({r.randint(0, 99)})\n{name} = torch.randint({low}, " \
            f"{r.choice([3, 100, 127])}, {tuple(_shape(r) or [4])}{dtype})"
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
        dtype = dtype if dt in ("float32", "float64", None) or dt in NARROW else ""
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
    # half the programs are about integer tensors and the rest of what a
    # learner prints
    if r.random() < 0.5:
        prints = prints[::3] + INT_PRINTS + MISC_PRINTS
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
    text = "".join(program(s) for s in range(PROGRAMS_COVERED))
    for piece in ("dtype=torch.float64", "dtype=torch.bool", "dtype=torch.int64",
                  "torch.arange(2000", "float('nan')", "-0.0", "set_printoptions(", "edgeitems=0",
                  "sci_mode=True",
                  "backward()", "grad.zero_()", ".item()", "torch.max(", "nn.Parameter", "f'{",
                  "% 3", "// 2", "tolist()", "(0, 3)",
                  # the integer dtypes and what else a learner prints
                  "dtype=torch.int8", "dtype=torch.uint8", "dtype=torch.int16", "dtype=torch.int32",
                  ".char()", ".byte()", ".short()", ".int()", "2**31", "torch.randint(",
                  "sum(dtype=torch.int8)", "// 0", "** -1", ".clamp(0.5, 2)", "torch.iinfo(",
                  "next_functions", "grad_fn.name()", "retain_graph=True", "x.grad = None",
                  ".topk(", "torch.Size([", ".shape + ", "torch.promote_types(", "is_signed()"):
        assert piece in text, piece


@pytest.mark.parametrize("shape, other", [((20,), (20,)), ((12,), ()), ((3, 20), (20,)),
                                          ((20, 1), (1, 20)), ((40,), (40,)), ((2, 9), (2, 9))])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_signed_zero_ties_of_maximum_and_minimum(shape, other, dtype):
    """0. against -0.: PyTorch's loop keeps the first operand one number at a
    time, the second in its vector steps (gradviz/ops/elementwise.py _pick)."""
    src = (f"a = torch.zeros({shape}, dtype=torch.{dtype})\n"
           f"b = -torch.zeros({other}, dtype=torch.{dtype})\n"
           "print(torch.maximum(a, b), torch.minimum(a, b), torch.maximum(b, a), "
           "torch.minimum(b, a))\n")
    assert run_gradviz(src) == run_torch(src)
