"""Forward mode: tangents pushed through the tape in creation order.

A JVP pass starts from a tangent on the inputs and walks the graph of a
backward pass by ``seq`` ascending (creation order is a topological order,
so no recursion): every op adds up the JVPs of its inputs' tangents. One
pass gives one column of the Jacobian (seeded by a unit vector) or the
derivative along one direction. The gradient of a root with seed ``v`` is
``v · J``, so forward mode needs one pass per input element where reverse
mode needs one pass per output: the tutorial's reason why deep learning,
with millions of inputs and one loss, uses reverse mode.

``ForwardRecorder`` is the interpreter's ``on_backward`` hook behind
``gradviz run --mode forward|both``: it runs at the moment each backward()
is called, so it sees the values that pass uses even when the program
changes them later (``w -= lr * w.grad``, ``x.grad.zero_()``), in the same
run (no second run of the program, whose prints and timing would double).
"""
from __future__ import annotations

import json
import math

import numpy as np

from . import half
from . import hooks
from .autodiff import _tracked
from .errors import USAGE, GradvizError
from .ops.registry import jvp_memo
from .tensor import Tensor

# node visits (JVP passes × nodes of the graph) forward mode may spend on one
# backward pass; beyond it the pass is skipped with a note (a directional
# pass, --direction, always fits)
MAX_NODE_VISITS = 2_000_000
# "agree within float32 rounding": |f - r| <= RTOL |r| + SCALE_TOL max|r| + ATOL;
# float16's steps round to 11 bits (its eps is 9.8e-4, as float32's 1.2e-7):
# a gradient that cancels to about 0 is noise of 1e-4 there, and one below
# its smallest normal number underflows in one mode's order, not the other's.
# A float16 gradient summed in float16 (as PyTorch's grid_sample kernel adds
# each point's share) is off by a few of its largest terms' steps: 4e-3 of
# the scale (a grid gradient of scale 28.6: 0.056 apart in the two orders)
AGREE_TOL = {"float32": (1e-4, 1e-5, 1e-6), "float64": (1e-9, 1e-10, 1e-12),
             "float16": (1e-2, 4e-3, 1e-3)}


# ---- the engine -------------------------------------------------------------

def backward_graph(roots) -> list[Tensor]:
    """The nodes a reverse pass from ``roots`` visits (recorded ops and leaves
    that require grad), in increasing creation order."""
    seen: dict = {}
    stack = [r for r in roots if r.requires_grad]
    while stack:
        t = stack.pop()
        if t in seen:
            continue
        seen[t] = None
        if t.recorded:
            for a in t.args:
                # (as backward: not to a tensor that had no grad when t was made)
                if a.__class__ is Tensor and a not in seen and _tracked(a, t):
                    stack.append(a)
    return sorted(seen, key=_seq)

# the ops whose two modes differ by design in PyTorch (see "triangle" below)
ONE_TRIANGLE_OPS = frozenset({"eigh_values", "eigh_vectors", "linalg_cholesky", "cholesky_solve",
                              "cholesky_inverse"})


def windowed(order) -> list[int]:
    """The seqs of the in-place writes with gradients into views that hold
    an element at several positions (overlapping unfold() windows,
    as_strided()) among order (Interpreter._write_recorded marks them)."""
    return [t.seq for t in order if t.recorded and t.meta is not None and t.meta.get("windows")]


def _near_singular(det: Tensor) -> bool:
    """Some matrix of det's batch goes through the SVD in PyTorch's reverse
    mode with grad mode on (|det| < 100 eps)."""
    return bool(np.any(np.abs(det.data) < 100 * np.finfo(det.data.dtype).eps))


def _seq(t: Tensor) -> int:
    return t.seq


def graph_inputs(order) -> list[Tensor]:
    """The leaves a backward() over ``order`` accumulates into."""
    return [t for t in order if not t.recorded]


def downstream(order, inp: Tensor) -> list[Tensor]:
    """The nodes of ``order`` a tangent of ``inp`` reaches (inp first): the
    only ones a JVP pass seeded at inp computes."""
    reached = {inp}
    out = [inp]
    for node in order:
        if node.recorded and node is not inp and \
                any(a.__class__ is Tensor and a in reached for a in node.args):
            reached.add(node)
            out.append(node)
    return out


def push_tangents(order, seeds: dict, versions=None, operands=None) -> dict:
    """One JVP pass: the tangent of every node of ``order`` that depends on a
    seeded node (seeds: tensor -> tangent array). Seeded nodes keep their
    seed (a non-leaf input of grad() is treated as a free variable).
    ``versions`` (the tape's): a JVP reads what the op's VJP reads, so both
    modes agree after in-place writes: the values as they were when the op
    ran for an op whose PyTorch backward reads an intermediate of its own
    (OpDef.reads_unsaved), today's values otherwise. ``operands`` (a dict kept
    over several passes) keeps each node's operands from one pass to the next."""
    tangents = dict(seeds)
    for node in order:
        if not node.recorded or node in seeds:
            continue
        total = node_tangent(node, tangents.get, versions, operands)
        if total is not None:
            tangents[node] = total
    return tangents


def op_operands(node: Tensor, versions=None) -> tuple:
    """(the result, the inputs' values) an op's JVP rules read."""
    xs = [b.data if b.__class__ is Tensor else b for b in node.args]
    ans = node.data
    if versions is not None and node.op.reads_unsaved and node.seq < versions.last:
        ans, xs = versions.as_made(node, ans, xs, False)
    if ans.dtype == half.F16:      # computed in float32, rounded at the end
        ans, xs = ans.astype(half.F32), half.widen(xs)
    return ans, xs


def node_tangent(node: Tensor, tangent_of, versions=None, operands=None,
                 dtype=None) -> np.ndarray | None:
    """The tangent of what an op made: its inputs' tangents (tangent_of(input),
    an array or None) through its JVP rules, summed; None when no input
    has one. ``operands``: a dict that keeps op_operands(node) for later calls.
    ``dtype``: the tangent's (default: the result's)."""
    op = node.op
    args = node.args
    total = None
    xs = None
    for i, a in enumerate(args):
        if a.__class__ is not Tensor:
            continue
        t = tangent_of(a)
        if t is None:
            continue
        rule = op.jvp[0] if op.variadic else op.jvp[i]
        if rule is None:
            continue
        if xs is None:
            known = None if operands is None else operands.get(node)
            ans, xs = op_operands(node, versions) if known is None else known
            if operands is not None:
                operands[node] = ans, xs
        if t.dtype == half.F16:
            t = t.astype(half.F32)
        part = rule(t, ans, xs, node.params, i) if op.variadic else \
            rule(t, ans, xs, node.params)
        part = np.asarray(part)
        if part.shape != ans.shape:
            # a broadcast input's tangent broadcasts like the input did
            part = np.broadcast_to(part, ans.shape)
        total = part if total is None else total + part
    return None if total is None else total.astype(dtype or node.data.dtype, copy=False)


def without_jvp(order) -> str | None:
    """Why forward mode cannot run over ``order``: the first custom
    autograd.Function in it (its rules are the program's backward, and no
    JVP), a tensor reshaped in place since its op made it, or None."""
    for node in order:
        if node.recorded and node.op.custom:
            return (f"forward mode cannot pass through {node.op.name} (n{node.seq}), a custom "
                    "torch.autograd.Function: the program gave it a backward, no JVP")
    return reshaped_since_made(order)


def reshaped_since_made(order) -> str | None:
    """Why no replay of ``order`` holds (forward mode, finite differences):
    a tensor whose shape changed in place under torch.no_grad() after its op
    made it (a.t_()), which keeps its grad_fn of the old shape; backward
    checks the gradients against that shape, as PyTorch's does."""
    for node in order:
        if node.meta is not None and "made_shape" in node.meta:
            return (f"n{node.seq}'s shape changed in place under torch.no_grad() after its op "
                    "made it: its ops cannot be replayed on its new shape")
    return None


def _pairing(roots, seeds, tangents) -> float:
    """sum over roots of <seed, tangent of the root>, in float64."""
    total = 0.0
    for r, v in zip(roots, seeds):
        t = tangents.get(r)
        if t is not None:
            total += float(np.sum(np.asarray(v, np.float64) * np.asarray(t, np.float64)))
    return total


def jvp_passes(inputs) -> int:
    """Passes forward mode needs for a full gradient: one per input element."""
    return sum(int(t.data.size) for t in inputs)


def forward_gradients(roots, seeds, inputs, order=None, versions=None,
                      columns=None, counter=None) -> list[np.ndarray]:
    """The gradient of ``sum_r <seed_r, root_r>`` with respect to each input,
    by forward mode: one JVP pass per input element, seeded by the identity
    (column j of the Jacobian dotted with the seed is element j). ``columns``
    (per input: None, or the flat indices of the elements wanted) gives a
    1-d array of those elements only (gradviz check's sample). ``counter``
    (the interpreter's aside_step list) counts the passes done."""
    order = backward_graph(roots) if order is None else order
    out = []
    # every pass reads the same operands: each node's once, and what the
    # rules derive from them alone once (registry.memo)
    operands: dict = {}
    with jvp_memo():
        for inp, picked in zip(inputs, columns or [None] * len(inputs)):
            x = inp.data
            js = range(x.size) if picked is None else [int(j) for j in picked]
            grad = np.zeros(len(js), np.float64)
            flat = np.zeros(x.size, x.dtype)
            reached = downstream(order, inp)
            for k, j in enumerate(js):
                flat[j] = 1
                tangents = push_tangents(reached, {inp: flat.reshape(x.shape)}, versions,
                                         operands)
                grad[k] = _pairing(roots, seeds, tangents)
                flat[j] = 0
                if counter is not None:
                    counter[1] += 1
            out.append((grad.reshape(x.shape) if picked is None else grad).astype(x.dtype))
    return out


def jacobian(root: Tensor, inputs) -> np.ndarray:
    """The Jacobian of ``root`` (m elements) with respect to the inputs (n
    elements in all, concatenated in order) as an m × n array, built column
    by column with one JVP pass per input element."""
    order = backward_graph([root])
    cols = []
    for inp in inputs:
        x = inp.data
        flat = np.zeros(x.size, x.dtype)
        for j in range(x.size):
            flat[j] = 1
            t = push_tangents(order, {inp: flat.reshape(x.shape)}).get(root)
            cols.append(np.zeros(root.data.size) if t is None else np.ravel(t))
            flat[j] = 0
    if not cols:
        return np.zeros((root.data.size, 0))
    return np.stack(cols, axis=1)


# ---- directions ---------------------------------------------------------------

def parse_direction(text: str):
    """--direction: JSON (a number, a list, nested lists, or {name: values})
    or numbers separated by commas or spaces. Raises a usage error."""
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = [float(w) for w in text.replace(",", " ").split()]
        except ValueError:
            raise GradvizError(f"--direction: cannot read {text!r}", kind=USAGE,
                               hint="give numbers, e.g. --direction 1,0,0 or "
                                    "--direction '{\"x\": [1, 0, 0]}'") from None
    if not _numeric(value):
        raise GradvizError(f"--direction: expected numbers, got {text!r}", kind=USAGE,
                           hint="a number, a list of numbers, or {\"name\": numbers}")
    return value


def _numeric(value) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, dict):
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            return False
    return True


def _flat(value) -> list[float]:
    out = []
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(reversed(v))
        else:
            out.append(float(v))
    return out


def input_label(t: Tensor) -> str:
    return t.name or f"n{t.seq}"


def resolve_direction(direction, inputs) -> dict:
    """The tangent of each input for a directional pass: a number fills every
    element; a list is all inputs' elements in order; a dict gives values by
    name (or node id), the inputs it leaves out get zeros."""
    shapes = ", ".join(f"{input_label(t)} {list(t.data.shape)}" for t in inputs)
    total = jvp_passes(inputs)
    out = {}
    if isinstance(direction, (int, float)):
        for t in inputs:
            out[t] = np.full(t.data.shape, direction, t.data.dtype)
        return out
    if isinstance(direction, list):
        flat = _flat(direction)
        if len(flat) != total:
            raise ValueError(f"the direction has {len(flat)} numbers; this pass's inputs "
                             f"({shapes}) have {total}")
        start = 0
        for t in inputs:
            n = t.data.size
            out[t] = np.asarray(flat[start:start + n], t.data.dtype).reshape(t.data.shape)
            start += n
        return out
    by_label = {}
    for t in inputs:
        by_label.setdefault(input_label(t), t)
        by_label.setdefault(f"n{t.seq}", t)
    for key in direction:
        if key not in by_label:
            raise ValueError(f"the direction names {key!r}, which is not an input of this "
                             f"pass ({shapes})")
    for t in inputs:
        v = direction.get(input_label(t), direction.get(f"n{t.seq}"))
        if v is None:
            out[t] = np.zeros(t.data.shape, t.data.dtype)
            continue
        flat = _flat(v)
        if len(flat) == 1:
            out[t] = np.full(t.data.shape, flat[0], t.data.dtype)
        elif len(flat) == t.data.size:
            out[t] = np.asarray(flat, t.data.dtype).reshape(t.data.shape)
        else:
            raise ValueError(f"the direction for {input_label(t)} has {len(flat)} numbers; "
                             f"it has {t.data.size} elements")
    return out


# ---- comparison -------------------------------------------------------------

def max_abs_diff(a, b) -> float:
    """max |a - b|, with NaN == NaN and inf == inf (same sign)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape or a.size == 0:
        return 0.0 if a.shape == b.shape else math.inf
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):      # inf - inf: NaN, counted as inf below
        d = np.where(same, 0.0, np.abs(a - b))
    return float(np.max(np.where(np.isnan(d), math.inf, d)))


def agree(a, b, dtype: str = "float32") -> bool:
    """a and b are equal up to rounding in dtype (elementwise, with a floor
    relative to the largest element, for sums that cancel)."""
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    if a.size == 0:
        return True
    rtol, stol, atol = AGREE_TOL.get(dtype, AGREE_TOL["float32"])
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    finite = np.isfinite(b)
    scale = float(np.max(np.abs(b[finite]))) if finite.any() else 0.0
    with np.errstate(invalid="ignore"):
        ok = same | (np.abs(a - b) <= rtol * np.abs(b) + stol * scale + atol)
    return bool(np.all(ok))


# ---- the hook ---------------------------------------------------------------

class ForwardRecorder:
    """The on_backward hook of ``--mode forward|both``: forward-mode
    gradients of every reverse pass, as plain data for the record."""

    def __init__(self, mode: str = "forward", direction=None):
        self.mode = mode
        self.direction = direction
        self.entries: list[dict] = []

    def __call__(self, rt, kind, roots, seeds, inputs) -> None:
        order = backward_graph(roots)
        ins = list(inputs) if inputs is not None else graph_inputs(order)
        entry = {
            "pass": rt.tape.backward_passes + 1, "kind": kind, "line": rt.line,
            "roots": [r.seq for r in roots], "outputs": sum(int(r.data.size) for r in roots),
            "graph_nodes": len(order), "reverse_passes": 1, "jvp_passes": 0,
            "inputs": [{"node": t.seq, "name": input_label(t), "shape": tuple(t.data.shape),
                        "dtype": t.dtype_name, "passes": int(t.data.size), "grad": None}
                       for t in ins],
            "directional": self.direction is not None, "direction": None, "skipped": None,
            # tensors in the pass with register_hook()s: they may change what
            # reverse mode computes (forward mode runs no hooks, as PyTorch's)
            "hooked": [t.seq for t in order if hooks.hooked(rt, t)],
            # embeddings with a padding_idx: PyTorch's reverse mode gives the
            # padding row no gradient, its forward mode passes its tangent
            "padded": [t.seq for t in order if t.recorded and t.op.name == "embedding"
                       and "padding_idx" in t.params],
            # ops that read one triangle of a symmetric matrix (eigh, cholesky):
            # PyTorch's reverse mode gives the symmetric gradient, its forward
            # mode passes each entry's tangent as given
            "triangle": [t.seq for t in order if t.recorded and t.op.name in ONE_TRIANGLE_OPS],
            # det at a singular matrix: with create_graph (or in torch.func)
            # PyTorch's reverse mode gives the cofactor matrix, its forward
            # mode 0
            "singular": [t.seq for t in order if t.recorded and t.op.name == "linalg_det"
                         and _near_singular(t)],
            # ctc_loss: PyTorch's reverse mode adds exp(log_probs) to the derivative
            "ctc": [t.seq for t in order if t.recorded and t.op.name == "ctc_loss"],
            # as_strided_scatter: PyTorch's reverse mode gives the input the
            # gradient where src is written too (not the derivative)
            "scatter": [t.seq for t in order if t.recorded and t.op.name == "as_strided_scatter"],
            # in-place writes with gradients into overlapping windows: PyTorch's
            # reverse mode sums the gradient of a value over every position of
            # an element, its forward mode takes one position's tangent
            "windows": windowed(order),
        }
        self.entries.append(entry)
        entry["skipped"] = without_jvp(order)
        if entry["skipped"] is not None:
            return
        if self.direction is not None:
            self._directional(rt, entry, order, roots, seeds, ins)
            return
        passes = jvp_passes(ins)
        entry["jvp_passes"] = passes
        if passes * max(len(order), 1) > MAX_NODE_VISITS:
            entry["skipped"] = (f"{passes:,} passes over {len(order):,} nodes is more than "
                                f"forward mode's budget of {MAX_NODE_VISITS:,} node visits; "
                                "use --direction for one directional pass")
            return
        versions = rt.tape.versions
        rt.aside_step = ["forward mode, JVP pass", 0, passes]
        try:
            grads = forward_gradients(roots, seeds, ins, order, versions, counter=rt.aside_step)
        finally:
            rt.aside_step = None
        for item, g in zip(entry["inputs"], grads):
            item["grad"] = g

    def _directional(self, rt, entry, order, roots, seeds, ins):
        entry["jvp_passes"] = 1
        for item in entry["inputs"]:
            item["passes"] = 1
        try:
            seeds_t = resolve_direction(self.direction, ins)
        except ValueError as exc:
            entry["skipped"] = str(exc)
            return
        tangents = push_tangents(order, seeds_t, rt.tape.versions)
        for item, t in zip(entry["inputs"], ins):
            item["tangent"] = seeds_t[t]
        entry["direction"] = {
            "value": _pairing(roots, seeds, tangents),
            "tangents": {n.seq: tangents[n] for n in order if n in tangents},
        }

    def result(self, record) -> dict:
        """The record's forward_mode entry: the passes that ran (a backward
        that failed has none), each input with the reverse-mode gradient of
        that pass beside the forward one and whether they agree."""
        passes = {ev["pass"]: ev for ev in record.events if ev["kind"] in ("backward", "grad")}
        # a pass that failed (caught by a try) has no event, and the next one
        # takes its number: the last entry of a number is the pass that ran
        last = {entry["pass"]: entry for entry in self.entries}
        done = []
        for entry in self.entries:
            ev = passes.get(entry["pass"])
            if ev is None or last[entry["pass"]] is not entry:
                continue
            reached = {s["node"]: s["grad"] for s in ev["steps"]}
            for item in entry["inputs"]:
                rev = reached.get(item["node"])
                item["reverse"] = rev
                if entry["direction"] is not None or entry["skipped"] is not None:
                    item["agree"] = None
                elif rev is None:
                    # reverse mode never reached it: forward mode's gradient is 0
                    item["agree"] = not np.any(item["grad"])
                else:
                    item["agree"] = agree(item["grad"], rev, item["dtype"])
                    item["max_abs_diff"] = max_abs_diff(item["grad"], rev)
            d = entry["direction"]
            if d is not None:
                # reverse mode's answer to the same question: <grad, direction>
                total = 0.0
                for item in entry["inputs"]:
                    if item["reverse"] is not None:
                        total += float(np.sum(np.asarray(item["reverse"], np.float64)
                                              * np.asarray(item["tangent"], np.float64)))
                d["reverse_value"] = total
                d["agree"] = agree(d["value"], total, entry["inputs"][0]["dtype"]
                                   if entry["inputs"] else "float32")
            done.append(entry)
        return {"mode": self.mode, "direction": self.direction, "passes": done}

