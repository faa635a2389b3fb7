"""torch.nn.TransformerEncoderLayer and nn.TransformerEncoder as PyTorch 2.13
builds and runs them, and nn.Transformer.generate_square_subsequent_mask.

    layer = nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
    encoder = nn.TransformerEncoder(layer, num_layers=2)
    y = encoder(x, mask=nn.Transformer.generate_square_subsequent_mask(3))

A layer's modules are made in PyTorch's order (self_attn, linear1, dropout,
linear2, norm1, norm2, dropout1, dropout2), so their parameters are drawn
from the seed as PyTorch draws them; an encoder holds deep copies of the
layer (the same values, parameters of their own). A call is the layer's
composite path: self-attention with need_weights=False (the fused
attention node), residual additions, layer norms, the feed-forward block.
PyTorch's inference fast paths (eval() under no_grad with batch_first)
compute the same function in fused kernels: their values are computed here
by the composite path, and the encoder's nested-tensor path leaves zeros at
padded positions, as PyTorch's does.
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import layers, module_hooks
from . import mha as A
from . import modules as M
from .errors import RUNTIME, TYPE, GradvizError

_TRANSFORMER = "torch.nn.modules.transformer"
_CALL_HINT = "call it on the input sequence: encoder(x), or encoder(x, mask=...)"


def _nested_text(name: str, children: list) -> str:
    lines = [f"  ({key}): " + M.text_of(None, sub).replace("\n", "\n  ")
             for key, sub in children]
    return f"{name}(\n" + "\n".join(lines) + "\n)"


class TransformerEncoderLayer:
    """nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048,
    dropout=0.1, activation=F.relu, layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)."""

    __slots__ = ("mods", "activation", "norm_first", "training", "label")
    FF_DROPOUT = "dropout2"         # (the feed-forward block's last dropout)
    name = "TransformerEncoderLayer"
    type_name = f"{_TRANSFORMER}.TransformerEncoderLayer"

    def __init__(self, mods: dict, activation, norm_first: bool):
        self.mods, self.activation, self.norm_first = mods, activation, norm_first
        self.training = True
        self.label = None

    @property
    def ATTRIBUTES(self) -> tuple:
        return tuple(self.mods) + ("activation", "norm_first")

    def __getattr__(self, attr):
        # (only for what is not a slot: the modules by their names)
        try:
            return object.__getattribute__(self, "mods")[attr]
        except KeyError:
            raise AttributeError(attr) from None

    @property
    def text(self) -> str:
        return _nested_text(self.name, self.children())

    def children(self) -> list:
        return list(self.mods.items())

    def own_parameters(self) -> list:
        return []

    def call(self, rt, args: list, kwargs: dict | None):
        src, mask, kpm, is_causal = A.bind(f"{self.name}.forward()", args, kwargs,
                                           ("src", "src_mask", "src_key_padding_mask",
                                            "is_causal"), 1, (None, None, False), _CALL_HINT)
        F._need_tensor(src, "layer_norm")
        kpm = A._canonical_mask(rt, kpm, "src_key_padding_mask", A.none_or_dtype(mask), "src_mask",
                                src.data.dtype)
        mask = A._canonical_mask(rt, mask, "src_mask", None, "", src.data.dtype)
        return self.forward(rt, src, mask, kpm, bool(is_causal))

    def forward(self, rt, x, mask, kpm, is_causal: bool):
        """(Fig. 1 of Xiong et al. 2020) post-norm: norm1(x + sa(x)), then
        norm2(x + ff(x)); norm_first: x + sa(norm1(x)), then x + ff(norm2(x))."""
        m = self.mods

        def norm1(t):
            return step(rt, "norm1", call_part, rt, m["norm1"], [t])

        def norm2(t):
            return step(rt, "norm2", call_part, rt, m["norm2"], [t])

        def residual(a, b):
            return step(rt, "residual", rt.binary, "+", a, b)

        def sa(t):
            return step(rt, "self-attention", self._sa_block, rt, t, mask, kpm, is_causal)

        def ff(t):
            return step(rt, "feed-forward", self._ff_block, rt, t)

        if self.norm_first:
            x = residual(x, sa(norm1(x)))
            return residual(x, ff(norm2(x)))
        x = norm1(residual(x, sa(x)))
        return norm2(residual(x, ff(x)))

    def _sa_block(self, rt, x, mask, kpm, is_causal: bool):
        out = attend(rt, self.mods["self_attn"], x, x, mask, kpm, is_causal)
        return call_part(rt, self.mods["dropout1"], [out])

    def _ff_block(self, rt, x):
        m = self.mods
        h = _activate(rt, self.activation, call_part(rt, m["linear1"], [x]))
        h = call_part(rt, m["linear2"], [call_part(rt, m["dropout"], [h])])
        return call_part(rt, m[self.FF_DROPOUT], [h])


def call_part(rt, m, args: list, kwargs: dict | None = None):
    """m(*args, **kwargs) as PyTorch's layers call their parts: as a module,
    so that the hooks the program put on it run (a forward hook on
    layer.linear1 or layer.self_attn to see what flows inside); m is
    gradviz's module or the program's own that replaced it."""
    if m.__class__ in M.CLASSES or m.__class__ is layers.Layer:
        return module_hooks.call(rt, m, args, kwargs, lambda a, k: m.call(rt, list(a), k))
    from . import classes
    return classes.call(rt, m, args, kwargs or {})


def attend(rt, attn, x, kv, mask, kpm, is_causal: bool):
    """A layer's attention block's call: attn(x, kv, kv, attn_mask=...,
    key_padding_mask=..., need_weights=False, is_causal=...)[0]."""
    return call_part(rt, attn, [x, kv, kv], {"attn_mask": mask, "key_padding_mask": kpm,
                                             "need_weights": False, "is_causal": is_causal})[0]


def step(rt, what: str, fn, *args):
    """fn(*args), its nodes named by the step: "norm1 in enc(x)" (the
    attention's own steps keep their finer names, as the innermost mark stays)."""
    start = len(rt.tape.nodes)
    out = fn(*args)
    M.mark_made(rt, start, what)
    return out


def of_part(rt, start: int, part: str) -> None:
    """The nodes made since `start` are one part's of a bigger module (a
    layer of an encoder, the encoder of a Transformer): the part's name
    goes on the step's ("norm1 of layers.1 in enc(x)", then "norm1 of
    encoder.layers.1 in model(src, tgt)"), so the parts' steps are told apart."""
    for t in rt.tape.nodes[start:]:
        meta = t.meta or {}
        name = meta.get("module")
        if name is None:
            name = part
        elif " of " in name:
            name, inner = name.rsplit(" of ", 1)
            name = f"{name} of {part}.{inner}"
        else:
            name = f"{name} of {part}"
        t.meta = {**meta, "module": name}


def _activate(rt, activation, x):
    if isinstance(activation, str):
        return F.NN_FUNCTIONAL[activation](rt, x)
    if M.is_module(activation):
        return M.call_module(rt, activation, x)
    return rt.call_value(activation, [x])


def make_encoder_layer(rt, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                       layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                       device=None, dtype=None):
    mods = layer_modules(rt, 1, (d_model, nhead, dim_feedforward, dropout, layer_norm_eps,
                                 batch_first, bias, device, dtype), activation)
    return TransformerEncoderLayer(mods, activation, bool(norm_first))


def layer_modules(rt, attentions: int, sizes: tuple, activation) -> dict:
    """An encoder layer's modules (attentions=1) or a decoder layer's (2:
    self_attn and multihead_attn, a third norm and dropout), made in
    PyTorch's order, so their parameters are drawn from the seed as
    PyTorch draws them."""
    d_model, nhead, dim_feedforward, dropout, eps, batch_first, bias, device, dtype = sizes
    made = {"device": device, "dtype": dtype}
    mods = {k: A.make_multihead_attention(rt, d_model, nhead, dropout=dropout, bias=bias,
                                          batch_first=batch_first, **made)
            for k in ("self_attn", "multihead_attn")[:attentions]}
    mods["linear1"] = M.make_linear(rt, d_model, dim_feedforward, bias=bias, **made)
    mods["dropout"] = M.make_dropout(rt, dropout)
    mods["linear2"] = M.make_linear(rt, dim_feedforward, d_model, bias=bias, **made)
    for i in range(1, attentions + 2):
        mods[f"norm{i}"] = M.make_layer_norm(rt, d_model, eps=eps, bias=bias, **made)
    for i in range(1, attentions + 2):
        mods[f"dropout{i}"] = M.make_dropout(rt, dropout)
    # (the name of the activation is looked up after the modules are made)
    if isinstance(activation, str) and activation not in ("relu", "gelu"):
        raise GradvizError(f"activation should be relu/gelu, not {activation}", kind=RUNTIME,
                           hint="activation='relu', 'gelu', or a function: F.gelu")
    if M.is_module(activation):       # a module given as the activation is one of its modules
        mods["activation"] = activation
    return mods


class TransformerEncoder:
    """nn.TransformerEncoder(encoder_layer, num_layers, norm=None,
    enable_nested_tensor=True, mask_check=True): num_layers deep copies of
    the layer in a ModuleList, then norm."""

    __slots__ = ("layers", "num_layers", "norm", "use_nested_tensor", "training", "label")
    name = "TransformerEncoder"
    type_name = f"{_TRANSFORMER}.TransformerEncoder"
    ATTRIBUTES = ("layers", "num_layers", "norm")
    LAYER = TransformerEncoderLayer         # (the layer it copies)

    def __init__(self, layer_list, num_layers: int, norm, use_nested_tensor: bool):
        self.layers, self.num_layers, self.norm = layer_list, num_layers, norm
        self.use_nested_tensor = use_nested_tensor
        self.training = True
        self.label = None

    @property
    def text(self) -> str:
        return _nested_text(self.name, self.children())

    def children(self) -> list:
        return [("layers", self.layers)] + ([("norm", self.norm)] if self.norm is not None
                                            else [])

    def own_parameters(self) -> list:
        return []

    def call(self, rt, args: list, kwargs: dict | None):
        src, mask, kpm, is_causal = A.bind(f"{self.name}.forward()", args, kwargs,
                                           ("src", "mask", "src_key_padding_mask", "is_causal"),
                                           1, (None, None, None), _CALL_HINT)
        F._need_tensor(src, "layer_norm")
        dt = src.data.dtype
        kpm = A._canonical_mask(rt, kpm, "src_key_padding_mask", A.none_or_dtype(mask), "mask",
                                dt)
        mask = A._canonical_mask(rt, mask, "mask", None, "", dt)
        # layers[0] as PyTorch takes it: no layers (num_layers <= 0) is its IndexError
        first = self.layers.item(0)
        batch_first = first.mods["self_attn"].batch_first
        padded = self._nested_padding(rt, src, mask, kpm)
        seq_len = src.data.shape[1 if batch_first and src.data.ndim == 3 else 0]
        if is_causal is None:
            is_causal = mask is not None and _is_causal_mask(mask.data, seq_len)
        out = src
        for i, layer in enumerate(self.layers.items):
            # (PyTorch's nested tensor drops the padded keys; masking them is the same)
            start = len(rt.tape.nodes)
            out = call_part(rt, layer, [out], {"src_mask": mask, "is_causal": bool(is_causal),
                                               "src_key_padding_mask": kpm})
            of_part(rt, start, f"layers.{i}")
        if padded is not None:      # (PyTorch's nested tensor: padded positions come back 0)
            out = F._leaf(rt, np.where(padded[..., None], out.data.dtype.type(0), out.data),
                          False, "to_padded_tensor")
        return final_norm(rt, self.norm, out)

    def _nested_padding(self, rt, src, mask, kpm):
        """Where PyTorch's fast path packs the batch into a nested tensor
        (eval(), no gradient, batch-first, a left-aligned key padding mask
        and no mask): the padded positions (True), else None."""
        first = self.layers.items[0]
        if not self.use_nested_tensor or first.training or src.data.ndim != 3 or kpm is None \
                or mask is not None:
            return None
        pad = kpm.data != 0
        lengths = (~pad).sum(axis=1)
        if not np.array_equal(~pad, np.arange(pad.shape[1]) < lengths[:, None]):
            return None             # not left-aligned
        tensors = [src] + [p for _, p in M.named_parameters(first)]
        if rt.tape.grad_enabled and any(t.requires_grad for t in tensors):
            return None
        return pad


def final_norm(rt, norm, out):
    """An encoder's or decoder's norm after its layers (if it has one), its
    nodes named "norm"."""
    return out if norm is None else step(rt, "norm", M.call_module, rt, norm, out)


def _is_causal_mask(mask: np.ndarray, size: int) -> bool:
    """_detect_is_causal_mask: the mask is generate_square_subsequent_mask(size)."""
    causal = np.triu(np.full((size, size), -np.inf, mask.dtype), 1)
    return mask.shape == causal.shape and bool(np.all(mask == causal))


def _clone_parameter(rt, p):
    t = F._leaf(rt, p.data.copy(), p.requires_grad, "Parameter")
    t.meta = {**(t.meta or {}), "parameter": True}
    return t


def _deep_copy(rt, m):
    """copy.deepcopy of a module made of these classes: parameters of its
    own with the same values, and the hooks of the module copied."""
    copy = _copy_of(rt, m)
    if copy is not m:
        module_hooks.copy_hooks(rt, [(m, copy)])
    return copy


def _copy_of(rt, m):
    if m.__class__ is M.Linear or m.__class__ is A.NonDynamicallyQuantizableLinear:
        return m.__class__(_clone_parameter(rt, m.weight), None if m.bias is None else
                           _clone_parameter(rt, m.bias), m.in_features, m.out_features)
    if m.__class__ is M.LayerNorm:
        copy = M.LayerNorm(*(None if p is None else _clone_parameter(rt, p)
                             for p in (m.weight, m.bias)), m.normalized_shape, m.eps,
                           m.elementwise_affine)
    elif m.__class__ is M.Dropout:
        copy = M.Dropout(m.p)
    elif m.__class__ is A.MultiheadAttention:
        copy = A.MultiheadAttention((m.embed_dim, m.kdim, m.vdim, m.num_heads),
                                    (m.dropout, m.batch_first, m.add_zero_attn),
                                    {k: None if p is None else _clone_parameter(rt, p)
                                     for k, p in m.params.items()}, _deep_copy(rt, m.out_proj))
    elif isinstance(m, TransformerEncoderLayer):      # (or a TransformerDecoderLayer)
        copy = m.__class__({k: _deep_copy(rt, sub) for k, sub in m.mods.items()},
                           m.activation, m.norm_first)
        if "activation" in copy.mods:
            copy.activation = copy.mods["activation"]
    elif m.__class__ is layers.Layer:
        return m
    else:
        raise GradvizError(f"nn.TransformerEncoder copies a TransformerEncoderLayer, not a "
                           f"{m.name}", kind=TYPE,
                           hint="nn.TransformerEncoder(nn.TransformerEncoderLayer(d, h), n)")
    copy.training = m.training
    return copy


def _why_not_nested(layer) -> str:
    """Why PyTorch's encoder will not use nested tensors (its warning's words)."""
    attn = layer.mods["self_attn"]
    enc = "encoder_layer"
    if layer.norm_first:
        return f"{enc}.norm_first was True"
    if not attn.batch_first:
        return (f"{enc}.self_attn.batch_first was not True(use batch_first for better "
                "inference performance)")
    if attn.in_proj_bias is None:
        return f"{enc}.self_attn was passed bias=False"
    act = layer.activation
    if not (act in ("relu", "gelu") or getattr(act, "name", None) in ("relu", "gelu", "ReLU",
                                                                      "GELU")):
        return f"{enc}.activation_relu_or_gelu was not True"
    if layer.mods["norm1"].eps != layer.mods["norm2"].eps:
        return f"{enc}.norm1.eps was not equal to {enc}.norm2.eps"
    if attn.num_heads % 2 == 1:
        return f"{enc}.self_attn.num_heads is odd"
    return ""


def make_encoder(rt, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
    return encoder_of(rt, encoder_layer, num_layers, norm, enable_nested_tensor, False)


def encoder_of(rt, layer, num_layers, norm, enable_nested_tensor, own_layer: bool):
    """An encoder of copies of the layer (own_layer: see clones)."""
    copies = clones(rt, TransformerEncoder, layer, num_layers, own_layer)
    # (PyTorch also warns when enable_nested_tensor cannot be honoured; not here)
    why = _why_not_nested(layer)
    return TransformerEncoder(copies, num_layers, norm, bool(enable_nested_tensor) and not why)


def clones(rt, cls, layer, num_layers, own_layer: bool):
    """_get_clones: num_layers deep copies of the layer in a ModuleList, for
    an encoder or decoder (cls). own_layer: the first copy is the layer
    itself, for nn.Transformer's layer that nothing else holds (the same
    values; no parameters left on the tape that nothing reaches)."""
    if layer.__class__ is not cls.LAYER:
        raise GradvizError(f"nn.{cls.name} takes an nn.{cls.LAYER.name} here, not "
                           f"{F.arg_type_name(layer)}", kind=TYPE,
                           hint=f"nn.{cls.name}(nn.{cls.LAYER.name}(d, h), n)")
    if isinstance(num_layers, bool) or not isinstance(num_layers, int):
        raise GradvizError(f"'{F.arg_type_name(num_layers)}' object cannot be interpreted as "
                           "an integer", kind=TYPE, hint="num_layers is a whole number")
    rt.tape.room_for(num_layers, "layers")
    copies = [layer if own_layer and i == 0 else _deep_copy(rt, layer)
              for i in range(num_layers)]
    return M.ModuleList(copies)



def generate_square_subsequent_mask(rt, sz, device=None, dtype=None):
    """nn.Transformer.generate_square_subsequent_mask(sz): -inf above the
    diagonal, 0 elsewhere."""
    if device is not None:
        F.check_device(device)
    if F.is_tensor(sz) and sz.data.size == 1 and sz.data.dtype.kind in "iu":
        sz = int(sz.data.item())    # (torch.full reads a one-element integer tensor as a size)
    # torch.full((sz, sz), -inf): its size checks, and its refusal of -inf in an integer dtype
    mask = F.full_array(rt, (sz, sz), float("-inf"), dtype, "full")
    return F._leaf(rt, np.triu(mask, 1), False, "generate_square_subsequent_mask")


CLASSES = (TransformerEncoderLayer, TransformerEncoder)
MAKERS = {TransformerEncoderLayer.type_name: make_encoder_layer,
          TransformerEncoder.type_name: make_encoder}
