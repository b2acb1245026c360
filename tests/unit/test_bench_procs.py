"""The bench's children import the installed packages, whatever directory it runs from."""

from __future__ import annotations

import subprocess
import sys

from bench.procs import child_env
from streams.config import load_settings


def test_a_bench_py_in_the_working_directory_does_not_shadow_the_bench_package(tmp_path):
    (tmp_path / "bench.py").write_text("raise SystemExit('the stray bench.py was imported')\n")
    env = child_env(load_settings())
    probe = [sys.executable, "-m", "bench.procs"]  # what the bench's children do: -m bench.…
    done = subprocess.run(probe, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "stray" not in done.stderr
