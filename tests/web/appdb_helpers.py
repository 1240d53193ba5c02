"""Shared by the application-database tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher

# argon2 at its cheapest, so the suite is fast; production keeps argon2-cffi's defaults
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Clock:
    """An injectable clock that moves only when told."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def create_pg_database(server_url: str) -> tuple[str, str]:
    """A fresh database on the test server: (its name, its URL)."""
    import psycopg
    from psycopg import sql

    name = f"kpiboard_app_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name, server_url.rsplit("/", 1)[0] + "/" + name


def drop_pg_database(server_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
