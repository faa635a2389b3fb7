"""The record as JSON: the variables (as the oracle writes them), the error,
and the graph (nodes, edges, timeline).

On a big program nearly all of the JSON is array values, and one array
often sits in several places (a variable's value is its node's value too;
a leaf's .grad is also a pass's leaf_grads and a step's gradient): so
record_to_dict makes one list per array, which the places that hold the
array share.
"""
from __future__ import annotations

import json

import numpy as np

from ..gcpause import gc_paused


def _plain(a):
    if a is None:
        return None
    if isinstance(a, np.ndarray):
        return a.tolist()
    if isinstance(a, np.generic):
        return a.item()
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
        else:
            if "node" in ev:
                ev["node"] = f"n{ev['node']}"
            if "grad_of" in ev:
                ev["grad_of"] = f"n{ev['grad_of']}"
            if ev["kind"] == "grad_set" and ev["value"] is not None:
                ev["value"] = f"n{ev['value']}"    # the tensor now .grad
        timeline.append(ev)
    return {"nodes": nodes, "edges": edges, "timeline": timeline,
            "no_grad_blocks": [list(b) for b in record.no_grad_blocks]}


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
    """The record as JSON text, indented, or on one line when its arrays
    hold more than COMPACT_ABOVE numbers: json's indenting encoder is pure
    Python (a call per number, a minute for a few million), its compact
    one C, and the indentation would be most of such a file."""
    plain = _Lists()
    with gc_paused():
        data = _to_dict(record, plain)
        if plain.numbers > COMPACT_ABOVE:
            indent = None
        text = json.dumps(data, indent=indent)
        del data                             # before the pause ends, so no walk of its lists
    return text
