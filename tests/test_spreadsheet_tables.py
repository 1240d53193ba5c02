"""Home Office and population tables as XLSX and ODS: the same records, and so the same
observations, as the CSV of the same table; the header found below title rows on the data
sheet (cover and notes sheets skipped); errors naming file, sheet, row and what was expected."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from spreadsheets import csv_rows, published, write_ods, write_xlsx

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import Finding, ValidationFailed
from kpiboard.ingest.home_office_prc import read_home_office_prc
from kpiboard.ingest.population import read_population
from kpiboard.ingest.records import SourceSpec
from kpiboard.ingest.spreadsheet import HEADER_SEARCH_ROWS, cell_text
from kpiboard.warehouse import Warehouse, ingest_project

DATA = Path(__file__).parent / "data"
PRC = DATA / "home-office" / "prc-pfa-2017-18-sample.csv"
CENSUS = DATA / "population" / "census-2011-by-force-sample.csv"
ASIDE = [
    "Action Fraud",
    "CIFAS",
    "UK Finance",
    "Financial Fraud Action UK",
    "British Transport Police",
]
WRITERS = {"xlsx": write_xlsx, "ods": write_ods}

Project = Callable[[dict[str, Path | bytes]], Catalogue]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    def make(files: dict[str, Path | bytes]) -> Catalogue:
        root = tmp_path / "project"
        (root / "measures").mkdir(parents=True, exist_ok=True)
        (root / "kpiboard.yaml").write_text(
            "title: t\norganisation: West Yorkshire Police\nbuiltin_organisations: england-wales\ndata: []\n"
        )
        (root / "measures" / "m.yaml").write_text("measures: []\n")
        for rel, content in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, Path):
                shutil.copy(content, root / rel)
            else:
                (root / rel).write_bytes(content)
        return load_catalogue(root)

    return make


def prc(files: list[str]) -> SourceSpec:
    return SourceSpec("prc", "home_office_prc", files, ASIDE)


def records(table: pa.Table) -> list[dict[str, object]]:
    """The records without the file they came from, in order."""
    return table.drop_columns(["file"]).to_pylist()


def errors(read: object) -> list[Finding]:
    with pytest.raises(ValidationFailed) as exc:
        read.read_all()  # type: ignore[attr-defined]
    return [f for f in exc.value.findings if f.level == "error"]


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_home_office_table_gives_the_same_records_as_its_csv(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    book = tmp_path / f"prc.{fmt}"
    WRITERS[fmt](book, published(csv_rows(PRC), "Police recorded crime by police force area"))
    cat = project({"data/prc.csv": PRC, f"data/prc.{fmt}": book})
    from_csv = read_home_office_prc(cat, prc(["data/prc.csv"]))
    from_book = read_home_office_prc(cat, prc([f"data/prc.{fmt}"]))
    csv_table, book_table = from_csv.read_all(), from_book.read_all()
    assert book_table.num_rows == csv_table.num_rows == 308 - 68  # rows less the set-aside ones
    assert records(book_table) == records(csv_table)
    assert set(book_table.column("file").to_pylist()) == {f"data/prc.{fmt}"}
    assert from_book.set_aside == from_csv.set_aside
    [stamp] = from_book.files
    assert (stamp.path, stamp.rows) == (f"data/prc.{fmt}", 308)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_census_table_gives_the_same_populations_as_its_csv(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    book = tmp_path / f"census.{fmt}"
    WRITERS[fmt](book, published(csv_rows(CENSUS), "Usual residents by ethnic group, 2011"))
    cat = project({"data/census.csv": CENSUS, f"data/census.{fmt}": book})
    a = read_population(cat, SourceSpec("pop", "population", ["data/census.csv"])).read_all()
    b = read_population(cat, SourceSpec("pop", "population", [f"data/census.{fmt}"])).read_all()
    assert b.num_rows == a.num_rows == 6 and records(b) == records(a)


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_the_same_observations_through_the_warehouse(tmp_path: Path, fmt: str) -> None:
    def observations(
        files: dict[str, Path], prc_file: str, pop_file: str
    ) -> list[dict[str, object]]:
        root = tmp_path / f"p-{prc_file.rsplit('.', 1)[-1]}"
        (root / "data").mkdir(parents=True)
        for rel, src in files.items():
            shutil.copy(src, root / rel)
        (root / "measures").mkdir()
        (root / "kpiboard.yaml").write_text(
            yaml.safe_dump(
                {
                    "title": "PRC",
                    "organisation": "West Yorkshire Police",
                    "builtin_organisations": "england-wales",
                    "data": [],
                    "population": "population",
                    "sources": [
                        {
                            "id": "prc",
                            "type": "home_office_prc",
                            "files": [prc_file],
                            "set_aside": ASIDE,
                        },
                        {"id": "pop", "type": "population", "files": [pop_file]},
                    ],
                }
            )
        )
        (root / "measures" / "m.yaml").write_text(
            yaml.safe_dump(
                {
                    "measures": [
                        {
                            "id": "robbery",
                            "title": "Robbery",
                            "kind": "count",
                            "window": "quarter",
                            "records": {"source": "prc", "where": {"offence_group": ["Robbery"]}},
                        },
                        {
                            "id": "all_crime",
                            "title": "All",
                            "kind": "count",
                            "window": "quarter",
                            "records": {"source": "prc", "where": {}},
                        },
                        {
                            "id": "population",
                            "title": "Population",
                            "kind": "snapshot",
                            "records": {"source": "pop"},
                        },
                    ]
                }
            )
        )
        cat = load_catalogue(root)
        ingest_project(cat)
        with Warehouse.open(cat) as wh:
            table = wh.scorecard_observations(cat).to_pyarrow()
        rows = table.drop_columns(["source"]).to_pylist()
        return sorted(rows, key=lambda r: (r["measure"], r["org"], r["period_end"]))

    prc_book, pop_book = tmp_path / f"prc.{fmt}", tmp_path / f"census.{fmt}"
    WRITERS[fmt](prc_book, published(csv_rows(PRC), "Police recorded crime"))
    WRITERS[fmt](pop_book, published(csv_rows(CENSUS), "Census 2011"))
    from_csv = observations(
        {"data/prc.csv": PRC, "data/census.csv": CENSUS}, "data/prc.csv", "data/census.csv"
    )
    from_book = observations(
        {f"data/prc.{fmt}": prc_book, f"data/census.{fmt}": pop_book},
        f"data/prc.{fmt}",
        f"data/census.{fmt}",
    )
    assert {r["measure"] for r in from_csv} == {"robbery", "all_crime", "population"}
    assert len(from_csv) >= 30 and from_book == from_csv


def test_a_table_split_over_sheets_is_read_whole_and_a_repeat_is_caught(
    project: Project, tmp_path: Path
) -> None:
    rows = csv_rows(PRC)
    header, body = rows[0], rows[1:]
    q1 = [r for r in body if r[2] == 1]
    rest = [r for r in body if r[2] != 1]
    book = tmp_path / "split.xlsx"
    write_xlsx(
        book, [("Notes", [["About"]]), ("Q1", [["Title"], header, *q1]), ("Q2-Q4", [header, *rest])]
    )
    cat = project({"data/prc.csv": PRC, "data/split.xlsx": book})
    whole = read_home_office_prc(cat, prc(["data/split.xlsx"])).read_all()
    csv_table = read_home_office_prc(cat, prc(["data/prc.csv"])).read_all()
    key = ("org", "period_end", "offence_code", "weight")
    assert sorted(whole.select(key).to_pylist(), key=str) == sorted(
        csv_table.select(key).to_pylist(), key=str
    )
    # the same quarter on two sheets: an error at the second sheet's row, naming the first
    forces = [r for r in q1 if r[3] not in ASIDE][:3]
    write_xlsx(book, [("A", [header, *forces]), ("B", [header, *forces])])
    cat = project({"data/split.xlsx": book})
    [first, *_] = errors(read_home_office_prc(cat, prc(["data/split.xlsx"])))
    assert (first.file, first.line) == ("data/split.xlsx[B]", 2)
    assert "appears again (first at data/split.xlsx[A]:2)" in first.message


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_a_bad_cell_is_reported_at_its_sheet_and_row(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    rows = csv_rows(PRC)
    rows[3][8] = "lots"  # Number_of_Offences of the table's third data row
    book = tmp_path / f"bad.{fmt}"
    sheets = published(rows, "Title")
    WRITERS[fmt](book, sheets)
    cat = project({f"data/bad.{fmt}": book})
    [err] = errors(read_home_office_prc(cat, prc([f"data/bad.{fmt}"])))
    # the data sheet: 5 rows of titles, the header on row 6, so the third data row is row 9
    assert (err.file, err.line) == (f"data/bad.{fmt}[Data]", 9)
    assert err.message == "Number of Offences: 'lots' is not a whole number"
    assert sheets[2][1][8][8] == "lots"  # row 9 of the sheet, as a spreadsheet numbers it


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_no_sheet_with_the_header_says_what_was_looked_for(
    project: Project, tmp_path: Path, fmt: str
) -> None:
    book = tmp_path / f"other.{fmt}"
    WRITERS[fmt](book, [("Cover", [["Title"]]), ("Data", [["Code", "Offences"], ["E23000010", 3]])])
    cat = project({f"data/other.{fmt}": book})
    [err] = errors(read_home_office_prc(cat, prc([f"data/other.{fmt}"])))
    assert err.file == f"data/other.{fmt}" and err.line is None
    assert err.message == (
        "no sheet has the header row of the table: looked at the first "
        f"{HEADER_SEARCH_ROWS} filled rows of sheet(s) 'Cover', 'Data'"
    )
    assert "Financial Year, Financial Quarter, Force Name" in (err.hint or "")
    [err] = errors(read_population(cat, SourceSpec("pop", "population", [f"data/other.{fmt}"])))
    assert "org, year, population" in (err.hint or "")


def test_a_header_below_the_search_depth_is_not_found(project: Project, tmp_path: Path) -> None:
    rows = csv_rows(CENSUS)
    book = tmp_path / "deep.xlsx"
    write_xlsx(book, [("Data", [[f"title {i}"] for i in range(HEADER_SEARCH_ROWS)] + rows)])
    cat = project({"data/deep.xlsx": book})
    [err] = errors(read_population(cat, SourceSpec("pop", "population", ["data/deep.xlsx"])))
    assert err.message.startswith("no sheet has the header row")


def test_unreadable_and_old_spreadsheets_are_clear_errors(project: Project) -> None:
    cat = project(
        {
            "data/p.xlsx": b"PK\x03\x04 not really",
            "data/p.ods": b"not a zip",
            "data/p.xls": b"\xd0\xcf\x11\xe0 binary",
        }
    )
    found = errors(read_home_office_prc(cat, prc(["data/p.xlsx", "data/p.ods", "data/p.xls"])))
    by_file = {f.file: f for f in found}
    assert by_file["data/p.xls"].message == "an old binary Excel file (.xls) cannot be read"
    assert "save it as XLSX" in (by_file["data/p.xls"].hint or "")
    assert by_file["data/p.xlsx"].message.startswith("not a readable XLSX spreadsheet: ")
    assert by_file["data/p.ods"].message.startswith("not a readable ODS spreadsheet: ")
    assert all("as CSV (UTF-8)" in (f.hint or "") for f in found)


def test_cells_read_as_a_csv_would_hold_them() -> None:
    import datetime as dt

    assert [
        cell_text(v)
        for v in (
            None,
            0,
            -3,
            1234.0,
            0.25,
            "a  b",
            False,
            dt.datetime(2018, 3, 1),
            dt.datetime(2018, 3, 1, 9, 30),
        )
    ] == ["", "0", "-3", "1234", "0.25", "a  b", "FALSE", "2018-03-01", "2018-03-01 09:30:00"]
