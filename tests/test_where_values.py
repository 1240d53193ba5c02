"""Measures' `records.where` values checked against the records an ingest loaded: a value that
matches no record is a warning naming the measure, file, line, column and value with the nearest
values present; a list YAML split at a comma gets "quote it"; a measure left with nothing to count
says it will have no data; correct values and the bundled examples give no such warning; the
check runs in the warehouse (DuckDB and PostgreSQL) and never stops an ingest."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kpiboard.assemble import assemble_scorecard
from kpiboard.catalogue import load_catalogue
from kpiboard.cli import app
from kpiboard.errors import Finding
from kpiboard.ingest.home_office_prc import COLUMNS
from kpiboard.periods import parse_month
from kpiboard.warehouse import Warehouse, ingest_project, where_values
from kpiboard.warehouse.where_values import present_values

ROOT = Path(__file__).resolve().parents[1]
POLICE_UK = Path(__file__).resolve().parent / "data" / "police-uk"
EXAMPLES = ("west-yorkshire-police-uk", "england-wales-2017-18", "met-cpa-2009-10")
CRIME_TYPES = {  # the crime types of the two police.uk fixture files (checked below)
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
}
PROJECT = """\
title: Where values
organisation: West Yorkshire Police
builtin_organisations: england-wales
data: []
sources:
  - {id: street, type: police_uk_street, files: ["data/police-uk/*.csv"], set_aside: [British Transport Police]}
  - {id: prc, type: home_office_prc, files: ["data/prc.csv"]}
"""
# A Home Office table whose offence groups (made up for the test) contain commas.
PRC_ROWS = [
    ("2017/18", "1", "West Yorkshire", "Rates per 1,000 residents", "R1", "10"),
    ("2017/18", "1", "West Yorkshire", "Burglary, residential, attempted", "B2", "7"),
    ("2017/18", "1", "West Yorkshire", "Robbery", "34B", "5"),
    ("2017/18", "1", "North Yorkshire", "Rates per 1,000 residents", "R1", "3"),
]


def prc_csv() -> str:
    lines = [",".join(COLUMNS)]
    for year, quarter, force, group, code, count in PRC_ROWS:
        cells = [year, quarter, force, "an offence", f'"{group}"', "a subgroup", code, count]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def project(root: Path, measures: str) -> Path:
    """A project with both sources and ``measures`` written as they are (YAML text)."""
    (root / "data" / "police-uk").mkdir(parents=True)
    for f in POLICE_UK.glob("*.csv"):
        shutil.copy(f, root / "data" / "police-uk" / f.name)
    (root / "data" / "prc.csv").write_text(prc_csv(), encoding="utf-8")
    (root / "measures").mkdir()
    (root / "kpiboard.yaml").write_text(PROJECT, encoding="utf-8")
    (root / "measures" / "crime.yaml").write_text(measures, encoding="utf-8")
    return root


def measure(mid: str, records: str, kind: str = "count", window: str = "month") -> str:
    return (
        f"  - id: {mid}\n    title: {mid}\n    kind: {kind}\n    window: {window}\n"
        f"    polarity: lower_is_better\n    records: {records}\n"
    )


def where_warnings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    return [f for f in findings if f.message.startswith("records.where")]


def test_the_fixture_crime_types_are_those_assumed(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        "measures:\n" + measure("burglary", "{source: street, where: {crime_type: [Burglary]}}"),
    )
    cat = load_catalogue(root)
    ingest_project(cat)
    with Warehouse.open(cat) as wh:
        found = present_values(
            wh.records(),
            [("street", "crime_type"), ("prc", "offence_group"), ("street", "offence_group")],
        )
    assert found == {
        ("street", "crime_type"): CRIME_TYPES,
        ("prc", "offence_group"): {g for *_, g, _, _ in PRC_ROWS},
        ("street", "offence_group"): set(),
    }


def test_correct_values_give_no_warning(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        "measures:\n"
        + measure("burglary", "{source: street, where: {crime_type: [Burglary]}}")
        + measure(
            "acquisitive",
            '{source: street, where: {crime_type: ["Burglary", "Robbery", "Vehicle crime"]}}',
        )
        + measure(
            "rates",
            '{source: prc, where: {offence_group: ["Rates per 1,000 residents"]}}',
            window="quarter",
        )
        + measure("all_street", "{source: street}"),
    )
    summary = ingest_project(load_catalogue(root))
    assert where_warnings(summary.warnings) == []
    assert [w for w in summary.warnings if "records" in w.message] == []


def test_a_typo_is_named_with_the_nearest_value_and_no_data(tmp_path: Path) -> None:
    measures = (
        "measures:\n"
        + measure("burglary", "{source: street, where: {crime_type: [Burglry]}}")
        + measure(
            "acquisitive",
            "\n      source: street\n      where:\n        crime_type:\n"
            "          - Robbery\n          - Vehical crime\n",
        )
    )
    root = project(tmp_path / "p", measures)
    summary = ingest_project(load_catalogue(root))
    assert summary.records > 0  # the ingest went ahead
    typo, no_data, vehicle = where_warnings(summary.warnings)
    assert typo.render() == (
        "WARNING measures/crime.yaml:7 burglary: records.where.crime_type: 'Burglry' matches no "
        "record of source 'street' (did you mean 'Burglary'? Correct the value in "
        "measures/crime.yaml, or remove it)"
    )
    assert (no_data.level, no_data.file, no_data.line, no_data.subject) == (
        "warning",
        "measures/crime.yaml",
        7,
        "burglary",
    )
    assert no_data.message == (
        "records.where.crime_type: none of its values matches a record of "
        "source 'street': burglary will have no data"
    )
    # a block list: the line of the item itself; one value matches, so no "no data"
    assert (vehicle.file, vehicle.line, vehicle.subject) == (
        "measures/crime.yaml",
        18,
        "acquisitive",
    )
    assert (
        vehicle.message
        == "records.where.crime_type: 'Vehical crime' matches no record of source 'street'"
    )
    assert vehicle.hint is not None and vehicle.hint.startswith("did you mean 'Vehicle crime'?")
    assert (root / "measures" / "crime.yaml").read_text().splitlines()[
        17
    ].strip() == "- Vehical crime"


def test_none_of_several_values_matching_says_no_data(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        "measures:\n"
        + measure(
            "acquisitive", "{source: street, where: {crime_type: [Burgalry, Robery, Shop lifting]}}"
        ),
    )
    summary = ingest_project(load_catalogue(root))
    found = where_warnings(summary.warnings)
    assert [f.message for f in found] == [
        "records.where.crime_type: 'Burgalry' matches no record of source 'street'",
        "records.where.crime_type: 'Robery' matches no record of source 'street'",
        "records.where.crime_type: 'Shop lifting' matches no record of source 'street'",
        "records.where.crime_type: none of its values matches a record of source 'street': "
        "acquisitive will have no data",
    ]
    assert [f.hint.split("?")[0] for f in found[:3] if f.hint] == [
        "did you mean 'Burglary'",
        "did you mean 'Robbery'",
        "did you mean 'Shoplifting'",
    ]
    # and indeed: no data
    cat = load_catalogue(root)
    with Warehouse.open(cat) as wh:
        obs = wh.scorecard_observations(cat)
        assert obs.filter(obs.measure == "acquisitive").count().to_pyarrow().as_py() == 0


def test_a_value_split_at_its_comma_gets_the_quote_hint(tmp_path: Path) -> None:
    measures = (
        "measures:\n"
        + measure(
            "rates",
            "{source: prc, where: {offence_group: [Rates per 1,000 residents]}}",
            window="quarter",
        )
        + measure(
            "burglary",
            "{source: prc, where: {offence_group: [Robbery, Burglary, residential, attempted]}}",
            window="quarter",
        )
    )
    root = project(tmp_path / "p", measures)
    cat = load_catalogue(root)
    assert cat.measures["rates"].records is not None
    assert cat.measures["rates"].records.where == {
        "offence_group": ["Rates per 1", "000 residents"]
    }
    summary = ingest_project(cat)
    rates, rates_no_data, burglary = where_warnings(summary.warnings)
    assert rates.render() == (
        "WARNING measures/crime.yaml:7 rates: records.where.offence_group: 'Rates per 1', "
        "'000 residents' look like the value 'Rates per 1,000 residents' split at its comma (YAML "
        "splits an unquoted value at commas in a [...] list); rates counts no records of 'Rates per "
        '1,000 residents\' (quote the value: offence_group: ["Rates per 1,000 residents"], or put it '
        "on a line of its own: - Rates per 1,000 residents)"
    )
    assert rates_no_data.message.endswith("rates will have no data")
    # three pieces, after a value that matches: one warning for the run, and data for Robbery
    assert (burglary.subject, burglary.line) == ("burglary", 13)
    assert burglary.message.startswith(
        "records.where.offence_group: 'Burglary', 'residential', 'attempted' look like the value "
        "'Burglary, residential, attempted' split at its commas"
    )
    assert (
        burglary.hint is not None
        and 'quote the value: offence_group: ["Burglary, residential, attempted"]' in burglary.hint
    )

    # quoted as the hint says: no warning, and the count is the table's
    (root / "measures" / "crime.yaml").write_text(
        measures.replace("[Rates per 1,000 residents]", '["Rates per 1,000 residents"]').replace(
            "Burglary, residential, attempted]", '"Burglary, residential, attempted"]'
        )
    )
    cat = load_catalogue(root)
    assert where_warnings(ingest_project(cat).warnings) == []
    with Warehouse.open(cat) as wh:
        card = assemble_scorecard(cat, wh.scorecard_observations(cat), parse_month("2017-06"))
    latest = {r.id: r.latest.value if r.latest else None for r in card.rows}
    assert latest == {"rates": 10, "burglary": 12}


def test_a_column_the_source_does_not_fill(tmp_path: Path) -> None:
    """A value of another source: police.uk records have no offence group."""
    root = project(
        tmp_path / "p",
        "measures:\n" + measure("robbery", '{source: street, where: {offence_group: ["Robbery"]}}'),
    )
    [found] = where_warnings(ingest_project(load_catalogue(root)).warnings)
    assert (found.file, found.line, found.subject) == ("measures/crime.yaml", 7, "robbery")
    assert found.message == (
        "records.where.offence_group: no record of source 'street' has a "
        "offence_group, so none matches 'Robbery': robbery will have no data"
    )
    assert found.hint is not None and "set records.source to the source" in found.hint


def test_a_value_of_another_source_names_what_is_there(tmp_path: Path) -> None:
    """A police.uk crime type given to the Home Office source: nothing near, so the hint says
    what the source has."""
    root = project(
        tmp_path / "p",
        "measures:\n"
        + measure(
            "vehicle", '{source: prc, where: {offence_group: ["Vehicle crime"]}}', window="quarter"
        ),
    )
    found = where_warnings(ingest_project(load_catalogue(root)).warnings)
    assert [(f.message, f.hint) for f in found] == [
        (
            "records.where.offence_group: 'Vehicle crime' matches no record of source 'prc'",
            "nothing present is close; source 'prc' has offence_group 'Burglary, residential, attempted', "
            "'Rates per 1,000 residents', 'Robbery'. Check the value, and that records.source names the "
            "source that has it",
        ),
        (
            "records.where.offence_group: none of its values matches a record of source 'prc': vehicle "
            "will have no data",
            "correct the values named above",
        ),
    ]


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / request.param
    shutil.copytree(
        ROOT / "examples" / request.param, root, ignore=shutil.ignore_patterns(".kpiboard")
    )
    return root


def test_the_examples_give_no_where_warning(example: Path) -> None:
    cat = load_catalogue(example)
    summary = ingest_project(cat)
    assert where_warnings(summary.warnings) == []
    if example.name != "met-cpa-2009-10":  # the two over records filter on some values
        assert any(m.records and m.records.where for m in cat.measures.values())


def test_a_failing_check_does_not_stop_the_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the server went away")

    monkeypatch.setattr(where_values, "present_values", broken)
    root = project(
        tmp_path / "p",
        "measures:\n" + measure("burglary", "{source: street, where: {crime_type: [Burglry]}}"),
    )
    cat = load_catalogue(root)
    summary = ingest_project(cat)
    [found] = [w for w in summary.warnings if "could not be read" in w.message]
    assert found.level == "warning" and "the server went away" in found.message
    with Warehouse.open(cat) as wh:
        assert wh.records().count().to_pyarrow().as_py() == summary.records > 0


def test_ingest_and_report_print_the_warning(tmp_path: Path) -> None:
    root = project(
        tmp_path / "p",
        "measures:\n"
        + measure("burglary", "{source: street, where: {crime_type: [Burglry]}}")
        + measure("robbery", "{source: street, where: {crime_type: [Robbery]}}"),
    )
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(root)])
    assert ingested.exit_code == 0, ingested.output
    expected = (
        "WARNING measures/crime.yaml:7 burglary: records.where.crime_type: 'Burglry' matches "
        "no record of source 'street' (did you mean 'Burglary'?"
    )
    assert any(ln.startswith(expected) for ln in ingested.stderr.splitlines()), ingested.stderr
    # `report` ingests when the data changed, and says so again; not when they did not
    (root / "data" / "police-uk" / "2016-07-west-yorkshire-street.csv").unlink()
    reported = runner.invoke(app, ["report", str(root), "--as-of", "2017-07", "--format", "json"])
    assert reported.exit_code == 0, reported.output
    assert any(ln.startswith(expected) for ln in reported.stderr.splitlines()), reported.stderr
    again = runner.invoke(app, ["report", str(root), "--as-of", "2017-07", "--format", "json"])
    assert again.exit_code == 0 and "Burglry" not in again.stderr


def test_the_check_runs_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    with Warehouse.from_url(postgres_url) as wh:  # start from empty tables
        wh.backend.raw_sql(
            "DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads, kpiboard_records"
        ).close()
    root = project(
        tmp_path / "p",
        "measures:\n"
        + measure("burglary", "{source: street, where: {crime_type: [Burglry, Robbery]}}")
        + measure(
            "rates",
            "{source: prc, where: {offence_group: [Rates per 1,000 residents]}}",
            window="quarter",
        ),
    )
    (root / "kpiboard.yaml").write_text(PROJECT + f"warehouse: {postgres_url}\n")
    try:
        cat = load_catalogue(root)
        summary = ingest_project(cat)
        assert summary.warehouse.startswith("postgres://")
        found = where_warnings(summary.warnings)
        assert [(f.subject, f.message.split(":")[1].strip()) for f in found] == [
            ("burglary", "'Burglry' matches no record of source 'street'"),
            (
                "rates",
                "'Rates per 1', '000 residents' look like the value 'Rates per 1,000 residents' split at its comma (YAML splits an unquoted value at commas in a [...] list); rates counts no records of 'Rates per 1,000 residents'",
            ),
            ("rates", "none of its values matches a record of source 'prc'"),
        ]
        assert found[0].hint is not None and found[0].hint.startswith("did you mean 'Burglary'?")
    finally:
        with Warehouse.from_url(postgres_url) as wh:
            wh.backend.raw_sql(
                "DROP TABLE IF EXISTS kpiboard_observations, kpiboard_loads, kpiboard_records"
            ).close()


def test_many_missing_values_are_warned_about_ten_by_name(tmp_path: Path) -> None:
    """A long list of another source's codes: ten warnings with hints, one for the rest."""
    codes = ", ".join(f"E0{n:07d}" for n in range(25))
    root = project(
        tmp_path / "p",
        "measures:\n" + measure("area", f"{{source: street, where: {{lsoa_code: [{codes}]}}}}"),
    )
    found = where_warnings(ingest_project(load_catalogue(root)).warnings)
    assert len(found) == where_values.MAX_NAMED + 2
    assert found[where_values.MAX_NAMED].message == (
        "records.where.lsoa_code: 15 more values match no record of source 'street': 'E00000010', "
        "'E00000011', 'E00000012', 'E00000013', 'E00000014' and 10 more"
    )
    assert found[-1].message.endswith("area will have no data")
