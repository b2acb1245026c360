"""The worker's heap: long-lived objects kept out of garbage collection, and the memory
a backlog grew given back to the operating system once it is worked off.

Both are process-wide. The enrich agent calls them from its NLP thread, the
downstream agents freeze after their tables' recovery (README: Performance has the
measurements).
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass


def freeze_heap() -> int:
    """Move every object alive now out of the garbage collector's reach; return how many.

    Called once what a worker keeps for long is in memory: the models, gazetteers,
    actor and event dictionaries of the enrich agent (~870,000 objects, frozen when
    they are loaded) and the tables the downstream agents recover (frozen after
    recovery, ``FreezeWhenSettled``). A full collection walks every object not
    frozen, with the GIL held, so the NLP thread and the event loop both stand
    still: ~0.28 s every ~20 s under load for the models, ~0.25 s for a downstream
    worker's ~200,000 start-up objects, before they were frozen.

    Objects frozen earlier are unfrozen and everything is collected first, so garbage
    is never kept for good: not what is garbage now, nor what became garbage since
    the last freeze (a reference cycle frozen while alive is only found by a
    collection that sees it); that one collection walks everything (~0.3–0.5 s in an
    ``all`` worker after a recovery). Frozen objects are still freed by reference
    counting when the last reference goes.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class FreezeWhenSettled:
    """Freezes the heap once, ``delay`` seconds after the last of a burst of requests.

    Each downstream table's recovery hook asks when its data is loaded; Faust runs
    the hooks of all tables concurrently, so one freeze follows them all instead of
    one full collection per table. Call ``request`` on the event loop.
    """

    def __init__(self, on_frozen: Callable[[int], None], delay: float = 1.0) -> None:
        self._on_frozen = on_frozen
        self._delay = delay
        self._handle: asyncio.TimerHandle | None = None

    def request(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._handle = asyncio.get_running_loop().call_later(self._delay, self._freeze)

    def _freeze(self) -> None:
        self._handle = None
        self._on_frozen(freeze_heap())


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
