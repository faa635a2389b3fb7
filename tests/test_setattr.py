"""x.grad = ... and x.requires_grad = ...: PyTorch's setters, their errors,
and the .grad timeline that shows them."""
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


@pytest.mark.parametrize("src", ["w = ones(2)\nw.data = zeros(2)\n", "w = ones(2)\nw.foo = 1\n",
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
