"""/metrics content and the Grafana dashboard's references to it."""

from __future__ import annotations

import re
from pathlib import Path

import orjson

from streams import metrics

REPO = Path(__file__).resolve().parents[2]


def exposed_names() -> set[str]:
    body, content_type = metrics.exposition()
    assert content_type.startswith("text/plain")
    names = {line.split(" ")[2] for line in body.decode().splitlines() if line.startswith("# TYPE")}
    return names | {n.removesuffix("_total") for n in names}


def test_exposition_has_the_issue_metrics() -> None:
    metrics.enrich_batch("raw-articles", 3, 0.2)
    metrics.dead_letter("invalid_json", "dead-letter")
    metrics.enriched_published("articles-enriched", 1.0)
    names = exposed_names()
    for wanted in (
        "wirewatch_articles_in",
        "wirewatch_articles_out",
        "wirewatch_enrich_batch_seconds",
        "wirewatch_raw_to_enriched_seconds",
        "wirewatch_raw_to_alert_seconds",
        "wirewatch_dead_letters",
        "wirewatch_consumer_lag",
        "wirewatch_table_keys",
        "wirewatch_late_mentions",
    ):
        assert wanted in names, wanted
    body = metrics.exposition()[0].decode()
    assert 'wirewatch_dead_letters_total{reason="invalid_json"}' in body
    assert "_created" not in body


def test_grafana_dashboard_uses_only_exposed_metrics() -> None:
    dashboard = orjson.loads((REPO / "deploy/grafana/wirewatch-dashboard.json").read_bytes())
    names = exposed_names() | {"up"}
    suffixes = ("_total", "_bucket", "_count", "_sum")
    for panel in dashboard["panels"]:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            for name in re.findall(r"\b(?:wirewatch_\w+|process_\w+|up)\b", target["expr"]):
                base = next((name[: -len(s)] for s in suffixes if name.endswith(s)), name)
                assert name in names or base in names, (panel["title"], name)
