"""torch.autograd.forward_ad: dual tensors and their tangents (printouts
pinned against PyTorch by conformance_extra/forward_ad_*), the errors, and
the tangents against reverse mode on the same programs."""
import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError

HEAD = "import torch.autograd.forward_ad as fwAD\n"


def run(src: str):
    out = io.StringIO()
    rec = gradviz.run_source(HEAD + src, stdout=out)
    return rec, out.getvalue()


@pytest.mark.parametrize("expr", [
    "(x * x).sum()", "(x.exp() * 2 - x).mean()", "(x @ W).sum()", "torch.stack([x, x * 3]).sum()",
    "(x / (x + 2)).prod()", "x.max()", "torch.cat([x, x ** 2]).norm()",
])
def test_a_tangent_is_the_directional_derivative_reverse_mode_gives(expr):
    # <grad f(x), v> by reverse mode must equal f's tangent along v
    src = ("W = tensor([[1.0, -1.0], [0.5, 2.0], [3.0, 0.0]])\n"
           "x0 = tensor([0.3, 1.2, -0.7])\nv = tensor([1.0, -2.0, 0.5])\n"
           "with fwAD.dual_level():\n"
           "    x = fwAD.make_dual(x0, v)\n"
           f"    t = fwAD.unpack_dual({expr}).tangent\n"
           "x = x0.clone().requires_grad_()\n"
           f"f = {expr}\nf.backward()\n"
           "print(t.item(), (x.grad * v).sum().item())\n")
    _, out = run(src)
    fwd, rev = map(float, out.split())
    assert fwd == pytest.approx(rev, rel=1e-5, abs=1e-6)


def test_tangents_are_one_object_and_leave_with_their_level():
    _, out = run("p = ones(2)\nt = tensor([1.0, 2.0])\n"
                 "with fwAD.dual_level():\n"
                 "    d = fwAD.make_dual(p, t)\n    y = d * 3\n"
                 "    print(fwAD.unpack_dual(d).tangent is t, "
                 "fwAD.unpack_dual(y).tangent is fwAD.unpack_dual(y).tangent)\n"
                 "print(fwAD.unpack_dual(y).tangent, y)\n")
    assert out == "True True\nNone tensor([3., 3.])\n"


def test_the_record_holds_the_tangents_computed():
    rec, _ = run("with fwAD.dual_level():\n"
                 "    d = fwAD.make_dual(ones(2), tensor([1.0, 2.0]))\n"
                 "    jvp = fwAD.unpack_dual(d * d).tangent\n")
    tangents = [n for n in rec.nodes if n.op == "tangent"]
    assert len(tangents) == 1 and np.array_equal(tangents[0].value, [2.0, 4.0])
    assert np.array_equal(rec.variables["jvp"].value, [2.0, 4.0])


@pytest.mark.parametrize("src, words", [
    ("fwAD.make_dual(ones(2), ones(2))", "no level exists"),
    ("with fwAD.dual_level():\n    fwAD.make_dual(ones(2), ones(3))",
     "Tensor is of size [2] while the given forward gradient is of size [3]."),
    ("with fwAD.dual_level():\n    fwAD.make_dual(arange(2), arange(2))",
     "Expected primal to be floating point or complex, but got: torch.int64"),
    ("with fwAD.dual_level():\n    d = fwAD.make_dual(ones(2), ones(2))\n"
     "    fwAD.make_dual(d, ones(2))", "already has a forward gradient at the same level"),
    ("with fwAD.dual_level():\n    with fwAD.dual_level():\n        x = 1",
     "Nested forward mode AD is not supported"),
    ("fwAD.unpack_dual(3.0)", "argument 'dual' (position 1) must be Tensor, not float"),
])
def test_errors_are_pytorch_s(src, words):
    with pytest.raises(GradvizError) as info:
        run(src + "\n")
    assert words in info.value.message
    # (the failing line: the last but for the nested level's, whose block follows)
    assert info.value.span.line == src.count("\n") + 2 - ("Nested" in words)
