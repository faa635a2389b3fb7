"""Pausing Python's cyclic garbage collector while the engine builds graphs.

Tensors, tape entries and node records hold no reference cycles (by design:
no closures, no back-references), so reference counting frees them all and
the cyclic collector only costs time: with it on, a 90,000-node chain ran
2.5x slower, as every collection walked the whole tape.

Pausing only postpones a walk: the objects made during the pause are all in
the youngest generation when it ends. So the pause ends with a collection
on the collector's own schedule: the youngest generation, or the middle one
every threshold[1] times, or all of them every threshold[2] times of that.
The survivors are walked once and move up the generations as they would
have, so the collector's pacing (and its full collections, which free
cyclic garbage that reached the oldest generation) still works in a process
that runs programs again and again, spending nearly all its time paused. (Moving the survivors to the oldest generation without a walk,
with gc.freeze() and gc.unfreeze(), skipped that pacing: in a long-lived
process, cyclic garbage that came out of runs, such as a traceback holding
an error and its record, waited for full collections that never came, and
memory grew with every run.)
"""
from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:             # the outermost pause ends it
            gc.enable()
            _collect_as_scheduled()


def _collect_as_scheduled() -> None:
    """A collection of the youngest generation, or of an older one when the
    collector's schedule has it due. The youngest one holds the objects made
    since the last collection, mostly during the pause, so this costs a walk
    of what the pause made; it runs after every pause, not only after a
    pause that made more than threshold[0] objects, since a few objects can
    hold much memory (a run of ten tensors of a million elements).
    (Before a full collection CPython also waits until the survivors since
    the last one are a quarter of those before; those counts are not visible
    from Python, so this collects all a little more often.)"""
    thresholds = gc.get_threshold()
    if not thresholds[0]:
        return                      # the host turned automatic collection off
    counts = gc.get_count()
    generation = 2 if counts[2] > thresholds[2] else 1 if counts[1] > thresholds[1] else 0
    gc.collect(generation)
