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
* a ``backward()`` (or ``autograd.grad()``) call that failed, also one the
  program caught: the tensor it was called on keeps its look with a red
  outline, and points at a note "backward() failed here (line 5): <a few
  words why>" (the error note says it, when that error ended the run).
* over ``max_nodes`` tensors, long chains (and, if that is not enough,
  runs of less important nodes) are folded into dashed summary boxes
  ("... 2,994 ops folded ..."); ``DotResult.note`` says what was folded.
* big pictures stay drawable and quick to lay out: above COMPACT_ABOVE
  tensors shown, each op is written inside its result's box (a plain
  rectangle: a header line with the expression, grad_fn, shape and source
  line, then the value and gradient lines), and an input that a gradient
  flowed back to has one edge, the gradient edge, standing for the
  forward edge too; there, on paths deeper than LABELLED_DEPTH and with
  more than LABELLED_EDGES of them, the gradient edges carry no labels
  (each box shows the gradient that reached it). See those constants for
  why.

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
from dataclasses import dataclass, replace
from itertools import chain, compress, repeat
from operator import eq, is_not

import numpy as np

from ..gcpause import gc_paused
from ..record import (CONST, DETACHED, GRAD, OP, PARAM, TENSOR_HOOK_LABEL, NodeRecord, Record,
                      hook_made, node_column, node_input_seqs, step_node_seqs, updates_itself,
                      after_name)
from ..tensor import DTYPE_NAMES
from .fold import Columns, Group, counts_text, describe, fold, seqs_where
from .style import SANS, THEMES, Look, Theme, get_theme
from .torchfmt import format_compact
from .transforms import TransformFold, transform_folds

SHOW = ("forward", "backward", "both")
RANKDIRS = ("LR", "TB", "BT", "RL")
DEFAULT_MAX_NODES = 300     # tensors shown before folding starts (0: never fold)
# a program with more backward passes than AUTO_PASSES and more tensors
# than AUTO_NODES (a training loop) is drawn by default as its last pass
# (one step of the loop, readable on a slide) rather than every pass side by
# side (d2l's 12 softmax steps: 27,700 points wide; 300 steps: tens of
# metres); --pass all draws them all. Fewer passes, or small graphs (an
# accumulation demo's few backward() calls), are drawn whole.
AUTO_PASSES = 4
AUTO_NODES = 100
SMALL_TENSOR = 8            # elements shown whole; above, min … max, mean
MAX_TEXT = 48               # characters of program text in a node header
# Above this many tensors shown, each op is drawn inside its result's box:
# half the nodes to lay out and half the depth. The embedded Graphviz
# recurses along long paths and runs out of stack about 6,000 boxes deep
# (layout._WASM_STACK), and an unfolded 1,000-step chain is 3,000 tensors
# deep.
# Such a picture is also drawn with less. For a big picture the embedded
# Graphviz spends its time reading labels and writing the SVG, not on the
# layout proper (nslimit, mclimit, searchsize, splines: no change): every
# coordinate it writes goes through the C library's printf with software
# long doubles (some 7,000 WebAssembly instructions), every line of a label
# costs about seven coordinates' worth, every character of it about a
# seventh of one. The 3,000-box chain wrote 2.5 times as many numbers as a
# torchviz picture of it (a forward and a gradient edge per input, 16
# numbers each; four text lines and two ruled lines per box) and ten times
# as much text. So here a box is a plain rectangle with a one-line header
# (no record fields and their rules; no escaped spaces: see esc), the
# boxes share their look as subgraph defaults, and an input that a
# gradient flowed back to has one edge, the gradient edge: the SVG takes
# 0.6 of the time, with the same values and gradients.
COMPACT_ABOVE = 1000
# A label on an edge is a node of its own in the layout: labels on all the
# gradient edges (which run beside the forward ones) double a path's depth,
# and a path of about 1,200 nodes then exhausted the embedded Graphviz's
# stack (600 did not); big pictures would have thousands more nodes to
# place. Deeper pictures, and big ones, draw their gradient edges without
# labels. Not as xlabels either: the first xlabel of a graph sets Graphviz
# placing labels around every node and edge, which for 3,000 boxes took
# 40 seconds (for one xlabel) instead of a fraction of one.
LABELLED_DEPTH = 500
# Nor with more gradient edges than this. An edge label is a node in the
# middle of its edge, and the first one makes Graphviz put such a middle
# node on every edge (all edges then span two ranks): a dense picture pays
# for that in crossing minimisation. The scalar MLP folded to 436 boxes,
# 1,726 of them labelled: 76 s to lay out, 10 s with no edge label at all;
# with 211 labels: 0.25 s (0.12 s). So then no edge has a label, and the
# few captions edges have elsewhere move into nodes.
LABELLED_EDGES = 200
# A gradient edge's width says how big the gradient it carried was (its
# root mean square, on a log scale between the smallest and the largest of
# the picture's): vanishing and exploding gradients show at a glance. When
# they all lie within WIDTH_SPREAD of each other (a textbook example's few
# edges) every edge keeps the theme's width: a difference too small to read
# would only look like noise.
WIDTH_SPREAD = 10.0
WIDTH_RANGE = (0.7, 4.5)    # penwidth of the smallest and the largest gradient
PASSES_SHOWN = 3            # per edge/node, gradients of the last passes only
NOTE_WIDTH = 56             # wrap width of the error note
FAILED_NOTES = 3            # notes at backward() calls that failed and were caught
OVERLAYS = ("error", "failed")  # looks drawn over a tensor's own (see _look_key)

CENTER, LEFT = "\\n", "\\l"   # Graphviz line breaks: centred, left-aligned
# the legend's items in the ranks it has with rankdir LR or RL, each rank's
# items in order down the picture (see _Builder._sideways_legend)
_LEGEND_COLUMNS = (("const", "param", "inter", "root", "freed", "folded", "nograd"),
                   ("op", "grad", "detached", "seed", "pruned", "error", "failed"))
# the legend's edges left out then: each would add two ranks across
_LEGEND_CHAIN = ("    lg_op -> lg_inter;", "    lg_inter -> lg_root;")

# Control characters (a newline is a line break instead) become spaces.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def esc(text: str, br: str = CENTER, record: bool = True) -> str:
    """Program or value text -> a fragment safe in any DOT label.

    The only function that puts text into the DOT output. Characters with a
    meaning in a quoted string or a record label (backslash, quote, braces,
    bar, angle brackets) get a backslash, so Graphviz draws the character
    itself; "&" becomes an entity, as Graphviz decodes entities in labels;
    spaces are escaped because record fields collapse runs of plain spaces
    (the padding in "[ 0.,  4.]" must survive), unless ``record`` is false:
    a plain label keeps its spaces, and Graphviz reads an escaped one there
    slowly (a tenth of the 3,000-box chain's SVG time); each line (split
    at "\\n") ends with the Graphviz line break ``br`` (CENTER or LEFT); other
    control characters become spaces. The result can neither end the
    quoted string nor start a record field or port, and after Graphviz's
    own XML escaping cannot inject SVG markup.
    """
    text = (text.replace("\\", "\\\\").replace('"', '\\"').replace("{", "\\{")
            .replace("}", "\\}").replace("|", "\\|").replace("<", "\\<").replace(">", "\\>")
            .replace("&", "&amp;"))
    if record:
        text = text.replace(" ", "\\ ")
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
    grad_lines: dict            # seq -> its gradient field: a line, or a list of lines
    upto: int | None = None     # draw only the first `upto` nodes (those made before the pass)
    only: frozenset | None = None   # draw only these nodes (pass_nodes: one pass's subgraph)
    values: dict | None = None      # seq -> a leaf's value as the pass saw it (a loop's update)
    # seq -> (the gradient that reached it, a leaf's .grad after the pass or
    # None): what grad_lines say, for the tables of --pass
    grads: dict | None = None
    bare: frozenset = frozenset()   # of those, boxes drawn without their op and inputs (pass_bare)


HIDDEN = "hidden"           # the DOT id of a node a PassView leaves out: its edges are dropped


def pass_nodes(record: Record, pass_no: int) -> frozenset:
    """The seqs of one pass's subgraph, for a picture of a training loop's
    step: the nodes the pass reached and its roots, and what they were
    computed from in the step (the data and targets it did not go back to,
    shown as pruned; where a detached input came from, so that the cut is
    drawn). What the step computed with but was made before it (the
    dataset a batch is indexed from, the targets made before the loop) is
    drawn as a box without its own history (pass_bare): a step's picture is
    that step, not the program's data pipeline again each time."""
    return _pass_subgraph(record, pass_no)[0]


def pass_bare(record: Record, pass_no: int) -> frozenset:
    """The nodes of pass_nodes() made before the step that are drawn
    without their history (no op ellipse, no edges in): the box's header
    still says what made it."""
    return _pass_subgraph(record, pass_no)[1]


def _pass_subgraph(record: Record, pass_no: int) -> tuple:
    memo = _memo(record)
    key = ("pass_subgraph", pass_no)
    known = memo.get(key)
    if known is not None:
        return known
    ev = next(e for e in record.passes if e["pass"] == pass_no)
    reached = set(step_node_seqs(ev["steps"]))
    reached.update(ev["roots"])
    cols = node_columns(record)
    in_seqs, detached = cols.in_seqs, cols.detached
    # the step: what was made after the previous pass's roots (a loop's
    # previous loss); the first pass's step is the whole program before it
    earlier = [e for e in record.passes if e["pass"] < pass_no and e["roots"]]
    start = max(earlier[-1]["roots"]) + 1 if earlier else 0
    # everything those were computed from (a walk, no recursion), as far
    # back as the step's start; an input made before it is drawn bare
    only = set(reached)
    bare = set()
    todo = list(reached)
    while todo:
        s = todo.pop()
        src = detached.get(s)
        for a in (*in_seqs[s], src) if src is not None else in_seqs[s]:
            if a in only:
                continue
            only.add(a)
            if a >= start:
                todo.append(a)
            elif in_seqs[a] or a in detached:
                bare.add(a)
    known = memo[key] = (frozenset(only), frozenset(bare))
    return known


def pass_view(record: Record, pass_no: int | str) -> PassView:
    """A PassView of one backward()/autograd.grad() call (``pass_no``: 1, 2,
    ... or "last"), for ``--pass``: its subgraph (pass_nodes), and in each
    box the gradient of that pass: the gradient that reached a node, and a
    leaf's .grad after it (said to be accumulated when it is not the
    gradient alone). Raises a usage error for a pass the program has not."""
    from ..errors import USAGE, GradvizError

    passes = record.passes
    if not passes:
        raise GradvizError("--pass: the program calls no backward() or autograd.grad()",
                           kind=USAGE, hint="leave out --pass to draw the whole graph")
    if pass_no == "last":
        pass_no = passes[-1]["pass"]
    ev = next((e for e in passes if e["pass"] == pass_no), None)
    if ev is None:
        n = len(passes)
        raise GradvizError(f"--pass {pass_no}: the program made {n} backward pass"
                           f"{'es' if n != 1 else ''}", kind=USAGE,
                           hint=f"pick one from 1 to {n}, or --pass last")
    only, bare = _pass_subgraph(record, pass_no)
    leaf_grads = ev.get("leaf_grads", {})
    values = ev.get("leaf_values", {})
    lines, grads = {}, {}
    nodes = record.nodes
    for s in sorted(only):
        r = nodes[s]
        g = r.grads_by_pass.get(pass_no)
        if g is None:
            continue
        here = [f"gradient here (#{pass_no})  {fmt(g)}"]
        after = leaf_grads.get(s)
        grads[s] = (g, after)
        if after is not None:
            here.append(f"grad after #{pass_no}  {fmt(after)}"
                        + ("  (accumulated)" if accumulated(g, after) else ""))
        lines[s] = here
    return PassView(pass_no, lines, None, only, values, grads, bare)


def pass_loop(record: Record, ev: dict) -> str | None:
    """The pass of the loops a backward()/grad() call ran in ("epoch=1,
    batches[0]"): that of the tensor it was called on, or None."""
    return record.nodes[ev["roots"][0]].in_loop if ev["roots"] else None


def accumulated(here: np.ndarray, after: np.ndarray) -> bool:
    """A leaf's .grad after a pass is not the pass's gradient alone: earlier
    passes added into it (no zero_() between)."""
    return not (after.shape == here.shape and np.array_equal(after, here, equal_nan=True))


# the errors a learner meets at backward(), in a few words (a picture's
# note): a phrase of PyTorch's message -> what it means
_FAILURES = (
    ("backward through the graph a second time",
     "its graph was freed by an earlier backward() (retain_graph=True keeps it)"),
    ("implicitly created only for scalar outputs",
     "not a scalar: give gradient= or reduce it first (.sum())"),
    ("modified by an inplace operation", "a value its graph saved was changed in place since"),
    ("does not require grad and does not have a grad_fn",
     "nothing in it requires grad: there is no graph to go back through"),
)
REASON_CHARS = 80           # of another message, shown as the reason


def failure_reason(message: str) -> str:
    """Why a backward() failed, in a few words: said plainly for the usual
    errors, else the first sentence of the message (cut)."""
    for phrase, words in _FAILURES:
        if phrase in message:
            return words
    first = message.split(". ")[0].strip()
    return first if len(first) <= REASON_CHARS else first[:REASON_CHARS - 1] + "…"


def _failed_words(ev: dict) -> list[str]:
    """The first lines of a note at a failed backward() or grad() call."""
    what = "backward()" if ev["call"] == "backward" else "autograd.grad()"
    return textwrap.wrap(f"{what} failed here (line {ev['line']}): "
                         f"{failure_reason(ev['message'])}", NOTE_WIDTH)


def to_dot(record: Record, **options) -> str:
    """The DOT text of a record; options as for :func:`build_dot`."""
    return build_dot(record, **options).source


def check_options(show: str = "both", rankdir: str = "TB", theme: str = "light",
                  title: str | None = None, legend: bool = False,
                  max_nodes: int = DEFAULT_MAX_NODES, pass_no: int | str | None = None,
                  expand_transforms: bool = False) -> dict:
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
    if pass_no is not None and pass_no not in ("last", "all") and (
            isinstance(pass_no, bool) or not isinstance(pass_no, int) or pass_no < 1):
        raise GradvizError(f"pass_no must be a pass number (1, 2, ...), 'last' or 'all', not "
                           f"{pass_no!r}", kind=USAGE)
    return {"show": show, "rankdir": rankdir, "theme": theme, "title": title,
            "legend": bool(legend), "max_nodes": max_nodes, "pass_no": pass_no,
            "expand_transforms": bool(expand_transforms)}


def build_dot(record: Record, *, show: str = "both", rankdir: str = "TB",
              theme: str = "light", title: str | None = None, legend: bool = False,
              max_nodes: int = DEFAULT_MAX_NODES, pass_no: int | str | None = None,
              view: PassView | None = None, expand_transforms: bool = False) -> DotResult:
    """Draw ``record`` as DOT (see the module docstring for the picture).

    ``show``: forward | backward | both; ``rankdir``: LR | TB | BT | RL;
    ``theme``: light | dark | print; ``title``: a caption; ``legend``: add a
    key to the shapes and colours; ``max_nodes``: fold when the record has
    more tensors than this (0: never); ``pass_no``: draw only that pass's
    subgraph (pass_view: 1, 2, ... or "last"; "all": every pass); by default
    a training loop's last pass only (AUTO_PASSES), said in the note;
    ``view``: one pass only (PassView); ``expand_transforms``: draw every
    op a torch.func transform ran (by default, one box per transform call
    stands for its own passes: see _Builder._fold_transforms).
    """
    opts = check_options(show, rankdir, theme, title, legend, max_nodes, pass_no,
                         expand_transforms)
    auto = None
    if pass_no is None and view is None and max_nodes and len(record.passes) > AUTO_PASSES \
            and len(record.nodes) > AUTO_NODES:
        pass_no = auto = "last"
        opts["auto_passes"] = len(record.passes)
    if pass_no not in (None, "all") and view is None:
        view = pass_view(record, pass_no)
    # (a big graph makes hundreds of thousands of lists and tuples, none in
    # a cycle: the collector would walk the whole record again and again)
    with gc_paused():
        result = _Builder(record, opts, view).build()
    if auto is None:
        return result
    n = len(record.passes)
    note = (f"drew the last of the {n:,} backward passes only (one step of the loop): "
            "--pass N draws another, --pass all every one")
    return DotResult(result.source, "; ".join(filter(None, (note, result.note))), result.folded)


# --------------------------------------------------------------------------
# text helpers


def _rms(g) -> float:
    """The root mean square of a gradient (0.0 for an empty one; NaN and
    inf as the largest size, so that they stand out)."""
    a = np.asarray(getattr(g, "data", g))
    if a.size == 0 or a.dtype.kind not in "fciub":
        return 0.0
    with np.errstate(all="ignore"):
        v = float(np.sqrt(np.mean(np.square(np.abs(a), dtype=np.float64))))
    return v if math.isfinite(v) else math.inf


def fmt(arr) -> str:
    """A value or gradient for a label (whole when small, else a summary):
    ``torchfmt.format_compact``'s text, as the tables show it.

    A big graph formats two or three tensors per node, so float tensors
    take short cuts: a 0-d one is one scalar_text, and a summary
    (``min … max, mean M, size=(16,)``) of up to _PAIRWISE elements is
    computed on a Python list (a numpy reduction of 16 numbers costs more
    than this whole function). Anything else goes to format_compact. A
    property test pins fmt to format_compact.
    """
    if arr is None:
        return "None"
    if arr.ndim == 0 and arr.dtype.kind == "f":
        return scalar_text(arr.item())
    n = arr.size
    if SMALL_TENSOR < n <= _PAIRWISE and arr.flags.c_contiguous \
            and DTYPE_NAMES.get(arr.dtype) in _FLOATS:
        vals = arr.ravel().tolist()
        total = _numpy_sum(vals)
        lo, hi = min(vals), max(vals)
        # numpy's answers where Python's could differ: a NaN (min and max
        # return it; Python's depend on where it is) and zeros of both signs
        if total == total and (lo != 0 and hi != 0 or _one_zero_sign(vals)):
            return (f"{scalar_text(lo)} … {scalar_text(hi)}, "
                    f"mean {scalar_text(total / n)}, size={arr.shape}")
    return format_compact(arr, _dtype_name(arr), SMALL_TENSOR)


_FLOATS = ("float32", "float64", "float16")
_PAIRWISE = 128     # numpy's pairwise summation block: one block, one order


def _numpy_sum(vals: list) -> float:
    """The float64 sum numpy computes for 8 < len(vals) <= 128 contiguous
    values (np.mean's, so the mean has the same last bit): eight running
    sums over the multiples of 8, combined pairwise, then the rest in turn,
    all added to the start value 0."""
    r0, r1, r2, r3, r4, r5, r6, r7 = vals[:8]
    n = len(vals)
    stop = n - n % 8
    for i in range(8, stop, 8):
        r0 += vals[i]
        r1 += vals[i + 1]
        r2 += vals[i + 2]
        r3 += vals[i + 3]
        r4 += vals[i + 4]
        r5 += vals[i + 5]
        r6 += vals[i + 6]
        r7 += vals[i + 7]
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for i in range(stop, n):
        total += vals[i]
    return 0.0 + total      # added to the reduction's start, 0. (so -0. becomes 0.)


def _one_zero_sign(vals: list) -> bool:
    """No 0. beside a -0. (which of them numpy's min returns is its own)."""
    signs = {math.copysign(1.0, v) for v in vals if v == 0}
    return len(signs) < 2


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


def _node_columns(record: Record) -> Columns:
    """The fields of every node that the fold and the loops over all nodes
    read, as columns: made from the record's tape without its node records
    (of a 300,000-node chain, the picture shows ten), and without a tuple
    or record per node (making them took longer than the fold)."""
    nodes = record.nodes
    with gc_paused():
        det, grad_of = node_column(nodes, "detached_from"), node_column(nodes, "grad_of")
        return Columns(
            kind=node_column(nodes, "kind"), op=node_column(nodes, "op"),
            line=node_column(nodes, "line"), name=node_column(nodes, "name"),
            no_grad=node_column(nodes, "no_grad"), in_seqs=node_input_seqs(nodes),
            # (ids "n<seq>" as numbers; few nodes have one)
            detached={s: int(det[s][1:]) for s in seqs_where(map(is_not, det, repeat(None)))},
            grad_of={s: int(grad_of[s][1:])
                     for s in seqs_where(map(is_not, grad_of, repeat(None)))},
            # (and those of the calls that failed: kept out of folds too)
            roots=sorted({*seqs_where(node_column(nodes, "backward_root")),
                          *(s for ev in record.failed_calls for s in ev["roots"])}),
            errors=seqs_where(node_column(nodes, "error")),
            finals=sorted({int(nid[1:]) for nid in record.variable_ids.values()}))


def node_columns(record: Record) -> Columns:
    """_node_columns(record), made once per record (see _memo)."""
    memo = _memo(record)
    cols = memo.get("columns")
    if cols is None:
        cols = memo["columns"] = _node_columns(record)
    return cols


def _memo(record: Record) -> dict:
    """What drawing a record computes once and keeps on it: the input
    seqs of its nodes and the text of its values and gradients. A record
    does not change once its run is over, and a notebook draws one twice
    (the SVG, then to_dot). An object without a __dict__ gets no memo."""
    attrs = getattr(record, "__dict__", None)
    if attrs is None:
        return {}
    memo = attrs.get("_dot_memo")
    if memo is None:
        memo = attrs["_dot_memo"] = {}
    return memo


def _short(text: str, limit: int = MAX_TEXT) -> str:
    """text in at most limit characters: its start and its end, the middle
    cut at spaces where it can (a label's end says as much as its start:
    the "+ b" of a long expression, requires_grad=True)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = _head(text, (limit - 1) * 3 // 5)
    tail = _tail(text, limit - 3 - len(head))
    while len(head) + len(tail) + 3 > limit and " " in tail:
        # the tail kept its first word whole: it gives up words, since the
        # head holds the tensor's name (lstm.bias_ih_l0, not lstm.bias)
        tail = tail.split(" ", 1)[1]
    if len(head) + len(tail) + 3 > limit:
        head = _head(text, limit - 3 - len(tail))
    return f"{head} … {tail}"


def _head(text: str, room: int) -> str:
    """text's first room characters, ending at a space near their end if
    there is one."""
    head = text[:room]
    space = head.rfind(" ", room - 12)
    return head[:space] if space > 0 else head


def _tail(text: str, room: int) -> str:
    """text's last room characters, not starting inside a word: a word cut
    near its end is dropped, one cut near its start is kept whole (a label
    reading "equires_grad=True)" looks like a typo in the program)."""
    start = len(text) - room
    if start > 0 and text[start - 1] != " ":
        space = text.find(" ", start, start + 12)
        if space < 0:
            space = text.rfind(" ", start - 12, start)
        if space >= 0:
            start = space + 1
    return text[start:]


def _shape_text(shape: tuple) -> str:
    return "scalar" if not shape else "[" + ", ".join(str(d) for d in shape) + "]"


def _number(v) -> str:
    """A Python-number argument as the program wrote it (``1.01``, not
    ``1.0100``); one that no program writes out, as the 3.4e38 of
    torch.finfo(x.dtype).min, to 6 digits."""
    if isinstance(v, float):
        text = repr(v)
        return text if len(text) <= 12 else f"{v:.6g}"
    if isinstance(v, (tuple, list)):
        return "(" + ", ".join(_number(x) for x in v) + ")"
    return str(v)


def _lines(lines: list[str], br: str, record: bool = True) -> str:
    """Escaped lines, each closed by the Graphviz line break br."""
    return esc("\n".join(lines), br, record)


def _look_attrs(look: Look, shape: str, extra_style: str = "") -> str:
    style = ",".join(s for s in ("filled", look.style, extra_style) if s)
    if shape == "box":
        style = "rounded," + style
    attrs = (f'shape={shape} style="{style}" fillcolor="{look.fill}" color="{look.border}" '
             f'fontcolor="{look.text}"')
    # (1 is Graphviz's default, and a fraction on every box costs layout time)
    return attrs if look.penwidth == 1 else f"{attrs} penwidth={look.penwidth:g}"


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
        # the node records, made as they are drawn (indexed by seq), and
        # the few fields of every node the picture is planned with
        self.nodes = record.nodes
        self.view = view
        self.memo = _memo(record)
        self.final: dict[int, str] | None = None     # seq -> name at the end (see _old)
        self.final_names: set[str] = set()
        self.cols: Columns = self._columns()
        self.count = len(self.cols.kind)    # the nodes drawn: all, or those before a PassView's pass
        self.passes = record.passes if view is None else [
            ev for ev in record.passes if ev["pass"] == view.pass_no]
        self.multi = len(self.passes) > 1
        # the backward() calls that failed, and the tensors they were called
        # on (outlined in the error colour); the whole picture only
        self.failed = record.failed_calls if view is None else []
        self.failed_roots = {s for ev in self.failed for s in ev["roots"]}
        self.in_seqs = self.cols.in_seqs     # per node, the seqs of its tensor inputs (ids "n<seq>")
        self.hooked: dict = {}          # seq -> {pass: what arrived}, see _hooked
        self.lines: list[str] = []
        self.edge_out: list = []        # edge lines, or keys of merged edges
        self.fold_edges: dict = {}      # (src, dst, attrs) -> [label, count]
        self.cuts_into: set = set()     # (source, summary box) of the detach cuts drawn
        th = self.theme
        self.fwd_attrs = "style=invis" if self.show == "backward" else ""
        self.grad_attrs = (f'dir=back arrowtail={th.gradient_arrow} style={th.gradient_style} '
                           f'color="{th.gradient}" fontcolor="{th.gradient}" class="gradient"')
        self.clusters: dict[int, list[str]] = {}
        self.op_memo: dict = {}
        # id(array) -> (array, its fmt text): each value and gradient of the
        # record is abbreviated once, also over several drawings of it
        self.texts: dict = self.memo.setdefault("texts", {})

    def _columns(self) -> Columns:
        whole = node_columns(self.record)
        upto = None if self.view is None else self.view.upto
        return whole if upto is None else whole.head(upto)

    def fmt(self, arr) -> str:
        """fmt(arr), once per array of the record (a node's gradient is
        often the very array its gradient edges carry)."""
        if arr is None:
            return "None"
        hit = self.texts.get(id(arr))
        if hit is None:
            # (the array is kept with its text, so its id stays its own)
            hit = self.texts[id(arr)] = (arr, fmt(arr))
        return hit[1]

    # ---- top level ------------------------------------------------------
    def build(self) -> DotResult:
        th, count = self.theme, self.count
        only = None if self.view is None else self.view.only
        # the transforms' boxes first: the --max-nodes fold (not in a
        # PassView) leaves their members to them
        boxes = [] if self.opts["expand_transforms"] else self._transform_folds(only)
        taken = frozenset(s for f in boxes for s in f.members)
        folded = (fold(self.cols, self.opts["max_nodes"], taken, len(boxes)) if only is None
                  else None)
        self.group_of, self.groups = folded if folded else ([-1] * count, [])
        self.inside: set = set()        # passes run inside a transform's box (no seed box)
        for f in boxes:
            self._transform_group(f, self.record.transforms[f.number - 1])
        by_max_nodes = [g for g in self.groups if not g.title]
        by_fold = sum(len(g.members) for g in by_max_nodes)
        hidden = sum(len(g.members) for g in self.groups)
        shown = count - hidden + len(self.groups)
        self.cut_out = only is not None      # nodes outside a PassView's `only` are left out
        if only is not None:
            group_of = self.group_of
            for s in range(count):
                if s not in only:
                    group_of[s] = -2          # (see _tid: no box, no edges)
            shown = group_of.count(-1)
        self.compact = shown > COMPACT_ABOVE
        # seq -> (label text, look key) of its box; kept with the record for
        # the next drawing (they depend on the record and these two only; a
        # PassView's gradient lines are its own)
        self.labels = ({} if self.view is not None
                       else self.memo.setdefault(("labels", self.compact, self.show), {}))
        self.looks = self._looks()
        self.tensor_attrs = {k: f'{v} class="tensor {k}"' for k, v in self.looks.items()
                             if k not in OVERLAYS}
        if not self.groups and not self.cut_out:   # nothing folded: skip the id lookups and merging
            self._tid = "n{}".format
            self._oid = "n{}".format if self.compact else "n{}op".format
            self._edge = self._edge_plain
        elif self.compact:
            self._oid = self._tid
        notes = []
        if len(by_max_nodes) < len(self.groups):
            inner = sum(len(g.members) for g in self.groups if g.title)
            notes.append(f"drew what torch.func's transforms ran inside ({inner:,} nodes) as "
                         "one box per call: --expand-transforms draws them")
        if by_max_nodes:
            everything = Counter()
            for g in by_max_nodes:
                everything.update(g.counts)
            notes.append(f"folded {by_fold:,} of {count:,} nodes into {len(by_max_nodes)} "
                         f"summary node{'s' if len(by_max_nodes) != 1 else ''} "
                         f"({counts_text(everything)}) to stay under "
                         f"--max-nodes {self.opts['max_nodes']}; --max-nodes 0 shows all"
                         + ("; for one step of the loop: --pass last (or --pass N)"
                            if len(self.passes) > 1 else ""))
        if self.compact:
            one_edge = (" a gradient edge stands for the forward edge it runs along,"
                        if self.show == "both" and self.view is None else "")
            notes.append(f"over {COMPACT_ABOVE:,} nodes shown: each op is drawn inside its "
                         f"result's box,{one_edge} and gradient edges are not labelled")

        out = self.lines
        out.append("digraph gradviz {")
        label = []
        if self.opts["title"]:
            label.append(_short(self.opts["title"], 120))
        if self.opts.get("auto_passes"):
            label.append(f"(backward pass #{self.view.pass_no} of {self.opts['auto_passes']:,}: "
                         "the loop's last step; --pass all draws every pass)")
        if by_max_nodes:
            label.append(f"({by_fold:,} nodes folded into summaries: --max-nodes 0 shows all)")
        graph = (f'  graph [rankdir={self.opts["rankdir"]} bgcolor="{th.background}" '
                 f'fontname="{SANS}" fontsize=16 fontcolor="{th.text}" nodesep=0.3 '
                 f'ranksep=0.4 pad=0.25 newrank=true')
        if label:
            graph += f' labelloc=t labeljust=l label="{_lines(label, CENTER)}"'
        out.append(graph + "];")
        # Few fractions on what every node or edge has: the embedded Graphviz
        # parses such a number each time it reads it, slowly (penwidth=1.2
        # instead of 1 on 3,000 boxes: a fifth of the layout; margin, a
        # tenth). The small arrows (arrowsize=0.7) are worth their 3%.
        out.append(f'  node [fontname="{SANS}" fontsize=11];')
        out.append(f'  edge [fontname="{SANS}" fontsize=10 color="{th.forward}" '
                   f'fontcolor="{th.forward}" arrowsize=0.7];')

        self.drawn = self._drawn()
        contrib = self._contributions()
        # Gradient labels when the picture can take them: not a big one, not
        # a deep one, not one with hundreds of them. (A quick bound first:
        # the exact depth costs a pass over every node.)
        self.labelled = (not self.compact and self._gradient_edges(contrib) <= LABELLED_EDGES
                         and (2 * shown + 1 <= LABELLED_DEPTH
                              or self._longest_path() <= LABELLED_DEPTH))
        self.widths = {} if self.compact else self._grad_widths(contrib)
        self.hooked = self._hooked(contrib)
        if self.compact:
            # Most boxes of a big picture have the intermediate look: as the
            # defaults of a subgraph around the boxes (not of the whole
            # graph, where the plain-text nodes would take its fill), it is
            # parsed once instead of on each (a thirtieth of the SVG time of
            # the 3,000-box chain). A subgraph that is not a cluster changes
            # nothing in the layout.
            out.append("  subgraph {")
            out.append(f'    node [{self.looks["intermediate"]}];')
        self._tensor_nodes()
        for g in self.groups:
            self._group_node(g)
        if self.compact:
            out.append("  }")
        if self.compact and not self.groups and not self.labelled and self.view is None:
            self._plain_edges(contrib)
        else:
            nodes = self.nodes
            for s in compress(range(count), self.drawn):
                self._edges_of(nodes[s], contrib)
        if self.show != "forward":
            self._seeds()
        if self.view is None:
            self._failed_notes()
        if self.record.error is not None and self.view is None:
            self._error_note()
        for k in sorted(self.clusters):
            self._cluster(k)
        self._emit_edges()
        if self.opts["legend"]:
            self._legend()
        out.append("}\n")
        return DotResult("\n".join(out), "; ".join(notes) or None, hidden)

    def _transform_folds(self, only) -> list:
        """One summary box for what each torch.func transform call ran
        inside (record.transforms): jacrev(torch.sin)(x) drew the 3
        autograd.grad passes of its rows op by op, 2,200 points wide, where
        a learner wants to see the program's function once, and the
        transform as one thing. Shown are the program's own function and
        what comes out of the transform (render/transforms.py); the rest
        folds into a box that says what the transform did, and its passes
        get no seed boxes. In a PassView (--pass N, a loop's last step)
        the box holds what of the call the pass's subgraph has."""
        free = None if only is None else only.__contains__
        return transform_folds(self.record.transforms, self.passes, self.cols, free)

    def _transform_group(self, f: TransformFold, span: dict) -> None:
        """Fold f's members into a box titled by the transform call."""
        self.inside.update(f.passes)
        result = self.nodes[f.result]
        call = _short(result.expr or f.kind)
        title = [f"torch.func.{f.kind}: {call}" + (f" · line {result.line}"
                                                   if result.line else "")]
        title += filter(None, (f.words(span.get("slices")), f.passes_text()))
        g = len(self.groups)
        for s in f.members:
            self.group_of[s] = g
        # (a "fold" id: its edges merge as a summary's do, see _edge)
        group = Group(f"fold_func{f.number}", f.members, None, title=tuple(title))
        self.groups += describe([group], self.cols)

    def _longest_path(self) -> int:
        """Nodes on the longest path of the picture (summary nodes count once).

        Creation order is topological, and every consumer of a summary node
        comes after all its members, so one pass in seq order suffices."""
        key = ("depth", self.compact)
        if self.view is None and not self.groups and key in self.memo:
            return self.memo[key]
        group_of, in_seqs, kind = self.group_of, self.in_seqs, self.cols.kind
        # the source of a detached copy, else of a .grad tensor
        links = {**self.cols.grad_of, **self.cols.detached}
        per_op = 1 if self.compact else 2       # an op node and its tensor
        depth = [0] * self.count
        group_depth = [0] * len(self.groups)
        longest = 0
        for s, ins in enumerate(in_seqs):
            g = group_of[s]
            before = 0
            for a in ins:
                ga = group_of[a]
                d = depth[a] if ga < 0 else group_depth[ga] if ga != g else 0
                if d > before:
                    before = d
            link = links.get(s)
            if link is not None:
                before = max(before, depth[link] + 1)
            here = before + (per_op if kind[s] == OP else 1)
            if g < 0:
                depth[s] = here
            elif before + 1 > group_depth[g]:
                group_depth[g] = before + 1
            if here > longest:
                longest = here
        if self.view is None and not self.groups:
            self.memo[key] = longest + 1
        return longest + 1      # the seed boxes

    def _place(self, no_grad: int | None, line: str) -> None:
        if no_grad is None:
            self.lines.append("  " + line)
        else:
            self.clusters.setdefault(no_grad, []).append("  " + line)

    def _looks(self) -> dict[str, str]:
        th = self.theme
        # A big picture's boxes are plain rectangles ("rect": "box" would be
        # given round corners by _look_attrs, and Graphviz writes a rounded
        # box as a path of curves, its longest part of the SVG) with plain
        # labels: a record's fields cost a ruled line each (see COMPACT_ABOVE).
        box = self.box = "rect" if self.compact else "Mrecord"
        return {
            "param": _look_attrs(th.param, box),
            "const": _look_attrs(th.const, box),
            "intermediate": _look_attrs(th.intermediate, box),
            "root": _look_attrs(th.root, box),
            "detached": _look_attrs(th.detached, box),
            "grad": _look_attrs(th.grad, box),
            "pruned": _look_attrs(th.pruned, box),
            "error": _look_attrs(th.error_node, box),
            # (the legend's: a failed call's root keeps its own look, outlined)
            "failed": self._failed_look("intermediate"),
            "op": _look_attrs(th.op, "ellipse"),
            "op_pruned": _look_attrs(th.pruned, "ellipse"),
            "op_freed": _look_attrs(th.op, "ellipse", "dashed"),
            "folded": _look_attrs(th.folded, "box"),
            "seed": (f'shape=box style="rounded,dashed" color="{th.gradient}" '
                     f'fontcolor="{th.gradient}" penwidth=1.4 fontsize=10'),
            "note": _look_attrs(th.note, "note"),
        }

    def _failed_look(self, under: str) -> str:
        """The look of the tensor a failed backward() was called on: that of
        its kind (``under``, a key of _looks), outlined in the error colour."""
        th = self.theme
        look = getattr(th, under)
        return _look_attrs(replace(look, border=th.error, penwidth=max(3, look.penwidth)),
                           self.box)

    # ---- nodes ----------------------------------------------------------
    def _look_key(self, r: NodeRecord, overlay: bool = True) -> str:
        """The key of a tensor's look in _looks; with ``overlay``, one of
        OVERLAYS where it has one (drawn over the look of its kind)."""
        if overlay and r.error:
            return "error"
        if overlay and r.seq in self.failed_roots:
            return "failed"
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

    def _old(self, r: NodeRecord) -> str:
        """Which of the tensors r's name bound this is, as the tables say
        (tables.binding_note): " (step=0)", " (in f)" or " (old)" (two boxes
        titled "y = x * x" read as one tensor drawn twice)."""
        from .tables import binding_note, final_bindings
        if self.final is None:
            self.final = final_bindings(self.record)
            self.final_names = set(self.final.values())
        return binding_note(self.record, r, self.final, self.final_names)

    def _step_in_title(self, r: NodeRecord) -> bool:
        """Whether r's title says its loop pass (see _old and _title)."""
        expr = " ".join(r.expr.split()) if r.expr else ""
        return bool(r.in_loop and r.name and expr and expr != r.name
                    and not updates_itself(r.name, expr))

    def _title(self, r: NodeRecord) -> str:
        # (shortened once, whole: "x = " before an expression shortened on
        # its own would be cut again, "… …")
        expr = " ".join(r.expr.split()) if r.expr else ""
        if r.name and expr and expr != r.name:
            if updates_itself(r.name, expr):
                return _short(r.name + after_name(r.name, expr))
            which = self._old(r)
            # (a step or function beside the name takes no room from the expression)
            room = MAX_TEXT + (len(which) if which not in ("", " (old)") else 0)
            return _short(f"{r.name}{which} = {expr}", room)
        if expr or r.name or r.of is None:
            return _short(expr) or r.name or r.id
        # a gradient a module's hook got has neither a name nor an expression:
        # the argument the hook got it as says more than the table's id "n28"
        made = hook_made(r.op)
        return r.id if made is None else made[1]

    def _kind_words(self, r: NodeRecord) -> str:
        if r.kind == GRAD:
            words = f".grad of {self._who(r.grad_of)}"
        elif r.kind == DETACHED:
            how = ".data" if r.op in ("data", ".data") else "detach()"
            words = f"{how} copy of {self._who(r.detached_from)}, no grad"
        elif r.of is not None:
            made = hook_made(r.op)
            words = (f"{r.op} of {self._who(r.of)}" if made is None else
                     f"the gradient {self._who(r.of)}'s hook got" if r.op == TENSOR_HOOK_LABEL
                     else f"{made[1]} the {made[0]}() of {self._who(r.of)} got")
        elif r.kind == PARAM:
            words = "parameter (leaf, requires grad)"
        elif r.kind == CONST and r.frozen_at is not None:
            words = f"frozen: requires_grad_(False) on line {r.frozen_at}"
        elif r.kind == CONST:
            words = ("returned by autograd.grad (no grad)" if r.op == "grad"
                     else "constant (no grad)")
        elif not r.requires_grad:
            words = "made under no_grad: no grad" if r.no_grad is not None else "result, no grad"
        elif r.no_grad is not None:
            # PyTorch's view under no_grad() of a tensor that requires grad
            words = "view made under no_grad: a leaf, gets no grad"
        elif r.retains_grad:
            words = "intermediate, retain_grad()"
        else:
            # (a compact box leaves out what most of its boxes would say)
            words = "" if self.compact else "intermediate"
        if r.backward_root:
            words = ("backward() starts here" if r.kind == OP or not words
                     else "backward() starts here · " + words)
        parts = [words, _shape_text(r.shape)] if words else [_shape_text(r.shape)]
        if r.dtype != "float32":
            parts.append(r.dtype)
        if r.line:
            step = r.in_loop and not self._step_in_title(r)
            parts.append(f"line {r.line}" + (f" ({r.in_loop})" if step else ""))
        return " · ".join(parts)

    def _who(self, node_id: str | None) -> str:
        if node_id is None:
            return "?"
        r = self.record.node(node_id)
        return r.name or _short(r.expr, 24) or r.id

    def _tensor_nodes(self) -> None:
        """The box of every tensor shown (and its op's ellipse, unless compact)."""
        labels, group_of = self.labels, self.group_of
        braces = self.braces and not self.compact       # (plain labels: no fields)
        tensor_attrs, lines, ellipses = self.tensor_attrs, self.lines, not self.compact
        # (a big picture's boxes outside no_grad blocks are in a subgraph
        # whose node defaults are the intermediate look: see build())
        top_attrs = ({**tensor_attrs, "intermediate": 'class="tensor intermediate"'}
                     if self.compact else tensor_attrs)
        nodes, kind, no_grad = self.nodes, self.cols.kind, self.cols.no_grad
        bare = self.view.bare if self.view is not None else ()
        shown = (seqs_where(map(eq, group_of, repeat(-1))) if self.groups or self.cut_out
                 else range(self.count))
        for s in shown:
            known = labels.get(s)
            if known is None:
                r = nodes[s]
                known = labels[s] = (self._tensor_label(r), self._look_key(r))
            label, key = known
            block = no_grad[s]
            attrs = (top_attrs if block is None else tensor_attrs).get(key)
            if attrs is None:   # an overlay (OVERLAYS): say the underlying kind too
                under = self._look_key(nodes[s], False)
                look = self.looks[key] if key == "error" else self._failed_look(under)
                attrs = f'{look} class="tensor {key} {under}"'
            if braces:
                label = "{" + label + "}"
            if block is None:
                lines.append(f'  n{s} [{attrs} label="{label}"];')
            else:
                self._place(block, f'n{s} [{attrs} label="{label}"];')
            if ellipses and kind[s] == OP and s not in bare:
                self._op_node(nodes[s])

    def _tensor_label(self, r: NodeRecord) -> str:
        """The record label of a tensor's box: its fields joined by "|"; in
        a big picture a plain label, its header on one line."""
        in_record = not self.compact
        title = self._title(r)
        if in_record:
            header = esc(f"{title}\n{self._kind_words(r)}", CENTER)
        else:
            words = [title, self._kind_words(r)]
            if r.kind == OP:
                # the title is the op's own expression: the op is written out
                # again only when the title does not show it whole
                words.insert(1, self._compact_op(r, not r.expr or title.endswith("…")))
            header = esc(" · ".join(words), CENTER, False)
        if r.kind == GRAD:
            # the value when the program read it; the .grad tensor itself
            # changes in place with every backward() and zero_()
            body = esc(f"value  {self.fmt(r.value)}\n(.grad changes in place: see the "
                       f"history of {self._who(r.grad_of)})", LEFT, in_record)
        elif self.view is not None and self.view.values and r.seq in self.view.values:
            body = esc(f"value at #{self.view.pass_no}  {self.fmt(self.view.values[r.seq])}",
                       LEFT, in_record)
        elif r.seq in self.record.snapshots:
            # (a parameter a training loop updates: the value each pass saw
            # is not kept, so the box says which one it shows)
            body = esc(f"value  {self.fmt(r.value)}\n(as made: changed in place later)",
                       LEFT, in_record)
        else:
            body = esc("value  " + self.fmt(r.value), LEFT, in_record)
        fields = [header, body]
        if self.show != "forward":
            grad = self._grad_lines(r)
            if grad:
                fields.append(_lines(grad, LEFT, in_record))
        if r.error or (r.pruned and r.kind != DETACHED):
            status = []
            if r.pruned and r.kind != DETACHED:
                status.append(f"pruned: {r.pruned_reason}")
            if r.error:
                marked = self.record.error.get("marked") if self.record.error else None
                status.append(marked or "used by the failing statement")
            fields.append(_lines(status, LEFT, in_record))
        # (every field ends with its line break: run together, they are lines)
        return "|".join(fields) if in_record else "".join(fields)

    def _compact_op(self, r: NodeRecord, whole: bool) -> str:
        """The op node's text on one line, for compact graphs: its grad_fn,
        after the op and its parameters when ``whole`` (memoised: chains
        repeat the same few ops)."""
        try:
            key = (r.symbol, tuple(r.consts), tuple(r.params.items()), r.grad_fn,
                   len(r.inputs), whole)
            text = self.op_memo.get(key)
        except TypeError:   # an unhashable parameter: no memo
            key, text = None, None
        if text is None:
            text = self._compact_op_text(r, whole)
            if key is not None:
                self.op_memo[key] = text
        return text

    def _compact_op_text(self, r: NodeRecord, whole: bool) -> str:
        # (not "saved tensors freed": as the kind words, a big picture leaves
        # out what most of its boxes would say)
        if not whole:
            return r.grad_fn or "no grad_fn"
        parts = [self._op_text(r)]
        if r.params:
            parts.append(", ".join(f"{k}={_number(v)}" for k, v in r.params.items()))
        parts.append(r.grad_fn or "no grad_fn")
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

    def _hooked(self, contrib: dict) -> dict:
        """seq -> {pass: the sum of what arrived}, of the tensors whose hook
        (x.register_hook(lambda g: g * 10)) returned another gradient than
        the one that arrived: their edges say what arrived, their box what
        the hook made of it, and the box says why they differ."""
        ops = self.cols.op
        held = {int(self.nodes[s].of[1:]) for s in seqs_where(map(eq, ops,
                                                                 repeat(TENSOR_HOOK_LABEL)))
                if self.nodes[s].of is not None}
        arrived: dict = {}
        for (s, pos), items in contrib.items():
            a = self.in_seqs[s][pos]
            if a in held:
                per = arrived.setdefault(a, {})
                for k, g in items:
                    per[k] = g if k not in per else per[k] + g
        out = {}
        for a, per in arrived.items():
            kept = self.nodes[a].grads_by_pass
            changed = {k: g for k, g in per.items() if k in kept and np.shape(g) == np.shape(
                kept[k]) and not np.allclose(g, kept[k], equal_nan=True)}
            if changed:
                out[a] = changed
        return out

    def _hook_lines(self, r: NodeRecord) -> list[str]:
        """What a hook changed r's gradient from, in each pass it did."""
        changed = self.hooked.get(r.seq, {})
        return [f"a hook changed it{f' (#{k})' if self.multi else ''}: {self.fmt(g)} arrived "
                f"→ {self.fmt(r.grads_by_pass[k])}" for k, g in changed.items()]

    def _grad_lines(self, r: NodeRecord) -> list[str]:
        if self.view is not None:
            line = self.view.grad_lines.get(r.seq)
            return line if isinstance(line, list) else [line] if line else []
        if r.kind in (GRAD, DETACHED) or not r.requires_grad:
            return []
        return self._own_grad_lines(r) + self._hook_lines(r)

    def _own_grad_lines(self, r: NodeRecord) -> list[str]:
        if r.is_leaf:
            return self._leaf_grad_lines(r)
        by_pass = r.grads_by_pass
        if r.retains_grad:
            lines = [f"grad  {self.fmt(r.grad)}  (kept: retain_grad())" if r.grad is not None
                     else "grad  None: retain_grad(), but no pass reached it"]
        elif not by_pass:
            return ["grad  None (never computed: no backward reached it)"]
        elif self.compact:      # (as the kind words: what most boxes would say)
            lines = []
        else:
            lines = ["grad  None (non-leaf: not retained)"]
        if not self.multi:
            for g in by_pass.values():
                lines.append("gradient here  " + self.fmt(g))
            return lines
        for k, g in list(by_pass.items())[-PASSES_SHOWN:]:
            lines.append(f"gradient here (#{k})  {self.fmt(g)}")
        return lines

    def _leaf_grad_lines(self, r: NodeRecord) -> list[str]:
        hist = self.record.grad_history(r.seq)
        if r.grad is None:
            if hist and hist[-1][0] == ".grad = None":
                # x.grad = None after a backward: say so, and what it was
                before = next((f"{fmt(v)} after {w}" for w, v, _ in reversed(hist[:-1])
                               if v is not None), None)
                return [f"grad  None (set to None on line {hist[-1][2]}"
                        + (f"; it was {before})" if before else ")")]
            if r.visited:   # only autograd.grad() reached it: it returns, not stores
                return ["grad  None (autograd.grad() returns gradients, leaves .grad alone)"]
            return ["grad  None (never computed: no backward reached it)"]
        lines = [f"grad  {self.fmt(r.grad)}"]
        since_zero = []
        for what, _, _ in hist:
            if what.startswith(("zero_", ".grad =")):
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
                # (fmt, not self.fmt: grad_history makes some of these arrays anew)
                if what.startswith("zero_"):
                    steps.append(f"{fmt(value) if value is not None else '0'} "
                                 f"(zero_(), line {line})")
                elif what.startswith(".grad ="):
                    steps.append(f"{fmt(value) if value is not None else 'None'} "
                                 f"({what.split(' = ')[0]} = …, line {line})")
                else:
                    steps.append(f"{fmt(value)} (backward #{what.split('#')[-1]}, "
                                 f"line {line})")
            text = "history  " + " → ".join(steps)
            if len(text) <= 64:
                lines.append(text)
            else:
                lines.append("history")
                lines.extend(("   " if i == 0 else "→ ") + s for i, s in enumerate(steps))
        return lines

    def _group_node(self, g: Group) -> None:
        what = "ops" if g.all_ops else "nodes"
        first, last = g.first_line, g.last_line
        lines = [f"… {len(g.members):,} {what} folded …", counts_text(g.counts)]
        if g.title:
            lines = [*g.title, f"{len(g.members):,} {what} inside: {counts_text(g.counts)}",
                     "(--expand-transforms draws them)"]
        elif first:
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
        title = self.record.block_titles.get(k, "with torch.no_grad():")
        label = _lines([f"{title}{where}", "not recorded: no grad_fn, no gradient"], "\\n")
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
        if g < 0:
            return f"n{s}" if g == -1 else HIDDEN
        return self.groups[g].gid

    def _oid(self, s: int) -> str:
        g = self.group_of[s]
        if g < 0:
            return (f"n{s}" if self.compact else f"n{s}op") if g == -1 else HIDDEN
        return self.groups[g].gid

    def _edge_plain(self, src: str, dst: str, attrs: str, label: str = "") -> None:
        """Queue an edge when nothing is folded (the hot path of big graphs)."""
        if label and self.labelled:
            self.edge_out.append(f'  {src} -> {dst} [{attrs} label="{label}"];')
        elif attrs:
            self.edge_out.append(f"  {src} -> {dst} [{attrs}];")
        else:
            self.edge_out.append(f"  {src} -> {dst};")

    def _edge(self, src: str, dst: str, attrs: str, label: str = "") -> None:
        """Queue an edge; ``label`` is already escaped. Edges that touch a
        summary node are merged (one per source, target and style)."""
        if src == dst or src is HIDDEN or dst is HIDDEN:
            return
        if not self.labelled:
            label = ""
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
        if not self.fold_edges:
            out.extend(self.edge_out)
            return
        for item in self.edge_out:
            if isinstance(item, str):
                out.append(item)
                continue
            src, dst, attrs = item
            label, count = self.fold_edges[item]
            if count > 1 and self.labelled:
                label = (label[:-2] + CENTER if label else "") + esc(f"(×{count:,} edges)")
            text = f"{attrs} label=\"{label}\"" if label else attrs
            out.append(f"  {src} -> {dst} [{text}];" if text else f"  {src} -> {dst};")

    def _contributions(self) -> dict:
        """(seq, input position) -> [(pass, gradient)] from the passes' steps.

        A step's ``sent`` lists (input seq, contribution) in input order,
        without the inputs backward skipped; x * x sends to x twice. Steps
        inside a summary node are skipped: none of their edges is drawn."""
        if self.show == "forward":
            return {}
        # the same for every drawing of the whole record
        whole = self.view is None and not self.groups
        if whole and "contributions" in self.memo:
            return self.memo["contributions"]
        out: dict = {}
        in_seqs = self.in_seqs
        # per node of the record (a PassView draws those made before its pass)
        drawn = self.drawn + [False] * (len(self.nodes) - self.count)
        for ev in self.passes:
            k = ev["pass"]
            steps = ev["steps"]
            seqs = step_node_seqs(steps)
            # (by index, and only those of nodes drawn, found in C: the steps
            # of the others are never made; a folded picture draws a few)
            for i in compress(range(len(seqs)), map(drawn.__getitem__, seqs)):
                s = seqs[i]
                sent = steps[i]["sent"]
                if not sent:
                    continue
                ins = in_seqs[s]
                if len(ins) == 1 and len(sent) == 1:
                    if ins[0] == sent[0][0]:
                        key = (s, 0)
                        flowed = out.get(key)
                        if flowed is None:
                            out[key] = [(k, sent[0][1])]
                        else:
                            flowed.append((k, sent[0][1]))
                    continue
                used = [False] * len(ins)
                for a, g in sent:
                    for pos, b in enumerate(ins):
                        if b == a and not used[pos]:
                            used[pos] = True
                            out.setdefault((s, pos), []).append((k, g))
                            break
        if whole:
            self.memo["contributions"] = out
        return out

    def _gradient_edges(self, contrib: dict) -> int:
        """How many labelled gradient edges the picture would have (edges
        into a summary node are merged)."""
        if not self.groups:
            return len(contrib)
        in_seqs = self.in_seqs
        edges = {(self._tid(in_seqs[s][pos]), self._oid(s)) for s, pos in contrib}
        return sum(1 for src, dst in edges if src != dst)

    def _drawn(self) -> list:
        """Per node, whether its edges are drawn: all but those of a
        summary node's members whose inputs are all in that summary."""
        group_of, in_seqs = self.group_of, self.in_seqs
        drawn = list(map(eq, group_of, repeat(-1)))
        for gi, g in enumerate(self.groups):
            for s in g.members:
                for a in in_seqs[s]:
                    if group_of[a] != gi:
                        drawn[s] = True
                        break
        # (and a detach cut or .grad link, whose edge comes from its source)
        for s in chain(self.cols.detached, self.cols.grad_of):
            if group_of[s] != -2:
                drawn[s] = True
        return drawn

    def _plain_edges(self, contrib: dict) -> None:
        """_edges_of for every node of a big unfolded picture, in one loop:
        tensor -> tensor edges, one per input, the gradient ones unlabelled."""
        append, in_seqs, kind = self.edge_out.append, self.in_seqs, self.cols.kind
        linked = self.cols.detached.keys() | self.cols.grad_of.keys()
        fwd_tail = f" [{self.fwd_attrs}];" if self.fwd_attrs else ";"
        grad_tail = f" [{self.grad_attrs}];"
        for s, ins in enumerate(in_seqs):
            if kind[s] == OP:
                if len(ins) == 1:
                    a = ins[0]
                    append(f"  n{a} -> n{s}{grad_tail if (s, 0) in contrib else fwd_tail}")
                else:
                    for pos, a in enumerate(ins):
                        append(f"  n{a} -> n{s}"
                               f"{grad_tail if (s, pos) in contrib else fwd_tail}")
            if s in linked:
                self._links(self.nodes[s])

    def _edges_of(self, r: NodeRecord, contrib: dict) -> None:
        s = r.seq
        if self.view is not None and s in self.view.bare:
            return                # drawn without its history (pass_bare)
        if r.kind == OP:
            fwd, grad_on = self.fwd_attrs, self.show != "forward"
            # a big picture's gradient edge stands for the forward edge too
            # (not in a PassView: its frames hide gradient edges not sent yet)
            one_edge = self.compact and self.view is None
            op = self._oid(s)
            for pos, a in enumerate(self.in_seqs[s]):
                src = self._tid(a)
                flowed = contrib.get((s, pos)) if grad_on else None
                if flowed is None or not one_edge:
                    self._edge(src, op, fwd)
                if flowed is not None:
                    self._edge(src, op, self._view_id(self._wide(self.grad_attrs, (s, pos)),
                                                      s, pos),
                               self._grad_label(flowed) if self.labelled else "")
            if not self.compact:
                out = self._tid(s)
                self._edge(op, out, fwd)
                if grad_on and (r.grads_by_pass if self.view is None
                                else self.view.pass_no in r.grads_by_pass):
                    self._edge(op, out, self._view_id(self._wide(self.grad_attrs, s), s))
        self._links(r)

    def _links(self, r: NodeRecord) -> None:
        """The detach cut and the .grad link of a record, if any."""
        s = r.seq
        if r.detached_from is not None:
            self._detach_cut(r)
        made = hook_made(r.op)
        made_for = r.op if made is None else made[0]
        for link, text in ((r.grad_of, ".grad"), (r.of, made_for)):
            if link is not None:
                th = self.theme
                self._edge(self._tid(int(link[1:])), self._tid(s),
                           f'style=dotted color="{th.gradient}" fontcolor="{th.gradient}" '
                           f'class="grad-link"', esc(text))
        for link, text in r.links:        # from this node to another (a custom Function's)
            th = self.theme
            self._edge(self._tid(s), self._tid(int(link[1:])),
                       f'style=dotted color="{th.muted}" fontcolor="{th.muted}" class="link"',
                       esc(text))

    def _grad_widths(self, contrib: dict) -> dict:
        """Gradient edge -> its penwidth (see WIDTH_SPREAD): (seq, input
        position) for an edge into an op, seq for the edge from an op to its
        result, sized by the last pass drawn's gradient along it. Empty when
        the sizes do not spread enough to tell apart (or none is finite)."""
        rms = {}
        for key, items in contrib.items():
            rms[key] = _rms(items[-1][1])
        pass_no = None if self.view is None else self.view.pass_no
        nodes = self.nodes
        for s in compress(range(self.count), self.drawn):
            if self.cols.kind[s] != OP:
                continue
            by_pass = nodes[s].grads_by_pass
            if by_pass:
                g = by_pass.get(pass_no if pass_no is not None else max(by_pass))
                if g is not None:
                    rms[s] = _rms(g)
        sizes = [v for v in rms.values() if 0.0 < v < math.inf]
        if not sizes:
            return {}
        lo, hi = min(sizes), max(sizes)
        if hi < lo * WIDTH_SPREAD:
            return {}
        span = math.log(hi / lo)
        thin, thick = WIDTH_RANGE
        widths = {}
        for key, v in rms.items():
            t = 0.0 if v <= 0.0 else 1.0 if v == math.inf else math.log(v / lo) / span
            widths[key] = f" penwidth={thin + (thick - thin) * t:.1f}"
        return widths

    def _wide(self, attrs: str, key) -> str:
        """A gradient edge's attributes with its width (_grad_widths)."""
        width = self.widths.get(key)
        return attrs if width is None else attrs + width

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
        if src == dst or src is HIDDEN or dst is HIDDEN:
            return
        if dst.startswith("fold"):
            # one cut into a summary box from each source (vmap's copies of
            # w, one per slice, drew a pair of scissors each)
            if (src, dst) in self.cuts_into:
                return
            self.cuts_into.add((src, dst))
        cut = f"cut{r.seq}"
        caption = "value shared,\ngradient stops"
        text = esc("✂ " + how) if self.labelled else esc(f"✂ {how}\n{caption}")
        self._place(r.no_grad, f'{cut} [shape=plaintext fontsize=13 fontcolor="{th.detach}" '
                               f'class="detach" label="{text}"];')
        line = f'style=dashed color="{th.detach}" fontcolor="{th.detach}" penwidth=1.8'
        self._edge(src, cut, line + ' dir=both arrowhead=none arrowtail=tee class="detach"')
        self._edge(cut, dst, line + ' class="detach"', esc(caption))

    def _grad_label(self, items: list) -> str:
        items = items[-PASSES_SHOWN:]
        if not self.multi:
            return esc("grad " + self.fmt(items[0][1]))
        return esc("\n".join(f"grad #{k}: {self.fmt(g)}" for k, g in items))

    def _seeds(self) -> None:
        for ev in self.passes:
            k = ev["pass"]
            if k in self.inside:
                continue
            what = "backward()" if ev["kind"] == "backward" else "autograd.grad()"
            lines = [f"{what} #{k}, line {ev['line']}" if self.multi
                     else f"{what}, line {ev['line']}"]
            where = pass_loop(self.record, ev)
            if where:                  # which step of a training loop
                lines[0] += f" ({where})"
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
        """The note with the error that ended the run, tied to the tensors
        the failing statement used (and, when a backward() call failed, to
        those it was called on, under a first line saying so)."""
        err = self.record.error
        where = f" on line {err['line']}" if err.get("line") else ""
        failed = next((ev for ev in self.failed if ev["stopped"]), None)
        # (a blank line between the few words and the error itself)
        lines = _failed_words(failed) + [""] if failed is not None else []
        lines.append(f"{err.get('type', 'error')}{where}:")
        lines += textwrap.wrap(str(err.get("message", "")), NOTE_WIDTH)[:8]
        if err.get("hint"):
            lines += textwrap.wrap("hint: " + str(err["hint"]), NOTE_WIDTH)[:4]
        self.lines.append(f'  error [{self.looks["note"]} class="error-note" '
                          f'label="{_lines(lines, LEFT)}"];')
        tied = self.cols.errors
        if failed is not None:
            tied = sorted({*tied, *failed["roots"]})
        self._tie_note("error", tied)

    def _failed_notes(self) -> None:
        """A note at the backward()/autograd.grad() calls that failed and
        that the program caught (the one that ended the run is said in the
        error note): which call, on which line, and why in a few words. The
        calls of one line that failed alike (a loop's) share a note, at the
        first of them (lines to them all would pull a loop's steps out of
        order); the others are outlined."""
        alike: dict[tuple, list] = {}
        for ev in self.failed:
            if not ev["stopped"]:
                key = (ev["call"], ev["line"], failure_reason(ev["message"]))
                alike.setdefault(key, []).append(ev)
        for i, calls in enumerate(list(alike.values())[:FAILED_NOTES]):
            lines = _failed_words(calls[0])
            if len(calls) > 1:
                lines += textwrap.wrap(f"and so {len(calls) - 1:,} more time"
                                       f"{'s' if len(calls) > 2 else ''} (outlined in red)",
                                       NOTE_WIDTH)
            lines.append("(the program caught the error and went on)")
            nid = f"failed{i + 1}"
            self.lines.append(f'  {nid} [{self.looks["note"]} class="failed-note" '
                              f'label="{_lines(lines, LEFT)}"];')
            self._tie_note(nid, calls[0]["roots"])

    def _tie_note(self, note: str, seqs) -> None:
        """Dashed lines in the error colour from the tensors ``seqs`` to a note."""
        th = self.theme
        for s in seqs:
            self._edge(self._tid(s), note,
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
            item("failed", "failed", ["a backward() called", "on it failed"]),
            f'    lg_nograd [shape=box style="rounded,filled,dashed" '
            f'fillcolor="{th.cluster_fill}" color="{th.cluster_border}" fontcolor="{th.muted}" '
            f'label="{_lines(["with torch.no_grad():", "shaded block"], CENTER)}"];',
        ]
        grad = (f'dir=back arrowtail={th.gradient_arrow} style={th.gradient_style} '
                f'color="{th.gradient}" fontcolor="{th.gradient}"')
        thicker = "\\n(thicker: larger)" if self.widths else ""     # (see _grad_widths)
        edges = [
            '    lg_param -> lg_op [label="forward:\\nvalue"];',
            f'    lg_param -> lg_op [{grad} label="gradient\\ncontribution{thicker}"];',
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
            "    lg_error -> lg_failed [style=invis];",
            "    lg_pruned -> lg_nograd [style=invis];",
        ]
        sideways = self.opts["rankdir"] in ("LR", "RL")
        if sideways:
            edges = self._sideways_legend(edges)
        if not self.labelled:
            # no edge may carry a label here (see LABELLED_EDGES): the
            # captions of the legend's edges are one text instead
            edges = [re.sub(r' ?label="[^"]*"', "", e).replace(" []", "") for e in edges]
            lines = ["edges: dark, down: forward (the value)",
                     "orange, arrow back up: gradient"
                     + (" (thicker: larger)" if self.widths else ""),
                     "dashed with a bar: detach cut",
                     "dotted: .grad link"]
            if self.compact and self.show == "both" and self.view is None:
                lines.insert(2, "(in a big picture, also the forward edge)")
            text = _lines(lines, LEFT)
            out.append(f'    lg_edges [shape=plaintext fontcolor="{th.muted}" label="{text}"];')
            edges.append("    lg_failed -> lg_edges [style=invis];" if sideways
                         else "    lg_nograd -> lg_edges [style=invis];")
        out += edges
        out.append("  }")

    @staticmethod
    def _sideways_legend(edges: list[str]) -> list[str]:
        """The legend's edges for rankdir LR and RL: there ranks run across,
        and the key, a chain of edges (parameter -> op -> intermediate ->
        root -> seed) down a few ranks for TB, became one wide row (1,680
        points of the detach sample's 2,765; an edge spans two ranks in a
        picture with edge labels). Here every edge joins the first rank to
        the second, items stacked down each (_LEGEND_COLUMNS): the chain's
        op -> intermediate -> root links, which say nothing the picture
        does not, are left out, and invisible edges order each rank.
        (Not edges within one rank: the embedded Graphviz left such edges
        out, or their labels.)"""
        out = [e for e in edges if "style=invis" not in e and e not in _LEGEND_CHAIN]
        for column in _LEGEND_COLUMNS:
            ids = [f"lg_{name}" for name in column]
            out.append(f"    {{rank=same; {' '.join(ids)}}}")
            # (a flat edge puts its head above its tail)
            out += [f"    {lower} -> {upper} [style=invis];"
                    for upper, lower in zip(ids, ids[1:])]
        return out


__all__ = ["DEFAULT_MAX_NODES", "DotResult", "PassView", "RANKDIRS", "SHOW", "build_dot",
           "check_options", "esc", "fmt", "node_columns", "to_dot"]
