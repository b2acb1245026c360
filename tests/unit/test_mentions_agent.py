"""The counting agent's batching comes from the settings (``mentions_batch_*``).

The batch is what coalesces: every window a batch changes is published once, so its
time bound decides how many ``actor-mentions`` records a backlog costs. What the
counting does with a batch is tested on outcomes in test_tables.py and the
integration tests; this guards that the agent batches as configured.
"""

from __future__ import annotations

import asyncio
from typing import Any

from streams.app import create_app
from streams.config import load_settings


class RecordingStream:
    """Stands in for the agent's stream: records how it is asked to batch, yields nothing."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def take_events(self, *args: Any, **kwargs: Any):
        self.calls.append(args + tuple(kwargs.values()))
        return self._empty()

    async def _empty(self):
        return
        yield


def test_the_counting_agent_batches_by_the_configured_size_and_time(tmp_path) -> None:
    env = {"WIREWATCH_MENTIONS_BATCH_SIZE": "123", "WIREWATCH_MENTIONS_BATCH_WITHIN": "2.5"}
    app = create_app(load_settings(env=env, home=tmp_path, app_id="mentions-agent-test"))
    agent = app.agents["mentions-count"]
    stream = RecordingStream()
    asyncio.run(agent.fun(stream))
    assert stream.calls == [(123, 2.5)]
