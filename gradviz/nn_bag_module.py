"""nn.EmbeddingBag: nn.Embedding's table of rows, called as F.embedding_bag
(nn_bags.py) on bags of indices."""
from __future__ import annotations

from .errors import GradvizError
from .modules import Embedding, make_embedding
from .nn_bags import f_embedding_bag


class EmbeddingBag(Embedding):
    """nn.EmbeddingBag(num_embeddings, embedding_dim, max_norm=None,
    norm_type=2.0, scale_grad_by_freq=False, mode='mean', sparse=False,
    include_last_offset=False, padding_idx=None): weight drawn as
    nn.Embedding's (normal, the padding row zeros); a call (input,
    offsets=None, per_sample_weights=None) is F.embedding_bag."""

    __slots__ = ("mode", "include_last_offset")
    name = "EmbeddingBag"
    type_name = "torch.nn.modules.sparse.EmbeddingBag"
    ATTRIBUTES = Embedding.ATTRIBUTES + ("mode", "include_last_offset")

    def __init__(self, table: Embedding, mode: str, include_last_offset: bool):
        super().__init__(table.weight, table.padding_idx, table.max_norm, table.norm_type)
        self.mode, self.include_last_offset = mode, include_last_offset

    @property
    def text(self) -> str:
        # (PyTorch's extra_repr: max_norm, norm_type when not 2, mode, padding_idx)
        parts = [f"{self.num_embeddings}", f"{self.embedding_dim}"]
        if self.max_norm is not None:
            parts.append(f"max_norm={self.max_norm}")
        if self.norm_type != 2:
            parts.append(f"norm_type={self.norm_type}")
        parts.append(f"mode={self.mode!r}")
        if self.padding_idx is not None:
            parts.append(f"padding_idx={self.padding_idx}")
        return f"EmbeddingBag({', '.join(parts)})"

    def call(self, rt, args: list, kwargs: dict | None):
        """forward(input, offsets=None, per_sample_weights=None)."""
        names = ("input", "offsets", "per_sample_weights")
        if len(args) > 3:
            raise GradvizError(f"EmbeddingBag.forward() takes from 2 to 4 positional arguments "
                               f"but {len(args) + 1} were given", kind="TypeError",
                               hint="call it on the indices (and offsets): bag(idx, offsets)")
        given = dict(zip(names, args))
        for k, v in (kwargs or {}).items():
            if k not in names or k in given:
                raise GradvizError(f"EmbeddingBag.forward() got an unexpected keyword argument "
                                   f"'{k}'" if k not in names else f"EmbeddingBag.forward() got "
                                   f"multiple values for argument '{k}'", kind="TypeError",
                                   hint="forward takes input, offsets and per_sample_weights")
            given[k] = v
        if "input" not in given:
            raise GradvizError("EmbeddingBag.forward() missing 1 required positional argument: "
                               "'input'", kind="TypeError", hint="call it on the indices")
        return f_embedding_bag(rt, given["input"], self.weight, given.get("offsets"),
                               self.max_norm, self.norm_type, False, self.mode, False,
                               given.get("per_sample_weights"), self.include_last_offset,
                               self.padding_idx)


def make_embedding_bag(rt, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                       scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                       include_last_offset=False, padding_idx=None, device=None, dtype=None):
    if scale_grad_by_freq or sparse or _weight is not None:
        raise GradvizError("nn.EmbeddingBag(): scale_grad_by_freq=, sparse= and _weight= are "
                           "not supported", kind="TypeError",
                           hint="nn.EmbeddingBag(num_embeddings, embedding_dim, mode=...)")
    if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
        raise GradvizError("padding_idx must be within num_embeddings", kind="AssertionError",
                           hint=f"padding_idx runs from {-num_embeddings} to "
                                f"{num_embeddings - 1}")
    # (the same draw as nn.Embedding's: normal, the padding row zeroed)
    table = make_embedding(rt, num_embeddings, embedding_dim, padding_idx, max_norm, norm_type,
                           device=device, dtype=dtype)
    return EmbeddingBag(table, mode, include_last_offset)


CLASSES = (EmbeddingBag,)
MAKERS = {EmbeddingBag.type_name: make_embedding_bag}
