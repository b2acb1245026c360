"""Transport ceiling: a bare aiokafka consume → produce loop vs the Faust pass-through agent.

Both read the same prefilled topic of 5 KB articles (from the beginning, each with
its own consumer group), do the same work per message (orjson decode, orjson encode,
send with the raw record's timestamp and one header) with the worker's producer
settings, and write to a topic of their own. Each runs alone, in its own process,
so both compete equally with the broker for the cores. The bench process only reads
the output topics' end offsets, never the data, to time them.

A third run, the pass-through with its sends taken out (``BENCH_PROGRESS`` in
``bench.passthrough``), measures the most any Faust agent reads per second here:
when that is below a goal, no change to what the agent does with a record can
reach the goal.

Run as ``python -m bench.transport --src … --dst … --count N`` for the bare loop;
``BENCH_PRODUCER_OVERRIDES`` (JSON aiokafka producer arguments, e.g.
``{"max_batch_size": 1048576}``) changes its producer, for experiments.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition

from streams import codecs
from streams.app import use_event_loop
from streams.config import Settings, load_settings
from streams.timeutil import now_rfc3339

from .kafka_io import aiokafka_kwargs, product_producer
from .procs import BenchError, Child, child_env, cpu_seconds


# -- the bare loop (child process) --------------------------------------------------
async def bare_loop(settings: Settings, src: str, dst: str, count: int, group: str) -> None:
    """Consume ``count`` messages from ``src`` and produce each, re-encoded, to ``dst``."""
    consumer = AIOKafkaConsumer(
        src,
        **aiokafka_kwargs(settings),
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=True,
        max_partition_fetch_bytes=settings.transport_max_bytes,
    )
    overrides = orjson.loads(os.environ.get("BENCH_PRODUCER_OVERRIDES") or "{}")
    producer = product_producer(settings, **overrides)
    await consumer.start()
    await producer.start()
    done = 0
    try:
        while done < count:
            batches = await consumer.getmany(timeout_ms=500)
            enriched_at = now_rfc3339().encode()
            for messages in batches.values():
                for msg in messages:
                    value = codecs.dumps(orjson.loads(msg.value))
                    await producer.send(
                        dst,
                        value=value,
                        key=msg.key,
                        timestamp_ms=msg.timestamp,
                        headers=[("wirewatch-enriched-at", enriched_at)],
                    )
                    done += 1
        await producer.flush()
    finally:
        await producer.stop()
        await consumer.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", required=True)
    parser.add_argument("--dst", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--group", required=True)
    args = parser.parse_args(argv)
    settings = load_settings()
    use_event_loop(settings.event_loop)  # the loop the pass-through's worker runs on
    asyncio.run(bare_loop(settings, args.src, args.dst, args.count, args.group))


# -- measurement (bench process) ----------------------------------------------------
@dataclass
class LoopRun:
    """The output count (and the loop's CPU seconds) over time for one loop."""

    name: str
    total: int
    series: list[tuple[float, int, float | None]] = field(default_factory=list)  # t, n, cpu

    def summary(self) -> dict[str, Any]:
        steady = steady_rate([(t, n) for t, n, _ in self.series], self.total)
        cpu = _cpu_in_window(self.series, self.total)
        return {
            "messages": self.total,
            "messages_per_s": steady,
            "seconds": round(self.series[-1][0] - self.series[0][0], 3) if self.series else None,
            "messages_per_cpu_s": cpu,
            "timeline": thin([(round(t, 3), n) for t, n, _ in self.series], 400),
        }


def steady_rate(series: list[tuple[float, int]], total: int) -> float:
    """Outputs per second between 10 % and 90 % of ``total`` (start-up and tail excluded).

    Tiny runs may cross both marks between two samples; then the rate is taken from
    the first output to the last, and never from a zero interval.
    """
    t10 = crossing(series, 0.1 * total)
    t90 = crossing(series, 0.9 * total)
    if t10 is not None and t90 is not None and t90 - t10 > 0.05:
        return 0.8 * total / (t90 - t10)
    first = next((t for t, n in series if n > 0), series[0][0])
    last = crossing(series, total) or series[-1][0]
    return total / max(last - first, 0.05)


def crossing(series: list[tuple[float, int]], level: float) -> float | None:
    """The time a non-decreasing count first reaches ``level`` (linear interpolation)."""
    prev_t, prev_n = None, 0
    for t, n in series:
        if n >= level:
            if prev_t is None or n == prev_n:
                return t
            return prev_t + (t - prev_t) * (level - prev_n) / (n - prev_n)
        prev_t, prev_n = t, n
    return None


def _cpu_in_window(series: list[tuple[float, int, float | None]], total: int) -> float | None:
    points = [(n, cpu) for _, n, cpu in series if cpu is not None]
    lo = [(n, c) for n, c in points if n >= 0.1 * total]
    hi = [(n, c) for n, c in points if n >= 0.9 * total]
    if not lo or not hi or hi[0][1] - lo[0][1] <= 0:
        return None
    return (hi[0][0] - lo[0][0]) / (hi[0][1] - lo[0][1])


def thin(points: list[Any], limit: int) -> list[Any]:
    step = max(1, len(points) // limit)
    return points[::step] + ([points[-1]] if points and (len(points) - 1) % step else [])


async def prefill(settings: Settings, topic: str, messages: list[bytes], progress) -> float:
    """Write the source topic once (keys spread over partitions); return messages/s."""
    producer = product_producer(settings, linger_ms=20, max_batch_size=1 << 20)
    await producer.start()
    started = time.perf_counter()
    try:
        for i, value in enumerate(messages):
            await producer.send(topic, value=value, key=f"t{i}".encode())
            if i % 500 == 0:
                progress(i)
        await producer.flush()
    finally:
        await producer.stop()
    progress(len(messages))
    return len(messages) / max(time.perf_counter() - started, 1e-6)


def read_progress(path: Path) -> int:
    """The last count a consume-only pass-through wrote (0 before its first line)."""
    try:
        lines = path.read_bytes().split()
    except FileNotFoundError:
        return 0
    return int(lines[-1]) if lines else 0


async def watch(
    settings: Settings, child: Child, out: str | Path, total: int, idle_timeout: float, progress
) -> LoopRun:
    """Sample the child's output count and CPU until ``total`` messages are through.

    ``out`` is the topic the child writes (its end offsets are the count) or, for a
    child that sends nothing, the progress file it writes.
    """
    consumer = AIOKafkaConsumer(**aiokafka_kwargs(settings), group_id=None)
    await consumer.start()
    run = LoopRun(child.name, total)
    try:
        parts = [TopicPartition(out, p) for p in range(settings.partitions)]
        started = time.perf_counter()
        last_n, last_change = -1, time.monotonic()
        while True:
            if isinstance(out, Path):
                n = read_progress(out)
            else:
                n = int(sum((await consumer.end_offsets(parts)).values()))
            run.series.append((time.perf_counter() - started, n, cpu_seconds(child.pid)))
            progress(n)
            if n >= total:
                return run
            if n != last_n:
                last_n, last_change = n, time.monotonic()
            elif time.monotonic() - last_change > idle_timeout:
                raise BenchError(
                    f"{child.name}: {n} of {total} messages after {idle_timeout:.0f}s "
                    f"without progress:\n{child.log_tail()}"
                )
            if not child.alive and n < total:
                child.check_alive()
            await asyncio.sleep(0.1)
    finally:
        await consumer.stop()


def loop_children(
    settings: Settings, src: str, count: int, run_id: str, logs: Path
) -> list[tuple[str, Child, str | Path]]:
    """The loops to compare: result key, child, output (a topic, or a progress file)."""
    bare_dst, faust_dst = f"{src}.bare", f"{src}.faust"
    bare = Child(
        "bare-aiokafka",
        [
            sys.executable,
            "-m",
            "bench.transport",
            "--src",
            src,
            "--dst",
            bare_dst,
            "--count",
            str(count),
            "--group",
            f"b{run_id}-bare",
        ],
        child_env(settings),
        logs / "transport-bare.log",
    )

    def passthrough(name: str, **env: str) -> Child:
        """``bench.passthrough`` as its own Faust app (own consumer group, own log)."""
        app_id = f"b{run_id}-{name}"
        return Child(
            f"faust-{name}",
            [sys.executable, "-m", "bench.passthrough"],
            child_env(
                settings.replace(app_id=app_id),
                WIREWATCH_APP_ID=app_id,
                BENCH_SRC=src,
                BENCH_DST=faust_dst,
                **env,
            ),
            logs / f"transport-faust-{name}.log",
        )

    consumed = logs / "transport-faust-consume-only.progress"
    faust_app = passthrough("passthrough")
    consume_only = passthrough("consume-only", BENCH_PROGRESS=str(consumed), BENCH_COUNT=str(count))
    return [
        ("bare", bare, bare_dst),
        ("faust", faust_app, faust_dst),
        ("faust_consume_only", consume_only, consumed),
    ]


async def measure_loop(
    settings: Settings, child: Child, dst: str | Path, count: int, idle_timeout: float, progress
) -> LoopRun:
    child.start()
    try:
        return await watch(settings, child, dst, count, idle_timeout, progress)
    finally:
        with contextlib.suppress(Exception):
            child.stop()


if __name__ == "__main__":
    main()


async def run_transport(
    settings: Settings,
    messages: list[bytes],
    run_id: str,
    logs: Path,
    broker_pid: int | None,
    idle_timeout: float = 120.0,
    progress: bool = True,
) -> dict[str, Any]:
    """Prefill once, then time each loop (bare, Faust pass-through, Faust consume-only) alone."""
    from tqdm import tqdm

    from .cluster import create_topics

    src = f"b{run_id}-transport"
    count = len(messages)
    children = loop_children(settings, src, count, run_id, logs)
    await asyncio.to_thread(
        create_topics,
        settings,
        {
            src: settings.partitions,
            **{dst: settings.partitions for _, _, dst in children if isinstance(dst, str)},
        },
    )

    def bar(desc: str) -> tuple[Any, Any]:
        b = tqdm(total=count, desc=desc, unit=" msg", disable=not progress, dynamic_ncols=True)
        return b, lambda n: b.update(n - b.n)

    b, update = bar("transport: prefill")
    produce_rate = await prefill(settings, src, messages, update)
    b.close()
    out: dict[str, Any] = {
        "messages": count,
        "message_bytes": round(sum(map(len, messages)) / count),
        "prefill_messages_per_s": produce_rate,
    }
    for key, child, dst in children:
        b, update = bar(f"transport: {child.name}")
        broker0 = cpu_seconds(broker_pid)
        run = await measure_loop(settings, child, dst, count, idle_timeout, update)
        b.close()
        broker1 = cpu_seconds(broker_pid)
        out[key] = run.summary()
        if broker0 is not None and broker1 is not None:
            out[key]["broker_cpu_s"] = round(broker1 - broker0, 2)
    return out
