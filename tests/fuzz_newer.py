"""Fuzz generators for the newer parts of the language (tests/test_fuzz.py
registers them beside its own):

* ``layers``: convolutions, pooling, F.pad, LayerNorm/BatchNorm, embeddings
  and the nn modules that wrap them, called with arguments at the edges
  (zero-size dims, negative and huge ints, tuples where ints go, strings,
  None, NaN/inf, wrong dtypes), then backward, double backward, in-place
  writes through views;
* ``newer``: torch.distributions, torch.multinomial, cross_entropy's options,
  repeat_interleave, one_hot, einsum, sort/topk, chained assignment,
  ``f(**kwargs)``, optimizers, forward-mode AD, hooks, custom autograd
  functions, jacobian/hessian and other late additions, the same way.

A program may start with ``# fuzz-mode: forward`` (or ``both``): the fuzz
pipeline then runs it as ``gradviz run --mode forward`` does.
"""
from __future__ import annotations

import random

MODES = ["forward", "both"]

# values at the edges, by what the parameter wants
INTS = ["0", "1", "2", "3", "-1", "-3", "10**6", "2**31", "2**63", "10**20", "True", "None",
        "2.0", "0.5", "'a'", "(2, 2)", "(1,)", "(0, 1)", "()", "[2, 2]", "(2, -1)", "(1, 1, 1)",
        "[[1]]", "float('nan')", "float('inf')", "x", "torch.tensor(2)", "(10**6, 1)"]
SMALL = ["1", "2", "3", "1", "2", "(1, 2)", "(2, 1)", "[2, 2]"]
FLOATS = ["0.0", "0.5", "1.0", "-0.1", "1.1", "1e-30", "1e30", "float('nan')", "float('inf')",
          "-float('inf')", "None", "True", "'a'", "x", "(0.1,)", "-1", "2", "torch.tensor(0.5)"]
STRINGS = ["'same'", "'valid'", "'zeros'", "'reflect'", "'circular'", "'replicate'", "'constant'",
           "'mean'", "'sum'", "'none'", "'batchmean'", "''", "'SAME'", "None", "0", "'ij->ji'"]
BOOLS = ["True", "False", "None", "0", "1", "'a'", "x"]
DTYPES = ["torch.float32", "torch.float64", "torch.int64", "torch.bool", "torch.long",
          "torch.float16", "float", "int", "None", "'float'"]

# tensors to feed: the plausible shapes and the odd ones
T4 = ["X4", "X4", "X4", "X4.detach()", "X4[:, :, ::2]", "X4.transpose(2, 3)", "zeros(0, 3, 5, 5)",
      "ones(2, 0, 4, 4)", "randn(1, 3, 1, 1)", "randn(2, 3, 5, 5, dtype=torch.float64)",
      "ones(2, 3, 5, 5, dtype=torch.int64)", "ones(2, 3, 5, 5) > 0", "randn(3, 5, 5)",
      "randn(2, 3, 5)", "randn(1, 1, 1, 1, 1)", "tensor(1.0)", "X4 * float('nan')",
      "X4.expand(2, 3, 5, 5)", "ones(1, 3, 1, 10**4)", "randn(2, 3, 0, 5)"]
T3 = ["X3", "X3", "X3", "X3[:, :, 1:]", "zeros(0, 3, 7)", "ones(2, 3, 0)", "randn(3, 7)",
      "randn(2, 3, 7, dtype=torch.float64)", "arange(42).reshape(2, 3, 7)", "tensor(1.0)",
      "X3 * float('inf')"]
WEIGHTS = ["W4", "W4", "W4", "W3", "randn(4, 1, 3, 3)", "randn(4, 3, 0, 3)", "zeros(0, 3, 3, 3)",
           "randn(4, 3, 9, 9)", "randn(3, 3, 3, 3, dtype=torch.float64)", "randn(4, 3)",
           "ones(4, 3, 3, 3, dtype=torch.int64)", "randn(6, 1, 1, 1)", "randn(4, 3, 1)",
           "randn(4, 3, 3, 3, requires_grad=True)", "None"]
BIASES = ["B", "B", "None", "zeros(3)", "zeros(4, 1)", "tensor(0.0)", "zeros(4, dtype=torch.float64)",
          "zeros(0)", "0.0", "True", "randn(4, requires_grad=True)"]
TENSORS = ["x", "x", "m", "p", "logits", "idx", "tensor([0.0, 1.0])", "zeros(0)", "zeros(0, 3)",
           "tensor(0.5)", "tensor([[0.2, 0.8], [0.5, 0.5]])", "tensor([1, 2, 3])",
           "tensor([True, False])", "ones(2, 3, dtype=torch.float64, requires_grad=True)",
           "tensor([float('nan'), 1.0])", "tensor([-1.0, 2.0])", "x.T", "x[0]", "x[:, ::2]",
           "randn(2, 3, 4)", "m.detach()", "tensor([[1, 0], [0, 1]])"]
INDICES = ["idx", "tensor([0, 2])", "tensor([[0, 1], [2, 0]])", "tensor([-1, 0])",
           "tensor([3, 100])", "tensor([0.0, 1.0])", "tensor([True, False])", "zeros(0, dtype=torch.int64)",
           "tensor(1)", "tensor([10**6])", "tensor([0, 1, 2])", "[0, 1]", "1", "None"]
SHAPES = ["()", "(2,)", "(0,)", "(2, 3)", "(-1,)", "(10**6, 10**6)", "[3]", "2", "None", "(2.0,)",
          "torch.Size([3])", "(1, 0, 2)"]
EQUATIONS = ["'ij,jk->ik'", "'ij->ji'", "'ii->i'", "'ii'", "'i,i->'", "'bij,bjk->bik'",
             "'...j,j->...'", "'ij,ij->ij'", "'i,j->ij'", "''", "'ij->'", "'ij,jk'", "'i->ii'",
             "'ab,bc,cd->ad'", "'->'", "'ij->jj'", "'IJ->JI'", "'i j -> j i'", "'ij,jk->ik->i'",
             "'...,...->...'", "'ij,k->'", "'aa,a->a'", "'i,i,i->i'", "'ij,jk->iz'", "3", "None"]


def _pick(r: random.Random, pool: list[str], sanity: float, good: str) -> str:
    """`good`, as often as this program keeps to plausible values, else
    one from `pool`."""
    return good if r.random() < sanity else r.choice(pool)


SANITY = [1.0, 0.97, 0.9, 0.75, 0.5, 0.0]     # how often a program's arguments are plausible


def _call(r: random.Random, fn: str, positional: list[str], keywords: dict[str, str],
          sanity: float = 0.5) -> str:
    """fn(...) with the positional arguments (a plausible program keeps them
    all, others some), some keywords, sometimes one twice or an unknown one,
    sometimes all of them passed as *args, **kwargs."""
    keep = len(positional) if r.random() < sanity else r.randint(0, len(positional))
    kw = {k: v for k, v in keywords.items() if r.random() < 0.5}
    args = positional[:keep]
    if r.random() > sanity and r.random() < 0.2:          # a keyword twice or unknown
        kw[r.choice(["input", "weight", "bias", "dim", "bogus", "out"])] = r.choice(INTS)
    if r.random() < 0.15:
        return f"{fn}(*[{', '.join(args)}], **{{{', '.join(f'{k!r}: {v}' for k, v in kw.items())}}})"
    return f"{fn}({', '.join(args + [f'{k}={v}' for k, v in kw.items()])})"


# ---- layers ---------------------------------------------------------------------

LAYER_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed({seed})
X4 = torch.randn(2, 3, 5, 5, requires_grad={rg})
X3 = torch.randn(2, 3, 7, requires_grad=True)
W4 = torch.randn(4, 3, 3, 3, requires_grad=True)
W3 = torch.randn(4, 3, 3, requires_grad=True)
B = torch.zeros(4, requires_grad=True)
x = torch.randn(3, requires_grad=True)
"""


def _layer_expr(r: random.Random, sane: float) -> str:
    """One call of a convolution, pooling, padding, norm or embedding, as a
    function or through a module."""
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(14)
    if kind == 0:
        return c(r.choice(["F.conv2d", "torch.conv2d", "F.conv1d"]),
                     [p(T4 + T3, "X4"), p(WEIGHTS, "W4"), p(BIASES, "B"), p(INTS + SMALL, "1"),
                      p(INTS + STRINGS + SMALL, "1"), p(INTS + SMALL, "1"), p(INTS, "1")],
                     {"stride": p(INTS + SMALL, "2"), "padding": p(INTS + STRINGS + SMALL, "'same'"),
                      "dilation": p(INTS + SMALL, "2"), "groups": p(INTS, "1")})
    if kind == 1:
        cls = r.choice(["nn.Conv2d", "nn.Conv1d"])
        mod = c(cls, [p(INTS, "3"), p(INTS, "4"), p(INTS + SMALL, "3")],
                    {"stride": p(INTS + SMALL, "1"), "padding": p(INTS + STRINGS + SMALL, "1"),
                     "dilation": p(INTS + SMALL, "1"), "groups": p(INTS, "1"),
                     "bias": p(BOOLS, "True"), "padding_mode": p(STRINGS, "'zeros'"),
                     "dtype": p(DTYPES, "torch.float32")})
        return f"{mod}({p(T4 + T3, 'X4' if cls.endswith('2d') else 'X3')})"
    if kind in (2, 3):
        pool = r.choice(["max_pool2d", "max_pool1d", "avg_pool2d", "avg_pool1d"])
        keywords = {"stride": p(INTS + SMALL, "None"), "padding": p(INTS + SMALL, "0"),
                    "ceil_mode": p(BOOLS, "False")}
        if pool.startswith("max"):
            keywords |= {"dilation": p(INTS + SMALL, "1"), "return_indices": p(BOOLS, "False")}
        else:
            keywords |= {"count_include_pad": p(BOOLS, "True"),
                         "divisor_override": p(INTS, "None")}
        if kind == 2:
            return c(f"F.{pool}", [p(T4 + T3, "X4"), p(INTS + SMALL, "2")], keywords)
        name = "nn." + pool.replace("_pool", "Pool").replace("max", "Max").replace("avg", "Avg")
        return f"{c(name, [p(INTS + SMALL, '2')], keywords)}({p(T4 + T3, 'X4')})"
    if kind == 4:
        fn = r.choice(["F.adaptive_avg_pool2d", "F.adaptive_avg_pool1d", "nn.AdaptiveAvgPool2d",
                       "nn.AdaptiveAvgPool1d"])
        size = p(INTS + SMALL + ["(None, 2)", "(1, None)"], r.choice(["1", "(2, 3)", "4"]))
        if fn.startswith("nn."):
            return f"{fn}({size})({p(T4 + T3, 'X4')})"
        return f"{fn}({p(T4 + T3, 'X4')}, {size})"
    if kind == 5:
        pad = p(["(1, 1)", "(1, 2, 3, 4)", "(-1, -1)", "(-3, -3)", "(1,)", "()", "(0, 0, 0, 0, 0, 0)",
                 "[1, 1]", "(10**6, 10**6)", "(1.5, 1)", "(1, 1, 1, 1, 1, 1, 1, 1, 1, 1)", "1",
                 "None", "(-10, 0)"], "(1, 2)")
        return c("F.pad", [p(T4 + T3 + TENSORS, "X4"), pad, p(STRINGS, "'constant'"),
                                  p(FLOATS, "0.0")], {"mode": p(STRINGS, "'constant'"),
                                                      "value": p(FLOATS, "1.5")})
    if kind == 6:
        shape = p(SHAPES + INTS + ["(5, 5)", "(3, 5, 5)", "[5]", "X4.shape[1:]"], "5")
        mod = c("nn.LayerNorm", [shape], {"eps": p(FLOATS, "1e-5"),
                                                 "elementwise_affine": p(BOOLS, "True"),
                                                 "bias": p(BOOLS, "True")})
        return f"{mod}({p(T4 + T3, 'X4')})"
    if kind == 7:
        return c("F.layer_norm", [p(T4 + T3 + TENSORS, "X4"), p(SHAPES + ["(5,)", "[5, 5]"], "(5,)"),
                                         p(TENSORS + ["None", "ones(5)"], "None"),
                                         p(TENSORS + ["None", "zeros(5)"], "None"), p(FLOATS, "1e-5")], {})
    if kind in (8, 9):
        cls = r.choice(["nn.BatchNorm1d", "nn.BatchNorm2d"])
        mod = c(cls, [p(INTS, "3")], {"eps": p(FLOATS, "1e-5"), "momentum": p(FLOATS, "0.1"),
                                             "affine": p(BOOLS, "True"),
                                             "track_running_stats": p(BOOLS, "True")})
        x = p(T4 + T3, "X4" if cls.endswith("2d") else "X3")
        if kind == 9:
            return f"bn = {mod}\nbn.eval() if {r.choice(['True', 'False'])} else bn.train()\n" \
                   f"y = bn({x})\nprint(bn.running_mean, bn.num_batches_tracked)"
        return f"{mod}({x})"
    if kind == 10:
        return c("F.batch_norm", [p(T4 + T3, "X3"), p(TENSORS + ["zeros(3)", "None"], "zeros(3)"),
                                         p(TENSORS + ["ones(3)", "None"], "ones(3)"),
                                         p(TENSORS + ["None"], "None"), p(TENSORS + ["None"], "None"),
                                         p(BOOLS, "True"), p(FLOATS, "0.1"), p(FLOATS, "1e-5")], {})
    if kind == 11:
        mod = c("nn.Embedding", [p(INTS, "5"), p(INTS, "3")],
                    {"padding_idx": p(INTS, "0"), "max_norm": p(FLOATS, "None"),
                     "sparse": p(BOOLS, "False")})
        return f"{mod}({p(INDICES + TENSORS, 'tensor([0, 2])')})"
    if kind == 12:
        return c("F.embedding", [p(INDICES + TENSORS, "tensor([0, 2])"),
                                        p(TENSORS + ["randn(5, 3, requires_grad=True)", "W4"],
                                          "randn(5, 3, requires_grad=True)")],
                     {"padding_idx": p(INTS, "1")})
    seq = ", ".join(r.choice(["nn.Conv2d(3, 4, 3, padding=1)", "nn.ReLU()", "nn.MaxPool2d(2)",
                              "nn.AvgPool2d(2, ceil_mode=True)", "nn.Flatten()", "nn.BatchNorm2d(4)",
                              "nn.AdaptiveAvgPool2d((1, 1))", "nn.LazyLinear(2)", "nn.Dropout(0.5)",
                              "nn.Conv2d(4, 4, 1, groups=2)", "nn.LayerNorm(5)", "nn.Sigmoid()"])
                    for _ in range(r.randint(1, 5)))
    return f"net = nn.Sequential({seq})\nprint(net)\ny = net({p(T4, 'X4')})"


AFTER = ["print(y)", "print(y.shape, y.dtype, y.grad_fn)", "y.sum().backward()\nprint(X4.grad)",
         "y.mean().backward(retain_graph=True)\ny.mean().backward()",
         "g, = torch.autograd.grad(y.sum(), X4, create_graph=True)\ng.pow(2).sum().backward()\n"
         "print(X4.grad)",
         "g = torch.autograd.grad(y.sum(), [X4, W4], create_graph=True, allow_unused=True)\n"
         "print(g)\ng[0].sum().backward()",
         "v = y[0]\nv += 1\ny.sum().backward()", "y[:, 0].relu_()\ny.sum().backward()",
         "with torch.no_grad():\n    y.view(-1)[0] = 1e30\nprint(y)",
         "y.backward(torch.ones_like(y))\nprint(W4.grad)", "print(y[0].grad_fn.next_functions)",
         "z = y.flatten(1)\nz.exp().sum().backward()\nprint(B.grad)",
         "y.sum().backward(create_graph=True)\nX4.grad.sum().backward()",
         "print(y.grad_fn._saved_self)"]


def _program(r: random.Random, prelude: str, expr_of, after: list[str], rebind=None) -> str:
    """The prelude, then one to four statements from expr_of, each followed
    by one of `after` (and maybe rebind(r)); sometimes in forward mode."""
    lines = [prelude]
    if r.random() < 0.25:
        lines.insert(0, f"# fuzz-mode: {r.choice(MODES)}\n")
    sane = r.choice(SANITY)
    for _ in range(r.randint(1, 4)):
        expr = expr_of(r, sane)
        lines.append(expr if "\n" in expr else f"y = {expr}")
        lines.append(r.choice(after))
        if rebind is not None and r.random() < 0.3:
            lines.append(rebind(r))
    return "\n".join(lines) + "\n"


def gen_layers(r: random.Random) -> str:
    """Convolutions, pooling, padding, norms and embeddings with arguments at
    the edges, then a backward of some kind."""
    prelude = LAYER_PRELUDE.format(seed=r.randrange(5), rg=r.choice(["True", "True", "False"]))
    return _program(r, prelude, _layer_expr, AFTER, lambda r: "X4 = y" if r.random() < 0.5
                    else "X4 = X4.detach().requires_grad_()")


# ---- newer --------------------------------------------------------------------

NEWER_PRELUDE = """import torch
import torch.nn.functional as F
from torch.distributions import Categorical, Normal, Bernoulli, Multinomial
torch.manual_seed({seed})
x = torch.randn(2, 3, requires_grad=True)
m = x * 2
p = torch.tensor([0.2, 0.3, 0.5], requires_grad={rg})
logits = torch.randn(4, 3, requires_grad=True)
idx = torch.tensor([0, 2, 1, 0])
"""


def _dist_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(6)
    if kind == 0:
        arg = r.choice(["probs", "logits"])
        d = c("Categorical", [p(TENSORS, "p")], {arg: p(TENSORS, "logits"),
                                                        "validate_args": p(BOOLS, "True")})
    elif kind == 1:
        d = c("Normal", [p(TENSORS + FLOATS, "m"), p(TENSORS + FLOATS, "x.exp()")],
                  {"validate_args": p(BOOLS, "None")})
    elif kind == 2:
        d = c("Bernoulli", [p(TENSORS + FLOATS, "p")],
                  {r.choice(["probs", "logits"]): p(TENSORS + FLOATS, "x"),
                   "validate_args": p(BOOLS, "None")})
    elif kind == 3:
        d = c("Multinomial", [p(INTS, "10"), p(TENSORS, "p")],
                  {"probs": p(TENSORS, "p"), "logits": p(TENSORS + ["None"], "None")})
    elif kind == 4:
        return c(r.choice(["torch.multinomial", "p.multinomial"]),
                     [p(TENSORS + ["p"], "p"), p(INTS, "2"), p(BOOLS, "True")],
                     {"replacement": p(BOOLS, "False"), "num_samples": p(INTS, "1")})
    else:
        return c("torch.distributions.Categorical", [p(TENSORS, "logits.softmax(-1)")], {})
    use = r.choice([".sample()", f".sample({p(SHAPES, '(2,)')})", ".rsample()",
                    f".rsample({p(SHAPES, '(3,)')})", f".log_prob({p(TENSORS + INDICES, 'idx')})",
                    ".entropy()", ".probs", ".logits", ".mean", ".stddev", ".batch_shape",
                    ".event_shape", ".loc", ".scale", ".total_count", ".variance", ".cdf(x)",
                    ".expand((2, 3))", "", ".log_prob(d.sample())"])
    if use == ".log_prob(d.sample())":
        return f"d = {d}\nprint(d)\ny = d.log_prob(d.sample())"
    return f"{d}{use}"


def _newer_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(12)
    if kind in (0, 1):
        return _dist_expr(r, sane)
    if kind == 2:
        fn = r.choice(["F.cross_entropy", "torch.nn.CrossEntropyLoss"])
        opts = {"weight": p(TENSORS + ["tensor([1.0, 0.0, 2.0])", "ones(3, requires_grad=True)",
                                       "ones(3, dtype=torch.float64)"], "tensor([1.0, 0.5, 2.0])"),
                "ignore_index": p(INTS, r.choice(["-100", "0", "2"])),
                "label_smoothing": p(FLOATS, r.choice(["0.1", "0.0", "1.0"])),
                "reduction": p(STRINGS, "'mean'")}
        target = p(INDICES + TENSORS + ["logits.softmax(-1)", "idx.float()"],
                   r.choice(["idx", "logits.softmax(-1).detach()"]))
        inp = p(TENSORS + ["logits", "logits[0]", "logits.unsqueeze(-1)"], "logits")
        if fn.startswith("torch.nn"):
            return f"{c(fn, [], opts)}({inp}, {target})"
        return c(fn, [inp, target], opts)
    if kind == 3:
        fn = r.choice(["torch.repeat_interleave", "x.repeat_interleave"])
        reps = p(INTS + ["tensor([1, 2])", "tensor([1, 0, 2])", "tensor([-1, 1])", "tensor([[1]])",
                         "tensor([1.0, 2.0])", "tensor(3)"], r.choice(["2", "tensor([1, 2])"]))
        args = [reps] if fn.startswith("x.") else [p(TENSORS, "x"), reps]
        return c(fn, args, {"dim": p(INTS, "0"), "output_size": p(INTS, "None")})
    if kind == 4:
        return c("F.one_hot", [p(INDICES + TENSORS, "idx"), p(INTS, "3")],
                     {"num_classes": p(INTS, "-1")})
    if kind == 5:
        ops = [p(TENSORS, r.choice(["x", "m.T", "x[0]"])) for _ in range(r.choice([1, 2, 2, 3]))]
        if r.random() < 0.3:
            return f"torch.einsum({p(EQUATIONS, repr('ij,jk->ik'))}, [{', '.join(ops)}])"
        return f"torch.einsum({', '.join([p(EQUATIONS, repr('ij,jk->ik'))] + ops)})"
    if kind == 6:
        fn = r.choice(["torch.sort", "x.sort", "torch.topk", "x.topk", "torch.argsort"])
        if "topk" in fn:
            args = [p(INTS, "2")]
            kw = {"dim": p(INTS, "-1"), "largest": p(BOOLS, "True"), "sorted": p(BOOLS, "True")}
        else:
            args = [p(INTS, "0")]
            kw = {"dim": p(INTS, "-1"), "descending": p(BOOLS, "True"), "stable": p(BOOLS, "True")}
        if fn.startswith("torch."):
            args.insert(0, p(TENSORS, "x"))
        return c(fn, args, kw)
    if kind == 7:
        # chained assignment, to names, items and attributes
        target = r.choice(["a = b", "a = x.grad", "a = b = c", "L = [0, 0]\na = L[0] = L[1]",
                          "a, b = c", "x.requires_grad = a", "b = [0]\na = b[0]",
                          "d = {}\na = d['k']", "a = m[0]", "a = x.data[0]", "a = x[:, 1] = b"])
        return f"{target} = {p(TENSORS + INTS, 'x * 2')}\nprint(a)\ny = a"
    if kind == 8:
        # f(**kwargs) and f(*args) into the program's own functions and torch's
        kw = "{" + ", ".join(f"'{k}': {p(TENSORS + INTS, 'x')}"
                             for k in r.sample(["t", "k", "dim", "bogus", "input"], r.randint(0, 3))) + "}"
        fn = r.choice(["f", "F.softmax", "torch.sum", "F.cross_entropy", "x.sum", "Normal",
                       "F.conv2d", "torch.einsum", "Categorical"])
        star = r.choice(["", f"*{p(['[x]', '()', '(x, 0)', 'x', '[1, 2]', 'None'], '[x]')}, "])
        return f"def f(t, k=2, **rest):\n    return t * k\ny = {fn}({star}**{kw})"
    if kind == 9:
        opt = r.choice(["SGD", "Adam", "Adagrad", "RMSprop"])
        kw = {"lr": p(FLOATS, "0.1"), "momentum": p(FLOATS, "0.9"), "weight_decay": p(FLOATS, "0.0")}
        if opt == "Adam":
            kw = {"lr": p(FLOATS, "0.1"), "betas": p(["(0.9, 0.99)", "(1.0, 0.5)", "(0.9,)", "None",
                                                       "0.9"], "(0.9, 0.999)"),
                  "eps": p(FLOATS, "1e-8"), "amsgrad": p(BOOLS, "False")}
        params = p(["[x]", "[x, p]", "[m]", "[]", "x", "[{'params': [x], 'lr': 0.5}]", "[1.0]",
                    "[x, x]", "None"], "[x]")
        return (f"opt = {c('torch.optim.' + opt, [params], kw)}\n"
                f"for step in range({r.choice(['1', '2', '3'])}):\n"
                f"    opt.zero_grad()\n    loss = (x ** 2).sum()\n    loss.backward()\n"
                f"    opt.step()\nprint(x)\ny = x")
    if kind == 10:
        tangent = p(TENSORS + ["ones(2, 3)", "torch.ones_like(x)"], "torch.ones_like(x)")
        fn = r.choice(["d.exp()", "d.softmax(-1)", "F.pad(d, (1, 1))", "d @ d.T", "d.sort()[0]",
                       "d.repeat_interleave(2, dim=0)", "torch.einsum('ij->j', d)",
                       "F.layer_norm(d, (3,))", "d.topk(2)[0]", "F.one_hot(d.argmax(-1), 3)",
                       "F.cross_entropy(d, tensor([0, 1]))", "d.cumsum(0)"])
        return ("import torch.autograd.forward_ad as fwAD\nwith fwAD.dual_level():\n"
                f"    d = fwAD.make_dual({p(TENSORS, 'x.detach()')}, {tangent})\n"
                f"    y = {fn}\n    print(fwAD.unpack_dual(y).tangent)")
    fn = r.choice(["torch.autograd.functional.jacobian", "torch.autograd.functional.hessian"])
    body = r.choice(["lambda t: t.exp().sum()", "lambda t: F.pad(t, (1, 1)).sum()",
                     "lambda t: t.sort()[0]", "lambda t: torch.einsum('i,i->', t, t)",
                     "lambda t: t.topk(1)[0].sum()", "lambda t: F.softmax(t, 0)", "print",
                     "lambda t: 3", "lambda t, u: t"])
    return c(fn, [body, p(TENSORS + ["p.detach()", "(x, x)"], "p.detach()")],
                 {"create_graph": p(BOOLS, "False")})


NEWER_AFTER = ["print(y)", "y.sum().backward()\nprint(x.grad, p.grad, logits.grad)",
               "y.sum().backward(create_graph=True)\nprint(x.grad.grad_fn)",
               "print(type(y), len(y))", "a, b = y\nprint(a, b)",
               "y.register_hook(lambda g: g * 2)\ny.sum().backward()",
               "y.mean().backward(inputs=[x])", "y += 1\ny.sum().backward()",
               "print(y.grad_fn.name(), y.grad_fn.next_functions)",
               "g = torch.autograd.grad(y.sum(), [x, logits], allow_unused=True, create_graph=True)\n"
               "print(g)", "y.backward(y)", "print(y.values, y.indices)"]


def gen_newer(r: random.Random) -> str:
    """Distributions, multinomial, cross_entropy's options, repeat_interleave,
    one_hot, einsum, sort/topk, chained assignment, **kwargs, optimizers,
    forward mode, jacobians, with arguments at the edges."""
    prelude = NEWER_PRELUDE.format(seed=r.randrange(5), rg=r.choice(["True", "False"]))
    return _program(r, prelude, _newer_expr, NEWER_AFTER)


# ---- recent -------------------------------------------------------------------

RECENT_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed({seed})
X4 = torch.randn(2, 3, 5, 5, requires_grad=True)
X3 = torch.randn(2, 3, 7, requires_grad=True)
WT = torch.randn(3, 4, 3, 3, requires_grad=True)
WT1 = torch.randn(3, 4, 3, requires_grad=True)
B = torch.zeros(4, requires_grad=True)
x = torch.randn(3, requires_grad=True)
q = torch.randn(2, 2, 4, 4, requires_grad=True)
k = torch.randn(2, 2, 5, 4, requires_grad=True)
v = torch.randn(2, 2, 5, 4, requires_grad=True)
logits = torch.randn(2, 3, 4, requires_grad=True)
target = torch.tensor([[0, 2, 1, 0], [1, 1, 2, 0]])
idx = torch.tensor([0, 2, 1, 0])
m = x * 2
p = torch.tensor([0.2, 0.3, 0.5], requires_grad=True)
"""
TWEIGHTS = ["WT", "WT", "WT1", "randn(3, 2, 3, 3)", "randn(3, 0, 3, 3)", "zeros(0, 4, 3, 3)",
            "randn(4, 3, 3, 3)", "randn(3, 4, 3, 3, dtype=torch.float64)", "randn(3, 4)",
            "ones(3, 4, 3, 3, dtype=torch.int64)", "randn(3, 4, 9, 9)", "None", "tensor(1.0)"]
MASKS = ["None", "ones(4, 5, dtype=torch.bool)", "zeros(4, 5, dtype=torch.bool)", "randn(4, 5)",
         "randn(2, 2, 4, 5, dtype=torch.float64)", "ones(4, 5, dtype=torch.int64)", "randn(5, 4)",
         "randn(3, 4, 5)", "tensor(True)", "ones(1, 1, dtype=torch.bool)", "zeros(0, 5)",
         "torch.full((4, 5), float('-inf'))", "randn(4, 5, requires_grad=True)", "1.0", "'a'"]
QKV = ["q", "k", "v", "q[0]", "q.double()", "randn(2, 4, 4, 4)", "randn(2, 1, 5, 4)", "zeros(0, 2, 4, 4)",
       "randn(2, 2, 4, 0)", "randn(4)", "tensor(1.0)", "randn(2, 2, 4, 3)", "q.long()",
       "randn(2, 2, 0, 4)", "q.transpose(2, 3)", "q.detach()", "None"]
HOOKS = ["lambda gi, go: None", "lambda gi, go: gi", "lambda gi, go: (None,)",
         "lambda gi, go: (None, None)", "lambda gi, go: tuple(g * 2 if g is not None else None for g in gi)",
         "lambda gi, go: (1.0,)", "lambda gi, go: 5", "lambda gi, go: [gi[0]]", "lambda gi, go: gi + gi",
         "lambda gi, go: (torch.ones(1),) * len(gi)", "lambda gi, go: (go[0].double(),) * len(gi)",
         "lambda gi, go: print(len(gi), len(go))", "lambda gi: None", "lambda: None", "print", "None",
         "3", "lambda gi, go: ()", "lambda gi, go: (go[0].sum(),) * len(gi)",
         "lambda gi, go: 1 / 0", "lambda *a: a[0]", "lambda gi, go: (torch.zeros(10**4),) * len(gi)"]
PREHOOKS = ["lambda go: None", "lambda go: go", "lambda go: (None,)", "lambda go: (go[0] * 2,)",
            "lambda go: go + go", "lambda go: go[0]", "lambda go: 5", "lambda go: ()",
            "lambda go: (go[0].double(),)", "lambda go: (go[0].sum(),)", "lambda go: (torch.ones(7),)",
            "lambda go: [go[0]]", "lambda go, gi: None", "None", "print", "lambda go: (1.0,)",
            "lambda go: (go[0].long(),)", "lambda go: (go[0].requires_grad_(),)"]
TENSOR_HOOKS = ["lambda g: g * 2", "lambda g: None", "lambda g: g.detach()", "lambda g: g.sum()",
                "lambda g: g.double()", "lambda g: 5", "lambda g: (g,)", "lambda g: g * g",
                "lambda g: torch.ones(7)", "lambda g: g.long()", "lambda: None", "None",
                "lambda g: g.pow(2).sum() * g", "lambda g: print(g.requires_grad, g.grad_fn)"]
CE_INPUTS = ["logits", "logits", "X4", "X3", "logits[0]", "logits.unsqueeze(-1)", "randn(2, 3)",
             "zeros(0, 3, 4)", "randn(2, 3, 0)", "logits.double()", "logits.long()", "tensor(1.0)",
             "randn(2, 0, 4)", "randn(2, 3, 4, 1, 1)"]
CE_TARGETS = ["target", "target", "target[0]", "target.unsqueeze(-1)", "target.float()",
              "tensor([0, 1])", "zeros(2, 4, dtype=torch.int64)", "zeros(2, 5, 5, dtype=torch.int64)",
              "zeros(2, 7, dtype=torch.int64)", "torch.full((2, 4), 3)", "torch.full((2, 4), -1)",
              "torch.full((2, 4), -100)", "logits.softmax(1).detach()", "logits.softmax(1)",
              "zeros(0, 4, dtype=torch.int64)", "target.bool()", "tensor(0)", "randn(2, 3, 5)"]
SEQS = ["classes", "l", "'abcd'", "(1, 2)", "[]", "{0: 'a', 1: 'b'}", "range(5)"]
INT_TENSORS = ["tensor(1)", "tensor([2])", "tensor(-1)", "tensor(10)", "tensor([1, 2])", "tensor(1.0)",
               "tensor(True)", "tensor(2**40)", "target[0, 0]", "tensor([])", "zeros(1, 1, dtype=torch.int64)",
               "x.argmax()", "tensor(-10**6)", "torch.tensor(3, dtype=torch.int8)", "x", "None"]


def _recent_expr(r: random.Random, sane: float) -> str:
    """One use of a lately added feature: transposed convolutions, attention,
    node and accumulate hooks, saved tensors, lazy layers, buffers, torch.nn
    subclasses, tensors as Python indices, spatial cross_entropy."""
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(18)
    if kind in (16, 17):
        # pooling and cross_entropy(label_smoothing=), for create_graph=True in `after`
        fn = r.choice(["F.max_pool2d", "F.avg_pool2d", "F.max_pool1d", "F.avg_pool1d",
                       "F.adaptive_avg_pool2d", "F.adaptive_avg_pool1d", "F.cross_entropy"])
        if fn == "F.cross_entropy":
            return c(fn, [p(CE_INPUTS, "logits"), p(CE_TARGETS, "target")],
                     {"label_smoothing": p(FLOATS, "0.2"), "weight": p(TENSORS + ["None"], "None")})
        inp = p(T4 + T3, "X3" if fn.endswith("1d") else "X4")
        return c(fn, [inp, p(INTS + SMALL, "2")],
                 {"stride": p(INTS + SMALL, "1"), "padding": p(INTS + SMALL, "1")}
                 if "adaptive" not in fn else {})
    if kind in (0, 1):
        fn = r.choice(["F.conv_transpose2d", "F.conv_transpose1d", "torch.conv_transpose2d"])
        two = not fn.endswith("1d")
        return c(fn, [p(T4 + T3, "X4" if two else "X3"), p(TWEIGHTS, "WT" if two else "WT1"),
                      p(BIASES, "B")],
                 {"stride": p(INTS + SMALL, "2"), "padding": p(INTS + SMALL, "1"),
                  "output_padding": p(INTS + SMALL, "0"), "groups": p(INTS, "1"),
                  "dilation": p(INTS + SMALL, "1")})
    if kind == 2:
        cls = r.choice(["nn.ConvTranspose2d", "nn.ConvTranspose1d"])
        mod = c(cls, [p(INTS, "3"), p(INTS, "4"), p(INTS + SMALL, "3")],
                {"stride": p(INTS + SMALL, "2"), "padding": p(INTS + SMALL, "1"),
                 "output_padding": p(INTS + SMALL, "1"), "groups": p(INTS, "1"),
                 "bias": p(BOOLS, "True"), "dilation": p(INTS + SMALL, "1"),
                 "padding_mode": p(STRINGS, "'zeros'"), "dtype": p(DTYPES, "torch.float32")})
        inp = p(T4 + T3, "X4" if cls.endswith("2d") else "X3")
        if r.random() < 0.4:
            size = p(SHAPES + INTS + ["(10, 10)", "(9, 9)", "(11, 11)", "[2, 4, 10, 10]", "(100, 100)",
                                      "(10,)", "X4.shape", "(13,)", "(14,)"], "(10, 10)" if
                     cls.endswith("2d") else "(14,)")
            return f"m = {mod}\ny = m({inp}, output_size={size})"
        return f"m = {mod}\ny = m({inp})"
    if kind in (3, 4):
        return c("F.scaled_dot_product_attention",
                 [p(QKV, "q"), p(QKV, "k"), p(QKV, "v")],
                 {"attn_mask": p(MASKS, "ones(4, 5, dtype=torch.bool)"), "dropout_p": p(FLOATS, "0.0"),
                  "is_causal": p(BOOLS, "True"), "scale": p(FLOATS + ["None"], "0.5"),
                  "enable_gqa": p(BOOLS, "False")})
    if kind in (5, 6):
        # node hooks on the graph of some op, then a backward through them
        op = r.choice(["x * x", "x.exp()", "(x * 2).sum()", "torch.stack([x, x])", "x.sigmoid()",
                       "x.max()", "x.unbind()[0]", "x + x.detach()", "x.sort()[0]", "x @ x",
                       "F.conv1d(X3, WT1.transpose(0, 1))", "x.split(1)[0]", "x.clone()",
                       "F.conv_transpose1d(X3, WT1)", "F.conv_transpose2d(X4, WT, B, stride=2)",
                       "F.scaled_dot_product_attention(q, k, v)", "F.max_pool2d(X4, 2)",
                       "F.cross_entropy(logits, target, label_smoothing=0.1)",
                       "F.nll_loss(logits, target, reduction='none')", "nn.LazyConv1d(2, 3)(X3)",
                       "F.scaled_dot_product_attention(q[0], k[0], v[0], is_causal=True)"])
        node = p(["y.grad_fn", "y.grad_fn.next_functions[0][0]", "y.grad_fn.next_functions[-1][0]",
                  "x.grad_fn", "(x * 1).grad_fn.next_functions[0][0]", "y", "None"],
                 r.choice(["y.grad_fn", "y.grad_fn.next_functions[0][0]"]))
        reg = r.choice(["register_hook", "register_prehook", "register_hook", "register_prehook",
                        "register_bogus"])
        hook = p(HOOKS if reg != "register_prehook" else PREHOOKS,
                 r.choice(["lambda gi, go: None", "lambda gi, go: gi"]) if reg != "register_prehook"
                 else "lambda go: go")
        return f"y = {op}\nh = {node}.{reg}({hook})\nprint(h)"
    if kind == 7:
        hook = p(["lambda p: None", "lambda p: print(p.grad)", "lambda p: p.grad.zero_()",
                  "lambda p: 5", "lambda p, q: None", "lambda: None", "None", "print",
                  "lambda p: p.add_(1)", "lambda p: p.grad.mul_(2)", "lambda p: setattr(p, 'grad', None)"],
                 "lambda p: print(p.grad)")
        who = p(["x", "x", "X4", "(x * 2)", "x.detach()", "B", "tensor(1.0)", "x[0]"], "x")
        return f"h = {who}.register_post_accumulate_grad_hook({hook})\ny = x * x"
    if kind == 8:
        hook = p(TENSOR_HOOKS, "lambda g: g * 2")
        who = p(["x", "y", "y", "x.detach()", "q"], "y")
        return (f"y = x.exp() * x\nh = {who}.register_hook({hook})\n"
                f"g, = torch.autograd.grad(y.sum(), x, create_graph={p(BOOLS, 'True')})\nprint(g)\n"
                f"y = g")
    if kind == 9:
        op = r.choice(["x.exp()", "x * x", "x.sigmoid()", "x.tanh()", "x.pow(3)", "x.sum()", "x.max()",
                       "F.conv_transpose1d(X3, WT1)", "x.relu()", "F.softmax(x, 0)", "x.sqrt()",
                       "F.scaled_dot_product_attention(q, k, v)", "x @ x", "x.sort()[0]"])
        attr = r.choice(["_saved_result", "_raw_saved_result", "_saved_self", "_raw_saved_self",
                         "_saved_other", "_raw_saved_other", "_saved_exponent", "_raw_saved_bogus",
                         "_saved_", "_raw_saved_", "_saved_weight", "_raw_saved_weight",
                         "_raw_saved_result.unpack()", "_raw_saved_self.register_hooks(print, print)",
                         "_saved_result.grad_fn"])
        when = r.choice(["", "y.sum().backward()\n", "y.sum().backward(retain_graph=True)\n"])
        return f"y = {op}\n{when}s = y.grad_fn.{attr}\nprint(type(s), s)\ny = y * 1"
    if kind == 10:
        cls = r.choice(["nn.LazyConv2d", "nn.LazyConv1d", "nn.LazyBatchNorm2d", "nn.LazyBatchNorm1d"])
        if "Conv" in cls:
            mod = c(cls, [p(INTS, "4"), p(INTS + SMALL, "3")],
                    {"stride": p(INTS + SMALL, "1"), "padding": p(INTS + STRINGS + SMALL, "1"),
                     "groups": p(INTS, "1"), "bias": p(BOOLS, "True"), "dilation": p(INTS + SMALL, "1")})
        else:
            mod = c(cls, [], {"eps": p(FLOATS, "1e-5"), "momentum": p(FLOATS, "0.1"),
                              "affine": p(BOOLS, "True"), "track_running_stats": p(BOOLS, "True")})
        inp = p(T4 + T3 + ["X4.double()", "X3.double()", "X4.long()"],
                "X4" if cls.endswith("2d") else "X3")
        use = r.choice(["", "print(m.weight)\n", "print(m.state_dict())\n", "print(list(m.parameters()))\n",
                        "m.eval()\n", "print(m)\n"])
        return f"m = {mod}\n{use}y = m({inp})\nprint(m, type(m).__name__)"
    if kind == 11:
        name = p(["'a'", "'b'", "''", "'x.y'", "'w'", "'forward'", "None", "3", "'training'"], "'a'")
        val = p(["torch.zeros(2)", "None", "3", "torch.ones(2, requires_grad=True)", "nn.Parameter(torch.ones(2))",
                 "[1.0]", "torch.zeros(0)", "torch.ones(3)"], "torch.zeros(2)")
        pers = p(BOOLS, "True")
        return ("class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
                "        self.w = nn.Parameter(torch.ones(2))\n"
                f"        self.register_buffer({name}, {val}, persistent={pers})\n"
                "    def forward(self, t):\n        self.a += t.detach()\n        return self.w * t + self.a\n"
                f"m = M()\nprint(m.state_dict(), list(m.buffers()))\ny = m({p(TENSORS + ['x[:2]'], 'x[:2]')})")
    if kind == 12:
        base = r.choice(["nn.CrossEntropyLoss", "nn.ReLU", "nn.MaxPool2d"])
        if base == "nn.CrossEntropyLoss":
            init = c("super().__init__", [], {"label_smoothing": p(FLOATS, "0.1"),
                                              "reduction": p(STRINGS, "'sum'"),
                                              "ignore_index": p(INTS, "0"),
                                              "weight": p(TENSORS + ["None", "torch.ones(3)"], "None")})
            call = f"y = m(logits, {p(CE_TARGETS, 'target')})"
        elif base == "nn.ReLU":
            init = c("super().__init__", [], {"inplace": p(BOOLS, "False")})
            call = f"y = m({p(T4 + TENSORS, 'X4')})"
        else:
            init = c("super().__init__", [p(INTS + SMALL, "2")], {"stride": p(INTS + SMALL, "1"),
                                                                  "ceil_mode": p(BOOLS, "False")})
            call = f"y = m({p(T4 + T3, 'X4')})"
        fwd = r.choice(["", "    def forward(self, *a):\n        return super().forward(*a) * 2\n",
                        "    def forward(self, a):\n        return super().forward(a)\n",
                        "    def forward(self, a, b=None):\n        return super().forward(a, b)\n"])
        return (f"class Sub({base}):\n    def __init__(self):\n        {init}\n        self.n = 0\n{fwd}"
                f"m = Sub()\nprint(m, isinstance(m, {base}))\n{call}")
    if kind == 13:
        seq = r.choice(SEQS)
        t = p(INT_TENSORS, r.choice(["tensor(1)", "tensor([2])"]))
        use = r.choice([f"s[{t}]", f"s[{t}:]", f"s[:{t}]", f"list(range({t}))", f"s[{t}:{t}]",
                        f"[0] * {t}", f"'ab'[{t}]", f"x[{t}]", f"range({t}, {t})", f"list(range(0, 10, {t}))",
                        f"s[::{t}]", f"(1, 2, 3)[{t}]", f"s.pop({t})", f"s.insert({t}, 9)"])
        return (f"classes = ('a', 'b', 'c', 'd')\nl = [1, 2, 3]\ns = {seq}\n"
                f"print({use})\ny = x * 1")
    fn = r.choice(["F.cross_entropy", "F.nll_loss", "nn.CrossEntropyLoss", "nn.NLLLoss"])
    inp = p(CE_INPUTS, "logits")
    if "nll" in fn.lower() and r.random() < 0.7:
        inp = f"F.log_softmax({inp}, 1)"
    opts = {"weight": p(TENSORS + ["tensor([1.0, 0.0, 2.0])", "ones(3, requires_grad=True)",
                                   "ones(3, dtype=torch.float64)", "ones(4)"], "tensor([1.0, 0.5, 2.0])"),
            "ignore_index": p(INTS, r.choice(["-100", "0", "2"])),
            "reduction": p(STRINGS, "'mean'")}
    if "ross" in fn:
        opts["label_smoothing"] = p(FLOATS, r.choice(["0.1", "0.0"]))
    tgt = p(CE_TARGETS, "target")
    if fn.startswith("nn."):
        return f"{c(fn, [], opts)}({inp}, {tgt})"
    return c(fn, [inp, tgt], opts)


RECENT_AFTER = ["print(y)", "y.sum().backward()\nprint(x.grad, X4.grad, q.grad, logits.grad)",
                "g = torch.autograd.grad(y.sum(), [X4, X3, WT, WT1, q, k, v, logits, x], "
                "create_graph=True, allow_unused=True)\n"
                "s = 0\nfor t in g:\n    if t is not None:\n        s = s + t.pow(2).sum()\n"
                "s.backward()\nprint(X4.grad, q.grad)",
                "y.sum().backward(create_graph=True)\nprint(x.grad)\n"
                "(x.grad.sum() if x.grad is not None else y.sum()).backward()",
                "y.mean().backward(retain_graph=True)\ny.mean().backward()",
                "print(y.grad_fn.name(), y.grad_fn.next_functions)",
                "print(y.shape, y.dtype, y.requires_grad)", "y.backward(torch.ones_like(y))",
                "y.sum().backward(inputs=[x])", "y[0].sum().backward()"]


def gen_recent(r: random.Random) -> str:
    """Transposed convolutions, attention, node/accumulate/tensor hooks under
    create_graph, saved tensors, lazy layers, buffers, torch.nn subclasses,
    tensors as Python indices and spatial losses, with arguments at the edges."""
    prelude = RECENT_PRELUDE.format(seed=r.randrange(5))
    return _program(r, prelude, _recent_expr, RECENT_AFTER)
