import asyncio
import threading
from pathlib import Path

import pytest

from streams.app import run_worker, use_event_loop
from streams.config import ConfigError, load_settings


def test_defaults_use_the_local_broker():
    s = load_settings(env={})
    assert s.manages_broker
    assert s.bootstrap == "127.0.0.1:9092"
    assert s.topic("raw-articles") == "raw-articles"


def test_kafka_bootstrap_servers_names_an_external_cluster():
    s = load_settings(env={"KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9092"})
    assert not s.manages_broker
    assert s.bootstrap == "k1:9092,k2:9092"


def test_environment_overrides_file_and_types_are_coerced(tmp_path: Path):
    cfg = tmp_path / "ww.toml"
    cfg.write_text(
        '[wirewatch]\ntopic_prefix = "prod."\npartitions = 6\n'
        '[wirewatch.security]\nprotocol = "SASL_SSL"\nsasl_mechanism = "SCRAM-SHA-512"\n'
        'sasl_username = "ww"\nsasl_password = "s3cret"\n'
    )
    s = load_settings(env={"WIREWATCH_CONFIG": str(cfg), "WIREWATCH_PARTITIONS": "3"})
    assert s.topic_prefix == "prod."
    assert s.partitions == 3
    assert s.security.protocol == "SASL_SSL"
    assert s.security.sasl_mechanism == "SCRAM-SHA-512"
    assert "s3cret" not in repr(s)  # passwords never reach logs via repr


def test_security_settings_reach_kafka_clients():
    from streams.kafka_clients import client_kwargs

    s = load_settings(
        env={
            "WIREWATCH_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "WIREWATCH_SECURITY_SASL_USERNAME": "alice",
            "WIREWATCH_SECURITY_SASL_PASSWORD": "pw",
            "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
        }
    )
    kw = client_kwargs(s)
    assert kw["security_protocol"] == "SASL_PLAINTEXT"
    assert kw["sasl_plain_username"] == "alice"
    assert kw["sasl_plain_password"] == "pw"


@pytest.mark.parametrize(
    "env, fragment",
    [
        ({"WIREWATCH_PARTITIONS": "many"}, "partitions"),
        ({"WIREWATCH_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "sasl_username"),
        ({"WIREWATCH_SECURITY_PROTOCOL": "TLS"}, "security_protocol"),
    ],
)
def test_bad_settings_are_one_clear_error(env, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings(env=env)


def test_unknown_setting_in_file_is_rejected(tmp_path: Path):
    cfg = tmp_path / "ww.toml"
    cfg.write_text("partitons = 3\n")
    with pytest.raises(ConfigError, match="partitons"):
        load_settings(env={"WIREWATCH_CONFIG": str(cfg)})


@pytest.fixture
def restore_loop_policy():
    before = asyncio.get_event_loop_policy()
    yield
    asyncio.set_event_loop_policy(before)


def _loop_type_in_new_thread() -> str:
    """The loop a thread started now gets, as Faust's consumer thread makes its own."""
    seen: list[str] = []

    def run() -> None:
        loop = asyncio.new_event_loop()
        seen.append(type(loop).__module__)
        loop.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen[0]


def test_event_loop_setting_picks_the_loop_of_every_thread(restore_loop_policy):
    assert load_settings(env={}).event_loop == "uvloop"
    use_event_loop("uvloop")
    assert _loop_type_in_new_thread().startswith("uvloop")
    policy = asyncio.get_event_loop_policy()
    use_event_loop("uvloop")  # again: the policy (and any loop it made) is kept
    assert asyncio.get_event_loop_policy() is policy
    use_event_loop("asyncio")
    assert _loop_type_in_new_thread().startswith("asyncio")
    with pytest.raises(ConfigError, match="event_loop must be one of"):
        use_event_loop("trio")


def test_the_worker_starts_on_the_configured_loop(monkeypatch, restore_loop_policy):
    """``run_worker`` sets the loop before Faust's Worker (which makes the loop) exists."""
    import faust.worker

    seen: list[str] = []

    class FakeWorker:
        def __init__(self, app, **kwargs):
            seen.append(type(asyncio.get_event_loop_policy()).__module__)

        def execute_from_commandline(self):
            pass

    monkeypatch.setattr(faust.worker, "Worker", FakeWorker)
    asyncio.set_event_loop_policy(None)
    run_worker(object(), "warning", "uvloop")
    assert seen == ["uvloop"]
