"""The outputs of split, chunk and unbind: views that PyTorch does not let
be written in place.

PyTorch makes the pieces of x.split(2), x.chunk(2), x.unbind() (and the rows
a for loop walks, an unbind) with one node for them all. A write into one
of them would need that node made again for the piece alone, which PyTorch
does not do: with gradients it refuses the write ("Output 1 of Split is a
view and is being modified inplace. This view is the output of a function
that returns multiple views..."), for the piece and for every view of it
(x[0] = v writes through a Select of it). The unsafe splits, hsplit and
tensor_split make plain views (slices) or none, which it lets be written.
"""
from __future__ import annotations

from .errors import GradvizError
from .tensor import VIEW_OPS, Tensor, unsafe_piece
from .versions import owner

# the grad_fns of the pieces of a function that returns several views
MULTI_VIEW_GRAD_FNS = frozenset({"SplitBackward0", "SplitWithSizesBackward0",
                                 "UnbindBackward0"})
MULTIPLE_VIEWS = (" This view is the output of a function that returns multiple views. Such "
                  "functions do not allow the output views to be modified inplace. You should "
                  "replace the inplace operation by an out-of-place one.")
# the grad_fn PyTorch prints for a piece whose memory was written since it was made
INVALID_GRAD_FN = "Invalid"
HINT = ("write into a clone() of the piece (a = a.clone()), or use the out-of-place op "
        "(a = a * 2 for a.mul_(2))")
STALE_HINT = ("split the tensor again after writing into it (a, b = y.split(2)), or write "
              "out of place (y = y * 2 for y.mul_(2))")
# how PyTorch ends its refusals of a view made under no_grad()
NO_GRAD_TAIL = (" Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                "clarify your code by moving both the view and the inplace either both inside "
                "the no_grad block (if you don't want the inplace to be tracked) or both outside "
                "(if you want the inplace to be tracked).")
NO_GRAD_HINT = "take the view outside the no_grad() block, or write into it inside the block"


# the views that writes go through, by the name their callers give them:
# fill_diagonal_ writes through an as_strided() view of x
CUT_NODES = {"diagonal": "AsStrided"}


def node_name(grad_fn: str) -> str:
    """The name PyTorch's view+inplace errors give a node: its grad_fn's
    without "Backward" (and a 0 after it): Split, Squeeze1, BackwardHookFunction."""
    name, _, number = grad_fn.rpartition("Backward")
    return name + ("" if number == "0" else number)


def piece_of(t: Tensor) -> Tensor | None:
    """The piece of a split, chunk or unbind that t is, or that t views
    (through views of views: PyTorch's views of a piece are pieces for its
    check too); None when there is none, or the piece was made with
    gradients off (PyTorch's no_grad view error then, see
    Interpreter._check_no_grad_view)."""
    while (t.op is not None and t.op.name in VIEW_OPS and t.args
           and t.args[0].__class__ is Tensor and t.data.base is not None
           and not (t.params and t.params.get("advanced")) and not unsafe_piece(t)):
        if t.params and t.params.get("grad_fn") in MULTI_VIEW_GRAD_FNS:
            return t if t.meta is None or "made_without_grad" not in t.meta else None
        t = t.args[0]
    return None


def check_write(t: Tensor, cut: str | None = None) -> None:
    """PyTorch's refusal of an in-place write with gradients into t when it
    is a piece or a view of one; cut: the view of t the write goes through
    (x[0] = v: "Select"), which PyTorch names instead."""
    piece = piece_of(t)
    if piece is None:
        return
    if cut is None:
        raise _error(t, "is being", piece)
    name = CUT_NODES.get(cut, cut)
    what = f"Output 0 of {name} is a view and is being modified inplace." if t.recorded else None
    raise _error(t, "is being", piece, what)


def invalidate(tape, t: Tensor) -> None:
    """t, a piece or a view of one, after its memory was written in place:
    printed with grad_fn=<Invalid>, refused by check_valid from now on."""
    t.meta = {**(t.meta or {}), "rebased": INVALID_GRAD_FN}
    tape.lazy_views.add(t.seq)


def made_without_grad(t: Tensor) -> bool:
    """t is a view that PyTorch marks as made in no_grad mode: made with
    gradients off, or a view of such a view (views of it inherit the
    mark), until the chain of views reaches memory of its own."""
    while (t.op is not None and t.op.name in VIEW_OPS and t.args
           and t.args[0].__class__ is Tensor and t.data.base is not None
           and not (t.params and t.params.get("advanced")) and not unsafe_piece(t)):
        if t.meta is not None and "made_without_grad" in t.meta:
            return True
        if owner(t.data) is not owner(t.args[0].data):
            return False
        t = t.args[0]
    return False


def written_no_grad_view(tape, t: Tensor) -> None:
    """t, a view made under no_grad(), after its memory was written in place
    through its family: PyTorch refuses to read its grad_fn from now on, once
    its base requires grad (see invalid)."""
    t.meta = {**(t.meta or {}), "no_grad_written": True}
    tape.lazy_views.add(t.seq)


def invalid(tape, t: Tensor) -> bool:
    """Reading t's grad_fn raises (printed grad_fn=<Invalid>): a piece of a
    split written since it was made, or a view made under no_grad() written
    since, whose base requires grad now."""
    m = t.meta
    return m is not None and (m.get("rebased") == INVALID_GRAD_FN or
                              "no_grad_written" in m and _base_requires_grad(tape, t))


def _base_requires_grad(tape, t: Tensor) -> bool:
    """The tensor that t views, as the program holds it now, requires grad:
    the newest node of its memory when a write with gradients made one, else
    the first tensor of the chain of views that has memory of its own."""
    versions = tape.versions
    latest = versions.latest.get(versions.key(t))
    if latest is not None:
        return latest.requires_grad
    while (t.op is not None and t.op.name in VIEW_OPS and t.args
           and t.args[0].__class__ is Tensor and t.data.base is not None):
        t = t.args[0]
    return t.requires_grad


def check_valid(t: Tensor, tape) -> None:
    """PyTorch's error for reading the grad_fn of t (t.grad_fn, t.is_leaf,
    an op with gradients that takes t) once t's memory was written in place
    since t was made (through its base, another piece, a detach(), or under
    no_grad(): Tape.before_inplace marks it), when t is a piece of a split or
    a view made under no_grad(). Reading it is also when PyTorch makes a
    remade view's grad_fn (see regrow)."""
    if t.meta is None:
        return
    if t.meta.get("rebased") == INVALID_GRAD_FN:
        raise _error(t, "its base or another view of its base has been", piece_of(t),
                     hint=STALE_HINT)
    if invalid(tape, t):
        raise GradvizError("A view was created in no_grad mode and its base or another view "
                           "of its base has been modified inplace with grad mode enabled."
                           + NO_GRAD_TAIL, hint=NO_GRAD_HINT)
    regrow(t)


def regrow(t: Tensor) -> None:
    """t, a view made again after a write through its family
    (Interpreter._remake_view), is read for the first time since: only now
    does PyTorch make its new grad_fn, and the one the view held until then
    (made by its own last write) goes, unless a later op holds it (what the
    version error names, versions._written_view_name)."""
    if t.meta is not None:
        before = t.meta.pop("regrows", None)
        if before is not None:
            before.meta["regrown"] = True


def check_edges(tape, args: tuple) -> None:
    """check_valid for the tensors an op with gradients takes (its edges);
    a view made again is read once, and no longer watched."""
    lazy = tape.lazy_views
    for a in args:
        if a.__class__ is Tensor and a.seq in lazy:
            check_valid(a, tape)
            m = a.meta
            if m.get("rebased") != INVALID_GRAD_FN and "no_grad_written" not in m:
                lazy.discard(a.seq)


def _error(t: Tensor, modified: str, piece: Tensor, what: str | None = None,
           hint: str = HINT) -> GradvizError:
    """PyTorch's message for a piece (or a view of one, t) that is, or whose
    memory was, modified in place (modified: how it says which)."""
    if what is None:
        if t.recorded:
            nr = (t.meta or {}).get("output_nr", 0) if t is piece else 0
            name = node_name((t.meta or {}).get("grad_fn_name") or t.op.grad_fn_for(t))
            what = f"Output {nr} of {name} is a view and {modified} modified inplace."
        else:
            # a piece of a tensor that does not require grad, written with
            # one that does: no node to name
            what = f"A view was created in no_grad mode and {modified} modified inplace with " \
                   "grad mode enabled."
    return GradvizError(what + MULTIPLE_VIEWS, hint=hint)
