"""Fixtures for the application database: every store test runs on SQLite (a file in
tmp_path) and on the real PostgreSQL server of tests/conftest.py (a database of its own per
test module, emptied before each test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD, Clock, create_pg_database, drop_pg_database

from kpiboard.web.db import AppStore, Role, User
from kpiboard.web.db.models import Base


@pytest.fixture(scope="module")
def pg_module_url(postgres_url: str) -> Iterator[str]:
    """A migrated database of this module's own on the test PostgreSQL server."""
    name, url = create_pg_database(postgres_url)
    AppStore.open(url).close()
    yield url
    drop_pg_database(postgres_url, name)


def _empty_pg(url: str) -> None:
    import psycopg
    from psycopg import sql

    tables = sql.SQL(", ").join(sql.Identifier(t.name) for t in Base.metadata.sorted_tables)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.sqlite3'}"
    url: str = request.getfixturevalue("pg_module_url")
    _empty_pg(url)
    return url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[AppStore]:
    s = AppStore.open(db_url, now=clock, password_hasher=FAST_HASHER)
    yield s
    s.close()


@pytest.fixture
def people(store: AppStore) -> dict[Role, User]:
    """One active user per role, named after it."""
    return {role: store.add_user(role.value, PASSWORD, role) for role in Role}
