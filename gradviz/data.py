"""torch.utils.data's TensorDataset and DataLoader, as d2l's load_array uses
them:

    dataset = data.TensorDataset(features, labels)
    for X, y in data.DataLoader(dataset, batch_size=10, shuffle=True): ...

A DataLoader draws from the global generator as PyTorch's does, so that a
seeded program's batches, and every random number after them, match:
each walk over it draws a 64-bit "base seed" when it starts (PyTorch's
_BaseDataLoaderIter, shuffled or not); a shuffled walk, at its first batch,
draws one more 64-bit number that seeds a generator of its own, whose
randperm(n) is the order of the samples. A batch is each tensor's rows,
stacked (default_collate: a list of tensors); rows of tensors that need no
gradient are one index node per tensor (the same values as the stack of
rows PyTorch records, in one box of the picture)."""
from __future__ import annotations

import math

import numpy as np

from .errors import TYPE, VALUE, GradvizError
from .ops import OPS
from .rng import CPUGenerator, F64
from .tensor import Tensor


class TensorDataset:
    """TensorDataset(*tensors): sample i is (t[i] for each tensor)."""

    __slots__ = ("tensors",)

    def __init__(self, tensors: tuple):
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].data.shape[0]


class DataLoader:
    """DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False)."""

    __slots__ = ("dataset", "batch_size", "shuffle", "drop_last")

    def __init__(self, dataset: TensorDataset, batch_size: int, shuffle: bool, drop_last: bool):
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = shuffle, drop_last

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def iterate(self, rt):
        """One walk over the batches (a for loop's, iter()'s): the base seed
        drawn now, the rest as the batches are asked for."""
        _random64(rt.rng)                    # _BaseDataLoaderIter's _base_seed
        return LoaderIter(_batches(rt, self))


class LoaderIter:
    """iter(loader): its batches, made as they are asked for."""

    __slots__ = ("batches",)

    def __init__(self, batches):
        self.batches = batches

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.batches)


LoaderIter.__name__ = "_SingleProcessDataLoaderIter"      # (as type() and print show it)


def _random64(gen: CPUGenerator) -> int:
    """torch.empty((), dtype=torch.int64).random_(): a 64-bit number from two
    words (the first the high half), modulo 2**63."""
    hi, lo = (int(w) for w in gen.words(1, F64))
    return ((hi << 32) | lo) % (1 << 63)


def _batches(rt, loader: DataLoader):
    n = len(loader.dataset)
    if loader.shuffle:
        order = CPUGenerator(_random64(rt.rng)).permutation(n).tolist()
    else:
        order = list(range(n))
    size = loader.batch_size
    for start in range(0, n, size):
        batch = order[start:start + size]
        if len(batch) < size and loader.drop_last:
            return
        yield [_stack_rows(rt, t, batch) for t in loader.dataset.tensors]


def _stack_rows(rt, t: Tensor, rows: list) -> Tensor:
    if t.requires_grad and rt.tape.grad_enabled:
        # PyTorch's collate: the rows (SelectBackward0), stacked (StackBackward0)
        from .functions import FUNCTIONS
        return FUNCTIONS["stack"](rt, [rt.index_tensor(t, [i]) for i in rows])
    # one node, the rows picked by number (not through a tensor of the row
    # numbers, which the tables would show as a tensor of the program's)
    return rt.apply(OPS["index"], (t,), {"index": (np.array(rows, np.int64),), "advanced": True,
                                         "grad_fn": "IndexBackward0"})


def f_tensor_dataset(rt, *tensors):
    if not tensors:
        raise GradvizError("TensorDataset needs at least one tensor", kind=VALUE,
                           hint="data.TensorDataset(features, labels)")
    for t in tensors:
        if t.__class__ is not Tensor:
            raise GradvizError(f"'{rt.type_name(t)}' object has no attribute 'size'", kind=TYPE,
                               hint="TensorDataset takes tensors: data.TensorDataset(X, y)")
        if t.data.ndim == 0:
            raise GradvizError("TensorDataset's tensors need a first dimension (one row per "
                               "sample)", kind=VALUE, hint="make a 0-d tensor a row: x.reshape(1)")
    if any(t.data.shape[0] != tensors[0].data.shape[0] for t in tensors):
        raise GradvizError("Size mismatch between tensors", kind="AssertionError",
                           hint="every tensor has one row per sample: "
                                + ", ".join(str(t.data.shape[0]) for t in tensors) + " rows here")
    return TensorDataset(tensors)


def f_data_loader(rt, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                  num_workers=0, collate_fn=None, pin_memory=False, drop_last=False):
    if dataset.__class__ is not TensorDataset:
        raise GradvizError("gradviz's DataLoader takes a data.TensorDataset", kind=TYPE,
                           hint="wrap the tensors: data.DataLoader(data.TensorDataset(X, y), 10)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise GradvizError(f"batch_size should be a positive integer value, but got "
                           f"batch_size={batch_size}", kind=VALUE)
    for name, v in (("sampler", sampler), ("batch_sampler", batch_sampler),
                    ("collate_fn", collate_fn)):
        if v is not None:
            raise GradvizError(f"DataLoader's {name}= is not supported", kind=VALUE,
                               hint="gradviz's DataLoader takes batch_size, shuffle and drop_last")
    return DataLoader(dataset, batch_size, bool(shuffle), bool(drop_last))


def attribute(rt, obj, attr: str):
    if obj.__class__ is TensorDataset and attr == "tensors":
        return obj.tensors
    if obj.__class__ is DataLoader and attr in ("dataset", "batch_size", "drop_last"):
        return getattr(obj, attr)
    raise GradvizError(f"'{type(obj).__name__}' object has no attribute '{attr}'",
                       kind="AttributeError")


def item(rt, ds: TensorDataset, i):
    """dataset[i]: (t[i] for each tensor), a tuple."""
    return tuple(rt.index_tensor(t, [i]) for t in ds.tensors)


CLASSES = (TensorDataset, DataLoader)
# (print shows where PyTorch defines each)
MODULE_OF = {TensorDataset: "dataset", DataLoader: "dataloader", LoaderIter: "dataloader"}
FUNCTIONS = {"TensorDataset": f_tensor_dataset, "DataLoader": f_data_loader}
