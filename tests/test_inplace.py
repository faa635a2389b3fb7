"""In-place updates: what the version counters decide, and the one case the
engine refuses rather than get wrong.

The PyTorch behaviour itself is pinned by oracle cases in
tests/conformance_extra (version_*, inplace_*, error_inplace_*, view_rebased*);
these tests check the engine's side of it: where the check runs, what the
hint names, and that a gradient this model cannot follow is an error, never
a silent wrong number.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from gradviz.autodiff import ADOPT_SIZE
from gradviz.errors import GradvizError


def run(src: str):
    out = io.StringIO()
    record = gradviz.run_source(src, stdout=out)
    return record, out.getvalue()


def error(src: str) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        run(src)
    return info.value


def test_the_hint_names_the_write_and_the_use():
    err = error("w = tensor([1.0, 2.0], requires_grad=True)\ny = w * w\n"
                "with torch.no_grad():\n    w -= 0.1\ny.sum().backward()\n")
    assert "is at version 1; expected version 0" in err.message
    assert "w was changed in place on line 4 after line 2 used it" in err.hint
    assert err.span.line == 5


def test_a_write_before_the_op_is_not_stale():
    # the op saw the write (stamp <= its index): no error
    _, out = run("w = tensor([1.0, 2.0], requires_grad=True)\nwith torch.no_grad():\n"
                 "    w -= 0.5\ny = w * w\ny.sum().backward()\nprint(w.grad)\n")
    assert out == "tensor([1., 3.])\n"


def test_graphs_without_writes_skip_the_check():
    record, _ = run("x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).exp().sum()\n"
                    "y.backward()\n")
    assert record is not None


@pytest.mark.parametrize("src, want", [
    # a view of y, then y changed in place with grad on: PyTorch routes v's
    # gradient through the in-place op (AsStridedBackward0 -> MulBackward0)
    ("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 1\nv = y[0:1]\ny *= 3\n"
     "v.sum().backward()\nprint(v.grad_fn.name(), x.grad)\n",
     "AsStridedBackward0 tensor([3., 0.])\n"),
    # y changed through its view v: y's new node is CopySlices (pinned in
    # tests/test_setitem_grad.py), and another view w of y, made before,
    # reads y's new node
    ("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 1\nv = y[0:1]\nw = y[1:]\n"
     "v *= 3\nw.sum().backward()\nprint(w.grad_fn.name(), x.grad)\n",
     "AsStridedBackward0 tensor([0., 1.])\n"),
])
def test_a_view_held_through_an_inplace_op_takes_its_gradient_through_it(src, want):
    assert run(src)[1] == want


def test_a_view_of_a_0d_tensor_written_in_place_is_refused_not_wrong():
    # (PyTorch gives 3: the one view this model does not make again)
    src = ("x = tensor(2.0, requires_grad=True)\ny = x * 1\nv = y.view(1)\ny *= 3\n"
           "v.sum().backward()\n")
    err = error(src)
    assert "gradviz cannot follow this gradient: v shares memory" in err.message
    assert "line 4" in err.message and "out of place" in err.hint


def test_values_and_names_after_a_write_through_a_view_are_pytorchs():
    _, out = run("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * 1\nv = y[0:1]\nv *= 3\n"
                 "print(y, v.grad_fn.name())\n")
    assert out == "tensor([3., 2.], grad_fn=<CopySlices>) AsStridedBackward0\n"


@pytest.mark.parametrize("view", ["x[0:1]", "x.view(2)", "x.reshape(1, 2)", "x[0]"])
def test_a_view_of_a_leaf_that_requires_grad_refuses_inplace_ops(view):
    err = error(f"x = tensor([1.0, 2.0], requires_grad=True)\nv = {view}\nv *= 3\n")
    assert err.message == ("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation.")


@pytest.mark.parametrize("between, after_second", [
    # the second backward adds into x.grad in place
    ("", [5.0, 7.0, 9.0]),
    # zero_() and += through the .grad the program read, and through its .data
    ("x.grad.zero_()", [3.0, 3.0, 3.0]),
    ("g = x.grad\ng += 100", [105.0, 107.0, 109.0]),
    ("g = x.grad.data\ng *= 0", [3.0, 3.0, 3.0]),
])
def test_grad_history_keeps_each_pass(between, after_second):
    """The record keeps each backward's .grad without copying it up front
    (Tape.share_grad): whatever later writes into the buffer, each pass
    still shows the value it left."""
    src = ("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
           "(x * x).sum().backward()\n"
           f"{between}\n"
           "(3 * x).sum().backward()\n")
    record, _ = run(src)
    x = int(record.variable_ids["x"][1:])
    passes = [v for what, v, _ in record.grad_history(x) if what.startswith("backward")]
    assert [p.tolist() for p in passes] == [[2.0, 4.0, 6.0], after_second]


def test_a_version_error_marks_the_changed_value_not_the_backward_line():
    """The tables and the picture mark what the error is about: the value
    an in-place write changed (and the op that saved it), not the tensors
    of the backward() line."""
    err = error("w = tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
                "y = w.exp()\n"
                "z = w * y\n"
                "with torch.no_grad():\n"
                "    y += 1\n"
                "loss = z.sum()\n"
                "loss.backward()\n")
    record = err.record
    marked = sorted(n.name for n in record.nodes if n.error)
    # mul saved y (for w's gradient): y and the product are marked
    assert marked == ["y", "z"]
    assert record.error["marked"] == "the value an in-place write changed and the op that saved it"


# PyTorch 2.13: sum's gradient is one value expanded; cat's and stack's
# backward hand out narrow()/select() views of it, so grad() of a piece still
# repeats memory and `*=` on it raises (an oracle run, kept here rather than
# as a corpus case: see the note in tests/test_hostile.py's subprocess test)
CAT_GRAD = """x1 = tensor([[[1.0, 0.0, -1.0]], [[1.0, -1.0, 1.0]]], requires_grad=True)
x5 = tensor([[[0.25, -1.5, -1.5]], [[-2.0, 1.5, 2.0]]], requires_grad=True)
v6 = torch.cat((x5, x1), -3)
g8 = torch.autograd.grad(torch.sum(v6), x1, retain_graph=True)[0]
g9 = torch.autograd.grad(torch.stack([x1, x5], 1).sum(), x5)[0]
with torch.no_grad():
    g{k} *= 2
"""


@pytest.mark.parametrize("k", [8, 9])
def test_grad_of_a_cat_or_stack_piece_of_a_sum_stays_expanded(k):
    err = error(CAT_GRAD.format(k=k))
    assert "refers to a single memory location" in err.message and err.span.line == 7


def _step_grads(record, seq):
    """Every gradient a node received or was sent, pass by pass."""
    found = []
    for ev in record.passes:
        for step in ev["steps"]:
            if step["node"] == seq:
                found.append(np.asarray(step["grad"]).copy())
            found += [np.asarray(g).copy() for to, g in step["sent"] if to == seq]
    return found


@pytest.mark.parametrize("between", [
    "x.grad.zero_()", "g = x.grad\ng += 100", "x.grad[0] = 7.0", "x.grad.data.mul_(0)", "pass"])
def test_a_big_first_grad_taken_without_a_copy_keeps_each_pass(between):
    """A leaf's first .grad of ADOPT_SIZE numbers or more is the array the
    pass made (no copy): whatever later writes into it, the record still
    shows what each pass sent and left."""
    n = ADOPT_SIZE
    src = (f"x = ones({n}, requires_grad=True)\n"
           "(x * 2.0).sum().backward()\n"
           f"{between}\n"
           "(3 * x).sum().backward()\n")
    record, _ = run(src)
    x = int(record.variable_ids["x"][1:])
    first = [v for what, v, _ in record.grad_history(x) if what.startswith("backward")][0]
    assert np.all(first == 2.0)
    assert all(np.all(g == 2.0) for g in _step_grads(record, x)[:2])


def test_a_big_first_grad_is_the_pass_s_array_and_shared_ones_are_copied():
    n = ADOPT_SIZE
    # mul sends x a new array: .grad takes it
    record, _ = run(f"x = ones({n}, requires_grad=True)\n(x * 2.0).sum().backward()\n")
    x = int(record.variable_ids["x"][1:])
    (ev,) = record.passes
    assert any(step["grad"] is ev["leaf_grads"][x] for step in ev["steps"])
    # add sends one array to both: each .grad is its own copy, as in PyTorch
    _, out = run(f"a = ones({n}, requires_grad=True)\nb = ones({n}, requires_grad=True)\n"
                 "((a + b) * 1.0).sum().backward()\na.grad += 1\nprint(a.grad[0], b.grad[0])\n")
    assert out == "tensor(2.) tensor(1.)\n"
    # a gradient the program passed in is never taken
    _, out = run(f"x = ones({n}, requires_grad=True)\nv = ones({n})\nx.backward(v)\n"
                 "x.grad += 1\nprint(v[0], x.grad[0])\n")
    assert out == "tensor(1.) tensor(2.)\n"


def test_out_writes_into_the_tensor_and_warns_when_it_resizes_one_with_elements():
    out = io.StringIO()
    record = gradviz.run_source("o = torch.zeros(3)\nr = torch.mul(torch.ones(2), 2, out=o)\n"
                                "print(r is o, o)\n", stdout=out)
    assert out.getvalue() == "True tensor([2., 2.])\n"
    (warned,) = [ev["message"] for ev in record.events if ev["kind"] == "user_warning"]
    assert warned.startswith("An output with one or more elements was resized since it had "
                             "shape [3], which does not match the required output shape [2].")
    with pytest.raises(GradvizError, match="argument 'out' must be Tensor, not list") as info:
        gradviz.run_source("torch.add(torch.ones(2), 1, out=[0, 0])\n", stdout=io.StringIO())
    assert info.value.span.line == 1 and info.value.hint


def test_out_with_a_wrong_argument_is_the_calls_type_error():
    # (PyTorch's message lists out= among the call's arguments, gradviz's
    # leaves it out: its out= is taken apart before the forms are checked)
    with pytest.raises(GradvizError, match=r"pow\(\) received an invalid combination of "
                                           r"arguments - got \(Tensor, int, "):
        gradviz.run_source("pow(ones(3), 2, dtype=0, out=ones(3))\n", stdout=io.StringIO())


def test_overlapping_unfold_windows_change_once_per_appearance():
    # PyTorch changes an element once per window it is in (an add_(1) adds
    # 1 to x[2] three times), each change from the last one's value, in its
    # order of iteration (tests/conformance_extra/views_unfold_overlap_inplace)
    _, out = run("x = torch.arange(8.0)\nw = x.unfold(0, 3, 1)\nw.add_(1)\nprint(x)\n"
                 "c = torch.arange(6.0)\nv = c.as_strided((2, 2), (1, 1))\nv.mul_(2)\nprint(c)\n")
    assert out == ("tensor([1., 3., 5., 6., 7., 8., 8., 8.])\n"
                   "tensor([0., 4., 4., 3., 4., 5.])\n")
    # windows apart, or one window of them, change once
    _, out = run("x = torch.arange(8.0)\nx.unfold(0, 2, 2).mul_(2)\n"
                 "x.unfold(0, 3, 1)[0].add_(1)\nprint(x)\n")
    assert out == "tensor([ 1.,  3.,  5.,  6.,  8., 10., 12., 14.])\n"
    # with gradients too, recorded as PyTorch's CopySlices: the op's gradient
    # reaches each element from one window, the windows' own from all
    # (tests/conformance_extra/unfold_windows_inplace_grad)
    _, out = run("a = torch.arange(8.0, requires_grad=True)\nx = a * 1\n"
                 "w = x.unfold(0, 3, 1).t()\nw.add_(1)\nprint(x)\n"
                 "(x * torch.arange(8.0)).sum().backward(retain_graph=True)\nprint(a.grad)\n"
                 "a.grad = None\nw.sum().backward()\nprint(a.grad)\n")
    assert out == ("tensor([1., 3., 5., 6., 7., 8., 8., 8.], grad_fn=<CopySlices>)\n"
                   "tensor([0., 1., 2., 3., 4., 5., 6., 7.])\n"
                   "tensor([1., 2., 3., 3., 3., 3., 2., 1.])\n")


def test_in_place_shape_change_of_a_recorded_tensor_under_no_grad_keeps_its_grad_fn():
    # PyTorch keeps the old shape's grad_fn, and its backward then refuses
    # a gradient of the new shape (tests/conformance_extra/views_t_no_grad_*)
    err = error("x = torch.ones(2, 3, requires_grad=True)\ny = x * 1\n"
                "with torch.no_grad():\n    y.t_()\nz = y.sum()\nz.backward()\n")
    assert err.message == ("Function SumBackward0 returned an invalid gradient at index 0 - "
                           "got [3, 2] but expected shape compatible with [2, 3]")
    assert err.span.line == 6


def test_a_shape_changed_in_place_is_not_shown_as_changed_in_value():
    # (t_() and unsqueeze_() bump the version, but no number changes: no
    # tensor of that memory is marked "changed in place later")
    record = gradviz.run_source("x = torch.arange(6.0, requires_grad=True)\ny = (x * 2).view(2, 3)\n"
                                "y.t_()\ny.unsqueeze_(0)\ny.sum().backward()\n", stdout=io.StringIO())
    assert record.snapshots == {}
    record = gradviz.run_source("x = torch.arange(6.0, requires_grad=True)\ny = x * 2\ny.t_()\n"
                                "y.mul_(3)\ny.sum().backward()\n", stdout=io.StringIO())
    assert list(record.snapshots) != []
