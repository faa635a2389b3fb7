"""torch._weight_norm's fused node (WeightNormInterfaceBackward0): w = v *
(g / ||v||), the norm over every dim of v but `dim` (0 or the last), as
PyTorch's CPU kernel (WeightNormKernel.cpp) computes it. Inputs (v, g); g
has one number per slice of v along dim; p["dim"]."""
from __future__ import annotations

import numpy as np

from .norm_sums import column_sum_of_squares, vec_sum_of_squares
from .registry import SAME, defop


def _rows(x, dim: int):
    """x as (slices along dim, the rest): dim 0's rows, or the last dim's
    columns made rows."""
    flat = x.reshape(x.shape[0], -1) if dim == 0 else x.reshape(-1, x.shape[-1]).T
    return flat


def _unrows(rows, shape, dim: int):
    return rows.reshape(shape) if dim == 0 else rows.T.reshape(shape)


def _norms(v, dim: int):
    rows = _rows(v, dim)
    if v.dtype in (np.float32, np.float64) and rows.size:
        # (the kernel's order of the sums: their last bit)
        if dim == 0:
            return np.sqrt(vec_sum_of_squares(np.ascontiguousarray(rows)))
        return np.sqrt(column_sum_of_squares(rows.T))
    return np.sqrt((rows * rows).sum(axis=1)).astype(v.dtype)


def _weight_norm(xs, p):
    v, g = xs
    dim = p["dim"]
    scale = (np.asarray(g, v.dtype).reshape(-1) / _norms(v, dim)).astype(v.dtype)
    return _unrows(_rows(v, dim) * scale[:, None], v.shape, dim).astype(v.dtype)


def _grads(g_out, xs, p):
    """PyTorch's weight_norm backward: per slice, s = sum(grad_w v), grad_g
    = s / norm, and grad_v = a grad_w - b v with a = g / norm, b = a grad_g
    / norm."""
    v, g = xs
    dim = p["dim"]
    norms = _norms(v, dim)
    rows_v, rows_gw = _rows(v, dim), _rows(np.asarray(g_out, v.dtype), dim)
    grad_g = ((rows_gw * rows_v).sum(axis=1) / norms).astype(v.dtype)
    a = (np.asarray(g, v.dtype).reshape(-1) / norms).astype(v.dtype)
    b = (a * grad_g / norms).astype(v.dtype)
    grad_v = _unrows(a[:, None] * rows_gw - b[:, None] * rows_v, v.shape, dim).astype(v.dtype)
    return grad_v, grad_g.reshape(np.shape(g))


def _tangent_v(t, ans, xs, p):
    """d w = (g / norm) (dv - v (v . dv) / norm^2), per slice."""
    v, g = xs
    dim = p["dim"]
    norms = _norms(v, dim)
    rows_v, rows_t = _rows(v, dim), _rows(np.asarray(t, v.dtype), dim)
    a = np.asarray(g, v.dtype).reshape(-1) / norms
    along = (rows_v * rows_t).sum(axis=1) / (norms * norms)
    return _unrows(a[:, None] * (rows_t - rows_v * along[:, None]), v.shape, dim).astype(v.dtype)


def _tangent_g(t, ans, xs, p):
    return _weight_norm([xs[0], t], p)


defop("weight_norm", "WeightNormInterfaceBackward0", _weight_norm,
      vjp=(lambda g, ans, xs, p: _grads(g, xs, p)[0], lambda g, ans, xs, p: _grads(g, xs, p)[1]),
      jvp=(_tangent_v, _tangent_g), saved=("01", "01"),
      formula=("d (g v/||v||)/dv = (g/||v||)(grad - v (v . grad)/||v||^2), per slice",
               "d (g v/||v||)/dg = (v . grad)/||v||, per slice"),
      symbol="torch._weight_norm", dtype_rule=SAME)
