"""HTTP views: the query API, Server-Sent Events, /healthz, /metrics and the dashboard.

Faust web views on the worker's own server (aiohttp). JSON is orjson. Questions
about one actor are answered by the worker that owns the actor (forwarded when
it is another one); rankings are gathered from every worker and merged. "Now"
is event time: the newest watermark among the workers, unless ``at`` says.
See README "Query API" and ``streams/web/openapi.yaml``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web as aioweb

from .. import metrics
from ..agents.mentions import Mentions, update_gauges
from ..config import Settings
from ..tables import queries
from ..tables.windows import WindowSpec, iso, parse_window
from ..timeutil import parse_rfc3339
from . import auth
from .cluster import LOCAL, Cluster, PeerError
from .live import LiveFeed, sse_frame

STATIC = Path(__file__).resolve().parent / "static"
OPENAPI = Path(__file__).resolve().parent / "openapi.yaml"
MAX_LIMIT = 500
KEEPALIVE_S = 15.0


class BadRequest(ValueError):
    """A query parameter the API cannot use (answered with 400)."""


def _limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("limit must be an integer") from None
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    return value


def _instant(query: Mapping[str, str], name: str) -> int | None:
    """An instant given as epoch milliseconds or RFC 3339."""
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lstrip("-").isdigit():
        return int(raw)
    moment = parse_rfc3339(raw)
    if moment is None:
        raise BadRequest(f"{name} must be epoch milliseconds or an RFC 3339 timestamp")
    return round(moment.timestamp() * 1000)


def _window(query: Mapping[str, str], allowed: tuple[str, ...] | None = None) -> WindowSpec:
    try:
        spec = parse_window(query.get("window", "1h"))
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    if allowed is not None and spec.name not in allowed:
        raise BadRequest(f"window must be one of {', '.join(allowed)} here")
    return spec


def _start(query: Mapping[str, str], spec: WindowSpec, now: int) -> int:
    start = _instant(query, "start")
    if start is None:
        return queries.default_start(spec, now)
    if start % spec.step_ms:
        raise BadRequest(f"start must be on a {spec.step_ms // 1000}s boundary for {spec.name}")
    return start


class Api:
    """The handlers' shared context; one per worker."""

    def __init__(
        self, app: Any, settings: Settings, mentions: Mentions, feed: LiveFeed, cluster: Cluster
    ) -> None:
        self.app = app
        self.settings = settings
        self.mentions = mentions
        self.feed = feed
        self.cluster = cluster

    @property
    def state(self):
        return self.mentions.state

    async def now(self, query: Mapping[str, str]) -> int | None:
        """``at``, else the newest watermark of this worker (scope=local) or of all workers."""
        at = _instant(query, "at")
        if at is not None:
            return at
        local = self.state.watermark()
        if query.get("scope") == LOCAL:
            return local
        answers = await self.cluster.gather("/api/watermark", {})
        return queries.pick_now([local, *(a.get("watermark_ms") for a in answers)])

    async def gather_items(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]]:
        answers = await self.cluster.gather(path, params)
        return [item for body in answers for item in body.get("items", [])]


def _json(view: Any, body: Any, status: int = 200) -> Any:
    return view.bytes(
        orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        content_type="application/json",
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def _guarded(fun):
    """Turn BadRequest / PeerError / missing assignment into JSON errors."""

    async def view(self, request, **kwargs):
        try:
            return await fun(self, request, **kwargs)
        except BadRequest as exc:
            return _json(self, {"error": "bad_request", "detail": str(exc)}, 400)
        except PeerError as exc:
            return _json(self, {"error": "peer_unavailable", "detail": str(exc)}, 502)
        except KeyError:
            return _json(self, {"error": "not_ready", "detail": "partitions not assigned"}, 503)

    view.__name__ = fun.__name__
    view.__doc__ = fun.__doc__
    return view


def register(app: Any, settings: Settings, mentions: Mentions, feed: LiveFeed) -> Api:
    """Mount every view on the worker's web server."""
    auth.check_web_settings(settings)
    app.conf.web_tables_enabled = False  # Faust's /table/ would serve raw table contents
    if settings.web_url:
        app.conf.canonical_url = settings.web_url
    elif settings.web_host not in ("0.0.0.0", "::", ""):
        host = f"[{settings.web_host}]" if ":" in settings.web_host else settings.web_host
        app.conf.canonical_url = f"http://{host}:{settings.web_port}"
    app.web.web_app.middlewares.append(auth.middleware(settings))
    api = Api(
        app, settings, mentions, feed, Cluster(app, mentions.changelog_topic, settings.web_token)
    )
    index_html = (STATIC / "index.html").read_bytes()

    def ready_or_503(view: Any) -> Any | None:
        if not api.mentions.ready:
            return _json(view, {"error": "not_ready", "detail": "tables are recovering"}, 503)
        return None

    # Registration order matters: aiohttp matches "/api/actors/top" before "/api/actors/{id}".
    @app.page("/api/actors/top", name="actors_top")
    @_guarded
    async def actors_top(self, request):
        """Actors with the most articles in a window (optionally about one country)."""
        query = request.query
        spec, limit = _window(query), _limit(query, 20)
        country = query.get("country") or None
        if (busy := ready_or_503(self)) is not None:
            return busy
        now = await api.now(query)
        if now is None:
            return _json(self, {"window": spec.name, "watermark": None, "items": []})
        start = _start(query, spec, now)
        items = queries.top_actors(api.state, spec, start, limit, country)
        if query.get("scope") != LOCAL:
            params = {"window": spec.name, "limit": str(limit), "start": str(start)}
            if country:
                params["country"] = country
            items = queries.merge_top(items + await api.gather_items(request.path, params), limit)
        return _json(
            self,
            {
                "window": spec.name,
                "start": iso(start),
                "end": iso(spec.end(start)),
                "country": country,
                "watermark": iso(now),
                "items": items,
            },
        )

    @app.page("/api/actors/{actor_id}", name="actor_detail")
    @_guarded
    async def actor_detail(self, request, actor_id):
        """Counts, timeline, partners, countries and latest quotes of one actor."""
        query = request.query
        points = _limit({"limit": query.get("points", "48")}, 48)
        if query.get("scope") != LOCAL:
            owner = api.cluster.owner(actor_id)
            if owner is not None:
                status, body = await api.cluster.get(owner, request.path, dict(query))
                return _json(self, body, status)
        if (busy := ready_or_503(self)) is not None:
            return busy
        now = _instant(query, "at") or api.state.watermark()
        detail = queries.actor_detail(api.state, actor_id, now, points) if now else None
        if detail is None:
            return _json(self, {"error": "not_found", "detail": "no mentions of this actor"}, 404)
        return _json(self, detail)

    @app.page("/api/pairs/top", name="pairs_top")
    @_guarded
    async def pairs_top(self, request):
        """Actor pairs mentioned together in the most articles of a window."""
        query = request.query
        spec, limit = _window(query, ("1h", "24h")), _limit(query, 20)
        if (busy := ready_or_503(self)) is not None:
            return busy
        now = await api.now(query)
        if now is None:
            return _json(self, {"window": spec.name, "watermark": None, "items": []})
        start = _start(query, spec, now)
        rows = queries.top_pairs(api.state, spec, start, limit)
        if query.get("scope") == LOCAL:
            return _json(self, {"items": rows})
        params = {"window": spec.name, "limit": str(limit), "start": str(start)}
        rows += await api.gather_items(request.path, params)
        items = queries.merge_pairs(rows, spec, start, limit)
        body = {"window": spec.name, "start": iso(start), "end": iso(spec.end(start))}
        return _json(self, {**body, "watermark": iso(now), "items": items})

    @app.page("/api/trending", name="trending")
    @_guarded
    async def trending(self, request):
        """Actors whose last hour stands out most against their previous 24 hours."""
        query = request.query
        limit = _limit(query, 20)
        if (busy := ready_or_503(self)) is not None:
            return busy
        now = await api.now(query)
        if now is None:
            return _json(self, {"watermark": None, "items": []})
        items = queries.trending(api.state, now, limit)
        if query.get("scope") != LOCAL:
            params = {"limit": str(limit), "at": str(now)}
            items = queries.merge_trending(
                items + await api.gather_items(request.path, params), limit
            )
        return _json(self, {"watermark": iso(now), "items": items})

    @app.page("/api/watermark", name="watermark")
    @_guarded
    async def watermark(self, request):
        """This worker's event-time watermark (used by the others to agree on "now")."""
        wm = api.state.watermark()
        return _json(self, {"watermark_ms": wm, "watermark": iso(wm) if wm is not None else None})

    @app.page("/api/alerts/recent", name="alerts_recent")
    @_guarded
    async def alerts_recent(self, request):
        """The latest version of the most recent alerts, newest first."""
        limit = _limit(request.query, 50)
        return _json(self, {"items": api.feed.recent_alerts(limit)})

    @app.page("/api/statements/recent", name="statements_recent")
    @_guarded
    async def statements_recent(self, request):
        """The latest attributed quotes, newest (event time) first; ``actor`` filters."""
        query = request.query
        limit = _limit(query, 50)
        items = api.feed.recent_statements(limit, actor=query.get("actor") or None)
        return _json(self, {"items": items})

    @app.page("/api/stream", name="stream")
    async def stream(self, request):
        """Server-Sent Events: ``alert``, ``statement``, ``counts`` (batched), ``hello``."""
        response = aioweb.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                **auth.SECURITY_HEADERS,
            }
        )
        await response.prepare(request)
        queue = api.feed.subscribe()
        try:
            wm = api.state.watermark()
            hello = {"watermark": iso(wm) if wm is not None else None}
            await response.write(b"retry: 3000\n\n" + sse_frame("hello", orjson.dumps(hello)))
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
                except TimeoutError:
                    frame = b": keep-alive\n\n"
                if frame is None:
                    break
                await response.write(frame)
        except ConnectionResetError:
            pass
        finally:
            api.feed.unsubscribe(queue)
        with contextlib.suppress(ConnectionResetError, RuntimeError):
            await response.write_eof()
        return response

    @app.page("/healthz", name="healthz")
    async def healthz(self, request):
        """Liveness and readiness (never needs the token)."""
        wm = api.state.watermark()
        return _json(
            self,
            {
                "status": "ok",
                "tables_ready": api.mentions.ready,
                "live_feed_ready": api.feed.ready,
                "partitions": sorted(api.mentions.active),
                "watermark": iso(wm) if wm is not None else None,
                "url": str(app.conf.canonical_url),
            },
        )

    @app.page("/metrics", name="metrics")
    async def metrics_view(self, request):
        """Prometheus text exposition."""
        await update_gauges(app, api.mentions, lag=False)  # lag: the 5 s timer's job
        body, content_type = metrics.exposition()
        return aioweb.Response(body=body, headers={"Content-Type": content_type})

    @app.page("/api/openapi.yaml", name="openapi")
    async def openapi(self, request):
        """This API, described."""
        return self.bytes(OPENAPI.read_bytes(), content_type="application/yaml")

    @app.page("/", name="dashboard")
    async def dashboard(self, request):
        """The dashboard page (its scripts and styles are under /static/)."""
        return aioweb.Response(
            body=index_html,
            headers={"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache"},
        )

    async def _close_streams(_web_app: Any) -> None:
        api.feed.close_clients()  # else the server waits for every SSE client to leave

    app.web.web_app.on_shutdown.append(_close_streams)
    app.web.add_static("/static/", STATIC)
    return api
