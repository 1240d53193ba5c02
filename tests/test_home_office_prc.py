"""The Home Office recorded-crime reader: per-force totals equal a plain computation of the raw
rows (official and underscored layouts, CSV and zip), quarters land on the right months, set-aside
rows are counted, every kind of bad input is reported with file, line, column and hint, and a
measure counted from the table (and its rate per 1,000 residents) goes through the warehouse."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.home_office_prc import (
    COLUMNS,
    financial_year,
    period_end,
    read_home_office_prc,
)
from kpiboard.ingest.records import RECORD_SCHEMA, SourceSpec
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project

FIXTURE = Path(__file__).parent / "data" / "home-office" / "prc-pfa-2017-18-sample.csv"
CENSUS = Path(__file__).parent / "data" / "population" / "census-2011-by-force-sample.csv"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "home-office-prc-pfa-2017-18.csv"
ASIDE = [
    "Action Fraud",
    "CIFAS",
    "UK Finance",
    "Financial Fraud Action UK",
    "British Transport Police",
]
HEADER = ",".join(COLUMNS)
WY = "E23000010"  # West Yorkshire's ONS code

Project = Callable[[dict[str, str | bytes]], Catalogue]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A project with the built-in 43 forces; ``files`` maps project paths to contents."""

    def make(files: dict[str, str | bytes]) -> Catalogue:
        root = tmp_path / "project"
        (root / "measures").mkdir(parents=True, exist_ok=True)
        (root / "kpiboard.yaml").write_text(
            "title: t\norganisation: West Yorkshire Police\nbuiltin_organisations: england-wales\ndata: []\n"
        )
        (root / "measures" / "m.yaml").write_text("measures: []\n")
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return load_catalogue(root)

    return make


def spec(
    files: tuple[str, ...] = ("data/*.csv",), set_aside: list[str] | None = None
) -> SourceSpec:
    return SourceSpec(
        "prc", "home_office_prc", list(files), ASIDE if set_aside is None else set_aside
    )


def plain_totals(path: Path) -> tuple[Counter[tuple[str, str]], Counter[str]]:
    """(force name, quarter) -> offences and force name -> rows, straight from the CSV."""
    totals: Counter[tuple[str, str]] = Counter()
    rows: Counter[str] = Counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            totals[(row["Force_Name"], row["Financial_Quarter"])] += int(row["Number_of_Offences"])
            rows[row["Force_Name"]] += 1
    return totals, rows


def check_totals(cat: Catalogue, path: Path, files: tuple[str, ...]) -> None:
    read = read_home_office_prc(cat, spec(files))
    table = read.read_all()
    assert table.schema == RECORD_SCHEMA
    got: Counter[tuple[str, dt.date]] = Counter()
    for r in table.select(["org", "period_end", "weight"]).to_pylist():
        got[(r["org"], r["period_end"])] += r["weight"]
    totals, rows = plain_totals(path)
    expected: Counter[tuple[str, dt.date]] = Counter()
    for (force, quarter), n in totals.items():
        if force not in ASIDE:
            expected[(cat.resolve_org(force), period_end(2017, int(quarter)))] += n
    assert got == expected
    assert read.set_aside == {name: rows[name] for name in ASIDE if rows[name]}
    assert read.rows == table.num_rows == sum(n for f, n in rows.items() if f not in ASIDE)


def test_per_force_totals_equal_a_plain_sum_of_the_rows(project: Project) -> None:
    cat = project({"data/prc.csv": FIXTURE.read_bytes()})
    check_totals(cat, FIXTURE, ("data/*.csv",))
    table = read_home_office_prc(cat, spec()).read_all()
    first = next(r for r in table.to_pylist() if r["offence_code"] == "34B")
    assert first["months"] == 3 and first["record_id"] is None and first["file"] == "data/prc.csv"
    assert (first["offence_group"], first["offence_subgroup"], first["crime_type"]) == (
        "Robbery",
        "Robbery of personal property",
        "Robbery",
    )


@pytest.mark.skipif(
    not SHARED.exists(), reason="the shared data folder (../shared/data) is not here"
)
def test_the_full_shared_table_equals_a_plain_sum(project: Project) -> None:
    cat = project({})
    check_totals(cat, SHARED, (str(SHARED),))


def official(path: Path, count: str = "Number of Offences") -> str:
    """The underscored copy rewritten in the official layout (spaced names, no index column,
    no police.uk category)."""
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    lines = [",".join(COLUMNS).replace("Number of Offences", count)]
    lines += [",".join(f'"{c}"' if "," in c else c for c in r[1:9]) for r in rows[1:]]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("count", ["Number of Offences", "Offence Count", "NUMBER_OF_OFFENCES"])
def test_the_official_layout_and_a_zip_read_the_same(project: Project, count: str) -> None:
    cat = project({"data/prc.csv": official(FIXTURE, count)})
    with zipfile.ZipFile(cat.root / "data" / "prc.zip", "w") as z:
        z.writestr("tables/prc.csv", official(FIXTURE, count))
    for files in (("data/prc.csv",), ("data/prc.zip",)):
        read = read_home_office_prc(cat, spec(files))
        table = read.read_all()
        assert table.column("crime_type").null_count == table.num_rows
        assert {f.path for f in read.files} == {
            "data/prc.csv" if files[0].endswith("csv") else "data/prc.zip:tables/prc.csv"
        }
    check_totals(cat, FIXTURE, ("data/prc.zip",))


@pytest.mark.parametrize(
    ("year", "quarter", "expected"),
    [
        ("2017/18", 1, dt.date(2017, 6, 1)),
        ("2017-18", 2, dt.date(2017, 9, 1)),
        ("2017/2018", 3, dt.date(2017, 12, 1)),
        ("2017/18", 4, dt.date(2018, 3, 1)),
        ("1999/00", 4, dt.date(2000, 3, 1)),
    ],
)
def test_quarters_end_in_the_right_month(
    project: Project, year: str, quarter: int, expected: dt.date
) -> None:
    start = financial_year(year)
    assert start is not None and period_end(start, quarter) == expected
    cat = project(
        {
            "data/p.csv": f"{HEADER}\n{year},Q{quarter},West Yorkshire,Robbery,Robbery,Robbery of personal property,34B,7\n"
        }
    )
    rows = read_home_office_prc(cat, spec()).read_all().to_pylist()
    assert [(r["org"], r["period_end"], r["weight"]) for r in rows] == [(WY, expected, 7.0)]


def findings(cat: Catalogue, s: SourceSpec | None = None) -> list[Finding]:
    read = read_home_office_prc(cat, s or spec())
    with pytest.raises(ValidationFailed) as exc:
        read.read_all()
    return exc.value.findings


def row(
    force: str = "West Yorkshire",
    year: str = "2017/18",
    quarter: str = "1",
    code: str = "34B",
    count: str = "5",
) -> str:
    return f'{year},{quarter},"{force}",Robbery,Robbery,Robbery of personal property,{code},{count}'


def csv_of(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        (row(year="2017"), "Financial Year: '2017' is not a financial year", "e.g. 2017/18"),
        (row(year="2017/19"), "Financial Year: '2017/19' is not a financial year", "e.g. 2017/18"),
        (row(quarter="5"), "Financial Quarter: '5' is not a quarter 1-4", "1 = Apr-Jun"),
        (
            row(force="West Yorkshre"),
            "Force Name: unknown organisation 'West Yorkshre'",
            "West Yorkshire",
        ),
        (row(count="12a"), "Number of Offences: '12a' is not a whole number", "whole number"),
        (row(count="1.5"), "Number of Offences: '1.5' is not a whole number", "whole number"),
        (row(count=""), "Number of Offences: is blank", "whole number"),
        (row(code=""), "Offence Code: is blank", "offence code"),
    ],
)
def test_bad_rows_are_errors_with_line_field_and_hint(
    project: Project, line: str, message: str, hint: str
) -> None:
    cat = project({"data/p.csv": csv_of(row(), line)})
    found = [f for f in findings(cat) if f.level == "error"]
    assert len(found) == 1, [f.render() for f in found]
    f = found[0]
    assert (f.file, f.line, f.subject) == ("data/p.csv", 3, "prc")
    assert f.message.startswith(message) and hint in (f.hint or ""), f.render()


def test_every_error_is_collected_and_nothing_is_yielded(project: Project) -> None:
    cat = project(
        {"data/p.csv": csv_of(row(), row(quarter="0"), row(count="x"), row(force="Nowhere"))}
    )
    read = read_home_office_prc(cat, spec())
    batches = iter(read)
    with pytest.raises(ValidationFailed) as exc:
        next(batches)
    assert [f.line for f in exc.value.findings if f.level == "error"] == [3, 4, 5]


def test_negative_counts_are_read_with_a_warning(project: Project) -> None:
    cat = project(
        {"data/p.csv": csv_of(row(), row(code="34A", count="-1"), row(code="26", count="-2"))}
    )
    read = read_home_office_prc(cat, spec())
    assert sorted(read.read_all()["weight"].to_pylist()) == [-2.0, -1.0, 5.0]
    [w] = read.warnings
    assert (w.file, w.line) == ("data/p.csv", 3) and w.message.startswith(
        "Number of Offences: 2 row(s)"
    )
    assert "net quarterly" in (w.hint or "")


def test_wrong_header_lists_the_expected_columns(project: Project) -> None:
    bad = HEADER.replace("Force Name", "Force").replace(",Offence Code", "")
    cat = project({"data/p.csv": csv_of(row(), header=bad)})
    [f] = findings(cat)
    assert (f.file, f.line) == ("data/p.csv", 1)
    assert "missing 'Force Name', 'Offence Code'" in f.message and "unexpected 'Force'" in f.message
    assert "Expected the Home Office columns: " + ", ".join(COLUMNS) in f.message
    assert "police force area" in (f.hint or "")


def test_a_key_coming_back_is_a_duplicate_but_split_offences_are_not(project: Project) -> None:
    homicide = [row(code="1/4.1/4.10/4.2", count=str(n)) for n in (0, 1, 1)]  # one after another
    cat = project(
        {
            "data/p.csv": csv_of(*homicide, row(), row(code="1/4.1/4.10/4.2")),
            "data/q.csv": csv_of(row(quarter="2"), row()),
        }
    )
    found = [f for f in findings(cat) if f.level == "error"]
    assert [(f.file, f.line) for f in found] == [("data/p.csv", 6), ("data/q.csv", 3)]
    assert (
        "Offence Code: 1/4.1/4.10/4.2 for West Yorkshire, 2017/18 Q1 appears again (first at line 2)"
        in found[0].message
    )
    assert "(first at data/p.csv:5)" in found[1].message and "given twice" in (found[1].hint or "")


def test_set_aside_names_are_counted_not_read(project: Project) -> None:
    cat = project(
        {
            "data/p.csv": csv_of(
                row(),
                row(force="Action Fraud", code="AF"),
                row(force="action fraud", quarter="2", code="AF"),
                row(force="CIFAS"),
            )
        }
    )
    read = read_home_office_prc(cat, spec())
    assert read.read_all().num_rows == 1
    assert read.set_aside == {"Action Fraud": 2, "CIFAS": 1}
    # without set_aside, Action Fraud is an unknown force
    found = findings(cat, spec(set_aside=[]))
    assert (
        next(f.message for f in found if f.level == "error")
        == "Force Name: unknown organisation 'Action Fraud'"
    )


def test_broken_spreadsheets_and_missing_files_are_clear_errors(project: Project) -> None:
    # (readable XLSX and ODS tables: tests/test_spreadsheet_tables.py)
    cat = project({"data/p.xls": b"\xd0\xcf\x11\xe0", "data/p.ods": b"PK\x03\x04"})
    found = findings(cat, spec(("data/p.xls", "data/p.ods", "data/none-*.csv")))
    assert [(f.file, f.message.split(":")[0]) for f in found] == [
        ("kpiboard.yaml", "source 'prc'"),
        ("data/p.xls", "an old binary Excel file (.xls) cannot be read"),
        ("data/p.ods", "not a readable ODS spreadsheet"),
    ]
    assert found[0].message == "source 'prc': files: 'data/none-*.csv' matches no files"
    assert all("as CSV (UTF-8)" in (f.hint or "") for f in found[1:])
    cat = project({"data/p.csv": b"PK\x03\x04 an xlsx renamed"})
    [f] = findings(cat)
    assert f.message.startswith("this is a spreadsheet") and "save the sheet as CSV" in (
        f.hint or ""
    )
    with pytest.raises(KpiboardError, match="not 'home_office_prc'"):
        read_home_office_prc(cat, SourceSpec("x", "population", ["data/*.csv"]))


# --- end to end: a count and its rate per 1,000 through the warehouse ----------------------------


def test_a_quarterly_count_and_its_rate_through_the_warehouse(tmp_path: Path) -> None:
    root = tmp_path / "p"
    (root / "data").mkdir(parents=True)
    shutil.copy(FIXTURE, root / "data" / "prc.csv")
    shutil.copy(CENSUS, root / "data" / "census.csv")
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
                        "files": ["data/prc.csv"],
                        "set_aside": ASIDE,
                    },
                    {"id": "pop", "type": "population", "files": ["data/census.csv"]},
                ],
            }
        )
    )
    robbery = {"source": "prc", "where": {"offence_subgroup": ["Robbery of personal property"]}}
    (root / "measures" / "m.yaml").write_text(
        yaml.safe_dump(
            {
                "measures": [
                    {
                        "id": "robbery",
                        "title": "Robbery",
                        "kind": "count",
                        "window": "quarter",
                        "polarity": "lower_is_better",
                        "records": robbery,
                    },
                    {
                        "id": "robbery_rate",
                        "title": "Robbery per 1,000",
                        "kind": "per_population",
                        "per": 1000,
                        "window": "quarter",
                        "polarity": "lower_is_better",
                        "population": "population",
                        "records": robbery,
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
    summary = ingest_project(cat)
    assert dict(summary.set_aside) == {
        "Action Fraud": 4,
        "British Transport Police": 60,
        "CIFAS": 4,
    }
    with Warehouse.open(cat) as wh:
        card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2018-03"))
    rows = {r.title: r for r in card.rows}
    # by hand, from the fixture: West Yorkshire, 2017/18 Q4, offence 34B = 802; census 2011: 2,226,058
    assert rows["Robbery"].latest is not None and rows["Robbery"].latest.value == 802
    rate = rows["Robbery per 1,000"].latest
    assert rate is not None and rate.value == pytest.approx(802 / 2_226_058 * 1000)


def test_bom_and_windows_1252_files_are_read(project: Project) -> None:
    text = csv_of(row(), row(code="34A"))
    cat = project(
        {
            "data/a.csv": b"\xef\xbb\xbf" + text.encode(),
            "data/b.csv": csv_of(row(quarter="2"))
            .replace("Robbery,Robbery,", "Robbery \xe9,Robbery,", 1)
            .encode("cp1252"),
        }
    )
    read = read_home_office_prc(cat, spec())
    assert read.read_all().num_rows == 3
    [w] = read.warnings
    assert (w.file, w.line) == ("data/b.csv", 2) and "read as Windows-1252" in w.message
