"""Constants and helpers shared by the dashboard tests (fixtures are in conftest.py)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

from appdb_helpers import PASSWORD  # one password for every test account
from fastapi.testclient import TestClient

from kpiboard.web.db import Role

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "met-cpa-2009-10"
ORG = "metropolitan"
MONTH = "2009-08"

ROLES = {
    "viewer": Role.VIEWER,
    "editor": Role.EDITOR,
    "approver": Role.APPROVER,
    "admin": Role.ADMIN,
}
AppFactory = Callable[..., TestClient]
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (from a page's form)."""
    page = client.get("/login")
    token = csrf_of(page.text)
    got = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
    )
    assert got.status_code == 303, got.text
    return csrf_of(client.get(f"/scorecard/{ORG}/{MONTH}").text)


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes in pieces: a body httpx sends chunked (no Content-Length)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"x" * piece


# The reason an approver states to publish a month whose required commentary is not all
# written (the publish gate, docs/WEB.md; tests/web/test_web_gate.py tests the gate itself).
REASON = "The board meets today; the remaining commentary follows in the next pack."


def api_sign_in(client: TestClient, username: str) -> dict[str, str]:
    """Sign ``username`` in over the API (the client's earlier session forgotten); the
    headers a write then carries (the session's CSRF token)."""
    client.cookies.clear()
    got = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    return {"x-csrf-token": got.json()["csrf_token"]}
