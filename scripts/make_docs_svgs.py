#!/usr/bin/env python3
"""Write the pictures of the seed samples that the README shows:
docs/seed_scalar.svg, docs/seed_nonscalar.svg and docs/seed_detach.svg.

Each is ``samples/NAME.txt`` run and drawn with the default options and a
title taken from the sample's first comment, laid out by the embedded
Graphviz (so the bytes do not depend on which Graphviz a machine has).
tests/test_svg.py fails when a committed picture differs from what this
script writes, so the pictures cannot go stale.

    python scripts/make_docs_svgs.py           # rewrite the pictures
    python scripts/make_docs_svgs.py --check   # exit 1 if one is stale
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SAMPLES = ROOT / "samples"
sys.path.insert(0, str(ROOT))   # draw with the working tree, not an installed copy

SEEDS = ("seed_scalar", "seed_nonscalar", "seed_detach")
ENGINE = "embedded"
REGENERATE = "python scripts/make_docs_svgs.py"


def title_of(name: str, source: str) -> str:
    """``seed_detach.txt: moving a computation out of the graph with detach()``."""
    first = source.splitlines()[0] if source else ""
    comment = first.lstrip("#").strip() if first.startswith("#") else ""
    comment = comment.split(": ", 1)[-1] if comment.startswith("The seed tutorial") else comment
    return f"{name}.txt: {comment}" if comment else f"{name}.txt"


def seed_svg(name: str) -> str:
    """The SVG of samples/NAME.txt, as committed under docs/."""
    from gradviz.files import read_program
    from gradviz.render.svg import to_svg
    from gradviz.runner import run_source

    path = SAMPLES / f"{name}.txt"
    source = read_program(path)
    record = run_source(source, filename=f"samples/{name}.txt", stdout=io.StringIO())
    return to_svg(record, engine=ENGINE, title=title_of(name, source))


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name in SEEDS:
        target = DOCS / f"{name}.svg"
        svg = seed_svg(name)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == svg:
            continue
        if check:
            stale.append(str(target.relative_to(ROOT)))
        else:
            from gradviz.files import write_atomic
            write_atomic(target, svg)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)}; run {REGENERATE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
