"""Every Wirewatch setting, in one place.

Precedence (lowest first): defaults that run on a laptop → a TOML config file
(``WIREWATCH_CONFIG``, else ``./wirewatch.toml`` when present) → environment
variables ``WIREWATCH_<NAME>`` (upper-case field name). ``KAFKA_BOOTSTRAP_SERVERS``
is honoured as the conventional name of ``bootstrap_servers``.

When ``bootstrap_servers`` is set, Wirewatch uses that cluster and never starts
a broker; otherwise it talks to the local broker that ``wirewatch broker up``
manages on ``127.0.0.1:<broker_port>``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints


class ConfigError(ValueError):
    """A setting has a value Wirewatch cannot use."""


@dataclass(frozen=True)
class KafkaSecurity:
    """Client-side security settings, passed to every Kafka client we create."""

    protocol: str = "PLAINTEXT"  # PLAINTEXT | SSL | SASL_PLAINTEXT | SASL_SSL
    sasl_mechanism: str = "PLAIN"  # PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        allowed = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}
        if self.protocol not in allowed:
            raise ConfigError(
                f"security_protocol must be one of {sorted(allowed)}, not {self.protocol!r}"
            )
        if self.protocol.startswith("SASL") and not self.sasl_username:
            raise ConfigError(f"security_protocol={self.protocol} needs sasl_username")

    @property
    def uses_ssl(self) -> bool:
        return self.protocol in {"SSL", "SASL_SSL"}

    @property
    def uses_sasl(self) -> bool:
        return self.protocol.startswith("SASL")


# Who multiplies the NLP models' matrices (streams.nlp.pipeline.build_nlp).
NLP_MATMUL_BACKENDS = ("numpy", "blis")
ROLES = ("all", "enrich", "downstream")


@dataclass(frozen=True)
class Settings:
    # -- Kafka ---------------------------------------------------------------
    bootstrap_servers: str | None = None
    security: KafkaSecurity = field(default_factory=KafkaSecurity)
    topic_prefix: str = ""
    partitions: int = 2
    replication_factor: int = 1
    app_id: str = "wirewatch"

    # -- local broker (``wirewatch broker``), used when bootstrap_servers is None
    broker_port: int = 9092
    broker_controller_port: int = 9093
    home: Path = field(default_factory=lambda: Path.home() / ".cache" / "wirewatch")
    broker_data_dir: Path | None = None  # default: <home>/broker/<port>/data
    broker_heap: str = "512m"
    # Optional SASL_PLAINTEXT listener (PLAIN and SCRAM-SHA-256/512) beside the plain one,
    # with users "name:password,name:password" (SCRAM users are set when storage is formatted).
    broker_sasl_port: int | None = None
    broker_sasl_users: str = field(default="", repr=False)
    broker_start_timeout: float = 60.0

    # -- worker --------------------------------------------------------------
    # Which agents this worker runs: "all" (one process does everything), "enrich" (the
    # NLP tier: raw-articles → stories-stage, its own consumer group, no tables) or
    # "downstream" (stories, alerts, counting, the API: everything after the NLP). See
    # README "Deployment: one process, or an NLP tier and a downstream tier".
    role: str = "all"
    # Most raw articles in one enrichment batch: a run of one partition's records, as
    # one fetch returned them (streams.faust_transport.run_topic); nothing waits for it
    # to fill, and under a backlog fetches return full runs.
    batch_size: int = 32
    story_sweep_every: int = 50  # articles between sweeps of the story index (expiry)
    producer_batch_bytes: int = 1_048_576
    # No linger: a lone record is sent at once (each hop to articles-enriched waited the
    # full linger at moderate load); under load records batch up anyway while the
    # previous request is in flight (aiokafka keeps one per broker).
    producer_linger_ms: float = 0.0
    max_message_bytes: int = 4_000_000  # largest raw article accepted (else dead letter)
    # What Kafka itself carries (topics we create, the local broker, every client). Larger
    # than max_message_bytes so an oversize article still arrives, and its dead letter
    # (original bytes, base64 when needed) still fits.
    transport_max_bytes: int = 32 * 1024 * 1024
    max_text_chars: int = 200_000
    # Per-batch NLP budget, enforced on an estimate from text length (see records.Limits).
    nlp_batch_seconds: float = 10.0
    nlp_chars_per_second: float = 20_000.0
    # Articles of a batch are published in chunks of about this much estimated NLP time,
    # cheapest first: a short article does not wait for a long one (see records.Limits).
    nlp_chunk_seconds: float = 0.25
    # Who multiplies the NLP models' matrices: "numpy" (numpy's BLAS, one thread) or
    # "blis" (thinc's default). Same annotations; the speed depends on the CPU (README).
    nlp_matmul: str = "numpy"
    # Comma-separated ISO 639-1 codes the language identifier may answer; empty = built-in list.
    language_candidates: str = ""
    worker_datadir: Path | None = None  # default: <home>/worker/<app_id>
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    log_level: str = "info"
    # The worker's asyncio event loop: "uvloop" (libuv, less CPU per message on the loop
    # that the NLP thread shares the GIL with) or "asyncio" (the standard library's).
    event_loop: str = "uvloop"

    # -- actor tables, query API, dashboard (streams/tables, streams/web) ----
    mentions_allowed_lateness: float = 6 * 3600.0  # seconds of event time behind the watermark
    mentions_keep_minutes: float = 12 * 3600.0  # retention of 1-minute windows (event time)
    mentions_keep_hours: float = 9 * 86400.0  # of 1-hour windows (24h spikes need 8 days)
    mentions_batch_size: int = 500
    # Seconds the counting stage gathers contributions before it applies and publishes
    # them: every window a batch changes is published once, so a longer wait coalesces
    # repeated updates (one changed hour is 26 actor-mentions records) at the cost of
    # counts reaching the API and the topic up to this much later.
    mentions_batch_within: float = 5.0
    web_token: str | None = field(default=None, repr=False)  # required off loopback
    web_url: str | None = None  # how other workers reach this one (default http://host:port)
    live_backfill: int = 100  # recent alerts/statements read back at start, per partition

    # -- alerts (streams/alerts, agents/alerts.py, agents/deliver.py) --------
    # Rule files or directories of *.yaml, comma-separated, loaded after the default pack.
    alert_rules: str = ""
    alert_default_rules: bool = True  # load the packaged default pack
    alert_state_ttl: float = 7 * 24 * 3600.0  # event-time seconds an idle alert is remembered
    # Delivery sinks; URLs can carry credentials, so none of these appear in repr/logs.
    alert_webhook_url: str | None = field(default=None, repr=False)
    alert_webhook_secret: str | None = field(default=None, repr=False)  # HMAC-SHA256 key
    alert_alertmanager_url: str | None = field(default=None, repr=False)  # http://host:9093
    alert_alertmanager_resolve_after: float = 24 * 3600.0  # endsAt = now + this
    alert_delivery_timeout: float = 5.0  # seconds per HTTP attempt
    alert_delivery_attempts: int = 5  # then the alert goes to dead-letter (stage deliver)
    alert_delivery_backoff: float = 0.5  # first wait between attempts; doubles each time

    # ------------------------------------------------------------------------
    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ConfigError(f"role must be one of {list(ROLES)}, not {self.role!r}")
        if self.nlp_matmul not in NLP_MATMUL_BACKENDS:
            raise ConfigError(
                f"nlp_matmul must be one of {list(NLP_MATMUL_BACKENDS)}, not {self.nlp_matmul!r}"
            )

    @property
    def bootstrap(self) -> str:
        """The bootstrap servers every client uses ("host:port,...")."""
        return self.bootstrap_servers or f"127.0.0.1:{self.broker_port}"

    @property
    def manages_broker(self) -> bool:
        """True when Wirewatch runs the broker itself (no external cluster named)."""
        return not self.bootstrap_servers

    @property
    def broker_dir(self) -> Path:
        return self.home / "broker" / str(self.broker_port)

    @property
    def broker_data(self) -> Path:
        return self.broker_data_dir or (self.broker_dir / "data")

    @property
    def group_id(self) -> str:
        """The Faust app id, hence consumer group, of this worker's role.

        Enrich workers form a group of their own: they read only raw-articles, and a
        group whose members subscribe to different topics would be assigned partitions
        some of them never read. The downstream tier keeps ``app_id`` (the tables'
        changelog topics are named after it), as does a worker that runs everything.
        """
        return f"{self.app_id}-enrich" if self.role == "enrich" else self.app_id

    @property
    def worker_dir(self) -> Path:
        return self.worker_datadir or (self.home / "worker" / self.group_id)

    def topic(self, base: str) -> str:
        return f"{self.topic_prefix}{base}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


_SECURITY_PREFIX = "security_"


def _coerce(name: str, raw: Any, hint: Any) -> Any:
    text = str(hint)
    try:
        if raw is None:
            return None
        if "Path" in text:
            return Path(str(raw)).expanduser()
        if text.startswith("int") or text == "<class 'int'>":
            return int(raw)
        if text.startswith("float") or text == "<class 'float'>":
            return float(raw)
        if text.startswith("bool") or text == "<class 'bool'>":
            return str(raw).lower() in {"1", "true", "yes", "on"}
        return str(raw) if raw != "" else None if "None" in text else ""
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}={raw!r}: {exc}") from None


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    # Allow a [wirewatch] table or top-level keys; [wirewatch.security] or security_* keys.
    data = data.get("wirewatch", data)
    flat = {k: v for k, v in data.items() if k != "security"}
    for k, v in (data.get("security") or {}).items():
        flat[_SECURITY_PREFIX + k] = v
    return flat


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build Settings from defaults, the config file, the environment and overrides."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    cfg_path = env.get("WIREWATCH_CONFIG")
    if cfg_path:
        values.update(_read_file(Path(cfg_path)))
    elif Path("wirewatch.toml").is_file():
        values.update(_read_file(Path("wirewatch.toml")))

    settings_hints = get_type_hints(Settings)
    security_hints = get_type_hints(KafkaSecurity)
    names = [f.name for f in fields(Settings) if f.name != "security"]
    names += [_SECURITY_PREFIX + f.name for f in fields(KafkaSecurity)]
    if env.get("KAFKA_BOOTSTRAP_SERVERS"):
        values["bootstrap_servers"] = env["KAFKA_BOOTSTRAP_SERVERS"]
    for name in names:
        key = "WIREWATCH_" + name.upper()
        if key in env:
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})

    unknown = set(values) - set(names)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")

    sec_kwargs = {}
    kwargs: dict[str, Any] = {}
    for name, raw in values.items():
        if name.startswith(_SECURITY_PREFIX):
            short = name[len(_SECURITY_PREFIX) :]
            sec_kwargs[short] = _coerce(name, raw, security_hints[short])
        else:
            kwargs[name] = _coerce(name, raw, settings_hints[name])
    return Settings(security=KafkaSecurity(**sec_kwargs), **kwargs)
