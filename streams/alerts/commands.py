"""What ``wirewatch alerts …`` does: tail the alerts topic, check rule files, dry-run rules.

Kept out of ``cli.py`` so the CLI stays a list of commands; each function here yields
the lines to print.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from .matching import match_article
from .render import format_alert
from .rules import RuleSet, load_rules


def tail_alerts(
    settings: Any,
    max_alerts: int | None = None,
    timeout: float | None = None,
    from_latest: bool = False,
    as_json: bool = False,
) -> Iterator[str]:
    """Readable blocks (or JSON lines) for the records on the alerts topic."""
    from ..kafka_clients import consumer
    from ..topics import ALERTS

    cons = consumer(
        settings,
        ALERTS.name(settings),
        auto_offset_reset="latest" if from_latest else "earliest",
        consumer_timeout_ms=int(timeout * 1000) if timeout else float("inf"),
    )
    seen = 0
    try:
        for msg in cons:
            try:
                alert = orjson.loads(msg.value)
            except orjson.JSONDecodeError:
                yield f"? undecodable record at {msg.topic}/{msg.partition}/{msg.offset}"
                continue
            if as_json:
                yield orjson.dumps(alert).decode()
            elif isinstance(alert, dict) and "alert_id" in alert:
                yield format_alert(alert) + "\n"
            else:
                yield f"? not an alert at {msg.topic}/{msg.partition}/{msg.offset}"
            seen += 1
            if max_alerts is not None and seen >= max_alerts:
                return
    finally:
        cons.close()


def describe_rules(rules: RuleSet) -> Iterator[str]:
    for rule in rules.rules:
        window = ""
        if rule.window:
            w = rule.window
            window = f", window ≥{w.at_least} {w.count} per {w.per} within {w.within_s:g}s"
        yield (
            f"{rule.id:<36} {rule.severity:<8} cooldown {rule.cooldown_s:g}s{window}"
            f"  ({rule.file}:{rule.line})"
        )


def check_rule_files(paths: Iterable[str], include_default: bool) -> Iterator[str]:
    """Load and validate; raises RuleError (file:line: reason) on the first bad set."""
    rules = load_rules(list(paths), include_default=include_default)
    yield from describe_rules(rules)
    yield f"{len(rules.rules)} rule(s) OK; lists: {', '.join(sorted(rules.lists)) or 'none'}"


def dry_run(lines: Iterable[bytes], rules: RuleSet) -> Iterator[str]:
    """Enriched records (JSON lines) → the matches each would produce, as JSON lines.

    Stateless: windows, dedup and cool-downs need the stream; this shows what every
    article contributes to them.
    """
    for line in lines:
        if not line.strip():
            continue
        record = orjson.loads(line)
        result = match_article(record, rules)
        for rule_id, error in result.errors:
            yield orjson.dumps(
                {"article_id": record.get("id"), "rule_id": rule_id, "error": error}
            ).decode()
        for match in result.matches:
            yield orjson.dumps(
                {
                    "article_id": record.get("id"),
                    "rule_id": match.rule_id,
                    "alert_id": match.alert_id,
                    "subject": match.subject["key"],
                    "title": match.title,
                    "statement": match.statement,
                }
            ).decode()
