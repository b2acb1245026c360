"""ww_places: gazetteer + NER places, ISO codes, what is not a place, dateline exclusion."""

from __future__ import annotations

import pytest

import streams.nlp.dateline
import streams.nlp.places  # noqa: F401  (registers the factories)
from streams.nlp.geo import load_gazetteer
from streams.nlp.normalize import normalize
from streams.nlp.places import PlaceResolver, _Ent

COMPONENTS = [("ww_dateline", {}), ("ww_places", {})]


@pytest.fixture(scope="module")
def fr(nlp_for):
    return nlp_for("fr", pipes=["ner"], components=COMPONENTS)


@pytest.fixture(scope="module")
def en(nlp_for):
    return nlp_for("en", pipes=["ner"], components=COMPONENTS)


def places_of(nlp, text: str) -> dict[str, tuple[str | None, str, list[str]]]:
    doc = nlp(text)
    out = {}
    for p in doc._.ww_places:
        for m in p.mentions:
            assert text[m.start : m.end] == m.text
        out[p.id] = (p.country, p.kind, [m.text for m in p.mentions])
    return out


def test_french_cities_resolve_to_their_country(fr):
    got = places_of(
        fr, "Les ministres se sont réunis à Genève avant de partir pour Moscou, puis Washington."
    )
    assert got == {
        "geneva": ("CH", "city", ["Genève"]),
        "moscow": ("RU", "city", ["Moscou"]),
        "washington": ("US", "city", ["Washington"]),
    }


def test_french_country_names(fr):
    got = places_of(fr, "L'Allemagne et les États-Unis ont condamné l'attaque en Irak et en Syrie.")
    assert {k: v[0] for k, v in got.items()} == {"DE": "DE", "US": "US", "IQ": "IQ", "SY": "SY"}
    assert all(kind == "country" for _, kind, _ in got.values())


def test_french_names_with_articles(fr):
    got = places_of(fr, "Le ministre s'est rendu à Kaboul, puis au Caire et à Pékin.")
    assert {k: v[0] for k, v in got.items()} == {"kabul": "AF", "cairo": "EG", "beijing": "CN"}


def test_demonyms_and_seats_of_government_are_not_places(fr, en):
    assert (
        places_of(
            fr, "Le président américain et son homologue russe ont parlé des forces syriennes."
        )
        == {}
    )
    assert places_of(fr, "Le Kremlin et la Maison-Blanche ont publié un communiqué commun.") == {}
    assert (
        places_of(en, "Syrian and Russian officials met American diplomats at the White House.")
        == {}
    )


def test_english_places(en):
    got = places_of(
        en,
        "Officials in Geneva, Moscow and Washington said Germany and the U.S. "
        "would send aid to Iraq.",
    )
    assert {k: v[0] for k, v in got.items()} == {
        "geneva": "CH",
        "moscow": "RU",
        "washington": "US",
        "DE": "DE",
        "US": "US",
        "IQ": "IQ",
    }
    assert got["US"][2] == ["U.S."]


def test_place_names_inside_people_and_organisations(en):
    got = places_of(
        en, "The Washington Post reported that Paris Hilton met Jordan Henderson in London."
    )
    assert set(got) == {"london"}


def test_names_that_are_also_first_names_need_the_model(en):
    assert places_of(en, "Chad Smith said the plan would work.") == {}


def test_namesakes_resolved_by_context(en):
    got = places_of(en, "Clashes erupted in Tripoli, in northern Lebanon, and in Beirut on Sunday.")
    assert got["tripoli-lebanon"][0] == "LB"
    got = places_of(
        en,
        "Voters in Atlanta, Georgia, queued for hours while Georgia's leaders in Tbilisi watched.",
    )
    assert got["us-ga"][0] == "US"  # "Atlanta, Georgia": the state
    assert got["GE"][0] == "GE"  # "Georgia's leaders in Tbilisi": the country


def test_dateline_place_left_out_unless_the_body_mentions_it(fr):
    got = places_of(fr, "GENÈVE (AFP) - Les pourparlers sur la Syrie ont repris mardi.")
    assert set(got) == {"SY"}
    text = "GENÈVE (AFP) - Les pourparlers sur la Syrie ont repris mardi à Genève."
    got = places_of(fr, text)
    assert got["geneva"] == ("CH", "city", ["Genève"])
    assert fr(text)._.ww_places[-1].mentions[0].start == text.rindex("Genève")


def test_export_is_json_ready(en):
    nlp = en
    doc = nlp("Talks resumed in Geneva.")
    record = nlp.get_pipe("ww_places").export(doc)
    assert record == {
        "places": [
            {
                "id": "geneva",
                "name": "Geneva",
                "country": "CH",
                "kind": "city",
                "mentions": [{"start": 17, "end": 23, "text": "Geneva"}],
                "confidence": record["places"][0]["confidence"],
            }
        ]
    }
    assert 0.5 < record["places"][0]["confidence"] <= 1.0
    assert "gazetteer" in nlp.get_pipe("ww_places").provenance


# --- rules, without a model (entities given by hand) -------------------------------------


@pytest.fixture(scope="module")
def resolver_en() -> PlaceResolver:
    return PlaceResolver(load_gazetteer(), "en")


@pytest.fixture(scope="module")
def resolver_fr() -> PlaceResolver:
    return PlaceResolver(load_gazetteer(), "fr")


def _ent(text: str, surface: str, label: str) -> _Ent:
    start = text.index(surface)
    return _Ent(start, start + len(surface), label)


def test_gazetteer_name_survives_a_wrong_person_label(resolver_fr):
    text = "Le sommet de Da Nang s'est achevé."
    places = resolver_fr.resolve(text, [_ent(text, "Da Nang", "PER")])
    assert [(p.id, p.country) for p in places] == [("da-nang", "VN")]
    assert places[0].confidence < 0.85  # the model disagreed


def test_model_agreement_must_cover_the_same_name(resolver_en):
    text = "Rebels entered Maarat al-Numan at dawn."
    places = resolver_en.resolve(text, [_ent(text, "Maarat al-Numan", "GPE")])
    assert [(p.id, p.country, p.kind) for p in places] == [
        ("unresolved:maarat-al-numan", None, "other")
    ]


def test_mislabelled_list_of_places_is_not_an_organisation(resolver_en):
    text = "The attack on Kharkiv and Odesa was the largest in weeks."
    places = resolver_en.resolve(text, [_ent(text, "Kharkiv and Odesa", "WORK_OF_ART")])
    assert {p.id for p in places} == {"kharkiv", "odesa"}


def test_unresolved_needs_place_context(resolver_fr):
    text = "Des combats ont eu lieu à Kafr Nabudah selon les chefs d'État réunis."
    ents = [_ent(text, "Kafr Nabudah", "LOC"), _ent(text, "État", "LOC")]
    places = resolver_fr.resolve(text, ents)
    assert [(p.id, p.name) for p in places] == [("unresolved:kafr-nabudah", "Kafr Nabudah")]
    no_context = PlaceResolver(load_gazetteer(), "fr", unresolved=False)
    assert no_context.resolve(text, ents) == []


def test_lowercase_and_acronyms(resolver_en):
    text = "Let us go. The US and the UK agreed; a turkey was served."
    places = resolver_en.resolve(text, [])
    assert [p.id for p in places] == ["US", "GB"]


def test_accents_and_case_are_folded(resolver_fr):
    text = "Les délégations sont arrivées à GENEVE puis à Etats-Unis."
    places = resolver_fr.resolve(text, [])
    assert [p.id for p in places] == ["geneva", "US"]


@pytest.mark.shared
def test_sample_story_places(fr, sample_fr_text):
    doc = fr(normalize(sample_fr_text))
    places = {p.id: p for p in doc._.ww_places}
    expected = {
        "SY": ("SY", "country"),
        "VN": ("VN", "country"),
        "RU": ("RU", "country"),
        "US": ("US", "country"),
        "IQ": ("IQ", "country"),
        "DE": ("DE", "country"),
        "geneva": ("CH", "city"),
        "moscow": ("RU", "city"),
        "washington": ("US", "city"),
        "da-nang": ("VN", "city"),
    }
    for pid, (country, kind) in expected.items():
        assert pid in places, pid
        assert (places[pid].country, places[pid].kind) == (country, kind)
    for place in places.values():
        for m in place.mentions:
            assert sample_fr_text[m.start : m.end] == m.text
    assert len(places["SY"].mentions) == 11
    # the dateline's own "Da Nang, Vietnam" is not a mention; the body's are
    dateline = doc._.ww_dateline
    for pid in ("da-nang", "VN"):
        assert all(m.start >= dateline.span.end for m in places[pid].mentions)
        assert len(places[pid].mentions) == 1
    # neither demonyms ("Russes", "américain") nor the Kremlin / Maison-Blanche are places
    assert not any(p.id.startswith("unresolved:") for p in places.values())
    assert {"RU", "US"} <= set(places)
    assert all(
        m.text not in ("Kremlin", "Maison-Blanche", "Russes")
        for p in places.values()
        for m in p.mentions
    )


def test_mentions_quote_the_original_text(fr):
    original = "Les élections en Côte d’Ivoire ont été reportées."
    text = normalize(original)
    assert "d'Ivoire" in text
    doc = fr.make_doc(text)
    doc.user_data["original_text"] = original
    doc.user_data["text"] = text
    for _, proc in fr.pipeline:
        doc = proc(doc)
    (place,) = doc._.ww_places
    assert place.id == "CI"
    (mention,) = place.mentions
    assert mention.text == "Côte d’Ivoire" == original[mention.start : mention.end]
