"""The league table's sorted ("ski-slope") bar chart keeps an outlier from flattening the rest:
the axis stops a little above the largest value within Tukey's far-out fence, the outlier's
bar is cut there with a break mark and its true value written beside it, and the chart's text
alternative says so; in every output that draws it (the HTML page, the PDF's page, the
dashboard's KPI page)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from obs import obs, project
from typer.testing import CliRunner

from kpiboard.assemble import assemble_league
from kpiboard.cli import app
from kpiboard.leaguetable import League
from kpiboard.periods import parse_month
from kpiboard.render.league import league_label, league_spec, league_svg
from kpiboard.render.league.bars import BAR_STEP, CHART_HEIGHT, scale_top
from kpiboard.render.pdf.league import league_html
from kpiboard.render.registry import RenderOptions
from kpiboard.web.pages.kpi import league_charts

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "england-wales-2017-18"
ORGS = "ABCDEFGHIJKL"


def league_of(tmp_path: Path, values: list[float], polarity: str = "lower_is_better") -> League:
    measure = {
        "id": "c",
        "title": "Crimes",
        "kind": "count",
        "window": "month",
        "polarity": polarity,
        "ranks": {},
    }
    cat = project(
        tmp_path,
        [measure],
        organisations=[{"id": o, "name": f"Force {o}"} for o in ORGS[: len(values)]],
    )
    rows = [
        {"org": o, "measure": "c", "period_end": "2009-08", "numerator": v}
        for o, v in zip(ORGS, values, strict=False)
    ]
    return assemble_league(cat, obs(rows), parse_month("2009-08"), "c", highlight="A")


def bar_heights(svg: str) -> list[float]:
    """The bars' heights in pixels, left to right (vl-convert draws each as a path
    "M x,y h width v height h -width Z")."""
    width = f"{BAR_STEP * 0.9:g}"
    bars = re.findall(rf'<path d="M([\d.]+),[\d.]+h{width}v([\d.]+)h-{width}Z" fill="#', svg)
    return [float(h) for _, h in sorted(bars, key=lambda b: float(b[0]))]


def test_the_scale_stops_above_the_largest_value_within_the_far_out_fence() -> None:
    # quartiles 11.25 and 13.75 (inclusive method), IQR 2.5: fence 13.75 + 3 x 2.5 = 21.25;
    # 60 is beyond it and more than 1.5 x 14, so the axis stops at 14 x 1.15 = 16.1
    assert scale_top([10.0, 11.0, 12.0, 13.0, 14.0, 60.0]) == pytest.approx(16.1)
    # ten values 10..19 and two more: quartiles 12.75 and 18.25, fence 18.25 + 3 x 5.5 = 34.75;
    # the widest gap decides: 600 / 19, not 700 / 600, so both are cut (19 x 1.15 = 21.85) ...
    ten = [float(x) for x in range(10, 20)]
    assert scale_top([*ten, 600.0, 700.0]) == pytest.approx(21.85)
    # ... and 100 / 40 = 2.5 beats 40 / 19 = 2.1: only 100 is cut (40 x 1.15 = 46)
    assert scale_top([*ten, 40.0, 100.0]) == pytest.approx(46.0)
    # never more than three cut: four close together beyond the fence are all drawn
    twenty = [float(x) for x in range(10, 30)]
    assert scale_top([*twenty, 500.0, 600.0, 700.0, 800.0]) is None
    assert scale_top([10.0, 11.0, 12.0, 13.0, 14.0, 20.0]) is None  # within the fence
    assert scale_top([10.0, 10.0, 10.0, 10.0, 10.0, 14.0]) is None  # beyond, but not 1.5x
    assert scale_top([1.0, 50.0, 100.0]) is None  # too few to judge
    assert scale_top([-5.0, -4.0, -3.0, -2.0, -1.0]) is None  # nothing positive to cut


def test_an_outlier_is_cut_with_a_break_mark_and_its_value_written(tmp_path: Path) -> None:
    league = league_of(tmp_path, [10.0, 11.0, 12.0, 13.0, 14.0, 600.0])
    svg = league_svg(league)
    heights = bar_heights(svg)
    assert len(heights) == 6
    assert heights == sorted(heights)  # still best first (lower is better)
    assert heights[-1] == pytest.approx(CHART_HEIGHT)  # the outlier cut at the top
    assert heights[-2] / CHART_HEIGHT > 0.8  # 14 of 16.1: the rest can be read
    assert re.search(r"<text[^>]*>off scale: 600\.0 →</text>", svg)
    assert "Force F&#x27;s bar is cut at the top of the value axis" in svg
    assert "its value, 600.0, is off the scale" in league_label(league)
    spec = league_spec(league)
    assert spec["layer"][0]["encoding"]["y"]["scale"] == {"domain": [0.0, 16.1], "nice": False}
    assert [v["value"] for v in spec["data"]["values"]][-1] == 600.0  # the true value kept


def test_an_outlier_at_the_left_is_labelled_towards_the_middle(tmp_path: Path) -> None:
    league = league_of(tmp_path, [10.0, 11.0, 12.0, 13.0, 14.0, 600.0], "higher_is_better")
    svg = league_svg(league)
    heights = bar_heights(svg)
    assert heights[0] == pytest.approx(CHART_HEIGHT) and heights[1:] == sorted(heights[1:])[::-1]
    assert re.search(r'<text text-anchor="start"[^>]*>← off scale: 600\.0</text>', svg)


def test_two_outliers_are_cut_and_listed_in_one_label(tmp_path: Path) -> None:
    league = league_of(tmp_path, [*(float(x) for x in range(10, 20)), 600.0, 700.0])
    svg = league_svg(league)
    heights = bar_heights(svg)
    assert heights[-2:] == pytest.approx([CHART_HEIGHT, CHART_HEIGHT])
    assert heights[-3] / CHART_HEIGHT > 0.8
    assert re.findall(r"<text[^>]*>([^<]*off scale:[^<]*)</text>", svg) == [
        "off scale: 600.0, 700.0 →"
    ]
    label = league_label(league)
    assert "its value, 600.0, is off the scale" in label
    assert "its value, 700.0, is off the scale" in label


def test_without_an_outlier_nothing_is_cut(tmp_path: Path) -> None:
    league = league_of(tmp_path, [10.0, 11.0, 12.0, 13.0, 14.0, 20.0])
    svg = league_svg(league)
    assert "off scale" not in svg and "cut at the top" not in league_label(league)
    assert "scale" not in league_spec(league)["layer"][0]["encoding"]["y"]
    heights = bar_heights(svg)
    assert heights == pytest.approx([13.0 * v for v in (10, 11, 12, 13, 14, 20)], abs=0.05)


# --- the england-wales example: City of London's 796 crimes per 1,000 residents ---------------


@pytest.fixture(scope="module")
def ew_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("ski") / "ew"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    args = ["report", str(root), "--as-of", "2018-03", "--org", "all"]
    result = CliRunner().invoke(
        app, [*args, "--measure", "total_crime_rate_year", "--format", "html"]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_example_city_of_london_no_longer_flattens_the_other_42(ew_html: str) -> None:
    svg = re.findall(r"<svg\b.*?</svg>", ew_html, re.S)[0]
    heights = bar_heights(svg)
    assert len(heights) == 43 and heights == sorted(heights)
    assert heights[-1] == pytest.approx(CHART_HEIGHT)
    # the second largest (Greater Manchester, 126.68) spans most of the plot, not a sixth
    assert heights[-2] / CHART_HEIGHT > 0.5
    assert re.search(r"<text[^>]*>off scale: 795\.93 per 1,000 →</text>", svg)
    assert "London, City of&#x27;s bar is cut at the top of the value axis" in ew_html


def test_every_output_that_draws_the_bars_cuts_the_outlier(tmp_path: Path) -> None:
    league = league_of(tmp_path, [10.0, 11.0, 12.0, 13.0, 14.0, 600.0])
    pdf_page = league_html(league, RenderOptions())
    (dashboard, _), *_ = league_charts(league)
    for page in (pdf_page, str(dashboard)):
        assert re.search(r"<text[^>]*>off scale: 600\.0 →</text>", page)
        assert bar_heights(page)[-1] == pytest.approx(CHART_HEIGHT)
