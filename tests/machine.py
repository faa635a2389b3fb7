"""The machine the tests run on, against the one the expected outputs were
recorded on.

PyTorch's float32 results can differ in the last bit between CPUs: its CPU
kernels are compiled for AVX512 and for AVX2 and it runs the widest the CPU
has (a vector loop's tail, a flash-attention kernel's lanes, MKL's and
OpenBLAS's matrix kernels all follow the vector width). The conformance
outputs were recorded on AVX512 machines, where gradviz's output is PyTorch's
to the printed digit; on another CPU, a printed number may differ from the
recorded one in its last digit (PyTorch's own output there differs from the
record too, in some cases). There, and only there, such differences pass.

gradviz emulates the kernels of the capability PyTorch runs
(gradviz.capability: AVX512 or AVX2), so a comparison with PyTorch live on
the same machine is exact for those kernels on either (live_exact()).
"""
from __future__ import annotations

import re

REFERENCE = "avx512"
# a printed number: 1, -0.5, 1.0716, 2.3842e-07, 13.694654
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def cpu_capability() -> str:
    """'avx512', 'avx2' or 'default': the kernels PyTorch runs here, as
    its dispatch picks them (ATEN_CPU_CAPABILITY, else the CPU's flags),
    and gradviz with it (gradviz.capability)."""
    from gradviz.capability import capability
    return capability()


EMULATED = ("avx512", "avx2")


def live_exact() -> bool:
    """Whether gradviz emulates the kernels PyTorch runs in this process
    (both read ATEN_CPU_CAPABILITY and the CPU alike): then gradviz's
    float32 results from those kernels are live PyTorch's to the bit."""
    return cpu_capability() in EMULATED


def emulating_torch():
    """PyTorch, where gradviz emulates the capability it runs (else skip)."""
    import pytest
    torch = pytest.importorskip("torch")
    if not live_exact():
        pytest.skip("PyTorch runs its default (unvectorized) kernels here")
    assert torch.backends.cpu.get_cpu_capability().lower() == cpu_capability()
    return torch


def _last_digit_close(got: str, want: str) -> bool:
    """Two printed numbers that differ by at most one unit of the last
    digit printed, or by a few float32 roundings (1e-6 of the value: a loss
    printed with all its digits after a few steps of training)."""
    if "." in want:
        mantissa = want.lower().split("e")[0]
        unit = 10.0 ** -(len(mantissa.split(".")[1]))
        exp = want.lower().split("e")[1] if "e" in want.lower() else "0"
        unit *= 10.0 ** int(exp)
    else:
        unit = 1.0
    return abs(float(got) - float(want)) <= max(unit * 1.000001, 1e-6 * abs(float(want)))


def outputs_match(got: str, want: str) -> bool:
    """got == want; on a CPU other than the reference, also when they
    differ only in the last digit of some printed numbers."""
    if got == want:
        return True
    if cpu_capability() == REFERENCE:
        return False
    got_words, want_words = got.split(), want.split()
    if len(got_words) != len(want_words):
        return False
    for g, w in zip(got_words, want_words):
        if g == w:
            continue
        gn, wn = _NUMBER.findall(g), _NUMBER.findall(w)
        if len(gn) != len(wn) or _NUMBER.sub("#", g) != _NUMBER.sub("#", w):
            return False
        if not all(a == b or _last_digit_close(a, b) for a, b in zip(gn, wn)):
            return False
    return True

