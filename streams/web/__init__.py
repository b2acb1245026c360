"""The worker's HTTP side: query API, Server-Sent Events, dashboard, /metrics.

``register`` is called once from ``streams.app`` with the counting stage's handle;
an enrich-only worker (no tables to query) gets ``register_enrich`` instead.
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


def register_enrich(app: Any, settings: Settings) -> None:
    """/metrics and /healthz of an enrich-only worker, and its consumer-lag gauges.

    The same access rule as the full API: loopback, or ``web_token`` (/healthz open).
    """
    from aiohttp import web as aioweb

    from .. import metrics
    from ..agents.mentions import update_gauges
    from ..topics import RAW_ARTICLES
    from . import auth

    auth.check_web_settings(settings)
    app.conf.web_tables_enabled = False
    app.web.web_app.middlewares.append(auth.middleware(settings))

    @app.timer(5.0)
    async def _gauges() -> None:
        await update_gauges(app, None)

    @app.page("/metrics", name="metrics")
    async def metrics_view(self, request):
        """Prometheus text exposition."""
        body, content_type = metrics.exposition()
        return aioweb.Response(body=body, headers={"Content-Type": content_type})

    @app.page("/healthz", name="healthz")
    async def healthz(self, request):
        """Liveness, and the raw-articles partitions it enriches (needs no token)."""
        raw = RAW_ARTICLES.name(settings)
        assigned = sorted(tp.partition for tp in app.consumer.assignment() if tp.topic == raw)
        return self.json({"status": "ok", "role": "enrich", "partitions": assigned})
