"""keep_where / zero_where (the branch-free np.where of relu, where and
clamp on big arrays) give np.where's bits exactly: NaN kept, +0 (never -0)
where not picked, any float dtype, any strides."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradviz.ops.elementwise import BUFFERED_VJP_SIZE, keep_where, zero_where

SPECIAL = [0.0, -0.0, np.nan, -np.nan, np.inf, -np.inf, 1e-45, -1e-45, 1.0, -1.0]


def _bits(a):
    return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), dtype=st.sampled_from([np.float16, np.float32, np.float64]),
       n=st.sampled_from([3, BUFFERED_VJP_SIZE - 1, BUFFERED_VJP_SIZE, 3 * BUFFERED_VJP_SIZE + 5]),
       step=st.sampled_from([1, 2]))
def test_same_bits_as_np_where(seed, dtype, n, step):
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array(SPECIAL + list(rng.standard_normal(6)), dtype), size=n * step)[::step]
    mask = rng.random(n) < 0.5
    got, want = keep_where(mask, x), np.where(mask, x, 0).astype(dtype)
    assert got.dtype == x.dtype and np.array_equal(_bits(got), _bits(want))
    got, want = zero_where(mask, x), np.where(mask, 0, x).astype(dtype)
    assert got.dtype == x.dtype and np.array_equal(_bits(got), _bits(want))


def test_leaves_its_inputs_alone():
    x = np.full(2 * BUFFERED_VJP_SIZE, -1.5, np.float32)
    mask = np.zeros(x.shape, bool)
    out = keep_where(mask, x)
    assert (x == -1.5).all() and not mask.any() and not np.shares_memory(out, x)


@pytest.mark.parametrize("shape", [(), (5,), (BUFFERED_VJP_SIZE,)])
def test_broadcast_mask_and_ints_fall_back(shape):
    x = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    mask = np.array(True)
    assert np.array_equal(keep_where(mask, x), np.where(mask, x, 0))
    assert np.array_equal(zero_where(mask, x), np.where(mask, 0, x))
