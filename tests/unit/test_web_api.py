"""The API's routes and parameter handling, without a broker (the Faust app is built, not run)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from streams.config import load_settings
from streams.tables.windows import HOUR_MS, ONE_DAY_HOURLY, ONE_HOUR
from streams.web import api

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    from streams.app import create_app

    home = tmp_path_factory.mktemp("home")
    app = create_app(load_settings(env={}, home=home, app_id="route-test"))
    return {r.resource.canonical for r in app.web.web_app.router.routes()}


def test_every_api_route_is_documented_in_openapi(routes: set[str]) -> None:
    spec = yaml.safe_load((REPO / "streams/web/openapi.yaml").read_text())
    documented = set(spec["paths"])
    ours = {r for r in routes if r.startswith(("/api", "/healthz", "/metrics")) or r == "/"}
    ours.discard("/api/openapi.yaml")
    assert ours == documented


def test_dashboard_owns_the_root_and_faust_table_dump_is_off(routes: set[str]) -> None:
    assert "/" in routes and "/static" in routes
    assert not [r for r in routes if r.startswith("/table")]


def test_parameters_are_validated() -> None:
    assert api._limit({}, 20) == 20
    assert api._limit({"limit": "5"}, 20) == 5
    for bad in ("0", "501", "x"):
        with pytest.raises(api.BadRequest):
            api._limit({"limit": bad}, 20)
    assert api._instant({"at": "1510392600000"}, "at") == 1510392600000
    assert api._instant({"at": "2017-11-11T09:30:00Z"}, "at") == 1510392600000
    with pytest.raises(api.BadRequest):
        api._instant({"at": "yesterday"}, "at")
    with pytest.raises(api.BadRequest):
        api._window({"window": "1m"}, allowed=("1h", "24h"))
    now = 1510392600000  # 09:30
    assert api._start({}, ONE_HOUR, now) == now - 30 * 60_000
    assert api._start({}, ONE_DAY_HOURLY, now) == now - 30 * 60_000 - 23 * HOUR_MS
    assert api._start({"start": str(now - 30 * 60_000)}, ONE_HOUR, now) == now - 30 * 60_000
    with pytest.raises(api.BadRequest):
        api._start({"start": str(now)}, ONE_HOUR, now)  # not on an hour boundary


def test_dashboard_never_writes_markup_from_data() -> None:
    """The page's script builds DOM nodes; article text never goes through innerHTML."""
    source = (REPO / "streams/web/static/dashboard.js").read_text()
    js = "\n".join(line for line in source.splitlines() if not line.strip().startswith("//"))
    html = (REPO / "streams/web/static/index.html").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in js, sink
    assert "<script>" not in html  # no inline script: the CSP would refuse it anyway
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    assert "textContent" in js and "safeUrl" in js
