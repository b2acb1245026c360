"""Reading articles from files for ``wirewatch ingest`` / ``enrich``: .json, .jsonl, .txt."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .records import derive_article_id


class InputError(ValueError):
    """A file cannot be read as articles; the message names the file and line."""


def article_from_text(text: str, path: Path, source: str | None = None) -> dict[str, Any]:
    """A plain-text file is one article; its id is derived from its content."""
    return {
        "id": derive_article_id(source, None, text),
        "text": text,
        "source": source,
        "title": None,
        "url": None,
    }


def _with_id(article: Any, source: str | None) -> Any:
    if isinstance(article, dict):
        if source and not article.get("source"):
            article["source"] = source
        if not article.get("id") and isinstance(article.get("text"), str):
            article["id"] = derive_article_id(
                article.get("source"), article.get("url"), article["text"]
            )
    return article


def read_articles(paths: Iterable[Path], source: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield article objects; ids are derived deterministically when absent."""
    for path in paths:
        if path.is_dir():
            children = sorted(p for p in path.iterdir() if p.suffix in {".json", ".jsonl", ".txt"})
            yield from read_articles(children, source)
            continue
        suffix = path.suffix.lower()
        if suffix == ".txt":
            yield article_from_text(path.read_text(encoding="utf-8"), path, source)
        elif suffix == ".jsonl":
            with path.open("rb") as fh:
                for lineno, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        yield _with_id(orjson.loads(line), source)
                    except orjson.JSONDecodeError as exc:
                        raise InputError(f"{path}:{lineno}: not JSON ({exc})") from None
        elif suffix == ".json":
            try:
                data = orjson.loads(path.read_bytes())
            except orjson.JSONDecodeError as exc:
                raise InputError(f"{path}: not JSON ({exc})") from None
            for item in data if isinstance(data, list) else [data]:
                yield _with_id(item, source)
        else:
            raise InputError(f"{path}: unsupported file type (use .json, .jsonl or .txt)")
