"""``ww_dateline``: where a wire story was filed ("PARIS, 10 nov (AFP) -", "Da Nang, Vietnam —").

A dateline is structure, not content: the agencies' conventions put it at the start of the
body's first paragraph as PLACE [, REGION] [, DATE] [(AGENCY)] SEPARATOR. We parse that
shape at the start of the first few paragraphs (a caption or byline may come first), then
accept it only with enough evidence that it is a dateline and not a kicker ("Syrie : ...",
"UPDATE -"): the place must be in the gazetteer, or the line must carry an agency, a date,
or the all-capitals place of wire copy. The filing place is not a place the story is about,
so ``ww_places`` leaves the dateline's own words out of the mentions it reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .annotations import Dateline, Span, to_jsonable
from .geo import NEEDS_NER, PLACE, Candidate, Gazetteer, load_gazetteer, name_key

RULES_VERSION = "ww-dateline/1"

# One word of a place name: "Da", "GENÈVE", "St.", "Port-au-Prince", "N'Djamena".
_WORD = r"[^\W\d_][\w'.]*(?:-[\w'.]+)*"
_MONTHS = (
    r"jan(?:vier|uary)?|f[ée]v(?:rier)?|feb(?:ruary)?|mars?|march|avr(?:il)?|apr(?:il)?|mai|may"
    r"|juin|june?|juil(?:let)?|july?|ao[ûu]t|aug(?:ust)?|sept?(?:embre|ember)?|oct(?:obre|ober)?"
    r"|nov(?:embre|ember)?|d[ée]c(?:embre)?|dec(?:ember)?"
)
_DATE = (
    rf"(?i:(?:le\s+|on\s+)?(?:\d{{1,2}}(?:er)?\s+(?:{_MONTHS})\.?(?:\s+\d{{4}})?"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:,?\s+\d{{4}})?))"
)
_DATELINE = re.compile(
    rf"""
    (?P<place>{_WORD}(?:[ ]{_WORD}){{0,4}}?)
    (?P<region>(?:,[ ]{_WORD}(?:[ ]{_WORD}){{0,3}}?){{0,2}}?)
    (?:,?[ ](?P<date>{_DATE}))?
    (?:[ ]?\((?P<agency>[^()\n]{{2,40}})\))?
    [ ]*(?P<sep>—|–|―|--|-|:)(?=[ ])
    """,
    re.VERBOSE,
)
_SEPARATOR = re.compile(r"[—–―:-] ")
# Lower-case words allowed inside a place name ("Rio de Janeiro", "Port-au-Prince").
_PARTICLES = frozenset(
    [
        "de",
        "du",
        "des",
        "la",
        "le",
        "les",
        "d'",
        "el",
        "al",
        "al-",
        "da",
        "do",
        "dos",
        "das",
        "di",
        "del",
        "della",
        "upon",
        "on",
        "sur",
        "en",
        "am",
        "im",
        "an",
        "der",
        "den",
        "van",
        "von",
        "y",
        "es",
        "ez",
        "ash",
        "as",
        "of",
        "and",
        "et",
    ]
)
# First words that open kickers, bylines and headlines, never datelines.
_NOT_PLACES = frozenset(
    name_key(w)
    for w in [
        "update",
        "breaking",
        "exclusive",
        "exclusif",
        "analysis",
        "analyse",
        "factbox",
        "interview",
        "editorial",
        "opinion",
        "correction",
        "corrected",
        "urgent",
        "flash",
        "alerte",
        "photo",
        "photos",
        "video",
        "vidéo",
        "live",
        "direct",
        "watch",
        "the",
        "a",
        "an",
        "le",
        "la",
        "les",
        "un",
        "une",
        "l",
        "by",
        "par",
        "selon",
        "according",
        "afp",
        "reuters",
        "ap",
        "dpa",
        "ansa",
        "efe",
        "xinhua",
        "bloomberg",
        "ats",
        "belga",
        "cnn",
        "bbc",
        "upi",
        "kyodo",
        "yonhap",
        "tass",
        "ria",
        "anadolu",
    ]
)
# AP state abbreviations that follow a US dateline city ("SPRINGFIELD, Ill. (AP) —").
_US_ABBREVIATIONS = frozenset(
    name_key(a)
    for a in [
        "Ala.",
        "Ariz.",
        "Ark.",
        "Calif.",
        "Colo.",
        "Conn.",
        "Del.",
        "Fla.",
        "Ga.",
        "Ill.",
        "Ind.",
        "Kan.",
        "Ky.",
        "La.",
        "Md.",
        "Mass.",
        "Mich.",
        "Minn.",
        "Miss.",
        "Mo.",
        "Mont.",
        "Neb.",
        "Nev.",
        "N.H.",
        "N.J.",
        "N.M.",
        "N.Y.",
        "N.C.",
        "N.D.",
        "Okla.",
        "Ore.",
        "Pa.",
        "R.I.",
        "S.C.",
        "S.D.",
        "Tenn.",
        "Vt.",
        "Va.",
        "Wash.",
        "W.Va.",
        "Wis.",
        "Wyo.",
        "D.C.",
    ]
)
_MAX_PARAGRAPHS = 3
_MAX_START = 800  # a dateline opens the story: never look further than this into the text


@dataclass(frozen=True, slots=True)
class _Resolved:
    place_id: str | None
    country: str | None
    weak: bool  # only a NEEDS_NER reading (the dateline shape must vouch for it)


class DatelineFinder:
    """Finds and validates the dateline; pure function of the text and the gazetteer."""

    def __init__(self, gazetteer: Gazetteer, lang: str) -> None:
        self.gazetteer = gazetteer
        self.matcher = gazetteer.matcher(lang)

    def find(self, text: str) -> Dateline | None:
        for start in _paragraph_starts(text):
            found = self._parse(text, start)
            if found is not None:
                return found
        return None

    def _parse(self, text: str, start: int) -> Dateline | None:
        window = min(len(text), start + 200)
        line_end = text.find("\n", start, window)
        window = window if line_end < 0 else line_end
        if not _SEPARATOR.search(text, start, window):
            return None  # cheap test first: the full pattern backtracks on long openings
        m = _DATELINE.match(text, start, window)
        if m is None:
            return None
        place = m.group("place")
        words = place.split()
        if name_key(words[0]) in _NOT_PLACES or not _is_name(words):
            return None
        regions = [r.strip() for r in m.group("region").split(",") if r.strip()]
        if any(not _is_name(r.split()) for r in regions):
            return None
        agency, date, sep = m.group("agency"), m.group("date"), m.group("sep")
        letters = "".join(ch for ch in place if ch.isalpha())
        all_caps = len(letters) >= 3 and letters.isupper()
        if sep == ":" and not (all_caps or agency):
            return None  # "Syrie : le régime..." is a kicker, not a dateline
        resolved = self._resolve_place(place)
        region_country = self._resolve_region(regions[0]) if regions else None
        cues = sum((bool(agency), bool(date), all_caps, region_country is not None))
        if resolved is None:
            if not (agency or date or (all_caps and region_country)):
                return None
            resolved = _Resolved(None, None, weak=True)
        elif resolved.weak and not cues:
            return None
        elif not cues and sep in ("-", "--"):
            return None  # "Syrie - ..." opening a caption: too weak without any other cue
        country = resolved.country
        place_id = resolved.place_id
        if region_country and country and region_country != country:
            place_id = None  # "Paris, Texas": the region decides, the gazetteer's Paris is wrong
        country = region_country or country
        confidence = 0.6
        confidence += 0.1 if resolved.weak else 0.2 if place_id or country else 0.0
        confidence += 0.1 * bool(agency) + 0.05 * bool(date) + 0.05 * all_caps
        confidence += 0.05 * (region_country is not None)
        confidence -= 0.1 * (sep == ":")
        span_start = m.start("place")
        span_end = m.end("sep")
        return Dateline(
            span=Span(span_start, span_end, text[span_start:span_end]),
            place=place,
            country=country,
            place_id=place_id,
            confidence=round(min(confidence, 0.99), 3),
        )

    def _resolve_place(self, name: str) -> _Resolved | None:
        cands = [c for c in self.matcher.lookup(name) if c.type == PLACE]
        if not cands:
            return None
        best: Candidate = cands[0]
        place = self.gazetteer.places.get(best.target)
        country = place.country if place else None
        return _Resolved(best.target, country, weak=bool(best.flags & NEEDS_NER))

    def _resolve_region(self, name: str) -> str | None:
        if name_key(name) in _US_ABBREVIATIONS:
            return "US"
        # After a dateline's comma only a region or country is expected, so here even the
        # readings that elsewhere need the model's agreement (US states) are trusted.
        cands = sorted(
            (c for c in self.matcher.lookup(name) if c.type == PLACE),
            key=lambda c: bool(c.flags & NEEDS_NER),
        )
        for cand in cands:
            place = self.gazetteer.places.get(cand.target)
            if place and place.country:
                return place.country
        return None


def _is_name(words: list[str]) -> bool:
    """Every word capitalised, except particles inside the name."""
    if not words or not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLES for w in words)


def _paragraph_starts(text: str) -> list[int]:
    """Offsets of the first non-blank character of the first few paragraphs."""
    starts: list[int] = []
    pos = 0
    while pos < len(text) and pos <= _MAX_START and len(starts) < _MAX_PARAGRAPHS:
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        stripped = len(text[pos:line_end]) - len(text[pos:line_end].lstrip())
        if pos + stripped < line_end:
            starts.append(pos + stripped)
        pos = line_end + 1
    return starts


def doc_text(doc: Doc) -> str:
    """The Doc's text. spaCy rebuilds ``doc.text`` from the tokens on every access (~1 ms
    for a 700-word story, more than our rules cost), so a pipeline that already holds the
    normalised text can hand it over as ``doc.user_data["text"]``."""
    given = doc.user_data.get("text")
    if (
        isinstance(given, str)
        and len(doc)
        and len(given) == doc[-1].idx + len(doc[-1].text_with_ws)
    ):
        return given
    return doc.text


def original_text(doc: Doc, text: str) -> str:
    """The article's own text when the pipeline kept it (``doc.user_data["original_text"]``),
    else ``text``, the Doc's normalised text: same length, so offsets agree either way; only
    the typography of a reported ``Span.text`` differs (’ vs ')."""
    original = doc.user_data.get("original_text")
    if isinstance(original, str) and len(original) == len(text):
        return original
    return text


class DatelineComponent:
    """spaCy component: sets ``doc._.ww_dateline`` (a ``Dateline`` or None)."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name
        gazetteer = load_gazetteer()
        self.finder = DatelineFinder(gazetteer, nlp.lang)
        self.provenance: dict[str, Any] = {"rules": RULES_VERSION, **gazetteer.provenance}

    def __call__(self, doc: Doc) -> Doc:
        text = doc_text(doc)
        found = self.finder.find(text)
        if found is not None:
            source = original_text(doc, text)
            span = Span(found.span.start, found.span.end, source[found.span.start : found.span.end])
            place = source[span.start : span.start + len(found.place)]
            found = replace(found, span=span, place=place)
        doc._.ww_dateline = found
        return doc

    def export(self, doc: Doc) -> dict[str, Any]:
        dateline = doc._.ww_dateline
        return {"dateline": to_jsonable(dateline) if dateline is not None else None}


@Language.factory(
    "ww_dateline",
    requires=[],
    assigns=["doc._.ww_dateline"],
    default_config={},
)
def make_dateline(nlp: Language, name: str) -> DatelineComponent:
    return DatelineComponent(nlp, name)
