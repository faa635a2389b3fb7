"""The one error type of gradviz, with the source span it points at.

Lexer, parser, interpreter and engine all raise GradvizError. Ops raise it
without a span; the interpreter fills in the span of the expression it was
evaluating. The CLI renders it as ``FILE:LINE:COL: error: MESSAGE`` with the
source line, a caret and a hint.
"""
from __future__ import annotations

from typing import NamedTuple

# kind names: PyTorch's exception class where PyTorch has one, else ours.
SYNTAX = "SyntaxError"
NAME = "NameError"
RUNTIME = "RuntimeError"
TYPE = "TypeError"
VALUE = "ValueError"
INDEX = "IndexError"
ATTRIBUTE = "AttributeError"
KEY = "KeyError"
IMPORT = "ImportError"
LIMIT = "LimitError"
FILE = "FileError"
USAGE = "UsageError"

# kinds that exit with status 2 (the program never started)
STATIC_KINDS = frozenset({SYNTAX, FILE, USAGE})
# a message or hint longer than this is cut: an error quoting a value (a list
# of a million numbers) must stay one readable line
MAX_MESSAGE_CHARS = 600
# (but PyTorch's list of a function's forms, its "expected one of:", is
# kept whole: randint's four are 1,100 characters)
FORMS_MESSAGE_CHARS = 4000
SNIPPET_CHARS = 200          # of a long source line, shown under the message
REPEATS_SHOWN = 3            # of one call line in a row (Python's traceback shows 3)
CALLS_SHOWN = 20             # call lines under an error, at most


class Span(NamedTuple):
    """A region of the source: 1-based line and column, end exclusive.

    A NamedTuple: immutable, hashable and the cheapest object to build, which
    matters since the parser makes one per AST node."""

    line: int
    col: int
    end_line: int
    end_col: int

    def to(self, other: "Span") -> "Span":
        """The span that covers self and other."""
        return Span(self.line, self.col, other.end_line, other.end_col)


class GradvizError(Exception):
    """A problem in the user's program (or its files), told in its own terms."""

    def __init__(self, message: str, *, kind: str = RUNTIME, span: Span | None = None,
                 hint: str | None = None, max_chars: int = MAX_MESSAGE_CHARS):
        message, hint = _clip(message, max_chars), None if hint is None else _clip(hint)
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.span = span
        self.hint = hint
        self.record = None  # the record of the run so far, set by run_source
        # the program's own exception object (an instance of its class
        # E(ValueError)) that a raise of it carries to the `except E as e`
        self.value = None
        # what `raise ... from cause` named (the exception's __cause__)
        self.cause = None
        # the exception's e.args where they are not (message,): a KeyError's
        # key, whose repr is the message (None: (message,), or () without one)
        self.exc_args = None
        # where the function the error happened in was called from, innermost
        # first ("in f(), called on line 12"), as a traceback would say
        self.calls: list[str] = []
        # the program text and its name, set by run_source, so that the error
        # can be shown with its line wherever it is caught
        self.source: str | None = None
        self.filename: str | None = None

    def at(self, span: Span | None) -> "GradvizError":
        """Attach a span if none is set yet (innermost wins); returns self."""
        if self.span is None and span is not None:
            self.span = span
        return self

    @property
    def exit_code(self) -> int:
        return 2 if self.kind in STATIC_KINDS else 1

    def format(self, source: str | None = None, filename: str | None = None) -> str:
        """``FILE:LINE:COL: error: MESSAGE``, the line, a caret, and the hint.

        source and filename default to the ones run_source attached."""
        if source is None:
            source = self.source
        if filename is None:
            # an error with no program (a missing file) names the tool, as compilers do
            filename = self.filename or "gradviz"
        # (a message of PyTorch's may end in a newline: str(e) keeps it, not the display)
        # (an exception with no message, a bare assert's, is shown by its kind)
        message = self.message.rstrip("\n") or self.kind
        if self.span is None:
            head = f"{filename}: error: {message}"
            lines = [head]
        else:
            sp = self.span
            lines = [f"{filename}:{sp.line}:{sp.col}: error: {message}"]
            src_lines = source.splitlines() if source else []
            if 0 < sp.line <= len(src_lines):
                lines.extend(_snippet(src_lines[sp.line - 1], sp))
        lines.extend(_calls_shown(self.calls))
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


def _calls_shown(calls: list[str]) -> list[str]:
    """The call lines under an error, short whatever the depth: a line that
    repeats the one before is shown REPEATS_SHOWN times in a row and then
    counted, as Python's traceback does, and of more than CALLS_SHOWN
    lines left (two functions calling each other) the innermost and
    outermost halves are shown."""
    out: list[str] = []
    run = 0                  # lines in a row equal to this one
    for i, call in enumerate(calls):
        run = run + 1 if i and call == calls[i - 1] else 1
        if run <= REPEATS_SHOWN:
            out.append(call)
        elif i + 1 == len(calls) or calls[i + 1] != call:
            more = run - REPEATS_SHOWN
            out.append(f"  [previous line repeated {more} more time{'s' if more > 1 else ''}]")
    if len(out) > CALLS_SHOWN:
        half = CALLS_SHOWN // 2
        out[half:-half] = [f"  [{len(out) - 2 * half} more lines]"]
    return out


def _snippet(raw: str, sp: Span) -> list[str]:
    """The source line under the message and its caret line. A long line
    shows a window of SNIPPET_CHARS around the span (an error at column
    1,000,000 of a generated program prints one short line, not a megabyte);
    tabs become 4 spaces on both lines, so the caret stays under its text."""
    end = sp.end_col if sp.end_line == sp.line else len(raw) + 1
    lo = max(0, sp.col - 1 - SNIPPET_CHARS // 3) if len(raw) > SNIPPET_CHARS else 0
    hi = min(len(raw), lo + SNIPPET_CHARS)
    lead = "... " if lo else ""

    def width(text: str) -> int:
        return len(text.replace("\t", "    "))

    shown = lead + raw[lo:hi].replace("\t", "    ") + (" ..." if hi < len(raw) else "")
    start = len(lead) + width(raw[lo:max(lo, sp.col - 1)])
    carets = max(1, min(width(raw[sp.col - 1:min(end, hi + 1) - 1]), len(shown) - start + 1))
    return ["    " + shown, "    " + " " * start + "^" * carets]


# the Python errors PyTorch's own Python code (lr_scheduler.py, the optimizers'
# constructors and steps) raises from its arithmetic on odd settings:
# StepLR(opt, 'a'), Rprop(params, etas=()), LBFGS(params, max_iter=(2,))
_PYTHON_ERRORS = (TypeError, ValueError, ZeroDivisionError, IndexError, OverflowError)


def python_errors(call, hint: str):
    """call(), the Python errors it raises said as PyTorch's (which are
    Python's own, PyTorch computing the same in Python)."""
    try:
        return call()
    except _PYTHON_ERRORS as exc:
        from .functions import user_arg_counts
        raise GradvizError(user_arg_counts(str(exc)), kind=type(exc).__name__,
                           hint=hint) from None


def did_you_mean(word: str, choices) -> str | None:
    """A 'did you mean X?' hint for a misspelt name, or None."""
    import difflib

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f"did you mean '{close[0]}'?" if close else None


# the hint of a call with arguments the function does not take
ARGUMENTS_HINT = "check the arguments (see `gradviz ops`)"


def argument_hint(message: str, names) -> str:
    """The hint of an argument error: for a keyword the function does not
    take, the one it takes that is spelt nearly so (reqires_grad=True:
    "did you mean 'requires_grad'?"); else ARGUMENTS_HINT. ``names``: the
    function's keywords (called only for such an error)."""
    start = message.find("unexpected keyword argument '")
    if start < 0:
        return ARGUMENTS_HINT
    key = message[start + len("unexpected keyword argument '"):].split("'", 1)[0]
    return did_you_mean(key, [n for n in names() if n != "rt"]) or ARGUMENTS_HINT


def signature_names(fn):
    """A function for argument_hint: the names of fn's parameters."""
    def names():
        import inspect
        try:
            return list(inspect.signature(fn).parameters)
        except (TypeError, ValueError):
            return []
    return names


def _clip(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    text = str(text)
    if len(text) <= max_chars:
        return text
    return text[:max_chars - 5] + " ..."
