"""Batch recomputation of every window count from the enriched records themselves.

The reference the streaming tables are tested against. It shares only the
*reading* of a record (event time, actors, countries) with the stream; window
assignment is done independently — every window family by direct enumeration,
24-hour hopping windows included (the stream derives those from hours) — and
corrections by "the highest version of each article id wins".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from .fanout import _actors, _countries, event_time_ms
from .windows import ONE_DAY_HOURLY, ONE_HOUR, ONE_MINUTE

Counts = dict[tuple[Any, ...], list[int]]  # count key → [articles, mentions]


def recompute(records: Iterable[tuple[Mapping[str, Any], int, int | None]]) -> Counts:
    """Counts from ``(record, version, record_timestamp_ms)`` triples, in any order.

    Keys are the stream's count keys (``("a", actor, "1h", start)`` …) plus the
    derived ``"24h"`` windows, which the stream never stores.
    """
    latest: dict[str, tuple[int, Mapping[str, Any], int | None]] = {}
    for record, version, ts in records:
        article = str(record.get("id"))
        if article not in latest or version > latest[article][0]:
            latest[article] = (version, record, ts)

    counts: Counts = defaultdict(lambda: [0, 0])

    def add(key: tuple[Any, ...], w: int) -> None:
        acc = counts[key]
        acc[0] += 1
        acc[1] += w

    for _version, record, ts in latest.values():
        t = event_time_ms(record, ts)
        if t is None:
            continue
        actors = _actors(record)
        countries = _countries(record)
        for actor_id, actor in actors.items():
            mentions = actor.get("mentions")
            w = len(mentions) if isinstance(mentions, list) and mentions else 1
            for spec in (ONE_MINUTE, ONE_HOUR, ONE_DAY_HOURLY):
                for start in spec.starts(t):
                    add(("a", actor_id, spec.name, start), w)
            for spec in (ONE_HOUR, ONE_DAY_HOURLY):
                for start in spec.starts(t):
                    for partner in actors:
                        if partner != actor_id:
                            add(("p", actor_id, partner, spec.name, start), w)
                    for country in countries:
                        add(("x", actor_id, country, spec.name, start), w)
    return dict(counts)
