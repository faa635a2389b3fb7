"""Sets: displays, comprehensions, set() and frozenset(), the methods and
operators, and printing in Python's order (PyTorch's printouts of programs
using them are pinned by conformance_extra/python_sets*); here the
plain-value programs against Python itself, the errors, the limits and
what the exporter makes of set code."""

import pytest

from gradviz.errors import KEY, LIMIT, RUNTIME, TYPE, GradvizError
from gradviz.export import to_torch
from gradviz.render.torchfmt import format_value
from gradviz.tape import Limits
from programs import assert_python_s_error, python_prints, run

# programs of plain values: gradviz prints what Python prints (sets of
# numbers, whose order is the same in every process)
PLAIN = [
    "s = {3, 1, 2}\nprint(s, set(), frozenset([2, 1]), frozenset(), {}, type({}), type(s))",
    "print({True, 1, 1.0}, {1.0, True}, {(1, 2), None}, {*[1, 2], 3, *range(2)})",
    "print({x * x for x in range(6) if x != 2}, {a + b for a in range(3) for b in range(a)})",
    "x = 'kept'\ns = {x for x in range(3)}\nprint(x, s)",
    "s = {1, 2}\ns.add(3)\ns.add(1)\ns.discard(9)\ns.remove(2)\nprint(s, len(s), 1 in s, 2 not in s)",
    "s = {1, 2, 3}\nt = {2, 3, 4}\nprint(s | t, s & t, s - t, s ^ t, t - s)",
    "s = {1, 2}\nprint(s <= {1, 2}, s < {1, 2}, s < {1, 2, 3}, s >= {1}, s > s, s == {2, 1}, s != {1})",
    "s = {1, 2}\nprint(s.union([5], (6,)), s.intersection(range(2)), s.difference([1], [2]))",
    "s = {1, 2}\nprint(s.symmetric_difference([2, 3]), s.issubset(range(5)), s.issuperset([1]), "
    "s.isdisjoint((7, 8)), s.union(), s.intersection())",
    "s = {1}\nt = s\ns.update([2], {3}, range(4, 6))\nprint(s, t is s, s.copy() is s, s.copy() == s)",
    "s = set(range(10))\nt = s\ns -= {0, 3}\ns ^= {3, 12, 40}\ns &= set(range(0, 41, 2))\n"
    "s |= {33, 1}\nprint(s, t is s)",
    "f = frozenset({1})\ng = f\nf |= {2}\nprint(f, g, f is g, type(f), f.union([3]), f.copy() is f)",
    "s = {5, 6, 7}\nprint(s.pop(), s)\ns.clear()\nprint(s, bool(s), bool({0}), not set())",
    "print(set('aba') == {'a', 'b'}, sorted(set('hello')), len(set([1, 1, 2])), set({100: 0, 1: 0}))",
    "print({100, 1, 2, 64, 33}, list({64, 1, 100}), sorted({3, 1, 2}), tuple(frozenset((9, 8))))",
    "for v in {4, 5}:\n    print(v)\na, b = {1, 2}\nprint(a, b, [i for i in {1, 2}], list(enumerate({7})))",
    "it = iter({7, 8})\nprint(next(it), next(it), next(it, None), type(it))",
    "print({1} in {frozenset({1})}, {1} == frozenset({1}), isinstance(set(), set), "
    "isinstance(frozenset(), frozenset), isinstance(set(), frozenset))",
    "s = {1, 2}\nprint(str(s), repr(s), f'{s}', f'{s!r}', '{}'.format(s), str(frozenset()))",
    "s = {1}\ns.add(s.copy().pop() + 1)\nprint(s, len({(1, 2), (1, 2)}), {None} | {None})",
]


@pytest.mark.parametrize("src", PLAIN, ids=[s.split("\n")[0][:30] for s in PLAIN])
def test_plain_set_programs_print_what_python_prints(src):
    _, out = run(src + "\n")
    assert out == python_prints(src)


@pytest.mark.parametrize("src, kind, message, line", [
    ("s = {1, 2}\ns.remove(5)", KEY, "5", 2),
    ("s = set()\ns.pop()", KEY, "'pop from an empty set'", 2),
    ("s = {[1], 2}", TYPE, "unhashable type: 'list'", 1),
    ("s = {1}\ns.add([1])", TYPE, "unhashable type: 'list'", 2),
    ("s = {1}\ns.add({1})", TYPE, "unhashable type: 'set'", 2),
    ("s = {}\nt = {s}", TYPE, "unhashable type: 'dict'", 2),
    ("s = {x for x in [[1]]}", TYPE, "unhashable type: 'list'", 1),
    ("s = set([(1, [2])])", TYPE, "unhashable type: 'list'", 1),
    ("s = {1}\ns.update([[2]])", TYPE, "unhashable type: 'list'", 2),
    ("s = {1}\nprint([1] in s)", TYPE, "unhashable type: 'list'", 2),
    ("s = {1}\ns.discard([1])", TYPE, "unhashable type: 'list'", 2),
    ("s = {1}\nprint(s | [1])", TYPE, "unsupported operand type(s) for |: 'set' and 'list'", 2),
    ("s = {1}\nprint(s - 1)", TYPE, "unsupported operand type(s) for -: 'set' and 'int'", 2),
    ("s = {1}\nprint(s + s)", TYPE, "unsupported operand type(s) for +: 'set' and 'set'", 2),
    ("s = {1}\ns -= [1]", TYPE, "unsupported operand type(s) for -=: 'set' and 'list'", 2),
    ("s = {1}\nprint(s < [1])", TYPE, "'<' not supported between instances of 'set' and 'list'",
     2),
    ("f = frozenset({1})\nf.add(2)", "AttributeError", "'frozenset' object has no attribute "
     "'add'", 2),
    ("s = set(1)", TYPE, "'int' object is not iterable", 1),
    ("s = set(1, 2)", TYPE, "set expected at most 1 argument, got 2", 1),
    ("s = frozenset(x=1)", TYPE, "frozenset() takes no keyword arguments", 1),
    ("s = {1}\ns.add()", TYPE, "set.add() takes exactly one argument (0 given)", 2),
    ("s = {1}\ns.pop(1)", TYPE, "set.pop() takes no arguments (1 given)", 2),
    ("s = {1}\ns.union(3)", TYPE, "'int' object is not iterable", 2),
    ("s = {1}\ns.symmetric_difference()", TYPE,
     "set.symmetric_difference() takes exactly one argument (0 given)", 2),
    ("s = {1, 2, 3}\nfor v in s:\n    s.add(v + 10)", RUNTIME,
     "Set changed size during iteration", 2),
])
def test_errors_are_python_s(src, kind, message, line):
    assert_python_s_error(src, kind, message, line)


@pytest.mark.parametrize("src", [
    "s = set()\nfor i in range(200):\n    s.add(i)\n",
    "s = {i for i in range(200)}\n",
    "s = set(range(200))\n",
    "s = {1}\ns.update(range(200))\n",
    "s = set(range(60))\nt = set(range(60, 120))\nu = s | t\n",
])
def test_filling_sets_stops_at_the_run_s_limits(src):
    with pytest.raises(GradvizError) as info:
        run(src, limits=Limits(max_elements=90))
    assert info.value.kind == LIMIT


def test_adding_an_element_again_counts_nothing():
    run("s = {0}\nfor i in range(200):\n    s.add(0)\n    s.discard(1)\n",
        limits=Limits(max_elements=90))


def test_tensors_and_grad_fns_are_elements_as_in_pytorch():
    _, out = run("x = ones(2, requires_grad=True)\ny = x * 2\n"
                 "s = {x, x, y.grad_fn, y.grad_fn, ones(2)}\n"
                 "print(len(s), x in s, y in s, y.grad_fn in s, ones(2) in s)\n"
                 "z = x * 3\nheld = {z}\nz.add_(1)\nprint(z in held, len(held))\n")
    assert out == "3 True False True False\nTrue 1\n"


def test_format_value_writes_python_s_set_repr_with_tensors_by_their_text():
    assert format_value({2, 1}) == "{1, 2}" and format_value(set()) == "set()"
    assert format_value(frozenset()) == "frozenset()"
    assert format_value([frozenset({"a"})]) == "[frozenset({'a'})]"
    assert format_value({object()}, lambda v: "tensor(1.)") == "{tensor(1.)}"


def test_the_exporter_leaves_set_code_alone():
    src = "seen = set()\nxs = {x for x in range(3)}\nys = {1, *xs}\nseen |= ys & {1}\n"
    assert src in to_torch(src)
