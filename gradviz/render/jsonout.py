"""The record as JSON: the variables (as the oracle writes them), the error,
and the graph (nodes, edges, timeline).

On a big program nearly all of the JSON is array values, and one array
often sits in several places (a variable's value is its node's value too;
a leaf's .grad is also a pass's leaf_grads and a step's gradient): so
record_to_dict makes one list per array, which the places that hold the
array share.

record_to_json writes a big record (see COMPACT_ABOVE) without that data:
it is json.dumps(record_to_dict(record)) byte for byte, but each array's
text is made once per distinct content, and the text of the nodes, edges
and steps is filled into fixed templates a column at a time (a deep chain
of 300,000 nodes writes 14 million numbers, of which json's encoder took
20 s, and its dicts 3 s more).
"""
from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii as _string   # json.dumps's, for a str
from itertools import chain, compress
from operator import itemgetter

import numpy as np

from ..gcpause import gc_paused
from ..record import node_column, node_input_seqs


def _plain(a):
    if a is None:
        return None
    if isinstance(a, np.ndarray):
        return a.tolist()
    if isinstance(a, np.generic):
        return a.item()
    if isinstance(a, (tuple, list)):
        # (a parameter holding arrays: histogramdd's edges, one per dim)
        return [_plain(v) for v in a]
    return a


# a record whose arrays hold more numbers is written on one line (record_to_json)
COMPACT_ABOVE = 200_000


class _Lists:
    """_plain, with each array object turned into a list once (and the
    numbers of those arrays counted)."""

    def __init__(self):
        self.seen = {}    # id(array) -> (array, list); the array is kept so its id is not reused
        self.numbers = 0

    def __call__(self, a):
        if not isinstance(a, np.ndarray):
            return _plain(a)
        hit = self.seen.get(id(a))
        if hit is None:
            hit = self.seen[id(a)] = (a, a.tolist())
            self.numbers += a.size
        return hit[1]


def variables(record, plain=_plain) -> dict:
    """{name: {shape, dtype, value, grad, requires_grad, is_leaf}}, the final
    binding of every tensor-valued name (grad only for leaves, like PyTorch's
    .grad without retain_grad warnings)."""
    out = {}
    for name, n in record.variables.items():
        out[name] = {
            "shape": list(n.shape), "dtype": n.dtype, "value": plain(n.final_value),
            "grad": plain(n.grad) if n.is_leaf else None,
            "requires_grad": n.requires_grad, "is_leaf": n.is_leaf,
        }
    return out


def graph(record, plain=_plain) -> dict:
    nodes = []
    edges = []
    for n in record.nodes:
        nodes.append({
            "id": n.id, "kind": n.kind, "op": n.op, "symbol": n.symbol, "grad_fn": n.grad_fn,
            "name": n.name, "expr": n.expr, "line": n.line, "col": n.col,
            "shape": list(n.shape), "dtype": n.dtype, "value": plain(n.value),
            "final_value": plain(n.final_value) if n.changed_in_place else None,
            "grad": plain(n.grad), "requires_grad": n.requires_grad, "is_leaf": n.is_leaf,
            "retains_grad": n.retains_grad, "params": {k: plain(v) for k, v in n.params.items()},
            "consts": [[i, plain(c)] for i, c in n.consts],
            "detached_from": n.detached_from, "no_grad": n.no_grad, "grad_of": n.grad_of,
            "backward_root": n.backward_root, "visited": n.visited, "pruned": n.pruned,
            "pruned_reason": n.pruned_reason, "freed": n.freed, "error": n.error,
            "in_loop": n.in_loop,
        })
        for i, src in enumerate(n.inputs):
            edges.append({"from": src, "to": n.id, "kind": "forward", "arg": i})
        if n.detached_from:
            edges.append({"from": n.detached_from, "to": n.id, "kind": "detach"})
    timeline = []
    for ev in record.events:
        ev = dict(ev)
        if ev["kind"] in ("backward", "grad"):
            ev["roots"] = [f"n{r}" for r in ev["roots"]]
            ev["seeds"] = [plain(s) for s in ev["seeds"]]
            ev["steps"] = [{"node": f"n{s['node']}", "grad": plain(s["grad"]),
                            "sent": [[f"n{a}", plain(g)] for a, g in s["sent"]]}
                           for s in ev["steps"]]
            ev["pruned"] = [[f"n{a}", f"n{b}"] for a, b in ev["pruned"]]
            ev["leaf_grads"] = {f"n{k}": plain(v) for k, v in ev["leaf_grads"].items()}
            ev["leaf_values"] = {f"n{k}": plain(v)
                                 for k, v in ev.get("leaf_values", {}).items()}
        else:
            _name_nodes(ev)
        timeline.append(ev)
    return {"nodes": nodes, "edges": edges, "timeline": timeline,
            "no_grad_blocks": [list(b) for b in record.no_grad_blocks]}


def _name_nodes(ev: dict) -> None:
    """The nodes an event other than a pass names, as ids (in place)."""
    if "node" in ev:
        ev["node"] = f"n{ev['node']}"
    if "grad_of" in ev:
        ev["grad_of"] = f"n{ev['grad_of']}"
    if ev["kind"] == "grad_set" and ev["value"] is not None:
        ev["value"] = f"n{ev['value']}"    # the tensor now .grad
    if ev["kind"] == "failed":
        ev["roots"] = [f"n{r}" for r in ev["roots"]]    # a backward() that failed on them


def record_to_dict(record) -> dict:
    """The record as plain data. The places that hold one array share one
    list: read them, do not change them in place."""
    return _to_dict(record, _Lists())


def _to_dict(record, plain) -> dict:
    # (an array of n rows is n lists: no cycles, and the collector would walk them all)
    with gc_paused():
        out = {"variables": variables(record, plain), "error": record.error,
               "output": record.output, "graph": graph(record, plain)}
        if getattr(record, "forward_mode", None) is not None:   # run --mode forward|both
            from .modes import forward_mode_dict
            out["forward_mode"] = forward_mode_dict(record.forward_mode)
    return out


def record_to_json(record, indent=2) -> str:
    """The record as JSON text: json.dumps(record_to_dict(record), indent),
    or on one line (indent None) when its arrays hold more than
    COMPACT_ABOVE numbers: json's indenting encoder is pure Python (a call
    per number, a minute for a few million), and the indentation would be
    most of such a file. The one-line text is written by _compact_parts."""
    return "".join(record_json_parts(record, indent))


def record_json_parts(record, indent=2) -> list[str]:
    """record_to_json's text as the pieces it is made of, to be written one
    after the other (files.write_atomic): a big record's text is hundreds
    of MB, and joining and then encoding it would hold it twice more."""
    with gc_paused():
        if indent is not None and not _holds_more_numbers(record, COMPACT_ABOVE):
            data = _to_dict(record, _Lists())
            text = json.dumps(data, indent=indent)
            del data                         # before the pause ends, so no walk of its lists
            return [text]
        return _compact_parts(record, _ArrayTexts())


def _holds_more_numbers(record, limit: int) -> bool:
    """Whether the arrays of the record's JSON, each array object counted
    once (as _Lists counts), hold more than limit numbers."""
    seen = set()
    numbers = 0
    for a in _arrays(record):
        if id(a) not in seen:
            seen.add(id(a))
            numbers += a.size
            if numbers > limit:
                return True
    return False


def _arrays(record):
    """Every array the JSON holds, where record_to_dict has one (each as
    often as it occurs)."""
    variables = record.variables.values()
    nodes = record.nodes

    def column(field):
        return node_column(nodes, field)

    values = [
        (n.final_value for n in variables), (n.grad for n in variables if n.is_leaf),
        column("value"), column("grad"), compress(column("final_value"), column("changed_in_place")),
        chain.from_iterable(map(dict.values, column("params"))),
        map(itemgetter(1), chain.from_iterable(column("consts")))]
    for ev in record.passes:
        steps = ev["steps"]
        values += (ev["seeds"], map(itemgetter("grad"), steps),
                   map(itemgetter(1), chain.from_iterable(map(itemgetter("sent"), steps))),
                   ev["leaf_grads"].values(), ev.get("leaf_values", {}).values())
    return (a for a in chain.from_iterable(values) if isinstance(a, np.ndarray))


class _ArrayTexts:
    """An array's JSON text (json.dumps(a.tolist())), made once per
    distinct dtype, shape and bytes: equal arrays write the same text, and
    many are equal (the values of a chain that settles, zero gradients, a
    seed of ones)."""

    def __init__(self):
        self._by_id = {}            # id(array) -> (array, text); the array is kept so its id is not reused
        self._by_content = {}       # (dtype, shape, bytes) -> text

    def __call__(self, a: np.ndarray) -> str:
        hit = self._by_id.get(id(a))
        if hit is None:
            content = (a.dtype, a.shape, a.tobytes())
            text = self._by_content.get(content)
            if text is None:
                text = self._by_content[content] = json.dumps(a.tolist())
            hit = self._by_id[id(a)] = (a, text)
        return hit[1]


def _text(a, texts: _ArrayTexts) -> str:
    """The text of a value that may be an array (as _plain, then json)."""
    if isinstance(a, np.ndarray):
        return texts(a)
    return json.dumps(_plain(a))


def _obj(items) -> str:
    """A JSON object from (key, text of the value) pairs."""
    return "{" + ", ".join(f"{_string(k)}: {text}" for k, text in items) + "}"


class _Row(dict):
    """(values of some fields) -> their text in `template`, each distinct
    tuple encoded once: along a chain most nodes repeat the fields of the
    node a few lines up. (Tuples that compare equal are written alike: so
    a field must hold one type, and None, and no floats: True, 1 and 1.0
    are equal, and -0.0 and 0.0.)"""

    def __init__(self, template: str):
        super().__init__()
        self.template = template

    def __missing__(self, values: tuple):
        text = self[values] = self.template % tuple(map(_json_of, values))
        return text


def _json_of(value) -> str:
    return _string(value) if value.__class__ is str else json.dumps(value)


# a node's fields as graph() writes them, in groups (see _Row), and how a
# node is put together from them
_NODE_GROUPS = (
    ('"kind": %s, "op": %s, "symbol": %s, "grad_fn": %s, "name": %s, "expr": %s',
     ("kind", "op", "symbol", "grad_fn", "name", "expr")),
    ('"shape": %s, "dtype": %s', ("shape", "dtype")),
    ('"requires_grad": %s, "is_leaf": %s, "retains_grad": %s',
     ("requires_grad", "is_leaf", "retains_grad")),
    ('"detached_from": %s, "no_grad": %s, "grad_of": %s, "backward_root": %s, "visited": %s, '
     '"pruned": %s, "pruned_reason": %s, "freed": %s, "error": %s, "in_loop": %s',
     ("detached_from", "no_grad", "grad_of", "backward_root", "visited", "pruned",
      "pruned_reason", "freed", "error", "in_loop")),
)
_NODE_HEAD = '{"id": %s, %s, "line": %d, "col": %d, %s, "value": '
_NODE_TAIL = ', "final_value": %s, "grad": %s, %s, "params": %s, "consts": %s, %s}'


def _compact_parts(record, texts: _ArrayTexts) -> list[str]:
    """The one-line JSON of the record, in parts to join. (A node's value
    is a part of its own: the parts share each array's text, and only the
    joined text holds them all.)"""
    parts = ['{"variables": ', _variables_text(record, texts),
             ', "error": ', json.dumps(record.error), ', "output": ', json.dumps(record.output),
             ', "graph": {"nodes": [']
    nodes = record.nodes
    _node_parts(nodes, texts, parts)
    parts.append('], "edges": [')
    parts.append(", ".join(_edges(nodes)))
    parts.append('], "timeline": [')
    for i, ev in enumerate(record.events):
        if i:
            parts.append(", ")
        _event_parts(ev, texts, parts)
    parts.append('], "no_grad_blocks": ')
    parts.append(json.dumps([list(b) for b in record.no_grad_blocks]))
    parts.append("}")
    if getattr(record, "forward_mode", None) is not None:   # run --mode forward|both
        from .modes import forward_mode_dict
        parts.append(', "forward_mode": ')
        parts.append(json.dumps(forward_mode_dict(record.forward_mode)))
    parts.append("}")
    return parts


def _variables_text(record, texts: _ArrayTexts) -> str:
    return _obj((name, _obj((
        ("shape", json.dumps(list(n.shape))), ("dtype", json.dumps(n.dtype)),
        ("value", _text(n.final_value, texts)),
        ("grad", _text(n.grad, texts) if n.is_leaf else "null"),
        ("requires_grad", json.dumps(n.requires_grad)), ("is_leaf", json.dumps(n.is_leaf)))))
        for name, n in record.variables.items())


def _node_parts(nodes, texts: _ArrayTexts, parts: list) -> None:
    """Each node as graph() writes it, from the columns of Record.nodes
    (no node records)."""
    def column(field):
        return node_column(nodes, field)

    ops, shapes, flags, reached = (
        map(_Row(template).__getitem__, zip(*map(column, fields)))
        for template, fields in _NODE_GROUPS)
    heads = map(_NODE_HEAD.__mod__, zip(
        map(_string, column("id")), ops, column("line"), column("col"), shapes))
    null = "null"
    consts = {}     # see _consts_text
    tails = map(_NODE_TAIL.__mod__, zip(
        [texts(v) if changed else null
         for v, changed in zip(column("final_value"), column("changed_in_place"))],
        [null if g is None else texts(g) for g in column("grad")],
        flags,
        ["{}" if not p else _obj((k, _text(v, texts)) for k, v in p.items())
         for p in column("params")],
        ["[]" if not c else _consts_text(c, texts, consts) for c in column("consts")],
        reached))
    for i, (head, value, tail) in enumerate(zip(heads, map(texts, column("value")), tails)):
        if i:
            parts.append(", ")
        parts += (head, value, tail)


def _consts_text(consts: list, texts: _ArrayTexts, cache: dict) -> str:
    """A node's [[position, number], ...], each distinct list of plain
    numbers encoded once (h * 1.01 on every line of a loop). The key is
    their repr, which tells 1, 1.0, True and -0.0 from 0.0 apart, as the
    JSON does (and they compare equal)."""
    key = None
    if all(c.__class__ in _NUMBERS for _, c in consts):
        key = tuple([(i, repr(c)) for i, c in consts])
        text = cache.get(key)
        if text is not None:
            return text
    text = "[" + ", ".join(f"[{i}, {_text(c, texts)}]" for i, c in consts) + "]"
    if key is not None:
        cache[key] = text
    return text


_NUMBERS = (int, float, bool)


def _edges(nodes) -> list[str]:
    out = []
    ids = node_column(nodes, "id")
    for to, inputs, det in zip(map(_string, ids), node_input_seqs(nodes),
                               node_column(nodes, "detached_from")):
        for i, src in enumerate(inputs):
            out.append(f'{{"from": "n{src}", "to": {to}, "kind": "forward", "arg": {i}}}')
        if det:
            out.append(f'{{"from": {_string(det)}, "to": {to}, "kind": "detach"}}')
    return out


def _event_parts(ev: dict, texts: _ArrayTexts, parts: list) -> None:
    """One event of the timeline, as graph() writes it."""
    if ev["kind"] not in ("backward", "grad"):
        ev = dict(ev)
        _name_nodes(ev)
        parts.append(json.dumps(ev))
        return
    parts.append("{")
    for i, (key, value) in enumerate(ev.items()):
        parts.append(f"{', ' if i else ''}{_string(key)}: ")
        if key == "steps":
            _steps_parts(value, texts, parts)
        elif key == "roots":
            parts.append(json.dumps([f"n{r}" for r in value]))
        elif key == "seeds":
            parts.append("[" + ", ".join(_text(s, texts) for s in value) + "]")
        elif key == "pruned":
            parts.append(json.dumps([[f"n{a}", f"n{b}"] for a, b in value]))
        elif key == "leaf_grads" or key == "leaf_values":
            parts.append(_obj((f"n{k}", _text(v, texts)) for k, v in value.items()))
        else:
            parts.append(json.dumps(value))
    parts.append("}")


def _steps_parts(steps, texts: _ArrayTexts, parts: list) -> None:
    # (a step's gradients are arrays: see record.Steps)
    parts.append("[")
    for i, step in enumerate(steps):
        sent = ", ".join([f'["n{a}", {texts(g)}]' for a, g in step["sent"]])
        parts.append(f'{", " if i else ""}{{"node": "n{step["node"]}", "grad": ')
        parts.append(texts(step["grad"]))
        parts.append(f', "sent": [{sent}]}}')
    parts.append("]")
