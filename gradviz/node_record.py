"""NodeRecord, one node of a run's plain record (record.py), in a module of
its own: a plain run makes no node record, and dataclass() compiling the
methods of its 38 fields was ~1.6% of such a run's start-up. record.py
gives it (record.NodeRecord) and imports this module when first asked."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(slots=True)
class NodeRecord:
    """One node of the graph as the renderers read it: what made it, its
    value and gradient as text and numbers, and where it is in the program.
    (A docstring also spares dataclass() building one from the signature,
    a few ms of every start-up.)"""
    id: str                     # "n12": stable, from the creation index
    seq: int
    kind: str                   # PARAM, CONST, OP, DETACHED, GRAD
    op: str                     # op name ("mul") or how it was made ("arange", "detach")
    symbol: str                 # as the DSL writes it: "*", "tanh", "sum", "arange"
    grad_fn: str | None         # PyTorch's grad_fn name, when recorded
    inputs: list                # ids of the tensor arguments, in order
    consts: list                # [(position, number)] for Python-number arguments
    params: dict                # keyword parameters shown on the op (dim=...)
    name: str | None            # the DSL name bound to it
    expr: str                   # the source text that made it
    line: int
    col: int
    shape: tuple
    dtype: str
    value: np.ndarray
    requires_grad: bool
    is_leaf: bool
    retains_grad: bool
    grad: np.ndarray | None     # final .grad (leaves, retained non-leaves)
    formula: tuple = ()         # per input, the local derivative as a formula
    detached_from: str | None = None
    no_grad: int | None = None  # index of the no_grad block it was made in
    grad_of: str | None = None  # for GRAD nodes: whose .grad it is
    # a value made for another node: the gradient its register_hook() got
    # (op "hook's grad"), its tangent, its primal, a dual of it (make_dual)
    of: str | None = None
    # dotted links to other nodes: (id, text), e.g. a custom Function's
    # forward result "returned by forward" to the node apply() made of it
    links: tuple = ()
    backward_root: bool = False # backward() was called on it
    visited: bool = False       # reached by some backward pass
    pruned: bool = False        # left out of every backward pass: needs no gradient
    pruned_reason: str | None = None
    frozen_at: int | None = None  # the line whose requires_grad_(False) froze this leaf
    freed: bool = False         # saved values released by backward()
    saves: bool = False         # its backward needs saved values (so freeing matters)
    error: bool = False         # the failing statement used it
    final_value: np.ndarray | None = None   # the value at the end of the run
    changed_in_place: bool = False          # so value (when made) != final_value
    grads_by_pass: dict = field(default_factory=dict)   # pass -> gradient that reached it
    # the loop pass that made it: "i=1", "i=1, j=0", "epoch=0, batches[2]", "iteration 3"
    in_loop: str | None = None
