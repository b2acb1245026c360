"""Free heap given back to the OS after a backlog, and when that happens."""

from __future__ import annotations

import pytest

from streams import heap


def test_a_trim_is_due_once_per_backlog_when_the_worker_has_caught_up() -> None:
    policy = heap.TrimAfterBacklog()
    # Steady load, caught up after every batch: never.
    assert not policy.after_batch(backlog=False, caught_up=True)
    assert not policy.after_batch(backlog=False, caught_up=True)
    # A burst: not while records are still behind, once when the last batch is done,
    # even when that batch itself started with a backlog.
    assert not policy.after_batch(backlog=True, caught_up=False)
    assert not policy.after_batch(backlog=True, caught_up=False)
    assert policy.after_batch(backlog=True, caught_up=True)
    assert not policy.after_batch(backlog=False, caught_up=True)
    # A burst that tails off through small batches: once, at the end.
    assert not policy.after_batch(backlog=True, caught_up=False)
    assert not policy.after_batch(backlog=False, caught_up=False)
    assert policy.after_batch(backlog=False, caught_up=True)
    assert not policy.after_batch(backlog=False, caught_up=True)


@pytest.mark.skipif(heap.resident_bytes() is None, reason="no /proc/self/statm here")
def test_resident_bytes_grows_with_touched_memory() -> None:
    before = heap.resident_bytes()
    block = bytearray(64 << 20)  # zero-filled: every page touched
    assert heap.resident_bytes() >= before + (48 << 20)
    del block


@pytest.mark.skipif(
    heap._MALLOC_TRIM is None or heap.resident_bytes() is None,
    reason="malloc_trim is glibc's; /proc is Linux's",
)
def test_memory_freed_in_the_middle_of_the_heap_goes_back_to_the_os() -> None:
    # 2 KB objects come from malloc's heap (not pymalloc, not mmap). Keeping one in 50,
    # and the last one, leaves ~98 KB holes that free() alone never returns.
    size = 2048  # a name, not a literal: ``b"x" * 2048`` would be one folded constant
    chunks = [b"x" * size for _ in range(100_000)]
    kept = [*chunks[::50], chunks[-1]]
    del chunks
    release = heap.release_free_heap()
    assert release is not None
    assert release.released_bytes is not None
    assert release.released_bytes >= 100 << 20
    assert 0 <= release.seconds < 5
    assert len(kept) == 2001
