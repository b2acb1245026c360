"""``wirewatch bench``: every figure of issue 7 in one run, as ratios taken in that run.

The machines this runs on are shared and noisy, so an absolute articles/s means
little from one run to the next; a ratio of two rates measured minutes apart on the
same machine means a lot more. Each figure therefore comes with its ceiling from the
same run (and, where it helps, a CPU-time version that another process stealing the
cores cannot move much). The NLP ceiling is measured at the start, right before and
after each throughput phase (the ratios divide by these), and again at the end; the
spread between readings is the run's own noise estimate.

Order: corpus → NLP ceiling → broker → transport → workers (1 worker: throughput,
latency; 2 workers: throughput; a fresh worker: soak) → NLP ceiling again →
results.json, results.md, plot.png.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import pstats
import sys
import time
import traceback
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streams.config import Settings

from . import ceilings, machine, report
from .cluster import bench_cluster, delete_topics
from .corpus import Corpus, length_distribution
from .enrichment import TP_TEXTS, WorkerBench, WorkerOptions
from .transport import run_transport

log = logging.getLogger(__name__)

RESULTS = Path(__file__).resolve().parent / "results"

# Figures every complete run has; the smoke test checks each is present and positive.
REQUIRED_FIGURES = (
    "enrichment_efficiency",
    "enrichment_efficiency_cpu",
    "worker_1_articles_per_s",
    "worker_2_articles_per_s",
    "spacy_articles_per_s",
    "offline_enricher_articles_per_s",
    "transport_efficiency",
    "transport_messages_per_s",
    "transport_bare_messages_per_s",
    "transport_consume_only_messages_per_s",
    "scaling_2_workers",
    "latency_enriched_p50_ms",
    "latency_enriched_p95_ms",
    "latency_enriched_p99_ms",
    "soak_articles",
    "soak_articles_per_s",
    "soak_rss_start_mb",
    "soak_rss_end_mb",
)


@dataclass
class BenchOptions:
    """How big each part is. Defaults: a moderate run of a few minutes."""

    articles: int = 600  # per throughput run, and the NLP ceiling's corpus
    transport_messages: int = 20_000
    message_bytes: int = 5000
    latency_seconds: float = 30.0
    latency_load: float = 0.5
    settle_limit_s: float = 60.0  # most wait for worker-1 to fall idle before latency
    soak_seconds: float = 120.0
    soak_articles: int | None = None
    warmup: int = 32
    rss_interval: float = 2.0
    alert_grace: float = 5.0
    idle_timeout: float = 120.0
    seed: int = 7
    out: Path | None = None
    profile: bool = False
    progress: bool = True
    shared_corpora: Path | None = field(default=None)

    @classmethod
    def quick(cls, **overrides: Any) -> BenchOptions:
        """A smoke-sized run: every figure, tiny inputs, two minutes or so (meaningless numbers)."""
        base = cls(
            articles=24,
            transport_messages=2000,
            latency_seconds=5.0,
            settle_limit_s=10.0,
            soak_seconds=10.0,
            warmup=4,
            rss_interval=1.0,
            alert_grace=1.0,
            idle_timeout=90.0,
        )
        return replace(base, **overrides)


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def measure_ceiling(
    enricher: ceilings.Enricher,
    prepared: ceilings.Prepared,
    batch_size: int,
    *,
    agent_batches: bool = False,
    offline: bool = False,
) -> dict[str, Any]:
    """Bare nlp.pipe; with ``agent_batches`` also fed as the agent feeds it, with
    ``offline`` also through the offline Enricher."""
    ceilings.bare_pipe(
        enricher, replace(prepared, raws=prepared.raws[:8], languages=prepared.languages[:8])
    )
    out = {"bare_pipe": ceilings.bare_pipe(enricher, prepared)}
    if agent_batches:
        out["bare_pipe_agent_batches"] = ceilings.bare_pipe_agent_batches(
            enricher, prepared, batch_size
        )
    if offline:
        out["offline_enricher"] = ceilings.offline_enricher(enricher, prepared, batch_size)
    return out


def run_bench(settings: Settings, opts: BenchOptions, start_broker: bool) -> tuple[dict, Path]:
    """Run everything; return the result and the folder holding its three files.

    Raises ``RuntimeError`` after writing whatever was measured when a part failed.
    """
    started = datetime.now(UTC)
    run_id = uuid.uuid4().hex[:6]
    out_dir = opts.out or RESULTS / started.strftime("%Y%m%d-%H%M%S")
    logs = out_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    corpus = Corpus(
        opts.seed, run_id, **({"shared": opts.shared_corpora} if opts.shared_corpora else {})
    )
    tp_articles = corpus.articles(TP_TEXTS, 1, opts.articles)
    result: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "run_id": run_id,
        "machine": machine.describe(),
        "load_average_start": machine.load_average(),
        "config": {
            **{k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(opts).items()},
            "batch_size": settings.batch_size,
            "partitions": settings.partitions,
            "nlp_matmul": settings.nlp_matmul,
            "producer_linger_ms": settings.producer_linger_ms,
            "cluster": "external" if not start_broker else "own broker (temporary)",
        },
        "corpus": {**corpus.describe(), **length_distribution(tp_articles)},
        "errors": [],
    }
    if opts.profile:
        result["config"]["note"] = "profiled run: worker timings include cProfile overhead"
    clock = time.perf_counter()

    _say(f"• NLP ceiling: loading the worker's pipelines, {len(tp_articles)} articles…")
    enricher = ceilings.load_enricher(settings)
    prepared = ceilings.prepare(enricher, tp_articles, settings.topic("raw-articles"))
    result["corpus"]["languages"] = ceilings.language_counts(prepared)
    result["pipelines"] = {lang: list(nlp.pipe_names) for lang, nlp in enricher.nlps.items()}
    ceiling: dict[str, Any] = {
        "start": measure_ceiling(
            enricher, prepared, settings.batch_size, agent_batches=True, offline=True
        )
    }
    ceiling["breakdown"] = ceilings.breakdown(enricher, prepared)
    if opts.profile:
        prof, top = ceilings.profile_enricher(enricher, prepared, settings.batch_size)
        prof.dump_stats(out_dir / "enricher.prof")
        result.setdefault("profile", {})["offline_enricher"] = top
    result["ceiling"] = ceiling
    parts = result["part_seconds"] = {"nlp ceiling (start)": round(time.perf_counter() - clock, 1)}
    _say(f"  bare nlp.pipe {ceiling['start']['bare_pipe']['articles_per_s']:.1f} art/s")

    mark = time.perf_counter()
    try:
        with bench_cluster(settings, start_broker) as cluster:
            parts["broker"] = round(time.perf_counter() - mark, 1)
            mark = time.perf_counter()
            _say(
                f"• Kafka at {cluster.settings.bootstrap}"
                f"{' (started for this run)' if cluster.started else ''}"
            )
            try:
                _say(
                    f"• transport: {opts.transport_messages} messages of "
                    f"{opts.message_bytes} bytes…"
                )
                messages = corpus.fixed_size_messages(opts.transport_messages, opts.message_bytes)
                result["transport"] = asyncio.run(
                    run_transport(
                        cluster.settings,
                        messages,
                        run_id,
                        logs,
                        cluster.broker_pid,
                        opts.idle_timeout,
                        opts.progress,
                    )
                )
                del messages
            except Exception as exc:
                _fail(result, "transport", exc)
            parts["transport"] = round(time.perf_counter() - mark, 1)
            mark = time.perf_counter()
            _say("• workers: throughput (1 worker), latency, scaling (2 workers), soak…")
            wopts = WorkerOptions(
                articles=opts.articles,
                warmup=opts.warmup,
                latency_seconds=opts.latency_seconds,
                latency_load=opts.latency_load,
                settle_limit_s=opts.settle_limit_s,
                soak_seconds=opts.soak_seconds,
                soak_articles=opts.soak_articles,
                rss_interval=opts.rss_interval,
                idle_timeout=opts.idle_timeout,
                alert_grace=opts.alert_grace,
                profile_dir=(out_dir / "profiles") if opts.profile else None,
                progress=opts.progress,
            )
            bench = WorkerBench(
                cluster.settings,
                corpus,
                wopts,
                logs,
                run_id,
                ceiling=lambda batches: measure_ceiling(
                    enricher, prepared, settings.batch_size, agent_batches=batches
                ),
            )
            try:
                asyncio.run(bench.run())
            except Exception as exc:
                _fail(result, "workers", exc)
            result["workers"] = _worker_json(bench.result)
            parts["workers"] = round(time.perf_counter() - mark, 1)
            if not cluster.started:
                delete_topics(cluster.settings, f"b{run_id}")
    except Exception as exc:  # the broker itself
        _fail(result, "broker", exc)

    _say("• NLP ceiling again (the run's drift)…")
    gc.collect()
    mark = time.perf_counter()
    ceiling["end"] = measure_ceiling(enricher, prepared, settings.batch_size)
    parts["nlp ceiling (end)"] = round(time.perf_counter() - mark, 1)
    result["load_average_end"] = machine.load_average()
    result["seconds"] = round(time.perf_counter() - clock, 1)
    if opts.profile:
        result.setdefault("profile", {}).update(_worker_profiles(out_dir / "profiles"))
    result["figures"] = figures(result)
    report.write_json(result, out_dir / "results.json")
    (out_dir / "results.md").write_text(report.markdown(result))
    if not report.plot(result, out_dir / "plot.png"):
        _say("  (no plot.png: matplotlib is not installed — pip install -e '.[bench]')")
    if result["errors"]:
        raise RuntimeError(
            f"benchmark incomplete ({', '.join(e['part'] for e in result['errors'])}); "
            f"partial results in {out_dir}:\n" + "\n".join(e["message"] for e in result["errors"])
        )
    return result, out_dir


def _fail(result: dict[str, Any], part: str, exc: Exception) -> None:
    log.debug("bench part %s failed", part, exc_info=True)
    _say(f"✗ {part} failed: {exc}")
    result["errors"].append(
        {
            "part": part,
            "message": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=8),
        }
    )


def _worker_json(run: Any) -> dict[str, Any]:
    return {
        "start_up_s": run.start_up_s,
        "throughput_1": run.throughput_1,
        "throughput_2": run.throughput_2,
        "latency": run.latency,
        "soak": run.soak,
        "warnings": run.warnings,
        "step_seconds": run.step_seconds,
        "ceiling_around": run.ceiling_around,
        "rss_samples": [
            (round(s.t, 2), s.worker, s.rss_mb and round(s.rss_mb, 1), s.cpu_s) for s in run.samples
        ],
    }


def _worker_profiles(folder: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in sorted(folder.glob("*.prof")):
        try:
            out[path.stem] = ceilings.top_functions(pstats.Stats(str(path)), 30)
        except (OSError, TypeError, EOFError) as exc:
            out[path.stem] = f"unreadable: {exc}"
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a and b else None


def _mean(readings: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in readings]
    return sum(values) / len(values) if values else None


def _drift(readings: list[dict[str, Any]]) -> float | None:
    """First reading ÷ second, when there are both."""
    return _ratio(*(r["articles_per_s"] for r in readings)) if len(readings) == 2 else None


def _readings(where: dict[str, Any], keys: tuple[str, ...], kind: str) -> list[dict[str, Any]]:
    return [r for k in keys if (r := where.get(k, {}).get(kind))]


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers, flat: what the table shows and the smoke test checks."""
    ceiling = result.get("ceiling", {})
    t = result.get("transport", {})
    w = result.get("workers", {})
    runs = _readings(ceiling, ("start", "end"), "bare_pipe")
    # The efficiency's denominator: the readings taken around the worker's phase when
    # there are any (the machine's speed drifts by tens of percent within a run),
    # else those at the run's start and end.
    around_at = w.get("ceiling_around", {})
    around = _readings(around_at, ("before", "after"), "bare_pipe")
    around_2 = _readings(around_at, ("before_2", "after_2"), "bare_pipe")
    used = around or runs
    spacy, spacy_cpu = _mean(used, "articles_per_s"), _mean(used, "articles_per_cpu_s")
    # The stricter ceiling: nlp.pipe fed in the agent's batches (per batch, per language).
    batched = _readings(around_at, ("before", "after"), "bare_pipe_agent_batches")
    batched = batched or _readings(ceiling, ("start",), "bare_pipe_agent_batches")
    start = ceiling.get("start", {})
    tp1, tp2 = w.get("throughput_1", {}), w.get("throughput_2", {})
    lat = w.get("latency", {})
    pe, pa = lat.get("produce_to_enriched") or {}, lat.get("produce_to_alert") or {}
    soak = w.get("soak", {})
    rss = soak.get("rss", {})
    faust, bare = t.get("faust", {}), t.get("bare", {})
    consume_only = t.get("faust_consume_only", {})
    return {
        "enrichment_efficiency": _ratio(tp1.get("articles_per_s"), spacy),
        "enrichment_efficiency_cpu": _ratio(tp1.get("articles_per_cpu_s"), spacy_cpu),
        "worker_1_articles_per_s": tp1.get("articles_per_s"),
        "worker_2_articles_per_s": tp2.get("articles_per_s"),
        "spacy_articles_per_s": spacy,
        "spacy_articles_per_cpu_s": spacy_cpu,
        "spacy_drift": _drift(runs),
        "spacy_around_drift": _drift(around),
        "spacy_around_2_drift": _drift(around_2),
        "spacy_ceiling_used": "around" if around else "start_end",
        "spacy_agent_batches_articles_per_s": _mean(batched, "articles_per_s"),
        "enrichment_efficiency_agent_batches": _ratio(
            tp1.get("articles_per_s"), _mean(batched, "articles_per_s")
        ),
        "enrichment_efficiency_agent_batches_cpu": _ratio(
            tp1.get("articles_per_cpu_s"), _mean(batched, "articles_per_cpu_s")
        ),
        "offline_enricher_articles_per_s": start.get("offline_enricher", {}).get("articles_per_s"),
        "transport_efficiency": _ratio(faust.get("messages_per_s"), bare.get("messages_per_s")),
        "transport_efficiency_cpu": _ratio(
            faust.get("messages_per_cpu_s"), bare.get("messages_per_cpu_s")
        ),
        "transport_messages_per_s": faust.get("messages_per_s"),
        "transport_consume_only_messages_per_s": consume_only.get("messages_per_s"),
        "transport_consume_only_efficiency": _ratio(
            consume_only.get("messages_per_s"), bare.get("messages_per_s")
        ),
        "transport_bare_messages_per_s": bare.get("messages_per_s"),
        "scaling_2_workers": _ratio(tp2.get("articles_per_s"), tp1.get("articles_per_s")),
        "scaling_2_workers_cpu": _ratio(
            tp2.get("articles_per_cpu_s"), tp1.get("articles_per_cpu_s")
        ),
        # Each phase against nlp.pipe read around it: the machine's drift between the two
        # phases taken out (only when both phases have their readings).
        "scaling_2_workers_drift_corrected": _ratio(
            _ratio(tp2.get("articles_per_s"), _mean(around_2, "articles_per_s")),
            _ratio(tp1.get("articles_per_s"), _mean(around, "articles_per_s")),
        ),
        "latency_enriched_p50_ms": pe.get("p50_ms"),
        "latency_enriched_p95_ms": pe.get("p95_ms"),
        "latency_enriched_p99_ms": pe.get("p99_ms"),
        "latency_alert_p50_ms": pa.get("p50_ms"),
        "latency_alert_p95_ms": pa.get("p95_ms"),
        "latency_alert_p99_ms": pa.get("p99_ms"),
        "soak_articles": soak.get("articles"),
        "soak_articles_per_s": soak.get("articles_per_s"),
        "soak_rss_start_mb": rss.get("rss_start_mb"),
        "soak_rss_end_mb": rss.get("rss_end_mb"),
        "soak_levels_off": rss.get("levels_off"),
        "soak_verdict": rss.get("verdict"),
    }
