"""Item assignment into a tensor of the graph, `y[index] = v` with gradients
on, as PyTorch records it: CopySlices (through a view of y), IndexPutBackward0
(index tensors, lists, masks), FillBackward3 and CopyBackwards (all of y).

gradviz records it as it records `y += v` (Interpreter._augassign): out of
place, as the op `setitem` (y before, v) -> y after, whose node takes over
y's memory and every name of y; a write into a view also makes the base's
new node. The programs below are pinned with PyTorch 2.13's literal output
(checked against real torch when it is installed); the tests after them pin
what is gradviz's own: the graph, forward mode, and the cases it refuses.
"""
from __future__ import annotations

import io

import pytest
from test_differential import assert_prints, assert_pytorch_prints, needs_torch, run_torch

import gradviz
from gradviz.errors import GradvizError
from gradviz.tape import RunOptions

PINNED = {
    # a second derivative through item assignment (into a view, index_put_)
    'create_graph': (
        'x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * x\n'
        'y[0] = x[1] * x[2]\n'
        'g = torch.autograd.grad((y * y).sum(), x, create_graph=True)[0]\n'
        'print(g)\n'
        'g.sum().backward()\n'
        'print(x.grad)\n'
        'z = x * 1\n'
        'z[[0, 2]] = x[:2] ** 2\n'
        'h = torch.autograd.grad((z * z).sum(), x, create_graph=True)[0]\n'
        'print(h)\n',
        'tensor([  0.,  68., 132.], grad_fn=<AddBackward0>)\n'
        'tensor([  0.,  90., 140.])\n'
        'tensor([ 4., 36.,  0.], grad_fn=<AddBackward0>)\n'),
    # through a write of all of y, a broadcast value of more dims, a number,
    # and a write into a view (the base's CopySlices)
    'create_graph_view_and_whole': (
        'x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'w = torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)\n'
        'y = x * 1\n'
        'y[:] = w * x\n'
        'a = torch.zeros(2, 3)\n'
        'a[1] = x.sin()\n'
        'a[0, 1:] = 2.5\n'
        'b = x * x\n'
        'v = b[1:]\n'
        'v[0] = x[0] ** 3\n'
        'loss = (y * y).sum() + (a * a).sum() + (b * b * x).sum()\n'
        'g, gw = torch.autograd.grad(loss, (x, w), create_graph=True)\n'
        'print(g)\n'
        'print(gw)\n'
        '(g.sum() + gw.sum()).backward()\n'
        'print(x.grad, w.grad)\n',
        'tensor([ 18.4093,   4.2432, 428.7206], grad_fn=<AddBackward0>)\n'
        'tensor([[ 1., -8., 36.]], grad_fn=<MulBackward0>)\n'
        'tensor([ 87.6677,  -1.3073, 573.9203]) tensor([[ 4.,  0., 42.]])\n'),
    # the brief's example: a value written into zeros makes it part of the graph
    'basic': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = zeros(3)\n'
        'print(y.requires_grad, y.is_leaf)\n'
        'y[0] = x[1] * 2\n'
        'print(y, y.requires_grad, y.is_leaf, y.grad_fn.name())\n'
        'z = x * 1\n'
        'z[1:] = x[0] * x[2]\n'
        '(y.sum() + z.sum()).backward()\n'
        'print(z, x.grad)\n',
        'False True\n'
        'tensor([4., 0., 0.], grad_fn=<CopySlices>) True False torch::autograd::CopySlices\n'
        'tensor([1., 3., 3.], grad_fn=<CopySlices>) tensor([7., 2., 2.])\n'),
    # PyTorch's four nodes: into a view of y (CopySlices), index_put_ on y
    # (IndexPutBackward0), all of y from a number or 0-d tensor (FillBackward3)
    # or from a tensor (CopyBackwards); a slice from 0 to the end or beyond is
    # all of y, one from -3 is not
    'grad_fn_names': (
        'w = tensor([10.0, 20.0, 30.0], requires_grad=True)\n'
        'a = zeros(3)\n'
        'a[0:3] = w\n'
        'b = zeros(3)\n'
        'b[0:10] = w\n'
        'c = zeros(3)\n'
        'c[-3:] = w\n'
        'd = zeros(3)\n'
        'd[::1] = w\n'
        'e = zeros(3)\n'
        'e[None] = w\n'
        'f = zeros(2, 3)\n'
        'f[:, :] = w\n'
        'print(a.grad_fn.name(), b.grad_fn.name(), c.grad_fn.name(), d.grad_fn.name(), e.grad_fn.name(), f.grad_fn.name())\n'
        'g = zeros(2, 3)\n'
        'g[:, 0:10] = w\n'
        'h = zeros(2, 3)\n'
        'h[:, :, None] = w[0]\n'
        'k = zeros(2, 3)\n'
        'k[0:2, tensor([0, 1])] = w[0]\n'
        'm = zeros(2, 3)\n'
        'm[0, tensor([0, 2])] = w[:2]\n'
        'n = zeros(2, 3)\n'
        'n[tensor([1]), 1:] = w[1:]\n'
        'p = zeros(3)\n'
        'p[tensor(1)] = w[0]\n'
        'print(g.grad_fn.name(), h.grad_fn.name(), k.grad_fn.name(), m.grad_fn.name(), n.grad_fn.name(), p.grad_fn.name())\n'
        'q = zeros(3)\n'
        'q[:] = 5.0\n'
        'r = w * 1\n'
        'r[:] = w[0]\n'
        's = w * 1\n'
        's[0] = 5\n'
        'print(q.grad_fn, r.grad_fn.name(), s.grad_fn.name())\n'
        'print(a, c, e, g, h, k, m, n, p, r, s)\n',
        'torch::autograd::CopyBackwards torch::autograd::CopyBackwards torch::autograd::CopySlices torch::autograd::CopyBackwards torch::autograd::CopySlices torch::autograd::CopyBackwards\n'
        'torch::autograd::CopyBackwards torch::autograd::CopySlices IndexPutBackward0 torch::autograd::CopySlices torch::autograd::CopySlices torch::autograd::CopySlices\n'
        'None FillBackward3 torch::autograd::CopySlices\n'
        'tensor([10., 20., 30.], grad_fn=<CopyBackwards>) tensor([10., 20., 30.], grad_fn=<CopySlices>) tensor([10., 20., 30.], grad_fn=<CopySlices>) tensor([[10., 20., 30.],\n'
        '        [10., 20., 30.]], grad_fn=<CopyBackwards>) tensor([[10., 10., 10.],\n'
        '        [10., 10., 10.]], grad_fn=<CopySlices>) tensor([[10., 10.,  0.],\n'
        '        [10., 10.,  0.]], grad_fn=<IndexPutBackward0>) tensor([[10.,  0., 20.],\n'
        '        [ 0.,  0.,  0.]], grad_fn=<CopySlices>) tensor([[ 0.,  0.,  0.],\n'
        '        [ 0., 20., 30.]], grad_fn=<CopySlices>) tensor([ 0., 10.,  0.], grad_fn=<CopySlices>) tensor([10., 10., 10.], grad_fn=<FillBackward3>) tensor([ 5., 20., 30.], grad_fn=<CopySlices>)\n'),
    # index_put_ without accumulate: the last of repeated indices stays, and
    # every element of the value gets the gradient of its position
    'advanced': (
        'x = tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)\n'
        'w = tensor([10.0, 20.0, 30.0], requires_grad=True)\n'
        'y = x * 1\n'
        'y[tensor([0, 2, 0])] = w\n'
        'print(y)\n'
        '(y * tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()\n'
        'print(x.grad, w.grad)\n'
        'm = x * 1\n'
        'm[m > 2] = w[0] * 2\n'
        'l = x * 1\n'
        'l[[1, 3]] = w[1]\n'
        'u = x * 1\n'
        'u[x > 1] = tensor([7.0, 8.0, 9.0])\n'
        'print(m, l, u)\n'
        'x.grad = None\n'
        '(m.sum() + l.sum() + (u * tensor([1.0, 2.0, 3.0, 4.0])).sum()).backward()\n'
        'print(x.grad)\n',
        'tensor([30.,  2., 20.,  4.], grad_fn=<IndexPutBackward0>)\n'
        'tensor([0., 2., 0., 4.]) tensor([1., 3., 1.])\n'
        'tensor([ 1.,  2., 20., 20.], grad_fn=<IndexPutBackward0>) tensor([ 1., 20.,  3., 20.], grad_fn=<IndexPutBackward0>) tensor([1., 7., 8., 9.], grad_fn=<IndexPutBackward0>)\n'
        'tensor([3., 1., 1., 0.])\n'),
    # the value is broadcast (and its leading 1s dropped) and cast to y's
    # dtype; its gradient is summed back and cast to its own
    'broadcast_and_dtype': (
        'x = tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)\n'
        'y = zeros(2, 3)\n'
        'y[0] = x[0] * 3\n'
        'y[1, 1:] = x * 2\n'
        'print(y)\n'
        'y.sum().backward()\n'
        'print(x.grad)\n'
        'a = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'b = zeros(2, 3)\n'
        'b[0] = (a * 2).reshape(1, 3)\n'
        'b[1, 0] = 5\n'
        'b[1, 1] = 2.5\n'
        'b[1, 2] = True\n'
        'print(b)\n'
        '(b * b).sum().backward()\n'
        'print(a.grad)\n'
        'i = zeros(3, dtype=torch.long)\n'
        'i[0] = a[0] * 1.5\n'
        'print(i)\n',
        'tensor([[3., 3., 3.],\n'
        '        [0., 2., 4.]], grad_fn=<CopySlices>)\n'
        'tensor([11.,  2.], dtype=torch.float64)\n'
        'tensor([[2.0000, 4.0000, 6.0000],\n'
        '        [5.0000, 2.5000, 1.0000]], grad_fn=<CopySlices>)\n'
        'tensor([ 8., 16., 24.])\n'
        'tensor([1, 0, 0])\n'),
    # retain_grad() and every name of y follow y to its new node
    'retain_grad_and_aliases': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 2\n'
        'y.retain_grad()\n'
        'z = y\n'
        'ys = [y, x]\n'
        'y[0] = x[1] * x[2]\n'
        'print(z, ys[0], y.is_leaf)\n'
        '(z * tensor([1.0, 2.0, 3.0])).sum().backward()\n'
        'print(y.grad, x.grad)\n'
        'q = x * 1\n'
        'r = q\n'
        'q += 1\n'
        'print(r)\n',
        'tensor([6., 4., 6.], grad_fn=<CopySlices>) tensor([6., 4., 6.], grad_fn=<CopySlices>) False\n'
        'tensor([1., 2., 3.]) tensor([0., 7., 8.])\n'
        'tensor([2., 3., 4.], grad_fn=<AddBackward0>)\n'),
    # a write into a view of y: y's node becomes CopySlices, the view's
    # AsStridedBackward0 (the values through both)
    'view_of_a_non_leaf': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'v = y[0:2]\n'
        'v[0] = x[2] * 5\n'
        'print(y, v, y.grad_fn.name(), v.grad_fn.name())\n'
        'v.sum().backward()\n'
        'print(x.grad)\n',
        'tensor([15.,  2.,  3.], grad_fn=<CopySlices>) tensor([15.,  2.], grad_fn=<AsStridedBackward0>) torch::autograd::CopySlices AsStridedBackward0\n'
        'tensor([0., 1., 5.])\n'),
    # under no_grad() nothing is recorded, a leaf may be written too; a
    # whole write sends y-before a gradient of zeros; CopyBackwards and
    # FillBackward3 keep nothing backward frees (a second backward works)
    'no_grad_and_whole_writes': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 2\n'
        'with torch.no_grad():\n'
        '    y[0] = 5\n'
        '    x[1] = 7\n'
        'print(y, x)\n'
        'y.sum().backward()\n'
        'print(x.grad)\n'
        'x.grad = None\n'
        'c = x * 1\n'
        'c[:] = 4.0\n'
        'c.sum().backward()\n'
        'print(x.grad)\n'
        'd = zeros(3)\n'
        'd[:] = x\n'
        'd.sum().backward()\n'
        'd.sum().backward()\n'
        'e = zeros(3)\n'
        'e[:] = x[0]\n'
        'e.sum().backward()\n'
        'e.sum().backward()\n'
        'print(x.grad)\n',
        'tensor([5., 4., 6.], grad_fn=<MulBackward0>) tensor([1., 7., 3.], requires_grad=True)\n'
        'tensor([2., 2., 2.])\n'
        'tensor([0., 0., 0.])\n'
        'tensor([8., 2., 2.])\n'),
    # a write through a view reaches its base: t[0][1] = v as t[0, 1] = v; the
    # base of a view of a detach() is the detached tensor, not what it shares
    # memory with; `v *= 3` through a view makes y's CopySlices too
    'through_views': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        't = zeros(2, 3)\n'
        't[0][1] = x[0]\n'
        't[1].T[1:] = x[1:] * 2\n'
        'print(t)\n'
        't.sum().backward()\n'
        'print(x.grad)\n'
        'x.grad = None\n'
        'y = x * 1\n'
        'd = y.detach()\n'
        'v = d[0:2]\n'
        'v[0] = x[2] * 5\n'
        'print(y, d, v)\n'
        'd.sum().backward()\n'
        'print(x.grad)\n'
        'x.grad = None\n'
        'u = x * 1\n'
        'w = u[0:2]\n'
        'w *= 3\n'
        'w[1] = x[2]\n'
        'print(u, w)\n'
        '(u.sum() + w.sum()).backward()\n'
        'print(x.grad)\n',
        'tensor([[0., 1., 0.],\n'
        '        [0., 4., 6.]], grad_fn=<CopySlices>)\n'
        'tensor([1., 2., 2.])\n'
        'tensor([15.,  2.,  3.], grad_fn=<MulBackward0>) tensor([15.,  2.,  3.], grad_fn=<CopySlices>) tensor([15.,  2.], grad_fn=<AsStridedBackward0>)\n'
        'tensor([0., 0., 5.])\n'
        'tensor([3., 3., 3.], grad_fn=<CopySlices>) tensor([3., 3.], grad_fn=<AsStridedBackward0>)\n'
        'tensor([6., 0., 3.])\n'),
    # y.data has a version counter of its own, and is no view of y for
    # autograd: a write with gradients through it leaves y's graph alone
    'data_alias': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x.exp()\n'
        'd = y.data\n'
        'd[0] = x[1] * 2\n'
        'print(y, d)\n'
        'y.sum().backward()\n'
        'print(x.grad)\n',
        'tensor([ 4.0000,  7.3891, 20.0855], grad_fn=<ExpBackward0>) tensor([ 4.0000,  7.3891, 20.0855], grad_fn=<CopySlices>)\n'
        'tensor([ 4.0000,  7.3891, 20.0855])\n'),
    # the base of a view of x.T.reshape(4) is that reshape (a copy), not x
    'copying_view_base': (
        'x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)\n'
        'y = x * 1\n'
        'r = y.T.reshape(4)\n'
        't = r[0:2]\n'
        't[0] = x[1, 1] * 5\n'
        'print(r, t, y)\n'
        'r.sum().backward()\n'
        'print(x.grad)\n',
        'tensor([20.,  3.,  2.,  4.], grad_fn=<CopySlices>) tensor([20.,  3.], grad_fn=<AsStridedBackward0>) tensor([[1., 2.],\n'
        '        [3., 4.]], grad_fn=<MulBackward0>)\n'
        'tensor([[0., 1.],\n'
        '        [1., 6.]])\n'),
    # index_put_, then a write through a later view, then one through a temporary
    'mixed': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'w = tensor([10.0, 20.0], requires_grad=True)\n'
        'y = x * 1\n'
        'y[tensor([0, 2])] = w * 2\n'
        'v = y[1:]\n'
        'v[0] = x[0] * 3\n'
        't = zeros(2, 3)\n'
        't[0][1] = x[2]\n'
        '(y.sum() + (t * 2).sum()).backward()\n'
        'print(x.grad, w.grad)\n',
        'tensor([3., 0., 2.]) tensor([2., 2.])\n'),
    # a source that is the written part itself, or shares no range of memory
    # with it that PyTorch can tell (a strided view), is no overlap
    'overlap_allowed': (
        'y = tensor([1.0, 2.0, 3.0])\n'
        'y[:] = y\n'
        'y[0:2] = y[0:2]\n'
        'y[0] = y[2]\n'
        'y[0::2] = y[1:]\n'
        'print(y)\n',
        'tensor([2., 2., 3.])\n'),
}

ERRORS = {
    'leaf_view': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'x[0] = 5\n',
        'RuntimeError', 2,
        'a view of a leaf Variable that requires grad is being used in an in-place '
        'operation.'),
    'leaf_index_put': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'x[tensor([0])] = 5\n',
        'RuntimeError', 2,
        'a leaf Variable that requires grad is being used in an in-place operation.'),
    'leaf_whole': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'x[:] = 5\n',
        'RuntimeError', 2,
        'a leaf Variable that requires grad is being used in an in-place operation.'),
    'view_of_leaf': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'v = x[0:2]\n'
        'v[0] = 5\n',
        'RuntimeError', 3,
        'a view of a leaf Variable that requires grad is being used in an in-place '
        'operation.'),
    'index_put_dtype': (
        'x = tensor([1.0, 2.0], dtype=torch.float64)\n'
        'c = zeros(3)\n'
        'c[tensor([0, 1])] = x\n',
        'RuntimeError', 3,
        'Index put requires the source and destination dtypes match, got Float for the '
        'destination and Double for the source.'),
    'index_put_dtype_long': (
        'c = zeros(3)\n'
        'c[tensor([0, 1])] = tensor(1)\n',
        'RuntimeError', 2,
        'Index put requires the source and destination dtypes match, got Float for the '
        'destination and Long for the source.'),
    'saved_copyslices': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'z = y * y\n'
        'y[0] = 5\n'
        'z.sum().backward()\n',
        'RuntimeError', 5,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of '
        'torch::autograd::CopySlices, is at version 1; expected version 0 instead. Hint: '
        'enable anomaly detection to find the operation that failed to compute its '
        'gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'saved_twice': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'y[0] = 5\n'
        'z = y * y\n'
        'y[1] = 6\n'
        'z.sum().backward()\n',
        'RuntimeError', 6,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of '
        'torch::autograd::CopySlices, is at version 2; expected version 1 instead. Hint: '
        'enable anomaly detection to find the operation that failed to compute its '
        'gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'saved_fill': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'z = y * y\n'
        'y[:] = x[0]\n'
        'z.sum().backward()\n',
        'RuntimeError', 5,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of Fill3, is at '
        'version 1; expected version 0 instead. Hint: enable anomaly detection to find '
        'the operation that failed to compute its gradient, with '
        'torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'saved_copy': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'z = y * y\n'
        'y[:] = x * 2\n'
        'z.sum().backward()\n',
        'RuntimeError', 5,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of '
        'torch::autograd::CopyBackwards, is at version 1; expected version 0 instead. '
        'Hint: enable anomaly detection to find the operation that failed to compute its '
        'gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'saved_index_put': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'z = y * y\n'
        'y[tensor([0])] = 5\n'
        'z.sum().backward()\n',
        'RuntimeError', 5,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of IndexPut, is '
        'at version 1; expected version 0 instead. Hint: enable anomaly detection to '
        'find the operation that failed to compute its gradient, with '
        'torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'saved_result': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x.exp()\n'
        'y[1:] = 0.0\n'
        'y.sum().backward()\n',
        'RuntimeError', 4,
        'one of the variables needed for gradient computation has been modified by an '
        'inplace operation: [torch.FloatTensor [3]], which is output 0 of Exp, is at '
        'version 1; expected version 0 instead. Hint: enable anomaly detection to find '
        'the operation that failed to compute its gradient, with '
        'torch.autograd.set_detect_anomaly(True, check_nan=False).'),
    'twice_copyslices': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'c = zeros(3)\n'
        'c[0:2] = x[0]\n'
        'c.sum().backward()\n'
        'c.sum().backward()\n',
        'RuntimeError', 5,
        'Trying to backward through the graph a second time (or directly access saved '
        'tensors after they have already been freed). Saved intermediate values of the '
        'graph are freed when you call .backward() or autograd.grad(). Specify '
        'retain_graph=True if you need to backward through the graph a second time or if '
        'you need to access saved tensors after calling backward.'),
    'twice_index_put': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'c = zeros(3)\n'
        'c[tensor([0, 1])] = x[:2]\n'
        'c.sum().backward()\n'
        'c.sum().backward()\n',
        'RuntimeError', 5,
        'Trying to backward through the graph a second time (or directly access saved '
        'tensors after they have already been freed). Saved intermediate values of the '
        'graph are freed when you call .backward() or autograd.grad(). Specify '
        'retain_graph=True if you need to backward through the graph a second time or if '
        'you need to access saved tensors after calling backward.'),
    'shape_leading': (
        'a = zeros(2, 3)\n'
        'w = ones(1, 2, 3, requires_grad=True)\n'
        'a[0] = w\n',
        'RuntimeError', 3,
        'expand(torch.FloatTensor{[2, 3]}, size=[3]): the number of sizes provided (1) '
        'must be greater or equal to the number of dimensions in the tensor (2)'),
    'shape_index_put': (
        'a = zeros(3)\n'
        'w = ones(3, 2, requires_grad=True)\n'
        'a[tensor([0, 1])] = w\n',
        'RuntimeError', 3,
        'shape mismatch: value tensor of shape [3, 2] cannot be broadcast to indexing '
        'result of shape [2]'),
    'no_grad_view_select': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'with torch.no_grad():\n'
        '    v = y[0:2]\n'
        'v[0] = x[2] * 5\n',
        'RuntimeError', 5,
        'Output 0 of Select is a view of a view which was created in no_grad mode and is '
        'being modified inplace with grad mode enabled. Given that this use case is '
        'ambiguous and error-prone, it is forbidden. You can clarify your code by moving '
        'both the view and the inplace either both inside the no_grad block (if you '
        "don't want the inplace to be tracked) or both outside (if you want the inplace "
        'to be tracked).'),
    'no_grad_view_slice': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'with torch.no_grad():\n'
        '    v = x[0:2]\n'
        'v[0:1] = 5\n',
        'RuntimeError', 4,
        'Output 0 of Slice is a view of a view which was created in no_grad mode and is '
        'being modified inplace with grad mode enabled. Given that this use case is '
        'ambiguous and error-prone, it is forbidden. You can clarify your code by moving '
        'both the view and the inplace either both inside the no_grad block (if you '
        "don't want the inplace to be tracked) or both outside (if you want the inplace "
        'to be tracked).'),
    'no_grad_view_whole': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'with torch.no_grad():\n'
        '    v = x[0:2]\n'
        'v[:] = 5\n',
        'RuntimeError', 4,
        'A view was created in no_grad mode and is being modified inplace with grad mode '
        'enabled. Given that this use case is ambiguous and error-prone, it is '
        'forbidden. You can clarify your code by moving both the view and the inplace '
        "either both inside the no_grad block (if you don't want the inplace to be "
        'tracked) or both outside (if you want the inplace to be tracked).'),
    'no_grad_view_augassign': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'with torch.no_grad():\n'
        '    v = y[0:2]\n'
        'v *= 2\n',
        'RuntimeError', 5,
        'A view was created in no_grad mode and is being modified inplace with grad mode '
        'enabled. Given that this use case is ambiguous and error-prone, it is '
        'forbidden. You can clarify your code by moving both the view and the inplace '
        "either both inside the no_grad block (if you don't want the inplace to be "
        'tracked) or both outside (if you want the inplace to be tracked).'),
    'overlap_copy': (
        'y = tensor([1.0, 2.0, 3.0])\n'
        'y[1:] = y[:2]\n',
        'RuntimeError', 2,
        'unsupported operation: some elements of the input tensor and the written-to '
        'tensor refer to a single memory location. Please clone() the tensor before '
        'performing the operation.'),
    'overlap_index_put': (
        'x = tensor([1.0, 2.0, 3.0], requires_grad=True)\n'
        'y = x * 1\n'
        'y[tensor([0])] = y[2]\n',
        'RuntimeError', 3,
        'unsupported operation: some elements of the input tensor and the written-to '
        'tensor refer to a single memory location. Please clone() the tensor before '
        'performing the operation.'),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_setitem_program(name):
    assert_prints(*PINNED[name])


@needs_torch
@pytest.mark.parametrize("name", sorted(PINNED))
def test_setitem_output_is_pytorchs(name):
    assert_pytorch_prints(*PINNED[name])


def _error(src: str) -> GradvizError:
    with pytest.raises(GradvizError) as info:
        gradviz.run_source(src, stdout=io.StringIO())
    return info.value


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_setitem_error(name):
    src, kind, line, message = ERRORS[name]
    err = _error(src)
    assert (err.kind, err.message, err.span.line) == (kind, message, line)
    assert err.hint


@needs_torch
@pytest.mark.parametrize("name", sorted(ERRORS))
def test_setitem_error_is_pytorchs(name):
    src, kind, line, message = ERRORS[name]
    assert run_torch(src).error == {"type": kind, "message": message, "line": line}


def test_the_graph_reads_y_before_and_value_into_the_write():
    """y[0] = ... is one node: y before and the value its inputs, named by the
    statement; y before keeps the value it had (the record shows it)."""
    src = ("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\n"
           "y[0] = x[1] * 2\ny.sum().backward()\n")
    record = gradviz.run_source(src, stdout=io.StringIO())
    y = record.variables["y"]
    assert (y.op, y.symbol, y.grad_fn, y.expr) == ("setitem", "[]=", "CopySlices",
                                                  "y[0] = x[1] * 2")
    before, value = (record.node(i) for i in y.inputs)
    assert before.expr == "x * 1" and before.value.tolist() == [1.0, 2.0, 3.0]
    assert before.changed_in_place and before.final_value.tolist() == [1.0, 2.0, 3.0]
    assert value.expr == "x[1] * 2" and y.value.tolist() == [4.0, 2.0, 3.0]
    assert before.grads_by_pass[1].tolist() == [0.0, 1.0, 1.0]
    assert value.grads_by_pass[1].tolist() == 1.0
    assert y.params == {}


def test_a_write_through_a_view_makes_the_bases_node():
    """v[0] = ... with v = y[0:2]: y's new node is CopySlices of y before and
    of the write's op, which reads y before at v's positions (PyTorch's
    CopySlices runs it on y's gradient there, not through v's own node);
    v after it is AsStridedBackward0 of y's CopySlices, as PyTorch's graph is."""
    src = ("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\nv = y[0:2]\n"
           "v[0] = x[2] * 5\n")
    record = gradviz.run_source(src, stdout=io.StringIO())
    y, v = record.variables["y"], record.variables["v"]
    assert y.grad_fn == "CopySlices" and v.grad_fn == "AsStridedBackward0"
    assert record.node(v.inputs[0]) is y
    before, write = (record.node(i) for i in y.inputs)
    assert before.name == "y" and before.grad_fn == "MulBackward0"
    assert write.name == "v" and record.node(write.inputs[0]).inputs == [before.id]


@pytest.mark.parametrize("write", ["v[0] = x[2] * 5", "v *= 2", "v.zero_()", "v.add_(x[0])"])
def test_a_view_keeps_its_grad_fn_name_as_it_was_before_a_write(write):
    src = f"x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\nv = y[0:2]\n{write}\n"
    record = gradviz.run_source(src, stdout=io.StringIO())
    v = record.variables["v"]
    assert v.grad_fn == "AsStridedBackward0"
    # v before the write is the node PyTorch made then
    assert [n.grad_fn for n in record.nodes if n.name == "v"][0] == "SliceBackward0"


# a sibling view of y made before y is written: PyTorch makes its grad_fn
# again (AsStridedBackward0 of y's CopySlices), so its gradient goes
# through the write
REMADE_VIEWS = [
    ("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\nv = y[0:2]\n"
     "y[0] = x[2] * 5\n(v * v).sum().backward()\nprint(v, x.grad)\n",
     "tensor([15.,  2.], grad_fn=<AsStridedBackward0>) tensor([  0.,   4., 150.])\n"),
    ("x = tensor([1.0, 2.0, 3.0], requires_grad=True)\ny = x * 1\nv = y[1:]\nw = y[0:2]\n"
     "w[1] = x[0] * 5\n(v * tensor([2.0, 3.0])).sum().backward()\n"
     "print(v.grad_fn.name(), w.grad_fn.name(), y.grad_fn.name(), x.grad)\n",
     "AsStridedBackward0 AsStridedBackward0 torch::autograd::CopySlices "
     "tensor([10.,  0.,  3.])\n"),
]


@pytest.mark.parametrize("src, want", REMADE_VIEWS)
def test_another_view_of_the_written_memory_takes_its_gradient_through_it(src, want):
    assert_prints(src, want)


@needs_torch
@pytest.mark.parametrize("src, want", REMADE_VIEWS)
def test_views_made_again_are_pytorchs(src, want):
    assert_pytorch_prints(src, want)


def test_forward_mode_agrees_through_item_assignment():
    """The JVP of setitem is the adjoint of its VJP (repeated indices too), so
    both modes give the same gradients."""
    src = ("x = tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)\n"
           "w = tensor([10.0, 20.0, 30.0], requires_grad=True)\n"
           "y = x * x\ny[tensor([0, 2, 0])] = w * x[1]\nv = y[1:3]\nv[0] = w[2] * x[3]\n"
           "t = zeros(2, 2)\nt[0][1] = x[0]\nt[:, 0] = w[:2]\n"
           "(y * tensor([1.0, 2.0, 3.0, 4.0])).sum().backward(retain_graph=True)\n"
           "(t * y[:2]).sum().backward()\n")
    record = gradviz.run_source(src, stdout=io.StringIO(),
                                options=RunOptions(forward_mode="both"))
    passes = record.forward_mode["passes"]
    assert len(passes) == 2
    for p in passes:
        assert p["inputs"] and all(i["agree"] for i in p["inputs"])


def test_a_dot_grad_is_not_written_with_gradients():
    err = _error("x = tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
                 "g = x.grad\ng[0] = x[1] * 2\n")
    assert ".grad" in err.message and "no_grad" in err.hint
    # under no_grad() it is a plain write, seen through x.grad
    out = io.StringIO()
    gradviz.run_source("x = tensor([1.0, 2.0], requires_grad=True)\n(x * x).sum().backward()\n"
                       "with torch.no_grad():\n    x.grad[0] = x[1] * 2\nprint(x.grad)\n",
                       stdout=out)
    assert out.getvalue() == "tensor([4., 4.])\n"
