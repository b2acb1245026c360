"""Long synchronous work on the event loop, cut into turns so other agents keep moving.

One worker's agents share one event loop. A step that computes for half a second
without an ``await`` that suspends (the counting stage's batch: apply, window
updates, thousands of sends into the producer's buffer, none of which waits) holds
every other agent for that long: the story hop and the alerts of a split
deployment wait behind it. ``Turns.take`` is called between units of such work and
yields to the loop once ``budget`` seconds have passed since the last yield, so the
loop is held for about ``budget`` at a time whatever the batch's size.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Turns:
    """Yields to the event loop at most every ``budget`` seconds of the caller's work."""

    def __init__(
        self, budget: float = 0.05, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.budget = budget
        self._clock = clock
        self._since = clock()

    async def take(self) -> None:
        """Let other tasks run if this one has had the loop for ``budget`` seconds."""
        if self._clock() - self._since < self.budget:
            return
        await asyncio.sleep(0)
        self._since = self._clock()
