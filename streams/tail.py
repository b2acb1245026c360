"""``wirewatch tail``: a topic's messages as JSON lines, for people and shell pipes."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import orjson

from .config import Settings
from .kafka_clients import consumer
from .topics import ALL_TOPICS


def resolve_topic(settings: Settings, name: str) -> str:
    """Accept the short name ("articles-enriched") or the full, prefixed one."""
    bases = {spec.base for spec in ALL_TOPICS}
    return settings.topic(name) if name in bases else name


def _value(raw: bytes | None) -> object:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(raw).decode("ascii")}


def tail_topic(
    settings: Settings,
    name: str,
    max_messages: int | None = None,
    timeout: float | None = None,
    from_latest: bool = False,
) -> Iterator[str]:
    topic = resolve_topic(settings, name)
    cons = consumer(
        settings,
        topic,
        auto_offset_reset="latest" if from_latest else "earliest",
        consumer_timeout_ms=int(timeout * 1000) if timeout else float("inf"),
    )
    seen = 0
    try:
        for msg in cons:
            value = _value(msg.value)
            yield orjson.dumps(value).decode() if not isinstance(value, str) else value
            seen += 1
            if max_messages is not None and seen >= max_messages:
                return
    finally:
        cons.close()
