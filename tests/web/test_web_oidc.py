"""Single sign-on through a real OpenID Connect provider (panva's oidc-provider on Node.js,
started by the tests): kpiboard → the provider's sign-in and consent pages → the callback →
a kpiboard session with the role the provider's groups give. Nothing of the protocol is mocked."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from httpx import Response
from oidcutil import (
    ACCOUNTS,
    CLIENT_ID,
    GROUPS,
    OTHER_CLIENT,
    OTHER_REDIRECT,
    OTHER_SECRET,
    SECRET,
    SECRET_ENV,
    Provider,
    local_part,
    running_provider,
    through_provider,
)
from typer.testing import CliRunner
from webutil import EXAMPLE, MONTH, ORG, csrf_of, sign_in

from kpiboard.catalogue.schema import Dashboard
from kpiboard.catalogue.sso import Oidc, OidcRoles
from kpiboard.cli import app as cli
from kpiboard.errors import KpiboardError
from kpiboard.web.app import create_app
from kpiboard.web.db import AppStore, Role
from kpiboard.web.oidc import IdTokenInvalid, OidcClient, Pending
from kpiboard.web.service import ScorecardService

SCORECARD = f"/scorecard/{ORG}/{MONTH}"


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    with running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running


def _settings(issuer: str) -> Oidc:
    return Oidc(
        issuer=issuer,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        roles=OidcRoles(**GROUPS),
        label="Sign in with the Test Force account",
    )


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def _client(service: ScorecardService, store: AppStore, issuer: str) -> TestClient:
    app = create_app(service, store, Dashboard(oidc=_settings(issuer)))
    return TestClient(app, base_url="http://127.0.0.1", follow_redirects=False)


@pytest.fixture
def sso(
    service: ScorecardService, app_store: AppStore, provider: Provider, secret: None
) -> TestClient:
    return _client(service, app_store, provider.issuer)


def _start(client: TestClient, next_path: str = "/") -> str:
    """Press the provider's button: where the dashboard sends the browser."""
    started = client.get(f"/login/oidc?{urlencode({'next': next_path})}")
    assert started.status_code == 303, started.text
    return started.headers["location"]


def _signed_in_via_provider(
    client: TestClient, provider: Provider, login: str, next_path: str = "/"
) -> Response:
    back = through_provider(provider.issuer, _start(client, next_path), login)
    return client.get(local_part(back))


def _who(client: TestClient) -> str:
    page = client.get(SCORECARD)
    assert page.status_code == 200, page.text
    return page.text


# --- the flow ---------------------------------------------------------------------------


def test_the_sign_in_page_offers_the_provider(sso: TestClient, client: TestClient) -> None:
    page = sso.get("/login?next=/packs")
    assert page.status_code == 200
    assert 'href="/login/oidc?next=%2Fpacks"' in page.text
    assert "Sign in with the Test Force account" in page.text
    assert 'name="password"' in page.text  # local accounts still sign in
    assert "/login/oidc" not in client.get("/login").text  # not configured: no button
    assert client.get("/login/oidc").status_code == 404


def test_the_request_to_the_provider_uses_pkce_state_and_nonce(
    sso: TestClient, provider: Provider
) -> None:
    url = urlsplit(_start(sso))
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert f"{url.scheme}://{url.netloc}" == provider.issuer
    assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert len(query["state"]) >= 43 and len(query["nonce"]) >= 43
    assert query["redirect_uri"] == "http://127.0.0.1/login/oidc/callback"
    assert query["scope"].split() == ["openid", "profile", "email", "groups"]
    cookie = sso.cookies.get("kpiboard_oidc")
    assert cookie and query["state"] not in url.path


@pytest.mark.parametrize(
    ("login", "role"),
    [
        ("vera", Role.VIEWER),
        ("ed", Role.EDITOR),
        ("april", Role.APPROVER),
        ("ada", Role.ADMIN),  # in three mapped groups: the highest wins
    ],
)
def test_each_role_comes_from_the_providers_groups(
    sso: TestClient, provider: Provider, app_store: AppStore, login: str, role: Role
) -> None:
    done = _signed_in_via_provider(sso, provider, login, next_path=SCORECARD)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == SCORECARD
    assert sso.cookies.get("kpiboard_session")
    assert "kpiboard_oidc" not in sso.cookies  # the pending sign-in is spent
    user = app_store.user(login)
    assert user is not None and user.role is role and user.external
    assert user.display_name == provider_name(login)
    assert provider_name(login) in _who(sso)
    signed = app_store.audit_log(event="sign_in")[0]
    assert (signed.username, signed.detail) == (login, {"via": "oidc"})
    # a session like any other: its CSRF token lets the user write what the role allows
    token = csrf_of(_who(sso))
    saved = sso.post(
        f"{SCORECARD}/kpi/robbery/commentary", data={"csrf_token": token, "text": "From SSO."}
    )
    assert (saved.status_code < 400) is role.at_least(Role.EDITOR), saved.text


def provider_name(login: str) -> str:
    return str(ACCOUNTS[login]["name"])


def test_a_removed_group_demotes_at_the_next_sign_in(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    assert _signed_in_via_provider(sso, provider, "ed").status_code == 303
    assert app_store.user("ed").role is Role.EDITOR  # type: ignore[union-attr]
    provider.set_groups("ed", ["kpi-readers"])
    try:
        sso.cookies.clear()
        assert _signed_in_via_provider(sso, provider, "ed").status_code == 303
    finally:
        provider.set_groups("ed", ["kpi-editors"])
    assert app_store.user("ed").role is Role.VIEWER  # type: ignore[union-attr]
    changed = app_store.audit_log(event="role_changed")[0].detail
    assert changed == {"username": "ed", "from": "editor", "to": "viewer", "via": "oidc"}
    assert [u.username for u in app_store.users()].count("ed") == 1  # updated, not added again


@pytest.mark.parametrize("login", ["nobody", "nogroups"])
def test_someone_in_no_mapped_group_is_refused_and_not_created(
    sso: TestClient, provider: Provider, app_store: AppStore, login: str
) -> None:
    refused = _signed_in_via_provider(sso, provider, login)
    assert refused.status_code == 403
    assert "none of your groups gives access to this dashboard" in refused.text
    assert app_store.user(login) is None
    assert "kpiboard_session" not in sso.cookies
    failed = app_store.audit_log(event="sign_in_failed")[0]
    assert failed.username == login and failed.detail["reason"] == "no_mapped_group"


def test_the_provider_cannot_sign_in_as_a_local_account(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    refused = _signed_in_via_provider(sso, provider, "admin")
    assert refused.status_code == 403
    assert "&#39;admin&#39; is a local kpiboard account" in refused.text
    admin = app_store.user("admin")
    assert admin is not None and not admin.external and admin.display_name == "Admin"
    assert "kpiboard_session" not in sso.cookies


def test_a_provider_username_kpiboard_cannot_hold_is_refused(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    refused = _signed_in_via_provider(sso, provider, "mail")
    assert refused.status_code == 403
    assert "cannot be a kpiboard username" in refused.text and "username_claim" in refused.text
    assert app_store.user("m@x.org") is None


def test_a_tampered_state_is_refused(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    back = urlsplit(through_provider(provider.issuer, _start(sso), "ada"))
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    query["state"] = query["state"][:-2] + ("AA" if not query["state"].endswith("AA") else "BB")
    refused = sso.get(f"{back.path}?{urlencode(query)}")
    assert refused.status_code == 400
    assert "does not belong to this sign-in (the state does not match)" in refused.text
    assert app_store.user("ada") is None and "kpiboard_session" not in sso.cookies


def test_a_callback_used_twice_is_refused(sso: TestClient, provider: Provider) -> None:
    back = local_part(through_provider(provider.issuer, _start(sso), "vera"))
    pending = sso.cookies.get("kpiboard_oidc")
    assert sso.get(back).status_code == 303
    again = sso.get(back)  # the pending sign-in was spent
    assert again.status_code == 400
    assert "already been used, has expired, or was started in another browser" in again.text
    # with the spent cookie put back, the provider refuses its code a second time
    sso.cookies.set("kpiboard_oidc", pending or "", domain="127.0.0.1", path="/login/oidc")
    replayed = sso.get(back)
    assert replayed.status_code == 400
    assert "its code has already been used or has expired" in replayed.text


def test_an_id_token_for_another_sign_in_is_refused_with_a_401(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    back = local_part(through_provider(provider.issuer, _start(sso), "ada"))
    # the browser's pending sign-in, with another nonce than the one the provider put in the
    # ID token (state and verifier kept, so only the ID token's check can catch it)
    pending = Pending.from_cookie(sso.cookies.get("kpiboard_oidc"))
    assert pending is not None
    swapped = Pending(pending.state, "another-nonce", pending.verifier, pending.next)
    sso.cookies.clear()
    sso.cookies.set("kpiboard_oidc", swapped.cookie(), domain="127.0.0.1", path="/login/oidc")
    refused = sso.get(back)
    assert refused.status_code == 401
    assert "the ID token is not valid" in refused.text and "nonce" in refused.text
    assert app_store.user("ada") is None and "kpiboard_session" not in sso.cookies


def test_a_callback_without_a_sign_in_is_refused(sso: TestClient) -> None:
    refused = sso.get("/login/oidc/callback?code=abc&state=def")
    assert refused.status_code == 400
    assert "go back to the sign-in page" in refused.text


def test_an_error_from_the_provider_is_shown(sso: TestClient) -> None:
    state = parse_qs(urlsplit(_start(sso)).query)["state"][0]
    answer = {"error": "access_denied", "error_description": "no thanks", "state": state}
    refused = sso.get(f"/login/oidc/callback?{urlencode(answer)}")
    assert refused.status_code == 403
    assert "did not sign you in (access_denied: no thanks)" in refused.text


def test_a_crafted_error_link_cannot_put_words_on_the_page(sso: TestClient) -> None:
    _start(sso)
    crafted = {"error": "x", "error_description": "call 0800 000 000", "state": "forged"}
    refused = sso.get(f"/login/oidc/callback?{urlencode(crafted)}")
    assert refused.status_code == 400
    assert "0800" not in refused.text


def test_next_stays_on_this_site(sso: TestClient, provider: Provider) -> None:
    done = _signed_in_via_provider(sso, provider, "vera", next_path="//evil.example/x")
    assert done.headers["location"] == "/"


# --- the ID token is checked -------------------------------------------------------------


def _tokens(provider: Provider, client_id: str, secret: str, redirect: str, nonce: str) -> dict:
    """Tokens from the provider for a client, through its real pages (a browser and the
    client's own token request)."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    verifier = "v" * 50
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "scope": "openid profile groups",
        "state": "s" * 20,
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    back = through_provider(provider.issuer, f"{provider.issuer}/auth?{urlencode(query)}", "ada")
    code = parse_qs(urlsplit(back).query)["code"][0]
    answer = httpx.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect,
            "code_verifier": verifier,
        },
        auth=(client_id, secret),
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_id_tokens_are_verified(provider: Provider) -> None:
    kpiboard = OidcClient(_settings(provider.issuer), SECRET)
    mine = _tokens(provider, CLIENT_ID, SECRET, "http://127.0.0.1/login/oidc/callback", "n" * 22)
    claims = kpiboard.verify_id_token(mine["id_token"], "n" * 22, mine["access_token"])
    assert claims["aud"] == CLIENT_ID and claims["preferred_username"] == "ada"
    # the same token with another nonce (not this sign-in's)
    with pytest.raises(IdTokenInvalid, match="nonce"):
        kpiboard.verify_id_token(mine["id_token"], "m" * 22)
    # a token the provider issued to another application
    theirs = _tokens(provider, OTHER_CLIENT, OTHER_SECRET, OTHER_REDIRECT, "n" * 22)
    with pytest.raises(IdTokenInvalid, match="aud"):
        kpiboard.verify_id_token(theirs["id_token"], "n" * 22)
    # a token whose payload was changed after signing
    head, body, signature = mine["id_token"].split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["groups"] = ["kpi-admins"]
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    with pytest.raises(IdTokenInvalid, match="not valid"):
        kpiboard.verify_id_token(f"{head}.{forged}.{signature}", "n" * 22)
    # a client expecting another issuer (its discovery document and keys are this provider's)
    elsewhere = OidcClient(_settings("http://localhost:1"), SECRET)
    elsewhere._metadata = kpiboard.metadata()
    with pytest.raises(IdTokenInvalid, match="iss"):
        elsewhere.verify_id_token(mine["id_token"], "n" * 22)


# --- when the provider cannot be used ------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again when the block ends: nothing listens


def test_provider_unreachable_is_a_503_that_says_what_to_do(
    service: ScorecardService, app_store: AppStore, secret: None
) -> None:
    down = _client(service, app_store, f"http://127.0.0.1:{_closed_port()}")
    refused = down.get("/login/oidc")
    assert refused.status_code == 503
    assert "cannot be used for signing in just now" in refused.text
    assert "a kpiboard account with a password can still sign in" in refused.text
    sign_in(down, "editor")  # local accounts are unaffected


def test_a_missing_client_secret_is_a_503_naming_the_variable(
    service: ScorecardService,
    app_store: AppStore,
    provider: Provider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    refused = _client(service, app_store, provider.issuer).get("/login/oidc")
    assert refused.status_code == 503 and SECRET_ENV in refused.text


# --- local accounts beside it ---------------------------------------------------------------


def test_local_accounts_still_sign_in_but_not_as_external_ones(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    sign_in(sso, "approver")
    sso.cookies.clear()
    assert _signed_in_via_provider(sso, provider, "vera").status_code == 303
    sso.cookies.clear()
    page = sso.get("/login")
    refused = sso.post(
        "/login",
        data={"username": "vera", "password": "!external", "csrf_token": csrf_of(page.text)},
    )
    assert refused.status_code == 401
    assert app_store.audit_log(event="sign_in_failed")[0].detail == {"reason": "external_account"}
    with pytest.raises(KpiboardError, match="signs in through the identity provider"):
        app_store.set_password("vera", "a new password long enough")


def test_users_list_marks_external_accounts(
    sso: TestClient, provider: Provider, app_store: AppStore
) -> None:
    assert _signed_in_via_provider(sso, provider, "april").status_code == 303
    users = {u.username: u.external for u in app_store.users()}
    assert users["april"] is True and users["admin"] is False


# --- end to end: `kpiboard serve` and a browser over HTTP ----------------------------------


def test_kpiboard_serve_signs_in_through_the_provider(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _closed_port()
    url = f"http://127.0.0.1:{port}"
    with running_provider(tmp_path, callback=f"{url}/login/oidc/callback") as idp:
        project = tmp_path / "met"
        shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns(".kpiboard"))
        settings = (
            "\ndashboard:\n  oidc:\n"
            f"    issuer: {idp.issuer}\n    client_id: {CLIENT_ID}\n"
            f"    client_secret_env: {SECRET_ENV}\n"
            "    roles: {viewer: [kpi-readers], editor: [kpi-editors], admin: [kpi-admins]}\n"
        )
        with (project / "kpiboard.yaml").open("a") as yaml_file:
            yaml_file.write(settings)
        monkeypatch.setenv(SECRET_ENV, SECRET)
        with _serving(project, port, tmp_path / "serve.log"), httpx.Client(base_url=url) as web:
            assert "/login/oidc?next=%2F" in web.get("/login").text
            started = web.get("/login/oidc", params={"next": SCORECARD})
            assert started.status_code == 303
            back = through_provider(idp.issuer, started.headers["location"], "ada")
            assert back.startswith(f"{url}/login/oidc/callback?")
            done = web.get(back)
            assert done.status_code == 303 and done.headers["location"] == SCORECARD
            page = web.get(SCORECARD)
            assert "Signed in as <strong>Ada Admin</strong> (admin)" in page.text
    listed = CliRunner().invoke(cli, ["users", "list", str(project)])
    assert listed.exit_code == 0, listed.output
    assert "ada  admin     active, external  Ada Admin" in listed.stdout


@contextmanager
def _serving(project: Path, port: int, log_path: Path) -> Iterator[None]:
    """`kpiboard serve` on the port until the block ends (as tests/web/test_web_browser.py)."""
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kpiboard", "serve", str(project), "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            while True:  # until it answers (or has stopped): readiness, not a timing assumption
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/login", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None:
                    pytest.fail("kpiboard serve did not start: " + log_path.read_text())
                time.sleep(0.2)
            yield
        finally:
            proc.terminate()
            proc.wait(timeout=30)
