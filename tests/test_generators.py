"""Generator functions (a def with `yield`): their blocks run as items are
asked for, as Python runs them. The outputs against PyTorch are pinned by
tests/conformance_extra/gen_*.txt; here the parser's refusals, the errors
Python raises, and what the record makes of a generator's nodes."""
import io

import pytest

import gradviz
from gradviz.errors import SYNTAX, GradvizError
from gradviz.parser import parse
from gradviz.syntax import FunctionDef, Yield


def run(src: str):
    out = io.StringIO()
    record = gradviz.run_source(src, stdout=out)
    return record, out.getvalue()


def error_of(src: str) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        run(src)
    return info.value


def test_yield_parses_as_a_statement_of_its_function():
    d = parse("def f(x):\n    yield x, 1\n    yield from x\n    yield\n").body[0]
    assert d.__class__ is FunctionDef
    kinds = [(s.__class__, s.delegate, s.value is None) for s in d.body]
    assert kinds == [(Yield, False, False), (Yield, True, False), (Yield, False, True)]


@pytest.mark.parametrize("src, message", [
    ("yield 1\n", "'yield' outside function"),
    ("def f():\n    try:\n        yield 1\n    finally:\n        pass\n",
     "'yield' inside a 'try' block is not supported"),
    ("def f():\n    x = 1 + (yield 1)\n", "the value of a 'yield' cannot be used"),
    ("def f():\n    print((yield))\n", "the value of a 'yield' cannot be used"),
])
def test_yields_the_language_refuses(src, message):
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert info.value.kind == SYNTAX and info.value.message == message
    assert info.value.hint


def test_a_yield_in_a_nested_def_makes_only_that_one_a_generator():
    src = ("def outer():\n    def inner():\n        yield 1\n    return inner\n"
           "g = outer()\nprint(list(g()), outer() is None)\n")
    _, out = run(src)
    assert out == "[1] False\n"


def test_nothing_of_the_block_runs_before_the_first_item():
    _, out = run("def f():\n    print('ran')\n    yield 1\ng = f()\nprint('made')\nprint(next(g))\n")
    assert out == "made\nran\n1\n"


def test_a_generator_that_asks_itself_for_an_item_is_already_executing():
    exc = error_of("def f():\n    yield next(g)\ng = f()\nnext(g)\n")
    assert exc.kind == "ValueError" and exc.message == "generator already executing"


def test_next_of_a_list_is_pythons_type_error_with_a_hint():
    exc = error_of("next([1, 2])\n")
    assert exc.kind == "TypeError" and exc.message == "'list' object is not an iterator"
    assert "iter(" in exc.hint


def test_stop_iteration_of_a_plain_end_has_no_message_and_a_hint():
    exc = error_of("def f():\n    yield 1\ng = f()\nnext(g)\nnext(g)\n")
    assert exc.kind == "StopIteration" and exc.message == "" and exc.span.line == 5
    assert "default" in exc.hint


def test_an_error_in_the_block_names_the_generator_and_the_line_that_asked():
    exc = error_of("def f(x):\n    yield x[5]\nfor v in f(torch.ones(2)):\n    pass\n")
    assert exc.kind == "IndexError" and exc.span.line == 2
    assert exc.calls == ["  in f(), called on line 3"]


def test_a_generator_prints_as_python_shows_it():
    _, out = run("def data_iter():\n    yield 1\nprint(data_iter())\nprint(type(data_iter()))\n")
    first, second = out.splitlines()
    assert first.startswith("<generator object data_iter at 0x") and second == "<class 'generator'>"


def test_nodes_made_for_a_loops_next_item_are_labelled_with_that_pass():
    src = ("def halves(x):\n    for i in range(2):\n        yield x[i]\n"
           "w = torch.ones(2, 3, requires_grad=True)\nfor row in halves(w):\n"
           "    loss = row.sum()\n    loss.backward()\n")
    record, _ = run(src)
    selects = [n for n in record.nodes if n.line == 3]
    assert [n.in_loop for n in selects] == ["halves(w)[0], i=0", "halves(w)[1], i=1"]


def test_a_return_inside_a_with_block_of_a_generator_restores_grad_mode():
    src = ("def f():\n    with torch.no_grad():\n        yield 1\n        return\n"
           "g = f()\nnext(g)\nprint(torch.is_grad_enabled())\nprint(next(g, 'end'))\n"
           "print(torch.is_grad_enabled())\n")
    _, out = run(src)
    assert out == "False\nend\nTrue\n"


def test_a_dataloaders_batches_are_made_on_the_for_line_for_their_pass():
    src = ("from torch.utils import data\nX = torch.arange(8.0).reshape(4, 2)\n"
           "loader = data.DataLoader(data.TensorDataset(X), 2)\nw = torch.ones(2, requires_grad=True)\n"
           "\n\nfor batch in loader:\n    loss = (batch[0] @ w).sum()\n    loss.backward()\n")
    record, _ = run(src)
    batches = [n for n in record.nodes if n.line == 7 and n.op == "index"]
    assert [(n.in_loop, n.expr) for n in batches] == [("loader[0]", "loader"), ("loader[1]", "loader")]


def test_a_stopiteration_leaving_the_block_is_a_runtimeerror_at_the_consumer():
    # PEP 479: a bare next() that runs out inside the generator
    src = ("def pairs(xs):\n    it = iter(xs)\n    while True:\n        a = next(it)\n"
           "        yield a\n"
           "print(list(pairs([1])))\n")
    err = error_of(src)
    assert (err.kind, err.message, err.span.line) == (
        "RuntimeError", "generator raised StopIteration", 6)
    assert err.hint
    # caught inside the generator, it ends nothing but the loop it stops
    _, out = run("def f(xs):\n    it = iter(xs)\n    while True:\n        try:\n"
                 "            a = next(it)\n        except StopIteration:\n            return\n"
                 "        yield a\nprint(list(f('ab')))\n")
    assert out == "['a', 'b']\n"


# ---- generator expressions: lazy, as Python's ----------------------------------

GENEXP_OUTPUTS = [
    # nothing computed when made; each item at its next(); any() stops an endless one
    ("def show(v):\n    print('compute', v)\n    return v\n"
     "g = (show(v) for v in range(3))\nprint('made')\nprint(next(g))\n"
     "def nat():\n    k = 0\n    while True:\n        yield k\n        k += 1\n"
     "print(any(v > 3 for v in nat()))\n", "made\ncompute 0\n0\nTrue\n"),
    # its loop names are its own; the others are read when an item is computed
    ("x, k = 5, 1\ng = (x * k for x in [1, 2])\nk = 10\nprint(next(g), x)\nx = 7\n"
     "print(next(g), x, next(g, 'end'))\n"
     "def make(s):\n    return (s * v for v in range(2))\nprint(list(make(3)))\n",
     "10 5\n20 7 end\n[0, 3]\n"),
    # under the grad mode of each next()
    ("w = torch.tensor(1., requires_grad=True)\ng = (w * i for i in range(2))\n"
     "with torch.no_grad():\n    a = next(g)\nb = next(g)\n"
     "print(a.requires_grad, b.requires_grad)\n", "False True\n"),
]


@pytest.mark.parametrize("src, expected", GENEXP_OUTPUTS)
def test_a_generator_expression_computes_each_item_when_asked_for(src, expected):
    assert run(src)[1] == expected


def test_nodes_a_generator_expression_makes_for_a_loops_pass_are_labelled_with_it():
    src = ("w = torch.ones(2, requires_grad=True)\n"
           "for y in (w * i for i in range(2)):\n    y.sum().backward()\n")
    record, _ = run(src)
    muls = [n for n in record.nodes if n.line == 2 and n.op == "mul"]
    assert [n.in_loop for n in muls] == ["(w * i for i in ran…[0], i=0",
                                         "(w * i for i in ran…[1], i=1"]


def test_a_generator_expression_that_asks_itself_is_already_executing():
    exc = error_of("g = (next(g) for _ in range(2))\nnext(g)\n")
    assert (exc.kind, exc.message) == ("ValueError", "generator already executing")


ITERABLE_CLASS = ("class Bag:\n    def __init__(self, xs):\n        self.xs = xs\n"
                  "    def __iter__(self):\n        for x in self.xs:\n            yield x * 2\n")


def test_a_class_whose_iter_yields_is_walked_by_pythons_builtins():
    # PyTorch's WrappedDataLoader: next(iter(loader)), list(), zip() call its __iter__
    _, out = run(ITERABLE_CLASS + "b = Bag([1, 2])\nprint(next(iter(b)), list(b), list(zip(b, b)))\n")
    assert out == "2 [2, 4] [(2, 2), (4, 4)]\n"


def test_an_iter_that_returns_a_list_is_pythons_type_error():
    exc = error_of("class Bad:\n    def __iter__(self):\n        return [1]\nfor x in Bad():\n    pass\n")
    assert exc.kind == "TypeError" and exc.message == "iter() returned non-iterator of type 'list'"
    assert exc.span.line == 4 and "iter(self" in exc.hint


def test_math_fsum_adds_numbers_and_one_element_tensors_exactly():
    _, out = run("import math\nprint(math.fsum([torch.tensor(0.5), 0.1, 0.2, True]), "
                 "math.fsum(x for x in [0.1] * 10))\n")
    assert out == "1.8 1.0\n"
    exc = error_of("import math\nmath.fsum([None])\n")
    assert exc.kind == "TypeError" and exc.message == "must be real number, not NoneType"
