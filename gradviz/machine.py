"""torch's questions and switches about the machine a program runs on: CUDA,
MPS, cuDNN, torch.accelerator, threads and deterministic algorithms.

Tutorials open with them (PyTorch's quickstart picks its device with
torch.accelerator; seeding helpers call torch.cuda.manual_seed_all and set
torch.backends.cudnn.deterministic). gradviz runs on the CPU, so each
answers as PyTorch 2.13's CPU build answers on a machine with no GPU, and a
switch keeps what the program set for the rest of its run (in the
Interpreter's ``switches``: no state outlives a run)."""
from __future__ import annotations

import os

from .errors import RUNTIME, TYPE, GradvizError

NO_CUDA_HINT = ("gradviz runs on the CPU, as PyTorch without a GPU: ask "
                "torch.cuda.is_available() first, or use the device 'cpu'")

# module attributes a program may set, with their values before it does
# (PyTorch's, on the CPU build): torch.backends.cudnn.deterministic = True
SWITCHES = {
    ("torch.backends.cudnn", "deterministic"): False,
    ("torch.backends.cudnn", "benchmark"): False,
    ("torch.backends.cudnn", "enabled"): True,
    ("torch.backends.cudnn", "allow_tf32"): True,
}
# the C++ setter each checks its value with (PyTorch's error names it)
_SETTERS = {"deterministic": "set_deterministic_cudnn", "benchmark": "set_benchmark_cudnn",
            "enabled": "set_enabled_cudnn", "allow_tf32": "set_allow_tf32_cudnn"}


def set_switch(rt, module: str, attr: str, value) -> None:
    """torch.backends.cudnn.ATTR = value: a bool, as PyTorch's setter asks."""
    if value.__class__ is not bool:
        raise GradvizError(f"{_SETTERS[attr]} expects a bool, but got {type(value).__name__}",
                           kind=RUNTIME, hint=f"write {module}.{attr} = True (or False)")
    rt.switches[(module, attr)] = value


def _false(rt) -> bool:
    return False


def _none(rt):
    return None


def _zero(rt) -> int:
    return 0


def _no_memory(rt, device=None) -> int:
    """torch.cuda.memory_allocated() and its kin: no CUDA memory was ever
    allocated, so 0 bytes (PyTorch answers so without a GPU too)."""
    return 0


def _seed(rt, seed):
    """torch.cuda.manual_seed(_all): with no GPU, PyTorch converts the seed
    with int() (for a GPU it would seed later) and does nothing else."""
    if isinstance(seed, str):
        try:
            int(seed)
        except ValueError:
            raise GradvizError(f"invalid literal for int() with base 10: {seed!r}",
                               kind="ValueError", hint="pass an integer seed") from None
    elif not isinstance(seed, (int, float)):
        raise GradvizError("int() argument must be a string, a bytes-like object or a real "
                           f"number, not '{rt.type_name(seed)}'", kind=TYPE,
                           hint="pass an integer seed")
    return None


def _no_cuda(rt, *args, **kwargs):
    raise GradvizError("Torch not compiled with CUDA enabled", kind="AssertionError",
                       hint=NO_CUDA_HINT)


def get_num_threads(rt) -> int:
    """PyTorch's intra-op threads: one per core unless set_num_threads()."""
    n = rt.switches.get(("torch", "num_threads"))
    return n if n is not None else (os.cpu_count() or 1)


def set_num_threads(rt, n) -> None:
    if n.__class__ is not int:
        raise GradvizError(f"set_num_threads expects an int, but got {type(n).__name__}",
                           kind=RUNTIME, hint="pass a whole number of threads: 1, 2, ...")
    if n < 1:
        raise GradvizError("set_num_threads expects a positive integer", kind=RUNTIME,
                           hint="pass 1 or more")
    rt.switches[("torch", "num_threads")] = n


def use_deterministic_algorithms(rt, mode, warn_only=False) -> None:
    for name, v in (("mode", mode), ("warn_only", warn_only)):
        if v.__class__ is not bool:
            raise GradvizError(f"_set_deterministic_algorithms(): argument '{name}' "
                               f"{'(position 1) ' if name == 'mode' else ''}must be bool, "
                               f"not {rt.type_name(v)}", kind=TYPE,
                               hint="pass True or False")
    rt.switches[("torch", "deterministic")] = mode
    rt.switches[("torch", "warn_only")] = warn_only and mode


def are_deterministic_algorithms_enabled(rt) -> bool:
    return rt.switches.get(("torch", "deterministic"), False)


def is_deterministic_algorithms_warn_only_enabled(rt) -> bool:
    return rt.switches.get(("torch", "warn_only"), False)


def modules(module_cls, function_cls) -> dict:
    """torch.cuda, torch.backends and torch.accelerator, and torch's thread
    and determinism functions, as members of torch."""
    def fns(**impls):
        return {k: function_cls(k, v) for k, v in impls.items()}
    cuda = module_cls("torch.cuda", fns(
        is_available=_false, device_count=_zero, manual_seed=_seed, manual_seed_all=_seed,
        current_device=_no_cuda, get_device_name=_no_cuda, synchronize=_no_cuda,
        empty_cache=_none, is_initialized=_false, memory_allocated=_no_memory,
        max_memory_allocated=_no_memory, memory_reserved=_no_memory,
        max_memory_reserved=_no_memory))
    cudnn = module_cls("torch.backends.cudnn", {
        **fns(is_available=_false, version=_none),
        **{attr: v for (_, attr), v in SWITCHES.items()}})
    mps = module_cls("torch.backends.mps", fns(is_available=_false, is_built=_false))
    backends = module_cls("torch.backends", {"cudnn": cudnn, "mps": mps})
    accelerator = module_cls("torch.accelerator", fns(
        is_available=_false, current_accelerator=_none, device_count=_zero))
    return {"cuda": cuda, "backends": backends, "accelerator": accelerator,
            **fns(get_num_threads=get_num_threads, set_num_threads=set_num_threads,
                  use_deterministic_algorithms=use_deterministic_algorithms,
                  are_deterministic_algorithms_enabled=are_deterministic_algorithms_enabled,
                  is_deterministic_algorithms_warn_only_enabled=(
                      is_deterministic_algorithms_warn_only_enabled))}
