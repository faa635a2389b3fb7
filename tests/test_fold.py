"""The picture's fold reads columns: it folds as the plain per-record
version does (kept here as the reference), and its shortcuts (runs found
from cut points, the kept records taken from both ends) agree with the
loops and the sort they stand for."""
from __future__ import annotations

import io
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

import gradviz
from gradviz.errors import GradvizError
from gradviz.record import DETACHED, GRAD, OP, PARAM
from gradviz.render import dot as dotmod
from gradviz.render.fold import FOLD_KEEP, FOLD_MIN, _nearest_ends, _runs, fold

PROGRAMS = {
    "chain": "x = ones(4, requires_grad=True)\nh = x\n" + "h = tanh(h * 1.01 + 0.1)\n" * 300
             + "loss = h.sum()\nloss.backward()\n",
    "mixed": """\
x = tensor([1.0, 2.0], requires_grad=True)
w = tensor([0.5, -1.0], requires_grad=True)
h = x
""" + "h = h * w + 1\n" * 40 + """\
d = h.detach()
with torch.no_grad():
""" + "    d = d * 2\n" * 30 + """\
y = (h * h).sum() + d.sum()
y.backward()
g = x.grad * 2
""" + "g = g + x\n" * 30 + "z = (g * w).sum()\nz.backward()\nq = x.grad\n",
}


def _record(source: str):
    try:
        return gradviz.run_source(source, stdout=io.StringIO())
    except GradvizError as exc:
        return exc.record


def _reference_fold(record, max_nodes):
    """The fold as first written, over node records: (group_of, [(members,
    no_grad, counts, all_ops, first line, last line)])."""
    nodes = list(record.nodes)
    n = len(nodes)
    if max_nodes == 0 or n <= max_nodes:
        return None
    in_seqs = [[int(i[1:]) for i in r.inputs] for r in nodes]
    finals = {int(nid[1:]) for nid in record.variable_ids.values()}
    is_op = [r.kind == OP for r in nodes]
    consumers = [0] * n
    for ins in in_seqs:
        for s in set(ins):
            consumers[s] += 1
    for r in nodes:
        for link in (r.detached_from, r.grad_of):
            if link is not None:
                consumers[int(link[1:])] += 1
    protected = [not is_op[r.seq] or r.backward_root or r.error or r.seq in finals
                 for r in nodes]
    chain_of, chains = list(range(n)), {}
    for s in range(n):
        if protected[s]:
            continue
        op_ins = {p for p in in_seqs[s] if is_op[p]}
        if len(op_ins) == 1:
            p = op_ins.pop()
            if not protected[p] and consumers[p] == 1 and nodes[p].no_grad == nodes[s].no_grad:
                chain_of[s] = chain_of[p]
        chains.setdefault(chain_of[s], []).append(s)
    hidden = [False] * n
    for members in chains.values():
        if len(members) - 2 * FOLD_KEEP >= FOLD_MIN:
            for s in members[FOLD_KEEP:-FOLD_KEEP]:
                hidden[s] = True
    runs, by_chain = [], {}
    for s in range(n):
        if hidden[s]:
            if chain_of[s] not in by_chain:
                by_chain[chain_of[s]] = len(runs)
                runs.append([])
            runs[by_chain[chain_of[s]]].append(s)
    if n - sum(hidden) + len(runs) > max_nodes:
        def tier(s):
            r = nodes[s]
            t = (0 if r.backward_root or r.error else 1 if s in finals or r.kind == PARAM
                 else 2 if r.kind in (DETACHED, GRAD) or r.name is not None else 3)
            return (t, min(s, n - 1 - s), s)

        kept = set(sorted((s for s in range(n) if not hidden[s]), key=tier)
                   [:max(1, (max_nodes - 1) // 2)])
        runs, current = [], None
        for s in range(n):
            if s in kept:
                current = None
            elif current is not None and nodes[current[-1]].no_grad == nodes[s].no_grad:
                current.append(s)
            else:
                current = [s]
                runs.append(current)
        runs = [run for run in runs if len(run) > 1]
    group_of = [-1] * n
    described = []
    for g, run in enumerate(runs):
        for s in run:
            group_of[s] = g
        members = [nodes[s] for s in run]
        counts = Counter(r.op if r.kind == OP else r.kind for r in members)
        lines = [r.line for r in members]
        described.append((run, members[0].no_grad, list(counts.items()),
                          all(r.kind == OP for r in members), min(lines), max(lines)))
    return group_of, described


def test_fold_folds_as_the_per_record_reference():
    for name, source in PROGRAMS.items():
        record = _record(source)
        cols = dotmod._node_columns(record)
        for max_nodes in (0, 3, 8, 20, 50, 120, 400, 10_000):
            want = _reference_fold(record, max_nodes)
            got = fold(cols, max_nodes)
            if want is None:
                assert got is None, (name, max_nodes)
                continue
            group_of, groups = got
            assert group_of == want[0], (name, max_nodes)
            assert [(list(g.members), g.no_grad, list(g.counts.items()), g.all_ops,
                     g.first_line, g.last_line) for g in groups] == want[1], (name, max_nodes)
            assert [g.gid for g in groups] == [f"fold{i + 1}" for i in range(len(groups))]


def test_the_programs_fold_in_both_steps():
    record = _record(PROGRAMS["mixed"])
    cols = dotmod._node_columns(record)
    # a few chains suffice for 120; 8 needs step 2, whose runs stop at the no_grad block
    assert len(fold(cols, 120)[1]) >= 2
    blocks = {g.no_grad for g in fold(cols, 8)[1]}
    assert None in blocks and len(blocks) == 2


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 60), st.data())
def test_nearest_ends_is_the_sort_it_stands_for(n, data):
    seqs = sorted(data.draw(st.sets(st.integers(0, n - 1))))
    k = data.draw(st.integers(0, n + 1))
    want = sorted(seqs, key=lambda s: (min(s, n - 1 - s), s))[:k]
    assert _nearest_ends(seqs, n, k) == want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([None, None, None, 0, 1]), min_size=1, max_size=40),
       st.data())
def test_runs_are_the_loop_they_stand_for(no_grad, data):
    n = len(no_grad)
    kept = data.draw(st.lists(st.integers(0, n - 1), unique=True))
    want, current = [], None
    for s in range(n):
        if s in kept:
            current = None
        elif current is not None and no_grad[current[-1]] == no_grad[s]:
            current.append(s)
        else:
            current = [s]
            want.append(current)
    assert [list(range(a, b)) for a, b in _runs(no_grad, kept)] == want
