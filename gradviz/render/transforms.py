"""What torch.func's transform calls ran inside, as one thing per call.

jacrev(torch.sin)(x) runs three autograd.grad passes on the program's
function, op by op (cos and * three times, a seed each): 20 tensors a
learner did not write. The picture draws each outermost transform call as
one box and the terminal table gives it one row (``--expand-transforms``
shows every op). Both ask ``transform_folds`` which nodes those are:

* the program's own function (the spans the transform noted as "own") and
  what was made for it before it ran (the copies of its arguments it
  differentiates, vmap's first slices) stay;
* so does what comes out of the transform: what a later node uses, what a
  variable holds at the end, a failing statement's tensor, its last result;
* the rest folds, when at least FOLD_MIN nodes do.

Everything here reads Columns (render/fold.py), never node records.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

from .fold import FOLD_MIN, Columns

# what each torch.func transform computes, said in its box and row
TRANSFORM_WORDS = {
    "jacrev": "row i of the Jacobian: the gradient of output i (reverse mode)",
    "jacfwd": "column j of the Jacobian: the derivative along input j",
    "hessian": "jacfwd(jacrev(f)): the derivatives of the gradient",
    "grad": "the gradient of f's scalar output",
    "grad_and_value": "the gradient of f's scalar output, and the output",
    "vjp_fn": "the cotangent times the Jacobian (a vector-Jacobian product)",
    "jvp": "the Jacobian times the tangent (a Jacobian-vector product)",
}


@dataclass(frozen=True, slots=True)
class TransformFold:
    """One transform call's inside: the seqs folded, the passes run there."""

    number: int             # 1-based, in run order among the record's transform calls
    kind: str               # "jacrev", "vmap", ...
    members: list           # seqs folded, ascending
    passes: list            # numbers of the autograd.grad() passes it ran
    result: int             # seq of its last result (shown)

    def words(self, slices: int | None = None) -> str:
        """What the call computed, in a few words."""
        if self.kind == "vmap":
            return (f"f drawn for its first slice: gradviz runs it once per slice "
                    f"({slices:,}), PyTorch batches them")
        return TRANSFORM_WORDS.get(self.kind, "")

    def passes_text(self) -> str:
        """"3 autograd.grad() passes inside (#1–#3)", or ""."""
        n = len(self.passes)
        if not n:
            return ""
        span = f"#{self.passes[0]}" + (f"–#{self.passes[-1]}" if n > 1 else "")
        return f"{n} autograd.grad() pass{'es' if n != 1 else ''} inside ({span})"


def transform_folds(transforms: list, passes: list, cols: Columns,
                    free=None) -> list[TransformFold]:
    """The folds of the record's transform calls (record.transforms), in
    run order; ``free(seq)``: whether a node may still fold (not already in
    another summary). A call with too little inside to fold has none."""
    count = len(cols.kind)
    if not transforms or not count:
        return []
    last_use = _last_uses(cols)
    shown = set(cols.finals).union(cols.errors)
    out = []
    for k, span in enumerate(transforms):
        first, stop = span["first"], min(span["stop"], count)
        if stop - first < FOLD_MIN:
            continue
        own = set()
        for a, b in span["own"]:
            own.update(range(a, b))
        # what was made for the function before it ran stays: folded, it
        # would draw box -> function -> box, a loop
        feeds = _made_for(cols.in_seqs, own, first)
        members = [s for s in range(first, stop - 1)
                   if s not in own and s not in feeds and last_use[s] < stop
                   and s not in shown and (free is None or free(s))]
        if len(members) < FOLD_MIN:
            continue
        inside = [ev["pass"] for ev in passes
                  if ev["roots"] and all(first <= r < stop for r in ev["roots"])]
        out.append(TransformFold(k + 1, span["kind"], members, inside, stop - 1))
    return out


def _made_for(in_seqs: list, own: set, first: int) -> set:
    """The seqs from ``first`` on, made before the first of ``own``, that
    the nodes of ``own`` were computed from (a walk, no recursion)."""
    if not own:
        return set()
    lo = min(own)
    found: set = set()
    todo = [a for s in own for a in in_seqs[s] if first <= a < lo]
    while todo:
        a = todo.pop()
        if a not in found:
            found.add(a)
            todo.extend(b for b in in_seqs[a] if first <= b < lo)
    return found


def _last_uses(cols: Columns) -> list:
    """Per seq, the last seq that uses it (an op's input, the source of a
    detached copy or a .grad tensor), or -1."""
    last = [-1] * len(cols.kind)
    for t, ins in enumerate(cols.in_seqs):
        for a in ins:
            last[a] = t
    for t, a in chain(cols.detached.items(), cols.grad_of.items()):
        last[a] = max(last[a], t)
    return last


__all__ = ["TRANSFORM_WORDS", "TransformFold", "transform_folds"]
