"""ww_events: CAMEO event coding in French and English.

Until ``ww_actors`` lands, actor mentions are set by hand from a small alias table
(``_set_actors``), exactly as that component would set ``doc._.ww_actor_mentions``;
the end-to-end tests at the bottom run through it when it exists.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import orjson
import pytest

from streams.nlp.annotations import Actor, ActorMention, Event, Quote, Span
from streams.nlp.events import build_codebook, build_lexicon_en
from streams.nlp.events.codebook import default_codebook
from streams.nlp.events.component import EventsComponent
from streams.nlp.events.composition import family_code, topic_of_code
from streams.nlp.events.lexicon import parse_code, parse_pattern
from streams.nlp.normalize import normalize

MODEL_PIPES = {
    "fr": ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"],
    "en": ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
}

ALIASES: dict[str, tuple[str, str]] = {
    # people and institutions
    "Dmitri Peskov": ("dmitry-peskov", "RUSGOV"),
    "Dmitry Peskov": ("dmitry-peskov", "RUSGOV"),
    "Emmanuel Macron": ("emmanuel-macron", "FRAGOV"),
    "Macron": ("emmanuel-macron", "FRAGOV"),
    "Olaf Scholz": ("olaf-scholz", "DEUGOV"),
    "Scholz": ("olaf-scholz", "DEUGOV"),
    "Poutine": ("vladimir-putin", "RUSGOV"),
    "Putin": ("vladimir-putin", "RUSGOV"),
    "Trump": ("donald-trump", "USAGOV"),
    "L'armée israélienne": ("israel-military", "ISRMIL"),
    "l'armée israélienne": ("israel-military", "ISRMIL"),
    "Israeli warplanes": ("israel-military", "ISRMIL"),
    # states
    "La Chine": ("china", "CHN"),
    "China": ("china", "CHN"),
    "les États-Unis": ("usa", "USA"),
    "the United States": ("usa", "USA"),
    "L'Iran": ("iran", "IRN"),
    "l'Iran": ("iran", "IRN"),
    "Iran": ("iran", "IRN"),
    "Israël": ("israel", "ISR"),
    "Israel": ("israel", "ISR"),
    "La France": ("france", "FRA"),
    "France": ("france", "FRA"),
    "La Russie": ("russia", "RUS"),
    "Russia": ("russia", "RUS"),
    "russe": ("russia", "RUS"),
    "Russian": ("russia", "RUS"),
    "l'Ukraine": ("ukraine", "UKR"),
    "Ukraine": ("ukraine", "UKR"),
    "La Turquie": ("turkey", "TUR"),
    "Syrie": ("syria", "SYR"),
    "Syria": ("syria", "SYR"),
    "Gaza": ("palestine", "PSE"),
    "Brazil": ("brazil", "BRA"),
    "Germany": ("germany", "DEU"),
}


def _set_actors(doc, original: str, aliases: dict[str, tuple[str, str]] = ALIASES) -> None:
    """What ww_actors writes, from an alias table (longest alias first, no overlaps)."""
    spans: list[tuple[int, int, str]] = []
    for alias in sorted(aliases, key=len, reverse=True):
        for m in re.finditer(r"(?<!\w)" + re.escape(alias) + r"(?!\w)", original):
            if not any(a < m.end() and m.start() < b for a, b, _ in spans):
                spans.append((m.start(), m.end(), alias))
    actors: dict[str, Actor] = {}
    mentions = []
    for start, end, alias in sorted(spans):
        actor_id, cameo = aliases[alias]
        actor = actors.setdefault(
            actor_id, Actor(id=actor_id, name=alias, type="state", cameo=cameo)
        )
        mention = ActorMention(start, end, original[start:end], actor_id, "name", 0.95)
        actor.mentions.append(mention)
        mentions.append(mention)
    doc._.ww_actor_mentions = mentions
    doc._.ww_actors = list(actors.values())


@pytest.fixture(scope="module")
def coders() -> dict[str, EventsComponent]:
    return {lang: EventsComponent(lang) for lang in ("fr", "en")}


@pytest.fixture(scope="module")
def code(nlp_for, coders):
    """code(lang, text) → events, with actors from ALIASES."""

    def run(lang: str, text: str, quotes: list[Quote] | None = None) -> list[Event]:
        nlp = nlp_for(lang, pipes=MODEL_PIPES[lang], components=[])
        doc = nlp(normalize(text))
        _set_actors(doc, text)
        doc._.ww_quotes = quotes
        coders[lang](doc)
        events = doc._.ww_events
        for e in events:  # offsets slice the original text
            assert normalize(text[e.trigger.start : e.trigger.end]) == e.trigger.text
            assert normalize(text[e.sentence.start : e.sentence.end]) == e.sentence.text
        return events

    return run


def _one(events: list[Event], root: str) -> Event:
    found = [e for e in events if e.root == root]
    assert found, f"no root {root} event in {[(e.code, e.source_actors) for e in events]}"
    return found[0]


# --------------------------------------------------------------------------- behaviours
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Dmitri Peskov a déclaré jeudi que la situation en Ukraine restait très tendue."),
        ("en", "Dmitry Peskov said on Thursday that the situation in Ukraine remained very tense."),
    ],
)
def test_statement_has_the_speaker_as_source_and_what_it_is_about_as_target(code, lang, text):
    e = _one(code(lang, text), "01")
    assert e.code == "010" and e.quad_class == 1
    assert e.source_actors == ("dmitry-peskov",) and e.target_actors == ("ukraine",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "La Chine a appelé les États-Unis à reprendre les négociations."),
        ("en", "China urged the United States to resume negotiations."),
    ],
)
def test_appeal_is_coded_by_what_is_appealed_for(code, lang, text):
    e = _one(code(lang, text), "02")
    assert e.code == "026"  # appeal to others to meet or negotiate
    assert e.source_cameo == ("CHN",) and e.target_cameo == ("USA",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "L'Iran a accusé Israël d'avoir attaqué son consulat."),
        ("en", "Iran accused Israel of attacking its consulate."),
    ],
)
def test_accusation(code, lang, text):
    e = _one(code(lang, text), "11")
    assert e.code.startswith("112")
    assert e.source_actors == ("iran",) and e.target_actors == ("israel",)
    assert e.goldstein == -2.0 and e.plover == "ACCUSE"


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Emmanuel Macron a rencontré Olaf Scholz à Berlin."),
        ("en", "Emmanuel Macron met Olaf Scholz in Berlin."),
    ],
)
def test_meeting(code, lang, text):
    e = _one(code(lang, text), "04")
    assert e.source_actors == ("emmanuel-macron",) and e.target_actors == ("olaf-scholz",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Macron et Scholz se sont entretenus à Berlin."),
        ("en", "Macron and Scholz held talks in Berlin."),
    ],
)
def test_joint_meeting_has_the_compound_actor_on_both_sides(code, lang, text):
    e = _one(code(lang, text), "04")
    assert set(e.source_actors) == set(e.target_actors) == {"emmanuel-macron", "olaf-scholz"}


@pytest.mark.parametrize(
    ("lang", "text", "trigger"),
    [
        ("fr", "L'armée israélienne a bombardé Gaza dans la nuit.", "a bombardé"),
        ("en", "Israeli warplanes bombed Gaza overnight.", "bombed"),
    ],
)
def test_attack(code, lang, text, trigger):
    e = _one(code(lang, text), "19")
    assert e.code == "195" and e.quad_class == 4 and e.goldstein == -10.0
    assert e.source_cameo == ("ISRMIL",) and e.target_cameo == ("PSE",)
    assert e.trigger.text == trigger


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Gaza a été bombardée par l'armée israélienne."),
        ("en", "Gaza was bombed by Israeli warplanes."),
    ],
)
def test_passive_agent_is_the_source(code, lang, text):
    e = _one(code(lang, text), "19")
    assert e.source_actors == ("israel-military",) and e.target_actors == ("palestine",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "La France n'a pas condamné l'attaque russe."),
        ("en", "France did not condemn the Russian attack."),
        ("fr", "La Russie n'a pas attaqué l'Ukraine."),
        ("en", "Russia did not attack Ukraine."),
    ],
)
def test_negated_predicates_are_not_events(code, lang, text):
    assert code(lang, text) == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "La France a condamné l'attaque russe."),
        ("en", "France condemned the Russian attack."),
    ],
)
def test_the_affirmative_counterpart_is_an_event(code, lang, text):
    e = _one(code(lang, text), "11")
    assert e.code == "111" and e.source_actors == ("france",) and e.target_actors == ("russia",)


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "La Russie a affirmé que l'armée israélienne avait bombardé Gaza."),
        ("en", "Russia said Israeli warplanes bombed Gaza."),
    ],
)
def test_reporting_someone_elses_attack_is_an_accusation_and_a_reported_attack(code, lang, text):
    events = code(lang, text)
    accusation = _one(events, "11")
    assert accusation.source_actors == ("russia",)
    assert accusation.target_actors == ("israel-military",)
    attack = _one(events, "19")
    assert attack.source_actors == ("israel-military",) and attack.target_actors == ("palestine",)
    assert attack.confidence < accusation.confidence or attack.confidence < 0.7  # reported


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "L'Iran a exigé que les États-Unis lèvent les sanctions."),
        ("en", "Iran demanded that the United States lift the sanctions."),
        ("en", "Iran said the United States must lift the sanctions."),
    ],
)
def test_demand_is_coded_by_what_is_demanded(code, lang, text):
    e = _one(code(lang, text), "10")
    assert e.code == "1054"  # demand easing of economic sanctions
    assert e.source_actors == ("iran",) and e.target_actors == ("usa",)


def test_ne_que_is_restrictive_not_negative(code):
    events = code("fr", "Trump et Poutine n'ont eu qu'un seul entretien.")
    e = _one(events, "04")
    assert set(e.source_actors) == {"donald-trump", "vladimir-putin"}


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Gaza a été bombardée dans la nuit."),
        ("en", "Gaza was bombed overnight."),
        ("fr", "Des inconnus ont attaqué l'ambassade de France."),
        ("en", "Unknown gunmen attacked the French embassy."),
    ],
)
def test_no_resolved_source_no_event(code, lang, text):
    assert code(lang, text) == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Macron rencontrera Poutine la semaine prochaine."),
        ("en", "Macron will meet Putin next week."),
    ],
)
def test_future_cooperation_is_an_intent(code, lang, text):
    e = _one(code(lang, text), "03")
    assert e.code == "036"  # express intent to meet or negotiate


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "Si l'Iran attaque Israël, les États-Unis riposteront."),
        ("en", "If Iran attacks Israel, the United States will respond."),
        ("fr", "La Turquie aurait bombardé des positions kurdes en Syrie."),  # alleged
        ("fr", "La Russie va attaquer l'Ukraine."),
        ("en", "Russia is going to attack Ukraine."),
    ],
)
def test_hypothetical_alleged_and_future_conflict_are_not_events(code, lang, text):
    assert code(lang, text) == []


@pytest.mark.parametrize(
    ("lang", "old", "current"),
    [
        (
            "fr",
            "La Russie a attaqué l'Ukraine en 1990.",
            "La Russie a attaqué l'Ukraine, qui avait envahi la Syrie en 1990.",
        ),
        (
            "en",
            "Russia attacked Ukraine in 1990.",
            "Russia attacked Ukraine, which had invaded Syria in 1990.",
        ),
    ],
)
def test_past_dates_discard_only_their_own_clause(code, lang, old, current):
    assert code(lang, old) == []
    e = _one(code(lang, current), "19")
    assert e.source_actors == ("russia",) and e.target_actors == ("ukraine",)


def test_sports_sentences_are_discarded(code):
    assert code("en", "Brazil attacked Germany in the World Cup football final.") == []
    assert code("en", "Brazil attacked Germany in the final.")  # the same without the sport


@pytest.mark.parametrize(
    ("lang", "text", "cue"),
    [
        (
            "fr",
            "« Nous avons frappé des positions en Syrie », a affirmé un porte-parole.",
            "a affirmé",
        ),
        ("en", '"We struck positions in Syria," a spokesman said.', "said"),
    ],
)
def test_first_person_in_a_quote_is_the_quote_speaker(code, lang, text, cue):
    start = text.index(cue)
    quote = Quote(
        span=Span(1, text.index("Syrie" if lang == "fr" else "Syria") + 5, ""),
        speakers=("russia-military",),
        speaker_span=None,
        cue=Span(start, start + len(cue), cue),
        cue_lemma=None,
        direct=True,
        sentence=Span(0, len(text), text),
        confidence=0.9,
    )
    events = code(lang, text, quotes=[quote])
    e = _one(events, "19")
    assert e.source_actors == ("russia-military",) and e.target_actors == ("syria",)
    assert e.quote_index == 0


def test_export_is_json_ready_and_provenance_names_the_lexicons(code, coders):
    events = code("fr", "L'armée israélienne a bombardé Gaza dans la nuit.")
    assert events
    doc_stub = type("D", (), {"_": type("U", (), {"ww_events": events})()})()
    exported = coders["fr"].export(doc_stub)
    record = json.loads(orjson.dumps(exported))
    first = record["events"][0]
    assert first["code"] == "195" and first["trigger"]["start"] < first["trigger"]["end"]
    assert set(first) >= {"root", "label", "quad_class", "goldstein", "plover", "confidence"}
    prov = coders["fr"].provenance
    assert prov["lexicon"].startswith("fr-") and prov["codebook"]
    assert coders["en"].provenance["lexicon"].startswith("CAMEO.2.0")


def test_factory_is_registered(nlp_for):
    import spacy

    nlp = spacy.blank("fr")
    nlp.add_pipe("ww_events")
    assert "ww_events" in nlp.pipe_names


# --------------------------------------------------------------------------- codebook
@pytest.mark.parametrize(
    ("code", "quad", "goldstein", "plover"),
    [
        ("010", 1, 0.0, None),  # PLOVER has no public-statement class
        ("036", 1, 4.0, "AGREE"),
        ("046", 1, 7.0, "CONSULT"),
        ("0874", 2, 10.0, "RETREAT"),
        ("112", 3, -2.0, "ACCUSE"),
        ("138", 3, -7.0, "THREATEN"),
        ("163", 4, -8.0, "COERCE"),
        ("195", 4, -10.0, "ASSAULT"),
    ],
)
def test_codebook(code, quad, goldstein, plover):
    info = default_codebook()[code]
    assert (info.quad_class, info.goldstein, info.plover) == (quad, goldstein, plover)
    assert info.root == code[:2] and info.description


def test_codebook_falls_back_to_the_parent_code():
    assert default_codebook()["0239"].goldstein == default_codebook()["023"].goldstein


def test_composition_parallel_subcodes():
    assert family_code("appeal", "meet") == "026"
    assert family_code("demand", "yield.release") == "1053"
    assert family_code("intent", "aid.hum") == "0333"
    assert family_code("reject", "meet") == "125"
    assert family_code("intent", topic_of_code("195")) == "1384"  # a vow to strike: threat
    assert family_code("reject", topic_of_code("190")) is None  # refusing to attack


# --------------------------------------------------------------------------- builders
def test_cameo2plover_parser_on_an_inline_fixture():
    table = build_codebook.parse_cameo2plover(
        "# header\n03: AGREE\n036: AGREE,  , diplomatic # Express intent to meet or negotiate\n"
        "08: CONCEDE\n08: RETREAT\n0841: RETREAT, release,   legal # Return, release person(s)\n"
    )
    assert table["036"] == {
        "plover": "AGREE",
        "plover_mode": None,
        "plover_context": "diplomatic",
        "description": "Express intent to meet or negotiate",
    }
    assert table["08"]["plover"] == "CONCEDE"  # first header wins
    assert table["0841"]["plover_mode"] == "release"
    assert build_codebook.quad_class("14") == 3 and build_codebook.goldstein("0211") == 3.4


CAMEO_FIXTURE = """\
####### SYNONYM SETS #######

&FOOD
+FOOD
+FOODSTUFF

####### VERB PATTERNS #######

---  ACCELERATE   [---]  ---
RUSH
HURRY {HURRIES HURRYING HURRIED }
+SPEED_UP [042]
- * &FOOD                                             [073]         # RUSH
- * (TO BORDER)                                       [154]         # RUSH
- * KNIVES [---]  # RUSH

---  VISIT   [042:043]  ---
VISIT
+KILLED_AND {}

######## TRANSFORMATIONS ##########

~ a (b . ATTACK) SAY = a b 112
"""


def test_cameo_verb_dictionary_parser_on_an_inline_fixture():
    lines = CAMEO_FIXTURE.splitlines()
    synsets = build_lexicon_en.parse_synsets(lines[:6])
    assert synsets == {"FOOD": [["food"], ["foodstuff"]]}
    blocks, verbs, dropped = build_lexicon_en.parse_verbs(lines, synsets)
    assert [p["code"] for p in blocks[0]] == ["073", "154", None]
    assert blocks[0][0]["objects"] == [[["&food"]]] and blocks[0][0]["origin"] == "rush"
    assert blocks[0][1]["preps"] == [["to", [[["border"]]]]]
    assert verbs["rush"]["blocks"] == [0] and verbs["hurry"]["blocks"] == [0]
    assert verbs["speed"]["extra"] == [{"code": "042", "text": "+speed_up", "particle": "up"}]
    assert verbs["visit"]["code"] == "042" and verbs["visit"]["reverse"] == "043"
    assert dropped["verb_inflected_form_hack"] == 1
    assert build_lexicon_en.parse_transformations(lines) == [
        {"outer": "SAY", "inner_source": "other", "inner": "ATTACK", "code": "112"}
    ]
    assert build_lexicon_en.parse_discards("# c\n+FIFA\nFOOTBALL  # x\n1914\n") == {
        "story": [["fifa"]],
        "sentence": [["football"], ["1914"]],
    }


def test_pattern_syntax():
    p = parse_pattern("* (FOR {HUMANITARIAN AID}) (WITH +)", {}, "0233")
    assert p.preps == (("for", ((("humanitarian", "aid"),),)), ("with", ()))
    assert p.target == "prep:with"
    p = parse_pattern("* (of {war crimes}|genocide)", {})
    assert p.preps == (("of", ((("war", "crimes"), ("genocide",)),)),)
    p = parse_pattern("* (au téléphone)", {})  # contracted preposition → its lemma
    assert p.preps == (("à", ((("téléphone",),),)),)
    p = parse_pattern("* OFF (FROM ^)", {})
    assert p.particle == "off" and p.preps == (("from", ()),)
    p = parse_pattern("&MILITARY * CLOSE", {"MILITARY": (("army",), ("troops",))})
    assert p.subject == ((("army",), ("troops",)),) and p.objects == ((("close",),),)
    assert parse_code("042:043") == ("042", "043", True)
    assert parse_code(":173") == (None, "173", True)
    assert parse_code("---") == (None, None, True)
    assert parse_code("s")[2] is False


def test_built_data_carries_its_attribution():
    data_dir = Path(__file__).resolve().parents[2] / "streams" / "nlp" / "events" / "data"
    codebook = json.loads((data_dir / "codebook.json").read_text())
    assert "CC BY-SA 4.0" in codebook["meta"]["license"]
    lexicon = json.loads((data_dir / "lexicon.en.json").read_text())
    assert (
        lexicon["meta"]["license"] == "MIT"
        and "Open Event Data Alliance" in (lexicon["meta"]["copyright"])
    )


# --------------------------------------------------------------------------- sample story
SAMPLE_ALIASES = {
    "Le président américain": ("donald-trump", "USAGOV"),
    "Donald Trump": ("donald-trump", "USAGOV"),
    "Trump": ("donald-trump", "USAGOV"),
    "son homologue russe": ("vladimir-putin", "RUSGOV"),
    "Vladimir Poutine": ("vladimir-putin", "RUSGOV"),
    "Poutine": ("vladimir-putin", "RUSGOV"),
    "le maître du Kremlin": ("vladimir-putin", "RUSGOV"),
    "Moscou": ("russia-government", "RUSGOV"),
    "Washington": ("us-government", "USAGOV"),
    "Kremlin": ("russia-government", "RUSGOV"),
    "Maison-Blanche": ("us-government", "USAGOV"),
    "Le commandement militaire russe": ("russia-military", "RUSMIL"),
    "les États-Unis": ("usa", "USA"),
    "la Russie": ("russia", "RUS"),
    "Russie": ("russia", "RUS"),
    "Syrie": ("syria", "SYR"),
    "EI": ("islamic-state", "IMGMOS"),
    "ONU": ("united-nations", "IGOUNO"),
    "Nations unies": ("united-nations", "IGOUNO"),
    "Rex Tillerson": ("rex-tillerson", "USAGOV"),
    "Sergueï Lavrov": ("sergei-lavrov", "RUSGOV"),
    "Staffan de Mistura": ("staffan-de-mistura", "IGOUNO"),
    "Bachar Al-Assad": ("bashar-al-assad", "SYRGOV"),
    "Irak": ("iraq", "IRQ"),
    "responsables américains": ("us-government", "USAGOV"),
}


@pytest.fixture(scope="module")
def sample_events(nlp_for, coders, sample_fr_text) -> list[Event]:
    nlp = nlp_for("fr", pipes=MODEL_PIPES["fr"], components=[])
    doc = nlp(normalize(sample_fr_text))
    _set_actors(doc, sample_fr_text, SAMPLE_ALIASES)
    coders["fr"](doc)
    return doc._.ww_events


@pytest.mark.shared
def test_sample_story_us_russia_cooperation_on_syria(sample_events, sample_fr_text):
    cooperative = [
        e
        for e in sample_events
        if "01" <= e.root <= "05"
        and {"USAGOV", "RUSGOV"} <= set(e.source_cameo) | set(e.target_cameo)
        and "Syrie" in sample_fr_text[e.sentence.start : e.sentence.end]
    ]
    assert cooperative, [(e.code, e.source_cameo, e.target_cameo) for e in sample_events]


@pytest.mark.shared
def test_sample_story_accusation(sample_events, sample_fr_text):
    accusations = [e for e in sample_events if e.root in ("11", "12")]
    assert accusations
    e = accusations[0]
    assert e.source_cameo[0].startswith("RUS") and e.target_cameo == ("USA",)
    assert sample_fr_text[e.trigger.start : e.trigger.end] == "a accusé"
    assert sample_fr_text[e.sentence.start : e.sentence.end].startswith(
        "Le commandement militaire russe a accusé récemment les États-Unis"
    )


@pytest.mark.shared
def test_sample_story_has_no_event_from_negated_or_hypothetical_clauses(sample_events):
    for e in sample_events:
        assert e.source_actors, e
        assert e.confidence >= 0.3


# --------------------------------------------------------------------------- end to end
def _actors_module():
    try:
        import streams.nlp.actors  # noqa: F401  (registers ww_actors)
    except ImportError:
        pytest.skip("ww_actors (streams.nlp.actors) is not there yet")


@pytest.mark.shared
def test_end_to_end_with_ww_actors_on_the_sample_story(nlp_for, sample_fr_text):
    _actors_module()
    nlp = nlp_for(
        "fr",
        pipes=MODEL_PIPES["fr"],
        components=[("ww_actors", {}), ("ww_events", {})],
    )
    doc = nlp(normalize(sample_fr_text))
    events = doc._.ww_events
    assert any(e.root in ("11", "12") and e.target_cameo[:1] == ("USA",) for e in events)
    assert any(
        "01" <= e.root <= "05" and {"USAGOV", "RUSGOV"} <= set(e.source_cameo + e.target_cameo)
        for e in events
    )


@pytest.mark.parametrize(
    ("lang", "text", "root"),
    [
        ("en", "Israeli warplanes bombed Gaza overnight.", "19"),
        ("fr", "La Russie a accusé les États-Unis de provocations.", "11"),
    ],
)
def test_end_to_end_with_ww_actors(nlp_for, lang, text, root):
    _actors_module()
    nlp = nlp_for(lang, pipes=MODEL_PIPES[lang], components=[("ww_actors", {}), ("ww_events", {})])
    events = nlp(normalize(text))._.ww_events
    assert any(e.root == root for e in events)


# --------------------------------------------------------------------------- precision pass
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "France said there would be no aid for Syria without reforms."),
        ("en", "Israel launched no air strikes on Gaza on Monday."),
        ("en", "No aid was sent to Syria by France."),
        ("fr", "La France a annoncé qu'il n'y aurait aucune aide pour la Syrie."),
        ("fr", "La Russie n'enverra aucune aide à la Syrie."),
    ],
)
def test_a_denied_noun_is_no_event(code, lang, text):
    events = code(lang, text)
    assert all(e.root == "01" for e in events), [(e.code, e.trigger.text) for e in events]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("en", "France said it would send aid to Syria.", "033"),
        ("fr", "La France a promis une aide à la Syrie.", "033"),
        ("en", "Israel launched air strikes on Gaza on Monday.", "195"),
    ],
)
def test_the_affirmative_noun_is_an_event(code, lang, text, expected):
    assert _one(code(lang, text), expected[:2]).code == expected


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Russia helped the rebels to plan attacks on Gaza."),
        ("en", "The report said Russia contributed to planning the massacres."),
        ("fr", "La Russie a aidé les rebelles à mener des attaques."),
    ],
)
def test_help_for_violence_is_not_aid(code, lang, text):
    assert not [e for e in code(lang, text) if e.root in ("03", "06", "07")]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Russia helped Syria rebuild its schools."),
        ("fr", "La France a aidé la Syrie à reconstruire ses écoles."),
    ],
)
def test_help_for_anything_else_is_aid(code, lang, text):
    assert _one(code(lang, text), "07").code == "070"


def test_a_meeting_at_a_place_is_a_meeting_not_an_intent(code):
    e = _one(code("en", "Macron met Putin at the summit in Paris."), "04")
    assert e.code == "040" and e.target_actors == ("vladimir-putin",)


def test_a_copular_clause_is_not_the_object_of_a_light_verb(code):
    # « déclarer » is a light verb (« déclarer la guerre ») and « menace » a threat
    # noun, but here the noun is the predicate of what was said
    events = code("fr", "La France a déclaré que l'Iran était une menace.")
    assert not [e for e in events if e.root == "13"]
    assert _one(events, "01").target_actors == ("iran",)


# --------------------------------------------------------------------------- precision, end to end
@pytest.fixture(scope="module")
def enrich(nlp_for):
    """enrich(lang, text) → events through the configured pipeline (dateline, actors,
    places, quotes, events), with the article date the way the enricher sets it."""

    def run(lang: str, text: str, published_at: str = "2017-11-16T12:00:00Z") -> list[Event]:
        _actors_module()
        nlp = nlp_for(lang)
        doc = nlp.make_doc(normalize(text))
        doc.user_data.update(original_text=text, text=doc.text, published_at=published_at)
        return nlp(doc)._.ww_events

    return run


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "UNITED NATIONS (Wire Desk) - Russia on Thursday vetoed the draft resolution."),
        ("fr", "NATIONS UNIES (AFP) - La Russie a opposé jeudi son veto au projet de résolution."),
    ],
)
def test_the_dateline_is_neither_source_nor_target(enrich, lang, text):
    events = enrich(lang, text)
    e = _one(events, "12")
    assert e.source_actors == ("russia",)
    assert all("united-nations" not in e.source_actors + e.target_actors for e in events)


def test_a_dateline_country_is_not_what_a_statement_is_about(enrich):
    text = (
        "DA NANG, Vietnam (Wire Service) - The Kremlin said on Saturday that Putin and "
        "Trump had met."
    )
    for e in enrich("en", text):
        assert "vietnam" not in e.source_actors + e.target_actors


@pytest.mark.parametrize(
    ("lang", "text", "source", "cameo"),
    [
        ("en", "U.S. Ambassador Jane Doerfler accused Moscow of lying.", "jane-doerfler", "USAGOV"),
        (
            "fr",
            "L'ambassadeur russe Pavel Ivantchenko a accusé les États-Unis de mentir.",
            "pavel-ivantchenko",
            "RUSGOV",
        ),
    ],
)
def test_a_titled_person_is_one_source(enrich, lang, text, source, cameo):
    e = _one(enrich(lang, text), "11")
    assert e.source_actors == (f"person:{source}",) and e.source_cameo == (cameo,)


def test_a_state_reporting_its_own_strike_claims_it(enrich):
    text = (
        "The United States launched an air strike against Islamic State, the U.S. "
        "Central Command said."
    )
    events = enrich("en", text)
    assert not [e for e in events if e.root == "11"]  # not an accusation of its own state
    assert _one(events, "01").code == "015"
    assert _one(events, "19").source_actors == ("united-states",)


def test_a_statement_is_not_about_the_speakers_own_state(enrich):
    events = enrich("en", "The White House said the United States and Jordan signed a pact.")
    statement = _one(events, "01")
    assert statement.source_actors == ("united-states-government",)
    assert "united-states" not in statement.target_actors


def test_a_news_agency_reporting_is_not_a_statement(enrich):
    text = "Russian troops withdrew from the town on Monday, an AFP correspondent said."
    assert all("afp" not in e.source_actors for e in enrich("en", text))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "The Kremlin welcomed the agreement at the G20 summit."),
        ("fr", "Le Kremlin a salué l'accord lors du sommet du G20."),
    ],
)
def test_where_a_meeting_took_place_is_not_the_target(enrich, lang, text):
    e = _one(enrich(lang, text), "05")
    assert e.source_actors == ("russia-government",) and "g20" not in e.target_actors


def test_a_misparsed_infinitive_is_no_conjunct(enrich):
    text = (
        "A Tunisian court has jailed a man for two years for helping young militants join "
        "an armed Islamic group in Lebanon."
    )
    events = enrich("en", text)
    assert [e.root for e in events] == ["17"]
