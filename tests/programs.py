"""Running a program for a test: its record and what it printed."""
import contextlib
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


def python_prints(src: str) -> str:
    """What Python itself prints running src (a program of plain values)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(src, {})
    return out.getvalue()


def assert_python_s_error(src: str, kind: str, message: str, line: int) -> None:
    """src fails in gradviz with Python's error (kind, message) on line,
    with a hint, and Python agrees."""
    import pytest
    from gradviz.errors import GradvizError
    with pytest.raises(GradvizError) as info:
        run(src + "\n")
    err = info.value
    assert (err.kind, err.message, err.span.line) == (kind, message, line)
    assert err.hint
    with pytest.raises(Exception) as python:
        python_prints(src)
    assert type(python.value).__name__ == kind and str(python.value) == message
