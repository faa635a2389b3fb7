"""torch.einsum: the equation parsed and checked in PyTorch's words, the
value computed in PyTorch's way (operands multiplied left to right, each
pair's contraction one batched matrix product), one node on the tape."""
from __future__ import annotations

import math

import numpy as np

from ..errors import GradvizError, RUNTIME
from .linalg import _bmm
from .registry import SAME, defop
from .summation import _ilp_sum, torch_sum

# PyTorch's label order (string.ascii_uppercase + ascii_lowercase, written
# out: importing string, for its Template's regex, cost every start-up)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HINT = ("an equation names each operand's dims with letters, operands separated by commas, "
        "then optionally -> and the output's letters: 'ij,jk->ik'")


def _fail(msg, hint=HINT):
    raise GradvizError("einsum(): " + msg, kind=RUNTIME, hint=hint)


def _parse_side(text, start, what):
    """The labels of one side (an operand or the output): a list of letters
    and at most one "..." (kept as "."), as PyTorch reads them."""
    labels, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == ".":
            if text[i:i + 3] != "...":
                _fail(f"found '.' for {what} that is not part of any ellipsis"
                      + (" (...)" if what == "output" else ""),
                      hint="an ellipsis is three dots: '...ij,...jk->...ik'")
            if "." in labels:
                _fail(f"found '.' for {what} for which an ellipsis was already found",
                      hint="each operand may have one ellipsis")
            labels.append(".")
            i += 3
            continue
        if ch != " ":
            if ch not in LETTERS:
                _fail(f"invalid subscript given at index {start + i} in the equation string, "
                      "subscripts must be in [a-zA-Z]")
            labels.append(ch)
        i += 1
    return labels


def parse(equation: str, shapes: list) -> tuple[list[str], str, dict]:
    """Each operand's labels (an ellipsis's dims given letters of their own,
    unused in the equation), the output's, and each label's size, with
    PyTorch's errors (in its order) for an equation that does not fit."""
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    operands, start = [], 0
    for part in lhs.split(","):
        operands.append(_parse_side(part, start, f"operand {len(operands)}"))
        start += len(part) + 1
    if len(operands) > len(shapes):
        _fail("fewer operands were provided than specified in the equation",
              hint=f"the equation names {len(operands)} operands; give one tensor for each")
    if len(operands) < len(shapes):
        _fail("more operands were provided than specified in the equation",
              hint=f"the equation names {len(operands)} operands; give one tensor for each")
    free = [c for c in LETTERS if c not in equation]
    ell_dims = max((len(s) - len(o) + 1 for o, s in zip(operands, shapes) if "." in o), default=0)
    ellipsis = free[:ell_dims]                     # its dims' letters, leftmost first
    sizes, ins = {}, []
    for k, (labels, shape) in enumerate(zip(operands, shapes)):
        n = len(labels) - ("." in labels)
        if "." not in labels and n != len(shape):
            _fail(f"the number of subscripts in the equation ({n}) does not match the number "
                  f"of dimensions ({len(shape)}) for operand {k} and no ellipsis was given",
                  hint=f"operand {k} has shape {list(shape)}: name each of its dims once")
        if n > len(shape):
            _fail(f"the number of subscripts in the equation ({n}) is more than the number of "
                  f"dimensions ({len(shape)}) for operand {k}",
                  hint=f"operand {k} has shape {list(shape)}")
        if "." in labels:
            at = labels.index(".")
            mine = ellipsis[ell_dims - (len(shape) - n):] if len(shape) > n else []
            labels = labels[:at] + mine + labels[at + 1:]
        own = {}
        for c, s in zip(labels, shape):
            if own.setdefault(c, s) != s:
                _fail(f"subscript {c} is repeated for operand {k} but the sizes don't match, "
                      f"{s} != {own[c]}", hint="a repeated letter takes a diagonal: its dims "
                                                "must have the same size")
            seen = sizes.get(c, 1)
            if s != 1 and seen != 1 and s != seen:
                if c in ellipsis:
                    _fail(f"dimension {ellipsis.index(c)} covered by ellipsis in operand {k}"
                          f"has size {s} which does not broadcast with previously seen ellipsis "
                          f"with size {seen} for the respective dimension",
                          hint="the dims an ellipsis covers broadcast, compared from the right")
                _fail(f"subscript {c} has size {s} for operand {k} which does not broadcast "
                      f"with previously seen size {seen}",
                      hint=f"every dim named {c} must have the same size (or 1)")
            sizes[c] = max(seen, s) if min(seen, s) != 0 else 0
        ins.append("".join(labels))
    if arrow < 0:      # implicit: the ellipsis's dims, then the letters used once, in order
        counts = "".join(ins)
        out = "".join(ellipsis) + "".join(c for c in LETTERS if c not in ellipsis
                                          and counts.count(c) == 1)
    else:
        out_labels = _parse_side(equation[arrow + 2:], arrow + 2, "output")
        for c in out_labels:
            if c != "." and c not in sizes:
                _fail(f"output subscript {c} does not appear in the equation for any input "
                      "operand", hint="every output letter must name a dim of some operand")
            if c != "." and out_labels.count(c) > 1:
                _fail(f"output subscript {c} appears more than once in the output",
                      hint="for a diagonal, repeat the letter in an operand: 'ii->i'")
        out = "".join(c if c != "." else "".join(ellipsis) for c in out_labels)
    return ins, out, sizes


def _rank(out):
    """PyTorch's order of the labels: the output's first, then the others
    (an ellipsis's dims, then the letters in order)."""
    return lambda c: (0, out.index(c)) if c in out else (1, LETTERS.index(c))


def _diagonal(x, labels):
    """x with repeated labels reduced to their diagonal, and its labels."""
    uniq = "".join(dict.fromkeys(labels))
    if len(uniq) == len(labels):
        return x, labels
    return np.einsum(f"{labels}->{uniq}", x), uniq


def _sum_axes(x, axes):
    """x.sum(axes, keepdim=True) in PyTorch's order where it is known."""
    if not axes:
        return x
    total = torch_sum(x, tuple(axes)) if x.dtype.kind == "f" else None
    return np.sum(x, axis=tuple(axes), keepdims=True) if total is None else total


def _arrange(x, lx, want):
    """x's dims in the order of want; its other dims (all of size 1) dropped."""
    drop = tuple(d for d, c in enumerate(lx) if c not in want)
    x = np.squeeze(x, axis=drop) if drop else x
    rest = [c for c in lx if c in want]
    return x.transpose([rest.index(c) for c in want]) if rest != list(want) else x


def _spread(x, lx, labels):
    """x's dims in the order of labels, with dims of size 1 for those it lacks."""
    mine = [c for c in labels if c in lx]
    x = _arrange(x, lx, mine)
    return x.reshape([x.shape[mine.index(c)] if c in lx else 1 for c in labels])


def _pair(a, la, b, lb, summed, rank):
    """PyTorch's sumproduct_pair: the summed labels one side alone has are
    summed there first; the rest is one bmm of (both, left, summed) by
    (both, summed, right); with nothing to sum, a broadcast multiply."""
    labels = sorted(set(la) | set(lb), key=rank)
    both, left, right, sums, a_alone, b_alone = [], [], [], [], [], []
    for c in labels:
        sa = c in la and a.shape[la.index(c)] != 1
        sb = c in lb and b.shape[lb.index(c)] != 1
        if c in summed:
            if sa and sb:
                sums.append(c)
            elif sa:
                a_alone.append(la.index(c))
            elif sb:
                b_alone.append(lb.index(c))
        else:
            # (a label of size 1 on both sides stays with one that has it)
            (both if sa and sb else left if sa or (not sb and c not in lb) else right).append(c)
    # (each side's own summed dims in one sum)
    a, b = _sum_axes(a, a_alone), _sum_axes(b, b_alone)
    if not [c for c in labels if c in summed]:
        return _spread(a, la, labels) * _spread(b, lb, labels), "".join(labels)
    a3 = _arrange(a, la, both + left + sums)
    b3 = _arrange(b, lb, both + sums + right)
    nb, nl = len(both), len(left)
    batch, m = math.prod(a3.shape[:nb]), math.prod(a3.shape[nb:nb + nl])
    k, n = math.prod(a3.shape[nb + nl:]), math.prod(b3.shape[nb + len(sums):])
    r = _bmm(np.ascontiguousarray(a3).reshape(batch, m, k),
             np.ascontiguousarray(b3).reshape(batch, k, n))
    return r.reshape(a3.shape[:nb + nl] + b3.shape[nb + len(sums):]), "".join(both + left + right)


def einsum_value(xs, equation):
    """The einsum of arrays xs, in PyTorch's order of operations."""
    ins, out, _ = parse(equation, [x.shape for x in xs])
    dtype = np.result_type(*xs)
    rank = _rank(out)
    ops = [_diagonal(np.asarray(x, dtype), labels) for x, labels in zip(xs, ins)]
    last = {c: i for i, labels in enumerate(ins) for c in labels}
    acc, lacc = ops[0]
    if len(ops) == 1:
        axes = [d for d, c in enumerate(lacc) if c not in out]
        if acc.ndim == 1 and axes and lacc != ins[0] and acc.dtype.kind == "f":
            # a trace: PyTorch sums the strided diagonal without vectors
            acc = _ilp_sum(acc[:, None])[0].reshape(1)
        else:       # (torch_sum adds up in memory order, as PyTorch does)
            acc = _sum_axes(acc, axes)
        acc = _arrange(acc, lacc, out)
    for i in range(1, len(ops)):
        summed = {c for c in set(lacc) | set(ops[i][1]) if c not in out and last[c] <= i}
        acc, lacc = _pair(acc, lacc, ops[i][0], ops[i][1], summed, rank)
    if len(ops) > 1:
        acc = _arrange(acc, lacc, out)
    return np.array(acc, dtype, order="K")


def _grad_fn(t):
    """The node PyTorch's einsum ends with (its steps before it are not drawn)."""
    xs = [a.data for a in t.args]
    ins, out, _ = parse(t.params["equation"], [x.shape for x in xs])
    if len(xs) == 1:
        return "SumBackward1" if set(ins[0]) - set(out) else "PermuteBackward0"
    # the last pair is a bmm (then a view) when it sums any label, else a mul
    last = set(ins[-1]) | (set(ins[0]) if len(xs) == 2 else set())
    return "ViewBackward0" if last - set(out) else "MulBackward0"


def _vjp(g, ans, xs, p, i):
    """g contracted with the other operands onto operand i's labels,
    spread along the labels only it has, written onto its diagonals,
    and summed back over the dims it broadcast."""
    ins, out, sizes = parse(p["equation"], [x.shape for x in xs])
    mine = ins[i]
    uniq = "".join(dict.fromkeys(mine))
    others = [(np.broadcast_to(x, [sizes[c] for c in labels]), labels)
              for j, (x, labels) in enumerate(zip(xs, ins)) if j != i]
    known = set(out).union(*(labels for _, labels in others))
    keep = "".join(c for c in uniq if c in known)
    spec = ",".join([out] + [labels for _, labels in others]) + "->" + keep
    dtype = np.result_type(g, *xs)
    part = np.einsum(spec, np.asarray(g, dtype), *(x for x, _ in others))
    part = np.broadcast_to(part.reshape([sizes[c] if c in keep else 1 for c in uniq]),
                           [sizes[c] for c in uniq])
    full = np.zeros([sizes[c] for c in mine], dtype)
    np.einsum(f"{mine}->{uniq}", full)[...] = part     # (a writable view of the diagonal)
    axes = tuple(d for d, s in enumerate(xs[i].shape) if s == 1 and full.shape[d] != 1)
    full = full.sum(axis=axes, keepdims=True) if axes else full
    return full.astype(xs[i].dtype, copy=False) if xs[i].dtype.kind == "f" else full


def _jvp(t, ans, xs, p, i):
    # einsum is linear in each operand: the tangent in operand i's place
    return einsum_value(list(xs[:i]) + [t] + list(xs[i + 1:]), p["equation"])


def _check(xs, p):
    _, out, sizes = parse(p["equation"], [x.shape for x in xs])
    return math.prod(sizes[c] for c in out)


MAX_OPERANDS = 10     # (versions.py names saved inputs by one digit)
defop("einsum", _grad_fn, lambda xs, p: einsum_value(list(xs), p["equation"]),
      vjp=(_vjp,), jvp=(_jvp,),
      # (each operand's gradient reads the others; versions.py reads digits)
      saved=lambda node: tuple("".join(str(j) for j in range(len(node.args)) if j != i)
                               for i in range(len(node.args))),
      formula=("d einsum/d operand = G contracted with the other operands",),
      symbol="einsum", variadic=True, check=_check, dtype_rule=SAME)
