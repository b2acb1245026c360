import base64

import orjson
import pytest

from streams.records import (
    Limits,
    RawArticle,
    Rejection,
    SourceRef,
    dead_letter_key,
    dead_letter_record,
    decode_raw,
    derive_article_id,
)
from streams.schemas import validator

REF = SourceRef("raw-articles", 1, 42, 1_700_000_000_000, b"key")


def _reason(value: bytes | None, limits: Limits | None = None) -> str:
    out = decode_raw(value, REF, limits or Limits())
    assert isinstance(out, Rejection), out
    return out.reason


def test_valid_article_decodes_and_normalises_published_at():
    art = decode_raw(
        orjson.dumps(
            {"id": "a", "text": "Bonjour.", "extra": 1, "published_at": "2017-11-11T10:30:00+01:00"}
        ),
        REF,
    )
    assert isinstance(art, RawArticle)
    assert art.published_at == "2017-11-11T09:30:00.000Z"
    assert art.ref == REF


@pytest.mark.parametrize(
    "value, reason",
    [
        (None, "empty_message"),
        (b"", "empty_message"),
        (b"{not json", "invalid_json"),
        (b'{"id": "a", "text": "caf\xe9"}', "invalid_utf8"),
        (b"[1, 2]", "not_an_object"),
        (b'"just a string"', "not_an_object"),
        (b'{"text": "no id"}', "schema_violation"),
        (b'{"id": "a"}', "schema_violation"),
        (b'{"id": "a", "text": ""}', "schema_violation"),
        (b'{"id": "a", "text": "   "}', "schema_violation"),
        (b'{"id": 7, "text": "x"}', "schema_violation"),
        (b'{"id": "a", "text": "x", "published_at": "yesterday"}', "schema_violation"),
        (b'{"id": "a", "text": "x", "published_at": "2017-11-11T10:30:00"}', "schema_violation"),
        (b'{"id": "a", "text": "x", "language": "French!"}', "schema_violation"),
        (b"[" * 5000 + b"]" * 5000, "too_deep"),
    ],
)
def test_each_kind_of_bad_input_has_its_reason(value, reason):
    assert _reason(value) == reason


def test_limits_reject_instead_of_truncating():
    big = orjson.dumps({"id": "a", "text": "x" * 2000})
    assert _reason(big, Limits(max_message_bytes=1000)) == "too_large"
    assert _reason(big, Limits(max_text_chars=1000)) == "text_too_long"


def test_dead_letter_keeps_original_bytes_and_source():
    raw = b'{"id": "a", "text": "caf\xe9"}'
    rej = decode_raw(raw, REF)
    record = dead_letter_record(rej)
    validator("dead-letter.v1.json")(record)
    assert record["original"]["encoding"] == "base64"
    assert base64.b64decode(record["original"]["data"]) == raw
    assert record["source"] == {
        "topic": "raw-articles",
        "partition": 1,
        "offset": 42,
        "timestamp_ms": 1_700_000_000_000,
        "key": "key",
        "key_encoding": "utf-8",
    }
    assert dead_letter_key(rej) == b"raw-articles/1/42"


def test_derived_ids_are_stable_and_content_sensitive():
    a = derive_article_id("AFP", None, "texte")
    assert a == derive_article_id("AFP", None, "texte")
    assert a != derive_article_id("AFP", None, "texte modifié")
    assert a != derive_article_id("Reuters", None, "texte")


def test_control_character_bodies_are_kept_as_base64_not_bloated_json():
    raw = b'{"id": "a", "text": "' + b"\x01" * 5000 + b'"}'
    record = dead_letter_record(decode_raw(raw, REF))
    assert record["reason"] == "invalid_json"  # raw control characters are not valid JSON
    assert record["original"]["encoding"] == "base64"
    assert base64.b64decode(record["original"]["data"]) == raw
