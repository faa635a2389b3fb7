"""The backward pass step by step: the chain rule as the engine ran it.

``explain_record(record)`` turns the passes of a Record (its backward() and
autograd.grad() events) into a numbered list of Steps, in the order the
engine processed the nodes (decreasing creation order):

* a **seed** step per root: the gradient the pass starts from (the implicit
  1. of a scalar, the ``gradient=`` of a non-scalar), and, for
  ``y.sum().backward()``, the implicit ones that sum hands to ``y``;
* a **node** step per op: the upstream gradient ``g`` that reached it (the
  sum, where branches join), and per input the local derivative as a
  formula (``d(a*b)/da = b``), the product sent (``g · b = ...``) and where
  it was added;
* a **pruned** step for each input backward did not enter (it needs no
  gradient: a constant, a detach(), a no_grad() result);
* a **leaf** step per leaf: the accumulation into ``.grad`` (before -> after
  when gradients pile up over several passes).

The text of a step (``step_lines``) is shared by the terminal table
(``print_explanation``), the SVG frames (render/frames.py) and the HTML
page (render/html.py). Renderers only read the Record, never the engine.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import RUNTIME, USAGE, GradvizError
from .record import DETACHED, OP, NodeRecord, Record
from .render.dot import fmt as _fmt_small
from .render.torchfmt import format_compact
from .tensor import DTYPE_NAMES

SEED, NODE, LEAF, PRUNED = "seed", "node", "leaf", "pruned"
TITLE_CHARS = 40          # a longer source expression is shortened in titles
LABEL_CHARS = 24          # ... and where it names an input
NODE_COLUMN = 24          # widest the terminal's node column gets
WHOLE_ELEMENTS = 16       # a value with more elements is summarised in the text
MAX_TABLE_STEPS = 1000    # terminal rows shown by default (first and last half)
BRANCH_NAMES = 4          # nodes named in a pruned step's "and its inputs"
# ops whose operands broadcast: their gradient is summed back to each shape
BROADCASTING = ("add", "sub", "rsub", "mul", "div", "rdiv", "pow", "rpow", "maximum",
                "minimum", "where")
# reductions: their gradient is spread back over the input
SPREADING = ("sum", "mean", "max", "min", "amax", "amin", "prod", "norm", "std", "var",
             "expand")
# what a formula calls the gradient coming in (its right side then is the
# product already: "G @ B^T", "s * (g - sum(g*s))")
UPSTREAM_NAMES = ("G", "g")
_DVAR = re.compile(r"/d([A-Za-z]+)")
_WORD = re.compile(r"[A-Za-z]\w*")
_NAME = re.compile(r"[A-Za-z_]\w*")
# letters for a formula's argument whose own letter the program uses for
# something else (see _placeholders)
FRESH_LETTERS = "uvwpqrstkmh"
# what the explanation calls the incoming gradient instead of g (and a
# formula's G) when the program binds that name itself (see upstream_names)
UPSTREAM_FALLBACKS = {"g": ("γ", "δ", "ĝ"), "G": ("Γ", "Δ", "Ĝ")}
# glyphs of the terminal and the pictures
TIMES, ARROW, CUT = "·", "→", "✂"


@dataclass(frozen=True, slots=True)
class Sent:
    """One contribution a node step sends to one of its inputs."""

    to: int                  # seq of the input
    position: int            # which tensor input of the op (0-based)
    var: str                 # the formula's name for that input ("a"), or ""
    formula: str             # the local derivative, "d(a*b)/da = b"
    bindings: tuple          # ("b = x",): the formula's names in program terms
    product: str             # how the contribution is made, "g · b" ("": see formula)
    value: np.ndarray        # the contribution
    note: str                # "summed over the broadcast dimensions to [3]", or ""
    arrival: int             # 1-based: the how-many-th contribution to `to` in this pass
    arrivals: int            # how many `to` gets in this pass (the seed counts)
    join: tuple | None       # the last of several: ((from, value), ...) all of them
    total: np.ndarray | None  # with join: their sum


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the reverse pass."""

    number: int              # 1-based, over the whole explanation
    pass_no: int             # the pass (event "pass") it belongs to
    index: int               # 0-based within its pass
    kind: str                # SEED, NODE, LEAF, PRUNED
    node: int                # seq: the root (SEED), the op (NODE, PRUNED), the leaf (LEAF)
    g: np.ndarray | None     # the gradient that reached node (SEED: the seed)
    parts: tuple             # ((from, value), ...) when g is the sum of several
    sent: tuple              # Sent, in input order
    pruned: int | None = None         # PRUNED: the input not entered
    branch: tuple = ()       # PRUNED: seqs of that branch (the input and what made it)
    before: np.ndarray | None = None  # LEAF: .grad before the pass (None: no .grad yet)
    after: np.ndarray | None = None   # LEAF: .grad after it
    sum_root: int | None = None       # SEED of y.sum(): the seq of y (implicit ones)
    hooked: np.ndarray | None = None  # what arrived, when a hook changed it into g


@dataclass(frozen=True, slots=True)
class PassInfo:
    """One backward()/autograd.grad() call."""

    number: int              # the event's "pass"
    kind: str                # "backward" or "grad"
    line: int
    statement: str           # the source line that ran it
    roots: tuple
    seeds: tuple
    implicit: bool
    retain_graph: bool


@dataclass
class Explanation:
    """The steps of one or every pass of a run."""

    record: Record
    passes: list             # PassInfo, in run order
    steps: list              # Step, numbered 1.. in order

    def pass_info(self, number: int) -> PassInfo:
        return next(p for p in self.passes if p.number == number)

    def steps_of(self, number: int) -> list:
        return [s for s in self.steps if s.pass_no == number]

    def label(self, seq: int) -> str:
        """How a node is named in the text: its DSL name, else its expression."""
        return node_label(self.record.node(seq), self.record.shared_exprs)

    def title(self, seq: int) -> str:
        return node_title(self.record.node(seq))

    @property
    def g(self) -> str:
        """The name of the incoming gradient in the text (see upstream_names)."""
        return upstream_names(self.record)["g"]


# --------------------------------------------------------------------------
# building the steps


def explain_record(record: Record, pass_no: int | str | None = None) -> Explanation:
    """The steps of every pass of ``record`` (or of pass ``pass_no`` only).

    Raises GradvizError: RUNTIME when the program ran no backward pass,
    USAGE when ``pass_no`` names none of its passes.
    """
    events = record.passes
    if not events:
        raise GradvizError(
            f"nothing to explain: {record.filename} never calls backward() or "
            "autograd.grad()", kind=RUNTIME,
            hint="add a backward pass, e.g. y.backward() on a scalar y")
    if pass_no == "last":             # (--pass last, as run and render take it)
        pass_no = events[-1]["pass"]
    if pass_no is not None and not any(ev["pass"] == pass_no for ev in events):
        numbers = [ev["pass"] for ev in events]
        which = ("1 backward pass" if len(numbers) == 1
                 else f"{len(numbers)} backward passes")
        raise GradvizError(f"there is no pass {pass_no}: the program runs {which}",
                           kind=USAGE, hint=f"choose --pass from {numbers[0]} to {numbers[-1]}")
    lines = record.source.splitlines()
    before_after = _leaf_grads(record)
    passes, steps = [], []
    for ev in events:
        if pass_no is not None and ev["pass"] != pass_no:
            continue
        line = ev["line"]
        statement = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        passes.append(PassInfo(ev["pass"], ev["kind"], line, statement, tuple(ev["roots"]),
                               tuple(np.asarray(s) for s in ev["seeds"]),
                               bool(ev.get("implicit_seed")), bool(ev.get("retain_graph"))))
        steps.extend(_pass_steps(record, ev, len(steps), before_after))
    return Explanation(record, passes, steps)


def _pass_steps(record: Record, ev: dict, offset: int, before_after: dict) -> list:
    nodes = record.nodes
    k = ev["pass"]
    # every contribution of the pass, per receiving node, in arrival order
    arrivals: dict[int, list] = {}
    for root, seed in zip(ev["roots"], ev["seeds"]):
        arrivals.setdefault(root, []).append(("the seed", np.asarray(seed)))
    for step in ev["steps"]:
        r = nodes[step["node"]]
        src = node_label(r, record.shared_exprs)
        targets = [a for a, _ in step["sent"]]
        names = _formula_names(record, r)
        argpos = _arg_positions(r)
        for (a, g), pos in zip(step["sent"], _positions(r, step["sent"])):
            label = src
            if targets.count(a) > 1 and 0 <= pos < len(argpos) and argpos[pos] < len(names):
                label += f", as {names[argpos[pos]]}"     # x * x sends to x twice
            arrivals.setdefault(a, []).append((label, g))
    totals = {step["node"]: step["grad"] for step in ev["steps"]}
    pruned_by: dict[int, list] = {}
    for s, a in ev["pruned"]:
        if a not in pruned_by.setdefault(s, []):
            pruned_by[s].append(a)
    visited = set(totals)

    out: list[Step] = []

    def add(**kw):
        out.append(Step(number=offset + len(out) + 1, pass_no=k, index=len(out), **kw))

    for root, seed in zip(ev["roots"], ev["seeds"]):
        r = nodes[root]
        sum_root = None
        if (ev.get("implicit_seed") and r.kind == OP and r.op == "sum" and not r.params
                and len(r.inputs) == 1):
            sum_root = int(r.inputs[0][1:])
        add(kind=SEED, node=root, g=np.asarray(seed), parts=(), sent=(), sum_root=sum_root)

    received: dict[int, int] = {root: 1 for root in ev["roots"]}
    for step in ev["steps"]:
        s, g = step["node"], step["grad"]
        r = nodes[s]
        parts = tuple(arrivals.get(s, ()))
        hooked = _hooked(parts, g)
        parts = parts if len(parts) > 1 else ()
        if r.kind != OP:
            ba = before_after.get((k, s))
            add(kind=LEAF, node=s, g=g, parts=parts, sent=(), hooked=hooked,
                before=None if ba is None else ba[0], after=None if ba is None else ba[1])
            continue
        sent = []
        positions = _positions(r, step["sent"])
        for (a, value), pos in zip(step["sent"], positions):
            received[a] = received.get(a, 0) + 1
            n = len(arrivals.get(a, ()))
            join = total = None
            if n > 1 and received[a] == n:
                join = tuple(arrivals[a])
                total = totals.get(a)
                if total is None:
                    total = _sum(v for _, v in join)
            sent.append(_sent(record, r, pos, a, value, g, received[a], n, join, total))
        add(kind=NODE, node=s, g=g, parts=parts, sent=tuple(sent), hooked=hooked)
        for a in pruned_by.get(s, ()):
            add(kind=PRUNED, node=s, g=None, parts=(), sent=(), pruned=a,
                branch=tuple(_branch(nodes, a, visited)))
    return out


def _positions(r: NodeRecord, sent) -> list[int]:
    """The input position of each contribution (x * x sends to x twice; the
    inputs backward skipped are not in ``sent``), as render/dot.py matches them."""
    ins = [int(i[1:]) for i in r.inputs]
    used = [False] * len(ins)
    out = []
    for a, _ in sent:
        for pos, b in enumerate(ins):
            if b == a and not used[pos]:
                used[pos] = True
                out.append(pos)
                break
        else:
            out.append(-1)
    return out


def _arg_positions(r: NodeRecord) -> list[int]:
    """Argument position of each tensor input (Python numbers take the others)."""
    consts = {i for i, _ in r.consts}
    total = len(r.inputs) + len(r.consts)
    return [i for i in range(total) if i not in consts]


def _formula_vars(formula: tuple) -> list[str]:
    """The name each formula gives its argument: "d(a*b)/db = a" -> "b"."""
    out = []
    for f in formula:
        m = _DVAR.search(f.split("=")[0]) if f else None
        out.append(m.group(1) if m else "")
    return out


def _formula_names(record: Record, r: NodeRecord) -> list[str]:
    """The name each of r's formulas gives its argument, as the
    explanation writes it (see _placeholders)."""
    rename = _placeholders(record, r)
    return [rename.get(v, v) for v in _formula_vars(r.formula)]


def _placeholders(record: Record, r: NodeRecord) -> dict:
    """How to write the letters r's formulas give their arguments
    (``d sum(x)/dx_i``) so that none reads as another of the program's
    names: an argument the program names once is written by its name
    (``d sum(z)/dz_i``); a letter the program uses for another tensor
    becomes a free one (``u``), which the explanation ties to its argument
    ("→ x * x (as u)"). Before, chain_rule's ``a = x * x`` read
    "→ x (as a): d(a*b)/da = b, with b = x". Returns {letter: new}."""
    letters = [v for v in dict.fromkeys(_formula_vars(r.formula))
               if v and v not in UPSTREAM_NAMES]
    if not letters:
        return {}
    program = _program_names(record)
    args = _arg_texts(record, r)
    words = {w for f in r.formula for w in _WORD.findall(f)}
    out = {}
    for i, v in enumerate(_formula_vars(r.formula)):
        arg = args[i] if i < len(args) else None
        # (not a program's g: g is the explanation's incoming gradient)
        if (v in letters and arg in program and args.count(arg) == 1
                and arg not in UPSTREAM_NAMES and (arg == v or arg not in words)):
            out[v] = arg
    taken = {*program, *words, *out.values()}
    for v in letters:
        if v not in out and v in program | set(out.values()):
            pool = FRESH_LETTERS.upper() if v.isupper() else FRESH_LETTERS
            out[v] = new = next((c for c in pool if c not in taken), v + "_")
            taken.add(new)
    return {v: new for v, new in out.items() if new != v}


def upstream_names(record: Record) -> dict:
    """{"g": ..., "G": ...}: how the text writes the incoming gradient (g)
    and a formula's name for it as a matrix (G). g and G unless the program
    binds that name to a tensor: `g = x * x` read "g = 1." for the seed, as
    if the program's g were 1; then a letter no program name is (γ, Γ, ...).
    """
    memo = record.__dict__
    names = memo.get("_explain_upstream")
    if names is None:
        program = _bound_names(record)
        names = memo["_explain_upstream"] = {
            v: next((c for c in (v, *UPSTREAM_FALLBACKS[v]) if c not in program),
                    v + "_" * (1 + max((len(n) for n in program), default=0)))
            for v in UPSTREAM_NAMES}
    return names


def _upstream_renamed(record: Record, text: str) -> str:
    """A formula's text with g and G as the explanation writes them."""
    rename = {v: new for v, new in upstream_names(record).items() if new != v}
    return _renamed(text, rename)


def _program_names(record: Record) -> frozenset:
    """The plain ASCII names the program binds to tensors (the ones a
    formula's letters can be; kept on the record)."""
    memo = record.__dict__
    names = memo.get("_explain_names")
    if names is None:
        names = memo["_explain_names"] = frozenset(filter(_NAME.fullmatch,
                                                          _bound_names(record)))
    return names


def _bound_names(record: Record) -> frozenset:
    """Every plain name the program binds to tensors, γ too (kept on the record)."""
    memo = record.__dict__
    names = memo.get("_explain_bound")
    if names is None:
        names = memo["_explain_bound"] = frozenset(
            n for n in (*record.nodes.column("name"), *record.variable_ids)
            if n and n.isidentifier())
    return names


def _renamed(text: str, rename: dict) -> str:
    """text with each formula letter renamed (its derivative ``dx`` and
    its elements ``x_i`` too); other words untouched."""
    if not rename:
        return text

    def word(m):
        w = m.group()
        for d in ("", "d"):
            rest = w[len(d):] if w.startswith(d) else None
            if not rest:
                continue
            for v, new in rename.items():
                if rest == v or rest.startswith(v + "_"):
                    return d + new + rest[len(v):]
        return w
    return _WORD.sub(word, text)


def _sent(record: Record, r: NodeRecord, pos: int, to: int, value, g, arrival: int,
          arrivals: int, join, total) -> Sent:
    formula, var, bindings, product = "", "", (), ""
    if r.formula and pos >= 0:
        argpos = _arg_positions(r)
        ap = argpos[pos] if pos < len(argpos) else pos
        fi = min(ap, len(r.formula) - 1)
        local = _renamed(r.formula[fi], _placeholders(record, r))
        formula = _upstream_renamed(record, local)
        up = upstream_names(record)
        names = _formula_names(record, r)
        var = names[fi] if fi < len(names) else ""
        if "=" in formula:
            rhs = formula.split("=", 1)[1].strip()
            # (its words before g and G are renamed: they may be no ASCII letters then)
            words = dict.fromkeys(_WORD.findall(local.split("=", 1)[1]))
            args = _arg_texts(record, r)
            bound = [f"{up['G']} = {up['g']}"] if "G" in words else []
            for i, name in enumerate(names):
                if (name and name in words and i < len(args) and name not in UPSTREAM_NAMES
                        and args[i] != name):      # no "with a = a"
                    bound.append(f"{name} = {args[i]}")
            bindings = tuple(dict.fromkeys(bound))
            if any(u in words for u in UPSTREAM_NAMES):
                product = rhs
            else:
                bare = re.fullmatch(r"\[[^\]]*\]", rhs) or not re.search(r"[\s+\-*/]", rhs)
                product = f"{up['g']} {TIMES} " + (rhs if bare else f"({rhs})")
                # the multiply itself, when the local derivative is one argument
                if rhs in names:
                    factor = _arg_value_text(record, r, names.index(rhs))
                    if factor is not None:
                        product += f" = {fmt(np.asarray(g))} {TIMES} {factor}"
        else:       # words, not a formula: "gradient split back into the pieces"
            product = ""
    note = ""
    shape = tuple(np.shape(value))
    if r.op in BROADCASTING and shape != tuple(r.shape):
        note = f"summed over the broadcast dimensions to {_shape(shape)}"
    elif r.op in SPREADING and np.size(value) > np.size(g):
        note = f"spread over every element of {node_label(record.node(to), record.shared_exprs)}"
    return Sent(to, pos, var, formula, bindings, product, value, note, arrival, arrivals,
                join, total)


def _arg_texts(record: Record, r: NodeRecord) -> list[str]:
    """Each argument of an op as the program wrote it (inputs by name)."""
    consts = dict(r.consts)
    ins = iter(r.inputs)
    out = []
    for i in range(len(r.inputs) + len(r.consts)):
        if i in consts:
            v = consts[i]
            out.append(repr(v) if isinstance(v, float) else str(v))
        else:
            out.append(node_label(record.node(next(ins)), record.shared_exprs))
    return out


def _arg_value_text(record: Record, r: NodeRecord, argpos: int) -> str | None:
    """An op's argument as a value: an input's value, or a Python number as written."""
    consts = dict(r.consts)
    if argpos in consts:
        v = consts[argpos]
        return repr(v) if isinstance(v, float) else str(v) if isinstance(v, int) else None
    argpos_of = _arg_positions(r)
    if argpos not in argpos_of:
        return None
    return fmt(record.node(r.inputs[argpos_of.index(argpos)]).value)


def _branch(nodes, seq: int, visited: set) -> list[int]:
    """The pruned input and everything it was computed from that this pass
    did not visit, in creation order (an explicit stack: no recursion)."""
    seen, stack = {}, [seq]
    while stack:
        s = stack.pop()
        if s in seen or s in visited:
            continue
        seen[s] = True
        r = nodes[s]
        stack.extend(int(i[1:]) for i in r.inputs)
        if r.detached_from is not None and r.kind != DETACHED:
            stack.append(int(r.detached_from[1:]))
    return sorted(seen)


def _leaf_grads(record: Record) -> dict:
    """(pass, leaf seq) -> (.grad before, .grad after) over the run's timeline.

    zero_() sets the remembered value to zeros; any other in-place change of
    a .grad leaves it unknown, and the value before is then after - g."""
    state: dict[int, object] = {}
    unknown = object()
    out = {}
    for ev in record.events:
        kind = ev["kind"]
        if kind == "backward":
            g_by_leaf = {st["node"]: st["grad"] for st in ev["steps"]}
            for seq, after in ev["leaf_grads"].items():
                before = state.get(seq)
                if before is unknown:
                    g = g_by_leaf.get(seq)
                    before = None if g is None else after - g
                out[(ev["pass"], seq)] = (before, after)
                state[seq] = after
        elif kind == "grad_set":            # x.grad = None, or = a tensor
            state[ev["node"]] = None if ev["value"] is None else \
                record.nodes[ev["value"]].value
        elif kind == "zero_" and ev.get("grad_of") is not None:
            prev = state.get(ev["grad_of"])
            state[ev["grad_of"]] = (np.zeros_like(prev) if isinstance(prev, np.ndarray)
                                    else unknown)
        elif ev.get("grad_of") is not None:
            state[ev["grad_of"]] = unknown
    return out


def fmt(arr) -> str:
    """A value or gradient in a step's text: whole up to WHOLE_ELEMENTS
    elements (a 4x4 matrix), else min … max, mean and size."""
    arr = np.asarray(arr)
    if arr.size <= 1:
        return _fmt_small(arr)
    name = arr.dtype.name
    if arr.dtype not in DTYPE_NAMES:
        name = "float64"
    return format_compact(arr, name, WHOLE_ELEMENTS)


def _hooked(arrived: tuple, g) -> np.ndarray | None:
    """The sum of what arrived at a node, when its gradient g is another
    value: a hook (x.register_hook(lambda g: g * 10)) returned a new one."""
    total = _sum(v for _, v in arrived)
    if total is None or g is None:
        return None
    total, g = np.asarray(total), np.asarray(g)
    if total.shape != g.shape or np.allclose(total, g, equal_nan=True):
        return None
    return total


def _sum(values):
    total = None
    for v in values:
        total = v if total is None else total + v
    return total


# --------------------------------------------------------------------------
# words


def node_label(r: NodeRecord, shared: frozenset = frozenset()) -> str:
    """A node's DSL name, else its source expression (shortened), else its
    id. An expression that nodes of other ops share (`shared`: the pieces a
    module makes) gets the op first: "t of net[2] in net(x)"."""
    if r.name:
        return r.name
    if r.expr:
        expr = _short(r.expr, LABEL_CHARS)
        return f"{r.op} of {expr}" if r.expr in shared else expr
    return r.id


def node_title(r: NodeRecord) -> str:
    """``name = expression`` (or either one alone) for a step's heading; a
    named leaf by its name (how it was made is not the step's point)."""
    if r.name and r.kind != OP:
        return r.name
    expr = _short(r.expr, TITLE_CHARS) if r.expr else ""
    step = f" ({r.in_loop})" if r.in_loop else ""       # which pass of a loop
    if r.name and expr and expr != r.name:
        return f"{r.name}{step} = {expr}"      # (by the name, as the tables say it)
    return (expr or r.name or r.id) + step


def op_words(r: NodeRecord) -> str:
    """The op and PyTorch's grad_fn: "*, MulBackward0", "leaf, AccumulateGrad"."""
    if r.kind != OP:
        return "leaf, AccumulateGrad" if r.requires_grad else "leaf"
    return f"{r.symbol}, {r.grad_fn or 'no grad_fn'}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shape(shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]" if shape else "a scalar"


def _operand(text: str) -> str:
    """``text`` ready to take a method call or a d/d: parenthesised unless a name."""
    return text if text.isidentifier() else f"({text})"


_GROUP = re.compile(r"\([^()\[\]{}]*\)|\[[^()\[\]{}]*\]|\{[^()\[\]{}]*\}")


def _receiver(text: str) -> str:
    """``text`` ready to take a method call: parenthesised unless it is one
    primary, as h.pow(2) or x[0] ("(h.pow(2)).backward(...)" reads as if the
    parentheses mattered)."""
    outer = text
    while True:                    # drop bracketed groups, innermost first
        inner = _GROUP.sub("", outer)
        if inner == outer:
            break
        outer = inner
    return text if text and re.fullmatch(r"[\w.]*", outer) else f"({text})"


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def pass_heading(p: PassInfo) -> str:
    """"backward() #1 · line 4: y.backward(retain_graph=True)"."""
    what = "backward()" if p.kind == "backward" else "autograd.grad()"
    text = f"{what} #{p.number} {TIMES} line {p.line}"
    return text + (f": {p.statement}" if p.statement else "")


def step_heading(ex: Explanation, step: Step) -> tuple[str, str]:
    """(what the step is about, the op or kind in a few words)."""
    r = ex.record.node(step.node)
    if step.kind == SEED:
        return f"seed {ARROW} {ex.label(step.node)}", "where the pass starts"
    if step.kind == PRUNED:
        return f"{CUT} {ex.label(step.pruned)}", f"pruned from {ex.label(step.node)}"
    return ex.title(step.node), op_words(r)


def step_lines(ex: Explanation, step: Step) -> list[tuple[str, str]]:
    """The step in words, as (kind, text) lines; kinds: "g" (the upstream
    gradient), "rule" (a local derivative), "product", "sum" (a join),
    "grad" (an accumulation into .grad), "seed", "pruned", "note"."""
    rec = ex.record
    out: list[tuple[str, str]] = []
    if step.kind == SEED:
        p = ex.pass_info(step.pass_no)
        r = rec.node(step.node)
        who = ex.label(step.node)
        out.append(("g", f"{ex.g} = {fmt(step.g)}"))
        w = _operand(who)
        if p.implicit:
            out.append(("seed", f"the implicit seed: {who} is a scalar, and d{w}/d{w} = 1"))
        elif p.kind == "grad" and r.value.size == 1 and np.all(np.asarray(step.g) == 1):
            out.append(("seed", f"the seed: {who} is a scalar, and d{w}/d{w} = 1"))
        else:
            how = "gradient=" if p.kind == "backward" else "grad_outputs="
            out.append(("seed", f"the seed is the {how} given for {who} "
                                f"({_shape(r.shape)}): backward computes its product with "
                                "the Jacobian"))
        if step.sum_root is not None:
            y = ex.label(step.sum_root)
            ones = np.ones(rec.node(step.sum_root).shape, dtype=np.asarray(step.g).dtype)
            out.append(("note", f"{who} sums {y}, so it hands {y} the implicit ones "
                                f"{fmt(ones)}: the same as "
                                f"{_receiver(y)}.backward(torch.ones_like({y}))"))
        return out
    if step.kind == PRUNED:
        a = rec.node(step.pruned)
        out.append(("pruned", f"{ex.label(step.node)} sends nothing to {ex.label(step.pruned)}: "
                              f"{_prune_reason(a)}"))
        others = [ex.label(s) for s in step.branch if s != step.pruned]
        if others:
            shown = ", ".join(others[:BRANCH_NAMES]) + (", …" if len(others) > BRANCH_NAMES
                                                         else "")
            out.append(("note", f"backward never enters this branch ({shown}): "
                                "no gradient is computed there"))
        else:
            out.append(("note", "backward never enters it: no gradient is computed there"))
        return out
    out.append(("g", _g_text(step, ex.g)))
    if step.kind == LEAF:
        out.append(("grad", _leaf_text(ex, step)))
        return out
    r = rec.node(step.node)
    for sent in step.sent:
        to = ex.label(sent.to)
        if sent.var and (to != sent.var and sent.var in sent.formula
                         or sum(1 for x in step.sent if x.to == sent.to) > 1):
            to += f" (as {sent.var})"      # the formula's name for it
        rule = sent.formula or "its local derivative"
        if sent.bindings:
            rule += ", with " + ", ".join(sent.bindings)
        out.append(("rule", f"{ARROW} {to}: {rule}"))
        product = f"{sent.product} = {fmt(sent.value)}" if sent.product else f"= {fmt(sent.value)}"
        if sent.note:
            product += f" ({sent.note})"
        out.append(("product", product))
        if sent.join is not None:
            out.append(("sum", f"{ex.label(sent.to)} has all {len(sent.join)} contributions: "
                               + _sum_text(sent.join, sent.total)))
        elif sent.arrivals > 1:
            out.append(("note", f"added into {ex.label(sent.to)} "
                                f"({_ordinal(sent.arrival)} of {sent.arrivals})"))
    if not step.sent:
        out.append(("note", "no input needs a gradient: nothing is sent"))
    if r.retains_grad:
        out.append(("grad", f"retain_grad(): {ex.label(step.node)}.grad = {fmt(step.g)}"))
    return out


def _g_text(step: Step, g: str) -> str:
    """"g = ...", g as the explanation names the incoming gradient."""
    if step.hooked is not None:
        # (the arrivals add up to what the hook got, not to g)
        arrived = _sum_text(step.parts, step.hooked) if step.parts else fmt(step.hooked)
        return (f"{g} = {arrived} {ARROW} {fmt(step.g)}: a hook changed it (what it "
                "returns replaces the gradient)")
    if step.parts:
        return f"{g} = " + _sum_text(step.parts, step.g)
    return f"{g} = {fmt(step.g)}"


def _sum_text(parts, total) -> str:
    return " + ".join(fmt(v) for _, v in parts) + f" = {fmt(total)}"


def _leaf_text(ex: Explanation, step: Step) -> str:
    who = ex.label(step.node)
    if ex.pass_info(step.pass_no).kind == "grad":
        return f"autograd.grad() returns {ex.g} for {who}; {who}.grad is left as it was"
    if step.before is None:
        return f"{who}.grad = None {ARROW} {fmt(step.after)} (AccumulateGrad)"
    why = ("it was zeroed before this pass" if not np.any(step.before)
           else "gradients add up over passes until zeroed")
    return f"{who}.grad += {ex.g}: {fmt(step.before)} {ARROW} {fmt(step.after)} ({why})"


def _prune_reason(r: NodeRecord) -> str:
    if r.pruned_reason is not None and r.pruned_reason.startswith("a view made under"):
        return "it is " + r.pruned_reason
    if r.pruned_reason is not None and r.pruned_reason.startswith("frozen"):
        return "it was " + r.pruned_reason
    if r.kind == DETACHED:
        return "it was detached (the value is shared, the gradient stops)"
    if r.no_grad is not None:
        return "it was made under no_grad() (not recorded)"
    return "it needs no gradient (requires_grad=False)"


# --------------------------------------------------------------------------
# the terminal


def print_explanation(ex: Explanation, console, max_steps: int = MAX_TABLE_STEPS) -> None:
    """The steps as rich tables, one per pass; above ``max_steps`` steps (0:
    no limit) only the first and the last half of them, the gap marked.

    Visual legend: the step number bold; the node's title bold with its op
    and grad_fn dim below; ``g = ...`` (the upstream gradient) first, then
    per input the local derivative (cyan), the product sent, the sum where
    branches join (bold yellow), the accumulation into .grad (green); seed
    steps magenta, pruned steps dim with a ✂.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .render.tables import camel_lines

    total = len(ex.steps)
    first = max_steps // 2

    def shown(number: int) -> bool:
        return not max_steps or total <= max_steps or number <= first or \
            number > total - (max_steps - first)

    styles = {"g": "bold", "rule": "cyan", "product": "", "sum": "bold yellow",
              "grad": "green", "seed": "magenta", "pruned": "dim", "note": "dim italic"}
    # a quarter of the terminal: known here, so that a long grad_fn breaks
    # where a word of it starts ("BackwardHook" / "FunctionBackward")
    node_width = max(12, min(NODE_COLUMN, (console.width - 6) // 4))
    for p in ex.passes:
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, show_lines=True,
                      header_style="bold", title=Text(pass_heading(p)), title_justify="left",
                      title_style="bold", expand=True)
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("node", width=node_width, overflow="fold")
        table.add_column(f"upstream {ex.g} {TIMES} local derivative = sent", ratio=3,
                         overflow="fold")
        gap = False
        for step in ex.steps_of(p.number):
            if not shown(step.number):
                if not gap:
                    gap = True
                    left = len(ex.steps) - max_steps
                    table.add_row("…", Text(f"{left:,} steps left out", style="dim italic"),
                                  Text("--max-steps 0 shows every step; --pass N one pass",
                                       style="dim italic"))
                continue
            head, words = step_heading(ex, step)
            node = Text(head, style="dim" if step.kind == PRUNED else "bold")
            node.append("\n" + " ".join(camel_lines(w, node_width) for w in words.split(" ")),
                        style="dim")
            body = Text()
            for i, (kind, text) in enumerate(step_lines(ex, step)):
                if i:
                    body.append("\n")
                if kind == "product":
                    text = "  " + text
                body.append(text, style=styles.get(kind, ""))
            table.add_row(Text(str(step.number), style="bold"), node, body)
        console.print(table)
        console.print()
    n = len(ex.steps)
    g = ex.g
    console.print(Text(f"{n:,} step{'s' if n != 1 else ''}: {g} is the gradient that reached "
                       f"the node; each input gets {g} times the local derivative, and where "
                       "branches join the contributions add up.", style="dim"))


__all__ = ["Explanation", "LEAF", "NODE", "PRUNED", "PassInfo", "SEED", "Sent", "Step",
           "explain_record", "node_label", "node_title", "op_words", "pass_heading",
           "print_explanation", "step_heading", "step_lines", "upstream_names"]
