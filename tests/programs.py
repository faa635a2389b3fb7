"""Running a program for a test: its record and what it printed."""
import io

import gradviz


def run(src: str, limits=None):
    out = io.StringIO()
    rec = gradviz.run_source(src, stdout=out, limits=limits)
    return rec, out.getvalue()


# two backward() calls that fail: the second y.backward() (line 5, caught by
# the program) and z.backward() on a non-scalar (line 9, which ends the run)
FAILED_BACKWARDS = """x = tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
try:
    y.backward()
except RuntimeError as e:
    print("caught")
z = x * 3
z.backward()
"""
