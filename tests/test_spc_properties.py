"""Invariants of the SPC engine, checked on generated series (hypothesis).

Series are integers (so sums, shifts and ties are exact in floating point), sometimes with a
step change so that special causes are common. Where a property could be upset only by a
point lying within rounding of a boundary (the mean, a limit, a two-sigma line), the example
is skipped with ``assume``: such ties are decided by the last bit, not by the method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kpiboard.engine.spc import (
    MIN_FIX_AFTER,
    Assurance,
    Direction,
    PointType,
    Rule,
    SpcResult,
    Variation,
    spc,
    spc_many,
)

FAST = settings(max_examples=60, deadline=None)
SWAP_TYPE = {
    PointType.SPECIAL_CAUSE_IMPROVEMENT: PointType.SPECIAL_CAUSE_CONCERN,
    PointType.SPECIAL_CAUSE_CONCERN: PointType.SPECIAL_CAUSE_IMPROVEMENT,
}
SWAP_VARIATION = {
    Variation.IMPROVEMENT_HIGH: Variation.CONCERN_HIGH,
    Variation.IMPROVEMENT_LOW: Variation.CONCERN_LOW,
    Variation.CONCERN_HIGH: Variation.IMPROVEMENT_HIGH,
    Variation.CONCERN_LOW: Variation.IMPROVEMENT_LOW,
}
SWAP_ASSURANCE = {
    Assurance.CONSISTENT_PASS: Assurance.CONSISTENT_FAIL,
    Assurance.CONSISTENT_FAIL: Assurance.CONSISTENT_PASS,
}
MIRROR_RULE = {
    Rule.OUTSIDE_LIMITS_ABOVE: Rule.OUTSIDE_LIMITS_BELOW,
    Rule.TREND_INCREASING: Rule.TREND_DECREASING,
    Rule.TWO_OF_THREE_ABOVE: Rule.TWO_OF_THREE_BELOW,
    Rule.RUN_ABOVE: Rule.RUN_BELOW,
}
MIRROR_RULE |= {v: k for k, v in MIRROR_RULE.items()}
MIRROR_VARIATION = {
    Variation.IMPROVEMENT_HIGH: Variation.IMPROVEMENT_LOW,
    Variation.CONCERN_HIGH: Variation.CONCERN_LOW,
}
MIRROR_VARIATION |= {v: k for k, v in MIRROR_VARIATION.items()}
DIRECTIONS = st.sampled_from([Direction.INCREASE, Direction.DECREASE])


@st.composite
def series(draw: Any, min_size: int = 1, max_size: int = 40) -> list[float]:
    """Integer-valued series, half of them with a step change part-way."""
    values = draw(st.lists(st.integers(-50, 50), min_size=min_size, max_size=max_size))
    if draw(st.booleans()) and len(values) > 2:
        at, step = draw(st.integers(1, len(values) - 1)), draw(st.integers(-200, 200))
        values = values[:at] + [v + step for v in values[at:]]
    return [float(v) for v in values]


def clear_of_boundaries(r: SpcResult) -> bool:
    """No value within rounding of the mean, a limit or a two-sigma line."""
    tol = 1e-9 * (1 + float(np.abs(r.values).max()))
    for line in (r.mean, r.lpl, r.upl, r.nlpl, r.nupl):
        close = np.abs(r.values - line) < tol
        if np.any(close & (r.values != line)):  # exactly on it is exact in both; nearly is not
            return False
    return True


def same_judgement(a: SpcResult, b: SpcResult) -> None:
    assert a.point_type == b.point_type
    assert a.rule == b.rule
    assert a.variation == b.variation


@FAST
@given(series(), st.integers(-10_000, 10_000), DIRECTIONS)
def test_adding_a_constant_shifts_mean_and_limits_and_changes_no_point(
    values: list[float], c: int, direction: Direction
) -> None:
    a = spc(values, direction=direction)
    b = spc([v + c for v in values], direction=direction)
    assume(clear_of_boundaries(a) and clear_of_boundaries(b))
    for key in ("mean", "lpl", "upl"):
        np.testing.assert_allclose(getattr(b, key), getattr(a, key) + c, rtol=1e-9, atol=1e-9)
    same_judgement(a, b)


@FAST
@given(series(), st.floats(0.01, 100), DIRECTIONS)
def test_scaling_by_a_positive_factor_scales_the_limits(
    values: list[float], k: float, direction: Direction
) -> None:
    a = spc(values, direction=direction)
    b = spc([v * k for v in values], direction=direction)
    assume(clear_of_boundaries(a) and clear_of_boundaries(b))
    for key in ("mean", "lpl", "upl", "nlpl", "nupl"):
        np.testing.assert_allclose(getattr(b, key), getattr(a, key) * k, rtol=1e-9, atol=1e-9)
    same_judgement(a, b)


@FAST
@given(series(), st.one_of(st.none(), st.integers(-300, 300)))
def test_reversing_the_direction_swaps_improvement_and_concern(
    values: list[float], target: int | None
) -> None:
    up = spc(values, direction="increase", target=target)
    down = spc(values, direction="decrease", target=target)
    assert down.rule == up.rule
    assert down.point_type == tuple(SWAP_TYPE.get(t, t) for t in up.point_type)
    assert down.variation == SWAP_VARIATION.get(up.variation, up.variation)
    assert down.assurance == (
        SWAP_ASSURANCE.get(up.assurance, up.assurance) if up.assurance else None
    )


@FAST
@given(series(), DIRECTIONS)
def test_turning_the_chart_upside_down_mirrors_every_rule(
    values: list[float], direction: Direction
) -> None:
    a = spc(values, direction=direction)
    flipped = Direction.DECREASE if direction is Direction.INCREASE else Direction.INCREASE
    b = spc([-v for v in values], direction=flipped)
    assume(clear_of_boundaries(a))
    np.testing.assert_allclose(b.lpl, -a.upl, rtol=1e-12, atol=1e-12)
    assert b.point_type == a.point_type  # better is still better
    assert b.rule == tuple(MIRROR_RULE.get(r, r) for r in a.rule)
    assert b.variation == MIRROR_VARIATION.get(a.variation, a.variation)


@FAST
@given(series())
def test_a_neutral_measure_marks_the_same_points_high_or_low(values: list[float]) -> None:
    up = spc(values, direction="increase")
    neutral = spc(values, direction="neutral")
    expected = tuple(
        PointType.COMMON_CAUSE
        if r is Rule.COMMON_CAUSE
        else PointType.SPECIAL_CAUSE_NEUTRAL_HIGH
        if r.side > 0
        else PointType.SPECIAL_CAUSE_NEUTRAL_LOW
        for r in up.rule
    )
    assert neutral.point_type == expected
    assert neutral.rule == up.rule and neutral.assurance is None
    assert neutral.variation in (
        Variation.COMMON_CAUSE,
        Variation.NEUTRAL_HIGH,
        Variation.NEUTRAL_LOW,
    )


@FAST
@given(series())
def test_reversing_time_keeps_the_limits_and_the_special_cause_points(values: list[float]) -> None:
    a = spc(values)
    b = spc(values[::-1])
    assume(clear_of_boundaries(a) and clear_of_boundaries(b))
    for key in ("mean", "lpl", "upl"):
        np.testing.assert_allclose(getattr(b, key)[::-1], getattr(a, key), rtol=1e-9, atol=1e-9)
    special = [t is not PointType.COMMON_CAUSE for t in a.point_type]
    assert [t is not PointType.COMMON_CAUSE for t in b.point_type][::-1] == special


@FAST
@given(series(max_size=30), series(max_size=30), st.one_of(st.none(), st.integers(-100, 100)))
def test_a_rebase_is_the_same_as_two_separate_charts(
    a: list[float], b: list[float], target: int | None
) -> None:
    whole = spc(a + b, rebase_indices=[len(a)], target=target)
    first, second = spc(a, target=target), spc(b, target=target)
    for key in ("mean", "lpl", "upl", "trial_limits"):
        np.testing.assert_array_equal(
            getattr(whole, key), np.concatenate([getattr(first, key), getattr(second, key)])
        )
    assert whole.point_type == first.point_type + second.point_type
    assert whole.rule == first.rule + second.rule
    assert whole.rebase_group.tolist() == [0] * len(a) + [1] * len(b)
    assert (whole.variation, whole.assurance) == (second.variation, second.assurance)
    np.testing.assert_array_equal(spc(a, rebase_indices=[0]).upl, first.upl)


@FAST
@given(series(min_size=MIN_FIX_AFTER, max_size=40), st.integers(MIN_FIX_AFTER, 45))
def test_fixed_limits_are_the_limits_of_the_baseline(values: list[float], n: int) -> None:
    fixed = spc(values, fix_after=n)
    baseline = spc(values[:n])
    np.testing.assert_array_equal(fixed.upl, np.full(len(values), baseline.upl[0]))
    np.testing.assert_array_equal(fixed.mean, np.full(len(values), baseline.mean[0]))
    if n >= len(values):
        same_judgement(fixed, spc(values))


@FAST
@given(series(min_size=2))
def test_limits_are_ordered_and_screening_never_widens_them(values: list[float]) -> None:
    r = spc(values)
    unscreened = spc(values, screen_outliers=False)
    assert np.all(r.lpl <= r.nlpl) and np.all(r.nlpl <= r.mean) and np.all(r.mean <= r.nupl)
    assert np.all(r.nupl <= r.upl)
    np.testing.assert_allclose(r.upl - r.mean, r.mean - r.lpl, rtol=1e-9, atol=1e-9)
    assert np.all(r.upl - r.lpl <= unscreened.upl - unscreened.lpl + 1e-9)


@FAST
@given(
    st.lists(series(min_size=12, max_size=12), min_size=1, max_size=6),
    st.lists(st.sampled_from(list(Direction)), min_size=6, max_size=6),
)
def test_the_batch_gives_the_same_answers_as_one_series_at_a_time(
    rows: list[list[float]], directions: list[Direction]
) -> None:
    dirs = directions[: len(rows)]
    targets = [None if d is Direction.NEUTRAL else 0.0 for d in dirs]
    many = spc_many(np.array(rows), dirs, targets=targets)
    for row, d, t, got in zip(rows, dirs, targets, many, strict=True):
        one = spc(row, direction=d, target=t)
        for key in ("values", "mean", "lpl", "upl", "nlpl", "nupl", "rebase_group", "trial_limits"):
            np.testing.assert_array_equal(getattr(got, key), getattr(one, key))
        assert (got.point_type, got.rule) == (one.point_type, one.rule)
        assert (got.variation, got.assurance, got.direction, got.target) == (
            one.variation,
            one.assurance,
            one.direction,
            one.target,
        )


@FAST
@given(series(), DIRECTIONS)
def test_each_point_type_agrees_with_its_rule_and_the_direction(
    values: list[float], direction: Direction
) -> None:
    r = spc(values, direction=direction)
    for t, rule in zip(r.point_type, r.rule, strict=True):
        good = rule.side * direction.sign
        assert t is (
            PointType.COMMON_CAUSE
            if good == 0
            else PointType.SPECIAL_CAUSE_IMPROVEMENT
            if good > 0
            else PointType.SPECIAL_CAUSE_CONCERN
        )
