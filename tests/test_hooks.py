"""Tensor hooks (x.register_hook(fn)) and the lambdas they are usually
written with: when they run, what they change, what the record shows, and
PyTorch's errors. (Their printed output is pinned against PyTorch by the
conformance cases hooks_*.txt and hook_*.txt.)"""
import numpy as np
import pytest

from gradviz.errors import GradvizError
from gradviz.render.dot import build_dot
from programs import run


def test_a_hook_changes_what_reaches_the_grad_and_the_ops_before():
    rec, out = run("x = tensor([1.0, 2.0], requires_grad=True)\n"
                   "y = x * x\n"
                   "y.register_hook(lambda g: g * 10)\n"
                   "y.sum().backward()\n"
                   "print(x.grad)\n")
    assert out == "tensor([20., 40.])\n"
    # the record's pass carries the hooked gradient: y (n1) got 10s, and
    # sent on what its VJP makes of them
    steps = list(rec.passes[0]["steps"])
    assert [s["node"] for s in steps] == [2, 1, 0]
    assert np.array_equal(steps[1]["grad"], [10.0, 10.0])
    assert np.array_equal(steps[1]["sent"][0][1], [10.0, 20.0])
    assert np.array_equal(rec.variables["x"].grad, [20.0, 40.0])


def test_hooks_run_in_order_each_on_what_the_one_before_returned():
    _, out = run("w = tensor(1.5, requires_grad=True)\n"
                 "w.register_hook(lambda g: g * 10)\n"
                 "w.register_hook(lambda g: print('sees', g))\n"
                 "h = w.register_hook(lambda g: g + 1)\n"
                 "h.remove()\nh.remove()\n"
                 "(w * w).backward()\nprint(w.grad)\n")
    assert out == "sees tensor(30.)\ntensor(30.)\n"


def test_a_hook_made_in_a_function_reads_that_call_s_names():
    _, out = run("def scaled(k):\n    return lambda g: g * k\n"
                 "p = ones(2, requires_grad=True)\n"
                 "p.register_hook(scaled(0.5))\n"
                 "k = 100\n"
                 "(p * 3).sum().backward()\nprint(p.grad)\n")
    assert out == "tensor([1.5000, 1.5000])\n"


def test_a_leaf_s_hook_runs_as_soon_as_its_gradient_is_complete():
    # PyTorch runs a leaf's AccumulateGrad first in its queue: b's hook (b
    # made first) runs before w's, right after the add that completes b
    _, out = run("b = ones(1, requires_grad=True)\nw = ones(1, requires_grad=True)\n"
                 "x = tensor([2.0])\n"
                 "b.register_hook(lambda g: print('b'))\nw.register_hook(lambda g: print('w'))\n"
                 "y = w * x + b\ny.sum().backward()\n")
    assert out == "b\nw\n"


def test_hooks_run_in_autograd_grad_too_and_without_recording():
    _, out = run("w = ones(3, requires_grad=True)\n"
                 "def show(g):\n    print('hook', g, g.requires_grad)\n    return g * 2\n"
                 "w.register_hook(show)\n"
                 "z = (w * arange(3.0)).sum()\n"
                 "print(autograd.grad(z, w), w.grad)\n")
    assert out == ("hook tensor([0., 1., 2.]) False\n"
                   "(tensor([0., 2., 4.]),) None\n")


@pytest.mark.parametrize("src, words", [
    ("x = ones(2)\nx.register_hook(lambda g: g)\n",
     "cannot register a hook on a tensor that doesn't require gradient"),
    ("x = ones(2, requires_grad=True)\nx.register_hook(lambda g: g.sum())\n(x * 2).sum().backward()\n",
     "hook '<lambda>' has changed the size of value"),
    ("x = ones(2, requires_grad=True)\nx.register_hook(lambda g: g.double())\n"
     "(x * 2).sum().backward()\n",
     "hook '<lambda>' has changed the type of value (was torch.FloatTensor got "
     "torch.DoubleTensor)"),
    ("x = ones(2, requires_grad=True)\nx.register_hook(lambda g: 3)\n(x * 2).sum().backward()\n",
     "expected Variable, but hook returned 'int'"),
    ("x = ones(2, requires_grad=True)\nx.register_hook(5)\n(x * 2).sum().backward()\n",
     "'int' object is not callable"),
    ("x = ones(2, requires_grad=True)\ny = x * x\ny.grad_fn.register_hook(lambda gi, go: None)\n"
     "y.sum().backward(create_graph=True)\n",
     "grad_fn hooks and post-accumulate-grad hooks with create_graph=True are not supported"),
])
def test_hook_errors_are_pytorch_s_and_name_the_line(src, words):
    with pytest.raises(GradvizError) as info:
        run(src)
    err = info.value
    assert words in err.message
    assert err.span is not None and err.span.line == src.count("\n")


def test_a_failing_hook_still_fills_the_grads_that_were_complete():
    # as PyTorch's engine: b's gradient was complete before c's hook failed
    src = ("a = ones(1, requires_grad=True)\nb = ones(1, requires_grad=True)\n"
           "c = a * 2\nc.register_hook(lambda g: ones(3))\n"
           "(c + b).sum().backward()\n")
    with pytest.raises(GradvizError) as info:
        run(src)
    assert "has changed the size of value" in info.value.message
    rec = info.value.record
    assert rec.variables["a"].grad is None
    assert np.array_equal(rec.variables["b"].grad, [1.0])


@pytest.mark.parametrize("src, want", [
    ("f = lambda t, k=2: t * k\nprint(f(3), f(2, k=5), (lambda: 5)())", "6 10 5"),
    ("print(sorted([3, -5, 1], key=lambda v: v * v))", "[1, 3, -5]"),
    ("f = lambda: None\nprint(f)", "<function <lambda> at 0x7f3c2a400000>"),
    ("g = lambda x: lambda y: x + y\nprint(g(1)(2))", "3"),
])
def test_lambdas_run_as_python_runs_them(src, want):
    _, out = run(src + "\n")
    assert out.splitlines()[-1] == want


def test_the_picture_links_a_hook_s_gradient_to_its_tensor():
    rec, _ = run("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * x\n"
                 "y.register_hook(lambda g: g * 10)\ny.sum().backward()\n")
    (hooked,) = [n for n in rec.nodes if n.of is not None]
    assert hooked.of == "n1" and hooked.name == "g" and hooked.expr == "" \
        and hooked.line == 4
    dot = rec.to_dot()
    (link,) = [line for line in dot.splitlines() if "register_hook" in line]
    assert link.strip().startswith(f"n1 -> {hooked.id} [style=dotted")
    (node,) = [line for line in dot.splitlines() if line.strip().startswith(f"{hooked.id} [")]
    assert "the\\ gradient\\ y's\\ hook\\ got" in node


# ---- the hooks of a backward node (grad_fn.register_hook / register_prehook),
# of a leaf's AccumulateGrad, and post-accumulate-grad hooks (gradviz.hooks)

def test_a_node_s_hooks_get_tuples_and_their_gradients_are_in_the_record():
    rec, out = run("x = tensor([1.0, 2.0], requires_grad=True)\n"
                   "y = x * 2\n"
                   "y.grad_fn.register_prehook(lambda go: (go[0] * 10,))\n"
                   "y.grad_fn.register_hook(lambda gi, go: print(gi, go))\n"
                   "y.sum().backward()\nprint(x.grad)\n")
    # x * 2: PyTorch's MulBackward0 has an edge for the wrapped 2 (None)
    assert out == "(tensor([20., 20.]), None) (tensor([10., 10.]),)\ntensor([20., 20.])\n"
    got = [(n.op, n.of) for n in rec.nodes if n.of is not None]
    assert got == [("grad_fn pre-hook's grad_outputs[0]", "n1"),
                   ("grad_fn hook's grad_inputs[0]", "n1"), ("grad_fn hook's grad_outputs[0]", "n1")]
    # the picture says which argument of which hook each one was
    dot = build_dot(rec).source.replace("\\ ", " ")     # (record labels escape spaces)
    assert "grad_inputs[0] the grad_fn.register_hook() of y got" in dot
    assert "grad_outputs[0] the grad_fn.register_prehook() of y got" in dot


def test_a_pre_hook_that_drops_the_gradient_leaves_a_well_formed_pass():
    rec, out = run("x = tensor([1.0, 2.0], requires_grad=True)\n"
                   "w = tensor([3.0, 4.0], requires_grad=True)\n"
                   "y = x * w\nz = y + w\n"
                   "y.grad_fn.register_prehook(lambda go: (None,))\n"
                   "z.sum().backward()\nprint(x.grad, w.grad)\n")
    assert out == "None tensor([1., 1.])\n"
    steps = list(rec.passes[0]["steps"])
    assert 2 not in [s["node"] for s in steps]      # y's node sent nothing
    assert np.array_equal(rec.variables["w"].grad, [1.0, 1.0])


def test_post_accumulate_grad_hooks_run_as_the_leaf_is_done_in_pytorch_s_order():
    _, out = run("b = ones(1, requires_grad=True)\nw = ones(1, requires_grad=True)\n"
                 "b.register_post_accumulate_grad_hook(lambda p: print('b', p.grad))\n"
                 "w.register_post_accumulate_grad_hook(lambda p: print('w', p.grad))\n"
                 "y = w * tensor([2.0]) + b\ny.sum().backward()\n"
                 "print(torch.autograd.grad((w * 2).sum(), w))\n")
    # (autograd.grad runs no AccumulateGrad: no post-accumulate hook there)
    assert out == "b tensor([1.])\nw tensor([2.])\n(tensor([2.]),)\n"


@pytest.mark.parametrize("src,words", [
    ("x = ones(2, requires_grad=True)\n(2 / x).grad_fn.register_prehook(print)\n",
     "register_prehook() on a MulBackward0 node is not supported here"),
    ("x = ones(2, requires_grad=True)\nx.register_post_accumulate_grad_hook(lambda p: 1)\n"
     "(x * 2).sum().backward()\n",
     "expected Variable, but hook returned 'int'"),
])
def test_node_hooks_gradviz_cannot_run_are_refused_where_registered(src, words):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert words in info.value.message and info.value.hint
    assert info.value.span.line == src.count("\n")


def test_a_node_hook_outside_a_create_graph_pass_does_not_stop_it():
    _, out = run("x = tensor([1.0, 2.0], requires_grad=True)\n"
                 "(x * 5).grad_fn.register_hook(lambda gi, go: print('not in the pass'))\n"
                 "y = x ** 2\ny.register_hook(lambda g: g * 2)\n"
                 "(g,) = torch.autograd.grad(y.sum(), x, create_graph=True)\n"
                 "print(g)\n")
    assert out == "tensor([4., 8.], grad_fn=<MulBackward0>)\n"


def test_the_picture_links_a_node_hook_s_gradient_to_the_hooked_tensor():
    from gradviz.render.dot import to_dot
    rec, _ = run("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 3\n"
                 "y.grad_fn.register_hook(lambda gi, go: None)\ny.sum().backward()\n")
    dot = to_dot(rec)
    # a dotted link from y (n1) to each gradient the hook got (gi: n3, go: n4)
    assert dot.count('class="grad-link" label="grad_fn.register_hook') == 2
    assert "n1 -> n3 [style=dotted" in dot and r"grad_fn.register_hook()\ of\ y" in dot


def test_a_view_remade_after_a_write_through_its_base_keeps_its_hooks():
    """PyTorch's view keeps its list of hooks when its grad_fn is made again
    after a write through its base: a hook registered after the write joins
    the one registered before, on the grad_fn the view had then, which the
    pass does not reach (neither fires). PyTorch's output, pinned here: a
    hook registered on such a view with none before can crash PyTorch 2.13
    (a use after free), so no oracle case runs this."""
    src = ("w = torch.ones(4, 6, requires_grad=True)\nx = w * 2\nv = x.narrow(0, 1, 2)\n"
           "v.register_hook(lambda g: print('before', g.sum().item()))\nx.mul_(2.0)\n"
           "h = v.register_hook(lambda g: print('after', g.sum().item()))\n"
           "(v * 3).sum().backward()\nprint(w.grad.sum().item(), v.grad_fn.name())\n")
    assert run(src)[1] == "144.0 AsStridedBackward0\n"
