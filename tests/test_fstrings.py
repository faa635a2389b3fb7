"""Strings: f-strings, str.format, str(), repr(), round() and string
operators print what Python and PyTorch print (each program's expected
output below is PyTorch's, checked when torch is installed), their mistakes
are errors at the right spot, and export keeps them runnable."""
from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_differential import assert_prints, assert_pytorch_prints, needs_torch, run_torch

import gradviz
from gradviz.errors import GradvizError
from gradviz.export import to_torch
from gradviz.fstrings import MAX_FORMAT_WIDTH

PROGRAMS = {
    # a 0-d tensor formats its item(); {x=} and !r show repr(x)
    "zero_d": (
        'import torch\nx = torch.tensor(2.5, requires_grad=True)\n'
        'print(f"{x}", f"{x:.3f}", f"{x!r}", f"{x=}", f"{x = }", f"{x=:.2f}")\n',
        "2.5 2.500 tensor(2.5000, requires_grad=True) x=tensor(2.5000, requires_grad=True) "
        "x = tensor(2.5000, requires_grad=True) x=2.50\n"),
    # other values: str() with no spec
    "values": (
        'import torch\nx = torch.tensor(2.5, requires_grad=True)\ny = torch.tensor([1.0, 2.0])\n'
        'print(f"{y}|{y!s}|{y.shape}|{y.dtype}|{x.grad}|{[1, 2]}|{(x * 2).grad_fn.name()}")\n'
        "print(f\"{x * 3:>10.4f}|{{braces}}|{1/3:.5}|{'abc'!r}|{True}|{None}|{3:05d}\")\n",
        "tensor([1., 2.])|tensor([1., 2.])|torch.Size([2])|torch.float32|None|[1, 2]|"
        "MulBackward0\n    7.5000|{braces}|0.33333|'abc'|True|None|00003\n"),
    # an int 0-d tensor is an int; item() of float32 is the float32 value
    "items": (
        'import torch\nz = torch.tensor(3)\ny = torch.tensor([1.0, 2.0])\n'
        'print(f"{z}", f"{z:4d}", f"{y.sum()}", f"{y.sum().item():.2e}")\n'
        'print(f"{torch.tensor(0.1)}", f"{torch.tensor(0.1, dtype=torch.float64)}")\n'
        'w = 7\nprint(f"{w:{w}d}|", f"{w:{w}.{2}f}|")\n',
        "3    3 3.0 3.00e+00\n0.10000000149011612 0.1\n      7|    7.00|\n"),
    # the tutorial's use: a loss and a gradient in a training step
    "training_step": (
        'import torch\nw = torch.tensor([0.5, -1.0], requires_grad=True)\n'
        'x = torch.tensor([2.0, 3.0])\nloss = ((w * x).sum() - 1) ** 2\nloss.backward()\n'
        'print(f"loss={loss.item():.4f} grad={w.grad}")\n'
        'print(f"step 1: {loss:8.3f} | {w.grad[0]:+.2f} | {w.grad.norm():.3e}")\n',
        "loss=9.0000 grad=tensor([-12., -18.])\n"
        "step 1:    9.000 | -12.00 | 2.163e+01\n"),
    # str.format, str(), repr(), round(), and + * < on strings, as Python's
    "format_and_strings": (
        'import torch\n'
        'x = torch.tensor([1.0, 2.0], requires_grad=True)\n'
        'loss = (x * x).sum()\n'
        'loss.backward()\n'
        'print("loss: {:.4f}, grad {}".format(loss.item(), x.grad))\n'
        'print("{0} {0!r} {name:>6}|{1:{2}.2f}|".format("a", 3.14159, 8, name="nm"))\n'
        'print("x" + "y", "ab" * 3, 2 * "c", "a" < "b", str(1.5), repr("q"), str(x.grad), repr(x.shape))\n'
        'print(round(2.5), round(3.14159, 2), round(1234, -2), str(loss), "{}".format(loss))\n'
        'print("{:.3f}".format(loss), str(), "done")\n',
        'loss: 5.0000, grad tensor([2., 4.])\n'
        "a 'a'     nm|    3.14|\n"
        "xy ababab cc True 1.5 'q' tensor([2., 4.]) torch.Size([2])\n"
        '2 3.14 1200 tensor(5., grad_fn=<SumBackward0>) 5.0\n'
        '5.000  done\n'),
}

ERRORS = [   # (program, error kind, line, column, words of the message)
    ('print(f"{}")\n', "SyntaxError", 1, 9, "empty expression"),
    ('print(f"}")\n', "SyntaxError", 1, 9, "single '}'"),
    ('print(f"{x")\n', "SyntaxError", 1, 9, "expecting '}'"),
    ('x = 1\nprint(f"{x!z}")\n', "SyntaxError", 2, 11, "invalid conversion"),
    ('x = 1\nprint(f"{x#}")\n', "SyntaxError", 2, 11, "'#'"),
    ('x = 1\nprint(f"{x:{x:{x}}}")\n', "SyntaxError", 2, 15, "nested too deeply"),
    ('print(f"{1 2}")\n', "SyntaxError", 1, 12, "expected '}'"),
    ('print(f"{1 $ 2}")\n', "SyntaxError", 1, 12, "'$'"),
    # stricter than Python, which keeps an unknown escape (with a warning), as
    # for every string of the language
    ('print(f"a\\xqb")\n', "SyntaxError", 1, 10, "escape"),
    ('print(f"{undefined + 1}")\n', "NameError", 1, 10, "'undefined'"),
    ('y = tensor([1.0, 2.0])\nprint(f"{y:.2f}")\n', "TypeError", 2, 9, "Tensor.__format__"),
    ('print(f"{1.5:d}")\n', "ValueError", 1, 9, "Unknown format code 'd'"),
    ('print(f"{None:.2f}")\n', "TypeError", 1, 9, "NoneType.__format__"),
    (f'print(f"{{1:{MAX_FORMAT_WIDTH + 1}}}")\n', "LimitError", 1, 9, "limit"),
    ('print("{}".format())\n', "IndexError", 1, 7, "Replacement index 0"),
    ('print("{".format(1))\n', "ValueError", 1, 7, "Single '{'"),
    ('print("{} {0}".format(1, 2))\n', "ValueError", 1, 7, "cannot switch"),
    ('print("{x}".format(y=1))\n', "KeyError", 1, 7, "'x'"),
    ('print("{!x}".format(1))\n', "ValueError", 1, 7, "conversion"),
    ('print("a" - "b")\n', "TypeError", 1, 7, "unsupported operand type(s) for -"),
    ('print("a" < 1)\n', "TypeError", 1, 7, "'<' not supported"),
    ('print("ab" * 99999999999)\n', "LimitError", 1, 7, "characters"),
    ('print(round(float("nan")))\n', "ValueError", 1, 7, "NaN"),
    ('w = 99999999\nprint(f"{1:{w}}")\n', "LimitError", 2, 9, "limit"),
]


def run(src: str) -> str:
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_prints_as_pytorch(name):
    assert_prints(*PROGRAMS[name])


@needs_torch
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_expected_output_is_pytorchs(name):
    assert_pytorch_prints(*PROGRAMS[name])


@pytest.mark.parametrize("src,kind,line,col,words", ERRORS)
def test_mistakes_are_errors_at_their_spot(src, kind, line, col, words):
    with pytest.raises(GradvizError) as info:
        run(src)
    err = info.value
    assert (err.kind, err.span.line, err.span.col) == (kind, line, col)
    assert words in f"{err.message} {err.hint}"
    assert err.hint


@needs_torch
@pytest.mark.parametrize("src,kind,line,col,words",
                         [e for e in ERRORS if e[1] != "LimitError" and "escape" not in e])
def test_pytorch_fails_on_them_too(src, kind, line, col, words):
    try:
        compile(src, "<f>", "exec")
    except SyntaxError:
        assert kind == "SyntaxError"
        return
    got = run_torch(src)
    assert got.error is not None and got.error["type"] == kind and got.error["line"] == line


def test_names_inside_fields_are_exported_with_their_torch_prefix():
    src = ('x = tensor([1.0, 2.0], requires_grad=True)\n'
           'print(f"{tanh(x)} {float32} {x.sum().item():.2f}")\n')
    script = to_torch(src)
    assert 'print(f"{torch.tanh(x)} {torch.float32} {x.sum().item():.2f}")' in script


def test_an_fstring_is_a_value_like_any_string():
    assert run('s = f"{1 + 1}-{2.5:.1f}"\nprint(s, len(s), [s])\n') == "2-2.5 5 ['2-2.5']\n"


# (names of these letters are never the language's own, as 'add' would be;
# '%' and '^' are operators only Python has, and also format spec characters)
ALPHABET = "0123456789.{}!rsafe:= ><^%,_+-'"


def _unsupported(exc) -> bool:
    """A part of Python the language leaves out, said so: '%', '^', a < b < c, r''."""
    return ("is not supported" in exc.message or "cannot be chained" in exc.message
            or "string prefixes" in (exc.hint or ""))


@settings(max_examples=400, deadline=None)
@given(st.text(ALPHABET, max_size=14))
def test_any_fstring_of_literals_is_what_python_makes_of_it(body):
    """Python itself is the oracle for f-strings of numbers and strings: the
    same text, or an error where it has one (a SyntaxError where it cannot
    compile), never a crash."""
    src = f'print(f"{body}")\n'
    try:
        code = compile(src, "<f>", "exec")
    except SyntaxError:
        code = None
    except (ValueError, OverflowError):      # a literal too long for Python
        return
    out = io.StringIO()
    try:
        gradviz.run_source(src, stdout=out)
        got = out.getvalue()
    except GradvizError as exc:
        if exc.kind == "LimitError" or _unsupported(exc):
            return                          # a width Python would make; '%' or '^'
        got = exc
    if code is None:
        assert isinstance(got, GradvizError) and got.kind == "SyntaxError", (body, got)
        return
    try:
        with contextlib.redirect_stdout(io.StringIO()) as want:
            exec(code, {})                  # noqa: S102  (literals only: no names can be bound)
        want = want.getvalue()
    except Exception:                       # noqa: BLE001  (any Python error: gradviz must fail too)
        assert isinstance(got, GradvizError), (body, got)
        return
    assert got == want, body


@settings(max_examples=300, deadline=None)
@given(st.text("{}0123!rsa:>.<^5f,x", max_size=12))
def test_str_format_is_pythons(fmt):
    """str.format of any format string: Python's text, or an error where
    Python has one."""
    args, kwargs = (1, 2.5, "s"), {"x": -3}
    try:
        want = fmt.format(*args, **kwargs)
    except Exception:                       # noqa: BLE001  (any of Python's errors)
        want = None
    src = f"print({fmt!r}.format(1, 2.5, 's', x=-3), end='')\n"
    out = io.StringIO()
    try:
        gradviz.run_source(src, stdout=out)
        got = out.getvalue()
    except GradvizError as exc:
        assert want is None or exc.kind == "LimitError", (fmt, exc)
        return
    assert got == want, fmt
