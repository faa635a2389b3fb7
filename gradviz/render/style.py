"""Themes for the graph picture: every colour and font the DOT renderer uses.

A theme is plain data; dot.py decides what is drawn, a theme only how it is
coloured. ``print`` is black on white with no fills, so everything it must
tell apart is also told apart by shape, line style or words (a picture
copied to a black-and-white paper still reads).
"""
from __future__ import annotations

from dataclasses import dataclass

THEMES = ("light", "dark", "print")

# Graphviz sizes text with the metrics of these families (it knows them
# without the fonts). DejaVu Sans is the widest common sans (17% wider than
# Helvetica) and the one a Linux machine without Helvetica, Arial or their
# metric twins falls back to: boxes sized for it hold their text whichever
# font the viewer has (SANS_FAMILY, the SVG's list; narrower fonts leave a
# little room). Every monospace font has Courier's widths.
SANS = "DejaVu Sans"
SANS_FAMILY = "DejaVu Sans,Helvetica,Arial,sans-serif"
MONO = "Courier"


@dataclass(frozen=True, slots=True)
class Look:
    """How one kind of node is drawn."""

    fill: str
    border: str
    text: str
    style: str = ""          # extra Graphviz line style: "dashed" or "dotted"
    # Border width. The common kinds keep Graphviz's 1: the embedded
    # Graphviz is slow to read a fraction, which a big graph would have on
    # thousands of boxes (1.2 on 3,000 boxes cost a fifth of the layout).
    penwidth: float = 1


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    background: str
    text: str               # graph title, notes
    muted: str              # secondary text: notes, folded summaries
    forward: str            # forward (value) edges
    gradient: str           # gradient edges, seeds, .grad links
    gradient_style: str     # Graphviz style of gradient edges
    gradient_arrow: str     # arrow shape at the end the gradient reaches
    detach: str             # the detach cut
    error: str
    cluster_fill: str       # no_grad blocks
    cluster_border: str
    param: Look
    const: Look
    intermediate: Look
    root: Look
    detached: Look
    grad: Look
    op: Look
    pruned: Look
    error_node: Look
    folded: Look
    note: Look


LIGHT = Theme(
    name="light", background="white", text="#1f2937", muted="#6b7280",
    forward="#374151", gradient="#c2410c", gradient_style="bold", gradient_arrow="normal",
    detach="#b45309", error="#dc2626",
    cluster_fill="#eef2f7", cluster_border="#94a3b8",
    param=Look("#dbeafe", "#1d4ed8", "#1e3a8a", "", 1.6),
    const=Look("#f3f4f6", "#6b7280", "#374151"),
    intermediate=Look("#ffffff", "#374151", "#111827"),
    root=Look("#dcfce7", "#15803d", "#14532d", "", 2.4),
    detached=Look("#fef3c7", "#b45309", "#78350f", "dashed", 1.6),
    grad=Look("#ffedd5", "#c2410c", "#7c2d12", "dotted", 1.6),
    op=Look("#ede9fe", "#6d28d9", "#4c1d95"),
    pruned=Look("#f9fafb", "#9ca3af", "#6b7280", "dashed"),
    error_node=Look("#fee2e2", "#dc2626", "#7f1d1d", "", 3.0),
    folded=Look("#f3f4f6", "#6b7280", "#374151", "dashed", 1.4),
    note=Look("#fff1f2", "#dc2626", "#7f1d1d", "", 1.6),
)

DARK = Theme(
    name="dark", background="#111827", text="#e5e7eb", muted="#9ca3af",
    forward="#d1d5db", gradient="#fb923c", gradient_style="bold", gradient_arrow="normal",
    detach="#fbbf24", error="#f87171",
    cluster_fill="#1f2937", cluster_border="#6b7280",
    param=Look("#1e3a8a", "#93c5fd", "#dbeafe", "", 1.6),
    const=Look("#374151", "#9ca3af", "#e5e7eb"),
    intermediate=Look("#1f2937", "#d1d5db", "#f9fafb"),
    root=Look("#14532d", "#4ade80", "#dcfce7", "", 2.4),
    detached=Look("#78350f", "#fbbf24", "#fef3c7", "dashed", 1.6),
    grad=Look("#7c2d12", "#fb923c", "#ffedd5", "dotted", 1.6),
    op=Look("#2e1065", "#a78bfa", "#ede9fe"),
    pruned=Look("#1f2937", "#6b7280", "#9ca3af", "dashed"),
    error_node=Look("#7f1d1d", "#f87171", "#fee2e2", "", 3.0),
    folded=Look("#374151", "#9ca3af", "#e5e7eb", "dashed", 1.4),
    note=Look("#450a0a", "#f87171", "#fee2e2", "", 1.6),
)

# Black on white: kinds differ by line style and weight, gradients by a
# dashed line with a hollow arrow, and every node says its kind in words.
PRINT = Theme(
    name="print", background="white", text="black", muted="#444444",
    forward="black", gradient="black", gradient_style="dashed", gradient_arrow="empty",
    detach="black", error="black",
    cluster_fill="#eeeeee", cluster_border="black",
    param=Look("white", "black", "black", "", 2.0),
    const=Look("white", "black", "black"),
    intermediate=Look("white", "black", "black"),
    root=Look("white", "black", "black", "", 3.2),
    detached=Look("white", "black", "black", "dashed", 1.4),
    grad=Look("white", "black", "black", "dotted", 1.6),
    op=Look("white", "black", "black"),
    pruned=Look("white", "#777777", "#555555", "dashed"),
    error_node=Look("white", "black", "black", "", 3.5),
    folded=Look("white", "black", "black", "dashed", 1.4),
    note=Look("white", "black", "black", "", 2.0),
)

_BY_NAME = {"light": LIGHT, "dark": DARK, "print": PRINT}


def get_theme(name: str) -> Theme:
    """The theme called ``name`` (one of THEMES); KeyError otherwise."""
    return _BY_NAME[name]
