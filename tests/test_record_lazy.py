"""Record.nodes and each pass's steps are made on first access: what they
give is what a list made all at once gives, and the renderers of a big
graph make only the records they show."""
from __future__ import annotations

import dataclasses
import gc
import io
import random

import numpy as np
import pytest
from rich.console import Console

import gradviz
from gradviz.errors import GradvizError
from gradviz.numerics import nonfinite_report
from gradviz.record import COLUMNS, NodeList, Steps, node_column, step_grads, step_node_seqs
from gradviz.render.dot import build_dot
from gradviz.render.tables import print_tables

PROGRAMS = {
    "detach_no_grad_pruned": """\
x = tensor([1.0, 2.0, 3.0], requires_grad=True)
w = tensor([0.5, -1.0, 2.0], requires_grad=True)
c = tensor([1.0, 1.0, 1.0])
d = x.detach()
e = d * 3
with torch.no_grad():
    f = x * 2
    g = f + 1
u = c * 2
v = x * w + e + g + u
y = v.sum()
y.backward(retain_graph=True)
x.grad.zero_()
z = (x * x).sum()
z.backward()
k = x.data
m = k * 2
""",
    "grad_calls_and_nan": """\
a = tensor([1.0, 2.0], requires_grad=True)
b = tensor([3.0, 4.0], requires_grad=True)
h = a * b
h.retain_grad()
s = (h * h).sum()
g = torch.autograd.grad(s, [a], create_graph=True)
t = (a * 3).sum()
t.backward()
a.grad = None
r = sqrt(b - 3)
loss = (r * 2).sum()
loss.backward()
""",
    "in_place": """\
W = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
x = tensor([1.0, -1.0])
y = (W @ x).tanh().sum()
y.backward()
with torch.no_grad():
    W -= 0.1 * W.grad
W.grad.zero_()
y = (W @ x).tanh().sum()
y.backward()
""",
    "scalars": """\
a = tensor(2.0, requires_grad=True)
b = tensor(3.0, requires_grad=True)
c = a * b + a
d = c.tanh() * b
d.backward()
""",
    "failing": """\
x = tensor([1.0, 2.0], requires_grad=True)
y = x * 2
z = y.sum()
z.backward()
z.backward()
""",
}


def _record(source: str):
    try:
        return gradviz.run_source(source, stdout=io.StringIO())
    except GradvizError as exc:
        assert exc.record is not None
        return exc.record


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("name", PROGRAMS)
def test_records_made_in_any_order_equal_those_made_all_at_once(name):
    whole = list(_record(PROGRAMS[name]).nodes)
    record = _record(PROGRAMS[name])
    order = list(range(len(whole)))
    random.Random(0).shuffle(order)
    for seq in order:
        got, want = record.nodes[seq], whole[seq]
        for f in dataclasses.fields(want):
            assert _same(getattr(got, f.name), getattr(want, f.name)), (seq, f.name)


@pytest.mark.parametrize("name", PROGRAMS)
def test_columns_are_the_fields_of_the_records(name):
    record = _record(PROGRAMS[name])
    for column in COLUMNS:          # before any record is made
        got = node_column(record.nodes, column)
        want = [getattr(n, column) for n in list(_record(PROGRAMS[name]).nodes)]
        assert _same(got, want), column
    assert node_column(list(record.nodes), "op") == node_column(record.nodes, "op")


def test_the_interesting_programs_have_what_they_test():
    nodes = list(_record(PROGRAMS["detach_no_grad_pruned"]).nodes)
    assert any(n.pruned for n in nodes) and any(n.kind == "detached" for n in nodes)
    assert any(n.no_grad is not None for n in nodes) and any(n.backward_root for n in nodes)
    assert any(n.error for n in _record(PROGRAMS["failing"]).nodes)
    assert _record(PROGRAMS["grad_calls_and_nan"]).nonfinite.first_grad is not None


def test_nodes_index_like_a_list():
    record = _record(PROGRAMS["detach_no_grad_pruned"])
    nodes = record.nodes
    assert isinstance(nodes, NodeList)
    n = len(nodes)
    assert nodes[-1] is nodes[n - 1] and nodes[0] is nodes[0]
    assert nodes[-1].seq == n - 1
    assert [r.seq for r in nodes[2:8:3]] == [2, 5]
    assert nodes[n - 3:] == [nodes[n - 3], nodes[n - 2], nodes[n - 1]]
    with pytest.raises(IndexError):
        nodes[n]
    with pytest.raises(IndexError):
        nodes[-n - 1]
    assert [r.seq for r in nodes] == list(range(n))
    assert nodes[3] in nodes and nodes.index(nodes[3]) == 3
    assert record.node("n4") is nodes[4] and record.node(4) is nodes[4]


@pytest.mark.parametrize("name", ["detach_no_grad_pruned", "grad_calls_and_nan", "scalars"])
def test_steps_are_the_list_made_all_at_once(name):
    record = _record(PROGRAMS[name])
    for ev in record.passes:
        steps = ev["steps"]
        assert isinstance(steps, Steps)
        n = len(steps)                       # counted without making them
        seqs, grads = step_node_seqs(steps), step_grads(steps)
        picked = steps[n - 1] if n else None
        whole = list(steps)
        assert len(whole) == n and (not n or whole[-1] is picked)
        assert steps == whole and whole == steps
        assert seqs == [s["node"] for s in whole]
        assert all(np.array_equal(np.asarray(g), s["grad"]) for g, s in zip(grads, whole))
        assert all(isinstance(s["grad"], np.ndarray) for s in whole)


def test_nonfinite_report_reads_the_columns_as_the_records_say():
    record = _record(PROGRAMS["grad_calls_and_nan"])

    class Plain:      # the same record with lists: the report of the records themselves
        nodes = list(record.nodes)
        passes = [dict(ev, steps=list(ev["steps"])) for ev in record.passes]

    assert repr(nonfinite_report(record)) == repr(nonfinite_report(Plain()))


def _made(record) -> tuple[int, int]:
    """(node records made, steps made) so far (a peek at the lazy lists)."""
    nodes = sum(n is not None for n in record.nodes._items)
    steps = sum(s is not None for ev in record.passes for s in (ev["steps"]._items or []))
    return nodes, steps


def test_tables_and_picture_of_a_big_chain_make_only_what_they_show():
    source = ("x = ones(4, requires_grad=True)\nh = x\n" +
              "h = tanh(h * 1.01 + 0.1)\n" * 2000 + "loss = h.sum()\nloss.backward()\n")
    record = _record(source)
    record.nonfinite
    print_tables(record, console=Console(file=io.StringIO(), width=120), max_rows=60)
    nodes, steps = _made(record)
    assert nodes <= 80 and steps == 0, (nodes, steps)
    res = build_dot(record)
    assert res.folded > 5900
    nodes, steps = _made(record)
    assert nodes <= 100 and steps <= 20, (nodes, steps)


def test_a_lazy_record_holds_no_reference_cycle():
    source = PROGRAMS["detach_no_grad_pruned"]
    _record(source)
    gc.collect()
    gc.disable()
    try:
        record = _record(source)
        record.nodes[3]
        for column in COLUMNS:
            node_column(record.nodes, column)
        list(record.nodes)
        for ev in record.passes:
            list(ev["steps"])
        del record
        assert gc.collect() == 0
    finally:
        gc.enable()
