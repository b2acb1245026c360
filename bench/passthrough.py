"""A bench-only Faust app: the enrich agent's shape with the NLP taken out.

It measures what Faust costs when it moves articles: the worker's own ``faust.App``
(``streams.app.faust_app``: acks, linger, batch, fetch and request sizes, and the
worker's transport, ``streams.faust_transport``), the raw topic delivered in runs
of up to ``batch_size`` raw records (``faust_transport.run_topic``), values decoded
with orjson in the NLP thread pool exactly where ``enrich_batch`` would run, and
one ``send_record`` per record (the orjson codec, straight to Faust's producer, as
the worker's agents send), with the same timestamp and header. Divided by a bare
aiokafka loop doing the same decode/encode work, it says how much of the transport
ceiling Faust keeps.

Run as ``python -m bench.passthrough`` with ``WIREWATCH_*`` settings and
``BENCH_SRC``/``BENCH_DST`` topic names in the environment (``bench.transport``
does this). For experiments, ``BENCH_FAUST_OVERRIDES`` (a JSON object of
``faust.App`` settings, e.g. ``{"producer_max_batch_size": 1048576}``) and
``BENCH_PASSTHROUGH_EXECUTOR=0`` (decode on the event loop) change this app only.

With ``BENCH_PROGRESS=<file>`` (and ``BENCH_COUNT``) the agent sends nothing: it
consumes and decodes exactly as above and appends the number of messages consumed
so far to the file, about 20 times a second. That rate is the ceiling of any Faust
agent with these settings on this topic, before it produces a single record: it
tells whether a transport goal is reachable with Faust at all.
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import faust
import orjson

from streams import faust_transport
from streams.app import faust_app, run_worker
from streams.config import Settings, load_settings
from streams.faust_transport import send_record
from streams.timeutil import now_rfc3339


def decode_batch(values: list[bytes | None]) -> list[Any]:
    """Where the enrich agent calls ``enrich_batch``: parse every value (no NLP)."""
    return [orjson.loads(v) if v else None for v in values]


class Progress:
    """Messages consumed so far, appended to a file the bench polls (consume-only mode)."""

    EVERY_S = 0.05

    def __init__(self, path: str, total: int) -> None:
        self.fh = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
        self.total = total
        self.count = 0
        self.last = 0.0

    def add(self, n: int) -> None:
        self.count += n
        now = time.monotonic()
        if now - self.last >= self.EVERY_S or self.count >= self.total:
            self.last = now
            self.fh.write(f"{self.count}\n")


def create_passthrough_app(
    settings: Settings,
    src: str,
    dst: str,
    overrides: dict[str, Any] | None = None,
    use_executor: bool = True,
) -> faust.App:
    """The worker's own App (``streams.app.faust_app``: settings and transport), no web server."""
    # The web server is not on the message path; off, it saves a port per run.
    app = faust_app(settings, **{"web_enabled": False, **(overrides or {})})
    source = faust_transport.run_topic(
        app,
        src,
        max_records=settings.batch_size,
        partitions=settings.partitions,
        replicas=settings.replication_factor,
    )
    progress = None
    if os.environ.get("BENCH_PROGRESS"):
        progress = Progress(os.environ["BENCH_PROGRESS"], int(os.environ["BENCH_COUNT"]))
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-passthrough")

    @app.agent(source, name="passthrough")
    async def passthrough(stream: faust.StreamT) -> None:
        loop = asyncio.get_running_loop()
        async for batch in faust_transport.take_runs(stream):
            run = batch.records
            raw = [m.value for m in run]
            if use_executor:
                values = await loop.run_in_executor(executor, decode_batch, raw)
            else:
                values = decode_batch(raw)
            if progress is not None:
                progress.add(len(values))
                continue
            enriched_at = now_rfc3339().encode()
            for message, value in zip(run, values, strict=True):
                await send_record(
                    app,
                    dst,
                    message.key,
                    value,
                    timestamp=message.timestamp or None,
                    headers={"wirewatch-enriched-at": enriched_at},
                )

    return app


def main() -> None:
    settings = load_settings()
    app = create_passthrough_app(
        settings,
        os.environ["BENCH_SRC"],
        os.environ["BENCH_DST"],
        overrides=orjson.loads(os.environ.get("BENCH_FAUST_OVERRIDES") or "{}"),
        use_executor=os.environ.get("BENCH_PASSTHROUGH_EXECUTOR", "1") != "0",
    )
    run_worker(app, settings.log_level, settings.event_loop)


if __name__ == "__main__":
    main()
