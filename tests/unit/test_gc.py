"""The worker's heap after start-up: frozen out of collection, collections timed."""

from __future__ import annotations

import asyncio
import gc
import weakref

from streams import metrics
from streams.heap import FreezeWhenSettled, freeze_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_freezing_collects_garbage_first_and_keeps_the_live_objects_out() -> None:
    kept = _Node()
    garbage = _Node()
    gone = weakref.ref(garbage)
    del garbage
    try:
        frozen = freeze_heap()
        # Frozen objects are still freed by reference counting, and threads other
        # tests left running may drop some at any time: the count can only fall.
        assert 0 < gc.get_freeze_count() <= frozen
        assert gone() is None  # collected, not frozen for good
        assert not any(o is kept for o in gc.get_objects())  # out of every generation
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())


def test_freezing_again_collects_cycles_that_died_while_frozen() -> None:
    node = _Node()
    gone = weakref.ref(node)
    try:
        freeze_heap()
        del node  # a cycle frozen alive, garbage now: no collection sees it while frozen
        gc.collect()
        assert gone() is not None
        freeze_heap()
        assert gone() is None
    finally:
        gc.unfreeze()


def test_a_burst_of_requests_freezes_once_after_the_last() -> None:
    frozen: list[int] = []

    async def burst() -> None:
        freezer = FreezeWhenSettled(frozen.append, delay=0.05)
        freezer.request()
        await asyncio.sleep(0.03)
        freezer.request()  # pushes the freeze back
        await asyncio.sleep(0.03)
        assert frozen == []
        freezer.request()
        await asyncio.sleep(0.1)
        assert len(frozen) == 1
        freezer.request()  # a later recovery freezes again
        await asyncio.sleep(0.1)

    try:
        asyncio.run(burst())
    finally:
        gc.unfreeze()
    assert len(frozen) == 2 and frozen[0] > 0


def test_collections_are_timed_by_generation_once() -> None:
    def count(generation: str) -> float:
        value = metrics.REGISTRY.get_sample_value(
            "wirewatch_gc_pause_seconds_count", {"generation": generation}
        )
        return value or 0.0

    before = {g: count(g) for g in ("0", "2")}
    try:
        metrics.watch_gc()
        metrics.watch_gc()
        assert sum(isinstance(cb, metrics._GCTimer) for cb in gc.callbacks) == 1
        gc.collect(0)
        gc.collect()
        # At least: allocations here may trigger a young collection of their own.
        assert count("0") >= before["0"] + 1
        assert count("2") >= before["2"] + 1
        timed = count("2")
    finally:
        gc.callbacks[:] = [cb for cb in gc.callbacks if not isinstance(cb, metrics._GCTimer)]
    gc.collect()
    assert count("2") == timed  # no longer timed
