"""The outbox and subscriptions in the application database (SQLite and PostgreSQL): due
deliveries, claims, backoff, giving up; e-mail addresses and what people subscribe to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from appdb_helpers import Clock

from kpiboard.web.db import AppStore, BadEmail, Channel, NewDelivery, PermissionDenied, Role, User


def _item(**changes: object) -> NewDelivery:
    base: dict[str, object] = {
        "channel": Channel.WEBHOOK,
        "target": "http://127.0.0.1:9/hook",
        "what": "vintage 3: 1 announcement",
        "payload": '{"vintage": 3}',
        "max_attempts": 3,
        "timeout_seconds": 2.0,
    }
    return NewDelivery(**{**base, **changes})  # type: ignore[arg-type]


def test_a_failed_delivery_waits_twice_as_long_each_time_then_gives_up(
    store: AppStore, clock: Clock
) -> None:
    (d,) = store.enqueue([_item()])
    assert d.state == "waiting" and d.attempts == 0 and len(d.delivery_id) == 36
    assert store.due() == [d]
    assert store.claim(d)
    assert not store.claim(d)  # taken: a second sender does not send it too
    assert store.due() == []
    d = store.failed(d, "HTTP 500")
    assert (d.attempts, d.last_error, d.next_attempt_at) == (
        1,
        "HTTP 500",
        clock.now + timedelta(minutes=1),
    )
    clock.advance(seconds=59)
    assert store.due() == []
    clock.advance(seconds=1)
    (d,) = store.due()
    assert store.claim(d)
    d = store.failed(d, "timed out")
    assert d.next_attempt_at == clock.now + timedelta(minutes=2)
    clock.advance(minutes=2)
    (d,) = store.due()
    assert store.claim(d)
    d = store.failed(d, "timed out again")
    assert (d.state, d.attempts, d.next_attempt_at) == ("given up", 3, None)
    clock.advance(days=1)
    assert store.due() == [] and store.deliveries(waiting=True) == []
    assert store.delivery(d.delivery_id) == d


def test_delivered_once_and_held_until_its_time(store: AppStore, clock: Clock) -> None:
    later = clock.now + timedelta(hours=20)
    first, held = store.enqueue([_item(), _item(channel=Channel.EMAIL, not_before=later)])
    assert first.delivery_id != held.delivery_id
    assert store.due() == [first]
    assert store.next_due() == first.next_attempt_at
    assert store.claim(first)
    done = store.delivered(first)
    assert (done.state, done.attempts, done.delivered_at) == ("delivered", 1, clock.now)
    assert [d.id for d in store.deliveries(waiting=True)] == [held.id]
    assert store.next_due() == later
    clock.advance(hours=20)
    assert store.due() == [held]


def test_email_addresses_are_plain_and_set_by_their_owner_or_an_admin(
    store: AppStore, people: dict[Role, User]
) -> None:
    store.set_email("viewer", " viewer@force.police.uk ")
    assert store.email(people[Role.VIEWER]) == "viewer@force.police.uk"
    store.set_email("editor", "editor@force.police.uk", actor="editor")
    store.set_email("editor", "e2@force.police.uk", actor="admin")
    with pytest.raises(PermissionDenied):
        store.set_email("editor", "mine@evil.example", actor="viewer")
    assert store.email(people[Role.EDITOR]) == "e2@force.police.uk"
    bad_addresses = (
        "a@b.c\r\nBcc: x@evil.example",
        "Boss <boss@force.police.uk>",
        "a@b",
        "x,y@z.uk",
        "nul\x00@force.police.uk",
        "a@force.police.uk\nb",
    )
    for bad in bad_addresses:
        with pytest.raises(BadEmail, match="not an e-mail address"):
            store.set_email("viewer", bad)
    store.set_email("viewer", None)
    assert store.email(people[Role.VIEWER]) is None
    assert next(e.detail for e in store.audit_log(event="email_changed")) == {"username": "viewer"}


def test_subscriptions_are_replaced_whole(store: AppStore, people: dict[Role, User]) -> None:
    viewer = people[Role.VIEWER]
    store.subscribe(viewer, ["burglary", "robbery"], ["Confidence"], packs=True)
    assert store.subscription(viewer) == (
        frozenset({"burglary", "robbery"}),
        frozenset({"Confidence"}),
        True,
    )
    store.subscribe(viewer, ["robbery"], [], packs=False)
    assert store.subscription(viewer) == (frozenset({"robbery"}), frozenset(), False)
    assert store.subscribers() == []  # nobody has an address yet
    store.set_email("viewer", "viewer@force.police.uk")
    (who,) = store.subscribers()
    assert (who.username, who.email, who.measures, who.packs) == (
        "viewer",
        "viewer@force.police.uk",
        frozenset({"robbery"}),
        False,
    )
    store.deactivate("viewer")
    assert store.subscribers() == []
    with pytest.raises(PermissionDenied):
        store.subscribe(viewer, ["burglary"], [], packs=False)
