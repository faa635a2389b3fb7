"""One SVG picture per step of the backward pass (``explain --svg-frames``).

Each pass is laid out once (``pass_pictures``: render/dot.py with a
PassView, the pass's gradient edges all present, each node's gradient field
sized for its longest text) and cut into its node and edge groups; every
step's frame restyles some of those groups on that one layout, so nothing
moves from step to step: a learner's eye stays on the graph, not on the
shuffle. ``step_frames`` gives the whole SVG of each step (for
``--svg-frames``); ``PassPicture.versions`` only the groups that change,
and when (for the HTML page, render/html.py).

Visual legend of a frame (beyond render/dot.py's): the node(s) of the
current step have a thick pink border and a pale pink fill (a thick
black border on a grey fill in the print theme); the gradient edges sent
at this step are drawn thick; the gradient edges not sent yet are hidden;
each node's gradient field says what is known so far: ``g = ?`` (not
reached yet), ``g so far = ... (1 of 2)`` (some branches have sent theirs),
``g = ...`` (complete), and for a leaf after its step ``.grad  before →
after``. A caption on top names the step.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import RUNTIME, GradvizError
from ..explain import LEAF, NODE, PRUNED, SEED, Explanation, Step, step_heading
from .dot import DEFAULT_MAX_NODES, PassView, build_dot, fmt, pass_bare, pass_nodes
from .style import SANS_FAMILY, get_theme

MAX_FRAMES = 400            # more steps than this: no pictures (each frame is a whole SVG)
CAPTION_HEIGHT = 34         # points added above the graph for the caption
CAPTION_SIZE = 15           # its font size
ACTIVE_WIDTH = 5            # border of the step's node(s)
LIT_WIDTH = 3.5             # gradient edges sent at this step
# border and fill of the step's node(s), per theme: pink, a hue no kind of
# node has (amber would pass for a detached copy)
ACTIVE = {"light": ("#db2777", "#fce7f3"), "dark": ("#f472b6", "#831843"),
          "print": ("black", "#e0e0e0")}
# (after the name of the incoming gradient, explain.upstream_names)
NOT_YET = "= ?  (not reached yet)"
# relative widths of narrow characters in Helvetica, to pick the longest text
_NARROW = frozenset(" .,:;[]()|!'il1-")

_GROUP = re.compile(r'<g id="([^"]*)" class="([^"]*)">\n<title>([^<]*)</title>')
_SHAPE = re.compile(r"<(path|polygon|ellipse|polyline)\b([^>]*?)(/?)>")
_TEXT = re.compile(r"(<text\b[^>]*>)(.*?)(</text>)", re.DOTALL)


@dataclass(slots=True)
class FrameState:
    """What one frame shows: everything known after its step."""

    texts: dict = field(default_factory=dict)     # seq -> gradient field text
    shown: set = field(default_factory=set)       # ids of gradient edges sent so far
    lit: tuple = ()                                # ids of edges sent at this step
    active: tuple = ()                             # titles of the step's nodes


def frame_states(ex: Explanation, steps: list[Step]) -> list[FrameState]:
    """The state after each step of one pass (steps of a single pass)."""
    if not steps:
        return []
    k = steps[0].pass_no
    grad_pass = ex.pass_info(k).kind == "grad"
    expected: dict[int, int] = {}
    involved: dict[int, None] = {}
    for st in steps:
        if st.kind == SEED:
            expected[st.node] = expected.get(st.node, 0) + 1
            involved[st.node] = None
        elif st.kind in (NODE, LEAF):
            involved[st.node] = None
        for sent in st.sent:
            expected[sent.to] = expected.get(sent.to, 0) + 1
            involved[sent.to] = None
    # a leaf's .grad before the pass, to show until its step (None: no .grad yet)
    leaves = {st.node: st for st in steps if st.kind == LEAF and not grad_pass}
    received: dict[int, list] = {}
    done: dict[int, Step] = {}
    shown: set = set()
    out = []
    for st in steps:
        lit: list[str] = []
        if st.kind == SEED:
            received.setdefault(st.node, []).append(st.g)
            active = (f"seed{k}", f"n{st.node}")
        elif st.kind == PRUNED:
            active = (f"n{st.node}op", f"n{st.pruned}")
        else:
            done[st.node] = st
            active = (f"n{st.node}", f"n{st.node}op") if st.kind == NODE else (f"n{st.node}",)
            if st.kind == NODE:
                shown.add(f"g{st.node}")
                lit.append(f"g{st.node}")
            for sent in st.sent:
                received.setdefault(sent.to, []).append(sent.value)
                edge = f"g{st.node}_{sent.position}"
                shown.add(edge)
                lit.append(edge)
        texts = {}
        for seq in involved:
            texts[seq] = _node_text(ex.g, grad_pass, done.get(seq), received.get(seq, ()),
                                    expected.get(seq, 0), leaves.get(seq))
        out.append(FrameState(texts, set(shown), tuple(lit), active))
    return out


def _node_text(g: str, grad_pass: bool, step: Step | None, got, expected: int,
               leaf: Step | None) -> str:
    """A node's gradient field; g: the incoming gradient's name."""
    if step is not None and step.kind == LEAF:
        if grad_pass:
            return f"{g} = {fmt(step.g)}  (returned by grad())"
        before = "None" if step.before is None else fmt(step.before)
        return f".grad  {before} → {fmt(step.after)}"
    if step is not None:
        return f"{g} = {fmt(step.g)}"
    if not got:
        text = f"{g} {NOT_YET}"
    else:
        total = got[0]
        for v in got[1:]:
            total = total + v
        text = (f"{g} so far = {fmt(np.asarray(total))}  ({len(got)} of {expected})"
                if len(got) < expected else f"{g} = {fmt(np.asarray(total))}")
    if leaf is not None and leaf.before is not None:
        # a .grad from an earlier pass is there all along: say so
        return f".grad  {fmt(leaf.before)};  {text}"
    return text


def _width(text: str) -> float:
    return sum(0.5 if c in _NARROW else 1.0 for c in text)


def check_frames(ex: Explanation) -> None:
    """Refuse (RUNTIME) an explanation with more steps than MAX_FRAMES pictures."""
    n = len(ex.steps)
    if n > MAX_FRAMES:
        small = [p.number for p in ex.passes if len(ex.steps_of(p.number)) <= MAX_FRAMES]
        hint = (f"choose one backward pass with --pass N ({small[0]} fits)" if small else
                "the table (without --svg-frames/--html) shows them; a smaller program "
                "makes a better slide")
        raise GradvizError(
            f"{n:,} steps are too many to draw one picture each (at most {MAX_FRAMES:,})",
            kind=RUNTIME, hint=hint)


def step_caption(ex: Explanation, st: Step) -> str:
    """"Step 3 of 9: dot(x, x)  (dot, DotBackward0)"."""
    head, words = step_heading(ex, st)
    return f"Step {st.number} of {len(ex.steps)}: {head}  ({words})"


@dataclass(slots=True)
class PassPicture:
    """One pass laid out once, cut into its groups, with the state after each
    step: every frame of the pass is this picture with some groups restyled."""

    number: int
    steps: list                     # Step, of this pass
    states: list                    # FrameState after each step
    layout_texts: dict              # seq -> the gradient line the layout was sized for
    theme: str
    parts: list                     # str (fixed SVG text) or _Group, in document order

    def frame(self, index: int) -> str:
        """The whole SVG after step ``index`` (0-based within the pass)."""
        state = self.states[index]
        return "".join(p if isinstance(p, str) else self.render(p, state) for p in self.parts)

    def groups(self) -> list:
        return [p for p in self.parts if not isinstance(p, str)]

    def render(self, g: "_Group", state: FrameState) -> str:
        """One group's markup in a state (see the module legend)."""
        th = get_theme(self.theme)
        head, body = g.head, g.body
        if g.kind == "node":
            seq = _seq_of(g.title)
            if seq is not None and seq in state.texts and seq in self.layout_texts:
                body = _swap_text(body, self.layout_texts[seq], state.texts[seq], th.muted)
            if g.title in state.active:
                border, fill = ACTIVE[th.name]
                head = head.replace(f'class="{g.cls}"', f'class="{g.cls} active"')
                body = _SHAPE.sub(lambda s: _shape_attrs(s, border, fill), body, count=1)
        elif g.kind == "gradient":
            if g.gid not in state.shown:
                head = head.replace(f'<g id="{g.gid}"', f'<g id="{g.gid}" visibility="hidden"')
            elif g.gid in state.lit:
                head = head.replace(f'class="{g.cls}"', f'class="{g.cls} lit"')
                body = re.sub(r'stroke-width="[^"]*"', f'stroke-width="{LIT_WIDTH}"', body)
                body = body.replace("<text ", '<text font-weight="bold" ')
        return head + body + "</g>"

    def key(self, g: "_Group", state: FrameState):
        """What a group's look depends on: equal keys, equal markup."""
        if g.kind == "node":
            return (state.texts.get(_seq_of(g.title)), g.title in state.active)
        if g.kind == "gradient":
            return (g.gid in state.shown, g.gid in state.lit)
        return None

    def versions(self) -> dict:
        """gid -> [(step index, markup), ...]: each group's markup from the
        first step on, with a new entry only where it changes."""
        out = {}
        for g in self.groups():
            if g.kind == "fixed":
                continue
            keys = [self.key(g, st) for st in self.states]
            if all(k == keys[0] for k in keys):
                continue
            entries = [(0, self.render(g, self.states[0]))]
            for i in range(1, len(keys)):
                if keys[i] != keys[i - 1]:
                    entries.append((i, self.render(g, self.states[i])))
            out[g.gid] = entries
        return out


@dataclass(frozen=True, slots=True)
class _Group:
    gid: str
    cls: str
    title: str
    kind: str            # "node", "gradient" (an edge with a PassView id) or "fixed"
    head: str            # '<g id=... class=...>\n<title>...</title>'
    body: str            # up to, not including, '</g>'


def _cut(svg: str) -> list:
    """The SVG as fixed text and node/edge groups, in order."""
    parts, pos = [], 0
    for m in _GROUP.finditer(svg):
        end = svg.find("</g>", m.end())
        if end < 0:
            break
        gid, cls, title = m.group(1), m.group(2), m.group(3)
        if cls.startswith("node"):
            kind = "node"
        elif cls.startswith("edge") and gid.startswith("g") and gid[1:2].isdigit():
            kind = "gradient"
        else:
            kind = "fixed"
        parts.append(svg[pos:m.start()])
        parts.append(_Group(gid, cls, title, kind, m.group(0), svg[m.end():end]))
        pos = end + len("</g>")
    parts.append(svg[pos:])
    return parts


def pass_pictures(ex: Explanation, *, theme: str = "light", engine: str = "auto",
                  max_nodes: int = DEFAULT_MAX_NODES, timeout: float | None = None,
                  leave_running: bool = False) -> list[PassPicture]:
    """Each pass of ``ex`` laid out once (one Graphviz run per pass);
    ``timeout`` and ``leave_running`` bound each layout (layout.dot_to_svg)."""
    from .layout import dot_to_svg

    out = []
    for p in ex.passes:
        steps = ex.steps_of(p.number)
        states = frame_states(ex, steps)
        longest: dict[int, str] = {}
        for state in states:
            for seq, text in state.texts.items():
                if seq not in longest or _width(text) > _width(longest[seq]):
                    longest[seq] = text
        upto = _made_before(ex, p.line, steps)
        # a program of several passes (a training loop): only this pass's
        # subgraph, not every step's nodes made before it
        several = len(ex.record.passes) > 1
        only = pass_nodes(ex.record, p.number) if several else None
        bare = pass_bare(ex.record, p.number) if several else frozenset()
        # (every op drawn: the frames restyle each gradient edge of the pass)
        dot = build_dot(ex.record, theme=theme, max_nodes=max_nodes, expand_transforms=True,
                        view=PassView(p.number, longest, upto, only, bare=bare)).source
        svg = dot_to_svg(dot, engine=engine, timeout=timeout, leave_running=leave_running)
        out.append(PassPicture(p.number, steps, states, longest, theme, _cut(svg)))
    return out


def step_frames(pictures: list[PassPicture], captions: Explanation | None = None):
    """One SVG text per step, in step order (a generator: a frame is a whole
    picture); with ``captions`` (the explanation), each with its step's caption."""
    for pic in pictures:
        for i, st in enumerate(pic.steps):
            frame = pic.frame(i)
            if captions is not None:
                frame = add_caption(frame, step_caption(captions, st), pic.theme)
            yield st, frame


def _made_before(ex: Explanation, line: int, steps: list[Step]) -> int | None:
    """How many nodes existed when the pass on ``line`` ran: the program has
    no loops, so nodes are made in line order, and the ones of later lines
    (a later print(x.grad), the next forward pass) are not drawn yet."""
    nodes = ex.record.nodes
    upto = next((r.seq for r in nodes if r.line > line), None)
    if upto is None:
        return None
    needed = max((s for st in steps for s in (st.node, st.pruned or 0)), default=0)
    return upto if needed < upto else None


def _seq_of(title: str) -> int | None:
    if title.startswith("n") and title[1:].isdigit():
        return int(title[1:])
    return None


def _shape_attrs(m: re.Match, border: str, fill: str) -> str:
    attrs = re.sub(r'\s(stroke|stroke-width|stroke-dasharray|fill)="[^"]*"', "", m.group(2))
    return (f'<{m.group(1)} fill="{fill}" stroke="{border}" stroke-width="{ACTIVE_WIDTH}"'
            f'{attrs}{m.group(3)}>')


def _swap_text(body: str, old: str, new: str, muted: str) -> str:
    """Replace the node's gradient line (laid out as ``old``) with ``new``."""
    def swap(m):
        if _unescape(m.group(2)) != old:
            return m.group(0)
        opening = m.group(1)
        if new.endswith(NOT_YET):
            opening = re.sub(r'fill="[^"]*"', f'fill="{muted}"', opening)
        return opening + html.escape(new, quote=False) + m.group(3)
    return _TEXT.sub(swap, body)


def _unescape(text: str) -> str:
    return html.unescape(text).replace("\xa0", " ")


def add_caption(svg: str, caption: str, theme: str) -> str:
    """A line of text above the graph (the SVG grows by CAPTION_HEIGHT)."""
    th = get_theme(theme)
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([\d.\s-]+)"', svg)
    g = re.search(r'(<g id="graph0" class="graph" transform="[^"]*translate\()([\d.-]+) '
                  r'([\d.-]+)\)', svg)
    if m is None or g is None:
        return svg
    width, height = float(m.group(1)), float(m.group(2))
    vb = [float(v) for v in m.group(3).split()]
    h = CAPTION_HEIGHT
    # keep the caption inside the picture: about 0.55 em per character
    fits = max(12, int((width - 16) / (CAPTION_SIZE * 0.55)))
    if len(caption) > fits:
        caption = caption[:fits - 1] + "…"
    head = (f'<svg width="{width:g}pt" height="{height + h:g}pt"\n viewBox="{vb[0]:.2f} '
            f'{vb[1]:.2f} {vb[2]:.2f} {vb[3] + h:.2f}"')
    svg = svg[:m.start()] + head + svg[m.end():]
    g = re.search(r'(<g id="graph0" class="graph" transform="[^"]*translate\()([\d.-]+) '
                  r'([\d.-]+)\)', svg)
    moved = f"{g.group(1)}{g.group(2)} {float(g.group(3)) + h:.2f})"
    text = (f'<rect x="{vb[0]:.2f}" y="{vb[1]:.2f}" width="{vb[2]:.2f}" height="{h}" '
            f'fill="{th.background}"/>\n'
            f'<text class="caption" x="{vb[0] + 10:.2f}" y="{vb[1] + h - 11:.2f}" '
            f'font-family="{SANS_FAMILY}" font-size="{CAPTION_SIZE}" '
            f'font-weight="bold" fill="{th.text}">{html.escape(caption, quote=False)}</text>\n')
    return svg[:g.start()] + text + moved + svg[g.end():]


__all__ = ["FrameState", "MAX_FRAMES", "PassPicture", "add_caption", "check_frames",
           "frame_states", "pass_pictures", "step_caption", "step_frames"]
