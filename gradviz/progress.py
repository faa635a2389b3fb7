"""A progress line on stderr for the CLI steps that take more than a second
(running a program and its backward passes, laying out a graph).

A step that ends within DELAY costs one timer thread and nothing else: rich
is imported and the line drawn only after DELAY, and only when stderr is a
terminal. The line reads its numbers through a ``poll`` function (the
interpreter's current line, say) from rich's refresh thread, so the engine
does no extra work per op. The program's own prints end the line for the
rest of the step: a line redrawn on stderr and prints on stdout in one
terminal would overwrite each other.
"""
from __future__ import annotations

import sys
import threading
from typing import Callable

DELAY = 1.0                 # seconds a step runs before its line appears
REFRESH_PER_SECOND = 8
DETAIL_CHARS = 40           # of the statement shown after the bar

# poll() -> (completed, total, detail): numbers for the bar (total None: a
# pulsing bar) and a few words after it
Poll = Callable[[], tuple]


class SlowStep:
    """``with SlowStep("running", poll): ...``: the progress line of one step."""

    def __init__(self, description: str, poll: Poll | None = None, file=None,
                 delay: float = DELAY):
        self.description = description
        self.poll = poll
        self.file = sys.stderr if file is None else file
        self.delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._live = None
        self._closed = False

    def __enter__(self) -> "SlowStep":
        if _is_terminal(self.file):
            self._timer = threading.Timer(self.delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> bool:
        self.stop()
        return False

    def stop(self) -> None:
        """Take the line away (if it is shown) and never show it again."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            live, self._live = self._live, None
        if live is not None:
            live.stop()

    def output(self, stream):
        """``stream`` for the program's prints: the first write ends the line."""
        return _StopOnWrite(stream, self)

    @property
    def shown(self) -> bool:
        return self._live is not None

    def _start(self) -> None:          # in the timer's thread
        with self._lock:
            if self._closed:
                return
            try:
                self._live = _make_live(self.description, self.poll, self.file)
                self._live.start()
            except Exception:          # a progress line is never worth failing a run for
                self._live = None


class _StopOnWrite:
    """A text stream that ends a SlowStep's line before its first write."""

    def __init__(self, stream, step: SlowStep):
        self.stream, self.step = stream, step

    def write(self, s: str) -> int:
        if self.step._live is not None:
            self.step.stop()
        return self.stream.write(s)

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name):
        return getattr(self.stream, name)


def _is_terminal(file) -> bool:
    try:
        return file.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _make_live(description: str, poll: Poll | None, file):
    from rich.live import Live
    from rich.progress import (BarColumn, Progress, SpinnerColumn, TextColumn,
                               TimeElapsedColumn)

    from .terminal import make_console

    console = make_console(file=file)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        TextColumn("{task.fields[detail]}"), TimeElapsedColumn(),
                        console=console, auto_refresh=False)
    task = progress.add_task(description, total=None, detail="")

    def render():
        if poll is not None:
            try:
                completed, total, detail = poll()
            except Exception:          # the state polled is being changed: next time
                pass
            else:
                progress.update(task, completed=completed or 0, total=total, detail=detail)
        return progress.get_renderable()

    return Live(get_renderable=render, console=console, transient=True,
                refresh_per_second=REFRESH_PER_SECOND)


def run_poll(text: str) -> tuple[Poll, Callable]:
    """A poll for running a program, and the observer to give run_source:
    the statement being run (its line number out of the program's, and its
    text, which says when it is a backward() that takes the time)."""
    lines = text.splitlines()
    total = len(lines)
    holder: list = []

    def poll():
        if not holder:
            return None, None, "parsing"
        rt = holder[0]
        line = rt.line
        step = rt.aside_step
        if step is not None:
            # forward mode's or a check's passes, at a backward() (one JVP
            # pass per input element: the tutorial's point, counted)
            what, done, of = step
            return done, of, f"line {line:,}: {what} {done:,} of {of:,}"
        code = lines[line - 1].strip() if 0 < line <= total else ""
        if len(code) > DETAIL_CHARS:
            code = code[:DETAIL_CHARS - 3] + "..."
        return line, total, f"line {line:,} of {total:,}: {code}"
    return poll, holder.append
