"""torch.autograd.functional.jacobian and hessian (their values and
printouts are pinned against PyTorch by conformance_extra/functional_*):
how they run, and their errors."""
import pytest

from gradviz.errors import GradvizError
from programs import run


def test_one_grad_pass_per_output_element_as_pytorch_runs_it():
    rec, out = run("from torch.autograd.functional import jacobian\n"
                   "x = arange(3.0)\nJ = jacobian(lambda v: v * v, x)\nprint(J)\n")
    assert out == ("tensor([[0., 0., 0.],\n        [0., 2., 0.],\n        [0., 0., 4.]])\n")
    assert [p["kind"] for p in rec.passes] == ["grad"] * 3
    assert not rec.variables["J"].requires_grad and rec.variables["x"].grad is None


def test_a_hessian_through_double_backward():
    _, out = run("x = tensor([1.0, 2.0])\n"
                 "print(torch.autograd.functional.hessian(lambda v: (v ** 3).sum(), x))\n")
    assert out == "tensor([[ 6.,  0.],\n        [ 0., 12.]])\n"


@pytest.mark.parametrize("src, words", [
    ("jacobian(lambda v: v, 3.0)", "The inputs given to jacobian must be either a Tensor or a "
                                   "tuple of Tensors but the given inputs has type <class 'float'>."),
    ("jacobian(lambda v: 2, ones(2))", "The outputs of the user-provided function given to "
                                       "jacobian must be either a Tensor or a tuple of Tensors"),
    ("hessian(lambda v: v * 2, ones(2))", "The Tensor returned by the function given to hessian "
                                          "should contain a single element"),
    ("jacobian(lambda v: v, ones(2), vectorize=True)", "vectorize=False"),
])
def test_errors_are_pytorch_s(src, words):
    with pytest.raises(GradvizError) as info:
        run("from torch.autograd.functional import jacobian, hessian\n" + src + "\n")
    assert words in info.value.message and info.value.span.line == 2
