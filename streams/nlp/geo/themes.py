"""Issue/theme phrase matching for ``ww_topics`` (data: ``data/issues.json``).

The table comes from the Phoenix issue coding of openeventdata/petrarch2 (English,
expanded by ``build_issues.py``) plus French phrases written for Wirewatch. Phoenix's own
semantics are kept: "~phrase" cancels an overlapping match of the same category ("olive
oil" is not OIL) and "~~phrase" anywhere in the article silences the category ("oil" and
"OPEC" make "cartel" not a drug cartel).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from . import WORD_RE, fold

POSITIVE, NEGATIVE, DISCARD = 1, 2, 3
CASE_ANY, CASE_NOT_LOWER, CASE_UPPER = 0, 1, 2


def theme_word(word: str, stem: bool) -> str:
    """Folded word; with ``stem`` (French) also without its plural ending."""
    w = fold(word)
    if stem and len(w) > 3:
        if w.endswith("aux"):
            return w[:-3] + "al"
        if w[-1] in "sx" and not w.endswith("ss"):
            return w[:-1]
    return w


def phrase_key(phrase: str, stem: bool) -> str:
    return " ".join(theme_word(w, stem) for w in WORD_RE.findall(phrase))


@dataclass(frozen=True, slots=True)
class ThemeHit:
    start: int
    end: int
    code: str
    category: str


class IssueMatcher:
    """All phrase matches of one language's table in a text (dict probe per n-gram)."""

    def __init__(self, table: dict[str, Any], categories: dict[str, str]) -> None:
        self.stem: bool = table["stem"]
        self.categories = categories
        self._phrases: dict[str, list[tuple[str, int, int]]] = {
            key: [(code, kind, case) for code, kind, case in entries]
            for key, entries in table["phrases"].items()
        }
        self._lengths: dict[str, tuple[int, ...]] = {}
        lengths: dict[str, set[int]] = {}
        for key in self._phrases:
            lengths.setdefault(key.split(" ", 1)[0], set()).add(key.count(" ") + 1)
        self._lengths = {w: tuple(sorted(ls, reverse=True)) for w, ls in lengths.items()}

    def find(self, text: str) -> list[ThemeHit]:
        words = [
            (m.start(), m.end(), theme_word(m.group(), self.stem)) for m in WORD_RE.finditer(text)
        ]
        positives: list[ThemeHit] = []
        negatives: list[ThemeHit] = []
        discarded: set[str] = set()
        n = len(words)
        for i, (start, _, word) in enumerate(words):
            for length in self._lengths.get(word, ()):
                if i + length > n:
                    continue
                entries = self._phrases.get(" ".join(w[2] for w in words[i : i + length]))
                if not entries:
                    continue
                end = words[i + length - 1][1]
                surface = text[start:end]
                for code, kind, case in entries:
                    if case == CASE_UPPER and not surface.isupper():
                        continue
                    if case == CASE_NOT_LOWER and surface.islower():
                        continue
                    if kind == DISCARD:
                        discarded.add(code)
                    hit = ThemeHit(start, end, code, self.categories.get(code, code))
                    (positives if kind == POSITIVE else negatives).append(hit)
        # A negative or discard names a Phoenix category (English) or one code (French).
        kept: list[ThemeHit] = []
        for hit in positives:
            if hit.category in discarded or hit.code in discarded:
                continue
            if any(
                g.code in (hit.code, hit.category) and g.start < hit.end and hit.start < g.end
                for g in negatives
            ):
                continue
            kept.append(hit)
        return _longest_per_code(kept)


def _longest_per_code(hits: list[ThemeHit]) -> list[ThemeHit]:
    """Drop a hit inside a longer hit of the same code ("nuclear weapon" in "nuclear weapons")."""
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    out: list[ThemeHit] = []
    for hit in hits:
        if any(o.code == hit.code and o.start <= hit.start and hit.end <= o.end for o in out):
            continue
        out.append(hit)
    return out


class IssueTable:
    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["version"]
        self.sources: dict[str, str] = data["sources"]
        self.categories: dict[str, str] = data["categories"]
        self._languages: dict[str, dict[str, Any]] = data["languages"]
        self._matchers: dict[str, IssueMatcher] = {}

    def matcher(self, lang: str) -> IssueMatcher:
        lang = lang if lang in self._languages else "en"
        if lang not in self._matchers:
            self._matchers[lang] = IssueMatcher(self._languages[lang], self.categories)
        return self._matchers[lang]


@lru_cache(maxsize=1)
def load_issue_table() -> IssueTable:
    raw = resources.files(__package__).joinpath("data", "issues.json").read_bytes()
    return IssueTable(json.loads(raw))
