"""torch.nn.MultiheadAttention as PyTorch 2.13 builds and runs it.

    mha = nn.MultiheadAttention(embed_dim=8, num_heads=2)
    out, weights = mha(x, x, x)          # x: (L, N, E), or (N, L, E) with batch_first

Parameters are PyTorch's: in_proj_weight (3E, E) (or q_proj_weight,
k_proj_weight, v_proj_weight when kdim or vdim differ from embed_dim),
in_proj_bias, bias_k and bias_v (add_bias_kv=True) and out_proj, a
NonDynamicallyQuantizableLinear. They are drawn from the seed in PyTorch's
order: out_proj's Linear draws its weight and bias first (made in
__init__), then _reset_parameters draws in_proj_weight by xavier_uniform_,
zeroes in_proj_bias and out_proj.bias, and draws bias_k, bias_v by
xavier_normal_.

A call follows F.multi_head_attention_forward op by op, so the graph has
PyTorch's nodes: the packed in-projection (one linear, then view, unsqueeze,
transpose, squeeze, contiguous and a select per part, for self-attention;
a split for key is value; chunks otherwise), heads as view + transpose,
then with need_weights=True q * sqrt(1/E), bmm (baddbmm with a mask),
softmax, bmm and the out-projection, the weights averaged over heads; with
need_weights=False F.scaled_dot_product_attention (its fused kernel).
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from . import modules as M
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .tensor import Tensor

_ACTIVATION = "torch.nn.modules.activation"
_ASSERT = "AssertionError"
_FORWARD_ARGS = ("query", "key", "value", "key_padding_mask", "need_weights", "attn_mask",
                 "average_attn_weights", "is_causal")
_FORWARD_DEFAULTS = (None, True, None, True, False)
_SHAPES_HINT = ("query is (L, N, E) (batch_first: (N, L, E)), key and value (S, N, E); "
                "unbatched: (L, E) and (S, E)")


def _size(shape) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def _fn(name: str):
    """torch's function or tensor method NAME, as gradviz has it."""
    return F.METHODS.get(name) or F.FUNCTIONS[name]


class NonDynamicallyQuantizableLinear(M.Linear):
    """MultiheadAttention's out_proj: an nn.Linear by another name (what
    print(mha) shows)."""

    __slots__ = ()
    name = "NonDynamicallyQuantizableLinear"
    type_name = "torch.nn.modules.linear.NonDynamicallyQuantizableLinear"

    @property
    def text(self) -> str:
        return "NonDynamicallyQuantizable" + super().text


class MultiheadAttention:
    """nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None,
    batch_first=False)."""

    __slots__ = ("embed_dim", "kdim", "vdim", "num_heads", "dropout", "batch_first", "head_dim",
                 "add_zero_attn", "params", "out_proj", "training", "label")
    name = "MultiheadAttention"
    type_name = f"{_ACTIVATION}.MultiheadAttention"
    SETTINGS = ("embed_dim", "kdim", "vdim", "num_heads", "dropout", "batch_first", "head_dim",
                "add_zero_attn", "out_proj", "_qkv_same_embed_dim")
    # every parameter slot, in PyTorch's registration order (None: registered as None)
    PARAMETERS = ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight",
                  "in_proj_bias", "bias_k", "bias_v")

    def __init__(self, sizes: tuple, flags: tuple, params: dict, out_proj):
        self.embed_dim, self.kdim, self.vdim, self.num_heads = sizes
        self.dropout, self.batch_first, self.add_zero_attn = flags
        self.head_dim = self.embed_dim // self.num_heads
        self.params, self.out_proj = params, out_proj
        self.training = True
        self.label = None

    @property
    def ATTRIBUTES(self) -> tuple:
        return self.SETTINGS + self.PARAMETERS

    def __getattr__(self, attr):
        # (only for what is not a slot: the parameters by their names)
        if attr == "_qkv_same_embed_dim":
            return self.kdim == self.embed_dim and self.vdim == self.embed_dim
        if attr in MultiheadAttention.PARAMETERS:       # (registered as None when absent)
            return object.__getattribute__(self, "params").get(attr)
        raise AttributeError(attr)

    @property
    def text(self) -> str:
        return f"{self.name}(\n  (out_proj): {self.out_proj.text}\n)"

    def children(self) -> list:
        return [("out_proj", self.out_proj)]

    def own_parameters(self) -> list:
        return [(k, self.params[k]) for k in self.PARAMETERS if self.params.get(k) is not None]

    def call(self, rt, args: list, kwargs: dict | None):
        a = _bind_forward(args, kwargs)
        return forward(rt, self, *a)


def _bind_forward(args: list, kwargs: dict | None) -> list:
    """forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)'s arguments."""
    return bind("MultiheadAttention.forward()", args, kwargs, _FORWARD_ARGS, 3,
                _FORWARD_DEFAULTS, "self-attention passes one tensor three times: mha(x, x, x)")


def bind(name: str, args: list, kwargs: dict | None, params: tuple, required: int,
         defaults: tuple, hint: str) -> list:
    """A forward's arguments by position and keyword (the first `required`
    of params without defaults), with Python's errors."""
    if len(args) > len(params):
        raise GradvizError(f"{name} takes from {required + 1} to {len(params) + 1} positional "
                           f"arguments but {len(args) + 1} were given", kind=TYPE, hint=hint)
    values = dict(zip(params, args))
    for k, v in (kwargs or {}).items():
        if k not in params:
            raise GradvizError(f"{name} got an unexpected keyword argument '{k}'", kind=TYPE,
                               hint="its keywords: " + ", ".join(params))
        if k in values:
            raise GradvizError(f"{name} got multiple values for argument '{k}'", kind=TYPE)
        values[k] = v
    missing = [k for k in params[:required] if k not in values]
    if missing:
        words = [f"'{k}'" for k in missing]
        words = " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + \
            ", and " + words[-1]
        raise GradvizError(f"{name} missing {len(missing)} required positional argument"
                           f"{'s' if len(missing) > 1 else ''}: {words}", kind=TYPE, hint=hint)
    return [values.get(k, d) for k, d in zip(params, (None,) * required + tuple(defaults))]


# ---- making one ------------------------------------------------------------------

def make_multihead_attention(rt, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                             add_zero_attn=False, kdim=None, vdim=None, batch_first=False,
                             device=None, dtype=None):
    embed_dim, num_heads = _head_sizes(embed_dim, num_heads)
    kdim = embed_dim if kdim is None else kdim
    vdim = embed_dim if vdim is None else vdim
    if device is not None:
        F.check_device(device)
    dt = M._float_dtype(rt, dtype)
    e = embed_dim
    shapes = {"in_proj_weight": (3 * e, e)} if kdim == e and vdim == e else \
        {"q_proj_weight": (e, e), "k_proj_weight": (e, kdim), "v_proj_weight": (e, vdim)}
    for shape in shapes.values():
        M._no_negative(shape)
    # the parameters are made empty; out_proj's Linear draws its own at once
    params = {k: M._filled(rt, s, dt, 0.0, True, "Parameter") for k, s in shapes.items()}
    if bias:
        params["in_proj_bias"] = M._filled(rt, (3 * e,), dt, 0.0, True, "Parameter")
    weight, b = M._linear_parameters(rt, e, e, bias, dt)
    out_proj = NonDynamicallyQuantizableLinear(weight, b, e, e)
    if add_bias_kv:
        for k in ("bias_k", "bias_v"):
            params[k] = M._filled(rt, (1, 1, e), dt, 0.0, True, "Parameter")
    # _reset_parameters: xavier_uniform_ on the projections, the biases zeroed
    for k in shapes:
        t = params[k]
        bound = math.sqrt(3.0) * M._xavier_std(t, 1.0)
        t.data[...] = rt.rng.rand(t.data.shape, dt, -bound, bound)
    if bias:
        b.data[...] = 0
    if add_bias_kv:
        for k in ("bias_k", "bias_v"):
            t = params[k]
            t.data[...] = rt.rng.normal(t.data.shape, dt, 0.0, M._xavier_std(t, 1.0))
    return MultiheadAttention((e, kdim, vdim, num_heads), (dropout, bool(batch_first),
                                                           bool(add_zero_attn)), params, out_proj)


def _head_sizes(embed_dim, num_heads) -> tuple:
    """MultiheadAttention's checks of its sizes, made as its Python makes
    them: each compared with 0 (a value no number compares with is Python's
    TypeError), then embed_dim split into heads with // (a float that splits
    evenly passes here, to fail as a size of torch.empty). An integer tensor
    of one element is its value, as torch.empty takes it."""
    embed_dim, num_heads = (int(v.data.item()) if F.is_tensor(v) and v.data.size == 1
                            and v.data.dtype.kind in "iu" else v for v in (embed_dim, num_heads))
    hint = "nn.MultiheadAttention(embed_dim, num_heads): whole numbers, both 1 or more"
    if F.at_most_zero(embed_dim, hint) or F.at_most_zero(num_heads, hint):
        raise GradvizError("embed_dim and num_heads must be greater than 0, got "
                           f"embed_dim={embed_dim} and num_heads={num_heads} instead",
                           kind=VALUE, hint=hint)
    if (embed_dim // num_heads) * num_heads != embed_dim:
        raise GradvizError("embed_dim must be divisible by num_heads", kind=_ASSERT,
                           hint=f"each of the {num_heads} heads takes embed_dim / num_heads "
                                f"features: {embed_dim} does not split evenly" + (
                                    f"; try num_heads={_divisor(embed_dim, num_heads)}"
                                    if isinstance(embed_dim, int) and isinstance(num_heads, int)
                                    else ""))
    return embed_dim, num_heads


def _divisor(embed_dim: int, num_heads: int) -> int:
    """The number of heads nearest num_heads that divides embed_dim, among
    the divisors trial division finds in a bounded number of steps (an
    embed_dim of 2**63 is not walked to its end)."""
    divisors = set()
    h = 1
    while h * h <= embed_dim and h <= 100_000:
        if embed_dim % h == 0:
            divisors.update((h, embed_dim // h))
        h += 1
    return min(divisors, key=lambda d: (abs(d - num_heads), d))


# ---- a call ---------------------------------------------------------------------

def _canonical_mask(rt, mask, name: str, other, other_name: str, dtype) -> Tensor | None:
    """F._canonical_mask: a bool mask as a float one (-inf where True: masked
    out), a float mask as it is; PyTorch's warning for masks of two kinds."""
    if mask is None:
        return None
    if not F.is_tensor(mask):
        raise GradvizError(f"'{F.arg_type_name(mask)}' object has no attribute 'dtype'",
                           kind="AttributeError", hint=f"{name} is a tensor or None")
    md = mask.data.dtype
    if md != np.bool_ and md.kind != "f":
        raise GradvizError(f"only bool and floating types of {name} are supported", kind=_ASSERT,
                           hint=f"{name} is bool (True: masked out) or float (added to the "
                                "scores)")
    if other is not None and md != other:
        rt.log_event("user_warning", mask,
                     message=f"Support for mismatched {name} and {other_name} is deprecated. "
                             "Use same type for both instead.")
    if md != np.bool_:
        return mask
    data = np.where(mask.data, dtype.type(-np.inf), dtype.type(0)).astype(dtype)
    return F._leaf(rt, data, False, f"{name} as float")


def none_or_dtype(mask):
    """F._none_or_dtype: the dtype of the other mask a mask is compared with."""
    if mask is None:
        return None
    if not F.is_tensor(mask):
        raise GradvizError("input to _none_or_dtype() must be None or torch.Tensor",
                           kind=RUNTIME, hint="a mask is a tensor or None")
    return mask.data.dtype


def _check_tensors(values: list) -> None:
    for i, (k, v) in enumerate(zip(("query", "key", "value"), values)):
        F._need_tensor(v, "multi_head_attention_forward", i + 1, k)
    for k, v in (("key_padding_mask", values[3]), ("attn_mask", values[5])):
        if v is not None and not F.is_tensor(v):
            raise GradvizError(f"'{F.arg_type_name(v)}' object has no attribute 'dtype'",
                               kind="AttributeError", hint=f"{k} is a tensor or None")


def forward(rt, m, query, key, value, key_padding_mask, need_weights, attn_mask,
            average_attn_weights, is_causal):
    """MultiheadAttention.forward: the masks made float, batch_first
    inputs transposed (keeping which of them are one tensor), then
    F.multi_head_attention_forward."""
    _check_tensors([query, key, value, key_padding_mask, need_weights, attn_mask])
    dt = query.data.dtype
    batched = query.data.ndim == 3
    key_padding_mask = _canonical_mask(rt, key_padding_mask, "key_padding_mask",
                                       None if attn_mask is None else attn_mask.data.dtype,
                                       "attn_mask", dt)
    attn_mask = _canonical_mask(rt, attn_mask, "attn_mask", None, "", dt)
    if m.batch_first and batched:
        t = _fn("transpose")
        if key is value:
            if query is key:
                query = key = value = t(rt, query, 1, 0)
            else:
                query, key = (t(rt, x, 1, 0) for x in (query, key))
                value = key
        else:
            query, key, value = (t(rt, x, 1, 0) for x in (query, key, value))
    out, weights = _mha_forward(rt, m, query, key, value, key_padding_mask, bool(need_weights),
                                attn_mask, bool(average_attn_weights), bool(is_causal))
    if m.batch_first and batched:
        out = _fn("transpose")(rt, out, 1, 0)
    return out, weights


def _shape_check(q, k, v, kpm, mask, heads: int) -> bool:
    """F._mha_shape_check: whether the call is batched, PyTorch's words
    for shapes it does not take."""
    qd, kd, vd = q.data.ndim, k.data.ndim, v.data.ndim
    if qd not in (2, 3):
        raise GradvizError(f"query should be unbatched 2D or batched 3D tensor but received "
                           f"{qd}-D query tensor", kind=_ASSERT, hint=_SHAPES_HINT)
    kind = "batched (3-D)" if qd == 3 else "unbatched (2-D)"
    if kd != qd or vd != qd:
        raise GradvizError(f"For {kind} `query`, expected `key` and `value` to be {qd}-D but "
                           f"found {kd}-D and {vd}-D tensors respectively", kind=_ASSERT,
                           hint=_SHAPES_HINT)
    if kpm is not None and kpm.data.ndim != qd - 1:
        raise GradvizError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                           f"{qd - 1}-D but found {kpm.data.ndim}-D tensor instead", kind=_ASSERT,
                           hint="key_padding_mask is (N, S): True where a key is padding")
    if mask is not None:
        if mask.data.ndim not in (2, 3):
            raise GradvizError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D or "
                               f"3-D but found {mask.data.ndim}-D tensor instead", kind=_ASSERT,
                               hint="attn_mask is (L, S) or (N * num_heads, L, S)")
        want = (heads, q.data.shape[0], k.data.shape[0])
        if qd == 2 and mask.data.ndim == 3 and mask.data.shape != want:
            raise GradvizError(f"Expected `attn_mask` shape to be {want} but got "
                               f"{_size(mask.data.shape)}", kind=_ASSERT,
                               hint="an unbatched call's 3-d mask is (num_heads, L, S)")
    return qd == 3


def _in_projection(rt, m, q, k, v) -> tuple:
    """F._in_projection_packed (one weight for all three) or
    F._in_projection (q_proj_weight, k_proj_weight, v_proj_weight)."""
    linear, e = M.f_linear, q.data.shape[-1]
    w, b = m.in_proj_weight, m.in_proj_bias
    if w is None:
        bq = bk = bv = None
        if b is not None:
            bq, bk, bv = _fn("chunk")(rt, b, 3)
        _separate_shapes(m, q, k, v)
        return (linear(rt, q, m.q_proj_weight, bq), linear(rt, k, m.k_proj_weight, bk),
                linear(rt, v, m.v_proj_weight, bv))
    if k is v:
        if q is k:          # self-attention: one product, its three parts
            parts, proj = 3, linear(rt, q, w, b)
            outs = []
        else:               # key is value: the query's part, then key's and value's at once
            split = _fn("split")
            w_q, w_kv = split(rt, w, [e, 2 * e])
            b_q, b_kv = split(rt, b, [e, 2 * e]) if b is not None else (None, None)
            outs = [linear(rt, q, w_q, b_q)]
            parts, proj = 2, linear(rt, k, w_kv, b_kv)
        # unflatten(-1, (parts, E)).unsqueeze(0).transpose(0, -2).squeeze(-2).contiguous()
        p = F.METHODS["view"](rt, proj, *proj.data.shape[:-1], parts, e)
        p = _fn("unsqueeze")(rt, p, 0)
        p = _fn("transpose")(rt, p, 0, -2)
        p = _fn("squeeze")(rt, p, -2)
        p = F.METHODS["contiguous"](rt, p)
        return tuple(outs) + tuple(rt.index_tensor(p, [i]) for i in range(parts))
    w_q, w_k, w_v = _fn("chunk")(rt, w, 3)
    b_q, b_k, b_v = _fn("chunk")(rt, b, 3) if b is not None else (None, None, None)
    return linear(rt, q, w_q, b_q), linear(rt, k, w_k, b_k), linear(rt, v, w_v, b_v)


def _separate_shapes(m, q, k, v) -> None:
    for t, w, name in ((k, m.k_proj_weight, "key"), (v, m.v_proj_weight, "value")):
        if t.data.shape[-1] != w.data.shape[1]:
            rows = int(np.prod(t.data.shape[:-1]))
            raise GradvizError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x"
                               f"{t.data.shape[-1]} and {w.data.shape[1]}x{w.data.shape[0]})",
                               kind=RUNTIME, hint=f"the {name}'s features must be "
                                                  f"{'kdim' if name == 'key' else 'vdim'} = "
                                                  f"{w.data.shape[1]}")


def _mha_forward(rt, m, query, key, value, kpm, need_weights: bool, attn_mask,
                 average: bool, is_causal: bool) -> tuple:
    """F.multi_head_attention_forward, step by step as PyTorch 2.13 takes them."""
    heads = m.num_heads
    batched = _shape_check(query, key, value, kpm, attn_mask, heads)
    if not batched:         # (three new tensors: self-attention takes the chunked path then)
        query, key, value = (_fn("unsqueeze")(rt, x, 1) for x in (query, key, value))
        if kpm is not None:
            kpm = _fn("unsqueeze")(rt, kpm, 0)
    tgt_len, bsz, embed_dim = query.data.shape
    src_len = key.data.shape[0]
    if is_causal and attn_mask is None:
        raise GradvizError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.", kind=RUNTIME,
                           hint="pass attn_mask=nn.Transformer.generate_square_subsequent_mask(L)"
                                " with is_causal=True")
    if is_causal and kpm is None and not need_weights:
        attn_mask = None        # the hint goes to scaled_dot_product_attention as is_causal
    elif kpm is not None:
        is_causal = False       # the merged mask is not causal
    if embed_dim != m.embed_dim:
        raise GradvizError(f"was expecting embedding dimension of {m.embed_dim}, but got "
                           f"{embed_dim}", kind=_ASSERT,
                           hint=f"the query's last dim is the layer's embed_dim ({m.embed_dim})"
                                + ("; a batch that comes first needs the layer made with "
                                   "batch_first=True" if not m.batch_first else
                                   ""))
    head_dim = embed_dim // heads
    if m.in_proj_weight is None:
        if key.data.shape[:2] != value.data.shape[:2]:
            raise GradvizError(f"key's sequence and batch dims {_size(key.data.shape[:2])} do "
                               f"not match value's {_size(value.data.shape[:2])}", kind=_ASSERT,
                               hint="key and value have one sequence length and batch")
    elif key.data.shape != value.data.shape:
        raise GradvizError(f"key shape {_size(key.data.shape)} does not match value shape "
                           f"{_size(value.data.shape)}", kind=_ASSERT,
                           hint="key and value are (S, N, E) both")
    start = len(rt.tape.nodes)
    q, k, v = _in_projection(rt, m, query, key, value)
    start = _step(rt, start, "in-projection")
    unsqueeze, cat, view, transpose = (_fn("unsqueeze"), _fn("cat"), F.METHODS["view"],
                                       _fn("transpose"))
    if attn_mask is not None:
        shape = attn_mask.data.shape
        if attn_mask.data.ndim == 2:
            if shape != (tgt_len, src_len):
                raise GradvizError(f"The shape of the 2D attn_mask is {_size(shape)}, but should "
                                   f"be {(tgt_len, src_len)}.", kind=RUNTIME,
                                   hint="a 2-d attn_mask is (L, S): query length by key length")
            attn_mask = unsqueeze(rt, attn_mask, 0)
        elif shape != (bsz * heads, tgt_len, src_len):
            raise GradvizError(f"The shape of the 3D attn_mask is {_size(shape)}, but should be "
                               f"{(bsz * heads, tgt_len, src_len)}.", kind=RUNTIME,
                               hint="a 3-d attn_mask is (N * num_heads, L, S)")
    pad = F.NN_FUNCTIONAL["pad"]
    if m.bias_k is not None:
        k = cat(rt, [k, F.METHODS["repeat"](rt, m.bias_k, 1, bsz, 1)])
        v = cat(rt, [v, F.METHODS["repeat"](rt, m.bias_v, 1, bsz, 1)])
        attn_mask = None if attn_mask is None else pad(rt, attn_mask, (0, 1))
        kpm = None if kpm is None else pad(rt, kpm, (0, 1))
    q = transpose(rt, view(rt, q, tgt_len, bsz * heads, head_dim), 0, 1)
    k = transpose(rt, view(rt, k, k.data.shape[0], bsz * heads, head_dim), 0, 1)
    v = transpose(rt, view(rt, v, v.data.shape[0], bsz * heads, head_dim), 0, 1)
    if m.add_zero_attn:
        zeros = F._leaf(rt, np.zeros((bsz * heads, 1, head_dim), k.data.dtype), False, "zeros")
        k, v = cat(rt, [k, zeros], dim=1), cat(rt, [v, zeros], dim=1)
        attn_mask = None if attn_mask is None else pad(rt, attn_mask, (0, 1))
        kpm = None if kpm is None else pad(rt, kpm, (0, 1))
    src_len = k.data.shape[1]
    if kpm is not None:
        for i, want in enumerate((bsz, src_len)):
            if kpm.data.shape[i] != want:
                raise GradvizError(f"Expected key_padded_mask.shape[{i}] to be {want}, but got "
                                   f"{kpm.data.shape[i]}", kind=_ASSERT,
                                   hint="key_padding_mask is (N, S): one row per batch item, "
                                        "one column per key")
        kpm = view(rt, kpm, bsz, 1, 1, src_len)
        kpm = F.METHODS["expand"](rt, kpm, -1, heads, -1, -1)
        kpm = _fn("reshape")(rt, kpm, bsz * heads, 1, src_len)
        attn_mask = kpm if attn_mask is None else rt.binary("+", attn_mask, kpm)
    dropout_p = m.dropout if m.training else 0.0
    start = _step(rt, start, "split into heads")
    if need_weights:
        return _with_weights(rt, m, q, k, v, attn_mask, dropout_p, (tgt_len, bsz, src_len),
                             average, batched, is_causal)
    if attn_mask is not None:
        if attn_mask.data.shape[0] == 1 and attn_mask.data.ndim == 3:
            attn_mask = unsqueeze(rt, attn_mask, 0)
        else:
            attn_mask = view(rt, attn_mask, bsz, heads, -1, src_len)
    q = view(rt, q, bsz, heads, tgt_len, head_dim)
    k = view(rt, k, bsz, heads, src_len, head_dim)
    v = view(rt, v, bsz, heads, src_len, head_dim)
    from .attention import f_scaled_dot_product_attention
    out = f_scaled_dot_product_attention(rt, q, k, v, attn_mask, dropout_p, is_causal)
    start = _step(rt, start, "attention")
    out = _fn("reshape")(rt, F.METHODS["permute"](rt, out, 2, 0, 1, 3), bsz * tgt_len,
                         embed_dim)
    out = _out_projection(rt, m, out, tgt_len, bsz)
    _step(rt, start, "out-projection")
    return (out if batched else _fn("squeeze")(rt, out, 1)), None


def _step(rt, start: int, what: str) -> int:
    """The nodes made since `start` are one step of the attention: the
    tables and the picture say "in-projection in mha(x, x, x)" (not the
    call's text on all thirty of them). Returns where the next step starts."""
    M.mark_made(rt, start, what)
    return len(rt.tape.nodes)


def _out_projection(rt, m, out, tgt_len: int, bsz: int):
    out = M.f_linear(rt, out, m.out_proj.weight, m.out_proj.bias)
    return F.METHODS["view"](rt, out, tgt_len, bsz, out.data.shape[1])


def _with_weights(rt, m, q, k, v, attn_mask, dropout_p, sizes: tuple, average: bool,
                  batched: bool, is_causal: bool) -> tuple:
    """need_weights=True: the attention weights made explicitly (bmm, softmax)."""
    tgt_len, bsz, src_len = sizes
    transpose = _fn("transpose")
    start = len(rt.tape.nodes)
    e = q.data.shape[-1]
    q_scaled = rt.binary("*", q, math.sqrt(1.0 / float(e)))
    if is_causal and attn_mask is None:
        raise GradvizError("FIXME: is_causal not implemented for need_weights", kind=_ASSERT,
                           hint="give attn_mask with is_causal=True, or need_weights=False")
    kt = transpose(rt, k, -2, -1)
    if attn_mask is not None:
        weights = _fn("baddbmm")(rt, attn_mask, q_scaled, kt)
    else:
        weights = _fn("bmm")(rt, q_scaled, kt)
    weights = F.NN_FUNCTIONAL["softmax"](rt, weights, dim=-1)
    if dropout_p > 0.0:
        weights = M.f_dropout(rt, weights, dropout_p)
    start = _step(rt, start, "attention weights")
    out = _fn("bmm")(rt, weights, v)
    start = _step(rt, start, "weights @ value")
    out = _fn("reshape")(rt, transpose(rt, out, 0, 1), tgt_len * bsz, m.embed_dim)
    out = _out_projection(rt, m, out, tgt_len, bsz)
    start = _step(rt, start, "out-projection")
    weights = F.METHODS["view"](rt, weights, bsz, m.num_heads, tgt_len, src_len)
    if average:
        weights = _fn("mean")(rt, weights, dim=1)
    _step(rt, start, "attention weights")
    if not batched:
        out, weights = _fn("squeeze")(rt, out, 1), _fn("squeeze")(rt, weights, 0)
    return out, weights


CLASSES = (MultiheadAttention, NonDynamicallyQuantizableLinear)
MAKERS = {MultiheadAttention.type_name: make_multihead_attention}
