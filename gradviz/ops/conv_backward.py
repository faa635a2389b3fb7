"""The backward of the convolutions and poolings as ops of their own, which
a create_graph=True backward records: PyTorch's ConvolutionBackwardBackward0,
MaxPool2DWithIndicesBackwardBackward0, AvgPool2DBackwardBackward0 and
AdaptiveAvgPool2DBackwardBackward0.

convolution_backward: inputs (g, x, w) as PyTorch's node has them (g the
gradient of the convolution's output, x and w its input and weight), p the
convolution's own parameters plus "op" (conv2d, conv_transpose1d, ...) and
"output" (which gradient it is: "input", "weight" or "bias"). PyTorch makes
the three gradients in one node; here each is a node of that name. The
gradients are bilinear (in g and w, g and x, or g alone), so their own
gradients are the convolution's forward and first gradients again.

The poolings' backward ops: inputs (g, x), p the pooling's parameters;
linear in g (their gradient by g is the pooling of it), constant in x.
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .pool import _adaptive_dx, _adaptive_fwd, _avg_dx, _avg_fwd, _max_dx, _max_jvp
from .registry import OPS, SAME, defop

_WHICH = {"input": 0, "weight": 1, "bias": 2}


def _conv(p):
    """(the convolution's op, its own parameters)."""
    return OPS[p["op"]], {k: v for k, v in p.items() if k not in ("op", "output")}


def _grad(op, k, g, x, w, p):
    """The convolution's gradient k (0 input, 1 weight, 2 bias) given g."""
    xs = [x, w] if k < 2 else [x, w, np.zeros(g.shape[1], g.dtype)]
    return op.vjp[k](g, None, xs, p)


def _fwd(xs, p):
    op, q = _conv(p)
    return _grad(op, _WHICH[p["output"]], xs[0], xs[1], xs[2], q)


def _vjp_g(gg, ans, xs, p):
    # <gg, dx(g, w)> = <conv(gg, w), g>; <gg, dw(g, x)> = <conv(x, gg), g>;
    # <gg, db(g)> = <gg broadcast, g>
    op, q = _conv(p)
    g, x, w = xs
    which = p["output"]
    if which == "input":
        return op.forward([gg, w], q)
    if which == "weight":
        return op.forward([x, gg], q)
    return np.broadcast_to(gg.reshape((1, -1) + (1,) * (g.ndim - 2)), g.shape).copy()


# NOTE: PyTorch's ConvolutionBackwardBackward0 keeps its edges to x and w,
# but sends x a gradient only from the weight gradient's incoming one (ggW)
# and w only from the input gradient's (ggI): the others are undefined, not
# zeros. So x.grad stays None when nothing else reaches x (a gradient
# penalty through two convolutions with no activation between): None here.

def _vjp_x(gg, ans, xs, p):
    # the weight gradient's: the input gradient of the convolution with
    # weight gg; the other two do not depend on x
    if p["output"] != "weight":
        return None
    op, q = _conv(p)
    return _grad(op, 0, xs[0], xs[1], gg, q)


def _vjp_w(gg, ans, xs, p):
    # the input gradient's: the weight gradient of the convolution of gg
    if p["output"] != "input":
        return None
    op, q = _conv(p)
    return _grad(op, 1, xs[0], gg, xs[2], q)


def _jvp_g(t, ans, xs, p):
    op, q = _conv(p)
    return _grad(op, _WHICH[p["output"]], t, xs[1], xs[2], q)


def _jvp_x(t, ans, xs, p):
    if p["output"] != "weight":
        return np.zeros(ans.shape, ans.dtype)
    op, q = _conv(p)
    return _grad(op, 1, xs[0], t, xs[2], q)


def _jvp_w(t, ans, xs, p):
    if p["output"] != "input":
        return np.zeros(ans.shape, ans.dtype)
    op, q = _conv(p)
    return _grad(op, 0, xs[0], xs[1], t, q)


defop("convolution_backward", "ConvolutionBackwardBackward0", _fwd,
      vjp=(_vjp_g, _vjp_x, _vjp_w), jvp=(_jvp_g, _jvp_x, _jvp_w), saved=("12", "0", "0"),
      formula=("d conv_backward(g, x, w)/dg = the convolution of the incoming gradient",
               "d conv_backward(g, x, w)/dx = the input gradient, for the weight's (else 0)",
               "d conv_backward(g, x, w)/dw = the weight gradient, for the input's (else 0)"),
      symbol="convolution_backward", dtype_rule=SAME)


# ---- the poolings' backward ops -----------------------------------------------------

def _zero_x(gg, ans, xs, p):
    return np.zeros(xs[1].shape, xs[1].dtype)


def _zero_t(t, ans, xs, p):
    return np.zeros(ans.shape, ans.dtype)


def _poolings(k: int):
    """The k-d poolings' (name, grad_fn of its backward, its backward, its
    backward's derivative by g)."""
    return (
        (f"max_pool{k}d", f"MaxPool{k}DWithIndicesBackwardBackward0", partial(_max_dx, k=k),
         # (the max's gradient by g: g's numbers at the windows' maxima)
         lambda gg, xs, p: _max_jvp(gg, np.empty(xs[0].shape, gg.dtype), [xs[1]], p, k)),
        (f"avg_pool{k}d", f"AvgPool{k}DBackwardBackward0", partial(_avg_dx, k=k),
         lambda gg, xs, p: _avg_fwd([gg], p, k)),
        (f"adaptive_avg_pool{k}d", f"AdaptiveAvgPool{k}DBackwardBackward0", _adaptive_dx,
         lambda gg, xs, p: _adaptive_fwd([gg], p)))


for _name, _grad_fn, _dx, _pool in _poolings(2) + _poolings(3):
    defop(f"{_name}_backward", _grad_fn,
          (lambda dx: lambda xs, p: dx(xs[0], None, [xs[1]], p))(_dx),
          vjp=((lambda pool: lambda gg, ans, xs, p: pool(gg, xs, p))(_pool), _zero_x),
          jvp=((lambda dx: lambda t, ans, xs, p: dx(t, None, [xs[1]], p))(_dx), _zero_t),
          saved=("1", "1"),
          formula=(f"d {_name}_backward(g, x)/dg = the {_name} of the incoming gradient",
                   f"d {_name}_backward(g, x)/dx = 0"),
          symbol=f"{_name}_backward", dtype_rule=SAME)
