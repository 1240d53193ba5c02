"""Running the application database's Alembic migrations from code (no alembic.ini needed).

Alembic is imported only when a database is not at :data:`HEAD` (new, older, or newer than
this kpiboard): opening a database that is already current, what every command and every
dashboard start does, asks one row of ``alembic_version`` and no more (Alembic and its
migration scripts are a fifth of a second of start-up).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from kpiboard.web.db.engine import WRITE

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The newest revision in migrations/versions (a test checks it is Alembic's head).
HEAD = "0008"


class UnknownRevision(Exception):
    """The database is at a revision this kpiboard's migrations do not have (a newer one)."""


def config(connection: Connection | None = None) -> Config:
    """An Alembic Config pointing at the packaged migrations; ``connection`` is handed to env.py."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    """The newest revision this version of kpiboard knows, as Alembic finds it."""
    from alembic.script import ScriptDirectory

    rev = ScriptDirectory.from_config(config()).get_current_head()
    assert rev is not None
    return rev


def current(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    from alembic.migration import MigrationContext

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


def at_head(engine: Engine) -> bool:
    """Whether the database is at :data:`HEAD`, asked without Alembic (False when it has no
    revision table yet: a new database)."""
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    except (OperationalError, ProgrammingError):
        return False  # no such table; a server that cannot be reached says so again below
    return [tuple(r) for r in found] == [(HEAD,)]


def bring_to_head(engine: Engine) -> None:
    """Upgrade the database to the newest revision unless it is there already; a revision
    this kpiboard does not know raises :class:`UnknownRevision`."""
    if at_head(engine):
        return
    from alembic.util.exc import CommandError

    try:
        upgrade(engine)
    except CommandError as exc:
        raise UnknownRevision(str(exc)) from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` in one transaction (DDL is transactional on both
    PostgreSQL and SQLite, so a failed upgrade leaves the database as it was)."""
    from alembic import command

    with _exclusive(engine) as conn:
        command.upgrade(config(conn), revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _exclusive(engine) as conn:
        command.downgrade(config(conn), revision)
