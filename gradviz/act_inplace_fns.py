"""torch's function forms of in-place activations and of dropout:
torch.threshold_, celu_, selu_, rrelu_ (F's activations written into their
input, recorded as PyTorch's in-place nodes, NAMEBackward1), and
torch.dropout_, alpha_dropout_, feature_dropout(_) and
feature_alpha_dropout(_) (every argument required, as torch.dropout's).
Loaded at the end of functions.py, whose tables it fills (install())."""
from __future__ import annotations

from . import functions as F
from .alias_fns import renamed
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, TYPE, GradvizError


def _in_place(rt, x, name: str, compute, args):
    """compute()'s result written into x, its node marked as the in-place
    form's (ThresholdBackward1, CeluBackward1, ...)."""
    def marked():
        out = compute()
        if out.op is not None:
            out.params = {**out.params, "in_place": True}
        return out
    return rt.change_in_place(F._need_tensor(x, name), marked, name, args)


def _f(name: str):
    """F.NAME, its errors naming torch.NAME_ (as PyTorch's do)."""
    return renamed(F.NN_FUNCTIONAL[name], name, name + "_")


def f_threshold_(rt, input, threshold, value):
    return _in_place(rt, input, "threshold_",
                     lambda: _f("threshold")(rt, input, threshold, value), (threshold, value))


def f_celu_(rt, input, alpha=1.0):
    return _in_place(rt, input, "celu_", lambda: _f("celu")(rt, input, alpha), (alpha,))


def f_selu_(rt, input):
    return _in_place(rt, input, "selu_", lambda: _f("selu")(rt, input), ())


def f_rrelu_(rt, input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    from .nn_act_more import rrelu
    rng = rt.rng if generator is None else generator.cpu(rt)     # (training's slopes)
    return _in_place(rt, input, "rrelu_",
                     lambda: renamed(rrelu, "rrelu", "rrelu_")(rt, input, lower, upper, training,
                                                               rng), (lower, upper))


# ---- dropout ----------------------------------------------------------------

def _probability(name: str, p) -> float:
    """p, a float argument in [0, 1] (PyTorch's C++ check: a RuntimeError)."""
    if p.__class__ not in (int, float) and not (F.is_tensor(p) and p.data.ndim == 0):
        raise GradvizError(f"{name}(): argument 'p' (position 2) must be float, not "
                           f"{F.arg_type_name(p)}", kind=TYPE, hint="p is a probability: 0.5")
    p = float(p.data.item()) if F.is_tensor(p) else float(p)
    if not 0 <= p <= 1:
        raise GradvizError(f"dropout probability has to be between 0 and 1, but got {p:g}",
                           kind=RUNTIME, hint="p is the chance that a number is zeroed")
    return p


def _dropout_function(name: str):
    """F's dropout of (rt, input, p, train) for torch.NAME. (F's dropouts
    live with the modules, which are loaded after this module.)"""
    def f(rt, x, p, train):
        from . import dropout_more, modules
        if name == "dropout":
            return modules.f_dropout(rt, x, p, train)
        if name == "feature_dropout":
            return dropout_more.feature_dropout(rt, x, p, train)
        # (feature_alpha_dropout: one draw per channel, dim 1)
        return dropout_more.f_alpha_dropout(rt, x, p, train,
                                            channels=name == "feature_alpha_dropout")
    return f


DROPOUTS = ("dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout")


def _dropout(name: str, in_place: bool):
    """torch.NAME(input, p, train) (or NAME_): F's dropout, written into
    input for NAME_ where it changes anything."""
    fname = name + "_" if in_place else name
    dropout = _dropout_function(name)

    def f(rt, input, p, train):
        p = _probability(fname, p)
        x = F._need_tensor(input, fname)
        if p == 0 or not train or x.data.size == 0:
            return x                  # (PyTorch returns the input, unwritten, of any dtype)
        if not in_place:
            return dropout(rt, x, p, train)
        return rt.change_in_place(x, lambda: dropout(rt, x, p, train), fname, ())
    f.__name__ = fname
    return checked(f, fname, forms("(Tensor input, float p, bool train)"), method=False)


FUNCTIONS = {
    "threshold_": checked(f_threshold_, "threshold_", forms("(Tensor input, Number threshold, Number value)"), False),
    "celu_": checked(f_celu_, "celu_", forms("(Tensor input, Number alpha = 1.0)"), False),
    "selu_": checked(f_selu_, "selu_", forms("(Tensor input)"), False),
    "rrelu_": checked(f_rrelu_, "rrelu_",
                      forms("(Tensor input, Number lower = 0.125, Number upper = 0.3333333333333333, "
                            "bool training = False, Generator? generator = None)"), False),
    **{name + suffix: _dropout(name, bool(suffix)) for name in DROPOUTS for suffix in ("", "_")
       if name + suffix not in ("dropout", "alpha_dropout")},
}


def install() -> None:
    F.FUNCTIONS.update(FUNCTIONS)


