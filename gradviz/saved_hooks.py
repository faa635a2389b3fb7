"""torch.autograd.graph: hooks for saved tensors, as PyTorch's tutorial
"Hooks for saved tensors" uses them::

    with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
        y = x * w          # pack(w), pack(x): what they return is kept
    y.sum().backward()     # unpack(kept) for each, and backward uses its result

pack runs when an op is recorded, once per tensor the op saves for its
backward, with gradients off; a saved input is passed as the input tensor
itself, a saved result as the result. unpack runs once per saved tensor each
time the node runs in backward (and when grad_fn._saved_<name> is read), on
what pack returned; what it returns is what the backward formula uses.
Only the innermost hooks apply. save_on_cpu() keeps tensors as they are
(everything is on the CPU here); disable_saved_tensors_hooks(msg) makes
hooks entered inside it raise msg.

What an op saves is OpDef.saved (per input that requires grad; measured
against PyTorch op by op for its in-place checks), so the hooks are called in
one place, Tape.apply, for every op.

One saved tensor can also get its own pair, as PyTorch's SavedTensor has::

    y.grad_fn._raw_saved_self.register_hooks(pack, unpack)

pack runs at once, on a detached copy of the saved tensor; unpack then runs
wherever the block's would. So each saved slot keeps its own unpack
(Interpreter.packed: node -> [(slot, saved, packed, unpack)], in the order
PyTorch's backward unpacks them); a program without hooks has no entry.
"""
from __future__ import annotations

from .errors import RUNTIME, TYPE, GradvizError
from .ops.registry import broadcast_shape
from .tensor import Tensor

# PyTorch's generated nodes declare their saved inputs in the alphabetical
# order of the argument names, and save the result after the forward ran:
# pack is called in that order (MulBackward0: other, then self). The names
# of input 1 where it is saved (input 0 is `self`).
_INPUT_1_NAMES = {"MulBackward0": "other", "DivBackward0": "other", "PowBackward1": "exponent",
                  "MaximumBackward0": "other", "MinimumBackward0": "other",
                  "Atan2Backward0": "other", "MmBackward0": "mat2", "BmmBackward0": "mat2",
                  "MseLossBackward0": "target"}


class SavedTensorsHooks:
    """The value of saved_tensors_hooks(pack, unpack) (and of save_on_cpu(),
    whose pack and unpack are None: the tensor kept as it is)."""

    __slots__ = ("pack", "unpack", "kind")

    def __init__(self, pack, unpack, kind="saved_tensors_hooks"):
        self.pack, self.unpack, self.kind = pack, unpack, kind


class DisableSavedHooks:
    """The value of disable_saved_tensors_hooks(error_message)."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def f_saved_tensors_hooks(rt, pack_hook, unpack_hook):
    return SavedTensorsHooks(pack_hook, unpack_hook)


def f_save_on_cpu(rt, pin_memory=False, device_type="cuda"):
    return SavedTensorsHooks(None, None, "save_on_cpu")


def f_disable_saved_tensors_hooks(rt, error_message):
    if not isinstance(error_message, str):
        raise GradvizError("disable_saved_tensors_hooks(): argument 'error_message' must be "
                           f"str, not {rt.type_name(error_message)}", kind=TYPE)
    return DisableSavedHooks(error_message)


def enter(rt, ctx) -> None:
    """A `with` block of one of these contexts entered."""
    if ctx.__class__ is DisableSavedHooks:
        if rt.saved_hooks:
            # (PyTorch refuses to disable hooks while some are active)
            raise GradvizError(ctx.message, kind=RUNTIME,
                               hint="disable_saved_tensors_hooks() inside saved_tensors_hooks() "
                                    "is refused: leave the hooks' block first")
        rt.saved_hooks_disabled.append(ctx.message)
        return
    if rt.saved_hooks_disabled:
        raise GradvizError(rt.saved_hooks_disabled[-1], kind=RUNTIME,
                           hint="this block is inside disable_saved_tensors_hooks(), which "
                                "refuses saved tensor hooks")
    rt.saved_hooks.append(ctx)
    rt.tape.pack_saved = lambda out: pack(rt, out)


def leave(rt, ctx) -> None:
    if ctx.__class__ is DisableSavedHooks:
        rt.saved_hooks_disabled.pop()
        return
    rt.saved_hooks.pop()
    if not rt.saved_hooks:
        rt.tape.pack_saved = None


def saved_slots(node: Tensor) -> list:
    """What node's op saves, in the order PyTorch packs it: "0", "1" (an
    input), "r" (the result); an input once per time it is saved (x * x
    saves x twice), numbers (x * 2) not at all."""
    spec = node.op.saved
    if callable(spec):
        spec = spec(node)
    args = node.args
    slots = []
    for i, a in enumerate(args):
        if i < len(spec) and a.__class__ is Tensor and a.requires_grad:
            for c in spec[i]:
                if c not in slots:
                    slots.append(c)
    slots = [c for c in slots if c == "r" or (int(c) < len(args) and args[int(c)].__class__ is Tensor)]
    slots.sort(key=_slot_order(node))
    return slots


def _slot_order(node: Tensor):
    """The sort key of node's saved slots: its inputs by argument name, then
    its result."""
    n = len(node.args)
    swap = _INPUT_1_NAMES.get(node.grad_fn_name, "self") < "self"
    return lambda c: n if c == "r" else 1 - int(c) if swap and c in "01" else int(c)


def pack(rt, out: Tensor) -> None:
    """The innermost pack hook on each tensor out's op saves (Tape.apply
    calls it for every recorded op while hooks are active)."""
    if not out.op.saves:
        return
    hooks = rt.saved_hooks[-1]
    slots = saved_slots(out)
    if not slots:
        return
    tape = rt.tape
    enabled = tape.grad_enabled
    tape.grad_enabled = False         # (PyTorch runs pack hooks without gradients)
    try:
        kept = []
        for c in slots:
            t = out if c == "r" else out.args[int(c)]
            kept.append((c, t, t if hooks.pack is None else rt.call_value(hooks.pack, [t]),
                         hooks.unpack))
    finally:
        tape.grad_enabled = enabled
    rt.packed[out] = kept


_FREED_HOOKS = (
    "Calling register_hooks on a saved tensor after it has been freed. Saved intermediate "
    "values of the graph are freed when you call .backward() or autograd.grad(). Specify "
    "retain_graph=True if you need to backward through the graph a second time or if you "
    "need to access saved variables after calling backward.")


def register_hooks(rt, raw, *hook_fns) -> None:
    """grad_fn._raw_saved_<name>.register_hooks(pack, unpack): pack on the
    saved tensor now (detached, gradients off), unpack on what it returned
    each time the slot is read, as PyTorch's SavedTensor does."""
    from .functions import f_callable
    from .gradfns import raw_saved_value
    if len(hook_fns) != 2 or not all(f_callable(rt, f) for f in hook_fns):
        shown = ", ".join(rt.repr_of(v) for v in (raw, *hook_fns))
        raise GradvizError(
            "register_hooks(): incompatible function arguments. The following argument types "
            "are supported:\n    1. (self: torch._C._autograd.SavedTensor, arg0: "
            "collections.abc.Callable, arg1: collections.abc.Callable) -> None\n\n"
            f"Invoked with: {shown}", kind=TYPE,
            hint="register_hooks(pack, unpack) takes two functions: pack(tensor) -> what to "
                 "keep, unpack(kept) -> the tensor backward uses")
    node = raw.fn.node
    slot = _slot_of(node, raw.attr)
    if raw_saved_value(raw) is None:
        raise GradvizError("Calling register_hooks on a saved tensor with value None is "
                           "forbidden", hint=f"PyTorch's {raw.fn.name} saves nothing there: "
                           "the other input needs no gradient")
    if node.freed:
        raise GradvizError(_FREED_HOOKS, hint="register the hooks before backward(), or pass "
                                              "retain_graph=True to it")
    kept = rt.packed.get(node, [])
    if any(c == slot for c, *_ in kept):
        raise GradvizError("Calling register_hooks on a saved tensor whose hooks have already "
                           "been set. Hint: only one pair of hooks is allowed at a time.",
                           hint="a saved tensor takes one pair of hooks (a saved_tensors_hooks() "
                                "block around the op sets them too)")
    if slot != "r" and node.args[int(slot)].__class__ is not Tensor:
        raise GradvizError(f"register_hooks() on {raw.attr}, a number the op wrapped, is not "
                           "supported here", kind=RUNTIME,
                           hint="hook a saved tensor the program made (or multiply by a "
                                "tensor rather than a number)")
    t = node if slot == "r" else node.args[int(slot)]
    tape = rt.tape
    enabled = tape.grad_enabled
    tape.grad_enabled = False             # (PyTorch packs without gradients)
    try:
        packed = rt.call_value(hook_fns[0], [Tensor(t.data)])      # (detached: shares data)
    finally:
        tape.grad_enabled = enabled
    kept = kept + [(slot, t, packed, hook_fns[1])]
    kept.sort(key=lambda entry, order=_slot_order(node): order(entry[0]))
    rt.packed[node] = kept


def _slot_of(node: Tensor, attr: str) -> str:
    """The slot (saved_slots) that grad_fn.<attr> reads: "r" the result,
    else the index of the input (`2 * x` is x.mul(2): reversed)."""
    if attr == "_saved_result":
        return "r"
    i = 0 if attr == "_saved_self" else 1
    if node.op.name in ("mul", "add") and node.args[0].__class__ is not Tensor:
        i = 1 - i
    return str(i)


def _unpacked(rt, fn, packed) -> Tensor:
    """unpack(packed), checked as PyTorch checks it."""
    value = packed if fn is None else rt.call_value(fn, [packed])
    if value.__class__ is not Tensor:
        raise GradvizError("Output of saved tensor unpack_hook expected to be a Tensor but got "
                           f"result of type {rt.type_name(value)}", kind=TYPE,
                           hint="unpack must return a tensor (what pack kept, or one made "
                                "from it)")
    return value


def unpack_for_backward(rt, node: Tensor, ans, xs: list, scalar: bool):
    """node's (ans, xs) for its VJPs with each saved tensor replaced by what
    unpack returns for it, in the order pack ran. scalar: the pass reads
    0-d values as numpy scalars."""
    xs = list(xs)
    for c, saved, packed, fn in rt.packed[node]:
        tape = rt.tape
        enabled = tape.grad_enabled
        tape.grad_enabled = False     # (the engine runs backward, and unpack, without gradients)
        try:
            value = _unpacked(rt, fn, packed).data
        finally:
            tape.grad_enabled = enabled
        if value.shape != saved.data.shape:
            broadcast_shape(saved.data.shape, value.shape)     # PyTorch's error where they clash
            raise GradvizError(
                f"unpack returned a tensor of shape {list(value.shape)} for a saved tensor of "
                f"shape {list(saved.data.shape)}: gradviz does not model backward with it",
                kind=RUNTIME, hint="return a tensor of the saved tensor's shape from unpack")
        if value.dtype != saved.data.dtype:
            value = value.astype(saved.data.dtype)
        if scalar:
            value = value[()]
        if c == "r":
            ans = value
        else:
            xs[int(c)] = value
    return ans, xs


def unpack_saved(rt, node: Tensor, attr: str, original: Tensor):
    """grad_fn._saved_<name> of a node whose saved tensors were packed: unpack
    on what pack kept, as a tensor of the saved one's node (PyTorch's
    unpacked value carries the saved tensor's grad_fn and requires_grad)."""
    from .gradfns import _alias
    slot = _slot_of(node, attr)
    for c, saved, packed, fn in rt.packed[node]:
        if c == slot:
            value = _unpacked(rt, fn, packed)
            new = _alias(original)
            new.data = value.data
            return new
    return original
