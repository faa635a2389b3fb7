"""f-strings: the text of f"..." cut into its literal pieces and its
{fields}, as Python 3.11 reads them, and the formatting of a field's value
as Python and PyTorch do it.

A field is ``{expr[=][!conversion][:spec]}``: the expression is parsed by
the parser (``parse_expr``, with the source's line and columns, so an error
in it points where it is), the spec may hold fields of its own (one level,
as in Python), ``{{`` and ``}}`` are braces. Formatting follows the objects'
own ``__format__``: a 0-d tensor formats its ``item()`` (so ``f"{loss}"`` is
``2.5``, not ``tensor(2.5000)``, and ``f"{loss:.3f}"`` works), any other
tensor is its ``str()`` with an empty spec and a TypeError otherwise.
"""
from __future__ import annotations

import re

import numpy as np

from .errors import LIMIT, SYNTAX, TYPE, VALUE, GradvizError, Span
from .lexer import EscapeError, unescape
from .render.torchfmt import NumpyArray
from .syntax import FormattedValue

# a width or precision above this is an error, not a string of that length
# (f"{x:999999999}" would otherwise make a gigabyte of spaces)
MAX_FORMAT_WIDTH = 10_000
_WIDTHS = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d*))?")


def split(body: str, line: int, col: int, parse_expr, raw: bool = False) -> tuple:
    """The parts of an f-string whose text between its quotes is ``body``,
    which starts at column ``col`` of ``line``: literal text (escapes
    applied, unless the f-string is ``raw``, rf"...") and FormattedValue
    fields; ``parse_expr(text, line, col)`` parses a field's expression."""
    reader = _Reader(body, line, col, parse_expr, raw)
    parts, _ = reader.parts(0, in_spec=False)
    return parts


class _Reader:
    def __init__(self, body: str, line: int, col: int, parse_expr, raw: bool):
        self.body, self.line, self.col, self.parse_expr = body, line, col, parse_expr
        self.raw = raw

    def at(self, i: int) -> tuple[int, int]:
        """The line and column of index ``i`` of the body (a triple-quoted
        f-string's body goes over lines)."""
        newline = self.body.rfind("\n", 0, i)
        if newline < 0:
            return self.line, self.col + i
        return self.line + self.body.count("\n", 0, i), i - newline

    def span(self, start: int, end: int) -> Span:
        return Span(*self.at(start), *self.at(end))

    def error(self, message: str, start: int, end: int | None = None,
              hint: str | None = None) -> GradvizError:
        end = start + 1 if end is None else end
        return GradvizError(message, kind=SYNTAX, hint=hint, span=self.span(start, end))

    def parts(self, i: int, in_spec: bool, depth: int = 0) -> tuple[tuple, int]:
        """The parts from index i to the end of the body (or, in a format
        spec, to the '}' that closes its field); and where they end."""
        body = self.body
        n = len(body)
        parts: list = []
        text: list[str] = []
        start = i
        while i < n:
            c = body[i]
            if c == "{":
                if not in_spec and body[i + 1:i + 2] == "{":
                    text.append(self.literal(start, i + 1))
                    i += 2
                    start = i
                    continue
                text.append(self.literal(start, i))
                if text:
                    parts.append("".join(text))
                    text = []
                if depth >= 1 and in_spec:
                    raise self.error("f-string: expressions nested too deeply", i,
                                     hint="compute the inner value on a line of its own")
                field, i = self.field(i, depth + 1 if in_spec else depth)
                parts.append(field)
                start = i
                continue
            if c == "}":
                if in_spec:
                    break
                if body[i + 1:i + 2] == "}":
                    text.append(self.literal(start, i + 1))
                    i += 2
                    start = i
                    continue
                raise self.error("f-string: single '}' is not allowed", i,
                                 hint="write '}}' for a literal brace")
            # (an escaped character is text, but not in a raw f-string:
            # rf"\{x}" is a backslash, then a field)
            i += 2 if c == "\\" and not self.raw else 1
        text.append(self.literal(start, min(i, n)))
        literal = "".join(text)
        if literal:
            parts.append(literal)
        return tuple(parts), i

    def literal(self, start: int, end: int) -> str:
        raw = self.body[start:end]
        if "\\" not in raw or self.raw:
            return raw
        try:
            return unescape(raw)
        except EscapeError as exc:
            raise self.error(str(exc), start + exc.start, start + exc.end, "write \\xhh, \\uhhhh or \\N{NAME}; a "
                             "backslash itself is \\\\ (or the f-string raw: rf'...')") from None

    def field(self, opening: int, depth: int) -> tuple[FormattedValue, int]:
        """The field whose '{' is at index ``opening``; and the index after its '}'."""
        body = self.body
        n = len(body)
        i = opening + 1
        nesting = 0
        quote = None
        end = None                  # where the expression ends
        while i < n:
            c = body[i]
            if quote is not None:
                if c == quote:
                    quote = None
            elif c == "\\":
                raise self.error("f-string expression part cannot include a backslash", i,
                                 hint="compute the value on a line of its own")
            elif c == "#":
                raise self.error("f-string expression part cannot include '#'", i,
                                 hint="a comment cannot be inside an f-string's field")
            elif c in "'\"":
                quote = c
            elif c in "([{":
                nesting += 1
            elif c in ")]" and nesting:
                nesting -= 1
            elif c == "}":
                if not nesting:
                    end = i
                    break
                nesting -= 1
            elif not nesting and c == "!" and body[i + 1:i + 2] != "=":
                end = i
                break
            elif not nesting and c == ":":
                end = i
                break
            elif (not nesting and c == "=" and body[i + 1:i + 2] != "="
                  and body[i - 1] not in "=!<>"):
                end = i
                break
            i += 1
        if end is None:
            raise self.error("f-string: expecting '}'", opening, n,
                             hint="close the field with '}' (write '{{' for a literal brace)")
        source = body[opening + 1:end]
        if not source.strip():
            raise self.error("f-string: empty expression not allowed", opening, end + 1,
                             hint="put a value between the braces, or write '{{' and '}}' "
                                  "for literal braces")
        value = self.parse_expr(source, *self.at(opening + 1))
        debug = None
        i = end
        if body[i] == "=":
            i += 1
            while i < n and body[i] in " \t":
                i += 1
            debug = body[opening + 1:i]
        conversion = None
        if i < n and body[i] == "!":
            conversion = body[i + 1:i + 2]
            if conversion not in ("r", "s", "a") or body[i + 2:i + 3] not in (":", "}"):
                raise self.error("f-string: invalid conversion character: expected 's', "
                                 "'r', or 'a'", i, i + 2,
                                 hint="!r shows repr(), !s str() and !a ascii(); a ':' "
                                      "starts the format spec")
            i += 2
        spec: tuple = ()
        if i < n and body[i] == ":":
            spec, i = self.parts(i + 1, in_spec=True, depth=depth)
        if i >= n or body[i] != "}":
            raise self.error("f-string: expecting '}'", opening, min(i, n),
                             hint="close the field with '}'")
        span = self.span(opening, i + 1)
        return FormattedValue(value, conversion, spec, debug, span), i + 1


# ---- formatting ---------------------------------------------------------

def format_field(v, conversion: str | None, spec: str, str_of, repr_of, is_tensor) -> str:
    """format(v!conversion, spec), as Python does it for the program's
    values: ``str_of``/``repr_of`` give str() and repr() of any of them;
    ``is_tensor(v)`` tells a tensor, whose data is a numpy array."""
    if conversion == "s":
        v = str_of(v)
    elif conversion == "r":
        v = repr_of(v)
    elif conversion == "a":            # (ascii(v))
        v = repr_of(v).encode("ascii", "backslashreplace").decode("ascii")
    _check_widths(spec)
    if is_tensor(v):
        # Tensor.__format__: a 0-d tensor formats its item(), but not a
        # Parameter (a subclass: object.__format__, its str())
        parameter = v.meta is not None and v.meta.get("parameter")
        if v.data.ndim == 0 and not parameter:
            v = v.data.item()
        elif spec:
            raise GradvizError("unsupported format string passed to "
                               f"{'Parameter' if parameter else 'Tensor'}.__format__",
                               kind=TYPE, hint="format one element, as in f\"{x[0]:.3f}\", or "
                                               "leave the spec out: f\"{x}\"")
        else:
            return str_of(v)
    if v.__class__ is NumpyArray and isinstance(v.array, np.generic):   # f"{a.mean():.3f}"
        v = v.array
    if isinstance(v, np.generic):
        v = v.item()
    if v.__class__ in (int, float, bool, str):
        try:
            return format(v, spec)
        except ValueError as exc:
            raise GradvizError(str(exc), kind=VALUE,
                               hint="check the format spec after ':' (Python's format "
                                    "mini-language, as in {x:.3f} or {n:>5})") from None
    if spec:
        raise GradvizError(f"unsupported format string passed to {_type_name(v)}.__format__",
                           kind=TYPE, hint="only numbers and strings take a format spec")
    return str_of(v)


def _check_widths(spec: str) -> None:
    m = _WIDTHS.match(spec)
    for digits in (m.group(1), m.group(2)) if m else ():
        if digits and int(digits) > MAX_FORMAT_WIDTH:
            raise GradvizError(f"a format width or precision of {int(digits):,} is more than "
                               f"the limit of {MAX_FORMAT_WIDTH:,}", kind=LIMIT,
                               hint="use a smaller number in the format spec")


def _type_name(v) -> str:
    if v is None:
        return "NoneType"
    # an object standing for classes of several names (an nn.ReLU() is a
    # layers.Layer) says which one it is
    own = getattr(v, "py_type_name", None)
    if own.__class__ is str:
        return own
    name = type(v).__name__
    return _TORCH_TYPE_NAMES.get(name, name)


_TORCH_TYPE_NAMES = {"Size": "torch.Size", "DType": "torch.dtype", "Device": "torch.device",
                     "MemoryFormat": "torch.memory_format", "Layout": "torch.layout",
                     "Module": "module"}      # torch, math: the language's modules
