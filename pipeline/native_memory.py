"""Large buffers go back to the system when they are freed (glibc's allocator; elsewhere a no-op).

glibc serves a request of 128 KB or more with a memory map of its own, unmapped on free, but
each time such a buffer is freed it raises that threshold (up to 32 MB), so that later buffers
come from the heap, where freed space stays with the process and fragments. An analysis
allocates and frees buffers of a few MB thousands of times (stretches of samples, Whisper's
features, per-window scores), and on a 4-hour mono call the heap grew by some 300 MB that way
(`bench/long_calls.py --mono --transcript`). Fixing the threshold keeps every large buffer
mapped, so memory in use is memory held.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value


@functools.cache
def return_large_buffers() -> bool:
    """Fix glibc's memory-map threshold for this process; False where there is no glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD_BYTES))
    except (OSError, AttributeError):  # not glibc (macOS, musl): its allocator is left alone
        return False
