from pathlib import Path

import pytest

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
