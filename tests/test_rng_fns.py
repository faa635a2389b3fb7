"""torch.seed() and the generator state's round trip (a seed drawn from the
system cannot be pinned by a recorded case)."""
import numpy as np
import torch

from gradviz import functions      # (the tables, which import rng_fns)
from gradviz import rng_fns
from gradviz.rng import F32, CPUGenerator


def test_seed_reseeds_as_manual_seed_would():
    class Rt:
        rng = CPUGenerator(0)
    rt = Rt()
    s = functions.FUNCTIONS["seed"](rt)
    assert 0 <= s < 2**64 and rt.rng.seed == s
    assert np.array_equal(rt.rng.rand((5,), F32), CPUGenerator(s).rand((5,), F32))


def test_state_bytes_are_torchs_and_replay():
    for seed, draws in ((0, 0), (9, 3), (2**40, 624), (5, 1000)):
        torch.manual_seed(seed)
        torch.randn(draws)
        g = CPUGenerator(seed)
        g.normal((draws,), F32)
        assert np.array_equal(rng_fns.get_state(g), torch.get_rng_state().numpy())
        h = CPUGenerator(1)
        rng_fns.set_state(h, torch.get_rng_state().numpy())
        assert np.array_equal(h.normal((7,), F32), torch.randn(7).numpy())
