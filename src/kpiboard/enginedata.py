"""What the engine asks the warehouse for, and what it gets back: plain typed values.

The engine says what it needs as an :class:`EngineRequest` (measures, home organisation,
peer measures, as-of month, baseline spans, history); the warehouse answers with
:class:`EngineData`: for every organisation x measure x month with monthly data the window sums
(:class:`MonthSums`), and the observations that are not plain monthly figures
(:class:`Recorded`). This module imports nothing of the warehouse or the engine, so the engine
computes from these values without knowing where they came from.

Per month the *effective* figures summed over a window are (``WindowSums``):

* ``amt``  = numerator, else value                  -> counts, snapshots of counts
* ``pnum`` = numerator, else value% x sample_size   -> proportions pooled as sum/sum
* ``pden`` = denominator, else sample_size
* ``val``  = value (for means of monthly values)
* ``ss``   = sample_size, else denominator           -> sample sizes for margins of error
* ``n``    = the months present in the window, ``prov`` = any of them provisional

>>> s = WindowSums(amt=3.0, pnum=None, pden=None, val=None, ss=None, n=1, prov=False)
>>> data = EngineData({("A", "c"): {100: MonthSums(s, s, s, s)}}, {})
>>> data.window_row("A", "c", 100).month.amt
3.0
>>> sorted(data.months_with_data("A", "c")), data.first_month()
([100], 100)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


# WindowSums and MonthSums are NamedTuples rather than frozen dataclasses: one of each is made
# per organisation x measure x month fetched (tens of thousands for a national scorecard), and a
# tuple is made three times faster than a frozen dataclass, as fast as the dict it replaces.
class WindowSums(NamedTuple):
    """The sums of the effective figures over one window ending at a month (see above)."""

    amt: float | None
    pnum: float | None
    pden: float | None
    val: float | None
    ss: float | None
    n: int  # months present: compared with the window's length before a sum is trusted
    prov: bool


class MonthSums(NamedTuple):
    """One organisation x measure x month: the sums over the month itself, the 3 and 12 months
    ending at it, and the financial year to date."""

    month: WindowSums
    rolling_3: WindowSums
    rolling_12: WindowSums
    fytd: WindowSums


@dataclass(frozen=True)
class Recorded:
    """An observation that is not a plain monthly figure: a window estimate (``months`` > 1,
    e.g. a rolling-year survey result) or any row of a snapshot measure."""

    org: str
    measure: str
    end: int  # month index of period_end
    months: int
    amt: float | None  # numerator, else value
    numerator: float | None
    denominator: float | None
    value: float | None
    sample_size: float | None
    provisional: bool
    note: str | None


Series = Mapping[int, MonthSums]
_NO_SERIES: Series = {}


@dataclass(frozen=True)
class EngineData:
    """Window sums by (org, measure) -> month, and recorded observations by (org, measure)
    in order of their end month.

    ``peers_at`` names the measures of which the organisations other than ``home`` were read
    only for the windows ending at some months (:class:`PeerReads`), and those months; of the
    measures it does not name, every month asked for was read. :meth:`covers` says whether a
    window was read, so that the engine never takes a window it was not given for one without
    data.
    """

    windows: Mapping[tuple[str, str], Series]
    recorded: Mapping[tuple[str, str], Sequence[Recorded]]
    peers_at: Mapping[str, frozenset[int]] = field(default_factory=dict)
    home: str | None = None

    def covers(self, org: str, measure: str, end: int) -> bool:
        """Whether the window of ``org``'s ``measure`` ending at month ``end`` was read.

        >>> data = EngineData({}, {}, peers_at={"c": frozenset({100})}, home="A")
        >>> data.covers("B", "c", 100), data.covers("B", "c", 99), data.covers("A", "c", 99)
        (True, False, True)
        """
        return org == self.home or self.peers_read(measure, end)

    def peers_read(self, measure: str, end: int) -> bool:
        """Whether the other organisations' windows of ``measure`` ending at ``end`` were read."""
        ends = self.peers_at.get(measure)
        return ends is None or end in ends

    def merged(self, other: EngineData) -> EngineData:
        """These data with ``other``'s (more months of some series, or other organisations'):
        series joined month by month, recorded observations without repeats, and the months
        read of peers joined."""
        windows = {k: dict(v) for k, v in self.windows.items()}
        for key, series in other.windows.items():
            windows.setdefault(key, {}).update(series)
        recorded = {k: list(v) for k, v in self.recorded.items()}
        for key, recs in other.recorded.items():
            have = set(recorded.get(key, ()))
            recorded[key] = sorted(
                [*recorded.get(key, ()), *(r for r in recs if r not in have)], key=lambda r: r.end
            )
        peers_at = dict(self.peers_at)
        for mid, ends in other.peers_at.items():
            peers_at[mid] = peers_at.get(mid, frozenset()) | ends
        return EngineData(windows, recorded, peers_at, self.home or other.home)

    def series(self, org: str, measure: str) -> Series:
        """The month -> sums of one organisation's measure (empty when it has none)."""
        return self.windows.get((org, measure), _NO_SERIES)

    def window_row(self, org: str, measure: str, m: int) -> MonthSums | None:
        return self.series(org, measure).get(m)

    def recorded_for(self, org: str, measure: str) -> Sequence[Recorded]:
        return self.recorded.get((org, measure), ())

    def months_with_data(self, org: str, measure: str) -> set[int]:
        ms = set(self.series(org, measure))
        ms.update(r.end for r in self.recorded_for(org, measure))
        return ms

    def orgs_with(self, measure: str) -> set[str]:
        return {o for (o, mid) in (*self.windows, *self.recorded) if mid == measure}

    def first_month(self) -> int | None:
        ms = [m for rows in self.windows.values() for m in rows]
        ms += [r.end - r.months + 1 for recs in self.recorded.values() for r in recs]
        return min(ms) if ms else None

    def first_end(self) -> int | None:
        """The first month a figure ends in: the earliest month a scorecard can show (a
        12-month figure ending Dec-94 covers Jan-94 but is first shown at Dec-94)."""
        ms = [m for rows in self.windows.values() for m in rows]
        ms += [r.end for recs in self.recorded.values() for r in recs]
        return min(ms) if ms else None


@dataclass(frozen=True)
class BaselineSpan:
    """Months ``first..last`` of a measure read in full whatever the history, for a baseline
    average."""

    measure: str
    first: int
    last: int


@dataclass(frozen=True)
class PeerReads:
    """Of every organisation but the home one, the window sums of ``measure`` at the months
    ``ends`` (where it has a monthly figure)."""

    measure: str
    ends: frozenset[int]


@dataclass(frozen=True)
class EngineRequest:
    """What the engine reads.

    ``measures`` of every organisation, or with ``home`` only that organisation's rows except
    for ``peer_measures`` (those ranked against peers), the observations of more than one
    month of ``peer_recorded`` and what ``others`` names of the other organisations' rows. With ``as_of`` only months up to it, and with ``history_months`` too,
    of each series only that many months before its own latest month, plus the ``spans``. The
    windows are summed over the full series first, so no sum is cut short.
    """

    measures: frozenset[str]
    fy_start_month: int
    as_of: int | None = None
    home: str | None = None
    peer_measures: frozenset[str] = frozenset()
    spans: tuple[BaselineSpan, ...] = ()
    history_months: int | None = None
    peer_recorded: frozenset[str] = frozenset()
    others: tuple[PeerReads, ...] = ()
