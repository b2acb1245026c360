"""What Wirewatch's NLP components write onto a spaCy ``Doc`` and read from it.

Each component owns one ``Doc`` extension (``doc._.ww_<name>``) holding plain,
immutable values defined here, so a component downstream (quotes reading actors,
events reading quotes and actors) depends on a type, not on another component's
internals. All offsets are character offsets into the article's original ``text``
(normalisation never moves them, see ``normalize``). ``doc.user_data`` carries
what components may know about the article: ``original_text``, ``text`` (the
normalised text, cheaper than ``Doc.text``), ``title``, ``published_at`` (RFC 3339
or None) and ``language``.

Pipeline order and what each reads/writes:

    ww_dateline  reads ents                      writes doc._.ww_dateline
    ww_actors    reads ents, parse, ww_dateline  writes doc._.ww_actors, doc._.ww_actor_mentions
    ww_places    reads ents, ww_dateline         writes doc._.ww_places
    ww_quotes    reads parse, ww_actor_mentions  writes doc._.ww_quotes
    ww_events    reads parse, actors, quotes,    writes doc._.ww_events
                 ww_dateline, ww_places
    ww_topics    reads actors, places, events    writes doc._.ww_topics
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from typing import Any

from spacy.tokens import Doc

EXTENSIONS = (
    "ww_dateline",
    "ww_actors",
    "ww_actor_mentions",
    "ww_places",
    "ww_quotes",
    "ww_events",
    "ww_topics",
)
for _name in EXTENSIONS:
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the original text."""

    start: int
    end: int
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True, slots=True)
class Dateline:
    """'Da Nang, Vietnam —': where the story was filed, not a place it is about."""

    span: Span  # the whole dateline, separator included
    place: str  # as written ("Da Nang")
    country: str | None  # ISO 3166-1 alpha-2 ("VN")
    place_id: str | None = None  # normalised place id when known
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class ActorMention:
    """One place in the text that refers to an actor."""

    start: int
    end: int
    text: str
    actor_id: str
    kind: str  # name | alias | surname | title | metonym | pronoun | description
    confidence: float


@dataclass(slots=True)
class Actor:
    """A canonical actor with all its mentions in this article.

    ``id`` is a stable slug (``vladimir-putin``); unknown people still get one
    (``person:jane-doe``). ``cameo`` is the CAMEO actor code valid on the article
    date (``RUSGOV``); ``roles`` are what the dictionaries say the actor was at that
    date (head_of_state, head_of_government, foreign_minister, ...).
    """

    id: str
    name: str
    type: str  # person | organisation | state | government | military | igo | armed_group | group
    cameo: str | None = None
    qid: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 of the actor's country, if any
    roles: tuple[str, ...] = ()
    known: bool = True  # False: not in the alias table (id derived from the name)
    confidence: float = 1.0
    source: str = "alias-table"  # what resolved it: alias-table | ner | rule
    mentions: list[ActorMention] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Place:
    id: str  # normalised (e.g. "geneva" / "CH" for a country)
    name: str  # canonical English name
    country: str | None  # ISO 3166-1 alpha-2
    kind: str  # country | city | region | other
    mentions: tuple[Span, ...] = ()
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Quote:
    """A statement with who made it.

    ``direct``: the words are in quotation marks. ``speakers`` are actor ids
    (several for a joint statement); empty when no speaker could be found.
    """

    span: Span  # the quoted words (without the quotation marks) or reported content
    speakers: tuple[str, ...]
    speaker_span: Span | None
    cue: Span | None  # the reporting verb or phrase ("a indiqué", "selon", "said")
    cue_lemma: str | None
    direct: bool
    sentence: Span
    confidence: float


@dataclass(frozen=True, slots=True)
class Event:
    """A CAMEO-coded event: who did what to whom."""

    code: str  # CAMEO code, e.g. "036"
    root: str  # two-digit root, e.g. "03"
    label: str  # CAMEO description
    quad_class: int  # 1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict
    goldstein: float
    plover: str | None
    source_actors: tuple[str, ...]  # actor ids
    target_actors: tuple[str, ...]
    source_cameo: tuple[str, ...]  # CAMEO actor codes
    target_cameo: tuple[str, ...]
    trigger: Span  # the verb (phrase) that coded it
    sentence: Span
    confidence: float
    quote_index: int | None = None  # index into ww_quotes when coded from a quote


def to_jsonable(value: Any) -> Any:
    """Dataclasses/tuples → plain JSON types (orjson handles the rest)."""
    if hasattr(value, "__dataclass_fields__"):
        return {k: to_jsonable(v) for k, v in asdict(value).items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def actors_by_id(doc: Doc) -> dict[str, Actor]:
    return {a.id: a for a in (doc._.ww_actors or [])}


def mentions_in(doc: Doc, start: int, end: int) -> list[ActorMention]:
    """Actor mentions lying inside [start, end) (sorted by start)."""
    mentions: list[ActorMention] = doc._.ww_actor_mentions or []
    starts = [m.start for m in mentions]
    i = bisect_right(starts, start - 1)
    out = []
    for m in mentions[i:]:
        if m.start >= end:
            break
        if m.end <= end:
            out.append(m)
    return out
