"""Which worker answers what: per-actor routing and scatter-gather for rankings.

Each worker holds the counts of the actors on its partitions of mentions-stage
(an actor's partition is murmur2 of its id, as Kafka's default partitioner
computes it). Faust's partition assignor tells every worker which web URL owns
which changelog partition; a question about one actor is forwarded to that URL,
and a ranking asks every worker for its local answer (``scope=local``) and merges.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import orjson
from yarl import URL

log = logging.getLogger(__name__)

LOCAL = "local"
TIMEOUT_S = 10.0


class PeerError(RuntimeError):
    """Another worker could not answer."""


def url_ident(url: URL | str) -> tuple[str, int]:
    u = URL(str(url))
    return (u.host or "", int(u.port or 80))


class Cluster:
    def __init__(self, app: Any, changelog_topic: str, token: str | None) -> None:
        self.app = app
        self.changelog_topic = changelog_topic
        self.token = token

    @property
    def me(self) -> tuple[str, int]:
        return url_ident(self.app.conf.canonical_url)

    def owner(self, actor: str) -> URL | None:
        """The URL of the worker owning ``actor``, None when it is this worker.

        Raises KeyError while no assignment is known (before the first rebalance).
        """
        url = self.app.assignor.key_store(self.changelog_topic, actor.encode())
        return None if url_ident(url) == self.me else URL(str(url))

    def peers(self) -> list[URL]:
        """Every other worker holding partitions of the actor tables."""
        out = []
        for host, topics in self.app.assignor.tables_metadata().items():
            if self.changelog_topic in topics and url_ident(host) != self.me:
                out.append(URL(str(host)))
        return out

    async def get(self, base: URL, path: str, params: Mapping[str, str]) -> Any:
        """GET ``path`` on another worker with ``scope=local``; its JSON body."""
        url = base.with_path(path).with_query({**params, "scope": LOCAL})
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            async with asyncio.timeout(TIMEOUT_S):
                async with self.app.http_client.get(url, headers=headers) as resp:
                    body = await resp.read()
                    if resp.status >= 500:
                        raise PeerError(f"{base} answered {resp.status}")
                    return resp.status, orjson.loads(body)
        except (OSError, TimeoutError, orjson.JSONDecodeError) as exc:
            raise PeerError(f"{base} did not answer: {type(exc).__name__}") from None

    async def gather(self, path: str, params: Mapping[str, str]) -> list[Any]:
        """The JSON answers of every peer (raises PeerError if one fails)."""
        answers = await asyncio.gather(*(self.get(p, path, params) for p in self.peers()))
        return [body for _status, body in answers]
