"""Record -> SVG: the DOT picture of dot.py laid out by Graphviz.

The layout engine (system ``dot`` or the embedded WebAssembly Graphviz) is
chosen by layout.py; ``engine`` is passed through. The output is the
engine's SVG, normalised by layout.py, so the same record, options and
engine give byte-identical SVG.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..record import Record
from .dot import build_dot
from .layout import dot_to_svg


@dataclass(frozen=True, slots=True)
class SvgResult:
    """SVG text, the DOT it was laid out from, and the folding note."""

    svg: str
    dot: str
    note: str | None


def render_svg(record: Record, *, engine: str = "auto", timeout: float | None = None,
               **options) -> SvgResult:
    """Lay out the record's graph; options as for dot.build_dot."""
    result = build_dot(record, **options)
    return SvgResult(dot_to_svg(result.source, engine=engine, timeout=timeout),
                     result.source, result.note)


def to_svg(record: Record, *, engine: str = "auto", timeout: float | None = None,
           **options) -> str:
    """The SVG text of a record's graph (``engine``: auto | system | embedded)."""
    return render_svg(record, engine=engine, timeout=timeout, **options).svg
