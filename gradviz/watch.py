"""``gradviz run FILE --watch``: run again every time FILE changes.

The file system tells us about changes (the ``watchfiles`` library: inotify,
FSEvents or ReadDirectoryChangesW, with its own polling fallback), so there
is no hand-written polling loop here. Two details make it robust:

* the *directory* of FILE is watched, not FILE itself: editors that save by
  writing a new file and renaming it over the old one would otherwise end
  the watch after the first save. Events for other files (including the
  outputs gradviz writes next to FILE) are filtered out.
* the watcher wakes up every ``WAKE_MS`` even without events, so Ctrl-C and
  a stop request are honoured promptly; on such a wake-up FILE is re-run
  only if its size or modification time differs from the last run's, which
  catches an edit made while the watcher was starting.

Each run writes its outputs (``--svg``, ``--json``, ...) to a private
directory first and copies them over the real paths only when the run
succeeded, so while the file has an error the last good picture stays in
place and the error is shown on the terminal.
"""
from __future__ import annotations

import contextlib
import gc
import io
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Callable

DEBOUNCE_MS = 400      # group the several events of one save into one run
STEP_MS = 50           # a save is over when no event came for this long
WAKE_MS = 500          # wake up this often to honour Ctrl-C and stop requests
SIGINT_EXIT = 130      # a run's exit status after Ctrl-C (as shells report SIGINT)


def file_signature(path: Path) -> tuple | None:
    """(size, mtime) of a file, or None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def watch_file(path, run_once: Callable[[], object], *,
               stop_event: threading.Event | None = None,
               force_polling: bool | None = None) -> int:
    """Call ``run_once()`` now and after every change of the file at `path`,
    until Ctrl-C or `stop_event` is set. Returns 0 (stopping is not a failure)."""
    import watchfiles

    target = Path(os.path.abspath(path))
    directory = target.parent

    def only_target(change, changed: str) -> bool:
        return Path(changed) == target

    last = file_signature(target)
    try:
        run_once()
        for changes in watchfiles.watch(directory, watch_filter=only_target,
                                        debounce=DEBOUNCE_MS, step=STEP_MS,
                                        stop_event=stop_event, rust_timeout=WAKE_MS,
                                        yield_on_timeout=True, raise_interrupt=True,
                                        force_polling=force_polling, recursive=False):
            if stop_event is not None and stop_event.is_set():
                break
            now = file_signature(target)
            if not changes and now == last:
                continue
            last = now
            run_once()
    except KeyboardInterrupt:
        pass
    return 0


# ---- the run command in watch mode ---------------------------------------

#: the options of `gradviz run` that name output files
OUTPUT_OPTIONS = ("json_path", "svg_path", "dot_path", "html_path")


class WatchUsageError(Exception):
    """--watch combined with something it cannot do (exit status 2)."""


def watch_run(ctx, file: str, *, stop_event: threading.Event | None = None) -> int:
    """Run the `run` command of click context `ctx` again at every change of
    `file`; its outputs are replaced only by successful runs."""
    import click

    if file == "-":
        raise WatchUsageError("--watch needs a file: standard input cannot change")
    outputs = {k: v for k, v in ctx.params.items() if k in OUTPUT_OPTIONS and v}
    for key, value in outputs.items():
        if value == "-":
            flag = "--" + key.removesuffix("_path")
            raise WatchUsageError(f"--watch cannot write {flag} to standard output: "
                                  "give a file name")
    callback = ctx.command.callback
    # the runs' layouts must stop at their timeout, not be left running
    # (cli.write_graph): this process lives on
    from .cli import WATCHING
    ctx.meta[WATCHING] = True
    state = {"runs": 0, "good": None}
    gc.enable()         # a process that lives on collects its cycles (cli._Program)
    clear = sys.stdout.isatty()

    with tempfile.TemporaryDirectory(prefix="gradviz-watch-") as tmp:
        staged = {k: os.path.join(tmp, f"{i}-{Path(v).name}")
                  for i, (k, v) in enumerate(outputs.items())}

        def run_once() -> None:
            state["runs"] += 1
            for p in staged.values():
                if os.path.exists(p):
                    os.unlink(p)
            if clear:
                click.clear()
            params = dict(ctx.params, watch=False, **staged)
            diagnostics = _Tee(sys.stderr)
            try:
                with contextlib.redirect_stderr(diagnostics):
                    ctx.invoke(callback, **params)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            sys.stdout.flush()
            if code == SIGINT_EXIT:      # Ctrl-C during a run stops watching too
                raise KeyboardInterrupt
            if code == 0:
                for key, real in outputs.items():
                    if os.path.exists(staged[key]):
                        _publish(staged[key], real)
                state["good"] = state["runs"]
            if code and clear and diagnostics.text():
                # on a terminal the tables have scrolled the error away: repeat it
                # last, where the eye is
                click.echo(diagnostics.text().rstrip("\n"), err=True)
            click.echo(_status(file, state, code, list(outputs.values())), err=True)

        code = watch_file(file, run_once, stop_event=stop_event)
    click.echo(f"gradviz: stopped watching {file}", err=True)
    return code


class _Tee(io.TextIOBase):
    """A text stream that writes through and keeps a copy of the text."""

    def __init__(self, stream):
        self.stream = stream
        self.parts: list[str] = []

    def write(self, text):
        if isinstance(text, str):
            self.parts.append(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()

    def isatty(self):
        return self.stream.isatty()

    def text(self) -> str:
        return "".join(self.parts)


def _publish(staged: str, real: str) -> None:
    """Copy a staged output over its real path in one step (a temporary file
    beside it, then a rename), so a viewer never sees half a file."""
    from .files import write_atomic

    with open(staged, "rb") as f:
        data = f.read()
    write_atomic(real, data)


def _status(file: str, state: dict, code: int, outputs: list[str]) -> str:
    n = state["runs"]
    if code == 0:
        wrote = f"; wrote {', '.join(outputs)}" if outputs else ""
        head = f"run #{n} ok{wrote}"
    elif not outputs:
        head = f"run #{n} failed (exit {code})"
    elif state["good"] is None:
        head = f"run #{n} failed (exit {code}); nothing written yet"
    else:
        head = (f"run #{n} failed (exit {code}); kept {', '.join(outputs)} "
                f"from run #{state['good']}")
    return f"gradviz: watching {file}: {head}. Edit and save to run again; Ctrl-C to stop."

