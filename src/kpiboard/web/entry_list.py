"""What the "Your figures" page and the entry form show (docs/WEB.md, "Pages"): each person's
figures to enter and to approve, and what a figure is compared with. Read-only: every step is
taken through :mod:`kpiboard.web.entering`, which applies the store's rules.

Months listed per measure: from its ``since`` (without one, the month after the data's latest)
to the last month that has ended, leaving out the months already approved; the oldest twelve
of those, so a figure long overdue is never hidden behind newer ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpiboard.catalogue.schema import Measure
from kpiboard.errors import KpiboardError
from kpiboard.formatting import with_unit
from kpiboard.periods import format_month, parse_month
from kpiboard.web.context import Context
from kpiboard.web.db import EntryRevision, EntryState
from kpiboard.web.db.entries import allowed
from kpiboard.web.entering import EntryView, last_ended, view
from kpiboard.web.security import Viewer
from kpiboard.web.service import NotFound, Org
from kpiboard.workdays import working_days_late

MONTHS_LISTED = 12
TO_ENTER = ("not entered", EntryState.DRAFT.value, EntryState.RETURNED.value)


@dataclass(frozen=True)
class Listed:
    """One figure on the "Your figures" page."""

    org: Org
    view: EntryView
    late: int  # working days overdue; 0 when not

    @property
    def measure(self) -> Measure:
        return self.view.measure


@dataclass(frozen=True)
class Yours:
    """One organisation's figures for a person: to enter (due, overdue or returned), and to
    approve (submitted by someone else)."""

    org: Org
    to_enter: list[Listed]
    to_approve: list[Listed]


def _first_month(ctx: Context, m: Measure) -> int | None:
    assert m.entry is not None
    if m.entry.since_month is not None:
        return m.entry.since_month
    try:
        return parse_month(ctx.service.latest_month) + 1
    except NotFound:
        return None


def _authors(ctx: Context, org: str, v: EntryView) -> set[str]:
    """Who entered or changed the figure's values (four eyes: none of them may approve it)."""
    steps = ctx.store.entry_history(org, v.measure.id, v.month)
    return {s.author.lower() for s in steps if s.state is EntryState.DRAFT}


Latest = dict[tuple[str, str, str], EntryRevision]


def _orgs(ctx: Context, steps: list[EntryRevision]) -> list[Org]:
    """The home organisation, then those with any entered figure."""
    orgs = [ctx.service.org(ctx.service.home)]
    for org_id in sorted({s.org for s in steps} - {orgs[0].id}):
        try:
            orgs.append(ctx.service.org(org_id))
        except NotFound:  # no longer in the catalogue: its figures are nobody's to enter
            continue
    return orgs


def _open_months(ctx: Context, m: Measure, org: str, latest: Latest, end: int) -> list[str]:
    """The oldest twelve months, up to ``end``, whose figure is not approved."""
    first = _first_month(ctx, m)
    if first is None:
        return []
    out = []
    for at in range(first, end + 1):
        step = latest.get((org, m.id, format_month(at)))
        if step is None or step.state is not EntryState.APPROVED:
            out.append(format_month(at))
            if len(out) == MONTHS_LISTED:
                break
    return out


def yours(ctx: Context, viewer: Viewer, today: dt.date) -> list[Yours]:
    """Per organisation (the home one first, then those with any entered figure), what the
    signed-in ``viewer`` has to enter and to approve."""
    user = viewer.user
    if user is None:
        return []
    mine = [
        m
        for m in ctx.service.catalogue.measures.values()
        if m.entry is not None
        and allowed([*m.entry.enter, *m.entry.approve], user.username, user.role, user.active)
    ]
    steps = ctx.store.latest_entries()
    latest: Latest = {(s.org, s.measure, s.month): s for s in steps}
    end = last_ended(today)
    out = []
    for org in _orgs(ctx, steps):
        to_enter: list[Listed] = []
        to_approve: list[Listed] = []
        for m in mine:
            for month in _open_months(ctx, m, org.id, latest, end):
                v = view(ctx, viewer, org.id, month, m)
                listed = Listed(org, v, working_days_late(v.due, today))
                if v.may_enter and v.state in TO_ENTER:
                    to_enter.append(listed)
                if (
                    v.may_approve
                    and v.state == EntryState.SUBMITTED.value
                    and user.username.lower() not in _authors(ctx, org.id, v)
                ):
                    to_approve.append(listed)
        if to_enter or to_approve:
            out.append(Yours(org, to_enter, to_approve))
    return out


@dataclass(frozen=True)
class Beside:
    """What the form shows beside the fields, in the measure's unit."""

    last: str | None  # last month's figure
    range: str | None  # lowest to highest of the twelve months before
    limits: str | None  # the SPC process limits, to one place more than the figures


def beside(ctx: Context, org: str, month: str, m: Measure) -> Beside:
    """Last month's figure, the range of the twelve months before and the process limits,
    as the latest scorecard's SPC of the measure holds them."""
    try:
        row = ctx.service.row(ctx.service.scorecard(org, ctx.service.latest_month), m.id)
    except (NotFound, KpiboardError):
        return Beside(None, None, None)
    spc = row.spc
    if spc is None:
        return Beside(None, None, None)

    def shown(x: float, places: int = m.decimals) -> str:
        return with_unit(x, m.unit, places)

    def limit(x: float) -> str:  # one place more, as the checks' messages give them
        return shown(x, m.decimals + 1)

    at = parse_month(month)
    before = [p for p in spc.points if len(p.period) == 7 and parse_month(p.period) < at]
    last = next((p for p in before if parse_month(p.period) == at - 1), None)
    recent = [p.value for p in before if parse_month(p.period) >= at - MONTHS_LISTED]
    span = f"{shown(min(recent))} to {shown(max(recent))}" if recent else None
    limits = None
    if spc.lpl is not None and spc.upl is not None:
        mean = f" (mean {limit(spc.mean)})" if spc.mean is not None else ""
        limits = f"{limit(spc.lpl)} to {limit(spc.upl)}{mean}"
    return Beside(f"{shown(last.value)} ({last.label})" if last is not None else None, span, limits)
