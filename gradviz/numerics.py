"""NaN and inf in a run: found once, shown everywhere.

``nonfinite_report(record)`` looks at every tensor's value, its final
``.grad``, and the gradient that reached it in each backward pass, and says
where the first non-finite number came from:

* values: the earliest tensor holding NaN or inf. Its inputs were made
  before it and are finite, so it is the one that produced them
  (``log(x)`` with a 0 in ``x``);
* gradients: the op whose backward rule sent a NaN or inf to an input while
  the gradient it received was finite (``sqrt`` at 0 sends inf), or the seed
  of a pass when that was already non-finite.

The CLI prints ``warning_lines(report, record)`` after a run; the tables and
the SVG highlight ``report.values`` / ``report.grads`` and mark
``report.first_value`` / ``report.first_grad``. ``Record.nonfinite`` holds
the report of a record, computed on first use.

Checking is vectorised: small arrays are checked in batches (one
``np.isfinite`` per few thousand tensors), so a 100,000-node graph takes
well under a second, all finite or not.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .record import node_column, node_input_seqs, step_grads, step_node_seqs

# arrays up to this size are checked together, CHUNK at a time
SMALL = 256
CHUNK = 4096
JOIN = 65536     # small arrays joined at once by all_finite


@dataclass(frozen=True, slots=True)
class Fault:
    """What is wrong with one array: which of NaN, +inf, -inf it holds."""

    nan: bool
    posinf: bool
    neginf: bool

    @property
    def text(self) -> str:
        """``"nan"``, ``"inf"``, ``"-inf"`` or several of them, as PyTorch prints them."""
        return ", ".join(k for k, on in (("nan", self.nan), ("inf", self.posinf),
                                        ("-inf", self.neginf)) if on)


@dataclass(frozen=True, slots=True)
class GradOrigin:
    """Where the first non-finite gradient came from."""

    backward_pass: int     # the pass number (1 for the first backward/grad call)
    op_seq: int            # the node whose backward rule sent it (or the root, for a seed)
    to_seq: int            # the node that received it
    fault: Fault
    from_seed: bool = False


@dataclass(slots=True)
class NonfiniteReport:
    """NaN/inf in a record. ``values`` and ``grads`` map a node's seq to its
    Fault (grads: its final .grad, or a gradient that reached it in some
    pass); both are in creation order."""

    values: dict[int, Fault] = field(default_factory=dict)
    grads: dict[int, Fault] = field(default_factory=dict)
    first_value: int | None = None          # seq of the node that produced the first NaN/inf
    first_grad: GradOrigin | None = None

    def __bool__(self) -> bool:
        return bool(self.values or self.grads)

    def fault_of(self, seq: int) -> Fault | None:
        """The value's fault, else the gradient's, of one node (for a highlight)."""
        return self.values.get(seq) or self.grads.get(seq)


_FAULTS = [Fault(bool(b & 1), bool(b & 2), bool(b & 4)) for b in range(8)]


def _bits(faults) -> int:
    return (any(f.nan for f in faults) | 2 * any(f.posinf for f in faults)
            | 4 * any(f.neginf for f in faults))


def fault(a) -> Fault | None:
    """The Fault of one array (or number), None when it is all finite."""
    a = np.asarray(a)
    if a.dtype.kind not in "fc" or np.isfinite(a).all():
        return None
    return _FAULTS[bool(np.isnan(a).any()) | 2 * bool(np.isposinf(a).any())
                   | 4 * bool(np.isneginf(a).any())]


def _faults(arrays: list) -> dict[int, Fault]:
    """{position: Fault} of the arrays that hold NaN or inf, in order. None,
    empty and non-float arrays are finite. Small arrays are checked CHUNK at
    a time: one concatenation and a few vectorised passes per chunk."""
    found: dict[int, Fault] = {}
    small = []
    for i, a in enumerate(arrays):
        if a is None:
            continue
        if not isinstance(a, (np.ndarray, np.generic)):
            a = arrays[i] = np.asarray(a)
        if a.dtype.kind not in "fc" or a.size == 0:
            continue
        if a.size > SMALL:
            f = fault(a)
            if f is not None:
                found[i] = f
        else:
            small.append(i)
    for start in range(0, len(small), CHUNK):
        chunk = small[start:start + CHUNK]
        flat = np.concatenate([arrays[i].ravel() for i in chunk])
        finite = np.isfinite(flat)
        if finite.all():
            continue
        starts = np.cumsum([0] + [arrays[i].size for i in chunk[:-1]])
        bad = np.flatnonzero(~np.logical_and.reduceat(finite, starts)).tolist()
        # one bit each for NaN, +inf, -inf: 8 possible faults, made once
        bits = (np.logical_or.reduceat(np.isnan(flat), starts).astype(np.int8)
                | 2 * np.logical_or.reduceat(flat == np.inf, starts)
                | 4 * np.logical_or.reduceat(flat == -np.inf, starts)).tolist()
        for k in bad:
            found[chunk[k]] = _FAULTS[bits[k]]
    return dict(sorted(found.items()))


def all_finite(arrays: list) -> bool:
    """True when none of ``arrays`` (arrays, numbers or None) holds NaN or
    inf. The small ones are flattened and joined in C, JOIN at a time (a
    deep chain has a million small gradients: a Python step for each costs
    more than the check)."""
    small = []
    for a in arrays:
        if a is None:
            continue
        if getattr(a, "size", 1) > SMALL:
            if not np.isfinite(a).all():
                return False
        else:
            small.append(a)
    for start in range(0, len(small), JOIN):
        if not np.isfinite(np.concatenate(small[start:start + JOIN], axis=None)).all():
            return False
    return True


def nonfinite_report(record) -> NonfiniteReport:
    """Find the NaN and inf of a run (prefer ``record.nonfinite``, which
    computes this once)."""
    # (read as columns and steps' fields: no node record or step is made;
    # the columns copied, as _faults may replace entries)
    nodes = record.nodes
    seqs = node_column(nodes, "seq")
    report = NonfiniteReport()
    for i, f in _faults(list(node_column(nodes, "value"))).items():
        report.values[seqs[i]] = f
    for seq in _masks(report.values, node_input_seqs(nodes),
                      node_column(nodes, "op") if report.values else ()):
        del report.values[seq]
    if report.values:
        report.first_value = next(iter(report.values))

    # gradients: the final .grad, and what reached each node in each pass
    grads: dict[int, list[Fault]] = {}
    for i, f in _faults(list(node_column(nodes, "grad"))).items():
        grads.setdefault(seqs[i], []).append(f)
    passes = record.passes
    for ev in passes:
        steps = ev["steps"]
        found = _faults(step_grads(steps))
        if found:
            step_seqs = step_node_seqs(steps)
            for i, f in found.items():
                grads.setdefault(step_seqs[i], []).append(f)
    for seq in sorted(grads):
        faults = grads[seq]
        report.grads[seq] = faults[0] if len(faults) == 1 else _FAULTS[_bits(faults)]
    if report.grads:
        report.first_grad = _grad_origin(passes, report)
    return report


_NEGINF = Fault(False, False, True)


# what makes a -inf mask and nothing else: its tensor is a mask even when
# nothing reads it (a Transformer that finds the mask causal runs its
# attention's causal kernel instead)
MASK_MAKERS = frozenset(("generate_square_subsequent_mask",))


def _masks(values: dict, inputs: list, ops=()) -> list[int]:
    """The tensors whose -inf is an attention mask's, not a fault: -inf
    only, used, and every use finite or such a mask again (scores + mask
    then softmax, masked_fill(-inf), F.scaled_dot_product_attention's
    causal mask: exp(-inf) is 0), or made by a MASK_MAKERS op (ops: each
    node's op). A -inf nothing uses (log(0) as a result) or one that turns
    into NaN or a -inf loss stays a fault."""
    if not any(f == _NEGINF for f in values.values()):
        return []
    users: dict[int, list[int]] = {}
    first = next(iter(values))
    for seq in range(first + 1, len(inputs)):     # (a tensor's users come after it)
        for i in inputs[seq]:
            if i in values:
                users.setdefault(i, []).append(seq)
    masks: set[int] = set()
    for seq in sorted(values, reverse=True):      # users first
        used = users.get(seq)
        if values[seq] != _NEGINF:
            continue
        if (used and all(u not in values or u in masks for u in used)) or (
                seq < len(ops) and ops[seq] in MASK_MAKERS):
            masks.add(seq)
    return sorted(masks)


def _grad_origin(passes, report: NonfiniteReport) -> GradOrigin:
    """The first op (in the order backward ran) that sent a non-finite
    gradient while receiving a finite one; senders run before receivers,
    so the first one found made it."""
    for ev in passes:
        roots = ev["roots"]
        steps = ev["steps"]
        for i in range(len(steps)):     # (by index: the steps after the origin are not made)
            step = steps[i]
            node = step["node"]
            got = fault(step["grad"]) if node in report.grads else None
            if got is not None:
                if node in roots:
                    return GradOrigin(ev["pass"], node, node, got, from_seed=True)
                continue
            for to_seq, g in step["sent"]:
                if to_seq in report.grads:        # only those can have received it
                    f = fault(g)
                    if f is not None:
                        return GradOrigin(ev["pass"], node, to_seq, f)
    # only a final .grad is bad (accumulation overflowed): name that node
    seq = next(iter(report.grads))
    return GradOrigin(0, seq, seq, report.grads[seq])


def describe_node(n) -> str:
    """A node as a message names it: its source text and line (``log(x) at line 3``)."""
    what = n.expr or n.name or n.id
    return f"{what} at line {n.line}" if n.line else what


def warning_lines(report: NonfiniteReport, record) -> list[str]:
    """The warnings the CLI prints after a run (none when all is finite)::

        warning: 2 tensors hold NaN or inf; the first is log(x) at line 3 (-inf)
        warning: 1 tensor got a NaN or inf gradient; the first came from the
                 backward of sqrt(x) at line 2 (inf, sent to x)
    """
    lines = []
    if report.values:
        k = len(report.values)
        first = record.node(report.first_value)
        lines.append(f"warning: {k} tensor{'s' if k != 1 else ''} hold{'s' if k == 1 else ''} "
                     f"NaN or inf; the first is {describe_node(first)} "
                     f"({report.values[report.first_value].text})")
    if report.grads:
        k = len(report.grads)
        o = report.first_grad
        op = record.node(o.op_seq)
        if o.from_seed:
            where = f"the gradient backward started from, at {describe_node(op)} ({o.fault.text})"
        elif o.op_seq == o.to_seq:
            where = f"the .grad of {describe_node(op)} ({o.fault.text})"
        else:
            to = record.node(o.to_seq)
            where = (f"the backward of {describe_node(op)} "
                     f"({o.fault.text}, sent to {to.name or to.expr or to.id})")
        lines.append(f"warning: {k} tensor{'s' if k != 1 else ''} got a NaN or inf "
                     f"gradient; the first came from {where}")
    return lines
