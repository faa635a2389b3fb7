"""Terminal manners: when to colour, how wide to draw, one option for both.

``--color auto`` (the default) colours only when standard output is a
terminal and ``NO_COLOR`` is unset or empty (https://no-color.org);
``--color always`` colours even into a pipe or a file (and beats
``NO_COLOR``: a flag typed on the command line is the more specific wish);
``--color never`` writes no escape codes at all. The width is the
terminal's (``COLUMNS`` or 80 when output is not a terminal), as rich
measures it. The option is accepted before the command (``gradviz --color
never run f.txt``) or after it (``gradviz run f.txt --color never``); the
later one wins.
"""
from __future__ import annotations

import os

import click

COLOR_CHOICES = ("auto", "always", "never")
META_KEY = "gradviz.color"     # where the choice is kept in click's shared ctx.meta


def _remember(ctx: click.Context, param, value):
    if value is not None:
        ctx.meta[META_KEY] = value
    return value


def color_option(f):
    """Add ``--color auto|always|never`` to a click group or command."""
    return click.option("--color", type=click.Choice(COLOR_CHOICES), default=None,
                        expose_value=False, callback=_remember,
                        help="Colour the output: auto (a terminal, NO_COLOR unset), "
                             "always, or never.")(f)


def current_color() -> str:
    """The --color choice of the running command ('auto' when none)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(META_KEY, "auto") if ctx is not None else "auto"


def make_console(color: str | None = None, file=None, stderr: bool = False):
    """A rich Console that follows --color, NO_COLOR and the terminal's width."""
    from rich.console import Console

    color = color or current_color()
    if color == "auto" and os.environ.get("NO_COLOR", ""):
        color = "never"
    if color == "never":
        # color_system=None: no escape codes at all, not even bold
        return Console(file=file, stderr=stderr, color_system=None, no_color=True,
                       highlight=False)
    if color == "always":
        console = Console(file=file, stderr=stderr, force_terminal=True, no_color=False)
        if console.color_system is None:   # TERM=dumb or unknown: still colour
            console = Console(file=file, stderr=stderr, force_terminal=True, no_color=False,
                              color_system="standard")
        return console
    return Console(file=file, stderr=stderr)
