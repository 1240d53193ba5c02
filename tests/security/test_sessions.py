"""Sessions: signing in again, with the form or the API, ends the session the browser held and
issues a new one, so a cookie planted before sign-in or copied from an earlier one reads
nothing afterwards."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kpiboard.web.service import ScorecardService
from security.secutil import PASSWORD, StoreFactory, client_for

COOKIE = "kpiboard_session"


def _form_sign_in(client: TestClient, username: str) -> None:
    client.get("/login")
    token = client.cookies["kpiboard_login_csrf"]
    got = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert got.status_code == 303, got.text


def _api_sign_in(client: TestClient, username: str) -> None:
    got = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text


SIGN_INS = {"form": _form_sign_in, "api": _api_sign_in}


@pytest.mark.parametrize("how", sorted(SIGN_INS))
@pytest.mark.parametrize("again_as", ["viewer", "editor"])
def test_signing_in_again_ends_the_old_session(
    secure_service: ScorecardService, new_store: StoreFactory, how: str, again_as: str
) -> None:
    store = new_store()
    client = client_for(secure_service, store)
    SIGN_INS[how](client, "viewer")
    old = client.cookies[COOKIE]
    assert client.get("/api/months").status_code == 200

    SIGN_INS[how](client, again_as)
    new = client.cookies[COOKIE]
    assert new != old
    assert client.get("/api/months").status_code == 200

    stale = client_for(secure_service, store)
    stale.cookies.set(COOKIE, old)
    assert stale.get("/api/months").status_code == 401
    assert store.session(old) is None and store.session(new) is not None
