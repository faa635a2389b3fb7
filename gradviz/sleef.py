"""SLEEF's float32 exp, to the bit, in numpy, and the loop PyTorch runs it in.

PyTorch's CPU kernels written with cpu_kernel_vec (Loops.h) run SLEEF
through Vectorized<float> (Sleef_expf16_u10 on AVX512 is SLEEF's xexpf):
sigmoid's exp, for one. vectorized_loop() is that loop: the numbers in steps
of two vectors through the vector function, the rest (the tail) one at a
time through the scalar one (std::exp: the C library's expf), each
thread's part (parallel_for, grain 32768) split so from its own start.

(torch.exp, log, sin and cos themselves do not run SLEEF in PyTorch 2.13's
x86 build: their kernels call MKL's VML, vmsExp, vmsLn, vmsSin, vmsCos, on
every tensor, whose results are neither SLEEF's nor correctly rounded and,
for exp and log, depend on the CPU MKL finds: gradviz cannot give them to
the bit; see ops/elementwise.py.)

expf is SLEEF's algorithm (its non-deterministic variant, as PyTorch builds
it) written again over numpy float32 arrays, step by step: float32
arithmetic rounds as the vector unit's does; each fused multiply-add (the
AVX2 and AVX512 targets have FMA) is the product, exact in float64, added
there and rounded to float32 (two roundings that differ from one only in
cases of probability about 2**-29). The vector's width is the CPU's
(gradviz.capability: 16 float32 lanes on AVX512, 8 on AVX2, where SLEEF's
Sleef_expf8_u10 is the same algorithm), so the tail is as long as PyTorch's
on the CPU gradviz runs on. PyTorch's default build (ATEN_CPU_CAPABILITY=
default) runs no SLEEF: its vector exp is the C library's on each lane.

Verified against SLEEF's own Sleef_expf16_u10 (called on vectors of 16):
every value equal on 4 million inputs (normal, tiny, subnormal, huge,
random bit patterns, inf, nan, -0.0); tests/test_sleef.py keeps a sample
of those values, and checks sigmoid against PyTorch.
"""
from __future__ import annotations

import numpy as np

from .capability import float_lanes

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
_F = np.float32

# cpu_kernel_vec's grain, and the threads of the machine the outputs were
# recorded on (as ARANGE_THREADS); the lanes of a vector are vector()'s
LOOP_GRAIN = 32768
THREADS = 2


def vector() -> int:
    """The float32 lanes of one of PyTorch's vectors on this CPU (16 on
    AVX512, 8 on AVX2 and in the default build)."""
    return float_lanes()


def _fma(a, b, c):
    """a * b + c rounded once (see the module docstring)."""
    r = np.multiply(a, b, dtype=F64)
    r = r + c            # (not +=: c may broadcast a * b to a larger shape)
    return r.astype(F32)


def _rint_f(x):
    return np.rint(x).astype(F32)


def _parts(n, grain):
    """The [lo, hi) ranges parallel_for gives each thread."""
    threads = min(THREADS, -(-n // grain)) if n > grain else 1
    chunk = -(-n // threads) if n else 0
    return [(lo, min(n, lo + chunk)) for lo in range(0, n, chunk)] if n else []


def _flat(x):
    x = np.ascontiguousarray(x, F32)
    return x.reshape(-1), x.shape


_R_LN2 = _F(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = _F(0.693145751953125)
_L2L = _F(1.428606765330187045e-06)
_EXP_POLY = [_F(v) for v in (0.000198527617612853646278381, 0.00139304355252534151077271,
                             0.00833336077630519866943359, 0.0416664853692054748535156,
                             0.166666671633720397949219, 0.5)]


def expf(x) -> np.ndarray:
    """SLEEF's float32 exp of an array (xexpf: Sleef_expf16_u10)."""
    d, shape = _flat(x)
    with np.errstate(all="ignore"):
        # q: only where -104 <= d <= 100 does it count (the rest is 0 or inf
        # below; NaN stays NaN whatever q is)
        qf = np.clip(_rint_f(d * _R_LN2), _F(-256), _F(256))
        q = qf.astype(np.int32)
        s = d - qf * _L2U          # = the fma: q * L2U is exact in float32
        s = _fma(qf, -_L2L, s)
        u = _EXP_POLY[0]
        for c in _EXP_POLY[1:]:
            u = _fma(u, s, c)
        u = _F(1) + _fma(s * s, u, s)
        # vldexp2_vf_vf_vi2, u * 2**(q >> 1) * 2**(q - (q >> 1)): the first
        # product is exact, so one rounding of u * 2**q, as ldexp's
        u = np.ldexp(u, q)
        u = np.where(d < _F(-104), _F(0), u)
        u = np.where(_F(100) < d, _F(np.inf), u)
    return u.reshape(shape)


def _load_libm(name: str):
    """The C library's float function NAME (expf: what std::exp(float)
    calls), or None."""
    import ctypes
    import ctypes.util
    try:
        libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        f = getattr(libm, name)
    except (OSError, AttributeError):
        return None
    f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
    return f


def _libm_expf():
    return _load_libm("expf")


_UNLOADED = object()
# the C library's expf, loaded on first use (ctypes costs a run that never
# needs it 5 ms of start-up); None where it cannot be
_EXPF = _UNLOADED
# its other float functions, the same way, by name
_LIBM: dict = {}


def libm_map(name: str, x, wide) -> np.ndarray:
    """The C library's float function NAME (sinhf) on each number of a
    (short) float32 array, as PyTorch's scalar loops call it (std::sinh);
    wide(x) (the function in float64, rounded) where it cannot be loaded."""
    if name not in _LIBM:
        _LIBM[name] = _load_libm(name)
    f = _LIBM[name]
    x = np.asarray(x, F32)
    if f is None:
        return wide(x)
    return np.array([f(v) for v in x.reshape(-1).tolist()], F32).reshape(x.shape)


def scalar_expf(x) -> np.ndarray:
    """expf on each number of a (short) float32 array: the C library's (as
    glibc's: equal to PyTorch's tail on 93,000 inputs), else exp in float64
    rounded to float32 (which differs from it in 3 inputs in 10,000)."""
    global _EXPF
    x = np.asarray(x, F32)
    if _EXPF is _UNLOADED:
        _EXPF = _libm_expf()
    if _EXPF is None:
        with np.errstate(over="ignore"):
            return np.exp(x.astype(F64)).astype(F32)
    return np.array([_EXPF(v) for v in x.reshape(-1).tolist()], F32).reshape(x.shape)


def vectorized_loop(x: np.ndarray, vec_fn, scalar_fn) -> np.ndarray:
    """PyTorch's cpu_kernel_vec on a contiguous float32 array: each thread's
    part in steps of two vectors through vec_fn, its last numbers (fewer
    than two vectors) through scalar_fn; both take and give float32 arrays."""
    d = np.ascontiguousarray(x, F32).reshape(-1)
    out = np.empty_like(d)
    parts = _parts(d.size, LOOP_GRAIN)
    step = 2 * vector()
    if len(parts) == 1 and d.size % step == 0:
        return vec_fn(d).reshape(np.shape(x))
    for lo, hi in parts:
        tail = hi - (hi - lo) % step
        if tail > lo:
            out[lo:tail] = vec_fn(d[lo:tail])
        if hi > tail:
            out[tail:hi] = scalar_fn(d[tail:hi])
    return out.reshape(np.shape(x))


# xlogf_u1's ln 2 as a float pair, and its polynomial
_LN2_HI = _F(0.69314718246459960938)
_LN2_LO = _F(-1.904654323148236017e-09)
_LOG_POLY = [_F(v) for v in (0.3027294874, 0.3996108174, 0.6666694880)]


def _two_sum(x, y):
    """x + y as a float pair (dfadd2_vf2_vf_vf)."""
    s = x + y
    v = s - x
    return s, (x - (s - v)) + (y - v)


def logf(x) -> np.ndarray:
    """SLEEF's float32 log of an array (xlogf_u1: Sleef_logf16_u10, as
    Vectorized<float>::log() runs it on AVX512; AVX2's Sleef_logf8_u10
    finds m and e without getexp and getmant, to the same values for normal
    numbers), written again as expf is. Equal to PyTorch's log_softmax,
    which runs it, on every row tried, on AVX512 and on AVX2."""
    d, _ = _flat(x)
    with np.errstate(all="ignore"):
        # AVX512's getexp and getmant: d = m * 2**e with m in [0.75, 1.5)
        _, ex = np.frexp(d * _F(1 / 0.75))
        e = (ex - 1).astype(F32)
        m = np.ldexp(d, 1 - ex).astype(F32)
        # s = e * ln 2, a float pair (dfmul_vf2_vf2_vf)
        sx = _LN2_HI * e
        sy = _fma(_LN2_LO, e, _fma(_LN2_HI, e, -sx))
        # x = (m - 1) / (m + 1), a float pair (dfdiv_vf2_vf2_vf2 of dfadd2s)
        nx, ny = _two_sum(np.full_like(m, -1), m)
        dx, dy = _two_sum(np.full_like(m, 1), m)
        t = _F(1) / dx
        qx = nx * t
        u = _fma(t, nx, -qx)
        v = _fma(-dy, t, _fma(-dx, t, _F(1)))
        qy = _fma(qx, v, _fma(ny, t, u))
        x2 = qx * qx
        t = _LOG_POLY[0]
        for c in _LOG_POLY[1:]:
            t = _fma(t, x2, c)
        # s += 2x (dfadd_vf2_vf2_vf2), then s += x**3 * t (dfadd_vf2_vf2_vf)
        rx = sx + qx * _F(2)
        ry = (((sx - rx) + qx * _F(2)) + sy) + qy * _F(2)
        w = (x2 * qx) * t
        r = rx + w
        r = r + (((rx - r) + w) + ry)
        r = np.where(np.isposinf(d), _F(np.inf), r)
        r = np.where((d < 0) | np.isnan(d), _F(np.nan), r)
        r = np.where(d == 0, _F(-np.inf), r)
    return r.reshape(np.shape(x))      # (a 0-d x too, which _flat makes 1-d)


# PyTorch's own fast vector exp (Vectorized<float>::exp_u20, "ULP=20"): its
# constants, as float32 bits where PyTorch gives bits
_U20_MIN = np.array(0xc2aeac50, np.uint32).view(F32)      # ln(FLT_MIN)
_U20_MAX = np.array(0x42b17218, np.uint32).view(F32)      # ln(FLT_MAX)
_U20_LOG2E = np.array(0x3fb8aa3b, np.uint32).view(F32)
_U20_LN2 = np.array(0x3f317218, np.uint32).view(F32)
_U20_POLY = [_F(v) for v in (0.00828929059, 0.0418978221, 0.166676521, 0.499991506,
                             0.999999701, 1.0)]


def exp_u20(x) -> np.ndarray:
    """Vectorized<float>::exp_u20 (the same steps on AVX2 and AVX512): x
    clamped to [ln FLT_MIN, ln FLT_MAX], n = floor(x log2(e) + 1/2),
    r = x - n ln 2, a degree-5 polynomial in r by fused multiply-adds, times
    2**(n - 1), times 2; 0 below ln FLT_MIN. Flash attention's exp."""
    d = np.asarray(x, F32)
    with np.errstate(all="ignore"):
        src = np.maximum(np.minimum(d, _U20_MAX), _U20_MIN)
        n = np.floor(_fma(src, _U20_LOG2E, _F(0.5)))
        r = _fma(-n, _U20_LN2, src)
        u = _U20_POLY[0]
        for c in _U20_POLY[1:]:
            u = _fma(r, u, c)
        scale = (((n - _F(1)).astype(np.int32) + 127) << 23).astype(np.int32).view(F32)
        scale = np.where(d < _U20_MIN, _F(0), scale)
        return (u * scale * _F(2)).astype(F32)
