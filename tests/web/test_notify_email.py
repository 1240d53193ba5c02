"""E-mail after a vintage and after a publication, against a real SMTP server on 127.0.0.1
(aiosmtpd): each subscriber gets only their measures' and sections' announcements, in plain
text and HTML with links to the KPI pages; nothing a name or title holds can add a header; a
published pack goes to its readers at the scheduled time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest
from appdb_helpers import PASSWORD, Clock
from notifyutil import announcement, catalogue_with, email_yaml
from receivers import smtp_server

from kpiboard.web.db import AppStore, Role
from kpiboard.web.notify import announce, distribute_pack, send_due

Project = Callable[..., Path]


def _parts(msg: Message) -> tuple[str, str]:
    text = html = ""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            text = part.get_payload(decode=True).decode()  # type: ignore[union-attr]
        elif part.get_content_type() == "text/html":
            html = part.get_payload(decode=True).decode()  # type: ignore[union-attr]
    return text, html


def _people(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.VIEWER, "Alice Example")
    store.add_user("bob", PASSWORD, Role.EDITOR, "Bob Example")
    store.add_user("carol", PASSWORD, Role.VIEWER, "Carol (no address)")
    store.set_email("alice", "alice@force.police.uk")
    store.set_email("bob", "bob@force.police.uk")
    users = {u.username: u for u in store.users()}
    store.subscribe(users["alice"], ["burglary"], [], packs=True)
    store.subscribe(users["bob"], [], ["Confidence"], packs=False)
    store.subscribe(users["carol"], ["burglary"], [], packs=True)


def test_each_subscriber_gets_only_their_announcements(
    store: AppStore, make_project: Project
) -> None:
    _people(store)
    found = [
        announcement("burglary"),
        announcement("robbery", text="Robbery: Green → Amber (Jul-18)"),
        announcement(
            "satisfaction",
            section="Confidence",
            title="Satisfaction",
            text="Satisfaction: new signal",
        ),
    ]
    with smtp_server() as box:
        cat = catalogue_with(make_project, email_yaml(box.port))
        report = announce(cat, store, 3, found)
    assert len(report.delivered) == 2 and report.failed == ()
    (alice,) = box.to("alice@force.police.uk")
    (bob,) = box.to("bob@force.police.uk")
    assert len(box.messages) == 2  # carol has no address; nobody follows robbery
    assert alice["From"] == "Performance Team <performance@force.police.uk>"
    assert alice["To"] == "Alice Example <alice@force.police.uk>"
    assert alice["Subject"] == f"{cat.project.title}: 1 change in vintage 3"
    text, html = _parts(alice)
    assert "Burglary: Amber → Red (Jul-18)" in text and "Robbery" not in text
    link = "https://kpi.force.police.uk/scorecard/WYP/2018-07/kpi/burglary"
    assert link in text and f'href="{link}"' in html
    assert "https://kpi.force.police.uk/account" in text
    assert "Satisfaction: new signal" in _parts(bob)[0]


def test_names_and_titles_cannot_add_headers(store: AppStore, make_project: Project) -> None:
    store.add_user("mallory", PASSWORD, Role.VIEWER, "Mallory\r\nBcc: spy@evil.example")
    store.set_email("mallory", "mallory@force.police.uk")
    (mallory,) = store.users()
    store.subscribe(mallory, ["burglary"], [], packs=False)
    evil = "Burglary\r\nBcc: spy@evil.example\r\n\r\n<script>alert(1)</script>"
    with smtp_server() as box:
        cat = catalogue_with(make_project, email_yaml(box.port))
        (done,) = announce(cat, store, 3, [announcement(text=evil)]).delivered
    ((_, rcpt, msg),) = box.messages
    assert rcpt == ["mallory@force.police.uk"]  # nobody else
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["To"]) and "spy@evil.example" in str(msg["To"])  # as a name
    _, html = _parts(msg)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert done.state == "delivered"


def test_a_server_that_is_down_is_retried(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    _people(store)
    with smtp_server() as box:
        port = box.port
    cat = catalogue_with(make_project, email_yaml(port))
    (failed,) = announce(cat, store, 3, [announcement()]).failed
    assert failed.last_error is not None and f"SMTP 127.0.0.1:{port}" in failed.last_error
    clock.advance(minutes=1)
    (still,) = send_due(store, cat.project.announcements)
    assert (still.state, still.attempts) == ("waiting", 2)


def test_a_pack_goes_to_its_readers_at_nine_on_the_next_working_day(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    _people(store)
    approver = store.add_user("approver", PASSWORD, Role.APPROVER, "Head of Performance")
    clock.now = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # a Friday afternoon
    pack = store.publish(
        "WYP",
        "2018-07",
        scorecard_json="{}",
        pack_html="<p>pack</p>",
        data_version="v1",
        commentary={},
        changes={},
        user=approver,
    )
    with smtp_server() as box:
        settings = email_yaml(box.port) + "  packs:\n    to: subscribers\n"
        cat = catalogue_with(make_project, settings)
        (held,) = distribute_pack(
            cat, store, pack
        )  # alice only: bob did not ask, carol has no address
        assert held.next_attempt_at == datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00
        assert send_due(store, cat.project.announcements) == []
        clock.now = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
        (sent,) = send_due(store, cat.project.announcements)
    assert sent.state == "delivered"
    (msg,) = box.to("alice@force.police.uk")
    text, _ = _parts(msg)
    assert "https://kpi.force.police.uk/packs/WYP/2018-07/pack.html" in text
    assert pack.content_hash in text


@pytest.mark.parametrize(("to", "expected"), [("readers", 2), ("subscribers", 1)])
def test_readers_are_everyone_with_an_address(
    store: AppStore, make_project: Project, to: str, expected: int
) -> None:
    _people(store)
    approver = store.add_user("approver", PASSWORD, Role.APPROVER)
    pack = store.publish(
        "WYP",
        "2018-07",
        scorecard_json="{}",
        pack_html="",
        data_version="v",
        commentary={},
        changes={},
        user=approver,
    )
    cat = catalogue_with(
        make_project, email_yaml(25) + f"  packs:\n    to: {to}\n    when: publication\n"
    )
    held = distribute_pack(cat, store, pack)
    assert len(held) == expected
    assert all(d.next_attempt_at == store.now() for d in held)  # due at once
    assert {d.target for d in held} <= {"alice@force.police.uk", "bob@force.police.uk"}


# plain-text AUTH is what this test wants, on 127.0.0.1 only; aiosmtpd warns of it
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_signing_in_to_the_server_with_the_password_from_the_environment(
    store: AppStore, make_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    _people(store)
    login = "username: kpiboard\n    password_env: KPIBOARD_TEST_SMTP_PASSWORD\n"
    with smtp_server(login=("kpiboard", "smtp secret")) as box:
        cat = catalogue_with(make_project, email_yaml(box.port) + "    " + login)
        (unset,) = announce(cat, store, 3, [announcement()]).failed
        assert unset.last_error == (
            "the environment variable KPIBOARD_TEST_SMTP_PASSWORD (the SMTP password) is not set"
        )
        monkeypatch.setenv("KPIBOARD_TEST_SMTP_PASSWORD", "smtp secret")
        (done,) = announce(cat, store, 4, [announcement()]).delivered
    assert done.state == "delivered"
    assert [rcpt for _, rcpt, _ in box.messages] == [["alice@force.police.uk"]]


def test_a_server_that_is_down_holds_the_load_up_once_not_per_subscriber(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    _people(store)
    found = [announcement(), announcement("satisfaction", section="Confidence")]
    with smtp_server() as box:
        port = box.port
    cat = catalogue_with(make_project, email_yaml(port))
    report = announce(cat, store, 3, found)
    tried, left = report.failed  # alice's was tried and failed; bob's waits for the sender
    assert (tried.attempts, left.attempts, left.last_error) == (1, 0, None)
    assert left.next_attempt_at == clock.now  # due at once: the sender tries it next
    assert [d.state for d in report.deliveries] == ["waiting", "waiting"]
