"""``ww_topics``: what an article is *about* — its countries (ISO alpha-3) and its themes.

A mention is not a topic: a story about Syria names Germany once in passing, files from
Da Nang and quotes a Geneva venue. So every country gets a score from weighted evidence,
and only countries that carry a real share of the article become topics:

* its own name (``ww_places``, kind country) weighs 1, a city/region of it 0.6, a seat of
  government used for it ("le Kremlin") 0.6, a nationality word ("russe") 0.4;
* actors of that country (``ww_actors``, when that component runs) 0.4 per mention
  (0.2 for pronouns/descriptions), unless the same words already counted as a place;
* presence in the title (``doc.user_data["title"]``) adds 2, in the lead sentence 1,
  being the dateline's country 0.5 (where a story is filed says little about its subject).

A country is a topic when its score reaches ``min_score`` and ``min_relative`` of the top
country's. Themes are Phoenix issue codes (``geo/themes.py``) scored the same way (1 per
body match, +2 in the title, +0.5 in the lead) and kept from ``theme_min_score``.
``salience`` is the score relative to the article's top country/theme (1.0 = dominant).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from .annotations import Actor, Place, Span, to_jsonable
from .dateline import doc_text, original_text
from .geo import DEMONYM, METONYM, NEEDS_NER, PLACE, Gazetteer, load_gazetteer
from .geo.themes import IssueTable, ThemeHit, load_issue_table

RULES_VERSION = "ww-topics/1"

PLACE_WEIGHTS = {"country": 1.0, "city": 0.6, "region": 0.6, "other": 0.6}
METONYM_WEIGHT = 0.6
DEMONYM_WEIGHT = 0.4
ACTOR_WEIGHT = 0.4
ACTOR_WEAK_WEIGHT = 0.2  # pronoun / description mentions
ACTOR_WEAK_KINDS = frozenset({"pronoun", "description"})
TITLE_BONUS = 2.0
LEAD_BONUS = 1.0
DATELINE_BONUS = 0.5
THEME_TITLE_BONUS = 2.0
THEME_LEAD_BONUS = 0.5
LEAD_MIN_CHARS = 40
LEAD_MAX_CHARS = 400
_SENTENCE_END = re.compile(r"[.!?…][»\"”]?\s")
MAX_THEME_SPANS = 5


@dataclass(frozen=True, slots=True)
class CountryEvidence:
    mentions: int  # evidence items in the body, all kinds
    place_mentions: int
    metonym_mentions: int
    demonym_mentions: int
    actor_mentions: int
    in_title: bool
    in_lead: bool
    in_dateline: bool


@dataclass(frozen=True, slots=True)
class CountryTopic:
    code: str  # ISO 3166-1 alpha-3 ("SYR")
    country: str  # ISO 3166-1 alpha-2 ("SY")
    name: str
    salience: float  # score / top country's score
    score: float
    evidence: CountryEvidence


@dataclass(frozen=True, slots=True)
class ThemeTopic:
    code: str  # Phoenix issue code ("AIRSTRIKE")
    category: str  # its Phoenix category ("AIRSTRIKE", "WMD", "CRIME", ...)
    salience: float
    score: float
    mentions: int
    in_title: bool
    in_lead: bool
    spans: tuple[Span, ...]  # the first few matches in the body


@dataclass(frozen=True, slots=True)
class Topics:
    countries: tuple[CountryTopic, ...] = ()
    themes: tuple[ThemeTopic, ...] = ()


@dataclass(slots=True)
class _Tally:
    score: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)
    in_title: bool = False
    in_lead: bool = False
    in_dateline: bool = False


class TopicScorer:
    """Doc annotations → ``Topics``. Pure given its tables."""

    def __init__(
        self,
        gazetteer: Gazetteer,
        issues: IssueTable,
        lang: str,
        min_score: float = 2.5,
        min_relative: float = 0.25,
        theme_min_score: float = 2.0,
        max_themes: int = 5,
    ) -> None:
        self.gazetteer = gazetteer
        self.matcher = gazetteer.matcher(lang)
        self.themes = issues.matcher(lang)
        self.min_score = min_score
        self.min_relative = min_relative
        self.theme_min_score = theme_min_score
        self.max_themes = max_themes
        self._alpha2 = {a3: a2 for a2, (a3, _) in gazetteer.countries.items()}

    def score(
        self,
        text: str,
        places: list[Place],
        actors: list[Actor] | None = None,
        dateline_span: tuple[int, int] | None = None,
        dateline_country: str | None = None,
        title: str | None = None,
        source: str | None = None,
    ) -> Topics:
        lead = _lead(text, dateline_span)
        countries = self._countries(
            text, places, actors or [], dateline_span, dateline_country, title, lead
        )
        themes = self._themes(text, title, lead, source or text)
        return Topics(countries, themes)

    # --- countries -------------------------------------------------------------------

    def _countries(
        self,
        text: str,
        places: list[Place],
        actors: list[Actor],
        dateline_span: tuple[int, int] | None,
        dateline_country: str | None,
        title: str | None,
        lead: tuple[int, int],
    ) -> tuple[CountryTopic, ...]:
        evidence: list[tuple[int, int, str, float, str]] = []  # start, end, country, weight, kind
        taken: list[tuple[int, int]] = []
        for place in places:
            if not place.country:
                continue
            for m in place.mentions:
                evidence.append((m.start, m.end, place.country, PLACE_WEIGHTS[place.kind], "place"))
                taken.append((m.start, m.end))
        for hit in self.matcher.find(text):
            if dateline_span and hit.start < dateline_span[1] and hit.end > dateline_span[0]:
                continue
            cand = hit.candidates[0]
            if cand.type in (METONYM, DEMONYM) and not _overlaps(taken, hit.start, hit.end):
                weight = METONYM_WEIGHT if cand.type == METONYM else DEMONYM_WEIGHT
                kind = "metonym" if cand.type == METONYM else "demonym"
                evidence.append((hit.start, hit.end, cand.target, weight, kind))
                taken.append((hit.start, hit.end))
        for actor in actors:
            country = self._actor_country(actor)
            if not country:
                continue
            for am in actor.mentions:
                if _overlaps(taken, am.start, am.end) or (
                    dateline_span and am.start < dateline_span[1] and am.end > dateline_span[0]
                ):
                    continue
                weak = am.kind in ACTOR_WEAK_KINDS
                evidence.append(
                    (
                        am.start,
                        am.end,
                        country,
                        ACTOR_WEAK_WEIGHT if weak else ACTOR_WEIGHT,
                        "actor",
                    )
                )
                taken.append((am.start, am.end))

        tallies: dict[str, _Tally] = {}
        for start, _, country, weight, kind in evidence:
            t = tallies.setdefault(country, _Tally())
            t.score += weight
            t.kinds[kind] += 1
            if lead[0] <= start < lead[1]:
                t.in_lead = True
        for country in self._title_countries(title, {p.id for p in places}):
            tallies.setdefault(country, _Tally()).in_title = True
        if dateline_country:
            tallies.setdefault(dateline_country, _Tally()).in_dateline = True
        for t in tallies.values():
            t.score += TITLE_BONUS * t.in_title + LEAD_BONUS * t.in_lead
            t.score += DATELINE_BONUS * t.in_dateline

        if not tallies:
            return ()
        top = max(t.score for t in tallies.values())
        out = []
        for country, t in sorted(tallies.items(), key=lambda kv: (-kv[1].score, kv[0])):
            if t.score < self.min_score or t.score < self.min_relative * top:
                continue
            alpha3 = self.gazetteer.alpha3(country)
            if alpha3 is None:
                continue
            out.append(
                CountryTopic(
                    code=alpha3,
                    country=country,
                    name=self.gazetteer.country_name(country) or country,
                    salience=round(t.score / top, 3),
                    score=round(t.score, 2),
                    evidence=CountryEvidence(
                        mentions=sum(t.kinds.values()),
                        place_mentions=t.kinds["place"],
                        metonym_mentions=t.kinds["metonym"],
                        demonym_mentions=t.kinds["demonym"],
                        actor_mentions=t.kinds["actor"],
                        in_title=t.in_title,
                        in_lead=t.in_lead,
                        in_dateline=t.in_dateline,
                    ),
                )
            )
        return tuple(out)

    def _actor_country(self, actor: Actor) -> str | None:
        if actor.country:
            return actor.country
        # CAMEO actor codes start with the country's alpha-3 ("SYRGOV", "RUSMIL").
        if actor.cameo and len(actor.cameo) >= 3:
            return self._alpha2.get(actor.cameo[:3])
        return None

    def _title_countries(self, title: str | None, place_ids: set[str]) -> set[str]:
        if not title:
            return set()
        found: set[str] = set()
        for hit in self.matcher.find(title):
            for cand in hit.candidates:
                if cand.type == PLACE:
                    # No model ran on the title: a name that needs its agreement counts
                    # only if the body confirmed the same place.
                    if cand.flags & NEEDS_NER and cand.target not in place_ids:
                        continue
                    place = self.gazetteer.places.get(cand.target)
                    if place and place.country:
                        found.add(place.country)
                        break
                else:
                    found.add(cand.target)
                    break
        return found

    # --- themes ----------------------------------------------------------------------

    def _themes(
        self, text: str, title: str | None, lead: tuple[int, int], source: str
    ) -> tuple[ThemeTopic, ...]:
        body: dict[str, list[ThemeHit]] = {}
        for hit in self.themes.find(text):
            body.setdefault(hit.code, []).append(hit)
        in_title = {hit.code for hit in self.themes.find(title)} if title else set()
        categories = {h.code: h.category for hits in body.values() for h in hits}
        scored: list[tuple[float, str]] = []
        for code in set(body) | in_title:
            hits = body.get(code, [])
            lead_hit = any(lead[0] <= h.start < lead[1] for h in hits)
            score = len(hits) + THEME_TITLE_BONUS * (code in in_title) + THEME_LEAD_BONUS * lead_hit
            if score >= self.theme_min_score:
                scored.append((score, code))
        if not scored:
            return ()
        scored.sort(key=lambda sc: (-sc[0], sc[1]))
        top = scored[0][0]
        out = []
        for score, code in scored[: self.max_themes]:
            hits = body.get(code, [])
            out.append(
                ThemeTopic(
                    code=code,
                    category=categories.get(code) or self.themes.categories.get(code, code),
                    salience=round(score / top, 3),
                    score=round(score, 2),
                    mentions=len(hits),
                    in_title=code in in_title,
                    in_lead=any(lead[0] <= h.start < lead[1] for h in hits),
                    spans=tuple(
                        Span(h.start, h.end, source[h.start : h.end])
                        for h in hits[:MAX_THEME_SPANS]
                    ),
                )
            )
        return tuple(out)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _lead(text: str, dateline_span: tuple[int, int] | None) -> tuple[int, int]:
    """The lead sentence: it follows the dateline, else opens the first paragraph. It ends
    at the first sentence break past ``LEAD_MIN_CHARS``, the paragraph's end, or the cap."""
    start = dateline_span[1] if dateline_span is not None else len(text) - len(text.lstrip())
    end = text.find("\n", start)
    end = min(len(text) if end < 0 else end, start + LEAD_MAX_CHARS)
    sentence = _SENTENCE_END.search(text, start + LEAD_MIN_CHARS, end)
    return start, sentence.start() + 1 if sentence else end


class TopicsComponent:
    """spaCy component: sets ``doc._.ww_topics`` (a ``Topics``)."""

    def __init__(self, nlp: Language, name: str, **config: Any) -> None:
        self.name = name
        gazetteer = load_gazetteer()
        issues = load_issue_table()
        self.scorer = TopicScorer(gazetteer, issues, nlp.lang, **config)
        self.provenance: dict[str, Any] = {
            "rules": RULES_VERSION,
            "issues": issues.version,
            "issue_sources": dict(issues.sources),
            **gazetteer.provenance,
        }

    def __call__(self, doc: Doc) -> Doc:
        dateline = doc._.ww_dateline
        actors = doc._.ww_actors if Doc.has_extension("ww_actors") else None
        title = doc.user_data.get("title")
        text = doc_text(doc)
        doc._.ww_topics = self.scorer.score(
            text,
            doc._.ww_places or [],
            actors=actors,
            dateline_span=(dateline.span.start, dateline.span.end) if dateline else None,
            dateline_country=dateline.country if dateline else None,
            title=title if isinstance(title, str) else None,
            source=original_text(doc, text),
        )
        return doc

    def export(self, doc: Doc) -> dict[str, Any]:
        topics = doc._.ww_topics or Topics()
        return {"topics": to_jsonable(topics)}


@Language.factory(
    "ww_topics",
    requires=["doc._.ww_places"],
    assigns=["doc._.ww_topics"],
    default_config={
        "min_score": 2.5,
        "min_relative": 0.25,
        "theme_min_score": 2.0,
        "max_themes": 5,
    },
)
def make_topics(
    nlp: Language,
    name: str,
    min_score: float,
    min_relative: float,
    theme_min_score: float,
    max_themes: int,
) -> TopicsComponent:
    return TopicsComponent(
        nlp,
        name,
        min_score=min_score,
        min_relative=min_relative,
        theme_min_score=theme_min_score,
        max_themes=max_themes,
    )
