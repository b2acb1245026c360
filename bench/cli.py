"""The body of ``wirewatch bench`` (the click command in ``streams/cli.py`` only parses flags)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from streams.config import Settings

from .report import markdown
from .run import BenchOptions, run_bench


def run_cli(
    settings: Settings,
    *,
    quick: bool = False,
    articles: int | None = None,
    transport_messages: int | None = None,
    latency_seconds: float | None = None,
    soak_minutes: float | None = None,
    soak_articles: int | None = None,
    seed: int | None = None,
    out: Path | None = None,
    profile: bool = False,
    progress: bool = True,
) -> int:
    """Run the benchmark, print the Markdown table; return the exit code."""
    opts = BenchOptions.quick() if quick else BenchOptions()
    changes = {
        "articles": articles,
        "transport_messages": transport_messages,
        "latency_seconds": latency_seconds,
        "soak_seconds": soak_minutes * 60 if soak_minutes is not None else None,
        "soak_articles": soak_articles,
        "seed": seed,
        "out": out,
    }
    opts = replace(opts, **{k: v for k, v in changes.items() if v is not None})
    if soak_articles is not None and soak_minutes is None:
        # "1,000,000 articles or as many as fit in 30 minutes"
        opts = replace(opts, soak_seconds=30 * 60)
    opts = replace(opts, profile=profile, progress=progress)
    try:
        result, out_dir = run_bench(settings, opts, start_broker=settings.manages_broker)
    except RuntimeError as exc:
        print(f"wirewatch bench: {exc}", file=sys.stderr)
        return 1
    print(markdown(result))
    print(f"results: {out_dir}/results.json, results.md, plot.png", file=sys.stderr)
    return 0
