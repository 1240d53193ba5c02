"""A row's monthly series: the measure's one-month values for an organisation up to the report
month, with the sums behind each (``Row.series``), the tidy data a spreadsheet reader checks
the row's figures against."""

from __future__ import annotations

from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Evaluator
from kpiboard.periods import Window, format_month
from kpiboard.scorecard import SeriesPoint
from kpiboard.vocabulary import WindowKind


def monthly_series(ev: Evaluator, m: Measure, org: str, as_of: int) -> tuple[SeriesPoint, ...]:
    """Every month up to ``as_of`` in which ``m`` has a one-month value for ``org``, oldest
    first (a month covered only by a longer observation, such as a rolling-year survey
    estimate or a quarter's snapshot, has none)."""
    out = []
    for month in ev.figure_months(m.id, org):
        if month > as_of:
            break
        v = ev.evaluate(m.id, org, Window(WindowKind.MONTH, month, month))
        if v is None or v.window.first != v.window.last:  # a longer observation's figure
            continue
        out.append(
            SeriesPoint(
                period=format_month(month),
                value=v.value,
                numerator=v.numerator,
                denominator=v.denominator,
                provisional=v.provisional,
            )
        )
    return tuple(out)
