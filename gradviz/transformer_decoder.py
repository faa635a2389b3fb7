"""torch.nn.TransformerDecoderLayer, nn.TransformerDecoder and the whole
encoder-decoder nn.Transformer as PyTorch 2.13 builds and runs them.

    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1,
                           num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    out = model(src, tgt, tgt_mask=nn.Transformer.generate_square_subsequent_mask(4))

A decoder layer is an encoder layer (transformer.py) with a second
attention, multihead_attn, over the encoder's output (the memory): its
modules are made in PyTorch's order (self_attn, multihead_attn, linear1,
dropout, linear2, norm1..3, dropout1..3). nn.Transformer makes an encoder
and a decoder, each with a final LayerNorm, then draws every parameter
with more than one dimension again by xavier_uniform_, in parameters()
order, as its _reset_parameters does. Its nodes say which part, layer and
step made them: "cross-attention of decoder.layers.0 in model(src, tgt)".
"""
from __future__ import annotations

import math

from . import functions as F
from . import mha as A
from . import modules as M
from . import transformer as T
from .errors import RUNTIME, GradvizError

_LAYER_ARGS = ("tgt", "memory", "tgt_mask", "memory_mask", "tgt_key_padding_mask",
               "memory_key_padding_mask", "tgt_is_causal", "memory_is_causal")
_DECODER_HINT = ("call it on the target and the encoder's output: decoder(tgt, memory), or "
                 "decoder(tgt, memory, tgt_mask=...)")
_FORWARD_ARGS = ("src", "tgt", "src_mask", "tgt_mask", "memory_mask", "src_key_padding_mask",
                 "tgt_key_padding_mask", "memory_key_padding_mask", "src_is_causal",
                 "tgt_is_causal", "memory_is_causal")
_FORWARD_HINT = "call it on the source and the target: model(src, tgt), or model(src, tgt, " \
                "tgt_mask=...)"


class TransformerDecoderLayer(T.TransformerEncoderLayer):
    """nn.TransformerDecoderLayer(d_model, nhead, dim_feedforward=2048,
    dropout=0.1, activation=F.relu, layer_norm_eps=1e-5, batch_first=False,
    norm_first=False, bias=True)."""

    __slots__ = ()
    FF_DROPOUT = "dropout3"
    name = "TransformerDecoderLayer"
    type_name = f"{T._TRANSFORMER}.TransformerDecoderLayer"

    def call(self, rt, args: list, kwargs: dict | None):
        a = A.bind(f"{self.name}.forward()", args, kwargs, _LAYER_ARGS, 2,
                   (None, None, None, None, False, False), _DECODER_HINT)
        return self.forward(rt, *a)

    def forward(self, rt, x, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm,
                tgt_is_causal, memory_is_causal):
        """(Fig. 1 of Xiong et al. 2020) post-norm: norm1(x + sa(x)),
        norm2(x + mha(x, memory)), norm3(x + ff(x)); norm_first: the norms
        on each block's input, x + block(norm(x)). The attentions take the
        masks as given (each makes a bool mask float itself)."""
        m = self.mods

        def norm(i: int, t):
            return T.step(rt, f"norm{i}", T.call_part, rt, m[f"norm{i}"], [t])

        def residual(a, b):
            return T.step(rt, "residual", rt.binary, "+", a, b)

        def sa(t):
            return T.step(rt, "self-attention", self._attention, rt, "self_attn", "dropout1",
                          t, t, tgt_mask, tgt_kpm, tgt_is_causal)

        def mha(t):
            return T.step(rt, "cross-attention", self._attention, rt, "multihead_attn",
                          "dropout2", t, memory, memory_mask, memory_kpm, memory_is_causal)

        def ff(t):
            return T.step(rt, "feed-forward", self._ff_block, rt, t)

        if self.norm_first:
            x = residual(x, sa(norm(1, x)))
            x = residual(x, mha(norm(2, x)))
            return residual(x, ff(norm(3, x)))
        x = norm(1, residual(x, sa(x)))
        x = norm(2, residual(x, mha(x)))
        return norm(3, residual(x, ff(x)))

    def _attention(self, rt, attn: str, dropout: str, x, kv, mask, kpm, is_causal):
        """_sa_block (kv is x) and _mha_block (kv is the memory). The
        attention's nodes say which of the two made them, by its name:
        "in-projection of layers.0.multihead_attn in dec(tgt, memory)"."""
        start = len(rt.tape.nodes)
        out = T.attend(rt, self.mods[attn], x, kv, mask, kpm, is_causal)
        T.of_part(rt, start, attn)
        return T.call_part(rt, self.mods[dropout], [out])


def make_decoder_layer(rt, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                       layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                       device=None, dtype=None):
    mods = T.layer_modules(rt, 2, (d_model, nhead, dim_feedforward, dropout, layer_norm_eps,
                                   batch_first, bias, device, dtype), activation)
    return TransformerDecoderLayer(mods, activation, bool(norm_first))


class TransformerDecoder(T.TransformerEncoder):
    """nn.TransformerDecoder(decoder_layer, num_layers, norm=None):
    num_layers deep copies of the layer in a ModuleList, then norm."""

    __slots__ = ()
    LAYER = TransformerDecoderLayer
    name = "TransformerDecoder"
    type_name = f"{T._TRANSFORMER}.TransformerDecoder"

    def call(self, rt, args: list, kwargs: dict | None):
        tgt, memory, tgt_mask, memory_mask, tgt_kpm, memory_kpm, tgt_is_causal, \
            memory_is_causal = A.bind(f"{self.name}.forward()", args, kwargs, _LAYER_ARGS, 2,
                                      (None, None, None, None, None, False), _DECODER_HINT)
        # layers[0] as PyTorch takes it: no layers (num_layers <= 0) is its IndexError
        first = self.layers.item(0)
        F._need_tensor(tgt, "size")
        # _get_seq_len, then _detect_is_causal_mask: a mask that is the causal one
        shape = tgt.data.shape
        seq_len = shape[0] if len(shape) == 2 else \
            shape[1 if first.mods["self_attn"].batch_first else 0]
        if tgt_is_causal is None:
            tgt_is_causal = tgt_mask is not None and T._is_causal_mask(tgt_mask.data, seq_len)
        out = tgt
        for i, layer in enumerate(self.layers.items):
            start = len(rt.tape.nodes)
            out = T.call_part(rt, layer, [out, memory], {
                "tgt_mask": tgt_mask, "memory_mask": memory_mask, "tgt_key_padding_mask": tgt_kpm,
                "memory_key_padding_mask": memory_kpm, "tgt_is_causal": bool(tgt_is_causal),
                "memory_is_causal": bool(memory_is_causal)})
            T.of_part(rt, start, f"layers.{i}")
        return T.final_norm(rt, self.norm, out)


def make_decoder(rt, decoder_layer, num_layers, norm=None):
    return decoder_of(rt, decoder_layer, num_layers, norm, False)


def decoder_of(rt, layer, num_layers, norm, own_layer: bool):
    copies = T.clones(rt, TransformerDecoder, layer, num_layers, own_layer)
    return TransformerDecoder(copies, num_layers, norm, False)


class Transformer:
    """nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6,
    num_decoder_layers=6, dim_feedforward=2048, dropout=0.1,
    activation=F.relu, custom_encoder=None, custom_decoder=None,
    layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True)."""

    __slots__ = ("encoder", "decoder", "d_model", "nhead", "batch_first", "training", "label")
    name = "Transformer"
    type_name = f"{T._TRANSFORMER}.Transformer"
    ATTRIBUTES = ("encoder", "decoder", "d_model", "nhead", "batch_first",
                  "generate_square_subsequent_mask")

    def __init__(self, encoder, decoder, d_model: int, nhead: int, batch_first: bool):
        self.encoder, self.decoder = encoder, decoder
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        self.training = True
        self.label = None

    def __getattr__(self, attr):
        # (the static method, read from an instance: model.generate_square_subsequent_mask(4))
        if attr == "generate_square_subsequent_mask":
            return static_method(attr)
        raise AttributeError(attr)

    @property
    def text(self) -> str:
        return T._nested_text(self.name, self.children())

    def children(self) -> list:
        return [("encoder", self.encoder), ("decoder", self.decoder)]

    def own_parameters(self) -> list:
        return []

    def call(self, rt, args: list, kwargs: dict | None):
        a = A.bind(f"{self.name}.forward()", args, kwargs, _FORWARD_ARGS, 2,
                   (None,) * 6 + (None, None, False), _FORWARD_HINT)
        src, tgt, src_mask, tgt_mask, memory_mask, src_kpm, tgt_kpm, memory_kpm, \
            src_is_causal, tgt_is_causal, memory_is_causal = a
        F._need_tensor(src, "dim")
        F._need_tensor(tgt, "size")
        self._check(src, tgt)
        start = len(rt.tape.nodes)
        memory = T.call_part(rt, self.encoder, [src], {"mask": src_mask,
                                                       "src_key_padding_mask": src_kpm,
                                                       "is_causal": src_is_causal})
        T.of_part(rt, start, "encoder")
        start = len(rt.tape.nodes)
        out = T.call_part(rt, self.decoder, [tgt, memory], {
            "tgt_mask": tgt_mask, "memory_mask": memory_mask, "tgt_key_padding_mask": tgt_kpm,
            "memory_key_padding_mask": memory_kpm, "tgt_is_causal": tgt_is_causal,
            "memory_is_causal": memory_is_causal})
        T.of_part(rt, start, "decoder")
        return out

    def _check(self, src, tgt) -> None:
        s, t = src.data.shape, tgt.data.shape
        batch = 0 if self.batch_first else 1
        if len(s) == 3 and (len(t) <= batch or s[batch] != t[batch]):
            raise GradvizError("the batch number of src and tgt must be equal", kind=RUNTIME,
                               hint=f"src is {tuple(s)}, tgt is {tuple(t)}: the batch is dim "
                                    f"{batch} (batch_first={self.batch_first}), the same size "
                                    "in both")
        if s[-1] != self.d_model or t[-1] != self.d_model:
            raise GradvizError("the feature number of src and tgt must be equal to d_model",
                               kind=RUNTIME,
                               hint=f"src is {tuple(s)}, tgt is {tuple(t)}: both end in "
                                    f"d_model = {self.d_model} features")


def make_transformer(rt, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                     dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                     custom_decoder=None, layer_norm_eps=1e-5, batch_first=False,
                     norm_first=False, bias=True, device=None, dtype=None):
    sizes = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
             norm_first, bias)
    made = {"device": device, "dtype": dtype}
    encoder, decoder = custom_encoder, custom_decoder
    # (each layer is made, then its norm, then the copies: PyTorch's order of draws; the
    # first copy is the layer, which the program cannot reach)
    if encoder is None:
        layer = T.make_encoder_layer(rt, *sizes, **made)
        norm = M.make_layer_norm(rt, d_model, eps=layer_norm_eps, bias=bias, **made)
        encoder = T.encoder_of(rt, layer, num_encoder_layers, norm, True, True)
    if decoder is None:
        layer = make_decoder_layer(rt, *sizes, **made)
        norm = M.make_layer_norm(rt, d_model, eps=layer_norm_eps, bias=bias, **made)
        decoder = decoder_of(rt, layer, num_decoder_layers, norm, True)
    model = Transformer(encoder, decoder, d_model, nhead, bool(batch_first))
    # _reset_parameters: every parameter with more than one dim, xavier_uniform_
    for _, p in M.named_parameters(model):
        if p.data.ndim > 1:
            bound = math.sqrt(3.0) * M._xavier_std(p, 1.0)
            p.data[...] = rt.rng.rand(p.data.shape, p.data.dtype, -bound, bound)
    return model


def static_method(attr: str):
    """nn.Transformer.generate_square_subsequent_mask, read from the class or
    an instance."""
    from .interpreter import Function
    return Function(attr, T.generate_square_subsequent_mask)


# (class, attribute) of the static methods the classes have
STATIC_METHODS = frozenset({(f"{T._TRANSFORMER}.Transformer", "generate_square_subsequent_mask")})
CLASSES = (TransformerDecoderLayer, TransformerDecoder, Transformer)
MAKERS = {TransformerDecoderLayer.type_name: make_decoder_layer,
          TransformerDecoder.type_name: make_decoder,
          Transformer.type_name: make_transformer}
