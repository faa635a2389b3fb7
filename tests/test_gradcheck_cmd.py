"""`gradviz check`: every reverse pass of a program against central finite
differences and forward mode, in float64; kinks reported, not failed; a
broken rule injected through the registry is caught and named."""
from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from sweeps import KNOWN_CHECK_GAPS, Repeats
from test_forward import small_programs

import gradviz
from gradviz import autodiff, gradcheck
from gradviz.cli import main
from gradviz.errors import GradvizError
from gradviz.forward import backward_graph
from gradviz.gradcheck import check_source
from gradviz.ops import OPS
from gradviz.tape import RunOptions

HERE = Path(__file__).parent
ROOT = HERE.parent
SAMPLES = sorted((ROOT / "samples").glob("*.txt"))
CONFORMANCE = sorted(list((HERE / "conformance").glob("*.txt"))
                     + list((HERE / "conformance_extra").glob("*.txt")))


def cli(*args):
    # click < 8.2 mixes stderr into the output unless told not to
    runner = CliRunner(mix_stderr=False) if "mix_stderr" in \
        CliRunner.__init__.__code__.co_varnames else CliRunner()
    return runner.invoke(main, [*args, "--color", "never"], catch_exceptions=False)


def statuses(report) -> dict:
    return {(p.pass_no, i.name): i.status for p in report.passes for i in p.inputs}


def broken(monkeypatch, name="mul", vjp=True):
    """OPS[name] with its first VJP (or JVP) rule off by a factor of 2."""
    good = OPS[name]
    if vjp:
        rules = (lambda g, ans, xs, p: 2 * good.vjp[0](g, ans, xs, p),) + good.vjp[1:]
        monkeypatch.setitem(OPS, name, dataclasses.replace(good, vjp=rules))
    else:
        rules = (lambda t, ans, xs, p: 2 * good.jvp[0](t, ans, xs, p),) + good.jvp[1:]
        monkeypatch.setitem(OPS, name, dataclasses.replace(good, jvp=rules))


# ---- it passes where it should ----------------------------------------------

@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_check_passes_on_every_sample(sample):
    result = cli("check", str(sample))
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    source = sample.read_text()
    # a hook that clips (or a module's pre-hook that scales): not the derivative, by design
    if "register_hook(" in source or "backward_pre_hook(" in source:
        assert "went through a register_hook() that changed them: no rule is wrong" in text
    else:
        assert "✓ every gradient agrees" in text
    assert "FAIL" not in result.output


# the sweep's node visits of finite differences and forward mode per
# program (check's own
# budget is per pass): two replays of the graph per input element make a
# training loop of 169 passes, or LeNet's 61,706 weights, a minute of work.
# Past it, the program's later inputs are skipped as check skips an input too
# big for its budget; its first passes are checked in full (and every pass
# of every program along a direction in test_forward.py's sweep).
SWEEP_FD_VISITS = 50_000


class SweepChecker(gradcheck.GradChecker):
    """check_source's hook with one budget for the whole program."""

    def __init__(self, *args, monkeypatch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.left = SWEEP_FD_VISITS
        self.monkeypatch = monkeypatch
        self.forward_fits = {}      # pass -> whether its forward mode fit the budget
        self.repeats = Repeats()

    def __call__(self, rt, kind, roots, seeds, inputs) -> None:
        # (a pass whose graph repeats a checked one, a training loop's next
        # step: not checked again, see sweeps.py)
        if self.repeats.seen(roots, inputs, rt.tape.backward_passes + 1) is not None:
            return
        self.monkeypatch.setattr(gradcheck, "MAX_FD_NODE_VISITS", self.left)
        super().__call__(rt, kind, roots, seeds, inputs)
        nodes = max(len(backward_graph(roots)), 1)
        check = self.passes[-1]
        fits = self.forward_fits[check.pass_no] = check.jvp_passes * nodes <= self.left
        self.left -= fits * check.jvp_passes * nodes + sum(2 * i.numeric.size * nodes
                         for i in check.inputs if i.numeric is not None)


@pytest.mark.parametrize("case", CONFORMANCE, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_check_passes_on_every_conformance_program_that_succeeds(case, monkeypatch):
    if case.stem in KNOWN_CHECK_GAPS:
        pytest.skip(KNOWN_CHECK_GAPS[case.stem])
    checker = []
    monkeypatch.setattr(gradcheck, "GradChecker", lambda *args: checker.append(
        SweepChecker(*args, monkeypatch=monkeypatch)) or checker[0])
    try:
        report = check_source(case.read_text(), case.name)
    except GradvizError:
        pytest.skip("the program fails (as in PyTorch)")
    assert report.ok, report.failure_messages()
    assert report.passes, "every conformance program that succeeds calls backward"
    checked = 0
    for p in report.passes:
        for i in p.inputs:
            if i.numeric is None:
                assert "too many for finite differences" in i.reason or \
                    "changed in place under torch.no_grad()" in i.reason, i.reason
                continue
            checked += 1
            assert i.forward is not None or p.forward_skipped \
                or not checker[0].forward_fits[p.pass_no]
    assert checked or not any(p.inputs for p in report.passes), \
        "the budget leaves the first pass's inputs checked"


def test_every_leaf_of_every_pass_is_checked():
    report = check_source((ROOT / "samples" / "mlp.txt").read_text())
    (p,) = report.passes
    assert [(i.name, i.shape) for i in p.inputs] == [("W1", (3, 2)), ("b1", (3,)),
                                                      ("W2", (1, 3))]
    for i in p.inputs:
        assert i.status == "ok" and i.fd_abs < 1e-8 and i.fwd_abs < 1e-12
        np.testing.assert_allclose(i.reverse, i.numeric, atol=1e-8)
    assert p.jvp_passes == 12


def test_later_statements_that_use_earlier_gradients():
    """An SGD step between two backward passes: the second pass is checked at
    the updated values (a finite difference of the first pass's inputs would
    be wrong here)."""
    src = ("w = tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
           "x = tensor([1.0, 2.0, 3.0])\n"
           "loss = ((w * x).sum() - 1.0) ** 2\nloss.backward()\n"
           "with torch.no_grad():\n    w -= 0.1 * w.grad\n"
           "w.grad.zero_()\n"
           "loss = ((w * x).sum() - 1.0) ** 2 + (w * w.grad).sum()\nloss.backward()\n")
    report = check_source(src)
    assert report.ok and len(report.passes) == 2
    second = report.passes[1].inputs[0]
    w1 = np.array([0.5, -1.0, 2.0]) - 0.1 * 2 * (4.5 - 1.0) * np.array([1.0, 2.0, 3.0])
    want = 2 * ((w1 * [1, 2, 3]).sum() - 1.0) * np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(second.reverse, want, rtol=1e-6)   # .grad (zeroed) is a constant
    np.testing.assert_allclose(second.numeric, want, rtol=1e-6)


def test_grad_calls_with_nonleaf_inputs_are_checked():
    src = ("x = tensor([1.0, 2.0], requires_grad=True)\ny = x * x\nz = (y * x).sum()\n"
           "gy, gx = grad(z, [y, x])\n")
    report = check_source(src)
    assert statuses(report) == {(1, "y"): "ok", (1, "x"): "ok"}


def test_a_second_derivative_is_checked():
    src = ("x = tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
           "g, = grad((x ** 3).sum(), x, create_graph=True)\n(g * g).sum().backward()\n")
    report = check_source(src)
    assert report.ok and len(report.passes) == 2
    np.testing.assert_allclose(report.passes[1].inputs[0].reverse,
                               [2 * 3 * 0.25 * 6 * 0.5, 2 * 3 * 6 * -1.0, 2 * 12 * 12], rtol=1e-9)


# ---- kinks -----------------------------------------------------------------------

@pytest.mark.parametrize(("src", "status"), [
    # one-sided derivatives that differ: the finite difference takes their mean
    ("x = tensor([-1.0, 0.0, 2.0], requires_grad=True)\nrelu(x).sum().backward()", "kink"),
    ("x = tensor([-1.0, 0.0, 0.5], requires_grad=True)\nclamp(x, min=0.0).sum().backward()",
     "kink"),
    ("x = tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)\n"
     "x.max(dim=1).values.sum().backward()", "kink"),
    # PyTorch's convention is that mean here (abs'(0) = 0, ties split): they agree
    ("x = tensor([-1.5, 0.0, 2.0], requires_grad=True)\nabs(x).sum().backward()", "ok"),
    ("x = tensor([1.0, 3.0, 3.0], requires_grad=True)\nx.max().backward()", "ok"),
    ("a = tensor([1.0, 2.0], requires_grad=True)\nb = tensor([1.0, 0.0])\n"
     "maximum(a, b).sum().backward()", "ok"),
    # probabilities of 0 and 1 end binary_cross_entropy's domain (its logs are clamped)
    ("p = tensor([0.25, 1.0, 0.0], requires_grad=True)\n"
     "F.binary_cross_entropy(p, tensor([1.0, 1.0, 0.0])).backward()", "kink"),
], ids=["relu", "clamp", "max_dim", "abs", "max", "maximum", "bce"])
def test_kinks_are_reported_not_failed(src, status):
    report = check_source(src)
    assert report.ok
    (item,) = report.passes[0].inputs
    assert item.status == status and item.kinks, item
    assert "kink" in item.reason


def test_a_kink_in_the_cli_output(tmp_path):
    f = tmp_path / "kink.txt"
    f.write_text("x = tensor([-1.0, 0.0, 2.0], requires_grad=True)\nrelu(x).sum().backward()\n")
    result = cli("check", str(f))
    assert result.exit_code == 0
    assert "kink" in result.output and "1 at a kink" in result.output


def test_smooth_inputs_near_no_kink_are_ok():
    report = check_source("x = tensor([-1.0, 0.5, 2.0], requires_grad=True)\n"
                          "relu(x).sum().backward()\n")
    assert statuses(report) == {(1, "x"): "ok"}


# ---- it fails where it should ------------------------------------------------------

def test_a_broken_vjp_fails_and_is_named(monkeypatch, tmp_path):
    broken(monkeypatch, "mul")
    result = cli("check", str(ROOT / "samples" / "chain_rule.txt"))
    assert result.exit_code == 1
    err = result.stderr
    assert "check failed" in err
    assert "x:" in err and "VJP of input 0 of mul at n2 (line 5: x * x)" in err
    assert "FAIL" in result.stdout


def test_a_broken_jvp_is_told_apart(monkeypatch):
    broken(monkeypatch, "mul", vjp=False)
    report = check_source((ROOT / "samples" / "chain_rule.txt").read_text())
    ((p, item),) = report.failures
    assert "forward mode disagrees" in item.reason
    assert item.culprits and item.culprits[0][1] == ["JVP of input 0"]


def test_an_engine_bug_is_told_apart_from_a_wrong_rule(monkeypatch):
    """Every rule right, the gradients combined wrongly (here: unbroadcast)."""
    from gradviz.ops.registry import unbroadcast
    monkeypatch.setattr(autodiff, "unbroadcast", lambda g, shape: 2 * unbroadcast(g, shape))
    report = check_source((ROOT / "samples" / "broadcast.txt").read_text())
    names = {i.name for _, i in report.failures}
    assert names == {"b"}
    assert "the engine combined them wrongly" in report.failures[0][1].reason


def test_a_function_with_coarse_values_is_checked_with_a_coarser_step():
    """trigamma's float64 series (PyTorch's) is accurate to about 1e-10: a
    step of 1e-6 turns that into an error of 1e-3 in the difference, one of
    1e-4 does not (reverse and forward mode agreed: not a wrong rule)."""
    src = ("x = tensor([0.5, 1.5, 3.0, 0.25, 7.0], requires_grad=True)\n"
           "torch.polygamma(1, x).sum().backward()\n")
    report = check_source(src)
    ((p, item),) = [(p, i) for p in report.passes for i in p.inputs]
    assert item.status == "ok" and item.coarse
    assert "step of 0.0001" in item.reason
    assert item.fd_abs < 1e-5 * 20           # (the gradient at 0.25 is about -64)


def test_a_rule_wrong_in_both_modes_still_fails_with_the_coarser_step(monkeypatch):
    """VJP and JVP wrong alike agree with each other: only finite differences
    can tell, and the retry with the coarser step must not hide it."""
    good = OPS["mul"]
    monkeypatch.setitem(OPS, "mul", dataclasses.replace(
        good, vjp=(lambda g, ans, xs, p: 1.001 * good.vjp[0](g, ans, xs, p),) + good.vjp[1:],
        jvp=(lambda t, ans, xs, p: 1.001 * good.jvp[0](t, ans, xs, p),) + good.jvp[1:]))
    report = check_source("a = tensor([0.5, -1.5, 2.0], requires_grad=True)\n"
                          "b = tensor([3.0, 0.25, -1.0], requires_grad=True)\n"
                          "(a * b).sum().backward()\n")
    assert {i.name for _, i in report.failures} == {"a"}
    (_, item), = report.failures
    assert "reverse and forward mode agree but differ from finite differences" in item.reason
    assert item.culprits and item.culprits[0][1] == ["VJP of input 0", "JVP of input 0"]


def test_the_tolerance_matters():
    src = "x = tensor([0.5, 1.0], requires_grad=True)\n(x ** 3).sum().backward()\n"
    assert check_source(src, tol=1e-5).ok
    assert not check_source(src, tol=1e-14).ok      # finite differences are not that exact


# ---- a sample of a big leaf's elements ------------------------------------------------

BIG = ("torch.manual_seed(0)\nW = torch.randn(40, 30, requires_grad=True)\n"
       "x = torch.randn(30)\n(torch.tanh((W * W) @ x) ** 2).sum().backward()\n")


def test_a_big_leaf_is_checked_at_a_sample_of_its_elements():
    report = check_source(BIG)
    ((p, item),) = [(p, i) for p in report.passes for i in p.inputs]
    assert item.status == "ok" and item.shape == (40, 30)
    picked = list(item.sampled)
    assert len(picked) == 256 and picked == sorted(set(picked)) and 0 <= picked[0] < picked[-1] < 1200
    assert item.numeric.shape == item.forward.shape == (256,) and p.jvp_passes == 256
    assert item.reverse.shape == (40, 30)          # the table shows the whole gradient
    np.testing.assert_allclose(item.at(item.reverse), item.numeric, atol=1e-8)
    assert "256 of its 1,200 elements checked" in item.reason
    # the same elements every run (a failure can be run again)
    assert list(check_source(BIG).passes[0].inputs[0].sampled) == picked
    # --sample 0: every element
    full = check_source(BIG, sample=0).passes[0]
    assert full.inputs[0].sampled is None and full.inputs[0].numeric.shape == (40, 30)
    assert full.jvp_passes == 1200 and full.inputs[0].reason == ""
    np.testing.assert_allclose(full.inputs[0].numeric.reshape(-1)[picked], item.numeric)


@pytest.mark.parametrize("vjp", [True, False])
def test_a_wrong_rule_fails_in_the_sample(monkeypatch, vjp):
    broken(monkeypatch, "mul", vjp=vjp)
    report = check_source(BIG, sample=16)
    ((p, item),) = report.failures
    assert len(item.sampled) == 16 and "16 of its 1,200 elements checked" in item.reason
    assert item.culprits and item.culprits[0][1] == [f"{'VJP' if vjp else 'JVP'} of input 0"]


def check_at_80_columns(tmp_path, source: str) -> str:
    """`gradviz check`'s output for source in an 80-column terminal."""
    f = tmp_path / "program.txt"
    f.write_text(source)
    result = CliRunner().invoke(main, ["check", str(f), "--color", "never"],
                                env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def test_a_reason_is_a_note_under_the_table_at_80_columns(tmp_path):
    # in the verdict column it read one word a line, "register_h" over "ook()"
    output = check_at_80_columns(tmp_path, "w = tensor([0.5, -1.0], requires_grad=True)\n"
                                           "b = tensor(0.1, requires_grad=True)\n"
                                           "b.register_hook(lambda g: g * 2)\n"
                                           "(w * b).sum().backward()\n")
    assert "changed¹" in output
    assert "¹ b: a register_hook() changed the gradient" in output


def test_parameter_names_and_verdicts_stay_whole_at_80_columns(tmp_path):
    # rich shared the width out by content: "lstm.weight" over "_ih_l0"
    output = check_at_80_columns(tmp_path, "torch.manual_seed(0)\n"
                                           "lstm = nn.LSTM(3, 4)\n"
                                           "out, (h, c) = lstm(torch.randn(5, 1, 3))\n"
                                           "out.sum().backward()\n")
    rows = [line.split() for line in output.splitlines() if line.startswith("lstm.")]
    assert [row[0] for row in rows] == ["lstm.weight_ih_l0", "lstm.weight_hh_l0",
                                        "lstm.bias_ih_l0", "lstm.bias_hh_l0"]
    assert all(row[-1] == "ok" for row in rows)
    assert max(map(len, output.splitlines())) <= 80


def test_the_sample_in_the_cli(tmp_path):
    f = tmp_path / "big.txt"
    f.write_text(BIG)
    wide = {"COLUMNS": "250"}            # (a table cell wraps its words)
    result = CliRunner().invoke(main, ["check", str(f), "--sample", "100"], env=wide)
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "100 of its 1,200 elements checked" in text
    assert "forward mode: 100 passes (one per input element checked)" in text
    result = CliRunner().invoke(main, ["check", str(f), "--sample", "0"], env=wide)
    text = " ".join(result.output.split())
    assert result.exit_code == 0 and "elements checked" not in text
    assert "forward mode: 1,200 passes (one per input element)" in text
    assert CliRunner().invoke(main, ["check", str(f), "--sample", "-1"]).exit_code == 2


def test_inf_and_nan_inputs_are_left_out_of_the_finite_differences(monkeypatch):
    """inf + h is inf: no difference can be taken there; where() masks them
    in the program, and the other elements are checked as usual."""
    src = ("x = tensor([1.0, float('nan'), float('inf'), 0.5], requires_grad=True)\n"
           "torch.where(torch.isfinite(x), x * 3, torch.zeros(4)).sum().backward()\n")
    ((p, item),) = [(p, i) for p in check_source(src).passes for i in p.inputs]
    assert item.status == "ok" and list(item.nonfinite) == [False, True, True, False]
    assert "2 inf or NaN element(s) left out of the finite differences" in item.reason
    broken(monkeypatch, "mul")
    ((_, failed),) = check_source(src).failures
    assert failed.culprits and "VJP of input 0" in failed.culprits[0][1]


# ---- programs that do not get that far --------------------------------------------

def test_a_failing_program_exits_1(tmp_path):
    result = cli("check", str(HERE / "conformance" / "error_twice.txt"))
    assert result.exit_code == 1
    assert "backward through the graph a second time" in result.stderr


def test_no_backward_nothing_to_check(tmp_path):
    f = tmp_path / "none.txt"
    f.write_text("x = tensor([1.0])\nprint(x)\n")
    result = cli("check", str(f))
    assert result.exit_code == 0 and "nothing to check" in result.output


@pytest.mark.parametrize("tol", ["0", "-1", "abc"])
def test_a_bad_tolerance_is_a_usage_error(tol):
    result = CliRunner().invoke(main, ["check", str(SAMPLES[0]), "--tol", tol])
    assert result.exit_code == 2


# ---- float64 runs ---------------------------------------------------------------------

def test_float64_mode_keeps_the_programs_values():
    src = ("x = tensor([0.1, 2.0], requires_grad=True)\ny = arange(3) * 0.5\n"
           "z = (x * 3).float()\nw = ones(2)\n")
    r32 = gradviz.run_source(src, stdout=io.StringIO())
    r64 = gradviz.run_source(src, stdout=io.StringIO(),
                             options=RunOptions(default_float="float64"))
    v32, v64 = r32.variables, r64.variables
    assert [v64[k].dtype for k in "xyzw"] == ["float64"] * 4
    assert [v32[k].dtype for k in "xyzw"] == ["float32"] * 4
    # the same point: float32-rounded leaves, computed exactly after that
    assert v64["x"].value[0] == np.float64(np.float32(0.1))
    assert v64["z"].value[0] == np.float64(np.float32(0.1)) * 3


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(small_programs())
def test_check_passes_on_random_programs(src):
    report = check_source(src)
    assert report.ok, (src, report.failure_messages())
    assert all(i.numeric is not None for p in report.passes for i in p.inputs)


def test_values_changed_through_data_are_named_not_blamed_on_a_rule():
    # y.data += 1 escapes PyTorch's version check: backward uses the changed
    # exp(x), so the gradient is not the derivative; no rule is wrong
    report = check_source("x = tensor([1.0, 2.0], requires_grad=True)\ny = x.exp()\n"
                          "w = y.data\nw += 1\ny.sum().backward()\n", "p.txt")
    (item,) = report.passes[0].inputs
    assert item.status == "changed" and "n1" in item.reason
    assert report.ok and not item.culprits


def test_a_gradient_that_is_not_finite_is_singular_not_failed():
    """The target's gradient of binary_cross_entropy at p = 1 is -logit(1) =
    -inf, as in PyTorch: no finite difference can judge it (nor forward
    mode, whose inf * 0 is NaN), so it is reported, not failed."""
    report = check_source("p = tensor([0.25, 1.0])\nt = tensor([1.0, 0.5], requires_grad=True)\n"
                          "F.binary_cross_entropy(p, t).backward()")
    assert report.ok
    (item,) = report.passes[0].inputs
    assert item.status == "singular" and "not finite" in item.reason
