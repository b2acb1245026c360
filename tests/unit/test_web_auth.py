"""Access control and response headers of the API/dashboard (aiohttp, no broker)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from streams.config import ConfigError, load_settings
from streams.web import auth

TOKEN = "s3cret-token-0123456789"


def test_loopback_binding_needs_no_token_but_any_other_does() -> None:
    auth.check_web_settings(load_settings(env={}, web_host="127.0.0.1"))
    auth.check_web_settings(load_settings(env={}, web_host="::1"))
    auth.check_web_settings(load_settings(env={}, web_host="localhost"))
    with pytest.raises(ConfigError, match="web_token"):
        auth.check_web_settings(load_settings(env={}, web_host="0.0.0.0"))
    with pytest.raises(ConfigError, match="16 characters"):
        auth.check_web_settings(load_settings(env={}, web_host="0.0.0.0", web_token="short"))
    auth.check_web_settings(load_settings(env={}, web_host="0.0.0.0", web_token=TOKEN))


def test_token_never_appears_in_settings_repr() -> None:
    assert TOKEN not in repr(load_settings(env={"WIREWATCH_WEB_TOKEN": TOKEN}))


def test_comparison_is_constant_time_hmac(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    assert auth.token_matches(TOKEN, TOKEN)
    assert not auth.token_matches(TOKEN, TOKEN[:-1] + "x")
    assert not auth.token_matches(TOKEN, None)
    assert len(calls) == 2


def run(scenario: Callable[[TestClient], Awaitable[None]], token: str | None) -> None:
    async def main() -> Any:
        settings = load_settings(env={}, web_host="0.0.0.0", web_token=token)
        app = web.Application(middlewares=[auth.middleware(settings)])

        async def hello(request: web.Request) -> web.Response:
            return web.json_response({"ok": True})

        app.router.add_get("/api/trending", hello)
        app.router.add_get("/healthz", hello)
        async with TestClient(TestServer(app)) as client:
            return await scenario(client)

    asyncio.run(main())


def test_requests_without_the_token_are_refused() -> None:
    async def scenario(client: TestClient) -> None:
        resp = await client.get("/api/trending")
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
        resp = await client.get("/api/trending", headers={"Authorization": "Bearer wrong"})
        assert resp.status == 401
        assert (await client.get("/healthz")).status == 200  # probes carry no credentials

    run(scenario, TOKEN)


def test_bearer_header_query_token_and_cookie_are_accepted() -> None:
    async def scenario(client: TestClient) -> None:
        resp = await client.get("/api/trending", headers={"Authorization": f"Bearer {TOKEN}"})
        assert resp.status == 200
        resp = await client.get(f"/api/trending?token={TOKEN}&limit=3", allow_redirects=False)
        assert resp.status == 303
        assert resp.headers["Location"] == "/api/trending?limit=3"  # the token leaves the URL
        cookie = resp.cookies[auth.COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict"
        resp = await client.get("/api/trending", cookies={auth.COOKIE: TOKEN})
        assert resp.status == 200

    run(scenario, TOKEN)


def test_every_response_carries_security_headers() -> None:
    async def scenario(client: TestClient) -> None:
        resp = await client.get("/api/trending")
        assert resp.status == 200
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]

    run(scenario, None)


def test_worker_refuses_a_public_bind_without_a_token_in_one_line(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREWATCH_")}
    env.update(
        WIREWATCH_WEB_HOST="0.0.0.0",
        WIREWATCH_HOME=str(tmp_path),
        KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
    )  # never reached
    proc = subprocess.run(
        [sys.executable, "-m", "streams.cli", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("Error:") and "token" in last
    assert "Traceback" not in proc.stderr
