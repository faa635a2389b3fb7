"""torch.multinomial and torch.distributions' draws: PyTorch's indices and
numbers for the same seed (with torch installed, many seeds and shapes are
compared with it; pinned numbers otherwise)."""
import contextlib
import io
import random

import numpy as np
import pytest

import gradviz
from gradviz.rng import CPUGenerator
from machine import REFERENCE, cpu_capability, outputs_match

try:
    import torch
except ImportError:
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")


def _gradviz_out(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


def _torch_out(src: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(src, {})
    return out.getvalue()


def test_exponential_is_pytorchs():
    # torch.manual_seed(1); torch.empty(3, dtype=torch.float64).exponential_()
    assert CPUGenerator(1).exponential(3, np.dtype(np.float64)).tolist() == [
        0.06299653697405214, 0.25431758454511355, 0.26690281625843426]


def test_pinned_multinomial_draws():
    src = ("import torch\ntorch.manual_seed(0)\np = torch.ones(6) / 6\n"
           "print(torch.multinomial(p, 3), torch.multinomial(p, 8, True))\n")
    assert _gradviz_out(src) == "tensor([2, 4, 1]) tensor([1, 2, 3, 1, 2, 1, 2, 3])\n"


@needs_torch
def test_multinomial_many_seeds_and_shapes():
    rnd = random.Random(3)
    for _ in range(120):
        c = rnd.choice([1, 2, 3, 7, 40])
        rows = rnd.choice([0, 1, 3])
        replacement = rnd.random() < 0.5
        n = rnd.randint(1, 3 * c if replacement else c)
        shape = f"({c},)" if rows == 0 else f"({rows}, {c})"
        dtype = rnd.choice(["float32", "float64"])
        zero = "p[..., 0] = 0.0\n" if c > 1 and rnd.random() < 0.3 else ""
        src = (f"import torch\ntorch.manual_seed({rnd.randrange(10**6)})\n"
               f"p = torch.rand({shape}, dtype=torch.{dtype})\n{zero}"
               f"print(torch.multinomial(p, {n}, {replacement}).tolist(), torch.rand(1).item())\n")
        assert _gradviz_out(src) == _torch_out(src), src


@needs_torch
def test_distribution_samples_many_seeds():
    rnd = random.Random(4)
    for _ in range(30):
        k = rnd.choice([2, 3, 6])
        src = (f"import torch\nfrom torch.distributions import Categorical, Multinomial, "
               f"Normal, Bernoulli\ntorch.manual_seed({rnd.randrange(10**6)})\n"
               f"p = torch.rand({k}) + 0.01\n"
               f"print(Categorical(p).sample(({rnd.randint(1, 20)},)).tolist())\n"
               f"print(Multinomial({rnd.randint(1, 50)}, p).sample(({rnd.randint(1, 3)},))"
               f".tolist())\n"
               f"print(Normal(torch.zeros({k}), p).sample(({rnd.randint(1, 20)},)).tolist())\n"
               f"print(Bernoulli(p.clamp(max=1)).sample().tolist())\n")
        assert _gradviz_out(src) == _torch_out(src), src


@needs_torch
def test_uniform_draws_many_seeds():
    rnd = random.Random(7)
    for _ in range(10):
        src = (f"import torch\nfrom torch.distributions import Uniform\n"
               f"torch.manual_seed({rnd.randrange(10**6)})\n"
               f"u = Uniform(torch.tensor([-1.0, 0.5]), torch.tensor([2.0, 0.75]))\n"
               f"print(u.sample(({rnd.randint(1, 9)},)).tolist(), u.rsample().tolist())\n")
        assert _gradviz_out(src) == _torch_out(src), src


def test_kl_of_independents_reinterpreting_different_dims_is_refused():
    # PyTorch raises a NotImplementedError with no message (the oracle's
    # recording cannot hold it, so it is pinned here)
    src = ("import torch\nfrom torch.distributions import Normal, Independent, kl_divergence\n"
           "n = Normal(torch.zeros(2, 2), torch.ones(2, 2))\n"
           "k = kl_divergence(Independent(n, 1), Independent(n, 2))\n")
    with pytest.raises(gradviz.GradvizError) as info:
        gradviz.run_source(src)
    assert info.value.kind == "NotImplementedError"
    assert info.value.message == ""
    assert "1 and 2" in info.value.hint


@needs_torch
def test_moments_many_seeds_and_shapes():
    """mean, variance, stddev of Bernoulli, Categorical, Multinomial (from
    probs and from logits) and their gradients, as PyTorch gives them.
    (stddev as print shows it: PyTorch's vectorised float32 sqrt is off
    numpy's correctly rounded one in the last bit for some numbers.)"""
    rnd = random.Random(11)
    for _ in range(12):
        shape = rnd.choice(["3", "2, 4", "1"])
        n = rnd.randint(1, 9)
        src = (f"import torch\nfrom torch.distributions import Bernoulli, Categorical, "
               f"Multinomial\ntorch.manual_seed({rnd.randrange(10**6)})\n"
               f"z = torch.randn({shape}, requires_grad=True)\n"
               f"p = torch.rand({shape}, requires_grad=True)\n"
               f"ds = [Bernoulli(logits=z), Bernoulli(p), Categorical(logits=z), "
               f"Multinomial({n}, logits=z), Multinomial({n}, p)]\n"
               "for d in ds:\n"
               "    print(d.mean.tolist(), d.variance.tolist(), d.stddev)\n"
               "    if d.variance.requires_grad:\n"
               "        (d.mean.sum() + d.variance.sum()).backward()\n"
               "print(z.grad.tolist(), p.grad.tolist())\n")
        assert _gradviz_out(src) == _torch_out(src), src


def test_categorical_moments_are_nan_without_gradient():
    out = _gradviz_out("import torch\nfrom torch.distributions import Categorical\n"
                       "z = torch.zeros(2, 3, requires_grad=True)\nm = Categorical(logits=z).mean\n"
                       "print(m, m.requires_grad)\n")
    assert out == "tensor([nan, nan]) False\n"


@needs_torch
def test_multinomial_entropy_many_seeds_and_shapes():
    rnd = random.Random(5)
    for _ in range(8):
        shape = rnd.choice(["3", "2, 4", "2"])
        src = (f"import torch\nfrom torch.distributions import Multinomial\n"
               f"torch.manual_seed({rnd.randrange(10**6)})\n"
               f"z = torch.randn({shape}, requires_grad=True)\n"
               f"h = Multinomial({rnd.randint(1, 12)}, logits=z).entropy()\n"
               "h.sum().backward()\nprint(h.tolist())\nprint(z.grad.tolist())\n")
        ours, theirs = _gradviz_out(src).splitlines(), _torch_out(src).splitlines()
        assert outputs_match(ours[0], theirs[0]), src
        # (gradients: within float32 rounding; some differ in the last bit. On
        # a CPU other than the reference one, PyTorch's exp and log, MKL's,
        # move, and the entropy's cancelling sum makes that 1e-4: machine.py)
        rtol = 1e-6 if cpu_capability() == REFERENCE else 1e-3
        assert np.allclose(eval(ours[1]), eval(theirs[1]), rtol=rtol, atol=1e-7), src
