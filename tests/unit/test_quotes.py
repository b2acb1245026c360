"""ww_quotes: quotation marks, cues, speaker phrases and speaker resolution, in French
and English, then the sample story end to end with ww_actors.

Most tests parse with the model only and set actor mentions by hand (``with_actors``),
so quote and speaker logic is tested apart from the actor dictionaries; the
end-to-end tests at the bottom run the real ``ww_actors`` first.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from spacy.language import Language
from spacy.tokens import Doc

import streams.nlp.quotes  # noqa: F401  (registers the factory)
from streams.nlp.annotations import Actor, ActorMention, Quote
from streams.nlp.normalize import normalize
from streams.nlp.quotes import QuoteFinder, load_lexicon

FR_PIPES = ["tok2vec", "morphologizer", "parser", "attribute_ruler", "lemmatizer", "ner"]
EN_PIPES = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]
REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ fixtures/helpers


@pytest.fixture(scope="module")
def fr_model(nlp_for) -> Language:
    return nlp_for("fr", pipes=FR_PIPES, components=[])


@pytest.fixture(scope="module")
def en_model(nlp_for) -> Language:
    return nlp_for("en", pipes=EN_PIPES, components=[])


@pytest.fixture(scope="module")
def fr_finder(fr_model) -> QuoteFinder:
    return QuoteFinder(fr_model)


@pytest.fixture(scope="module")
def en_finder(en_model) -> QuoteFinder:
    return QuoteFinder(en_model)


Table = dict[str, tuple[str, str]]  # surface form → (actor id, actor type)


def with_actors(doc: Doc, table: Table) -> Doc:
    """Stand-in for ww_actors: every occurrence of a surface form is a mention."""
    found = []
    for surface, (actor_id, actor_type) in table.items():
        for m in re.finditer(rf"(?<!\w){re.escape(surface)}(?!\w)", doc.text):
            found.append((m.start(), m.end(), actor_id, actor_type))
    found.sort(key=lambda f: (f[0], -f[1]))
    mentions: list[ActorMention] = []
    actors: dict[str, Actor] = {}
    for start, end, actor_id, actor_type in found:
        if mentions and start < mentions[-1].end:
            continue  # keep the longest of overlapping forms
        mention = ActorMention(start, end, doc.text[start:end], actor_id, "name", 0.9)
        mentions.append(mention)
        actors.setdefault(actor_id, Actor(actor_id, actor_id, actor_type)).mentions.append(mention)
    doc._.ww_actor_mentions = mentions
    doc._.ww_actors = list(actors.values())
    return doc


def quotes_of(model: Language, finder: QuoteFinder, text: str, table: Table | None = None):
    """Quotes of ``text`` as the enricher would run it (normalised text, original kept)."""
    doc = model.make_doc(normalize(text))
    doc.user_data["original_text"] = text
    doc = model(doc)
    with_actors(doc, table or {})
    finder(doc)
    for q in doc._.ww_quotes:
        assert_offsets(text, q)
    return doc._.ww_quotes


def assert_offsets(text: str, q: Quote) -> None:
    """Every span indexes the original text (normalisation keeps lengths)."""
    for span in (q.span, q.speaker_span, q.cue, q.sentence):
        if span is not None:
            assert normalize(text[span.start : span.end]) == span.text


def find(quotes: list[Quote], fragment: str, direct: bool | None = None) -> Quote:
    hits = [q for q in quotes if fragment in q.span.text and (direct is None or q.direct == direct)]
    assert hits, f"no quote containing {fragment!r} in {[q.span.text for q in quotes]}"
    return hits[0]


def texts(quotes: list[Quote]) -> list[str]:
    return [q.span.text for q in quotes]


FR_PEOPLE: Table = {
    "Emmanuel Macron": ("emmanuel-macron", "person"),
    "Angela Merkel": ("angela-merkel", "person"),
    "Jean Dupont": ("person:jean-dupont", "person"),
    "Moscou": ("russia-government", "government"),
    "Washington": ("united-states-government", "government"),
    "Kremlin": ("russia-government", "government"),
    "Syrie": ("syria", "state"),
    "Nations unies": ("united-nations", "igo"),
    "Staffan de Mistura": ("staffan-de-mistura", "person"),
    "Hamas": ("hamas", "armed_group"),
    "Israël": ("israel", "state"),
    "responsables américains": ("united-states-government", "government"),
    "France": ("france", "state"),
}
EN_PEOPLE: Table = {
    "Vladimir Putin": ("vladimir-putin", "person"),
    "Putin": ("vladimir-putin", "person"),
    "Angela Merkel": ("angela-merkel", "person"),
    "Merkel": ("angela-merkel", "person"),
    "Jeffrey Kupfer": ("jeffrey-kupfer", "person"),
    "Moscow": ("russia-government", "government"),
    "Washington": ("united-states-government", "government"),
    "Foreign Ministry": ("russia-foreign-ministry", "organisation"),
    "Israel": ("israel", "state"),
    "Russia": ("russia", "state"),
    "US officials": ("united-states-government", "government"),
    "US": ("united-states", "state"),
    "Hamas": ("hamas", "armed_group"),
}


# ------------------------------------------------------------------ quotation marks


def test_french_guillemets_with_no_break_spaces_slice_the_original(fr_model, fr_finder):
    text = "«\u00a0Nous ne céderons pas\u00a0», a déclaré mardi Emmanuel Macron."
    (q,) = quotes_of(fr_model, fr_finder, text, FR_PEOPLE)
    assert text[q.span.start : q.span.end] == "Nous ne céderons pas"
    assert q.direct and q.speakers == ("emmanuel-macron",)
    assert q.cue is not None and q.cue.text == "a déclaré" and q.cue_lemma == "déclarer"
    assert q.speaker_span is not None and q.speaker_span.text == "Emmanuel Macron"
    assert (q.sentence.start, q.sentence.end) == (0, len(text))


def test_curly_and_straight_quotes_in_english(en_model, en_finder):
    for text in (
        "“We will not back down,” Putin said on Tuesday.",
        '"We will not back down," Putin said on Tuesday.',
    ):
        (q,) = quotes_of(en_model, en_finder, text, EN_PEOPLE)
        assert q.span.text == "We will not back down"  # the English comma stays outside
        assert q.speakers == ("vladimir-putin",) and q.cue_lemma == "say"


def test_quote_spanning_several_sentences_is_one_quote(fr_model, fr_finder, en_model, en_finder):
    fr = quotes_of(
        fr_model,
        fr_finder,
        "« La situation est grave. Nous devons agir vite. Le temps presse », a averti "
        "Angela Merkel.",
        FR_PEOPLE,
    )
    assert texts(fr) == ["La situation est grave. Nous devons agir vite. Le temps presse"]
    assert fr[0].speakers == ("angela-merkel",)
    en = quotes_of(
        en_model,
        en_finder,
        '"The situation is serious. We must act. Time is short," Merkel warned.',
        EN_PEOPLE,
    )
    assert texts(en) == ["The situation is serious. We must act. Time is short"]
    assert en[0].speakers == ("angela-merkel",) and en[0].cue_lemma == "warn"


def test_soft_wrapped_lines_do_not_cut_a_quotation(en_model, en_finder):
    text = (
        '"We are ready to talk to anyone who wants\npeace in the region," Putin told\n'
        "reporters in Moscow."
    )
    (q,) = quotes_of(en_model, en_finder, text, EN_PEOPLE)
    assert q.span.text == "We are ready to talk to anyone who wants\npeace in the region"
    assert q.speakers == ("vladimir-putin",) and q.cue_lemma == "tell"


# --------------------------------------------------------------- attribution shapes


def test_postposed_attribution_with_inverted_subject(fr_model, fr_finder):
    quotes = quotes_of(
        fr_model,
        fr_finder,
        "« La France est prête », a ajouté le porte-parole du ministère, Jean Dupont.\n\n"
        "« C'est inacceptable », s'est agacé Emmanuel Macron.",
        FR_PEOPLE,
    )
    first, second = quotes
    assert first.speakers == ("person:jean-dupont",)
    assert first.speaker_span is not None
    assert first.speaker_span.text == "le porte-parole du ministère, Jean Dupont"
    # "s'agacer" is not in the lexicon, but an inverted verb right after a quotation
    # can only be its attribution (lower confidence: unknown verb).
    assert second.speakers == ("emmanuel-macron",)
    assert second.cue_lemma == "agacer" and second.confidence < first.confidence


def test_english_said_x_and_x_said(en_model, en_finder):
    quotes = quotes_of(
        en_model,
        en_finder,
        '"The situation is very dangerous," said Jeffrey Kupfer, the US deputy secretary '
        "of energy, on Wednesday.\n\n"
        '"We are ready," Putin told reporters in Moscow.',
        EN_PEOPLE,
    )
    assert [q.speakers for q in quotes] == [("jeffrey-kupfer",), ("vladimir-putin",)]
    assert quotes[0].speaker_span is not None
    assert quotes[0].speaker_span.text == "Jeffrey Kupfer, the US deputy secretary of energy"


def test_preposed_cue_with_colon(fr_model, fr_finder, en_model, en_finder):
    (fr,) = quotes_of(
        fr_model,
        fr_finder,
        "Emmanuel Macron a déclaré : « La France ne reconnaîtra pas ce résultat. »",
        FR_PEOPLE,
    )
    assert fr.span.text == "La France ne reconnaîtra pas ce résultat"  # "." is the sentence's
    assert fr.speakers == ("emmanuel-macron",) and fr.cue_lemma == "déclarer"
    (en,) = quotes_of(
        en_model,
        en_finder,
        'Asked about the sanctions, Putin said: "They will stay."',
        EN_PEOPLE,
    )
    assert en.span.text == "They will stay" and en.speakers == ("vladimir-putin",)


def test_interrupted_quote_shares_its_attribution(en_model, en_finder, fr_model, fr_finder):
    en = quotes_of(
        en_model,
        en_finder,
        'Putin met Merkel on Friday. "We had a good meeting," he said, "and we will meet again."',
        EN_PEOPLE,
    )
    assert texts(en) == ["We had a good meeting", "and we will meet again"]
    assert {q.speakers for q in en} == {("vladimir-putin",)}
    (fr,) = quotes_of(
        fr_model,
        fr_finder,
        "Emmanuel Macron a reçu le chancelier. « Nous lutterons, a-t-il dit, jusqu'au bout. »",
        FR_PEOPLE,
    )
    assert fr.speakers == ("emmanuel-macron",) and fr.cue_lemma == "dire"


def test_partial_quotes_take_the_governing_cue(fr_model, fr_finder, en_model, en_finder):
    fr = quotes_of(
        fr_model,
        fr_finder,
        "Le Hamas a accusé Israël de vouloir « saboter » la trêve.",
        FR_PEOPLE,
    )
    assert find(fr, "saboter", direct=True).speakers == ("hamas",)
    indirect = find(fr, "Israël de vouloir", direct=False)
    assert indirect.speakers == ("hamas",) and indirect.cue_lemma == "accuser"
    en = quotes_of(
        en_model,
        en_finder,
        'The Foreign Ministry accused Israel of "deliberately targeting" civilians.',
        EN_PEOPLE,
    )
    assert find(en, "deliberately targeting", direct=True).speakers == ("russia-foreign-ministry",)


def test_indirect_speech_with_que_and_that(fr_model, fr_finder, en_model, en_finder):
    (fr,) = quotes_of(
        fr_model,
        fr_finder,
        "Angela Merkel a estimé mardi que la décision du Conseil était prématurée.",
        FR_PEOPLE,
    )
    assert not fr.direct and fr.span.text == "la décision du Conseil était prématurée"
    assert fr.speakers == ("angela-merkel",) and fr.cue_lemma == "estimer"
    (en,) = quotes_of(
        en_model,
        en_finder,
        "Putin said on Tuesday that the talks had failed.",
        EN_PEOPLE,
    )
    assert not en.direct and en.span.text == "the talks had failed"
    assert en.speakers == ("vladimir-putin",)


def test_source_phrases(fr_model, fr_finder, en_model, en_finder):
    fr = quotes_of(
        fr_model,
        fr_finder,
        "Selon le porte-parole du Kremlin, les négociations reprendront lundi.\n\n"
        "D'après Angela Merkel, la réforme est « indispensable ».",
        FR_PEOPLE,
    )
    first = find(fr, "les négociations")
    assert first.cue_lemma == "selon" and first.speakers == ("russia-government",)
    assert first.speaker_span is not None
    assert first.speaker_span.text == "le porte-parole du Kremlin"
    assert find(fr, "indispensable", direct=True).speakers == ("angela-merkel",)
    assert find(fr, "la réforme", direct=False).cue_lemma == "d'après"
    (en,) = quotes_of(
        en_model,
        en_finder,
        "According to US officials who spoke on condition of anonymity, the deal was "
        "signed on Monday.",
        EN_PEOPLE,
    )
    assert en.span.text == "the deal was signed on Monday"
    assert en.cue_lemma == "according to" and en.speakers == ("united-states-government",)
    assert en.speaker_span is not None and en.speaker_span.text == "US officials"


def test_sentence_final_inverted_attribution_names_both_authors(fr_model, fr_finder):
    quotes = quotes_of(
        fr_model,
        fr_finder,
        "Les deux pays veulent relancer les discussions sur le désarmement, ont annoncé "
        "samedi Moscou et Washington dans un communiqué conjoint.",
        FR_PEOPLE,
    )
    (q,) = quotes
    assert q.span.text == "Les deux pays veulent relancer les discussions sur le désarmement"
    assert q.speakers == ("russia-government", "united-states-government")
    assert q.speaker_span is not None and q.speaker_span.text == "Moscou et Washington"


def test_english_postposed_attribution_of_a_clause(en_model, en_finder):
    (q,) = quotes_of(
        en_model,
        en_finder,
        "Brazil and the United States are seeking to deepen a partnership in energy, US "
        "Deputy Secretary of Energy Jeffrey Kupfer said here Wednesday.",
        EN_PEOPLE,
    )
    assert q.span.text.endswith("partnership in energy") and not q.direct
    # "US" modifies the title: the speaker is the person, not the country
    assert q.speakers == ("jeffrey-kupfer",)


def test_inverted_subject_after_a_prepositional_phrase(fr_model, fr_finder):
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "« La France est prête », assure à l'AFP Emmanuel Macron.",
        FR_PEOPLE,
    )
    assert q.speakers == ("emmanuel-macron",) and q.cue_lemma == "assurer"


def test_headline_label_before_a_colon(fr_model, fr_finder):
    quotes = quotes_of(
        fr_model,
        fr_finder,
        "Emmanuel Macron : « Nous ne reculerons pas »\n\n"
        "Bilan : « Une catastrophe humanitaire sans précédent »",
        FR_PEOPLE,
    )
    # a label speaks only when it names a known actor
    assert [(q.span.text, q.speakers) for q in quotes] == [
        ("Nous ne reculerons pas", ("emmanuel-macron",))
    ]


def test_english_dateline_and_participles_do_not_speak(en_model, en_finder):
    quotes = quotes_of(
        en_model,
        en_finder,
        "MOSCOW, Russia (AP) — Russian President Vladimir Putin on Monday urged Europe to "
        "resume gas talks.\n\n"
        'Asked whether sanctions would be lifted, Merkel said: "Nothing is decided."',
        EN_PEOPLE,
    )
    urge = find(quotes, "Europe to resume", direct=False)
    assert urge.speakers == ("vladimir-putin",) and urge.speaker_span is not None
    assert not urge.speaker_span.text.startswith("MOSCOW")
    # Merkel was asked; she did not ask anything
    assert [q.cue_lemma for q in quotes] == ["urge", "say"]
    assert find(quotes, "Nothing is decided").speakers == ("angela-merkel",)


def test_american_punctuation_inside_partial_quotes(en_model, en_finder):
    quotes = quotes_of(
        en_model,
        en_finder,
        'Putin said Moscow would not accept "ultimatums."',
        EN_PEOPLE,
    )
    assert find(quotes, "ultimatums", direct=True).span.text == "ultimatums"


# ------------------------------------------------------------------- documents/joint


def test_a_communique_speaks_for_the_authors_named_earlier(fr_model, fr_finder):
    quotes = quotes_of(
        fr_model,
        fr_finder,
        "La trêve sera prolongée, ont annoncé Moscou et Washington dans un communiqué "
        "conjoint.\n\n"
        "« Les deux parties sont satisfaites des progrès accomplis », poursuit le communiqué.",
        FR_PEOPLE,
    )
    q = find(quotes, "Les deux parties", direct=True)
    assert q.speakers == ("russia-government", "united-states-government")
    assert q.cue_lemma == "poursuivre" and q.speaker_span is not None
    assert q.speaker_span.text == "le communiqué"


def test_english_statement_speaks_for_its_authors(en_model, en_finder):
    quotes = quotes_of(
        en_model,
        en_finder,
        "Moscow and Washington said in a joint statement that the ceasefire would hold. "
        '"Both sides reaffirmed their commitment," the statement said.\n\n'
        "The ministry said in a statement issued by Hamas that talks were over.",
        EN_PEOPLE,
    )
    assert find(quotes, "Both sides", direct=True).speakers == (
        "russia-government",
        "united-states-government",
    )


def test_english_it_said_is_the_organisation_just_named(en_model, en_finder):
    (q,) = quotes_of(
        en_model,
        en_finder,
        'The Foreign Ministry summoned the ambassador on Monday. "This is unacceptable," it said.',
        EN_PEOPLE,
    )
    assert q.speakers == ("russia-foreign-ministry",)


def test_an_unknown_document_stays_unattributed(fr_model, fr_finder):
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "« La situation humanitaire est catastrophique », indique un rapport.",
        FR_PEOPLE,
    )
    assert q.speakers == () and q.confidence <= 0.4
    assert q.speaker_span is not None and q.speaker_span.text == "un rapport"


# ---------------------------------------------------------------- pronouns/anaphora


def test_pronouns_point_to_the_last_subject(fr_model, fr_finder, en_model, en_finder):
    (fr,) = quotes_of(
        fr_model,
        fr_finder,
        "Angela Merkel a rencontré Emmanuel Macron à Berlin. « La situation est grave », "
        "a-t-elle affirmé.",
        FR_PEOPLE,
    )
    assert fr.speakers == ("angela-merkel",)
    assert fr.speaker_span is not None and fr.speaker_span.text == "elle"
    (en,) = quotes_of(
        en_model,
        en_finder,
        'Putin met Merkel in Berlin on Friday. "We had a very good meeting," he said.',
        EN_PEOPLE,
    )
    assert en.speakers == ("vladimir-putin",)


def test_french_gender_blocks_a_wrong_antecedent(fr_model, fr_finder):
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "La chancelière a reçu Emmanuel Macron. « Rien n'est réglé », a-t-il affirmé.",
        {**FR_PEOPLE, "La chancelière": ("angela-merkel", "person")},
    )
    # "il" cannot be "la chancelière"; no other subject before: no guess
    assert q.speakers == () and q.confidence <= 0.4


def test_a_pronoun_without_antecedent_is_not_guessed(en_model, en_finder):
    (q,) = quotes_of(en_model, en_finder, '"I don\'t know," he said.', EN_PEOPLE)
    assert q.speakers == () and q.confidence <= 0.4 and q.cue_lemma == "say"


def test_one_of_them_is_the_group_just_quoted(fr_model, fr_finder, en_model, en_finder):
    fr = quotes_of(
        fr_model,
        fr_finder,
        "Les négociations progressent, se sont félicités ces responsables américains.\n\n"
        "« Nous avons été très clairs », a indiqué l'un d'eux.",
        FR_PEOPLE,
    )
    q = find(fr, "Nous avons été très clairs")
    assert q.speakers == ("united-states-government",)
    assert q.speaker_span is not None and q.speaker_span.text == "l'un d'eux"
    en = quotes_of(
        en_model,
        en_finder,
        'US officials said the process was moving forward. "We have been very clear," '
        "one of them said.",
        EN_PEOPLE,
    )
    assert find(en, "We have been very clear").speakers == ("united-states-government",)


def test_quote_continuing_the_previous_speaker(fr_model, fr_finder, en_model, en_finder):
    fr = quotes_of(
        fr_model,
        fr_finder,
        "« Nous avons été très clairs », a déclaré Emmanuel Macron à la presse. « Cela reste "
        "vrai. Je ne peux pas parler au nom des autres. »",
        FR_PEOPLE,
    )
    first, second = fr
    assert second.speakers == first.speakers == ("emmanuel-macron",)
    assert second.cue is None and second.confidence < first.confidence
    en = quotes_of(
        en_model,
        en_finder,
        '"We will not back down," Putin said.\n\n"The talks are over for now."',
        EN_PEOPLE,
    )
    assert [q.speakers for q in en] == [("vladimir-putin",), ("vladimir-putin",)]


def test_appositive_name_beats_other_nouns_in_the_speaker_phrase(fr_model, fr_finder):
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "Un nouveau cycle de pourparlers se tiendra à Genève, a annoncé jeudi l'émissaire "
        "des Nations unies pour la Syrie, Staffan de Mistura, qui a réuni le régime et "
        "l'opposition.",
        FR_PEOPLE,
    )
    assert q.speakers == ("staffan-de-mistura",)  # not Syria, not the UN
    assert q.speaker_span is not None
    assert q.speaker_span.text.endswith("Staffan de Mistura")  # relative clause cut


# ------------------------------------------------------------------------- precision


def test_scare_quotes_and_titles_are_not_speech(fr_model, fr_finder, en_model, en_finder):
    assert quotes_of(fr_model, fr_finder, "Le film « La guerre des mondes » sort mercredi.") == []
    assert quotes_of(en_model, en_finder, 'The so-called "peace plan" was dropped.') == []


def test_statements_that_were_not_made(fr_model, fr_finder, en_model, en_finder):
    assert (
        quotes_of(
            fr_model, fr_finder, "Emmanuel Macron n'a pas dit que la France quitterait l'OTAN."
        )
        == []
    )
    assert quotes_of(fr_model, fr_finder, "Angela Merkel annoncera demain sa décision.") == []
    for text in (
        "Putin will say more about the plan next week.",
        "A spokesman declined to say whether talks had resumed.",
        "It is said that the talks failed.",
    ):
        assert quotes_of(en_model, en_finder, text) == [], text


def test_verbs_in_their_non_reporting_senses(fr_model, fr_finder, en_model, en_finder):
    for text in (
        "Les deux délégations poursuivent les discussions à Genève.",
        "Le gouvernement accuse le coup après la défaite.",
        "Le ministre a indiqué la route aux journalistes.",
    ):
        assert quotes_of(fr_model, fr_finder, text) == [], text
    for text in ("I called my mother yesterday.", "The company reported a loss."):
        assert quotes_of(en_model, en_finder, text) == [], text


def test_unattributed_quotation_is_kept_with_low_confidence(en_model, en_finder):
    (q,) = quotes_of(
        en_model, en_finder, 'The banner read "We will never forget what happened here".'
    )
    assert q.direct and q.speakers == () and q.speaker_span is None and q.confidence <= 0.2


def test_lemmatizer_misses_are_caught_by_the_form_table(fr_model, fr_finder):
    assert load_lexicon("fr").verb_class["indiquer"] == "say"
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "« Les présidents ont confirmé leur engagement », indique le document commun.",
    )
    assert q.cue is not None and q.cue.text == "indique" and q.cue_lemma == "indiquer"


def test_dateline_is_not_reported_content(fr_model, fr_finder):
    (q,) = quotes_of(
        fr_model,
        fr_finder,
        "Da Nang, Vietnam — Les présidents sont d'accord, ont annoncé samedi Moscou et Washington.",
        FR_PEOPLE,
    )
    assert q.span.text == "Les présidents sont d'accord"


# --------------------------------------------------------------- component and export


def test_component_in_a_pipeline_exports_json(nlp_for):
    nlp = nlp_for("en", pipes=EN_PIPES, components=[("ww_quotes", {})])
    text = "“We will not back down,” Putin said."
    doc = nlp.make_doc(normalize(text))
    doc.user_data["original_text"] = text
    doc = nlp(doc)
    pipe = nlp.get_pipe("ww_quotes")
    exported = pipe.export(doc)
    assert json.loads(json.dumps(exported)) == exported
    (q,) = exported["quotes"]
    assert q["text"] == "We will not back down" and q["direct"] is True
    assert text[q["start"] : q["end"]] == q["text"]
    said = text.index("said")
    assert q["cue"] == {"start": said, "end": said + 4, "text": "said", "lemma": "say"}
    assert q["speaker"]["text"] == "Putin" and q["speakers"] == []  # no ww_actors here
    assert q["sentence"] == {"start": 0, "end": len(text), "text": text}
    assert pipe.provenance["component"] == "ww_quotes" and pipe.provenance["language"] == "en"


def test_export_matches_the_record_schema_when_declared(en_model, en_finder):
    schema = json.loads((REPO / "schemas" / "enriched-article.v1.json").read_text())
    quotes_schema: dict[str, Any] | None = schema.get("properties", {}).get("quotes")
    if quotes_schema is None:
        pytest.skip("enriched-article.v1.json does not declare quotes yet")
    doc = en_model(normalize('"We are ready," Putin said. Officials said the talks failed.'))
    en_finder(with_actors(doc, EN_PEOPLE))
    exported = en_finder.export(doc)
    validate = fastjsonschema.compile({**schema, "properties": {"quotes": quotes_schema}})
    validate({"id": "x", "language": "en", "text": doc.text, "entities": [], "provenance": {}}
             | exported)  # fmt: skip


def test_through_the_enricher_as_configured():
    """The configured pipeline (pipelines.toml) puts ``quotes`` in the record."""
    import orjson

    from streams.nlp.pipeline import Enricher
    from streams.records import SourceRef

    enricher = Enricher(["fr"])
    text = "« Nous ne céderons pas », a déclaré mardi Emmanuel Macron à Paris."
    value = orjson.dumps({"id": "q1", "language": "fr", "text": text})
    (enriched,) = enricher.enrich_batch([(value, SourceRef("test", 0, 0))]).enriched
    record = enriched.record
    (quote,) = record["quotes"]
    assert text[quote["start"] : quote["end"]] == quote["text"] == "Nous ne céderons pas"
    assert quote["speaker"]["text"] == "Emmanuel Macron" and quote["cue"]["lemma"] == "déclarer"
    assert quote["speakers"] == ["emmanuel-macron"]
    assert record["provenance"]["components"]["ww_quotes"]["component"] == "ww_quotes"


def test_empty_and_quote_free_documents(en_model, en_finder):
    assert quotes_of(en_model, en_finder, "") == []
    assert quotes_of(en_model, en_finder, "The weather was fine in Paris.") == []


# ------------------------------------------------------------ sample story (shared)

SAMPLE_PIPELINE = [("ww_actors", {}), ("ww_quotes", {})]


@pytest.fixture(scope="module")
def sample_doc(nlp_for, sample_fr_text) -> Doc:
    pytest.importorskip("streams.nlp.actors.resolver")
    nlp = nlp_for("fr", pipes=FR_PIPES, components=SAMPLE_PIPELINE)
    doc = nlp.make_doc(normalize(sample_fr_text))
    doc.user_data["original_text"] = sample_fr_text
    return nlp(doc)


def actor_of(doc: Doc, surface: str) -> str:
    """The actor ww_actors resolved a mention with this text to."""
    ids = {m.actor_id for m in doc._.ww_actor_mentions if m.text == surface}
    assert len(ids) == 1, f"{surface!r} → {ids}"
    return ids.pop()


@pytest.mark.shared
def test_sample_offsets_slice_the_original(sample_doc, sample_fr_text):
    assert len(sample_doc._.ww_quotes) >= 12
    for q in sample_doc._.ww_quotes:
        assert_offsets(sample_fr_text, q)
    q = find(sample_doc._.ww_quotes, "Les présidents sont d")
    assert sample_fr_text[q.span.start : q.span.end].startswith("Les présidents sont d’accord")


@pytest.mark.shared
def test_sample_trump_quote(sample_doc):
    q = find(sample_doc._.ww_quotes, "Nous allons avoir une formidable relation", direct=True)
    assert q.span.text.endswith("[Vladimir] Poutine et la Russie")
    assert q.speakers == (actor_of(sample_doc, "Donald Trump"),)
    assert q.cue_lemma == "répéter" and q.speaker_span is not None
    assert q.speaker_span.text == "il"


@pytest.mark.shared
def test_sample_joint_statement_quotes(sample_doc):
    capitals = {actor_of(sample_doc, "Moscou"), actor_of(sample_doc, "Washington")}
    presidents = {actor_of(sample_doc, "Donald Trump"), actor_of(sample_doc, "Vladimir Poutine")}
    for fragment in (
        "pas de solution militaire",
        "Les présidents sont d'accord pour dire",
        "détermination à vaincre l'EI",
        "Les présidents ont confirmé leur engagement",
        "Les présidents ont aussi discuté",
        "sont satisfaits",
    ):
        q = find(sample_doc._.ww_quotes, fragment, direct=True)
        assert set(q.speakers) in (capitals, presidents), (fragment, q.speakers)
        assert q.confidence >= 0.5
    poursuit = find(sample_doc._.ww_quotes, "Les présidents ont aussi discuté")
    assert poursuit.cue_lemma == "poursuivre"


@pytest.mark.shared
def test_sample_russian_military_command(sample_doc):
    q = find(sample_doc._.ww_quotes, "faire seulement semblant", direct=True)
    assert q.span.text == "faire seulement semblant"
    assert q.speakers == (actor_of(sample_doc, "commandement militaire russe"),)
    assert q.cue_lemma == "accuser"


@pytest.mark.shared
def test_sample_us_officials_one_of_them(sample_doc):
    officials = actor_of(sample_doc, "responsables américains")
    q = find(sample_doc._.ww_quotes, "nous avons clairement fait savoir", direct=True)
    assert q.speakers == (officials,)
    assert q.speaker_span is not None and q.speaker_span.text == "l'un d'eux"
    follow = find(sample_doc._.ww_quotes, "Cela reste vrai", direct=True)
    assert follow.speakers == (officials,) and follow.cue is None


@pytest.mark.shared
def test_sample_indirect_speech(sample_doc):
    q = find(sample_doc._.ww_quotes, "Un nouveau cycle de pourparlers", direct=False)
    assert q.speakers == (actor_of(sample_doc, "Staffan de Mistura"),)
    assert q.cue_lemma == "annoncer"
    first = find(sample_doc._.ww_quotes, "Le président américain, Donald Trump", direct=False)
    assert not first.span.text.startswith("Da Nang")


@pytest.mark.shared
def test_sample_speaker_spans_without_actors(nlp_for, sample_fr_text):
    """Quote and speaker-phrase detection do not depend on ww_actors."""
    nlp = nlp_for("fr", pipes=FR_PIPES, components=[("ww_quotes", {})])
    doc = nlp(normalize(sample_fr_text))
    spans = {
        q.span.text[:25]: (q.speaker_span.text if q.speaker_span else None, q.cue_lemma)
        for q in doc._.ww_quotes
    }
    assert spans["pas de solution militaire"] == ("Moscou et Washington", "annoncer")
    assert spans["faire seulement semblant"] == ("Le commandement militaire russe", "accuser")
    assert spans["nous avons clairement fai"] == ("l'un d'eux", "indiquer")
    assert spans["Nous allons avoir une for"] == ("il", "répéter")
    assert all(not q.speakers for q in doc._.ww_quotes)
