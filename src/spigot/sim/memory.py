"""Process memory settings for a run: freed scratch memory kept (glibc), fewer collections.

:func:`keep_freed_memory`: keep the engine's freed scratch memory in the process (glibc only).

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

:func:`fewer_collections`: while a run compiles its kernels (the first run after install) numba
creates millions of short-lived Python objects, and Python's cyclic garbage collector, at its
default young-generation threshold of 700 allocations, ran about 4,700 collections in that run,
26 of them full ones over every object of the process: 5.2 s of the first run's 61-74 s (timed
with ``gc.callbacks``; docs/design.md, "The first run after install"). At a threshold of 50,000
the same run collects 57 times in 1.2 s, for 83 MB more peak memory (827 against 744 MB);
disabling the collector saves the last second but held 1,125 MB. The threshold is raised only
for the duration of :func:`spigot.simulate` and restored after it (also when it raises); a
collector the user disabled or already set to collect less often is left as it is.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import gc
import os
import threading
from collections.abc import Iterator

__all__ = ["GC_YOUNG_THRESHOLD", "MMAP_THRESHOLD", "TRIM_THRESHOLD", "fewer_collections",
           "keep_freed_memory"]

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


#: Allocations (minus deallocations) of container objects between two young-generation
#: collections during a run (Python's default: 700).
GC_YOUNG_THRESHOLD = 50_000


class _Collections:
    """The thresholds to restore, shared by the runs in progress (threads may run several)."""

    lock = threading.Lock()
    depth = 0
    saved: tuple[int, int, int] | None = None


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the collector's young-generation threshold to :data:`GC_YOUNG_THRESHOLD` inside the
    block (see the module); the outermost of nested or concurrent blocks restores it.

    A threshold of 0 (the collector disabled through it) or above ours is left as it is, and so
    is a collector switched off with ``gc.disable()``.
    """
    with _Collections.lock:
        if _Collections.depth == 0:
            now = gc.get_threshold()
            if 0 < now[0] < GC_YOUNG_THRESHOLD:
                _Collections.saved = now
                gc.set_threshold(GC_YOUNG_THRESHOLD, now[1], now[2])
        _Collections.depth += 1
    try:
        yield
    finally:
        with _Collections.lock:
            _Collections.depth -= 1
            if _Collections.depth == 0 and _Collections.saved is not None:
                gc.set_threshold(*_Collections.saved)
                _Collections.saved = None
