"""An enriched article → the rule context: flat, typed, documented fields for CEL.

Rule authors should not have to walk the enriched record (``actors[].mentions[]``,
``events[].source_actors`` as ids to look up, ``topics.countries[].code``…). The context
flattens what conditions ask about into lists and small maps with fixed keys, and it
never holds ``null``: a missing string is ``""``, a missing list ``[]``. CEL compares
types strictly, so a field that is sometimes ``null`` would turn a plain condition
into a run-time error on some articles only.

Top-level fields (see ``CONTEXT_FIELDS``; every one is always present):

    id, language, source, title, url, published_at, text, story_id, story_new
    actors            actor ids                        'vladimir-putin' in actors
    actor_details     [ACTOR]                          actor_details.exists(a, ...)
    cameo             CAMEO actor codes                'RUSGOV' in cameo
    roles             every role of every actor        'head_of_state' in roles
    actor_countries   ISO alpha-2 of actors
    events            [EVENT]                          events.exists(e, e.root == '11')
    event_codes, event_roots, quad_classes (ints)
    quotes            [QUOTE]
    quote_speakers    actor ids of every quote's speakers
    topics            ISO alpha-3 codes of the countries the article is about  'SYR' in topics
    topic_countries   the same as ISO alpha-2;  main_topic: the top one ("" if none)
    themes            Phoenix issue codes ('AIRSTRIKE')
    places            place ids ('SY', 'geneva');  place_countries: ISO alpha-2
    dateline_place, dateline_country
    lists             the named lists of the loaded rule files

ACTOR = {id, name, type, cameo, country, roles, known}
EVENT = {kind: 'event', index, code, root, label, quad_class, goldstein, plover, confidence,
         source, target: [ACTOR], source_actors, target_actors (ids), source_cameo,
         target_cameo, source_roles, target_roles, source_countries, target_countries,
         trigger, sentence, paragraph, in_lead, has_quote, quote: QUOTE}
QUOTE = {kind: 'quote', index, text, direct, speakers (ids), speaker: [ACTOR],
         speaker_roles, speaker_cameo, speaker_countries, cue, confidence, paragraph, in_lead}

``paragraph`` counts paragraphs of the body from the one holding the dateline (0), so a
photo caption above the dateline is -1; ``in_lead`` is paragraph 0 or 1 — the lead is
where wire copy puts the news, the rest is background (precision rules use it).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

LEAD_PARAGRAPHS = 2

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n")

CONTEXT_FIELDS: tuple[str, ...] = (
    "id",
    "language",
    "source",
    "title",
    "url",
    "published_at",
    "text",
    "story_id",
    "story_new",
    "actors",
    "actor_details",
    "cameo",
    "roles",
    "actor_countries",
    "events",
    "event_codes",
    "event_roots",
    "quad_classes",
    "quotes",
    "quote_speakers",
    "topics",
    "topic_countries",
    "main_topic",
    "themes",
    "places",
    "place_countries",
    "dateline_place",
    "dateline_country",
    "lists",
)


# The static type of every field, which ``build_context`` guarantees (tests check it on every
# record they build): the native guards (``guards.py``) are only exact because of it. A type
# is "string", "int", "double" or "bool", ("list", <type>), or a record {field: type}.
ACTOR_TYPE: dict[str, Any] = {
    "id": "string",
    "name": "string",
    "type": "string",
    "cameo": "string",
    "country": "string",
    "roles": ("list", "string"),
    "known": "bool",
}
QUOTE_TYPE: dict[str, Any] = {
    "kind": "string",
    "index": "int",
    "text": "string",
    "direct": "bool",
    "speakers": ("list", "string"),
    "speaker": ("list", ACTOR_TYPE),
    "speaker_roles": ("list", "string"),
    "speaker_cameo": ("list", "string"),
    "speaker_countries": ("list", "string"),
    "cue": "string",
    "confidence": "double",
    "paragraph": "int",
    "in_lead": "bool",
}
EVENT_TYPE: dict[str, Any] = {
    "kind": "string",
    "index": "int",
    "code": "string",
    "root": "string",
    "label": "string",
    "quad_class": "int",
    "goldstein": "double",
    "plover": "string",
    "confidence": "double",
    "source": ("list", ACTOR_TYPE),
    "target": ("list", ACTOR_TYPE),
    "source_actors": ("list", "string"),
    "target_actors": ("list", "string"),
    "source_cameo": ("list", "string"),
    "target_cameo": ("list", "string"),
    "source_roles": ("list", "string"),
    "target_roles": ("list", "string"),
    "source_countries": ("list", "string"),
    "target_countries": ("list", "string"),
    "trigger": "string",
    "sentence": "string",
    "paragraph": "int",
    "in_lead": "bool",
    "has_quote": "bool",
    "quote": QUOTE_TYPE,
}
_STRINGS = ("list", "string")
CONTEXT_TYPES: dict[str, Any] = {
    **dict.fromkeys(
        ("id", "language", "source", "title", "url", "published_at", "text", "story_id"), "string"
    ),
    "story_new": "bool",
    "actors": _STRINGS,
    "actor_details": ("list", ACTOR_TYPE),
    "cameo": _STRINGS,
    "roles": _STRINGS,
    "actor_countries": _STRINGS,
    "events": ("list", EVENT_TYPE),
    "event_codes": _STRINGS,
    "event_roots": _STRINGS,
    "quad_classes": ("list", "int"),
    "quotes": ("list", QUOTE_TYPE),
    "quote_speakers": _STRINGS,
    "topics": _STRINGS,
    "topic_countries": _STRINGS,
    "main_topic": "string",
    "themes": _STRINGS,
    "places": _STRINGS,
    "place_countries": _STRINGS,
    "dateline_place": "string",
    "dateline_country": "string",
    # "lists" is the rule files' named lists: constants, typed per list when rules load.
}


def conforms(value: Any, kind: Any) -> bool:
    """Whether ``value`` has the static type ``kind`` (bool is not an int here, as in CEL)."""
    if kind == "string":
        return type(value) is str
    if kind == "int":
        return type(value) is int
    if kind == "double":
        return type(value) is float
    if kind == "bool":
        return type(value) is bool
    if isinstance(kind, tuple):
        return type(value) is list and all(conforms(v, kind[1]) for v in value)
    return (
        type(value) is dict
        and value.keys() == kind.keys()
        and all(conforms(value[k], t) for k, t in kind.items())
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _unique(values: Iterable[Any]) -> list[Any]:
    """Order-preserving de-duplication, dropping empty values."""
    seen: set[Any] = set()
    out = []
    for v in values:
        if v in (None, "") or v in seen:
            continue
        seen.add(v)
        out.append(v)
    return out


def paragraph_starts(text: str) -> list[int]:
    """Offsets where paragraphs start: blank-line separated, else one per line."""
    breaks = list(_PARAGRAPH_BREAK.finditer(text))
    if breaks:
        return [0, *(m.end() for m in breaks)]
    return [0, *(m.end() for m in re.finditer(r"\n", text))]


class _Paragraphs:
    """Maps a character offset to its body paragraph number (dateline paragraph = 0)."""

    def __init__(self, text: str, dateline: Mapping[str, Any] | None) -> None:
        self.starts = paragraph_starts(text)
        span = (dateline or {}).get("span") or {}
        start = span.get("start")
        self.base = bisect_right(self.starts, start) - 1 if isinstance(start, int) else 0

    def number(self, offset: Any) -> int:
        if not isinstance(offset, int):
            return -1
        return bisect_right(self.starts, offset) - 1 - self.base


def actor_view(actor: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": _str(actor.get("id")),
        "name": _str(actor.get("name")) or _str(actor.get("id")),
        "type": _str(actor.get("type")),
        "cameo": _str(actor.get("cameo")),
        "country": _str(actor.get("country")),
        "roles": [r for r in actor.get("roles") or [] if isinstance(r, str)],
        "known": bool(actor.get("known", False)),
    }


def _unknown_actor(actor_id: str) -> dict[str, Any]:
    return actor_view({"id": actor_id, "name": actor_id})


def _span_start(value: Any) -> Any:
    return value.get("start") if isinstance(value, Mapping) else None


def _span_text(value: Any) -> str:
    return _str(value.get("text")) if isinstance(value, Mapping) else ""


EMPTY_QUOTE: dict[str, Any] = {
    "kind": "quote",
    "index": -1,
    "text": "",
    "direct": False,
    "speakers": [],
    "speaker": [],
    "speaker_roles": [],
    "speaker_cameo": [],
    "speaker_countries": [],
    "cue": "",
    "confidence": 0.0,
    "paragraph": -1,
    "in_lead": False,
}


def _in_lead(paragraph: int) -> bool:
    return 0 <= paragraph < LEAD_PARAGRAPHS


def build_context(record: Mapping[str, Any], lists: Mapping[str, Any] | None = None) -> dict:
    """The rule context of one enriched-article.v1 record (pure; never raises on gaps)."""
    text = _str(record.get("text"))
    dateline = record.get("dateline") if isinstance(record.get("dateline"), Mapping) else None
    paragraphs = _Paragraphs(text, dateline)

    actors = [actor_view(a) for a in record.get("actors") or [] if isinstance(a, Mapping)]
    by_id = {a["id"]: a for a in actors}

    def resolve(ids: Iterable[Any]) -> list[dict[str, Any]]:
        return [by_id.get(i) or _unknown_actor(i) for i in ids if isinstance(i, str)]

    quotes = []
    for i, q in enumerate(record.get("quotes") or []):
        if not isinstance(q, Mapping):
            continue
        speakers = [s for s in q.get("speakers") or [] if isinstance(s, str)]
        speaker = resolve(speakers)
        paragraph = paragraphs.number(q.get("start"))
        cue = q.get("cue") if isinstance(q.get("cue"), Mapping) else {}
        quotes.append(
            {
                **EMPTY_QUOTE,
                "index": i,
                "text": _str(q.get("text")),
                "direct": bool(q.get("direct", False)),
                "speakers": speakers,
                "speaker": speaker,
                "speaker_roles": _unique(r for a in speaker for r in a["roles"]),
                "speaker_cameo": _unique(a["cameo"] for a in speaker),
                "speaker_countries": _unique(a["country"] for a in speaker),
                "cue": _str(cue.get("lemma")) or _str(cue.get("text")),
                "confidence": float(q.get("confidence") or 0.0),
                "paragraph": paragraph,
                "in_lead": _in_lead(paragraph),
            }
        )
    quote_by_index = {q["index"]: q for q in quotes}

    events = []
    for i, e in enumerate(record.get("events") or []):
        if not isinstance(e, Mapping):
            continue
        source_ids = [a for a in e.get("source_actors") or [] if isinstance(a, str)]
        target_ids = [a for a in e.get("target_actors") or [] if isinstance(a, str)]
        source, target = resolve(source_ids), resolve(target_ids)
        quote = (
            quote_by_index.get(e.get("quote_index")) if e.get("quote_index") is not None else None
        )
        paragraph = paragraphs.number(_span_start(e.get("sentence")))
        code = _str(e.get("code"))
        events.append(
            {
                "kind": "event",
                "index": i,
                "code": code,
                "root": _str(e.get("root")) or code[:2],
                "label": _str(e.get("label")),
                "quad_class": int(e.get("quad_class") or 0),
                "goldstein": float(e.get("goldstein") or 0.0),
                "plover": _str(e.get("plover")),
                "confidence": float(e.get("confidence") or 0.0),
                "source": source,
                "target": target,
                "source_actors": source_ids,
                "target_actors": target_ids,
                "source_cameo": [c for c in e.get("source_cameo") or [] if isinstance(c, str)],
                "target_cameo": [c for c in e.get("target_cameo") or [] if isinstance(c, str)],
                "source_roles": _unique(r for a in source for r in a["roles"]),
                "target_roles": _unique(r for a in target for r in a["roles"]),
                "source_countries": _unique(a["country"] for a in source),
                "target_countries": _unique(a["country"] for a in target),
                "trigger": _span_text(e.get("trigger")),
                "sentence": _span_text(e.get("sentence")),
                "paragraph": paragraph,
                "in_lead": _in_lead(paragraph),
                "has_quote": quote is not None,
                "quote": quote or dict(EMPTY_QUOTE),
            }
        )

    topics = record.get("topics") if isinstance(record.get("topics"), Mapping) else {}
    countries = [c for c in topics.get("countries") or [] if isinstance(c, Mapping)]
    themes = [t for t in topics.get("themes") or [] if isinstance(t, Mapping)]
    places = [p for p in record.get("places") or [] if isinstance(p, Mapping)]
    story = record.get("story") if isinstance(record.get("story"), Mapping) else {}

    return {
        "id": _str(record.get("id")),
        "language": _str(record.get("language")),
        "source": _str(record.get("source")),
        "title": _str(record.get("title")),
        "url": _str(record.get("url")),
        "published_at": _str(record.get("published_at")),
        "text": text,
        "story_id": _str(story.get("id")),
        "story_new": bool(story.get("new", False)),
        "actors": [a["id"] for a in actors],
        "actor_details": actors,
        "cameo": _unique(a["cameo"] for a in actors),
        "roles": _unique(r for a in actors for r in a["roles"]),
        "actor_countries": _unique(a["country"] for a in actors),
        "events": events,
        "event_codes": _unique(e["code"] for e in events),
        "event_roots": _unique(e["root"] for e in events),
        "quad_classes": _unique(e["quad_class"] for e in events if e["quad_class"]),
        "quotes": quotes,
        "quote_speakers": _unique(s for q in quotes for s in q["speakers"]),
        "topics": _unique(_str(c.get("code")) for c in countries),
        "topic_countries": _unique(_str(c.get("country")) for c in countries),
        "main_topic": _str(countries[0].get("code")) if countries else "",
        "themes": _unique(_str(t.get("code")) for t in themes),
        "places": _unique(_str(p.get("id")) for p in places),
        "place_countries": _unique(_str(p.get("country")) for p in places),
        "dateline_place": _str((dateline or {}).get("place")),
        "dateline_country": _str((dateline or {}).get("country")),
        "lists": dict(lists or {}),
    }


def topic_names(record: Mapping[str, Any]) -> dict[str, str]:
    """alpha-3 topic code → English country name, for titles."""
    topics = record.get("topics") if isinstance(record.get("topics"), Mapping) else {}
    return {
        _str(c.get("code")): _str(c.get("name")) or _str(c.get("code"))
        for c in topics.get("countries") or []
        if isinstance(c, Mapping)
    }


# A record with one of everything: rules are test-evaluated on its context at start-up,
# so a misspelt field or a type error is reported then, not on the first real article.
PROBE_RECORD: dict[str, Any] = {
    "id": "probe",
    "language": "en",
    "source": "Probe Wire",
    "title": "Probe",
    "url": "https://example.invalid/probe",
    "published_at": "2017-11-11T09:30:00.000Z",
    "text": 'PROBE CITY, Probeland - The president said "a probe".\n\nMore.',
    "story": {"id": "story-0000000000000000", "new": True, "method": "probe"},
    "dateline": {
        "span": {"start": 0, "end": 24, "text": "PROBE CITY, Probeland -"},
        "place": "Probe City",
        "country": "PR",
        "place_id": None,
        "confidence": 1.0,
    },
    "actors": [
        {
            "id": "probe-president",
            "name": "Probe President",
            "type": "person",
            "cameo": "PRBGOV",
            "qid": None,
            "country": "PR",
            "roles": ["head_of_state", "government"],
            "known": True,
            "confidence": 1.0,
            "source": "alias-table",
            "mentions": [],
        }
    ],
    "places": [
        {"id": "PR", "name": "Probeland", "country": "PR", "kind": "country", "mentions": []}
    ],
    "quotes": [
        {
            "text": "a probe",
            "start": 44,
            "end": 51,
            "direct": True,
            "speakers": ["probe-president"],
            "speaker": None,
            "cue": {"start": 38, "end": 42, "text": "said", "lemma": "say"},
            "sentence": {"start": 24, "end": 53, "text": 'The president said "a probe".'},
            "confidence": 0.9,
        }
    ],
    "events": [
        {
            "code": "010",
            "root": "01",
            "label": "Make statement",
            "quad_class": 1,
            "goldstein": 0.0,
            "plover": "COOPERATE",
            "source_actors": ["probe-president"],
            "target_actors": ["probe-president"],
            "source_cameo": ["PRBGOV"],
            "target_cameo": ["PRBGOV"],
            "trigger": {"start": 38, "end": 42, "text": "said"},
            "sentence": {"start": 24, "end": 53, "text": 'The president said "a probe".'},
            "confidence": 0.9,
            "quote_index": 0,
        }
    ],
    "topics": {
        "countries": [
            {"code": "PRB", "country": "PR", "name": "Probeland", "salience": 1.0, "score": 3.0}
        ],
        "themes": [{"code": "PROBE", "category": "PROBE", "salience": 1.0, "score": 2.0}],
    },
}
