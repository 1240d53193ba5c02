"""SPC charts: Vega-Lite specs built from an :class:`~kpiboard.scorecard.Spc` block, drawn
to static SVG by vl-convert (no JavaScript, no CDN: the SVG is inlined in the page, or written
as a file by ``kpiboard spc --format svg``). The one chart implementation of kpiboard.

A chart is drawn from a :class:`Charted`: the Spc block and the names to call it by
(``Charted.of(row)`` for a scorecard row). For each row with an SPC block the HTML report
takes :func:`charts_for`; ``kpiboard spc`` takes :func:`series_chart_svg`.

- :func:`spc_spec` (:mod:`.spc`): the XmR chart: the values as a line, each point coloured
  *and* shaped by its point type (so a greyscale print still tells them apart), the mean, the
  process limits dashed, the target dotted, and a vertical rule where the limits were rebased
  (the points' ``rebase_group`` changes).
- :func:`trend_spec` (:mod:`.trend`): the values as bars against the target line (drawn only
  when there is a target; without one it would only repeat the SPC chart).
- :mod:`.frame`: what both share (:class:`Charted`, the frame, the axes);
  :mod:`.vega`: drawing a spec to SVG and labelling it.

Periods are months (``YYYY-MM``, axis labels ``Aug-09``) or dates (``YYYY-MM-DD``, drawn on
the day given; labelled by day unless every date is the first of its month).

Each SVG is one ``role="img"`` with an ``aria-label`` and ``<title>`` summarising it
(variation, mean and limits, rebases, target, assurance); the report puts it inside a
``<figure>`` with a visible caption. Colours are Making Data Count's; fonts are named, never
fetched.

Nothing here computes a statistic or writes a number: every figure is a field of the Spc
block as the engine wrote it (``mean_text``, ``target_text``, ...). Limits the engine left
undefined (None) are left out of the data, never drawn at 0.

>>> svg = chart_svg(spc_spec(Charted.of(row)))  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

from kpiboard.render.charts.frame import LIMITS, LINES, MEAN, TARGET, Charted, row_heading
from kpiboard.render.charts.spc import (
    POINT_TYPES,
    rebase_breaks,
    series_chart_svg,
    spc_label,
    spc_spec,
)
from kpiboard.render.charts.trend import trend_label, trend_spec
from kpiboard.render.charts.vega import FONT, SCHEMA, chart_svg, labelled_svg
from kpiboard.scorecard import Row

__all__ = [
    "FONT",
    "LIMITS",
    "LINES",
    "MEAN",
    "POINT_TYPES",
    "SCHEMA",
    "TARGET",
    "Chart",
    "Charted",
    "chart_svg",
    "charts_for",
    "labelled_svg",
    "rebase_breaks",
    "row_heading",
    "series_chart_svg",
    "spc_label",
    "spc_spec",
    "trend_label",
    "trend_spec",
]


@dataclass(frozen=True)
class Chart:
    """One chart ready to inline: the SVG (already carrying role/aria-label/title) and the
    visible caption."""

    kind: str  # "spc" | "trend"
    svg: str
    label: str  # the text alternative (also the SVG's aria-label and <title>)
    caption: str


def charts_for(row: Row) -> list[Chart]:
    """The row's charts, drawn and labelled; [] when it has no SPC series. The trend chart
    is only drawn when there is a monthly target to set the values against (without one it
    would repeat the SPC chart's line as bars)."""
    if row.spc is None or not row.spc.points:
        return []
    charted = Charted.of(row)
    spc_text = spc_label(charted)
    out = [
        Chart(
            "spc",
            labelled_svg(chart_svg(spc_spec(charted)), spc_text),
            spc_text,
            f"SPC chart (XmR, Making Data Count rules). {row.spc.summary}".strip(),
        )
    ]
    if row.spc.target is not None:
        trend_text = trend_label(charted)
        out.append(
            Chart(
                "trend",
                labelled_svg(chart_svg(trend_spec(charted)), trend_text),
                trend_text,
                f"Monthly values against the monthly target ({row.spc.target_text or 'as given'}).",
            )
        )
    return out
