"""articles-enriched → alerts-stage → alerts: rule matching, then per-alert state.

Two agents, because the state has to be partitioned by what it is about:

* ``alert-match`` reads articles-enriched (keyed by article id, so it scales with
  that topic's partitions) and evaluates the rules — stateless. Each match is sent to
  the internal ``alerts-stage`` topic keyed by its ``alert_id`` (a hash of rule and
  story, or rule and actor pair).
* ``alerts`` reads alerts-stage. Every match of one alert lands on one partition, so
  the ``alert-state`` table (changelog-backed, co-partitioned with alerts-stage) holds
  the whole life of that alert on one worker: windows, dedup, versions, cool-down —
  all decided by the pure ``streams.alerts.state.decide``. Published alerts go to
  ``alerts`` keyed by ``alert_id``.

A Faust table write goes to the changelog partition of the event being processed; that
is why the table is only written from the stage whose key *is* the table key.

Guarantee: at-least-once in, deduplicated out. Offsets are committed after the table
write and the alert send are handed to the producer; a redelivered match finds its
article in the state and publishes nothing new (or re-publishes the identical record
if it was the input that produced the latest version — see ``state.decide``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

import faust

from ..alerts.matching import Match, match_article
from ..alerts.rules import RuleError, RuleSet, load_rules
from ..alerts.state import decide, expired, tombstone
from ..config import Settings
from ..faust_transport import send_record
from ..timeutil import now_rfc3339

log = logging.getLogger(__name__)

GC_EVERY_S = 60.0


def load_rule_set(settings: Settings) -> RuleSet:
    """The rules the settings name; invalid rules stop the worker with file:line reasons."""
    paths = [p.strip() for p in settings.alert_rules.split(",") if p.strip()]
    try:
        rules = load_rules(paths, include_default=settings.alert_default_rules)
    except RuleError as exc:
        raise SystemExit(f"wirewatch: invalid alert rules:\n{exc}") from None
    log.info(
        "alert rules: %s (from %s)",
        ", ".join(r.id for r in rules.rules) or "none",
        ", ".join(rules.files) or "no file",
    )
    return rules


class _RuleErrors:
    """Logs a rule's run-time errors without flooding: the first, then every 100th."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def report(self, article_id: str, errors: list[tuple[str, str]]) -> None:
        for rule_id, reason in errors:
            self.counts[rule_id] += 1
            n = self.counts[rule_id]
            if n == 1 or n % 100 == 0:
                log.warning(
                    "rule %s failed on article %s (%d so far): %s", rule_id, article_id, n, reason
                )


class _StateCollector:
    """Forgets idle alerts, a partition at a time, from inside the stream.

    Table writes must happen while processing an event of the partition the key lives
    on, so collection runs on the event's own partition (states record theirs), at
    most once a minute per partition; the watermark is the highest event time seen
    on that partition.

    One collection forgets at most ``limit`` alerts, the longest idle first; with more
    to forget, the partition's next event collects again. Each forgotten alert is a
    changelog record, and above 100 records waiting in Faust's producer buffer Faust
    holds every record delivery until it drains (the story sweep is capped alike).
    """

    def __init__(self, ttl_s: float, limit: int = 50) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self.watermarks: dict[int, int] = {}
        self.last_run: dict[int, float] = {}

    def observe(self, partition: int, event_t: int) -> None:
        self.watermarks[partition] = max(self.watermarks.get(partition, 0), event_t)

    def maybe_collect(self, table: Any, partition: int) -> None:
        now = time.monotonic()
        if now - self.last_run.get(partition, 0.0) < GC_EVERY_S:
            return
        watermark = self.watermarks.get(partition, 0)
        changes = []
        for key, state in list(table.items()):
            if not isinstance(state, dict) or state.get("partition") != partition:
                continue
            action = expired(state, watermark, self.ttl_s)
            if action:
                changes.append((key, action, state))
        if len(changes) > self.limit:
            changes.sort(key=lambda change: int(change[2].get("last_t") or 0))
            del changes[self.limit :]  # the rest at this partition's next event
        else:
            self.last_run[partition] = now
        for key, action, state in changes:
            if action == "delete":
                del table[key]
            else:
                table[key] = tombstone(state)
        if changes:
            log.info(
                "alert state: forgot %d idle alert(s) on partition %d", len(changes), partition
            )


def register(app: faust.App, topics: Any, settings: Settings) -> None:
    rules = load_rule_set(settings)
    stage = topics.alerts_stage  # same partition count as the alert-state table
    stage_name, alerts_name = stage.get_topic_name(), topics.alerts.get_topic_name()
    # orjson keys: str keys come back as str after changelog recovery (raw gives bytes).
    schema = faust.Schema(key_type=str, key_serializer="orjson", value_serializer="orjson")
    states = app.Table("alert-state", default=None, partitions=settings.partitions, schema=schema)
    rule_errors = _RuleErrors()
    collector = _StateCollector(settings.alert_state_ttl)

    @app.agent(topics.enriched, name="alert-match")
    async def match_alerts(stream: faust.StreamT) -> None:
        async for event in stream.events():
            record = event.value
            if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                continue  # not an enriched record; the enrich agent never writes one
            message = event.message
            ts_ms = int(message.timestamp * 1000) if message.timestamp else None
            # Inline on purpose: ~0.15–0.3 ms of CPU with the native guards (README, "What a
            # rule costs"); an executor hop costs ~0.05 ms more and frees no GIL time.
            result = match_article(record, rules, ts_ms)
            rule_errors.report(record["id"], result.errors)
            for match in result.matches:
                # Keep the record timestamp (processing time): the stage topic's retention
                # is by timestamp, and event times may be years old in a replay.
                await send_record(
                    app,
                    stage_name,
                    match.alert_id.encode(),
                    match.to_record(),
                    timestamp=message.timestamp or None,
                )

    @app.agent(stage, name="alerts")
    async def alert_lifecycle(stream: faust.StreamT) -> None:
        async for event in stream.events():
            message = event.message
            try:
                match = Match.from_record(event.value)
            except (KeyError, TypeError, AttributeError):
                log.error(
                    "alerts-stage %d/%d: not a match record", message.partition, message.offset
                )
                continue
            rule = rules.by_id.get(match.rule_id)
            if rule is None:  # the rule was removed between the two stages (a restart)
                log.warning("match for unknown rule %s dropped", match.rule_id)
                continue
            collector.observe(message.partition, match.article["t"])
            decision = decide(
                states.get(match.alert_id),
                match,
                rule,
                input_ref=(message.partition, message.offset),
                emitted_at=now_rfc3339(),
            )
            if decision.state is not None:
                states[match.alert_id] = decision.state
            if decision.publish is not None:
                alert = decision.publish
                await send_record(app, alerts_name, alert["alert_id"].encode(), alert)
                log.info(
                    "alert %s v%d %s (%s): article %s, %d source(s)",
                    alert["alert_id"],
                    alert["version"],
                    alert["rule_id"],
                    decision.reason,
                    match.article["id"],
                    alert["sources_count"],
                )
            else:
                log.debug("match %s/%s: %s", match.rule_id, match.article["id"], decision.reason)
            collector.maybe_collect(states, message.partition)
