"""Where a row's figure comes from when data are missing or partial: a baseline's annual
average from data that cover it exactly once, and why a row has no figure (no data, a window
its observations do not tile, a denominator of 0, no population for a rate) — never a silent zero."""

from __future__ import annotations

from kpiboard.catalogue import Catalogue
from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Evaluator
from kpiboard.engine.targets import baseline_span
from kpiboard.periods import short_month, window_ending
from kpiboard.vocabulary import MeasureKind


def baseline_average(ev: Evaluator, m: Measure, home: str) -> float | None:
    """Annual average over a target's baseline span, from data that cover every month of it
    exactly once (monthly rows or recorded windows inside the span)."""
    spans = {s for t in m.targets if (s := baseline_span(t))}
    if not spans:
        return None
    first, last = spans.pop()
    covered: dict[int, int] = {}
    total = 0.0
    for mm in range(first, last + 1):
        amount = ev.monthly_amount(m.id, home, mm)
        if amount is not None:
            covered[mm] = covered.get(mm, 0) + 1
            total += amount
    for rec in ev.data.recorded_for(home, m.id):
        start = rec.end - rec.months + 1
        if start >= first and rec.end <= last and rec.amt is not None:
            for mm in range(start, rec.end + 1):
                covered[mm] = covered.get(mm, 0) + 1
            total += rec.amt
    span = last - first + 1
    if len(covered) != span or any(c != 1 for c in covered.values()):
        return None
    return total / (span / 12)


def no_figure_reason(ev: Evaluator, cat: Catalogue, m: Measure, home: str, as_of: int) -> str:
    """Why a measure has no latest figure: no data, or (for a rate) no population to divide
    by — never a silent zero."""
    has_counts = any(mm <= as_of for mm in ev.data.months_with_data(home, m.id))
    gap = untiled(ev, m, home, cat.fy_start_month, as_of)
    if gap is not None:
        return f"{gap}: no status"
    zero = zero_denominator(ev, m, home, cat.fy_start_month, as_of)
    if zero is not None:
        return f"{zero}: no status"
    if m.kind is MeasureKind.PER_POPULATION and has_counts:
        pop = m.population or cat.project.population
        return (
            f"No population for {cat.org_name(home)} at or before the data "
            f"(measure {pop!r}): the rate cannot be worked out, no status"
        )
    return f"No data at or before {short_month(as_of)}: no status"


def zero_denominator(ev: Evaluator, m: Measure, home: str, fy: int, before: int) -> str | None:
    """Why the latest window of the measure's kind ending at or before ``before`` has no
    figure when its denominator sums to 0 ("No figure for Q1 2017/18: the denominator
    (crimes) is 0 over Apr - Jun 2017"); None when that is not why."""
    for end in sorted((mm for mm in ev.figure_months(m.id, home) if mm <= before), reverse=True):
        win = window_ending(m.window, end, fy)
        if win is None:
            continue
        why = ev.zero_denominator(m.id, home, win)
        return None if why is None else f"No figure for {win.label(fy)}: {why}"
    return None


def untiled(
    ev: Evaluator, m: Measure, home: str, fy: int, before: int, after: int | None = None
) -> str | None:
    """Why the latest window of the measure's kind ending at a month with data in
    (``after``, ``before``] has no figure, when its observations do not tile it ("No figure
    for 2017/18: no data for Jul - Sep 2017, ..."); None when there is no such window or it
    is tiled (a rate's population is another matter)."""
    if m.kind not in (
        MeasureKind.COUNT,
        MeasureKind.PROPORTION,
        MeasureKind.MEAN,
        MeasureKind.PER_POPULATION,
    ):
        return None
    months = ev.data.months_with_data(home, m.id)
    for end in sorted((mm for mm in months if mm <= before), reverse=True):
        if after is not None and end <= after:
            return None
        win = window_ending(m.window, end, fy)
        if win is None:
            continue
        gap = ev.coverage_gap(m.id, home, win)
        if gap is None:
            return None
        return (
            f"No figure for {win.label(fy)}: {gap} (a window is summed only from "
            f"observations that cover each of its months exactly once)"
        )
    return None
