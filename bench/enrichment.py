"""Real workers on the real broker: throughput (1 and 2 workers), latency, soak.

Three groups of workers, each with its own app id and topic prefix, deployed as the
README recommends: one downstream worker (``--role downstream``: stories, alerts,
counting, the API), started first, and the enrich workers (``--role enrich``) that
the phase measures. "worker-1", "the pair", "the soak worker" are enrich workers;
rates are end to end (through the downstream worker's story agent), and CPU counts
the downstream worker too.

A. worker-1 alone, through two phases so its start-up is paid once:
   1. warm-up, then ``articles`` articles produced as fast as Kafka takes them; the
      rate at which enriched records come back is its capacity;
   2. latency: articles paced at ``latency_load`` × that capacity, in characters per
      second (``paced_rate``); produce → enriched and produce → alert, per article, on
      the bench's clock.
B. two fresh workers started together on the same 2-partition layout: warm-up until
   both hold partitions, then the very same texts as A.1 under new ids — the
   2-worker capacity. (A second worker joining group A would first replay A's table
   changelogs, which is a different question: the cost of a rebalance, not of
   scaling.) B comes right after A, so scaling compares two phases minutes apart; it
   used to follow the soak, and the machine's speed had moved by up to 45 % by then.
C. a fresh worker, warmed up, for the soak: ``soak_seconds`` (or ``soak_articles``)
   with a bounded backlog, RSS and CPU read from /proc every few seconds.

With a ``ceiling`` callable, bare ``nlp.pipe`` is measured on the same texts right
before and right after each throughput phase (once its workers have fallen idle), so
a ratio's two terms are minutes apart, not the whole run
(``WorkerRun.ceiling_around``); around the 1-worker phase, also fed in the agent's
batches (the stricter ceiling).

Every phase has its own event-time epoch (ten days apart), so stories and alerts
start afresh instead of folding into the previous phase's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import statistics
import time
from array import array
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from scipy.stats import theilslopes
from tqdm import tqdm

from streams.config import Settings
from streams.topics import ensure_topics

from .cluster import free_port, group_members
from .corpus import SOAK_SPACING_S, Corpus
from .kafka_io import Session, phase_of
from .procs import BenchError, Worker, cpu_seconds, metric_total, rss_mb
from .transport import steady_rate

log = logging.getLogger(__name__)

T = TypeVar("T")

TP_TEXTS = "tp1"  # the phase whose texts the NLP ceiling and both throughput runs share


@dataclass
class WorkerOptions:
    articles: int = 1000
    warmup: int = 32
    latency_seconds: float = 30.0
    latency_load: float = 0.5
    # Most seconds to wait for worker-1 to fall idle between the throughput and latency
    # phases (``settle``).
    settle_limit_s: float = 60.0
    soak_seconds: float = 120.0
    soak_articles: int | None = None
    rss_interval: float = 2.0
    idle_timeout: float = 120.0
    alert_grace: float = 5.0
    profile_dir: Path | None = None
    progress: bool = True


@dataclass
class Sample:
    t: float
    worker: str
    rss_mb: float | None
    cpu_s: float | None
    soak_done: int


@dataclass
class WorkerRun:
    """Everything the worker phases measured (turned into the report's JSON)."""

    start_up_s: dict[str, float] = field(default_factory=dict)
    throughput_1: dict[str, Any] = field(default_factory=dict)
    throughput_2: dict[str, Any] = field(default_factory=dict)
    latency: dict[str, Any] = field(default_factory=dict)
    soak: dict[str, Any] = field(default_factory=dict)
    samples: list[Sample] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)  # where the run's time went
    # Bare nlp.pipe measured in the bench process right before and right after each
    # throughput phase, while its workers and the broker idle: "before" and "after"
    # around the 1-worker phase, "before_2" and "after_2" around the 2-worker one.
    ceiling_around: dict[str, Any] = field(default_factory=dict)


def percentiles(values: list[float]) -> dict[str, float] | None:
    """Nearest-rank p50/p95/p99 (and max) in milliseconds; None without values."""
    if not values:
        return None
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(p * len(ordered)) - 1))]

    return {
        "p50_ms": round(rank(0.50) * 1000, 1),
        "p95_ms": round(rank(0.95) * 1000, 1),
        "p99_ms": round(rank(0.99) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
        "count": len(ordered),
    }


class WorkerBench:
    """Runs the worker phases (see the module docstring) and keeps what they measured."""

    def __init__(
        self,
        settings: Settings,
        corpus: Corpus,
        opts: WorkerOptions,
        logs: Path,
        run_id: str,
        ceiling: Callable[[bool], dict[str, Any]] | None = None,
    ) -> None:
        self.base = settings
        self.ceiling = ceiling
        self.run_id = run_id
        self.settings = self._group("w1")  # the group being measured
        self.downstream: Worker | None = None  # that group's downstream worker
        self.corpus = corpus
        self.opts = opts
        self.logs = logs
        self.workers: list[Worker] = []
        self.result = WorkerRun()
        self.t0 = time.perf_counter()
        self.soak_done = 0
        self.soak_arrivals: array = array("d")

    # -- helpers ----------------------------------------------------------------------
    def _bar(self, total: int | None, desc: str) -> tqdm:
        return tqdm(
            total=total,
            desc=desc,
            unit=" art",
            disable=not self.opts.progress,
            leave=True,
            dynamic_ncols=True,
        )

    def _worker(self, name: str, profile_it: bool, role: str) -> Worker:
        profile = self.opts.profile_dir if profile_it else None
        return Worker(
            name,
            self.settings,
            self.settings.app_id,
            self.logs / f"{name}.log",
            free_port(),
            profile,
            role,
        )

    def _check_workers(self) -> None:
        for w in self.workers:
            w.check_alive()

    async def _start(self, name: str, profile_it: bool = True, role: str = "enrich") -> Worker:
        worker = self._worker(name, profile_it, role).start()
        self.workers.append(worker)
        self.result.start_up_s[name] = round(await asyncio.to_thread(worker.wait_ready), 2)
        return worker

    async def _start_downstream(self, name: str, profile_it: bool = True) -> Worker:
        """The group's downstream worker (stories, alerts, counting), started first."""
        self.downstream = await self._step(
            f"start {name}", self._start(name, profile_it, role="downstream")
        )
        return self.downstream

    async def _wait_group(self, members: int, timeout: float = 120.0) -> None:
        """Until the consumer group is Stable with ``members`` members (a rebalance is over)."""
        deadline = time.monotonic() + timeout
        state = ("?", 0)
        while time.monotonic() < deadline:
            self._check_workers()
            with contextlib.suppress(Exception):
                state = await asyncio.to_thread(
                    group_members, self.settings, self.settings.group_id
                )
                if state == ("Stable", members):
                    return
            await asyncio.sleep(1.0)
        raise BenchError(f"consumer group not Stable with {members} members: {state}")

    async def _send_all(self, s: Session, articles: list[dict[str, Any]]) -> None:
        for a in articles:
            await s.send(a)
        await s.flush()

    async def _wait(self, s: Session, ids: list[str], bar: tqdm) -> None:
        def update(n: int) -> None:
            bar.update(n - bar.n)
            self._check_workers()

        try:
            await s.wait_for(ids, self.opts.idle_timeout, update)
        except TimeoutError as exc:
            tails = "\n".join(f"--- {w.name}\n{w.log_tail(15)}" for w in self.workers)
            raise BenchError(f"{exc}\n{tails}") from None
        finally:
            bar.close()

    async def _warm(self, s: Session, phase: str, index: int, check: Sequence[Worker] = ()) -> None:
        """Enrich a few articles; with ``check``, until every listed worker did some of them."""
        for attempt in range(5):
            before = [await asyncio.to_thread(self._batches, w) for w in check]
            articles = self.corpus.articles(f"{phase}x{attempt}", index, self.opts.warmup)
            await self._send_all(s, articles)
            await self._wait(s, [a["id"] for a in articles], self._bar(len(articles), phase))
            after = [await asyncio.to_thread(self._batches, w) for w in check]
            idle = [w.name for w, b, a in zip(check, before, after, strict=True) if a <= b]
            if not idle:
                return
            log.info("%s: %s got no articles yet; warming again", phase, ", ".join(idle))
        self.result.warnings.append(f"{phase}: {', '.join(idle)} processed no warm-up article")

    @staticmethod
    def _batches(worker: Worker) -> float:
        return metric_total(worker.metrics(), "wirewatch_enrich_batch_size_count")

    async def _sampler(self) -> None:
        while True:
            now = time.perf_counter() - self.t0
            for w in list(self.workers):
                if w.alive:
                    self.result.samples.append(
                        Sample(now, w.name, rss_mb(w.pid), cpu_seconds(w.pid), self.soak_done)
                    )
            await asyncio.sleep(self.opts.rss_interval)

    # -- phases -------------------------------------------------------------------------
    def _group(self, tag: str) -> Settings:
        name = f"b{self.run_id}-{tag}"
        # Its workers are of role enrich (in the group ``<name>-enrich``) but for one
        # downstream worker: the deployment the README recommends.
        return self.base.replace(topic_prefix=f"{name}.", app_id=name, role="enrich")

    async def run(self) -> WorkerRun:
        sampler = asyncio.create_task(self._sampler())
        try:
            await self._one_worker()
            await self._two_workers()
            await self._soak_worker()
        finally:
            sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sampler
            for w in self.workers:
                await asyncio.to_thread(w.stop)
        return self.result

    async def _read_ceiling(self, key: str, agent_batches: bool) -> None:
        """Bare nlp.pipe now into ``ceiling_around[key]`` (and in the agent's batches)."""
        if self.ceiling is not None:
            self.result.ceiling_around[key] = await self._step(
                f"ceiling {key.replace('_', ' ')}",
                asyncio.to_thread(self.ceiling, agent_batches),
            )

    async def _stop(self, *workers: Worker) -> None:
        for w in workers:
            await asyncio.to_thread(w.stop)
            self.workers.remove(w)
            if w is self.downstream:
                self.downstream = None

    async def _one_worker(self) -> None:
        step = self._step
        await asyncio.to_thread(ensure_topics, self.settings)
        down = await self._start_downstream("downstream-1")
        w1 = await step("start worker-1", self._start("worker-1"))
        async with Session(self.settings) as s:
            await step("warm-up", self._warm(s, "warm1", 0))
            await self._read_ceiling("before", True)
            self.result.throughput_1 = await step(
                "throughput 1 worker", self._throughput(s, [w1], "tp1", 1)
            )
            capacity = self.result.throughput_1["articles_per_s"]
            settled = await step("settle", settle_all([w1, down], self.opts.settle_limit_s))
            await self._read_ceiling("after", True)
            self.result.latency = await step("latency", self._latency(s, capacity, "lat", 2))
            self.result.latency["settled"] = settled
        await step("stop worker-1", self._stop(w1, down))

    async def _two_workers(self) -> None:
        step = self._step
        self.settings = self._group("w2")
        await asyncio.to_thread(ensure_topics, self.settings)
        down = await self._start_downstream("downstream-2", False)
        pair = await step(
            "start 2 workers",
            asyncio.gather(self._start("worker-2a", False), self._start("worker-2b", False)),
        )
        await step("rebalance to 2", self._wait_group(2))
        async with Session(self.settings) as s:
            await step("warm-up 2 workers", self._warm(s, "warm2", 4, check=list(pair)))
            await self._read_ceiling("before_2", False)
            self.result.throughput_2 = await step(
                "throughput 2 workers", self._throughput(s, list(pair), "tp2", 5)
            )
            limit = self.opts.settle_limit_s
            settled = await step(
                "settle 2 workers",
                asyncio.gather(*(settle(w, limit) for w in [*pair, down])),
            )
            self.result.throughput_2["settled"] = settled
            await self._read_ceiling("after_2", False)
        await step("stop 2 workers", self._stop(*pair, down))

    async def _soak_worker(self) -> None:
        """The soak on a fresh worker, warmed up first (its own group, like B)."""
        step = self._step
        self.settings = self._group("w3")
        await asyncio.to_thread(ensure_topics, self.settings)
        down = await self._start_downstream("downstream-soak")
        worker = await step("start soak worker", self._start("worker-soak"))
        async with Session(self.settings) as s:
            s.count_only_phases.add("soak")
            s.on_arrival = self._on_arrival
            await step("warm-up soak worker", self._warm(s, "warm3", 6))
            self.result.soak = await step("soak", self._soak(s, worker, down, "soak", 7))
        await step("stop soak worker", self._stop(worker, down))

    async def _step(self, name: str, work: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await work
        finally:
            self.result.step_seconds[name] = round(time.perf_counter() - started, 1)

    def _on_arrival(self, phase: str, now: float) -> None:
        if phase == "soak":
            self.soak_done += 1
            self.soak_arrivals.append(now - self.t0)

    async def _throughput(
        self, s: Session, workers: list[Worker], phase: str, index: int
    ) -> dict[str, Any]:
        """Produce ``articles`` at once; time them out of articles-enriched.

        CPU counts the group's downstream worker too: it is part of the deployment.
        """
        n = self.opts.articles
        articles = self.corpus.articles(phase, index, n, texts=TP_TEXTS)
        ids = [a["id"] for a in articles]
        down = self.downstream
        measured = [*workers, down] if down is not None else list(workers)
        m0 = [await asyncio.to_thread(w.metrics) for w in measured]
        cpu0 = [cpu_seconds(w.pid) or 0.0 for w in measured]
        start = time.perf_counter()
        bar = self._bar(n, f"throughput, {len(workers)} worker(s)")
        await self._send_all(s, articles)
        produced_in = time.perf_counter() - start
        await self._wait(s, ids, bar)
        cpus = [(cpu_seconds(w.pid) or 0.0) - c for w, c in zip(measured, cpu0, strict=True)]
        cpu = sum(cpus)
        m1 = [await asyncio.to_thread(w.metrics) for w in measured]
        arrivals = sorted(s.out.enriched[i] - start for i in ids if i in s.out.enriched)
        wall = arrivals[-1] if arrivals else float("nan")
        per_worker = {}
        k = len(workers)
        for w, a, b in zip(workers, m0[:k], m1[:k], strict=True):
            per_worker[w.name] = _batch_stats(a, b, wall)
        downstream = None
        if down is not None:
            downstream = {
                "name": down.name,
                "cpu_s": round(cpus[-1], 2),
                "cpu_share": round(cpus[-1] / cpu, 3) if cpu > 0 else None,
                "records_out_per_article": records_per_article(m0[-1], m1[-1], n),
            }
        rate, method = throughput_rate(
            arrivals, n, [pw.get("batches") for pw in per_worker.values()]
        )
        return {
            "workers": len(workers),
            "articles": n,
            "mean_chars": _mean_chars(articles),
            "dead_lettered": sum(i in s.out.dead for i in ids),
            "articles_per_s": rate,
            "rate_method": method,
            "articles_per_s_first_to_last": n / max(wall, 1e-9),
            "seconds": round(wall, 3),
            "produced_in_s": round(produced_in, 3),
            "worker_cpu_s": round(cpu, 2),
            "articles_per_cpu_s": n / cpu if cpu > 0 else None,
            "per_worker": per_worker,
            "downstream": downstream,
            "arrivals_per_s": _per_second(arrivals, 0.0),
        }

    async def _latency(self, s: Session, capacity: float, phase: str, index: int) -> dict[str, Any]:
        """Paced load at a fraction of capacity; per-article latency to enriched and alert."""
        load, seconds = self.opts.latency_load, self.opts.latency_seconds
        capacity_chars = (self.result.throughput_1 or {}).get("mean_chars")
        draft = self.corpus.articles(phase, index, max(8, int(load * capacity * seconds)))
        rate = paced_rate(load, capacity, capacity_chars, _mean_chars(draft))
        n = max(8, int(rate * seconds))
        articles = self.corpus.articles(phase, index, n)
        rate = paced_rate(load, capacity, capacity_chars, _mean_chars(articles))  # these texts
        ids = [a["id"] for a in articles]
        watched = list(self.workers)
        lag0 = [await asyncio.to_thread(w.metrics) for w in watched]
        bar = self._bar(n, f"latency at {rate:.1f} art/s")
        start = time.perf_counter()
        for k, a in enumerate(articles):
            delay = start + k / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            await s.send(a)
            bar.update(1)
        await s.flush()
        bar.reset(total=n)
        await self._wait(s, ids, bar)
        await asyncio.sleep(self.opts.alert_grace)  # alerts come after the enriched record
        lag1 = [await asyncio.to_thread(w.metrics) for w in watched]
        enriched = [s.out.enriched[i] - s.sent[i] for i in ids if i in s.out.enriched]
        alert_lat = []
        for alert in s.out.alerts:
            sent = [(s.sent[a], a) for a in alert.article_ids if a in s.sent]
            if sent:
                t_sent, trigger = max(sent)
                if phase_of(trigger) == phase:
                    alert_lat.append(alert.at - t_sent)
        to_stage, hop = [], []
        for i in ids:
            staged = s.out.staged_wall.get(i)
            if staged is not None and i in s.out.enriched_wall:
                to_stage.append(staged - s.sent_wall[i])
                hop.append(s.out.enriched_wall[i] - staged)
        by_id = {a["id"]: a for a in articles}
        slowest = sorted(ids, key=lambda i: s.out.enriched.get(i, 0.0) - s.sent[i])[-8:]
        return {
            "load_fraction": self.opts.latency_load,
            "capacity_articles_per_s": capacity,
            "capacity_mean_chars": capacity_chars,
            "mean_chars": _mean_chars(articles),
            "offered_articles_per_s": rate,
            "articles": n,
            "produce_to_enriched": percentiles(enriched),
            # The split at the enrich stage (wall clocks of one machine, ms resolution):
            # produce → handed on by the enrich agent, then the story agent's hop.
            "produce_to_stage": percentiles(to_stage),
            "stage_to_enriched": percentiles(hop),
            "slowest": [
                {
                    "ms": round((s.out.enriched[i] - s.sent[i]) * 1000),
                    "chars": len(by_id[i].get("text") or ""),
                    "sent_at_s": round(s.sent[i] - start, 1),
                }
                for i in reversed(slowest)
                if i in s.out.enriched
            ],
            "produce_to_alert": percentiles(alert_lat),
            "alerts_seen_in_run": len(s.out.alerts),
            "loop_stalls": {
                w.name: loop_stalls(a, b) for w, a, b in zip(watched, lag0, lag1, strict=True)
            },
            "cdf_enriched_s": sorted(round(x, 4) for x in enriched),
            "cdf_alert_s": sorted(round(x, 4) for x in alert_lat),
        }

    async def _soak(
        self, s: Session, worker: Worker, down: Worker, phase: str, index: int
    ) -> dict[str, Any]:
        """As many articles as fit in the time (or count) allowed, backlog kept bounded.

        RSS is judged on the two workers together (the enrich worker holds the models,
        the downstream one the tables) and on each alone.
        """
        opts = self.opts
        # Enough queued that a batch is always waiting, little enough to drain in seconds.
        capacity = self.result.throughput_1.get("articles_per_s") or 10.0
        window = int(
            max(2 * self.settings.batch_size, min(4 * capacity, 8 * self.settings.batch_size))
        )
        limit = opts.soak_articles or math.inf
        stream = self.corpus.stream(phase, index)
        start = time.perf_counter()
        deadline = start + opts.soak_seconds
        first_sample = len(self.result.samples)
        pair = (worker, down)
        cpu0 = [cpu_seconds(w.pid) or 0.0 for w in pair]
        tables0 = await asyncio.to_thread(down.metrics)
        bar = self._bar(None if limit == math.inf else int(limit), "soak")
        sent = 0
        while time.perf_counter() < deadline and sent < limit:
            if sent - self.soak_done >= window:
                s.progress.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(s.progress.wait(), 1.0)
                self._check_workers()
                bar.update(self.soak_done - bar.n)
                continue
            await s.send(next(stream))
            sent += 1
        await s.flush()
        last, last_change = self.soak_done, time.monotonic()
        while self.soak_done < sent:
            await asyncio.sleep(0.5)
            self._check_workers()
            if self.soak_done != last:
                last, last_change = self.soak_done, time.monotonic()
            elif time.monotonic() - last_change > opts.idle_timeout:
                raise BenchError(f"soak: {sent - self.soak_done} articles never came out")
        bar.update(self.soak_done - bar.n)
        bar.close()
        seconds = time.perf_counter() - start
        await asyncio.sleep(min(opts.rss_interval, 2.0))  # one more sample after the drain
        tables1 = await asyncio.to_thread(down.metrics)
        cpu = sum((cpu_seconds(w.pid) or c) - c for w, c in zip(pair, cpu0, strict=True))
        by_worker = {
            w.name: [
                (x.t, x.soak_done, x.rss_mb)
                for x in self.result.samples[first_sample:]
                if x.worker == w.name and x.rss_mb is not None
            ]
            for w in pair
        }
        samples = summed_samples(list(by_worker.values()))
        return {
            "articles": sent,
            "seconds": round(seconds, 1),
            "articles_per_s": sent / max(seconds, 1e-9),
            "articles_per_cpu_s": sent / max(cpu, 1e-9),
            "workers": [w.name for w in pair],
            "backlog_window": window,
            "event_time_spacing_s": SOAK_SPACING_S,
            "rss": rss_verdict(samples),
            "rss_by_worker": {name: rss_verdict(part) for name, part in by_worker.items()},
            "table_keys_before": _tables(tables0),
            "table_keys_after": _tables(tables1),
            "table_keys_per_1k_articles": {
                name: round((n - _tables(tables0).get(name, 0)) * 1000 / max(sent, 1), 1)
                for name, n in _tables(tables1).items()
            },
            "samples": [(round(t, 2), n, round(r, 1)) for t, n, r in samples],
            "arrivals_per_s": _per_second(self.soak_arrivals, start - self.t0),
        }


def summed_samples(
    parts: Sequence[Sequence[tuple[float, int, float]]],
) -> list[tuple[float, int, float]]:
    """(t, articles done, RSS) of several workers added up, at the instants all have.

    The sampler reads every worker in one pass, so their samples share ``t``.
    """
    if not parts:
        return []
    common = set.intersection(*({t for t, _, _ in part} for part in parts))
    total: dict[float, list[float]] = {}
    for part in parts:
        for t, done, rss in part:
            if t in common:
                acc = total.setdefault(t, [done, 0.0])
                acc[1] += rss
    return [(t, int(done), rss) for t, (done, rss) in sorted(total.items())]


async def settle_all(workers: Sequence[Worker], limit_s: float) -> dict[str, Any]:
    """``settle`` each of ``workers`` at once: the longest wait, the cores they still used."""
    each = await asyncio.gather(*(settle(w, limit_s) for w in workers))
    used = [e["cpu_cores"] for e in each]
    return {
        "seconds": max(e["seconds"] for e in each),
        "cpu_cores": None if None in used else round(sum(used), 3),
        "idle": all(e["idle"] for e in each),
        "workers": {w.name: e for w, e in zip(workers, each, strict=True)},
    }


async def settle(
    worker: Worker,
    limit_s: float,
    *,
    window_s: float = 2.0,
    idle_cores: float = 0.1,
    cpu: Callable[[int], float | None] = cpu_seconds,
) -> dict[str, Any]:
    """Wait until ``worker`` uses under ``idle_cores`` of a core over ``window_s``.

    The throughput phase ends when its last enriched record is seen, while the worker
    may still count, cluster and match alerts for its articles; the paced phase must
    measure the load it offers, not that tail. (On 27 November the worker was idle
    after 6 s, and the phase's slow first seconds turned out to be its own draw: short
    articles queued behind a long one.) Gives up after ``limit_s``, and says so:
    ``idle`` is False then.
    """
    started = time.perf_counter()
    used = math.inf
    while True:
        before = cpu(worker.pid)
        await asyncio.sleep(window_s)
        after = cpu(worker.pid)
        worker.check_alive()
        if before is not None and after is not None:
            used = (after - before) / window_s
        waited = time.perf_counter() - started
        if used < idle_cores or waited >= limit_s:
            return {
                "seconds": round(waited, 1),
                "cpu_cores": None if used == math.inf else round(used, 3),
                "idle": used < idle_cores,
            }


def paced_rate(
    load: float, capacity: float, capacity_chars: float | None, chars: float | None
) -> float:
    """Articles per second that are ``load`` × capacity in work, not in article count.

    Capacity is measured on one draw of texts and the paced phase uses another; a draw
    whose articles are longer on average needs proportionally fewer per second to be
    the same load (NLP time is linear in characters: ``Limits.nlp_seconds``). Without
    both means, the article rate alone. Never below 0.2 articles per second.
    """
    rate = load * capacity
    if capacity_chars and chars:
        rate *= capacity_chars / chars
    return max(0.2, rate)


def _mean_chars(articles: Sequence[dict[str, Any]]) -> float | None:
    return statistics.fmean(len(a.get("text") or "") for a in articles) if articles else None


def throughput_rate(
    arrivals: Sequence[float], n: int, batches: Sequence[int | None]
) -> tuple[float, str]:
    """Articles per second of a throughput phase, and how it was taken.

    Outputs come a batch at a time, so the 10–90 % window is only meaningful over
    many batches (8 per worker). The batches are the workers' own count
    (``/metrics``), not a guess from ``batch_size``: a batch is whatever runs were
    waiting (up to ``QUEUED_RUNS`` full runs under the bench's burst; 300 articles
    before ``take_runs``), and a 10–90 % window over a few batches would cut between
    two of them and flatter the rate. Otherwise: first send to last output.
    """
    wall = arrivals[-1] if arrivals else float("nan")
    if arrivals and batches and all(b is not None and b >= 8 for b in batches):
        return steady_rate([(t, k + 1) for k, t in enumerate(arrivals)], n), "10-90%"
    return n / max(wall, 1e-9), "first send to last output"


def _batch_stats(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], wall: float
) -> dict[str, Any]:
    """What a worker's /metrics says about its enrichment batches during a phase."""

    def delta(name: str) -> float:
        return metric_total(after, name) - metric_total(before, name)

    if not after:
        return {"metrics": "unavailable"}
    count = delta("wirewatch_enrich_batch_size_count")
    articles = delta("wirewatch_enrich_batch_size_sum")
    busy = delta("wirewatch_enrich_batch_seconds_sum")
    return {
        "articles": int(articles),
        "batches": int(count),
        "mean_batch": round(articles / count, 1) if count else None,
        "nlp_thread_busy_s": round(busy, 2),
        "nlp_thread_busy_fraction": round(busy / wall, 3) if wall and wall > 0 else None,
        "records_out_per_article": records_per_article(before, after, articles),
    }


def loop_stalls(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]
) -> dict[str, int] | None:
    """How often a worker's event loop was held during a phase, from its 0.1-s loop probe
    (``wirewatch_event_loop_lag_seconds``): wakes later than 0.1 s and 0.25 s, of all."""
    name = "wirewatch_event_loop_lag_seconds"
    if name + "_count" not in after:
        return None

    def delta(metric: str, labels: str = "") -> float:
        return after.get(metric, {}).get(labels, 0.0) - before.get(metric, {}).get(labels, 0.0)

    wakes = delta(name + "_count")
    return {
        "wakes": int(wakes),
        "over_100ms": int(wakes - delta(name + "_bucket", '{le="0.1"}')),
        "over_250ms": int(wakes - delta(name + "_bucket", '{le="0.25"}')),
    }


def records_per_article(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], articles: float
) -> dict[str, float]:
    """Records the worker's agents produced per enriched article, by topic (prefix dropped).

    Every record is produced, sent over the loop the NLP thread shares the GIL with,
    and read back by the live feed or the next stage: ``actor-mentions`` dominates.
    """
    name = "wirewatch_articles_out_total"
    if articles <= 0:
        return {}
    out: dict[str, float] = {}
    for labels, value in after.get(name, {}).items():
        match = re.search(r'topic="([^"]*)"', labels)
        if match:
            n = value - before.get(name, {}).get(labels, 0.0)
            topic = match.group(1).rsplit(".", 1)[-1]
            out[topic] = round(out.get(topic, 0.0) + n / articles, 2)
    return dict(sorted(out.items()))


def _tables(metrics: dict[str, dict[str, float]]) -> dict[str, float]:
    out = {}
    for labels, value in metrics.get("wirewatch_table_keys", {}).items():
        out[labels.strip("{}").split("=", 1)[-1].strip('"')] = value
    return out


def _per_second(arrivals: Sequence[float], origin: float) -> list[int]:
    """Arrivals per 1-second bin from ``origin`` (the phase start)."""
    if not arrivals:
        return []
    counts = [0] * (int(max(arrivals) - origin) + 1)
    for t in arrivals:
        counts[max(0, int(t - origin))] += 1
    return counts


def _slope(points: list[tuple[float, float]]) -> float | None:
    """Theil–Sen slope dy/dx (the median of the slopes between every two points).

    Robust to outliers: RSS jumps by tens or hundreds of MB for one sample while a
    large fetch or batch is in flight, and a least-squares line through a flat series
    tilts towards a late spike. None when x does not vary.
    """
    xs = [float(x) for x, _ in points]
    if len(points) < 2 or min(xs) == max(xs):
        return None
    return float(theilslopes([float(y) for _, y in points], xs).slope)


def rss_verdict(samples: list[tuple[float, int, float]]) -> dict[str, Any]:
    """Does RSS level off? Compare its growth in the second half of the soak with the first.

    Growth is the robust (Theil–Sen) slope of RSS against articles processed (what
    must not happen: memory growing with the number of articles), so single samples —
    RSS jumps by tens of MB as the allocator and the GC work — do not decide. It
    levels off when the fitted growth over the second half is under 2 % of RSS, or
    under a quarter of the first half's rate.
    """
    too_short = len(samples) < 10 or samples[-1][1] < 1000
    if samples and samples[-1][0] - samples[0][0] < 60:
        too_short = True
    if too_short:
        return {
            "verdict": f"inconclusive: {samples[-1][1] if samples else 0} articles in "
            f"{samples[-1][0] - samples[0][0] if samples else 0:.0f} s (needs ≥ 1,000 and ≥ 60 s)",
            "levels_off": None,
            "samples": len(samples),
            "rss_start_mb": samples[0][2] if samples else None,
            "rss_end_mb": samples[-1][2] if samples else None,
            "rss_max_mb": max((x[2] for x in samples), default=None),
        }
    mid_t = (samples[0][0] + samples[-1][0]) / 2
    first = [x for x in samples if x[0] <= mid_t]
    second = [x for x in samples if x[0] >= mid_t]

    def per_10k(part: list[tuple[float, int, float]]) -> float | None:
        slope = _slope([(n, r) for _, n, r in part])
        return None if slope is None else slope * 10_000

    def per_min(part: list[tuple[float, int, float]]) -> float | None:
        slope = _slope([(t, r) for t, _, r in part])
        return None if slope is None else slope * 60

    a1, a2 = per_10k(first), per_10k(second)
    mean2 = statistics.fmean(x[2] for x in second)
    fitted2 = (a2 or 0.0) * (second[-1][1] - second[0][1]) / 10_000
    growth2 = fitted2 / mean2 * 100
    levels = growth2 < 2.0 or (a1 is not None and a2 is not None and a1 > 0 and a2 < 0.25 * a1)
    return {
        "verdict": "levels off" if levels else "still growing",
        "levels_off": levels,
        "samples": len(samples),
        "rss_start_mb": round(samples[0][2], 1),
        "rss_end_mb": round(samples[-1][2], 1),
        "rss_max_mb": round(max(x[2] for x in samples), 1),
        "mb_per_10k_articles_first_half": _r(a1),
        "mb_per_10k_articles_second_half": _r(a2),
        "mb_per_min_first_half": _r(per_min(first)),
        "mb_per_min_second_half": _r(per_min(second)),
        "fitted_growth_second_half_pct": round(growth2, 2),
        "projected_mb_per_million_articles": _r(a2 * 100 if a2 is not None else None),
    }


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)
