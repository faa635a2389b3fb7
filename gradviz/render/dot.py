"""Record -> DOT text: the graph a teacher draws on the board.

Visual legend (every node also says its kind in words, so no legend is
needed to read it; ``legend=True`` adds one anyway):

* tensors are boxes with a header (DSL name and the expression that made
  it, or the expression alone; kind, shape, source line), the value, and
  the gradient.  Kinds: parameter (leaf that requires grad, blue), constant
  (grey), intermediate (white), the tensor ``backward()`` was called on
  (green, thick border), detached copy (amber, dashed), a ``.grad`` tensor
  the program used (orange, dotted).
* gradients: a leaf shows its ``.grad`` and, when there were several
  passes or a ``zero_()``, its history (``2. -> 4. -> 0 (zero_)``); a
  non-leaf says ``.grad`` is None because it is not retained, and shows the
  gradient that reached it; "never computed" when no pass reached it.
* ops are ellipses: the DSL operator or function (with its Python-number
  arguments, ``* 2``) and PyTorch's grad_fn name; "saved tensors freed"
  after a backward without ``retain_graph``.
* forward edges are solid; gradient edges run the other way in the
  gradient colour, labelled with the contribution that flowed along them
  (per pass, ``#1`` ``#2``, when there were several); a dashed "seed" box
  says where each backward pass started and with which gradient.
* ``detach()`` is a dashed line through a scissors node ("✂ detach()",
  "value shared, gradient stops") with a bar at the source: the cut.
* a ``with torch.no_grad():`` block is a shaded cluster; branches backward
  pruned are grey with the reason; the tensors of a failing statement have
  a thick red border and point at a note with the error.
* over ``max_nodes`` tensors, long chains (and, if that is not enough,
  runs of less important nodes) are folded into dashed summary boxes
  ("... 2,994 ops folded ..."); ``DotResult.note`` says what was folded.
* big pictures stay drawable: above COMPACT_ABOVE tensors shown, each op
  is written inside its result's box; on paths deeper than LABELLED_DEPTH
  the gradient labels become xlabels (see those constants for why).

The text is written directly rather than through ``graphviz.Digraph``:
(1) one function, :func:`esc`, owns all quoting, while ``Digraph`` passes a
string that looks like ``<...>`` through as an HTML label, an injection path
for program text unless every call remembers ``nohtml``; (2) it is faster:
Digraph re-quotes every attribute with regular expressions, and just
emitting the 3,000-node chain's statements through it takes about three
times as long as building the whole text here, labels included; (3) the
byte layout is ours, so it cannot shift with the package's version.
Labels are record and plain labels, not HTML ones: the embedded Graphviz
is built without expat and silently draws an HTML label as the node's id.

No recursion over the graph; ids are counters (``n12``, ``n12op``,
``fold1``); nothing iterates a set into the output, so the same record and
options give the same bytes.
"""
from __future__ import annotations

import math
import re
import textwrap
from collections import Counter
from dataclasses import dataclass

import numpy as np

from ..record import CONST, DETACHED, GRAD, OP, PARAM, NodeRecord, Record
from ..tensor import DTYPE_NAMES
from .style import SANS, THEMES, Look, Theme, get_theme
from .torchfmt import format_compact

SHOW = ("forward", "backward", "both")
RANKDIRS = ("LR", "TB", "BT", "RL")
DEFAULT_MAX_NODES = 300     # tensors shown before folding starts (0: never fold)
SMALL_TENSOR = 8            # elements shown whole; above, min … max, mean
MAX_TEXT = 48               # characters of program text in a node header
FOLD_KEEP = 3               # records kept visible at each end of a folded chain
FOLD_MIN = 4                # fewer hidden records than this are not worth a fold
# Above this many tensors shown, each op is drawn inside its result's box:
# half the nodes and half the depth. The embedded Graphviz recurses along
# long paths and runs out of stack somewhere between 4,000 and 6,000 nodes
# deep, and an unfolded 1,000-step chain is 3,000 tensors deep.
COMPACT_ABOVE = 1000
# Labels on gradient edges (which run beside forward edges) make the
# embedded Graphviz recurse deeper still: a path of about 1,200 nodes
# already exhausts its stack, 600 does not. Deeper graphs get the labels as
# xlabels, placed after the layout instead of taking part in it.
LABELLED_DEPTH = 500
PASSES_SHOWN = 3            # per edge/node, gradients of the last passes only
NOTE_WIDTH = 56             # wrap width of the error note

CENTER, LEFT = "\\n", "\\l"   # Graphviz line breaks: centred, left-aligned

# Control characters (a newline is a line break instead) become spaces.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def esc(text: str, br: str = CENTER) -> str:
    """Program or value text -> a fragment safe in any DOT label.

    The only function that puts text into the DOT output. Characters with a
    meaning in a quoted string or a record label (backslash, quote, braces,
    bar, angle brackets) get a backslash, so Graphviz draws the character
    itself; "&" becomes an entity, as Graphviz decodes entities in labels;
    spaces are escaped because record fields collapse runs of plain spaces
    (the padding in "[ 0.,  4.]" must survive); each line (split at "\\n")
    ends with the Graphviz line break ``br`` (CENTER or LEFT); other
    control characters become spaces. The result can neither end the
    quoted string nor start a record field or port, and after Graphviz's
    own XML escaping cannot inject SVG markup.
    """
    text = (text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "\\{")
            .replace("}", "\\}").replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")
            .replace("&", "&amp;").replace(" ", "\\ "))
    if "\n" in text:
        text = text.replace("\n", br)
    if not text.isprintable():
        text = _CONTROLS.sub(" ", text)
    return text + br


@dataclass(frozen=True, slots=True)
class DotResult:
    """DOT text, and a one-line note about folding (None when nothing was)."""

    source: str
    note: str | None
    folded: int         # records hidden in summary nodes


@dataclass(frozen=True, slots=True)
class PassView:
    """Draw one backward pass, for the step-by-step frames of ``explain``:
    only that pass's seed and gradient edges (labelled with its
    contributions); each node's gradient field is the caller's one line
    (``grad_lines[seq]``, none when absent); gradient edges carry SVG ids
    (``g3_0``: into input 0 of node 3; ``g3``: from node 3 to its op) that
    the frames restyle step by step on one layout."""

    pass_no: int
    grad_lines: dict
    upto: int | None = None     # draw only the first `upto` nodes (those made before the pass)


def to_dot(record: Record, **options) -> str:
    """The DOT text of a record; options as for :func:`build_dot`."""
    return build_dot(record, **options).source


def check_options(show: str = "both", rankdir: str = "TB", theme: str = "light",
                  title: str | None = None, legend: bool = False,
                  max_nodes: int = DEFAULT_MAX_NODES) -> dict:
    """Validate graph options; raises GradvizError (usage) naming the bad one."""
    from ..errors import USAGE, GradvizError

    for name, value, allowed in (("show", show, SHOW), ("rankdir", rankdir, RANKDIRS),
                                 ("theme", theme, THEMES)):
        if value not in allowed:
            raise GradvizError(f"unknown {name} {value!r} (choose from {', '.join(allowed)})",
                               kind=USAGE)
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 0:
        raise GradvizError(f"max_nodes must be a whole number >= 0, not {max_nodes!r}",
                           kind=USAGE, hint="0 shows every node, without folding")
    if title is not None and not isinstance(title, str):
        raise GradvizError(f"title must be text, not {type(title).__name__}", kind=USAGE)
    return {"show": show, "rankdir": rankdir, "theme": theme, "title": title,
            "legend": bool(legend), "max_nodes": max_nodes}


def build_dot(record: Record, *, show: str = "both", rankdir: str = "TB",
              theme: str = "light", title: str | None = None, legend: bool = False,
              max_nodes: int = DEFAULT_MAX_NODES, view: PassView | None = None) -> DotResult:
    """Draw ``record`` as DOT (see the module docstring for the picture).

    ``show``: forward | backward | both; ``rankdir``: LR | TB | BT | RL;
    ``theme``: light | dark | print; ``title``: a caption; ``legend``: add a
    key to the shapes and colours; ``max_nodes``: fold when the record has
    more tensors than this (0: never); ``view``: one pass only (PassView).
    """
    opts = check_options(show, rankdir, theme, title, legend, max_nodes)
    return _Builder(record, opts, view).build()


# --------------------------------------------------------------------------
# text helpers


def fmt(arr) -> str:
    """A value or gradient for a label (whole when small, else a summary)."""
    if arr is None:
        return "None"
    if arr.ndim == 0 and arr.dtype.kind == "f":
        return scalar_text(arr.item())
    return format_compact(arr, _dtype_name(arr), SMALL_TENSOR)


def scalar_text(x: float) -> str:
    """``torchfmt.format_number(x)`` for a float, about ten times faster.

    The 3,000-node chain formats about 9,000 scalars; format_number builds
    a full tensor formatter for each. Same rules for one value (PyTorch's
    _Formatter): zero and non-finite in int mode, scientific outside
    [1e-4, 1e8], integers with a trailing dot, else 4 decimals. A property
    test pins it to format_number.
    """
    if x == 0 or not math.isfinite(x):
        return f"{x:.0f}." if x == 0 else f"{x:.0f}"
    a = abs(x)
    if a > 1.0e8 or a < 1.0e-4:
        return f"{x:.4e}"
    if x.is_integer():
        return f"{x:.0f}."
    return f"{x:.4f}"


def _dtype_name(arr: np.ndarray) -> str:
    # a dict lookup: numpy's dtype.name is a Python-level property, slow
    # enough to show in the time of a big graph
    return DTYPE_NAMES.get(arr.dtype, "float64")


def _short(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _shape_text(shape: tuple) -> str:
    return "scalar" if not shape else "[" + ", ".join(str(d) for d in shape) + "]"


def _number(v) -> str:
    """A Python-number argument as the program wrote it (``1.01``, not ``1.0100``)."""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_number(x) for x in v) + ")"
    return str(v)


def _lines(lines: list[str], br: str) -> str:
    """Escaped lines, each closed by the Graphviz line break br."""
    return esc("\n".join(lines), br)


def _look_attrs(look: Look, shape: str, extra_style: str = "") -> str:
    style = ",".join(s for s in ("filled", look.style, extra_style) if s)
    if shape == "box":
        style = "rounded," + style
    return (f'shape={shape} style="{style}" fillcolor="{look.fill}" color="{look.border}" '
            f'fontcolor="{look.text}" penwidth={look.penwidth:g}')


# --------------------------------------------------------------------------
# folding


@dataclass(slots=True)
class _Group:
    gid: str
    members: list
    no_grad: int | None


def _fold(record: Record, nodes: list, in_seqs: list, max_nodes: int):
    """(group index per seq, or -1 when shown; the groups) or None."""
    n = len(nodes)
    if max_nodes == 0 or n <= max_nodes:
        return None
    finals = {record.node(v).seq for v in record.variables.values()}
    consumers = [0] * n
    for r in nodes:
        for s in dict.fromkeys(in_seqs[r.seq]):
            consumers[s] += 1
        for link in (r.detached_from, r.grad_of):
            if link is not None:
                consumers[int(link[1:])] += 1
    protected = [r.kind != OP or r.backward_root or r.error or r.seq in finals
                 for r in nodes]

    # Step 1: long chains (each member the only consumer of the one before)
    # keep FOLD_KEEP records at each end; the middle becomes one group.
    chain_of = list(range(n))
    chains: dict[int, list] = {}
    for r in nodes:
        s = r.seq
        if not protected[s]:
            ops_in = [p for p in dict.fromkeys(in_seqs[s]) if nodes[p].kind == OP]
            if len(ops_in) == 1:
                p = ops_in[0]
                if (not protected[p] and consumers[p] == 1
                        and nodes[p].no_grad == r.no_grad):
                    chain_of[s] = chain_of[p]
        if not protected[s]:
            chains.setdefault(chain_of[s], []).append(s)
    hidden = [False] * n
    for members in chains.values():
        if len(members) - 2 * FOLD_KEEP >= FOLD_MIN:
            for s in members[FOLD_KEEP:-FOLD_KEEP]:
                hidden[s] = True
    groups, group_of = _groups_from_chains(nodes, hidden, chain_of)
    shown = n - sum(hidden) + len(groups)
    if shown <= max_nodes:
        return group_of, groups

    # Step 2: still too many. Keep the most telling records (roots, errors,
    # named results, parameters; then the ones nearest the program's start
    # and end) and fold every run of consecutive hidden records. A run is
    # an interval of the creation order, so folding it cannot make a cycle.
    keep = max(1, (max_nodes - 1) // 2)
    candidates = [s for s in range(n) if not hidden[s]]

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

    kept = set(sorted(candidates, key=tier)[:keep])
    hidden = [s not in kept for s in range(n)]
    groups, group_of = [], [-1] * n
    current = None
    for s in range(n):
        if not hidden[s]:
            current = None
            continue
        ng = nodes[s].no_grad
        if current is None or current.no_grad != ng:
            current = _Group(f"fold{len(groups) + 1}", [], ng)
            groups.append(current)
        current.members.append(s)
        group_of[s] = len(groups) - 1
    return group_of, groups


def _groups_from_chains(nodes, hidden, chain_of):
    groups, group_of, by_chain = [], [-1] * len(nodes), {}
    for r in nodes:
        s = r.seq
        if hidden[s]:
            c = chain_of[s]
            if c not in by_chain:
                by_chain[c] = len(groups)
                groups.append(_Group(f"fold{len(groups) + 1}", [], r.no_grad))
            groups[by_chain[c]].members.append(s)
            group_of[s] = by_chain[c]
    return groups, group_of


def _op_counts(nodes, members) -> str:
    counts = Counter(nodes[s].op if nodes[s].kind == OP else nodes[s].kind for s in members)
    top = counts.most_common()
    parts = [f"{name} ×{c:,}" for name, c in top[:4]]
    if len(top) > 4:
        parts.append("…")
    return ", ".join(parts)


# --------------------------------------------------------------------------
# the builder


class _Builder:
    """Builds the DOT text of one record; used once."""

    def __init__(self, record: Record, opts: dict, view: PassView | None = None):
        self.record = record
        self.opts = opts
        self.theme: Theme = get_theme(opts["theme"])
        self.show = opts["show"]
        # Record fields must stack top to bottom: with rankdir TB/BT Graphviz
        # lays top-level fields side by side, so they are wrapped in braces.
        self.braces = opts["rankdir"] in ("TB", "BT")
        self.nodes: list[NodeRecord] = (record.nodes if view is None or view.upto is None
                                        else record.nodes[:view.upto])
        self.view = view
        self.passes = record.passes if view is None else [
            ev for ev in record.passes if ev["pass"] == view.pass_no]
        self.multi = len(self.passes) > 1
        self.in_seqs = [[int(i[1:]) for i in r.inputs] for r in self.nodes]
        self.lines: list[str] = []
        self.edge_out: list = []        # edge lines, or keys of merged edges
        self.fold_edges: dict = {}      # (src, dst, attrs) -> [label, count]
        th = self.theme
        self.fwd_attrs = "style=invis" if self.show == "backward" else ""
        self.grad_attrs = (f'dir=back arrowtail={th.gradient_arrow} style={th.gradient_style} '
                           f'color="{th.gradient}" fontcolor="{th.gradient}" class="gradient"')
        self.clusters: dict[int, list[str]] = {}
        self.looks = self._looks()
        self.tensor_attrs = {k: f'{v} class="tensor {k}"' for k, v in self.looks.items()
                             if k != "error"}
        self.op_memo: dict = {}

    # ---- top level ------------------------------------------------------
    def build(self) -> DotResult:
        nodes, th = self.nodes, self.theme
        folded = _fold(self.record, nodes, self.in_seqs, self.opts["max_nodes"])
        self.group_of, self.groups = folded if folded else ([-1] * len(nodes), [])
        hidden = sum(len(g.members) for g in self.groups)
        self.compact = len(nodes) - hidden + len(self.groups) > COMPACT_ABOVE
        if not self.groups:     # nothing folded: skip the id lookups and merging
            self._tid = "n{}".format
            self._oid = "n{}".format if self.compact else "n{}op".format
            self._edge = self._edge_plain
        elif self.compact:
            self._oid = self._tid
        self.grad_label = "label" if self._longest_path() <= LABELLED_DEPTH else "xlabel"
        note = None
        if self.groups:
            everything = [s for g in self.groups for s in g.members]
            note = (f"folded {hidden:,} of {len(nodes):,} nodes into {len(self.groups)} "
                    f"summary node{'s' if len(self.groups) != 1 else ''} "
                    f"({_op_counts(nodes, everything)}) to stay under "
                    f"--max-nodes {self.opts['max_nodes']}; --max-nodes 0 shows all")
        if self.compact:
            note = (note + "; " if note else "") + (
                f"over {COMPACT_ABOVE:,} nodes shown: each op is drawn inside its result's box")

        out = self.lines
        out.append("digraph gradviz {")
        label = []
        if self.opts["title"]:
            label.append(_short(self.opts["title"], 120))
        if self.groups:
            label.append(f"({hidden:,} nodes folded into summaries: --max-nodes 0 shows all)")
        graph = (f'  graph [rankdir={self.opts["rankdir"]} bgcolor="{th.background}" '
                 f'fontname="{SANS}" fontsize=16 fontcolor="{th.text}" nodesep=0.3 '
                 f'ranksep=0.4 pad=0.25 newrank=true')
        if label:
            graph += f' labelloc=t labeljust=l label="{_lines(label, CENTER)}"'
        out.append(graph + "];")
        out.append(f'  node [fontname="{SANS}" fontsize=11 margin="0.12,0.06"];')
        out.append(f'  edge [fontname="{SANS}" fontsize=10 color="{th.forward}" '
                   f'fontcolor="{th.forward}" arrowsize=0.7 penwidth=1.1];')

        contrib = self._contributions()
        for r in nodes:
            if self.group_of[r.seq] < 0:
                self._tensor_and_op(r)
        for g in self.groups:
            self._group_node(g)
        group_of, in_seqs = self.group_of, self.in_seqs
        for r in nodes:
            g = group_of[r.seq]
            if (g >= 0 and r.detached_from is None and r.grad_of is None
                    and all(group_of[a] == g for a in in_seqs[r.seq])):
                continue    # inside a summary node: no edge to draw
            self._edges_of(r, contrib)
        if self.show != "forward":
            self._seeds()
        if self.record.error is not None and self.view is None:
            self._error_note()
        for k in sorted(self.clusters):
            self._cluster(k)
        self._emit_edges()
        if self.opts["legend"]:
            self._legend()
        out.append("}")
        return DotResult("\n".join(out) + "\n", note, hidden)

    def _longest_path(self) -> int:
        """Nodes on the longest path of the picture (summary nodes count once).

        Creation order is topological, and every consumer of a summary node
        comes after all its members, so one pass in seq order suffices."""
        group_of, in_seqs = self.group_of, self.in_seqs
        per_op = 1 if self.compact else 2       # an op node and its tensor
        depth = [0] * len(self.nodes)
        group_depth = [0] * len(self.groups)
        longest = 0
        for r in self.nodes:
            s, g = r.seq, group_of[r.seq]
            before = 0
            for a in in_seqs[s]:
                ga = group_of[a]
                if ga < 0:
                    before = max(before, depth[a])
                elif ga != g:
                    before = max(before, group_depth[ga])
            link = r.detached_from or r.grad_of
            if link is not None:
                before = max(before, depth[int(link[1:])] + 1)
            here = before + (per_op if r.kind == OP else 1)
            if g < 0:
                depth[s] = here
            else:
                group_depth[g] = max(group_depth[g], before + 1)
            longest = max(longest, here)
        return longest + 1      # the seed boxes

    def _place(self, no_grad: int | None, line: str) -> None:
        if no_grad is None:
            self.lines.append("  " + line)
        else:
            self.clusters.setdefault(no_grad, []).append("  " + line)

    def _looks(self) -> dict[str, str]:
        th = self.theme
        return {
            "param": _look_attrs(th.param, "Mrecord"),
            "const": _look_attrs(th.const, "Mrecord"),
            "intermediate": _look_attrs(th.intermediate, "Mrecord"),
            "root": _look_attrs(th.root, "Mrecord"),
            "detached": _look_attrs(th.detached, "Mrecord"),
            "grad": _look_attrs(th.grad, "Mrecord"),
            "pruned": _look_attrs(th.pruned, "Mrecord"),
            "error": _look_attrs(th.error_node, "Mrecord"),
            "op": _look_attrs(th.op, "ellipse"),
            "op_pruned": _look_attrs(th.pruned, "ellipse"),
            "op_freed": _look_attrs(th.op, "ellipse", "dashed"),
            "folded": _look_attrs(th.folded, "box"),
            "seed": (f'shape=box style="rounded,dashed" color="{th.gradient}" '
                     f'fontcolor="{th.gradient}" penwidth=1.4 fontsize=10'),
            "note": _look_attrs(th.note, "note"),
        }

    # ---- nodes ----------------------------------------------------------
    def _look_key(self, r: NodeRecord, error_first: bool = True) -> str:
        if r.error and error_first:
            return "error"
        if r.kind == GRAD:
            return "grad"
        if r.kind == DETACHED:
            return "detached"
        if r.backward_root:
            return "root"
        if r.pruned:
            return "pruned"
        if r.kind == PARAM:
            return "param"
        if r.kind == CONST or not r.requires_grad:
            return "const"
        return "intermediate"

    def _title(self, r: NodeRecord) -> str:
        expr = _short(r.expr) if r.expr else ""
        if r.name and expr and expr != r.name:
            return _short(f"{r.name} = {expr}")
        return expr or r.name or r.id

    def _kind_words(self, r: NodeRecord) -> str:
        if r.kind == GRAD:
            words = f".grad of {self._who(r.grad_of)}"
        elif r.kind == DETACHED:
            how = ".data" if r.op in ("data", ".data") else "detach()"
            words = f"{how} copy of {self._who(r.detached_from)}, no grad"
        elif r.kind == PARAM:
            words = "parameter (leaf, requires grad)"
        elif r.kind == CONST:
            words = ("returned by autograd.grad (no grad)" if r.op == "grad"
                     else "constant (no grad)")
        elif not r.requires_grad:
            words = "made under no_grad: no grad" if r.no_grad is not None else "result, no grad"
        elif r.retains_grad:
            words = "intermediate, retain_grad()"
        else:
            words = "intermediate"
        if r.backward_root:
            words = ("backward() starts here" if r.kind == OP
                     else "backward() starts here · " + words)
        parts = [words, _shape_text(r.shape)]
        if r.dtype != "float32":
            parts.append(r.dtype)
        if r.line:
            parts.append(f"line {r.line}")
        return " · ".join(parts)

    def _who(self, node_id: str | None) -> str:
        if node_id is None:
            return "?"
        r = self.record.node(node_id)
        return r.name or _short(r.expr, 24) or r.id

    def _tensor_and_op(self, r: NodeRecord) -> None:
        key = self._look_key(r)
        if self.compact and r.kind == OP:
            header = esc(f"{self._title(r)}\n{self._compact_op(r)}\n{self._kind_words(r)}",
                         CENTER)
        else:
            header = esc(f"{self._title(r)}\n{self._kind_words(r)}", CENTER)
        if r.kind == GRAD:
            # the value when the program read it; the .grad tensor itself
            # changes in place with every backward() and zero_()
            body = esc(f"value  {fmt(r.value)}\n(.grad changes in place: see the "
                       f"history of {self._who(r.grad_of)})", LEFT)
        else:
            body = esc("value  " + fmt(r.value), LEFT)
        fields = [header, body]
        if self.show != "forward":
            grad = self._grad_lines(r)
            if grad:
                fields.append(_lines(grad, LEFT))
        if r.error or (r.pruned and r.kind != DETACHED):
            status = []
            if r.pruned and r.kind != DETACHED:
                status.append(f"pruned: {r.pruned_reason}")
            if r.error:
                status.append("used by the failing statement")
            fields.append(_lines(status, LEFT))
        attrs = self.tensor_attrs.get(key)
        if attrs is None:   # an error overlay: say the underlying kind too
            attrs = f'{self.looks[key]} class="tensor error {self._look_key(r, False)}"'
        label = "|".join(fields)
        if self.braces:
            label = "{" + label + "}"
        line = f'n{r.seq} [{attrs} label="{label}"];'
        if r.no_grad is None:
            self.lines.append("  " + line)
        else:
            self._place(r.no_grad, line)
        if r.kind == OP and not self.compact:
            self._op_node(r)

    def _compact_op(self, r: NodeRecord) -> str:
        """The op node's text on one line, for compact graphs (memoised:
        chains repeat the same few ops)."""
        try:
            key = (r.symbol, tuple(r.consts), tuple(r.params.items()), r.grad_fn,
                   r.freed and r.saves, len(r.inputs))
            text = self.op_memo.get(key)
        except TypeError:   # an unhashable parameter: no memo
            key, text = None, None
        if text is None:
            text = self._compact_op_text(r)
            if key is not None:
                self.op_memo[key] = text
        return text

    def _compact_op_text(self, r: NodeRecord) -> str:
        parts = [self._op_text(r)]
        if r.params:
            parts.append(", ".join(f"{k}={_number(v)}" for k, v in r.params.items()))
        parts.append(r.grad_fn or "no grad_fn")
        if r.freed and r.saves and self.show != "forward" and self.view is None:
            parts.append("saved tensors freed")
        return "op " + " · ".join(parts)

    def _op_node(self, r: NodeRecord) -> None:
        # Chains repeat the same few ops: their attribute text is memoised.
        # a PassView shows the graph while a pass runs: not freed yet
        freed = r.freed and r.saves and self.show != "forward" and self.view is None
        try:
            memo_key = (r.symbol, tuple(r.consts), tuple(r.params.items()), r.grad_fn,
                        freed, r.pruned, r.no_grad is None, len(r.inputs))
            attrs = self.op_memo.get(memo_key)
        except TypeError:   # an unhashable parameter: no memo
            memo_key, attrs = None, None
        if attrs is None:
            lines = [self._op_text(r)]
            if r.params:
                lines.append(", ".join(f"{k}={_number(v)}" for k, v in r.params.items()))
            if r.grad_fn:
                lines.append(r.grad_fn)
            else:
                lines.append("no grad_fn (not recorded)" if r.no_grad is not None
                             else "no grad_fn")
            key = "op_pruned" if r.pruned else "op_freed" if freed else "op"
            if freed:
                lines.append("saved tensors freed")
            attrs = f'{self.looks[key]} class="op" label="{_lines(lines, CENTER)}"'
            if memo_key is not None:
                self.op_memo[memo_key] = attrs
        line = f"n{r.seq}op [{attrs}];"
        if r.no_grad is None:
            self.lines.append("  " + line)
        else:
            self._place(r.no_grad, line)

    def _op_text(self, r: NodeRecord) -> str:
        sym = r.symbol
        if not r.consts:
            return sym
        consts = dict(r.consts)
        if not sym[:1].isalpha() and not sym.startswith(("[", ".")):
            # an operator: "* 2", "2 *", "** 2"
            if 0 in consts and len(r.consts) == 1:
                return f"{_number(consts[0])} {sym}"
            return " ".join([sym] + [_number(v) for _, v in r.consts])
        total = len(r.inputs) + len(r.consts)
        args = [_number(consts[i]) if i in consts else "·" for i in range(total)]
        return f"{sym.lstrip('.')}({', '.join(args)})"

    def _grad_lines(self, r: NodeRecord) -> list[str]:
        if self.view is not None:
            line = self.view.grad_lines.get(r.seq)
            return [line] if line else []
        if r.kind in (GRAD, DETACHED) or not r.requires_grad:
            return []
        if r.is_leaf:
            return self._leaf_grad_lines(r)
        by_pass = r.grads_by_pass
        if r.retains_grad:
            lines = [f"grad  {fmt(r.grad)}  (kept: retain_grad())" if r.grad is not None
                     else "grad  None: retain_grad(), but no pass reached it"]
        elif not by_pass:
            return ["grad  None (never computed: no backward reached it)"]
        else:
            lines = ["grad  None (non-leaf: not retained)"]
        if not self.multi:
            for g in by_pass.values():
                lines.append("gradient here  " + fmt(g))
            return lines
        for k, g in list(by_pass.items())[-PASSES_SHOWN:]:
            lines.append(f"gradient here (#{k})  {fmt(g)}")
        return lines

    def _leaf_grad_lines(self, r: NodeRecord) -> list[str]:
        if r.grad is None:
            if r.visited:   # only autograd.grad() reached it: it returns, not stores
                return ["grad  None (autograd.grad() returns gradients, leaves .grad alone)"]
            return ["grad  None (never computed: no backward reached it)"]
        hist = self.record.grad_history(r.seq)
        lines = [f"grad  {fmt(r.grad)}"]
        since_zero = []
        for what, _, _ in hist:
            if what.startswith("zero_"):
                since_zero = []
            else:
                since_zero.append(what.split("#")[-1])
        if hist and hist[-1][0].startswith("zero_"):
            lines[0] += f"  (zeroed by zero_(), line {hist[-1][2]})"
        elif len(since_zero) > 1:
            lines[0] += "  (accumulated: " + " + ".join(f"#{k}" for k in since_zero) + ")"
        if len(hist) > 1:
            steps = []
            for what, value, line in hist:
                if what.startswith("zero_"):
                    steps.append(f"{fmt(value) if value is not None else '0'} "
                                 f"(zero_(), line {line})")
                else:
                    steps.append(f"{fmt(value)} (backward #{what.split('#')[-1]}, line {line})")
            text = "history  " + " → ".join(steps)
            if len(text) <= 64:
                lines.append(text)
            else:
                lines.append("history")
                lines.extend(("   " if i == 0 else "→ ") + s for i, s in enumerate(steps))
        return lines

    def _group_node(self, g: _Group) -> None:
        nodes = self.nodes
        what = "ops" if all(nodes[s].kind == OP for s in g.members) else "nodes"
        first = min(nodes[s].line for s in g.members)
        last = max(nodes[s].line for s in g.members)
        lines = [f"… {len(g.members):,} {what} folded …", _op_counts(nodes, g.members)]
        if first:
            lines.append(f"line {first}" if first == last else f"lines {first}–{last}")
        self._place(g.no_grad, f'{g.gid} [{self.looks["folded"]} class="folded" '
                               f'label="{_lines(lines, CENTER)}"];')

    def _cluster(self, k: int) -> None:
        th = self.theme
        blocks = self.record.no_grad_blocks
        where = ""
        if 0 <= k < len(blocks):
            a, b = blocks[k]
            where = f"  (line {a})" if a == b else f"  (lines {a}–{b})"
        label = _lines([f"with torch.no_grad():{where}",
                        "not recorded: no grad_fn, no gradient"], "\\n")
        out = self.lines
        out.append(f"  subgraph cluster_nograd{k} {{")
        out.append(f'    graph [style="rounded,filled,dashed" fillcolor="{th.cluster_fill}" '
                   f'color="{th.cluster_border}" fontcolor="{th.muted}" fontsize=11 '
                   f'label="{label}"];')
        out.extend(self.clusters[k])
        out.append("  }")

    # ---- edges ----------------------------------------------------------
    def _tid(self, s: int) -> str:
        g = self.group_of[s]
        return f"n{s}" if g < 0 else self.groups[g].gid

    def _oid(self, s: int) -> str:
        g = self.group_of[s]
        return f"n{s}op" if g < 0 else self.groups[g].gid

    def _edge_plain(self, src: str, dst: str, attrs: str, label: str = "") -> None:
        """Queue an edge when nothing is folded (the hot path of big graphs)."""
        if label:
            self.edge_out.append(f'  {src} -> {dst} [{attrs} label="{label}"];')
        elif attrs:
            self.edge_out.append(f"  {src} -> {dst} [{attrs}];")
        else:
            self.edge_out.append(f"  {src} -> {dst};")

    def _edge(self, src: str, dst: str, attrs: str, label: str = "") -> None:
        """Queue an edge; ``label`` is already escaped. Edges that touch a
        summary node are merged (one per source, target and style)."""
        if src == dst:
            return
        if not (src.startswith("fold") or dst.startswith("fold")):
            text = f"{attrs} label=\"{label}\"" if label else attrs
            self.edge_out.append(f"  {src} -> {dst} [{text}];" if text else f"  {src} -> {dst};")
            return
        key = (src, dst, attrs)
        merged = self.fold_edges.get(key)
        if merged is None:
            self.fold_edges[key] = merged = [label, 0]
            self.edge_out.append(key)
        merged[1] += 1

    def _emit_edges(self) -> None:
        out = self.lines
        for item in self.edge_out:
            if isinstance(item, str):
                out.append(item)
                continue
            src, dst, attrs = item
            label, count = self.fold_edges[item]
            if count > 1:
                label = (label[:-2] + CENTER if label else "") + esc(f"(×{count:,} edges)")
            text = f"{attrs} label=\"{label}\"" if label else attrs
            out.append(f"  {src} -> {dst} [{text}];" if text else f"  {src} -> {dst};")

    def _contributions(self) -> dict:
        """(seq, input position) -> [(pass, gradient)] from the passes' steps.

        A step's ``sent`` lists (input seq, contribution) in input order,
        without the inputs backward skipped; x * x sends to x twice."""
        out: dict = {}
        in_seqs, n = self.in_seqs, len(self.nodes)
        for ev in self.passes:
            k = ev["pass"]
            for step in ev["steps"]:
                sent = step["sent"]
                if not sent:
                    continue
                s = step["node"]
                ins = in_seqs[s] if s < n else []
                if len(ins) == 1 and len(sent) == 1:
                    if ins[0] == sent[0][0]:
                        out.setdefault((s, 0), []).append((k, sent[0][1]))
                    continue
                used = [False] * len(ins)
                for a, g in sent:
                    for pos, b in enumerate(ins):
                        if b == a and not used[pos]:
                            used[pos] = True
                            out.setdefault((s, pos), []).append((k, g))
                            break
        return out

    def _edges_of(self, r: NodeRecord, contrib: dict) -> None:
        s = r.seq
        if r.kind == OP and not self.groups and self.grad_label == "xlabel" and self.compact:
            # the hot path of big unfolded graphs: tensor -> tensor edges
            append, fwd, grad_on = self.edge_out.append, self.fwd_attrs, self.show != "forward"
            fwd_tail = f" [{fwd}];" if fwd else ";"
            for pos, a in enumerate(self.in_seqs[s]):
                append(f"  n{a} -> n{s}{fwd_tail}")
                if grad_on:
                    flowed = contrib.get((s, pos))
                    if flowed is not None:
                        append(f'  n{a} -> n{s} [{self.grad_attrs} '
                               f'xlabel="{self._grad_label(flowed)}"];')
            if r.detached_from is not None or r.grad_of is not None:
                self._links(r)
            return
        if r.kind == OP:
            fwd, grad_on = self.fwd_attrs, self.show != "forward"
            op = self._oid(s)
            for pos, a in enumerate(self.in_seqs[s]):
                src = self._tid(a)
                self._edge(src, op, fwd)
                if grad_on:
                    flowed = contrib.get((s, pos))
                    if flowed is not None:
                        label = self._grad_label(flowed)
                        if self.grad_label == "label":
                            self._edge(src, op, self._view_id(self.grad_attrs, s, pos), label)
                        else:
                            self._edge(src, op, self._view_id(
                                f'{self.grad_attrs} xlabel="{label}"', s, pos))
            if not self.compact:
                out = self._tid(s)
                self._edge(op, out, fwd)
                if grad_on and (r.grads_by_pass if self.view is None
                                else self.view.pass_no in r.grads_by_pass):
                    self._edge(op, out, self._view_id(self.grad_attrs, s))
        self._links(r)

    def _links(self, r: NodeRecord) -> None:
        """The detach cut and the .grad link of a record, if any."""
        s = r.seq
        if r.detached_from is not None:
            self._detach_cut(r)
        if r.grad_of is not None:
            th = self.theme
            self._edge(self._tid(int(r.grad_of[1:])), self._tid(s),
                       f'style=dotted color="{th.gradient}" fontcolor="{th.gradient}" '
                       f'class="grad-link"', esc(".grad"))

    def _view_id(self, attrs: str, s: int, pos: int | None = None) -> str:
        """With a PassView, a gradient edge's stable SVG id (see PassView)."""
        if self.view is None:
            return attrs
        return f'{attrs} id="g{s}"' if pos is None else f'{attrs} id="g{s}_{pos}"'

    def _detach_cut(self, r: NodeRecord) -> None:
        """A small scissors node on a dashed line: a bar at the source, where
        the gradient would have gone back; the value flows on."""
        th = self.theme
        how = ".data" if r.op in ("data", ".data") else "detach()"
        src, dst = self._tid(int(r.detached_from[1:])), self._tid(r.seq)
        if src == dst:
            return
        cut = f"cut{r.seq}"
        self._place(r.no_grad, f'{cut} [shape=plaintext fontsize=13 fontcolor="{th.detach}" '
                               f'class="detach" label="{esc("✂ " + how)}"];')
        line = f'style=dashed color="{th.detach}" fontcolor="{th.detach}" penwidth=1.8'
        self._edge(src, cut, line + ' dir=both arrowhead=none arrowtail=tee class="detach"')
        self._edge(cut, dst, line + ' class="detach"', esc("value shared,\ngradient stops"))

    def _grad_label(self, items: list) -> str:
        items = items[-PASSES_SHOWN:]
        if not self.multi:
            return esc("grad " + fmt(items[0][1]))
        return esc("\n".join(f"grad #{k}: {fmt(g)}" for k, g in items))

    def _seeds(self) -> None:
        for ev in self.passes:
            k = ev["pass"]
            what = "backward()" if ev["kind"] == "backward" else "autograd.grad()"
            lines = [f"{what} #{k}, line {ev['line']}" if self.multi
                     else f"{what}, line {ev['line']}"]
            for root, seed in zip(ev["roots"], ev["seeds"]):
                if seed is not None and not isinstance(seed, np.ndarray):
                    seed = np.asarray(getattr(seed, "data", seed))
                seed_text = fmt(seed) if seed is not None else "1."
                implicit = ev.get("implicit_seed")
                lines.append(f"seed {seed_text}" + (" (implicit)" if implicit else ""))
            if ev.get("retain_graph"):
                lines.append("retain_graph=True")
            sid = f"seed{k}"
            self.lines.append(f'  {sid} [{self.looks["seed"]} class="seed" '
                              f'label="{_lines(lines, CENTER)}"];')
            for root in ev["roots"]:
                self._edge(self._tid(root), sid, self.grad_attrs)

    def _error_note(self) -> None:
        err, th = self.record.error, self.theme
        where = f" on line {err['line']}" if err.get("line") else ""
        lines = [f"{err.get('type', 'error')}{where}:"]
        lines += textwrap.wrap(str(err.get("message", "")), NOTE_WIDTH)[:8]
        if err.get("hint"):
            lines += textwrap.wrap("hint: " + str(err["hint"]), NOTE_WIDTH)[:4]
        self.lines.append(f'  error [{self.looks["note"]} class="error-note" '
                          f'label="{_lines(lines, LEFT)}"];')
        for r in self.nodes:
            if r.error:
                self._edge(self._tid(r.seq), "error",
                           f'style=dashed color="{th.error}" arrowhead=none penwidth=1.6')

    # ---- legend ---------------------------------------------------------
    def _legend(self) -> None:
        th, L = self.theme, self.looks
        nl = CENTER

        def item(name, look, lines):
            return f'    lg_{name} [{L[look]} label="{_lines(lines, nl)}"];'

        out = self.lines
        out.append("  subgraph cluster_legend {")
        out.append(f'    graph [label="legend" style="rounded" color="{th.muted}" '
                   f'fontcolor="{th.muted}" fontsize=12];')
        out.append(f'    node [fontsize=10 fontname="{SANS}"];')
        out += [
            item("param", "param", ["parameter", "(leaf, requires grad)"]),
            item("const", "const", ["constant", "(no grad)"]),
            item("op", "op", ["op: * tanh sum …", "PyTorch grad_fn"]),
            item("inter", "intermediate", ["intermediate", "(.grad not retained)"]),
            item("root", "root", ["backward() root"]),
            item("seed", "seed", ["where backward()", "starts, and its seed"]),
            item("detached", "detached", ["detached copy", "(shares the value)"]),
            item("grad", "grad", [".grad tensor", "used by the program"]),
            item("pruned", "pruned", ["pruned: backward", "did not go here"]),
            item("freed", "op_freed", ["op whose saved", "tensors were freed"]),
            item("folded", "folded", ["… n ops folded …"]),
            item("error", "error", ["used by the", "failing statement"]),
            f'    lg_nograd [shape=box style="rounded,filled,dashed" '
            f'fillcolor="{th.cluster_fill}" color="{th.cluster_border}" fontcolor="{th.muted}" '
            f'label="{_lines(["with torch.no_grad():", "shaded block"], CENTER)}"];',
        ]
        grad = (f'dir=back arrowtail={th.gradient_arrow} style={th.gradient_style} '
                f'color="{th.gradient}" fontcolor="{th.gradient}"')
        out += [
            '    lg_param -> lg_op [label="forward:\\nvalue"];',
            f'    lg_param -> lg_op [{grad} label="gradient\\ncontribution"];',
            "    lg_const -> lg_op;",
            "    lg_op -> lg_inter;",
            f'    lg_inter -> lg_detached [style=dashed color="{th.detach}" '
            f'fontcolor="{th.detach}" dir=both arrowtail=tee label="✂ detach"];',
            "    lg_inter -> lg_root;",
            f"    lg_root -> lg_seed [{grad}];",
            f'    lg_param -> lg_grad [style=dotted color="{th.gradient}" '
            f'fontcolor="{th.gradient}" label=".grad"];',
            "    lg_detached -> lg_pruned [style=invis];",
            "    lg_grad -> lg_freed [style=invis];",
            "    lg_freed -> lg_folded [style=invis];",
            "    lg_folded -> lg_error [style=invis];",
            "    lg_pruned -> lg_nograd [style=invis];",
        ]
        out.append("  }")


__all__ = ["DEFAULT_MAX_NODES", "DotResult", "PassView", "RANKDIRS", "SHOW", "build_dot",
           "check_options", "esc", "fmt", "to_dot"]
