"""A KPI's monthly series through statistical process control: which months, which target the
assurance is judged against, the row's Spc block, and a status from it when a measure asks.

The series is the run of consecutive months with a monthly value ending at the month of the
latest figure, at most ``spc.months`` long. A missing month ends it: nothing is interpolated.
Rolling-year survey estimates have no monthly series and get no SPC.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import assert_never

from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Evaluator, Value
from kpiboard.engine.spc import SpcResult, spc
from kpiboard.engine.targets import Resolved
from kpiboard.formatting import decimals_of, with_unit
from kpiboard.periods import Window, format_month, parse_month, short_month, span_label
from kpiboard.scorecard import Spc, SpcPoint
from kpiboard.vocabulary import Assurance, Direction, MeasureKind, Status, Variation, WindowKind

SPC_MIN_POINTS = 12  # fewer monthly points than this: no SPC verdict (limits would mean little)
MONTHS_IN_YEAR = 12
SUMMABLE = (MeasureKind.COUNT, MeasureKind.COMPOSITE)
_MONTH = re.compile(r"^\d{4}-\d{2}$")

VARIATION_TEXT = {
    "common_cause": "Common cause variation",
    "improvement_high": "Special cause improvement (higher)",
    "improvement_low": "Special cause improvement (lower)",
    "concern_high": "Special cause concern (higher)",
    "concern_low": "Special cause concern (lower)",
    "neutral_high": "Special cause variation (higher), neither improvement nor concern",
    "neutral_low": "Special cause variation (lower), neither improvement nor concern",
}
# the rule at a point, in a board paper's words (the reference package's labels are terse)
RULE_TEXT = {
    "common_cause": "no special cause",
    "outside_limits_above": "above the upper process limit",
    "outside_limits_below": "below the lower process limit",
    "trend_increasing": "a run of 7 rising points",
    "trend_decreasing": "a run of 7 falling points",
    "two_of_three_above": "2 of 3 points close to the upper limit",
    "two_of_three_below": "2 of 3 points close to the lower limit",
    "run_above": "7 points in a row above the mean",
    "run_below": "7 points in a row below the mean",
}
# the assurance icon's words, and the same as the clause of a sentence
ASSURANCE_LABEL = {
    "consistent_pass": "Consistently meets the target",
    "consistent_fail": "Consistently misses the target",
    "inconsistent": "Inconsistently meets the target (hit and miss)",
}
# why a neutral measure's target has no assurance icon (SPC-METHOD: none without a direction)
NO_ASSURANCE_NEUTRAL = "no assurance: a neutral measure has no better direction"

ASSURANCE_TEXT = {
    "consistent_pass": "the process will consistently meet the target",
    "consistent_fail": "the process will consistently miss the target unless it changes",
    "inconsistent": "the process will meet the target only some of the time (hit and miss)",
}


def monthly_series(
    ev: Evaluator, m: Measure, org: str, end: int, months: int
) -> list[tuple[int, float]]:
    """(month, value) for the consecutive months ending at ``end`` that have a monthly value."""
    out: list[tuple[int, float]] = []
    for month in range(end, end - months, -1):
        value = ev.evaluate(m.id, org, Window(WindowKind.MONTH, month, month))
        if value is None or not math.isfinite(value.value):
            break
        out.append((month, value.value))
    out.reverse()
    return out


def direction_of(m: Measure) -> Direction:
    if m.spc.direction is not None:
        return m.spc.direction
    return m.polarity.direction


def monthly_target(m: Measure, target: Resolved | None, latest: Value) -> float | None:
    """The target as a monthly figure: a count's annual target (or a change target's level for
    the window) spread evenly over its months; a rate's or proportion's target as it is."""
    if target is None or target.level is None:
        return None
    if m.kind in SUMMABLE or (m.kind is MeasureKind.PER_POPULATION):
        length = latest.window.length if target.change is not None else MONTHS_IN_YEAR
        return target.level / length
    return target.level


def spc_block(
    ev: Evaluator, m: Measure, org: str, latest: Value, target: Resolved | None
) -> Spc | None:
    """The row's SPC verdict, or None when the measure has too short a monthly series."""
    series = monthly_series(ev, m, org, latest.window.last, m.spc.months)
    if len(series) < SPC_MIN_POINTS:
        return None
    months = [mm for mm, _ in series]
    direction = direction_of(m)
    goal = monthly_target(m, target, latest)  # drawn for a neutral measure; assured for others
    rebase = [months.index(r) for r in (parse_month(x) for x in m.spc.rebase) if r in months]
    result = spc(
        [v for _, v in series],
        direction=direction,
        target=goal,
        rebase_indices=rebase,
        fix_after=m.spc.baseline,
        screen_outliers=m.spc.screen_outliers,
    )
    return _block(m, result, months, goal)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _block(m: Measure, r: SpcResult, months: list[int], goal: float | None) -> Spc:
    # a count's monthly target is a fraction of its total: one more decimal than the measure;
    # a rate's or proportion's is the target as written
    derived = m.kind in (*SUMMABLE, MeasureKind.PER_POPULATION)
    return spc_from_result(
        r,
        [format_month(mm) for mm in months],
        [short_month(mm) for mm in months],
        unit=m.unit,
        decimals=m.decimals,
        target_decimals=m.decimals + 1 if derived and goal is not None else None,
    )


def spc_from_result(
    result: SpcResult,
    periods: Sequence[str],
    labels: Sequence[str],
    *,
    unit: str = "",
    decimals: int,
    target_decimals: int | None = None,
) -> Spc:
    """The Spc block (points, icons, and their texts) of one series through SPC, without a
    Measure: ``kpiboard spc`` builds its chart from it, and :func:`spc_block` a row's.

    ``periods`` are ``YYYY-MM`` or ``YYYY-MM-DD``, one per point; ``labels`` are the same
    periods as the board reads them (``Aug-09``). Values are written with ``unit`` and
    ``decimals``; mean and limits with at least enough decimals to tell them apart; the target
    (``result.target``) with ``target_decimals``, or as many as it was given with.
    """
    r = result
    if not len(periods) == len(labels) == r.n:
        raise ValueError(f"{len(periods)} periods and {len(labels)} labels for {r.n} points")
    points = tuple(
        SpcPoint(
            period=period,
            label=label,
            value=float(r.values[i]),
            mean=_num(r.mean[i]),
            lpl=_num(r.lpl[i]),
            upl=_num(r.upl[i]),
            point_type=r.point_type[i],
            rule=r.rule[i],
            rebase_group=int(r.rebase_group[i]),
        )
        for i, (period, label) in enumerate(zip(periods, labels, strict=True))
    )
    last = points[-1]
    variation = r.variation
    assurance = r.assurance
    # limits need enough decimals to tell them from the mean
    spread = (last.upl - last.lpl) if last.upl is not None and last.lpl is not None else None
    limit_decimals = max(
        decimals, 0 if spread is None or spread >= 100 else 1 if spread >= 1 else 2
    )
    goal = r.target
    target_text = None
    if goal is not None:
        target_text = with_unit(
            goal, unit, decimals_of(goal) if target_decimals is None else target_decimals
        )
    rule_text = RULE_TEXT.get(r.rule[-1].value, r.rule[-1].label)
    summary = f"{VARIATION_TEXT[variation]} at {last.label}"
    if r.rule[-1].value != "common_cause":
        summary += f" ({rule_text})"
    per = " a month" if all(_MONTH.match(p) for p in periods) else ""
    if assurance is not None and target_text is not None:
        summary += f"; against a target of {target_text}{per}, {ASSURANCE_TEXT[assurance]}"
    elif target_text is not None and r.direction is Direction.NEUTRAL:
        # the target is drawn; assurance needs a better direction, which a neutral measure lacks
        summary += f"; target {target_text}{per} drawn, {NO_ASSURANCE_NEUTRAL}"
    if bool(r.trial_limits[-1]):
        summary += f" (trial limits: only {len(points)} points)"
    return Spc(
        variation=variation,
        variation_text=VARIATION_TEXT[variation],
        assurance=assurance,
        assurance_text=ASSURANCE_LABEL[assurance] if assurance else None,
        rule=r.rule[-1],
        rule_text=rule_text,
        mean=last.mean,
        lpl=last.lpl,
        upl=last.upl,
        mean_text=_text(last.mean, unit, limit_decimals),
        lpl_text=_text(last.lpl, unit, limit_decimals),
        upl_text=_text(last.upl, unit, limit_decimals),
        latest_text=with_unit(last.value, unit, decimals),
        direction=r.direction,
        target=goal,
        target_text=target_text,
        period=_span(periods, labels),
        trial_limits=bool(r.trial_limits[-1]),
        points=points,
        summary=summary,
    )


def _span(periods: Sequence[str], labels: Sequence[str]) -> str:
    """``Sep-06 - Aug-09`` for months (as every row's period reads); ``first - last`` labels
    otherwise."""
    if all(_MONTH.match(p) for p in periods):
        return span_label(parse_month(periods[0]), parse_month(periods[-1]))
    return labels[0] if len(labels) == 1 else f"{labels[0]} - {labels[-1]}"


def _text(value: float | None, unit: str, decimals: int) -> str | None:
    return None if value is None else with_unit(value, unit, decimals)


def status_from_spc(block: Spc | None) -> tuple[Status | None, str]:
    """kpiboard's reading of SPC as a headline status (Making Data Count has none): special
    cause concern -> red, improvement -> green; common cause -> by assurance: consistently
    meeting the target green, consistently missing it red, hit and miss amber; no target or a
    neutral measure -> no status."""
    if block is None:
        return None, f"No SPC verdict: fewer than {SPC_MIN_POINTS} consecutive monthly points"
    status = _status_of_variation(block.variation) or _status_of_assurance(block.assurance)
    if status is None:
        return None, f"SPC: {block.summary}; no target to judge it against: no status"
    return status, f"SPC: {block.summary}"


def _status_of_variation(variation: Variation) -> Status | None:
    """Special cause decides by itself: concern red, improvement green."""
    match variation:
        case Variation.CONCERN_HIGH | Variation.CONCERN_LOW:
            return Status.RED
        case Variation.IMPROVEMENT_HIGH | Variation.IMPROVEMENT_LOW:
            return Status.GREEN
        case Variation.COMMON_CAUSE | Variation.NEUTRAL_HIGH | Variation.NEUTRAL_LOW:
            return None
        case _:  # pragma: no cover
            assert_never(variation)


def _status_of_assurance(assurance: Assurance | None) -> Status | None:
    match assurance:
        case Assurance.CONSISTENT_PASS:
            return Status.GREEN
        case Assurance.CONSISTENT_FAIL:
            return Status.RED
        case Assurance.INCONSISTENT:
            return Status.AMBER
        case None:
            return None
        case _:  # pragma: no cover
            assert_never(assurance)


def spc_key() -> dict[str, dict[str, str]]:
    """The words of every variation and assurance icon, for a report's key."""
    return {"variation": dict(VARIATION_TEXT), "assurance": dict(ASSURANCE_LABEL)}
