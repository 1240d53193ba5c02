"""Helpers of the security suite (fixtures are in conftest.py): the dashboard tests' helpers in
tests/web are shared, not copied."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))

from appdb_helpers import FAST_HASHER  # found through the path above
from webutil import EXAMPLE, MONTH, ORG, PASSWORD, ROLES

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore
from kpiboard.web.service import ScorecardService

__all__ = [
    "EXAMPLE",
    "MONTH",
    "ORG",
    "PASSWORD",
    "ROLES",
    "StoreFactory",
    "client_for",
    "open_store",
    "sign_in",
]

StoreFactory = Callable[[], AppStore]


def open_store(folder: Path) -> AppStore:
    """A new application database with the accounts viewer, editor, approver and admin."""
    store = AppStore.open(f"sqlite:///{folder / 'app.sqlite3'}", password_hasher=FAST_HASHER)
    for name, role in ROLES.items():
        store.add_user(name, PASSWORD, role, name.capitalize())
    return store


def client_for(
    service: ScorecardService,
    store: AppStore,
    settings: Dashboard | None = None,
    base_url: str = "http://127.0.0.1",
) -> TestClient:
    """A TestClient on a new app over ``service`` and ``store``."""
    app = create_app(service, store, settings or Dashboard())
    return TestClient(app, base_url=base_url, follow_redirects=False)


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the API (the client keeps the cookie); the session's CSRF token."""
    got = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    token: str = got.json()["csrf_token"]
    return token
