"""The gradviz parser: recursive descent for statements, Pratt for expressions.

Each parse method's docstring is its grammar rule. Binding powers follow
Python exactly: comparisons < ``+ -`` < ``* / @`` < unary ``- +`` < ``**`` <
calls, subscripts and attributes; ``**`` is right-associative and its right
operand may be a unary expression (``-x**2`` is ``-(x**2)``, ``2**-1`` is
``2**(-1)``). A composite node's span runs from the first token of its source
to the last one, parentheses included, as in Python's own ``ast``.

``MAX_NESTING`` bounds the height of every tree the parser builds (brackets,
operands, postfix chains and ``with`` blocks all count), so the parser never
meets Python's recursion limit and later tree walkers may recurse too.
"""
from __future__ import annotations

import re

from . import fstrings, lexer, repeats, scopes, syntax
from .errors import LIMIT, SYNTAX, GradvizError, Span
from .gcpause import gc_paused
from .parser_match import MatchParser
from .syntax import REQUIRED
from .lexer import (DEDENT, EOF, FOUND_HINTS, FSTRING, INDENT, LANGUAGE, MISSING_OPERATOR,
                    NAME, NEWLINE, NOTEBOOK_HINT, NUMBER, PREFIX_ERRORS, SESSION_HINT, STRING,
                    UNSUPPORTED, UNSUPPORTED_OPERATORS)
from .syntax import (Assert, Assign, BoolOp, ClassDef, Compare, Delete, DictComp, DictExpr, ExceptHandler, Global, IfExp, Imaginary, Raise, Repeat, Try, Attribute, AugAssign, BinOp, Call, Const, ExprStmt, For, FString,
                     ChainedAssign, FunctionDef, GeneratorExp, If, Import, Jump, Keyword, Lambda, ListComp, ListExpr, Name, NamedExpr, Nonlocal, Num, Program,
                     Return, SetAttr, SetComp, SetExpr, SetItem, Slice, Starred, Str, Subscript, TupleExpr, UnaryOp, While, Yield,
                     With)

MAX_NESTING = 200
# how Python's "expected an indented block after ..." names a block's header
# (any other is "'for' statement")
_HEADERS = {"def": "function definition", "class": "class definition"}
COMPARE_BP, SUM_BP, PRODUCT_BP, UNARY_BP, POWER_BP, POSTFIX_BP = 10, 20, 30, 40, 50, 60
NOT_BP = 5   # `not` binds looser than comparisons: not a == b is not (a == b)
# and looser still: `and`, `or`, and `a if c else b` (Python's order)
IFEXP_BP, OR_BP, AND_BP = 2, 3, 4
# | ^ & between the comparisons and + - (Python's order: a < b | c is a < (b | c))
BITOR_BP, BITXOR_BP, BITAND_BP = 12, 14, 16
SHIFT_BP = 18   # << >> between & and + - (Python's order: 1 << 2 + 1 is 1 << 3)
LBP = {"if": IFEXP_BP, "or": OR_BP, "and": AND_BP, "==": COMPARE_BP, "!=": COMPARE_BP, "<": COMPARE_BP, "<=": COMPARE_BP,
       ">": COMPARE_BP, ">=": COMPARE_BP, "is": COMPARE_BP, "is not": COMPARE_BP,
       "in": COMPARE_BP, "not": COMPARE_BP, "not in": COMPARE_BP,
       "|": BITOR_BP, "^": BITXOR_BP, "&": BITAND_BP, "<<": SHIFT_BP, ">>": SHIFT_BP, "+": SUM_BP, "-": SUM_BP, "*": PRODUCT_BP, "/": PRODUCT_BP, "@": PRODUCT_BP,
       "%": PRODUCT_BP, "//": PRODUCT_BP,
       "**": POWER_BP, "(": POSTFIX_BP, "[": POSTFIX_BP, ".": POSTFIX_BP}
# left-associative operators parse their right operand one level tighter;
# ** is right-associative and takes a unary expression on its right
RBP = {op: bp + 1 for op, bp in LBP.items()} | {"**": POWER_BP - 1}
# LBP for every kind of token, so that the Pratt loop indexes instead of
# calling .get: 0 for a token that does not extend an expression, -1 for an
# operator Python has and gradviz does not (the loop stops there and says so)
BP = dict.fromkeys(lexer.KINDS, 0) | dict.fromkeys(UNSUPPORTED_OPERATORS, -1) | LBP
AUG_OPS = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "**=": "**", "//=": "//", "%=": "%",
           "|=": "|", "&=": "&", "^=": "^", "<<=": "<<", ">>=": ">>"}
CONSTANTS = {"True": True, "False": False, "None": None, "...": Ellipsis}
EXPR_START = frozenset((NAME, NUMBER, STRING, FSTRING, "(", "[", "{", "-", "+", "~", "not", "True",
                        "False", "None", "...", "lambda"))
STARRED_START = EXPR_START | {"*"}
LOOP_HINT = "write 'for i in range(3):', 'for i, x in enumerate(xs):' or 'for i, (X, y) in ...:'"

NODE_WORDS = {Attribute: "an attribute", Subscript: "an item", Call: "a function call",
              Num: "a number", Str: "a string", Const: "a constant", ListExpr: "a list", ListComp: "a list",
              GeneratorExp: "a generator expression", TupleExpr: "a tuple", Name: "a name",
              DictExpr: "a dict", DictComp: "a dict", SetExpr: "a set", SetComp: "a set"}
TARGET_HINTS = {
    Attribute: "assign one attribute per line (x.grad = None), or names in a tuple",
    Subscript: "assign one item per line (x[0] = 1), or names in a tuple"}

# The most frequent nodes (names, numbers, operators, attributes, calls,
# assignments) are made as _make(Name) with their fields set one by one: a
# dataclass's __init__ is a Python call, which doubles the cost of a node. A
# name, number, string or constant gets where its token is (_line, _col,
# _end_col, see syntax._Leaf), and its span is built when it is first read.
_make = object.__new__
# a Span made as tuple.__new__(Span, (line, col, end_line, end_col)): the same
# object as Span(...) without the Python-level __new__ a NamedTuple has
_new = tuple.__new__


def parse(source: str, filename: str = "<string>") -> Program:
    """Parse a gradviz program into a :class:`Program`.

    Raises GradvizError of kind SyntaxError (with a span and a hint) for any bad
    input, or LimitError when nesting exceeds MAX_NESTING. ``filename`` is for
    the caller's messages (errors carry spans; the CLI adds the file name).
    """
    if isinstance(source, (bytes, bytearray)):   # undecodable bytes become bad characters
        source = bytes(source).decode("utf-8", "replace")
    if source.startswith("\ufeff"):
        source = source[1:]
    if "\x00" in source:       # (Python's compile() refuses them before reading a line)
        raise GradvizError("source code string cannot contain null bytes", kind=SYNTAX,
                           hint="the file holds a NUL character: it is not a text file, or "
                                "was damaged; remove the character")
    # Parsing makes many long-lived objects and no cycles: GC passes are pure cost.
    with gc_paused():
        try:
            body = repeats.statements(source, _parse_run)
        except (GradvizError, RecursionError):
            body = None            # the whole-source parse says what is wrong
        try:
            program = Program(tuple(body), source) if body is not None else \
                _Parser(_tokens(source), source).program()
        except RecursionError:  # unreachable by design: the explicit depth guard comes first
            raise GradvizError("the program is nested too deeply", kind=LIMIT,
                               hint="split it into smaller statements") from None
    if "nonlocal" in source:        # (Python's checks of it, before anything runs)
        scopes.check(program)
    # (the membership tests run at C speed; the regex alone took 7 ms of a
    # 250 kB program and 1.2 ms of the benchmarks' scalar MLP, 5% of its run)
    if ("j" in source or "J" in source) and _IMAGINARY.search(source):
        _imaginary_literals(program)
    return program


# a number piece that may be an imaginary literal (a string holding one is walked for nothing)
_IMAGINARY = re.compile(r"[\d.][jJ]")


def _imaginary_literals(program: Program) -> None:
    """Each imaginary literal's Num (1j, its value a complex) made an
    Imaginary node, in place: it fails where it runs (gradviz has no complex
    numbers), so the lines before it run first, as in Python."""
    for stmt in program.body:
        _swap_imaginaries(stmt.stmt if stmt.__class__ is Repeat else stmt, program.source)


def _swap_imaginaries(node, source: str):
    """node, or its Imaginary when it is one's Num; the nodes below it swapped
    in place (a recursion as deep as the tree: MAX_NESTING bounds it)."""
    cls = node.__class__
    if cls is tuple:
        return tuple(_swap_imaginaries(item, source) for item in node)
    if cls is Num and node.value.__class__ is complex:
        span = node.span
        text = source.split("\n")[span.line - 1][span.col - 1:span.end_col - 1]
        return Imaginary(text, span)
    if syntax.is_node(node) and not isinstance(node, syntax._Leaf):
        for field in cls.__slots__:
            child = getattr(node, field)
            if child.__class__ is tuple or syntax.is_node(child):
                setattr(node, field, _swap_imaginaries(child, source))
    return node


def _tokens(source: str) -> list[tuple]:
    """The program's tokens; when the lexer fails at a line, an unexpected
    indent or a missing indented block on an earlier line is the error
    instead, as Python reports it (its parser stops there; any other syntax
    error of its gives way to an error its tokenizer then finds in the rest
    of the source: `None = 1` before `x = 0100` is the leading zeros' error)."""
    try:
        return lexer.scan(source)
    except GradvizError as exc:
        before = getattr(exc, "tokens_before", None)
        if not before or exc.span is None:
            raise
        line = exc.span.line
        # the tokens so far, closed as a program on a line after them all:
        # an error that the cut makes is on that line, and is not taken
        after = max(line, before[-1][3]) + 1
        depth = sum(1 if t[0] == INDENT else -1 if t[0] == DEDENT else 0 for t in before)
        toks = before + [(NEWLINE, "", None, after, 1, 2)] + \
            [(DEDENT, "", None, after, 1, 1)] * depth + [(EOF, "", None, after, 1, 1)]
        try:
            _Parser(toks, source).program()
        except GradvizError as first:
            if _indentation_error(first) and first.span is not None \
                    and first.span.line <= line and first.span != exc.span:
                raise first from None
        raise


def _indentation_error(exc: GradvizError) -> bool:
    """Whether a parse error is one of Python's IndentationErrors, which its
    parser raises at once, before its tokenizer reads on."""
    return exc.message == "unexpected indent" or \
        exc.message.startswith("expected an indented block")


def _parse_run(text: str, first_line: int) -> tuple:
    """The statements of ``text``, some whole lines of a program starting at
    line ``first_line`` (see repeats)."""
    return _Parser(lexer.scan(text, first_line), text).program().body


def _parse_field(text: str, line: int, col: int):
    """The expression of an f-string's field, whose text starts at column
    ``col`` of ``line``: scanned after as many spaces, so that its tokens
    have the source's columns (the INDENT those make is dropped)."""
    if "\n" in text:
        toks = _field_over_lines(text, line, col)
    else:
        toks = [t for t in lexer.scan(" " * (col - 1) + text, line)
                if t[0] != INDENT and t[0] != DEDENT]
    parser = _Parser(toks, text)
    node = parser.exprlist()
    if toks[parser.i][0] != NEWLINE:
        raise parser.expected("'}' to end the f-string's field",
                              hint="an f-string field holds one expression, as {x.grad} "
                                   "or {loss.item():.4f}")
    return node


def _field_over_lines(text: str, line: int, col: int) -> list:
    """The tokens of a field of a triple-quoted f-string that goes over lines:
    its lines are joined as inside brackets, so it is scanned in a pair of
    them (right before the field, each field has its '{' there), which are
    then dropped."""
    toks = lexer.scan(" " * (col - 2) + "(" + text + ")", line)
    toks = [t for t in toks if t[0] != INDENT and t[0] != DEDENT]
    del toks[0]
    closing = max(i for i, t in enumerate(toks) if t[0] == ")")
    del toks[closing]
    return toks


def _no_starred_element(node) -> None:
    """A comprehension's element cannot be starred (Python's SyntaxError)."""
    if node.__class__ is Starred:
        raise GradvizError("iterable unpacking cannot be used in comprehension", kind=SYNTAX,
                           span=node.span, hint="unpack outside it: [*xs] or list(xs)")


def _starred_item(node):
    """The first Starred item of a parsed exprlist, or None."""
    if node.__class__ is Starred:
        return node
    if node.__class__ is TupleExpr:
        for item in node.items:
            if item.__class__ is Starred:
                return item
    return None


def _check_starred(items: tuple) -> None:
    """Python's error for a tuple of targets with more than one starred."""
    stars = [t for t in items if t.__class__ is Starred]
    if len(stars) > 1:
        span = stars[1].span
        raise GradvizError("multiple starred expressions in assignment", kind=SYNTAX, span=span,
                           hint="one name of a tuple of targets takes the rest: a, *rest = xs")


def _target_text(target) -> str:
    """A tuple of targets as written: "a, b", "a,", "i, (X, y)", "a, *rest"."""
    def text(t):
        if t.__class__ is str:
            return t
        if t.__class__ is Starred:
            return "*" + t.value
        if t.__class__ is Attribute:
            return f"{_object_text(t.value)}.{t.attr}"
        if t.__class__ is Subscript:
            return f"{_object_text(t.value)}[...]"
        return f"({_target_text(t)})"
    parts = [text(t) for t in target]
    return ", ".join(parts) if len(parts) > 1 else "".join(parts) + ","


def _object_text(node) -> str:
    """The object of a target written as self.a or x[i]: its names, else '...'."""
    if node.__class__ is Name:
        return node.id
    if node.__class__ is Attribute:
        return f"{_object_text(node.value)}.{node.attr}"
    return "..."


def _error(tok: tuple, message: str, hint: str | None = None, kind: str = SYNTAX):
    return GradvizError(message, kind=kind, span=Span(tok[3], tok[4], tok[3], tok[5]),
                        hint=hint)


# what Python calls a node that cannot take `:=` ("cannot use assignment expressions with ...")
WALRUS_WORDS = {Attribute: "attribute", Subscript: "subscript", Call: "function call",
                Num: "literal", Str: "literal", BinOp: "expression", BoolOp: "expression",
                UnaryOp: "expression", Compare: "comparison", TupleExpr: "tuple",
                ListExpr: "list", DictExpr: "dict literal", SetExpr: "set display",
                ListComp: "list comprehension", SetComp: "set comprehension",
                DictComp: "dict comprehension", GeneratorExp: "generator expression",
                FString: "f-string expression", NamedExpr: "named expression",
                Lambda: "lambda", IfExp: "conditional expression"}
_COMPARISONS = frozenset(("==", "!=", "<", "<=", ">", ">=", "is", "is not", "in", "not in"))
WALRUS_HINT = "an assignment expression binds a name: (n := len(xs))"


def _walrus_error(left, tok: tuple, named: bool) -> GradvizError:
    """Python's SyntaxError for a ':=' the parser did not take: where Python
    takes an assignment expression (named), the target it cannot bind; else
    (or after a name) one that needs parentheses around it."""
    if left.__class__ is Name or not named:
        name = left.id if left.__class__ is Name else "n"
        return _error(tok, "invalid syntax", "an assignment expression needs parentheses "
                      f"here: ({name} := ...); or assign on a line of its own: {name} = ...")
    if left.__class__ is BinOp and left.op in _COMPARISONS:
        word = "comparison"
    elif left.__class__ is Const:
        word = "ellipsis" if left.value is Ellipsis else repr(left.value)
    else:
        word = WALRUS_WORDS.get(left.__class__, "expression")
    return GradvizError(f"cannot use assignment expressions with {word}", kind=SYNTAX,
                        span=left.span, hint=WALRUS_HINT)


def _check_comprehension_names(elt, clauses: tuple) -> None:
    """Python's SyntaxErrors for a ':=' in a comprehension: none in an
    iterable, and none that binds one of its loop names."""
    loop_names = set()
    for target, iterable, conds in clauses:
        loop_names.update(syntax.target_names(target))
        if syntax.named_targets((iterable,)):
            raise GradvizError("assignment expression cannot be used in a comprehension "
                               "iterable expression", kind=SYNTAX, span=iterable.span,
                               hint="bind the name on a line before the comprehension")
    for name in sorted(syntax.named_targets((elt, tuple(c for _, _, c in clauses)))):
        if name in loop_names:
            raise GradvizError(f"assignment expression cannot rebind comprehension iteration "
                               f"variable '{name}'", kind=SYNTAX, span=_span_of(elt, clauses),
                               hint="give the assigned name its own name, not a loop's")


def _span_of(elt, clauses: tuple) -> Span:
    """From the comprehension's item to its last clause (where Python points)."""
    last = clauses[-1][2][-1] if clauses[-1][2] else clauses[-1][1]
    first = elt[0] if elt.__class__ is tuple else elt
    return Span(first.span.line, first.span.col, last.span.end_line, last.span.end_col)


def _too_deep(tok: tuple) -> GradvizError:
    return _error(tok, f"the program is nested too deeply (more than {MAX_NESTING} levels of "
                  "brackets, operators or blocks)", "split it into several shorter "
                  "assignments", LIMIT)


# the tokens an expression may start with after another one (Python's
# "Perhaps you forgot a comma?"), and the soft keywords, which it leaves out
_EXPRESSION_STARTS = frozenset((NAME, NUMBER, STRING, FSTRING, "{", "~", "...", "None", "True",
                                "False", "lambda", "not", "await"))
SOFT_KEYWORDS = frozenset(("match", "case", "_", "type"))


# what CPython's parser says where gradviz's expected `what` is missing;
# anything else is its plain "invalid syntax" (gradviz's own words, the
# token found, go to the hint)
_PYTHON_EXPECTED = (("':' after the dict's key", "':' expected after dictionary key"),
                    ("'(' after the function's name", "expected '('"),
                    ("'except' or 'finally'", "expected 'except' or 'finally' block"),
                    ("'else' in the conditional", "expected 'else' after 'if' expression"))
# the block headers whose ':' Python's grammar demands whatever follows; the
# others' header is "expected ':'" only where the line ends there
_FORCED_COLON = ("'def'", "'try'", "'else'", "'finally'")


def _python_words(what: str, found: str) -> str:
    if what.startswith(("':' at the end of the", "':' after the 'with'")):
        forced = found == NEWLINE or any(kw in what for kw in _FORCED_COLON)
        return "expected ':'" if forced else "invalid syntax"
    for start, words in _PYTHON_EXPECTED:
        if what.startswith(start):
            return words
    return "invalid syntax"


class _Parser(MatchParser):
    __slots__ = ("toks", "i", "depth", "source", "loops", "in_def", "tries", "named", "annotated")

    def __init__(self, toks: list[tuple], source: str):
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.source = source
        self.loops = 0          # loops the parse is inside (break and continue need one)
        self.in_def = False     # in a function's block (return needs one)
        self.named = False      # in an expression where Python takes (n := v)
        self.tries = 0          # try statements the parse is inside (a yield cannot be)
        # the names annotated (x: int) and where their statements start (a class's fields)
        self.annotated: list = []

    def span_from(self, first: tuple) -> Span:
        """The span from token ``first`` to the last token consumed."""
        last = self.toks[self.i - 1]
        return _new(Span, (first[3], first[4], last[3], last[5]))

    def expected(self, what: str, opener: tuple | None = None,
                 hint: str | None = None, items: bool = False) -> GradvizError:
        """An error at the current token, which is not ``what`` (items: the
        ',' or closing bracket after an item of a call, a display or an
        index, where Python may say a comma is missing)."""
        if items:
            missing = self._comma_missing()
            if missing is not None:
                return missing
        tok, prev = self.toks[self.i], self.toks[self.i - 1]
        kind = tok[0]
        where = f" to close '{opener[1]}' opened at line {opener[3]} col {opener[4]}" \
            if opener else ""
        # (!pip: a notebook's line; >>>: a session's)
        if kind in FOUND_HINTS and hint is not NOTEBOOK_HINT and hint is not SESSION_HINT:
            hint = FOUND_HINTS[kind]
        elif kind == STRING and prev[0] == NAME and prev[5] == tok[4]:
            if prev[1].lower() in ("b", "br", "rb"):
                return GradvizError("bytes literals (b'...') are not supported", kind=SYNTAX,
                                    span=Span(prev[3], prev[4], tok[3], tok[5]),
                                    hint="gradviz's strings are str: write the text itself, "
                                         f"{tok[1]}")
            hint = "string prefixes like b'' are not supported (f'', r'', rf'' and u'' are)"
        elif hint is None and kind in MISSING_OPERATOR:
            hint = "is an operator or a ',' missing before it?"
        elif hint is None:
            hint = f"close the '{opener[1]}' here, or separate the items with ','" if opener \
                else "check this spot against Python syntax"
        detail = f"expected {what}{where}, found {lexer.describe(tok)}"
        return _error(tok, _python_words(what, kind), f"{detail}: {hint}" if hint else detail)

    def _comma_missing(self) -> GradvizError | None:
        """Python's "invalid syntax. Perhaps you forgot a comma?" for two
        expressions side by side in brackets (f(a b), [x 1]), spanning both;
        None where Python says otherwise: the first starts with a name and a
        string (a"s": a string prefix), a soft keyword, or is print or exec
        (its own message), or the item is a comprehension's (`in a b`)."""
        toks, i = self.toks, self.i
        tok = toks[i]
        if tok[0] not in _EXPRESSION_STARTS:
            return None
        start = self._item_start(i)
        if start is None:
            return None
        first, second = toks[start], toks[start + 1]
        if first[0] == NAME and (second[0] in (STRING, FSTRING) or first[1] in SOFT_KEYWORDS or
                                 first[1] in ("print", "exec") and start == i - 1):
            return None
        end = self._expression_end(i)
        return GradvizError("invalid syntax. Perhaps you forgot a comma?", kind=SYNTAX,
                            span=Span(first[3], first[4], end[3], end[5]),
                            hint="separate the items with ','")

    def _item_start(self, i: int) -> int | None:
        """The index of the first token of the expression that ends before
        token i (back to a ',', '=', ':', 'else', '*' or the open bracket at
        its level); None in a comprehension's or a lambda's clause."""
        toks, depth, j = self.toks, 0, i - 1
        while j > 0:
            kind = toks[j][0]
            if kind in (")", "]", "}"):
                depth += 1
            elif kind in ("(", "[", "{"):
                if depth == 0:
                    return j + 1
                depth -= 1
            elif depth == 0 and kind in (",", "=", ":", "*", "**", "else", "if"):
                return j + 1
            elif depth == 0 and kind in ("in", "for", "lambda"):
                return None
            j -= 1
        return None

    def _expression_end(self, i: int) -> tuple:
        """The last token of the expression starting at token i (the error's
        span: parsed on a copy of the position, its own errors left out)."""
        saved = self.i
        self.i = i
        try:
            self.expr()
            return self.toks[self.i - 1]
        except GradvizError:
            return self.toks[i]
        finally:
            self.i = saved

    # ---- statements -------------------------------------------------------

    def program(self) -> Program:
        """program := statement* EOF"""
        body: list = []
        append = body.append
        statement, expr, call = self.statement, self.expr, self.call
        toks = self.toks
        i = 0
        while True:
            first = toks[i]
            kind = first[0]
            if kind == NAME and toks[i + 1][0] == "=":
                # `name = expr` alone on its line, most lines, without the general
                # path's calls; anything else after expr is parsed again by it.
                # The most common, `name = f(...)`, goes straight to the call,
                # made as expr() makes it: two levels deep (the expression's
                # and the call's), the name's Name as its function
                func = toks[i + 2]
                if func[0] == NAME and toks[i + 3][0] == "(":
                    name = _make(Name)
                    name.id = func[1]
                    name._line = func[3]
                    name._col = func[4]
                    name._end_col = func[5]
                    self.i = i + 4
                    self.depth = 2
                    value = call(name, func, toks[i + 3])
                    self.depth = 0
                else:
                    self.i = i + 2
                    value = expr()
                end = self.i
                if toks[end][0] == NEWLINE:
                    last = toks[end - 1]
                    node = _make(Assign)
                    node.target = first[1]
                    node.value = value
                    node.span = _new(Span, (first[3], first[4], last[3], last[5]))
                    node.targets = ()
                    append(node)
                    i = self.i = end + 1
                    continue
                self.i = i
            elif kind == EOF:
                return Program(tuple(body), self.source)
            statement(body)
            i = self.i

    def statement(self, out: list) -> None:
        """statement := with_stmt | if_stmt | while_stmt | for_stmt | def_stmt | class_stmt
            | simple_line
        simple_line := simple_stmt (';' simple_stmt)* [';'] NEWLINE"""
        toks = self.toks
        kind = toks[self.i][0]
        if kind == "with":
            out.append(self.with_stmt())
            return
        if kind in _COMPOUND:
            out.append(_COMPOUND[kind](self))
            return
        if kind == "@":
            out.append(self.decorated())
            return
        if kind in ("except", "finally"):
            raise _error(toks[self.i], "invalid syntax",
                         f"'{kind}' without a 'try' before it: an '{kind}' follows the block "
                         "of a 'try', in the same column")
        if kind in ("else", "elif"):
            raise _error(toks[self.i], "invalid syntax",
                         f"'{kind}' without an 'if' before it: an '{kind}' follows the block "
                         "of an 'if' (or an 'elif'), in the same column as the 'if'")
        if kind == NAME and toks[self.i][1] == "match" and self.match_stmt_ahead():
            out.append(self.match_stmt())
            return
        if kind == INDENT:
            raise _error(toks[self.i], "unexpected indent", "only the body of a block ('with', "
                         "'if', 'for', 'while') is indented; start this line in the same "
                         "column as the one before")
        while True:
            out.append(self.simple_stmt())
            if toks[self.i][0] != ";":
                break
            self.i += 1
            if toks[self.i][0] == NEWLINE:
                break
        if toks[self.i][0] != NEWLINE:
            raise self.legacy_call(out[-1]) or self.expected(
                "end of line after the statement", hint="write one statement per line")
        self.i += 1

    def legacy_call(self, stmt) -> GradvizError | None:
        """Python 2's `print x` (or `exec s`): Python's "Missing parentheses"
        SyntaxError, from the name to the end of the line; else None."""
        toks = self.toks
        if stmt.__class__ is not ExprStmt or stmt.value.__class__ is not Name or \
                stmt.value.id not in ("print", "exec") or toks[self.i][0] not in EXPR_START:
            return None
        end = self.i
        while toks[end + 1][0] not in (NEWLINE, EOF):
            end += 1
        name = stmt.value.id
        return GradvizError(f"Missing parentheses in call to '{name}'. Did you mean {name}(...)?",
                            kind=SYNTAX, span=Span(stmt.span.line, stmt.span.col, toks[end][3],
                                                   toks[end][5]),
                            hint=f"{name} is a function: {name}(...)")

    def match_stmt_ahead(self) -> bool:
        """At a name 'match' (a soft keyword: also a name): is this line
        `match subject:` followed by an indented `case`?"""
        toks = self.toks
        j = self.i + 1
        if toks[j][0] in (NEWLINE, EOF, "=", ".", ":") or toks[j][0] in AUG_OPS:
            return False
        while toks[j][0] not in (NEWLINE, EOF):
            j += 1
        return (toks[j - 1][0] == ":" and toks[j][0] == NEWLINE and toks[j + 1][0] == INDENT
                and toks[j + 2][0] == NAME and toks[j + 2][1] == "case")

    def simple_stmt(self):
        """simple_stmt := import_stmt | assign_target '=' exprlist | expr '.' NAME '=' expr
            | expr '[' items ']' '=' expr | target AUG_OP expr | exprlist
            | 'break' | 'continue' | 'pass' | return_stmt    -- break, continue in a loop
            | del_stmt | global_stmt | raise_stmt | assert_stmt"""
        toks = self.toks
        first = toks[self.i]
        kind = first[0]
        if kind == NAME and toks[self.i + 1][0] == "=":      # the common case, fast
            target, names = first[1], ()
            self.i += 2
        elif kind in ("import", "from"):
            return self.import_stmt()
        elif kind in _JUMPS:
            return self.jump()
        elif kind == "return":
            return self.return_stmt()
        elif kind == "yield":
            return self.yield_stmt()
        elif kind in _KEYWORD_STMTS:
            self.i += 1
            return _KEYWORD_STMTS[kind](self, first)
        elif kind in UNSUPPORTED:
            raise _error(first, f"{UNSUPPORTED[kind]} are not supported", LANGUAGE)
        else:
            self.named = True       # (a.b := 1 here: Python names the target it refuses)
            left = self.exprlist(starred=True)
            self.named = False
            op = toks[self.i][0]
            if op == ":" and left.__class__ in (Name, Attribute, Subscript):
                # x: int = 5 (the hint parsed, not evaluated); x: int alone binds nothing
                if left.__class__ is Name:       # (a class's fields, for @dataclass)
                    self.annotated.append((left.id, first[3], first[4]))
                self.i += 1
                self.expr()
                op = toks[self.i][0]
                if op != "=":
                    return Jump("pass", self.span_from(first))
            if op in AUG_OPS:
                if not isinstance(left, (Name, Attribute, Subscript)):
                    raise self.node_error(left, f"cannot use '{op}' on", "the left side of "
                                          "an augmented assignment is a name such as w, or an "
                                          "attribute or item such as w.grad or m[0]")
                self.i += 1
                return AugAssign(left, AUG_OPS[op], self.expr(), self.span_from(first))
            if op != "=":
                star = _starred_item(left)
                if star is not None:
                    raise GradvizError("can't use starred expression here", kind=SYNTAX,
                                       span=star.span, hint="a starred name takes the rest "
                                       "of the items on the left of '=': a, *rest = xs")
                return ExprStmt(left, self.span_from(first))
            if left.__class__ is Attribute or left.__class__ is Subscript:
                self.i += 1                         # x.grad = None, x[0] = 1
                if toks[self.i][0] == "yield":      # self.got = yield v
                    return self.yield_stmt(first, left)
                value = self.values()               # (self.shape = 2, 3 too)
                if toks[self.i][0] == "=":          # x.a = b = v
                    return self.chained_assign(first, left, value)
                if left.__class__ is Subscript:
                    return SetItem(left, value, self.span_from(first))
                return SetAttr(left.value, left.attr, value, self.span_from(first))
            names = self.assign_target(left)
            if names.__class__ is str:                  # (a) = 1
                target, names = names, ()
            elif names.__class__ is Starred:
                raise GradvizError("starred assignment target must be in a list or tuple",
                                   kind=SYNTAX, span=left.span, hint="add a comma: *rest, = xs "
                                   "(or a, *rest = xs)")
            else:
                target = _target_text(names)
            self.i += 1
        if toks[self.i][0] == "yield":              # got = yield v
            return self.yield_stmt(first, names or target)
        value = self.values()
        if toks[self.i][0] == "=":
            return self.chained_assign(first, names or target, value)
        return Assign(target, value, self.span_from(first), names)

    def chained_assign(self, first: tuple, target, value) -> ChainedAssign:
        """chained_assign := chain_target '=' (chain_target '=')+ exprlist
        chain_target := assign_target | attribute | subscript
        -- a = b = v (the first target and what followed its '=' are parsed)"""
        toks = self.toks
        targets = [target]
        while toks[self.i][0] == "=":
            if value.__class__ is Attribute or value.__class__ is Subscript:
                targets.append(value)
            else:                               # (a starred one never parses as a value)
                targets.append(self.assign_target(value))
            self.i += 1
            value = self.values()
        return ChainedAssign(tuple(targets), value, self.span_from(first))

    @staticmethod
    def node_error(node, message: str, hint: str) -> GradvizError:
        what = NODE_WORDS.get(type(node), "an expression")
        return GradvizError(f"{message} {what}", kind=SYNTAX, span=node.span, hint=hint)

    def assign_target(self, left, nested: bool = False):
        """assign_target := NAME | assign_target (',' assign_target)* [',']
            | '(' assign_target ')' | '[' assign_target ']' | '*' NAME
            | attribute | subscript    -- these two only in a tuple
            -- checked on a parsed exprlist
        A name, or a tuple of targets (nested as written); a starred one is
        a Starred of its name; self.a and x[i] in a tuple (d2l's `self.a,
        self.b = a, b`) are their nodes."""
        cls = left.__class__
        if cls is Name:
            return left.id
        if nested and (cls is Attribute or cls is Subscript):
            return left
        if cls is TupleExpr or cls is ListExpr:
            items = tuple(self.assign_target(item, True) for item in left.items)
            _check_starred(items)
            return items
        if cls is Starred:
            name = self.assign_target(left.value)
            if name.__class__ is not str:
                raise self.node_error(left.value, "cannot use a starred target on",
                                      "a starred target is one name: a, *rest = xs")
            return Starred(name, left.span)
        raise self.node_error(left, "cannot assign to", TARGET_HINTS.get(
            cls, "only names (or names in a tuple, as a, (b, c)) can be assigned; "
                 "to compare two values use '=='"))

    def import_stmt(self) -> Import:
        """import_stmt := 'import' dotted ['as' NAME]
            | 'from' dotted 'import' NAME ['as' NAME] (',' NAME ['as' NAME])*
        -- of torch and its modules (the interpreter checks which exist)"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        module = self.dotted_name()
        if first[0] == "import":
            alias = self.import_alias() if toks[self.i][0] == "as" else ""
            return Import(module, self.span_from(first), alias)
        if toks[self.i][0] != "import":
            raise self.expected("'import' after the module name",
                                hint="write e.g. 'from torch import nn'")
        self.i += 1
        names = []
        while True:
            tok = toks[self.i]
            if tok[0] == "*" and not names:       # (Python's, not the language's)
                raise _error(tok, f"'from {module} import *' is not supported",
                             "torch's functions are there without it: delete the line "
                             "(of another module, import the names used: "
                             "from math import sqrt, pi)")
            if tok[0] != NAME:
                raise self.expected("a name to import", hint="write e.g. 'from torch import nn'")
            self.i += 1
            names.append((tok[1], self.import_alias() if toks[self.i][0] == "as" else tok[1]))
            if toks[self.i][0] != ",":
                break
            self.i += 1
        return Import(module, self.span_from(first), "", tuple(names))

    def dotted_name(self) -> str:
        """dotted := NAME ('.' NAME)*"""
        toks = self.toks
        parts = []
        while True:
            tok = toks[self.i]
            if tok[0] != NAME:
                raise self.expected("a module name", hint="the modules are torch, torch.nn, "
                                    "torch.nn.functional and torch.autograd")
            parts.append(tok[1])
            self.i += 1
            if toks[self.i][0] != ".":
                return ".".join(parts)
            self.i += 1

    def import_alias(self) -> str:
        self.i += 1                    # 'as'
        tok = self.toks[self.i]
        if tok[0] != NAME:
            raise self.expected("a name after 'as'", hint="write e.g. 'import torch.nn."
                                "functional as F'")
        self.i += 1
        return tok[1]

    def with_stmt(self) -> With:
        """with_stmt := 'with' with_item (',' with_item)* ':' (simple_line | NEWLINE INDENT statement+ DEDENT)
        -- with a, b: is `with a:` around `with b:`, as Python runs it
        with_item := expr ['as' target_item]"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        contexts = [self.with_item()]
        while toks[self.i][0] == ",":
            self.i += 1
            contexts.append(self.with_item())
        if toks[self.i][0] != ":":
            raise self.expected("':' after the 'with' context",
                                hint="write 'with torch.no_grad():'")
        body = self.block(first, "with")
        end = body[-1].span
        for context, target in reversed(contexts):
            body = (With(context, body, Span(first[3], first[4], end.end_line, end.end_col),
                         target),)
        return body[0]

    def with_item(self) -> tuple:
        """(the context's expression, its 'as' target or None)."""
        context = self.expr()
        if self.toks[self.i][0] != "as":
            return context, None
        self.i += 1
        return context, self.target_item()

    def block(self, first: tuple, what: str) -> tuple:
        """block := ':' (simple_line | NEWLINE INDENT statement+ DEDENT)
        (the rest of a compound statement, whose first token is ``first``)"""
        toks = self.toks
        if toks[self.i][0] != ":":
            raise self.expected(f"':' at the end of the '{what}' line",
                                hint=f"write '{what} ...:' and the block below it, indented")
        self.i += 1
        depth = self.depth = self.depth + 1
        if depth > MAX_NESTING:
            raise _too_deep(first)
        body: list = []
        if toks[self.i][0] != NEWLINE:
            self.statement(body)       # a body on the same line
        else:
            self.i += 1
            if toks[self.i][0] != INDENT:
                header = _HEADERS.get(what, f"'{what}' statement")
                raise _error(toks[self.i], f"expected an indented block after {header} on line "
                             f"{first[3]}", "indent the lines of the block, e.g. by 4 spaces")
            self.i += 1
            while toks[self.i][0] != DEDENT:
                self.statement(body)
            self.i += 1
        self.depth = depth - 1
        return tuple(body)

    def loop_block(self, first: tuple, what: str) -> tuple:
        """A loop's block, where break and continue may stand."""
        self.loops += 1
        try:
            return self.block(first, what)
        finally:
            self.loops -= 1

    def loop_else(self) -> tuple:
        """['else' block] after a loop's block (where break and continue
        belong to an outer loop)."""
        tok = self.toks[self.i]
        if tok[0] != "else":
            return ()
        self.i += 1
        return self.block(tok, "else")

    def if_stmt(self) -> If:
        """if_stmt := ('if' | 'elif') expr block ['elif' ... | 'else' block]"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        test = self.named_expr()
        span = self.span_from(first)
        if toks[self.i][0] == "=":
            raise self.misplaced_assign(test) or self.expected("':'")
        body = self.block(first, first[0])
        orelse: tuple = ()
        kind = toks[self.i][0]
        if kind == "elif":
            orelse = (self.if_stmt(),)
        elif kind == "else":
            other = toks[self.i]
            self.i += 1
            orelse = self.block(other, "else")
        return If(test, body, orelse, span)

    def try_stmt(self) -> Try:
        """try_stmt := 'try' block ('except' [expr ['as' NAME]] block)+
                       ['else' block] ['finally' block] | 'try' block 'finally' block"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        span = self.span_from(first)
        self.tries += 1
        try:
            return self._try_blocks(first, span)
        finally:
            self.tries -= 1

    def _try_blocks(self, first: tuple, span: Span) -> Try:
        toks = self.toks
        body = self.block(first, "try")
        handlers = []
        while toks[self.i][0] == "except":
            tok = toks[self.i]
            self.i += 1
            kind = name = None
            if toks[self.i][0] != ":":
                kind = self.expr()
                if toks[self.i][0] == "as":
                    self.i += 1
                    if toks[self.i][0] != NAME:
                        raise self.expected("a name after 'as'", hint="write 'except "
                                            "RuntimeError as e:'")
                    name = toks[self.i][1]
                    self.i += 1
            header = self.span_from(tok)
            handlers.append(ExceptHandler(kind, name, self.block(tok, "except"), header))
        orelse = finalbody = ()
        if toks[self.i][0] == "else" and handlers:
            tok = toks[self.i]
            self.i += 1
            orelse = self.block(tok, "else")
        if toks[self.i][0] == "finally":
            tok = toks[self.i]
            self.i += 1
            finalbody = self.block(tok, "finally")
        if not handlers and not finalbody:
            raise self.expected("'except' or 'finally' after the 'try' block",
                                hint="write 'except RuntimeError as e:' and a block below it")
        return Try(body, tuple(handlers), orelse, finalbody, span)

    def while_stmt(self) -> While:
        """while_stmt := 'while' expr block"""
        first = self.toks[self.i]
        self.i += 1
        test = self.named_expr()
        span = self.span_from(first)
        if self.toks[self.i][0] == "=":
            raise self.misplaced_assign(test) or self.expected("':'")
        body = self.loop_block(first, "while")
        return While(test, body, span, self.loop_else())

    def for_stmt(self) -> For:
        """for_stmt := 'for' loop_target values block    -- for x in a, *b: too"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        target = self.loop_target()
        iterable = self.values()
        span = self.span_from(first)
        body = self.loop_block(first, "for")
        return For(target, iterable, body, span, self.loop_else())

    def loop_target(self):
        """loop_target := targets 'in'    -- after 'for', in a loop or a comprehension
        One name, or a tuple of targets (nested as written)."""
        target = self.targets("in")
        if self.toks[self.i][0] != "in":
            raise self.expected("'in' after the loop variables", hint=LOOP_HINT)
        self.i += 1
        return target

    def targets(self, close: str):
        """targets := target_item (',' target_item)* [',']    -- up to close, not taken
        One target, or a tuple of them when there is a comma."""
        toks = self.toks
        first = toks[self.i]
        items = [self.target_item()]
        comma = False
        while toks[self.i][0] == ",":
            comma = True
            self.i += 1
            if toks[self.i][0] == close:
                break
            items.append(self.target_item())
        if not comma:
            if items[0].__class__ is Starred:
                raise _error(first, "starred assignment target must be in a list or tuple",
                             "add a comma: for *rest, in xs (or a, *rest = xs)")
            return items[0]
        items = tuple(items)
        _check_starred(items)
        return items

    def target_item(self):
        """target_item := NAME | '(' targets ')' | '[' [targets] ']' | '*' NAME"""
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        self.i += 1
        if kind == NAME:
            return tok[1]
        if kind == "*" and toks[self.i][0] == NAME:
            self.i += 1
            return Starred(toks[self.i - 1][1], self.span_from(tok))
        if kind == "(" or kind == "[":
            close = ")" if kind == "(" else "]"
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise _too_deep(tok)
            if toks[self.i][0] == close:        # () or []: no items
                inner = ()
            else:
                inner = self.targets(close)
                if inner.__class__ is not tuple and kind == "[":
                    inner = (inner,)            # [a]: a list of one target
            if toks[self.i][0] != close:
                raise self.expected(f"',' or '{close}'", tok)
            self.i += 1
            self.depth -= 1
            return inner
        self.i -= 1
        raise self.expected("the name of a loop variable", hint=LOOP_HINT)

    def params(self, close: str, opener: tuple) -> tuple[list, list]:
        """param (',' param)* [','] up to close (not taken)
        param := NAME ['=' expr] | '*' NAME | '**' NAME | '*' | '/'    -- the starred last
        (a keyword-only parameter without a default gets syntax.REQUIRED
        as its default: the defaults are those of the last parameters)"""
        toks = self.toks
        params, defaults = [], []
        while toks[self.i][0] != close:
            tok = toks[self.i]
            if tok[0] == "/":
                self.slash(tok, params, close)
                continue
            if tok[0] in ("*", "**") and toks[self.i + 1][0] == NAME:
                # *args, **kwargs: last (kept in params as "*args", "**kwargs")
                star = tok[0] + toks[self.i + 1][1]
                if any(p.startswith("**") for p in params) or (
                        tok[0] == "*" and any(p.startswith("*") for p in params)):
                    raise _error(tok, "arguments cannot follow var-keyword argument"
                                 if any(p.startswith("**") for p in params) else
                                 "* argument may appear only once", "write *args, then **kwargs, last")
                params.append(star)
                self.i += 2
                self.annotation(close)
                if toks[self.i][0] == "=":
                    raise _error(toks[self.i], f"var-{'keyword' if tok[0] == '**' else 'positional'}"
                                 " argument cannot have default value", "remove the default")
                if toks[self.i][0] == ",":
                    self.i += 1
                continue
            if any(p.startswith("**") for p in params):
                raise _error(tok, "arguments cannot follow var-keyword argument",
                             "write **kwargs last: def f(a, *args, b=1, **kwargs):")
            keyword_only = any(p.startswith("*") for p in params)
            if (tok[0] == "*" and toks[self.i + 1][0] in (",", close)
                    and not any(p.startswith("*") for p in params)):
                # def f(a, *, b=1): the parameters after it take keywords only
                if toks[self.i + 1][0] == close or toks[self.i + 2][0] in (close, "**"):
                    raise _error(tok, "named arguments must follow bare *",
                                 "name a parameter after it, or remove the *")
                params.append("*")
                self.i += 2
                continue
            if tok[0] in ("*", "**"):
                raise _error(tok, f"'{tok[0]}' without a name in a parameter list is not supported",
                             "name each parameter, or collect the rest: def f(a, *args, **kwargs):")
            if tok[0] != NAME:
                raise self.expected("a parameter name", opener if close != ":" else None,
                                    hint="parameters are names, maybe with a default: "
                                         "def f(x, lr=0.1):" if close != ":" else
                                         "lambda x, k=2: x * k")
            if tok[1] in params:
                raise _error(tok, f"duplicate argument '{tok[1]}' in function definition",
                             "give each parameter its own name")
            params.append(tok[1])
            self.i += 1
            self.annotation(close)
            if toks[self.i][0] == "=":
                self.i += 1
                defaults.append(self.expr())
            elif keyword_only:       # def f(*, k): a keyword the call must give
                defaults.append(Const(REQUIRED, self.span_from(tok)))
            elif defaults:
                raise _error(tok, "non-default argument follows default argument",
                             "put the parameters with defaults last")
            if toks[self.i][0] == ",":
                self.i += 1
            elif toks[self.i][0] != close:
                if close == ":":       # a lambda's: no bracket to close
                    raise self.expected("',' or ':' after a lambda's parameters",
                                        hint="write lambda x, y: x * y")
                raise self.expected(f"',' or '{close}'", opener)
        return params, defaults

    def slash(self, tok: tuple, params: list, close: str) -> None:
        """'/' [','] in a parameter list: the parameters before it are
        positional-only (kept in params as "/")."""
        if not params:
            raise _error(tok, "at least one argument must precede /",
                         "write def f(a, /, b): the parameters before / are positional-only")
        if "/" in params:
            raise _error(tok, "/ may appear only once", "write one /")
        if any(p.startswith("*") for p in params):
            raise _error(tok, "/ must be ahead of *", "write def f(a, /, b, *, c):")
        params.append("/")
        self.i += 1
        if self.toks[self.i][0] == ",":
            self.i += 1
        elif self.toks[self.i][0] != close:
            raise self.expected(f"',' or '{close}'")

    def annotation(self, close: str) -> None:
        """[':' expr] after a def's parameter name: its type hint, parsed and
        not evaluated (as under `from __future__ import annotations`: a hint
        changes nothing a program computes). A lambda's ':' ends its
        parameters (close ':') instead."""
        if close != ":" and self.toks[self.i][0] == ":":
            self.i += 1
            self.expr()

    def after_annotation(self, close: str) -> str:
        """The kind of the token after the parameter name at self.i and its
        annotation (without taking them)."""
        at = self.i
        self.i += 1
        try:
            self.annotation(close)
            return self.toks[self.i][0]
        finally:
            self.i = at

    def lambda_expr(self, tok: tuple, rbp: int) -> Lambda:
        """lambda := 'lambda' [param (',' param)* [',']] ':' expr"""
        if rbp > 0:
            raise _error(tok, "a lambda needs parentheses here", "write (lambda x: ...)")
        self.i += 1
        params, defaults = self.params(":", tok)
        self.i += 1
        colon = self.toks[self.i - 1]
        body = self.expr()
        span = self.span_from(tok)
        ret = Return(body, _new(Span, (colon[3], colon[4], span.end_line, span.end_col)))
        return Lambda(FunctionDef("<lambda>", tuple(params), tuple(defaults), (ret,), span), span)

    def comma_separated(self, item) -> list:
        """item (',' item)*"""
        out = [item()]
        while self.toks[self.i][0] == ",":
            self.i += 1
            out.append(item())
        return out

    def del_stmt(self, first: tuple) -> Delete:
        """del_stmt := 'del' target (',' target)*    -- names, items, x.grad"""
        def target():
            t = self.expr()
            if t.__class__ not in (Name, Subscript, Attribute):
                raise self.node_error(t, "cannot delete",
                                      "del takes names, items (xs[0]) or x.grad")
            return t
        return Delete(tuple(self.comma_separated(target)), self.span_from(first))

    def global_stmt(self, first: tuple) -> Global | Nonlocal:
        """global_stmt := ('global' | 'nonlocal') NAME (',' NAME)*"""
        def name():
            tok = self.toks[self.i]
            if tok[0] != NAME:
                raise self.expected(f"a name after '{first[0]}'",
                                    hint=f"write '{first[0]} total'")
            self.i += 1
            return tok[1]
        names = tuple(self.comma_separated(name))
        return (Global if first[0] == "global" else Nonlocal)(names, self.span_from(first))

    def raise_stmt(self, first: tuple) -> Raise:
        """raise_stmt := 'raise' [expr ['from' expr]]"""
        exc = None if self.toks[self.i][0] == NEWLINE else self.expr()
        cause = None
        if exc is not None and self.toks[self.i][0] == "from":
            self.i += 1
            cause = self.expr()
        return Raise(exc, self.span_from(first), cause)

    def assert_stmt(self, first: tuple) -> Assert:
        """assert_stmt := 'assert' expr [',' expr]"""
        test = self.expr()
        msg = None
        if self.toks[self.i][0] == ",":
            self.i += 1
            msg = self.expr()
        return Assert(test, msg, self.span_from(first))

    def decorated(self) -> FunctionDef | ClassDef:
        """decorated := ('@' expr NEWLINE)+ (def_stmt | class_stmt)"""
        toks = self.toks
        decorators = []
        while toks[self.i][0] == "@":
            self.i += 1
            decorators.append(self.expr())
            if toks[self.i][0] != NEWLINE:
                raise self.expected("the end of the line after the decorator",
                                    hint="write the decorator alone on its line: @torch.no_grad()")
            self.i += 1
        if toks[self.i][0] == "class":           # @dataclass
            c = self.class_stmt()
            c.decorators = tuple(decorators)
            return c
        if toks[self.i][0] != "def":
            raise self.expected("'def' after the decorator",
                                hint="a decorator is written on the line above a 'def' (or "
                                     "a 'class')")
        d = self.def_stmt()
        d.decorators = tuple(decorators)
        return d

    def def_stmt(self) -> FunctionDef:
        """def_stmt := 'def' NAME '(' [param (',' param)* [',']] ')' block
        param := NAME ['=' expr]"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        if toks[self.i][0] != NAME:
            raise self.expected("the function's name after 'def'", hint="write 'def f(x):'")
        name = toks[self.i][1]
        self.i += 1
        if toks[self.i][0] != "(":
            raise self.expected("'(' after the function's name", hint="write 'def f(x):'")
        opener = toks[self.i]
        self.i += 1
        params, defaults = self.params(")", opener)
        self.i += 1
        if toks[self.i][0] == "->":             # its return type hint: not evaluated either
            self.i += 1
            self.expr()
        span = self.span_from(first)
        body = self.scope_block(first, "def")
        return FunctionDef(name, tuple(params), tuple(defaults), body, span)

    def scope_block(self, first: tuple, what: str) -> tuple:
        """The block of a def or a class: outside the loops and trys around
        it; a def's may return."""
        outer = self.loops, self.in_def, self.tries
        self.loops, self.in_def, self.tries = 0, what == "def", 0
        try:
            return self.block(first, what)
        finally:
            self.loops, self.in_def, self.tries = outer

    def class_stmt(self) -> ClassDef:
        """class_stmt := 'class' NAME ['(' [expr (',' expr)* [',']] ')'] block
            -- a block of defs, name = value, docstrings and pass"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        if toks[self.i][0] != NAME:
            raise self.expected("the class's name after 'class'",
                                hint="write 'class Model(torch.nn.Module):'")
        name = toks[self.i][1]
        self.i += 1
        bases: list = []
        if toks[self.i][0] == "(":
            opener = toks[self.i]
            self.i += 1
            bases = self.items(")", opener, self.expr)
        span = self.span_from(first)
        outer, self.annotated = self.annotated, []
        body = self.scope_block(first, "class")
        # the names annotated by the block's own statements (not its methods')
        starts = {(s.span.line, s.span.col) for s in body}
        fields = tuple(dict.fromkeys(n for n, line, col in self.annotated
                                     if (line, col) in starts))
        self.annotated = outer
        for stmt in body:
            if not (stmt.__class__ is FunctionDef or stmt.__class__ is Assign
                    or (stmt.__class__ is ExprStmt and stmt.value.__class__ is Str)
                    or (stmt.__class__ is Jump and stmt.kind == "pass")):
                raise GradvizError("a class's block holds its methods (def), class attributes "
                                   "(name = value), a docstring and pass", kind=SYNTAX,
                                   span=stmt.span, hint="move other statements into a method, "
                                                        "such as __init__")
        return ClassDef(name, tuple(bases), body, span, fields=fields)

    def return_stmt(self) -> Return:
        """return_stmt := 'return' [exprlist]    -- in a function's block"""
        toks = self.toks
        first = toks[self.i]
        if not self.in_def:
            raise _error(first, "'return' outside function",
                         "'return' goes inside the block of a 'def'")
        self.i += 1
        value = None if toks[self.i][0] in (NEWLINE, ";") else self.values()
        return Return(value, self.span_from(first))

    def yield_stmt(self, start: tuple | None = None, target=None) -> Yield:
        """yield_stmt := [assign_target '='] ('yield' [exprlist] | 'yield' 'from' expr)
            -- in a function's block, not in a try; the target takes what it is sent

        Not in a try: the interpreter runs a try's blocks on a stack of their
        own, which a generator could not leave and come back to. With a
        target (got = yield v), the target and the first token are parsed."""
        toks = self.toks
        first = toks[self.i]
        if not self.in_def:
            raise _error(first, "'yield' outside function",
                         "'yield' goes inside the block of a 'def', which makes it a generator")
        if self.tries:
            raise _error(first, "'yield' inside a 'try' block is not supported",
                         "move the yield out of the try: compute the value inside it, "
                         "then yield it after the try")
        self.i += 1
        delegate = toks[self.i][0] == "from"
        if delegate:
            self.i += 1
            value = self.expr()
        else:
            value = None if toks[self.i][0] in (NEWLINE, ";") else self.values()
        if toks[self.i][0] == "=":
            raise _error(toks[self.i], "cannot assign to yield expression",
                         "the value of a yield goes on the left of its '=': got = yield v")
        return Yield(value, self.span_from(start or first), delegate, target)

    def jump(self) -> Jump:
        """'break' | 'continue' | 'pass'"""
        tok = self.toks[self.i]
        if tok[0] != "pass" and not self.loops:
            raise _error(tok, f"'{tok[0]}' outside loop", f"'{tok[0]}' goes inside the block "
                         "of a 'for' or 'while' loop")
        self.i += 1
        return Jump(tok[0], self.span_from(tok))

    # ---- expressions ------------------------------------------------------

    def exprlist(self, item=None, first: tuple | None = None, starred: bool = False):
        """exprlist := expr (',' expr)* [',']    -- a tuple when it has a comma
        (``item`` is the first expr when the caller parsed it already, from ``first``;
        ``starred``: an item may be '*' expr, as the left side of a, *rest = xs)"""
        toks = self.toks
        expr = self.starred_expr if starred else self.expr
        starts = STARRED_START if starred else EXPR_START
        if item is None:
            first = toks[self.i]
            item = expr()
            if toks[self.i][0] != ",":
                return item
        items = [item]
        while toks[self.i][0] == ",":
            self.i += 1
            if toks[self.i][0] not in starts:
                if toks[self.i][0] == "*":        # x = 1, *xs
                    raise _error(toks[self.i], *PREFIX_ERRORS["*"])
                break
            items.append(expr())
        return TupleExpr(tuple(items), self.span_from(first))

    def values(self):
        """values := starred_expr (',' starred_expr)* [',']    -- after '=', return, for ... in
        (x = 1, *xs; return *head, tail): a tuple when it has a comma; a
        starred item alone is Python's SyntaxError."""
        value = self.exprlist(starred=True)
        if value.__class__ is Starred:
            raise GradvizError("can't use starred expression here", kind=SYNTAX,
                               span=value.span, hint="unpack into a tuple or a list: "
                               "x = *xs, (with a comma) or x = [*xs]")
        return value

    def starred_expr(self):
        """starred_expr := expr | '*' expr"""
        tok = self.toks[self.i]
        if tok[0] != "*":
            return self.expr()
        self.i += 1
        value = self.expr()
        return Starred(value, self.span_from(tok))

    def named_expr(self):
        """named_expr := NAME ':=' expr | expr    -- an if/while test, argument, item, index
        (where Python takes an assignment expression without parentheses of its
        own: an if/elif/while test, a call's positional argument, an item of a
        display or a group, an index)"""
        toks = self.toks
        tok = toks[self.i]
        if tok[0] == NAME and toks[self.i + 1][0] == ":=":
            self.i += 2
            return NamedExpr(tok[1], self.expr(), self.span_from(tok))
        # (a ':=' after something else is Python's "cannot use assignment
        # expressions with ..." here, its "invalid syntax" elsewhere)
        named, self.named = self.named, True
        value = self.expr()
        self.named = named
        return value

    def starred_or_named(self):
        """'*' expr | named_expr    -- an item of a group or a list or set display"""
        return self.starred_expr() if self.toks[self.i][0] == "*" else self.named_expr()

    def expr(self, rbp: int = 0):
        """expr := prefix (BINARY_OP expr | call | subscript | '.' NAME)*
        -- the Pratt loop: an operator extends the expression while its LBP > rbp
        prefix := NAME | NUMBER | unary | atom | fstring | paren | list | dict"""
        # self.i and self.depth are kept in locals, and written back before
        # each call that reads them
        outer = self.depth
        depth = outer + 1
        toks = self.toks
        i = self.i
        first = toks[i]
        if depth > MAX_NESTING:
            raise _too_deep(first)
        kind, text, value, line, col, end = first
        if kind == NAME:
            left = _make(Name)
            left.id = text
            left._line = line
            left._col = col
            left._end_col = end
            i += 1
        elif kind == NUMBER:
            left = _make(Num)
            left.value = value
            left._line = line
            left._col = col
            left._end_col = end
            i += 1
        else:
            self.depth = depth
            left = PREFIX.get(kind, _Parser.bad_prefix)(self, first, rbp)
            i = self.i
        compared = False
        tok = toks[i]
        bp = BP[tok[0]]
        while bp > rbp:
            depth += 1
            if depth > MAX_NESTING:
                raise _too_deep(tok)
            kind = tok[0]
            if bp <= AND_BP:           # and, or, a if c else b
                self.i = i + 1
                self.depth = depth
                left = self.bool_or_if(kind, left, first)
                i = self.i
            elif bp < POSTFIX_BP:      # a binary operator
                if bp == COMPARE_BP:
                    chained = compared      # a < b < c: the chain goes on (see below)
                    compared = True
                    if kind == "is" and toks[i + 1][0] == "not":
                        i += 1         # `is not`: one operator of two words
                        kind = "is not"
                    elif kind == "not":
                        if toks[i + 1][0] != "in":
                            raise _error(tok, "'not' here is only 'not in'",
                                         "write a not in b, or not (a ...) before the value")
                        i += 1         # `not in`, the same
                        kind = "not in"
                right_bp = RBP[kind]
                last = toks[i + 1]
                leaf = last[0]
                if (leaf == NAME or leaf == NUMBER) and BP[toks[i + 2][0]] <= right_bp:
                    # a lone name or number on the right: build it here, not by recursion
                    if leaf == NAME:
                        right = _make(Name)
                        right.id = last[1]
                    else:
                        right = _make(Num)
                        right.value = last[2]
                    right._line = last[3]
                    right._col = last[4]
                    right._end_col = last[5]
                    i += 2
                else:
                    self.i = i + 1
                    self.depth = depth
                    right = self.expr(right_bp)
                    i = self.i
                    last = toks[i - 1]
                if bp == COMPARE_BP and chained:
                    # a < b < c: one Compare (left is a < b, or a Compare already)
                    if left.__class__ is BinOp:
                        left = Compare(left.left, (left.op,), (left.right,), left.span)
                    left = Compare(left.first, left.ops + (kind,), left.rest + (right,),
                                   _new(Span, (line, col, last[3], last[5])))
                else:
                    node = _make(BinOp)
                    node.op = kind
                    node.left = left
                    node.right = right
                    node.span = _new(Span, (line, col, last[3], last[5]))
                    left = node
            elif kind == ".":
                name = toks[i + 1]
                if name[0] != NAME:
                    self.i = i + 1
                    raise self.expected("an attribute name after '.'",
                                        hint="write a name after the '.', as in x.grad")
                node = _make(Attribute)
                node.value = left
                node.attr = name[1]
                node.span = _new(Span, (line, col, name[3], name[5]))
                left = node
                i += 2
            else:
                self.i = i + 1
                self.depth = depth
                if kind == "(":
                    left = self.call(left, first, tok)
                else:
                    left = self.subscript(left, first, tok)
                i = self.i
            tok = toks[i]
            bp = BP[tok[0]]
        if bp < 0 and rbp == 0:      # (an operand stops there: the whole expression says)
            kind = tok[0]
            if kind == ":=":
                raise _walrus_error(left, tok, self.named)
            what = f"'{kind}'" if kind in lexer.KEYWORDS else f"operator '{kind}'"
            raise _error(tok, f"{what} is not supported in expressions",
                         UNSUPPORTED_OPERATORS[kind])
        self.i = i
        self.depth = outer
        return left

    def bool_or_if(self, kind: str, left, first: tuple):
        """What follows `left` (which starts at token first) and the 'and',
        'or' or 'if' just taken: BoolOp, or IfExp := or_test 'if' or_test
        'else' expr (right-associative)."""
        if kind != "if":
            right = self.expr(RBP[kind])
            return BoolOp(kind, left, right, self.span_from(first))
        test = self.expr(IFEXP_BP)
        if self.toks[self.i][0] != "else":
            raise self.expected("'else' in the conditional expression",
                                hint="write a if condition else b")
        self.i += 1
        orelse = self.expr(IFEXP_BP - 1)
        return IfExp(test, left, orelse, self.span_from(first))

    def unary(self, tok: tuple, rbp: int) -> UnaryOp:
        """unary := ('-' | '+' | '~') expr<UNARY_BP> | 'not' expr<NOT_BP>"""
        if tok[0] == "not" and rbp > NOT_BP:
            raise _error(tok, "'not' needs parentheses here", "write (not x)")
        self.i += 1
        operand = self.expr(NOT_BP if tok[0] == "not" else UNARY_BP)
        return UnaryOp(tok[0], operand, self.span_from(tok))

    def atom(self, tok: tuple, rbp: int):
        """atom := STRING | 'True' | 'False' | 'None' | '...'"""
        self.i += 1
        node = _make(Str if tok[0] == STRING else Const)
        node.value = tok[2] if tok[0] == STRING else CONSTANTS[tok[0]]
        node._line = tok[3]
        node._col = tok[4]
        node._end_col = tok[5]
        return node

    def fstring(self, tok: tuple, rbp: int) -> FString:
        """fstring := FSTRING    -- f"text {expr[=][!conversion][:spec]} text", as in Python"""
        self.i += 1
        _, text, _, line, col, end = tok
        prefix = len(text) - len(text.lstrip("fFrR"))       # f, rf, Fr ...
        quotes = 3 if text[prefix:prefix + 3] in ("'''", '"""') else 1
        body = text[prefix + quotes:-quotes].replace("\r\n", "\n")
        parts = fstrings.split(body, line, col + prefix + quotes, _parse_field,
                               raw="r" in text[:prefix].lower())
        return FString(parts, _new(Span, (line, col, line, end)))

    def paren(self, tok: tuple, rbp: int):
        """paren := '(' ')' | '(' expr ')' | '(' expr ',' [expr (',' expr)* [',']] ')'
                 | '(' expr comp_for+ ')'    -- a generator expression"""
        self.i += 1
        toks = self.toks
        if toks[self.i][0] != ")":
            first = self.starred_or_named()       # ((*xs, 1) unpacks xs into the tuple)
            if toks[self.i][0] == "for":   # (elt for x in xs): a generator
                _no_starred_element(first)
                clauses = self.comp_clauses(")", tok)
                _check_comprehension_names(first, clauses)
                return GeneratorExp(first, clauses, self.span_from(tok))
            if toks[self.i][0] == ",":
                self.i += 1
                items = [first, *self.items(")", tok, self.starred_or_named)]
            elif toks[self.i][0] == ")":
                if first.__class__ is Starred:
                    raise GradvizError("cannot use starred expression here", kind=SYNTAX,
                                       span=first.span, hint="add a comma to make a tuple: "
                                       "(*xs,)")
                self.i += 1
                return first   # keeps its own span, as in Python's ast
            else:
                raise self.item_end_error(first, "')'", tok)
        else:
            self.i += 1
            items = []
        return TupleExpr(tuple(items), self.span_from(tok))

    def list_display(self, tok: tuple, rbp: int) -> ListExpr | ListComp:
        """list := '[' [expr (',' expr)* [',']] ']' | '[' expr comp_for+ ']'"""
        toks = self.toks
        self.i += 1
        if toks[self.i][0] == "]":
            self.i += 1
            return ListExpr((), self.span_from(tok))
        first = self.starred_or_named()           # ([*xs, 1] unpacks xs into the list)
        if toks[self.i][0] != "for":
            return ListExpr(self.display_items(first, "]", tok), self.span_from(tok))
        _no_starred_element(first)
        clauses = self.comp_clauses("]", tok)
        _check_comprehension_names(first, clauses)
        return ListComp(first, clauses, self.span_from(tok))

    def dict_display(self, tok: tuple, rbp: int) -> DictExpr | DictComp | SetExpr | SetComp:
        """dict := '{' [pair (',' pair)* [',']] '}' | '{' pair comp_for+ '}'
        set := '{' starred_expr (',' starred_expr)* [','] '}' | '{' expr comp_for+ '}'
        ({} is an empty dict, as in Python)"""
        toks = self.toks
        self.i += 1
        if toks[self.i][0] == "}":
            self.i += 1
            return DictExpr((), (), self.span_from(tok))
        if toks[self.i][0] == "**":
            key, value = self.pair(tok)
        else:                                     # a set, or a dict's first key
            key = self.starred_or_named()
            if toks[self.i][0] != ":" or key.__class__ is Starred or key.__class__ is NamedExpr:
                return self.set_display(tok, key)
            value = self.dict_value()
        if toks[self.i][0] == "for":
            if key is None:
                raise GradvizError("dict unpacking cannot be used in dict comprehension",
                                   kind=SYNTAX, span=value.span,
                                   hint="write the items as key: value")
            clauses = self.comp_clauses("}", tok)
            _check_comprehension_names((key, value), clauses)
            return DictComp(key, value, clauses, self.span_from(tok))
        pairs = [(key, value)]
        if toks[self.i][0] == ",":
            self.i += 1
            pairs += self.items("}", tok, lambda: self.pair(tok))
        elif toks[self.i][0] == "}":
            self.i += 1
        else:
            raise self.expected("',' or '}'", tok, items=True)
        return DictExpr(tuple(k for k, _ in pairs), tuple(v for _, v in pairs),
                        self.span_from(tok))

    def set_display(self, tok: tuple, first) -> SetExpr | SetComp:
        """The rest of a set display or comprehension after its first item."""
        toks = self.toks
        if toks[self.i][0] == "for":
            _no_starred_element(first)
            clauses = self.comp_clauses("}", tok)
            _check_comprehension_names(first, clauses)
            return SetComp(first, clauses, self.span_from(tok))
        return SetExpr(self.display_items(first, "}", tok), self.span_from(tok))

    def display_items(self, first, close: str, opener: tuple) -> tuple:
        """The items of a list or set display after its first: (',' item)* [','] close,
        each maybe starred ([*xs, 1], {*a, *b})."""
        toks = self.toks
        if toks[self.i][0] == ",":
            self.i += 1
            return (first, *self.items(close, opener, self.starred_or_named))
        if toks[self.i][0] != close:
            raise self.item_end_error(first, f"'{close}'", opener)
        self.i += 1
        return (first,)

    def pair(self, opener: tuple) -> tuple:
        """pair := expr ':' expr | '**' expr    -- the items of a dict, key None
        (as in Python's ast)"""
        toks = self.toks
        if toks[self.i][0] == "**":
            self.i += 1
            return None, self.expr(COMPARE_BP)     # ({**a, **b}: a bitwise_or, as in Python)
        key = self.expr()
        if toks[self.i][0] != ":":
            raise self.expected("':' after the dict's key", opener,
                                hint="write each item as key: value")
        return key, self.dict_value()

    def dict_value(self):
        """The value after a dict's key and its ':' (the current token)."""
        colon = self.toks[self.i]
        self.i += 1
        if self.toks[self.i][0] in (",", "}"):
            raise _error(colon, "expression expected after dictionary key and ':'",
                         "write each item as key: value")
        return self.expr()

    def comp_clauses(self, close: str, opener: tuple) -> tuple:
        """comp_for := 'for' loop_target expr ('if' expr)*
        (one or more, then close, after a comprehension's item)"""
        toks = self.toks
        clauses = []
        # (an iterable and a condition are or_tests: an 'if' after one starts
        # the next condition, not a conditional expression)
        while toks[self.i][0] == "for":
            self.i += 1
            target = self.loop_target()
            iterable = self.expr(IFEXP_BP)
            conds = []
            while toks[self.i][0] == "if":
                self.i += 1
                conds.append(self.expr(IFEXP_BP))
            clauses.append((target, iterable, tuple(conds)))
        if toks[self.i][0] != close:
            if close == ")" and toks[self.i][0] == ",":
                raise _error(toks[self.i], "Generator expression must be parenthesized",
                             "write it in its own parentheses: f((x for x in xs), 1)")
            raise self.expected(f"'{close}' at the end of the comprehension", opener)
        self.i += 1
        return tuple(clauses)

    def items(self, close: str, opener: tuple, item) -> list:
        """items := [item (',' item)* [',']] close"""
        toks = self.toks
        out = []
        while toks[self.i][0] != close:
            out.append(item())
            if toks[self.i][0] == ",":
                self.i += 1
            elif toks[self.i][0] != close:
                raise self.item_end_error(out[-1], f"'{close}'", opener)
        self.i += 1
        return out

    def item_end_error(self, item, close: str, opener: tuple) -> GradvizError:
        """The error where an item of a display ends in neither ',' nor its
        close: a misplaced '=' ([1, x = 2]), else expected()."""
        return self.misplaced_assign(item) or \
            self.expected(f"',' or {close}", opener, items=True)

    def misplaced_assign(self, item) -> GradvizError | None:
        """Python's words for an '=' after an expression that is no target
        there (`[1, x = 2]`, `if x = 2:`): "cannot assign to literal here"
        for a literal, a call, ...; None when the token is no '='."""
        tok = self.toks[self.i]
        if tok[0] != "=" or item.__class__ is tuple or item.__class__ is Const:
            return None
        if item.__class__ is Name:
            message = "invalid syntax. Maybe you meant '==' or ':=' instead of '='?"
            span = Span(item.span.line, item.span.col, tok[3], tok[5])
        else:
            word = "comparison" if item.__class__ is BinOp and item.op in _COMPARISONS else \
                WALRUS_WORDS.get(item.__class__, "expression")
            message = f"cannot assign to {word} here. Maybe you meant '==' instead of '='?"
            span = item.span
        return GradvizError(message, kind=SYNTAX, span=span,
                            hint="an item is a value: compare with ==, or bind a name with "
                                 "(n := v)")

    def bad_prefix(self, tok: tuple, rbp: int):
        """Any token that cannot start an expression."""
        if tok[0] in UNSUPPORTED:
            raise _error(tok, f"{UNSUPPORTED[tok[0]]} are not supported", LANGUAGE)
        if tok[0] in PREFIX_ERRORS:
            raise _error(tok, *PREFIX_ERRORS[tok[0]])
        line_start = self.i == 0 or self.toks[self.i - 1][0] in (NEWLINE, INDENT, DEDENT)
        if tok[0] in ("%", "!") and line_start:
            raise self.expected("an expression", hint=NOTEBOOK_HINT)
        if tok[0] == ">>" and line_start and self.toks[self.i + 1][0] == ">":    # (>>>)
            raise self.expected("an expression", hint=SESSION_HINT)
        raise self.expected("an expression", hint="write a value, a name or a call here")

    def call(self, func, first: tuple, open_tok: tuple) -> Call:
        """call := '(' [arg (',' arg)* [',']] ')'
        arg := NAME '=' expr | expr | '*' expr | '**' expr
              | '(' expr comp_for+ ')'    -- a generator as the only argument: f(x for x in xs)"""
        toks = self.toks
        i = self.i
        tok = toks[i]
        args: list = []
        keywords: list | None = None
        while tok[0] != ")":
            kind = tok[0]
            after = toks[i + 1][0]
            if kind == NAME and after == "=":
                if keywords is None:
                    keywords = []
                for k in keywords:
                    if k.name == tok[1]:
                        raise _error(tok, f"keyword argument repeated: {tok[1]}",
                                     "give each keyword argument once")
                self.i = i + 2
                value = self.expr()
                keywords.append(Keyword(tok[1], value, self.span_from(tok)))
                i = self.i
            elif kind == "**":                # f(**kwargs): a dict's items, one keyword each
                if keywords is None:
                    keywords = []
                self.i = i + 1
                value = self.expr()
                keywords.append(Keyword(None, value, self.span_from(tok)))
                i = self.i
            elif keywords and kind in EXPR_START:
                unpacked = any(k.name is None for k in keywords)
                raise _error(tok, "positional argument follows keyword argument"
                             + (" unpacking" if unpacked else ""),
                             "put the positional arguments before the keyword arguments")
            elif kind == "*":                 # f(*xs): xs's items, one argument each
                if keywords and any(k.name is None for k in keywords):
                    raise _error(tok, "iterable argument unpacking follows keyword argument "
                                 "unpacking", "put f(*xs) before f(**kw)")
                self.i = i + 1
                value = self.expr()
                args.append(Starred(value, self.span_from(tok)))
                i = self.i
            elif (kind == NAME or kind == NUMBER) and (after == "," or after == ")"):
                # a lone name or number, made here as expr() would make it
                if self.depth >= MAX_NESTING:
                    raise _too_deep(tok)
                if kind == NAME:
                    arg = _make(Name)
                    arg.id = tok[1]
                else:
                    arg = _make(Num)
                    arg.value = tok[2]
                arg._line = tok[3]
                arg._col = tok[4]
                arg._end_col = tok[5]
                args.append(arg)
                i += 1
            else:
                self.i = i
                args.append(self.named_expr())
                i = self.i
                if toks[i][0] == "for":
                    # f(x for x in xs): the only argument may be a bare generator
                    if len(args) > 1 or keywords or toks[i - 1][0] == ",":
                        raise _error(toks[i], "Generator expression must be parenthesized",
                                     "write it in its own parentheses: f((x for x in xs), 1)")
                    clauses = self.comp_clauses(")", open_tok)
                    _check_comprehension_names(args[0], clauses)
                    args[0] = GeneratorExp(args[0], clauses,
                                           _new(Span, (open_tok[3], open_tok[4],
                                                       toks[self.i - 1][3], toks[self.i - 1][5])))
                    i = self.i - 1          # at the ')' that closed it
            tok = toks[i]
            if tok[0] == ",":
                i += 1
                tok = toks[i]
            elif tok[0] != ")":
                self.i = i
                if tok[0] == "=":           # f(1 = 2), f(a.b = 2): Python's words
                    raise GradvizError("expression cannot contain assignment, perhaps you "
                                       "meant \"==\"?", kind=SYNTAX,
                                       span=Span(args[-1].span.line, args[-1].span.col,
                                                 tok[3], tok[5]),
                                       hint="a keyword argument is a name: f(x=2); a "
                                            "comparison is ==")
                raise self.expected("',' or ')'", open_tok, items=True)
        self.i = i + 1
        node = _make(Call)
        node.func = func
        node.args = tuple(args)
        node.keywords = tuple(keywords) if keywords else ()
        node.span = _new(Span, (first[3], first[4], tok[3], tok[5]))
        return node

    def subscript(self, value, first: tuple, open_tok: tuple) -> Subscript:
        """subscript := '[' index (',' index)* [','] ']'
        -- m[a,] is m[(a,)], a tuple of one item, as in Python"""
        toks = self.toks
        if toks[self.i][0] == "]":
            raise self.expected("an index", hint="write an index such as m[0], m[1:3] or m[:, 0]")
        start = toks[self.i]
        items = self.items("]", open_tok, self.index)
        if len(items) == 1 and toks[self.i - 2][0] == "," and items[0].__class__ is not Slice:
            comma = toks[self.i - 2]
            items = [TupleExpr((items[0],), _new(Span, (start[3], start[4], comma[3], comma[5])))]
        return Subscript(value, tuple(items), self.span_from(first))

    def index(self):
        """index := expr | [expr] ':' [expr] [':' [expr]]"""
        toks = self.toks
        first = toks[self.i]
        lower = None if first[0] == ":" else self.named_expr()
        if toks[self.i][0] != ":" or lower.__class__ is NamedExpr:
            return lower
        self.i += 1
        upper = step = None
        if toks[self.i][0] not in (":", ",", "]"):
            upper = self.expr()
        if toks[self.i][0] == ":":
            self.i += 1
            if toks[self.i][0] not in (",", "]"):
                step = self.expr()
        return Slice(lower, upper, step, self.span_from(first))


PREFIX = {"-": _Parser.unary, "+": _Parser.unary, "~": _Parser.unary, "not": _Parser.unary,
          STRING: _Parser.atom, FSTRING: _Parser.fstring, "True": _Parser.atom, "False": _Parser.atom,
          "None": _Parser.atom, "...": _Parser.atom, "(": _Parser.paren, "[": _Parser.list_display,
          "{": _Parser.dict_display,
          "lambda": _Parser.lambda_expr}


# the statements that own a block, by their first token
_COMPOUND = {"if": _Parser.if_stmt, "while": _Parser.while_stmt, "for": _Parser.for_stmt,
             "def": _Parser.def_stmt, "try": _Parser.try_stmt, "class": _Parser.class_stmt}
_JUMPS = frozenset(("break", "continue", "pass"))
# the simple statements a keyword starts, after it (each takes the keyword's token)
_KEYWORD_STMTS = {"del": _Parser.del_stmt, "global": _Parser.global_stmt,
                  "nonlocal": _Parser.global_stmt,
                  "raise": _Parser.raise_stmt, "assert": _Parser.assert_stmt}
