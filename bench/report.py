"""The three outputs of a run: results.json (every figure), results.md (the table), plot.png."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import orjson

GOALS = {
    "enrichment_efficiency": 0.90,
    "transport_efficiency": 0.5,
    "transport_messages_per_s": 10_000,
    "scaling_2_workers": 1.8,
    "latency_p99_ms": 1000,
}


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:,.0f}"
        return f"{x:.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _ok(value: float | None, goal: float, higher_is_better: bool = True) -> str:
    if value is None:
        return ""
    met = value >= goal if higher_is_better else value <= goal
    return " ✓" if met else " ✗"


def markdown(result: dict[str, Any]) -> str:
    """The table the README and the issue note show; every cell comes from result.json."""
    f = result["figures"]
    m = result["machine"]
    w = result.get("workers", {})
    c = result.get("ceiling", {})
    t = result.get("transport", {})
    lat = w.get("latency", {})
    soak = w.get("soak", {}).get("rss", {})
    pe, pa = lat.get("produce_to_enriched") or {}, lat.get("produce_to_alert")
    rows = [
        (
            "Enrichment efficiency: 1 enrich worker end to end ÷ bare `nlp.pipe`",
            f"**{_fmt(f['enrichment_efficiency'])}**{_ok(f['enrichment_efficiency'], 0.9)}"
            f" (CPU: {_fmt(f.get('enrichment_efficiency_cpu'))})",
            "≥ 0.90",
            f"worker {_fmt(f['worker_1_articles_per_s'], 1)} art/s; nlp.pipe "
            f"{_fmt(f['spacy_articles_per_s'], 1)} art/s ({_ceilings(c, w)}); "
            f"offline Enricher "
            f"{_fmt(f.get('offline_enricher_articles_per_s'), 1)} art/s; "
            f"NLP thread busy {_fmt(_busy(w), 2)} of the time; "
            f"{_downstream(w)}"
            f"{_fmt(_per_article(w, 'actor-mentions'), 1)} actor-mentions records per article",
        ),
        (
            "Enrichment efficiency, strict: ÷ `nlp.pipe` fed in the agent's batches",
            f"**{_fmt(f.get('enrichment_efficiency_agent_batches'))}** (CPU: "
            f"{_fmt(f.get('enrichment_efficiency_agent_batches_cpu'))})",
            "—",
            f"nlp.pipe in batches of {_fmt(result.get('config', {}).get('batch_size'))} split "
            f"per language, as the agent runs it: "
            f"{_fmt(f.get('spacy_agent_batches_articles_per_s'), 1)} art/s "
            f"({_batched(c, w)}); the headline ceiling runs at the models' batch size",
        ),
        (
            "Transport efficiency: Faust pass-through ÷ bare aiokafka loop",
            f"**{_fmt(f['transport_efficiency'])}**{_ok(f['transport_efficiency'], 0.5)}"
            f" (CPU: {_fmt(f.get('transport_efficiency_cpu'))})",
            "≥ 0.5",
            f"{_fmt(t.get('message_bytes'))} B messages × {_fmt(t.get('messages'))}; bare "
            f"{_fmt(f['transport_bare_messages_per_s'])} msg/s; Faust consume-only (no "
            f"sends) ÷ bare {_fmt(f.get('transport_consume_only_efficiency'))}",
        ),
        (
            "Transport throughput: Faust pass-through",
            f"**{_fmt(f['transport_messages_per_s'])} msg/s**"
            f"{_ok(f['transport_messages_per_s'], 10_000)}",
            "≥ 10,000/s",
            f"{_fmt(_mb_per_s(f['transport_messages_per_s'], t.get('message_bytes')), 1)} MB/s "
            "each way; a Faust agent that only consumes and decodes, sending nothing: "
            f"{_fmt(f.get('transport_consume_only_messages_per_s'))} msg/s",
        ),
        (
            "Scaling: 2 workers ÷ 1 worker (2 partitions)",
            f"**{_fmt(f['scaling_2_workers'])}**{_ok(f['scaling_2_workers'], 1.8)}",
            "≥ 1.8",
            f"{_fmt(f['worker_2_articles_per_s'], 1)} vs {_fmt(f['worker_1_articles_per_s'], 1)} "
            f"art/s; articles per CPU-second 2 vs 1: {_fmt(f.get('scaling_2_workers_cpu'))}; "
            f"each against nlp.pipe read around its phase: "
            f"{_fmt(f.get('scaling_2_workers_drift_corrected'))} (nlp.pipe "
            f"{_pair(w.get('ceiling_around') or {}, 'before', 'after')} around the 1-worker "
            f"phase, {_pair(w.get('ceiling_around') or {}, 'before_2', 'after_2')} around "
            "the 2-worker one)",
        ),
        (
            f"Latency produce → enriched at {int(100 * (lat.get('load_fraction') or 0))} % "
            "of capacity",
            f"p50 {_fmt(pe.get('p50_ms'), 0)} · p95 {_fmt(pe.get('p95_ms'), 0)} · "
            f"**p99 {_fmt(pe.get('p99_ms'), 0)} ms**{_ok(pe.get('p99_ms'), 1000, False)}",
            "p99 ≤ 1 s",
            f"{_settled(lat)}{_fmt(lat.get('offered_articles_per_s'), 1)} art/s offered, "
            f"{_fmt(pe.get('count'))} articles of {_fmt(lat.get('mean_chars'), 0)} characters "
            f"on average (capacity run: {_fmt(lat.get('capacity_mean_chars'), 0)}); "
            f"p99 to the enrich stage's output "
            f"{_fmt((lat.get('produce_to_stage') or {}).get('p99_ms'), 0)} ms, story hop "
            f"{_fmt((lat.get('stage_to_enriched') or {}).get('p99_ms'), 0)} ms; slowest: "
            + ", ".join(f"{x['ms']:,} ms ({x['chars']:,} chars)" for x in _slowest(lat))
            + _stalls(lat),
        ),
        (
            "Latency produce → alert",
            (
                f"p50 {_fmt(pa['p50_ms'], 0)} · p95 {_fmt(pa['p95_ms'], 0)} · "
                f"**p99 {_fmt(pa['p99_ms'], 0)} ms**{_ok(pa['p99_ms'], 1000, False)}"
            )
            if pa
            else "unavailable (no alert came out)",
            "p99 ≤ 1 s",
            f"{_fmt(pa['count'])} alert versions"
            if pa
            else f"{_fmt(lat.get('alerts_seen_in_run'))} alerts in the whole run",
        ),
        (
            "Soak: RSS of the enrich and downstream workers",
            f"**{soak.get('verdict', 'n/a')}**",
            "levels off",
            f"{_fmt(w.get('soak', {}).get('articles'))} articles in "
            f"{_fmt(w.get('soak', {}).get('seconds'), 0)} s; "
            f"RSS {_fmt(soak.get('rss_start_mb'), 0)} → {_fmt(soak.get('rss_end_mb'), 0)} MB; "
            "MB/10k articles: first half "
            f"{_fmt(soak.get('mb_per_10k_articles_first_half'))}, second half "
            f"{_fmt(soak.get('mb_per_10k_articles_second_half'))}{_soak_each(w)}",
        ),
    ]
    lines = [
        f"Wirewatch benchmark — {result['started_at']} — {m['cpu_model']}, {m['cores']} cores, "
        f"Python {m['python']}, commit {str(m.get('git_commit'))[:10]}"
        f"{' (+ uncommitted changes)' if m.get('git_dirty_files') else ''}; "
        f"load average at start {result.get('load_average_start')}",
        "",
        "| Figure | Measured | Goal | Detail |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {g} | {d} |" for a, b, g, d in rows],
        "",
        _corpus_line(result),
    ]
    return "\n".join(lines) + "\n"


def _mb_per_s(messages_per_s: float | None, size: int | None) -> float | None:
    return messages_per_s * size / 1e6 if messages_per_s and size else None


def _worker_1(workers: dict[str, Any]) -> dict[str, Any]:
    """worker-1's batch statistics in the 1-worker throughput phase (what efficiency measures)."""
    return workers.get("throughput_1", {}).get("per_worker", {}).get("worker-1", {})


def _busy(workers: dict[str, Any]) -> float | None:
    return _worker_1(workers).get("nlp_thread_busy_fraction")


def _per_article(workers: dict[str, Any], topic: str) -> float | None:
    """Records per article on ``topic``: the downstream worker's, else (runs from before
    the split deployment) worker-1's."""
    down = workers.get("throughput_1", {}).get("downstream") or {}
    for source in (down, _worker_1(workers)):
        value = (source.get("records_out_per_article") or {}).get(topic)
        if value is not None:
            return value
    return None


def _downstream(workers: dict[str, Any]) -> str:
    """The downstream worker's share of the 1-worker phase's CPU ("" before the split)."""
    down = workers.get("throughput_1", {}).get("downstream")
    if not down:
        return ""
    return f"downstream worker {_fmt(down.get('cpu_share'), 2)} of the phase's CPU; "


def _soak_each(workers: dict[str, Any]) -> str:
    """Each worker's own RSS verdict in the soak ("" before the split)."""
    each = workers.get("soak", {}).get("rss_by_worker") or {}
    parts = [
        f"{name} {_fmt(v.get('rss_start_mb'), 0)} → {_fmt(v.get('rss_end_mb'), 0)} MB "
        f"({v.get('verdict', 'n/a')})"
        for name, v in each.items()
    ]
    return f"; {', '.join(parts)}" if parts else ""


def _settled(lat: dict[str, Any]) -> str:
    """How long the phase waited for worker-1 to fall idle after the throughput phase."""
    settled = lat.get("settled")
    if not settled:
        return ""
    state = "idle" if settled.get("idle") else "not idle"
    return (
        f"after {_fmt(settled.get('seconds'), 1)} s of settling ({state}: "
        f"{_fmt(settled.get('cpu_cores'), 2)} of a core); "
    )


def _stalls(lat: dict[str, Any]) -> str:
    """Each worker's event-loop stalls over 0.1 s (over 0.25 s) during the phase."""
    stalls = {name: x for name, x in (lat.get("loop_stalls") or {}).items() if x}
    if not stalls:
        return ""
    return "; event-loop stalls > 0.1 s (> 0.25 s): " + ", ".join(
        f"{name} {x['over_100ms']} ({x['over_250ms']})" for name, x in stalls.items()
    )


def _slowest(lat: dict[str, Any]) -> list[dict[str, Any]]:
    return (lat.get("slowest") or [])[:3]


def _bare(ceiling: dict[str, Any], when: str, kind: str = "bare_pipe") -> float | None:
    return ceiling.get(when, {}).get(kind, {}).get("articles_per_s")


def _pair(around: dict[str, Any], first: str, second: str) -> str:
    return f"{_fmt(_bare(around, first), 1)} → {_fmt(_bare(around, second), 1)}"


def _batched(ceiling: dict[str, Any], workers: dict[str, Any]) -> str:
    """The agent-batch readings: around the worker's phase when taken, else at the start."""
    around = workers.get("ceiling_around") or {}
    kind = "bare_pipe_agent_batches"
    if _bare(around, "before", kind) or _bare(around, "after", kind):
        return (
            f"right before the phase {_fmt(_bare(around, 'before', kind), 1)}, "
            f"right after {_fmt(_bare(around, 'after', kind), 1)}"
        )
    return f"at the run's start {_fmt(_bare(ceiling, 'start', kind), 1)}"


def _ceilings(ceiling: dict[str, Any], workers: dict[str, Any]) -> str:
    """The nlp.pipe readings: those around the worker's phase (used) and the run's ends."""
    ends = f"run start {_fmt(_bare(ceiling, 'start'), 1)}, end {_fmt(_bare(ceiling, 'end'), 1)}"
    around = workers.get("ceiling_around") or {}
    if not around:
        return ends
    return (
        f"right before the phase {_fmt(_bare(around, 'before'), 1)}, "
        f"right after {_fmt(_bare(around, 'after'), 1)}; {ends}"
    )


def _corpus_line(result: dict[str, Any]) -> str:
    corpus = result.get("corpus", {})
    ch = corpus.get("chars", {})
    langs = corpus.get("languages", {})
    return (
        f"Corpus: {_fmt(corpus.get('articles'))} articles (seed {corpus.get('seed')}) from "
        # Without ../shared the corpus has the sample stream's bases only: fewer actors.
        f"{_fmt(corpus.get('bases'))} bases ({', '.join(corpus.get('base_origins', []))}), "
        f"{', '.join(f'{k} {v}' for k, v in langs.items())}; characters p10 {_fmt(ch.get('p10'))}"
        f" · p50 {_fmt(ch.get('p50'))} · p90 {_fmt(ch.get('p90'))} · max {_fmt(ch.get('max'))}; "
        f"batch_size {result['config'].get('batch_size')}, "
        f"matrices by {result['config'].get('nlp_matmul', 'blis')}."
    )


def write_json(result: dict[str, Any], path: Path) -> None:
    path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS))


def plot(result: dict[str, Any], path: Path) -> bool:
    """Throughput over time, latency CDF, RSS over time; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(13, 9))
    (ax_tr, ax_tp), (ax_lat, ax_rss) = axes
    transport = result.get("transport", {})
    for name in ("bare", "faust", "faust_consume_only"):
        timeline = transport.get(name, {}).get("timeline") or []
        if len(timeline) > 1:
            xs, ys = _rate_curve(timeline)
            ax_tr.plot(xs, ys, label=f"{name} ({_fmt(transport[name]['messages_per_s'])} msg/s)")
    ax_tr.set(title="Transport: 5 KB messages/s", xlabel="s", ylabel="messages/s")
    ax_tr.legend()
    workers = result.get("workers", {})
    for key, label in (("throughput_1", "1 worker"), ("throughput_2", "2 workers")):
        per_s = workers.get(key, {}).get("arrivals_per_s") or []
        if per_s:
            ax_tp.plot(
                range(len(per_s)),
                _smooth(per_s, 10),
                label=f"{label} ({_fmt(workers[key]['articles_per_s'], 1)}/s)",
            )
    soak_rate = workers.get("soak", {}).get("arrivals_per_s") or []
    if soak_rate:
        ax_tp.plot(range(len(soak_rate)), _smooth(soak_rate, 10), label="soak", alpha=0.6)
    spacy = result.get("figures", {}).get("spacy_articles_per_s")
    if spacy:
        ax_tp.axhline(spacy, color="grey", linestyle="--", label="bare nlp.pipe")
    ax_tp.set(
        title="Enrichment: articles/s out of articles-enriched (10 s mean)",
        xlabel="s",
        ylabel="articles/s",
    )
    ax_tp.legend()
    lat = workers.get("latency", {})
    curves = (("cdf_enriched_s", "produce → enriched"), ("cdf_alert_s", "produce → alert"))
    for key, label in curves:
        values = lat.get(key) or []
        if values:
            ax_lat.plot(values, [(i + 1) / len(values) for i in range(len(values))], label=label)
    ax_lat.axvline(1.0, color="grey", linestyle="--", label="1 s goal")
    ax_lat.set(
        title=f"Latency CDF at {int(100 * (lat.get('load_fraction') or 0))} % capacity",
        xlabel="seconds",
        ylabel="fraction",
    )
    ax_lat.legend()
    samples = workers.get("soak", {}).get("samples") or []
    if samples:
        t0 = samples[0][0]
        ax_rss.plot([s[0] - t0 for s in samples], [s[2] for s in samples], color="tab:red")
        ax_rss.set_ylabel("RSS MiB", color="tab:red")
        twin = ax_rss.twinx()
        twin.plot(
            [s[0] - t0 for s in samples], [s[1] for s in samples], color="tab:blue", alpha=0.5
        )
        twin.set_ylabel("articles processed", color="tab:blue")
    ax_rss.set(
        title="Soak: RSS, enrich + downstream worker "
        f"({workers.get('soak', {}).get('rss', {}).get('verdict')})",
        xlabel="s",
    )
    fig.suptitle(
        f"Wirewatch bench {result['started_at']} — {result['machine']['cpu_model']}, "
        f"{result['machine']['cores']} cores"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _rate_curve(timeline: list[list[float]]) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for (t0, n0), (t1, n1) in itertools.pairwise(timeline):
        if t1 > t0:
            xs.append(t1)
            ys.append((n1 - n0) / (t1 - t0))
    return xs, _smooth(ys, 3)


def _smooth(values: list[float], k: int) -> list[float]:
    out = []
    for i in range(len(values)):
        window = values[max(0, i - k + 1) : i + 1]
        out.append(sum(window) / len(window))
    return out


def rerender(results: Path) -> str:
    """Re-derive the verdicts and figures of a results.json from its raw samples.

    The measurements (rates, latencies, RSS samples) are kept as they were; only the
    analysis on top of them is recomputed, so a fix to the analysis applies to past
    runs without re-running them.
    """
    from .enrichment import rss_verdict
    from .run import figures

    result = orjson.loads(results.read_bytes())
    soak = result.get("workers", {}).get("soak")
    if soak and soak.get("samples"):
        soak["rss"] = rss_verdict([tuple(s) for s in soak["samples"]])
    result["figures"] = figures(result)
    write_json(result, results)
    table = markdown(result)
    (results.parent / "results.md").write_text(table)
    plot(result, results.parent / "plot.png")
    return table


if __name__ == "__main__":
    import sys

    print(rerender(Path(sys.argv[1])))
