"""Raw bytes in, a validated ``RawArticle`` or a ``Rejection`` out — never an exception.

This is the edge where untrusted input becomes data: every way a message can be
wrong maps to a reason code, and a rejection keeps the original bytes so the
dead-letter record can be inspected and replayed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from . import __version__
from .schemas import ValidationError, validator
from .timeutil import now_rfc3339, parse_rfc3339, to_rfc3339

RAW_SCHEMA = "raw-article.v1.json"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a message came from (a Kafka record, or a line of a file)."""

    topic: str
    partition: int | None = None
    offset: int | None = None
    timestamp_ms: int | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class RawArticle:
    id: str
    text: str
    title: str | None
    source: str | None
    url: str | None
    language: str | None
    published_at: str | None  # normalised to UTC RFC 3339 when present
    ref: SourceRef = field(compare=False)


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    message: str
    stage: str  # decode | validate | enrich
    ref: SourceRef
    original: bytes
    article_id: str | None = None


@dataclass(frozen=True, slots=True)
class Limits:
    max_message_bytes: int = 4_000_000
    max_text_chars: int = 200_000
    # Per-batch NLP time budget. NLP time is estimated from text length at a fixed,
    # conservative rate (deterministic: the same article is judged the same everywhere);
    # batches are split to fit the budget, and an article that alone would exceed it is
    # rejected (reason nlp_budget_exceeded) rather than stalling its partition.
    nlp_batch_seconds: float = 10.0
    nlp_chars_per_second: float = 20_000.0
    # Latency: a batch's NLP runs in chunks of about this much (estimated) time, and each
    # chunk's articles are published as soon as it is done (Enricher.enrich_parts).
    nlp_chunk_seconds: float = 0.25

    def nlp_seconds(self, text: str) -> float:
        return len(text) / self.nlp_chars_per_second


def _reject(
    reason: str,
    message: str,
    stage: str,
    ref: SourceRef,
    value: bytes,
    article_id: str | None = None,
) -> Rejection:
    return Rejection(reason, message, stage, ref, value, article_id)


DEFAULT_LIMITS = Limits()


def decode_raw(
    value: bytes | None, ref: SourceRef, limits: Limits = DEFAULT_LIMITS
) -> RawArticle | Rejection:
    """Turn one message value into a RawArticle, or say precisely why not."""
    if value is None or len(value) == 0:
        return _reject(
            "empty_message",
            "message has no value (tombstone or empty)",
            "decode",
            ref,
            value or b"",
        )
    if len(value) > limits.max_message_bytes:
        return _reject(
            "too_large",
            f"message is {len(value):,} bytes; the limit is "
            f"{limits.max_message_bytes:,} (max_message_bytes)",
            "decode",
            ref,
            value,
        )
    try:
        value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _reject(
            "invalid_utf8",
            f"message is not valid UTF-8: {exc.reason} at byte {exc.start}",
            "decode",
            ref,
            value,
        )
    try:
        doc: Any = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        reason = "too_deep" if "depth limit" in str(exc) else "invalid_json"
        return _reject(reason, f"message is not valid JSON: {exc}", "decode", ref, value)
    if not isinstance(doc, dict):
        return _reject(
            "not_an_object",
            f"message is JSON {type(doc).__name__}, not an object",
            "validate",
            ref,
            value,
        )
    article_id = doc.get("id") if isinstance(doc.get("id"), str) else None
    try:
        validator(RAW_SCHEMA)(doc)
    except ValidationError as exc:
        return _reject(
            "schema_violation",
            f"{exc.message} (schema {RAW_SCHEMA})",
            "validate",
            ref,
            value,
            article_id,
        )
    text: str = doc["text"]
    if len(text) > limits.max_text_chars:
        return _reject(
            "text_too_long",
            f"text has {len(text):,} characters; the limit is "
            f"{limits.max_text_chars:,} (max_text_chars)",
            "validate",
            ref,
            value,
            article_id,
        )
    published = doc.get("published_at")
    published_norm = to_rfc3339(parse_rfc3339(published)) if published else None
    return RawArticle(
        id=doc["id"],
        text=text,
        title=doc.get("title"),
        source=doc.get("source"),
        url=doc.get("url"),
        language=doc.get("language"),
        published_at=published_norm,
        ref=ref,
    )


def _text_or_base64(data: bytes) -> tuple[str, str]:
    """UTF-8 text when it is, else base64 — also when JSON escaping would bloat it.

    A body of control characters is valid UTF-8 but each byte becomes six in JSON
    (\\u0000); base64 keeps such a dead letter within a third of the original size.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"
    if len(text) > 1024 and len(_NEEDS_ESCAPE.findall(text)) > len(text) // 10:
        return base64.b64encode(data).decode("ascii"), "base64"
    return text, "utf-8"


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


def dead_letter_record(rej: Rejection) -> dict[str, Any]:
    """The dead-letter.v1 record for a rejection (original bytes kept whole)."""
    data, encoding = _text_or_base64(rej.original)
    key, key_encoding = _text_or_base64(rej.ref.key) if rej.ref.key is not None else (None, None)
    return {
        "reason": rej.reason,
        "message": rej.message,
        "stage": rej.stage,
        "article_id": rej.article_id,
        "source": {
            "topic": rej.ref.topic,
            "partition": rej.ref.partition,
            "offset": rej.ref.offset,
            "timestamp_ms": rej.ref.timestamp_ms,
            "key": key,
            "key_encoding": key_encoding,
        },
        "original": {"encoding": encoding, "data": data, "bytes": len(rej.original)},
        "failed_at": now_rfc3339(),
        "wirewatch_version": __version__,
    }


def dead_letter_key(rej: Rejection) -> bytes:
    """Deterministic key: a redelivered bad message overwrites, not duplicates, its twin."""
    r = rej.ref
    return f"{r.topic}/{r.partition}/{r.offset}".encode()


def derive_article_id(source: str | None, url: str | None, text: str) -> str:
    """A stable id for articles that arrive without one (same input → same id)."""
    h = hashlib.sha256()
    for part in (source or "", url or "", text):
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return "ww-" + h.hexdigest()[:20]
