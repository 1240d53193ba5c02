"""The schema: migrations equal the models, open() upgrades, URLs and errors."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from appdb_helpers import FAST_HASHER, PASSWORD, create_pg_database, drop_pg_database
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError

from kpiboard.web.db import AppStore, DatabaseUnavailable, Role, UsernamesDifferOnlyInCase, migrate
from kpiboard.web.db.engine import make_engine, parse
from kpiboard.web.db.models import Base, LoginAttemptRow, UserRow

TABLES = {
    "users",
    "sessions",
    "login_attempts",
    "commentary_revisions",
    "publications",
    "audit_events",
    "subscriptions",
    "deliveries",
    "pack_files",
    "entry_revisions",
    "reminders_sent",
    "reminder_optouts",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    name, url = create_pg_database(server)
    yield url
    drop_pg_database(server, name)


# SQLite cannot reflect the expression index on lower(username), so it is left out of the
# comparison there; test_the_database_itself_refuses_a_username_differing_only_in_case checks it.
SQLITE_SKIPS_EXPRESSION_INDEXES = [
    pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index"),
    pytest.mark.filterwarnings(
        "ignore:autogenerate skipping metadata-specified expression-based index"
    ),
]


@SQLITE_SKIPS_EXPRESSION_INDEXES[0]
@SQLITE_SKIPS_EXPRESSION_INDEXES[1]
def test_migrations_equal_the_models(empty_url: str) -> None:
    AppStore.open(empty_url).close()
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
        tables = set(inspect(conn).get_table_names())
    assert diff == []
    assert tables == TABLES | {"alembic_version"}
    assert migrate.current(engine) == migrate.head() == migrate.HEAD == "0008"
    engine.dispose()


def test_a_current_database_opens_without_alembic_and_an_older_one_is_upgraded(
    empty_url: str,
) -> None:
    engine = make_engine(empty_url)
    assert not migrate.at_head(engine)  # no revision table yet
    migrate.upgrade(engine, "0007")
    assert not migrate.at_head(engine)
    engine.dispose()
    AppStore.open(empty_url).close()  # brought to the newest
    engine = make_engine(empty_url)
    assert migrate.at_head(engine) and migrate.current(engine) == migrate.head()
    engine.dispose()
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from kpiboard.web.db import AppStore; "
            f"AppStore.open({empty_url!r}).close(); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert opened.stdout == "[]\n"  # Alembic is for databases not yet at the newest revision


@SQLITE_SKIPS_EXPRESSION_INDEXES[0]
@SQLITE_SKIPS_EXPRESSION_INDEXES[1]
def test_the_comparison_notices_a_difference(empty_url: str) -> None:
    """The check above can fail: a column the migrations lack shows up."""
    AppStore.open(empty_url).close()
    changed = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["users"].append_column(Column("extra", Integer, nullable=True))
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), changed
        )
    engine.dispose()
    assert [d[0] for d in diff] == ["add_column"]


def test_open_twice_is_harmless_and_downgrade_works(empty_url: str) -> None:
    store = AppStore.open(empty_url, password_hasher=FAST_HASHER)
    store.add_user("alice", PASSWORD, Role.ADMIN)
    store.close()
    store = AppStore.open(empty_url, password_hasher=FAST_HASHER)  # already at head: nothing to do
    assert [u.username for u in store.users()] == ["alice"]
    store.close()
    engine = make_engine(empty_url)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_servers_starting_together_both_open(empty_url: str) -> None:
    """Several workers opening a fresh database at once: one migrates, the rest wait and find
    it done; none fails."""
    start, errors, stores = threading.Barrier(4), [], []

    def open_it() -> None:
        start.wait()
        try:
            stores.append(AppStore.open(empty_url, password_hasher=FAST_HASHER))
        except Exception as exc:  # noqa: BLE001 - reported below  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "an open() hung"
    assert errors == [] and len(stores) == 4
    stores[0].add_user("alice", PASSWORD, Role.VIEWER)
    assert [u.username for u in stores[3].users()] == ["alice"]
    for store in stores:
        store.close()


def test_worker_processes_starting_together_all_open(empty_url: str) -> None:
    """The same across processes (uvicorn --workers): the database's own lock serialises them."""
    script = "import sys; from kpiboard.web.db import AppStore; AppStore.open(sys.argv[1]).close()"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, empty_url], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert results == [(0, "")] * 4
    engine = make_engine(empty_url)
    assert migrate.current(engine) == migrate.head()
    engine.dispose()


def test_timestamps_are_utc_aware(store: AppStore) -> None:
    user = store.add_user("alice", PASSWORD, Role.VIEWER)
    assert user.created_at.tzinfo is not None and user.created_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert store.users()[0].created_at.tzinfo == UTC


def test_sqlite_foreign_keys_and_wal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    AppStore.open(url).close()
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with pytest.raises(Exception, match="FOREIGN KEY"), engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, expires_at) "
                "VALUES (:t, :u, :c, :a, :a)"
            ),
            {"t": "x", "u": 999, "c": "y", "a": "2026-01-01"},
        )
    engine.dispose()


def test_in_memory_sqlite_works(tmp_path: Path) -> None:
    store = AppStore.open("sqlite://", password_hasher=FAST_HASHER)
    store.add_user("alice", PASSWORD, Role.VIEWER)
    assert store.authenticate("alice", PASSWORD, None).username == "alice"
    store.close()


def test_default_url(tmp_path: Path) -> None:
    url = AppStore.default_url(tmp_path, None)
    assert url == f"sqlite:///{tmp_path.resolve() / '.kpiboard' / 'app.sqlite3'}"
    assert (tmp_path / ".kpiboard").is_dir()
    assert (
        AppStore.default_url(tmp_path, "postgresql+psycopg://u@h/db")
        == "postgresql+psycopg://u@h/db"
    )
    assert (
        AppStore.default_url(tmp_path, "sqlite:///rel/app.db")
        == f"sqlite:///{tmp_path.resolve() / 'rel' / 'app.db'}"
    )
    assert AppStore.default_url(tmp_path, "sqlite:////abs/app.db") == "sqlite:////abs/app.db"


def test_postgres_url_spellings() -> None:
    for url in ("postgres://u:pw@h:5432/db", "postgresql://u:pw@h:5432/db"):
        assert parse(url).drivername == "postgresql+psycopg"
    assert parse("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "is not a database URL"),
        ("mysql+nosuchdriver://u@h/db", "cannot use the database"),
        ("sqlite:////no/such/folder/app.sqlite3", "cannot open the application database"),
        (
            "postgresql://kpiboard:secret@127.0.0.1:1/nothing",
            "cannot open the application database",
        ),
    ],
)
def test_unopenable_urls(url: str, message: str) -> None:
    with pytest.raises(DatabaseUnavailable, match=message) as exc:
        AppStore.open(url)
    assert exc.value.hint
    assert "secret" not in str(exc.value)


def test_database_from_a_newer_kpiboard(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    AppStore.open(url).close()
    engine = create_engine(parse(url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": "9999"})
    engine.dispose()
    with pytest.raises(DatabaseUnavailable, match="schema this kpiboard does not know") as exc:
        AppStore.open(url)
    assert "upgrade kpiboard" in (exc.value.hint or "")


def _at_0001_with(url: str, usernames: list[str], attempts: list[str] = ()) -> None:  # type: ignore[assignment]
    """A database as kpiboard left it before usernames ignored case."""
    engine = make_engine(url)
    migrate.upgrade(engine, "0001")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for name in usernames:
            conn.execute(
                UserRow.__table__.insert().values(
                    username=name,
                    display_name=name,
                    role="admin",
                    password_hash="x",
                    active=True,
                    created_at=at,
                )
            )
        for name in attempts:
            conn.execute(
                LoginAttemptRow.__table__.insert().values(
                    at=at, username=name, ip=None, outcome="failure"
                )
            )
    engine.dispose()


def test_upgrade_stops_on_usernames_that_differ_only_in_case(empty_url: str) -> None:
    _at_0001_with(empty_url, ["admin", "Admin", "bob", "carol", "BOB", "Bob"])
    with pytest.raises(UsernamesDifferOnlyInCase) as exc:
        AppStore.open(empty_url)
    assert str(exc.value).startswith(
        "the application database has usernames that differ only in case, which are now one account: "
        "'Admin' and 'admin'; 'BOB' and 'Bob' and 'bob' (rename all but one of each with "
        "`kpiboard users rename PROJECT OLD NEW`"
    )
    engine = make_engine(empty_url)
    assert migrate.current(engine) == "0001"  # nothing changed
    engine.dispose()
    store = AppStore(make_engine(empty_url))  # as `kpiboard users rename` uses it
    store.rename_user("Admin", "admin2")
    store.rename_user("BOB", "robert")
    with pytest.raises(UsernamesDifferOnlyInCase, match="one account: 'Bob' and 'bob' \\(rename"):
        AppStore.open(empty_url)
    store.rename_user("Bob", "bobby")
    store.close()
    store = AppStore.open(empty_url)
    assert sorted(u.username for u in store.users()) == [
        "admin",
        "admin2",
        "bob",
        "bobby",
        "carol",
        "robert",
    ]
    assert [e.detail for e in store.audit_log(event="user_renamed")][-1] == {
        "from": "Admin",
        "to": "admin2",
    }
    store.close()


def test_upgrade_keys_earlier_sign_in_attempts_by_the_lower_cased_name(empty_url: str) -> None:
    _at_0001_with(empty_url, ["alice"], ["Alice", "ALICE", "alice", "Ünknown"])
    AppStore.open(empty_url).close()
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        names = sorted(conn.execute(text("SELECT username FROM login_attempts")).scalars())
    engine.dispose()
    assert names == ["alice", "alice", "alice", "Ünknown"]  # only ASCII letters are folded


def test_the_database_itself_refuses_a_username_differing_only_in_case(
    store: AppStore, db_url: str
) -> None:
    store.add_user("admin", PASSWORD, Role.ADMIN)
    engine = make_engine(db_url)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            UserRow.__table__.insert().values(
                username="ADMIN",
                display_name="x",
                role="admin",
                password_hash="x",
                active=True,
                created_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )
    engine.dispose()


HOUSEKEEPING_INDEXES = {
    "ix_login_attempts_at": ("login_attempts", ["at"]),
    "ix_sessions_expires_at": ("sessions", ["expires_at"]),
    "ix_sessions_ended_at": ("sessions", ["ended_at"]),
}


def _housekeeping_indexes(engine: Engine) -> dict[str, tuple[str, list[str]]]:
    found = {}
    for table in ("login_attempts", "sessions"):
        for index in inspect(engine).get_indexes(table):
            if index["name"] in HOUSEKEEPING_INDEXES:
                found[str(index["name"])] = (table, list(index["column_names"]))
    return found


def test_0003_adds_the_housekeeping_indexes_to_a_database_in_use(empty_url: str) -> None:
    _at_0001_with(empty_url, ["alice"], ["alice"])
    engine = make_engine(empty_url)
    migrate.upgrade(engine, "0002")
    assert _housekeeping_indexes(engine) == {}
    migrate.upgrade(engine, "0003")
    assert migrate.current(engine) == "0003"
    assert _housekeeping_indexes(engine) == HOUSEKEEPING_INDEXES
    with engine.connect() as conn:  # the rows are kept
        assert conn.execute(text("SELECT count(*) FROM login_attempts")).scalar_one() == 1
    migrate.downgrade(engine, "0002")
    assert _housekeeping_indexes(engine) == {}
    engine.dispose()


def _publications_at_0003(url: str) -> Engine:
    """A database at 0003 holding one pack, published before packs pinned their vintage."""
    _at_0001_with(url, ["alice"])
    engine = make_engine(url)
    migrate.upgrade(engine, "0003")
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO publications (org, month, published_at, published_by_id, "
                "data_version, scorecard_json, commentary_json, pack_html, changes_json, "
                "content_hash) VALUES ('MPS', '2009-08', :at, 1, 'v', '{}', '{}', '<p>', "
                "'{}', 'h')"
            ),
            {"at": at},
        )
    return engine


def test_0004_pins_packs_to_a_vintage_and_keeps_older_packs_unpinned(empty_url: str) -> None:
    engine = _publications_at_0003(empty_url)
    migrate.upgrade(engine, "0004")
    assert migrate.current(engine) == "0004"
    engine.dispose()
    store = AppStore.open(empty_url)
    pub = store.publication("MPS", "2009-08")
    assert pub is not None and pub.vintage is None  # published before vintages were pinned
    store.close()
    engine = make_engine(empty_url)
    migrate.downgrade(engine, "0003")
    assert "vintage" not in {c["name"] for c in inspect(engine).get_columns("publications")}
    with pytest.raises((IntegrityError, ProgrammingError)), engine.begin() as conn:  # append-only
        conn.execute(text("DELETE FROM publications"))
    engine.dispose()
