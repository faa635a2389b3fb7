"""torch.igamma and igammac (ops/igamma.py) against PyTorch's own, number by
number: the series, continued-fraction and asymptotic regimes in float32
and float64, to the bit."""
from __future__ import annotations

import numpy as np
import pytest

from gradviz.ops import OPS

torch = pytest.importorskip("torch")


def _pairs(dt, lo, hi, n=400, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.uniform(lo, hi, n)
    x = a * rng.uniform(0.2, 2.0, n)
    x[: n // 5] = rng.uniform(0.01, 5, n // 5)
    return a.astype(dt), x.astype(dt)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("lo, hi", [(0.01, 3.0), (0.01, 30.0), (15.0, 250.0), (100.0, 1000.0)])
def test_values_are_pytorchs(name, dt, lo, hi):
    a, x = _pairs(dt, lo, hi)
    mine = OPS[name].forward([a, x], {})
    want = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(mine, want)


def test_edges_are_pytorchs():
    a = np.array([-1.0, 0.0, 0.0, 1.0, np.inf, 2.0, np.nan, 3.0], np.float32)
    x = np.array([1.0, 1.0, 0.0, np.inf, 1.0, -1.0, 1.0, 0.0], np.float32)
    for name in ("igamma", "igammac"):
        want = getattr(torch, name)(torch.from_numpy(a), torch.from_numpy(x)).numpy()
        np.testing.assert_array_equal(OPS[name].forward([a, x], {}), want)
