"""Python's string module: its constants (string.ascii_lowercase for a
character vocabulary, string.punctuation to strip text)."""
from __future__ import annotations

import string

NAMES = ("ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits",
         "octdigits", "punctuation", "printable", "whitespace")


def members(function) -> dict:
    return {name: getattr(string, name) for name in NAMES}
