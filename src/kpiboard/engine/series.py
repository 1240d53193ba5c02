"""A row's series: the measure's values for an organisation up to the report month, one per
month with data, with the sums behind each (``Row.series``), the tidy data a spreadsheet
reader checks the row's figures against."""

from __future__ import annotations

from kpiboard.catalogue.schema import Measure
from kpiboard.engine.evaluate import Evaluator, Value
from kpiboard.periods import Window, format_month
from kpiboard.scorecard import SeriesPoint
from kpiboard.vocabulary import WindowKind

# the windows tried at a month, shortest first: its own month, else the quarter or the year
# a published observation ending there covers (a quarterly table, a rolling-year survey)
LENGTHS = ((WindowKind.MONTH, 1), (WindowKind.ROLLING_3, 3), (WindowKind.ROLLING_12, 12))


def monthly_series(ev: Evaluator, m: Measure, org: str, as_of: int) -> tuple[SeriesPoint, ...]:
    """For every month up to ``as_of`` in which ``m``'s data for ``org`` end, oldest first: its
    one-month value, or, where there is none, the value of the shortest window (3 or 12
    months) the data ending that month give."""
    out = []
    for month in ev.figure_months(m.id, org):
        if month > as_of:
            break
        v = _shortest(ev, m, org, month)
        if v is None:
            continue
        out.append(
            SeriesPoint(
                period=format_month(month),
                value=v.value,
                numerator=v.numerator,
                denominator=v.denominator,
                provisional=v.provisional,
                months=v.window.length,
            )
        )
    return tuple(out)


def _shortest(ev: Evaluator, m: Measure, org: str, month: int) -> Value | None:
    for kind, length in LENGTHS:
        v = ev.evaluate(m.id, org, Window(kind, month - length + 1, month))
        if v is not None and v.window.length == length and v.window.last == month:
            return v
    return None
