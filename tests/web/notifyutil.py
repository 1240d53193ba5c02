"""Shared by the notification tests: real announcements, and a project whose kpiboard.yaml
sends them to the receivers the test started."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kpiboard.announcements import Announcement, AnnouncementKind
from kpiboard.catalogue import Catalogue, load_catalogue

SECRET_ENV = "KPIBOARD_TEST_WEBHOOK_SECRET"
SECRET = "a webhook key only the receiver knows"


def announcement(
    measure: str = "burglary",
    kind: AnnouncementKind = AnnouncementKind.STATUS_CHANGED,
    section: str | None = "Crime",
    title: str = "Burglary",
    text: str = "Burglary: Amber → Red (Jul-18)",
) -> Announcement:
    return Announcement(
        kind=kind,
        vintage=3,
        organisation="WYP",
        organisation_name="West Yorkshire Police",
        month="2018-07",
        measure=measure,
        section=section,
        title=title,
        text=text,
        before="Amber",
        after="Red",
    )


def catalogue_with(make_project: Callable[..., Path], announcements: str) -> Catalogue:
    return load_catalogue(make_project(project_extra="announcements:\n" + announcements))


def webhook_yaml(url: str, *, timeout: float = 5, attempts: int = 3, kinds: str = "") -> str:
    return (
        f"  webhooks:\n    - url: {url}\n      secret_env: {SECRET_ENV}\n"
        f"      timeout_seconds: {timeout}\n      attempts: {attempts}\n"
        + (f"      kinds: {kinds}\n" if kinds else "")
    )


def email_yaml(port: int, *, attempts: int = 3) -> str:
    return (
        f"  email:\n    host: 127.0.0.1\n    port: {port}\n    security: none\n"
        f"    from_address: performance@force.police.uk\n    from_name: Performance Team\n"
        f"    dashboard_url: https://kpi.force.police.uk/\n    attempts: {attempts}\n"
    )
