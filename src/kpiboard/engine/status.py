"""Red / amber / green with a reason a board member understands.

Green: on or better than target. Amber: short of it, within the tolerance. Red: beyond it.
The comparison with the target uses the figure as published (rounded to the measure's
decimals), so a row never reads "32% against 32%: amber". Tolerances:

* ``percent``: the shortfall relative to the target level (a % change target is turned into a
  level first: comparator x (1 + change)), so one rule serves levels and changes alike;
* ``points``: the shortfall in the measure's own unit (or in points of % change);
* ``margin_of_error``: amber while the shortfall is within the 95% margin of error, red when
  it exceeds it (the target is then missed beyond sampling noise).

A change target's reason speaks of changes ("-2.4% against a target of -5%: 2.6 points short
of the reduction") and names the level it implies as a level ("the target level is 3,456;
this year's 3,549 is 2.7% above it"), never a level's shortfall beside a change.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.catalogue.schema import Measure, StatusRule
from kpiboard.engine.targets import Resolved, target_text
from kpiboard.formatting import decimals_of, number, percent_change, round_half_up, with_unit
from kpiboard.vocabulary import Status

CHANGE_DECIMALS = 1  # % changes are published to one decimal place


@dataclass(frozen=True)
class Assessment:
    status: Status | None
    reason: str
    shortfall: float | None = None  # in the assessed figure's unit
    relative_shortfall: float | None = None  # % of the target level


def _unit(measure: Measure) -> str:
    return "pts" if measure.unit == "%" else measure.unit


def assess(
    measure: Measure,
    rule: StatusRule,
    target: Resolved,
    *,
    figure: float,
    level: float,
    moe: float | None = None,
) -> Assessment:
    """Assess ``figure`` (the level, or the % change for a change target) against ``target``.

    ``level`` is the measure's level (equal to ``figure`` except for change targets).
    """
    assert target.level is not None
    is_change = target.change is not None
    decimals = CHANGE_DECIMALS if is_change else measure.decimals
    goal = target.change if is_change else target.level
    assert goal is not None
    shown = round_half_up(figure, decimals)
    fig_text = (
        percent_change(figure, decimals) if is_change else with_unit(figure, measure.unit, decimals)
    )
    # the target as its author wrote it ("-2%", "51.4%", "> 2,516"), the figure as published
    goal_text = target_text(goal, measure.unit, decimals_of(goal), change=is_change, op=target.op)
    if target.op.meets(shown, goal):
        better = "better than" if shown != goal else "on"
        if target.op.strict:
            better = "meets"
        return Assessment(Status.GREEN, f"{fig_text} {better} the {goal_text} target", 0.0, 0.0)

    gap = abs(figure - goal)
    gap_unit = "pts" if is_change or measure.unit in ("%", "pts") else measure.unit
    gap_text = with_unit(gap, gap_unit, decimals) if gap_unit else number(gap, decimals)
    if is_change:  # a change against the target change, in points of % change
        gap_text = f"{number(gap, decimals)} points"
        head = f"{fig_text} against a target of {goal_text}: {gap_text} short of the {_aim(goal)}"
    else:
        head = f"{fig_text} is {gap_text} {measure.polarity.short_side} the {goal_text} target"
    relative = abs(level - target.level) / abs(target.level) * 100.0 if target.level else None
    tol = rule.amber_within
    if tol.margin_of_error:
        if moe is None:
            return Assessment(
                None, head + "; no sample sizes to judge it against its margin of error", gap
            )
        moe_text = f"+/-{number(moe, decimals)} pts"
        if gap > moe:
            return Assessment(
                Status.RED,
                f"{head}, more than the {moe_text} margin of error: the target is being missed",
                gap,
                relative,
            )
        return Assessment(
            Status.AMBER, f"{head}, within the {moe_text} margin of error", gap, relative
        )
    if tol.percent is not None:
        if relative is None:  # a zero target: no shortfall is a small part of it
            return Assessment(
                Status.RED, f"{head} (a target of zero leaves no relative tolerance)", gap
            )
        within = relative <= tol.percent
        words = (
            _implied_level(measure, target.level, level, relative)
            if is_change
            else f"{number(relative, 1)}% short of the target level"
        )
        limit = f"the {number(tol.percent, decimals_of(tol.percent))}% tolerance"
    else:
        assert tol.points is not None
        within = gap <= tol.points
        # a change's head already says how far short, in points
        words = "" if is_change else f"{gap_text} short"
        points_unit = "points" if is_change else gap_unit
        limit = f"the {with_unit(tol.points, points_unit, decimals_of(tol.points))} tolerance"
    clause = ", ".join(w for w in (words, f"{'within' if within else 'beyond'} {limit}") if w)
    return Assessment(Status.AMBER if within else Status.RED, f"{head} ({clause})", gap, relative)


def _aim(change: float) -> str:
    return "reduction" if change < 0 else "increase" if change > 0 else "target change"


def _implied_level(measure: Measure, target_level: float, level: float, relative: float) -> str:
    """The level a change target implies, named as a level: "the target level is 3,456; this
    year's 3,549 is 2.7% above it"."""
    side = "above" if level > target_level else "below" if level < target_level else "on"
    shown = f"{number(relative, 1)}% {side} it" if side != "on" else "on it"
    return (
        f"the target level is {with_unit(target_level, measure.unit, measure.decimals)}; "
        f"this year's {with_unit(level, measure.unit, measure.decimals)} is {shown}"
    )
