"""Targets: which applies to a period, and the level it amounts to."""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.catalogue.schema import BaselineReduction, Measure, Target
from kpiboard.formatting import percent_change, with_unit
from kpiboard.periods import fy_label, parse_fy, parse_month, year_of
from kpiboard.vocabulary import Op


@dataclass(frozen=True)
class Resolved:
    """A target made concrete: ``level`` in the measure's unit, ``op`` how to meet it, and for
    % change targets the ``change`` and the comparator level it applies to."""

    target: Target
    financial_year: str
    op: Op
    level: float | None  # None when it cannot be worked out (no comparator, no baseline)
    change: float | None = None
    comparator_level: float | None = None
    baseline_average: float | None = None
    why_missing: str | None = None


def target_for(measure: Measure, month: int, fy_start_month: int) -> Target | None:
    """The target set for the financial year containing ``month``."""
    label = fy_label(month, fy_start_month)
    start = parse_fy(label, fy_start_month)
    for t in measure.targets:
        if any(parse_fy(y, fy_start_month) == start for y in t.financial_years()):
            return t
    return None


def resolve(
    measure: Measure,
    target: Target,
    month: int,
    fy_start_month: int,
    *,
    comparator_level: float | None,
    baseline_average: float | None,
) -> Resolved:
    op = target.op or measure.polarity.default_op
    fy = fy_label(month, fy_start_month)
    if target.level is not None:
        return Resolved(target, fy, op, target.level)
    if target.change is not None:
        if comparator_level is None:
            return Resolved(
                target,
                fy,
                op,
                None,
                target.change,
                why_missing="no comparator figure to apply the % change to",
            )
        level = comparator_level * (1 + target.change / 100.0)
        return Resolved(target, fy, op, level, target.change, comparator_level)
    br = target.baseline_reduction
    assert br is not None
    if baseline_average is None:
        return Resolved(
            target,
            fy,
            op,
            None,
            why_missing=f"no complete data for the {br.start} to {br.end} baseline",
        )
    level = baseline_average * (1 - br.percent / 100.0)
    return Resolved(target, fy, op, level, baseline_average=baseline_average)


def baseline_span(target: Target) -> tuple[int, int] | None:
    if target.baseline_reduction is None:
        return None
    return parse_month(target.baseline_reduction.start), parse_month(target.baseline_reduction.end)


def target_text(
    goal: float, unit: str, decimals: int, *, change: bool = False, op: Op | None = None
) -> str:
    """The target as the board reads it, the one place it is composed: ``80%``, ``> 2,516``
    (a strict operator is written, the default ones are implied by the polarity), ``-4.3%``
    (a % change against the comparator, ``goal`` in %).

    >>> target_text(2516, "", 0, op=Op.GT), target_text(-4.3, "", 1, change=True)
    ('> 2,516', '-4.3%')
    """
    prefix = f"{op.value} " if op is not None and op.strict else ""
    return prefix + (percent_change(goal, decimals) if change else with_unit(goal, unit, decimals))


def baseline_years(reduction: BaselineReduction) -> str:
    """``1994-98``: the span of a baseline as targets name it."""
    first, last = year_of(parse_month(reduction.start)), year_of(parse_month(reduction.end))
    return f"{first}-{str(last)[-2:]}"
