"""Synthetic enriched articles for replay tests, demos and benchmarks of the actor tables.

Deterministic for a seed. The stream is hostile on purpose: timestamps bunch on
and around minute and hour edges and arrive out of order, some articles have no
``published_at`` (event time is then the Kafka timestamp), some are delivered
twice, some are corrected later (other actors, another time).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from .windows import HOUR_MS, MINUTE_MS, iso

ACTORS = [
    ("vladimir-putin", "Vladimir Putin", "RU", "person"),
    ("donald-trump", "Donald Trump", "US", "person"),
    ("bashar-al-assad", "Bashar al-Assad", "SY", "person"),
    ("united-nations", "United Nations", None, "igo"),
    ("russia-government", "Russia (government)", "RU", "government"),
    ("united-states-government", "United States (government)", "US", "government"),
    ("staffan-de-mistura", "Staffan de Mistura", None, "person"),
    ("sergey-lavrov", "Sergey Lavrov", "RU", "person"),
    ("rex-tillerson", "Rex Tillerson", "US", "person"),
    ("islamic-state", "Islamic State", None, "armed_group"),
    ("emmanuel-macron", "Emmanuel Macron", "FR", "person"),
    ("angela-merkel", "Angela Merkel", "DE", "person"),
    ("person:jane-doe", "Jane Doe", None, "person"),
    ("recep-tayyip-erdogan", "Recep Tayyip Erdoğan", "TR", "person"),
    ("xi-jinping", "Xi Jinping", "CN", "person"),
]
COUNTRIES = ["SYR", "RUS", "USA", "FRA", "TUR", "IRQ"]
OUTLETS = ["AFP", "Reuters", "AP", "Le Monde", "BBC"]


@dataclass(frozen=True)
class Published:
    """One record to produce to articles-enriched, in production order."""

    record: dict[str, Any]
    timestamp_ms: int  # the Kafka record timestamp (raw-article time)


def _record(
    rng: random.Random, article_id: str, t_ms: int, with_published: bool, actors: list[tuple]
) -> dict[str, Any]:
    text = "Synthetic article " + article_id
    quotes = []
    if actors and rng.random() < 0.3:
        speaker = actors[0][0]
        quotes.append(
            {
                "text": f"Statement {article_id} by {actors[0][1]}",
                "start": 0,
                "end": 10,
                "direct": rng.random() < 0.5,
                "speakers": [speaker],
                "cue": {"start": 0, "end": 3, "text": "said", "lemma": "say"},
                "confidence": 0.9,
            }
        )
    return {
        "id": article_id,
        "language": "en",
        "title": f"Title {article_id}",
        "source": rng.choice(OUTLETS),
        "url": f"https://example.org/{article_id}",
        "published_at": iso(t_ms) if with_published else None,
        "text": text,
        "entities": [],
        "actors": [
            {
                "id": actor_id,
                "name": name,
                "type": kind,
                "country": country,
                "mentions": [{"start": 0, "end": 1, "text": "x", "kind": "name", "confidence": 1.0}]
                * rng.randint(1, 4),
            }
            for actor_id, name, country, kind in actors
        ],
        "topics": {
            "countries": [{"code": c} for c in rng.sample(COUNTRIES, rng.randint(0, 2))],
            "themes": [],
        },
        "quotes": quotes,
        "provenance": {"pipeline": "synthetic", "wirewatch_version": "test", "models": {}},
    }


def articles(
    seed: int, count: int, start_ms: int, hours: int, prefix: str = "syn"
) -> list[Published]:
    """``count`` articles (plus duplicates and corrections) over ``hours`` hours from start_ms.

    Event times are shuffled: the stream is never in event-time order, but every
    event lies within ``hours`` of every other, so an allowed lateness of at
    least ``hours`` makes none of them late.
    """
    rng = random.Random(seed)
    out: list[Published] = []
    weights = [1 / (i + 1) for i in range(len(ACTORS))]  # a few actors dominate, like news
    for i in range(count):
        hour = rng.randrange(hours)
        edge = rng.choice([0, 1, -1, MINUTE_MS, MINUTE_MS - 1, 30 * MINUTE_MS, HOUR_MS - 1])
        t = start_ms + hour * HOUR_MS + edge + rng.choice([0, 0, rng.randrange(HOUR_MS)])
        t = min(max(t, start_ms), start_ms + hours * HOUR_MS - 1)
        chosen = list(dict.fromkeys(rng.choices(ACTORS, weights, k=rng.randint(0, 4))))
        with_published = rng.random() < 0.85
        article_id = f"{prefix}-{i}"
        record = _record(rng, article_id, t, with_published, chosen)
        out.append(Published(record, t))
        if rng.random() < 0.05:  # delivered twice, identically
            out.append(Published(record, t))
        if rng.random() < 0.05:  # corrected: other actors, maybe another time
            shift = rng.choice([0, -HOUR_MS, MINUTE_MS, 2 * HOUR_MS])
            t2 = min(max(t + shift, start_ms), start_ms + hours * HOUR_MS - 1)
            chosen2 = list(dict.fromkeys(rng.choices(ACTORS, weights, k=rng.randint(0, 3))))
            out.append(Published(_record(rng, article_id, t2, with_published, chosen2), t2))
    # Out of order, but every version of an article after the one before it.
    by_article: dict[str, list[Published]] = {}
    for item in out:
        by_article.setdefault(item.record["id"], []).append(item)
    queues = list(by_article.values())
    result: list[Published] = []
    while queues:
        k = rng.randrange(len(queues))
        result.append(queues[k].pop(0))
        if not queues[k]:
            queues[k] = queues[-1]
            queues.pop()
    return result
