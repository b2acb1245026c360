"""Alerts end to end on the real broker: a real worker, a real webhook receiver on loopback,
a real Alertmanager (Debian's prometheus-alertmanager) — no Kafka mocks.

The module runs its own worker on its own topic prefix, configured with a user rules
file (test rules keyed on article ids, so delivery tests do not depend on NLP output),
the webhook receiver below and Alertmanager.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from streams.alerts.sinks.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify_signature,
)
from streams.config import Settings
from streams.demo import sample_articles
from streams.schemas import validator
from streams.topics import ensure_topics

from ..unit.test_alert_sinks import Alertmanager, sample_alert
from .conftest import WorkerProcess, collect, produce, settings_env

pytestmark = pytest.mark.integration

SECRET = "integration-hmac-secret-7f3a"
PATH_TOKEN = "XOXBPATHTOKEN9000"
TIMEOUT = 180.0

TEST_RULES = """
rules:
  - id: test-sentinel
    title: {en: "Sentinel ${title}", fr: "Sentinelle ${title}"}
    severity: info
    condition: "id.startsWith('sentinel-')"
    cooldown: 0s
  - id: test-undeliverable
    title: "Undeliverable ${title}"
    severity: info
    condition: "id.startsWith('undeliverable-')"
  - id: test-slow-sink
    title: "Slow sink ${title}"
    severity: info
    condition: "id.startsWith('slow-sink-')"
"""


class Receiver:
    """A webhook receiver: each idempotency key gets 500, 500, then 200.

    Alerts of rule test-undeliverable always get 500; test-slow-sink requests hang until
    ``release`` is set.
    """

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.per_key: dict[str, int] = {}
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.hanging = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rule = orjson.loads(body)["alert"]["rule_id"]
                key = self.headers.get(IDEMPOTENCY_HEADER, "")
                with receiver.lock:
                    n = receiver.per_key.get(key, 0)
                    receiver.per_key[key] = n + 1
                if rule == "test-slow-sink":
                    receiver.hanging.set()
                    receiver.release.wait(120)
                    status = 200
                elif rule == "test-undeliverable":
                    status = 500
                else:
                    status = 500 if n < 2 else 200
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "status": status,
                            "key": key,
                            "rule": rule,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/{PATH_TOKEN}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def for_key(self, key: str) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["key"] == key]

    def wait_for(self, key: str, count: int, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.for_key(key)
            if len(found) >= count:
                return found
            time.sleep(0.2)
        raise AssertionError(f"receiver got {len(self.for_key(key))} request(s) for {key}")

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager | None]:
    if not any(shutil.which(b) for b in Alertmanager.BINARY_NAMES):
        yield None
        return
    am = Alertmanager(tmp_path_factory.mktemp("alertmanager"))
    yield am
    am.stop()


@pytest.fixture(scope="module")
def alert_settings(topics_ready: Settings) -> Settings:
    """Topics of their own, so no other test's worker publishes alerts next to ours."""
    settings = topics_ready.replace(
        topic_prefix=f"{topics_ready.topic_prefix}al{uuid.uuid4().hex[:4]}."
    )
    ensure_topics(settings)
    return settings


@pytest.fixture(scope="module")
def alert_worker(
    alert_settings: Settings,
    receiver: Receiver,
    alertmanager: Alertmanager | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WorkerProcess]:
    workdir = tmp_path_factory.mktemp("alert-worker")
    rules = workdir / "test-rules.yaml"
    rules.write_text(TEST_RULES, encoding="utf-8")
    env = {
        "WIREWATCH_ALERT_RULES": str(rules),
        "WIREWATCH_ALERT_WEBHOOK_URL": receiver.url,
        "WIREWATCH_ALERT_WEBHOOK_SECRET": SECRET,
        "WIREWATCH_ALERT_DELIVERY_ATTEMPTS": "3",
        "WIREWATCH_ALERT_DELIVERY_BACKOFF": "0.2",
        # Long enough that the slow-sink test can watch the stuck delivery.
        "WIREWATCH_ALERT_DELIVERY_TIMEOUT": "120",
    }
    if alertmanager is not None:
        env["WIREWATCH_ALERT_ALERTMANAGER_URL"] = alertmanager.url
    proc = WorkerProcess(
        alert_settings, workdir / "worker.log", app_id=f"ww-al-{uuid.uuid4().hex[:6]}", **env
    ).start()
    yield proc
    proc.stop()


def _sample(article_id: str) -> dict[str, Any]:
    return next(a for a in sample_articles() if a["id"] == article_id)


def _raw(article: dict[str, Any]) -> bytes:
    return orjson.dumps(article)


def _article(article_id: str, text: str, title: str = "Test") -> dict[str, Any]:
    return {
        "id": article_id,
        "title": title,
        "source": "Test Wire",
        "language": "en",
        "published_at": "2017-11-20T10:00:00Z",
        "text": text,
    }


def _alerts(settings: Settings, until, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
    return collect(settings, "alerts", until, timeout=timeout)


def _alerts_for(records: list[dict], article_id: str) -> list[dict[str, Any]]:
    return [r["value"] for r in records if article_id in r["value"]["article_ids"]]


def _enriched(settings: Settings, article_id: str) -> dict[str, Any]:
    records = collect(
        settings,
        "articles-enriched",
        lambda rs: any(r["value"]["id"] == article_id for r in rs),
        timeout=TIMEOUT,
    )
    return next(r["value"] for r in records if r["value"]["id"] == article_id)


def _sentinel(settings: Settings) -> dict[str, Any]:
    """Publish a sentinel article and wait for its alert (everything before it is through)."""
    sentinel_id = f"sentinel-{uuid.uuid4().hex[:8]}"
    produce(
        settings,
        "raw-articles",
        [_raw(_article(sentinel_id, "The sentinel article marks a point in the stream."))],
        [sentinel_id.encode()],
    )
    records = _alerts(settings, lambda rs: bool(_alerts_for(rs, sentinel_id)))
    return _alerts_for(records, sentinel_id)[0]


# -- the reference story ------------------------------------------------------------------


def test_french_story_fires_the_syria_alert_and_a_second_outlet_updates_it(
    alert_worker: WorkerProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = alert_worker.settings
    afp = _sample("sample-afp-danang-fr")
    started = time.time()
    produce(settings, "raw-articles", [_raw(afp)], [afp["id"].encode()])

    enriched = _enriched(settings, afp["id"])
    if "events" not in enriched or "quotes" not in enriched:
        pytest.skip("the enrichment does not code events and quotes yet (issue 3)")

    def syria_alerts(records: list[dict]) -> list[dict]:
        return [
            r
            for r in records
            if r["value"]["rule_id"] == "syria-diplomatic-statement"
            and afp["id"] in r["value"]["article_ids"]
        ]

    records = _alerts(settings, lambda rs: bool(syria_alerts(rs)))
    first = syria_alerts(records)[0]
    alert = first["value"]
    with capsys.disabled():
        seconds = first["timestamp"] / 1000 - started
        print(f"\n[alerts] raw article → alert on the topic: {seconds:.2f}s")

    validator("alert.v1.json")(alert)
    assert first["key"] == alert["alert_id"].encode()
    assert alert["version"] == 1
    assert alert["story_id"] == enriched["story"]["id"]
    actor_ids = {a["id"] for a in alert["actors"]}
    assert {"donald-trump", "vladimir-putin"} <= actor_ids
    statement = alert["statement"]
    assert statement and statement["text"] and statement["text"] in afp["text"]
    assert {s["id"] for s in statement["speakers"]} & {"donald-trump", "vladimir-putin"}
    assert set(alert["title"]) == {"en", "fr"}
    assert alert["title"]["en"].startswith("Syria: diplomatic statement by")
    assert alert["sources"] == ["AFP"] and alert["first_seen"] == "2017-11-11T09:30:00.000Z"

    # The same story from a second outlet, slightly edited: version 2 of the same alert.
    copy = _sample("sample-lp-danang-fr")
    produce(settings, "raw-articles", [_raw(copy)], [copy["id"].encode()])

    def updated(records: list[dict]) -> list[dict]:
        return [
            r["value"]
            for r in records
            if r["value"]["alert_id"] == alert["alert_id"] and r["value"]["version"] >= 2
        ]

    records = _alerts(settings, lambda rs: bool(updated(rs)))
    second = updated(records)[0]
    validator("alert.v1.json")(second)
    assert second["version"] == 2
    assert second["sources_count"] == 2
    assert second["sources"] == ["AFP", "La Presse Régionale"]
    assert second["article_ids"] == [afp["id"], copy["id"]]
    assert second["last_seen"] == "2017-11-11T10:05:00.000Z"
    assert second["first_seen"] == alert["first_seen"]
    # Not a new alert: no other Syria alert names the copy.
    others = {
        r["value"]["alert_id"]
        for r in records
        if r["value"]["rule_id"] == "syria-diplomatic-statement"
        and copy["id"] in r["value"]["article_ids"]
    }
    assert others == {alert["alert_id"]}

    # The AFP article ingested again: no new version (the alert never fires twice for it).
    produce(settings, "raw-articles", [_raw(afp)], [afp["id"].encode()])
    _sentinel(settings)
    time.sleep(2)
    final = _alerts(settings, lambda rs: True, timeout=10)
    versions = [r["value"]["version"] for r in final if r["value"]["alert_id"] == alert["alert_id"]]
    assert max(versions) == 2


def test_unrelated_articles_fire_nothing(alert_worker: WorkerProcess) -> None:
    settings = alert_worker.settings
    unrelated = [_sample(i) for i in ("sample-football-fr", "sample-earnings-en")]
    produce(
        settings,
        "raw-articles",
        [_raw(a) for a in unrelated],
        [a["id"].encode() for a in unrelated],
    )
    for article in unrelated:
        _enriched(settings, article["id"])
    _sentinel(settings)  # produced after them: when its alert is out, they have been matched
    time.sleep(2)
    records = _alerts(settings, lambda rs: True, timeout=10)
    for article in unrelated:
        assert _alerts_for(records, article["id"]) == [], f"{article['id']} fired an alert"


# -- delivery -----------------------------------------------------------------------------


def test_webhook_500_500_200_gives_exactly_one_accepted_signed_delivery(
    alert_worker: WorkerProcess, receiver: Receiver
) -> None:
    alert = _sentinel(alert_worker.settings)
    key = f"{alert['alert_id']}:{alert['version']}"
    requests = receiver.wait_for(key, 3)
    assert [r["status"] for r in requests] == [500, 500, 200]
    for r in requests:
        headers = r["headers"]
        assert verify_signature(
            SECRET, headers[TIMESTAMP_HEADER], r["body"], headers[SIGNATURE_HEADER]
        )
        assert r["path"] == f"/hooks/T000/{PATH_TOKEN}"
        payload = orjson.loads(r["body"])
        assert payload["text"].startswith("[info] Sentinel") and payload["blocks"]
        assert payload["alert"]["alert_id"] == alert["alert_id"]
    time.sleep(3)  # nothing more arrives for this version: it was accepted once
    assert sum(r["status"] == 200 for r in receiver.for_key(key)) == 1
    assert len(receiver.for_key(key)) == 3


def test_alertmanager_round_trip(
    alert_worker: WorkerProcess, alertmanager: Alertmanager | None
) -> None:
    if alertmanager is None:
        pytest.skip("Alertmanager binary absent (Debian package prometheus-alertmanager)")
    alert = _sentinel(alert_worker.settings)
    deadline = time.monotonic() + 60
    found: list[dict] = []
    while time.monotonic() < deadline and not found:
        found = alertmanager.alerts(alert_id=alert["alert_id"])
        time.sleep(0.3)
    assert found, "the alert never reached Alertmanager"
    (am_alert,) = found
    assert am_alert["labels"]["alertname"] == "test-sentinel"
    assert am_alert["labels"]["rule"] == "test-sentinel"
    assert am_alert["labels"]["severity"] == "info"
    assert am_alert["annotations"]["title"] == alert["title"]["en"]
    assert am_alert["annotations"]["version"] == str(alert["version"])


def test_undeliverable_alert_goes_to_dead_letter_without_secrets(
    alert_worker: WorkerProcess, receiver: Receiver
) -> None:
    settings = alert_worker.settings
    article_id = f"undeliverable-{uuid.uuid4().hex[:8]}"
    produce(
        settings,
        "raw-articles",
        [_raw(_article(article_id, "This alert cannot be delivered."))],
        [article_id.encode()],
    )
    alert = _alerts_for(
        _alerts(settings, lambda rs: bool(_alerts_for(rs, article_id))), article_id
    )[0]

    def mine(records: list[dict]) -> list[dict]:
        return [
            r["value"]
            for r in records
            if r["value"].get("stage") == "deliver"
            and (r["value"].get("delivery") or {}).get("alert_id") == alert["alert_id"]
        ]

    dead = mine(collect(settings, "dead-letter", lambda rs: bool(mine(rs)), timeout=TIMEOUT))[0]
    validator("dead-letter.v1.json")(dead)
    assert dead["reason"] == "delivery_failed"
    assert dead["delivery"]["sink"] == "webhook" and dead["delivery"]["attempts"] == 3
    assert dead["delivery"]["error"].startswith("HTTP 500")
    assert len(receiver.for_key(f"{alert['alert_id']}:1")) == 3
    text = orjson.dumps(dead).decode()
    assert SECRET not in text and PATH_TOKEN not in text


def test_a_stuck_sink_does_not_stall_enrichment_or_alerting(
    alert_worker: WorkerProcess, receiver: Receiver
) -> None:
    settings = alert_worker.settings
    slow_id = f"slow-sink-{uuid.uuid4().hex[:8]}"
    produce(
        settings,
        "raw-articles",
        [_raw(_article(slow_id, "Its delivery will hang."))],
        [slow_id.encode()],
    )
    assert receiver.hanging.wait(TIMEOUT), "the slow sink was never called"
    try:
        # While the webhook delivery hangs, new articles are still enriched and alerted on.
        after = f"sentinel-{uuid.uuid4().hex[:8]}"
        produce(
            settings,
            "raw-articles",
            [_raw(_article(after, "Produced while a sink hangs."))],
            [after.encode()],
        )
        _enriched(settings, after)
        assert _alerts_for(_alerts(settings, lambda rs: bool(_alerts_for(rs, after))), after)
        assert not receiver.release.is_set()
    finally:
        receiver.release.set()


def test_alerts_tail_prints_title_speaker_quote_and_sources(alert_worker: WorkerProcess) -> None:
    settings = alert_worker.settings
    alert = sample_alert()  # a real alert.v1 record, published like the alert agent does
    alert["alert_id"] = f"alert-{uuid.uuid4().hex[:20]}"
    produce(settings, "alerts", [orjson.dumps(alert)], [alert["alert_id"].encode()])
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "alerts", "tail", "--timeout", "5"],
        env=settings_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    block = next(b for b in result.stdout.split("\n\n") if alert["alert_id"] in b)
    assert "⚑ [HIGH] Syrie : déclaration diplomatique de Donald Trump et Vladimir Putin" in block
    assert "Syria: diplomatic statement by Donald Trump and Vladimir Putin" in block
    assert "speaker: Donald Trump, Vladimir Putin" in block
    assert "said:    Donald Trump et Vladimir Poutine sont d'accord" in block
    assert "sources: 1 — AFP" in block


def test_worker_log_never_shows_the_webhook_secret_or_url(alert_worker: WorkerProcess) -> None:
    log = alert_worker.log_path.read_text(errors="replace")
    assert "alert delivery to webhook" in log
    assert SECRET not in log and PATH_TOKEN not in log
