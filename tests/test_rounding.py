"""Float32 exp, log, tanh, sin, cos (ops.elementwise._rounded): 0-d values
(and arrays of all but tanh up to ROUNDED_SIZE numbers) computed in float64
and rounded, as PyTorch's values nearly always are; other arrays with
numpy's float32 loops. The scalar path (a 0-d tensor's numpy scalar) gives the 0-d
array's bits, specials included."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradviz.ops import elementwise as E

NAMES = ["exp", "log", "tanh", "sin", "cos"]
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1e-45, -1e-45, 88.7, 89.0, -104.0, 3e38]


def _bits(a):
    a = np.asarray(a, np.float32)
    # every NaN as one (its sign and payload are not what is tested)
    return np.where(np.isnan(a), np.uint32(0x7FC00000), a.view(np.uint32))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(NAMES),
       xs=st.lists(st.one_of(st.floats(width=32), st.sampled_from(SPECIAL)), min_size=1,
                   max_size=40))
def test_0d_values_and_small_arrays_are_float64_rounded(name, xs):
    f, u = getattr(E, name), getattr(np, name)
    x = np.array(xs, np.float32)
    with np.errstate(all="ignore"):
        want = u(x.astype(np.float64)).astype(np.float32)
        one_by_one = [f(v) for v in x]                  # numpy scalars
        zero_d = [f(np.array(v)) for v in x]            # 0-d arrays
        got = f(x)
        numpy32 = u(x)
    assert all(v.__class__ is np.float32 for v in one_by_one)
    assert np.array_equal(_bits(one_by_one), _bits(want))
    assert np.array_equal(_bits(zero_d), _bits(want))
    assert got.dtype == np.float32
    assert np.array_equal(_bits(got), _bits(numpy32 if name == "tanh" else want))


@pytest.mark.parametrize("name", NAMES)
def test_big_arrays_and_other_dtypes_keep_numpy(name):
    f, u = getattr(E, name), getattr(np, name)
    big = np.linspace(0.01, 20, E.ROUNDED_SIZE + 1, dtype=np.float32)
    assert np.array_equal(f(big), u(big))
    small64 = np.linspace(0.01, 20, 7)
    assert f(small64).dtype == np.float64 and np.array_equal(f(small64), u(small64))


def test_a_printed_value_pytorch_shows():
    # exp(12.) printed by PyTorch as 162754.7969; numpy's float32 exp gives 162754.7812
    assert E.exp(np.array([12.0], np.float32))[0] == np.float32(162754.796875)
    assert E.exp(np.float32(12.0)) == np.float32(162754.796875)


# ---- PyTorch's order of a float sum (ops.summation.torch_sum, which std and var
# use for their means: a constant tensor's std is 0 or not by its last bit) --

def test_torch_sum_is_pytorchs_order():
    from gradviz.ops.summation import torch_sum

    # ten float32 0.1s: numpy's pairwise sum gives 1.0
    assert torch_sum(np.full((2, 5), 0.1, np.float32), None).item() == 1.0000001192092896
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for shape, axis in [((1000,), None), ((3, 7), (1,)), ((37, 70), (0,)), ((5, 9, 17), (1,)),
                        ((2, 40, 3), (1,)), ((6, 33), (0, 1)), ((4, 1, 19), (0,)),
                        ((70, 17, 2), (0, 1))]:
        for dt in (np.float32, np.float64):
            x = (rng.normal(size=shape) * 10).astype(dt)
            want = torch.tensor(x).sum(dim=axis or tuple(range(x.ndim)), keepdim=True).numpy()
            assert np.array_equal(torch_sum(x, axis), want), (shape, axis, dt)


def test_torch_sum_leaves_unknown_orders_to_numpy():
    from gradviz.ops.summation import SERIAL_SUM_MAX, torch_sum

    assert torch_sum(np.ones((3, 4, 5), np.float32), (0, 2)) is None    # two blocks
    assert torch_sum(np.ones((4, 5), np.float32).T, (0,)) is None        # not C order
    assert torch_sum(np.ones(SERIAL_SUM_MAX + 1, np.float32), None) is None   # threads


# ---- arange of floats: PyTorch's blocks and fused multiply-adds ---------------

def test_float_arange_matches_pytorch_to_the_bit():
    torch = pytest.importorskip("torch")
    import math
    import random

    from gradviz.functions import _float_arange
    rnd = random.Random(7)
    cases = [(-8.0, 8.0, 0.1), (0.0, 2.0, 0.1), (-5.0, 5.0, 0.01), (10.0, -10.0, -0.3),
             (0.0, 40000.0, 1.1), (0.0, 100000.0, 0.7)]      # (the last two: two chunks)
    for _ in range(60):
        s, step = rnd.uniform(-50, 50), rnd.choice([-1, 1]) * rnd.uniform(0.001, 3)
        cases.append((s, s + step * rnd.randint(1, 3000), step))
    for s, e, step in cases:
        n = math.ceil((e - s) / step)
        for dt, tdt in ((np.float32, torch.float32), (np.float64, torch.float64)):
            want = torch.arange(s, e, step, dtype=tdt).numpy()
            assert np.array_equal(_float_arange(s, step, n, np.dtype(dt)), want), (s, e, step, dt)


def test_float_arange_keeps_pytorchs_block_starts_without_torch():
    from gradviz.functions import _float_arange
    x = _float_arange(-8.0, 0.1, 160, np.dtype(np.float32))
    assert x[80] == np.float32(4.440892098500626e-16)     # start + 80 * step, fused
    assert _float_arange(0.0, 0.1, 20, np.dtype(np.float32))[9] == np.float32(0.9000000357627869)
