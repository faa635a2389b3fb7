"""The integer dtypes int32, int16, int8 and uint8: PyTorch's type promotion
among all of gradviz's dtypes (tensors with dimensions, 0-d tensors and
Python numbers, for +, / and <), the values of arithmetic that wraps around,
and the refusals that stay (half precision). Checked against PyTorch itself
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
    ("x = torch.ones(2).half()", ("int32 (x.int())", "half precision")),
    ("x = torch.ones(2, dtype=torch.float16)", ("torch.uint8", "half precision"))])
def test_half_precision_stays_refused_with_a_hint(src, words):
    with pytest.raises(GradvizError) as e:
        _run(src + "\n")
    assert all(w in e.value.hint for w in words)
