"""randn()'s float32 draws (functions.normal): Box-Muller over the raw bits
of the run's generator, chunk by chunk. Every number is written, from the
bits it should come from; the result owns its memory; the numbers are
standard normal."""
import numpy as np
import pytest

import gradviz
from gradviz.functions import _NORMAL_PAIRS, generator, normal

F32 = np.dtype(np.float32)


def _reference(seed, n):
    """The same draws in float64, one pair at a time from the documented layout."""
    raw = generator(seed).bit_generator.random_raw
    h = (n + 1) // 2
    out = np.full(n, np.nan)
    for k in range(0, h, _NORMAL_PAIRS):
        c = min(_NORMAL_PAIRS, h - k)
        w = raw(c).view(np.uint32).astype(np.float64)
        u1, u2 = np.floor(w[:c] / 256) / 2**24, np.floor(w[c:] / 256) / 2**24
        r = np.sqrt(-2 * np.log(1 - u1))
        out[k:k + c] = r * np.cos(2 * np.pi * u2)
        e = min(c, n - h - k)
        out[h + k:h + k + e] = (r * np.sin(2 * np.pi * u2))[:e]
    return out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 2 * _NORMAL_PAIRS - 1, 2 * _NORMAL_PAIRS,
                               2 * _NORMAL_PAIRS + 1, 5 * _NORMAL_PAIRS + 3])
def test_every_number_comes_from_its_bits(n):
    got = normal(generator(7), (n,), F32)
    want = _reference(7, n)
    assert got.dtype == F32 and got.shape == (n,)
    assert not np.isnan(want).any()
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


@pytest.mark.parametrize("shape", [(), (1,), (3, 5), (512, 256), (2, 0, 3)])
def test_shape_and_own_memory(shape):
    a = normal(generator(0), shape, F32)
    assert a.shape == shape and a.dtype == F32 and a.base is None and a.flags.c_contiguous


def test_standard_normal_moments_and_tails():
    x = normal(generator(1), (1_000_000,), F32).astype(np.float64)
    assert abs(x.mean()) < 0.005 and abs(x.std() - 1) < 0.005
    assert abs((x ** 3).mean()) < 0.02 and abs((x ** 4).mean() - 3) < 0.05
    assert 4.5 < np.abs(x).max() < 5.8          # 24-bit uniforms: tails end at 5.77
    assert abs((x > 1.96).mean() - 0.025) < 0.001 and abs((x < -1.96).mean() - 0.025) < 0.001


def test_float64_and_seeding_through_the_program():
    a = normal(generator(3), (4,), np.dtype(np.float64))
    assert a.dtype == np.float64
    src = "manual_seed(5)\nx = randn(2, 3)\nmanual_seed(5)\ny = randn(2, 3)\nz = randn(2, 3)\n"
    rec = gradviz.run_source(src)
    val = {name: rec.nodes[int(rec.variable_ids[name][1:])].value for name in "xyz"}
    assert np.array_equal(val["x"], val["y"]) and not np.array_equal(val["y"], val["z"])
    assert np.array_equal(val["x"].ravel(), normal(generator(5), (6,), F32))


@pytest.mark.parametrize("call, message", [
    ("normal(0, -1, (2,))", "normal expects std >= 0.0, but found std -1"),
    ("normal(0, float('nan'), (2,))", "normal expects std >= 0.0, but found std nan"),
    ("normal(zeros(2), tensor([float('nan'), 1.0]))", "normal expects all elements of std >= 0.0"),
    ("normal(0, 1)", "normal() received an invalid combination of arguments - got (int, int)"),
    ("normal(0, 1, 3)", "normal() received an invalid combination of arguments"),
    ("normal(0, 1, (2,), dtype=torch.int64)", "\"normal_kernel_cpu\" not implemented for 'Long'"),
    ("normal(zeros(2, requires_grad=True), 1.0)", "normal() of a tensor that requires grad"),
])
def test_normal_refuses_as_pytorch_does(call, message):
    with pytest.raises(gradviz.GradvizError) as info:
        gradviz.run_source(f"import torch\nx = {call}\n")
    assert message in info.value.message and info.value.span.line == 2


def test_normal_values_are_mean_plus_std_times_randn():
    rec = gradviz.run_source("manual_seed(3)\na = normal(1.5, 2.0, (4, 5))\nmanual_seed(3)\n"
                             "b = randn(4, 5)\nc = normal(ones(3), 0.0)\n")
    val = {n: rec.nodes[int(rec.variable_ids[n][1:])].value for n in "abc"}
    np.testing.assert_array_equal(val["a"], val["b"] * np.float32(2.0) + np.float32(1.5))
    assert val["a"].dtype == F32 and np.array_equal(val["c"], np.ones(3, F32))
