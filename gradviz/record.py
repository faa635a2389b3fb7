"""The plain record of a run: what renderers read, never the engine.

Record.nodes is a list of NodeRecord in creation order (a topological
order); Record.events is the timeline (backward passes with the gradient
that reached every node, zero_() calls, ...). Node records are built on
first access, once, so running a big program does not pay for records no
one reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .gcpause import gc_paused
from .tensor import DTYPE_NAMES, Tensor

# node kinds, as the renderers draw them
PARAM = "param"          # leaf that requires grad (a parameter / input of backward)
CONST = "const"          # leaf that does not require grad (data, constants)
OP = "op"                # result of an op
DETACHED = "detached"    # detach() / .data: shares a value, no gradient path
GRAD = "grad"            # a .grad tensor the program used


@dataclass(slots=True)
class NodeRecord:
    id: str                     # "n12": stable, from the creation index
    seq: int
    kind: str                   # PARAM, CONST, OP, DETACHED, GRAD
    op: str                     # op name ("mul") or how it was made ("arange", "detach")
    symbol: str                 # as the DSL writes it: "*", "tanh", "sum", "arange"
    grad_fn: str | None         # PyTorch's grad_fn name, when recorded
    inputs: list                # ids of the tensor arguments, in order
    consts: list                # [(position, number)] for Python-number arguments
    params: dict                # keyword parameters shown on the op (dim=...)
    name: str | None            # the DSL name bound to it
    expr: str                   # the source text that made it
    line: int
    col: int
    shape: tuple
    dtype: str
    value: np.ndarray
    requires_grad: bool
    is_leaf: bool
    retains_grad: bool
    grad: np.ndarray | None     # final .grad (leaves, retained non-leaves)
    formula: tuple = ()         # per input, the local derivative as a formula
    detached_from: str | None = None
    no_grad: int | None = None  # index of the no_grad block it was made in
    grad_of: str | None = None  # for GRAD nodes: whose .grad it is
    backward_root: bool = False # backward() was called on it
    visited: bool = False       # reached by some backward pass
    pruned: bool = False        # left out of every backward pass: needs no gradient
    pruned_reason: str | None = None
    freed: bool = False         # saved values released by backward()
    saves: bool = False         # its backward needs saved values (so freeing matters)
    error: bool = False         # the failing statement used it
    final_value: np.ndarray | None = None   # the value at the end of the run
    changed_in_place: bool = False          # so value (when made) != final_value
    grads_by_pass: dict = field(default_factory=dict)   # pass -> gradient that reached it


@dataclass
class Record:
    """Everything a run produced, as plain data."""

    source: str
    filename: str
    output: str                           # what the program printed
    variable_ids: dict                    # DSL name -> NodeRecord id (tensors only)
    error: dict | None                    # {"type", "message", "line", "column", "hint"}
    tensors: list = field(repr=False)     # the tape (read once by .nodes)
    raw_events: list = field(repr=False)
    no_grad_blocks: list = field(default_factory=list)   # [(line, end_line)]
    error_tensors: list = field(default_factory=list, repr=False)
    snapshots: dict = field(default_factory=dict, repr=False)   # seq -> value before in-place writes
    # forward mode, when asked for (run --mode forward|both): {"mode",
    # "direction", "passes": [per reverse pass: "pass", "kind", "line",
    # "roots", "outputs", "jvp_passes", "reverse_passes" (1), "skipped",
    # "inputs": [{"node", "name", "shape", "passes", "grad" (forward mode),
    # "reverse", "agree", ...}], "direction": None or {"value", "tangents"}]}
    forward_mode: dict | None = field(default=None, repr=False)

    # ---- the plain data, built once on first use -----------------------
    @cached_property
    def nodes(self) -> list[NodeRecord]:
        with gc_paused():
            return self._build_nodes()

    def _build_nodes(self) -> list[NodeRecord]:
        lines = self.source.splitlines()
        snaps = self.snapshots
        out = []
        for t in self.tensors:
            out.append(_node_record(t, lines, snaps))
        by_seq = out
        for ev in self.events:
            if ev["kind"] not in ("backward", "grad"):
                continue
            k = ev["pass"]
            for step in ev["steps"]:
                n = by_seq[step["node"]]
                n.visited = True
                n.grads_by_pass[k] = step["grad"]
            for root in ev["roots"]:
                if ev["kind"] == "backward":
                    by_seq[root].backward_root = True
        _mark_pruned(by_seq, self.events)
        for seq in self.error_tensors:
            by_seq[seq].error = True
        return out

    @cached_property
    def events(self) -> list[dict]:
        """The timeline with tensors replaced by node seq numbers."""
        with gc_paused():
            return self._build_events()

    def _build_events(self) -> list[dict]:
        out = []
        for ev in self.raw_events:
            if ev["kind"] in ("backward", "grad"):
                ev = dict(ev)
                ev["steps"] = _steps(ev["steps"])
                ev["pruned"] = _pruned(ev["pruned"])
            out.append(ev)
        return out

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
        if isinstance(id_or_seq, NodeRecord):
            return id_or_seq
        seq = int(id_or_seq[1:]) if isinstance(id_or_seq, str) else id_or_seq
        return self.nodes[seq]

    @property
    def passes(self) -> list[dict]:
        return [e for e in self.events if e["kind"] in ("backward", "grad")]

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
    """expr is an augmented assignment of name ("y *= 2"): a label shows it
    as it is, not as "y = y *= 2"."""
    if not name or not expr.startswith(name + " "):
        return False
    rest = expr[len(name) + 1:]
    return rest[:2] in ("+=", "-=", "*=", "/=", "@=")


def _node_record(t: Tensor, lines, snaps) -> NodeRecord:
    meta = t.meta or _NO_META
    span = t.span
    op = t.op
    if op is not None:
        kind = OP
        opname, symbol = op.name, op.symbol
        inputs, consts = [], []
        for i, a in enumerate(t.args):
            if a.__class__ is Tensor:
                inputs.append(f"n{a.seq}")
            else:
                consts.append((i, a))
        params = _display_params(t.params) if t.params else {}
        formula = op.formula
    else:
        label = meta.get("label", "tensor")
        opname = symbol = label
        inputs, consts, params, formula = [], [], {}, ()
        if "detached_from" in meta:
            kind = DETACHED
        elif "grad_of" in meta:
            kind = GRAD
        else:
            kind = PARAM if t.requires_grad else CONST
    expr = ""
    line = col = 0
    if span is not None:
        line, col, end_line, end_col = span
        if 0 < line <= len(lines):
            text = lines[line - 1]
            expr = text[col - 1:(end_col if end_line == line else len(text) + 1) - 1]
    det = meta.get("detached_from")
    grad_of = meta.get("grad_of")
    seq = t.seq
    data = t.data
    # This runs once per node (300,000 times for a deep chain), and keyword
    # arguments to a dataclass this wide cost more than all the rest: the
    # fields without defaults (they open the class) go by position, and the
    # others are set by name, only where they differ from the default.
    grad_fn = None
    if t.recorded:                 # Tensor.grad_fn_name, inline
        grad_fn = op.grad_fn if op.grad_fn.__class__ is str else op.grad_fn_for(t)
        if meta.get("rebased"):
            grad_fn = meta["rebased"]
    n = NodeRecord(
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
    no_grad = meta.get("no_grad")
    if no_grad is not None:
        n.no_grad = no_grad
    if t.freed:
        n.freed = True
    if op is not None and op.saves and t.recorded:
        n.saves = True
    return n


_NO_META: dict = {}     # read only: the meta of a tensor that has none
_ND = np.ndarray
_asarray = np.asarray


def _array(v) -> np.ndarray:
    # the engine may pass numpy scalars between 0-d nodes; the record holds arrays
    return v if v.__class__ is _ND else _asarray(v)


def _steps(raw: list) -> list[dict]:
    """The steps of a reverse pass as plain data. The engine's are one flat
    list (autodiff.run_backward); a recorded (create_graph) pass's are
    (node, grad, ((input, grad sent), ...)) tuples."""
    if raw and raw[0].__class__ is tuple:
        return [{"node": n.seq, "grad": _array(g), "sent": [(a.seq, _array(ga)) for a, ga in sent]}
                for n, g, sent in raw]
    out = []
    i, end = 0, len(raw)
    while i < end:                 # node, grad, (input, grad sent)*, None
        node, g = raw[i], raw[i + 1]
        i += 2
        sent = []
        while raw[i] is not None:
            sent.append((raw[i].seq, _array(raw[i + 1])))
            i += 2
        i += 1
        out.append({"node": node.seq, "grad": _array(g), "sent": sent})
    return out


def _pruned(raw: list) -> list[tuple]:
    """(node seq, input seq) pairs, from pairs or a flat list (as _steps)."""
    if raw and raw[0].__class__ is tuple:
        return [(n.seq, a.seq) for n, a in raw]
    return [(raw[i].seq, raw[i + 1].seq) for i in range(0, len(raw), 2)]


def _display_params(p) -> dict:
    if not p:
        return {}
    out = {}
    for k, v in p.items():
        if k in ("grad_fn", "advanced") or v is None or (k == "keepdim" and not v):
            continue
        if k == "index":
            continue
        if k == "dtype":
            v = str(np.dtype(v))
        if isinstance(v, tuple) and len(v) == 1 and k == "dim":
            v = v[0]
        out[k] = v
    return out


def _mark_pruned(nodes, events):
    """A branch backward did not enter because it needs no gradient: the
    inputs it skipped and everything they were computed from, unless some
    pass visited them."""
    for ev in events:
        if ev["kind"] not in ("backward", "grad"):
            continue
        stack = [a for _, a in ev["pruned"]]
        while stack:
            seq = stack.pop()
            n = nodes[seq]
            if n.pruned or n.visited:
                continue
            n.pruned = True
            n.pruned_reason = ("detached: the value is shared, the gradient stops"
                               if n.kind == DETACHED else
                               "made under no_grad()" if n.no_grad is not None else
                               "needs no gradient (requires_grad=False)")
            stack.extend(int(i[1:]) for i in n.inputs)
    for n in nodes:
        if n.visited:
            n.pruned = False
            n.pruned_reason = None


def dumps(obj, indent=2) -> str:
    import json   # here, not at the top: a run without --json need not load it
    return json.dumps(obj, indent=indent, allow_nan=True)
