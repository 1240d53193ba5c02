"""``--format pdf``: the board pack and the league table as PDFs, read back with pypdf (tags,
metadata, pages, fonts) and their text per page (poppler's pdftotext when installed by
``make pdf-fonts``, which is fast; else pypdf's extraction).

The example project is copied to tmp_path, marked OFFICIAL, ingested and rendered through the
CLI once per module; the bad-input cases and the layout options use the hand-built sample
scorecard, rendered in-process.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import pty
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fixtures.scorecard_fixture import sample_scorecard
from pydantic import ValidationError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject
from test_cli import copy_project, run
from test_render_registry import _league

from kpiboard.boardpack import PublishedPack
from kpiboard.catalogue import schema
from kpiboard.errors import KpiboardError
from kpiboard.render import LEAGUE, PACK, RenderOptions, render
from kpiboard.render.pdf import PdfWarning
from kpiboard.scorecard import Organisation

ROOT = Path(__file__).resolve().parents[1]
MET = ROOT / "examples" / "met-cpa-2009-10"
ENGLAND_WALES = ROOT / "examples" / "england-wales-2017-18"
A4_LANDSCAPE = (842, 595)
STATUS_WORDS = {"green": "Green", "amber": "Amber", "red": "Red", None: "No status"}
TABLE_HEADER = ("Key performance indicator", "Latest data", "Comments")


def page_texts(pdf: Path | bytes) -> list[str]:
    """Each page's text in reading (content) order, whitespace folded to single spaces and
    words broken at a hyphen at the end of a line joined again."""
    data = pdf.read_bytes() if isinstance(pdf, Path) else pdf
    count = len(PdfReader(io.BytesIO(data)).pages)
    pdftotext = shutil.which("pdftotext")
    if pdftotext is not None:
        out = subprocess.run(
            [pdftotext, "-raw", "-enc", "UTF-8", "-", "-"],
            input=data,
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        pages = out.split("\f")[:count]
    else:
        pages = [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]
    return [re.sub(r"(?<=[a-z])- (?=[a-z])", "-", " ".join(page.split())) for page in pages]


def struct_elements(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Every element of the tagged structure tree, depth first."""
    stack: list[Any] = [reader.trailer["/Root"]["/StructTreeRoot"]]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, DictionaryObject):
            if "/S" in node:
                yield node
            kids = node.get("/K")
            if kids is not None:
                stack.append(kids)


def page_sizes(reader: PdfReader) -> set[tuple[int, int]]:
    return {(round(p.mediabox.width), round(p.mediabox.height)) for p in reader.pages}


def json_rows(rows: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        yield row
        yield from json_rows(row["children"])


def exception(row: dict[str, Any]) -> bool:
    """Red or amber, or a special-cause SPC signal (from the JSON report)."""
    special = row["spc"] is not None and row["spc"]["variation"] != "common_cause"
    return row["status"] in ("red", "amber") or special


# --- the example pack through the CLI ----------------------------------------------------------


@pytest.fixture(scope="module")
def met(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The example marked OFFICIAL, ingested; its pack as PDF twice and as JSON."""
    tmp = tmp_path_factory.mktemp("pdf")
    root = copy_project(MET, tmp / "met")
    config = root / "kpiboard.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "protective_marking: OFFICIAL\n", encoding="utf-8"
    )
    run("ingest", root)
    first = tmp / "pack.pdf"
    result = run("report", root, "--as-of", "2009-08", "--format", "pdf", "--output", first)
    assert "warning" not in result.stderr
    report = json.loads(run("report", root, "--as-of", "2009-08", "--format", "json").stdout)
    return {
        "root": root,
        "pdf": first,
        "report": report,
        "pages": page_texts(first),
        "reader": PdfReader(first),
    }


def test_every_kpi_is_in_the_pdf_with_its_status_and_latest_figure(met: dict[str, Any]) -> None:
    """Each KPI's title, reference, status word and latest figure (as the JSON report writes
    it) on one page of the scorecard table."""
    pages: list[str] = met["pages"]
    rows = list(json_rows(met["report"]["rows"]))
    assert len(rows) == 25
    for row in rows:
        latest = row["latest"]["text"] if row["latest"] else None
        wanted = [row["title"], STATUS_WORDS[row["status"]]]
        wanted += [f"[{row['reference']}]"] if row["reference"] else []
        wanted += [latest] if latest else []
        on = [n for n, page in enumerate(pages) if all(w in page for w in wanted)]
        assert on, f"{row['id']}: {wanted} not together on any page"


def test_the_pdf_is_tagged_titled_in_english_and_a4_landscape(met: dict[str, Any]) -> None:
    reader: PdfReader = met["reader"]
    catalog = reader.trailer["/Root"]
    assert "/StructTreeRoot" in catalog
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "en-GB"
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True  # title, not file name
    assert reader.metadata is not None
    assert reader.metadata.title == (
        "2009/10 Critical Performance Areas – Metropolitan Police Service – as of Aug-09"
    )
    assert b"pdfuaid:part" in catalog["/Metadata"].get_object().get_data()
    assert page_sizes(reader) == {A4_LANDSCAPE}
    tags = {str(e["/S"]) for e in struct_elements(reader)}
    assert {"/Table", "/TH", "/TD", "/H1", "/H2", "/Figure", "/Caption"} <= tags


def test_every_chart_has_its_text_alternative(met: dict[str, Any]) -> None:
    figures = [e for e in struct_elements(met["reader"]) if e["/S"] == "/Figure"]
    charts = [str(e["/Alt"]) for e in figures if "/Alt" in e and "chart" in str(e["/Alt"])]
    assert charts, "no chart figure carries its text alternative"
    assert all("/Alt" in e for e in figures)
    assert any(alt.startswith("SPC chart of ") for alt in charts)


def test_the_pdf_is_dated_from_its_month_and_identified_by_its_content(
    met: dict[str, Any],
) -> None:
    info = met["reader"].metadata
    assert info["/CreationDate"] == info["/ModDate"]
    assert info["/CreationDate"].startswith("D:20090801000000")  # the as-of month, not now
    assert met["reader"].trailer["/ID"][0] != b""


def test_the_cover_counts_kpis_by_status_and_says_draft(met: dict[str, Any]) -> None:
    cover = met["pages"][0]
    rows = list(json_rows(met["report"]["rows"]))
    for (status, word), shape in zip(STATUS_WORDS.items(), "●▲■○", strict=True):
        count = sum(1 for r in rows if r["status"] == status)
        assert f"{shape} {word} {count} " in cover, (word, count)  # never colour alone
    assert f"All KPIs and their parts {len(rows)}" in cover
    assert "As at Aug-09" in cover and "Metropolitan Police Service" in cover
    assert all("DRAFT" in page for page in met["pages"])  # the watermark, on every page


def test_every_page_has_the_marking_and_its_number(met: dict[str, Any]) -> None:
    pages: list[str] = met["pages"]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert page.count("OFFICIAL") >= 2  # top and bottom
    assert all("Metropolitan Police Service" in page for page in pages[1:])


def test_the_table_header_is_on_every_page_and_no_row_is_split(met: dict[str, Any]) -> None:
    pages: list[str] = met["pages"]
    table = [n for n, page in enumerate(pages) if TABLE_HEADER[0] in page]
    first_exception = next(n for n, page in enumerate(pages) if "Exception: " in page)
    assert len(table) > 3
    # the scorecard's pages run from its first header to the first exception, each with it
    assert table == list(range(table[0], first_exception))
    for n in table:
        assert all(words in pages[n] for words in TABLE_HEADER), f"page {n + 1}"
    for row in json_rows(met["report"]["rows"]):
        if not row["facts"]:
            continue
        first, last = row["title"], " ".join(row["facts"][-1].split())
        assert any(first in pages[n] and last in pages[n] for n in table), row["id"]


def test_each_exception_has_a_page_of_its_own(met: dict[str, Any]) -> None:
    pages: list[str] = met["pages"]
    starts = [page for page in pages if "Exception: " in page]
    for row in json_rows(met["report"]["rows"]):
        if exception(row):
            heading = f"Exception: {row['id'] + ' ' if row['id'] != row['measure'] else ''}"
            assert any(f"{heading}{row['title']}" in p for p in starts), row["id"]
    assert any("Appendix" in p and "Performance assessment key" in p for p in pages)


def test_the_contents_and_the_bookmarks_give_each_part_its_page(met: dict[str, Any]) -> None:
    reader: PdfReader = met["reader"]
    pages: list[str] = met["pages"]
    [contents] = [p for p in pages if p.startswith("DRAFT Contents ")]
    [top, marks] = reader.outline
    assert top.title == "2009/10 Critical Performance Areas"
    titles = [m.title for m in marks]
    assert titles[:6] == [
        "The month at a glance",
        "Board summary",
        "Variation and assurance (Making Data Count)",
        "Confidence",
        "Safety",
        "Improvement",
    ]
    assert titles[-1] == "Appendix"
    exceptions = [m for m in marks if m.title.startswith("Exception: ")]
    assert len(exceptions) == sum(1 for r in json_rows(met["report"]["rows"]) if exception(r))
    for mark in [marks[0], marks[1], *exceptions, marks[-1]]:
        number = reader.get_destination_page_number(mark) + 1
        title = mark.title.removeprefix("Exception: ")
        assert title in pages[number - 1], mark.title  # the bookmark's page has the heading
        assert re.search(rf"{re.escape(title)}[ .]+{number} ", contents), mark.title


def test_the_fonts_are_embedded_and_named(met: dict[str, Any]) -> None:
    reader: PdfReader = met["reader"]
    fonts: set[str] = set()
    for page in reader.pages:
        for font in page["/Resources"].get("/Font", {}).values():
            font = font.get_object()
            fonts.add(str(font["/BaseFont"]).split("+")[-1])
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor  # embedded
    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists():
        assert fonts and all(f.startswith(("DejaVu", "Liberation")) for f in fonts), fonts


# --- the league table --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def league(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    tmp = tmp_path_factory.mktemp("league")
    root = copy_project(ENGLAND_WALES, tmp / "ew")
    out, again = tmp / "league.pdf", tmp / "again.pdf"
    for path in (out, again):
        run(
            "report", root, "--org", "all", "--measure", "total_crime_rate", "--format", "pdf",
            "--output", path,
        )  # fmt: skip
    return out, page_texts(out)


def test_running_the_command_twice_gives_the_same_bytes(league: tuple[Path, list[str]]) -> None:
    out, _ = league
    assert out.read_bytes() == (out.parent / "again.pdf").read_bytes()


def test_the_43_force_league_table_flows_with_its_header_repeated(
    league: tuple[Path, list[str]],
) -> None:
    out, pages = league
    reader = PdfReader(out)
    assert page_sizes(reader) == {A4_LANDSCAPE}
    assert reader.trailer["/Root"]["/Lang"] == "en-GB"
    text = " ".join(pages)
    for rank in (1, 22, 43):
        assert re.search(rf"\b{rank} [A-Z]", text), rank
    # a page with a row of the rank table has the rank table's header
    ranked = [
        p for p in pages if re.search(r"\b\d{1,2} [A-Z][A-Za-z ,&'.-]+ \d+\.\d\d per 1,000", p)
    ]
    assert len(ranked) >= 2
    assert all("Rank Organisation Value Note" in p for p in ranked)
    # so does every page of the funnel plot's figures
    funnel = [p for p in pages if re.search(r"\d to \d+\.\d\d (above|below|within) the", p)]
    assert len(funnel) >= 2
    assert all("Organisation Population Count Rate" in p for p in funnel)
    assert "London, City of" in text and "Dyfed-Powys" in text


# --- bad input and options (the sample scorecard, in-process) ----------------------------------


WELSH = "Mae’r ŵyn yn y ŷd. Łódź ≥ 5 € – “quoted” ½"
PARAGRAPHS = 24


@pytest.fixture(scope="module")
def long_welsh() -> list[str]:
    """The sample for Ynys Môn, with very long commentary in English and Welsh on one KPI."""
    card = dataclasses.replace(
        sample_scorecard(), organisation=Organisation("ynys-mon", "Heddlu Ynys Môn")
    )
    paragraphs = [
        f"Paragraph {n}: " + "the figure moved as expected. " * 40 for n in range(PARAGRAPHS)
    ]
    commentary = "\n\n".join([WELSH, *paragraphs, "The last word: fin."])
    data = render(card, "pdf", RenderOptions(commentary={"user_satisfaction": commentary}))
    return page_texts(data)


def test_welsh_and_text_outside_latin_1_keep_every_glyph(long_welsh: list[str]) -> None:
    text = " ".join(long_welsh)
    assert "Heddlu Ynys Môn" in text
    assert text.count(WELSH) == 2  # in the table and on the exception's page


def test_very_long_commentary_flows_to_the_next_page_and_is_never_clipped(
    long_welsh: list[str],
) -> None:
    text = " ".join(long_welsh)
    for n in range(PARAGRAPHS):  # every paragraph, in the table and on the exception's page
        assert text.count(f"Paragraph {n}:") == 2, n
    assert text.count("The last word: fin.") == 2
    first = [n for n, page in enumerate(long_welsh) if "Paragraph 0:" in page]
    last = [n for n, page in enumerate(long_welsh) if "The last word: fin." in page]
    assert len(first) == len(last) == 2
    assert all(b > a for a, b in zip(first, last, strict=True))  # each flowed over pages


def test_a_chart_that_cannot_be_drawn_leaves_its_text_alternative_and_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(row: object) -> list[object]:
        raise RuntimeError("vl-convert failed")

    monkeypatch.setattr("kpiboard.render.pdf.scorecard.charts_for", broken)
    with pytest.warns(PdfWarning, match="could not be drawn"):
        data = render(sample_scorecard(), "pdf")
    text = " ".join(page_texts(data))
    assert "Chart not drawn." in text
    assert "SPC chart of " in text


def test_paper_and_orientation() -> None:
    options = RenderOptions(paper="a3", orientation="portrait")
    reader = PdfReader(io.BytesIO(LEAGUE.render(_league(), "pdf", options)))
    assert page_sizes(reader) == {(842, 1191)}
    assert "Force A" in " ".join(page_texts(LEAGUE.render(_league(), "pdf")))
    with pytest.raises(KpiboardError, match="unknown paper size 'letter'"):
        render(sample_scorecard(), "pdf", RenderOptions(paper="letter"))
    with pytest.raises(KpiboardError, match="unknown orientation 'sideways'"):
        LEAGUE.render(_league(), "pdf", RenderOptions(orientation="sideways"))


def test_a_published_pack_has_its_stamp_and_date_and_no_draft() -> None:
    when = datetime(2009, 9, 14, 10, 30, tzinfo=UTC)
    pack = PublishedPack(
        sample_scorecard(), "Alice Smith", "alice", when, "0123456789ab",
        commentary={"user_satisfaction": "Satisfaction is recovering."},
    )  # fmt: skip
    data = PACK.render(pack, "pdf", RenderOptions(marking="OFFICIAL-SENSITIVE"))
    pages = page_texts(data)
    assert not any("DRAFT" in page for page in pages)
    assert "signed off on 14 Sep 2009 by Alice Smith" in pages[0]
    assert all("OFFICIAL-SENSITIVE" in page for page in pages)
    assert "Satisfaction is recovering." in " ".join(pages)
    info = PdfReader(io.BytesIO(data)).metadata
    assert info is not None and info["/CreationDate"].startswith("D:20090914103000")


def test_a_protective_marking_is_one_short_line() -> None:
    base = {"title": "t", "organisation": "a", "builtin_organisations": "england-wales"}
    assert schema.Project.model_validate(base).protective_marking is None
    marked = schema.Project.model_validate(base | {"protective_marking": " OFFICIAL "})
    assert marked.protective_marking == "OFFICIAL"
    for bad in ("OFFICIAL\nSECRET", "", "X" * 61):
        with pytest.raises(ValidationError, match="protective marking is one line"):
            schema.Project.model_validate(base | {"protective_marking": bad})


# --- the command's errors ----------------------------------------------------------------------


def test_a_month_with_no_data_is_an_error_and_writes_no_pdf(
    met: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "pack.pdf"
    result = run(
        "report", met["root"], "--as-of", "2030-01", "--format", "pdf", "--output", out, code=1
    )
    assert "2030" in result.stderr or "Jan-30" in result.stderr
    assert not out.exists()


def test_an_output_that_cannot_be_written_is_a_clear_error(
    met: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = blocker / "pack.pdf"
    result = run(
        "report", met["root"], "--as-of", "2009-08", "--format", "pdf", "--output", out, code=1
    )
    assert f"cannot write {out}: {blocker}: File exists" in result.stderr
    assert "give --output a file path" in result.stderr


def test_a_bad_paper_size_is_a_usage_error(met: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "pack.pdf"
    result = run("report", met["root"], "--format", "pdf", "--paper", "a5", "--output", out, code=2)
    assert "--paper: unknown paper size 'a5'" in result.stderr
    assert not out.exists()


def test_a_pdf_is_not_written_to_a_terminal(met: dict[str, Any]) -> None:
    """A real terminal (a pseudo-terminal): refused before any work, nothing binary shown."""
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200"}
    proc = subprocess.run(
        [sys.executable, "-m", "kpiboard", "report", str(met["root"]), "--format", "pdf"],
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        timeout=60,
        check=False,
    )
    os.close(follower)
    shown = b""
    try:
        while chunk := os.read(leader, 4096):
            shown += chunk
    except OSError:  # the terminal closed
        pass
    os.close(leader)
    assert proc.returncode == 2
    assert "PDF is binary: use --output FILE" in proc.stderr.decode()
    assert b"%PDF" not in shown


def test_the_month_at_a_glance_is_one_page_with_arrows_and_no_statistics(
    met: dict[str, Any],
) -> None:
    pages: list[str] = met["pages"]
    [page] = [p for p in pages if "The month at a glance Ref KPI" in p]
    top = list(met["report"]["rows"])  # the KPIs, not their breakdowns
    for row in top:
        assert row["title"] in page, row["id"]
        change = row["change"]
        if change is not None:
            arrow = {"up": "↑", "down": "↓", "level": "→"}[change["direction"]]
            words = change["direction"]
            if change["better"] is not None and change["direction"] != "level":
                words += ", better" if change["better"] else ", worse"
            assert f"{arrow} {words}" in page, row["id"]
    assert not re.search(r"\bp [=<]|z-test|Poisson", page)  # no p-values, no test names
    # known answers from the reference scorecard: 2a fell and is worse; 3b fell and is better
    assert re.search(r"2a User satisfaction with overall service 80% 77.3% ↓ down, worse", page)
    assert "11.9% ↓ down, better" in page


def test_a_kpi_without_an_exception_page_still_has_its_figure_against_target_over_time() -> None:
    from kpiboard.render.pdf.scorecard import scorecard_html
    from kpiboard.vocabulary import Status

    card = sample_scorecard()
    # 4a: common cause and hit and miss against its monthly target; Green, it is no exception
    rows = tuple(
        dataclasses.replace(r, status=Status.GREEN) if r.id == "4a" else r for r in card.rows
    )
    green = dataclasses.replace(card, rows=rows)
    html = scorecard_html(green, RenderOptions(), created=datetime(2009, 8, 1, tzinfo=UTC))
    trends = html[html.index('id="trends-heading"') : html.index('id="appendix"')]
    assert "4a Serious acquisitive crime rate" in trends
    assert 'class="chart trend chart-trend"' in trends and "<svg" in trends
    assert '<a href="#trends-heading">The other KPIs over time</a>' in html  # in the contents
    # as an exception (Amber), 4a has its own page and is not repeated here
    as_is = scorecard_html(card, RenderOptions(), created=datetime(2009, 8, 1, tzinfo=UTC))
    assert 'id="trends-heading"' not in as_is
