"""Figures entered by their owners, as the dashboard and the API offer them (docs/ENTRY.md):
who may see and take each step, the checks against the measure and its process limits, and
the approved figures loaded into the warehouse as a new vintage on each approval.

The store (``web/db/entries.py``) keeps the steps and enforces who takes them; this module
knows the catalogue and the Scorecard, so it says which measures are entered, what is due
when, and what a figure is compared with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from kpiboard.catalogue.entry import Entry
from kpiboard.catalogue.schema import Measure
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month
from kpiboard.warehouse import Warehouse
from kpiboard.warehouse.entered import EnteredFigure, load_entered
from kpiboard.web.actions import announce_vintage
from kpiboard.web.context import Context
from kpiboard.web.db import AppStore, EntryRevision, EntryState, Figures, Role, User
from kpiboard.web.db.entries import allowed
from kpiboard.web.entry_checks import Context as Compared
from kpiboard.web.entry_checks import Problem, check_entry
from kpiboard.web.security import Viewer
from kpiboard.web.service import NotFound, ScorecardService
from kpiboard.workdays import due_after_month


class EntryProblems(KpiboardError):
    """Refused: the figures have problems (a field out of range, or a surprise to confirm
    with a note); ``problems`` lists each by field."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(
            f"{first.field}: {first.message}{more}",
            hint="add a note saying why to confirm a surprising figure"
            if all(p.confirm for p in problems)
            else "correct the figures and save again",
        )
        self.problems = problems


@dataclass(frozen=True)
class EntryView:
    """One entered measure's figure for an organisation and month, as a person may see it:
    ``current`` (its latest step) only for those who may enter or approve it, ``approved``
    (the figure the board sees) for every reader."""

    measure: Measure
    month: str
    due: dt.date
    current: EntryRevision | None
    approved: EntryRevision | None
    may_enter: bool
    may_approve: bool

    @property
    def state(self) -> str:
        return self.current.state.value if self.current is not None else "not entered"

    def overdue(self, today: dt.date) -> bool:
        done = self.approved is not None and self.approved.month == self.month
        return not done and today > self.due


def entered_measure(ctx: Context, measure_id: str) -> tuple[Measure, Entry]:
    """The measure and its ``entry:``; NotFound when it is not entered on the dashboard."""
    m = ctx.service.catalogue.measures.get(measure_id)
    if m is None or m.entry is None:
        raise NotFound(
            f"{measure_id!r} is not a measure entered on the dashboard",
            hint="entered measures have entry: in their YAML (docs/ENTRY.md)",
        )
    return m, m.entry


def last_ended(today: dt.date) -> int:
    """The month index of the last month ended by ``today`` (the month before today's)."""
    return today.year * 12 + today.month - 2


def entry_month(entry: Entry, text: str, today: dt.date | None = None) -> str:
    """A month that may be entered: from ``since`` on, and ended by ``today``."""
    month = parse_month(text)
    now = today or dt.datetime.now(dt.UTC).date()
    if month > last_ended(now):
        raise KpiboardError(f"{format_month(month)} has not ended yet", hint="enter it after")
    if not entry.entered(month):
        raise KpiboardError(
            f"{format_month(month)} comes from the data files: this measure is entered on the "
            f"dashboard from {entry.since}",
            hint="correct earlier months in the data files",
        )
    return format_month(month)


def _who_may(user: User | None, names: list[str]) -> bool:
    return user is not None and allowed(names, user.username, user.role, user.active)


def view(ctx: Context, viewer: Viewer, org: str, month: str, m: Measure) -> EntryView:
    assert m.entry is not None
    steps = ctx.store.entry_history(org, m.id, month)
    may_enter = _who_may(viewer.user, m.entry.enter)
    may_approve = _who_may(viewer.user, m.entry.approve)
    approved = next((s for s in steps if s.state is EntryState.APPROVED), None)
    current = steps[0] if steps and (may_enter or may_approve) else approved
    due = due_after_month(parse_month(month), m.entry.due)
    return EntryView(m, month, due, current, approved, may_enter, may_approve)


def month_entries(ctx: Context, viewer: Viewer, org: str, month: str) -> list[EntryView]:
    """Every entered measure's figure for the month (those entered from a later month left
    out), in the catalogue's order."""
    at = parse_month(month)
    return [
        view(ctx, viewer, org, month, m)
        for m in ctx.service.catalogue.measures.values()
        if m.entry is not None and m.entry.entered(at)
    ]


def compared_with(ctx: Context, org: str, month: str, m: Measure) -> Compared:
    """What a figure is checked against: last month's figure and the process limits of the
    latest scorecard's SPC of the measure, and whether the month is in a published pack."""
    published = ctx.store.publication(org, month) is not None
    try:
        card = ctx.service.scorecard(org, ctx.service.latest_month)
        row = ctx.service.row(card, m.id)
    except (NotFound, KpiboardError):
        return Compared(published=published)
    spc = row.spc
    if spc is None:
        return Compared(published=published)
    before = format_month(parse_month(month) - 1)
    last = next((p.value for p in spc.points if p.period == before), None)
    limits = None if spc.lpl is None or spc.upl is None else (spc.lpl, spc.upl)
    return Compared(last=last, limits=limits, published=published)


def save_entry(
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    measure_id: str,
    figures: Figures,
    *,
    base: int,
    reason: str | None,
    ip: str | None,
) -> EntryRevision:
    """A draft, after the checks (EntryProblems lists what is wrong or to be confirmed)."""
    user = _signed_in(viewer, "enter figures")
    m, entry = entered_measure(ctx, measure_id)
    o = ctx.service.org(org).id
    month = entry_month(entry, month)
    ctx.store.require_enterer(o, m.id, month, user, entry.enter, ip)
    problems = check_entry(m, figures, compared_with(ctx, o, month, m), reason=reason)
    if problems:
        raise EntryProblems(problems)
    return ctx.store.save_entry(
        o, m.id, month, figures, user, base=base, enterers=entry.enter, reason=reason, ip=ip
    )


def submit_entry(
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    measure_id: str,
    *,
    base: int,
    ip: str | None,
) -> EntryRevision:
    user = _signed_in(viewer, "submit figures")
    m, entry = entered_measure(ctx, measure_id)
    o, month = ctx.service.org(org).id, entry_month(entry, month)
    return ctx.store.submit_entry(o, m.id, month, user, base=base, enterers=entry.enter, ip=ip)


def return_entry(
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    measure_id: str,
    *,
    base: int,
    reason: str,
    ip: str | None,
) -> EntryRevision:
    user = _signed_in(viewer, "return figures")
    m, entry = entered_measure(ctx, measure_id)
    o, month = ctx.service.org(org).id, entry_month(entry, month)
    return ctx.store.return_entry(
        o, m.id, month, user, base=base, approvers=entry.approve, reason=reason, ip=ip
    )


def approve_entry(
    ctx: Context,
    viewer: Viewer,
    org: str,
    month: str,
    measure_id: str,
    *,
    base: int,
    ip: str | None,
) -> EntryRevision:
    """Approve, then load every approved figure into the warehouse as a new vintage (the
    scorecard shows it from then on) and announce what the vintage brought."""
    user = _signed_in(viewer, "approve figures")
    m, entry = entered_measure(ctx, measure_id)
    o, month = ctx.service.org(org).id, entry_month(entry, month)
    step = ctx.store.approve_entry(o, m.id, month, user, base=base, approvers=entry.approve, ip=ip)
    load_approved(ctx, user.username, ip)
    return step


def approved_figures(store: AppStore) -> list[EnteredFigure]:
    """Every approved figure, as the warehouse keeps it."""
    return [
        EnteredFigure(
            org=s.org,
            measure=s.measure,
            month=parse_month(s.month),
            step=s.id,
            numerator=s.figures.numerator,
            denominator=s.figures.denominator,
            value=s.figures.value,
            sample_size=s.figures.sample_size,
            provisional=s.figures.provisional,
            note=s.figures.note,
        )
        for s in store.approved_entries()
    ]


def sync_approved(service: ScorecardService, store: AppStore, who: str) -> int | None:
    """Load every approved figure as a new vintage; none when the warehouse holds them
    already. The vintage made, if any."""
    made: list[int | None] = []

    def load(wh: Warehouse) -> None:
        made.append(load_entered(wh, approved_figures(store), who=who).vintage)

    service.reload(load=load)
    return made[0] if made else None


def load_approved(ctx: Context, who: str, ip: str | None) -> int | None:
    """Load the approved figures as a new vintage (none when they are what the warehouse
    holds already); the vintage made, announced like a reload's."""
    vintage = sync_approved(ctx.service, ctx.store, who)
    ctx.pages.clear()
    if vintage is not None:
        ctx.store.audit("entries_loaded", who, {"vintage": vintage}, ip)
        announce_vintage(ctx, vintage, ip)
    return vintage


def _signed_in(viewer: Viewer, doing: str) -> User:
    """The person taking a step: signed in, any role (the measure's entry: says who may)."""
    return viewer.require(Role.VIEWER, doing)
