"""torch.nn.utils.rnn: padded batches of sequences of different lengths,
and PackedSequence, as PyTorch's NLP tutorials use them.

    padded = pad_sequence([a, b, c])             # (T, 3, *), zeros after each end
    packed = pack_padded_sequence(padded, [3, 2, 1])
    out, (h, c) = lstm(packed)                   # out: a PackedSequence
    y, lengths = pad_packed_sequence(out)

Each is recorded as PyTorch's kernels run it: pad_sequence and
pad_packed_sequence write into a tensor of the padding value, a
CopySlices node per write; packing is one PackPaddedSequenceBackward0
node; enforce_sorted=False sorts the batch first (IndexSelectBackward0)
and pad_packed_sequence puts it back in order.
"""
from __future__ import annotations

import numpy as np

from . import functions as F
from .errors import INDEX, RUNTIME, TYPE, VALUE, GradvizError
from .forward_ad import refuse_dual
from .ops import OPS
from .ops.registry import broadcast_shape
from .ops.stdsort import sort_indices
from .selection import f_index_select
from .tensor import Tensor


class PackedSequence:
    """PyTorch's named tuple (data, batch_sizes, sorted_indices,
    unsorted_indices): data holds the rows of step 0 of every sequence,
    then step 1 of those that have one, ...; batch_sizes how many rows each
    step has."""

    __slots__ = ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    FIELDS = __slots__

    def __init__(self, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        self.data, self.batch_sizes = data, batch_sizes
        self.sorted_indices, self.unsorted_indices = sorted_indices, unsorted_indices

    def __iter__(self):
        return iter((self.data, self.batch_sizes, self.sorted_indices, self.unsorted_indices))

    def __len__(self) -> int:
        return 4

    def steps(self) -> list:
        """batch_sizes as Python ints."""
        return [int(n) for n in self.batch_sizes.data]


def text(rt, p: PackedSequence) -> str:
    """repr(p), as the named tuple shows itself."""
    return "PackedSequence(" + ", ".join(f"{k}={rt.repr_of(getattr(p, k))}"
                                         for k in PackedSequence.FIELDS) + ")"


def _int64(rt, values, label: str) -> Tensor:
    return F._leaf(rt, np.asarray(values, np.int64).reshape(-1), False, label)


def narrow_rows(rt, x: Tensor, start: int, stop: int) -> Tensor:
    """x.narrow(0, start, stop - start): SliceBackward0, even over all of x."""
    return F._pieces(rt, x, [(start, stop)], 0, "SliceBackward0")[0]


def _write(rt, out: Tensor, index: tuple, value: Tensor) -> Tensor:
    """out[index].copy_(value), recorded as PyTorch's CopySlices."""
    return rt.apply(OPS["setitem"], (out, value),
                    {"index": index, "advanced": False, "grad_fn": "CopySlices"})


# ---- pad_sequence ------------------------------------------------------------

def _filled(rt, shape: tuple, padding_value, dtype, fname: str, position: int,
            wants: str = "float") -> Tensor:
    """The padded result before the sequences are written in: padding_value
    (argument `position` of PyTorch's kernel fname, a `wants`) everywhere, within the
    size limit."""
    if F.is_tensor(padding_value) and padding_value.data.size == 1:
        padding_value = padding_value.data.item()     # (PyTorch reads a one-element tensor)
    if not isinstance(padding_value, (int, float)):
        raise GradvizError(f"{fname}(): argument 'padding_value' (position {position}) must be "
                           f"{wants}, not {F.arg_type_name(padding_value)}", kind=TYPE,
                           hint="padding_value is a number: padding_value=0.0")
    shape = F._shape_args(rt, (shape,), "full")       # (one size list, as full takes it)
    return F._leaf(rt, np.full(shape, padding_value, dtype), False, "full")


def _check_type(name: str, v, pos: int, kind: str, ok: bool) -> None:
    """pad_sequence's parser's TypeError for an argument that is no `kind`."""
    if not ok:
        raise GradvizError(f"pad_sequence(): argument '{name}' (position {pos}) must be {kind}, "
                           f"not {F.parsed_type_name(v)}", kind=TYPE,
                           hint=f"{name}= takes a {kind}")


def f_pad_sequence(rt, sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """at::pad_sequence: a tensor of padding_value (T, B, *) or (B, T, *),
    each sequence copied into its column, at the start (padding_side='right')
    or at the end ('left')."""
    if F.is_tensor(sequences):
        sequences = F.f_unbind(rt, sequences, 0)     # (iterating a tensor unbinds it)
    if not isinstance(sequences, (list, tuple)):
        raise GradvizError("pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: <class '{rt.type_name(sequences)}'>", kind=RUNTIME,
                           hint="pad_sequence takes a list of tensors, one per sequence")
    seqs = [F._need_tensor(s, "pad_sequence") for s in sequences]
    # (PyTorch's Python hands all four on, by place, to its C pad_sequence,
    # whose parser checks their types before the list's length and the side)
    F.bool_arg("pad_sequence", "batch_first", batch_first, 2)
    _check_type("padding_value", padding_value, 3, "float",
                isinstance(padding_value, (int, float)) or F.is_tensor(padding_value))
    _check_type("padding_side", padding_side, 4, "str", isinstance(padding_side, str))
    if not seqs:
        raise GradvizError("received an empty list of sequences", kind=RUNTIME,
                           hint="give pad_sequence at least one tensor")
    if padding_side not in ("left", "right"):
        raise GradvizError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.", kind=RUNTIME,
                           hint="padding_side='right' (the default) or 'left'")
    first = seqs[0].data
    if first.ndim == 0:
        raise GradvizError("ArrayRef: invalid slice, N = 1; size = 0", kind=RUNTIME,
                           hint="each sequence has a first dimension (its steps): "
                                "x.unsqueeze(0) for a single step")
    longest = max(s.data.shape[0] if s.data.ndim else 0 for s in seqs)
    size = (len(seqs), longest) if batch_first else (longest, len(seqs))
    out = _filled(rt, size + first.shape[1:], padding_value, first.dtype, "pad_sequence", 3)
    for i, s in enumerate(seqs):
        n = s.data.shape[0] if s.data.ndim else 0
        start = longest - n if padding_side == "left" else 0
        index = (i, slice(start, start + n)) if batch_first else (slice(start, start + n), i)
        target = (n,) + first.shape[1:]
        if broadcast_shape(target, s.data.shape) != target:
            raise GradvizError(f"output with shape {list(target)} doesn't match the broadcast "
                               f"shape {list(broadcast_shape(target, s.data.shape))}",
                               kind=RUNTIME, hint="every sequence has the same trailing sizes")
        out = _write(rt, out, index, s)
    return out


# ---- pack_padded_sequence / pack_sequence -------------------------------------

def _lengths_array(lengths) -> np.ndarray:
    if F.is_tensor(lengths):
        return np.asarray(lengths.data).astype(np.int64)       # lengths.to(torch.int64)
    if isinstance(lengths, (list, tuple)) and all(
            isinstance(v, (int, float)) or F.is_tensor(v) for v in lengths):
        return np.array([v.data.item() if F.is_tensor(v) else v for v in lengths]).astype(
            np.int64).reshape(-1)
    raise GradvizError("pack_padded_sequence: lengths must be a list of ints or a 1-d int64 "
                       "tensor", kind="TypeError", hint="lengths=[3, 2, 1]: each sequence's "
                                                        "number of steps")


def f_pack_padded_sequence(rt, input, lengths, batch_first=False, enforce_sorted=True):
    x = F._need_tensor(input, "pack_padded_sequence")
    lens = _lengths_array(lengths)
    sorted_t = None
    if not enforce_sorted:
        order = sort_indices(lens.reshape(-1), 0, True, False) if lens.ndim == 1 else None
        if order is not None:
            lens = lens[order]
            sorted_t = _int64(rt, order, "sorted_indices")
            x = f_index_select(rt, x, 0 if batch_first else 1, sorted_t)
    if x.data.size == 0:
        raise GradvizError("Cannot pack empty tensors.", kind=RUNTIME,
                           hint="a padded batch has at least one step and one sequence")
    if x.data.ndim < 2:
        raise GradvizError(f"Dimension out of range (expected to be in range of "
                           f"[-{x.data.ndim}, {x.data.ndim - 1}], but got 1)", kind=INDEX,
                           hint="the padded batch is (T, B, *), or (B, T, *) with "
                                "batch_first=True")
    if lens.ndim != 1:
        raise GradvizError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{lens.ndim}D cpu Long tensor", kind=RUNTIME,
                           hint="lengths is one number per sequence: lengths.flatten()")
    batch = x.data.shape[0 if batch_first else 1]
    steps = x.data.shape[1 if batch_first else 0]
    if lens.shape[0] != batch:
        raise GradvizError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{lens.shape[0]} (batch_size={batch})", kind=RUNTIME,
                           hint="one length per sequence of the batch" +
                                ("" if batch_first else "; is the batch (B, T, *)? pass "
                                 "batch_first=True"))
    if lens[-1] <= 0:
        raise GradvizError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0", kind=RUNTIME,
                           hint="leave empty sequences out of the batch")
    if (np.diff(lens) > 0).any():
        raise GradvizError(
            "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
            "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
            "to sidestep this requirement if you do not need ONNX exportability.", kind=RUNTIME,
            hint="pass enforce_sorted=False, or sort the batch longest first")
    if lens[0] > steps:
        # (PyTorch reads past the input's end here)
        raise GradvizError(f"pack_padded_sequence: a length ({lens[0]}) is longer than the "
                           f"padded batch's {steps} steps", kind=RUNTIME,
                           hint="each length is at most the padded length")
    sizes = tuple(int((lens > t).sum()) for t in range(int(lens[0])))
    refuse_dual(rt, [x], "_pack_padded_sequence",
                "forward mode does not go through packing: pass the padded batch itself "
                "(a padded LSTM input), or use backward()")
    data = rt.apply(OPS["pack_padded"], (x,), {"batch_sizes": sizes,
                                                "batch_first": bool(batch_first)})
    unsorted_t = None
    if sorted_t is not None:
        inverse = np.empty_like(sorted_t.data)
        inverse[sorted_t.data] = np.arange(len(inverse))
        unsorted_t = _int64(rt, inverse, "unsorted_indices")
    return PackedSequence(data, _int64(rt, sizes, "batch_sizes"), sorted_t, unsorted_t)


def f_pack_sequence(rt, sequences, enforce_sorted=True):
    if F.is_tensor(sequences):
        sequences = F.f_unbind(rt, sequences, 0)     # (iterating a tensor unbinds it)
    if not isinstance(sequences, (list, tuple)):
        raise GradvizError(f"'{rt.type_name(sequences)}' object is not iterable", kind=TYPE,
                           hint="pack_sequence takes a list of tensors: pack_sequence([a, b, c])")
    seqs = [F._need_tensor(s, "pack_sequence") for s in sequences]
    lengths = [s.data.shape[0] if s.data.ndim else 0 for s in seqs]
    return f_pack_padded_sequence(rt, f_pad_sequence(rt, seqs), lengths,
                                  enforce_sorted=enforce_sorted)


# ---- pad_packed_sequence ----------------------------------------------------------

def _need_packed(p, fname: str) -> PackedSequence:
    if p.__class__ is not PackedSequence:
        raise GradvizError(f"{fname}: expected a PackedSequence, got {F._describe(p)}",
                           kind="AttributeError",
                           hint="make one with pack_padded_sequence or pack_sequence")
    return p


def f_pad_packed_sequence(rt, sequence, batch_first=False, padding_value=0.0,
                          total_length=None):
    """_pad_packed_sequence: a tensor of padding_value (T, B, *), the packed
    rows copied in a block per run of steps with the same batch size (a
    CopySlices each), then the batch back in its order; and the lengths."""
    p = _need_packed(sequence, "pad_packed_sequence")
    sizes = p.steps()
    data = p.data
    steps = len(sizes)
    if total_length is not None:
        if F.is_tensor(total_length) and total_length.data.size == 1 and \
                total_length.data.dtype.kind in "iu":
            total_length = int(total_length.data.item())
        if not isinstance(total_length, (int, float)):
            # (PyTorch's Python code compares it with the longest length first)
            raise GradvizError(f"'<' not supported between instances of "
                               f"'{rt.type_name(total_length)}' and 'int'", kind=TYPE,
                               hint=f"total_length is a whole number: total_length={steps}")
        if total_length < steps:
            raise GradvizError("Expected total_length to be at least the length of the longest "
                               f"sequence in input, but got total_length={total_length} and "
                               f"max sequence length being {steps}", kind=VALUE,
                               hint=f"total_length={steps} or more")
        if isinstance(total_length, float):
            raise GradvizError("_pad_packed_sequence(): argument 'total_length' (position 5) "
                               "must be int, not float", kind=TYPE,
                               hint=f"total_length is a whole number: total_length={steps}")
        steps = total_length
    batch = sizes[0]
    out = _filled(rt, (steps, batch) + data.data.shape[1:], padding_value, data.data.dtype,
                  "_pad_packed_sequence", 4, "Number")
    lengths = np.zeros(batch, np.int64)
    offset, prev_n, prev_i = 0, batch, 0
    for i in range(len(sizes) + 1):
        n = sizes[i] if i < len(sizes) else 0
        if n != prev_n:
            rows = prev_n * (i - prev_i)
            block = narrow_rows(rt, data, offset, offset + rows)
            block = rt.apply(OPS["view"], (block,),
                             {"shape": (i - prev_i, prev_n) + data.data.shape[1:]})
            out = _write(rt, out, (slice(prev_i, i), slice(0, prev_n)), block)
            offset += rows
            prev_i = i
            lengths[n:prev_n] = i
        prev_n = n
    if batch_first:
        out = F.f_transpose(rt, out, 0, 1)
    lengths_t = _int64(rt, lengths, "lengths")
    if p.unsorted_indices is not None:
        out = f_index_select(rt, out, 0 if batch_first else 1, p.unsorted_indices)
        lengths_t = _int64(rt, lengths[p.unsorted_indices.data], "lengths")
    return out, lengths_t


FUNCTIONS = {"pad_sequence": f_pad_sequence, "pack_padded_sequence": f_pack_padded_sequence,
             "pack_sequence": f_pack_sequence, "pad_packed_sequence": f_pad_packed_sequence}
