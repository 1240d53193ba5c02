"""Single sign-on settings (`dashboard: oidc:` in kpiboard.yaml): which OpenID Connect provider
the dashboard trusts, and which of its groups give which role.

The client secret is never written in the file: `client_secret_env` names the environment
variable that holds it, so kpiboard.yaml can be committed and shared.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OidcRoles(_Strict):
    """The provider's groups that give each role; someone in several gets the highest."""

    viewer: list[str] = Field(default_factory=list)
    editor: list[str] = Field(default_factory=list)
    approver: list[str] = Field(default_factory=list)
    admin: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _some_group(self) -> OidcRoles:
        if not (self.viewer or self.editor or self.approver or self.admin):
            raise ValueError(
                "map at least one group to a role (viewer, editor, approver or admin), "
                "or nobody could sign in through the provider"
            )
        return self


class Oidc(_Strict):
    """Sign-in through an OpenID Connect provider (authorization code flow with PKCE)."""

    issuer: str = Field(description="the provider's issuer URL (its discovery document is there)")
    client_id: str = Field(min_length=1)
    client_secret_env: str = Field(
        description="the NAME of the environment variable holding the client secret"
    )
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email", "groups"])
    groups_claim: str = Field("groups", min_length=1)
    username_claim: str = Field("preferred_username", min_length=1)
    roles: OidcRoles
    label: str | None = Field(None, max_length=100, description="the sign-in button's words")

    @field_validator("issuer")
    @classmethod
    def _https(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in LOCAL_HOSTS
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError(
                f"{value!r} is not an https URL; the issuer must be https "
                "(plain http only on this machine: 127.0.0.1 or localhost)"
            )
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r} has a query or fragment; give the issuer URL alone")
        return value.rstrip("/")

    @field_validator("client_secret_env")
    @classmethod
    def _env_name(cls, value: str) -> str:
        if not ENV_NAME.fullmatch(value):
            raise ValueError(
                "give the name of an environment variable (letters, digits, _), "
                "not the secret itself: the secret must never be written in kpiboard.yaml"
            )
        return value

    @field_validator("scopes")
    @classmethod
    def _openid(cls, value: list[str]) -> list[str]:
        if "openid" not in value:
            raise ValueError("the scopes must include 'openid', or the provider sends no ID token")
        return value

    @property
    def button(self) -> str:
        """The sign-in button's words."""
        return self.label or f"Sign in with {urlsplit(self.issuer).hostname}"
