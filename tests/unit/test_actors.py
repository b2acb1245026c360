"""ww_actors: aliases, cross-lingual ids, surnames, titles, metonyms, agents, unknown
people, date-aware codes and offsets, in French and English."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import fastjsonschema
import pytest
from spacy.language import Language
from spacy.tokens import Doc

import streams.nlp.actors  # importing registers the factory
from streams.nlp.annotations import Actor, ActorMention
from streams.nlp.normalize import normalize

FR_PIPES = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"]
EN_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]
SCHEMA = Path(streams.nlp.actors.__file__).with_name("data") / "actors.schema.json"


@pytest.fixture(scope="module")
def fr(nlp_for) -> Language:
    return nlp_for("fr", pipes=FR_PIPES, components=[("ww_actors", {})])


@pytest.fixture(scope="module")
def en(nlp_for) -> Language:
    return nlp_for("en", pipes=EN_PIPES, components=[("ww_actors", {})])


def annotate(nlp: Language, text: str, published_at: str | None = None) -> Doc:
    """Run the pipeline as the enricher does: normalised text, article date, original."""
    doc = nlp.make_doc(normalize(text))
    doc.user_data["published_at"] = published_at
    doc.user_data["original_text"] = text
    return nlp(doc)


def actor(doc: Doc, actor_id: str) -> Actor:
    found = [a for a in doc._.ww_actors if a.id == actor_id]
    assert found, f"{actor_id} not in {[a.id for a in doc._.ww_actors]}"
    return found[0]


def ids(doc: Doc) -> set[str]:
    return {a.id for a in doc._.ww_actors}


def mention_at(doc: Doc, text: str, nth: int = 0) -> ActorMention | None:
    start = -1
    for _ in range(nth + 1):
        start = doc.text.index(normalize(text), start + 1)
    for m in doc._.ww_actor_mentions:
        if m.start <= start < m.end:
            return m
    return None


def check_invariants(doc: Doc, original: str) -> None:
    mentions = doc._.ww_actor_mentions
    assert mentions == sorted(mentions, key=lambda m: m.start)
    for a, b in pairwise(mentions):
        assert a.end <= b.start, (a, b)
    for m in mentions:
        assert original[m.start : m.end] == m.text
        assert 0 < m.confidence <= 1
    by_actor = {a.id: a for a in doc._.ww_actors}
    assert sum(len(a.mentions) for a in by_actor.values()) == len(mentions)


# ------------------------------------------------------------------ aliases


def test_french_aliases_and_cross_lingual_ids(fr: Language, en: Language) -> None:
    fr_text = (
        "L'ONU a condamné jeudi les attaques de Daech, tandis que l'Otan se réunissait. "
        "Les Nations unies estiment que l'État islamique a perdu du terrain."
    )
    en_text = "The United Nations said Islamic State had lost ground, NATO officials said."
    fdoc, edoc = annotate(fr, fr_text), annotate(en, en_text)
    assert {"united-nations", "islamic-state", "nato"} <= ids(fdoc)
    assert {"united-nations", "islamic-state", "nato"} <= ids(edoc)
    un = actor(fdoc, "united-nations")
    assert [m.text for m in un.mentions] == ["ONU", "Nations unies"]
    assert un.cameo == "IGOUNO" and un.qid == "Q1065" and un.type == "igo"
    assert len(actor(fdoc, "islamic-state").mentions) == 2
    check_invariants(fdoc, fr_text)
    check_invariants(edoc, en_text)


def test_short_aliases_need_their_case(fr: Language, en: Language) -> None:
    doc = annotate(fr, "Un nouveau cycle de pourparlers commence. Le groupe EI recule.")
    assert "united-nations" not in ids(doc)
    assert actor(doc, "islamic-state").mentions[0].text == "EI"
    doc = annotate(en, "The UN said the talks would resume.")
    assert actor(doc, "united-nations").mentions[0].text == "UN"


# ------------------------------------------------------------------ people


def test_surnames_resolve_to_the_person_named_in_the_article(fr: Language) -> None:
    text = (
        "Vladimir Poutine a reçu mardi Sergueï Lavrov. Selon Lavrov, Poutine souhaite "
        "une rencontre rapide."
    )
    doc = annotate(fr, text)
    putin = actor(doc, "vladimir-putin")
    assert [(m.text, m.kind) for m in putin.mentions] == [
        ("Vladimir Poutine", "alias"),
        ("Poutine", "surname"),
    ]
    assert [m.kind for m in actor(doc, "sergey-lavrov").mentions] == ["alias", "surname"]
    check_invariants(doc, text)


def test_unknown_people_get_stable_ids_and_their_surnames(fr: Language, en: Language) -> None:
    text = "Jean Dupont, un diplomate français, a démenti. Dupont a ajouté qu'il partait."
    doc = annotate(fr, text)
    person = actor(doc, "person:jean-dupont")
    assert not person.known and person.type == "person" and person.source == "ner"
    assert [(m.text, m.kind) for m in person.mentions] == [
        ("Jean Dupont", "name"),
        ("Dupont", "surname"),
    ]
    text = "Jane Doe, a spokeswoman for the group, declined to comment. Doe later left."
    doc = annotate(en, text)
    assert [m.kind for m in actor(doc, "person:jane-doe").mentions] == ["name", "surname"]


def test_a_lone_surname_inside_another_name_is_not_the_person(en: Language) -> None:
    doc = annotate(en, "John Smith, a farmer, said Kerry County was flooded.")
    assert "john-kerry" not in ids(doc)


# ------------------------------------------------------------------ titles


def test_titles_in_apposition_and_counterparts(fr: Language, en: Language) -> None:
    text = (
        "Le président américain, Donald Trump, et son homologue russe, Vladimir Poutine, "
        "se sont parlé."
    )
    doc = annotate(fr, text, "2017-11-11T08:00:00Z")
    assert mention_at(doc, "président américain").actor_id == "donald-trump"
    m = mention_at(doc, "homologue russe")
    assert (m.actor_id, m.kind, m.text) == ("vladimir-putin", "title", "homologue russe")
    text = "US President Donald Trump met his Russian counterpart Vladimir Putin on Saturday."
    doc = annotate(en, text, "2017-11-11")
    assert mention_at(doc, "US President").actor_id == "donald-trump"
    assert mention_at(doc, "Russian counterpart").actor_id == "vladimir-putin"


def test_titles_resolve_by_office_on_the_article_date(fr: Language, en: Language) -> None:
    text = (
        "Vladimir Poutine a rencontré Dmitri Medvedev au Kremlin. Le président russe a "
        "ensuite reçu la presse, et le Premier ministre russe s'est tu."
    )
    doc = annotate(fr, text, "2010-05-01T00:00:00Z")  # Medvedev president, Putin PM
    assert mention_at(doc, "président russe").actor_id == "dmitry-medvedev"
    assert mention_at(doc, "Premier ministre russe").actor_id == "vladimir-putin"
    doc = annotate(fr, text, "2017-05-01T00:00:00Z")  # Putin president, Medvedev PM
    assert mention_at(doc, "président russe").actor_id == "vladimir-putin"
    assert mention_at(doc, "Premier ministre russe").actor_id == "dmitry-medvedev"
    text = "Donald Trump phoned Vladimir Putin. The Russian leader thanked the US president."
    doc = annotate(en, text, "2017-12-17")
    assert mention_at(doc, "Russian leader").actor_id == "vladimir-putin"
    assert mention_at(doc, "US president").actor_id == "donald-trump"


def test_descriptions_and_periphrases(fr: Language) -> None:
    text = (
        "Donald Trump a salué Vladimir Poutine. Le maître du Kremlin a répondu à "
        "l'ancien homme d’affaires de New York."
    )
    doc = annotate(fr, text, "2017-11-11T00:00:00Z")
    m = mention_at(doc, "maître du Kremlin")
    assert (m.actor_id, m.kind) == ("vladimir-putin", "description")
    m = mention_at(doc, "homme d’affaires")
    assert (m.actor_id, m.kind) == ("donald-trump", "description")
    assert m.text == "ancien homme d’affaires de New York"
    # A description alone does not name anyone.
    doc = annotate(fr, "L'ancien homme d'affaires de New York a parlé.")
    assert "donald-trump" not in ids(doc)


def test_former_office_holders_are_not_the_incumbent(fr: Language) -> None:
    text = (
        "L'ancien président américain Barack Obama a critiqué Donald Trump. "
        "Le président américain n'a pas répondu."
    )
    doc = annotate(fr, text, "2018-03-01T00:00:00Z")
    assert mention_at(doc, "président américain").actor_id == "barack-obama"
    assert mention_at(doc, "président américain", nth=1).actor_id == "donald-trump"


# ------------------------------------------------------------------ metonyms and agents


def test_capitals_stand_for_governments_only_when_they_act(fr: Language, en: Language) -> None:
    text = (
        "Ils sont d'accord, ont annoncé samedi Moscou et Washington. Une délégation "
        "s'est rendue à Moscou, puis à Washington. Selon Pékin, rien n'est décidé."
    )
    doc = annotate(fr, text)
    assert mention_at(doc, "Moscou").actor_id == "russia-government"
    assert mention_at(doc, "Washington").actor_id == "united-states-government"
    assert mention_at(doc, "Moscou", nth=1) is None
    assert mention_at(doc, "Washington", nth=1) is None
    assert mention_at(doc, "Pékin").kind == "metonym"
    doc = annotate(en, "Washington accused Moscow of meddling. Talks were held in Moscow.")
    assert mention_at(doc, "Washington").actor_id == "united-states-government"
    assert mention_at(doc, "Moscow").actor_id == "russia-government"
    assert mention_at(doc, "Moscow", nth=1) is None
    doc = annotate(fr, "Les talibans ont pris Kaboul.")
    assert mention_at(doc, "Kaboul") is None


def test_buildings_stand_for_governments(fr: Language, en: Language) -> None:
    text = "Le Kremlin a démenti, et la Maison-Blanche aussi. Il a été reçu au Kremlin."
    doc = annotate(fr, text)
    assert mention_at(doc, "Kremlin").actor_id == "russia-government"
    assert mention_at(doc, "Maison-Blanche").kind == "metonym"
    assert mention_at(doc, "Kremlin", nth=1) is None  # a place here
    doc = annotate(en, "The White House and the Kremlin issued a joint statement.")
    assert actor(doc, "united-states-government").cameo == "USAGOV"
    assert actor(doc, "russia-government").cameo == "RUSGOV"


def test_agent_phrases_with_a_nationality(fr: Language, en: Language) -> None:
    text = (
        "Le commandement militaire russe a accusé les États-Unis. Selon des responsables "
        "du département d’État, ces responsables américains ont répondu. Le régime syrien "
        "s'est tu."
    )
    doc = annotate(fr, text)
    m = mention_at(doc, "commandement militaire russe")
    assert (m.actor_id, m.kind) == ("russia-military", "description")
    assert actor(doc, "russia-military").cameo == "RUSMIL"
    assert actor(doc, "russia-military").type == "military"
    m = mention_at(doc, "responsables du département")
    assert m.actor_id == "united-states-government"
    assert m.text == "responsables du département d’État"
    assert mention_at(doc, "responsables américains").actor_id == "united-states-government"
    assert mention_at(doc, "régime syrien").actor_id == "syria-government"
    assert mention_at(doc, "États-Unis").actor_id == "united-states"
    check_invariants(doc, text)
    text = "Russian troops and US officials met while Syria's army shelled the town."
    doc = annotate(en, text)
    assert mention_at(doc, "Russian troops").actor_id == "russia-military"
    assert mention_at(doc, "US officials").actor_id == "united-states-government"
    assert mention_at(doc, "Syria's army").actor_id == "syria-military"


def test_states_are_actors_but_not_where_they_are_places(fr: Language) -> None:
    doc = annotate(fr, "La Russie mène en Syrie une campagne dans l'est de la Syrie.")
    assert actor(doc, "russia").cameo == "RUS"
    assert "syria" not in ids(doc)


# ------------------------------------------------------------------ dates and codes


@pytest.mark.parametrize(
    ("published_at", "cameo", "role"),
    [
        ("1995-06-01T00:00:00Z", "RUSELI", None),
        ("2010-06-01T00:00:00+02:00", "RUSGOV", "head_of_government"),
        ("2017-11-11T08:00:00Z", "RUSGOV", "head_of_state"),
        (None, "RUSGOV", "head_of_state"),  # no date: the latest code, current roles
    ],
)
def test_codes_and_roles_follow_the_article_date(
    fr: Language, published_at: str | None, cameo: str, role: str | None
) -> None:
    doc = annotate(fr, "Vladimir Poutine a parlé.", published_at)
    putin = actor(doc, "vladimir-putin")
    assert putin.cameo == cameo
    assert putin.qid == "Q7747" and putin.country == "RU"
    if role:
        assert role in putin.roles
    else:
        assert not {"head_of_state", "head_of_government"} & set(putin.roles)


def test_trump_codes_before_and_during_office(en: Language) -> None:
    assert actor(annotate(en, "Donald Trump spoke.", "2014-01-01"), "donald-trump").cameo == (
        "USABUS"
    )
    trump = actor(annotate(en, "Donald Trump spoke.", "2018-01-01"), "donald-trump")
    assert trump.cameo == "USAGOV" and "head_of_state" in trump.roles


# ------------------------------------------------------------------ offsets and export


def test_offsets_slice_the_original_text_with_curly_apostrophes(fr: Language) -> None:
    original = "L’ONU et l’État islamique : d’après l’émissaire de l’ONU, Staffan de Mistura, rien."
    doc = annotate(fr, original)
    assert len(doc.text) == len(original)
    for m in doc._.ww_actor_mentions:
        assert original[m.start : m.end] == m.text
        assert normalize(m.text) == doc.text[m.start : m.end]
    texts = [m.text for m in doc._.ww_actor_mentions]
    assert "État islamique" in texts and "Staffan de Mistura" in texts
    # Without the original in user_data, texts come from the (normalised) Doc.
    doc = fr(normalize("Selon le département d’État, rien."))
    m = mention_at(doc, "département")
    assert m.text == "département d'État"


def test_export_is_json_ready_and_matches_the_schema(fr: Language) -> None:
    text = "Le président américain, Donald Trump, a appelé Vladimir Poutine."
    doc = annotate(fr, text, "2017-11-11T08:00:00Z")
    pipe = fr.get_pipe("ww_actors")
    exported = json.loads(json.dumps(pipe.export(doc)))
    fastjsonschema.compile(json.loads(SCHEMA.read_text()))(exported)
    trump = next(a for a in exported["actors"] if a["id"] == "donald-trump")
    assert trump["cameo"] == "USAGOV" and trump["country"] == "US"
    assert [m["kind"] for m in trump["mentions"]] == ["title", "name"]
    assert pipe.provenance["dictionary_version"]
    assert pipe.provenance["component"].startswith("ww_actors/")


def test_empty_and_actorless_docs(fr: Language) -> None:
    for text in ("", "Il pleut sur la ville depuis trois jours."):
        doc = annotate(fr, text)
        assert doc._.ww_actors == [] and doc._.ww_actor_mentions == []


# ------------------------------------------------------------------ the sample story


EXPECTED = {
    "donald-trump": "USAGOV",
    "vladimir-putin": "RUSGOV",
    "bashar-al-assad": "SYRGOV",
    "rex-tillerson": "USAGOV",
    "sergey-lavrov": "RUSGOV",
    "staffan-de-mistura": "IGOUNO",
    "islamic-state": None,
    "united-nations": "IGOUNO",
    "federal-security-service": None,
    "asia-pacific-economic-cooperation": None,
    "g20": None,
}


@pytest.mark.shared
def test_sample_story(fr: Language, sample_fr_text: str) -> None:
    doc = annotate(fr, sample_fr_text, "2017-11-11T08:00:00Z")
    check_invariants(doc, sample_fr_text)
    actors = doc._.ww_actors
    for actor_id, cameo in EXPECTED.items():
        found = [a for a in actors if a.id == actor_id]
        assert len(found) == 1, actor_id
        if cameo:
            assert found[0].cameo == cameo, actor_id
    assert len({a.id for a in actors}) == len(actors)

    def mentions(actor_id: str) -> list[tuple[str, str]]:
        return [(m.text, m.kind) for m in actor(doc, actor_id).mentions]

    trump = mentions("donald-trump")
    assert trump.count(("président américain", "title")) == 2
    assert trump.count(("Donald Trump", "name")) == 3
    assert ("ancien homme d’affaires de New York", "description") in trump
    putin = mentions("vladimir-putin")
    assert putin.count(("homologue russe", "title")) == 2
    assert putin.count(("Vladimir Poutine", "alias")) == 2
    assert ("maître du Kremlin", "description") in putin
    assert ("Poutine", "surname") in putin
    assert mentions("bashar-al-assad").count(("Bachar Al-Assad", "alias")) == 2
    assert len(actor(doc, "united-nations").mentions) == 7  # 6 × ONU + Nations unies
    assert len(actor(doc, "islamic-state").mentions) == 4  # 3 × EI + État islamique
    assert actor(doc, "federal-security-service").cameo == "RUSCOP"
    assert "head_of_state" in actor(doc, "donald-trump").roles
    assert "foreign_minister" in actor(doc, "sergey-lavrov").roles
    gov_us = mentions("united-states-government")
    assert ("Washington", "metonym") in gov_us and ("Maison-Blanche", "metonym") in gov_us
    assert ("responsables du département d’État", "description") in gov_us
    assert ("responsables américains", "description") in gov_us
    gov_ru = mentions("russia-government")
    assert ("Moscou", "metonym") in gov_ru and ("Kremlin", "metonym") in gov_ru
    assert mentions("russia-military") == [("commandement militaire russe", "description")]
    # Places are not actors: the dateline, 'en Syrie', 'point de presse à Washington'.
    assert "vietnam" not in {a.id for a in actors}
    assert mention_at(doc, "Washington", nth=1) is None
    assert not any(a.id.startswith("person:") for a in actors)


def test_runs_without_the_parser(nlp_for) -> None:
    """With NER alone (the lighter pipeline) names, titles and agents still resolve;
    only the parse-based checks (acting capitals) fall back to word patterns."""
    nlp = nlp_for("fr", pipes=["ner"], components=[("ww_actors", {})])
    text = "Selon Moscou, Vladimir Poutine et l'ONU ont parlé. Le Kremlin a démenti."
    doc = annotate(nlp, text)
    assert {"vladimir-putin", "united-nations", "russia-government"} <= ids(doc)
    check_invariants(doc, text)


# ------------------------------------------------------------------ precision pass


@pytest.fixture(scope="module")
def fr_dl(nlp_for) -> Language:
    """ww_actors after ww_dateline, as configured."""
    return nlp_for("fr", pipes=FR_PIPES, components=[("ww_dateline", {}), ("ww_actors", {})])


@pytest.fixture(scope="module")
def en_dl(nlp_for) -> Language:
    return nlp_for("en", pipes=EN_PIPES, components=[("ww_dateline", {}), ("ww_actors", {})])


def test_a_one_word_alias_inside_a_longer_name_is_not_its_actor(fr: Language, en: Language) -> None:
    # 'Hassan' alone is a Jordanian prince in the dictionaries; here it is a first name
    text = "Le diplomate iranien Hassan Karimzadeh a rencontré jeudi Sergueï Lavrov à Moscou."
    doc = annotate(fr, text, "2019-01-10T08:00:00Z")
    assert "hassan" not in ids(doc)
    person = actor(doc, "person:hassan-karimzadeh")
    assert [m.text for m in person.mentions] == ["diplomate iranien", "Hassan Karimzadeh"]
    check_invariants(doc, text)
    text = "Foreign Minister Hassan Karimzadeh met Sergei Lavrov in Moscow."
    doc = annotate(en, text, "2019-01-10")
    assert "hassan" not in ids(doc) and "person:hassan-karimzadeh" in ids(doc)
    assert "sergey-lavrov" in ids(doc)


def test_titles_and_honorifics_do_not_make_a_name_longer(en: Language) -> None:
    doc = annotate(en, "President Obama and Mr Putin spoke on Monday.", "2015-03-02")
    assert {"barack-obama", "vladimir-putin"} <= ids(doc)
    assert not any(i.startswith("person:") for i in ids(doc))


def test_a_people_is_not_a_person(en: Language) -> None:
    doc = annotate(en, "Bosnian Serbs said on Tuesday their forces had withdrawn.")
    assert not any(i.startswith("person:") for i in ids(doc))


def test_french_spellings_of_heads_of_state(fr: Language) -> None:
    text = (
        "Le président iranien Hassan Rohani a reçu Alexandre Loukachenko. Rohani a "
        "ensuite appelé Mohammed ben Salmane."
    )
    doc = annotate(fr, text, "2017-11-13T08:00:00Z")
    rouhani = actor(doc, "hassan-rouhani")
    assert rouhani.cameo == "IRNGOV" and rouhani.country == "IR"
    assert "head_of_state" in rouhani.roles
    assert [m.text for m in rouhani.mentions] == ["président iranien", "Hassan Rohani", "Rohani"]
    assert actor(doc, "alexander-lukashenko").cameo == "BLRGOV"
    assert actor(doc, "mohammed-bin-salman").country == "SA"
    assert "hassan" not in ids(doc)
    check_invariants(doc, text)


def test_the_dateline_is_not_an_actor(fr_dl: Language, en_dl: Language) -> None:
    text = "UNITED NATIONS (Wire Desk) - Russia on Thursday vetoed the draft resolution."
    doc = annotate(en_dl, text)
    assert doc._.ww_dateline is not None
    assert ids(doc) == {"russia"}
    text = "Moscou, Russie — Le Kremlin a dénoncé jeudi les sanctions américaines."
    doc = annotate(fr_dl, text)
    assert doc._.ww_dateline is not None
    assert "russia" not in ids(doc) and "russia-government" in ids(doc)
    check_invariants(doc, text)


@pytest.mark.parametrize(
    ("text", "person", "cameo", "country", "title"),
    [
        (
            "U.S. Ambassador Jane Doerfler accused Moscow of lying.",
            "person:jane-doerfler",
            "USAGOV",
            "US",
            "U.S. Ambassador",
        ),
        (
            "Russian Ambassador Pavel Ivanchenko criticized Washington.",
            "person:pavel-ivanchenko",
            "RUSGOV",
            "RU",
            "Russian Ambassador",
        ),
        (
            "Russian General Pavel Ivanchenko met the Turkish delegation.",
            "person:pavel-ivanchenko",
            "RUSMIL",
            "RU",
            "Russian General",
        ),
        (
            "Iranian Foreign Ministry spokesman Bahram Karimi condemned the sanctions.",
            "person:bahram-karimi",
            "IRNGOV",
            "IR",
            "Iranian Foreign Ministry spokesman",
        ),
    ],
)
def test_a_nationality_and_a_title_before_an_unknown_person_are_one_actor(
    en: Language, text: str, person: str, cameo: str, country: str, title: str
) -> None:
    doc = annotate(en, text, "2017-11-16")
    found = actor(doc, person)
    assert (found.cameo, found.country, found.type, found.known) == (
        cameo,
        country,
        "person",
        False,
    )
    assert found.mentions[0].text == title and found.mentions[0].kind == "title"
    assert not {"united-states", "russia", "iran"} & ids(doc)  # the nationality is absorbed
    check_invariants(doc, text)


def test_a_french_title_with_a_nationality_before_an_unknown_person(fr: Language) -> None:
    text = "L'ambassadeur russe Pavel Ivantchenko a accusé les États-Unis de mentir."
    doc = annotate(fr, text, "2017-11-16T08:00:00Z")
    person = actor(doc, "person:pavel-ivantchenko")
    assert (person.cameo, person.country) == ("RUSGOV", "RU")
    assert [m.text for m in person.mentions] == ["ambassadeur russe", "Pavel Ivantchenko"]
    assert "russia-government" not in ids(doc)


def test_an_agent_title_in_apposition_is_the_known_person(en: Language) -> None:
    text = "The US commander in Iraq, General David Petraeus, held talks in Beirut."
    doc = annotate(en, text, "2008-08-06")
    petraeus = actor(doc, "david-petraeus")
    assert [m.text for m in petraeus.mentions] == ["US commander", "David Petraeus"]
    assert petraeus.cameo == "USAMIL"  # the table has no code for that date: the title's
    assert "united-states-military" not in ids(doc)


def test_an_envoy_to_an_organisation_belongs_to_the_country(en: Language) -> None:
    doc = annotate(en, "Russia's UN ambassador criticized Washington on Monday.")
    m = mention_at(doc, "Russia's UN ambassador")
    assert (m.actor_id, m.text) == ("russia-government", "Russia's UN ambassador")
    assert "united-nations" not in ids(doc)
    assert "united-states-government" in ids(doc)  # criticised by an actor: it acts


def test_a_state_inside_a_place_name_is_not_an_actor(fr: Language, en: Language) -> None:
    doc = annotate(en, "China warned the United States over the South China Sea.")
    assert [m.text for m in actor(doc, "china").mentions] == ["China"]
    doc = annotate(fr, "La Chine a averti les États-Unis au sujet de la mer de Chine méridionale.")
    assert [m.text for m in actor(doc, "china").mentions] == ["Chine"]


def test_french_dative_a_la_is_not_a_place(fr: Language) -> None:
    doc = annotate(fr, "La Russie a promis une aide à la Syrie, pas en Syrie.")
    assert [m.text for m in actor(doc, "syria").mentions] == ["Syrie"]  # the first only
    doc = annotate(fr, "Le sommet se tiendra à la Maison-Blanche.")
    assert "united-states-government" not in ids(doc)  # a building after 'à' is a place
