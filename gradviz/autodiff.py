"""Reverse mode (backward, grad) over the tape, with PyTorch's checks and
messages. No recursion: the reachable nodes are collected with an explicit
stack and processed in decreasing creation order (a reverse topological
order, since every input is created before the op that uses it).
"""
from __future__ import annotations

import heapq

import numpy as np

from .errors import RUNTIME, GradvizError
from .ops.registry import unbroadcast
from .tape import ELEMENTWISE_PARAMS, SCALAR_PARAMS, _plain_number, number_array
from .tensor import Tensor

_ND = np.ndarray
_asarray = np.asarray
_F32 = np.dtype(np.float32)

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
    """Recorded nodes and grad-requiring leaves reachable from roots (the
    graph autograd.grad(inputs=...) prunes to the paths that reach them)."""
    seen = set()
    stack = [r for r in roots if r.requires_grad]
    found = []
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
                 record_steps=True, versions=None):
    """The reverse pass from roots with seed gradients.

    accumulate=True adds into leaves' .grad (backward); False returns the
    gradients of `inputs` instead (autograd.grad). Returns (grads, steps,
    pruned, order): grads maps a tensor to its total gradient; steps is one
    flat list, per node in the order of the pass: node, gradient, then
    input, gradient sent for each input it sent to, then None; pruned is
    node, input, node, input, ... for the edges it did not take; order is
    the nodes it visited. (Flat lists: a long pass leaves two objects for the
    garbage collector to walk, not a few per node.)

    versions (the tape's Versions): check that what an op saved was not
    written in place since, and count the writes into .grad.

    Nodes wait in a heap keyed by decreasing creation order, entered when
    their first gradient arrives: every node that sends to a node was made
    after it, so a node leaves the heap with its gradient complete, and the
    pass touches only the nodes it reaches (no traversal or sort before).
    A gradient in flight may be a numpy scalar: nodes whose forward ran on
    scalars (Tape.apply, SCALAR_PARAMS) run their VJPs on scalars too.
    (On a graph of 0-d tensors, numpy's per-call cost on 0-d arrays is most
    of the time otherwise.)
    """
    wanted = set(inputs) if inputs is not None else None
    needed = _between(_reachable(roots), wanted) if wanted is not None else None
    grads: dict = {}
    heap = []              # -seq of the nodes waiting (ints compare fast)
    waiting = {}           # -seq -> node
    for r, s in zip(roots, seeds):
        if r in grads:
            grads[r] = grads[r] + s
        elif r.requires_grad and (needed is None or r in needed):
            grads[r] = s
            heap.append(_wait(waiting, r))
    heapq.heapify(heap)
    pop, push = heapq.heappop, heapq.heappush
    order = []
    steps = []
    pruned = []
    numbers = ({}, {})         # _number()'s, for float32 and float64
    # nodes recorded before the last in-place write check what they saved
    vlast = versions.last if versions is not None else -1
    fanin = {}                 # leaf -> gradients summed for it (versions only)
    # This loop runs once per node of the graph: it is kept lean (no
    # comprehension, no call that is not needed).
    node = None
    try:
        while heap:
            node = waiting.pop(pop(heap))
            order.append(node)
            g = grads[node] if wanted is not None and node in wanted else grads.pop(node)
            if not node.recorded:                     # a leaf: AccumulateGrad
                if accumulate:
                    _accumulate(node, g, versions, fanin)
                if record_steps:
                    steps += (node, g, None)
                continue
            if node.retains_grad:
                # PyTorch's retain_grad() hook fires in autograd.grad() too
                _accumulate(node, g, versions)
            op = node.op
            p = node.params
            # advanced indexing saves its index tensor (IndexBackward0); slicing does not
            if node.freed and (op.saves or (p is not None and p.get("advanced"))):
                raise GradvizError(
                    FREED_MESSAGE, kind=RUNTIME,
                    hint="pass retain_graph=True to the first backward() to call it again on "
                         "the same graph, or recompute the forward pass before backward()")
            if node.seq < vlast:       # written in place since: PyTorch's checks
                versions.check_node(node)
            args = node.args
            if p is SCALAR_PARAMS or p is ELEMENTWISE_PARAMS:
                # an elementwise op run without broadcasting or promotion
                # (Tape.apply): its tensor inputs have its shape and dtype, and so
                # has what its VJPs send them
                same = True
                if not op.saves:          # its VJPs read no values (see OpDef.saves)
                    ans, xs = None, args
                    if p is SCALAR_PARAMS and g.__class__ is _ND:
                        g = g[()]
                elif p is SCALAR_PARAMS:  # it ran on numpy scalars: so do its VJPs
                    if g.__class__ is _ND:
                        g = g[()]
                    ans = node.data[()]
                    if len(args) == 2:
                        a, b = args
                        xs = [a.data[()] if a.__class__ is Tensor else a,
                              b.data[()] if b.__class__ is Tensor else b]
                    else:
                        xs = [args[0].data[()]]
                else:
                    ans = node.data
                    if len(args) == 2:   # a number as the 0-d array the forward used
                        a, b = args
                        xs = [a.data if a.__class__ is Tensor else _number(a, ans.dtype, numbers),
                              b.data if b.__class__ is Tensor else _number(b, ans.dtype, numbers)]
                    else:
                        xs = [args[0].data]
            else:
                same = False
                ans = node.data
                if g.__class__ is not _ND:
                    g = _asarray(g)
                if len(args) == 1:
                    a = args[0]
                    xs = [a.data if a.__class__ is Tensor else a]
                elif len(args) == 2:
                    a, b = args
                    xs = [a.data if a.__class__ is Tensor else a,
                          b.data if b.__class__ is Tensor else b]
                else:
                    xs = [a.data if a.__class__ is Tensor else a for a in args]
            vjp = op.vjp
            variadic = op.variadic
            if record_steps:
                steps += (node, g)
            i = -1
            for a in args:
                i += 1
                if a.__class__ is not Tensor:
                    continue
                # a requires grad, and did when node was recorded (_tracked, inline)
                if not (a.requires_grad and (a.recorded or (m := a.meta) is None
                                             or m.get("grad_since", -1) <= node.seq)):
                    pruned += (node, a)
                    continue
                if needed is not None and a not in needed:
                    continue
                gi = vjp[0](g, ans, xs, p, i) if variadic else vjp[i](g, ans, xs, p)
                if not same:
                    x = a.data
                    if gi.__class__ is not _ND:
                        gi = _asarray(gi)
                    if gi.shape != x.shape:
                        gi = unbroadcast(gi, x.shape)
                    if gi.dtype is not x.dtype and gi.dtype != x.dtype:
                        gi = gi.astype(x.dtype)
                prev = grads.get(a)
                if prev is None:
                    grads[a] = gi
                    key = -a.seq              # _wait(waiting, a), inline
                    if waiting.setdefault(key, a) is not a:
                        _wait(waiting, a)     # raises
                    push(heap, key)
                else:
                    grads[a] = prev + gi
                    if versions is not None and not a.recorded:
                        fanin[a] = fanin.get(a, 1) + 1
                if record_steps:
                    steps += (a, gi)
            if record_steps:
                steps.append(None)
    except GradvizError:
        if accumulate and node is not None:
            _accumulate_finished(node, waiting, grads, versions, fanin)
        raise
    if not retain_graph:
        for node in order:
            if node.recorded:
                node.freed = True
    return grads, steps, pruned, order


def _accumulate_finished(failed: Tensor, waiting: dict, grads: dict, versions, fanin) -> None:
    """A pass stopped by an error at `failed`: fill the .grad of the leaves
    whose gradient was complete by then, as PyTorch does (its engine runs a
    leaf's AccumulateGrad as soon as the last gradient for it arrives, before
    any other node; here leaves wait their turn in creation order). Complete:
    no node that will not run now (failed, those waiting) leads to it."""
    stack = [failed] + [t for t in waiting.values() if t.recorded]
    blocked = set()
    while stack:
        t = stack.pop()
        if t in blocked:
            continue
        blocked.add(t)
        if t.recorded:
            for a in t.args:
                if a.__class__ is Tensor and a.requires_grad and a not in blocked:
                    stack.append(a)
    for t in sorted(waiting.values(), key=_seq, reverse=True):
        if not t.recorded and t not in blocked and t in grads:
            _accumulate(t, grads[t], versions, fanin)


def _number(v, dt, numbers: tuple):
    """v, a Python number an elementwise op took, as the operand Tape.apply
    gave numpy for it (tape.number_array, made once per pass)."""
    if not _plain_number(v):
        return v
    cache = numbers[0] if dt is _F32 else numbers[1]
    c = cache.get(v)
    if c is None:
        c = cache[v] = number_array(v, dt)
    return c


def _wait(waiting: dict, t: Tensor) -> int:
    """Put t in waiting under its heap key, -seq (unique: one tape's order)."""
    key = -t.seq
    if waiting.setdefault(key, t) is not t:
        raise RuntimeError(f"two tensors of one graph have the creation index {t.seq}")
    return key


def _between(order, inputs: set) -> set:
    """The nodes on a path from the roots to `inputs`: all autograd.grad()
    runs (so a retain_grad() elsewhere sees nothing, as in PyTorch)."""
    needed = set(inputs)
    for t in reversed(order):          # increasing seq: an op after its inputs
        if t.recorded and any(a.__class__ is Tensor and a in needed for a in t.args):
            needed.add(t)
    return needed


def _accumulate(t: Tensor, g: np.ndarray, versions=None, fanin=None):
    """Add g into t.grad in place (PyTorch keeps the .grad tensor's identity).

    Versions as PyTorch counts them, for its in-place check: a new leaf
    .grad is at version (gradients summed - 1) (its engine adds them up in
    place in the buffer it then keeps), a retain_grad() one at 0; each
    later backward adds one."""
    if t.grad is None:
        gt = Tensor(np.array(g, dtype=t.data.dtype, copy=True))
        gt.meta = {"grad_of": t.seq}
        t.grad = gt
        if fanin:
            n = fanin.get(t)
            if n:
                versions.start(gt, n - 1)
    else:
        np.add(t.grad.data, g, out=t.grad.data, casting="unsafe")
        if versions is not None:
            versions.bump(t.grad)
