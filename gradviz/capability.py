"""The CPU capability PyTorch picks its float32 kernels by, decided once.

PyTorch's CPU build compiles its vectorized kernels for AVX512, AVX2 and a
plain C++ fallback ("default"), and runs the widest the CPU has
(torch.backends.cpu.get_cpu_capability()); the environment variable
ATEN_CPU_CAPABILITY picks a narrower one. The width decides where a vector
loop's tail starts, how a row's lanes are added and how flash attention
blocks its sums, so a float32 result's last bit follows it. gradviz's
emulated kernels (gradviz.sleef, ops/softmax_cpu.py, ops/attention.py, ...)
take their layout from here, so that they give what PyTorch gives on the
CPU gradviz runs on.

Read lazily (the first kernel that needs it) and cached for the process,
as PyTorch's dispatch does: start-up never pays for /proc/cpuinfo.
"""
from __future__ import annotations

import os
from functools import lru_cache

AVX512 = "avx512"
AVX2 = "avx2"
DEFAULT = "default"
ENV = "ATEN_CPU_CAPABILITY"
# the flags PyTorch (cpuinfo) asks for before it runs each
_AVX512_FLAGS = frozenset({"avx512f", "avx512bw", "avx512vl", "avx512dq", "fma"})
_AVX2_FLAGS = frozenset({"avx2", "fma"})
# float32 lanes of Vectorized<float>: 64-byte vectors on AVX512, 32-byte ones
# on AVX2 and in the default build (vec_base.h's fallback is 32 bytes too)
_FLOAT_LANES = {AVX512: 16, AVX2: 8, DEFAULT: 8}


def _cpu_flags() -> frozenset:
    """The first CPU's flags in /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def from_flags(flags) -> str:
    """The capability PyTorch picks on a CPU with these flags."""
    flags = frozenset(flags)
    if _AVX512_FLAGS <= flags:
        return AVX512
    return AVX2 if _AVX2_FLAGS <= flags else DEFAULT


def from_environment(value: str | None, flags_of) -> str:
    """ATEN_CPU_CAPABILITY's choice as PyTorch parses it: exactly 'avx512',
    'avx2' or 'default' (lower case); any other value is ignored (PyTorch
    warns) and the CPU's flags (flags_of(), read only then) decide."""
    if value in (AVX512, AVX2, DEFAULT):
        return value
    return from_flags(flags_of())


@lru_cache(maxsize=None)
def capability() -> str:
    """'avx512', 'avx2' or 'default': the kernels PyTorch runs here."""
    return from_environment(os.environ.get(ENV), _cpu_flags)


@lru_cache(maxsize=None)
def cpu_kind() -> str:
    """What the CPU itself has ('avx512', 'avx2' or 'default'), whatever
    ATEN_CPU_CAPABILITY says: MKL, which PyTorch's LAPACK calls go to,
    picks its kernels by the CPU alone."""
    return from_flags(_cpu_flags())


def float_lanes() -> int:
    """Vectorized<float>::size() under the capability: 16 or 8."""
    return _FLOAT_LANES[capability()]
