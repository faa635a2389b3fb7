"""F.embedding_bag: sums, means or maxima of bags of embedding rows (a
bag-of-words text model's first layer), with PyTorch's checks in the order
of its Python and ATen. The op is in ops/embedding_bag.py, nn.EmbeddingBag
in nn_bag_module.py."""
from __future__ import annotations

import numpy as np

from . import functions as F
from . import nn_functional as NF
from .autodiff import _size_str
from .errors import RUNTIME, VALUE, GradvizError
from .ops import OPS

_MODES = ("sum", "mean", "max")


def _class_name(v) -> str:
    return "torch.Tensor" if F.is_tensor(v) else type(v).__name__


def _index_tensor(t) -> None:
    """The indices' (and the offsets') dtype: PyTorch's check names both
    'indices'."""
    if t.data.dtype not in (np.int64, np.int32):
        raise GradvizError("Expected tensor for argument #1 'indices' to have one of the following "
                           f"scalar types: Long, Int; but got {F.legacy_type(t.data.dtype)} "
                           "instead (while checking arguments for embedding_bag)", kind=RUNTIME,
                           hint="indices and offsets are integers: idx.long()")


def _flat_bags(rt, input, offsets, per_sample_weights, include_last_offset):
    """embedding_bag's Python: a 2-d input as bags of its rows (offsets then
    0, n, 2n, ...), a 1-d one with its offsets; the per-sample weights
    flattened alike."""
    if input.data.ndim == 2:
        if offsets is not None:
            raise GradvizError("if input is 2D, then offsets has to be None, as input is treated "
                               "is a mini-batch of fixed length sequences. However, found "
                               f"offsets of type <class '{_class_name(offsets)}'>", kind=VALUE,
                               hint="a 2-d input is one bag per row: leave offsets out")
        rows, length = input.data.shape
        offsets = F._leaf(rt, np.arange(0, rows * length, max(length, 1), dtype=np.int64)[:rows],
                          False, "arange")
        input = F.f_reshape(rt, input, -1)
        if per_sample_weights is not None:
            per_sample_weights = F.f_reshape(rt, per_sample_weights, -1)
        return input, offsets, per_sample_weights, False
    if input.data.ndim == 1:
        if offsets is None:
            raise GradvizError("offsets has to be a 1D Tensor but got None", kind=VALUE,
                               hint="give where each bag starts: offsets=torch.tensor([0, 3])")
        offsets = F._need_tensor(offsets, "embedding_bag", 3, "offsets")
        if offsets.data.ndim != 1:
            raise GradvizError("offsets has to be a 1D Tensor", kind=VALUE,
                               hint="offsets is 1-d: where each bag starts")
        return input, offsets, per_sample_weights, include_last_offset
    raise GradvizError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                       f"{input.data.ndim}", kind=VALUE,
                       hint="the indices are 1-d with offsets, or 2-d (one bag per row)")


def _check_weights(weight, per_sample_weights) -> None:
    """A float weight, and per-sample weights of its dtype."""
    wt = weight.data.dtype
    if wt.kind != "f":
        raise GradvizError("Expected tensor for argument #1 'weight' to have one of the following "
                           "scalar types: Half, BFloat16, Float, Double; but got "
                           f"{F.legacy_type(wt)} instead (while checking arguments for "
                           "embedding_bag)", kind=RUNTIME, hint="the weight is float: w.float()")
    if per_sample_weights is not None and per_sample_weights.data.dtype != wt:
        raise GradvizError("Expected tensor for argument #1 'weight' to have the same type as "
                           "tensor for argument #1 'per_sample_weights'; but type "
                           f"{F.legacy_type(wt)} does not equal "
                           f"{F.legacy_type(per_sample_weights.data.dtype)} (while checking "
                           "arguments for embedding_bag)", kind=RUNTIME,
                           hint="give per_sample_weights the weight's dtype")


def _check_offsets(idx, offsets, include_last: bool) -> None:
    """ATen's checks of the offsets and the indices."""
    n = idx.size
    if offsets.size and offsets[0] != 0:
        raise GradvizError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {offsets[0]}",
                           kind=RUNTIME, hint="the first bag starts at 0")
    if offsets.size and offsets[-1] > n:
        raise GradvizError(f"offsets[-1] can not be greater than input's length {n} but got "
                           f"offsets[-1] of {offsets[-1]}", kind=RUNTIME,
                           hint="each offset is a position in the indices")
    if offsets.size > 1 and np.any(np.diff(offsets) < 0):
        raise GradvizError("offsets must be non-decreasing", kind=RUNTIME,
                           hint="each bag starts where the one before it ends, or later")


def _check_indices(idx, rows: int) -> None:
    bad = np.nonzero((idx < 0) | (idx >= rows))[0]
    if bad.size:
        raise GradvizError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in "
                           f"the valid range [0, {rows})", kind=RUNTIME,
                           hint=f"the weight has {rows} rows: indices run from 0 to {rows - 1}")


def _padding_idx(padding_idx, rows: int):
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int):
        raise GradvizError(f"embedding_bag(): argument 'padding_idx' (position 9) must be int, "
                           f"not {F.arg_type_name(padding_idx)}", kind="TypeError",
                           hint="padding_idx is the index of a row: a whole number")
    if not -rows <= padding_idx < rows:
        raise GradvizError(f"padding_idx must be within the number of embeddings, {-rows} "
                           f"through {rows - 1}, but got {padding_idx}", kind=RUNTIME,
                           hint=f"padding_idx runs from {-rows} to {rows - 1}")
    return padding_idx % rows


def f_embedding_bag(rt, input, weight, offsets=None, max_norm=None, norm_type=2,
                    scale_grad_by_freq=False, mode="mean", sparse=False,
                    per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """F.embedding_bag(indices, weight, offsets): per bag, the sum, mean or
    max of its rows of weight (each row times its per-sample weight, for
    sum); one EmbeddingBagBackward0 node."""
    input = F._need_tensor(input, "embedding_bag")
    weight = F._need_tensor(weight, "embedding_bag", 2, "weight")
    if per_sample_weights is not None:
        per_sample_weights = F._need_tensor(per_sample_weights, "embedding_bag", None,
                                            "per_sample_weights")
        if per_sample_weights.data.shape != input.data.shape:
            raise GradvizError(f"embedding_bag: If per_sample_weights "
                               f"({_size_str(per_sample_weights.data.shape)}) is not None, then "
                               f"it must have the same shape as the input "
                               f"({_size_str(input.data.shape)})", kind=VALUE,
                               hint="one weight per index")
    if weight.data.ndim != 2:
        raise GradvizError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                           f"{weight.data.ndim}", kind=VALUE,
                           hint="the weight is (num_embeddings, embedding_dim)")
    input, offsets, per_sample_weights, include_last = _flat_bags(
        rt, input, offsets, per_sample_weights, include_last_offset)
    if mode not in _MODES:
        raise GradvizError("mode has to be one of sum, mean or max", kind=VALUE,
                           hint="mode='sum', 'mean' or 'max'")
    if mode == "max" and (scale_grad_by_freq or sparse):
        raise GradvizError("max mode does not support scaling the gradient by the frequency"
                           if scale_grad_by_freq else "max mode does not support sparse weights",
                           kind=VALUE, hint="leave scale_grad_by_freq and sparse out")
    if max_norm is not None:
        NF.renorm_rows(rt, weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise GradvizError(f"embedding_bag: per_sample_weights was not None. per_sample_weights "
                           f"is only supported for mode='sum' (got mode='{mode}'). Please open a "
                           f"feature request on GitHub.", kind="NotImplementedError",
                           hint="weight the samples with mode='sum'")
    if scale_grad_by_freq or sparse:
        raise GradvizError("embedding_bag(): scale_grad_by_freq= and sparse= are not supported",
                           kind="TypeError", hint="leave them out: the gradient is dense")
    _check_weights(weight, per_sample_weights)
    for t in (input, offsets):
        _index_tensor(t)
    _check_offsets(input.data, offsets.data, include_last)
    _check_indices(input.data, weight.data.shape[0])
    pad = _padding_idx(padding_idx, weight.data.shape[0])
    args = (weight, input, offsets) + (() if per_sample_weights is None else (per_sample_weights,))
    return rt.apply(OPS["embedding_bag"], args,
                    {"mode": mode, "include_last": bool(include_last), "padding_idx": pad})


# torch.embedding_bag's mode numbers
_MODE_NUMBERS = {0: "sum", 1: "mean", 2: "max"}


def f_torch_embedding_bag(rt, weight, indices, offsets, scale_grad_by_freq=False, mode=0,
                          sparse=False, per_sample_weights=None, include_last_offset=False,
                          padding_idx=None):
    """torch.embedding_bag(weight, indices, offsets, ...): ATen's form, mode
    a number (0 sum, 1 mean, 2 max), returning (output, offset2bag,
    bag_size, max_indices) as its CPU kernel fills them."""
    if isinstance(mode, bool) or not isinstance(mode, int):
        raise GradvizError(f"embedding_bag(): argument 'mode' must be int, not "
                           f"{F.arg_type_name(mode)}", kind="TypeError",
                           hint="mode is 0 (sum), 1 (mean) or 2 (max)")
    if mode not in _MODE_NUMBERS:
        raise GradvizError("`mode` must be sum, mean, or max.", kind=RUNTIME,
                           hint="mode is 0 (sum), 1 (mean) or 2 (max)")
    if per_sample_weights is not None and mode != 0:
        # (ATen's words; F.embedding_bag's Python check says it otherwise)
        raise GradvizError("embedding_bag: per_sample_weights only supported with mode='sum'",
                           kind=RUNTIME, hint="weight the samples with mode 0 (sum)")
    indices = F._need_tensor(indices, "embedding_bag", 2, "indices")
    offsets = F._need_tensor(offsets, "embedding_bag", 3, "offsets")
    if indices.data.ndim != 1:
        raise GradvizError("torch.embedding_bag of indices that are not 1-d is not supported "
                           "here", kind=VALUE, hint="flatten them, with offsets where each "
                                                    "bag starts")
    output = f_embedding_bag(rt, indices, weight, offsets, None, 2, scale_grad_by_freq,
                             _MODE_NUMBERS[mode], sparse, per_sample_weights,
                             include_last_offset, padding_idx)
    p = {"include_last": bool(include_last_offset),
         "padding_idx": _padding_idx(padding_idx, weight.data.shape[0])}
    return (output,) + _bag_records(rt, weight, indices, offsets, mode, p)


def _bag_records(rt, weight, indices, offsets, mode: int, p: dict) -> tuple:
    """embedding_bag's other outputs: offset2bag (each index's bag; empty
    for the fast sum), bag_size (the entries each bag counts, padding
    left out; zeros for sum) and max_indices (max: the row each maximum
    came from, 0 for an empty bag; else bag_size again), in the indices'
    dtype (int32 only when the offsets are too). p: the bags' options, as
    the op takes them."""
    from .ops.embedding_bag import FAST_SUM, _max_rows, bags
    idx, offs = indices.data, offsets.data
    dt = np.int32 if idx.dtype == np.int32 and offs.dtype == np.int32 else np.int64
    bag, n_bags, counts = bags(idx, offs, p)
    if mode == 0 and weight.data.dtype.name in FAST_SUM and p["padding_idx"] is None:
        offset2bag = np.zeros(0, dt)      # (the fast sum leaves it empty)
    else:
        starts = np.zeros(idx.size + 1, dt)
        np.add.at(starts, offs[:n_bags], 1)     # (past include_last's end: the last bag's)
        starts[0] -= 1
        offset2bag = np.cumsum(starts)[:idx.size].astype(dt)
    bag_size = np.zeros(n_bags, dt) if mode == 0 else counts.astype(dt)
    if mode == 2:
        max_indices = np.maximum(_max_rows(weight.data, idx, bag, n_bags)[1], 0).astype(dt)
    else:
        max_indices = bag_size.copy()
    return tuple(F._leaf(rt, a, False, "embedding_bag") for a in
                 (offset2bag, bag_size, max_indices))


FUNCTIONS = {"embedding_bag": f_embedding_bag}
TORCH_FUNCTIONS = {"embedding_bag": f_torch_embedding_bag}
