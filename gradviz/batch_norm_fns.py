"""torch's pieces of synchronized batch norm (nn.SyncBatchNorm's steps):
batch_norm_update_stats(input, running_mean, running_var, momentum), the
batch's mean and biased variance per channel (dim 1) with the running
statistics updated in place, as PyTorch's CPU kernel; and batch_norm_stats,
batch_norm_elemt, batch_norm_gather_stats(_with_counts),
batch_norm_backward_reduce and batch_norm_backward_elemt, which PyTorch
has for CUDA only: on the CPU, its NotImplementedError (after its argument
parser's checks)."""
from __future__ import annotations

import numpy as np

from . import functions as F
from .arg_parser import forms
from .bool_args import checked
from .errors import RUNTIME, GradvizError
from .nn_functional import _batch_norm_dtypes, _update_running
from .ops import OPS

_F32 = np.dtype(np.float32)


def f_batch_norm_update_stats(rt, input, running_mean, running_var, momentum):
    x = input.data
    stats = (running_mean, running_var)
    if x.ndim < 2:
        raise GradvizError("Dimension out of range (expected to be in range of [-1, 0], but got "
                           "1)", kind="IndexError", hint="the input is (batch, channels, ...)")
    if x.size == 0:
        raise GradvizError(f"input tensor must have at least one element, but got input_sizes = "
                           f"{list(x.shape)}", kind=RUNTIME, hint="give a batch of one or more")
    if x.dtype.kind != "f":
        raise GradvizError(f"\"batch_norm_update_stats_cpu\" not implemented for "
                           f"'{F.type_word(x.dtype)}'", kind="NotImplementedError",
                           hint="the input is a float tensor: x.float()")
    for t in stats:
        if t is not None and t.data.size != x.shape[1]:
            # (PyTorch's kernel checks nothing here: it reads and writes past them)
            raise GradvizError(f"gradviz takes running statistics of one number per channel "
                               f"({x.shape[1]}), got {t.data.size}", kind=RUNTIME,
                               hint="running_mean and running_var hold one number per channel")
    given = [t.data.dtype for t in stats if t is not None]
    # (a half input with float32 statistics is the one "mixed" call PyTorch runs)
    mixed = x.dtype == np.float16 and given and all(d == _F32 for d in given)
    if not mixed:
        _batch_norm_dtypes(x.dtype, given)
    params = {"dtype": _F32 if mixed else x.dtype}
    made = tuple(rt.apply(OPS["batch_norm_update_stats"], (input,), {**params, "out": k})
                 for k in range(2))
    if any(t is not None for t in stats):
        _update_running(x, stats, float(momentum))
    return made


# PyTorch's argument forms of each CUDA-only piece
_CUDA_ONLY = {
    "batch_norm_stats": "(Tensor input, float eps)",
    "batch_norm_elemt": "(Tensor input, Tensor? weight, Tensor? bias, Tensor mean, "
                        "Tensor invstd, float eps)",
    "batch_norm_gather_stats": "(Tensor input, Tensor mean, Tensor invstd, Tensor? running_mean, "
                               "Tensor? running_var, float momentum, float eps, int count)",
    "batch_norm_gather_stats_with_counts": "(Tensor input, Tensor mean, Tensor invstd, "
                                           "Tensor? running_mean, Tensor? running_var, "
                                           "float momentum, float eps, Tensor counts)",
    "batch_norm_backward_reduce": "(Tensor grad_out, Tensor input, Tensor mean, Tensor invstd, "
                                  "Tensor? weight, bool input_g, bool weight_g, bool bias_g)",
    "batch_norm_backward_elemt": "(Tensor grad_out, Tensor input, Tensor mean, Tensor invstd, "
                                 "Tensor? weight, Tensor sum_dy, Tensor sum_dy_xmu, "
                                 "Tensor count)",
}
# the dispatcher's list of where such an operator is registered
_BACKENDS = (
    "Meta, BackendSelect, Python, FuncTorchDynamicLayerBackMode, Functionalize, Conjugate, "
    "Negative, ZeroTensor, ADInplaceOrView, AutogradOther, AutogradCPU, AutogradCUDA, "
    "AutogradHIP, AutogradXLA, AutogradMPS, AutogradIPU, AutogradXPU, AutogradHPU, AutogradVE, "
    "AutogradLazy, AutogradMTIA, AutogradMAIA, AutogradPrivateUse1, AutogradPrivateUse2, "
    "AutogradPrivateUse3, AutogradMeta, AutogradNestedTensor, Tracer, AutocastCPU, "
    "AutocastMTIA, AutocastMAIA, AutocastXPU, AutocastMPS, AutocastCUDA, FuncTorchBatched, "
    "BatchedNestedTensor, FuncTorchVmapMode, Batched, VmapMode, FuncTorchGradWrapper, "
    "PythonTLSSnapshot, FuncTorchDynamicLayerFrontMode, PreDispatch, PythonDispatcher")


def _cuda_only(name: str):
    """PyTorch's CPU build has no kernel for it: the dispatcher's error (its
    first paragraph; PyTorch's goes on to list where each backend's entry
    is registered in its build)."""
    def f(rt, *args, **kwargs):
        raise GradvizError(
            f"Could not run 'aten::{name}' with arguments from the 'CPU' backend. This could be "
            "because the operator doesn't exist for this backend, or was omitted during the "
            "selective/custom build process (if using custom build). If you are a Facebook "
            "employee using PyTorch on mobile, please visit https://fburl.com/ptmfixes for "
            f"possible resolutions. 'aten::{name}' is only available for these backends: "
            f"[{_BACKENDS}].", kind="NotImplementedError", max_chars=4000,
            hint="this piece of SyncBatchNorm runs on CUDA only; F.batch_norm (or "
                 "batch_norm_update_stats) runs on the CPU")
    f.__name__ = name
    return checked(f, name, forms(_CUDA_ONLY[name]), method=False)


FUNCTIONS = {
    "batch_norm_update_stats": checked(
        f_batch_norm_update_stats, "batch_norm_update_stats",
        forms("(Tensor input, Tensor? running_mean, Tensor? running_var, float momentum)"),
        method=False),
    **{name: _cuda_only(name) for name in _CUDA_ONLY},
}
