"""Bool arguments (keepdim, requires_grad, largest, ...) take only a Python
bool, as PyTorch's do: its TypeError, with "(position N)" counted from the
input in torch.NAME and from after self in x.NAME."""
import inspect

import pytest

from gradviz.errors import GradvizError
from gradviz.functions import FUNCTIONS, METHODS
from gradviz import bool_args    # (after functions, which installs it)
from programs import python_prints, run

torch = pytest.importorskip("torch")

REDUCTIONS = ("sum", "prod", "nansum", "argmax", "argmin", "amax", "amin", "logsumexp",
              "median", "mean", "max", "min", "any", "all")


def first_line(call: str):
    """What torch says to call (x a 2x2 float tensor): its error's first line."""
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    try:
        eval(call, {"torch": torch, "x": x})
    except TypeError as exc:
        return str(exc).splitlines()[0]
    return None


def gradviz_error(call: str) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        run(f"import torch\nx = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\ny = {call}\n")
    return info.value


@pytest.mark.parametrize("name", REDUCTIONS)
@pytest.mark.parametrize("form", ["x.{}(1, 1)", "torch.{}(x, 1, 1)", "x.{}(1, keepdim=0)",
                                  "torch.{}(x, dim=1, keepdim=None)"])
def test_keepdim_refused_as_pytorch_words_it(name, form):
    call = form.format(name)
    expected = first_line(call)
    assert expected is not None
    err = gradviz_error(call)
    assert (err.kind, err.message.splitlines()[0], err.span.line) == ("TypeError", expected, 3)
    assert err.hint


def test_requires_grad_0_is_refused_and_leaves_the_flag():
    src = """import torch
x = torch.ones(2, requires_grad=True)
try:
    x.requires_grad_(0)
except TypeError as e:
    print(e)
print(x.requires_grad)
"""
    _, out = run(src)
    assert out == ("requires_grad_(): argument 'requires_grad' (position 1) must be bool, "
                   "not int\nTrue\n")


def test_python_bools_and_backward_flags_still_run():
    src = """import torch
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x.sum(1, True) * x.amax(1, keepdim=False).unsqueeze(1)).sum()
y.backward(retain_graph=1)
print(x.grad)
"""
    _, out = run(src)
    assert out == python_prints(src)       # (PyTorch's run of it)
    assert out.startswith("tensor([[")


@pytest.mark.parametrize("name", sorted(bool_args.TABLE))
def test_the_wrapped_keep_their_signatures(name):
    # (`gradviz ops` and the in-place forms read the parameters)
    _, function_wording, method_wording = bool_args.TABLE[name]
    for table, wording in ((FUNCTIONS, function_wording), (METHODS, method_wording)):
        if wording:
            wrapped = table[name]
            assert inspect.signature(wrapped) == inspect.signature(wrapped.__wrapped__)
