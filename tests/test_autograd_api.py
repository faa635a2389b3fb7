"""The torch.autograd API around grad() (its values and printouts are pinned
against PyTorch by conformance_extra/autograd_api_*): how gradviz runs it,
and its errors."""
import pytest

from gradviz.errors import GradvizError
from programs import run

HEAD = "x = tensor([1.0, 2.0], requires_grad=True)\nz = tensor([3.0], requires_grad=True)\n"


def test_materialize_grads_gives_a_zero_leaf_for_an_unused_input():
    rec, out = run(HEAD + "gx, gz = torch.autograd.grad((x * x).sum(), [x, z], "
                          "materialize_grads=True)\nprint(gz, gz.requires_grad)\n")
    assert out == "tensor([0.]) False\n"
    assert [p["kind"] for p in rec.passes] == ["grad"]


def test_batched_grad_runs_one_pass_per_cotangent_and_stacks():
    rec, out = run(HEAD + "v = x * 3\n(g,) = torch.autograd.grad(v, x, torch.eye(2), "
                          "is_grads_batched=True)\nprint(g)\n")
    assert out == "tensor([[3., 0.],\n        [0., 3.]])\n"
    assert [p["kind"] for p in rec.passes] == ["grad", "grad"]
    # the last pass frees the graph, as one batched pass would
    with pytest.raises(GradvizError, match="a second time"):
        run(HEAD + "v = x * x\ntorch.autograd.grad(v, x, torch.eye(2), is_grads_batched=True)\n"
                   "v.sum().backward()\n")


@pytest.mark.parametrize("call, kind, words", [
    ("(x * x).sum(), [x, z], materialize_grads=True, allow_unused=False", "ValueError",
     "Expected allow_unused to be True or not passed"),
    ("(x * x).sum(), x, grad_outputs=2.0", "TypeError", "'float' object is not iterable"),
    ("(x * x).sum(), x, grad_outputs=[2]", "TypeError",
     "gradients can be either Tensors or None, but got int"),
    ("[x * 2, x * 3], x, grad_outputs=[ones(2), ones(3)]", "RuntimeError",
     "grad_output[1] has a shape of torch.Size([3]) and output[1]"),
    ("x * x, x, grad_outputs=ones(2), is_grads_batched=True", "RuntimeError",
     "grad_output[0] has a shape of torch.Size([]) and output[0] has a shape of "
     "torch.Size([2])"),
    ("(x * x).sum(), x, is_grads_batched=True", "ValueError", "Got in_dim=0 for some input"),
    ("x * x, x, grad_outputs=ones(3, 2), is_grads_batched=True, create_graph=True",
     "RuntimeError", "is_grads_batched=True with create_graph=True"),
])
def test_grad_argument_errors(call, kind, words):
    with pytest.raises(GradvizError) as info:
        run(HEAD + f"torch.autograd.grad({call})\n")
    assert info.value.kind == kind and words in info.value.message and info.value.hint
    assert info.value.span.line == 3


PRODUCTS = "from torch.autograd.functional import vjp, jvp, vhp, hvp\n"


@pytest.mark.parametrize("call, passes", [
    ("vjp(lambda v: v * v, x, ones(2))", 1),
    ("jvp(lambda v: v * v, x, ones(2))", 2),        # the double-backward trick
    ("vhp(lambda v: (v ** 3).sum(), x, ones(2))", 2),
    ("hvp(lambda v: (v ** 3).sum(), x, ones(2))", 3),
])
def test_products_run_pytorch_s_grad_passes(call, passes):
    rec, out = run(PRODUCTS + "x = tensor([1.0, 2.0])\nout, p = " + call + "\nprint(p)\n")
    assert [p["kind"] for p in rec.passes] == ["grad"] * passes
    assert not rec.variables["p"].requires_grad and rec.variables["x"].grad is None


@pytest.mark.parametrize("call, words", [
    ("vjp(lambda v: v, x, ones(2), strict=True)", "strict=False"),
    ("jvp(lambda a, b: a * b, (x, x), (ones(2),))",
     "v is a tuple of invalid length: should be 2 but got 1."),
    ("vjp(lambda a, b: (a, b), (x, x), (ones(2), ones(3)))",
     "Entry 1 in v has invalid size: should be torch.Size([2]) but got torch.Size([3])."),
    ("vhp(lambda v: (v, v), x, ones(2))", "The function given to vhp should return a single Tensor"),
    ("vjp(lambda v: v * 2, x)", "The vector v can only be None if the user-provided function"),
])
def test_product_errors_are_pytorch_s(call, words):
    with pytest.raises(GradvizError) as info:
        run(PRODUCTS + "x = tensor([1.0, 2.0])\n" + call + "\n")
    assert words in info.value.message and info.value.hint and info.value.span.line == 3


def test_base_is_the_tensor_the_program_holds_after_writes():
    # an in-place write is recorded out of place here: the base is still the
    # program's tensor, as PyTorch's is the same object
    _, out = run("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\nm = x * 2\nv = m[1:]\n"
                 "m.add_(1)\nv.mul_(2)\nprint(v._base is m, m._version, v._version)\n"
                 "print(x.unbind(0)[2].output_nr, v.output_nr)\n")
    assert out == "True 2 2\n2 0\n"
