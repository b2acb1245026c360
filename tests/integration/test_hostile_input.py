"""Hostile input on raw-articles: everything invalid is dead-lettered whole, nothing else stops.

Property: for any batch of hostile messages interleaved with good articles, every
hostile message lands on dead-letter with its original bytes, a reason code, a
human message and its source offset; every good article is enriched; the worker
keeps running. Hypothesis draws 20 batches of 500 (10,000 hostile messages).

Valid JSON articles whose *text* is hostile — markup, ``<script>``, control
characters — are not malformed: they are enriched with the text kept exactly
(escaping is the dashboard's job, see the e2e security test). They are checked
here too, as the "good" articles.
"""

from __future__ import annotations

import base64
import itertools
import uuid

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import collect, metric_samples, produce

pytestmark = pytest.mark.integration

_counter = itertools.count()

# -- what is hostile -------------------------------------------------------------------
ints = st.integers(min_value=-(2**63), max_value=2**64 - 1)  # what JSON numbers orjson writes
json_scalars = st.one_of(
    st.none(), st.booleans(), ints, st.floats(allow_nan=False), st.text(max_size=50)
)
not_an_object = st.one_of(json_scalars, st.lists(json_scalars, max_size=5)).map(orjson.dumps)

invalid_json = st.one_of(
    st.binary(min_size=1, max_size=300).filter(lambda b: not _parses(b)),
    st.text(min_size=1, max_size=300).map(str.encode).filter(lambda b: not _parses(b)),
    st.sampled_from([b"{", b'{"id": "x", "text": ', b"{'id': 'x'}", b"NaN", b'{"a":1,}']),
)

invalid_utf8 = st.binary(min_size=1, max_size=200).map(
    lambda b: b'{"id": "u", "text": "' + b + b'\xff\xfe"}'
)

wrong_fields = (
    st.fixed_dictionaries(
        {},
        optional={
            "id": st.one_of(ints, st.none(), st.just(""), st.just("   "), st.lists(st.text())),
            "text": st.one_of(
                ints,
                st.none(),
                st.just(""),
                st.just(" \n\t "),
                st.dictionaries(st.text(), st.text(), max_size=2),
            ),
            "published_at": st.one_of(ints, st.just("yesterday"), st.just("2017-11-11T10:00:00")),
            "language": st.sampled_from(["French", "", "fr_FR!", "123"]),
            "title": ints,
        },
    )
    .filter(lambda d: not _valid_article(d))
    .map(orjson.dumps)
)

too_deep = st.integers(min_value=1100, max_value=3000).flatmap(
    lambda n: st.sampled_from([b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n])
)
nested_but_wrong = st.integers(min_value=50, max_value=900).map(
    lambda n: b'{"id": "deep", "text": ' + b"[" * n + b'"x"' + b"]" * n + b"}"
)
raw_control_characters = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=50
).map(lambda t: b'{"id": "c", "text": "' + t.encode() + b'x"}')

hostile = st.one_of(
    not_an_object,
    invalid_json,
    invalid_utf8,
    wrong_fields,
    too_deep,
    nested_but_wrong,
    raw_control_characters,
)

# -- hostile content in valid articles (must be enriched, text unchanged) ---------------
hostile_text = st.sampled_from(
    [
        "<script>alert('x')</script> Le ministre a parlé à Paris.",
        "The minister spoke in London. <img src=x onerror=alert(1)>",
        "Moscou\u0000 a\u0007 annoncé\u001b un accord avec Washington.",
        "&lt;b&gt;Syria&lt;/b&gt; talks resumed in Geneva on Monday, officials said.",
        "‮Reversed text and zero\u200bwidth joiners in Tokyo.",
    ]
)


def _parses(b: bytes) -> bool:
    try:
        orjson.loads(b)
        return True
    except orjson.JSONDecodeError:
        return False


def _valid_article(d: dict) -> bool:
    return (
        isinstance(d.get("id"), str)
        and d["id"].strip() != ""
        and isinstance(d.get("text"), str)
        and d["text"].strip() != ""
    )


@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(
    batch=st.lists(hostile, min_size=500, max_size=500),
    good_texts=st.lists(hostile_text, min_size=5, max_size=5),
)
def test_hostile_messages_are_dead_lettered_and_good_articles_flow(worker, batch, good_texts):
    run = uuid.uuid4().hex[:8]
    keys = [f"h-{run}-{i}".encode() for i in range(len(batch))]
    goods = [
        {"id": f"good-{run}-{i}", "text": t, "source": "fuzz"} for i, t in enumerate(good_texts)
    ]
    values, all_keys = list(batch), list(keys)
    for i, good in enumerate(goods):  # interleave the good ones
        at = (i + 1) * len(values) // (len(goods) + 1)
        values.insert(at, orjson.dumps(good))
        all_keys.insert(at, good["id"].encode())
    produce(worker.settings, "raw-articles", values, keys=all_keys)

    wanted = {k.decode() for k in keys}
    dead = collect(
        worker.settings,
        "dead-letter",
        lambda rs: (
            wanted
            <= {
                r["value"]["source"].get("key")
                for r in rs
                if isinstance(r["value"], dict) and isinstance(r["value"].get("source"), dict)
            }
        ),
        timeout=180,
    )
    letters = {
        r["value"]["source"]["key"]: r["value"]
        for r in dead
        if isinstance(r["value"].get("source"), dict) and r["value"]["source"].get("key") in wanted
    }
    for key, original in zip(keys, batch, strict=True):
        letter = letters[key.decode()]
        data = letter["original"]["data"]
        raw = (
            base64.b64decode(data) if letter["original"]["encoding"] == "base64" else data.encode()
        )
        assert raw == original
        assert letter["reason"] in {
            "invalid_json",
            "invalid_utf8",
            "not_an_object",
            "schema_violation",
            "too_deep",
            "empty_message",
        }
        assert letter["message"]
        assert letter["source"]["topic"] == worker.settings.topic("raw-articles")
        assert isinstance(letter["source"]["offset"], int)

    good_ids = {g["id"] for g in goods}
    enriched = collect(
        worker.settings,
        "articles-enriched",
        lambda rs: good_ids <= {r["value"]["id"] for r in rs},
        timeout=180,
    )
    by_id = {r["value"]["id"]: r["value"] for r in enriched if r["value"]["id"] in good_ids}
    for good in goods:
        assert by_id[good["id"]]["text"] == good["text"]
    assert worker.alive


def test_ten_megabyte_bodies_are_rejected_whole_not_truncated(worker):
    run = uuid.uuid4().hex[:8]
    big_text = orjson.dumps({"id": f"big-{run}", "text": "x" * 10_000_000})
    big_garbage = b"\xff" * 10_000_000
    keys = [f"big-{run}-{i}".encode() for i in range(2)]
    produce(worker.settings, "raw-articles", [big_text, big_garbage], keys=keys)
    wanted = {k.decode() for k in keys}
    dead = collect(
        worker.settings,
        "dead-letter",
        lambda rs: (
            wanted
            <= {
                (r["value"].get("source") or {}).get("key")
                for r in rs
                if isinstance(r["value"], dict)
            }
        ),
        timeout=180,
    )
    letters = {
        r["value"]["source"]["key"]: r["value"]
        for r in dead
        if (r["value"].get("source") or {}).get("key") in wanted
    }
    assert letters[keys[0].decode()]["reason"] == "too_large"
    assert letters[keys[0].decode()]["original"]["bytes"] == len(big_text)
    assert letters[keys[0].decode()]["original"]["data"].encode() == big_text
    assert letters[keys[1].decode()]["reason"] == "too_large"
    assert base64.b64decode(letters[keys[1].decode()]["original"]["data"]) == big_garbage
    assert worker.alive


def test_dead_letters_are_counted_by_reason(worker):
    produce(worker.settings, "raw-articles", [b"[1]", b"{broken"], keys=[b"metric-a", b"metric-b"])
    collect(
        worker.settings,
        "dead-letter",
        lambda rs: (
            {"metric-a", "metric-b"} <= {(r["value"].get("source") or {}).get("key") for r in rs}
        ),
    )
    by_reason: dict[str, float] = {}
    for labels, value in metric_samples(worker.web_port, "wirewatch_dead_letters_total"):
        by_reason[labels["reason"]] = by_reason.get(labels["reason"], 0) + value
    assert by_reason.get("not_an_object", 0) >= 1
    assert by_reason.get("invalid_json", 0) >= 1
