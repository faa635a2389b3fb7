"""The command line: thin glue that parses options, calls one function per
command, and maps errors to exit codes in one place.

Exit codes: 0 success; 1 the program failed at run time (or an output could
not be produced); 2 syntax error or bad usage; 3 internal error (a bug).
Heavy modules (rich, graphviz, wasmtime) are imported only when used.
"""
from __future__ import annotations

import sys

import click

from . import __version__

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Failure(Exception):
    def __init__(self, code):
        self.code = code


def _report(exc, source, filename) -> int:
    """Print a GradvizError the way compilers do; returns the exit code."""
    click.echo(exc.format(source, filename), err=True)
    return exc.exit_code


def _internal(exc, debug, line) -> int:
    import traceback
    where = f" while running line {line}" if line else ""
    click.echo(f"gradviz: internal error{where}: {type(exc).__name__}: {exc}", err=True)
    click.echo("This is a bug in gradviz, not in your program. Please report it with the "
               "program that caused it.", err=True)
    if debug:
        traceback.print_exc()
    else:
        click.echo("(run again with --debug for the traceback)", err=True)
    return EXIT_INTERNAL


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradviz")
def main():
    """gradviz: run a PyTorch autograd program and see every value and gradient."""


@main.command()
@click.argument("file", type=str)
@click.option("--no-tables", is_flag=True, help="Print only the program's own output.")
@click.option("--json", "json_path", metavar="PATH", help="Write the record as JSON ('-' for stdout).")
@click.option("--svg", "svg_path", metavar="PATH", help="Write the graph as SVG ('-' for stdout).")
@click.option("--dot", "dot_path", metavar="PATH", help="Write the graph as DOT ('-' for stdout).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks of internal errors.")
def run(file, no_tables, json_path, svg_path, dot_path, debug):
    """Run FILE ('-' for stdin) as PyTorch would, then show the graph."""
    from .errors import GradvizError
    from .files import read_program, write_atomic
    from .runner import run_source

    source = None
    record = None
    code = EXIT_OK
    try:
        source = read_program(file)
        try:
            record = run_source(source, filename=file)
        except GradvizError as exc:
            record = exc.record
            sys.stdout.flush()
            code = _report(exc, source, file)
        if json_path and record is not None:
            write_atomic(json_path, record.to_json())
        if not no_tables and record is not None:
            from .render.tables import print_tables
            print_tables(record)
    except GradvizError as exc:
        code = max(code, _report(exc, source, file))
    except Exception as exc:  # a bug: short message, traceback only with --debug
        code = _internal(exc, debug, None)
    sys.exit(code)
