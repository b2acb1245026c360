"""``wirewatch worker`` under cProfile, one profile per thread that matters.

A worker has two busy threads: the event loop (Faust, aiokafka, codecs, the story,
alert and mention agents) and the NLP thread (``enrich_parts``). cProfile sees one
thread per profiler, so the event loop is profiled from start to exit and the NLP
thread around each step of ``enrich_safely`` (a generator, looked up as a module
global by the agent at every batch, so wrapping it here changes nothing in the
product). Times are wall seconds of each thread (cProfile's C timer: a Python timer
such as ``time.thread_time`` multiplies the overhead); the loop thread's idle time
shows up under ``select``/``epoll``. cProfile slows Python-heavy code a lot: use a profiled
run for *where* time goes, never for the ratios.

Profiles go to ``$WIREWATCH_BENCH_PROFILE-loop.prof`` and ``-nlp.prof`` on exit.
"""

from __future__ import annotations

import cProfile
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def profile_steps(
    original: Callable[..., Iterator[Any]], profile: cProfile.Profile
) -> Callable[..., Iterator[Any]]:
    """``original`` (a generator function) with ``profile`` on during each of its steps.

    The steps run in whichever thread iterates the generator (the NLP thread), which
    is the thread cProfile must be enabled in. Arguments pass through unchanged,
    keywords included (``enrich_safely``'s ``chunked`` is keyword-only).
    """

    def profiled(*args: Any, **kwargs: Any) -> Iterator[Any]:
        parts = original(*args, **kwargs)
        while True:
            profile.enable()
            try:
                part = next(parts, None)
            finally:
                profile.disable()
            if part is None:
                return
            yield part

    return profiled


def main() -> None:
    base = os.environ["WIREWATCH_BENCH_PROFILE"]
    Path(base).parent.mkdir(parents=True, exist_ok=True)
    import streams.agents.enrich as enrich

    nlp_profile = cProfile.Profile()
    profiled = profile_steps(enrich.enrich_safely, nlp_profile)
    enrich.enrich_safely = profiled
    loop_profile = cProfile.Profile()
    from streams.cli import main as cli

    loop_profile.enable()
    try:
        cli(["worker"], standalone_mode=False)
    finally:
        loop_profile.disable()
        loop_profile.dump_stats(f"{base}-loop.prof")
        nlp_profile.dump_stats(f"{base}-nlp.prof")


if __name__ == "__main__":
    main()
