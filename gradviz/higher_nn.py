"""create_graph=True rules of the nn ops: the normalizations, einsum,
embedding, F.pad, the activations, the upsamplings, adaptive_max_pool2d,
soft_margin_loss, with the gradient's node named as PyTorch's.

Where PyTorch records one ...BackwardBackward0 node whose own derivative
is a C++ formula (layer_norm's, batch_norm's, prelu's), the gradient is
written here with registry ops and its last node takes PyTorch's name: the
values and every higher derivative follow from the ops' own rules. The
others are one backward op (ops/nn_backward.py).

Rules as in higher_order.GRAPH_VJPS: rule(rt, g, node, i) -> Tensor.
"""
from __future__ import annotations


from .higher_order import (_const, _one_minus, _op, _r_act_backward, _r_act_backward_backward,
                           _scaled, _x)
from .higher_conv import _r_linear_backward, _r_pool
from .higher_losses import _r_loss
from .ops.einsum import parse
from .ops.norm import _bn_mean_rstd, _bn_shape


def _named(t, name: str):
    """t with PyTorch's name for the node that made it."""
    if t.recorded:
        t.meta = {**(t.meta or {}), "grad_fn_name": name}
    return t


# ---- layer_norm and batch_norm ---------------------------------------------------

def _standardized(rt, x, axes: tuple, eps: float):
    """(x - mean) / sqrt(var + eps) over axes, and 1 / sqrt(var + eps), as graph ops."""
    mean = _op(rt, "mean", x, dim=axes, keepdim=True)
    centered = _op(rt, "sub", x, mean)
    var = _op(rt, "mean", _op(rt, "mul", centered, centered), dim=axes, keepdim=True)
    rstd = _op(rt, "rsqrt", _scaled(rt, "add", var, eps))
    return _op(rt, "mul", centered, rstd), rstd


def _norm_grad(rt, g, node, i, axes, param_axes, param_view, stats):
    """Gradient i of a normalization (input, then weight and bias as
    p["affine"] has them): rstd (h - mean(h) - xhat mean(h xhat)), h = g w,
    over axes in training (h rstd with the running statistics), g xhat
    and g summed over param_axes for the weight and the bias."""
    x = node.args[0]
    affine = node.params.get("affine", "")
    role = ("x",) + tuple(affine)
    xhat, rstd = stats()
    if role[i] == "b":
        return _op(rt, "sum", g, dim=param_axes, keepdim=False)
    if role[i] == "w":
        return _op(rt, "sum", _op(rt, "mul", g, xhat), dim=param_axes, keepdim=False)
    h = g if "w" not in affine else _op(rt, "mul", g, param_view(node.args[1]))
    if not node.params.get("training", True):
        return _op(rt, "mul", h, rstd)
    return _standardized_grad(rt, h, xhat, rstd, axes) if x.data.size else h


def _standardized_grad(rt, h, xhat, rstd, axes: tuple):
    """The gradient through xhat = (x - mean) * rstd over axes of h, xhat's:
    rstd (h - mean(h) - xhat mean(h xhat))."""
    mean_h = _op(rt, "mean", h, dim=axes, keepdim=True)
    mean_hx = _op(rt, "mean", _op(rt, "mul", h, xhat), dim=axes, keepdim=True)
    inner = _op(rt, "sub", _op(rt, "sub", h, mean_h), _op(rt, "mul", xhat, mean_hx))
    return _op(rt, "mul", rstd, inner)


def _r_layer_norm(rt, g, node, i):
    x = _x(node)
    k = node.params["dims"]
    axes = tuple(range(x.data.ndim - k, x.data.ndim))
    out = _norm_grad(rt, g, node, i, axes, tuple(range(x.data.ndim - k)), lambda w: w,
                     lambda: _standardized(rt, x, axes, node.params["eps"]))
    return _named(out, "NativeLayerNormBackwardBackward0")


def _r_batch_norm(rt, g, node, i):
    x = _x(node)
    axes = (0,) + tuple(range(2, x.data.ndim))
    shape = _bn_shape(x.data)

    def stats():
        if node.params["training"]:
            return _standardized(rt, x, axes, node.params["eps"])
        # eval: the running statistics, constants of the graph
        mean, rstd = _bn_mean_rstd([a.data for a in node.args], node.params)
        rstd = _const(rt, rstd.reshape(shape), "rstd")
        return _op(rt, "mul", _op(rt, "sub", x, _const(rt, mean.reshape(shape), "mean")),
                   rstd), rstd

    out = _norm_grad(rt, g, node, i, axes, axes,
                     lambda w: _op(rt, "view", w, shape=shape), stats)
    return _named(out, "NativeBatchNormBackwardBackward0")


def _r_group_norm(rt, g, node, i):
    """group_norm's gradient as layer_norm's over each sample's groups (x
    viewed as (N, G, rest)), then viewed back: PyTorch's composite, which ends
    in ViewBackward0 for each of the three."""
    x = _x(node)
    shape = x.data.shape
    affine = node.params["affine"]
    role = ("x",) + tuple(affine)
    channel = (1, shape[1]) + (1,) * (x.data.ndim - 2)
    grouped = (shape[0], node.params["groups"], -1)
    xhat, rstd = _standardized(rt, _op(rt, "view", x, shape=grouped), (2,), node.params["eps"])
    if role[i] != "x":
        part = g if role[i] == "b" else _op(rt, "mul", g, _op(rt, "view", xhat, shape=shape))
        axes = (0,) + tuple(range(2, x.data.ndim))
        total = _op(rt, "sum", part, dim=axes, keepdim=False)
        return _op(rt, "view", total, shape=(shape[1],))
    h = g if "w" not in affine else _op(rt, "mul", g, _op(rt, "view", node.args[1], shape=channel))
    dx = _standardized_grad(rt, _op(rt, "view", h, shape=grouped), xhat, rstd, (2,))
    return _op(rt, "view", dx, shape=shape)


# ---- einsum ------------------------------------------------------------------------

def _r_einsum(rt, g, node, i):
    """Operand i's gradient: einsum of g and the other operands onto its
    labels, spread along the labels only it has (summed in the forward),
    and a repeated label's values written onto the diagonal they came from."""
    xs = node.args
    ins, out, sizes = parse(node.params["equation"], [a.data.shape for a in xs])
    mine = ins[i]
    others = [(a, labels) for j, (a, labels) in enumerate(zip(xs, ins)) if j != i]
    known = set(out).union(*(labels for _, labels in others))
    # (a diagonal's label last, where diagonal() puts it)
    twice = [c for c in dict.fromkeys(mine) if mine.count(c) == 2]
    target = [c for c in mine if c not in twice] + twice
    keep = "".join(c for c in target if c in known)
    spec = ",".join(["".join(out)] + ["".join(labels) for _, labels in others]) + "->" + keep
    gi = _op(rt, "einsum", g, *(a for a, _ in others), equation=spec)
    if len(keep) < len(target):
        gi = _op(rt, "reshape", gi, shape=tuple(sizes[c] if c in keep else 1 for c in target))
        gi = _op(rt, "expand", gi, shape=tuple(sizes[c] for c in target))
    if twice:       # PyTorch's DiagonalBackwardBackward0
        d1, d2 = (k for k, c in enumerate(mine) if c == twice[0])
        gi = _op(rt, "diagonal_backward", gi, shape=tuple(sizes[c] for c in mine), offset=0,
                 dim1=d1, dim2=d2)
    from .higher_order import _sum_to     # (defined after the rules' import)
    gi = _sum_to(rt, gi, xs[i].data.shape)     # (its dims of size 1 that broadcast)
    if twice:
        return gi
    # PyTorch's einsum ends each operand's gradient with the inverse of its
    # first step: an unsqueeze to the labels it lacks, else a permute
    every = set().union(*ins)
    lacks = len(ins) > 1 and len(mine) < len(every)
    return _named(gi, "SqueezeBackward1" if lacks else "PermuteBackward0")


def _einsum_diagonal(node):
    ins, _, _ = parse(node.params["equation"], [a.data.shape for a in node.args])
    for labels in ins:
        counts = [labels.count(c) for c in set(labels)]
        if max(counts, default=1) > 2 or counts.count(2) > 1:
            return " with a label three times in an operand, or two repeated labels"
    return None


def _r_bilinear(rt, g, node, i):
    # F.bilinear's product: each input's gradient is the product of g and the
    # other two, PyTorch's TrilinearBackward0 again
    from .ops.trilinear import _VJP_SPECS
    others = [a for k, a in enumerate(node.args) if k != i]
    return _named(_op(rt, "einsum", g, *others, equation=_VJP_SPECS[i]), "TrilinearBackward0")


# ---- prelu -------------------------------------------------------------------------

def _r_prelu(rt, g, node, i):
    """PyTorch's PreluKernelBackwardBackward0: where(x > 0, g, w g) for x,
    where(x > 0, 0, x g) summed over all but the channel for w."""
    x, w = node.args
    above = _const(rt, x.data > 0, "mask")
    one = w.data.size == 1
    if i == 0:
        wb = _op(rt, "view", w, shape=() if one else _channel(x, w))
        return _named(_op(rt, "where", above, g, _op(rt, "mul", wb, g)),
                      "PreluKernelBackwardBackward0")
    part = _named(_op(rt, "where", above, 0.0, _op(rt, "mul", x, g)),
                  "PreluKernelBackwardBackward0")
    axes = tuple(d for d in range(x.data.ndim) if one or d != 1)
    total = _op(rt, "sum", part, dim=axes or None, keepdim=False)
    return _op(rt, "view", total, shape=w.data.shape)


def _channel(x, w):
    return (1, w.data.size) + (1,) * (x.data.ndim - 2)


# ---- the rest: one op each -----------------------------------------------------------

def _r_threshold(rt, g, node, i):
    return _op(rt, "threshold_backward", g, _x(node), threshold=node.params["threshold"])


def _r_glu(rt, g, node, i):
    return _op(rt, "glu_backward", g, _x(node), dim=node.params["dim"])


def _halves(rt, t, dim: int):
    """t's two halves along dim, as slices (glu's a and b)."""
    n = t.data.shape[dim] // 2
    lead = (slice(None),) * dim
    return [_op(rt, "index", t, index=lead + (part,), advanced=False, grad_fn="SliceBackward0")
            for part in (slice(0, n), slice(n, 2 * n))]


def _r_glu_backward(rt, gg, node, i):
    """glu_backward(g, x)'s gradients as ops (a third derivative of glu):
    by g glu's JVP of gg, sigmoid(b) gg_a + s' a gg_b; by x g times glu's
    second derivative, s' g gg_b for a, s' g gg_a + s' (1 - 2 s) a g gg_b for b
    (s = sigmoid(b), s' = s (1 - s))."""
    g, x = node.args
    dim = node.params["dim"]
    a, b = _halves(rt, x, dim)
    ga, gb = _halves(rt, gg, dim)
    s = _op(rt, "sigmoid", b)
    ds = _op(rt, "mul", s, _one_minus(rt, s))
    if i == 0:
        return _op(rt, "add", _op(rt, "mul", ga, s), _op(rt, "mul", _op(rt, "mul", gb, ds), a))
    g_gb = _op(rt, "mul", g, gb)
    da = _op(rt, "mul", ds, g_gb)
    curve = _op(rt, "mul", ds, _one_minus(rt, _scaled(rt, "mul", s, 2)))
    db = _op(rt, "add", _op(rt, "mul", ds, _op(rt, "mul", g, ga)),
             _op(rt, "mul", _op(rt, "mul", curve, a), g_gb))
    return _op(rt, "cat", da, db, dim=dim)


def _r_safe_softmax(rt, g, node, i):
    # PyTorch's gradient is softmax's: SoftmaxBackwardDataBackward0
    return _op(rt, "softmax_backward_data", g, node, dim=node.params["dim"])


def _r_pad(rt, g, node, i):
    # the padding cut off: constant_pad_nd with the pads negated (PyTorch's node)
    return _op(rt, "constant_pad_nd", g, pad=tuple(-q for q in node.params["pad"]))


def _r_embedding(rt, g, node, i):
    weight, idx = node.args
    return _op(rt, "embedding_backward", g, idx, rows=weight.data.shape[0],
               **{k: v for k, v in node.params.items() if k == "padding_idx"})


def _r_embedding_backward(rt, gg, node, i):
    # linear in g: the incoming gradient's rows at the indices
    out = _op(rt, "embedding", gg, node.args[1])
    pad = node.params.get("padding_idx")
    if pad is None:
        return out
    kept = _const(rt, (node.args[1].data != pad)[..., None], "mask")
    return _op(rt, "where", kept, out, 0.0)


def _r_sdpa_flash(rt, g, node, i):
    # PyTorch's node for the fused attention's gradients has no derivative
    # (NotImplemented): made here, refused when differentiated again
    return _op(rt, "sdpa_flash_backward", g, *node.args, output=i, **node.params)


NN_VJPS = {
    "layer_norm": _r_layer_norm, "batch_norm": _r_batch_norm, "group_norm": _r_group_norm,
    "einsum": _r_einsum, "bilinear": _r_bilinear,
    "prelu": _r_prelu, "threshold": _r_threshold, "glu": _r_glu,
    "glu_backward": _r_glu_backward,
    "safe_softmax": _r_safe_softmax, "constant_pad_nd": _r_pad,
    "embedding": _r_embedding, "embedding_backward": _r_embedding_backward,
    "elu_scaled": _r_act_backward, "rrelu": _r_act_backward,
    "elu_scaled_backward": _r_act_backward_backward, "rrelu_backward": _r_act_backward_backward,
    "upsample_nearest": _r_pool, "upsample_linear": _r_pool, "adaptive_max_pool2d": _r_pool,
    "adaptive_max_pool3d": _r_pool,
    "upsample_nearest_backward": _r_linear_backward,
    # (F.pad's reflect and replicate modes: their backward, then its padding of gg)
    "reflection_pad": _r_pool, "replication_pad": _r_pool,
    "reflection_pad_backward": _r_linear_backward, "replication_pad_backward": _r_linear_backward,
    "upsample_linear_backward": _r_linear_backward,
    "soft_margin_loss": _r_loss, "sdpa_flash": _r_sdpa_flash,
}

# a third derivative through elu_scaled's backward by x is not recorded;
# soft_margin_loss's target is no input of PyTorch's gradient
NN_ONLY_INPUTS = {"elu_scaled_backward": (0,), "soft_margin_loss": (0,)}

NN_REFUSALS = {"einsum": _einsum_diagonal}
