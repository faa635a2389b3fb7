"""gradviz in Jupyter: the rich display of a Record and the ``%%gradviz`` magic.

``import gradviz; r = gradviz.run_source(text)`` shows the graph when ``r``
is the last value of a cell (Record._repr_svg_) and the graph with the
tables under it (Record._repr_html_, built here). ``%load_ext gradviz``
registers the cell magic::

    %%gradviz [NAME] [--no-tables] [--no-graph]
    x = arange(4.0, requires_grad=True)
    (x * x).sum().backward()

which runs the cell as a program, prints its output, then displays the
picture and the tables; NAME, when given, is bound to the Record in the
notebook. A failing program is reported the way the command line reports
it (``<cell>:LINE:COL: error: ...`` with a caret and a hint), never as a
Python traceback; the tables of the run so far are still shown.

IPython is imported only by the magic, so the rest of gradviz never needs it.
"""
from __future__ import annotations

import html
import io
import shlex
import sys

CELL_FILENAME = "<cell>"
# tables in a notebook are exported at a fixed width: a notebook has no
# terminal to measure, and a fixed width keeps the HTML byte-identical
HTML_TABLE_WIDTH = 120
# a fragment, not a page: notebooks embed it in their own document
HTML_PRE = ('<pre style="font-family:Menlo,\'DejaVu Sans Mono\',consolas,\'Courier New\','
            'monospace;font-size:12px;line-height:1.3;color:{foreground};'
            'background-color:{background};overflow-x:auto">{code}</pre>')
MAGIC_USAGE = "usage: %%gradviz [NAME] [--no-tables] [--no-graph]"


def svg_or_none(record) -> str | None:
    """The graph as SVG, or None when no layout engine could draw it (the
    reason goes to the HTML display instead of a traceback)."""
    from .errors import GradvizError

    try:
        return record.to_svg()
    except GradvizError:
        return None


def _inline_svg(svg: str) -> str:
    """SVG text as an element of an HTML page: without the XML prolog and
    DOCTYPE, which are only valid at the start of a document."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def tables_html(record, width: int = HTML_TABLE_WIDTH) -> str:
    """The terminal tables of a record as an HTML fragment (inline styles)."""
    from rich.console import Console

    from .render.tables import print_tables

    console = Console(record=True, file=io.StringIO(), width=width, color_system="truecolor",
                      force_terminal=True, force_jupyter=False)
    print_tables(record, console=console)
    return console.export_html(inline_styles=True, code_format=HTML_PRE)


def error_text(record) -> str | None:
    """The record's error as one line (and its hint), or None."""
    err = record.error
    if not err:
        return None
    where = f"{record.filename}:{err['line']}:{err['column']}: " if err.get("line") else ""
    text = f"{where}error: {err['message']}"
    if err.get("hint"):
        text += f"\nhint: {err['hint']}"
    return text


def record_html(record, graph: bool = True, tables: bool = True, error: bool = True,
                svg: str | None = None) -> str:
    """The error (if any), the graph (inline SVG) and the tables, as one HTML
    fragment. `svg`, when given, is the graph already drawn."""
    parts = ['<div class="gradviz">']
    err = error_text(record) if error else None
    if err:
        parts.append(f'<pre style="color:#b00020">{html.escape(err)}</pre>')
    if graph:
        svg = svg if svg is not None else svg_or_none(record)
        if svg is None:
            parts.append("<p><em>gradviz: no Graphviz engine could draw the graph; "
                         "the tables follow.</em></p>")
        else:
            parts.append(f"<div>{_inline_svg(svg)}</div>")
    if tables:
        parts.append(tables_html(record))
    parts.append("</div>")
    return "\n".join(parts)


# ---- the cell magic ------------------------------------------------------

def load_ipython_extension(ipython) -> None:
    """``%load_ext gradviz``: register the ``%%gradviz`` cell magic."""
    ipython.register_magic_function(_make_magic(ipython), magic_kind="cell",
                                    magic_name="gradviz")


def _parse_magic_line(line: str) -> tuple[str | None, bool, bool]:
    """NAME, tables, graph from the magic's line; ValueError on bad usage."""
    name, tables, graph = None, True, True
    for word in shlex.split(line):
        if word == "--no-tables":
            tables = False
        elif word == "--no-graph":
            graph = False
        elif not word.startswith("-") and name is None and word.isidentifier():
            name = word
        else:
            raise ValueError(f"unexpected {word!r}")
    return name, tables, graph


def _make_magic(ipython):
    def gradviz(line: str, cell: str) -> None:
        """Run the cell as a gradviz program; show its output, graph and tables."""
        try:
            name, tables, graph = _parse_magic_line(line)
        except ValueError as exc:
            print(f"gradviz: {exc}\n{MAGIC_USAGE}", file=sys.stderr)
            return None
        record = run_cell(cell)
        if record is None:
            return None
        if name:
            ipython.user_ns[name] = record
        show(record, tables=tables, graph=graph)
        return None
    return gradviz


def run_cell(cell: str):
    """Run a cell's text; errors go to stderr as the CLI words them.

    Returns the Record (of the run so far, when the program failed at run
    time), or None when nothing ran (a syntax error, an empty cell)."""
    from .errors import GradvizError
    from .runner import run_source

    if not cell.strip():
        print(f"{CELL_FILENAME}: error: the cell is empty", file=sys.stderr)
        return None
    try:
        return run_source(cell, filename=CELL_FILENAME)
    except GradvizError as exc:
        sys.stdout.flush()
        print(exc.format(cell, CELL_FILENAME), file=sys.stderr)
        return exc.record
    except Exception as exc:  # a bug in gradviz: say so briefly, as the CLI does
        print(f"gradviz: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in gradviz, not in your program. Please report it with the "
              "program that caused it.", file=sys.stderr)
        return None


def show(record, tables: bool = True, graph: bool = True) -> None:
    """Display a record: image/svg+xml (the graph) and text/html (graph and
    tables); a front end shows the richest one it can."""
    from IPython.display import display

    bundle = {"text/plain": f"<gradviz record: {len(record.nodes)} nodes>"}
    svg = svg_or_none(record) if graph else None
    if svg is not None:
        bundle["image/svg+xml"] = svg
    if tables or graph:
        # the error was already printed, as the command line prints it
        bundle["text/html"] = record_html(record, graph=graph, tables=tables, error=False,
                                          svg=svg)
    display(bundle, raw=True)
