"""Known answers for the vocabulary: every category's strings (the JSON, CSS classes and icon
names use them), and the decisions a category makes by itself."""

from __future__ import annotations

import json
from enum import StrEnum

import pytest

from kpiboard import vocabulary
from kpiboard.vocabulary import (
    Assurance,
    ChangeDirection,
    ChangeKind,
    ComparatorKind,
    Direction,
    FactKind,
    FunnelPosition,
    MeasureKind,
    Op,
    PointType,
    Polarity,
    RankVerdict,
    RevisedSince,
    Rule,
    SignificanceVerdict,
    Status,
    StatusFrom,
    SummaryKind,
    TargetKind,
    Variation,
    WindowKind,
)

HIGHER = Polarity.HIGHER_IS_BETTER
LOWER = Polarity.LOWER_IS_BETTER

VALUES: dict[type[StrEnum], list[str]] = {
    Polarity: ["higher_is_better", "lower_is_better"],
    MeasureKind: [
        "count",
        "proportion",
        "per_population",
        "mean",
        "snapshot",
        "difference",
        "ratio",
        "composite",
    ],
    ComparatorKind: ["same_window_last_year", "previous_financial_year", "year_start", "none"],
    FactKind: ["monthly_average", "forecast", "drop_off", "range", "fytd"],
    WindowKind: ["month", "rolling_3", "quarter", "rolling_12", "fytd", "financial_year"],
    Op: [">=", ">", "<=", "<"],
    TargetKind: ["level", "change", "baseline_reduction"],
    Status: ["green", "amber", "red"],
    StatusFrom: ["rag", "spc", "both"],
    ChangeDirection: ["up", "down", "level"],
    ChangeKind: ["added", "revised", "removed"],
    RevisedSince: ["published", "first_reported"],
    SignificanceVerdict: ["statistically significant", "within normal variation"],
    RankVerdict: ["significantly higher", "significantly lower", "not significantly different"],
    FunnelPosition: ["above_998", "above_95", "within", "below_95", "below_998"],
    Direction: ["increase", "decrease", "neutral"],
    PointType: [
        "common_cause",
        "special_cause_improvement",
        "special_cause_concern",
        "special_cause_neutral_high",
        "special_cause_neutral_low",
    ],
    Variation: [
        "common_cause",
        "improvement_high",
        "improvement_low",
        "concern_high",
        "concern_low",
        "neutral_high",
        "neutral_low",
    ],
    Assurance: ["consistent_pass", "consistent_fail", "inconsistent"],
    Rule: [
        "common_cause",
        "outside_limits_above",
        "outside_limits_below",
        "trend_increasing",
        "trend_decreasing",
        "two_of_three_above",
        "two_of_three_below",
        "run_above",
        "run_below",
    ],
    SummaryKind: ["counts", "moved", "improved", "signal", "significant", "rank"],
}


@pytest.mark.parametrize("enum", list(VALUES), ids=lambda e: e.__name__)
def test_every_category_keeps_its_strings_in_order(enum: type[StrEnum]) -> None:
    assert [m.value for m in enum] == VALUES[enum]


def test_every_category_in_the_module_is_listed_here() -> None:
    defined = {
        obj
        for obj in vars(vocabulary).values()
        if isinstance(obj, type) and issubclass(obj, StrEnum) and obj is not StrEnum
    }
    assert defined == set(VALUES)


def test_a_revision_baseline_is_said_in_words() -> None:
    assert [k.words for k in RevisedSince] == ["published", "first reported"]


def test_a_category_is_written_as_its_string() -> None:
    assert json.dumps({"s": Status.AMBER, "v": Variation.CONCERN_HIGH}) == (
        '{"s": "amber", "v": "concern_high"}'
    )
    assert f"{Polarity.LOWER_IS_BETTER}" == "lower_is_better" == str(LOWER)
    assert Op.GT == ">" and f"{Op.LE} 5" == "<= 5"


@pytest.mark.parametrize(
    ("polarity", "a", "b", "better"),
    [
        (HIGHER, 5.0, 3.0, True),
        (HIGHER, 3.0, 5.0, False),
        (HIGHER, 4.0, 4.0, None),
        (LOWER, 3.0, 5.0, True),
        (LOWER, 5.0, 3.0, False),
        (LOWER, 4.0, 4.0, None),
        (HIGHER, -0.1, 0.0, False),
        (LOWER, -0.1, 0.0, True),
    ],
)
def test_polarity_decides_which_of_two_figures_is_better(
    polarity: Polarity, a: float, b: float, better: bool | None
) -> None:
    assert polarity.better(a, b) is better


def test_what_a_polarity_implies() -> None:
    assert (HIGHER.sign, LOWER.sign) == (1, -1)
    assert (HIGHER.direction, LOWER.direction) == (Direction.INCREASE, Direction.DECREASE)
    assert (HIGHER.default_op, LOWER.default_op) == (Op.GE, Op.LE)
    assert (HIGHER.short_side, LOWER.short_side) == ("below", "above")
    assert (HIGHER.words, LOWER.words) == ("higher is better", "lower is better")


def test_an_operator_implies_its_polarity_and_is_met_or_not() -> None:
    assert [op.polarity for op in Op] == [HIGHER, HIGHER, LOWER, LOWER]
    assert [op.strict for op in Op] == [False, True, False, True]
    assert [op.meets(5.0, 5.0) for op in Op] == [True, False, True, False]
    assert [op.meets(6.0, 5.0) for op in Op] == [True, True, False, False]
    assert [op.meets(4.0, 5.0) for op in Op] == [False, False, True, True]
    # a target's default operator agrees with the polarity it came from
    assert all(p.default_op.polarity is p for p in Polarity)


def test_status_letters() -> None:
    assert [s.letter for s in Status] == ["G", "A", "R"]


@pytest.mark.parametrize(
    ("shown", "direction"),
    [(0.1, ChangeDirection.UP), (-0.1, ChangeDirection.DOWN), (0.0, ChangeDirection.LEVEL)],
)
def test_a_change_as_published_goes_up_down_or_is_level(
    shown: float, direction: ChangeDirection
) -> None:
    assert ChangeDirection.of(shown) is direction


def test_spc_direction_signs() -> None:
    assert [d.sign for d in Direction] == [1, -1, 0]


def test_rules_have_a_side_and_the_reference_packages_label() -> None:
    assert [r.side for r in Rule] == [0, 1, -1, 1, -1, 1, -1, 1, -1]
    assert [r.label for r in Rule] == [
        "Common Cause",
        "Above UCL",
        "Below LCL",
        "7 Point Trend (Increasing)",
        "7 Point Trend (Decreasing)",
        "2 in 3 Above CL",
        "2 in 3 Below CL",
        "7 Points Above CL",
        "7 Points Below CL",
    ]
