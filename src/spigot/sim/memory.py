"""Keep the engine's freed scratch memory in the process (glibc only).

Each block of draws allocates its state (about 6 MB at 64 lanes on the bundled world: node
stocks (N, C, W), transit rings, the step's record, ...) and frees it when the block ends. With
glibc's defaults, arrays above its mmap threshold are mapped afresh and returned on free, and
free memory at the top of the heap is trimmed, so every block's arrays arrive as fresh pages: a
page fault each, and on virtual machines a first touch that is much slower than a write to memory
the process already holds (docs/design.md, "Memory and page faults"). :func:`keep_freed_memory`
raises glibc's mmap threshold to 32 MiB and its trim threshold to 512 MiB, once per process, so
those arrays come back from the heap. The cost: up to 512 MiB of freed memory stays with the
process instead of going back to the system at once.

Nothing is changed where the C library is not glibc, or where the user set any ``MALLOC_*``
variable of glibc's own (their choice wins); ``SPIGOT_KEEP_FREED_MEMORY=0`` turns it off.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

__all__ = ["MMAP_THRESHOLD", "TRIM_THRESHOLD", "keep_freed_memory"]

#: glibc's ``mallopt`` parameters (malloc.h).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
#: Allocations up to this size come from the heap, bytes (glibc's own upper bound).
MMAP_THRESHOLD = 32 * 1024 * 1024
#: Free memory at the top of the heap kept before it is returned to the system, bytes.
TRIM_THRESHOLD = 512 * 1024 * 1024


@functools.cache
def keep_freed_memory() -> bool:
    """Set glibc's mmap and trim thresholds (see the module), once per process.

    Returns
    -------
    bool
        Whether the thresholds are set (now or by an earlier call).
    """
    if os.environ.get("SPIGOT_KEEP_FREED_MEMORY", "1") == "0":
        return False
    if any(key.startswith("MALLOC_") for key in os.environ):
        return False
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - glibc only: other C libraries lack it
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
                and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
