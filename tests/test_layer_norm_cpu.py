"""gradviz.ops.layer_norm_cpu: layer_norm's gradients (input, weight, bias)
in float32 as PyTorch's CPU kernel computes them, to the bit against
PyTorch on AVX2, where they were matched (on AVX512 the same kernel's
vectors of 16 are gradviz's reading of PyTorch's source, not yet checked
against PyTorch there: those comparisons skip)."""
import contextlib
import io

import numpy as np
import pytest

import gradviz
from gradviz.ops import layer_norm_cpu
from gradviz.capability import capability
from machine import emulating_torch

# the capabilities whose kernel gradviz's was matched against live
MATCHED = ("avx2",)


def _matched_torch():
    torch = emulating_torch()
    if capability() not in MATCHED:
        pytest.skip(f"layer_norm's {capability()} kernel is not yet matched against PyTorch")
    return torch

SIZES = list(range(1, 41)) + [63, 64, 65, 100, 256, 300]


@pytest.mark.parametrize("affine", [True, False])
def test_gradients_are_pytorchs(affine):
    torch = _matched_torch()
    rng = np.random.default_rng(int(affine))
    for n in SIZES:
        x = (rng.standard_normal((5, n)) * 3 + 1).astype(np.float32)
        g = rng.standard_normal((5, n)).astype(np.float32) if n % 3 else np.ones((5, n), np.float32)
        w = (1 + rng.standard_normal(n) * 0.3).astype(np.float32) if affine else None
        tw = torch.from_numpy(w) if affine else None
        tb = torch.zeros(n) if affine else None
        _, mean, rstd = torch.ops.aten.native_layer_norm(torch.from_numpy(x), (n,), tw, tb, 1e-5)
        dx, dw, db = torch.ops.aten.native_layer_norm_backward(
            torch.from_numpy(g), torch.from_numpy(x), (n,), mean, rstd, tw, tb,
            [True, affine, affine])
        # (the kernel's saved statistics: gradviz's own are PyTorch's but
        # for some rows of over two chunks of vectors, a bit off)
        m, r = mean.numpy().reshape(-1), rstd.numpy().reshape(-1)
        assert np.array_equal(layer_norm_cpu.input_grad(g, x, w, m, r), dx.numpy()), n
        if affine:
            got_w, got_b = layer_norm_cpu.param_grads(g, x, m, r)
            assert np.array_equal(got_w, dw.numpy()) and np.array_equal(got_b, db.numpy()), n


PROGRAM = """torch.manual_seed(0)
x = torch.randn(6, 4, requires_grad=True)
ln = nn.LayerNorm(4)
ln(x).sum().backward()
print(x.grad.tolist())
print(ln.weight.grad.tolist(), ln.bias.grad.tolist())
y = torch.randn(3, 2, 13, requires_grad=True)
w = torch.randn(2, 13, requires_grad=True)
(F.layer_norm(y, (2, 13), w, None) * torch.arange(78.0).reshape(3, 2, 13)).sum().backward()
print(y.grad.tolist())
print(w.grad.tolist())
"""


def test_a_program_prints_pytorchs_gradients():
    # a summed LayerNorm's input gradient is PyTorch's zeros (and its few
    # last-bit residues), not the noise of another order of the sums
    torch = _matched_torch()
    prelude = "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
    out = io.StringIO()
    gradviz.run_source(prelude + PROGRAM, stdout=out)
    want = io.StringIO()
    with contextlib.redirect_stdout(want):
        exec(prelude + PROGRAM, {"torch": torch})
    assert out.getvalue() == want.getvalue()


def test_other_dtypes_take_the_general_rule():
    out = io.StringIO()
    gradviz.run_source("x = torch.tensor([[1.0, 2.0, 4.0]], dtype=torch.float64, requires_grad=True)\n"
                       "torch.nn.functional.layer_norm(x, (3,)).sum().backward()\n"
                       "print(x.grad.dtype, x.grad.abs().max().item() < 1e-12)\n", stdout=out)
    assert out.getvalue() == "torch.float64 True\n"
