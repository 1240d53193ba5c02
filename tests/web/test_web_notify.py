"""The dashboard's part in telling people: publishing a month puts its pack's e-mails in the
outbox; the background sender runs with the app, sends what is due (here to a real SMTP
server) and stops when the app stops; a failed delivery goes to the audit log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD
from fastapi.testclient import TestClient
from notifyutil import SECRET, SECRET_ENV, announcement, email_yaml
from receivers import Mailbox, smtp_server
from webutil import EXAMPLE, MONTH, ORG, REASON, ROLES

from kpiboard.catalogue import load_catalogue
from kpiboard.catalogue.schema import Dashboard
from kpiboard.web.app import create_app
from kpiboard.web.builds import BuildQuota
from kpiboard.web.db import AppStore, Figures
from kpiboard.web.notify import announce, audit_failures, send_due
from kpiboard.web.service import ScorecardService


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture(scope="module")
def notifying_service(
    tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox
) -> Iterator[ScorecardService]:
    """The reference example, sending packs by e-mail as soon as they are published."""
    root = tmp_path_factory.mktemp("notify") / "met"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    with (root / "kpiboard.yaml").open("a", encoding="utf-8") as f:
        f.write("\nannouncements:\n" + email_yaml(mailbox.port) + "  packs:\n")
        f.write("    to: readers\n    when: publication\n")
    svc = ScorecardService.open(root)
    svc.quota = BuildQuota(burst=float("inf"))
    yield svc
    svc.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AppStore]:
    s = AppStore.open(f"sqlite:///{tmp_path / 'app.sqlite3'}", password_hasher=FAST_HASHER)
    for name, role in ROLES.items():
        s.add_user(name, PASSWORD, role, name.capitalize())
    s.set_email("viewer", "viewer@force.police.uk")
    yield s
    s.close()


def test_a_published_pack_is_sent_by_the_background_sender(
    notifying_service: ScorecardService, store: AppStore, mailbox: Mailbox
) -> None:
    app = create_app(notifying_service, store, Dashboard())
    with TestClient(app, base_url="http://127.0.0.1") as client:
        sender = app.state.sender
        assert sender.running
        token = client.post("/api/session", json={"username": "approver", "password": PASSWORD})
        csrf = token.json()["csrf_token"]
        got = client.post(
            f"/api/packs/{ORG}/{MONTH}", headers={"x-csrf-token": csrf}, json={"reason": REASON}
        )
        assert got.status_code == 201, got.text
        (waiting,) = store.deliveries(waiting=True)
        assert waiting.target == "viewer@force.police.uk"
        assert waiting.what == f"pack {ORG} {MONTH} for viewer"
        sender.wake()
        assert mailbox.arrived.wait(60), "the background sender sent nothing"
    assert not sender.running  # stopped with the app
    (msg,) = mailbox.to("viewer@force.police.uk")
    assert f"pack for {MONTH} published" in " ".join(str(msg["Subject"]).split())  # unfolded
    (done,) = store.deliveries()
    assert done.state == "delivered"


def test_a_failed_delivery_is_in_the_audit_log(
    make_project: object, store: AppStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    root = make_project(  # type: ignore[operator]
        project_extra="announcements:\n  webhooks:\n    - url: http://127.0.0.1:9/hook\n"
        f"      secret_env: {SECRET_ENV}\n"
    )
    cat = load_catalogue(root)
    (failed,) = announce(cat, store, 3, [announcement()], log=audit_failures(store)).failed
    (event,) = store.audit_log(event="delivery_failed")
    assert event.detail["delivery_id"] == failed.delivery_id
    assert event.detail["target"] == "http://127.0.0.1:9/hook"
    assert str(event.detail["error"]).startswith("cannot reach")
    assert send_due(store, cat.project.announcements) == []  # waits for its backoff


def test_the_background_sender_mails_a_returned_figure_to_its_enterers(
    notifying_service: ScorecardService, store: AppStore, mailbox: Mailbox
) -> None:
    """The dashboard's sender looks for reminders itself (docs/ENTRY.md): a figure returned
    with a reason reaches the editor (4b is entered by role:editor) without anyone asking."""
    store.set_email("editor", "editor@force.police.uk")
    users = {u.username: u for u in store.users()}
    enter, approve = ["role:editor"], ["role:approver"]
    key = (ORG, "networks_disrupted", "2009-09")
    store.save_entry(*key, Figures(value=31), users["editor"], base=0, enterers=enter)
    store.submit_entry(*key, users["editor"], base=1, enterers=enter)
    store.return_entry(*key, users["approver"], base=2, approvers=approve, reason="Count again")
    app = create_app(notifying_service, store, Dashboard())
    with TestClient(app, base_url="http://127.0.0.1"):
        for _ in range(600):  # the sender's first round runs as the app starts
            if mailbox.to("editor@force.police.uk"):
                break
            mailbox.arrived.clear()
            mailbox.arrived.wait(0.1)
    (msg,) = mailbox.to("editor@force.police.uk")
    (plain,) = [p for p in msg.walk() if p.get_content_type() == "text/plain"]
    body = " ".join(plain.get_payload(decode=True).decode().split())  # type: ignore[union-attr]
    assert "returned by approver" in body and "Reason: Count again" in body
    assert f"https://kpi.force.police.uk/entries/{ORG}/2009-09/networks_disrupted" in body
    assert not mailbox.to("approver@force.police.uk")
