"""PyTorch's CPU random numbers, draw for draw: after manual_seed(s), rand(),
randn() and normal() give the numbers PyTorch 2.13 gives after
torch.manual_seed(s) (and gradviz starts as if seeded with 0).

PyTorch's CPU generator is a Mersenne Twister (mt19937) seeded as C++'s
std::mt19937 is; numpy's MT19937 with its legacy seeding is the same
machine, so only PyTorch's transforms of its 32-bit words are written here:

- rand: float32 from one word (its low 24 bits / 2**24), float64 from two
  (53 bits of (first << 32 | second), / 2**53).
- randn, normal (PyTorch's normal_kernel): fewer than 16 numbers one at a
  time, in float64 (Box-Muller on two float64 uniforms; the second number of
  each pair kept for the next draw, across calls, until manual_seed); 16 or
  more as PyTorch's normal_fill: all the uniforms first, then Box-Muller on
  each block of 16 (cosines to its first 8, sines to its last 8; a size that
  is not a multiple of 16 draws its last 16 again; float16's are float32's
  blocks, rounded, drawn 16 at a time). PyTorch's float32 blocks
  run its AVX2 log and sincos (a port of Cephes's, with the multiply-adds
  its compiler fused); they are ported to numpy below, bit for bit, at every
  size. (PyTorch runs its AVX2 code on every x86 CPU that has AVX2: those of
  the last decade.)
"""
from __future__ import annotations

import functools
import math

import numpy as np


F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
F16 = np.dtype(np.float16)

_F = np.float32
_LOG_P = [_F(v) for v in (7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                          1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                          3.3333331174E-1)]
_TWO_PI_F32 = _F(2 * math.pi)
_LOW24 = np.uint32(0xFFFFFF)
_ONE24 = np.uint32(1 << 24)
# 2**-24 for 1 - u1, 2 pi * 2**-24 (a float32, exactly) for the angle
_HALF_SCALES = np.array([[2.0 ** -24], [_TWO_PI_F32 * _F(2.0 ** -24)]], F32)
_CHUNK = 1 << 15            # numbers per pass of normal() (their words: 128 KB)


@functools.cache
def _unseeded_class():
    """The seed sequence of a twister seeded right after it is made: its
    first state, all zeros, is never used. (Made on the first draw: numpy's
    random package takes ~17 ms to import, a twentieth of a short run's
    whole process, and most programs draw nothing.)"""
    from numpy.random.bit_generator import ISeedSequence

    class _Unseeded(ISeedSequence):
        def generate_state(self, n_words, dtype=np.uint32):
            return np.zeros(n_words, dtype)

    return _Unseeded


class CPUGenerator:
    """torch's default CPU generator: its mt19937 state and its cached normal."""

    def __init__(self, seed: int):
        # numpy's legacy seeding of its MT19937 is std::mt19937's (PyTorch
        # seeds it with the seed's low 32 bits), and RandomState's full-range
        # uint32 draws are the twister's words, one each. (RandomState(seed)
        # would first seed a new MT19937 from the OS's entropy, hashed into
        # 624 words, which the legacy seeding then overwrites: a fifth of a
        # millisecond of every run that draws.)
        self.bits = np.random.MT19937(_unseeded_class()())
        self.twister = np.random.RandomState(self.bits)
        self.twister.seed(seed & 0xFFFFFFFF)
        self.seed = seed                # torch.initial_seed()
        self.next_normal: float | None = None

    def words(self, n: int, dt: np.dtype) -> np.ndarray:
        """The twister's next words for n numbers of dtype dt (one each for
        float32, two for float64): the bit generator's raw words, one per
        uint64, narrowed (the words RandomState's uint32 randint draws, with
        no bounds to check: a little faster)."""
        return self.bits.random_raw(n if dt == F32 else 2 * n).astype(np.uint32)

    def uniform(self, n: int, dt: np.dtype, out: np.ndarray | None = None) -> np.ndarray:
        """n numbers in [0, 1) as PyTorch's uniform_real_distribution makes
        them (into out, when given)."""
        if out is None:
            out = np.empty(n, dt)
        _to_uniform(self.words(n, dt), dt, out)
        return out

    def rand(self, shape: tuple, dt: np.dtype, low: float = 0.0, high: float = 1.0) -> np.ndarray:
        """rand, or uniform_(low, high): u * (high - low) + low with one
        rounding, as PyTorch's compiler fused it (high - low in dt first)."""
        if dt == F16:
            return self._half_rand(shape, low, high)
        out = np.empty(shape, dt)
        flat = out.reshape(-1)
        self.uniform(out.size, dt, flat)
        if low != 0 or high != 1:
            lo, width = dt.type(low), dt.type(high) - dt.type(low)
            flat[:] = _fma(flat, width, lo) if dt == F32 else _fma64(flat, width, lo)
        return out

    def _half_rand(self, shape: tuple, low: float, high: float) -> np.ndarray:
        """PyTorch's float16 rand and uniform_(low, high): its float32 draw,
        rounded; a number that rounds up to high is low instead, as its
        kernel keeps the range half-open (rand's 0.99995 is 0, not 1)."""
        out = np.asarray(self.rand(shape, F32, low, high).astype(F16))
        out[out == F16.type(high)] = F16.type(low)
        return out

    def integers(self, shape: tuple, low: int, high: int) -> np.ndarray:
        """randint(low, high, shape): a word modulo the range, plus low
        (two words as one 64-bit number for a range of 2**28 or more: the
        threshold of PyTorch's released builds)."""
        n = math.prod(shape)
        span = high - low
        if span < 1 << 28:
            w = self.words(n, F32).astype(np.int64) % span
        else:
            w = self.words(n, F64).astype(np.uint64)
            w = (((w[0::2] << np.uint64(32)) | w[1::2]) % np.uint64(span)).astype(np.int64)
        return (w + low).reshape(shape)

    def permutation(self, n: int) -> np.ndarray:
        """randperm(n): PyTorch's Fisher-Yates, a word modulo what is left."""
        out = np.arange(n, dtype=np.int64)
        if n > 1:
            picks = (self.words(n - 1, F32) % np.arange(n, 1, -1, dtype=np.uint64)).tolist()
            for i, z in enumerate(picks):
                j = i + z
                out[i], out[j] = out[j], out[i]
        return out

    def exponential(self, n: int, dt: np.dtype) -> np.ndarray:
        """exponential_() of n numbers: -log1p(-u) of a float64 uniform each,
        in dt (PyTorch's serial CPU kernel; Python's log1p is the C
        library's, as PyTorch's, where numpy's differs in the last bit)."""
        log1p = math.log1p
        return np.array([-log1p(-u) for u in self.uniform(n, F64).tolist()], F64).astype(dt)

    def categorical(self, probs: np.ndarray, n: int) -> np.ndarray:
        """multinomial with replacement (PyTorch's multinomial_with_replacement
        kernel) of each row of the 2-d probs: the row's running sum in its
        dtype, divided by its total, the last set to 1; then per sample a
        float64 uniform u and the first class whose cumulative share is >= u."""
        out = np.empty((probs.shape[0], n), np.int64)
        for i, row in enumerate(probs):
            cum = np.cumsum(row)                    # one addition after another, in row's dtype
            cum /= cum[-1]
            cum[-1] = 1
            out[i] = np.searchsorted(cum.astype(F64), self.uniform(n, F64), side="left")
        return out

    def normal(self, shape: tuple, dt: np.dtype, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
        """PyTorch's normal_(mean, std) of a new tensor of shape and dtype dt."""
        n = math.prod(shape)
        if dt == F16 and n >= 16:
            return self._half_normal(shape, mean, std)
        out = np.empty(shape, dt)
        flat = out.reshape(n)
        if n < 16:
            flat[:] = [self._serial_normal(mean, std) for _ in range(n)]
            return out
        whole = n - n % 16
        scratch = _Scratch(min(_CHUNK, n) // 2) if dt == F32 else None
        # a chunk at a time: the words and the temporaries stay in the cache
        # (the words come in the order of PyTorch's one pass)
        for k in range(0, whole, _CHUNK):
            chunk = flat[k:min(k + _CHUNK, whole)]
            _fill16(chunk, self.words(chunk.size, dt), dt, mean, std, scratch)
        if whole != n:
            # PyTorch drew uniforms for the last n - whole too, then draws the
            # last 16 again and transforms them (the first of them overwrite
            # numbers already made)
            self.words(n - whole, dt)
            _fill16(flat[n - 16:], self.words(16, dt), dt, mean, std, scratch)
        return out

    def _half_normal(self, shape: tuple, mean: float, std: float) -> np.ndarray:
        """PyTorch's float16 normal_ of 16 numbers or more: its float32
        blocks of 16 (mean and std applied in float32), rounded. A size that
        is not a multiple of 16 draws one more whole block for its last 16
        numbers, where float32's draws the rest of the size first."""
        n = math.prod(shape)
        whole = n - n % 16
        blocks = self.normal((whole + (16 if whole != n else 0),), F32, mean, std).astype(F16)
        out = blocks[:n]
        if whole != n:
            out[n - 16:] = blocks[whole:]
        return out.reshape(shape)

    def _serial_normal(self, mean: float, std: float) -> float:
        """One number of PyTorch's normal_distribution<double> (a small draw)."""
        z = self.next_normal
        if z is not None:
            self.next_normal = None
        else:
            u1, u2 = self.uniform(2, F64).tolist()
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            self.next_normal = r * math.sin(theta)
            z = r * math.cos(theta)
        if std == 1 and mean == 0:
            return z
        # z * std + mean with one rounding, as PyTorch's compiler fused it
        # (math.fma is Python 3.13's; fractions are exact. Imported here:
        # fractions loads decimal, a few ms of every start-up otherwise)
        from fractions import Fraction
        return float(Fraction(z) * Fraction(std) + Fraction(mean))


class TorchGenerator:
    """torch.Generator(): a CPU generator of the program's own, seeded as
    PyTorch's default; a draw given it as generator= (torch.rand, x.normal_,
    a DataLoader, random_split, ...) takes its numbers from it, not from
    torch.manual_seed's generator. torch.default_generator is one whose
    state is the run's default generator (default: its methods and draws
    go to rt.rng, which manual_seed replaces)."""

    __slots__ = ("gen", "default")
    DEFAULT_SEED = 67280421310721

    def __init__(self, seed: int = DEFAULT_SEED, default: bool = False):
        self.gen = None if default else CPUGenerator(seed)
        self.default = default

    def cpu(self, rt) -> CPUGenerator:
        """The generator its draws take their numbers from."""
        return rt.rng if self.default else self.gen

    def put(self, rt, gen: CPUGenerator) -> None:
        """Its state replaced by gen's (manual_seed, seed, set_state)."""
        if self.default:
            rt.rng = gen
        else:
            self.gen = gen


# torch.default_generator (one for every run: its state is each run's own)
DEFAULT_GENERATOR = TorchGenerator(default=True)


TorchGenerator.__name__ = "Generator"


def _to_uniform(w: np.ndarray, dt: np.dtype, out: np.ndarray) -> None:
    """PyTorch's uniform numbers in [0, 1) of the words w (from words())."""
    if dt == F32:
        w &= _LOW24                                 # 24 bits (exact in float32)
        np.copyto(out, w.view(np.int32), casting="unsafe")
        out *= _F(2.0 ** -24)
        return
    v = w[0::2].astype(np.uint64)                   # 53 bits of first << 32 | second
    v <<= np.uint64(32)
    v |= w[1::2]
    v &= np.uint64((1 << 53) - 1)
    np.copyto(out, v.view(np.int64), casting="unsafe")
    out *= 2.0 ** -53


def _fill16(out: np.ndarray, w: np.ndarray, dt: np.dtype, mean: float, std: float,
            scratch: _Scratch | None) -> None:
    """Box-Muller into out (a multiple of 16 numbers) from the words w of its
    uniforms, block by block as PyTorch's normal_fill_16: u1 from the first 8
    of each block, u2 from the last 8; the cosines go to the first 8, the
    sines to the last 8. float32's log, cos and sin are PyTorch's AVX2 ones
    (in scratch's buffers)."""
    u = _split_uniforms(w, dt, out.size)
    h = out.size // 2
    one_minus_u1, theta = u[:h], u[h:]
    z = np.empty(out.size, dt)             # [cosines | sines]
    if dt == F32:
        r = one_minus_u1                    # (in place: its own memory)
        _log_avx(one_minus_u1, r, scratch)
        r *= _F(-2)
        np.sqrt(r, out=r)
        _sincos_avx(theta, z[h:], z[:h], scratch)
    else:
        r = np.sqrt(-2 * np.log(one_minus_u1))
        np.cos(theta, out=z[:h])
        np.sin(theta, out=z[h:])
    pair = z.reshape(2, h)
    pair *= r                               # both halves by the same radii
    if std != 1 or mean != 0:
        if dt == F32:                       # PyTorch's fmadd(v, std, mean)
            z = _fma(z, _F(std), _F(mean))
        else:                               # z * std + mean, fused by its compiler
            z = _fma64(z, std, mean)
    _scatter_halves(z, out)


def _split_uniforms(w: np.ndarray, dt: np.dtype, n: int) -> np.ndarray:
    """The n uniforms of the words w as Box-Muller takes them, in one new
    array [1 - u1 | 2 pi u2]: the first halves of the blocks of 16, then
    the second halves, each contiguous (numpy's float32 log, sin and cos
    are vectorised only on contiguous memory, and a loop over 8 numbers at
    a time would cost more than the one copy that gathers them)."""
    h = n // 2
    if dt != F32:
        u = np.empty(n, dt)
        _to_uniform(w, dt, u)
        u = _gather_halves(u)
        np.subtract(1, u[:h], out=u[:h])
        u[h:] *= 2 * math.pi
        return u
    # float32 from the 24-bit integers m, each half scaled by one power of
    # two that the exact results share: 1 - m / 2**24 is (2**24 - m) / 2**24,
    # and (m / 2**24) * 2 pi rounds as m * (2 pi / 2**24) does, as scaling
    # by 2**-24 is exact either side of the rounding
    m = _gather_halves(w)
    m &= _LOW24
    np.subtract(_ONE24, m[:h], out=m[:h])
    u = m.view(F32)
    np.copyto(u, m.view(np.int32), casting="unsafe")     # in place: exact below 2**25
    u.reshape(2, h).__imul__(_HALF_SCALES)
    return u


def _gather_halves(a: np.ndarray) -> np.ndarray:
    """A copy of a (blocks of 16) with the first halves of its blocks first,
    then the second halves: one copy of 8-number items."""
    item = np.dtype((np.void, 8 * a.itemsize))
    out = np.empty_like(a)
    out.view(item).reshape(2, -1)[...] = a.view(item).reshape(-1, 2).T
    return out


def _scatter_halves(a: np.ndarray, out: np.ndarray) -> None:
    """The inverse of _gather_halves, into out."""
    item = np.dtype((np.void, 8 * a.itemsize))
    out.view(item).reshape(-1, 2)[...] = a.view(item).reshape(2, -1).T


# ---- PyTorch's AVX2 float32 log and sincos (avx_mathfun.h), in numpy ----------
# Each _fma is a multiply-add PyTorch's compiler fused into one rounding;
# which ones it fused was found by comparing with PyTorch's draws (all
# 480,000 numbers of three seeds equal).

def _fma(a, b, c) -> np.ndarray:
    """a * b + c in float32 with one rounding (a float32 product is exact in
    float64, and the sum's two roundings agree but in cases too rare to
    matter). One float64 buffer: the product, then the sum in place."""
    t = np.multiply(a, b, dtype=F64)
    t += c
    return t.astype(F32)


_SPLIT = 2.0 ** 27 + 1      # Veltkamp's splitter of a float64 into two 26-bit halves


def _fma64(a: np.ndarray, b: float, c: float) -> np.ndarray:
    """a * b + c in float64 with one rounding, as PyTorch's compiled double
    uniform_ computes it: the product's rounding error found exactly
    (Dekker's two-product), then added back with the sum's (two-sum). Off by
    an ulp only where the exact result is within a hair of a tie, too rare
    to matter (math.fma is Python 3.13's; Fraction is too slow per number)."""
    p = a * b
    t = a * _SPLIT
    a_hi = t - (t - a)
    a_lo = a - a_hi
    t = b * _SPLIT
    b_hi = t - (t - b)
    b_lo = b - b_hi
    p_err = ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    s = p + c
    v = s - p
    s_err = (p - (s - v)) + (c - v)
    return s + (s_err + p_err)


class _Scratch:
    """The buffers of _log_avx and _sincos_avx for up to n numbers at a time:
    made once per draw, so that every step writes into memory that is
    already in the cache (each numpy call is a pass over a block)."""

    def __init__(self, n: int):
        self.i32 = np.empty(n, np.int32)
        self.f32 = np.empty((3, n), F32)
        self.f64 = np.empty((4, n), F64)

    def take(self, n: int):
        """The buffers for a block of n numbers: an int32, three float32 and
        four float64 arrays."""
        return (self.i32[:n], *self.f32[:, :n], *self.f64[:, :n])


def _round32(wide: np.ndarray, narrow: np.ndarray) -> None:
    """wide (float64) rounded to float32, into narrow and back into wide:
    the rounding of an emulated float32 multiply-add."""
    np.copyto(narrow, wide, casting="unsafe")
    np.copyto(wide, narrow)


def _polynomial(x64: np.ndarray, coeffs, acc: np.ndarray, narrow: np.ndarray) -> None:
    """coeffs[0] x**k + ... + coeffs[k] into narrow (float32) by Horner's
    rule, each step one fused multiply-add of float32s: x64 holds float32
    values, so each product is exact in float64 and only the sum rounds
    there before float32 (acc: float64 scratch; the coefficients as Python
    floats, which numpy's float64 loops take a fifth faster than float32s)."""
    np.multiply(x64, float(coeffs[0]), out=acc)
    acc += float(coeffs[1])
    for c in coeffs[2:]:
        _round32(acc, narrow)
        acc *= x64
        acc += float(c)
    np.copyto(narrow, acc, casting="unsafe")


# bits(1) - bits(sqrt(1/2)): added to a float32's bits, it carries into the
# exponent exactly when the mantissa is at least sqrt(2)'s
_SQRT_HALF_BITS = np.int32(0x3F3504F3)
_SQRT_HALF_CARRY = np.int32(0x3F800000 - 0x3F3504F3)
_MANTISSA = np.int32(0x007FFFFF)
_SIGN = np.int32(-1 << 31)


def _log_avx(x: np.ndarray, out: np.ndarray, scratch: _Scratch) -> None:
    """log of x in (0, 1] into out (log256_ps): log(2**e * m), m in
    [sqrt(1/2), sqrt(2)), as e ln 2 + a polynomial in m - 1."""
    bits, e, y, z, x64, acc, _, _ = scratch.take(x.size)
    # log256_ps takes m in [1/2, 1) and doubles it (e one less) below
    # sqrt(1/2): the same m and e as moving sqrt(1/2) to 1 (musl's trick)
    np.add(x.view(np.int32), _SQRT_HALF_CARRY, out=bits)
    np.copyto(e, bits >> 23, casting="unsafe")
    e -= _F(127)
    bits &= _MANTISSA
    bits += _SQRT_HALF_BITS
    m = bits.view(F32)
    m -= _F(1)                                  # exact (Sterbenz): log256_ps's x
    np.copyto(x64, m)
    _polynomial(x64, _LOG_P, acc, y)
    y *= m
    np.multiply(m, m, out=z)
    # y * z + e * q1, fused: the product in float64 (z into x64: m is done there)
    np.copyto(acc, y)
    np.copyto(x64, z)
    acc *= x64
    np.multiply(e, _F(-2.12194440e-4), out=y)
    acc += y
    np.copyto(y, acc, casting="unsafe")
    # the fused z * -0.5 + y and e * ln2_hi + m are plain float32 operations:
    # z / 2 and e * 0.693359375 (9 bits, |e| < 25) are exact
    z *= _F(0.5)
    y -= z
    m += y
    e *= _F(0.693359375)
    np.add(m, e, out=out)


_FOPI = _F(1.27323954473516)        # 4 / pi
_DP1, _DP2 = _F(0.78515625), _F(2.4187564849853515625e-4)
_DP3 = float(_F(3.77489497744594108e-8))
_COS_P = [_F(v) for v in (2.443315711809948E-005, -1.388731625493765E-003, 4.166664568298827E-002)]
_SIN_P = [_F(v) for v in (-1.9515295891E-4, 8.3321608736E-3, -1.6666654611E-1)]


def _sincos_avx(x: np.ndarray, sin: np.ndarray, cos: np.ndarray, scratch: _Scratch) -> None:
    """sin and cos of x >= 0 (sincos256_ps) into sin and cos; x is
    overwritten (with x reduced to [-pi/4, pi/4])."""
    j, y, z, _, x64, acc, z64, half_z64 = scratch.take(x.size)
    np.multiply(x, _FOPI, out=y)
    np.copyto(j, y, casting="unsafe")          # truncated, as cvttps
    j += 1
    j &= ~1                                     # the even octant at or above
    np.copyto(y, j)
    # x - j pi/4 in three parts, each a fused multiply-add; j (0 to 8) times
    # the first two parts (8 and 11 bits) is exact, so those are two float32
    # operations; the third (24 bits) is fused in float64
    np.multiply(y, _DP1, out=z)
    x -= z
    np.multiply(y, _DP2, out=z)
    x -= z
    np.copyto(x64, x)
    np.multiply(y, -_DP3, out=acc)
    x64 += acc
    _round32(x64, x)
    np.multiply(x, x, out=z)
    np.copyto(z64, z)
    np.multiply(z64, 0.5, out=half_z64)         # exact
    # cosine: 1 - z / 2 + z**2 (c0 z**2 + c1 z + c2), the last step fused
    # as (poly * z) * z - z / 2
    _polynomial(z64, _COS_P, acc, cos)
    _times(cos, z, acc)
    acc *= z64
    acc -= half_z64
    np.copyto(cos, acc, casting="unsafe")
    cos += _F(1)
    # sine: x + x z (s0 z**2 + s1 z + s2), the last step fused as (poly * z) * x + x
    _polynomial(z64, _SIN_P, acc, sin)
    _times(sin, z, acc)
    acc *= x64
    acc += x64
    np.copyto(sin, acc, casting="unsafe")
    _octant_signs(j, sin.view(np.int32), cos.view(np.int32), y.view(np.int32), z.view(np.int32))


def _times(poly: np.ndarray, z: np.ndarray, acc: np.ndarray) -> None:
    """poly *= z in float32, and a copy in acc (float64) for a fused step."""
    poly *= z
    np.copyto(acc, poly)


def _octant_signs(j: np.ndarray, sin: np.ndarray, cos: np.ndarray, mask: np.ndarray,
                  swap: np.ndarray) -> None:
    """sincos256_ps's choice by the octant j (even) on the bits of the two
    polynomials: swapped where j & 2, the sine negated where j & 4, the
    cosine where (j - 2) & 4 is 0, that is where (j + 2) & 4 is not. With
    bit operations (np.where is several times slower); mask and swap are
    scratch."""
    np.left_shift(j, 30, out=mask)
    mask >>= 31                                 # all ones where j & 2
    np.bitwise_xor(sin, cos, out=swap)
    swap &= mask
    sin ^= swap
    cos ^= swap
    np.left_shift(j, 29, out=mask)              # bit 2 to the sign bit
    mask &= _SIGN
    sin ^= mask
    j += 2
    np.left_shift(j, 29, out=mask)
    mask &= _SIGN
    cos ^= mask
