"""What the engine needs from the warehouse for a scorecard: the measures, the organisations'
rows, the history and the baseline spans, as an :class:`~kpiboard.enginedata.EngineRequest`.
Worked out from the catalogue alone, before any data are read."""

from __future__ import annotations

from collections.abc import Sequence

from kpiboard.catalogue import Catalogue
from kpiboard.engine.targets import baseline_span
from kpiboard.enginedata import BaselineSpan, EngineRequest
from kpiboard.errors import KpiboardError
from kpiboard.periods import format_month
from kpiboard.vocabulary import MeasureKind

HISTORY_MONTHS = 48  # months kept before each series' latest figure: comparator + rank search


def peer_measures(cat: Catalogue) -> set[str]:
    """Measures read for other organisations too: those ranked, and what they are made of."""
    ranked: list[str] = []
    for m in cat.measures.values():
        if m.ranks is not None:
            ranked.append(m.ranks.measure or m.id)
            if m.ranks.per_population:
                ranked.append(m.population or cat.project.population or "")
    return measures_needed(cat, ranked)


def measures_needed(cat: Catalogue, ids: list[str]) -> set[str]:
    """``ids`` and everything they are made of: parts, children, populations."""
    out: set[str] = set()

    def add(mid: str) -> None:
        if mid in out or mid not in cat.measures:
            return
        out.add(mid)
        m = cat.measures[mid]
        for part in (*(m.of or []), *(c.id for c in cat.children_of(mid))):
            add(part)
        if m.kind is MeasureKind.PER_POPULATION or (m.ranks and m.ranks.per_population):
            add(m.population or cat.project.population or "")

    for mid in ids:
        add(mid)
    return out


def baseline_spans(cat: Catalogue) -> dict[str, tuple[int, int]]:
    return {
        m.id: span for m in cat.measures.values() for t in m.targets if (span := baseline_span(t))
    }


def scorecard_request(cat: Catalogue, as_of: int, home: str) -> EngineRequest:
    """What ``home``'s scorecard as of month ``as_of`` reads: every measure of ``home``, the
    ranked ones of every organisation, HISTORY_MONTHS of each series and the baseline spans."""
    return EngineRequest(
        measures=frozenset(cat.measures),
        fy_start_month=cat.fy_start_month,
        as_of=as_of,
        home=home,
        peer_measures=frozenset(peer_measures(cat)),
        spans=tuple(BaselineSpan(mid, *span) for mid, span in baseline_spans(cat).items()),
        history_months=HISTORY_MONTHS,
    )


def all_months_request(cat: Catalogue, home: str) -> EngineRequest:
    """Every month of ``home``'s data, whatever the report month: to say when the data start."""
    return EngineRequest(
        measures=frozenset(cat.measures), fy_start_month=cat.fy_start_month, home=home
    )


class BeforeAnyData(KpiboardError):
    """A report month before the first month of data (worded for the command line; the
    dashboard rewords it from ``as_of`` and ``first``)."""

    def __init__(self, as_of: int, first: int) -> None:
        super().__init__(
            f"--as-of {format_month(as_of)} is before any data",
            hint=f"the earliest data are for {format_month(first)}",
        )
        self.as_of = as_of
        self.first = first


def before_any_data(as_of: int, first: int) -> KpiboardError:
    """The error for a report month before the first month of data."""
    return BeforeAnyData(as_of, first)


class PastAllData(KpiboardError):
    """A report month after the last month of every measure's data: a scorecard of it would
    show old figures under a new date (worded for the command line, like BeforeAnyData)."""

    def __init__(self, as_of: int, first: int, last: int) -> None:
        span = f"{format_month(first)} to {format_month(last)}"
        super().__init__(
            f"--as-of {format_month(as_of)} is after the data: they cover {span}",
            hint=f"pick a month from {span}, or leave out --as-of for the latest "
            f"({format_month(last)}); new data? run `kpiboard ingest`",
        )
        self.as_of = as_of
        self.first = first
        self.last = last


def report_month(months: Sequence[int], asked: int | None) -> int:
    """The month to report on, from the months with data (ascending, as
    ``Warehouse.months_with_data`` gives them): the one asked for, else the latest. A month
    after all of them is an error naming the months the data cover (one before them is the
    engine's BeforeAnyData, per organisation).

    >>> report_month([24100, 24101], None)
    24101
    """
    if not months:
        raise KpiboardError(
            "the project has no data yet", hint="add data files and run `kpiboard ingest`"
        )
    if asked is None:
        return months[-1]
    if asked > months[-1]:
        raise PastAllData(asked, months[0], months[-1])
    return asked
