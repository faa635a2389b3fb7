"""Reverse mode (backward, grad) over the tape, with PyTorch's checks and
messages. No recursion: the reachable nodes are collected with an explicit
stack and processed in decreasing creation order (a reverse topological
order, since every input is created before the op that uses it).
"""
from __future__ import annotations

from sys import getrefcount

import numpy as np

from . import half, strides
from .errors import RUNTIME, GradvizError
from .ops.elementwise import passthrough
from .ops.registry import broadcast_shape, unbroadcast
from .tape import ELEMENTWISE_PARAMS, SCALAR_PARAMS, _plain_number, number_array
from .tensor import Tensor, grad_dtype

_ND = np.ndarray
_asarray = np.asarray
_F32 = np.dtype(np.float32)
_F16 = half.F16

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved "
    "tensors after they have already been freed). Saved intermediate values of the "
    "graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward.")


def _size_str(shape) -> str:
    return "torch.Size([" + ", ".join(str(s) for s in shape) + "])"


def seed_gradient(root: Tensor, gradient, element: int = 0) -> tuple[np.ndarray, bool]:
    """The gradient backward starts from, and whether it was implicit
    (element: the root's place among the call's roots, as the error says)."""
    check_cotangent(root, gradient, element)
    if not _requires_grad(root):
        raise GradvizError(
            f"element {element} of tensors does not require grad and does not have a grad_fn",
            hint="nothing in this expression depends on a tensor with requires_grad=True; "
                 "create the input with requires_grad=True (or call x.requires_grad_()) "
                 "before computing it, and not inside no_grad()")
    if gradient is None:
        return np.ones(root.data.shape, root.data.dtype), True
    g = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient, root.data.dtype)
    if g.dtype != root.data.dtype:
        g = g.astype(root.data.dtype)
    return g, False


def _requires_grad(root: Tensor) -> bool:
    return root.requires_grad and (root.meta is None or "no_grad_view" not in root.meta)


def check_cotangent(root: Tensor, gradient, element: int = 0) -> None:
    """PyTorch's _make_grads check of one root's gradient, made before its
    engine asks that the root require grad: a gradient of the root's
    shape, or none for a root of one element (or one that needs no grad)."""
    if gradient is None:
        if _requires_grad(root) and root.data.size != 1:
            raise GradvizError(
                "grad can be implicitly created only for scalar outputs",
                hint=f"this tensor has shape {list(root.data.shape)}; reduce it first "
                     "(y.sum().backward()) or pass a gradient of the same shape "
                     "(y.backward(torch.ones_like(y)))")
        return
    shape = gradient.data.shape if isinstance(gradient, Tensor) else np.shape(gradient)
    if shape != root.data.shape:
        raise GradvizError(
            f"Mismatch in shape: grad_output[{element}] has a shape of {_size_str(shape)} and "
            f"output[{element}] has a shape of {_size_str(root.data.shape)}.",
            hint="the gradient= tensor must have the same shape as the tensor backward is "
                 "called on")


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
                 record_steps=True, versions=None, adopted=None, hooks=None):
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

    adopted (a list): a leaf's first .grad may take the gradient array the
    pass made for it instead of a copy (see _accumulate); those arrays are
    appended to it, as steps may hold them too (the caller has the record
    copy them before the .grad changes).

    hooks (a PassHooks, or None): the program's hooks, as functions the
    pass calls (see PassHooks). hooks.tensor: tensor -> a function of its
    gradient, run when that gradient is complete (its register_hook()s, and
    for a leaf its AccumulateGrad's pre-hooks): what it returns is the
    tensor's gradient from there on (None: no gradient). A hooked leaf is done
    as soon as its gradient is complete, right after the node that sent the
    last of it, as PyTorch runs a leaf's AccumulateGrad (the first in its
    queue), so that hooks run (and print) in PyTorch's order; other leaves
    wait their turn (which only the order of their hooks could tell).

    Nodes wait to run in decreasing creation order, entered when their
    first gradient arrives: every node that sends to a node was made after
    it, so a node runs with its gradient complete, and the pass touches only
    the nodes it reaches (no traversal or sort before).
    A gradient in flight may be a numpy scalar: nodes whose forward ran on
    scalars (Tape.apply, SCALAR_PARAMS) run their VJPs on scalars too.
    (On a graph of 0-d tensors, numpy's per-call cost on 0-d arrays is most
    of the time otherwise.)
    """
    wanted = set(inputs) if inputs is not None else None
    node_pre = node_post = after = unpack = view = groups = None
    if hooks is not None:
        view, groups = hooks.waiting, hooks.groups
        hooks, node_pre, node_post, after, unpack = (hooks.tensor, hooks.pre, hooks.post,
                                                     hooks.after, hooks.unpack)
    needed = _between(_reachable(roots), wanted) if wanted is not None else None
    # The nodes waiting to run, by index seq + 1 (a tensor off the tape,
    # seq -1, at 0): at[j] the node, gs[j] the gradient summed for it so far
    # (None: none has arrived), ready[j] 1. The next node to run is the last
    # 1 before the one just run: a node sends only to older ones, so the
    # search only goes down, one index at a time in a dense pass, and with
    # bytearray.rfind, at memory speed, over the gaps of a sparse one (a
    # training step's pass, from its loss back to the parameters).
    # at and gs start as dicts; a pass that proves dense (it ran a 32nd of
    # the indices below its roots) goes on with lists, whose reads and
    # writes cost much less (a fifth off a graph of scalars' pass), at a
    # cost of their length (_dense): a pass over a few recent nodes of a
    # long tape (a training step's) does not pay it.
    top = 0
    for r in roots:
        if r.seq + 1 > top:
            top = r.seq + 1
    at = {}
    gs = {}
    dense = False
    dense_in = (top >> 5) + 1      # nodes to run before at and gs become lists
    ready = bytearray(top + 1)
    for r, s in zip(roots, seeds):
        j = r.seq + 1
        if at.get(j) is r:
            gs[j] = gs[j] + s
        elif r.requires_grad and (needed is None or r in needed):
            if j in at:
                _clash(r)
            at[j], gs[j], ready[j] = r, s, 1
    find = ready.rfind
    if view is not None:
        view.bind(at, gs, ready, False, needed)
    grads: dict = {}       # the gradients of `wanted`, as they are complete
    order = []
    steps = []
    pruned = []
    numbers = ({}, {})         # _number()'s, for float32 and float64
    # nodes recorded before the last in-place write check what they saved
    vlast = versions.last if versions is not None else -1
    fanin = {}                 # leaf -> gradients summed for it (versions only)
    joins = {}                 # output group -> its outputs run so far (_gather_outputs)
    # This loop runs once per node of the graph: it is kept lean (no
    # comprehension, no call that is not needed).
    node = None
    here = top + 1
    # hooked leaf -> the gradients still to come to it (see hooks above)
    pending = _hooked_leaf_edges(roots, hooks, needed) if hooks is not None else None
    done = []                  # hooked leaves the node just run completed
    try:
        while here:
            here -= 1
            if not ready[here]:       # (seldom, in a dense pass like a graph of scalars)
                here = find(1, 0, here)
                if here < 0:
                    break
            node = at[here]
            g = gs[here]
            gs[here] = None           # (kept by steps, if recorded)
            if hooks is not None:
                run = hooks.get(node)
                if run is not None:
                    g = run(g)
            order.append(node)
            dense_in -= 1
            if not dense_in:          # a dense pass (see above)
                at = _dense(at, here)
                gs = _dense(gs, here)
                dense = True
                if view is not None:
                    view.bind(at, gs, ready, True, needed)
            if wanted is not None and node in wanted and g is not None:
                grads[node] = g
                if accumulate and node.recorded:      # backward(inputs=[y]) fills y.grad
                    _accumulate(node, g, versions)
                if not accumulate and node.recorded and not any(
                        a.__class__ is Tensor and a in needed for a in node.args):
                    # autograd.grad takes an input's gradient at its edge: its
                    # grad_fn runs only for an input behind it (nor checks
                    # what it saved); backward(inputs=) runs it
                    continue
            if not node.recorded:                     # a leaf: AccumulateGrad
                if g is not None:                     # (None: a hook took it away)
                    if accumulate:
                        if (adopted is not None and g.__class__ is _ND and node.grad is None
                                and g.size >= ADOPT_SIZE and node not in roots):
                            _accumulate(node, g, versions, fanin, adopted, 3 + record_steps)
                        else:
                            _accumulate(node, g, versions, fanin)
                    if record_steps:
                        steps.append(node)
                        steps.append(g)
                        steps.append(None)
                if after is not None and node in after:
                    after[node](g)
                continue
            if node.retains_grad and g is not None:
                # PyTorch's retain_grad() hook fires in autograd.grad() too
                _unlink_graph_grad(node)
                _accumulate(node, g, versions)
            if node_pre is not None and node in node_pre:
                g = node_pre[node](g)                 # its grad_fn's pre-hooks
            op = node.op
            p = node.params
            args = node.args
            if g is None and joins and op.joint is not None:
                g = _joined_without(node, joins, at, ready, here)
            if g is None:
                # no gradient for the node (a hook returned None for it): it
                # sends none, as PyTorch's node given an undefined gradient
                same, ans, xs = True, None, ()
                vjp, variadic = (_send_none,), True
            else:
                if node.freed and (op.saves or (p is not None and _holds_saved(p))):
                    raise GradvizError(
                        FREED_MESSAGE, kind=RUNTIME,
                        hint="pass retain_graph=True to the first backward() to call it again on "
                             "the same graph, or recompute the forward pass before backward()")
                if here <= vlast:          # written in place since: PyTorch's checks
                    versions.check_node(node)
                if p is SCALAR_PARAMS:
                    # it ran on numpy scalars (Tape.apply): so do its VJPs, and
                    # what they send has its inputs' shape and dtype already
                    same = True
                    if g.__class__ is _ND:
                        g = g[()]
                    if not op.saves:          # its VJPs read no values (see OpDef.saves)
                        ans, xs = None, args
                    else:
                        ans = node.data[()]
                        if len(args) == 2:
                            a, b = args
                            xs = [a.data[()] if a.__class__ is Tensor else a,
                                  b.data[()] if b.__class__ is Tensor else b]
                        else:
                            xs = [args[0].data[()]]
                elif p is ELEMENTWISE_PARAMS:
                    # run without broadcasting or promotion: its tensor inputs
                    # have its shape and dtype, and so has what its VJPs send them
                    same = True
                    if not op.saves:
                        ans, xs = None, args
                    else:
                        ans = node.data
                        if len(args) == 2:   # a number as the 0-d array the forward used
                            a, b = args
                            if a.__class__ is Tensor and b.__class__ is not Tensor:
                                # tensor op number, the common case: the array
                                # straight from the cache when the pass made it
                                # already (as Tape._elementwise looks it up)
                                c = numbers[ans.dtype is not _F32].get(b)
                                xs = [a.data, c if c is not None else _number(b, ans.dtype, numbers)]
                            else:
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
                if here <= vlast and op.reads_unsaved:
                    ans, xs = versions.as_made(node, ans, xs, p is SCALAR_PARAMS)
                if unpack is not None and node in unpack:     # saved_tensors_hooks' unpack
                    ans, xs = unpack[node](ans, xs, p is SCALAR_PARAMS)
                if not same and op.common_dtype and len(xs) == 2:
                    keep = op.uncast_bool
                    xs = half.common(xs, keep) if ans.dtype is _F16 else \
                        _in_common_dtype(xs, ans.dtype, keep)
                if not same and ans.dtype is _F16:
                    # PyTorch's backward of a float16 op computes in float32;
                    # what it sends is rounded to float16 below (half.py)
                    g, ans, xs = g.astype(_F32), ans.astype(_F32), half.widen(xs)
                vjp = op.vjp if same or ans.dtype is not _F32 or node.data.dtype is not _F16 \
                    else half.vjp_rules(op)
                variadic = op.variadic
                if op.custom:          # the program's backward: called once, for every input
                    vjp = (_picker(vjp[0](g, ans, xs, p)),)
                elif op.joint is not None and (m := node.meta) is not None \
                        and "output_group" in m:
                    # one output of several of one PyTorch node: the node runs
                    # once, at the last of its outputs to run, with them all
                    outs = _gather_outputs(node, m["output_group"], g, joins, at, ready, here)
                    if outs is None:          # (an output still to run sends for it)
                        if record_steps:
                            steps.append(node)
                            steps.append(g)
                            steps.append(None)
                        continue
                    grouped = groups.get(m["output_group"]) if groups is not None else None
                    if grouped is not None:
                        outs = grouped.before(outs)
                    vjp, variadic = (_picker(op.joint(outs, xs, p) if outs else
                                             (None,) * len(args)),), True
                    if grouped is not None:
                        vjp = (_picker(grouped.after(_all_sent(
                            node, g, ans, xs, p, vjp, True, same, needed, here), outs)),)
            if node_post is not None and node in node_post:
                # its grad_fn's hooks see (and may replace) every gradient it sends
                vjp = (_picker(node_post[node](
                    _all_sent(node, g, ans, xs, p, vjp, variadic, same, needed, here), g)),)
                variadic = True
            logged = record_steps and g is not None
            if logged:
                steps.append(node)
                steps.append(g)
            i = -1
            for a in args:
                i += 1
                if a.__class__ is not Tensor:
                    continue
                # a requires grad, and did when node was recorded (_tracked, inline)
                if not (a.requires_grad and (a.recorded or (m := a.meta) is None
                                             or m.get("grad_since", -1) < here)):
                    pruned.append(node)
                    pruned.append(a)
                    continue
                if needed is not None and a not in needed:
                    continue
                if variadic:
                    gi = vjp[0](g, ans, xs, p, i)
                else:
                    rule = vjp[i]
                    gi = g if rule is passthrough else rule(g, ans, xs, p)
                if gi is None:
                    # no gradient sent (PyTorch's undefined one): a custom
                    # Function's None, or a rule whose input this output does
                    # not reach (convolution_backward's)
                    if pending is not None and a in pending:
                        pending[a] -= 1
                        if not pending[a]:
                            done.append(a)
                    continue
                if not same:
                    x = a.data
                    if gi.__class__ is not _ND:
                        gi = _asarray(gi)
                    if gi.shape != x.shape:
                        if node.data.dtype is _F16 and gi.dtype is _F32:
                            # PyTorch's gradient of a broadcast float16 input is
                            # a float16 tensor of the full shape, then summed
                            gi = half.r(gi)
                        gi = unbroadcast(gi, x.shape)
                    if gi.dtype is not x.dtype and gi.dtype != x.dtype:
                        gi = gi.astype(x.dtype)
                if a.meta is not None:
                    gi = _to_made_shape(node, i, gi, a)
                j = a.seq + 1
                prev = gs[j] if dense else gs.get(j)
                if prev is None:
                    if j >= here:
                        _clash(a, node)
                    at[j], gs[j], ready[j] = a, gi, 1
                elif at[j] is a:
                    gs[j] = prev + gi
                    if versions is not None and not a.recorded:
                        fanin[a] = fanin.get(a, 1) + 1
                else:
                    _clash(a)
                if logged:
                    steps.append(a)
                    steps.append(gi)
                if pending is not None and a in pending:
                    pending[a] -= 1
                    if not pending[a]:
                        done.append(a)
            if logged:
                steps.append(None)
            gi = None        # (no reference left here to what was sent: see _accumulate)
            if done:
                for leaf in done:
                    j = leaf.seq + 1
                    g = hooks[leaf](gs[j] if dense else gs.get(j))
                    gs[j] = None
                    ready[j] = 0             # (done: the loop passes it by)
                    order.append(leaf)
                    # None: a hook took it away, or only undefined gradients came
                    if g is not None:
                        if wanted is not None and leaf in wanted:
                            grads[leaf] = g
                        if accumulate:
                            _accumulate(leaf, g, versions, fanin)
                        if record_steps:
                            steps.append(leaf)
                            steps.append(g)
                            steps.append(None)
                    if after is not None and leaf in after:
                        after[leaf](g)
                done.clear()
    except GradvizError:
        if accumulate and node is not None:
            waiting = [at[j] for j in range(here) if ready[j]]
            _accumulate_finished(node, waiting, {at[j]: gs[j] for j in range(here) if ready[j]},
                                 versions, fanin)
        raise
    finally:
        if view is not None:
            view.end()
    if not retain_graph:
        for node in order:
            if node.recorded:
                node.freed = True
    return grads, steps, pruned, order


class PassHooks:
    """The program's hooks as one reverse pass calls them (Interpreter.
    pass_hooks makes them; each dict None when empty):
      tensor  tensor -> f(gradient) -> gradient or None (see run_backward)
      pre     recorded tensor -> f(gradient) -> gradient or None: its
              grad_fn's register_prehook()s, after its tensor hooks and its
              retain_grad()
      post    recorded tensor -> f(sent, gradient) -> sent: its grad_fn's
              register_hook()s, on what it sends each argument (a list by
              argument, None where it sends nothing)
      after   leaf -> f(gradient or None): run after its .grad was
              accumulated (its post-accumulate-grad hooks, then its
              AccumulateGrad's register_hook()s)
      unpack  recorded tensor -> f(ans, xs, scalar) -> (ans, xs): the values
              its VJPs read, as saved_tensors_hooks' unpack returns them"""

    __slots__ = ("tensor", "pre", "post", "after", "unpack", "waiting", "groups")

    def __init__(self, tensor=None, pre=None, post=None, after=None, unpack=None,
                 waiting=None, groups=None):
        self.tensor, self.pre, self.post, self.after = tensor, pre, post, after
        self.unpack = unpack
        # output group -> the hooks of a multi-output op's one node, which
        # its group's last output to run calls (hooks.GroupHooks)
        self.groups = groups
        # a Waiting the pass binds to its queue, for the pre hooks of nodes
        # that run as one group (a module's backward hooks: module_hooks)
        self.waiting = waiting


class Waiting:
    """The gradients of the nodes waiting to run in a reverse pass, for a
    hook to read and change: a module's backward hooks see the gradients of
    all its outputs (or inputs) at once, where PyTorch has one node for them
    and gradviz one per tensor (made one after the other, so the first of
    them to run finds the others' gradients complete)."""

    __slots__ = ("at", "gs", "ready", "dense", "needed", "ran", "on_end")

    def __init__(self, on_end=None):
        self.ran = set()            # what the hooks that use it ran in this pass
        self.on_end = on_end        # called when the pass ends

    def bind(self, at, gs, ready, dense: bool, needed) -> None:
        self.at, self.gs, self.ready, self.dense, self.needed = at, gs, ready, dense, needed

    def end(self) -> None:
        if self.on_end is not None:
            self.on_end()

    def get(self, t: Tensor):
        """The gradient waiting for t (None: none has come)."""
        j = t.seq + 1
        if not (0 < j < len(self.ready) and self.ready[j]):
            return None
        return self.gs[j] if self.dense else self.gs.get(j)

    def put(self, t: Tensor, g) -> None:
        """t's gradient is g from here on (None: t gets none, and does not run)."""
        j = t.seq + 1
        if not 0 < j < len(self.ready) or (self.needed is not None and t not in self.needed):
            return
        if g is None:
            if self.ready[j]:
                self.gs[j] = None
                self.ready[j] = 0
            return
        self.at[j], self.gs[j], self.ready[j] = t, g, 1

    def add(self, t: Tensor, g) -> None:
        """g added to the gradient waiting for t, as a node that sends it
        (t older than the node running)."""
        if self.get(t) is None:
            self.put(t, g)
        elif self.needed is None or t in self.needed:
            self.gs[t.seq + 1] = self.gs[t.seq + 1] + g


def _gather_outputs(node: Tensor, group: int, g, joins: dict, at, ready, here: int):
    """node's gradient g added to what its group's outputs have so far: None
    while another output of the group waits to run (the outputs are made one
    after the other, so they run one after the other, their gradients
    complete); at the last, {output_nr: (output, gradient)} of them all."""
    outs = joins.get(group)
    if outs is None:
        outs = joins[group] = {}
    outs[node.meta["output_nr"]] = (node, g)
    if _output_waits(group, at, ready, here):
        return None
    del joins[group]
    return outs


def _output_waits(group: int, at, ready, here: int) -> bool:
    """Whether an output of group made before the node at index `here` waits to run."""
    for j in range(here - 1, group, -1):
        if ready[j] and (at[j].meta or _NO_META).get("output_group") == group:
            return True
    return False


def _joined_without(node: Tensor, joins: dict, at, ready, here: int):
    """The gradient a node of a group runs with when a hook took its own
    away: zeros where it is the last of its group to run and others ran
    before it (the node still runs once, for theirs), else None."""
    m = node.meta
    if m is None or m.get("output_group") not in joins or _output_waits(
            m["output_group"], at, ready, here):
        return None
    return np.zeros_like(node.data)


_NO_META: dict = {}


def _send_none(g, ans, xs, p, i):
    """The rule of a node that got no gradient: it sends none."""
    return None


def fit_gradient(name: str, k: int, g: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient g that node name returned for its input k, made that
    input's shape as PyTorch's validate_outputs makes it: summed down where
    the shape broadcasts to g's, else its error."""
    if g.shape != shape:
        try:
            fits = broadcast_shape(shape, g.shape) == g.shape
        except GradvizError:
            fits = False
        if not fits:
            raise GradvizError(f"Function {name} returned an invalid gradient at index {k} - "
                               f"got {list(g.shape)} but expected shape compatible with "
                               f"{list(shape)}", kind=RUNTIME,
                               hint="backward returns, for each input, a gradient of that "
                                    "input's shape")
        g = unbroadcast(g, shape)
    return g


def _to_made_shape(node: Tensor, k: int, g: np.ndarray, a: Tensor) -> np.ndarray:
    """g, sent by node to its input k, a: where a's shape changed in place
    since its own node made it (a.t_() under no_grad(): PyTorch keeps its
    grad_fn), PyTorch's check of g against the shape that node made."""
    made = a.meta.get("made_shape") if a.meta is not None else None
    return g if made is None else fit_gradient(node.grad_fn_name, k, g, made)


def _all_sent(node, g, ans, xs, p, vjp, variadic, same, needed, here) -> list:
    """What node sends each of its arguments (None: nothing), computed as
    run_backward's loop computes it, all before any is sent: its grad_fn's
    hooks see them together."""
    sent = []
    for i, a in enumerate(node.args):
        gi = None
        if (a.__class__ is Tensor and a.requires_grad
                and (a.recorded or (m := a.meta) is None or m.get("grad_since", -1) < here)
                and (needed is None or a in needed)):
            if variadic:
                gi = vjp[0](g, ans, xs, p, i)
            else:
                rule = vjp[i]
                gi = g if rule is passthrough else rule(g, ans, xs, p)
            if gi is not None and not same:
                x = a.data
                gi = _asarray(gi)
                if gi.shape != x.shape:
                    gi = unbroadcast(gi, x.shape)
                if gi.dtype != x.dtype:
                    gi = gi.astype(x.dtype)
            if gi is not None:
                gi = _to_made_shape(node, i, gi, a)
        sent.append(gi)
    return sent


def _hooked_leaf_edges(roots, hooks: dict, needed) -> dict | None:
    """For the hooked leaves a pass from roots reaches (not roots): how many
    gradients it will send each (one per edge into it, as run_backward
    sends them)."""
    leaves = {t for t in hooks if not t.recorded and t not in roots}
    if not leaves:
        return None
    counts = {}
    for n in _reachable(roots):
        if n.recorded and (needed is None or n in needed):
            for a in n.args:
                if (a.__class__ is Tensor and a in leaves and (needed is None or a in needed)
                        and _tracked(a, n)):
                    counts[a] = counts.get(a, 0) + 1
    return counts


def _holds_saved(p) -> bool:
    """A node of an op that saves no values whose backward still needs what
    backward() frees: advanced indexing saves its index tensors
    (IndexBackward0, IndexPutBackward0; slicing does not), CopySlices
    the function it wraps, and a custom Function what its forward passed
    to ctx.save_for_backward() (one that saved nothing runs again)."""
    return bool(p.get("advanced")) or p.get("grad_fn") == "CopySlices" or (
        (ctx := p.get("ctx")) is not None and bool(ctx.saved))


def _picker(sent: tuple):
    """A variadic VJP rule that gives each input what a custom Function's
    backward returned for it (see OpDef.custom)."""
    return lambda g, ans, xs, p, i: sent[i]


def _accumulate_finished(failed: Tensor, waiting: list, grads: dict, versions, fanin) -> None:
    """A pass stopped by an error at `failed`: fill the .grad of the leaves
    whose gradient was complete by then, as PyTorch does (its engine runs a
    leaf's AccumulateGrad as soon as the last gradient for it arrives, before
    any other node; here leaves wait their turn in creation order). Complete:
    no node that will not run now (failed, those waiting) leads to it."""
    stack = [failed] + [t for t in waiting if t.recorded]
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
    for t in sorted(waiting, key=_seq, reverse=True):
        if not t.recorded and t not in blocked and t in grads:
            _accumulate(t, grads[t], versions, fanin)


def _in_common_dtype(xs: list, dt, keep_bool: bool = False) -> list:
    """The two inputs of an op that computes in its operands' common dtype
    (OpDef.common_dtype), cast to it, as the forward cast them (Tape._forward):
    PyTorch's backward kernels promote the same way, so the gradient of a
    float32 tensor times a 0-d float64 one is computed in float32 (numpy
    would compute it in float64 and round twice). keep_bool: bool operands
    stay bool (OpDef.uncast_bool)."""
    a, b = xs
    if (a.__class__ is _ND and b.__class__ is _ND and a.dtype is not b.dtype
            and a.dtype != b.dtype):
        return [a if a.dtype == dt or (keep_bool and a.dtype.kind == "b") else a.astype(dt),
                b if b.dtype == dt or (keep_bool and b.dtype.kind == "b") else b.astype(dt)]
    return xs


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


def _dense(pending: dict, below: int) -> list:
    """pending as a list, for the indices below `below` (the rest is done)."""
    out = [None] * below
    for j, v in pending.items():
        if j < below:
            out[j] = v
    return out


def _clash(t: Tensor, sender: Tensor | None = None):
    """A graph the tape cannot have made (an internal error): two tensors
    with one creation index, or an input made after the op that used it."""
    if sender is None:
        raise RuntimeError(f"two tensors of one graph have the creation index {t.seq}")
    raise RuntimeError(f"a tensor made at index {t.seq} is an input of one made at "
                       f"{sender.seq}")


def _between(order, inputs: set) -> set:
    """The nodes on a path from the roots to `inputs`: all autograd.grad()
    runs (so a retain_grad() elsewhere sees nothing, as in PyTorch)."""
    needed = set(inputs)
    for t in reversed(order):          # increasing seq: an op after its inputs
        if t.recorded and any(a.__class__ is Tensor and a in needed for a in t.args):
            needed.add(t)
    return needed


# A leaf's first gradient of at least this many numbers becomes its .grad
# without a copy when nothing else holds it (see _accumulate): below it, the
# copy costs less than what taking it over costs the record.
ADOPT_SIZE = 1 << 14


def _unlink_graph_grad(t: Tensor) -> None:
    """retain_grad()'s hook adds out of place (grad = grad + new): a .grad a
    create_graph=True pass left with a graph becomes a plain tensor when a
    pass without one adds to it (a leaf's .grad, added to in place, keeps it)."""
    if t.grad is not None and t.grad.recorded:
        plain = Tensor(t.grad.data.copy())
        plain.meta = {"grad_of": t.seq}
        t.grad = plain


def _accumulate(t: Tensor, g: np.ndarray, versions=None, fanin=None, adopted=None,
                refs=0):
    """Add g into t.grad in place (PyTorch keeps the .grad tensor's identity).

    A first .grad is a copy of g, unless adopted is a list and g is a new
    array of t's shape and dtype that only run_backward holds (at most refs
    references, counted as CPython counts them: its variable, this
    function's argument, getrefcount's, and the entry in steps of the op
    that sent it). Then g is the .grad, as PyTorch's AccumulateGrad takes a
    gradient nobody else holds, and goes on the list (a copy of a 512x512
    gradient is a tenth of that pass, mostly its fresh pages).

    Versions as PyTorch counts them, for its in-place check: a new leaf
    .grad is at version (gradients summed - 1) (its engine adds them up in
    place in the buffer it then keeps), a retain_grad() one at 0; each
    later backward adds one."""
    if t.grad is None:
        dt = grad_dtype(t) or g.dtype        # (x.grad_dtype = None: g's own)
        laid_out = strides.grad_strides(t)
        if (adopted is not None and g.base is None and g.dtype == dt and g.shape == t.data.shape
                and g.flags.writeable and g.flags.c_contiguous and getrefcount(g) <= refs
                and laid_out is None):
            adopted.append(g)
        else:
            # a numpy scalar of t's dtype (a pass on 0-d tensors): asarray makes a
            # new array of it
            # (in C order, as PyTorch's AccumulateGrad lays out a new .grad
            # of a contiguous leaf: x.t()'s transposed gradient is made contiguous)
            g = _asarray(g) if g.__class__ is dt.type else np.array(g, dtype=dt, copy=True,
                                                                     order="C")
        gt = Tensor(g)
        gt.meta = {"grad_of": t.seq}
        if laid_out is not None:        # (a dense leaf of other strides: its own)
            strides.lay_out(gt, laid_out)
        t.grad = gt
        if fanin:
            n = fanin.get(t)
            if n:
                versions.start(gt, n - 1)
    else:
        np.add(t.grad.data, g, out=t.grad.data, casting="unsafe")
        if versions is not None:
            versions.bump(t.grad)
