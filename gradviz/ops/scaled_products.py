"""beta= and alpha= of the bias-plus-product ops: addmm, addmv, addr and
baddbmm compute beta * input + alpha * product when the call gives them
(params "beta" and "alpha", present only when not 1, so the plain call keeps
its own forward), and addbmm's node (AddbmmBackward0), the sum over a batch
of matrix products plus a bias.

PyTorch's rules (derivatives.yaml) scale each part with maybe_multiply: the
input's gradient is grad * beta, the factors' their product rule times
alpha (computed first, then scaled); a scale of 1 is skipped. beta = 0
ignores the input's values (NaN in it does not reach the result), though its
gradient is still grad * 0.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..errors import GradvizError, INDEX, RUNTIME
from .linalg import _TYPE_NAMES, _bmm, _mm, _unbatch, check_bias_expands
from .registry import OPS, defop


def scalar_in(dt: np.dtype, s):
    """A Scalar as PyTorch's kernels take it: in the tensor's dtype (an
    integer tensor's truncated: beta=0.5 is 0 there)."""
    return dt.type(int(s)) if dt.kind in "iub" else dt.type(s)


def _scales(p) -> tuple:
    return p.get("beta", 1), p.get("alpha", 1)


def _fma(a, b, c):
    """a * b + c rounded once, as addr's compiled kernel computes it (the
    product of two float32s is exact in float64)."""
    if np.result_type(a, b, c) != np.float32:
        return a * b + c
    f64 = np.float64
    return (np.asarray(a, f64) * np.asarray(b, f64) + np.asarray(c, f64)).astype(np.float32)


def _biased(bias, product, beta, shape):
    """beta * bias + product (product already times alpha), in product's
    dtype; beta = 0 leaves the bias out."""
    dt = product.dtype
    if beta == 0:
        return np.array(np.broadcast_to(product, shape))
    if beta != 1:
        bias = bias * scalar_in(dt, beta)
    return np.asarray(bias + product).astype(dt)


def _scaled_forward(plain, product):
    """forward(xs, p): the op's own forward when both scales are 1 (its
    rounding kept), else beta * input + alpha * product(a, b)."""
    def forward(xs, p):
        beta, alpha = _scales(p)
        if beta == 1 and alpha == 1:
            return plain(xs, p)
        out = np.asarray(product(xs[1], xs[2]))
        if alpha != 1:
            out = out * scalar_in(out.dtype, alpha)
        return _biased(xs[0], out, beta, out.shape)
    return forward


def _addr_forward(plain):
    """addr's CPU kernel: beta * self + alpha * vec1 * vec2 elementwise, the
    compiler's fused multiply-add on beta * self (beta = 0: without self)."""
    def forward(xs, p):
        beta, alpha = _scales(p)
        if beta == 1 and alpha == 1:
            return plain(xs, p)
        bias, a, b = xs
        dt = np.result_type(a, b)
        outer = np.multiply.outer(a * scalar_in(dt, alpha), b).astype(dt)
        if beta == 0:
            return outer
        return np.asarray(_fma(scalar_in(dt, beta), bias, outer)).astype(dt)
    return forward


def _scaled_rules(rules, first_scale: bool):
    """Each rule (vjp or jvp) times its scale, as maybe_multiply: the
    input's part is grad * beta before it is summed back to the input's
    shape, the factors' their product times alpha (nothing done for 1)."""
    def scaled(i, rule):
        def r(v, ans, xs, p):
            s = _scales(p)[0 if i == 0 else 1]
            if s == 1:
                return rule(v, ans, xs, p)
            if i == 0:
                return rule(v * scalar_in(v.dtype, s), ans, xs, p)
            out = np.asarray(rule(v, ans, xs, p))
            return out * scalar_in(out.dtype, s)
        return r
    return tuple(scaled(i, rule) if first_scale or i else rule for i, rule in enumerate(rules))


_PRODUCTS = {"addmm": _mm, "addmv": np.matmul, "baddbmm": _bmm}


def _with_scales(name: str) -> None:
    op = OPS[name]
    forward = _addr_forward(op.forward) if name == "addr" else \
        _scaled_forward(op.forward, _PRODUCTS[name])
    # (the bias's tangent is broadcast by its own rule, then scaled)
    OPS[name] = dataclasses.replace(op, forward=forward, vjp=_scaled_rules(op.vjp, True),
                                    jvp=_scaled_rules(op.jvp, True))


for _name in ("addmm", "addmv", "addr", "baddbmm"):
    _with_scales(_name)


# ---- addbmm -----------------------------------------------------------------

def _size_of(x, dim: int) -> int:
    """x.size(dim), with PyTorch's error for a dim x does not have."""
    top = max(x.ndim, 1)
    if dim >= top:
        raise GradvizError(f"Dimension out of range (expected to be in range of [{-top}, "
                           f"{top - 1}], but got {dim})", kind=INDEX,
                           hint="addbmm takes two batches of matrices, (b, n, m) and (b, m, p)")
    return x.shape[dim]


def _addbmm_check(xs, p):
    """addbmm(input, b1, b2): PyTorch's order of checks: the input expanded
    to (b1.size(1), b2.size(2)) first, then the batches' ranks, counts and
    inner sizes, then (as addmm_ per batch) the dtypes."""
    bias, a, b = xs
    out = (_size_of(a, 1), _size_of(b, 2))
    check_bias_expands(bias, out, "addbmm")
    for x, what in ((a, "batch1"), (b, "batch2")):
        if x.ndim != 3:
            raise GradvizError(f"{what} must be a 3D tensor", kind=RUNTIME,
                               hint="addbmm takes batches of matrices, (b, n, m) and (b, m, p)")
    if a.shape[0] != b.shape[0]:
        raise GradvizError(f"batch1 and batch2 must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}", kind=RUNTIME,
                           hint="both batches hold as many matrices")
    if a.shape[2] != b.shape[1]:
        raise GradvizError(f"Incompatible matrix sizes for bmm ({a.shape[1]}x{a.shape[2]} and "
                           f"{b.shape[1]}x{b.shape[2]})", kind=RUNTIME,
                           hint="each b1[i] @ b2[i] needs b1's columns == b2's rows")
    if a.shape[0]:
        for first, what in ((bias, "self"), (a, "mat1")):
            if first.dtype != b.dtype:
                raise GradvizError(f"{what} and mat2 must have the same dtype, but got "
                                   f"{_TYPE_NAMES[first.dtype][0]} and "
                                   f"{_TYPE_NAMES[b.dtype][0]}", kind=RUNTIME,
                                   hint="convert them to one dtype with .float() or .double()")
    return out[0] * out[1]


def _addbmm(xs, p):
    """PyTorch's loop: the input (times beta; left out for beta = 0), then
    one addmm_ per batch, alpha * b1[i] @ b2[i] added in turn."""
    bias, a, b = xs
    beta, alpha = _scales(p)
    dt = np.result_type(a, b)
    shape = (a.shape[1], b.shape[2])
    out = np.zeros(shape, dt) if beta == 0 else np.array(np.broadcast_to(bias, shape), dt)
    if beta not in (0, 1):
        out = out * scalar_in(dt, beta)
    for i in range(a.shape[0]):
        prod = np.asarray(_mm(a[i], b[i]))
        out = (out + (prod if alpha == 1 else prod * scalar_in(dt, alpha))).astype(dt)
    return out


def _spread(g, a, b):
    # grad.unsqueeze(0).expand(b, n, p): every batch's product got g
    return np.broadcast_to(g, (a.shape[0],) + g.shape)


def _addbmm_jvp_product(t, other, first: bool):
    return (np.matmul(t, other) if first else np.matmul(other, t)).sum(axis=0)


defop("addbmm", "AddbmmBackward0", _addbmm,
      vjp=_scaled_rules((
          lambda g, ans, xs, p: _unbatch(g, xs[0].shape),
          lambda g, ans, xs, p: _bmm(np.ascontiguousarray(_spread(g, xs[1], xs[2])),
                                     np.swapaxes(xs[2], 1, 2)),
          lambda g, ans, xs, p: _bmm(np.swapaxes(xs[1], 1, 2),
                                     np.ascontiguousarray(_spread(g, xs[1], xs[2])))), True),
      jvp=_scaled_rules((
          lambda t, ans, xs, p: np.broadcast_to(t, ans.shape),
          lambda t, ans, xs, p: _addbmm_jvp_product(t, xs[2], True),
          lambda t, ans, xs, p: _addbmm_jvp_product(t, xs[1], False)), True),
      saved=("", "2", "1"),
      formula=("d(beta*M + alpha*sum_k A_k@B_k)/dM = beta*G",
               "d/dA_k = alpha * G @ B_k^T", "d/dB_k = alpha * A_k^T @ G"),
      symbol="addbmm", check=_addbmm_check)
