"""Reminders about entered figures (issue 16 item 5; docs/ENTRY.md, "Due dates and
reminders"): which are due at a given moment, and to whom.

- ``entry_due``: a figure not yet submitted, from ``remind_before`` working days before its
  due date (never before the first working day after the month ends) to the due date. To the
  people who may enter it.
- ``entry_overdue``: the due date has passed and the figure is not approved. Not submitted
  (nothing entered, a draft, or returned): to the people who may enter it; submitted and
  waiting: to the approvers who may approve it (not whoever entered or changed it). Sent in
  the ``OVERDUE_FOR`` working days after the due date, so a sender that was stopped for a
  while catches up, but a new deployment does not mail a year of old months.
- ``entry_returned``: an approver returned the figure with a reason; to the people who may
  enter it (not the approver), within ``RETURNED_FOR`` of the return.

This module only finds them: :func:`kpiboard.web.notify.remind` records each one's key and
puts its deliveries in the outbox, once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from kpiboard.announcements import AnnouncementKind
from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.entry import Entry
from kpiboard.catalogue.schema import Measure
from kpiboard.periods import format_month, parse_month
from kpiboard.web.db import EntryRevision, EntryState, Person
from kpiboard.web.db.entries import allowed
from kpiboard.workdays import due_after_month, due_in_words, working_days_late

ZONE = ZoneInfo("Europe/London")  # the working days are England and Wales's
LOOKBACK_MONTHS = 6  # months ended looked at: a due of up to 60 working days, and the window
OVERDUE_FOR = 20  # working days after the due date in which entry_overdue is still sent
RETURNED_FOR = dt.timedelta(days=28)  # how long after a return entry_returned is still sent
NOT_SUBMITTED = (None, EntryState.DRAFT, EntryState.RETURNED)

K = AnnouncementKind
Authors = Callable[[str, str, str], set[str]]  # (org, measure, month) -> who entered it


def entry_path(org: str, month: str, measure: str) -> str:
    """The figure's entry form on the dashboard."""
    return f"/entries/{quote(org, safe='')}/{month}/{quote(measure, safe='')}"


def month_words(month: str) -> str:
    """A month as people write it.

    >>> month_words("2009-09")
    'September 2009'
    """
    return f"{dt.date.fromisoformat(month + '-01'):%B %Y}"


@dataclass(frozen=True)
class Reminder:
    """One reminder about one figure, to the people who must act on it."""

    kind: AnnouncementKind
    org: str
    org_name: str
    month: str  # YYYY-MM
    measure: str
    section: str | None
    title: str
    due: dt.date
    due_days: int  # the due date is this working day after the month ends
    to: tuple[str, ...]  # usernames
    reason: str | None = None  # why it was returned
    by: str | None = None  # who returned it, or who submitted it
    step: int = 0  # the returned step's id (entry_returned)

    @property
    def path(self) -> str:
        return entry_path(self.org, self.month, self.measure)

    @property
    def when(self) -> str:
        """``due Wednesday 14 October 2009, 10th working day``"""
        return due_in_words(self.due, self.due_days)

    @property
    def text(self) -> str:
        """One sentence for people (the reason, for a return, is given apart)."""
        what = f"{self.title} for {self.org_name}, {month_words(self.month)}"
        match self.kind:
            case K.ENTRY_DUE:
                return f"{what}: {self.when}"
            case K.ENTRY_OVERDUE if self.by is not None:
                return f"{what}: submitted by {self.by}, waiting for approval; overdue, {self.when}"
            case K.ENTRY_OVERDUE:
                return f"{what}: overdue, {self.when}"
            case _:
                return f"{what}: returned by {self.by}; {self.when}"

    def to_dict(self, base: str = "") -> dict[str, Any]:
        """As a webhook receives it; ``base`` is the dashboard's address for ``url``."""
        return {
            "kind": self.kind.value,
            "organisation": self.org,
            "organisation_name": self.org_name,
            "month": self.month,
            "measure": self.measure,
            "section": self.section,
            "title": self.title,
            "text": self.text,
            "due": self.due.isoformat(),
            "url": base + self.path,
            "to": list(self.to),
            "reason": self.reason,
            "by": self.by,
        }


def today_at(now: dt.datetime) -> dt.date:
    """The day ``now`` is in England and Wales."""
    return now.astimezone(ZONE).date()


def remind_from(entry: Entry, month: int) -> dt.date:
    """The day entry_due is sent from: ``remind_before`` working days before the due date,
    and at the earliest the first working day after the month ends.

    >>> e = Entry(enter=["x"], due=10, remind_before=2)
    >>> remind_from(e, 2009 * 12 + 11).isoformat()  # December 2009: due 15 January 2010
    '2010-01-13'
    """
    return due_after_month(month, max(1, entry.due - entry.remind_before))


def _who(people: Sequence[Person], names: list[str], but: set[str]) -> tuple[str, ...]:
    return tuple(
        p.user.username
        for p in people
        if p.user.username.lower() not in but
        and allowed(names, p.user.username, p.user.role, p.user.active)
    )


def _orgs(catalogue: Catalogue, latest: Sequence[EntryRevision]) -> list[str]:
    """The home organisation, then those with any entered figure still in the catalogue."""
    names = catalogue.org_index().names
    home = catalogue.resolve_org(catalogue.project.organisation)
    return [home, *sorted({s.org for s in latest if s.org in names} - {home})]


def _section(catalogue: Catalogue, m: Measure) -> str | None:
    parent = catalogue.measures.get(m.parent) if m.parent else None
    return m.section or (parent.section if parent else None)


@dataclass(frozen=True)
class _Finder:
    catalogue: Catalogue
    people: Sequence[Person]
    latest: Sequence[EntryRevision]
    now: dt.datetime
    authors: Authors
    approved: Collection[tuple[str, str, str]]

    @property
    def today(self) -> dt.date:
        return today_at(self.now)

    def make(
        self, kind: K, m: Measure, org: str, month: str, to: tuple[str, ...], **more: Any
    ) -> list[Reminder]:
        assert m.entry is not None
        if not to:
            return []
        due = due_after_month(parse_month(month), m.entry.due)
        name, section = self.catalogue.org_name(org), _section(self.catalogue, m)
        return [
            Reminder(kind, org, name, month, m.id, section, m.title, due, m.entry.due, to, **more)
        ]

    def month(self, m: Measure, org: str, at: int, step: EntryRevision | None) -> list[Reminder]:
        """entry_due or entry_overdue for one figure, if either is due today."""
        entry = m.entry
        assert entry is not None
        month, today = format_month(at), self.today
        if (org, m.id, month) in self.approved:  # the board has its figure: a revision is not late
            return []
        state = None if step is None else step.state
        due = due_after_month(at, entry.due)
        if remind_from(entry, at) <= today <= due and state in (None, EntryState.DRAFT):
            return self.make(K.ENTRY_DUE, m, org, month, _who(self.people, entry.enter, set()))
        if not (due < today and working_days_late(due, today) <= OVERDUE_FOR):
            return []
        if state in NOT_SUBMITTED:
            return self.make(K.ENTRY_OVERDUE, m, org, month, _who(self.people, entry.enter, set()))
        if step is not None and state is EntryState.SUBMITTED:
            but = self.authors(org, m.id, month)
            to = _who(self.people, entry.approve, but)
            return self.make(K.ENTRY_OVERDUE, m, org, month, to, by=step.author)
        return []

    def returned(self, m: Measure, step: EntryRevision) -> list[Reminder]:
        assert m.entry is not None
        to = _who(self.people, m.entry.enter, {step.author.lower()})
        more = {"reason": step.reason, "by": step.author, "step": step.id}
        return self.make(K.ENTRY_RETURNED, m, step.org, step.month, to, **more)


def find_reminders(
    catalogue: Catalogue,
    people: Sequence[Person],
    latest: Sequence[EntryRevision],
    now: dt.datetime,
    authors: Authors,
    approved: Collection[tuple[str, str, str]] = frozenset(),
) -> list[Reminder]:
    """Every reminder due at ``now`` (whether sent already or not: the caller checks the
    keys), for the entered measures of ``catalogue``, from each figure's latest step
    (``latest``) and the active accounts (``people``); ``authors`` says who entered or changed
    a submitted figure (four eyes: they are not asked to approve it); ``approved`` holds the
    (org, measure, month) of every figure approved once, which is never due or overdue again
    (a revision of it waiting is not late: the board has a figure)."""
    find = _Finder(catalogue, people, latest, now, authors, approved)
    today = find.today
    end = today.year * 12 + today.month - 2  # the last month ended
    by_key = {(s.org, s.measure, s.month): s for s in latest}
    known = catalogue.org_index().names
    orgs = _orgs(catalogue, latest)
    out: list[Reminder] = []
    for m in catalogue.measures.values():
        if m.entry is None:
            continue
        for org in orgs:
            for at in range(end - LOOKBACK_MONTHS + 1, end + 1):
                if m.entry.entered(at):
                    out += find.month(m, org, at, by_key.get((org, m.id, format_month(at))))
        for step in latest:
            if (
                step.measure == m.id
                and step.state is EntryState.RETURNED
                and now - step.created_at <= RETURNED_FOR
                and step.org in known
            ):
                out += find.returned(m, step)
    return out
