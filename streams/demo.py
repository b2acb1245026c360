"""``wirewatch demo`` (``make demo``): the whole system on a real broker, on real articles.

Starts the local broker unless a cluster is configured, starts a worker process,
ingests the bundled sample stream and prints what comes out — enriched records,
dead letters and alerts — until Ctrl-C, which stops exactly what it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from . import broker
from .config import Settings
from .ingest import read_articles
from .kafka_clients import consumer, producer
from .topics import ALERTS, ARTICLES_ENRICHED, DEAD_LETTER, RAW_ARTICLES, ensure_topics

SAMPLE_STREAM = Path(__file__).with_name("samples") / "sample-stream.jsonl"


def sample_articles() -> list[dict[str, Any]]:
    return list(read_articles([SAMPLE_STREAM]))


def _say(msg: str) -> None:
    print(msg, flush=True)


def describe(topic_base: str, value: dict[str, Any]) -> str:
    """One readable block per output record."""
    if topic_base == DEAD_LETTER.base:
        return f"✗ dead-letter  {value.get('reason')}: {value.get('message')}"
    if topic_base == ALERTS.base:
        from .alerts.render import format_alert

        return format_alert(value)
    lines = [f"✓ enriched  {value['id']}  [{value['language']}]  {value.get('title') or ''}"]
    ents = value.get("entities", [])
    if ents:
        shown = ", ".join(f"{e['text']} ({e['label']})" for e in ents[:10])
        lines.append(f"    entities: {shown}{' …' if len(ents) > 10 else ''}")
    for key in ("actors", "places"):
        items = value.get(key) or []
        if items:
            names = ", ".join(
                f"{a['name']}" + (f" [{a['cameo']}]" if a.get("cameo") else "") for a in items[:10]
            )
            lines.append(f"    {key}: {names}")
    if value.get("dateline"):
        d = value["dateline"]
        lines.append(f"    dateline: {d.get('place')} / {d.get('country')}")
    for q in (value.get("quotes") or [])[:3]:
        who = ", ".join(q.get("speakers") or []) or "?"
        lines.append(f"    quote: {who}: « {q['text'][:90]} »")
    for ev in (value.get("events") or [])[:3]:
        who = ", ".join(ev.get("source_actors") or []) or "?"
        whom = ", ".join(ev.get("target_actors") or []) or "?"
        lines.append(f"    event: {ev['code']} {ev['label']}  {who} → {whom}")
    topics = value.get("topics")
    if isinstance(topics, dict):
        codes = [c.get("code") for c in topics.get("countries") or []]
        codes += [t.get("code") for t in topics.get("themes") or []]
        topics = ", ".join(c for c in codes if c)
    if topics:
        lines.append(f"    topics: {topics}")
    return "\n".join(lines)


def run_demo(settings: Settings, count: int | None = None, timeout: float = 180.0) -> None:
    started_broker = False
    if settings.manages_broker:
        already = broker.read_state(settings)
        _say(
            f"• starting Kafka on 127.0.0.1:{settings.broker_port} "
            "(first run fetches its jars from Maven Central)…"
        )
        try:
            state = broker.up(settings)
        except broker.BrokerError as exc:
            raise RuntimeError(str(exc)) from None
        started_broker = already is None or already.pid != state.pid
        _say(f"  broker pid {state.pid}, log {state.log_file}")
    else:
        _say(f"• using the configured cluster {settings.bootstrap}")
    ensure_topics(settings)

    log_dir = settings.home / "demo"
    log_dir.mkdir(parents=True, exist_ok=True)
    worker_log = log_dir / "worker.log"
    _say(f"• starting a worker (log: {worker_log})…")
    env = {
        **os.environ,
        "WIREWATCH_BOOTSTRAP_SERVERS": settings.bootstrap_servers or "",
        "WIREWATCH_TOPIC_PREFIX": settings.topic_prefix,
        "WIREWATCH_BROKER_PORT": str(settings.broker_port),
    }
    with worker_log.open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "streams.cli", "worker"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    outputs = [ARTICLES_ENRICHED, DEAD_LETTER, ALERTS]
    cons = consumer(
        settings,
        *(t.name(settings) for t in outputs),
        auto_offset_reset="latest",
        consumer_timeout_ms=1000,
    )
    _wait_assigned(cons)
    articles = sample_articles()
    prod = producer(settings)
    for art in articles:
        prod.send(RAW_ARTICLES.name(settings), key=art["id"].encode(), value=orjson.dumps(art))
    prod.flush()
    prod.close()
    _say(
        f"• ingested {len(articles)} sample articles into {RAW_ARTICLES.name(settings)}; "
        "waiting for the worker (loading the language models takes a few seconds)…\n"
    )

    wanted = count if count is not None else len(articles)
    seen = 0
    deadline = time.monotonic() + timeout
    by_name = {t.name(settings): t.base for t in outputs}
    try:
        while True:
            for msg in cons:
                _say(describe(by_name[msg.topic], orjson.loads(msg.value)))
                seen += msg.topic == ARTICLES_ENRICHED.name(settings)
                deadline = time.monotonic() + timeout
            if worker.poll() is not None:
                raise RuntimeError(
                    f"the worker exited with code {worker.returncode}; see {worker_log}"
                )
            if count is not None and seen >= wanted:
                break
            if seen >= wanted and count is None:
                _say(_where_to_look(settings, worker_log))
                wanted = float("inf")  # keep following until Ctrl-C
            if time.monotonic() > deadline:
                raise RuntimeError(f"no output for {timeout:.0f}s; see {worker_log}")
    except KeyboardInterrupt:
        _say("\n• Ctrl-C: stopping what the demo started…")
    finally:
        cons.close()
        _stop(worker)
        if started_broker:
            broker.down(settings)
            _say("• broker stopped")
    _say("• done")


def _wait_assigned(cons, timeout: float = 30.0) -> None:
    """Poll until the consumer has partitions, so 'latest' means 'before our ingest'."""
    deadline = time.monotonic() + timeout
    while not cons.assignment() and time.monotonic() < deadline:
        cons.poll(timeout_ms=200)
    for tp in cons.assignment():
        cons.position(tp)


def _stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _where_to_look(settings: Settings, worker_log: Path) -> str:
    return (
        "\n• all sample articles are through. Where to look:\n"
        f"    http://{settings.web_host}:{settings.web_port}/   # the live dashboard\n"
        "    wirewatch tail articles-enriched     # the full records\n"
        "    wirewatch alerts tail                # alerts, readably\n"
        "    wirewatch tail dead-letter           # anything rejected, with the reason\n"
        f"    worker log: {worker_log}\n"
        "  Still following new output — ingest more with `wirewatch ingest FILE`; "
        "Ctrl-C stops the worker" + (" and the broker." if settings.manages_broker else ".")
    )
