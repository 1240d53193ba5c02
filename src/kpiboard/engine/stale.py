"""Stale is said, never silent: a measure whose latest figure is older than its latency allows
is marked, with its last period, so that a report month past a measure's data does not pass
an old figure off as this month's.

The latency is the measure's ``latency:`` (months), else twice the spacing of its last two
figures (monthly data: 2 months; quarterly: 6; annual: 24), or of the figure's window when it
is the only one (a single 12-month survey estimate: 24), and never under :data:`MIN_LATENCY`:
figures are published some weeks after their period ends, and a survey or an annual return
lags more by nature.
"""

from __future__ import annotations

from kpiboard.catalogue.schema import Measure
from kpiboard.periods import format_month, short_month
from kpiboard.scorecard import Stale

#: The default latency is this many times the spacing of the measure's figures ...
CADENCE_FACTOR = 2
#: ... and at least this many months (monthly data a month or two behind are not stale).
MIN_LATENCY = 2


def latency(m: Measure, figure_months: list[int], last: int, length: int = 1) -> int:
    """The months ``m``'s latest figure (ending in month ``last``, over ``length`` months) may
    lag the report month."""
    if m.latency is not None:
        return m.latency
    earlier = [x for x in figure_months if x < last]
    spacing = last - earlier[-1] if earlier else length
    return max(MIN_LATENCY, CADENCE_FACTOR * spacing)


def stale_mark(
    m: Measure, figure_months: list[int], last: int, as_of: int, length: int = 1
) -> Stale | None:
    """The mark for a latest figure ending in month ``last`` (over ``length`` months) in a
    report as of ``as_of``, or None while it is within the measure's latency.

    >>> from kpiboard.periods import parse_month
    >>> m = Measure(id="x", title="X", kind="count")
    >>> mar10 = parse_month("2010-03")
    >>> stale_mark(m, [mar10 - 1, mar10], mar10, parse_month("2010-06")).text
    'stale: last figure Mar-10'
    >>> stale_mark(m, [mar10 - 1, mar10], mar10, parse_month("2010-05")) is None
    True
    """
    allowed = latency(m, figure_months, last, length)
    behind = as_of - last
    if behind <= allowed:
        return None
    period = short_month(last)
    return Stale(format_month(last), period, behind, allowed, f"stale: last figure {period}")
