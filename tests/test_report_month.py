"""Stale is said, never silent: ``report`` defaults to the latest month with data, a month past
all of the data is an error naming the months they cover, and a measure whose latest figure is
older than its latency allows is marked stale, with its last period, in every output."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from stale_project import AS_OF, write_project
from typer.testing import CliRunner

from kpiboard.catalogue.schema import Measure
from kpiboard.cli import app
from kpiboard.engine.stale import latency, stale_mark
from kpiboard.periods import parse_month

MET = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
MARK = "stale: last figure Mar-10"
OLD_MARK = "stale: last figure Sep-09"


def invoke(*args: str | Path, code: int = 0) -> Any:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_project(tmp_path_factory.mktemp("stale") / "p")


def report(project: Path, fmt: str, *more: str) -> str:
    return str(invoke("report", project, "--format", fmt, *more).stdout)


# --- the report month -----------------------------------------------------------------------


def test_report_defaults_to_the_latest_month_with_data(project: Path) -> None:
    assert json.loads(report(project, "json"))["as_of"] == AS_OF
    assert report(project, "json") == report(project, "json", "--as-of", AS_OF)


def test_the_met_example_defaults_to_its_last_month(tmp_path: Path) -> None:
    import shutil

    root = tmp_path / "met"
    shutil.copytree(MET, root, ignore=shutil.ignore_patterns(".kpiboard"))
    card = json.loads(report(root, "json"))
    assert (card["as_of"], card["financial_year"]) == ("2009-08", "2009/10")
    assert [r["id"] for r in card["rows"] if r["stale"]] == []  # as the reference shows it
    # past the data: an error naming what they cover, not 2009 statuses under a 2012 date
    result = invoke("report", root, "--as-of", "2012-01", code=1)
    assert result.output.startswith(
        "error: --as-of 2012-01 is after the data: they cover 1994-12 to 2009-08 "
        "(pick a month from 1994-12 to 2009-08, or leave out --as-of for the latest (2009-08)"
    )


def test_a_month_past_every_measure_is_an_error(project: Path) -> None:
    for command in (["report", project], ["report", project, "--org", "all", "--measure", "x"]):
        result = invoke(*command, "--as-of", "2010-07", code=1)
        assert "--as-of 2010-07 is after the data: they cover 2009-06 to 2010-06" in result.output


# --- the stale rule, known answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "declared", "expected"),
    [
        (["2010-02", "2010-03"], None, 2),  # monthly: 2
        (["2009-12", "2010-03"], None, 6),  # quarterly: 6
        (["2009-03", "2010-03"], None, 24),  # annual: 24
        (["2010-03"], None, 2),  # one monthly figure: at least 2
        (["2010-02", "2010-03"], 5, 5),  # declared
    ],
)
def test_latency(months: list[str], declared: int | None, expected: int) -> None:
    m = Measure(id="x", title="X", kind="count", latency=declared)
    nums = [parse_month(x) for x in months]
    assert latency(m, nums, nums[-1]) == expected


def test_a_single_figure_is_given_the_spacing_of_its_window() -> None:
    # one 12-month survey estimate (a peer's, say): annual, so 24 months, not a monthly 2
    m = Measure(id="x", title="X", kind="proportion")
    mar09 = parse_month("2009-03")
    assert latency(m, [mar09], mar09, 12) == 24
    assert stale_mark(m, [mar09], mar09, parse_month("2009-08"), 12) is None


def test_stale_mark_in_the_months_after_the_latency() -> None:
    m = Measure(id="x", title="X", kind="count")
    mar = parse_month("2010-03")
    assert stale_mark(m, [mar - 1, mar], mar, mar + 2) is None
    mark = stale_mark(m, [mar - 1, mar], mar, mar + 3)
    assert mark is not None
    assert (mark.period_end, mark.period, mark.months, mark.latency, mark.text) == (
        "2010-03",
        "Mar-10",
        3,
        2,
        MARK,
    )


# --- every output -------------------------------------------------------------------------------


def test_json_rows_carry_the_stale_mark(project: Path) -> None:
    rows = {r["measure"]: r for r in json.loads(report(project, "json"))["rows"]}
    assert rows["late"]["stale"] == {
        "period_end": "2010-03",
        "period": "Mar-10",
        "months": 3,
        "latency": 2,
        "text": MARK,
    }
    assert rows["old_quarters"]["stale"]["text"] == OLD_MARK
    assert rows["old_quarters"]["stale"]["latency"] == 6
    for fresh in ("fresh", "declared", "quarters"):
        assert rows[fresh]["stale"] is None, fresh
    assert rows["late"]["latest"]["period_end"] == "2010-03"  # the figure itself is unchanged


def test_csv_has_the_month_of_a_stale_figure(project: Path) -> None:
    records = list(csv.DictReader(io.StringIO(report(project, "csv"))))
    assert {r["measure"]: r["stale_since"] for r in records} == {
        "fresh": "",
        "late": "2010-03",
        "declared": "",
        "quarters": "",
        "old_quarters": "2009-09",
    }


def test_markdown_table_and_html_say_stale(project: Path) -> None:
    md = report(project, "md")
    assert md.count("**(stale: last figure") == 2
    assert f"<br>**({MARK})**" in md and f"<br>**({OLD_MARK})**" in md
    html = report(project, "html")
    assert html.count('<span class="tag stale">') == 2
    assert f'<span class="tag stale">{MARK}</span>' in html
    table = invoke("report", project, "--as-of", AS_OF).stdout
    assert table.count("(stale: last figure") == 2 and f"({MARK})" in table
