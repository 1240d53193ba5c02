"""Telling people after a load (`announcements:` in kpiboard.yaml): the webhooks that receive
what a vintage brought, the SMTP server that e-mails it to subscribers, and when a published
pack is sent to its readers.

Secrets are never written in the file: ``secret_env`` and ``password_env`` name the
environment variables that hold them, so kpiboard.yaml can be committed and shared.
"""

from __future__ import annotations

import re
from datetime import time
from enum import StrEnum
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kpiboard.announcements import LOAD_KINDS, AnnouncementKind
from kpiboard.catalogue.sso import ENV_NAME

# A plain ASCII address, as the application database checks people's (web/db/subscriptions.py).
EMAIL_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
DEFAULT_ATTEMPTS = (
    6  # with the backoff of kpiboard.web.notify (1, 2, 4, 8, 16 minutes): ~half an hour
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(value: str | None) -> str | None:
    if value is not None and not ENV_NAME.fullmatch(value):
        raise ValueError(
            "give the name of an environment variable (letters, digits, _), "
            "not the secret itself: secrets must never be written in kpiboard.yaml"
        )
    return value


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL; give one such as https://host/path")
    return value


class Webhook(_Strict):
    """One receiver of a signed JSON POST after each vintage that brought announcements."""

    url: str = Field(description="where to POST (http or https)")
    secret_env: str = Field(description="the NAME of the environment variable holding the key")
    kinds: list[AnnouncementKind] = Field(
        default_factory=lambda: list(LOAD_KINDS),
        description="which announcements and reminders to send; default every announcement "
        "of a load, no reminders",
    )
    timeout_seconds: float = Field(5, gt=0, le=60, description="per attempt")
    attempts: int = Field(DEFAULT_ATTEMPTS, ge=1, le=20, description="tries before giving up")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _http_url(value)

    @field_validator("secret_env")
    @classmethod
    def _secret(cls, value: str) -> str:
        _env_name(value)
        return value


class SmtpSecurity(StrEnum):
    STARTTLS = "starttls"  # plain connection upgraded with STARTTLS (port 587)
    TLS = "tls"  # TLS from the first byte (port 465)
    NONE = "none"  # no encryption: only for a relay on this machine or a trusted network


class Email(_Strict):
    """The SMTP server that sends announcements and packs, and what the e-mails link to."""

    host: str = Field(min_length=1)
    port: int = Field(587, ge=1, le=65535)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password_env: str | None = Field(
        None, description="the NAME of the environment variable holding the SMTP password"
    )
    from_address: str = Field(description="the sender, such as performance@force.police.uk")
    from_name: str = Field("kpiboard", max_length=100)
    dashboard_url: str = Field(description="the dashboard's public address, for links")
    timeout_seconds: float = Field(10, gt=0, le=120)
    attempts: int = Field(DEFAULT_ATTEMPTS, ge=1, le=20)

    @field_validator("password_env")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return _env_name(value)

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not EMAIL_ADDRESS.fullmatch(value):
            raise ValueError(
                f"{value!r} is not a plain e-mail address; give the address alone "
                "(the name goes in from_name)"
            )
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard(cls, value: str) -> str:
        return _http_url(value).rstrip("/")

    @model_validator(mode="after")
    def _both(self) -> Email:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("give username and password_env together, or neither")
        return self


class PackRecipients(StrEnum):
    SUBSCRIBERS = "subscribers"  # people who ticked "e-mail me the published packs"
    READERS = "readers"  # every active account with an e-mail address


class PackWhen(StrEnum):
    PUBLICATION = "publication"  # as soon as the approver publishes
    NEXT_WORKING_DAY = "next_working_day"  # at `at` on the next working day (workdays.py)


class Packs(_Strict):
    """Sending a published pack to its readers: who, and when."""

    to: PackRecipients = PackRecipients.SUBSCRIBERS
    when: PackWhen = PackWhen.NEXT_WORKING_DAY
    at: str = Field("09:00", description="HH:MM, for next_working_day")
    timezone: str = Field("Europe/London", description="an IANA time zone, for `at`")

    @field_validator("at")
    @classmethod
    def _time(cls, value: str) -> str:
        try:
            time.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a time; give HH:MM such as 09:00") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a time zone; give an IANA name such as Europe/London"
            ) from None
        return value


class Announcements(_Strict):
    """Who hears about what a new vintage brought, and how (docs/WEB.md, "Announcements")."""

    webhooks: list[Webhook] = Field(default_factory=list)
    email: Email | None = None
    packs: Packs | None = Field(None, description="e-mail published packs; needs email")

    @property
    def configured(self) -> bool:
        """Whether anything is sent at all (callers skip opening the outbox otherwise).

        >>> Announcements().configured
        False
        """
        return bool(self.webhooks) or self.email is not None

    @model_validator(mode="after")
    def _packs_need_email(self) -> Announcements:
        if self.packs is not None and self.email is None:
            raise ValueError("packs are sent by e-mail: configure email (the SMTP server) too")
        return self
