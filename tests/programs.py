"""Running a program for a test: its record and what it printed."""
import io

import gradviz


def run(src: str, limits=None):
    out = io.StringIO()
    rec = gradviz.run_source(src, stdout=out, limits=limits)
    return rec, out.getvalue()
