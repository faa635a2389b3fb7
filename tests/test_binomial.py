"""torch.binomial (binomial.py) against PyTorch's own draws after the same
seed: counts and probabilities over both of its algorithms (inversion and
BTRS, p above and below 1/2), in float32 and float64, and the generator
left where PyTorch leaves it."""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_draws_are_pytorchs(dtype):
    rng = np.random.default_rng(1)
    n = rng.integers(0, 400, 600).astype(float)
    n[::7] = rng.uniform(0, 50, len(n[::7]))
    p = rng.uniform(0, 1, 600)
    c = torch.tensor(n.tolist(), dtype=getattr(torch, dtype))
    q = torch.tensor(p.tolist(), dtype=getattr(torch, dtype))
    src = (f"torch.manual_seed(3)\nc = torch.tensor({n.tolist()}, dtype=torch.{dtype})\n"
           f"p = torch.tensor({p.tolist()}, dtype=torch.{dtype})\n"
           "y = torch.binomial(c, p)\nz = torch.rand(3)\n")
    mine = {t.name: t.data for t in gradviz.run_source(src, stdout=io.StringIO()).tensors if t.name}
    torch.manual_seed(3)
    np.testing.assert_array_equal(mine["y"], torch.binomial(c, q).numpy())
    np.testing.assert_array_equal(mine["z"], torch.rand(3).numpy())
