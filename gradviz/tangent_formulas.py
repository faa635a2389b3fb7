"""PyTorch's forward-mode formulas run as recorded ops, for a tangent that
keeps a graph where the double-backward trick leaves it none.

forward_ad computes a tangent with a graph by the double-backward trick,
whose graph reaches the primals only through second derivatives: a tangent
linear in the duals (d * 3, d @ W, (d * 3).sum()) comes out without one. PyTorch
runs each op's JVP formula on tensors, and its formulas read the primals:
mul's is other_t * self_p + self_t * other_p (a missing tangent: zeros), so
the tangent of d * 3 has a graph (AddBackward0) that reaches d's primal,
which sends it zeros. Here the formulas of the ops that such chains are
made of run as gradviz ops, op after op, from the duals' tangents; an op
without a formula here gives up (None), and the trick's tangent stands.
"""
from __future__ import annotations

import numpy as np

from .ops import OPS
from .tensor import Tensor

# ops whose JVP is the op itself run on the tangents (a missing tangent of
# an input it differentiates: zeros), PyTorch's formula for them too, so the
# tangent's grad_fn is the op's (SumBackward0, ViewBackward0, CopySlices)
LINEAR_OPS = frozenset({
    "view", "reshape", "flatten", "index", "t", "transpose", "permute", "unsqueeze", "squeeze",
    "expand", "flip", "roll", "repeat", "diagonal", "tril", "triu", "cat", "stack", "sum",
    "mean", "cumsum", "neg", "add", "sub", "rsub", "where", "masked_scatter", "setitem",
    "clone"})

# in-place ops whose formula runs in place on the old tangent, named as the
# op (masked_scatter_: MaskedScatterBackward0; a write x[i] = v through a
# view: CopySlices); the others copy their new tangent into the old one
OWN_INPLACE = frozenset({"setitem", "masked_scatter"})

# matrix products, whose formula is A_t @ B_p + A_p @ B_t
PRODUCT_OPS = frozenset({"matmul", "mm", "mv", "dot", "outer"})


class _Primal:
    """The node a formula reads a primal that requires grad through: a dual
    level's _fw_primal (torch::autograd::Identity), torch.func.jvp's
    unwrapping (AliasBackward0)."""
    grad_fn = "Identity"
    # torch.func.jvp's: the tensors that require grad only because the
    # transform's inputs do here (PyTorch's dual inputs do not): read
    # without a graph
    plain = frozenset()


def formula_tangent(rt, t: Tensor, order: list, known: dict, fallback=None,
                    primal_grad_fn: str = "Identity", plain=frozenset()) -> Tensor | None:
    """t's tangent by PyTorch's formulas run as recorded ops over order (the
    ops from the tensors known has tangents of: known maps tensor ->
    tangent), or None when an op of order has no formula here and no
    fallback(rt, n, ins) gives its tangent from its inputs' (ins)."""
    # (an op with an integer or bool result, a comparison, has no tangent)
    order = [n for n in order if n.data.dtype.kind in "fc"]
    if fallback is None and any(n.op.name not in FORMULAS for n in order):
        return None
    held = _Primal.grad_fn, _Primal.plain
    _Primal.grad_fn, _Primal.plain = primal_grad_fn, plain
    try:
        return _run_formulas(rt, t, order, known, fallback)
    finally:
        _Primal.grad_fn, _Primal.plain = held


def _run_formulas(rt, t: Tensor, order: list, known: dict, fallback) -> Tensor | None:
    tangents = dict(known)
    inplace = rt.tape.versions.inplace_nodes
    for n in order:
        ins = [tangents.get(a) if a.__class__ is Tensor else None for a in n.args]
        if all(v is None for v in ins):
            continue
        old = ins[0]
        copies = n.seq in inplace and n.op.name not in OWN_INPLACE and old is not None
        if copies and old.requires_grad:
            # (PyTorch's in-place formula reads a clone of the tangent it
            # then overwrites: CloneBackward0)
            ins[0] = rt.apply(OPS["clone"], (old,))
        tangent = FORMULAS.get(n.op.name, fallback)(rt, n, ins)
        if tangent is None:
            return None
        if copies:
            # PyTorch's in-place op copies the new tangent into the old one
            # (CopyBackwards, when either has a graph)
            tangent = _copied(rt, old, tangent)
        tangents[n] = tangent
    return tangents.get(t)


def _zeros(rt, a):
    from .functions import FUNCTIONS
    return FUNCTIONS["zeros_like"](rt, a)


def _or_zeros(rt, a, tangent):
    """a's tangent, or what PyTorch stands in for a missing one: zeros
    (a 0-d tensor for a number: a tensor input of the op, first where it
    is first)."""
    if tangent is not None:
        return tangent
    if a.__class__ is Tensor:
        return _zeros(rt, a)
    return rt.tape.add(Tensor(np.zeros((), np.float32)), rt.span, label="tangent")


def primal(rt, a):
    """a as a formula reads it: through PyTorch's alias of the primal when
    it requires grad (the tangent's graph shows that node before a's)."""
    if a.__class__ is not Tensor or not a.requires_grad:
        return a
    if a in _Primal.plain:
        from .functions import f_detach
        return f_detach(rt, a)
    primal = alias(rt, a, _Primal.grad_fn)
    if rt.dual_tangents is not None:
        # (PyTorch's primal has no tangent: a gradient that reads it, a
        # backward of the tangent's, has none from it)
        rt.dual_tangents[primal] = None
    return primal


def primals_read(n: Tensor) -> frozenset:
    """The positions of n's inputs whose primals PyTorch's JVP formula for
    n's op reads, as its backward saves them (sin's self: self_t *
    self_p.cos(); exp reads its result, self_t * result, and no input)."""
    from .gradfns import SAVED
    entry = SAVED.get(n.grad_fn_name)
    if entry is None:
        return frozenset()
    names = entry[1]
    return frozenset(i for i, name in enumerate(("_saved_self", "_saved_other")) if name in names)


def has_graph(a) -> bool:
    """a requires grad, and not only as one of _Primal.plain."""
    return a.__class__ is Tensor and a.requires_grad and a not in _Primal.plain


def alias(rt, a: Tensor, grad_fn: str) -> Tensor:
    """a viewed whole, its node named grad_fn."""
    return rt.apply(OPS["index"], (a,), {"index": (Ellipsis,), "advanced": False,
                                         "grad_fn": grad_fn})


def _linear(rt, n: Tensor, ins: list) -> Tensor:
    """The op on the tangents; the inputs it does not differentiate (a
    condition, indices) as they are."""
    op = n.op
    args = tuple(a if (op.jvp[0] if op.variadic else op.jvp[i]) is None else _or_zeros(rt, a, v)
                 for i, (a, v) in enumerate(zip(n.args, ins)))
    return rt.apply(op, args, n.params)


def _mul(rt, n: Tensor, ins: list) -> Tensor:
    """other_t * self_p + self_t * other_p."""
    (a, b), (ta, tb) = n.args, ins
    mul = OPS["mul"]
    return rt.apply(OPS["add"], (rt.apply(mul, (_or_zeros(rt, b, tb), primal(rt, a))),
                                 rt.apply(mul, (_or_zeros(rt, a, ta), primal(rt, b)))))


def _div(rt, n: Tensor, ins: list) -> Tensor:
    """(self_t - other_t * result) / other_p."""
    (a, b), (ta, tb) = n.args, ins
    top = rt.apply(OPS["sub"], (_or_zeros(rt, a, ta),
                                rt.apply(OPS["mul"], (_or_zeros(rt, b, tb), n))))
    return rt.apply(OPS["div"], (top, primal(rt, b)))


def _rdiv(rt, n: Tensor, ins: list) -> Tensor:
    """a / x as PyTorch computes it, reciprocal(x) * a: mul's formula with
    reciprocal's tangent -x_t * (r * r)."""
    (a, x), (_, tx) = n.args, ins
    mul = OPS["mul"]
    r = rt.apply(OPS["rdiv"], (1.0, x))
    r_t = rt.apply(mul, (rt.apply(OPS["neg"], (_or_zeros(rt, x, tx),)), rt.apply(mul, (r, r))))
    return rt.apply(OPS["add"], (rt.apply(mul, (0.0, r)), rt.apply(mul, (r_t, a))))


def _product(rt, n: Tensor, ins: list) -> Tensor | None:
    """A_t @ B_p + A_p @ B_t; a vector times a matrix as PyTorch's matmul
    computes it, the product of the unsqueezed vector squeezed at the end
    (SqueezeBackward4): here one product of the two stacked side by side."""
    (a, b), (ta, tb) = n.args, ins
    ta, tb = _or_zeros(rt, a, ta), _or_zeros(rt, b, tb)
    op = n.op
    if op.name == "matmul" and a.data.ndim == 1 and b.data.ndim == 2:
        cat = OPS["cat"]
        return rt.apply(op, (rt.apply(cat, (ta, a), {"dim": 0}),
                             rt.apply(cat, (b, tb), {"dim": 0})))
    # (C++ evaluates the second term first: its dtype error is PyTorch's)
    right = rt.apply(op, (primal(rt, a), tb), n.params)
    return rt.apply(OPS["add"], (rt.apply(op, (ta, primal(rt, b)), n.params), right))


def _addcmul(rt, n: Tensor, ins: list) -> Tensor:
    """self_t + value * (tensor1_t * tensor2_p) + value * (tensor2_t * tensor1_p)
    (PyTorch's maybe_multiply: no product for value 1)."""
    (a, t1, t2), (ta, t1t, t2t) = n.args, ins
    value = n.params.get("value", 1)
    mul, add = OPS["mul"], OPS["add"]

    def scaled(x):
        return x if value == 1 else rt.apply(mul, (x, value))
    left = rt.apply(add, (_or_zeros(rt, a, ta),
                          scaled(rt.apply(mul, (_or_zeros(rt, t1, t1t), primal(rt, t2))))))
    return rt.apply(add, (left, scaled(rt.apply(mul, (_or_zeros(rt, t2, t2t),
                                                      primal(rt, t1))))))


def _addmm(rt, n: Tensor, ins: list) -> Tensor:
    """maybe_multiply(self_t, beta) + maybe_multiply(mat1_t @ mat2_p, alpha)
    + maybe_multiply(mat1_p @ mat2_t, alpha) (F.linear's one node on a
    2-d input: AddBackward0 over the bias's zeros and the products)."""
    (s, a, b), (ts, ta, tb) = n.args, ins
    from .higher_order import _scaled
    beta, alpha = n.params.get("beta", 1), n.params.get("alpha", 1)
    mm, add = OPS["mm"], OPS["add"]

    def scaled(x, k):        # (a C++ Scalar: MulBackward1)
        return x if k == 1 else _scaled(rt, "mul", x, k)
    left = rt.apply(add, (scaled(_or_zeros(rt, s, ts), beta),
                          scaled(rt.apply(mm, (_or_zeros(rt, a, ta), primal(rt, b))), alpha)))
    return rt.apply(add, (left, scaled(rt.apply(mm, (primal(rt, a), _or_zeros(rt, b, tb))),
                                       alpha)))


def _einsum(rt, n: Tensor, ins: list) -> Tensor:
    """einsum is linear in each operand: the sum over operands of the
    einsum with that one's tangent in its place. PyTorch contracts a pair
    with a bmm, whose tangent is A_t @ B_p + A_p @ B_t, and ends with the
    bmm's view (ViewBackward0): here, for a pair with a label both sum
    over, one einsum of the operands stacked along it ([A_t, A_p] with
    [B_p, B_t]), the einsum node standing for PyTorch's steps as the
    primal's does."""
    from .ops.einsum import parse
    xs = n.args
    ts = [_or_zeros(rt, a, t) for a, t in zip(xs, ins)]
    ps = [primal(rt, a) for a in xs]
    if len(xs) == 1:
        return rt.apply(n.op, (ts[0],), n.params)
    labels, out, _ = parse(n.params["equation"], [a.data.shape for a in xs])
    if len(xs) == 2:
        (la, lb), (a, b) = labels, xs
        for c in la:
            if c in out or la.count(c) != 1 or lb.count(c) != 1:
                continue
            i, j = la.index(c), lb.index(c)
            if a.data.shape[i] == b.data.shape[j]:
                cat = OPS["cat"]
                return rt.apply(n.op, (rt.apply(cat, (ts[0], ps[0]), {"dim": i}),
                                       rt.apply(cat, (ps[1], ts[1]), {"dim": j})), n.params)
    terms = [rt.apply(n.op, tuple(ts[k] if k == i else ps[k] for k in range(len(xs))), n.params)
             for i in range(len(xs))]
    total = terms[0]
    for term in terms[1:]:
        total = rt.apply(OPS["add"], (total, term))
    return total


def _copied(rt, old: Tensor, tangent: Tensor) -> Tensor:
    """old.copy_(tangent) as a new tensor: old's graph is cut there (CopyBackwards
    sends it zeros), as its value is."""
    if not (old.requires_grad or tangent.requires_grad):
        return tangent
    whole = (slice(None),) * tangent.data.ndim
    return rt.apply(OPS["setitem"], (old, tangent),
                    {"index": whole, "advanced": False, "grad_fn": "CopyBackwards"})


FORMULAS = {**dict.fromkeys(LINEAR_OPS, _linear), **dict.fromkeys(PRODUCT_OPS, _product),
            "mul": _mul, "div": _div, "rdiv": _rdiv, "addcmul": _addcmul, "einsum": _einsum,
            "addmm": _addmm}
