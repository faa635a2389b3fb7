"""What the corpus sweeps of gradient checks share: which backward passes of a
program repeat one already checked.

A training loop makes the same graph at every step (the same ops, on the same
shapes, wired the same way), with other numbers in it. The sweeps (test_forward's
modes, test_gradcheck_cmd's finite differences) check each graph of a program
once: a pass whose graph repeats an earlier pass's adds no rule to check, and
its Jacobian, column by column, cost most of the suite's time on the
tutorials' loops of a hundred steps and more.
"""
from __future__ import annotations

import numpy as np

from gradviz.forward import backward_graph
from gradviz.tensor import Tensor


# corpus programs where the checks of a pass fail for a reason known and not
# yet fixed (the run itself gives PyTorch's values and gradients: the case pins
# them); each says why, and the closing notes list them
KNOWN_CHECK_GAPS: dict[str, str] = {
    "embedding_bag_include_last_trailing": (
        "PyTorch's float32 bag sum (no padding_idx) stops at the last offset while its "
        "backward gives the indices past it the last bag's gradient: that gradient is not "
        "the derivative of the result, so forward mode and finite differences differ from "
        "it (PyTorch's own forward mode would need a flag of its own in the report)"),
}

def _param(v):
    """A parameter as the signature holds it: an array by its shape and
    dtype (an index or a mask of the step), anything else as written."""
    if isinstance(v, np.ndarray):
        return ("array", v.shape, v.dtype.str)
    if isinstance(v, (list, tuple)):
        return tuple(_param(x) for x in v)
    return repr(v)


def graph_signature(roots, inputs) -> tuple:
    """The pass's graph without its numbers: each node's op, shape, dtype and
    parameters, which earlier nodes it reads, and which nodes are the inputs."""
    order = backward_graph(roots)
    at = {t: i for i, t in enumerate(order)}
    nodes = tuple(
        (t.op.name if t.recorded else None, t.data.shape, t.data.dtype.str,
         tuple(at.get(a) for a in t.args if a.__class__ is Tensor) if t.recorded else (),
         tuple(sorted((k, _param(v)) for k, v in (t.params or {}).items())) if t.recorded
         else ())
        for t in order)
    wanted = tuple(at.get(t) for t in inputs) if inputs is not None else None
    return nodes, tuple(at[r] for r in roots if r in at), wanted


class Repeats:
    """The signatures of a program's passes seen so far: first(signature)
    is the pass that had it first, None for a new graph."""

    def __init__(self):
        self.first: dict = {}

    def seen(self, roots, inputs, pass_no: int) -> int | None:
        sig = graph_signature(roots, inputs)
        if sig in self.first:
            return self.first[sig]
        self.first[sig] = pass_no
        return None
