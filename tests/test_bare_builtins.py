"""Bare sum/max/min/abs/pow: Python's builtins for Python values (checked
against Python itself here), torch's for a tensor (bare_builtins.py; the
plain-script programs are pinned against PyTorch in tests/conformance_script)."""

import pytest
from hypothesis import given, settings, strategies as st

from programs import assert_python_s_error, python_prints, run

PLAIN = [
    "print(min(6, 20), max(1, 2.5, 2), min(3, 3.0), max(3.0, 3), min('b', 'a'))",
    "print(sum([1, 2, 3]), sum([0.1] * 10), sum(range(5), 10), sum([], start=4), sum([[1], [2]], []))",
    "print(sum([True, False, True]), sum(x * x for x in range(4)), sum({1: 'a', 2: 'b'}))",
    "print(max([3, 1, 2], key=lambda v: -v), min([], default=7), max((), default=None), min('hello'))",
    "print(max([(1, 'b'), (1, 'a')]), min([[2], [1, 5]]), max({3, 9, 4}), max([1, 1.0]), max([1.0, 1]))",
    "print(max(float('nan'), 1.0), max(1.0, float('nan')), min([2, float('inf')]))",
    "print(abs(-3), abs(-2.5), abs(True), abs(0.0), abs(-0.0))",
    "print(pow(2, 10), pow(2, -1), pow(2.0, 0.5), pow(3, 4, 5), pow(base=2, exp=3), pow(7, -1, 5))",
    "words = ['aa', 'b', 'ccc']\nprint(max(words, key=len), min(words, key=len), sorted(words, key=len))",
    "n = 25\nb = 10\nprint([list(range(n))[i: min(i + b, n)] for i in range(0, n, b)])",
]


@pytest.mark.parametrize("src", PLAIN)
def test_python_values_get_pythons_builtins(src):
    _, out = run(src + "\n")
    assert out == python_prints(src + "\n")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.integers(-10**6, 10**6),
                          st.floats(allow_nan=False, allow_infinity=False)), min_size=1, max_size=8))
def test_sums_and_extremes_of_numbers_are_pythons(xs):
    src = f"xs = {xs!r}\nprint(sum(xs), max(xs), min(xs), max(*xs, 0), [abs(v) for v in xs])\n"
    _, out = run(src)
    assert out == python_prints(src)


@pytest.mark.parametrize("src, kind, message", [
    ("sum(3)", "TypeError", "'int' object is not iterable"),
    ("sum(['a', 'b'], 'x')", "TypeError", "sum() can't sum strings [use ''.join(seq) instead]"),
    ("max([])", "ValueError", "max() arg is an empty sequence"),
    ("min(1, 2, default=0)", "TypeError",
     "Cannot specify a default for min() with multiple positional arguments"),
    ("max()", "TypeError", "max expected at least 1 argument, got 0"),
    ("abs('x')", "TypeError", "bad operand type for abs(): 'str'"),
    ("pow(2.0, 3, 5)", "TypeError", "pow() 3rd argument not allowed unless all arguments are integers"),
    ("pow(2, 3, 0)", "ValueError", "pow() 3rd argument cannot be 0"),
    ("pow(2, 3, 5.0)", "TypeError", "pow() 3rd argument not allowed unless all arguments are integers"),
    ("pow(2.0, [1], 3)", "TypeError", "pow() 3rd argument not allowed unless all arguments are integers"),
    ("pow(None, [1], 3)", "TypeError",
     "unsupported operand type(s) for ** or pow(): 'NoneType', 'list', 'int'"),
    ("pow('a', 2, 3)", "TypeError", "unsupported operand type(s) for ** or pow(): 'str', 'int', 'int'"),
    ("max(1, 'a')", "TypeError", "'>' not supported between instances of 'str' and 'int'"),
])
def test_pythons_errors(src, kind, message):
    assert_python_s_error("x = 1\n" + src, kind, message, 2)


def test_a_tensor_goes_to_torch():
    _, out = run("x = torch.tensor([1.0, 5.0, 3.0], requires_grad=True)\n"
                 "print(max(x), min(x, dim=0).indices, sum(x, 0), abs(-x), pow(x, 2), pow(2, x))\n")
    assert out == ("tensor(5., grad_fn=<MaxBackward1>) tensor(0) tensor(9., grad_fn=<SumBackward1>) "
                   "tensor([1., 5., 3.], grad_fn=<AbsBackward0>) "
                   "tensor([ 1., 25.,  9.], grad_fn=<PowBackward0>) "
                   "tensor([ 2., 32.,  8.], grad_fn=<PowBackward2>)\n")


def test_a_list_of_tensors_sums_and_compares_as_python_does():
    rec, out = run("x = torch.tensor([1.0, 5.0, 5.0], requires_grad=True)\n"
                   "parts = [x[0], x[1] * 1, x[2]]\n"
                   "s = sum(parts)\nm = max(parts)\nprint(s.grad_fn.name(), m.grad_fn.name())\n"
                   "(s + m).backward()\nprint(x.grad)\n")
    # 0 + x[0] + x[1] + x[2] through AddBackward0; the first of the equal 5s kept
    assert out == "AddBackward0 MulBackward0\ntensor([1., 2., 1.])\n"


def test_torch_s_refusal_of_a_number_after_a_tensor_hints_at_the_number():
    # max(x, 2.0) is torch.max (a tensor came first), which takes no number:
    # the hint makes a tensor of the number, not of x
    from gradviz.errors import GradvizError
    with pytest.raises(GradvizError) as info:
        run("x = torch.tensor(1.0)\nm = max(x, 2.0)\n")
    assert info.value.hint.endswith("make it a tensor first, e.g. torch.tensor(2.0)")
