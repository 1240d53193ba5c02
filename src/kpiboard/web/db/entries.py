"""Figures entered by their owners, approved by someone else (docs/ENTRY.md): every step of an
entry is a numbered, append-only revision, written with its audit event in one transaction.

The store knows no catalogue: each step is given who the measure's ``entry:`` allows (its
``enter`` or ``approve`` list: usernames, and ``role:<name>`` for every active user with that
role or a higher one), and checks the person against the database, not the possibly stale
``User`` passed in. Whether a figure is in range for its kind, or inside its process limits, is
the caller's check (it knows the measure); the store refuses only what is never a figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from kpiboard.web.db.entities import EntryRevision, EntryState, Figures, Role, User
from kpiboard.web.db.errors import (
    MAX_ENTRY_NOTE_CHARS,
    EntryConflict,
    EntryRefused,
    FourEyes,
    NotAnOwner,
    PermissionDenied,
)
from kpiboard.web.db.models import EntryRevisionRow, UserRow
from kpiboard.web.db.records import NUMBERING_RETRIES, Records
from kpiboard.web.db.rules import MEASURE_MAX, ORG_MAX, check_key, check_month, username_key

ROLE_PREFIX = "role:"
# the states a step may start from
_FROM: dict[EntryState, tuple[EntryState | None, ...]] = {
    EntryState.DRAFT: (None, EntryState.DRAFT, EntryState.RETURNED, EntryState.APPROVED),
    EntryState.SUBMITTED: (EntryState.DRAFT,),
    EntryState.APPROVED: (EntryState.SUBMITTED,),
    EntryState.RETURNED: (EntryState.SUBMITTED,),
}
_ACTION = {
    EntryState.DRAFT: "enter figures",
    EntryState.SUBMITTED: "submit figures",
    EntryState.APPROVED: "approve figures",
    EntryState.RETURNED: "return figures",
}


def allowed(names: Sequence[str], username: str, role: Role, active: bool = True) -> bool:
    """Whether a person is among ``names``: by username (case ignored), or by a
    ``role:<name>`` their role is at least.

    >>> allowed(["jsmith", "role:approver"], "JSmith", Role.VIEWER)
    True
    >>> allowed(["role:approver"], "ann", Role.ADMIN), allowed(["role:approver"], "ed", Role.EDITOR)
    (True, False)
    """
    if not active:
        return False
    for name in names:
        if name.startswith(ROLE_PREFIX):
            if role.at_least(Role(name[len(ROLE_PREFIX) :])):
                return True
        elif username_key(name) == username_key(username):
            return True
    return False


def _check_figures(figures: Figures) -> None:
    for field in ("numerator", "denominator", "value", "sample_size"):
        got = getattr(figures, field)
        if got is not None and (isinstance(got, bool) or not math.isfinite(got)):
            raise EntryRefused(f"{field} must be a finite number, not {got!r}")
    if figures.note is not None and len(figures.note) > MAX_ENTRY_NOTE_CHARS:
        raise EntryRefused(
            f"the note is {len(figures.note):,} characters; the limit is {MAX_ENTRY_NOTE_CHARS:,}"
        )


def _entry_of(row: EntryRevisionRow, author: str) -> EntryRevision:
    return EntryRevision(
        id=row.id,
        org=row.org,
        measure=row.measure,
        month=row.month,
        number=row.number,
        state=EntryState(row.state),
        figures=Figures(
            numerator=row.numerator,
            denominator=row.denominator,
            value=row.value,
            sample_size=row.sample_size,
            provisional=row.provisional,
            note=row.note,
        ),
        author=author,
        created_at=row.created_at,
        reason=row.reason,
    )


class Entries(Records):
    """Entered figures and their steps (part of AppStore)."""

    def save_entry(
        self,
        org: str,
        measure: str,
        month: str,
        figures: Figures,
        user: User,
        *,
        base: int,
        enterers: Sequence[str],
        reason: str | None = None,
        ip: str | None = None,
    ) -> EntryRevision:
        """Save a draft: a new figure, a change to a draft or a returned one, or a revision of
        an approved one (the approved figure stands until the revision is approved).
        ``base`` is the step the person started from (0 for a new entry): if the entry has
        moved on since, EntryConflict with the current step, never a silent overwrite."""
        _check_figures(figures)
        return self._step(
            org, measure, month, EntryState.DRAFT, user, base, enterers, figures, reason, ip
        )

    def submit_entry(
        self,
        org: str,
        measure: str,
        month: str,
        user: User,
        *,
        base: int,
        enterers: Sequence[str],
        ip: str | None = None,
    ) -> EntryRevision:
        """Send the draft to the approvers; it can no longer change until they act."""
        return self._step(
            org, measure, month, EntryState.SUBMITTED, user, base, enterers, None, None, ip
        )

    def approve_entry(
        self,
        org: str,
        measure: str,
        month: str,
        user: User,
        *,
        base: int,
        approvers: Sequence[str],
        ip: str | None = None,
    ) -> EntryRevision:
        """Approve the submitted figure: only by an approver who took no step in entering or
        changing it since it was last approved (four eyes)."""
        return self._step(
            org, measure, month, EntryState.APPROVED, user, base, approvers, None, None, ip
        )

    def return_entry(
        self,
        org: str,
        measure: str,
        month: str,
        user: User,
        *,
        base: int,
        approvers: Sequence[str],
        reason: str,
        ip: str | None = None,
    ) -> EntryRevision:
        """Send the submitted figure back to its owners with a reason."""
        if not reason.strip():
            raise EntryRefused("say why the figure is returned", hint="the owner reads it")
        return self._step(
            org, measure, month, EntryState.RETURNED, user, base, approvers, None, reason, ip
        )

    def require_enterer(
        self,
        org: str,
        measure: str,
        month: str,
        user: User,
        enterers: Sequence[str],
        ip: str | None = None,
    ) -> None:
        """Refuse (NotAnOwner, audited) someone the measure does not name, before their
        figures are even checked: a stranger learns nothing from the checks' answers."""
        with self._read() as s:
            try:
                self._owner(s, user, enterers, EntryState.DRAFT, measure)
                return
            except PermissionDenied as exc:
                denied = exc
        raise self._refuse(
            denied,
            "permission_denied",
            user.username,
            {"action": "draft_entry", "org": org, "measure": measure, "month": month},
            ip,
        )

    # --- reading ----------------------------------------------------------------------------

    def entry_history(self, org: str, measure: str, month: str) -> list[EntryRevision]:
        """Every step of one entry, newest first."""
        return self._entries(
            EntryRevisionRow.org == org,
            EntryRevisionRow.measure == measure,
            EntryRevisionRow.month == month,
        )

    def latest_entries(self, org: str | None = None) -> list[EntryRevision]:
        """Each entry's latest step (its state), of one organisation or all, by month and
        measure."""
        where = () if org is None else (EntryRevisionRow.org == org,)
        latest: dict[tuple[str, str, str], EntryRevision] = {}
        for rev in self._entries(*where):
            latest.setdefault((rev.org, rev.measure, rev.month), rev)
        return sorted(latest.values(), key=lambda r: (r.org, r.month, r.measure))

    def approved_entries(self) -> list[EntryRevision]:
        """The figures the board sees: each entry's latest approved step (a revision waiting
        for approval leaves the approved figure standing)."""
        latest: dict[tuple[str, str, str], EntryRevision] = {}
        for rev in self._entries(EntryRevisionRow.state == EntryState.APPROVED.value):
            latest.setdefault((rev.org, rev.measure, rev.month), rev)
        return sorted(latest.values(), key=lambda r: (r.org, r.measure, r.month))

    def _entries(self, *where: object) -> list[EntryRevision]:
        with self._read() as s:
            rows = s.execute(
                select(EntryRevisionRow, UserRow.username)
                .join(UserRow, EntryRevisionRow.author_id == UserRow.id)
                .where(*where)  # type: ignore[arg-type]
                .order_by(
                    EntryRevisionRow.org,
                    EntryRevisionRow.measure,
                    EntryRevisionRow.month,
                    EntryRevisionRow.number.desc(),
                )
            )
            return [_entry_of(r, name) for r, name in rows]

    # --- the one way a step is written --------------------------------------------------------

    def _step(
        self,
        org: str,
        measure: str,
        month: str,
        state: EntryState,
        user: User,
        base: int,
        names: Sequence[str],
        figures: Figures | None,
        reason: str | None,
        ip: str | None,
    ) -> EntryRevision:
        check_key("organisation", org, ORG_MAX)
        check_key("measure", measure, MEASURE_MAX)
        check_month(month)
        if reason is not None and len(reason) > MAX_ENTRY_NOTE_CHARS:
            raise EntryRefused(f"the reason is longer than {MAX_ENTRY_NOTE_CHARS:,} characters")
        detail: dict[str, object] = {"org": org, "measure": measure, "month": month}
        for attempt in range(NUMBERING_RETRIES):
            try:
                with self._write() as s:
                    try:  # both refusals come before anything is written
                        row = self._owner(s, user, names, state, measure)
                        return self._write_step(
                            s, row, org, measure, month, state, base, figures, reason, ip
                        )
                    except PermissionDenied as exc:  # not an owner, or four eyes
                        denied = exc
                raise self._refuse(
                    denied,
                    "permission_denied",
                    user.username,
                    {"action": f"{state.value}_entry", **detail},
                    ip,
                )
            except IntegrityError:
                if attempt == NUMBERING_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _owner(
        self, s: DbSession, user: User, names: Sequence[str], state: EntryState, measure: str
    ) -> UserRow:
        row = s.get(UserRow, user.id)
        if row is None or not allowed(names, row.username, Role(row.role), row.active):
            raise NotAnOwner(user.username, _ACTION[state], measure, list(names))
        return row

    def _write_step(
        self,
        s: DbSession,
        author: UserRow,
        org: str,
        measure: str,
        month: str,
        state: EntryState,
        base: int,
        figures: Figures | None,
        reason: str | None,
        ip: str | None,
    ) -> EntryRevision:
        self._lock_numbering(s, org, measure, month)
        steps = s.execute(
            select(EntryRevisionRow, UserRow.username)
            .join(UserRow, EntryRevisionRow.author_id == UserRow.id)
            .where(
                EntryRevisionRow.org == org,
                EntryRevisionRow.measure == measure,
                EntryRevisionRow.month == month,
            )
            .order_by(EntryRevisionRow.number.desc())
        ).all()
        latest = _entry_of(*steps[0]) if steps else None
        if (latest.number if latest else 0) != base:
            raise EntryConflict(latest, base)
        if (latest.state if latest else None) not in _FROM[state]:
            now = latest.state.value if latest else "not entered"
            raise EntryRefused(
                f"a figure that is {now} cannot be {state.value}",
                hint="submitted figures wait for an approver; only submitted ones are approved "
                "or returned, and only drafts are submitted",
            )
        if state is EntryState.APPROVED:
            self._four_eyes(steps, author, measure)
        if figures is None:  # a step that moves the figures on as they are
            assert latest is not None
            figures = latest.figures
        number = (s.scalar(select(func.max(EntryRevisionRow.number)).where(
            EntryRevisionRow.org == org,
            EntryRevisionRow.measure == measure,
            EntryRevisionRow.month == month,
        )) or 0) + 1  # fmt: skip
        row = EntryRevisionRow(
            org=org,
            measure=measure,
            month=month,
            number=number,
            state=state.value,
            numerator=figures.numerator,
            denominator=figures.denominator,
            value=figures.value,
            sample_size=figures.sample_size,
            provisional=figures.provisional,
            note=figures.note,
            reason=reason,
            author_id=author.id,
            created_at=self.now(),
        )
        s.add(row)
        s.flush()
        detail: dict[str, object] = {
            "org": org,
            "measure": measure,
            "month": month,
            "step": number,
            "state": state.value,
        }
        if state is EntryState.DRAFT:
            before = latest.figures if latest else None
            detail["old"] = None if before is None else _shown(before)
            detail["new"] = _shown(figures)
        if reason is not None:
            detail["reason"] = reason
        self._audit(s, f"entry_{state.value}", author.username, detail, ip)
        return _entry_of(row, author.username)

    @staticmethod
    def _four_eyes(
        steps: Sequence[tuple[EntryRevisionRow, str]], approver: UserRow, measure: str
    ) -> None:
        """Refuse an approver who saved or submitted the figure in this round: since it was
        last approved (or first entered). Returning it does not count: that changes nothing."""
        entering = (EntryState.DRAFT.value, EntryState.SUBMITTED.value)
        for row, username in steps:
            if row.state == EntryState.APPROVED.value:
                break
            if row.author_id == approver.id and row.state in entering:
                raise FourEyes(username, measure)

    def save_entries(
        self,
        org: str,
        month: str,
        drafts: Sequence[Draft],
        user: User,
        *,
        ip: str | None = None,
    ) -> list[EntryRevision]:
        """Save several drafts of one organisation and month in ONE transaction (a bulk
        upload): each with :meth:`save_entry`'s rules — its measure's enterers, its ``base``,
        the states a draft follows — and audit event; if any is refused, none is saved."""
        check_key("organisation", org, ORG_MAX)
        check_month(month)
        for d in drafts:
            check_key("measure", d.measure, MEASURE_MAX)
            _check_figures(d.figures)
            if d.reason is not None and len(d.reason) > MAX_ENTRY_NOTE_CHARS:
                raise EntryRefused(f"the reason is longer than {MAX_ENTRY_NOTE_CHARS:,} characters")
        for attempt in range(NUMBERING_RETRIES):
            measure = ""
            try:
                with self._write() as s:  # any refusal below rolls back every draft
                    saved = []
                    for d in drafts:
                        measure = d.measure
                        row = self._owner(s, user, d.enterers, EntryState.DRAFT, d.measure)
                        saved.append(
                            self._write_step(
                                s,
                                row,
                                org,
                                d.measure,
                                month,
                                EntryState.DRAFT,
                                d.base,
                                d.figures,
                                d.reason,
                                ip,
                            )
                        )
                    return saved
            except PermissionDenied as exc:
                detail: dict[str, object] = {
                    "action": "draft_entry",
                    "org": org,
                    "measure": measure,
                    "month": month,
                }
                raise self._refuse(exc, "permission_denied", user.username, detail, ip) from None
            except IntegrityError:
                if attempt == NUMBERING_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")


@dataclass(frozen=True)
class Draft:
    """One figure of :meth:`Entries.save_entries`: its measure, figures, the step it follows
    and who its measure's ``entry:`` lets enter it."""

    measure: str
    figures: Figures
    base: int
    enterers: Sequence[str]
    reason: str | None = None


def _shown(f: Figures) -> dict[str, object]:
    """The figures as the audit log keeps them: only those given."""
    out: dict[str, object] = {
        k: v
        for k, v in (
            ("numerator", f.numerator),
            ("denominator", f.denominator),
            ("value", f.value),
            ("sample_size", f.sample_size),
        )
        if v is not None
    }
    if f.provisional:
        out["provisional"] = True
    return out
