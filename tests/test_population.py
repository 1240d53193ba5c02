"""The population reader: the census table by force and plain org,year,population files give
one record per force (its population as the weight, equal to the raw table), and bad rows are
reported with file, line, column and hint."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from kpiboard.catalogue import Catalogue, load_catalogue
from kpiboard.errors import Finding, KpiboardError, ValidationFailed
from kpiboard.ingest.population import read_population
from kpiboard.ingest.records import RECORD_SCHEMA, SourceSpec

DATA = Path(__file__).parent / "data" / "population"
CENSUS = DATA / "census-2011-by-force-sample.csv"
PLAIN = DATA / "mid-year-estimates.csv"
SHARED = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "census-2011-ethnic-group-by-police-force-area.csv"
)
WY, NY = "E23000010", "E23000009"

Project = Callable[[dict[str, str | bytes]], Catalogue]


@pytest.fixture
def project(tmp_path: Path) -> Project:
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


def spec(files: tuple[str, ...] = ("data/*.csv",), set_aside: tuple[str, ...] = ()) -> SourceSpec:
    return SourceSpec("pop", "population", list(files), list(set_aside))


def populations(cat: Catalogue, s: SourceSpec | None = None) -> dict[tuple[str, dt.date], float]:
    table = read_population(cat, s or spec()).read_all()
    assert table.schema == RECORD_SCHEMA
    assert set(table["months"].to_pylist()) == {1}
    for column in ("record_id", "crime_type", "offence_code", "offence_group", "offence_subgroup"):
        assert table[column].null_count == table.num_rows
    return {(r["org"], r["period_end"]): r["weight"] for r in table.to_pylist()}


def census_totals(cat: Catalogue, path: Path) -> dict[tuple[str, dt.date], float]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    return {(cat.resolve_org(r[0]), dt.date(2011, 6, 1)): float(r[1]) for r in rows}


def test_the_census_table_gives_each_force_its_total(project: Project) -> None:
    cat = project({"data/census.csv": CENSUS.read_bytes()})
    got = populations(cat)
    assert got == census_totals(cat, CENSUS)
    assert got[(WY, dt.date(2011, 6, 1))] == 2_226_058
    assert cat.resolve_org("City of London") in {org for org, _ in got}


@pytest.mark.skipif(
    not SHARED.exists(), reason="the shared data folder (../shared/data) is not here"
)
def test_the_full_census_table_gives_all_43_forces(project: Project) -> None:
    cat = project({})
    got = populations(cat, spec((str(SHARED),)))
    assert len(got) == 43 and got == census_totals(cat, SHARED)


def test_a_plain_table_gives_mid_year_estimates(project: Project) -> None:
    cat = project({"data/mye.csv": PLAIN.read_bytes()})
    got = populations(cat)
    assert got[(WY, dt.date(2016, 6, 1))] == 2_299_700
    assert got[(WY, dt.date(2017, 6, 1))] == 2_314_400
    assert got[(NY, dt.date(2017, 6, 1))] == 815_300  # thousands separators read
    assert len(got) == 4


def test_plain_columns_in_any_order_and_case(project: Project) -> None:
    cat = project({"data/p.csv": "Population,Year,ORG,note\n100,2017,Kent,x\n"})
    assert populations(cat) == {(cat.resolve_org("Kent"), dt.date(2017, 6, 1)): 100.0}


def findings(cat: Catalogue, s: SourceSpec | None = None) -> list[Finding]:
    with pytest.raises(ValidationFailed) as exc:
        read_population(cat, s or spec()).read_all()
    return [f for f in exc.value.findings if f.level == "error"]


@pytest.mark.parametrize(
    ("line", "message", "hint"),
    [
        ("Kent,2017,0", "population: 0 is not a population (it must be above zero)", "positive"),
        ("Kent,2017,-5", "population: -5 is not a population", "positive"),
        ("Kent,2017,many", "population: 'many' is not a number", "e.g. 2281700"),
        ("Kent,2017,", "population: is blank", "must not become zero"),
        ("Kent,17/18,100", "year: '17/18' is not a year written YYYY", "e.g. 2017"),
        ("Kentt,2017,100", "org: unknown organisation 'Kentt'", "Kent"),
        (
            "West Yorkshire,2017,5",
            "org: West Yorkshire has a population for 2017 already (at line 2)",
            "once per year",
        ),
    ],
)
def test_bad_plain_rows(project: Project, line: str, message: str, hint: str) -> None:
    cat = project({"data/p.csv": f"org,year,population\nWest Yorkshire Police,2017,10\n{line}\n"})
    [f] = findings(cat)
    assert (f.file, f.line, f.subject) == ("data/p.csv", 3, "pop")
    assert f.message.startswith(message) and hint in (f.hint or ""), f.render()


def test_bad_census_rows_name_the_force_column(project: Project) -> None:
    header = CENSUS.read_text().splitlines()[0]
    cat = project(
        {
            "data/c.csv": f'{header}\nKent,0,0\nMetropolitan,"8,166,566",1\nMetropolitan Police,1,1\nAtlantis,5,5\n'
        }
    )
    found = findings(cat)
    assert [(f.line, f.message.split(" (")[0]) for f in found] == [
        (2, "Ethnic Group: All categories: Ethnic group; measures: Value: 0 is not a population"),
        (4, "PFA16NM: Metropolitan Police has a population for 2011 already"),
        (5, "PFA16NM: unknown organisation 'Atlantis'"),
    ]


def test_duplicates_across_files_and_set_aside(project: Project) -> None:
    cat = project(
        {
            "data/a.csv": "org,year,population\nKent,2017,1\nBTP,2017,9\n",
            "data/b.csv": "org,year,population\nKent,2017,2\n",
        }
    )
    [f] = findings(cat, spec(set_aside=("BTP",)))
    assert (f.file, f.line) == ("data/b.csv", 2) and "(at data/a.csv:2)" in f.message
    read = read_population(cat, spec(("data/a.csv",), set_aside=("BTP",)))
    assert read.read_all().num_rows == 1 and read.set_aside == {"BTP": 1}


def test_a_header_of_neither_layout_is_an_error(project: Project) -> None:
    cat = project({"data/p.csv": "force_code,count\nE23000010,1\n"})
    [f] = findings(cat)
    assert (f.file, f.line) == ("data/p.csv", 1) and f.message.startswith(
        "wrong header: not a population table"
    )
    assert "org, year, population" in (f.hint or "") and "PFA16NM" in (f.hint or "")
    with pytest.raises(KpiboardError, match="not 'population'"):
        read_population(cat, SourceSpec("x", "home_office_prc", ["data/*.csv"]))
