"""Keeping the memory a run frees for the next run (glibc's malloc).

A run's record holds every value until the caller drops it, so the end of
a run frees its arrays all at once. glibc then hands the freed top of its
heap back to the system as soon as it exceeds its trim threshold (twice the
biggest array it has freed so far: 2 MB after a run of 1 MB weights), and
the next run's arrays come back as new pages, each one a page fault on its
first write: about a fifth of the W2 benchmark's CPU time (a 512x512 net,
run after run) went to them; PyTorch's runs of the same program, alone in a
process, faulted about a fifth as often.

keep_freed_memory() sets the two thresholds to where glibc's own dynamic
setting ends after a process has freed a 32 MB array: arrays up to 32 MB
come from the heap, and up to 64 MB of freed heap stays with the process.
Peak memory is unchanged; what a process holds between runs is at most its
biggest run's heap. Elsewhere (no mallopt: macOS, Windows) it does nothing.
"""
from __future__ import annotations

import functools

_M_TRIM_THRESHOLD = -1          # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_MMAP_MAX = 32 << 20            # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit systems


@functools.cache
def keep_freed_memory() -> None:
    """Once per process: glibc's thresholds as above (setting one turns its
    dynamic adjustment off, so both are set)."""
    import ctypes
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return
    mallopt.restype, mallopt.argtypes = ctypes.c_int, [ctypes.c_int, ctypes.c_int]
    mallopt(_M_MMAP_THRESHOLD, _MMAP_MAX)
    mallopt(_M_TRIM_THRESHOLD, 2 * _MMAP_MAX)
