"""Index tensors a program computes: torch.where(cond) alone, nonzero
(rows or as_tuple), and a tuple value as an index (x[torch.where(c)]).
PyTorch's values, grad_fns and errors are pinned by
tests/conformance_extra/where_one_argument.txt and its neighbours; here
their shapes over many inputs, against numpy's nonzero."""
import numpy as np
import pytest

from programs import run

SHAPES = [(), (0,), (5,), (2, 0), (3, 4), (2, 3, 2)]


def values(rec, name):
    return rec.variables[name].value


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_where_and_nonzero_are_numpys_nonzero(shape):
    data = (np.arange(int(np.prod(shape))) % 3 == 1).astype(np.float32).reshape(shape)
    src = (f"x = torch.tensor({data.tolist()})\nparts = torch.where(x)\nprint(len(parts))\n"
           "rows = x.nonzero()\nfirst = parts[0]\n")
    rec, out = run(src)
    found = np.nonzero(data.reshape(-1) if data.ndim == 0 else data)
    assert out == f"{len(found)}\n"
    assert values(rec, "first").tolist() == found[0].tolist()
    want = np.zeros((int(data != 0), 0)) if data.ndim == 0 else np.stack(np.nonzero(data), 1)
    got = values(rec, "rows")
    assert got.dtype == np.int64 and got.shape == want.shape
    assert got.tolist() == want.tolist()


def test_a_tuple_indexes_as_its_items():
    _, out = run("x = torch.arange(12.).reshape(3, 4)\nt = (torch.tensor([0, 2]), 1)\n"
                 "print(x[t], x[(2, 3)], x[torch.where(x > 9)])\n")
    assert out == "tensor([1., 9.]) tensor(11.) tensor([10., 11.])\n"


def test_the_indices_carry_no_gradient():
    rec, out = run("x = torch.tensor([0., 2., -1.], requires_grad=True)\n"
                   "i, = torch.where(x)\nj = x.nonzero()\n"
                   "print(i.requires_grad, j.requires_grad, i.is_leaf)\n")
    assert out == "False False True\n"
