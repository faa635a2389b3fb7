"""torch.multinomial and torch.distributions' Categorical, Multinomial,
Normal and Bernoulli, as d2l's probability chapter and policy-gradient
code use them:

    counts = Multinomial(1000, fair_probs).sample()
    d = Categorical(logits=net(x)); a = d.sample(); loss = -d.log_prob(a) * r

Draws are PyTorch's numbers for the same seed: each sample makes the
generator calls PyTorch's makes (torch/distributions/*.py and the CPU
multinomial kernel). log_prob, entropy and rsample are made of the tensor
ops PyTorch's Python code calls, so the graph shows PyTorch's nodes
(SqueezeBackward1 over GatherBackward0, NegBackward0 over SumBackward1, ...)
and the gradients are theirs. Arguments are validated as PyTorch's default
validate_args=True does, with its messages.
"""
from __future__ import annotations

import math

import numpy as np

from . import functions as F
from .errors import RUNTIME, TYPE, VALUE, GradvizError
from .ops.registry import broadcast_shape
from .ops.stdsort import topk_indices
from .pytypes import DISTRIBUTION, DISTRIBUTION_NAMES, PyType
from .rng import CPUGenerator
from .tensor import Tensor

# multinomial's index is a float inside PyTorch's kernel: 2**24 categories at most
MAX_CATEGORIES = 1 << 24


# ---- torch.multinomial ---------------------------------------------------------

def f_multinomial(rt, input, num_samples, replacement=False, *, generator=None):
    """torch.multinomial(probs, num_samples, replacement=False): int64 class
    indices per row of the 1-d or 2-d probs (weights, not necessarily
    summing to 1). Without replacement, or for one sample, PyTorch's
    exponential trick (the argmax or top-k of p / q, q ~ Exp(1): one
    float64 uniform per probability); with replacement, a float64 uniform
    per sample looked up in the row's cumulative distribution."""
    x = F._need_tensor(input, "multinomial")
    gen = F.draw_generator(rt, generator, "multinomial")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int):
        raise GradvizError(f"multinomial(): argument 'num_samples' (position 2) must be int, "
                           f"not {F.arg_type_name(num_samples)}", kind=TYPE,
                           hint="num_samples is how many indices to draw per row")
    p = x.data
    if not 1 <= p.ndim <= 2:
        raise GradvizError("prob_dist must be 1 or 2 dim", kind=RUNTIME,
                           hint="one row of probabilities (C,), or one per distribution (N, C)")
    if p.dtype.kind != "f":
        raise GradvizError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{F.type_word(p.dtype)}", kind=RUNTIME,
                           hint="probabilities are floats: probs.float()")
    if num_samples <= 0:
        raise GradvizError("cannot sample n_sample <= 0 samples", kind=RUNTIME,
                           hint="draw one sample or more")
    categories = p.shape[-1]
    if not replacement and num_samples > categories:
        raise GradvizError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement", kind=RUNTIME,
                           hint=f"there are {categories} categories: draw at most that many, or "
                                "pass replacement=True")
    if categories > MAX_CATEGORIES:
        raise GradvizError("number of categories cannot exceed 2^24", kind=RUNTIME)
    rows = p.reshape(1, -1) if p.ndim == 1 else p
    shape = (num_samples,) if p.ndim == 1 else (p.shape[0], num_samples)
    rt.tape.check_size(math.prod(shape), "result")
    return F._leaf(rt, draw(gen, rows, num_samples, replacement).reshape(shape), False,
                   "multinomial")


def draw(gen: CPUGenerator, rows: np.ndarray, num_samples: int, replacement: bool) -> np.ndarray:
    """multinomial's (rows, num_samples) indices of the 2-d probabilities,
    drawn from gen."""
    if rows.size == 0:
        return np.zeros((rows.shape[0], num_samples), np.int64)
    if not replacement or num_samples == 1:
        drawn = _exponential_trick(gen, rows, num_samples)
    else:
        for row in rows:
            if (row < 0).any() or np.isnan(row).any():
                raise GradvizError("invalid multinomial distribution (encountering probability "
                                   "entry < 0)", kind=RUNTIME, hint=_PROBS_HINT)
            if not np.isfinite(row).all():
                raise GradvizError("invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)", kind=RUNTIME, hint=_PROBS_HINT)
            if not row.sum() > 0:
                raise _zero_sum_error()
        drawn = gen.categorical(rows, num_samples)
    return drawn


_PROBS_HINT = "probabilities are weights of 0 or more (softmax(logits) makes them)"


def _zero_sum_error() -> GradvizError:
    return GradvizError("invalid multinomial distribution (sum of probabilities <= 0)",
                        kind=RUNTIME, hint="each row needs a probability above 0")


def _exponential_trick(gen: CPUGenerator, rows: np.ndarray, k: int) -> np.ndarray:
    """PyTorch's draw without replacement: argmax (one sample) or topk of
    p / q along each row, q exponential_() of p's shape."""
    if not (rows.max() < np.inf and rows.min() >= 0):          # (NaN fails both)
        raise GradvizError("probability tensor contains either `inf`, `nan` or element < 0",
                           kind=RUNTIME, hint=_PROBS_HINT)
    if (rows.sum(axis=1) == 0).any():
        raise _zero_sum_error()
    q = gen.exponential(rows.size, rows.dtype).reshape(rows.shape)
    with np.errstate(divide="ignore"):
        ratio = rows / q
    if k == 1:
        return np.argmax(ratio, axis=1).reshape(-1, 1)
    return topk_indices(ratio, k, 1, True, True)


def m_multinomial(rt, x, num_samples, replacement=False, *, generator=None):
    return f_multinomial(rt, x, num_samples, replacement, generator=generator)


# ---- distributions ---------------------------------------------------------------

def _tensor_text(rt, t: Tensor) -> str:
    """A parameter as a distribution's repr shows it: a one-number tensor's
    number (a 0-d one's as Python prints it), else its size."""
    if t.data.ndim == 0:
        return repr(t.data.item())
    if t.data.size == 1:
        return rt.value_str(t)
    return f"torch.Size({list(t.data.shape)})"


class Distribution:
    """The parameters a distribution holds (in the order its repr lists
    them; a lazily made one once it is made), its batch and event shapes."""

    kind = ""
    order: tuple = ()

    def __init__(self):
        self.params: dict[str, Tensor] = {}
        self.batch_shape: tuple = ()
        self.event_shape: tuple = ()

    def text(self, rt) -> str:
        shown = [f"{k}: {_tensor_text(rt, self.params[k])}" for k in self.order
                 if k in self.params]
        return f"{self.kind}({', '.join(shown)})"

    def set_pair(self, rt, names: tuple, a, b, validate_args) -> None:
        """Two parameters broadcast together (broadcast_all): the batch
        shape theirs, () when both are numbers."""
        self.validate = validate_args is not False
        self.params[names[0]], self.params[names[1]] = _broadcast_all(rt, a, b)
        numbers = not F.is_tensor(a) and not F.is_tensor(b)
        self.batch_shape = () if numbers else self.params[names[0]].data.shape

    def probs_or_logits(self, probs, logits) -> str:
        """The name of the one of probs= and logits= given (PyTorch's error
        for both or neither)."""
        if (probs is None) == (logits is None):
            raise GradvizError("Either `probs` or `logits` must be specified, but not both.",
                               kind=VALUE, hint=f"{self.kind}(probs=p) or {self.kind}(logits=z)")
        return "probs" if probs is not None else "logits"

    def check_param(self, rt, name: str, constraint: str, valid: bool) -> None:
        if not valid:
            value = self.params[name]
            raise GradvizError(
                f"Expected parameter {name} (Tensor of shape {tuple(value.data.shape)}) of "
                f"distribution {self.text(rt)} to satisfy the constraint {constraint}, but found "
                f"invalid values:\n{_value_text(rt, value)}", kind=VALUE,
                hint=_CONSTRAINT_HINTS[constraint.split("(")[0]])

    def check_value(self, rt, value, support: str, valid) -> None:
        """log_prob's validation of its value: a tensor, its shape, its support."""
        if not F.is_tensor(value):
            raise GradvizError("The value argument to log_prob must be a Tensor", kind=VALUE,
                               hint="pass a tensor: d.log_prob(torch.tensor(1))")
        expected = self.batch_shape + self.event_shape
        actual = value.data.shape
        if self.event_shape and actual[-len(self.event_shape):] != self.event_shape:
            raise GradvizError(f"The right-most size of value must match event_shape: "
                               f"torch.Size({list(actual)}) vs "
                               f"torch.Size({list(self.event_shape)}).", kind=VALUE,
                               hint=f"a value's last dims are one event: "
                                    f"{tuple(self.event_shape)}")
        for i, j in zip(reversed(actual), reversed(expected)):
            if i != 1 and j != 1 and i != j:
                raise GradvizError(f"Value is not broadcastable with batch_shape+event_shape: "
                                   f"torch.Size({list(actual)}) vs torch.Size({list(expected)}).",
                                   kind=VALUE, hint="one value per distribution of the batch")
        if not valid(value.data):
            raise GradvizError(
                f"Expected value argument (Tensor of shape {tuple(actual)}) to be within the "
                f"support ({support}) of the distribution {self.text(rt)}, but found invalid "
                f"values:\n{_value_text(rt, value)}", kind=VALUE,
                hint="a value the distribution can take")

    def stddev(self, rt) -> Tensor:
        """Distribution.stddev: variance.sqrt() (SqrtBackward0)."""
        return F.FUNCTIONS["sqrt"](rt, self.variance(rt))

    def extended_shape(self, rt, sample_shape) -> tuple:
        if isinstance(sample_shape, int) or not isinstance(sample_shape, (tuple, list)):
            what = "int" if isinstance(sample_shape, int) else F.arg_type_name(sample_shape)
            raise GradvizError(f"'{what}' object is not iterable", kind=TYPE,
                               hint="the sample shape is a tuple: d.sample((10,))")
        for i, s in enumerate(sample_shape):     # (torch.Size(sample_shape)'s check)
            if not isinstance(s, int):
                raise GradvizError(f"torch.Size() takes an iterable of 'int' (item {i} is "
                                   f"'{F.arg_type_name(s)}')", kind=TYPE,
                                   hint="the sample shape is a tuple of ints: d.sample((10,))")
        return F._shape_args(rt, (tuple(map(int, sample_shape)),), "sample") + \
            self.batch_shape + self.event_shape


_CONSTRAINT_HINTS = {
    "Simplex": "probabilities are 0 or more (each row is divided by its sum)",
    "IndependentConstraint": "logits are finite numbers (no NaN)",
    "GreaterThan": "a standard deviation is above 0",
    "Interval": "a probability is between 0 and 1",
    "Real": "a finite number or infinity, not NaN",
    "LessThan": "the low end is below the high end",
}


def _value_text(rt, value: Tensor) -> str:
    """A tensor as PyTorch's f-string shows it: a 0-d one as its number."""
    return repr(value.data.item()) if value.data.ndim == 0 else rt.value_str(value)


def _f32_scalar(rt, v, like: Tensor | None):
    """broadcast_all's tensor of a number: the tensor argument's dtype, else
    the default float dtype."""
    dt = like.data.dtype if like is not None else rt.tape.default_dtype
    return F._leaf(rt, np.asarray(v, dt), False, "tensor")


def _broadcast_all(rt, *values) -> list:
    """torch.distributions.utils.broadcast_all: numbers become tensors (of
    the first tensor's dtype), and each tensor is expanded to the common
    shape where its own differs (ExpandBackward0)."""
    for v in values:
        if not (F.is_tensor(v) or (isinstance(v, (int, float)) and not isinstance(v, bool))):
            raise GradvizError("Input arguments must all be instances of numbers.Number, "
                               "torch.Tensor or objects implementing __torch_function__.",
                               kind=VALUE, hint="give numbers or tensors")
    like = next((v for v in values if F.is_tensor(v)), None)
    ts = [v if F.is_tensor(v) else _f32_scalar(rt, v, like) for v in values]
    shape = ()
    for t in ts:                          # (PyTorch's error for shapes that do not fit)
        shape = broadcast_shape(shape, t.data.shape)
    return [t if t.data.shape == shape else F.METHODS["expand"](rt, t, *shape) for t in ts]


def _sum_last(rt, t: Tensor) -> Tensor:
    return F.FUNCTIONS["sum"](rt, t, -1)


class Categorical(Distribution):
    kind = "Categorical"
    order = ("probs", "logits")

    def __init__(self, rt, probs=None, logits=None, validate_args=None):
        super().__init__()
        self.validate = validate_args is not False
        name = self.probs_or_logits(probs, logits)
        given = probs if probs is not None else logits
        given = F._need_tensor(given, "Categorical", 1, name)
        if given.data.ndim < 1:
            raise GradvizError(f"`{name}` parameter must be at least one-dimensional.",
                               kind=VALUE, hint="one weight per category: a 1-d tensor")
        if probs is not None:
            # probs / probs.sum(-1, keepdim=True)
            total = F.FUNCTIONS["sum"](rt, given, -1, True)
            self.params["probs"] = rt.binary("/", given, total)
        else:
            norm = F.FUNCTIONS["logsumexp"](rt, given, -1, True)
            self.params["logits"] = rt.binary("-", given, norm)
        self.param_name = name
        self.events = given.data.shape[-1]
        self.batch_shape = given.data.shape[:-1]
        if self.validate:
            v = self.params[name].data
            if name == "probs":
                ok = np.all(v >= 0, axis=-1) & (np.abs(v.sum(-1) - v.dtype.type(1)) < 1e-6)
                self.check_param(rt, name, "Simplex()", bool(np.all(ok)))
            else:
                self.check_param(rt, name, "IndependentConstraint(Real(), 1)",
                                 not np.isnan(v).any())

    def probs(self, rt) -> Tensor:
        if "probs" not in self.params:           # logits_to_probs: softmax over the last dim
            self.params["probs"] = F.FUNCTIONS["softmax"](rt, self.params["logits"], -1)
        return self.params["probs"]

    def logits(self, rt) -> Tensor:
        if "logits" not in self.params:          # probs_to_logits: log of the clamped probs
            p = self.params["probs"]
            eps = float(np.finfo(p.data.dtype).eps)
            clamped = F.FUNCTIONS["clamp"](rt, p, eps, 1 - eps)
            self.params["logits"] = F.FUNCTIONS["log"](rt, clamped)
        return self.params["logits"]

    def sample(self, rt, sample_shape=()) -> Tensor:
        return F._leaf(rt, self.indices(rt, sample_shape), False, "sample")

    def indices(self, rt, sample_shape) -> np.ndarray:
        """multinomial(probs_2d, n, True).T, in the sample's shape."""
        shape = self.extended_shape(rt, sample_shape)
        probs = self.probs(rt)
        n = math.prod(shape[:len(shape) - len(self.batch_shape)])
        drawn = draw(rt.rng, probs.data.reshape(-1, self.events), n, True)
        return np.ascontiguousarray(drawn.T).reshape(shape)

    def log_prob(self, rt, value) -> Tensor:
        if self.validate:
            self.check_value(rt, value, f"IntegerInterval(lower_bound=0, upper_bound="
                                        f"{self.events - 1})",
                             lambda v: bool(np.all((v % 1 == 0) & (v >= 0) &
                                                   (v <= self.events - 1))))
        value = F.METHODS["unsqueeze"](rt, F.METHODS["long"](rt, value), -1)
        logits = self.logits(rt)
        value, log_pmf = _broadcast_all(rt, value, logits)
        value = rt.index_tensor(value, [Ellipsis, slice(None, 1)])
        return F.METHODS["squeeze"](rt, F.FUNCTIONS["gather"](rt, log_pmf, -1, value), -1)

    def mean(self, rt) -> Tensor:
        """A category has no mean: PyTorch's torch.full(batch_shape, nan) (no
        gradient), of the probabilities' dtype (made if only logits were)."""
        dtype = self.probs(rt).data.dtype
        return F._leaf(rt, np.full(self.batch_shape, np.nan, dtype), False, "full")

    variance = mean

    def entropy(self, rt) -> Tensor:
        logits = self.logits(rt)
        low = float(np.finfo(logits.data.dtype).min)
        clamped = F.FUNCTIONS["clamp"](rt, logits, low)
        p_log_p = rt.binary("*", clamped, self.probs(rt))
        return F.FUNCTIONS["neg"](rt, _sum_last(rt, p_log_p))


class Multinomial(Distribution):
    kind = "Multinomial"

    def __init__(self, rt, total_count=1, probs=None, logits=None, validate_args=None):
        super().__init__()
        if isinstance(total_count, bool) or not isinstance(total_count, int):
            raise GradvizError("inhomogeneous total_count is not supported",
                               kind="NotImplementedError",
                               hint="total_count is one whole number of trials")
        self.total_count = total_count
        self.binomial_logits = None       # (made by the first entropy())
        self.categorical = Categorical(rt, probs, logits, validate_args)
        self.batch_shape = self.categorical.batch_shape
        self.event_shape = (self.categorical.events,)

    def sample(self, rt, sample_shape=()) -> Tensor:
        """Counts per category of total_count categorical draws (drawn as
        Categorical.sample((total_count,) + sample_shape) is)."""
        shape = self.extended_shape(rt, sample_shape)
        drawn = self.categorical.indices(rt, (self.total_count,) + tuple(sample_shape))
        drawn = np.moveaxis(drawn, 0, -1).reshape(-1, self.total_count)
        counts = np.zeros((drawn.shape[0], self.categorical.events), np.int64)
        for i, row in enumerate(drawn):
            counts[i] = np.bincount(row, minlength=self.categorical.events)
        probs = self.categorical.probs(rt)
        return F._leaf(rt, counts.reshape(shape).astype(probs.data.dtype), False, "sample")

    def mean(self, rt) -> Tensor:
        return rt.binary("*", self.categorical.probs(rt), self.total_count)

    def entropy(self, rt) -> Tensor:
        """n H(categorical) - log n! + sum over k = 1..n, over the categories,
        of Binomial(n, p_i).prob(k) log k!: PyTorch's sum over the support
        of each category's binomial count."""
        fn = F.FUNCTIONS
        n = F._leaf(rt, np.asarray(self.total_count, np.int64), False, "tensor")
        term1 = rt.binary("-", rt.binary("*", n, self.categorical.entropy(rt)),
                          fn["lgamma"](rt, rt.binary("+", n, 1)))
        probs = self.categorical.probs(rt)
        dtype = probs.data.dtype
        ones = (1,) * probs.data.ndim
        support = np.arange(1, self.total_count + 1, dtype=dtype).reshape((-1,) + ones)
        support = F._leaf(rt, support, False, "arange")
        binomial_probs = fn["exp"](rt, self.binomial_log_prob(rt, probs, support))
        weights = fn["lgamma"](rt, rt.binary("+", support, 1))
        term2 = fn["sum"](rt, rt.binary("*", binomial_probs, weights), [0, -1])
        return rt.binary("+", term1, term2)

    def binomial_log_prob(self, rt, probs: Tensor, value: Tensor) -> Tensor:
        """Binomial(total_count, probs).log_prob(value), as PyTorch writes it:
        k logit - log k! - log (n - k)! - (n max(logit, 0) + n log1p(e^-|logit|)
        - log n!), the binomial's logits made once (probs_to_logits)."""
        fn = F.FUNCTIONS
        if self.binomial_logits is None:
            eps = float(np.finfo(probs.data.dtype).eps)
            c = fn["clamp"](rt, probs, eps, 1 - eps)
            self.binomial_logits = rt.binary("-", fn["log"](rt, c),
                                             fn["log1p"](rt, fn["neg"](rt, c)))
        logits = self.binomial_logits
        n = F._leaf(rt, np.full(probs.data.shape, self.total_count, probs.data.dtype), False,
                    "total_count")
        log_factorial_n = fn["lgamma"](rt, rt.binary("+", n, 1))
        log_factorial_k = fn["lgamma"](rt, rt.binary("+", value, 1))
        log_factorial_nmk = fn["lgamma"](rt, rt.binary("+", rt.binary("-", n, value), 1))
        # _clamp_by_zero: (x.clamp(min=0) + x - x.clamp(max=0)) / 2
        by_zero = rt.binary("/", rt.binary("-", rt.binary("+", fn["clamp"](rt, logits, 0), logits),
                                           fn["clamp"](rt, logits, None, 0)), 2)
        softplus_tail = fn["log1p"](rt, fn["exp"](rt, fn["neg"](rt, fn["abs"](rt, logits))))
        normalize = rt.binary("-", rt.binary("+", rt.binary("*", n, by_zero),
                                             rt.binary("*", n, softplus_tail)), log_factorial_n)
        return rt.binary("-", rt.binary("-", rt.binary("-", rt.binary("*", value, logits),
                                                        log_factorial_k), log_factorial_nmk),
                         normalize)

    def variance(self, rt) -> Tensor:
        """total_count * probs * (1 - probs)."""
        probs = self.categorical.probs(rt)
        return rt.binary("*", rt.binary("*", self.total_count, probs), rt.binary("-", 1, probs))

    def log_prob(self, rt, value) -> Tensor:
        """log n! - sum log x_i! + sum x_i logits_i (with lgamma), a zero
        count of a category of probability 0 adding nothing."""
        if self.categorical.validate:
            n = self.total_count
            self.check_value(rt, value, "Multinomial()",
                             lambda v: bool(np.all((v >= 0).all(-1) & (v.sum(-1) <= n))))
        logits, value = _broadcast_all(rt, self.categorical.logits(rt), value)
        logits = F.FUNCTIONS["clone"](rt, logits)
        lgamma, total = F.FUNCTIONS["lgamma"], F.FUNCTIONS["sum"]
        log_factorial_n = lgamma(rt, rt.binary("+", total(rt, value, -1), 1))
        log_factorial_xs = total(rt, lgamma(rt, rt.binary("+", value, 1)), -1)
        impossible = rt.binary("&", rt.binary("==", value, 0),
                               rt.binary("==", logits, -math.inf))
        logits = put_where(rt, logits, impossible, 0)
        log_powers = total(rt, rt.binary("*", logits, value), -1)
        return rt.binary("+", rt.binary("-", log_factorial_n, log_factorial_xs), log_powers)


def put_where(rt, t: Tensor, mask: Tensor, value: float) -> Tensor:
    """t[mask] = value, as PyTorch's code writes it (index_put_): t as the
    write left it (a new node, when it is recorded)."""
    rt._store_item(t, [mask], value)
    return rt._latest(t)


class Normal(Distribution):
    kind = "Normal"
    order = ("loc", "scale")

    def __init__(self, rt, loc, scale, validate_args=None):
        super().__init__()
        self.set_pair(rt, ("loc", "scale"), loc, scale, validate_args)
        if self.validate:
            self.check_param(rt, "loc", "Real()", not np.isnan(self.params["loc"].data).any())
            self.check_param(rt, "scale", "GreaterThan(lower_bound=0.0)",
                             bool(np.all(self.params["scale"].data > 0)))

    def sample(self, rt, sample_shape=()) -> Tensor:
        """torch.normal(loc.expand(shape), scale.expand(shape)) without
        gradient: normal_(0, 1), times scale, plus loc."""
        shape = self.extended_shape(rt, sample_shape)
        loc, scale = self.params["loc"].data, self.params["scale"].data
        z = rt.rng.normal(shape, loc.dtype)
        z *= np.broadcast_to(scale, shape)
        z += np.broadcast_to(loc, shape)
        return F._leaf(rt, z, False, "sample")

    def rsample(self, rt, sample_shape=()) -> Tensor:
        """loc + eps * scale, eps = empty(shape).normal_(): gradients flow to
        loc and scale (the reparameterisation trick)."""
        shape = self.extended_shape(rt, sample_shape)
        loc, scale = self.params["loc"], self.params["scale"]
        eps = F._leaf(rt, rt.rng.normal(shape, loc.data.dtype), False, "eps")
        return rt.binary("+", loc, rt.binary("*", eps, scale))

    def log_prob(self, rt, value) -> Tensor:
        if self.validate:
            self.check_value(rt, value, "Real()", lambda v: not np.isnan(v).any())
        loc, scale = self.params["loc"], self.params["scale"]
        var = rt.binary("**", scale, 2)
        log_scale = F.FUNCTIONS["log"](rt, scale)
        sq = rt.binary("**", rt.binary("-", value, loc), 2)
        quad = rt.binary("/", F.FUNCTIONS["neg"](rt, sq), rt.binary("*", 2, var))
        return rt.binary("-", rt.binary("-", quad, log_scale), math.log(math.sqrt(2 * math.pi)))

    def entropy(self, rt) -> Tensor:
        return rt.binary("+", 0.5 + 0.5 * math.log(2 * math.pi),
                         F.FUNCTIONS["log"](rt, self.params["scale"]))

    def variance(self, rt) -> Tensor:
        return F.METHODS["pow"](rt, self.params["scale"], 2)


class Bernoulli(Distribution):
    kind = "Bernoulli"
    order = ("probs", "logits")

    def __init__(self, rt, probs=None, logits=None, validate_args=None):
        super().__init__()
        self.validate = validate_args is not False
        name = self.probs_or_logits(probs, logits)
        (self.params[name],) = _broadcast_all(rt, probs if probs is not None else logits)
        self.batch_shape = self.params[name].data.shape
        if self.validate:
            v = self.params[name].data
            if name == "probs":
                self.check_param(rt, name, "Interval(lower_bound=0.0, upper_bound=1.0)",
                                 bool(np.all((v >= 0) & (v <= 1))))
            else:
                self.check_param(rt, name, "Real()", not np.isnan(v).any())

    def probs(self, rt) -> Tensor:
        if "probs" not in self.params:           # logits_to_probs(is_binary=True): sigmoid
            self.params["probs"] = F.FUNCTIONS["sigmoid"](rt, self.params["logits"])
        return self.params["probs"]

    def logits(self, rt) -> Tensor:
        if "logits" not in self.params:          # log(p) - log1p(-p) of the clamped p
            p = self.params["probs"]
            eps = float(np.finfo(p.data.dtype).eps)
            c = F.FUNCTIONS["clamp"](rt, p, eps, 1 - eps)
            self.params["logits"] = rt.binary("-", F.FUNCTIONS["log"](rt, c),
                                              F.FUNCTIONS["log1p"](rt, F.FUNCTIONS["neg"](rt, c)))
        return self.params["logits"]

    def sample(self, rt, sample_shape=()) -> Tensor:
        """torch.bernoulli(probs.expand(shape)): a uniform of the
        probabilities' dtype per number, u < p."""
        shape = self.extended_shape(rt, sample_shape)
        probs = self.probs(rt).data
        drawn = rt.rng.rand(shape, probs.dtype) < np.broadcast_to(probs, shape)
        return F._leaf(rt, drawn.astype(probs.dtype), False, "sample")

    def log_prob(self, rt, value) -> Tensor:
        if self.validate:
            self.check_value(rt, value, "Boolean()", lambda v: bool(np.all((v == 0) | (v == 1))))
        logits, value = _broadcast_all(rt, self.logits(rt), value)
        bce = F.FUNCTIONS["binary_cross_entropy_with_logits"](rt, logits, value, reduction="none")
        return F.FUNCTIONS["neg"](rt, bce)

    def mean(self, rt) -> Tensor:
        return self.probs(rt)

    def variance(self, rt) -> Tensor:
        """probs * (1 - probs)."""
        probs = self.probs(rt)
        return rt.binary("*", probs, rt.binary("-", 1, probs))

    def entropy(self, rt) -> Tensor:
        return F.FUNCTIONS["binary_cross_entropy_with_logits"](
            rt, self.logits(rt), self.probs(rt), reduction="none")


def _type_as(rt, t: Tensor, like: Tensor) -> Tensor:
    return F.METHODS["double" if like.data.dtype == np.float64 else "float"](rt, t)


class Uniform(Distribution):
    """Uniform(low, high): rsample is low + rand * (high - low)."""

    kind = "Uniform"
    order = ("low", "high")

    def __init__(self, rt, low, high, validate_args=None):
        super().__init__()
        self.set_pair(rt, ("low", "high"), low, high, validate_args)
        if self.validate:
            lo, hi = self.params["low"].data, self.params["high"].data
            self.check_param(rt, "low", f"LessThan(upper_bound={self.bound_text(rt, 'high')})",
                             bool(np.all(lo < hi)))
            self.check_param(rt, "high",
                             f"GreaterThan(lower_bound={self.bound_text(rt, 'low')})",
                             bool(np.all(hi > lo)))

    def bound_text(self, rt, name: str) -> str:
        return _value_text(rt, self.params[name])

    def width(self, rt) -> Tensor:
        return rt.binary("-", self.params["high"], self.params["low"])

    def rsample(self, rt, sample_shape=()) -> Tensor:
        shape = self.extended_shape(rt, sample_shape)
        low = self.params["low"]
        rand = F._leaf(rt, rt.rng.rand(shape, low.data.dtype), False, "rand")
        return rt.binary("+", low, rt.binary("*", rand, self.width(rt)))

    def sample(self, rt, sample_shape=()) -> Tensor:
        """rsample's numbers, without a graph (Distribution.sample)."""
        shape = self.extended_shape(rt, sample_shape)
        low, high = self.params["low"].data, self.params["high"].data
        rand = rt.rng.rand(shape, low.dtype)
        return F._leaf(rt, low + rand * (high - low), False, "sample")

    def log_prob(self, rt, value) -> Tensor:
        low, high = self.params["low"], self.params["high"]
        if self.validate:
            support = (f"Interval(lower_bound={self.bound_text(rt, 'low')}, "
                       f"upper_bound={self.bound_text(rt, 'high')})")
            self.check_value(rt, value, support,
                             lambda v: bool(np.all((low.data <= v) & (v <= high.data))))
        lb = _type_as(rt, F.METHODS["le"](rt, low, value), low)
        ub = _type_as(rt, F.METHODS["gt"](rt, high, value), low)
        return rt.binary("-", F.FUNCTIONS["log"](rt, F.METHODS["mul"](rt, lb, ub)),
                         F.FUNCTIONS["log"](rt, self.width(rt)))

    def entropy(self, rt) -> Tensor:
        return F.FUNCTIONS["log"](rt, self.width(rt))

    def mean(self, rt) -> Tensor:
        return rt.binary("/", rt.binary("+", self.params["high"], self.params["low"]), 2)

    def stddev(self, rt) -> Tensor:
        return rt.binary("/", self.width(rt), 12 ** 0.5)

    def variance(self, rt) -> Tensor:
        return rt.binary("/", F.METHODS["pow"](rt, self.width(rt), 2), 12)


def sum_rightmost(rt, value: Tensor, dims: int) -> Tensor:
    """torch.distributions.utils._sum_rightmost: the last dims summed, as
    value.reshape(shape[:-dims] + (-1,)).sum(-1)."""
    if dims == 0:
        return value
    shape = value.data.shape[:value.data.ndim - dims] + (-1,)
    return F.FUNCTIONS["sum"](rt, F.f_reshape(rt, value, *shape), -1)


class Independent(Distribution):
    """Independent(base, n): the base's last n batch dims as event dims
    (log_prob and entropy summed over them)."""

    kind = "Independent"

    def __init__(self, rt, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        super().__init__()
        base = base_distribution
        if not isinstance(base, Distribution):
            raise GradvizError(f"'{F.arg_type_name(base)}' object has no attribute "
                               "'batch_shape'", kind="AttributeError",
                               hint="Independent wraps a distribution: Independent(Normal(mu, "
                                    "std), 1)")
        n = reinterpreted_batch_ndims
        if isinstance(n, bool) or not isinstance(n, int):
            raise GradvizError("slice indices must be integers or None or have an __index__ "
                               "method", kind=TYPE, hint="the number of dims is a whole number")
        if n > len(base.batch_shape):
            raise GradvizError(f"Expected reinterpreted_batch_ndims <= "
                               f"len(base_distribution.batch_shape), actual {n} vs "
                               f"{len(base.batch_shape)}", kind=VALUE,
                               hint=f"the base distribution has {len(base.batch_shape)} batch "
                                    "dims to reinterpret")
        shape = base.batch_shape + base.event_shape
        event_dim = n + len(base.event_shape)
        self.batch_shape = shape[:len(shape) - event_dim]
        self.event_shape = shape[len(shape) - event_dim:]
        self.base_dist, self.reinterpreted_batch_ndims = base, n

    def text(self, rt) -> str:
        return f"Independent({text(rt, self.base_dist)}, {self.reinterpreted_batch_ndims})"

    def sample(self, rt, sample_shape=()) -> Tensor:
        return self.base_dist.sample(rt, sample_shape)

    def rsample(self, rt, sample_shape=()) -> Tensor:
        return self.base_dist.rsample(rt, sample_shape)

    def log_prob(self, rt, value) -> Tensor:
        return sum_rightmost(rt, self.base_dist.log_prob(rt, value),
                             self.reinterpreted_batch_ndims)

    def entropy(self, rt) -> Tensor:
        return sum_rightmost(rt, self.base_dist.entropy(rt), self.reinterpreted_batch_ndims)

    def mean(self, rt) -> Tensor:
        return _property(rt, self.base_dist, "mean")

    def variance(self, rt) -> Tensor:
        return _property(rt, self.base_dist, "variance")


# ---- how a program reaches them ----------------------------------------------------

CLASSES = (Categorical, Multinomial, Normal, Bernoulli, Uniform, Independent)
# (a distribution's methods, its attributes that are computed when read, and
# its properties of the distribution it is)
_METHODS = {"sample", "rsample", "log_prob", "entropy"}
_LAZY = {"probs", "logits"}
_PROPERTIES = {"mean", "stddev", "variance"}


def _property(rt, d, name: str):
    """d.mean, d.stddev, d.variance (Normal's first two its parameters)."""
    if d.__class__ is Normal and name in ("mean", "stddev"):
        return d.params["loc" if name == "mean" else "scale"]
    if hasattr(d, name):
        return getattr(d, name)(rt)
    raise GradvizError(f"'{d.kind}' object has no attribute '{name}'", kind="AttributeError",
                       hint="a distribution has sample(), log_prob(), entropy() and its "
                            "parameters")


# the methods these distributions take from torch.distributions.Distribution,
# whose are bare `raise NotImplementedError`
_BASE_ONLY = {"rsample": (Categorical, Multinomial, Bernoulli),
              "cdf": (Categorical, Multinomial, Bernoulli, Independent),
              "icdf": (Categorical, Multinomial, Bernoulli, Independent)}


def _not_implemented(rt, d, *args, **kwargs):
    raise GradvizError("", kind="NotImplementedError",
                       hint=f"{d.kind} does not have this method in PyTorch (a discrete "
                            "distribution has no rsample(): use sample(), or a "
                            "reparameterizable one such as Normal)")


def attribute(rt, obj, attr: str):
    """d.sample, d.log_prob, ... (bound methods) and d.probs, d.loc, ... ."""
    from .interpreter import BoundMethod
    if attr in _METHODS and hasattr(obj, attr):
        method = getattr(type(obj), attr)
        return BoundMethod(attr, lambda rt, d, *a, **k: method(d, rt, *a, **k), obj)
    if obj.__class__ in _BASE_ONLY.get(attr, ()):
        return BoundMethod(attr, _not_implemented, obj)
    target = obj.categorical if obj.__class__ is Multinomial and attr in _LAZY else obj
    if attr in _LAZY and hasattr(target, attr):
        return getattr(target, attr)(rt)
    if attr in obj.params:
        return obj.params[attr]
    if attr in ("batch_shape", "event_shape"):
        from .render.torchfmt import Size
        return Size(getattr(obj, attr))
    if obj.__class__ is Multinomial and attr == "total_count":
        return obj.total_count
    if obj.__class__ is Independent and attr in ("base_dist", "reinterpreted_batch_ndims"):
        return getattr(obj, attr)
    return _property(rt, obj, attr)


def text(rt, obj) -> str:
    return "Multinomial()" if obj.__class__ is Multinomial else obj.text(rt)


# torch.distributions.NAME, and torch.distributions.<module>.NAME: the
# types (pytypes.DISTRIBUTION_NAMES), which a call makes one of
BY_TYPE = {DISTRIBUTION_NAMES[cls.__name__]: cls for cls in CLASSES}
TYPES = {"Distribution": DISTRIBUTION,
         **{cls.__name__: PyType(DISTRIBUTION_NAMES[cls.__name__]) for cls in CLASSES}}
SUBMODULES = {cls.__name__.lower(): cls.__name__ for cls in CLASSES}
