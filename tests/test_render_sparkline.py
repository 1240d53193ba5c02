"""The dashboard's sparkline (kpiboard.render.sparkline): the last two years of a row's SPC
series, drawn from the Scorecard's points, with a text alternative saying what it shows."""

from __future__ import annotations

import re

from fixtures.scorecard_fixture import sample_scorecard

from kpiboard.render.sparkline import SPARK_H, SPARK_MONTHS, SPARK_PAD, SPARK_W, sparkline
from kpiboard.scorecard import Row


def _rows() -> dict[str, Row]:
    return {r.measure: r for r in sample_scorecard().all_rows()}


def test_a_row_without_a_monthly_series_has_no_sparkline() -> None:
    rows = _rows()
    assert sparkline(rows["robbery"]) == ""
    assert sparkline(rows["confidence_local_policing"]) == ""


def test_the_sparkline_says_what_it_draws() -> None:
    svg = sparkline(_rows()["residential_burglary"])
    label = (
        "Trend of Residential burglary, Sep-07 to Aug-09: "
        "from 4,900 to 6,000, lowest 4,700, highest 6,000"
    )
    assert svg.startswith(f'<svg class="spark" role="img" aria-label="{label}"')
    assert f"<title>{label}</title>" in svg
    points = re.search(r'points="([^"]*)"', svg)
    assert points is not None
    xy = [tuple(float(v) for v in p.split(",")) for p in points.group(1).split()]
    assert len(xy) == SPARK_MONTHS
    assert xy[0][0] == SPARK_PAD and xy[-1][0] == SPARK_W - SPARK_PAD
    assert all(SPARK_PAD <= y <= SPARK_H - SPARK_PAD for _, y in xy)
    assert f'cx="{xy[-1][0]:.1f}" cy="{xy[-1][1]:.1f}"' in svg  # the latest month marked
