"""The record as JSON: the text is json.dumps(record_to_dict(...), indent=2),
on one line for a big record, and every value reads back as the exact
number the tensor holds (float32 widened to float64, NaN, infinities, -0.0)."""
from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest

import gradviz
from gradviz.errors import GradvizError
from gradviz.render import jsonout
from gradviz.render.jsonout import record_to_dict, record_to_json
from gradviz.tape import RunOptions

ROOT = Path(__file__).resolve().parent.parent

SHARDS = 4     # (the sweep in 4 parts: pytest -n spreads them over its workers)


def _records(shard: int):
    paths = sorted((ROOT / "tests" / "conformance").glob("*.txt")) + \
        sorted((ROOT / "tests" / "conformance_extra").glob("*.txt")) + \
        sorted((ROOT / "samples").glob("*.txt"))
    # (every second program: the records' kinds repeat across the corpus,
    # which passed 900 programs, and each run costs the suite)
    for path in paths[::2][shard::SHARDS]:
        try:
            yield gradviz.run_source(path.read_text(), stdout=io.StringIO())
        except GradvizError as exc:
            if exc.record is not None:
                yield exc.record


@pytest.mark.parametrize("shard", range(SHARDS))
def test_corpus_records_are_json_dumps_byte_for_byte(shard):
    count = 0
    for record in _records(shard):
        data = record_to_dict(record)
        assert record_to_json(record, indent=None) == json.dumps(data)
        if count % 3 == 0:
            # the indented text too, for a third of them (json's indenting
            # encoder is pure Python: every record took a minute); a big
            # record, a training loop's, is written on one line
            big = jsonout._holds_more_numbers(record, jsonout.COMPACT_ABOVE)
            assert record_to_json(record) == json.dumps(data, indent=None if big else 2)
        count += 1
    assert count > 40 // SHARDS


def test_a_big_record_is_written_on_one_line(monkeypatch):
    """Above COMPACT_ABOVE numbers the JSON is json's compact text (its C
    encoder), the same data."""
    record = gradviz.run_source("x = ones(30, 20, requires_grad=True)\n(x * 2).sum().backward()\n",
                                stdout=io.StringIO())
    indented = record_to_json(record)
    assert indented.count("\n") > 600
    monkeypatch.setattr(jsonout, "COMPACT_ABOVE", 1000)
    compact = record_to_json(record)
    assert "\n" not in compact and compact == json.dumps(record_to_dict(record))
    assert json.loads(compact) == json.loads(indented)


EXACT = """x = tensor([0.1, -0.0, 1e-45, 3.4e38, 1.0, 2.5e-8], requires_grad=True)
d = tensor([0.1, -0.0, 1e-300, 1e300, 5e-324], dtype=torch.float64, requires_grad=True)
z = tensor([1.0, -1.0, 0.0, -0.0]) / 0
y = (x * 3.3).sum() + (d * 0.7).sum()
y.backward()
m = rand(40, 30, requires_grad=True)
c = (m * 0.3).reshape(1200, 1)
k = m.reshape(2, 3, 4, 50) - 0.5
i = arange(5)
b = x > 0
e = ones(3, 0)
"""


def _bits(values, dtype) -> list:
    """Numbers as the bytes of `dtype`, so -0.0 and 0.0 differ and NaN is
    NaN (one NaN: JSON's NaN has no sign, as PyTorch's print has none)."""
    a = np.array(values, dtype=np.float64 if dtype.kind == "f" else dtype).astype(dtype).reshape(-1)
    if dtype.kind == "f":
        a[np.isnan(a)] = np.nan
    return a.view(np.uint8).tolist()


def test_values_read_back_exactly():
    record = gradviz.run_source(EXACT, stdout=io.StringIO())
    data = json.loads(record.to_json())
    nodes = {n["id"]: n for n in data["graph"]["nodes"]}
    for name, var in data["variables"].items():
        n = record.variables[name]
        want = n.final_value
        assert var["shape"] == list(want.shape) and var["dtype"] == str(want.dtype)
        assert _bits(var["value"], want.dtype) == _bits(want, want.dtype), name
        if want.dtype.kind == "f":
            # float32 is written as its float64 widening, not a shorter float32 text
            assert _bits(var["value"], np.dtype(np.float64)) == \
                _bits(want, np.dtype(np.float64)), name
        if n.grad is not None:
            assert _bits(var["grad"], n.grad.dtype) == _bits(n.grad, n.grad.dtype), name
        assert nodes[n.id]["value"] == var["value"] or name == "z"    # NaN != NaN
    z = data["variables"]["z"]["value"]
    assert z[:2] == [math.inf, -math.inf] and math.isnan(z[2]) and math.isnan(z[3])
    assert math.copysign(1, data["variables"]["x"]["value"][1]) == -1
    assert data["variables"]["e"]["value"] == [[], [], []]
    text = record.to_json()
    assert "NaN" in text and "-Infinity" in text and "-0.0" in text


def test_every_gradient_of_the_timeline_reads_back():
    record = gradviz.run_source(EXACT, stdout=io.StringIO())
    data = json.loads(record.to_json())
    (ev,) = [e for e in data["graph"]["timeline"] if e["kind"] == "backward"]
    (raw,) = [e for e in record.events if e["kind"] == "backward"]
    for got, want in zip(ev["steps"], raw["steps"]):
        assert got["node"] == f"n{want['node']}"
        assert np.array_equal(np.array(got["grad"]), want["grad"])
        for (a, g), (wa, wg) in zip(got["sent"], want["sent"]):
            assert a == f"n{wa}" and np.array_equal(np.array(g), wg)
    for k, v in raw["leaf_grads"].items():
        assert np.array_equal(np.array(ev["leaf_grads"][f"n{k}"]), v)


def test_to_dict_values_are_the_arrays():
    record = gradviz.run_source(EXACT, stdout=io.StringIO())
    data = record.to_dict()
    for name, var in data["variables"].items():
        assert var["value"] == record.variables[name].final_value.tolist() or name == "z"
    assert json.loads(json.dumps(data)) == json.loads(record.to_json(indent=None))


# what the one-line writer (record_to_json of a big record) must write as
# json.dumps does: several passes, grad(), create_graph, retain_grad, .grad
# set and zeroed, in-place writes into a tensor and a view, detach,
# no_grad, keyword parameters, NaN and infinities, constants of every type
KINDS = """x = tensor([1.0, -2.0, 3.0, 0.0], requires_grad=True)
w = tensor([0.5, -1.0, 2.0, 1.5], requires_grad=True)
a = x * w
a.retain_grad()
y = (a * 1 + a * 1.0 + a * True + a * 0.0 + a * -0.0).sum()
y.backward(retain_graph=True)
y.backward()
g = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)[0]
g.sum().backward()
x.grad.zero_()
with torch.no_grad():
    x -= 0.1 * w
b = x * 2
b[0] = 5.0
b *= 3
v = b[1:3]
v[0] = w[0]
d = b.detach()
s = (b.log() / x).sum(dim=0, keepdim=True)
s.backward()
x.grad = None
e = tensor([1.0, -1.0, 0.0]) / 0
"""
FAILING = """x = ones(2, 3, requires_grad=True)
y = (x * 2).sum()
y.backward()
y.backward()
"""


@pytest.mark.parametrize("source", [KINDS, FAILING, EXACT])
def test_the_one_line_writer_is_json_dumps(monkeypatch, source):
    try:
        record = gradviz.run_source(source, stdout=io.StringIO())
    except GradvizError as exc:
        record = exc.record
    want = json.dumps(record_to_dict(record))
    assert record_to_json(record, indent=None) == want
    monkeypatch.setattr(jsonout, "COMPACT_ABOVE", 0)
    assert record_to_json(record) == want


def test_the_one_line_writer_with_forward_mode():
    record = gradviz.run_source(KINDS.split("g = ")[0], stdout=io.StringIO(),
                                options=RunOptions(forward_mode="both"))
    assert record.forward_mode is not None
    data = record_to_dict(record)
    assert "forward_mode" in data
    assert record_to_json(record, indent=None) == json.dumps(data)


def test_a_big_record_is_written_from_columns():
    """The JSON of a deep chain makes no node record but the variables'
    (see record.NodeList): it reads the columns."""
    source = "h = ones(4, requires_grad=True)\n" + "h = tanh(h * 0.5)\n" * 300 + \
        "h.sum().backward()\n"
    record = gradviz.run_source(source, stdout=io.StringIO())
    text = record_to_json(record, indent=None)
    made = len(record.nodes) - record.nodes._items.count(None)
    assert made == len(record.variables) == 1
    assert text == json.dumps(record_to_dict(record))


def test_a_parameter_holding_arrays_is_written_as_lists():
    # histogramdd's edges (a tuple of arrays) made --json fail: not JSON serializable
    record = gradviz.run_source("x = torch.tensor([[0.0, 1.0], [2.0, 0.5]])\n"
                                "h = torch.histogramdd(x, bins=[2, 2])\n", stdout=io.StringIO())
    data = record_to_dict(record)
    assert record_to_json(record, indent=None) == json.dumps(data)
    (edges,) = [n["params"]["edges"] for n in data["graph"]["nodes"] if "edges" in n["params"]][:1]
    assert edges == [[0.0, 1.0, 2.0], [0.5, 0.75, 1.0]]
