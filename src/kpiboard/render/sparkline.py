"""A sparkline: the last months of a row's SPC series as a small inline SVG line.

Drawn from the Scorecard's own points (nothing is computed but the drawing), with a text
alternative that names the first and last months and the range, so a screen reader hears what
the line shows.
"""

from __future__ import annotations

from html import escape

from kpiboard.scorecard import Row

SPARK_W, SPARK_H, SPARK_PAD = 96, 24, 2
SPARK_MONTHS = 24  # two years: enough to see a season repeat, small enough for a table cell


def sparkline(row: Row) -> str:
    """The last months of the row's SPC series as a small inline SVG line with a text
    alternative; "" when the row has no monthly series. Drawn from the Scorecard's points."""
    if row.spc is None or len(row.spc.points) < 2:
        return ""
    points = row.spc.points[-SPARK_MONTHS:]
    values = [p.value for p in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = (SPARK_W - 2 * SPARK_PAD) / (len(values) - 1)
    xy = [
        (SPARK_PAD + i * step, SPARK_H - SPARK_PAD - (v - low) / span * (SPARK_H - 2 * SPARK_PAD))
        for i, v in enumerate(values)
    ]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    last_x, last_y = xy[-1]
    label = (
        f"Trend of {row.title}, {points[0].label} to {points[-1].label}: "
        f"from {_num(values[0])} to {_num(values[-1])}, lowest {_num(low)}, highest {_num(high)}"
    )
    return (
        f'<svg class="spark" role="img" aria-label="{escape(label)}" width="{SPARK_W}" height="{SPARK_H}" '
        f'viewBox="0 0 {SPARK_W} {SPARK_H}"><title>{escape(label)}</title>'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{path}"/>'
        f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.2" fill="currentColor"/></svg>'
    )


def _num(value: float) -> str:
    return f"{value:,.1f}".removesuffix(".0")
