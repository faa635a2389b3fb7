"""The hooks of a backward node and of a leaf's accumulation, as PyTorch's
"Backward Hooks execution" describes them::

    y.grad_fn.register_prehook(fn)     # fn(grad_outputs) before the node runs
    y.grad_fn.register_hook(fn)        # fn(grad_inputs, grad_outputs) after it
    leaf.register_post_accumulate_grad_hook(fn)   # fn(leaf) once .grad is set

(Tensor hooks, x.register_hook(fn), are Interpreter.run_hooks.) In a pass,
a node's gradient meets its tensor's hooks, its retain_grad(), then its
grad_fn's pre-hooks; the node runs; then its grad_fn's hooks. For a leaf
the node is its AccumulateGrad (y.grad_fn.next_functions[0][0]): pre-hooks,
the accumulation into .grad, the post-accumulate-grad hooks, its hooks.

A pre-hook or hook returns None (nothing changes) or a tuple with one entry
per gradient (None: no gradient), checked as PyTorch checks it. Each
gradient a node's hook gets is a tensor of the tape (op "grad_fn hook's
grad_inputs[1]", "grad_fn pre-hook's grad_outputs[0]": the argument it
was, made for the hooked tensor): the record shows what each hook saw, as
it shows a tensor hook's.
"""
from __future__ import annotations

import numpy as np

from . import module_hooks, saved_hooks
from .autodiff import PassHooks
from .errors import RUNTIME, TYPE, GradvizError, Span
from .gradfns import GradFn, edge_args
from .record import POST_LABEL, PRE_LABEL
from .tensor import Tensor

# PyTorch's nodes with several outputs, each of which gradviz records as a
# node of its own: a hook there would see one output's gradient only, but
# where the outputs are one group (functions.numbered_outputs), whose node
# the reverse pass runs once (PassHooks.groups)
MULTI_OUTPUT = frozenset({"UnbindBackward0", "SplitBackward0", "SplitWithSizesBackward0",
                          "UnsafeSplitBackward0", "UnsafeSplitWithSizesBackward0"})


def _group(t: Tensor, name: str):
    """The output group of t's node named name (None: t is no output of one)."""
    m = t.meta
    if m is None or name != t.grad_fn_name:
        return None
    return m.get("output_group")


def _group_members(rt, leader: Tensor) -> list:
    """The outputs of the group whose output 0 is leader, in order (made one
    after the other on the tape)."""
    group = leader.meta["output_group"]
    out = []
    for t in rt.tape.nodes[leader.seq:]:
        if (t.meta or {}).get("output_group") != group or t.meta.get("output_nr") != len(out):
            break
        out.append(t)
    return out


def node_hooks_of(rt, t: Tensor) -> dict:
    """The hooks of t's backward node (its grad_fn, or a leaf's AccumulateGrad)."""
    hooks = rt.node_hooks.get(t)
    if hooks is None:
        hooks = rt.node_hooks[t] = {"pre": [], "post": [], "accumulated": []}
    return hooks


def hooked(rt, t: Tensor) -> bool:
    """t has a hook that may change the gradients of a pass: its own
    register_hook()s, or its node's, or saved_tensors_hooks' unpack on what its
    node saved (the checks against forward mode and finite differences say
    so, rather than disagree)."""
    h = rt.node_hooks.get(t)
    return (bool(rt.hooks.get(t)) or (h is not None and bool(h["pre"] or h["post"]))
            or t in rt.packed or t in rt.module_bw)


def register(rt, fn: GradFn, hook, kind: str):
    """fn.register_hook(hook) (kind "post") or fn.register_prehook(hook) ("pre")."""
    from .functions import RemovableHandle
    method = "register_prehook" if kind == "pre" else "register_hook"
    t = fn.node
    if t is not None and t.recorded and _group(t, fn.name) is not None:
        t = rt.tape.nodes[t.seq - t.meta["output_nr"]]    # (the group's hooks: its output 0's)
    elif t is None or (t.recorded and (fn.name in MULTI_OUTPUT or edge_args(t, fn.name) is None)):
        raise GradvizError(
            f"{method}() on a {fn.name} node is not supported here", kind=RUNTIME,
            hint="gradviz draws this part of PyTorch's graph as one node where PyTorch has "
                 "several (or one node for several outputs); hook a tensor instead "
                 "(t.register_hook(fn) sees the gradient of t)")
    entries = node_hooks_of(rt, t)[kind]
    entry = [hook]               # (a list: one hook registered twice is two entries)
    entries.append(entry)
    rt.log_event("grad_fn." + method, t)
    return RemovableHandle(entries, entry)


def m_register_post_accumulate_grad_hook(rt, x, hook):
    """x.register_post_accumulate_grad_hook(fn): fn(x) runs once a backward
    pass has added into x.grad (x a leaf), as the optimizer-in-backward
    tutorial steps each parameter there."""
    from .functions import RemovableHandle
    if not x.requires_grad:
        raise GradvizError("cannot register a hook on a tensor that doesn't require gradient",
                           hint="call x.requires_grad_() first")
    if x.recorded:
        raise GradvizError("post accumulate grad hooks cannot be registered on non-leaf tensors",
                           hint="only a leaf accumulates into .grad: hook the leaf (a "
                                "parameter), or use x.register_hook(fn) on this tensor")
    entries = node_hooks_of(rt, x)["accumulated"]
    entry = [hook]
    entries.append(entry)
    rt.log_event("register_post_accumulate_grad_hook", x)
    return RemovableHandle(entries, entry)


def pass_hooks(rt, accumulate: bool) -> PassHooks | None:
    """The hooks a reverse pass calls (None: the program has none). A
    leaf's node hooks run only where it accumulates (not in autograd.grad,
    where PyTorch runs no AccumulateGrad)."""
    tensor = {t: (lambda g, t=t: rt.run_hooks(t, g)) for t, h in rt.hooks.items() if h}
    pre, post, after, groups = {}, {}, {}, {}
    for t, h in rt.node_hooks.items():
        if t.recorded and _group(t, t.grad_fn_name) is not None:
            if h["pre"] or h["post"]:
                groups[t.meta["output_group"]] = GroupHooks(rt, t)
        elif t.recorded:
            if h["pre"]:
                pre[t] = lambda g, t=t: run_prehooks(rt, t, g)
            if h["post"]:
                post[t] = lambda sent, g, t=t: run_posthooks(rt, t, sent, g)
        elif accumulate and (h["pre"] or h["post"] or h["accumulated"]):
            # (in tensor: a leaf with hooks is run as soon as its gradient is
            # complete, as PyTorch runs its AccumulateGrad)
            tensor[t] = lambda g, t=t: run_prehooks(rt, t, rt.run_hooks(t, g))
            after[t] = lambda g, t=t: run_after(rt, t, g)
    # a module's backward hooks (module_hooks), at its BackwardHookFunction nodes
    waiting = module_hooks.pass_hooks(rt, tensor, pre) if rt.module_bw else None
    unpack = {t: (lambda ans, xs, scalar, t=t: saved_hooks.unpack_for_backward(rt, t, ans, xs, scalar))
              for t in rt.packed if not t.freed}
    if rt.anomaly == (True, True):       # detect_anomaly(): every node's NaNs checked
        from .anomaly import CheckEveryNode
        return PassHooks(tensor or None, pre or None, CheckEveryNode(post), after or None,
                         unpack or None, waiting, groups or None)
    if not (tensor or pre or post or after or unpack or groups):
        return None
    return PassHooks(tensor or None, pre or None, post or None, after or None, unpack or None,
                     waiting, groups or None)


class GroupHooks:
    """The node hooks of a multi-output op's one node, which the reverse pass
    calls once for all its outputs (autodiff's group path): a pre-hook gets
    and returns the gradients of every output (None: one that got none), a
    hook those and what the node sends."""

    def __init__(self, rt, leader: Tensor):
        self.rt, self.leader = rt, leader
        self.members = _group_members(rt, leader)

    def before(self, outs: dict) -> dict:
        """outs (output_nr -> (output, gradient)) after the pre-hooks."""
        if not self.rt.node_hooks[self.leader]["pre"]:
            return outs
        grads = self.grads(outs)
        grads = _call_hooks(self.rt, self.leader, "pre", grads, self.members)
        return {k: (self.members[k], g) for k, g in enumerate(grads) if g is not None}

    def after(self, sent: list, outs: dict) -> list:
        """What the node sends each argument, after its hooks."""
        if not self.rt.node_hooks[self.leader]["post"]:
            return sent
        return run_posthooks(self.rt, self.leader, sent, None, self.grads(outs))

    def grads(self, outs: dict) -> list:
        return [outs[k][1] if k in outs else None for k in range(len(self.members))]


def _name(rt, fn) -> str:
    from .interpreter import UserFunction
    return fn.defn.name if fn.__class__ is UserFunction else getattr(fn, "name", "hook")


def _given(rt, t: Tensor, g, label: str):
    """A gradient as the tensor a node's hook gets (None stays None)."""
    if g is None:
        return None
    here = None if rt.span is None else Span(rt.span.line, rt.span.col, rt.span.line, rt.span.col)
    return rt.tape.add(Tensor(g if g.__class__ is np.ndarray else np.asarray(g)), here,
                       label=label, of=t.seq)


def _checked(rt, fn, out, was: list, like: list) -> list:
    """What a node hook returned, checked as PyTorch checks it: a tuple of
    len(was) entries, each a tensor of the gradient's shape and dtype or
    None (which may not stand in for a None gradient's place). like[k]: the
    tensor whose shape and dtype entry k must have."""
    from .functions import legacy_type
    name = _name(rt, fn)
    if out.__class__ is not tuple:
        raise GradvizError(f"expected tuple, but hook returned '{rt.type_name(out)}'", kind=TYPE,
                           hint="a node's hook returns a tuple of gradients (one per entry of "
                                "what it got), or None to leave them as they are")
    if len(out) != len(was):
        raise GradvizError(f"hook '{name}' has returned an incorrect number of values (got "
                           f"{len(out)}, but expected {len(was)})",
                           hint=f"return a tuple of {len(was)}: one gradient (or None) for each "
                                "entry of the tuple the hook got")
    new = []
    for v, old, ref in zip(out, was, like):
        if v is not None and v.__class__ is not Tensor:
            raise GradvizError(f"expected Variable, but hook returned '{rt.type_name(v)}'",
                               kind=TYPE, hint="each entry is a tensor or None")
        if v is not None and old is None:
            raise GradvizError("can't replace a None gradient with a non-None value",
                               hint="leave the entries that were None as None")
        if v is not None:
            if v.data.shape != ref.data.shape:
                raise GradvizError(f"hook '{name}' has changed the size of value",
                                   hint="return gradients of the shapes the hook got")
            if v.data.dtype != ref.data.dtype:
                raise GradvizError(
                    f"hook '{name}' has changed the type of value (was "
                    f"{legacy_type(ref.data.dtype)} got {legacy_type(v.data.dtype)})",
                    hint="return gradients of the dtypes the hook got")
        new.append(None if v is None else v.data)
    return new


def _call_hooks(rt, t: Tensor, kind: str, grads: list, like: list, outputs=None) -> list:
    """Run t's node hooks of `kind` in the order they were registered, each
    on what the one before returned, with gradients off (as PyTorch runs
    them); the gradients from here on."""
    label = PRE_LABEL if kind == "pre" else POST_LABEL
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, False
    try:
        # (each gradient on the tape by the argument it is: a pre-hook's
        # grads are the node's grad_outputs, a hook's its grad_inputs)
        slot = "grad_outputs" if kind == "pre" else "grad_inputs"
        for fn, in list(rt.node_hooks[t][kind]):
            given = tuple(_given(rt, t, g, f"{label} {slot}[{k}]") for k, g in enumerate(grads))
            if kind == "pre":
                out = rt.call_value(fn, [given])
            else:
                out = rt.call_value(fn, [given, tuple(_given(rt, t, g, f"{label} grad_outputs[{k}]")
                                                      for k, g in enumerate(outputs))])
            if out is not None:
                grads = _checked(rt, fn, out, grads, like)
    finally:
        rt.tape.grad_enabled = enabled
    return grads


def run_prehooks(rt, t: Tensor, g):
    """t's grad_fn (or AccumulateGrad) pre-hooks on its gradient g."""
    if g is None or not rt.node_hooks.get(t, {}).get("pre"):
        return g
    return _call_hooks(rt, t, "pre", [g], [t])[0]


def run_posthooks(rt, t: Tensor, sent: list, g, outputs: list | None = None) -> list:
    """t's grad_fn hooks on what it sends (a list by argument of t's op),
    as PyTorch's grad_inputs: one entry per edge of next_functions; their
    grad_outputs [g], or outputs (a group's: every output's gradient)."""
    edges = edge_args(t, t.grad_fn_name)
    grads = [sent[i] if i is not None else None for i in edges]
    like = [t.args[i] if i is not None and t.args[i].__class__ is Tensor else None
            for i in edges]
    grads = _call_hooks(rt, t, "post", grads, like, [g] if outputs is None else outputs)
    sent = list(sent)
    for k, i in enumerate(edges):
        if i is not None:
            sent[i] = grads[k]
    return sent


def run_after(rt, leaf: Tensor, g) -> None:
    """After leaf's AccumulateGrad (g None: it got no gradient): its
    post-accumulate-grad hooks, fn(leaf), then its AccumulateGrad's hooks,
    fn((), (g,)) (a leaf's node sends nothing on)."""
    hooks = rt.node_hooks[leaf]
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, False
    try:
        for fn, in list(hooks["accumulated"]):
            out = rt.call_value(fn, [leaf])
            if out.__class__ is Tensor:
                raise GradvizError("Tensor post accumulate grad hooks should return None.",
                                   hint="the hook works on the parameter (p.grad, an "
                                        "optimizer's step()); it returns nothing")
            if out is not None:
                raise GradvizError(f"expected Variable, but hook returned "
                                   f"'{rt.type_name(out)}'", kind=TYPE,
                                   hint="a post-accumulate-grad hook returns None")
    finally:
        rt.tape.grad_enabled = enabled
    if hooks["post"]:
        _call_hooks(rt, leaf, "post", [], [], [g])
