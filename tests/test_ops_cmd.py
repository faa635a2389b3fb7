"""`gradviz ops` and docs/dsl.md: the reference generated from the registry."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradviz.cli import main
from gradviz.ops import OPS
from gradviz.ops.registry import NOT_IMPLEMENTED
from gradviz.render.opstable import COLUMNS, RUNTIME_GRAD_FN, op_rows, ops_markdown

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "dsl.md"


def _load_script():
    spec = importlib.util.spec_from_file_location("make_dsl_docs",
                                                  ROOT / "scripts" / "make_dsl_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_registered_op_has_a_row_in_registry_order():
    from gradviz.versions import QUALIFIED_NAMES

    rows = op_rows()
    assert [r.op for r in rows] == list(OPS)
    for row, op in zip(rows, OPS.values()):
        op_name, written, grad_fns, formula, jvp = row.parts()
        assert op_name == (op.name,)
        if op.differentiable:
            assert grad_fns and all("Backward" in g or g == RUNTIME_GRAD_FN or g in QUALIFIED_NAMES
                                    or (op.no_derivative and g == NOT_IMPLEMENTED)
                                    for g in grad_fns), op.name
            assert formula, f"{op.name}: no VJP formula"
        assert jvp == ("yes" if op.no_derivative is None and any(j is not None for j in op.jvp)
                       else "no",)


def test_forms_come_from_the_tables():
    from gradviz.functions import FUNCTIONS, METHODS

    rows = {r.op: r for r in op_rows()}
    for name, row in rows.items():
        # (torch.rsub is the rsub_alpha op's form; the rsub op is `2 - x`'s)
        assert (name in FUNCTIONS and name != "rsub") == (name in row.functions), name
        assert (name in METHODS) == (f"x.{name}()" in row.methods), name
    assert rows["mul"].operator == "a * b" and "x.mul()" in rows["mul"].methods
    assert "F.relu" in rows["relu"].functions
    assert rows["max_dim"].functions == ("max(x, dim)",)
    assert rows["rsub"].operator == "2 - x" and rows["rsub"].functions == ()
    assert rows["rsub_alpha"].functions == ("rsub",)
    assert set(rows["pow"].grad_fns) == {"PowBackward0", "PowBackward1", "PowBackward2"}
    assert "SelectBackward0" in rows["index"].grad_fns        # chosen by the indexing code
    assert rows["eq"].grad_fns == () and not rows["eq"].jvp


def test_ops_command_prints_every_op():
    res = CliRunner().invoke(main, ["ops", "--color", "never"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    for name in OPS:
        assert name in res.stdout, name
    for column in COLUMNS:
        assert column in res.stdout
    assert "[x > 0]" in res.stdout          # formulas are text, not rich markup
    assert "\x1b[" not in res.stdout
    assert max(len(line) for line in res.stdout.splitlines()) <= 160


def test_ops_command_on_a_narrow_terminal_folds_no_name():
    """At 80 columns each op is a block of labelled lines, so grad_fn names
    and formulas stay whole (the five-column table folded them mid-word)."""
    res = CliRunner().invoke(main, ["ops", "--color", "never"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    lines = [line.rstrip() for line in res.stdout.splitlines()]
    assert max(len(line) for line in lines) <= 80
    blocks = {line for line in lines if line and not line.startswith(" ")}
    assert set(OPS) <= blocks
    grad_fn_lines = {line.split(None, 1)[1] for line in lines if line.startswith("  grad_fn ")}
    for row in op_rows():
        if row.grad_fns and len(", ".join(row.grad_fns)) <= 66:
            assert ", ".join(row.grad_fns) in grad_fn_lines, row.op
    assert "d(a*b)/da = b" in res.stdout and "[x > 0]" in res.stdout


def test_ops_markdown_is_the_docs_table():
    res = CliRunner().invoke(main, ["ops", "--format", "markdown"])
    assert res.exit_code == 0
    assert res.stdout == ops_markdown()
    assert res.stdout in DOC.read_text(encoding="utf-8")


def test_committed_dsl_docs_are_up_to_date():
    script = _load_script()
    if DOC.read_text(encoding="utf-8") != script.render():
        pytest.fail("docs/dsl.md is stale: run python scripts/make_dsl_docs.py and commit it")


def test_dsl_docs_have_the_grammar_and_every_op():
    text = DOC.read_text(encoding="utf-8")
    assert "program := statement* EOF" in text
    assert "## Grammar" in text and "## Ops" in text
    for name in OPS:
        assert f"| `{name}` |" in text, name


def test_check_mode_detects_a_stale_doc(tmp_path, monkeypatch):
    script = _load_script()
    stale = tmp_path / "dsl.md"
    stale.write_text(script.render().replace("MulBackward0", "MulBackward9"))
    monkeypatch.setattr(script, "DOC", stale)
    monkeypatch.setattr(script, "ROOT", tmp_path)
    assert script.main(["--check"]) == 1
    assert script.main([]) == 0 and script.main(["--check"]) == 0


def test_readme_links_the_dsl_reference():
    assert "(docs/dsl.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
