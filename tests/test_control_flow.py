"""if/elif/else, while and for loops (break, continue, pass): run as Python
runs them, each pass recording its own nodes. The programs' outputs are
pinned by tests/conformance_extra/control_*.txt (PyTorch's); here what the
record and the limits make of them."""
import io

import pytest

import gradviz
from gradviz.errors import LIMIT, GradvizError
from gradviz.parser import parse
from gradviz.tape import Limits


def run(src: str, **kw):
    out = io.StringIO()
    record = gradviz.run_source(src, stdout=out, **kw)
    return record, out.getvalue()


def test_each_pass_of_a_loop_makes_its_own_nodes_on_the_loops_line():
    record, out = run("x = tensor(1.0, requires_grad=True)\nh = x\nfor i in range(4):\n"
                      "    h = h * 2\nh.backward()\nprint(x.grad)\n")
    assert out == "tensor(16.)\n"
    muls = [n for n in record.nodes if n.op == "mul"]
    assert len(muls) == 4 and {n.line for n in muls} == {4}


def test_the_d2l_control_flow_example_without_a_function():
    # d2l's f(a), written inline: the gradient is d / a whatever a is
    src = ("a = tensor(0.3, requires_grad=True)\nb = a * 2\nwhile b.norm() < 1000:\n"
           "    b = b * 2\nif b.sum() > 0:\n    c = b\nelse:\n    c = 100 * b\nd = c\n"
           "d.backward()\nprint(a.grad == d / a)\n")
    _, out = run(src)
    assert out == "tensor(True)\n"


def test_break_and_continue_leave_a_with_block_as_it_was():
    src = ("x = tensor(1.0, requires_grad=True)\nfor i in range(3):\n"
           "    with torch.no_grad():\n        if i == 0:\n            continue\n"
           "        break\nprint(torch.is_grad_enabled(), (x * 2).requires_grad)\n")
    assert run(src)[1] == "True True\n"


def test_nested_loops_and_else_chains():
    src = ("n = 0\nfor i in range(4):\n    for j in range(4):\n        if j > i:\n"
           "            break\n        elif j == 1:\n            continue\n        else:\n"
           "            n = n + 1\nprint(n, i, j)\n")
    assert run(src)[1] == "7 3 3\n"


def test_a_loop_that_never_ends_stops_at_the_time_limit():
    with pytest.raises(GradvizError) as info:
        run("n = 0\nwhile True:\n    n = n + 1\n", limits=Limits(timeout=0.3))
    err = info.value
    assert err.kind == LIMIT and "time limit of 0.3 s" in err.message
    assert err.span.line in (2, 3)


def test_a_loop_that_makes_tensors_stops_at_the_node_limit():
    with pytest.raises(GradvizError) as info:
        run("x = ones(2, requires_grad=True)\nwhile True:\n    x = x * 1\n",
            limits=Limits(max_nodes=1000))
    assert info.value.kind == LIMIT and info.value.span.line == 3


def test_one_line_blocks_and_their_else_parse_in_a_long_program():
    # (a long program takes the parser's path for repeated lines: a line
    # with a block on it, or an else, is no line that stands alone)
    src = "x = 1\n" * 40 + "if x > 0: y = 1\nelse: y = 2\n" + "z = 3\n" * 40
    program = parse(src)
    assert [type(s).__name__ for s in program.body[39:42]] == ["Repeat", "If", "Repeat"]
    assert run(src + "print(y)\n")[1] == "1\n"


def test_export_walks_into_blocks():
    from gradviz.export import to_torch
    text = to_torch("x = ones(2)\nfor i in range(2):\n    if i:\n        x = exp(x)\n")
    assert "for i in range(2):\n    if i:\n        x = torch.exp(x)\n" in text


# ---- functions -------------------------------------------------------------------

def test_the_d2l_control_flow_example_as_written():
    # d2l 2.5.4: the gradient of a function with loops and branches
    src = ("def f(a):\n    b = a * 2\n    while b.norm() < 1000:\n        b = b * 2\n"
           "    if b.sum() > 0:\n        c = b\n    else:\n        c = 100 * b\n    return c\n\n"
           "a = torch.randn(size=(), requires_grad=True)\nd = f(a)\nd.backward()\n"
           "print(a.grad == d / a)\n")
    record, out = run(src)
    assert out == "tensor(True)\n"
    assert set(record.variables) == {"a", "d"}      # (the function's own names are gone)


def test_a_function_writes_into_the_callers_tensor_in_place():
    # PyTorch's in-place op keeps the object: the caller's z sees the write
    src = ("def upd(t):\n    t += 1\n\nx = torch.ones(2, requires_grad=True)\nz = x * 1\nupd(z)\n"
           "print(z)\n")
    assert run(src)[1] == "tensor([2., 2.], grad_fn=<AddBackward0>)\n"


def test_return_inside_a_with_block_restores_grad_mode():
    src = ("def g(x):\n    with torch.no_grad():\n        return x * 2\n\n"
           "x = torch.ones(2, requires_grad=True)\ny = g(x)\n"
           "print(y.requires_grad, torch.is_grad_enabled())\n")
    assert run(src)[1] == "False True\n"


@pytest.mark.parametrize("src,words,line", [
    ("x = tensor(1.0)\nfor r in x:\n    y = r\n", "iteration over a 0-d tensor", 2),
    ("for i in range(1, 2, 0):\n    y = i\n", "arg 3 must not be zero", 1),
    ("i = 0\nwhile i < ones(2):\n    i = i + 1\n", "more than one value is ambiguous", 2),
    ("x = ones(2)\nwhile x.sum() < 10**400:\n    pass\n", "int too big to convert", 2),   # (PyTorch's OverflowError)
    ("def f(x):\n    return x\nf(1, 2)\n", "f() takes 1 positional argument but 2 were given", 3),
    ("def f(x, y):\n    return x\nf()\n",
     "f() missing 2 required positional arguments: 'x' and 'y'", 3),
    ("def f(x):\n    return x\nf(1, z=2)\n", "f() got an unexpected keyword argument 'z'", 3),
    ("def f(x):\n    return x\nf(1, x=2)\n", "f() got multiple values for argument 'x'", 3),
    ("def f(n):\n    return f(n + 1)\nf(0)\n", "maximum recursion depth exceeded", 2),
    ("def f(x):\n    y = x * nope\n    return y\nz = f(1)\n", "name 'nope' is not defined", 2),
    # Python's rule: a name the function assigns anywhere is its own all through it
    ("t = 1\ndef f():\n    t += 1\n    return t\nf()\n",
     "cannot access local variable 't' where it is not associated with a value", 3),
])
def test_run_errors_are_pythons_on_their_line(src, words, line):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert words in info.value.message and info.value.span.line == line


@pytest.mark.parametrize("src,words,line", [
    ("return 1\n", "'return' outside function", 1),
    ("def f(x, y=1, z):\n    return x\n", "non-default argument follows default argument", 1),
    ("def f(x):\n    break\n", "'break' outside loop", 2),
    ("for i in range(2):\n    def f(x):\n        break\n", "'break' outside loop", 3),
    ("def f(x):\n    def g(y):\n        break\n    return g(x)\n", "'break' outside loop", 3),
])
def test_definition_errors_are_syntax_errors(src, words, line):
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert words in info.value.message and info.value.span.line == line


def test_remainder_and_floor_division_of_numbers_are_pythons():
    # (a loop's `if epoch % 10 == 0:`)
    assert run("print(7 // 2, -7 // 2, -7 % 3, 7.5 % 2, 2 ** 3 % 5)\n")[1] == "3 -4 2 1.5 3\n"
    with pytest.raises(GradvizError) as info:
        run("a = 5 % 0\n")
    assert info.value.message == "integer modulo by zero"
    # on tensors they are PyTorch's (tests/conformance_extra/floor_divide_remainder.txt)
    assert run("print(arange(5) // 2, arange(5.0) % 2)\n")[1] == \
        "tensor([0, 0, 1, 1, 2]) tensor([0., 1., 0., 1., 0.])\n"


# ---- which pass of a loop made a node ----------------------------------------------

def test_nodes_say_which_pass_of_which_loop_made_them():
    src = ("x = tensor(1.0, requires_grad=True)\ny = x\nfor i in range(2):\n"
           "    for j in [0.5, 2.0]:\n        y = y * j\n        if i == 1:\n            break\n"
           "z = y + 1\nn = 0\nwhile n < 2:\n    n = n + 1\n    y = y * 3\n")
    record, _ = run(src)
    made = [(n.expr, n.in_loop) for n in record.nodes if n.op == "mul"]
    assert made == [("y * j", "i=0, j=0.5"), ("y * j", "i=0, j=2.0"), ("y * j", "i=1, j=0.5"),
                    ("y * 3", "iteration 1"), ("y * 3", "iteration 2")]
    assert record.variables["z"].in_loop is None        # after the loops (a break left one)
    assert record.variables["x"].in_loop is None


def test_a_loop_over_tensors_labels_its_passes_by_index():
    # an epoch loop over batches: "epoch=1, batches[0]", not a count that
    # reads like a backward() pass's number; a tensor's rows as X[i]; a long
    # call as its name; nested, one label per loop
    src = ("w = tensor(1.0, requires_grad=True)\nX = tensor([[1.0, 2.0], [3.0, 4.0]])\n"
           "batches = [(X[0], 1.0), (X[1], 2.0)]\n"
           "for epoch in range(2):\n    for xb, yb in batches:\n        l1 = (xb * w).sum()\n"
           "for row in X:\n    l2 = row * w\n"
           "for p in list(reversed([w, w * 2, w * 3])):\n    l3 = p * 2\n")
    record, _ = run(src)
    made = [(n.expr, n.in_loop) for n in record.nodes if n.op == "mul"]
    assert made[:4] == [("xb * w", "epoch=0, yb=1.0"), ("xb * w", "epoch=0, yb=2.0"),
                        ("xb * w", "epoch=1, yb=1.0"), ("xb * w", "epoch=1, yb=2.0")]
    src = src.replace("(X[0], 1.0), (X[1], 2.0)", "(X[0], X[1]), (X[1], X[0])")
    record, _ = run(src)
    labels = [n.in_loop for n in record.nodes if n.op == "mul"]
    assert labels[:4] == ["epoch=0, batches[0]", "epoch=0, batches[1]",
                          "epoch=1, batches[0]", "epoch=1, batches[1]"]
    assert labels[4:6] == ["X[0]", "X[1]"]
    assert labels[-3:] == ["list(…)[0]", "list(…)[1]", "list(…)[2]"]


def test_a_return_from_inside_a_loop_ends_its_passes():
    src = ("def f(x):\n    for i in range(5):\n        x = x * 2\n        if i == 1:\n"
           "            return x\n\na = tensor(1.0, requires_grad=True)\nb = f(a) + 1\n")
    record, _ = run(src)
    assert [n.in_loop for n in record.nodes if n.op == "mul"] == ["i=0", "i=1"]
    assert record.variables["b"].in_loop is None


def test_the_pass_shows_in_the_tables_and_the_picture():
    from gradviz.record import node_column
    from gradviz.render.dot import to_dot
    record, _ = run("x = tensor(1.0, requires_grad=True)\nfor k in range(2):\n    x = x * 2\n")
    assert node_column(record.nodes, "in_loop") == [None, "k=0", "k=1"]
    # (beside the name, as the tables say it; a record label escapes spaces)
    assert "x\\ (k=1)\\ =\\ x\\ *\\ 2" in to_dot(record, max_nodes=0)


def test_the_step_by_step_view_names_the_pass():
    from gradviz.explain import node_title
    record, _ = run("x = tensor(1.0, requires_grad=True)\nfor k in range(2):\n    x = x * 2\n")
    assert node_title(record.nodes[2]) == "x (k=1) = x * 2"


def test_for_unpacks_and_walks_enumerate_and_zip():
    record, out = run("w = tensor(2.0, requires_grad=True)\ns = 0\n"
                      "for i, x in enumerate([1.0, 3.0], 1):\n    s = s + w * x * i\n"
                      "for a, b in zip([1, 2], (3, 4, 5)):\n    print(a, b)\n")
    assert out == "1 3\n2 4\n"
    assert [n.in_loop for n in record.nodes if n.op == "mul"][::2] == ["i=1, x=1.0", "i=2, x=3.0"]
    with pytest.raises(GradvizError) as info:
        run("for a, b in [(1, 2, 3)]:\n    pass\n")
    assert info.value.message == "too many values to unpack (expected 2)"
    assert info.value.span.line == 1


def test_lists_take_appends_and_items_within_the_limits():
    record, out = run("a = [1]\nb = a\nb.append(2)\nb[0] = 5\nprint(a)\n")
    assert out == "[5, 2]\n"                       # one list, as in Python
    with pytest.raises(GradvizError) as info:
        run("a = [1]\na[3] = 2\n")
    assert info.value.message == "list assignment index out of range"
    with pytest.raises(GradvizError) as info:
        run("a = []\nwhile True:\n    a.append(0)\n", limits=Limits(max_elements=1000))
    assert info.value.kind == LIMIT and "list would have 1,001 elements" in info.value.message


def test_a_tensor_in_a_list_follows_an_in_place_write():
    _, out = run("x = tensor(1.0, requires_grad=True)\ny = x * 2\nl = []\nl.append(y)\n"
                 "y += 1\nprint(l[0])\n")
    assert out == "tensor(3., grad_fn=<AddBackward0>)\n"


def test_an_error_in_a_function_says_where_it_was_called_from():
    src = ("def g(x):\n    return x @ x\n\ndef f(x):\n    y = x * 2\n    return g(y)\n\n"
           "z = f(ones(2, 3))\n")
    with pytest.raises(GradvizError) as info:
        run(src)
    text = info.value.format(src, "p.txt")
    assert text.splitlines()[0].startswith("p.txt:2:12: error: mat1 and mat2 shapes")
    assert "  in g(), called on line 6\n  in f(), called on line 8\n" in text


@pytest.mark.parametrize("src,words", [
    ("a, b = 1\n", "cannot unpack non-iterable int object"),
    ("a, b, c = [1, 2]\n", "not enough values to unpack (expected 3, got 2)"),
    ("a, b = ones(3)\n", "too many values to unpack (expected 2)"),
])
def test_unpacking_errors_are_pythons(src, words):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert info.value.message == words


# ---- list comprehensions ----------------------------------------------------

@pytest.mark.parametrize("src, want", [
    ("print([i * i for i in range(5) if i % 2 == 0])", "[0, 4, 16]"),
    ("print([(a, b) for a in range(3) for b in range(a) if a + b > 1])", "[(2, 0), (2, 1)]"),
    ("print([a * b for a, b in zip([1, 2], [3, 4])])", "[3, 8]"),
    ("print([[j for j in range(k)] for k in range(3)])", "[[], [0], [0, 1]]"),
    ("print([x for x in []], [])", "[] []"),
    ("x = 7\ny = [x for x in [1, 2]]\nprint(x, y)", "7 [1, 2]"),
    ("y = [k for k in [1]]\nprint(len(y))", "1"),
    ("print([r.sum() for r in arange(6.0).reshape(2, 3)])", "[tensor(3.), tensor(12.)]"),
    ("print([v for v in enumerate(['a', 'b']) if v[0] > 0])", "[(1, 'b')]"),
])
def test_list_comprehensions_run_as_python_runs_them(src, want):
    _, out = run(src + "\n")
    assert out.splitlines()[-1] == want


def test_a_comprehension_s_name_does_not_leak():
    with pytest.raises(GradvizError) as info:
        run("y = [k for k in [1]]\nprint(k)\n")
    assert "name 'k' is not defined" in info.value.message and info.value.span.line == 2


def test_gradients_flow_through_a_comprehension():
    src = ("w = tensor([1.0, 2.0], requires_grad=True)\nb = tensor(3.0, requires_grad=True)\n"
           "params = [w, b]\nloss = stack([(p * p).sum() for p in params]).sum()\n"
           "loss.backward()\nprint([p.grad for p in params])\n")
    _, out = run(src)
    assert out == "[tensor([2., 4.]), tensor(6.)]\n"


@pytest.mark.parametrize("src, words, col", [
    ("y = [x for x in 5]", "'int' object is not iterable", 17),
    ("y = [x if x for x in [1]]", "expected 'else' after 'if' expression", 13),
    ("y = (x if x)", "expected 'else' after 'if' expression", 12),
    ("print(sum(1, x for x in [1, 2]))", "Generator expression must be parenthesized", 16),
    ("print(any(x for x in [1, 2], 1))", "Generator expression must be parenthesized", 28),
    ("y = (x for x in 5)", "'int' object is not iterable", 17),
    ("y = [x for x [1]]", "invalid syntax", 14),
    ("y = [a for a, b in [1, 2]]", "cannot unpack non-iterable int object", 5),
])
def test_comprehension_errors_name_their_place(src, words, col):
    with pytest.raises(GradvizError) as info:
        run(src + "\n")
    assert words in info.value.message and info.value.span.col == col


def test_a_long_comprehension_stops_at_the_list_limit():
    with pytest.raises(GradvizError) as info:
        run("y = [0 for i in range(100)]\n", limits=Limits(max_elements=50))
    assert info.value.kind == LIMIT


def test_a_comprehension_s_nodes_say_which_item_made_them():
    rec, _ = run("x = tensor(2.0, requires_grad=True)\n"
                 "ys = [x * i for i in range(3) for j in range(2) if j > 0]\n"
                 "zs = [(p * p).sum() for p in [x, x + 1]]\nw = x * 5\n")
    labels = [(n.expr, n.in_loop) for n in rec.nodes if n.op in ("mul", "sum")]
    assert labels == [("x * i", "i=0, j=1"), ("x * i", "i=1, j=1"), ("x * i", "i=2, j=1"),
                      ("p * p", "[x, x + 1][0]"), ("(p * p).sum()", "[x, x + 1][0]"),
                      ("p * p", "[x, x + 1][1]"), ("(p * p).sum()", "[x, x + 1][1]"),
                      ("x * 5", None)]


@pytest.mark.parametrize("src, want", [
    ("print(list(range(3)), list(), tuple([1, 2]), list('ab'), tuple(zip([1], [2])))",
     "[0, 1, 2] [] (1, 2) ['a', 'b'] ((1, 2),)"),
    ("x = tensor([1.0, 2.0])\nprint(list(x.shape), tuple(x.shape), len(list(x)))", "[2] (2,) 2"),
    ("print(bool(tensor(1.0)), bool(), bool(0), bool([1]), bool(None))",
     "True False False True False"),
    ("print(any([0, 1]), all([1, 0]), any([]), all([]), any(tensor([0.0, 2.0]) > 1))",
     "True False False True True"),
    ("print(ones(2, dtype=float).dtype, zeros(2, dtype=int).dtype, ones(1, dtype=bool).dtype)",
     "torch.float64 torch.int64 torch.bool"),
    ("print(bool, list, len, exp)",
     "<class 'bool'> <class 'list'> <built-in function len> "
     "<built-in method exp of type object at 0x7f3c2a400000>"),
    # generator expressions, type(), isinstance(), sorted(), reversed()
    ("print(list(i * i for i in range(5) if i % 2 == 0))", "[0, 4, 16]"),
    ("print(any(x > 2 for x in [1, 3]), all(x > 2 for x in [1, 3]))", "True False"),
    ("print(tuple((x for x in [1, 2])), sorted(-v for v in range(3)))", "(1, 2) [-2, -1, 0]"),
    ("g = (x for x in [1, 2])\nprint(list(g), list(g))", "[1, 2] []"),
    ("a, b = (k * 2 for k in range(2))\nprint(a, b)", "0 2"),
    ("x = 7\ng = (x for x in [1])\nprint(x)", "7"),
    ("print(type(x for x in []))", "<class 'generator'>"),
    ("print(sorted([3, 1, 2], reverse=True), list(reversed((1, 2))))", "[3, 2, 1] [2, 1]"),
    ("def key(v):\n    return -v\nprint(sorted([1, 3, 2], key=key))", "[3, 2, 1]"),
    ("print(sorted(['b', 'a']), list(reversed(range(3))), list(reversed('ab')))",
     "['a', 'b'] [2, 1, 0] ['b', 'a']"),
    ("print(type(ones(2)) == torch.Tensor, type(ones(2)) is torch.Tensor, type(3) is int)",
     "True True True"),
    ("print(isinstance(True, int), isinstance(ones(1).shape, tuple), isinstance('a', (int, str)))",
     "True True True"),
    ("print(isinstance(float32, torch.dtype), isinstance(float32, str), type(ones(1).dtype))",
     "True False <class 'torch.dtype'>"),
    ("print(torch.Size([2, 3]), type(torch.Tensor), type(int), type(type))",
     "torch.Size([2, 3]) <class 'torch._C._TensorMeta'> <class 'type'> <class 'type'>"),
])
def test_python_builtins_as_python_runs_them(src, want):
    _, out = run(src + "\n")
    assert out.splitlines()[-1] == want


@pytest.mark.parametrize("src", ["x = list(range(10**10))",
                                 "x = list(zip(range(10**10), range(10**10)))"])
def test_a_huge_list_stops_at_the_limit(src):
    with pytest.raises(GradvizError) as info:
        run(src + "\n", limits=Limits(max_elements=10_000))
    assert info.value.kind == LIMIT


# ---- generator expressions and Python's type builtins ------------------------



@pytest.mark.parametrize("src, words", [
    ("sorted([ones(2), ones(2)])", "Boolean value of Tensor with more than one value is "
                                   "ambiguous"),
    ("sorted([1, 'a'])", "'<' not supported between instances of 'str' and 'int'"),
    ("reversed(5)", "'int' object is not reversible"),
    ("type(1, 2)", "type() takes 1 argument here"),
    ("isinstance(1, 3)", "isinstance() arg 2 must be a type"),
    ("torch.Tensor(1.5)", "data must be a sequence (got float)"),
    ("torch.Size([1.5])", "torch.Size() takes an iterable of 'int'"),
    ("stack(x for x in [ones(1)])", "stack(): argument 'tensors' (position 1) must be tuple of "
                                    "Tensors, not generator"),
])
def test_python_builtin_errors_are_clear(src, words):
    with pytest.raises(GradvizError) as info:
        run(src + "\n")
    assert words in info.value.message and info.value.span.line == 1


# ---- assert ----------------------------------------------------------------------

# (a bare assert's message is empty, as str(e) of Python's; the display shows its kind)
@pytest.mark.parametrize("src, message, kind", [
    ("x = ones(2)\nassert x.sum() > 5\n", "", "AssertionError"),
    ("x = ones(2)\nassert x.sum() > 5, 'too small: ' + str(x.sum().item())\n", "too small: 2.0",
     "AssertionError"),
    ("x = ones(2)\nassert x > 0\n", "Boolean value of Tensor with more than one value is ambiguous",
     "RuntimeError"),
])
def test_a_false_assert_is_python_s_assertion_error_on_its_line(src, message, kind):
    with pytest.raises(GradvizError) as info:
        run(src)
    err = info.value
    assert (err.message, err.kind, err.span.line) == (message, kind, 2)


def test_a_true_assert_does_nothing():
    _, out = run("x = ones(2, requires_grad=True)\n(x * x).sum().backward()\n"
                 "assert allclose(x.grad, 2 * x), 'gradient'\nassert x.grad is not None\n"
                 "print('ok')\n")
    assert out == "ok\n"


# ---- decorators ------------------------------------------------------------------

def test_a_no_grad_decorator_runs_each_call_without_gradients():
    _, out = run("w = ones(2, requires_grad=True)\n@torch.no_grad()\ndef step(p):\n"
                 "    p -= 0.5\n    return (p * 2).requires_grad\n"
                 "print(step(w), (w * 2).requires_grad, w)\n")
    assert out == "False True tensor([0.5000, 0.5000], requires_grad=True)\n"


@pytest.mark.parametrize("src, words, line", [
    ("@torch.no_grad()\nx = 1\n", "invalid syntax", 2),
    ("@3\ndef f():\n    pass\n", "'int' object is not callable", 1),
])
def test_decorator_errors(src, words, line):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert words in info.value.message and info.value.span.line == line


def test_a_function_defined_in_a_call_reads_that_call_s_names():
    _, out = run("def make(k):\n    def scale(v):\n        return v * k\n    k = k + 1\n"
                 "    return scale\nf = make(2)\nk = 100\nprint(f(5))\n")
    assert out == "15\n"      # the call's k as it was when make returned (3), not the program's


def test_global_names_are_the_program_s_in_a_function():
    _, out = run("n = 1\ndef bump(k):\n    global n\n    n = n + k\n    m = n\n    return m\n"
                 "print(bump(2), n)\nglobal n\nprint(n)\n")
    assert out == "3 3\n3\n"
    with pytest.raises(GradvizError) as info:
        run("def f():\n    global 3\n")
    assert "a name after 'global'" in info.value.hint and info.value.span.line == 2


def test_comprehensions_in_comprehensions_stop_at_the_run_s_item_limit():
    with pytest.raises(GradvizError) as info:
        run("x = [[j for j in range(k)] for k in range(1000)]\n",
            limits=Limits(max_elements=5000))
    assert info.value.kind == LIMIT and "lists and dicts would make more than 5,000 items" in \
        info.value.message


@pytest.mark.parametrize("src, words", [
    ("del nothing_here\n", "name 'nothing_here' is not defined"),
    ("t = ones(2)\ndel t[0]\n", "a tensor doesn't support item deletion"),
    ("xs = [1]\ndel xs[3]\n", "list assignment index out of range"),
    ("t = ones(2)\ndel t.shape\n", "cannot delete a tensor's attribute 'shape'"),
    ("del 3\n", "cannot delete"),
])
def test_del_errors_are_python_s(src, words):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert words in info.value.message and info.value.span.line == src.count("\n")


def test_a_program_runs_as_a_script_named_main():
    _, out = run("def main():\n    print('ran')\nif __name__ == '__main__':\n    main()\n"
                 "print(__name__)\n")
    assert out == "ran\n__main__\n"


def test_reading_the_grad_of_a_non_leaf_warns_as_pytorch_once_per_line(tmp_path):
    from click.testing import CliRunner

    from gradviz import cli
    prog = tmp_path / "p.txt"
    prog.write_text("x = tensor([1.0], requires_grad=True)\ny = x * 2\nz = y.detach()\n"
                    "for i in range(2):\n    print(y.grad)\nprint(x.grad, z.grad)\n")
    result = CliRunner().invoke(cli.main, ["run", str(prog), "--no-tables"])
    assert result.exit_code == 0 and result.stdout == "None\nNone\nNone None\n"
    warned = [ln for ln in result.stderr.splitlines() if "UserWarning" in ln]
    assert len(warned) == 1 and warned[0].startswith("warning: line 5: UserWarning: The .grad "
                                                     "attribute of a Tensor that is not a leaf")
    assert warned[0].endswith("instead. See github.com/pytorch/pytorch/pull/30531 for more "
                              "information.")


def test_a_one_element_integer_tensor_is_a_python_index():
    # Tensor.__index__: classes[labels[j]], a slice bound, range()
    _, out = run("c = ('a', 'b', 'c')\nprint(c[torch.tensor(2)], c[torch.tensor([1])], "
              "c[:torch.tensor(1)], list(range(torch.tensor(2))))\n")
    assert out == "c b ('a',) [0, 1]\n"


@pytest.mark.parametrize("src", ["print([1, 2][torch.tensor(1.0)])\n",
                                 "print([1, 2][torch.tensor([0, 1])])\n",
                                 "for i in range(torch.tensor(2.0)):\n    pass\n"])
def test_other_tensors_are_no_python_index(src):
    with pytest.raises(GradvizError) as info:
        run(src)
    assert info.value.kind == "TypeError"
    assert info.value.message == ("only integer tensors of a single element can be converted "
                                  "to an index")


def test_a_bare_sum_of_a_generator_is_pythons_sum():
    # (as in a script that imported torch: 0 + x[0] * 2 + x[1] * 2; see bare_builtins.py)
    _, out = run("x = torch.ones(2, requires_grad=True)\ns = sum(v * 2 for v in x)\n"
                 "print(s, s.grad_fn.name())\n")
    assert out == "tensor(4., grad_fn=<AddBackward0>) AddBackward0\n"
