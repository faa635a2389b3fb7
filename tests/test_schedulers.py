"""torch.optim.lr_scheduler (schedules pinned against PyTorch by
conformance_extra/lr_*): the order warning, reading and writing the
groups' lr, attributes and errors."""
import pytest

from gradviz.errors import GradvizError
from programs import run

ORDER = "Detected call of `lr_scheduler.step()` before `optimizer.step()`"
SETUP = ("w = torch.ones(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
         "sched = torch.optim.lr_scheduler.StepLR(opt, 2)\n")


def _warnings(rec) -> list:
    return [(e["line"], e["message"][:len(ORDER)]) for e in rec.events
            if e["kind"] == "user_warning"]


def test_stepping_the_scheduler_first_warns_as_pytorch_does():
    rec, _ = run(SETUP + "for i in range(2):\n    sched.step()\n    (w * w).sum().backward()\n"
                         "    opt.step()\n")
    assert _warnings(rec) == [(5, ORDER)]          # (once: at the scheduler's first step)


def test_the_right_order_gives_no_warning():
    rec, out = run(SETUP + "for i in range(4):\n    (w * w).sum().backward()\n    opt.step()\n"
                           "    sched.step()\nprint(sched.get_last_lr(), sched.last_epoch)\n")
    assert _warnings(rec) == [] and out == "[0.0010000000000000002] 4\n"


def test_a_step_made_before_the_scheduler_does_not_count():
    # PyTorch watches the optimizer's step() from the scheduler's making on
    rec, _ = run("w = torch.ones(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
                 "(w * w).sum().backward()\nopt.step()\n"
                 "sched = torch.optim.lr_scheduler.StepLR(opt, 2)\nsched.step()\n")
    assert [m for _, m in _warnings(rec)] == [ORDER]


def test_step_with_an_epoch_warns_and_uses_the_closed_form():
    rec, out = run(SETUP + "sched.step(5)\nprint(sched.get_last_lr(), sched.last_epoch)\n")
    assert out == "[0.0010000000000000002] 5\n"
    assert any("The epoch parameter" in m for _, m in _warnings(rec))


def test_the_program_s_writes_to_lr_are_the_schedule_s_start():
    _, out = run(SETUP + "opt.param_groups[0]['lr'] = 1.0\n(w * w).sum().backward()\nopt.step()\n"
                         "sched.step()\nsched.step()\nprint(opt.param_groups[0]['lr'], "
                         "opt.param_groups[0]['initial_lr'], w)\n")
    assert out == "0.1 0.1 tensor([-1., -1., -1.], requires_grad=True)\n"


def test_lambda_lr_calls_the_program_s_function():
    _, out = run("w = torch.ones(1, requires_grad=True)\nopt = torch.optim.Adam([w], lr=1.0)\n"
                 "def warm(epoch):\n    return min(1.0, (epoch + 1) / 3)\n"
                 "sched = torch.optim.lr_scheduler.LambdaLR(opt, warm)\n"
                 "for i in range(3):\n    opt.step()\n    sched.step()\n"
                 "    print(sched.get_last_lr())\n")
    assert out == "[0.6666666666666666]\n[1.0]\n[1.0]\n"


@pytest.mark.parametrize("make, kind, words", [
    ("StepLR(w, 2)", "TypeError", "Tensor is not an Optimizer"),
    ("StepLR(opt)", "TypeError", "missing 1 required positional argument: 'step_size'"),
    ("LambdaLR(opt, [abs, abs])", "ValueError", "Expected 1 lr_lambdas, but got 2"),
    ("MultiplicativeLR(opt, 0.9)", "TypeError", "lr_lambda should be a function, but got float"),
    ("ReduceLROnPlateau(opt, mode='up')", "ValueError", "mode up is unknown!"),
    ("ConstantLR(opt, factor=2)", "ValueError", "Constant multiplicative factor expected"),
])
def test_errors_are_pytorch_s(make, kind, words):
    with pytest.raises(GradvizError) as info:
        run("w = torch.ones(3, requires_grad=True)\nopt = torch.optim.SGD([w], lr=0.1)\n"
            f"sched = torch.optim.lr_scheduler.{make}\n")
    assert info.value.kind == kind and words in info.value.message
    assert info.value.span.line == 3


def test_schedulers_are_lr_schedulers_and_print_as_objects():
    _, out = run(SETUP + "print(isinstance(sched, torch.optim.lr_scheduler.LRScheduler), "
                         "type(sched).__name__, str(sched).startswith("
                         "'<torch.optim.lr_scheduler.StepLR object at 0x'))\n")
    assert out == "True StepLR True\n"


def test_get_lr_warns_as_pytorch_does():
    rec, out = run(SETUP + "print(sched.get_lr())\n")
    assert out == "[0.1]\n"
    assert [m for e in rec.events if e["kind"] == "user_warning"
            for m in [e["message"]]] == ["To get the last learning rate computed by the "
                                         "scheduler, please use `get_last_lr()`."]



def _type_error(program: str) -> str:
    with pytest.raises(GradvizError) as info:
        run("w = torch.ones(3, requires_grad=True)\n" + program)
    assert info.value.kind == "TypeError"
    return info.value.message


# PyTorch schedules a tensor lr by filling it in place (every schedule here
# too: conformance_extra/pyworld2_scheduler_tensor_lr, lr_sched_*_tensor_lr),
# and a closed form given a tensor epoch computes a tensor lr: the tensor
# epoch is refused by name here
def test_a_tensor_epoch_of_a_closed_form_is_refused_by_name():
    assert _type_error("opt = torch.optim.SGD([w], lr=0.1)\n"
                       "sched = torch.optim.lr_scheduler.StepLR(opt, 2)\n"
                       "sched.step(torch.tensor(4))\n") \
        == "gradviz's StepLR takes a number epoch in step(epoch), not a tensor"
