"""Tests of the lexer and parser.

Precedence and spans are checked against Python's own ``ast.parse`` as an
oracle: both trees are turned into the same s-expression, and every node's
span is compared with Python's positions.
"""
from __future__ import annotations

import ast
import pathlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradviz import errors, syntax
from gradviz.errors import GradvizError, Span
from gradviz.lexer import Token, tokenize
from gradviz.parser import MAX_NESTING, parse

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFORMANCE = sorted((ROOT / "tests" / "conformance").glob("*.txt")) + \
    sorted((ROOT / "samples").glob("*.txt"))

# ---- the oracle: both trees as one s-expression, spans in the same order ----

PY_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**",
          ast.MatMult: "@", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
          ast.Gt: ">", ast.GtE: ">=", ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}


def ours(node, spans: list):
    """Our node as an s-expression; appends each node's span, pre-order."""
    if isinstance(node, tuple):
        return tuple(ours(n, spans) for n in node)
    if node is None:
        return None
    kind = type(node).__name__
    # Python: Constant; x[k] = v is an Assign there
    spans.append(({"Const": "Num", "Str": "Num", "SetItem": "Assign",
                  "ChainedAssign": "Assign"}.get(kind, kind), node.span))
    match node:
        case syntax.Name(id=name):
            return name
        case syntax.Num(value=v) | syntax.Const(value=v) | syntax.Str(value=v):
            return repr(v)
        case syntax.BinOp(op=op, left=left, right=right):
            return (op, ours(left, spans), ours(right, spans))
        case syntax.Compare(first=first, ops=ops, rest=rest):
            return ("chain", ours(first, spans),
                    *((op, ours(r, spans)) for op, r in zip(ops, rest)))
        case syntax.UnaryOp(op=op, operand=operand):
            return ("u" + op, ours(operand, spans))
        case syntax.Call(func=func, args=args, keywords=keywords):
            return ("call", ours(func, spans), *ours(args, spans), *ours(keywords, spans))
        case syntax.Keyword(name=name, value=value):
            return ("kw", name, ours(value, spans))
        case syntax.Attribute(value=value, attr=attr):
            return (".", ours(value, spans), attr)
        case syntax.Subscript(value=value, index=(syntax.TupleExpr(items=items),)):
            return ("[]", ours(value, spans), *ours(items, spans))  # m[(a, b)]: as Python
        case syntax.Subscript(value=value, index=index):
            return ("[]", ours(value, spans), *ours(index, spans))
        case syntax.Slice(start=start, stop=stop, step=step):
            return ("slice", ours(start, spans), ours(stop, spans), ours(step, spans))
        case syntax.ListExpr(items=items):
            return ("list", *ours(items, spans))
        case syntax.DictExpr(keys=keys, values=values):
            return ("dict", *((ours(k, spans), ours(v, spans)) for k, v in zip(keys, values)))
        case syntax.ListComp(elt=elt, clauses=clauses):
            return ("listcomp", ours(elt, spans), *_our_clauses(clauses, spans))
        case syntax.DictComp(key=key, value=value, clauses=clauses):
            return ("dictcomp", ours(key, spans), ours(value, spans),
                    *_our_clauses(clauses, spans))
        case syntax.SetExpr(items=items):
            return ("set", *ours(items, spans))
        case syntax.SetComp(elt=elt, clauses=clauses):
            return ("setcomp", ours(elt, spans), *_our_clauses(clauses, spans))
        case syntax.Starred(value=value):
            return ("*", ours(value, spans))
        case syntax.SetItem(target=target, value=value):
            return ("=", ours(target, spans), ours(value, spans))
        case syntax.Delete(targets=targets):
            return ("del", *ours(targets, spans))
        case syntax.TupleExpr(items=items):
            return ("tuple", *ours(items, spans))
        case syntax.Assign(target=target, targets=targets, value=value):
            names = our_target(targets, spans) if targets else target
            return ("=", names, ours(value, spans))
        case syntax.ChainedAssign(targets=targets, value=value):
            return ("=", *(our_target(t, spans) for t in targets), ours(value, spans))
        case syntax.AugAssign(target=target, op=op, value=value):
            return (op + "=", ours(target, spans), ours(value, spans))
        case syntax.ExprStmt(value=value):
            return ours(value, spans)
        case syntax.Import(module=module):
            return ("import", module)
        case syntax.With(context=context, body=body):
            return ("with", ours(context, spans), *ours(body, spans))
    raise AssertionError(f"unknown node {node!r}")


def _our_clauses(clauses: tuple, spans: list) -> list:
    """A comprehension's clauses: ("for", names, iterable, conditions...)."""
    return [("for", our_target(target), ours(iterable, spans), *ours(conds, spans))
            for target, iterable, conds in clauses]


def our_target(target, spans=None):
    """A target (a name, a tuple of targets, a Starred name, an attribute or
    item in a tuple) as an s-expression."""
    if isinstance(target, str):
        return target
    if isinstance(target, syntax.Starred):
        return ("*", target.value)
    if isinstance(target, (syntax.Attribute, syntax.Subscript)):
        return ours(target, [] if spans is None else spans)
    return ("tuple", *(our_target(t, spans) for t in target))


def python_target(node, spans=None):
    """Python's target node as our_target's s-expression ([a, b] is a tuple)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Starred):
        return ("*", python_target(node.value))
    if isinstance(node, (ast.Attribute, ast.Subscript)):
        return python(node, [] if spans is None else spans)
    return ("tuple", *(python_target(t, spans) for t in node.elts))


def python(node, spans: list):
    """Python's node as the same s-expression; spans of the nodes we also have."""
    if isinstance(node, list):
        return tuple(python(n, spans) for n in node)
    if node is None:
        return None
    if not isinstance(node, (ast.Module, ast.withitem, ast.alias, ast.comprehension)):
        kind = {"Constant": "Num", "Compare": "BinOp", "List": "ListExpr",
                "Tuple": "TupleExpr", "Expr": "ExprStmt", "keyword": "Keyword",
                "Dict": "DictExpr", "Set": "SetExpr"}.get(
                    type(node).__name__, type(node).__name__)
        if isinstance(node, ast.Compare) and len(node.ops) > 1:
            kind = "Compare"        # a < b < c (a lone a < b is a BinOp)
        spans.append((kind, Span(node.lineno, node.col_offset + 1, node.end_lineno,
                                 node.end_col_offset + 1)))
    match node:
        case ast.Module(body=body):
            return python(body, spans)
        case ast.Name(id=name):
            return name
        case ast.Constant(value=v):
            return repr(v)
        case ast.BinOp(left=left, op=op, right=right):
            return (PY_OPS[type(op)], python(left, spans), python(right, spans))
        case ast.Compare(left=left, ops=[op], comparators=[right]):
            return (PY_OPS[type(op)], python(left, spans), python(right, spans))
        case ast.Compare(left=left, ops=ops, comparators=rest):    # a < b < c
            return ("chain", python(left, spans),
                    *((PY_OPS[type(op)], python(r, spans)) for op, r in zip(ops, rest)))
        case ast.UnaryOp(op=op, operand=operand):
            return ("u" + PY_OPS[type(op)], python(operand, spans))
        case ast.Call(func=func, args=args, keywords=keywords):
            return ("call", python(func, spans), *python(args, spans),
                    *python(keywords, spans))
        case ast.keyword(arg=name, value=value):
            return ("kw", name, python(value, spans))
        case ast.Attribute(value=value, attr=attr):
            return (".", python(value, spans), attr)
        case ast.Subscript(value=value, slice=ast.Tuple(elts=items)):
            return ("[]", python(value, spans), *python(items, spans))
        case ast.Subscript(value=value, slice=index):
            return ("[]", python(value, spans), python(index, spans))
        case ast.Slice(lower=lower, upper=upper, step=step):
            return ("slice", python(lower, spans), python(upper, spans), python(step, spans))
        case ast.List(elts=items):
            return ("list", *python(items, spans))
        case ast.Dict(keys=keys, values=values):
            return ("dict", *((python(k, spans), python(v, spans)) for k, v in zip(keys, values)))
        case ast.ListComp(elt=elt, generators=clauses):
            return ("listcomp", python(elt, spans), *python(clauses, spans))
        case ast.DictComp(key=key, value=value, generators=clauses):
            return ("dictcomp", python(key, spans), python(value, spans),
                    *python(clauses, spans))
        case ast.Set(elts=items):
            return ("set", *python(items, spans))
        case ast.SetComp(elt=elt, generators=clauses):
            return ("setcomp", python(elt, spans), *python(clauses, spans))
        case ast.Starred(value=value):
            return ("*", python(value, spans))
        case ast.comprehension(target=target, iter=iterable, ifs=conds):
            # (our targets are names, without nodes of their own)
            return ("for", python_target(target), python(iterable, spans),
                    *python(conds, spans))
        case ast.Assign(targets=[ast.Subscript() as target], value=value):
            return ("=", python(target, spans), python(value, spans))
        case ast.Delete(targets=targets):
            return ("del", *python(targets, spans))
        case ast.Tuple(elts=items):
            return ("tuple", *python(items, spans))
        case ast.Assign(targets=[target], value=value):
            return ("=", python_target(target, spans), python(value, spans))
        case ast.Assign(targets=targets, value=value) if len(targets) > 1:
            return ("=", *(python_target(t, spans) for t in targets), python(value, spans))
        case ast.AugAssign(target=target, op=op, value=value):
            return (PY_OPS[type(op)] + "=", python(target, spans), python(value, spans))
        case ast.Expr(value=value):
            return python(value, spans)
        case ast.Import(names=[alias]):
            return ("import", alias.name)
        case ast.With(items=[item], body=body):
            return ("with", python(item.context_expr, spans), *python(body, spans))
    raise AssertionError(f"unexpected Python node {ast.dump(node)}")


def both(source: str):
    """(ours, python) as (s-expression, spans) for a program both accept.

    Python's assignment targets and the implicit tuple of m[a, b] are nodes that
    we do not have (our targets are names, our index is a tuple of items), so
    ``python`` never visits them."""
    mine: list = []
    theirs: list = []
    ours_sx = ours(parse(source).body, mine)
    python_sx = python(ast.parse(source), theirs)
    return (ours_sx, mine), (python_sx, theirs)


def sexpr(src: str):
    return ours(parse(src).body, [])


PRECEDENCE_CASES = [
    "-x**2", "2**-1", "a @ b.T + c", "x.grad.zero_()", "m[:, 1]", "a - b - c", "a / b * c",
    "x == 2 * x", "(x * x).sum()", "2**3**2", "-2**-2", "a * b @ c / d", "a + b * c ** -d",
    "-a * b", "- -a", "+a - -b", "not a == b", "not not a", "a < b + c", "a + b >= c * d",
    "f(a, b=c + 1)(d)[0].e", "m[0]", "m[-1]", "m[0:2, 1:3]", "m[::2]", "m[2, 3]", "m[1:]",
    "m[:-1, ::-1]", "m[:]", "m[a:b:c]", "[1, 2]", "[]", "[[1.0, 2.0], [3., .5]]",
    "(1, 2)", "(1,)", "()", "((a))", "x.T @ W.T", "tensor([1.0, 2.0], requires_grad=True)",
    "torch.ones(2, 3, dtype='float32')", "1e-3 * x", "x ** 0.5 / 2.", "(a + b) * c",
    "a * (b + c)", "f()", "f(x,)", "True", "None + x", "x != None", "'abc'", '"a\'b"',
    "y.backward(torch.ones(len(x)))", "print(x.is_leaf, y.is_leaf, z.requires_grad)",
    "mean((o - t) ** 2)", "(a) + (b)", "(-a) ** 2", "2 ** f(x) ** -y.z", "a[0][1]",
    "f(not a)", "f(k=not a)", "-x.grad", "x[0].sum(dim=1, keepdim=True)",
    "{}", "{1: 2}", "{'w': w, 'b': b,}", "{a + 1: [b, c], (1, 2): {}}", "{a: b}[a]",
    "d['w'].grad", "{1: {2: 3, 4: []}}", "f({a: b}, k={})", "{k: v for k, v in d}",
    "{n: p.grad for n, p in params.items() if p.requires_grad}",
    "{i: j for i in a for j in b if i if j}", "[x * 2 for x in xs if x > 0]",
    "{not a: -b ** 2}", "d[k][0]", "m[1,]", "m[(0, 1)]", "d[1, 2]", "m[a:b,]",
    "m[..., 0]", "m[0, ...]", "m[...]", "m[..., None]", "m[1:, ..., ::2]", "...", "f(..., a)",
    "[a for i, (a, b) in z]", "[x for (x,) in z]", "[x for x, in z]", "[a for [a, b] in z]",
    "{k: v for k, (v, w) in d.items()}", "{1, 2}", "{a,}", "{*xs, 1}", "{(1, 2), f(x)}",
    "{x * 2 for x in xs if x}", "{a: {b}}", "{{1: 2}[1]}", "[r for a, *r in z]", "[y for (i, (X, y)) in z if i]",
    "a = b = x * 2", "a, b = c = 1, 2", "(a, b) = c, d = e", "a = b = c = f(x)", "a = x.w = m[0] = 1", "x.w = b = 2", "m[0], x.w = 1, 2", "m[1] = 2, 3", "m[0] = a, (b, c),", "f(x, k=1, **d)", "f(**a, **b)", "f(**{'lr': 0.1}, k=-x)", "super().__init__(**kwargs)",
]


@pytest.mark.parametrize("expr", PRECEDENCE_CASES)
def test_expressions_match_python(expr):
    for src in (expr, f"r = {expr}", f"r = {expr}\n"):
        (mine, my_spans), (theirs, their_spans) = both(src)
        assert mine == theirs
        assert my_spans == their_spans


STATEMENT_CASES = [
    "import torch\nx = 1\n",
    "a, b = f(x)\n",
    "a, = f(x)\n",
    "(a, b) = 1, 2\n",
    "x = 1, 2,\n",
    "w -= lr * w.grad\n",
    "w.grad *= 0.5\n",
    "m[0] += 1\n",
    "x /= 2\n",
    "with torch.no_grad():\n    w -= lr * w.grad\n    b -= lr * b.grad\nprint(w)\n",
    "with no_grad():\n    with no_grad():\n        y = x * 2\n    z = y\nq = z\n",
    "x = f(a,\n      b,\n      c=1)\n",
    "x = [[1, 2],\n     [3, 4]]\n",
    "x = a + \\\n    b\n",
    "# comment\n\nx = 1  # trailing\n\n\ny = 2\n",
    "with no_grad(): y = x * 2\n",
    "params['w'] = w\n",
    "counts['n'] += 1\n",
    "del d['w'], d[k]\n",
    "h = {'loss': [], 'acc': []}\n",
    "d = {\n    'w': w,\n    'b': b,\n}\n",
    "(a, b), c = (1, 2), 3\n",
    "a, (b, c) = x\n",
    "a, (b, (c, d)), e = x\n",
    "[a, b] = x\n",
    "(a) = 1\n",
    "a, *rest = [1, 2, 3]\n",
    "first, *middle, last = x\n",
    "*init, = x\n",
    "(a, b), *c = x\n",
]


@pytest.mark.parametrize("src", STATEMENT_CASES)
def test_statements_match_python(src):
    (mine, my_spans), (theirs, their_spans) = both(src)
    assert mine == theirs
    assert my_spans == their_spans


def test_precedence_shapes_spelled_out():
    assert sexpr("-x**2") == (("u-", ("**", "x", "2")),)
    assert sexpr("2**-1") == (("**", "2", ("u-", "1")),)
    assert sexpr("a - b - c") == (("-", ("-", "a", "b"), "c"),)
    assert sexpr("a / b * c") == (("*", ("/", "a", "b"), "c"),)
    assert sexpr("2**3**2") == (("**", "2", ("**", "3", "2")),)
    assert sexpr("a @ b.T + c") == (("+", ("@", "a", (".", "b", "T")), "c"),)
    assert sexpr("x == 2 * x") == (("==", "x", ("*", "2", "x")),)


# ---- random expressions against the oracle ----------------------------------

NAMES = st.sampled_from(["x", "y", "w", "b1", "torch", "grad"])
NUMBERS = st.sampled_from(["1", "2", "10", "0.5", "1e-3", ".5", "2.", "3.25"])
ATOMS = st.one_of(NAMES, NUMBERS, st.sampled_from(["True", "None", "'f'"]))
BINARY = st.sampled_from(["+", "-", "*", "/", "@", "**", "==", "!=", "<", "<=", ">", ">="])


def _index(children):
    bound = st.one_of(st.just(""), children)
    part = st.one_of(
        children,
        st.tuples(bound, bound).map(lambda t: f"{t[0]}:{t[1]}"),
        st.tuples(bound, bound, bound).map(lambda t: f"{t[0]}:{t[1]}:{t[2]}"))
    return st.lists(part, min_size=1, max_size=3).map(", ".join)


def _extend(children):
    base = st.one_of(NAMES, children.map(lambda s: f"({s})"))   # never a bare number
    args = st.lists(children, max_size=3)
    kwargs = st.lists(st.tuples(NAMES, children), max_size=2, unique_by=lambda t: t[0]).map(
        lambda pairs: [f"{name}={value}" for name, value in pairs])   # Python rejects repeats later
    return st.one_of(
        st.tuples(children, BINARY, children).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(st.sampled_from(["-", "+", "not "]), children).map("".join),
        children.map(lambda s: f"({s})"),
        st.tuples(base, args, kwargs).map(lambda t: f"{t[0]}({', '.join(t[1] + t[2])})"),
        st.tuples(base, NAMES).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(base, _index(children)).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.lists(children, max_size=3).map(lambda items: f"[{', '.join(items)}]"),
        st.lists(children, min_size=2, max_size=3).map(lambda items: f"({', '.join(items)})"),
        st.lists(st.tuples(children, children), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=12)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_random_expressions_match_python(expr):
    src = f"r = {expr}\n"
    try:
        tree = ast.parse(src)
    except SyntaxError:
        tree = None
    if tree is None:
        with pytest.raises(GradvizError) as info:
            parse(src)
        assert info.value.kind == errors.SYNTAX
        return
    (mine, my_spans), (theirs, their_spans) = both(src)
    assert mine == theirs
    assert my_spans == their_spans


# ---- spans -------------------------------------------------------------------

def test_spans_of_some_nodes():
    prog = parse("A = ones(2, 3)\nC = A @ B\nloss = mean((o - t) ** 2)\n")
    matmul = prog.body[1].value
    assert matmul.span == Span(2, 5, 2, 10)             # `A @ B`, caret under all of it
    assert prog.body[1].span == Span(2, 1, 2, 10)
    call = prog.body[0].value
    assert call.span == Span(1, 5, 1, 15)               # callee to closing paren
    assert call.func.span == Span(1, 5, 1, 9)
    power = prog.body[2].value.args[0]
    assert power.span == Span(3, 13, 3, 25)             # from '(' of the left operand
    assert power.left.span == Span(3, 14, 3, 19)        # the inner BinOp, without parens


def test_multiline_call_span():
    prog = parse("x = f(a,\n      b)\ny = 1\n")
    assert prog.body[0].value.span == Span(1, 5, 2, 9)
    assert prog.body[1].span == Span(3, 1, 3, 6)


def test_error_format_puts_caret_under_the_span():
    src = "x = 1\ny = f(a b)\n"
    with pytest.raises(GradvizError) as info:
        parse(src)
    text = info.value.format(src, "prog.txt")
    # (Python's words and span: both expressions)
    assert text.splitlines()[0] == "prog.txt:2:7: error: invalid syntax. Perhaps you forgot a comma?"
    assert text.splitlines()[2] == "          ^^^"


# ---- conformance programs ----------------------------------------------------

def _conformance_programs():
    return CONFORMANCE


@pytest.mark.parametrize("path", _conformance_programs(), ids=lambda p: p.name)
def test_conformance_programs_parse(path):
    source = path.read_text()
    prog = parse(source, path.name)
    statements = [line for line in source.splitlines()
                  if line.strip() and not line.lstrip().startswith("#")
                  and not line.startswith(" ")]
    assert len(prog.body) == len(statements)
    assert prog.source == source


def test_there_are_conformance_programs():
    assert len(_conformance_programs()) >= 10


# ---- the language's edges ----------------------------------------------------

def test_semicolons_separate_statements():
    prog = parse("x = 1; y = 2;\nz = x\n")
    assert [type(s).__name__ for s in prog.body] == ["Assign", "Assign", "Assign"]


def test_tabs_crlf_and_comments():
    prog = parse("with no_grad():\r\n\ty = 1\r\n\t# note\r\n\tz = 2\r\nw = 3")
    assert len(prog.body) == 2 and len(prog.body[0].body) == 2
    assert prog.body[1].span == Span(5, 1, 5, 6)


def test_literals():
    (stmt,) = parse("r = [1, 2.5, 1e-3, .5, 2., 1_000, 'a\\n', \"b\", True, False, None]").body
    values = [item.value for item in stmt.value.items]
    assert values == [1, 2.5, 1e-3, 0.5, 2.0, 1000, "a\n", "b", True, False, None]
    assert type(values[0]) is int and type(values[4]) is float


def test_tuple_assignment_targets_are_names():
    (stmt,) = parse("a, b = 1, 2").body
    assert stmt.targets == ("a", "b") and stmt.target == "a, b"
    (stmt,) = parse("a = 1").body
    assert stmt.targets == () and stmt.target == "a"


LOOP_TARGETS = ["i", "i, x", "i, (X, y)", "(a, b)", "b,", "[a, b]", "(a, [b, c]), d", "(a,)",
                "[a]", "a, *rest", "*a, b", "(a, *b), c", "((a))", "i, (X, y),"]


@pytest.mark.parametrize("target", LOOP_TARGETS)
def test_loop_targets_match_python(target):
    src = f"for {target} in xs:\n    pass\n"
    (stmt,) = parse(src).body
    assert our_target(stmt.target) == python_target(ast.parse(src).body[0].target)


def test_nested_targets_bind_names_in_order():
    (stmt,) = parse("for i, (X, *y), in z:\n    pass\n").body
    assert syntax.target_names(stmt.target) == ["i", "X", "y"]
    (stmt,) = parse("(a, b), c = x").body
    assert stmt.target == "(a, b), c" and syntax.bound_names((stmt,)) == {"a", "b", "c"}


def test_nodes_are_slotted_value_classes():
    # built by syntax.node, not dataclasses (a start-up cost), with what a
    # dataclass gives: keyword arguments, defaults, equality, repr, matching
    (stmt,) = parse("y = f(x.a * 2)").body
    call = stmt.value
    assert type(stmt) is syntax.Assign and type(call) is syntax.Call
    assert type(call.span) is Span and type(call.args[0]) is syntax.BinOp
    twin = syntax.BinOp("*", syntax.Attribute(syntax.Name("x", Span(1, 7, 1, 8)), "a",
                                              Span(1, 7, 1, 10)),
                        syntax.Num(2, Span(1, 13, 1, 14)), Span(1, 7, 1, 14))
    assert call.args[0] == twin and call.args[0] != syntax.BinOp("+", twin.left, twin.right, twin.span)
    assert not hasattr(call, "__dict__") and syntax.is_node(call) and not syntax.is_node(call.span)
    assert repr(twin.right) == "Num(value=2, span=Span(line=1, col=13, end_line=1, end_col=14))"
    jump = syntax.Yield(value=None, span=call.span)
    assert jump.delegate is False and syntax.Yield.__match_args__ == ("value", "span", "delegate",
                                                                   "target")
    with pytest.raises(TypeError):
        hash(twin)                      # equality by value: unhashable, as a dataclass


def test_tokenize():
    toks = tokenize("x = f(1.5)  # c\n")
    assert all(isinstance(t, Token) for t in toks)
    assert [t.kind for t in toks] == ["NAME", "=", "NAME", "(", "NUMBER", ")", "NEWLINE", "EOF"]
    assert toks[4].value == 1.5 and toks[4].text == "1.5"
    assert toks[4].span == Span(1, 7, 1, 10)


def test_indent_and_dedent_tokens():
    kinds = [t.kind for t in tokenize("with a:\n    with b:\n        x\ny\n")]
    assert kinds.count("INDENT") == 2 and kinds.count("DEDENT") == 2
    assert kinds[-1] == "EOF"


# ---- errors ------------------------------------------------------------------

ERROR_CASES = [
    # (source, line of the error, a word the message must contain)
    ("x = 1\ny = f(a b)\n", 2, "invalid syntax. Perhaps you forgot a comma?"),
    ("x = 1\ny = f(a 'b')\n", 2, "to close '(' opened at line 2 col 6"),
    ("x = f(1,\n  2\n", 1, "never closed"),
    ("x = [1, 2)\n", 1, "does not match"),
    ("x = 1)\n", 1, "unmatched"),
    ("x = 1\ny = 'abc\n", 2, "unterminated string"),
    ("x = $y\n", 1, "found '$'"),
    ("x = 1\ny = a ? b\n", 2, "found '?'"),
    ("class A:\n    x += 1\n", 2, "a class's block holds its methods"),
    ("x = 1\nfor i, 2 in range(3):\n    x = i\n", 2, "expected the name of a loop variable"),
    ("x = 1\nfor i j in range(3):\n    x = i\n", 2, "expected 'in' after the loop variables"),
    ("for (i, x in y):\n    pass\n", 1, "expected ',' or ')'"),
    ("for i.x in y:\n    pass\n", 1, "expected 'in' after the loop variables"),
    ("for *a in y:\n    pass\n", 1, "starred assignment target must be in a list or tuple"),
    ("for a, *b, *c in y:\n    pass\n", 1, "multiple starred expressions"),
    ("a, *b, *c = y\n", 1, "multiple starred expressions"),
    ("*a = y\n", 1, "starred assignment target must be in a list or tuple"),
    ("*a, b\n", 1, "can't use starred expression here"),
    ("a, (b, f(c)) = y\n", 1, "cannot assign to a function call"),
    ("if x\n    y = 1\n", 1, "expected ':' at the end of the 'if' line"),
    ("while True:\npass\n", 2, "expected an indented block after 'while' statement on line 1"),
    ("def f():\nx = 1\n", 2, "expected an indented block after function definition on line 1"),
    ("try:\n    x = 1\nexcept:\nx = 2\n", 4,
     "expected an indented block after 'except' statement on line 3"),
    ("x = 1\nbreak\n", 2, "'break' outside loop"),
    ("x = 1\nelse:\n    x = 2\n", 2, "'else' without an 'if' before it"),
    ("for i in range(3):\n    x = i\nelse x = 2\n", 3, "expected ':'"),
    ("class :\n    pass\n", 1, "the class's name after 'class'"),
    ("class A:\nx = 1\n", 2, "expected an indented block after class definition"),
    ("f = 1 + lambda x: x\n", 1, "a lambda needs parentheses here"),
    ("f = lambda x y: x\n", 1, "after a lambda's parameters"),
    ("x = 1\nreturn x\n", 2, "'return'"),
    ("import\n", 1, "a module name"),
    ("import torch as\n", 1, "a name after 'as'"),
    ("from torch import\n", 1, "a name to import"),
    ("from torch tensor\n", 1, "'import' after the module name"),
    ("x.grad = 1, 2 3\n", 1, "expected"),
    ("a, f(x) = 1, 2\n", 1, "cannot assign to a"),
    ("f(x) = 1\n", 1, "cannot assign to a function call"),
    ("1 = x\n", 1, "cannot assign to a number"),
    ("for a, b.c in z:\n    pass\n", 1, "expected 'in' after the loop variables"),
    ("y = (x = 2)\n", 1, "invalid syntax. Maybe you meant '==' or ':=' instead of '='?"),
    ("print(x.grad = 0)\n", 1, 'expression cannot contain assignment, perhaps you meant "=="?'),
    ("x = 1 +\n", 1, "expected an expression"),
    ("x = 1 2\n", 1, "expected end of line"),
    ("x := 3\n", 1, "invalid syntax"),
    ("x = a and\n", 1, "expected an expression"),
    ("x = 1 if a\n", 1, "expected 'else' in the conditional expression"),
    ("x = 1e\n", 1, "invalid decimal literal"),
    ("x = 1.2.3\n", 1, "found number .3"),     # (1.2 then .3, as Python reads it)
    ("x = f(a=1, b)\n", 1, "positional argument follows keyword"),
    ("x = f(a=1, a=2)\n", 1, "repeated"),
    ("x = f(**k, a)\n", 1, "positional argument follows keyword argument unpacking"),
    ("x = **k\n", 1, "'**' unpacking is only supported in a call"),
    ("a = *b = 1\n", 1, "starred expression"),
    ("x = *a\n", 1, "can't use starred expression here"),
    ("x = (*a)\n", 1, "cannot use starred expression here"),
    ("x = [*a for a in b]\n", 1, "iterable unpacking cannot be used in comprehension"),
    ("x = {**a for a in b}\n", 1, "dict unpacking cannot be used in dict comprehension"),
    ("a = 1 = b\n", 1, "cannot assign"),
    ("x = [i for i in y\n", 1, "'[' was never closed"),
    ("x = f(1, i for i in y)\n", 1, "must be parenthesized"),
    ("x = {1: 2, 3}\n", 1, "expected ':' after the dict's key"),
    ("x = {1, 2: 3}\n", 1, "expected ',' or '}'"),
    ("x = {*a for a in b}\n", 1, "iterable unpacking cannot be used in comprehension"),
    ("x = {*a: 1}\n", 1, "expected ',' or '}'"),
    ("{1, 2} = 3\n", 1, "cannot assign to a set"),
    ("x = {1: 2 3}\n", 1, "invalid syntax. Perhaps you forgot a comma?"),
    ("x = {1 + 2 3}\n", 1, "invalid syntax. Perhaps you forgot a comma?"),
    ("x = {1: 2 if 3}\n", 1, "expected 'else'"),
    ("x = {1: 2\n", 1, "'{' was never closed"),
    ("{1: 2} = 3\n", 1, "cannot assign to a dict"),
    ("x = {k: v for k in}\n", 1, "expected an expression"),
    ("def f(/, b):\n    pass\n", 1, "at least one argument must precede /"),
    ("def f(**k, a=1):\n    pass\n", 1, "cannot follow var-keyword"),
    ("def f(*):\n    pass\n", 1, "named arguments must follow bare *"),
    ("def f(*a, /):\n    pass\n", 1, "/ must be ahead of *"),
    ("def f(*a=1):\n    pass\n", 1, "cannot have default value"),
    ("x @= 2\n", 1, "'@='"),
    ("1 += x\n", 1, "cannot use '+='"),
    ("x = '''a\n", 1, "unterminated triple-quoted"),
    ("x = 'a\\x4'\n", 1, "escape"),
    ("x = m[]\n", 1, "expected an index"),
    ("x = a.\n", 1, "attribute name"),
    ("x = a == not b\n", 1, "'not'"),
    ("x = a \\ b\n", 1, "backslash"),
    ("with no_grad() as g\n    y = 1\n", 1, "':'"),
    ("with no_grad():\ny = 1\n", 2, "indented block"),
    ("with no_grad():\n", 2, "indented block"),
    ("with no_grad():\n    y = 1\n  z = 2\n", 3, "unindent does not match"),
    ("x = 1\n    y = 2\n", 2, "unexpected indent"),
    # a parse error before the lexer's is the one Python reports (it
    # tokenizes as it parses; found by scripts/fuzz_diff.py)
    ("x = 1\n        y = 2\n    z = 3\n", 2, "unexpected indent"),
    ("x = 1\n    y = (2\n", 2, "unexpected indent"),
    # any other parse error gives way to a tokenizer error after it
    ("None = 1\nx = 0100\n", 2, "leading zeros"),
    ("x = (1 +\n)\ny = 0100\n", 3, "leading zeros"),
    ("if x:\ny = 1\n  z = 2\n    w = 3\n", 2, "indented block"),
    ("x = fb'a'\n", 1, "found string"),
    ("x = 1\ny = 07\n", 2, "leading zeros"),      # Python's SyntaxError (00 and 0.7 are fine)
    ("x = 1 := 2\n", 1, "invalid syntax"),
]


@pytest.mark.parametrize("src,line,words", ERROR_CASES, ids=[c[0][:24] for c in ERROR_CASES])
def test_errors_name_the_spot(src, line, words):
    with pytest.raises(GradvizError) as info:
        parse(src)
    err = info.value
    assert err.kind == errors.SYNTAX
    assert err.span is not None and err.span.line == line
    # (Python's words are the message; where they are a bare "invalid
    # syntax", the hint says what was expected and found)
    assert words in f"{err.message} {err.hint}"
    assert err.hint
    assert err.exit_code == 2
    err.format(src, "prog.txt")          # renders without trouble


def test_unsupported_statement_hint_lists_the_language():
    with pytest.raises(GradvizError) as info:
        parse("y = 1\nasync def f():\n    pass\n")
    assert "assignments" in info.value.hint and "no_grad" in info.value.hint
    assert "while and for loops" in info.value.hint


@pytest.mark.parametrize("src,kind,words", [
    ("x = 1\nimport pandas as pd\n", "ModuleNotFoundError", "No module named 'pandas'"),
    ("x = 1\nimport numpy.lib\n", "ModuleNotFoundError", "No module named 'numpy.lib'"),
    ("x = 1\nimport torch.vision\n", "ModuleNotFoundError", "No module named 'torch.vision'"),
    ("x = 1\nfrom torch.nn import relu\n", "ImportError",
     "cannot import name 'relu' from 'torch.nn'"),
    ("x = 1\nimport random.os\n", "ModuleNotFoundError", "No module named 'random.os'"),
    ("x = 1\nfrom random import SystemRandom\n", "ImportError",
     "cannot import name 'SystemRandom' from 'random'"),
])
def test_imports_of_what_the_language_lacks_fail_as_in_python(src, kind, words):
    """As in Python, at run time, on the import's line (the lines before it ran)."""
    import io

    import gradviz
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    err = info.value
    assert (err.kind, err.span.line) == (kind, 2) and words in err.message and err.hint


@pytest.mark.parametrize("src,hint", [
    ("import matplotlib.pyplot as plt\n", "delete the plotting lines"),
    ("from d2l import torch as d2l\n", "d2l's helpers are not available"),
    ("import torchvision\n", "torch.randn"),
    ("import pandas\n", "a subset of numpy, and Python's math"),
    ("import os.path\n", "no access to the machine"),
    ("from tqdm import tqdm\n", "loop over the items"),
    ("import argparse\n", "no command-line arguments"),
    # (and torch's names gradviz lacks)
    ("torch.save({}, 'model.pth')\n", "cannot write or read files"),
    ("m = torch.compile(abs)\n", "runs eagerly"),
    ("torch.fft.fft(torch.ones(2))\n", "gradviz ops"),
])
def test_what_a_tutorials_script_reaches_for_says_what_to_do_instead(src, hint):
    import io

    import gradviz
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    want = "AttributeError" if src.startswith(("torch", "m =")) else "ModuleNotFoundError"
    assert info.value.kind == want and hint in info.value.hint


@pytest.mark.parametrize("src,line,col", [
    ("import torch\n%matplotlib inline\n", 2, 1),
    ("!pip install d2l\nx = 1\n", 1, 1),
    ("x = 1\nif x:\n    %time\n", 3, 5),
])
def test_a_notebooks_commands_are_named_as_such(src, line, col):
    """Python's SyntaxError, with a hint that says what the line is."""
    with pytest.raises(GradvizError) as info:
        parse(src)
    err = info.value
    assert err.kind == errors.SYNTAX and (err.span.line, err.span.col) == (line, col)
    assert "notebook" in err.hint


def test_percent_and_bang_elsewhere_keep_their_hints():
    with pytest.raises(GradvizError) as info:
        parse("x = 1\ny = ! x\n")
    assert "'not'" in info.value.hint
    with pytest.raises(GradvizError) as info:
        parse("x = 1\ny = (% 2)\n")
    assert "notebook" not in info.value.hint


def test_imports_bind_torchs_modules_and_their_members():
    import io

    import gradviz
    out = io.StringIO()
    gradviz.run_source(
        "import torch\nimport torch.nn.functional as F\nimport torch.nn as nn\n"
        "from torch import autograd, tensor as T\nfrom torch.nn.functional import relu\n"
        "from torch.nn import functional as G\nx = T([-1.0, 2.0], requires_grad=True)\n"
        "y = F.relu(x) + relu(x) + G.sigmoid(x) + nn.functional.tanh(x)\n"
        "g, = autograd.grad(y.sum(), x)\nprint(y, g)\n", stdout=out)
    # PyTorch's output for the same program
    assert out.getvalue() == ("tensor([-0.4927,  5.8448], grad_fn=<AddBackward0>) "
                              "tensor([0.6166, 2.1756])\n")


def test_unclosed_bracket_points_at_the_opener():
    with pytest.raises(GradvizError) as info:
        parse("x = 1\ny = f(1, [2,\n 3\n")
    assert info.value.span == Span(2, 10, 2, 11)
    assert "'[' opened at line 2 col 10" in info.value.hint


def test_huge_integer_literal_is_a_limit_error():
    with pytest.raises(GradvizError) as info:
        parse("x = " + "9" * 6000)
    assert info.value.kind == errors.LIMIT


# ---- fuzzing: nothing but GradvizError ever escapes --------------------------

def _check_spans(node):
    """Every span is inside the program and runs forward."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, tuple):
            stack.extend(n)
        elif syntax.is_node(n):
            if hasattr(n, "span"):
                sp = n.span
                assert sp.line >= 1 and sp.col >= 1
                assert (sp.end_line, sp.end_col) >= (sp.line, sp.col)
            stack.extend(getattr(n, name) for name in n.__match_args__
                         if name not in ("span", "source"))


def _parse_or_gradviz_error(src):
    try:
        prog = parse(src)
    except GradvizError as err:
        assert err.kind in (errors.SYNTAX, errors.LIMIT)
        if err.span is not None:
            assert err.span.line >= 1 and err.span.col >= 1
        assert isinstance(err.format(src if isinstance(src, str) else None), str)
        return None
    _check_spans(prog.body)
    return prog


SOUP = ["x", "y", "torch", "no_grad", "1", "2.5", ".5", "1e", "1e-3", "(", ")", "[", "]",
        "{", "}", ",", ":", ";", "=", "==", "!=", "<", "+", "-", "*", "/", "**", "@", "%",
        ".", "with", "import", "from", "not", "and", "def", "for", "lambda", "True", "None",
        "'s'", '"t"', "'", '"', "#c", "\\", "\\\n", "\n", "\n    ", "\n  ", "\t", " ",
        "+=", "-=", "**=", "!", "$", "?", "\x00", "é", "\r", "'''", "->", ":="]


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=120))
def test_fuzz_random_text(src):
    _parse_or_gradviz_error(src)


@settings(max_examples=800, deadline=None)
@given(st.lists(st.sampled_from(SOUP), max_size=40), st.sampled_from(["", " "]))
def test_fuzz_token_soup(parts, sep):
    _parse_or_gradviz_error(sep.join(parts))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80))
def test_fuzz_random_bytes(data):
    _parse_or_gradviz_error(data)
    _parse_or_gradviz_error(data.decode("latin-1"))


# ---- nesting limits: a LimitError, never a RecursionError --------------------

DEEP = 10_000


@pytest.mark.parametrize("src", [
    "x = " + "(" * DEEP + "1" + ")" * DEEP,
    "x = " + "[" * DEEP + "]" * DEEP,
    "x = " + "-" * DEEP + "1",
    "x = " + "not " * DEEP + "a",
    "x = " + "2 ** " * DEEP + "2",
    "x = a" + ".b" * DEEP,
    "x = f" + "()" * DEEP,
    "x = m" + "[0]" * DEEP,
    "x = a" + " + a" * DEEP,
    "x = " + "f(" * DEEP + ")" * DEEP,
    "x = " + "m[" * DEEP + "0" + "]" * DEEP,
    "".join(" " * i + "with no_grad():\n" for i in range(DEEP // 10)) + " " * (DEEP // 10) + "x\n",
], ids=["parens", "lists", "unary", "not", "power", "attributes", "calls", "subscripts",
        "sum", "call-args", "subscript-index", "with-blocks"])
def test_deep_nesting_is_a_limit_error(src):
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert info.value.kind == errors.LIMIT
    assert info.value.span is not None
    assert str(MAX_NESTING) in info.value.message


def test_nesting_below_the_limit_parses():
    depth = MAX_NESTING // 2 - 5
    prog = parse("x = " + "(" * depth + "1" + ")" * depth + "\ny = " + "[" * depth + "]" * depth)
    assert prog.body[0].value.value == 1


# ---- speed --------------------------------------------------------------------

def test_large_program_parses_quickly():
    src = "h = tanh(h * 1.01 + 0.1)\n" * 30_000
    start = time.perf_counter()
    prog = parse(src)
    elapsed = time.perf_counter() - start
    assert len(prog.body) == 30_000
    assert prog.body[-1].span == Span(30_000, 1, 30_000, 25)
    assert elapsed < 20.0    # generous: guards against accidental quadratic behaviour only
    #                          (speed itself is measured in bench/, not here)


# ---- type hints: parsed, not evaluated ---------------------------------------
def _prints(src: str) -> str:
    import io

    import gradviz
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    return out.getvalue()


def test_type_hints_change_nothing_a_program_computes():
    hinted = ("def f(x: Tensor, k: int = 2, *rest: float, **kw: 'Any') -> 'Tensor':\n"
              "    y: Tensor = x * k\n    return y\n"
              "w: Tensor = tensor([1.0, 2.0], requires_grad=True)\n"
              "f(w, 3).sum().backward()\nprint(w.grad)\n")
    plain = ("def f(x, k=2, *rest, **kw):\n    y = x * k\n    return y\n"
             "w = tensor([1.0, 2.0], requires_grad=True)\n"
             "f(w, 3).sum().backward()\nprint(w.grad)\n")
    assert _prints(hinted) == _prints(plain) == "tensor([3., 3.])\n"
    # a hint names what need not exist: it is not evaluated
    assert _prints("def g(a: NoSuchType) -> Undefined:\n    return a\nprint(g(1))\n") == "1\n"


def test_a_hint_alone_binds_nothing_and_lambdas_keep_their_colon():
    with pytest.raises(GradvizError) as info:
        _prints("count: int\nprint(count)\n")
    assert info.value.kind == "NameError"
    assert _prints("f = lambda x: x + 1\nprint(f(1))\n") == "2\n"
    assert _prints("class A:\n    n: int = 3\n    m: float\na = A()\na.k: int = 4\n"
                   "print(a.n, a.k)\n") == "3 4\n"


def test_typing_names_import_print_and_subscript_as_python():
    assert _prints("from typing import List, Optional, Tuple, Any\nfrom torch import Tensor\n"
                   "print(List, Optional[int], Tuple[Tensor, float], List[List[int]])\n") == \
        "typing.List typing.Optional[int] typing.Tuple[torch.Tensor, float] " \
        "typing.List[typing.List[int]]\n"
    with pytest.raises(GradvizError) as info:
        _prints("from typing import Any\nprint(Any[int])\n")
    assert info.value.kind == "TypeError" and info.value.hint


def test_hints_in_the_wrong_places_are_syntax_errors():
    for src in ("a, b: int = 1, 2\n", "f = lambda x: int: x\n", "def f(x: ) -> int:\n    pass\n"):
        with pytest.raises(GradvizError) as info:
            parse(src)
        assert info.value.kind == errors.SYNTAX, src


def test_an_exported_future_import_stays_first():
    from gradviz.export import to_torch
    script = to_torch("from __future__ import annotations\nx: int = 1\nprint(x)\n", "p.txt")
    lines = script.splitlines()
    assert lines[1] == "from __future__ import annotations" and lines[2] == "import torch"
    compile(script, "p.py", "exec")


@pytest.mark.parametrize("src, text", [("0.5.sum()", "0.5"), ("1..real", "1."), (".5.x", ".5"),
                                       ("1.5e-3.x", "1.5e-3"), ("1.e5.real", "1.e5"),
                                       ("1e5.x", "1e5"), ("1E+5.real", "1E+5"),
                                       ("1_000.5.is_integer()", "1_000.5"), ("0x10.real", "0x10"),
                                       ("1e5._x", "1e5"), ("1_0e1_0.e5", "1_0e1_0")])
def test_a_number_takes_one_dot_then_an_attribute_follows(src, text):
    """As Python reads 0.5.sum(): the number 0.5, then .sum (an attribute
    error at run time, not a syntax error); 2.sum stays a bad literal."""
    import io

    import gradviz
    from gradviz.lexer import NUMBER, scan
    toks = scan(src + "\n")
    assert toks[0][:2] == (NUMBER, text) and toks[1][1] == "."
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("y = 0.5.sum()\n", stdout=io.StringIO())
    assert info.value.kind == "AttributeError" and "'float'" in info.value.message
    with pytest.raises(GradvizError) as info:
        gradviz.run_source("y = 2.sum()\n", stdout=io.StringIO())
    assert info.value.kind == errors.SYNTAX


# numbers followed by a dot, each as Python's tokenizer cuts it (an exponent,
# a 0x/0o/0b prefix or a j ends a number: a dot after it is an attribute's)
PYTHON_NUMBERS = ["1e5.x", "1e5.real", "1.5e-3.hex()", "1_000.5.is_integer()", "0x10.real",
                  "1j.imag", "1e5j.imag", "1.j.imag", "0o17.real", "0b101.real", "0X_1F.x",
                  "1E5.real", "1e+5.real", "1e-5_0.x", ".5e3.real", "1.5.real", "1..real",
                  "1.e5.real", "1e5.e5", "1.5.e5", "1e5.5", "1e5.1e5", "1e5 .x", "0.5.sum()"]


@pytest.mark.parametrize("src", PYTHON_NUMBERS)
def test_numbers_are_cut_where_pythons_tokenizer_cuts_them(src):
    import io
    import tokenize as pytokenize

    from gradviz.lexer import NUMBER, scan
    want = [(t.string, t.start[1]) for t in pytokenize.generate_tokens(io.StringIO(src).readline)
            if t.type == pytokenize.NUMBER]
    # (an imaginary one too: it is refused where it runs, named as Python reads it)
    got = [(t[1], t[4] - 1) for t in scan(src + "\n") if t[0] == NUMBER]
    assert got == want


@pytest.mark.parametrize("src, value", [("0x10", 16), ("0o17", 15), ("0b101", 5), ("0X_1F", 31),
                                        ("1e5_0", 1e50), ("1_000e1_0", 1e13)])
def test_prefixed_and_underscored_numbers_have_pythons_values(src, value):
    (stmt,) = parse(f"y = {src}").body
    assert stmt.value.value == value and type(stmt.value.value) is type(value)


@pytest.mark.parametrize("src", [
    "x = 1 y\n", "if x\n  pass\n", "with a\n  pass\n", "try:\n  pass\nprint(1)\n",
    "for x y:\n  pass\n", "def f x:\n  pass\n", "def (x):\n  pass\n", "class :\n  pass\n",
    "x = \n", "x = [1, 2:]\n", "y = 1 if x\n", "x = a.\n", "x = a[]\n", "import\n",
    "from torch\n", "import torch as\n", "@dec\nx = 1\n", "lambda x y: 1\n", "except:\n  pass\n",
    "else:\n  pass\n", "x = 1 +\n", "def f(a, b c): pass\n", "if x: pass\nelse pass\n",
    "x = {1: 2, 3}\n", "x = ()\ny = 1 2\n", "if x y:\n pass\n", "with a as b c:\n pass\n",
    "class A x:\n pass\n", "def f() x:\n pass\n", "try x:\n pass\n", "x = (1, 2]\n",
    "x = {1:\n 2)\n", "if 1:\n    x = 1\n  y = 2\n", "x = [1 ! 2)\n", "x = 1 ! 2\n",
    "x = 1 $ 2\n", "if x ? y:\n  pass\n"])
def test_a_syntax_error_has_pythons_words_and_line(src):
    with pytest.raises(SyntaxError) as python:
        compile(src, "<program>", "exec")
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert (info.value.message, info.value.span.line) == (python.value.msg, python.value.lineno)


@pytest.mark.parametrize("src", ["x = \x00\n", "x = 1\n    y = 2\n# \x00\n", "\x00"])
def test_a_null_byte_anywhere_is_pythons_error_without_a_line(src):
    with pytest.raises(SyntaxError) as python:
        compile(src, "<program>", "exec")
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert info.value.message == python.value.msg and info.value.span is None
    assert python.value.lineno is None


@pytest.mark.parametrize("src", ["5a", "1.T", "4ambda", "123abc", "1_", "1__0", "5_a", "1e", "1e+x",
                                 "1.ex", "0a", "00a", "0x", "0xg", "0x1g", "0o8", "0o", "0o1z",
                                 "0o7_9", "0b2", "0b", "0b1a", "0b1_2", "1jx"])
def test_a_bad_number_has_pythons_words(src):
    with pytest.raises(SyntaxError) as python:
        compile(f"y = {src}\n", "<program>", "exec")
    with pytest.raises(GradvizError) as info:
        parse(f"y = {src}\n")
    assert info.value.message == python.value.msg


@pytest.mark.parametrize("src, words", [
    ("y = 1e5.x\n", "'float' object has no attribute 'x'"),
    ("y = 0x1f.x\n", "'int' object has no attribute 'x'"),
    ("y = 0x\n", "invalid hexadecimal literal"), ("y = 1j.imag\n", "complex literals (1j) are not supported"),
])
def test_what_follows_a_numbers_dot_runs_as_in_python(src, words):
    import io

    import gradviz
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    assert words in info.value.message


@pytest.mark.parametrize("expr", ["1e5.real", "1e5.imag", "1.5e-3.hex()", "1_000.5.is_integer()",
                                  "0x10.real", "1..real", "(255).bit_length()", "(7).bit_count()",
                                  "True.real", "(3).numerator", "(2.5).as_integer_ratio()",
                                  "(1.5).conjugate()", "0b101.denominator"])
def test_a_numbers_attributes_and_methods_are_pythons(expr):
    import io

    import gradviz
    out = io.StringIO()
    gradviz.run_source(f"print({expr})\n", stdout=out)
    assert out.getvalue() == f"{eval(expr)}\n"


def test_a_repeated_keyword_is_python_s_syntax_error_in_its_words():
    src = "y = f(x, dim=0, dim=1)\n"
    with pytest.raises(SyntaxError) as python:
        compile(src, "<string>", "exec")
    with pytest.raises(GradvizError) as ours:
        parse(src)
    assert (ours.value.kind, ours.value.message) == ("SyntaxError", python.value.msg)
    assert python.value.msg == "keyword argument repeated: dim"


@pytest.mark.parametrize("src", [
    "y = f(a b)\n", "y = [a b]\n", "y = {1: a b}\n", "y = x[a b]\n", "y = f(a, b c)\n",
    "y = f(x + y z)\n", "y = f(b=1 c)\n", "y = f(*a b)\n", "y = f(x if c else y z)\n",
    "y = f(a.b 'c')\n", "y = torch.ones(2 3)\n", "class A(B C):\n    pass\n",
])
def test_two_expressions_side_by_side_are_pythons_missing_comma(src):
    """Python's own compile() is the reference: its words, and where its
    span starts (the first of the two expressions)."""
    with pytest.raises(SyntaxError) as py:
        compile(src, "prog", "exec")
    with pytest.raises(GradvizError) as info:
        parse(src)
    assert info.value.message == py.value.msg == "invalid syntax. Perhaps you forgot a comma?"
    assert (info.value.span.line, info.value.span.col) == (py.value.lineno, py.value.offset)
