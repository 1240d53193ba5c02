"""The Scorecard: the frozen hand-off object between the engine and every output.

The engine fills it completely (statuses, reasons, ranks, facts, their numbers); renderers
only format it. ``to_dict()`` is the JSON contract in docs/DESIGN.md: field names listed
there are kept; more may be added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, is_dataclass
from enum import StrEnum
from typing import Any

from kpiboard.derivation import Derivation
from kpiboard.vocabulary import (
    Assurance,
    ChangeDirection,
    Direction,
    MeasureKind,
    PointType,
    Polarity,
    RankVerdict,
    RevisedSince,
    Rule,
    SignificanceVerdict,
    Status,
    StatusFrom,
    Variation,
)


@dataclass(frozen=True)
class Figure:
    """A number as the board reads it (``text``) and as a program reads it (``value``)."""

    text: str
    value: float | None
    period: str | None = None  # words: "12 months to Jun-09", "2008/09"
    period_end: str | None = None  # YYYY-MM
    # how ``value`` is written in ``text`` ("%", "£m", "per 1,000", ""), for spreadsheets
    unit: str | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class Change:
    """Latest against comparator. ``percent`` is None for proportions (use points)."""

    absolute: float
    absolute_text: str
    percent: float | None
    percent_text: str | None
    direction: ChangeDirection  # as written: level only when equal at the data's precision
    better: bool | None  # None when the measure has no polarity that applies


@dataclass(frozen=True)
class Rank:
    group_id: str
    group: str
    rank: int
    of: int
    text: str  # "14th/42"
    period: str
    basis: str  # what was ranked: "12 months to Mar-09 rate per 1,000"
    group_value: float | None = None  # pooled (sum of numerators / sum of denominators)
    group_value_text: str | None = None
    mean_of_rates: float | None = None  # unweighted mean of the members' values (HMIC comparator)
    mean_of_rates_text: str | None = None
    # the home organisation against the pooled figure of the other members
    verdict: RankVerdict | None = None
    verdict_text: str | None = None  # by polarity: "significantly worse", ...
    verdict_method: str | None = None
    p_value: float | None = None
    peer_value: float | None = None  # the other members' pooled rate or percentage
    peer_value_text: str | None = None
    limits_95: tuple[float, float] | None = None  # funnel limits around peer_value (rates)
    limits_998: tuple[float, float] | None = None
    beyond_998: bool | None = None
    rising: int | None = None  # members whose value rose against the same window a year earlier
    rising_of: int | None = None
    mean_label: str | None = None  # what the mean averages: "mean of ratios", "mean of rates"
    value_unit: str | None = None  # the unit and decimals the group, mean and peer values are in
    value_decimals: int | None = None


@dataclass(frozen=True)
class MonthlyAverage:
    value: float
    text: str
    months: int
    period: str
    target: float | None
    target_text: str | None
    profile: str = "flat profile (annual target / 12)"  # how the target's months are spread


@dataclass(frozen=True)
class Forecast:
    value: float
    text: str
    financial_year: str
    method: str
    target: float | None
    target_text: str | None


@dataclass(frozen=True)
class DropOff:
    previous_total: float
    previous_total_text: str
    dropped_period: str
    dropped_value: float
    dropped_text: str
    added_period: str
    added_value: float
    added_text: str


@dataclass(frozen=True)
class MonthRange:
    low: float
    low_text: str
    low_period: str
    high: float
    high_text: str
    high_period: str
    months: int


@dataclass(frozen=True)
class MarginOfError:
    value: float  # +/- in the measure's unit (points for percentages)
    text: str
    shortfall: float | None
    shortfall_text: str | None
    method: str


@dataclass(frozen=True)
class RatioFigures:
    """A share against a reference share (recruits' minority share / population's = 0.6 : 1)."""

    value: float
    text: str  # "0.6 : 1"
    reference: float  # the reference share, in %
    reference_text: str
    target: float | None
    target_text: str | None


@dataclass(frozen=True)
class Significance:
    """Whether a difference is more than chance: the latest figure against its comparator, or
    the gap between two groups, with the test named."""

    tested: str  # "change against 2008/09", "gap between the two groups"
    verdict: SignificanceVerdict
    significant: bool
    method: str
    p_value: float
    p_text: str  # "p = 0.71", "p < 0.001"
    estimate: float  # difference in points, or a rate ratio
    ci_low: float | None
    ci_high: float | None
    text: str  # the sentence for the commentary


@dataclass(frozen=True)
class Interval:
    """A 95% confidence interval for a survey estimate."""

    low: float
    high: float
    text: str  # "76.5% to 78.1%"
    method: str


@dataclass(frozen=True)
class SpcPoint:
    """One point (a month, for a KPI) of an SPC chart. Limits are None where they are
    undefined."""

    period: str  # YYYY-MM, or YYYY-MM-DD for a series of dates (kpiboard spc)
    label: str  # Aug-09: the period as the board reads it
    value: float
    mean: float | None
    lpl: float | None
    upl: float | None
    point_type: PointType
    rule: Rule
    rebase_group: int = 0  # 0 for the first limits, 1 after the first rebase, ...


@dataclass(frozen=True)
class Spc:
    """The statistical process control verdict on a KPI's monthly series (XmR chart, Making
    Data Count rules): variation and assurance icons, the rule at the latest point, and the
    limits there."""

    variation: Variation
    variation_text: str
    assurance: Assurance | None  # None without a target
    assurance_text: str | None
    rule: Rule  # the rule that fired at the latest point
    rule_text: str
    mean: float | None
    lpl: float | None
    upl: float | None
    direction: Direction
    target: float | None  # the monthly target the assurance is judged against
    target_text: str | None
    period: str  # "Sep-06 - Aug-09"
    trial_limits: bool  # fewer points than settled limits need
    points: tuple[SpcPoint, ...] = ()
    summary: str = ""
    mean_text: str | None = None  # mean and limits at the latest point, as the board reads them
    lpl_text: str | None = None
    upl_text: str | None = None
    latest_text: str | None = None  # the latest point's value, as the board reads it


@dataclass(frozen=True)
class SeriesPoint:
    """A row's measure for the scorecard's organisation over ``months`` months to ``period``:
    the value in the measure's unit and the sums behind it (a proportion's numerator and
    denominator, a rate's count and population, a count's count)."""

    period: str  # YYYY-MM, the last month
    value: float
    numerator: float | None = None
    denominator: float | None = None
    provisional: bool = False
    months: int = 1  # 1, or 3 / 12 where the data are published only for quarters or years


@dataclass(frozen=True)
class Milestone:
    text: str
    value: float
    by: str  # YYYY-MM
    by_text: str  # "Mar 2011"


@dataclass(frozen=True)
class Stale:
    """A latest figure older than the measure's latency allows: said in every output, so an
    old figure is never read as this month's."""

    period_end: str  # YYYY-MM: the month the last figure ends in
    period: str  # "Mar-10"
    months: int  # months between it and the report month
    latency: int  # months the measure allows
    text: str  # "stale: last figure Mar-10"


@dataclass(frozen=True)
class Revised:
    """A headline figure that changed since the figure it is compared with (a published pack's,
    else the first reported): said in every output, so a board never mistakes a revision for
    the figure it saw."""

    since: RevisedSince  # why ``since_vintage`` is the baseline
    since_vintage: int
    before: Figure  # the headline figure as the baseline showed it
    after: Figure  # as shown now
    vintage: int  # the vintage that made the change
    text: str  # "revised since published: 77.1% → 76.4% (vintage 3)"


@dataclass(frozen=True)
class Row:
    id: str  # the row label ("2a"), or the measure id when the measure has none
    measure: str
    section: str | None
    title: str
    reference: str | None
    description: str | None
    kind: MeasureKind
    unit: str
    polarity: Polarity
    status: Status | None
    status_reason: str
    target: Figure | None
    latest: Figure | None
    comparator: Figure | None
    change: Change | None = None
    ranks: tuple[Rank, ...] = ()
    facts: tuple[str, ...] = ()
    children: tuple[Row, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    tracking: bool = False
    in_development: bool = False
    provisional: bool = False
    fytd: Figure | None = None
    monthly_average: MonthlyAverage | None = None
    forecast: Forecast | None = None
    drop_off: DropOff | None = None
    range_12: MonthRange | None = None
    margin_of_error: MarginOfError | None = None
    level: Figure | None = None  # the level behind a figure reported as a % change
    ratio: RatioFigures | None = None
    spc: Spc | None = None
    significance: Significance | None = None
    interval: Interval | None = None
    rag_status: Status | None = None  # the target's verdict, when status comes from SPC
    rag_reason: str | None = None  # and its reason
    status_from: StatusFrom = StatusFrom.RAG
    stale: Stale | None = None  # the latest figure is older than the measure's latency allows
    revised: Revised | None = None  # the latest figure changed since published / first reported
    decimals: int = 0  # the measure's decimal places (figures in ``unit``)
    # the tidy series behind the row's figures, oldest first: each month's value up to the
    # report month (a quarter's or a year's where only those are published)
    series: tuple[SeriesPoint, ...] = ()
    derived: Derivation | None = None  # a derived measure's formula (kpiboard.derivation)


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str


@dataclass(frozen=True)
class Scorecard:
    title: str
    organisation: Organisation
    as_of: str  # YYYY-MM
    as_of_text: str  # "Aug-09"
    financial_year: str
    rows: tuple[Row, ...]
    sections: tuple[str, ...] = ()
    subtitle: str | None = None
    status_key: dict[str, str] = field(default_factory=dict)
    spc_key: dict[str, dict[str, str]] = field(default_factory=dict)  # icon -> words
    notes: tuple[str, ...] = ()
    vintage: int | None = None  # the warehouse vintage the figures were read at (None: unknown)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (plain dicts, lists, strings, numbers, None)."""
        return plain(self)  # type: ignore[no-any-return]

    def all_rows(self) -> list[Row]:
        """Rows and their children, depth first."""
        out: list[Row] = []

        def visit(row: Row) -> None:
            out.append(row)
            for child in row.children:
                visit(child)

        for row in self.rows:
            visit(row)
        return out


@dataclass(frozen=True)
class SpcSeries:
    """One series through SPC (``kpiboard spc``): the Spc block the engine wrote, what the chart
    calls it, and point by point whether its limits are trial limits (its group is short)."""

    name: str  # heads the chart: the CSV file's stem, or a scorecard row's "4a Title (Org)"
    spc: Spc  # points' periods are the dates as given (YYYY-MM or YYYY-MM-DD)
    trial_limits: tuple[bool, ...]  # one per point
    title: str = ""  # names the series in the chart's text alternative (default: ``name``)
    unit: str = ""  # the values' unit, for the value axis (a row's unit; none for a CSV)


def json_rows(card: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A Scorecard's JSON (``to_dict()``, or as a pack froze it): its rows and their children
    by measure id, depth first, as :meth:`Scorecard.all_rows` lists them."""
    out: dict[str, dict[str, Any]] = {}

    def visit(row: dict[str, Any]) -> None:
        out[str(row["measure"])] = row
        for child in row.get("children") or ():
            visit(child)

    for row in card.get("rows") or ():
        visit(row)
    return out


def plain(obj: Any) -> Any:
    """A hand-off object as the JSON contract's plain dicts, lists, strings and numbers."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, StrEnum):
        return obj.value
    if isinstance(obj, (list, tuple)):
        return [plain(x) for x in obj]
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    return obj
