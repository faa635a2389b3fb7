"""torch's own forms of torch.nn.functional's losses: torch.kl_div,
margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss,
triplet_margin_loss and poisson_nll_loss. They take the reduction as
PyTorch's enum number (1 mean, 2 sum, any other none) and, unlike F's,
reduce nothing by default; each is F's loss unreduced, then its mean or sum
(the nodes F's reduction records), without F.kl_div's warning for 'mean'."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, TYPE

_REDUCE = {1: "mean", 2: "sum"}


def _reduced(rt, name: str, out, reduction, position: int):
    if isinstance(reduction, bool) or not isinstance(reduction, int):
        raise GradvizError(f"{name}(): argument 'reduction' (position {position}) must be int, "
                           f"not {F.arg_type_name(reduction)}", kind=TYPE,
                           hint="torch's form takes the number: 0 none, 1 mean, 2 sum")
    how = _REDUCE.get(reduction)
    return F.FUNCTIONS[how](rt, out) if how else out


def f_kl_div(rt, input, target, reduction=0, *, log_target=False):
    out = F.NN_FUNCTIONAL["kl_div"](rt, input, target, reduction="none", log_target=log_target)
    return _reduced(rt, "kl_div", out, reduction, 3)


def f_margin_ranking_loss(rt, input1, input2, target, margin=0.0, reduction=0):
    out = F.NN_FUNCTIONAL["margin_ranking_loss"](rt, input1, input2, target, margin,
                                                 reduction="none")
    return _reduced(rt, "margin_ranking_loss", out, reduction, 5)


def f_hinge_embedding_loss(rt, input, target, margin=1.0, reduction=0):
    out = F.NN_FUNCTIONAL["hinge_embedding_loss"](rt, input, target, margin, reduction="none")
    return _reduced(rt, "hinge_embedding_loss", out, reduction, 4)


def f_cosine_embedding_loss(rt, input1, input2, target, margin=0.0, reduction=0):
    out = F.NN_FUNCTIONAL["cosine_embedding_loss"](rt, input1, input2, target, margin,
                                                   reduction="none")
    return _reduced(rt, "cosine_embedding_loss", out, reduction, 5)


def f_triplet_margin_loss(rt, anchor, positive, negative, margin=1.0, p=2, eps=1e-06,
                          swap=False, reduction=0):
    out = F.NN_FUNCTIONAL["triplet_margin_loss"](rt, anchor, positive, negative, margin, p, eps,
                                                 swap, reduction="none")
    return _reduced(rt, "triplet_margin_loss", out, reduction, 8)


_MISSING = object()


def _require(name: str, values: dict) -> None:
    """PyTorch's error for required arguments left out (its plural is
    inverted: "1 ... arguments", "4 ... argument")."""
    missing = [k for k, v in values.items() if v is _MISSING]
    if missing:
        plural = "s" if len(missing) == 1 else ""
        listed = ", ".join(f'"{k}"' for k in missing)
        raise GradvizError(f"{name}() missing {len(missing)} required positional "
                           f"argument{plural}: {listed}", kind=TYPE,
                           hint=f"torch.{name} takes every argument: "
                                "(input, target, log_input, full, eps, reduction)")


def f_poisson_nll_loss(rt, input=_MISSING, target=_MISSING, log_input=_MISSING, full=_MISSING,
                       eps=_MISSING, reduction=_MISSING):
    """(every argument required, as in PyTorch)"""
    _require("poisson_nll_loss", {"input": input, "target": target, "log_input": log_input,
                                  "full": full, "eps": eps, "reduction": reduction})
    out = F.NN_FUNCTIONAL["poisson_nll_loss"](rt, input, target, log_input, full, eps=eps,
                                              reduction="none")
    return _reduced(rt, "poisson_nll_loss", out, reduction, 6)


FUNCTIONS = {"kl_div": f_kl_div, "margin_ranking_loss": f_margin_ranking_loss,
             "hinge_embedding_loss": f_hinge_embedding_loss,
             "cosine_embedding_loss": f_cosine_embedding_loss,
             "triplet_margin_loss": f_triplet_margin_loss, "poisson_nll_loss": f_poisson_nll_loss}
