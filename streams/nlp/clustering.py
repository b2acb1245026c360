"""Story clustering: which earlier article is this one a copy or an edit of?

Each article gets a MinHash signature (datasketch) of its word 5-shingles.
Locality-sensitive hashing splits the signature into ``bands`` of ``rows``; two
articles whose signatures agree on a whole band become candidates, and a
candidate joins the story when the estimated Jaccard similarity reaches the
threshold. Syndicated copies and lightly edited versions of one wire story share
most 5-shingles, so they share a ``story_id``; unrelated articles almost never
do (with 32 bands × 4 rows the chance that two articles at Jaccard 0.2 collide
is about 5 %, and the similarity check then rejects them).

The index lives behind ``StoryStore`` — a plain dict offline, a Faust table in
the stream — so both paths run this same code. Assignment is idempotent: an
article seen before keeps its story, so a re-delivered message gets the same id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 32, 4
THRESHOLD = 0.5
WINDOW_MS = 7 * 24 * 3600 * 1000  # stories older than this (event time) are not extended
MAX_BUCKET = 50  # article ids kept per LSH bucket; boilerplate buckets cannot grow unbounded
METHOD = f"minhash-lsh/{SHINGLE_WORDS}-shingles/{BANDS}x{ROWS}/j>={THRESHOLD}"

_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[bytes]:
    """Lower-cased word k-grams; punctuation and typography do not matter."""
    words = _WORD.findall(text.lower())
    if len(words) < k:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + k]).encode() for i in range(len(words) - k + 1)}


def signature(text: str) -> np.ndarray:
    m = MinHash(num_perm=NUM_PERM)
    m.update_batch(sorted(shingles(text)))
    return m.hashvalues.astype(np.uint32)


def band_keys(sig: np.ndarray) -> list[str]:
    """One key per band; equal keys mean the two signatures agree on that whole band."""
    keys = []
    for b in range(BANDS):
        chunk = sig[b * ROWS : (b + 1) * ROWS].tobytes()
        keys.append(f"{b}:{hashlib.blake2b(chunk, digest_size=8).hexdigest()}")
    return keys


def encode_signature(sig: np.ndarray) -> str:
    return base64.b64encode(sig.astype("<u4").tobytes()).decode("ascii")


def decode_signature(data: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(data), dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash estimate of the Jaccard similarity of the two shingle sets."""
    return float(np.count_nonzero(a == b)) / len(a)


class StoryStore(Protocol):
    """The two mappings the index needs (a dict, or a Faust table)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def items(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    story_id: str
    new_story: bool
    matched_article: str | None
    similarity: float | None
    version: int = 1  # of the article: 2+ when the same id came back with new text

    def to_record(self) -> dict[str, Any]:
        return {
            "id": self.story_id,
            "new": self.new_story,
            "matched_article": self.matched_article,
            "similarity": self.similarity,
            "method": METHOD,
        }


def with_story(record: dict[str, Any], assignment: StoryAssignment) -> dict[str, Any]:
    """The enriched record with its story and its version (2+ for corrections)."""
    return {**record, "version": assignment.version, "story": assignment.to_record()}


def story_id_for(article_id: str) -> str:
    return "story-" + hashlib.sha256(article_id.encode()).hexdigest()[:16]


def _within_window(a: int | None, b: int | None) -> bool:
    return a is None or b is None or abs(a - b) <= WINDOW_MS


def assign_story(
    article_id: str,
    sig: np.ndarray,
    digest: str,
    event_time_ms: int | None,
    articles: StoryStore,
    buckets: StoryStore,
) -> StoryAssignment:
    """Give the article a story id and a version, updating the index.

    The index sees every article id, so it also tells a re-delivery (same id, same
    text: same story, same version) from a correction (same id, new text: same
    story, version + 1) — a correction replaces the article, it is not a new one.
    """
    known = articles.get(article_id)
    if known is not None:
        if known["h"] == digest:
            return StoryAssignment(**known["assignment"], version=known["v"])
        articles[article_id] = {
            **known,
            "h": digest,
            "v": known["v"] + 1,
            "sig": encode_signature(sig),
        }
        _add_to_buckets(article_id, band_keys(sig), buckets)
        return StoryAssignment(**known["assignment"], version=known["v"] + 1)

    keys = band_keys(sig)
    candidates: list[tuple[float, str, str]] = []
    seen: set[str] = set()
    for key in keys:
        for other in buckets.get(key) or ():
            if other in seen:
                continue
            seen.add(other)
            entry = articles.get(other)
            if entry is None or not _within_window(event_time_ms, entry["t"]):
                continue
            sim = similarity(sig, decode_signature(entry["sig"]))
            if sim >= THRESHOLD:
                candidates.append((sim, entry["assignment"]["story_id"], other))

    if not candidates:
        assignment = StoryAssignment(story_id_for(article_id), True, None, None)
    else:
        # Most similar wins; ties are broken by ids so the outcome does not depend on order.
        sim, story, other = min(candidates, key=lambda c: (-c[0], c[1], c[2]))
        assignment = StoryAssignment(story, False, other, round(sim, 4))
    articles[article_id] = {
        "t": event_time_ms,
        "h": digest,
        "v": 1,
        "sig": encode_signature(sig),
        "assignment": {
            "story_id": assignment.story_id,
            "new_story": assignment.new_story,
            "matched_article": assignment.matched_article,
            "similarity": assignment.similarity,
        },
    }
    _add_to_buckets(article_id, keys, buckets)
    return assignment


def _add_to_buckets(article_id: str, keys: list[str], buckets: StoryStore) -> None:
    for key in keys:
        members = [m for m in buckets.get(key) or () if m != article_id]
        members.append(article_id)
        buckets[key] = members[-MAX_BUCKET:]


def content_hash(text: str) -> str:
    """Identifies the exact text: equal for a re-delivery, different for any edit."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def expired(articles: StoryStore, watermark_ms: int) -> list[str]:
    """Articles whose event time is more than the window behind ``watermark_ms``.

    No later article can join their story (``assign_story`` ignores them), so they
    only cost memory: the index stays bounded by the window, not by history.
    """
    return [
        aid
        for aid, entry in list(articles.items())
        if entry and entry.get("t") is not None and watermark_ms - entry["t"] > WINDOW_MS
    ]


def forget(article_id: str, articles: StoryStore, buckets: StoryStore) -> None:
    """Remove an article and its bucket memberships from the index."""
    entry = articles.get(article_id)
    if entry is None:
        return
    for key in band_keys(decode_signature(entry["sig"])):
        members = [m for m in buckets.get(key) or () if m != article_id]
        if members:
            buckets[key] = members
        elif buckets.get(key) is not None:
            del buckets[key]
    del articles[article_id]
