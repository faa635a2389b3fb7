"""``gradviz check``: every reverse pass of a program against finite
differences and forward mode, in float64.

The program runs once with float64 as its default float (the leaves keep
the float32-rounded values it wrote: the same point, exact arithmetic).
At each backward() or grad() call, an ``on_backward`` hook sees the graph
with the values that pass uses, and computes

* forward mode's gradient (one JVP pass per input element, forward.py);
* a central finite difference of ``<seed, root>`` for every input element,
  re-evaluating the root from the perturbed input: the ops of the recorded
  graph between the input and the root are run forward again, every other
  value held at what it was at that moment.

Why replay the graph instead of re-running the program's statements with
the input perturbed: the function backward() differentiates is the graph,
in which detach(), ``.data``, no_grad() results, ``.grad`` tensors and
``.item()`` numbers are constants. A re-run of the statements would also
move those (the derivative of ``(x*x).detach() * x`` would come out as
3x² instead of the x² PyTorch gives), and a later statement that depends on
an earlier backward (``w -= lr * w.grad`` then a second backward) would
need the whole prefix again per perturbation. Evaluating at the moment of
the call gives the right values for every pass of the program in one run.

After the run, the reverse-mode gradient each pass sent to each input
(from the record) is compared with both. Where they disagree, every op of
the graph was checked on its own (its VJP and JVP against a finite
difference of its forward) to name the rule that is wrong. Kinks (relu and
abs at 0, clamp at its bounds, max/min/maximum/minimum ties) are where a
finite difference cannot agree: an input at a kink, or a finite difference
that steps across one, is reported as a kink, not as a failure.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np

from . import autodiff, classes, hooks
from .errors import USAGE, GradvizError
from .forward import (ONE_TRIANGLE_OPS, backward_graph, forward_gradients, graph_inputs, input_label,
                      max_abs_diff, reshaped_since_made, windowed, without_jvp)
from .ops import grid_sample, order_stats, pool
from .ops.reduce import _axis
from .ops.registry import unbroadcast
from .record import Record
from .tape import RunOptions
from .tensor import Tensor

DEFAULT_TOL = 1e-5          # max abs error allowed, relative to max(1, |gradient|)
FD_STEP = 1e-6              # central-difference step, relative to max(1, |x|)
# the second step, where the first disagrees but reverse and forward mode
# agree: some functions' float64 values are accurate to 1e-10 or so only
# (PyTorch's series for trigamma), which a step of 1e-6 turns into an error of
# 1e-4 in the difference; a step of 1e-4 divides it by 100 and still has a
# truncation error far below the tolerance, so a wrong rule still shows
FD_COARSE = 1e-4
# node visits (2 per input element × graph nodes) finite differences may
# spend on one pass; inputs beyond it are reported as skipped
MAX_FD_NODE_VISITS = 4_000_000
RULE_SEED = 0               # random directions of the per-op checks (deterministic)
# elements of one input checked (`check --sample`): an input with more is
# checked at this many of its elements, drawn with a fixed seed (the same
# ones every run). Finite differences replay the graph twice and forward mode
# once per element checked, so LeNet's 61,706 weights took a minute, all of
# it spent confirming the same rules; PyTorch's gradcheck(fast_mode=True)
# checks along random vectors for the same reason. A wrong rule shows at any
# element its op touches, and a sample of 256 touches every op of a layer.
SAMPLE = 256

OK, KINK, SINGULAR, FAIL, SKIPPED = "ok", "kink", "singular", "FAIL", "skipped"
# the pass read values changed in place after they were computed (through
# .data, which escapes PyTorch's version check), or a register_hook() changed
# a gradient on the way: its gradient is PyTorch's, but not the derivative,
# and no rule is to blame
CHANGED = "changed"


# ---- kinks ------------------------------------------------------------------------

def _branch(name: str, xs, p, ans):
    """Which smooth piece of a kinked op the inputs are on (None: smooth op)."""
    match name:
        case "relu" | "abs" | "leaky_relu" | "elu":
            return np.sign(xs[0])
        case "sign" | "sgn" | "angle" | "floor" | "ceil" | "trunc" | "round":
            return ans                          # the step it is on
        case "frac":
            return xs[0] - ans
        case "hardtanh" | "hardsigmoid" | "hardswish" | "softshrink" | "hardshrink":
            return np.digitize(xs[0], _edges(name, p))
        case "clamp" | "clamp_min" | "clamp_max":
            x = xs[0]
            lo, hi = p.get("min"), p.get("max")
            return np.stack([x < lo if lo is not None else np.zeros(x.shape, bool),
                             x > hi if hi is not None else np.zeros(x.shape, bool)])
        case "maximum" | "minimum":
            return np.sign(np.asarray(xs[0]) - np.asarray(xs[1]))
        case "fmax" | "fmin":               # as maximum's, and which side is NaN (ignored)
            a, b = np.asarray(xs[0]), np.asarray(xs[1])
            with np.errstate(invalid="ignore"):
                return np.stack(np.broadcast_arrays(np.nan_to_num(np.sign(a - b)),
                                                    np.isnan(a), np.isnan(b))).astype(float)
        case "clamp_tensor" | "clamp_min_tensor" | "clamp_max_tensor":
            from .ops.clamp_tensor import MASKS
            return np.stack(np.broadcast_arrays(*(m(*xs) for m in MASKS[name])))
        case "max" | "min":
            return np.argmax(xs[0]) if name == "max" else np.argmin(xs[0])
        case "max_dim" | "min_dim":
            f = np.argmax if name == "max_dim" else np.argmin
            return f(xs[0], axis=_axis(p)) if p["dim"] else None   # a 0-d input: one piece
        case "norm" | "std":
            return ans == 0
        case "max_pool2d" | "max_pool3d":
            return pool.max_pool_branch(xs[0], p, int(name[-2]))
        case "adaptive_max_pool2d" | "adaptive_max_pool3d":     # the order of the values decides each window's max
            return np.argsort(np.asarray(xs[0]).ravel(), kind="stable")
        case "binary_cross_entropy":        # probabilities: 0 and 1 end its domain
            return (xs[0] <= 0) | (xs[0] >= 1)
        case "div_mode":                    # the step the rounded quotient is on
            return ans
        case "fmod":
            return _quotient(xs)
        case "remainder":
            return np.floor(_quotient_exact(xs))
        case "copysign":
            return np.stack(np.broadcast_arrays(np.signbit(xs[0]), np.signbit(xs[1])))
        case "logit":
            eps = p.get("eps")
            return None if eps is None else np.digitize(xs[0], (eps, 1 - eps))
        case "median" | "nanmedian" | "quantile":     # the elements' order
            return np.argsort(xs[0], axis=None if p.get("dim") is None else p["dim"],
                              kind="stable")
        case "pick_dim":
            return order_stats.select_index(xs[0], p)
        case "cummax" | "cummin":
            return order_stats.running_index(xs[0], p["dim"], name == "cummax")
        case "grid_sampler":
            return grid_sample.sample_cells(xs[0], xs[1], p)[0]
    return None


def _quotient(xs):
    """trunc(a / b): fmod's and div's step."""
    return np.trunc(_quotient_exact(xs))


def _quotient_exact(xs):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(xs[0], np.float64) / np.asarray(xs[1], np.float64)


def _at_kink(name: str, xs, p, ans) -> bool:
    """An input sits exactly where the op has no derivative."""
    match name:
        case "relu" | "abs" | "leaky_relu" | "elu":
            return bool(np.any(xs[0] == 0))
        case "sign" | "sgn" | "angle":          # (angle: 0 or pi, a step at 0)
            return bool(np.any(xs[0] == 0))
        case "floor" | "ceil" | "trunc" | "frac":
            return bool(np.any(xs[0] == np.round(xs[0])))
        case "round":           # halfway between two roundings
            scaled = xs[0] * 10.0 ** p.get("decimals", 0)
            return bool(np.any(np.abs(scaled - np.floor(scaled)) == 0.5))
        case "hardtanh" | "hardsigmoid" | "hardswish" | "softshrink" | "hardshrink":
            return bool(np.any(np.isin(xs[0], _edges(name, p))))
        case "clamp" | "clamp_min" | "clamp_max":
            x = xs[0]
            lo, hi = p.get("min"), p.get("max")
            return bool((lo is not None and np.any(x == lo))
                        or (hi is not None and np.any(x == hi)))
        case "maximum" | "minimum" | "fmax" | "fmin":
            return bool(np.any(np.asarray(xs[0]) == np.asarray(xs[1])))
        case "clamp_tensor" | "clamp_min_tensor" | "clamp_max_tensor":
            # x on a bound, or the two bounds equal
            x = np.asarray(xs[0])
            return bool(any(np.any(x == b) for b in xs[1:])
                        or (len(xs) == 3 and np.any(np.asarray(xs[1]) == np.asarray(xs[2]))))
        case "max" | "min":
            return int(np.sum(xs[0] == ans)) > 1
        case "max_dim" | "min_dim":
            if not p["dim"]:
                return False
            a = ans if p.get("keepdim") else np.expand_dims(ans, _axis(p))
            return bool(np.any(np.sum(xs[0] == a, axis=_axis(p)) > 1))
        case "norm" | "std":        # a square root's, where it is 0
            return bool(np.any(ans == 0))
        case "max_pool2d" | "max_pool3d":       # a window with its max twice
            return pool.max_pool_ties(xs[0], p, int(name[-2]))
        case "adaptive_max_pool2d" | "adaptive_max_pool3d":  # a value twice (perhaps a window's max), or a NaN
            x = np.asarray(xs[0])
            return bool(np.isnan(x).any() or np.unique(x).size < x.size)
        case "binary_cross_entropy":        # the clamped logs of p = 0 or 1
            return bool(np.any((xs[0] <= 0) | (xs[0] >= 1)))
        case "div_mode" | "fmod" | "remainder":     # an exact quotient: where the step jumps
            with np.errstate(divide="ignore", invalid="ignore"):
                return bool(np.any(np.fmod(xs[0], xs[1]) == 0))
        case "copysign":
            return bool(np.any(np.asarray(xs[0]) == 0) or np.any(np.asarray(xs[1]) == 0))
        case "logit":
            eps = p.get("eps")
            return eps is not None and bool(np.any(np.isin(xs[0], (eps, 1 - eps))))
        case "median" | "nanmedian" | "quantile" | "pick_dim" | "cummax" | "cummin":
            # equal elements: which of them is picked (or sorted first) jumps
            x = np.asarray(xs[0])
            d = p.get("dim")
            if d is None or x.ndim == 0:
                x, d = x.reshape(1, -1), -1
            ordered = np.sort(x, axis=d)
            return bool(np.any(np.diff(ordered, axis=d) == 0))
        case "grid_sampler":        # a position on a pixel's edge or centre
            cells, doubled = grid_sample.sample_cells(xs[0], xs[1], p)
            return bool(np.any(cells == doubled))
    return False


def _edges(name: str, p) -> tuple:
    """Where a piecewise op changes piece."""
    match name:
        case "hardtanh":
            return (p.get("min", -1.0), p.get("max", 1.0))
        case "hardsigmoid" | "hardswish":
            return (-3.0, 3.0)
    lambd = p.get("lambd", 0.5)         # softshrink, hardshrink
    return (-lambd, lambd)


KINKED = ("relu", "abs", "leaky_relu", "elu", "clamp", "maximum", "minimum", "max", "min",
          "max_dim", "min_dim",
          "norm", "std", "binary_cross_entropy", "sign", "sgn", "floor", "ceil", "trunc",
          "round", "frac", "hardtanh", "hardsigmoid", "hardswish", "softshrink", "hardshrink",
          "clamp_min", "clamp_max", "max_pool2d", "adaptive_max_pool2d", "max_pool3d",
          "adaptive_max_pool3d", "clamp_tensor", "clamp_min_tensor",
          "clamp_max_tensor", "div_mode", "fmod", "remainder", "copysign", "logit",
          "median", "nanmedian", "quantile", "pick_dim", "cummax", "cummin", "fmax", "fmin",
          "angle", "grid_sampler")


def _xs(node) -> list:
    return [a.data if a.__class__ is Tensor else a for a in node.args]


# ---- replaying the graph ------------------------------------------------------------

def replay(order, sources: dict, watch: dict | None = None, crossed: set | None = None) -> dict:
    """Values of the nodes of ``order`` downstream of ``sources`` (tensor ->
    new value), recomputed with the ops' forwards; everything else keeps its
    value. ``watch`` (node -> branch) notes in ``crossed`` the kinked nodes
    whose inputs moved to another branch."""
    vals = dict(sources)
    for node in order:
        if not node.recorded or node in sources:
            continue
        moved = False
        for a in node.args:
            if a.__class__ is Tensor and a in vals:
                moved = True
                break
        if not moved:
            continue
        xs = [vals.get(a, a.data) if a.__class__ is Tensor else a for a in node.args]
        out = np.asarray(node.op.forward(xs, node.params))
        if out.dtype != node.data.dtype:
            out = out.astype(node.data.dtype)
        vals[node] = out
        if watch is not None and node in watch:
            if not np.array_equal(_branch(node.op.name, xs, node.params, out), watch[node]):
                crossed.add(node.seq)
    return vals


def _objective(roots, seeds, vals) -> float:
    total = 0.0
    for r, v in zip(roots, seeds):
        total += float(np.sum(np.asarray(v, np.float64) * vals.get(r, r.data)))
    return total


def sample_indices(size: int, sample: int = SAMPLE) -> np.ndarray | None:
    """The flat indices of the elements of an input of ``size`` elements that
    are checked: None (every one) up to ``sample`` of them (or when sample is
    0), else ``sample`` of them drawn without replacement by a fixed seed, in
    increasing order."""
    if not sample or size <= sample:
        return None
    rng = np.random.default_rng(RULE_SEED)
    return np.sort(rng.choice(size, sample, replace=False))


def numeric_gradient(order, roots, seeds, inp: Tensor, watch=None, rel_step: float = FD_STEP,
                     indices=None, counter=None):
    """Central finite differences of <seed, root> for every element of inp
    (or the flat ``indices`` only: then a 1-d array of those), with steps of
    ``rel_step`` times max(1, |x|); returns (gradient, nodes downstream of
    inp, kinked nodes stepped across). ``counter`` (the interpreter's
    aside_step list) counts the elements done."""
    x = inp.data
    picked = range(x.size) if indices is None else [int(j) for j in indices]
    grad = np.zeros(len(picked), np.float64)
    crossed: set = set()
    downstream: set = set()
    for k, j in enumerate(picked):
        if not math.isfinite(float(x.flat[j])):
            grad[k] = math.nan          # (inf + h is inf: no difference to take)
            continue
        h = rel_step * max(1.0, abs(float(x.flat[j])))
        plus = x.copy()
        plus.flat[j] += h
        minus = x.copy()
        minus.flat[j] -= h
        vp = replay(order, {inp: plus}, watch, crossed)
        vm = replay(order, {inp: minus}, watch, crossed)
        if k == 0:
            downstream.update(n.seq for n in vp)
        step = float(plus.flat[j]) - float(minus.flat[j])
        grad[k] = (_objective(roots, seeds, vp) - _objective(roots, seeds, vm)) / step
        if counter is not None:
            counter[1] += 1
    return (grad.reshape(x.shape) if indices is None else grad), downstream, crossed


# ---- one op on its own -----------------------------------------------------------------

def rule_errors(node, tol: float, rng) -> list[str]:
    """Whether the node's VJP and JVP rules match a finite difference of its
    forward at its own inputs, in random directions: the rules found wrong,
    as "VJP" / "JVP" of input i."""
    op = node.op
    xs = _xs(node)
    ans = node.data
    p = node.params
    out = []
    for i, a in enumerate(node.args):
        if a.__class__ is not Tensor or not a.requires_grad:
            continue
        vrule = op.vjp[0] if op.variadic else op.vjp[i]
        jrule = op.jvp[0] if op.variadic else op.jvp[i]
        if vrule is None:
            continue
        x = a.data
        t = rng.standard_normal(x.shape)
        g = rng.standard_normal(np.shape(ans))
        h = FD_STEP * max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
        plus, minus = list(xs), list(xs)
        plus[i] = x + h * t
        minus[i] = x - h * t
        fp = np.asarray(op.forward(plus, p), np.float64)
        fm = np.asarray(op.forward(minus, p), np.float64)
        if op.name in KINKED:
            # at a kink, or stepping across one, the difference says nothing
            here = _branch(op.name, xs, p, ans)
            if _at_kink(op.name, xs, p, ans) or \
                    not np.array_equal(_branch(op.name, plus, p, fp), here) or \
                    not np.array_equal(_branch(op.name, minus, p, fm), here):
                continue
        numeric = float(np.sum(g * (fp - fm))) / (2 * h)
        v = op.vjp[0](g, ans, xs, p, i) if op.variadic else vrule(g, ans, xs, p)
        if v is None:           # a custom Function's: no gradient for this input
            v = np.zeros(x.shape)
        v = unbroadcast(np.asarray(v, np.float64), x.shape)
        by_vjp = float(np.sum(v * t))
        scale = max(1.0, abs(numeric), float(np.sum(np.abs(v * t))))
        if not abs(by_vjp - numeric) <= tol * scale:
            out.append(f"VJP of input {i}")
        if jrule is not None:
            tj = jrule(t, ans, xs, p, i) if op.variadic else jrule(t, ans, xs, p)
            by_jvp = float(np.sum(g * np.broadcast_to(np.asarray(tj, np.float64), np.shape(ans))))
            if not abs(by_jvp - numeric) <= tol * scale:
                out.append(f"JVP of input {i}")
    return out


# ---- the report -------------------------------------------------------------------------

@dataclass
class InputCheck:
    """One input (leaf) of one pass: its three gradients and the verdict."""

    node: int
    name: str
    shape: tuple
    reverse: np.ndarray | None = None
    forward: np.ndarray | None = None
    numeric: np.ndarray | None = None
    fd_abs: float = 0.0          # max |reverse - numeric|
    fd_rel: float = 0.0          # fd_abs / max(|numeric|)
    fwd_abs: float = 0.0         # max |reverse - forward|
    fwd_rel: float = 0.0
    status: str = OK
    kinks: list = field(default_factory=list)      # seqs of kinked nodes in the way
    culprits: list = field(default_factory=list)   # (seq, ["VJP of input 0", ...])
    reason: str = ""
    # finite differences taken with FD_COARSE: the values were too noisy for FD_STEP
    coarse: bool = False
    downstream: set = field(default_factory=set, repr=False)
    # the flat indices of the elements checked, when a sample of them is
    # (sample_indices); numeric and forward then hold those elements only
    sampled: np.ndarray | None = None
    # the checked elements at which the input is inf or NaN (None: none), where
    # a finite difference cannot step: left out of its comparison
    nonfinite: np.ndarray | None = None

    def at(self, values):
        """The checked elements of an array of the input's shape."""
        if self.sampled is None or values is None:
            return values
        return np.asarray(values).reshape(-1)[self.sampled]

    def fd_pair(self, reverse, numeric):
        """The reverse-mode gradient and a finite difference, at the
        checked elements a finite difference can step from."""
        if self.nonfinite is None:
            return reverse, numeric
        keep = ~self.nonfinite
        return (np.asarray(reverse).reshape(-1)[keep], np.asarray(numeric).reshape(-1)[keep])


@dataclass
class PassCheck:
    pass_no: int
    kind: str                     # "backward" or "grad"
    line: int
    roots: list
    inputs: list                  # [InputCheck]
    jvp_passes: int = 0
    rules: dict = field(default_factory=dict, repr=False)   # seq -> wrong rules
    changed: list = field(default_factory=list, repr=False)  # seqs of ops that read changed values
    hooked: list = field(default_factory=list, repr=False)   # seqs of tensors with hooks
    padded: list = field(default_factory=list, repr=False)   # embeddings with a padding_idx
    # ops whose gradient is PyTorch's convention: eigh and cholesky's
    # symmetric one (they read one triangle), a singular matrix's det's zero,
    # as_strided_scatter's input's (PyTorch 2.13's, not the derivative),
    # lstsq's solution with rcond (its gradient ignores rcond)
    by_convention: list = field(default_factory=list, repr=False)
    # ctc_loss nodes: PyTorch's gradient is the derivative plus exp(log_probs)
    ctc: list = field(default_factory=list, repr=False)
    # in-place writes into overlapping windows (forward.windowed): PyTorch's
    # two modes differ there, and the replay writes each element once
    windows: list = field(default_factory=list, repr=False)
    forward_skipped: str | None = None     # why forward mode could not run (forward.without_jvp)


@dataclass
class CheckReport:
    filename: str
    tol: float
    passes: list                  # [PassCheck]
    record: Record

    @property
    def failures(self) -> list[tuple[PassCheck, InputCheck]]:
        return [(p, i) for p in self.passes for i in p.inputs if i.status == FAIL]

    @property
    def ok(self) -> bool:
        return not self.failures

    def describe(self, seq: int) -> str:
        """A node as a reader finds it: id, op, line and source text."""
        n = self.record.nodes[seq]
        where = f"line {n.line}: {n.expr}" if n.expr else f"line {n.line}"
        return f"{n.op} at n{seq} ({where})"

    def failure_messages(self) -> list[str]:
        out = []
        for p, i in self.failures:
            head = f"{p.kind} #{p.pass_no} (line {p.line}): {i.name}: {i.reason}"
            if i.culprits:
                seq, rules = i.culprits[0]
                head += f"; wrong rule: {', '.join(rules)} of {self.describe(seq)}"
            out.append(head)
        return out


class GradChecker:
    """The on_backward hook of ``gradviz check``: gathers, at each pass, what
    can only be computed while the values are those of that pass."""

    def __init__(self, tol: float = DEFAULT_TOL, sample: int = SAMPLE):
        self.tol = tol
        self.sample = sample
        self.passes: list[PassCheck] = []
        self.rng = np.random.default_rng(RULE_SEED)

    def __call__(self, rt, kind, roots, seeds, inputs) -> None:
        order = backward_graph(roots)
        ins = list(inputs) if inputs is not None else graph_inputs(order)
        check = PassCheck(rt.tape.backward_passes + 1, kind, rt.line, [r.seq for r in roots],
                          [InputCheck(t.seq, input_label(t), tuple(t.data.shape),
                                      sampled=sample_indices(t.data.size, self.sample))
                           for t in ins])
        picks = [item.sampled for item in check.inputs]
        check.jvp_passes = sum(t.data.size if idx is None else len(idx)
                               for t, idx in zip(ins, picks))
        self.passes.append(check)
        check.hooked = [t.seq for t in order if hooks.hooked(rt, t)]
        check.padded = [t.seq for t in order if t.recorded and t.op.name == "embedding"
                        and "padding_idx" in t.params]
        check.ctc = [t.seq for t in order if t.recorded and t.op.name == "ctc_loss"]
        check.windows = windowed(order)
        check.by_convention = [t.seq for t in order if t.recorded and (
            t.op.name in ONE_TRIANGLE_OPS or (t.op.name == "linalg_det" and np.any(t.data == 0))
            or t.op.name == "as_strided_scatter"
            or (t.op.name == "lstsq_solution" and t.params.get("rcond") is not None))]
        changed_at = rt.tape.changed_at
        if changed_at:
            check.changed = [n.seq for n in order if n.recorded and any(
                changed_at.get(t.seq, -1) > n.seq for t in (n, *n.args) if t.__class__ is Tensor)]
        watch = {}
        base_kinks = []
        for node in order:
            if node.recorded and node.op.name in KINKED:
                xs = _xs(node)
                watch[node] = _branch(node.op.name, xs, node.params, node.data)
                if _at_kink(node.op.name, xs, node.params, node.data):
                    base_kinks.append(node.seq)
        check.forward_skipped = without_jvp(order)
        reshaped = reshaped_since_made(order)
        if reshaped is not None:
            for item in check.inputs:
                item.status, item.reason = SKIPPED, reshaped
            return
        try:
            self._measure(rt, roots, seeds, ins, check, order, watch, base_kinks, picks)
        finally:
            rt.aside_step = None
        # (a custom Function's backward runs aside: the pass the program
        # makes is the one its output and the record show)
        with classes.aside(rt):
            suspicious = self._suspicious(roots, seeds, ins, check, order, watch)
        if suspicious:
            # checking every op on its own costs more than all of the above:
            # only when something disagrees, to name the rule that is wrong
            for node in order:
                if node.recorded:
                    wrong = rule_errors(node, self.tol, self.rng)
                    if wrong:
                        check.rules[node.seq] = wrong

    def _measure(self, rt, roots, seeds, ins, check, order, watch, base_kinks, picks):
        """Forward mode's gradient and the finite differences of each input
        (within the budget), counted on the progress line."""
        budget = MAX_FD_NODE_VISITS
        fwd = [None] * len(ins)
        if check.jvp_passes * max(len(order), 1) <= budget and check.forward_skipped is None:
            rt.aside_step = ["forward mode, JVP pass", 0, check.jvp_passes]
            fwd = forward_gradients(roots, seeds, ins, order, columns=picks,
                                    counter=rt.aside_step)
        fd_total = sum(t.data.size if idx is None else len(idx) for t, idx in zip(ins, picks))
        rt.aside_step = ["finite differences, element", 0, fd_total]
        for item, t, f in zip(check.inputs, ins, fwd):
            item.forward = f
            checked = t.data.size if item.sampled is None else len(item.sampled)
            cost = 2 * checked * max(len(order), 1)
            if cost > budget:
                item.status = SKIPPED
                item.reason = (f"{checked:,} elements: too many for finite differences "
                               f"over {len(order):,} nodes")
                continue
            budget -= cost
            item.numeric, item.downstream, crossed = numeric_gradient(
                order, roots, seeds, t, watch, indices=item.sampled, counter=rt.aside_step)
            finite = np.isfinite(np.asarray(item.at(t.data), np.float64)).reshape(-1)
            if not finite.all():
                item.nonfinite = ~finite
            item.downstream.add(t.seq)
            item.kinks = sorted(set(k for k in base_kinks if k in item.downstream) | crossed)

    def _suspicious(self, roots, seeds, ins, check: PassCheck, order, watch) -> bool:
        """Whether the reverse pass about to run will disagree with forward
        mode or finite differences: the same engine, run ahead without
        touching .grad or freeing anything. Where only the finite difference
        disagrees, it is taken again with the coarser step (FD_COARSE) and
        kept if that one agrees without crossing a kink."""
        try:
            grads, *_ = autodiff.run_backward(roots, seeds, True, accumulate=False, inputs=ins,
                                              record_steps=False)
        except GradvizError:
            return False         # the pass itself will fail, with the program's error
        suspicious = False
        for item, t in zip(check.inputs, ins):
            rev = grads.get(t)
            rev = item.at(np.zeros(t.data.shape) if rev is None else rev)
            if item.forward is not None and not _close(rev, item.forward, self.tol)[0]:
                suspicious = True
            elif item.numeric is not None and not _close(*item.fd_pair(rev, item.numeric),
                                                         self.tol)[0]:
                if item.forward is not None and np.all(np.isfinite(rev)):
                    coarse, _, crossed = numeric_gradient(order, roots, seeds, t, watch, FD_COARSE,
                                                          item.sampled)
                    if not crossed - set(item.kinks) and \
                            _close(*item.fd_pair(rev, coarse), self.tol)[0]:
                        item.numeric, item.coarse = coarse, True
                        continue
                suspicious = True
        return suspicious

    def report(self, record: Record, filename: str) -> CheckReport:
        done = []
        events = {ev["pass"]: ev for ev in record.events if ev["kind"] in ("backward", "grad")}
        # a pass that failed (caught by a try) has no event, and the next one
        # takes its number: the last check of a number is the pass that ran
        last = {check.pass_no: check for check in self.passes}
        for check in self.passes:
            ev = events.get(check.pass_no)
            if ev is None or last[check.pass_no] is not check:
                continue   # the pass itself failed (the program's error says why)
            reached = {s["node"]: s["grad"] for s in ev["steps"]}
            for item in check.inputs:
                rev = reached.get(item.node)
                if rev is None:
                    rev = np.zeros(item.shape)
                item.reverse = np.asarray(rev)
                _judge(item, check, self.tol)
            done.append(check)
        return CheckReport(filename, self.tol, done, record)


def _rel(err: float, ref) -> float:
    ref = np.asarray(ref, np.float64)
    finite = ref[np.isfinite(ref)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    return err / scale if scale > 0 else (0.0 if err == 0 else math.inf)


def _close(a, b, tol: float) -> tuple[bool, float]:
    err = max_abs_diff(a, b)
    b = np.asarray(b, np.float64)
    finite = b[np.isfinite(b)]
    scale = max(1.0, float(np.max(np.abs(finite))) if finite.size else 1.0)
    return err <= tol * scale, err


# why the modes and finite differences differ through writes into overlapping
# windows: the replay and forward mode make each element from one position
WINDOWS_NOTE = ("an in-place write into overlapping windows ({}) changes an element once for "
                "each position that holds it: PyTorch's reverse mode sends a written value the "
                "gradient of every one of them, its forward mode (and this check's replay) "
                "takes one position's")


def _judge(item: InputCheck, check: PassCheck, tol: float) -> None:
    _judge_values(item, check, tol)
    notes = []
    if item.nonfinite is not None:
        notes.append(f"{int(item.nonfinite.sum()):,} inf or NaN element(s) left out of the "
                     "finite differences")
    if item.sampled is not None and item.status != SKIPPED:
        notes.append(f"{len(item.sampled):,} of its {math.prod(item.shape):,} elements checked")
    for note in notes:
        item.reason = f"{item.reason}; {note}" if item.reason else note


def _judge_values(item: InputCheck, check: PassCheck, tol: float) -> None:
    rev = item.at(item.reverse)
    if item.forward is not None:
        fwd_ok, item.fwd_abs = _close(rev, item.forward, tol)
        item.fwd_rel = _rel(item.fwd_abs, item.forward)
    else:
        fwd_ok = True
    if item.status == SKIPPED:
        return
    fd_ok, item.fd_abs = _close(*item.fd_pair(rev, item.numeric), tol)
    item.fd_rel = _rel(item.fd_abs, item.fd_pair(rev, item.numeric)[1])
    culprits = [(seq, check.rules[seq]) for seq in sorted(item.downstream) if seq in check.rules]
    if fd_ok and fwd_ok:
        item.status = OK
        if item.coarse:
            item.reason = (f"finite differences with a step of {FD_COARSE:g}: values too "
                           f"coarse for {FD_STEP:g}")
        if item.kinks:
            item.reason = ("at a kink (" + ", ".join(f"n{k}" for k in item.kinks) +
                           "), where PyTorch's convention matches the central difference")
        return
    if fwd_ok and item.kinks:
        item.status = KINK
        item.reason = "at a kink: " + ", ".join(f"n{k}" for k in item.kinks)
        return
    # a gradient that is not finite (forward mode's then is not either: inf * 0
    # is NaN in every direction) cannot be compared with finite differences
    if not np.all(np.isfinite(rev)) and (fwd_ok or not np.all(np.isfinite(item.forward))):
        item.status = SINGULAR
        item.reason = "the gradient is not finite here (e.g. sqrt or log at 0)"
        return
    # not the derivative, by PyTorch's rules: no rule is to blame
    for seqs, why in ((check.changed, "values this pass reads were changed in place after they "
                       "were computed ({}): the reverse pass uses them"),
                      (check.hooked, "a register_hook() changed the gradient on its way back "
                       "({})"),
                      (check.padded, "an embedding's padding_idx row gets no gradient ({})"),
                      (check.ctc, "ctc_loss's gradient is the derivative plus exp(log_probs) "
                       "({}; a log_softmax before it cancels that term)"),
                      (check.by_convention, "eigh and cholesky give the symmetric gradient of "
                       "the triangle they read, det of a singular matrix 0, as_strided_scatter's "
                       "input the gradient where src is written, lstsq with rcond that of pinv "
                       "at pinv's own tolerance ({})"),
                      (check.windows, WINDOWS_NOTE)):
        found = [seq for seq in seqs if seq in item.downstream]
        if found:
            item.status = CHANGED
            item.reason = why.format(", ".join(f"n{s}" for s in found))
            if why is not WINDOWS_NOTE:
                item.reason += ", as PyTorch's does, so its gradient is not the derivative"
            return
    item.status = FAIL
    item.culprits = culprits
    if not fwd_ok and fd_ok:
        item.reason = (f"forward mode disagrees with reverse mode and finite differences "
                       f"(max abs error {item.fwd_abs:.3g})")
    elif item.forward is None:      # (no forward mode: a custom Function's, or too many passes)
        item.reason = (f"the reverse-mode gradient disagrees with finite differences "
                       f"(max abs error {item.fd_abs:.3g})")
    elif not fwd_ok:
        item.reason = (f"the reverse-mode gradient disagrees with finite differences "
                       f"(max abs error {item.fd_abs:.3g}) and with forward mode "
                       f"({item.fwd_abs:.3g})")
    else:
        item.reason = (f"reverse and forward mode agree but differ from finite differences "
                       f"(max abs error {item.fd_abs:.3g})")
    if not culprits:
        item.reason += "; every op's rules pass on their own, so the engine combined them wrongly"


def check_source(text: str, filename: str = "<string>", tol: float = DEFAULT_TOL,
                 limits=None, sample: int = SAMPLE, observer=None) -> CheckReport:
    """Run the program in float64 and check every reverse pass (each input
    at ``sample`` of its elements at most; 0: every element). A program
    that fails raises its GradvizError (with .check, the report so far).
    ``observer`` is run_source's (the CLI's progress line)."""
    from .runner import run_source
    if not tol > 0:
        raise GradvizError("--tol must be a positive number", kind=USAGE)
    if sample < 0:
        raise GradvizError("--sample must be 0 (every element) or a positive number",
                           kind=USAGE)
    checker = GradChecker(tol, sample)
    options = RunOptions(default_float="float64", on_backward=checker)
    try:
        record = run_source(text, filename, stdout=io.StringIO(), limits=limits,
                            options=options, observer=observer)
    except GradvizError as exc:
        if exc.record is not None:
            exc.check = checker.report(exc.record, filename)
        raise
    return checker.report(record, filename)
