"""The security headers: on every response (pages, the API, errors, static files, the frozen
pack), a Permissions-Policy that allows no device or browser feature; Strict-Transport-Security
and Secure cookies only when the project says it is served over HTTPS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.service import ScorecardService
from security.secutil import MONTH, ORG, PASSWORD, StoreFactory, client_for, sign_in

PATHS = [
    "/login",
    "/no/such/page",
    "/api/months",
    "/api/no/such/call",
    "/static/kpiboard.css",
    "/openapi.json",
    f"/scorecard/{ORG}/{MONTH}",
    f"/packs/{ORG}/{MONTH}/pack.html",
]
DENIED = ("camera", "microphone", "geolocation", "payment", "usb", "fullscreen")


def _signed_in(client: TestClient) -> TestClient:
    token = sign_in(client, "approver")
    got = client.post(
        f"/api/packs/{ORG}/{MONTH}",
        headers={"x-csrf-token": token},
        json={"reason": "The board meets today; the commentary follows."},
    )
    assert got.status_code == 201, got.text
    return client


@pytest.mark.parametrize("https", [False, True])
def test_every_response_denies_browser_features(
    secure_service: ScorecardService, new_store: StoreFactory, https: bool
) -> None:
    base_url = "https://127.0.0.1" if https else "http://127.0.0.1"  # Secure cookies come back
    client = _signed_in(
        client_for(secure_service, new_store(), Dashboard(https=https), base_url=base_url)
    )
    for path in PATHS:
        got = client.get(path)
        policy = dict(
            part.strip().split("=", 1) for part in got.headers["permissions-policy"].split(",")
        )
        assert all(policy[feature] == "()" for feature in DENIED), path
        assert set(policy.values()) == {"()"}, path
        if https:
            assert got.headers["strict-transport-security"] == "max-age=31536000", path
        else:
            assert "strict-transport-security" not in got.headers, path


def _session_cookie(client: TestClient) -> str:
    got = client.post("/api/session", json={"username": "viewer", "password": PASSWORD})
    assert got.status_code == 200, got.text
    return next(h for h in got.headers.get_list("set-cookie") if h.startswith("kpiboard_session="))


def test_served_over_https_the_cookies_are_secure_behind_a_plain_http_proxy(
    secure_service: ScorecardService, new_store: StoreFactory
) -> None:
    # the TLS proxy forwards plain HTTP: the request's own scheme cannot tell
    store = new_store()
    behind_proxy = client_for(secure_service, store, Dashboard(https=True))
    assert "; Secure" in behind_proxy.get("/login").headers["set-cookie"]
    assert "; Secure" in _session_cookie(behind_proxy)
    plain = client_for(secure_service, store, Dashboard())
    assert "Secure" not in _session_cookie(plain)


def test_https_is_a_dashboard_setting() -> None:
    assert Dashboard().https is False
    assert Dashboard.model_validate({"https": True}).https is True
