"""Fuzz generators for the features added last (tests/test_fuzz.py registers
them beside its own):

* ``tensorops``: the scatter/index_* family, unique, bincount, histc,
  searchsorted, tile, meshgrid, kron, rot90, cross, cdist, div's rounding
  modes, fmod, lerp, addcmul, hypot, logit, xlogy, median/kthvalue/mode/
  quantile, cummax/cummin, logcumsumexp, nansum, std_mean, aminmax, clamp
  with tensor bounds, torch.special, F.interpolate, pixel_shuffle,
  unfold/fold, group/instance norm, PReLU, Bilinear;
* ``linalg``: torch.linalg's decompositions, solvers and norms, and
  torch.func (grad, vjp, jvp, jacrev, jacfwd, hessian, vmap,
  functional_call) over small functions, some of which misbehave;
* ``training``: the optimizers (AdamW ... LBFGS, step(closure)), every
  lr_scheduler, torch.nn.utils' clipping and vectors, module forward hooks,
  detect_anomaly, torch.utils.data (Dataset subclasses, DataLoader and its
  options, samplers, random_split, Subset, ConcatDataset);
* ``pyfeat``: walrus, nonlocal, collections, itertools, functools,
  dataclasses, copy, list.sort(key=), and bare sum/max/min/abs/pow on
  Python values and on tensors.

Each call is a row of a table: the function, then its positional and
keyword parameters as ``"KIND:good"`` slots. A program keeps to the good
values as often as its sanity says (tests/fuzz_newer.py's SANITY), else
takes one from the pool of KIND: wrong kinds, wrong shapes and dtypes,
empty and 0-d tensors, NaN, huge sizes within the fuzz limits.
"""
from __future__ import annotations

import random

from fuzz_newer import BOOLS, FLOATS, INTS, MODES, SANITY, STRINGS, _call

# ---- the pools ------------------------------------------------------------------

POOLS = {
    # float tensors of every shape and kind (the prelude's names first)
    "T": ["x", "v", "s", "A", "m", "x.detach()", "x.T", "zeros(0)", "zeros(0, 3)", "zeros(3, 0)",
          "tensor(0.5)", "tensor([float('nan'), 1.0, -2.0])", "tensor([1, 2, 3])",
          "tensor([True, False, True])", "ones(2, 3, dtype=torch.float64, requires_grad=True)",
          "randn(2, 3, 4)", "tensor([-1.0, 0.0, float('inf')])", "ones(300, 300)", "x[:, ::2]",
          "torch.full((2, 3), 1e30)", "None", "1.5", "[1.0, 2.0]", "'a'"],
    "IX": ["i", "J", "c", "tensor([0, 1])", "tensor([-1, 0])", "tensor([5, 100])",
           "tensor([0.0, 1.0])", "tensor([True, False])", "zeros(0, dtype=torch.int64)",
           "tensor(1)", "tensor([[0, 1], [1, 0]])", "tensor([10**6])", "[0, 1]", "1", "None",
           "tensor([0, 1], dtype=torch.int32)", "J.T", "J[:1]", "tensor([-5])"],
    "D": ["0", "1", "-1", "2", "-3", "5", "None", "'a'", "(0, 1)", "[0]", "0.5", "True",
          "10**20", "()"],
    "I": INTS,
    "N": ["1", "2", "3", "0", "-1", "10**6", "2**63", "None", "2.5", "'a'", "True", "(2,)"],
    "F": FLOATS,
    "B": BOOLS,
    "S": STRINGS + ["'floor'", "'trunc'", "'sum'", "'prod'", "'amax'", "'amin'", "'mean'",
                    "'linear'", "'lower'", "'higher'", "'nearest'", "'midpoint'", "'bilinear'",
                    "'bicubic'", "'area'", "'ij'", "'xy'", "'L'", "'U'", "'reduced'",
                    "'complete'", "'r'", "'fro'", "'nuc'", "'left'", "'right'", "'gelsd'"],
    "SH": ["(2, 1)", "(1,)", "()", "(2, 2, 2)", "(0, 2)", "(-1, 2)", "(10**6, 10**6)", "2",
           "None", "[2, 3]", "(2.0,)", "'a'", "(3, 3)", "(4, 4)", "(7, 7)"],
    # square matrices: a well-conditioned one and the singular, batched, empty, odd ones
    "M": ["A", "A", "A.double()", "zeros(3, 3)", "ones(3, 3)", "randn(2, 3, 3)", "zeros(0, 3, 3)",
          "zeros(0, 0)", "x", "randn(3, 2)", "tensor(1.0)", "v", "A.long()", "A * float('nan')",
          "-A", "A.T", "eye(3)", "A[:, :2]", "torch.full((3, 3), 1e30)", "None", "2.0"],
    "ORD": ["2", "1", "-1", "0", "float('inf')", "-float('inf')", "'fro'", "'nuc'", "3.5",
            "None", "'a'", "-2", "(1, 2)", "0.5"],
    "FN": ["lambda t: t.sin().sum()", "lambda t: (t ** 2).sum()", "lambda t: t * 2",
           "lambda t: t.exp()", "lambda t: (t.sum(), t)", "lambda t: t.item()", "print",
           "lambda t: torch.linalg.det(t)", "lambda t: t.sum() if t.sum() > 0 else -t.sum()",
           "lambda t: torch.randn(3)", "lambda t, u: (t * u).sum()", "lambda: 1", "3",
           "lambda t: t.max()", "lambda t: t.sort()[0].sum()", "lambda t: None",
           "lambda t: {'a': t.sum()}", "lambda t: [t.sum()]", "lambda t: t.tolist()",
           "lambda t: t.new_zeros(2)", "lambda t: (t @ t.T).sum()", "lambda t: t.sum().backward()",
           "lambda t: t.requires_grad_()", "lambda t: torch.tensor(1.0)", "lambda t: t.detach()"],
}


def _fill(r: random.Random, slot: str, sane: float) -> str:
    """A "KIND:good" slot's good value, or one from KIND's pool."""
    kind, good = slot.split(":", 1)
    return good if r.random() < sane else r.choice(POOLS[kind])


def _row_call(r: random.Random, row: tuple, sane: float) -> str:
    """A call of one row (fn, positional slots, keyword slots)."""
    fn, positional, keywords = row
    args = [_fill(r, s, sane) for s in positional]
    kw = {k: _fill(r, s, sane) for k, s in keywords.items()}
    return _call(r, fn, args, kw, sane)


def _program(r: random.Random, prelude: str, statement, after: list[str],
             modes: bool = True) -> str:
    """The prelude, then one to four statements, each followed by one of
    `after`; sometimes in forward mode."""
    lines = [prelude]
    if modes and r.random() < 0.15:
        lines.insert(0, f"# fuzz-mode: {r.choice(MODES)}\n")
    sane = r.choice(SANITY)
    for _ in range(r.randint(1, 4)):
        s = statement(r, sane)
        lines.append(s if "\n" in s or s.startswith(("y = ", "print(")) else f"y = {s}")
        lines.append(r.choice(after))
    return "\n".join(lines) + "\n"


# ---- tensorops ------------------------------------------------------------------

OPS_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed({seed})
x = torch.randn(2, 3, requires_grad=True)
v = torch.randn(3, requires_grad=True)
s = torch.tensor(0.7, requires_grad=True)
A = (torch.eye(3) * 3 + torch.randn(3, 3) * 0.3).requires_grad_()
X4 = torch.randn(1, 4, 4, 4, requires_grad=True)
m = x * 2
i = torch.tensor([1, 0])
J = torch.tensor([[0, 1, 0], [1, 0, 1]])
c = torch.tensor([0, 2, 2, 5])
q = torch.tensor([0.25, 0.5])
"""

OPS = [
    ("torch.scatter", ["T:x", "D:1", "IX:J", "T:m"], {"reduce": "S:None"}),
    ("x.scatter", ["D:0", "IX:J", "F:1.5"], {"reduce": "S:'add'"}),
    ("torch.scatter_add", ["T:x", "D:0", "IX:J", "T:m"], {}),
    ("torch.scatter_reduce", ["T:x", "D:1", "IX:J", "T:m", "S:'amax'"], {"include_self": "B:False"}),
    ("m.scatter_reduce_", ["D:0", "IX:J", "T:x", "S:'mean'"], {}),
    ("torch.index_add", ["T:x", "D:0", "IX:i", "T:m"], {"alpha": "F:2.0"}),
    ("torch.index_copy", ["T:x", "D:1", "IX:tensor([2, 0, 1])", "T:m"], {}),
    ("torch.index_fill", ["T:x", "D:1", "IX:i", "F:-1.0"], {}),
    ("torch.index_select", ["T:x", "D:1", "IX:i"], {}),
    ("m.index_put_", ["IX:(i,)", "T:tensor(3.0)"], {"accumulate": "B:True"}),
    ("torch.unique", ["T:tensor([3.0, 1.0, 3.0, 2.0])"],
     {"sorted": "B:True", "return_inverse": "B:True", "return_counts": "B:True", "dim": "D:None"}),
    ("torch.bincount", ["IX:c"], {"weights": "T:tensor([0.5, 1.0, 1.5, 2.0])", "minlength": "N:3"}),
    ("torch.histc", ["T:x"], {"bins": "N:4", "min": "F:0.0", "max": "F:0.0"}),
    ("torch.searchsorted", ["T:tensor([0.0, 1.0, 2.0])", "T:v"], {"right": "B:False", "side": "S:None"}),
    ("torch.tile", ["T:x", "SH:(2, 1)"], {}),
    ("x.tile", ["SH:(1, 2, 1)"], {}),
    ("torch.meshgrid", ["T:v", "T:q"], {"indexing": "S:'ij'"}),
    ("torch.kron", ["T:x", "T:A"], {}),
    ("torch.rot90", ["T:x", "I:1", "SH:[0, 1]"], {}),
    ("torch.cross", ["T:A", "T:A.T"], {"dim": "D:-1"}),
    ("torch.linalg.cross", ["T:v", "T:A"], {"dim": "D:-1"}),
    ("torch.cdist", ["T:x", "T:m"], {"p": "F:2.0", "compute_mode": "S:None"}),
    ("torch.div", ["T:x", "T:v"], {"rounding_mode": "S:'floor'"}),
    ("x.div", ["T:s"], {"rounding_mode": "S:'trunc'"}),
    ("torch.fmod", ["T:x", "T:v"], {}),
    ("torch.lerp", ["T:x", "T:m", "T:0.5"], {}),
    ("torch.addcmul", ["T:x", "T:v", "T:m"], {"value": "F:0.5"}),
    ("torch.addcdiv", ["T:x", "T:v", "T:m"], {"value": "F:-1.0"}),
    ("torch.addcmul", ["T:x", "T:v", "T:v"], {"value": "F:2.0"}),       # (the input the larger)
    ("torch.addcdiv", ["T:m", "T:v", "T:v.exp()"], {}),
    ("torch.hypot", ["T:x", "T:v"], {}),
    ("torch.logit", ["T:x.sigmoid()"], {"eps": "F:None"}),
    ("torch.xlogy", ["T:x", "T:v.abs()"], {}),
    ("torch.median", ["T:x", "D:1"], {"keepdim": "B:False"}),
    ("torch.nanmedian", ["T:x"], {}),
    ("torch.kthvalue", ["T:x", "N:2", "D:1"], {"keepdim": "B:True"}),
    ("torch.mode", ["T:x", "D:0"], {}),
    ("torch.quantile", ["T:x", "T:q", "D:1"], {"keepdim": "B:False", "interpolation": "S:'linear'"}),
    ("torch.nanquantile", ["T:x", "F:0.5"], {"dim": "D:None"}),
    ("torch.cummax", ["T:x", "D:1"], {}),
    ("torch.cummin", ["T:x", "D:0"], {}),
    ("torch.logcumsumexp", ["T:x", "D:1"], {}),
    ("torch.nansum", ["T:x"], {"dim": "D:0", "keepdim": "B:False"}),
    ("torch.std_mean", ["T:x"], {"dim": "D:1", "correction": "I:1", "keepdim": "B:False"}),
    ("torch.var_mean", ["T:x", "D:0"], {"unbiased": "B:True"}),
    ("torch.aminmax", ["T:x"], {"dim": "D:None", "keepdim": "B:False"}),
    ("torch.clamp", ["T:x"], {"min": "T:m", "max": "T:v"}),
    ("x.clamp", ["T:v"], {"max": "T:tensor(0.5)"}),
    ("torch.clip", ["T:x", "T:-v", "F:1.0"], {}),
    ("F.interpolate", ["T:X4"], {"size": "SH:(7, 7)", "scale_factor": "F:None",
                                 "mode": "S:'bilinear'", "align_corners": "B:False"}),
    ("F.interpolate", ["T:X4"], {"scale_factor": "F:2.0", "mode": "S:'nearest'"}),
    ("F.pixel_shuffle", ["T:X4", "N:2"], {}),
    ("F.pixel_unshuffle", ["T:X4", "N:2"], {}),
    ("nn.PixelShuffle(2)", ["T:X4"], {}),
    ("F.unfold", ["T:X4", "SH:(2, 2)"], {"dilation": "I:1", "padding": "I:0", "stride": "I:1"}),
    ("F.fold", ["T:F.unfold(X4, 2)", "SH:(4, 4)", "SH:(2, 2)"], {"stride": "I:1"}),
    ("nn.Unfold(2, stride=2)", ["T:X4"], {}),
    ("F.group_norm", ["T:X4", "N:2"], {"weight": "T:None", "bias": "T:None", "eps": "F:1e-5"}),
    ("nn.GroupNorm(2, 4)", ["T:X4"], {}),
    ("F.instance_norm", ["T:X4"], {"eps": "F:1e-5", "use_input_stats": "B:True"}),
    ("nn.InstanceNorm2d(4, affine=True)", ["T:X4"], {}),
    ("nn.PReLU()", ["T:x"], {}),
    ("F.prelu", ["T:X4", "T:tensor([0.25])"], {}),
    ("nn.Bilinear(3, 3, 2)", ["T:x", "T:m"], {}),
    ("F.bilinear", ["T:x", "T:m", "T:torch.ones(2, 3, 3)"], {"bias": "T:None"}),
    # (calls whose arguments PyTorch's parser, or its Python wrapper, checks in an order of its own)
    ("x.norm", ["F:1"], {"dim": "D:1", "keepdim": "B:False"}),
    ("torch.norm", ["T:x", "S:'fro'"], {"dim": "D:None", "keepdim": "B:False"}),
    ("F.hardtanh", ["T:x"], {"min_val": "F:-0.5", "max_val": "F:0.5"}),
    ("nn.Hardtanh(-0.5, 0.5)", ["T:x"], {}),
    ("torch.bucketize", ["T:v", "T:tensor([0.0, 1.0])"], {"right": "B:False"}),
    ("i.bincount", [], {"weights": "T:None", "minlength": "N:0"}),
    ("x.ge", ["T:v"], {}),
    ("torch.eq", ["T:x", "F:0.5"], {}),
    ("F.poisson_nll_loss", ["T:x", "T:m.abs()"], {"log_input": "B:True", "full": "B:False",
                                                  "eps": "F:1e-8"}),
    ("F.avg_pool2d", ["T:X4", "I:2"], {"ceil_mode": "B:False", "count_include_pad": "B:True"}),
    ("F.avg_pool1d", ["T:x.unsqueeze(0)", "I:2"], {"stride": "I:1", "ceil_mode": "B:False"}),
]
# class rows: the module's constructor is fuzzed, then it is called on a tensor
CTORS = [
    ("nn.PReLU", [], {"num_parameters": "N:1", "init": "F:0.25"}, "x"),
    ("nn.Bilinear", ["N:3", "N:3", "N:2"], {"bias": "B:True"}, "x, m"),
    ("nn.GroupNorm", ["N:2", "N:4"], {"eps": "F:1e-5", "affine": "B:True"}, "X4"),
    ("nn.InstanceNorm2d", ["N:4"], {"affine": "B:False", "track_running_stats": "B:False"}, "X4"),
    ("nn.InstanceNorm1d", ["N:3"], {}, "x.unsqueeze(0)"),
    ("nn.Upsample", [], {"size": "SH:None", "scale_factor": "F:2.0", "mode": "S:'nearest'"}, "X4"),
    ("nn.Fold", ["SH:(4, 4)", "SH:(2, 2)"], {}, "F.unfold(X4, 2)"),
]
SPECIAL = ["expit", "erf", "erfc", "erfinv", "entr", "ndtr", "digamma", "psi", "gammaln",
           "i0", "sinc", "log1p", "expm1", "exp2", "logit", "bogus"]
SPECIAL2 = [("xlogy", ["T:x", "T:v"]), ("polygamma", ["N:1", "T:x"]),
            ("logsumexp", ["T:x", "D:1"]), ("softmax", ["T:x", "D:0"]),
            ("log_softmax", ["T:x", "D:1"])]


def _ops_statement(r: random.Random, sane: float) -> str:
    kind = r.randrange(10)
    if kind < 7:
        return _row_call(r, r.choice(OPS), sane)
    if kind == 7:
        fn, args, kw, inp = r.choice(CTORS)
        mod = _row_call(r, (fn, args, kw), sane)
        return f"mod = {mod}\nprint(mod)\ny = mod({inp if r.random() < sane else r.choice(POOLS['T'])})"
    if kind == 8:
        return _row_call(r, (f"torch.special.{r.choice(SPECIAL)}", ["T:x"], {}), sane)
    name, args = r.choice(SPECIAL2)
    return _row_call(r, (f"torch.special.{name}", args, {}), sane)


OPS_AFTER = ["print(y)", "y.sum().backward()\nprint(x.grad, v.grad, A.grad, X4.grad)",
             "print(y[0].grad_fn, type(y))", "y[0].sum().backward()",
             "g = torch.autograd.grad(y.sum(), [x, v, s, A, X4], allow_unused=True, "
             "create_graph=True)\nprint(g)",
             "y.sum().backward(create_graph=True)\nprint(x.grad)",
             "print(y.shape, y.dtype, y.requires_grad)", "a, b = y\nprint(a, b)",
             "y.backward(torch.ones_like(y))", "print(y.grad_fn.next_functions)"]


def gen_tensorops(r: random.Random) -> str:
    """The recently added tensor ops with arguments at the edges."""
    return _program(r, OPS_PRELUDE.format(seed=r.randrange(5)), _ops_statement, OPS_AFTER)


# ---- linalg and torch.func -------------------------------------------------------

LINALG = [
    ("torch.linalg.inv", ["M:A"], {}),
    ("torch.linalg.det", ["M:A"], {}),
    ("torch.linalg.slogdet", ["M:A"], {}),
    ("torch.linalg.solve", ["M:A", "T:v"], {"left": "B:True"}),
    ("torch.linalg.solve", ["M:A", "M:A.T"], {}),
    ("torch.linalg.cholesky", ["M:A @ A.T"], {"upper": "B:False"}),
    ("torch.linalg.qr", ["M:A"], {"mode": "S:'reduced'"}),
    ("torch.linalg.eigh", ["M:A + A.T"], {"UPLO": "S:'L'"}),
    ("torch.linalg.eigvalsh", ["M:A + A.T"], {}),
    ("torch.linalg.svd", ["M:x"], {"full_matrices": "B:False"}),
    ("torch.linalg.svdvals", ["M:A"], {}),
    ("torch.linalg.pinv", ["M:x"], {"hermitian": "B:False"}),
    ("torch.linalg.lstsq", ["M:A", "M:A[:, :2]"], {"driver": "S:None"}),
    ("torch.linalg.norm", ["T:A"], {"ord": "ORD:None", "dim": "D:None", "keepdim": "B:False"}),
    ("torch.linalg.vector_norm", ["T:x"], {"ord": "ORD:2", "dim": "D:None"}),
    ("torch.linalg.matrix_norm", ["M:A"], {"ord": "ORD:'fro'"}),
    ("torch.linalg.matrix_power", ["M:A", "I:2"], {}),
    ("torch.linalg.matrix_rank", ["M:A"], {}),
    ("torch.linalg.multi_dot", ["T:[A, A, v]"], {}),
    ("torch.linalg.solve_triangular", ["M:A.triu()", "M:A"], {"upper": "B:True", "left": "B:True"}),
    ("torch.det", ["M:A"], {}), ("torch.logdet", ["M:A"], {}), ("torch.inverse", ["M:A"], {}),
    ("torch.pinverse", ["M:A"], {}), ("torch.cholesky_solve", ["M:A", "M:A @ A.T"], {}),
]
# (the transform, the function it transforms, its options, the arguments of the result)
FUNC = [
    ("torch.func.grad", "FN:lambda t: t.sin().sum()", {"argnums": "D:0", "has_aux": "B:False"}, ["T:v"]),
    ("torch.func.grad_and_value", "FN:lambda t: (t ** 2).sum()", {}, ["T:v"]),
    ("torch.func.jacrev", "FN:lambda t: t.exp()", {"argnums": "D:0"}, ["T:v"]),
    ("torch.func.jacfwd", "FN:lambda t: t * 2", {}, ["T:v"]),
    ("torch.func.hessian", "FN:lambda t: t.sin().sum()", {}, ["T:v"]),
    ("torch.func.vmap", "FN:lambda t: t.exp()",
     {"in_dims": "D:0", "out_dims": "D:0", "randomness": "S:None"}, ["T:x"]),
    ("torch.func.vmap", "FN:lambda t, u: (t * u).sum()", {"in_dims": "D:(0, None)"}, ["T:x", "T:v"]),
]


def _func_statement(r: random.Random, sane: float) -> str:
    kind = r.randrange(10)
    if kind < 4:
        return _row_call(r, r.choice(LINALG), sane)
    if kind < 7:
        maker, fn, kw, args = r.choice(FUNC)
        transform = _row_call(r, (maker, [fn], kw), sane)
        return f"h = {transform}\ny = h({', '.join(_fill(r, a, sane) for a in args)})"
    if kind == 7:
        fn = _fill(r, "FN:lambda t: t.exp()", sane)
        return (f"out, pull = torch.func.vjp({fn}, {_fill(r, 'T:v', sane)})\n"
                f"y = pull({_fill(r, 'T:torch.ones(3)', sane)})\nprint(out, y)")
    if kind == 8:
        fn = _fill(r, "FN:lambda t: t.exp()", sane)
        return (f"y = torch.func.jvp({fn}, ({_fill(r, 'T:v', sane)},), "
                f"({_fill(r, 'T:torch.ones(3)', sane)},))\nprint(y)")
    params = r.choice(["dict(lin.named_parameters())", "{'weight': torch.zeros(2, 3)}", "{}",
                       "{'bogus': v}", "{'weight': v}", "[v]", "None",
                       "({'weight': torch.ones(2, 3)}, {'bias': torch.zeros(2)})"])
    return (f"lin = nn.Linear(3, 2)\ny = torch.func.functional_call(lin, "
            f"{params if r.random() > sane else 'dict(lin.named_parameters())'}, "
            f"({_fill(r, 'T:x', sane)},))")


LINALG_PRELUDE = OPS_PRELUDE + "from torch.func import grad, vmap\n"
LINALG_AFTER = ["print(y)", "y.sum().backward()\nprint(A.grad, v.grad)",
                "y[0].sum().backward()\nprint(A.grad)", "print(type(y), len(y))",
                "a, b = y\nprint(a, b)", "g = torch.autograd.grad(y[0].sum(), [A, v, x], "
                "allow_unused=True, create_graph=True)\nprint(g)",
                "print(y.grad_fn.name())", "y.abs().sum().backward(create_graph=True)\n"
                "A.grad.sum().backward()"]


def gen_linalg(r: random.Random) -> str:
    """torch.linalg and torch.func with arguments at the edges."""
    return _program(r, LINALG_PRELUDE.format(seed=r.randrange(5)), _func_statement, LINALG_AFTER)


# ---- training: optimizers, schedulers, nn.utils, hooks, data ------------------------

OPTIMS = [
    ("SGD", {"lr": "F:0.1", "momentum": "F:0.9", "nesterov": "B:False", "dampening": "F:0.0"}),
    ("Adam", {"lr": "F:0.1", "amsgrad": "B:False", "foreach": "B:None"}),
    ("AdamW", {"lr": "F:0.05", "betas": "SH:(0.9, 0.999)", "weight_decay": "F:0.01",
               "amsgrad": "B:True"}),
    ("NAdam", {"lr": "F:0.05", "momentum_decay": "F:0.004", "decoupled_weight_decay": "B:False"}),
    ("RAdam", {"lr": "F:0.05", "weight_decay": "F:0.1", "decoupled_weight_decay": "B:True"}),
    ("Adamax", {"lr": "F:0.05", "eps": "F:1e-8", "maximize": "B:False"}),
    ("Adadelta", {"lr": "F:1.0", "rho": "F:0.9", "eps": "F:1e-6"}),
    ("Rprop", {"lr": "F:0.01", "etas": "SH:(0.5, 1.2)", "step_sizes": "SH:(1e-06, 50)"}),
    ("ASGD", {"lr": "F:0.01", "lambd": "F:0.0001", "alpha": "F:0.75", "t0": "F:1000000.0"}),
    ("LBFGS", {"lr": "F:1", "max_iter": "N:3", "history_size": "N:2",
               "line_search_fn": "S:None"}),
    ("Adagrad", {"lr": "F:0.1", "lr_decay": "F:0.0"}),
    ("RMSprop", {"lr": "F:0.01", "alpha": "F:0.99", "centered": "B:False"}),
]
SCHEDS = [
    ("StepLR", {"step_size": "N:2", "gamma": "F:0.5"}),
    ("MultiStepLR", {"milestones": "SH:[1, 3]", "gamma": "F:0.1"}),
    ("ExponentialLR", {"gamma": "F:0.9"}),
    ("CosineAnnealingLR", {"T_max": "N:3", "eta_min": "F:0.0"}),
    ("CosineAnnealingWarmRestarts", {"T_0": "N:2", "T_mult": "N:1", "eta_min": "F:0.0"}),
    ("LinearLR", {"start_factor": "F:0.5", "end_factor": "F:1.0", "total_iters": "N:3"}),
    ("ConstantLR", {"factor": "F:0.5", "total_iters": "N:2"}),
    ("PolynomialLR", {"total_iters": "N:3", "power": "F:1.0"}),
    ("OneCycleLR", {"max_lr": "F:1.0", "total_steps": "N:10", "pct_start": "F:0.3",
                    "anneal_strategy": "S:'cos'"}),
    ("LambdaLR", {"lr_lambda": "FN:lambda e: 0.9 ** e"}),
    ("MultiplicativeLR", {"lr_lambda": "FN:lambda e: 0.9"}),
    ("ReduceLROnPlateau", {"mode": "S:'min'", "factor": "F:0.5", "patience": "N:0",
                           "threshold": "F:1e-4", "cooldown": "N:0", "min_lr": "F:0"}),
    ("SequentialLR", {"schedulers": "SH:[torch.optim.lr_scheduler.ConstantLR(opt, 0.5, 1), "
                                    "torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)]",
                      "milestones": "SH:[1]"}),
    ("ChainedScheduler", {"schedulers": "SH:[torch.optim.lr_scheduler.StepLR(opt, 1), "
                                        "torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)]"}),
]
PARAMS = ["[w, b]", "[w]", "lin.parameters()", "[{'params': [w], 'lr': 0.5}, {'params': [b]}]",
          "[]", "w", "[w, w]", "[x]", "None", "[1.0]", "[w.detach()]", "list(lin.parameters())"]
FWD_HOOKS = ["lambda mod, inp, out: None", "lambda mod, inp, out: out * 2",
             "lambda mod, inp, out: print(type(mod).__name__, len(inp), out.shape)",
             "lambda mod, inp, out: 5", "lambda mod, inp: None", "lambda mod, inp, out: (out,)",
             "lambda mod, inp, out: out.sum()", "print", "None", "lambda *a: None",
             "lambda mod, inp, out: out.detach()", "lambda mod, inp, out: inp"]
PRE_HOOKS = ["lambda mod, inp: None", "lambda mod, inp: (inp[0] * 2,)", "lambda mod, inp: inp[0] + 1",
             "lambda mod, inp: 5", "lambda mod, inp: ()", "lambda mod: None",
             "lambda mod, inp: (inp[0], inp[0])", "lambda mod, inp: [inp[0]]", "None",
             "lambda mod, inp: torch.ones(7, 7)"]
KW_HOOKS = ["lambda mod, args, kwargs: None", "lambda mod, args, kwargs: (args, kwargs)",
            "lambda mod, args, kwargs, out: out", "lambda mod, args, kwargs: args"]


def _optim_statement(r: random.Random, sane: float) -> str:
    name, kw = r.choice(OPTIMS)
    params = r.choice(PARAMS) if r.random() > sane else "[w, b]"
    opt = _row_call(r, (f"torch.optim.{name}", [], kw), sane)
    opt = opt.replace("()", f"({params})", 1) if opt.endswith("()") else \
        opt.replace("(", f"({params}, ", 1)
    closure = name == "LBFGS" or r.random() < 0.3
    lines = [f"opt = {opt}"]
    sched = ""
    if r.random() < 0.6:
        sname, skw = r.choice(SCHEDS)
        first = "opt" if r.random() < sane else r.choice(["None", "w", "3", "[opt]", "opt.param_groups"])
        call = _row_call(r, (f"torch.optim.lr_scheduler.{sname}", [], skw), sane)
        call = call.replace("(", f"({first}, ", 1) if not call.endswith("()") else \
            call[:-1] + first + ")"
        lines.append(f"sched = {call}")
        sched = "sched.step(loss)" if sname == "ReduceLROnPlateau" and r.random() < sane \
            else r.choice(["sched.step()", "sched.step()", "sched.step(loss)", "sched.step(5)"])
    lines.append("def closure():\n    opt.zero_grad()\n    loss = ((X @ w + b - Y) ** 2).mean()\n"
                 "    loss.backward()\n    return loss")
    steps = r.choice(["1", "3", "3", "0"])
    body = ["    loss = opt.step(closure)" if closure else
            "    loss = closure()\n    opt.step()"]
    if r.random() < 0.4:
        clip = r.choice([
            f"torch.nn.utils.clip_grad_norm_([w, b], {_fill(r, 'F:1.0', sane)}, "
            f"norm_type={_fill(r, 'ORD:2.0', sane)}, error_if_nonfinite={_fill(r, 'B:False', sane)})",
            f"torch.nn.utils.clip_grad_value_({r.choice(PARAMS) if r.random() > sane else 'w'}, "
            f"{_fill(r, 'F:0.1', sane)})",
            f"torch.nn.utils.clip_grad_norm_({r.choice(PARAMS) if r.random() > sane else 'w'}, "
            f"max_norm={_fill(r, 'F:0.5', sane)})"])
        body = ["    loss = closure()", f"    print({clip})", "    opt.step()"]
    if sched:
        body.append(f"    {sched}\n    print(sched.get_last_lr() if hasattr(sched, 'get_last_lr') "
                    f"else sched, opt.param_groups[0]['lr'])")
    lines.append(f"for step in range({steps}):\n" + "\n".join(body))
    lines.append("print(w, b, loss)\ny = w * 1")
    return "\n".join(lines)


def _utils_statement(r: random.Random, sane: float) -> str:
    kind = r.randrange(4)
    if kind == 0:
        vec = _fill(r, "T:torch.nn.utils.parameters_to_vector([w, b])", sane)
        return (f"vec = torch.nn.utils.parameters_to_vector({r.choice(PARAMS) if r.random() > sane else '[w, b]'})\n"
                f"print(vec)\ntorch.nn.utils.vector_to_parameters({vec} * 2, "
                f"{r.choice(PARAMS) if r.random() > sane else '[w, b]'})\nprint(w, b)\ny = vec")
    if kind == 1:
        reg = r.choice(["register_forward_hook", "register_forward_pre_hook"])
        hook = r.choice(FWD_HOOKS if reg == "register_forward_hook" else PRE_HOOKS) \
            if r.random() > sane else ("lambda mod, inp, out: out * 2"
                                        if reg == "register_forward_hook" else "lambda mod, inp: None")
        opts = r.choice(["", "", ", prepend=True", ", with_kwargs=True", ", always_call=True",
                         ", bogus=1"])
        if "with_kwargs" in opts and r.random() < 0.5:
            hook = r.choice(KW_HOOKS)
        remove = r.choice(["", "h.remove()\n", "h.remove()\nh.remove()\n", "del h\n"])
        who = r.choice(["lin", "lin", "seq", "seq[0]", "w"]) if r.random() > sane else "lin"
        inp = _fill(r, "T:x", sane)
        return (f"h = {who}.{reg}({hook}{opts})\nprint(h)\ny = {who}({inp})\nprint(y)\n"
                f"{remove}y = lin({inp}) + seq({inp}).sum()")
    if kind == 2:
        inner = r.choice(["y = (x.sqrt() * 0).sum()", "y = (x / 0 * 0).sum()", "y = x.exp().sum()",
                          "y = (x.log() * x).sum()", "y = torch.where(x > 0, x.sqrt(), x).sum()"])
        how = r.choice(["with torch.autograd.detect_anomaly():",
                        f"with torch.autograd.detect_anomaly(check_nan={_fill(r, 'B:True', sane)}):",
                        "with torch.autograd.set_detect_anomaly(True):"])
        return (f"{how}\n    {inner}\n    y.backward()\nprint(x.grad, "
                f"torch.is_anomaly_enabled())")
    return (f"torch.autograd.set_detect_anomaly({_fill(r, 'B:True', sane)})\n"
            "y = (x.sqrt() * x).sum()\nprint(torch.is_anomaly_enabled())")


DATASETS = [
    "TensorDataset(DX, DY)", "TensorDataset(DX, DY)", "TensorDataset(DX)", "TensorDataset(DX, DY[:3])",
    "TensorDataset()", "TensorDataset(DX, 3)", "Pairs()", "Pairs()", "Dicts()", "Ragged()",
    "NoLen()", "range(7)", "list(range(5))", "[(torch.ones(2), 1), (torch.zeros(2), 0)]",
    "Subset(TensorDataset(DX, DY), [0, 2, 4])", "ConcatDataset([TensorDataset(DX, DY), Pairs()])",
    "Stream()", "'abc'", "None", "[]", "{'a': 1}", "TensorDataset(DX, DY)[0]",
]
SAMPLERS = ["None", "SequentialSampler(ds)", "RandomSampler(ds)", "SubsetRandomSampler([0, 1, 2])",
            "RandomSampler(ds, replacement=True, num_samples=3)", "[3, 0, 1]", "range(100)",
            "SubsetRandomSampler([])", "RandomSampler(ds, num_samples=0)", "3", "'a'",
            "RandomSampler(ds, replacement=True, num_samples=-1)"]
BATCH_SAMPLERS = ["None", "BatchSampler(SequentialSampler(ds), 2, False)",
                  "BatchSampler(RandomSampler(ds), batch_size=3, drop_last=True)",
                  "BatchSampler(range(4), 0, False)", "[[0, 1], [2]]", "[[100]]", "[[]]", "3"]
COLLATES = ["None", "lambda batch: batch", "lambda batch: torch.stack([b[0] for b in batch])",
            "list", "print", "lambda: None", "lambda batch: 1 / 0"]
SPLITS = ["[3, 3]", "[0.5, 0.5]", "[4, 1, 1]", "[0.7, 0.3]", "[7]", "[3, 4]", "[-1, 7]", "[]",
          "[0.5, 0.6]", "[0, 6]", "[1.5, 4.5]", "6", "[0.0, 1.0]", "[float('nan'), 1.0]"]
DATA_PRELUDE = """
from torch.utils.data import Dataset, IterableDataset, DataLoader, TensorDataset, Subset
from torch.utils.data import ConcatDataset, random_split, SequentialSampler, RandomSampler
from torch.utils.data import SubsetRandomSampler, BatchSampler
DX = torch.arange(12.0).reshape(6, 2)
DY = torch.arange(6) % 2
w2 = torch.randn(2, requires_grad=True)
class Pairs(Dataset):
    def __len__(self):
        return {n}
    def __getitem__(self, k):
        return DX[k % 6], DY[k % 6]
class Dicts(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, k):
        return {{'x': DX[k], 'n': k, 'name': str(k), 'f': 0.5 * k}}
class Ragged(Dataset):
    def __len__(self):
        return 4
    def __getitem__(self, k):
        return torch.ones(k + 1)
class NoLen(Dataset):
    def __getitem__(self, k):
        return DX[k]
class Stream(IterableDataset):
    def __iter__(self):
        return iter([DX[0], DX[1], DX[2]])
"""


def _data_statement(r: random.Random, sane: float) -> str:
    ds = r.choice(DATASETS) if r.random() > sane else r.choice(DATASETS[:2] + ["Pairs()"])
    kind = r.randrange(4)
    if kind == 0:
        loader = _row_call(r, ("DataLoader", [], {}), sane)[:-1]
        opts = {"batch_size": _fill(r, "N:2", sane), "shuffle": _fill(r, "B:False", sane),
                "drop_last": _fill(r, "B:False", sane)}
        for name, pool, good in (("sampler", SAMPLERS, "None"), ("batch_sampler", BATCH_SAMPLERS, "None"),
                                 ("collate_fn", COLLATES, "None")):
            if r.random() < 0.3:
                opts[name] = r.choice(pool) if r.random() > sane else good
        kw = ", ".join(f"{k}={v}" for k, v in opts.items() if r.random() < 0.7)
        use = r.choice(["for batch in loader:\n    print(batch)",
                        "print(len(loader))", "print(next(iter(loader)))",
                        "for xb, yb in loader:\n    (xb.float() @ w2).sum().backward()\nprint(w2.grad)",
                        "print(list(loader))", "print(loader.dataset, loader.batch_size)"])
        return f"ds = {ds}\nloader = {loader}ds, {kw})\n{use}\ny = w * 1"
    if kind == 1:
        lengths = r.choice(SPLITS) if r.random() > sane else "[4, 2]"
        gen = r.choice(["", ", generator=torch.Generator().manual_seed(1)", ", generator=3"])
        return (f"ds = {ds}\nparts = random_split(ds, {lengths}{gen})\n"
                "print([len(p) for p in parts], [p.indices for p in parts])\n"
                "print(parts[0][0])\ny = w * 1")
    if kind == 2:
        idx = r.choice(["[0, 2]", "[]", "[5, -1]", "[100]", "range(3)", "torch.tensor([1, 0])",
                        "[0.5]", "None", "[True]"]) if r.random() > sane else "[0, 2]"
        other = r.choice(["Subset", "ConcatDataset"])
        if other == "Subset":
            return f"ds = Subset({ds}, {idx})\nprint(len(ds), ds[0], ds.indices)\ny = w * 1"
        return (f"ds = ConcatDataset([{ds}, {r.choice(DATASETS)}])\nprint(len(ds), ds.cumulative_sizes, "
                f"ds[{r.choice(['0', '-1', '5', '100'])}])\ny = w * 1")
    sampler = r.choice(SAMPLERS[1:] + BATCH_SAMPLERS[1:]) if r.random() > sane else "RandomSampler(ds)"
    return f"ds = {ds}\nsmp = {sampler}\nprint(list(smp), len(smp))\ny = w * 1"


TRAIN_PRELUDE = """import torch
import torch.nn as nn
torch.manual_seed({seed})
X = torch.randn(8, 3)
Y = torch.randn(8)
w = torch.randn(3, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
x = torch.randn(2, 3, requires_grad=True)
lin = nn.Linear(3, 2)
seq = nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 1))
"""
TRAIN_AFTER = ["print(y)", "y.sum().backward()\nprint(w.grad, x.grad)", "print(lin.weight.grad)",
               "print(y.grad_fn)", "(lin(x).sum() + y.sum()).backward()\nprint(lin.weight.grad)"]


def _training_statement(r: random.Random, sane: float) -> str:
    kind = r.randrange(10)
    if kind < 4:
        return _optim_statement(r, sane)
    if kind < 7:
        return _utils_statement(r, sane)
    return _data_statement(r, sane)


def gen_training(r: random.Random) -> str:
    """Optimizers, schedulers, nn.utils, module hooks, detect_anomaly and
    torch.utils.data with arguments at the edges."""
    prelude = TRAIN_PRELUDE.format(seed=r.randrange(5)) + \
        DATA_PRELUDE.format(n=r.choice(["6", "6", "0", "-1", "100", "'a'", "2.5"]))
    return _program(r, prelude, _training_statement, TRAIN_AFTER, modes=False)


# ---- Python features -------------------------------------------------------------

VALUES = ["[3, 1, 2]", "[]", "(1.5, -2)", "[x, x]", "x", "v", "[v, v * 2]", "'abc'", "range(4)",
          "[1, 'a']", "{1: 2}", "{3, 4}", "[[1, 2], [0]]", "s", "[s, s]", "tensor([])", "5",
          "None", "[True, 2.5]", "[float('nan'), 1.0]", "zip([1], [2])", "(t for t in [1, 2])"]
BARE = ["sum({a})", "sum({a}, {b})", "max({a})", "max({a}, {b})", "min({a})", "min({a}, key=abs)",
        "abs({a})", "pow({a}, {b})", "pow({a}, {b}, 3)", "max({a}, default=0)", "min({a}, {b}, {b})",
        "sum({a}, start={b})", "round({a})", "divmod({a}, {b})", "sorted({a})", "any({a})",
        "sorted({a}, key=lambda t: -t)", "list(reversed({a}))", "len({a})", "max(*{a})",
        # (builtins given keywords or counts they do not take: CPython's words differ by builtin)
        "len({a}, {b})", "oct({b}, key={a})", "getattr({a})", "list(enumerate({a}, {b}, 3))",
        "isinstance({a})", "next(iter({a}), {b}, 3)", "range({b}, step={b})", "format({a}, x={b})",
        "hasattr({a})", "round({b}, 1, 2)", "any()", "divmod({b})", "sorted({a}, {b})"]
PYSNIPPETS = [
    # walrus
    "if (n := len({a})) > 1:\n    print(n)\nys = [z for t in range(3) if (z := t * 2) > 1]\nprint(ys, z)",
    "k = {b}\nwhile (k := k - 1) > 0:\n    print(k)",
    "print([(u := t) for t in {a}], u)",
    # nonlocal
    "def counter():\n    n = 0\n    def inc(d={b}):\n        nonlocal n\n        n = n + d\n"
    "        return n\n    return inc\nf = counter()\nprint(f(), f(), f({a}))",
    "def outer():\n    def inner():\n        nonlocal q\n        q = 1\n    inner()\nouter()",
    # collections
    "from collections import Counter, defaultdict, deque, namedtuple, OrderedDict\n"
    "print(Counter({a}).most_common({b}))",
    "from collections import defaultdict\nd = defaultdict({fac})\nd['a'] += {b}\nprint(d, dict(d))",
    "from collections import deque\nq = deque({a}, maxlen={b})\nq.append(9)\nq.rotate(1)\n"
    "print(q, q.popleft())",
    "from collections import namedtuple\nP = namedtuple('P', {fields})\np = P({a}, {b})\n"
    "print(p, p._replace(x=0), p._asdict())",
    "from collections import OrderedDict\no = OrderedDict(a={a}, b={b})\no.move_to_end('a')\n"
    "print(o, o.popitem(last=False))",
    # itertools
    "import itertools\nprint(list(itertools.{it}({a})))",
    "import itertools\nprint(list(itertools.islice(itertools.{inf}({a}), {b})))",
    "from itertools import product, combinations, permutations, accumulate, chain\n"
    "print(list(product({a}, repeat={b})), list(combinations({a}, {b})))",
    "from itertools import groupby, zip_longest, starmap\n"
    "print([(k, list(g)) for k, g in groupby({a})], list(zip_longest({a}, {b}, fillvalue=0)))",
    # functools
    "from functools import reduce, partial\nprint(reduce(lambda p, q: p + q, {a}, {b}))",
    "import functools\nf = functools.partial(torch.add, {a})\nprint(f({b}))",
    "import functools\n@functools.lru_cache(maxsize={b})\ndef fib(n):\n"
    "    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib({a}), fib.cache_info())",
    "import functools\ndef deco(f):\n    @functools.wraps(f)\n    def g(*a):\n        return f(*a) * 2\n"
    "    return g\n@deco\ndef h(t):\n    return t + 1\nprint(h({a}), h.__name__)",
    # dataclasses
    "from dataclasses import dataclass, field\n@dataclass{dopts}\nclass C:\n    a: int\n"
    "    b: list = field(default_factory=list)\nc = C({a})\nprint(c, c == C({a}))\nc.a = {b}\nprint(c)",
    "from dataclasses import dataclass, field\n@dataclass\nclass Q:\n    t: object = None\n"
    "    k: float = 1.0\nq = Q({a}, {b})\nprint(q, Q(k={b}), q.t)",
    # copy
    "import copy\nz = copy.deepcopy({a})\nprint(z, z is {a})",
    "import copy\nmod = torch.nn.Linear(2, 1)\nm2 = copy.deepcopy(mod)\nprint(m2.weight is mod.weight, "
    "copy.copy({a}))",
    "import copy\nz = copy.deepcopy(x * 2)",
    # list.sort(key=)
    "l = list({a})\nl.sort(key={key}, reverse={rev})\nprint(l)",
    "print(sorted({a}, key={key}), max({a}, key={key}))",
]
KEYS = ["lambda t: -t", "abs", "len", "None", "str", "lambda t: t[0]", "3", "lambda: 0",
        "lambda t: t.sum()", "lambda t: float(t)"]


def _py_statement(r: random.Random, sane: float) -> str:
    a = r.choice(VALUES) if r.random() > sane * 0.5 else r.choice(["[3, 1, 2]", "[v, v * 2]", "x"])
    b = r.choice(VALUES + ["2", "0", "-1", "1.5", "v"]) if r.random() > sane * 0.5 else \
        r.choice(["2", "1", "v"])
    fill = {"a": a, "b": b, "key": r.choice(KEYS), "rev": r.choice(["True", "False", "1", "None"]),
            "fac": r.choice(["int", "list", "float", "None", "3", "lambda: torch.zeros(2)"]),
            "fields": r.choice(["['x', 'y']", "'x y'", "['x']", "['x', 'x']", "['1a', 'y']", "3"]),
            "it": r.choice(["accumulate", "chain", "permutations", "combinations",
                            "pairwise", "chain.from_iterable", "bogus"]),
            "inf": r.choice(["count", "cycle", "repeat"]),
            "dopts": r.choice(["", "(order=True)", "(frozen=True)", "(eq=False)", "(bogus=1)"])}
    if r.random() < 0.4:
        return f"print({r.choice(BARE).format(**fill)})"
    return r.choice(PYSNIPPETS).format(**fill)


PY_PRELUDE = """import torch
torch.manual_seed({seed})
x = torch.randn(3, requires_grad=True)
v = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
s = torch.tensor(2.0, requires_grad=True)
"""
PY_AFTER = ["", "", "y = sum([x, v, s])\ny.sum().backward()\nprint(x.grad, v.grad, s.grad)",
            "y = max(x.sum(), v.sum()) + abs(s) + pow(s, 2) + min(v)\ny.backward()\nprint(s.grad, v.grad)",
            "y = sum(v) * 2\ny.backward()\nprint(v.grad)"]


def gen_pyfeat(r: random.Random) -> str:
    """Python's features (walrus, nonlocal, the standard modules, sort keys)
    and the bare builtins on Python values and tensors."""
    return _program(r, PY_PRELUDE.format(seed=r.randrange(5)), _py_statement, PY_AFTER,
                    modes=False)
