"""Class definitions: custom torch.autograd.Functions (the node they record,
the program's backward called by the reverse pass, the gradient check of
that backward), torch.nn.Module subclasses and plain classes. (Printed
output and errors are pinned against PyTorch by the conformance cases
custom_function_*.txt and classes_*.txt.)"""
import io

import numpy as np
import pytest

import gradviz
from gradviz import syntax
from gradviz.errors import GradvizError
from gradviz.gradcheck import check_source
from gradviz.parser import parse
from gradviz.tape import RunOptions
from programs import run

LEGENDRE = """\
class LegendrePolynomial3(torch.autograd.Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        print("backward")
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - DERIVATIVE_ONE)
x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
y = LegendrePolynomial3.apply(x)
print("before")
(y * 2).sum().backward()
"""


def legendre(one: str = "1") -> str:
    return LEGENDRE.replace("DERIVATIVE_ONE", one)


# ---- the parser ------------------------------------------------------------------

def test_a_class_statement_parses_to_its_name_bases_and_block():
    (cls,) = parse("class A(torch.nn.Module):\n    '''doc'''\n    k = 3\n"
                   "    def f(self):\n        return 1\n    pass\n").body
    assert cls.__class__ is syntax.ClassDef and cls.name == "A"
    assert [b.attr for b in cls.bases] == ["Module"]
    assert [s.__class__ for s in cls.body] == [syntax.ExprStmt, syntax.Assign,
                                               syntax.FunctionDef, syntax.Jump]
    assert syntax.bound_names(parse("class B:\n    c = 1\n").body) == {"B"}


@pytest.mark.parametrize("block", ["    print(1)", "    x += 1", "    for i in range(2):\n"
                                   "        pass", "    x.y = 2"])
def test_a_class_block_holds_defs_attributes_docstrings_and_pass(block):
    with pytest.raises(GradvizError) as info:
        parse(f"class A:\n{block}\n")
    assert "a class's block holds its methods" in info.value.message
    assert info.value.span.line == 2


def test_return_in_a_class_block_is_outside_a_function():
    with pytest.raises(GradvizError) as info:
        parse("def f():\n    class A:\n        return 1\n")
    assert "'return' outside function" in info.value.message


# ---- custom autograd Functions --------------------------------------------------------

def test_the_custom_node_has_the_class_s_name_and_the_gradient_through_it():
    rec, out = run(legendre())
    assert out == "before\nbackward\n"
    y = rec.variables["y"]
    assert y.grad_fn == "LegendrePolynomial3Backward"
    assert y.op == "LegendrePolynomial3" and y.symbol == "LegendrePolynomial3.apply"
    assert y.inputs == ["n0"] and not y.is_leaf
    (p,) = rec.passes
    step = next(s for s in p["steps"] if s["node"] == y.seq)
    # what reached y (2s from y * 2) and what the program's backward sent x
    np.testing.assert_allclose(step["grad"], [2.0, 2.0, 2.0])
    (target, sent), = step["sent"]
    assert target == 0
    np.testing.assert_allclose(sent, [0.75, 12.0, 57.0])
    np.testing.assert_allclose(rec.variables["x"].grad, [0.75, 12.0, 57.0])


def test_the_picture_names_the_custom_node():
    rec, _ = run(legendre())
    dot = rec.to_dot()
    assert "LegendrePolynomial3Backward" in dot and "LegendrePolynomial3.apply" in dot


def test_the_forward_runs_without_gradients_and_its_ops_record_nothing():
    rec, out = run("class F(torch.autograd.Function):\n"
                   "    @staticmethod\n"
                   "    def forward(ctx, x):\n"
                   "        print(torch.is_grad_enabled())\n"
                   "        return x.exp()\n"
                   "    @staticmethod\n"
                   "    def backward(ctx, g):\n"
                   "        return g\n"
                   "x = torch.ones(2, requires_grad=True)\ny = F.apply(x)\n")
    assert out == "False\n"
    inner = [n for n in rec.nodes if n.op == "exp"]
    assert len(inner) == 1 and not inner[0].requires_grad
    assert rec.variables["y"].requires_grad


def test_gradcheck_passes_a_right_backward_and_names_a_wrong_one():
    good = check_source(legendre())
    assert good.ok
    (p,) = good.passes
    assert "LegendrePolynomial3" in p.forward_skipped
    bad = check_source(legendre("2"))
    assert not bad.ok
    (msg, *_) = bad.failure_messages()
    assert "VJP of input 0 of LegendrePolynomial3" in msg


def test_the_check_does_not_add_to_the_output_or_the_record():
    """Its replays of the forward and look-ahead of the backward run aside."""
    out = io.StringIO()
    plain = gradviz.run_source(legendre(), stdout=io.StringIO())
    checked = check_source(legendre())
    assert len(checked.record.nodes) == len(plain.nodes)
    gradviz.run_source(legendre(), stdout=out, options=RunOptions(forward_mode="both"))
    assert out.getvalue() == "before\nbackward\n"


def test_forward_mode_says_why_it_cannot_pass_a_custom_function():
    r = gradviz.run_source(legendre(), stdout=io.StringIO(),
                           options=RunOptions(forward_mode="both"))
    (entry,) = r.forward_mode["passes"]
    assert "cannot pass through LegendrePolynomial3" in entry["skipped"]


def test_an_error_in_the_backward_stops_the_pass_at_the_backward_call():
    src = legendre().replace("        print(\"backward\")\n", "        print(nope)\n")
    with pytest.raises(GradvizError) as info:
        run(src)
    err = info.value
    assert err.kind == "NameError" and err.span.line == 9
    assert any("backward()" in c for c in err.calls)


def test_create_graph_through_a_custom_function_is_refused():
    with pytest.raises(GradvizError) as info:
        run(legendre().replace(".backward()", ".backward(create_graph=True)"))
    assert "LegendrePolynomial3" in info.value.message


def test_several_outputs_are_refused_with_a_hint():
    with pytest.raises(GradvizError) as info:
        run("class Two(torch.autograd.Function):\n"
            "    @staticmethod\n"
            "    def forward(ctx, x):\n"
            "        return x * 2, x * 3\n"
            "x = torch.ones(2, requires_grad=True)\na, b = Two.apply(x)\n")
    assert "one output tensor" in info.value.message and info.value.hint


# ---- torch.nn.Module subclasses and plain classes ----------------------------------------

MODULE = """\
class Line(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.b = torch.nn.Parameter(torch.tensor(0.5))
        self.w = torch.nn.Parameter(torch.tensor(2.0))
        self.note = "fit"
    def forward(self, x):
        return self.w * x + self.b
class Two(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.tensor(3.0))
        self.line = Line()
    def forward(self, x):
        return self.line(x) * self.scale
m = Two()
loss = m(torch.tensor([1.0, 2.0])).sum()
loss.backward()
"""


def test_named_parameters_in_registration_order_submodules_after():
    rec, out = run(MODULE + "for name, p in m.named_parameters():\n    print(name, p.grad)\n")
    assert out == ("scale tensor(7.)\nline.b tensor(6.)\nline.w tensor(9.)\n")


def test_a_parameter_set_on_a_module_is_named_by_how_the_program_reaches_it():
    rec, _ = run(MODULE)
    names = {n.name for n in rec.nodes if n.is_leaf and n.requires_grad}
    assert names == {"m.scale", "m.line.b", "m.line.w"}
    (p,) = rec.passes
    reached = {s["node"] for s in p["steps"]}
    assert {n.seq for n in rec.nodes if n.name in names} <= reached


def test_a_module_prints_as_pytorch_prints_it_and_train_eval_return_it():
    _, out = run(MODULE + "print(m)\nprint(m.eval() is m, m.training, m.line.training)\n"
                 "print(m.train().line.training)\n")
    assert out == "Two(\n  (line): Line()\n)\nTrue False False\nTrue\n"


def test_zero_grad_sets_every_parameter_s_grad_to_none():
    _, out = run(MODULE + "m.zero_grad()\nprint([p.grad for p in m.parameters()])\n")
    assert out == "[None, None, None]\n"


def test_sgd_takes_a_module_s_parameters():
    _, out = run(MODULE + "opt = torch.optim.SGD(m.parameters(), lr=0.1)\nopt.step()\n"
                 "print(m.scale, m.line.w)\n")
    assert out == ("Parameter containing:\ntensor(2.3000, requires_grad=True) "
                   "Parameter containing:\ntensor(1.1000, requires_grad=True)\n")


def test_a_plain_instance_prints_with_a_made_up_address_and_its_class_as_main():
    _, out = run("class A:\n    pass\na = A()\nprint(a)\nprint(A, type(a) is A)\n")
    first, second = out.splitlines()
    assert first.startswith("<__main__.A object at 0x") and first.endswith(">")
    assert second == "<class '__main__.A'> True"


def test_super_outside_a_method_is_an_error():
    with pytest.raises(GradvizError) as info:
        run("x = super()\n")
    assert "super(): no arguments" in info.value.message


INHERITED = """\
class Base:
    def __init__(self, k):
        self.k = k
    def twice(self):
        return self.k * 2
class Child(Base):
    def __init__(self):
        super().__init__(5)
c = Child()
print(c.twice(), isinstance(c, Base), isinstance(c, Child), isinstance(Base(1), Child))
"""


def test_a_method_inherited_from_a_program_s_class():
    assert run(INHERITED)[1].split() == ["10", "True", "True", "False"]


def test_bases_and_mro_are_the_language_s_classes():
    src = ("class A:\n    pass\nclass B(A):\n    pass\n"
           "print(B.__bases__[0] is A, B.__mro__[-1] is object, len(B.__mro__))\n")
    assert run(src)[1].split() == ["True", "True", "3"]


def test_a_layer_gradviz_lacks_is_refused_with_a_hint_to_write_the_module():
    with pytest.raises(GradvizError) as info:
        run("t = torch.nn.AdaptiveLogSoftmaxWithLoss(4, 10, [5])\n")
    assert "torch.nn.Module" in info.value.hint and "Parameter" in info.value.hint


def test_a_program_s_instance_reaches_no_python_attribute():
    # (A.__bases__ is Python's too, and gives the language's own classes: see
    # test_bases_and_mro_are_the_language_s_classes)
    for expr in ("a.__dict__", "a.__init__.__func__", "A.attrs", "a.cls"):
        src = f"class A:\n    def __init__(self):\n        self.v = 1\na = A()\ny = {expr}\n"
        with pytest.raises(GradvizError) as info:
            run(src)
        assert info.value.kind == "AttributeError", expr


def test_a_custom_functions_forward_and_backward_are_titled_clusters_linked_to_its_node():
    from gradviz.render.dot import build_dot
    src = ("class Cube(torch.autograd.Function):\n    @staticmethod\n"
           "    def forward(ctx, x):\n        ctx.save_for_backward(x)\n        return x ** 3\n"
           "    @staticmethod\n    def backward(ctx, g):\n        x, = ctx.saved_tensors\n"
           "        return g * 3 * x ** 2\n"
           "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = Cube.apply(x)\n"
           "y.sum().backward()\n")
    record = gradviz.run_source(src, stdout=io.StringIO())
    assert record.block_titles == {0: "Cube.forward", 1: "Cube.backward"}
    assert record.no_grad_blocks == [(3, 5), (7, 9)]
    dot = build_dot(record).source
    assert "Cube.forward\\ \\ (lines\\ 3–5)" in dot and "Cube.backward\\ \\ (lines\\ 7–9)" in dot
    assert 'class="link" label="returned\\ by\\ forward' in dot
    assert 'class="link" label="sent\\ back' in dot


def test_a_property_is_read_as_an_attribute_and_records_its_ops():
    rec, out = run("class Sq:\n"
                   "    def __init__(self, s):\n"
                   "        self.s = s\n"
                   "    @property\n"
                   "    def area(self):\n"
                   "        return self.s * self.s\n"
                   "x = torch.tensor(3.0, requires_grad=True)\n"
                   "a = Sq(x).area\n"
                   "a.backward()\nprint(a.item(), x.grad.item())\n")
    assert out == "9.0 6.0\n"
    assert [n.op for n in rec.nodes if not n.is_leaf] == ["mul"]


def test_issubclass_walks_the_programs_bases_to_module_and_object():
    _, out = run("class A(torch.nn.Module):\n    pass\nclass B(A):\n    pass\nclass C:\n    pass\n"
                 "print(issubclass(B, A), issubclass(A, B), issubclass(B, torch.nn.Module), "
                 "issubclass(C, torch.nn.Module), issubclass(C, object), "
                 "issubclass(torch.nn.ReLU, (C, torch.nn.Module)))\n")
    assert out == "True False True False True True\n"
    with pytest.raises(GradvizError) as info:
        run("class A:\n    pass\nissubclass(A(), A)\n")
    assert info.value.message == "issubclass() arg 1 must be a class"


BN_NET = """import torch.nn as nn
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(2)
        self.fc = nn.Linear(2, 1)
    def forward(self, x):
        return self.fc(self.bn(x))
class Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(Net(), nn.ReLU())
    def forward(self, x):
        return self.seq(x)
"""


def test_a_module_subclass_s_state_dict_lists_its_submodules_buffers_after_their_parameters():
    _, out = run(BN_NET + "print(list(Net().state_dict()))\n"
                          "print(list(Outer().state_dict()))\n"
                          "print([n for n, _ in Outer().named_buffers()], "
                          "[n for n, _ in Outer().named_parameters()])\n")
    bn = ["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert out.splitlines() == [
        str(bn + ["fc.weight", "fc.bias"]),
        str(["seq.0." + k for k in bn + ["fc.weight", "fc.bias"]]),
        str(["seq.0." + k for k in bn[2:]]) + " " + str(["seq.0." + k for k in bn[:2]]
                                                         + ["seq.0.fc.weight", "seq.0.fc.bias"])]


def test_a_module_subclass_loads_its_buffers():
    _, out = run(BN_NET + "a = Net()\na(torch.tensor([[1.0, 2.0], [3.0, 5.0]]))\n"
                          "b = Net()\nprint(b.load_state_dict(a.state_dict()))\n"
                          "print(b.bn.running_mean, b.bn.num_batches_tracked)\n")
    assert out == ("<All keys matched successfully>\n"
                   "tensor([0.2000, 0.3500]) tensor(1)\n")
    with pytest.raises(GradvizError) as e:
        run(BN_NET + "Net().load_state_dict(dict(Net().named_parameters()))\n")
    assert 'Missing key(s) in state_dict: "bn.running_mean", "bn.running_var", ' \
           '"bn.num_batches_tracked"' in e.value.message


# ---- register_buffer, and a torch.nn layer's class as a base ---------------------

BUFFERED = """\
import torch.nn as nn
class Stats(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(2))
        self.register_buffer('seen', torch.zeros(2))
        self.register_buffer('scratch', torch.ones(1), persistent=False)
        self.register_buffer('empty', None)
    def forward(self, x):
        self.seen += x.detach().sum(0)
        return x * self.w
m = Stats()
y = m(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
"""


def test_a_buffer_is_state_but_no_parameter():
    _, out = run(BUFFERED + "print(list(m.state_dict()), [n for n, _ in m.named_buffers()],\n"
                 "      [n for n, _ in m.named_parameters()], m.seen, m.empty)\n")
    assert out == ("['w', 'seen'] ['seen', 'scratch'] ['w'] tensor([4., 6.]) None\n")


def test_a_buffer_takes_a_tensor_or_none_and_its_name_is_checked():
    with pytest.raises(GradvizError) as info:
        run(BUFFERED + "m.seen = 2.0\n")
    assert info.value.kind == "TypeError" and "as buffer 'seen'" in info.value.message
    with pytest.raises(GradvizError) as info:
        run(BUFFERED + "m.register_buffer('w', torch.ones(1))\n")
    assert info.value.kind == "KeyError" and info.value.message == "\"attribute 'w' already exists\""
    _, out = run(BUFFERED + "m.seen = None\nprint(list(m.state_dict()))\n")
    assert out == "['w']\n"


LOSS_SUBCLASS = """\
import torch.nn as nn
class Masked(nn.CrossEntropyLoss):
    def forward(self, pred, label, mask):
        self.reduction = 'none'
        return super().forward(pred, label) * mask
loss = Masked()
z = torch.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True)
l = loss(z, torch.tensor([0, 1]), torch.tensor([1.0, 0.0]))
"""


def test_a_subclass_of_a_loss_reads_its_attributes_at_each_call():
    _, out = run(LOSS_SUBCLASS + "print(l.shape, loss, loss.reduction, isinstance(loss, nn.Module))\n")
    assert out == "torch.Size([2]) Masked() none True\n"


def test_a_subclass_of_a_module_with_parameters_is_refused_with_its_name():
    with pytest.raises(GradvizError) as info:
        run("import torch.nn as nn\nclass L(nn.Linear):\n    pass\n")
    assert "not torch.nn.modules.linear.Linear" in info.value.message
    assert "PyType" not in info.value.message
