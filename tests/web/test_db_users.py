"""Users: adding, roles, passwords, deactivation, and their audit events."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
from appdb_helpers import FAST_HASHER, PASSWORD, START
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from kpiboard.errors import KpiboardError
from kpiboard.web.db import (
    AppStore,
    BadPassword,
    BadUsername,
    LastAdmin,
    LoginFailed,
    PermissionDenied,
    Role,
    UnknownUser,
    UserExists,
)
from kpiboard.web.db.engine import parse


@pytest.mark.parametrize(
    ("role", "other", "expected"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.EDITOR, False),
        (Role.EDITOR, Role.VIEWER, True),
        (Role.EDITOR, Role.APPROVER, False),
        (Role.APPROVER, Role.EDITOR, True),
        (Role.APPROVER, Role.ADMIN, False),
        (Role.ADMIN, Role.APPROVER, True),
        (Role.ADMIN, Role.ADMIN, True),
    ],
)
def test_roles_are_ordered(role: Role, other: Role, expected: bool) -> None:
    assert role.at_least(other) is expected


def test_add_user_and_read_back(store: AppStore) -> None:
    alice = store.add_user("alice", PASSWORD, Role.EDITOR, "Alice Smith")
    assert (alice.username, alice.display_name, alice.role, alice.active) == (
        "alice",
        "Alice Smith",
        Role.EDITOR,
        True,
    )
    assert alice.created_at == START and alice.created_at.tzinfo is not None
    assert store.user("alice") == alice
    assert store.user("nobody") is None
    bob = store.add_user("bob", PASSWORD, Role.VIEWER)
    assert bob.display_name == "bob"  # defaults to the username
    assert [u.username for u in store.users()] == ["alice", "bob"]


def test_duplicate_username_refused(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    with pytest.raises(UserExists, match="'alice' already exists") as exc:
        store.add_user("alice", "another long password", Role.ADMIN)
    assert exc.value.hint
    assert store.user("alice").role is Role.EDITOR  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "username", ["", "a b", "x" * 65, "bob'; DROP TABLE users;--", "é", "a/b", "tab\t"]
)
def test_bad_usernames(store: AppStore, username: str) -> None:
    with pytest.raises(BadUsername) as exc:
        store.add_user(username, PASSWORD, Role.VIEWER)
    assert "1 to 64 letters, digits, dots, underscores or hyphens" in (exc.value.hint or "")
    assert store.users() == []


def test_username_edge_cases_accepted(store: AppStore) -> None:
    for name in ("x" * 64, "a", "j.o_n-e.s9"):
        assert store.add_user(name, PASSWORD, Role.VIEWER).username == name


@pytest.mark.parametrize(
    ("username", "password", "reason"),
    [
        ("alice", "elevenchars", "it has 11 characters; at least 12 are needed"),
        ("alice", "", "it has 0 characters"),
        ("alexander.hamilton", "Alexander.Hamilton", "it is the username"),
        ("alice", "x" * 1025, "at most 1,024"),
    ],
)
def test_password_policy(store: AppStore, username: str, password: str, reason: str) -> None:
    with pytest.raises(BadPassword, match=reason) as exc:
        store.add_user(username, password, Role.VIEWER)
    assert password not in str(exc.value) or password == ""
    assert store.user(username) is None


def test_password_of_exactly_twelve_characters_accepted(store: AppStore) -> None:
    store.add_user("alice", "twelve chars", Role.VIEWER)
    assert store.authenticate("alice", "twelve chars", None).username == "alice"


def test_passwords_are_stored_as_argon2id_hashes(store: AppStore, db_url: str) -> None:
    store.add_user("alice", PASSWORD, Role.VIEWER)
    engine = create_engine(parse(db_url))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE username = :u"), {"u": "alice"}
        ).scalar_one()
    engine.dispose()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_set_role_audited(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.VIEWER)
    assert store.set_role("alice", Role.APPROVER).role is Role.APPROVER
    assert store.user("alice").role is Role.APPROVER  # type: ignore[union-attr]
    [event] = store.audit_log(event="role_changed")
    assert event.detail == {"username": "alice", "from": "viewer", "to": "approver"}
    assert event.username is None  # the command line


def test_set_password(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.VIEWER)
    store.set_password("alice", "a brand new passphrase")
    assert store.authenticate("alice", "a brand new passphrase", None).username == "alice"
    with pytest.raises(LoginFailed):
        store.authenticate("alice", PASSWORD, None)
    [event] = store.audit_log(event="password_changed")
    assert event.detail == {"username": "alice", "sessions_ended": 0}


def test_no_secret_in_the_audit_log(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.VIEWER)
    store.set_password("alice", "a brand new passphrase")
    store.authenticate("alice", "a brand new passphrase", "10.0.0.1")
    with pytest.raises(LoginFailed):
        store.authenticate("alice", "wrong but long password", "10.0.0.1")
    text_of_log = json.dumps([e.detail for e in store.audit_log()])
    for secret in (PASSWORD, "a brand new passphrase", "wrong but long password", "argon2"):
        assert secret not in text_of_log


def test_deactivated_user_cannot_sign_in(store: AppStore) -> None:
    store.add_user("alice", PASSWORD, Role.EDITOR)
    user = store.deactivate("alice")
    assert user.active is False
    with pytest.raises(LoginFailed):
        store.authenticate("alice", PASSWORD, None)
    assert [e.detail["reason"] for e in store.audit_log(event="sign_in_failed")] == ["deactivated"]
    assert store.audit_log(event="user_deactivated")[0].detail == {
        "username": "alice",
        "sessions_ended": 0,
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.set_role("ghost", Role.ADMIN),
        lambda s: s.set_password("ghost", PASSWORD),
        lambda s: s.deactivate("ghost"),
    ],
)
def test_unknown_user(store: AppStore, call: object) -> None:
    with pytest.raises(UnknownUser, match="no user 'ghost'"):
        call(store)  # type: ignore[operator]


def test_only_admins_manage_users(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ed", PASSWORD, Role.EDITOR)
    store.add_user("carol", PASSWORD, Role.APPROVER, actor="root")
    assert store.audit_log(event="user_added")[0].username == "root"
    with pytest.raises(PermissionDenied, match="ed may not change roles"):
        store.set_role("ed", Role.ADMIN, actor="ed")
    with pytest.raises(PermissionDenied):
        store.add_user("mallory", PASSWORD, Role.ADMIN, actor="ed")
    with pytest.raises(PermissionDenied):
        store.set_password("carol", PASSWORD + "!", actor="ed")
    with pytest.raises(PermissionDenied):
        store.deactivate("root", actor="nobody")
    store.set_password("ed", "ed's own new password", actor="ed")  # your own password is yours
    assert store.user("ed").role is Role.EDITOR  # type: ignore[union-attr]
    store.set_role("carol", Role.ADMIN, actor="root")  # so that root is not the last admin
    store.deactivate("root", actor="root")
    with pytest.raises(PermissionDenied):  # a deactivated admin is no longer an admin
        store.set_role("ed", Role.VIEWER, actor="root")


def test_bad_display_name(store: AppStore) -> None:
    with pytest.raises(KpiboardError, match="display name"):
        store.add_user("alice", PASSWORD, Role.VIEWER, "x" * 201)


HINT = "make another user an admin first (`kpiboard users set-role PROJECT USERNAME admin`)"


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ed", PASSWORD, Role.EDITOR)
    with pytest.raises(
        LastAdmin,
        match="'root' is the last active admin; making them approver would leave "
        "nobody to manage users",
    ) as exc:
        store.set_role("root", Role.APPROVER)
    assert HINT in (exc.value.hint or "")
    with pytest.raises(LastAdmin, match="deactivating them") as exc:
        store.deactivate("root", actor="root")
    assert HINT in (exc.value.hint or "")
    root = store.user("root")
    assert root is not None and (root.role, root.active) == (Role.ADMIN, True)
    assert (
        store.audit_log(event="role_changed") == []
        and store.audit_log(event="user_deactivated") == []
    )
    assert [(e.username, e.detail) for e in store.audit_log(event="last_admin_refused")] == [
        ("root", {"action": "deactivate", "username": "root"}),
        (None, {"action": "set_role", "username": "root", "to": "approver"}),
    ]
    store.set_role("root", Role.ADMIN)  # already an admin: nothing to refuse
    store.set_role("ed", Role.VIEWER)  # others are unaffected
    store.deactivate("ed")


def test_with_another_active_admin_the_change_is_allowed(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ann", PASSWORD, Role.ADMIN)
    store.add_user("old", PASSWORD, Role.ADMIN)
    store.deactivate("old")  # a deactivated admin does not count…
    assert store.set_role("root", Role.EDITOR).role is Role.EDITOR  # …ann remains
    with pytest.raises(LastAdmin):
        store.deactivate("ann")
    with pytest.raises(LastAdmin):
        store.set_role("ann", Role.VIEWER, actor="ann")
    store.set_role("root", Role.ADMIN, actor="ann")
    assert store.deactivate("ann", actor="root").active is False
    assert [u.username for u in store.users() if u.active and u.role is Role.ADMIN] == ["root"]


def test_two_admins_removing_each_other_at_once_leave_one(db_url: str) -> None:
    """Two changes at the same moment, each of which alone is allowed: one waits for the
    other and is then refused, so an admin is always left. Its actor's role is checked in its
    own write transaction, after the other's change: whichever goes second has lost the right
    (demoted, or deactivated), so the refusal is always PermissionDenied."""
    stores = [AppStore.open(db_url, password_hasher=FAST_HASHER) for _ in range(2)]
    stores[0].add_user("ann", PASSWORD, Role.ADMIN)
    stores[0].add_user("bob", PASSWORD, Role.ADMIN)
    start, outcomes = threading.Barrier(2), []
    refusals: list[type[Exception]] = []
    calls = [
        lambda: stores[0].set_role("ann", Role.VIEWER, actor="bob"),
        lambda: stores[1].deactivate("bob", actor="ann"),
    ]

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
            outcomes.append("done")
        except (LastAdmin, PermissionDenied) as exc:
            outcomes.append("refused")
            refusals.append(type(exc))

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["done", "refused"]
    assert refusals == [PermissionDenied]
    assert len([u for u in stores[0].users() if u.active and u.role is Role.ADMIN]) == 1
    for store in stores:
        store.close()


class _SlowHasher(PasswordHasher):
    """argon2 at its cheapest, but hashing takes a while (as a real hash does); ``hashing``
    is set when one begins."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.hashing = threading.Event()

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        self.hashing.set()
        time.sleep(0.5)
        return super().hash(password, salt=salt)


def test_an_admin_demoted_while_adding_a_user_is_refused(db_url: str) -> None:
    """The actor's role is checked in the transaction that adds the user, not before the
    slow password hash: demoted meanwhile, they are refused (and it is audited)."""
    store = AppStore.open(db_url, password_hasher=FAST_HASHER)
    store.add_user("ann", PASSWORD, Role.ADMIN)
    store.add_user("bob", PASSWORD, Role.ADMIN)
    slow = _SlowHasher()
    ann_store = AppStore.open(db_url, password_hasher=slow)
    outcome: list[str] = []

    def add() -> None:
        try:
            ann_store.add_user("mallory", PASSWORD, Role.ADMIN, actor="ann")
            outcome.append("added")
        except PermissionDenied:
            outcome.append("refused")

    thread = threading.Thread(target=add)
    thread.start()
    assert slow.hashing.wait(30)
    store.set_role("ann", Role.VIEWER, actor="bob")
    thread.join(timeout=60)
    assert outcome == ["refused"]
    assert store.user("mallory") is None
    assert store.audit_log(event="permission_denied")[0].detail["action"] == "add_user"
    ann_store.close()
    store.close()


def test_usernames_ignore_case_but_keep_their_spelling(store: AppStore) -> None:
    alice = store.add_user("Alice", PASSWORD, Role.EDITOR)
    assert store.user("alice") == store.user("ALICE") == alice and alice.username == "Alice"
    with pytest.raises(
        UserExists, match="user 'alice' already exists as 'Alice' \\(usernames ignore case\\)"
    ):
        store.add_user("alice", PASSWORD, Role.ADMIN)
    assert store.set_role("ALICE", Role.APPROVER).username == "Alice"
    assert store.audit_log(event="role_changed")[0].detail["username"] == "Alice"
    assert store.authenticate("aLiCe", PASSWORD, None).username == "Alice"
    assert store.audit_log(event="sign_in")[0].username == "Alice"
    store.set_password("alice", "a brand new passphrase", actor="ALICE")  # still their own password
    assert [u.username for u in store.users()] == ["Alice"]


def test_rename_user(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    ed = store.add_user("ed", PASSWORD, Role.EDITOR)
    token, _ = store.create_session(ed, 1)
    assert store.rename_user("ED", "Edward").username == "Edward"
    assert store.session(token).user.username == "Edward"  # type: ignore[union-attr]
    assert store.rename_user("edward", "EDWARD", actor="root").username == "EDWARD"  # only the case
    with pytest.raises(UserExists, match="'ROOT' already exists as 'root'"):
        store.rename_user("edward", "ROOT")
    with pytest.raises(BadUsername):
        store.rename_user("edward", "not valid")
    with pytest.raises(PermissionDenied):
        store.rename_user("root", "r00t", actor="edward")
    assert [e.detail for e in store.audit_log(event="user_renamed")] == [
        {"from": "Edward", "to": "EDWARD"},
        {"from": "ed", "to": "Edward"},
    ]


def test_refused_user_management_is_audited(store: AppStore) -> None:
    """Each refused action raises PermissionDenied, changes nothing, and is audited as
    permission_denied (actor, action, target) in a transaction of its own."""
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ed", PASSWORD, Role.EDITOR)
    store.add_user("carol", PASSWORD, Role.APPROVER)
    before = store.users()
    events_before = len(store.audit_log(limit=1000))
    refused = [
        (
            lambda: store.add_user("mallory", PASSWORD, Role.ADMIN, actor="ed"),
            "ed may not add users",
        ),
        (lambda: store.set_role("ed", Role.ADMIN, actor="ed"), "ed may not change roles"),
        (
            lambda: store.set_password("carol", PASSWORD + "!", actor="ED"),
            "ED may not set other people's passwords",
        ),
        (lambda: store.deactivate("root", actor="carol"), "carol may not deactivate users"),
        (lambda: store.rename_user("root", "r00t", actor="nobody"), "nobody may not rename users"),
    ]
    for call, message in refused:
        with pytest.raises(PermissionDenied, match=message):
            call()
    assert store.users() == before  # nothing changed…
    assert store.authenticate("carol", PASSWORD, None).username == "carol"
    log = store.audit_log(limit=1000)
    assert len(log) == events_before + 5 + 1  # …only the refusals (and that sign-in) were recorded
    assert [
        (e.event, e.username, e.ip, e.detail)
        for e in reversed(store.audit_log(event="permission_denied"))
    ] == [
        (
            "permission_denied",
            "ed",
            None,
            {"action": "add_user", "username": "mallory", "role": "admin"},
        ),
        ("permission_denied", "ed", None, {"action": "set_role", "username": "ed", "to": "admin"}),
        ("permission_denied", "ED", None, {"action": "set_password", "username": "carol"}),
        ("permission_denied", "carol", None, {"action": "deactivate", "username": "root"}),
        (
            "permission_denied",
            "nobody",
            None,
            {"action": "rename_user", "username": "root", "to": "r00t"},
        ),
    ]
    for event in (
        "user_added",
        "role_changed",
        "password_changed",
        "user_deactivated",
        "user_renamed",
    ):
        assert all(
            e.username is None for e in store.audit_log(event=event)
        )  # only the command line's


def test_refused_by_a_deactivated_admin_is_audited(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ann", PASSWORD, Role.ADMIN)
    store.deactivate("ann")
    with pytest.raises(PermissionDenied):
        store.set_role("root", Role.VIEWER, actor="ann")
    [event] = store.audit_log(event="permission_denied")
    assert (event.username, event.detail) == (
        "ann",
        {"action": "set_role", "username": "root", "to": "viewer"},
    )


def test_allowed_user_management_is_not_audited_as_refused(store: AppStore) -> None:
    store.add_user("root", PASSWORD, Role.ADMIN)
    store.add_user("ed", PASSWORD, Role.EDITOR)
    store.set_password("ed", "ed's own new password", actor="ed")  # your own password is yours
    store.add_user("carol", PASSWORD, Role.VIEWER, actor="root")
    store.set_role("carol", Role.EDITOR, actor="ROOT")
    store.rename_user("carol", "caroline")  # the command line
    store.deactivate("caroline", actor="root")
    assert store.audit_log(event="permission_denied") == []
