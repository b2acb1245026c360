"""Alerts as text for people: ``wirewatch alerts tail``, the demo, Slack and Alertmanager."""

from __future__ import annotations

from typing import Any

QUOTE_CHARS = 240


def headline(alert: dict[str, Any]) -> str:
    """The title in the article's language when the rule has one, else English."""
    titles = alert.get("title") or {}
    return titles.get(alert.get("language") or "", "") or titles.get("en", "") or alert["rule_id"]


def english_title(alert: dict[str, Any]) -> str | None:
    """The English title when the headline is in another language."""
    titles = alert.get("title") or {}
    en = titles.get("en")
    return en if en and en != headline(alert) else None


def speakers_text(alert: dict[str, Any]) -> str:
    statement = alert.get("statement") or {}
    return ", ".join(s.get("name") or s.get("id", "?") for s in statement.get("speakers") or [])


def quote_text(alert: dict[str, Any], limit: int = QUOTE_CHARS) -> str:
    """The statement's words: in quotation marks only when they are a direct quote."""
    statement = alert.get("statement") or {}
    text = " ".join((statement.get("text") or "").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    if not text or not statement.get("direct"):
        return text
    return f"« {text} »" if statement.get("language") == "fr" else f"“{text}”"


def sources_text(alert: dict[str, Any]) -> str:
    sources = alert.get("sources") or []
    return f"{alert.get('sources_count', len(sources))} — {', '.join(sources)}"


def _moment(value: str | None) -> str:
    return (value or "?").replace("T", " ").replace(".000Z", "Z")


def alert_lines(alert: dict[str, Any]) -> list[str]:
    """The body lines shared by every readable form (after the headline)."""
    lines = []
    english = english_title(alert)
    if english:
        lines.append(english)
    speakers = speakers_text(alert)
    quote = quote_text(alert)
    if speakers:
        lines.append(f"speaker: {speakers}")
    statement = alert.get("statement") or {}
    if quote:
        lines.append(("quote:   " if statement.get("direct") else "said:    ") + quote)
    if statement.get("event"):
        ev = statement["event"]
        lines.append(f"event:   {ev.get('code')} {ev.get('label') or ''}".rstrip())
    lines.append(f"sources: {sources_text(alert)}")
    lines.append(f"seen:    {_moment(alert.get('first_seen'))} → {_moment(alert.get('last_seen'))}")
    return lines


def format_alert(alert: dict[str, Any], indent: str = "    ") -> str:
    """A readable block for a terminal."""
    severity = str(alert.get("severity", "?")).upper()
    version = alert.get("version")
    kind = "new alert" if version == 1 else f"update v{version}"
    out = [f"⚑ [{severity}] {headline(alert)}   ({kind})"]
    out += [indent + line for line in alert_lines(alert)]
    story = alert.get("story_id") or "-"
    out.append(f"{indent}rule {alert.get('rule_id')} · {alert.get('alert_id')} · story {story}")
    for url in (alert.get("urls") or [])[:3]:
        out.append(f"{indent}{url}")
    return "\n".join(out)
