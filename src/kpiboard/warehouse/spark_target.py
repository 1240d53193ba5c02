"""A Spark master's URL as kpiboard reads it (docs/SPARK.md, "Choosing it"): ``local[N]``,
``spark://HOST:7077`` or ``sc://HOST:15002`` (with Spark Connect's ``/;name=value``
parameters), and how messages show it: without its token (kpiboard.redaction)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kpiboard.redaction import redact

_LOCAL = re.compile(r"^local(\[(\d+|\*)(,\s*\d+)?\])?$")
_REMOTE = re.compile(r"^(spark|sc)://([^/:?#]+)(?::(\d+))?(/.*)?$")
DEFAULT_PORTS = {"spark": 7077, "sc": 15002}


@dataclass(frozen=True)
class SparkUrl:
    """A Spark master: ``kind`` is "local", "spark" (a standalone master) or "sc" (Spark
    Connect); ``host``/``port`` for the last two."""

    text: str
    kind: str
    host: str | None = None
    port: int | None = None

    @property
    def local(self) -> bool:
        return self.kind == "local"

    @property
    def shown(self) -> str:
        """The URL as messages show it: without its token or any other secret."""
        return redact(self.text)

    def scrub(self, message: str) -> str:
        """``message`` (a driver's or PySpark's) without this URL's secrets."""
        return redact(message, self.text)


def spark_url(url: str | None) -> SparkUrl | None:
    """The Spark master ``url`` names, None when it is not a Spark URL."""
    if url is None:
        return None
    text = url.strip()
    if _LOCAL.match(text):
        return SparkUrl(text, "local")
    found = _REMOTE.match(text)
    if found is None:
        return None
    kind, host, port = found.group(1), found.group(2), found.group(3)
    return SparkUrl(text, kind, host, int(port) if port else DEFAULT_PORTS[kind])
