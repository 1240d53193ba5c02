"""Vintages through the command line on a copy of the Met example (real DuckDB files): every
ingest that changes something is a vintage, `report --vintage` reproduces what was known
then, `ingest` says what changed, `--check` writes nothing (docs/VINTAGES.md)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from kpiboard.cli import app
from kpiboard.errors import KpiboardError
from kpiboard.warehouse import DEFAULT_DUCKDB, Warehouse

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
AS_OF = "2009-08"
runner = CliRunner()
OLD_FIGURE = "metropolitan,msv,2009-08,1,1453,"
NEW_FIGURE = "metropolitan,msv,2009-08,1,1777,"


def run(*args: str | Path, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    return result


@pytest.fixture
def met(tmp_path: Path) -> Path:
    return Path(
        shutil.copytree(EXAMPLE, tmp_path / "met", ignore=shutil.ignore_patterns(".kpiboard"))
    )


def revise(root: Path) -> None:
    """Change one figure (the Met's most serious violence in August 2009)."""
    path = root / "data" / "crime.csv"
    text = path.read_text(encoding="utf-8")
    assert OLD_FIGURE in text
    path.write_text(text.replace(OLD_FIGURE, NEW_FIGURE), encoding="utf-8")


def table_rows(root: Path, table: str) -> int:
    con = duckdb.connect(str(root / DEFAULT_DUCKDB), read_only=True)
    try:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchall()[0][0])
    finally:
        con.close()


def test_report_of_an_old_vintage_is_the_report_given_then(met: Path) -> None:
    assert run("ingest", met).stdout.startswith("vintage 1 made\n")
    first = run("report", met, "--as-of", AS_OF, "--format", "json").stdout_bytes
    revise(met)
    second = run("ingest", met, "--format", "json")
    assert json.loads(second.stdout)["vintage"] == 2
    assert (
        run("report", met, "--as-of", AS_OF, "--format", "json", "--vintage", 1).stdout_bytes
        == first
    )
    latest = run("report", met, "--as-of", AS_OF, "--format", "json").stdout_bytes
    assert latest != first
    assert (
        run("report", met, "--as-of", AS_OF, "--format", "json", "--vintage", 2).stdout_bytes
        == latest
    )
    assert '"value": 1777.0' in msv_row(latest)  # the default report shows the new figure
    assert '"value": 1777.0' not in msv_row(first) and '"value": 1453.0' in msv_row(first)


def msv_row(report: bytes) -> str:
    """The report's row of the revised measure (its SPC points are the monthly figures)."""
    [row] = [r for r in json.loads(report)["rows"] if r["measure"] == "msv"]
    return json.dumps(row)


def test_a_revision_is_a_new_vintage_reported_as_revised(met: Path) -> None:
    run("ingest", met)
    revise(met)
    with (met / "data" / "crime.csv").open("a", encoding="utf-8") as fh:
        fh.write("metropolitan,msv,2009-09,1,1500,,,,,\n")
    out = json.loads(run("ingest", met, "--format", "json", "--by", "the analyst").stdout)
    assert (out["vintage"], out["previous"], out["changed"]) == (2, 1, True)
    assert out["changes"] == [
        {
            "subject": "msv",
            "of": "measure",
            "added": ["2009-09"],
            "revised": [{"month": "2009-08", "figures": 1, "largest_change": 324.0}],
            "removed": [],
        }
    ]
    listed = json.loads(run("vintages", met, "--format", "json").stdout)
    assert [v["id"] for v in listed] == [1, 2]
    assert listed[1]["who"] == "the analyst" and listed[1]["changes"] == out["changes"]
    assert {f["path"] for f in listed[1]["files"]} == {f["path"] for f in listed[0]["files"]}
    assert all(len(f["sha256"]) == 64 for f in listed[1]["files"])
    assert listed[0]["created"].endswith("+00:00")
    table = run("vintages", met).stdout.splitlines()
    assert len(table) == 2 and "the analyst" in table[1] and table[1].endswith("changed: msv")
    # storage grows with what changed: two rows for the two figures, not a second copy
    assert table_rows(met, "kpiboard_observations") == out["rows"] - 1 + 2
    text = run("ingest", met, "--check").stdout
    assert text.startswith("check: nothing would change since vintage 2")


def test_loading_the_same_files_again_makes_no_vintage(met: Path) -> None:
    run("ingest", met)
    stored = table_rows(met, "kpiboard_observations")
    again = run("ingest", met)
    assert again.stdout == "nothing changed since vintage 1: no new vintage\n"
    # and the summary on stderr does not count unchanged rows as "replaced"
    assert again.stderr.startswith("read 1,921 rows from 11 file(s), nothing new in duckdb://")
    assert "replaced" not in again.stderr
    assert json.loads(run("ingest", met, "--format", "json").stdout)["vintage"] is None
    assert [v["id"] for v in json.loads(run("vintages", met, "--format", "json").stdout)] == [1]
    assert table_rows(met, "kpiboard_observations") == stored
    assert table_rows(met, "kpiboard_loads") == 11  # the files of vintage 1 only


def test_check_says_what_would_change_and_writes_nothing(met: Path) -> None:
    run("ingest", met)
    db = met / DEFAULT_DUCKDB
    revise(met)
    before = {
        t: table_rows(met, t)
        for t in ("kpiboard_observations", "kpiboard_loads", "kpiboard_vintages")
    }
    checked = run("ingest", met, "--check")
    assert checked.stdout.splitlines() == [
        "check: this would be vintage 2; nothing written",
        "  measure msv: revised 2009-08 (1 figure, largest change 324)",
        # and what it would bring (tests/test_announce.py): the revised August stands out
        "would be announced:",
        "  Most serious violence rate: new special cause concern, above the upper process "
        "limit (Aug-09)",
    ]
    assert {t: table_rows(met, t) for t in before} == before
    with Warehouse.from_url(f"duckdb://{db}") as wh:
        assert [v.id for v in wh.vintages()] == [1]
        assert wh.is_stale([met / "data" / "crime.csv"])
    as_json = json.loads(run("ingest", met, "--check", "--format", "json").stdout)
    assert (as_json["checked_only"], as_json["vintage"], as_json["changed"]) == (True, None, True)


def test_a_vintage_that_does_not_exist_is_an_error_listing_them(met: Path) -> None:
    result = run("report", met, "--as-of", AS_OF, "--vintage", 99, code=1)
    assert "no vintage 99 (vintages: none: nothing is ingested yet)" in result.output
    run("ingest", met)
    revise(met)
    run("ingest", met)
    result = run("report", met, "--as-of", AS_OF, "--vintage", 99, code=1)
    assert "has no vintage 99 (vintages: 1, 2)" in result.output
    assert "kpiboard vintages PROJECT" in result.output


def test_an_unknown_format_is_a_usage_error(met: Path) -> None:
    assert "--format" in run("vintages", met, "--format", "xml", code=2).output
    assert "--format" in run("ingest", met, "--format", "html", code=2).output


def test_a_second_ingest_while_one_holds_the_warehouse_is_refused(met: Path) -> None:
    """A DuckDB warehouse is one writer's at a time: a second ingest is refused, saying why."""
    run("ingest", met)
    revise(met)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; con = duckdb.connect(sys.argv[1]); con.execute('BEGIN'); "
            "print('ready', flush=True); sys.stdin.read()",
            str(met / DEFAULT_DUCKDB),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        result = run("ingest", met, "--wait", 0, code=1)
        assert "cannot open the warehouse" in result.output
        assert "another kpiboard (or DuckDB) process may have the file open" in result.output
        assert "wait longer with --wait SECONDS" in " ".join(result.output.split())
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait()
    assert json.loads(run("ingest", met, "--format", "json").stdout)["vintage"] == 2


def test_a_warehouse_from_before_vintages_says_to_ingest_again(tmp_path: Path) -> None:
    from kpiboard.ingest import OBSERVATION_COLUMNS

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE kpiboard_observations ("
            + ", ".join(f"{c} VARCHAR" for c in OBSERVATION_COLUMNS)
            + ")"
        )
    with pytest.raises(KpiboardError) as info:
        Warehouse.from_url(f"duckdb://{path}")
    assert "made by a kpiboard without vintages" in info.value.message
    assert "kpiboard ingest PROJECT" in (info.value.hint or "")


def test_the_projects_own_warehouse_from_before_vintages_is_rebuilt_from_the_data(
    met: Path,
) -> None:
    """kpiboard's default file (no `warehouse:` set) holds only what the data files give: one
    made by an older kpiboard is rebuilt, not refused, so `make demo` and `report` keep working
    in a checkout that ingested before vintages."""
    from kpiboard.ingest import OBSERVATION_COLUMNS

    path = met / DEFAULT_DUCKDB
    path.parent.mkdir()
    with duckdb.connect(str(path)) as con:
        con.execute(
            "CREATE TABLE kpiboard_observations ("
            + ", ".join(f"{c} VARCHAR" for c in OBSERVATION_COLUMNS)
            + ")"
        )
        con.execute("INSERT INTO kpiboard_observations (org) VALUES ('stale')")
    report = run("report", met, "--as-of", AS_OF, "--format", "json")
    assert json.loads(report.stdout)["as_of"]
    assert [v["id"] for v in json.loads(run("vintages", met, "--format", "json").stdout)] == [1]
    assert table_rows(met, "kpiboard_observations") == sum(
        len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in (met / "data").glob("*.csv")
    )
