"""Accounts that sign in through the identity provider (AppStore.sign_in_external), on SQLite
and PostgreSQL: made at the first sign-in, brought up to date at every one, never with a
password; and `kpiboard users list` shows them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from appdb_helpers import PASSWORD
from typer.testing import CliRunner

from kpiboard.cli import app
from kpiboard.errors import KpiboardError
from kpiboard.web.db import AppStore, LoginFailed, Role
from kpiboard.web.db.external import ExternalSignInRefused


def test_first_sign_in_makes_the_account_and_later_ones_update_it(store: AppStore) -> None:
    made = store.sign_in_external("vera", "Vera V", Role.EDITOR, "10.0.0.1", via="oidc")
    assert (made.username, made.display_name, made.role, made.external) == (
        "vera",
        "Vera V",
        Role.EDITOR,
        True,
    )
    again = store.sign_in_external("Vera", "Vera Viewer", Role.VIEWER, "10.0.0.1", via="oidc")
    assert again.id == made.id  # usernames ignore case, as for local accounts
    assert (again.display_name, again.role) == ("Vera Viewer", Role.VIEWER)
    events = [(e.event, e.detail) for e in reversed(store.audit_log())]
    assert events == [
        (
            "user_added",
            {"username": "vera", "role": "editor", "display_name": "Vera V", "via": "oidc"},
        ),
        ("sign_in", {"via": "oidc"}),
        ("role_changed", {"username": "vera", "from": "editor", "to": "viewer", "via": "oidc"}),
        ("sign_in", {"via": "oidc"}),
    ]


def test_an_external_account_has_no_password(store: AppStore) -> None:
    store.sign_in_external("vera", "Vera", Role.VIEWER, None, via="oidc")
    for attempt in ("!external", PASSWORD, ""):
        with pytest.raises(LoginFailed):
            store.authenticate("vera", attempt, "10.0.0.2")
    assert store.audit_log(event="sign_in_failed")[0].detail == {"reason": "external_account"}
    with pytest.raises(KpiboardError, match="change the password at the identity provider") as exc:
        store.set_password("vera", "a long enough new password")
    assert "has no kpiboard password" in exc.value.message


def test_refusals_are_audited_and_change_nothing(store: AppStore) -> None:
    store.add_user("admin", PASSWORD, Role.ADMIN)
    with pytest.raises(ExternalSignInRefused, match="is a local kpiboard account"):
        store.sign_in_external("ADMIN", "Impostor", Role.ADMIN, "10.0.0.3", via="oidc")
    admin = store.user("admin")
    assert admin is not None and admin.display_name == "admin" and not admin.external
    with pytest.raises(ExternalSignInRefused, match="cannot be a kpiboard username"):
        store.sign_in_external("a@b.org", "A", Role.VIEWER, None, via="oidc")
    store.sign_in_external("gone", "Gone", Role.EDITOR, None, via="oidc")
    store.deactivate("gone")
    with pytest.raises(ExternalSignInRefused, match="has been deactivated"):
        store.sign_in_external("gone", "Gone", Role.ADMIN, None, via="oidc")
    gone = store.user("gone")
    assert gone is not None and not gone.active and gone.role is Role.EDITOR
    reasons = [e.detail["reason"] for e in reversed(store.audit_log(event="sign_in_failed"))]
    assert reasons == ["local_account", "bad_username", "deactivated"]


def test_users_list_shows_external_accounts(make_project: Callable[..., Path]) -> None:
    project = make_project()
    store = AppStore.open(AppStore.default_url(project, None))
    try:
        store.add_user("alice", PASSWORD, Role.ADMIN)
        store.sign_in_external("vera", "Vera Viewer", Role.VIEWER, None, via="oidc")
    finally:
        store.close()
    out = CliRunner().invoke(app, ["users", "list", str(project)])
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert lines[0].startswith("alice  admin     active       alice")
    assert lines[1].startswith("vera   viewer    active, external  Vera Viewer")
