"""gradviz.capability: the CPU capability PyTorch picks its kernels by
(ATEN_CPU_CAPABILITY, else the CPU's flags), and the emulated kernels'
vector width following it; live against PyTorch with the capability forced
in a subprocess, so that the AVX2 kernels are checked on an AVX512 machine
too."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gradviz import capability, sleef
from gradviz.ops import softmax_cpu

AVX512_FLAGS = {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma", "sse4_2"}


def test_flags_pick_the_widest_the_cpu_has():
    assert capability.from_flags(AVX512_FLAGS) == "avx512"
    assert capability.from_flags({"avx2", "fma", "avx512f"}) == "avx2"   # (no bw, vl, dq)
    assert capability.from_flags({"avx2", "fma"}) == "avx2"
    assert capability.from_flags({"avx2"}) == "default"                  # (no FMA)
    assert capability.from_flags(set()) == "default"


def test_the_environment_variable_as_pytorch_parses_it():
    def unread():
        raise AssertionError("the flags are not needed")
    assert capability.from_environment("avx512", unread) == "avx512"
    assert capability.from_environment("default", unread) == "default"
    assert capability.from_environment("avx2", unread) == "avx2"
    # another value, or another case, is ignored (PyTorch warns) and the flags decide
    for value in ("AVX2", "", "bogus", None):
        assert capability.from_environment(value, lambda: {"avx2", "fma"}) == "avx2"
        assert capability.from_environment(value, lambda: AVX512_FLAGS) == "avx512"


@pytest.mark.parametrize("cap,lanes", [("avx512", 16), ("avx2", 8), ("default", 8)])
def test_lanes_follow_the_capability(monkeypatch, cap, lanes):
    monkeypatch.setattr(capability, "capability", lambda: cap)
    assert capability.float_lanes() == sleef.vector() == lanes


@pytest.mark.parametrize("cap,lanes", [("avx512", 16), ("avx2", 8)])
def test_the_loops_tail_is_under_two_vectors(monkeypatch, cap, lanes):
    # cpu_kernel_vec: steps of two vectors through the vector function, the
    # rest through the scalar one
    monkeypatch.setattr(capability, "capability", lambda: cap)
    for n in (1, 15, 16, 17, 20, 33, 40, 100):
        got = sleef.vectorized_loop(np.zeros(n, np.float32), lambda d: d + 1, lambda d: d + 2)
        assert got.tolist() == [1.0] * (n - n % (2 * lanes)) + [2.0] * (n % (2 * lanes))


@pytest.mark.parametrize("cap", ["avx512", "avx2"])
def test_a_rows_lanes_are_added_pairwise_at_the_vectors_width(monkeypatch, cap):
    monkeypatch.setattr(capability, "capability", lambda: cap)
    lanes = capability.float_lanes()
    # lane 0 holds 2**24, the others 1: added pairwise (halves first) the
    # ones survive in part, added in turn each would round away
    row = np.array([2.0 ** 24] + [1.0] * (lanes - 1), np.float32)
    got = softmax_cpu.row_sum(row[None])[0]
    want = row.copy()
    while len(want) > 1:
        half = len(want) // 2
        want = want[:half] + want[half:]
    assert got == want[0]


def test_the_capability_is_read_once_from_the_environment():
    code = ("import os\nfrom gradviz import capability\nfirst = capability.capability()\n"
            "os.environ['ATEN_CPU_CAPABILITY'] = 'avx512'\nprint(first, capability.capability())")
    for value in ("avx2", "default"):
        env = dict(os.environ, ATEN_CPU_CAPABILITY=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.split()
        assert out == [value, value]


# ---- live, with the capability forced in both PyTorch and gradviz ---------

LIVE = r"""
import json, sys
import numpy as np
import torch
from gradviz.ops import softmax_cpu, layer_norm_cpu
from gradviz.ops.elementwise import _sigmoid
from gradviz.ops.norm import _ln_stats
rng = np.random.default_rng(0)
bad = []
assert torch.backends.cpu.get_cpu_capability().lower() == sys.argv[1]
for n in list(range(1, 41)) + [63, 100]:
    x = (rng.standard_normal((3, n)) * 4).astype(np.float32)
    g = rng.standard_normal((3, n)).astype(np.float32)
    tx, tg = torch.from_numpy(x), torch.from_numpy(g)
    if not np.array_equal(_sigmoid(x[0]), torch.sigmoid(tx[0]).numpy()):
        bad.append(("sigmoid", n))
    for name in ("softmax", "log_softmax"):
        y = getattr(torch, name)(tx, -1)
        if not np.array_equal(getattr(softmax_cpu, name)(x, -1), y.numpy()):
            bad.append((name, n))
    if not np.array_equal(softmax_cpu.log_softmax_backward(g, x, -1),
                          torch.ops.aten._log_softmax_backward_data(tg, tx, -1, torch.float32).numpy()):
        bad.append(("log_softmax_backward", n))
    if sys.argv[1] != "avx2":      # (layer_norm's kernel: matched on AVX2 only)
        continue
    w = (1 + rng.standard_normal(n) * 0.3).astype(np.float32)
    _, mean, rstd = torch.ops.aten.native_layer_norm(tx, (n,), torch.from_numpy(w), None, 1e-5)
    dx, dw, db = torch.ops.aten.native_layer_norm_backward(
        tg, tx, (n,), mean, rstd, torch.from_numpy(w), torch.zeros(n), [True, True, True])
    m, r = (v.reshape(-1) for v in _ln_stats(x, {"dims": 1, "eps": 1e-5}))
    if not np.array_equal(layer_norm_cpu.input_grad(g, x, w, m, r), dx.numpy()):
        bad.append(("layer_norm_backward", n))
    if not all(np.array_equal(a, b.numpy()) for a, b in
               zip(layer_norm_cpu.param_grads(g, x, m, r), (dw, db))):
        bad.append(("layer_norm_weight_backward", n))
print(json.dumps(bad))
"""


def _cpu_has(cap: str) -> bool:
    rank = {"default": 0, "avx2": 1, "avx512": 2}
    return rank[capability.from_flags(capability._cpu_flags())] >= rank[cap]


@pytest.mark.parametrize("cap", ["avx2", "avx512"])
def test_kernels_are_pytorchs_under_a_forced_capability(cap):
    pytest.importorskip("torch")
    if not _cpu_has(cap):
        pytest.skip(f"this CPU cannot run PyTorch's {cap} kernels")
    env = dict(os.environ, ATEN_CPU_CAPABILITY=cap)
    res = subprocess.run([sys.executable, "-c", LIVE, cap], env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == []


@pytest.mark.parametrize("cap", ["avx512", "avx2"])
def test_maximums_vector_part_is_avx2s_on_either(monkeypatch, cap):
    # a tie of -0. and 0. gives the second operand in the vector steps only:
    # 16 float32 (8 float64) at a time on AVX512 too, as the outputs
    # recorded there show (conformance_extra/print_min_max_signed_zero_ties)
    from gradviz.ops import OPS
    monkeypatch.setattr(capability, "capability", lambda: cap)
    for dtype, step in ((np.float32, 16), (np.float64, 8)):
        got = OPS["maximum"].forward([np.full(70, -0.0, dtype), np.zeros(70, dtype)], {})
        vector = 70 - 70 % step
        assert np.signbit(got).tolist() == [False] * vector + [True] * (70 - vector)


def test_maximums_ties_are_pytorchs_here():
    from machine import emulating_torch
    from gradviz.ops import OPS
    torch = emulating_torch()
    for n in (5, 20, 40, 70, 100):
        for dtype in (np.float32, np.float64):
            a, b = np.full(n, -0.0, dtype), np.zeros(n, dtype)
            want = torch.maximum(torch.from_numpy(a), torch.from_numpy(b)).numpy()
            assert np.signbit(OPS["maximum"].forward([a, b], {})).tolist() == np.signbit(want).tolist()


def test_gelu_tanhs_scalar_loop_is_pytorchs_on_avx2():
    # AVX2's build fuses x + kappa * x^3; rows shorter than two vectors run
    # the scalar loop only (the vector one's tanh is SLEEF's, not copied)
    from machine import emulating_torch
    from gradviz.ops import OPS
    torch = emulating_torch()
    if capability.capability() != "avx2":
        pytest.skip("matched on AVX2")
    rng = np.random.default_rng(2)
    for n in range(1, 16):
        x = (rng.standard_normal(n) * 3).astype(np.float32)
        want = torch.nn.functional.gelu(torch.from_numpy(x), approximate="tanh").numpy()
        assert np.array_equal(OPS["gelu"].forward([x], {"approximate": "tanh"}), want), n
