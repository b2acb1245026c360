"""The benchmark corpus: realistic, varied, deterministic articles built from real text.

Repeating the ten sample articles verbatim would flatter every cache (same lengths,
same entities, one story) and would make story clustering and alerting see one
article a thousand times. So each generated article takes a real article's lead,
is cut or extended with other paragraphs *of the same language* to a length drawn
from a long-tailed distribution, and gets its own id, outlet and publication time.
The same seed always yields the same articles, so the bare-spaCy ceiling and the
workers see identical texts.
"""

from __future__ import annotations

import itertools
import random
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from streams.demo import SAMPLE_STREAM
from streams.ingest import read_articles

SHARED_SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "samples"

OUTLETS: tuple[str, ...] = (
    "AFP",
    "Reuters",
    "AP",
    "Le Monde",
    "Le Figaro",
    "Libération",
    "La Presse",
    "Le Devoir",
    "Radio-Canada",
    "RFI",
    "France 24",
    "Ouest-France",
    "Le Temps",
    "La Libre Belgique",
    "Le Soir",
    "BBC",
    "The Guardian",
    "The Times",
    "Al Jazeera",
    "Deutsche Welle",
    "The New York Times",
    "The Washington Post",
    "CBC",
    "ABC News",
    "Sky News",
    "Euronews",
    "The Independent",
    "Bloomberg",
    "Financial Times",
    "NPR",
)

# Event time of the first phase; each phase starts PHASE_GAP later so its stories are
# new (story clustering links articles within 7 days of event time) and its alerts fire.
EPOCH = datetime(2024, 1, 1, 6, 0, tzinfo=UTC)
PHASE_GAP = timedelta(days=10)
SPACING_S = 30.0  # event time between consecutive articles of a phase (≈ 2,900 a day)
# The soak's event time runs faster, so that the longest retention in the worker's state
# (9 days of 1-hour mention windows: 3,240 articles; 7 days of stories and alert state)
# is reached within the first quarter of a 30-minute soak (~16 k articles here): the
# second half, which decides whether RSS levels off, must see evicted state stop
# growing, not still filling up to its bound (at 90 s it was full only mid-soak).
SOAK_SPACING_S = 240.0
FR_SHARE = 0.5


@dataclass(frozen=True)
class BaseArticle:
    """A real article the generator starts from."""

    language: str  # "fr" or "en" (what the text is written in)
    declared: str | None  # the "language" field as published (None: detected by Wirewatch)
    title: str | None
    paragraphs: tuple[str, ...]
    origin: str  # where it came from, for the report


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"\n\s*\n", text) if p.strip())


def _sample_stream_bases() -> list[BaseArticle]:
    bases = []
    for art in read_articles([SAMPLE_STREAM]):
        lang = art.get("language") or ("fr" if str(art["id"]).endswith("-fr") else "en")
        bases.append(
            BaseArticle(
                lang,
                art.get("language"),
                art.get("title"),
                _paragraphs(art["text"]),
                f"sample-stream:{art['id']}",
            )
        )
    return bases


def _gigaword_bases(path: Path) -> list[BaseArticle]:
    """AFP sentences grouped by story id (``AFP0808020625_4`` → story ``AFP0808020625``)."""
    xml = path.read_text(encoding="utf-8", errors="replace")
    stories: dict[str, list[str]] = {}
    pattern = r'<Sentence[^>]*id\s*=\s*"([^"_]+)_\d+"[^>]*>\s*<Text>(.*?)</Text>'
    for story, text in re.findall(pattern, xml, flags=re.S):
        stories.setdefault(story, []).append(" ".join(text.split()))
    return [
        BaseArticle("en", None, None, tuple(sentences), f"gigaword:{story}")
        for story, sentences in stories.items()
    ]


def load_bases(shared: Path | None = SHARED_SAMPLES) -> list[BaseArticle]:
    """The sample stream, plus ../shared/corpora/samples when that folder exists."""
    bases = _sample_stream_bases()
    if shared is not None and shared.is_dir():
        for txt in sorted(shared.glob("*.fr.txt")):
            text = txt.read_text(encoding="utf-8")
            bases.append(BaseArticle("fr", "fr", None, _paragraphs(text), f"shared:{txt.name}"))
        for xml in sorted(shared.glob("*.xml")):
            bases.extend(_gigaword_bases(xml))
    return bases


def _target_chars(rng: random.Random) -> int:
    """Long-tailed, like a wire feed: many briefs, a body of ~2 k, a few long reads."""
    return int(min(12_000, max(250, rng.lognormvariate(7.4, 0.75))))  # median ≈ 1,650


class Corpus:
    """Generates articles for named phases; article ``i`` of a phase is always the same."""

    def __init__(self, seed: int = 7, run_id: str = "r", shared: Path | None = SHARED_SAMPLES):
        self.seed = seed
        self.run_id = run_id
        self.bases = load_bases(shared)
        self.by_language = {
            lang: [b for b in self.bases if b.language == lang] for lang in ("fr", "en")
        }
        self.pool = {
            lang: [p for b in group for p in b.paragraphs]
            for lang, group in self.by_language.items()
        }
        self.shared_used = any(b.origin.startswith(("shared:", "gigaword:")) for b in self.bases)

    def article(
        self,
        phase: str,
        phase_index: int,
        i: int,
        texts: str | None = None,
        spacing_s: float = SPACING_S,
    ) -> dict[str, Any]:
        """Article ``i`` of ``phase``; ``texts`` names another phase whose texts to reuse.

        Ids and event times always belong to ``phase``; the draw (language, base,
        length, outlet) comes from ``texts`` or ``phase``, so two phases can measure
        the very same texts under different ids.
        """
        rng = random.Random(f"{self.seed}/{texts or phase}/{i}")
        lang = "fr" if rng.random() < FR_SHARE else "en"
        base = rng.choice(self.by_language[lang])
        target = _target_chars(rng)
        paragraphs = [base.paragraphs[0]]
        rest = list(base.paragraphs[1:])
        while sum(len(p) + 2 for p in paragraphs) < target:
            if rest:
                paragraphs.append(rest.pop(0))
            else:  # extend with paragraphs of other articles in the same language
                paragraphs.append(rng.choice(self.pool[lang]))
        if len(paragraphs) > 1 and sum(len(p) + 2 for p in paragraphs) > target * 1.5:
            paragraphs.pop()
        outlet = rng.choice(OUTLETS)
        published = (
            EPOCH
            + PHASE_GAP * phase_index
            + timedelta(seconds=i * spacing_s + rng.uniform(-3600, 3600))
        )
        article_id = f"b{self.run_id}.{phase}.{i:07d}"
        slug = re.sub(r"[^a-z0-9]+", "-", outlet.lower()).strip("-")
        article: dict[str, Any] = {
            "id": article_id,
            "source": outlet,
            "url": f"https://example.org/{slug}/{article_id}",
            "title": base.title,
            "published_at": published.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "text": "\n\n".join(paragraphs),
        }
        if base.declared:
            article["language"] = base.declared
        return article

    def articles(
        self, phase: str, phase_index: int, count: int, texts: str | None = None
    ) -> list[dict[str, Any]]:
        return [self.article(phase, phase_index, i, texts) for i in range(count)]

    def stream(
        self, phase: str, phase_index: int, spacing_s: float = SOAK_SPACING_S
    ) -> Iterator[dict[str, Any]]:
        i = 0
        while True:
            yield self.article(phase, phase_index, i, spacing_s=spacing_s)
            i += 1

    def fixed_size_messages(self, count: int, size: int = 5000) -> list[bytes]:
        """``count`` raw-article messages of ``size`` bytes each (for the transport test)."""
        out: list[bytes] = []
        for i in range(count):
            article = self.article("transport", 0, i)
            article["text"] = _fill(article["text"], self.pool["fr"] + self.pool["en"], i)
            out.append(_fit(article, size))
        return out

    def describe(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "bases": len(self.bases),
            "base_origins": sorted({b.origin.split(":")[0] for b in self.bases}),
            "shared_corpora_used": self.shared_used,
            "fr_share": FR_SHARE,
        }


def _fill(text: str, pool: list[str], i: int) -> str:
    k = i
    while len(text.encode()) < 6000:
        text += "\n\n" + pool[k % len(pool)]
        k += 7
    return text


def _fit(article: dict[str, Any], size: int) -> bytes:
    """Trim the text until the JSON message is exactly ``size`` bytes (or just under)."""
    data = orjson.dumps(article)
    while len(data) > size:
        excess = len(data) - size
        article["text"] = article["text"][: -max(1, excess // 2)]
        data = orjson.dumps(article)
    return data


def length_distribution(articles: list[dict[str, Any]]) -> dict[str, Any]:
    """What the report says about the corpus: lengths, languages, outlets."""
    chars = sorted(len(a["text"]) for a in articles)
    sizes = [len(orjson.dumps(a)) for a in articles]

    def pct(p: float) -> int:
        return chars[min(len(chars) - 1, int(p * len(chars)))]

    words = [len(a["text"].split()) for a in articles]
    return {
        "articles": len(articles),
        "chars": {
            "min": chars[0],
            "p10": pct(0.10),
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "max": chars[-1],
            "mean": round(statistics.fmean(chars)),
        },
        "words_mean": round(statistics.fmean(words)),
        "message_bytes_mean": round(statistics.fmean(sizes)),
        "histogram_chars": _histogram(chars),
        "declared_language": dict(Counter(a.get("language") or "none" for a in articles)),
        "outlets": len({a["source"] for a in articles}),
    }


def _histogram(values: list[int]) -> dict[str, int]:
    edges = [0, 500, 1000, 2000, 4000, 8000, 10**9]
    out: dict[str, int] = {}
    for lo, hi in itertools.pairwise(edges):
        label = f"{lo}-{hi}" if hi < 10**9 else f"{lo}+"
        out[label] = sum(lo <= v < hi for v in values)
    return out
