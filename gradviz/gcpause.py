"""Pausing Python's cyclic garbage collector while the engine builds graphs.

Tensors, tape entries and node records hold no reference cycles (by design:
no closures, no back-references), so reference counting frees them all and
the cyclic collector only costs time: with it on, a 90,000-node chain ran
2.5x slower, as every collection walked the whole tape.

Pausing alone only postpones that walk: every object made during the pause
is still in the youngest generation, and the first allocation after the
pause would make the collector traverse them all (a tenth of a 30,000-op
run). So on the way out the survivors are moved to the oldest generation
without a traversal (``gc.freeze()`` then ``gc.unfreeze()``, two list
splices), as a collection would have done with them anyway.
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
        if was_enabled:
            if gc.get_freeze_count() == 0:    # never thaw what the host froze
                gc.freeze()
                gc.unfreeze()
            gc.enable()
