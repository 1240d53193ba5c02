"""Housekeeping: a successful sign-in deletes login attempts older than the throttle's
look-back and sessions that ended or expired more than SESSION_RETENTION ago, through the
indexes of migration 0003; the append-only tables are never touched."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from appdb_helpers import PASSWORD, START, Clock
from sqlalchemy import create_engine, select, text

from kpiboard.web.db import AppStore, LoginFailed, LoginThrottled, Role
from kpiboard.web.db.accounts import SESSION_RETENTION
from kpiboard.web.db.engine import make_engine, parse
from kpiboard.web.db.models import LoginAttemptRow
from kpiboard.web.db.throttle import LOOK_BACK, WINDOW

WRONG = "not the right password"


def _rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(parse(db_url))
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def _attempt_times(db_url: str) -> list[datetime]:
    """Every login_attempts row's time, oldest first (UTC-aware, as the store reads them)."""
    engine = make_engine(db_url)
    with engine.connect() as conn:
        times = sorted(conn.execute(select(LoginAttemptRow.at)).scalars())
    engine.dispose()
    return times


def _fail(store: AppStore, username: str, ip: str | None = "10.0.0.1") -> None:
    with pytest.raises(LoginFailed):
        store.authenticate(username, WRONG, ip)


def _session_hashes(db_url: str) -> set[str]:
    return {str(r[0]) for r in _rows(db_url, "SELECT token_sha256 FROM sessions")}


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def test_the_look_back_is_the_throttles_rule() -> None:
    assert LOOK_BACK == 2 * WINDOW == timedelta(minutes=30)
    assert timedelta(days=30) == SESSION_RETENTION


def test_sign_in_deletes_attempts_older_than_the_look_back(
    store: AppStore, clock: Clock, db_url: str
) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    _fail(store, "bob")  # START: older than the look-back by then
    clock.advance(minutes=1)
    _fail(store, "bob")  # START + 1 min: exactly at the cut-off, kept
    clock.advance(minutes=9)
    _fail(store, "carol", "10.0.0.2")  # START + 10 min: recent, kept
    clock.now = START + LOOK_BACK + timedelta(minutes=1)
    _fail(store, "bob")  # a failed sign-in cleans nothing
    assert len(_attempt_times(db_url)) == 4
    store.authenticate("alice", PASSWORD, "10.0.0.3")
    now = clock.now
    assert _attempt_times(db_url) == [
        START + timedelta(minutes=1),
        START + timedelta(minutes=10),
        now,
        now,
    ]
    assert [e.event for e in store.audit_log()].count(
        "sign_in_failed"
    ) == 4  # the audit log keeps all


def test_throttling_still_counts_recent_failures_after_the_clean_up(
    store: AppStore, clock: Clock
) -> None:
    """A failure more than one window old can still lock (with four later ones within a window
    of it), which is why the clean-up keeps the whole look-back, not only the window."""
    store.add_user("alice", PASSWORD, Role.EDITOR)
    store.add_user("bob", PASSWORD, Role.EDITOR)
    for _ in range(4):
        _fail(store, "bob", "10.0.0.1")  # an hour before: deleted below, and no longer counting
    clock.advance(hours=1)
    t = clock.now
    for minute in (0, 1, 2, 3, 15):  # five within 15 minutes of the latest: bob locked until t + 30
        clock.now = t + timedelta(minutes=minute)
        _fail(store, "bob", f"10.0.1.{minute}")
    for i in range(19):
        _fail(store, f"user{i % 5}", "198.51.100.1")  # nineteen from one IP
    clock.now = t + timedelta(minutes=16)  # the failure at t is now more than a window old
    store.authenticate("alice", PASSWORD, "10.9.9.9")  # cleans up
    with pytest.raises(LoginThrottled) as exc:
        store.authenticate("bob", PASSWORD, "10.0.2.1")
    assert exc.value.retry_after_seconds == 14 * 60
    _fail(store, "user0", "198.51.100.1")  # the twentieth from the IP locks it
    with pytest.raises(LoginThrottled):
        store.authenticate("alice", PASSWORD, "198.51.100.1")
    assert store.audit_log(event="sign_in_throttled")[0].detail["reason"] == "ip"


def test_sign_in_deletes_sessions_finished_more_than_the_retention_ago(
    store: AppStore, clock: Clock, db_url: str
) -> None:
    ed = store.add_user("ed", PASSWORD, Role.EDITOR)
    store.add_user("alice", PASSWORD, Role.VIEWER)
    expired_old, _ = store.create_session(ed, 1)  # expires START + 1 h
    ended_old, _ = store.create_session(ed, 24 * 60)  # would last 60 days, but signed out…
    store.end_session(ended_old)  # …at START
    long_lived, _ = store.create_session(ed, 24 * 45)  # still live in 31 days
    at_cutoff, _ = store.create_session(ed, 24 + 1)  # expires exactly at the cut-off below
    clock.advance(days=2)
    expired_recent, _ = store.create_session(ed, 1)  # expired 29 days before the sign-in
    ended_recent, _ = store.create_session(ed, 24 * 60)
    store.end_session(ended_recent)  # ended 29 days before
    clock.now = START + SESSION_RETENTION + timedelta(days=1, hours=1)  # cut-off: START + 25 h
    live, _ = store.create_session(ed, 12)
    before = _session_hashes(db_url)
    assert len(before) == 7
    store.authenticate("alice", PASSWORD, None)
    after = _session_hashes(db_url)
    assert before - after == {_sha(expired_old), _sha(ended_old)}
    assert after == {_sha(t) for t in (long_lived, at_cutoff, expired_recent, ended_recent, live)}
    for token in (live, long_lived):  # live sessions still work
        session = store.session(token)
        assert session is not None and session.user.username == "ed"
    assert store.session(expired_old) is None and store.session(ended_old) is None
    store.end_session(live)  # and end normally
    assert store.session(live) is None


def test_the_append_only_tables_are_never_touched(
    store: AppStore, clock: Clock, db_url: str
) -> None:
    ed = store.add_user("ed", PASSWORD, Role.APPROVER)
    rev = store.save_commentary("MPS", "burglary", "2009-08", "Down 6%.", ed)
    store.publish(
        "MPS",
        "2009-08",
        scorecard_json="{}",
        pack_html="<p>pack</p>",
        data_version="v1",
        commentary={"burglary": rev},
        changes={},
        user=ed,
    )
    store.authenticate("ed", PASSWORD, None)
    counts = (
        "SELECT (SELECT count(*) FROM commentary_revisions), (SELECT count(*) FROM publications)"
    )
    events = len(store.audit_log(limit=1000))
    clock.advance(days=365)
    store.authenticate("ed", PASSWORD, None)
    assert _rows(db_url, counts) == [(1, 1)]
    assert len(store.audit_log(limit=1000)) == events + 1  # one more sign_in; none removed
    assert store.audit_log(limit=1000)[-1].at == START


# The DELETEs the housekeeping runs, as SQL: each must be able to use its index of migration 0003.
HOUSEKEEPING_DELETES = {
    "ix_login_attempts_at": "DELETE FROM login_attempts WHERE at < :cutoff",
    "ix_sessions_expires_at": "DELETE FROM sessions WHERE expires_at < :cutoff",
    "ix_sessions_ended_at": "DELETE FROM sessions WHERE ended_at < :cutoff",
}


@pytest.mark.parametrize("index", sorted(HOUSEKEEPING_DELETES))
def test_the_housekeeping_deletes_can_use_their_index(
    store: AppStore, db_url: str, index: str
) -> None:
    engine = create_engine(parse(db_url))
    sql = HOUSEKEEPING_DELETES[index]
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(
                text("SET enable_seqscan = off")
            )  # tiny test tables: make the planner show it
            plan = " ".join(
                str(r[0]) for r in conn.execute(text(f"EXPLAIN {sql}"), {"cutoff": START})
            )
        else:
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    text(f"EXPLAIN QUERY PLAN {sql}"), {"cutoff": "2026-01-01 00:00:00"}
                )
            )
        conn.rollback()
    engine.dispose()
    assert index in plan, plan
