"""Higher-order derivatives: grad(..., create_graph=True) and
backward(create_graph=True) record the backward pass as graph ops, so the
gradient can be differentiated again (and drawn)."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
from test_gradcheck_ops import INPUTS, ONE_TRIANGLE, SYMMETRIC

import gradviz
from gradviz import autodiff
from gradviz.errors import GradvizError
from gradviz.higher_order import GRAPH_VJPS, ONLY_INPUTS, REFUSALS, _sum_to
from gradviz.interpreter import Interpreter
from gradviz.ops import OPS, unbroadcast
from gradviz.tape import RunOptions
from gradviz.tensor import Tensor

X = [0.5, -1.0, 2.0]
FUNCS = {"cube": "x ** 3", "tanh": "tanh(x)", "sigmoid": "sigmoid(x)"}
# second derivatives at X, as PyTorch 2.13 computes them with create_graph=True
# (read off real torch; re-checked against it below when it is installed)
SECOND = {
    "cube": [3.0, -6.0, 12.0],
    "tanh": [-0.7268619537353516, 0.6396999359130859, -0.13621866703033447],
    "sigmoid": [-0.05755680054426193, 0.09085775166749954, -0.07996252179145813],
}


def run(src: str):
    return gradviz.run_source(src, stdout=io.StringIO())


def second_derivative_program(expr: str) -> str:
    return (f"x = tensor({X}, requires_grad=True)\n"
            f"d1, = grad(({expr}).sum(), x, create_graph=True)\n"
            "d2, = grad(d1.sum(), x, create_graph=True)\n")


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_second_derivatives_pinned(name):
    r = run(second_derivative_program(FUNCS[name]))
    np.testing.assert_allclose(r.variables["d2"].value, SECOND[name], rtol=1e-6)
    assert r.variables["d2"].grad_fn is not None      # it can be differentiated again


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_second_derivatives_match_pytorch(name):
    torch = pytest.importorskip("torch")
    x = torch.tensor(X, requires_grad=True)
    y = {"cube": lambda: x ** 3, "tanh": lambda: torch.tanh(x),
         "sigmoid": lambda: torch.sigmoid(x)}[name]()
    d1, = torch.autograd.grad(y.sum(), x, create_graph=True)
    d2, = torch.autograd.grad(d1.sum(), x, create_graph=True)
    r = run(second_derivative_program(FUNCS[name]))
    for ours, theirs in ((r.variables["d1"], d1), (r.variables["d2"], d2)):
        np.testing.assert_allclose(ours.value, theirs.detach().numpy(), rtol=1e-6, atol=1e-7)
        assert ours.grad_fn == type(theirs.grad_fn).__name__
    np.testing.assert_allclose(SECOND[name], d2.detach().numpy(), rtol=1e-6)


def test_third_derivative_of_a_cube_is_6():
    r = run(second_derivative_program("x ** 3") + "d3, = grad(d2.sum(), x)\n")
    np.testing.assert_array_equal(r.variables["d3"].value, [6.0, 6.0, 6.0])


def test_backward_with_create_graph_prints_like_pytorch():
    src = ("x = tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
           "(x * x * x).sum().backward(create_graph=True)\nprint(x.grad)\n"
           "x.grad.sum().backward()\nprint(x.grad)\n")
    out = io.StringIO()
    gradviz.run_source(src, stdout=out)
    assert out.getvalue() == ("tensor([ 0.7500,  3.0000, 12.0000], grad_fn=<CopyBackwards>)\n"
                              "tensor([ 3.7500, -3.0000, 24.0000], grad_fn=<CopyBackwards>)\n")


def test_the_gradient_computation_is_a_graph():
    r = run(second_derivative_program("tanh(x)"))
    grad_line = [n for n in r.nodes if n.line == 2]
    ops = [n.op for n in grad_line if n.kind == "op"]
    # the forward (tanh, sum), then the backward recorded: sum's gradient is an
    # expand, tanh's is one tanh_backward node (PyTorch's TanhBackwardBackward0)
    assert ops == ["tanh", "sum", "expand", "tanh_backward"]
    assert all(n.grad_fn for n in grad_line if n.kind == "op" and n.requires_grad)
    # the second grad() walked back through the first one's tanh_backward node
    # and the forward's tanh to x (the seed's expand needs no gradient)
    visited = {r.nodes[s["node"]].op for s in r.passes[1]["steps"]}
    assert visited == {"sum", "tanh_backward", "tanh", "tensor"}


def test_defaults_and_errors_follow_pytorch():
    base = "x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\n"
    # retain_graph defaults to create_graph: a second call works
    run(base + "g, = grad(y, x, create_graph=True)\nh, = grad(y, x, create_graph=True)\n")
    with pytest.raises(GradvizError, match="backward through the graph a second time"):
        run(base + "g, = grad(y, x, create_graph=True, retain_graph=False)\n"
                   "h, = grad(y, x, create_graph=True)\n")
    r = run(base + "z = tensor(1.0, requires_grad=True)\n"
                   "g, u = grad(y, [x, z], create_graph=True, allow_unused=True)\n")
    assert "u" not in r.variables
    with pytest.raises(GradvizError, match="not have been used in the graph"):
        run(base + "z = tensor(1.0, requires_grad=True)\n"
                   "g, u = grad(y, [x, z], create_graph=True)\n")
    # the gradient of a linear function is a constant: nothing to differentiate
    with pytest.raises(GradvizError, match="does not require grad"):
        run("x = tensor([1.0], requires_grad=True)\n"
            "g, = grad((2 * x).sum(), x, create_graph=True)\ng.sum().backward()\n")


@pytest.mark.parametrize(("expr", "name"), [("(x - 1).cumprod(0)", "cumprod"), ("x.quantile(0.5)", "quantile")])
def test_an_op_without_a_graph_rule_is_named(expr, name):
    with pytest.raises(GradvizError, match=f"create_graph=True is not supported through "
                                           f"{name}") as info:
        run(f"x = tensor([1.0, 2.0], requires_grad=True)\n"
            f"g, = grad({expr}.sum() * 2, x, create_graph=True)\n")
    assert info.value.span is not None and info.value.span.line == 2


# ---- every graph rule, against the op's own VJP and a finite difference ---------

CASES = [(name, i) for name in sorted(GRAPH_VJPS) if name in INPUTS
         for i in range(len(INPUTS[name]))]


def test_the_graph_rules_cover_the_ops_asked_for():
    wanted = {"add", "sub", "rsub", "neg", "mul", "div", "rdiv", "pow", "exp", "log", "sin",
              "cos", "tanh", "sigmoid", "sum", "mean", "square", "relu", "reshape", "view",
              "T", "transpose", "matmul", "dot", "mv", "mm", "index"}
    assert wanted <= set(GRAPH_VJPS)
    assert set(GRAPH_VJPS) <= set(OPS)


# cases where PyTorch's second derivative is NaN at some inputs though the
# function is smooth there: mask(xs) -> where (sinc at 0: its formula's
# where() passes a zero gradient to a division by x^2 = 0)
NAN_IN_PYTORCH = {("sinc", 4): lambda xs: xs[0] == 0}


def _case(name, i):
    rng = np.random.default_rng(7 * i + sum(map(ord, name)))
    args, params = INPUTS[name][i]
    return [make(rng) for make in args], dict(params), rng


@pytest.mark.parametrize(("name", "i"), CASES, ids=[f"{n}-{i}" for n, i in CASES])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")   # (a 0-d std of 0 divides by it, as PyTorch)
def test_graph_rule_matches_the_vjp_and_its_derivative(name, i):
    """First order: the recorded rule computes what op.vjp computes. Second
    order: backward through it gives d/dx <c, vjp(x)>, checked against a
    central finite difference of op.vjp itself."""
    op = OPS[name]
    xs, params, rng = _case(name, i)
    rt = Interpreter("", io.StringIO(), options=RunOptions(default_float="float64"))
    rules = op.vjp if not op.variadic else op.vjp * len(xs)
    args = [rt.tape.add(Tensor(x.copy(), x.dtype == np.float64 and rules[k] is not None))
            if isinstance(x, np.ndarray) else x for k, x in enumerate(xs)]
    out = rt.apply(op, tuple(args), params)
    if name in REFUSALS and REFUSALS[name](out):
        pytest.skip("refused (prod with a zero, cross_entropy with label smoothing)")
    g = rng.normal(size=out.data.shape)
    wrt = [k for k, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    for k in wrt:
        if k not in ONLY_INPUTS.get(name, (k,)):
            continue          # refused (a third derivative not recorded)
        gi = GRAPH_VJPS[name](rt, rt.tape.add(Tensor(g)), out, k)
        if gi is None:        # PyTorch's undefined gradient: the op's VJP has none either
            assert _raw_vjp(op, g, xs, params, k) is None
            continue
        gi = _sum_to(rt, gi, args[k].data.shape)
        want = _vjp(op, g, xs, params, k)
        np.testing.assert_allclose(gi.data, want, rtol=1e-10, atol=1e-12)
        if not gi.requires_grad:
            continue          # a linear op: the gradient is a constant
        if gi.op.no_derivative:
            continue          # PyTorch's gradient has none (hardsigmoid's): pinned apart
        c = rng.normal(size=gi.data.shape)
        s = rt.apply(OPS["sum"], (rt.apply(OPS["mul"], (gi, c)),), {"dim": None})
        leaves = [args[j] for j in wrt]
        grads, *_ = autodiff.run_backward([s], [np.ones(())], True, accumulate=False,
                                          inputs=leaves)
        for j in wrt:
            got = grads.get(args[j], np.zeros(xs[j].shape))
            if (name, i) in NAN_IN_PYTORCH:
                nan = NAN_IN_PYTORCH[name, i](xs)
                assert np.isnan(got[nan]).all()
                got = np.where(nan, 0.0, got)
            numeric = _numeric(lambda xj: np.sum(c * _vjp(op, g, _with(xs, j, xj), params, k)),
                               xs[j], symmetric=name in SYMMETRIC)
            if ONE_TRIANGLE.get(name) == j:     # PyTorch's gradient fills the whole factor
                read = np.triu if params.get("upper") else np.tril
                got, numeric = read(got), read(numeric)
            if (name, i) in NAN_IN_PYTORCH:
                numeric = np.where(NAN_IN_PYTORCH[name, i](xs), 0.0, numeric)
            np.testing.assert_allclose(got, numeric, rtol=1e-5, atol=1e-6,
                                       err_msg=f"d/dx{j} of the VJP of input {k}")


def _with(xs, j, xj):
    out = list(xs)
    out[j] = xj
    return out


def _raw_vjp(op, g, xs, params, k):
    ans = np.asarray(op.forward(list(xs), params))
    return op.vjp[0](g, ans, list(xs), params, k) if op.variadic else \
        op.vjp[k](g, ans, list(xs), params)


def _vjp(op, g, xs, params, k):
    v = _raw_vjp(op, g, xs, params, k)
    return unbroadcast(np.asarray(v, np.float64), np.shape(xs[k]))


def _numeric(f, x, h=1e-6, symmetric=False):
    """The gradient of f at x by central differences (for an op that reads
    one triangle of a symmetric matrix, along symmetric directions, as
    PyTorch's symmetric gradient is)."""
    out = np.zeros(x.shape)
    for j in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[j] = h
        if symmetric:
            e = (e + np.swapaxes(e, -1, -2)) / 2
        plus, minus = x + e, x - e
        out[j] = (f(plus) - f(minus)) / (2 * h)
    return out


def test_a_third_derivative_through_a_smooth_activation_is_refused():
    # elu's gradient is one EluBackwardBackward0 node, as PyTorch's; its
    # derivative by x (a third derivative of elu) is not recorded
    first = ("x = tensor([0.5, -1.0], requires_grad=True)\n"
             "g, = grad(F.elu(x).sum(), x, create_graph=True)\n")
    with pytest.raises(GradvizError, match="not supported through elu_backward "
                                           r"\(by its input x: a third derivative of elu\)"):
        run(first + "h, = grad(g.sum(), x, create_graph=True)\n")
    r = run(first + "h, = grad(g.sum(), x)\n")        # a second derivative is fine
    np.testing.assert_allclose(r.variables["h"].value, [0.0, np.exp(-1.0)], rtol=1e-6)


def test_what_create_graph_refuses_through_the_losses():
    # binary_cross_entropy by a target that requires grad (its third
    # derivative by the input is recorded)
    with pytest.raises(GradvizError, match=r"not supported through binary_cross_entropy "
                                           r"\(by its target\)"):
        run("p = tensor([0.3, 0.6], requires_grad=True)\n"
            "t = tensor([0.2, 0.9], requires_grad=True)\n"
            "g, = grad(F.binary_cross_entropy(p, t), p, create_graph=True)\n")
    run("p = tensor([0.3, 0.6], requires_grad=True)\n"
        "g, = grad(F.binary_cross_entropy(p, tensor([0.2, 0.9])), p, create_graph=True)\n"
        "h, = grad(g.sum(), p, create_graph=True)\nk, = grad(h.sum(), p)\n")
    first = ("a = tensor([0.5, -1.2], requires_grad=True)\n"
             "g, = grad(F.smooth_l1_loss(a * a, tensor([0.3, 0.4])), a, create_graph=True)\n")
    run(first + "h, = grad(g.sum(), a, create_graph=True)\n")     # a third derivative too
    r = run(first + "h, = grad(g.sum(), a)\n")        # a second derivative is fine
    # d/da of 2a * d(a^2 - t): (a^2 - t) inside beta=1 for 0.5 (6a^2 - 2t) / 2,
    # outside for -1.2: 2 sign(..) / 2
    np.testing.assert_allclose(r.variables["h"].value, [(6 * 0.25 - 2 * 0.3) / 2, 1.0], rtol=1e-6)


def test_cumprod_with_a_zero_is_refused_and_without_recorded():
    with pytest.raises(GradvizError, match="not supported through cumprod with a zero"):
        run("x = tensor([0.0, 2.0], requires_grad=True)\n"
            "g, = grad((x.cumprod(0) ** 2).sum(), x, create_graph=True)\n")
    r = run("x = tensor([3.0, 2.0], requires_grad=True)\n"
            "g, = grad(x.cumprod(0).sum(), x, create_graph=True)\nh, = grad(g.sum(), x)\n")
    # sum of cumprod = x0 + x0 x1: gradient (1 + x1, x0), its derivative summed (1, 1)
    np.testing.assert_allclose(r.variables["g"].value, [3.0, 3.0])
    np.testing.assert_allclose(r.variables["h"].value, [1.0, 1.0])


def test_a_linear_layers_gradients_with_create_graph_are_pytorchs_mm_backwards():
    # a gradient penalty through nn.Linear: addmm's rule; the weight enters as
    # weight.t(), laid out by columns, so its gradient is PyTorch's transposed
    # mm (TBackward0 over TBackward0 over MmBackward0), the input's grad.mm(mat2.t())
    out = io.StringIO()
    gradviz.run_source(
        "torch.manual_seed(0)\nm = torch.nn.Linear(3, 2)\nx = torch.randn(4, 3, requires_grad=True)\n"
        "y = m(x)\ngx, gw = torch.autograd.grad(y.pow(2).sum(), [x, m.weight], create_graph=True)\n"
        "print(gx.grad_fn.name(), gx.grad_fn.next_functions[1][0].name())\n"
        "print(gw.grad_fn.name(), gw.grad_fn.next_functions[0][0].name(),"
        " gw.grad_fn.next_functions[0][0].next_functions[0][0].name())\n"
        "(gx.sum() + gw.sum()).backward()\nprint(torch.allclose(gw, 2 * y.t() @ x))\n",
        stdout=out)
    assert out.getvalue() == "MmBackward0 TBackward0\nTBackward0 TBackward0 MmBackward0\nTrue\n"


def test_grad_and_backward_take_their_tensors_by_keyword():
    out = io.StringIO()
    gradviz.run_source(
        "x = tensor([1.0, 2.0], requires_grad=True)\ny = (x * x).sum()\n"
        "print(torch.autograd.grad(outputs=y, inputs=[x], retain_graph=True))\n"
        "torch.autograd.backward(tensors=y)\nprint(x.grad)\n", stdout=out)
    assert out.getvalue() == "(tensor([2., 4.]),)\ntensor([2., 4.])\n"
    with pytest.raises(GradvizError, match="does not require grad") as info:
        run("x = tensor([1.0])\ntorch.autograd.grad(outputs=x * 2, inputs=x)\n")
    assert info.value.span.line == 2


def test_a_third_derivative_through_a_convolution_matches_pytorch():
    # a convolution's gradient is one ConvolutionBackwardBackward0 node, as
    # PyTorch's; that node's own derivative is the convolution again
    torch = pytest.importorskip("torch")
    src = ("x = torch.tensor(X, requires_grad=True)\n"
           "w = torch.tensor(W, requires_grad=True)\n"
           "g, = grad(F.conv2d(x, w).pow(2).sum(), x, create_graph=True)\n"
           "h, = grad(g.pow(2).sum(), w, create_graph=True)\n"
           "k, = grad(h.pow(2).sum(), x)\n")
    rng = np.random.default_rng(3)
    xv, wv = rng.normal(size=(1, 1, 4, 4)), rng.normal(size=(2, 1, 2, 2))
    r = run(src.replace("X", str(xv.tolist())).replace("W", str(wv.tolist())))
    assert r.variables["g"].grad_fn == "ConvolutionBackwardBackward0"
    x = torch.tensor(xv, dtype=torch.float32, requires_grad=True)
    w = torch.tensor(wv, dtype=torch.float32, requires_grad=True)
    g, = torch.autograd.grad(torch.nn.functional.conv2d(x, w).pow(2).sum(), x, create_graph=True)
    h, = torch.autograd.grad(g.pow(2).sum(), w, create_graph=True)
    k, = torch.autograd.grad(h.pow(2).sum(), x)
    np.testing.assert_allclose(r.variables["k"].value, k.numpy(), rtol=1e-4, atol=1e-4)


def test_label_smoothing_with_probabilities_that_require_grad_is_refused():
    # class indices and constant probabilities are recorded; a smoothed
    # probability target in the graph is not
    with pytest.raises(GradvizError, match="label_smoothing= and class probabilities that "
                                           "require grad"):
        run("z = torch.randn(2, 3, requires_grad=True)\n"
            "q = torch.rand(2, 3, requires_grad=True)\n"
            "g, = grad(F.cross_entropy(z, q, label_smoothing=0.1), z, create_graph=True)\n")


def test_einsum_with_a_label_three_times_is_refused_and_a_diagonal_recorded():
    base = "x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
    with pytest.raises(GradvizError, match="not supported through einsum with a label three"):
        run("x = ones(2, 2, 2, requires_grad=True)\n"
            "g, = grad(einsum('iii->i', x).pow(2).sum(), x, create_graph=True)\n")
    r = run(base + "g, = grad(einsum('ii->i', x).pow(2).sum(), x, create_graph=True)\n")
    assert r.variables["g"].grad_fn == "DiagonalBackwardBackward0"
    r = run(base + "w = tensor([[0.5, 1.0, 2.0], [1.5, -1.0, 0.0]])\n"
                   "g, = grad(einsum('ij,jk->ik', x, w).pow(2).sum(), x, create_graph=True)\n"
                   "h, = grad(g.sum(), x)\n")
    assert r.variables["g"].grad_fn == "SqueezeBackward1"


def test_a_third_derivative_through_glu_is_recorded():
    first = ("x = tensor([0.5, -1.0, 2.0, 0.3], requires_grad=True)\n"
             "g, = grad((F.glu(x, 0) ** 2).sum(), x, create_graph=True)\n")
    r = run(first + "h, = grad(g.sum(), x, create_graph=True)\nk, = grad(h.sum(), x)\n")
    assert r.variables["g"].grad_fn == "GluBackwardBackward0"
    assert r.variables["h"].grad_fn is not None


@pytest.mark.parametrize(("program", "why"), [
    ("A = tensor([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]], requires_grad=True)\n"
     "g, = grad(torch.linalg.det(A).sum(), A, create_graph=True)\n",
     "linalg_det with singular and non-singular matrices in one batch"),
    ("x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n"
     "y = x.scatter_reduce(0, tensor([[1, 0]]), x * x, 'prod')\n"
     "g, = grad(y.sum(), x, create_graph=True)\n", "scatter_reduce with reduce='prod'"),
    ("x = tensor([1.0, 2.0, 0.0], requires_grad=True)\n"
     "g, = grad(torch.linalg.vector_norm(x, 0) * x.sum(), x, create_graph=True)\n",
     "vector_norm_ord with ord=0"),
])
def test_what_create_graph_refuses_through_the_math_ops(program, why):
    # (PyTorch puts together the gradients of a batch of singular and
    # non-singular matrices by index_put_, and sends no gradient through
    # ord=0; here these are refused, naming the case)
    with pytest.raises(GradvizError, match=f"not supported through {why}") as info:
        run("import torch\n" + program)
    assert info.value.hint


def test_det_of_a_singular_matrix_differentiates_through_the_svd():
    # PyTorch's graph: (U * D.unsqueeze(-2)) @ Vh, D the products of the
    # other singular values (cumprods of cats), alpha = det U det Vh
    r = run("A = tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)\n"
            "g, = grad(torch.linalg.det(A), A, create_graph=True)\n")
    assert r.variables["g"].grad_fn == "MmBackward0"
    names = {n.grad_fn for n in r.nodes}
    assert {"LinalgSvdBackward0", "CumprodBackward0", "FlipBackward0", "CatBackward0",
            "LinalgDetBackward0"} <= names
    assert np.allclose(r.variables["g"].value, [[4.0, -2.0], [-2.0, 1.0]])


def test_a_part_two_inputs_share_is_one_node():
    # atan2's reciprocal and solve's gB, computed once as in PyTorch
    r = run("a = tensor([0.5, -1.0], requires_grad=True)\n"
            "b = tensor([1.5, 0.7], requires_grad=True)\n"
            "ga, gb = grad(a.atan2(b).sum(), [a, b], create_graph=True)\n"
            "A = tensor([[2.0, 0.5], [0.3, 1.5]], requires_grad=True)\n"
            "B = tensor([[1.0, 0.5], [0.3, -1.5]], requires_grad=True)\n"
            "gA, gB = grad(torch.linalg.solve(A, B).sum(), [A, B], create_graph=True)\n")
    names = [n.grad_fn for n in r.nodes]
    assert names.count("ReciprocalBackward0") == 1
    # the forward solve and gB's
    assert names.count("LinalgSolveExBackward0") == 2


def test_atan2_at_0_0_and_xlogy_at_x_0_follow_pytorch():
    # PyTorch's formulas at points where the function has no derivative (or
    # a one-sided one): atan2's reciprocal masked to 0 at a = b = 0, xlogy's
    # xlogy(grad, y) with 0 only where x = 0 and y <= 0 (values read off torch 2.13)
    program = ("a = tensor([0.0, 0.0, 1.0], requires_grad=True)\n"
               "b = tensor([0.0, 1.0, 0.0], requires_grad=True)\n"
               "ga, gb = grad(a.atan2(b).sum(), [a, b], create_graph=True)\n"
               "x = tensor([0.0, 1.0, 0.0, 2.0], requires_grad=True)\n"
               "y = tensor([2.0, 3.0, -1.0, 0.5], requires_grad=True)\n"
               "gx, gy = grad(torch.xlogy(x, y).sum(), [x, y], create_graph=True)\n")
    r = run(program)
    want = {"ga": [0.0, 1.0, 0.0], "gb": [0.0, 0.0, -1.0],
            "gx": [math.log(2.0), math.log(3.0), 0.0, math.log(0.5)],
            "gy": [0.0, 1 / 3, 0.0, 4.0]}
    for name, values in want.items():
        np.testing.assert_allclose(r.variables[name].value, values, rtol=1e-6)
        assert r.variables[name].grad_fn is not None
    # (and without create_graph, the op's own VJP)
    plain = run(program.replace(", create_graph=True", ""))
    for name, values in want.items():
        np.testing.assert_allclose(plain.variables[name].value, values, rtol=1e-6)
