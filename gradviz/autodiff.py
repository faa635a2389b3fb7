"""Reverse mode (backward, grad) over the tape, with PyTorch's checks and
messages. No recursion: the reachable nodes are collected with an explicit
stack and processed in decreasing creation order (a reverse topological
order, since every input is created before the op that uses it).
"""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, GradvizError
from .tensor import Tensor

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


def _size_str(shape) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def seed_gradient(root: Tensor, gradient) -> tuple[np.ndarray, bool]:
    """The gradient backward starts from, and whether it was implicit."""
    if not root.requires_grad:
        raise GradvizError(
            "element 0 of tensors does not require grad and does not have a grad_fn",
            hint="nothing in this expression depends on a tensor with requires_grad=True; "
                 "create the input with requires_grad=True (or call x.requires_grad_()) "
                 "before computing it, and not inside no_grad()")
    if gradient is None:
        if root.data.size != 1:
            raise GradvizError(
                "grad can be implicitly created only for scalar outputs",
                hint=f"this tensor has shape {list(root.data.shape)}; reduce it first "
                     "(y.sum().backward()) or pass a gradient of the same shape "
                     "(y.backward(torch.ones_like(y)))")
        return np.ones(root.data.shape, root.data.dtype), True
    g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, root.data.dtype)
    if g.shape != root.data.shape:
        raise GradvizError(
            f"Mismatch in shape: grad_output[0] has a shape of {_size_str(g.shape)} and "
            f"output[0] has a shape of {_size_str(root.data.shape)}.",
            hint="the gradient= tensor must have the same shape as the tensor backward is "
                 "called on")
    if g.dtype != root.data.dtype:
        g = g.astype(root.data.dtype)
    return g, False


def _reachable(roots) -> list[Tensor]:
    """Recorded nodes and grad-requiring leaves reachable from roots, in
    decreasing creation order."""
    seen = set()
    stack = [r for r in roots if r.requires_grad]
    found = []
    # bound methods in locals: this loop runs once per node of the graph
    pop, push, mark, keep = stack.pop, stack.append, seen.add, found.append
    while stack:
        t = pop()
        if t in seen:
            continue
        mark(t)
        keep(t)
        if t.recorded:
            for a in t.args:
                if a.__class__ is Tensor and a.requires_grad and a not in seen and (
                        a.recorded or a.meta is None or _tracked(a, t)):
                    push(a)
    found.sort(key=_seq, reverse=True)
    return found


def _tracked(a: Tensor, node: Tensor) -> bool:
    """a requires grad, and did when node was recorded: requires_grad_()
    does not reach back into graphs built before it (as in PyTorch)."""
    if not a.requires_grad:
        return False
    m = a.meta
    return m is None or m.get("grad_since", -1) <= node.seq


def _seq(t: Tensor) -> int:
    return t.seq


def run_backward(roots, seeds, retain_graph: bool, *, accumulate=True, inputs=None,
                 record_steps=True):
    """The reverse pass from roots with seed gradients.

    accumulate=True adds into leaves' .grad (backward); False returns the
    gradients of `inputs` instead (autograd.grad). Returns (grads, pass_info)
    where grads maps a tensor to its total gradient and pass_info is a plain
    description of the pass for the record.
    """
    order = _reachable(roots)
    grads: dict = {}
    for r, s in zip(roots, seeds):
        grads[r] = grads[r] + s if r in grads else s
    steps = []
    pruned = []
    wanted = set(inputs) if inputs is not None else None
    needed = _between(order, wanted) if wanted is not None else None
    for node in order:
        g = grads.get(node)
        if g is None or (needed is not None and node not in needed):
            continue
        if not node.recorded:                     # a leaf: AccumulateGrad
            if accumulate:
                _accumulate(node, g)
            if record_steps:
                steps.append((node, g, ()))
            continue
        if node.retains_grad:
            # PyTorch's retain_grad() hook fires in autograd.grad() too
            _accumulate(node, g)
        op = node.op
        # advanced indexing saves its index tensor (IndexBackward0); slicing does not
        if node.freed and (op.saves or (node.params or {}).get("advanced")):
            raise GradvizError(
                FREED_MESSAGE, kind=RUNTIME,
                hint="pass retain_graph=True to the first backward() to call it again on "
                     "the same graph, or recompute the forward pass before backward()")
        args = node.args
        # (this runs once per node: no comprehension for one or two arguments)
        if len(args) == 1:
            a = args[0]
            xs = [a.data if a.__class__ is Tensor else a]
        elif len(args) == 2:
            a, b = args
            xs = [a.data if a.__class__ is Tensor else a, b.data if b.__class__ is Tensor else b]
        else:
            xs = [a.data if a.__class__ is Tensor else a for a in args]
        p = node.params
        ans = node.data
        vjp = op.vjp
        variadic = op.variadic
        sent = []
        for i, a in enumerate(args):
            if a.__class__ is not Tensor:
                continue
            if not (a.requires_grad and (a.recorded or a.meta is None or _tracked(a, node))):
                pruned.append((node, a))
                continue
            if needed is not None and a not in needed:
                continue
            gi = vjp[0](g, ans, xs, p, i) if variadic else vjp[i](g, ans, xs, p)
            x = a.data
            if gi.__class__ is not np.ndarray:
                gi = np.asarray(gi)
            if gi.shape != x.shape:
                gi = _unbroadcast(gi, x.shape)
            if gi.dtype is not x.dtype and gi.dtype != x.dtype:
                gi = gi.astype(x.dtype)
            prev = grads.get(a)
            grads[a] = gi if prev is None else prev + gi
            if record_steps:
                sent.append((a, gi))
        if record_steps:
            steps.append((node, g, tuple(sent)))
        if wanted is None or node not in wanted:
            del grads[node]   # free memory early: a visited node's gradient is final
    if not retain_graph:
        for node in order:
            if node.recorded and (needed is None or node in needed):
                node.freed = True
    return grads, steps, pruned, order


def _between(order, inputs: set) -> set:
    """The nodes on a path from the roots to `inputs`: all autograd.grad()
    runs (so a retain_grad() elsewhere sees nothing, as in PyTorch)."""
    needed = set(inputs)
    for t in reversed(order):          # increasing seq: an op after its inputs
        if t.recorded and any(a.__class__ is Tensor and a in needed for a in t.args):
            needed.add(t)
    return needed


def _unbroadcast(g, shape):
    from .ops.registry import unbroadcast
    return unbroadcast(g, shape)


def _accumulate(t: Tensor, g: np.ndarray):
    """Add g into t.grad in place (PyTorch keeps the .grad tensor's identity)."""
    if t.grad is None:
        gt = Tensor(np.array(g, dtype=t.data.dtype, copy=True))
        gt.meta = {"grad_of": t.seq}
        t.grad = gt
    else:
        np.add(t.grad.data, g, out=t.grad.data, casting="unsafe")
