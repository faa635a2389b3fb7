"""What the fast paths rely on, pinned: the engine makes no reference cycles
(so pausing the cyclic GC during a run loses nothing), the pause leaves the
collector as it found it, and a deep graph needs no recursion."""
from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest

import gradviz
from gradviz.gcpause import gc_paused

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))


def _run(text: str):
    r = gradviz.run_source(text, stdout=io.StringIO())
    r.nodes, r.events, r.variables     # the records built lazily, too
    return r


@pytest.mark.parametrize("path", SAMPLES, ids=[p.stem for p in SAMPLES])
def test_a_run_and_its_record_leave_no_cyclic_garbage(path):
    text = path.read_text()
    _run(text)                 # a first run may import modules (they hold cycles)
    gc.collect()
    gc.disable()
    try:
        r = _run(text)
        del r
        assert gc.collect() == 0, "the engine made a reference cycle"
    finally:
        gc.enable()


def test_the_check_above_can_fail():
    class Node:
        pass
    gc.collect()
    gc.disable()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
        assert gc.collect() > 0
    finally:
        gc.enable()


def test_gc_paused_restores_the_collector_and_keeps_frozen_objects_frozen():
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():                  # nested: the outer one restores
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()              # was off: stays off
    gc.enable()
    gc.freeze()                            # a host that froze its objects
    try:
        frozen = gc.get_freeze_count()
        with gc_paused():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_objects_made_while_paused_are_moved_out_of_the_young_generation():
    gc.collect()
    with gc_paused():
        keep = [[i] for i in range(5000)]
    assert gc.get_count()[0] < 100         # no collection over all of them pending
    assert len(keep) == 5000


def test_a_30000_op_chain_runs_without_recursion():
    text = "x = ones(4, requires_grad=True)\nh = x\n" + "h = tanh(h * 1.01 + 0.1)\n" * 10_000
    r = gradviz.run_source(text + "h.sum().backward()\n", stdout=io.StringIO())
    assert len(r.nodes) > 30_000
    assert r.variables["x"].grad.shape == (4,)
