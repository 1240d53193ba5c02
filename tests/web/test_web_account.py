"""The "Your e-mail and subscriptions" page: a signed-in person sets their address and picks
measures, sections and packs; the form is CSRF-protected; nonsense is dropped or refused."""

from __future__ import annotations

from fastapi.testclient import TestClient
from webutil import PASSWORD, csrf_of, sign_in

from kpiboard.web.db import AppStore, User


def _user(store: AppStore, name: str) -> User:
    return next(u for u in store.users() if u.username == name)


def test_a_viewer_chooses_measures_sections_and_packs(
    client: TestClient, app_store: AppStore
) -> None:
    sign_in(client, "viewer")
    page = client.get("/account")
    assert page.status_code == 200
    assert 'name="measure" type="checkbox" value="robbery"' in page.text
    assert 'href="/account"' in page.text  # linked from every page's header
    token = csrf_of(page.text)
    saved = client.post(
        "/account",
        data={
            "csrf_token": token,
            "email": " viewer@force.police.uk ",
            "measure": ["robbery", "no-such-measure"],
            "section": ["Confidence", "No such section"],
            "packs": "true",
            "reminders_shown": "true",  # as the page sends it, with the one reminder ticked
            "reminder": ["entry_overdue"],
        },
    )
    assert (saved.status_code, saved.headers["location"]) == (303, "/account?saved=1")
    viewer = _user(app_store, "viewer")
    assert app_store.email(viewer) == "viewer@force.police.uk"
    measures, sections, packs = app_store.subscription(viewer)
    assert measures == frozenset({"robbery"}) and packs
    assert sections <= frozenset({"Confidence"})
    again = client.get("/account?saved=1").text
    assert "Saved." in again and 'value="robbery" checked' in again
    assert app_store.reminder_optouts(viewer) == {"entry_due", "entry_returned"}
    assert 'value="entry_overdue" checked' in again and 'value="entry_due">' in again
    assert 'value="viewer@force.police.uk"' in again
    (event,) = app_store.audit_log(event="subscriptions_changed")
    assert event.username == "viewer" and event.detail["measures"] == ["robbery"]


def test_without_the_csrf_token_nothing_changes(client: TestClient, app_store: AppStore) -> None:
    sign_in(client, "viewer")
    got = client.post("/account", data={"email": "x@evil.example", "measure": ["robbery"]})
    assert got.status_code == 403
    viewer = _user(app_store, "viewer")
    assert app_store.email(viewer) is None
    assert app_store.subscription(viewer) == (frozenset(), frozenset(), False)


def test_an_address_that_could_carry_headers_is_refused(
    client: TestClient, app_store: AppStore
) -> None:
    token = sign_in(client, "editor")
    got = client.post(
        "/account",
        data={"csrf_token": token, "email": "a@force.police.uk\r\nBcc: spy@evil.example"},
    )
    assert got.status_code == 400
    assert "is not an e-mail address kpiboard can send to" in got.text
    assert app_store.email(_user(app_store, "editor")) is None


def test_signing_in_is_needed(client: TestClient) -> None:
    got = client.get("/account")
    assert got.status_code == 303 and got.headers["location"].startswith("/login?next=")


def test_the_json_twin(client: TestClient, app_store: AppStore) -> None:
    token = client.post("/api/session", json={"username": "viewer", "password": PASSWORD})
    csrf = token.json()["csrf_token"]
    assert client.get("/api/account").json() == {
        "email": None,
        "measures": [],
        "sections": [],
        "packs": False,
        "reminders": ["entry_due", "entry_overdue", "entry_returned"],  # unless one says not
    }
    body = {"email": "v@force.police.uk", "measures": ["robbery", "nope"], "packs": True}
    assert client.put("/api/account", json=body).status_code == 403  # no CSRF header
    got = client.put("/api/account", json=body, headers={"x-csrf-token": csrf})
    assert got.status_code == 200, got.text
    assert got.json() == {
        "email": "v@force.police.uk",
        "measures": ["robbery"],
        "sections": [],
        "packs": True,
        "reminders": ["entry_due", "entry_overdue", "entry_returned"],  # left out: unchanged
    }
    body = {"email": "v@force.police.uk", "reminders": ["entry_returned", "nonsense"]}
    got = client.put("/api/account", json=body, headers={"x-csrf-token": csrf})
    assert got.json()["reminders"] == ["entry_returned"]
    viewer = _user(app_store, "viewer")
    assert app_store.reminder_optouts(viewer) == {"entry_due", "entry_overdue"}
    bad = client.put("/api/account", json={"email": "x\r\n@y.uk"}, headers={"x-csrf-token": csrf})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_request"
