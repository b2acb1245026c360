"""A worker runs every agent, or one tier: the NLP (enrich) or everything after it."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from streams.app import create_app
from streams.cli import main
from streams.config import ConfigError, load_settings

DOWNSTREAM_AGENTS = {"stories", "alert-match", "alerts", "mentions-fanout", "mentions-count"}
TABLES = {"story-articles", "alert-state", "mention-articles", "mention-counts"}


def _app(tmp_path, role: str):
    return create_app(load_settings(env={}, home=tmp_path, app_id="roles-test", role=role))


def _agents(app) -> set[str]:
    return {name.rsplit(".", 1)[-1] for name in app.agents}


def test_a_worker_of_role_all_runs_every_agent_in_the_app_id_group(tmp_path):
    app = _app(tmp_path, "all")
    assert _agents(app) == {"enrich"} | DOWNSTREAM_AGENTS
    assert set(app.tables) == TABLES
    assert app.conf.id == "roles-test"
    assert {"/metrics", "/healthz", "/api/actors/top", "/"} <= set(app.web.views)


def test_an_enrich_worker_runs_the_nlp_alone_in_a_group_of_its_own(tmp_path):
    app = _app(tmp_path, "enrich")
    assert _agents(app) == {"enrich"}
    assert not app.tables  # nothing to recover: it scales by raw-articles' partitions alone
    assert app.conf.id == "roles-test-enrich"
    # Metrics and liveness only: it holds no table an API could query.
    assert set(app.web.views) == {"/metrics", "/healthz"}
    settings = load_settings(env={}, home=tmp_path, app_id="roles-test", role="enrich")
    assert (
        settings.worker_dir != load_settings(env={}, home=tmp_path, app_id="roles-test").worker_dir
    )


def test_a_downstream_worker_runs_everything_after_the_nlp_under_the_app_id(tmp_path):
    app = _app(tmp_path, "downstream")
    assert _agents(app) == DOWNSTREAM_AGENTS
    assert set(app.tables) == TABLES
    # The tables' changelog topics are named after the app id: the same as a worker of
    # role "all", so a deployment can split without losing its state.
    assert app.conf.id == "roles-test"
    assert {"/metrics", "/healthz", "/api/actors/top", "/"} <= set(app.web.views)


def test_an_unknown_role_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="role must be one of"):
        load_settings(env={"WIREWATCH_ROLE": "nlp"}, home=tmp_path)
    result = CliRunner().invoke(main, ["worker", "--role", "nlp"])
    assert result.exit_code == 2
    assert "'nlp' is not one of" in result.output
