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
    tape.invalid_views.add(t.seq)


def check_valid(t: Tensor) -> None:
    """PyTorch's error for reading the grad_fn of t (t.grad_fn, t.is_leaf,
    an op with gradients that takes t) once t's memory was written in place
    since t was made (through its base, another piece, a detach(), or under
    no_grad(): Tape.before_inplace marks it)."""
    if t.meta is not None and t.meta.get("rebased") == INVALID_GRAD_FN:
        raise _error(t, "its base or another view of its base has been", piece_of(t),
                     hint=STALE_HINT)


def check_edges(invalid: set, args: tuple) -> None:
    """check_valid for the tensors an op with gradients takes (its edges)."""
    for a in args:
        if a.__class__ is Tensor and a.seq in invalid:
            check_valid(a)


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
