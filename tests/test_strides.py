"""Tensor.stride(), stride(dim), storage_offset() and is_contiguous() as
PyTorch reports them, for fresh tensors and for each kind of view gradviz
makes (numpy's layout where it is PyTorch's, worked out from the op where
it is not: see gradviz/strides.py)."""
import pytest

from gradviz.errors import GradvizError
from programs import run

torch = pytest.importorskip("torch")

SETUP = ("import numpy as np\na = np.arange(6.0).reshape(2, 3)\n"
         "x = torch.arange(24.0).reshape(2, 3, 4)\nm = torch.arange(12.0).reshape(3, 4)\n"
         "v = torch.arange(5.0)\ns = torch.tensor(2.0)\n")

VIEWS = [
    "x", "m", "v", "s", "m.t()", "m.T", "m.mT", "m.T.T", "x.mT", "x.transpose(0, 2)",
    "x.transpose(1, 2)", "x.permute(2, 0, 1)", "x.permute(1, 0, 2)",
    "v.expand(3, 5)", "v.unsqueeze(0).expand(2, 5)", "torch.tensor([[1.0], [2.0]]).expand(2, 3)",
    "torch.ones(3, 1).expand(3, 4)", "torch.ones(3, 1).expand(3, 4).t()", "m.expand(2, 3, 4)",
    "m.unsqueeze(0).expand(2, 3, 4)", "s.expand(3)", "v.expand(1, 5)",
    "x.narrow(1, 1, 2)", "x.narrow(2, 1, 2)", "x[:, 1]", "x[1]", "x[1, 2]", "x[..., 1]",
    "x[:, ::2]", "x[:, :, 1::2]", "v[::2]", "v[1::3]", "m[1:, ::3]", "x[1:, 1:, 1:]", "m[1:3]",
    "m[1:3].t()", "m.t()[1:3]", "torch.ones(4, 3)[:, 0]",
    "m.diagonal()", "m.diagonal(1)", "m.diagonal(-1)", "m.diagonal(5)", "x.diagonal(0, 1, 2)",
    "x.diagonal(1, 0, 2)", "m.t().diagonal()", "torch.diag(m)",
    "v.unsqueeze(0)", "v.unsqueeze(1)", "v.unsqueeze(-1)", "x.unsqueeze(1)", "x.unsqueeze(3)",
    "m.t().unsqueeze(0)", "m.t().unsqueeze(1)", "m.t().unsqueeze(2)", "x[:, 1].unsqueeze(1)",
    "v[None]", "v[None, :, None]", "x[:, None]",
    "m.t().contiguous()", "v.expand(3, 5).contiguous()", "m.diagonal().contiguous()",
    "m.t() * 2", "m.t() + m.t()", "m.t().exp()", "x.transpose(0, 2).reshape(4, 6)",
    "x.reshape(6, 4)", "x.view(6, 4)", "x.flatten()", "m.t().flatten()", "x.squeeze()",
    "torch.zeros(2, 1, 3).squeeze(1)", "torch.zeros(2, 1, 3)", "torch.zeros(2, 1, 3).transpose(0, 1)",
    "torch.zeros(0, 3)", "torch.zeros(0, 3).t()", "torch.zeros(2, 0, 3).transpose(0, 2)",
    "m.split(2)[1]", "m.chunk(2, 1)[1]", "m.unbind(1)[2]", "m.view(-1)",
    "torch.ones(3, 4).sum(0, keepdim=True)", "m.unsqueeze(0).repeat(2, 1, 1)", "torch.cat([m, m])",
    "torch.stack([m, m], 1)", "torch.mm(m, m.t())", "m.t().detach()", "m[[0, 2]]", "m.t()[[0, 2]]",
    "torch.flip(m, [0])",
    # the *_like makers keep their input's layout (preserve_format), dense where it is not
    "torch.zeros_like(m.t())", "torch.ones_like(m.t())", "torch.empty_like(m.t())",
    "torch.full_like(x.permute(2, 0, 1), 2.0)", "torch.rand_like(m.t())",
    "torch.empty_like(torch.ones(3, 1).expand(3, 4))", "torch.zeros_like(m[:, ::2])",
    "torch.randn_like(x.transpose(0, 2)[:, 1:])",
    # view and reshape, of views and of expand's and diagonal's copies
    "m.diagonal().view(3)", "v.expand(3, 5).reshape(15)",
    "x.view(2, 12).view(24)", "x[:, :, ::2].view(2, 6)", "m.t().reshape(4, 3)",
    "v.expand(3, 5).reshape(5, 3)", "torch.ones(3, 1).expand(3, 4).reshape(3, 2, 2)",
    "m.diagonal().reshape(3, 1)", "m.t().unsqueeze(0).squeeze()", "x.transpose(0, 2).squeeze()",
    "torch.zeros(0, 3).view(3, 0)", "torch.zeros(2, 1, 3).transpose(0, 1).squeeze(0)",
    "m[1:, 1:].reshape(6)", "x.permute(2, 0, 1).reshape(4, 6)", "x.narrow(1, 1, 2).view(2, 8)",
    "x.narrow(0, 1, 1).view(12)", "s.view(1)", "s.reshape(1, 1)", "x.flatten(1)",
    "x.transpose(0, 1).flatten(1)",
    # a numpy array's memory: its strides as they are, the storage from where it starts
    "torch.from_numpy(a)", "torch.from_numpy(a.T)", "torch.from_numpy(a[:, 1])",
    "torch.from_numpy(a[1:])", "torch.from_numpy(a[None])", "torch.as_tensor(a.T)",
    "torch.from_numpy(a.reshape(3, 2))", "x[1].detach()", "x[1, 1:].data",
    # indexing, of views and of expand's and diagonal's copies, one item after the other
    "torch.ones(3, 1).expand(3, 4)[:, 1]", "m.diagonal()[1:]", "x[1, ..., None]",
    "x[:, 1:3, None]", "v.expand(3, 5)[None]", "m.diagonal()[None, 1:]", "v.expand(3, 5)[1:, ::2]",
    "v.expand(3, 5)[..., 2]", "x[0][1][2:]", "x[-1, -1]", "m.t()[1:, ::2]", "x[..., None, 1]",
    "m.diagonal(1)[1:]", "x[:, None, :, None]", "v[::2][1:]", "v[10:]", "v[3:1]", "m[5:, 1:]",
    "x[:, -1, ::3]", "m[:, 1:2]",
    # an elementwise op's new memory as PyTorch's TensorIterator lays it out: inputs
    # of one shape and layout keep it, else the first input's order of dims decides
    "m.t() + torch.ones(4, 3)", "torch.ones(4, 3) + m.t()", "m.t() + 1", "m.t()[::2] + 1",
    "x.permute(2, 0, 1) + torch.ones(4, 1, 3)", "torch.ones(4, 1, 3) + x.permute(2, 0, 1)",
    "torch.addcmul(m.t(), m.t(), torch.ones(4, 3))", "torch.where(m.t() > 2, m.t(), 0.0)",
    "m.t() > torch.ones(4, 3)", "2 ** m.t()", "m.t() ** 2", "m.t() + m.t().double()",
]

# new memory laid out as PyTorch's: clone and *_like keep a dense input's
# strides (preserve_format), cumsum gives a contiguous result
PRESERVED = [
    "m.t().clone()", "torch.zeros_like(m.t())", "torch.ones_like(m.t())", "m.t().cumsum(0)",
    "x.permute(2, 0, 1).clone()", "torch.empty_like(x.transpose(0, 2))", "m.t()[:, ::2].clone()",
    "torch.full_like(v.expand(3, 5), 1.0)", "m.t().unsqueeze(1).clone()",
]

# where gradviz's layout is not PyTorch's: ops that make new memory keep
# numpy's layout of their result, where PyTorch's tensor of an array keeps
# the input's (preserve_format) and its masked_fill and reductions over a
# transposed input give a contiguous one
DIFFERENT = [
    "m.t().masked_fill(m.t() > 2, 0.0)", "x.transpose(0, 1).sum(2)", "torch.tensor(a.T)",
]


def torch_layout(expr: str) -> str:
    ns = {"torch": torch}
    exec(SETUP, ns)
    y = eval(expr, ns)
    return f"{tuple(y.shape)} {y.stride()} {y.is_contiguous()} {y.storage_offset()}\n"


def gradviz_layout(expr: str) -> str:
    _, out = run(f"import torch\n{SETUP}y = {expr}\n"
                 "print(tuple(y.shape), y.stride(), y.is_contiguous(), y.storage_offset())\n")
    return out


@pytest.mark.parametrize("expr", VIEWS + PRESERVED)
def test_layout_is_pytorch_s(expr):
    assert gradviz_layout(expr) == torch_layout(expr)


@pytest.mark.parametrize("expr", DIFFERENT)
@pytest.mark.xfail(strict=True, reason="a new array keeps numpy's layout (see DIFFERENT)")
def test_layout_where_it_is_not_pytorch_s(expr):
    assert gradviz_layout(expr) == torch_layout(expr)


@pytest.mark.parametrize("expr", ["x.stride(0)", "x.stride(2)", "x.stride(-1)", "x.stride(-3)",
                                  "x.stride(dim=1)", "x.stride(None)", "m.t().stride(0)",
                                  "v.expand(3, 5).stride(0)", "s.stride()",
                                  "x.transpose(0, 2).is_contiguous()", "s.storage_offset()"])
def test_stride_of_a_dim(expr):
    ns = {"torch": torch}
    exec(SETUP, ns)
    _, out = run(f"import torch\n{SETUP}print({expr})\n")
    assert out == f"{eval(expr, ns)}\n"


@pytest.mark.parametrize("expr", ["s.stride(0)", "s.stride(-1)", "x.stride(3)", "x.stride(-4)",
                                  "x.stride(1.0)", "x.stride(True)", "x.stride('a')",
                                  "x.stride(dim=1.0)", "x.stride(1, 2)", "x.storage_offset(0)", "x.storage_offset(a=1)",
                                  "x.is_contiguous(0)", "v.expand(3, 5).view(15)",
                                  "m.t().view(12)", "x[:, ::2].view(2, 8)", "m[:, 1:].view(9)",
                                  "x.transpose(1, 2).view(2, 12)"])
def test_stride_errors_are_pytorch_s(expr):
    ns = {"torch": torch}
    exec(SETUP, ns)
    with pytest.raises(Exception) as want:
        eval(expr, ns)
    with pytest.raises(GradvizError) as got:
        run(f"import torch\n{SETUP}y = {expr}\n")
    err = got.value
    assert (err.kind, err.message.splitlines()[0], err.span.line) == (
        type(want.value).__name__, str(want.value).splitlines()[0], 8)
    assert err.hint
