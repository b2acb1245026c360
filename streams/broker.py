"""A real single-node Apache Kafka broker (KRaft) for laptops, demos and tests.

Kafka is neither on PyPI nor in Debian, so the broker's jars are resolved from
Maven Central by ``deploy/kafka/pom.xml`` (once, into a cache outside the
repository) and run on the installed JDK. Everything the broker writes — data,
logs, its rendered config and a pid file — lives under
``<home>/broker/<port>/``, so several brokers on different ports do not collide.

Nothing here is used when ``bootstrap_servers`` names an external cluster.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .config import Settings

KAFKA_VERSION = "3.9.1"


class BrokerError(RuntimeError):
    """The local broker cannot be installed, started or stopped; message is one line."""


@dataclass
class BrokerState:
    pid: int
    port: int
    controller_port: int
    data_dir: str
    log_file: str
    stdout_file: str
    config_file: str
    started_at: float


def kafka_deploy_dir() -> Path:
    """``deploy/kafka`` in a source checkout, or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "deploy" / "kafka", here / "_kafka"):
        if (candidate / "pom.xml").is_file():
            return candidate
    raise BrokerError("deploy/kafka/pom.xml not found (is the package installed completely?)")


def jars_dir(settings: Settings) -> Path:
    return settings.home / "kafka-jars" / KAFKA_VERSION


def _pid_file(settings: Settings) -> Path:
    return settings.broker_dir / "broker.json"


def _need(tool: str, what: str) -> str:
    path = shutil.which(tool)
    if not path:
        raise BrokerError(f"{tool} not found on PATH: {what}")
    return path


def ensure_jars(settings: Settings) -> Path:
    """Copy the broker's jars from Maven into the cache (once); return that folder."""
    target = jars_dir(settings)
    marker = target / ".complete"
    if marker.is_file():
        return target
    mvn = _need("mvn", "install Maven to fetch the Kafka broker jars (apt install maven)")
    target.mkdir(parents=True, exist_ok=True)
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(kafka_deploy_dir() / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={target}",
        "-DincludeScope=runtime",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0 or not any(target.glob("kafka_2.13-*.jar")):
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-5:]
        raise BrokerError("Maven could not resolve the Kafka jars: " + " | ".join(tail))
    marker.write_text(KAFKA_VERSION)
    return target


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    return _need("java", "install a JDK ≥ 17 to run the Kafka broker (apt install openjdk-17-jre)")


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _render_config(settings: Settings, path: Path) -> None:
    template = (kafka_deploy_dir() / "server.properties").read_text()
    sasl_listener, sasl_config = "", ""
    if settings.broker_sasl_port:
        sasl_listener = f",SASL_PLAINTEXT://127.0.0.1:{settings.broker_sasl_port}"
        users = " ".join(f'user_{name}="{pw}"' for name, pw in _sasl_users(settings))
        sasl_config = "\n".join(
            [
                "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config="
                f"org.apache.kafka.common.security.plain.PlainLoginModule required {users};",
                "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
            ]
        )
    rendered = (
        template.replace("@SASL_LISTENER@", sasl_listener)
        .replace("@SASL_CONFIG@", sasl_config)
        .replace("@PORT@", str(settings.broker_port))
        .replace("@CONTROLLER_PORT@", str(settings.broker_controller_port))
        .replace("@DATA_DIR@", str(settings.broker_data))
        .replace("@MESSAGE_MAX_BYTES@", str(settings.transport_max_bytes))
    )
    path.write_text(rendered)
    path.chmod(0o600)  # it may hold SASL passwords


def _sasl_users(settings: Settings) -> list[tuple[str, str]]:
    users = []
    for item in filter(None, (u.strip() for u in settings.broker_sasl_users.split(","))):
        name, sep, password = item.partition(":")
        if not sep or not name or not password or '"' in item:
            raise BrokerError("broker_sasl_users must look like 'name:password,name:password'")
        users.append((name, password))
    if settings.broker_sasl_port and not users:
        raise BrokerError("broker_sasl_port is set but broker_sasl_users names no user")
    return users


def _classpath(settings: Settings) -> str:
    return str(ensure_jars(settings) / "*")


def _format_storage(settings: Settings, java: str, config: Path) -> None:
    if (settings.broker_data / "meta.properties").is_file():
        return
    settings.broker_data.mkdir(parents=True, exist_ok=True)
    tool = [
        java,
        "-Dlog4j.configuration=file:/dev/null",
        "-cp",
        _classpath(settings),
        "kafka.tools.StorageTool",
    ]
    uuid = subprocess.run([*tool, "random-uuid"], capture_output=True, text=True).stdout.split()
    if not uuid:
        raise BrokerError("kafka StorageTool random-uuid printed nothing")
    users = _sasl_users(settings) if settings.broker_sasl_port else []
    scram = [
        arg
        for name, password in users
        for mech in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        for arg in ("--add-scram", f"{mech}=[name={name},password={password}]")
    ]
    proc = subprocess.run(
        [*tool, "format", "-t", uuid[-1], "-c", str(config), "--ignore-formatted", *scram],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        detail = proc.stderr.strip()[-300:]
        for _, password in users:  # never echo a password back
            detail = detail.replace(password, "***")
        raise BrokerError("formatting KRaft storage failed: " + detail)


def read_state(settings: Settings) -> BrokerState | None:
    try:
        return BrokerState(**json.loads(_pid_file(settings).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _is_our_broker(state: BrokerState) -> bool:
    """True when ``state.pid`` is alive and is the kafka.Kafka JVM we started."""
    try:
        cmdline = Path(f"/proc/{state.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"kafka.Kafka" in cmdline and state.config_file.encode() in cmdline


def answers_metadata(settings: Settings, timeout: float = 3.0) -> bool:
    """True when a Kafka client can fetch cluster metadata from the bootstrap servers."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    from .kafka_clients import client_kwargs

    try:
        admin = KafkaAdminClient(
            **client_kwargs(settings),
            request_timeout_ms=int(timeout * 1000),
            bootstrap_timeout_ms=int(timeout * 1000),
        )
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.describe_cluster()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


def _log_tail(state_or_paths: list[Path], lines: int = 8) -> str:
    out: list[str] = []
    for p in state_or_paths:
        try:
            out += p.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            continue
    return " | ".join(out[-lines:]) or "(no log output)"


def up(settings: Settings) -> BrokerState:
    """Start the local broker unless it already runs; return its state."""
    if not settings.manages_broker:
        raise BrokerError(
            f"bootstrap_servers is set ({settings.bootstrap}): "
            "Wirewatch uses that cluster and starts no broker"
        )
    state = read_state(settings)
    if state and _is_our_broker(state):
        if answers_metadata(settings):
            return state
        _wait_ready(settings, state)
        return state

    java = _java()
    ports = (settings.broker_port, settings.broker_controller_port, settings.broker_sasl_port)
    for port in filter(None, ports):
        if _port_in_use(port):
            raise BrokerError(
                f"port {port} on 127.0.0.1 is already taken by another process; "
                "choose another with WIREWATCH_BROKER_PORT / WIREWATCH_BROKER_CONTROLLER_PORT"
            )
    cp = _classpath(settings)
    bdir = settings.broker_dir
    bdir.mkdir(parents=True, exist_ok=True)
    config = bdir / "server.properties"
    _render_config(settings, config)
    _format_storage(settings, java, config)

    log_dir = bdir / "logs"
    log_dir.mkdir(exist_ok=True)
    stdout_file = log_dir / "stdout.log"
    cmd = [
        java,
        f"-Xmx{settings.broker_heap}",
        f"-Xms{settings.broker_heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j.configuration=file:{kafka_deploy_dir() / 'log4j.properties'}",
        f"-Dkafka.logs.dir={log_dir}",
        "-cp",
        cp,
        "kafka.Kafka",
        str(config),
    ]
    with stdout_file.open("ab") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C in the shell does not reach the broker
        )
    state = BrokerState(
        pid=proc.pid,
        port=settings.broker_port,
        controller_port=settings.broker_controller_port,
        data_dir=str(settings.broker_data),
        log_file=str(log_dir / "server.log"),
        stdout_file=str(stdout_file),
        config_file=str(config),
        started_at=time.time(),
    )
    _pid_file(settings).write_text(json.dumps(asdict(state), indent=2))
    _wait_ready(settings, state, proc)
    return state


def _wait_ready(
    settings: Settings, state: BrokerState, proc: subprocess.Popen | None = None
) -> None:
    deadline = time.monotonic() + settings.broker_start_timeout
    logs = [Path(state.stdout_file), Path(state.log_file)]
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            _pid_file(settings).unlink(missing_ok=True)
            raise BrokerError(
                f"broker exited with code {proc.returncode} during start-up: {_log_tail(logs)}"
            )
        if answers_metadata(settings, timeout=2.0):
            return
        time.sleep(0.5)
    raise BrokerError(
        f"broker did not answer metadata requests on 127.0.0.1:{state.port} within "
        f"{settings.broker_start_timeout:.0f}s: {_log_tail(logs)}"
    )


def down(settings: Settings, timeout: float = 30.0) -> bool:
    """Stop the broker this project started (exactly the recorded pid). False if none ran."""
    state = read_state(settings)
    if state is None:
        return False
    if not _is_our_broker(state):
        _pid_file(settings).unlink(missing_ok=True)
        return False
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_our_broker(state):
        time.sleep(0.2)
    if _is_our_broker(state):
        os.kill(state.pid, signal.SIGKILL)
        while _is_our_broker(state):
            time.sleep(0.1)
    _pid_file(settings).unlink(missing_ok=True)
    return True


def status(settings: Settings) -> dict:
    """A small report: who serves bootstrap_servers and whether it answers."""
    report: dict = {"bootstrap": settings.bootstrap, "managed": settings.manages_broker}
    if settings.manages_broker:
        state = read_state(settings)
        report["running"] = bool(state and _is_our_broker(state))
        if state and report["running"]:
            report.update(pid=state.pid, log=state.log_file, data_dir=state.data_dir)
    report["answers_metadata"] = answers_metadata(settings)
    return report
