"""ww_dateline: agency dateline conventions, kickers that are not datelines, offsets."""

from __future__ import annotations

import pytest

import streams.nlp.dateline  # noqa: F401  (registers the factory)
from streams.nlp.dateline import DatelineFinder
from streams.nlp.geo import load_gazetteer


@pytest.fixture(scope="module")
def finders() -> dict[str, DatelineFinder]:
    gazetteer = load_gazetteer()
    return {lang: DatelineFinder(gazetteer, lang) for lang in ("fr", "en")}


@pytest.mark.parametrize(
    ("lang", "text", "span", "place", "country", "place_id"),
    [
        (
            "fr",
            "PARIS (AFP) - Le gouvernement a présenté son budget.",
            "PARIS (AFP) -",
            "PARIS",
            "FR",
            "paris",
        ),
        (
            "en",
            "WASHINGTON, Nov 11 (Reuters) - U.S. officials said on Saturday.",
            "WASHINGTON, Nov 11 (Reuters) -",
            "WASHINGTON",
            "US",
            "washington",
        ),
        (
            "fr",
            "Moscou, 10 nov 2017 (AFP) - Le Kremlin a démenti toute ingérence.",
            "Moscou, 10 nov 2017 (AFP) -",
            "Moscou",
            "RU",
            "moscow",
        ),
        ("fr", "GENÈVE — Les pourparlers reprendront mardi.", "GENÈVE —", "GENÈVE", "CH", "geneva"),
        (
            "en",
            "BEIRUT: Lebanese banks stayed shut on Monday.",
            "BEIRUT:",
            "BEIRUT",
            "LB",
            "beirut",
        ),
        (
            "fr",
            "Hanoï, Vietnam — Les autorités ont fermé les écoles.",
            "Hanoï, Vietnam —",
            "Hanoï",
            "VN",
            "hanoi",
        ),
        (
            "en",
            "KYIV, Ukraine (AP) — Air raid sirens sounded.",
            "KYIV, Ukraine (AP) —",
            "KYIV",
            "UA",
            "kyiv",
        ),
        (
            "fr",
            "N'DJAMENA, 3 mars (AFP) - Le Tchad a fermé sa frontière.",
            "N'DJAMENA, 3 mars (AFP) -",
            "N'DJAMENA",
            "TD",
            "ndjamena",
        ),
        (
            "fr",
            "Rio de Janeiro, 5 janvier 2020 (AFP) - Des pluies diluviennes ont frappé la ville.",
            "Rio de Janeiro, 5 janvier 2020 (AFP) -",
            "Rio de Janeiro",
            "BR",
            "rio-de-janeiro",
        ),
    ],
)
def test_wire_conventions(finders, lang, text, span, place, country, place_id):
    found = finders[lang].find(text)
    assert found is not None
    assert found.span.text == span
    assert text[found.span.start : found.span.end] == span
    assert (found.place, found.country, found.place_id) == (place, country, place_id)
    assert 0.5 < found.confidence <= 0.99


def test_unknown_town_takes_its_country_from_the_region(finders):
    found = finders["en"].find("SPRINGFIELD, Ill. (AP) — A tornado hit the town on Sunday.")
    assert found is not None
    assert (found.place, found.country, found.place_id) == ("SPRINGFIELD", "US", None)


def test_region_overrides_a_namesake(finders):
    found = finders["en"].find("Paris, Texas (AP) — Residents cleared debris.")
    assert found is not None
    assert found.country == "US"
    assert found.place_id is None  # not the French capital


def test_dateline_after_caption_or_byline(finders):
    text = "A photo caption.\n\nBy Jane Doe\nLONDON, March 3 (Reuters) - Britain's economy grew."
    found = finders["en"].find(text)
    assert found is not None
    assert found.place == "LONDON" and found.country == "GB"
    assert text[found.span.start : found.span.end] == "LONDON, March 3 (Reuters) -"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Syrie : le régime accuse les rebelles d'avoir violé la trêve."),
        ("en", "UPDATE - Markets fell sharply on Monday."),
        ("en", "EXCLUSIVE: Officials weigh new sanctions."),
        ("fr", "Selon Moscou - qui dément - aucune frappe n'a eu lieu."),
        ("fr", "Le président américain, Donald Trump, et son homologue russe, Vladimir Poutine."),
        ("en", "The ministry said on Monday - without giving details - that talks would resume."),
        ("fr", "Washington - Le président a signé le décret."),  # hyphen, title case, no cue
    ],
)
def test_kickers_and_prose_are_not_datelines(finders, lang, text):
    assert finders[lang].find(text) is None


def test_dateline_only_near_the_start(finders):
    body = "\n\n".join(["Un paragraphe ordinaire sans lieu en tête."] * 3)
    assert finders["fr"].find(body + "\n\nPARIS (AFP) - Trop tard pour une ligne de date.") is None


def test_component_sets_extension_and_exports(nlp_for):
    nlp = nlp_for("en", pipes=["ner"], components=[("ww_dateline", {})])
    doc = nlp("GENEVA, March 3 (Reuters) - Talks on Syria resumed on Tuesday.")
    assert doc._.ww_dateline.country == "CH"
    record = nlp.get_pipe("ww_dateline").export(doc)
    assert record["dateline"]["span"] == {
        "start": 0,
        "end": 27,
        "text": "GENEVA, March 3 (Reuters) -",
    }
    assert record["dateline"]["place_id"] == "geneva"
    assert "gazetteer" in nlp.get_pipe("ww_dateline").provenance

    assert nlp.get_pipe("ww_dateline").export(nlp("No dateline here."))["dateline"] is None


@pytest.mark.shared
def test_sample_story_dateline(nlp_for, sample_fr_text):
    from streams.nlp.normalize import normalize

    nlp = nlp_for("fr", pipes=["ner"], components=[("ww_dateline", {})])
    doc = nlp(normalize(sample_fr_text))
    dateline = doc._.ww_dateline
    assert dateline is not None
    assert (dateline.place, dateline.country, dateline.place_id) == ("Da Nang", "VN", "da-nang")
    assert dateline.span.text == "Da Nang, Vietnam —"
    assert sample_fr_text[dateline.span.start : dateline.span.end] == "Da Nang, Vietnam —"
