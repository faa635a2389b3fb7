"""torch.distributions.kl_divergence(p, q) for the pairs of distributions.py's
classes PyTorch registers: Normal, Bernoulli, Categorical and Uniform with
themselves, Uniform against Normal (and Normal against Uniform, infinite),
and Independent with Independent (the base pair's, summed over the
reinterpreted dims):

    kl = kl_divergence(Normal(mu, std), Normal(0.0, 1.0)).sum()

Each is made of the tensor ops PyTorch's torch/distributions/kl.py calls
(its in-place writes of inf and 0 included, IndexPutBackward0), so the graph
and the gradients are its own. A pair it does not register fails with its
NotImplementedError.
"""
from __future__ import annotations

import math

from . import functions as F
from .distributions import (Bernoulli, Categorical, Distribution, Independent, Normal, Uniform,
                            put_where, sum_rightmost)
from .errors import GradvizError
from .tensor import Tensor

NOT_IMPLEMENTED = "NotImplementedError"
# the classes PyTorch's ExponentialFamily covers, whose cross pairs it refuses
_EXPONENTIAL_FAMILIES = (Normal, Bernoulli)


def _kl_normal_normal(rt, p, q):
    pl, ps, ql, qs = p.params["loc"], p.params["scale"], q.params["loc"], q.params["scale"]
    var_ratio = F.METHODS["pow"](rt, rt.binary("/", ps, qs), 2)
    t1 = F.METHODS["pow"](rt, rt.binary("/", rt.binary("-", pl, ql), qs), 2)
    inner = rt.binary("-", rt.binary("-", rt.binary("+", var_ratio, t1), 1),
                      F.METHODS["log"](rt, var_ratio))
    return rt.binary("*", 0.5, inner)


def _kl_bernoulli_bernoulli(rt, p, q):
    softplus = F.NN_FUNCTIONAL["softplus"]
    neg = F.FUNCTIONS["neg"]
    p_probs, q_probs = p.probs(rt), q.probs(rt)
    t1 = rt.binary("*", p_probs, rt.binary("-", softplus(rt, neg(rt, q.logits(rt))),
                                           softplus(rt, neg(rt, p.logits(rt)))))
    t1 = put_where(rt, t1, rt.binary("==", q_probs, 0), math.inf)
    t1 = put_where(rt, t1, rt.binary("==", p_probs, 0), 0)
    t2 = rt.binary("*", rt.binary("-", 1, p_probs),
                   rt.binary("-", softplus(rt, q.logits(rt)), softplus(rt, p.logits(rt))))
    t2 = put_where(rt, t2, rt.binary("==", q_probs, 1), math.inf)
    t2 = put_where(rt, t2, rt.binary("==", p_probs, 1), 0)
    return rt.binary("+", t1, t2)


def _kl_categorical_categorical(rt, p, q):
    t = rt.binary("*", p.probs(rt), rt.binary("-", p.logits(rt), q.logits(rt)))
    t = put_where(rt, t, F.METHODS["expand_as"](rt, rt.binary("==", q.probs(rt), 0), t), math.inf)
    t = put_where(rt, t, F.METHODS["expand_as"](rt, rt.binary("==", p.probs(rt), 0), t), 0)
    return F.FUNCTIONS["sum"](rt, t, -1)


def _kl_uniform_uniform(rt, p, q):
    ratio = rt.binary("/", q.width(rt), p.width(rt))
    result = F.METHODS["log"](rt, ratio)
    outside = rt.binary("|", rt.binary(">", q.params["low"], p.params["low"]),
                        rt.binary("<", q.params["high"], p.params["high"]))
    result = put_where(rt, result, outside, math.inf)
    return result


def _kl_uniform_normal(rt, p, q):
    loc, scale = q.params["loc"], q.params["scale"]
    common = rt.binary("-", p.params["high"], p.params["low"])
    t1 = F.METHODS["log"](rt, rt.binary("/", rt.binary("*", math.sqrt(math.pi * 2), scale),
                                        common))
    t2 = rt.binary("/", F.METHODS["pow"](rt, common, 2), 12)
    ends = rt.binary("-", rt.binary("+", p.params["high"], p.params["low"]),
                     rt.binary("*", 2, loc))
    t3 = F.METHODS["pow"](rt, rt.binary("/", ends, 2), 2)
    return rt.binary("+", t1, rt.binary("/", rt.binary("*", 0.5, rt.binary("+", t2, t3)),
                                        F.METHODS["pow"](rt, scale, 2)))


def _kl_normal_uniform(rt, p, q):
    """_infinite_like(p.loc): inf everywhere, with no graph."""
    return F.FUNCTIONS["full_like"](rt, p.params["loc"], math.inf)


def _kl_independent_independent(rt, p, q):
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise GradvizError("", kind=NOT_IMPLEMENTED,
                           hint=f"both reinterpret as many dims: {p.reinterpreted_batch_ndims} "
                                f"and {q.reinterpreted_batch_ndims} differ")
    result = f_kl_divergence(rt, p.base_dist, q.base_dist)
    return sum_rightmost(rt, result, p.reinterpreted_batch_ndims)


PAIRS = {(Normal, Normal): _kl_normal_normal, (Bernoulli, Bernoulli): _kl_bernoulli_bernoulli,
         (Categorical, Categorical): _kl_categorical_categorical,
         (Uniform, Uniform): _kl_uniform_uniform, (Uniform, Normal): _kl_uniform_normal,
         (Normal, Uniform): _kl_normal_uniform,
         (Independent, Independent): _kl_independent_independent}


def _type_name(v) -> str:
    return v.kind if isinstance(v, Distribution) else F.arg_type_name(v)


def f_kl_divergence(rt, p, q) -> Tensor:
    """kl_divergence(p, q): KL(p || q), one number per distribution of the batch."""
    rule = PAIRS.get((p.__class__, q.__class__))
    if rule is not None:
        return rule(rt, p, q)
    if isinstance(p, _EXPONENTIAL_FAMILIES) and isinstance(q, _EXPONENTIAL_FAMILIES):
        # (PyTorch's message, its source's indentation in it)
        raise GradvizError("The cross KL-divergence between different exponential families "
                           "cannot                             be computed using Bregman "
                           "divergences", kind=NOT_IMPLEMENTED,
                           hint="KL between two distributions of one kind: Normal and Normal")
    raise GradvizError(f"No KL(p || q) is implemented for p type {_type_name(p)} and q type "
                       f"{_type_name(q)}", kind=NOT_IMPLEMENTED,
                       hint="kl_divergence has Normal, Bernoulli, Categorical, Uniform and "
                            "Independent with their own kind, and Uniform with Normal")


FUNCTIONS = {"kl_divergence": f_kl_divergence}
