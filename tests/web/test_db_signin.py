"""Sign-in: argon2 verification, the throttling rule, sessions and CSRF tokens."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD, Clock
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from kpiboard.web.db import AppStore, LoginFailed, LoginThrottled, PermissionDenied, Role
from kpiboard.web.db.engine import parse
from kpiboard.web.db.throttle import retry_after

WRONG = "not the right password"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _fail(store: AppStore, username: str = "alice", ip: str | None = "10.0.0.1") -> None:
    with pytest.raises(LoginFailed):
        store.authenticate(username, WRONG, ip)


def test_sign_in_audited_with_ip(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    assert store.authenticate("alice", PASSWORD, "192.0.2.7") == alice
    [event] = store.audit_log(event="sign_in")
    assert (event.username, event.ip, event.at) == ("alice", "192.0.2.7", T0)


def test_unknown_user_and_wrong_password_read_the_same(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    with pytest.raises(LoginFailed) as unknown:
        store.authenticate("bob", PASSWORD, None)
    with pytest.raises(LoginFailed) as wrong:
        store.authenticate("alice", WRONG, None)
    assert str(unknown.value) == str(wrong.value)
    assert [e.detail["reason"] for e in store.audit_log(event="sign_in_failed")] == [
        "wrong_password",
        "unknown_user",
    ]


def test_five_failures_lock_the_username_even_for_the_right_password(
    store: AppStore, clock: Clock
) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for _ in range(5):
        _fail(store)
        clock.advance(minutes=1)
    # failures at 09:00..09:04; now 09:05: locked until 09:19
    with pytest.raises(LoginThrottled) as exc:
        store.authenticate("alice", PASSWORD, "10.0.0.1")
    assert exc.value.retry_after_seconds == 14 * 60
    assert "14 minute" in str(exc.value)
    clock.now = T0 + timedelta(minutes=19) - timedelta(seconds=1)
    with pytest.raises(LoginThrottled) as exc:
        store.authenticate("alice", PASSWORD, "10.0.0.2")
    assert exc.value.retry_after_seconds == 1
    clock.now = T0 + timedelta(minutes=19)  # 15 minutes after the latest failure
    assert store.authenticate("alice", PASSWORD, "10.0.0.1").username == "alice"


def test_four_failures_do_not_lock(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for _ in range(4):
        _fail(store)
    assert store.authenticate("alice", PASSWORD, "10.0.0.1").username == "alice"


def test_a_success_starts_the_count_again(store: AppStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for _ in range(4):
        _fail(store)
    store.authenticate("alice", PASSWORD, "10.0.0.1")
    for _ in range(4):
        _fail(store)
    assert store.authenticate("alice", PASSWORD, "10.0.0.1").username == "alice"


def test_failures_spread_over_more_than_15_minutes_do_not_lock(
    store: AppStore, clock: Clock
) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for _ in range(8):
        _fail(store)
        clock.advance(minutes=4)  # never 5 within 15 minutes
    assert store.authenticate("alice", PASSWORD, None).username == "alice"


def test_ten_wrong_passwords_all_audited(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    outcomes = []
    for _ in range(10):
        try:
            store.authenticate("alice", WRONG, "203.0.113.9")
        except LoginThrottled:
            outcomes.append("throttled")
        except LoginFailed:
            outcomes.append("failed")
    assert outcomes == ["failed"] * 5 + ["throttled"] * 5
    log = store.audit_log()
    assert [e.event for e in reversed(log)][1:] == ["sign_in_failed"] * 5 + [
        "sign_in_throttled"
    ] * 5
    assert all(e.ip == "203.0.113.9" and e.username == "alice" for e in log[:10])
    assert log[0].detail == {"reason": "username", "retry_after_seconds": 15 * 60}


def test_throttled_attempts_do_not_extend_the_lock(store: AppStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for _ in range(5):
        _fail(store)
    for _ in range(14):
        clock.advance(minutes=1)
        with pytest.raises(LoginThrottled):
            store.authenticate("alice", WRONG, "10.0.0.1")
    clock.advance(minutes=1)
    assert store.authenticate("alice", PASSWORD, None).username == "alice"


def test_changing_case_gives_no_more_guesses(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for name in ("alice", "Alice", "ALICE", "aLice", "alicE"):
        _fail(store, name, None)
    for name in ("ALICE", "alice", "Alice"):  # locked under every spelling, even with the password
        with pytest.raises(LoginThrottled):
            store.authenticate(name, PASSWORD, None)
    assert [e.username for e in store.audit_log(event="sign_in_failed")][-2:] == [
        "Alice",
        "alice",
    ]  # as typed


def test_the_lock_is_per_username(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    store.add_user("bob", PASSWORD, Role.EDITOR)
    for _ in range(5):
        _fail(store, "alice", "10.0.0.1")
    assert store.authenticate("bob", PASSWORD, "10.0.0.1").username == "bob"


def test_twenty_failures_from_one_ip_lock_the_ip(store: AppStore, clock: Clock) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for i in range(20):  # 4 each on 5 usernames: no username is locked
        _fail(store, f"user{i % 5}", "198.51.100.1")
    with pytest.raises(LoginThrottled) as exc:
        store.authenticate("alice", PASSWORD, "198.51.100.1")
    assert exc.value.retry_after_seconds == 15 * 60
    assert store.audit_log(event="sign_in_throttled")[0].detail["reason"] == "ip"
    assert store.authenticate("alice", PASSWORD, "198.51.100.2").username == "alice"  # another IP
    clock.advance(minutes=15)
    assert store.authenticate("alice", PASSWORD, "198.51.100.1").username == "alice"


def test_nineteen_failures_from_one_ip_do_not_lock_it(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    for i in range(19):
        _fail(store, f"user{i % 5}", "198.51.100.1")
    assert store.authenticate("alice", PASSWORD, "198.51.100.1").username == "alice"


@pytest.mark.parametrize(
    ("minutes", "now", "expected"),
    [
        ([0, 1, 2, 3, 4], 5, 14 * 60),
        ([0, 1, 2, 3, 4], 19, None),
        ([0, 1, 2, 3], 5, None),
        ([0, 1, 2, 3, 15], 16, 14 * 60),  # five within 15 minutes of each other
        ([0, 1, 2, 3, 16], 17, None),  # the first has left the latest one's window
        ([], 0, None),
    ],
)
def test_retry_after_rule(minutes: list[int], now: int, expected: int | None) -> None:
    times = [T0 + timedelta(minutes=m) for m in minutes]
    assert retry_after(times, T0 + timedelta(minutes=now), 5) == expected


def test_password_rehashed_when_parameters_change(db_url: str) -> None:
    first = AppStore.open(db_url, password_hasher=FAST_HASHER)
    first.add_user("alice", PASSWORD, Role.EDITOR)
    first.close()
    stronger = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)
    second = AppStore.open(db_url, password_hasher=stronger)
    second.authenticate("alice", PASSWORD, None)
    second.close()
    engine = create_engine(parse(db_url))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE username = :u"), {"u": "alice"}
        ).scalar_one()
    engine.dispose()
    assert "m=16,t=2,p=1" in stored
    assert stronger.verify(stored, PASSWORD)


def test_sql_metacharacters_in_a_sign_in_name(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.ADMIN)
    evil = "alice' OR '1'='1' --"
    with pytest.raises(LoginFailed):
        store.authenticate(evil, PASSWORD, "10.0.0.1'; DROP TABLE users; --")
    [event] = store.audit_log(event="sign_in_failed")
    assert (event.username, event.detail) == (evil, {"reason": "unknown_user"})
    assert event.ip == "10.0.0.1'; DROP TABLE users; --"
    assert [u.username for u in store.users()] == ["alice"]


# --- sessions ---------------------------------------------------------------------------------


def test_session_round_trip(store: AppStore, clock: Clock) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, session = store.create_session(alice, 12)
    assert session.user == alice and session.expires_at == T0 + timedelta(hours=12)
    assert len(token) >= 43 and len(session.csrf_token) >= 43
    assert store.session(token) == session
    assert store.session("not-a-token") is None


def test_session_expires(store: AppStore, clock: Clock) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(alice, 1.5)
    clock.advance(minutes=89, seconds=59)
    assert store.session(token) is not None
    clock.advance(seconds=1)  # exactly at expiry
    assert store.session(token) is None


def test_csrf_token_differs_per_session(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    (t1, s1), (t2, s2) = store.create_session(alice, 1), store.create_session(alice, 1)
    assert t1 != t2 and s1.csrf_token != s2.csrf_token
    assert store.session(t1).csrf_token == s1.csrf_token  # type: ignore[union-attr]
    assert store.session(t2).csrf_token == s2.csrf_token  # type: ignore[union-attr]


def test_token_is_not_stored_in_clear(store: AppStore, db_url: str) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(alice, 1)
    engine = create_engine(parse(db_url))
    with engine.connect() as conn:
        rows = [tuple(str(v) for v in r) for r in conn.execute(text("SELECT * FROM sessions"))]
    engine.dispose()
    assert not any(token in value for row in rows for value in row)
    assert hashlib.sha256(token.encode()).hexdigest() in rows[0]


def test_end_session(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(alice, 1)
    store.end_session(token, "10.1.1.1")
    assert store.session(token) is None
    store.end_session(token)  # again: ignored
    store.end_session("unknown")
    [event] = store.audit_log(event="sign_out")
    assert (event.username, event.ip) == ("alice", "10.1.1.1")


def test_deactivation_ends_sessions(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(alice, 1)
    store.deactivate("alice")
    assert store.session(token) is None
    with pytest.raises(PermissionDenied):
        store.create_session(alice, 1)


def test_password_change_ends_all_the_users_sessions(
    store: AppStore, db_url: str, clock: Clock
) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    bob = store.add_user("bob", PASSWORD, Role.EDITOR)
    (t1, _), (t2, _), (t3, _) = (store.create_session(alice, 1) for _ in range(3))
    store.end_session(t3)  # already signed out: not counted again
    bobs, _ = store.create_session(bob, 1)
    clock.advance(minutes=5)
    store.set_password("alice", "a brand new passphrase")
    assert store.session(t1) is None and store.session(t2) is None
    assert store.session(bobs) is not None  # only alice's sessions end
    [event] = store.audit_log(event="password_changed")
    assert event.detail == {"username": "alice", "sessions_ended": 2}
    engine = create_engine(parse(db_url))
    with engine.connect() as conn:
        ended = conn.execute(
            text("SELECT count(*) FROM sessions WHERE ended_at IS NOT NULL")
        ).scalar_one()
    engine.dispose()
    assert ended == 3  # t1 and t2 now, t3 at sign-out; bob's is open
    token, _ = store.create_session(store.authenticate("alice", "a brand new passphrase", None), 1)
    assert store.session(token) is not None  # signing in again works


def test_session_carries_the_current_role(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(alice, 1)
    store.set_role("alice", Role.VIEWER)
    assert store.session(token).user.role is Role.VIEWER  # type: ignore[union-attr]


def test_session_length_must_be_positive(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR)
    with pytest.raises(Exception, match="positive number of hours"):
        store.create_session(alice, 0)
