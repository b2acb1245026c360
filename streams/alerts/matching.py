"""One enriched article + a ``RuleSet`` → ``Match`` values, one per alert it feeds.

A match is everything the stateful stage needs to create or update an alert without
seeing the article again: the alert key (rule + subject), the article's identity and
event time, the rendered titles, the triggering statement and the actors, event codes
and topics the evidence points at. It is a plain dict on the wire (``to_record``).

Subjects: a rule alerts once per story (``story:<story id>``; an article without a
story id is its own story), or, with ``window: {per: actor_pair}``, once per pair of
actors (``pair:<id>|<id>``) across stories. ``alert_id`` is a hash of rule id and
subject, so it is the same on every worker, after every restart and for every replay.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..timeutil import parse_rfc3339
from .context import build_context, topic_names
from .rules import MAX_PAIR_ACTORS, Rule, RuleSet

log = logging.getLogger(__name__)

MAX_ALERT_ACTORS = 25
QUOTE_IN_TITLE_CHARS = 100
_AND = {"en": "and", "fr": "et", "es": "y", "de": "und", "it": "e", "pt": "e", "nl": "en"}


def alert_id_for(rule_id: str, subject_key: str) -> str:
    """Deterministic: the same (rule, subject) always names the same alert."""
    digest = hashlib.sha256(f"{rule_id}\x1f{subject_key}".encode()).hexdigest()
    return f"alert-{digest[:20]}"


def source_key(source: str | None, url: str | None) -> str:
    """Who published it, for counting independent sources: the outlet, else the URL host."""
    if source and source.strip():
        return " ".join(source.casefold().split())
    host = urlsplit(url).hostname if url else None
    return (host or "unknown").removeprefix("www.")


def event_time_ms(record: Mapping[str, Any], fallback_ms: int | None) -> int:
    """Event time of an article: ``published_at``, else the Kafka record timestamp."""
    published = record.get("published_at")
    moment = parse_rfc3339(published) if isinstance(published, str) else None
    if moment is not None:
        return int(moment.timestamp() * 1000)
    return int(fallback_ms or 0)


@dataclass(frozen=True)
class Match:
    rule_id: str
    alert_id: str
    subject: dict[str, Any]  # {"kind": "story", "key", "story_id"} | {"kind": "actor_pair", …}
    article: dict[str, Any]  # id, source, source_key, url, title, language, story_id, t
    title: dict[str, str]  # language → text; "en" always
    statement: dict[str, Any] | None
    actors: list[dict[str, Any]]
    evidence_actors: list[str]
    event_codes: list[str]
    event_roots: list[str]
    topics: list[str]
    rule_fingerprint: str = ""

    def to_record(self) -> dict[str, Any]:
        return {
            "v": 1,
            "rule_id": self.rule_id,
            "alert_id": self.alert_id,
            "subject": self.subject,
            "article": self.article,
            "title": self.title,
            "statement": self.statement,
            "actors": self.actors,
            "evidence_actors": self.evidence_actors,
            "event_codes": self.event_codes,
            "event_roots": self.event_roots,
            "topics": self.topics,
            "rule_fingerprint": self.rule_fingerprint,
        }

    @classmethod
    def from_record(cls, value: Mapping[str, Any]) -> Match:
        return cls(
            rule_id=value["rule_id"],
            alert_id=value["alert_id"],
            subject=dict(value["subject"]),
            article=dict(value["article"]),
            title=dict(value["title"]),
            statement=value.get("statement"),
            actors=list(value.get("actors") or []),
            evidence_actors=list(value.get("evidence_actors") or []),
            event_codes=list(value.get("event_codes") or []),
            event_roots=list(value.get("event_roots") or []),
            topics=list(value.get("topics") or []),
            rule_fingerprint=value.get("rule_fingerprint", ""),
        )


@dataclass
class MatchResult:
    matches: list[Match] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id, reason)


def match_article(
    record: Mapping[str, Any], rules: RuleSet, fallback_time_ms: int | None = None
) -> MatchResult:
    """Evaluate every rule on one enriched record (pure; a rule error is a value)."""
    context = build_context(record, rules.lists)
    article = rules.article(context)
    result = MatchResult()
    t = event_time_ms(record, fallback_time_ms)
    for rule in rules.rules:
        outcome = rule.evaluate(article)
        if outcome.error:
            result.errors.append((rule.id, outcome.error))
            continue
        if outcome.matched:
            result.matches += _matches_for(
                rule, record, context, outcome.evidence, outcome.pairs, t
            )
    return result


def _matches_for(
    rule: Rule,
    record: Mapping[str, Any],
    context: dict[str, Any],
    evidence: list[dict[str, Any]],
    pairs: list[str],
    t: int,
) -> list[Match]:
    items = _evidence_items(context, evidence)
    statement = pick_statement(items, context)
    evidence_ids = _evidence_actor_ids(items)
    story_id = context["story_id"] or None
    article = {
        "id": context["id"],
        "source": context["source"] or None,
        "source_key": source_key(context["source"], context["url"]),
        "url": context["url"] or None,
        "title": context["title"] or None,
        "language": context["language"],
        "story_id": story_id,
        "t": t,
    }
    actors = _alert_actors(context, evidence_ids)
    codes = _unique(i["code"] for i in items if i["kind"] == "event")
    roots = _unique(i["root"] for i in items if i["kind"] == "event")
    titles = render_titles(rule, context, record, statement, items, evidence_ids)

    subjects: list[dict[str, Any]]
    if rule.window is not None and rule.window.per == "actor_pair":
        ids = sorted(set(pairs or evidence_ids or context["actors"]))[:MAX_PAIR_ACTORS]
        subjects = [
            {"kind": "actor_pair", "key": f"pair:{a}|{b}", "actors": [a, b], "story_id": None}
            for a, b in itertools.combinations(ids, 2)
        ]
    else:
        key = f"story:{story_id}" if story_id else f"story:article:{context['id']}"
        subjects = [{"kind": "story", "key": key, "story_id": story_id}]
    return [
        Match(
            rule_id=rule.id,
            alert_id=alert_id_for(rule.id, s["key"]),
            subject=s,
            article=article,
            title=titles,
            statement=statement,
            actors=actors,
            evidence_actors=evidence_ids,
            event_codes=codes,
            event_roots=roots,
            topics=list(context["topics"]),
            rule_fingerprint=rule.fingerprint,
        )
        for s in subjects
    ]


def _unique(values: Any) -> list[Any]:
    seen: set[Any] = set()
    out = []
    for v in values:
        if v and v not in seen:
            seen.add(v)
            out.append(v)
    return out


def _evidence_items(context: dict[str, Any], evidence: list[dict[str, Any]]) -> list[dict]:
    """Evidence as returned by CEL → the context's own event/quote items (by index)."""
    out = []
    for item in evidence:
        kind, index = item.get("kind"), item.get("index")
        pool = context["events"] if kind == "event" else context["quotes"]
        found = next((x for x in pool if x["index"] == index), None)
        if found is not None and found not in out:
            out.append(found)
    return out


def _evidence_actor_ids(items: Sequence[dict[str, Any]]) -> list[str]:
    ids: list[str] = []
    for item in items:
        if item["kind"] == "event":
            ids += item["source_actors"] + item["target_actors"]
        else:
            ids += item["speakers"]
    return _unique(ids)


def _brief(actor: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": actor["id"],
        "name": actor["name"],
        "cameo": actor["cameo"] or None,
        "roles": list(actor["roles"]),
    }


def _alert_actors(context: dict[str, Any], evidence_ids: list[str]) -> list[dict[str, Any]]:
    """The evidence's actors first (they are what the alert is about), then the others."""
    by_id = {a["id"]: a for a in context["actor_details"]}
    ordered = [by_id[i] for i in evidence_ids if i in by_id]
    ordered += [a for a in context["actor_details"] if a["id"] not in set(evidence_ids)]
    return [_brief(a) for a in ordered[:MAX_ALERT_ACTORS]]


def _statement_rank(item: dict[str, Any]) -> tuple:
    quote = item if item["kind"] == "quote" else item["quote"]
    has_quote = item["kind"] == "quote" or item["has_quote"]
    return (not (has_quote and quote["direct"]), not has_quote, -item["confidence"], item["index"])


def pick_statement(items: Sequence[dict[str, Any]], context: dict[str, Any]) -> dict | None:
    """The statement that triggered the alert: the best evidence item, with its words.

    Direct quotes beat reported speech, which beats an event coded from a plain
    sentence; then the coder's confidence. An event's speakers are its source actors
    (who made the statement), a quote's its attributed speakers.
    """
    if not items:
        return None
    best = min(items, key=_statement_rank)
    if best["kind"] == "quote":
        quote, speakers, event = best, best["speaker"], None
    else:
        quote = best["quote"] if best["has_quote"] else None
        speakers = best["source"]
        event = {"code": best["code"], "root": best["root"], "label": best["label"]}
    text = quote["text"] if quote else best["sentence"]
    return {
        "text": text,
        "direct": bool(quote and quote["direct"]),
        "speakers": [
            {"id": a["id"], "name": a["name"], "cameo": a["cameo"] or None} for a in speakers
        ],
        "cue": (quote["cue"] or None) if quote else None,
        "event": event,
        "article_id": context["id"],
        "source": context["source"] or None,
        "language": context["language"],
    }


def join_names(names: Sequence[str], language: str) -> str:
    names = [n for n in names if n]
    if len(names) <= 1:
        return names[0] if names else ""
    return f"{', '.join(names[:-1])} {_AND.get(language, '&')} {names[-1]}"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def title_values(
    rule: Rule,
    context: dict[str, Any],
    record: Mapping[str, Any],
    statement: dict[str, Any] | None,
    items: Sequence[dict[str, Any]],
    evidence_ids: list[str],
    language: str,
) -> dict[str, str]:
    """What ``${placeholders}`` in a title template expand to, in one language."""
    by_id = {a["id"]: a for a in context["actor_details"]}
    actor_names = [by_id[i]["name"] if i in by_id else i for i in evidence_ids[:4]]
    speaker_names = [s["name"] for s in (statement or {}).get("speakers", [])]
    names = topic_names(record)
    countries = [names.get(c, c) for c in context["topics"][:3]]
    event = (statement or {}).get("event") or next(
        ({"label": i["label"]} for i in items if i["kind"] == "event"), {"label": ""}
    )
    return {
        "speakers": join_names(speaker_names or actor_names, language) or "?",
        "actors": join_names(actor_names, language) or "?",
        "event": event.get("label") or "",
        "countries": join_names(countries, language),
        "topic": countries[0] if countries else "",
        "source": context["source"],
        "title": context["title"],
        "quote": _shorten((statement or {}).get("text", ""), QUOTE_IN_TITLE_CHARS),
        "rule": rule.id,
    }


def render_titles(
    rule: Rule,
    context: dict[str, Any],
    record: Mapping[str, Any],
    statement: dict[str, Any] | None,
    items: Sequence[dict[str, Any]],
    evidence_ids: list[str],
) -> dict[str, str]:
    """English always; the article's language too when the rule has a template for it."""
    out = {}
    for language, template in rule.title_for(context["language"]).items():
        values = title_values(rule, context, record, statement, items, evidence_ids, language)
        out[language] = " ".join(template.safe_substitute(values).split())
    return out
