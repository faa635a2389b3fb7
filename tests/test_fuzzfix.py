"""Programs the fuzz generators of tests/fuzz_features.py found crashing,
where the fix is a limit or a refusal (PyTorch itself runs out of memory or
succeeds, so no conformance program can pin it), and the generators'
own reach."""
from __future__ import annotations

import io
import random

import pytest
from fuzz_features import gen_linalg, gen_pyfeat, gen_tensorops, gen_training
from test_fuzz import run_pipeline

import gradviz
from gradviz.errors import GradvizError
from gradviz.tape import Limits


def run(src: str, limits: Limits | None = None):
    return gradviz.run_source(src, stdout=io.StringIO(), limits=limits)


def error_of(src: str, limits: Limits | None = None) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        run(src, limits)
    assert info.value.hint, "an error the program can fix says how"
    return info.value


@pytest.mark.parametrize("call", ["torch.func.jacfwd(lambda t: t * 2)(v)",
                                  "torch.func.jacrev(lambda t: t.exp())(v)",
                                  "torch.func.hessian(lambda t: t.sum())(v)",
                                  "torch.autograd.functional.jacobian(lambda t: t * 2, v)"])
def test_a_jacobian_too_big_is_a_limit_not_a_hang(call):
    # (a 90,000 x 90,000 Jacobian: 90,000 backward passes before)
    exc = error_of(f"import torch\nv = torch.ones(300, 300)\ny = {call}\n",
                   Limits(max_elements=100_000, timeout=5.0))
    assert exc.kind == "LimitError" and "Jacobian" in exc.message


def test_vmap_over_an_empty_batch_is_refused():
    exc = error_of("import torch\ny = torch.func.vmap(lambda t: t.exp())(torch.zeros(0, 3))\n")
    assert exc.kind == "NotImplementedError" and "size 0" in exc.message


@pytest.mark.parametrize("call", ["F.unfold(X, 2, padding=10**6)",
                                  "F.fold(torch.ones(1, 4, 1), (10**6, 10**6), 1, stride=10**6)",
                                  "F.fold(torch.ones(1, 4, 1), (1, 1), 1, padding=10**5, "
                                  "stride=10**6)"])
def test_folds_check_their_sizes_before_making_them(call):
    exc = error_of("import torch\nimport torch.nn.functional as F\n"
                   f"X = torch.randn(1, 4, 4, 4)\ny = {call}\n")
    assert exc.kind == "LimitError"


def test_scheduler_settings_that_are_tensors_are_refused():
    exc = error_of("import torch\nw = torch.zeros(1, requires_grad=True)\n"
                   "opt = torch.optim.SGD([w], lr=0.1)\n"
                   "s = torch.optim.lr_scheduler.StepLR(opt, 2, gamma=torch.tensor(0.5))\n")
    assert exc.kind == "TypeError" and "gamma=" in exc.message


def test_the_transforms_state_is_reset_after_an_error():
    # (backward() inside a transform is refused; the next run's backward is not)
    error_of("import torch\ny = torch.func.vmap(lambda t: t.sum().backward())(torch.ones(2, 2))\n")
    run("import torch\nx = torch.ones(2, requires_grad=True)\n(x * 2).sum().backward()\n")


@pytest.mark.parametrize("gen, words", [
    (gen_tensorops, ("scatter_reduce", "torch.special.", "F.interpolate", "nn.Bilinear")),
    (gen_linalg, ("torch.linalg.", "torch.func.vmap", "functional_call", "torch.func.vjp")),
    (gen_training, ("lr_scheduler.", "clip_grad", "register_forward", "DataLoader",
                    "random_split", "detect_anomaly", "closure")),
    (gen_pyfeat, (":=", "nonlocal", "itertools", "functools", "dataclass", "deepcopy"))])
def test_the_feature_generators_reach_what_they_fuzz(gen, words):
    programs = [gen(random.Random(i)) for i in range(120)]
    text = "".join(programs)
    assert all(w in text for w in words), [w for w in words if w not in text]
    outcomes = {run_pipeline(p) for p in programs[:25]}
    assert "ok" in outcomes and len(outcomes) >= 3


@pytest.mark.parametrize("call", ["torch.xlogy(x, 10**400)", "torch.special.xlogy(10**400, x)",
                                  "torch.isclose(x, x, rtol=10**400)"])
def test_ints_past_floats_range_are_the_number_range_error(call):
    # (as x + 10**400: PyTorch's OverflowError, gradviz's error for any such number)
    exc = error_of(f"import torch\nx = torch.ones(2)\ny = {call}\n")
    assert exc.kind == "OverflowError" and exc.hint


def test_xlogy_gradient_is_zero_where_the_incoming_gradient_is():
    # (PyTorch's xlogy(grad, other): a 0 gradient gives 0 where log(other) is NaN; the
    # values read off torch 2.13: tensor([0., 0., 0.6931, 0.]) and tensor([-0., -0., 1., nan]))
    out = io.StringIO()
    gradviz.run_source("import torch\nx = torch.tensor([1.0, 0.0, 2.0, 0.0], requires_grad=True)\n"
                       "v = torch.tensor([-1.0, -1.0, 2.0, 0.0], requires_grad=True)\n"
                       "g = torch.tensor([0.0, 1.0, 1.0, 1.0])\n"
                       "gx, gv = torch.autograd.grad(torch.xlogy(x, v), (x, v), g)\n"
                       "print(gx, gv)\n", stdout=out)
    assert out.getvalue() == "tensor([0.0000, 0.0000, 0.6931, 0.0000]) tensor([-0., -0., 1., nan])\n"


@pytest.mark.parametrize("call", ["torch.tensor_split(torch.ones(4), 99999999)",
                                  "F.adaptive_max_pool2d(torch.ones(1, 2, 2), (1, 2**63))"])
def test_huge_counts_are_refused_before_the_work(call):
    # (found by the huge inputs: 99,999,999 sections made one by one; a 2**63-wide pool)
    exc = error_of(f"import torch\nimport torch.nn.functional as F\ny = {call}\n",
                   Limits(max_nodes=20_000, timeout=5.0))
    # (the pool's size is PyTorch's TypeError: 2**63 does not unpack as a long long)
    assert exc.kind in ("LimitError", "ValueError", "TypeError")


@pytest.mark.parametrize("use", ["for b in DataLoader(D(), shuffle=True):\n    pass\n",
                                 "parts = random_split(D(), [99999998, 1])\n"])
def test_a_shuffle_of_a_huge_dataset_is_refused_before_the_work(use):
    # (a __len__ of 10**8: the shuffle alone ran for minutes past the time limit)
    exc = error_of("import torch\nfrom torch.utils.data import Dataset, DataLoader, random_split\n"
                   "class D(Dataset):\n    def __len__(self):\n        return 99999999\n"
                   "    def __getitem__(self, i):\n        return i\n" + use)
    assert exc.kind == "LimitError" and "99,999,999" in exc.message
