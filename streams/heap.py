"""The worker's heap: long-lived objects kept out of garbage collection, and the memory
a backlog grew given back to the operating system once it is worked off.

Both are process-wide and cheap; the enrich agent calls them from its NLP thread
(README: Performance has the measurements).
"""

from __future__ import annotations

import ctypes
import gc
import os
import time
from dataclasses import dataclass


def freeze_startup_heap() -> int:
    """Move every object alive now out of the garbage collector's reach; return how many.

    Called once the models are loaded: ~870,000 long-lived objects (models,
    gazetteers, actor and event dictionaries) that every full collection would
    otherwise walk again. A full collection then took ~0.28 s, every ~20 s under
    load, with the GIL held — the NLP thread and the event loop both stood still;
    after the freeze it takes ~0.03–0.05 s. Garbage is collected first, so none of
    it is kept for good. Frozen objects are still freed by reference counting when
    the last reference goes.
    """
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def _load_malloc_trim():
    try:
        trim = ctypes.CDLL(None).malloc_trim  # glibc only; absent on musl and macOS
    except (AttributeError, OSError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _load_malloc_trim()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int | None:
    """This process's resident set size, from /proc (None where there is no /proc)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


@dataclass(frozen=True)
class Release:
    seconds: float
    released_bytes: int | None  # None when the resident size cannot be read


def release_free_heap() -> Release | None:
    """Give the allocator's free pages back to the OS (glibc ``malloc_trim(0)``).

    glibc keeps memory freed in the middle of its heaps: after a burst of 600 articles
    a worker stayed at ~990 MB with ~220 MB of it free inside malloc, and RSS only
    went back down when the allocator happened to free the top of a heap. A trim
    returns those pages (``madvise``) in 8–21 ms. ctypes releases the GIL for the
    call. Returns None where the C library has no ``malloc_trim``.
    """
    if _MALLOC_TRIM is None:
        return None
    before = resident_bytes()
    started = time.perf_counter()
    _MALLOC_TRIM(0)
    seconds = time.perf_counter() - started
    after = resident_bytes()
    released = max(0, before - after) if before is not None and after is not None else None
    return Release(seconds, released)


class TrimAfterBacklog:
    """Says when to release the heap: after the batch that catches the worker up with
    a backlog (nothing left behind it in the log).

    A backlog is when the heap grows (many records fetched and queued, larger
    ``nlp.pipe`` batches, their outputs waiting for the producer); once it is worked
    off that memory is free but still resident. Trimming only then costs one call
    per burst, not one per batch, and never while the memory is about to be used
    again.
    """

    def __init__(self) -> None:
        self._backlog_seen = False

    def after_batch(self, *, backlog: bool, caught_up: bool) -> bool:
        """``backlog``: the batch started with a batch's worth or more waiting;
        ``caught_up``: no record is behind it now."""
        self._backlog_seen = self._backlog_seen or backlog
        if self._backlog_seen and caught_up:
            self._backlog_seen = False
            return True
        return False
