"""Story clustering: which earlier article is this one a copy or an edit of?

Each article gets a MinHash signature (datasketch) of its word 5-shingles.
Locality-sensitive hashing splits the signature into ``bands`` of ``rows``; two
articles whose signatures agree on a whole band become candidates, and a
candidate joins the story when the estimated Jaccard similarity reaches the
threshold. Syndicated copies and lightly edited versions of one wire story share
most 5-shingles, so they share a ``story_id``; unrelated articles almost never
do (with 32 bands × 4 rows the chance that two articles at Jaccard 0.2 collide
is about 5 %, and the similarity check then rejects them).

The articles (signature, story, version) live behind ``StoryStore`` — a plain
dict offline, a changelog-backed Faust table in the stream — so both paths run
this same code. The band index over them (``BandIndex``) is derived data: kept in
memory and rebuilt from the articles after a recovery, never written anywhere.
Assignment is idempotent: an article seen before keeps its story, so a
re-delivered message gets the same id.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any, Protocol

import numpy as np
from datasketch import MinHash

SHINGLE_WORDS = 5
NUM_PERM = 128
BANDS, ROWS = 32, 4
THRESHOLD = 0.5
WINDOW_MS = 7 * 24 * 3600 * 1000  # stories older than this (event time) are not extended
MAX_BUCKET = 50  # newest members of a band compared; a boilerplate band costs no more than this
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
    """The articles' mapping (a dict, or a Faust table)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def __setitem__(self, key: str, value: Any) -> None: ...
    def __delitem__(self, key: str) -> None: ...
    def items(self) -> Any: ...


class BandIndex:
    """LSH band key → the ids of the indexed articles whose signature has that band.

    Derived from the articles' signatures and nothing else, so it is not stored:
    one changelog write per article instead of one per band (32), which was most
    of the story stage's cost (README: Performance). ``rebuild`` makes it again
    from the articles after a recovery; it then equals the index kept up to date
    article by article, because both hold every indexed article under the bands
    of its current signature, in the order the articles were last (re)indexed
    (``seq`` in each article's entry).
    """

    def __init__(self) -> None:
        self._bands: dict[str, dict[str, None]] = {}  # insertion-ordered sets
        self._next_seq = 0

    def add(self, article_id: str, keys: Iterable[str]) -> int:
        """Index the article under ``keys`` as the newest member; return its ``seq``."""
        self._insert(article_id, keys)
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def remove(self, article_id: str, keys: Iterable[str]) -> None:
        for key in keys:
            members = self._bands.get(key)
            if members is not None:
                members.pop(article_id, None)
                if not members:
                    del self._bands[key]

    def newest(self, key: str, n: int = MAX_BUCKET) -> Iterator[str]:
        """The ``n`` most recently indexed members of a band, newest first."""
        members = self._bands.get(key)
        return islice(reversed(members), n) if members else iter(())

    def rebuild(self, articles: Iterable[tuple[str, Any]]) -> int:
        """Index every article of the store again, oldest ``seq`` first; return how many."""
        self._bands.clear()
        # Entries written before ``seq`` existed sort first, in the store's order.
        ordered = sorted(
            ((entry.get("seq", -1), aid, entry) for aid, entry in articles if entry),
            key=lambda t: t[0],
        )
        for _, aid, entry in ordered:
            self._insert(aid, band_keys(decode_signature(entry["sig"])))
        self._next_seq = max((seq for seq, _, _ in ordered), default=-1) + 1
        return len(ordered)

    def snapshot(self) -> dict[str, list[str]]:
        """Every band's members, oldest first (for tests and diagnostics)."""
        return {key: list(members) for key, members in self._bands.items()}

    def _insert(self, article_id: str, keys: Iterable[str]) -> None:
        for key in keys:
            members = self._bands.setdefault(key, {})
            members.pop(article_id, None)  # re-indexed: it becomes the newest
            members[article_id] = None


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
    index: BandIndex,
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
        # The correction is indexed under its new signature's bands only.
        index.remove(article_id, band_keys(decode_signature(known["sig"])))
        seq = index.add(article_id, band_keys(sig))
        articles[article_id] = {
            **known,
            "h": digest,
            "v": known["v"] + 1,
            "sig": encode_signature(sig),
            "seq": seq,
        }
        return StoryAssignment(**known["assignment"], version=known["v"] + 1)

    keys = band_keys(sig)
    candidates: list[tuple[float, str, str]] = []
    seen: set[str] = set()
    for key in keys:
        for other in index.newest(key):
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
        "seq": index.add(article_id, keys),
        "assignment": {
            "story_id": assignment.story_id,
            "new_story": assignment.new_story,
            "matched_article": assignment.matched_article,
            "similarity": assignment.similarity,
        },
    }
    return assignment


def content_hash(text: str) -> str:
    """Identifies the exact text: equal for a re-delivery, different for any edit."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def expired(articles: StoryStore, watermark_ms: int, limit: int | None = None) -> list[str]:
    """Articles whose event time is more than the window behind ``watermark_ms``,
    oldest first, at most ``limit`` of them.

    No later article can join their story (``assign_story`` ignores them), so they
    only cost memory: the index stays bounded by the window, not by history.
    """
    old = [
        (entry["t"], aid)
        for aid, entry in list(articles.items())
        if entry and entry.get("t") is not None and watermark_ms - entry["t"] > WINDOW_MS
    ]
    old.sort()
    return [aid for _, aid in old[:limit]]


def forget(article_id: str, articles: StoryStore, index: BandIndex) -> None:
    """Remove an article from the articles and from the index."""
    entry = articles.get(article_id)
    if entry is None:
        return
    index.remove(article_id, band_keys(decode_signature(entry["sig"])))
    del articles[article_id]
