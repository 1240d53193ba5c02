"""Entered figures: the four-eyes flow (draft, submitted, approved or returned), who may take
each step, conflicts between two people editing one figure, and every step kept and audited."""

from __future__ import annotations

import math

import pytest
from appdb_helpers import PASSWORD
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from kpiboard.web.db import (
    AppStore,
    EntryConflict,
    EntryRefused,
    EntryState,
    Figures,
    FourEyes,
    NotAnOwner,
    Role,
    User,
)
from kpiboard.web.db.engine import parse

KEY = ("MPS", "savings", "2009-08")
ENTER = ["finance", "role:editor"]
APPROVE = ["role:approver"]


@pytest.fixture
def finance(store: AppStore) -> User:
    """A named owner who is only a viewer: the measure's entry: names them."""
    return store.add_user("finance", PASSWORD, Role.VIEWER)


def test_the_whole_flow_keeps_every_step(
    store: AppStore, people: dict[Role, User], finance: User
) -> None:
    boss = people[Role.APPROVER]
    one = store.save_entry(
        *KEY, Figures(value=4.2, note="Q1 savings"), finance, base=0, enterers=ENTER
    )
    assert (one.number, one.state, one.author) == (1, EntryState.DRAFT, "finance")
    two = store.save_entry(*KEY, Figures(value=4.5), finance, base=1, enterers=ENTER)
    three = store.submit_entry(*KEY, finance, base=2, enterers=ENTER)
    assert three.state is EntryState.SUBMITTED and three.figures == two.figures
    assert store.approved_entries() == []  # nothing reaches the board before approval
    four = store.return_entry(*KEY, boss, base=3, approvers=APPROVE, reason="Q1 or Aug?")
    assert (four.state, four.reason) == (EntryState.RETURNED, "Q1 or Aug?")
    store.save_entry(*KEY, Figures(value=1.4), finance, base=4, enterers=ENTER)
    store.submit_entry(*KEY, finance, base=5, enterers=ENTER)
    seven = store.approve_entry(*KEY, boss, base=6, approvers=APPROVE)
    assert seven.state is EntryState.APPROVED and seven.figures.value == 1.4
    assert store.approved_entries() == [seven]
    history = store.entry_history(*KEY)
    assert [(r.number, r.state.value) for r in history] == [
        (7, "approved"), (6, "submitted"), (5, "draft"), (4, "returned"),
        (3, "submitted"), (2, "draft"), (1, "draft"),
    ]  # fmt: skip
    # a revision of an approved figure leaves the approved one standing until it is approved
    store.save_entry(
        *KEY, Figures(value=1.5), finance, base=7, enterers=ENTER, reason="late invoice"
    )
    assert store.approved_entries() == [seven]
    assert store.latest_entries("MPS")[0].state is EntryState.DRAFT
    events = [e.event for e in store.audit_log(limit=20) if e.event.startswith("entry_")]
    assert events == [
        "entry_draft", "entry_approved", "entry_submitted", "entry_draft", "entry_returned",
        "entry_submitted", "entry_draft", "entry_draft",
    ]  # fmt: skip
    [latest] = store.audit_log(limit=1)
    assert latest.detail["old"] == {"value": 1.4} and latest.detail["new"] == {"value": 1.5}
    assert latest.detail["reason"] == "late invoice"


def test_an_approver_never_approves_a_figure_they_entered_or_changed(
    store: AppStore, people: dict[Role, User], finance: User
) -> None:
    boss, other = people[Role.APPROVER], people[Role.ADMIN]
    store.save_entry(*KEY, Figures(value=1.0), finance, base=0, enterers=ENTER)
    store.save_entry(*KEY, Figures(value=2.0), boss, base=1, enterers=ENTER)  # editor or above
    store.submit_entry(*KEY, finance, base=2, enterers=ENTER)
    with pytest.raises(FourEyes, match="may not approve"):
        store.approve_entry(*KEY, boss, base=3, approvers=APPROVE)
    assert store.audit_log(limit=1)[0].event == "permission_denied"
    assert store.approve_entry(*KEY, other, base=3, approvers=APPROVE).author == "admin"
    # the next round: the previous approver may enter it, and the first may now approve it
    store.save_entry(*KEY, Figures(value=3.0), other, base=4, enterers=ENTER)
    store.submit_entry(*KEY, other, base=5, enterers=ENTER)
    assert store.approve_entry(*KEY, boss, base=6, approvers=APPROVE).figures.value == 3.0


def test_only_those_the_measure_names_may_enter_or_approve(
    store: AppStore, people: dict[Role, User], finance: User
) -> None:
    viewer, editor = people[Role.VIEWER], people[Role.EDITOR]
    with pytest.raises(NotAnOwner, match="viewer may not enter figures for savings") as info:
        store.save_entry(*KEY, Figures(value=1.0), viewer, base=0, enterers=ENTER)
    assert "finance, role:editor" in (info.value.hint or "")
    denied = store.audit_log(limit=1)[0]
    assert (denied.event, denied.username, denied.detail["action"]) == (
        "permission_denied", "viewer", "draft_entry"
    )  # fmt: skip
    store.save_entry(*KEY, Figures(value=1.0), editor, base=0, enterers=ENTER)
    store.submit_entry(*KEY, editor, base=1, enterers=ENTER)
    with pytest.raises(NotAnOwner, match="may not approve figures"):
        store.approve_entry(*KEY, finance, base=2, approvers=APPROVE)
    # a deactivated approver is no approver
    store.deactivate("approver")
    with pytest.raises(NotAnOwner):
        store.approve_entry(*KEY, people[Role.APPROVER], base=2, approvers=APPROVE)
    assert [r.number for r in store.entry_history(*KEY)] == [2, 1]


def test_the_second_of_two_editors_gets_a_conflict_with_the_current_figure(
    store: AppStore, people: dict[Role, User], finance: User
) -> None:
    editor = people[Role.EDITOR]
    store.save_entry(*KEY, Figures(value=1.0), finance, base=0, enterers=ENTER)
    # both opened step 1; finance saves first
    store.save_entry(*KEY, Figures(value=2.0), finance, base=1, enterers=ENTER)
    with pytest.raises(EntryConflict, match="it is now at step 2, by finance") as info:
        store.save_entry(*KEY, Figures(value=9.0), editor, base=1, enterers=ENTER)
    assert info.value.current.figures.value == 2.0  # type: ignore[attr-defined]
    with pytest.raises(EntryConflict):  # a new entry where one exists
        store.save_entry(*KEY, Figures(value=9.0), editor, base=0, enterers=ENTER)
    assert [r.figures.value for r in store.entry_history(*KEY)] == [2.0, 1.0]


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ([], "submit"),  # nothing to submit
        (["save"], "approve"),  # a draft is not approved
        (["save"], "return"),
        (["save", "submit"], "save"),  # a submitted figure waits for an approver
        (["save", "submit"], "submit"),
    ],
)
def test_a_step_that_does_not_follow_is_refused(
    store: AppStore, people: dict[Role, User], steps: list[str], refused: str
) -> None:
    editor, boss = people[Role.EDITOR], people[Role.APPROVER]
    do = {
        "save": lambda b: store.save_entry(
            *KEY, Figures(value=1.0), editor, base=b, enterers=ENTER
        ),
        "submit": lambda b: store.submit_entry(*KEY, editor, base=b, enterers=ENTER),
        "approve": lambda b: store.approve_entry(*KEY, boss, base=b, approvers=APPROVE),
        "return": lambda b: store.return_entry(*KEY, boss, base=b, approvers=APPROVE, reason="x"),
    }
    for n, step in enumerate(steps):
        do[step](n)
    with pytest.raises(EntryRefused, match="cannot be"):
        do[refused](len(steps))
    assert len(store.entry_history(*KEY)) == len(steps)


def test_what_is_never_a_figure_is_refused(store: AppStore, people: dict[Role, User]) -> None:
    editor = people[Role.EDITOR]
    for bad in (Figures(value=math.nan), Figures(numerator=math.inf), Figures(note="x" * 2001)):
        with pytest.raises(EntryRefused):
            store.save_entry(*KEY, bad, editor, base=0, enterers=ENTER)
    store.save_entry(*KEY, Figures(value=1.0), editor, base=0, enterers=ENTER)
    store.submit_entry(*KEY, editor, base=1, enterers=ENTER)
    with pytest.raises(EntryRefused, match="say why"):
        store.return_entry(*KEY, people[Role.APPROVER], base=2, approvers=APPROVE, reason="  ")
    assert store.entry_history(*KEY)[0].state is EntryState.SUBMITTED


def test_the_database_refuses_to_change_or_delete_a_step(
    store: AppStore, people: dict[Role, User], db_url: str
) -> None:
    store.save_entry(*KEY, Figures(value=1.0), people[Role.EDITOR], base=0, enterers=ENTER)
    engine = create_engine(parse(db_url))
    for statement in ("UPDATE entry_revisions SET value = 2", "DELETE FROM entry_revisions"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    engine.dispose()
    assert store.entry_history(*KEY)[0].figures.value == 1.0
