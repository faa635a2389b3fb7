"""Fuzz generators for the latest merged parts (tests/test_fuzz.py registers
them beside its own):

* ``ints``: the integer dtypes (int32/int16/int8/uint8 made by dtype= and the
  casts, promoted with every dtype and Python numbers, wrapping around, used
  as indices, targets and embedding rows, in reductions, comparisons, bitwise
  ops and matmul) and printing (torch.set_printoptions with every option,
  then tensors of every dtype and kind printed, formatted and unpacked);
* ``seqs``: torch.nn.utils.rnn (pad_sequence, pack_padded_sequence,
  pack_sequence, pad_packed_sequence), PackedSequence through nn.RNN/GRU/LSTM,
  LSTM(proj_size=), nn.Transformer and its decoder layers with masks, causal
  flags, batch_first and norm_first, x.type_as;
* ``gradmode``: the grad modes as decorators and wrappers (@torch.no_grad
  with and without parentheses, torch.enable_grad()(f), torch.no_grad(f),
  inference_mode, set_grad_enabled(False) on a def, which puts the mode
  back), on defs, lambdas, methods and values that are no functions, nested
  in with blocks of another mode, and what is on after each;
* ``autograd``: torch.autograd.grad's materialize_grads=, is_grads_batched=
  and grad_outputs forms, torch.autograd.functional.vjp/jvp/vhp/hvp, a
  view's _base, _is_view(), output_nr, _version, a saved tensor's
  register_hooks, the distributions' moments and Multinomial.entropy, and
  the machine's switches (torch.accelerator, cudnn, mps, cuda, threads).

Arguments come from pools of edge values (zero sizes, negative numbers,
wrong types, None, huge sizes bounded so that a run stays fast, mismatched
shapes and dtypes), as in tests/fuzz_newer.py.
"""
from __future__ import annotations

import random

from fuzz_newer import BOOLS, FLOATS, INTS, SMALL, _call, _pick
from fuzz_newer import _program as _newer_program


def _program(r: random.Random, prelude: str, expr_of, after: list[str]) -> str:
    """As fuzz_newer's, for expressions that say `y = ` themselves."""
    def statement(r, sane):
        expr = expr_of(r, sane)
        return expr[4:] if expr.startswith("y = ") and "\n" not in expr else expr
    return _newer_program(r, prelude, statement, after)

INT_DTYPES = ["torch.int32", "torch.int16", "torch.int8", "torch.uint8", "torch.int", "torch.short"]
ALL_DTYPES = INT_DTYPES + ["torch.int64", "torch.float32", "torch.float64", "torch.bool", "None",
                           "float", "int", "bool", "'int8'", "torch.float16", "3"]
CASTS = [".int()", ".short()", ".char()", ".byte()", ".long()", ".float()", ".double()", ".bool()",
         ".to(torch.int8)", ".to(torch.uint8)", ".type(torch.int16)", ".to(dtype=torch.int32)",
         ".type_as(b)", ".type_as(x)", ".to(x)", ".to('int8')", ".type(None)"]
NUMBERS = ["0", "1", "-1", "2", "3", "127", "128", "255", "256", "-129", "2**31", "-2**31 - 1",
           "2**63 - 1", "2**63", "0.5", "-2.5", "1e30", "float('nan')", "float('inf')", "True",
           "False", "'a'", "None"]
INT_VALUES = ["[1, 2, 3]", "[0, -1, 127]", "[250, 5, 6]", "[[1, 2], [3, 4]]", "[]", "5", "-3",
              "[300, -300]", "[2**31, 1]", "[1.5, 2.7]", "[True, False]", "[[1], [2, 3]]",
              "[float('nan'), 1.0]", "[-0.0, 0.0]"]
ITENSORS = ["a", "a", "b", "c", "u", "a.T", "a[0]", "a[:, ::2]", "u[1:]", "torch.tensor([], dtype=torch.int8)",
            "torch.zeros(0, 2, dtype=torch.int32)", "torch.tensor(7, dtype=torch.int16)",
            "torch.tensor(255, dtype=torch.uint8)", "torch.tensor(-128, dtype=torch.int8)",
            "torch.arange(6, dtype=torch.int32).reshape(2, 3)", "x", "x.detach()", "f",
            "torch.tensor([True, False, True])", "a.double()", "torch.ones(3, 2, dtype=torch.int8)"]
BINOPS = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<", "<=", "==", "!=", ">", "@"]
UNARY = ["sum()", "sum(0)", "sum(dtype=torch.int8)", "mean()", "mean(dtype=torch.float32)", "prod()",
         "cumsum(0)", "cumprod(0)", "max()", "min(0)", "argmax()", "argmin(1)", "abs()", "neg()", "sign()",
         "sort()", "topk(1)", "unique()", "clamp(0, 10)", "clamp(min=-1.5)", "float().mean()", "bitwise_not()",
         "sqrt()", "exp()", "sigmoid()", "softmax(0)", "std()", "var()", "norm()", "all()", "any()",
         "count_nonzero()", "nonzero()", "bincount()", "max(dim=0)", "median()", "item()", "tolist()",
         "numel()", "element_size()", "is_floating_point()", "dtype.is_signed", "dtype.itemsize",
         "pow(2)", "remainder(3)", "remainder(-2)", "div(2, rounding_mode='floor')", "div(2)", "add_(1)",
         "mul_(200)", "sub_(1.5)", "fill_(300)", "zero_()", "relu()", "flip(0)", "repeat(2, 1)",
         "requires_grad_()", "float().requires_grad_()"]
PRINT_OPTS = {"precision": ["0", "1", "2", "4", "10", "-1", "None", "2.5", "'a'", "100"],
              "threshold": ["0", "1", "3", "5", "1000", "-1", "None", "float('inf')", "10**9", "2.5"],
              "edgeitems": ["0", "1", "2", "3", "-1", "None", "10**6", "1.5"],
              "linewidth": ["0", "1", "10", "30", "80", "200", "-5", "None", "'a'"],
              "profile": ["'default'", "'short'", "'full'", "'nope'", "None", "3"],
              "sci_mode": ["True", "False", "None", "1", "'a'"]}
PRINTABLES = ["a", "b", "c", "u", "x", "f", "torch.tensor([])", "torch.zeros(0, 3, dtype=torch.int8)",
              "torch.tensor(5, dtype=torch.uint8)", "torch.tensor(-0.0)", "torch.tensor([-0.0, 0.0, 1.0])",
              "torch.tensor([float('nan'), float('inf'), -float('inf'), 1.0])", "torch.arange(2000)",
              "torch.arange(2000.0).reshape(40, 50)", "torch.tensor([1e-20, 1e20])", "torch.tensor([True, False])",
              "torch.arange(24, dtype=torch.int16).reshape(2, 3, 4)", "x * 1e-8", "x * 1e12",
              "torch.tensor(2**40)", "torch.full((3,), 127, dtype=torch.int8)", "torch.tensor([1, 2]).double()",
              "torch.zeros(2, 0)", "x.T", "x.sum()", "torch.tensor(3.0, dtype=torch.float64)",
              "torch.randn(3, 1000)", "torch.tensor([[1e-5, 1.0], [100.0, 12345.678]])"]
SPECS = ["'.2f'", "'.3e'", "''", "'10.4f'", "'d'", "'>8'", "'x'", "'.0%'", "'g'", "'+.1f'", "3", "None"]
MAKERS = ["torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.arange", "torch.randint",
          "torch.tensor", "torch.rand", "torch.randn", "torch.eye", "torch.zeros_like", "torch.ones_like",
          "torch.linspace", "torch.randperm"]

INT_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed({seed})
a = torch.tensor([[1, -2, 3], [40, 5, -6]], dtype=torch.int32)
b = torch.tensor([100, 200, 255], dtype=torch.uint8)
c = torch.tensor([[-128, 0, 127]], dtype=torch.int8)
u = torch.tensor([3, 1, 2], dtype=torch.int16)
x = torch.randn(2, 3, requires_grad=True)
f = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
emb = nn.Embedding(5, 2)
"""


def _maker(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    fn = r.choice(MAKERS)
    dtype = p(ALL_DTYPES, r.choice(INT_DTYPES))
    size = p(INTS + SMALL + ["0", "(0, 3)", "(2, 3)", "10**4"], r.choice(["3", "(2, 3)"]))
    if fn == "torch.full":
        return _call(r, fn, [size, p(NUMBERS, r.choice(["7", "300", "-1"]))], {"dtype": dtype}, sane)
    if fn == "torch.arange":
        return _call(r, fn, [p(NUMBERS, "0"), p(NUMBERS, "10"), p(NUMBERS + ["0"], "3")],
                     {"dtype": dtype}, sane)
    if fn == "torch.randint":
        return _call(r, fn, [p(NUMBERS, "-5"), p(NUMBERS, "200"), p(SMALL + ["(0,)", "(10**6, 10**6)"], "(4,)")],
                     {"dtype": dtype}, sane)
    if fn == "torch.tensor":
        return _call(r, fn, [p(INT_VALUES, r.choice(INT_VALUES[:4]))],
                     {"dtype": dtype, "requires_grad": p(BOOLS, "False")}, sane)
    if fn.endswith("_like"):
        return _call(r, fn, [p(ITENSORS, "a")], {"dtype": dtype}, sane)
    if fn == "torch.linspace":
        return _call(r, fn, [p(NUMBERS, "0"), p(NUMBERS, "100"), p(NUMBERS, "5")], {"dtype": dtype}, sane)
    if fn == "torch.randperm":
        return _call(r, fn, [p(NUMBERS, "5")], {"dtype": dtype}, sane)
    return _call(r, fn, [size], {"dtype": dtype, "requires_grad": p(BOOLS, "False")}, sane)


def _print_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    opts = {k: p(v, v[r.randrange(5)]) for k, v in PRINT_OPTS.items() if r.random() < 0.4}
    positional = [] if r.random() < 0.8 else [p(PRINT_OPTS["precision"], "2"), p(PRINT_OPTS["threshold"], "5")]
    setting = _call(r, "torch.set_printoptions", positional, opts, sane)
    what = [p(PRINTABLES, r.choice(PRINTABLES)) for _ in range(r.randint(1, 3))]
    show = r.choice([f"print({', '.join(what)})", f"print([{what[0]}], {{'k': {what[-1]}}})",
                     f"print(f'{{{what[0]}}} {{{what[-1]}:{r.choice(['.2f', '>5', 'd', ''])}}}')",
                     f"print(format({what[0]}, {p(SPECS, repr('.2f'))}))", f"print(*{what[0]}.shape)",
                     f"print(repr({what[0]}), str({what[-1]}))", f"print({what[0]}.tolist())",
                     f"print(torch.max({what[0]}, 0))", f"print(*{what[0]})",
                     f"print('{{:.3f}}'.format({what[0]}))", f"print({what[0]}.item())"])
    return f"{setting}\n{show}\ny = x * 2"


def _int_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    kind = r.randrange(10)
    if kind == 0:
        return f"t = {_maker(r, sane)}\nprint(t, t.dtype)\ny = x * 2"
    if kind == 1:
        op = r.choice(BINOPS)
        lhs = p(ITENSORS + NUMBERS, r.choice(["a", "b", "c", "u"]))
        rhs = p(ITENSORS + NUMBERS, r.choice(["a", "b", "c", "u", "2", "1.5", "x", "f"]))
        return f"t = {lhs} {op} {rhs}\nprint(t, t.dtype)\ny = x * 1 if not t.is_floating_point() else t"
    if kind == 2:
        who = p(ITENSORS, r.choice(["a", "b", "c", "u", "x", "f"]))
        return f"t = {who}{r.choice(CASTS)}\nprint(t, t.dtype)\ny = t.{p(UNARY, r.choice(UNARY))}"
    if kind == 3:
        # integer tensors as indices of every kind
        idx = p(["a", "b", "c", "u", "u.int()", "u.byte()", "u.char()", "b > 150", "u % 2 == 0",
                 "torch.tensor([0, 2], dtype=torch.int8)", "torch.tensor([-1], dtype=torch.int16)",
                 "torch.tensor([3], dtype=torch.int32)", "torch.tensor([1, 0, 1], dtype=torch.uint8)",
                 "torch.tensor([], dtype=torch.int32)", "torch.tensor(1, dtype=torch.int8)"],
                r.choice(["torch.tensor([0, 2], dtype=torch.int8)", "u.int() - 1"]))
        who = p(["x", "x.T", "f", "a", "x[0]", "torch.randn(3, 3, requires_grad=True)"],
                r.choice(["x[0]", "f"]))
        use = r.choice([f"{who}[{idx}]", f"{who}.gather(0, {idx})", f"{who}.index_select(0, {idx})",
                        f"torch.take({who}, {idx})", f"{who}[{idx}, 0]", f"{who}.scatter_add(0, {idx}, {who})",
                        f"{who}.index_fill(0, {idx}, 1.0)", f"emb({idx})", f"F.embedding({idx}, x)",
                        f"F.one_hot({idx}, 5)", f"{who}.masked_fill({idx}, 0.0)",
                        f"torch.where({idx}, {who}, 0.0)"])
        return f"y = {use}"
    if kind == 4:
        tgt = p(["u.long() - 1", "u.int() - 1", "u.byte() - 1", "u.char() - 1", "b", "c", "u", "u.float()",
                 "torch.tensor([0, 1, 2], dtype=torch.uint8)", "torch.tensor([0, 1, 300], dtype=torch.int16)",
                 "torch.tensor([-100, 1, 0], dtype=torch.int32)"], "torch.tensor([0, 1, 2], dtype=torch.uint8)")
        fn = r.choice(["F.cross_entropy", "F.nll_loss", "nn.CrossEntropyLoss()", "F.cross_entropy",
                       "F.mse_loss", "F.binary_cross_entropy_with_logits"])
        inp = p(["torch.randn(3, 4, requires_grad=True)", "x", "a", "a.float()", "f", "x.T"],
                "torch.randn(3, 4, requires_grad=True)")
        return f"y = {fn}({inp}, {tgt})"
    if kind == 5:
        lhs = p(ITENSORS, r.choice(["a", "a.float()", "x"]))
        rhs = p(ITENSORS + ["a.T", "x.T.int()", "torch.ones(3, 2, dtype=torch.int32)"],
                r.choice(["a.T", "torch.ones(3, 2, dtype=torch.int32)", "x.T"]))
        fn = r.choice(["torch.matmul", "torch.mm", "torch.dot", "torch.bmm", "torch.mv", "torch.outer",
                       "torch.einsum('ij,jk->ik', {}, {})", "F.linear"])
        if "{}" in fn:
            return f"y = {fn.format(lhs, rhs)}"
        return f"y = {fn}({lhs}, {rhs})"
    if kind == 6:
        fn = r.choice(["torch.bitwise_and", "torch.bitwise_or", "torch.logical_xor", "torch.ne",
                       "torch.logical_and", "torch.eq", "torch.lt", "torch.maximum", "torch.minimum",
                       "torch.remainder", "torch.floor_divide", "torch.add", "torch.mul", "torch.sub",
                       "torch.where", "torch.clamp", "torch.cat", "torch.stack", "torch.isclose",
                       "torch.equal", "torch.allclose"])
        args = [p(ITENSORS + NUMBERS, r.choice(["a", "b", "c", "u"])),
                p(ITENSORS + NUMBERS, r.choice(["a", "b", "c", "u", "3"]))]
        if fn in ("torch.cat", "torch.stack"):
            args = [f"[{args[0]}, {args[1]}]"]
        if fn == "torch.where":
            args.insert(0, p(ITENSORS, "b > 150"))
        return f"t = {fn}({', '.join(args)})\nprint(t)\ny = x.sum() * 2"
    if kind == 7:
        # in-place writes into integer tensors: wraparound and casting rules
        who = p(ITENSORS, r.choice(["b", "c", "u", "a"]))
        op = r.choice(["+=", "-=", "*=", "//=", "%=", "/=", "**="])
        val = p(NUMBERS + ITENSORS, r.choice(["100", "3", "-1", "b", "c"]))
        extra = r.choice(["", f"\n{who}[0] = {p(NUMBERS, '300')}", f"\n{who}.clamp_({p(NUMBERS, '0')}, 100)",
                          f"\n{who}.copy_({p(ITENSORS, 'x.detach()')})"])
        return f"t = {who}.clone()\nt {op} {val}{extra}\nprint(t, t.dtype)\ny = x * 1"
    return _print_expr(r, sane)


INT_AFTER = ["print(y)", "y.sum().backward()\nprint(x.grad, f.grad)",
             "print(y.dtype, y.shape, y.requires_grad)",
             "y.float().sum().backward()\nprint(x.grad)",
             "print(y.grad_fn.name() if y.grad_fn is not None else None)",
             "torch.set_printoptions(profile='default')\nprint(y)",
             "print(f'{y}')", "print(*y.shape)"]


def gen_ints(r: random.Random) -> str:
    """Integer dtypes (made, cast, promoted, wrapped, indexing, targets,
    bitwise, matmul) and printing under torch.set_printoptions."""
    prelude = INT_PRELUDE.format(seed=r.randrange(5))
    return _program(r, prelude, _int_expr, INT_AFTER)


# ---- seqs ------------------------------------------------------------------------

SEQ_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence, pack_padded_sequence, pack_sequence, pad_packed_sequence
torch.manual_seed({seed})
s1 = torch.randn(3, 2, requires_grad=True)
s2 = torch.randn(2, 2, requires_grad=True)
s3 = torch.randn(1, 2, requires_grad=True)
padded = pad_sequence([s1, s2, s3])
x = torch.randn(4, 2, 8, requires_grad=True)
mem = torch.randn(5, 2, 8, requires_grad=True)
"""
SEQ_LISTS = ["[s1, s2, s3]", "[s1, s2, s3]", "[s3, s1, s2]", "[s1]", "[]", "[s1, s2.double()]",
             "[s1, torch.randn(2, 3)]", "[s1, torch.zeros(0, 2)]", "(s1, s2)", "s1", "[s1, 3]",
             "[torch.randn(2), torch.randn(3)]", "[torch.tensor(1.0)]", "[s1.int(), s2.int()]",
             "[s1, s2, s3, torch.randn(4, 2)]", "None", "[s1.T, s2.T]"]
LENGTHS = ["[3, 2, 1]", "[3, 2, 1]", "torch.tensor([3, 2, 1])", "[1, 2, 3]", "[3, 3, 3]", "[0, 2, 1]",
           "[4, 2, 1]", "[3, 2]", "[3, 2, 1, 1]", "[-1, 2, 1]", "[3.0, 2, 1]", "torch.tensor([3, 2, 1]).int()",
           "torch.tensor([3.0, 2.0, 1.0])", "[]", "None", "3", "torch.tensor([[3, 2, 1]])", "[3, 1, 2]",
           "[10**6, 2, 1]", "(3, 2, 1)"]
PACKED_IN = ["padded", "padded", "padded.transpose(0, 1)", "padded.double()", "padded[:, :2]",
             "torch.zeros(0, 3, 2)", "torch.randn(3, 3)", "torch.randn(3)", "padded.int()",
             "torch.randn(3, 3, 2, 2)", "padded.detach()"]
PACKED = ["pack_padded_sequence(padded, [3, 2, 1])", "pack_sequence([s1, s2, s3])",
          "pack_sequence([s2, s1, s3], enforce_sorted=False)",
          "pack_padded_sequence(padded, torch.tensor([2, 3, 1]), enforce_sorted=False)",
          "pack_sequence([s1])", "pack_sequence([s1, s1, s1])"]
RNNS = ["nn.RNN", "nn.GRU", "nn.LSTM"]
TF_MASKS = ["None", "nn.Transformer.generate_square_subsequent_mask(4)", "torch.ones(4, 4, dtype=torch.bool)",
            "torch.zeros(4, 4)", "torch.triu(torch.ones(4, 4, dtype=torch.bool), diagonal=1)",
            "torch.zeros(5, 5)", "torch.zeros(4, 5)", "torch.zeros(2, 4)", "torch.zeros(4, 4, dtype=torch.int64)",
            "torch.full((4, 4), float('-inf'))", "torch.zeros(4, 4, dtype=torch.float64)", "torch.zeros(4)",
            "nn.Transformer.generate_square_subsequent_mask(0)", "torch.zeros(8, 4, 4)", "1.0", "'a'"]
TF_INPUTS = ["x", "x", "x[:, :1]", "x[0]", "x.transpose(0, 1)", "x.double()", "mem", "torch.randn(4, 2, 6)",
             "torch.zeros(0, 2, 8)", "torch.zeros(4, 0, 8)", "x.int()", "torch.randn(8)", "x.detach()",
             "torch.randn(4, 2, 8, 1)", "None"]


def _seq_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(9)
    if kind == 0:
        return c("pad_sequence", [p(SEQ_LISTS, "[s1, s2, s3]")],
                 {"batch_first": p(BOOLS, "True"), "padding_value": p(FLOATS, "-1.0"),
                  "padding_side": p(["'left'", "'right'", "'middle'", "None", "1"], "'left'")})
    if kind == 1:
        return c("pack_padded_sequence", [p(PACKED_IN, "padded"), p(LENGTHS, "[3, 2, 1]")],
                 {"batch_first": p(BOOLS, "False"), "enforce_sorted": p(BOOLS, r.choice(["True", "False"]))})
    if kind == 2:
        return c("pack_sequence", [p(SEQ_LISTS, r.choice(["[s1, s2, s3]", "[s3, s1, s2]"]))],
                 {"enforce_sorted": p(BOOLS, r.choice(["True", "False"]))})
    if kind == 3:
        packed = p(PACKED + ["padded", "None", "(padded, [3, 2, 1])", "s1"], r.choice(PACKED))
        call = c("pad_packed_sequence", [packed],
                 {"batch_first": p(BOOLS, "True"), "padding_value": p(FLOATS, "0.0"),
                  "total_length": p(INTS + ["4", "3", "2", "10**6"], "4")})
        return f"y, lengths = {call}\nprint(lengths)"
    if kind in (4, 5):
        cls = r.choice(RNNS)
        kw = {"num_layers": p(INTS, r.choice(["1", "2"])), "bidirectional": p(BOOLS, "True"),
              "batch_first": p(BOOLS, "False"), "bias": p(BOOLS, "True")}
        if cls == "nn.LSTM" and r.random() < 0.6:
            kw["proj_size"] = p(INTS + ["2", "1", "3", "4"], r.choice(["1", "2"]))
        mod = c(cls, [p(INTS, "2"), p(INTS, "3")], kw)
        packed = p(PACKED + ["padded", "padded.double()", "s1", "None", "pack_sequence([s1.double()])"],
                   r.choice(PACKED))
        hx = r.choice(["", "", ", torch.zeros(2, 3, 3)", ", None", ", (torch.zeros(1, 3, 3), torch.zeros(1, 3, 3))",
                       ", torch.zeros(1, 3, 3, requires_grad=True)"])
        return (f"rnn = {mod}\nout, h = rnn({packed}{hx})\nprint(type(out).__name__)\n"
                f"y = {r.choice(['out.data', 'h[0] if isinstance(h, tuple) else h', 'pad_packed_sequence(out)[0]', 'out'])}")
    if kind == 6:
        # the whole nn.Transformer, or its decoder on its own
        which = r.choice(["nn.Transformer", "nn.TransformerDecoderLayer", "nn.TransformerDecoder"])
        kw = {"dropout": p(FLOATS, "0.0"), "batch_first": p(BOOLS, "False"),
              "norm_first": p(BOOLS, r.choice(["True", "False"])),
              "activation": p(["'relu'", "'gelu'", "F.gelu", "nn.ReLU()", "'tanh'", "None", "3"], "'gelu'")}
        if which == "nn.Transformer":
            mod = c(which, [p(INTS + ["8", "6"], "8"), p(INTS + ["2", "3"], "2"), p(INTS, "1"),
                            p(INTS, "1"), p(INTS + ["16"], "16")], kw)
            if r.random() < 0.2:
                mod = mod.rstrip(")") + (", " if mod[-2] != "(" else "") + \
                    "custom_encoder=nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16), 1))"
            call = c("model", [p(TF_INPUTS, "x"), p(TF_INPUTS, "x")],
                     {"tgt_mask": p(TF_MASKS, "nn.Transformer.generate_square_subsequent_mask(4)"),
                      "src_mask": p(TF_MASKS, "None"), "tgt_is_causal": p(BOOLS, "None"),
                      "src_key_padding_mask": p(["None", "torch.zeros(2, 4, dtype=torch.bool)",
                                                 "torch.ones(2, 4, dtype=torch.bool)", "torch.zeros(4, 2)"], "None")})
        else:
            layer = c("nn.TransformerDecoderLayer", [p(INTS + ["8", "6"], "8"), p(INTS + ["2", "3"], "2"),
                                                     p(INTS + ["16"], "16")], kw)
            mod = layer if which.endswith("Layer") else \
                c(which, [layer, p(INTS, "2")], {"norm": p(["None", "nn.LayerNorm(8)", "3"], "nn.LayerNorm(8)")})
            call = c("model", [p(TF_INPUTS, "x"), p(TF_INPUTS, "mem")],
                     {"tgt_mask": p(TF_MASKS, "nn.Transformer.generate_square_subsequent_mask(4)"),
                      "memory_mask": p(TF_MASKS, "None"), "tgt_is_causal": p(BOOLS, "False"),
                      "memory_is_causal": p(BOOLS, "False"),
                      "tgt_key_padding_mask": p(["None", "torch.zeros(2, 4, dtype=torch.bool)", "torch.zeros(4, 2)"],
                                                "None")})
        mode = r.choice(["", "", "model.eval()\n", "model.eval()\ntorch.set_grad_enabled(False)\n"])
        return f"model = {mod}\n{mode}y = {call}"
    if kind == 7:
        return f"y = {p(TF_INPUTS + ['s1', 'padded'], 'x')}.type_as({p(TF_INPUTS + ['torch.tensor(1)', '3', 'None'], 'mem')})"
    extra = r.choice(["", ", dtype=torch.float64", ", device='cpu'", ", dtype=torch.int64", ", dtype=torch.bool"])
    return f"y = nn.Transformer.generate_square_subsequent_mask({p(INTS, '4')}{extra})"


UNPACK = "t = y.data if type(y).__name__ == 'PackedSequence' else y\n"
SEQ_AFTER = ["print(y)", UNPACK + "t.sum().backward()\nprint(s1.grad, x.grad)",
             UNPACK + "t.sum().backward()\nprint(s1.grad, mem.grad)",
             UNPACK + "print(t.shape, t.dtype, t.requires_grad)",
             UNPACK + "print(t.grad_fn.name(), t.grad_fn.next_functions)",
             UNPACK + "t.pow(2).mean().backward(create_graph=True)\nprint(s1.grad)",
             UNPACK + "g = torch.autograd.grad(t.sum(), [s1, s2, x, mem], allow_unused=True)\nprint(g)",
             "print(y.batch_sizes, y.sorted_indices, y.unsorted_indices)"]


def gen_seqs(r: random.Random) -> str:
    """torch.nn.utils.rnn, packed recurrent layers, LSTM(proj_size=),
    nn.Transformer and its decoder, x.type_as, with arguments at the edges."""
    prelude = SEQ_PRELUDE.format(seed=r.randrange(5))
    return _program(r, prelude, _seq_expr, SEQ_AFTER)


# ---- autograd --------------------------------------------------------------------

AG_PRELUDE = """import torch
import torch.nn as nn
from torch.autograd.functional import vjp, jvp, vhp, hvp
from torch.distributions import Bernoulli, Multinomial, Categorical
torch.manual_seed({seed})
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.randn(2, 3, requires_grad=True)
u = torch.tensor([4.0], requires_grad=True)
p = torch.tensor([0.2, 0.3, 0.5], requires_grad=True)
v = x * x * x
"""
GRAD_OUTS = ["None", "torch.ones(3)", "torch.eye(3)", "torch.ones(2, 3)", "torch.ones(1)", "1.0", "[None]",
             "[torch.ones(3)]", "(torch.ones(3),)", "[torch.ones(3), torch.ones(3)]", "torch.ones(3).double()",
             "torch.ones(3, dtype=torch.int64)", "torch.tensor([1.0, 0.5])", "torch.zeros(0, 3)",
             "torch.ones(3, requires_grad=True)", "[1.0]", "torch.ones(()).expand(3)", "'a'", "torch.ones(2)"]
OUTPUTS = ["v", "v", "v.sum()", "[v]", "(v, v.sum())", "x", "w.sum()", "[v, w.sum()]", "x.detach()",
           "torch.ones(3)", "[]", "None", "3", "u * 2", "(w @ x)"]
INPUTS = ["x", "x", "[x, u]", "[x, w]", "(x,)", "u", "[]", "v", "x.detach()", "[x, x]", "w", "None", "3"]
FUNCS = ["lambda t: t.exp()", "lambda t: (t * t).sum()", "lambda t: t.pow(3).sum()", "lambda t: t @ t",
         "lambda t: t.sin()", "lambda t: (t.sum(), t)", "lambda t: 3", "lambda t: None", "lambda t, s: t * s",
         "lambda *ts: sum(t.sum() for t in ts)", "lambda t: t.detach()", "lambda t: t.int()", "print",
         "lambda t: t.double().sum()", "lambda t: t[0]", "lambda t: torch.zeros(())", "lambda t: [t.sum()]"]
FUNC_INPUTS = ["x.detach()", "x.detach()", "x", "(x.detach(), u.detach())", "torch.zeros(0)", "torch.tensor(2.0)",
               "x.detach().double()", "torch.tensor([1, 2, 3])", "[x.detach()]", "3.0", "None", "()"]
VECTORS = ["None", "torch.ones(3)", "torch.ones(3)", "torch.ones(())", "torch.ones(2)", "torch.ones(3).double()",
           "(torch.ones(3), torch.ones(1))", "1.0", "torch.ones(3, dtype=torch.int64)", "[torch.ones(3)]", "'a'"]


def _ag_expr(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    c = lambda fn, args, kw: _call(r, fn, args, kw, sane)   # noqa: E731
    kind = r.randrange(10)
    if kind in (0, 1):
        batched = p(BOOLS, r.choice(["True", "False"]))
        good_go = "torch.eye(3)" if batched == "True" else "torch.ones(3)"
        call = c("torch.autograd.grad", [p(OUTPUTS, "v"), p(INPUTS, r.choice(["x", "[x, u]"])),
                                         p(GRAD_OUTS, good_go)],
                 {"retain_graph": p(BOOLS, "True"),
                  "create_graph": p(BOOLS, "False"), "allow_unused": p(BOOLS, "True"),
                  "materialize_grads": p(BOOLS, "True"), "is_grads_batched": batched})
        return f"g = {call}\nprint(g)\ny = v"
    if kind in (2, 3):
        fn = r.choice(["vjp", "jvp", "vhp", "hvp", "torch.autograd.functional.vjp"])
        scalar = fn in ("vhp", "hvp")
        body = p(FUNCS, "lambda t: (t * t).sum()" if scalar else "lambda t: t.exp()")
        call = c(fn, [body, p(FUNC_INPUTS, "x.detach()"), p(VECTORS, "torch.ones(3)" if fn != "vjp" or scalar
                                                             else "torch.ones(3)")],
                 {"create_graph": p(BOOLS, "False"), "strict": p(BOOLS, "False")})
        return f"out, prod = {call}\nprint(out, prod)\ny = v"
    if kind == 4:
        view = r.choice(["x[1:]", "x.view(3)", "x.view(1, 3).t()", "x.detach()", "x.data", "x.unbind()[1]",
                         "x.split(2)[1]", "x.chunk(3)[2]", "x.expand(2, 3)", "x.unsqueeze(0)[0]", "x.clone()",
                         "(x * 2)[::2]", "w.T[1]", "w.reshape(6)", "x.narrow(0, 1, 2)", "x.diagonal() if False else x[0]",
                         "w.flatten()", "w.view(-1)[2:]", "torch.ones(3)[1:]", "x.squeeze()"])
        attr = r.choice(["_base", "_base is x", "_is_view()", "output_nr", "_version", "is_leaf", "_base._base",
                         "_base.grad_fn", "_version + 1"])
        write = r.choice(["", "with torch.no_grad():\n    t.mul_(2)\n", "t.data.add_(1)\n", "t.zero_()\n",
                          "x.data[0] = 5.0\n", "t[0] = 1.0\n", "t.add_(1)\n"])
        return f"t = {view}\n{write}print(t.{attr}, x._version, t._version)\ny = t * 1"
    if kind == 5:
        op = r.choice(["x.exp()", "x * w", "x.pow(3)", "x.sigmoid()", "x @ x", "w.sum()", "x.tanh()", "w.mm(w.T)"])
        slot = r.choice(["_raw_saved_result", "_raw_saved_self", "_raw_saved_other", "_raw_saved_mat2",
                         "_raw_saved_bogus", "_raw_saved_exponent"])
        pack = p(["lambda t: t", "lambda t: t * 2", "lambda t: None", "lambda t: 3", "lambda: 0", "None",
                  "print", "lambda t: t.detach()", "lambda t: (t, t)", "lambda t: t.double()"], "lambda t: t")
        unpack = p(["lambda t: t", "lambda t: t * 2", "lambda t: None", "lambda t: 2", "lambda t: t[0]",
                    "lambda t: t.double()", "lambda t: torch.ones(7)", "lambda t, s: t", "None",
                    "lambda t: t.requires_grad_()"], "lambda t: t")
        again = r.choice(["", "", f"y.grad_fn.{slot}.register_hooks(lambda t: t, lambda t: t)\n",
                          "y.sum().backward()\n", f"print(y.grad_fn.{slot.replace('_raw', '')})\n"])
        return f"y = {op}\ny.grad_fn.{slot}.register_hooks({pack}, {unpack})\n{again}"
    if kind == 6:
        cls = r.choice(["Bernoulli", "Multinomial", "Categorical"])
        probs = p(["p", "p", "p.detach()", "torch.tensor([0.0, 1.0])", "torch.zeros(3)", "torch.tensor(0.5)",
                   "torch.tensor([[0.2, 0.8], [0.5, 0.5]])", "torch.ones(0)", "torch.zeros(0, 3)",
                   "torch.tensor([1.5, -0.5])", "p.double()", "torch.tensor([1, 2])", "x", "None",
                   "torch.tensor([float('nan'), 0.5])"], "p")
        if cls == "Multinomial":
            d = c(cls, [p(INTS + ["4", "0", "100"], "4")], {r.choice(["probs", "logits"]): probs,
                                                              "validate_args": p(BOOLS, "None")})
        else:
            d = c(cls, [probs] if r.random() < 0.5 else [], {r.choice(["probs", "logits"]): probs,
                                                             "validate_args": p(BOOLS, "None")})
        use = r.choice([".mean", ".variance", ".stddev", ".entropy()", ".mean.sum()", ".stddev.sum()",
                        ".variance.sqrt()", ".entropy().sum()", ".probs"])
        return f"y = {d}{use}"
    if kind == 7:
        call = r.choice(["torch.accelerator.is_available()", "torch.accelerator.current_accelerator()",
                         "torch.accelerator.device_count()", "torch.backends.mps.is_available()",
                         "torch.backends.mps.is_built()", "torch.backends.cudnn.version()",
                         "torch.backends.cudnn.is_available()", "torch.cuda.is_available()",
                         "torch.cuda.device_count()", "torch.cuda.current_device()",
                         f"torch.cuda.manual_seed({p(NUMBERS, '1')})", f"torch.cuda.manual_seed_all({p(NUMBERS, '1')})",
                         f"torch.set_num_threads({p(NUMBERS, '2')})", "torch.get_num_threads()",
                         f"torch.use_deterministic_algorithms({p(BOOLS, 'True')})",
                         f"torch.use_deterministic_algorithms(True, warn_only={p(BOOLS, 'True')})",
                         "torch.are_deterministic_algorithms_enabled()", "torch.cuda.synchronize()",
                         "torch.accelerator.current_accelerator().type", "torch.cuda.get_device_name(0)",
                         "torch.cuda.empty_cache()", "torch.cuda.memory_allocated()"])
        setting = r.choice(["", f"torch.backends.cudnn.deterministic = {p(BOOLS, 'True')}\n",
                            f"torch.backends.cudnn.benchmark = {p(BOOLS, 'False')}\n",
                            f"torch.backends.cudnn.enabled = {p(BOOLS, 'True')}\n"])
        dev = p(["'cpu'", "'cuda'", "'mps'", "None", "torch.device('cpu')", "3", "'cpu:0'", "'cuda:1'"], "'cpu'")
        return f"{setting}print({call})\ny = (x * 2).to({dev})"
    if kind == 8:
        return f"y = x.exp()\ny.sum().backward(retain_graph={p(BOOLS, 'True')})\nprint(x._version, y._version, y.output_nr)"
    grads = p(["[torch.ones(3)]", "[torch.ones(2, 3)]", "torch.ones(3)", "None", "[None]", "[1.0]"], "[torch.ones(3)]")
    return (f"y = v\ng = torch.autograd.grad([v], [x], {grads}, retain_graph=True, "
            f"materialize_grads={p(BOOLS, 'True')}, allow_unused={p(BOOLS, 'True')})\nprint(g)")


AG_AFTER = ["print(y)", "y.sum().backward()\nprint(x.grad, w.grad, p.grad)",
            "y.sum().backward(create_graph=True)\nprint(x.grad)",
            "print(y.grad_fn.name() if y.grad_fn else None, y._version)",
            "print(torch.autograd.grad(y.sum(), x, allow_unused=True, materialize_grads=True))",
            "y.backward(torch.ones_like(y))\nprint(x.grad)", "print(y._base, y._is_view(), y.output_nr)"]


def gen_autograd(r: random.Random) -> str:
    """torch.autograd.grad's options, autograd.functional, views and versions,
    saved tensors' hooks, distributions' moments, the machine's switches."""
    prelude = AG_PRELUDE.format(seed=r.randrange(5))
    return _program(r, prelude, _ag_expr, AG_AFTER)


# ---- gradmode --------------------------------------------------------------------

GM_PRELUDE = """import torch
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
"""
# what a grad mode decorates with, and what else its argument may be
DECORATORS = ["torch.no_grad", "torch.no_grad()", "torch.enable_grad", "torch.enable_grad()",
              "torch.inference_mode", "torch.inference_mode()", "torch.inference_mode(False)",
              "torch.set_grad_enabled(False)", "torch.set_grad_enabled(True)"]
CONTEXTS = ["torch.no_grad()", "torch.enable_grad()", "torch.set_grad_enabled(False)",
            "torch.set_grad_enabled(True)", "torch.inference_mode()"]
WRAPPED = ["lambda t: t * w", "lambda t: (t * t).sum()", "lambda t: t.exp()", "torch.exp", "print",
           "None", "3", "x", "lambda: x * 2", "lambda t, s=2: t * s", "torch.int64", "abs"]
BODIES = ["t * w", "(t * t).sum()", "t.exp()", "t.detach() * 2", "t.clone().mul_(2)",
          "torch.is_grad_enabled()", "t.requires_grad"]


def _gm_statement(r: random.Random, sane: float) -> str:
    p = lambda pool, good: _pick(r, pool, sane, good)   # noqa: E731
    deco = r.choice(DECORATORS)
    kind = r.randrange(5)
    if kind == 0:               # a decorated def, called now and perhaps in a with block
        body = r.choice(BODIES)
        call = p(["f()", "f(x, x)", "f(3)", "f(t=x)"], "f(x)")
        outer = r.choice(["", "", f"with {r.choice(CONTEXTS)}:\n    "])
        return (f"@{deco}\ndef f(t):\n    return {body}\n\n\n"
                f"{outer}y = {call}\nprint(torch.is_grad_enabled())")
    if kind == 1:               # a wrapper made by calling a mode (or its class) with a value
        ctx = r.choice([d for d in DECORATORS if d.endswith(")")] + ["torch.no_grad",
                                                                    "torch.enable_grad"])
        wrapped = p(WRAPPED, "lambda t: t * w")
        made = p([f"{ctx}({wrapped})", f"{ctx}({wrapped}, {wrapped})", f"{ctx}(orig_func={wrapped})",
                  f"{ctx}()", f"{ctx}(None)"], f"{ctx}({wrapped})")
        return f"g = {made}\nprint(torch.is_grad_enabled())\ny = g(x)"
    if kind == 2:               # a method of a class
        return (f"class M:\n    @{deco}\n    def step(self, t):\n        return t * w\n\n\n"
                f"y = M().step(x)")
    if kind == 3:               # a mode decorating inside another mode's block
        return (f"with {r.choice(CONTEXTS)}:\n    h = {deco}(lambda t: t * 2)\n"
                f"    print(torch.is_grad_enabled())\ny = h(x)")
    return f"y = x * w\nprint(torch.is_grad_enabled(), {deco})" if "(" not in deco else \
        f"k = {deco}\nprint(torch.is_grad_enabled())\ny = x * w"


GM_AFTER = ["print(y)", "print(type(y).__name__, getattr(y, 'requires_grad', None))",
            "z = (x * w).sum()\nz.backward()\nprint(x.grad, torch.is_grad_enabled())",
            "print(torch.is_grad_enabled())"]


def gen_gradmode(r: random.Random) -> str:
    """The grad modes as decorators and wrappers, and the mode after each."""
    return _newer_program(r, GM_PRELUDE, _gm_statement, GM_AFTER)
