"""Python's time module, so that a tutorial's timing lines run: t0 =
time.time() ... print(f'{time.time() - t0:.2f}s').

The clock is the run's own and stands still (time.sleep(s) moves it s
on, without waiting): a run prints the same every time, as gradviz's runs
do, and a timing line shows 0.00s. time.time() starts at START, a fixed
moment; perf_counter() and monotonic() at 0."""
from __future__ import annotations

from .errors import TYPE, VALUE, GradvizError

START = 1_767_225_600.0      # 2026-01-01 00:00:00 UTC
_NS = 1_000_000_000


def _seconds(rt) -> float:
    return rt.clock


def _sleep(rt, secs):
    if isinstance(secs, bool) or not isinstance(secs, (int, float)):
        raise GradvizError(f"'{type(secs).__name__}' object cannot be interpreted as an integer",
                           kind=TYPE, hint="time.sleep(seconds) takes a number")
    if secs < 0:
        raise GradvizError("sleep length must be non-negative", kind=VALUE,
                           hint="time.sleep(seconds) takes 0 or more seconds")
    rt.clock += secs


CLOCKS = {"time": lambda rt: START + _seconds(rt), "perf_counter": _seconds,
          "monotonic": _seconds, "process_time": _seconds,
          "time_ns": lambda rt: int((START + _seconds(rt)) * _NS),
          "perf_counter_ns": lambda rt: int(_seconds(rt) * _NS),
          "monotonic_ns": lambda rt: int(_seconds(rt) * _NS)}


def members(function) -> dict:
    return {**{name: function(name, f) for name, f in CLOCKS.items()},
            "sleep": function("sleep", _sleep)}
