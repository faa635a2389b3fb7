"""x.grad = ..., x.requires_grad = ... and x[index] = ...: PyTorch's setters
and __setitem__, their errors, and the .grad timeline that shows them."""
from __future__ import annotations

import io
import json

import pytest
from rich.console import Console
from test_differential import assert_prints, assert_pytorch_prints, needs_torch, run_torch, torch

import gradviz
from gradviz.errors import GradvizError
from gradviz.render.tables import print_tables

PROGRAM = (
    "import torch\nw = torch.tensor([1.0, -2.0], requires_grad=True)\n"
    "(w * w).sum().backward()\nprint(w.grad)\ng = w.grad\nw.grad = None\nprint(w.grad, g)\n"
    "(w * 3).sum().backward()\nprint(w.grad, g)\nh = torch.zeros(2)\nw.grad = h\n"
    "(w * 3).sum().backward()\nprint(w.grad, h)\nx = torch.ones(3)\nx.requires_grad = True\n"
    "y = (x * 2).sum()\ny.backward()\nprint(x.grad, x.requires_grad)\n"
    "x.requires_grad = False\nprint(x.requires_grad)\n")
# PyTorch's output: a .grad set to None starts afresh; a tensor set as .grad
# is the one the next backward adds into
OUTPUT = ("tensor([ 2., -4.])\nNone tensor([ 2., -4.])\ntensor([3., 3.]) tensor([ 2., -4.])\n"
          "tensor([3., 3.]) tensor([3., 3.])\ntensor([2., 2., 2.]) True\nFalse\n")


def test_setters_work_as_pytorchs():
    assert_prints(PROGRAM, OUTPUT)


@needs_torch
def test_the_expected_output_is_pytorchs():
    assert_pytorch_prints(PROGRAM, OUTPUT)


ERRORS = [
    ("w = ones(2, requires_grad=True)\ny = w * 2\ny.requires_grad = False\n", "RuntimeError",
     "you can only change requires_grad flags of leaf variables. If you want"),
    ("w = ones(2, requires_grad=True)\ny = w * 2\ny.requires_grad = True\n", "RuntimeError",
     "you can only change requires_grad flags of leaf variables."),
    ("w = ones(2)\nw.requires_grad = 1\n", "RuntimeError", "requires_grad must be a bool"),
    ("w = ones(2, requires_grad=True)\nw.grad = zeros(3)\n", "RuntimeError",
     "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'"),
    ("w = ones(2, requires_grad=True)\nw.grad = zeros(2, dtype=torch.float64)\n",
     "RuntimeError", "attempting to assign a gradient with dtype 'double' to a tensor with "
                     "grad_dtype 'Float'"),
    ("w = ones(2, requires_grad=True)\nw.grad = 5\n", "TypeError",
     "assigned grad expected to be a Tensor or None but got grad of type int"),
]


@pytest.mark.parametrize("src,kind,words", ERRORS)
def test_mistakes_are_pytorchs_errors(src, kind, words):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    err = info.value
    assert err.kind == kind and err.message.startswith(words) and err.hint
    assert err.span.line == src.count("\n")
    if torch is not None:
        got = run_torch("import torch\nfrom torch import ones, zeros\n" + src)
        assert got.error["type"] == kind and got.error["message"].startswith(words)


@pytest.mark.parametrize("src", ["w = ones(2)\nw.foo = 1\n",
                                 "torch.pi = 3\n", "x = [1]\nx.y = 2\n"])
def test_other_attributes_cannot_be_set(src):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert info.value.kind == "AttributeError" and "cannot set" in info.value.message


def test_the_timeline_and_the_json_show_each_setting():
    record = gradviz.run_source(PROGRAM, stdout=io.StringIO())
    out = io.StringIO()
    print_tables(record, Console(file=out, width=200))
    text = out.getvalue()
    assert ".grad = None (line 6)" in text and ".grad = h (line 11)" in text
    events = [e for e in json.loads(record.to_json())["graph"]["timeline"]
              if e["kind"] == "grad_set"]
    assert [(e["node"], e["line"], e["value"]) for e in events] == \
        [("n0", 6, None), ("n0", 11, f"n{record.variables['h'].seq}")]
    hist = [what for what, _, _ in record.grad_history(0)]
    assert hist[:3] == ["backward #1", ".grad = None", "backward #2"]


# d2l's data manipulation: writes into parts of a tensor (views see them),
# cast to its dtype; under no_grad() into a leaf that requires grad
ITEMS = 'import torch\nX = torch.arange(12, dtype=torch.float32).reshape((3, 4))\nX[1, 2] = 9\nprint(X)\nX[0:2, :] = 12\nprint(X)\nv = X[2]\nX[2] = torch.tensor([1.0, 2.0, 3.0, 4.0])\nprint(v, X)\nX[:, 1] = torch.tensor(-1.0)\nX[X > 10] = 0\nX[[0, 2], 3] = 7\nprint(X)\ni = torch.zeros(3, dtype=torch.long)\ni[1] = 2.7\nprint(i)\nw = torch.ones(3, requires_grad=True)\ny = w * 2\nwith torch.no_grad():\n    w[0] = 5\nprint(w, y)\ny.sum().backward()\nprint(w.grad)\n'
ITEMS_OUTPUT = 'tensor([[ 0.,  1.,  2.,  3.],\n        [ 4.,  5.,  9.,  7.],\n        [ 8.,  9., 10., 11.]])\ntensor([[12., 12., 12., 12.],\n        [12., 12., 12., 12.],\n        [ 8.,  9., 10., 11.]])\ntensor([1., 2., 3., 4.]) tensor([[12., 12., 12., 12.],\n        [12., 12., 12., 12.],\n        [ 1.,  2.,  3.,  4.]])\ntensor([[ 0., -1.,  0.,  7.],\n        [ 0., -1.,  0.,  0.],\n        [ 1., -1.,  3.,  7.]])\ntensor([0, 2, 0])\ntensor([5., 1., 1.], requires_grad=True) tensor([2., 2., 2.], grad_fn=<MulBackward0>)\ntensor([2., 2., 2.])\n'


def test_item_assignment_works_as_pytorchs():
    assert_prints(ITEMS, ITEMS_OUTPUT)


@needs_torch
def test_the_item_output_is_pytorchs():
    assert_pytorch_prints(ITEMS, ITEMS_OUTPUT)


ITEM_ERRORS = [
    ("x = zeros(2, 3)\nx[0] = ones(2)\n", "RuntimeError",
     "The expanded size of the tensor (3) must match the existing size (2) at non-singleton "
     "dimension 0.  Target sizes: [3].  Tensor sizes: [2]"),
    ("x = zeros(2, 3)\nx[0] = ones(2, 3)\n", "RuntimeError",
     "expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) must be "
     "greater or equal to the number of dimensions in the tensor (2)"),
    ("x = zeros(2, 3)\nx[[0, 1]] = ones(2, 2)\n", "RuntimeError",
     "shape mismatch: value tensor of shape [2, 2] cannot be broadcast to indexing result of "
     "shape [2, 3]"),
    ("x = zeros(2, 3)\nx[5] = 1\n", "IndexError", "index 5 is out of bounds for dimension 0 "
                                                    "with size 2"),
    ("x = zeros(2, 3)\nx[0] = 'a'\n", "TypeError", "can't assign a str to a torch.FloatTensor"),
    ("w = ones(2, requires_grad=True)\nw[0] = 1\n", "RuntimeError",
     "a view of a leaf Variable that requires grad is being used in an in-place operation."),
]


@pytest.mark.parametrize("src,kind,words", ITEM_ERRORS)
def test_item_mistakes_are_pytorchs_errors(src, kind, words):
    test_mistakes_are_pytorchs_errors(src, kind, words)


# ---- x.data = value -------------------------------------------------------------

DATA_PROGRAM = (
    "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * x\n"
    "x.data = torch.tensor([3.0, 4.0])\ny.sum().backward()\nprint(x, x.grad)\n"
    "w = torch.tensor([0.5, -0.5], requires_grad=True)\nfor step in range(2):\n"
    "    loss = ((w - 1) ** 2).sum()\n    loss.backward()\n"
    "    w.data = w.data - 0.1 * w.grad.data\n    w.grad.data.zero_()\n    print(w)\n")
# PyTorch's: the saved x is read with its new values (set_data bumps no version)
DATA_OUTPUT = ("tensor([3., 4.], requires_grad=True) tensor([6., 8.])\n"
               "tensor([ 0.6000, -0.2000], requires_grad=True)\n"
               "tensor([0.6800, 0.0400], requires_grad=True)\n")


def test_setting_data_works_as_pytorchs():
    assert_prints(DATA_PROGRAM, DATA_OUTPUT)


@needs_torch
def test_setting_data_output_is_pytorchs():
    assert_pytorch_prints(DATA_PROGRAM, DATA_OUTPUT)


@pytest.mark.parametrize("value, words", [
    ("5", "Variable data has to be a tensor, but got int"),
    ("torch.tensor([1, 2])", "data set to a tensor that requires gradients must be floating point"),
    ("torch.zeros(3)", "gradviz sets x.data only to a tensor of x's shape and dtype ([2] float32"),
    ("torch.zeros(2, dtype=torch.float64)", "got [2] float64"),
])
def test_setting_data_refuses_with_the_line(value, words):
    src = f"import torch\nx = torch.ones(2, requires_grad=True)\nx.data = {value}\n"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert words in info.value.message and info.value.span.line == 3


def test_setting_data_of_a_view_is_refused():
    src = "import torch\nx = torch.ones(2, 3)\nv = x[0]\nv.data = torch.zeros(3)\n"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert "no view" in info.value.message and info.value.span.line == 4
