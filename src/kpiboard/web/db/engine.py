"""One SQLAlchemy Engine for the application database, safe to share between threads.

The dashboard answers requests in uvicorn's thread pool, so the store keeps one Engine (a
connection pool) and opens a short Session per call. For SQLite that means: connections usable
from any thread, foreign keys on (SQLite leaves them off), WAL so readers do not wait for a
writer, a busy timeout, and ``BEGIN IMMEDIATE`` for write transactions so two writers queue
up instead of failing with "database is locked" when one upgrades a read lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from kpiboard.redaction import redact
from kpiboard.web.db.errors import DatabaseUnavailable

WRITE = "kpiboard_write"  # execution option: this transaction will write
SQLITE_BUSY_SECONDS = 30


def redacted(url: str | URL) -> str:
    """The application database's URL for a message: kpiboard's one rule (the password in the
    user part, and a secret parameter such as libpq's ``?password=``, hidden)."""
    try:
        return redact(make_url(url).render_as_string(hide_password=False))
    except ArgumentError:
        return "<unreadable URL>"


def parse(url: str) -> URL:
    """The URL with a driver chosen: ``postgres://`` and ``postgresql://`` mean psycopg 3."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"{url!r} is not a database URL",
            hint="use e.g. sqlite:////abs/path/app.sqlite3 or postgresql+psycopg://user@host/db",
        ) from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str) -> Engine:
    parsed = parse(url)
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    memory = sqlite and parsed.database in (None, "", ":memory:")
    if sqlite:
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS}
        if memory:  # one shared connection, or every checkout would see an empty database
            kwargs["poolclass"] = StaticPool
    else:
        # a pooled connection the server has dropped (a restart, an idle timeout) is found by
        # a round trip at checkout and replaced, instead of failing the request that drew it
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ImportError, ArgumentError) as exc:
        hint = (
            "install the PostgreSQL driver: pip install 'kpiboard[postgres]'"
            if parsed.get_backend_name() == "postgresql"
            else "the application database may be SQLite or PostgreSQL"
        )
        raise DatabaseUnavailable(
            f"cannot use the database {redacted(parsed)}: {redact(str(exc), url)}", hint=hint
        ) from exc
    if sqlite:
        _sqlite_setup(engine, wal=not memory)
    return engine


def _sqlite_setup(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's BEGIN (below) start transactions, not the sqlite3 module's guesswork.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
        if wal:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
