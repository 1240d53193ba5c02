"""The rules for what may be stored: usernames, the password policy, keys and months."""

from __future__ import annotations

import re

from kpiboard.errors import KpiboardError
from kpiboard.web.db.errors import MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, BadPassword, BadUsername

USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
ORG_MAX, MEASURE_MAX, DISPLAY_NAME_MAX, DATA_VERSION_MAX, EVENT_MAX = 64, 128, 200, 128, 64


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def username_key(username: str) -> str:
    """What makes two usernames the same account: case is ignored. Only ASCII letters are
    lower-cased — exactly what SQL ``lower()`` does to a valid username on SQLite and
    PostgreSQL alike — so no other character (say the Kelvin sign) can stand for a ``k``.

    >>> username_key("Admin") == username_key("ADMIN") == "admin"
    True
    """
    return username.translate(_ASCII_LOWER)


def check_username(username: str) -> None:
    if not USERNAME.fullmatch(username):
        raise BadUsername(username)


def check_password(username: str, password: str) -> None:
    """At least 12 characters (at most 1,024), and not the username."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise BadPassword(
            f"it has {len(password)} characters; at least {MIN_PASSWORD_CHARS} are needed"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise BadPassword(
            f"it has {len(password):,} characters; at most {MAX_PASSWORD_CHARS:,} are allowed"
        )
    if password.strip().casefold() == username.casefold():
        raise BadPassword("it is the username")


def check_key(what: str, value: str, longest: int) -> None:
    if not value or len(value) > longest:
        raise KpiboardError(
            f"{what} must be 1 to {longest} characters, not {len(value)}",
            hint=f"pass the {what}'s id as the scorecard names it",
        )


def check_month(month: str) -> None:
    if not MONTH.fullmatch(month):
        raise KpiboardError(f"month {month!r} is not YYYY-MM", hint="e.g. 2009-08")
