"""What the fast paths rely on, pinned: the engine makes no reference cycles
(so pausing the cyclic GC during a run loses nothing), the pause leaves the
collector as it found it, repeated runs in one process do not grow, a deep
graph needs no recursion, in-place writes find the tensors they change
through an index, and ops on 0-d tensors computed on numpy scalars give the
bits numpy's ufuncs give."""
from __future__ import annotations

import gc
import io
import platform
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError
from gradviz.gcpause import gc_paused
from gradviz.ops import OPS

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


def _grown_over_runs(run, runs: int) -> int:
    """Bytes traced after `runs` more calls of run(), beyond those after two."""
    tracemalloc.start()
    try:
        run()
        run()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(runs):
            run()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


# a run of this keeps about 12 MB (three 1,000,000-element float32 tensors)
BIG = "x = ones(1000, 1000, requires_grad=True)\ny = (x * 2.0).sum()\ny.backward()\n"
FAILS = BIG + "z = y @ x\n"
RUNS = 40
# a record kept alive by each run would grow the process by RUNS x 12 MB;
# cyclic garbage is freed on the collector's own schedule, a few runs late
BOUND = 300_000_000


def test_many_runs_in_one_process_do_not_grow_memory():
    """A notebook, --watch or an API loop runs programs again and again: the
    records of earlier runs must be freed, also when a reference cycle made
    during the run holds them (here an observer's), which only the cyclic
    collector frees."""
    class Holder:
        pass

    def hold_in_a_cycle(rt):
        h = Holder()
        h.me, h.rt = h, rt

    from gradviz.runner import run_source
    assert _grown_over_runs(lambda: run_source(BIG, stdout=io.StringIO(),
                                               observer=hold_in_a_cycle), RUNS) < BOUND


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                    reason="glibc's malloc")
def test_a_second_run_reuses_the_memory_the_first_freed():
    """The arrays of a run (here 3 MB) come back from the heap the last run
    freed, not as new pages, each a page fault (gradviz.heap)."""
    import resource

    text = "x = randn(512, 512)\ny = x * 2\nz = y + x\n"
    _run(text)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    _run(text)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before < 256   # 1 MB of pages


def test_many_failing_runs_in_one_process_do_not_grow_memory():
    """A failing run's error carries its record; the error must not sit in a
    reference cycle of gradviz's own making (its traceback holding the frame
    that holds it), and one the host makes (pytest.raises here, a notebook
    keeping the last error) is freed on the collector's schedule."""
    def caught():
        try:
            gradviz.run_source(FAILS, stdout=io.StringIO())
        except GradvizError as exc:
            assert exc.record.variables["x"].grad is not None

    def kept_in_a_cycle():
        with pytest.raises(GradvizError) as info:
            gradviz.run_source(FAILS, stdout=io.StringIO())
        assert info.value.record.variables["x"].grad is not None

    assert _grown_over_runs(caught, RUNS) < 50_000_000
    assert _grown_over_runs(kept_in_a_cycle, RUNS) < BOUND


def test_in_place_writes_snapshot_exactly_the_tensors_they_change():
    """The tape's index of tensors by the array owning their memory finds
    what a scan of the whole tape finds: the tensor written, its views and
    aliases (.T, detach(), .data, reshape, view), what it is a view of, and
    nothing made after the write or on other memory."""
    r = gradviz.run_source(
        "w = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
        "t = w.T\nd = w.detach()\nv = w.reshape(4)\nother = w * 1.0\n"
        "loss = (t * d).sum()\nloss.backward()\n"
        "g = w.grad\n"
        "with no_grad():\n"
        "    w -= 0.5 * w.grad\n"
        "    v2 = w.view(4)\n"
        "    w -= 0.25 * w.grad\n"           # a second write: the first value stays
        "g.zero_()\n"
        "late = w.T\n"
        "d2 = v.data\n"
        "d2.zero_()\n", stdout=io.StringIO())
    changed = {n.name for n in r.nodes if n.changed_in_place and n.name}
    assert changed == {"w", "t", "d", "v", "v2", "g", "late", "d2"}
    w = r.variables["w"]
    assert w.value.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert r.variables["v2"].value.tolist() == [0.5, 0.5, 2.0, 2.0]     # when it was made
    assert w.final_value.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert r.variables["g"].final_value.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert not r.variables["other"].changed_in_place


def test_an_unrolled_loop_of_in_place_updates_indexes_each_tensor_once(monkeypatch):
    """`w -= lr * w.grad` and `w.grad.zero_()` in a long unrolled loop: each
    write snapshots what a scan of the whole tape would, but the tape is
    indexed once, not scanned at each write (that was quadratic)."""
    step = ("loss = (w * w).sum()\nloss.backward()\n"
            "with no_grad():\n    w -= 0.1 * w.grad\nw.grad.zero_()\nd = w.detach()\n")
    text = "w = tensor([1.0, 2.0], requires_grad=True)\n" + step * 300
    from gradviz.tape import Tape
    indexed = []
    real = Tape.before_inplace

    def checked(self, arr, writer=None):
        base = arr if arr.base is None else arr.base
        scan = {t.seq for t in self.nodes if t.seq not in self.snapshots and (
            t.data is arr or t.data is base or t.data.base is base)}
        before, snapped = self.indexed, set(self.snapshots)
        real(self, arr, writer)
        assert set(self.snapshots) - snapped == scan
        indexed.append(self.indexed - before)
    monkeypatch.setattr(Tape, "before_inplace", checked)
    r = gradviz.run_source(text, stdout=io.StringIO())
    assert len(indexed) >= 600
    assert sum(indexed) <= len(r.tensors)
    assert r.variables["w"].final_value.tolist() == pytest.approx([0.8 ** 300, 2 * 0.8 ** 300])
    assert sum(n.changed_in_place for n in r.nodes) > 300      # w, its .grad, the detaches


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ops_on_numpy_scalars_give_the_bits_of_numpys_ufuncs(dtype):
    """OpDef.scalar runs 0-d ops (and their VJPs) on numpy scalars: the same
    IEEE results as the forward (and VJPs) on 0-d arrays, on ordinary,
    huge, tiny, signed-zero and non-finite values."""
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.standard_normal(300), rng.uniform(-4, 4, 300),
                             np.exp(rng.uniform(-90, 90, 300)) * rng.choice([-1, 1], 300),
                             [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, 3.4e38, 20.0]])
    with np.errstate(over="ignore"):
        values = values.astype(dtype)     # (float32: the huge ones become inf)
    numbers = [1.01, 0.1, 2.0, -0.5, 3, 1, 7, 1e-10, -16_777_216]
    checked = 0
    with np.errstate(all="ignore"):
        for op in OPS.values():
            if op.scalar is None:
                continue
            for k, x in enumerate(values):
                y = values[(7 * k + 3) % len(values)]
                c = numbers[k % len(numbers)]
                for args in ([(x,)] if len(op.vjp) == 1 else [(x, y), (x, c), (c, y)]):
                    arrays = [np.array(a, dtype) if isinstance(a, np.floating) else a for a in args]
                    want = np.asarray(op.forward(arrays, {}))
                    got = np.asarray(op.scalar(*args))
                    assert got.dtype == want.dtype and got.tobytes() == want.tobytes(), (op.name, args)
                    g = dtype(rng.standard_normal())
                    for i, rule in enumerate(op.vjp):
                        if isinstance(args[i], np.floating):
                            w = np.asarray(rule(np.array(g), want, arrays, {}))
                            s = np.asarray(rule(g, got[()], list(args), {}))
                            assert s.dtype == w.dtype and s.tobytes() == w.tobytes(), (op.name, i)
                    checked += 1
    assert checked > 10_000


def test_a_recorded_in_place_write_looks_at_every_name_only_for_a_shared_tensor(monkeypatch):
    """`a_i = x * 2` then `a_i += 1`, thousands of times: each write's new
    node replaces the tensor in its own name, without a look at every name
    (that was quadratic); a tensor with a second name, or in a list, is
    looked for everywhere."""
    from gradviz.interpreter import Interpreter
    scans = []
    real = Interpreter._rebind

    inside = []

    class Env(dict):
        def items(self):
            if inside:                 # (the record reads the names too, at the end)
                scans.append(len(self))
            return super().items()

    def counted(self, old, new):
        if self.env.__class__ is not Env:
            self.env = self.scopes[0] = Env(self.env)
        inside.append(1)
        real(self, old, new)
        inside.pop()
    monkeypatch.setattr(Interpreter, "_rebind", counted)
    text = "x = ones(2, requires_grad=True)\n" + "".join(
        f"a{i} = x * 2\na{i} += 1\n" for i in range(200))
    r = gradviz.run_source(text, stdout=io.StringIO())
    assert scans == [] and r.variables["a199"].value.tolist() == [3.0, 3.0]
    r = gradviz.run_source("x = ones(2, requires_grad=True)\ny = x * 2\nz = y\ny += 1\n"
                           "l = [z]\nz *= 2\nprint(y, l[0])\n", stdout=io.StringIO())
    assert len(scans) == 2
    assert r.output == ("tensor([6., 6.], grad_fn=<MulBackward0>) "
                        "tensor([6., 6.], grad_fn=<MulBackward0>)\n")


def test_a_loop_that_sets_grad_to_none_keeps_each_backward_the_same_size(monkeypatch):
    """PyTorch's polynomial tutorial reads a.grad, then sets a.grad = None,
    every step: each backward snapshots the .grads still held (4), not
    every .grad the run ever read (that grew with the steps: quadratic)."""
    step = ("loss = (a * x + b).pow(2).sum()\nloss.backward()\nwith torch.no_grad():\n"
            "    a -= 0.01 * a.grad\n    b -= 0.01 * b.grad\n    a.grad = None\n"
            "    b.grad = None\n")
    text = ("x = torch.linspace(-1, 1, 5)\na = torch.tensor(1.0, requires_grad=True)\n"
            "b = torch.tensor(0.5, requires_grad=True)\nfor t in range(200):\n" +
            "".join("    " + line + "\n" for line in step.splitlines()))
    from gradviz.tape import Tape
    calls = []
    real = Tape.before_inplace

    def counted(self, arr, writer=None):
        calls.append(1)
        return real(self, arr, writer)
    monkeypatch.setattr(Tape, "before_inplace", counted)
    r = gradviz.run_source(text, stdout=io.StringIO())
    assert len(calls) <= 200 * 4        # two updates a step, and the two live .grads
    assert r.variables["a"].final_value < 1.0


def test_node_records_read_each_pass_once():
    """A node's record takes its gradients from a table by node, not from
    every pass: a loop of many backward() calls over many nodes stays linear
    (it was nodes x passes dictionary lookups, seconds for a long loop)."""
    r = _run("w = tensor([1.0, 2.0], requires_grad=True)\nfor i in range(300):\n"
             "    y = (w * w).sum()\n    y.backward()\nprint(w.grad)\n")
    nodes = r.nodes
    assert nodes[0].visited                   # the tables are made

    class NotWalked(list):
        def __iter__(self):
            raise AssertionError("a node's record walked every pass")
    nodes._reached = NotWalked(nodes._reached)
    made = list(nodes)
    assert len(made) > 600 and len(made[0].grads_by_pass) == 300
    assert sum(n.visited for n in made) == 601      # w and each pass's two nodes


@pytest.mark.parametrize("default_float", ["float32", "float64"])
def test_the_one_tensor_scalar_path_makes_the_node_apply_makes(default_float):
    """Tape.apply_pair(op, x, None), torch's one-tensor functions' path for
    a 0-d float tensor, gives the node apply(op, (x,)) gives (value, dtype,
    params, grad_fn and grad mode), and leaves other tensors to apply()."""
    from gradviz.tape import Tape
    from gradviz.tensor import Tensor
    values = {np.float32: 0.75, np.float64: -1.25, np.float16: 0.5, np.int64: 3, np.bool_: True}
    compared = 0
    with np.errstate(all="ignore"):
        for op in OPS.values():
            if op.scalar is None or len(op.vjp) != 1:
                continue
            for dtype, v in values.items():
                for requires_grad in (True, False) if dtype in (np.float32, np.float64) \
                        else (False,):
                    for grad_enabled, block in ((True, None), (False, 0)):
                        made = []
                        for how in ("apply", "apply_pair"):
                            tape = Tape(default_float=default_float)
                            tape.grad_enabled, tape.no_grad_block = grad_enabled, block
                            x = tape.add(Tensor(np.array(v, dtype), requires_grad))
                            try:
                                made.append(tape.apply(op, (x,)) if how == "apply"
                                            else tape.apply_pair(op, x, None))
                            except Exception as exc:    # (an op that refuses the dtype)
                                made.append(type(exc))
                        a, b = made
                        if not isinstance(a, Tensor):
                            assert a == b, op.name
                            continue
                        assert (a.data.dtype, a.data.shape, a.data.tobytes()) == \
                            (b.data.dtype, b.data.shape, b.data.tobytes()), op.name
                        assert (a.params is b.params, a.recorded, a.requires_grad, a.meta,
                                a.op, a.seq) == (True, b.recorded, b.requires_grad, b.meta,
                                                 b.op, b.seq), op.name
                        compared += 1
    assert compared > 100
