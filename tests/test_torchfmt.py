"""Tests for gradviz.render.torchfmt.

The first part pins known PyTorch 2.13 outputs literally and runs without
torch.  The second part is a differential test against the installed torch
(skipped when torch is absent).
"""
from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from gradviz.render.torchfmt import (
    DEFAULT_OPTIONS, DType, Formatted, PrintOptions, Size, format_compact, format_number,
    format_tensor, format_value, print_args, set_options,
)

F32, F64, I64, B = "float32", "float64", "int64", "bool"
NAN, INF = float("nan"), float("inf")


def a(values, dtype=F32):
    return np.array(values, dtype={F32: np.float32, F64: np.float64,
                                   I64: np.int64, B: np.bool_}[dtype])


# ---------------------------------------------------------------------------
# pinned outputs (no torch needed)

PINNED = [
    (a([0, 4, 8, 12]), F32, {}, "tensor([ 0.,  4.,  8., 12.])"),
    (a(28), F32, {"grad_fn": "MulBackward0"}, "tensor(28., grad_fn=<MulBackward0>)"),
    (a([[2.5, 3.5, 7], [8.5, 9.5, 13]]), F32, {"grad_fn": "AddBackward0"},
     "tensor([[ 2.5000,  3.5000,  7.0000],\n"
     "        [ 8.5000,  9.5000, 13.0000]], grad_fn=<AddBackward0>)"),
    (a([4 / 3, -8 / 3, 4]), F32, {}, "tensor([ 1.3333, -2.6667,  4.0000])"),
    (a([0, 1, 2, 3]), F32, {"requires_grad": True},
     "tensor([0., 1., 2., 3.], requires_grad=True)"),
    (a([1e-8, 1.0]), F32, {}, "tensor([1.0000e-08, 1.0000e+00])"),
    (a([1e10, -3.0]), F32, {}, "tensor([ 1.0000e+10, -3.0000e+00])"),
    (a([1e9, 1.0]), F32, {}, "tensor([1.0000e+09, 1.0000e+00])"),
    (np.arange(2000), I64, {}, "tensor([   0,    1,    2,  ..., 1997, 1998, 1999])"),
    (np.arange(1001, dtype=np.float32) / 4, F32, {},
     "tensor([  0.0000,   0.2500,   0.5000,  ..., 249.5000, 249.7500, 250.0000])"),
    (a([True, False, True], B), B, {}, "tensor([ True, False,  True])"),
    (a([[1, -20], [300, 4]], I64), I64, {}, "tensor([[  1, -20],\n        [300,   4]])"),
    (a([], I64), I64, {}, "tensor([], dtype=torch.int64)"),
    (np.zeros((0, 3), np.float32), F32, {}, "tensor([], size=(0, 3))"),
    (np.zeros((2, 0)), F64, {"requires_grad": True},
     "tensor([], size=(2, 0), dtype=torch.float64, requires_grad=True)"),
    (a([NAN, INF, -INF, 1.5]), F32, {}, "tensor([   nan,    inf,   -inf, 1.5000])"),
    (a([NAN, INF]), F32, {}, "tensor([nan, inf])"),
    (a(NAN), F32, {}, "tensor(nan)"),
    (a([0.0, -0.0]), F32, {}, "tensor([0., -0.])"),
    (a([1.0, 2.5], F64), F64, {}, "tensor([1.0000, 2.5000], dtype=torch.float64)"),
    (a(3.0, F64), F64, {"requires_grad": True},
     "tensor(3., dtype=torch.float64, requires_grad=True)"),
    (np.arange(20, dtype=np.float32) * 1.5, F32, {},
     "tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n"
     "        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000, 22.5000,\n"
     "        24.0000, 25.5000, 27.0000, 28.5000])"),
    (np.arange(8, dtype=np.float32).reshape(2, 2, 2), F32, {},
     "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])"),
    (np.arange(10.0) * 1000.5, F64, {"grad_fn": "MulBackward0"},
     "tensor([   0.0000, 1000.5000, 2001.0000, 3001.5000, 4002.0000, 5002.5000,\n"
     "        6003.0000, 7003.5000, 8004.0000, 9004.5000], dtype=torch.float64,\n"
     "       grad_fn=<MulBackward0>)"),
    (a([[0.6590, 0.2424, 0.0986], [0.1161, 0.8580, 0.0259]]), F32,
     {"grad_fn": "SoftmaxBackward0"},
     "tensor([[0.6590, 0.2424, 0.0986],\n"
     "        [0.1161, 0.8580, 0.0259]], grad_fn=<SoftmaxBackward0>)"),
    (a([[1.0], [4.0]]), F32, {"grad_fn": "MeanBackward1"},
     "tensor([[1.],\n        [4.]], grad_fn=<MeanBackward1>)"),
]


@pytest.mark.parametrize("data,dtype,kw,expected", PINNED)
def test_pinned(data, dtype, kw, expected):
    assert format_tensor(data, dtype, **kw) == expected


def test_summarized_2d_layout():
    out = format_tensor(np.arange(40 * 40, dtype=np.int64).reshape(40, 40), I64)
    assert out == (
        "tensor([[   0,    1,    2,  ...,   37,   38,   39],\n"
        "        [  40,   41,   42,  ...,   77,   78,   79],\n"
        "        [  80,   81,   82,  ...,  117,  118,  119],\n"
        "        ...,\n"
        "        [1480, 1481, 1482,  ..., 1517, 1518, 1519],\n"
        "        [1520, 1521, 1522,  ..., 1557, 1558, 1559],\n"
        "        [1560, 1561, 1562,  ..., 1597, 1598, 1599]])")


def test_unknown_dtype():
    with pytest.raises(ValueError):
        format_tensor(np.zeros(2), "bfloat16")


def test_values():
    assert str(Size([4])) == "torch.Size([4])"
    assert str(Size([])) == "torch.Size([])"
    assert repr(Size((2, 3))) == "torch.Size([2, 3])"
    assert Size([2, 3]) == (2, 3)
    assert str(DType("float32")) == "torch.float32"
    assert DType("int64") == "int64"
    assert format_value(2.5) == "2.5"
    assert format_value(1.0) == "1.0"
    assert format_value(np.float64(0.1)) == "0.1"
    assert format_value(None) == "None"
    assert format_value(True) == "True"
    assert format_value(7) == "7"
    assert format_value("hi") == "hi"
    assert format_value(("hi", 1, None)) == "('hi', 1, None)"
    assert format_value((Size([3]),)) == "(torch.Size([3]),)"
    assert format_value([DType("bool"), Size([])]) == "[torch.bool, torch.Size([])]"
    assert format_value(()) == "()"
    assert format_value([]) == "[]"
    tensor = format_tensor(a([1.0, 2.0]), F32)
    assert format_value((Formatted(tensor), 3)) == "(tensor([1., 2.]), 3)"
    assert format_value(["x", (1.5, [2])]) == "['x', (1.5, [2])]"
    with pytest.raises(TypeError):
        format_value(object())


def test_tensor_callback():
    class T:
        def __init__(self, arr):
            self.arr = arr

    cb = lambda t: format_tensor(t.arr, F32)  # noqa: E731
    with pytest.raises(TypeError):
        format_value(T(a([1, 2])))
    assert format_value(T(a([1, 2])), cb) == "tensor([1., 2.])"
    assert format_value((T(a(0.5)), T(a([]))), cb) == "(tensor(0.5000), tensor([]))"
    assert print_args([T(a(1)), "grad:", None], tensor_str=cb) == "tensor(1.) grad: None\n"


def test_print_args():
    assert print_args([True, False, True]) == "True False True\n"
    assert print_args([]) == "\n"
    assert print_args(["a", 1], sep=",", end="") == "a,1"
    assert print_args([Size([2, 3]), DType("float64")]) == "torch.Size([2, 3]) torch.float64\n"


def test_format_number():
    assert format_number(3.0) == "3."
    assert format_number(2.5) == "2.5000"
    assert format_number(-0.125) == "-0.1250"
    assert format_number(1e-8) == "1.0000e-08"
    assert format_number(123456789.0) == "1.2346e+08"
    assert format_number(NAN) == "nan"
    assert format_number(-INF) == "-inf"
    assert format_number(-0.0) == "-0."
    assert format_number(0.0) == "0."
    assert format_number(12) == "12"
    assert format_number(True) == "True"
    assert format_number(np.float32(0.5)) == "0.5000"


def test_format_compact():
    assert format_compact(a(28), F32) == "28."
    assert format_compact(a([0, 4, 8, 12]), F32) == "[ 0.,  4.,  8., 12.]"
    assert format_compact(a([[1, 2], [3, 4]]), F32) == "[[1., 2.], [3., 4.]]"
    assert format_compact(a([[[1, 2]], [[3, 4]]]), F32) == "[[[1., 2.]], [[3., 4.]]]"
    assert format_compact(a([True, False], B), B) == "[ True, False]"
    assert format_compact(a([], F32), F32) == "[]"
    assert format_compact(np.zeros((0, 3)), F64) == "[], size=(0, 3)"
    assert format_compact(np.arange(12.0).reshape(3, 4), F64) == \
        "0. … 11., mean 5.5000, size=(3, 4)"
    assert format_compact(np.arange(-5, 5), I64) == "-5 … 4, mean -0.5000, size=(10,)"
    assert format_compact(a([True] * 3 + [False], B), B, max_elems=3) == \
        "False … True, mean 0.7500, size=(4,)"
    assert format_compact(np.arange(3.0), F64, max_elems=2) == "0. … 2., mean 1., size=(3,)"


# ---------------------------------------------------------------------------
# differential tests against torch

NP_DTYPES = {F32: np.float32, F64: np.float64, I64: np.int64, B: np.bool_}
MAX_ELEMS = 20000


@st.composite
def shapes(draw):
    ndim = draw(st.integers(0, 4))
    if ndim == 1:
        dim = st.one_of(st.integers(0, 8), st.integers(9, 40), st.integers(900, 2500))
    else:
        dim = st.one_of(st.integers(0, 3), st.integers(4, 8), st.integers(9, 60))
    dims = [draw(dim) for _ in range(ndim)]
    while math.prod(dims) > MAX_ELEMS:
        i = dims.index(max(dims))
        dims[i] //= 2
    return tuple(dims)


def _numpy_floats(draw, n):
    """n float64 values from a randomly chosen regime (random magnitudes
    1e-10..1e10, integers, few decimals, constants) with optional negatives,
    zeros and specials."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    regime = draw(st.sampled_from(["int", "decimal", "logwide", "narrow", "const"]))
    e1, e2 = sorted(draw(st.lists(st.integers(-10, 10), min_size=2, max_size=2)))
    if regime == "int":
        x = rng.integers(-10 ** max(e2, 0), 10 ** max(e2, 0) + 1, size=n).astype(np.float64)
    elif regime == "decimal":
        x = np.round(rng.uniform(-1, 1, n) * 10.0 ** e2, draw(st.integers(0, 6)))
    elif regime == "logwide":
        x = 10.0 ** rng.uniform(e1, e2, n)
    elif regime == "narrow":
        x = rng.uniform(1, 9.9999, n) * 10.0 ** e2
    else:
        x = np.full(n, draw(st.floats(allow_nan=True, allow_infinity=True)))
    if draw(st.booleans()):
        x = np.where(rng.random(n) < draw(st.floats(0, 1)), -x, x)
    p_special = draw(st.sampled_from([0.0, 0.0, 0.05, 0.3]))
    if p_special:
        pick = rng.random(n) < p_special
        specials = rng.choice(np.array([0.0, -0.0, NAN, INF, -INF]), size=n)
        x = np.where(pick, specials, x)
    return x


@st.composite
def tensors(draw, floating_only=False):
    dtype = draw(st.sampled_from([F32, F64]) if floating_only else
                 st.sampled_from([F32, F32, F64, I64, B]))
    shape = draw(shapes())
    n = math.prod(shape)
    if dtype in (F32, F64):
        if n <= 64 and draw(st.booleans()):
            width = 32 if dtype == F32 else 64
            vals = draw(st.lists(st.floats(width=width), min_size=n, max_size=n))
            x = np.array(vals, dtype=np.float64)
        else:
            x = _numpy_floats(draw, n)
    elif dtype == I64:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        hi = draw(st.sampled_from([1, 10, 1000, 10**6, 10**12, 2**62]))
        x = rng.integers(-hi, hi, size=n, endpoint=True)
        if n and draw(st.booleans()):
            x[rng.integers(0, n)] = draw(st.sampled_from([2**63 - 1, -2**63, 0]))
    else:
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        x = rng.random(n) < draw(st.floats(0, 1))
    with np.errstate(over="ignore"):
        arr = np.asarray(x).astype(NP_DTYPES[dtype]).reshape(shape)
    return arr, dtype


# ops that keep values bit-identical, with the grad_fn name they produce
GRAD_OPS = [
    ("MulBackward0", lambda t: t * 1),
    ("CloneBackward0", lambda t: t.clone()),
    ("ViewBackward0", lambda t: t.view(t.shape)),
    ("NegBackward0", lambda t: -(-t)),
]


def _torch_tensor(torch, arr):
    return torch.from_numpy(np.array(arr, copy=True, order="C"))


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tensors(), st.integers(0, len(GRAD_OPS) + 1))
def test_differential_tensor(case, grad_mode):
    torch = pytest.importorskip("torch")
    arr, dtype = case
    t = _torch_tensor(torch, arr)
    kw = {}
    if dtype in (F32, F64) and grad_mode:
        t.requires_grad_(True)
        if grad_mode <= len(GRAD_OPS):
            name, op = GRAD_OPS[grad_mode - 1]
            t = op(t)
            assert type(t.grad_fn).__name__ == name
            kw["grad_fn"] = name
        else:
            kw["requires_grad"] = True
    assert format_tensor(arr, dtype, **kw) == str(t)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_differential_number(x):
    torch = pytest.importorskip("torch")
    s = str(torch.tensor(x, dtype=torch.float64))
    assert format_number(x) == s[len("tensor("):-len(", dtype=torch.float64)")]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tensors(floating_only=True).filter(lambda c: 0 < c[0].size <= 8))
def test_differential_compact(case):
    torch = pytest.importorskip("torch")
    arr, dtype = case
    s = str(_torch_tensor(torch, arr))
    s = re.sub(r",\s*dtype=torch\.\w+\)$", ")", s)[len("tensor("):-1]
    assert format_compact(arr, dtype) == _one_line(s)


def _one_line(body):
    """Join a printed tensor body onto one line: a break inside k open
    brackets is followed by 7 + k spaces of indent (``tensor(`` plus one per
    bracket); the padding after that belongs to the element."""
    out, depth, i = [], 0, 0
    while i < len(body):
        m = re.match(r",\n+", body[i:])
        if m:
            out.append(", ")
            i += m.end() + 7 + depth
            continue
        ch = body[i]
        depth += (ch == "[") - (ch == "]")
        out.append(ch)
        i += 1
    return "".join(out)


class _T:
    """A stand-in tensor for format_value's callback."""

    def __init__(self, arr, dtype):
        self.arr, self.dtype = arr, dtype


def _tensor_str(t):
    return format_tensor(t.arr, t.dtype)


@st.composite
def values(draw):
    """Pairs (ours, torch's) of printable values, nested in tuples/lists."""
    torch = pytest.importorskip("torch")
    dt = {F32: torch.float32, F64: torch.float64, I64: torch.int64, B: torch.bool}
    small = tensors().filter(lambda c: c[0].size <= 50)
    leaf = st.one_of(
        st.none().map(lambda v: (v, v)),
        st.booleans().map(lambda v: (v, v)),
        st.integers().map(lambda v: (v, v)),
        st.floats().map(lambda v: (v, v)),
        st.text(max_size=5).map(lambda v: (v, v)),
        st.lists(st.integers(0, 9), max_size=4).map(
            lambda d: (Size(d), torch.Size(d))),
        st.sampled_from(list(dt)).map(lambda k: (DType(k), dt[k])),
        small.map(lambda c: (_T(*c), _torch_tensor(torch, c[0]))),
    )
    tree = st.recursive(leaf, lambda kids: st.one_of(
        st.lists(kids, max_size=3).map(lambda ps: ([p[0] for p in ps], [p[1] for p in ps])),
        st.lists(kids, max_size=3).map(
            lambda ps: (tuple(p[0] for p in ps), tuple(p[1] for p in ps))),
    ), max_leaves=6)
    return draw(st.lists(tree, max_size=4))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values(), st.sampled_from([" ", ", ", ""]))
def test_differential_print(pairs, sep):
    ours = [p[0] for p in pairs]
    theirs = [p[1] for p in pairs]
    buf = io.StringIO()
    print(*theirs, sep=sep, file=buf)
    assert print_args(ours, sep=sep, tensor_str=_tensor_str) == buf.getvalue()


# ---- print options (torch.set_printoptions) --------------------------------

def test_set_options_follows_set_printoptions():
    short = set_options(DEFAULT_OPTIONS, profile="short")
    assert (short.precision, short.edgeitems, short.threshold) == (2, 2, 1000)
    assert set_options(short, profile="full").threshold == math.inf
    # a number given wins over its profile's; an unknown profile changes nothing
    assert set_options(DEFAULT_OPTIONS, profile="short", precision=6).precision == 6
    assert set_options(short, profile="nope") == short
    # sci_mode is set by every call: left out, it is automatic (None) again
    sci = set_options(DEFAULT_OPTIONS, sci_mode=True)
    assert sci.sci_mode is True and set_options(sci, precision=3).sci_mode is None


@pytest.mark.parametrize("data, dtype, options, expected", [
    ([1.12345, 2.5], F32, PrintOptions(precision=2), "tensor([1.12, 2.50])"),
    ([1.0, 2.0], F32, PrintOptions(sci_mode=True), "tensor([1.0000e+00, 2.0000e+00])"),
    ([1e-8, 1.0], F32, PrintOptions(sci_mode=False), "tensor([0.0000, 1.0000])"),
    (list(range(10)), I64, PrintOptions(threshold=5), "tensor([0, 1, 2,  ..., 7, 8, 9])"),
    # edgeitems=0: no numbers at all, and the size said
    (list(range(10)), I64, PrintOptions(threshold=5, edgeitems=0), "tensor([...], size=(10,))"),
    ([[1, 2], [3, 4]], I64, PrintOptions(edgeitems=0), "tensor([[1, 2],\n        [3, 4]], size=(2, 2))"),
    (list(range(6)), I64, PrintOptions(linewidth=20), "tensor([0, 1, 2, 3,\n        4, 5])"),
    # precision 0: no decimals and no point (1.5 and 2.5 round half to even)
    ([1.5, 2.5], F32, PrintOptions(precision=0), "tensor([2, 2])"),
])
def test_options_pinned(data, dtype, options, expected):
    assert format_tensor(a(data, dtype), dtype, options=options) == expected


@st.composite
def print_options(draw):
    return PrintOptions(precision=draw(st.integers(0, 8)),
                        threshold=draw(st.sampled_from([0, 3, 10, 1000, math.inf])),
                        edgeitems=draw(st.integers(0, 4)),
                        linewidth=draw(st.sampled_from([1, 20, 50, 80, 150])),
                        sci_mode=draw(st.sampled_from([None, True, False])))


@settings(max_examples=600, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tensors(), print_options(), st.booleans())
def test_differential_options(case, options, grad):
    torch = pytest.importorskip("torch")
    from torch._tensor_str import printoptions
    arr, dtype = case
    t = _torch_tensor(torch, arr)
    kw = {}
    if dtype in (F32, F64) and grad:
        t = t.requires_grad_(True) * 1
        kw["grad_fn"] = "MulBackward0"
    with printoptions(precision=options.precision, threshold=options.threshold,
                      edgeitems=options.edgeitems, linewidth=options.linewidth,
                      sci_mode=options.sci_mode):
        want = str(t)
    assert format_tensor(arr, dtype, options=options, **kw) == want


def test_a_precision_too_large_to_format_is_pytorchs_valueerror_at_the_print():
    import io
    import gradviz
    from gradviz.errors import GradvizError
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("torch.set_printoptions(precision=10**30)\nprint(torch.tensor([1.5]))\n",
                           stdout=io.StringIO())
    assert (info.value.kind, info.value.message) == ("ValueError",
                                                    "Too many decimal digits in format string")
    assert info.value.span.line == 2 and "precision" in info.value.hint
