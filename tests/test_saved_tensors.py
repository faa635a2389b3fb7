"""y.grad_fn._saved_*: the saved values of common nodes (gradfns.SAVED),
their names checked against PyTorch's nodes, and the errors for a name a
node does not have and for a saved tensor read after backward() freed it.
Values are pinned by tests/conformance_extra/saved_tensors*.txt."""
import io

import pytest

import gradviz
from gradviz.errors import GradvizError
from gradviz.gradfns import SAVED

# an expression on x (2x3, requires grad), c (2x3) and W (3x2, requires
# grad) for each node of the table, the same in PyTorch and in gradviz
EXPRESSIONS = {
    "MulBackward0": "x * c", "DivBackward0": "x / c", "AddBackward0": "x + c",
    "SubBackward0": "x - c", "RsubBackward1": "1 - x", "PowBackward0": "x ** 2",
    "PowBackward1": "x ** c", "PowBackward2": "2 ** x", "MaximumBackward0": "torch.maximum(x, c)",
    "MinimumBackward0": "torch.minimum(x, c)", "Atan2Backward0": "torch.atan2(x, c)",
    "NegBackward0": "-x", "TBackward0": "x.t()", "CloneBackward0": "x.clone()",
    "SumBackward0": "x.sum()", "SumBackward1": "x.sum(0)", "MeanBackward0": "x.mean()",
    "MeanBackward1": "x.mean(1)", "MaxBackward1": "x.max()", "MinBackward1": "x.min()",
    "ProdBackward0": "x.prod()", "SoftmaxBackward0": "x.softmax(1)",
    "LogSoftmaxBackward0": "x.log_softmax(1)", "ViewBackward0": "x.view(3, 2)",
    "TransposeBackward0": "x.transpose(0, 1)", "PermuteBackward0": "x.permute(1, 0)",
    "UnsqueezeBackward0": "x.unsqueeze(0)", "CatBackward0": "torch.cat([x, c])",
    "StackBackward0": "torch.stack([x, c])", "CumsumBackward0": "x.cumsum(1)",
    "ClampBackward1": "x.clamp(0, 1)", "MmBackward0": "x.mm(W)",
    "MseLossBackward0": "torch.nn.functional.mse_loss(x, c)",
    "LeakyReluBackward0": "torch.nn.functional.leaky_relu(x)",
    "SoftplusBackward0": "torch.nn.functional.softplus(x)",
    "SiluBackward0": "torch.nn.functional.silu(x)",
    "RsubBackward0": "torch.rsub(x, c)", "DotBackward0": "torch.dot(x[0], c[0])",
    "MvBackward0": "torch.mv(x, c[0])", "SqueezeBackward2": "x.unsqueeze(0).squeeze((0,))",
    # (shape changes in place: a non-leaf's node becomes the view's)
    "TBackward1": "(x * 1).t_()", "TransposeBackward1": "(x * 1).transpose_(0, 1)",
    "UnsqueezeBackward1": "(x * 1).unsqueeze_(0)",
    "SqueezeBackward3": "(x * 1).unsqueeze(0).squeeze_()",
    "SqueezeBackward4": "(x * 1).unsqueeze(0).squeeze_(0)",
    "SqueezeBackward5": "(x * 1).unsqueeze(0).squeeze_((0,))",
}
for _name in SAVED:
    EXPRESSIONS.setdefault(_name, f"torch.{_name[:-len('Backward0')].lower()}(x)")
SETUP = ("x = torch.tensor([[0.5, 0.2, 0.7], [0.1, 0.9, 0.3]], requires_grad=True)\n"
         "c = torch.tensor([[2.0, 3.0, 4.0], [1.0, 0.5, 2.5]])\n"
         "W = torch.ones(3, 2, requires_grad=True)\n")


def run(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


def test_every_node_of_the_table_has_an_expression_making_it():
    src = SETUP + "".join(f"print(({e}).grad_fn.name())\n" for e in EXPRESSIONS.values())
    assert run(src).split() == list(EXPRESSIONS)


def test_the_saved_names_are_pytorch_s():
    torch = pytest.importorskip("torch")
    env = {"torch": torch}
    exec(SETUP, env)
    for name, expression in EXPRESSIONS.items():
        node = eval(expression, env).grad_fn
        assert node.name() == name
        names = sorted(a for a in dir(node) if a.startswith("_saved_"))
        assert names == sorted(SAVED[name][1]), name


def test_a_saved_input_is_the_input_and_one_not_saved_is_none():
    out = run(SETUP + "y = x * c\nprint(y.grad_fn._saved_other is c, y.grad_fn._saved_self)\n"
                      "h = x * 2\nz = h * x\nprint(z.grad_fn._saved_self is h)\n")
    assert out == "True None\nTrue\n"


def test_a_name_the_node_does_not_have_is_pytorch_s_attribute_error():
    with pytest.raises(GradvizError) as e:
        run(SETUP + "print((x * c).grad_fn._saved_result)\n")
    assert e.value.kind == "AttributeError"
    assert str(e.value.message) == "'MulBackward0' object has no attribute '_saved_result'"
    assert "_saved_other" in e.value.hint


def test_a_node_whose_saved_values_are_not_modelled_says_so():
    with pytest.raises(GradvizError) as e:
        run(SETUP + "print(torch.nn.functional.linear(x, W.t(), W[0]).grad_fn._saved_mat1)\n")
    assert e.value.kind == "AttributeError" and "saved values of common nodes" in e.value.hint


def test_backward_frees_saved_tensors_but_not_saved_numbers():
    src = SETUP + "y = x ** 2\ny.sum().backward()\nprint(y.grad_fn._saved_exponent)\n"
    assert run(src) == "2\n"
    with pytest.raises(GradvizError) as e:
        run(src + "print(y.grad_fn._saved_self)\n")
    assert "backward through the graph a second time" in e.value.message
    assert "retain_graph=True" in e.value.hint
    kept = SETUP + "y = x.exp()\ny.sum().backward(retain_graph=True)\n" \
                   "print(y.grad_fn._saved_result.shape)\n"
    assert run(kept) == "torch.Size([2, 3])\n"


def test_a_dim_reads_as_given_but_the_op_uses_the_normalised_one():
    src = SETUP + ("y = x.sum((1, -2))\nprint(y.grad_fn._saved_dim)\n"
                   "z = x.unsqueeze(-1)\nprint(z.grad_fn._saved_dim, z.shape)\n"
                   "t = x.transpose(-2, 1)\nprint(t.grad_fn._saved_dim0, t.grad_fn._saved_dim1)\n"
                   "print(x.sum(1).grad_fn._saved_dim, x.cumsum(1).grad_fn._saved_dim)\n")
    assert run(src) == ("(1, 18446744073709551614)\n18446744073709551615 torch.Size([2, 3, 1])\n"
                        "18446744073709551614 1\n(1,) 1\n")


def test_the_picture_keeps_the_normalised_dim():
    record = gradviz.run_source(SETUP + "y = x.softmax(-1)\n", stdout=io.StringIO())
    assert [n.params for n in record.nodes if n.op == "softmax"] == [{"dim": 1}]
