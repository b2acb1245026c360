"""The batch enrichment core, without Kafka."""

import orjson
import pytest
from spacy.language import Language

from streams.nlp.pipeline import Enricher, LanguageConfig, load_pipeline_configs
from streams.records import SourceRef
from streams.schemas import validator


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def _msg(i: int, **fields) -> tuple[bytes, SourceRef]:
    return orjson.dumps(fields), SourceRef("test", 0, i)


def test_batch_keeps_input_order_and_separates_rejections(enricher):
    result = enricher.enrich_batch(
        [
            _msg(0, id="en", text="President Donald Trump met Vladimir Putin in Da Nang, Vietnam."),
            (b"not json", SourceRef("test", 0, 1)),
            _msg(
                2, id="fr", text="Emmanuel Macron s’est rendu à Berlin pour rencontrer Olaf Scholz."
            ),
        ]
    )
    assert [e.key for e in result.enriched] == ["en", "fr"]
    assert [r.reason for r in result.rejected] == ["invalid_json"]
    en, fr = (e.record for e in result.enriched)
    assert en["language"] == "en" and fr["language"] == "fr"
    assert {"Donald Trump", "Vladimir Putin"} <= {
        e["text"] for e in en["entities"] if e["label"] == "PER"
    }
    for record in (en, fr):
        validator("enriched-article.v1.json")(record)
        for ent in record["entities"]:
            assert record["text"][ent["start"] : ent["end"]] == ent["text"]


def test_curly_apostrophes_do_not_become_entities_and_offsets_stay_original(enricher):
    text = "Selon l’ONU, il n’y a qu’une solution en Syrie, d’après Antonio Guterres."
    record = enricher.enrich_batch([_msg(0, id="a", text=text)]).enriched[0].record
    labels = {e["text"]: e["label"] for e in record["entities"]}
    assert not any(t.endswith("’") or t in {"n’", "qu’", "d’"} for t in labels)
    assert "Syrie" in labels
    for ent in record["entities"]:
        assert text[ent["start"] : ent["end"]] == ent["text"]


def test_unsupported_language_is_kept_with_a_warning(enricher):
    record = (
        enricher.enrich_batch(
            [
                _msg(
                    0,
                    id="de",
                    text=(
                        "Die Bundesregierung hat am Montag in Berlin neue Maßnahmen beschlossen, "
                        "sagte der Sprecher."
                    ),
                )
            ]
        )
        .enriched[0]
        .record
    )
    assert record["language"] == "de"
    assert record["entities"] == []
    assert record["warnings"] and record["warnings"][0].startswith("unsupported_language")


def test_declared_language_wins_over_detection(enricher):
    record = (
        enricher.enrich_batch([_msg(0, id="x", language="fr", text="Paris is lovely.")])
        .enriched[0]
        .record
    )
    assert record["language"] == "fr"
    assert record["language_method"] == "declared"


@Language.component("ww_test_explode")
def _explode(doc):
    if "BOOM" in doc.text:
        raise RuntimeError("component bug")
    return doc


def test_a_failing_article_is_rejected_alone():
    base = load_pipeline_configs()["en"]
    cfg = LanguageConfig("en", base.model, base.pipes, (("ww_test_explode", {}),))
    enricher = Enricher(languages=["en"], configs={"en": cfg})
    result = enricher.enrich_batch(
        [
            _msg(0, id="ok1", text="The minister spoke in London on Monday."),
            _msg(1, id="bad", text="BOOM said the minister in London."),
            _msg(2, id="ok2", text="The minister spoke in Paris on Tuesday."),
        ]
    )
    assert [e.key for e in result.enriched] == ["ok1", "ok2"]
    assert [(r.article_id, r.reason) for r in result.rejected] == [("bad", "enrichment_failed")]
    assert "component bug" in result.rejected[0].message


def test_nlp_budget_splits_batches_and_rejects_what_alone_exceeds_it():
    from streams.records import Limits

    limits = Limits(nlp_batch_seconds=1.0, nlp_chars_per_second=100.0)  # 100 chars per batch
    enricher = Enricher(languages=["en"], limits=limits)
    sentence = "The minister spoke in London on Monday. "  # 40 characters
    messages = [
        _msg(0, id="a", language="en", text=sentence * 2),  # 80 chars: fits
        _msg(1, id="b", language="en", text=sentence * 2),  # 80: a batch of its own
        _msg(2, id="c", language="en", text=sentence * 3),  # 120: alone over the budget
    ]
    result = enricher.enrich_batch(messages)
    assert [e.key for e in result.enriched] == ["a", "b"]
    (rejected,) = result.rejected
    assert rejected.reason == "nlp_budget_exceeded" and rejected.article_id == "c"
    assert "120 characters" in rejected.message and "nlp_batch_seconds" in rejected.message
    assert _keys_by_part(enricher, messages) == [["c"], ["a"], ["b"]]


def _keys_by_part(enricher: Enricher, messages) -> list[list[str]]:
    return [
        [getattr(o, "key", None) or o.article_id for _, o in part]
        for part in enricher.enrich_parts(messages, chunked=True)
    ]


SENTENCE = "The minister spoke in London on Monday. "  # 40 characters


@pytest.fixture(scope="module")
def small_chunks() -> Enricher:
    from streams.records import Limits

    # 100 characters of estimated NLP per chunk, 1,000 per batch.
    limits = Limits(nlp_batch_seconds=10.0, nlp_chars_per_second=100.0, nlp_chunk_seconds=1.0)
    return Enricher(languages=["en"], limits=limits)


def test_parts_come_cheapest_first_and_a_correction_never_overtakes_its_original(small_chunks):
    messages = [
        _msg(0, id="long", language="en", text=SENTENCE * 3),
        _msg(1, id="s1", language="en", text=SENTENCE),
        (b"{", SourceRef("test", 0, 2)),
        _msg(3, id="s2", language="en", text=SENTENCE),
        _msg(4, id="x", language="en", text=SENTENCE * 6),  # the original, long
        _msg(5, id="x", language="en", text="Correction: " + SENTENCE),  # short
    ]
    parts = list(small_chunks.enrich_parts(messages, chunked=True))
    # Rejections at once; then the two short articles; the long one; and the
    # correction, which was parsed early, held until its original is done.
    assert [[pos for pos, _ in part] for part in parts] == [[2], [1, 3], [0], [4, 5]]
    original, correction = (o.record["text"] for _, o in parts[-1])
    assert original == SENTENCE * 6 and correction.startswith("Correction: ")
    # Gathered, the batch is in input order, whatever the parts' order.
    # Unchunked (a full batch: throughput first), one part per language.
    unchunked = small_chunks.enrich_parts(messages, chunked=False)
    assert [[pos for pos, _ in part] for part in unchunked] == [[2], [0, 1, 3, 4, 5]]
    assert [e.key for e in small_chunks.enrich_batch(messages).enriched] == [
        "long",
        "s1",
        "s2",
        "x",
        "x",
    ]


def test_every_message_gets_one_outcome_when_the_parts_fail_half_way(small_chunks, monkeypatch):
    from streams.agents.enrich import enrich_safely
    from streams.nlp.pipeline import Enriched

    real = Enricher._outcome

    def outcome(self, article, doc):
        if article.raw.id == "bug":
            raise RuntimeError("not caught by the component guard")
        return real(self, article, doc)

    monkeypatch.setattr(Enricher, "_outcome", outcome)
    messages = [
        _msg(0, id="first", language="en", text=SENTENCE),
        _msg(1, id="bug", language="en", text=SENTENCE * 2),
        _msg(2, id="after", language="en", text=SENTENCE * 2),
    ]
    parts = enrich_safely(small_chunks, messages, chunked=True)
    answered = [(pos, o) for part in parts for pos, o in part]
    assert sorted(pos for pos, _ in answered) == [0, 1, 2]
    by_pos = dict(answered)
    assert isinstance(by_pos[0], Enriched) and isinstance(by_pos[2], Enriched)
    assert by_pos[1].reason == "enrichment_failed" and "not caught" in by_pos[1].message
