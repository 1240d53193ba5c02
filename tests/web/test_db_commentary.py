"""Commentary: append-only revisions numbered 1, 2, 3…, permissions, the size limit."""

from __future__ import annotations

import threading

import pytest
from appdb_helpers import PASSWORD, START
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from kpiboard.errors import KpiboardError
from kpiboard.web.db import (
    MAX_COMMENTARY_CHARS,
    AppStore,
    CommentaryTooLong,
    PermissionDenied,
    Role,
    User,
)
from kpiboard.web.db.engine import parse


def test_revisions_are_numbered_and_never_overwritten(
    store: AppStore, people: dict[Role, User]
) -> None:
    ed = people[Role.EDITOR]
    texts = ["First draft.", "Second draft.", "Final wording."]
    saved = [store.save_commentary("MPS", "burglary", "2009-08", t, ed) for t in texts]
    assert [r.number for r in saved] == [1, 2, 3]
    history = store.revisions("MPS", "burglary", "2009-08")
    assert [(r.number, r.text) for r in history] == [
        (3, "Final wording."),
        (2, "Second draft."),
        (1, "First draft."),
    ]
    assert history == list(reversed(saved))
    assert all(r.author == "editor" and r.created_at == START for r in history)
    # numbering is per org, measure and month
    assert store.save_commentary("MPS", "robbery", "2009-08", "x", ed).number == 1
    assert store.save_commentary("MPS", "burglary", "2009-09", "x", ed).number == 1
    assert store.save_commentary("GMP", "burglary", "2009-08", "x", ed).number == 1
    assert [r.number for r in store.revisions("MPS", "burglary", "2009-08")] == [3, 2, 1]


def test_latest_commentary(store: AppStore, people: dict[Role, User]) -> None:
    ed, boss = people[Role.EDITOR], people[Role.ADMIN]
    store.save_commentary("MPS", "burglary", "2009-08", "old", ed)
    newest = store.save_commentary("MPS", "burglary", "2009-08", "new", boss)
    robbery = store.save_commentary("MPS", "robbery", "2009-08", "robbery text", ed)
    store.save_commentary("MPS", "burglary", "2009-07", "other month", ed)
    store.save_commentary("GMP", "burglary", "2009-08", "other org", ed)
    assert store.latest_commentary("MPS", "2009-08") == {"burglary": newest, "robbery": robbery}
    assert newest.author == "admin"
    assert store.latest_commentary("MPS", "2010-01") == {}


def test_saving_is_audited(store: AppStore, people: dict[Role, User]) -> None:
    store.save_commentary("MPS", "burglary", "2009-08", "Down 6%.", people[Role.EDITOR], "10.2.2.2")
    store.save_commentary(
        "MPS", "burglary", "2009-08", "Down 6.5%.", people[Role.EDITOR], "10.2.2.2"
    )
    [second, first] = store.audit_log(event="commentary_saved")
    assert first.detail == {
        "org": "MPS",
        "measure": "burglary",
        "month": "2009-08",
        "revision": 1,
        "length": 8,
    }
    assert (
        second.detail["revision"] == 2 and second.username == "editor" and second.ip == "10.2.2.2"
    )


def test_viewers_may_not_write(store: AppStore, people: dict[Role, User]) -> None:
    with pytest.raises(PermissionDenied, match="viewer may not write commentary") as exc:
        store.save_commentary("MPS", "burglary", "2009-08", "text", people[Role.VIEWER], "10.0.0.5")
    assert "editor role or above" in (exc.value.hint or "")
    assert store.revisions("MPS", "burglary", "2009-08") == []
    [event] = store.audit_log(event="permission_denied")
    assert event.detail["action"] == "save_commentary" and event.ip == "10.0.0.5"


def test_the_database_decides_the_role_not_the_caller(
    store: AppStore, people: dict[Role, User]
) -> None:
    stale = people[Role.EDITOR]  # says editor…
    store.set_role("editor", Role.VIEWER)  # …but is a viewer now
    with pytest.raises(PermissionDenied):
        store.save_commentary("MPS", "burglary", "2009-08", "text", stale)
    store.deactivate("approver")
    with pytest.raises(PermissionDenied):
        store.save_commentary("MPS", "burglary", "2009-08", "text", people[Role.APPROVER])


def test_commentary_limit(store: AppStore, people: dict[Role, User]) -> None:
    ed = people[Role.EDITOR]
    assert MAX_COMMENTARY_CHARS == 20_000
    at_limit = "é" * 19_999 + "\N{SNOWMAN}"  # characters, not bytes
    assert store.save_commentary("MPS", "burglary", "2009-08", at_limit, ed).text == at_limit
    with pytest.raises(CommentaryTooLong) as exc:
        store.save_commentary("MPS", "burglary", "2009-08", "x" * 20_001, ed)
    assert str(exc.value).startswith("commentary is 20,001 characters; the limit is 20,000")
    assert [r.text for r in store.revisions("MPS", "burglary", "2009-08")] == [at_limit]


@pytest.mark.parametrize(
    ("org", "measure", "month"),
    [
        ("MPS", "burglary", "2009-8"),
        ("MPS", "burglary", "2009-13"),
        ("MPS", "burglary", "Aug-09"),
        ("", "burglary", "2009-08"),
        ("MPS", "", "2009-08"),
        ("M" * 65, "burglary", "2009-08"),
    ],
)
def test_bad_keys(
    store: AppStore, people: dict[Role, User], org: str, measure: str, month: str
) -> None:
    with pytest.raises(KpiboardError):
        store.save_commentary(org, measure, month, "text", people[Role.EDITOR])


SQL_METACHARACTERS = [
    ("MPS'; DROP TABLE users; --", 'bur"glary\\%_', "Robert'); DROP TABLE commentary_revisions;--"),
    (
        "O'Brien & Co",
        "a?b:c%s",
        "100% of 'cases' ?, :name, %(x)s, $1, \\x00-free\nsecond line\ttab",
    ),
]


@pytest.mark.parametrize(("org", "measure", "text_"), SQL_METACHARACTERS)
def test_sql_metacharacters_stored_verbatim(
    store: AppStore, people: dict[Role, User], org: str, measure: str, text_: str
) -> None:
    rev = store.save_commentary(org, measure, "2009-08", text_, people[Role.EDITOR])
    [back] = store.revisions(org, measure, "2009-08")
    assert (back.org, back.measure, back.text) == (org, measure, text_) and back == rev
    assert store.latest_commentary(org, "2009-08") == {measure: rev}
    assert len(store.users()) == 4
    event = store.audit("note", "editor", {"org": org, "text": text_}, ip="' OR 1=1")
    assert store.audit_log(limit=1)[0] == event and event.detail == {"org": org, "text": text_}


def test_the_database_refuses_to_change_or_delete_a_revision(
    store: AppStore, people: dict[Role, User], db_url: str
) -> None:
    store.save_commentary("MPS", "burglary", "2009-08", "the original", people[Role.EDITOR])
    engine = create_engine(parse(db_url))
    for statement in (
        "UPDATE commentary_revisions SET text = :t",
        "DELETE FROM commentary_revisions WHERE text <> :t",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement), {"t": "rewritten"})
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events"))
    engine.dispose()
    assert [r.text for r in store.revisions("MPS", "burglary", "2009-08")] == ["the original"]


def test_concurrent_saves_get_distinct_numbers(store: AppStore, people: dict[Role, User]) -> None:
    ed, errors = people[Role.EDITOR], []
    start = threading.Barrier(4)

    def work(i: int) -> None:
        try:
            start.wait()
            for j in range(5):
                store.save_commentary("MPS", "burglary", "2009-08", f"{i}-{j}", ed)
        except Exception as exc:  # noqa: BLE001 - reported below  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = store.revisions("MPS", "burglary", "2009-08")
    assert [r.number for r in history] == list(range(20, 0, -1))
    assert sorted(r.text for r in history) == sorted(f"{i}-{j}" for i in range(4) for j in range(5))


def test_audit_log_newest_first_with_limit_and_filter(store: AppStore) -> None:
    for i in range(5):
        store.audit("export", f"user{i}", {"i": i})
    store.audit("other", None)
    assert [e.detail.get("i") for e in store.audit_log(limit=3)] == [None, 4, 3]
    assert [e.username for e in store.audit_log(event="export", limit=2)] == ["user4", "user3"]
    assert store.audit_log(event="nothing") == []
    assert PASSWORD  # the shared constants load
