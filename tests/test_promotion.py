"""Mixed dtypes compute as PyTorch's kernels do: in the operands' common
dtype. A 0-d float64 tensor next to a float32 tensor is rounded to float32
first, then the float32 operation runs (numpy alone would compute in
float64 and round once at the end, which differs in the last bit for most
values). The oracle here is numpy's float32 arithmetic, which is what
PyTorch's CPU kernels compute."""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError

VALUES = np.random.default_rng(0).uniform(-3, 3, 64).astype(np.float32)
OPS = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide,
       "==": np.equal, ">=": np.greater_equal, "<": np.less}


@pytest.mark.parametrize("sym", OPS)
@pytest.mark.parametrize("s", [1.7, 0.1, 3.3333333333, 1e-3])
def test_zero_dim_float64_with_float32(sym, s):
    src = (f"x = tensor({s}, dtype=torch.float64)\nc = tensor({VALUES.tolist()})\n"
           f"y = x {sym} c\nz = c {sym} x\n")
    record = gradviz.run_source(src, stdout=io.StringIO())
    x32 = np.float32(s)
    want_y = OPS[sym](np.full_like(VALUES, x32), VALUES)
    want_z = OPS[sym](VALUES, np.full_like(VALUES, x32))
    got_y, got_z = record.variables["y"].value, record.variables["z"].value
    assert got_y.dtype == want_y.dtype and got_z.dtype == want_z.dtype
    assert np.array_equal(got_y, want_y) and np.array_equal(got_z, want_z)


def test_integers_divide_as_float32():
    record = gradviz.run_source("i = arange(1, 200)\nj = tensor(7)\ny = i / j\n",
                                stdout=io.StringIO())
    want = np.arange(1, 200).astype(np.float32) / np.float32(7)
    assert np.array_equal(record.variables["y"].value, want)


BOOL_SUB = "Subtraction, the `-` operator, with a bool tensor is not supported"


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("power", ["f ** m", "torch.pow(f, m)", "f.pow(m)", "f ** m[0]",
                                   "(f * 2) ** m"])
def test_a_bool_exponent_computes_and_its_backward_is_pytorchs_error(dtype, power):
    # PyTorch's backward of the base computes exponent - 1: a bool exponent fails
    # there (the engine keeps it bool for pow's rules: OpDef.uncast_bool)
    src = (f"f = torch.tensor([1.5, 2.0, 3.0], dtype=torch.{dtype}, requires_grad=True)\n"
           f"m = torch.tensor([True, False, True])\ny = {power}\ny.sum().backward()\n")
    with pytest.raises(GradvizError) as e:
        gradviz.run_source(src, stdout=io.StringIO())
    assert e.value.kind == "RuntimeError" and str(e.value).startswith(BOOL_SUB)
    assert e.value.span.line == 4


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_a_bool_base_and_a_python_bool_exponent_have_gradients(dtype):
    src = (f"f = torch.tensor([1.5, 2.0, 3.0], dtype=torch.{dtype}, requires_grad=True)\n"
           "m = torch.tensor([True, False, True])\n"
           "y = m ** f\nz = f ** True\nw = f.detach() ** m\n(y.sum() + z.sum()).backward()\n")
    record = gradviz.run_source(src, stdout=io.StringIO())
    v = record.variables
    assert v["y"].value.tolist() == [1, 0, 1] and v["w"].value.tolist() == [1.5, 1, 3]
    assert v["f"].grad.tolist() == [1, 1, 1] and v["f"].grad.dtype == np.dtype(dtype)


def test_create_graph_through_a_bool_exponent_is_pytorchs_error():
    src = ("x = torch.tensor([1.5, 2.0], requires_grad=True)\ny = (x ** torch.tensor([True, False])).sum()\n"
           "g, = torch.autograd.grad(y, x, create_graph=True)\n")
    with pytest.raises(GradvizError) as e:
        gradviz.run_source(src, stdout=io.StringIO())
    assert str(e.value).startswith(BOOL_SUB) and e.value.span.line == 3
