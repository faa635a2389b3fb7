"""Version counters: PyTorch's check that a tensor saved for backward was
not changed in place before backward read it.

PyTorch counts the in-place writes to each tensor's memory (views and
detach() share the count; `.data` starts a count of its own), and an op's
backward refuses a saved tensor whose count moved on since the op ran:

    one of the variables needed for gradient computation has been modified
    by an inplace operation: [torch.FloatTensor [3]] is at version 1;
    expected version 0 instead. ...

Here a write is remembered as a stamp, the tape's length when it happened:
the op recorded at index `seq` saw exactly the writes with stamp <= seq. So
ops pay nothing; only the (rare) writes and the backward of ops recorded
before the last write do any work. What each op saves is OpDef.saved,
measured against PyTorch 2.13 op by op.
"""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, GradvizError
from .tensor import REBASED_GRAD_FN, is_view

_TYPE_NAMES = {np.dtype(np.float32): "torch.FloatTensor", np.dtype(np.float64): "torch.DoubleTensor",
               np.dtype(np.int64): "torch.LongTensor", np.dtype(np.int32): "torch.IntTensor",
               np.dtype(np.int16): "torch.ShortTensor", np.dtype(np.int8): "torch.CharTensor",
               np.dtype(np.uint8): "torch.ByteTensor", np.dtype(np.bool_): "torch.BoolTensor",
               np.dtype(np.float16): "torch.HalfTensor"}

HINT_TAIL = ("change it after backward() (or after the last use of the graph), or use an "
             "out-of-place operation (w = w - 0.1 * g) so that the saved value stays intact")


def owner(a: np.ndarray) -> np.ndarray:
    """The array that owns a's memory (a loop: numpy may leave view chains)."""
    while a.base is not None and a.base.__class__ is np.ndarray:
        a = a.base
    return a


# grad_fns PyTorch writes in C++ by hand, not generated, the nodes that are
# not an op's "...Backward": their name() (and this message) is the
# qualified C++ class name
QUALIFIED_NAMES = {"AccumulateGrad": "torch::autograd::AccumulateGrad",
                   "CopySlices": "torch::autograd::CopySlices",
                   "CopyBackwards": "torch::autograd::CopyBackwards",
                   "NotImplemented": "torch::autograd::NotImplemented",
                   "Error": "torch::autograd::Error",
                   "Identity": "torch::autograd::Identity"}


def short_name(grad_fn: str) -> str:
    """PyTorch's name for a node in this message: ExpBackward0 -> Exp, PowBackward1 -> Pow1,
    CopySlices -> torch::autograd::CopySlices."""
    qualified = QUALIFIED_NAMES.get(grad_fn)
    if qualified is not None:
        return qualified
    return grad_fn.replace("Backward0", "").replace("Backward", "")


def _was_view(t) -> bool:
    """t is a view, or was one when it was written through (the node before
    a write keeps a copy: the interpreter marks it was_view)."""
    return is_view(t) or t.meta is not None and t.meta.get("was_view", False)


def _written_view_name(node, nodes: list) -> str:
    """PyTorch's name in this message for node, the result of an in-place op
    on a view, saved by that op: the view's grad_fn made just after the write
    (AsStridedBackward0) while it lives, as after a write through its family
    (the interpreter remade the view's node) until the view is read
    (multi_views.regrow), or after that while a later op holds it; else,
    that grad_fn gone (the view written again, or dropped), the op's own
    name (SigmoidBackward0)."""
    m = node.meta or {}
    if m.get("remade") and (not m.get("regrown") or _used_later(node, nodes)):
        return REBASED_GRAD_FN
    return m.get("grad_fn_name") or node.op.grad_fn_for(node)


def _used_later(node, nodes: list) -> bool:
    """An op after node takes it, other than the CopySlices of its own write
    into the view's base (which holds the op's node, not the view's)."""
    for n in nodes[node.seq + 1:]:
        if n.args and any(a is node for a in n.args) and not (
                n.op.name == "setitem" and n.params.get("grad_fn") == "CopySlices"):
            return True
    return False


class Versions:
    """The in-place writes of one run, by the memory they changed."""

    def __init__(self, nodes: list, snapshots: dict, changed_at: dict):
        self.nodes = nodes          # the tape's: its length is the stamp of a write
        # the tape's values before in-place writes (seq -> copy) and when
        # each was first written (seq -> tape length), for as_made
        self.snapshots = snapshots
        self.changed_at = changed_at
        self.writes: dict = {}      # key -> [(stamp, line), ...]
        self.latest: dict = {}      # key -> the newest tensor of that memory (its grad_fn
                                    # names it in the message)
        # seq of each op that models an in-place op -> the stamp of its write
        # (later than seq + 1 when a write through a view recorded the base's
        # CopySlices node in between)
        self.inplace_nodes: dict = {}
        self.initial: dict = {}     # key -> version a .grad starts at (autodiff._accumulate)
        # seq -> line: recorded tensors sharing memory with one that line
        # changed in place with grad on (see Interpreter._augassign)
        self.rewired: dict = {}
        # seqs of the nodes of a fill into memory held twice (an expand), whose
        # backward PyTorch refuses (Interpreter.record_inplace)
        self.overlapped: set = set()
        self.last = -1              # the latest stamp (-1: no write yet)
        self._alive: list = []      # arrays whose ids are keys stay alive (ids unique)

    def key(self, t) -> int:
        m = t.meta
        if m is not None:
            k = m.get("version_key")
            if k is not None:
                return k
        return id(owner(t.data))

    def count(self, t) -> int:
        """t._version: the in-place writes to t's memory so far."""
        k = self.key(t)
        return self.initial.get(k, 0) + len(self.writes.get(k, ()))

    def bump(self, t, line=None) -> None:
        """t's memory is written now (after the ops so far, before the next)."""
        k = self.key(t)
        stamp = len(self.nodes)
        self.writes.setdefault(k, []).append((stamp, line))
        self.last = stamp
        self._alive.append(owner(t.data))

    def pin(self, t) -> None:
        """t keeps the counter it has now when its memory moves (x.resize_()
        past the end of it: PyTorch keeps the storage object)."""
        k = self.key(t)
        t.meta = {**(t.meta or {}), "version_key": k}
        self._alive.append(owner(t.data))     # (its id stays the key of no other)

    def start(self, grad, version: int) -> None:
        """A new .grad tensor, at the version PyTorch's engine leaves it."""
        self.initial[id(grad.data)] = version
        self._alive.append(grad.data)

    def replaced(self, old, new, line=None, bump: bool = True) -> None:
        """`old op= v` (or `old[i] = v`) run out of place with grad on (the
        interpreter's _augassign, _setitem): new is the in-place op's
        result, on old's memory, and old keeps a copy of its value under its
        old key. One more write, after new's op saved its inputs; that op
        keeps old's value as it was (PyTorch clones self for in-place ops
        whose backward reads it). bump=False: the same write seen from the
        base of the view written (its new node shares the count)."""
        k = self.key(new)
        m = old.meta
        if m is None:
            old.meta = m = {}
        m["version_key"] = k
        self.latest[k] = new
        if new.data.base is not None:      # (a write into a view: named so by _raise)
            if new.meta is None:
                new.meta = {}
            new.meta["on_view"] = True
        if bump:
            self.bump(new, line)
        self.inplace_nodes[new.seq] = self.last

    def check(self, node, spec: str) -> None:
        """Raise PyTorch's error if a tensor node saved for one input's VJP
        (spec: OpDef.saved's entry) was written after node ran."""
        inplace = node.seq in self.inplace_nodes
        for c in spec:
            own = c == "r"
            if own:
                t = node
            elif int(c) >= len(node.args):
                continue               # an optional input the call left out (nll_loss's weight)
            else:
                t = node.args[int(c)]
                if t.__class__ is not node.__class__ or (inplace and c == "0"):
                    continue           # a number, or the in-place op's own copy of self
            k = self.key(t)
            stamps = self.writes.get(k)
            if not stamps:
                continue
            # the op saw the writes up to its own index (an in-place op's
            # result: up to its own write)
            seen = self.inplace_nodes[node.seq] if own and inplace else node.seq
            expected = sum(1 for s, _ in stamps if s <= seen)
            if expected < len(stamps):
                start = self.initial.get(k, 0)
                self._raise(node, t, own, k, start + len(stamps), start + expected,
                            next(line for s, line in stamps if s > seen))

    def as_made(self, node, ans, xs: list, scalar: bool):
        """(ans, xs) of node's VJPs with every tensor among them that an
        in-place write changed after node ran as it was then (the tape's
        snapshot of its value before its first write). ``scalar``: the pass
        reads 0-d values as numpy scalars."""
        snaps, changed_at = self.snapshots, self.changed_at

        def made(t, now):
            if t.__class__ is node.__class__ and changed_at.get(t.seq, -1) > node.seq:
                v = snaps[t.seq]
                return v[()] if scalar else v
            return now
        xs = [made(a, x) for a, x in zip(node.args, xs)]
        return made(node, ans), xs

    def check_node(self, node) -> None:
        """Before node's backward runs (it was recorded before a write):
        PyTorch's engine unpacks every tensor the op saved, whichever
        gradients this pass needs, so each is checked here; what was saved
        depends on which inputs required grad when the op ran."""
        self.check_rewired(node)
        spec = node.op.saved
        if not spec:
            return
        if callable(spec):
            spec = spec(node)
        saved = []
        i = -1
        for a in node.args:
            i += 1
            if i < len(spec) and a.__class__ is node.__class__ and a.requires_grad and (
                    a.recorded or a.meta is None or a.meta.get("grad_since", -1) <= node.seq):
                saved.append(spec[i])
        order = node.op.saved_order
        if order:
            # (the first of them written since is the one PyTorch's error names)
            every = "".join(saved)
            saved = ["".join(c for c in order if c in every)]
        for s in saved:
            self.check(node, s)

    def check_rewired(self, node) -> None:
        if node.seq in self.overlapped:
            raise GradvizError("unsupported operation: more than one element of the written-to "
                               "tensor refers to a single memory location. Please clone() the "
                               "tensor before performing the operation.", kind=RUNTIME,
                               hint="fill a clone() of the expanded tensor, or the tensor "
                                    "it expands")
        line = self.rewired.get(node.seq)
        if line is None:
            return
        name = node.name or f"the tensor of line {node.span.line if node.span else '?'}"
        raise GradvizError(
            f"gradviz cannot follow this gradient: {name} shares memory with a tensor that "
            f"line {line} changed in place while recording, and PyTorch routes {name}'s "
            "gradient through that in-place operation, which gradviz does not model",
            kind=RUNTIME,
            hint=f"change the tensor before taking views of it, or write line {line} out of "
                 "place (y = y * 3 instead of y *= 3)")

    def _now(self, t, k):
        """t as the program holds it now: the node of its latest write when
        that is t's tensor object (its shape is the object's now, after
        an in-place shape change such as t_())."""
        latest = self.latest.get(k)
        if latest is None or latest.meta is None:
            return t
        same = latest.meta.get("object") is (t.meta or {}).get("object", t)
        return latest if same else t

    def _raise(self, node, t, own, k, version, expected, line):
        data = self._now(t, k).data
        what = f"[{_TYPE_NAMES.get(data.dtype, 'torch.Tensor')} [{', '.join(map(str, data.shape))}]]"
        maker = node if own else self.latest.get(k, t)
        if maker.recorded:
            # (a saved view: PyTorch names its grad_fn as it is now, made
            # again on its base after the write, whichever tensor was written)
            grad_fn = REBASED_GRAD_FN if not own and _was_view(t) else maker.grad_fn_name
            if own and node.meta is not None and node.meta.get("on_view"):
                grad_fn = _written_view_name(node, self.nodes)
            what += f", which is output 0 of {short_name(grad_fn)},"
        used = node.span.line if node.span is not None else None
        name = t.name or "a tensor"
        if line is not None and line == used:
            hint = (f"{name} was changed in place on line {line} by the operation that "
                    "saved it; " + HINT_TAIL)
        elif line is not None and used is not None:
            hint = (f"{name} was changed in place on line {line} after line {used} used it; "
                    + HINT_TAIL)
        else:
            hint = f"{name} was changed in place after an operation saved it; " + HINT_TAIL
        err = GradvizError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what} is at version {version}; expected version {expected} "
            "instead. Hint: enable anomaly detection to find the operation that failed to "
            "compute its gradient, with torch.autograd.set_detect_anomaly(True, "
            "check_nan=False).", kind=RUNTIME, hint=hint)
        # the rows to mark in the tables and the picture: the tensor whose
        # value changed and the op that saved it, not the backward() line's
        err.tensors = sorted({t.seq, node.seq})
        err.marked = ("the value an in-place write changed" if t is node else
                      "the value an in-place write changed and the op that saved it")
        raise err
