"""ww_topics: what an article is about (countries as ISO alpha-3, Phoenix themes)."""

from __future__ import annotations

import pytest

import streams.nlp.dateline
import streams.nlp.places
import streams.nlp.topics  # noqa: F401  (registers the factories)
from streams.nlp.annotations import Actor, ActorMention, Place, Span
from streams.nlp.geo import load_gazetteer
from streams.nlp.geo.themes import load_issue_table
from streams.nlp.normalize import normalize
from streams.nlp.topics import TopicScorer

COMPONENTS = [("ww_dateline", {}), ("ww_places", {}), ("ww_topics", {})]


def run(nlp, text: str, title: str | None = None):
    """Like nlp(text), with the title the enrichment pipeline puts in user_data."""
    doc = nlp.make_doc(text)
    if title is not None:
        doc.user_data["title"] = title
    for _, proc in nlp.pipeline:
        doc = proc(doc)
    return doc


def codes(topics) -> list[str]:
    return [c.code for c in topics.countries]


@pytest.fixture(scope="module")
def scorers() -> dict[str, TopicScorer]:
    gazetteer, issues = load_gazetteer(), load_issue_table()
    return {lang: TopicScorer(gazetteer, issues, lang) for lang in ("fr", "en")}


def _place(text: str, pid: str, name: str, country: str, kind: str, surface: str) -> Place:
    spans, start = [], text.find(surface)
    while start >= 0:
        spans.append(Span(start, start + len(surface), surface))
        start = text.find(surface, start + 1)
    return Place(pid, name, country, kind, tuple(spans))


# --- countries ---------------------------------------------------------------------------

TEXT_FR = (
    "La Syrie a rejeté jeudi le plan de paix. Le régime syrien accuse l'opposition. "
    "Selon Damas, les combats continuent en Syrie. Un diplomate de passage en Allemagne "
    "a jugé la situation en Syrie préoccupante."
)


def _places_fr() -> list[Place]:
    return [
        _place(TEXT_FR, "SY", "Syria", "SY", "country", "Syrie"),
        _place(TEXT_FR, "damascus", "Damascus", "SY", "city", "Damas"),
        _place(TEXT_FR, "DE", "Germany", "DE", "country", "Allemagne"),
    ]


def test_dominant_country_is_the_topic_and_a_passing_mention_is_not(scorers):
    topics = scorers["fr"].score(TEXT_FR, _places_fr())
    assert codes(topics) == ["SYR"]
    syr = topics.countries[0]
    assert syr.country == "SY" and syr.name == "Syria" and syr.salience == 1.0
    assert syr.evidence.place_mentions == 4  # three "Syrie" + "Damas"
    assert syr.evidence.demonym_mentions == 1  # "syrien"
    assert syr.evidence.in_lead


def test_title_promotes_a_country(scorers):
    text = (
        "Les ministres des Finances ont longuement débattu du budget commun mardi.\n\n"
        "Berlin a soutenu la proposition de l'Allemagne."
    )
    places = [
        _place(text, "berlin", "Berlin", "DE", "city", "Berlin"),
        _place(text, "DE", "Germany", "DE", "country", "Allemagne"),
    ]
    assert codes(scorers["fr"].score(text, places)) == []
    with_title = scorers["fr"].score(text, places, title="L'Allemagne soutient le budget européen")
    assert codes(with_title) == ["DEU"]
    assert with_title.countries[0].evidence.in_title


def test_dateline_country_alone_is_not_a_topic(scorers):
    text = "HANOÏ (AFP) - Le Japon et la Chine ont signé un accord. Le Japon et la Chine..."
    places = [
        _place(text, "JP", "Japan", "JP", "country", "Japon"),
        _place(text, "CN", "China", "CN", "country", "Chine"),
    ]
    topics = scorers["fr"].score(text, places, dateline_span=(0, 14), dateline_country="VN")
    assert set(codes(topics)) == {"JPN", "CHN"}  # not VNM


def test_actors_count_when_present(scorers):
    text = (
        "Recep Tayyip Erdogan a reçu son homologue mardi. Erdogan a promis une réponse. "
        "Le dirigeant turc a ensuite quitté Ankara."
    )
    places = [_place(text, "ankara", "Ankara", "TR", "city", "Ankara")]
    assert codes(scorers["fr"].score(text, places)) == []

    def mention(surface: str, kind: str, after: int = 0) -> ActorMention:
        start = text.index(surface, after)
        return ActorMention(start, start + len(surface), surface, "erdogan", kind, 0.9)

    erdogan = Actor(
        id="erdogan",
        name="Recep Tayyip Erdogan",
        type="person",
        cameo="TURGOV",  # no country set: taken from the CAMEO code
        mentions=[
            mention("Recep Tayyip Erdogan", "name"),
            mention("Erdogan", "surname", after=40),
            mention("Le dirigeant turc", "description"),
        ],
    )
    topics = scorers["fr"].score(text, places, actors=[erdogan])
    assert codes(topics) == ["TUR"]
    evidence = topics.countries[0].evidence
    assert evidence.actor_mentions == 2  # the description overlaps the demonym "turc"
    assert evidence.demonym_mentions == 1
    assert evidence.in_lead


def test_seats_of_government_and_nationalities_count(scorers):
    text = "The Kremlin said Russian troops would stay. The Kremlin and Russian diplomats agreed."
    topics = scorers["en"].score(text, [])
    assert codes(topics) == ["RUS"]
    assert topics.countries[0].evidence.metonym_mentions == 2


# --- themes ------------------------------------------------------------------------------


def test_french_themes(scorers):
    text = (
        "De nouvelles frappes aériennes ont visé la ville. Ces raids aériens ont tué des civils. "
        "Une seule mention de pétrole."
    )
    themes = scorers["fr"].score(text, []).themes
    assert [t.code for t in themes] == ["AIRSTRIKE"]
    assert themes[0].mentions == 2 and themes[0].in_lead
    assert [s.text for s in themes[0].spans] == ["frappes aériennes", "raids aériens"]


def test_english_theme_exclusions_and_acronyms(scorers):
    text = "Olive oil prices rose. Olive oil exports fell. We eu and eu are fine."
    assert scorers["en"].score(text, []).themes == ()
    text = "The EU met. EU leaders and the European Commission agreed on sanctions."
    themes = scorers["en"].score(text, []).themes
    assert themes[0].code == "EUROPEAN_UNION" and themes[0].mentions == 3


def test_title_promotes_a_theme(scorers):
    text = "Officials met on Tuesday. A drought has hit the region."
    assert scorers["en"].score(text, []).themes == ()
    themes = scorers["en"].score(text, [], title="Drought threatens harvest").themes
    assert "WATER_SECURITY" in [t.code for t in themes]
    assert next(t for t in themes if t.code == "WATER_SECURITY").in_title


# --- the component -----------------------------------------------------------------------


def test_component_on_english_story(nlp_for):
    nlp = nlp_for("en", pipes=["ner"], components=COMPONENTS)
    text = (
        "KYIV, Ukraine (AP) — Russian drones struck power stations across Ukraine overnight, "
        "cutting electricity to thousands of homes, Ukrainian officials said.\n\n"
        "Power outages were reported in Lviv and Dnipro. Ukraine's air force said it downed "
        "most of the drones. In Berlin, Germany promised more air defense systems."
    )
    doc = run(nlp, text, title="Russian strikes plunge Ukraine into darkness")
    topics = doc._.ww_topics
    assert codes(topics)[0] == "UKR"
    assert "DEU" not in codes(topics)
    ukr = topics.countries[0]
    assert ukr.evidence.in_title and ukr.evidence.in_lead and ukr.evidence.in_dateline
    record = nlp.get_pipe("ww_topics").export(doc)
    assert set(record) == {"topics"}
    assert set(record["topics"]) == {"countries", "themes"}
    assert record["topics"]["countries"][0]["code"] == "UKR"
    assert "issues" in nlp.get_pipe("ww_topics").provenance


def test_component_without_places_is_empty(nlp_for):
    nlp = nlp_for("fr", pipes=["ner"], components=[("ww_topics", {})])
    doc = nlp("Il fait beau aujourd'hui.")
    assert nlp.get_pipe("ww_topics").export(doc) == {"topics": {"countries": [], "themes": []}}


@pytest.mark.shared
def test_sample_story_topics(nlp_for, sample_fr_text):
    nlp = nlp_for("fr", pipes=["ner"], components=COMPONENTS)
    doc = run(nlp, normalize(sample_fr_text))
    topics = doc._.ww_topics
    assert codes(topics)[0] == "SYR"
    assert topics.countries[0].salience == 1.0
    assert topics.countries[0].evidence.place_mentions == 11
    for passing in ("DEU", "IRQ", "CHE", "VNM"):  # one-off mentions, a venue, the dateline
        assert passing not in codes(topics)
    assert {t.code for t in topics.themes} >= {"NAMED_TERROR_GROUP"}
    for theme in topics.themes:
        for span in theme.spans:
            assert sample_fr_text[span.start : span.end] == span.text
