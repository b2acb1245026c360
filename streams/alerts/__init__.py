"""Alerts: rules over enriched articles → deduplicated, versioned alerts → delivery sinks.

The pure core lives here and never touches Kafka:

* ``context``  — an enriched record → the flat, documented rule context CEL reads;
* ``rules``    — YAML rule files → validated, compiled ``RuleSet`` (errors carry file:line);
* ``matching`` — one article + a ``RuleSet`` → ``Match`` values (title, statement, subject);
* ``state``    — one alert's state + a ``Match`` → the next state and what to publish
                 (event-time windows, per-article dedup, versions, cool-down);
* ``render``   — alerts as text for people (``wirewatch alerts tail``, the demo);
* ``sinks``    — webhook and Alertmanager delivery (HTTP, retries, signatures).

The agents in ``streams/agents/alerts.py`` and ``streams/agents/deliver.py`` only move
these values between topics and tables.
"""
