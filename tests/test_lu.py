"""gradviz.ops.decomp.lu (LAPACK's getrf as PyTorch's MKL runs it) against
PyTorch's torch.linalg.lu_factor, matrix by matrix: the factors to the bit
and the 1-based pivots, square, wide and tall, in float32 and float64."""
from __future__ import annotations

import numpy as np
import pytest

from gradviz.capability import AVX2, AVX512, cpu_kind
from gradviz.ops.decomp import lu

torch = pytest.importorskip("torch")

SHAPES = [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (8, 8), (16, 16),
          (2, 3), (3, 2), (3, 5), (5, 3), (1, 4), (4, 1), (7, 3), (4, 6)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_factors_and_pivots_are_pytorchs(shape, dtype):
    if dtype == torch.float32 and cpu_kind() not in (AVX2, AVX512):
        pytest.skip("MKL's float32 LU is matched on AVX2 and AVX512 CPUs")
    g = torch.Generator().manual_seed(0)
    a = torch.randn(20, *shape, generator=g, dtype=dtype)
    want, pivots, _ = torch.linalg.lu_factor_ex(a)
    got = lu(a.numpy())
    np.testing.assert_array_equal(got[0], want.numpy())
    np.testing.assert_array_equal(got[4], pivots.numpy())
    assert got[4].dtype == np.int32


def test_zero_and_nan_pivots_are_lapacks():
    # a zero column keeps its pivot in place; a NaN below the top is never chosen
    for rows in ([[0.0, 1.0], [0.0, 2.0]], [[1.0, 2.0], [float("nan"), 1.0]],
                 [[float("nan"), 2.0], [3.0, 1.0]], [[1.0, 2.0], [2.0, 4.0]]):
        a = torch.tensor(rows)
        want, pivots, info = torch.linalg.lu_factor_ex(a)
        got = lu(a.numpy())
        np.testing.assert_array_equal(got[0], want.numpy())
        np.testing.assert_array_equal(got[4], pivots.numpy())
        assert got[2] == info.item()


def test_partial_cholesky_is_lapacks():
    """cholesky_ex of a matrix that is not positive-definite: LAPACK's
    partial factor (the failing pivot's value in its place, the columns
    after it untouched) and the failing minor's order, as PyTorch's."""
    from gradviz.ops.decomp import partial_cholesky
    rng = np.random.default_rng(0)
    for n in (2, 3, 4, 5):
        m = rng.normal(size=(12, n, n))
        m = m + np.swapaxes(m, -1, -2)
        want, info = torch.linalg.cholesky_ex(torch.from_numpy(m))
        got, got_info = partial_cholesky(m)
        np.testing.assert_allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(got_info, info.numpy())
