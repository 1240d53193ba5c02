"""Reminders about entered figures (docs/ENTRY.md, "Due dates and reminders"): which are due
on a fixed day around Christmas 2026 (Christmas Day on a Friday, Boxing Day's substitute on
Monday 28th), each sent once however often the senders run, to a real SMTP server (aiosmtpd)
and a real webhook receiver on 127.0.0.1, and never to someone who opted out."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD, Clock
from notifyutil import SECRET, SECRET_ENV, email_yaml, webhook_yaml
from receivers import http_receiver, smtp_server
from typer.testing import CliRunner

from kpiboard.announcements import AnnouncementKind as K
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.cli import app
from kpiboard.web.db import AppStore, Figures, ReminderKey, Role, User
from kpiboard.web.notify import BackgroundSender, remind, send_due
from kpiboard.web.notify.remind import plan, reminders_now
from kpiboard.web.notify.reminders import Reminder
from kpiboard.web.notify.signing import verify

Project = Callable[..., Path]
runner = CliRunner()
ENTER, APPROVE = ["ed", "eve"], ["ann"]
# November 2026's budget figure is due on the 20th working day after 30 November: Christmas
# Day (Fri 25) and Boxing Day's substitute (Mon 28) are not working days, so Wed 30 December
BUDGET_ENTRY = (
    "    entry: {enter: [ed, eve], approve: [ann], due: 20, remind_before: 2, since: 2026-11}\n"
)
DUE = "due Wednesday 30 December 2026, 20th working day"


def at(day: int, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, 9, 0, tzinfo=UTC)


def project(make_project: Project, announcements: str = "", since: str = "2026-11") -> Catalogue:
    root = make_project(
        files={},
        project_extra=("announcements:\n" + announcements) if announcements else "",
    )
    path = root / "measures" / "crime.yaml"
    measures = path.read_text()
    snapshot = '    kind: snapshot\n    unit: "£m"\n'
    entered = measures.replace(snapshot, snapshot + BUDGET_ENTRY.replace("2026-11", since))
    assert entered != measures
    path.write_text(entered)
    return load_catalogue(root)


def people(store: AppStore) -> dict[str, User]:
    for name, role in (("ed", Role.EDITOR), ("eve", Role.EDITOR), ("ann", Role.APPROVER)):
        store.add_user(name, PASSWORD, role, name.title() + " Example")
        store.set_email(name, f"{name}@force.police.uk")
    store.add_user("vic", PASSWORD, Role.VIEWER)
    return {u.username: u for u in store.users()}


def said(found: list[Reminder]) -> list[tuple[str, str, str, tuple[str, ...], str]]:
    return [(r.kind.value, r.org, r.month, r.to, r.text) for r in found]


def text_of(msg: Message, subtype: str) -> str:
    for part in msg.walk():
        if part.get_content_type() == f"text/{subtype}":
            return part.get_payload(decode=True).decode()  # type: ignore[union-attr]
    raise AssertionError(f"no text/{subtype} part")


def test_due_and_overdue_on_known_days_around_christmas(
    store: AppStore, make_project: Project
) -> None:
    cat = project(make_project)
    people(store)
    what = "Budget variance for Metropolitan Police Service, November 2026"
    assert reminders_now(cat, store, at(23)) == []  # the 17th working day: not yet
    for day in (24, 29, 30):  # the 18th, 19th and 20th working days (not 25th, 28th)
        assert said(reminders_now(cat, store, at(day))) == [
            ("entry_due", "MPS", "2026-11", ("ed", "eve"), f"{what}: {DUE}")
        ], day
    assert said(reminders_now(cat, store, at(31))) == [
        ("entry_overdue", "MPS", "2026-11", ("ed", "eve"), f"{what}: overdue, {DUE}")
    ]
    # OVERDUE_FOR: 20 working days after the due date (New Year's Day is not one), then no
    # more mail (the page still lists it). December's is due Fri 29 January 2027, the 20th
    # working day, so its reminder starts on Wed 27th
    on_28th = reminders_now(cat, store, at(28, 1, 2027))
    assert [(r.kind, r.month) for r in on_28th] == [
        (K.ENTRY_OVERDUE, "2026-11"),
        (K.ENTRY_DUE, "2026-12"),
    ]
    assert on_28th[1].when == "due Friday 29 January 2027, 20th working day"
    on_29th = reminders_now(cat, store, at(29, 1, 2027))
    assert [(r.kind, r.month) for r in on_29th] == [(K.ENTRY_DUE, "2026-12")]
    assert [r.kind for r in reminders_now(cat, store, at(26, 1, 2027))] == [K.ENTRY_OVERDUE]


def test_submitted_and_overdue_goes_to_the_approvers_and_approved_to_nobody(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    cat = project(make_project)
    who = people(store)
    key = ("MPS", "budget", "2026-11")
    clock.now = at(29)
    store.save_entry(*key, Figures(value=-1.5), who["ed"], base=0, enterers=ENTER)
    assert [r.kind for r in reminders_now(cat, store, at(29))] == [K.ENTRY_DUE]  # a draft
    store.submit_entry(*key, who["ed"], base=1, enterers=ENTER)
    assert reminders_now(cat, store, at(30)) == []  # submitted before it was due
    (late,) = reminders_now(cat, store, at(31))
    assert (late.kind, late.to, late.by) == (K.ENTRY_OVERDUE, ("ann",), "ed")
    assert "submitted by ed, waiting for approval; overdue, due Wednesday 30" in late.text
    store.approve_entry(*key, who["ann"], base=2, approvers=APPROVE)
    assert reminders_now(cat, store, at(31)) == []
    # a revision of the approved figure, as a draft past the due date, is not overdue: the
    # board has a figure
    store.save_entry(*key, Figures(value=-1.6), who["eve"], base=3, enterers=ENTER)
    assert reminders_now(cat, store, at(31)) == []


def test_each_reminder_is_mailed_once_with_its_link_and_due_date(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    people(store)
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port))
        clock.now = at(24)
        first = remind(cat, store)
        assert [d.target for d in first] == ["ed@force.police.uk", "eve@force.police.uk"]
        assert remind(cat, store) == []  # the sender's next round: already sent
        clock.now = at(30)
        assert remind(cat, store) == []  # still due, still sent once
        send_due(store, cat.project.announcements)
        send_due(store, cat.project.announcements)
        assert len(box.to("ed@force.police.uk")) == 1 and len(box.messages) == 2
        (mail,) = box.to("ed@force.police.uk")
        clock.now = at(31)
        late = remind(cat, store)
        send_due(store, cat.project.announcements)
    assert [d.what for d in late] == ["reminders: 1 for ed", "reminders: 1 for eve"]
    assert mail["Subject"] == "Test scorecard: due soon: Budget variance, 2026-11"
    text, html = text_of(mail, "plain"), text_of(mail, "html")
    link = "https://kpi.force.police.uk/entries/MPS/2026-11/budget"
    assert link in text and f'href="{link}"' in html
    assert DUE in text and DUE in html
    assert "https://kpi.force.police.uk/account" in text
    overdue = box.to("ed@force.police.uk")[1]
    assert overdue["Subject"] == "Test scorecard: overdue: Budget variance, 2026-11"
    assert f"overdue, {DUE}" in text_of(overdue, "plain")


def test_opted_out_people_get_no_mail_of_that_kind(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    who = people(store)
    assert store.set_reminder_optouts(who["eve"], ["entry_due", "nonsense"]) == {"entry_due"}
    assert store.reminder_optouts(who["eve"]) == {"entry_due"}
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port))
        clock.now = at(24)
        remind(cat, store)
        send_due(store, cat.project.announcements)
        assert [rcpt for _, rcpt, _ in box.messages] == [["ed@force.police.uk"]]
        clock.now = at(31)  # eve still hears that it is overdue: she opted out of one kind
        remind(cat, store)
        send_due(store, cat.project.announcements)
    assert len(box.to("eve@force.police.uk")) == 1
    assert box.to("eve@force.police.uk")[0]["Subject"].startswith("Test scorecard: overdue")
    (changed,) = store.audit_log(event="reminders_changed")
    assert (changed.username, changed.detail) == ("eve", {"not_sent": ["entry_due"]})


def test_a_returned_figure_is_mailed_with_its_reason_made_inert(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    who = people(store)
    key = ("MPS", "budget", "2026-11")
    reason = 'Wrong sign <script>alert("x")</script><a href="https://evil.example">see</a>'
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port))
        clock.now = at(22)
        store.save_entry(*key, Figures(value=1.5), who["ed"], base=0, enterers=ENTER)
        store.submit_entry(*key, who["ed"], base=1, enterers=ENTER)
        store.return_entry(*key, who["ann"], base=2, approvers=APPROVE, reason=reason)
        made = remind(cat, store)
        assert remind(cat, store) == []
        send_due(store, cat.project.announcements)
    assert sorted(d.target for d in made) == ["ed@force.police.uk", "eve@force.police.uk"]
    (mail,) = box.to("ed@force.police.uk")
    assert mail["Subject"] == "Test scorecard: returned to you: Budget variance, 2026-11"
    text, html = text_of(mail, "plain"), text_of(mail, "html")
    assert "returned by ann" in text and f"Reason: {reason}" in text
    assert "<script>" not in html and '<a href="https://evil' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "ann@force.police.uk" not in [r for _, rcpts, _ in box.messages for r in rcpts]


def test_a_webhook_asking_for_reminders_gets_each_once(
    store: AppStore, make_project: Project, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    people(store)
    with http_receiver() as hook, http_receiver() as other, http_receiver() as plain:
        cat = project(
            make_project,
            webhook_yaml(hook.url, kinds="[entry_overdue]")
            + webhook_yaml(other.url, kinds="[status_changed]")[len("  webhooks:\n") :]
            + webhook_yaml(plain.url)[len("  webhooks:\n") :],
        )
        for day in (24, 31, 31):
            clock.now = at(day)
            remind(cat, store)
            send_due(store, cat.project.announcements)
    assert other.received == []  # it asked for none of the reminders
    # one with no `kinds` (made for a load's announcements) gets no reminders unasked
    assert plain.received == []
    (call,) = hook.received  # not the entry_due of the 24th; the overdue once
    body = json.loads(call.body)
    assert body["project"] == "Test scorecard"
    (item,) = body["reminders"]
    assert item == {
        "kind": "entry_overdue",
        "organisation": "MPS",
        "organisation_name": "Metropolitan Police Service",
        "month": "2026-11",
        "measure": "budget",
        "section": None,
        "title": "Budget variance",
        "text": f"Budget variance for Metropolitan Police Service, November 2026: overdue, {DUE}",
        "due": "2026-12-30",
        "url": "/entries/MPS/2026-11/budget",
        "to": ["ed", "eve"],
        "reason": None,
        "by": None,
    }
    stamp = call.headers["X-Kpiboard-Timestamp"]
    assert verify(
        SECRET.encode(), stamp, call.body, call.headers["X-Kpiboard-Signature"], now=int(stamp)
    )


def test_outbox_send_from_cron_twice_mails_a_return_once(make_project: Project) -> None:
    """`kpiboard outbox PROJECT --send` finds the reminders due (here a return made just now,
    on the real clock), and a second run, as cron would make it, sends nothing again. The
    measure is entered from 2099 on, so that no month due or overdue on the real clock adds a
    reminder of its own; a return is told whatever its month."""
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port), since="2099-01")
        store = AppStore.open(AppStore.default_url(cat.root, None), password_hasher=FAST_HASHER)
        try:
            who = people(store)
            key = ("MPS", "budget", "2026-11")
            store.save_entry(*key, Figures(value=1.5), who["ed"], base=0, enterers=ENTER)
            store.submit_entry(*key, who["ed"], base=1, enterers=ENTER)
            store.return_entry(*key, who["ann"], base=2, approvers=APPROVE, reason="Sign?")
        finally:
            store.close()
        first = runner.invoke(app, ["outbox", str(cat.root), "--send"])
        second = runner.invoke(app, ["outbox", str(cat.root), "--send"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("reminders enqueued: 2\nsent 2 of 2 due\n")
    assert second.exit_code == 0, second.output
    assert second.stdout.startswith("sent 0 of 0 due\n")
    assert sorted(r for _, rcpts, _ in box.messages for r in rcpts) == [
        "ed@force.police.uk",
        "eve@force.police.uk",
    ]
    assert "Reason: Sign?" in text_of(box.to("ed@force.police.uk")[0], "plain")


def test_the_dashboards_background_sender_enqueues_and_sends_them(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    """`kpiboard serve`'s sender looks for reminders at the start of each round (web/app.py
    hands it kpiboard.web.notify.remind), then sends what is due."""
    people(store)
    clock.now = at(31)
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port))
        sender = BackgroundSender(
            store, lambda: cat.project.announcements, before=lambda: remind(cat, store)
        )
        sender.start()
        try:
            assert box.arrived.wait(20)
            for _ in range(200):  # both e-mails, sent one after the other
                if len(box.messages) == 2:
                    break
                box.arrived.clear()
                box.arrived.wait(0.1)
        finally:
            sender.stop()
    assert sorted(r for _, rcpts, _ in box.messages for r in rcpts) == [
        "ed@force.police.uk",
        "eve@force.police.uk",
    ]
    assert all(m["Subject"].startswith("Test scorecard: overdue") for _, _, m in box.messages)


def test_two_senders_that_found_the_same_reminder_enqueue_it_once(
    store: AppStore, make_project: Project, clock: Clock
) -> None:
    """Both looked before either wrote (each saw nothing sent): the unique key lets the first
    enqueue, and the second's whole transaction enqueues nothing."""
    who = people(store)
    with smtp_server() as box:
        cat = project(make_project, email_yaml(box.port))
    clock.now = at(24)
    found = reminders_now(cat, store, clock.now)
    settings, everyone = cat.project.announcements, store.people()
    first = plan(settings, "T", found, everyone, store.reminders_sent(["2026-11"]))
    second = plan(settings, "T", found, everyone, store.reminders_sent(["2026-11"]))
    assert [d.target for d in store.enqueue_reminders(first)] == [
        "ed@force.police.uk",
        "eve@force.police.uk",
    ]
    assert store.enqueue_reminders(second) == []
    assert len(store.deliveries()) == 2
    assert store.reminders_sent(["2026-11"]) == {
        ReminderKey("MPS", "budget", "2026-11", "entry_due", name) for name in ("ed", "eve")
    }
    assert who["vic"].username not in {k.recipient for k in store.reminders_sent(["2026-11"])}
