"""torch.nn.functional.scaled_dot_product_attention as PyTorch 2.13 runs it on
the CPU: its fused kernel (one ScaledDotProductFlashAttentionForCpuBackward0
node, ops/attention.py) where that kernel takes the call, else its
composite "math" path, recorded op by op as PyTorch records it.

PyTorch's choice (sdp_utils_cpp.cpp, use_flash_attention_cpp): the fused
kernel takes 4-d query, key and value of one float dtype, the same batch
size, heads that match (or divide, with enable_gqa=True), one head size,
non-empty sequences, no dropout (dropout_p > 0), and a mask that needs no
gradient and is 2-d or 4-d. Everything else (3-d or 2-d inputs, dropout, a
value head size of its own, a mask that requires grad, broadcast batches)
takes the math path:
    q * sqrt(scale) @ (k.T * sqrt(scale)) (+ mask) -> _safe_softmax -> dropout -> @ v
PyTorch checks the strides of the last dim too (a transposed input goes the
math way); gradviz's tensors have no strides, so that case takes the fused
kernel here.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, GradvizError
from .ops import OPS
from .tensor import Tensor

FN = "scaled_dot_product_attention"
_FLOATS = ("f",)


def _check(query, key, value, attn_mask) -> None:
    """PyTorch's argument checks, in its order, with its words."""
    for pos, (name, t) in enumerate((("query", query), ("key", key), ("value", value)), 1):
        F._need_tensor(t, FN, pos, name)
    if attn_mask is not None and not F.is_tensor(attn_mask):
        raise GradvizError(f"{FN}(): argument 'attn_mask' must be Tensor, not "
                           f"{F.arg_type_name(attn_mask)}", kind=TYPE,
                           hint="attn_mask is a bool tensor (True: attend) or a float tensor "
                                "added to the scores, or None")
    dts = [t.data.dtype for t in (query, key, value)]
    if len(set(dts)) > 1:
        raise GradvizError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {F.cpp_type_word(dts[0])} key.dtype: {F.cpp_type_word(dts[1])} "
                           f"and value.dtype: {F.cpp_type_word(dts[2])} instead.", kind=RUNTIME,
                           hint="make them one dtype: .float() or .double()")
    if attn_mask is not None:
        md = attn_mask.data.dtype
        if md != np.bool_ and md != dts[0]:
            raise GradvizError("Expected attn_mask dtype to be bool or float or to match query "
                               f"dtype, but got attn_mask.dtype: {F.cpp_type_word(md)} and  "
                               f"query.dtype: {F.cpp_type_word(dts[0])} instead.", kind=RUNTIME,
                               hint="a mask is bool (True: attend) or of the query's dtype "
                                    "(added to the scores)")
    dims = [t.data.ndim for t in (query, key, value)]
    if min(dims) < 2:
        raise GradvizError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {dims[0]} key.dim: {dims[1]} and value.dim: "
                           f"{dims[2]} instead.", kind=RUNTIME,
                           hint="query is (..., L, E), key (..., S, E), value (..., S, Ev)")


def _takes_fused(q, k, v, mask, dropout_p, enable_gqa) -> bool:
    """PyTorch's use_flash_attention_cpp, but for the last-dim strides."""
    if dropout_p > 0 or any(t.data.ndim != 4 for t in (q, k, v)):
        return False
    (b, hq, L, e), (bk, hk, S, ek), (bv, hv, Sv, ev) = (t.data.shape for t in (q, k, v))
    if not b == bk == bv:
        return False
    if hq != hk or hq != hv:
        if not (enable_gqa and hk == hv and hk and hq % hk == 0):
            return False
    if mask is not None:
        if mask.requires_grad or mask.data.ndim not in (2, 4):
            return False
        try:
            np.broadcast_shapes(mask.data.shape, (b, hq, L, S))
        except ValueError:
            return False
    if not (e == ek == ev) or 0 in (L, S) or S != Sv:
        return False
    return q.data.dtype.kind in _FLOATS


def _float_mask(rt, mask: Tensor, dtype) -> Tensor:
    """A bool mask as PyTorch's convert_boolean_attn_mask makes it: 0 where
    True (attend), -inf where False; a float mask as it is."""
    if mask.data.dtype != np.bool_:
        return mask
    data = np.where(mask.data, dtype.type(0), dtype.type(-np.inf)).astype(dtype)
    return F._leaf(rt, data, False, "attn_mask as float")


def _scaled(rt, t: Tensor, number: float) -> Tensor:
    """t * number with PyTorch's Scalar overload (MulBackward1), the number
    rounded to t's dtype as the kernel does."""
    out = rt.binary("*", t, F._leaf(rt, np.array(number, t.data.dtype), False, "scale"))
    if out.recorded:
        out.meta = {**(out.meta or {}), "grad_fn_name": "MulBackward1"}
    return out


def _default_scale(q: Tensor) -> float:
    """1/sqrt(E), inf for a head size of 0 as PyTorch's C++ division gives
    (an empty q @ k.T is all zeros, so the softmax is uniform)."""
    e = q.data.shape[-1]
    return 1 / math.sqrt(e) if e else math.inf


def _math(rt, q, k, v, mask, dropout_p, is_causal, scale, enable_gqa):
    """_scaled_dot_product_attention_math, op by op."""
    negative = scale is not None and scale < 0
    factor = math.sqrt(_default_scale(q) if scale is None else abs(scale))
    q = _scaled(rt, q, -factor if negative else factor)
    if is_causal:
        if mask is not None:
            raise GradvizError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True", kind=RUNTIME,
                               hint="give either is_causal=True or attn_mask=, not both")
        L, S = q.data.shape[-2], k.data.shape[-2]
        mask = F._leaf(rt, np.tril(np.ones((L, S), bool)), False, "causal mask")
    if enable_gqa and q.data.ndim >= 3 and k.data.shape[-3] != q.data.shape[-3]:
        groups = q.data.shape[-3] // max(k.data.shape[-3], 1)
        rep = F.FUNCTIONS["repeat_interleave"]
        k, v = rep(rt, k, groups, -3), rep(rt, v, groups, -3)
    kt = _scaled(rt, F.FUNCTIONS["transpose"](rt, k, -2, -1), factor)
    attn = F.FUNCTIONS["matmul"](rt, q, kt)
    if mask is not None:
        attn = rt.binary("+", attn, _float_mask(rt, mask, q.data.dtype))
    attn = rt.apply(OPS["safe_softmax"], (attn,), {"dim": attn.data.ndim - 1})
    if dropout_p > 0:
        from .modules import f_dropout
        attn = f_dropout(rt, attn, dropout_p, True)
    return F.FUNCTIONS["matmul"](rt, attn, v)


def f_scaled_dot_product_attention(rt, query, key, value, attn_mask=None, dropout_p=0.0,
                                   is_causal=False, *, scale=None, enable_gqa=False):
    """F.scaled_dot_product_attention: softmax(q @ k.T * scale + mask) @ v
    (scale 1/sqrt(E) by default), as PyTorch's CPU runs it."""
    _check(query, key, value, attn_mask)
    F._number_arg(FN, "dropout_p", None, dropout_p, "float")
    for name, flag in (("is_causal", is_causal), ("enable_gqa", enable_gqa)):
        if flag.__class__ is not bool:
            raise GradvizError(f"{FN}(): argument '{name}' must be bool, not "
                               f"{F.arg_type_name(flag)}", kind=TYPE,
                               hint=f"{name}=True or {name}=False")
    if scale is not None:
        F._number_arg(FN, "scale", None, scale, "float")
    q, k, v = query, key, value
    if enable_gqa and q.data.ndim >= 3:
        hq, hk, hv = q.data.shape[-3], k.data.shape[-3], v.data.shape[-3]
        if hq != hk and (hk == 0 or hq % hk or hq % hv):
            raise GradvizError("Number of heads in key and value must divide the number of "
                               "heads in ", kind=RUNTIME,
                               hint=f"query has {hq} heads, key {hk} and value {hv}: "
                                    "the query's heads must be a multiple of theirs")
    if attn_mask is not None and attn_mask.data.ndim < 2:
        raise GradvizError(f"Dimension out of range (expected to be in range of "
                           f"[{-max(attn_mask.data.ndim, 1)}, {max(attn_mask.data.ndim, 1) - 1}], "
                           "but got -2)", kind=INDEX,
                           hint="a mask is (L, S), or broadcasts to (N, heads, L, S)")
    if not _takes_fused(q, k, v, attn_mask, dropout_p, enable_gqa):
        return _math(rt, q, k, v, attn_mask, dropout_p, is_causal, scale, enable_gqa)
    if dropout_p < 0:
        raise GradvizError("scaled_dot_product_attention_flash_attention: Currently do not "
                           "support dropout > 0", kind=RUNTIME,
                           hint="dropout_p is a probability, from 0 to 1")
    ins = (q, k, v)
    p = {"scale": float(_default_scale(q) if scale is None else scale), "causal": bool(is_causal)}
    if attn_mask is not None:
        ins += (_float_mask(rt, attn_mask, q.data.dtype),)
        p["mask"] = True
    _no_forward_ad(rt, ins[:3])
    return rt.apply(OPS["sdpa_flash"], ins, p)


def _no_forward_ad(rt, inputs) -> None:
    """PyTorch's fused kernel has no forward-mode derivative: a dual input
    fails at the call (its composite path has one)."""
    from .forward_ad import refuse_dual
    refuse_dual(rt, inputs, "_scaled_dot_product_flash_attention_for_cpu",
                "forward mode goes through the composite path: 3-d inputs (q[0], k[0], v[0]) "
                "take it; or use backward()")


FUNCTIONS = {FN: f_scaled_dot_product_attention}
