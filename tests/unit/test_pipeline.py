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
    result = enricher.enrich_batch(
        [
            _msg(0, id="a", language="en", text=sentence * 2),  # 80 chars: fits
            _msg(1, id="b", language="en", text=sentence * 2),  # 80: a batch of its own
            _msg(2, id="c", language="en", text=sentence * 3),  # 120: alone over the budget
        ]
    )
    assert [e.key for e in result.enriched] == ["a", "b"]
    (rejected,) = result.rejected
    assert rejected.reason == "nlp_budget_exceeded" and rejected.article_id == "c"
    assert "120 characters" in rejected.message and "nlp_batch_seconds" in rejected.message
    assert enricher._within_budget(
        [0, 1], [(a, None, b"") for a in (_raw("a", sentence * 2), _raw("b", sentence * 2))]
    ) == [[0], [1]]


def _raw(article_id: str, text: str):
    from streams.records import RawArticle

    return RawArticle(article_id, text, None, None, None, "en", None, SourceRef("t"))
