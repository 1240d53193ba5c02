"""Bad input to SPC, each with the message a user sees: through the API, the series reader and
`kpiboard spc` (exit 1 for bad data, 2 for a bad option; never a traceback). Also the command's
CSV and SVG output."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from kpiboard.cli import app
from kpiboard.engine.spc import MIN_FIX_AFTER, SHORT_GROUP, PointType, Rule, spc, spc_batch
from kpiboard.errors import KpiboardError, ValidationFailed
from kpiboard.ingest.series import parse_period, read_series
from kpiboard.render.charts import POINT_TYPES

SVG = "{http://www.w3.org/2000/svg}"


def run(*args: str | Path, code: int = 0) -> Result:
    result = CliRunner().invoke(app, ["spc", *[str(a) for a in args]])
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def months(values: list[float], start: int = 1, year: int = 2020) -> str:
    rows = [
        f"{year + (start - 1 + i) // 12}-{(start - 1 + i) % 12 + 1:02d},{v}"
        for i, v in enumerate(values)
    ]
    return "date,value\n" + "\n".join(rows) + "\n"


def findings(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [f.render() for f in exc.value.findings]


# --- the engine -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad, message",
    [
        ([1.0, float("nan"), 3.0], "missing value (NaN) at position 1"),
        ([1.0, 2.0, None], "missing value (NaN) at position 2"),
        ([1.0, float("inf")], "infinite value at position 1"),
        ([1.0, "two", 3.0], "position 1 ('two') is not a number"),
        ([True, False], "position 0 (True) is not a number"),
        ([], "no points"),
        ([[1.0, 2.0]], "not a 2-d array"),
    ],
)
def test_bad_values_are_refused_naming_the_position(bad: list[object], message: str) -> None:
    with pytest.raises(KpiboardError) as exc:
        spc(bad)  # type: ignore[arg-type]
    assert message in exc.value.message
    assert exc.value.hint


def test_a_missing_value_is_never_interpolated() -> None:
    with pytest.raises(KpiboardError) as exc:
        spc([1.0, 2.0, np.nan, 4.0, np.nan])
    assert "position 2, 4" in exc.value.message and "never interpolates" in (exc.value.hint or "")


@pytest.mark.parametrize(
    "options, message",
    [
        ({"direction": "up"}, "unknown direction 'up'"),
        ({"target": float("nan")}, "not a finite number"),
        ({"fix_after": MIN_FIX_AFTER - 1}, f"fixed after {MIN_FIX_AFTER} points at the earliest"),
        ({"rebase_indices": [20]}, "rebase index 20 is not a position in the series (0 to 19)"),
        ({"rebase_indices": [-1]}, "rebase index -1"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(KpiboardError) as exc:
        spc(np.arange(20.0), **options)  # type: ignore[arg-type]
    assert message in exc.value.message


def test_batch_refuses_what_one_series_refuses() -> None:
    with pytest.raises(
        KpiboardError, match="series 1 has a missing or infinite value at position 2"
    ):
        spc_batch([[1, 2, 3], [1, 2, np.nan]], "increase")
    drawn = spc_batch([[1, 2, 3]], ["neutral"], targets=[1.0])  # drawn, never assured
    assert int(drawn.assurance_code[0]) == -1  # NO_ASSURANCE
    with pytest.raises(KpiboardError, match="2 directions for 1 series"):
        spc_batch([[1, 2, 3]], ["increase", "decrease"])


def test_fewer_points_than_a_rule_needs_give_no_special_cause_from_it() -> None:
    rising = spc([1, 2, 3, 4, 5, 6])  # a trend needs 7
    assert not {Rule.TREND_INCREASING, Rule.TREND_DECREASING} & set(rising.rule)
    assert rising.trial_limits.all()
    six_each_side = [2, 9, 2, 9, 2, 9, -2, -9, -2, -9, -2, -9]  # a run needs 7 on one side
    r = spc(six_each_side)
    assert set(r.point_type) == {PointType.COMMON_CAUSE} and r.trial_limits.all()
    seven = spc([2, 9, 2, 9, 2, 9, 2, -9, -2, -9, -2, -9, -2])
    assert seven.rule[:7] == (Rule.RUN_ABOVE,) * 7
    assert not spc(np.arange(SHORT_GROUP) % 3).trial_limits.any()
    assert spc(np.arange(SHORT_GROUP - 1) % 3).trial_limits.all()


# --- reading a series -----------------------------------------------------------------------


def test_a_good_series_reads_with_its_lines(tmp_path: Path) -> None:
    s = read_series(write(tmp_path, "\ufeffValue,Date\n5,2020-01\n\n6.5,2020-02\n-1e2,2020-03\n"))
    assert s.labels == ("2020-01", "2020-02", "2020-03")
    assert s.values.tolist() == [5.0, 6.5, -100.0] and s.lines == (2, 4, 5) and s.monthly


def test_bad_rows_are_all_reported_with_file_line_and_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "date,value\n2020-01,5\n2020-02,\n2020-03,abc\n2020-04,NA\n2020-05,inf\n"
        '2020-13,4\n2020-06,1,234\n2020-06,"1,234"\n2020-06,7\n2020-06,8\n',
    )
    with pytest.raises(ValidationFailed) as exc:
        read_series(path)
    got = findings(exc)
    assert got[0].startswith(f"ERROR {path}:3 value: missing value")
    assert f"{path}:4 value: 'abc' is not a number" in got[1]
    assert f"{path}:5 value: missing value" in got[2]
    assert f"{path}:6 value: 'inf' is not a finite number" in got[3]
    assert f"{path}:7 date: '2020-13' is not a date" in got[4]
    assert f"{path}:8: 3 cells, not 2" in got[5]
    assert f"{path}:9 value: '1,234' is not a number (write '1234'" in got[6]
    assert f"{path}:11 date: 2020-06 appears twice (also line 10)" in got[7]
    assert len(got) == 8
    assert f"problem(s) in the series {path}" in exc.value.message


def test_rows_out_of_order_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_series(write(tmp_path, "date,value\n2020-03,1\n2020-01,2\n"))
    assert "2020-01 comes after 2020-03 (line 2)" in findings(exc)[0]


def test_mixed_date_styles_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as exc:
        read_series(write(tmp_path, "date,value\n2020-01,1\n2020-02-01,2\n"))
    assert "mixes YYYY-MM months with YYYY-MM-DD dates" in findings(exc)[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "the file is empty"),
        ("month,value\n2020-01,1\n", "the header is 'month,value', not date,value"),
        ("2020-01,1\n2020-02,2\n", "not date,value"),
        ("date,value\n", "a header but no rows"),
    ],
)
def test_a_file_that_is_not_a_series(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(KpiboardError, match=message):
        read_series(write(tmp_path, text))


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KpiboardError, match="no such file"):
        read_series(tmp_path / "nope.csv")


def test_a_missing_month_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01,1\n2020-02,2\n2020-05,3\n2020-06,4\n")
    s = read_series(path)
    with pytest.raises(ValidationFailed) as exc:
        s.check_gaps()
    (got,) = findings(exc)
    assert got.startswith(
        f"ERROR {path}:4 date: 2 period(s) missing between 2020-02 (line 3) and 2020-05"
    )
    assert "--rebase 2020-05" in got
    s.check_gaps(s.rebase_indices([parse_period("2020-05")[0]]))  # new limits after the gap: fine


def test_gaps_in_daily_and_irregular_series(tmp_path: Path) -> None:
    daily = read_series(write(tmp_path, "date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-04,3\n"))
    assert not daily.monthly
    with pytest.raises(ValidationFailed, match="1 problem"):
        daily.check_gaps()
    weekly = read_series(write(tmp_path, "date,value\n2020-01-01,1\n2020-01-08,2\n2020-01-18,3\n"))
    with pytest.raises(ValidationFailed) as exc:
        weekly.check_gaps()
    assert (
        "2020-01-18 is 10 days after 2020-01-08 (line 3), but the series moves in steps of 7"
        in findings(exc)[0]
    )


def test_month_end_and_quarterly_dates_are_regular(tmp_path: Path) -> None:
    ends = read_series(write(tmp_path, "date,value\n2020-01-31,1\n2020-02-29,2\n2020-03-31,3\n"))
    assert ends.monthly
    ends.check_gaps()
    read_series(write(tmp_path, "date,value\n2020-01,1\n2020-04,2\n2020-07,3\n")).check_gaps()


def test_a_rebase_date_inside_the_span_must_match_a_period(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01-02,1\n2020-01-03,2\n2020-01-05,3\n")
    s = read_series(path)
    with pytest.raises(KpiboardError) as exc:
        s.rebase_indices([parse_period("2020-01-04")[0]])
    assert (
        "the rebase date 2020-01-04 matches no period of the series; the nearest are "
        "2020-01-03 (line 3) and 2020-01-05 (line 4)"
    ) in exc.value.message
    outside = [parse_period("2019-12-31")[0], parse_period("2020-02-01")[0]]
    assert s.rebase_indices(outside) == []  # before the first or after the last: no effect
    assert s.rebase_indices([parse_period("2020-01-03")[0]]) == [1]


def test_a_monthly_series_is_rebased_by_month(tmp_path: Path) -> None:
    s = read_series(write(tmp_path, months([1, 2, 3, 4])))
    assert s.rebase_indices([parse_period("2020-03")[0], parse_period("2020-02-15")[0]]) == [2, 1]


# --- the command ----------------------------------------------------------------------------


def test_the_command_reports_bad_rows_with_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01,5\n2020-02,\n")
    out = run(path, code=1).output
    assert f"ERROR {path}:3 value: missing value" in out
    assert "error: 1 problem(s) in the series" in out


def test_the_command_refuses_a_gap_unless_rebased_there(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01,1\n2020-02,2\n2020-04,3\n2020-05,4\n")
    assert "1 period(s) missing between 2020-02 (line 3) and 2020-04" in run(path, code=1).output
    doc = json.loads(run(path, "--rebase", "2020-04").stdout)
    assert [p["rebase_group"] for p in doc["points"]] == [0, 0, 1, 1]


def test_the_command_names_the_nearest_periods_for_an_unmatched_rebase(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2020-01-01,1\n2020-01-08,2\n2020-01-15,3\n")  # weekly
    out = run(path, "--rebase", "2020-01-10", code=1).output
    assert "2020-01-08 (line 3) and 2020-01-15 (line 4)" in out
    doc = json.loads(run(path, "--rebase", "2019-06-01").stdout)  # before the data: no effect
    assert {p["rebase_group"] for p in doc["points"]} == {0}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--direction", "up"], "Invalid value for '--direction'"),
        (["--format", "xlsx"], "--format: unknown format 'xlsx'"),
        (["--fix-after", "5"], f"--fix-after: limits can be fixed after {MIN_FIX_AFTER} points"),
        (["--rebase", "April 2020"], "--rebase: 'April 2020' is not a date"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, months([1, 2, 3]))
    assert message in run(path, *args, code=2).output


def test_json_output_has_null_limits_and_snake_case_rules(tmp_path: Path) -> None:
    path = write(tmp_path, months([3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 30]))
    doc = json.loads(run(path, "--target", "10", "--rebase", "2021-01").stdout)
    last = doc["points"][-1]
    assert last == {
        "date": "2021-01",
        "value": 30.0,
        "mean": 30.0,
        "lpl": None,
        "upl": None,
        "point_type": "common_cause",
        "rule": "common_cause",
        "rebase_group": 1,
        "trial_limits": True,
    }
    assert doc["variation"] == "common_cause" and doc["assurance"] is None
    assert doc["direction"] == "increase" and doc["target"] == 10.0


def test_csv_output_has_one_row_per_point(tmp_path: Path) -> None:
    path = write(tmp_path, months([1, 2, 3, 4, 5, 6, 7]))
    out = tmp_path / "out" / "spc.csv"
    result = run(path, "--format", "csv", "--output", out, "--direction", "decrease")
    assert f"wrote {out}" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == [
        "date",
        "value",
        "mean",
        "lpl",
        "upl",
        "point_type",
        "rule",
        "rebase_group",
        "trial_limits",
    ]
    assert [r["rule"] for r in rows][1:6] == ["trend_increasing"] * 5
    assert rows[3]["point_type"] == "special_cause_concern" and rows[3]["trial_limits"] == "true"


def _svg_root(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-label") and root.findtext(f"{SVG}title") == root.get("aria-label")
    assert (
        "href" not in svg and "<script" not in svg and "url(" not in svg
    )  # nothing to fetch or run
    assert "http" not in re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", svg)
    return root


def _texts(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_svg_output_is_the_reports_chart_self_contained_and_accessible(tmp_path: Path) -> None:
    values = [5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 14, 6, 5]
    path = write(tmp_path, months(values))
    svg = run(path, "--format", "svg", "--target", "8", "--rebase", "2020-12").stdout
    assert svg.lstrip().startswith("<svg")
    root = _svg_root(svg)
    label = root.get("aria-label") or ""
    assert label.startswith("SPC chart of series, Jan-20 to Jan-21: ")
    assert "limits rebased from Dec-20" in label and "monthly target 8" in label
    assert "trial limits" in label  # each group has fewer than 13 points
    texts = _texts(root)
    for words in (
        "SPC chart: series",
        "Jan-20 to Jan-21 · XmR chart",
        "Month",
        "Mean",
        "Process limits",
        "Target",
        "limits rebased",
        "Common cause",
        "Special cause improvement",
    ):
        assert words in texts, words
    # the special cause point is drawn in its Making Data Count colour
    assert POINT_TYPES[PointType.SPECIAL_CAUSE_IMPROVEMENT.value][1] in svg


def test_svg_output_of_daily_dates_reads_by_day(tmp_path: Path) -> None:
    days = "".join(
        f"2020-01-{d:02d},{v}\n" for d, v in zip(range(2, 22), [1.25, 2.5] * 10, strict=True)
    )
    out = tmp_path / "daily.svg"
    run(write(tmp_path, "date,value\n" + days, "daily.csv"), "--format", "svg", "--output", out)
    root = _svg_root(out.read_text())
    assert (root.get("aria-label") or "").startswith(
        "SPC chart of daily, 2020-01-02 to 2020-01-21: "
    )
    assert "mean 1.88, limits " in (root.get("aria-label") or "")  # the input's 2 decimals
    texts = _texts(root)
    assert "Date" in texts and "Jan 2020" in texts and "Jan-20" not in texts


def test_svg_output_of_first_of_month_dates_reads_by_month(tmp_path: Path) -> None:
    rows = "".join(f"2016-{m:02d}-01,{v}\n" for m, v in zip(range(1, 13), [3, 5] * 6, strict=True))
    svg = run(write(tmp_path, "date,value\n" + rows), "--format", "svg").stdout
    root = _svg_root(svg)
    assert (root.get("aria-label") or "").startswith("SPC chart of series, Jan-16 to Dec-16: ")
    texts = _texts(root)
    assert "Month" in texts and "Apr-16" in texts and "2016" not in texts


def test_svg_of_a_single_point_and_of_a_constant_series(tmp_path: Path) -> None:
    one = run(write(tmp_path, months([3]), "one.csv"), "--format", "svg").stdout
    label = _svg_root(one).get("aria-label") or ""
    assert "mean 3, no process limits yet" in label and "trial limits" in label
    flat = run(write(tmp_path, months([4, 4, 4, 4, 4]), "flat.csv"), "--format", "svg").stdout
    label = _svg_root(flat).get("aria-label") or ""
    assert "mean 4.00, limits 4.00 to 4.00" in label and "trial limits" in label


def test_a_target_on_a_neutral_measure_is_drawn_not_assured(tmp_path: Path) -> None:
    path = write(tmp_path, months([3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 30]))
    doc = json.loads(run(path, "--direction", "neutral", "--target", "10").stdout)
    assert doc["target"] == 10 and doc["assurance"] is None
    assert doc["variation"] == "neutral_high"
    doc = json.loads(run(path, "--direction", "neutral", "--target", "10").stdout)
    assert (
        "target 10 a month drawn, no assurance: a neutral measure has no better direction"
        in (doc["summary"])
    )
    svg = run(path, "--direction", "neutral", "--target", "10", "--format", "svg").stdout
    assert "Target" in svg or "target" in svg
    result = spc(np.arange(20.0), direction="neutral", target=3.0)
    assert result.assurance is None and result.target == 3.0
