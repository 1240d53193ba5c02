"""Fixtures for the dashboard and its application database. Every store test runs on SQLite
(a file in tmp_path) and on the real PostgreSQL server of tests/conftest.py (a database of its own per
test module, emptied before each test)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD, Clock, create_pg_database, drop_pg_database
from browserutil import Served, served
from fastapi.testclient import TestClient
from webutil import EXAMPLE, ROLES, AppFactory

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.builds import BuildQuota
from kpiboard.web.db import AppStore, Role, User
from kpiboard.web.db.models import Base
from kpiboard.web.service import ScorecardService


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


# --- the dashboard: the reference example served with a fresh SQLite application database ---


@pytest.fixture(scope="session")
def example_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("web") / "met"
    shutil.copytree(EXAMPLE, dest, ignore=shutil.ignore_patterns(".kpiboard"))
    return dest


@pytest.fixture(scope="session")
def service(example_project: Path) -> Iterator[ScorecardService]:
    svc = ScorecardService.open(example_project)
    # one service serves every test, and test accounts share ids: no building-time budget here
    # (tests/web/test_web_builds.py tests it on a quota of its own)
    svc.quota = BuildQuota(burst=float("inf"))
    yield svc
    svc.close()


def _accounts(store: AppStore) -> None:
    for name, role in ROLES.items():
        store.add_user(name, PASSWORD, role, name.capitalize())


@pytest.fixture
def app_store(tmp_path: Path) -> Iterator[AppStore]:
    s = AppStore.open(f"sqlite:///{tmp_path / 'app.sqlite3'}", password_hasher=FAST_HASHER)
    _accounts(s)
    yield s
    s.close()


@pytest.fixture
def make_client(service: ScorecardService, app_store: AppStore) -> AppFactory:
    """A TestClient on a fresh app; ``anonymous_read`` as asked."""

    default = app_store

    def make(*, anonymous_read: bool = False, app_store: AppStore | None = None) -> TestClient:
        app = create_app(service, app_store or default, Dashboard(anonymous_read=anonymous_read))
        return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)

    return make


@pytest.fixture
def client(make_client: AppFactory) -> TestClient:
    return make_client()


@pytest.fixture
def own_client(tmp_path: Path, app_store: AppStore) -> Iterator[TestClient]:
    """A client on a copy of the demo project with a warehouse of its own: approving an
    entered figure loads it there, and no other test sees it."""
    root = tmp_path / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    service = ScorecardService.open(root)
    try:
        app = create_app(service, app_store, Dashboard())
        yield TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)
    finally:
        service.close()


@pytest.fixture(scope="session")
def a11y_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One `kpiboard serve` and the HTML outputs for the accessibility and print tests."""
    with served(tmp_path_factory) as got:
        yield got
