"""torch.optim.SGD (its printouts pinned against PyTorch by
conformance_extra/optim_*): settings, errors, and its steps in the record."""
import numpy as np
import pytest

from gradviz.errors import GradvizError
from programs import run
from machine import REFERENCE, cpu_capability, outputs_match


def assert_torch_output(got: str, want: str) -> None:
    """gradviz printed what PyTorch printed here (machine.py: on a CPU other
    than the reference one, PyTorch's sqrt, MKL's, moves in the last bit)."""
    if not outputs_match(got, want):
        assert got == want


def test_a_step_is_the_in_place_update_a_program_would_write():
    # the same values, bit for bit, as the hand-written update with PyTorch's
    # fused multiply-add (add_(g, alpha=-lr)): checked against torch's own
    rec, out = run("w = tensor([1.0, -2.0], requires_grad=True)\n"
                   "opt = torch.optim.SGD([w], lr=0.01)\n"
                   "loss = ((tensor([[1.0, 2.0], [3.0, 4.0]]) @ w - 1) ** 2).mean()\n"
                   "loss.backward()\nopt.step()\nprint(w.tolist())\n")
    torch = pytest.importorskip("torch")
    tw = torch.tensor([1.0, -2.0], requires_grad=True)
    ((torch.tensor([[1.0, 2.0], [3.0, 4.0]]) @ tw - 1) ** 2).mean().backward()
    torch.optim.SGD([tw], lr=0.01).step()
    assert out == f"{tw.tolist()}\n"
    assert [e["op"] for e in rec.events if e["kind"] == "inplace"] == ["add_"]


def test_zero_grad_sets_none_or_zeros():
    _, out = run("w = ones(2, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
                 "(w * 2).sum().backward()\nopt.zero_grad(set_to_none=False)\nprint(w.grad)\n"
                 "opt.zero_grad()\nprint(w.grad)\n")
    assert out == "tensor([0., 0.])\nNone\n"


def test_momentum_keeps_a_buffer_per_parameter():
    rec, out = run("w = tensor([1.0], requires_grad=True)\n"
                   "opt = torch.optim.SGD([w], lr=0.1, momentum=0.5)\n"
                   "for i in range(3):\n    opt.zero_grad()\n    (w * 1.0).sum().backward()\n"
                   "    opt.step()\nprint(w.item())\n")
    # grads are all 1: buffer 1, 1.5, 1.75; w = 1 - 0.1 * (1 + 1.5 + 1.75)
    assert float(out) == pytest.approx(1 - 0.1 * 4.25, abs=1e-6)
    assert np.isclose(rec.variables["w"].final_value, 0.575)


@pytest.mark.parametrize("args, words", [
    ("[], lr=0.1", "optimizer got an empty parameter list"),
    ("[w], lr=-1", "Invalid learning rate: -1"),
    ("[w], lr=0.1, momentum=-0.5", "Invalid momentum value: -0.5"),
    ("[w], lr=0.1, nesterov=True", "Nesterov momentum requires a momentum and zero dampening"),
    ("[3], lr=0.1", "optimizer can only optimize Tensors, but one of the params is int"),
    ("w, lr=0.1", "should be an iterable of Tensors"),
])
def test_errors_are_pytorch_s(args, words):
    with pytest.raises(GradvizError) as info:
        run(f"w = ones(2, requires_grad=True)\nopt = torch.optim.SGD({args})\n")
    assert words in info.value.message and info.value.span.line == 2


def test_parameter_groups_step_with_their_own_settings():
    import io
    import gradviz
    out = io.StringIO()
    gradviz.run_source(
        "import torch\nw = torch.ones(2, requires_grad=True)\nb = torch.ones(1, requires_grad=True)\n"
        "opt = torch.optim.SGD([{'params': w, 'weight_decay': 1.0}, {'params': [b]}], lr=0.5)\n"
        "(w.sum() + b.sum()).backward()\nopt.step()\n"
        "opt.param_groups[1]['lr'] = 0.25\nopt.step()\n"
        "print(w.data, b.data, sorted(opt.param_groups[1])[:3])\n", stdout=out)
    # w: 1 - 0.5 * (1 + 1) = 0, then 0 - 0.5 * (1 + 0) = -0.5; b: 1 - 0.5, then - 0.25
    assert out.getvalue() == "tensor([-0.5000, -0.5000]) tensor([0.2500]) " \
                             "['dampening', 'differentiable', 'foreach']\n"


def test_adam_kernels_round_as_pytorch_s_cpu_kernels():
    # lerp_ (both sides of weight 0.5), addcmul_ and addcdiv_ against torch's
    # own on float32 tensors short (the scalar tail) and long (the vectors)
    torch = pytest.importorskip("torch")
    from gradviz.optim import _addcdiv, _addcmul, _lerp
    rng = np.random.default_rng(3)
    for n in (1, 3, 7, 40, 100):
        s, e = (rng.standard_normal((2, n)) * 3).astype(np.float32)
        d = np.abs(e) + np.float32(0.1)
        for w in (0.1, 0.09999999999999998, 0.7):
            assert np.array_equal(_lerp(s, e, w), torch.tensor(s).lerp_(torch.tensor(e), w).numpy())
        assert np.array_equal(_addcmul(s, e, e, 0.001),
                              torch.tensor(s).addcmul_(torch.tensor(e), torch.tensor(e),
                                                       value=0.001).numpy())
        assert np.array_equal(_addcdiv(s, e, d, -0.0123),
                              torch.tensor(s).addcdiv_(torch.tensor(e), torch.tensor(d),
                                                       value=-0.0123).numpy())


def test_adam_steps_are_pytorch_s():
    torch = pytest.importorskip("torch")
    program = ("w = tensor([0.5, -1.0, 2.0], requires_grad=True)\nb = tensor(0.25, requires_grad=True)\n"
               "opt = torch.optim.Adam([w, b], lr=0.05)\nfor i in range(12):\n"
               "    opt.zero_grad()\n    ((w * tensor([1.0, 2.0, 3.0]) + b - 1) ** 2).sum().backward()\n"
               "    opt.step()\nprint(w.tolist(), b.tolist())\n")
    rec, out = run(program)
    tw = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    tb = torch.tensor(0.25, requires_grad=True)
    opt = torch.optim.Adam([tw, tb], lr=0.05)
    for _ in range(12):      # (at the 13th, torch.sqrt, MKL's, is 1 ulp off: see README)
        opt.zero_grad()
        ((tw * torch.tensor([1.0, 2.0, 3.0]) + tb - 1) ** 2).sum().backward()
        opt.step()
    assert_torch_output(out, f"{tw.tolist()} {tb.tolist()}\n")
    # each step writes w in place: addcdiv_, after its averages' lerp_, mul_, addcmul_
    ops = [e["op"] for e in rec.events if e["kind"] == "inplace"]
    assert ops.count("addcdiv_") == 24 and ops.count("lerp_") == 24


def test_adam_prints_and_checks_as_pytorch():
    _, out = run("w = ones(2, requires_grad=True)\n"
                 "print(torch.optim.Adam([w], betas=(0.8, 0.9), amsgrad=True))\n")
    assert out.startswith("Adam (\nParameter Group 0\n    amsgrad: True\n    betas: (0.8, 0.9)\n")
    assert "    decoupled_weight_decay: False\n    differentiable: False\n    eps: 1e-08\n" in out
    for args, words in (("[w], eps=-1", "Invalid epsilon value: -1"),
                        ("[w], betas=(1.5, 0.9)", "Invalid beta parameter at index 0: 1.5"),
                        ("[]", "optimizer got an empty parameter list")):
        with pytest.raises(GradvizError) as info:
            run(f"w = ones(2, requires_grad=True)\nopt = torch.optim.Adam({args})\n")
        assert words in info.value.message


@pytest.mark.parametrize("make", [
    "Adagrad([w, b], lr=0.1, lr_decay=0.01, initial_accumulator_value=0.5)",
    "RMSprop([w, b], lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)",
])
def test_adagrad_and_rmsprop_steps_are_pytorch_s(make):
    torch = pytest.importorskip("torch")
    rec, out = run("w = tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
                   "b = tensor(0.25, requires_grad=True)\n"
                   f"opt = torch.optim.{make}\nfor i in range(8):\n"
                   "    opt.zero_grad()\n    ((w * tensor([1.0, 2.0, 3.0]) + b - 1) ** 2).sum().backward()\n"
                   "    opt.step()\nprint(w.tolist(), b.tolist(), type(opt).__name__)\n")
    tw = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    tb = torch.tensor(0.25, requires_grad=True)
    opt = eval(f"torch.optim.{make}", {"torch": torch, "w": tw, "b": tb})
    for _ in range(8):
        opt.zero_grad()
        ((tw * torch.tensor([1.0, 2.0, 3.0]) + tb - 1) ** 2).sum().backward()
        opt.step()
    assert_torch_output(out, f"{tw.tolist()} {tb.tolist()} {type(opt).__name__}\n")


def test_optimizers_are_classes_under_torch_optim_optimizer():
    _, out = run("w = tensor([1.0], requires_grad=True)\n"
                 "for make in (torch.optim.SGD, torch.optim.Adam, torch.optim.Adagrad, "
                 "torch.optim.RMSprop):\n"
                 "    opt = make([w], lr=0.1)\n"
                 "    print(isinstance(opt, torch.optim.Optimizer), type(opt) is make, "
                 "isinstance(opt, torch.optim.SGD))\n"
                 "print(isinstance(w, torch.optim.Optimizer))\n")
    assert out.splitlines() == ["True True True", "True True False", "True True False",
                                "True True False", "False"]


def test_an_optimizer_made_with_wrong_arguments_is_its_init_type_error():
    with pytest.raises(GradvizError) as info:
        run("w = tensor([1.0], requires_grad=True)\nopt = torch.optim.Adam([w], momentum=0.9)\n")
    assert info.value.kind == "TypeError"
    assert info.value.message == "Adam.__init__() got an unexpected keyword argument 'momentum'"


def test_a_group_added_with_lr_none_fails_at_step_as_pytorch():
    # (an internal error before, found by fuzzing)
    with pytest.raises(GradvizError) as info:
        run("w = torch.ones(2, requires_grad=True)\n"
                           "opt = torch.optim.SGD([w], lr=0.1)\n"
                           "v = torch.ones(2, requires_grad=True)\n"
                           "opt.add_param_group({'params': [v], 'lr': None})\n"
                           "(w * v).sum().backward()\nopt.step()\n")
    assert info.value.message == "bad operand type for unary -: 'NoneType'"
    assert info.value.span.line == 6 and info.value.hint


@pytest.mark.parametrize("make", [
    "AdamW([W, v], lr=0.05, amsgrad=True, weight_decay=0.1)",
    "NAdam([W, v], lr=0.05)",
    "NAdam([W, v], lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)",
    "RAdam([W, v], lr=0.05)",
    "Adamax([W, v], lr=0.05, weight_decay=0.1, maximize=True)",
    "Adadelta([W, v], lr=0.5, rho=0.8, weight_decay=0.1)",
    "Rprop([W, v], lr=0.1, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))",
    "ASGD([W, v], lr=0.05, t0=5, lambd=0.01, weight_decay=0.1)",
])
def test_newer_optimizers_step_as_pytorch_s_bit_for_bit(make):
    torch = pytest.importorskip("torch")
    program = ("torch.manual_seed(0)\nW = torch.randn(2, 3, requires_grad=True)\n"
               "v = torch.randn(3, requires_grad=True)\nX = torch.randn(5, 1, 3)\ny = torch.randn(5)\n"
               f"opt = torch.optim.{make}\nfor i in range(20):\n    opt.zero_grad()\n"
               "    ((((X * W).sum(2) * v[:2]).sum(1) - y) ** 2).mean().backward()\n"
               "    opt.step()\nprint(W.tolist(), v.tolist())\n")
    rec, out = run(program)
    ns = {"torch": torch}
    exec(program.replace("print(", "result = ("), ns)
    assert out == f"{ns['result'][0]} {ns['result'][1]}\n"
    # the parameter is written in place at each step
    assert sum(e["kind"] == "inplace" and e["node"] == rec.variables["W"].seq
               for e in rec.events) >= 20


def test_lbfgs_reaches_pytorch_s_iterates_and_counts():
    # the directions use dot products summed in another order than MKL's
    # sdot, so the values agree to float32's precision, not to the bit
    torch = pytest.importorskip("torch")
    program = ("torch.manual_seed(1)\nX = torch.randn(12, 4)\ny = torch.randn(12)\n"
               "w = torch.zeros(4, requires_grad=True)\n"
               "opt = torch.optim.LBFGS([w], lr=0.8, max_iter=4, history_size=2)\n"
               "def closure():\n    opt.zero_grad()\n    loss = ((X @ w - y) ** 2).mean()\n"
               "    loss.backward()\n    return loss\n"
               "losses = [opt.step(closure).item() for i in range(3)]\n"
               "state = opt.state_dict()['state'][0]\n"
               "print((losses, w.tolist(), state['func_evals'], state['n_iter']))\n")
    _, out = run(program)
    ns = {"torch": torch}
    exec(program.replace("print((", "result = (("), ns)
    losses, values, evals, iters = eval(out, {})
    if cpu_capability() == REFERENCE:       # (elsewhere a last bit may take another path)
        assert (evals, iters) == ns["result"][2:]
    assert np.allclose(losses, ns["result"][0], rtol=1e-5)
    assert np.allclose(values, ns["result"][1], rtol=1e-5, atol=1e-6)


def test_step_with_a_closure_returns_its_loss_and_steps_on_its_gradients():
    _, out = run("w = tensor([1.0, 2.0], requires_grad=True)\n"
                 "opt = torch.optim.SGD([w], lr=0.25)\n"
                 "def closure():\n    opt.zero_grad()\n    loss = (w * w).sum()\n"
                 "    loss.backward()\n    return loss\n"
                 "with torch.no_grad():\n    loss = opt.step(closure)\nprint(loss, w)\n")
    assert out == "tensor(5., grad_fn=<SumBackward0>) tensor([0.5000, 1.0000], " \
                  "requires_grad=True)\n"
