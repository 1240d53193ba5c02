"""kpiboard.yaml's `dashboard: oidc:` settings: a mistake is a finding at its file and line,
naming the field and saying what to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kpiboard.catalogue.load import load_catalogue
from kpiboard.catalogue.sso import Oidc, OidcRoles
from kpiboard.errors import Finding, ValidationFailed

GOOD = """
dashboard:
  oidc:
    issuer: https://login.example.police.uk/realms/force/
    client_id: kpiboard
    client_secret_env: KPIBOARD_OIDC_SECRET
    roles:
      viewer: [kpi-readers]
      admin: [kpi-admins]
"""


def _findings(make_project: Callable[..., Path], extra: str) -> tuple[list[Finding], list[str]]:
    """The errors, and kpiboard.yaml's lines."""
    root = make_project(project_extra=extra)
    with pytest.raises(ValidationFailed) as exc:
        load_catalogue(root)
    errors = [f for f in exc.value.findings if f.level == "error"]
    return errors, (root / "kpiboard.yaml").read_text().splitlines()


def test_good_settings_load(make_project: Callable[..., Path]) -> None:
    oidc = load_catalogue(make_project(project_extra=GOOD)).project.dashboard.oidc
    assert oidc is not None
    assert oidc.issuer == "https://login.example.police.uk/realms/force"  # no trailing slash
    assert oidc.scopes == ["openid", "profile", "email", "groups"]
    assert (oidc.groups_claim, oidc.username_claim) == ("groups", "preferred_username")
    assert oidc.button == "Sign in with login.example.police.uk"
    assert oidc.roles.editor == [] and oidc.roles.admin == ["kpi-admins"]


@pytest.mark.parametrize(
    ("change", "key", "message", "hint"),
    [
        (
            ("client_secret_env: KPIBOARD_OIDC_SECRET", "client_secret_env: 'hunter2 hunter2'"),
            "client_secret_env",
            "give the name of an environment variable",
            None,
        ),
        (
            ("https://login.example.police.uk", "http://login.example.police.uk"),
            "issuer",
            "is not an https URL",
            None,
        ),
        (
            ("      viewer: [kpi-readers]\n      admin: [kpi-admins]\n", "      {}\n"),
            "roles",
            "map at least one group to a role",
            None,
        ),
        (
            ("      viewer: [kpi-readers]", "      veiwer: [kpi-readers]"),
            "veiwer",
            "unknown key 'veiwer'",
            "did you mean 'viewer'?",
        ),
        (
            ("    client_id: kpiboard\n", "    client_id: kpiboard\n    scopes: [profile]\n"),
            "scopes",
            "must include 'openid'",
            None,
        ),
    ],
)
def test_mistakes_are_findings_at_their_line(
    make_project: Callable[..., Path],
    change: tuple[str, str],
    key: str,
    message: str,
    hint: str | None,
) -> None:
    extra = GOOD.replace(*change)
    assert extra != GOOD
    (finding,), lines = _findings(make_project, extra)
    assert finding.file == "kpiboard.yaml"
    assert message in finding.message
    if hint is not None:
        assert finding.hint == hint
    assert finding.line is not None
    assert lines[finding.line - 1].strip().startswith(f"{key}:"), (finding, key)


def test_the_secret_may_only_be_named() -> None:
    with pytest.raises(ValueError, match=r"never be written in kpiboard\.yaml"):
        Oidc(
            issuer="https://idp.example",
            client_id="kpiboard",
            client_secret_env="s3cr3t-value",
            roles=OidcRoles(viewer=["all"]),
        )
    local = Oidc(
        issuer="http://127.0.0.1:8080",
        client_id="kpiboard",
        client_secret_env="SECRET",
        roles=OidcRoles(viewer=["all"]),
    )
    assert local.issuer == "http://127.0.0.1:8080"  # plain http on this machine only
