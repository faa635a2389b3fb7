"""A fuzz generator for the loss functions and the activations with options
(tests/test_fuzz.py registers it beside its own):

* ``losses``: every F.*_loss and its nn module (reduction=, weight=,
  pos_weight=, margin=, beta=/delta=, log_input=, full=, eps=, p=, swap=,
  ignore_index=, label_smoothing=) on inputs and targets of matching and
  mismatched shapes, integer and float targets, empty and 0-d tensors, NaN
  and inf; the distances and similarities (cosine_similarity,
  pairwise_distance, normalize); the activations that take options (elu's
  alpha, softplus's beta and threshold, hardtanh's bounds, threshold,
  leaky_relu, rrelu in eval, glu's dim, softmin, gelu's approximate),
  then backward, a gradient of the gradient, or the gradient's print
  (never in forward mode).

The rows and pools are tests/fuzz_features.py's: a "KIND:good" slot keeps
its good value as often as the program's sanity says, else takes one from
the pool of KIND.
"""
from __future__ import annotations

import random

from fuzz_features import POOLS, _program, _row_call

# the loss's kinds join fuzz_features' pools, which its _fill draws from
POOLS.update({
         # a loss's input and target, of the prelude's shapes and the odd ones
         "L": ["p", "q", "z", "t", "p[0]", "p.T", "p.detach()", "zeros(0)", "zeros(0, 3)",
               "tensor(0.5)", "tensor([float('nan'), 0.5, 1.0])", "tensor([1, 0, 1])",
               "tensor([True, False, True])", "torch.randn(2, 3, dtype=torch.float64)",
               "torch.full((2, 3), 1e30)", "tensor([[-1.0, 2.0, float('inf')]])", "p * 0",
               "torch.randn(4, 3)", "torch.randn(2, 1)", "None", "1.0", "[0.5, 0.5]", "'a'"],
         "CL": ["k", "k", "tensor([0, 2])", "tensor([-100, 1])", "tensor([3, 0])", "tensor([0.0, 1.0])",
                "tensor(1)", "zeros(0, dtype=torch.int64)", "tensor([1, 1], dtype=torch.int32)",
                "tensor([0, 1, 2])", "tensor([[0, 1, 2], [2, 1, 0]])", "pm", "sgn", "None"],
         "R": ["'mean'", "'sum'", "'none'", "'batchmean'", "'MEAN'", "''", "None", "0", "True"],
         "W": ["w3", "w3", "tensor([1.0, 2.0])", "zeros(3)", "ones(3, dtype=torch.float64)",
               "tensor([1, 2, 3])", "w3.detach()", "tensor(2.0)", "None", "ones(2, 3)"],
})

# (the function, its positional slots, its keyword slots): input p or z,
# target q (a float tensor like p), k (class indices), sgn (-1/1 labels)
LOSSES = [
    ("F.mse_loss", ["L:p", "L:q"], {"reduction": "R:'mean'"}),
    ("F.l1_loss", ["L:p", "L:q"], {"reduction": "R:'sum'"}),
    ("F.smooth_l1_loss", ["L:p", "L:q"], {"reduction": "R:'mean'", "beta": "F:0.5"}),
    ("F.huber_loss", ["L:p", "L:q"], {"reduction": "R:'none'", "delta": "F:0.5"}),
    ("F.binary_cross_entropy", ["L:p.sigmoid()", "L:t"], {"weight": "W:None", "reduction": "R:'mean'"}),
    ("F.binary_cross_entropy_with_logits", ["L:p", "L:t"],
     {"weight": "W:w3", "pos_weight": "W:w3", "reduction": "R:'sum'"}),
    ("F.kl_div", ["L:p.log_softmax(1)", "L:q.softmax(1)"],
     {"reduction": "R:'batchmean'", "log_target": "B:False"}),
    ("F.poisson_nll_loss", ["L:p", "L:q.abs()"],
     {"log_input": "B:True", "full": "B:False", "eps": "F:1e-8", "reduction": "R:'mean'"}),
    ("F.gaussian_nll_loss", ["L:p", "L:q", "L:p.detach().abs() + 0.1"],
     {"full": "B:True", "eps": "F:1e-6", "reduction": "R:'mean'"}),
    ("F.nll_loss", ["L:p.log_softmax(1)", "CL:k"],
     {"weight": "W:w3", "ignore_index": "I:-100", "reduction": "R:'mean'"}),
    ("F.cross_entropy", ["L:p", "CL:k"],
     {"weight": "W:None", "ignore_index": "I:1", "reduction": "R:'sum'", "label_smoothing": "F:0.1"}),
    ("F.cross_entropy", ["L:p", "L:q.softmax(1)"], {"label_smoothing": "F:0.2", "reduction": "R:'none'"}),
    ("F.margin_ranking_loss", ["L:z", "L:z.flip(0)", "CL:sgn"], {"margin": "F:0.5", "reduction": "R:'mean'"}),
    ("F.hinge_embedding_loss", ["L:z", "CL:sgn"], {"margin": "F:1.0", "reduction": "R:'sum'"}),
    ("F.soft_margin_loss", ["L:z", "CL:sgn"], {"reduction": "R:'mean'"}),
    ("F.multilabel_soft_margin_loss", ["L:p", "L:t"], {"weight": "W:None", "reduction": "R:'mean'"}),
    ("F.cosine_embedding_loss", ["L:p", "L:q", "CL:pm"], {"margin": "F:0.0", "reduction": "R:'mean'"}),
    ("F.triplet_margin_loss", ["L:p", "L:q", "L:q.flip(0)"],
     {"margin": "F:1.0", "p": "F:2.0", "eps": "F:1e-6", "swap": "B:False", "reduction": "R:'mean'"}),
    ("F.cosine_similarity", ["L:p", "L:q"], {"dim": "D:1", "eps": "F:1e-8"}),
    ("F.pairwise_distance", ["L:p", "L:q"], {"p": "F:2.0", "eps": "F:1e-6", "keepdim": "B:False"}),
    ("F.normalize", ["L:p"], {"p": "F:2.0", "dim": "D:1", "eps": "F:1e-12"}),
]
# the loss modules: the constructor is fuzzed, then the module is called
LOSS_MODULES = [
    ("nn.MSELoss", {"reduction": "R:'sum'"}, "p, q"),
    ("nn.L1Loss", {"reduction": "R:'none'"}, "p, q"),
    ("nn.SmoothL1Loss", {"beta": "F:2.0"}, "p, q"),
    ("nn.HuberLoss", {"delta": "F:2.0", "reduction": "R:'mean'"}, "p, q"),
    ("nn.BCELoss", {"weight": "W:w3"}, "p.sigmoid(), t"),
    ("nn.BCEWithLogitsLoss", {"pos_weight": "W:w3", "reduction": "R:'none'"}, "p, t"),
    ("nn.KLDivLoss", {"reduction": "R:'batchmean'", "log_target": "B:True"},
     "p.log_softmax(1), q.log_softmax(1)"),
    ("nn.NLLLoss", {"weight": "W:w3", "ignore_index": "I:0"}, "p.log_softmax(1), k"),
    ("nn.CrossEntropyLoss", {"label_smoothing": "F:0.1", "weight": "W:w3"}, "p, k"),
    ("nn.PoissonNLLLoss", {"log_input": "B:False", "full": "B:True"}, "p.exp(), q.abs()"),
    ("nn.GaussianNLLLoss", {"full": "B:False", "eps": "F:1e-6"}, "p, q, torch.ones(2, 3)"),
    ("nn.MarginRankingLoss", {"margin": "F:0.2"}, "z, z.flip(0), sgn"),
    ("nn.HingeEmbeddingLoss", {"margin": "F:2.0"}, "z, sgn"),
    ("nn.SoftMarginLoss", {}, "z, sgn"),
    ("nn.CosineEmbeddingLoss", {"margin": "F:0.5"}, "p, q, pm"),
    ("nn.TripletMarginLoss", {"margin": "F:0.5", "swap": "B:True"}, "p, q, q.flip(0)"),
    ("nn.CosineSimilarity", {"dim": "D:0"}, "p, q"),
    ("nn.PairwiseDistance", {"p": "F:1.0", "keepdim": "B:True"}, "p, q"),
]
# activations with options, on the input p
ACTIVATIONS = [
    ("F.elu", ["L:p"], {"alpha": "F:0.5"}),
    ("F.celu", ["L:p"], {"alpha": "F:2.0"}),
    ("F.selu", ["L:p"], {}),
    ("F.softplus", ["L:p"], {"beta": "F:2.0", "threshold": "F:1.0"}),
    ("F.hardtanh", ["L:p"], {"min_val": "F:-0.5", "max_val": "F:0.5"}),
    ("F.threshold", ["L:p", "F:0.1", "F:-1.0"], {}),
    ("F.leaky_relu", ["L:p"], {"negative_slope": "F:0.1"}),
    ("F.rrelu", ["L:p"], {"lower": "F:0.1", "upper": "F:0.3", "training": "B:False"}),
    ("F.glu", ["L:torch.cat([p, q], 1)"], {"dim": "D:1"}),
    ("F.softmin", ["L:p"], {"dim": "D:1"}),
    ("F.gelu", ["L:p"], {"approximate": "S:'tanh'"}),
    ("F.hardshrink", ["L:p"], {"lambd": "F:0.5"}),
    ("F.softshrink", ["L:p"], {"lambd": "F:0.5"}),
    ("F.logsigmoid", ["L:p"], {}),
    ("F.mish", ["L:p"], {}),
    ("F.hardswish", ["L:p"], {}),
    ("F.hardsigmoid", ["L:p"], {}),
    ("F.tanhshrink", ["L:p"], {}),
    ("F.softsign", ["L:p"], {}),
    ("F.relu6", ["L:p"], {}),
]

LOSS_PRELUDE = """import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed({seed})
p = torch.randn(2, 3, requires_grad=True)
q = torch.randn(2, 3)
t = torch.rand(2, 3)
z = torch.randn(3, requires_grad=True)
w3 = torch.tensor([0.5, 1.0, 2.0])
k = torch.tensor([2, 0])
pm = torch.tensor([1, -1])
sgn = torch.tensor([1.0, -1.0, 1.0])
"""


def _loss_statement(r: random.Random, sane: float) -> str:
    """One loss, loss module or activation call."""
    kind = r.randrange(10)
    if kind < 5:
        return _row_call(r, r.choice(LOSSES), sane)
    if kind < 7:
        cls, kw, args = r.choice(LOSS_MODULES)
        mod = _row_call(r, (cls, [], kw), sane)
        return f"mod = {mod}\ny = mod({args if r.random() < sane else r.choice(POOLS['L'])})"
    return _row_call(r, r.choice(ACTIVATIONS), sane)


LOSS_AFTER = ["print(y)", "y.sum().backward()\nprint(p.grad, z.grad)",
              "y.mean().backward()\nprint(p.grad)", "print(y.grad_fn, y.shape, y.dtype)",
              "g, = torch.autograd.grad(y.sum(), [p], create_graph=True)\n"
              "print(g)\ng.sum().backward()\nprint(p.grad)",
              "g = torch.autograd.grad(y.sum(), [p, z], allow_unused=True)\nprint(g)",
              "y.backward(torch.ones_like(y))\nprint(p.grad)", "print(y.grad_fn.next_functions)",
              "p.grad = None\ny.sum().backward()\nprint(p.grad)"]


def gen_losses(r: random.Random) -> str:
    """The loss functions, their modules and the activations with options,
    with arguments at the edges."""
    return _program(r, LOSS_PRELUDE.format(seed=r.randrange(5)), _loss_statement, LOSS_AFTER,
                    modes=False)
