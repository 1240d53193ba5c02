"""The one rule for showing a warehouse URL, or a message that may hold one: no secret in it.

A warehouse URL may carry secrets in three places, and every message, progress line, command
output and dashboard page that names the warehouse shows it through :func:`redact`:

- a password in the URL's user part: ``postgres://user:PASSWORD@host/db``;
- a secret-looking parameter: libpq's ``?password=`` (``sslpassword=``, a conninfo string's
  ``password=...``), Spark Connect's ``;token=``, anything named like a password, secret, token,
  key or credential;
- any parameter of a Spark Connect URL (``sc://host:15002/;name=value``) but the four PySpark
  reads for itself and are not secret (``use_ssl``, ``user_id``, ``user_agent``,
  ``session_id``): PySpark sends every other one to the server as a gRPC header, where a proxy
  in front of the server may want its own credentials.

>>> redact("postgres://kpi:hunter22@db.example:5432/kpiboard?sslmode=require&password=x")
'postgres://kpi:***@db.example:5432/kpiboard?sslmode=require&password=***'
>>> redact("sc://localhost:15002/;use_ssl=true;token=abc123;x-proxy=s")
'sc://localhost:15002/;use_ssl=true;token=***;x-proxy=***'
"""

from __future__ import annotations

import re
from urllib.parse import unquote

HIDDEN = "***"
#: Spark Connect parameters PySpark uses itself, none of them secret: shown as they are.
SPARK_CONNECT_SHOWN = frozenset({"use_ssl", "user_id", "user_agent", "session_id"})
#: A secret this long or longer is also hidden wherever it appears in a message, not only
#: where it stands in a URL (a driver's error may quote it): shorter ones would hide letters
#: of ordinary words.
LITERAL_MIN = 4

# `scheme://` and the rest of that token (a URL ends at white space or a quote)
_URL = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<rest>[^\s'\"<>]*)")
# name=value where the name looks like it holds a secret; the value ends at white space, a
# separator (& ; #) or a quote, or is quoted as in a conninfo string (password='a b')
_SECRET_NAME = r"[\w.-]*(?:pass(?:word|wd)?|pwd|secret|token|credential|api[_-]?key|auth)[\w.-]*"
_SECRET_PARAM = re.compile(
    rf"(?P<name>\b{_SECRET_NAME})(?P<eq>\s*=\s*)(?P<value>'[^']*'|\"[^\"]*\"|[^\s&;#'\"]*)",
    re.IGNORECASE,
)
_CONNECT_PARAM = re.compile(r"(?P<sep>;)(?P<name>[^;=\s]+)=(?P<value>[^;\s]*)")


def redact(text: str, url: str | None = None) -> str:
    """``text`` (a URL, or a message that may quote one) with every secret replaced by ``***``.
    With ``url``, the secrets in that URL are also hidden wherever they appear literally in
    ``text`` (a driver's error message that quotes the password on its own).

    >>> redact("password authentication failed: 'hunter22'", "postgres://u:hunter22@h/db")
    "password authentication failed: '***'"
    """
    hidden = _SECRET_PARAM.sub(_hide_param, _URL.sub(_hide_url, text))
    for secret in sorted(_secrets(url), key=len, reverse=True) if url else ():
        hidden = hidden.replace(secret, HIDDEN)
    return hidden


def _hide_param(found: re.Match[str]) -> str:
    return f"{found['name']}{found['eq']}{HIDDEN}" if found["value"] else found[0]


def _hide_url(found: re.Match[str]) -> str:
    scheme, rest = found["scheme"], found["rest"]
    # the user part ends at the last @ before the query or parameters: a password may hold an
    # @ or a / that its writer did not percent-encode
    head = re.split(r"[?;#]", rest, maxsplit=1)[0]
    at = head.rfind("@")
    if at > 0 and ":" in head[:at]:
        user = head[: head.index(":")]
        rest = f"{user}:{HIDDEN}{rest[at:]}"
    if scheme.lower() == "sc://":
        rest = _CONNECT_PARAM.sub(_hide_connect_param, rest)
    return scheme + rest


def _hide_connect_param(found: re.Match[str]) -> str:
    if found["name"].lower() in SPARK_CONNECT_SHOWN or not found["value"]:
        return found[0]
    return f"{found['sep']}{found['name']}={HIDDEN}"


def _secrets(url: str) -> set[str]:
    """The secrets :func:`redact` hides in ``url``, as written and percent-decoded."""
    found: set[str] = set()
    for match in _URL.finditer(url):
        rest = match["rest"]
        head = re.split(r"[?;#]", rest, maxsplit=1)[0]
        at = head.rfind("@")
        if at > 0 and ":" in head[:at]:
            found.add(head[head.index(":") + 1 : at])
        if match["scheme"].lower() == "sc://":
            found.update(
                p["value"]
                for p in _CONNECT_PARAM.finditer(rest)
                if p["name"].lower() not in SPARK_CONNECT_SHOWN
            )
    found.update(p["value"].strip("'\"") for p in _SECRET_PARAM.finditer(url))
    found |= {unquote(s) for s in found}
    return {s for s in found if len(s) >= LITERAL_MIN and s != HIDDEN}
