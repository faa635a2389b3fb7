"""torch.autograd.graph.saved_tensors_hooks (gradviz.saved_hooks): pack is
called once per tensor an op saves, in PyTorch's order, for every op of the
table of saved values (compared with PyTorch itself); unpack's result is
what backward uses; the refusals. Conformance cases:
tests/conformance_extra/saved_tensors_hooks*.txt."""
import contextlib
import io

import pytest

import gradviz
from gradviz.errors import GradvizError

from test_saved_tensors import EXPRESSIONS, SETUP

# what pack was given, by name: x, c, W, or a result by its grad_fn
LOGGING = SETUP + """log = []
def name(t):
    if t is x:
        return 'x'
    if t is c:
        return 'c'
    if t is W:
        return 'W'
    if t.grad_fn is None:
        return 'a tensor of shape ' + str(list(t.shape))
    return 'result of ' + t.grad_fn.name()
def pack(t):
    log.append(name(t))
    return t
"""
MORE = ["torch.sigmoid(x)", "x @ W", "torch.nn.functional.linear(x, W.t(), W[0])", "x * x",
        "c * x", "x / 2", "x - c", "x.pow(3)", "torch.outer(x[0], c[0])", "x.prod(1)",
        "torch.nn.functional.mse_loss(x, c, reduction='sum')", "torch.maximum(x, W.t())",
        "torch.tanh(x) * W.t()", "torch.nn.functional.gelu(x)", "x[:, 1]", "x.norm()",
        "torch.bmm(x.unsqueeze(0), W.unsqueeze(0))", "torch.nn.functional.leaky_relu(x, 0.2)"]


def run(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


def program(expressions) -> str:
    return LOGGING + "".join(
        f"with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):\n"
        f"    y = {e}\nprint({e!r}, log)\nlog.clear()\n" for e in expressions)


def test_pack_sees_what_pytorch_saves_in_its_order():
    torch = pytest.importorskip("torch")
    src = program(list(EXPRESSIONS.values()) + MORE)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(src, {"torch": torch})
    assert run(src) == out.getvalue()


def test_mul_packs_other_then_self_and_backward_uses_what_unpack_returns():
    src = SETUP + ("def unpack(t):\n    print('unpack', t.shape)\n    return t * 2\n"
                   "with torch.autograd.graph.saved_tensors_hooks(lambda t: t, unpack):\n"
                   "    y = x * W.t()\n"
                   "y.sum().backward()\nprint(torch.allclose(x.grad, 2 * W.t()))\n")
    assert run(src) == "unpack torch.Size([2, 3])\nunpack torch.Size([2, 3])\nTrue\n"


def test_no_grad_and_ops_that_save_nothing_pack_nothing_and_the_hooks_end_with_the_block():
    src = LOGGING + ("with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):\n"
                     "    with torch.no_grad():\n        a = x * c\n"
                     "    b = x + c\n    d = x.sum()\n    e = x * 2\n"
                     "f = x * c\nprint(log)\n")
    assert run(src) == "[]\n"


def test_only_the_innermost_hooks_apply():
    src = SETUP + ("with torch.autograd.graph.saved_tensors_hooks(lambda t: print('outer') or t, "
                   "lambda t: t):\n"
                   "    with torch.autograd.graph.saved_tensors_hooks(lambda t: print('inner') "
                   "or t, lambda t: t):\n        a = x.exp()\n    b = x.exp()\n")
    assert run(src) == "inner\nouter\n"


def test_backward_that_builds_a_graph_through_packed_nodes_is_refused():
    src = SETUP + ("with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):\n"
                   "    y = x.exp()\n"
                   "g, = torch.autograd.grad(y.sum(), x, create_graph=True)\n")
    with pytest.raises(GradvizError) as e:
        run(src)
    assert "create_graph=True" in e.value.message and e.value.hint


def test_unpack_of_another_shape_that_broadcasts_is_refused_with_a_hint():
    src = SETUP + ("with torch.autograd.graph.saved_tensors_hooks(lambda t: t, "
                   "lambda t: t[:1]):\n    y = x * W.t()\ny.sum().backward()\n")
    with pytest.raises(GradvizError) as e:
        run(src)
    assert "gradviz does not model" in e.value.message and "shape" in e.value.hint


# ---- one saved tensor's own hooks: grad_fn._raw_saved_<name>.register_hooks ----
# (conformance: tests/conformance_extra/autograd_raw_saved_hooks*.txt)

def test_register_hooks_packs_at_once_and_unpack_changes_only_its_slot():
    src = SETUP + ("y = x * x\n"
                   "y.grad_fn._raw_saved_self.register_hooks(lambda t: print('pack') or t, "
                   "lambda t: t * 0)\n"
                   "print('registered')\n"
                   "y.sum().backward()\nprint(torch.equal(x.grad, x.detach()))\n")
    # (x * x: the gradient is other * g + self * g; self's unpack made the second 0)
    assert run(src) == "pack\nregistered\nTrue\n"


def test_register_hooks_without_two_functions_is_pybinds_type_error():
    src = SETUP + "y = x.exp()\ny.grad_fn._raw_saved_result.register_hooks(print)\n"
    with pytest.raises(GradvizError) as e:
        run(src)
    assert e.value.kind == "TypeError" and e.value.hint
    assert e.value.message.startswith("register_hooks(): incompatible function arguments.")
    assert e.value.message.endswith(", <built-in function print>")


def test_register_hooks_on_a_wrapped_number_is_refused_with_a_hint():
    src = SETUP + ("y = x * 2\n"
                   "y.grad_fn._raw_saved_other.register_hooks(lambda t: t, lambda t: t)\n")
    with pytest.raises(GradvizError) as e:
        run(src)
    assert "not supported here" in e.value.message and e.value.hint


def test_register_hooks_then_create_graph_is_refused():
    src = SETUP + ("y = x.exp()\n"
                   "y.grad_fn._raw_saved_result.register_hooks(lambda t: t, lambda t: t)\n"
                   "g, = torch.autograd.grad(y.sum(), x, create_graph=True)\n")
    with pytest.raises(GradvizError) as e:
        run(src)
    assert "create_graph=True" in e.value.message
