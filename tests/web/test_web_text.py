"""Text the dashboard cannot store as it was sent is refused, saying so: a NUL byte in any
field, a lone surrogate in JSON (no UTF-8 spelling), a CSRF token that is not ASCII."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, PASSWORD, chunks, csrf_of, sign_in

from kpiboard.web.db import AppStore
from kpiboard.web.security import MAX_BODY_BYTES

KPI = f"/scorecard/{ORG}/{MONTH}/kpi/robbery"
SAVE = KPI + "/commentary"
API_SAVE = f"/api/commentary/{ORG}/{MONTH}/robbery"


def _raw_json(client: TestClient, path: str, body: str, csrf: str = "") -> object:
    return client.post(
        path,
        content=body.encode("ascii"),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
    )


@pytest.mark.parametrize("escaped", ["\\ud800", "a\\udfffb", "\\u0000", "x\\u0000y"])
def test_api_commentary_that_cannot_be_stored_is_a_422(
    client: TestClient, app_store: AppStore, escaped: str
) -> None:
    csrf = sign_in(client, "editor")
    got = _raw_json(client, API_SAVE, f'{{"text": "Rising {escaped}"}}', csrf)
    assert got.status_code == 422, got.text  # type: ignore[attr-defined]
    error = got.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "invalid_text"
    assert "text" in error["message"] and error["hint"]
    assert app_store.revisions(ORG, "robbery", MONTH) == []
    fine = _raw_json(client, API_SAVE, '{"text": "Rising \\u00e9 \\ud83d\\ude00"}', csrf)
    assert fine.status_code == 201  # type: ignore[attr-defined]
    assert app_store.revisions(ORG, "robbery", MONTH)[0].text == "Rising é 😀"


def test_api_sign_in_with_a_nul_or_a_lone_surrogate_is_a_422(client: TestClient) -> None:
    for field, body in (
        ("username", f'{{"username": "editor\\u0000", "password": "{PASSWORD}"}}'),
        ("password", f'{{"username": "editor", "password": "{PASSWORD}\\u0000"}}'),
        ("username", f'{{"username": "\\ud800", "password": "{PASSWORD}"}}'),
    ):
        got = _raw_json(client, "/api/session", body)
        assert got.status_code == 422, got.text  # type: ignore[attr-defined]
        error = got.json()["error"]  # type: ignore[attr-defined]
        # (the surrogate is refused by the body's own checks, as the fields have a length)
        assert error["code"] in ("invalid_text", "invalid_request")
        assert field in error["message"]
        assert "kpiboard_session" not in got.cookies  # type: ignore[attr-defined]


def test_a_nul_in_the_commentary_form_is_a_form_error(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "editor")
    got = client.post(SAVE, data={"text": "Rising\x00 fast", "csrf_token": csrf})
    assert got.status_code == 422
    assert 'class="problem" role="alert"' in got.text and "NUL" in got.text
    assert "\x00" not in got.text and "Rising\ufffd fast</textarea>" in got.text
    assert app_store.revisions(ORG, "robbery", MONTH) == []


@pytest.mark.parametrize("field", ["username", "password"])
def test_a_nul_in_the_sign_in_form_is_a_form_error(client: TestClient, field: str) -> None:
    token = csrf_of(client.get("/login").text)
    data = {"username": "editor", "password": PASSWORD, "csrf_token": token, "next": "/"}
    data[field] += "\x00"
    got = client.post("/login", data=data)
    assert got.status_code == 422
    assert 'role="alert"' in got.text and "NUL" in got.text and "\x00" not in got.text
    assert "kpiboard_session" not in got.cookies


def test_a_csrf_token_that_is_not_ascii_is_refused_not_a_crash(client: TestClient) -> None:
    sign_in(client, "editor")
    got = client.post(SAVE, data={"text": "Rising", "csrf_token": "é" * 43})
    assert got.status_code == 403
    token = csrf_of(client.get("/login").text)
    client.cookies.delete("kpiboard_session")
    got = client.post(
        "/login",
        data={"username": "editor", "password": PASSWORD, "csrf_token": token + "é", "next": "/"},
    )
    assert got.status_code == 403


@pytest.mark.parametrize("path", [SAVE, API_SAVE])
def test_an_oversized_body_sent_chunked_is_a_413_like_a_sized_one(
    client: TestClient, app_store: AppStore, path: str
) -> None:
    csrf = sign_in(client, "editor")
    got = client.post(
        path,
        content=chunks(2 * MAX_BODY_BYTES),  # no Content-Length: sent chunked
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf},
    )
    assert "content-length" not in got.request.headers
    assert got.status_code == 413, got.text
    if path == API_SAVE:
        assert got.json()["error"]["code"] == "too_large"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert app_store.revisions(ORG, "robbery", MONTH) == []
