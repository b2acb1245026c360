"""The worker's Faust app consumes through Wirewatch's transport (the rebalance repair).

What the repair does is proven on outcomes in tests/integration/test_crash_recovery.py
(a worker joining a backlog loses nothing); this guards the wiring.
"""

from __future__ import annotations

from streams import faust_transport
from streams.app import create_app
from streams.config import load_settings


def test_the_worker_consumer_is_the_repaired_one(tmp_path):
    app = create_app(load_settings(env={}, home=tmp_path, app_id="transport-test"))
    assert isinstance(app.transport, faust_transport.Transport)
    assert isinstance(app.consumer, faust_transport.Consumer)
    assert app.conf.consumer_auto_offset_reset == "earliest"  # what the rewind relies on
