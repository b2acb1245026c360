"""What every delivery sink shares: retries with exponential backoff, and safe errors.

A sink's URL can itself be a secret (a Slack webhook URL *is* the credential) and
HTTP libraries put URLs into their exception messages, so nothing here ever formats
an exception or a URL directly: errors are rebuilt from status codes and error
classes, targets are shown as scheme://host:port, and the configured secrets are
scrubbed from any text that still reaches a log line or a dead letter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` in total; waits ``backoff_s``, 2×, 4×… (capped) between them."""

    attempts: int = 5
    backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    timeout_s: float = 5.0

    def delays(self) -> Iterator[float]:
        """The waits before attempts 2, 3, …"""
        for i in range(max(self.attempts - 1, 0)):
            yield min(self.backoff_s * (2**i), self.max_backoff_s)


class DeliveryError(Exception):
    """One failed attempt; ``message`` is safe to log (no URL, no secret)."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


class DeliveryFailed(Exception):
    """The retry budget is spent (or the failure cannot be retried)."""

    def __init__(self, sink: str, target: str, attempts: int, error: str) -> None:
        super().__init__(f"{sink} ({target}): {error} after {attempts} attempt(s)")
        self.sink = sink
        self.target = target
        self.attempts = attempts
        self.error = error


class Sink(Protocol):
    name: str

    @property
    def target(self) -> str: ...  # safe description: scheme://host:port

    @property
    def secrets(self) -> tuple[str, ...]: ...

    async def attempt(self, session: aiohttp.ClientSession, alert: dict[str, Any]) -> None: ...


def safe_target(url: str) -> str:
    """scheme://host[:port] — never the path, query or credentials (they can be secrets)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme or 'http'}://{host}{port}"


def url_secrets(url: str) -> tuple[str, ...]:
    """The parts of a URL that may be credentials: path, query, password, full URL."""
    parts = urlsplit(url)
    found = [url, parts.path, parts.query, parts.password or "", parts.username or ""]
    found += [seg for seg in parts.path.split("/") if len(seg) >= 8]
    return tuple(s for s in found if s and len(s) >= 4 and s != "/")


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def describe_exception(exc: BaseException, timeout_s: float) -> DeliveryError:
    """An HTTP client exception → a retryable DeliveryError with a URL-free message."""
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return DeliveryError(f"timed out after {timeout_s:g}s")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = getattr(exc.os_error, "strerror", None) or type(exc.os_error).__name__
        return DeliveryError(f"cannot connect: {reason}")
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return DeliveryError("server disconnected")
    if isinstance(exc, aiohttp.ClientError | OSError):
        return DeliveryError(f"{type(exc).__name__}")
    return DeliveryError(f"unexpected {type(exc).__name__}", retryable=False)


async def check_response(response: aiohttp.ClientResponse, secrets: Iterable[str]) -> None:
    """2xx passes; 5xx, 408 and 429 are retryable; any other status is final."""
    if 200 <= response.status < 300:
        return
    body = (await response.text(errors="replace"))[:200]
    detail = " ".join(body.split())
    message = f"HTTP {response.status}" + (f": {redact(detail, secrets)}" if detail else "")
    retryable = response.status >= 500 or response.status in (408, 429)
    raise DeliveryError(message, retryable=retryable)


async def deliver_with_retries(
    sink: Sink,
    session: aiohttp.ClientSession,
    alert: dict[str, Any],
    policy: RetryPolicy,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> int:
    """Deliver one alert; return the number of attempts it took or raise DeliveryFailed."""
    delays = policy.delays()
    attempt = 0
    while True:
        attempt += 1
        try:
            await sink.attempt(session, alert)
            return attempt
        except DeliveryError as exc:
            error = exc
        except Exception as exc:  # the HTTP client's own errors: never format them raw
            error = describe_exception(exc, policy.timeout_s)
        message = redact(error.message, sink.secrets)
        delay = next(delays, None) if error.retryable else None
        if delay is None:
            raise DeliveryFailed(sink.name, sink.target, attempt, message)
        log.warning(
            "%s delivery of %s v%s failed (%s); attempt %d in %.1fs",
            sink.name,
            alert.get("alert_id"),
            alert.get("version"),
            message,
            attempt + 1,
            delay,
        )
        await sleep(delay)
