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
