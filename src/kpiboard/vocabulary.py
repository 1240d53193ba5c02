"""The project's categories, each once, as ``StrEnum``s: the same strings in the YAML, the JSON,
CSS classes and icon names; and the few decisions a category makes by itself (which way is
better, which operator a target defaults to, the letter of a status); and what a figure
written in a unit is called (a ratio's axis, the mean of ratios).

Standard library only: every layer may import it, and it imports nothing of kpiboard.

>>> Polarity.LOWER_IS_BETTER.better(3.0, 5.0)
True
>>> Polarity.HIGHER_IS_BETTER.better(5.0, 5.0) is None
True
>>> Status.AMBER.letter, ChangeDirection.of(-0.1).value
('A', 'down')
"""

from __future__ import annotations

from enum import StrEnum
from typing import assert_never

# -- the catalogue: what a measure is --------------------------------------------------------


class Polarity(StrEnum):
    """Which way a measure's figure is better. The one place that decides it."""

    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"

    @property
    def sign(self) -> int:
        """+1 when a rise is an improvement, -1 when a fall is."""
        match self:
            case Polarity.HIGHER_IS_BETTER:
                return 1
            case Polarity.LOWER_IS_BETTER:
                return -1
            case _:  # pragma: no cover
                assert_never(self)

    def better(self, a: float, b: float) -> bool | None:
        """Is ``a`` better than ``b``? None when they are equal (neither is)."""
        if a == b:
            return None
        return (a > b) == (self.sign > 0)

    @property
    def direction(self) -> Direction:
        """The SPC direction of improvement this polarity implies."""
        return Direction.INCREASE if self.sign > 0 else Direction.DECREASE

    @property
    def default_op(self) -> Op:
        """The operator of a target that does not name one: at least, or at most, the level."""
        return Op.GE if self.sign > 0 else Op.LE

    @property
    def short_side(self) -> str:
        """The side of its target a figure that falls short lies on."""
        return "below" if self.sign > 0 else "above"

    @property
    def words(self) -> str:
        """``higher is better``."""
        return self.value.replace("_", " ")


class MeasureKind(StrEnum):
    COUNT = "count"  # sums over the window
    PROPORTION = "proportion"  # sum(numerator) / sum(denominator), shown as a percentage
    PER_POPULATION = "per_population"  # count / population * per
    MEAN = "mean"  # sum(numerator) / sum(denominator), or the average of monthly values
    SNAPSHOT = "snapshot"  # the latest value in the window
    DIFFERENCE = "difference"  # proportion(of[0]) - proportion(of[1]), in percentage points
    RATIO = "ratio"  # proportion(of[0]) / proportion(of[1]), shown as "0.6 : 1"
    COMPOSITE = "composite"  # sum of the child measures (parent: this id)


class ComparatorKind(StrEnum):
    SAME_WINDOW_LAST_YEAR = "same_window_last_year"
    PREVIOUS_FINANCIAL_YEAR = "previous_financial_year"
    YEAR_START = (
        "year_start"  # the same-length window at the start of the financial year (Q4 vs Q1)
    )
    NONE = "none"


class FactKind(StrEnum):
    """Optional commentary facts a measure asks for (the structured figures are always in the
    JSON where they apply; these choose which become sentences)."""

    MONTHLY_AVERAGE = "monthly_average"  # average a month so far this year vs the target's
    FORECAST = "forecast"  # run-rate forecast of the year's outturn
    DROP_OFF = "drop_off"  # the month that left and the month that joined the rolling window
    RANGE = "range"  # lowest and highest month in the last 12
    FYTD = "fytd"  # the financial-year-to-date figure beside a rolling one


class WindowKind(StrEnum):
    MONTH = "month"
    ROLLING_3 = "rolling_3"
    QUARTER = "quarter"
    ROLLING_12 = "rolling_12"
    FYTD = "fytd"
    FINANCIAL_YEAR = "financial_year"


# -- targets and statuses ----------------------------------------------------------------------


class Op(StrEnum):
    """How a figure meets its target level."""

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"

    @property
    def strict(self) -> bool:
        """``>``/``<``: the level itself does not meet the target ("> 2,516")."""
        return self in (Op.GT, Op.LT)

    @property
    def polarity(self) -> Polarity:
        """The polarity this operator implies (``>=`` wants a higher figure)."""
        return Polarity.HIGHER_IS_BETTER if self in (Op.GE, Op.GT) else Polarity.LOWER_IS_BETTER

    def meets(self, value: float, level: float) -> bool:
        match self:
            case Op.GE:
                return value >= level
            case Op.GT:
                return value > level
            case Op.LE:
                return value <= level
            case Op.LT:
                return value < level
            case _:  # pragma: no cover
                assert_never(self)


class TargetKind(StrEnum):
    """What a target sets: a level, a % change against the comparator, or a reduction on the
    average of a baseline span."""

    LEVEL = "level"
    CHANGE = "change"
    BASELINE_REDUCTION = "baseline_reduction"


class Status(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def letter(self) -> str:
        """``G``, ``A``, ``R``: the status never shown by colour alone."""
        return self.value[0].upper()


class StatusFrom(StrEnum):
    """What drives a row's headline status: the target (rag), SPC, or the target with the SPC
    verdict beside it in the reason (both)."""

    RAG = "rag"
    SPC = "spc"
    BOTH = "both"


# -- change, significance and peers ------------------------------------------------------------


class ChangeDirection(StrEnum):
    """Which way the latest figure moved against its comparator, as published."""

    UP = "up"
    DOWN = "down"
    LEVEL = "level"

    @classmethod
    def of(cls, shown: float) -> ChangeDirection:
        """The direction of a change as published (``shown``: rounded to the decimals it is
        written with, ``kpiboard.precision``), so a change written as nothing is level."""
        return cls.UP if shown > 0 else cls.DOWN if shown < 0 else cls.LEVEL


class ChangeKind(StrEnum):
    """What a new vintage did to one month of a measure or record source."""

    ADDED = "added"  # the month had no figure before
    REVISED = "revised"  # it had, and some figure of it changed
    REMOVED = "removed"  # it has no figure any more


class RevisedSince(StrEnum):
    """What a figure marked revised is compared with: the vintage a published pack of the
    organisation and month was built from, else the first vintage with a figure for the month."""

    PUBLISHED = "published"
    FIRST_REPORTED = "first_reported"

    @property
    def words(self) -> str:
        """``"published"``, ``"first reported"``: as the mark says it."""
        return self.value.replace("_", " ")


class SignificanceVerdict(StrEnum):
    """Whether a difference is more than chance."""

    SIGNIFICANT = "statistically significant"
    NOT_SIGNIFICANT = "within normal variation"


class RankVerdict(StrEnum):
    """The home organisation against the pooled figure of the other members of its group."""

    HIGHER = "significantly higher"
    LOWER = "significantly lower"
    NOT_DIFFERENT = "not significantly different"


class FunnelPosition(StrEnum):
    """Where a member's rate falls against the funnel's limits at its population."""

    ABOVE_998 = "above_998"
    ABOVE_95 = "above_95"
    WITHIN = "within"
    BELOW_95 = "below_95"
    BELOW_998 = "below_998"


# -- statistical process control ---------------------------------------------------------------

TREND_POINTS = 7  # consecutive rising (or falling) points make a trend
RUN_POINTS = 7  # consecutive points on one side of the mean make a run (a "shift")
TWO_OF_THREE_WINDOW = 3  # ... of this many consecutive points on one side of the mean
TWO_OF_THREE_CLOSE = 2  # at least this many beyond two sigma (but inside the limits)


class Direction(StrEnum):
    """Which way is improvement on an SPC chart. ``sign`` is +1, -1 or 0."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NEUTRAL = "neutral"

    @property
    def sign(self) -> int:
        match self:
            case Direction.INCREASE:
                return 1
            case Direction.DECREASE:
                return -1
            case Direction.NEUTRAL:
                return 0
            case _:  # pragma: no cover
                assert_never(self)


class PointType(StrEnum):
    COMMON_CAUSE = "common_cause"
    SPECIAL_CAUSE_IMPROVEMENT = "special_cause_improvement"
    SPECIAL_CAUSE_CONCERN = "special_cause_concern"
    SPECIAL_CAUSE_NEUTRAL_HIGH = "special_cause_neutral_high"
    SPECIAL_CAUSE_NEUTRAL_LOW = "special_cause_neutral_low"


class Variation(StrEnum):
    """The variation icon: the last point's type, with the side it is on."""

    COMMON_CAUSE = "common_cause"
    IMPROVEMENT_HIGH = "improvement_high"
    IMPROVEMENT_LOW = "improvement_low"
    CONCERN_HIGH = "concern_high"
    CONCERN_LOW = "concern_low"
    NEUTRAL_HIGH = "neutral_high"
    NEUTRAL_LOW = "neutral_low"


class Assurance(StrEnum):
    """The assurance icon: where the target lies against the last point's limits."""

    CONSISTENT_PASS = "consistent_pass"
    CONSISTENT_FAIL = "consistent_fail"
    INCONSISTENT = "inconsistent"


class Rule(StrEnum):
    """The rule that decided a point, one per point, by precedence (outside limits > trend >
    2 of 3 > run). ``label`` is NHSRplotthedots' wording, ``side`` +1 for high, -1 for low."""

    COMMON_CAUSE = "common_cause"
    OUTSIDE_LIMITS_ABOVE = "outside_limits_above"
    OUTSIDE_LIMITS_BELOW = "outside_limits_below"
    TREND_INCREASING = "trend_increasing"
    TREND_DECREASING = "trend_decreasing"
    TWO_OF_THREE_ABOVE = "two_of_three_above"
    TWO_OF_THREE_BELOW = "two_of_three_below"
    RUN_ABOVE = "run_above"
    RUN_BELOW = "run_below"

    @property
    def label(self) -> str:
        return _RULE_LABELS[self]

    @property
    def side(self) -> int:
        if self is Rule.COMMON_CAUSE:
            return 0
        return 1 if self.value.endswith(("_above", "_increasing")) else -1


_RULE_LABELS = {
    Rule.COMMON_CAUSE: "Common Cause",
    Rule.OUTSIDE_LIMITS_ABOVE: "Above UCL",
    Rule.OUTSIDE_LIMITS_BELOW: "Below LCL",
    Rule.TREND_INCREASING: f"{TREND_POINTS} Point Trend (Increasing)",
    Rule.TREND_DECREASING: f"{TREND_POINTS} Point Trend (Decreasing)",
    Rule.TWO_OF_THREE_ABOVE: f"{TWO_OF_THREE_CLOSE} in {TWO_OF_THREE_WINDOW} Above CL",
    Rule.TWO_OF_THREE_BELOW: f"{TWO_OF_THREE_CLOSE} in {TWO_OF_THREE_WINDOW} Below CL",
    Rule.RUN_ABOVE: f"{RUN_POINTS} Points Above CL",
    Rule.RUN_BELOW: f"{RUN_POINTS} Points Below CL",
}


class SummaryKind(StrEnum):
    """What a sentence of a pack's executive summary says (kpiboard.brief)."""

    COUNTS = "counts"  # the counts by status, against the last pack's
    MOVED = "moved"  # a KPI moved to Red or Amber (for a first pack: is Red or Amber)
    IMPROVED = "improved"  # a KPI moved to Green
    SIGNAL = "signal"  # a special-cause signal the last pack did not show
    SIGNIFICANT = "significant"  # a change more than chance
    RANK = "rank"  # a rank that moved within its peer group


# -- units: what a figure written in a unit is -------------------------------------------------

RATIO_UNIT = ": 1"  # the unit of a ratio: formatting.with_unit(0.6, RATIO_UNIT, 1) is "0.6 : 1"


def unit_title(unit: str | None) -> str:
    """What figures written in ``unit`` are, for an axis or a column: ``Ratio (x : 1)``,
    ``Rate per 1,000``, ``Percentage (%)``, ``Value (£m)``.

    >>> unit_title(RATIO_UNIT), unit_title("per 1,000"), unit_title("%"), unit_title("")
    ('Ratio (x : 1)', 'Rate per 1,000', 'Percentage (%)', 'Value')
    """
    unit = (unit or "").strip()
    if unit == RATIO_UNIT:
        return "Ratio (x : 1)"
    if unit.startswith("per "):
        return f"Rate {unit}"
    if unit == "%":
        return "Percentage (%)"
    return f"Value ({unit})" if unit else "Value"


def mean_name(unit: str | None) -> str:
    """The unweighted mean of members' figures written in ``unit``, named for what it averages.

    >>> mean_name(RATIO_UNIT), mean_name("per 1,000"), mean_name("%"), mean_name("£m")
    ('mean of ratios', 'mean of rates', 'mean of percentages', "mean of members' values")
    """
    unit = (unit or "").strip()
    if unit == RATIO_UNIT:
        return "mean of ratios"
    if unit.startswith("per "):
        return "mean of rates"
    return "mean of percentages" if unit == "%" else "mean of members' values"
