"""kpiboard.yaml's `announcements:` settings (webhooks, e-mail, pack distribution): a mistake is
a finding at its file and line, naming the field and saying what to write instead."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kpiboard.announcements import AnnouncementKind
from kpiboard.catalogue.delivery import PackRecipients, PackWhen, SmtpSecurity
from kpiboard.catalogue.load import load_catalogue
from kpiboard.errors import Finding, ValidationFailed

GOOD = """
announcements:
  webhooks:
    - url: https://hooks.example.police.uk/kpiboard
      secret_env: KPIBOARD_WEBHOOK_SECRET
      kinds: [status_changed, new_signal]
  email:
    host: smtp.example.police.uk
    username: kpiboard
    password_env: KPIBOARD_SMTP_PASSWORD
    from_address: performance@example.police.uk
    dashboard_url: https://kpi.example.police.uk/
  packs:
    to: readers
    at: "08:30"
"""


def _findings(make_project: Callable[..., Path], extra: str) -> tuple[list[Finding], list[str]]:
    root = make_project(project_extra=extra)
    with pytest.raises(ValidationFailed) as exc:
        load_catalogue(root)
    errors = [f for f in exc.value.findings if f.level == "error"]
    return errors, (root / "kpiboard.yaml").read_text().splitlines()


def test_good_settings_load_with_their_defaults(make_project: Callable[..., Path]) -> None:
    got = load_catalogue(make_project(project_extra=GOOD)).project.announcements
    (hook,) = got.webhooks
    assert hook.kinds == [AnnouncementKind.STATUS_CHANGED, AnnouncementKind.NEW_SIGNAL]
    assert (hook.timeout_seconds, hook.attempts) == (5, 6)
    assert got.email is not None
    assert got.email.dashboard_url == "https://kpi.example.police.uk"  # no trailing slash
    assert (got.email.port, got.email.security) == (587, SmtpSecurity.STARTTLS)
    assert got.packs is not None
    assert (got.packs.to, got.packs.when) == (PackRecipients.READERS, PackWhen.NEXT_WORKING_DAY)
    assert got.packs.timezone == "Europe/London"
    assert got.configured


def test_a_webhook_with_no_kinds_gets_a_loads_announcements_but_no_reminders(
    make_project: Callable[..., Path],
) -> None:
    plain = "announcements:\n  webhooks:\n    - url: https://h.example/k\n      secret_env: S\n"
    (hook,) = load_catalogue(make_project(project_extra=plain)).project.announcements.webhooks
    assert [k.value for k in hook.kinds] == [
        "status_changed",
        "new_signal",
        "assurance_changed",
        "published_revised",
        "gone_stale",
    ]


def test_no_announcements_by_default(make_project: Callable[..., Path]) -> None:
    got = load_catalogue(make_project()).project.announcements
    assert (got.webhooks, got.email, got.packs) == ([], None, None)
    assert not got.configured


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (
            ("secret_env: KPIBOARD_WEBHOOK_SECRET", "secret_env: 's3cret value!'"),
            "secret_env",
            "give the name of an environment variable",
        ),
        (
            ("url: https://hooks", "url: ftp://hooks"),
            "url",
            "is not an http(s) URL",
        ),
        (
            ("kinds: [status_changed, new_signal]", "kinds: [status_change]"),
            "kinds",
            "status_changed",
        ),
        (
            ("password_env: KPIBOARD_SMTP_PASSWORD", "password_env: 'hunter2 hunter2'"),
            "password_env",
            "never be written in kpiboard.yaml",
        ),
        (
            (
                "from_address: performance@example.police.uk",
                "from_address: Performance <performance@example.police.uk>",
            ),
            "from_address",
            "is not a plain e-mail address",
        ),
        (
            ('at: "08:30"', 'at: "half past eight"'),
            "at",
            "give HH:MM",
        ),
        (
            ('at: "08:30"', 'at: "08:30"\n    timezone: Europe/Londres'),
            "timezone",
            "is not a time zone",
        ),
    ],
)
def test_mistakes_are_findings_at_their_line(
    make_project: Callable[..., Path], change: tuple[str, str], key: str, message: str
) -> None:
    extra = GOOD.replace(*change)
    assert extra != GOOD
    findings, lines = _findings(make_project, extra)
    (finding,) = [f for f in findings if message in f.message + (f.hint or "")]
    assert finding.file == "kpiboard.yaml"
    assert finding.line is not None
    assert lines[finding.line - 1].strip().removeprefix("- ").startswith(f"{key}:"), finding


def test_packs_need_the_smtp_server(make_project: Callable[..., Path]) -> None:
    extra = "announcements:\n  packs:\n    when: publication\n"
    (finding,), _ = _findings(make_project, extra)
    assert "configure email" in finding.message
