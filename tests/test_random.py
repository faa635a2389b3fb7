"""Random draws (gradviz.rng): PyTorch's CPU generator, draw for draw.

Pinned numbers are PyTorch 2.13's (torch.manual_seed(0), then the same
calls); with torch installed, many more sequences are compared with it."""
import numpy as np
import pytest

import gradviz
from gradviz.rng import CPUGenerator
from programs import run

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def test_pinned_pytorch_numbers():
    g = CPUGenerator(0)
    assert g.rand((3,), F32).tolist() == [0.49625658988952637, 0.7682217955589294,
                                           0.08847743272781372]
    # fewer than 16: one at a time in float64 (the pair's second number kept)
    assert g.normal((3,), F32).tolist() == [0.3643381893634796, 0.13439632952213287,
                                            0.16421625018119812]
    # 16 or more: blocks of 16, the last 16 drawn again
    z = g.normal((20,), F32).tolist()
    assert z[:4] == [-0.20410172641277313, -0.08853142708539963, 0.5238832831382751,
                     -0.6658713221549988]
    assert z[-2:] == [2.3022053241729736, -1.4688938856124878]
    assert g.rand((2,), F64).tolist() == [0.345284995209896, 0.8556707572560391]


def test_a_program_draws_what_pytorch_prints():
    src = "import torch\n{}x = torch.randn(3)\nprint(x)\n"
    want = "tensor([ 1.5410, -0.2934, -2.1788])\n"
    assert run(src.format("torch.manual_seed(0)\n"))[1] == want
    assert run(src.format(""))[1] == want               # unseeded: seed 0, every run
    assert run(src.format("torch.manual_seed(2**32)\n"))[1] == want   # the low 32 bits
    assert run(src.format("torch.manual_seed(-1)\n"))[1] != want


SEQUENCE = [   # (what, shape, dtype, mean, std): one generator through all of them
    ("randn", (3,), F32, 0, 1), ("randn", (1,), F32, 0, 1), ("rand", (5,), F32, 0, 1),
    ("randn", (2, 3), F64, 0, 1), ("randn", (17,), F32, 0, 1), ("randn", (40, 3), F32, 0, 1),
    ("rand", (7,), F64, 0, 1), ("randn", (33,), F64, 0, 1), ("normal", (5,), F32, 0.5, 2.0),
    ("normal", (20,), F32, -1.0, 0.01), ("normal", (300,), F32, 3.0, 0.1),
    ("randn", (), F32, 0, 1), ("randn", (256, 256), F32, 0, 1), ("normal", (7,), F64, 1.0, 3.0),
    ("randn", (0,), F32, 0, 1), ("randn", (1,), F32, 0, 1), ("randn", (300_000,), F32, 0, 1),
    ("randn", (5,), F32, 0, 1),
]


@needs_torch
@pytest.mark.parametrize("seed", [0, 1, 42, 2**40 + 3, 2**64 - 1])
def test_every_draw_is_pytorchs(seed):
    g = CPUGenerator(seed)
    torch.manual_seed(seed if seed < 2**63 else seed - 2**64)
    for what, shape, dt, mean, std in SEQUENCE:
        tdt = torch.float32 if dt == F32 else torch.float64
        if what == "rand":
            got, want = g.rand(shape, dt), torch.rand(shape, dtype=tdt).numpy()
        elif what == "randn":
            got, want = g.normal(shape, dt), torch.randn(shape, dtype=tdt).numpy()
        else:
            got = g.normal(shape, dt, mean, std)
            want = torch.normal(mean, std, shape, dtype=tdt).numpy()
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(got, want, err_msg=f"{what}{shape} {dt}")


@needs_torch
@pytest.mark.parametrize("seed, n, mean, std", [
    (0, 512 * 512, 0.0, 1.0), (7, 65_537, 0.0, 1.0), (2**40 + 3, 1_000_003, -0.5, 3.0),
])
def test_big_float32_draws_are_pytorchs_to_the_bit(seed, n, mean, std):
    # PyTorch's AVX2 log and sincos at every size (past its 32K-number
    # chunks and the scratch blocks), float16's blocks too
    torch.manual_seed(seed)
    want = torch.empty(n).normal_(mean, std).numpy()
    half = torch.randn(n, dtype=torch.float16).numpy()
    g = CPUGenerator(seed)
    np.testing.assert_array_equal(g.normal((n,), F32, mean, std), want)
    np.testing.assert_array_equal(g.normal((n,), np.dtype(np.float16)), half)


@needs_torch
def test_big_draws_with_mean_and_std_and_the_draw_after_are_pytorchs():
    # past several 32K-number chunks, an odd size (the last 16 drawn again)
    for dt, tdt in ((F32, torch.float32), (F64, torch.float64)):
        torch.manual_seed(3)
        want = torch.empty(700_001, dtype=tdt).normal_(0.5, 2.0).numpy()
        after = torch.randn(20, dtype=tdt).numpy()
        g = CPUGenerator(3)
        np.testing.assert_array_equal(g.normal((700_001,), dt, 0.5, 2.0), want)
        np.testing.assert_array_equal(g.normal((20,), dt), after)


@needs_torch
@pytest.mark.parametrize("n, mean, std", [(17, 0.3, 1.7), (100_000, -2.0, 0.01)])
def test_float64_normal_with_mean_and_std_is_pytorchs(n, mean, std):
    # 16 numbers or more: z * std + mean with one rounding, as PyTorch's
    # compiler fused it (two roundings differ in a third of the numbers)
    torch.manual_seed(5)
    want = torch.empty(n, dtype=torch.float64).normal_(mean, std).numpy()
    np.testing.assert_array_equal(CPUGenerator(5).normal((n,), F64, mean, std), want)


@pytest.mark.parametrize("shape", [(), (1,), (3, 5), (16,), (300, 7), (512, 256), (2, 0, 3)])
def test_shape_and_own_memory(shape):
    a = CPUGenerator(0).normal(shape, F32)
    assert a.shape == shape and a.dtype == F32 and a.base is None and a.flags.c_contiguous
    assert np.isfinite(a).all()


@pytest.mark.parametrize("n", [1 << 16, 1_000_000])
def test_standard_normal_moments_and_tails(n):
    x = CPUGenerator(1).normal((n,), F32).astype(np.float64)
    tol = 4 / np.sqrt(n)
    assert abs(x.mean()) < tol and abs(x.std() - 1) < tol
    assert abs((x > 1.96).mean() - 0.025) < 0.002 and abs((x < -1.96).mean() - 0.025) < 0.002
    assert np.abs(x).max() < 5.8          # 24-bit uniforms: the tails end at 5.77


def test_uniform_numbers_are_in_range_and_24_bit():
    u = CPUGenerator(3).rand((100_000,), F32).astype(np.float64)
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert np.array_equal(u * 2**24, np.floor(u * 2**24))


def test_seeding_through_the_program():
    src = "manual_seed(5)\nx = randn(2, 3)\nmanual_seed(5)\ny = randn(2, 3)\nz = randn(2, 3)\n"
    rec = gradviz.run_source(src)
    val = {name: rec.nodes[int(rec.variable_ids[name][1:])].value for name in "xyz"}
    assert np.array_equal(val["x"], val["y"]) and not np.array_equal(val["y"], val["z"])
    assert np.array_equal(val["x"].ravel(), CPUGenerator(5).normal((6,), F32))


@pytest.mark.parametrize("call, message", [
    ("normal(0, -1, (2,))", "normal expects std >= 0.0, but found std -1"),
    ("normal(0, float('nan'), (2,))", "normal expects std >= 0.0, but found std nan"),
    ("normal(zeros(2), tensor([float('nan'), 1.0]))", "normal expects all elements of std >= 0.0"),
    ("normal(0, 1)", "normal() received an invalid combination of arguments - got (int, int)"),
    ("normal(0, 1, 3)", "normal() received an invalid combination of arguments"),
    ("normal(0, 1, (2,), dtype=torch.int64)", "\"normal_kernel_cpu\" not implemented for 'Long'"),
    ("normal(zeros(2, requires_grad=True), 1.0)", "normal() of a tensor that requires grad"),
    # the in-place draws (a tensor as std was an internal error the fuzzer found)
    ("zeros(2).normal_(0.5, ones(2))",
     "normal_(): argument 'std' (position 2) must be float, not Tensor"),
    ("zeros(2).uniform_('a', 1)", "uniform_(): argument 'from' (position 1) must be float, not str"),
    ("zeros(2).uniform_(2, 1)",
     "uniform_ expects to return a [from, to) range, but found from=2 > to=1"),
    ("zeros(2).normal_(0, -1)", "normal expects std >= 0.0, but found std -1"),
])
def test_normal_refuses_as_pytorch_does(call, message):
    with pytest.raises(gradviz.GradvizError) as info:
        gradviz.run_source(f"import torch\nx = {call}\n")
    assert message in info.value.message and info.value.span.line == 2


@needs_torch
@pytest.mark.parametrize("call", ["normal(zeros(20) + 1.5, 2.0)", "normal(2.0, ones(3) * 0.5)",
                                  "normal(arange(18.0), ones(18) * 0.1)", "randn_like(ones(4, 5))",
                                  "rand_like(ones(3, dtype=torch.float64))"])
def test_tensor_forms_are_pytorchs(call):
    rec, out = run(f"import torch\ntorch.manual_seed(3)\nx = torch.{call}\nprint(x.tolist())\n")
    ns = {"torch": torch, "zeros": torch.zeros, "ones": torch.ones, "arange": torch.arange}
    torch.manual_seed(3)
    want = eval(f"torch.{call}", ns)
    assert out == f"{want.tolist()}\n"


@needs_torch
def test_init_idioms_draw_pytorchs_numbers():
    src = ("import torch\ntorch.manual_seed(1)\nw = torch.empty(4, 5).normal_(0, 0.01)\n"
           "b = torch.empty(20).uniform_(-0.3, 0.7)\nprint(w.tolist(), b.tolist())\n")
    torch.manual_seed(1)
    w = torch.empty(4, 5).normal_(0, 0.01)
    b = torch.empty(20).uniform_(-0.3, 0.7)
    assert run(src)[1] == f"{w.tolist()} {b.tolist()}\n"


@needs_torch
@pytest.mark.parametrize("seed", [0, 7])
def test_randint_and_randperm_are_pytorchs(seed):
    g = CPUGenerator(seed)
    torch.manual_seed(seed)
    for low, high, shape in ((0, 10, (20,)), (-5, 5, (3, 4)), (0, 2**33, (3,)), (7, 8, (2,))):
        assert np.array_equal(g.integers(shape, low, high),
                              torch.randint(low, high, shape).numpy())
    for n in (0, 1, 2, 17, 300):
        assert np.array_equal(g.permutation(n), torch.randperm(n).numpy())


def test_initial_seed_is_the_last_manual_seed_and_gradviz_default_unseeded():
    _, out = run("print(torch.initial_seed())\ntorch.manual_seed(-1)\nprint(torch.initial_seed())\n")
    assert out.split() == ["0", str(2**64 - 1)]


def test_bernoulli_draws_a_uniform_in_the_probabilities_dtype():
    _, out = run("torch.manual_seed(5)\np = torch.full((6,), 0.5)\n"
                 "print(torch.bernoulli(p).tolist())\nprint(torch.zeros(6).bernoulli_(0.5).tolist())\n")
    g = CPUGenerator(5)
    first = (g.rand((6,), np.dtype(np.float32)) < 0.5).astype(float).tolist()
    second = (g.rand((6,), np.dtype(np.float64)) < 0.5).astype(float).tolist()
    assert out.splitlines() == [str(first), str(second)]


def test_bernoulli_of_probabilities_that_require_grad_is_refused_with_a_hint():
    with pytest.raises(gradviz.GradvizError) as info:
        run("w = torch.tensor([0.5], requires_grad=True)\ntorch.bernoulli(w)\n")
    assert "detach()" in info.value.hint


def test_mT_is_a_transpose_of_the_last_two_dims():
    rec, out = run("x = torch.ones(2, 3, 4, requires_grad=True)\nprint(tuple(x.mT.shape))\n"
                   "x.mH.sum().backward()\n")
    assert out == "(2, 4, 3)\n"
    assert [n.op for n in rec.nodes if not n.is_leaf][0] == "transpose"


def test_set_default_device_cuda_fails_at_the_next_tensor_made_as_a_cpu_build_does():
    # (not a conformance case: the exported programs share one PyTorch process,
    # whose default device it would change for the rest)
    with pytest.raises(gradviz.GradvizError) as info:
        run("torch.set_default_device('cpu')\nx = torch.ones(2)\n"
            "torch.set_default_device('cuda')\ny = 2\nz = torch.ones(3)\n")
    assert info.value.kind == "AssertionError"
    assert info.value.message == "Torch not compiled with CUDA enabled"
