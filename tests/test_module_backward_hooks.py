"""Module backward hooks (gradviz.module_hooks): register_full_backward_hook,
register_full_backward_pre_hook and the deprecated register_backward_hook.
What PyTorch prints is pinned by tests/conformance_extra/bwhooks_*.txt; here
what gradviz adds: the record and the picture, its refusals, its warnings."""
from __future__ import annotations

import io

import pytest

import gradviz
from gradviz.errors import GradvizError


def run(src: str):
    out = io.StringIO()
    record = gradviz.run_source("import torch\nfrom torch import nn\n" + src, stdout=out)
    return record, out.getvalue()


def warnings_of(record) -> list:
    """(category, message) of each warning the run gave."""
    return [(ev.get("category", "UserWarning"), ev["message"]) for ev in record.events
            if ev["kind"] == "user_warning"]


LAYER = ("torch.manual_seed(0)\nlin = nn.Linear(3, 2)\n"
         "x = torch.ones(2, 3, requires_grad=True)\n")


def test_the_hook_nodes_are_drawn_with_the_module_and_the_gradients_its_hooks_got():
    record, out = run(LAYER + "lin.register_full_backward_hook(lambda m, gi, go: print(gi[0].shape))\n"
                      "lin.register_full_backward_pre_hook(lambda m, go: print(go[0].shape))\n"
                      "y = lin(x)\nprint(y.grad_fn.name())\ny.sum().backward()\n")
    assert out == "BackwardHookFunctionBackward\ntorch.Size([2, 2])\ntorch.Size([2, 3])\n"
    hooks = [(n.symbol, n.grad_fn) for n in record.nodes if n.op == "backward_hook"]
    assert hooks == [("hooks of Linear: grad_input", "BackwardHookFunctionBackward"),
                     ("hooks of Linear: grad_output", "BackwardHookFunctionBackward")]
    got = [n.op for n in record.nodes if n.op.startswith("module backward hook's")]
    # (the pre-hook's grad_output at the output's node, then the full hook's grad_input)
    assert got == ["module backward hook's grad_output[0]", "module backward hook's grad_input[0]"]
    from gradviz.render.dot import to_dot
    dot = to_dot(record).replace("\\ ", " ")
    assert "hooks of Linear: grad_input" in dot
    assert "grad_input[0] the Module.register_full_backward_hook() of" in dot


def test_a_gradient_a_module_hook_got_is_titled_by_its_argument_not_its_id():
    # (the box was titled by its node id, "n9", which only the tables show)
    import re
    record, _ = run(LAYER + "lin.register_full_backward_hook(lambda m, gi, go: None)\n"
                    "lin(x).sum().backward()\n")
    from gradviz.render.dot import to_dot
    dot = to_dot(record).replace("\\ ", " ")
    assert "{grad_input[0]\\ngrad_input[0] the Module" in dot
    assert not re.search(r'label="\{n\d+\\n', dot)


def test_a_module_called_without_hooks_records_no_hook_node():
    record, _ = run(LAYER + "h = lin.register_full_backward_hook(lambda m, gi, go: None)\n"
                    "h.remove()\nlin(x).sum().backward()\n")
    assert not [n for n in record.nodes if n.op == "backward_hook"]


def test_a_hook_registered_after_the_forward_does_not_run_in_its_backward():
    _, out = run(LAYER + "y = lin(x)\nlin.register_full_backward_hook(lambda m, gi, go: "
                 "print('late'))\ny.sum().backward()\nlin(x).sum().backward()\n")
    assert out == "late\n"


def test_the_full_hook_of_a_module_whose_input_needs_no_grad_warns_as_pytorch():
    record, out = run("torch.manual_seed(0)\nlin = nn.Linear(3, 2)\n"
                      "lin.register_full_backward_hook(lambda m, gi, go: print(gi))\n"
                      "lin(torch.ones(1, 3)).sum().backward()\n")
    assert out == "(None,)\n"
    (category, message), = warnings_of(record)
    assert category == "UserWarning"
    assert message.startswith("Full backward hook is firing when gradients are computed with "
                              "respect to module outputs")


def test_the_deprecated_hook_warns_with_pytorchs_future_warning():
    record, _ = run(LAYER + "lin.register_backward_hook(lambda m, gi, go: None)\n"
                    "lin(x).sum().backward()\n")
    assert warnings_of(record) == [("FutureWarning", "Using a non-full backward hook when the forward "
                       "contains multiple autograd Nodes is deprecated and will be removed in "
                       "future versions. This hook will be missing some grad_input. Please use "
                       "register_full_backward_hook to get the documented behavior.")]


def test_a_module_returning_a_list_warns_and_its_hooks_never_run():
    record, out = run("class M(nn.Module):\n    def forward(self, a):\n        return [a * 2]\n"
                      "m = M()\nm.register_full_backward_hook(lambda m, gi, go: print('ran'))\n"
                      "x = torch.ones(2, requires_grad=True)\nm(x)[0].sum().backward()\n")
    assert out == ""
    assert warnings_of(record) == [("UserWarning", "For backward hooks to be called, module "
                                    "output should be a Tensor or a tuple of Tensors but "
                                    "received <class 'list'>")]


@pytest.mark.parametrize("src, words, hint", [
    (LAYER + "lin.register_full_backward_hook(lambda m, gi, go: None)\n"
     "torch.autograd.grad(lin(x).sum(), x, create_graph=True)\n",
     "module backward hooks with create_graph=True are not supported here", "handle.remove()"),
    (LAYER + "lin.register_full_backward_hook(lambda m, gi, go: None)\ny = lin(x)\ny.relu_()\n",
     "Output 0 of BackwardHookFunction is a view and is being modified inplace", "clone()"),
    (LAYER + "lin.register_full_backward_hook(lambda m, gi, go: gi[0].sum())\n"
     "lin(x).sum().backward()\n", "len() of a 0-d tensor", "tuple"),
])
def test_what_is_refused_says_why_and_what_to_do(src, words, hint):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert words in info.value.message
    assert hint in info.value.hint


def test_forward_ad_through_a_hooked_module_is_pytorchs_not_implemented_error():
    with pytest.raises(GradvizError) as info:
        run("import torch.autograd.forward_ad as fwAD\nlin = nn.Linear(3, 2)\n"
            "lin.register_full_backward_hook(lambda m, gi, go: None)\n"
            "with fwAD.dual_level():\n"
            "    lin(fwAD.make_dual(torch.ones(3), torch.ones(3)))\n")
    assert info.value.kind == "NotImplementedError"
    assert info.value.message.startswith("You must implement the jvp function")


def test_a_hook_that_is_not_callable_is_taken_and_fails_when_it_runs():
    # (as PyTorch: registering checks nothing, the backward pass calls it)
    with pytest.raises(GradvizError) as info:
        run("lin = nn.Linear(2, 2)\nlin.register_full_backward_pre_hook(3)\n"
            "lin(torch.ones(2)).sum().backward()\n")
    assert info.value.message == "'int' object is not callable"
    assert info.value.span.line == 5        # (the backward line, after run's two imports)


def test_global_hooks_run_before_each_modules_own_until_removed():
    _, out = run("import torch.nn.modules.module as mm\ntorch.manual_seed(0)\n"
                 "relu = nn.ReLU()\nrelu.register_full_backward_hook(lambda m, gi, go: print('own'))\n"
                 "h = mm.register_module_full_backward_hook(lambda m, gi, go: print('global'))\n"
                 "x = torch.ones(2, requires_grad=True)\nrelu(x).sum().backward()\nh.remove()\n"
                 "relu(x).sum().backward()\n")
    assert out == "global\nown\nown\n"


def test_a_pass_inside_a_module_hook_has_its_own_groups_and_the_outer_pass_goes_on():
    # (the outer module has two outputs: its hooks read the pass's waiting
    # gradients, which the inner pass must not take over)
    _, out = run("torch.manual_seed(0)\ninner = nn.Linear(2, 1)\n"
                 "inner.register_full_backward_hook(lambda m, gi, go: print('inner'))\n"
                 "z = torch.ones(1, 2, requires_grad=True)\n"
                 "def outer_hook(m, gi, go):\n"
                 "    with torch.enable_grad():\n"
                 "        torch.autograd.grad(inner(z).sum(), z)\n"
                 "    print('outer', gi[0])\n"
                 "class Two(nn.Module):\n"
                 "    def forward(self, a):\n"
                 "        return a * 2, a * 3\n"
                 "outer = Two()\nouter.register_full_backward_hook(outer_hook)\n"
                 "x = torch.ones(3, requires_grad=True)\np, q = outer(x)\n"
                 "(p.sum() + q.sum()).backward()\nprint(x.grad)\n")
    assert out == "inner\nouter tensor([5., 5., 5.])\ntensor([5., 5., 5.])\n"


def test_the_grad_fn_of_several_outputs_is_one_object_with_an_edge_for_each():
    _, out = run("class Two(nn.Module):\n    def forward(self, a, b):\n        return a * 2, b\n"
                 "m = Two()\nm.register_full_backward_pre_hook(lambda mod, go: None)\n"
                 "x = torch.ones(3, requires_grad=True)\np, q = m(x, torch.ones(3))\n"
                 "print(p.grad_fn is m(x, x)[0].grad_fn, q.requires_grad, "
                 "[f is None for f, _ in p.grad_fn.next_functions])\n"
                 "r, s = m(x, x + 1)\nprint(r.grad_fn is s.grad_fn)\n")
    assert out == "False False [False, True]\nTrue\n"
