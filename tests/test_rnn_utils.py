"""torch.nn.utils.rnn (gradviz/rnn_utils.py) and the recurrent layers on a
PackedSequence and with proj_size. Values, prints and errors against
PyTorch are pinned by tests/conformance_extra/rnn_utils*.txt; here the
nodes each call records, the named tuple's behaviour, the layers'
parameters, and the refusals' hints."""
import io

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError

HEAD = ("import torch\nfrom torch import nn\nfrom torch.nn.utils.rnn import pad_sequence, "
        "pack_padded_sequence, pack_sequence, pad_packed_sequence, PackedSequence\n"
        "torch.manual_seed(0)\n")


def run(src: str):
    out = io.StringIO()
    record = gradviz.run_source(HEAD + src, stdout=out)
    return record, out.getvalue()


def grad_fns(record, line: int) -> list:
    return [n.grad_fn for n in record.nodes if n.grad_fn and n.line == line]


def test_pad_sequence_writes_each_sequence_as_a_copyslices():
    record, _ = run("a = torch.randn(3, 2, requires_grad=True)\n"
                    "b = torch.randn(1, 2, requires_grad=True)\n"
                    "p = pad_sequence([a, b])\n")
    assert grad_fns(record, 7) == ["CopySlices", "CopySlices"]


def test_each_sequence_gets_its_slice_of_the_gradient_back():
    _, out = run("a = torch.ones(3, 1, requires_grad=True)\n"
                 "b = torch.ones(1, 1, requires_grad=True)\n"
                 "w = torch.arange(6.0).reshape(3, 2, 1)\n"
                 "(pad_sequence([a, b], padding_side='left') * w).sum().backward()\n"
                 "print(a.grad.flatten().tolist(), b.grad.flatten().tolist())\n")
    # a fills column 0; b, padded on the left, the last step of column 1
    assert out.strip() == "[0.0, 2.0, 4.0] [5.0]"


def test_packing_unsorted_lengths_sorts_then_packs():
    record, out = run("x = torch.randn(3, 2, 2, requires_grad=True)\n"
                      "p = pack_padded_sequence(x, [2, 3], enforce_sorted=False)\n"
                      "print(p.batch_sizes.tolist(), p.sorted_indices.tolist(), "
                      "p.unsorted_indices.tolist())\n")
    assert grad_fns(record, 6) == ["IndexSelectBackward0", "PackPaddedSequenceBackward0"]
    assert out.strip() == "[2, 2, 1] [1, 0] [1, 0]"


def test_a_packed_sequence_is_a_named_tuple_of_four():
    _, out = run("p = pack_sequence([torch.ones(2, 1), torch.ones(1, 1)])\n"
                 "data, sizes, s, u = p\n"
                 "print(p[1].tolist(), s, u, isinstance(p, PackedSequence), type(p))\n")
    assert out.strip() == ("[2, 1] None None True "
                           "<class 'torch.nn.utils.rnn.PackedSequence'>")


def test_unpacking_copies_a_block_per_run_of_equal_batch_sizes():
    record, out = run("x = torch.randn(4, 3, 1, requires_grad=True)\n"
                      "p = pack_padded_sequence(x, [4, 2, 2])\n"
                      "y, lengths = pad_packed_sequence(p, batch_first=True)\n"
                      "print(lengths.tolist(), y.shape)\n")
    # batch sizes 3, 3, 1, 1: two blocks, each sliced from the data and viewed
    assert grad_fns(record, 7) == ["SliceBackward0", "ViewBackward0", "CopySlices",
                                   "SliceBackward0", "ViewBackward0", "CopySlices",
                                   "TransposeBackward0"]
    assert out.strip() == "[4, 2, 2] torch.Size([3, 4, 1])"


def test_a_packed_lstm_keeps_each_sequences_last_state():
    """h_n of a sequence is its h at its own last step: the same as running
    the LSTM on that sequence alone."""
    _, out = run("lstm = nn.LSTM(2, 3)\n"
                 "a, b = torch.randn(3, 2), torch.randn(1, 2)\n"
                 "_, (h, c) = lstm(pack_sequence([b, a], enforce_sorted=False))\n"
                 "_, (ha, ca) = lstm(a[:, None])\n"
                 "_, (hb, cb) = lstm(b[:, None])\n"
                 "print(torch.allclose(h[0, 0], hb[0, 0]), torch.allclose(h[0, 1], ha[0, 0]),"
                 " torch.allclose(c[0, 1], ca[0, 0]))\n")
    assert out.strip() == "True True True"


def test_a_packed_lstm_runs_the_native_cells_not_onednn():
    record, _ = run("lstm = nn.LSTM(2, 3)\n"
                    "out, _ = lstm(pack_sequence([torch.randn(2, 2), torch.randn(1, 2)]))\n")
    names = grad_fns(record, 6)
    assert "MkldnnRnnLayerBackward0" not in names
    assert names.count("SliceBackward0") >= 2 and names[-1] == "StackBackward0"


def test_lstm_proj_size_registers_weight_hr_after_the_biases():
    _, out = run("m = nn.LSTM(3, 4, proj_size=2, bias=False, num_layers=2)\n"
                 "print([(n, tuple(p.shape)) for n, p in m.named_parameters()])\n"
                 "print(m, m.proj_size, len(m.all_weights[0]))\n")
    lines = out.splitlines()
    assert lines[0] == ("[('weight_ih_l0', (16, 3)), ('weight_hh_l0', (16, 2)), "
                        "('weight_hr_l0', (2, 4)), ('weight_ih_l1', (16, 2)), "
                        "('weight_hh_l1', (16, 2)), ('weight_hr_l1', (2, 4))]")
    assert lines[1] == "LSTM(3, 4, proj_size=2, num_layers=2, bias=False) 2 3"


def test_lstm_proj_size_projects_h_with_an_mm():
    record, out = run("m = nn.LSTM(3, 4, proj_size=2)\n"
                      "y, (h, c) = m(torch.randn(2, 1, 3))\n"
                      "print(tuple(y.shape), tuple(h.shape), tuple(c.shape))\n")
    assert out.strip() == "(2, 1, 2) (1, 1, 2) (1, 1, 4)"
    assert grad_fns(record, 6).count("MmBackward0") == 2


@pytest.mark.parametrize("src, message, hint", [
    ("pack_padded_sequence(torch.randn(3, 2, 1), [3, 4])\n", None, "enforce_sorted=False"),
    ("pack_padded_sequence(torch.randn(3, 2, 1), [3, 0])\n",
     "Length of all samples has to be greater than 0, but found an element in 'lengths' "
     "that is <= 0", "empty sequences"),
    ("pack_padded_sequence(torch.randn(3, 2, 1), [4, 1])\n", None, "at most the padded length"),
    ("pack_padded_sequence(torch.randn(2, 3, 1), [2, 1])\n",
     "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)",
     "batch_first=True"),
    ("pad_packed_sequence(torch.randn(3, 2))\n", None, "pack_padded_sequence"),
    ("pad_sequence([torch.tensor(1.0)])\n", None, "x.unsqueeze(0)"),
    ("nn.LSTM(3, 2, proj_size=2)\n", "proj_size has to be smaller than hidden_size",
     "hidden_size=2"),
])
def test_refusals_say_what_to_change(src, message, hint):
    with pytest.raises(GradvizError) as info:
        run(src)
    if message is not None:
        assert info.value.message == message
    assert hint in info.value.hint


@pytest.mark.parametrize("state, kind, message", [
    # PyTorch's own words: _VF.lstm refuses a tensor for the pair
    ("torch.zeros(1, 3, 3)", "TypeError", "lstm() received an invalid combination of arguments"),
    ("[torch.zeros(1, 3, 3)] * 3", "RuntimeError", "lstm expects two hidden states"),
    # PyTorch checks no size of a packed LSTM's state and its kernel reads
    # past a short one (heap corruption there, an internal error here before)
    ("(torch.zeros(1, 2, 3), torch.zeros(1, 3, 3))", "RuntimeError",
     "Expected hidden[0] size (1, 3, 3), got [1, 2, 3]"),
    ("(torch.zeros(1, 3, 3), torch.zeros(2, 3, 3))", "RuntimeError",
     "Expected hidden[1] size (1, 3, 3), got [2, 3, 3]"),
    ("(torch.zeros(1, 3, 3), 3)", "TypeError", "lstm()"),
])
def test_a_packed_lstm_refuses_a_state_it_cannot_use(state, kind, message):
    """(found by fuzzing: internal errors before)"""
    with pytest.raises(GradvizError) as info:
        run(f"packed = pack_sequence([torch.randn(3, 2), torch.randn(2, 2), torch.randn(1, 2)])\n"
            f"nn.LSTM(2, 3)(packed, {state})\n")
    assert info.value.kind == kind
    assert info.value.message.startswith(message)
    assert info.value.hint


def test_packing_has_a_double_backward():
    r, _ = run("a = torch.randn(3, 2, requires_grad=True)\n"
               "p = pack_padded_sequence(a[:, None], [3])\n"
               "g, = torch.autograd.grad(p.data.pow(2).sum(), a, create_graph=True)\n"
               "h, = torch.autograd.grad(g.sum(), a)\n")
    np.testing.assert_allclose(r.variables["h"].value, np.full((3, 2), 2.0))


def test_packed_gradients_agree_with_finite_differences():
    from gradviz.gradcheck import check_source
    report = check_source(HEAD + "gru = nn.GRU(2, 2, bidirectional=True)\n"
                          "a = torch.randn(3, 2, requires_grad=True)\n"
                          "b = torch.randn(2, 2, requires_grad=True)\n"
                          "out, h = gru(pack_sequence([b, a], enforce_sorted=False))\n"
                          "y, _ = pad_packed_sequence(out)\n"
                          "(y.pow(2).sum() + h.sum()).backward()\n")
    statuses = {i.status for p in report.passes for i in p.inputs}
    assert statuses and statuses <= {"ok"}, statuses


def test_lstm_proj_size_warns_once_as_pytorch_leaves_onednn():
    record, _ = run("m = nn.LSTM(3, 4, proj_size=2)\n"
                    "for _ in range(2):\n"
                    "    m(torch.randn(2, 1, 3))\n")
    warned = [ev["message"] for ev in record.events if ev["kind"] == "user_warning"]
    assert warned == ["LSTM with projections is not supported with oneDNN. Using default "
                      "implementation."]
