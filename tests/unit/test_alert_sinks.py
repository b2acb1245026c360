"""Delivery sinks against real HTTP servers on loopback (and a real Alertmanager when installed)."""

from __future__ import annotations

import asyncio
import base64
import shutil
import socket
import subprocess
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import ClientSession, web

from streams.agents.deliver import delivery_dead_letter
from streams.alerts.matching import match_article
from streams.alerts.render import format_alert
from streams.alerts.rules import load_rules
from streams.alerts.sinks import (
    AlertmanagerSink,
    DeliveryFailed,
    RetryPolicy,
    WebhookSink,
    deliver_with_retries,
)
from streams.alerts.sinks.alertmanager import alertmanager_alert
from streams.alerts.sinks.base import redact, safe_target
from streams.alerts.sinks.webhook import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify_signature,
)
from streams.alerts.state import decide
from streams.records import SourceRef
from streams.schemas import validator

from .test_alert_matching import danang_record

SECRET = "s3cr3t-hmac-key-for-tests"
PATH_TOKEN = "B0SECRETPATHTOKEN42"
FAST = RetryPolicy(attempts=4, backoff_s=0.01, timeout_s=2.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sample_alert() -> dict[str, Any]:
    rules = load_rules()
    rule = rules.by_id["syria-diplomatic-statement"]
    match = next(m for m in match_article(danang_record(), rules).matches if m.rule_id == rule.id)
    return decide(
        None, match, rule, input_ref=(0, 1), emitted_at="2026-01-01T00:00:00.000Z"
    ).publish


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def serve(handler: Handler, path: str = "/{tail:.*}") -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    app = web.Application()
    app.router.add_post(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


class FlakyReceiver:
    """Answers each idempotency key with the given statuses in turn, then 200."""

    def __init__(self, statuses: list[int], body: str = "") -> None:
        self.statuses = statuses
        self.body = body
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        self.per_key: Counter[str] = Counter()

    async def __call__(self, request: web.Request) -> web.Response:
        body = await request.read()
        key = request.headers.get(IDEMPOTENCY_HEADER, "")
        n = self.per_key[key]
        self.per_key[key] += 1
        status = self.statuses[n] if n < len(self.statuses) else 200
        self.requests.append((dict(request.headers), body, status))
        return web.Response(status=status, text=self.body)


def run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _deliver(sink_factory, handler: Handler, alert: dict, policy=FAST, path="/{tail:.*}"):
    runner, base = await serve(handler, path)
    try:
        sink = sink_factory(base)
        async with ClientSession() as session:
            return await deliver_with_retries(sink, session, alert, policy)
    finally:
        await runner.cleanup()


def webhook_at(base: str) -> WebhookSink:
    return WebhookSink(f"{base}/hooks/T000/{PATH_TOKEN}", SECRET, FAST)


# -- webhook ----------------------------------------------------------------------------


def test_webhook_500_500_200_is_one_accepted_delivery_with_verifiable_signatures() -> None:
    alert = sample_alert()
    receiver = FlakyReceiver([500, 500])
    attempts = run(_deliver(webhook_at, receiver, alert))
    assert attempts == 3
    assert [status for _, _, status in receiver.requests] == [500, 500, 200]
    keys = {headers[IDEMPOTENCY_HEADER] for headers, _, _ in receiver.requests}
    assert keys == {f"{alert['alert_id']}:1"}
    for headers, body, _ in receiver.requests:
        assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
        assert not verify_signature(
            "wrong", headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER]
        )
    payload = orjson.loads(receiver.requests[-1][1])
    assert payload["text"].startswith("[high] Syrie : déclaration diplomatique de Donald Trump")
    assert payload["blocks"][0]["type"] == "header"
    assert "Donald Trump" in payload["blocks"][1]["text"]["text"]
    assert payload["alert"] == alert


def test_webhook_gives_up_after_the_budget_without_leaking_secrets() -> None:
    alert = sample_alert()
    # A receiver that echoes the secret and the URL back must not get them into the error.
    receiver = FlakyReceiver([500] * 10, body=f"bad signature {SECRET} at /hooks/T000/{PATH_TOKEN}")
    with pytest.raises(DeliveryFailed) as info:
        run(_deliver(webhook_at, receiver, alert))
    failure = info.value
    assert failure.attempts == FAST.attempts == len(receiver.requests)
    assert failure.error.startswith("HTTP 500")
    text = f"{failure} {failure.error} {failure.target}"
    assert SECRET not in text and PATH_TOKEN not in text and "/hooks" not in text
    assert failure.target.startswith("http://127.0.0.1:")

    record = delivery_dead_letter(
        orjson.dumps(alert),
        SourceRef("alerts", 0, 5, None, alert["alert_id"].encode()),
        alert,
        failure,
    )
    validator("dead-letter.v1.json")(record)
    assert record["stage"] == "deliver" and record["reason"] == "delivery_failed"
    assert record["delivery"]["sink"] == "webhook" and record["delivery"]["attempts"] == 4
    original = record["original"]
    data = original["data"].encode()
    assert (
        orjson.loads(base64.b64decode(data) if original["encoding"] == "base64" else data) == alert
    )
    assert SECRET not in orjson.dumps(record).decode()
    assert PATH_TOKEN not in orjson.dumps(record).decode()


def test_webhook_client_errors_are_not_retried() -> None:
    receiver = FlakyReceiver([400] * 10)
    with pytest.raises(DeliveryFailed) as info:
        run(_deliver(webhook_at, receiver, sample_alert()))
    assert info.value.attempts == 1 and info.value.error.startswith("HTTP 400")


def test_webhook_timeout_is_retried_then_reported() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.Response()

    policy = RetryPolicy(attempts=2, backoff_s=0.01, timeout_s=0.2)
    started = time.monotonic()
    with pytest.raises(DeliveryFailed) as info:
        run(_deliver(lambda b: WebhookSink(b + "/x", SECRET, policy), slow, sample_alert(), policy))
    assert info.value.error == "timed out after 0.2s" and info.value.attempts == 2
    assert time.monotonic() - started < 5


def test_webhook_connection_refused() -> None:
    port = free_port()
    sink = WebhookSink(f"http://127.0.0.1:{port}/hooks/{PATH_TOKEN}", SECRET, FAST)

    async def go() -> None:
        async with ClientSession() as session:
            await deliver_with_retries(sink, session, sample_alert(), FAST)

    with pytest.raises(DeliveryFailed) as info:
        run(go())
    assert info.value.error.startswith("cannot connect")
    assert PATH_TOKEN not in str(info.value)


def test_signature_is_hmac_sha256_of_timestamp_and_body() -> None:
    import hashlib
    import hmac

    body = b'{"a":1}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(SECRET, "1700000000", body) == f"sha256={expected}"
    assert verify_signature(SECRET, "1700000000", body, f"sha256={expected}", now=1700000100)
    assert not verify_signature(SECRET, "1700000000", body, f"sha256={expected}", now=1700009999)
    assert not verify_signature(SECRET, "soon", body, f"sha256={expected}")


def test_safe_target_and_redact() -> None:
    assert safe_target("https://user:pw@hooks.example.com:8443/a/b?token=x") == (
        "https://hooks.example.com:8443"
    )
    assert redact("token abc123 and abc", ["abc123"]) == "token *** and abc"


# -- Alertmanager -----------------------------------------------------------------------


def test_alertmanager_payload_has_stable_labels_and_the_statement() -> None:
    alert = sample_alert()
    posted = alertmanager_alert(alert, resolve_after_s=3600, now=1_800_000_000)
    assert posted["labels"] == {
        "alertname": "syria-diplomatic-statement",
        "rule": "syria-diplomatic-statement",
        "severity": "high",
        "actors": "donald-trump,vladimir-putin",
        "topic": "SYR",
        "alert_id": alert["alert_id"],
        "source": "wirewatch",
        "story_id": "story-00000000000000aa",
    }
    notes = posted["annotations"]
    assert notes["title"] == "Syria: diplomatic statement by Donald Trump and Vladimir Putin"
    assert notes["title_fr"].startswith("Syrie : déclaration diplomatique")
    assert notes["speaker"] == "Donald Trump, Vladimir Putin"
    assert "pas de solution militaire" in notes["quote"]
    assert notes["links"] == "https://example.org/afp-1"
    assert posted["generatorURL"] == "https://example.org/afp-1"
    assert posted["endsAt"] > posted["startsAt"]


def test_alertmanager_sink_posts_to_the_v2_api() -> None:
    received: list[Any] = []

    async def api(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    alert = sample_alert()
    sink_factory = lambda base: AlertmanagerSink(base, FAST, 3600)  # noqa: E731
    assert run(_deliver(sink_factory, api, alert, path="/api/v2/alerts")) == 1
    (batch,) = received
    assert batch[0]["labels"]["alert_id"] == alert["alert_id"]


class Alertmanager:
    """A real ``prometheus-alertmanager`` on a loopback port with a temporary config."""

    BINARY_NAMES = ("prometheus-alertmanager", "alertmanager")

    def __init__(self, workdir: Path) -> None:
        binary = next((shutil.which(b) for b in self.BINARY_NAMES if shutil.which(b)), None)
        if binary is None:
            pytest.skip(
                "Alertmanager is not installed (Debian package prometheus-alertmanager; "
                ".ci/run installs it)"
            )
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = workdir / "alertmanager.yml"
        config.write_text(
            "route:\n  receiver: blackhole\n  group_wait: 1h\nreceivers:\n  - name: blackhole\n"
        )
        (workdir / "data").mkdir(exist_ok=True)
        self.log_path = workdir / "alertmanager.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [
                binary,
                f"--config.file={config}",
                f"--storage.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"alertmanager exited:\n{self.log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"alertmanager not ready:\n{self.log_path.read_text()[-2000:]}")

    def alerts(self, **labels: str) -> list[dict[str, Any]]:
        from urllib.parse import quote

        matchers = [k + '="' + v + '"' for k, v in labels.items()]
        query = "&".join("filter=" + quote(m) for m in matchers)
        with urllib.request.urlopen(f"{self.url}/api/v2/alerts?{query}", timeout=5) as resp:
            return orjson.loads(resp.read())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Alertmanager]:
    am = Alertmanager(tmp_path)
    yield am
    am.stop()


def test_real_alertmanager_accepts_the_alert_and_returns_it(alertmanager: Alertmanager) -> None:
    alert = sample_alert()
    sink = AlertmanagerSink(alertmanager.url, FAST, 3600)

    async def go() -> int:
        async with ClientSession() as session:
            return await deliver_with_retries(sink, session, alert, FAST)

    assert run(go()) == 1
    (found,) = alertmanager.alerts(alert_id=alert["alert_id"])
    assert found["labels"]["alertname"] == "syria-diplomatic-statement"
    assert found["labels"]["severity"] == "high"
    assert found["annotations"]["speaker"] == "Donald Trump, Vladimir Putin"
    assert found["status"]["state"] in {"active", "unprocessed"}


# -- readable forms ---------------------------------------------------------------------


def test_format_alert_shows_title_speaker_quote_and_sources() -> None:
    text = format_alert(sample_alert())
    lines = text.splitlines()
    assert lines[0].startswith("⚑ [HIGH] Syrie : déclaration diplomatique de Donald Trump")
    assert "(new alert)" in lines[0]
    assert any(
        line.strip() == "Syria: diplomatic statement by Donald Trump and Vladimir Putin"
        for line in lines
    )
    assert any(line.strip().startswith("speaker: Donald Trump, Vladimir Putin") for line in lines)
    # Reported speech is shown as what was said, without quotation marks…
    assert any("said:    Donald Trump et Vladimir Poutine sont d'accord" in line for line in lines)
    # …a direct quote in the article's quotation marks.
    rules = load_rules()
    matches = match_article(danang_record(), rules).matches
    quoted = next(m for m in matches if m.rule_id == "watched-actor-quoted")
    rule = rules.by_id[quoted.rule_id]
    direct = decide(None, quoted, rule, input_ref=None, emitted_at="2026-01-01T00:00:00Z").publish
    assert "quote:   « Nous allons avoir une formidable relation" in format_alert(direct)
    assert any(line.strip() == "sources: 1 — AFP" for line in lines)
