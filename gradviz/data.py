"""torch.utils.data: TensorDataset, a program's Dataset subclass (its
__getitem__ and __len__), plain lists, Subset, ConcatDataset, random_split,
the samplers and DataLoader, as tutorials use them:

    dataset = data.TensorDataset(features, labels)
    for X, y in data.DataLoader(dataset, batch_size=10, shuffle=True): ...

A DataLoader is built as PyTorch's: a sampler (RandomSampler when
shuffled, else SequentialSampler), a BatchSampler over it when it has a
batch_size, and a batch is default_collate of the samples dataset[i]
(tensors stacked; Python ints an int64 tensor, floats a float64 one;
tuples, lists and dicts collated part by part), or the program's
collate_fn's. It draws from the global generator (or its generator=) as
PyTorch's does, so that a seeded program's batches, and every random
number after them, match: each walk over it draws a 64-bit "base seed"
when it starts (PyTorch's _BaseDataLoaderIter, shuffled or not); a
RandomSampler without a generator, at its first index, draws one more
64-bit number that seeds a generator of its own, whose randperm(n) is the
order of the samples. Every walk is a Python generator, so that each
number is drawn when PyTorch's would be (before the first sample's
__getitem__ runs, which may draw numbers of its own). A TensorDataset's
batch is each tensor's rows, stacked; rows of tensors that need no
gradient are one index node per tensor (the same values as the stack of
rows PyTorch records, in one box of the picture)."""
from __future__ import annotations

import bisect
import math

import numpy as np

from .errors import ATTRIBUTE, INDEX, LIMIT, RUNTIME, TYPE, VALUE, GradvizError
from .ops import OPS
from .render.torchfmt import Device, NumpyArray
from .rng import F64, CPUGenerator, TorchGenerator
from .tensor import Tensor


class TensorDataset:
    """TensorDataset(*tensors): sample i is (t[i] for each tensor)."""

    __slots__ = ("tensors",)

    def __init__(self, tensors: tuple):
        self.tensors = tensors

    def __len__(self) -> int:
        return self.tensors[0].data.shape[0]


class Subset:
    """Subset(dataset, indices): sample i is dataset[indices[i]]."""

    __slots__ = ("dataset", "indices")

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices


class ConcatDataset:
    """ConcatDataset(datasets): their samples one after the other;
    cumulative_sizes[k] is how many the first k + 1 hold."""

    __slots__ = ("datasets", "cumulative_sizes")

    def __init__(self, datasets: list, cumulative_sizes: list):
        self.datasets, self.cumulative_sizes = datasets, cumulative_sizes


class SequentialSampler:
    __slots__ = ("data_source",)

    def __init__(self, data_source):
        self.data_source = data_source


class RandomSampler:
    __slots__ = ("data_source", "replacement", "_num_samples", "generator")

    def __init__(self, data_source, replacement: bool, num_samples, generator):
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator


class SubsetRandomSampler:
    __slots__ = ("indices", "generator")

    def __init__(self, indices, generator):
        self.indices, self.generator = indices, generator


class BatchSampler:
    __slots__ = ("sampler", "batch_size", "drop_last")

    def __init__(self, sampler, batch_size: int, drop_last: bool):
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last


SAMPLERS = (SequentialSampler, RandomSampler, SubsetRandomSampler, BatchSampler)


class DataLoader:
    """DataLoader(dataset, ...) as PyTorch builds it: its sampler (a
    RandomSampler when shuffled, else a SequentialSampler) and, with a
    batch_size, a BatchSampler over it; collate_fn None is PyTorch's
    default_collate (default_convert without a batch_size)."""

    __slots__ = ("dataset", "batch_size", "drop_last", "sampler", "batch_sampler", "collate_fn",
                 "generator")

    def __init__(self, dataset, batch_size, drop_last: bool, sampler, batch_sampler,
                 collate_fn, generator):
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn, self.generator = collate_fn, generator

    def iterate(self, rt):
        """One walk over the batches (a for loop's, iter()'s): the base seed
        drawn now, the rest as the batches are asked for."""
        # _BaseDataLoaderIter's _base_seed, from the loader's generator if it has one
        _random64(rt.rng if self.generator is None else self.generator.cpu(rt))
        if is_iterable_dataset(self.dataset):
            # (its fetcher calls iter(dataset) when the walk starts)
            return LoaderIter(_iterable_batches(rt, self, rt._items(self.dataset, rt.span)))
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


class SampleWalk(LoaderIter):
    """iter(subset): its samples, as they are asked for (Python's walk by
    __getitem__)."""

    __slots__ = ()


class IndexWalk(LoaderIter):
    """iter(sampler): its indices, as they are asked for (its generator)."""

    __slots__ = ()


SampleWalk.__name__, IndexWalk.__name__ = "iterator", "generator"


def is_iterable_dataset(v) -> bool:
    return v.__class__.__name__ == "Instance" and v.cls.kind == "iterable"


def is_dataset(v) -> bool:
    """Whether v is a torch.utils.data.Dataset (Dataset.__add__ takes two)."""
    return v.__class__ in INDEXED or (v.__class__.__name__ == "Instance"
                                       and v.cls.kind in ("dataset", "iterable"))


def getitem_walk(rt, ds) -> SampleWalk:
    """for sample in ds, ds's class without __iter__: Python asks for
    ds[0], ds[1], ... until __getitem__ raises IndexError."""
    from .classes import call_method

    def samples():
        i = 0
        while True:
            try:
                sample = call_method(rt, ds, "__getitem__", [i])
            except GradvizError as exc:
                if exc.kind == INDEX:
                    return
                raise
            yield sample
            i += 1
    return SampleWalk(samples())


def _random64(gen: CPUGenerator) -> int:
    """torch.empty((), dtype=torch.int64).random_(): a 64-bit number from two
    words (the first the high half), modulo 2**63."""
    hi, lo = (int(w) for w in gen.words(1, F64))
    return ((hi << 32) | lo) % (1 << 63)


# ---- walks: samplers give indices, a loader gives batches ------------------------------

def _permutation(gen: CPUGenerator, n: int, what: str) -> np.ndarray:
    """gen's randperm(n) for a shuffle of a dataset, whose length (its
    __len__) may be far more than gradviz can shuffle: torch.randperm's
    limit, before the work (a shuffle of 10**8 would run for minutes)."""
    from .functions import RANDPERM_MAX
    if n > RANDPERM_MAX:
        raise GradvizError(f"{what} shuffles {n:,} indices: gradviz shuffles one swap at a "
                           f"time, up to {RANDPERM_MAX:,}", kind=LIMIT,
                           hint="a dataset of fewer items (check what its __len__ returns)")
    return gen.permutation(n)


def walk(rt, sampler):
    """The indices a sampler gives (lists of them from a BatchSampler), drawn
    as they are asked for, as PyTorch's samplers' generators do."""
    cls = sampler.__class__
    if cls is SequentialSampler:
        yield from range(size(rt, sampler.data_source))
    elif cls is RandomSampler:
        n = size(rt, sampler.data_source)
        gen = sampler.generator.cpu(rt) if sampler.generator is not None else \
            CPUGenerator(_random64(rt.rng))
        count = num_samples(rt, sampler)
        if sampler.replacement:
            for _ in range(count // 32):
                yield from gen.integers((32,), 0, n).tolist()
            yield from gen.integers((count % 32,), 0, n).tolist()
        else:
            for _ in range(count // n):
                yield from _permutation(gen, n, "a RandomSampler").tolist()
            yield from _permutation(gen, n, "a RandomSampler").tolist()[:count % n]
    elif cls is SubsetRandomSampler:
        # (no generator: the global one draws the order itself, not a seed)
        gen = rt.rng if sampler.generator is None else sampler.generator.cpu(rt)
        for i in gen.permutation(len(sampler.indices)).tolist():
            yield sampler.indices[i]
    elif cls is BatchSampler:
        batch = []
        for i in walk(rt, sampler.sampler):
            batch.append(i)
            if len(batch) == sampler.batch_size:
                yield batch
                batch = []
        if batch and not sampler.drop_last:
            yield batch
    else:                                     # any iterable: a list of indices
        yield from rt._items(sampler, rt.span)


def _batches(rt, loader: DataLoader):
    ds = loader.dataset
    if loader.batch_sampler is None:          # batch_size=None: one sample at a time
        for i in walk(rt, loader.sampler):
            sample = get(rt, ds, i)
            yield default_convert(rt, sample) if loader.collate_fn is None else \
                rt.call_value(loader.collate_fn, [sample])
        return
    for batch in walk(rt, loader.batch_sampler):
        if batch.__class__ is not list:       # (a batch sampler's batch may be any iterable)
            batch = list(rt._items(batch, rt.span))
        if ds.__class__ is TensorDataset and loader.collate_fn is None:
            yield [_stack_rows(rt, t, batch) for t in ds.tensors]
            continue
        samples = [get(rt, ds, i) for i in batch]
        yield default_collate(rt, samples) if loader.collate_fn is None else \
            rt.call_value(loader.collate_fn, [samples])


def _iterable_batches(rt, loader: DataLoader, items):
    if loader.batch_size is None:
        for sample in items:
            yield default_convert(rt, sample) if loader.collate_fn is None else \
                rt.call_value(loader.collate_fn, [sample])
        return
    batch = []
    for sample in items:
        batch.append(sample)
        if len(batch) == loader.batch_size:
            yield _collate(rt, loader, batch)
            batch = []
    if batch and not loader.drop_last:
        yield _collate(rt, loader, batch)


def _collate(rt, loader: DataLoader, samples: list):
    if loader.collate_fn is None:
        return default_collate(rt, samples)
    return rt.call_value(loader.collate_fn, [samples])


# ---- samples: dataset[i], and batches of them -------------------------------------------

def get(rt, ds, i):
    """dataset[i] as a DataLoader's fetcher asks for it."""
    cls = ds.__class__
    if cls is TensorDataset:
        return item(rt, ds, i)
    if cls is Subset:
        return get(rt, ds.dataset, _list_item(rt, ds.indices, i))
    if cls is ConcatDataset:
        return _concat_item(rt, ds, i)
    if cls.__name__ == "Instance":
        from .classes import call_method, method_of
        if method_of(ds, "__getitem__") is not None:
            return call_method(rt, ds, "__getitem__", [i])
        if ds.cls.kind in ("dataset", "iterable"):
            raise GradvizError("Subclasses of Dataset should implement __getitem__.",
                               kind="NotImplementedError",
                               hint=f"define __getitem__(self, i) in {ds.cls.name}: "
                                    "it returns sample i (and __len__(self), their number)")
    if cls in (list, tuple, range):
        return _list_item(rt, ds, i)
    if isinstance(ds, dict):
        from .pymethods import dict_item
        return dict_item(rt, ds, i)
    raise GradvizError(f"'{rt.type_name(ds)}' object is not subscriptable", kind=TYPE,
                       hint="a dataset has __getitem__ and __len__: a Dataset subclass, a "
                            "TensorDataset or a list")


def _list_item(rt, seq, i):
    """seq[i] of a list, tuple or range of samples, as Python indexes it (a
    tensor of indices as the tensor's: a 0-d tensor)."""
    if seq.__class__ is Tensor:
        return rt.index_tensor(seq, [i])
    if not isinstance(seq, (list, tuple, range, str)):      # (Subset(ds, 0): its indices)
        raise GradvizError(f"'{rt.type_name(seq)}' object is not subscriptable", kind=TYPE,
                           hint="a Subset's indices are a list of sample numbers: "
                                "Subset(ds, [0, 2])")
    if isinstance(i, bool) or not isinstance(i, int):
        if i.__class__ is Tensor and i.data.ndim == 0 and i.data.dtype.kind in "iu":
            i = int(i.data)
        else:
            raise GradvizError(f"{type(seq).__name__} indices must be integers or slices, not "
                               f"{rt.type_name(i)}", kind=TYPE)
    if not -len(seq) <= i < len(seq):
        raise GradvizError(f"{type(seq).__name__} index out of range", kind=INDEX,
                           hint=f"it holds {len(seq)} samples: indices 0 to {len(seq) - 1}")
    return seq[i]


def _concat_item(rt, ds: ConcatDataset, i):
    total = ds.cumulative_sizes[-1]
    if i < 0:
        if -i > total:
            raise GradvizError("absolute value of index should not exceed dataset length",
                               kind=VALUE, hint=f"it holds {total} samples")
        i += total
    k = bisect.bisect_right(ds.cumulative_sizes, i)
    if k == len(ds.datasets):
        raise GradvizError("list index out of range", kind=INDEX,
                           hint=f"the datasets hold {total} samples: indices 0 to {total - 1}")
    return get(rt, ds.datasets[k], i - (ds.cumulative_sizes[k - 1] if k else 0))


def size(rt, v) -> int:
    """len(v) of a dataset, a sampler or a loader (a program's dataset's
    __len__ asked)."""
    cls = v.__class__
    if cls is TensorDataset:
        return len(v)
    if cls is Subset:
        from .functions import f_len
        return f_len(rt, v.indices)
    if cls is ConcatDataset:
        return v.cumulative_sizes[-1]
    if cls is SequentialSampler:
        return size(rt, v.data_source)
    if cls is RandomSampler:
        return num_samples(rt, v)
    if cls is SubsetRandomSampler:
        return len(v.indices)
    if cls is BatchSampler:
        n = size(rt, v.sampler)
        return n // v.batch_size if v.drop_last else -(-n // v.batch_size)
    if cls is DataLoader:
        if is_iterable_dataset(v.dataset) or v.batch_sampler is None:
            n = size(rt, v.dataset if is_iterable_dataset(v.dataset) else v.sampler)
            if v.batch_size is None or not is_iterable_dataset(v.dataset):
                return n
            return n // v.batch_size if v.drop_last else math.ceil(n / v.batch_size)
        return size(rt, v.batch_sampler)
    from .functions import f_len
    return f_len(rt, v)


def num_samples(rt, s: RandomSampler) -> int:
    return size(rt, s.data_source) if s._num_samples is None else s._num_samples


def default_collate(rt, batch):
    """PyTorch's default_collate of a list of samples: tensors stacked, Python
    ints and floats made a tensor (int64, float64), strings kept, and tuples,
    lists and dicts collated position by position, key by key."""
    from .functions import DTYPE_OBJECTS, FUNCTIONS, f_as_tensor
    elem = batch[0]
    cls = elem.__class__
    if cls is Tensor:
        try:
            return FUNCTIONS["stack"](rt, list(batch))
        except GradvizError as exc:
            if "equal size" in exc.message:
                exc.hint = ("default_collate stacks the batch's tensors: every sample's must "
                            "have the same shape (pad them, or give collate_fn=)")
            raise
    if cls is NumpyArray:                     # (x.numpy()'s: as tensors, stacked)
        return default_collate(rt, [f_as_tensor(rt, b) for b in batch])
    if cls is float:
        return FUNCTIONS["tensor"](rt, list(batch), dtype=DTYPE_OBJECTS["float64"])
    if cls in (int, bool):
        return FUNCTIONS["tensor"](rt, list(batch))
    if cls is str:
        return batch
    if isinstance(elem, dict):
        out = elem.copy()
        for key in elem:
            out[key] = default_collate(rt, [d[key] for d in batch])
        return out
    if cls in (list, tuple):
        if any(not isinstance(s, (list, tuple)) or len(s) != len(elem) for s in batch):
            raise GradvizError("each element in list of batch should be of equal size",
                               kind=RUNTIME, hint="every sample has as many parts as the "
                                                  "first (or give collate_fn=)")
        return [default_collate(rt, list(column)) if column[0].__class__ is not str
                else column for column in zip(*batch)]
    raise GradvizError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                       f"dicts or lists; found <class '{rt.type_name(elem)}'>", kind=TYPE,
                       hint="give the DataLoader a collate_fn= that makes the batch")


def default_convert(rt, sample):
    """PyTorch's default_convert (batch_size=None): a tuple becomes a list, a
    numpy array a tensor, what else it holds stays as it is."""
    if sample.__class__ in (tuple, list):
        return [default_convert(rt, v) for v in sample]
    if isinstance(sample, dict):
        out = sample.copy()
        for key in sample:
            out[key] = default_convert(rt, sample[key])
        return out
    if sample.__class__ is NumpyArray:
        from .functions import f_as_tensor
        return f_as_tensor(rt, sample)
    return sample


def _stack_rows(rt, t: Tensor, rows: list) -> Tensor:
    n = t.data.shape[0] if t.data.ndim else 0
    plain = all(r.__class__ is int and -n <= r < n for r in rows)
    if (t.requires_grad and rt.tape.grad_enabled) or not plain:
        # (rows that are not in-range ints: each row's indexing, with its error)
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
            raise GradvizError(f"'{rt.type_name(t)}' object has no attribute 'size'",
                               kind=ATTRIBUTE,
                               hint="TensorDataset takes tensors: data.TensorDataset(X, y)")
        if t.data.ndim == 0:
            raise GradvizError("TensorDataset's tensors need a first dimension (one row per "
                               "sample)", kind=VALUE, hint="make a 0-d tensor a row: x.reshape(1)")
    if any(t.data.shape[0] != tensors[0].data.shape[0] for t in tensors):
        raise GradvizError("Size mismatch between tensors", kind="AssertionError",
                           hint="every tensor has one row per sample: "
                                + ", ".join(str(t.data.shape[0]) for t in tensors) + " rows here")
    return TensorDataset(tensors)


def _check_batch_size(batch_size) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise GradvizError(f"batch_size should be a positive integer value, but got "
                           f"batch_size={batch_size}", kind=VALUE,
                           hint="the number of samples in a batch: batch_size=16")


def _check_generator(generator) -> None:
    if generator is not None and generator.__class__ is not TorchGenerator:
        raise GradvizError("generator= takes a torch.Generator", kind=TYPE,
                           hint="generator=torch.Generator().manual_seed(0)")


def f_data_loader(rt, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                  num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                  timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                  *, prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                  in_order=True):
    # (the worker and memory options change nothing here: one process, the CPU;
    # the batches are the same as with workers)
    if batch_size is not None:
        _check_batch_size(batch_size)
    _check_generator(generator)
    if is_iterable_dataset(dataset):
        for name, v in (("shuffle", shuffle), ("sampler", sampler),
                        ("batch_sampler", batch_sampler)):
            if v is not None and v is not False:
                shown = v if name == "shuffle" else rt.repr_of(v)
                raise GradvizError(f"DataLoader with IterableDataset: expected unspecified "
                                   f"{name} option, but got {name}={shown}", kind=VALUE,
                                   hint="an IterableDataset gives its samples in its own "
                                        "order: shuffle them in its __iter__")
        return DataLoader(dataset, batch_size, bool(drop_last), None, None, collate_fn,
                          generator)
    # (Python's truth, as PyTorch's `if shuffle`: a tensor's, with its errors)
    shuffle, drop_last = rt.truth(shuffle), rt.truth(drop_last)
    if sampler is not None and shuffle:
        raise GradvizError("sampler option is mutually exclusive with shuffle", kind=VALUE,
                           hint="the sampler gives the order: drop shuffle=True (or use "
                                "a RandomSampler)")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise GradvizError("batch_sampler option is mutually exclusive with batch_size, "
                               "shuffle, sampler, and drop_last", kind=VALUE,
                               hint="the batch sampler makes the batches: give it the "
                                    "batch_size and drop_last")
        batch_size, drop_last = None, False
    elif batch_size is None and drop_last:
        raise GradvizError("batch_size=None option disables auto-batching and is mutually "
                           "exclusive with drop_last", kind=VALUE,
                           hint="drop_last drops a short last batch: give a batch_size")
    if sampler is None:
        sampler = f_random_sampler(rt, dataset, generator=generator) if shuffle else \
            SequentialSampler(dataset)
    if batch_size is not None and batch_sampler is None:
        batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
    return DataLoader(dataset, batch_size, bool(drop_last), sampler, batch_sampler, collate_fn,
                      generator)


def f_subset(rt, dataset, indices):
    return Subset(dataset, indices)


def f_concat_dataset(rt, datasets):
    datasets = list(rt._items(datasets, rt.span))
    if not datasets:
        raise GradvizError("datasets should not be an empty iterable", kind="AssertionError",
                           hint="ConcatDataset([ds1, ds2])")
    sizes, total = [], 0
    for ds in datasets:
        if is_iterable_dataset(ds):
            raise GradvizError("ConcatDataset does not support IterableDataset",
                               kind="AssertionError", hint="it indexes its datasets: give it "
                                                           "map-style ones (__getitem__)")
        total += size(rt, ds)
        sizes.append(total)
    return ConcatDataset(datasets, sizes)


def _length(rt, v):
    """One of random_split's lengths: a number (a one-element tensor is its
    number); else the error of PyTorch's sum(lengths)."""
    hint = "lengths are counts, random_split(ds, [80, 20]), or fractions, [0.8, 0.2]"
    if v.__class__ is Tensor:
        if v.data.size != 1:
            raise GradvizError("only one element tensors can be converted to Python scalars",
                               kind=VALUE, hint=hint)
        return v.data.reshape(()).item()
    if not isinstance(v, (int, float)):
        raise GradvizError(f"unsupported operand type(s) for +: 'int' and '{rt.type_name(v)}'",
                           kind=TYPE, hint=hint)
    return v


def f_random_split(rt, dataset, lengths, generator=None):
    """random_split: PyTorch's randperm of the samples (from the global
    generator, or generator=), cut into the lengths (fractions summing to 1
    made counts: floor of each, the rest added one by one from the first)."""
    lengths = [_length(rt, v) for v in rt._items(lengths, rt.span)]
    n = size(rt, dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise GradvizError(f"Fraction at index {i} is not between 0 and 1", kind=VALUE)
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if sum(lengths) != n:
        raise GradvizError("Sum of input lengths does not equal the length of the input "
                           "dataset!", kind=VALUE,
                           hint=f"the dataset holds {n} samples; the lengths add up to "
                                f"{sum(lengths)} (fractions must add up to 1)")
    if not isinstance(sum(lengths), int) or not (generator is None or
                                                  generator.__class__ is TorchGenerator):
        # (PyTorch draws randperm(sum(lengths), generator=generator): lengths that are not
        # ints, or a generator that is none, fail there)
        gen_type = "torch._C.Generator" if generator is None else rt.type_name(generator)
        raise GradvizError(
            f"randperm() received an invalid combination of arguments - got "
            f"({type(sum(lengths)).__name__}, generator={gen_type}), but expected one of:\n"
            " * (int n, *, torch.Generator generator, Tensor out = None, torch.dtype dtype = None, "
            "torch.layout layout = None, torch.device device = None, bool pin_memory = False, "
            "bool requires_grad = False)\n"
            " * (int n, *, Tensor out = None, torch.dtype dtype = None, torch.layout layout = None, "
            "torch.device device = None, bool pin_memory = False, bool requires_grad = False)\n",
            kind=TYPE, hint="lengths are counts (ints) or fractions that add up to 1, and "
                            "generator= is a torch.Generator")
    gen = rt.rng if generator is None else generator.cpu(rt)
    order = _permutation(gen, n, "random_split").tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, order[offset:offset + length]))
        offset += length
    return out


def f_sequential_sampler(rt, data_source):
    return SequentialSampler(data_source)


def f_random_sampler(rt, data_source, replacement=False, num_samples=None, generator=None):
    _check_generator(generator)
    if not isinstance(replacement, bool):
        raise GradvizError(f"replacement should be a boolean value, but got "
                           f"replacement={replacement}", kind=TYPE)
    s = RandomSampler(data_source, replacement, num_samples, generator)
    # (PyTorch checks the count it will draw: the dataset's length by default)
    n = num_samples if num_samples is not None else size(rt, data_source)
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise GradvizError(f"num_samples should be a positive integer value, but got "
                           f"num_samples={n}", kind=VALUE,
                           hint="a RandomSampler draws from a dataset with at least one "
                                "sample; num_samples= counts the draws")
    return s


def f_subset_random_sampler(rt, indices, generator=None):
    _check_generator(generator)
    return SubsetRandomSampler(list(rt._items(indices, rt.span)), generator)


def f_batch_sampler(rt, sampler, batch_size, drop_last):
    _check_batch_size(batch_size)
    if not isinstance(drop_last, bool):
        raise GradvizError(f"drop_last should be a boolean value, but got drop_last={drop_last}",
                           kind=VALUE)
    return BatchSampler(sampler, batch_size, drop_last)


def f_generator(rt, device="cpu"):
    return TorchGenerator()


ATTRIBUTES = {TensorDataset: ("tensors",), Subset: ("dataset", "indices"),
              ConcatDataset: ("datasets", "cumulative_sizes"),
              DataLoader: ("dataset", "batch_size", "drop_last", "sampler", "batch_sampler",
                           "collate_fn", "generator"),
              SequentialSampler: ("data_source",),
              RandomSampler: ("data_source", "replacement", "generator"),
              SubsetRandomSampler: ("indices", "generator"),
              BatchSampler: ("sampler", "batch_size", "drop_last")}


def attribute(rt, obj, attr: str):
    if attr in ATTRIBUTES.get(obj.__class__, ()):
        return getattr(obj, attr)
    if obj.__class__ is RandomSampler and attr == "num_samples":
        return num_samples(rt, obj)
    if obj.__class__ is TorchGenerator:
        from .interpreter import BoundMethod
        from .rng_fns import GENERATOR_METHODS
        if attr in GENERATOR_METHODS:
            return BoundMethod(attr, GENERATOR_METHODS[attr], obj)
        if attr == "device":                # (a CPU generator's)
            return Device("cpu")
    raise GradvizError(f"'{type(obj).__name__}' object has no attribute '{attr}'",
                       kind="AttributeError")


def item(rt, ds, i):
    """dataset[i]: (t[i] for each tensor) of a TensorDataset, a tuple; the
    i-th sample of a Subset or a ConcatDataset."""
    if ds.__class__ is not TensorDataset:
        return get(rt, ds, i)
    return tuple(rt.index_tensor(t, [i]) for t in ds.tensors)


def walk_items(rt, ds):
    """for sample in dataset (a Subset, a ConcatDataset): its samples, as
    Python's iteration by __getitem__ asks for them; for i in sampler: its
    indices."""
    if ds.__class__ in SAMPLERS:
        return IndexWalk(walk(rt, ds))
    return SampleWalk(get(rt, ds, i) for i in range(size(rt, ds)))


def text(rt, v) -> str:
    if v.__class__ is TorchGenerator:
        return f"<torch._C.Generator object at {rt.address(v)}>"
    return f"<torch.utils.data.{MODULE_OF[v.__class__]}.{type(v).__name__} object at " \
           f"{rt.address(v)}>"


CLASSES = (TensorDataset, DataLoader, Subset, ConcatDataset, *SAMPLERS, TorchGenerator)
INDEXED = (TensorDataset, Subset, ConcatDataset)     # dataset[i]
# (print shows where PyTorch defines each)
MODULE_OF = {TensorDataset: "dataset", DataLoader: "dataloader", LoaderIter: "dataloader",
             Subset: "dataset", ConcatDataset: "dataset",
             **{s: "sampler" for s in SAMPLERS}}
PRINTED = (*MODULE_OF, TorchGenerator)
FUNCTIONS = {"random_split": f_random_split, "default_collate":
             lambda rt, batch: default_collate(rt, list(rt._items(batch, rt.span)))}
# torch.utils.data's classes, by the names type() shows: called to make one
MAKERS = {"torch.utils.data.dataset.TensorDataset": f_tensor_dataset,
          "torch.utils.data.dataloader.DataLoader": f_data_loader,
          "torch.utils.data.dataset.Subset": f_subset,
          "torch.utils.data.dataset.ConcatDataset": f_concat_dataset,
          "torch.utils.data.sampler.SequentialSampler": f_sequential_sampler,
          "torch.utils.data.sampler.RandomSampler": f_random_sampler,
          "torch.utils.data.sampler.SubsetRandomSampler": f_subset_random_sampler,
          "torch.utils.data.sampler.BatchSampler": f_batch_sampler,
          "torch._C.Generator": f_generator}
