"""The application database outlives its PostgreSQL server dropping connections (a restart, an
idle timeout): the store's pooled connections are checked before use and replaced, so no
request fails on a connection the server has closed."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from appdb_helpers import FAST_HASHER, create_pg_database, drop_pg_database

from kpiboard.web.db import AppStore


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[tuple[AppStore, str]]:
    name, url = create_pg_database(postgres_url)
    store = AppStore.open(url, password_hasher=FAST_HASHER)
    yield store, name
    store.close()
    drop_pg_database(postgres_url, name)


def test_connections_the_server_dropped_are_replaced(
    pg_store: tuple[AppStore, str], postgres_url: str
) -> None:
    store, name = pg_store
    assert store.publication("MPS", "2009-08") is None  # a pooled connection now exists
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        dropped = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    assert dropped is not None and dropped[0] >= 1
    for _ in range(3):
        assert store.publication("MPS", "2009-08") is None
