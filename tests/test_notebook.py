"""The notebook face of gradviz, driven headlessly through IPython's own
InteractiveShell and display formatter (no Jupyter server or kernel needed):
a Record as the last value of a cell, and the %%gradviz cell magic."""
from __future__ import annotations

import io
import json

import numpy as np
import pytest

import gradviz
from gradviz import notebook

IPython = pytest.importorskip("IPython")
from IPython.core.interactiveshell import InteractiveShell  # noqa: E402
from IPython.utils.capture import capture_output  # noqa: E402

PROGRAM = """weight = tensor([1.0, 2.0, 3.0], requires_grad=True)
scaled = weight * weight
print(scaled)
scaled.sum().backward()
"""
FAILING = """weight = tensor([1.0, 2.0], requires_grad=True)
print(weight)
oops = weight @ ones(3)
"""


def _need_svg():
    """The SVG renderer is another module's; skip only when it is absent."""
    try:
        import gradviz.render.svg  # noqa: F401
    except ImportError:
        pytest.skip("gradviz.render.svg is not available")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """A headless IPython that writes no history and keeps its profile in a
    temporary directory (not the user's ~/.ipython)."""
    from traitlets.config import Config

    mp = pytest.MonkeyPatch()
    mp.setenv("IPYTHONDIR", str(tmp_path_factory.mktemp("ipython")))
    config = Config()
    config.HistoryManager.enabled = False
    sh = InteractiveShell.instance(config=config)
    with capture_output():
        result = sh.run_cell("%load_ext gradviz")
    assert result.success
    yield sh
    InteractiveShell.clear_instance()
    mp.undo()


def _cell(shell, text):
    with capture_output() as cap:
        result = shell.run_cell(text)
    return result, cap


def _bundles(cap) -> list[dict]:
    return [o.data for o in cap.outputs]


def test_variables_are_node_records_with_numpy_arrays():
    r = gradviz.run_source(PROGRAM, stdout=io.StringIO())
    w = r.variables["weight"]
    assert isinstance(w.grad, np.ndarray) and isinstance(w.value, np.ndarray)
    np.testing.assert_allclose(w.grad, [2.0, 4.0, 6.0])
    assert r.variables["scaled"].grad is None          # a non-leaf keeps no .grad
    assert r.variable_ids == {"weight": "n0", "scaled": "n1"}
    assert r.node(w) is w and r.node("n0") is w


def test_json_keeps_its_format():
    r = gradviz.run_source(PROGRAM, stdout=io.StringIO())
    data = json.loads(r.to_json())
    assert data["variables"]["weight"] == {
        "shape": [3], "dtype": "float32", "value": [1.0, 2.0, 3.0], "grad": [2.0, 4.0, 6.0],
        "requires_grad": True, "is_leaf": True}
    assert data["variables"]["scaled"]["grad"] is None


def test_html_has_the_tables_with_the_variable_names():
    r = gradviz.run_source(PROGRAM, stdout=io.StringIO())
    html = notebook.record_html(r, graph=False)
    assert html.startswith('<div class="gradviz">') and html.endswith("</div>")
    assert "<pre" in html and "style=" in html          # inline styles, no stylesheet
    assert "<html" not in html                          # a fragment, not a page
    for name in ("weight", "scaled", "MulBackward0"):
        assert name in html
    assert html == notebook.record_html(r, graph=False)  # deterministic


def test_html_of_a_failed_run_shows_the_error():
    with pytest.raises(gradviz.GradvizError) as info:
        gradviz.run_source(FAILING, stdout=io.StringIO())
    html = notebook.record_html(info.value.record, graph=False)
    assert "error: " in html and "&lt;string&gt;:3:8" in html and "weight" in html


def test_exports_from_the_record():
    r = gradviz.run_source(PROGRAM, stdout=io.StringIO())
    assert json.loads(r.to_json())["output"] == "tensor([1., 4., 9.], grad_fn=<MulBackward0>)\n"
    dot = r.to_dot()
    assert dot.lstrip().startswith("digraph") and "weight" in dot
    _need_svg()
    assert "<svg" in r.to_svg() and r.to_svg() == r.to_svg()


def test_last_value_of_a_cell_displays_svg_and_html(shell):
    _need_svg()
    result, _ = _cell(shell, f"import gradviz\nr = gradviz.run_source({PROGRAM!r})")
    assert result.success
    data, _ = shell.display_formatter.format(shell.user_ns["r"])
    assert "image/svg+xml" in data and "text/html" in data
    assert data["image/svg+xml"].lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    for name in ("weight", "scaled"):
        assert name in data["image/svg+xml"]
        assert name in data["text/html"]
    assert "<svg" in data["text/html"] and "<?xml" not in data["text/html"]


def test_magic_runs_the_cell_and_displays_tables(shell):
    result, cap = _cell(shell, "%%gradviz rec --no-graph\n" + PROGRAM)
    assert result.success, cap.stderr
    assert cap.stdout == "tensor([1., 4., 9.], grad_fn=<MulBackward0>)\n"
    assert cap.stderr == ""
    (bundle,) = _bundles(cap)
    assert "image/svg+xml" not in bundle
    assert "weight" in bundle["text/html"] and "scaled" in bundle["text/html"]
    np.testing.assert_allclose(shell.user_ns["rec"].variables["weight"].grad, [2, 4, 6])


def test_magic_displays_svg_and_html(shell):
    _need_svg()
    result, cap = _cell(shell, "%%gradviz\n" + PROGRAM)
    assert result.success, cap.stderr
    (bundle,) = _bundles(cap)
    assert "image/svg+xml" in bundle and "text/html" in bundle
    for name in ("weight", "scaled"):
        assert name in bundle["image/svg+xml"] and name in bundle["text/html"]


def test_magic_reports_errors_like_the_cli_not_a_traceback(shell):
    result, cap = _cell(shell, "%%gradviz --no-graph\n" + FAILING)
    assert result.success                       # the cell itself did not raise
    assert cap.stdout == "tensor([1., 2.], requires_grad=True)\n"
    lines = cap.stderr.splitlines()
    assert lines[0].startswith("<cell>:3:8: error: ")
    assert lines[1] == "    oops = weight @ ones(3)"
    assert lines[2] == "           ^^^^^^^^^^^^^^^^"
    assert "Traceback" not in cap.stderr and "Traceback" not in cap.stdout
    (bundle,) = _bundles(cap)                   # the run so far is still shown
    assert "weight" in bundle["text/html"]


def test_magic_syntax_error_and_bad_usage(shell):
    result, cap = _cell(shell, "%%gradviz\nx = (1 +\n")
    assert result.success
    assert cap.stderr.startswith("<cell>:") and "error:" in cap.stderr
    assert "Traceback" not in cap.stderr and _bundles(cap) == []
    result, cap = _cell(shell, "%%gradviz --bogus\nx = ones(2)\n")
    assert "usage: %%gradviz" in cap.stderr and _bundles(cap) == []
