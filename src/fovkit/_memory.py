"""Keep freed heap memory in the process so scoring loops reuse pages instead of faulting in fresh ones.

glibc returns large freed blocks to the OS; on virtual machines every re-fault is expensive, and a chunked scoring
loop frees and re-allocates the same few megabytes thousands of times. Raising the trim and mmap thresholds
(mallopt) keeps those blocks for reuse. Peak memory is unchanged; the process just keeps what it peaked at.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
TRIM_THRESHOLD = 512 << 20
MMAP_THRESHOLD = 32 << 20


@cache
def keep_freed_memory() -> bool:
    """Apply the thresholds once per process; False where the C library has no mallopt (not glibc)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = libc.mallopt if libc is not None else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


STREAM_MMAP_THRESHOLD = 4 << 20


@cache
def return_large_blocks() -> bool:
    """Map every block of 4 MiB or more on its own, so freeing it returns it to the OS at once.

    For streaming loops (predictions, feature extraction) that allocate and free a batch of decoded images per step:
    glibc raises its mmap threshold after the first such free, after which the batches land on the heap and
    fragment it, and the process grows with the number of batches seen until a trim. A fixed threshold keeps peak
    memory at the batch size. False where the C library has no mallopt (not glibc).
    """
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, STREAM_MMAP_THRESHOLD)) if mallopt is not None else False
