"""Wire codecs: every JSON Wirewatch writes or reads goes through orjson.

Registered with Faust as ``"orjson"``; the CLI and tests use ``dumps``/``loads``
directly so both sides of a topic agree byte for byte.
"""

from __future__ import annotations

from typing import Any

import orjson
from faust.serializers import codecs

OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=OPTIONS)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)


class OrjsonCodec(codecs.Codec):
    """Faust codec backed by orjson (faster than the stdlib ``json`` codec)."""

    def _dumps(self, obj: Any) -> bytes:
        return dumps(obj)

    def _loads(self, s: bytes) -> Any:
        return loads(s)


def register() -> None:
    codecs.register("orjson", OrjsonCodec())
