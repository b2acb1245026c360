"""The worker's HTTP side: query API, Server-Sent Events, dashboard, /metrics.

``register`` is called once from ``streams.app`` with the counting stage's handle.
"""

from __future__ import annotations

from typing import Any

from ..agents.mentions import Mentions
from ..config import Settings


def register(app: Any, settings: Settings, mentions: Mentions) -> Any:
    from . import api
    from .live import LiveFeed

    feed = LiveFeed(app, settings)

    @app.task
    async def live_feed() -> None:
        await feed.run_forever()

    return api.register(app, settings, mentions, feed)
