"""Python syntax that learners' scripts use: the walrus operator, nonlocal,
<< and >>, positional-only and keyword-only parameters, key= functions, the
match statement. Each program without torch is run by Python itself too
(the oracle): gradviz prints what Python prints, or fails where Python fails
with the same exception type and message, and a hint. The torch side is
pinned by tests/conformance_extra/pysyn_*.txt (PyTorch's outputs)."""
import contextlib
import io

import pytest

import gradviz
from gradviz.errors import GradvizError


def python_says(src: str) -> str:
    """What Python prints, or its exception type and message."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(src, "prog", "exec"), {"__name__": "prog"})
    except Exception as exc:  # the program's own failure is the answer
        message = exc.msg if isinstance(exc, SyntaxError) else str(exc)
        return out.getvalue() + f"{type(exc).__name__}: {message}"
    return out.getvalue()


def gradviz_says(src: str) -> str:
    out = io.StringIO()
    try:
        gradviz.run_source(src, filename="prog", stdout=out)
    except GradvizError as exc:
        assert exc.hint, f"no hint for {exc.message}"
        assert exc.span is not None
        return out.getvalue() + f"{exc.kind}: {exc.message}"
    return out.getvalue()


WALRUS = [
    "i = 0\nwhile (i := i + 1) < 3:\n    print(i)\nif (n := 10) > 5:\n    print(n)\n",
    "def f(x):\n    if (y := x * 2) > 3:\n        return y\n    return -y\nprint(f(1), f(3))\n",
    "x = (y := 5)\nprint(x, y)\n",
    "print(1 if (z := 0) else 2, z)\n",
    "data = [1, 2, 3, 4]\nprint([y for x in data if (y := x * x) > 4], y)\n",
    "x = [(y := i) for i in range(3)]\nprint(x, y)\n",
    "def f():\n    x = [(y := i) for i in range(3)]\n    return y\nprint(f())\n",
    "def f():\n    print(y)\n    [y := 1 for i in range(1)]\nf()\n",
    "print({x := 1}, x)\n", "print([x := 1, 2], x)\n", "print((x := 1, 2), x)\n",
    "xs = [1, 2]\nprint(xs[i := 1], i)\n", "print(y := 3, y)\n",
    "f = lambda: (x := 1)\nprint(f())\n",
    "def g(v):\n    return v\nprint(g(k := 4) + k)\n",
    "xs = [3, 1, 2]\nwhile (n := len(xs)) > 1:\n    xs.pop()\nprint(n, xs)\n",
    # Python's SyntaxErrors
    "x := 5\n", "a = x := 1\n", "print(f(a=x:=1))\n", "a.b := 1\n", "(a.b := 1)\n",
    "(a[0] := 1)\n", "(a < b := 1)\n", "(a + b := 1)\n", "(1 := 1)\n", "(f() := 1)\n",
    "((a, b) := 1)\n", "(None := 1)\n", "((x := 1) := 2)\n", "(... := 1)\n",
    "y = [1]\nprint([x := 1 for x in y])\n",
    "y = [1]\nprint([(x := 1) for x in y])\n",
    "y = [1]\nprint([x for x in y if (x := 1)])\n",
    "print([[(i := 0) for j in range(2)] for i in range(2)])\n",
    "print([x for x in (y := [1])])\n",
]

NONLOCAL = [
    "def outer():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n"
    "    inc()\n    inc()\n    return n\nprint(outer())\n",
    "def outer():\n    n = 0\n    def inc():\n        nonlocal n\n        n += 1\n"
    "    def twice():\n        nonlocal n\n        inc()\n        inc()\n        return n\n"
    "    return twice()\nprint(outer())\n",
    "def make():\n    count = 0\n    def inc():\n        nonlocal count\n        count += 1\n"
    "        return count\n    def get():\n        return count\n    return inc, get\n"
    "inc, get = make()\ninc()\ninc()\nprint(get(), inc())\n",
    "def f():\n    def g():\n        nonlocal n\n        n = 1\n    g()\n    n = 5\n    g()\n"
    "    return n\nprint(f())\n",
    "def a():\n    x = 1\n    def b():\n        nonlocal x\n        def c():\n"
    "            nonlocal x\n            x += 10\n        c()\n        x += 1\n    b()\n"
    "    return x\nprint(a())\n",
    "x = 0\ndef a():\n    x = 1\n    def b():\n        global x\n        x = 5\n    b()\n"
    "    return x\nprint(a(), x)\n",
    "def f(n):\n    def g():\n        nonlocal n\n        n *= 2\n    g()\n    return n\n"
    "print(f(4))\n",
    "def outer():\n    total = 0\n    def add(v):\n        nonlocal total\n"
    "        total = total + v\n        return total\n    for k in range(4):\n        add(k)\n"
    "    return total\nprint(outer())\n",
    "def outer():\n    seen = []\n    def log(v):\n        nonlocal seen\n"
    "        seen = seen + [v]\n    log(1)\n    log(2)\n    return seen\nprint(outer())\n",
    # the errors
    "def f():\n    def g():\n        nonlocal n\n        return n\n    print(g())\n"
    "    n = 1\nf()\n",
    "def f():\n    n = 0\n    def g():\n        nonlocal n\n        del n\n    g()\n"
    "    return n\nf()\n",
    "def f():\n    nonlocal x\n", "nonlocal x\n",
    "def f():\n    x = 1\n    def g():\n        x = 2\n        nonlocal x\n",
    "def f():\n    global x\n    nonlocal x\n", "def f(x):\n    def g(x):\n        nonlocal x\n",
    "def f():\n    x = 1\n    def g():\n        nonlocal x, y\n    return x\nprint(f())\n",
    "def f():\n    nonlocal f\n",
]

SHIFTS = [
    "print(1 << 4, 256 >> 2, -7 >> 1, True << 3, 7 >> 1, (1 << 2) + 1, 1 << 2 + 1, 2 & 3 << 1)\n",
    "n = 5\nn <<= 2\nprint(n)\nn >>= 3\nprint(n)\n",
    "print(1 << 2.0)\n", "print(1.5 >> 1)\n", "print(1 << -1)\n", "print(1 < 2 << 3)\n",
    "print('a' << 1)\n",
]


PARAMETERS = [
    "def f(*, k):\n    return k\nprint(f(k=3))\nprint(f())\n",
    "def g(a, *args, k):\n    return a + k + len(args)\nprint(g(1, 2, 3, k=4))\nprint(g(1, 2))\n",
    "def h(a=1, *, k, m=2, n):\n    return a, k, m, n\nprint(h(k=1, n=3), h(5, n=1, k=0))\n"
    "print(h())\n",
    "def f(a, /, b, *, c):\n    return a, b, c\nprint(f(1, 2, c=3), f(1, b=2, c=3))\n"
    "print(f(a=1, b=2, c=3))\n",
    "def f(a, b, /, **kw):\n    return a, b, kw\nprint(f(1, 2, a=3, z=4, b=5))\n",
    "def f(a, b=2, /):\n    return a, b\nprint(f(1), f(1, 3))\nprint(f(1, b=3))\n",
    "def f(/, a): pass\n", "def f(a, /, /): pass\n", "def f(*a, /): pass\n",
    "def f(*, **k): pass\n", "def f(*): pass\n", "def f(a, a): pass\n", "def f(a=1, b): pass\n",
    "f = lambda a, /, b: a + b\nprint(f(1, 2))\nprint(f(a=1, b=2))\n",
    "f = lambda *, k: k\nprint(f(k=2))\nprint(f(3))\n",
    "f = lambda *a, **k: (a, k)\nprint(f(1, 2, z=3))\n",
    "def f(*, a, b):\n    pass\nf()\n", "def f(x, *, a, b, c):\n    pass\nf(1, b=2)\n",
    "def f(a, *, k):\n    pass\nf()\n", "def f(a, *, k):\n    pass\nf(1, 2)\n",
    "def f(a, *, k=1):\n    return a + k\nprint(f(1, k=3))\nf(1, k=2, z=3)\n",
    "class C:\n    def m(self, x, /, *, scale):\n        return x * scale\nc = C()\n"
    "print(c.m(2, scale=3))\nc.m(2)\n",
    "def f(a, /, b, *, c):\n    return a\nf(1, 2, 3)\n",
    "def f(a, /):\n    return a\nprint(f(1))\nf()\n",
]


SORTING = [
    "xs = [3, 1, 2]\nxs.sort(key=lambda v: -v)\nprint(xs)\nxs.sort(reverse=True)\nprint(xs)\n"
    "xs.sort()\nprint(xs)\n",
    "ws = ['bb', 'a', 'ccc', 'dd']\nws.sort(key=len)\nprint(ws)\nws.sort(key=len, reverse=True)\n"
    "print(ws)\n",
    "ps = [('a', 3), ('b', 1), ('c', 2)]\nps.sort(key=lambda p: p[1])\nprint(ps)\n"
    "print(sorted(ps, key=lambda p: (p[1] % 2, p[0]), reverse=True))\n",
    "d = {'x': 3, 'y': 1, 'z': 2}\nprint(sorted(d, key=d.get), sorted(d.items(), key=lambda kv: kv[1]))\n",
    "xs = [3, 1]\nxs.sort(len)\n", "xs = [3, 1]\nxs.sort(cmp=len)\n", "xs = [3, 'a']\nxs.sort()\n",
    "xs = [3, 1]\nxs.sort(key=str)\nprint(xs)\n",
    "xs = [[2, 1], [1, 5], [1, 2]]\nxs.sort()\nprint(xs)\n",
    "xs = [1, 2]\nxs.sort(key=None, reverse=1)\nprint(xs)\n",
]
# what worked before, pinned beside the new syntax
OTHERS = [
    # a class's own __neg__, __pos__, __invert__ and __abs__; one without: Python's TypeError
    "class A:\n    def __neg__(self):\n        return 'neg'\n    def __pos__(self):\n"
    "        return 1\n    def __invert__(self):\n        return [2]\n"
    "    def __abs__(self):\n        return 3\nprint(-A(), +A(), ~A(), abs(A()))\n"
    "class B:\n    pass\n-B()\n",
    # a class block reads its own names first: __rmul__ = __mul__, b = a * 3
    "x = 10\nclass K:\n    a = 2\n    b = a * 3\n    c, d = a, b\n    x = x + 1\n"
    "    def f(self):\n        return self.b\n    g = f\nprint(K.b, K.c, K.d, K.x, x, K().g())\n",
    "xs = [1, 2, 3]\ndel xs[0]\ndel xs[-1:]\nprint(xs)\nd = {'a': 1}\ndel d['a']\nprint(d)\n"
    "del d['b']\n",
    "x = 5\nprint(1 < x < 10, 1 < x > 10, 1 == 1 < 2 != 3)\n",
    "assert 1 == 2, f'bad {1 + 1}'\n", "assert [], 'empty'\n",
    "try:\n    import numpy\nexcept ImportError:\n    numpy = None\nprint('ok')\n",
    "if True:\n    import math\nelse:\n    math = None\nprint(math.sqrt(4.0))\n",
    "count = 0\ndef outer():\n    def inner():\n        global count\n        count += 1\n"
    "    inner()\nouter()\nprint(count)\n",
    "f = lambda *a, **k: (a, k)\nprint(f(1, 2, z=3))\n",
    "match = 3\nprint(match)\ndef match(a):\n    return a\nprint(match(2))\n",
    "s = u'caf\\te'\nprint(s, s == 'caf\\te', U\"ok\", len(s))\nu = 3\nprint(u)\n",
]


MATCH = [
    # match and case stay names elsewhere (soft keywords)
    "match = [1]\ncase = 2\nprint(match, case, match[0])\nmatch[0] = 3\nmatch.append(case)\n"
    "print(match)\n",
    "def match(v):\n    return v\nmatch (1)\nprint(match(2))\n",
    # literal, capture, wildcard, or, as, guards
    "for v in [0, 1, 'go', None, 2.5, -3, 7]:\n    match v:\n        case 0 | 1:\n"
    "            print('bit')\n        case 'go':\n            print('go')\n"
    "        case None:\n            print('none')\n        case -3:\n            print('neg')\n"
    "        case float() as f if f > 2:\n            print('float', f)\n"
    "        case n:\n            print('other', n)\n",
    # sequences, stars, nested, mappings with **rest, tuple subjects
    "for v in [[1, 2], (1, 2, 3, 4), [1, [2, 3]], 'ab', {'a': 1, 'b': 2}, {'x': 0}, []]:\n"
    "    match v:\n        case [a, [b, c]]:\n            print('nested', a, b, c)\n"
    "        case [a, b]:\n            print('pair', a, b)\n"
    "        case (first, *mid, last):\n            print(first, mid, last)\n"
    "        case {'a': 1, **rest}:\n            print('a', rest)\n"
    "        case {}:\n            print('a mapping')\n        case []:\n            print('empty')\n"
    "        case _:\n            print('no', v)\n",
    "match 1, 2:\n    case (a, b):\n        print(a + b)\n",
    # classes: __match_args__, keywords, builtins' self-matching, dataclasses
    "class P:\n    __match_args__ = ('x', 'y')\n    def __init__(self, x, y):\n"
    "        self.x = x\n        self.y = y\nfor p in [P(0, 0), P(1, 0), P(1, 2), 5]:\n"
    "    match p:\n        case P(0, 0):\n            print('origin')\n"
    "        case P(x, y=0):\n            print('x axis', x)\n"
    "        case P(x=x, y=y) if x < y:\n            print('above', x, y)\n"
    "        case int(n):\n            print('int', n)\n",
    "import dataclasses\n@dataclasses.dataclass\nclass D:\n    a: int\n    b: int = 2\n"
    "match D(1):\n    case D(a, b):\n        print(a, b)\n",
    # names bound by a case whose guard fails stay bound, as in Python
    "match [1, 2]:\n    case [a, b] if a > b:\n        pass\n    case _:\n        print(a, b)\n",
    # Python's errors: at run time
    "class Q:\n    pass\nmatch Q():\n    case Q(1):\n        pass\n",
    "match 3:\n    case int(1, 2):\n        pass\n",
    "f = len\nmatch 1:\n    case f():\n        pass\n",
    # and before anything runs
    "print('first')\nmatch 1:\n    case x:\n        pass\n    case 2:\n        pass\n",
    "match 1:\n    case _:\n        pass\n    case 2:\n        pass\n",
    "match 1:\n    case x | 1:\n        pass\n",
    "match 1:\n    case [x, x]:\n        pass\n",
    "match 1:\n    case [x] | [y]:\n        pass\n",
    "match 1:\n    case {'a': 1, 'a': 2}:\n        pass\n",
    "match 1:\n    case [*a, *b]:\n        pass\n",
    "match 1:\n    case P(x=1, x=2):\n        pass\n",
    "match 1:\n    case 1 as _:\n        pass\n",
    "match 1:\n    case P(x=1, 2):\n        pass\n",
    "match 1:\n    case *a:\n        pass\n",
    "match 1:\n    case (*a):\n        pass\n",
]


# a lambda made in a comprehension reads the comprehension's loop names (their
# last values once it is done), then the names around it, live
COMPREHENSION_CLOSURES = [
    "late = [lambda: k for k in (1, 2, 3)]\nk = 100\nprint([f() for f in late])\n",
    "def f():\n    a = 1\n    fs = [lambda: a + j for j in range(3)]\n    a = 10\n"
    "    return [g() for g in fs]\nprint(f())\n",
    "gs = list(lambda: m for m in 'ab')\nprint([g() for g in gs])\n",
    "d = {n: (lambda: n) for n in range(2)}\ns = {(lambda: v) for v in [5]}\n"
    "print(d[0](), [f() for f in s])\n",
    "def h():\n    return [[lambda: (a, b) for b in range(2)] for a in range(2)]\n"
    "print([[f() for f in row] for row in h()])\n",
    "print([(lambda: i * 2)() for i in range(3)], [(lambda i=i: i)() for i in range(2)])\n",
    "g = (lambda: i for i in range(3))\nfirst = next(g)\nprint(first(), next(g)(), first())\n",
]


# the program's context managers: __enter__'s value bound by 'as', __exit__
# told of the error that leaves the block (a true value ends it there)
CONTEXT_MANAGERS = [
    "class C:\n    def __enter__(self):\n        print('enter')\n        return 5\n"
    "    def __exit__(self, kind, value, tb):\n        print('exit', kind, value, tb)\n"
    "with C() as v:\n    print(v)\nwith C() as (a), C():\n    pass\n",
    "class S:\n    def __enter__(self):\n        return self\n"
    "    def __exit__(self, kind, value, tb):\n        print(kind.__name__, value.args)\n"
    "        return True\ndef f():\n    with S():\n        raise ValueError('k')\n"
    "    print('after')\n    with S():\n        [][1]\n    return 1\nprint(f())\n",
    "class L:\n    def __enter__(self):\n        return self\n"
    "    def __exit__(self, *exc):\n        print('exit', exc)\n"
    "for i in range(3):\n    with L():\n        if i == 1:\n            continue\n"
    "        if i == 2:\n            break\ndef g():\n    with L():\n        return 'r'\n"
    "print(g())\n",
    "class P:\n    def __enter__(self):\n        return self\n"
    "    def __exit__(self, *exc):\n        return False\nwith P():\n    raise ValueError('out')\n",
    "class A:\n    pass\nwith A():\n    pass\n",
    "class B:\n    def __enter__(self):\n        return 1\nwith B() as b:\n    pass\n",
]


@pytest.mark.parametrize("src", WALRUS + NONLOCAL + SHIFTS + PARAMETERS + SORTING + OTHERS + MATCH
                         + COMPREHENSION_CLOSURES + CONTEXT_MANAGERS)
def test_as_python_runs_it(src):
    assert gradviz_says(src) == python_says(src)


def test_the_walrus_binds_in_the_function_around_a_comprehension():
    # y is the function's local (Python's rule), not the program's
    src = ("y = 'program'\ndef f():\n    [(y := i) for i in range(3)]\n    return y\n"
           "print(f(), y)\n")
    assert gradviz_says(src) == python_says(src) == "2 program\n"


def test_a_match_statement_runs_as_python_runs_it_on_its_lines():
    src = "x = 3\nmatch x:\n    case 3:\n        print('three')\n    case _:\n        pass\n"
    assert gradviz_says(src) == python_says(src) == "three\n"


def test_max_with_a_key_is_pythons_and_torch_max_with_one_is_torchs_error():
    out = io.StringIO()
    gradviz.run_source("ws = ['aa', 'b']\nprint(max(ws, key=len), min(ws, key=len))\n"
                       "x = torch.tensor([1., -2.])\nprint(max(x, key=abs))\n", stdout=out)
    assert out.getvalue() == "aa b\ntensor(-2.)\n"          # (Python's, on a tensor's items too)
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("ws = ['aa', 'b']\nprint(torch.max(ws, key=len))\n")
    err = info.value
    assert err.message.startswith("max() received an invalid combination of arguments - got "
                                  "(list, key=builtin_function_or_method)")
    assert "sorted(xs, key=f)[-1]" in err.hint


def test_a_bytes_literal_is_refused_where_it_is_written():
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("x = 1\nb = b'abc'\n")
    err = info.value
    assert err.kind == "SyntaxError" and tuple(err.span) == (2, 5, 2, 11)
    assert "bytes literals" in err.message and "'abc'" in err.hint


# CPython 3.11's own SyntaxError messages and places (line, column) for
# mistakes learners make: gradviz says the same at the same spot
SYNTAX_ERRORS = ["x = [1, 2 = 3]\n", "x = (1, a = 3)\n", "x = {1, a + 1 = 3}\n",
                 "x = [f() = 3]\n", "f(1, 2 = 3)\n", "if x = 3:\n    pass\n",
                 "while 1 = 3:\n    pass\n", "print 1\n", "print 'a', x\n", "exec 'x'\n",
                 "x = {1:}\n", "x = {1: 2, 3:}\n", "f(**x, *y)\n",
                 "x = 1\ny = 'abc\n", 'x = """abc\ny = 2\nz = 3\n', 'x = """abc\ny = 2\n\n\n']


@pytest.mark.parametrize("src", SYNTAX_ERRORS)
def test_syntax_errors_are_cpythons_at_its_spot(src):
    with pytest.raises(SyntaxError) as python:
        compile(src, "prog", "exec")
    with pytest.raises(GradvizError) as ours:
        gradviz.run_source(src, filename="prog", stdout=io.StringIO())
    assert (ours.value.kind, ours.value.message) == ("SyntaxError", python.value.msg)
    assert (ours.value.span.line, ours.value.span.col) == (python.value.lineno,
                                                           python.value.offset)
    assert ours.value.hint


def test_a_complex_literal_is_refused_by_name_on_its_line_after_the_lines_before_it():
    out = io.StringIO()
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("x = 1\nprint(x)\ny = 2 + 3j\n", filename="prog", stdout=out)
    assert out.getvalue() == "1\n"
    assert info.value.message == "complex literals (3j) are not supported"
    assert (info.value.span.line, info.value.span.col) == (3, 9)
    # gradviz's limit, not a Python error: no except runs past it
    assert info.value.kind == "LimitError"
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("def f():\n    return 1.5e3J\ntry:\n    f()\nexcept Exception:\n"
                           "    pass\n", filename="prog", stdout=io.StringIO())
    assert info.value.message == "complex literals (1.5e3J) are not supported"
    assert info.value.span.line == 2


@pytest.mark.parametrize("src", ["print('a')\nz = 1j\n", "match 2:\n    case 1j:\n        pass\n",
                                 "def f(a=2j):\n    pass\n", "print(f'{1j}')\n",
                                 "x = [-1j for i in range(2)]\n"])
def test_complex_literals_anywhere_fail_where_they_run(src):
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, filename="prog", stdout=io.StringIO())
    assert info.value.message.startswith("complex literals (") and info.value.kind == "LimitError"
