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
from kpiboard.precision import against_target, common_decimals
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
    w = _words(measure, target, figure, goal, decimals, moe)
    if w.met is not None:
        return Assessment(Status.GREEN, w.met, 0.0, 0.0)
    gap, gap_text, gap_unit, head = w.gap, w.gap_text, w.gap_unit, w.head
    relative = abs(level - target.level) / abs(target.level) * 100.0 if target.level else None
    tol = rule.amber_within
    if tol.margin_of_error:
        if moe is None:
            return Assessment(
                None, head + "; no sample sizes to judge it against its margin of error", gap
            )
        moe_text = w.moe_text
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


@dataclass(frozen=True)
class _Words:
    """The figure against its target in words: ``met`` (the green reason) when the figure as
    published meets it, else the ``head`` of the reason with the gap and the margin's text."""

    met: str | None
    gap_unit: str
    head: str = ""
    gap: float = 0.0
    gap_text: str = ""
    moe_text: str = ""


def _words(
    measure: Measure,
    target: Resolved,
    figure: float,
    goal: float,
    decimals: int,
    moe: float | None,
) -> _Words:
    """The figure and the target by the precision rule (``kpiboard.precision``): never "77%
    is 0 pts below the 77% target"; the status itself is judged on the figure as published,
    and where that differs from the figure's own side of the target the words say so."""
    is_change = target.change is not None
    shown = round_half_up(figure, decimals)
    gap_unit = "pts" if is_change or measure.unit in ("%", "pts") else measure.unit
    vs = against_target(
        figure,
        goal,
        measure.unit,
        decimals,
        decimals_of(goal),
        gap_unit=gap_unit,
        as_change=is_change,
    )
    published = _figure_text(figure, measure.unit, decimals, is_change)
    fig_text = vs.figure_text
    # the target as its author wrote it ("-2%", "51.4%", "> 2,516") unless the figure needs
    # more decimals to differ from it
    goal_text = target_text(goal, measure.unit, vs.goal_decimals, change=is_change, op=target.op)
    if target.op.meets(shown, goal):
        better = "on" if vs.level else "better than"
        if target.op.strict:
            better = "meets"
        if not vs.level and not target.op.meets(figure, goal):
            fig_text, better = f"{fig_text} ({published} as published)", "meets"
        return _Words(f"{fig_text} {better} the {goal_text} target", gap_unit)
    gap, gap_places = abs(figure - goal), vs.decimals
    if target.op.meets(figure, goal):  # short only as published
        gap, gap_places = abs(shown - goal), max(decimals, vs.goal_decimals)
        fig_text = f"{published} as published"
    moe_places = decimals
    if moe is not None and (places := common_decimals(gap, gap_places, moe, decimals)):
        gap_places = moe_places = places  # the shortfall and the margin compare as printed
        if not target.op.meets(figure, goal):  # and the figure the shortfall is taken from
            fig_text = _figure_text(figure, measure.unit, max(places, vs.decimals), is_change)
    gap_text = with_unit(gap, gap_unit, gap_places) if gap_unit else number(gap, gap_places)
    level_with = vs.level and not target.op.meets(figure, goal)
    short = "level with" if level_with else f"{gap_text} {measure.polarity.short_side}"
    head = f"{fig_text} is {short} the {goal_text} target"
    if is_change and not level_with:  # a change against the target change, in points
        gap_text = f"{number(gap, gap_places)} points"
        head = f"{fig_text} against a target of {goal_text}: {gap_text} short of the {_aim(goal)}"
    return _Words(
        None,
        gap_unit,
        head,
        gap,
        gap_text,
        f"+/-{number(moe, moe_places)} pts" if moe is not None else "",
    )


def _figure_text(figure: float, unit: str, decimals: int, is_change: bool) -> str:
    return percent_change(figure, decimals) if is_change else with_unit(figure, unit, decimals)
