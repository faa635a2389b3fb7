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
Everything here is one pass or a sort over flat lists indexed by seq: a
300,000-node program folds in under a second.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ..record import DETACHED, GRAD, OP, PARAM, Record

FOLD_KEEP = 3               # records kept visible at each end of a folded chain
FOLD_MIN = 4                # fewer hidden records than this are not worth a fold


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


def fold(record: Record, nodes: list, in_seqs: list, max_nodes: int):
    """(group index per seq, or -1 when shown; the groups), or None when
    nothing needs folding (``max_nodes`` 0, or not more records than it)."""
    n = len(nodes)
    if max_nodes == 0 or n <= max_nodes:
        return None
    finals = {record.node(v).seq for v in record.variables.values()}
    is_op = [r.kind == OP for r in nodes]
    no_grad = [r.no_grad for r in nodes]
    consumers = [0] * n
    for ins in in_seqs:
        if len(ins) == 1:
            consumers[ins[0]] += 1
        else:
            for s in set(ins):      # x * x is one consumer of x
                consumers[s] += 1
    for r in nodes:
        if r.detached_from is not None:
            consumers[int(r.detached_from[1:])] += 1
        if r.grad_of is not None:
            consumers[int(r.grad_of[1:])] += 1
    protected = [not is_op[r.seq] or r.backward_root or r.error or r.seq in finals
                 for r in nodes]

    # Step 1: chains. chain_of[s] is the seq where s's chain starts.
    chain_of = list(range(n))
    chains: dict[int, list] = {}
    for s in range(n):
        if protected[s]:
            continue
        ins = in_seqs[s]
        op_in = -1
        for p in ins:
            if is_op[p]:
                if op_in >= 0 and p != op_in:
                    op_in = -1      # two different op inputs: not a chain link
                    break
                op_in = p
        if (op_in >= 0 and not protected[op_in] and consumers[op_in] == 1
                and no_grad[op_in] == no_grad[s]):
            chain_of[s] = chain_of[op_in]
        members = chains.get(chain_of[s])
        if members is None:
            chains[chain_of[s]] = [s]
        else:
            members.append(s)
    hidden = [False] * n
    for members in chains.values():
        if len(members) - 2 * FOLD_KEEP >= FOLD_MIN:
            for s in members[FOLD_KEEP:-FOLD_KEEP]:
                hidden[s] = True
    groups, group_of = _groups_from_chains(nodes, hidden, chain_of)
    shown = n - sum(hidden) + len(groups)
    if shown <= max_nodes:
        return group_of, _described(groups, nodes)

    # Step 2: still too many. A run is an interval of the creation order,
    # so folding it cannot make a cycle.
    keep = max(1, (max_nodes - 1) // 2)

    def tier(s):
        r = nodes[s]
        if r.backward_root or r.error:
            t = 0
        elif s in finals or r.kind == PARAM:
            t = 1
        elif r.kind in (DETACHED, GRAD) or r.name is not None:
            t = 2
        else:
            t = 3
        return (t, min(s, n - 1 - s), s)

    candidates = [s for s in range(n) if not hidden[s]]
    kept = [False] * n
    for s in sorted(candidates, key=tier)[:keep]:
        kept[s] = True
    runs, current = [], None
    for s in range(n):
        if kept[s]:
            current = None
        elif current is not None and no_grad[current[-1]] == no_grad[s]:
            current.append(s)
        else:
            current = [s]
            runs.append(current)
    groups, group_of = [], [-1] * n
    for run in runs:
        if len(run) == 1:
            continue    # shown as itself: its summary would take as much room
        for s in run:
            group_of[s] = len(groups)
        groups.append(Group(f"fold{len(groups) + 1}", run, no_grad[run[0]]))
    return group_of, _described(groups, nodes)


def _groups_from_chains(nodes, hidden, chain_of):
    groups, group_of, by_chain = [], [-1] * len(nodes), {}
    for s in range(len(nodes)):
        if hidden[s]:
            c = chain_of[s]
            g = by_chain.get(c)
            if g is None:
                g = by_chain[c] = len(groups)
                groups.append(Group(f"fold{g + 1}", [], nodes[s].no_grad))
            groups[g].members.append(s)
            group_of[s] = g
    return groups, group_of


def _described(groups: list, nodes: list) -> list:
    """Fill in what each group's members are."""
    for g in groups:
        members = [nodes[s] for s in g.members]
        g.counts = Counter([r.op if r.kind == OP else r.kind for r in members])
        g.all_ops = all(r.kind == OP for r in members)
        lines = [r.line for r in members]
        g.first_line, g.last_line = min(lines), max(lines)
    return groups


def counts_text(counts: Counter) -> str:
    """``mul ×998, add ×998, tanh ×997``: what a group (or all) folded."""
    top = counts.most_common()
    parts = [f"{name} ×{c:,}" for name, c in top[:4]]
    if len(top) > 4:
        parts.append("…")
    return ", ".join(parts)


__all__ = ["FOLD_KEEP", "FOLD_MIN", "Group", "counts_text", "fold"]
