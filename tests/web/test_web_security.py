"""Attacks and bad input on the dashboard: CSRF, roles, hostile commentary, SQL
metacharacters, oversized bodies, password guessing."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from webutil import MONTH, ORG, PASSWORD, csrf_of, sign_in

from kpiboard.web.db import MAX_COMMENTARY_CHARS, AppStore

KPI = f"/scorecard/{ORG}/{MONTH}/kpi/robbery"
SAVE = KPI + "/commentary"


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    got = client.post(
        "/login", data={"username": "viewer", "password": PASSWORD, "csrf_token": token}
    )
    cookie = next(
        h for h in got.headers.get_list("set-cookie") if h.startswith("kpiboard_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1; https requests get Secure


def test_security_headers_on_every_page(client: TestClient) -> None:
    for path in ("/login", "/no/such/page", "/api/months"):
        got = client.get(path)
        assert "frame-ancestors 'none'" in got.headers["content-security-policy"], path
        assert got.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_sign_in_form_without_the_right_token_is_refused(
    client: TestClient, token: str | None
) -> None:
    client.get("/login")
    data = {"username": "viewer", "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    got = client.post("/login", data=data)
    assert got.status_code == 403 and "security token" in got.text
    assert "kpiboard_session" not in got.headers.get("set-cookie", "")


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_forms_without_the_right_csrf_token_change_nothing(
    client: TestClient, app_store: AppStore, token: str | None
) -> None:
    sign_in(client, "approver")
    data = {"text": "Should not be saved"}
    if token is not None:
        data["csrf_token"] = token
    assert client.post(SAVE, data=data).status_code == 403
    assert (
        client.post(
            f"/packs/{ORG}/{MONTH}", data={k: v for k, v in data.items() if k != "text"}
        ).status_code
        == 403
    )
    assert app_store.revisions(ORG, "robbery", MONTH) == []
    assert app_store.publication(ORG, MONTH) is None
    # the API wants the token in a header
    assert (
        client.post(
            f"/api/commentary/{ORG}/{MONTH}/robbery",
            json={"text": "x"},
            headers={} if token is None else {"X-CSRF-Token": token},
        ).status_code
        == 403
    )
    assert app_store.revisions(ORG, "robbery", MONTH) == []


def test_a_viewer_cannot_write_or_publish(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "viewer")
    got = client.post(SAVE, data={"text": "hello", "csrf_token": csrf})
    assert got.status_code == 403 and "editor" in got.text
    assert client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf}).status_code == 403
    api = client.post(f"/api/packs/{ORG}/{MONTH}", headers={"X-CSRF-Token": csrf})
    assert api.status_code == 403 and api.json()["error"]["code"] == "forbidden"
    assert (
        app_store.revisions(ORG, "robbery", MONTH) == []
        and app_store.publication(ORG, MONTH) is None
    )
    assert "Save revision" not in client.get(KPI).text  # no form offered


def test_an_editor_writes_but_cannot_publish(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "editor")
    assert (
        client.post(SAVE, data={"text": "Rising; see facts.", "csrf_token": csrf}).status_code
        == 303
    )
    assert client.post(f"/packs/{ORG}/{MONTH}", data={"csrf_token": csrf}).status_code == 403
    assert app_store.publication(ORG, MONTH) is None


HOSTILE = """<script>alert('x')</script>
[click me](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<a href="https://example.org" onclick="alert(2)" style="color:red">styled</a>
<img src=x onerror="alert(3)"> <iframe src="https://example.org"></iframe>
**Bold** and [a safe link](https://www.police.uk)
"""


class _Markup(HTMLParser):
    """Every element and attribute a browser would build from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_hostile_commentary_is_rendered_inert(client: TestClient, app_store: AppStore) -> None:
    csrf = sign_in(client, "editor")
    assert client.post(SAVE, data={"text": HOSTILE, "csrf_token": csrf}).status_code == 303
    html = client.get(KPI).text
    parsed = _Markup()
    parsed.feed(html)
    scripts = [attrs.get("src") for tag, attrs in parsed.tags if tag == "script"]
    assert scripts == ["/static/htmx.min.js"]  # only the vendored file, no inline script
    assert not [t for t, _ in parsed.tags if t in ("iframe", "img", "object", "embed")]
    for tag, attrs in parsed.tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "vbscript:")), href
    section = html[html.index('id="commentary"') :]
    assert "<strong>Bold</strong>" in section
    assert 'href="https://www.police.uk" rel="noopener noreferrer nofollow"' in section
    assert "&lt;script&gt;" in section  # shown as text, not run
    # the text itself is stored verbatim
    assert app_store.revisions(ORG, "robbery", MONTH)[0].text == HOSTILE


def test_oversized_commentary_is_refused_with_a_clear_message(
    client: TestClient, app_store: AppStore
) -> None:
    csrf = sign_in(client, "editor")
    megabyte = "x" * (1024 * 1024)
    got = client.post(SAVE, data={"text": megabyte, "csrf_token": csrf})
    assert got.status_code == 413 and f"{MAX_COMMENTARY_CHARS:,} characters" in got.text
    api = client.post(
        f"/api/commentary/{ORG}/{MONTH}/robbery",
        json={"text": megabyte},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 413 and api.json()["error"]["code"] == "too_large"
    just_over = "y" * (MAX_COMMENTARY_CHARS + 1)
    got = client.post(SAVE, data={"text": just_over, "csrf_token": csrf})
    assert got.status_code == 413 and f"{MAX_COMMENTARY_CHARS:,}" in got.text
    assert app_store.revisions(ORG, "robbery", MONTH) == []
    assert (
        client.post(SAVE, data={"text": "z" * MAX_COMMENTARY_CHARS, "csrf_token": csrf}).status_code
        == 303
    )


SQL = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    '" OR 1=1 --',
    "1; SELECT * FROM sessions",
    "%27%20OR%201=1",
]


@pytest.mark.parametrize("evil", SQL)
def test_sql_metacharacters_in_every_parameter(
    client: TestClient, app_store: AppStore, evil: str
) -> None:
    csrf = sign_in(client, "editor")
    e = quote(evil, safe="")
    for path in (
        f"/scorecard/{e}/{MONTH}",
        f"/scorecard/{ORG}/{e}",
        f"/scorecard/{ORG}/{MONTH}/kpi/{e}",
        f"/summary/{e}/{MONTH}",
        f"/packs/{e}/{MONTH}",
        f"/packs/{ORG}/{e}",
        f"/api/scorecards/{e}/{MONTH}",
        f"/api/commentary/{ORG}/{MONTH}/{e}",
        f"/api/packs/{e}/{e}",
    ):
        assert client.get(path).status_code == 404, path
    assert client.get("/scorecard", params={"org": evil, "month": MONTH}).status_code == 404
    assert client.get("/api/packs", params={"org": evil}).status_code == 404
    assert (
        client.post(
            f"/scorecard/{ORG}/{MONTH}/kpi/{e}/commentary", data={"text": evil, "csrf_token": csrf}
        ).status_code
        == 404
    )
    # a metacharacter-laden commentary is stored and shown verbatim
    assert client.post(SAVE, data={"text": evil, "csrf_token": csrf}).status_code == 303
    assert app_store.revisions(ORG, "robbery", MONTH)[0].text == evil
    # and as a username, it is just a wrong sign-in
    anon = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
    token = csrf_of(anon.get("/login").text)
    assert (
        anon.post(
            "/login", data={"username": evil, "password": evil, "csrf_token": token}
        ).status_code
        == 401
    )
    assert {u.username for u in app_store.users()} == {"viewer", "editor", "approver", "admin"}


def test_ten_wrong_passwords_are_throttled_and_audited(
    client: TestClient, app_store: AppStore
) -> None:
    token = csrf_of(client.get("/login").text)
    statuses = [
        client.post(
            "/login", data={"username": "editor", "password": f"wrong {i}", "csrf_token": token}
        ).status_code
        for i in range(10)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429] * 5
    right = client.post(
        "/login", data={"username": "editor", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    assert "Too many" in right.text or "too many" in right.text
    events = [e.event for e in app_store.audit_log(100) if e.username == "editor"]
    assert events.count("sign_in_failed") == 5 and events.count("sign_in_throttled") == 6


def test_sign_in_redirects_only_within_the_site(client: TestClient) -> None:
    for target, expected in (
        ("/packs", "/packs"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ):
        fresh = TestClient(client.app, base_url="http://127.0.0.1", follow_redirects=False)
        token = csrf_of(fresh.get("/login").text)
        got = fresh.post(
            "/login",
            data={"username": "viewer", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert got.headers["location"] == expected


def test_sign_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client, "viewer")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get(f"/scorecard/{ORG}/{MONTH}").status_code == 303  # back to sign-in
