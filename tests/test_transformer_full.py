"""nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer:
what the conformance cases (tests/conformance_extra/transformer_full*.txt)
do not show: the nodes' names, the parameters on the tape, the static
method, the refusals."""
from __future__ import annotations

import io
from collections import Counter

import pytest

import gradviz
from gradviz.errors import GradvizError

SMALL = ("torch.manual_seed(0)\n"
         "model = nn.Transformer(8, 2, 1, 1, 16, dropout=0.0)\n"
         "src = torch.randn(3, 1, 8, requires_grad=True)\n"
         "tgt = torch.randn(2, 1, 8)\n")
DECODER = """torch.manual_seed(0)
dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2, 8), 2)
t, m = torch.randn(2, 1, 4, requires_grad=True), torch.randn(3, 1, 4)
y = dec(t, m)
"""


def run(src: str):
    out = io.StringIO()
    return gradviz.run_source(src, stdout=out), out.getvalue()


def test_a_transformer_s_nodes_say_which_part_layer_and_step_made_them():
    record, _ = run(SMALL + "y = model(src, tgt)\ny.sum().backward()\n")
    exprs = Counter(n.expr for n in record.nodes if n.line == 5)
    for step in ("in-projection", "attention", "out-projection"):
        assert f"{step} of encoder.layers.0 in model(src, tgt)" in exprs
        # the decoder's two attentions told apart by their modules' names
        for attn in ("self_attn", "multihead_attn"):
            assert f"{step} of decoder.layers.0.{attn} in model(src, tgt)" in exprs, (step, attn)
    for step in ("norm1", "norm2", "residual", "feed-forward"):
        assert f"{step} of encoder.layers.0 in model(src, tgt)" in exprs
    for step in ("norm1", "norm2", "norm3", "residual", "feed-forward"):
        assert f"{step} of decoder.layers.0 in model(src, tgt)" in exprs
    assert exprs["norm of encoder in model(src, tgt)"] == 1
    assert exprs["norm of decoder in model(src, tgt)"] == 1
    assert "model(src, tgt)" not in exprs          # every node says its step


def test_a_decoder_called_alone_names_its_layers():
    record, _ = run(DECODER)
    exprs = {n.expr for n in record.nodes if n.line == 4}
    for i in (0, 1):
        assert f"attention of layers.{i}.multihead_attn in dec(t, m)" in exprs
        assert f"norm3 of layers.{i} in dec(t, m)" in exprs


def test_every_parameter_a_transformer_makes_is_its_own():
    # (its layers are copied into the encoder and decoder: the first copy is
    # the layer itself, so no parameter is left on the tape that nothing holds)
    record, _ = run(SMALL)
    params = [n for n in record.nodes if n.op == "Parameter"]
    assert len(params) == 34            # PyTorch's len(list(model.parameters()))
    assert all((n.name or "").startswith("model.") for n in params), [n.name for n in params]


def test_the_static_mask_method_from_the_class_and_an_instance():
    _, out = run(SMALL + "a = nn.Transformer.generate_square_subsequent_mask(2)\n"
                         "b = model.generate_square_subsequent_mask(2)\n"
                         "print(torch.equal(a, b), a[0, 1].item(), type(model) is nn.Transformer)\n")
    assert out.split() == ["True", "-inf", "True"]


def test_a_decoder_copies_only_a_decoder_layer():
    with pytest.raises(GradvizError) as info:
        run("d = nn.TransformerDecoder(nn.TransformerEncoderLayer(4, 2), 1)\n")
    assert info.value.kind == "TypeError"
    assert "nn.TransformerDecoderLayer" in str(info.value)
    assert info.value.hint == "nn.TransformerDecoder(nn.TransformerDecoderLayer(d, h), n)"


def test_type_as_casts_to_the_other_s_dtype():
    _, out = run("x = torch.ones(2, requires_grad=True)\n"
                 "y = x.type_as(torch.zeros(1, dtype=torch.float64))\n"
                 "print(y.dtype, y.grad_fn.name(), x.type_as(x) is x)\n")
    assert out.split() == ["torch.float64", "ToCopyBackward0", "True"]
