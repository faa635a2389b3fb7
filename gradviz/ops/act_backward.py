"""The backward of the activations as ops of their own, as PyTorch records
them under create_graph=True: leaky_relu's gradient is one node,
LeakyReluBackwardBackward0, with inputs (g, x) and the activation's
parameters, not the multiplies of its formula.

Each computes the activation's own VJP (forward(g, x) = its vjp(g, x)), so
its derivative by g is that VJP again; its derivative by x is the second
derivative times g times the incoming gradient (PyTorch's *_double_backward
formulas, derivatives.yaml), zero for the piecewise linear ones.
"""
from __future__ import annotations

import math

import numpy as np

from .registry import FLOAT, OPS, PROMOTE, bcast_check, defop, no_derivative


def _zeros_of_x(g, ans, xs, p):
    return np.zeros(np.shape(xs[1]), np.result_type(ans))


def _backward_op(act: str, grad_fn: str, second=None, second_formula: str = "0",
                 dtype_rule=FLOAT):
    """act_backward(g, x): act's VJP as an op. second(x, p): act's second
    derivative (None: act is piecewise linear, 0)."""
    vjp = OPS[act].vjp[0]

    def by_g(g, ans, xs, p):
        return vjp(g, None, (xs[1],), p)

    if second is None:
        by_x = _zeros_of_x
    else:
        def by_x(g, ans, xs, p):
            return (g * xs[0] * second(xs[1], p)).astype(ans.dtype, copy=False)
    defop(f"{act}_backward", grad_fn, lambda xs, p: by_g(xs[0], None, xs, p),
          vjp=(by_g, by_x), jvp=(by_g, by_x), saved=("1", "01"),
          formula=(f"d {act}_backward(g, x)/dg = {act}'(x)",
                   f"d {act}_backward(g, x)/dx = g {second_formula}"),
          symbol=f"{act}_backward", check=bcast_check, dtype_rule=dtype_rule)


def _c(v, x):
    return np.asarray(v, x.dtype)


def _elu_dd(x, p):
    # PyTorch's elu_double_backward: alpha exp(x) where x <= 0
    with np.errstate(over="ignore"):
        return np.where(x <= 0, _c(p.get("alpha", 1.0), x) * np.exp(np.minimum(x, 0)), _c(0, x))


def _softplus_dd(x, p):
    # PyTorch's softplus_double_backward: sigmoid'(beta x) beta below the threshold
    beta = p.get("beta", 1.0)
    bx = x * _c(beta, x)
    with np.errstate(over="ignore"):
        s = _c(1, x) / (_c(1, x) + np.exp(-bx))
    return s * (_c(1, x) - s) * (bx < p.get("threshold", 20.0)) * _c(beta, x)


def _gelu_dd(x, p):
    if p.get("approximate", "none") == "tanh":
        # 0.5 x (1 + tanh(u)), u = b (x + k x^3): differentiated twice
        b, k = math.sqrt(2 / math.pi), 0.044715
        t = np.tanh(_c(b, x) * (x + _c(k, x) * x * x * x))
        du = _c(b, x) * (_c(1, x) + _c(3 * k, x) * x * x)
        ddu = _c(6 * b * k, x) * x
        sech2 = _c(1, x) - t * t
        return sech2 * du + _c(0.5, x) * x * (sech2 * ddu - _c(2, x) * t * sech2 * du * du)
    # PyTorch's: 2 pdf + x pdf'(x) = pdf (2 - x^2)
    pdf = _c(1 / math.sqrt(2 * math.pi), x) * np.exp(_c(-0.5, x) * x * x)
    return pdf * (_c(2, x) - x * x)


def _logsigmoid_dd(x, p):
    # PyTorch's log_sigmoid_double_backward: (z - 1) z, z = sigmoid(x)
    with np.errstate(over="ignore"):
        z = _c(1, x) / (_c(1, x) + np.exp(-x))
    return (z - _c(1, x)) * z


def _hardswish_dd(x, p):
    # 1/3 strictly inside (-3, 3)
    return np.where((x > -3) & (x < 3), _c(1 / 3, x), _c(0, x))


_backward_op("leaky_relu", "LeakyReluBackwardBackward0")
_backward_op("hardtanh", "HardtanhBackwardBackward0", dtype_rule=PROMOTE)
_backward_op("hardshrink", "HardshrinkBackwardBackward0")
_backward_op("softshrink", "SoftshrinkBackwardBackward0")
_backward_op("elu", "EluBackwardBackward0", _elu_dd, "alpha exp(x) [x <= 0]")
_backward_op("softplus", "SoftplusBackwardBackward0", _softplus_dd,
             "beta sigmoid'(beta x) [beta x < threshold]")
_backward_op("gelu", "GeluBackwardBackward0", _gelu_dd, "gelu''(x)")
_backward_op("logsigmoid", "LogSigmoidBackwardBackward0", _logsigmoid_dd,
             "-sigmoid(x) (1 - sigmoid(x))")
_backward_op("hardswish", "HardswishBackwardBackward0", _hardswish_dd, "[-3 < x < 3] / 3")

# hardsigmoid's: PyTorch records it with no derivative (NotImplemented)
defop("hardsigmoid_backward", forward=lambda xs, p: OPS["hardsigmoid"].vjp[0](xs[0], None, (xs[1],), p),
      symbol="hardsigmoid_backward", check=bcast_check, dtype_rule=FLOAT,
      **no_derivative("hardsigmoid_backward"))
