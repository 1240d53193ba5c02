"""What a vintage brought that people should hear about (docs/VINTAGES.md, "Announcements"):
the scorecards vintage N-1 and vintage N would show, each at its own report month (the latest
month with data, as ``report`` defaults to), compared row by row.

- a status changed ("Burglary: Amber → Red (Aug-09)"; "now Red" for a row without one before);
- a special-cause signal N's SPC shows that N-1's did not, with its rule in words;
- SPC assurance against the target changed;
- a figure of a published pack revised (for each pin: the pack's organisation, month and the
  vintage it was published from);
- a measure gone stale (no data past its expected latency).

Vintage 1 has nothing before it: only gone-stale measures are announced. The order is fixed:
kind, organisation (the home one, then the pins'), section, row.

>>> news = announcements(cat, warehouse, 3, pins=[Pin("WYP", "2018-07", 2)])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from kpiboard.announcements import Announcement, AnnouncementKind
from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import Catalogue
from kpiboard.engine.needs import BeforeAnyData, report_month
from kpiboard.engine.spc_row import RULE_TEXT
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month, parse_month, short_month
from kpiboard.scorecard import Figure, Row, Scorecard, Spc
from kpiboard.vocabulary import PointType, Status
from kpiboard.warehouse import Warehouse

KIND_ORDER = tuple(AnnouncementKind)  # announcements are listed kind by kind, in this order

# a special-cause point in words, by its type (the icon's meaning without the side)
_POINT_WORDS = {
    PointType.SPECIAL_CAUSE_IMPROVEMENT: "special cause improvement",
    PointType.SPECIAL_CAUSE_CONCERN: "special cause concern",
    PointType.SPECIAL_CAUSE_NEUTRAL_HIGH: "special cause variation",
    PointType.SPECIAL_CAUSE_NEUTRAL_LOW: "special cause variation",
}


class Pin(NamedTuple):
    """A published pack: its organisation, month (YYYY-MM) and the vintage it was built from."""

    org: str
    month: str
    vintage: int


@dataclass(frozen=True)
class _Card:
    """One organisation's scorecard at one vintage, its rows by key and their places."""

    card: Scorecard
    rows: dict[tuple[str, str], Row]

    @classmethod
    def of(cls, card: Scorecard) -> _Card:
        return cls(card, {(r.id, r.measure): r for r in card.all_rows()})

    def place(self, row: Row) -> tuple[int, int]:
        """Section order, then row order (depth first, as the scorecard lists them)."""
        sections = self.card.sections
        section = sections.index(row.section) if row.section in sections else len(sections)
        return section, list(self.rows).index((row.id, row.measure))


class _Scorecards:
    """Scorecards built once per (vintage view, organisation, month)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        # by the view's vintage (None: the latest, as a load being checked has it)
        self._built: dict[tuple[int | None, str, int], _Card | None] = {}
        self._months: dict[int | None, int | None] = {}

    def report_month(self, view: Warehouse) -> int | None:
        """The view's report month: the latest month with data (None without data)."""
        key = view.vintage
        if key not in self._months:
            months = view.months_with_data(self.catalogue)
            self._months[key] = report_month(months, None) if months else None
        return self._months[key]

    def card(self, view: Warehouse, org: str, month: int | None = None) -> _Card | None:
        """``org``'s scorecard at ``month`` (default the view's report month), None when the
        view has no data for it."""
        month = self.report_month(view) if month is None else month
        if month is None:
            return None
        key = (view.vintage, org, month)
        if key not in self._built:
            try:
                card = assemble_scorecard(
                    self.catalogue, view.scorecard_observations(self.catalogue), month, org
                )
            except BeforeAnyData:
                self._built[key] = None
            else:
                self._built[key] = _Card.of(card)
        return self._built[key]


def announcements(
    catalogue: Catalogue,
    warehouse: Warehouse,
    vintage: int,
    pins: Sequence[tuple[str, str, int]] = (),
) -> list[Announcement]:
    """What vintage ``vintage`` of ``warehouse`` brought, against the vintage before it;
    ``pins``: the published packs, as (org, YYYY-MM, vintage) or :class:`Pin`. An id that is
    no vintage is an error listing the vintages (``Warehouse.at``)."""
    after = warehouse.at(vintage)
    earlier = [v.id for v in warehouse.vintages() if v.id < vintage]
    before = warehouse.at(earlier[-1]) if earlier else None
    return announcements_between(catalogue, before, after, vintage, pins)


def announcements_between(
    catalogue: Catalogue,
    before: Warehouse | None,
    after: Warehouse,
    vintage: int,
    pins: Sequence[tuple[str, str, int]] = (),
) -> list[Announcement]:
    """What ``after`` (vintage ``vintage``) shows that ``before`` (None: nothing before) did
    not. ``after`` may be the uncommitted latest view of a load being checked."""
    cards = _Scorecards(catalogue)
    pinned = [Pin(*p) for p in pins]
    home = catalogue.resolve_org(catalogue.project.organisation)
    orgs = list(dict.fromkeys([home, *(catalogue.resolve_org(p.org) for p in pinned)]))
    found: list[tuple[tuple[int, ...], Announcement]] = []
    for o, org in enumerate(orgs):
        now = cards.card(after, org)
        if now is None:
            continue
        then = cards.card(before, org) if before is not None else None
        for row in now.card.all_rows():
            for a in _row_news(now.card, row, then, vintage):
                found.append(((KIND_ORDER.index(a.kind), o, *now.place(row)), a))
    if before is not None:
        for p, pin in enumerate(pinned):
            for place, a in _revised(cards, before, after, pin, vintage):
                found.append(((KIND_ORDER.index(a.kind), p, *place), a))
    return [a for _, a in sorted(found, key=lambda pair: pair[0])]


def _row_news(
    card: Scorecard, row: Row, then: _Card | None, vintage: int
) -> Iterator[Announcement]:
    """A row's announcements: all kinds when there was a scorecard before, else only stale."""
    old = then.rows.get((row.id, row.measure)) if then is not None else None
    checks = _CHECKS if then is not None else _CHECKS[-1:]
    for kind, check in checks:
        if (said := check(card.as_of_text, row, old)) is not None:
            text, before, after = said
            yield Announcement(
                kind=kind,
                vintage=vintage,
                organisation=card.organisation.id,
                organisation_name=card.organisation.name,
                month=card.as_of,
                measure=row.measure,
                section=row.section,
                title=row.title,
                text=f"{row.title}: {text}",
                before=before,
                after=after,
            )


_Said = tuple[str, str | None, str | None]  # the words, the old value and the new, as shown


def _status_words(status: Status | None) -> str:
    return status.value.capitalize() if status is not None else "no status"


def _status_change(month: str, row: Row, old: Row | None) -> _Said | None:
    before = old.status if old is not None else None
    if row.status == before:
        return None
    now = _status_words(row.status)
    if before is None:
        return f"now {now} ({month})", None, now
    was = _status_words(before)
    return f"{was} → {now} ({month})", was, now


def _signals(spc: Spc | None) -> set[tuple[str, str]]:
    if spc is None:
        return set()
    return {(p.period, p.rule.value) for p in spc.points if p.point_type != PointType.COMMON_CAUSE}


def _new_signal(month: str, row: Row, old: Row | None) -> _Said | None:
    """The latest special-cause point of ``row`` whose signal the old row did not show (a run
    marks every point of it: one announcement per row, at its latest new point)."""
    new = _signals(row.spc) - _signals(old.spc if old is not None else None)
    if not new or row.spc is None:
        return None
    # periods are YYYY-MM (or YYYY-MM-DD): their order is the text's
    point = max(
        (p for p in row.spc.points if (p.period, p.rule.value) in new), key=lambda p: p.period
    )
    rule = RULE_TEXT[point.rule.value]
    return f"new {_POINT_WORDS[point.point_type]}, {rule} ({point.label})", None, rule


def _assurance_change(month: str, row: Row, old: Row | None) -> _Said | None:
    """Only a row with an assurance now: one losing it (too few points, no target) says so
    through its status and the scorecard, not as news."""
    if row.spc is None or row.spc.assurance is None or row.spc.assurance_text is None:
        return None
    was = old.spc if old is not None else None
    if was is not None and was.assurance == row.spc.assurance:
        return None
    now = row.spc.assurance_text
    if was is None or was.assurance_text is None:
        return f"now {now[0].lower()}{now[1:]} ({month})", None, now
    return f"{was.assurance_text} → {now} ({month})", was.assurance_text, now


def _gone_stale(month: str, row: Row, old: Row | None) -> _Said | None:
    if row.stale is None or (old is not None and old.stale is not None):
        return None
    s = row.stale
    allowed = f"{s.latency} month{'' if s.latency == 1 else 's'}"
    return f"stale at {month}, last figure {s.period} (latency {allowed})", None, s.period_end


# in KIND_ORDER's order; gone stale last, the one kind announced without a scorecard before
_CHECKS: tuple[tuple[AnnouncementKind, Callable[[str, Row, Row | None], _Said | None]], ...] = (
    (AnnouncementKind.STATUS_CHANGED, _status_change),
    (AnnouncementKind.NEW_SIGNAL, _new_signal),
    (AnnouncementKind.ASSURANCE_CHANGED, _assurance_change),
    (AnnouncementKind.GONE_STALE, _gone_stale),
)


def _figure(f: Figure | None) -> tuple[float | None, str] | None:
    return None if f is None else (f.value, f.text)


def _revised(
    cards: _Scorecards, before: Warehouse, after: Warehouse, pin: Pin, vintage: int
) -> Iterator[tuple[tuple[int, int], Announcement]]:
    """The rows of the pinned pack whose headline figure differs between ``before`` and
    ``after``; "before" in words is the figure as the pack showed it (at the pinned vintage,
    or, when the warehouse no longer has it, as ``before`` had it). A figure revised back to
    what the pack showed is no news."""
    org, month = cards.catalogue.resolve_org(pin.org), parse_month(pin.month)
    now, then = cards.card(after, org, month), cards.card(before, org, month)
    if now is None or then is None:
        return
    pack = _pinned(cards, before, pin, org, month) or then
    for row in now.card.all_rows():
        old = then.rows.get((row.id, row.measure))
        if old is None or _figure(old.latest) == _figure(row.latest):
            continue
        shown = pack.rows.get((row.id, row.measure), old).latest
        was = shown.text if shown is not None else "no figure"
        figure = row.latest.text if row.latest is not None else "no figure"
        if was == figure:
            continue
        text = f"{row.title} in the published {short_month(month)} pack: {was} → {figure}"
        yield (
            now.place(row),
            Announcement(
                kind=AnnouncementKind.PUBLISHED_REVISED,
                vintage=vintage,
                organisation=org,
                organisation_name=now.card.organisation.name,
                month=format_month(month),
                measure=row.measure,
                section=row.section,
                title=row.title,
                text=text,
                before=was,
                after=figure,
            ),
        )


def _pinned(cards: _Scorecards, before: Warehouse, pin: Pin, org: str, month: int) -> _Card | None:
    try:
        view = before.at(pin.vintage)
    except KpiboardError:  # a vintage the warehouse no longer has (rebuilt since)
        return None
    return cards.card(view, org, month)
