"""The JSON Schemas in ``schemas/``, compiled once into fast validators."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson


def schemas_dir() -> Path:
    """``schemas/`` in a source checkout, or its copy inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "schemas", here / "_schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("schemas/ not found next to the streams package")


@cache
def load_schema(name: str) -> dict[str, Any]:
    return orjson.loads((schemas_dir() / name).read_bytes())


@cache
def validator(name: str) -> Callable[[Any], Any]:
    """A compiled validator; raises ``fastjsonschema.JsonSchemaValueException``."""
    return fastjsonschema.compile(load_schema(name), formats=_FORMATS)


def _is_rfc3339(value: str) -> bool:
    from .timeutil import parse_rfc3339

    return parse_rfc3339(value) is not None


_FORMATS = {"date-time": _is_rfc3339}

ValidationError = fastjsonschema.JsonSchemaValueException
