"""grad_fn objects a program walks (next_functions, name(), an
AccumulateGrad's variable), against PyTorch's printout of the same
programs. PyTorch prints each node with its address ("<MulBackward0 object
at 0x7f...>"), gradviz with the number id() gives it: the pinned outputs
are PyTorch's with the addresses taken out, and so is gradviz's output
before they are compared."""
import contextlib
import io
import re
from pathlib import Path

import pytest

import gradviz
from gradviz.errors import GradvizError

HERE = Path(__file__).parent / "gradfns"
CASES = sorted(p.stem for p in HERE.glob("*.txt"))
ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def gradviz_prints(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("case", CASES)
def test_prints_what_pytorch_prints(case):
    src = (HERE / f"{case}.txt").read_text()
    assert ADDRESS.sub("", gradviz_prints(src)) == (HERE / f"{case}.out").read_text()


def test_a_grad_fn_prints_one_address_as_pytorch_s_one_object_does():
    src = ("x = torch.ones(2, requires_grad=True)\ny = x * 2\nz = x * 3\n"
           "print(y.grad_fn, y.grad_fn, z.grad_fn)\n"
           "print(id(y.grad_fn) == id(y.grad_fn), y.grad_fn.next_functions[0][0])\n"
           "print(z.grad_fn.next_functions[0][0])\n")
    out = gradviz_prints(src)
    assert out == gradviz_prints(src)        # the same on every run
    first, second, third = out.splitlines()
    a, b, c = ADDRESS.findall(first)
    assert a == b != c and first == f"<MulBackward0 object{a}> " * 2 + f"<MulBackward0 object{c}>"
    assert second.startswith("True <AccumulateGrad object at 0x") and third == second[5:]


@pytest.mark.parametrize("case", CASES)
def test_pinned_output_is_pytorchs(case):
    torch = pytest.importorskip("torch")
    src = (HERE / f"{case}.txt").read_text()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(src, case, "exec"), {"torch": torch})  # noqa: S102  (a test program)
    assert ADDRESS.sub("", out.getvalue()) == (HERE / f"{case}.out").read_text()


def test_walks_a_long_chain_without_recursion():
    # each step is one attribute read in the program: no recursion in gradviz
    lines = ["x = torch.ones(2, requires_grad=True)", "h = x"]
    lines += ["h = h * 2"] * 3000
    lines += ["f = h.grad_fn"] + ["f = f.next_functions[0][0]"] * 3000
    lines += ["print(f, f.variable)"]
    assert ADDRESS.sub("", gradviz_prints("\n".join(lines) + "\n")) == \
        "<AccumulateGrad object> tensor([1., 1.], requires_grad=True)\n"


@pytest.mark.parametrize("src,words", [
    ("x = torch.ones(2, requires_grad=True)\nprint((x * 2).grad_fn.variable)\n",
     "'MulBackward0' object has no attribute 'variable'"),
    ("x = torch.ones(2, requires_grad=True)\nprint((x * 2).grad_fn.metadata)\n",
     "'MulBackward0' object has no attribute 'metadata'"),
])
def test_what_is_not_modelled_is_a_clear_error(src, words):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert words in str(info.value) and info.value.span.line == 2
