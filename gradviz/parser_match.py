"""The parser's part for the match statement (Python 3.10's structural
pattern matching): `match` and `case` are soft keywords, names everywhere
else. A mixin of the parser (parser._Parser), whose methods' docstrings are
grammar rules as the parser's are.

The checks Python's compiler makes of patterns before anything runs are
made here too, with its words: a capture or wildcard that makes the cases
after it unreachable, a name bound twice in one pattern, alternatives that
bind different names.
"""
from __future__ import annotations

from .errors import LIMIT, SYNTAX, GradvizError, Span
from .lexer import DEDENT, NAME, NUMBER, STRING
from .syntax import (Attribute, Const, Match, MatchAs, MatchCase, MatchClass, MatchMapping,
                     MatchOr, MatchSequence, MatchStar, MatchValue, Name, Num, Str, TupleExpr,
                     pattern_names)

# patterns nest within this depth (a pattern is parsed by recursion)
MAX_PATTERN_DEPTH = 100
# the tokens a pattern's literal starts with (a signed number, a string, a constant)
_LITERAL_STARTS = frozenset((NUMBER, STRING, "-", "None", "True", "False"))
_CONSTANTS = {"None": None, "True": True, "False": False}


def _error(tok: tuple, message: str, hint: str) -> GradvizError:
    return GradvizError(message, kind=SYNTAX, span=Span(tok[3], tok[4], tok[3], tok[5]),
                        hint=hint)


def _node_error(node, message: str, hint: str) -> GradvizError:
    return GradvizError(message, kind=SYNTAX, span=node.span, hint=hint)


def _span(first: tuple, last: tuple) -> Span:
    return Span(first[3], first[4], last[3], last[5])


class MatchParser:
    """The match statement's parse methods (self is the parser)."""

    __slots__ = ()

    def match_stmt(self) -> Match:
        """match_stmt := 'match' subject ':' NEWLINE INDENT case_block+ DEDENT
            -- 'match' and 'case' are names elsewhere (soft keywords)
        subject := named_expr | starred_or_named (',' starred_or_named)+ [',']"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        start = toks[self.i]
        subject = self.starred_or_named()
        if toks[self.i][0] == ",":
            items = [subject]
            while toks[self.i][0] == "," and toks[self.i + 1][0] != ":":
                self.i += 1
                items.append(self.starred_or_named())
            if toks[self.i][0] == ",":
                self.i += 1
            subject = TupleExpr(tuple(items), self.span_from(start))
        span = self.span_from(first)
        if toks[self.i][0] != ":":
            raise self.expected("':' at the end of the 'match' line",
                                hint="write 'match command:' and its cases below it, indented")
        # (match_stmt_ahead saw ':' NEWLINE INDENT 'case')
        self.i += 3
        depth = self.depth = self.depth + 1
        cases = []
        while toks[self.i][0] != DEDENT:
            tok = toks[self.i]
            if tok[0] != NAME or tok[1] != "case":
                raise _error(tok, "invalid syntax", "a match block holds 'case pattern:' lines, "
                             "each with its block below it")
            cases.append(self.case_block())
        self.i += 1
        self.depth = depth - 1
        _check_reachable(cases)
        return Match(subject, tuple(cases), span)

    def case_block(self) -> MatchCase:
        """case_block := 'case' patterns ['if' named_expr] block"""
        toks = self.toks
        first = toks[self.i]
        self.i += 1
        pattern = self.patterns()
        guard = None
        if toks[self.i][0] == "if":
            self.i += 1
            guard = self.named_expr()
        span = self.span_from(first)
        _check_names(pattern)
        return MatchCase(pattern, guard, self.block(first, "case"), span)

    def patterns(self):
        """patterns := pattern | star_or_pattern (',' star_or_pattern)+ [',']
            -- several: a sequence pattern without brackets"""
        toks = self.toks
        first = toks[self.i]
        pattern = self.star_or_pattern()
        if toks[self.i][0] != ",":
            if pattern.__class__ is MatchStar:
                raise _node_error(pattern, "invalid syntax",
                                  "a *name takes the rest of a sequence: case [first, *rest]:")
            return pattern
        items = [pattern]
        while toks[self.i][0] == "," and toks[self.i + 1][0] not in (":", "if"):
            self.i += 1
            items.append(self.star_or_pattern())
        if toks[self.i][0] == ",":
            self.i += 1
        return _sequence(items, self.span_from(first))

    def star_or_pattern(self):
        """star_or_pattern := '*' NAME | pattern"""
        toks = self.toks
        tok = toks[self.i]
        if tok[0] != "*":
            return self.pattern()
        self.i += 1
        name = toks[self.i]
        if name[0] != NAME:
            raise self.expected("a name after '*'", hint="write case [first, *rest]:")
        self.i += 1
        return MatchStar(None if name[1] == "_" else name[1], _span(tok, name))

    def pattern(self):
        """pattern := or_pattern ['as' NAME]
        or_pattern := closed_pattern ('|' closed_pattern)*"""
        toks = self.toks
        first = toks[self.i]
        self.depth += 1
        if self.depth > MAX_PATTERN_DEPTH:
            raise GradvizError("the pattern is nested too deeply", kind=LIMIT,
                               span=_span(first, first), hint="split it into several cases")
        alternatives = [self.closed_pattern()]
        while toks[self.i][0] == "|":
            self.i += 1
            alternatives.append(self.closed_pattern())
        pattern = alternatives[0] if len(alternatives) == 1 else \
            MatchOr(tuple(alternatives), self.span_from(first))
        if toks[self.i][0] == "as":
            self.i += 1
            name = toks[self.i]
            if name[0] != NAME:
                raise self.expected("a name after 'as'", hint="write case [x, y] as point:")
            if name[1] == "_":
                raise _error(name, "cannot use '_' as a target",
                             "'as' binds a name: case [x, y] as point:")
            self.i += 1
            pattern = MatchAs(pattern, name[1], self.span_from(first))
        self.depth -= 1
        return pattern

    def closed_pattern(self):
        """closed_pattern := literal | NAME | '_' | dotted_name | class_pattern
            | '(' [pattern] ')' | '(' patterns ')' | '[' [patterns] ']' | mapping_pattern
        literal := ['-'] NUMBER | STRING+ | 'None' | 'True' | 'False'"""
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        if kind in _LITERAL_STARTS:
            return MatchValue(self.literal(), self.span_from(tok))
        if kind == NAME:
            if toks[self.i + 1][0] not in (".", "("):
                self.i += 1
                return MatchAs(None, None if tok[1] == "_" else tok[1], _span(tok, tok))
            value = self.dotted_value()
            if toks[self.i][0] == "(":
                return self.class_pattern(value, tok)
            return MatchValue(value, value.span)
        if kind == "(" or kind == "[":
            return self.bracketed_pattern(tok)
        if kind == "{":
            return self.mapping_pattern(tok)
        raise self.expected("a pattern", hint="a case's pattern is a literal (1, 'go', None), "
                            "a name, _, a sequence [a, b], a mapping {'k': v} or a class "
                            "Point(x, y)")

    def literal(self):
        """A literal pattern's value: a number (signed), strings (side by side
        they are one), None, True or False."""
        toks = self.toks
        tok = toks[self.i]
        kind = tok[0]
        if kind in _CONSTANTS:
            self.i += 1
            return Const(_CONSTANTS[kind], _span(tok, tok))
        if kind == STRING:
            text = ""
            while toks[self.i][0] == STRING:
                text += toks[self.i][2]
                self.i += 1
            return Str(text, self.span_from(tok))
        sign = 1
        if kind == "-":
            self.i += 1
            sign = -1
        number = toks[self.i]
        if number[0] != NUMBER:
            raise self.expected("a number after '-'", hint="a negative literal: case -1:")
        self.i += 1
        return Num(sign * number[2], self.span_from(tok))

    def dotted_value(self):
        """NAME ('.' NAME)*: a name, or attributes of it (Color.RED)."""
        toks = self.toks
        tok = toks[self.i]
        self.i += 1
        value = Name(tok[1], _span(tok, tok))
        while toks[self.i][0] == ".":
            self.i += 1
            attr = toks[self.i]
            if attr[0] != NAME:
                raise self.expected("a name after '.'", hint="write case Color.RED:")
            self.i += 1
            value = Attribute(value, attr[1], self.span_from(tok))
        return value

    def class_pattern(self, cls, first: tuple) -> MatchClass:
        """class_pattern := dotted_name '(' [class_arg (',' class_arg)* [',']] ')'
        class_arg := pattern | NAME '=' pattern    -- the positional ones first"""
        toks = self.toks
        self.i += 1
        patterns, names, keywords = [], [], []
        while toks[self.i][0] != ")":
            tok = toks[self.i]
            if tok[0] == NAME and toks[self.i + 1][0] == "=":
                self.i += 2
                if tok[1] in names:
                    raise _error(tok, f"attribute name repeated in class pattern: {tok[1]}",
                                 "name each attribute once")
                names.append(tok[1])
                keywords.append(self.pattern())
            elif names:
                raise _error(tok, "positional patterns follow keyword patterns",
                             "write the positional patterns first: Point(0, y=y)")
            else:
                patterns.append(self.pattern())
            if toks[self.i][0] != ",":
                break
            self.i += 1
        if toks[self.i][0] != ")":
            raise self.expected("')' or ',' in the class pattern", hint="write Point(x, y=0)")
        self.i += 1
        return MatchClass(cls, tuple(patterns), tuple(names), tuple(keywords),
                          self.span_from(first))

    def bracketed_pattern(self, opener: tuple):
        """'(' pattern ')' (a group), or a sequence: '(' ')', '(' patterns ')'
        with a comma, '[' ... ']'."""
        toks = self.toks
        close = ")" if opener[0] == "(" else "]"
        self.i += 1
        items, comma = [], False
        while toks[self.i][0] != close:
            items.append(self.star_or_pattern())
            if toks[self.i][0] != ",":
                break
            comma = True
            self.i += 1
        if toks[self.i][0] != close:
            raise self.expected(f"'{close}' or ','", opener, hint="separate the patterns "
                                "with ','")
        self.i += 1
        if close == ")" and len(items) == 1 and not comma:
            if items[0].__class__ is MatchStar:
                raise _node_error(items[0], "invalid syntax",
                                  "a *name takes the rest of a sequence: case (first, *rest):")
            return items[0]            # (a group: the pattern itself)
        return _sequence(items, self.span_from(opener))

    def mapping_pattern(self, opener: tuple) -> MatchMapping:
        """mapping_pattern := '{' [item (',' item)* [',']] '}'
        item := key ':' pattern | '**' NAME    -- key: a literal or a dotted name; '**' last"""
        toks = self.toks
        self.i += 1
        keys, patterns, rest = [], [], None
        while toks[self.i][0] != "}":
            tok = toks[self.i]
            if tok[0] == "**":
                self.i += 1
                name = toks[self.i]
                if name[0] != NAME or name[1] == "_":
                    raise self.expected("a name after '**'", hint="write {'k': v, **rest}")
                self.i += 1
                rest = name[1]
                if toks[self.i][0] == ",":
                    self.i += 1
                break
            if tok[0] in _LITERAL_STARTS:
                key = MatchValue(self.literal(), self.span_from(tok))
            elif tok[0] == NAME and toks[self.i + 1][0] == ".":
                value = self.dotted_value()
                key = MatchValue(value, value.span)
            else:
                raise self.expected("a literal or a dotted name as a mapping pattern's key",
                                    hint="write {'k': v} or {Keys.NAME: v}")
            if toks[self.i][0] != ":":
                raise self.expected("':' after the key", hint="write {'k': v}")
            self.i += 1
            if key.value.__class__ is not Attribute and any(
                    k.value.__class__ is key.value.__class__ and k.value.value == key.value.value
                    for k in keys):
                raise _node_error(key, f"mapping pattern checks duplicate key "
                                  f"({key.value.value!r})", "name each key once")
            keys.append(key)
            patterns.append(self.pattern())
            if toks[self.i][0] != ",":
                break
            self.i += 1
        if toks[self.i][0] != "}":
            raise self.expected("'}' or ','", opener, hint="write {'k': v, **rest}")
        self.i += 1
        return MatchMapping(tuple(keys), tuple(patterns), rest, self.span_from(opener))


def _sequence(items: list, span: Span) -> MatchSequence:
    stars = [p for p in items if p.__class__ is MatchStar]
    if len(stars) > 1:
        raise _node_error(stars[1], "multiple starred names in sequence pattern",
                          "one *name takes the rest of the sequence")
    return MatchSequence(tuple(items), span)


def _irrefutable(pattern) -> bool:
    """Whether the pattern fits any subject (a capture, the wildcard, an or
    of one, such a pattern with 'as')."""
    cls = pattern.__class__
    if cls is MatchOr:
        return any(_irrefutable(p) for p in pattern.patterns)
    return cls is MatchAs and (pattern.pattern is None or _irrefutable(pattern.pattern))


def _check_reachable(cases: list) -> None:
    """Python's SyntaxError for a case without a guard that fits any subject
    before other cases."""
    for case in cases[:-1]:
        pattern = case.pattern
        if case.guard is None and _irrefutable(pattern):
            while pattern.__class__ is MatchAs and pattern.pattern is not None:
                pattern = pattern.pattern
            if pattern.__class__ is MatchOr:
                pattern = next(p for p in pattern.patterns if _irrefutable(p))
            what = "wildcard" if pattern.name is None else f"name capture '{pattern.name}'"
            raise _node_error(pattern, f"{what} makes remaining patterns unreachable",
                              "move this case last, or give it a guard: case x if x > 0:")


def _check_alternatives(pattern: MatchOr) -> None:
    """Python's SyntaxError for an or-pattern that is irrefutable before its
    last alternative."""
    for p in pattern.patterns[:-1]:
        if _irrefutable(p):
            while p.__class__ is MatchAs and p.pattern is not None:
                p = p.pattern
            what = "wildcard" if p.name is None else f"name capture '{p.name}'"
            raise _node_error(p, f"{what} makes remaining patterns unreachable",
                              "a '_' or a name fits any subject: make it the last alternative")


def _check_names(pattern) -> None:
    """Python's SyntaxErrors for the names of a pattern: one bound twice,
    alternatives that bind different ones (or one that fits any subject
    before others)."""
    seen = set()
    for name in pattern_names(_without_alternatives(pattern)):
        if name in seen:
            raise _node_error(pattern, f"multiple assignments to name '{name}' in pattern",
                              "bind each name once in a pattern")
        seen.add(name)
    stack = [pattern]
    while stack:
        p = stack.pop()
        if p.__class__ is MatchOr:
            _check_alternatives(p)
            first = set(pattern_names(p.patterns[0]))
            for alt in p.patterns[1:]:
                if set(pattern_names(alt)) != first:
                    raise _node_error(alt, "alternative patterns bind different names",
                                      "each alternative of a '|' binds the same names")
        for field in ("pattern", "patterns", "kwd_patterns"):
            child = getattr(p, field, None)
            if child.__class__ is tuple:
                stack.extend(child)
            elif child is not None and child.__class__ is not str:
                stack.append(child)


def _without_alternatives(pattern):
    """The pattern with each or-pattern as its first alternative (the names
    a pattern binds, counted once)."""
    if pattern.__class__ is MatchOr:
        return _without_alternatives(pattern.patterns[0])
    if pattern.__class__ is MatchAs and pattern.pattern is not None:
        return MatchAs(_without_alternatives(pattern.pattern), pattern.name, pattern.span)
    if pattern.__class__ is MatchSequence:
        return MatchSequence(tuple(map(_without_alternatives, pattern.patterns)), pattern.span)
    if pattern.__class__ is MatchMapping:
        return MatchMapping(pattern.keys, tuple(map(_without_alternatives, pattern.patterns)),
                            pattern.rest, pattern.span)
    if pattern.__class__ is MatchClass:
        return MatchClass(pattern.cls, tuple(map(_without_alternatives, pattern.patterns)),
                          pattern.kwd_names,
                          tuple(map(_without_alternatives, pattern.kwd_patterns)), pattern.span)
    return pattern
