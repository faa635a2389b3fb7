"""The backward of more nn ops as ops of their own, one node each as PyTorch
records them under create_graph=True: selu's and celu's (EluBackwardBackward0),
rrelu's, glu's, embedding's (EmbeddingDenseBackwardBackward0),
soft_margin_loss's, the upsamplings' and adaptive_max_pool2d's.

Each computes its op's own VJP (forward(g, x) = vjp(g, x)); its derivative
by g is the adjoint of that VJP (for an op linear in x, the op's JVP), by x
g times the op's second derivative (zero for the piecewise linear ones).
"""
from __future__ import annotations

import numpy as np

from . import act_backward, loss_backward
from .attention import _backward as _sdpa_backward
from .nn_more import _halves, _sig
from .registry import OPS, SAME, defop, no_derivative


# ---- selu, celu (elu_scaled) and rrelu: elementwise, as the activations' ------

def _elu_scaled_dd(x, p):
    # PyTorch's elu_double_backward: in^2 * neg * exp(x * in) where x <= 0
    dt = x.dtype.type
    neg, inp = dt(p["neg"]), dt(p["in"])
    with np.errstate(over="ignore"):
        low = inp * inp * neg * np.exp(np.minimum(x, 0) * inp)
    return np.where(x <= 0, low, dt(0))


act_backward._backward_op("elu_scaled", "EluBackwardBackward0", _elu_scaled_dd,
                          "in^2 alpha scale exp(in x) [x <= 0]")
act_backward._backward_op("rrelu", "RreluWithNoiseBackwardBackward0")


# ---- glu: inputs (g, x); p["dim"] ----------------------------------------------

def _glu_parts(x, p):
    a, b = _halves(x, p["dim"])
    s = _sig(b)
    return a, s, s * (a.dtype.type(1) - s)


def _glu_second(gg, xs, p):
    """d/dx <gg, glu_backward(g, x)>: glu's second derivative (symmetric, so
    also its JVP by x): s' g gg_b for a; s' g gg_a + s'' a g gg_b for b, with
    s' = s (1 - s) and s'' = s' (1 - 2 s)."""
    g, x = xs
    a, s, ds = _glu_parts(x, p)
    ga, gb = np.split(np.asarray(gg, x.dtype), 2, axis=p["dim"])
    g = np.asarray(g, x.dtype)
    one = x.dtype.type(1)
    da = ds * g * gb
    db = ds * g * ga + ds * (one - 2 * s) * a * g * gb
    return np.concatenate([da, db], axis=p["dim"]).astype(x.dtype)


def _glu_by_g(gg, ans, xs, p):
    return OPS["glu"].jvp[0](gg, None, [xs[1]], p)


defop("glu_backward", "GluBackwardBackward0",
      lambda xs, p: OPS["glu"].vjp[0](xs[0], None, [xs[1]], p),
      vjp=(_glu_by_g, lambda gg, ans, xs, p: _glu_second(gg, xs, p)),
      jvp=(lambda t, ans, xs, p: OPS["glu"].vjp[0](t, None, [xs[1]], p),
           lambda t, ans, xs, p: _glu_second(t, xs, p)),
      saved=("1", "01"),
      formula=("d glu_backward(g, x)/dg = glu's derivative (its JVP)",
               "d glu_backward(g, x)/dx = g times glu's second derivative"),
      symbol="glu_backward", dtype_rule=SAME)


# ---- embedding: inputs (g, indices); p["rows"], p["padding_idx"] -----------------

def _embedding_grad(xs, p):
    g, idx = xs
    weight = np.empty((p["rows"], g.shape[-1]), g.dtype)
    return OPS["embedding"].vjp[0](g, None, [weight, idx], p)


def _embedding_pick(gg, xs, p):
    """The rows of gg at the indices (zeros at padding_idx, which got none)."""
    idx = xs[1]
    out = gg[idx]
    pad = p.get("padding_idx")
    if pad is not None:
        out = np.where((idx == pad)[..., None], gg.dtype.type(0), out)
    return out


defop("embedding_backward", "EmbeddingDenseBackwardBackward0", _embedding_grad,
      vjp=(lambda gg, ans, xs, p: _embedding_pick(gg, xs, p), None),
      jvp=(lambda t, ans, xs, p: _embedding_grad([t, xs[1]], p), None), saved=("1", "1"),
      formula=("d embedding_backward(g, idx)/dg = the incoming gradient's rows at idx", ""),
      symbol="embedding_backward", dtype_rule=SAME)


# ---- soft_margin_loss: (g, input, target) ---------------------------------------

def _soft_margin_second(xs, p):
    # d^2/dx^2 log(1 + exp(-y x)) = y^2 z / (1 + z)^2, z = exp(-y x)
    x, y = xs[1], xs[2]
    dt = np.result_type(x, y)
    with np.errstate(over="ignore"):
        z = np.exp((-y * x).astype(dt, copy=False))
    return (y * y * z / ((dt.type(1) + z) * (dt.type(1) + z))).astype(dt, copy=False)


loss_backward._backward_op("soft_margin_loss", "SoftMarginLossBackwardBackward0",
                           _soft_margin_second, "y^2 z / (1 + z)^2, z = exp(-y x)")


# ---- the upsamplings and adaptive_max_pool2d: linear in g, constant in x ------------

# the forward's node name, one Backward more (written out: the ops table
# reads the names from these functions)
def _nearest_backward_name(t) -> str:
    # (UpsampleNearest2DBackward0 -> UpsampleNearest2DBackwardBackward0: g has x's dims)
    return OPS["upsample_nearest"].grad_fn_for(t)[:-1] + "Backward0"


def _linear_backward_name(t) -> str:
    return OPS["upsample_linear"].grad_fn_for(t)[:-1] + "Backward0"


def _zero_x(gg, ans, xs, p):
    return np.zeros(xs[1].shape, xs[1].dtype)


for _name, _grad_fn in (("upsample_nearest", _nearest_backward_name),
                        ("upsample_linear", _linear_backward_name),
                        ("adaptive_max_pool2d", "AdaptiveMaxPool2DBackwardBackward0"),
                        ("adaptive_max_pool3d", "AdaptiveMaxPool3DBackwardBackward0")):
    _fwd = OPS[_name]
    defop(f"{_name}_backward", _grad_fn,
          (lambda op: lambda xs, p: op.vjp[0](xs[0], None, [xs[1]], p))(_fwd),
          # (the JVP's ans: one of the forward's output shape, which g has)
          vjp=((lambda op: lambda gg, ans, xs, p: op.jvp[0](gg, xs[0], [xs[1]], p))(_fwd),
               _zero_x),
          jvp=((lambda op: lambda t, ans, xs, p: op.vjp[0](t, None, [xs[1]], p))(_fwd),
               lambda t, ans, xs, p: np.zeros(ans.shape, ans.dtype)),
          saved=("1", "1"),
          formula=(f"d {_name}_backward(g, x)/dg = {_name}'s derivative of the incoming gradient",
                   f"d {_name}_backward(g, x)/dx = 0"),
          symbol=f"{_name}_backward", dtype_rule=SAME)


# ---- scaled_dot_product_attention's fused kernel: inputs (g, q, k, v[, mask]) -----
# p: sdpa_flash's, and "output" (0 q, 1 k, 2 v). PyTorch records its backward
# with no derivative: a gradient made with create_graph=True is a
# NotImplemented node, and differentiating it again raises PyTorch's error.

defop("sdpa_flash_backward",
      forward=lambda xs, p: _sdpa_backward(xs[0], xs[1:], p)[p["output"]],
      symbol="sdpa_flash_backward", dtype_rule=SAME,
      **no_derivative("_scaled_dot_product_flash_attention_for_cpu_backward", inputs=5))


# ---- pack_padded_sequence: inputs (g,); p: pack_padded's and "shape" (the padded batch's) --

def _unpack(xs, p):
    from .recurrent import _pack_vjp
    return _pack_vjp(xs[0], None, [np.empty(p["shape"], xs[0].dtype)], p)


defop("pack_padded_backward", "CopySlices", _unpack,
      vjp=(lambda gg, ans, xs, p: OPS["pack_padded"].forward([gg], p),),
      jvp=(lambda t, ans, xs, p: _unpack([t], p),), saves=False,
      formula=("d pack_padded_backward(g)/dg = the packed rows of the incoming gradient",),
      symbol="pack_padded_backward", dtype_rule=SAME)
