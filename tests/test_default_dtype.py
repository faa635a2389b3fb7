"""torch.set_default_dtype: the float dtype of tensors made without one, of
promotions that pick a float, of layers' parameters, and the one print
leaves unnamed, from the line it runs on. Checked against PyTorch itself
when it is installed."""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError
from gradviz.render.torchfmt import format_tensor


def _run(src: str, stdout=None):
    return gradviz.run_source("import torch\n" + src, stdout=stdout or io.StringIO())


def _torch_float64(src: str) -> dict:
    """src's variables under PyTorch with the default float64 (restored after)."""
    torch = pytest.importorskip("torch")
    ns = {"torch": torch}
    torch.set_default_dtype(torch.float64)
    try:
        exec(src, ns)
    finally:
        torch.set_default_dtype(torch.float32)
    return ns


# the makers that infer a float dtype, and operations that promote to one
MADE = ["torch.tensor([1.5, 2.0])", "torch.tensor(2.0)", "torch.tensor([])", "torch.ones(2)",
        "torch.zeros(2, 3)", "torch.full((2,), 0.1)", "torch.full((2,), 3)", "torch.eye(2)",
        "torch.linspace(0.1, 0.7, 4)", "torch.arange(0.1, 0.8, 0.2)", "torch.arange(3)",
        "torch.tensor([1, 2]) * 0.1", "torch.tensor([1, 2]) / 3", "torch.tensor([True]) + 0.5",
        "torch.sqrt(torch.tensor([2, 3]))", "torch.ones(2, dtype=torch.float32) * 0.1",
        "torch.tensor([1, 2]) + torch.tensor(0.1)", "torch.as_tensor([0.1, 0.2])",
        "torch.nn.Linear(2, 3).weight", "torch.Tensor([0.1, 0.2])",
        "torch.ones_like(torch.ones(2, dtype=torch.float32))"]


@pytest.mark.parametrize("expr", MADE)
def test_made_under_float64_default_as_pytorch(expr):
    src = f"torch.set_default_dtype(torch.float64)\ntorch.manual_seed(0)\ny = {expr}\n"
    want = _torch_float64(src.split("\n", 1)[1])["y"]
    got = _run(src).variables["y"].value
    assert str(want.dtype)[6:] == got.dtype.name
    np.testing.assert_array_equal(want.detach().numpy(), got)


def test_random_draws_in_float64_are_pytorchs():
    src = "torch.manual_seed(5)\na = torch.rand(4)\nb = torch.randn(3)\n"
    want = _torch_float64(src)
    record = _run("torch.set_default_dtype(torch.float64)\n" + src)
    for name in ("a", "b"):
        got = record.variables[name].value
        assert got.dtype == np.float64
        np.testing.assert_array_equal(want[name].numpy(), got)


def test_get_default_dtype_follows_each_call():
    out = io.StringIO()
    _run("print(torch.get_default_dtype())\ntorch.set_default_dtype(torch.float64)\n"
         "print(torch.get_default_dtype())\ntorch.set_default_dtype(torch.float32)\n"
         "print(torch.get_default_dtype())\n", out)
    assert out.getvalue().split() == ["torch.float32", "torch.float64", "torch.float32"]


def test_a_run_does_not_leak_its_default_into_the_next():
    _run("torch.set_default_dtype(torch.float64)\n")
    assert _run("y = torch.ones(2)\n").variables["y"].value.dtype == np.float32


def test_print_names_the_dtype_that_is_not_the_default():
    out = io.StringIO()
    _run("torch.set_default_dtype(torch.float64)\n"
         "print(torch.ones(2), torch.ones(2, dtype=torch.float32), torch.zeros(0, dtype=torch.float32))\n",
         out)
    assert out.getvalue() == ("tensor([1., 1.]) tensor([1., 1.], dtype=torch.float32) "
                              "tensor([], dtype=torch.float32)\n")
    assert format_tensor(np.ones(2), "float64", default_float="float64") == "tensor([1., 1.])"
    assert format_tensor(np.ones(2), "float64") == "tensor([1., 1.], dtype=torch.float64)"


@pytest.mark.parametrize("arg, message", [
    ("torch.int64", "only floating-point types are supported as the default type"),
    ("torch.bool", "only floating-point types are supported as the default type"),
    ("'float64'", "invalid dtype object: only floating-point types are supported as the "
                  "default type"),
    ("float", "invalid dtype object: only floating-point types are supported as the "
              "default type")])
def test_a_default_that_is_no_float_dtype_is_pytorchs_type_error(arg, message):
    with pytest.raises(GradvizError) as e:
        _run(f"torch.set_default_dtype({arg})\n")
    assert e.value.kind == "TypeError" and e.value.message == message


def test_a_float16_default_makes_float16_tensors():
    """PyTorch takes it: the float tensors made without a dtype are float16
    (the half-precision limits then apply: tests/conformance_extra/
    default_dtype_float16.txt pins the rest)."""
    rec = _run("torch.set_default_dtype(torch.float16)\nx = torch.tensor([1.5])\n"
               "y = torch.ones(2) / 3\n")
    assert rec.variables["x"].value.dtype == np.float16
    assert rec.variables["y"].value.dtype == np.float16
