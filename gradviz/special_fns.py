"""torch.logaddexp, logaddexp2, sinc, digamma, polygamma, i0 (torch.NAME,
x.NAME(), x.NAME_()), the torch.special module with PyTorch's aliases, and
F.softmin (nn.Softmin). The one-node ops are in ops/special.py. Loaded at
the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

from . import functions as F
from .errors import RUNTIME, TYPE, GradvizError
from .ops import OPS
from .tape import result_dtype
from .tensor import CPP_TYPE_NAMES

KERNEL_ERROR = "NotImplementedError"
SQRT1_2 = 0.7071067811865476


def _unary(name: str):
    def f(rt, input):
        return rt.apply(OPS[name], (F._need_tensor(input, name),))
    f.__name__ = name
    return f


def _logaddexp(name: str):
    @F.tensors_only
    def f(rt, input, other):
        x, y = F._need_tensor(input, name), F._need_tensor(other, name, 2)
        # the kernel runs in the promoted dtype: one float tensor is enough
        # (a float and an int tensor make a float), two of ints or bools fail
        dt = result_dtype((x, y))
        if dt.kind in "biu":
            raise GradvizError(f'"{name}_cpu" not implemented for '
                               f"'{F.type_word(dt)}'", kind=KERNEL_ERROR,
                               hint=f"make one a float tensor: torch.{name}(a.float(), b)")
        return rt.apply(OPS[name], (x, y))
    f.__name__ = name
    return f


def _polygamma_n(n) -> int:
    if not isinstance(n, int) or isinstance(n, bool):
        raise GradvizError(f"polygamma(): argument 'n' (position 1) must be int, not "
                           f"{F.arg_type_name(n)}", kind=TYPE,
                           hint="n is the derivative's order, a whole number: "
                                "torch.polygamma(1, x)")
    F.int64_size("polygamma", None, 1, n)
    if n < 0:
        raise GradvizError("polygamma(n, x) does not support negative n.", kind=RUNTIME,
                           hint="n = 0 is digamma, 1 trigamma, ...")
    return n


def f_polygamma(rt, n, input):
    """torch.polygamma(n, input): the order first."""
    n = _polygamma_n(n)
    x = F._need_tensor(input, "polygamma", 2, "input")
    return rt.apply(OPS["polygamma"], (x,), {"n": n})


def m_polygamma(rt, x, n):
    """x.polygamma(n)."""
    return f_polygamma(rt, n, x)


def m_polygamma_(rt, x, n):
    n = _polygamma_n(n)
    return rt.change_in_place(x, lambda: f_polygamma(rt, n, x), "polygamma_", (n,))


def f_ndtr(rt, input):
    """(1 + erf(x / sqrt(2))) / 2, composed as PyTorch composes it."""
    x = F._need_tensor(input, "special_ndtr")
    if x.data.dtype.kind in "biu":
        x = F.METHODS["float"](rt, x)
    erf = F.FUNCTIONS["erf"](rt, _scalar_overload(rt, "*", x, SQRT1_2, "MulBackward1"))
    return _scalar_overload(rt, "*", _scalar_overload(rt, "+", erf, 1, "AddBackward1"), 0.5,
                            "MulBackward1")


def _scalar_overload(rt, sym, t, number, grad_fn):
    """t SYM number as C++ calls it (the Scalar overload: MulBackward1, ...)."""
    out = rt.binary(sym, t, number)
    if out.recorded:
        out.meta = {**(out.meta or {}), "grad_fn_name": grad_fn}
    return out


def f_entr(rt, input):
    return rt.apply(OPS["entr"], (F._need_tensor(input, "special_entr"),))


def f_softmin(rt, input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x): PyTorch's F.softmin (a SoftmaxBackward0 after NegBackward0)."""
    x = F._need_tensor(input, "softmin")
    if dim is None:
        rt.log_event("user_warning", x, message="Implicit dimension choice for softmin has "
                     "been deprecated. Change the call to include dim=X as an argument.")
        dim = 0 if x.data.ndim in (0, 1, 3) else 1
    if dtype is not None:
        x = F.METHODS["to"](rt, x, dtype)
    return F.FUNCTIONS["softmax"](rt, F.FUNCTIONS["neg"](rt, x), dim)


def f_prelu(rt, input, weight):
    """F.prelu(input, weight): one weight, or one per channel (dim 1)."""
    x = F._need_tensor(input, "prelu", 1, "input")
    w = F._need_tensor(weight, "prelu", 2, "weight")
    if x.data.ndim == 0 and w.data.size != 1:
        raise GradvizError("Not allow zero-dim input tensor.", kind=RUNTIME,
                           hint="a 0-d input takes one weight; give it a dim: x.reshape(1, 1)")
    channels = x.data.shape[1] if x.data.ndim >= 2 else 1
    if w.data.size != 1 and w.data.size != channels:
        raise GradvizError("Mismatch of parameter numbers and input channel size. Found "
                           f"parameter numbers = {w.data.size} and channel size = {channels}.",
                           kind=RUNTIME, hint="one weight for all, or one per channel: "
                                              "the input's dim 1 (a 1-d input has one channel)")
    if x.data.dtype != w.data.dtype:
        raise GradvizError(f"prelu: Type promoting not supported. Got {F.type_word(x.data.dtype)} "
                           f"and {F.type_word(w.data.dtype)}", kind=RUNTIME,
                           hint="give both one float dtype: prelu(x.float(), weight)")
    if w.data.ndim > 1:
        raise GradvizError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {w.data.ndim}", kind=RUNTIME,
                           hint="one weight for all, or one per channel: weight.flatten()")
    if w.data.ndim != x.data.ndim:
        # (ATen reshapes the weight to broadcast over the input before its
        # kernel: a view, ViewBackward0 in the graph, where the dims differ)
        shape = [1] * x.data.ndim
        if x.data.ndim > 1:
            shape[1] = w.data.size
        w = F.METHODS["view"](rt, w, tuple(shape))
    return rt.apply(OPS["prelu"], (x, w))


def f_softmax2d(rt, input):
    """nn.Softmax2d's call: softmax over the channels (dim -3) of a 3-d or 4-d input."""
    x = F._need_tensor(input, "softmax")
    if x.data.ndim not in (3, 4):
        raise GradvizError(f"Softmax2d: expected input to be 3D or 4D, got {x.data.ndim}D "
                           "instead", kind="ValueError",
                           hint="give it (C, H, W) or (N, C, H, W); for other shapes use "
                                "nn.Softmax(dim=...)")
    return F.FUNCTIONS["softmax"](rt, x, -3)


def _bilinear_dtypes(x1, x2, w, bias) -> None:
    """PyTorch's first check of F.bilinear's tensors (a float32 nn.Bilinear
    given float64 inputs): one dtype, named as C++ types."""
    named = [("input1", x1), ("input2", x2), ("weight", w)] + \
        ([] if bias is None else [("bias", bias)])
    if len({t.data.dtype for _, t in named}) > 1:
        got = ", ".join(f"{name}: {CPP_TYPE_NAMES[t.data.dtype]}" for name, t in named)
        raise GradvizError(f"All tensors must have the same dtype, got {got}", kind=RUNTIME,
                           hint="convert the module to the inputs' dtype: bilinear.double(), "
                                "or the inputs: x.float()")


@F.keywords_seen
def f_bilinear(rt, input1, input2, weight, bias=None, *, keywords=frozenset()):
    """F.bilinear: x1 and x2 viewed as rows, one TrilinearBackward0, the
    rows viewed back to the batch shape, then + bias (PyTorch's chain)."""
    x1, x2, w = (F._need_tensor(v, "bilinear", F.position(keywords, name, pos), name)
                 for pos, (v, name) in enumerate(((input1, "input1"), (input2, "input2"),
                                                   (weight, "weight")), 1))
    if bias is not None and not F.is_tensor(bias):
        where = "" if "bias" in keywords else " (position 4)"
        raise GradvizError(f"bilinear(): argument 'bias'{where} must be Tensor, not "
                           f"{F.arg_type_name(bias)}", kind="TypeError",
                           hint="bias is a tensor of one number per output, or None")
    _bilinear_dtypes(x1, x2, w, bias)
    if w.data.ndim != 3 or x1.data.ndim == 0 or x2.data.ndim == 0:
        raise GradvizError("bilinear(): weight must be 3-d and the inputs at least 1-d",
                           kind=RUNTIME, hint="weight is (out, in1, in2); x1 (..., in1), "
                                              "x2 (..., in2)")
    out, in1, in2 = w.data.shape
    for k, (x, size) in enumerate(((x1, in1), (x2, in2)), 1):
        if x.data.shape[-1] != size:
            raise GradvizError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.data.shape[-1]} but expected {size}", kind=RUNTIME,
                               hint=f"weight is {list(w.data.shape)}: input{k}'s last dim "
                                    f"must be {size}")
    for d, (a, b) in enumerate(zip(x1.data.shape[:-1], x2.data.shape[:-1])):
        if a != b:
            raise GradvizError(f"bilinear(): input batch dimensions do not match at dim {d}: "
                               f"got {a} and {b}", kind=RUNTIME,
                               hint="x1 and x2 hold the same samples: one batch shape")
    if bias is not None and tuple(bias.data.shape) != (out,):
        raise GradvizError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.data.shape[-1] if bias.data.ndim else 0} but expected {out}",
                           kind=RUNTIME, hint=f"one bias per output: {out}")
    batch = x1.data.shape[:-1]
    rows = F.m_view(rt, x1, -1, in1), F.m_view(rt, x2, -1, in2)
    y = F.m_view(rt, rt.apply(OPS["bilinear"], (rows[0], w, rows[1])), *batch, out)
    return y if bias is None else rt.binary("+", y, bias)


TORCH = {
    "bilinear": f_bilinear,
    "prelu": f_prelu,
    "logaddexp": _logaddexp("logaddexp"), "logaddexp2": _logaddexp("logaddexp2"),
    "sinc": _unary("sinc"), "digamma": _unary("digamma"), "i0": _unary("i0"),
    "polygamma": f_polygamma,
}
IN_PLACE = ("sinc", "digamma", "i0")


def special_module() -> dict:
    """torch.special's members: name -> function (PyTorch's aliases of torch's)."""
    fn = F.FUNCTIONS
    return {
        "expit": fn["sigmoid"], "logit": fn["logit"], "erf": fn["erf"], "erfc": fn["erfc"],
        "erfinv": fn["erfinv"], "xlogy": fn["xlogy"], "log1p": fn["log1p"],
        "expm1": fn["expm1"], "exp2": fn["exp2"], "sinc": TORCH["sinc"],
        "digamma": TORCH["digamma"], "psi": TORCH["digamma"], "gammaln": fn["lgamma"],
        "polygamma": f_polygamma, "i0": TORCH["i0"], "logsumexp": fn["logsumexp"],
        "softmax": fn["softmax"], "log_softmax": fn["log_softmax"], "ndtr": f_ndtr,
        "entr": f_entr,
    }


def install() -> None:
    F.FUNCTIONS.update(TORCH)
    F.METHODS.update({k: v for k, v in TORCH.items() if k not in ("polygamma", "bilinear")})
    F.METHODS.update(F.tensors_only_methods(("logaddexp", "logaddexp2")))
    F.METHODS.update({name + "_": F._in_place(name) for name in IN_PLACE})
    F.METHODS["polygamma"] = m_polygamma
    F.METHODS["polygamma_"] = m_polygamma_
    F.NN_FUNCTIONAL["softmin"] = f_softmin
    F.NN_FUNCTIONAL["prelu"] = f_prelu
    F.NN_FUNCTIONAL["bilinear"] = f_bilinear
