"""CPU per article of alert rule matching: ``python -m streams.alerts.bench ENRICHED.jsonl``.

Reads enriched records (what ``wirewatch enrich`` prints), runs ``match_article`` on each
``--repeat`` times with the native guards and with cel-python alone (``native=False``),
checks that both give the same matches and errors, and prints µs of CPU per article:
building the context, each rule (with the CEL values it is the first to need), and the
whole match (Match records included)::

    .venv/bin/wirewatch enrich streams/samples/sample-stream.jsonl > /tmp/enriched.jsonl
    .venv/bin/python -m streams.alerts.bench /tmp/enriched.jsonl --repeat 20
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from .context import build_context
from .matching import match_article
from .rules import RuleSet, load_rules


def _per_article(records: Sequence[dict[str, Any]], rules: RuleSet, repeat: int) -> Counter:
    """CPU seconds per article: "context", each rule id, and "match_article" in all."""
    clock = time.process_time
    spent: Counter[str] = Counter()
    for _ in range(repeat):
        for record in records:
            started = clock()
            article = rules.article(build_context(record, rules.lists))
            spent["context"] += clock() - started
            for rule in rules.rules:
                started = clock()
                rule.evaluate(article)
                spent[rule.id] += clock() - started
    started = clock()
    for _ in range(repeat):
        for record in records:
            match_article(record, rules, 0)
    spent["match_article"] = clock() - started
    n = repeat * len(records)
    return Counter({k: v / n for k, v in spent.items()})


def report(records: Sequence[dict[str, Any]], rules: list[str], default: bool, repeat: int):
    native = load_rules(rules, include_default=default)
    reference = load_rules(rules, include_default=default, native=False)
    same = sum(
        _outcome(match_article(r, native, 0)) == _outcome(match_article(r, reference, 0))
        for r in records
    )
    yield f"{len(records)} articles × {repeat}; native and CEL-only identical on {same}"
    fast = _per_article(records, native, repeat)
    slow = _per_article(records, reference, repeat)
    yield f"{'µs CPU / article':<40} {'CEL only':>10} {'native':>10} {'ratio':>8}"
    for key in ["context", *(r.id for r in native.rules), "match_article"]:
        before, after = slow[key] * 1e6, fast[key] * 1e6
        yield f"{key:<40} {before:>10.1f} {after:>10.1f} {before / max(after, 1e-9):>7.1f}×"


def _outcome(result: Any) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    return [m.to_record() for m in result.matches], result.errors


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as lines:
        for line in lines:
            if line.strip():
                yield orjson.loads(line)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m streams.alerts.bench", description=__doc__)
    parser.add_argument("enriched", type=Path, nargs="+", help="JSON Lines of enriched records")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rules", action="append", default=[], help="extra rule file or dir")
    parser.add_argument("--no-default", action="store_true", help="without the default pack")
    args = parser.parse_args(argv)
    records = [r for path in args.enriched for r in _records(path)]
    for line in report(records, args.rules, not args.no_default, args.repeat):
        print(line)


if __name__ == "__main__":
    main()
