"""``bench --profile`` wraps the NLP generator without changing how it is called."""

from __future__ import annotations

import cProfile
import pstats

from bench.profiled_worker import profile_steps


def test_profiled_enrich_passes_keywords_and_profiles_each_step():
    def parts(messages, *, chunked):  # the shape of enrich_safely: keyword-only chunked
        for m in messages:
            yield [(m, sum(i * i for i in range(2000)) if chunked else None)]

    profile = cProfile.Profile()
    out = list(profile_steps(parts, profile)([1, 2, 3], chunked=True))
    assert [p[0][0] for p in out] == [1, 2, 3]
    calls = {f[2] for f in pstats.Stats(profile).stats}  # function names seen profiled
    assert "parts" in calls
