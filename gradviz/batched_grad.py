"""torch.autograd.grad(..., is_grads_batched=True): the first dimension of
each grad_output is a batch of cotangents. PyTorch vmaps one backward pass
over it; gradviz runs one pass per cotangent (each is logged as a pass) and
stacks the gradients, which gives the same values."""
from __future__ import annotations

import numpy as np

from .autodiff import _size_str
from .errors import RUNTIME, VALUE, GradvizError
from .tensor import Tensor


def _batch_error(k: int, g: np.ndarray, out: Tensor) -> GradvizError:
    # NOTE: PyTorch's message shows the grad_output's shape without its first
    # two dimensions (its vmap has taken the batch one off already); kept so
    # the text is PyTorch's
    return GradvizError(
        "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as "
        "the batch dimension. The sizes of the remaining dimensions are expected to match the "
        "shape of corresponding output, but a mismatch was detected: grad_output"
        f"[{k}] has a shape of {_size_str(g.shape[2:])} and output[{k}] has a shape of "
        f"{_size_str(out.data.shape)}. If you only want some tensors in `grad_output` to be "
        "considered batched, consider using vmap.", kind=RUNTIME,
        hint=f"grad_outputs[{k}] should have shape [B, {', '.join(map(str, out.data.shape))}]"
             f": B cotangents of the output's shape {list(out.data.shape)}")


def _seeds(outs, gos) -> list[np.ndarray]:
    """Each output's batch of cotangents, checked as PyTorch checks them."""
    seeds = []
    for k, (out, g) in enumerate(zip(outs, gos)):
        if g is None:
            if out.data.size != 1:
                raise GradvizError("grad can be implicitly created only for scalar outputs",
                                   hint="pass grad_outputs: a batch of cotangents, one row "
                                        "per vector-Jacobian product")
            g = np.ones(out.data.shape, out.data.dtype)
        else:
            g = g.data
        if tuple(g.shape[1:]) != tuple(out.data.shape) and g.ndim > 0:
            raise _batch_error(k, g, out)
        if g.ndim == 0:
            raise GradvizError(
                "vmap(vjp, in_dims=0, ...)(<inputs>): Got in_dim=0 for some input, but that "
                "input is a Tensor of dimensionality 0 so expected in_dim to satisfy "
                "0 <= in_dim < 0.", kind=VALUE,
                hint="with is_grads_batched=True each grad_output needs a batch dimension "
                     "first: e.g. torch.ones(B) for a scalar output")
        seeds.append(g)
    return seeds


def batched_grad(rt, outs, ins, gos, retain_graph, create_graph, allow_unused) -> tuple:
    """autograd.grad over a batch of grad_outputs: a tuple of stacked gradients."""
    from .functions import _grad_tensor, _need_tensor, grad_arrays
    if create_graph:
        raise GradvizError(
            "gradviz does not support is_grads_batched=True with create_graph=True",
            kind=RUNTIME, hint="loop over the cotangents and call torch.autograd.grad once for "
                               "each (with create_graph=True), then torch.stack the results")
    for t in outs:
        _need_tensor(t, "grad")
    seeds = _seeds(outs, gos)
    sizes = {len(s) for s in seeds}
    if len(sizes) > 1:
        raise GradvizError(
            "vmap: Expected all tensors to have the same size in the mapped dimension, got "
            f"sizes {[len(s) for s in seeds]} for the mapped dimension", kind=VALUE,
            hint="every grad_output needs the same batch size")
    batch = sizes.pop() if sizes else 0
    rows = []
    for b in range(batch):
        last = b == batch - 1
        keep = retain_graph if last else True      # (the graph is needed by the next row)
        rows.append(grad_arrays(rt, outs, ins, [Tensor(s[b]) for s in seeds], keep,
                                allow_unused))
    result = []
    for k, t in enumerate(ins):
        per_row = [r[k] for r in rows]
        if not per_row or any(g is None for g in per_row):
            result.append(None)
        else:
            result.append(_grad_tensor(rt, np.stack([np.asarray(g) for g in per_row])))
    return tuple(result)
