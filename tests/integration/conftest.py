"""Helpers for the integration tests; the broker fixtures live in tests/kafka_fixtures.py."""

from tests.kafka_fixtures import (  # noqa: F401 (re-exported for the test modules)
    WorkerProcess,
    collect,
    free_port,
    metric_samples,
    metric_value,
    produce,
    settings_env,
)
