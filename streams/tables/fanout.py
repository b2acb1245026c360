"""Enriched article → one contribution per counting partition it touches (no I/O).

articles-enriched is keyed by article id, but Faust tables are partition-local,
so counting per actor needs every article's facts about actor ``a`` on the
partition that owns ``a``. The first stage turns each enriched record into one
message per *partition* of the internal topic (the partition Kafka's default
partitioner gives each actor id), holding the article's facts for the actors
that partition owns, plus the article's whole actor list (their partners) and
countries; the second stage counts. One message per partition, not per actor:
an article names ~15 actors, and per-message overhead dominated both stages.

Corrections: a later record with the same article id supersedes the earlier one
(its ``version`` — its articles-enriched offset, monotonic per article because
the topic is keyed by article id — is higher). A partition that the correction
no longer touches must have its contribution withdrawn, which only the first
stage can know, so the first stage keeps, per article, the actors of the version
it last fanned out (``ArticleState``) and sends that partition a message with
no actors (a retraction).

Replays are safe by construction: every message carries the version, and the
counting stage ignores versions it has already applied. When a crash makes the
first stage see a version again, ``prev`` keeps the actors of the version
*before* it, so the retractions are re-sent too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..timeutil import parse_rfc3339

QUOTE_CHARS = 1000  # display copy of a quote kept per actor; the article keeps the whole text


def event_time_ms(record: Mapping[str, Any], record_ts_ms: int | None) -> int | None:
    """Event time: ``published_at`` when present and valid, else the Kafka record timestamp."""
    published = record.get("published_at")
    if isinstance(published, str):
        moment = parse_rfc3339(published)
        if moment is not None:
            return round(moment.timestamp() * 1000)
    return int(record_ts_ms) if record_ts_ms is not None else None


def _actors(record: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Actor id → actor, in order of first mention; malformed entries are ignored."""
    out: dict[str, Mapping[str, Any]] = {}
    for actor in record.get("actors") or ():
        if isinstance(actor, Mapping):
            actor_id = actor.get("id")
            if isinstance(actor_id, str) and actor_id and actor_id not in out:
                out[actor_id] = actor
    return out


def _countries(record: Mapping[str, Any]) -> list[str]:
    topics = record.get("topics")
    if not isinstance(topics, Mapping):
        return []
    codes = {
        c.get("code")
        for c in topics.get("countries") or ()
        if isinstance(c, Mapping) and isinstance(c.get("code"), str) and c.get("code")
    }
    return sorted(codes)  # type: ignore[arg-type]


def _quotes_by_speaker(record: Mapping[str, Any], t_ms: int) -> dict[str, list[dict[str, Any]]]:
    """Speaker actor id → display copies of the quotes attributed to them in this article."""
    out: dict[str, list[dict[str, Any]]] = {}
    for quote in record.get("quotes") or ():
        if not isinstance(quote, Mapping) or not isinstance(quote.get("text"), str):
            continue
        speakers = [s for s in quote.get("speakers") or () if isinstance(s, str) and s]
        if not speakers:
            continue
        text = quote["text"]
        cue = quote.get("cue")
        item = {
            "article": record.get("id"),
            "start": quote.get("start"),
            "text": text[:QUOTE_CHARS],
            "truncated": len(text) > QUOTE_CHARS,
            "direct": bool(quote.get("direct")),
            "cue": cue.get("lemma") if isinstance(cue, Mapping) else None,
            "speakers": speakers,
            "title": record.get("title"),
            "source": record.get("source"),
            "url": record.get("url"),
            "published_at": record.get("published_at"),
            "t": t_ms,
        }
        for speaker in dict.fromkeys(speakers):
            out.setdefault(speaker, []).append(item)
    return out


@dataclass
class FanOut:
    """What the first stage does for one enriched record."""

    # (stage partition, value), one per partition touched, in partition order
    messages: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    state: dict[str, Any] | None = None  # new ArticleState to store (None: store nothing)
    skipped: str | None = None  # why nothing was done: "stale" | "no_event_time"


def fan_out(
    record: Mapping[str, Any],
    version: int,
    record_ts_ms: int | None,
    prev: Mapping[str, Any] | None,
    partition_of: Callable[[str], int],
) -> FanOut:
    """Messages for the counting stage, given the article's previous state ``prev``.

    ``prev`` is ``{"v": version, "actors": [...], "prev": [...]}`` as returned in
    ``FanOut.state`` for an earlier record of the same article (or None). A
    message is ``{"id", "v", "t", "all", "n", "c", "a"}``: article id, version,
    event time, every actor id of the article in order of first mention and
    their names, its countries, and ``a`` = {actor: {"w": mentions, "m": display
    metadata, "q": quotes}} for the actors of that partition — empty in a
    retraction.
    """
    if prev is not None and prev["v"] > version:
        return FanOut(skipped="stale")  # superseded: the later version did everything
    if prev is None:
        before: list[str] = []
    elif prev["v"] == version:
        before = list(prev.get("prev") or [])  # replay of the same record: same retractions
    else:
        before = list(prev.get("actors") or [])

    t_ms = event_time_ms(record, record_ts_ms)
    actors = _actors(record) if t_ms is not None else {}
    if t_ms is None and not before:
        return FanOut(skipped="no_event_time")
    article_id = str(record.get("id"))
    quotes = _quotes_by_speaker(record, t_ms) if t_ms is not None else {}
    local: dict[int, dict[str, Any]] = {}
    for actor_id, actor in actors.items():
        mentions = actor.get("mentions")
        local.setdefault(partition_of(actor_id), {})[actor_id] = {
            "w": len(mentions) if isinstance(mentions, list) and mentions else 1,
            "m": {
                "name": actor.get("name") or actor_id,
                "country": actor.get("country"),
                "type": actor.get("type"),
            },
            "q": quotes.get(actor_id, []),
        }
    out = FanOut()
    every = list(actors)
    names = [str(actors[a].get("name") or a) for a in every]
    countries = _countries(record)
    for partition in sorted(set(local) | {partition_of(a) for a in before}):
        mine = local.get(partition)
        if mine:
            value = {
                "id": article_id,
                "v": version,
                "t": t_ms,
                "all": every,
                "n": names,
                "c": countries,
                "a": mine,
            }
        else:
            value = {"id": article_id, "v": version, "a": {}}
        out.messages.append((partition, value))
    if actors or before:
        out.state = {"v": version, "actors": every, "prev": before, "t": t_ms}
    return out


def actor_ids(records: Iterable[Mapping[str, Any]]) -> set[str]:
    """Every actor id in some records (for tests and tools)."""
    return {a for r in records for a in _actors(r)}
