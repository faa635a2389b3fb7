"""F.ctc_loss's one node (CtcLossBackward0): the connectionist temporal
classification loss of each batch item, -log of the probability of its
target over every alignment of it to the input (Graves et al. 2006).

Inputs (log_probs (T, N, C), targets): targets (N, S) padded, or 1-d, the
items' targets one after another. p: "input_lengths", "target_lengths"
(tuples), "blank", "zero_infinity". Computed in the dtype in the steps of
PyTorch's CPU kernel (LossCTC.cpp): the forward variables alpha over the
extended target l' (a blank around each label), their backward twins beta,
and PyTorch's own gradient, exp(lp) - exp(log(sum alpha beta) + nll - lp):
the derivative of the loss plus exp(lp), which a log_softmax before it
cancels.
"""
from __future__ import annotations

import numpy as np

from .registry import SAME, defop

_NEG_INF = -np.inf


def _padded_targets(targets, target_lengths) -> np.ndarray:
    """(N, S) targets, S the longest target (a 1-d targets split by the lengths)."""
    tl = np.asarray(target_lengths, np.int64)
    width = int(tl.max()) if tl.size else 0
    if targets.ndim == 2:
        return targets[:, :width].astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(tl)[:-1]]).astype(np.int64)
    pos = starts[:, None] + np.arange(width)[None, :]
    inside = np.arange(width)[None, :] < tl[:, None]
    return np.where(inside, targets[np.where(inside, pos, 0)], 0).astype(np.int64)


def _extended(targets, p):
    """l' of each item (N, 2 S + 1): blank, label, blank, ..., the labels
    clamped into range where the target is shorter; and which positions
    are in it (s < 2 len + 1)."""
    tg = _padded_targets(targets, p["target_lengths"])
    n, width = tg.shape
    prime = np.full((n, 2 * width + 1), p["blank"], np.int64)
    prime[:, 1::2] = tg
    tl = np.asarray(p["target_lengths"], np.int64)
    valid = np.arange(2 * width + 1)[None, :] < (2 * tl + 1)[:, None]
    return prime, valid


def _exp(x):
    """exp in the dtype, correctly rounded (computed in float64) as the C
    library's expf the kernel calls is; numpy's float32 exp may be an ulp
    or two off."""
    x = np.asarray(x)
    return np.exp(x.astype(np.float64)).astype(x.dtype)


def _log(x):
    x = np.asarray(x)
    return np.log(x.astype(np.float64)).astype(x.dtype)


def _log_add3(a, b, c):
    """log(exp(a - m) + exp(b - m) + exp(c - m)) + m, m the largest (0 when
    all are -inf), in that order, as the kernel writes it."""
    m = np.maximum(np.maximum(a, b), c)
    m = np.where(m == _NEG_INF, 0, m).astype(a.dtype)
    return (_log(_exp(a - m) + _exp(b - m) + _exp(c - m)) + m).astype(a.dtype)


def _shift(x, k: int, towards_end: bool):
    """x along its last axis moved by k (-inf where nothing comes in)."""
    out = np.full_like(x, _NEG_INF)
    if towards_end:
        out[..., k:] = x[..., :x.shape[-1] - k]
    else:
        out[..., :x.shape[-1] - k] = x[..., k:]
    return out


def _alphas(lp, prime, valid, p):
    """log_alpha (T, N, L): the log-probability of l'[:s + 1] in the input's
    first t + 1 steps (eq. 6-7), each step from the one before."""
    steps = lp.shape[0]
    lpp = np.take_along_axis(lp, np.broadcast_to(prime[None], (steps,) + prime.shape), axis=2)
    alpha = np.full(lpp.shape, _NEG_INF, lp.dtype)
    tl = np.asarray(p["target_lengths"], np.int64)
    if steps == 0:
        return alpha, lpp
    alpha[0, :, 0] = lpp[0, :, 0]
    if prime.shape[1] > 1:
        alpha[0, tl > 0, 1] = lpp[0, tl > 0, 1]
    # l'[s - 2] may be skipped where it differs from l'[s] (a label, not its repeat)
    skip = _shift(prime.astype(np.float64), 2, True) != prime
    for t in range(1, steps):
        before = alpha[t - 1]
        two = np.where(skip, _shift(before, 2, True), _NEG_INF)
        alpha[t] = np.where(valid, _log_add3(before, _shift(before, 1, True), two) + lpp[t],
                            _NEG_INF)
    return alpha, lpp


def _losses(alpha, p):
    """-log of the target's probability, from the last step's two final
    alphas (eq. 8); 0 for an empty input and target, inf for an empty
    input with a target."""
    il = np.asarray(p["input_lengths"], np.int64)
    tl = np.asarray(p["target_lengths"], np.int64)
    out = np.where(tl == 0, 0.0, np.inf).astype(alpha.dtype)
    items = np.nonzero(il > 0)[0]
    last = alpha[il[items] - 1, items]
    l1 = last[np.arange(items.size), 2 * tl[items]]
    l2 = np.where(tl[items] > 0, last[np.arange(items.size), np.maximum(2 * tl[items] - 1, 0)],
                  _NEG_INF)
    m = np.maximum(l1, l2)
    m = np.where(m == _NEG_INF, 0, m).astype(alpha.dtype)
    both = (_log(_exp(l1 - m) + _exp(l2 - m)) + m).astype(alpha.dtype)
    out[items] = -np.where(tl[items] == 0, l1, both)
    return out


def _ctc_fwd(xs, p):
    lp, targets = xs
    prime, valid = _extended(targets, p)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        return _losses(_alphas(lp, prime, valid, p)[0], p)


def _betas(lp, lpp, prime, valid, p):
    """log_beta (T, N, L): the log-probability of l'[s:] in the steps from t
    on (eq. 10-11), from each item's last step back."""
    steps = lp.shape[0]
    il = np.asarray(p["input_lengths"], np.int64)
    tl = np.asarray(p["target_lengths"], np.int64)
    beta = np.full(lpp.shape, _NEG_INF, lp.dtype)
    items = np.arange(prime.shape[0])
    skip = _shift(prime.astype(np.float64), 2, False) != prime
    for t in range(steps - 1, -1, -1):
        # at the item's last step: the final blank and the last label
        start = np.full(prime.shape, _NEG_INF, lp.dtype)
        start[items, 2 * tl] = lpp[t, items, 2 * tl]
        has = tl > 0
        start[items[has], 2 * tl[has] - 1] = lpp[t, items[has], 2 * tl[has] - 1]
        if t + 1 < steps:
            after = beta[t + 1]
            two = np.where(skip, _shift(after, 2, False), _NEG_INF)
            step = _log_add3(after, _shift(after, 1, False), two) + lpp[t]
        else:
            step = start
        row = np.where((t == il - 1)[:, None], start, np.where((t < il - 1)[:, None], step,
                                                                _NEG_INF))
        beta[t] = np.where(valid, row, _NEG_INF)
    return beta


def _class_sums(ab, prime, valid, classes: int):
    """Per step and class, alpha beta summed over the positions of l' that
    are that class (eq. 16), as logs, added from the last position down
    one at a time as the kernel adds them."""
    steps, n, length = ab.shape
    out = np.full((steps, n, classes), _NEG_INF, ab.dtype)
    # each position's place among the later ones of its class
    later = np.triu(np.ones((length, length), bool), 1)[None]
    same = (prime[:, :, None] == prime[:, None, :]) & later & valid[:, None, :]
    rank = same.sum(axis=2)
    for r in range(int(rank[valid].max()) + 1 if valid.any() else 0):
        b, s = np.nonzero(valid & (rank == r))
        c = prime[b, s]
        cur, new = out[:, b, c], ab[:, b, s]
        m = np.maximum(cur, new)
        added = (_log(_exp(cur - m) + _exp(new - m)) + m).astype(ab.dtype)
        out[:, b, c] = np.where(cur == _NEG_INF, new, added)
    return out


def _posteriors(xs, p):
    """exp(log(sum alpha beta) + nll - lp) (T, N, C): how much of the
    target's probability passes through each class at each step, and the
    losses."""
    lp, targets = xs
    prime, valid = _extended(targets, p)
    alpha, lpp = _alphas(lp, prime, valid, p)
    nll = _losses(alpha, p)
    beta = _betas(lp, lpp, prime, valid, p)
    sums = _class_sums((alpha + beta).astype(lp.dtype), prime, valid, lp.shape[2])
    return _exp((sums + nll[None, :, None]).astype(lp.dtype) - lp), nll


def _steps_mask(lp, p, nll):
    """The steps of each item's input (zero_infinity: none of an item whose
    loss is inf)."""
    il = np.asarray(p["input_lengths"], np.int64)
    inside = np.arange(lp.shape[0])[:, None] < il[None, :]
    if p["zero_infinity"]:
        inside &= ~np.isinf(nll)[None, :]
    return inside[:, :, None]


def _ctc_vjp(g, ans, xs, p):
    """PyTorch's ctc_loss_backward: (exp(lp) - posterior) * g in each item's
    steps, 0 after them."""
    lp = xs[0]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        post, nll = _posteriors(xs, p)
        g = np.asarray(g, lp.dtype).reshape(1, -1, 1)
        grad = ((_exp(lp) - post) * g).astype(lp.dtype)
    return np.where(_steps_mask(lp, p, nll), grad, 0).astype(lp.dtype)


def _ctc_jvp(t, ans, xs, p):
    """The loss's derivative (-posterior) contracted with the tangent (a
    rule of gradviz's: PyTorch has no forward mode here)."""
    lp = xs[0]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        post, nll = _posteriors(xs, p)
    d = np.where(_steps_mask(lp, p, nll), -post * t, 0)
    return d.sum(axis=(0, 2)).astype(lp.dtype)


defop("ctc_loss", "CtcLossBackward0", _ctc_fwd, vjp=(_ctc_vjp, None), jvp=(_ctc_jvp, None),
      saved=("0r", "0r"),
      formula=("d ctc/d log_probs = exp(lp) - exp(log(sum over l' alpha beta) + nll - lp) "
               "(PyTorch's: the derivative plus exp(lp), which log_softmax's backward cancels)",),
      symbol="F.ctc_loss", dtype_rule=SAME)
