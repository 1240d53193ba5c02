"""Publications: one frozen pack per organisation and month; the first is kept."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from datetime import timedelta

import pytest
from appdb_helpers import START, Clock
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session as DbSession

from kpiboard.errors import KpiboardError
from kpiboard.web.db import (
    AlreadyPublished,
    AppStore,
    PermissionDenied,
    Publication,
    Revision,
    Role,
    User,
    content_hash,
)
from kpiboard.web.db.engine import parse
from kpiboard.web.db.models import PublicationRow

CARD = json.dumps(
    {"title": "Scorecard", "as_of": "2009-08", "rows": [{"id": "2a", "status": "amber"}]}
)
PACK = "<html><body><h1>August 2009</h1><p>Burglary 'down' &amp; \"robbery\" up</p></body></html>"


def _publish(
    store: AppStore,
    user: User,
    month: str = "2009-08",
    org: str = "MPS",
    *,
    commentary: dict[str, Revision] | None = None,
    pack: str = PACK,
    data_version: str = "sha256:abc",
) -> Publication:
    return store.publish(
        org,
        month,
        scorecard_json=CARD,
        pack_html=pack,
        data_version=data_version,
        commentary=commentary or {},
        changes={"status": {"2a": ["green", "amber"]}},
        user=user,
        ip="10.9.9.9",
    )


def test_publish_round_trip(store: AppStore, people: dict[Role, User]) -> None:
    rev = store.save_commentary(
        "MPS", "burglary", "2009-08", "Down 6% on last year.", people[Role.EDITOR]
    )
    pub = _publish(store, people[Role.APPROVER], commentary={"burglary": rev})
    assert (pub.org, pub.month, pub.published_by, pub.published_at) == (
        "MPS",
        "2009-08",
        "approver",
        START,
    )
    assert (pub.scorecard_json, pub.pack_html, pub.data_version) == (CARD, PACK, "sha256:abc")
    assert pub.commentary == {"burglary": rev}
    assert pub.changes == {"status": {"2a": ["green", "amber"]}}
    commentary_json = json.dumps(
        {
            "burglary": {
                "id": rev.id,
                "org": "MPS",
                "measure": "burglary",
                "month": "2009-08",
                "number": 1,
                "text": "Down 6% on last year.",
                "author": "editor",
                "created_at": "2026-01-05T09:00:00+00:00",
            }
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert pub.content_hash == content_hash(CARD, commentary_json, PACK, "sha256:abc")
    assert len(pub.content_hash) == 64
    assert store.publication("MPS", "2009-08") == pub
    assert store.publication("MPS", "2009-09") is None
    [event] = store.audit_log(event="pack_published")
    assert event.detail["content_hash"] == pub.content_hash and event.detail["measures"] == [
        "burglary"
    ]
    assert (event.username, event.ip) == ("approver", "10.9.9.9")


def test_content_hash_known_answer() -> None:
    # sha256 of b"1:a\n1:b\n1:c\n1:d\n": each part framed as <byte length>:<bytes>\n
    assert (
        content_hash("a", "b", "c", "d")
        == "4cd91a6615837c7995b4f82b6d3c2f844ab6bceb1f9cfff17bd738b08dbdaa3c"
    )
    assert content_hash("ab", "", "c", "d") != content_hash("a", "b", "c", "d")  # framing matters
    assert content_hash("é", "", "", "") == hashlib.sha256("2:é\n0:\n0:\n0:\n".encode()).hexdigest()


def test_the_snapshot_does_not_follow_later_revisions(
    store: AppStore, people: dict[Role, User]
) -> None:
    rev = store.save_commentary("MPS", "burglary", "2009-08", "as published", people[Role.EDITOR])
    _publish(store, people[Role.APPROVER], commentary={"burglary": rev})
    store.save_commentary("MPS", "burglary", "2009-08", "written afterwards", people[Role.EDITOR])
    assert store.publication("MPS", "2009-08").commentary["burglary"].text == "as published"  # type: ignore[union-attr]


def test_second_publish_refused_and_first_kept(
    store: AppStore, people: dict[Role, User], clock: Clock
) -> None:
    first = _publish(store, people[Role.APPROVER])
    clock.advance(hours=2)
    with pytest.raises(AlreadyPublished) as exc:
        _publish(
            store, people[Role.ADMIN], pack="<p>a different pack</p>", data_version="sha256:def"
        )
    assert str(exc.value).startswith(
        "the MPS pack for 2009-08 was already published by approver on 2026-01-05 at 09:00 UTC"
    )
    assert exc.value.published_by == "approver" and exc.value.hint
    assert store.publication("MPS", "2009-08") == first
    assert store.publications() == [first]
    [event] = store.audit_log(event="pack_publish_refused")
    assert event.username == "admin" and event.detail["published_by"] == "approver"
    assert (
        event.detail["content_hash"] == first.content_hash != event.detail["refused_content_hash"]
    )


def test_the_database_enforces_one_publication_per_month(
    store: AppStore, people: dict[Role, User], db_url: str
) -> None:
    first = _publish(store, people[Role.APPROVER])
    engine = create_engine(parse(db_url))
    with pytest.raises(IntegrityError), DbSession(engine) as s, s.begin():
        s.add(
            PublicationRow(
                org="MPS",
                month="2009-08",
                published_at=START,
                published_by_id=first_user_id(store),
                data_version="x",
                scorecard_json="{}",
                commentary_json="{}",
                pack_html="",
                changes_json="{}",
                content_hash="0" * 64,
            )
        )
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("UPDATE publications SET pack_html = :h"), {"h": "tampered"})
    engine.dispose()
    assert store.publication("MPS", "2009-08") == first


def first_user_id(store: AppStore) -> int:
    return store.users()[0].id


def test_racing_publishes_one_wins(store: AppStore, people: dict[Role, User]) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(6)

    def work(i: int) -> None:
        start.wait()
        try:
            _publish(store, people[Role.APPROVER], pack=f"<p>pack {i}</p>")
            outcomes.append("published")
        except AlreadyPublished:
            outcomes.append("refused")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["published"] + ["refused"] * 5
    assert len(store.publications()) == 1
    assert len(store.audit_log(event="pack_publish_refused")) == 5


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR])
def test_only_approvers_publish(store: AppStore, people: dict[Role, User], role: Role) -> None:
    with pytest.raises(PermissionDenied, match="may not publish packs"):
        _publish(store, people[role])
    assert store.publications() == []
    assert store.audit_log(event="permission_denied")[0].detail == {
        "action": "publish",
        "org": "MPS",
        "month": "2009-08",
    }


def test_forged_or_misplaced_commentary_refused(store: AppStore, people: dict[Role, User]) -> None:
    ed, boss = people[Role.EDITOR], people[Role.APPROVER]
    rev = store.save_commentary("MPS", "burglary", "2009-08", "real words", ed)
    other_month = store.save_commentary("MPS", "burglary", "2009-07", "July", ed)
    forged = dataclasses.replace(rev, text="words nobody saved")
    for commentary in ({"burglary": forged}, {"burglary": other_month}, {"robbery": rev}):
        with pytest.raises(KpiboardError, match="is not a saved revision"):
            _publish(store, boss, commentary=commentary)
    assert store.publications() == []


def test_publications_order_and_previous(
    store: AppStore, people: dict[Role, User], clock: Clock
) -> None:
    boss = people[Role.APPROVER]
    for month in ("2009-06", "2009-08", "2009-07"):
        _publish(store, boss, month)
        clock.advance(days=1)
    _publish(store, boss, "2009-07", org="GMP")
    assert [(p.org, p.month) for p in store.publications()] == [
        ("MPS", "2009-08"),
        ("GMP", "2009-07"),
        ("MPS", "2009-07"),
        ("MPS", "2009-06"),
    ]
    assert [p.month for p in store.publications("GMP")] == ["2009-07"]
    assert store.previous_publication("MPS", "2009-08").month == "2009-07"  # type: ignore[union-attr]
    assert store.previous_publication("MPS", "2009-10").month == "2009-08"  # type: ignore[union-attr]
    assert store.previous_publication("MPS", "2009-06") is None
    assert store.previous_publication("GMP", "2009-07") is None
    assert store.publication("MPS", "2009-07").published_at == START + timedelta(days=2)  # type: ignore[union-attr]


def test_changes_must_be_json(store: AppStore, people: dict[Role, User]) -> None:
    with pytest.raises(KpiboardError, match="not JSON"):
        store.publish(
            "MPS",
            "2009-08",
            scorecard_json=CARD,
            pack_html=PACK,
            data_version="v",
            commentary={},
            changes={"when": object()},
            user=people[Role.APPROVER],
        )


def test_sql_metacharacters_in_a_publication(store: AppStore, people: dict[Role, User]) -> None:
    org = "MPS'); DELETE FROM publications; --"
    rev = store.save_commentary(org, "m'\"", "2009-08", "it's 100% ; --", people[Role.EDITOR])
    pub = _publish(
        store,
        people[Role.APPROVER],
        org=org,
        commentary={"m'\"": rev},
        pack="<script>alert('x')</script>",
        data_version="v'1",
    )
    assert store.publication(org, "2009-08") == pub
    assert (
        pub.pack_html == "<script>alert('x')</script>"
        and pub.commentary["m'\""].text == "it's 100% ; --"
    )


def test_a_packs_files_are_kept_with_their_sha256_and_never_changed(
    store: AppStore, people: dict[Role, User], db_url: str
) -> None:
    pdf, xlsx = b"%PDF-1.7 the pack", b"PK\x03\x04 the workbook"
    store.publish(
        "MPS",
        "2009-08",
        scorecard_json=CARD,
        pack_html=PACK,
        data_version="sha256:abc",
        commentary={},
        changes={},
        user=people[Role.APPROVER],
        files={"pdf": ("application/pdf", pdf), "xlsx": ("application/x-test", xlsx)},
    )
    listed = store.pack_files("MPS", "2009-08")
    assert [(f.format, f.media_type, f.sha256, f.size, f.content) for f in listed] == [
        ("pdf", "application/pdf", hashlib.sha256(pdf).hexdigest(), len(pdf), b""),
        ("xlsx", "application/x-test", hashlib.sha256(xlsx).hexdigest(), len(xlsx), b""),
    ]
    got = store.pack_file("MPS", "2009-08", "pdf")
    assert got is not None and got.content == pdf and got.sha256 == listed[0].sha256
    assert store.pack_file("MPS", "2009-08", "docx") is None
    assert store.pack_file("MPS", "2009-07", "pdf") is None
    audit = next(e for e in store.audit_log(10) if e.event == "pack_published")
    assert audit.detail["files"] == {"pdf": listed[0].sha256, "xlsx": listed[1].sha256}
    engine = create_engine(parse(db_url))
    for sql, params in (
        ("UPDATE pack_files SET content = :c", {"c": b"forged"}),
        ("DELETE FROM pack_files", {}),
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql), params)
    engine.dispose()
    again = store.pack_file("MPS", "2009-08", "pdf")
    assert again is not None and again.content == pdf
