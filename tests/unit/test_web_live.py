"""The live feed reads actor-mentions only while a browser is subscribed."""

from __future__ import annotations

import asyncio

from streams.config import Settings
from streams.web.live import LiveFeed


class _Consumer:
    """Records what the feed asks of its consumer (aiokafka's pause/resume/seek_to_end)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple]] = []

    def pause(self, *tps) -> None:
        self.calls.append(("pause", tps))

    def resume(self, *tps) -> None:
        self.calls.append(("resume", tps))

    async def seek_to_end(self, *tps) -> None:
        self.calls.append(("seek_to_end", tps))


def test_counts_are_fetched_only_while_someone_watches() -> None:
    async def main() -> None:
        feed = LiveFeed(None, Settings())
        feed.reading_counts = True  # as ``run`` leaves it: every partition assigned
        consumer, mentions = _Consumer(), ["actor-mentions-0", "actor-mentions-1"]

        await feed.follow_watchers(consumer, mentions)  # nobody connected
        assert consumer.calls == [("pause", tuple(mentions))]
        await feed.follow_watchers(consumer, mentions)
        assert len(consumer.calls) == 1  # no call per fetch once settled

        queue = feed.subscribe()
        await feed.follow_watchers(consumer, mentions)
        # From the end: a browser gets its counts from the API, then updates from now on.
        assert consumer.calls[1:] == [
            ("seek_to_end", tuple(mentions)),
            ("resume", tuple(mentions)),
        ]
        second = feed.subscribe()
        feed.unsubscribe(queue)
        await feed.follow_watchers(consumer, mentions)
        assert len(consumer.calls) == 3  # one browser still connected

        feed.pending_counts[b"vladimir-putin|1h|0"] = b"{}"
        feed.unsubscribe(second)
        await feed.follow_watchers(consumer, mentions)
        assert consumer.calls[3:] == [("pause", tuple(mentions))]
        assert feed.pending_counts == {}  # nobody to send them to

    asyncio.run(main())
