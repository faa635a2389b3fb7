"""Folding a big graph for the picture (``--max-nodes``): which records are
hidden in dashed summary boxes ("... 2,994 ops folded ...").

Two steps, the second only when the first is not enough:

1. long chains (each member the only consumer of the one before) keep
   FOLD_KEEP records at each end and fold the middle into one group;
2. keep the most telling records (backward roots, errors, named results,
   parameters; then those nearest the program's start and end) and fold
   every run of two or more consecutive hidden records.

A record that matters to the story (not an op result, a backward root, a
failing statement's tensor, a final variable) is never folded by step 1.

Everything here reads columns (one list per field, indexed by seq: see
Columns), never node records, and touches each node in at most a few
plain loops; the rest is counting and slicing done by Python's C code
(Counter, compress, map, slice assignment). A 300,000-node chain folds in
about a fifth of a second.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import chain, compress, count, islice, repeat
from operator import and_, eq, ne, not_

from ..record import DETACHED, GRAD, OP, PARAM

FOLD_KEEP = 3               # records kept visible at each end of a folded chain
FOLD_MIN = 4                # fewer hidden records than this are not worth a fold


@dataclass(frozen=True, slots=True)
class Columns:
    """What the fold (and the picture's loops over every node) read of each
    node: NodeRecord's fields, one list per field indexed by seq, and the
    few nodes with something special as seqs."""

    kind: list
    op: list
    line: list
    name: list
    no_grad: list
    in_seqs: list           # per node, the seqs of its tensor inputs
    detached: dict          # seq -> the seq it is a detached copy of (detached_from)
    grad_of: dict           # seq -> the seq whose .grad it is
    roots: list             # seqs backward() was called on, ascending
    errors: list            # seqs the failing statement used, ascending
    finals: list            # seqs the program's variables hold at the end

    def head(self, count: int) -> "Columns":
        """The columns of the first ``count`` nodes."""
        if count == len(self.kind):
            return self
        return Columns(self.kind[:count], self.op[:count], self.line[:count],
                       self.name[:count], self.no_grad[:count], self.in_seqs[:count],
                       {s: a for s, a in self.detached.items() if s < count},
                       {s: a for s, a in self.grad_of.items() if s < count},
                       [s for s in self.roots if s < count],
                       [s for s in self.errors if s < count],
                       [s for s in self.finals if s < count])


@dataclass(slots=True)
class Group:
    """One summary node: its DOT id, its members' seqs, its no_grad block;
    what the members are (filled in by fold)."""

    gid: str
    members: list
    no_grad: int | None
    counts: Counter | None = None   # op name (kind, for a non-op) -> members
    all_ops: bool = True        # every member is an op's result
    first_line: int = 0         # the members' source lines, min and max
    last_line: int = 0
    title: tuple = ()           # lines saying what the group is, instead of "… folded …"


def seqs_where(flags) -> list:
    """The positions of the true items of ``flags`` (a list or an
    iterator, such as a map over a column), ascending: found in C."""
    return list(compress(count(), flags))


def fold(cols: Columns, max_nodes: int, taken: frozenset = frozenset(), boxes: int = 0):
    """(group index per seq, or -1 when shown; the groups), or None when
    nothing needs folding (``max_nodes`` 0, or not more records than it).
    ``taken``: seqs already in ``boxes`` other summaries (a torch.func
    transform's, render/transforms.py): no group takes them, and a run of
    step 2 stops at them."""
    n = len(cols.kind)
    shown = n - len(taken) + boxes
    if max_nodes == 0 or shown <= max_nodes:
        return None
    is_op = list(map(eq, cols.kind, repeat(OP)))
    protected = list(map(not_, is_op))
    for s in chain(cols.roots, cols.errors, cols.finals, taken):
        protected[s] = True

    # Step 1: chains.
    long_chains = [m for m in _chains(cols, is_op, protected)
                   if len(m) - 2 * FOLD_KEEP >= FOLD_MIN]
    # (numbered by their first hidden member, as a pass in seq order meets them)
    long_chains.sort(key=lambda m: m[FOLD_KEEP])
    groups, group_of = [], [-1] * n
    hidden = 0
    for members in long_chains:
        middle = members[FOLD_KEEP:-FOLD_KEEP]
        g = len(groups)
        for s in middle:
            group_of[s] = g
        groups.append(Group(f"fold{g + 1}", middle, cols.no_grad[middle[0]]))
        hidden += len(middle)
    if shown - hidden + len(groups) <= max_nodes:
        return group_of, _described(groups, cols, is_op)

    # Step 2: still too many. A run is an interval of the creation order,
    # so folding it cannot make a cycle.
    keep = max(1, (max_nodes - 1) // 2)
    kept = _most_telling(cols, groups, keep, taken)
    groups, group_of = [], [-1] * n
    for start, stop in _runs(cols.no_grad, kept, taken):
        if stop - start < 2:
            continue    # shown as itself: its summary would take as much room
        g = len(groups)
        group_of[start:stop] = repeat(g, stop - start)
        groups.append(Group(f"fold{g + 1}", list(range(start, stop)), cols.no_grad[start]))
    return group_of, _described(groups, cols, is_op)


def _chains(cols: Columns, is_op: list, protected: list) -> list:
    """The chains of two or more records, each a list of seqs in order.

    A record continues the chain of its op input when it has exactly one
    (x * x has one), that input is used by nothing else, neither is
    protected, and both are in the same no_grad block (or none). So a
    record has at most one successor, a chain is a path, and a link always
    extends the chain that ends at the input."""
    in_seqs, no_grad = cols.in_seqs, cols.no_grad
    n = len(in_seqs)
    unprotected = list(map(not_, protected))
    # whether a chain can go on from a record: it is an unprotected op
    # result (a protected record covers a leaf) that only one record uses
    consumers = _consumers(cols)
    open_end = list(map(and_, unprotected, map(eq, consumers, repeat(1))))
    chains = []
    ending_at = [None] * n      # seq of a chain's last member -> the chain
    for s in compress(range(n), unprotected):
        ins = in_seqs[s]
        p = ins[0] if len(ins) == 1 else _only_op_input(ins, is_op)
        if p < 0 or not open_end[p] or no_grad[p] != no_grad[s]:
            continue
        members = ending_at[p]
        if members is None:
            members = [p]
            chains.append(members)
        members.append(s)
        ending_at[s] = members
    return chains


def _only_op_input(ins: list, is_op: list) -> int:
    """The op result among a record's inputs, or -1 when there are two
    different ones (not a chain link) or none."""
    found = -1
    for p in ins:
        if is_op[p]:
            if found >= 0 and p != found:
                return -1
            found = p
    return found


def _consumers(cols: Columns) -> list:
    """Per seq, how many records use it: x * x uses x once; a detached
    copy and a .grad tensor use their source. (A plain loop: faster here
    than counting the flattened lists with a Counter.)"""
    consumers = [0] * len(cols.in_seqs)
    for ins in cols.in_seqs:
        if len(ins) == 1:
            consumers[ins[0]] += 1
        else:
            for a in set(ins):
                consumers[a] += 1
    for a in chain(cols.detached.values(), cols.grad_of.values()):
        consumers[a] += 1
    return consumers


def _most_telling(cols: Columns, folded: list, keep: int, taken: frozenset) -> list:
    """The ``keep`` records to keep in step 2 (fewer when there are not so
    many): by tier (0: backward roots, errors; 1: final variables,
    parameters; 2: detached copies, .grad tensors, named results; 3: the
    rest), then nearest the start or end of the program, then by seq.
    Records folded by step 1 (the members of ``folded``) or ``taken`` are
    not kept."""
    n = len(cols.kind)
    # each assignment below is of a better tier than the ones before it
    tier = [3 if name is None else 2 for name in cols.name]
    kind = cols.kind
    for s in compress(range(n), map(ne, kind, repeat(OP))):
        if kind[s] == PARAM:
            tier[s] = 1
        elif kind[s] in (DETACHED, GRAD):
            tier[s] = 2
    for s in cols.finals:
        tier[s] = 1
    for s in chain(cols.roots, cols.errors):
        tier[s] = 0
    for s in chain(taken, *(g.members for g in folded)):
        tier[s] = 4             # not a candidate
    kept: list = []
    for t in range(4):
        if len(kept) == keep:
            break
        kept += _nearest_ends(seqs_where(map(eq, tier, repeat(t))), n, keep - len(kept))
    return kept


def _nearest_ends(seqs: list, n: int, k: int) -> list:
    """The first ``k`` of ``seqs`` (ascending) by distance to the nearer
    end of 0..n-1, then by seq. That distance rises to the middle and falls
    after it, so the nearest of an interval of seqs is at one of its ends:
    they are taken from both ends inwards."""
    out = []
    i, j = 0, len(seqs) - 1
    while len(out) < k and i <= j:
        a, b = seqs[i], seqs[j]
        if min(a, n - 1 - a) <= min(b, n - 1 - b):
            out.append(a)
            i += 1
        else:
            out.append(b)
            j -= 1
    return out


def _runs(no_grad: list, kept: list, taken: frozenset = frozenset()):
    """(start, stop) of each run of step 2: a longest interval of the
    creation order with no kept or taken record in it, in one no_grad block
    (or none). A run ends at such a record or where the block changes."""
    n = len(no_grad)
    kept_set = set(kept).union(taken)
    changes = compress(range(1, n), map(ne, islice(no_grad, 1, None), no_grad))
    start = 0
    for cut in sorted(kept_set.union(changes)):
        if start < cut:
            yield start, cut
        start = cut + 1 if cut in kept_set else cut
    if start < n:
        yield start, n


def describe(groups: list, cols: Columns) -> list:
    """Fill in what each group's members are (returns groups)."""
    return _described(groups, cols, list(map(eq, cols.kind, repeat(OP))))


def _described(groups: list, cols: Columns, is_op: list) -> list:
    """Fill in what each group's members are."""
    label = None        # per seq, its op, or its kind when not an op's result
    line = cols.line
    for g in groups:
        members = g.members
        g.all_ops = all(map(is_op.__getitem__, members))
        if g.all_ops:
            g.counts = Counter(map(cols.op.__getitem__, members))
        else:
            if label is None:
                label = list(cols.op)
                for s in compress(range(len(label)), map(not_, is_op)):
                    label[s] = cols.kind[s]
            g.counts = Counter(map(label.__getitem__, members))
        g.first_line = min(map(line.__getitem__, members))
        g.last_line = max(map(line.__getitem__, members))
    return groups


def counts_text(counts: Counter) -> str:
    """``mul ×998, add ×998, tanh ×997``: what a group (or all) folded."""
    top = counts.most_common()
    parts = [f"{name} ×{c:,}" for name, c in top[:4]]
    if len(top) > 4:
        parts.append("…")
    return ", ".join(parts)


__all__ = ["Columns", "FOLD_KEEP", "FOLD_MIN", "Group", "counts_text", "describe", "fold",
           "seqs_where"]
