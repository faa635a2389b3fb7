"""gradviz.ops.softmax_cpu: softmax and log_softmax, forward and backward,
and cross_entropy's backward, to the bit against PyTorch's AVX512 and AVX2
kernels, whichever it runs here (over the last dim and others, rows shorter
and longer than a vector,
columns split between SLEEF's exp and the C library's); and sleef.logf on
values whose PyTorch log_softmax shows its last bit."""
import numpy as np
import pytest

from gradviz import sleef
from gradviz.ops import nn as gnn
from gradviz.ops import softmax_cpu as k
from machine import emulating_torch

SHAPES = ([((n,), 0) for n in (1, 3, 17)]
          + [((5, n), d) for n in (1, 2, 4, 10, 16, 31, 50) for d in (0, 1, -1)]
          + [((2, 3, 4), d) for d in (0, 1, 2)] + [((3, 5, 37), d) for d in (0, 1, 2)]
          + [((2, 3, 4, 5), 1), ((64, 10), 1), ((1, 40), 0), ((4, 20), 0), ((3, 17), 0)])


@pytest.mark.parametrize("shape,dim", SHAPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_forward_and_backward_are_pytorchs(shape, dim, name):
    torch = emulating_torch()
    rng = np.random.default_rng(sum(shape) + dim)
    x = torch.tensor((rng.standard_normal(shape) * 3).astype(np.float32), requires_grad=True)
    g = torch.tensor(rng.standard_normal(shape).astype(np.float32))
    y = getattr(torch, name)(x, dim)
    gx, = torch.autograd.grad(y, x, g)
    forward, backward = ((k.softmax, k.softmax_backward) if name == "softmax"
                         else (k.log_softmax, k.log_softmax_backward))
    assert np.array_equal(forward(x.detach().numpy(), dim), y.detach().numpy())
    assert np.array_equal(backward(g.numpy(), y.detach().numpy(), dim), gx.numpy())


@pytest.mark.parametrize("shape", [(5, 3), (16, 4), (8, 20), (3,), (4, 3, 5), (2, 37)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradient_is_pytorchs(shape, reduction):
    torch = emulating_torch()
    rng = np.random.default_rng(len(shape) * 10 + shape[0])
    x = torch.tensor((rng.standard_normal(shape) * 2).astype(np.float32), requires_grad=True)
    classes = shape[1] if len(shape) > 1 else shape[0]
    t = torch.tensor(rng.integers(0, classes, (shape[0],) + shape[2:] if len(shape) > 1 else ()))
    y = torch.nn.functional.cross_entropy(x, t, reduction=reduction)
    g = torch.ones_like(y) if reduction != "none" else torch.randn(y.shape)
    gx, = torch.autograd.grad(y, x, g)
    xs, p = (x.detach().numpy(), t.numpy()), {"reduction": reduction}
    assert np.array_equal(gnn._ce_vjp(g.numpy(), None, xs, p), gx.numpy())


def test_log_softmax_over_a_row_of_four():
    # a row where numpy's exp and log each give the last bit otherwise
    x = np.array([0.07856768369674683, -0.0838322788476944, 0.13264797627925873,
                  -0.12498876452445984], np.float32)
    want = [-1.314125418663025, -1.4765254259109497, -1.2600451707839966, -1.5176818370819092]
    assert k.log_softmax(x, 0).tolist() == want


def test_logf_edges_and_shape():
    x = np.array([0, -1, np.inf, np.nan, 1, 1e-40], np.float32)
    r = sleef.logf(x)
    assert r[0] == -np.inf and np.isnan(r[1]) and r[2] == np.inf and np.isnan(r[3]) and r[4] == 0
    assert np.isclose(r[5], np.log(np.float64(1e-40)), rtol=1e-6)
    assert sleef.logf(np.float32(2.0)).shape == ()
    y = np.abs(np.random.default_rng(0).standard_normal(5000).astype(np.float32)) * 40
    assert np.max(np.abs(sleef.logf(y) - np.log(y.astype(np.float64)))) < 1e-5 * 5
