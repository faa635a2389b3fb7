"""Tokens with spans for the gradviz language.

One compiled master regex cuts the source into contiguous pieces (every
character belongs to exactly one piece, the last alternative catches anything
else, and a piece takes the spaces after it), so ``findall`` does the
scanning in C. What a piece is does not depend on where it is, so each
distinct piece is classified once (a program repeats its names, operators and
indentation) and the loop only looks it up. A plain source (no strings,
comments, tabs or backslashes, as most long, generated programs are) is first
cut at its spaces by ``str.split``, which is much cheaper than a regex match,
and each distinct word into pieces once. On top of that a small state machine
turns line starts into INDENT/DEDENT, drops newlines inside brackets and
after a trailing backslash (implicit and explicit line joining, as in Python)
and tracks open brackets so an unclosed or mismatched one is reported where
it was opened.

The parser reads the raw 6-tuples from :func:`scan` (a tuple is much cheaper
to build than an object, and a 30,000-line program has ~300,000 tokens);
:func:`tokenize` wraps them in :class:`Token` for everyone else.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import keyword
import re
import unicodedata
from typing import NamedTuple

from .errors import LIMIT, SYNTAX, GradvizError, Span

# token kinds; operators, brackets and keywords use their own text as kind
NAME = "NAME"
NUMBER = "NUMBER"
STRING = "STRING"
FSTRING = "FSTRING"     # f"...": the parser splits it (see fstrings)
NEWLINE = "NEWLINE"
INDENT = "INDENT"
DEDENT = "DEDENT"
EOF = "EOF"

KEYWORDS = frozenset(keyword.kwlist)
TAB_SIZE = 8
STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "a": "\a",
                  "b": "\b", "f": "\f", "v": "\v", "\n": ""}   # (\ at a line's end joins lines)
# an escape: \x41, \u00e9, \U0001F600 (fewer digits: an error), \N{DEGREE SIGN},
# octal \101 or \0, or one character (one Python does not know stays as it is)
_ESCAPE_PIECE = re.compile(r"\\(x[0-9a-fA-F]{0,2}|u[0-9a-fA-F]{0,4}|U[0-9a-fA-F]{0,8}"
                           r"|N(?:\{[^}]*\})?|[0-7]{1,3}|.)", re.DOTALL)
_HEX_DIGITS = {"x": 2, "u": 4, "U": 8}

# what the language has, and what it does not (for the parser's messages)
LANGUAGE = ("gradviz runs 'import torch', assignments (y = x * 2, a, b = ...), augmented "
            "assignments (w -= lr * w.grad), expression statements (loss.backward()), "
            "'with torch.no_grad():' blocks, if/elif/else, while and for loops "
            "(break, continue, pass, else), try/except/finally, raise, assert, del, global, nonlocal, "
            "functions (def f(x): ... return y, yield y, @decorators, lambda x: ...) and "
            "classes (torch.nn.Module and torch.autograd.Function subclasses, plain ones)")
UNSUPPORTED = {   # keyword -> what it would start; the parser says these are missing
    "async": "'async' functions",
    "await": "'await' expressions"}
# ':=' where Python takes none (the parser says why: see parser._walrus_error)
UNSUPPORTED_OPERATORS = {":=": "an assignment expression needs parentheses here: (n := v)"}
PREFIX_ERRORS = {   # tokens that cannot start an expression: (message, hint)
    "yield": ("the value of a 'yield' cannot be used", "write 'yield v' on a line of its own, "
              "or take what the generator is sent as 'got = yield v'"),
    "*": ("can't use starred expression here",
          "'*' unpacks into a call, a list, a tuple or assignment targets: f(*xs), "
          "[*xs, 1], (*xs, 1), a, *rest = xs"),
    "**": ("'**' unpacking is only supported in a call's arguments and a dict",
           "write f(**kwargs) or {**a, **b}"),
    **dict.fromkeys((NEWLINE, EOF), ("invalid syntax",      # (Python's words)
                                     "expected an expression, found the end of the line: the "
                                     "line ends in the middle of an expression"))}
FOUND_HINTS = {   # the hint for an unexpected token, by its kind
    "!": "to negate a condition use 'not'; 'not equal' is '!='",
    **dict.fromkeys("$?`", "gradviz programs use Python syntax, which has no such operator"),
    "=": "'=' assigns a value; to compare two values use '=='",
    "for": "a comprehension is written in brackets: [f(x) for x in xs] or (f(x) for x in xs)",
    "as": "'as' names what a with, an except or an import gives: with Timer() as t:, "
          "except ValueError as e:, import numpy as np",
    ":=": "an assignment expression needs parentheses here: (n := v)",
    **{op: f"the augmented assignments are += -= *= /= **= //= %= |= &= ^= <<= >>=; write "
           f"x = x {op[:-1]} y" for op in ("@=",)}}
# a notebook's line copied into a program (%matplotlib inline, !pip install d2l)
NOTEBOOK_HINT = ("a notebook's magic or shell command (%matplotlib inline, !pip install ...) "
                 "is not Python: delete the line")
# a Python session copied with its prompts (>>> x = torch.ones(2))
SESSION_HINT = ("this is a copy of an interactive session: delete the '>>> ' and '... ' "
                "prompts, and the lines of output between them")
MISSING_OPERATOR = frozenset(   # found right after a whole expression
    (NAME, NUMBER, STRING, FSTRING, "(", "[", "{"))

# every operator and bracket the lexer makes a token of, and every kind of token
OPERATORS = frozenset(("**", "**=", "//", "//=", "<<", "<<=", ">>", ">>=", "->", "...",
                       *(c + "=" for c in "-+*/@%&|^:=!<>"), *"-+*/@%&|^~<>=,:.;()[]{}"))
# characters Python's tokenizer passes on as tokens no rule takes: its parser
# says "invalid syntax" where it meets one (so a tokenizer error further on,
# a bracket that does not match, comes first, as in Python)
STRAY_CHARACTERS = frozenset("!$?`")
KINDS = frozenset((NAME, NUMBER, STRING, FSTRING, NEWLINE, INDENT, DEDENT, EOF)) | KEYWORDS \
    | OPERATORS | STRAY_CHARACTERS

# Quantifiers are possessive (*+): no piece ever needs to give characters back,
# and the engine then keeps no backtracking state.
_PIECES = r"""
    (?: (?:[rR][fF]?|[fF][rR]?|[uU])(?='|")          # f-string, raw or u'' string (rf'', fR''...)
        (?:'''(?:[^'\\]|\\.|'(?!''))*+'''          # over lines,
          |\"\"\"(?:[^"\\]|\\.|"(?!\"\"))*+\"\"\"
          |'[^'\\\r\n]*+(?:\\[^\r\n][^'\\\r\n]*+)*'   # or on one
          |"[^"\\\r\n]*+(?:\\[^\r\n][^"\\\r\n]*+)*")
      | [^\W\d]\w*+                                 # name or keyword
      | (?:0[xX][0-9a-fA-F_]*+|0[oO][0-7_]*+|0[bB][01_]*+   # a number right before a keyword
          |(?:[0-9][0-9_]*+(?:\.[0-9_]*+)?|\.[0-9][0-9_]*+)  # that may follow it (1if x else 2:
           (?:[eE][+-]?[0-9][0-9_]*+)?[jJ]?)                 # Python reads 1 if, and warns)
        (?=(?:and|else|for|not|or)(?!\w)|i[fns])   # (its words, as Python checks them)
      | [0-9][0-9_]*+                               # number, validated later: its digits, then
        (?:\.\w*+(?:(?<=[eE])[+-][0-9]\w*+)?         # one dot at most (0.5.sum() is 0.5 .sum()),
          |\w*+(?:(?<=[eE])[+-][0-9]\w*+)?)           # or none after an exponent, a j or 0x
                                                    # (Python's 1e5.real is 1e5 .real)
      | \.[0-9]\w*+(?:(?<=[eE])[+-][0-9]\w*+)?       # number like .5
      | \*\*=? | //=? | <<=? | >>=? | [-+*/@%&|^:=!<>]= | -> | \.\.\.   # ... is Ellipsis
      | [-+*/@%&|^~<>=,:.;()\[\]{}]                 # one-character operators, brackets
      | \r\n | [\r\n]                               # newline
      | \#[^\r\n]*+                                 # comment
      | '''(?:[^'\\]|\\.|'(?!''))*+'''              # triple-quoted string (a docstring),
      | \"\"\"(?:[^"\\]|\\.|"(?!\"\"))*+\"\"\"        # over lines
      | ''' | \"\"\"                                # an unterminated one
      | '[^'\\\r\n]*+(?:\\[^\r\n][^'\\\r\n]*+)*'    # string
      | "[^"\\\r\n]*+(?:\\[^\r\n][^"\\\r\n]*+)*"
      | \\(?:\r\n|[\r\n])?                          # line continuation (or a stray backslash)
      | [ \t\f]                                     # spaces at the start of the source
      | .                                           # anything else: a bad character
    ) [ \t\f]*+                                     # with the spaces after it
    """


@functools.cache
def _master(ascii_only: bool) -> re.Pattern:
    """The master regex, compiled when first needed (each takes over a
    millisecond, a cost at every start-up otherwise). For a source that is
    all ASCII (most are) it cuts the same pieces, faster, as \\w then needs
    no Unicode tables."""
    return re.compile(_PIECES, re.VERBOSE | re.DOTALL | (re.ASCII if ascii_only else 0))


# A name or a number, cut as _PIECES cuts them in a line with no strings or
# comments (the same alternatives, in ASCII): repeats finds a line's names
# and numbers with it
LEAF = (r"[^\W\d]\w*+"
        r"|(?:0[xX][0-9a-fA-F_]*+|0[oO][0-7_]*+|0[bB][01_]*+|(?:[0-9][0-9_]*+(?:\.[0-9_]*+)?"
        r"|\.[0-9][0-9_]*+)(?:[eE][+-]?[0-9][0-9_]*+)?[jJ]?)"
        r"(?=(?:and|else|for|not|or)(?!\w)|i[fns])"
        r"|[0-9][0-9_]*+(?:\.\w*+(?:(?<=[eE])[+-][0-9]\w*+)?|\w*+(?:(?<=[eE])[+-][0-9]\w*+)?)"
        r"|\.[0-9]\w*+(?:(?<=[eE])[+-][0-9]\w*+)?")

_LINE_END = re.compile(r"[\r\n]|\Z")
_NEWLINES = re.compile(r"\r\n|[\r\n]")

# classes of a piece's first character
_NAME, _OP, _NUM, _DOT, _OPEN, _CLOSE, _STR, _WS, _NL, _COMMENT, _BACKSLASH, _BANG, _ODD = \
    range(13)
_CLASS: dict[str, int] = {" ": _WS, "\t": _WS, "\f": _WS, "\n": _NL, "\r": _NL, "#": _COMMENT,
                          "'": _STR, '"': _STR, "\\": _BACKSLASH, ".": _DOT, "!": _BANG}
_CLASS.update(dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_", _NAME))
_CLASS.update(dict.fromkeys("0123456789", _NUM))
_CLASS.update(dict.fromkeys("-+*/@%&|^~<>=,:;", _OP))
_CLASS.update(dict.fromkeys("([{", _OPEN))
_CLASS.update(dict.fromkeys(")]}", _CLOSE))
_CLOSER = {"(": ")", "[": "]", "{": "}"}
_OPENER = {")": "(", "]": "[", "}": "{"}
_KIND_OF_NAME = {kw: kw for kw in KEYWORDS}

# What a whole piece is: the last field of its info (see _piece). A name,
# operator, number or string is None, so that the loop sends every other
# piece to its slower branch with one test (`is not None` needs no call).
_IS_TOKEN = None
_IS_NEWLINE, _IS_OPEN, _IS_CLOSE, _IS_JOIN, _IS_SPACES, _IS_COMMENT, _IS_NOT_EQUAL, _IS_BAD, \
    _IS_LINES = range(1, 10)         # (_IS_LINES: a string over several lines, a docstring)


class Token(NamedTuple):
    """One token: kind (NAME, NUMBER, STRING, NEWLINE, INDENT, DEDENT, EOF, or the
    operator/keyword text itself), its source text, its value (the number or the
    string's contents, else None) and where it is (tokens never span lines)."""

    kind: str
    text: str
    value: object
    line: int
    col: int
    end_col: int

    @property
    def span(self) -> Span:
        return Span(self.line, self.col, self.line, self.end_col)


def tokenize(source: str) -> list[Token]:
    """The tokens of ``source``, ending with NEWLINE (if needed), DEDENTs and EOF."""
    make = Token._make
    return [make(t) for t in scan(source)]


def _error(message: str, line: int, col: int, end_col: int, hint: str | None = None,
           kind: str = SYNTAX) -> GradvizError:
    return GradvizError(message, kind=kind, span=Span(line, col, line, end_col), hint=hint)


def number(text: str, line: int, col: int) -> int | float | complex:
    """The value of a number piece (or the error for a bad one, at ``line``,
    ``col``); an imaginary literal's is a complex."""
    if text[0] == "0" and len(text) > 1 and text.replace("_", "").isdigit() \
            and text.strip("0_"):
        raise _error("leading zeros in decimal integer literals are not permitted; use an 0o "
                     "prefix for octal integers", line, col, col + len(text),
                     f"write {text.lstrip('0_')}, without the leading zeros")
    if text.isdigit():
        try:
            return int(text)
        except ValueError:
            raise _error(f"integer literal too long ({len(text)} digits)", line, col,
                         col + len(text), "write big numbers in float form, like 1e300",
                         kind=LIMIT) from None
    try:
        if text[:2].lower() in ("0x", "0o", "0b"):
            return int(text, 0)       # 0x1f, 0o17, 0b101 (with underscores too)
        if "." in text or "e" in text or "E" in text:
            return float(text)
        return int(text)              # digits with underscores, or junk (ValueError)
    except ValueError:
        if _IMAGINARY_HEAD.fullmatch(text):
            # valid Python: the parser makes it a node that fails where it runs
            # (gradviz has no complex numbers), so that the lines before it run
            with contextlib.suppress(ValueError):       # (1_j: an underscore misplaced)
                return complex(text)
        raise _error(_bad_number_message(text), line, col, col + len(text),
                     "numbers look like 3, 0.5, .5, 2. or 1e-3; put an operator or a "
                     "space between a number and a name") from None


_BASES = {"0x": ("hexadecimal", "0123456789abcdefABCDEF"), "0o": ("octal", "01234567"),
          "0b": ("binary", "01")}
_IMAGINARY_HEAD = re.compile(r"[\d_]*(\.[\d_]*)?([eE][+-]?[\d_]+)?[jJ]")


def _bad_number_message(text: str) -> str:
    """CPython's tokenizer's words for a number piece it refuses: the
    literal's kind ('invalid decimal literal' for 5a, 1.T, 1_), or a digit
    its base has not ('invalid digit '8' in octal literal')."""
    base = _BASES.get(text[:2].lower())
    if base is not None:
        kind, allowed = base
        for c in text[2:]:
            if c not in allowed and c != "_":
                if c.isdigit():
                    return f"invalid digit '{c}' in {kind} literal"
                break
        return f"invalid {kind} literal"
    head = _IMAGINARY_HEAD.match(text)
    if head is not None and head.end() < len(text):
        return "invalid imaginary literal"         # (1jx)
    return "invalid decimal literal"


class EscapeError(ValueError):
    """A bad escape, in Python's words; start and end: where it is in the body."""

    def __init__(self, message: str, start: int, end: int):
        super().__init__(message)
        self.start, self.end = start, end


def unescape(body: str) -> str:
    """The text of a string's body with its escapes applied, as Python
    applies them; an EscapeError for a bad one."""
    if "\\" not in body:
        return body
    return _ESCAPE_PIECE.sub(_escaped, body)


def _escaped(m: re.Match) -> str:
    piece = m.group(1)
    head = piece[0]
    simple = STRING_ESCAPES.get(piece)
    if simple is not None:
        return simple
    if head in "01234567":
        return chr(int(piece, 8))
    if head in _HEX_DIGITS:
        if len(piece) - 1 < _HEX_DIGITS[head]:
            raise _escape_error(m, f"truncated \\{head}{'X' * _HEX_DIGITS[head]} escape")
        if int(piece[1:], 16) > 0x10FFFF:
            raise _escape_error(m, "illegal Unicode character")
        return chr(int(piece[1:], 16))
    if head == "N":
        if len(piece) == 1:
            raise _escape_error(m, "malformed \\N character escape")
        try:
            return unicodedata.lookup(piece[2:-1])
        except KeyError:
            raise _escape_error(m, "unknown Unicode character name") from None
    return m.group(0)          # \d: Python keeps the backslash (and warns)


def _escape_error(m: re.Match, what: str) -> EscapeError:
    return EscapeError(f"(unicode error) 'unicodeescape' codec can't decode bytes in position "
                       f"{m.start()}-{m.end() - 1}: {what}", m.start(), m.end())


def _string(text: str, source: str, line: int, col: int, base: int) -> str:
    """The value of a string piece (or the error for an unterminated one)."""
    if text in ("'", '"'):
        eol = _LINE_END.search(source, base + col).start()
        raise _error(f"unterminated string literal (detected at line {line})", line, col,
                     eol - base, f"close the string with a matching {text} on the same line")
    if text in ("'''", '"""'):
        # (Python reads on to the end of the source, whose line it names)
        last = line + source.count("\n", base + col) - source.endswith("\n")
        raise _error(f"unterminated triple-quoted string literal (detected at line {last})",
                     line, col, col + 3, f"close the string with {text}")
    quotes = 3 if text[:3] in ("'''", '"""') else 1
    try:
        return unescape(text[quotes:-quotes].replace("\r\n", "\n"))
    except EscapeError as exc:
        raise _error(str(exc), line, col, col + len(text),
                     "write \\xhh, \\uhhhh or \\N{NAME}; a backslash itself is \\\\ "
                     "(or the string raw: r'...')") from None


def scan(source: str, first_line: int = 1) -> list[tuple]:
    """The tokens of ``source`` as plain ``(kind, text, value, line, col, end_col)`` tuples;
    ``source`` starts on line ``first_line`` (a run of lines of a longer program)."""
    findall = _master(source.isascii()).findall
    # What a piece is does not depend on where it is: each distinct piece (or
    # word, see _word_pieces) is looked at once, before the loop (a program
    # repeats its names, operators and indentation), and the loop gets the
    # infos through map (and chain), in C. A bad piece raises its error in the
    # loop, when it is reached, as then its place is known.
    pieces = _word_pieces(source, findall)
    if pieces is None:
        pieces = findall(source)
        pieces = map(_infos(set(pieces)).__getitem__, pieces)
    toks: list[tuple] = []
    try:
        _scan_pieces(pieces, toks, source, first_line)
    except GradvizError as exc:
        # the tokens before the error: Python's parser reads tokens as its
        # tokenizer makes them, so a parse error before this one comes first
        exc.tokens_before = toks
        raise
    return toks


def _scan_pieces(pieces, toks: list, source: str, first_line: int) -> None:
    """scan()'s loop: its tokens appended to toks."""
    append = toks.append
    line, col = first_line, 1    # col: of the next piece
    brackets: list[tuple] = []   # the tokens of the brackets still open
    opened = brackets.append
    indents = [0]
    alts = [0]                   # the same indentations, tabs counted as one column
    # with a tab in the source, each line's indentation is also checked as
    # Python does, with tabs as one column (see _indentation)
    tabs = "\t" in source
    bol = True                   # at the start of a logical line: indentation matters
    indent = 0
    for kind, text, value, width, size, what in pieces:
        if what is not None:     # not a name, operator, number or string
            if what == _IS_NEWLINE:
                if not bol and not brackets:
                    append((NEWLINE, "\n", None, line, col, col + 1))
                    bol = True
                # the next line starts after the newline; the piece ends with
                # its indentation, of ``width`` characters
                line += 1
                col = width + 1
                if bol:
                    indent = value
                continue
            if what == _IS_OPEN or what == _IS_CLOSE:
                if bol:
                    bol = False
                    if indent != indents[-1] or tabs:
                        _indentation(indent, indents, alts, append, line, col)
                tok = (kind, text, None, line, col, col + 1)
                if what == _IS_OPEN:
                    opened(tok)
                elif brackets and brackets[-1][1] == value:   # value: the matching opener
                    del brackets[-1]
                else:
                    raise _close_error(text, brackets, line, col)
                append(tok)
                col += size
                continue
            if what == _IS_JOIN:  # a backslash and newline: the logical line goes on
                line += 1
                col = width + 1
                if bol:
                    indent = value
                continue
            if what == _IS_LINES:    # a string over lines: the token, then its last line
                if bol:
                    bol = False
                    if indent != indents[-1] or tabs:
                        _indentation(indent, indents, alts, append, line, col)
                append((kind, text, value, line, col, col + 3))
                line += text.count("\n")
                col = size - text.rindex("\n")
                continue
            if what == _IS_SPACES:   # only at the very start: every other piece takes its spaces
                indent = value
            elif what == _IS_NOT_EQUAL:
                # '!=' leaves the start of a line to the next token, and the
                # spaces after it are that token's indentation
                append((kind, text, None, line, col, col + width))
                if bol and size > width:
                    indent = value
            elif what == _IS_BAD:
                # a bad number or string that starts a line: a wrong
                # indentation before it is the first error
                if bol and _CLASS.get(text[0]) in (_NUM, _DOT, _STR):
                    _indentation(indent, indents, alts, append, line, col)
                _piece(text, source, line, col,
                       _line_base(source, line - first_line + 1))   # raises
            col += size
            continue
        if bol:
            bol = False
            if indent != indents[-1] or tabs:
                _indentation(indent, indents, alts, append, line, col)
        append((kind, text, value, line, col, col + width))
        col += size
    if brackets:
        _, opener, _, oline, ocol, _ = brackets[-1]
        raise _error(f"'{opener}' was never closed", oline, ocol, ocol + 1,
                     f"add '{_CLOSER[opener]}' to close the '{opener}' opened at line "
                     f"{oline} col {ocol}")
    if not bol:
        append((NEWLINE, "", None, line, col, col + 1))
    for _ in indents[1:]:
        append((DEDENT, "", None, line, col, col))
    append((EOF, "", None, line, col, col))


def _word_pieces(source: str, findall):
    """The infos of the pieces of a plain source, cut at its spaces, or None.

    str.split cuts much faster than the regex, and each distinct word, with
    the space after it, is cut into pieces by the regex once: these are the
    source's pieces, as in a plain source none of them holds a space (only
    strings, comments and the spaces that start a source do) and each takes
    the one space after it, if any. A plain source has no strings, comments,
    backslashes or tabs, does not start with a space and has no two spaces in
    a row: most long programs (they are generated) are plain. This is worth it
    when the words repeat, as a new word costs a regex search of its own:
    None when more than one word in four is new, in an eighth of a long source
    taken from its middle (decided before hashing all the words, a tenth of a
    scan of 30,000 lines that each have a new name; the start of a program,
    its declarations, repeats less than the rest) or in the whole source.
    """
    if (source[:1] == " " or "  " in source
            or any(ch in source for ch in "'\"#\\\t\f")):
        return None
    if len(source) > 65536:          # (a short source is checked whole below)
        # the words of an eighth of the source from its middle (the first and
        # the last item may be parts of words)
        middle = len(source) // 2
        sample = source[middle:middle + len(source) // 8].split(" ")[1:-1]
        if len(set(sample)) * 4 > len(sample):
            return None
    words = source.split(" ")
    last = words.pop()            # the one with no space after it
    cuts = dict.fromkeys(words)
    if len(cuts) * 4 > len(words):
        return None
    infos: dict[str, tuple] = {}  # piece -> its info
    for word in cuts:
        cuts[word] = _cut(word + " ", findall, infos)
    return itertools.chain(itertools.chain.from_iterable(map(cuts.__getitem__, words)),
                           _cut(last, findall, infos))


def _infos(pieces) -> dict:
    """The info of each of the distinct ``pieces`` (see _piece). A name, as
    most new pieces of a long program are, is classified here, without the
    two calls of _info (the same info: a piece that is an identifier is a
    name to _piece, a keyword if it is one)."""
    infos = {}
    for piece in pieces:
        name = piece.rstrip(" \t\f")
        infos[piece] = ((_KIND_OF_NAME.get(name, NAME), name, None, len(name), len(piece),
                         _IS_TOKEN) if name.isidentifier() else _info(piece))
    return infos


def _cut(text: str, findall, infos: dict) -> tuple:
    """The infos of the pieces of ``text``, cut by ``findall``; ``infos``
    keeps them by piece."""
    name = text.rstrip(" \t\f")
    if name.isascii() and name.isidentifier():
        # a lone name (most new words): one piece, as _piece would see it
        return (_KIND_OF_NAME.get(name, NAME), name, None, len(name), len(text), _IS_TOKEN),
    out = []
    for piece in findall(text):
        info = infos.get(piece)
        if info is None:
            info = infos[piece] = _info(piece)
        out.append(info)
    return tuple(out)


def _info(piece: str) -> tuple:
    """What a piece is (see _piece), or for a bad piece, whose error needs its
    place, ``(None, piece, None, 0, size, _IS_BAD)``."""
    try:
        return _piece(piece, "", 0, 0, 0)
    except GradvizError:
        return None, piece, None, 0, len(piece), _IS_BAD


def _line_base(source: str, line: int) -> int:
    """The offset just before line ``line`` of ``source`` (for an error: a
    line starts after each newline, as the pieces cut them)."""
    base = -1
    for m in itertools.islice(_NEWLINES.finditer(source), line - 1):
        base = m.end() - 1
    return base


def _piece(piece: str, source: str, line: int, col: int, base: int) -> tuple:
    """What a piece is, wherever it is: ``(kind, text, value, width, size,
    what)``, where text is the piece without the spaces after it, width the
    length of text, size the piece's and what one of _IS_TOKEN ... A
    closing bracket's value is its opening one. A newline's (or a line
    continuation's) value is the width of the indentation after it and its
    width the number of characters of that indentation; the value of '!=' is
    the width of the spaces after it. For a bad piece, this raises its error,
    which says where it is (``line``, ``col``; ``base`` is the offset just
    before the line in ``source``)."""
    size = len(piece)
    cls = _CLASS.get(piece[0], _ODD)
    text = piece.rstrip(" \t\f")
    n = len(text)
    if cls == _NAME:
        if text[-1] in "'\"" and n > 2:     # a string with a prefix
            return _prefixed(text, source, line, col, base) + (n, size, _lines(text))
        return _KIND_OF_NAME.get(text, NAME), text, None, n, size, _IS_TOKEN
    if cls == _OP:
        return text, text, None, n, size, _IS_TOKEN
    if cls == _DOT and text == "...":
        return text, text, None, n, size, _IS_TOKEN
    if cls == _NUM or (cls == _DOT and n > 1):
        return NUMBER, text, number(text, line, col), n, size, _IS_TOKEN
    if cls == _NL:
        spaces = piece.lstrip("\r\n")
        return NEWLINE, "\n", _width(spaces), len(spaces), size, _IS_NEWLINE
    if cls == _OPEN:
        return text, text, None, 1, size, _IS_OPEN
    if cls == _CLOSE:
        return text, text, _OPENER[text], 1, size, _IS_CLOSE
    if cls == _DOT:
        return ".", ".", None, 1, size, _IS_TOKEN
    if cls == _STR:
        value = _string(text, source, line, col, base)
        if "\n" in text:          # a triple-quoted string over lines
            return STRING, text, value, n, size, _IS_LINES
        return STRING, text, value, n, size, _IS_TOKEN
    if cls == _ODD and text.isidentifier():
        return NAME, text, None, n, size, _IS_TOKEN   # a name that starts with a non-ASCII letter
    if cls == _WS:
        return None, piece, _width(piece), size, size, _IS_SPACES
    if cls == _COMMENT:
        return None, text, None, n, size, _IS_COMMENT
    if cls == _BACKSLASH and n > 1:
        spaces = piece[n:]
        return None, text, _width(spaces), len(spaces), size, _IS_JOIN
    if cls == _BANG and text == "!=":
        return text, text, _width(piece[n:]), n, size, _IS_NOT_EQUAL
    if text in STRAY_CHARACTERS:
        return text, text, None, n, size, _IS_TOKEN
    raise _bad_piece(text, line, col)


def _prefixed(text: str, source: str, line: int, col: int, base: int) -> tuple:
    """The kind, text and value of a string with a prefix: an f-string (f, rf,
    Fr ...) is split by the parser; r"..." keeps its backslashes as they are;
    u"..." (Python 2's unicode prefix) is a plain str."""
    prefix = text[:2].rstrip("'\"").lower()
    if "f" in prefix:
        return FSTRING, text, None
    body = text[len(prefix):]
    if prefix == "u":
        return STRING, text, _string(body, source, line, col + 1, base)
    quotes = 3 if body[:3] in ("'''", '"""') else 1
    return STRING, text, body[quotes:-quotes].replace("\r\n", "\n")


def _lines(text: str) -> int:
    """What a string piece is: a token, or a string over lines (_IS_LINES)."""
    return _IS_LINES if "\n" in text else _IS_TOKEN


def _width(spaces: str) -> int:
    """The width of indentation, tabs to the next multiple of TAB_SIZE."""
    return len(spaces.expandtabs(TAB_SIZE)) if "\t" in spaces else len(spaces)


def _indentation(indent: int, indents: list, alts: list, append, line: int,
                 col: int) -> None:
    """Emit the INDENT or DEDENTs for a logical line starting at ``col``.

    As Python's tokenizer, the indentation is read twice, tabs to the next
    multiple of 8 (``indent``) and tabs as one column (``col - 1``, its
    characters): when the two readings disagree on whether a line is
    indented more, less or the same as its block, the program mixes tabs
    and spaces in a way that only looks right in some editors, and Python
    refuses it with a TabError."""
    alt = col - 1
    if indent > indents[-1]:
        if alt <= alts[-1]:
            raise _tab_error(line, col)
        indents.append(indent)
        alts.append(alt)
        append((INDENT, "", None, line, 1, col))
        return
    while indent < indents[-1]:
        indents.pop()
        alts.pop()
        append((DEDENT, "", None, line, col, col))
    if indent != indents[-1]:
        raise _error("unindent does not match any outer indentation level", line, 1, col,
                     f"indent line {line} exactly like the block it belongs to")
    if alt != alts[-1]:
        raise _tab_error(line, col)


def _tab_error(line: int, col: int) -> GradvizError:
    return _error("inconsistent use of tabs and spaces in indentation", line, 1, col,
                  f"indent line {line} and the lines of its block all with spaces (or "
                  "all with tabs); editors show a tab 2, 4 or 8 columns wide")


def _close_error(text: str, brackets: list, line: int, col: int) -> GradvizError:
    """The error for a closing bracket that closes no open one."""
    if not brackets:
        return _error(f"unmatched '{text}'", line, col, col + 1,
                      "remove it, or add the opening bracket it closes")
    _, opener, _, oline, ocol, _ = brackets[-1]
    where = "" if oline == line else f" on line {oline}"     # (Python's words)
    return _error(f"closing parenthesis '{text}' does not match opening parenthesis "
                  f"'{opener}'{where}", line, col, col + 1,
                  f"close the '{opener}' opened at line {oline} col {ocol} with "
                  f"'{_CLOSER[opener]}'")


def _bad_piece(text: str, line: int, col: int) -> GradvizError:
    """The error for a piece that is no token: a stray backslash, '!', a bad character."""
    if text == "\\":
        return _error("unexpected '\\': a backslash must be the last character of its line",
                      line, col, col + 1, "remove it, or end the line right after it")
    if text == "!":
        return _error("unexpected character '!'", line, col, col + 1,
                      "to negate a condition use 'not'; 'not equal' is '!='")
    ch = text[0]
    code = f"U+{ord(ch):04X}"
    # (Python's words)
    message = f"invalid character '{ch}' ({code})" if ch.isprintable() else \
        f"invalid non-printable character {code}"
    return _error(message, line, col, col + 1, _pasted_hint(ch))


# characters a document, a slide or a web page puts where Python's go (smart
# quotes, a typographic minus), and what to type instead; NFKC gives the rest
# (a no-break space, the full-width = and brackets of an East Asian keyboard)
LOOKALIKES = {"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u2018": "'", "\u2019": "'",
              "\u2032": "'", "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "*",
              "\u00f7": "/", "\u2264": "<=", "\u2265": ">=", "\u2260": "!=", "\u2026": "..."}


def _pasted_hint(ch: str) -> str:
    """The hint for a character no token has: most come with a program
    copied from a document or a web page, so name what to type instead."""
    plain = LOOKALIKES.get(ch) or unicodedata.normalize("NFKC", ch)
    if plain != ch and plain.isascii():
        if plain.isspace():
            return ("a space that is not a plain one (copied from a document or a web "
                    "page?): type a plain space instead")
        return (f"'{ch}' is not Python's {plain} (copied from a document or a "
                f"slide?): type {plain} instead")
    if unicodedata.category(ch) in ("Cf", "Zs", "Zl", "Zp", "Cc"):
        return ("an invisible character (copied from a web page or a document?): delete it "
                "(it is at the caret)")
    return ("gradviz programs use Python syntax: names, numbers, strings, brackets "
            "and the operators + - * / ** @ == != < <= > >=")


def describe(tok: tuple) -> str:
    """A token as a message names it: "name 'x'", "'+'", "end of line" ..."""
    kind, text = tok[0], tok[1]
    if kind == NAME:
        return f"name '{text}'"
    if kind in (NUMBER, STRING, FSTRING):
        word = "f-string" if kind == FSTRING else kind.lower()
        return f"{word} {text if len(text) <= 20 else text[:17] + '...'}"
    if kind in _TOKEN_WORDS:
        return _TOKEN_WORDS[kind]
    return f"keyword '{kind}'" if kind in KEYWORDS else f"'{text}'"


_TOKEN_WORDS = {NEWLINE: "end of line", EOF: "end of input", INDENT: "an indented line",
                DEDENT: "the end of an indented block"}
