"""One alert's state + one ``Match`` → the next state and what (if anything) to publish.

This is the whole alert life cycle as a pure function, ``decide``; the alert agent
stores the state in a changelog-backed Faust table keyed by ``alert_id`` and publishes
what ``decide`` says. Rules of the life cycle:

* **One alert per (rule, subject)**: the first qualifying match fires version 1; later
  articles update it (same ``alert_id``, ``version`` + 1, sources, last_seen).
* **Windows, in event time**: a windowed rule fires only when ≥ N distinct sources (or
  articles) matched within T of each other, by the articles' own timestamps — replaying
  a day of news gives the same alerts as living through it.
* **Never twice for one article**: every article counted is remembered (``seen``). A
  redelivery of the very input that produced the latest version re-publishes that
  identical record (so a crash between the state write and the send cannot lose it;
  consumers dedup on ``alert_id`` + ``version``); any other repeat is ignored.
* **Cool-down**: after a version is published, articles within ``cooldown`` (event time)
  that add no new source are folded in silently and go out with the next version; a
  new independent source is always published at once — confirmation is news.
* **Forgetting**: ``expire`` shrinks an alert idle for ``ttl`` to a tombstone that keeps
  its last version, so a story that comes back continues at version + 1 instead of
  re-using a version number consumers have already seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import __version__
from ..timeutil import to_rfc3339
from .matching import Match
from .rules import Rule, Window

STATE_FORMAT = 1
MAX_SEEN = 2000  # article ids remembered per alert for dedup
MAX_ARTICLES = 50  # article summaries carried in the alert record
MAX_PENDING = 50  # matches kept while a window is not yet met
MAX_ACTORS = 25
MAX_CODES = 30


@dataclass(frozen=True)
class Decision:
    state: dict[str, Any] | None  # the state to store (None: store nothing)
    publish: dict[str, Any] | None  # the alert record to publish (None: nothing)
    reason: str  # fired | updated | republished | duplicate_article | window_not_met | cooldown


def _iso(ms: int) -> str:
    return to_rfc3339(datetime.fromtimestamp(ms / 1000, UTC))


def window_members(
    entries: list[Mapping[str, Any]], now_t: int, window: Window
) -> list[Mapping[str, Any]] | None:
    """Entries of the first window of length ``within`` that holds ``now_t`` and is met.

    ``entries`` are ``{"article": {id, source_key, t}}`` matches (the current one
    included). Exact sliding window in event time: every window start between
    ``now_t - within`` and ``now_t`` that is an entry's time is tried.
    """
    within = int(window.within_s * 1000)
    near = [e for e in entries if abs(e["article"]["t"] - now_t) <= within]
    starts = sorted(
        {e["article"]["t"] for e in near if now_t - within <= e["article"]["t"] <= now_t}
    )
    for start in starts:
        members = [e for e in near if start <= e["article"]["t"] <= start + within]
        key = "source_key" if window.count == "sources" else "id"
        if len({e["article"][key] for e in members}) >= window.at_least:
            return sorted(members, key=lambda e: (e["article"]["t"], e["article"]["id"]))
    return None


def new_state(match: Match, partition: int | None, tombstone: Mapping[str, Any] | None) -> dict:
    return {
        "format": STATE_FORMAT,
        "alert_id": match.alert_id,
        "rule_id": match.rule_id,
        "subject": match.subject,
        "partition": partition,
        "fired": False,
        "version": int((tombstone or {}).get("version", 0)),
        "seen": [],
        "pending": [],
        "draft": None,
        "alert": None,
        "published_t": None,
        "published_sources": [],
        "last_input": None,
        "last_t": match.article["t"],
    }


def decide(
    state: Mapping[str, Any] | None,
    match: Match,
    rule: Rule,
    *,
    input_ref: tuple[int, int] | None,
    emitted_at: str,
) -> Decision:
    """The life-cycle step for one match (see the module docstring). Pure."""
    partition = input_ref[0] if input_ref else None
    if state is None or state.get("tombstone"):
        st = new_state(match, partition, state)
    else:
        st = _copy(state)
    article = match.article
    ref = list(input_ref) if input_ref else None

    if article["id"] in st["seen"]:
        if st["alert"] is not None and ref is not None and st["last_input"] == ref:
            return Decision(None, st["alert"], "republished")
        return Decision(None, None, "duplicate_article")

    st["seen"] = (st["seen"] + [article["id"]])[-MAX_SEEN:]
    st["last_t"] = max(st.get("last_t") or 0, article["t"])
    entry = match.to_record()

    if not st["fired"]:
        members: list[Mapping[str, Any]] | None = [entry]
        if rule.window is not None:
            st["pending"] = _prune_pending(st["pending"] + [entry], st["last_t"], rule.window)
            if window_members(st["pending"], article["t"], rule.window) is None:
                return Decision(st, None, "window_not_met")
            # The alert carries every pending match near the confirming one, not only the
            # first window found: they are all reports of the same thing.
            within = int(rule.window.within_s * 1000)
            members = sorted(
                (p for p in st["pending"] if abs(p["article"]["t"] - article["t"]) <= within),
                key=lambda p: (p["article"]["t"], p["article"]["id"]),
            )
        st["fired"] = True
        st["pending"] = []
        for m in members:
            st["draft"] = _fold(st["draft"], m)
        return _publish(st, rule, ref, article["t"], emitted_at, "fired")

    st["draft"] = _fold(st["draft"], entry)
    is_new_source = article["source_key"] not in st["published_sources"]
    published_t = st["published_t"] if st["published_t"] is not None else article["t"]
    cooled = article["t"] - published_t >= rule.cooldown_s * 1000
    if rule.cooldown_s <= 0 or is_new_source or cooled:
        return _publish(st, rule, ref, article["t"], emitted_at, "updated")
    return Decision(st, None, "cooldown")


def _copy(state: Mapping[str, Any]) -> dict[str, Any]:
    """A copy deep enough that ``decide`` never mutates what the table holds."""
    out = dict(state)
    for key in ("seen", "pending", "published_sources"):
        out[key] = list(state.get(key) or [])
    if state.get("draft") is not None:
        out["draft"] = {
            k: (list(v) if isinstance(v, list) else v) for k, v in state["draft"].items()
        }
    return out


def _prune_pending(pending: list[dict], last_t: int, window: Window) -> list[dict]:
    """Drop matches too old to share a window with anything to come (lateness = within)."""
    horizon = last_t - 2 * int(window.within_s * 1000)
    kept = [p for p in pending if p["article"]["t"] >= horizon]
    return kept[-MAX_PENDING:]


def _union(old: list, new: list, key=None, limit: int = MAX_CODES) -> list:
    seen = {key(x) if key else x for x in old}
    out = list(old)
    for x in new:
        k = key(x) if key else x
        if k not in seen:
            seen.add(k)
            out.append(x)
    return out[:limit]


def _fold(draft: Mapping[str, Any] | None, match: Mapping[str, Any]) -> dict[str, Any]:
    """Merge one match into the alert being built (first statement and title win)."""
    art = match["article"]
    summary = {
        "id": art["id"],
        "source": art.get("source"),
        "url": art.get("url"),
        "title": art.get("title"),
        "language": art.get("language"),
        "published": _iso(art["t"]),
        "t": art["t"],
        "source_key": art["source_key"],
    }
    if draft is None:
        return {
            "title": dict(match["title"]),
            "language": art.get("language"),
            "statement": match.get("statement"),
            "actors": list(match.get("actors") or [])[:MAX_ACTORS],
            "evidence_actors": list(match.get("evidence_actors") or []),
            "event_codes": list(match.get("event_codes") or []),
            "event_roots": list(match.get("event_roots") or []),
            "topics": list(match.get("topics") or []),
            "articles": [summary],
            "articles_count": 1,
            "sources": {art["source_key"]: art.get("source") or art["source_key"]},
            "first_t": art["t"],
            "last_t": art["t"],
        }
    d = dict(draft)
    d["statement"] = d.get("statement") or match.get("statement")
    d["actors"] = _union(
        d["actors"], match.get("actors") or [], key=lambda a: a["id"], limit=MAX_ACTORS
    )
    d["evidence_actors"] = _union(d["evidence_actors"], match.get("evidence_actors") or [])
    d["event_codes"] = _union(d["event_codes"], match.get("event_codes") or [])
    d["event_roots"] = _union(d["event_roots"], match.get("event_roots") or [])
    d["topics"] = _union(d["topics"], match.get("topics") or [])
    articles = sorted([*d["articles"], summary], key=lambda a: (a["t"], a["id"]))
    d["articles"] = articles[-MAX_ARTICLES:]
    d["articles_count"] = int(d.get("articles_count", len(draft["articles"]))) + 1
    d["sources"] = {**d["sources"], art["source_key"]: art.get("source") or art["source_key"]}
    d["first_t"] = min(d["first_t"], art["t"])
    d["last_t"] = max(d["last_t"], art["t"])
    return d


def _publish(
    st: dict[str, Any], rule: Rule, ref: list[int] | None, t: int, emitted_at: str, reason: str
) -> Decision:
    st["version"] = int(st["version"]) + 1
    st["alert"] = alert_record(st, rule, emitted_at)
    st["published_t"] = t
    st["published_sources"] = list(st["draft"]["sources"])
    st["last_input"] = ref
    return Decision(st, st["alert"], reason)


def labels_for(st: Mapping[str, Any], rule: Rule) -> dict[str, str]:
    """Grouping labels, fixed when the alert first fires (a changing label set would make
    Alertmanager see a different alert)."""
    draft = st["draft"]
    return {
        "rule": rule.id,
        "severity": rule.severity,
        "actors": ",".join(sorted(draft["evidence_actors"])[:6]),
        "topic": draft["topics"][0] if draft["topics"] else "",
    }


def alert_record(st: Mapping[str, Any], rule: Rule, emitted_at: str) -> dict[str, Any]:
    """The alert.v1 record for the current state (see ``schemas/alert.v1.json``)."""
    draft = st["draft"]
    previous = st.get("alert") or {}
    subject = st["subject"]
    articles = [
        {k: v for k, v in a.items() if k not in ("t", "source_key")} for a in draft["articles"]
    ]
    return {
        "alert_id": st["alert_id"],
        "version": st["version"],
        "rule_id": rule.id,
        "severity": rule.severity,
        "title": draft["title"],
        "language": draft["language"],
        "statement": draft["statement"],
        "actors": draft["actors"],
        "event_codes": draft["event_codes"],
        "event_roots": draft["event_roots"],
        "topics": draft["topics"],
        "story_id": subject.get("story_id"),
        "subject": subject,
        "article_ids": [a["id"] for a in draft["articles"]],
        "urls": [a["url"] for a in draft["articles"] if a.get("url")],
        "articles": articles,
        "articles_count": draft["articles_count"],
        "sources": sorted(draft["sources"].values()),
        "sources_count": len(draft["sources"]),
        "first_seen": _iso(draft["first_t"]),
        "last_seen": _iso(draft["last_t"]),
        "emitted_at": emitted_at,
        "labels": previous.get("labels") or labels_for(st, rule),
        "window": rule.window.to_record() if rule.window else None,
        "cooldown_s": rule.cooldown_s,
        "wirewatch_version": __version__,
    }


def expired(state: Mapping[str, Any], watermark_t: int, ttl_s: float) -> str | None:
    """What to do with an idle state: "tombstone", "delete" or None (keep)."""
    last_t = int(state.get("last_t") or 0)
    ttl = int(ttl_s * 1000)
    if state.get("tombstone"):
        return "delete" if last_t < watermark_t - 10 * ttl else None
    if not state.get("fired"):
        # Unfired window state: nothing published, nothing to remember past the TTL.
        return "delete" if last_t < watermark_t - ttl else None
    return "tombstone" if last_t < watermark_t - ttl else None


def tombstone(state: Mapping[str, Any]) -> dict[str, Any]:
    """Keeps the version number only, so a returning story continues the numbering."""
    return {
        "format": STATE_FORMAT,
        "tombstone": True,
        "alert_id": state["alert_id"],
        "version": state["version"],
        "partition": state.get("partition"),
        "last_t": state.get("last_t"),
    }
