"""Running the application database's Alembic migrations from code (no alembic.ini needed)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from kpiboard.web.db.engine import WRITE

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations; ``connection`` is handed to env.py."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this version of kpiboard knows."""
    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


MIGRATION_LOCK = 0x6B7069626F617264  # "kpiboard": the advisory lock two starting servers share


# Alembic's `context` is a module-level proxy: two threads of one process must not migrate at once.
_IN_PROCESS = threading.Lock()


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """A write transaction that no other process migrating the same database runs beside:
    SQLite's BEGIN IMMEDIATE, PostgreSQL's transaction-scoped advisory lock. Two dashboard
    workers starting at once then upgrade one after the other; the second finds nothing to do."""
    with _IN_PROCESS, engine.connect() as conn:
        conn = conn.execution_options(**{WRITE: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            yield conn


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction (DDL is transactional on both
    PostgreSQL and SQLite, so a failed upgrade leaves the database as it was)."""
    with _exclusive(engine) as conn:
        command.upgrade(config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    with _exclusive(engine) as conn:
        command.downgrade(config(conn), revision)
