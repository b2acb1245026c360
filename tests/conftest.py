"""Fixtures shared by every test layer.

``shared_corpora`` skips a test cleanly when ``../shared/corpora`` is absent (a
user's clone does not have it). ``nlp_for`` builds a language's pipeline once per
session and component set, so unit tests of one component stay quick.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The real-broker fixtures, registered here once so integration and e2e tests share
# one session broker (a conftest in each directory would start one each).
from tests.kafka_fixtures import kafka_settings, topics_ready, worker  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WIREWATCH_SHARED", REPO.parent / "shared")) / "corpora"
SAMPLE_FR = SHARED / "samples" / "da-nang-syria-statement.fr.txt"


@pytest.fixture(scope="session")
def shared_corpora() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is absent (reference corpora are not part of a clone)")
    return SHARED


@pytest.fixture(scope="session")
def sample_fr_text(shared_corpora: Path) -> str:
    return (shared_corpora / "samples" / "da-nang-syria-statement.fr.txt").read_text()


_PIPELINES: dict = {}


@pytest.fixture(scope="session")
def nlp_for():
    """nlp_for("fr") → the configured French pipeline (cached for the session).

    nlp_for("fr", pipes=[...], components=[(name, config), ...]) builds a variant,
    e.g. only the components up to the one under test.
    """
    from streams.nlp.pipeline import LanguageConfig, build_nlp, load_pipeline_configs

    def get(lang: str, pipes=None, components=None):
        base = load_pipeline_configs()[lang]
        chosen = tuple(pipes) if pipes is not None else base.pipes
        cfg = LanguageConfig(
            language=lang,
            model=base.model,
            pipes=chosen,
            components=tuple(components) if components is not None else base.components,
            # the worker's replacements, for the pipes this variant keeps
            replace=tuple((p, f) for p, f in base.replace if p in chosen),
        )
        key = (cfg.language, cfg.pipes, repr(cfg.components))
        if key not in _PIPELINES:
            _PIPELINES[key] = build_nlp(cfg)
        return _PIPELINES[key]

    return get
