"""torch.autograd.forward_ad: dual tensors (a primal value with a tangent),
forward-mode AD as a program writes it.

    with fwAD.dual_level():
        x = fwAD.make_dual(primal, tangent)
        y = f(x)
        jvp = fwAD.unpack_dual(y).tangent

PyTorch computes each op's tangent as the op runs. Here ops run as ever (no
cost to programs without duals) and a tangent is computed when the program
asks for one (unpack_dual, or printing a dual tensor): from the op's inputs
back to the dual tensors made in the level, then forward through each op's
JVP rule, the same rules gradviz's forward mode uses. The tangents of a level
are kept, so a tensor's tangent is one object, as PyTorch's is; leaving the
level drops them all (unpack_dual then gives None). An in-place write in
the level keeps, before it lands, the values the ops made before it read
(or, when it writes a tangent, computes the tangents that come from it), so
a tangent is the one PyTorch computed when the op ran. A tangent that comes
from a tensor that requires grad (a primal, a tangent, another input of the
ops) has a graph, as in PyTorch (its backward reaches them): that one is
computed by the double-backward trick, whose recorded ops are the passes'
(with the ops run again on copies that require grad of the duals that do
not).
"""
from __future__ import annotations

import numpy as np

from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .tensor import Tensor


class DualLevel:
    """The value of fwAD.dual_level(): a `with` block's context."""

    __slots__ = ()


class UnpackedDual:
    """UnpackedDualTensor(primal=..., tangent=...): a named pair."""

    __slots__ = ("primal", "tangent")

    def __init__(self, primal, tangent):
        self.primal, self.tangent = primal, tangent

    def __iter__(self):
        return iter((self.primal, self.tangent))

    def __len__(self) -> int:
        return 2


class _Level(dict):
    """An open level: tensor -> its tangent tensor (None: known to have
    none), the dual tensors made in it (made), the tape's length when it
    opened (start) and, for ops made in it whose inputs or result an
    in-place write changed since, the (result, inputs) values their JVP
    reads as they were when the op ran (operands: forward.node_tangent's)."""

    __slots__ = ("made", "primals", "start", "operands")

    def __init__(self, start: int):
        super().__init__()
        self.made = set()
        self.primals = set()      # unpack_dual's
        self.start = start
        self.operands = {}


def f_dual_level(rt):
    return DualLevel()


def enter_level(rt) -> None:
    if rt.dual_tangents is not None:
        raise GradvizError("Nested forward mode AD is not supported at the moment", kind=RUNTIME,
                           hint="one `with fwAD.dual_level():` at a time")
    rt.dual_tangents = _Level(len(rt.tape.nodes))
    rt.tape.on_write = lambda changed: _before_write(rt, changed)


def exit_level(rt) -> None:
    rt.dual_tangents = None
    rt.tape.on_write = None


def f_enter_dual_level(rt):
    """fwAD.enter_dual_level(): a level opened without a `with` block; its
    number, 0."""
    enter_level(rt)
    return 0


def f_exit_dual_level(rt, *, level=None):
    """fwAD.exit_dual_level(): closes the open level (its tangents dropped)."""
    if rt.dual_tangents is None:
        raise GradvizError("Dual level must be a positive number.", kind=RUNTIME,
                           hint="open one first: fwAD.enter_dual_level()")
    exit_level(rt)


def _before_write(rt, changed: list) -> None:
    """An in-place write is about to change the tensors `changed`. PyTorch
    computed each op's tangent when the op ran; here they are computed when
    asked for, so what they would read of the old values is kept now."""
    level = rt.dual_tangents
    if not level or not level.made or not changed:
        return
    written = set(changed)
    nodes = rt.tape.nodes[level.start:]
    if not written.isdisjoint(level.values()):
        # a tangent is written (the dual's changes with it, as in PyTorch):
        # the tangents that come from it are computed now (rare)
        for n in nodes:
            if n.op is not None and n not in level:
                tangent_of(rt, n)
    first = min(t.seq for t in changed)
    graphs = any(level[d] is not None and level[d].requires_grad for d in level.made)
    for n in nodes:
        if n.seq >= first and n.op is not None and n not in level and (
                n in written or any(a in written for a in n.args if a.__class__ is Tensor)):
            if graphs or n.requires_grad:
                # a tangent with a graph (the double-backward trick, which
                # reads the values as they are): computed now
                tangent_of(rt, n)
            else:
                _keep_operands(level.operands, n, written)


def before_plain_write(rt, current: Tensor, after) -> None:
    """An in-place write autograd does not record is about to change
    current: PyTorch's in-place op runs its JVP formula in place on
    current's tangent, so the tangent changes with the value (e.mul_(3)
    triples it; z[0] = v, z.copy_(v) give a plain z one), and so do the
    tangents of its views and of its base, which are views of its tangent.
    after(old) gives the tangent after the write (an array or a tensor;
    None: none) from old, current's tangent before it (an array; None:
    none), computed before the write, from the values as they are."""
    level = rt.dual_tangents
    if not level or not level.made:
        return
    old = tangent_of(rt, current)
    new = after(None if old is None else old.data)
    if new is None:
        if old is None:
            return
        new = np.zeros_like(old.data)       # a write of plain values: PyTorch's zero tangent
    aliases = _aliases(rt, current)
    olds = [tangent_of(rt, t) for t in aliases]
    # the ops that read current (or an alias) before the write read its old tangent
    for n in rt.tape.nodes[level.start:]:
        if n.op is not None and n not in level and any(
                a.__class__ is Tensor and np.may_share_memory(a.data, current.data)
                for a in n.args):
            tangent_of(rt, n)
    # (PyTorch's formula writes into the old tangent; with none, the new one
    # is its own: copy_ of a float64 dual gives a float32 tensor a float64 one)
    value = new.data if new.__class__ is Tensor else np.asarray(new)
    dtype = value.dtype if old is None else old.data.dtype
    if _writes_into(old, new):
        _write_tangent(rt, old, np.broadcast_to(value, current.data.shape))
    elif new.__class__ is Tensor and value.dtype == dtype and value.shape == current.data.shape:
        level[current] = new
    else:
        _set_tangent(rt, current, np.array(np.broadcast_to(value, current.data.shape), dtype))
    _spread(rt, current, np.broadcast_to(value, current.data.shape), aliases, olds)


def _writes_into(old, new) -> bool:
    """Whether a write's new tangent goes into the old tangent tensor, as
    PyTorch's in-place formula writes it (so that a tangent the program
    holds, t = unpack_dual(d).tangent, changes with d.mul_(2)): when there
    is one and neither has a graph (a graph's write would be recorded)."""
    return (old is not None and not old.requires_grad and old.data.flags.writeable
            and not (new.__class__ is Tensor and new.requires_grad))


def _write_tangent(rt, old: Tensor, value: np.ndarray) -> None:
    """value into the tangent tensor old, in place: its views and aliases
    see it and its version counts the write, as PyTorch's."""
    rt.tape.before_inplace(old.data, old)
    np.copyto(old.data, value, casting="unsafe")
    rt.tape.versions.bump(old, rt.line)


def _set_tangent(rt, t: Tensor, value: np.ndarray) -> None:
    level = rt.dual_tangents
    level[t] = tangent = rt.tape.add(Tensor(value), rt.span, label="tangent", of=t.seq)
    level.setdefault(tangent, None)


def _view_root(level, t: Tensor) -> Tensor:
    """The tensor t views through view ops (itself if none). A dual
    (make_dual's) and a primal (unpack_dual's) are roots: their tangents
    are their own, not views of their base's."""
    from .tensor import VIEW_OPS
    while (t.op is not None and t.op.name in VIEW_OPS and t not in level.made
           and t not in level.primals and not (t.params and t.params.get("advanced"))
           and t.args and t.args[0].__class__ is Tensor
           and np.may_share_memory(t.data, t.args[0].data)):
        t = t.args[0]
    return t


def _aliases(rt, current: Tensor) -> list:
    """The tensors of the tape that view the same memory as current through
    view ops from one root (its base, its views, their views)."""
    level = rt.dual_tangents
    root = _view_root(level, current)
    return [t for t in rt.tape.nodes
            if t is not current and t.data.itemsize == current.data.itemsize
            and np.may_share_memory(t.data, current.data) and _view_root(level, t) is root]


def _spread(rt, current: Tensor, value: np.ndarray, aliases: list, olds: list) -> None:
    """current's new tangent value into the tangents of its aliases (olds:
    theirs before the write; None: zeros) where they hold current's
    elements, matched by their places in the memory they share."""
    from .strides import positions
    from .versions import owner
    if not aliases:
        return
    memory = owner(current.data)
    places = positions(memory, current.data)
    if not _within(places, memory):
        return
    where = np.full(memory.size, -1, np.int64)
    where[places.ravel()] = np.arange(current.data.size)
    flat = value.ravel()
    for t, old in zip(aliases, olds):
        places = positions(memory, t.data)
        if not _within(places, memory):
            continue
        idx = where[places]
        hit = idx >= 0
        if hit.any():
            tangent = np.zeros_like(t.data) if old is None else old.data.copy()
            tangent[hit] = flat[idx[hit]]
            if _writes_into(old, None):
                # (PyTorch's tangent of a view is a view of its base's)
                _write_tangent(rt, old, tangent)
            else:
                _set_tangent(rt, t, tangent)


def _within(places: np.ndarray, memory: np.ndarray) -> bool:
    """places are offsets into memory (not memory numpy got from elsewhere)."""
    return not places.size or (places.min() >= 0 and places.max() < memory.size)


def result_tangent(rt, result: Tensor):
    """before_plain_write's after() of a write whose new value is result, an
    op on current and the other inputs: result's tangent (y.mul_(y)'s as
    PyTorch's in-place formula computes it, see op_tangent)."""
    def after(old):
        args = result.args
        if (old is not None and result.op is not None and result.op.name == "mul"
                and len(args) == 2 and args[0] is args[1]):
            return _squared_tangent(old, args[0].data).astype(old.dtype)
        return tangent_of(rt, result)
    return after


def item_tangent(rt, t: Tensor, key, value):
    """before_plain_write's after() of t[key] = value: t's tangent (zeros
    if none) with value's (zeros: a number, a plain tensor) at key."""
    def after(old):
        new = value.__class__ is Tensor and tangent_of(rt, value)
        if old is None and not new:
            return None
        tangent = np.zeros_like(t.data) if old is None else old.copy()
        tangent[key] = new.data if new else 0
        return tangent
    return after


def source_tangent(rt, source: Tensor):
    """before_plain_write's after() of x.copy_(source): source's tangent."""
    return lambda old: tangent_of(rt, source)


def _keep_operands(kept: dict, n: Tensor, written: set) -> None:
    """Keep copies of the values of n's result and inputs the write changes
    (those an earlier write changed were copied then: as the op saw them)."""
    from .forward import op_operands
    ans, xs = kept.get(n) or op_operands(n)
    if n in written and ans is n.data:
        ans = ans.copy()
    xs = [x.copy() if a.__class__ is Tensor and a in written and x is a.data else x
          for a, x in zip(n.args, xs)]
    kept[n] = ans, xs


def f_make_dual(rt, tensor, tangent, *, level=None):
    from .functions import _need_tensor
    _need_tensor(tensor, "make_dual")
    _need_tensor(tangent, "make_dual", 2)
    tangents = rt.dual_tangents
    if tangents is None:
        raise GradvizError("Trying to create a dual Tensor for forward AD but no level exists, "
                           "make sure to enter_dual_level() first.", kind=RUNTIME,
                           hint="make it inside `with fwAD.dual_level():`")
    check_dual(tensor, tangent)
    if tensor in tangents:
        raise GradvizError("Making a dual Tensor based on a Tensor that already has a forward "
                           "gradient at the same level 0 is not supported.", kind=RUNTIME)
    dual = _view(rt, tensor, "make_dual")
    tangents[dual] = tangent
    tangents.made.add(dual)
    return dual


def check_dual(primal: Tensor, tangent: Tensor) -> None:
    """make_dual's checks of a (primal, tangent) pair, in PyTorch's order:
    both floating point, then the same size."""
    for what, t in (("primal", primal), ("tangent", tangent)):
        if t.data.dtype.kind not in "fc":
            raise GradvizError(f"Expected {what} to be floating point or complex, but got: "
                               f"torch.{t.dtype_name}", kind=VALUE,
                               hint=f"make the {what} a float tensor")
    if primal.data.shape != tangent.data.shape:
        raise GradvizError(
            "Trying to set a forward gradient that has a different size than that of the "
            "original Tensor, this is not supported. Tensor is of size "
            f"{list(primal.data.shape)} while the given forward gradient is of size "
            f"{list(tangent.data.shape)}.", kind=RUNTIME,
            hint="give the tangent the primal's shape")


def f_unpack_dual(rt, tensor, *, level=None):
    if tensor.__class__ is not Tensor:
        raise GradvizError(f"_unpack_dual(): argument 'dual' (position 1) must be Tensor, not "
                           f"{type(tensor).__name__}", kind=TYPE)
    if rt.dual_tangents is None:       # outside a level: the tensor itself, as in PyTorch
        return UnpackedDual(tensor, None)
    primal = _view(rt, tensor, "primal", grad_fn="Identity")
    # the primal is PyTorch's plain view: no tangent (not the one of what it views)
    rt.dual_tangents[primal] = None
    rt.dual_tangents.primals.add(primal)
    return UnpackedDual(primal, tangent_of(rt, tensor))


def _view(rt, t: Tensor, label: str, grad_fn: str | None = None) -> Tensor:
    """A new tensor sharing t's value (PyTorch's view): recorded when t
    requires grad (make_dual's ViewBackward0; grad_fn: another node's
    name, unpack_dual's primal is an alias, torch::autograd::Identity),
    else a leaf labelled with its maker."""
    if t.requires_grad and grad_fn is not None:
        from .tangent_formulas import alias
        return alias(rt, t, grad_fn)
    if t.requires_grad:
        from .functions import f_reshape
        return f_reshape(rt, t, *t.data.shape)
    return rt.tape.add(Tensor(t.data), rt.span, label=label, of=t.seq)


def refuse_dual(rt, inputs, kernel: str, hint: str) -> None:
    """PyTorch's error for a dual tensor given to a kernel that has no
    forward-mode derivative (raised at the call, as PyTorch raises it)."""
    if not rt.dual_tangents or not any(tangent_of(rt, t) is not None for t in inputs):
        return
    raise GradvizError(
        f"Trying to use forward AD with {kernel} that does not support it because it has not "
        "been implemented yet.\nPlease file an issue to PyTorch at "
        "https://github.com/pytorch/pytorch/issues/new?template=feature-request.yml so that we "
        "can prioritize its implementation or submit a PR adding the implementation to "
        "derivatives.yaml", kind="NotImplementedError", hint=hint)


def tangent_of(rt, t: Tensor) -> Tensor | None:
    """t's tangent in the open level (None: no level, or t depends on no
    dual tensor made in it)."""
    tangents = rt.dual_tangents
    if not tangents or t.data.dtype.kind not in "fc":     # (x.int() has none in PyTorch)
        return None
    known = tangents.get(t)
    if known is not None or t in tangents:
        return known
    order = ops_back_to([t], tangents)
    tangent = _with_graph(rt, t, order, tangents)
    if tangent is not None:
        tangents[t] = tangent
        # (a tangent has none itself: the walk back from it, or from what the
        # program computes of it, stops there, not at the duals of its graph)
        tangents.setdefault(tangent, None)
        return tangent
    # the ops between t and what is known (duals, tangents computed before)
    for n in order:
        tangents[n] = _push(rt, n, tangents, tangents.operands)
    return tangents.get(t)


def _by_formulas(rt, t: Tensor, order, tangents, fallback=None,
                 primal_grad_fn="Identity", plain=frozenset()) -> Tensor | None:
    """tangent_formulas.formula_tangent with grad mode on (the formulas'
    ops are recorded, as PyTorch's are inside a no_grad() block too);
    fallback: its tangent of an op without a formula."""
    from .tangent_formulas import formula_tangent
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, True
    try:
        return formula_tangent(rt, t, order, tangents, fallback, primal_grad_fn, plain)
    finally:
        rt.tape.grad_enabled = enabled


def _op_tangent_by_trick(rt, n: Tensor, ins: list) -> Tensor | None:
    """n's tangent from its inputs' tangents ins (tensors; None: none) by
    the double-backward trick on n alone: n run again on its inputs, those
    with a tangent that do not require grad as copies that do (the others
    as they are, so the tangent's graph reaches them; those whose primal
    PyTorch's formula reads, through the node it reads it with, first in
    the tangent's graph: sin's CosBackward0 then Identity)."""
    from .tangent_formulas import has_graph, primal, primals_read
    if not any(map(has_graph, list(n.args) + ins)):
        # (nothing here has a graph in PyTorch: torch.func.jvp's inputs)
        return _push(rt, n, {a: v for a, v in zip(n.args, ins) if v is not None})
    reads = primals_read(n)
    made, seeds = {}, {}
    for i, (a, v) in enumerate(zip(n.args, ins)):
        read = i in reads and has_graph(a)
        if a.__class__ is not Tensor or a in made or (v is None and not read):
            continue
        if not a.requires_grad:
            made[a] = rt.tape.add(Tensor(a.data, requires_grad=True), rt.span,
                                  label="make_dual", of=a.seq)
        else:
            # (differentiated at the primal: no backward of its node on the way)
            made[a] = primal(rt, a) if read else a
        if v is not None:
            seeds[made[a]] = v
    if any(v.data.dtype != d.data.dtype for d, v in seeds.items()):
        return None
    args = tuple(made.get(a, a) if a.__class__ is Tensor else a for a in n.args)
    again = rt.tape.apply(n.op, args, n.params, n.span)
    return _tangent_with_graph(rt, again, list(seeds), seeds)


def _with_graph(rt, t: Tensor, order, tangents) -> Tensor | None:
    """t's tangent with a graph, where PyTorch's has one: t requires grad (a
    primal it comes from does, or another input of its ops), or a tangent it
    comes from does. None: no graph, or one the trick cannot give (a
    tangent of another dtype than its primal's, an in-place write)."""
    inputs = [a for n in order for a in n.args if a.__class__ is Tensor] + [t]
    if t.requires_grad or any(v is not None and v.requires_grad
                              for v in map(tangents.get, inputs)):
        # PyTorch's formulas op by op (the trick on each op without one
        # here: the whole chain's graph would reach the primals only through
        # second derivatives, d * 3 would have none, PyTorch's AddBackward0
        # reads d's primal), from the tangents known (those computed before
        # too, ahead of an in-place write)
        by_formulas = _by_formulas(rt, t, order, tangents, _op_tangent_by_trick)
        if by_formulas is not None:
            return by_formulas
    seeds = {a: tangents[a] for a in inputs if a in tangents.made and tangents[a] is not None}
    if not seeds or any(v.data.dtype != d.data.dtype for d, v in seeds.items()):
        return None
    if not (t.requires_grad or any(v.requires_grad for v in seeds.values())):
        return None
    if not all(d.requires_grad for d in seeds):
        # the trick differentiates with respect to the duals: the ops are run
        # again on copies that require grad of those that do not
        t, seeds = _replayed(rt, t, order, seeds)
        if t is None:
            return None
    return _tangent_with_graph(rt, t, list(seeds), seeds)


def _replayed(rt, t: Tensor, order, seeds: dict):
    """(t computed again from copies that require grad of the duals that do
    not, the seeds on the copies); (None, seeds) after an in-place write on
    the way (an op run again would read today's values)."""
    if order and rt.tape.versions.last > order[0].seq:
        return None, seeds
    made, moved = {}, {}
    for d, v in seeds.items():
        if not d.requires_grad:
            made[d] = rt.tape.add(Tensor(d.data, requires_grad=True), rt.span,
                                  label="make_dual", of=d.seq)
        moved[made.get(d, d)] = v
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, True
    try:
        for n in order:
            args = tuple(made.get(a, a) if a.__class__ is Tensor else a for a in n.args)
            made[n] = rt.tape.apply(n.op, args, n.params, n.span)
    finally:
        rt.tape.grad_enabled = enabled
    return made.get(t, t), moved


def _tangent_with_graph(rt, t: Tensor, duals, tangents) -> Tensor | None:
    """t's tangent J v as a tensor with a graph, as PyTorch's (its JVP
    formulas run on tensors that require grad, so t's tangent reaches the
    primals and the tangents that do): by the double-backward trick, the
    gradient with respect to u of <J^T u, v>, both passes keeping their
    graph (the values are the same; the ops recorded are the passes').
    None when an op on the way has no graph backward here (qr): the
    tangent is then pushed forward without a graph."""
    from .functions import FUNCTIONS, f_grad
    enabled, rt.tape.grad_enabled = rt.tape.grad_enabled, True
    # the passes are not the program's: none of its hooks runs in them (no
    # tensor, node, module or saved-tensors hook: PyTorch's forward mode
    # runs none)
    held = rt.hooks, rt.node_hooks, rt.module_bw, rt.packed
    rt.hooks, rt.node_hooks, rt.module_bw, rt.packed = {}, {}, {}, {}
    try:
        u = FUNCTIONS["zeros_like"](rt, t, requires_grad=True)
        try:
            gs = f_grad(rt, t, duals, u, retain_graph=True, create_graph=True,
                        allow_unused=True)
            pairs = [(g, tangents[d]) for g, d in zip(gs, duals) if g is not None]
            if not pairs:
                return FUNCTIONS["zeros_like"](rt, t)
            # (the second pass runs the first's backward ops backward: one of
            # them may have no graph backward either, masked_scatter_backward)
            (jv,) = f_grad(rt, [g for g, _ in pairs], u, [v for _, v in pairs],
                           retain_graph=True, create_graph=True, allow_unused=True)
        except GradvizError as exc:
            if not exc.message.startswith("create_graph=True is not supported"):
                raise
            return None
    finally:
        rt.tape.grad_enabled = enabled
        rt.hooks, rt.node_hooks, rt.module_bw, rt.packed = held
    return FUNCTIONS["zeros_like"](rt, t) if jv is None else jv


def pushed_tangents(rt, outs, seeds: dict) -> list:
    """The tangents of outs (None: not computed from the seeds) pushed from
    seeds (tensor -> its tangent tensor) as a dual level pushes them:
    torch.func.jvp's, when its result keeps no graph."""
    tangents = dict(seeds)
    _fill(rt, outs, tangents)
    return [tangents.get(o) for o in outs]


def formula_tangents(rt, outs, seeds: dict, plain_inputs=()) -> list | None:
    """The tangents of outs with a graph, by PyTorch's formulas op by op
    (the trick on each op without one): torch.func.jvp's, when its result
    keeps a graph. None: an op the trick cannot take (a tangent of another
    dtype than its input's). plain_inputs: seeds that require grad here
    only for a transform inside f to differentiate through them (PyTorch's
    dual inputs do not): what the formulas read of them has no graph."""
    tangents = dict(seeds)
    plain = set(plain_inputs)
    for n in ops_back_to(outs, seeds):
        if all(a in plain or not a.requires_grad for a in n.args if a.__class__ is Tensor):
            plain.add(n)
    found = []
    for o in outs:
        order = ops_back_to([o], tangents)
        tangent = tangents.get(o) if not order else _by_formulas(
            rt, o, order, tangents, _op_tangent_by_trick, "AliasBackward0", plain)
        if tangent is None and order:
            return None
        found.append(tangent)
        tangents[o] = tangent
    return found


def _fill(rt, tops, tangents: dict) -> None:
    """tangents of the ops between tops and the tensors tangents knows."""
    for n in ops_back_to(tops, tangents):
        tangents[n] = _push(rt, n, tangents)


def ops_back_to(tops, known) -> list[Tensor]:
    """The ops that made tops from what is in known (and from leaves), in
    creation order (a topological order): a walk back over their inputs
    with a stack (no recursion)."""
    seen, stack, order = set(tops), list(tops), []
    while stack:
        n = stack.pop()
        if n in known or n.op is None:
            continue
        order.append(n)
        for a in n.args:
            if a.__class__ is Tensor and a not in seen:
                seen.add(a)
                stack.append(a)
    order.sort(key=lambda n: n.seq)
    return order


def _push(rt, n: Tensor, tangents: dict, operands=None) -> Tensor | None:
    """n's tangent from its inputs' (forward.node_tangent), as a tensor.
    operands: the values kept of ops an in-place write changed since."""
    if n.data.dtype.kind not in "fc":
        return None         # (an integer or bool result has no tangent: x.int().float() neither)
    if n.op.name in PRODUCT_FACTORS:
        _check_product_dtypes(n, tangents)
    total = op_tangent(rt, n, lambda a: None if (t := tangents.get(a)) is None else t.data,
                       operands=operands, dtype=_tangent_dtype(n, tangents))
    if total is None:
        return None
    return rt.tape.add(Tensor(np.array(total)), n.span, label="tangent", of=n.seq)


def op_tangent(rt, n: Tensor, tangent_of, versions=None, operands=None, dtype=None):
    """forward.node_tangent (n's tangent, an array, from its inputs'
    tangent_of(input)) as PyTorch's dual tensors compute it: y.mul_(y) (y
    *= y) by its in-place formula, self_t.mul_(other_p).add_(other_t *
    original_self_p), whose other_t is self_t, read after the mul_ changed
    it: t p + (t p) p, not 2 t p."""
    from .forward import node_tangent, op_operands   # (a run without duals does not load it)
    total = node_tangent(n, tangent_of, versions, operands, dtype=dtype)
    if (total is None or n.op.name != "mul" or len(n.args) != 2 or n.args[0] is not n.args[1]
            or n.seq not in rt.tape.versions.inplace_nodes):
        return total
    p = ((operands or {}).get(n) or op_operands(n, versions))[1][0]
    return _squared_tangent(tangent_of(n.args[0]), p).astype(total.dtype)


def _squared_tangent(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The tangent PyTorch gives y.mul_(y), y's tangent t and value p before."""
    scaled = t * p
    return scaled + scaled * p


# matrix products: the positions of their two factors A and B
PRODUCT_FACTORS = {"matmul": (0, 1), "mm": (0, 1), "mv": (0, 1), "dot": (0, 1), "bmm": (0, 1),
                   "addmm": (1, 2), "addbmm": (1, 2), "baddbmm": (1, 2)}


def _check_product_dtypes(n: Tensor, tangents: dict) -> None:
    """PyTorch's JVP of a matrix product is A_t @ B_p + A_p @ B_t (a missing
    tangent: zeros of its input's dtype), and its kernels refuse mixed
    dtypes: a tangent of another dtype than the primals' (float16 of a
    float32 primal) is refused with the kernel's words. C++ evaluates the
    second term first, so its error is the one PyTorch raises."""
    from .ops.linalg import check_matmul_dtypes
    a, b = (n.args[i] for i in PRODUCT_FACTORS[n.op.name])
    ta, tb = tangents.get(a), tangents.get(b)
    if ta is None and tb is None:
        return
    na, nb = a.data.ndim, b.data.ndim
    check_matmul_dtypes(a.data.dtype, (b if tb is None else tb).data.dtype, na, nb)
    check_matmul_dtypes((a if ta is None else ta).data.dtype, b.data.dtype, na, nb)


# ops whose JVP formula is the op (or a selection, a sum) applied to the
# tangents alone, with no value of the primals: the tangent keeps its dtype
# (a float16 tangent of a float32 primal stays float16), promoted only with
# the zeros PyTorch stands in for an input's missing tangent
TANGENT_ONLY_OPS = frozenset({
    "view", "reshape", "flatten", "index", "t", "transpose", "permute", "unsqueeze", "squeeze",
    "expand", "clone", "flip", "roll", "repeat", "diagonal", "trace", "tril", "triu", "unfold",
    "constant_pad_nd", "stack", "cat", "sum", "mean", "cumsum", "neg", "add", "sub",
    "gather", "index_select", "take", "masked_select", "masked_fill", "where", "clamp",
    "max", "min", "max_dim", "min_dim", "amax", "amin"})


def _tangent_dtype(n: Tensor, tangents: dict):
    """The dtype of n's tangent in PyTorch: its JVP formula mixes the
    inputs' tangents with values of n's dtype, so the two promote (a float64
    tangent of a float32 primal stays float64 through sin); a dtype
    conversion converts the tangent too; TANGENT_ONLY_OPS keep the
    tangents' dtype."""
    if n.op.name == "to_dtype":
        return n.data.dtype
    if n.op.name in TANGENT_ONLY_OPS:
        return np.result_type(*(a.data.dtype if (t := tangents.get(a)) is None else t.data.dtype
                                for a in n.args
                                if a.__class__ is Tensor and a.data.dtype.kind in "fc"))
    return np.result_type(n.data.dtype, *(t.data.dtype for a in n.args
                                          if a.__class__ is Tensor
                                          and (t := tangents.get(a)) is not None))
