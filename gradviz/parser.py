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

import gc

from . import lexer
from .errors import LIMIT, SYNTAX, GradvizError, Span
from .lexer import DEDENT, EOF, INDENT, NAME, NEWLINE, NUMBER, STRING
from .syntax import (Assign, Attribute, AugAssign, BinOp, Call, Const, ExprStmt, Import,
                     Keyword, ListExpr, Name, Num, Program, Slice, Str, Subscript,
                     TupleExpr, UnaryOp, With)

MAX_NESTING = 200
COMPARE_BP, SUM_BP, PRODUCT_BP, UNARY_BP, POWER_BP, POSTFIX_BP = 10, 20, 30, 40, 50, 60
NOT_BP = 5   # `not` binds looser than comparisons: not a == b is not (a == b)
LBP = {"==": COMPARE_BP, "!=": COMPARE_BP, "<": COMPARE_BP, "<=": COMPARE_BP,
       ">": COMPARE_BP, ">=": COMPARE_BP, "+": SUM_BP, "-": SUM_BP, "*": PRODUCT_BP,
       "/": PRODUCT_BP, "@": PRODUCT_BP, "**": POWER_BP,
       "(": POSTFIX_BP, "[": POSTFIX_BP, ".": POSTFIX_BP}
# left-associative operators parse their right operand one level tighter;
# ** is right-associative and takes a unary expression on its right
RBP = {op: bp + 1 for op, bp in LBP.items()} | {"**": POWER_BP - 1}
COMPARISONS = frozenset(("==", "!=", "<", "<=", ">", ">="))
AUG_OPS = {"+=": "+", "-=": "-", "*=": "*", "/=": "/"}
CONSTANTS = {"True": True, "False": False, "None": None}
EXPR_START = frozenset((NAME, NUMBER, STRING, "(", "[", "-", "+", "not", "True", "False", "None"))

LANGUAGE = ("gradviz runs straight-line programs: 'import torch', assignments (y = x * 2, "
            "a, b = ...), augmented assignments (w -= lr * w.grad), expression statements "
            "(loss.backward()) and 'with torch.no_grad():' blocks")
UNSUPPORTED = {   # keyword -> what it would start
    "def": "function definitions", "class": "class definitions", "for": "'for' loops",
    "while": "'while' loops", "if": "'if' statements", "elif": "'elif' branches",
    "else": "'else' branches", "try": "'try' statements", "except": "'except' clauses",
    "finally": "'finally' clauses", "return": "'return' statements",
    "lambda": "lambda expressions", "raise": "'raise' statements", "del": "'del' statements",
    "global": "'global' statements", "nonlocal": "'nonlocal' statements",
    "pass": "'pass' statements", "break": "'break' statements",
    "continue": "'continue' statements", "yield": "'yield' expressions",
    "assert": "'assert' statements", "async": "'async' functions", "await": "'await' expressions",
}
_ONLY_OPS = "the operators are + - * / ** @ and the comparisons == != < <= > >="
UNSUPPORTED_OPERATORS = {
    "and": "compute each condition on its own line", "or": "compute each condition on "
    "its own line", "in": "membership tests are not available", "is": "compare values "
    "with == or !=", "if": "conditional expressions are not available", "not": _ONLY_OPS,
    "%": _ONLY_OPS, "//": _ONLY_OPS, "&": _ONLY_OPS, "|": _ONLY_OPS, "<<": _ONLY_OPS,
    ">>": _ONLY_OPS, "^": "for powers use **", ":=": "assign on a line of its own",
}
EQUALS_HINT = "'=' assigns a value; to compare two values use '=='"
NODE_WORDS = {Attribute: "an attribute", Subscript: "an item", Call: "a function call",
              Num: "a number", Str: "a string", Const: "a constant", ListExpr: "a list",
              TupleExpr: "a tuple", Name: "a name"}


# Frozen dataclasses set each field through object.__setattr__, which made node
# construction most of the parse time. These builders fill the same slots
# directly and then become the real class (same slot layout, so __class__
# assignment is allowed): the result is an ordinary, frozen node.
class _Span:
    __slots__ = Span.__slots__

    def __init__(self, line, col, end_line, end_col):
        self.line, self.col, self.end_line, self.end_col = line, col, end_line, end_col
        self.__class__ = Span


class _Name:
    __slots__ = Name.__slots__

    def __init__(self, id, span):
        self.id, self.span, self.__class__ = id, span, Name


class _Num:
    __slots__ = Num.__slots__

    def __init__(self, value, span):
        self.value, self.span, self.__class__ = value, span, Num


class _BinOp:
    __slots__ = BinOp.__slots__

    def __init__(self, op, left, right, span):
        self.op, self.left, self.right, self.span, self.__class__ = op, left, right, span, BinOp


class _Attribute:
    __slots__ = Attribute.__slots__

    def __init__(self, value, attr, span):
        self.value, self.attr, self.span, self.__class__ = value, attr, span, Attribute


class _Call:
    __slots__ = Call.__slots__

    def __init__(self, func, args, keywords, span):
        self.func, self.args, self.keywords, self.span = func, args, keywords, span
        self.__class__ = Call


class _Assign:
    __slots__ = Assign.__slots__

    def __init__(self, target, value, span, targets):
        self.target, self.value, self.span, self.targets = target, value, span, targets
        self.__class__ = Assign


def parse(source: str, filename: str = "<string>") -> Program:
    """Parse a gradviz program into a :class:`Program`.

    Raises GradvizError of kind SyntaxError (with a span and a hint) for any bad
    input, or LimitError when nesting exceeds MAX_NESTING. ``filename`` only
    names the program when its bytes are not UTF-8.
    """
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise GradvizError(f"{filename} is not UTF-8 text ({exc.reason} at byte "
                               f"{exc.start})", kind=SYNTAX,
                               hint="save the program as UTF-8 text") from None
    # Parsing makes many long-lived objects and no cycles: GC passes are pure cost.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        text = source[1:] if source.startswith("\ufeff") else source
        return _Parser(lexer.scan(text), source).program()
    except RecursionError:  # unreachable by design: the explicit depth guard comes first
        raise GradvizError("the program is nested too deeply", kind=LIMIT,
                           hint="split it into smaller statements") from None
    finally:
        if gc_was_enabled:
            gc.enable()


def _error(tok: tuple, message: str, hint: str | None = None, kind: str = SYNTAX):
    return GradvizError(message, kind=kind, span=Span(tok[3], tok[4], tok[3], tok[5]),
                        hint=hint)


class _Parser:
    __slots__ = ("toks", "i", "depth", "source")

    def __init__(self, toks: list[tuple], source: str):
        self.toks = toks
        self.i = 0
        self.depth = 0
        self.source = source

    def span_from(self, first: tuple) -> Span:
        """The span from token ``first`` to the last token consumed."""
        last = self.toks[self.i - 1]
        return _Span(first[3], first[4], last[3], last[5])

    def too_deep(self, tok: tuple) -> GradvizError:
        return _error(tok, f"the program is nested too deeply (more than {MAX_NESTING} levels "
                      "of brackets, operators or blocks)",
                      "split the expression into several shorter assignments", LIMIT)

    def expected(self, what: str, opener: tuple | None = None) -> GradvizError:
        """An error at the current token, which is not ``what``."""
        tok = self.toks[self.i]
        prev = self.toks[self.i - 1]
        kind = tok[0]
        where = f" to close '{opener[1]}' opened at line {opener[3]} col {opener[4]}" \
            if opener else ""
        hint = None
        if kind == "=":
            hint = EQUALS_HINT
        elif kind in UNSUPPORTED_OPERATORS:
            hint = f"'{kind}' is not supported: {UNSUPPORTED_OPERATORS[kind]}"
        elif kind == "for":
            hint = "comprehensions are not supported: write the items out"
        elif kind == STRING and prev[0] == NAME and prev[5] == tok[4]:
            hint = "string prefixes like f'' and r'' are not supported"
        elif kind in (NAME, NUMBER, STRING, "(", "["):
            hint = "is an operator or a ',' missing before it?"
        elif opener:
            hint = f"close the '{opener[1]}' or separate the items with ','"
        return _error(tok, f"expected {what}{where}, found {lexer.describe(tok)}", hint)

    # ---- statements -------------------------------------------------------

    def program(self) -> Program:
        """program := statement* EOF"""
        body: list = []
        statement = self.statement
        while self.toks[self.i][0] != EOF:
            statement(body)
        return Program(tuple(body), self.source)

    def statement(self, out: list) -> None:
        """statement := with_stmt | simple_stmt (';' simple_stmt)* [';'] NEWLINE"""
        toks = self.toks
        kind = toks[self.i][0]
        if kind == "with":
            out.append(self.with_stmt())
            return
        if kind == INDENT:
            raise _error(toks[self.i], "unexpected indent", "only the body of a 'with' block "
                         "is indented; start this line in the same column as the one before")
        while True:
            out.append(self.simple_stmt())
            if toks[self.i][0] != ";":
                break
            self.i += 1
            if toks[self.i][0] == NEWLINE:
                break
        if toks[self.i][0] != NEWLINE:
            raise self.expected("end of line after the statement")
        self.i += 1

    def simple_stmt(self):
        """simple_stmt := 'import' 'torch' | targets '=' exprlist | target AUG_OP expr
                       | exprlist"""
        toks = self.toks
        first = toks[self.i]
        kind = first[0]
        if kind == NAME and toks[self.i + 1][0] == "=":      # the common case, fast
            self.i += 2
            value = self.exprlist()
            if toks[self.i][0] == "=":
                raise _error(toks[self.i], "chained assignment (a = b = ...) is not supported",
                             "assign one name per line, or did you mean '=='?")
            last = toks[self.i - 1]
            return _Assign(first[1], value, _Span(first[3], first[4], last[3], last[5]), ())
        if kind in ("import", "from"):
            return self.import_stmt()
        if kind in UNSUPPORTED:
            raise _error(first, f"{UNSUPPORTED[kind]} are not supported", LANGUAGE)
        left = self.exprlist()
        op = toks[self.i][0]
        if op == "=":
            names = self.assign_targets(left)
            self.i += 1
            value = self.exprlist()
            if toks[self.i][0] == "=":
                raise _error(toks[self.i], "chained assignment (a = b = ...) is not supported",
                             "assign one name per line, or did you mean '=='?")
            target = ", ".join(names) if len(names) > 1 else names[0] + ","
            return Assign(target, value, self.span_from(first), names)
        if op in AUG_OPS:
            if not isinstance(left, (Name, Attribute, Subscript)):
                what = NODE_WORDS.get(type(left), "an expression")
                raise GradvizError(f"cannot use '{op}' on {what}", kind=SYNTAX, span=left.span,
                                   hint="the left side of an augmented assignment is a name "
                                   "such as w, or an attribute or item such as w.grad or m[0]")
            self.i += 1
            value = self.expr()
            return AugAssign(left, AUG_OPS[op], value, self.span_from(first))
        if op.endswith("=") and op not in COMPARISONS:
            raise _error(toks[self.i], f"augmented assignment '{op}' is not supported",
                         f"the augmented assignments are += -= *= /=; write x = x {op[:-1]} y")
        return ExprStmt(left, self.span_from(first))

    def assign_targets(self, left) -> tuple:
        """targets := NAME | NAME (',' NAME)* [',']    -- checked on a parsed exprlist"""
        items = left.items if isinstance(left, TupleExpr) and left.items else (left,)
        bad = next((item for item in items if not isinstance(item, Name)), None)
        if bad is None:
            return tuple(item.id for item in items)
        if isinstance(bad, Attribute):
            hint = ("only names can be assigned; change tensors with methods such as "
                    "x.requires_grad_(True) or x.grad.zero_()")
        elif isinstance(bad, Subscript):
            hint = "item assignment is not supported; build a new tensor instead"
        else:
            hint = "only names can be assigned; did you mean '=='?"
        what = NODE_WORDS.get(type(bad), "an expression")
        raise GradvizError(f"cannot assign to {what}", kind=SYNTAX, span=bad.span, hint=hint)

    def import_stmt(self) -> Import:
        """import_stmt := 'import' 'torch'"""
        toks = self.toks
        first = toks[self.i]
        hint = ("the only import is 'import torch' (optional): tensor, ones, exp, no_grad ... "
                "are built in, both bare and as torch.<name>")
        if first[0] == "from":
            raise _error(first, "'from ... import' is not supported", hint)
        name, after = toks[self.i + 1], toks[self.i + 2]
        if name[0] != NAME or name[1] != "torch":
            raise _error(name, "only 'import torch' is supported", hint)
        if after[0] not in (NEWLINE, ";"):
            raise _error(after, "only 'import torch' is supported", hint)
        self.i += 2
        return Import("torch", self.span_from(first))

    def with_stmt(self) -> With:
        """with_stmt := 'with' expr ':' (simple_stmts | NEWLINE INDENT statement+ DEDENT)"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        context = self.expr()
        if toks[self.i][0] != ":":
            if toks[self.i][0] == "as":
                raise _error(toks[self.i], "'with ... as' is not supported",
                             "write 'with torch.no_grad():' with nothing before the ':'")
            raise self.expected("':' after the 'with' context")
        self.i += 1
        depth = self.depth = self.depth + 1
        if depth > MAX_NESTING:
            raise self.too_deep(first)
        body: list = []
        if toks[self.i][0] != NEWLINE:
            self.statement(body)       # a body on the same line
        else:
            self.i += 1
            if toks[self.i][0] != INDENT:
                raise _error(toks[self.i], f"expected an indented block after 'with' on line "
                             f"{first[3]}", "indent the lines of the block, e.g. by 4 spaces")
            self.i += 1
            while toks[self.i][0] != DEDENT:
                self.statement(body)
            self.i += 1
        self.depth = depth - 1
        end = body[-1].span
        return With(context, tuple(body), Span(first[3], first[4], end.end_line, end.end_col))

    # ---- expressions ------------------------------------------------------

    def exprlist(self):
        """exprlist := expr (',' expr)* [',']    -- a tuple when it has a comma"""
        toks = self.toks
        first = toks[self.i]
        item = self.expr()
        if toks[self.i][0] != ",":
            return item
        items = [item]
        while toks[self.i][0] == ",":
            self.i += 1
            if toks[self.i][0] not in EXPR_START:
                break
            items.append(self.expr())
        return TupleExpr(tuple(items), self.span_from(first))

    def expr(self, rbp: int = 0):
        """expr := prefix (BINARY_OP expr | '(' args ')' | '[' indices ']' | '.' NAME)*
        -- the Pratt loop: an operator extends the expression while its LBP > rbp"""
        outer = self.depth
        depth = outer + 1
        toks = self.toks
        i = self.i
        first = toks[i]
        if depth > MAX_NESTING:
            raise self.too_deep(first)
        self.depth = depth
        kind, text, value, line, col, end_col = first
        if kind == NAME:
            left = _Name(text, _Span(line, col, line, end_col))
            i += 1
        elif kind == NUMBER:
            left = _Num(value, _Span(line, col, line, end_col))
            i += 1
        else:
            left = PREFIX.get(kind, _Parser.bad_prefix)(self, first, rbp)
            i = self.i
        compared = False
        while True:
            tok = toks[i]
            kind = tok[0]
            bp = LBP.get(kind)
            if bp is None or bp <= rbp:
                if bp is None and kind in UNSUPPORTED_OPERATORS:
                    raise _error(tok, f"operator '{tok[1]}' is not supported",
                                 UNSUPPORTED_OPERATORS[kind])
                break
            depth += 1
            if depth > MAX_NESTING:
                raise self.too_deep(tok)
            self.depth = depth
            if kind == ".":
                name = toks[i + 1]
                if name[0] != NAME:
                    self.i = i + 1
                    raise self.expected("an attribute name after '.'")
                i += 2
                left = _Attribute(left, name[1], _Span(line, col, name[3], name[5]))
                continue
            self.i = i + 1
            if kind == "(":
                left = self.call(left, first, tok)
            elif kind == "[":
                left = self.subscript(left, first, tok)
            else:
                if kind in COMPARISONS:
                    if compared:
                        raise _error(tok, "comparisons cannot be chained (a < b < c)",
                                     "compare two values at a time, e.g. a < b on one line "
                                     "and b < c on another")
                    compared = True
                right = self.expr(RBP[kind])
                last = toks[self.i - 1]
                left = _BinOp(kind, left, right, _Span(line, col, last[3], last[5]))
            i = self.i
        self.i = i
        self.depth = outer
        return left

    def unary(self, tok: tuple, rbp: int) -> UnaryOp:
        """unary := ('-' | '+') expr<UNARY_BP> | 'not' expr<NOT_BP>"""
        if tok[0] == "not" and rbp > NOT_BP:
            raise _error(tok, "'not' needs parentheses here", "write (not x)")
        self.i += 1
        operand = self.expr(NOT_BP if tok[0] == "not" else UNARY_BP)
        return UnaryOp(tok[0], operand, self.span_from(tok))

    def atom(self, tok: tuple, rbp: int):
        """atom := STRING | 'True' | 'False' | 'None'"""
        self.i += 1
        span = Span(tok[3], tok[4], tok[3], tok[5])
        if tok[0] != STRING:
            return Const(CONSTANTS[tok[0]], span)
        if self.toks[self.i][0] == STRING:
            raise _error(self.toks[self.i], "adjacent strings are not supported",
                         "write them as one string")
        return Str(tok[2], span)

    def paren(self, tok: tuple, rbp: int):
        """paren := '(' ')' | '(' expr ')' | '(' expr ',' [expr (',' expr)* [',']] ')'"""
        toks = self.toks
        self.i += 1
        if toks[self.i][0] == ")":
            self.i += 1
            return TupleExpr((), self.span_from(tok))
        item = self.expr()
        if toks[self.i][0] == ")":
            self.i += 1
            return item   # keeps its own span, as in Python's ast
        items = [item]
        while toks[self.i][0] == ",":
            self.i += 1
            if toks[self.i][0] == ")":
                break
            items.append(self.expr())
        if toks[self.i][0] != ")":
            raise self.expected("',' or ')'", tok)
        self.i += 1
        return TupleExpr(tuple(items), self.span_from(tok))

    def list_display(self, tok: tuple, rbp: int) -> ListExpr:
        """list := '[' [expr (',' expr)* [',']] ']'"""
        toks = self.toks
        self.i += 1
        items = []
        while toks[self.i][0] != "]":
            items.append(self.expr())
            if toks[self.i][0] == ",":
                self.i += 1
            elif toks[self.i][0] != "]":
                raise self.expected("',' or ']'", tok)
        self.i += 1
        return ListExpr(tuple(items), self.span_from(tok))

    def bad_prefix(self, tok: tuple, rbp: int):
        """Any token that cannot start an expression."""
        kind = tok[0]
        if kind in UNSUPPORTED:
            raise _error(tok, f"{UNSUPPORTED[kind]} are not supported", LANGUAGE)
        if kind == "{":
            raise _error(tok, "dicts and sets are not supported",
                         "use a list [...] or keyword arguments")
        if kind in ("*", "**"):
            raise _error(tok, f"'{kind}' unpacking is not supported",
                         "pass the arguments one by one")
        if kind in (NEWLINE, EOF):
            raise _error(tok, "expected an expression, found the end of the line",
                         "the line ends in the middle of an expression; complete it")
        raise self.expected("an expression")

    def call(self, func, first: tuple, open_tok: tuple) -> Call:
        """call := primary '(' [arg (',' arg)* [',']] ')'    arg := NAME '=' expr | expr"""
        toks = self.toks
        args: list = []
        keywords: list = []
        while toks[self.i][0] != ")":
            tok = toks[self.i]
            if tok[0] == NAME and toks[self.i + 1][0] == "=":
                if any(k.name == tok[1] for k in keywords):
                    raise _error(tok, f"keyword argument '{tok[1]}' repeated",
                                 "give each keyword argument once")
                self.i += 2
                value = self.expr()
                keywords.append(Keyword(tok[1], value, self.span_from(tok)))
            elif keywords and tok[0] in EXPR_START:
                raise _error(tok, "positional argument follows keyword argument",
                             "put the positional arguments before the keyword arguments")
            else:
                args.append(self.expr())
            if toks[self.i][0] == ",":
                self.i += 1
            elif toks[self.i][0] != ")":
                raise self.expected("',' or ')'", open_tok)
        self.i += 1
        return _Call(func, tuple(args), tuple(keywords), self.span_from(first))

    def subscript(self, value, first: tuple, open_tok: tuple) -> Subscript:
        """subscript := primary '[' index (',' index)* [','] ']'"""
        toks = self.toks
        if toks[self.i][0] == "]":
            raise self.expected("an index")
        items = []
        while toks[self.i][0] != "]":
            items.append(self.index())
            if toks[self.i][0] == ",":
                self.i += 1
            elif toks[self.i][0] != "]":
                raise self.expected("',' or ']'", open_tok)
        self.i += 1
        return Subscript(value, tuple(items), self.span_from(first))

    def index(self):
        """index := expr | [expr] ':' [expr] [':' [expr]]"""
        toks = self.toks
        first = toks[self.i]
        lower = None if first[0] == ":" else self.expr()
        if toks[self.i][0] != ":":
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


PREFIX = {"-": _Parser.unary, "+": _Parser.unary, "not": _Parser.unary,
          STRING: _Parser.atom, "True": _Parser.atom, "False": _Parser.atom,
          "None": _Parser.atom, "(": _Parser.paren, "[": _Parser.list_display}
