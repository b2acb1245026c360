"""Child processes of a benchmark (workers, transport loops) and what /proc says about them.

Workers run as real ``wirewatch worker`` subprocesses, exactly as deployed, so their
CPU time and RSS can be read from /proc without touching the product. CPU seconds
matter on a shared machine: articles per *CPU* second barely move when another
engineer's test suite steals the cores, while articles per wall second do.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

from streams.config import Settings

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU seconds of a process (all its threads); None once it is gone."""
    if pid is None:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLK_TCK


def rss_mb(pid: int | None) -> float | None:
    """Resident set size in MiB (VmRSS), or None."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)")


def scrape_metrics(port: int, timeout: float = 3.0) -> dict[str, dict[str, float]]:
    """A worker's /metrics as {metric: {labels: value}}; empty when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            text = r.read().decode()
    except (OSError, ValueError):
        return {}
    return parse_metrics(text)


def parse_metrics(text: str) -> dict[str, dict[str, float]]:
    """Prometheus text exposition as {metric: {labels: value}}."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m and not line.startswith("#"):
            try:
                out[m.group(1)][m.group(2) or ""] = float(m.group(3))
            except ValueError:
                continue
    return dict(out)


def metric_total(metrics: dict[str, dict[str, float]], name: str) -> float:
    return sum(metrics.get(name, {}).values())


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment of a child: the user's WIREWATCH_* tuning, then this run's cluster.

    Settings the user exported (``WIREWATCH_BATCH_SIZE=64 wirewatch bench``) reach the
    workers, so the benchmark can compare configurations without code changes.
    Children start as ``python -m bench.…`` / ``-m streams.cli``; PYTHONSAFEPATH keeps
    the working directory off their ``sys.path``, so a ``bench.py`` or ``streams/``
    where the user happens to run the bench cannot shadow the installed packages.
    """
    env = dict(os.environ)
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.update(
        {
            "WIREWATCH_BOOTSTRAP_SERVERS": settings.bootstrap,
            "WIREWATCH_TOPIC_PREFIX": settings.topic_prefix,
            "WIREWATCH_HOME": str(settings.home),
            "WIREWATCH_PARTITIONS": str(settings.partitions),
            "WIREWATCH_BATCH_SIZE": str(settings.batch_size),
            "PYTHONUNBUFFERED": "1",
            "PYTHONSAFEPATH": "1",
            **extra,
        }
    )
    return env


class Child:
    """A subprocess with its own log file, stopped by its own pid only."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> Child:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def log_tail(self, n: int = 30) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise BenchError(
                f"{self.name} exited with code {self.proc.returncode}; "
                f"log {self.log_path}:\n{self.log_tail()}"
            )

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class BenchError(RuntimeError):
    """The benchmark cannot go on; the message says why (with a log tail)."""


class Worker(Child):
    """A ``wirewatch worker`` process of one role (optionally under the bench profiler)."""

    def __init__(
        self,
        name: str,
        settings: Settings,
        app_id: str,
        log_path: Path,
        web_port: int,
        profile_dir: Path | None = None,
        role: str = "all",
    ) -> None:
        env = child_env(
            settings,
            WIREWATCH_APP_ID=app_id,
            WIREWATCH_WEB_PORT=str(web_port),
            WIREWATCH_ROLE=role,
        )
        if profile_dir is not None:
            env["WIREWATCH_BENCH_PROFILE"] = str(profile_dir / f"{name}")
            argv = [sys.executable, "-m", "bench.profiled_worker"]
        else:
            argv = [sys.executable, "-m", "streams.cli", "worker"]
        super().__init__(name, argv, env, log_path)
        self.web_port = web_port
        # What its log says once it can work: the NLP loaded, or the story index rebuilt.
        self.ready_line = "story index ready" if role == "downstream" else "enrich agent ready"
        self.started_at = 0.0
        self.ready_after: float | None = None

    def start(self) -> Worker:
        self.started_at = time.monotonic()
        super().start()
        return self

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Block until the worker can work (``ready_line``); return the seconds it took."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            if self.ready_line in self.log_text():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            time.sleep(0.3)
        raise BenchError(f"{self.name} not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def metrics(self) -> dict[str, dict[str, float]]:
        return scrape_metrics(self.web_port)
