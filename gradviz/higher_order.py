"""Higher-order derivatives: a backward pass recorded as graph ops.

``grad(y, x, create_graph=True)`` and ``y.backward(create_graph=True)`` run
the reverse pass with a second set of VJP rules, written with the ops of the
registry (every multiply and add of the chain rule goes through the tape
like the program's own ops). The gradient is then a node with a grad_fn:
the graph of the gradient computation is itself a graph, which can be drawn
and differentiated again (a second derivative, a third ...).

GRAPH_VJPS maps an op name to ``rule(rt, g, node, i) -> Tensor``: the
gradient of input i of ``node`` given the gradient ``g`` of its output (a
Tensor), before it is summed back to the input's shape. Ops without a rule
raise a GradvizError naming the op before anything is recorded.
"""
from __future__ import annotations

import math

import numpy as np

from . import autodiff, functions
from .errors import RUNTIME, GradvizError
from .forward import backward_graph
from .ops import OPS
from .ops.elementwise import refuse_bool_exponent
from .tensor import Tensor

# PyTorch's names for the backward of an index (what the gradient node shows)
INDEX_BACKWARD_NAMES = {"SelectBackward0": "SelectBackwardBackward0",
                        "SliceBackward0": "SliceBackwardBackward0",
                        "UnsqueezeBackward0": "SqueezeBackward1"}


def _op(rt, name: str, *args, **params) -> Tensor:
    """Apply and record a registry op (the gradient's graph is made of these)."""
    return rt.apply(OPS[name], args, params)


def _scaled(rt, name: str, t: Tensor, number) -> Tensor:
    """t * number or t / number as PyTorch's derivative formulas compute
    them in C++: the Scalar overloads, MulBackward1 and DivBackward1 (a
    program's `x * 2` wraps the number in a tensor: MulBackward0)."""
    out = _op(rt, name, t, number)
    if out.recorded:
        out.meta = {**(out.meta or {}), "grad_fn_name": SCALAR_OVERLOADS[name]}
    return out


SCALAR_OVERLOADS = {"mul": "MulBackward1", "div": "DivBackward1", "add": "AddBackward1",
                    "sub": "SubBackward1"}
SCALAR_NAMES = set(SCALAR_OVERLOADS.values())


def _one_minus(rt, t: Tensor) -> Tensor:
    """1 - t as PyTorch's C++ formulas compute it (a tensor filled with 1,
    then sub: SubBackward0, not a program's RsubBackward1)."""
    return _op(rt, "sub", _const(rt, np.ones_like(t.data), "ones"), t)


def _const(rt, data: np.ndarray, label: str) -> Tensor:
    """A constant of the gradient computation (a mask, a one-hot) on the tape."""
    return rt.tape.add(Tensor(np.asarray(data)), rt.span, label=label)


# the part of a gradient that the rules of a node's inputs share, made for
# the first input in the pass that runs now: (node, g, key, value)
_SHARED_PART: list = [None]


def _shared(node, g, key: str, make):
    """A part of the gradient that PyTorch computes once in the node's
    backward for all its inputs (solve's gB, atan2's reciprocal): made for
    the first input, reused for the next (the pass calls a node's rules one
    input after another with the same g), so the graph has it once."""
    last = _SHARED_PART[0]
    if last is not None and last[0] is node and last[1] is g and last[2] == key:
        return last[3]
    value = make()
    _SHARED_PART[0] = (node, g, key, value)
    return value


def _unsupported(op_name: str, why: str = "") -> GradvizError:
    return GradvizError(f"create_graph=True is not supported through {op_name}{why}",
                        kind=RUNTIME,
                        hint="higher derivatives work through arithmetic, the elementwise "
                             "and special math functions, the activations, the reductions, "
                             "cumsum, softmax, the losses, reshapes, transposes, matmul, "
                             "the convolutions and poolings, the normalizations, einsum, "
                             "embedding, padding, indexing, gathers and scatters, and the "
                             "matrix functions (inv, det, solve, cholesky, eigh, svd ...: the "
                             "README lists them); compute this op's part on .detach()ed "
                             "values, or differentiate once")


# ---- the rules ----------------------------------------------------------------

def _x(node, i=0):
    return node.args[i]


def _r_add(rt, g, node, i):
    return g if i == 0 else _times_alpha(rt, g, node)


def _r_sub(rt, g, node, i):
    return g if i == 0 else _times_alpha(rt, _op(rt, "neg", g), node)


def _r_rsub_alpha(rt, g, node, i):
    # torch.rsub(x, other, alpha) is other - alpha * x: x's gradient -g * alpha
    return _times_alpha(rt, _op(rt, "neg", g), node) if i == 0 else g


def _times_alpha(rt, g, node):
    """other's gradient times add's or sub's alpha: PyTorch's
    maybe_multiply, g itself for alpha 1, else g * alpha (MulBackward1)."""
    alpha = (node.params or {}).get("alpha", 1)
    return g if alpha == 1 else _scaled(rt, "mul", g, alpha)


def _r_neg(rt, g, node, i):
    return _op(rt, "neg", g)


def _scalar_overload(node) -> bool:
    """The node is one of _scaled's (MulBackward1 ...): its own gradient
    is PyTorch's Scalar overload again."""
    return node.meta is not None and node.meta.get("grad_fn_name") in SCALAR_NAMES


def _r_mul(rt, g, node, i):
    if _scalar_overload(node):
        return _scaled(rt, "mul", g, node.args[1])
    return _op(rt, "mul", g, node.args[1 - i])


def _r_div(rt, g, node, i):
    a, b = node.args
    if i == 0:
        return _scaled(rt, "div", g, b) if _scalar_overload(node) else _op(rt, "div", g, b)
    # d(a/b)/db = -g * ((a / b) / b), PyTorch's order (its nodes: the
    # negation of g, then two divisions)
    return _op(rt, "mul", _op(rt, "neg", g), _op(rt, "div", _op(rt, "div", a, b), b))


def _r_pow(rt, g, node, i):
    a, b = node.args
    if i == 0:
        if b.__class__ is not Tensor:
            if b == 0:
                # NOTE: PyTorch: d(a^0)/da is 0 everywhere
                return _op(rt, "mul", g, 0.0)
            # PyTorch's grad * (exponent * self.pow(exponent - 1))
            return _op(rt, "mul", g, _scaled(rt, "mul", _op(rt, "pow", a, b - 1), b))
        # PyTorch's where(exponent == 0, 0, grad * (exponent * self.pow(exponent - 1)))
        refuse_bool_exponent(b.data)
        d = _op(rt, "mul", g, _op(rt, "mul", b, _op(rt, "pow", a, _scaled(rt, "sub", b, 1))))
        return _op(rt, "where", _const(rt, np.asarray(b.data) == 0, "mask"), 0.0, d)
    # d(a^b)/db = a^b log(a)
    if a.__class__ is not Tensor:
        # NOTE: PyTorch masks 0 * log(0): a zero base gives a zero gradient
        log_a = math.log(a) if a > 0 else 0.0 if a == 0 else math.nan
        return _op(rt, "mul", g, _op(rt, "mul", node, log_a))
    # NOTE: PyTorch masks 0 * log(0) where the exponent is >= 0:
    # grad * where(self == 0 & exponent >= 0, 0, result * self.log())
    zero = (a.data == 0) & (np.asarray(b.data) >= 0)
    d = _op(rt, "where", _const(rt, zero, "mask"), 0.0, _op(rt, "mul", node, _op(rt, "log", a)))
    return _op(rt, "mul", g, d)


def _r_exp(rt, g, node, i):
    return _op(rt, "mul", g, node)


def _r_log(rt, g, node, i):
    return _op(rt, "div", g, _x(node))


def _r_sqrt(rt, g, node, i):
    return _op(rt, "div", g, _scaled(rt, "mul", node, 2))     # grad / (2 * result)


def _r_sin(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "cos", _x(node)))


def _r_cos(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "neg", _op(rt, "sin", _x(node))))   # grad * -sin(x)


def _r_tanh(rt, g, node, i):
    # g (1 - y^2) from the output y, one node as in PyTorch
    return _op(rt, "tanh_backward", g, node)


def _r_sigmoid(rt, g, node, i):
    return _op(rt, "sigmoid_backward", g, node)


def _r_tanh_backward(rt, g, node, i):
    grad, y = node.args
    if i == 0:                       # linear in its first input
        return _op(rt, "tanh_backward", g, y)
    return _op(rt, "neg", _op(rt, "mul", _op(rt, "mul", g, grad), _op(rt, "mul", y, 2)))


def _r_sigmoid_backward(rt, g, node, i):
    grad, y = node.args
    if i == 0:
        return _op(rt, "sigmoid_backward", g, y)
    return _op(rt, "mul", _op(rt, "mul", g, grad), _op(rt, "rsub", 1, _op(rt, "mul", y, 2)))


def _r_square(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "mul", _x(node), 2))


def _r_relu(rt, g, node, i):
    # NOTE: relu'(0) = 0, as PyTorch: its threshold_backward(g, y), whose
    # derivative by y is zero (relu'' = 0)
    return _op(rt, "threshold_backward", g, node)


def _r_abs(rt, g, node, i):
    # NOTE: abs'(0) = sgn(0) = 0, as PyTorch's grad * self.sgn()
    return _op(rt, "mul", g, _op(rt, "sgn", _x(node)))


def _r_clamp(rt, g, node, i):
    # PyTorch's where(min <= x <= max, grad, 0)
    from .ops.elementwise import _clamp_mask
    mask = _clamp_mask(_x(node).data, node.params)
    return _op(rt, "where", _const(rt, mask, "mask"), g, 0.0)


def _r_clamp_tensor(rt, g, node, i):
    # PyTorch's clamp_backward_min_max: where(mask, grad, 0), input i's mask
    from .ops.clamp_tensor import MASKS
    mask = MASKS[node.op.name][i](*(a.data for a in node.args))
    return _op(rt, "where", _const(rt, mask, "mask"), g, 0.0)


# ---- the unary functions, with PyTorch's formulas (derivatives.yaml) -------------

def _r_tan(rt, g, node, i):             # grad * (1 + result.pow(2))
    return _op(rt, "mul", g, _scaled(rt, "add", _op(rt, "pow", node, 2), 1))


def _r_log1p(rt, g, node, i):           # grad / (self + 1)
    return _op(rt, "div", g, _scaled(rt, "add", _x(node), 1))


def _r_expm1(rt, g, node, i):           # grad * (result + 1)
    return _op(rt, "mul", g, _scaled(rt, "add", node, 1))


def _r_exp2(rt, g, node, i):            # grad * result * ln 2
    return _scaled(rt, "mul", _op(rt, "mul", g, node), math.log(2))


def _r_reciprocal(rt, g, node, i):      # -grad * (result * result)
    return _op(rt, "mul", _op(rt, "neg", g), _op(rt, "mul", node, node))


def _r_rsqrt(rt, g, node, i):           # -0.5 * grad * result.pow(3)
    return _op(rt, "mul", _scaled(rt, "mul", g, -0.5), _op(rt, "pow", node, 3))


def _r_sinh(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "cosh", _x(node)))


def _r_cosh(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "sinh", _x(node)))


def _r_atan(rt, g, node, i):            # grad / (self * self + 1)
    x = _x(node)
    return _op(rt, "div", g, _scaled(rt, "add", _op(rt, "mul", x, x), 1))


def _one_minus_square_rsqrt(rt, x):
    # (-self * self + 1).rsqrt()
    return _op(rt, "rsqrt", _scaled(rt, "add", _op(rt, "mul", _op(rt, "neg", x), x), 1))


def _r_asin(rt, g, node, i):
    return _op(rt, "mul", g, _one_minus_square_rsqrt(rt, _x(node)))


def _r_acos(rt, g, node, i):
    return _op(rt, "mul", g, _op(rt, "neg", _one_minus_square_rsqrt(rt, _x(node))))


def _r_asinh(rt, g, node, i):           # grad * (self.pow(2) + 1).rsqrt()
    return _op(rt, "mul", g, _op(rt, "rsqrt", _scaled(rt, "add", _op(rt, "pow", _x(node), 2), 1)))


def _r_acosh(rt, g, node, i):           # grad * (self * self - 1).rsqrt()
    x = _x(node)
    return _op(rt, "mul", g, _op(rt, "rsqrt", _scaled(rt, "sub", _op(rt, "mul", x, x), 1)))


def _r_atanh(rt, g, node, i):           # grad / (1 - self.pow(2))
    return _op(rt, "div", g, _one_minus(rt, _op(rt, "pow", _x(node), 2)))


def _r_erf(rt, g, node, i):
    # 2 / sqrt(pi) * exp(-(self.pow(2))) * grad (erfc: -2 / sqrt(pi))
    c = 2 / math.sqrt(math.pi) * (1 if node.op.name == "erf" else -1)
    e = _op(rt, "exp", _op(rt, "neg", _op(rt, "pow", _x(node), 2)))
    return _op(rt, "mul", _scaled(rt, "mul", e, c), g)


def _r_erfinv(rt, g, node, i):          # 0.5 * sqrt(pi) * exp(self.erfinv().pow(2)) * grad
    e = _op(rt, "exp", _op(rt, "pow", _op(rt, "erfinv", _x(node)), 2))
    return _op(rt, "mul", _scaled(rt, "mul", e, 0.5 * math.sqrt(math.pi)), g)


def _r_silu(rt, g, node, i):
    # grad * sigmoid * (1 + x * (1 - sigmoid)), PyTorch's infinitely
    # differentiable form under create_graph
    x = _x(node)
    s = _op(rt, "sigmoid", x)
    return _op(rt, "mul", _op(rt, "mul", g, s),
               _scaled(rt, "add", _op(rt, "mul", x, _one_minus(rt, s)), 1))


def _r_mish(rt, g, node, i):
    # grad * (t + x * sigmoid * (1 - t * t)), t = tanh(log1p(exp(x)))
    x = _x(node)
    s = _op(rt, "sigmoid", x)
    t = _op(rt, "tanh", _op(rt, "log1p", _op(rt, "exp", x)))
    inner = _op(rt, "mul", _op(rt, "mul", x, s), _one_minus(rt, _op(rt, "mul", t, t)))
    return _op(rt, "mul", g, _op(rt, "add", t, inner))


def _r_act_backward(rt, g, node, i):
    """An activation's gradient: its backward op of the registry, one node
    (PyTorch's LeakyReluBackwardBackward0 ...), of (g, x) and its parameters."""
    return _op(rt, f"{node.op.name}_backward", g, _x(node), **node.params)


def _r_act_backward_backward(rt, g, node, i):
    """The backward of an activation's backward op: itself by g (it is
    linear in g); by x zero for the piecewise linear ones (the others' second
    derivative by x is not recorded: ONLY_INPUTS refuses it)."""
    if i == 1:
        return _const(rt, np.zeros_like(node.args[1].data), "zeros")
    return _op(rt, node.op.name, g, node.args[1], **node.params)


def _r_zero(rt, g, node, i):
    # ZeroBackward0 makes zeros: a constant of the gradient's graph
    return _const(rt, np.zeros_like(g.data), "zeros")


def _r_extreme_pair(rt, g, node, i):
    # NOTE: a tie splits the gradient in half, as PyTorch
    a, b = (x.data if x.__class__ is Tensor else x for x in node.args)
    mine, other = (a, b) if i == 0 else (b, a)
    wins = mine > other if node.op.name == "maximum" else mine < other
    share = np.where(wins, 1.0, 0.0) + np.where(a == b, 0.5, 0.0)
    return _op(rt, "mul", g, _const(rt, share.astype(node.data.dtype), "mask"))


def _r_where(rt, g, node, i):
    cond = node.args[0]
    return _op(rt, "where", cond, g, 0.0) if i == 1 else _op(rt, "where", cond, 0.0, g)


def _keepdim(rt, g, node):
    """g of a reduction with the reduced axes put back as size 1."""
    dim = node.params.get("dim")
    if dim is None or node.params.get("keepdim"):
        return g
    for d in sorted(dim):             # PyTorch's unsqueeze_multiple: one node a dim
        g = _op(rt, "unsqueeze", g, dim=d)
    return g


def _r_sum(rt, g, node, i):
    return _op(rt, "expand", _keepdim(rt, g, node), shape=_x(node).data.shape)


def _r_mean(rt, g, node, i):
    x = _x(node).data
    n = x.size // max(node.data.size, 1)
    # PyTorch's grad.expand(sizes) / numel
    return _scaled(rt, "div", _op(rt, "expand", _keepdim(rt, g, node), shape=x.shape), n)


def _r_extreme_all(rt, g, node, i):
    # NOTE: ties share the gradient evenly, as PyTorch's max()/min()
    from .higher_math import evenly_distributed
    x = _x(node).data
    mask = np.isnan(x) if np.isnan(node.data).any() else x == node.data
    return evenly_distributed(rt, g, x, mask)


def _r_prod(rt, g, node, i):
    # PyTorch's grad * (result / input) (its other formulas for zeros in x
    # record other nodes)
    x = _x(node)
    return _op(rt, "mul", _keepdim(rt, g, node), _op(rt, "div", _keepdim(rt, node, node), x))


def _r_cumsum(rt, g, node, i):          # grad.flip(dim).cumsum(dim).flip(dim)
    if g.data.ndim == 0:
        return g
    d = node.params["dim"]
    flipped = _op(rt, "flip", g, dims=(d,))
    return _op(rt, "flip", _op(rt, "cumsum", flipped, **node.params), dims=(d,))


def _var_backward(rt, g, node):
    """PyTorch's var_backward: (2 / (n - correction)) * grad * (x - x.mean(dim))."""
    x = _x(node)
    n = x.data.size // max(node.data.size, 1)
    dim = node.params.get("dim") or None
    scale = 2.0 / (n - node.params["correction"]) if n != node.params["correction"] else math.inf
    mean = _op(rt, "mean", x, dim=dim, keepdim=True) if dim is not None else \
        _op(rt, "mean", x, dim=None, keepdim=False)
    return _op(rt, "mul", _scaled(rt, "mul", _keepdim(rt, g, node), scale),
               _op(rt, "sub", x, mean))


def _r_var(rt, g, node, i):
    return _var_backward(rt, g, node)


def _r_std(rt, g, node, i):
    # grad_var = (grad / (result * 2)).masked_fill_(result == 0, 0)
    grad_var = _op(rt, "div", g, _scaled(rt, "mul", node, 2))
    grad_var = _op(rt, "masked_fill", grad_var, _const(rt, node.data == 0, "mask"), 0)
    return _var_backward(rt, grad_var, node)


def _r_norm(rt, g, node, i):
    x = _x(node)
    if node.params.get("ord") == 1:              # self.sgn() * grad
        return _op(rt, "mul", _op(rt, "sgn", x), _keepdim(rt, g, node))
    # self * (grad / norm).masked_fill_(norm == 0, 0)
    norm = _keepdim(rt, node, node)
    scaled = _op(rt, "div", _keepdim(rt, g, node), norm)
    scaled = _op(rt, "masked_fill", scaled, _const(rt, norm.data == 0, "mask"), 0)
    return _op(rt, "mul", x, scaled)


def _r_bce_logits(rt, g, node, i):
    # PyTorch's binary_cross_entropy_with_logits_backward: sigmoid(x) - target,
    # with pos_weight (pw * t + 1 - t) * sigmoid(x) - pw * t; for the target -x,
    # with pos_weight log_sigmoid(-x) - log_sigmoid(x) * pw; times grad, then
    # the weight, / n for a mean
    x, t = node.args[:2]
    given = dict(zip(node.params.get("weights", ""), node.args[2:]))
    pw, w = given.get("p"), given.get("w")
    if i == 0 and pw is None:
        d = _op(rt, "sub", _op(rt, "sigmoid", x), t)
    elif i == 0:
        pt = _op(rt, "mul", pw, t)
        d = _op(rt, "sub", _op(rt, "mul", _op(rt, "sub", _scaled(rt, "add", pt, 1), t),
                               _op(rt, "sigmoid", x)), pt)
    elif pw is None:
        d = _op(rt, "neg", x)
    else:
        d = _op(rt, "sub", _op(rt, "logsigmoid", _op(rt, "neg", x)),
                _op(rt, "mul", _op(rt, "logsigmoid", x), pw))
    d = _op(rt, "mul", d, g)
    if w is not None:
        d = _op(rt, "mul", d, w)
    return _scaled(rt, "div", d, x.data.size) if node.params["reduction"] == "mean" else d


def _r_reshape(rt, g, node, i):
    if node.meta and node.meta.get("transform_input"):
        return g        # (not an op of PyTorch's graph: see func_transforms._leaf)
    return _op(rt, "reshape", g, shape=_x(node).data.shape)


def _r_squeeze(rt, g, node, i):
    # PyTorch's unsqueeze_to: grad.unsqueeze(d) for each size-1 dim that was
    # squeezed away (UnsqueezeBackward0), the gradient itself when none was
    shape = _x(node).data.shape
    dim = node.params.get("dim")
    dims = range(len(shape)) if dim is None else dim if isinstance(dim, tuple) else (dim,)
    for d in sorted({d % len(shape) for d in dims} if shape else ()):
        if shape[d] == 1:
            g = _op(rt, "unsqueeze", g, dim=d)
    return g


def _r_unsqueeze(rt, g, node, i):
    # PyTorch's grad.squeeze(dim): SqueezeBackward1
    return _op(rt, "squeeze", g, shape=_x(node).data.shape, dim=node.params["dim"])


def _r_transpose(rt, g, node, i):
    return _op(rt, "transpose", g, dims=node.params["dims"])


def _r_permute(rt, g, node, i):
    return _op(rt, "permute", g, dims=tuple(int(d) for d in np.argsort(node.params["dims"])))


def _r_T(rt, g, node, i):
    return _op(rt, "T", g)


def _r_t(rt, g, node, i):
    return _op(rt, "t", g)


def _r_clone(rt, g, node, i):
    return g


def _r_to_dtype(rt, g, node, i):
    dt = _x(node).data.dtype
    return g if g.data.dtype == dt else _op(rt, "to_dtype", g, dtype=dt)


def _r_expand(rt, g, node, i):
    return _sum_to(rt, g, _x(node).data.shape)


def _r_repeat(rt, g, node, i):
    """The copies' gradients summed, with PyTorch's ops (repeat_backward):
    the new leading axes summed one by one, then one reshape to (repeat,
    size) pairs and one sum over the repeats."""
    reps = node.params["reps"]
    x_shape = _x(node).data.shape
    lead = len(reps) - len(x_shape)
    for _ in range(lead):
        g = _op(rt, "sum", g, dim=(0,), keepdim=False)
    split, dims = [], []
    for r, n in zip(reps[lead:], x_shape):
        if r != 1:
            split.append(r)
            dims.append(len(split) - 1)
        split.append(n)
    g = _op(rt, "reshape", g, shape=tuple(split))
    return _op(rt, "sum", g, dim=tuple(dims), keepdim=False) if dims else g


def _r_remainder(rt, g, node, i):
    """d(a % b)/da = 1; d(a % b)/db = -floor(a / b) (a constant of the graph)."""
    if i == 0:
        return g
    a, b = (x.data if x.__class__ is Tensor else x for x in node.args)
    return _op(rt, "mul", _op(rt, "neg", g), _const(rt, np.floor_divide(a, b), "floor(a / b)"))


def _r_index(rt, g, node, i):
    p = node.params
    name = INDEX_BACKWARD_NAMES.get(p["grad_fn"], "IndexPutBackward0")
    # (an expanded view remade after a write repeats positions: they add up)
    return _op(rt, "index_backward", g, index=p["index"],
               advanced=p["advanced"] or p.get("repeats", False),
               grad_fn=name, shape=_x(node).data.shape)


def _r_index_backward(rt, g, node, i):
    p = node.params
    # the index that made it again (select_backward's gradient is a select)
    forward = {v: k for k, v in INDEX_BACKWARD_NAMES.items()}.get(p["grad_fn"], "IndexBackward0")
    return _op(rt, "index", g, index=p["index"], advanced=p["advanced"], grad_fn=forward)


def _r_setitem(rt, g, node, i):
    """y[index] = v: y-before gets g with the written part 0 (the op itself,
    writing 0), v gets the written part of g, summed to v's shape."""
    p = node.params
    if i == 0:
        return _op(rt, "setitem", g, 0.0, index=p["index"], advanced=p["advanced"],
                   grad_fn="CopySlices")
    part = _op(rt, "index", g, index=p["index"], advanced=p["advanced"],
               grad_fn="IndexBackward0" if p["advanced"] else "SliceBackward0")
    v = _x(node, 1)
    if v.__class__ is not Tensor:
        return part
    shape = v.data.shape
    extra = len(shape) - part.data.ndim
    if extra > 0:              # v had leading size-1 dims, which the write dropped
        part = _op(rt, "reshape", part, shape=(1,) * extra + part.data.shape)
    return _sum_to(rt, part, shape)


def _r_cat(rt, g, node, i):
    d = node.params["dim"] % node.data.ndim      # (a negative dim counts from the end)
    xs = node.args
    if node.op.name == "stack":
        index = (slice(None),) * d + (i,)
        return _op(rt, "index", g, index=index, advanced=False, grad_fn="SelectBackward0")
    start = sum(x.data.shape[d] for x in xs[:i])
    index = (slice(None),) * d + (slice(start, start + xs[i].data.shape[d]),)
    return _op(rt, "index", g, index=index, advanced=False, grad_fn="SliceBackward0")


def _swap(rt, t):
    """The last two axes swapped (.T for a matrix)."""
    nd = t.data.ndim
    return _op(rt, "T", t) if nd == 2 else _op(rt, "transpose", t, dims=(nd - 2, nd - 1))


def _column(rt, t):
    """(..., n) -> (..., n, 1): a stack of vectors as a stack of columns."""
    return _op(rt, "reshape", t, shape=t.data.shape + (1,))


def _r_matmul(rt, g, node, i):
    # the cases of matmul: vector·vector, matrix·vector, vector·matrix,
    # matrix·matrix, and with batch dimensions (summed back by _sum_to)
    a, b = node.args
    na, nb = a.data.ndim, b.data.ndim
    if i == 0:
        if na == 1 and nb == 1:
            return _op(rt, "mul", g, b)
        if nb == 1:                                  # (..., m, k) @ (k,)
            return _op(rt, "outer", g, b) if na == 2 else _op(rt, "mul", _column(rt, g), b)
        if na == 1:                                  # (k,) @ (..., k, n)
            if nb == 2:
                return _op(rt, "matmul", b, g)
            gi = _op(rt, "matmul", b, _column(rt, g))
            return _op(rt, "reshape", gi, shape=gi.data.shape[:-1])
        return _mm_grad(rt, g, a, b, 0) if na == 2 and nb == 2 else \
            _op(rt, "matmul", g, _swap(rt, b))
    if na == 1 and nb == 1:
        return _op(rt, "mul", g, a)
    if na == 1:                                      # a[:, None] * g[..., None, :]
        if nb == 2:
            return _op(rt, "outer", a, g)
        row = _op(rt, "reshape", g, shape=g.data.shape[:-1] + (1, g.data.shape[-1]))
        return _op(rt, "mul", _column(rt, a), row)
    if nb == 1:                                      # A^T @ g, vector by vector
        if na == 2:
            return _op(rt, "matmul", _op(rt, "T", a), g)
        gi = _op(rt, "matmul", _swap(rt, a), _column(rt, g))
        return _op(rt, "reshape", gi, shape=gi.data.shape[:-1])
    if na == 2 and nb == 2:
        return _mm_grad(rt, g, a, b, 1)
    return _op(rt, "matmul", _swap(rt, a), g)


def _column_major(t: Tensor) -> bool:
    """A matrix laid out by columns (a transpose, w.t()): PyTorch's mm
    backward then computes its gradient transposed, one more TBackward0."""
    x = t.data
    return x.ndim == 2 and x.strides == (x.itemsize, x.itemsize * x.shape[0])


def _mm_grad(rt, g, mat1, mat2, i):
    """PyTorch's mm_mat1_backward (i == 0) and mm_mat2_backward (i == 1) of
    mat1 @ mat2: grad.mm(mat2.t()) and mat1.t().mm(grad), or, for an input
    laid out by columns, mat2.mm(grad.t()).t() and grad.t().mm(mat1).t()."""
    if i == 0:
        if _column_major(mat1):
            return _op(rt, "t", _op(rt, "matmul", mat2, _op(rt, "t", g)))
        return _op(rt, "matmul", g, _op(rt, "t", mat2))
    if _column_major(mat2):
        return _op(rt, "t", _op(rt, "matmul", _op(rt, "t", g), mat1))
    return _op(rt, "matmul", _op(rt, "t", mat1), g)


def _r_addmm(rt, g, node, i):
    # addmm(bias, mat1, mat2), F.linear's node (a gradient penalty
    # differentiates a Linear layer's input gradient again)
    if i == 0:
        return g                       # summed back to the bias's shape by the pass
    return _mm_grad(rt, g, node.args[1], node.args[2], i - 1)


def _r_outer(rt, g, node, i):
    a, b = node.args
    return _op(rt, "matmul", g, b) if i == 0 else _op(rt, "matmul", a, g)


def _r_softmax(rt, g, node, i):
    if node.data.ndim == 0:
        return _op(rt, "mul", g, 0.0)     # softmax of one number is 1, a constant
    return _op(rt, "softmax_backward_data", g, node, dim=node.params["dim"])


def _r_log_softmax(rt, g, node, i):
    if node.data.ndim == 0:
        return _op(rt, "mul", g, 0.0)     # log_softmax of one number is 0, a constant
    return _op(rt, "log_softmax_backward_data", g, node, dim=node.params["dim"])


def _r_threshold_backward(rt, g, node, i):
    return _op(rt, "threshold_backward", g, node.args[1], **node.params) if i == 0 else \
        _op(rt, "mul", g, 0.0)


def _r_softmax_backward_data(rt, gg, node, i):
    g, y = node.args
    d = node.params["dim"]
    if i == 0:
        return _op(rt, "softmax_backward_data", gg, y, dim=d)
    total = _op(rt, "sum", _op(rt, "mul", g, y), dim=(d,), keepdim=True)
    cross = _op(rt, "sum", _op(rt, "mul", gg, y), dim=(d,), keepdim=True)
    return _op(rt, "sub", _op(rt, "mul", gg, _op(rt, "sub", g, total)), _op(rt, "mul", g, cross))


def _r_log_softmax_backward_data(rt, gg, node, i):
    g, y = node.args
    d = node.params["dim"]
    e = _op(rt, "exp", y)
    if i == 0:
        return _op(rt, "sub", gg, _op(rt, "sum", _op(rt, "mul", gg, e), dim=(d,), keepdim=True))
    return _op(rt, "neg", _op(rt, "mul", _op(rt, "mul", gg, e),
                              _op(rt, "sum", g, dim=(d,), keepdim=True)))


def _r_mse_loss(rt, g, node, i):
    a, b = node.args
    diff = _op(rt, "sub", a, b)
    mean = node.params.get("reduction", "mean") == "mean"
    da = _op(rt, "mul", g, _op(rt, "mul", diff, 2.0 / diff.data.size if mean else 2.0))
    out = da if i == 0 else _op(rt, "neg", da)
    # PyTorch's one node for it (named as the tape names a rebased view)
    out.meta = {**(out.meta or {}), "rebased": "MseLossBackwardBackward0"}
    return out


def _ce_smoothed_indices(rt, g, node, axis: int):
    """Class indices with label_smoothing=s: PyTorch's loss is (1 - s) *
    nll_loss + s / C * (the rows' -sum of logp); its gradient by logp is
    nll_loss's backward of g * (1 - s) (NllLossBackwardBackward0) plus the
    smoothing term's, which depends on g alone (AddBackward0), then
    log_softmax's backward."""
    from .ops.ce_options import smoothing_grad
    z = node.args[0]
    s = node.params["label_smoothing"]
    params = {k: v for k, v in node.params.items() if k != "label_smoothing"}
    xs = [a.data for a in node.args]
    logp = _op(rt, "log_softmax", z, dim=axis)
    d = _op(rt, "nll_loss_backward", _scaled(rt, "mul", g, 1 - s), logp, *node.args[1:], **params)
    if g.requires_grad:              # (g in the graph: the term as g times its rate)
        gb = _op(rt, "unsqueeze", g, dim=axis) if g.data.ndim else g
        rate = smoothing_grad(np.ones_like(g.data), xs, node.params)
        part = _op(rt, "mul", gb, _const(rt, np.ascontiguousarray(rate), "smoothing"))
    else:
        part = _const(rt, np.ascontiguousarray(smoothing_grad(g.data, xs, node.params)),
                      "smoothing")
    return _op(rt, "log_softmax_backward_data", _op(rt, "add", d, part), logp, dim=axis)


def _r_cross_entropy(rt, g, node, i):
    from .ops.ce_options import _smoothed
    from .ops.nn import _ce_count, _ce_parts
    z, target = node.args[:2]
    axis = 0 if z.data.ndim == 1 else 1
    reduction = node.params.get("reduction", "mean")
    smoothing = node.params.get("label_smoothing", 0.0)
    if smoothing and target.data.dtype.kind in "iu":
        return _ce_smoothed_indices(rt, g, node, axis)
    if len(node.args) > 2 or "ignore_index" in node.params:
        # class indices with weight= or ignore_index=: nll_loss's backward takes them
        logp = _op(rt, "log_softmax", z, dim=axis)
        d = _op(rt, "nll_loss_backward", g, logp, *node.args[1:], **node.params)
        return _op(rt, "log_softmax_backward_data", d, logp, dim=axis)
    n = _ce_count(z.data) if reduction == "mean" else 1
    g_loss = g
    if reduction == "none" and z.data.ndim > 1:      # each sample's g over its classes
        g = _op(rt, "unsqueeze", g, dim=axis)
    if i == 1:      # class-probability targets: d CE / dp = -log_softmax(z) / N
        logp = _op(rt, "log_softmax", z, dim=axis)
        return _op(rt, "mul", g, _op(rt, "div", _op(rt, "neg", logp), n))
    if target.data.dtype.kind in "iu":
        # class indices: PyTorch's nodes, log_softmax then nll_loss's backward
        # then log_softmax's (NllLossBackwardBackward0, LogSoftmaxBackwardDataBackward0)
        logp = _op(rt, "log_softmax", z, dim=axis)
        d = _op(rt, "nll_loss_backward", g_loss, logp, target, reduction=reduction)
        return _op(rt, "log_softmax_backward_data", d, logp, dim=axis)
    if target.requires_grad:
        # d = softmax(z) * sum(p) - p, with p itself in the graph
        total = _op(rt, "sum", target, dim=(axis,), keepdim=True)
        d = _op(rt, "sub", _op(rt, "mul", _op(rt, "softmax", z, dim=axis), total), target)
    else:
        _, onehot, _ = _ce_parts([z.data, target.data])
        # (label_smoothing=s: the target q * (1 - s) + s / C, as PyTorch's)
        onehot = _smoothed(onehot, smoothing, z.data.shape[axis], z.data.dtype.type)
        total = onehot.sum(axis=axis, keepdims=True)
        probs = _op(rt, "mul", _op(rt, "softmax", z, dim=axis), _const(rt, total, "target sum"))
        d = _op(rt, "sub", probs, _const(rt, onehot, "one-hot target"))
    out = _op(rt, "mul", g, _op(rt, "div", d, n))
    # PyTorch's last step is log_softmax's backward, whose node it names so
    # (the grad_fn override the tape also uses for rebased views)
    out.meta = {**(out.meta or {}), "rebased": "LogSoftmaxBackwardDataBackward0"}
    return out


def _r_flip(rt, g, node, i):
    return _op(rt, "flip", g, dims=node.params["dims"])


def _r_roll(rt, g, node, i):
    p = node.params
    return _op(rt, "roll", g, shifts=tuple(-s for s in p["shifts"]), dims=p["dims"])


def _r_triangle(rt, g, node, i):
    return _op(rt, node.op.name, g, diagonal=node.params["diagonal"])


def _bmm_part(rt, g, a, b, i):
    """bmm(a, b)'s gradient for a (i = 0) or b (i = 1)."""
    if i == 0:
        return _op(rt, "bmm", g, _op(rt, "transpose", b, dims=(1, 2)))
    return _op(rt, "bmm", _op(rt, "transpose", a, dims=(1, 2)), g)


def _r_bmm(rt, g, node, i):
    return _bmm_part(rt, g, *node.args, i)


def _r_baddbmm(rt, g, node, i):
    # baddbmm(mask, b1, b2): the mask's part is g (summed back by the pass),
    # the batches' parts bmm's
    if i == 0:
        return g
    return _bmm_part(rt, g, node.args[1], node.args[2], i - 1)


def _r_amax(rt, g, node, i):
    # NOTE: ties share the gradient evenly, as PyTorch's amax/amin: (g / count) * mask
    from .ops.reduce_more import _ties
    x = _x(node).data
    mask, count = _ties(x, node.data, node.params)
    spread = _op(rt, "div", _keepdim(rt, g, node), _const(rt, count.astype(x.dtype), "count"))
    return _op(rt, "mul", spread, _const(rt, mask, "mask"))


def _r_logsumexp(rt, g, node, i):
    # g * exp(x - logsumexp(x)), the result in the graph too
    x = _x(node)
    ans = _keepdim(rt, node, node)
    return _op(rt, "mul", _keepdim(rt, g, node), _op(rt, "exp", _op(rt, "sub", x, ans)))


def _r_masked_fill(rt, g, node, i):
    mask = node.args[1]
    if i == 0:
        return _op(rt, "masked_fill", g, mask, 0.0)
    return _op(rt, "sum", _op(rt, "where", mask, g, 0.0), dim=None, keepdim=False)


GRAPH_VJPS = {
    "add": _r_add, "sub": _r_sub, "rsub": _r_sub, "rsub_alpha": _r_rsub_alpha, "neg": _r_neg, "mul": _r_mul,
    "div": _r_div, "rdiv": _r_div, "pow": _r_pow, "exp": _r_exp, "log": _r_log,
    "sqrt": _r_sqrt, "sin": _r_sin, "cos": _r_cos, "tanh": _r_tanh, "sigmoid": _r_sigmoid,
    "tanh_backward": _r_tanh_backward, "sigmoid_backward": _r_sigmoid_backward,
    "threshold_backward": _r_threshold_backward, "sgn": _r_zero,
    "softmax_backward_data": _r_softmax_backward_data,
    "log_softmax_backward_data": _r_log_softmax_backward_data,
    "square": _r_square, "relu": _r_relu, "abs": _r_abs, "clamp": _r_clamp, "zero": _r_zero,
    "clamp_tensor": _r_clamp_tensor, "clamp_min_tensor": _r_clamp_tensor,
    "clamp_max_tensor": _r_clamp_tensor,
    "maximum": _r_extreme_pair, "minimum": _r_extreme_pair, "where": _r_where,
    "sum": _r_sum, "mean": _r_mean, "max": _r_extreme_all, "min": _r_extreme_all,
    "reshape": _r_reshape, "view": _r_reshape, "flatten": _r_reshape, "squeeze": _r_squeeze,
    "unsqueeze": _r_unsqueeze, "transpose": _r_transpose, "permute": _r_permute, "T": _r_T, "t": _r_t, "clone": _r_clone,
    "backward_hook": _r_clone,
    "to_dtype": _r_to_dtype, "expand": _r_expand, "repeat": _r_repeat, "index": _r_index,
    "remainder": _r_remainder,
    "index_backward": _r_index_backward, "setitem": _r_setitem, "cat": _r_cat, "stack": _r_cat,
    "matmul": _r_matmul, "dot": _r_matmul, "mv": _r_matmul, "mm": _r_matmul,
    "addmm": _r_addmm, "outer": _r_outer, "softmax": _r_softmax, "log_softmax": _r_log_softmax,
    "mse_loss": _r_mse_loss, "cross_entropy": _r_cross_entropy,
    "flip": _r_flip, "roll": _r_roll, "tril": _r_triangle, "triu": _r_triangle, "bmm": _r_bmm,
    "baddbmm": _r_baddbmm,
    "amax": _r_amax, "amin": _r_amax, "logsumexp": _r_logsumexp, "masked_fill": _r_masked_fill,
    "clamp_min": _r_clamp, "clamp_max": _r_clamp, "tan": _r_tan, "log1p": _r_log1p,
    "expm1": _r_expm1, "exp2": _r_exp2, "reciprocal": _r_reciprocal, "rsqrt": _r_rsqrt,
    "sinh": _r_sinh, "cosh": _r_cosh, "atan": _r_atan, "asin": _r_asin, "acos": _r_acos,
    "asinh": _r_asinh, "acosh": _r_acosh, "atanh": _r_atanh, "erf": _r_erf, "erfc": _r_erf,
    "erfinv": _r_erfinv, "silu": _r_silu, "mish": _r_mish, "frac": _r_add,
    "leaky_relu": _r_act_backward, "hardtanh": _r_act_backward, "hardshrink": _r_act_backward,
    "softshrink": _r_act_backward, "elu": _r_act_backward, "softplus": _r_act_backward,
    "gelu": _r_act_backward, "logsigmoid": _r_act_backward, "hardswish": _r_act_backward,
    "hardsigmoid": _r_act_backward,
    **{f"{name}_backward": _r_act_backward_backward for name in (
        "leaky_relu", "hardtanh", "hardshrink", "softshrink", "elu", "softplus", "gelu",
        "logsigmoid", "hardswish")},
    "prod": _r_prod, "cumsum": _r_cumsum, "var": _r_var, "std": _r_std, "norm": _r_norm,
    "binary_cross_entropy_with_logits": _r_bce_logits,
    "poisson": _r_zero, "sign": _r_zero, "floor": _r_zero, "ceil": _r_zero, "round": _r_zero, "trunc": _r_zero,
}

# ops whose rule covers only some inputs: the others refuse create_graph (the
# smooth activations' backward ops, by x: a third derivative)
ONLY_INPUTS = {f"{name}_backward": (0,) for name in (
    "elu", "softplus", "gelu", "logsigmoid", "hardswish")}

# cases a rule does not cover, refused before anything is recorded:
# refuses(node) -> why, or None
REFUSALS = {"prod": lambda node: " with a zero in its input" if (_x(node).data == 0).any()
            else None,
            "cross_entropy": lambda node: " with weight= and class probabilities" if (
                len(node.args) > 2 and node.args[1].data.dtype.kind == "f") else
            " with label_smoothing= and class probabilities that require grad" if (
                node.params.get("label_smoothing") and node.args[1].requires_grad) else None}

# the gathers' and cumprod's rules (their module reads this one's helpers)
from .higher_select import SELECT_REFUSALS, SELECT_VJPS  # noqa: E402
from .higher_losses import LOSS_ONLY_INPUTS, LOSS_VJPS  # noqa: E402
from .higher_conv import CONV_VJPS, GRID_REFUSALS  # noqa: E402
from .higher_nn import NN_ONLY_INPUTS, NN_REFUSALS, NN_VJPS  # noqa: E402
from .higher_rnn import RNN_VJPS  # noqa: E402
from .higher_math import MATH_REFUSALS, MATH_VJPS  # noqa: E402
GRAPH_VJPS.update(SELECT_VJPS)
GRAPH_VJPS.update(CONV_VJPS)
GRAPH_VJPS.update(LOSS_VJPS)
GRAPH_VJPS.update(NN_VJPS)
GRAPH_VJPS.update(RNN_VJPS)
GRAPH_VJPS.update(MATH_VJPS)
from .higher_products import PRODUCT_VJPS, scaled_product_vjps  # noqa: E402  (addmv, addr, vdot)
GRAPH_VJPS.update(PRODUCT_VJPS)
GRAPH_VJPS.update(scaled_product_vjps(GRAPH_VJPS))
# pixel_shuffle's gradient is pixel_unshuffle's of g, and the other way round
GRAPH_VJPS.update(
    pixel_shuffle=lambda rt, g, node, i: _op(rt, "pixel_unshuffle", g, **node.params),
    pixel_unshuffle=lambda rt, g, node, i: _op(rt, "pixel_shuffle", g, **node.params),
    # channel_shuffle's gradient is the shuffle by C / groups of g
    channel_shuffle=lambda rt, g, node, i: _op(rt, "channel_shuffle", g, groups=max(
        1, g.data.shape[1] // node.params["groups"])),
    # unfold's gradient is fold's of g (to the input's size), and the other way round
    im2col=lambda rt, g, node, i: _op(rt, "col2im", g, **node.params,
                                      size=_x(node).data.shape[-2:]),
    col2im=lambda rt, g, node, i: _op(rt, "im2col", g, **{
        k: v for k, v in node.params.items() if k != "size"}))
REFUSALS.update(SELECT_REFUSALS)
REFUSALS.update(NN_REFUSALS)
REFUSALS.update(MATH_REFUSALS)
REFUSALS.update(GRID_REFUSALS)
ONLY_INPUTS.update(LOSS_ONLY_INPUTS)
ONLY_INPUTS.update(NN_ONLY_INPUTS)


# ---- the pass -------------------------------------------------------------------

def _sum_to(rt, gi: Tensor, shape: tuple) -> Tensor:
    """Sum a broadcast gradient back to an input's shape, with recorded ops."""
    if gi.data.shape == shape:
        return gi
    if shape == ():                    # PyTorch's sum_to: sum() to a 0-d shape,
        return _op(rt, "sum", gi, dim=None, keepdim=False)
    lead = gi.data.ndim - len(shape)   # else one sum(dims, keepdim=True), then a view
    axes = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(shape)
                                      if s == 1 and gi.data.shape[lead + k] != 1)
    if axes:
        gi = _op(rt, "sum", gi, dim=axes, keepdim=True)
    if lead > 0 and gi.data.size == math.prod(shape):
        gi = _op(rt, "view", gi, shape=tuple(shape))
    if gi.data.shape != shape:
        gi = _op(rt, "expand" if gi.data.size != math.prod(shape) else "reshape", gi,
                 shape=tuple(shape))
    return gi


def _seed(rt, root: Tensor, gradient, element: int = 0) -> tuple[Tensor, bool]:
    """The seed as a tensor of the graph (it may itself require grad;
    element: the root's place among the roots, as errors say)."""
    if gradient is not None and gradient.__class__ is not Tensor:
        gradient = functions.as_tensor(rt, gradient)
    data, implicit = autodiff.seed_gradient(root, gradient, element)   # PyTorch's checks
    if gradient is None:
        return _const(rt, data, "ones_like"), implicit
    if gradient.data.dtype != root.data.dtype:
        gradient = functions.f_to(rt, gradient, root.data.dtype)
    return gradient, implicit


def _check_supported(order) -> None:
    for node in order:
        if not node.recorded:
            continue
        name = node.op.name
        only = ONLY_INPUTS.get(name)
        if only is not None:
            refused = [k for k, a in enumerate(node.args)
                       if a.__class__ is Tensor and a.requires_grad and k not in only]
            if refused:
                # (a loss's backward op: its inputs g, x, the target, the weight)
                by = ("g", "input x", "target", "weight")[min(refused[0], 3)]
                raise _unsupported(name, f" (by its {by}: a third derivative of "
                                         f"{name[:-len('_backward')]})"
                                   if name.endswith("_backward") else " (by its target)")
        elif name in REFUSALS and any(a.__class__ is Tensor and a.requires_grad
                                      for a in node.args):
            why = REFUSALS[name](node)
            if why is not None:
                raise _unsupported(name, why)
        elif name not in GRAPH_VJPS and any(
                a.__class__ is Tensor and a.requires_grad for a in node.args):
            if node.op.no_derivative:
                node.op.vjp[0]()          # PyTorch's error: it has no derivative
            # (an op recorded under the caller's grad_fn, sort's values a
            # gather: that name too)
            raise _unsupported(node.op.name, "" if isinstance(node.op.grad_fn, str)
                               else f" ({node.grad_fn_name})")


def _graph_backward(rt, roots, seeds, retain_graph: bool, inputs=None):
    """The reverse pass with every VJP recorded. Returns (grads: tensor ->
    gradient Tensor, steps, pruned, order) like autodiff.run_backward.
    inputs (autograd.grad's): the pass runs only the nodes on a path to
    them, and an input's own node only for an input behind it."""
    order = backward_graph(roots)
    order.reverse()
    ends = ()
    if inputs is not None:
        needed = autodiff._between(order, set(inputs))
        order = [t for t in order if t in needed]
        ends = {t for t in inputs if t.recorded and not any(
            a.__class__ is Tensor and a in needed for a in t.args)}
    _check_supported(order)
    rt.no_hooks_with_graph(order)
    grads: dict = {}
    for r, s in zip(roots, seeds):
        grads[r] = _op(rt, "add", grads[r], s) if r in grads else s
    steps, pruned = [], []
    versions = rt.tape.versions
    hooked = rt.hooks
    joined = set()                    # the first pieces of the splits joined so far
    _SHARED_PART[0] = None            # (nothing shared with an earlier pass)
    for node in order:
        g = grads.get(node)
        if g is None:
            continue
        if hooked.get(node):       # its register_hook()s, on the gradient's Tensor
            g = grads[node] = rt.run_hooks(node, g)
        if not node.recorded or node in ends:
            steps.append((node, g.data, ()))
            continue
        op = node.op
        if node.freed and op.saves:
            raise GradvizError(
                autodiff.FREED_MESSAGE, kind=RUNTIME,
                hint="pass retain_graph=True to the first backward() to call it again on "
                     "the same graph, or recompute the forward pass before backward()")
        if node.seq < versions.last:       # as autodiff.run_backward
            versions.check_node(node)
        pieces = _pieces(rt, node) if op.name == "index" else None
        if pieces is not None and not any(hooked.get(p) for p in pieces):
            # one node of PyTorch's for all the pieces: their gradients
            # joined once (the first piece of the pass sends them)
            sent = []
            if pieces[0] not in joined:
                joined.add(pieces[0])
                gi = _joined(rt, pieces, grads)
                sent.append((node.args[0], _send(rt, grads, node.args[0], gi).data))
            steps.append((node, g.data, tuple(sent)))
            continue
        rule = GRAPH_VJPS[op.name]
        sent = []
        for i, a in enumerate(node.args):
            if a.__class__ is not Tensor:
                continue
            if not a.requires_grad:
                pruned.append((node, a))
                continue
            gi = rule(rt, g, node, i)
            if gi is None:       # PyTorch's undefined gradient (a convolution's backward's)
                continue
            sent.append((a, _send(rt, grads, a, gi).data))
        steps.append((node, g.data, tuple(sent)))
    _SHARED_PART[0] = None
    if not retain_graph:
        for node in order:
            if node.recorded:
                node.freed = True
    return grads, steps, pruned, order


def _send(rt, grads: dict, a: Tensor, gi: Tensor) -> Tensor:
    """gi, a's part of a node's gradient, summed to a's shape and dtype and
    added to what a has (AddBackward0); returns the part."""
    gi = _sum_to(rt, gi, a.data.shape)
    if gi.data.dtype != a.data.dtype:
        gi = _op(rt, "to_dtype", gi, dtype=a.data.dtype)
    prev = grads.get(a)
    grads[a] = gi if prev is None else _op(rt, "add", prev, gi)
    return gi


# PyTorch's nodes of several outputs that gradviz records as one node per
# piece, and the op their backward joins the pieces' gradients with
_JOINED_BY = {"UnbindBackward0": "stack", "SplitBackward0": "cat",
              "SplitWithSizesBackward0": "cat", "UnsafeSplitBackward0": "cat",
              "UnsafeSplitWithSizesBackward0": "cat"}


def _pieces(rt, node: Tensor) -> list | None:
    """The pieces of the split (unbind, chunk) node is one of, in order
    (consecutive on the tape, numbered by output_nr); None for another index."""
    name = node.params.get("grad_fn")
    nr = (node.meta or {}).get("output_nr")
    if name not in _JOINED_BY or nr is None:
        return None
    x, nodes, out = node.args[0], rt.tape.nodes, []
    for t in nodes[node.seq - nr:]:
        if t.op is not node.op or t.args[0] is not x or t.params.get("grad_fn") != name \
                or (t.meta or {}).get("output_nr") != len(out):
            break
        out.append(t)
    return out


def _joined(rt, pieces: list, grads: dict) -> Tensor:
    """The pieces' gradients put together as PyTorch's split_backward and
    unbind_backward do (CatBackward0, StackBackward0), zeros for a piece
    the pass gave none."""
    parts = [grads.get(p) for p in pieces]
    parts = [_const(rt, np.zeros(p.data.shape, p.data.dtype), "zeros") if g is None else g
             for p, g in zip(pieces, parts)]
    how = _JOINED_BY[pieces[0].params["grad_fn"]]
    return _op(rt, how, *parts, dim=len(pieces[0].params["index"]) - 1)


def grad_with_graph(rt, outs, ins, gos, retain_graph, allow_unused=False) -> tuple:
    """torch.autograd.grad(outs, ins, grad_outputs=gos, create_graph=True)."""
    for t in outs:
        functions._need_tensor(t, "grad")
    seeds = [_seed(rt, o, g, i)[0] for i, (o, g) in enumerate(zip(outs, gos))]
    functions.check_differentiated(ins)
    # PyTorch: retain_graph defaults to create_graph
    keep = True if retain_graph is None else bool(retain_graph)
    if rt.on_backward is not None:
        rt.on_backward(rt, "grad", outs, [s.data for s in seeds], ins)
    grads, steps, pruned, order = _graph_backward(rt, outs, seeds, keep, ins)
    result = []
    for k, t in enumerate(ins):
        g = grads.get(t)
        if g is None and not allow_unused:
            raise functions.unused_input_error(k)
        result.append(g)
    # PyTorch's retain_grad() hook fires in autograd.grad() too
    _store_grads(rt, [t for t in order if t.recorded and t.retains_grad], grads)
    rt.log_pass("grad", outs, [s.data for s in seeds], keep, steps, pruned, order)
    return tuple(result)


def backward_with_graph(rt, root: Tensor, gradient, retain_graph) -> None:
    """y.backward(create_graph=True): .grad becomes a node of the graph."""
    seed, implicit = _seed(rt, root, gradient)
    keep = True if retain_graph is None else bool(retain_graph)
    if rt.on_backward is not None:
        rt.on_backward(rt, "backward", [root], [seed.data], None)
    grads, steps, pruned, order = _graph_backward(rt, [root], [seed], keep)
    _store_grads(rt, [t for t in order if not t.recorded or t.retains_grad], grads)
    rt.log_pass("backward", [root], [seed.data], keep, steps, pruned, order, implicit)


def _store_grads(rt, tensors, grads: dict) -> None:
    """Each tensor's gradient of a pass with create_graph=True added to its
    .grad (leaves, and the tensors that retain_grad())."""
    for t in tensors:
        g = grads.get(t)
        if g is None:
            continue
        if g.recorded:
            # PyTorch, with create_graph: .grad = .grad + g, out of place
            if t.grad is not None and t.grad.seq < 0:
                rt.tape.add(t.grad, rt.span, label="grad")
            # (a first .grad is PyTorch's copy of g: a leaf's AccumulateGrad
            # copies it (CopyBackwards), retain_grad()'s hook clones it)
            first = "CloneBackward0" if t.recorded else "CopyBackwards"
            new = _op(rt, "clone", g, grad_fn=first) if t.grad is None else \
                _op(rt, "add", t.grad, g)
        else:
            total = g.data if t.grad is None else t.grad.data + g.data
            new = Tensor(np.array(total, dtype=t.data.dtype, copy=True))
        new.meta = {**(new.meta or {}), "grad_of": t.seq}
        t.grad = new
