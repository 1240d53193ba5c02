"""The command line through typer's CliRunner (plus one real process): exit codes 0/1/2, one
line per finding, no tracebacks for user mistakes, and a warehouse untouched by bad input.

Every test works on a copy of the example project in tmp_path, never on examples/ itself
(except `demo`, which by design ingests into examples/met-cpa-2009-10/.kpiboard/, gitignored).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner, Result

from kpiboard import __version__
from kpiboard.cli import app
from kpiboard.warehouse import DEFAULT_DUCKDB, LOADS, OBSERVATIONS

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
AS_OF = "2009-08"
runner = CliRunner()


def run(*args: str | Path, code: int = 0) -> Result:
    """Invoke the CLI and check the exit code; a user mistake must never be an exception."""
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    if result.exception is not None:  # typer.Exit -> SystemExit is fine; anything else is a bug
        assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def copy_project(src: Path, dest: Path, *, keep_warehouse: bool = False) -> Path:
    ignore = None if keep_warehouse else shutil.ignore_patterns(".kpiboard")
    shutil.copytree(src, dest, ignore=ignore)
    return dest


def warehouse_state(root: Path) -> tuple[int, str, list[tuple[int, str, str]]]:
    """Current rows, a checksum of every stored observation (in key order, of every vintage)
    and the load log."""
    con = duckdb.connect(str(root / DEFAULT_DUCKDB), read_only=True)
    try:
        rows = con.execute(
            f"SELECT * FROM {OBSERVATIONS} ORDER BY org, measure, period_end, months, vintage_from"
        ).fetchall()
        loads = con.execute(
            f"SELECT load_id, path, sha256 FROM {LOADS} ORDER BY load_id, path"
        ).fetchall()
    finally:
        con.close()
    current = [r for r in rows if r[-1] is None]  # vintage_to: NULL while current
    return len(current), hashlib.sha256(repr(rows).encode()).hexdigest(), loads


def data_rows(root: Path) -> int:
    return sum(
        len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in (root / "data").glob("*.csv")
    )


def edit_line(path: Path, number: int, change: Callable[[str], str]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[number - 1] = change(lines[number - 1])
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example, ingested once through the CLI; tests must not change it."""
    root = copy_project(EXAMPLE, tmp_path_factory.mktemp("cli") / "met")
    result = run("ingest", root)
    # one summary line, however long (a slow machine may also show a transient progress bar)
    [summary] = [ln for ln in result.stderr.splitlines() if ln.startswith("ingested ")]
    assert summary.startswith(f"ingested {data_rows(root):,} rows from 11 file(s) into duckdb://")
    assert summary.endswith("data/surveys.csv (113)]")
    return root


@pytest.fixture
def project(tmp_path: Path, ingested: Path) -> Path:
    """A copy of the ingested example that a test may change."""
    return copy_project(ingested, tmp_path / "met", keep_warehouse=True)


# --- help, version, entry points --------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    out = run("--help").stdout
    for command in ("validate", "ingest", "report", "demo"):
        assert command in out


def test_version() -> None:
    assert run("--version").stdout == f"kpiboard {__version__}\n"


def test_console_script_and_python_m_work_in_a_real_process() -> None:
    script = Path(sys.executable).parent / "kpiboard"
    for argv in ([str(script), "--help"], [sys.executable, "-m", "kpiboard", "--help"]):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert "Usage:" in done.stdout and "report" in done.stdout
        assert "Traceback" not in done.stderr


# --- validate ---------------------------------------------------------------------------------


def test_validate_the_example(ingested: Path) -> None:
    result = run("validate", ingested)
    assert result.stdout == "0 error(s), 0 warning(s)\n"
    assert result.stderr == ""


def test_validate_prints_every_finding_on_one_line(project: Path) -> None:
    safety = project / "measures" / "2-safety.yaml"
    text = safety.read_text(encoding="utf-8")
    line = text.splitlines().index("    parent: serious_acquisitive") + 1
    safety.write_text(
        text.replace("    parent: serious_acquisitive", "    parent: serious_aquisitive", 1),
        encoding="utf-8",
    )
    edit_line(project / "data" / "crime.csv", 5, lambda s: s.replace(",1558,", ",abc,"))
    result = run("validate", project, code=1)
    assert result.stderr.splitlines() == [
        f"ERROR measures/2-safety.yaml:{line} res_burglary: parent 'serious_aquisitive' does not exist "
        "(did you mean 'serious_acquisitive'?)",
        "ERROR data/crime.csv:5 msv: numerator: 'abc' is not a number (write a plain number such as 1234 "
        "or 77.3 (no thousands separators, units or %))",
    ]
    assert result.stdout == "2 error(s), 0 warning(s)\n"


def test_validate_says_when_the_data_could_not_be_checked(project: Path) -> None:
    (project / "measures" / "9-bad.yaml").write_text(
        "measures:\n  - id: x\n    title: X\n    kind: counts\n", encoding="utf-8"
    )
    result = run("validate", project, code=1)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("ERROR measures/9-bad.yaml:4 x: kind: Input should be 'count'")
    assert lines[1] == "the data files were not checked: fix the definitions above first"
    assert result.stdout == "1 error(s), 0 warning(s)\n"


def test_validate_an_invalid_financial_year_names_file_and_line(project: Path) -> None:
    (project / "measures" / "9-bad.yaml").write_text(
        "measures:\n  - id: x\n    title: X\n    kind: count\n    targets:\n      - {year: 2009/11, change: -5}\n",
        encoding="utf-8",
    )
    result = run("validate", project, code=1)
    assert result.stderr.splitlines()[0] == (
        "ERROR measures/9-bad.yaml:6 x: targets.year: '2009/11' is not a financial year (did you mean 2009/10?)"
    )


def test_validate_refuses_a_yaml_alias_bomb(project: Path) -> None:
    # "billion laughs": each line nine aliases of the one before, 9**9 values once written out
    bomb = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
        f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    (project / "measures" / "9-bomb.yaml").write_text(bomb, encoding="utf-8")
    result = run("validate", project, code=1)
    assert result.stderr.splitlines()[0] == (
        "ERROR measures/9-bomb.yaml:5: too many YAML aliases (more than 1000) (anchors and aliases "
        "are for sharing a value, not for building large structures; write the values out)"
    )


def test_validate_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    result = run("validate", tmp_path, code=1)
    assert f"error: no kpiboard.yaml in {tmp_path}" in result.stderr
    assert "point kpiboard at a project folder" in result.stderr


# --- ingest and bad input -----------------------------------------------------------------------


def test_ingest_then_report_json(ingested: Path) -> None:
    card = json.loads(run("report", ingested, "--as-of", AS_OF, "--format", "json").stdout)
    assert card["organisation"]["id"] == "metropolitan" and card["as_of"] == AS_OF
    assert card["financial_year"] == "2009/10"
    [row] = [r for r in card["rows"] if r["id"] == "2a"]
    assert row["status"] == "amber" and row["latest"]["text"] == "77.3%"


def _header(root: Path) -> None:
    edit_line(root / "data" / "crime.csv", 1, lambda s: s.replace("period_end", "peroid_end"))


def _not_a_number(root: Path) -> None:
    edit_line(root / "data" / "crime.csv", 5, lambda s: s.replace(",1558,", ",abc,"))


def _month_13(root: Path) -> None:
    edit_line(root / "data" / "crime.csv", 42, lambda s: s.replace("2009-08", "2009-13"))


def _unknown_org(root: Path) -> None:
    edit_line(root / "data" / "crime.csv", 5, lambda s: s.replace("metropolitan,", "Metropolitn,"))


def _empty(root: Path) -> None:
    (root / "data" / "crime.csv").write_bytes(b"")


BAD_INPUT = [
    (
        "misspelled column",
        _header,
        "ERROR data/crime.csv:1: unknown column 'peroid_end' (did you mean 'period_end'?) "
        "(rename the column to 'period_end')",
    ),
    (
        "not a number",
        _not_a_number,
        "ERROR data/crime.csv:5 msv: numerator: 'abc' is not a number (",
    ),
    ("month 13", _month_13, "ERROR data/crime.csv:42 msv: period_end: '2009-13' has no month 13 ("),
    (
        "unknown organisation",
        _unknown_org,
        "ERROR data/crime.csv:5 msv: org: unknown organisation 'Metropolitn' (did you mean 'metropolitan'",
    ),
    ("empty file", _empty, "ERROR data/crime.csv: the file is empty (write a header line"),
]


@pytest.mark.parametrize("command", ["ingest", "report"])
@pytest.mark.parametrize("spoil,message", [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_fails_cleanly_and_leaves_the_warehouse_alone(
    project: Path, command: str, spoil: Callable[[Path], None], message: str
) -> None:
    before = warehouse_state(project)
    spoil(project)
    args = ["--as-of", AS_OF, "--format", "json"] if command == "report" else []
    result = run(command, project, *args, code=1)
    lines = result.stderr.splitlines()
    assert [ln for ln in lines if ln.startswith(message)], result.stderr
    assert lines[-1] == "error: 1 error(s) in the project (run `kpiboard validate` to see them all)"
    assert result.stdout == ""
    assert warehouse_state(project) == before


# --- report -------------------------------------------------------------------------------------


def test_report_before_any_data(ingested: Path) -> None:
    result = run("report", ingested, "--as-of", "1990-01", code=1)
    assert (
        result.stderr
        == "error: --as-of 1990-01 is before any data (the earliest data are for 1994-12)\n"
    )


@pytest.mark.parametrize(
    "args,message",
    [
        (["--as-of", "2009-13"], "error: --as-of: '2009-13' has no month 13 (months run 01 to 12)"),
        (
            ["--as-of", "Aug-09"],
            "error: --as-of: 'Aug-09' is not a month (write months as YYYY-MM, e.g. 2009-08)",
        ),
        (
            ["--as-of", AS_OF, "--format", "docx"],
            "error: --format: unknown format 'docx' (use one of table, json, csv, md, html, "
            "pdf, xlsx, csv-excel",
        ),
    ],
    # (no --as-of is no longer a usage error: the latest month, tests/test_report_month.py)
    ids=["month 13", "Aug-09", "docx"],
)
def test_usage_errors_exit_2(ingested: Path, args: list[str], message: str) -> None:
    result = run("report", ingested, *args, code=2)
    assert message in result.stderr
    assert result.stdout == ""


def test_report_ingests_first_when_the_data_changed(project: Path) -> None:
    before = warehouse_state(project)
    edit_line(project / "data" / "corporate.csv", 6, lambda s: s.replace(",113.9,", ",120.5,"))
    card = json.loads(run("report", project, "--as-of", AS_OF, "--format", "json").stdout)
    [row] = [r for r in card["rows"] if r["measure"] == "efficiency_gains"]
    assert row["latest"]["text"] == "£120.5m"
    after = warehouse_state(project)
    assert after[0] == before[0] and after[1] != before[1]
    assert after[2][-1][0] == before[2][-1][0] + 1  # a new load was recorded


def test_report_for_another_organisation_by_alias(ingested: Path) -> None:
    card = json.loads(
        run(
            "report", ingested, "--as-of", AS_OF, "--org", "Greater Manchester", "--format", "json"
        ).stdout
    )
    assert card["organisation"] == {"id": "greater-manchester", "name": "Greater Manchester Police"}


def test_report_for_an_unknown_organisation(ingested: Path) -> None:
    result = run("report", ingested, "--as-of", AS_OF, "--org", "Greater Manchestr", code=1)
    assert (
        result.stderr
        == "error: unknown organisation 'Greater Manchestr' (did you mean 'greater-manchester'?)\n"
    )


def test_report_html_to_a_file(
    ingested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("report", ingested, "--as-of", AS_OF, "--format", "html", "--output", "out/x.html")
    assert result.stdout == "" and "wrote out/x.html" in result.stderr
    html = (tmp_path / "out" / "x.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert '<th scope="row" class="ref">2a</th>' in html


def test_report_to_an_unwritable_output_is_a_user_error(ingested: Path, tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("", encoding="utf-8")
    for output, why in (
        (tmp_path, "Is a directory"),
        (tmp_path / "afile" / "x.html", "File exists"),
    ):
        result = run(
            "report", ingested, "--as-of", AS_OF, "--format", "html", "--output", output, code=1
        )
        assert result.stderr.startswith(f"error: cannot write {output}: ") and why in result.stderr


def test_report_csv_md_and_table_to_stdout(ingested: Path) -> None:
    out = run("report", ingested, "--as-of", AS_OF, "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows][:3] == ["1a", "1b", "2a"]
    assert rows[2]["status"] == "amber" and rows[2]["latest"] == "77.3%"

    md = run("report", ingested, "--as-of", AS_OF, "--format", "md").stdout
    assert md.startswith("# 2009/10 Critical Performance Areas")
    for section in ("## Confidence", "## Safety", "## Improvement"):
        assert f"\n{section}\n" in md

    table = run("report", ingested, "--as-of", AS_OF).stdout
    assert "2a User satisfaction with overall service" in table
    assert "A Amber" in table


# --- demo ---------------------------------------------------------------------------------------


def test_demo(tmp_path: Path) -> None:
    result = run("demo", "--no-serve", "--output", tmp_path / "demo.html")
    assert "2009/10 Critical Performance Areas" in result.stdout
    [line] = [ln for ln in result.stdout.splitlines() if ln.startswith("HTML report: ")]
    path = Path(line.removeprefix("HTML report: "))
    assert path == (tmp_path / "demo.html").resolve() and path.is_file()
    assert '<html lang="en">' in path.read_text(encoding="utf-8")
    packs = [ln for ln in result.stdout.splitlines() if ln.startswith("Board pack (")]
    assert [Path(ln.split(": ", 1)[1]).name for ln in packs] == ["demo-pack.pdf", "demo-pack.xlsx"]
    assert (tmp_path / "demo-pack.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "demo-pack.xlsx").read_bytes().startswith(b"PK")
