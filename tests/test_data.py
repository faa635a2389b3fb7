"""torch.utils.data beyond TensorDataset: a program's Dataset subclasses,
lists, Subset, ConcatDataset, random_split, the samplers and default_collate.
The outputs against PyTorch are pinned by tests/conformance_extra/dataset_*.txt;
here the hints of the errors, what draws from which generator, and what the
record makes of a loader's batches."""
import pytest
from programs import run

from gradviz.errors import GradvizError

HEAD = ("import torch\nfrom torch.utils.data import Dataset, IterableDataset, DataLoader, "
        "Subset, random_split, RandomSampler, SequentialSampler, BatchSampler\n")

SQUARES = HEAD + """class Squares(Dataset):
    def __init__(self, n):
        self.x = torch.arange(float(n))
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return self.x[i] ** 2, i
"""




def test_a_dataset_subclass_batches_in_order_with_a_short_last_one():
    _, out = run(SQUARES + "for x, i in DataLoader(Squares(5), batch_size=2):\n"
                           "    print(x.tolist(), i.tolist(), i.dtype)\n")
    assert out.splitlines() == ["[0.0, 1.0] [0, 1] torch.int64", "[4.0, 9.0] [2, 3] torch.int64",
                                "[16.0] [4] torch.int64"]


def test_len_of_loaders_and_samplers():
    _, out = run(SQUARES + "ds = Squares(7)\n"
                           "print(len(DataLoader(ds, batch_size=3)), "
                           "len(DataLoader(ds, batch_size=3, drop_last=True)), "
                           "len(DataLoader(ds, batch_size=None)), "
                           "len(BatchSampler(SequentialSampler(ds), 2, False)), "
                           "len(RandomSampler(ds, replacement=True, num_samples=4)))\n")
    assert out.split() == ["3", "2", "7", "4", "4"]


@pytest.mark.parametrize("src, message, hint", [
    (HEAD + "class D(Dataset):\n    def __len__(self):\n        return 2\nD()[0]\n",
     "Subclasses of Dataset should implement __getitem__.", "define __getitem__(self, i) in D"),
    (HEAD + "next(iter(DataLoader([torch.ones(2), torch.ones(3)], batch_size=2)))\n",
     "stack expects each tensor to be equal size", "same shape"),
    (HEAD + "random_split(range(5), [3, 3])\n",
     "Sum of input lengths does not equal the length of the input dataset!", "holds 5 samples"),
    (HEAD + "DataLoader(range(4), batch_size=2, batch_sampler=[[0, 1]])\n",
     "batch_sampler option is mutually exclusive", "the batch sampler makes the batches"),
    (HEAD + "class S(IterableDataset):\n    def __iter__(self):\n        yield 1\n"
            "DataLoader(S(), shuffle=True)\n",
     "expected unspecified shuffle option, but got shuffle=True", "its own order"),
    (HEAD + "Subset([1, 2], [5])[0]\n", "list index out of range", "indices 0 to 1"),
])
def test_errors_say_pytorchs_words_and_carry_a_hint(src, message, hint):
    with pytest.raises(GradvizError) as info:
        run(src)
    exc = info.value
    assert message in exc.message
    assert exc.hint is not None and hint in exc.hint


def test_a_loader_with_a_generator_leaves_the_global_one_alone():
    # the base seed and the order come from generator=: the global draws after match
    # an unshuffled program's
    tail = "print(torch.rand(1).item())\n"
    _, plain = run(HEAD + "torch.manual_seed(0)\n" + tail)
    _, out = run(HEAD + "torch.manual_seed(0)\ng = torch.Generator().manual_seed(1)\n"
                        "for b in DataLoader(list(range(6)), batch_size=2, shuffle=True, "
                        "generator=g):\n    pass\n" + tail)
    assert out == plain


def test_an_unshuffled_walk_still_draws_its_base_seed():
    tail = "print(torch.rand(1).item())\n"
    _, plain = run(HEAD + "torch.manual_seed(0)\n" + tail)
    _, out = run(HEAD + "torch.manual_seed(0)\nfor b in DataLoader([1, 2, 3]):\n    pass\n" + tail)
    assert out != plain


def test_rows_that_need_grad_reach_the_leaf_through_getitem_and_the_stack():
    record, out = run(HEAD + """w = torch.ones(3, requires_grad=True)
class Scaled(Dataset):
    def __len__(self):
        return 3
    def __getitem__(self, i):
        return w[i] * (i + 1)
for b in DataLoader(Scaled(), batch_size=3):
    b.sum().backward()
print(w.grad.tolist(), b.grad_fn.name())
""")
    assert out.split("] ")[0] + "]" == "[1.0, 2.0, 3.0]"
    assert out.strip().endswith("StackBackward0")


def test_generator_prints_and_types_as_torchs():
    _, out = run(HEAD + "g = torch.Generator()\nprint(g.initial_seed(), type(g), "
                        "type(iter(Subset([1], [0]))), type(iter(SequentialSampler([1]))))\n"
                        "print(str(g)[:32])\n")
    assert out.splitlines() == [
        "67280421310721 <class 'torch._C.Generator'> <class 'iterator'> <class 'generator'>",
        "<torch._C.Generator object at 0x"]
