"""The command line: thin glue that parses options, calls one function per
command, and maps errors to exit codes in one place.

Exit codes: 0 success; 1 the program failed at run time (or an output could
not be produced); 2 syntax error or bad usage; 3 internal error (a bug).
Heavy modules (rich, graphviz, wasmtime) are imported only when used.
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import os
import sys
import warnings

import click

from . import __version__
from .errors import GradvizError
from .terminal import color_option, make_console

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED = 130          # Ctrl-C, as shells report SIGINT
# a key in click's context meta: `gradviz run` runs under --watch (watch.py
# sets it), in a process that lives on after a run
WATCHING = "gradviz.watching"

# the limit flags every command that runs a program takes (see limit_options)
DEFAULT_TIMEOUT = 60.0


def _report(exc: GradvizError, source: str | None = None, filename: str | None = None) -> int:
    """Print a GradvizError the way compilers do; returns the exit code."""
    click.echo(exc.format(source, filename), err=True)
    return exc.exit_code


def _report_after_warnings(exc: GradvizError, record) -> int:
    """The run's warnings, then its error: the order in which Python shows
    them (a warning is printed when it is raised), so that the warning that
    often explains the error ("not a leaf Tensor", before "'NoneType' object
    has no attribute") is not read after it."""
    warn_nonfinite(record)
    return _report(exc)


def _internal(exc: BaseException, debug: bool, line: int | None = None) -> int:
    """A bug: a short message naming the program line, traceback only with --debug."""
    import traceback
    line = line or getattr(exc, "gradviz_line", None)
    where = f" while running line {line} of the program" if line else ""
    text = str(exc)
    text = text if len(text) <= 300 else text[:297] + "..."
    click.echo(f"gradviz: internal error{where}: {type(exc).__name__}: {text}", err=True)
    click.echo("This is a bug in gradviz, not in your program. Please report it with the "
               "program that caused it.", err=True)
    if debug:
        traceback.print_exception(exc)
    else:
        click.echo("(run again with --debug for the traceback)", err=True)
    return EXIT_INTERNAL


def guarded(fn):
    """The one error policy of every command. Put it right above the
    command's ``def``, below the click decorators and ``limit_options``::

        @main.command()
        @click.argument("file")
        @limit_options
        @guarded
        def render(file, limits): ...

    It adds ``--debug`` and turns the body's outcome into the exit code:
    the int it returns (None is 0); a GradvizError it raises is printed as
    ``FILE:LINE:COL: error: ...`` (exit 1, or 2 for syntax and file errors);
    Ctrl-C exits 130 without a traceback; any other exception is a bug: a
    short "internal error" message naming the program line, exit 3, the
    traceback only with --debug. The limit flags arrive as one ``limits``
    (a tape.Limits), and ``--timeout`` is enforced by a watchdog. Import
    heavy modules inside the body, so that a broken import is caught too.
    """
    @functools.wraps(fn)
    def command(*args, debug: bool = False, **kwargs):
        sys.exit(_run_guarded(fn, args, kwargs, debug))
    return click.option("--debug", is_flag=True,
                        help="Show Python tracebacks of internal errors.")(command)


def _run_guarded(fn, args, kwargs, debug) -> int:
    try:
        if "max_elements" in kwargs:
            kwargs["limits"] = _limits(kwargs)
        limits = kwargs.get("limits")
        # --watch runs until Ctrl-C: its runs keep their own deadline
        timeout = None if kwargs.get("watch") else getattr(limits, "timeout", None)
        with _watchdog(timeout), warnings.catch_warnings():
            # numpy's "invalid value" warnings while rendering NaN and inf:
            # the run's own warning line (warn_nonfinite) says it once
            warnings.simplefilter("ignore", RuntimeWarning)
            code = fn(*args, **kwargs)
        return EXIT_OK if code is None else code
    except GradvizError as exc:
        _flush()
        return _report(exc)
    except KeyboardInterrupt as exc:
        _flush()
        click.echo(f"gradviz: interrupted{_where_interrupted(exc)}", err=True)
        return EXIT_INTERRUPTED
    except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
        raise                      # usage errors: click prints them, exit 2
    except BrokenPipeError:
        # the reader went away (gradviz run x.txt | head): nothing left to say
        try:     # and Python's own flush at exit must not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_RUNTIME
    except MemoryError:
        _flush()
        click.echo("gradviz: error: out of memory", err=True)
        click.echo("hint: lower --max-elements or --max-graph-nodes so that the limits "
                   "stop the program first", err=True)
        return EXIT_RUNTIME
    except Exception as exc:
        _flush()
        return _internal(exc, debug)


def _where_interrupted(exc: KeyboardInterrupt) -> str:
    """" while running line N of FILE" for a Ctrl-C while the program ran
    (the line a loop that never ends was at), " while laying out the graph"
    in a step after it, else nothing."""
    line = getattr(exc, "gradviz_line", None)
    if line:
        return f" while running line {line} of {exc.gradviz_file}"
    step = getattr(exc, "gradviz_step", None)
    return f" while {step} (the program itself ran to its end)" if step else ""


def _flush() -> None:
    """Put the program's output before the error message."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass


def limit_options(fn):
    """Add --max-elements, --max-graph-nodes, --max-file-size and --timeout;
    under @guarded the command receives them as one ``limits``."""
    options = (
        click.option("--max-elements", type=click.IntRange(min=1), default=10_000_000,
                     show_default=True, metavar="N", help="Most elements in one tensor."),
        click.option("--max-graph-nodes", type=click.IntRange(min=1), default=1_000_000,
                     show_default=True, metavar="N", help="Most tensors a program may make."),
        click.option("--max-file-size", type=click.IntRange(min=1), default=5_000_000,
                     show_default=True, metavar="BYTES", help="Largest program file."),
        click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT,
                     show_default=True, metavar="SECONDS",
                     help="Stop a run that takes longer (0: no limit)."),
    )
    for option in reversed(options):
        fn = option(fn)
    return fn


def _limits(kwargs):
    from .tape import Limits
    timeout = kwargs.pop("timeout")
    return Limits(max_elements=kwargs.pop("max_elements"),
                  max_nodes=kwargs.pop("max_graph_nodes"),
                  max_source_bytes=kwargs.pop("max_file_size"),
                  timeout=timeout or None)


def graph_options(fn):
    """Add the picture options (--engine, --legend, --show, --rankdir,
    --theme, --title, --max-nodes, --pass, --expand-transforms); the command
    receives them as keywords."""
    options = (
        click.option("--engine", type=click.Choice(("auto", "system", "embedded")),
                     default="auto", show_default=True,
                     help="Graphviz for SVG: the 'dot' program on PATH (system), the one "
                          "bundled with gradviz (embedded), or system when present (auto)."),
        click.option("--legend", is_flag=True, help="Add a key to the shapes and colours."),
        click.option("--show", type=click.Choice(("forward", "backward", "both")),
                     default="both", show_default=True,
                     help="Draw the forward edges, the gradient edges, or both."),
        click.option("--rankdir", type=click.Choice(("TB", "LR", "BT", "RL")), default="TB",
                     show_default=True,
                     help="Direction of the graph: TB top to bottom, LR left to right (a "
                          "wide slide), BT bottom to top, RL right to left."),
        click.option("--theme", type=click.Choice(("light", "dark", "print")), default="light",
                     show_default=True, help="Colours; print is black on white for papers."),
        click.option("--title", metavar="TEXT", help="A caption above the graph."),
        click.option("--max-nodes", type=click.IntRange(min=0), default=300,
                     show_default=True, metavar="N",
                     help="Fold long chains into summary nodes above N tensors (0: never)."),
        click.option("--expand-transforms", is_flag=True,
                     help="Draw (and list in the table) every op torch.func's transforms "
                          "(jacrev, grad, vjp, ...) run inside, instead of one box (one row) "
                          "per transform call."),
        click.option("--pass", "pass_no", type=PassNumber(), metavar="N|last|all",
                     help="Draw only the N-th backward()/autograd.grad() call's subgraph "
                          "(one step of a training loop) with its gradients; all: every "
                          "pass (the default, except that the picture of a loop of more "
                          "than 4 passes and 100 tensors shows the last)."),
    )
    for option in reversed(options):
        fn = option(fn)
    return fn


class PassNumber(click.ParamType):
    """--pass: a pass number (1, 2, ...), 'last' or 'all'."""

    name = "N|last|all"

    def convert(self, value, param, ctx):
        if value in ("last", "all") or isinstance(value, int):
            return value
        try:
            n = int(value)
        except ValueError:
            n = 0
        if n < 1:
            self.fail(f"{value!r} is not a pass number: write 1, 2, ..., last or all",
                      param, ctx)
        return n


def _graph_kwargs(kwargs: dict) -> dict:
    """The picture options of a command, for render.dot.build_dot."""
    return {k: kwargs[k] for k in ("show", "rankdir", "theme", "title", "legend", "max_nodes",
                                   "pass_no", "expand_transforms")}


def write_graph(record, *, dot_path=None, svg_path=None, engine="auto",
                timeout: float | None = None, leave_running: bool = False, **graph) -> None:
    """Write the DOT and/or SVG picture of a record; a note about folding
    goes to stderr (one line). ``timeout`` bounds the layout (seconds);
    ``leave_running``: the process ends after a timeout, so the layout may
    use the faster engine that a timeout leaves running (layout.dot_to_svg)."""
    from .files import write_atomic
    from .render.dot import build_dot

    with _slow_step("drawing the graph"):
        result = build_dot(record, **graph)
    if result.note:
        click.echo(f"gradviz: note: {result.note}", err=True)
    svg = None
    if svg_path:
        from .render.layout import dot_to_svg
        with _slow_step("laying out the graph"):
            svg = dot_to_svg(result.source, engine=engine, timeout=timeout,
                             leave_running=leave_running)
    if dot_path:
        write_atomic(dot_path, result.source)
    if svg is not None:
        write_atomic(svg_path, svg)


# the steps after the run under way, innermost last: a timeout in one names
# it (the program ran to its end: "the run took longer" would blame it)
_steps: list[str] = []


@contextlib.contextmanager
def _slow_step(description: str):
    """A progress line on stderr for a step that runs over a second."""
    from .progress import SlowStep
    _steps.append(description)
    try:
        with SlowStep(description):
            yield
    except KeyboardInterrupt as exc:
        exc.gradviz_step = description      # (for the message: _where_interrupted)
        raise
    finally:
        _steps.pop()


def run_with_progress(source: str, filename: str, stdout=None, **options):
    """runner.run_source, with a progress line on stderr when it runs for
    more than a second (the line ends at the program's first print)."""
    from .progress import SlowStep, run_poll
    from .runner import run_source

    poll, observer = run_poll(source)
    with SlowStep("running", poll) as step:
        out = step.output(sys.stdout if stdout is None else stdout)
        return run_source(source, filename=filename, stdout=out, observer=observer, **options)


def _one_stdout(**paths) -> bool:
    """Whether an output goes to stdout; at most one may (else a usage error)."""
    to_stdout = [name for name, path in paths.items() if path == "-"]
    if len(to_stdout) > 1:
        raise click.UsageError("only one output can go to standard output ('-'), not "
                               + " and ".join("--" + name for name in to_stdout))
    return bool(to_stdout)


@contextlib.contextmanager
def _watchdog(seconds: float | None):
    """Raise the timeout error when the block runs longer than `seconds`.

    The interpreter checks the time between statements; this alarm also
    stops a long backward pass or render. A signal handler runs between
    Python bytecodes, so one long numpy call finishes first (the limits
    keep any one call to seconds). Only possible in the main thread, on Unix.
    """
    import signal       # here, not at the top: `gradviz --help` needs neither
    import threading

    if not seconds or not hasattr(signal, "setitimer") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return
    from .tape import timeout_error
    # the limit is the program's, not gradviz's own start: the interpreter's
    # modules are imported before the alarm is set (on a busy machine their
    # import alone once took over a second, and an alarm inside an import
    # said "the run took longer" of a program that never started)
    from . import runner
    del runner         # (imported for its modules' sake)

    def expire(signum, frame):
        raise timeout_error(seconds, _steps[-1] if _steps else None)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def warn_nonfinite(record) -> None:
    """After a run: PyTorch's UserWarnings (on stderr, as Python shows them:
    once per line of the program), then one warning line for NaN/inf
    values, one for NaN/inf gradients, naming the node that produced the
    first."""
    from .numerics import warning_lines
    seen = set()
    for ev in record.events:
        if ev["kind"] in ("nonleaf_grad_read", "user_warning"):
            message = ev.get("message", NONLEAF_GRAD_WARNING)
            if (ev["line"], message) not in seen:
                seen.add((ev["line"], message))
                # (one line: PyTorch's two-line messages joined)
                one_line = message.replace("\n", " ")
                category = ev.get("category", "UserWarning")    # (warnings.warn's)
                click.echo(f"warning: line {ev['line']}: {category}: {one_line}", err=True)
    for line in warning_lines(record.nonfinite, record):
        click.echo(line, err=True)


# PyTorch's words when a program reads .grad of a tensor that is not a leaf
# (all but where it was triggered inside PyTorch's build)
NONLEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


class _Program(click.Group):
    """The command group; called as the program (the console script and
    ``python -m gradviz`` call it, click's CliRunner calls ``.main``), it also
    makes the interpreter's exit cheaper."""

    def __call__(self, *args, **kwargs):
        # Python's shutdown ends with full garbage collections over every
        # object still alive, tens of ms with numpy and click loaded (a tenth
        # of a small `gradviz run`). Frozen objects are skipped; atexit
        # handlers, thread joins, stream flushes and module teardown all
        # still run. Done at exit, so a process that goes on is unaffected.
        atexit.register(gc.freeze)
        # A command runs one program and the process ends: the cyclic
        # collector would only walk the graph's objects, which hold no
        # cycles (see gcpause), 0.5 s after the run of a 300,000-node graph.
        # So it stays off; --watch, which lives on, turns it back on.
        # (Called as a function, by click's CliRunner, nothing changes.)
        gc.disable()
        return super().__call__(*args, **kwargs)

    def resolve_command(self, ctx, args):
        # `gradviz prog.txt`, as one runs `python prog.py`: say the command
        if args and self.get_command(ctx, args[0]) is None and os.path.isfile(args[0]):
            import shlex
            raise click.UsageError(f"No such command {args[0]!r}: to run the program, write "
                                   f"{ctx.command_path} run {shlex.quote(args[0])}", ctx)
        return super().resolve_command(ctx, args)


@click.group(cls=_Program, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradviz")
@color_option
def main():
    """gradviz: run a PyTorch autograd program and see every value and gradient."""


@main.command()
@click.argument("file", type=str)
@click.option("--no-tables", is_flag=True, help="Print only the program's own output.")
@click.option("--json", "json_path", metavar="PATH", help="Write the record as JSON ('-' for stdout).")
@click.option("--svg", "svg_path", metavar="PATH", help="Write the graph as SVG ('-' for stdout).")
@click.option("--dot", "dot_path", metavar="PATH", help="Write the graph as DOT ('-' for stdout).")
@click.option("--watch", is_flag=True,
              help="Run again whenever FILE changes; outputs keep the last good run. Ctrl-C stops.")
@click.option("--mode", type=click.Choice(("reverse", "forward", "both")), default="reverse",
              show_default=True,
              help="Which autodiff mode's gradients to show: reverse (backward), forward "
                   "(one JVP pass per input element), or both side by side.")
@click.option("--direction", metavar="VALUES",
              help="With --mode forward|both: one JVP pass along these input tangents "
                   "(numbers, a JSON list, or JSON {\"name\": values}) instead of the "
                   "whole Jacobian.")
@graph_options
@color_option
@limit_options
@guarded
def run(file, no_tables, json_path, svg_path, dot_path, watch, mode, direction, limits,
        engine, **graph):
    """Run FILE ('-' for stdin) as PyTorch would, then show the graph.

    With an output to stdout ('-'), the tables are left out (the program's
    own prints still come first; `gradviz render FILE -o -` gives the
    picture alone)."""
    if _one_stdout(json=json_path, svg=svg_path, dot=dot_path):
        no_tables = True
    options = _mode_options(mode, direction)
    from .files import check_outputs, read_program, write_atomic
    check_outputs(file, {"--json": json_path, "--svg": svg_path, "--dot": dot_path})
    if watch:
        from .watch import WatchUsageError, watch_run
        try:
            return watch_run(click.get_current_context(), file)
        except WatchUsageError as exc:
            raise click.UsageError(str(exc)) from None
    source = read_program(file, limits.max_source_bytes)
    code = EXIT_OK
    try:
        record = run_with_progress(source, file, limits=limits, options=options)
    except GradvizError as exc:
        if exc.record is None:       # a syntax error: nothing ran
            raise
        record = exc.record
        sys.stdout.flush()
        code = _report_after_warnings(exc, record)
    else:
        warn_nonfinite(record)
    # each output is written whole or not at all; the JSON of a failed run too
    if json_path:
        from .render.jsonout import record_json_parts
        with _slow_step("writing the JSON"):
            text = record_json_parts(record)
        write_atomic(json_path, text)
    if dot_path or svg_path:
        # (a run under --watch lives on after a timeout: see WATCHING)
        write_graph(record, dot_path=dot_path, svg_path=svg_path, engine=engine,
                    timeout=limits.timeout, **_graph_kwargs(graph),
                    leave_running=not click.get_current_context().meta.get(WATCHING))
    if not no_tables:
        from .render.tables import prepare_tables, print_tables
        console = make_console()
        # what the tables count over every node, made once (a fraction of a
        # second for a few hundred thousand nodes); then the rows shown
        with _slow_step("preparing the tables"):
            prepare_tables(record)
        print_tables(record, console=console, pass_no=graph["pass_no"],
                     expand_transforms=graph["expand_transforms"])
        if record.forward_mode is not None:
            from .render.modes import print_forward_mode
            print_forward_mode(record, console)
    return code


def _mode_options(mode: str, direction: str | None):
    """RunOptions for --mode/--direction (None: plain reverse mode)."""
    if direction is not None and mode == "reverse":
        raise click.UsageError("--direction needs --mode forward or --mode both")
    if mode == "reverse":
        return None
    from .forward import parse_direction
    from .tape import RunOptions
    return RunOptions(forward_mode=mode,
                      direction=None if direction is None else parse_direction(direction))


RENDER_FORMATS = {".svg": "svg", ".dot": "dot", ".gv": "dot", ".json": "json"}


@main.command()
@click.argument("file", type=str)
@click.option("-o", "--output", metavar="PATH", required=True,
              help="Where to write: .svg, .dot or .json ('-' for stdout: SVG unless --format).")
@click.option("--format", "fmt", type=click.Choice(("svg", "dot", "json")),
              help="Output format (default: from the suffix of -o).")
@graph_options
@limit_options
@guarded
def render(file, output, fmt, limits, engine, **graph):
    """Run FILE ('-' for stdin) and write only its picture (or record).

    The program's own prints go to stderr, so OUTPUT (or stdout) holds the
    picture alone. A program that fails is still drawn, with the failing
    statement highlighted, and the exit status is 1."""
    from pathlib import PurePath

    from .files import check_outputs, read_program, write_atomic

    if fmt is None:
        # stdout gets the picture: `gradviz run --help` points to `render FILE -o -`
        fmt = RENDER_FORMATS.get(PurePath(output).suffix.lower()) if output != "-" else "svg"
        if fmt is None:
            raise click.UsageError(
                f"cannot tell the format of {output!r}: name it .svg, .dot or .json, "
                "or give --format")
    check_outputs(file, {"-o": output})
    source = read_program(file, limits.max_source_bytes)
    code = EXIT_OK
    try:
        record = run_with_progress(source, file, stdout=sys.stderr, limits=limits)
    except GradvizError as exc:
        if exc.record is None:       # a syntax error: nothing ran
            raise
        record = exc.record
        code = _report_after_warnings(exc, record)
    else:
        warn_nonfinite(record)
    if fmt == "json":
        from .render.jsonout import record_json_parts
        with _slow_step("writing the JSON"):
            text = record_json_parts(record)
        write_atomic(output, text)
    else:
        write_graph(record, engine=engine, timeout=limits.timeout, **{f"{fmt}_path": output},
                    **_graph_kwargs(graph), leave_running=True)
    return code


@main.command()
@click.argument("file", type=str)
@click.option("--tol", type=click.FloatRange(min=0, min_open=True),
              default=1e-5, show_default=True,     # gradcheck.DEFAULT_TOL (not imported here)
              help="Largest error allowed, relative to max(1, the largest gradient element).")
@click.option("--sample", type=click.IntRange(min=0), default=256, show_default=True,
              metavar="N",     # gradcheck.SAMPLE (not imported here)
              help="Check a leaf with more than N elements at N of them, the same ones every "
                   "run (0: every element; each costs a few replays of the graph).")
@color_option
@limit_options
@guarded
def check(file, tol, sample, limits):
    """Check every backward() of FILE numerically: in float64, each leaf's
    gradient against central finite differences and forward mode.

    Exit 0 when all agree (kinks such as relu at 0 are reported, not
    failed), 1 naming the leaf and the op whose rule is wrong otherwise."""
    from .files import read_program
    from .gradcheck import check_source
    from .progress import SlowStep, run_poll
    from .render.modes import print_check

    source = read_program(file, limits.max_source_bytes)
    console = make_console()
    poll, observer = run_poll(source)
    try:
        with SlowStep("checking", poll):
            report = check_source(source, file, tol, limits, sample, observer)
    except GradvizError as exc:
        partial = getattr(exc, "check", None)
        if partial is not None and partial.passes:
            print_check(partial, console)
        raise
    print_check(report, console)
    for message in report.failure_messages():
        click.echo(f"{file}: check failed: {message}", err=True)
    return EXIT_OK if report.ok else EXIT_RUNTIME


@main.command()
@click.argument("file", type=str)
@click.option("--pass", "pass_no", type=PassNumber(), metavar="N|last|all",
              help="Only the N-th backward()/autograd.grad() call, or the last, or all "
                   "(the default, except for a loop of more than 4 passes and 100 tensors: "
                   "the last).")
@click.option("--svg-frames", "frames_dir", metavar="DIR",
              help="Write one SVG per step into DIR (made if missing): step-001.svg, ...")
@click.option("--html", "html_path", metavar="PATH",
              help="Write one self-contained page with the frames, a slider and each "
                   "step's text ('-' for stdout).")
@click.option("--theme", type=click.Choice(("light", "dark", "print")), default="light",
              show_default=True, help="Colours of the pictures and the page.")
@click.option("--engine", type=click.Choice(("auto", "system", "embedded")), default="auto",
              show_default=True, help="Graphviz for the pictures (as for `gradviz run`).")
@click.option("--max-nodes", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="N", help="Fold long chains in the pictures above N tensors (0: never, "
                                "so that every step's node is drawn).")
@click.option("--max-steps", type=click.IntRange(min=0), default=1000, show_default=True,
              metavar="N", help="Rows of the table: the first and last N/2 steps (0: all).")
@color_option
@limit_options
@guarded
def explain(file, pass_no, frames_dir, html_path, theme, engine, max_nodes, max_steps, limits):
    """Show the backward pass of FILE step by step: each node's upstream
    gradient, the local derivative as a formula, the product sent to each
    input, and the sums where branches join, in the order the engine ran them.

    A program that fails is explained up to the failure (exit 1)."""
    from .explain import explain_record, print_explanation
    from .files import check_folder, check_outputs, read_program, write_atomic
    from .runner import run_source

    to_stdout = html_path == "-"
    check_outputs(file, {"--html": html_path})
    if frames_dir:
        check_folder(frames_dir, "--svg-frames")
    source = read_program(file, limits.max_source_bytes)
    code = EXIT_OK
    try:
        record = run_source(source, filename=file, limits=limits,
                            stdout=sys.stderr if to_stdout else None)
    except GradvizError as exc:
        if exc.record is None or not exc.record.passes:
            raise
        record = exc.record
        sys.stdout.flush()
        code = _report_after_warnings(exc, record)
    else:
        warn_nonfinite(record)       # PyTorch's warnings, as `gradviz run` shows them
    from .render.dot import AUTO_PASSES, AUTO_NODES
    passes = len(record.passes)
    if pass_no is None and passes > AUTO_PASSES and len(record.nodes) > AUTO_NODES:
        # a training loop: its last step (every step would be thousands of rows and frames)
        pass_no = "last"
        click.echo(f"gradviz: note: explained the last of the {passes:,} backward passes "
                   "only (one step of the loop): --pass N explains another, --pass all "
                   "every one", err=True)
    ex = explain_record(record, None if pass_no == "all" else pass_no)
    if frames_dir or html_path:
        from .render.frames import check_frames, pass_pictures, step_frames
        check_frames(ex)
        pictures = pass_pictures(ex, theme=theme, engine=engine, max_nodes=max_nodes,
                                 timeout=limits.timeout, leave_running=True)
        if frames_dir:
            from pathlib import Path

            from .errors import FILE
            folder = Path(frames_dir)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise GradvizError(f"cannot make the folder {frames_dir}: {exc.strerror}",
                                   kind=FILE) from None
            digits = max(3, len(str(len(ex.steps))))
            for st, svg in step_frames(pictures, captions=ex):
                write_atomic(folder / f"step-{st.number:0{digits}d}.svg", svg)
        if html_path:
            from .render.html import explanation_html
            write_atomic(html_path, explanation_html(ex, pictures, theme=theme))
    if not to_stdout:
        print_explanation(ex, make_console(), max_steps)
    return code


@main.command()
@click.option("--format", "fmt", type=click.Choice(("table", "markdown")), default="table",
              help="A table for the terminal, or Markdown (as in docs/dsl.md).")
@color_option
@guarded
def ops(fmt):
    """List every op: how to write it, PyTorch's grad_fn, its VJP formula, JVP."""
    from .render.opstable import ops_markdown, ops_table

    if fmt == "markdown":
        click.echo(ops_markdown(), nl=False)
    else:
        console = make_console()
        console.print(ops_table(width=console.width))


# (short_help: click's own stops at the first word ending in ".", which
# here was "torch." of "torch. prefix")
@main.command(short_help="Write FILE as a runnable PyTorch script.")
@click.argument("file", type=str)
@click.option("--torch", "to_torch", is_flag=True, required=True,
              help="Write a PyTorch script (the only export format so far).")
@click.option("-o", "--output", metavar="PATH", default="-", show_default=True,
              help="Where to write the script ('-' for stdout).")
@guarded
def export(file, to_torch, output):
    """Write FILE as a runnable PyTorch script (names get their torch. prefix)."""
    from .export import to_torch as export_torch
    from .files import check_outputs, read_program, write_atomic

    check_outputs(file, {"-o": output})
    source = read_program(file)
    try:
        script = export_torch(source, file)
    except GradvizError as exc:     # a syntax error: shown with the line it is on
        return _report(exc, source, file)
    write_atomic(output, script)
    return EXIT_OK
