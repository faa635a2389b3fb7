"""Half precision (torch.float16) as PyTorch computes it on the CPU.

PyTorch keeps float16 values in memory but computes in float32 (its
"opmath" type): an elementwise op converts its operands to float32, computes
and rounds the result to float16; a reduction or a matrix product
accumulates in float32 and rounds once, at the end. A backward formula is
made of such ops too. So one rule covers an op here: run its float32 path
(bit-exact with PyTorch's float32 kernels) and round the result to float16
(Tape._forward for the forward, autodiff for each VJP). Ops that only move
values (reshape, indexing, cat) run on the float16 arrays themselves.

Only the ops listed here take float16 tensors, each checked bit for bit
against PyTorch; any other refuses them with an error naming the op, rather
than give a result PyTorch might not.
"""
from __future__ import annotations

import math

import numpy as np

from .errors import TYPE, GradvizError
from .ops.elementwise import refuse_bool_exponent
from .ops.nn import _loss_total as loss_total

F16 = np.dtype(np.float16)
F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)

# ops that move or select values without arithmetic: exact in float16
MOVES = frozenset({
    "T", "t", "transpose", "permute", "reshape", "view", "flatten", "squeeze", "unsqueeze",
    "expand", "clone", "to_dtype", "backward_hook", "index", "cat", "stack", "setitem",
    "index_select", "gather", "flip", "roll", "repeat", "where", "masked_fill", "tril", "triu",
    "diagonal", "zero", "neg", "abs", "relu", "threshold", "threshold_backward",
    "eq", "ne", "lt", "le", "gt", "ge", "max", "min", "amax", "amin", "max_dim", "min_dim",
    "maximum", "minimum", "sign", "sgn", "constant_pad_nd", "pick_dim", "index_backward",
    "index_select_backward", "gather_backward", "clamp", "clamp_min", "clamp_max",
    "floor", "ceil", "trunc", "round", "unique", "embedding", "median", "nan_to_num",
})
# ops computed in float32 and rounded to float16 (FORWARDS and VJPS below
# where PyTorch rounds in between)
COMPUTED = frozenset({
    "add", "sub", "rsub", "mul", "div", "rdiv", "pow", "square", "sqrt",
    "reciprocal", "exp", "expm1", "log", "log1p", "sin", "cos", "tanh", "tanh_backward",
    "sigmoid", "sum", "mean", "matmul", "mm", "mv", "dot", "bmm",
    "addmm", "softmax", "softmax_backward_data", "mse_loss",
    "floor_divide", "div_mode", "remainder", "rremainder", "fmod", "logaddexp", "logaddexp2",
    "prod", "cumsum", "grid_sampler", "norm",
})


def refuse(op) -> GradvizError:
    """The error of an op gradviz does not compute in float16."""
    return GradvizError(
        f"gradviz does not compute {op.symbol.lstrip('.')} on float16 tensors", kind=TYPE,
        hint="convert to float32 first with .float() (and back with .half() if you need "
             "float16 after it); float16 is computed for arithmetic, pow, exp, log, sqrt, "
             "sin, cos, tanh, sigmoid, relu, sum, mean, cumsum, norm, matmul, F.linear, softmax "
             "(along the last dimension), mse_loss and the shape and indexing ops")


def refuse_random(x, fn: str) -> None:
    """The error of a random op (dropout) on a float16 tensor: PyTorch draws
    for float16 its own way."""
    if x.data.dtype is F16:
        raise GradvizError(f"gradviz does not compute {fn} on float16 tensors", kind=TYPE,
                           hint="convert to float32 first with .float() (PyTorch draws the "
                                "random mask of a float16 tensor its own way)")


def common(xs: list, keep_bool: bool = False) -> list:
    """The two operands of a binary op whose result is float16, as PyTorch's
    kernel takes them: a 0-d tensor of another float dtype as the number it
    holds (so a * torch.tensor(0.1) is a * 0.1), others cast to float16
    (float64 through float32, as PyTorch converts). keep_bool: bool
    operands stay bool (OpDef.uncast_bool)."""
    out = []
    for x in xs:
        if x.__class__ is not np.ndarray or x.dtype is F16 or (keep_bool and x.dtype.kind == "b"):
            out.append(x)
        elif x.ndim == 0 and x.dtype.kind == "f":
            out.append(float(x))
        else:
            out.append((x.astype(F32) if x.dtype.kind == "f" else x).astype(F16))
    return out


def has_half(xs) -> bool:
    """Some array among xs is float16."""
    for x in xs:
        if x.__class__ is np.ndarray and x.dtype is F16:
            return True
    return False


def widen(xs) -> list:
    """xs with every float16 array as float32 (the opmath type)."""
    return [x.astype(F32) if x.__class__ is np.ndarray and x.dtype is F16 else x for x in xs]


def rounded(ans: np.ndarray, xs) -> np.ndarray:
    """The float32 result of an op whose float inputs were all float16 (xs,
    as they were) rounded to float16, as PyTorch stores it."""
    if ans.dtype is not F32:
        return ans
    for x in xs:
        if x.__class__ is np.ndarray and x.dtype.kind == "f" and x.dtype is not F16:
            return ans
    return ans.astype(F16)


def r(x):
    """x (float32) rounded to float16, kept as float32: one stored result."""
    return np.asarray(x, F32).astype(F16).astype(F32)


def _number_as_half(x):
    # PyTorch's add, sub and pow cast a Python number to float16 first (mul
    # and div keep it in float32)
    if x.__class__ is float or x.__class__ is int:
        return float(np.float16(x))
    return x


def _numbers_as_half(op, xs, p):
    if op.name == "pow" and all(x.__class__ is np.ndarray and x.dtype.kind != "b" for x in xs):
        # (PyTorch's float16 gradient of a tensor exponent differs; a bool
        # operand, uncast (OpDef.uncast_bool), makes both exact: a base of
        # 0s and 1s, or an exponent whose gradient is PyTorch's error)
        raise refuse(op)
    return op.forward(widen([_number_as_half(x) for x in xs]), p)


def _rdiv(op, xs, p):
    # `2 / x` is PyTorch's x.reciprocal() * 2: two results, each rounded
    return r(1 / widen(xs[1:])[0]) * np.float32(xs[0])


def _mse(op, xs, p):
    wider = [x.dtype for x in xs if x.dtype.kind == "f" and x.dtype is not F16]
    if wider:
        # a float32 or float64 operand: PyTorch promotes both and computes there
        want = np.result_type(*wider)
        return op.forward([x.astype(want) for x in xs], p)
    # the squared differences are a float16 tensor before the reduction
    a, b = widen(xs)
    d = r(a - b)
    loss = r(d * d)
    reduction = p.get("reduction", "mean")
    return loss if reduction == "none" else loss_total(loss, reduction)


def _softmax(op, xs, p):
    x = xs[0]
    if x.ndim and p["dim"] % x.ndim != x.ndim - 1:
        raise GradvizError(
            "gradviz computes softmax of float16 tensors along the last dimension only",
            kind=TYPE, hint="PyTorch's float16 softmax along another dimension rounds its own "
                            "way: use x.float() first, or move the dimension last "
                            "(x.transpose(0, 1))")
    return op.forward(widen(xs), p)


def _floor_divide(op, xs, p):
    """PyTorch's float16 a // b (and div(rounding_mode='floor')): by a
    number or a 0-d tensor in float32 throughout; by a tensor, each step of
    its floor division a float16 result."""
    if op.name == "div_mode" and p["rounding_mode"] != "floor":
        raise refuse(op)
    a, b = xs
    if b.__class__ is not np.ndarray or b.ndim == 0:
        return op.forward(widen(xs), p)
    return half_floor_divide(*(np.asarray(_number_as_half(x), F32) for x in xs))


def half_floor_divide(a, b):
    """c10's div_floor_floating on float16 values (held in float32), each
    step rounded to float16 as its float16 kernel stores it."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mod = r(np.fmod(a, b))
        div = r(r(a - mod) / b)
        div = np.where((mod != 0) & ((b < 0) != (mod < 0)), r(div - 1), div)
        floor = np.floor(div)
        floor = np.where(r(div - floor) > 0.5, r(floor + 1), floor)
        floor = np.where(div == 0, np.copysign(0, r(a / b)), floor)
        return np.where(b == 0, r(a / b), floor)


_INV_LN2 = np.float32(1 / math.log(2)).astype(F64)


def _logaddexp(op, xs, p):
    """PyTorch's float16 logaddexp: max(a, b) + log1p(exp(-|a - b|)) in
    float32, exp and log1p correctly rounded; logaddexp2's with exp2, its
    last step a multiply-add (by float32(1 / ln 2)) rounded once."""
    a, b = np.broadcast_arrays(*(np.asarray(_number_as_half(x), F32) for x in xs))
    base2 = op.name == "logaddexp2"
    with np.errstate(over="ignore", invalid="ignore"):
        d = (-np.abs(a - b)).astype(F64)
        lg = np.log1p((np.exp2(d) if base2 else np.exp(d)).astype(F32).astype(F64)).astype(F32)
        m = np.maximum(a, b)
        out = (m.astype(F64) + lg.astype(F64) * _INV_LN2).astype(F32) if base2 else m + lg
        return np.where(np.isinf(a) & (a == b), a, out)


def _prod(op, xs, p):
    """PyTorch's float16 prod: float16 products, one after another along the
    reduced dimension, except where that runs contiguously in memory (the
    whole tensor, or its last dimensions): there its vectorized reduction's
    (_lanes_product)."""
    x = xs[0].astype(F32)
    dim = p.get("dim")
    if x.ndim == 0 or dim == ():
        return x
    if dim is None:
        return _product(x.reshape(1, -1), True)[0]
    d = dim[0]
    out = _product(np.moveaxis(x, d, -1), all(n == 1 for n in x.shape[d + 1:]))
    return np.expand_dims(out, d) if p.get("keepdim") else out


def _product(x, contiguous: bool):
    """The products of x's last dimension (float16 values in float32), each
    multiplication rounded to float16. A contiguous run of 64 or more goes
    through PyTorch's vectorized reduction first: 4 vectors of 16 lanes,
    each lane multiplied by the one 64 numbers on, the 4 vectors combined
    as (0 * 1) * (2 * 3) and their 16 lanes one after another; the numbers
    past the last whole 64 follow in order."""
    n = x.shape[-1]
    acc = np.ones(x.shape[:-1], F32)
    whole = n - n % 64 if contiguous else 0
    if whole:
        lanes = x[..., :64]
        for start in range(64, whole, 64):
            lanes = r(lanes * x[..., start:start + 64])
        v = lanes.reshape(x.shape[:-1] + (4, 16))
        v = r(r(v[..., 0, :] * v[..., 1, :]) * r(v[..., 2, :] * v[..., 3, :]))
        for j in range(16):
            acc = r(acc * v[..., j])
    for i in range(whole, n):
        acc = r(acc * x[..., i])
    return acc


def _cumsum(op, xs, p):
    """PyTorch's float16 cumsum: the running sum in float32 (its CPU
    kernel's accumulate type for float16), each value rounded to float16
    after; a running sum starts from 0. (-0. + 0. is 0.)."""
    x = xs[0].astype(F32)
    if x.ndim == 0:
        return x
    return np.cumsum(x, axis=p["dim"], dtype=F32) + F32.type(0)


def _grid_sample(op, xs, p):
    """F.grid_sample: float16 step by step (ops/grid_sample_half.py), for
    a 4-d input, bilinear or nearest."""
    from .ops import grid_sample_half
    x, grid = xs
    if x.ndim != 4 or p["mode"] == "bicubic":
        raise refuse(op)
    return grid_sample_half.forward(x.astype(F16), grid.astype(F16), p)


def _grid_sample_vjp(which: str):
    def rule(g, ans, xs, p):
        from .ops import grid_sample_half
        return getattr(grid_sample_half, which)(g, xs[0].astype(F16), xs[1].astype(F16), p)
    return rule


FORWARDS = {"softmax": _softmax, "grid_sampler": _grid_sample, "cumsum": _cumsum, "add": _numbers_as_half, "sub": _numbers_as_half, "rsub": _numbers_as_half,
            "pow": _numbers_as_half, "rdiv": _rdiv, "mse_loss": _mse,
            "floor_divide": _floor_divide, "div_mode": _floor_divide,
            "remainder": _numbers_as_half, "rremainder": _numbers_as_half,
            "fmod": _numbers_as_half, "logaddexp": _logaddexp, "logaddexp2": _logaddexp,
            "prod": _prod}


def forward(op, xs: list, p) -> np.ndarray:
    """op on operands among which are float16 arrays (in their common
    dtype already), as PyTorch computes it."""
    name = op.name
    if name in MOVES:
        return np.asarray(op.forward(xs, p))
    if name not in COMPUTED:
        raise refuse(op)
    rule = FORWARDS.get(name)
    ans = op.forward(widen(xs), p) if rule is None else rule(op, xs, p)
    return rounded(np.asarray(ans), xs)


# PyTorch's backward formulas whose steps are float16 tensors, one rule per
# input (g, ans, xs in float32; what a rule returns is rounded once more)
def _div_db(g, ans, xs, p):
    a, b = xs
    return -g * r(r(a / b) / b)


def _rdiv_db(g, ans, xs, p):
    c, b = xs
    rec = r(1 / b)
    return -r(g * np.float32(c)) * r(rec * rec)


def _pow_da(g, ans, xs, p):
    a, b = xs
    refuse_bool_exponent(b)
    if b.__class__ is np.ndarray:     # a tensor exponent (0-d): the float32 formula
        return g * (b * a ** (b - 1))
    if b == 0:
        return np.zeros_like(g * a)
    return g * r(np.float32(b) * r(np.power(a, np.float32(np.float16(b - 1)))))


def _mse_d(sign):
    def rule(g, ans, xs, p):
        a, b = xs
        d = r(a - b) if sign > 0 else r(b - a)
        norm = 2.0 / d.size if p.get("reduction", "mean") == "mean" else 2.0
        return r(d * np.float32(np.float16(norm))) * g
    return rule


def _float32(name: str, x):
    """The op name's float32 forward on x (the values PyTorch's backward
    formula computes as a float16 tensor of its own)."""
    from .ops.registry import OPS
    return OPS[name].forward([x], {})


def _lae_d(i: int):
    """PyTorch's logaddexp gradient grad / (1 + exp(other - self)), each
    step a float16 tensor."""
    def rule(g, ans, xs, p):
        with np.errstate(over="ignore"):
            return g / r(1 + r(np.exp(r(xs[1 - i] - xs[i]))))
    return rule


def _remainder_db(g, ans, xs, p):
    """PyTorch's -grad * self.div(other, rounding_mode='floor'), in float16."""
    return -g * half_floor_divide(*xs)


def _prod_dx(g, ans, xs, p):
    """PyTorch's prod gradient without a zero in x, grad * (result / x),
    the quotient a float16 tensor (with zeros: the float32 rule's)."""
    from .ops.reduce import _expand, _prod_vjp
    if np.any(xs[0] == 0):
        return _prod_vjp(g, ans, xs, p)
    return _expand(g, xs, p) * r(_prod_vjp(np.ones_like(g), ans, xs, p))


def _norm_dx(g, ans, xs, p):
    """PyTorch's 2-norm gradient grad * (self / norm), the quotient a
    float16 tensor (the 1-norm's, grad * sgn(x), is exact)."""
    from .ops.reduce import _expand, _norm_vjp
    if p.get("ord") == 1:
        return _norm_vjp(g, ans, xs, p)
    return _expand(g, xs, p) * r(_norm_vjp(np.ones_like(g), ans, xs, p))


_VJPS = {
    "expm1": (lambda g, ans, xs, p: g * r(ans + 1),),
    "reciprocal": (lambda g, ans, xs, p: -g * r(ans * ans),),
    "sin": (lambda g, ans, xs, p: g * r(_float32("cos", xs[0])),),
    "cos": (lambda g, ans, xs, p: g * -r(_float32("sin", xs[0])),),
    "div": (lambda g, ans, xs, p: g / xs[1], _div_db),
    "rdiv": (None, _rdiv_db),
    "pow": (_pow_da, None),
    "log1p": (lambda g, ans, xs, p: g / r(xs[0] + 1),),
    "sigmoid": (lambda g, ans, xs, p: r(g * r(1 - ans)) * ans,),
    "mse_loss": (_mse_d(1), _mse_d(-1)),
    "logaddexp": (_lae_d(0), _lae_d(1)),
    "remainder": (None, _remainder_db),
    "prod": (_prod_dx,),
    "norm": (_norm_dx,),
    "grid_sampler": (_grid_sample_vjp("input_vjp"), _grid_sample_vjp("grid_vjp")),
}
_MERGED: dict = {}


def vjp_rules(op) -> tuple:
    """op's VJP rules for a float16 node: VJPS's where it has one."""
    rules = _MERGED.get(op.name)
    if rules is None:
        own = _VJPS.get(op.name, ())
        rules = _MERGED[op.name] = tuple(
            own[i] if i < len(own) and own[i] is not None else rule
            for i, rule in enumerate(op.vjp))
    return rules
