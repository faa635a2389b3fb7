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


def torch_message(call: str):
    """What torch says to call (x a 2x2 float tensor): its TypeError's
    message, None where it takes the call."""
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    try:
        eval(call, {"torch": torch, "x": x})
    except TypeError as exc:
        return str(exc)
    return None


def first_line(call: str):
    message = torch_message(call)
    return message and message.splitlines()[0]


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
    function_forms, method_forms = bool_args.TABLE[name]
    for table, forms in ((FUNCTIONS, function_forms), (METHODS, method_forms)):
        if forms:
            wrapped = table[name]
            assert inspect.signature(wrapped) == inspect.signature(wrapped.__wrapped__)


# calls no form of PyTorch's takes, each class of them: keepdim without a
# dim, a missing argument, too many positional ones, an unknown or repeated
# keyword, None or a float for a bool, a dtype given by position
REFUSED = [
    "x.sum(keepdim=True)", "torch.sum(x, keepdim=True)", "x.mean(keepdim=False)",
    "x.max(keepdim=True)", "x.median(keepdim=0)", "torch.median(x, keepdim=None)",
    "x.argsort(stable=None)", "torch.argsort(x, stable=None)", "x.argsort(0, True, True)",
    "torch.argsort(x, 0, True, True)", "torch.argsort(x, stable=True, dim=0, descending=1)",
    "x.sort(0, True, stable=None)", "x.sort(stable=1.0)",
    "x.sum(1, True, 1)", "torch.sum(x, 1, True, 1)", "x.prod(1, True, 1)", "x.mean(1, True, 1)",
    "x.max(1, True, 1)", "torch.max(x, 1, True, 1)", "x.any(1, True, 1)",
    "torch.logsumexp(x, keepdim=1)", "x.logsumexp()", "torch.logsumexp(dim=1)", "torch.logsumexp()",
    "torch.as_tensor([1.0], requires_grad=True)", "torch.as_tensor([1.0], torch.float32)",
    "torch.sum(x, 1, 1.0)", "torch.sum(x, 1, None)", "x.amax(1, 1.0)", "x.argmax(1, None)",
    "torch.sum(dim=1)", "torch.sum()", "torch.any(dim=1)", "x.nansum(1, True, 1)",
    "x.amax(1, True, foo=1)", "x.argmin(1, keepdim=True, dim=0)", "x.max(1, keepdim=True, dim=0)",
    "x.topk()", "x.topk(1, 0, True, True, 1)", "x.topk(k=1, sorted=None)",
    "x.isclose()", "torch.allclose(x)", "torch.isclose(x, x, 1e-5, 1e-8, 1.0)",
    "x.requires_grad_(True, 1)", "x.requires_grad_(None)",
    "torch.tensor()", "torch.tensor([1.0], torch.float32)", "torch.tensor([1.0], requires_grad=None)",
    "torch.ones()", "torch.full((2,))", "torch.full((2,), 1.0, torch.float64)",
    "torch.full_like(x)", "torch.ones_like(x, torch.float64)", "torch.rand()", "torch.eye()",
    "torch.linspace(0, 1)", "torch.eye(2, 2, torch.float64)", "torch.ones((2,), 3)",
    "torch.ones(2, 3, size=(2,))", "torch.rand(2, requires_grad=1)",
    "x.new_ones()", "x.new_full((2,))", "x.new_tensor([1.0], torch.float64)",
    "x.new_tensor([1.0], requires_grad=None)",
    "torch.linalg.vector_norm()", "torch.linalg.norm(x, keepdim=None)",
    # (the dim's and the dtype's kind: an int, a tuple of ints, a dtype)
    "x.max(None, True)", "x.min(dim=None, keepdim=True)", "x.prod(None, True)",
    "x.median((0, 1), True)", "x.argmax((0, 1), True)", "x.logsumexp(dim=None, keepdim=True)",
    "x.max((0, 1), True)", "x.sum(1, True, dtype=1)", "x.mean(dtype='float')", "x.sum(1.0)",
    "x.max(True)", "x.topk(1.0)", "x.sort(dim=None)",
]


# a value of the wrong kind for the most-called functions' forms (each
# that fits the call's count says why it did not match)
WRONG_KINDS = [
    "torch.add(x)", "x.add()", "torch.sub(x, x, x, x)", "x.mul('a')", "torch.div(x, 'a')",
    "x.div()", "x.div(x, rounding_mode=1)", "x.clamp(1, 2, 3)", "torch.clamp(x, 'a')",
    "x.clip(min='a')", "torch.pow('a', 'b')", "x.pow('a')", "x.pow(exponent=None)",
    "torch.where(x > 0, 'a', 'b')", "torch.where(x > 0, x, 'a')", "x.where(x > 0)",
    "x.where(x > 0, 'a')", "x.view('a')", "x.view(1.5, 2)", "x.view()", "x.view(dtype=1)",
    "x.reshape()", "torch.reshape(x, 2, 2)", "torch.matmul(x, 1)", "x.mm()", "torch.mm(x, 'a')",
    "torch.cat(x)", "torch.stack([x], 'a')", "torch.cat()", "x.max(1.5)", "x.max(dim=1.5)",
    "x.max(other=1.5)", "x.min((1, 2.0))", "x.min([0])", "torch.min(x, (0,))", "x.any('a')",
    "torch.all(x, 0.5)", "x.prod('a')", "torch.mean(x, 'a', 'b')", "torch.arange('a')",
    "torch.arange(1, 'a')", "torch.eye(2, 'a')", "torch.linspace(0, 1, 'a')", "torch.randint(5)",
    "torch.linalg.norm(x, 'a', 'b', 'c')", "x.sort('a', 'b')", "x.argsort(x)",
    "x.lerp(x, 'a')", "torch.lerp(x)", "x.masked_fill(x > 0)", "x.fill_('a')",
    "x.geometric_(p='a')", "x.exponential_(1, 2)", "torch.max(x, 1, keepdim=None)",
    "torch.float_power(x)", "x.float_power('a')", "torch.xlogy('a', x)", "x.xlogy()",
    "torch.remainder(x)", "x.remainder('a')", "torch.fmod(x, 'a')", "x.fmod()",
    "x.scatter(0, x)", "torch.scatter(x, 0)", "x.scatter(0, x, 'a', reduce='add')",
    "x.index_fill(0)", "torch.index_fill(x, 0, x, 'a')", "x.narrow(0, 'a', 1)", "torch.narrow(x)",
    "x.quantile()", "torch.quantile(x, 'a')", "x.quantile(0.5, interpolation=1)",
    "torch.repeat_interleave()", "x.repeat_interleave('a')", "x.repeat_interleave(output_size=None)",
]

@pytest.mark.parametrize("call", REFUSED + WRONG_KINDS)
def test_calls_no_form_takes_are_refused_in_pytorch_s_words(call):
    # (the whole message: the forms PyTorch lists, and why each did not match)
    expected = torch_message(call)
    assert expected is not None
    err = gradviz_error(call)
    assert (err.kind, err.message, err.span.line) == ("TypeError", expected, 3)
    assert err.hint


# what PyTorch takes and gradviz refused: None for a factory's requires_grad
# (a bool? there), PyTorch's names and numpy's for the arguments
TAKEN = [
    "torch.ones(2, requires_grad=None)", "torch.zeros(2, 3, requires_grad=None)",
    "torch.full((2,), 1.0, requires_grad=None)", "torch.ones_like(x, requires_grad=None)",
    "torch.rand(2, requires_grad=None)", "torch.randn_like(x, requires_grad=None)",
    "torch.arange(3.0, requires_grad=None)", "torch.eye(2, requires_grad=None)",
    "torch.linspace(0.0, 1.0, 3, requires_grad=None)", "x.new_ones(2, requires_grad=None)",
    "x.new_full((2,), 1.0, requires_grad=None)", "torch.randint(0, 3, (2,), requires_grad=None)",
    "torch.sum(input=x, dim=1, keepdim=True)", "torch.max(input=x, dim=1).values",
    "torch.sum(x, axis=1, keepdims=True)", "x.isclose(other=x)", "torch.linalg.norm(input=x)",
    "x.sort(stable=None).values", "x.nansum(keepdim=True)", "x.argmax(keepdim=True)",
    "torch.ones(size=(2,), requires_grad=None)", "x.new_ones(2, 3)",
    "x.amax(None, True)", "torch.amin(x, dim=None)", "x.sum(None)", "x.any(None)",
    "x.sum(dtype=torch.float64)", "x.logsumexp([0, 1])", "torch.max(x, x)",
]


@pytest.mark.parametrize("call", TAKEN)
def test_calls_pytorch_takes_run(call):
    assert first_line(call) is None
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    want = eval(call, {"torch": torch, "x": x})
    src = ("import torch\nx = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\n"
           f"y = {call}\nprint(y.shape, y.dtype, y.requires_grad)\n")
    _, out = run(src)
    assert out == f"{want.shape} {want.dtype} {want.requires_grad}\n"


def test_a_pattern_once_taken_still_checks_the_values():
    # (the check remembers the argument classes it took, not the values)
    err = gradviz_error("[x.sum(1, keepdim=True), x.sum(keepdim=True)]")
    assert err.message.startswith("sum() received an invalid combination of arguments")
