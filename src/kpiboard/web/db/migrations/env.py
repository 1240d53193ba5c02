"""Alembic environment for the application database.

Run programmatically by ``kpiboard.web.db.migrate.upgrade``: the caller passes an open
SQLAlchemy Connection in ``config.attributes["connection"]``, so there is no alembic.ini and
no URL here. (``alembic revision --autogenerate`` works the same way through
``kpiboard.web.db.migrate.config``.)
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from kpiboard.web.db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError("run the migrations through kpiboard.web.db.migrate, with a connection")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs need batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
