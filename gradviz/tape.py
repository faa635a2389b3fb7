"""The tape: every tensor a run creates, in creation order, and the one
function that applies an op and records it.

Creation order is a topological order (an op's inputs exist before it), so
backward and forward mode can walk the tape without recursion.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from . import half
from .errors import LIMIT, RUNTIME, VALUE, GradvizError
from .multi_views import check_edges, invalidate, made_without_grad, piece_of, written_no_grad_view
from .ops.registry import FLOAT, PROMOTE
from .strides import ITERATED, iterated_layout
from .tensor import REBASED_GRAD_FN, VIEW_OPS, Tensor, is_view
from .versions import Versions

# a tensor's meta["grad_since"] that no node reaches: backward never sends
# it a gradient (a view made under no_grad(): Tape.apply)
NEVER = 1 << 62

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_F16 = half.F16
_I64 = np.dtype(np.int64)
_BOOL = np.dtype(np.bool_)
# the integer dtypes narrower than int64: a Python int next to one of these
# is cast to its dtype, wrapping around as PyTorch's does (Tape._forward)
NARROW_INTS = frozenset(map(np.dtype, (np.int32, np.int16, np.int8, np.uint8)))
_CATEGORY = {_BOOL: 0, _I64: 1, _F32: 2, _F64: 2, _F16: 2, **dict.fromkeys(NARROW_INTS, 1)}
_DEFAULT = {0: _BOOL, 1: _I64, 2: _F32}
# the params of an op called without keyword parameters: one shared, read-only
# empty mapping instead of a new dict per op
NO_PARAMS = MappingProxyType({})
# the same, marking how an op without parameters ran (see OpDef.scalar), for
# backward: ELEMENTWISE_PARAMS, without broadcasting or promotion (its tensor
# arguments have its shape and dtype, and so have their gradients);
# SCALAR_PARAMS, that and on numpy scalars (its VJPs can run on them too)
ELEMENTWISE_PARAMS = MappingProxyType({})
SCALAR_PARAMS = MappingProxyType({})
_asarray = np.asarray
_ND = np.ndarray
_new_tensor = object.__new__


@dataclass(frozen=True, slots=True)
class Limits:
    """What a run may use; each has a CLI flag to raise it."""

    max_elements: int = 10_000_000      # per tensor          (--max-elements)
    max_nodes: int = 1_000_000          # tensors in a run    (--max-graph-nodes)
    max_source_bytes: int = 5_000_000   # program file size   (--max-file-size)
    timeout: float | None = 60.0        # seconds, None: none (--timeout)


@dataclass(frozen=True, slots=True)
class RunOptions:
    """How to run beyond the limits: the analysis modes' settings.

    default_float "float64" makes every float tensor float64 (leaves keep the
    float32-rounded values the program wrote, so it is the same point, with
    exact arithmetic): the gradient check runs this way. on_backward, when
    set, is called as ``on_backward(rt, kind, roots, seeds, inputs)`` just
    before every reverse pass (kind "backward" or "grad"; inputs None for
    backward()), while the values are those the pass will use. forward_mode
    ("forward" or "both") computes forward-mode gradients at every pass into
    Record.forward_mode; direction makes that one directional pass instead
    of the whole Jacobian.
    """

    default_float: str = "float32"
    on_backward: object = None
    forward_mode: str | None = None
    direction: object = None


# numpy's own limit on dimensions (PyTorch has none this low): a clear error
# instead of numpy's ValueError
MAX_DIMS = 64
# the largest size of one dimension (PyTorch's sizes are int64)
MAX_DIM_SIZE = 2**63 - 1
# all tensors of a run together (the tape keeps every one for the record) may
# hold this many times --max-elements: a long program of big tensors ends in
# an error, not in swap. Views (reshape, .T, detach) share memory and do not count.
TOTAL_ELEMENTS_FACTOR = 10


def timeout_error(seconds: float, step: str | None = None) -> GradvizError:
    """The error of a run that took longer than --timeout, or of the
    ``step`` after it that did ("laying out the graph")."""
    if step is None:
        return GradvizError(f"the run took longer than the time limit of {seconds:g} s",
                            kind=LIMIT, hint="raise the limit with --timeout SECONDS "
                                             "(0 means no limit), or make the program smaller")
    draw_less = ("; or draw less: --max-nodes N folds long chains, --pass last draws one "
                 "step of a loop") if "graph" in step else ""
    return GradvizError(f"{step} took longer than the time limit of {seconds:g} s (the "
                        "program itself ran to its end)", kind=LIMIT,
                        hint="raise the limit with --timeout SECONDS (0 means no limit)"
                             + draw_less)


def result_dtype(args, default_float: np.dtype = _F32) -> np.dtype:
    """PyTorch's type promotion: the highest category (bool < int < float)
    wins; within it, tensors with dimensions outrank 0-d tensors, which
    outrank Python numbers (a float number makes default_float, the
    program's torch.get_default_dtype()).
    Tensors of one rank promote as numpy's do (int8 and uint8 make int16,
    float16 and float32 make float32: PyTorch's table)."""
    dim_dt = zero_dt = None
    cat = 0
    for a in args:
        if a.__class__ is Tensor:
            dt = a.data.dtype
            c = _CATEGORY[dt]
            if a.data.ndim:
                if dim_dt is None or dt == _F64 or _CATEGORY[dim_dt] < c:
                    dim_dt = dt
                elif c == _CATEGORY[dim_dt] and c != 0:
                    dim_dt = np.promote_types(dim_dt, dt)
            elif zero_dt is None or dt == _F64 or _CATEGORY[zero_dt] < c:
                zero_dt = dt
            elif c == _CATEGORY[zero_dt] and c != 0:
                zero_dt = np.promote_types(zero_dt, dt)
        elif a is True or a is False:
            continue
        elif isinstance(a, int):
            c = 1
        elif isinstance(a, float):
            c = 2
        else:
            continue
        if c > cat:
            cat = c
    if dim_dt is not None and _CATEGORY[dim_dt] == cat:
        return dim_dt
    if zero_dt is not None and _CATEGORY[zero_dt] == cat:
        return zero_dt
    return default_float if cat == 2 else _DEFAULT[cat]


class Tape:
    """The state of one run: tensors made so far, grad mode, events."""

    def __init__(self, limits: Limits | None = None, default_float: str = "float32"):
        self.nodes: list[Tensor] = []
        # "float64" (gradient checks): every float the program makes is float64
        self.default_float = np.dtype(default_float)
        self.wide_floats = self.default_float is not _F32
        # torch.get_default_dtype() of the program (set_default_dtype changes
        # it from the line it runs on): the dtype of the float tensors it
        # makes without a dtype, and of promotions that choose a float
        self.default_dtype = _F32
        self.events: list[dict] = []
        self.grad_enabled = True
        self.no_grad_block = None      # index of the `with no_grad():` block being run
        self.no_grad_blocks: list = [] # spans of the no_grad blocks
        self.inference_blocks: set = set()   # those that are inference_mode() blocks
        # saved_tensors_hooks' pack, called with each recorded op while such
        # hooks are active (saved_hooks.pack); None: none are
        self.pack_saved = None
        # called with the tensors an in-place write is about to change, in a
        # fwAD.dual_level() (forward_ad keeps what their tangents need); None:
        # no level is open
        self.on_write = None
        self.warned_to_scalar = False  # float(x) of an x that requires grad warned (once)
        # block index -> what the block is, when not a `with torch.no_grad():`
        # (a custom Function's forward or backward, run without gradients)
        self.block_titles: dict = {}
        self.limits = limits or Limits()
        self.backward_passes = 0
        # values as they were before an in-place write changed them (seq ->
        # copy), so the record shows what each tensor held when it was made
        self.snapshots: dict[int, np.ndarray] = {}
        self.pass_values = 0           # leaf values the passes keep (Interpreter.log_pass)
        # where each pass of a loop starts on the tape: (first seq, "i=1"),
        # and (seq, None) where the loops end (see Interpreter._loop)
        self.loop_marks: list = []
        # seq -> the function whose own name a tensor took (Interpreter._name_tensor)
        self.local_names: dict[int, str] = {}
        # what each outermost torch.func transform call made on the tape
        # (func_transforms._run): [{"kind", "first", "stop", "own"}]
        self.transforms: list = []
        self.changed_at: dict[int, int] = {}   # seq -> tape length at its first in-place write
        # id -> (holder, .grad tensor) of the .grads the program has seen
        self.grad_tensors: dict = {}
        # (holder, key, .grad buffer): record entries not yet copied (share_grad)
        self.shared_grads: list[tuple] = []
        # in-place writes, for backward's check
        self.versions = Versions(self.nodes, self.snapshots, self.changed_at)
        # before_inplace's index: id of the array owning a tensor's memory ->
        # the tensors on it (the tape keeps the arrays alive, so ids are not
        # reused), for nodes[:indexed]
        self.by_owner: dict[int, list[Tensor]] = {}
        self.indexed = 0
        # seqs of the views whose grad_fn PyTorch checks or makes again when
        # it is next read (multi_views.check_valid): the pieces of a split
        # (or views of them) whose memory was written since they were made,
        # which no op may take, and the views made again after a write
        # through their family (Interpreter._remake_view)
        self.lazy_views: set[int] = set()
        self.elements = 0              # elements held by the tensors made so far
        self.max_total_elements = TOTAL_ELEMENTS_FACTOR * self.limits.max_elements
        self.items = 0                 # made by comprehensions (count_items)
        self.max_elements = self.limits.max_elements
        self.max_nodes = self.limits.max_nodes
        # the dtypes of 0-d tensors whose ops may run on numpy scalars (float64
        # mode widens float32 results, which the scalar path would not)
        self.scalar_dtypes = (_F64,) if self.wide_floats else (_F32, _F64)
        self.scalar_types = tuple(dt.type for dt in self.scalar_dtypes)   # their numpy scalars
        self.numbers_f32: dict = {}    # number_array() of the Python numbers used
        self.numbers_f64: dict = {}

    def room_for(self, n: int, what: str) -> None:
        """Refuse at once to make n more tensors past the limit (a module of
        2**31 layers would spend minutes before its first tensor counted)."""
        if n > self.limits.max_nodes - len(self.nodes):
            raise GradvizError(
                f"the program made more than {self.limits.max_nodes:,} tensors", kind=LIMIT,
                hint=f"raise the limit with --max-graph-nodes N, or use fewer {what}")

    def add(self, t: Tensor, span=None, label=None, **meta) -> Tensor:
        """Register a tensor the program can see (creation, detach, .grad)."""
        if t.seq >= 0:
            return t
        if len(self.nodes) >= self.limits.max_nodes:
            raise GradvizError(
                f"the program made more than {self.limits.max_nodes:,} tensors", kind=LIMIT,
                hint="raise the limit with --max-graph-nodes N, or make the program smaller")
        if "detached_from" not in meta and t.data.base is None:
            self.elements += t.data.size      # count_elements(), inline
            if self.elements > self.max_total_elements:
                self.count_elements(0)        # raises the limit error
        t.seq = len(self.nodes)
        if t.span is None:
            t.span = span
        if label == "tensor":
            label = None          # the label a tensor without one shows (a leaf: no dict)
        if label is not None or meta or self.no_grad_block is not None:
            m = t.meta or {}
            if label is not None:
                m["label"] = label
            m.update(meta)
            if self.no_grad_block is not None:
                m["no_grad"] = self.no_grad_block
            t.meta = m
        self.nodes.append(t)
        return t

    def discard(self, t: Tensor) -> None:
        """Take back the tensor just made (the result of an in-place write
        that PyTorch refuses before it makes anything: n.sqrt_() on int64),
        so that the record holds no node PyTorch never had."""
        if t.seq == len(self.nodes) - 1 and t.seq >= 0:
            self.nodes.pop()
            if t.data.base is None:
                self.elements -= t.data.size
            t.seq = -1

    def check_shape(self, shape: tuple, what: str = "tensor"):
        """A shape a new tensor may have: at most MAX_DIMS dimensions, each
        an int64, and at most max_elements elements."""
        if len(shape) > MAX_DIMS:
            raise GradvizError(f"this {what} would have {len(shape)} dimensions; gradviz "
                               f"supports at most {MAX_DIMS}", kind=LIMIT)
        for s in shape:
            if s > MAX_DIM_SIZE:
                raise GradvizError(f"Overflow when unpacking long: size {s} does not fit "
                                   "in 64 bits", kind=VALUE,
                                   hint="a size is an int64: at most 2**63 - 1")
            if s > self.limits.max_elements:
                # even with no elements (a size 0 elsewhere): its value would be
                # shown, printed and exported as that many empty rows
                raise GradvizError(
                    f"this {what} would have a dimension of size {s:,}, more than the "
                    f"limit of {self.limits.max_elements:,} elements", kind=LIMIT,
                    hint="raise the limit with --max-elements N if you really mean it")
        self.check_size(math.prod(shape), what)

    def count_elements(self, n: int):
        """Count a new tensor's elements against the limit of the whole run."""
        self.elements += n
        if self.elements > self.max_total_elements:
            raise GradvizError(
                f"the program's tensors would hold more than {self.max_total_elements:,} "
                f"elements in all ({TOTAL_ELEMENTS_FACTOR} x the limit per tensor)", kind=LIMIT,
                hint="raise the limit with --max-elements N, or make fewer or smaller tensors")

    def count_items(self, n: int):
        """Count the items comprehensions, list repetition and concatenation,
        and a dict's new keys make against a limit for the whole run (each
        list or dict has the limit of a tensor; lists of lists could still
        fill the memory: [[j for j in range(k)] for k in range(10**6)], a
        loop appending [0] * 10**7, or one filling dicts)."""
        self.items += n
        if self.items > self.limits.max_elements:
            raise GradvizError(
                f"the program's lists and dicts would make more than "
                f"{self.limits.max_elements:,} items in all", kind=LIMIT,
                hint="raise the limit with --max-elements N, or make fewer or smaller lists "
                     "and dicts")

    def check_size(self, n: int, what: str = "tensor"):
        if n > self.limits.max_elements:
            raise GradvizError(
                f"this {what} would have {n:,} elements, more than the limit of "
                f"{self.limits.max_elements:,}", kind=LIMIT,
                hint="raise the limit with --max-elements N if you really mean it")

    def log_failed_call(self, exc: GradvizError, call: str, roots, line: int) -> None:
        """A backward() or autograd.grad() call (``call``: "backward" or
        "grad") on ``roots`` (a tensor or a list) raised ``exc``: a "failed"
        event, so that the record shows which call failed and on what, also
        when the program catches the error. Once per error (a backward()
        in a hook of a failing pass fails it too); not for the run's limits,
        which end the run whatever the program does. run_source sets the
        event's "stopped" when the error ended the run."""
        if exc.kind == LIMIT or getattr(exc, "failed_call", None) is not None:
            return
        roots = roots if isinstance(roots, (list, tuple)) else [roots]
        ev = {"kind": "failed", "call": call, "line": line,
              "roots": [t.seq for t in roots if t.__class__ is Tensor and t.seq >= 0],
              "type": exc.kind, "message": exc.message, "stopped": False}
        exc.failed_call = ev
        self.events.append(ev)

    def share_grad(self, holder: dict, key, grad: np.ndarray) -> None:
        """``holder[key]`` is ``grad``, a .grad buffer, for the record: a
        copy is made only if the buffer is about to change (settle_grads),
        as most programs never write into a .grad after the backward that
        made it (a copy of a 512x512 gradient costs a tenth of that pass)."""
        self.shared_grads.append((holder, key, grad))

    def settle_grads(self) -> None:
        """Copy the .grad buffers the record shares (see share_grad): called
        before anything writes into a .grad (an in-place update, zero_(), a
        backward, which adds into them)."""
        for holder, key, grad in self.shared_grads:
            if holder[key] is grad:
                holder[key] = grad.copy()
        self.shared_grads.clear()

    def moved(self, t: Tensor) -> None:
        """t's data is an array of its own now (net.double() converts a
        parameter so): a later in-place write to it finds t in the index
        of before_inplace, if t was indexed on its old array."""
        if t.seq is not None and t.seq < self.indexed and t.data.base is None:
            self.by_owner.setdefault(id(t.data), []).append(t)

    def before_inplace(self, arr: np.ndarray, writer: Tensor | None = None) -> list:
        """Snapshot every tensor whose value an in-place write to arr changes
        (arr itself, views of it, and what it is a view of); returns them.
        ``writer``: the tensor written through, when there is one (its
        version counter decides which views PyTorch rebases).

        The tensors are found through an index of the tape by the array
        that owns their memory, kept up to date here (each tensor is indexed
        once), so a write costs the tensors it changes, not the whole tape:
        a long unrolled loop of in-place updates stays linear."""
        if self.shared_grads:      # arr may be a .grad the record shares
            self.settle_grads()
        nodes = self.nodes
        by_owner = self.by_owner
        for i in range(self.indexed, len(nodes)):
            t = nodes[i]
            d = t.data
            key = id(d if d.base is None else d.base)
            group = by_owner.get(key)
            if group is None:
                by_owner[key] = [t]
            else:
                group.append(t)
        self.indexed = len(nodes)
        base = arr if arr.base is None else arr.base
        found = by_owner.get(id(base), [])
        owner = getattr(base, "base", None)
        if owner is not None:     # a view chain numpy did not collapse: base itself
            found = found + by_owner.get(id(owner), [])    # is indexed under its owner
        snaps = self.snapshots
        versions = self.versions
        changed = []
        for t in found:
            d = t.data
            if not (d is arr or d is base or d.base is base):
                continue
            changed.append(t)
            if t.seq not in snaps:
                snaps[t.seq] = d.copy()
                self.changed_at[t.seq] = len(nodes)
            if is_view(t) and (writer is None or versions.key(t) == versions.key(writer)):
                # PyTorch rebuilds a view's grad_fn once its memory was
                # written in place through its family (its base, its views,
                # their detach()es: one version counter), not through .data,
                # which has a counter of its own: AsStridedBackward0 (same
                # gradient)
                m = t.meta
                if m is None:
                    t.meta = m = {}
                if piece_of(t) is None:
                    m["rebased"] = REBASED_GRAD_FN
                else:
                    # a piece of a split: PyTorch cannot make its grad_fn
                    # again, and refuses to read it from now on
                    invalidate(self, t)
                m["written_later"] = True     # (the record names it as made)
                # (ops made before this write still point at the node it was
                # made as: its grad_fn in their next_functions, gradfns)
                m.setdefault("written_at", len(self.nodes))
            elif (not t.recorded and made_without_grad(t)
                  and (writer is None or versions.key(t) == versions.key(writer))):
                written_no_grad_view(self, t)
        if self.on_write is not None:
            self.on_write(changed)
        return changed

    def apply(self, op, args: tuple, params: dict | None = None, span=None) -> Tensor:
        """Run op forward on args (Tensors and numbers) and record the result."""
        # This runs once per op of the program: it is kept lean (no new empty
        # dict, the result Tensor's fields set once, here).
        ans = view_key = None
        no_grad_view = without_grad = False
        if params is None:
            p = NO_PARAMS
            if op.scalar is not None:
                ans = self._elementwise(op.scalar, args)
                if ans is not None:
                    # (the shape of an input, which is within the limits; new
                    # memory: a ufunc's output, or a numpy scalar's array)
                    if ans.__class__ is _ND:
                        p = ELEMENTWISE_PARAMS
                        self.elements += ans.size
                    else:                 # a numpy scalar, from 0-d tensors
                        ans = _asarray(ans)
                        p = SCALAR_PARAMS
                        self.elements += 1
                    if self.elements > self.max_total_elements:
                        self.count_elements(0)        # raises the limit error
        else:
            p = params
        if ans is None:
            fargs = args
            for a in args:
                if a.__class__ is int and not -_INT64_END <= a < _INT64_END:
                    fargs = uint64_operands(args)
                    break
            if self.lazy_views and self.grad_enabled and op.differentiable and any(
                    a.__class__ is Tensor and a.requires_grad for a in args):
                # (PyTorch reads its inputs' grad_fns before its kernel runs:
                # a stale view is refused before the op's own errors)
                check_edges(self, args)
            ans = self._forward(op, fargs, p)
            size = ans.size
            if size > self.max_elements:
                self.check_size(size, "result")
            elif size == 0 and ans.ndim > 1:      # zeros(0).reshape(10**12, 0)
                self.check_shape(ans.shape, "result")
            if ans.base is None:
                self.elements += size
                if self.elements > self.max_total_elements:
                    self.count_elements(0)        # raises the limit error
            elif op.name in VIEW_OPS:
                base = args[0]
                if base.meta is not None and "version_key" in base.meta:
                    view_key = base.meta["version_key"]
                if not self.grad_enabled and not (p and p.get("advanced")):
                    # PyTorch's view made in no_grad mode (its creation_meta),
                    # which an in-place write with gradients refuses
                    without_grad = True
                    no_grad_view = base.requires_grad
        if ans.ndim > 1 and op.name in ITERATED and ans.base is None:
            ans = iterated_layout(op.name, ans, args)     # (PyTorch's layout, not numpy's)
        recorded = False
        if self.grad_enabled and op.differentiable:
            for a in args:
                if a.__class__ is Tensor and a.requires_grad:
                    recorded = True
                    break
            if recorded and ans.dtype.kind != "f":
                recorded = False          # an integer or bool result: PyTorch records none (x.long())
            if recorded and self.lazy_views:
                check_edges(self, args)
        nodes = self.nodes
        seq = len(nodes)
        if seq >= self.max_nodes:
            self.add(Tensor(ans))  # raises the limit error
        out = _new_tensor(Tensor)       # every slot is set here, as Tensor() would
        out.data = ans
        out.op = op
        out.args = args
        out.params = p
        out.span = span
        out.seq = seq
        out.requires_grad = out.recorded = recorded
        out.freed = out.retains_grad = False
        out.grad = out.name = None
        out.meta = None if self.no_grad_block is None else {"no_grad": self.no_grad_block}
        if view_key is not None:
            # a view shares its base's version counter; only .data (and what
            # is made from it) has one that is not its memory's
            out.meta = {**(out.meta or {}), "version_key": view_key}
        if without_grad:
            out.meta = {**(out.meta or {}), "made_without_grad": True}
        if no_grad_view:
            # PyTorch's view under no_grad() of a tensor that requires grad:
            # a leaf that requires grad, with no edge to its base and none to
            # itself (no AccumulateGrad): what is computed from it requires
            # grad, and backward sends it nothing (as to a tensor made to
            # require grad after the op that used it: grad_since)
            out.requires_grad = True
            out.meta = {**(out.meta or {}), "grad_since": NEVER, "no_grad_view": True}
        nodes.append(out)
        if recorded and self.inference_blocks:
            self.check_inference_saved(out)
        if recorded and self.pack_saved is not None:
            self.pack_saved(out)
        return out

    def apply_pair(self, op, a: Tensor, b: Tensor | None, span=None) -> Tensor:
        """apply(op, (a, b)) for two tensors (the interpreter's `a * b`), or
        apply(op, (a,)) for b None (tanh(x)), with the commonest case of a
        graph of scalars first: 0-d tensors of one float dtype, and an op
        with a `scalar` function. That is _elementwise's case, inline, and
        the result is made as apply() makes it, without apply()'s other
        cases: on such a graph this is nearly every op. (A 0-d array's [()]
        is a numpy scalar of its dtype's type, which tells both dtypes, and
        that both are 0-d, at once.) Kept apart from apply() so that its
        other cases do not pay for the test; one function for both arities,
        as a call more would cost a binary operator a tenth of its time."""
        f = op.scalar
        x = a.data
        if f is None or x.ndim:
            return self.apply(op, (a,) if b is None else (a, b), None, span)
        x = x[()]
        t = x.__class__
        if b is None:
            if t not in self.scalar_types:
                return self.apply(op, (a,), None, span)
            ans = f(x)
            if ans.__class__ is _ND or ans.dtype.kind != "f":
                # (not a float scalar: apply() knows what to make of it)
                return self.apply(op, (a,), None, span)
            args = (a,)
            requires_grad = a.requires_grad
        else:
            y = b.data[()]
            if t is not y.__class__ or t not in self.scalar_types:
                return self.apply(op, (a, b), None, span)
            ans = f(x, y)
            args = (a, b)
            requires_grad = a.requires_grad or b.requires_grad
        ans = _asarray(ans)
        self.elements += 1
        if self.elements > self.max_total_elements:
            self.count_elements(0)        # raises the limit error
        nodes = self.nodes
        seq = len(nodes)
        if seq >= self.max_nodes:
            self.add(Tensor(ans))  # raises the limit error
        out = _new_tensor(Tensor)       # every slot is set here, as in apply()
        out.data = ans
        out.op = op
        out.args = args
        out.params = SCALAR_PARAMS
        out.span = span
        out.seq = seq
        out.requires_grad = out.recorded = recorded = (self.grad_enabled and op.differentiable
                                                       and requires_grad)
        if recorded and self.lazy_views:
            check_edges(self, args)
        out.freed = out.retains_grad = False
        out.grad = out.name = None
        out.meta = None if self.no_grad_block is None else {"no_grad": self.no_grad_block}
        nodes.append(out)
        if recorded and self.inference_blocks:
            self.check_inference_saved(out)
        if recorded and self.pack_saved is not None:
            self.pack_saved(out)
        return out

    def is_inference(self, t: Tensor) -> bool:
        """t was made in an inference_mode() block, or is a view or a
        detach() of such a tensor: PyTorch's inference tensor."""
        if not self.inference_blocks:
            return False
        while True:
            m = t.meta
            if m is not None and m.get("no_grad") in self.inference_blocks:
                return True
            src = None if m is None else m.get("detached_from")
            if src is not None:
                t = self.nodes[src]
            elif t.op is not None and t.op.name in VIEW_OPS and t.data.base is not None \
                    and t.args and t.args[0].__class__ is Tensor:
                t = t.args[0]
            else:
                return False

    @property
    def inference_mode(self) -> bool:
        return self.no_grad_block in self.inference_blocks

    def check_inference_saved(self, out: Tensor) -> None:
        """PyTorch's refusal of an inference tensor that a recorded op
        saves for backward (what it saves: OpDef.saved, per input that
        requires grad)."""
        spec = out.op.saved
        if callable(spec):
            spec = spec(out)
        args = out.args
        for i, a in enumerate(args):
            if i >= len(spec) or a.__class__ is not Tensor or not a.requires_grad:
                continue
            for c in spec[i]:
                saved = None if c == "r" else args[int(c)]
                if saved.__class__ is Tensor and self.is_inference(saved):
                    raise GradvizError(
                        "Inference tensors cannot be saved for backward. Please do not use "
                        "Tensors created in inference mode in computation tracked by autograd. "
                        "To work around this, you can make a clone to get a normal tensor and "
                        "use it in autograd, or use `torch.no_grad()` instead of "
                        "`torch.inference_mode()`.", kind=RUNTIME,
                        hint="a tensor made under torch.inference_mode() is used with one "
                             "that requires grad: clone() it first, or make it under "
                             "torch.no_grad()")

    def _elementwise(self, f, args: tuple):
        """f (an OpDef.scalar) on args, or None unless the result needs neither
        broadcasting nor type promotion: every tensor among args of one shape
        and of one dtype in scalar_dtypes (the result has that shape and
        dtype), every other argument a Python float or int. Arrays go to f as
        op.forward would pass them, but a number as a 0-d array (the operand
        function number_array() makes); 0-d tensors as numpy scalars, then
        with every number a _plain_number (so that numpy's scalar and array
        rules cannot differ), and the result is that numpy scalar (apply()
        makes it a 0-d array: the test of its class is cheaper than ndim).
        Once per op: no loop, no list."""
        if len(args) == 1:
            a = args[0]
            if a.__class__ is Tensor:
                x = a.data
                if x.dtype in self.scalar_dtypes:
                    return f(x) if x.ndim else f(x[()])
            return None
        if len(args) != 2:
            return None
        a, b = args
        if a.__class__ is Tensor:
            x = a.data
            dt = x.dtype
            if dt not in self.scalar_dtypes:
                return None
            if b.__class__ is Tensor:
                y = b.data
                if y.dtype is not dt:
                    return None
                shape = x.shape
                if y.shape != shape:
                    return None
                return f(x, y) if shape else f(x[()], y[()])
            number, tensor_first = b, True
        elif b.__class__ is Tensor:
            x = b.data
            dt = x.dtype
            if dt not in self.scalar_dtypes:
                return None
            number, tensor_first = a, False
        else:
            return None
        cls = number.__class__
        if cls is not float and cls is not int:
            return None
        if x.ndim:
            # the number as a 0-d array, made once per run and value
            c = (self.numbers_f32 if dt is _F32 else self.numbers_f64).get(number)
            if c is None:
                c = self._number_array(number, dt)
            return f(x, c) if tensor_first else f(c, x)
        if not _plain_number(number):
            return None
        return f(x[()], number) if tensor_first else f(number, x[()])

    def _number_array(self, v, dt: np.dtype):
        """number_array(v, dt), kept for the run; v itself unless a _plain_number."""
        if not _plain_number(v):
            if v.__class__ is int:
                scalar_int(v)
            return v
        c = (self.numbers_f32 if dt is _F32 else self.numbers_f64)[v] = number_array(v, dt)
        return c

    def _common_dtype(self, op, args) -> np.dtype:
        """The dtype PyTorch computes a common_dtype op of args in."""
        want = result_dtype(args, self.default_dtype)
        if op.dtype_rule is FLOAT and want.kind != "f":
            want = self.default_dtype
        if want is _F32 and self.wide_floats:
            want = self.default_float
        return want

    def _narrow_with_number(self, op, args, x, number, at: int) -> list:
        """The operands of op on an int32/int16/int8/uint8 array x and a
        Python number (at: x's place), as PyTorch computes: in the common
        dtype, a float one if the number is a float (or the op divides),
        else x's, the int wrapped around into it (uint8 - 2 is 255, and
        int8 < 1000 compares with -24, where numpy would refuse or compare
        exactly)."""
        cls = number.__class__
        if cls is not int and cls is not float:
            return [x, number] if at == 0 else [number, x]
        want = self._common_dtype(op, args)
        if want.kind == "f":
            x = x.astype(want)
        elif cls is int:
            bits = 8 * want.itemsize
            number = np.array(number % (1 << bits), np.uint64).astype(want)
        return [x, number] if at == 0 else [number, x]

    def _forward(self, op, args: tuple, p) -> np.ndarray:
        """op's forward on arrays, with PyTorch's result dtype."""
        if len(args) == 1:
            a = args[0]
            xs = [a.data if a.__class__ is Tensor else a]
        elif len(args) == 2:
            a, b = args
            xs = [a.data if a.__class__ is Tensor else a, b.data if b.__class__ is Tensor else b]
        else:
            xs = [a.data if a.__class__ is Tensor else a for a in args]
        if op.check is not None:
            n = op.check(xs, p)
            if n is not None and n > self.limits.max_elements:
                self.check_size(n, "result")
        if op.common_dtype and len(xs) == 2:
            x0, x1 = xs
            if x0.__class__ is _ND and x1.__class__ is _ND:
                if x0.dtype is not x1.dtype or x0.dtype.kind != "f":
                    # two tensors: PyTorch computes in their common dtype (a 0-d
                    # float64 next to a float32 tensor is rounded to float32 first;
                    # integers are divided as floats)
                    want = self._common_dtype(op, args)
                    if want is _F16:
                        xs = half.common(xs, op.uncast_bool)
                    elif x0.dtype != want or x1.dtype != want:
                        xs = [x if x.dtype == want else x.astype(want) for x in xs]
            elif x0.__class__ is _ND and x0.dtype in NARROW_INTS:
                xs = self._narrow_with_number(op, args, x0, x1, 0)
            elif x1.__class__ is _ND and x1.dtype in NARROW_INTS:
                xs = self._narrow_with_number(op, args, x1, x0, 1)
        elif op.dtype_rule is FLOAT and len(xs) == 1 and xs[0].__class__ is _ND \
                and xs[0].dtype.kind in "iub":
            # an integer or bool tensor's exp, sin, sqrt...: PyTorch converts it to
            # the float dtype first and computes there (numpy would compute an
            # int8, uint8 or bool array in float16, an int64 one in float64)
            xs = [xs[0].astype(self._common_dtype(op, args))]
        halves = half.has_half(xs)
        ans = half.forward(op, xs, p) if halves else op.forward(xs, p)
        # numpy returns a scalar, not a 0-d array, for ops on 0-d arrays
        if ans.__class__ is not np.ndarray:
            ans = _asarray(ans)
        rule = op.dtype_rule
        # a float32 result means no float64 (nor float16) was involved: PyTorch agrees
        if (ans.dtype is not _F32 or halves) and (rule is PROMOTE or rule is FLOAT):
            want = result_dtype(args, self.default_dtype)
            if rule is FLOAT and want.kind != "f":
                want = self.default_dtype
            if want is _F32 and self.wide_floats:
                want = self.default_float
            if ans.dtype != want:
                ans = ans.astype(want)
        return ans


_INT64_END = 2**63


def scalar_int(v: int) -> None:
    """A Python int as an op's scalar operand: PyTorch's Scalar holds an
    int64 or a uint64, and refuses a bigger one (even next to a float
    tensor, where it would be a float)."""
    if v < -_INT64_END:
        raise GradvizError("can't convert negative int to unsigned", kind="OverflowError",
                           hint="a number next to a tensor is at least -2**63: write a "
                                "float (-1e30) for a smaller one")
    if v >= 2**64:
        raise GradvizError("int too big to convert", kind="OverflowError",
                           hint="a number next to a tensor is at most 2**64 - 1: write "
                                "a float (1e30) for a bigger one")


def uint64_operands(args: tuple) -> tuple:
    """args with each Python int of [2**63, 2**64) as PyTorch's Scalar holds
    it, a uint64: next to an integer tensor it wraps into the tensor's
    arithmetic (v - 2**64: x + 2**63 is x - 2**63, as int64's addition wraps
    around), next to a float tensor it is that float, and a bool tensor
    cannot be promoted with it. Outside [-2**63, 2**64): scalar_int's error."""
    dtypes = [a.data.dtype for a in args if a.__class__ is Tensor]
    out = []
    for a in args:
        if a.__class__ is int and not -_INT64_END <= a < _INT64_END:
            scalar_int(a)
            if dtypes and all(d.kind == "b" for d in dtypes):
                raise GradvizError("Promotion for uint16, uint32, uint64 types is not "
                                   "supported, attempted to promote Bool and UInt64",
                                   kind=RUNTIME, hint="make the tensor an integer one first "
                                   "(x.long()), or the number smaller than 2**63")
            if dtypes and all(d.kind in "iu" for d in dtypes):
                a -= 2**64
        out.append(a)
    return tuple(out)


def _plain_number(v) -> bool:
    """A finite float, or an int that float32 holds exactly; not 0 (a dict
    key cannot tell 0.0 from -0.0)."""
    if v.__class__ is float:
        return (0 < v < 3e38) or (-3e38 < v < 0)
    return v.__class__ is int and v and -16_777_216 <= v <= 16_777_216


def number_array(v, dt: np.dtype) -> np.ndarray:
    """A Python number as a 0-d array of the float dtype dt: for numpy, next
    to an array of dt, the same operand as v itself (NEP 50 casts a Python
    number to the array's dtype), minus that cast, which costs numpy as much
    as the arithmetic on a small array. For a _plain_number v (in range)."""
    return np.array(v, dt)
