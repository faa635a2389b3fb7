"""x.expand(), x.expand_as() and x.repeat(): shapes, values, gradients (also
recorded, create_graph=True), and PyTorch's errors. Outputs pinned from
PyTorch 2.13."""
import io

import numpy as np
import pytest
from test_differential import assert_prints, assert_pytorch_prints, needs_torch

import gradviz
from gradviz.errors import GradvizError
from gradviz.ops import OPS

PROGRAM = (
    "import torch\nx = torch.tensor([[1.0], [2.0]], requires_grad=True)\n"
    "y = x.expand(2, 3)\nz = x.expand(3, -1, 4)\nr = x.repeat(2, 3)\n"
    "print(y.grad_fn.name(), z.shape, r.grad_fn.name(), r.shape)\n"
    "(y.sum() + z.sum() + (r * torch.arange(12.0).reshape(4, 3)).sum()).backward()\n"
    "print(x.grad)\n"
    "c = torch.tensor([1.0, -2.0], requires_grad=True)\n"
    "h, = torch.autograd.grad((c.repeat(3) ** 3).sum(), c, create_graph=True)\n"
    "print(h)\nh.sum().backward()\nprint(c.grad)\n")
OUTPUT = ("ExpandBackward0 torch.Size([3, 2, 4]) RepeatBackward0 torch.Size([4, 3])\n"
          "tensor([[39.],\n        [57.]])\n"
          "tensor([ 9., 36.], grad_fn=<SumBackward1>)\ntensor([ 18., -36.])\n")


def test_expand_and_repeat_work_as_pytorchs():
    assert_prints(PROGRAM, OUTPUT)


@needs_torch
def test_expand_and_repeat_output_is_pytorchs():
    assert_pytorch_prints(PROGRAM, OUTPUT)


@pytest.mark.parametrize("shape, reps", [((3,), (2,)), ((2, 3), (2, 1)), ((2,), (3, 1, 2)),
                                         ((), (4,)), ((2, 2), (0, 3))])
def test_repeat_vjp_sums_the_copies(shape, reps):
    x = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape)
    op = OPS["repeat"]
    y = op.forward([x], {"reps": reps})
    assert y.shape == np.tile(x.reshape((1,) * (len(reps) - x.ndim) + shape), reps).shape
    g = np.arange(y.size, dtype=float).reshape(y.shape)
    # <g, repeat(x)> = <repeat's vjp(g), x>: the adjoint, for any x
    assert np.isclose((g * y).sum(), (op.vjp[0](g, y, [x], {"reps": reps}) * x).sum())


@pytest.mark.parametrize("call, words", [
    ("x.expand(3)", "expand(torch.FloatTensor{[2, 1]}, size=[3]): the number of sizes provided "
                    "(1) must be greater or equal to the number of dimensions in the tensor (2)"),
    ("x.expand(3, 3)", "The expanded size of the tensor (3) must match the existing size (2) at "
                       "non-singleton dimension 0.  Target sizes: [3, 3].  Tensor sizes: [2, 1]"),
    ("x.expand(-1, -1, 2)", "The expanded size of the tensor (-1) isn't allowed in a leading, "
                            "non-existing dimension 0"),
    ("x.expand_as(torch.ones(3, 2))", "must match the existing size (2) at non-singleton "
                                      "dimension 0"),
    ("x.repeat(2)", "Number of dimensions of repeat dims can not be smaller than number of "
                    "dimensions of tensor"),
    ("x.repeat(-1, 2)", "negative dimension -1"),
    ("x.expand(2, 3).add_(1)", "a view of a leaf Variable that requires grad is being used"),
    ("x.detach().expand(2, 3).add_(1)", "more than one element of the written-to tensor refers "
                                        "to a single memory location"),
])
def test_pytorchs_errors(call, words):
    src = f"import torch\nx = torch.ones(2, 1, requires_grad=True)\ny = {call}\n"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert words in info.value.message and info.value.span.line == 3
