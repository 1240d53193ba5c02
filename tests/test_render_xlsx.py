"""The Excel workbook (``--format xlsx``) and CSV for Excel (``--format csv-excel``), read back
with openpyxl: every latest figure of the JSON report is a number on the Scorecard sheet,
formats follow the figures' units, the Data sheet agrees with the figures, the bytes are the
same every time, LibreOffice opens it, and bad input leaves no file."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from kpiboard.cli import app
from kpiboard.leaguetable import League, LeagueGroup, LeagueMeasure, LeagueRow
from kpiboard.render import LEAGUE, render
from kpiboard.render.xlsx import number_format
from kpiboard.scorecard import Organisation

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "met-cpa-2009-10"
AS_OF = "2009-08"
HEADER_ROW = 5  # the table's header row on every table sheet (1-based, as openpyxl counts)
runner = CliRunner()


def _report(root: Path, *args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["report", str(root), "--as-of", AS_OF, *args])
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("xlsx") / "met-cpa-2009-10"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".kpiboard"))
    return root


@pytest.fixture(scope="module")
def report(project: Path) -> dict[str, Any]:
    return json.loads(_report(project, "--format", "json").stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def pack(project: Path, report: dict[str, Any]) -> Path:
    del report  # built (and ingested) first
    out = project.parent / "pack.xlsx"
    _report(project, "--format", "xlsx", "--output", str(out))
    return out


@pytest.fixture(scope="module")
def book(pack: Path) -> Any:
    return openpyxl.load_workbook(pack)


def _json_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def visit(row: dict[str, Any]) -> None:
        out.append(row)
        for child in row["children"]:
            visit(child)

    for row in report["rows"]:
        visit(row)
    return out


def _sheet_rows(ws: Any) -> list[tuple[Any, ...]]:
    """The table's rows under the header, section rows (a name in the first cell only) left
    out."""
    rows = []
    for cells in ws.iter_rows(min_row=HEADER_ROW + 1):
        values = tuple(c.value for c in cells)
        if values[1] is None and values[0] is not None:  # a section row (merged)
            continue
        rows.append(cells)
    return rows


def stored(x: float) -> float:
    """A number as an .xlsx file stores it: 16 significant digits (XlsxWriter writes
    ``%.16G``; Excel itself keeps 15)."""
    return float(f"{x:.16G}")


def cell_value(figure: dict[str, Any]) -> float:
    """The number a figure's cell holds: a percentage as a fraction, else the value."""
    value = figure["value"]
    return stored(value / 100 if figure["unit"] == "%" else value)


def test_every_latest_figure_is_a_number_equal_to_the_json(
    book: Any, report: dict[str, Any]
) -> None:
    ws = book["Scorecard"]
    header = [c.value for c in ws[HEADER_ROW]]
    latest_col, title_col = header.index("Latest"), header.index("Key performance indicator")
    rows = _json_rows(report)
    cells = _sheet_rows(ws)
    assert len(cells) == len(rows)
    checked = 0
    for row, line in zip(rows, cells, strict=True):
        assert line[title_col].value == row["title"]
        latest = row["latest"]
        if latest is None or latest["value"] is None:
            continue
        cell = line[latest_col]
        assert cell.data_type == "n", (row["id"], cell.value)
        assert cell.value == cell_value(latest), row["id"]
        checked += 1
    assert checked >= 15  # the reference scorecard's figures, not a vacuous pass


def test_number_formats_follow_the_units(book: Any, report: dict[str, Any]) -> None:
    ws = book["Scorecard"]
    header = [c.value for c in ws[HEADER_ROW]]
    latest_col = header.index("Latest")
    by_id = {r["id"]: r for r in _json_rows(report)}
    formats = {
        line[0].value: line[latest_col].number_format for line in _sheet_rows(ws) if line[0].value
    }
    assert formats["2a"] == "0.0%"  # 77.3%: a fraction shown as a percentage
    assert formats["3a"] == "+0.0%;-0.0%;0.0%"  # +0.5%: a % change, signed
    assert formats["4d"] == "#,##0"  # 2,500: thousands separators
    assert formats["4c"] == '"£"#,##0.0"m"'  # £43.8m
    assert formats["2b"] == '0.0" pts"'
    for ref, fmt in formats.items():
        latest = by_id[ref]["latest"]
        if latest is not None and latest["value"] is not None:
            row = by_id[ref]
            change = row["level"] is not None and (row["change"] or {}).get("percent") is not None
            assert fmt == number_format(latest["unit"], latest["decimals"], signed=change).code


def test_every_table_has_a_frozen_header_and_an_autofilter(book: Any) -> None:
    assert book.sheetnames == ["Scorecard", "Data", "Peers", "SPC", "Notes"]
    for name in ("Scorecard", "Data", "Peers", "SPC"):
        ws = book[name]
        assert ws.freeze_panes == f"A{HEADER_ROW + 1}", name
        assert ws.auto_filter.ref is not None and ws.auto_filter.ref.startswith(f"A{HEADER_ROW}")
        assert ws.column_dimensions["B"].width > 10


def test_status_is_a_word_with_a_fill_and_rows_link_to_their_data(book: Any) -> None:
    ws = book["Scorecard"]
    header = [c.value for c in ws[HEADER_ROW]]
    status_col, data_col = header.index("Status"), header.index("Monthly data")
    lines = {line[0].value: line for line in _sheet_rows(ws) if line[0].value}
    red = lines["2b"][status_col]
    assert red.value == "R Red" and red.fill.fgColor.rgb.endswith("FFC7CE")
    link = lines["2a"][data_col].hyperlink
    assert link is not None and link.location is not None
    sheet, cell = link.location.split("!")
    assert sheet.strip("'") == "Data"
    assert book["Data"][cell.replace("$", "")].offset(0, 3).value == "user_satisfaction"


def _data(book: Any) -> dict[str, list[dict[str, Any]]]:
    ws = book["Data"]
    header = [c.value for c in ws[HEADER_ROW]]
    out: dict[str, list[dict[str, Any]]] = {}
    for cells in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True):
        record = dict(zip(header, cells, strict=True))
        out.setdefault(record["Measure"], []).append(record)
    return out


def test_the_data_sheet_is_the_series_behind_the_figures(book: Any, report: dict[str, Any]) -> None:
    data = _data(book)
    summed = published_years = 0
    for row in _json_rows(report):
        series = row["series"]
        got = data.get(row["measure"], [])
        assert len(got) == len(series), row["measure"]
        divisor = 100 if row["unit"] == "%" else 1
        for point, record in zip(series, got, strict=True):
            assert record["Month"].strftime("%Y-%m") == point["period"]
            assert record["Months"] == point["months"]
            assert record["Value"] == stored(point["value"] / divisor)
            for name in ("numerator", "denominator"):
                x = point[name]
                assert record[name.title()] == (None if x is None else stored(x)), name
            assert record["Provisional"] is point["provisional"]
            assert record["Vintage"] == report["vintage"] == 1
            assert record["Organisation id"] == report["organisation"]["id"]
        latest = row["latest"]
        if latest is None or not (latest["period"] or "").startswith("12 months to"):
            continue
        # a rolling-year estimate published as such: its figure is the sheet's row
        end = latest["period_end"]
        published = [r for r in got if r["Months"] == 12 and r["Month"].strftime("%Y-%m") == end]
        if published and row["level"] is None:
            assert published[0]["Value"] == stored(latest["value"] / divisor)
            published_years += 1
        # a rolling year of counts or proportions: its figure from the 12 months on the sheet
        monthly = [r for r in got if r["Months"] == 1]
        months = [r for r in monthly if r["Month"].strftime("%Y-%m") <= latest["period_end"]][-12:]
        if len(months) < 12 or row["kind"] not in ("count", "composite", "proportion"):
            continue
        num = sum(r["Numerator"] for r in months)
        if row["kind"] == "proportion":
            figure = 100 * num / sum(r["Denominator"] for r in months)
        else:
            figure = num
        assert figure == pytest.approx(row["level"]["value"] if row["level"] else latest["value"])
        summed += 1
    assert summed >= 4 and published_years >= 2  # 1a and 1b: survey estimates


def test_peers_and_spc_sheets_hold_numbers(book: Any, report: dict[str, Any]) -> None:
    peers = list(book["Peers"].iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    ranks = [
        (r["measure"], k["group"], k["rank"], k["of"])
        for r in _json_rows(report)
        for k in r["ranks"]
    ]
    assert [(p[1], p[3], p[4], p[5]) for p in peers] == ranks
    spc = list(book["SPC"].iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    points = sum(len(r["spc"]["points"]) for r in _json_rows(report) if r["spc"])
    assert len(spc) == points > 0
    assert all(isinstance(p[4], float | int) for p in spc)
    notes = [c for row in book["Notes"].iter_rows(values_only=True) for c in row if c]
    assert "Data vintage" in notes and "Status key" in notes and "Methods" in notes


def test_the_same_inputs_give_the_same_bytes(project: Path, pack: Path) -> None:
    again = project.parent / "again.xlsx"
    _report(project, "--format", "xlsx", "--output", str(again))
    assert again.read_bytes() == pack.read_bytes()


def test_the_league_table_workbook(project: Path) -> None:
    out = project.parent / "league.xlsx"
    _report(
        project,
        "--org",
        "all",
        "--measure",
        "user_satisfaction",
        "--format",
        "xlsx",
        "--output",
        str(out),
    )
    league = json.loads(
        _report(
            project, "--org", "all", "--measure", "user_satisfaction", "--format", "json"
        ).stdout
    )
    ws = openpyxl.load_workbook(out)["League"]
    rows = list(ws.iter_rows(min_row=5, max_row=4 + len(league["rows"]), values_only=True))
    assert [(r[0], r[3]) for r in rows] == [(x["rank"], x["org"]["id"]) for x in league["rows"]]
    assert [r[4] for r in rows] == [stored(x["value"] / 100) for x in league["rows"]]
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref is not None


def test_an_unwritable_output_is_a_clear_error_and_no_file(project: Path, report: Any) -> None:
    del report
    blocker = project.parent / "a-file"
    blocker.write_text("not a folder")
    target = blocker / "pack.xlsx"
    result = _report(project, "--format", "xlsx", "--output", str(target), code=1)
    assert f"cannot write {target}" in result.stderr
    assert not target.exists()


def test_a_month_with_no_data_is_a_clear_error_and_no_file(project: Path, report: Any) -> None:
    del report
    target = project.parent / "empty.xlsx"
    result = runner.invoke(
        app,
        ["report", str(project), "--as-of", "1990-01", "--format", "xlsx", "--output", str(target)],
    )
    assert result.exit_code == 1
    assert "before any data" in result.stderr
    assert not target.exists()


def test_a_workbook_is_not_written_to_a_terminal(project: Path) -> None:
    """A real terminal (a pseudo-terminal) on stdout: refused before any work."""
    main, tty = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "kpiboard", "report", str(project), "--format", "xlsx"],
            stdout=tty,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            timeout=120,
            check=False,
        )
    finally:
        os.close(tty)
        os.close(main)
    assert done.returncode == 2
    assert b"--format xlsx writes a binary file" in done.stderr
    assert b"--output" in done.stderr


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_converts_the_workbook_without_repair(pack: Path, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(pack),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "repair" not in output.lower() and "corrupt" not in output.lower()
    pdf = tmp_path / "pack.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-l", "2", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Confidence in local policing" in text


# --- CSV for Excel ------------------------------------------------------------------------------


def test_csv_for_excel_has_a_bom_crlf_and_the_same_cells(project: Path, report: Any) -> None:
    del report
    plain = _report(project, "--format", "csv").stdout_bytes
    excel = _report(project, "--format", "csv-excel").stdout_bytes
    assert excel.startswith(b"\xef\xbb\xbf")
    assert not plain.startswith(b"\xef\xbb\xbf")
    text = excel.decode("utf-8-sig")
    assert (
        text.endswith("\r\n") and text.count("\r\n") >= len(list(csv.reader(io.StringIO(text)))) - 1
    )
    assert list(csv.reader(io.StringIO(text))) == list(
        csv.reader(io.StringIO(plain.decode("utf-8")))
    )
    assert "£43.8m" in text


def _welsh_league() -> League:
    orgs = [Organisation("ynys-mon", "Ynys Môn"), Organisation("gwent", "Gwent")]
    rows = tuple(
        LeagueRow(n + 1, f"{n + 1}/2", org, value, f"£{value:.1f}m", n == 0, False)
        for n, (org, value) in enumerate(zip(orgs, [5.0, 7.0], strict=True))
    )
    return League(
        title="Assets recovered: Wales",
        measure=LeagueMeasure("assets", "Assets recovered", "£m", "higher_is_better", "2009/10"),
        period="2009/10",
        period_end="2010-03",
        as_of="2010-03",
        group=LeagueGroup("wales", "Wales", 2),
        rows=rows,
        pooled=None,
        pooled_text=None,
        mean_of_rates=None,
        mean_of_rates_text=None,
    )


def test_csv_for_excel_keeps_accented_names_and_pounds_in_a_league_table() -> None:
    out = LEAGUE.render(_welsh_league(), "csv-excel")
    assert out.startswith(b"\xef\xbb\xbf")
    assert "Ynys Môn".encode() in out and "£5.0m".encode() in out
    lines = out[3:].split(b"\r\n")
    assert lines[-1] == b"" and all(b"\n" not in line for line in lines)
    assert out[3:].replace(b"\r\n", b"\n") == LEAGUE.render(_welsh_league(), "csv")


def test_a_league_workbook_keeps_accented_names(tmp_path: Path) -> None:
    path = tmp_path / "wales.xlsx"
    path.write_bytes(LEAGUE.render(_welsh_league(), "xlsx"))
    ws = openpyxl.load_workbook(path)["League"]
    assert ws["C5"].value == "Ynys Môn" and ws["E5"].value == 5.0
    assert ws["E5"].number_format == '"£"#,##0.00"m"'


def test_the_sample_scorecard_renders_twice_to_the_same_bytes() -> None:
    from fixtures.scorecard_fixture import sample_scorecard

    assert render(sample_scorecard(), "xlsx") == render(sample_scorecard(), "xlsx")


def test_a_value_that_is_not_a_finite_number_is_an_empty_cell(tmp_path: Path) -> None:
    from dataclasses import replace

    from fixtures.scorecard_fixture import sample_scorecard

    card = sample_scorecard()
    first = card.rows[0]
    assert first.latest is not None
    odd = replace(first, latest=replace(first.latest, value=float("nan")))
    path = tmp_path / "nan.xlsx"
    path.write_bytes(render(replace(card, rows=(odd, *card.rows[1:])), "xlsx"))
    ws = openpyxl.load_workbook(path)["Scorecard"]
    header = [c.value for c in ws[HEADER_ROW]]
    [line] = [r for r in _sheet_rows(ws) if r[0].value == first.id]
    assert line[header.index("Latest")].value is None
    assert line[header.index("Latest as written")].value == first.latest.text
