"""Parse, run, and package the result as a Record: the one pipeline that the
CLI, the Python API and the tests share."""
from __future__ import annotations

import sys
import warnings

import numpy as np

from . import syntax
from .errors import GradvizError
from .gcpause import gc_paused
from .heap import keep_freed_memory
from .interpreter import Interpreter
from .parser import parse
from .record import Record
from .tape import RunOptions
from .tensor import Tensor


def run_source(text: str, filename: str = "<string>", stdout=None, limits=None,
               options: RunOptions | None = None, observer=None) -> Record:
    """Run a program. A GradvizError it raises carries the source, the file
    name and the record so far; any other exception is a bug, and carries
    the program line it happened on as ``gradviz_line``. ``observer``, when
    given, is called with the Interpreter just before it runs (the CLI's
    progress line reads its ``line`` from another thread)."""
    out = sys.stdout if stdout is None else stdout
    keep_freed_memory()
    recorder = None
    if options is not None and options.forward_mode:
        options, recorder = _with_forward_mode(options)
    # One pause of the cyclic collector for parse, run and record (see
    # gcpause): the syntax tree is dropped inside it, so the collection that
    # ends it walks only what the record keeps.
    with gc_paused():
        try:
            program = parse(text, filename)
        except GradvizError as exc:
            exc.source, exc.filename = text, filename
            raise
        rt = Interpreter(text, _Tee(out), limits, options)
        if observer is not None:
            observer(rt)
        error = None
        # NaN and inf are values a learner should see (the CLI counts them
        # after the run), not numpy warnings on stderr
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                rt.run(program)
            except GradvizError as exc:
                error = exc
            except KeyboardInterrupt as exc:
                # Ctrl-C: the CLI says where the program was (a loop that never ends)
                exc.gradviz_line, exc.gradviz_file = rt.line, filename
                raise
            except Exception as exc:
                exc.gradviz_line = rt.line
                exc.add_note(f"(while running line {rt.line} of {filename})")
                raise
        record = _make_record(rt, text, filename, error, program)
        del program, rt
    if recorder is not None:
        record.forward_mode = recorder.result(record)
    if error is not None:
        error.record = record
        error.source, error.filename = text, filename
        try:
            raise error
        finally:
            # this frame, which the error's traceback holds, must not hold the
            # error: a cycle that only the cyclic collector could free, with
            # the whole record in it
            error = None
    return record


def run_file(path, stdout=None, limits=None, options: RunOptions | None = None) -> Record:
    from .files import read_program
    text = read_program(path) if limits is None else read_program(path, limits.max_source_bytes)
    return run_source(text, filename=str(path), stdout=stdout, limits=limits, options=options)


def _with_forward_mode(options: RunOptions):
    """Options whose on_backward also runs forward mode (after any hook the
    caller set), and the recorder that collects it."""
    from dataclasses import replace

    from .forward import ForwardRecorder
    recorder = ForwardRecorder(options.forward_mode, options.direction)
    inner = options.on_backward
    if inner is None:
        return replace(options, on_backward=recorder), recorder

    def both(*args):
        inner(*args)
        recorder(*args)
    return replace(options, on_backward=both), recorder


class _Tee:
    """Writes through to the stream and keeps a copy for the record."""

    def __init__(self, stream):
        self.stream = stream
        self.parts = []

    def write(self, s):
        self.parts.append(s)
        self.stream.write(s)


def _make_record(rt: Interpreter, text, filename, error, program) -> Record:
    variables = {}
    for name, v in rt.env.items():
        if v.__class__ is Tensor and v.seq >= 0:
            variables[name] = f"n{v.seq}"
    err = None
    error_tensors = []
    if error is not None:
        sp = error.span
        err = {"type": error.kind, "message": error.message,
               "line": sp.line if sp else None, "column": sp.col if sp else None,
               "hint": error.hint}
        # the tensors the error is about: its own (a version error's), or
        # those the failing statement names
        marked = getattr(error, "tensors", None)
        if marked:
            error_tensors = marked
            err["marked"] = error.marked
        elif sp is not None:
            error_tensors = _tensors_on_line(rt, program, sp.line)
        failed = getattr(error, "failed_call", None)
        if failed is not None:          # a backward() whose error ended the run
            failed["stopped"] = True
    return Record(source=text, filename=filename, output="".join(rt.out.parts),
                  variable_ids=variables, error=err, tensors=rt.tape.nodes, snapshots=rt.tape.snapshots,
                  raw_events=rt.tape.events,
                  no_grad_blocks=[(s.line, s.end_line) for s in rt.tape.no_grad_blocks],
                  block_titles=rt.tape.block_titles,
                  error_tensors=error_tensors, loop_marks=rt.tape.loop_marks,
                  transforms=rt.tape.transforms, local_names=rt.tape.local_names)


def _tensors_on_line(rt, program, line) -> list[int]:
    """Tensors named in the failing statement (to highlight in pictures)."""
    stmts = list(program.body)
    found = []
    while stmts:
        s = stmts.pop()
        if s.__class__ is syntax.Repeat:
            s = s.moved()
        blocks = syntax.blocks(s)
        for block in blocks:
            stmts.extend(block)
        if s.__class__ is syntax.With:
            pass                      # (its span covers its block)
        elif s.span.line <= line <= s.span.end_line:
            # a block's header: only its test (or what a for loop walks)
            stack = [s] if not blocks else list(syntax.header(s))
            while stack:
                node = stack.pop()
                if node.__class__ is syntax.Name:
                    v = rt.env.get(node.id)
                    if v.__class__ is Tensor and v.seq >= 0:
                        found.append(v.seq)
                    continue
                for f in getattr(node, "__slots__", ()):
                    child = getattr(node, f, None)
                    if isinstance(child, tuple):
                        stack.extend(c for c in child if hasattr(c, "span"))
                    elif hasattr(child, "span"):
                        stack.append(child)
    return sorted(set(found))
