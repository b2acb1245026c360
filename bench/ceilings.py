"""The NLP ceiling: bare ``nlp.pipe`` with the worker's own pipelines on the same texts.

"Identical" is taken literally: the pipelines are the ones the enrich agent builds
(``streams.agents.enrich.build_enricher`` → ``Enricher`` → ``build_nlp`` from
``pipelines.toml``: same models, same pipes, same Wirewatch components), each text
is routed to the language the worker's detector picks (decided before the clock
starts), and the Doc is made the way ``Enricher`` makes it (normalised text and the
``user_data`` components read), inside the timed region as ``nlp.pipe(texts)`` would
tokenise inside it. Nothing else is timed: no JSON, no language id, no export.

Beside the ceiling, the same texts go through ``Enricher.enrich_batch`` in batches of
the worker's ``batch_size`` (the whole per-article work of a worker minus Kafka and
Faust), and a per-step breakdown says where the time goes inside and around spaCy.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from streams.agents.enrich import build_enricher
from streams.config import Settings
from streams.nlp.clustering import content_hash, signature
from streams.nlp.pipeline import Enricher, _make_doc
from streams.records import RawArticle, SourceRef, decode_raw


@dataclass
class Prepared:
    """The corpus as the worker would see it, decoded and routed, outside any clock."""

    messages: list[tuple[bytes, SourceRef]]
    raws: list[RawArticle]
    languages: list[str]

    def groups(self, enricher: Enricher) -> dict[str, list[RawArticle]]:
        out: dict[str, list[RawArticle]] = {}
        for raw, lang in zip(self.raws, self.languages, strict=True):
            if lang in enricher.nlps:
                out.setdefault(lang, []).append(raw)
        return out


def load_enricher(settings: Settings) -> Enricher:
    return build_enricher(settings)


def prepare(enricher: Enricher, articles: list[dict[str, Any]], topic: str) -> Prepared:
    messages = [
        (orjson.dumps(a), SourceRef(topic=topic, partition=0, offset=i, timestamp_ms=None))
        for i, a in enumerate(articles)
    ]
    raws = []
    for value, ref in messages:
        raw = decode_raw(value, ref, enricher.limits)
        if not isinstance(raw, RawArticle):
            raise ValueError(f"benchmark article rejected: {raw.reason}: {raw.message}")
        raws.append(raw)
    languages = [enricher.detector.detect(r.text, r.title, r.language).language for r in raws]
    return Prepared(messages, raws, languages)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _pipe_through(
    nlp: Any, raws: list[RawArticle], batch_size: int | None, failures: list[dict]
) -> None:
    """``nlp.pipe`` over ``raws``; an article a component crashes on is skipped, not fatal.

    A crash (a bug in a component: the worker dead-letters that article) aborts
    ``nlp.pipe`` mid-batch, so the batch it was in is redone one Doc at a time to
    find the culprit, and piping resumes after it. Failures are reported.
    """
    size = batch_size or nlp.batch_size
    i = 0
    while i < len(raws):
        try:
            for _ in nlp.pipe((_make_doc(nlp, r) for r in raws[i:]), batch_size=size):
                i += 1
        except Exception:
            for raw in raws[i : i + size]:
                try:
                    nlp(_make_doc(nlp, raw))
                except Exception as exc:
                    failures.append({"id": raw.id, "error": f"{type(exc).__name__}: {exc}"})
            i += size


def bare_pipe(enricher: Enricher, prepared: Prepared, batch_size: int | None = None) -> dict:
    """articles/s of ``nlp.pipe`` alone (each language's texts in one stream)."""
    failures: list[dict] = []
    wall0, cpu0 = _clock()
    for lang, raws in prepared.groups(enricher).items():
        _pipe_through(enricher.nlps[lang], raws, batch_size, failures)
    wall1, cpu1 = _clock()
    n = len(prepared.raws)
    return _rates(
        n,
        wall1 - wall0,
        cpu1 - cpu0,
        batch_size=batch_size or "model default",
        component_failures=len(failures),
        failures=failures[:5],
    )


def bare_pipe_agent_batches(enricher: Enricher, prepared: Prepared, batch_size: int) -> dict:
    """``nlp.pipe`` fed the way the agent feeds it: per batch, per language in the batch."""
    failures: list[dict] = []
    wall0, cpu0 = _clock()
    raws, langs = prepared.raws, prepared.languages
    for start in range(0, len(raws), batch_size):
        chunk = list(
            zip(raws[start : start + batch_size], langs[start : start + batch_size], strict=True)
        )
        for lang, nlp in enricher.nlps.items():
            docs = [r for r, g in chunk if g == lang]
            if docs:
                _pipe_through(nlp, docs, len(docs), failures)
    wall1, cpu1 = _clock()
    return _rates(
        len(raws),
        wall1 - wall0,
        cpu1 - cpu0,
        batch_size=batch_size,
        component_failures=len(failures),
    )


def offline_enricher(enricher: Enricher, prepared: Prepared, batch_size: int) -> dict:
    """``Enricher.enrich_batch`` over the raw messages in the worker's batch size."""
    wall0, cpu0 = _clock()
    enriched = 0
    msgs = prepared.messages
    for start in range(0, len(msgs), batch_size):
        enriched += len(enricher.enrich_batch(msgs[start : start + batch_size]).enriched)
    wall1, cpu1 = _clock()
    return {
        **_rates(len(msgs), wall1 - wall0, cpu1 - cpu0, batch_size=batch_size),
        "enriched": enriched,
    }


def _rates(n: int, wall: float, cpu: float, **extra: Any) -> dict:
    return {
        "articles": n,
        "seconds": round(wall, 3),
        "cpu_seconds": round(cpu, 3),
        "articles_per_s": n / max(wall, 1e-9),
        "articles_per_cpu_s": n / max(cpu, 1e-9),
        **extra,
    }


def breakdown(enricher: Enricher, prepared: Prepared) -> dict[str, Any]:
    """CPU seconds per step for the whole corpus: each pipe run alone over materialised Docs.

    Running pipes one after another (not interleaved by ``nlp.pipe``) attributes time
    exactly; the total is a little above ``nlp.pipe``'s (no overlap is possible anyway:
    spaCy runs on one core). CPU time, not wall time, so a busy neighbour does not
    distort the shares.
    """
    steps: Counter[str] = Counter()
    t = time.process_time()
    for value, ref in prepared.messages:
        decode_raw(value, ref, enricher.limits)
    steps["decode+validate"] += time.process_time() - t
    t = time.process_time()
    guesses = [enricher.detector.detect(r.text, r.title, r.language) for r in prepared.raws]
    steps["language id"] += time.process_time() - t
    docs_by_index: dict[int, Any] = {}
    for lang, nlp in enricher.nlps.items():
        idx = [i for i, g in enumerate(prepared.languages) if g == lang]
        if not idx:
            continue
        t = time.process_time()
        pairs = [(i, _make_doc(nlp, prepared.raws[i])) for i in idx]
        steps["normalise+tokenise"] += time.process_time() - t
        for name, proc in nlp.pipeline:
            t = time.process_time()
            try:
                if hasattr(proc, "pipe"):
                    docs = list(proc.pipe([d for _, d in pairs], batch_size=nlp.batch_size))
                else:
                    docs = [proc(d) for _, d in pairs]
                pairs = list(zip([i for i, _ in pairs], docs, strict=True))
            except Exception:  # a component bug: go one by one, drop what crashes
                pairs = [(i, out) for i, d in pairs if (out := _apply(proc, d)) is not None]
            steps[f"{lang}:{name}"] += time.process_time() - t
        docs_by_index.update(pairs)
    t = time.process_time()
    records = []
    for i, doc in docs_by_index.items():
        with contextlib.suppress(Exception):
            records.append(enricher.to_record(prepared.raws[i], guesses[i], doc))
    steps["to_record (export)"] += time.process_time() - t
    t = time.process_time()
    for r in prepared.raws:
        signature(r.text)
        content_hash(r.text)
    steps["minhash+digest"] += time.process_time() - t
    t = time.process_time()
    for rec in records:
        orjson.dumps(rec)
    steps["orjson encode"] += time.process_time() - t
    total = sum(steps.values())
    return {
        "seconds": {k: round(v, 4) for k, v in steps.most_common()},
        "share": {k: round(v / total, 4) for k, v in steps.most_common()},
        "total_seconds": round(total, 3),
    }


def _apply(proc: Any, doc: Any) -> Any:
    try:
        return proc(doc)
    except Exception:
        return None


def profile_enricher(enricher: Enricher, prepared: Prepared, batch_size: int, top: int = 25):
    """cProfile of ``enrich_batch`` over the corpus: the top functions by own time."""
    prof = cProfile.Profile()
    msgs = prepared.messages
    prof.enable()
    for start in range(0, len(msgs), batch_size):
        enricher.enrich_batch(msgs[start : start + batch_size])
    prof.disable()
    return prof, top_functions(pstats.Stats(prof), top)


def top_functions(stats: pstats.Stats, top: int = 25) -> list[dict[str, Any]]:
    """The ``top`` functions by internal time, with cumulative time, as plain dicts."""
    rows = []
    for (path, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{_short(path)}:{line}({func})",
                "calls": nc,
                "own_s": round(tt, 4),
                "cum_s": round(ct, 4),
            }
        )
    rows.sort(key=lambda r: r["own_s"], reverse=True)
    return rows[:top]


def _short(path: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def stats_text(stats: pstats.Stats, sort: str = "cumulative", limit: int = 40) -> str:
    buf = io.StringIO()
    stats.stream = buf  # type: ignore[attr-defined]
    stats.sort_stats(sort).print_stats(limit)
    return buf.getvalue()


def language_counts(prepared: Prepared) -> dict[str, int]:
    return dict(Counter(prepared.languages))
