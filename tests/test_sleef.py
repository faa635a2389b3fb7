"""gradviz.sleef: its port of SLEEF's float32 exp against values SLEEF
itself gave (Sleef_expf16_u10, AVX512, each input alone in a vector of 16,
and one vector of 16); sigmoid against PyTorch (its loop runs SLEEF's exp
and the C library's expf) where PyTorch runs its AVX512 or AVX2 code, whose
vectors (16 or 8 lanes) set the split between SLEEF and the C library."""
import numpy as np
import pytest

from gradviz import sleef
from gradviz.ops.elementwise import _sigmoid
from machine import emulating_torch

# inputs, as float32 bits
INPUTS = [
    0x3f000000, 0xc0133333, 0x40490fdb, 0x3fc90fdb, 0x41240000, 0xc2b16666,
    0x42c96666, 0x42f9ffff, 0x42fa0000, 0xc47a1333, 0x4640e6b6, 0x4b189680,
    0xd44015d5, 0x60ad78ec, 0x7f7fc99e, 0x116c2, 0xda24260, 0x80000000,
    0x0, 0x42b170a4, 0xc2cfcccd, 0x3f3ffffe, 0x3fbfffff, 0x7f800000,
    0xff800000, 0x7fc00000,
]
MIXED = [
    0x3f000000, 0x40000000, 0xc0400000, 0x40f66666, 0x447a2000, 0x3dcccccd,
    0xc2200000, 0x42c60000, 0x40400000, 0x40800000, 0x40a00000, 0x40c00000,
    0xc0e00000, 0x41000000, 0x41100000, 0x41200000,
]
# SLEEF's results, as float32 bits: each input alone, and MIXED
EXPECTED = {
    "expf": ([
        0x3fd3094c, 0x3dcd5483, 0x41b92024, 0x4099ef6f, 0x46dcf516, 0x20bd47,
        0x7f800000, 0x7f800000, 0x7f800000, 0x0, 0x7f800000, 0x7f800000,
        0x0, 0x7f800000, 0x7f800000, 0x3f800000, 0x3f800000, 0x3f800000,
        0x3f800000, 0x7f7f4648, 0x1, 0x40077ced, 0x408f69fe, 0x7f800000,
        0x0, 0x7fc00000,
    ], [
        0x3fd3094c, 0x40ec7326, 0x3d4bed86, 0x450a0590, 0x7f800000, 0x3f8d763e,
        0x229cbc92, 0x7f800000, 0x41a0af2e, 0x425a6482, 0x431469c5, 0x43c9b6e3,
        0x3a6f0b5d, 0x453a4f54, 0x45fd38ac, 0x46ac14ee,
    ]),
}


def _floats(bits):
    return np.array([int(b) for b in bits], np.uint32).view(np.float32)


def _same(got, want):
    """Equal bits, or both NaN (a NaN's sign and payload are not tested)."""
    got, want = np.asarray(got, np.float32), np.asarray(want, np.float32)
    return (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_input_alone_is_sleefs(name):
    f = getattr(sleef, name)
    want, _ = EXPECTED[name]
    got = np.array([f(np.array([x]))[0] for x in _floats(INPUTS)], np.float32)
    bad = ~_same(got, _floats(want))
    assert not bad.any(), list(zip(_floats(INPUTS)[bad], got[bad], _floats(want)[bad]))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_vector_is_sleefs(name):
    _, want = EXPECTED[name]
    assert _same(getattr(sleef, name)(_floats(MIXED)), _floats(want)).all()


def test_big_arrays_keep_the_shape():
    x = np.linspace(-200, 200, 6 * 7 * 11, dtype=np.float32).reshape(6, 7, 11)
    for name in EXPECTED:
        y = getattr(sleef, name)(x)
        assert y.shape == x.shape and y.dtype == np.float32


SIZES = [1, 7, 15, 16, 31, 32, 33, 100, 4096, 32768, 32769, 40000, 70000]
SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-45, 88.0, -88.0, 89.0,
                    -89.0, 104.0, -104.0, 3e38, -3e38], np.float32)


@pytest.mark.parametrize("n", SIZES)
def test_sigmoid_is_pytorchs(n):
    torch = emulating_torch()
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 8).astype(np.float32)
    x[rng.integers(0, n, max(1, n // 20))] = rng.choice(SPECIAL, max(1, n // 20))
    want = torch.sigmoid(torch.from_numpy(x)).numpy()
    assert _same(_sigmoid(x), want).all()
    assert _same(_sigmoid(x.reshape(1, n)), want.reshape(1, n)).all()


def test_sigmoid_of_a_0d_value_is_pytorchs():
    torch = pytest.importorskip("torch")
    for v in np.concatenate([SPECIAL, np.linspace(-20, 20, 401, dtype=np.float32)]):
        want = torch.sigmoid(torch.tensor(v)).numpy()
        scalar, zero_d = _sigmoid(np.float32(v)), _sigmoid(np.array(v))
        assert type(scalar) is np.float32 and zero_d.shape == ()
        assert _same(scalar, want) and _same(zero_d, want)


def test_the_tail_without_the_c_library(monkeypatch):
    """Without a loadable expf the tail is exp in float64, rounded."""
    monkeypatch.setattr(sleef, "_EXPF", None)
    x = np.linspace(-5, 5, 7, dtype=np.float32)
    assert _same(sleef.scalar_expf(x), np.exp(x.astype(np.float64)).astype(np.float32)).all()
