"""The integer dtypes int32, int16, int8 and uint8: PyTorch's type promotion
among all of gradviz's dtypes (tensors with dimensions, 0-d tensors and
Python numbers, for +, / and <), the values of arithmetic that wraps around,
and the refusals that stay (bfloat16). Checked against PyTorch itself
when it is installed; the promotion table's core also without it."""
from __future__ import annotations

import io
import itertools

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float32", "float64"]
# the two kinds of tensor operand: with dimensions, and 0-d
SHAPES = {"dim": "(2,)", "zero": "()"}
NUMBERS = ["3", "-3", "300", "1.5"]


def _run(src: str):
    return gradviz.run_source("import torch\n" + src, stdout=io.StringIO())


def _operand(dtype: str, kind: str) -> str:
    return f"torch.full({SHAPES[kind]}, 3, dtype=torch.{dtype})" if dtype != "bool" else \
        f"torch.ones({SHAPES[kind]}, dtype=torch.bool)"


def _pairs():
    return list(itertools.product(DTYPES, SHAPES, DTYPES, SHAPES))


def test_promotion_core_without_torch():
    """A few rows of PyTorch's table, written out (it is numpy's for integers)."""
    want = {("uint8", "int8"): "int16", ("int32", "int64"): "int64", ("uint8", "bool"): "uint8",
            ("int16", "uint8"): "int16", ("int8", "float32"): "float32"}
    for (a, b), dt in want.items():
        record = _run(f"y = {_operand(a, 'dim')} + {_operand(b, 'dim')}\n")
        assert record.variables["y"].value.dtype == np.dtype(dt)
    # a 0-d int64 tensor and a Python int keep a narrow tensor's dtype
    record = _run("x = torch.ones(2, dtype=torch.int8)\ny = x + torch.tensor(1000)\nz = x + 1000\n")
    assert record.variables["y"].value.dtype == np.int8
    assert record.variables["y"].value.tolist() == [-23, -23]
    assert record.variables["z"].value.tolist() == [-23, -23]


@pytest.mark.parametrize("sym", ["+", "/", "<", "//"])
def test_promotion_matrix_matches_pytorch(sym):
    torch = pytest.importorskip("torch")
    lines, names = [], []
    for k, (a, ka, b, kb) in enumerate(_pairs()):
        if sym == "//" and "bool" in (a, b):
            continue                      # (PyTorch has no floor division of bools)
        lines.append(f"y{k} = {_operand(a, ka)} {sym} {_operand(b, kb)}")
        names.append(f"y{k}")
    src = "\n".join(lines) + "\n"
    record = _run(src)
    ns = {"torch": torch}
    exec(src, ns)
    for name in names:
        want = ns[name]
        got = record.variables[name].value
        assert str(want.dtype)[6:] == got.dtype.name, name
        np.testing.assert_array_equal(want.numpy(), got, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES[1:6])
@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("sym", ["+", "-", "*", "//", "%", "<", "=="])
def test_tensor_and_number_matches_pytorch(dtype, number, sym):
    torch = pytest.importorskip("torch")
    src = (f"x = torch.tensor([0, 1, 7, 100, -5, 120], dtype=torch.int64).to(torch.{dtype})\n"
           f"y = x {sym} {number}\nz = {number} {sym} x\n")
    ns = {"torch": torch}
    try:
        exec(src, ns)
    except RuntimeError:                  # (ZeroDivisionError of // 0 and the like)
        with pytest.raises(GradvizError):
            _run(src)
        return
    record = _run(src)
    for name in ("y", "z"):
        got = record.variables[name].value
        assert str(ns[name].dtype)[6:] == got.dtype.name, name
        np.testing.assert_array_equal(ns[name].numpy(), got, err_msg=name)


@pytest.mark.parametrize("src, words", [
    ("x = torch.ones(2).bfloat16()", ("int32 (x.int())", "float16 (x.half())", "not bfloat16")),
    ("x = torch.ones(2, dtype=torch.bfloat16)", ("torch.uint8", "not bfloat16"))])
def test_bfloat16_stays_refused_with_a_hint(src, words):
    with pytest.raises(GradvizError) as e:
        _run(src + "\n")
    assert all(w in e.value.hint for w in words)


def _matches_pytorch(src: str, names) -> None:
    """src runs as in PyTorch: each of names has its dtype and values."""
    torch = pytest.importorskip("torch")
    ns = {"torch": torch}
    exec(src, ns)
    record = _run(src)
    for name in names:
        got = record.variables[name].value
        assert str(ns[name].dtype)[6:] == got.dtype.name, name
        np.testing.assert_array_equal(ns[name].numpy(), got, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bounds", ["0, 1", "0.5, 1.5", "-1, 5", "max=2", "min=1.5",
                                    "float('nan')"])
def test_clamp_promotes_as_pytorch(dtype, bounds):
    """clamp computes in the dtype the bounds promote x to; a negative int
    bound wraps into uint8."""
    _matches_pytorch(f"x = torch.tensor([0, 1, 7, 100, -5, 120]).to(torch.{dtype})\n"
                     f"y = x.clamp({bounds})\n", ["y"])


@pytest.mark.parametrize("a", ["int8", "int16", "int64", "uint8", "bool"])
@pytest.mark.parametrize("b", ["int8", "int64"])
def test_int_tensor_powers_negative_as_pytorch(a, b):
    _matches_pytorch(f"x = torch.tensor([-2, -1, 0, 1, 2, 3]).to(torch.{a})\n"
                     f"e = torch.tensor([-3, -2, -1, 0, 1, 2]).to(torch.{b})\n"
                     "y = x ** e\nz = 2 ** e\nw = torch.pow(x, e.flip(0))\n", ["y", "z", "w"])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("want", ["int8", "uint8", "int16", "int32", "int64", "float64"])
def test_sum_and_prod_with_dtype_as_pytorch(dtype, want):
    _matches_pytorch(f"x = torch.tensor([[100, 120, 7], [-5, 1, 90]]).to(torch.{dtype})\n"
                     f"s = x.sum(dtype=torch.{want})\nt = x.sum(1, dtype=torch.{want})\n"
                     f"p = x.prod(dtype=torch.{want})\nq = x.prod(0, keepdim=True, "
                     f"dtype=torch.{want})\n", ["s", "t", "p", "q"])


def test_clamp_refuses_an_int_bound_a_narrow_int_cannot_hold():
    with pytest.raises(GradvizError, match="cannot be converted to type int8_t") as e:
        _run("x = torch.ones(2, dtype=torch.int8).clamp(-3, 1000)\n")
    assert "int8 holds whole numbers from -128 to 127" in e.value.hint


def test_empty_int_division_by_zero_divides_nothing():
    record = _run("y = torch.zeros(0, dtype=torch.int8) // 0\n"
                  "z = torch.zeros(2, 0).long() % torch.zeros(1, 0).long()\n")
    assert record.variables["y"].value.shape == (0,)
    assert record.variables["z"].value.shape == (2, 0)
    with pytest.raises(GradvizError, match="ZeroDivisionError"):
        _run("y = torch.ones(1, dtype=torch.int8) // 0\n")


def test_named_tuples_and_shapes_as_sequences():
    out = io.StringIO()
    gradviz.run_source("x = torch.tensor([[3.0, 1.0], [0.5, 4.0]])\n"
                       "print(*x.max(0))\nprint(len(list(x.sort())), tuple(x.min(1))[1])\n"
                       "print(x.shape.numel(), torch.Size([]).numel(), x.shape.count(2), "
                       "x.shape.index(2), (1, 2).index(2))\n", stdout=out)
    assert out.getvalue() == ("tensor([3., 4.]) tensor([0, 1])\n2 tensor([1, 0])\n"
                              "4 1 2 0 1\n")
    with pytest.raises(GradvizError, match=r"tuple.index\(x\): x not in tuple") as e:
        _run("i = (1, 2).index(5)\n")
    assert e.value.hint


def test_dtype_questions_answer_as_pytorch():
    """torch.iinfo/finfo print as PyTorch's; promote_types, result_type and
    can_cast follow its promotion (the same rule as the arithmetic's)."""
    torch = pytest.importorskip("torch")
    src = ("print(torch.iinfo(torch.int8), torch.iinfo(torch.int64), torch.iinfo(torch.uint8).max)\n"
           "print(torch.finfo(torch.float32), torch.finfo(torch.float64).eps, torch.finfo().tiny)\n")
    for a in DTYPES:
        src += f"print(torch.tensor([1]).to(torch.{a}).is_signed(), end=' ')\n"
        for b in DTYPES:
            src += (f"print(torch.promote_types(torch.{a}, torch.{b}), "
                    f"torch.can_cast(torch.{a}, torch.{b}), "
                    f"torch.result_type({_operand(a, 'dim')}, {_operand(b, 'zero')}), "
                    f"torch.result_type({_operand(a, 'zero')}, 2.5), end=' ')\n")
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    want = io.StringIO()
    import contextlib
    with contextlib.redirect_stdout(want):
        exec(src, {"torch": torch})
    assert out.getvalue() == want.getvalue()


@pytest.mark.parametrize("src, message", [
    ("torch.iinfo(torch.float32)", "torch.iinfo() requires an integer input type"),
    ("torch.finfo(torch.int8)", "torch.finfo() requires a floating point input type"),
    ("torch.iinfo(3)", "iinfo(): argument 'type' (position 1) must be torch.dtype, not int"),
    ("torch.promote_types(torch.int8, 3)", "argument 'type2' (position 2) must be torch.dtype"),
    ("torch.result_type(torch.ones(1), 'a')", "argument 'other' (position 2) must be Tensor")])
def test_dtype_questions_refuse_as_pytorch_with_a_hint(src, message):
    with pytest.raises(GradvizError) as e:
        _run(f"v = {src}\n")
    assert message in e.value.message and e.value.hint


def test_integer_floor_division_of_shapes_that_do_not_broadcast_is_pytorchs_shape_error():
    # (the check for a zero divisor came first and met numpy's broadcast error)
    from gradviz.errors import GradvizError
    import gradviz
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("a = torch.ones(2, 2, dtype=torch.int32)\n"
                           "b = torch.tensor([1, 2, 0], dtype=torch.uint8)\nprint(a % b)\n")
    assert info.value.message.startswith("The size of tensor a (2) must match the size of "
                                         "tensor b (3)")
