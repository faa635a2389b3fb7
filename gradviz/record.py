"""The plain record of a run: what renderers read, never the engine.

Record.nodes is a sequence of NodeRecord in creation order (a topological
order); Record.events is the timeline (backward passes with the gradient
that reached every node, zero_() calls, ...). Each node record, and each
pass's list of steps, is made on first access and kept: the tables of a
300,000-node run show a few hundred rows, and its picture folds all but a
few nodes into one summary, so neither pays for records no one reads.
What they count over every node (ops, leaves, pruned, freed, ...) they
read from node_column(), one plain field of every node made in bulk.
"""
from __future__ import annotations

from bisect import bisect_right

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import compress, count, repeat
from operator import add, attrgetter, is_, is_not, not_
from typing import TYPE_CHECKING

import numpy as np

from .gcpause import gc_paused
from .tensor import DTYPE_NAMES, Tensor

if TYPE_CHECKING:           # (at run time, record.NodeRecord is __getattr__'s)
    from .node_record import NodeRecord

# node kinds, as the renderers draw them
PARAM = "param"          # leaf that requires grad (a parameter / input of backward)
CONST = "const"          # leaf that does not require grad (data, constants)
OP = "op"                # result of an op
DETACHED = "detached"    # detach() / .data: shares a value, no gradient path
GRAD = "grad"            # a .grad tensor the program used

PASS_KINDS = ("backward", "grad")     # the kinds of event of a reverse pass
# the ops of the gradients hooks got (of: the hooked tensor): a tensor
# hook's, and a node's (gradviz.hooks), whose op goes on with the argument
# it was: "grad_fn hook's grad_inputs[1]"
TENSOR_HOOK_LABEL = "hook's grad"
PRE_LABEL = "grad_fn pre-hook's"
POST_LABEL = "grad_fn hook's"
MODULE_LABEL = "module backward hook's"     # (gradviz.module_hooks: grad_input[0], ...)
_HOOK_CALLS = ((TENSOR_HOOK_LABEL, "register_hook"), (PRE_LABEL + " ", "grad_fn.register_prehook"),
               (POST_LABEL + " ", "grad_fn.register_hook"),
               (MODULE_LABEL + " ", "Module.register_full_backward_hook"))


def hook_made(op: str) -> tuple[str, str] | None:
    """For the op of a gradient a hook got: (the call that registered the
    hook, which argument of it the gradient was), else None."""
    for prefix, call in _HOOK_CALLS:
        if op.startswith(prefix):
            return call, op[len(prefix):] or "the gradient"
    return None


def _node_record_class() -> type:
    """NodeRecord, from node_record.py: imported when first needed, as a
    plain run makes no node record (see that module's docstring)."""
    from .node_record import NodeRecord
    return NodeRecord


def __getattr__(name: str):
    # record.NodeRecord (and `from .record import NodeRecord`), made when
    # first asked for
    if name == "NodeRecord":
        return _node_record_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# the NodeRecord fields node_column() reads without making node records
COLUMNS = ("seq", "kind", "op", "line", "name", "is_leaf", "requires_grad", "no_grad", "in_loop",
           "detached_from", "grad_of", "backward_root", "error", "pruned", "freed",
           "value", "grad",
           # and the rest of what the JSON writes of every node
           "id", "symbol", "grad_fn", "expr", "col", "shape", "dtype", "retains_grad",
           "params", "consts", "visited", "pruned_reason", "final_value", "changed_in_place")
# the columns _source_columns makes together
_SOURCE_COLUMNS = ("symbol", "grad_fn", "expr", "col", "params", "consts")


def node_column(nodes, name: str) -> list:
    """The field ``name`` (one of COLUMNS) of each of ``nodes`` (Record.nodes,
    or a list of NodeRecord), in order. From Record.nodes it is read off the
    tape, made once, without making any node record: what renderers count
    or fold over every node of a big graph."""
    if isinstance(nodes, NodeList):
        return nodes.column(name)
    return [getattr(n, name) for n in nodes]


def node_input_seqs(nodes) -> list[list[int]]:
    """Per node of ``nodes`` (as node_column), the seqs of its tensor inputs:
    NodeRecord.inputs as numbers."""
    if isinstance(nodes, NodeList):
        return nodes.input_seqs()
    return [[int(i[1:]) for i in n.inputs] for n in nodes]


class NodeList(Sequence):
    """Record.nodes: the NodeRecord of each tensor of the tape, made on
    first access and kept. Indexable (negative indices too; a slice is a
    list), iterable, with len.

    What a record sets from the whole run (visited, grads_by_pass,
    backward_root, pruned, error) comes from small tables made once from
    the passes; column() reads one field of every node off the tape. It
    holds the tape and the events, never the Record (which holds it): the
    record stays free of reference cycles."""

    __slots__ = ("_tensors", "_lines", "_snaps", "_events", "_error_tensors", "_loop_marks",
                 "_items", "_unmade", "_reached", "_grads_of", "_roots", "_errors", "_pruned",
                 "_columns", "_node_class")

    def __init__(self, tensors: list, source: str, snapshots: dict, events: list,
                 error_tensors: list, loop_marks: list = ()):
        self._tensors = tensors
        # Tape.loop_marks as (first seqs, labels), for a bisection
        self._loop_marks = (tuple(m[0] for m in loop_marks),
                            tuple(m[1] for m in loop_marks)) if loop_marks else None
        self._lines = source.splitlines()
        self._snaps = snapshots
        self._events = events           # Record.events
        self._error_tensors = error_tensors
        self._items: list[NodeRecord | None] = [None] * len(tensors)
        self._unmade = len(tensors)     # (`None in items` would call NodeRecord.__eq__ on each)
        # what the passes say of each node, made with the first record (_tables)
        self._reached = self._grads_of = self._roots = self._errors = self._pruned = None
        self._node_class = None         # NodeRecord, also set by _tables (see _node_record_class)
        self._columns: dict[str, list] = {}     # see column()

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self._items)))]
        n = self._items[i]          # (an IndexError, and negative indices, as a list's)
        if n is None:
            n = self._make(i if i >= 0 else i + len(self._items))
        return n

    def __iter__(self):
        items = self._items
        if self._unmade:
            with gc_paused():
                for seq, n in enumerate(items):
                    if n is None:
                        self._make(seq)
        return iter(items)

    def __repr__(self) -> str:
        return f"<{len(self)} node records>"

    def _make(self, seq: int) -> NodeRecord:
        if self._reached is None:
            self._tables()
        n = _node_record(self._node_class, self._tensors[seq], self._lines, self._snaps)
        for k, g in self._grads_of.get(seq, ()):
            if g is not None:
                n.grads_by_pass[k] = _array(g)
        if n.grads_by_pass:
            n.visited = True
        if seq in self._roots:
            n.backward_root = True
        reason = self._pruned.get(seq)
        if reason is not None:
            n.pruned = True
            n.pruned_reason = reason
        if seq in self._errors:
            n.error = True
        marks = self._loop_marks
        if marks:
            k = bisect_right(marks[0], seq) - 1
            if k >= 0:
                n.in_loop = marks[1][k]
        self._items[seq] = n
        self._unmade -= 1
        return n

    # ---- what the whole run says about nodes, made once -----------------
    def _tables(self) -> None:
        """Make _reached: (pass, {seq: the gradient that reached it}) of
        each reverse pass; _roots, the seqs backward() was called on;
        _errors, those the failing statement used; _pruned (see pruned)."""
        events = self._events
        self._node_class = _node_record_class()
        with gc_paused():
            self._reached = [(ev["pass"], ev["steps"].reached())
                             for ev in events if ev["kind"] in PASS_KINDS]
            # seq -> [(pass, gradient)]: a node's record reads its own entry, not
            # every pass (a loop of a thousand backward() calls)
            grads_of: dict[int, list] = {}
            for k, reached in self._reached:
                for seq, g in reached.items():
                    grads_of.setdefault(seq, []).append((k, g))
            self._grads_of = grads_of
        self._roots = {seq for ev in events if ev["kind"] == "backward" for seq in ev["roots"]}
        self._errors = set(self._error_tensors)
        self._pruned = self._pruned_reasons()

    def _pruned_reasons(self) -> dict[int, str]:
        """seq -> pruned_reason: a branch backward did not enter because it
        needs no gradient, the inputs it skipped and everything they were
        computed from, unless some pass visited them."""
        out: dict[int, str] = {}
        tensors = self._tensors
        reached = self._grads_of
        for ev in self._events:
            if ev["kind"] not in PASS_KINDS:
                continue
            stack = [a for _, a in ev["pruned"]]
            while stack:
                seq = stack.pop()
                if seq in out or seq in reached:
                    continue
                t = tensors[seq]
                meta = t.meta or _NO_META
                if "no_grad_view" in meta:
                    # no edge to its base: the base is not behind the cut
                    out[seq] = ("a view made under no_grad(): it requires grad, "
                                "but no gradient goes to it or its base")
                    continue
                frozen_at = meta.get("frozen_at")
                out[seq] = ("detached: the value is shared, the gradient stops"
                            if t.op is None and "detached_from" in meta else
                            f"frozen by requires_grad_(False) on line {frozen_at}"
                            if frozen_at is not None and not t.requires_grad else
                            "made under no_grad()" if meta.get("no_grad") is not None else
                            "behind a branch backward skipped" if t.requires_grad else
                            "needs no gradient (requires_grad=False)")
                if t.op is not None:
                    stack.extend(a.seq for a in t.args if a.__class__ is Tensor)
        return out

    def input_seqs(self) -> list[list[int]]:
        """See node_input_seqs."""
        out = []
        append = out.append
        for t in self._tensors:     # (one or two arguments inline: 300,000 nodes)
            if t.op is None:
                append([])
                continue
            args = t.args
            if len(args) == 1:
                a = args[0]
                append([a.seq] if a.__class__ is Tensor else [])
            elif len(args) == 2:
                a, b = args
                if a.__class__ is Tensor:
                    append([a.seq, b.seq] if b.__class__ is Tensor else [a.seq])
                else:
                    append([b.seq] if b.__class__ is Tensor else [])
            else:
                append([a.seq for a in args if a.__class__ is Tensor])
        return out

    def column(self, name: str) -> list:
        """See node_column; each column is made once."""
        col = self._columns.get(name)
        if col is None:
            if name not in COLUMNS:
                raise ValueError(f"not a node column: {name!r}")
            with gc_paused():
                if name in ("kind", "op", "no_grad", "detached_from", "grad_of"):
                    self._columns.update(self._meta_columns())
                elif name in _SOURCE_COLUMNS:
                    self._columns.update(self._source_columns())
                else:
                    self._columns[name] = self._column(name)
            col = self._columns[name]
        return col

    def _column(self, name: str) -> list:
        tensors, n = self._tensors, len(self._tensors)
        if name == "seq":
            return list(range(n))
        if name == "line":
            return [s[0] if s is not None else 0 for s in map(_SPAN, tensors)]
        if name == "is_leaf":
            return list(map(not_, map(_RECORDED, tensors)))
        if name in ("name", "requires_grad", "freed"):
            return list(map(attrgetter(name), tensors))
        if name == "value":            # as made: before any in-place write
            values = list(map(_DATA, tensors))
            for seq, v in self._snaps.items():
                values[seq] = v
            return values
        if name == "grad":
            return [None if g is None else g.data for g in map(_GRAD, tensors)]
        if name == "id":
            return [f"n{seq}" for seq in range(n)]
        if name == "shape":
            return list(map(attrgetter("shape"), map(_DATA, tensors)))
        if name == "dtype":
            return list(map(DTYPE_NAMES.__getitem__, map(attrgetter("dtype"), map(_DATA, tensors))))
        if name == "retains_grad":
            return list(map(attrgetter(name), tensors))
        if name == "in_loop":          # each mark's label up to the next mark
            col = [None] * n
            marks = self._loop_marks
            if marks:
                seqs, labels = marks
                ends = seqs[1:] + (n,)
                for start, end, label in zip(seqs, ends, labels):
                    col[start:end] = [label] * (min(end, n) - start)
            return col
        if name == "final_value":
            return list(map(_DATA, tensors))
        if name == "changed_in_place":
            col = [False] * n
            for seq in self._snaps:
                col[seq] = True
            return col
        if self._reached is None:
            self._tables()
        if name == "visited":
            col = [False] * n
            for _, reached in self._reached:
                for seq in reached:
                    col[seq] = True
            return col
        if name == "pruned_reason":
            col = [None] * n
            for seq, reason in self._pruned.items():
                col[seq] = reason
            return col
        seqs = (self._roots if name == "backward_root" else
                self._errors if name == "error" else self._pruned)
        col = [False] * n
        for seq in seqs:
            col[seq] = True
        return col

    def _meta_columns(self) -> dict[str, list]:
        """kind, op, no_grad, detached_from, grad_of: an op's result without
        meta (nearly every node of a big graph) has OP, its op's name and
        None; the others are set one by one, as _node_record does."""
        tensors, n = self._tensors, len(self._tensors)
        ops = list(map(_OP, tensors))
        metas = list(map(_META, tensors))
        kind = [OP] * n
        opname = [None if op is None else op.name for op in ops]
        no_grad, det, grad_of = [None] * n, [None] * n, [None] * n
        # (found in C: the leaves, and the results with meta, are few)
        leaves = compress(range(n), map(is_, ops, repeat(None)))
        with_meta = compress(range(n), map(is_not, metas, repeat(None)))
        for seq in sorted({*leaves, *with_meta}):
            meta = metas[seq] or _NO_META
            if ops[seq] is None:
                opname[seq] = meta.get("label", "tensor")
                kind[seq] = _leaf_kind(tensors[seq], meta)
            if meta.get("detached_from") is not None:
                det[seq] = f"n{meta['detached_from']}"
            if meta.get("grad_of") is not None:
                grad_of[seq] = f"n{meta['grad_of']}"
            no_grad[seq] = meta.get("no_grad")
        return {"kind": kind, "op": opname, "no_grad": no_grad, "detached_from": det,
                "grad_of": grad_of}

    def _source_columns(self) -> dict[str, list]:
        """symbol, grad_fn, expr, col, params, consts: as _node_record
        makes them, without the records."""
        symbol, grad_fn, params, consts = [], [], [], []
        no_params, no_consts = {}, []   # shared by the nodes that have none (read only, as every column)
        for t in self._tensors:
            op = t.op
            if op is None:
                symbol.append((t.meta or _NO_META).get("label", "tensor"))
                params.append(no_params)
                consts.append(no_consts)
            else:
                p = t.params
                symbol.append(p.get("symbol", op.symbol) if p else op.symbol)
                params.append(_display_params(p) if p else no_params)
                consts.append([(i, a) for i, a in enumerate(t.args) if a.__class__ is not Tensor]
                              or no_consts)
            grad_fn.append(_grad_fn_name(t))
        lines = self._lines
        places = [_expr_and_col(span, lines) for span in map(_SPAN, self._tensors)]
        for seq in compress(range(len(places)), map(is_not, map(_META, self._tensors),
                                                         repeat(None))):
            places[seq] = _in_module(self._tensors[seq], places[seq])
        return {"symbol": symbol, "grad_fn": grad_fn, "expr": [e for e, _ in places],
                "col": [c for _, c in places], "params": params, "consts": consts}


def _expr_and_col(span, lines) -> tuple[str, int]:
    """The source text of a span, and its column (as _node_record)."""
    if span is None:
        return "", 0
    line, col, end_line, end_col = span
    if not 0 < line <= len(lines):
        return "", col
    text = lines[line - 1]
    return text[col - 1:(end_col if end_line == line else len(text) + 1) - 1], col


def _in_module(t: Tensor, place: tuple) -> tuple[str, int]:
    """A node a module made inside a call of another says which: "net[0] in
    net(x)" (modules.py marks them), not only the call's text. A node that
    stands for an expression the call's text does not show says that one
    (meta "expr": net[0].weight.T in net(X), net[0].weight.grad read by
    opt.step()), "{call}" in it the call's text."""
    meta = t.meta or _NO_META
    expr = meta.get("expr")
    if expr is not None:
        return expr.replace("{call}", place[0]), place[1]
    module = meta.get("module")
    return place if module is None else (f"{module} in {place[0]}", place[1])


_OP, _META, _SPAN, _RECORDED, _SEQ, _DATA, _GRAD = (
    attrgetter(a) for a in ("op", "meta", "span", "recorded", "seq", "data", "grad"))


class Steps(Sequence):
    """The steps of one reverse pass as plain data, in the order backward
    ran: {"node": seq, "grad": gradient that reached it, "sent": [(input
    seq, gradient sent to it)]}. Each is made from the engine's list on
    first access and kept (a table only counts them, a folded picture
    reads those of the nodes it draws); otherwise a list's behaviour."""

    __slots__ = ("_raw", "_starts", "_items")

    def __init__(self, raw: list):
        self._raw = raw               # the engine's (see Steps)
        self._starts = None           # where each step starts, in a flat raw list
        self._items: list[dict | None] | None = None

    def _index(self) -> list:
        if self._items is None:
            raw = self._raw
            if raw and raw[0].__class__ is tuple:
                self._items = [None] * len(raw)
            else:
                self._starts = _step_starts(raw)
                self._items = [None] * len(self._starts)
        return self._items

    def __len__(self) -> int:
        return len(self._index())

    def __getitem__(self, i):
        items = self._index()
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(items)))]
        step = items[i]               # (an IndexError, and negative indices, as a list's)
        if step is None:
            step = items[i] = self._make(i if i >= 0 else i + len(items))
        return step

    def __iter__(self):
        items = self._index()
        with gc_paused():
            for i, step in enumerate(items):
                if step is None:
                    items[i] = self._make(i)
        return iter(items)

    def _make(self, i: int) -> dict:
        """Step i, from the engine's flat list (node, grad, (input, grad
        sent)*, None: autodiff.run_backward) or, for a recorded
        (create_graph) pass, its (node, grad, ((input, grad sent), ...))."""
        raw = self._raw
        if self._starts is None:
            n, g, sent = raw[i]
            return {"node": n.seq, "grad": _array(g),
                    "sent": [(a.seq, _array(ga)) for a, ga in sent]}
        j = self._starts[i]
        node, g = raw[j], raw[j + 1]
        j += 2
        sent = []
        while raw[j] is not None:
            sent.append((raw[j].seq, _array(raw[j + 1])))
            j += 2
        return {"node": node.seq, "grad": _array(g), "sent": sent}

    def node_seqs(self) -> list[int]:
        """The "node" of each step, without making the steps."""
        self._index()
        raw = self._raw
        if self._starts is None:
            return [n.seq for n, _, _ in raw]
        return list(map(_SEQ, map(raw.__getitem__, self._starts)))

    def grads(self) -> list:
        """The "grad" of each step as the engine keeps it (an array, or a
        numpy scalar that _array makes one), without making the steps."""
        self._index()
        raw = self._raw
        if self._starts is None:
            return [g for _, g, _ in raw]
        return list(map(raw.__getitem__, map(add, self._starts, repeat(1))))

    def reached(self) -> dict:
        """seq -> the gradient that reached it (as grads())."""
        return dict(zip(self.node_seqs(), self.grads()))

    def __eq__(self, other):
        if isinstance(other, Steps):
            other = list(other)
        return list(self) == other if isinstance(other, list) else NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        return repr(list(self))


def step_node_seqs(steps) -> list[int]:
    """The "node" of each of a pass's steps (a Steps, or a list of dicts)."""
    if isinstance(steps, Steps):
        return steps.node_seqs()
    return [step["node"] for step in steps]


def step_grads(steps) -> list:
    """The "grad" of each of a pass's steps (a Steps: maybe as numpy
    scalars, see Steps.grads)."""
    if isinstance(steps, Steps):
        return steps.grads()
    return [step["grad"] for step in steps]


@dataclass
class Record:
    """Everything a run produced, as plain data."""

    source: str
    filename: str
    output: str                           # what the program printed
    variable_ids: dict                    # DSL name -> NodeRecord id (tensors only)
    error: dict | None                    # {"type", "message", "line", "column", "hint"}
    tensors: list = field(repr=False)     # the tape (what .nodes reads)
    raw_events: list = field(repr=False)
    no_grad_blocks: list = field(default_factory=list)   # [(line, end_line)]
    block_titles: dict = field(default_factory=dict)     # block -> title, if not a with block
    error_tensors: list = field(default_factory=list, repr=False)
    snapshots: dict = field(default_factory=dict, repr=False)   # seq -> value before in-place writes
    loop_marks: list = field(default_factory=list, repr=False)  # Tape.loop_marks
    transforms: list = field(default_factory=list, repr=False)  # Tape.transforms
    local_names: dict = field(default_factory=dict, repr=False)  # Tape.local_names
    # forward mode, when asked for (run --mode forward|both): {"mode",
    # "direction", "passes": [per reverse pass: "pass", "kind", "line",
    # "roots", "outputs", "jvp_passes", "reverse_passes" (1), "skipped",
    # "inputs": [{"node", "name", "shape", "passes", "grad" (forward mode),
    # "reverse", "agree", ...}], "direction": None or {"value", "tangents"}]}
    forward_mode: dict | None = field(default=None, repr=False)

    # ---- the plain data, built once on first use -----------------------
    @cached_property
    def nodes(self) -> NodeList:
        """The NodeRecord of each tensor, in creation order (each made on
        first access: see NodeList)."""
        return NodeList(self.tensors, self.source, self.snapshots, self.events,
                        self.error_tensors, self.loop_marks)

    @cached_property
    def events(self) -> list[dict]:
        """The timeline with tensors replaced by node seq numbers (a pass's
        "steps" are a Steps, made on first access)."""
        out = []
        for ev in self.raw_events:
            if ev["kind"] in PASS_KINDS:
                ev = dict(ev)
                ev["steps"] = Steps(ev["steps"])
                ev["pruned"] = _pruned(ev["pruned"])
            out.append(ev)
        return out

    @cached_property
    def shared_exprs(self) -> frozenset:
        """Source texts that nodes of different ops share: the pieces a
        module makes in one call ("net[2] in net(x)" is both the weight's
        .t() and the addmm), which explain names with their op."""
        ops: dict = {}
        for expr, op in zip(self.nodes.column("expr"), self.nodes.column("op")):
            if expr:
                ops.setdefault(expr, set()).add(op)
        return frozenset(expr for expr, seen in ops.items() if len(seen) > 1)

    @cached_property
    def variables(self) -> dict[str, NodeRecord]:
        """DSL name -> the NodeRecord it is bound to at the end of the run
        (tensors only): ``r.variables["x"].grad`` is a numpy array."""
        return {name: self.node(nid) for name, nid in self.variable_ids.items()}

    @cached_property
    def nonfinite(self):
        """NaN and inf in values and gradients, and the node that produced
        the first (a numerics.NonfiniteReport, computed once)."""
        from .numerics import NonfiniteReport, all_finite, nonfinite_report
        if all_finite(self._arrays()):   # most runs: no node records needed
            return NonfiniteReport()
        return nonfinite_report(self)

    def _arrays(self) -> list:
        """Every array the report looks at, read from the tape: each
        tensor's value (now, and when made if written in place since), its
        .grad, and each gradient of each pass. (A 300,000-node run's node
        records take seconds, which `run --no-tables` would pay for its NaN
        warning alone.)"""
        arrays = list(self.snapshots.values())
        for t in self.tensors:
            arrays.append(t.data)
            if t.grad is not None:
                arrays.append(t.grad.data)
        for ev in self.raw_events:
            if ev["kind"] not in ("backward", "grad"):
                continue
            steps = ev["steps"]
            if steps and steps[0].__class__ is tuple:   # (node, grad, ((input, sent), ...))
                for _, g, sent in steps:
                    arrays.append(g)
                    arrays.extend(ga for _, ga in sent)
            else:                  # node, grad, (input, grad sent)*, None
                arrays.extend(x for x in steps if x is not None and x.__class__ is not Tensor)
        return [a.data if a.__class__ is Tensor else a for a in arrays]

    def node(self, id_or_seq) -> NodeRecord:
        """A node by id ("n3"), seq (3), or the NodeRecord itself."""
        if isinstance(id_or_seq, _node_record_class()):
            return id_or_seq
        seq = int(id_or_seq[1:]) if isinstance(id_or_seq, str) else id_or_seq
        return self.nodes[seq]

    @property
    def passes(self) -> list[dict]:
        return [e for e in self.events if e["kind"] in ("backward", "grad")]

    @property
    def failed_calls(self) -> list[dict]:
        """The backward() and autograd.grad() calls that raised an error:
        {"call": "backward" or "grad", "line", "roots": [seq], "type",
        "message", "stopped": whether the error ended the run (else the
        program caught it)}, in the order they ran."""
        return [e for e in self.events if e["kind"] == "failed"]

    def grad_history(self, seq: int) -> list[tuple[str, np.ndarray, int]]:
        """(what, .grad after it, line) for a leaf, over the whole run."""
        hist = []
        for ev in self.events:
            if ev["kind"] == "backward" and seq in ev["leaf_grads"]:
                hist.append((f"backward #{ev['pass']}", ev["leaf_grads"][seq], ev["line"]))
            elif ev["kind"] == "zero_" and ev.get("grad_of") == seq:
                hist.append(("zero_()", np.zeros_like(hist[-1][1])
                             if hist and hist[-1][1] is not None else None, ev["line"]))
            elif ev["kind"] == "grad_set" and ev["node"] == seq:
                new = ev["value"]
                hist.append((".grad = " + ("None" if new is None else f"n{new}"),
                             None if new is None else self.nodes[new].value, ev["line"]))
        return hist

    # ---- exports ---------------------------------------------------------
    def to_json(self, indent: int | None = 2) -> str:
        from .render.jsonout import record_to_json
        return record_to_json(self, indent)

    def to_dict(self) -> dict:
        from .render.jsonout import record_to_dict
        return record_to_dict(self)

    def to_dot(self, **options) -> str:
        from .render.dot import to_dot
        return to_dot(self, **options)

    def to_svg(self, **options) -> str:
        from .render.svg import to_svg
        return to_svg(self, **options)

    def _repr_svg_(self):
        # None (not an exception) when no engine can draw: IPython then
        # falls back to the HTML, which says why
        from .notebook import svg_or_none
        return svg_or_none(self)

    def _repr_html_(self):
        from .notebook import record_html
        return record_html(self)


def updates_itself(name: str | None, expr: str) -> bool:
    """expr is a statement that writes into a tensor in place, an augmented
    assignment ("y *= 2") or an item assignment ("y[0] = v", or "v[0] = x"
    for the base v views): a label shows it as it is, not as "y = y *= 2"."""
    return _WRITE_STATEMENT.match(expr) is not None or _INPLACE_CALL.fullmatch(expr) is not None


def after_name(name: str, expr: str) -> str:
    """What a label shows after ``name`` for a node made by the write
    statement ``expr`` (updates_itself): the rest of the statement when it
    writes into name ("y" + "[0] = v"), else " via " and the statement (the
    base of the view it wrote into: "y via v[0] = x")."""
    if expr.startswith(name) and expr[len(name):len(name) + 1] in ("[", " ", "."):
        return expr[len(name):]
    return " via " + expr


# a name (or attribute), maybe indexed, then = or an augmented assignment:
# the start of a statement, which no expression is (== is a comparison, and
# a keyword argument follows a '(')
_WRITE_STATEMENT = re.compile(r"[\w.]+(?:\[[^=]*\])?\s*[-+*/@]?=(?!=)")
# a call of an in-place method: "y.add_(1)", "w.grad.zero_()"
_INPLACE_CALL = re.compile(r"[\w.]+(?:\[[^=]*\])?\.[a-z]\w*_\(.*\)")


def _node_record(node_class: type, t: Tensor, lines, snaps) -> NodeRecord:
    meta = t.meta or _NO_META
    span = t.span
    op = t.op
    if op is not None:
        kind = OP
        opname, symbol = op.name, op.symbol
        if t.params and "symbol" in t.params:      # a gather drawn as its call (topk)
            symbol = t.params["symbol"]
        inputs, consts = [], []
        for i, a in enumerate(t.args):
            if a.__class__ is Tensor:
                inputs.append(f"n{a.seq}")
            else:
                consts.append((i, a))
        params = _display_params(t.params) if t.params else {}
        formula = op.formula if op.formula_for is None or not t.params else \
            op.formula_for(t.params)
    else:
        label = meta.get("label", "tensor")
        opname = symbol = label
        inputs, consts, params, formula = [], [], {}, ()
        kind = _leaf_kind(t, meta)
    expr, col = _in_module(t, _expr_and_col(span, lines))
    line = span[0] if span is not None else 0
    det = meta.get("detached_from")
    grad_of = meta.get("grad_of")
    seq = t.seq
    data = t.data
    # This runs once per node (300,000 times for a deep chain), and keyword
    # arguments to a dataclass this wide cost more than all the rest: the
    # fields without defaults (they open the class) go by position, and the
    # others are set by name, only where they differ from the default.
    grad_fn = _grad_fn_name(t)
    n = node_class(
        f"n{seq}", seq, kind, opname, symbol, grad_fn, inputs, consts, params,
        t.name, expr, line, col, data.shape,
        DTYPE_NAMES[data.dtype], data, t.requires_grad, not t.recorded, t.retains_grad,
        None if t.grad is None else t.grad.data)
    n.final_value = data
    if formula:
        n.formula = formula
    if snaps and seq in snaps:
        n.value = snaps[seq]
        n.changed_in_place = True
    if det is not None:
        n.detached_from = f"n{det}"
    if grad_of is not None:
        n.grad_of = f"n{grad_of}"
    if "of" in meta:
        n.of = f"n{meta['of']}"
    if "link_to" in meta:
        n.links = tuple((f"n{s}", text) for s, text in meta["link_to"])
    no_grad = meta.get("no_grad")
    if no_grad is not None:
        n.no_grad = no_grad
    frozen_at = meta.get("frozen_at")
    if frozen_at is not None and not t.requires_grad:
        n.frozen_at = frozen_at
    if t.freed:
        n.freed = True
    if op is not None and op.saves and t.recorded:
        n.saves = True
    return n


def _leaf_kind(t: Tensor, meta: dict) -> str:
    """What a tensor no op made is: a detach() or .data, a .grad, a
    parameter or a constant."""
    return (DETACHED if "detached_from" in meta else GRAD if "grad_of" in meta
            else PARAM if t.requires_grad else CONST)


def _grad_fn_name(t: Tensor) -> str | None:
    """PyTorch's grad_fn name of a recorded tensor (Tensor.grad_fn_name),
    or None."""
    if not t.recorded:
        return None
    op = t.op
    meta = t.meta or _NO_META
    rebased = meta.get("rebased")
    if meta.get("written_later"):
        # a view written in place through its family after it was made: a
        # grad_fn read from then on is PyTorch's new one, but the ops made
        # from it before (the graph drawn) hold the node it was made with
        rebased = None
    return rebased or meta.get("grad_fn_name") or (
        op.grad_fn if op.grad_fn.__class__ is str else op.grad_fn_for(t))


_NO_META: dict = {}     # read only: the meta of a tensor that has none
_ND = np.ndarray
_asarray = np.asarray


def _array(v) -> np.ndarray:
    # the engine may pass numpy scalars between 0-d nodes; the record holds arrays
    return v if v.__class__ is _ND else _asarray(v)


def _step_starts(raw: list) -> list[int]:
    """Where each step of a flat raw list (see Steps) starts: at 0 and
    after each None. Found in C (a pass over a 300,000-node chain has a
    million entries), by identity: list.index would compare arrays with ==."""
    ends = compress(count(), map(is_, raw, repeat(None)))
    starts = [0]
    starts += map(add, ends, repeat(1))
    starts.pop()                   # (after the last None: the end)
    return starts


def _pruned(raw: list) -> list[tuple]:
    """(node seq, input seq) pairs, from pairs or a flat list (as Steps)."""
    if raw and raw[0].__class__ is tuple:
        return [(n.seq, a.seq) for n, a in raw]
    return [(raw[i].seq, raw[i + 1].seq) for i in range(0, len(raw), 2)]


def _display_params(p) -> dict:
    if not p:
        return {}
    out = {}
    for k, v in p.items():
        # (set_'s "memory": the array its node takes, not an argument)
        if k in ("grad_fn", "advanced", "ctx", "symbol", "input_layout", "memory") or v is None or \
                (k == "keepdim" and not v):
            continue
        if k == "index":
            continue
        if k == "dtype":
            v = str(np.dtype(v))
        if isinstance(v, tuple) and len(v) == 1 and k == "dim":
            v = v[0]
        out[k] = v
    return out


def dumps(obj, indent=2) -> str:
    import json   # here, not at the top: a run without --json need not load it
    return json.dumps(obj, indent=indent, allow_nan=True)
