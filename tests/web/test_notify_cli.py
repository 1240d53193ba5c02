"""`kpiboard outbox` (what waits and why; --send sends what is due) and `kpiboard users
set-email`, through Typer's CliRunner, against a real HTTP receiver."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD
from notifyutil import SECRET, SECRET_ENV, announcement, webhook_yaml
from receivers import http_receiver
from typer.testing import CliRunner

from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.web.db import AppStore, Role
from kpiboard.web.notify import announce

runner = CliRunner()


def _store(project: Path, now: datetime | None = None) -> AppStore:
    clock = None if now is None else (lambda: now)
    return AppStore.open(
        AppStore.default_url(project, None), now=clock, password_hasher=FAST_HASHER
    )


def test_outbox_lists_what_waits_and_sends_it_when_due(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with http_receiver(500, 200) as hook:
        root = make_project(project_extra="announcements:\n" + webhook_yaml(hook.url))
        cat = load_catalogue(root)
        # the first try was an hour ago, so its retry (a minute later) is due now
        store = _store(root, datetime.now(UTC) - timedelta(hours=1))
        (failed,) = announce(cat, store, 3, [announcement()]).failed
        store.close()
        listed = runner.invoke(app, ["outbox", str(root)])
        assert listed.exit_code == 0, listed.output
        assert f"webhook vintage 3: 1 announcement to {hook.url}: waiting (1 of 3 attempts" in (
            listed.stdout
        )
        assert "last error: " in listed.stdout and "answered 500" in listed.stdout
        sent = runner.invoke(app, ["outbox", str(root), "--send"])
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.startswith("sent 1 of 1 due\nnothing waits to be delivered")
    assert len(hook.received) == 2
    everything = runner.invoke(app, ["outbox", str(root), "--all"])
    assert f"{hook.url}: delivered (2 attempts)" in everything.stdout
    assert failed.delivery_id  # the same row, delivered on its second attempt


def test_a_failed_send_exits_1_and_says_why_on_stderr(
    make_project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with http_receiver(500, 500) as hook:
        root = make_project(project_extra="announcements:\n" + webhook_yaml(hook.url))
        store = _store(root, datetime.now(UTC) - timedelta(hours=1))
        announce(load_catalogue(root), store, 3, [announcement()])
        store.close()
        sent = runner.invoke(app, ["outbox", str(root), "--send"])
    assert sent.exit_code == 1
    assert "delivery failed: webhook vintage 3" in sent.stderr and "answered 500" in sent.stderr


def test_users_set_email(make_project: Callable[..., Path]) -> None:
    root = make_project()
    store = _store(root)
    alice = store.add_user("alice", PASSWORD, Role.VIEWER)
    store.close()
    done = runner.invoke(app, ["users", "set-email", str(root), "alice", "alice@force.police.uk"])
    assert (done.exit_code, done.stdout) == (0, "alice: alice@force.police.uk\n")
    bad = runner.invoke(app, ["users", "set-email", str(root), "alice", "Alice <a@b.uk>"])
    assert bad.exit_code == 1 and "is not an e-mail address kpiboard can send to" in bad.stderr
    store = _store(root)
    assert store.email(alice) == "alice@force.police.uk"
    store.close()
    gone = runner.invoke(app, ["users", "set-email", str(root), "alice", ""])
    assert gone.stdout == "alice: no e-mail address\n"
