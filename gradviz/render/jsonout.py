"""The record as JSON: the variables (as the oracle writes them), the error,
and the graph (nodes, edges, timeline)."""
from __future__ import annotations

import json

import numpy as np


def _plain(a):
    if a is None:
        return None
    if isinstance(a, np.ndarray):
        return a.tolist()
    if isinstance(a, np.generic):
        return a.item()
    return a


def variables(record) -> dict:
    """{name: {shape, dtype, value, grad, requires_grad, is_leaf}}, the final
    binding of every tensor-valued name (grad only for leaves, like PyTorch's
    .grad without retain_grad warnings)."""
    out = {}
    for name, n in record.variables.items():
        out[name] = {
            "shape": list(n.shape), "dtype": n.dtype, "value": _plain(n.final_value),
            "grad": _plain(n.grad) if n.is_leaf else None,
            "requires_grad": n.requires_grad, "is_leaf": n.is_leaf,
        }
    return out


def graph(record) -> dict:
    nodes = []
    edges = []
    for n in record.nodes:
        nodes.append({
            "id": n.id, "kind": n.kind, "op": n.op, "symbol": n.symbol, "grad_fn": n.grad_fn,
            "name": n.name, "expr": n.expr, "line": n.line, "col": n.col,
            "shape": list(n.shape), "dtype": n.dtype, "value": _plain(n.value),
            "final_value": _plain(n.final_value) if n.changed_in_place else None,
            "grad": _plain(n.grad), "requires_grad": n.requires_grad, "is_leaf": n.is_leaf,
            "retains_grad": n.retains_grad, "params": {k: _plain(v) for k, v in n.params.items()},
            "consts": [[i, _plain(c)] for i, c in n.consts],
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
            ev["seeds"] = [_plain(s) for s in ev["seeds"]]
            ev["steps"] = [{"node": f"n{s['node']}", "grad": _plain(s["grad"]),
                            "sent": [[f"n{a}", _plain(g)] for a, g in s["sent"]]}
                           for s in ev["steps"]]
            ev["pruned"] = [[f"n{a}", f"n{b}"] for a, b in ev["pruned"]]
            ev["leaf_grads"] = {f"n{k}": _plain(v) for k, v in ev["leaf_grads"].items()}
        else:
            if "node" in ev:
                ev["node"] = f"n{ev['node']}"
            if "grad_of" in ev:
                ev["grad_of"] = f"n{ev['grad_of']}"
        timeline.append(ev)
    return {"nodes": nodes, "edges": edges, "timeline": timeline,
            "no_grad_blocks": [list(b) for b in record.no_grad_blocks]}


def record_to_dict(record) -> dict:
    out = {"variables": variables(record), "error": record.error, "output": record.output,
           "graph": graph(record)}
    if getattr(record, "forward_mode", None) is not None:   # run --mode forward|both
        from .modes import forward_mode_dict
        out["forward_mode"] = forward_mode_dict(record.forward_mode)
    return out


def record_to_json(record, indent=2) -> str:
    return json.dumps(record_to_dict(record), indent=indent)
