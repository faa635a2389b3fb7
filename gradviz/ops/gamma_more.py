"""torch.mvlgamma(x, p), the multivariate log-gamma function, as PyTorch
computes it: lgamma of x - j/2 for j = p-1 ... 0, summed over j, plus
p(p-1)/4 log(pi); its gradient (mvlgamma_backward) the sum of the digammas.
Argument checks are in gamma_fns.py.
"""
from __future__ import annotations

import math

import numpy as np

from .reduce import _sum_fwd
from .unary import digamma, lgamma
from .registry import FLOAT, defop


def _shifted(x, p: int):
    """x.unsqueeze(-1) + arange(-p/2 + 1/2, 1/2, 1/2): x - j/2 along a last dim."""
    x = np.asarray(x)
    dt = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    halves = np.arange(-p / 2 + 0.5, 0.5, 0.5)[:p].astype(dt)
    return x.astype(dt)[..., None] + halves


def _sum_last(a):
    return _sum_fwd([a], {"dim": (a.ndim - 1,)})


def _mvlgamma(xs, p):
    n = p["p"]
    terms = lgamma(_shifted(xs[0], n))
    total = _sum_last(terms)
    return total + total.dtype.type(n * (n - 1) * math.log(math.pi) * 0.25)


def _mvlgamma_grad(g, ans, xs, p):
    return g * _sum_last(digamma(_shifted(xs[0], p["p"])))


defop("mvlgamma", "MvlgammaBackward0", _mvlgamma, vjp=(_mvlgamma_grad,),
      jvp=(_mvlgamma_grad,), saved=("0",), dtype_rule=FLOAT,
      formula=("d mvlgamma(x, p)/dx = sum_j digamma(x - j/2)",))
