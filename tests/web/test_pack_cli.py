"""`kpiboard pack`: the month's board pack from the command line — a DRAFT with the executive
summary drafted from the figures and the dashboard's commentary, or the published pack as it
was frozen, byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from appdb_helpers import FAST_HASHER, PASSWORD
from click.testing import Result
from typer.testing import CliRunner

from kpiboard.brief import SUMMARY_KEY
from kpiboard.cli import app
from kpiboard.web.db import AppStore, Role

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def run(*args: object, code: int = 0) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def met(tmp_path: Path) -> Path:
    root = tmp_path / "met"
    shutil.copytree(
        ROOT / "examples" / "met-cpa-2009-10", root, ignore=shutil.ignore_patterns(".kpiboard")
    )
    return root


def store_of(project: Path) -> AppStore:
    return AppStore.open(AppStore.default_url(project, None), password_hasher=FAST_HASHER)


def test_a_draft_pack_with_its_summary(met: Path, tmp_path: Path) -> None:
    out = tmp_path / "pack.html"
    run("pack", met, "--as-of", "2009-08", "--output", out)
    html = out.read_text("utf-8")
    assert "DRAFT pack for Aug-09: not yet published." in html
    assert "Executive summary" in html
    assert (
        "2 Red, 8 Amber and 7 Green of 17 KPIs with a status (Jul-09: 2 Red, 7 Amber and 8 Green)"
        in html
    )
    assert '<a href="#kpi-4c">4c The value of the assets recovered' in html
    # no published pack to compare with: no "changed since" box
    assert "Changed since the last published pack" not in html
    again = tmp_path / "again.html"
    run("pack", met, "--as-of", "2009-08", "--output", again)
    assert again.read_bytes() == out.read_bytes()


def test_the_first_month_has_nothing_to_compare_with(met: Path) -> None:
    html = run("pack", met, "--as-of", "1994-12").stdout
    assert "No earlier pack to compare with: the exceptions as they stand." in html


def test_unknown_format_and_month(met: Path) -> None:
    assert "use one of html" in run("pack", met, "--format", "docx", code=2).output
    assert "2012-01" in run("pack", met, "--as-of", "2012-01", code=1).output


def test_commentary_and_edited_summary_from_the_dashboard(met: Path) -> None:
    run("ingest", met)
    store = store_of(met)
    try:
        editor = store.add_user("ed", PASSWORD, Role.EDITOR, "Ed Itor")
        store.save_commentary("metropolitan", "robbery", "2009-08", "Robbery *down*.", editor)
        store.save_commentary("metropolitan", SUMMARY_KEY, "2009-08", "All **steady**.", editor)
    finally:
        store.close()
    html = run("pack", met, "--as-of", "2009-08").stdout
    assert "Robbery <em>down</em>." in html
    assert "All <strong>steady</strong>." in html and "As drafted from the figures" in html


def test_a_published_month_is_the_frozen_pack(met: Path) -> None:
    run("ingest", met)
    store = store_of(met)
    try:
        approver = store.add_user("ap", PASSWORD, Role.APPROVER)
        store.publish(
            "metropolitan",
            "2009-08",
            scorecard_json="{}",
            pack_html="<p>the pack as it was frozen</p>",
            data_version="abc",
            commentary={},
            changes={},
            user=approver,
            vintage=1,
            files={"xlsx": ("application/x-test", b"the workbook as it was kept")},
        )
    finally:
        store.close()
    assert run("pack", met, "--as-of", "2009-08").stdout == "<p>the pack as it was frozen</p>"
    kept = run("pack", met, "--as-of", "2009-08", "--format", "xlsx").stdout_bytes
    assert kept == b"the workbook as it was kept"
    refused = run("pack", met, "--as-of", "2009-08", "--vintage", "1", code=2).output
    assert "was published on" in refused and "kept as it was frozen" in refused
    assert "kept in: html, xlsx" in refused


def test_a_draft_pack_as_a_workbook(met: Path, tmp_path: Path) -> None:
    out, again = tmp_path / "pack.xlsx", tmp_path / "again.xlsx"
    run("pack", met, "--as-of", "2009-08", "--format", "xlsx", "--output", out)
    run("pack", met, "--as-of", "2009-08", "--format", "xlsx", "--output", again)
    assert out.read_bytes() == again.read_bytes()
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:2] == ["Summary", "Scorecard"]
    summary = book["Summary"]
    texts = [c.value for c in summary["A"] if c.value]
    assert texts[1] == "DRAFT pack for Aug-09: not yet published."
    assert "Executive summary" in texts
    moved = next(c for c in summary["A"] if str(c.value).startswith("4c The value"))
    link = summary.cell(moved.row, 2)
    assert link.value == "Row 4c" and link.hyperlink is not None
    sheet, cell = link.hyperlink.location.split("!")
    assert sheet == "'Scorecard'" and book["Scorecard"][cell].value == "4c"


def test_a_draft_pack_as_pdf_with_its_summary_and_marking(met: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    config = met / "kpiboard.yaml"
    config.write_text(config.read_text("utf-8") + "protective_marking: OFFICIAL\n", "utf-8")
    out = tmp_path / "pack.pdf"
    run("pack", met, "--as-of", "2009-08", "--format", "pdf", "--output", out)
    reader = PdfReader(out)
    text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages[:4])
    assert "DRAFT pack for Aug-09: not yet published." in text
    assert "Executive summary" in text and "OFFICIAL" in text
    info = reader.metadata
    assert info is not None and info["/CreationDate"].startswith("D:20090801000000")


def test_a_draft_pack_as_an_a3_portrait_pdf(met: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    out = tmp_path / "pack.pdf"
    run("pack", met, "--as-of", "2009-08", "--format", "pdf", "--paper", "a3",
        "--orientation", "portrait", "--output", out)  # fmt: skip
    reader = PdfReader(out)
    box = reader.pages[0].mediabox
    assert (round(box.width), round(box.height)) == (842, 1191)  # A3 portrait, in points
    cover = reader.pages[0].extract_text()
    assert "DRAFT" in cover and "Executive summary" in " ".join(
        p.extract_text() for p in reader.pages[:4]
    )
    assert (
        "--paper: unknown paper size 'a5'"
        in run("pack", met, "--format", "pdf", "--paper", "a5", "--output", out, code=2).output
    )
