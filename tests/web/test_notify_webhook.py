"""Webhooks after a vintage, against a real HTTP receiver on 127.0.0.1: the body is signed
(HMAC-SHA256 over the timestamp and the exact body), a failed call is recorded and retried with
the same delivery id, and a receiver that never answers costs the load only its timeout."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from appdb_helpers import Clock
from notifyutil import SECRET, SECRET_ENV, announcement, catalogue_with, webhook_yaml
from receivers import HANG, http_receiver

from kpiboard.announcements import AnnouncementKind
from kpiboard.web.db import AppStore, Delivery
from kpiboard.web.notify import announce, send_due
from kpiboard.web.notify.signing import (
    DELIVERY_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    verify,
)

Project = Callable[..., Path]


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)


def test_the_call_is_signed_over_the_exact_body(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    with http_receiver(200) as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url))
        found = [announcement(), announcement("robbery", AnnouncementKind.NEW_SIGNAL)]
        report = announce(cat, store, 3, found)
    (call,) = hook.received
    (done,) = report.delivered
    assert report.failed == ()
    stamp = call.headers[TIMESTAMP_HEADER]
    assert stamp == str(int(clock.now.timestamp()))
    assert verify(
        SECRET.encode(), stamp, call.body, call.headers[SIGNATURE_HEADER], now=clock.now.timestamp()
    )
    assert not verify(
        b"another key", stamp, call.body, call.headers[SIGNATURE_HEADER], now=clock.now.timestamp()
    )
    later = clock.now.timestamp() + 3600  # replayed an hour later: refused
    assert not verify(SECRET.encode(), stamp, call.body, call.headers[SIGNATURE_HEADER], now=later)
    assert call.headers[DELIVERY_HEADER] == done.delivery_id
    body = json.loads(call.body)
    assert body["project"] == cat.project.title and body["vintage"] == 3
    assert [a["measure"] for a in body["announcements"]] == ["burglary", "robbery"]
    assert body["announcements"][0] == found[0].to_dict()


def test_a_500_then_a_200_is_sent_twice_with_one_delivery_id(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    logged: list[Delivery] = []
    with http_receiver(500) as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url))
        report = announce(cat, store, 3, [announcement()], log=logged.append)
        (failed,) = report.failed
        assert failed.state == "waiting" and failed.attempts == 1
        assert failed.last_error is not None and "answered 500" in failed.last_error
        assert logged == [failed]
        assert send_due(store, cat.project.announcements) == []  # not due yet
        clock.advance(minutes=1)
        (done,) = send_due(store, cat.project.announcements)
    assert (done.state, done.attempts) == ("delivered", 2)
    first, second = hook.received
    assert first.body == second.body
    assert first.headers[DELIVERY_HEADER] == second.headers[DELIVERY_HEADER] == done.delivery_id
    assert first.headers[TIMESTAMP_HEADER] != second.headers[TIMESTAMP_HEADER]
    for call in (first, second):
        stamp = call.headers[TIMESTAMP_HEADER]
        assert verify(
            SECRET.encode(), stamp, call.body, call.headers[SIGNATURE_HEADER], now=int(stamp)
        )


def test_a_receiver_that_never_answers_costs_only_the_timeout_and_is_retried(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    with http_receiver(HANG) as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url, timeout=0.2))
        report = announce(cat, store, 3, [announcement()])  # returns: the failure is recorded
        assert hook.arrived.is_set()
        (failed,) = report.failed
        assert failed.last_error == f"no answer within 0.2 s from {hook.url}"
        assert store.deliveries(waiting=True) == [failed]
        clock.advance(minutes=1)
        (done,) = send_due(store, cat.project.announcements)
    assert done.state == "delivered"
    assert len({c.headers[DELIVERY_HEADER] for c in hook.received}) == 1


def test_attempts_run_out(store: AppStore, clock: Clock, make_project: Project) -> None:
    with http_receiver(503, 503) as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url, attempts=2))
        announce(cat, store, 3, [announcement()])
        clock.advance(minutes=1)
        (gone,) = send_due(store, cat.project.announcements)
        clock.advance(days=1)
        assert send_due(store, cat.project.announcements) == []
    assert (gone.state, gone.attempts, len(hook.received)) == ("given up", 2, 2)


def test_only_the_kinds_asked_for_and_nothing_when_none(
    store: AppStore, make_project: Project
) -> None:
    with http_receiver() as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url, kinds="[gone_stale]"))
        report = announce(cat, store, 3, [announcement()])
        assert report.deliveries == () and hook.received == []
        stale = announcement(kind=AnnouncementKind.GONE_STALE, text="Burglary: no data since May")
        (done,) = announce(cat, store, 4, [announcement(), stale]).delivered
    (call,) = hook.received
    assert [a["kind"] for a in json.loads(call.body)["announcements"]] == ["gone_stale"]
    assert done.what == "vintage 4: 1 announcement"


def test_an_unset_secret_is_a_recorded_failure_not_an_error(
    store: AppStore, make_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    with http_receiver() as hook:
        cat = catalogue_with(make_project, webhook_yaml(hook.url))
        (failed,) = announce(cat, store, 3, [announcement()]).failed
    assert hook.received == []
    assert failed.last_error is not None and SECRET_ENV in failed.last_error
    assert "is not set" in failed.last_error


def test_an_unreachable_receiver_is_a_recorded_failure(
    store: AppStore, clock: Clock, make_project: Project
) -> None:
    with http_receiver() as hook:
        url = hook.url
    cat = catalogue_with(make_project, webhook_yaml(url))  # nothing listens there now
    (failed,) = announce(cat, store, 3, [announcement()]).failed
    assert failed.last_error is not None and failed.last_error.startswith(f"cannot reach {url}")
    assert failed.next_attempt_at == clock.now + timedelta(minutes=1)


def test_the_worked_example_in_the_security_docs_is_right() -> None:
    from kpiboard.web.notify.signing import signature

    doc = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text()
    body = b'{"project":"Demo","vintage":3,"announcements":[]}'
    expected = signature(b"kpiboard-example-key", "1764928800", body)
    assert f"X-Kpiboard-Signature: {expected}" in doc
