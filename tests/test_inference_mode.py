"""torch.inference_mode(): inference tensors (is_inference()) and PyTorch's
refusals of them outside the mode. Printed values are pinned by
tests/conformance_extra/inference_mode*.txt; these pin the cases between."""
import io

import pytest

import gradviz
from gradviz.errors import GradvizError

SETUP = ("x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"
         "with torch.inference_mode():\n    a = torch.ones(3)\n    v = a[1:]\n")


def run(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(SETUP + src, stdout=out)
    return out.getvalue()


def error(src: str) -> GradvizError:
    with pytest.raises(GradvizError) as e:
        run(src)
    return e.value


def test_what_the_mode_makes_is_an_inference_tensor_and_nothing_else_is():
    assert run("print(a.is_inference(), v.is_inference(), x.is_inference(), "
               "(a + 1).is_inference(), a.detach().is_inference(), a.t().is_inference())\n") == \
        "True True False False True True\n"


def test_an_op_that_saves_it_for_a_gradient_is_refused_one_that_does_not_is_not():
    assert run("print((x + a).grad_fn.name(), (a * 2).requires_grad)\n") == \
        "AddBackward0 False\n"
    for src in ("y = a * x\n", "y = x.view(1, 3).mm(a.view(3, 1))\n", "y = torch.maximum(x, a)\n"):
        e = error(src)
        assert e.message.startswith("Inference tensors cannot be saved for backward.")
        assert "clone()" in e.hint


def test_inside_the_mode_it_is_written_in_place_and_outside_refused():
    assert run("with torch.inference_mode():\n    a += 1\n    v.mul_(2)\nprint(a)\n") == \
        "tensor([2., 4., 4.])\n"
    for src in ("a += 1\n", "v.mul_(2)\n", "a.exp_()\n", "a[0] = 2.0\n", "a.zero_()\n",
                "a.uniform_()\n"):
        e = error(src)
        assert e.message.startswith("Inplace update to inference tensor outside InferenceMode")
        assert "clone()" in e.hint


def test_a_write_with_gradients_is_refused_before_it_is_made():
    e = error("a += x\n")
    assert e.message.startswith("Inplace update to inference tensor outside InferenceMode")


def test_requires_grad_on_one_is_refused_outside_the_mode():
    for src in ("a.requires_grad_()\n", "a.requires_grad = True\n"):
        assert error(src).message == ("Setting requires_grad=True on inference tensor outside "
                                      "InferenceMode is not allowed.")
    assert run("a.requires_grad_(False)\nprint(a.clone().requires_grad_().requires_grad)\n") \
        == "True\n"


def test_is_inference_mode_enabled_follows_the_blocks_and_decorated_functions():
    src = ("@torch.inference_mode()\ndef f():\n    return torch.is_inference_mode_enabled()\n"
           "with torch.inference_mode():\n    with torch.no_grad():\n"
           "        print(torch.is_inference_mode_enabled())\n"
           "    with torch.inference_mode(False):\n"
           "        print(torch.is_inference_mode_enabled())\n"
           "print(f(), torch.is_inference_mode_enabled())\n")
    assert run(src) == "True\nFalse\nTrue False\n"
