"""``ww_places``: the places an article mentions, normalised to gazetteer ids and ISO 3166.

Two sources that cover each other's blind spots:

* the packaged gazetteer, matched over the whole text (French and English names, accents
  and case folded), which finds "Da Nang" even where the French model calls it a person;
* the model's LOC/GPE entities, which confirm names that are also people or words
  ("Jordan", "Nice", every GeoNames city) and, for names the gazetteer lacks, yield an
  unresolved place when their context says "place" ("à Tombouctou", GPE in English).

What is *not* a place: demonyms ("russe", "Syrian"), seats of government used for the
government ("le Kremlin", "the White House"; ``ww_topics`` counts those as country
evidence), and a name inside a larger person/organisation name ("Washington Post",
"Paris Hilton"). The dateline is where the story was filed, not what it mentions: its own
words are left out, and its place is reported only if the body mentions it too.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .annotations import Place, Span, to_jsonable
from .dateline import doc_text, original_text
from .geo import (
    AMBIGUOUS,
    DEMONYM,
    NEEDS_NER,
    PLACE,
    WORD_RE,
    Candidate,
    Gazetteer,
    NameHit,
    fold,
    load_gazetteer,
    name_key,
    slug,
)

LOC_LABELS = frozenset({"LOC", "GPE"})
# An entity of these kinds that strictly contains a place name is a different thing.
CONTAINER_LABELS = frozenset({"PER", "PERSON", "ORG", "WORK_OF_ART", "PRODUCT", "LAW"})
# A capitalised word right after a place name that makes it an organisation's name.
_ORG_SUFFIXES = frozenset(
    name_key(w)
    for w in [
        "Post",
        "Times",
        "Journal",
        "Herald",
        "Tribune",
        "Telegraph",
        "Gazette",
        "Globe",
        "Chronicle",
        "Daily",
        "Observer",
        "Review",
        "Club",
        "FC",
        "United",
        "Airlines",
        "Airways",
        "University",
        "Université",
        "Match",
        "Motors",
        "Bank",
        "Banque",
        "Capitals",
        "Stock",
        "Exchange",
        "Statement",
        "Accord",
        "Accords",
        "Protocol",
        "Convention",
    ]
)
_NEXT_WORD = re.compile(r"[ ]([A-ZÀ-Þ][\w'-]*)")
# Words before an unknown name that say it is a place ("à Tombouctou", "in Hasakah").
_LOCATIVES = {
    "fr": frozenset(["à", "a", "en", "au", "aux", "dans", "depuis", "vers", "près", "entre"]),
    "en": frozenset(
        ["in", "at", "from", "near", "to", "into", "outside", "across", "towards", "toward"]
    ),
}
# Lower-case prefixes inside transliterated names ("Maarat al-Numan", "Deir ez-Zor").
_NAME_PREFIX = re.compile(r"(?:al|el|ad|ar|as|ash|at|az|ed|es|ez|an|ibn|bin|di|de|da|du)[-'’]")
_LEADING_ARTICLES = re.compile(r"^(?:the|le|la|les|l')\s*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Ent:
    start: int
    end: int
    label: str


@dataclass(slots=True)
class _Mention:
    start: int
    end: int
    cands: tuple[Candidate, ...]
    confidence: float


class PlaceResolver:
    """Text + entities → places. Pure; the component only adapts it to a Doc."""

    def __init__(self, gazetteer: Gazetteer, lang: str, unresolved: bool = True) -> None:
        self.gazetteer = gazetteer
        self.lang = lang
        self.matcher = gazetteer.matcher(lang)
        self.unresolved = unresolved
        self.locatives = _LOCATIVES.get(lang, _LOCATIVES["en"])

    def resolve(
        self,
        text: str,
        ents: list[_Ent],
        exclude: tuple[int, int] | None = None,
        source: str | None = None,
    ) -> list[Place]:
        """Places in ``text``; ``exclude`` is the dateline span; ``source`` the original text."""
        source = source or text
        ents = sorted(ents, key=lambda e: e.start)
        starts = [e.start for e in ents]
        covered: list[tuple[int, int]] = []  # what the gazetteer explained, place or not
        mentions: list[_Mention] = []
        hits = self.matcher.find(text)
        named = [(h.start, h.end) for h in hits]
        for hit in hits:
            if exclude and hit.start < exclude[1] and hit.end > exclude[0]:
                covered.append((hit.start, hit.end))
                continue
            if all(c.type != PLACE for c in hit.candidates):
                covered.append((hit.start, hit.end))  # a demonym or a seat of government
                continue
            nearby = _overlapping(ents, starts, hit.start, hit.end)
            mention = self._mention(text, hit, nearby, named)
            if mention is not None:
                mentions.append(mention)
                covered.append((hit.start, hit.end))
        places = self._aggregate(mentions, text, source)
        if self.unresolved:
            places.extend(self._unresolved(text, source, ents, covered, exclude))
        places.sort(key=lambda p: p.mentions[0].start)
        return places

    def _mention(
        self, text: str, hit: NameHit, ents: list[_Ent], named: list[tuple[int, int]]
    ) -> _Mention | None:
        cands = tuple(c for c in hit.candidates if c.type == PLACE)
        if not cands:
            return None
        for e in ents:
            inside = e.start <= hit.start and hit.end <= e.end
            if (
                e.label in CONTAINER_LABELS
                and inside
                and (e.end - e.start) > (hit.end - hit.start)
                and _has_other_name(text, e, named)
            ):
                return None  # "Paris Hilton", "Bank of England", "Washington Post"
        ner_loc = any(e.label in LOC_LABELS for e in ents)
        # The model vouches for a name only if its entity is that name (give or take an
        # article or a possessive), not a longer one ("Numan" in "Maarat al-Numan").
        ner_same = any(e.label in LOC_LABELS and _same_extent(text, e, hit) for e in ents)
        nxt = _NEXT_WORD.match(text, hit.end)
        if nxt:
            following = name_key(nxt.group(1))
            if following in _ORG_SUFFIXES:
                return None
            # French puts no capitalised word straight after a place name, except inside a
            # longer name ("Paris Saint-Germain", "Nice-Matin"): trust it only if the
            # model sees the place on its own.
            if self.lang == "fr" and not ner_same and not self.matcher.lookup(following):
                return None
        ner_other = any(
            e.label not in LOC_LABELS and e.start == hit.start and e.end == hit.end for e in ents
        )
        cands = tuple(c for c in cands if ner_same or not c.flags & NEEDS_NER)
        if not cands:
            return None
        confidence = 0.95 if ner_loc else 0.85
        if ner_other:
            confidence -= 0.15  # the model read it as a person/organisation (e.g. "Da Nang")
        if cands[0].flags & AMBIGUOUS:
            confidence -= 0.2
        return _Mention(hit.start, hit.end, cands, confidence)

    def _aggregate(self, mentions: list[_Mention], text: str, source: str) -> list[Place]:
        # Countries named unambiguously in the article decide between namesakes
        # ("Tripoli" is Lebanese in a story about Lebanon).
        context = {self._country(m.cands[0]) for m in mentions if len(m.cands) == 1} - {None}
        grouped: dict[str, list[tuple[_Mention, float]]] = {}
        previous: tuple[_Mention, Candidate] | None = None
        for m in mentions:
            chosen, confidence = m.cands[0], m.confidence
            if len({self._country(c) for c in m.cands}) > 1:
                # "Atlanta, Georgia": a name in apposition to a city takes the city's country.
                if previous and text[previous[0].end : m.start] == ", ":
                    local = self._country(previous[1])
                    in_context = [c for c in m.cands if self._country(c) == local]
                elif self.gazetteer.places[chosen.target].kind == "country":
                    in_context = [chosen]  # a country keeps its reading: US context is everywhere
                else:
                    in_context = [c for c in m.cands if self._country(c) in context]
                if in_context:
                    chosen = in_context[0]
                confidence -= 0.1 if in_context else 0.25
            grouped.setdefault(chosen.target, []).append((m, confidence))
            previous = (m, chosen)
        places: list[Place] = []
        for pid, items in grouped.items():
            geo = self.gazetteer.places[pid]
            spans = tuple(Span(m.start, m.end, source[m.start : m.end]) for m, _ in items)
            confidence = max(c for _, c in items)
            places.append(Place(pid, geo.name, geo.country, geo.kind, spans, round(confidence, 3)))
        return places

    def _country(self, cand: Candidate) -> str | None:
        place = self.gazetteer.places.get(cand.target)
        return place.country if place else None

    def _unresolved(
        self,
        text: str,
        source: str,
        ents: list[_Ent],
        covered: list[tuple[int, int]],
        exclude: tuple[int, int] | None,
    ) -> list[Place]:
        """Model LOC/GPE entities the gazetteer does not know, where the context says place."""
        found: dict[str, list[Span]] = {}
        names: dict[str, str] = {}
        for e in ents:
            if e.label not in LOC_LABELS:
                continue
            if exclude and e.start < exclude[1] and e.end > exclude[0]:
                continue
            if any(s < e.end and e.start < t for s, t in covered):
                continue
            raw = text[e.start : e.end]
            stripped = _LEADING_ARTICLES.sub("", raw)
            start = e.start + len(raw) - len(stripped)
            if not self._looks_like_place(text, stripped, start, e.label):
                continue
            key = slug(stripped)
            found.setdefault(key, []).append(Span(start, e.end, source[start : e.end]))
            names.setdefault(key, stripped)
        return [
            Place(f"unresolved:{key}", names[key], None, "other", tuple(spans), 0.4)
            for key, spans in found.items()
        ]

    def _looks_like_place(self, text: str, name: str, start: int, label: str) -> bool:
        words = name.split()
        letters = "".join(ch for ch in name if ch.isalpha())
        if len(letters) < 3 or any(ch.isdigit() for ch in name) or "\n" in name:
            return False
        if letters.isupper() and len(letters) <= 5:
            return False  # acronyms ("EI", "APEC") are organisations far more often
        if not words[0][0].isupper() or not all(
            w[0].isupper() or len(w) <= 3 or _NAME_PREFIX.match(w) for w in words
        ):
            return False
        if any(c.type == DEMONYM for c in self.matcher.lookup(name)):
            return False
        if self.lang == "en" and label == "GPE":
            return True
        before = text[max(0, start - 20) : start].split()
        return bool(before) and before[-1].lower().rstrip("'’") in self.locatives


_GLUE_WORDS = frozenset(
    ["the", "le", "la", "les", "l", "de", "du", "des", "d", "of", "and", "et", "y"]
)


def _has_other_name(text: str, ent: _Ent, named: list[tuple[int, int]]) -> bool:
    """Does the entity hold a capitalised word that is no gazetteer name? ("Hilton" in
    "Paris Hilton" does; "Kharkiv and Odesa", mislabelled WORK_OF_ART, does not.)"""
    for m in WORD_RE.finditer(text, ent.start, ent.end):
        if not m.group()[0].isupper() or fold(m.group()) in _GLUE_WORDS:
            continue
        if not any(s <= m.start() and m.end() <= e for s, e in named):
            return True
    return False


_ARTICLE_OR_POSSESSIVE = re.compile(r"(?i)(?:\s*(?:the|le|la|les|l')\s*|'s?|\s)*")


def _same_extent(text: str, ent: _Ent, hit: NameHit) -> bool:
    if ent.start > hit.start or ent.end < hit.end:
        return False
    return bool(
        _ARTICLE_OR_POSSESSIVE.fullmatch(text[ent.start : hit.start])
        and _ARTICLE_OR_POSSESSIVE.fullmatch(text[hit.end : ent.end])
    )


def _overlapping(ents: list[_Ent], starts: list[int], start: int, end: int) -> list[_Ent]:
    i = max(0, bisect_left(starts, start) - 3)  # entities are short: a few back suffice
    out = []
    for e in ents[i:]:
        if e.start >= end:
            break
        if e.end > start:
            out.append(e)
    return out


class PlacesComponent:
    """spaCy component: sets ``doc._.ww_places`` (a list of ``Place``)."""

    def __init__(self, nlp: Language, name: str, unresolved: bool) -> None:
        self.name = name
        gazetteer = load_gazetteer()
        self.resolver = PlaceResolver(gazetteer, nlp.lang, unresolved=unresolved)
        self.provenance: dict[str, Any] = {"rules": "ww-places/1", **gazetteer.provenance}

    def __call__(self, doc: Doc) -> Doc:
        ents = [_Ent(e.start_char, e.end_char, e.label_) for e in doc.ents]
        dateline = doc._.ww_dateline
        exclude = (dateline.span.start, dateline.span.end) if dateline is not None else None
        text = doc_text(doc)
        doc._.ww_places = self.resolver.resolve(text, ents, exclude, original_text(doc, text))
        return doc

    def export(self, doc: Doc) -> dict[str, Any]:
        return {"places": to_jsonable(doc._.ww_places or [])}


@Language.factory(
    "ww_places",
    requires=["doc.ents"],
    assigns=["doc._.ww_places"],
    default_config={"unresolved": True},
)
def make_places(nlp: Language, name: str, unresolved: bool) -> PlacesComponent:
    return PlacesComponent(nlp, name, unresolved)
