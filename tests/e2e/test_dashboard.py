"""The dashboard in headless Chromium: it fills in live, without reloads, and runs no scripts.

Articles go in through the real pipeline (``wirewatch ingest`` → enrichment →
actor tables); an enriched article and an alert carrying script payloads are
produced to their topics as downstream stages would. The page must show all of
it over Server-Sent Events, render the payloads as text, never execute them, and
never reload. A screenshot is kept in ``artifacts/``.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.config import Settings
from streams.topics import ensure_topics
from tests.kafka_fixtures import WorkerProcess, produce, settings_env

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "streams" / "samples" / "sample-stream.jsonl"
PAYLOAD_TITLE = "<img src=x onerror=\"window.__pwned='title'\">Paris talks"
PAYLOAD_QUOTE = "<script>window.__pwned='quote'</script>Nous allons parler"
PAYLOAD_NAME = "<b onmouseover=\"window.__pwned='name'\">Vladimir Putin</b>"


def wait_healthy(worker: WorkerProcess, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    url = f"http://127.0.0.1:{worker.web_port}/healthz"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                body = orjson.loads(resp.read())
                if body["tables_ready"] and body["live_feed_ready"]:
                    return
        except OSError:
            pass
        assert worker.alive, worker.log_tail()
        time.sleep(0.5)
    raise AssertionError("worker never became ready:\n" + worker.log_tail())


@pytest.fixture(scope="module")
def dashboard_worker(
    topics_ready: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorkerProcess]:
    settings = topics_ready.replace(topic_prefix=f"{topics_ready.topic_prefix}dash.")
    ensure_topics(settings)
    log = tmp_path_factory.mktemp("dashboard") / "worker.log"
    worker = WorkerProcess(settings, log, app_id=f"ww-dash-{uuid.uuid4().hex[:6]}").start()
    try:
        wait_healthy(worker)
        yield worker
    finally:
        worker.stop()


def hostile_article(tag: str) -> dict[str, Any]:
    text = "Vladimir Putin a déclaré : « Nous allons parler ». " * 2
    return {
        "id": f"hostile-{tag}",
        "language": "fr",
        "title": PAYLOAD_TITLE,
        "source": "<i>Evil Wire</i>",
        "url": "javascript:window.__pwned='url'",
        "published_at": "2017-11-16T21:25:00.000Z",
        "text": text,
        "entities": [],
        "actors": [
            {"id": "vladimir-putin", "name": PAYLOAD_NAME, "type": "person", "mentions": [{}]},
            {"id": "donald-trump", "name": "Donald Trump", "type": "person", "mentions": [{}]},
        ],
        "topics": {"countries": [{"code": "SYR"}], "themes": []},
        "quotes": [
            {
                "text": PAYLOAD_QUOTE,
                "start": 36,
                "end": 54,
                "direct": True,
                "speakers": ["vladimir-putin"],
                "cue": {"start": 16, "end": 26, "text": "a déclaré", "lemma": "déclarer"},
            }
        ],
        "provenance": {"pipeline": "test", "wirewatch_version": "test", "models": {}},
    }


def hostile_alert(tag: str) -> dict[str, Any]:
    return {
        "alert_id": "alert-" + uuid.uuid4().hex[:20],
        "version": 1,
        "rule_id": "diplomatic-statement",
        "severity": "high",
        "title": {"en": "<script>window.__pwned='alert'</script>Putin statement on Syria"},
        "language": "fr",
        "statement": {
            "text": PAYLOAD_QUOTE,
            "direct": True,
            "speakers": [{"id": "vladimir-putin", "name": PAYLOAD_NAME}],
            "cue": "déclarer",
            "article_id": f"hostile-{tag}",
        },
        "actors": [{"id": "vladimir-putin", "name": PAYLOAD_NAME}],
        "event_codes": ["010"],
        "topics": ["SYR"],
        "story_id": None,
        "article_ids": [f"hostile-{tag}"],
        "urls": ["javascript:window.__pwned='alert-url'"],
        "articles": [
            {
                "id": f"hostile-{tag}",
                "source": "Evil Wire",
                "url": "https://example.org/real",
                "title": PAYLOAD_TITLE,
                "published": "2017-11-16T21:25:00Z",
            }
        ],
        "sources": ["Evil Wire"],
        "sources_count": 1,
        "first_seen": "2017-11-16T21:25:00Z",
        "last_seen": "2017-11-16T21:25:00Z",
        "emitted_at": "2017-11-16T21:25:01Z",
        "labels": {"rule": "diplomatic-statement", "severity": "high"},
    }


def test_dashboard_updates_live_and_escapes_article_text(
    dashboard_worker: WorkerProcess, browser: Any, artifacts: Path
) -> None:
    worker = dashboard_worker
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: (errors.append("dialog: " + dialog.message), dialog.dismiss()))
    page.goto(f"http://127.0.0.1:{worker.web_port}/")
    page.wait_for_selector("#conn[data-state=live]", timeout=30_000)
    page.evaluate("window.__marker = 'same page'")
    assert page.locator("#trending li").count() == 0

    # Real pipeline: raw articles → enrichment → actor tables → actor-mentions → SSE.
    subprocess.run(
        [sys.executable, "-m", "streams.cli", "ingest", "--quiet", str(SAMPLE)],
        env=settings_env(worker.settings),
        check=True,
        timeout=120,
    )
    page.wait_for_selector("#trending li", timeout=180_000)

    # Downstream records with script payloads in every text field.
    tag = uuid.uuid4().hex[:8]
    article = hostile_article(tag)
    produce(
        worker.settings,
        "articles-enriched",
        [orjson.dumps(article)],
        keys=[article["id"].encode()],
    )
    statement = page.locator(f'#statements li[data-id="{article["id"]}#36"]')
    statement.wait_for(timeout=60_000)
    alert = hostile_alert(tag)
    produce(worker.settings, "alerts", [orjson.dumps(alert)], keys=[alert["alert_id"].encode()])
    page.locator(f'#alerts li[data-id="{alert["alert_id"]}"]').wait_for(timeout=60_000)
    # The hostile name reaches the trending list with the counting batch that holds its
    # article (mentions_batch_within), possibly after the statement and the alert: wait
    # for it, so that the markup check below covers it.
    putin = page.locator('#trending li[data-actor="vladimir-putin"]')
    putin.locator(".name", has_text="<b onmouseover").wait_for(timeout=60_000)

    # Payloads are shown as text...
    assert PAYLOAD_QUOTE in statement.inner_text()
    assert "Vladimir Putin" in statement.locator(".speaker").inner_text()
    assert "<b onmouseover" in statement.locator(".speaker").inner_text()
    alert_text = page.locator(f'#alerts li[data-id="{alert["alert_id"]}"]').inner_text()
    assert "<script>window.__pwned='alert'</script>Putin statement" in alert_text
    # ...never as markup, and a javascript: URL never becomes a link.
    for selector in ("#statements", "#alerts", "#trending", "#actor-panel"):
        assert (
            page.locator(f"{selector} script, {selector} img, {selector} b, {selector} i").count()
            == 0
        )
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert not [h for h in hrefs if h.lower().startswith("javascript:")]

    # The trending list shows Putin under that name, as text; selecting him draws his
    # timeline.
    assert PAYLOAD_NAME in putin.locator(".name").inner_text()
    putin.click()
    page.wait_for_selector('#actor-panel[data-actor="vladimir-putin"]', timeout=30_000)
    page.wait_for_selector("#chart canvas", timeout=30_000)
    page.wait_for_function(
        "document.querySelectorAll('#actor-quotes li').length > 0", timeout=30_000
    )
    page.locator('.window-tabs button[data-window="1m"]').click()

    time.sleep(1)
    page.screenshot(path=str(artifacts / "dashboard.png"))
    assert page.evaluate("window.__marker") == "same page"  # updated without a reload
    assert page.evaluate("typeof window.__pwned") == "undefined", "an article payload ran"
    assert not errors, errors
    page.close()
