"""`kpiboard serve`'s settings in kpiboard.yaml (``dashboard:``; docs/CATALOGUE.md)."""

from __future__ import annotations

import ipaddress

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kpiboard.catalogue.sso import Oidc


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dashboard(_Strict):
    """`kpiboard serve` settings: where the application database lives and who may read."""

    database: str | None = Field(
        None,
        description="SQLAlchemy URL of the application database; default SQLite .kpiboard/app.sqlite3",
    )
    anonymous_read: bool = Field(
        False, description="visitors who have not signed in may read (never write)"
    )
    session_hours: float = Field(12, gt=0, le=720, description="how long a sign-in lasts")
    vintage_check_seconds: float = Field(
        1.0,
        ge=0,
        le=3600,
        description="how often, at most, the dashboard looks for a new vintage (an ingest run "
        "beside it) and switches to it",
    )
    oidc: Oidc | None = Field(None, description="single sign-on through an OpenID Connect provider")
    https: bool = Field(
        False,
        description="served over HTTPS (usually behind a TLS proxy): send Strict-Transport-Security "
        "and mark cookies Secure",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks (10.0.0.0/8) of the reverse proxies in front of the "
        "dashboard, whose X-Forwarded-For and X-Forwarded-Proto are believed; none by default",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for text in value:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ValueError(
                    f"{text!r} is not an IP address or network: name each proxy by its address "
                    "(such as 10.0.0.5 or 10.0.0.0/24), not its host name"
                ) from None
        return value
