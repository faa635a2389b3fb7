"""float16 tensors: each op computed in float32 and rounded to float16, as
PyTorch's CPU kernels (the oracle here is numpy's float32 arithmetic, and
PyTorch itself where installed); where PyTorch rounds its own way, a clear
refusal naming the op, never a silently different result."""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError
from gradviz.gradcheck import check_source

VALUES = np.random.default_rng(0).uniform(-3, 3, 64).astype(np.float16)
PROGRAM = f"a = torch.tensor({VALUES.tolist()}, dtype=torch.float16, requires_grad=True)\n"


def _run(src: str):
    return gradviz.run_source(src, stdout=io.StringIO())


def _f16(x) -> np.ndarray:
    return np.asarray(x, np.float32).astype(np.float16)


@pytest.mark.parametrize("expr, want", [
    ("a * 0.1", lambda a: _f16(a * np.float32(0.1))),          # mul keeps the number in float32
    ("a / 3.3", lambda a: _f16(a / np.float32(3.3))),
    ("a + 0.1", lambda a: _f16(a + np.float32(np.float16(0.1)))),   # add rounds it first
    ("1.1 - a", lambda a: _f16(np.float32(np.float16(1.1)) - a)),
    ("a.exp()", lambda a: _f16(np.exp(a))),
    ("a.tanh()", lambda a: _f16(np.tanh(a))),
    ("(a * a).sum()", lambda a: _f16(np.sum(_f16(a * a).astype(np.float32)))),
    ("1.5 / a", lambda a: _f16(_f16(1 / a).astype(np.float32) * np.float32(1.5))),
])
def test_an_op_computes_in_float32_and_rounds(expr, want):
    got = _run(PROGRAM + f"y = {expr}\n").variables["y"].value
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want(VALUES.astype(np.float32)))


def test_gradients_are_float16_and_underflow_to_zero():
    record = _run("x = torch.tensor([1e-4, 2.0], dtype=torch.float16, requires_grad=True)\n"
                  "y = (x * x * 1e-4).sum()\ny.backward()\n")
    x = record.variables["x"]
    assert x.grad.dtype == np.float16
    assert x.grad[1] != 0 and record.variables["y"].value.dtype == np.float16
    record = _run("x = torch.tensor([1e-4], dtype=torch.float16, requires_grad=True)\n"
                  "y = (x * 1e-4).sum() * 1e-4\ny.backward()\n")
    assert record.variables["x"].grad[0] == 0      # 1e-8 is below float16's smallest


@pytest.mark.parametrize("expr, words", [
    ("torch.log_softmax(a, 0)", "log_softmax"),
    ("torch.nn.functional.cross_entropy(a.reshape(8, 8), torch.zeros(8, dtype=torch.long))",
     "cross_entropy"),
    ("a.rsqrt()", "rsqrt"),
    ("a.std()", "std"),
    ("a ** a", "**"),
    ("torch.softmax(a.reshape(8, 8), 0)", "last dimension"),
    ("torch.nn.functional.dropout(a)", "dropout"),
])
def test_what_is_not_computed_in_float16_refuses_naming_it(expr, words):
    with pytest.raises(GradvizError) as e:
        _run(PROGRAM + f"y = {expr}\n")
    assert words in e.value.message and e.value.hint and e.value.span.line == 2


def test_optimizers_refuse_float16_parameters():
    with pytest.raises(GradvizError) as e:
        _run(PROGRAM + "opt = torch.optim.SGD([a], lr=0.1)\na.sum().backward()\nopt.step()\n")
    assert "float16" in e.value.message and "w -= lr * w.grad" in e.value.hint


def test_the_record_and_pictures_name_the_dtype():
    from gradviz.render.dot import to_dot
    record = _run("x = torch.tensor([1.0, 2.0], dtype=torch.float16, requires_grad=True)\n"
                  "y = (x * x).sum()\ny.backward()\n")
    assert "float16" in to_dot(record)
    assert {n.dtype for n in record.nodes} == {"float16"}


def test_the_gradient_check_runs_float16_programs_in_float64():
    report = check_source("x = torch.tensor([0.5, 2.0], dtype=torch.float16, "
                          "requires_grad=True)\ny = (x.exp() * x).sum()\ny.backward()\n", "h.txt")
    assert report.ok and report.passes


def test_matches_pytorch_bit_for_bit():
    torch = pytest.importorskip("torch")
    src = ("torch.manual_seed(0)\n"
           "a = (torch.rand(5, 7) * 4 - 2).half().requires_grad_()\n"
           "p = (torch.rand(5, 7) * 2 + 0.1).half().requires_grad_()\n"
           "m = (torch.rand(7, 3) - 0.5).half().requires_grad_()\n"
           "y = ((a / p).sigmoid() * p ** 3.3 + (a @ m).sum() - p.log1p() * a.cos()).sum()\n"
           "y = y + torch.nn.functional.mse_loss(a, p) + torch.softmax(a, 1)[0, 0]\n"
           "y.backward()\n")
    ns = {"torch": torch}
    exec(src, ns)
    record = _run(src)
    for name in ("a", "p", "m"):
        want = ns[name].grad.numpy()
        np.testing.assert_array_equal(record.variables[name].grad, want, err_msg=name)
    np.testing.assert_array_equal(record.variables["y"].value, ns["y"].detach().numpy())
