"""Kafka clients built from Settings, so security options are applied everywhere alike.

kafka-python serves the CLI and tests (admin, producer, consumer); Faust gets the
same settings as ``broker_credentials``. Passwords never enter log lines: clients
are created from ``KafkaSecurity`` whose ``repr`` hides them.
"""

from __future__ import annotations

import logging
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .config import KafkaSecurity, Settings


def client_kwargs(settings: Settings) -> dict[str, Any]:
    """kafka-python connection keyword arguments for the configured cluster."""
    sec = settings.security
    kw: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap.split(","),
        "security_protocol": sec.protocol,
    }
    if sec.uses_ssl:
        kw.update(
            ssl_cafile=sec.ssl_cafile,
            ssl_certfile=sec.ssl_certfile,
            ssl_keyfile=sec.ssl_keyfile,
            ssl_password=sec.ssl_key_password,
        )
    if sec.uses_sasl:
        kw.update(
            sasl_mechanism=sec.sasl_mechanism,
            sasl_plain_username=sec.sasl_username,
            sasl_plain_password=sec.sasl_password,
        )
    return kw


class KafkaUnavailable(RuntimeError):
    """The cluster cannot be used; the message says why in one line, without secrets."""


class _ConnectionErrors(logging.Handler):
    """Keeps the last authentication/TLS error kafka-python logs while it retries."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.last: str | None = None
        self.disconnected = False  # brokers may drop a failed SASL login without a reply

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "socket disconnected" in message:
            self.disconnected = True
        for marker in (
            "AuthenticationFailed",
            "SSLError",
            "CERTIFICATE_VERIFY_FAILED",
            "UnsupportedSaslMechanism",
            "IllegalSaslState",
        ):
            if marker in message:
                detail = message.rsplit(": ", 1)[-1] if marker.startswith("Auth") else message
                self.last = re.sub(r"\s*\(backoff [^)]*\)$", "", detail)
                return


@contextmanager
def diagnosed(settings: Settings) -> Iterator[None]:
    """Turn a failed connection into ``KafkaUnavailable`` with the real cause."""
    from kafka.errors import KafkaError

    errors = _ConnectionErrors()
    logger = logging.getLogger("kafka")
    logger.addHandler(errors)
    try:
        yield
    except (KafkaError, OSError) as exc:
        sec = settings.security
        if errors.last and sec.uses_sasl:
            cause = (
                f"authentication failed for user {sec.sasl_username!r} "
                f"(SASL {sec.sasl_mechanism}): {errors.last}"
            )
        elif errors.last:
            cause = errors.last
        elif errors.disconnected and sec.uses_sasl:
            cause = (
                f"the broker closed the connection while authenticating user "
                f"{sec.sasl_username!r} (SASL {sec.sasl_mechanism}): wrong password, "
                "unknown user or mechanism not enabled?"
            )
        else:
            cause = f"{type(exc).__name__}: {exc}"
        raise KafkaUnavailable(f"cannot use Kafka at {settings.bootstrap}: {cause}") from None
    finally:
        logger.removeHandler(errors)


def admin_client(settings: Settings, bootstrap_timeout_s: float = 15.0):
    from kafka import KafkaAdminClient

    with diagnosed(settings):
        return KafkaAdminClient(
            client_id="wirewatch-admin",
            bootstrap_timeout_ms=int(bootstrap_timeout_s * 1000),
            **client_kwargs(settings),
        )


def producer(settings: Settings, **extra: Any):
    from kafka import KafkaProducer

    kw = {
        "acks": "all",
        "linger_ms": 5,
        "max_request_size": settings.transport_max_bytes,
        **extra,
    }
    return KafkaProducer(**client_kwargs(settings), **kw)


def consumer(settings: Settings, *topics: str, **extra: Any):
    from kafka import KafkaConsumer

    kw = {
        "auto_offset_reset": "earliest",
        "enable_auto_commit": False,
        "fetch_max_bytes": settings.transport_max_bytes,
        "max_partition_fetch_bytes": settings.transport_max_bytes,
        **extra,
    }
    return KafkaConsumer(*topics, **client_kwargs(settings), **kw)


def _ssl_context(sec: KafkaSecurity) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=sec.ssl_cafile)
    if sec.ssl_certfile:
        ctx.load_cert_chain(sec.ssl_certfile, sec.ssl_keyfile, password=sec.ssl_key_password)
    return ctx


def faust_credentials(settings: Settings):
    """The ``broker_credentials`` value for faust.App (None for PLAINTEXT)."""
    import faust

    sec = settings.security
    if sec.protocol == "PLAINTEXT":
        return None
    if sec.protocol == "SSL":
        return faust.SSLCredentials(_ssl_context(sec))
    return faust.SASLCredentials(
        username=sec.sasl_username,
        password=sec.sasl_password,
        mechanism=sec.sasl_mechanism,
        ssl_context=_ssl_context(sec) if sec.uses_ssl else None,
    )
