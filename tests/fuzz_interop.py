"""Fuzz generators for numpy interop, float16 and Transformer layer hooks
(tests/test_fuzz.py registers them beside its own):

* ``numpy``: `import numpy as np` next to torch: torch.from_numpy (memory
  shared both ways, writes through either side, non-contiguous and
  negative-stride views), .numpy(), torch.tensor/as_tensor of arrays of
  every dtype, tensors with arrays and numpy scalars in operators, numpy's
  functions on a tensor's numpy view, empty, 0-d and inf/nan arrays;
* ``half``: float16 tensors made by .half(), dtype=, .to() and casts, their
  arithmetic, reductions, matmul, softmax and mse_loss, promotion with
  float32/float64/int/bool tensors and Python numbers, overflow to inf,
  underflow, nan, empty and 0-d tensors, and backward through all of it;
* ``hooks``: forward, forward-pre, full-backward and full-backward-pre hooks
  on a Transformer encoder layer's parts (self_attn, linear1, linear2,
  norm1, norm2, dropout, the layer, an encoder's layers[i]) that print,
  record or replace what they see, then a forward and a backward.

Most programs keep to plausible arguments (differences in printed values are
what these look for); some take an edge value from a pool.
"""
from __future__ import annotations

import random

# ---- numpy ----------------------------------------------------------------------

NUMPY_PRELUDE = """import torch
import numpy as np
torch.manual_seed({seed})
np.random.seed({seed})
a = np.arange(6, dtype=np.float32).reshape(2, 3) - 2
b = np.array([[1, -2, 3], [0, 4, -5]])
c = np.random.rand(3)
t = torch.randn(2, 3, requires_grad=True)
u = torch.from_numpy(a)
"""
MATCHING = ["a", "b", "a * 0.5", "b.astype(np.float32)", "np.random.randn(2, 3)", "a.astype(np.float64)",
            "np.ascontiguousarray(a[:, ::-1])", "a.T.T", "np.array(2.5)", "np.float32(2.5)", "a[1]",
            "np.full((2, 3), 1e30)", "np.array([np.inf, -np.inf, np.nan])", "c", "np.array([1, 2, 3], dtype=np.int32)",
            "np.array([[True], [False]])", "np.ones((2, 3), dtype=np.float16)", "np.zeros((2, 3), dtype=np.uint8)"]
ARRAYS = ["a", "b", "c", "a.T", "a[:, ::2]", "a[1]", "b[:, 1:]", "c[::2]", "np.zeros((0, 3))",
          "np.array(2.5)", "np.array(3)", "np.array([np.inf, -np.inf, np.nan, 1.0])",
          "np.ones(3, dtype=np.float16)", "np.array([1, 2, 3], dtype=np.int32)",
          "np.array([True, False, True])", "np.array([250, 3], dtype=np.uint8)",
          "np.arange(4, dtype=np.int8)", "np.array([[1.5, 2.5]], dtype=np.float64)",
          "np.float32(2.5)", "np.float64(-1.25)", "np.int64(7)", "np.linspace(0, 1, 3)",
          "a[::-1]", "np.ascontiguousarray(a.T)", "a.reshape(3, 2)", "np.random.randn(2, 3)",
          "a.astype(np.float64)", "b.astype(np.float32)", "np.eye(3)[1:]", "np.array([])",
          "np.full((2, 3), 1e30)", "np.expand_dims(c, 0)", "a[None]", "np.array([[0.5], [1.5]])"]
TENSORS = ["t", "u", "t.detach()", "torch.ones(2, 3)", "torch.arange(3)", "torch.tensor(2.0)",
           "torch.zeros(0, 3)", "torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)",
           "torch.tensor([1, 2, 3], dtype=torch.int32)", "t[0]", "t.T", "torch.tensor([True, False, True])"]
NP_FUNCS = ["np.exp", "np.sum", "np.mean", "np.abs", "np.sqrt", "np.square", "np.max", "np.argmax",
            "np.cumsum", "np.tanh", "np.round", "np.sign", "np.transpose", "np.flip", "np.sort",
            "np.isnan", "np.log", "np.std", "np.floor", "np.clip"]
NP_BINARY = ["np.add", "np.multiply", "np.maximum", "np.dot", "np.matmul", "np.where", "np.subtract",
             "np.divide", "np.allclose", "np.concatenate", "np.stack"]
OPS = ["+", "-", "*", "/", "@", "==", "<", "//", "**"]
TENSOR_DTYPES = ["torch.float32", "torch.float64", "torch.int64", "torch.float16", "torch.int32",
                 "torch.bool", "torch.uint8"]
PRINT = ["print(y)", "print(y, y.dtype)", "print(y.shape, y.dtype)", "print(type(y).__name__, y)",
         "print(u, a)", "print(repr(y))", "print(y.dtype, y.sum() if hasattr(y, 'sum') else y)"]


def _numpy_statement(r: random.Random) -> str:
    arr = r.choice(ARRAYS) if r.random() < 0.3 else r.choice(MATCHING)
    ten = r.choice(TENSORS) if r.random() < 0.3 else r.choice(["t", "u", "t.detach()", "torch.ones(2, 3)"])
    kind = r.randrange(14)
    if kind == 0:
        return f"y = torch.from_numpy({arr})"
    if kind == 1:
        dtype = f", dtype={r.choice(TENSOR_DTYPES)}" if r.random() < 0.4 else ""
        grad = ", requires_grad=True" if r.random() < 0.3 else ""
        return f"y = torch.{r.choice(['tensor', 'as_tensor', 'tensor'])}({arr}{dtype}{grad})"
    if kind == 2:
        return f"y = {r.choice([ten, ten + '.detach()', ten + '.detach().clone()'])}.numpy()"
    if kind == 3:
        op = r.choice(OPS)
        return f"y = {ten} {op} {arr}" if r.random() < 0.7 else f"y = {arr} {op} {ten}"
    if kind == 4:
        return f"y = {r.choice(NP_FUNCS)}({r.choice([arr, ten + '.detach().numpy()', 'u.numpy()'])})"
    if kind == 5:
        second = r.choice([arr, "t.detach().numpy()", "1", "0.5"])
        if r.random() < 0.2:
            return f"y = np.where({arr} > 0, {second}, 0)"
        fn = r.choice(NP_BINARY)
        if fn in ("np.concatenate", "np.stack"):
            return f"y = {fn}([{arr}, {second}])"
        return f"y = {fn}({r.choice([arr, 't.detach().numpy()'])}, {second})"
    if kind == 6:                     # writes through the shared memory, both ways
        return r.choice(["a[0, 1] = 9.5\ny = u", "u[1, 2] = -7\ny = a", "u.add_(1)\ny = a",
                         "a += 1\ny = u", "np.multiply(a, 2, out=a)\ny = u", "a[:] = 0\ny = u * 2",
                         "u.mul_(0.5)\ny = a.sum()", "a.T[0] = 3\ny = u", "u.T[1] = 4\ny = a",
                         "v = a[:, 1]\nw = torch.from_numpy(v)\nw[0] = 100\ny = a"])
    if kind == 7:                     # a gradient through an array
        w = r.choice(["torch.from_numpy(a)", "torch.tensor(c[:3])", "torch.as_tensor(b)",
                      "torch.from_numpy(a.astype(np.float64))", "np.float32(2.0)", "a",
                      "torch.from_numpy(a[:, ::2])", "np.array(0.5)"])
        return f"z = (t * {w}).sum()\nz.backward()\ny = t.grad"
    if kind == 8:
        return f"y = {ten}.numpy() if not {ten}.requires_grad else {ten}.detach().numpy()"
    if kind == 9:                     # an array's methods and its tensor's view
        m = r.choice(["sum()", "mean(axis=0)", "max()", "T", "shape", "dtype", "tolist()",
                      "astype(np.int32)", "copy()", "flatten()", "reshape(-1)", "ndim", "size",
                      "item()" if arr.startswith("np.array(") else "min()", "argmin()", "std()"])
        return f"y = {arr}.{m}"
    if kind == 10:
        return f"y = {r.choice(['t.numpy()', 'torch.from_numpy([1.0, 2.0])', 'torch.from_numpy(np.float64(1.0))', 'torch.from_numpy(a[::-1])', 'np.ones(2) * t', 't.grad.numpy()', 'torch.tensor(np.array([1, 2], dtype=object))', 'torch.from_numpy(np.array([1, 2], dtype=np.uint8))'])}"
    if kind == 11:
        return f"y = torch.{r.choice(['from_numpy', 'tensor'])}({arr}).{r.choice(['sum()', 'float()', 'double()', 'mean()', 'exp()', 'T', 'shape', 'dtype', 'is_contiguous()', 'stride()', 'numpy()', 'tolist()', 'half()'])}"
    if kind == 12:
        return f"y = {ten}.{r.choice(['sum', 'mean', 'exp', 'abs'])}() + {arr}"
    return f"y = torch.from_numpy({arr}) {r.choice(OPS)} {ten}"


def gen_numpy(r: random.Random) -> str:
    lines = [NUMPY_PRELUDE.format(seed=r.randrange(4))]
    for _ in range(r.randint(2, 7)):
        lines.append(_numpy_statement(r))
        lines.append(r.choice(PRINT))
    if r.random() < 0.5:
        lines.append("(t * t).sum().backward()\nprint(t.grad, u, a)")
    return "\n".join(lines) + "\n"


# ---- float16 --------------------------------------------------------------------

HALF_PRELUDE = """import torch
import torch.nn.functional as F
torch.manual_seed({seed})
h = (torch.rand(2, 3) * 4 - 2).half().requires_grad_()
f = torch.randn(2, 3, requires_grad=True)
d = torch.randn(2, 3, dtype=torch.float64)
i = torch.tensor([[1, 2, 3], [4, 5, 6]])
k = torch.tensor([[0.5, 1.5, -2.0], [3.0, 0.25, 1.0]], dtype=torch.float16)
"""
MAIN_HALVES = ["h", "h", "k", "(h * 2)", "f.half()", "d.half()", "i.half()", "h.detach()", "k.to(dtype=torch.float16)",
               "(h * 1000)", "(k * 1e4)", "(h / 1e4)", "h.exp()"]
HALVES = ["h", "h", "k", "(h * 2)", "h.T", "h[0]", "h[:, 1:]", "f.half()", "f.to(torch.float16)",
          "d.half()", "i.half()", "torch.tensor([60000.0, 1e-8, float('inf'), float('nan')], dtype=torch.float16)",
          "torch.full((2, 3), 70000.0, dtype=torch.float16)", "torch.zeros(0, 3, dtype=torch.half)",
          "torch.tensor(2.5, dtype=torch.float16)", "(torch.ones(3, dtype=torch.float16) * 300)",
          "torch.tensor([1e-4, 6e-5, 1e-7], dtype=torch.float16)", "torch.arange(6).half()",
          "torch.tensor([[1, 2], [3, 4]], dtype=torch.half)", "torch.linspace(-1, 1, 5, dtype=torch.float16)",
          "k.to(dtype=torch.float16)", "h.detach()", "torch.tensor([65504.0, -65504.0], dtype=torch.float16)"]
OTHERS = ["f", "d", "i", "f", "d", "i", "2", "0.1", "1e-4", "3.3", "1e5", "-1", "True", "torch.tensor(0.1)",
          "torch.tensor(2)", "torch.tensor([True, False, True])", "torch.tensor(1.5, dtype=torch.float64)",
          "float('inf')", "0", "torch.ones(3)", "torch.ones(3, 2)", "torch.ones(3, 2, dtype=torch.float16)"]
HALF_UNARY = ["sum()", "mean()", "sum(0)", "mean(1)", "sum(dim=1, keepdim=True)", "exp()", "sigmoid()",
              "tanh()", "relu()", "abs()", "neg()", "sqrt()", "log()", "sin()", "cos()", "clamp(-1, 1)",
              "pow(2)", "square()", "max()", "min()", "argmax()", "max(0)", "float()", "double()", "int()",
              "long()", "bool()", "to(torch.float32)", "softmax(-1)", "softmax(dim=1)", "reshape(-1)",
              "t()", "flatten()", "prod()", "cumsum(1)", "item()", "tolist()", "dtype", "element_size()",
              "is_floating_point()", "norm()", "exp().sum()", "log1p()", "reciprocal()", "round()",
              "floor()", "sign()", "half()", "type(torch.float32)", "var()", "argmin(1)", "numel()",
              "unsqueeze(0)", "clone()", "detach()", "requires_grad", "grad_fn", "add(1)", "mul(0.1)"]
HALF_FUNCS = ["torch.softmax({x}, -1)", "F.softmax({x}, dim=-1)", "F.mse_loss({x}, {y})",
              "torch.matmul({x}, {y})", "{x} @ {y}.T", "torch.cat([{x}, {y}])", "torch.stack([{x}, {x}])",
              "torch.where({x} > 0, {x}, {y})", "torch.maximum({x}, {y})", "F.relu({x})",
              "torch.sum({x})", "torch.mean({x}, 0)", "torch.result_type({x}, {y})", "F.linear({x}, {y})",
              "torch.mm({x}, {y}.t())", "torch.exp({x})", "torch.clamp({x}, max=1.0)",
              "torch.tensor({v}, dtype=torch.float16)", "torch.ones(2, 2, dtype=torch.float16) @ {x}",
              "F.mse_loss({x}, {y}, reduction='sum')", "torch.isinf({x})", "torch.isnan({x})",
              "torch.zeros_like({x})", "torch.full_like({x}, 0.1)", "{x}.new_ones(2)",
              "torch.allclose({x}, {x})", "({x} == {y})", "torch.abs({x} - {y}).max()"]
HALF_VALUES = ["[0.1, 0.2, 0.3]", "[70000.0]", "[1e-8, -1e-8]", "2.5", "[]", "[[1.0, 2.0]]",
               "[float('nan'), 1.0]", "[65519.0, 65520.0]", "[0.333333, 3.14159]", "[1, 2]"]
HALF_AFTER = ["print(y)", "print(y, y.dtype)", "print(y.dtype, y.shape)", "print(y)",
              "y.sum().backward()\nprint(h.grad, f.grad)", "y.float().sum().backward()\nprint(h.grad)",
              "print(y)\nh.grad = None", "(y * y).sum().backward()\nprint(h.grad.dtype, h.grad)",
              "print(repr(y))", "print(y.sum().item())"]


def _half_expr(r: random.Random) -> str:
    x = r.choice(HALVES) if r.random() < 0.3 else r.choice(MAIN_HALVES)
    kind = r.randrange(4)
    if kind == 0:
        op = r.choice(["+", "-", "*", "/", "**", "@", ">", "==", "//", "%"])
        y = r.choice(OTHERS + HALVES) if r.random() < 0.3 else r.choice(OTHERS[:12] + MAIN_HALVES)
        return f"{x} {op} {y}" if r.random() < 0.7 else f"{y} {op} {x}"
    if kind == 1:
        return f"({x}).{r.choice(HALF_UNARY)}"
    if kind == 2:
        return r.choice(HALF_FUNCS).format(x=x, y=r.choice(MAIN_HALVES + OTHERS[:3]), v=r.choice(HALF_VALUES))
    return r.choice([f"({x} * {r.choice(['1000', '100.0', '65504', '2**16'])}).sum()",
                     f"{x}.to(torch.float16) + {x}.float()", f"({x}.half() - {x}.float()).abs().max()",
                     f"torch.tensor({r.choice(HALF_VALUES)}).half()", f"{x}.half().float().double()",
                     f"torch.{r.choice(['ones', 'zeros', 'rand', 'arange'])}(3, dtype=torch.float16)",
                     f"{x}.to(torch.int8)", f"{x}.sum(dtype=torch.float32)",
                     f"{x}.mean(dtype=torch.float16)", f"torch.randn(3).half() * {x}.sum()"])


def gen_half(r: random.Random) -> str:
    lines = [HALF_PRELUDE.format(seed=r.randrange(4))]
    for _ in range(r.randint(1, 5)):
        lines.append(f"y = {_half_expr(r)}")
        after = r.choice(HALF_AFTER)
        if "backward" in after:              # only where there is a graph, mostly
            after = "if torch.is_tensor(y) and y.requires_grad:\n" + "\n".join(
                "    " + line for line in after.splitlines())
        lines.append(after)
    if r.random() < 0.4:
        lines.append("z = (h * f).sum() + (h * 0.3).mean()\nz.backward()\nprint(z, h.grad, f.grad)")
    return "\n".join(lines) + "\n"


# ---- Transformer hooks ----------------------------------------------------------

HOOK_PRELUDE = """import torch
from torch import nn
torch.manual_seed({seed})
layer = nn.TransformerEncoderLayer(d_model=4, nhead={nhead}, dim_feedforward=6, dropout=0.0, batch_first={bf}, norm_first={nf})
seen = []
"""
PARTS = ["layer", "layer.self_attn", "layer.linear1", "layer.linear2", "layer.norm1", "layer.norm2",
         "layer.dropout", "layer.dropout1", "layer.dropout2", "layer.self_attn.out_proj"]
FORWARD_HOOKS = ["lambda m, i, o: print('fwd', type(m).__name__, len(i), type(o).__name__)",
                 "lambda m, i, o: seen.append(tuple(o.shape) if torch.is_tensor(o) else len(o))",
                 "lambda m, i, o: o * 2 if torch.is_tensor(o) else None",
                 "lambda m, i, o: print('fwd', [tuple(x.shape) for x in i if torch.is_tensor(x)])",
                 "lambda m, i, o: (o[0] * 0.5, o[1]) if isinstance(o, tuple) else o + 1",
                 "lambda m, i, o: print('out', o if torch.is_tensor(o) else o[0])",
                 "lambda m, i, o: print('weights', o[1] if isinstance(o, tuple) else None)"]
PRE_HOOKS = ["lambda m, i: print('pre', type(m).__name__, len(i))",
             "lambda m, i: (i[0] * 2,) + tuple(i[1:])",
             "lambda m, i: seen.append(('pre', tuple(i[0].shape)))",
             "lambda m, i: i[0] + 1"]
KW_HOOKS = ["lambda m, args, kwargs: print('kw', sorted(kwargs))",
            "lambda m, args, kwargs, o: print('kw out', sorted(kwargs), type(o).__name__)"]
BACKWARD_HOOKS = ["lambda m, gi, go: print('bwd', type(m).__name__, [None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])",
                  "lambda m, gi, go: tuple(None if g is None else g * 2 for g in gi)",
                  "lambda m, gi, go: print('bwd go', go[0])",
                  "lambda m, gi, go: seen.append(('bwd', len(gi), len(go)))"]
BACKWARD_PRE_HOOKS = ["lambda m, go: print('bwd pre', type(m).__name__, go[0].shape)",
                      "lambda m, go: (go[0] * 0.5,)"]
HOOK_RUNS = [
    "x = torch.randn({shape}, requires_grad=True)\ny = layer(x)",
    "x = torch.randn({shape}, requires_grad=True)\ny = layer(x, src_mask=nn.Transformer.generate_square_subsequent_mask(3))",
    "x = torch.randn({shape}, requires_grad=True)\ny = layer(x, is_causal=True, src_mask=nn.Transformer.generate_square_subsequent_mask(3))",
    "enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)\n"
    "enc.layers[{idx}].{part}.register_forward_hook(lambda m, i, o: print('enc layer part', type(o).__name__))\n"
    "x = torch.randn({shape}, requires_grad=True)\ny = enc(x)",
    "enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)\n"
    "enc.layers[{idx}].register_full_backward_hook(lambda m, gi, go: print('enc layer bwd', gi[0].shape))\n"
    "x = torch.randn({shape}, requires_grad=True)\ny = enc(x)",
    "layer.eval()\nx = torch.randn({shape}, requires_grad=True)\ny = layer(x)",
    "x = torch.randn({shape})\ny = layer(x)",
    "x = torch.randn({shape}, requires_grad=True)\nwith torch.no_grad():\n    y = layer(x)\ny = layer(x)",
]
HOOK_END = ["(y * torch.randn(y.shape)).sum().backward()\nprint(y)\nprint(x.grad)\nprint(seen)",
            "(y * torch.arange(y.numel()).reshape(y.shape)).sum().backward()\nprint(x.grad)\nprint(seen)",
            "print(y)\nprint(seen)",
            "y.pow(2).mean().backward()\nprint(layer.linear1.weight.grad)\nprint(seen)"]


def gen_hooks(r: random.Random) -> str:
    bf = r.choice(["True", "False"])
    lines = [HOOK_PRELUDE.format(seed=r.randrange(4), nhead=r.choice([1, 2, 2, 4]), bf=bf,
                                 nf=r.choice(["False", "False", "True"]))]
    handles = 0
    for _ in range(r.randint(1, 4)):
        part = r.choice(PARTS)
        kind = r.randrange(6)
        if kind < 2:
            call = f"register_forward_hook({r.choice(FORWARD_HOOKS)})"
        elif kind == 2:
            call = f"register_forward_pre_hook({r.choice(PRE_HOOKS)})"
        elif kind == 3:
            hook = r.choice(KW_HOOKS)
            which = "register_forward_hook" if "o:" in hook else "register_forward_pre_hook"
            call = f"{which}({hook}, with_kwargs=True)"
        elif kind == 4:
            call = f"register_full_backward_hook({r.choice(BACKWARD_HOOKS)})"
        else:
            call = f"register_full_backward_pre_hook({r.choice(BACKWARD_PRE_HOOKS)})"
        handles += 1
        lines.append(f"h{handles} = {part}.{call}")
    if handles and r.random() < 0.2:
        lines.append(f"h{r.randint(1, handles)}.remove()")
    shape = "2, 3, 4" if r.random() < 0.8 else r.choice(["3, 4", "1, 3, 4", "2, 3, 8"])
    part = r.choice(["self_attn", "linear1", "norm1", "linear2", "norm2"])
    lines.append(r.choice(HOOK_RUNS).format(shape=shape, idx=r.choice([0, 1]), part=part))
    lines.append(r.choice(HOOK_END))
    return "\n".join(lines) + "\n"
