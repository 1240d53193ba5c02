"""`kpiboard spc PROJECT --measure M`: one measure's SPC from the project's warehouse (or the
one given with --warehouse), the very Spc block of that row in `kpiboard report --format json`
for the same month, organisation and vintage; each bad input a clear error (docs/SPC.md)."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner, Result

from kpiboard.cli import app
from kpiboard.scorecard import json_rows
from kpiboard.warehouse import DEFAULT_DUCKDB, Warehouse

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
AS_OF = "2009-08"
# the Met's most serious violence in August 2009, as the example's data/crime.csv has it
OLD_FIGURE = "metropolitan,msv,2009-08,1,1453,"
NEW_FIGURE = "metropolitan,msv,2009-08,1,1777,"


def run(*args: str | Path, code: int = 0) -> Result:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def spc_json(*args: str | Path) -> dict[str, Any]:
    return dict(json.loads(run("spc", *args).stdout))


def report_rows(*args: str | Path) -> dict[str, dict[str, Any]]:
    return json_rows(json.loads(run("report", *args, "--format", "json").stdout))


def copy_met(root: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard")))


@pytest.fixture(scope="module")
def met(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Met example, ingested once: the tests below only read it."""
    root = copy_met(tmp_path_factory.mktemp("spc") / "met")
    run("ingest", root)
    return root


def assert_is_row_spc(chart: dict[str, Any], spc: dict[str, Any]) -> None:
    """The command's JSON is the row's Spc block: every point, limit, rule and icon."""
    assert [
        (p["date"], p["value"], p["mean"], p["lpl"], p["upl"], p["point_type"], p["rule"])
        for p in chart["points"]
    ] == [
        (p["period"], p["value"], p["mean"], p["lpl"], p["upl"], p["point_type"], p["rule"])
        for p in spc["points"]
    ]
    assert [p["rebase_group"] for p in chart["points"]] == [
        p["rebase_group"] for p in spc["points"]
    ]
    assert chart["points"][-1]["trial_limits"] is spc["trial_limits"]
    for key in ("variation", "assurance", "direction", "target", "summary"):
        assert chart[key] == spc[key], key


# increase and decrease, counts and rates, a child row (no target: no assurance)
MEASURES = ("serious_acquisitive", "ksi", "satisfaction_gap", "user_satisfaction", "msv_awi")


def test_the_chart_is_the_scorecard_rows_own_spc(met: Path) -> None:
    rows = report_rows(met, "--as-of", AS_OF)
    for measure in MEASURES:
        chart = spc_json(met, "--measure", measure, "--as-of", AS_OF)
        assert_is_row_spc(chart, rows[measure]["spc"])
    # known answers, as the report (and the 2009/10 reference tests) have them
    sac = spc_json(met, "--measure", "serious_acquisitive", "--as-of", AS_OF)
    assert (sac["direction"], sac["variation"], sac["assurance"]) == (
        "decrease",
        "improvement_low",
        "inconsistent",
    )
    assert (sac["points"][0]["date"], sac["points"][-1]["date"], len(sac["points"])) == (
        "2006-09",
        "2009-08",
        36,
    )
    assert sac["points"][-1]["rule"] == "run_below"
    assert not any(p["trial_limits"] for p in sac["points"])
    awi = spc_json(met, "--measure", "msv_awi", "--as-of", AS_OF)
    assert (awi["direction"], awi["assurance"], awi["target"]) == ("decrease", None, None)


def test_another_month_and_organisation_are_the_reports_too(met: Path) -> None:
    rows = report_rows(met, "--as-of", "2009-05", "--org", "Metropolitan Police Service")
    chart = spc_json(
        met,
        "--measure",
        "knife_crime",
        "--as-of",
        "2009-05",
        "--org",
        "Metropolitan Police Service",
    )
    assert chart["points"][-1]["date"] == "2009-05"
    assert_is_row_spc(chart, rows["knife_crime"]["spc"])
    latest = spc_json(met, "--measure", "knife_crime")  # default: the latest month, the Met
    assert_is_row_spc(latest, report_rows(met)["knife_crime"]["spc"])
    assert latest["points"][-1]["date"] == AS_OF
    # the example has monthly figures for the Met alone: another force's row has none
    assert report_rows(met, "--org", "Cumbria")["ksi"]["spc"] is None
    out = error(met, "--measure", "ksi", "--org", "Cumbria")
    assert "no SPC for 'ksi' for Cumbria Constabulary as of Aug-09: it has no figure" in out


def test_csv_and_svg_are_of_the_same_chart(met: Path, tmp_path: Path) -> None:
    chart = spc_json(met, "--measure", "ksi", "--as-of", AS_OF)
    table = run("spc", met, "--measure", "ksi", "--as-of", AS_OF, "--format", "csv").stdout
    lines = list(csv.DictReader(io.StringIO(table)))
    assert [(r["date"], float(r["value"]), r["rule"]) for r in lines] == [
        (p["date"], p["value"], p["rule"]) for p in chart["points"]
    ]
    out = tmp_path / "ksi.svg"
    run("spc", met, "--measure", "ksi", "--format", "svg", "--output", out)
    svg = out.read_text()
    assert svg.startswith("<svg") and 'role="img"' in svg
    # headed by the row as the report heads its chart, with the organisation
    assert "SPC chart: 4e Reduction in the number of people killed" in svg
    assert "(Metropolitan Police Service)" in svg


def test_the_measures_own_options_shape_it_as_the_csv_mode_would(tmp_path: Path) -> None:
    """A rebase in the measure's YAML: a short last group (trial limits on its points alone),
    and the same chart as the CSV mode makes of the same values with the same options."""
    root = copy_met(tmp_path / "met")
    safety = root / "measures" / "2-safety.yaml"
    text = safety.read_text(encoding="utf-8")
    anchor = "    ranks: {groups: [msf], per_population: 1000}\n\n  - id: res_burglary"
    assert anchor in text
    spc_yaml = "    spc: {rebase: [2009-01], screen_outliers: false}\n"
    safety.write_text(text.replace(anchor, anchor.replace("\n\n", "\n" + spc_yaml + "\n", 1)))
    chart = spc_json(root, "--measure", "serious_acquisitive", "--as-of", AS_OF)
    assert_is_row_spc(chart, report_rows(root, "--as-of", AS_OF)["serious_acquisitive"]["spc"])
    groups = [(p["date"], p["rebase_group"], p["trial_limits"]) for p in chart["points"]]
    assert groups[27] == ("2008-12", 0, False)
    assert groups[28] == ("2009-01", 1, True)
    assert [g[1:] for g in groups[28:]] == [(1, True)] * 8
    series = tmp_path / "sac.csv"
    series.write_text(
        "date,value\n" + "".join(f"{p['date']},{p['value']:.0f}\n" for p in chart["points"])
    )
    from_csv = spc_json(
        series, "--direction", "decrease", "--rebase", "2009-01", "--no-screen",
        "--target", repr(chart["target"]),
    )  # fmt: skip
    assert from_csv["points"] == chart["points"]
    assert (from_csv["variation"], from_csv["assurance"]) == (
        chart["variation"],
        chart["assurance"],
    )


def test_the_warehouse_option_reads_that_warehouse(met: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.duckdb"
    run("ingest", met, "--warehouse", other)
    same = spc_json(met, "--measure", "msv", "--as-of", AS_OF, "--warehouse", other)
    own = spc_json(met, "--measure", "msv", "--as-of", AS_OF)
    assert same == own
    # the other file's figure changed in place (its load still matches the data files, so
    # nothing is ingested again): the chart shows that file's figure, the project's is as it was
    con = duckdb.connect(str(other))
    try:
        con.execute(
            "UPDATE kpiboard_observations SET numerator = 1777 WHERE org = 'metropolitan' "
            "AND measure = 'msv' AND period_end = DATE '2009-08-01'"
        )
    finally:
        con.close()
    changed = spc_json(met, "--measure", "msv", "--as-of", AS_OF, "--warehouse", other)
    assert changed["points"][-1]["value"] == 1777.0
    assert spc_json(met, "--measure", "msv", "--as-of", AS_OF) == own
    assert own["points"][-1]["value"] == 1453.0
    rows = report_rows(met, "--as-of", AS_OF, "--warehouse", other)
    assert_is_row_spc(changed, rows["msv"]["spc"])


def test_a_vintage_is_charted_as_it_was(tmp_path: Path) -> None:
    root = copy_met(tmp_path / "met")
    run("ingest", root)
    crime = root / "data" / "crime.csv"
    text = crime.read_text(encoding="utf-8")
    assert OLD_FIGURE in text
    crime.write_text(text.replace(OLD_FIGURE, NEW_FIGURE), encoding="utf-8")
    run("ingest", root)
    then = spc_json(root, "--measure", "msv", "--as-of", AS_OF, "--vintage", "1")
    now = spc_json(root, "--measure", "msv", "--as-of", AS_OF)
    assert (then["points"][-1]["value"], now["points"][-1]["value"]) == (1453.0, 1777.0)
    assert [p["date"] for p in then["points"]] == [p["date"] for p in now["points"]]
    assert_is_row_spc(then, report_rows(root, "--as-of", AS_OF, "--vintage", "1")["msv"]["spc"])
    assert_is_row_spc(now, report_rows(root, "--as-of", AS_OF)["msv"]["spc"])


def test_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql("DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads").close()
    root = copy_met(tmp_path / "met")
    on_postgres = spc_json(root, "--measure", "knife_crime", "--warehouse", postgres_url)
    assert not (root / DEFAULT_DUCKDB).exists()  # ingested into PostgreSQL, not the DuckDB file
    assert on_postgres == spc_json(root, "--measure", "knife_crime")


# --- bad input ---------------------------------------------------------------------------


def error(*args: str | Path, code: int = 1) -> str:
    return " ".join(run("spc", *args, code=code).output.split())


def test_a_project_needs_a_measure(met: Path) -> None:
    assert "a project needs --measure" in error(met, code=2)


def test_an_unknown_measure_names_the_close_ones(met: Path) -> None:
    out = error(met, "--measure", "serious_acquisitve")
    assert "unknown measure 'serious_acquisitve' (did you mean 'serious_acquisitive'?)" in out
    out = error(met, "--measure", "msv_rate")
    assert "unknown measure 'msv_rate' (did you mean " in out and "'msv_sd_rate'" in out
    assert "kpiboard validate" in error(met, "--measure", "zzzzzz")


def test_an_unknown_organisation(met: Path) -> None:
    out = error(met, "--measure", "ksi", "--org", "Cumbra")
    assert "unknown organisation 'Cumbra' (did you mean " in out and "cumbria" in out.lower()


@pytest.mark.parametrize(
    ("measure", "why"),
    [
        (
            "confidence_asb",
            "no SPC for 'confidence_asb' for Metropolitan Police Service as of Aug-09: its data "
            "are published for 12 months at a time, not monthly",
        ),
        (
            "counter_terrorism",
            "no SPC for 'counter_terrorism' for Metropolitan Police Service as of Aug-09: it has "
            "no figure (In development: not yet measured, no status)",
        ),
        ("efficiency_gains", "fewer than 12 consecutive monthly values end at its latest figure"),
        (
            "satisfaction_white",
            "measure 'satisfaction_white' is hidden: it is not on the scorecard",
        ),
    ],
)
def test_a_measure_without_spc_says_why(met: Path, measure: str, why: str) -> None:
    assert why in error(met, "--measure", measure, "--as-of", AS_OF)


def test_a_month_without_data(met: Path) -> None:
    out = error(met, "--measure", "ksi", "--as-of", "2011-01")
    assert "--as-of 2011-01 is after the data: they cover 1994-12 to 2009-08" in out
    assert "--as-of: '2009-13' has no month 13" in error(
        met, "--measure", "ksi", "--as-of", "2009-13", code=2
    )


def test_a_warehouse_that_cannot_be_opened(met: Path, tmp_path: Path) -> None:
    out = error(met, "--measure", "ksi", "--warehouse", tmp_path)  # a folder: no warehouse
    assert f"cannot connect to the warehouse {tmp_path}" in out
    out = error(met, "--measure", "ksi", "--warehouse", "postgresql://nobody@127.0.0.1:1/db")
    assert "cannot connect to the warehouse postgres://nobody@127.0.0.1:1/db" in out
    assert "--warehouse: empty URL" in error(met, "--measure", "ksi", "--warehouse", " ", code=2)


def test_nothing_ingested_says_to_ingest(tmp_path: Path, make_project: Any) -> None:
    root = copy_met(tmp_path / "met")
    out = error(root, "--measure", "ksi", "--vintage", "1")  # a vintage: nothing is ingested
    assert "has no vintage 1 (vintages: none: nothing is ingested yet)" in out
    assert "run `kpiboard ingest PROJECT`" in out
    header = "org,measure,period_end,months,numerator,denominator,value\n"
    empty = make_project(files={"data/crime.csv": header})  # a data file without rows
    out = error(empty, "--measure", "burglary")
    assert "the project has no data yet (add data files and run `kpiboard ingest`)" in out
    # the project's data files are in error: the findings, and nothing charted
    broken = make_project(files={}, root=tmp_path / "broken")
    out = error(broken, "--measure", "burglary")
    assert "'data/*.csv' matches no files" in out and "kpiboard validate" in out


def test_series_options_are_the_measures_own(met: Path) -> None:
    out = error(met, "--measure", "ksi", "--direction", "decrease", "--no-screen", code=2)
    assert "--direction, --no-screen: a project's measure defines its own SPC options" in out
    for option in (["--target", "3"], ["--rebase", "2008-04"], ["--fix-after", "12"]):
        assert f"{option[0]}: a project's measure" in error(
            met, "--measure", "ksi", *option, code=2
        )


def test_project_options_are_refused_with_a_csv(tmp_path: Path) -> None:
    series = tmp_path / "s.csv"
    series.write_text("date,value\n" + "".join(f"2020-{m:02d},{m}\n" for m in range(1, 13)))
    assert run("spc", series).exit_code == 0
    for option in (
        ["--measure", "ksi"],
        ["--org", "x"],
        ["--as-of", "2020-05"],
        ["--vintage", "1"],
        ["--warehouse", "w.duckdb"],
    ):
        out = error(series, *option, code=2)
        assert f"{option[0]}: only with a project folder, not a CSV file" in out
    out = error(tmp_path / "mte", "--measure", "ksi")  # a mistyped project folder
    assert f"{tmp_path / 'mte'}: no such project folder" in out
