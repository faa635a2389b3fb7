"""torch's own forms of torch.nn.functional's losses: torch.kl_div,
margin_ranking_loss, hinge_embedding_loss, cosine_embedding_loss,
triplet_margin_loss and poisson_nll_loss. They take the reduction as
PyTorch's enum number (1 mean, 2 sum, any other none) and, unlike F's,
reduce nothing by default; each is F's loss unreduced, then its mean or sum
(the nodes F's reduction records), without F.kl_div's warning for 'mean'."""
from __future__ import annotations

from . import functions as F
from .errors import GradvizError, RUNTIME, TYPE

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
    # (torch's parser takes the tensors before anything reads them, as F's Python does)
    for i, (name, v) in enumerate((("input1", input1), ("input2", input2), ("target", target))):
        F._need_tensor(v, "margin_ranking_loss", i + 1, name)
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
                           hint=f"torch.{name} takes ({', '.join(values)}) by position")


def f_poisson_nll_loss(rt, input=_MISSING, target=_MISSING, log_input=_MISSING, full=_MISSING,
                       eps=_MISSING, reduction=_MISSING):
    """(every argument required, as in PyTorch)"""
    _require("poisson_nll_loss", {"input": input, "target": target, "log_input": log_input,
                                  "full": full, "eps": eps, "reduction": reduction})
    out = F.NN_FUNCTIONAL["poisson_nll_loss"](rt, input, target, log_input, full, eps=eps,
                                              reduction="none")
    return _reduced(rt, "poisson_nll_loss", out, reduction, 6)


def _dropout_form(name: str):
    """torch.dropout(input, p, train) and torch.alpha_dropout: F's, with
    every argument required (the same draws from the generator)."""
    def form(rt, input=_MISSING, p=_MISSING, train=_MISSING):
        _require(name, {"input": input, "p": p, "train": train})
        if isinstance(p, (int, float)) and not 0 <= p <= 1:    # (C++'s check: RuntimeError)
            raise GradvizError(f"dropout probability has to be between 0 and 1, but got {p}",
                               kind=RUNTIME, hint="p is the chance that a number is zeroed")
        # (F's dropouts live with the modules, which import this table's module)
        from . import dropout_more, modules
        f = modules.f_dropout if name == "dropout" else dropout_more.f_alpha_dropout
        return f(rt, input, p, train)
    form.__name__ = name
    return form


def f_layer_norm(rt, input=_MISSING, normalized_shape=_MISSING, weight=None, bias=None,
                 eps=1e-05, cudnn_enable=True):
    _require("layer_norm", {"input": input, "normalized_shape": normalized_shape})
    return F.NN_FUNCTIONAL["layer_norm"](rt, input, normalized_shape, weight, bias, eps)


def f_group_norm(rt, input=_MISSING, num_groups=_MISSING, weight=None, bias=None, eps=1e-05,
                 cudnn_enabled=True):
    _require("group_norm", {"input": input, "num_groups": num_groups})
    from .nn_norm_more import f_group_norm as group_norm    # (it imports the modules)
    return group_norm(rt, input, num_groups, weight, bias, eps)


_NORM_ARGS = ("input", "weight", "bias", "running_mean", "running_var")


def f_batch_norm(rt, input=_MISSING, weight=_MISSING, bias=_MISSING, running_mean=_MISSING,
                 running_var=_MISSING, training=_MISSING, momentum=_MISSING, eps=_MISSING,
                 cudnn_enabled=_MISSING):
    """torch.batch_norm: every argument required, the weight and bias before
    the running statistics (F.batch_norm's order has them after)."""
    _require("batch_norm", dict(zip(_NORM_ARGS + ("training", "momentum", "eps", "cudnn_enabled"),
                                    (input, weight, bias, running_mean, running_var, training,
                                     momentum, eps, cudnn_enabled))))
    return F.NN_FUNCTIONAL["batch_norm"](rt, input, running_mean, running_var, weight, bias,
                                         training, momentum, eps)


def f_instance_norm(rt, input=_MISSING, weight=_MISSING, bias=_MISSING, running_mean=_MISSING,
                    running_var=_MISSING, use_input_stats=_MISSING, momentum=_MISSING,
                    eps=_MISSING, cudnn_enabled=_MISSING):
    """torch.instance_norm: as torch.batch_norm, F.instance_norm's arguments
    in another order, every one required."""
    _require("instance_norm", dict(zip(
        _NORM_ARGS + ("use_input_stats", "momentum", "eps", "cudnn_enabled"),
        (input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
         cudnn_enabled))))
    from .nn_norm_more import f_instance_norm as instance_norm   # (it imports the modules)
    return instance_norm(rt, input, running_mean, running_var, weight, bias, use_input_stats,
                         momentum, eps)


def f_embedding(rt, weight=_MISSING, indices=_MISSING, padding_idx=-1, scale_grad_by_freq=False,
                sparse=False):
    """torch.embedding(weight, indices): F.embedding's arguments the other
    way round, a negative padding_idx meaning none."""
    _require("embedding", {"weight": weight, "indices": indices})
    return F.NN_FUNCTIONAL["embedding"](rt, indices, weight,
                                        None if padding_idx < 0 else padding_idx,
                                        scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


FUNCTIONS = {"kl_div": f_kl_div, "margin_ranking_loss": f_margin_ranking_loss,
             "hinge_embedding_loss": f_hinge_embedding_loss,
             "cosine_embedding_loss": f_cosine_embedding_loss,
             "triplet_margin_loss": f_triplet_margin_loss, "poisson_nll_loss": f_poisson_nll_loss,
             "dropout": _dropout_form("dropout"), "alpha_dropout": _dropout_form("alpha_dropout"),
             "layer_norm": f_layer_norm, "batch_norm": f_batch_norm,
             "instance_norm": f_instance_norm, "group_norm": f_group_norm, "embedding": f_embedding}
